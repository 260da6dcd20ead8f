// The replenishment proposal on the transfers screen's cart (decision 0020): for the cart's
// destination, the parts below their minimum with what to ask an origin for, each line with
// why (minimum, stock, on its way, what the origin can give); the person edits the quantities
// (0 drops a line) and puts them into the cart, then creates the request as any other.

import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type ReplenishmentAdded, type ReplenishmentLine, type TallerError, type Uuid } from '../api';
import { useReplenishment } from '../api/hooks';
import { FieldMessage, RefusalNotice } from '../components/Problems';
import { checkProposal, fieldText, why, type Typed } from '../domain/replenishment';
import { useFormat } from '../i18n';

export function ReplenishmentPanel({
  destination,
  maxQuantity,
  onDone,
  onClose,
}: {
  destination: Uuid;
  maxQuantity: number;
  onDone: (origin: Uuid, added: ReplenishmentAdded) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const [origin, setOrigin] = useState<Uuid | null>(null);
  const [typed, setTyped] = useState<Typed>({});
  const [tried, setTried] = useState(false);
  const proposal = useReplenishment(destination, origin, true);
  const title = useRef<HTMLHeadingElement>(null);
  useEffect(() => title.current?.focus(), []);
  const lines = proposal.data?.lineas ?? [];
  const checked = checkProposal(lines, typed, maxQuantity);
  const hasProblems = Object.keys(checked.problems).length > 0;
  const toCart = useMutation<ReplenishmentAdded, TallerError, void>({
    mutationFn: () => api.replenishmentToCart({ destination, lines: checked.lines }),
    onSuccess: (added) => proposal.data && onDone(proposal.data.id_localizacion_origen, added),
  });
  const onSubmit = (event: React.FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (hasProblems || checked.lines.length === 0) return;
    toCart.mutate();
  };
  const onKeyDown = (event: React.KeyboardEvent) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      onClose();
    }
  };
  return (
    <section className="panel replenish" aria-labelledby="replenish-title" onKeyDown={onKeyDown}>
      <h3 id="replenish-title" ref={title} tabIndex={-1}>
        {proposal.data ? t('replenish.title', { destino: proposal.data.destino }) : t('replenish.action')}
      </h3>
      {proposal.error ? (
        <>
          <RefusalNotice error={proposal.error} />
          <div className="form__actions">
            <button type="button" className="button" onClick={onClose}>
              {t('replenish.close')}
            </button>
          </div>
        </>
      ) : proposal.isPending ? (
        <p>{t('common.loading')}</p>
      ) : (
        <form onSubmit={onSubmit} noValidate>
          <p className="muted">{t('replenish.explain')}</p>
          <div className="form__row">
            <div className="field">
              <label className="field__label" htmlFor="replenish-origin">
                {t('replenish.origin')}
              </label>
              <select
                id="replenish-origin"
                value={proposal.data.id_localizacion_origen}
                onChange={(event) => {
                  setOrigin(event.target.value);
                  setTyped({});
                }}
              >
                {proposal.data.origenes.map((candidate) => (
                  <option key={candidate.id_localizacion} value={candidate.id_localizacion}>
                    {t('replenish.originOption', { nombre: candidate.nombre, stock: format.number(candidate.stock_total) })}
                  </option>
                ))}
              </select>
            </div>
          </div>
          {lines.length === 0 ? (
            <p className="empty">{t('replenish.nothing', { destino: proposal.data.destino, origen: proposal.data.origen })}</p>
          ) : (
            <table className="data-table data-table--plain replenish-table" aria-labelledby="replenish-title">
              <thead>
                <tr>
                  <th scope="col" className="col-referencia">
                    {t('columns.referencia')}
                  </th>
                  <th scope="col">{t('columns.nombre')}</th>
                  <th scope="col">{t('replenish.col.posicion')}</th>
                  <th scope="col" className="num">
                    {t('replenish.col.minimo')}
                  </th>
                  <th scope="col" className="num">
                    {t('replenish.col.stock')}
                  </th>
                  <th scope="col" className="num">
                    {t('replenish.col.transito')}
                  </th>
                  <th scope="col" className="num">
                    {t('replenish.col.disponible')}
                  </th>
                  <th scope="col" className="num">
                    {t('replenish.col.pedir')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {lines.map((line) => (
                  <ProposalRow
                    key={line.id_repuesto}
                    line={line}
                    text={fieldText(line, typed)}
                    problemShown={tried || typed[line.id_repuesto] !== undefined}
                    problem={checked.problems[line.id_repuesto]}
                    onChange={(text) => setTyped((before) => ({ ...before, [line.id_repuesto]: text }))}
                  />
                ))}
              </tbody>
            </table>
          )}
          {proposal.data.sin_existencias > 0 && (
            <p className="notice notice--warning" role="status">
              {t('replenish.withoutStock', { count: proposal.data.sin_existencias, origen: proposal.data.origen })}
            </p>
          )}
          {checked.overOrigin.length > 0 && (
            <p className="notice notice--warning" role="status">
              {t('replenish.overOrigin', { referencias: checked.overOrigin.map((line) => line.referencia).join(', '), origen: proposal.data.origen })}
            </p>
          )}
          {tried && checked.lines.length === 0 && !hasProblems && lines.length > 0 && (
            <p className="notice notice--warning" role="status">
              {t('replenish.noneKept')}
            </p>
          )}
          <div className="form__actions">
            <button type="submit" className="button button--primary" disabled={toCart.isPending || lines.length === 0}>
              {t('replenish.toCart', { count: checked.lines.length, units: format.number(checked.units) })}
            </button>
            <button type="button" className="button" onClick={onClose}>
              {t('replenish.discard')}
            </button>
          </div>
          <RefusalNotice error={toCart.error ?? null} />
        </form>
      )}
    </section>
  );
}

function ProposalRow({
  line,
  text,
  problem,
  problemShown,
  onChange,
}: {
  line: ReplenishmentLine;
  text: string;
  problem: Parameters<typeof FieldMessage>[0]['problem'];
  problemShown: boolean;
  onChange: (text: string) => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const reason = why(line);
  const id = `replenish-qty-${line.id_repuesto}`;
  return (
    <tr data-referencia={line.referencia}>
      <th scope="row" className="mono">
        {line.referencia}
      </th>
      <td>
        {line.nombre}
        <div id={`${id}-why`} className="replenish-why">
          {t('replenish.why', {
            faltan: format.number(reason.faltan),
            minimo: format.number(reason.minimo),
            stock: format.number(reason.stock),
            transito: format.number(reason.transito),
          })}
          {reason.capped && <strong> {t('replenish.capped', { disponible: format.number(reason.disponible) })}</strong>}
        </div>
      </td>
      <td className="mono">{line.posicion ?? '—'}</td>
      <td className="num">{format.number(line.cantidad_minima)}</td>
      <td className="num">{format.number(line.stock_actual)}</td>
      <td className="num">{format.number(reason.transito)}</td>
      <td className="num">{format.number(line.disponible_origen)}</td>
      <td className="num">
        <label className="visually-hidden" htmlFor={id}>
          {t('replenish.quantityFor', { referencia: line.referencia })}
        </label>
        <input
          id={id}
          className="qty-input"
          inputMode="numeric"
          value={text}
          onChange={(event) => onChange(event.target.value)}
          aria-invalid={problemShown && problem ? true : undefined}
          aria-describedby={`${id}-why ${id}-error`}
        />
        <FieldMessage id={`${id}-error`} problem={problemShown ? problem : undefined} />
      </td>
    </tr>
  );
}
