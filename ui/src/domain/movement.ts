// The technician movement form's checks, before anything is sent. The library checks the
// same rules again (they are the domain's); these only spare the person a round trip and
// say what to fix next to the field.

import type { Concepto, ConceptoInfo, MovementInput, PartMatch, TipoMovimiento, Uuid } from '../api';
import { parseWhole, quantityProblem, type FieldProblem } from './validation';

export type { FieldProblem } from './validation';

export interface MovementDraft {
  id_localizacion: Uuid | '';
  /** The part chosen (scanned, picked or typed and found). */
  part: PartMatch | null;
  /** What is in the part field; a text with no part behind it is an unknown reference. */
  partText: string;
  concepto: Concepto | '';
  tipo: TipoMovimiento | '';
  cantidad: string;
  id_tecnico_asignado: Uuid | '';
  numero_orden: string;
}

export type MovementField = 'id_localizacion' | 'part' | 'concepto' | 'tipo' | 'cantidad' | 'id_tecnico_asignado' | 'numero_orden';

export type MovementErrors = Partial<Record<MovementField, FieldProblem>>;

export const emptyMovement = (id_localizacion: Uuid | '' = '', id_tecnico_asignado: Uuid | '' = ''): MovementDraft => ({
  id_localizacion,
  part: null,
  partText: '',
  concepto: 'salida',
  tipo: 'salida',
  cantidad: '',
  id_tecnico_asignado,
  numero_orden: '',
});

export function validateMovement(
  draft: MovementDraft,
  rules: { maxQuantity: number; concepts: readonly ConceptoInfo[] },
): { errors: MovementErrors; input: MovementInput | null } {
  const errors: MovementErrors = {};
  if (!draft.id_localizacion) errors.id_localizacion = { key: 'required' };
  if (!draft.part) {
    errors.part = draft.partText.trim() ? { key: 'unknownReference', values: { code: draft.partText.trim() } } : { key: 'required' };
  }
  const concept = rules.concepts.find((info) => info.concepto === draft.concepto);
  if (!draft.concepto || !concept) errors.concepto = { key: 'required' };
  if (!draft.tipo) errors.tipo = { key: 'required' };
  else if (concept && !concept.tipos.includes(draft.tipo)) errors.tipo = { key: 'typeNotAllowed' };
  const quantity = quantityProblem(draft.cantidad, rules.maxQuantity);
  if (quantity) errors.cantidad = quantity;
  if (!draft.id_tecnico_asignado) errors.id_tecnico_asignado = { key: 'required' };
  let numeroOrden: number | null = null;
  if (draft.numero_orden.trim() !== '') {
    numeroOrden = parseWhole(draft.numero_orden);
    // numero_orden is an integer column: positive and within i32.
    if (numeroOrden === null || numeroOrden < 1) errors.numero_orden = { key: 'wholePositive' };
    else if (numeroOrden > 2_147_483_647) errors.numero_orden = { key: 'tooLarge', values: { max: 2_147_483_647 } };
  }
  if (Object.keys(errors).length > 0 || !draft.part || !draft.concepto || !draft.tipo) {
    return { errors, input: null };
  }
  return {
    errors,
    input: {
      id_localizacion: draft.id_localizacion,
      id_repuesto: draft.part.id_repuesto,
      id_tecnico_asignado: draft.id_tecnico_asignado,
      concepto: draft.concepto,
      tipo: draft.tipo,
      cantidad: parseWhole(draft.cantidad) ?? 0,
      numero_orden: numeroOrden,
    },
  };
}

/** Which field a refusal from the library is about, so its message shows there. */
export function fieldOfRejection(code: string): MovementField | null {
  switch (code) {
    case 'invalid_quantity':
    case 'insufficient_stock':
      return 'cantidad';
    case 'invalid_movement':
      return 'tipo';
    case 'location_out_of_scope':
      return 'id_localizacion';
    case 'not_found':
      return 'part';
    default:
      return null;
  }
}
