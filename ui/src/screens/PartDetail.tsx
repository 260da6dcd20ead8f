// A part: its data, its label ("Etiquetas": at the location the person works at, with its
// position there), its stock at each location in scope (minimum and position editable by
// those allowed), open field-edit conflicts with both values, and its ledger.

import { useMutation } from '@tanstack/react-query';
import { createColumnHelper } from '@tanstack/react-table';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, type FieldConflict, type FieldEdit, type LedgerEntry, type LocationStock, type TallerError } from '../api';
import { usePartDetail } from '../api/hooks';
import { DataTable } from '../components/DataTable';
import { LabelsControl } from '../components/LabelsControl';
import { FieldMessage, RefusalNotice } from '../components/Problems';
import { MinimumAlert, StockBadge } from '../components/StockBadge';
import { parseWhole, type FieldProblem } from '../domain/validation';
import { isTyping } from '../hooks/shortcuts';
import { useFormat } from '../i18n';
import { useSession } from '../session/session';

export function PartDetailScreen() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const navigate = useNavigate();
  const detail = usePartDetail(id);
  const session = useSession();

  // Escape goes back to the list (when not editing a field).
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && !event.defaultPrevented && !isTyping(event.target)) {
        void navigate('/inventory');
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [navigate]);

  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [detail.data?.id_repuesto]);

  if (detail.isPending) return <p className="screen">{t('common.loading')}</p>;
  if (detail.error) {
    return (
      <section className="screen">
        <Link to="/inventory" className="back-link">
          ← {t('part.back')}
        </Link>
        <RefusalNotice error={detail.error} />
      </section>
    );
  }
  const part = detail.data;
  return (
    <section className="screen" aria-labelledby="part-title">
      <Link to="/inventory" className="back-link">
        ← {t('part.back')} <kbd aria-hidden="true">Esc</kbd>
      </Link>
      <h1 id="part-title" ref={heading} tabIndex={-1}>
        <span className="mono">{part.referencia}</span> — {part.nombre}
        {part.descontinuado && <span className="badge badge--discontinued">{t('part.discontinued')}</span>}
      </h1>
      <dl className="facts">
        <div>
          <dt>{t('columns.marca')}</dt>
          <dd>{part.marca ?? '—'}</dd>
        </div>
        <div>
          <dt>{t('columns.tipo')}</dt>
          <dd>{part.tipo ?? '—'}</dd>
        </div>
        <div className="facts__wide">
          <dt>{t('columns.descripcion')}</dt>
          <dd>{part.descripcion ?? '—'}</dd>
        </div>
      </dl>
      {session.location && (
        <LabelsControl
          target={{ kind: 'part', idLocalizacion: session.location.id_localizacion, idRepuesto: part.id_repuesto, referencia: part.referencia }}
        />
      )}
      {part.conflictos.length > 0 && <FieldConflicts conflicts={part.conflictos} />}
      <h2>{t('part.stockTitle')}</h2>
      <StockTable idRepuesto={part.id_repuesto} stock={part.stock} />
      <h2>{t('part.ledgerTitle')}</h2>
      <Ledger entries={part.ledger} />
    </section>
  );
}

/** A JSON value of a conflict, as a person reads it. */
export function showValue(value: unknown, empty: string): string {
  if (value === null || value === undefined || value === '') return empty;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

export function FieldConflicts({ conflicts }: { conflicts: FieldConflict[] }) {
  const { t } = useTranslation();
  const format = useFormat();
  return (
    <section className="notice notice--warning" aria-labelledby="conflicts-title">
      <h2 id="conflicts-title">{t('part.conflictsTitle', { count: conflicts.length })}</h2>
      <ul className="conflict-list">
        {conflicts.map((conflict) => (
          <li key={conflict.id_conflicto}>
            <p>
              <strong>{t(`fields.${conflict.campo}`, { defaultValue: conflict.campo })}</strong>
              {conflict.localizacion ? ` — ${conflict.localizacion}` : ''} · {format.dateTime(conflict.created_at)}
            </p>
            <dl className="values">
              <div>
                <dt>{t('conflict.replaced')}</dt>
                <dd>{showValue(conflict.valor_reemplazado, t('common.empty'))}</dd>
              </div>
              <div>
                <dt>{conflict.otro_usuario ? t('conflict.serverBy', { name: conflict.otro_usuario }) : t('conflict.server')}</dt>
                <dd>{showValue(conflict.valor_servidor, t('common.empty'))}</dd>
              </div>
              <div>
                <dt>{t('conflict.current')}</dt>
                <dd>{showValue(conflict.valor_nuevo, t('common.empty'))}</dd>
              </div>
            </dl>
          </li>
        ))}
      </ul>
    </section>
  );
}

function StockTable({ idRepuesto, stock }: { idRepuesto: string; stock: LocationStock[] }) {
  const { t } = useTranslation();
  const format = useFormat();
  const session = useSession();
  const [editing, setEditing] = useState<string | null>(null);
  if (stock.length === 0) return <p className="empty">{t('part.noStock')}</p>;
  return (
    <table className="data-table data-table--plain">
      <thead>
        <tr>
          <th scope="col">{t('columns.localizacion')}</th>
          <th scope="col" className="num">{t('columns.stock_actual')}</th>
          <th scope="col" className="num">{t('columns.cantidad_minima')}</th>
          <th scope="col">{t('columns.posicion')}</th>
          <th scope="col">{t('columns.estado_stock')}</th>
          <th scope="col">
            <span className="visually-hidden">{t('common.actions')}</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {stock.map((row) =>
          editing === row.id_localizacion ? (
            <tr key={row.id_inventario}>
              <td colSpan={6}>
                <SettingsForm idRepuesto={idRepuesto} row={row} onDone={() => setEditing(null)} />
              </td>
            </tr>
          ) : (
            <tr key={row.id_inventario}>
              <th scope="row">{row.localizacion}</th>
              <td className="num">
                <span className="stock-cell">
                  {format.number(row.stock_actual)}
                  {row.alerta_minimo && <MinimumAlert />}
                </span>
              </td>
              <td className="num">{format.number(row.cantidad_minima)}</td>
              <td>{row.posicion ?? '—'}</td>
              <td>
                <StockBadge estado={row.estado_stock} />
              </td>
              <td>
                {session.canEditAt(row.id_localizacion) && (
                  <button type="button" className="button" onClick={() => setEditing(row.id_localizacion)}>
                    {t('part.editSettings', { location: row.localizacion })}
                  </button>
                )}
              </td>
            </tr>
          ),
        )}
      </tbody>
    </table>
  );
}

/** The edits that changed, each with the value the person saw (for the server's conflict check). */
export function settingsEdits(row: LocationStock, minimum: number, position: string): FieldEdit[] {
  const edits: FieldEdit[] = [];
  if (minimum !== row.cantidad_minima) edits.push({ field: 'cantidad_minima', old: row.cantidad_minima, new: minimum });
  const newPosition = position.trim() === '' ? null : position.trim();
  if (newPosition !== (row.posicion ?? null)) edits.push({ field: 'posicion', old: row.posicion, new: newPosition });
  return edits;
}

function SettingsForm({ idRepuesto, row, onDone }: { idRepuesto: string; row: LocationStock; onDone: () => void }) {
  const { t } = useTranslation();
  const [minimum, setMinimum] = useState(String(row.cantidad_minima));
  const [position, setPosition] = useState(row.posicion ?? '');
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [nothing, setNothing] = useState(false);
  const save = useMutation<unknown, TallerError, FieldEdit[]>({
    mutationFn: (edits) => api.editInventorySettings({ id_localizacion: row.id_localizacion, id_repuesto: idRepuesto, edits }),
    onSuccess: onDone,
  });
  const minimumInput = useRef<HTMLInputElement>(null);
  useEffect(() => minimumInput.current?.focus(), []);
  const onSubmit = (event: React.FormEvent) => {
    event.preventDefault();
    const value = parseWhole(minimum);
    if (minimum.trim() === '') return setProblem({ key: 'required' });
    if (value === null) return setProblem({ key: 'wholeOrZero' });
    setProblem(null);
    const edits = settingsEdits(row, value, position);
    if (edits.length === 0) return setNothing(true);
    setNothing(false);
    save.mutate(edits);
  };
  return (
    <form className="inline-form" onSubmit={onSubmit} onKeyDown={(event) => event.key === 'Escape' && (event.preventDefault(), onDone())} noValidate>
      <p className="inline-form__title">{t('part.settingsTitle', { location: row.localizacion })}</p>
      <label className="field">
        <span className="field__label">{t('columns.cantidad_minima')}</span>
        <input
          ref={minimumInput}
          inputMode="numeric"
          value={minimum}
          onChange={(event) => setMinimum(event.target.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? 'settings-minimum-error' : undefined}
        />
        <FieldMessage id="settings-minimum-error" problem={problem ?? undefined} />
      </label>
      <label className="field">
        <span className="field__label">{t('columns.posicion')}</span>
        <input value={position} onChange={(event) => setPosition(event.target.value)} />
      </label>
      <div className="inline-form__actions">
        <button type="submit" className="button button--primary" disabled={save.isPending}>
          {t('common.save')}
        </button>
        <button type="button" className="button" onClick={onDone}>
          {t('common.cancel')}
        </button>
      </div>
      {nothing && <p className="notice">{t('part.noChanges')}</p>}
      <RefusalNotice error={save.error} />
    </form>
  );
}

const ledgerColumn = createColumnHelper<LedgerEntry>();

function Ledger({ entries }: { entries: LedgerEntry[] }) {
  const { t } = useTranslation();
  const format = useFormat();
  const columns = useMemo(
    () => [
      ledgerColumn.accessor('fecha', { header: () => t('columns.fecha'), cell: (info) => format.dateTime(info.getValue()) }),
      ledgerColumn.accessor('localizacion', { header: () => t('columns.localizacion') }),
      ledgerColumn.accessor('tipo_operacion', {
        header: () => t('columns.tipo_operacion'),
        cell: (info) => (
          <>
            {t(`operations.${info.getValue()}`)}
            {info.row.original.absorbido && (
              <span className="badge badge--absorbed" role="img" aria-label={t('part.absorbedAria')}>
                {t('part.absorbed')}
              </span>
            )}
          </>
        ),
      }),
      ledgerColumn.accessor('cantidad_anterior', { header: () => t('columns.cantidad_anterior'), cell: (info) => format.number(info.getValue()), meta: { numeric: true } }),
      ledgerColumn.accessor('diferencia', { header: () => t('columns.diferencia'), cell: (info) => format.signed(info.getValue()), meta: { numeric: true } }),
      ledgerColumn.accessor('cantidad_nueva', { header: () => t('columns.cantidad_nueva'), cell: (info) => format.number(info.getValue()), meta: { numeric: true } }),
      ledgerColumn.accessor('motivo', { header: () => t('columns.motivo'), cell: (info) => info.getValue() ?? '—' }),
      ledgerColumn.accessor('usuario', { header: () => t('columns.usuario'), cell: (info) => info.getValue() ?? '—' }),
    ],
    [t, format],
  );
  if (entries.length === 0) return <p className="empty">{t('part.noLedger')}</p>;
  return <DataTable data={entries} columns={columns} getRowId={(entry) => entry.id_log} label={t('part.ledgerTitle')} maxHeight={420} />;
}
