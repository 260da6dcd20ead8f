// Physical counts: start one at a location of the person's scope, count by scanning (each
// scan adds one unit to that part) or by typing a quantity and the loose small parts (PQ),
// see the difference against the system's stock while typing, and close with a summary of
// the adjustments it will write. A closed count shows what each line wrote. Every step is a
// local action with its outbox entry: it works offline.

import { useMutation } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, toTallerError, type CountDetail, type CountLineView, type CountState, type PartMatch, type Queued, type TallerError, type Uuid } from '../api';
import { useAppInfo, useCountDetail, useCounts } from '../api/hooks';
import { ExportControl } from '../components/ExportControl';
import { PartPicker } from '../components/PartPicker';
import { FieldMessage, RefusalNotice } from '../components/Problems';
import {
  absorbedSummary,
  afterScan,
  checkCountQuantities,
  closedLineState,
  closeSummary,
  COUNT_STATES,
  countedNow,
  countedStock,
  differenceKind,
  lineDifference,
  type Counted,
} from '../domain/counts';
import { countsExport } from '../domain/export';
import type { FieldProblem } from '../domain/validation';
import { useScanAnywhere } from '../hooks/useScanner';
import { useFormat } from '../i18n';
import { useSession } from '../session/session';

const DEFAULT_MAX_QUANTITY = 100_000;

export function CountStateBadge({ state }: { state: CountState }) {
  const { t } = useTranslation();
  return <span className={`badge badge--conteo badge--conteo-${state}`}>{t(`counts.state.${state}`)}</span>;
}

/** "Faltan 2", "Sobra 1", "Cuadra": a difference in words, never only a colour or a sign. */
export function Difference({ diferencia }: { diferencia: number }) {
  const { t } = useTranslation();
  const format = useFormat();
  const kind = differenceKind(diferencia);
  const units = Math.abs(diferencia);
  return (
    <span className={`diff diff--${kind}`}>
      {kind === 'match' ? t('counts.diff.match') : t(`counts.diff.${kind}`, { count: units, formatted: format.number(units) })}
    </span>
  );
}

// ------------------------------------------------------------------------------ the list

export function CountsScreen() {
  const { t } = useTranslation();
  const [state, setState] = useState<CountState | null>('open');
  return (
    <section className="screen" aria-labelledby="counts-title">
      <div className="screen__head">
        <h1 id="counts-title">{t('counts.title')}</h1>
      </div>
      <StartCountPanel />
      <h2 id="count-list-title">{t('counts.listTitle')}</h2>
      <div className="choices" role="group" aria-label={t('counts.filterLabel')}>
        {COUNT_STATES.map((candidate) => (
          <button key={candidate} type="button" className="choice" aria-pressed={state === candidate} onClick={() => setState(candidate)}>
            {t(`counts.filter.${candidate}`)}
          </button>
        ))}
        <button type="button" className="choice" aria-pressed={state === null} onClick={() => setState(null)}>
          {t('counts.all')}
        </button>
      </div>
      <ExportControl list={countsExport(state)} />
      <CountList state={state} />
    </section>
  );
}

function StartCountPanel() {
  const { t } = useTranslation();
  const session = useSession();
  const navigate = useNavigate();
  const allowed = session.locations.filter((location) => session.canEditAt(location.id_localizacion));
  const preferred = session.location && session.canEditAt(session.location.id_localizacion) ? session.location.id_localizacion : (allowed[0]?.id_localizacion ?? '');
  const [location, setLocation] = useState<Uuid>(preferred);
  const [note, setNote] = useState('');
  const start = useMutation<Queued, TallerError, void>({
    mutationFn: () => api.startCount({ location, observaciones: note.trim() === '' ? null : note.trim() }),
    onSuccess: (queued) => {
      const created = (queued.result as { id_conteo?: string } | null)?.id_conteo;
      if (created) void navigate(`/counts/${created}`);
    },
  });
  if (allowed.length === 0) {
    return <p className="notice notice--info">{t('counts.notAllowed')}</p>;
  }
  return (
    <section className="panel" aria-labelledby="count-start-title">
      <h2 id="count-start-title">{t('counts.startTitle')}</h2>
      <form
        className="form__row form--count-start"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          start.mutate();
        }}
      >
        <div className="field">
          <label className="field__label" htmlFor="count-location">
            {t('counts.location')}
          </label>
          <select id="count-location" value={location} onChange={(event) => setLocation(event.target.value)}>
            {allowed.map((candidate) => (
              <option key={candidate.id_localizacion} value={candidate.id_localizacion}>
                {candidate.nombre}
              </option>
            ))}
          </select>
        </div>
        <div className="field field--grow">
          <label className="field__label" htmlFor="count-note">
            {t('counts.note')} <span className="muted">{t('common.optional')}</span>
          </label>
          <input id="count-note" value={note} maxLength={2000} onChange={(event) => setNote(event.target.value)} />
        </div>
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={start.isPending || location === ''}>
            {t('counts.start')}
          </button>
        </div>
      </form>
      <RefusalNotice error={start.error} />
    </section>
  );
}

function CountList({ state }: { state: CountState | null }) {
  const { t } = useTranslation();
  const format = useFormat();
  const counts = useCounts(state);
  if (counts.error) return <RefusalNotice error={counts.error} />;
  if (counts.isPending) return <p>{t('common.loading')}</p>;
  if (counts.data.length === 0) return <p className="empty">{t('counts.noCounts')}</p>;
  return (
    <table className="data-table data-table--plain count-list" aria-labelledby="count-list-title">
      <thead>
        <tr>
          <th scope="col">{t('counts.col.estado')}</th>
          <th scope="col">{t('counts.col.sede')}</th>
          <th scope="col">{t('counts.col.usuario')}</th>
          <th scope="col">{t('counts.col.fecha')}</th>
          <th scope="col" className="num">
            {t('counts.col.lineas')}
          </th>
          <th scope="col" className="num">
            {t('counts.col.diferencias')}
          </th>
          <th scope="col">{t('counts.col.cerrado')}</th>
        </tr>
      </thead>
      <tbody>
        {counts.data.map((count) => (
          <tr key={count.id_conteo}>
            <td>
              <CountStateBadge state={count.state} />
            </td>
            <th scope="row">
              <Link to={`/counts/${count.id_conteo}`}>{count.localizacion ?? '?'}</Link>
              {count.observaciones && <span className="muted count-list__note">{count.observaciones}</span>}
            </th>
            <td>{count.usuario ?? ''}</td>
            <td className="nowrap">{format.dateTime(count.fecha_conteo)}</td>
            <td className="num">{format.number(count.num_lineas)}</td>
            <td className="num">{format.number(count.total_diferencias)}</td>
            <td className="nowrap">{count.cerrado_en ? format.dateTime(count.cerrado_en) : '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// ------------------------------------------------------------------------------ one count

export function CountScreen() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const detail = useCountDetail(id);
  return (
    <section className="screen" aria-labelledby="count-title">
      <Link to="/counts" className="back-link">
        ← {t('counts.back')}
      </Link>
      {detail.error ? <RefusalNotice error={detail.error} /> : detail.isPending ? <p>{t('common.loading')}</p> : <CountView detail={detail.data} />}
    </section>
  );
}

interface CloseResult {
  lineas_ajustadas?: number;
  lineas_absorbidas?: number;
}

function CountView({ detail }: { detail: CountDetail }) {
  const { t } = useTranslation();
  const format = useFormat();
  const session = useSession();
  const open = detail.state === 'open';
  const mayCount = open && session.canEditAt(detail.id_localizacion);
  const [closed, setClosed] = useState<CloseResult | null>(null);
  const [fixing, setFixing] = useState<CountLineView | null>(null);
  const fixed = useCallback(() => setFixing(null), []);
  return (
    <>
      <div className="screen__head">
        <h1 id="count-title">
          {t('counts.countTitle', { sede: detail.localizacion ?? '?' })} <CountStateBadge state={detail.state} />
        </h1>
      </div>
      <p className="count-meta">
        <span>
          {t('counts.col.usuario')} <strong>{detail.usuario ?? ''}</strong>
        </span>
        <span>
          {t('counts.col.fecha')} <strong>{format.dateTime(detail.fecha_conteo)}</strong>
        </span>
        {detail.cerrado_en && (
          <span>
            {t('counts.col.cerrado')} <strong>{format.dateTime(detail.cerrado_en)}</strong>
          </span>
        )}
        <span>
          {t('counts.col.lineas')} <strong>{format.number(detail.lineas.length)}</strong> ·{' '}
          {t('counts.withDifference', { count: detail.total_diferencias, formatted: format.number(detail.total_diferencias) })}
        </span>
        {detail.observaciones && (
          <span>
            {t('counts.note')}: <strong>{detail.observaciones}</strong>
          </span>
        )}
      </p>
      {closed && (
        <p className="notice notice--success" role="status">
          {t('counts.closedNotice', { adjusted: format.number(closed.lineas_ajustadas ?? 0), absorbed: format.number(closed.lineas_absorbidas ?? 0) })}
        </p>
      )}
      {!open && <AbsorbedNotice lines={detail.lineas} />}
      {open && !mayCount && <p className="notice notice--info">{t('counts.notYours')}</p>}
      {mayCount && <CountForm detail={detail} fixing={fixing} onFixed={fixed} />}
      <h2 id="count-lines-title">{t('counts.linesTitle')}</h2>
      <CountLines detail={detail} onFix={mayCount ? setFixing : null} />
      {mayCount && <ClosePanel detail={detail} onClosed={setClosed} />}
    </>
  );
}

// ------------------------------------------------------------------------------ counting

interface LastRecorded {
  referencia: string;
  nombre: string;
  counted: Counted;
  sistema: number;
  diferencia: number;
  scanned: boolean;
}

type ScanProblem = { kind: 'unknown'; code: string } | { kind: 'refused'; error: TallerError };

function CountForm({ detail, fixing, onFixed }: { detail: CountDetail; fixing: CountLineView | null; onFixed: () => void }) {
  const { t } = useTranslation();
  const format = useFormat();
  const maxQuantity = useAppInfo().data?.max_quantity ?? DEFAULT_MAX_QUANTITY;
  const [partText, setPartText] = useState('');
  const [part, setPart] = useState<PartMatch | null>(null);
  const [csa, setCsa] = useState('');
  const [pq, setPq] = useState('');
  const [note, setNote] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const [partProblem, setPartProblem] = useState<FieldProblem | undefined>(undefined);
  const [last, setLast] = useState<LastRecorded | null>(null);
  const [problem, setProblem] = useState<ScanProblem | null>(null);
  const [busy, setBusy] = useState(false);
  const partInput = useRef<HTMLInputElement>(null);
  const csaInput = useRef<HTMLInputElement>(null);
  // What this window recorded, by part: newer than the detail until it is fetched again, so
  // quick scans of the same part each add one to the one before.
  const recorded = useRef(new Map<Uuid, Counted>());
  const lines = useRef(detail.lineas);
  lines.current = detail.lineas;
  // One line at a time, in the order scanned or typed.
  const queue = useRef<Promise<void>>(Promise.resolve());

  const record = (found: PartMatch, counted: Counted | ((current: Counted | null) => Counted), scanned: boolean): Promise<boolean> => {
    const step = queue.current.then(async () => {
      const next = typeof counted === 'function' ? counted(countedNow(lines.current, recorded.current, found.id_repuesto)) : counted;
      setBusy(true);
      try {
        const queued = await api.recordCountLine({
          id_conteo: detail.id_conteo,
          part: found.id_repuesto,
          cantidad_csa: next.cantidad_csa,
          cantidad_pq: next.cantidad_pq,
          observaciones: next.observaciones,
        });
        recorded.current.set(found.id_repuesto, next);
        const result = (queued.result ?? {}) as { cantidad_sistema?: number; diferencia?: number };
        const sistema = result.cantidad_sistema ?? found.stock?.stock_actual ?? 0;
        setLast({ referencia: found.referencia, nombre: found.nombre, counted: next, sistema, diferencia: result.diferencia ?? lineDifference(sistema, next), scanned });
        setProblem(null);
        return true;
      } catch (raw) {
        setProblem({ kind: 'refused', error: toTallerError(raw) });
        return false;
      } finally {
        setBusy(false);
      }
    });
    queue.current = step.then(() => undefined);
    return step;
  };

  const onScanned = (found: PartMatch | null, code: string) => {
    setPartText('');
    setPart(null);
    setPartProblem(undefined);
    if (!found) {
      setProblem({ kind: 'unknown', code });
      return;
    }
    void record(found, afterScan, true);
  };

  // A scan while the focus is elsewhere on the screen counts too. The wedge typed the code
  // into whatever field had the focus: take it back out.
  useScanAnywhere(async (code) => {
    const strip = (value: string) => (value.endsWith(code) ? value.slice(0, -code.length) : value);
    setCsa(strip);
    setPq(strip);
    setNote(strip);
    try {
      onScanned(await api.findPart({ code, id_localizacion: detail.id_localizacion }), code);
    } catch (raw) {
      setProblem({ kind: 'refused', error: toTallerError(raw) });
    }
  });

  // "Corregir" on a line: that part in the form with what was counted, the quantity focused.
  useEffect(() => {
    if (!fixing) return;
    let active = true;
    void api.findPart({ code: fixing.id_repuesto, id_localizacion: detail.id_localizacion }).then((found) => {
      if (!active || !found) return;
      const counted = countedNow(lines.current, recorded.current, fixing.id_repuesto);
      setPart(found);
      setPartText(found.referencia);
      setCsa(String(counted?.cantidad_csa ?? fixing.cantidad_csa));
      setPq(String(counted?.cantidad_pq ?? fixing.cantidad_pq));
      setNote(counted?.observaciones ?? '');
      csaInput.current?.focus();
      csaInput.current?.select();
      onFixed();
    });
    return () => {
      active = false;
    };
  }, [fixing, detail.id_localizacion, onFixed]);

  const checked = checkCountQuantities(csa, pq, maxQuantity);
  const sistema = part ? (part.stock?.stock_actual ?? 0) : null;
  const already = part ? countedNow(detail.lineas, recorded.current, part.id_repuesto) : null;

  const onSubmit = async (event: React.FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!part) {
      setPartProblem(partText.trim() ? { key: 'unknownReference', values: { code: partText.trim() } } : { key: 'required' });
      partInput.current?.focus();
      return;
    }
    if (!checked.counted) {
      csaInput.current?.focus();
      return;
    }
    const ok = await record(part, { ...checked.counted, observaciones: note.trim() === '' ? null : note.trim() }, false);
    if (ok) {
      setPart(null);
      setPartText('');
      setCsa('');
      setPq('');
      setNote('');
      setSubmitted(false);
      partInput.current?.focus();
    }
  };

  const problems = submitted ? checked.problems : { cantidad_pq: checked.problems.cantidad_pq };
  return (
    <section className="panel count-form" aria-labelledby="count-form-title">
      <h2 id="count-form-title">{t('counts.formTitle')}</h2>
      <p className="count-form__lead">{t('counts.formLead')}</p>
      {/* What the last scan or line did, where the eyes are after a scan. */}
      {problem?.kind === 'unknown' && (
        <p className="notice notice--error" role="alert">
          {t('counts.scanUnknown', { code: problem.code })}
        </p>
      )}
      {problem?.kind === 'refused' && <RefusalNotice error={problem.error} />}
      {last && !problem && (
        <div className="notice notice--success count-last" role="status">
          <p className="notice__title">
            {t(last.scanned ? 'counts.lastScanned' : 'counts.lastTyped', { referencia: last.referencia, csa: format.number(last.counted.cantidad_csa) })}
          </p>
          <p>
            {last.nombre} · {t('counts.preview.system')} {format.number(last.sistema)} · <Difference diferencia={last.diferencia} />
          </p>
        </div>
      )}
      <form className="form form--count" onSubmit={(event) => void onSubmit(event)} noValidate>
        <PartPicker
          ref={partInput}
          idLocalizacion={detail.id_localizacion}
          text={partText}
          part={part}
          hint={t('counts.scanHint')}
          onText={(text) => {
            setPartText(text);
            if (part && text !== part.referencia) setPart(null);
            setPartProblem(undefined);
          }}
          onPick={(found, text) => {
            setPart(found);
            setPartText(text);
            setPartProblem(found ? undefined : { key: 'unknownReference', values: { code: text } });
            if (found) csaInput.current?.focus();
          }}
          onScan={onScanned}
          problem={partProblem}
        />
        <div className="count-entry">
          <div className="field count-entry__qty">
            <label className="field__label" htmlFor="count-csa">
              {t('counts.counted')}
            </label>
            <input
              id="count-csa"
              ref={csaInput}
              className="qty-input"
              inputMode="numeric"
              autoComplete="off"
              value={csa}
              onChange={(event) => setCsa(event.target.value)}
              aria-invalid={problems.cantidad_csa ? true : undefined}
              aria-describedby="count-csa-error"
            />
            <FieldMessage id="count-csa-error" problem={problems.cantidad_csa} />
          </div>
          <div className="field count-entry__qty count-entry__qty--pq">
            <label className="field__label" htmlFor="count-pq">
              {t('counts.pq')}
            </label>
            <input
              id="count-pq"
              className="qty-input"
              inputMode="numeric"
              autoComplete="off"
              placeholder="0"
              value={pq}
              onChange={(event) => setPq(event.target.value)}
              aria-invalid={problems.cantidad_pq ? true : undefined}
              aria-describedby="count-pq-hint count-pq-error"
            />
            <FieldMessage id="count-pq-error" problem={problems.cantidad_pq} />
          </div>
          <div className="count-preview" aria-live="polite">
            {part && sistema !== null ? (
              <>
                <span className="count-preview__figure">
                  {t('counts.preview.system')} <strong className="big-number">{format.number(sistema)}</strong>
                </span>
                {checked.counted ? (
                  <>
                    <Difference diferencia={lineDifference(sistema, checked.counted)} />
                    <span className="count-preview__figure">
                      {t('counts.preview.stays')} <strong className="big-number">{format.number(countedStock(checked.counted))}</strong>
                    </span>
                  </>
                ) : (
                  <span className="muted">{t('counts.preview.typeCounted')}</span>
                )}
              </>
            ) : (
              <span className="muted">{t('counts.preview.noPart')}</span>
            )}
          </div>
        </div>
        <p id="count-pq-hint" className="field__hint count-entry__hint">
          {t('counts.pqHint')}
          {already && <> {t('counts.already', { csa: format.number(already.cantidad_csa) })}</>}
        </p>
        <div className="count-entry count-entry--last">
          <div className="field field--grow">
            <label className="field__label" htmlFor="count-line-note">
              {t('counts.lineNote')} <span className="muted">{t('common.optional')}</span>
            </label>
            <input id="count-line-note" value={note} maxLength={2000} onChange={(event) => setNote(event.target.value)} />
          </div>
          <button type="submit" className="button button--primary button--large" disabled={busy}>
            {t('counts.record')}
          </button>
        </div>
      </form>
    </section>
  );
}

// ------------------------------------------------------------------------------ the lines

function CountLines({ detail, onFix }: { detail: CountDetail; onFix: ((line: CountLineView) => void) | null }) {
  const { t } = useTranslation();
  const format = useFormat();
  const open = detail.state === 'open';
  if (detail.lineas.length === 0) return <p className="empty">{t(open ? 'counts.noLines' : 'counts.noLinesClosed')}</p>;
  return (
    <table className="data-table data-table--plain count-lines" aria-labelledby="count-lines-title">
      <thead>
        <tr>
          <th scope="col">{t('columns.posicion')}</th>
          <th scope="col" className="col-referencia">
            {t('columns.referencia')}
          </th>
          <th scope="col">{t('columns.nombre')}</th>
          <th scope="col" className="num">
            {t('counts.col.sistema')}
          </th>
          <th scope="col" className="num">
            {t('counts.col.contadas')}
          </th>
          <th scope="col" className="num">
            <abbr title={t('counts.pq')}>{t('counts.col.pq')}</abbr>
          </th>
          <th scope="col">{t('counts.col.diferencia')}</th>
          {open ? (
            onFix && (
              <th scope="col">
                <span className="visually-hidden">{t('common.actions')}</span>
              </th>
            )
          ) : (
            <th scope="col">{t('counts.col.ajuste')}</th>
          )}
        </tr>
      </thead>
      <tbody>
        {detail.lineas.map((line) => (
          <tr key={line.id_detalle_conteo} className={line.diferencia !== 0 ? 'row--difference' : undefined} data-referencia={line.referencia}>
            <td className="mono">{line.posicion ?? '—'}</td>
            <th scope="row" className="mono">
              {open ? line.referencia : <Link to={`/parts/${line.id_repuesto}`} title={t('counts.partHistory')}>{line.referencia}</Link>}
            </th>
            <td className="count-lines__name">
              {line.nombre}
              {line.observaciones && <span className="muted"> · {line.observaciones}</span>}
            </td>
            <td className="num">{format.number(line.cantidad_sistema)}</td>
            <td className="num count-lines__csa">{format.number(line.cantidad_csa)}</td>
            <td className="num">{format.number(line.cantidad_pq)}</td>
            <td>
              <Difference diferencia={line.diferencia} />
            </td>
            {open ? (
              onFix && (
                <td>
                  <button type="button" className="button" onClick={() => onFix(line)}>
                    {t('counts.fix')}
                    <span className="visually-hidden">: {line.referencia}</span>
                  </button>
                </td>
              )
            ) : (
              <td className="count-lines__ajuste">
                <Adjustment line={line} />
                <AbsorbedChanges line={line} />
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Adjustment({ line }: { line: CountLineView }) {
  const { t } = useTranslation();
  const format = useFormat();
  const state = closedLineState(line);
  const ajuste = line.ajuste;
  if (state === 'pending' || !ajuste) return <span className="muted">{t('counts.ajuste.pending')}</span>;
  if (state === 'absorbed') {
    return (
      <>
        <span className="badge badge--absorbed">{t('counts.ajuste.absorbed')}</span>
        <span className="absorbed-why">{t('counts.absorbedWhy')}</span>
      </>
    );
  }
  if (state === 'unchanged') return <span>{t('counts.ajuste.unchanged', { stock: format.number(ajuste.cantidad_nueva) })}</span>;
  return (
    <span className="ajuste">
      {format.number(ajuste.cantidad_anterior)} → <strong>{format.number(ajuste.cantidad_nueva)}</strong> <span className="ajuste__cambio">({format.signed(ajuste.diferencia)})</span>
    </span>
  );
}

/** Above a closed count's lines: how many late changes it absorbed, and why the stock did
 * not move for them. Nothing when it absorbed none. */
function AbsorbedNotice({ lines }: { lines: readonly CountLineView[] }) {
  const { t } = useTranslation();
  const format = useFormat();
  const summary = useMemo(() => absorbedSummary(lines), [lines]);
  if (summary.changes === 0) return null;
  return (
    <div className="notice notice--warning" role="note" data-testid="count-absorbed">
      <p>
        <strong>
          {t('counts.absorbed.title', {
            count: summary.changes,
            formatted: format.number(summary.changes),
            lines: format.number(summary.lines),
          })}
        </strong>
      </p>
      <p>{t('counts.absorbed.why')}</p>
    </div>
  );
}

/** Each change the count absorbed on this line: what it was, who made it and when. */
function AbsorbedChanges({ line }: { line: CountLineView }) {
  const { t } = useTranslation();
  const format = useFormat();
  if (line.absorbidos.length === 0) return null;
  return (
    <ul className="absorbed-changes" aria-label={t('counts.absorbed.listLabel', { referencia: line.referencia })}>
      {line.absorbidos.map((change) => (
        <li key={change.id_log}>
          <span className="badge badge--absorbed">{t('counts.absorbed.badge')}</span>{' '}
          <strong>{format.signed(change.cantidad)}</strong> {t(`operations.${change.tipo_operacion}`)}
          {change.motivo && <span> ({change.motivo})</span>}
          <span className="absorbed-why">
            {t('counts.absorbed.who', {
              usuario: change.usuario ?? t('counts.absorbed.someone'),
              fecha: format.dateTime(change.fecha),
              contado: line.ajuste ? format.time(line.ajuste.fecha) : '—',
            })}
          </span>
        </li>
      ))}
    </ul>
  );
}

// ------------------------------------------------------------------------------ closing

function ClosePanel({ detail, onClosed }: { detail: CountDetail; onClosed: (result: CloseResult) => void }) {
  const { t } = useTranslation();
  const format = useFormat();
  const [confirming, setConfirming] = useState(false);
  const summary = useMemo(() => closeSummary(detail.lineas), [detail.lineas]);
  // The summary opens below the lines: the whole of it into view (the nearest edge, so only
  // the screen's own scroll box moves), its heading focused.
  const panel = useRef<HTMLElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (!confirming) return;
    panel.current?.scrollIntoView?.({ block: 'nearest' });
    heading.current?.focus({ preventScroll: true });
  }, [confirming]);
  const close = useMutation<Queued, TallerError, void>({
    mutationFn: () => api.closeCount(detail.id_conteo),
    onSuccess: (queued) => {
      setConfirming(false);
      onClosed((queued.result ?? {}) as CloseResult);
    },
  });
  if (!confirming) {
    return (
      <div className="form__actions count-close">
        <button type="button" className="button button--large" disabled={detail.lineas.length === 0} onClick={() => setConfirming(true)}>
          {t('counts.close')}
        </button>
      </div>
    );
  }
  const sede = detail.localizacion ?? '?';
  return (
    <section className="panel panel--confirm" aria-labelledby="count-close-title" ref={panel}>
      <h2 id="count-close-title" ref={heading} tabIndex={-1}>
        {t('counts.closeTitle')}
      </h2>
      {summary.adjustments.length === 0 ? (
        <p>{t('counts.closeNone')}</p>
      ) : (
        <>
          <p>{t('counts.closeLead', { count: summary.adjustments.length, formatted: format.number(summary.adjustments.length), sede })}</p>
          <table className="data-table data-table--plain close-summary" aria-labelledby="count-close-title">
            <thead>
              <tr>
                <th scope="col" className="col-referencia">
                  {t('columns.referencia')}
                </th>
                <th scope="col">{t('columns.nombre')}</th>
                <th scope="col" className="num">
                  {t('counts.col.now')}
                </th>
                <th scope="col" className="num">
                  {t('counts.col.after')}
                </th>
                <th scope="col" className="num">
                  {t('columns.diferencia')}
                </th>
              </tr>
            </thead>
            <tbody>
              {summary.adjustments.map(({ line, anterior, nueva, cambio }) => (
                <tr key={line.id_detalle_conteo}>
                  <th scope="row" className="mono">
                    {line.referencia}
                  </th>
                  <td>{line.nombre}</td>
                  <td className="num">{format.number(anterior)}</td>
                  <td className="num">
                    <strong>{format.number(nueva)}</strong>
                  </td>
                  <td className={`num ${cambio < 0 ? 'diff--missing' : 'diff--surplus'}`}>{format.signed(cambio)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p>{t('counts.closeTotals', { missing: format.number(summary.missing), surplus: format.number(summary.surplus) })}</p>
        </>
      )}
      {summary.unchanged > 0 && <p>{t('counts.closeUnchanged', { count: summary.unchanged, formatted: format.number(summary.unchanged) })}</p>}
      <p className="muted">{t('counts.closeLater')}</p>
      <RefusalNotice error={close.error} />
      <div className="form__actions">
        <button type="button" className="button button--primary button--large" disabled={close.isPending} onClick={() => close.mutate()}>
          {t('counts.confirmClose')}
        </button>
        <button type="button" className="button" onClick={() => setConfirming(false)}>
          {t('counts.keepCounting')}
        </button>
      </div>
    </section>
  );
}
