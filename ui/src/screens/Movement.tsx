// The technician movement: scan or search the part, concept and type, quantity, technician,
// order number. It is a local action (the replica and its outbox), so it works with the
// server unreachable; the stock it leaves is shown at once.

import { useMutation } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type Concepto, type MovementInput, type PartMatch, type Queued, type TallerError, type TipoMovimiento, type Value } from '../api';
import { useAppInfo, useMovementConcepts, useStatus, useTechnicians } from '../api/hooks';
import { PartPicker } from '../components/PartPicker';
import { FieldMessage, RefusalNotice } from '../components/Problems';
import { emptyMovement, fieldOfRejection, validateMovement, type MovementDraft, type MovementErrors, type MovementField } from '../domain/movement';
import { useFormat } from '../i18n';
import { useSession } from '../session/session';

/** Used until `app_info` answers: the domain's MAX_QUANTITY. */
const DEFAULT_MAX_QUANTITY = 100_000;

const FIELD_ORDER: MovementField[] = ['id_localizacion', 'part', 'concepto', 'tipo', 'cantidad', 'id_tecnico_asignado', 'numero_orden'];

interface Recorded {
  part: PartMatch;
  input: MovementInput;
  queued: Queued;
}

export function MovementScreen() {
  const { t } = useTranslation();
  const format = useFormat();
  const session = useSession();
  const appInfo = useAppInfo();
  const concepts = useMovementConcepts();
  const status = useStatus();
  const allowed = useMemo(() => session.locations.filter((location) => session.canMoveAt(location.id_localizacion)), [session]);
  const initialLocation = session.location && session.canMoveAt(session.location.id_localizacion) ? session.location.id_localizacion : (allowed[0]?.id_localizacion ?? '');
  const [draft, setDraft] = useState<MovementDraft>(() => emptyMovement(initialLocation, session.user.id_usuario));
  const [errors, setErrors] = useState<MovementErrors>({});
  const [submitted, setSubmitted] = useState(false);
  const [recorded, setRecorded] = useState<Recorded | null>(null);
  const technicians = useTechnicians(draft.id_localizacion);
  const partInput = useRef<HTMLInputElement>(null);
  const fieldRefs = useRef<Partial<Record<MovementField, HTMLElement | null>>>({});

  const rules = useMemo(
    () => ({ maxQuantity: appInfo.data?.max_quantity ?? DEFAULT_MAX_QUANTITY, concepts: concepts.data ?? [] }),
    [appInfo.data, concepts.data],
  );
  const concept = rules.concepts.find((info) => info.concepto === draft.concepto);

  const record = useMutation<Queued, TallerError, { input: MovementInput; part: PartMatch }>({
    mutationFn: ({ input }) => api.recordMovement(input),
    onSuccess: (queued, { input, part }) => {
      setRecorded({ part, input, queued });
      // Ready for the next part of the same order: keep concept, type, technician, order.
      setDraft((current) => ({ ...current, part: null, partText: '', cantidad: '' }));
      setSubmitted(false);
      setErrors({});
      partInput.current?.focus();
    },
  });

  const update = (change: Partial<MovementDraft>) => {
    setDraft((current) => ({ ...current, ...change }));
    if (record.error) record.reset();
  };

  // After a first attempt, the messages follow what the person fixes.
  useEffect(() => {
    if (submitted) setErrors(validateMovement(draft, rules).errors);
  }, [draft, rules, submitted]);

  // A location the person may record at, always (the list can change with a pull).
  useEffect(() => {
    if (!allowed.some((location) => location.id_localizacion === draft.id_localizacion) && allowed[0]) {
      const first = allowed[0].id_localizacion;
      setDraft((current) => ({ ...current, id_localizacion: first, part: null, partText: '' }));
    }
  }, [allowed, draft.id_localizacion]);

  // The technician defaults to the person recording, when they work at that location.
  useEffect(() => {
    const list = technicians.data;
    if (!list || list.length === 0) return;
    if (!list.some((technician) => technician.id_usuario === draft.id_tecnico_asignado)) {
      const me = list.find((technician) => technician.id_usuario === session.user.id_usuario);
      setDraft((current) => ({ ...current, id_tecnico_asignado: (me ?? list[0])?.id_usuario ?? '' }));
    }
  }, [technicians.data, draft.id_tecnico_asignado, session.user.id_usuario]);

  const onSubmit = (event: React.FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    const { errors: found, input } = validateMovement(draft, rules);
    setErrors(found);
    if (!input || !draft.part) {
      const firstInvalid = FIELD_ORDER.find((field) => found[field]);
      if (firstInvalid === 'part') partInput.current?.focus();
      else if (firstInvalid) fieldRefs.current[firstInvalid]?.focus();
      return;
    }
    record.mutate({ input, part: draft.part });
  };

  const refusalField = record.error ? fieldOfRejection(record.error.code) : null;
  const refusalFor = (field: MovementField) => (refusalField === field ? record.error?.message : undefined);
  const described = (field: MovementField) => (errors[field] || refusalFor(field) ? `movement-${field}-error` : undefined);
  const invalid = (field: MovementField) => (errors[field] || refusalFor(field) ? true : undefined);

  if (allowed.length === 0) {
    return (
      <section className="screen">
        <h1>{t('movement.title')}</h1>
        <p className="notice">{t('movement.notAllowed')}</p>
      </section>
    );
  }

  return (
    <section className="screen" aria-labelledby="movement-title">
      <h1 id="movement-title">{t('movement.title')}</h1>
      {status.data && !status.data.online && (
        <p className="notice notice--info" role="note">
          {t('movement.offline')}
        </p>
      )}
      <form className="form form--movement" onSubmit={onSubmit} noValidate aria-describedby={record.error && !refusalField ? 'movement-refusal' : undefined}>
        <div className="field">
          <label className="field__label" htmlFor="movement-location">
            {t('columns.localizacion')}
          </label>
          <select
            id="movement-location"
            ref={(element) => {
              fieldRefs.current.id_localizacion = element;
            }}
            value={draft.id_localizacion}
            onChange={(event) => update({ id_localizacion: event.target.value, part: null, partText: '' })}
            aria-invalid={invalid('id_localizacion')}
            aria-describedby={described('id_localizacion')}
            required
          >
            {allowed.map((location) => (
              <option key={location.id_localizacion} value={location.id_localizacion}>
                {location.nombre}
              </option>
            ))}
          </select>
          <FieldMessage id="movement-id_localizacion-error" problem={errors.id_localizacion} refusal={refusalFor('id_localizacion')} />
        </div>

        <PartPicker
          ref={partInput}
          idLocalizacion={draft.id_localizacion}
          text={draft.partText}
          part={draft.part}
          onText={(text) => update({ partText: text, part: null })}
          onPick={(part, text) => update({ part, partText: text })}
          problem={errors.part}
          refusal={refusalFor('part')}
        />

        <div className="form__row">
          <div className="field">
            <label className="field__label" htmlFor="movement-concepto">
              {t('columns.concepto')}
            </label>
            <select
              id="movement-concepto"
              ref={(element) => {
                fieldRefs.current.concepto = element;
              }}
              value={draft.concepto}
              onChange={(event) => {
                const next = event.target.value as Concepto;
                const info = rules.concepts.find((candidate) => candidate.concepto === next);
                update({ concepto: next, tipo: info?.tipos[0] ?? '' });
              }}
              aria-invalid={invalid('concepto')}
              aria-describedby={described('concepto')}
              required
            >
              {rules.concepts.map((info) => (
                <option key={info.concepto} value={info.concepto}>
                  {t(`conceptos.${info.concepto}`)}
                </option>
              ))}
            </select>
            <FieldMessage id="movement-concepto-error" problem={errors.concepto} />
          </div>
          <div className="field">
            <label className="field__label" htmlFor="movement-tipo">
              {t('columns.tipo_movimiento')}
            </label>
            <select
              id="movement-tipo"
              ref={(element) => {
                fieldRefs.current.tipo = element;
              }}
              value={draft.tipo}
              onChange={(event) => update({ tipo: event.target.value as TipoMovimiento })}
              aria-invalid={invalid('tipo')}
              aria-describedby={described('tipo')}
              required
            >
              {(concept?.tipos ?? []).map((tipo) => (
                <option key={tipo} value={tipo}>
                  {t(`tipos.${tipo}`)}
                </option>
              ))}
            </select>
            <FieldMessage id="movement-tipo-error" problem={errors.tipo} refusal={refusalFor('tipo')} />
          </div>
          <div className="field field--narrow">
            <label className="field__label" htmlFor="movement-cantidad">
              {t('columns.cantidad')}
            </label>
            <input
              id="movement-cantidad"
              ref={(element) => {
                fieldRefs.current.cantidad = element;
              }}
              inputMode="numeric"
              autoComplete="off"
              value={draft.cantidad}
              onChange={(event) => update({ cantidad: event.target.value })}
              aria-invalid={invalid('cantidad')}
              aria-describedby={described('cantidad')}
              aria-required="true"
            />
            <FieldMessage id="movement-cantidad-error" problem={errors.cantidad} refusal={refusalFor('cantidad')} />
          </div>
        </div>
        {concept && !concept.moves_stock && <p className="field__hint">{t('movement.quoteMovesNothing')}</p>}

        <div className="form__row">
          <div className="field">
            <label className="field__label" htmlFor="movement-tecnico">
              {t('columns.tecnico')}
            </label>
            <select
              id="movement-tecnico"
              ref={(element) => {
                fieldRefs.current.id_tecnico_asignado = element;
              }}
              value={draft.id_tecnico_asignado}
              onChange={(event) => update({ id_tecnico_asignado: event.target.value })}
              aria-invalid={invalid('id_tecnico_asignado')}
              aria-describedby={described('id_tecnico_asignado')}
              required
            >
              {(technicians.data ?? []).length === 0 && <option value="">{t('movement.noTechnicians')}</option>}
              {(technicians.data ?? []).map((technician) => (
                <option key={technician.id_usuario} value={technician.id_usuario}>
                  {technician.nombre_completo}
                </option>
              ))}
            </select>
            <FieldMessage id="movement-id_tecnico_asignado-error" problem={errors.id_tecnico_asignado} />
          </div>
          <div className="field field--narrow">
            <label className="field__label" htmlFor="movement-orden">
              {t('columns.numero_orden')} <span className="field__hint">{t('common.optional')}</span>
            </label>
            <input
              id="movement-orden"
              ref={(element) => {
                fieldRefs.current.numero_orden = element;
              }}
              inputMode="numeric"
              autoComplete="off"
              value={draft.numero_orden}
              onChange={(event) => update({ numero_orden: event.target.value })}
              aria-invalid={invalid('numero_orden')}
              aria-describedby={described('numero_orden')}
            />
            <FieldMessage id="movement-numero_orden-error" problem={errors.numero_orden} />
          </div>
        </div>

        <div className="form__actions">
          <button type="submit" className="button button--primary button--large" disabled={record.isPending}>
            {record.isPending ? t('common.saving') : t('movement.submit')}
          </button>
        </div>
        {record.error && !refusalField && (
          <div id="movement-refusal">
            <RefusalNotice error={record.error} />
          </div>
        )}
      </form>
      {recorded && (
        <div className="notice notice--success" role="status">
          <p className="notice__title">{t('movement.recorded', { count: recorded.queued.pending })}</p>
          <p>
            {t('movement.recordedWhat', {
              cantidad: format.number(recorded.input.cantidad),
              referencia: recorded.part.referencia,
              concepto: t(`conceptos.${recorded.input.concepto}`),
            })}
          </p>
          {stockLeft(recorded.queued.result) !== null && (
            <p>
              {t('movement.stockNow', { location: allowed.find((location) => location.id_localizacion === recorded.input.id_localizacion)?.nombre ?? '' })}{' '}
              <strong className="big-number">
                {recorded.part.stock ? `${format.number(recorded.part.stock.stock_actual)} → ` : ''}
                {format.number(stockLeft(recorded.queued.result) ?? 0)}
              </strong>
            </p>
          )}
        </div>
      )}
    </section>
  );
}

/** The stock a recorded movement left (`result.stock_actual` of `movement.record`), if it says. */
function stockLeft(result: Value): number | null {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return null;
  const stock = result.stock_actual;
  return typeof stock === 'number' ? stock : null;
}
