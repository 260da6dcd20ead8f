// Warranty claims: report defective units of a part (every field the claim takes), send the
// claim for review, and, for the roles allowed to resolve them (`guarantees.resolve`),
// approve it (the replacement units come into stock) or reject it with a comment. Claims by
// state, and one claim's detail. Every step is a local action with its outbox entry.

import { useMutation } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, type EstadoGarantia, type Queued, type TallerError, type WarrantyDetail } from '../api';
import { useAppInfo, useTechnicians, useWarranties, useWarrantyDetail } from '../api/hooks';
import { ExportControl } from '../components/ExportControl';
import { PartPicker } from '../components/PartPicker';
import { FieldMessage, RefusalNotice } from '../components/Problems';
import {
  canReport,
  editDraftOf,
  emptyWarranty,
  ESTADOS_GARANTIA,
  resolutionProblem,
  validateWarranty,
  validateWarrantyEdit,
  warrantyActions,
  type WarrantyDraft,
  type WarrantyEditDraft,
  type WarrantyEditField,
  type WarrantyErrors,
  type WarrantyField,
} from '../domain/warranties';
import { warrantiesExport } from '../domain/export';
import type { FieldProblem } from '../domain/validation';
import { useFormat } from '../i18n';
import { useSession } from '../session/session';

const DEFAULT_MAX_QUANTITY = 100_000;

export function WarrantyBadge({ estado }: { estado: EstadoGarantia }) {
  const { t } = useTranslation();
  return <span className={`badge badge--garantia badge--garantia-${estado.toLowerCase()}`}>{t(`warranties.estado.${estado}`)}</span>;
}

// ------------------------------------------------------------------------------ the list

export function WarrantiesScreen() {
  const { t } = useTranslation();
  const session = useSession();
  const [estado, setEstado] = useState<EstadoGarantia | null>(null);
  const mayReport = session.locations.some((location) => canReport(session.user, location.id_localizacion));
  return (
    <section className="screen" aria-labelledby="warranties-title">
      <div className="screen__head warranties-head">
        <h1 id="warranties-title">{t('warranties.title')}</h1>
        {mayReport && (
          <Link to="/warranties/new" className="button button--primary button--large button--link">
            <span aria-hidden="true">+</span> {t('warranties.new')}
          </Link>
        )}
      </div>
      <div className="choices" role="group" aria-label={t('warranties.filterLabel')}>
        <button type="button" className="choice" aria-pressed={estado === null} onClick={() => setEstado(null)}>
          {t('warranties.all')}
        </button>
        {ESTADOS_GARANTIA.map((candidate) => (
          <button key={candidate} type="button" className="choice" aria-pressed={estado === candidate} onClick={() => setEstado(candidate)}>
            {t(`warranties.estado.${candidate}`)}
          </button>
        ))}
      </div>
      <ExportControl list={warrantiesExport(estado)} />
      <WarrantyList estado={estado} />
    </section>
  );
}

function WarrantyList({ estado }: { estado: EstadoGarantia | null }) {
  const { t } = useTranslation();
  const format = useFormat();
  const warranties = useWarranties(estado);
  if (warranties.error) return <RefusalNotice error={warranties.error} />;
  if (warranties.isPending) return <p>{t('common.loading')}</p>;
  if (warranties.data.length === 0) return <p className="empty">{t('warranties.none')}</p>;
  return (
    <table className="data-table data-table--plain warranty-list" aria-label={t('warranties.listLabel')}>
      <thead>
        <tr>
          <th scope="col">{t('warranties.col.estado')}</th>
          <th scope="col">{t('warranties.col.repuesto')}</th>
          <th scope="col">{t('warranties.col.sede')}</th>
          <th scope="col" className="num">
            {t('warranties.col.cantidad')}
          </th>
          <th scope="col">{t('warranties.col.solicitante')}</th>
          <th scope="col">{t('warranties.col.reporta')}</th>
          <th scope="col">{t('warranties.col.fecha')}</th>
        </tr>
      </thead>
      <tbody>
        {warranties.data.map((claim) => (
          <tr key={claim.id_garantia}>
            <td>
              <WarrantyBadge estado={claim.estado} />
            </td>
            <th scope="row" className="warranty-list__part">
              <Link to={`/warranties/${claim.id_garantia}`}>
                <span className="mono">{claim.referencia ?? '?'}</span>
              </Link>
              <span className="warranty-list__name">{claim.nombre ?? ''}</span>
            </th>
            <td className="nowrap">{claim.localizacion ?? ''}</td>
            <td className="num">{format.number(claim.cantidad)}</td>
            <td className="nowrap">{claim.solicitante ?? ''}</td>
            <td className="nowrap">{claim.usuario_reporta ?? ''}</td>
            <td className="nowrap">{format.dateTime(claim.fecha_reporte)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// ------------------------------------------------------------------------------ a new claim

const FIELD_ORDER: WarrantyField[] = ['id_localizacion', 'part', 'cantidad', 'motivo_falla', 'kilometraje', 'url_evidencia_foto'];

export function NewWarrantyScreen() {
  const { t } = useTranslation();
  const session = useSession();
  const navigate = useNavigate();
  const maxQuantity = useAppInfo().data?.max_quantity ?? DEFAULT_MAX_QUANTITY;
  const allowed = useMemo(() => session.locations.filter((location) => canReport(session.user, location.id_localizacion)), [session]);
  const initial = session.location && canReport(session.user, session.location.id_localizacion) ? session.location.id_localizacion : (allowed[0]?.id_localizacion ?? '');
  const [draft, setDraft] = useState<WarrantyDraft>(() => emptyWarranty(initial));
  const [submitted, setSubmitted] = useState(false);
  const technicians = useTechnicians(draft.id_localizacion);
  const fieldRefs = useRef<Partial<Record<WarrantyField, HTMLElement | null>>>({});
  const partInput = useRef<HTMLInputElement>(null);
  const checked = validateWarranty(draft, maxQuantity);
  const errors: WarrantyErrors = submitted ? checked.errors : {};
  const create = useMutation<Queued, TallerError, NonNullable<typeof checked.input>>({
    mutationFn: (input) => api.createWarranty(input),
    onSuccess: (queued) => {
      const created = (queued.result as { id_garantia?: string } | null)?.id_garantia;
      if (created) void navigate(`/warranties/${created}`);
    },
  });
  const update = (change: Partial<WarrantyDraft>) => {
    setDraft((current) => ({ ...current, ...change }));
    if (create.error) create.reset();
  };

  // A technician that works at the location, or nobody.
  useEffect(() => {
    const list = technicians.data;
    if (list && draft.technician !== '' && !list.some((technician) => technician.id_usuario === draft.technician)) {
      setDraft((current) => ({ ...current, technician: '' }));
    }
  }, [technicians.data, draft.technician]);

  if (allowed.length === 0) {
    return (
      <section className="screen">
        <Link to="/warranties" className="back-link">
          ← {t('warranties.back')}
        </Link>
        <h1>{t('warranties.newTitle')}</h1>
        <p className="notice notice--info">{t('warranties.notAllowed')}</p>
      </section>
    );
  }

  const onSubmit = (event: React.FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!checked.input) {
      const first = FIELD_ORDER.find((field) => checked.errors[field]);
      if (first === 'part') partInput.current?.focus();
      else if (first) fieldRefs.current[first]?.focus();
      return;
    }
    create.mutate(checked.input);
  };
  const invalid = (field: WarrantyField) => (errors[field] ? true : undefined);
  const described = (field: WarrantyField, hint = false) => [hint ? `warranty-${field}-hint` : null, errors[field] ? `warranty-${field}-error` : null].filter(Boolean).join(' ') || undefined;
  const ref = (field: WarrantyField) => (element: HTMLElement | null) => {
    fieldRefs.current[field] = element;
  };

  return (
    <section className="screen" aria-labelledby="warranty-new-title">
      <Link to="/warranties" className="back-link">
        ← {t('warranties.back')}
      </Link>
      <div className="screen__head">
        <h1 id="warranty-new-title">{t('warranties.newTitle')}</h1>
        <p className="lead">{t('warranties.newLead')}</p>
      </div>
      <form className="form form--warranty" onSubmit={onSubmit} noValidate>
        <div className="form__row">
          <div className="field">
            <label className="field__label" htmlFor="warranty-location">
              {t('warranties.field.location')}
            </label>
            <select
              id="warranty-location"
              ref={ref('id_localizacion')}
              value={draft.id_localizacion}
              onChange={(event) => update({ id_localizacion: event.target.value, part: null, partText: '' })}
              aria-invalid={invalid('id_localizacion')}
              aria-describedby={described('id_localizacion')}
            >
              {allowed.map((location) => (
                <option key={location.id_localizacion} value={location.id_localizacion}>
                  {location.nombre}
                </option>
              ))}
            </select>
            <FieldMessage id="warranty-id_localizacion-error" problem={errors.id_localizacion} />
          </div>
          <div className="field field--narrow warranty-units">
            <label className="field__label" htmlFor="warranty-cantidad">
              {t('warranties.field.cantidad')}
            </label>
            <input
              id="warranty-cantidad"
              ref={ref('cantidad')}
              className="qty-input"
              inputMode="numeric"
              autoComplete="off"
              value={draft.cantidad}
              onChange={(event) => update({ cantidad: event.target.value })}
              aria-invalid={invalid('cantidad')}
              aria-describedby={described('cantidad')}
            />
            <FieldMessage id="warranty-cantidad-error" problem={errors.cantidad} />
          </div>
          <div className="field">
            <label className="field__label" htmlFor="warranty-technician">
              {t('warranties.field.technician')} <span className="muted">{t('common.optional')}</span>
            </label>
            <select id="warranty-technician" value={draft.technician} onChange={(event) => update({ technician: event.target.value })}>
              <option value="">{t('warranties.field.nobody')}</option>
              {(technicians.data ?? []).map((technician) => (
                <option key={technician.id_usuario} value={technician.id_usuario}>
                  {technician.nombre_completo ?? technician.email}
                </option>
              ))}
            </select>
          </div>
        </div>
        <PartPicker
          ref={partInput}
          idLocalizacion={draft.id_localizacion}
          text={draft.partText}
          part={draft.part}
          onText={(text) => update({ partText: text, part: draft.part && text === draft.part.referencia ? draft.part : null })}
          onPick={(found, text) => update({ part: found, partText: text })}
          problem={errors.part}
        />
        <ClaimDetailFields
          prefix="warranty"
          draft={draft}
          errors={errors}
          update={update}
          fieldRef={ref}
          hint
        />
        <RefusalNotice error={create.error} />
        <div className="form__actions">
          <button type="submit" className="button button--primary button--large" disabled={create.isPending}>
            {t('warranties.create')}
          </button>
          <Link to="/warranties" className="button button--link">
            {t('common.cancel')}
          </Link>
        </div>
      </form>
    </section>
  );
}

/** The claim's account of the failure, the same on the new-claim form and on a draft's edit
 * form: the fault (required), who asked, the mileage, the order and the photo. Ids are
 * `<prefix>-<field>`, errors `<prefix>-<field>-error`. */
type ClaimDetail = Pick<WarrantyDraft, 'motivo_falla' | 'solicitante' | 'kilometraje' | 'numero_orden' | 'url_evidencia_foto'>;
type ClaimDetailField = 'motivo_falla' | 'kilometraje' | 'url_evidencia_foto';

function ClaimDetailFields({
  prefix,
  draft,
  errors,
  update,
  fieldRef,
  hint = false,
}: {
  prefix: string;
  draft: ClaimDetail;
  errors: Partial<Record<ClaimDetailField, FieldProblem>>;
  update: (change: Partial<ClaimDetail>) => void;
  fieldRef: (field: ClaimDetailField) => (element: HTMLElement | null) => void;
  /** The fault's hint beside its label (the new-claim form). */
  hint?: boolean;
}) {
  const { t } = useTranslation();
  const invalid = (field: ClaimDetailField) => (errors[field] ? true : undefined);
  const described = (field: ClaimDetailField, withHint = false) =>
    [withHint ? `${prefix}-${field}-hint` : null, errors[field] ? `${prefix}-${field}-error` : null].filter(Boolean).join(' ') || undefined;
  return (
    <>
      <div className="field">
        <label className="field__label" htmlFor={`${prefix}-motivo`}>
          {t('warranties.field.motivo')}{' '}
          {hint && (
            <span id={`${prefix}-motivo_falla-hint`} className="field__hint">
              {t('warranties.field.motivoHint')}
            </span>
          )}
        </label>
        <textarea
          id={`${prefix}-motivo`}
          ref={fieldRef('motivo_falla')}
          rows={2}
          maxLength={2000}
          value={draft.motivo_falla}
          onChange={(event) => update({ motivo_falla: event.target.value })}
          aria-invalid={invalid('motivo_falla')}
          aria-describedby={described('motivo_falla', hint)}
        />
        <FieldMessage id={`${prefix}-motivo_falla-error`} problem={errors.motivo_falla} />
      </div>
      <div className="form__row">
        <div className="field">
          <label className="field__label" htmlFor={`${prefix}-solicitante`}>
            {t('warranties.field.solicitante')} <span className="muted">{t('common.optional')}</span>
          </label>
          <input id={`${prefix}-solicitante`} maxLength={200} autoComplete="off" value={draft.solicitante} onChange={(event) => update({ solicitante: event.target.value })} />
        </div>
        <div className="field field--narrow warranty-km">
          <label className="field__label" htmlFor={`${prefix}-kilometraje`}>
            {t('warranties.field.kilometraje')} <span className="muted">{t('common.optional')}</span>
          </label>
          <input
            id={`${prefix}-kilometraje`}
            ref={fieldRef('kilometraje')}
            inputMode="numeric"
            autoComplete="off"
            value={draft.kilometraje}
            onChange={(event) => update({ kilometraje: event.target.value })}
            aria-invalid={invalid('kilometraje')}
            aria-describedby={described('kilometraje')}
          />
          <FieldMessage id={`${prefix}-kilometraje-error`} problem={errors.kilometraje} />
        </div>
        <div className="field">
          <label className="field__label" htmlFor={`${prefix}-orden`}>
            {t('columns.numero_orden')} <span className="muted">{t('common.optional')}</span>
          </label>
          <input id={`${prefix}-orden`} maxLength={100} autoComplete="off" value={draft.numero_orden} onChange={(event) => update({ numero_orden: event.target.value })} />
        </div>
      </div>
      <div className="field">
        <label className="field__label" htmlFor={`${prefix}-foto`}>
          {t('warranties.field.foto')} <span className="muted">{t('common.optional')}</span>
        </label>
        <input
          id={`${prefix}-foto`}
          ref={fieldRef('url_evidencia_foto')}
          type="url"
          autoComplete="off"
          placeholder="https://"
          maxLength={2000}
          value={draft.url_evidencia_foto}
          onChange={(event) => update({ url_evidencia_foto: event.target.value })}
          aria-invalid={invalid('url_evidencia_foto')}
          aria-describedby={described('url_evidencia_foto')}
        />
        <FieldMessage id={`${prefix}-url_evidencia_foto-error`} problem={errors.url_evidencia_foto} />
      </div>
    </>
  );
}

// ------------------------------------------------------------------------------ one claim

export function WarrantyScreen() {
  const { id = '' } = useParams();
  const { t } = useTranslation();
  const detail = useWarrantyDetail(id);
  return (
    <section className="screen" aria-labelledby="warranty-title">
      <Link to="/warranties" className="back-link">
        ← {t('warranties.back')}
      </Link>
      {detail.error ? <RefusalNotice error={detail.error} /> : detail.isPending ? <p>{t('common.loading')}</p> : <WarrantyView detail={detail.data} />}
    </section>
  );
}

const STEPS = ['SIN_ENVIAR', 'PENDIENTE', 'resolved'] as const;

type Action = 'submit' | 'approve' | 'reject';

function WarrantyView({ detail }: { detail: WarrantyDetail }) {
  const { t } = useTranslation();
  const format = useFormat();
  const session = useSession();
  const actions = warrantyActions(session.user, detail);
  const [comment, setComment] = useState('');
  const [problem, setProblem] = useState<FieldProblem | null>(null);
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const act = useMutation<Queued, TallerError, Action>({
    mutationFn: (action) => {
      const comentarios_resolucion = comment.trim() === '' ? null : comment.trim();
      switch (action) {
        case 'submit':
          return api.submitWarranty(detail.id_garantia);
        case 'approve':
          return api.approveWarranty({ id_garantia: detail.id_garantia, comentarios_resolucion });
        case 'reject':
          return api.rejectWarranty({ id_garantia: detail.id_garantia, comentarios_resolucion });
      }
    },
    onSuccess: () => {
      setComment('');
      setProblem(null);
    },
  });
  const resolve = (action: 'approve' | 'reject') => {
    const found = resolutionProblem(action, comment);
    setProblem(found);
    if (!found) act.mutate(action);
  };
  const current = detail.estado === 'APROBADA' || detail.estado === 'RECHAZADA' ? 'resolved' : detail.estado;
  const resolved = current === 'resolved';
  return (
    <>
      <div className="screen__head">
        <h1 id="warranty-title">
          {t('warranties.claimTitle', { referencia: detail.referencia ?? '?' })} <WarrantyBadge estado={detail.estado} />
        </h1>
        <p className="lead warranty-part">{detail.nombre ?? ''}</p>
      </div>
      <ol className="steps" aria-label={t('warranties.stepsLabel')}>
        {STEPS.map((step) => (
          <li
            key={step}
            aria-current={current === step ? 'step' : undefined}
            className={`steps__item${current === step ? ' steps__item--current' : ''}${step === 'resolved' && detail.estado === 'RECHAZADA' ? ' steps__item--cancelled' : ''}`}
          >
            {step === 'resolved' ? (resolved ? t(`warranties.estado.${detail.estado}`) : t('warranties.steps.resolved')) : t(`warranties.estado.${step}`)}
          </li>
        ))}
      </ol>
      <dl className="facts warranty-facts">
        <div>
          <dt>{t('warranties.col.sede')}</dt>
          <dd>{detail.localizacion ?? ''}</dd>
        </div>
        <div>
          <dt>{t('warranties.field.cantidad')}</dt>
          <dd className="big-number">{format.number(detail.cantidad)}</dd>
        </div>
        <div>
          <dt>{t('warranties.field.technician')}</dt>
          <dd>{detail.tecnico_asociado ?? '—'}</dd>
        </div>
        <div>
          <dt>{t('warranties.field.solicitante')}</dt>
          <dd>{detail.solicitante ?? '—'}</dd>
        </div>
        <div>
          <dt>{t('warranties.field.kilometraje')}</dt>
          <dd>{detail.kilometraje === null ? '—' : t('warranties.km', { km: format.number(detail.kilometraje) })}</dd>
        </div>
        <div>
          <dt>{t('columns.numero_orden')}</dt>
          <dd>{detail.numero_orden ?? '—'}</dd>
        </div>
        <div>
          <dt>{t('warranties.col.reporta')}</dt>
          <dd>{detail.usuario_reporta ?? ''}</dd>
        </div>
        <div>
          <dt>{t('warranties.col.fecha')}</dt>
          <dd>{format.dateTime(detail.fecha_reporte)}</dd>
        </div>
        <div className="facts__wide">
          <dt>{t('warranties.field.motivo')}</dt>
          <dd className="warranty-motivo">{detail.motivo_falla}</dd>
        </div>
        {detail.url_evidencia_foto && (
          <div className="facts__wide">
            <dt>{t('warranties.field.foto')}</dt>
            <dd className="mono warranty-url">{detail.url_evidencia_foto}</dd>
          </div>
        )}
      </dl>
      {resolved && (
        <section className={`panel warranty-resolution warranty-resolution--${detail.estado.toLowerCase()}`} aria-labelledby="warranty-resolution-title">
          <h2 id="warranty-resolution-title">{t(`warranties.resolution.${detail.estado === 'APROBADA' ? 'approved' : 'rejected'}`)}</h2>
          <dl className="facts warranty-resolution__facts">
            {detail.fecha_resolucion && (
              <div>
                <dt>{t('warranties.resolution.at')}</dt>
                <dd>{format.dateTime(detail.fecha_resolucion)}</dd>
              </div>
            )}
            <div className="warranty-resolution__comment">
              <dt>{t('warranties.comment')}</dt>
              <dd>{detail.comentarios_resolucion ?? '—'}</dd>
            </div>
          </dl>
          {detail.ingreso && (
            <p className="warranty-ingreso">
              {t('warranties.ingreso', {
                cantidad: format.number(detail.ingreso.diferencia),
                sede: detail.ingreso.localizacion,
                anterior: format.number(detail.ingreso.cantidad_anterior),
                nueva: format.number(detail.ingreso.cantidad_nueva),
              })}
            </p>
          )}
        </section>
      )}
      {act.isSuccess && !resolved && detail.estado === 'PENDIENTE' && (
        <p className="notice notice--success" role="status">
          {t('warranties.submitted')}
        </p>
      )}
      {saved && !editing && (
        <p className="notice notice--success" role="status" data-testid="warranty-saved">
          {t('warranties.saved')}
        </p>
      )}
      <RefusalNotice error={act.error} />
      {actions.edit && editing && (
        <WarrantyEditForm
          detail={detail}
          onClose={(wasSaved) => {
            setEditing(false);
            setSaved(wasSaved);
            // Back to the button that opened the form, for the keyboard.
            setTimeout(() => editButton.current?.focus(), 0);
          }}
        />
      )}
      {actions.submit && !editing && (
        <div className="form__actions warranty-actions">
          <button type="button" className="button button--primary button--large" disabled={act.isPending} onClick={() => act.mutate('submit')}>
            {t('warranties.submit')}
          </button>
          {actions.edit && (
            <button
              ref={editButton}
              type="button"
              className="button button--large"
              disabled={act.isPending}
              onClick={() => {
                setEditing(true);
                setSaved(false);
              }}
            >
              {t('warranties.edit')}
            </button>
          )}
          <span className="muted">{t('warranties.submitHint')}</span>
        </div>
      )}
      {actions.resolve && (
        <section className="panel warranty-resolve" aria-labelledby="warranty-resolve-title">
          <h2 id="warranty-resolve-title">{t('warranties.resolveTitle')}</h2>
          <div className="field">
            <label className="field__label" htmlFor="warranty-comment">
              {t('warranties.comment')} <span className="field__hint">{t('warranties.commentHint')}</span>
            </label>
            <textarea
              id="warranty-comment"
              rows={2}
              maxLength={2000}
              value={comment}
              onChange={(event) => {
                setComment(event.target.value);
                setProblem(null);
              }}
              aria-invalid={problem ? true : undefined}
              aria-describedby="warranty-comment-error"
            />
            <FieldMessage id="warranty-comment-error" problem={problem ?? undefined} />
          </div>
          <div className="form__actions">
            <button type="button" className="button button--primary button--large" disabled={act.isPending} onClick={() => resolve('approve')}>
              {t('warranties.approve')}
            </button>
            <button type="button" className="button button--danger button--large" disabled={act.isPending} onClick={() => resolve('reject')}>
              {t('warranties.reject')}
            </button>
          </div>
        </section>
      )}
      {detail.estado === 'PENDIENTE' && !actions.resolve && <p className="notice notice--info">{t('warranties.waitsReview')}</p>}
    </>
  );
}

// ------------------------------------------------------------------------------ editing a draft

const EDIT_ORDER: WarrantyEditField[] = ['cantidad', 'motivo_falla', 'kilometraje', 'url_evidencia_foto'];

/** The claim's fields, editable while it is a draft; only what changed is sent. Escape or
 * "Cancelar" closes it without saving. */
function WarrantyEditForm({ detail, onClose }: { detail: WarrantyDetail; onClose: (saved: boolean) => void }) {
  const { t } = useTranslation();
  const maxQuantity = useAppInfo().data?.max_quantity ?? DEFAULT_MAX_QUANTITY;
  const technicians = useTechnicians(detail.id_localizacion);
  const [draft, setDraft] = useState<WarrantyEditDraft>(() => editDraftOf(detail));
  const [submitted, setSubmitted] = useState(false);
  const fieldRefs = useRef<Partial<Record<WarrantyEditField, HTMLElement | null>>>({});
  const checked = validateWarrantyEdit(detail, draft, maxQuantity);
  const errors = submitted ? checked.errors : {};
  const save = useMutation<Queued, TallerError, NonNullable<typeof checked.input>>({
    mutationFn: (input) => api.editWarranty(input),
    onSuccess: () => onClose(true),
  });
  useEffect(() => fieldRefs.current.cantidad?.focus(), []);
  const update = (change: Partial<WarrantyEditDraft>) => {
    setDraft((current) => ({ ...current, ...change }));
    if (save.error) save.reset();
  };
  const onSubmit = (event: React.FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!checked.input) {
      const first = EDIT_ORDER.find((field) => checked.errors[field]);
      if (first) fieldRefs.current[first]?.focus();
      return;
    }
    save.mutate(checked.input);
  };
  const invalid = (field: WarrantyEditField) => (errors[field] ? true : undefined);
  const described = (field: WarrantyEditField) => (errors[field] ? `warranty-edit-${field}-error` : undefined);
  const ref = (field: WarrantyEditField) => (element: HTMLElement | null) => {
    fieldRefs.current[field] = element;
  };
  // Technicians of the location, and the one the claim names even when the list lacks them.
  const options = technicians.data ?? [];
  const named = detail.id_tecnico_asociado && !options.some((technician) => technician.id_usuario === detail.id_tecnico_asociado);
  return (
    <form
      className="panel form form--warranty warranty-edit"
      aria-labelledby="warranty-edit-title"
      onSubmit={onSubmit}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          onClose(false);
        }
      }}
      noValidate
    >
      <h2 id="warranty-edit-title">{t('warranties.editTitle')}</h2>
      <p className="muted">{t('warranties.editHint')}</p>
      <div className="form__row">
        <div className="field field--narrow warranty-units">
          <label className="field__label" htmlFor="warranty-edit-cantidad">
            {t('warranties.field.cantidad')}
          </label>
          <input
            id="warranty-edit-cantidad"
            ref={ref('cantidad')}
            className="qty-input"
            inputMode="numeric"
            autoComplete="off"
            value={draft.cantidad}
            onChange={(event) => update({ cantidad: event.target.value })}
            aria-invalid={invalid('cantidad')}
            aria-describedby={described('cantidad')}
          />
          <FieldMessage id="warranty-edit-cantidad-error" problem={errors.cantidad} />
        </div>
        <div className="field">
          <label className="field__label" htmlFor="warranty-edit-technician">
            {t('warranties.field.technician')} <span className="muted">{t('common.optional')}</span>
          </label>
          <select id="warranty-edit-technician" value={draft.technician} onChange={(event) => update({ technician: event.target.value })}>
            <option value="">{t('warranties.field.nobody')}</option>
            {named && <option value={detail.id_tecnico_asociado ?? ''}>{detail.tecnico_asociado ?? detail.id_tecnico_asociado}</option>}
            {options.map((technician) => (
              <option key={technician.id_usuario} value={technician.id_usuario}>
                {technician.nombre_completo ?? technician.email}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ClaimDetailFields prefix="warranty-edit" draft={draft} errors={errors} update={update} fieldRef={ref} />
      {submitted && checked.unchanged && (
        <p className="notice notice--info" role="status">
          {t('warranties.unchanged')}
        </p>
      )}
      <RefusalNotice error={save.error} />
      <div className="form__actions">
        <button type="submit" className="button button--primary button--large" disabled={save.isPending}>
          {t('warranties.save')}
        </button>
        <button type="button" className="button button--link" onClick={() => onClose(false)}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
