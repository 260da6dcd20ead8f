import { useTranslation } from 'react-i18next';
import type { EstadoStock } from '../api';
import { ESTADO_CLASS, ESTADO_LABEL } from '../domain/stock';

/** `estado_stock` as a badge: a word and a shape, not a colour alone. */
export function StockBadge({ estado }: { estado: EstadoStock }) {
  const { t } = useTranslation();
  const label = t(ESTADO_LABEL[estado]);
  return (
    <span className={`badge badge--${ESTADO_CLASS[estado]}`} role="img" aria-label={t('stock.badgeAria', { estado: label })}>
      <span className="badge__shape" aria-hidden="true" />
      {label}
    </span>
  );
}

/** The minimum alert (`alerta_minimo`): stock at or below the minimum. */
export function MinimumAlert() {
  const { t } = useTranslation();
  return (
    <span className="min-alert" role="img" aria-label={t('stock.belowMinimum')} title={t('stock.belowMinimum')}>
      ▼ {t('stock.minShort')}
    </span>
  );
}
