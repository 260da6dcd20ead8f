import type { EstadoStock } from '../api';

/** The CSS modifier of each `estado_stock` (the badge also says it in words). */
export const ESTADO_CLASS: Record<EstadoStock, string> = {
  'Sin Stock': 'sin-stock',
  Bajo: 'bajo',
  Normal: 'normal',
  Alto: 'alto',
};

/** Translation key of each `estado_stock` value. The value itself is the reference schema's
 * (Spanish); English readers see it translated. */
export const ESTADO_LABEL = {
  'Sin Stock': 'stock.estado.sinStock',
  Bajo: 'stock.estado.bajo',
  Normal: 'stock.estado.normal',
  Alto: 'stock.estado.alto',
} as const satisfies Record<EstadoStock, string>;
