// Transfers between locations: the cart (parts wanted at a destination), the requests made
// from it by state, and one request's steps: pick (with a printable picking list in shelf
// order), dispatch with the quantities that went and the transport guide, receive with the
// quantities that came, every difference shown before it is recorded. All of it works
// offline: each step is a local action with its outbox entry.

import { useMutation } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, type CartLine, type EstadoSolicitud, type Queued, type RequestDetail, type RequestLineView, type TallerError, type Uuid } from '../api';
import { useAppInfo, useCart, useLocations, useRequestDetail, useRequests } from '../api/hooks';
import { ExportControl } from '../components/ExportControl';
import { FieldMessage, RefusalNotice } from '../components/Problems';
import { requestsExport } from '../domain/export';
import { cartByDestination, canCancel, checkLines, defaultQuantity, ESTADOS, nextStep, type LineForm } from '../domain/transfers';
import { parseWhole, quantityProblem, type FieldProblem } from '../domain/validation';
import { useFormat } from '../i18n';
import { useSession } from '../session/session';
import { ReplenishmentPanel } from './Replenishment';

const DEFAULT_MAX_QUANTITY = 100_000;

function useMaxQuantity(): number {
  return useAppInfo().data?.max_quantity ?? DEFAULT_MAX_QUANTITY;
}

export function EstadoBadge({ estado }: { estado: EstadoSolicitud }) {
  const { t } = useTranslation();
  return <span className={`badge badge--solicitud badge--${estado.toLowerCase()}`}>{t(`transfers.estado.${estado}`)}</span>;
}

// ------------------------------------------------------------------------------ the list

export function TransfersScreen() {
  const { t } = useTranslation();
  const [estado, setEstado] = useState<EstadoSolicitud | null>(null);
  return (
    <section className="screen" aria-labelledby="transfers-title">
      <div className="screen__head">
        <h1 id="transfers-title">{t('transfers.title')}</h1>
      </div>
      <CartPanel />
      <h2 id="requests-title">{t('transfers.requestsTitle')}</h2>
      <div className="choices" role="group" aria-label={t('transfers.filterLabel')}>
        <button type="button" className="choice" aria-pressed={estado === null} onClick={() => setEstado(null)}>
          {t('transfers.all')}
        </button>
        {ESTADOS.map((candidate) => (
          <button key={candidate} type="button" className="choice" aria-pressed={estado === candidate} onClick={() => setEstado(candidate)}>
            {t(`transfers.estado.${candidate}`)}
          </button>
        ))}
      </div>
      <ExportControl list={requestsExport(estado)} />
      <RequestList estado={estado} />
    </section>
  );
}

function RequestList({ estado }: { estado: EstadoSolicitud | null }) {
  const { t } = useTranslation();
  const format = useFormat();
  const requests = useRequests(estado);
  if (requests.error) return <RefusalNotice error={requests.error} />;
  if (requests.isPending) return <p>{t('common.loading')}</p>;
  if (requests.data.length === 0) return <p className="empty">{t('transfers.noRequests')}</p>;
  return (
    <table className="data-table data-table--plain" aria-labelledby="requests-title">
      <thead>
        <tr>
          <th scope="col">{t('transfers.col.estado')}</th>
          <th scope="col">{t('transfers.col.route')}</th>
          <th scope="col">{t('transfers.col.solicitante')}</th>
          <th scope="col">{t('transfers.col.fecha')}</th>
          <th scope="col" className="num">
            {t('transfers.col.lineas')}
          </th>
        </tr>
      </thead>
      <tbody>
        {requests.data.map((request) => (
          <tr key={request.id_solicitud}>
            <td>
              <EstadoBadge estado={request.estado} />
            </td>
            <th scope="row">
              <Link to={`/transfers/${request.id_solicitud}`}>
                {t('transfers.route', { origen: request.origen ?? '?', destino: request.destino ?? '?' })}
              </Link>
            </th>
            <td>{request.solicitante ?? ''}</td>
            <td>{format.dateTime(request.fecha_creacion)}</td>
            <td className="num">{format.number(request.num_lineas)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// ------------------------------------------------------------------------------ the cart

function CartPanel() {
  const { t } = useTranslation();
  const format = useFormat();
  const session = useSession();
  const maxQuantity = useMaxQuantity();
  const cart = useCart();
  const [destination, setDestination] = useState<Uuid>(session.location?.id_localizacion ?? session.locations[0]?.id_localizacion ?? '');
  const [reference, setReference] = useState('');
  const [cantidad, setCantidad] = useState('1');
  const [problem, setProblem] = useState<{ field: 'reference' | 'cantidad'; problem: FieldProblem } | null>(null);
  const referenceInput = useRef<HTMLInputElement>(null);
  const [proposing, setProposing] = useState(false);
  const [preferredOrigin, setPreferredOrigin] = useState<Record<Uuid, Uuid>>({});
  const [added, setAdded] = useState<{ destination: Uuid; lines: number; units: number } | null>(null);
  useEffect(() => {
    if (added) document.getElementById(`cart-${added.destination}-create`)?.focus();
  }, [added]);
  const add = useMutation<Queued, TallerError, { part: string; cantidad: number }>({
    mutationFn: (input) => api.cartAdd({ destination, part: input.part, cantidad: input.cantidad }),
    onSuccess: () => {
      setReference('');
      setCantidad('1');
      referenceInput.current?.focus();
    },
  });
  const onAdd = (event: React.FormEvent) => {
    event.preventDefault();
    if (reference.trim() === '') {
      setProblem({ field: 'reference', problem: { key: 'required' } });
      return;
    }
    const quantity = quantityProblem(cantidad, maxQuantity);
    if (quantity) {
      setProblem({ field: 'cantidad', problem: quantity });
      return;
    }
    setProblem(null);
    add.mutate({ part: reference.trim(), cantidad: parseWhole(cantidad) ?? 1 });
  };
  const groups = cartByDestination(cart.data ?? []);
  return (
    <section className="panel" aria-labelledby="cart-title">
      <h2 id="cart-title">{t('transfers.cartTitle')}</h2>
      <form className="form__row form--cart" onSubmit={onAdd} noValidate>
        <div className="field">
          <label className="field__label" htmlFor="cart-destination">
            {t('transfers.destination')}
          </label>
          <select id="cart-destination" value={destination} onChange={(event) => setDestination(event.target.value)}>
            {session.locations.map((location) => (
              <option key={location.id_localizacion} value={location.id_localizacion}>
                {location.nombre}
              </option>
            ))}
          </select>
        </div>
        <div className="field field--grow">
          <label className="field__label" htmlFor="cart-reference">
            {t('transfers.reference')}
          </label>
          <input
            id="cart-reference"
            ref={referenceInput}
            value={reference}
            autoComplete="off"
            placeholder={t('transfers.referencePlaceholder')}
            onChange={(event) => setReference(event.target.value)}
            aria-invalid={problem?.field === 'reference' || (add.error?.code === 'invalid_input' ? true : undefined)}
            aria-describedby="cart-reference-error"
          />
          <FieldMessage id="cart-reference-error" problem={problem?.field === 'reference' ? problem.problem : undefined} />
        </div>
        <div className="field field--narrow">
          <label className="field__label" htmlFor="cart-cantidad">
            {t('columns.cantidad')}
          </label>
          <input
            id="cart-cantidad"
            inputMode="numeric"
            value={cantidad}
            onChange={(event) => setCantidad(event.target.value)}
            aria-invalid={problem?.field === 'cantidad' ? true : undefined}
            aria-describedby="cart-cantidad-error"
          />
          <FieldMessage id="cart-cantidad-error" problem={problem?.field === 'cantidad' ? problem.problem : undefined} />
        </div>
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={add.isPending}>
            {t('transfers.addToCart')}
          </button>
          <button
            type="button"
            className="button"
            aria-expanded={proposing}
            disabled={destination === ''}
            onClick={() => {
              setAdded(null);
              setProposing((open) => !open);
            }}
          >
            {t('replenish.action')}
          </button>
        </div>
      </form>
      <RefusalNotice error={add.error ?? cart.error ?? null} />
      {proposing && (
        <ReplenishmentPanel
          key={destination}
          destination={destination}
          maxQuantity={maxQuantity}
          onClose={() => setProposing(false)}
          onDone={(origin, done) => {
            setPreferredOrigin((before) => ({ ...before, [destination]: origin }));
            setProposing(false);
            setAdded({ destination, lines: done.added + done.increased, units: Number(done.units) });
          }}
        />
      )}
      {added && (
        <p className="notice notice--info" role="status">
          {t('replenish.added', { count: added.lines, units: format.number(added.units) })}
        </p>
      )}
      {cart.isPending ? (
        <p>{t('common.loading')}</p>
      ) : groups.length === 0 ? (
        <p className="empty">{t('transfers.cartEmpty')}</p>
      ) : (
        groups.map((group) => (
          <CartGroup
            key={group.id_localizacion}
            idLocalizacion={group.id_localizacion}
            destino={group.destino}
            lines={group.lines}
            preferredOrigin={preferredOrigin[group.id_localizacion]}
          />
        ))
      )}
    </section>
  );
}

function CartGroup({
  idLocalizacion,
  destino,
  lines,
  preferredOrigin,
}: {
  idLocalizacion: Uuid;
  destino: string;
  lines: CartLine[];
  preferredOrigin?: Uuid | undefined;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const locations = useLocations();
  const origins = (locations.data ?? []).filter((location) => location.activo && location.id_localizacion !== idLocalizacion);
  const [origin, setOrigin] = useState<Uuid>('');
  const [note, setNote] = useState('');
  const preferred = origins.find((location) => location.id_localizacion === preferredOrigin)?.id_localizacion;
  const chosenOrigin = origin || preferred || origins[0]?.id_localizacion || '';
  const remove = useMutation<Queued, TallerError, Uuid>({ mutationFn: (id) => api.cartRemove(id) });
  const create = useMutation<Queued, TallerError, void>({
    mutationFn: () =>
      api.requestFromCart({ origin: chosenOrigin, destination: idLocalizacion, observaciones_generales: note.trim() === '' ? null : note.trim() }),
    onSuccess: (queued) => {
      const created = (queued.result as { id_solicitud?: string } | null)?.id_solicitud;
      if (created) void navigate(`/transfers/${created}`);
    },
  });
  const titleId = `cart-${idLocalizacion}`;
  return (
    <div className="cart-group">
      <h3 id={titleId}>{t('transfers.cartFor', { destino })}</h3>
      <table className="data-table data-table--plain" aria-labelledby={titleId}>
        <thead>
          <tr>
            <th scope="col" className="col-referencia">
              {t('columns.referencia')}
            </th>
            <th scope="col">{t('columns.nombre')}</th>
            <th scope="col" className="num">
              {t('columns.cantidad')}
            </th>
            <th scope="col">
              <span className="visually-hidden">{t('common.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {lines.map((line) => (
            <tr key={line.id_item_carrito}>
              <th scope="row" className="mono">
                {line.referencia}
              </th>
              <td>{line.nombre}</td>
              <td className="num">{format.number(line.cantidad)}</td>
              <td>
                <button type="button" className="button" disabled={remove.isPending} onClick={() => remove.mutate(line.id_item_carrito)}>
                  {t('transfers.remove')}
                  <span className="visually-hidden">: {line.referencia}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="form__row">
        <div className="field">
          <label className="field__label" htmlFor={`${titleId}-origin`}>
            {t('transfers.origin')}
          </label>
          <select id={`${titleId}-origin`} value={chosenOrigin} onChange={(event) => setOrigin(event.target.value)}>
            {origins.map((location) => (
              <option key={location.id_localizacion} value={location.id_localizacion}>
                {location.nombre}
              </option>
            ))}
          </select>
        </div>
        <div className="field field--grow">
          <label className="field__label" htmlFor={`${titleId}-note`}>
            {t('transfers.note')} <span className="muted">{t('common.optional')}</span>
          </label>
          <input id={`${titleId}-note`} value={note} onChange={(event) => setNote(event.target.value)} />
        </div>
        <div className="form__actions">
          <button
            id={`${titleId}-create`}
            type="button"
            className="button button--primary"
            disabled={create.isPending || chosenOrigin === ''}
            onClick={() => create.mutate()}
          >
            {t('transfers.createRequest', { count: lines.length })}
          </button>
        </div>
      </div>
      <RefusalNotice error={create.error ?? remove.error ?? null} />
    </div>
  );
}

// ------------------------------------------------------------------------------ one request

const FLOW: readonly EstadoSolicitud[] = ['PENDIENTE', 'ALISTAMIENTO', 'DESPACHADO', 'RECIBIDO'];

/** The steps bar: the flow, and the cancel as the last step of a cancelled request. */
function stepsOf(estado: EstadoSolicitud): readonly EstadoSolicitud[] {
  return estado === 'CANCELADO' ? [...FLOW.slice(0, 2), 'CANCELADO'] : FLOW;
}

export function RequestScreen() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const detail = useRequestDetail(id);
  return (
    <section className="screen" aria-labelledby="request-title">
      <Link to="/transfers" className="back-link no-print">
        ← {t('transfers.back')}
      </Link>
      {detail.error ? <RefusalNotice error={detail.error} /> : detail.isPending ? <p>{t('common.loading')}</p> : <RequestView detail={detail.data} />}
    </section>
  );
}

function RequestView({ detail }: { detail: RequestDetail }) {
  const { t } = useTranslation();
  const format = useFormat();
  const session = useSession();
  const maxQuantity = useMaxQuantity();
  const request = detail;
  const step = nextStep(request.estado);
  const atOrigin = session.user.is_admin || session.user.localizaciones.includes(request.id_localizacion_origen);
  const atDestination = session.user.is_admin || session.user.localizaciones.includes(request.id_localizacion_destino);
  const mayAct = step === 'receive' ? atDestination : atOrigin;
  const [form, setForm] = useState<LineForm>({ typed: {} });
  const [guia, setGuia] = useState(request.guia_transporte ?? '');
  const [comment, setComment] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const quantityStep = step === 'dispatch' || step === 'receive' ? step : null;
  const checked = useMemo(
    () => (quantityStep ? checkLines(quantityStep, detail.lineas, form, maxQuantity) : { lines: [], problems: {}, differences: [] }),
    [quantityStep, detail.lineas, form, maxQuantity],
  );
  const reset = () => {
    setForm({ typed: {} });
    setComment('');
    setSubmitted(false);
  };
  const act = useMutation<Queued, TallerError, 'pick' | 'dispatch' | 'receive' | 'cancel'>({
    mutationFn: (action) => {
      const comentario = comment.trim() === '' ? null : comment.trim();
      const base = { id_solicitud: request.id_solicitud, comentario };
      switch (action) {
        case 'pick':
          return api.pickRequest(base);
        case 'dispatch':
          return api.dispatchRequest({ ...base, lines: checked.lines, guia_transporte: guia.trim() === '' ? null : guia.trim() });
        case 'receive':
          return api.receiveRequest({ ...base, lines: checked.lines });
        case 'cancel':
          return api.cancelRequest(base);
      }
    },
    onSuccess: reset,
  });
  const onStep = (action: 'pick' | 'dispatch' | 'receive') => {
    setSubmitted(true);
    if (Object.keys(checked.problems).length > 0) return;
    act.mutate(action);
  };
  const route = t('transfers.route', { origen: request.origen ?? '?', destino: request.destino ?? '?' });
  return (
    <>
      <div className="screen__head">
        <h1 id="request-title">
          {t('transfers.requestTitle', { route })} <EstadoBadge estado={request.estado} />
        </h1>
      </div>
      <ol className="steps" aria-label={t('transfers.stepsLabel')}>
        {stepsOf(request.estado).map((estado) => (
          <li
            key={estado}
            aria-current={request.estado === estado ? 'step' : undefined}
            className={`steps__item${request.estado === estado ? ' steps__item--current' : ''}${estado === 'CANCELADO' ? ' steps__item--cancelled' : ''}`}
          >
            {t(`transfers.estado.${estado}`)}
          </li>
        ))}
      </ol>
      <dl className="facts">
        <div>
          <dt>{t('transfers.col.solicitante')}</dt>
          <dd>{request.solicitante ?? ''}</dd>
        </div>
        <div>
          <dt>{t('transfers.col.fecha')}</dt>
          <dd>{format.dateTime(request.fecha_creacion)}</dd>
        </div>
        {request.guia_transporte && (
          <div>
            <dt>{t('transfers.guia')}</dt>
            <dd className="mono">{request.guia_transporte}</dd>
          </div>
        )}
        {request.observaciones_generales && (
          <div className="facts__wide">
            <dt>{t('transfers.note')}</dt>
            <dd>{request.observaciones_generales}</dd>
          </div>
        )}
      </dl>
      <h2 id="lines-title">{step === 'pick' || step === 'dispatch' ? t('transfers.pickingList') : t('transfers.linesTitle')}</h2>
      <LinesTable lines={detail.lineas} quantityStep={mayAct ? quantityStep : null} form={form} setForm={setForm} problems={submitted ? checked.problems : {}} />
      {quantityStep && mayAct && checked.differences.length > 0 && (
        <div className="notice notice--warning" role="status">
          <p className="notice__title">{t(`transfers.differencesTitle.${quantityStep}`, { count: checked.differences.length })}</p>
          <ul>
            {checked.differences.map(({ line, expected, actual }) => (
              <li key={line.id_detalle}>{t('transfers.difference', { referencia: line.referencia, expected: format.number(expected), actual: format.number(actual) })}</li>
            ))}
          </ul>
        </div>
      )}
      <RefusalNotice error={act.error} />
      {step && mayAct && (
        <div className="form no-print">
          {step === 'dispatch' && (
            <div className="field">
              <label className="field__label" htmlFor="request-guia">
                {t('transfers.guia')} <span className="muted">{t('common.optional')}</span>
              </label>
              <input id="request-guia" value={guia} onChange={(event) => setGuia(event.target.value)} />
            </div>
          )}
          <div className="field">
            <label className="field__label" htmlFor="request-comment">
              {t('transfers.comment')} <span className="muted">{t('common.optional')}</span>
            </label>
            <input id="request-comment" value={comment} onChange={(event) => setComment(event.target.value)} />
          </div>
          <div className="form__actions">
            <button type="button" className="button button--primary button--large" disabled={act.isPending} onClick={() => onStep(step)}>
              {t(`transfers.action.${step}`)}
            </button>
            {(step === 'pick' || step === 'dispatch') && (
              <button type="button" className="button" onClick={() => window.print()}>
                {t('transfers.print')}
              </button>
            )}
            {canCancel(request.estado) && (
              <button type="button" className="button button--danger" disabled={act.isPending} onClick={() => act.mutate('cancel')}>
                {t('transfers.action.cancel')}
              </button>
            )}
          </div>
        </div>
      )}
      {step && !mayAct && <p className="notice notice--info">{t(step === 'receive' ? 'transfers.onlyDestination' : 'transfers.onlyOrigin')}</p>}
      <h2 id="timeline-title">{t('transfers.timelineTitle')}</h2>
      <ol className="timeline" aria-labelledby="timeline-title">
        {detail.trazabilidad.map((entry, index) => (
          <li key={`${entry.fecha_cambio}-${index}`}>
            <time dateTime={entry.fecha_cambio}>{format.dateTime(entry.fecha_cambio)}</time>{' '}
            <strong>{t(`transfers.estado.${entry.estado_nuevo as EstadoSolicitud}`, { defaultValue: entry.estado_nuevo })}</strong>
            {entry.usuario && <> · {entry.usuario}</>}
            {entry.comentario && <> · «{entry.comentario}»</>}
          </li>
        ))}
      </ol>
    </>
  );
}

function LinesTable({
  lines,
  quantityStep,
  form,
  setForm,
  problems,
}: {
  lines: RequestLineView[];
  quantityStep: 'dispatch' | 'receive' | null;
  form: LineForm;
  setForm: (form: LineForm) => void;
  problems: Record<Uuid, FieldProblem>;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  const quantity = (value: number | null) => (value === null ? '—' : format.number(value));
  // A replica outside the origin's scope holds none of its rows: no empty columns then.
  const atOrigin = lines.some((line) => line.posicion !== null || line.stock_origen !== null);
  return (
    <table className="data-table data-table--plain lines-table" aria-labelledby="lines-title">
      <thead>
        <tr>
          {atOrigin && <th scope="col">{t('columns.posicion')}</th>}
          <th scope="col" className="col-referencia">
            {t('columns.referencia')}
          </th>
          <th scope="col">{t('columns.nombre')}</th>
          {atOrigin && (
            <th scope="col" className="num">
              {t('transfers.col.stockOrigen')}
            </th>
          )}
          <th scope="col" className="num">
            {t('transfers.col.solicitada')}
          </th>
          <th scope="col" className="num">
            {t('transfers.col.despachada')}
          </th>
          <th scope="col" className="num">
            {t('transfers.col.recibida')}
          </th>
        </tr>
      </thead>
      <tbody>
        {lines.map((line) => {
          const inputId = `line-${line.id_detalle}`;
          const text = form.typed[line.id_detalle] ?? (quantityStep ? String(defaultQuantity(quantityStep, line)) : '');
          const typed = quantityStep ? parseWhole(text) : null;
          const differs = line.discrepancia || (quantityStep !== null && typed !== null && typed !== defaultQuantity(quantityStep, line));
          const input = (
            <>
              <label className="visually-hidden" htmlFor={inputId}>
                {t(`transfers.quantityFor.${quantityStep ?? 'dispatch'}`, { referencia: line.referencia })}
              </label>
              <input
                id={inputId}
                className="qty-input"
                inputMode="numeric"
                value={text}
                onChange={(event) => setForm({ typed: { ...form.typed, [line.id_detalle]: event.target.value } })}
                aria-invalid={problems[line.id_detalle] ? true : undefined}
                aria-describedby={`${inputId}-error`}
              />
              <FieldMessage id={`${inputId}-error`} problem={problems[line.id_detalle]} />
            </>
          );
          return (
            <tr key={line.id_detalle} className={differs ? 'row--difference' : undefined}>
              {atOrigin && <td className="mono">{line.posicion ?? '—'}</td>}
              <th scope="row" className="mono">
                {line.referencia}
              </th>
              <td>{line.nombre}</td>
              {atOrigin && <td className="num">{quantity(line.stock_origen)}</td>}
              <td className="num">{format.number(line.cantidad_solicitada)}</td>
              <td className="num">
                {quantityStep === 'dispatch' ? input : quantity(line.cantidad_despachada)}
                {quantityStep !== 'dispatch' && line.cantidad_despachada !== null && line.cantidad_despachada !== line.cantidad_solicitada && (
                  <span className="diff-note" title={t('transfers.dispatchedDiffers')}>
                    {' '}
                    ({format.signed(line.cantidad_despachada - line.cantidad_solicitada)})
                  </span>
                )}
              </td>
              <td className="num">
                {quantityStep === 'receive' ? input : quantity(line.cantidad_recibida)}
                {line.discrepancia && <span className="badge badge--bajo diff-mark">{t('transfers.differs')}</span>}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
