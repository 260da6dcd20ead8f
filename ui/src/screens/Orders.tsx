// Scooter orders: orders by level (Ordered, In transit, Delivered) with their estimated
// delivery date, the late ones marked; for the roles that keep the catalogue
// (`inventory.edit`), a new order, moving an order forward (never back), editing its contact
// and ETA, and a small list and form of scooter models. Every change is a local action with
// its outbox entry; a refusal is shown as the library sends it.

import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useNavigate } from 'react-router';
import { api, type ModelCreateInput, type ModelEditInput, type OrderAdvanceInput, type OrderEditInput, type OrderSummary, type Queued, type ScooterModel, type TallerError } from '../api';
import { useModels, useOrders } from '../api/hooks';
import { FieldMessage, RefusalNotice } from '../components/Problems';
import {
  byLevel,
  canManageOrders,
  contactOf,
  emptyModel,
  emptyOrder,
  modelDraftOf,
  NIVELES,
  nextLevels,
  validateContact,
  validateModel,
  validateOrder,
  type ContactDraft,
  type ModelDraft,
  type Nivel,
  type OrderDraft,
  type OrderErrors,
  type OrderField,
} from '../domain/orders';
import { useFormat } from '../i18n';
import { useSession } from '../session/session';

const LEVEL_KEY = { 1: 'orders.nivel.pedido', 2: 'orders.nivel.transito', 3: 'orders.nivel.entregado' } as const;

export function LevelBadge({ nivel }: { nivel: number }) {
  const { t } = useTranslation();
  return <span className={`badge badge--nivel badge--nivel-${nivel}`}>{t(LEVEL_KEY[nivel as Nivel] ?? 'orders.nivel.pedido')}</span>;
}

export function LateBadge() {
  const { t } = useTranslation();
  return (
    <span className="badge badge--late" aria-label={t('orders.lateAria')}>
      <span className="badge__shape" aria-hidden="true" />
      {t('orders.late')}
    </span>
  );
}

// ------------------------------------------------------------------------------ the list

export function OrdersScreen() {
  const { t } = useTranslation();
  const session = useSession();
  const location = useLocation();
  const mayManage = canManageOrders(session.user);
  const [nivel, setNivel] = useState<Nivel | null>(null);
  const [editing, setEditing] = useState<OrderSummary | null>(null);
  const [notice, setNotice] = useState<string | null>((location.state as { notice?: string } | null)?.notice ?? null);
  const orders = useOrders(nivel);
  const advance = useMutation<Queued, TallerError, { input: OrderAdvanceInput; order: OrderSummary }>({
    mutationFn: ({ input }) => api.advanceOrder(input),
    onSuccess: (queued, { input, order }) => {
      const result = queued.result as { applied?: boolean; nivel?: number } | null;
      setNotice(
        result?.applied === false
          ? t('orders.alreadyThere', { numero: order.numero_orden, nivel: t(LEVEL_KEY[(result.nivel ?? order.nivel) as Nivel] ?? 'orders.nivel.pedido') })
          : t('orders.advanced', { numero: order.numero_orden, nivel: t(LEVEL_KEY[input.nivel as Nivel] ?? 'orders.nivel.pedido') }),
      );
    },
  });
  const onAdvance = (order: OrderSummary, to: Nivel) => {
    setNotice(null);
    advance.mutate({ input: { order: order.id_orden, nivel: to, estado: null }, order });
  };

  return (
    <section className="screen orders" aria-labelledby="orders-title">
      <div className="screen__head orders-head">
        <div>
          <h1 id="orders-title">{t('orders.title')}</h1>
          <p className="lead">{t('orders.lead')}</p>
        </div>
        {mayManage && (
          <Link to="/orders/new" className="button button--primary button--large button--link">
            <span aria-hidden="true">+</span> {t('orders.new')}
          </Link>
        )}
      </div>
      {!mayManage && <p className="notice notice--info">{t('orders.notAllowed')}</p>}
      <div className="choices" role="group" aria-label={t('orders.filterLabel')}>
        <button type="button" className="choice" aria-pressed={nivel === null} onClick={() => setNivel(null)}>
          {t('orders.all')}
        </button>
        {NIVELES.map((candidate) => (
          <button key={candidate} type="button" className="choice" aria-pressed={nivel === candidate} onClick={() => setNivel(candidate)}>
            {t(LEVEL_KEY[candidate as Nivel] ?? 'orders.nivel.pedido')}
          </button>
        ))}
      </div>
      {notice && (
        <p className="notice notice--success" role="status">
          {notice}
        </p>
      )}
      <RefusalNotice error={advance.error} />
      {editing && (
        <ContactForm
          key={editing.id_orden}
          order={editing}
          onDone={(message) => {
            setEditing(null);
            if (message) setNotice(message);
          }}
        />
      )}
      {orders.error ? (
        <RefusalNotice error={orders.error} />
      ) : orders.isPending ? (
        <p>{t('common.loading')}</p>
      ) : orders.data.length === 0 ? (
        <p className="empty">{t('orders.none')}</p>
      ) : nivel === null ? (
        NIVELES.map((level) => {
          const group = byLevel(orders.data)[level];
          if (group.length === 0) return null;
          return (
            <section key={level} className="orders-group" aria-labelledby={`orders-level-${level}`}>
              <h2 id={`orders-level-${level}`}>
                <LevelBadge nivel={level} /> <span className="muted">({group.length})</span>
              </h2>
              <OrderTable
                orders={group}
                label={t('orders.groupLabel', { nivel: t(LEVEL_KEY[level as Nivel] ?? 'orders.nivel.pedido'), count: group.length })}
                mayManage={mayManage}
                busy={advance.isPending}
                onAdvance={onAdvance}
                onEdit={setEditing}
              />
            </section>
          );
        })
      ) : (
        <OrderTable orders={orders.data} label={t('orders.listLabel')} mayManage={mayManage} busy={advance.isPending} onAdvance={onAdvance} onEdit={setEditing} />
      )}
      <ModelsSection mayManage={mayManage} />
    </section>
  );
}

function OrderTable({
  orders,
  label,
  mayManage,
  busy,
  onAdvance,
  onEdit,
}: {
  orders: OrderSummary[];
  label: string;
  mayManage: boolean;
  busy: boolean;
  onAdvance: (order: OrderSummary, to: Nivel) => void;
  onEdit: (order: OrderSummary) => void;
}) {
  const { t } = useTranslation();
  const format = useFormat();
  return (
    <table className="data-table data-table--plain order-list" aria-label={label}>
      <thead>
        <tr>
          <th scope="col">{t('orders.col.numero')}</th>
          <th scope="col">{t('orders.col.modelo')}</th>
          <th scope="col">{t('orders.col.estado')}</th>
          <th scope="col">{t('orders.col.eta')}</th>
          <th scope="col">{t('orders.col.contacto')}</th>
          {mayManage && <th scope="col">{t('orders.col.acciones')}</th>}
        </tr>
      </thead>
      <tbody>
        {orders.map((order) => (
          <tr key={order.id_orden} className={order.atrasada ? 'order-list__row--late' : undefined} data-order={order.numero_orden}>
            <th scope="row" className="mono nowrap">
              {order.numero_orden}
            </th>
            <td>
              {order.modelo} <span className="muted nowrap">{order.potencia}</span>
            </td>
            <td>{order.estado}</td>
            <td className="nowrap">
              {order.fecha_entrega_estimada ? format.day(order.fecha_entrega_estimada) : <span className="muted">{t('orders.noEta')}</span>}
              {order.atrasada && (
                <>
                  {' '}
                  <LateBadge />
                </>
              )}
            </td>
            <td className="order-list__contact">
              {order.telefono_contacto && <span className="nowrap">{order.telefono_contacto}</span>}
              {order.email_contacto && <span>{order.email_contacto}</span>}
            </td>
            {mayManage && (
              <td>
                <div className="order-list__actions">
                  {nextLevels(order.nivel).map((to) => (
                    <button
                      key={to}
                      type="button"
                      className={to === order.nivel + 1 ? 'button button--primary' : 'button'}
                      disabled={busy}
                      aria-label={t('orders.advanceLabel', { numero: order.numero_orden, nivel: t(LEVEL_KEY[to as Nivel] ?? 'orders.nivel.pedido') })}
                      onClick={() => onAdvance(order, to)}
                    >
                      {t('orders.advanceTo', { nivel: t(LEVEL_KEY[to as Nivel] ?? 'orders.nivel.pedido') })}
                    </button>
                  ))}
                  <button type="button" className="button" aria-label={t('orders.editLabel', { numero: order.numero_orden })} onClick={() => onEdit(order)}>
                    {t('orders.edit')}
                  </button>
                </div>
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// ------------------------------------------------------------------------------ contact and ETA

function ContactForm({ order, onDone }: { order: OrderSummary; onDone: (message: string | null) => void }) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<ContactDraft>(() => contactOf(order));
  const [submitted, setSubmitted] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  const checked = validateContact(order, draft);
  const errors: OrderErrors = submitted ? checked.errors : {};
  const save = useMutation<Queued, TallerError, OrderEditInput>({
    mutationFn: (input) => api.editOrder(input),
    onSuccess: () => onDone(t('orders.saved', { numero: order.numero_orden })),
  });
  useEffect(() => first.current?.focus(), []);
  const onSubmit = (event: React.FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (checked.unchanged) {
      onDone(t('orders.unchanged'));
      return;
    }
    if (checked.input) save.mutate(checked.input);
  };
  const field = (name: keyof ContactDraft, label: string, type: string, ref?: React.Ref<HTMLInputElement>) => (
    <div className="field">
      <label className="field__label" htmlFor={`contact-${name}`}>
        {label}
      </label>
      <input
        id={`contact-${name}`}
        ref={ref}
        type={type}
        autoComplete="off"
        value={draft[name]}
        onChange={(event) => {
          setDraft((current) => ({ ...current, [name]: event.target.value }));
          if (save.error) save.reset();
        }}
        aria-invalid={errors[name] ? true : undefined}
        aria-describedby={errors[name] ? `contact-${name}-error` : undefined}
      />
      <FieldMessage id={`contact-${name}-error`} problem={errors[name]} />
    </div>
  );
  return (
    <form
      className="form order-contact"
      aria-labelledby="order-contact-title"
      onSubmit={onSubmit}
      onKeyDown={(event) => {
        if (event.key === 'Escape') {
          event.preventDefault();
          onDone(null);
        }
      }}
      noValidate
    >
      <h2 id="order-contact-title">{t('orders.editTitle', { numero: order.numero_orden })}</h2>
      <p className="field__hint">{t('orders.editHint')}</p>
      <div className="form__row">
        {field('fecha_entrega_estimada', t('orders.field.eta'), 'date', first)}
        {field('telefono_contacto', t('orders.field.telefono'), 'tel')}
        {field('email_contacto', t('orders.field.email'), 'email')}
      </div>
      {field('link_orden', t('orders.field.link'), 'url')}
      <RefusalNotice error={save.error} />
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={save.isPending}>
          {save.isPending ? t('common.saving') : t('common.save')}
        </button>
        <button type="button" className="button" onClick={() => onDone(null)}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}

// ------------------------------------------------------------------------------ models

function ModelsSection({ mayManage }: { mayManage: boolean }) {
  const { t } = useTranslation();
  const format = useFormat();
  const models = useModels();
  const [editing, setEditing] = useState<ScooterModel | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  return (
    <section className="orders-models" aria-labelledby="models-title">
      <h2 id="models-title">{t('orders.models.title')}</h2>
      {notice && (
        <p className="notice notice--success" role="status">
          {notice}
        </p>
      )}
      {models.error ? (
        <RefusalNotice error={models.error} />
      ) : models.isPending ? (
        <p>{t('common.loading')}</p>
      ) : models.data.length === 0 ? (
        <p className="empty">{t('orders.models.none')}</p>
      ) : (
        <table className="data-table data-table--plain model-list" aria-label={t('orders.models.listLabel')}>
          <thead>
            <tr>
              <th scope="col">{t('orders.models.nombre')}</th>
              <th scope="col">{t('orders.models.potencia')}</th>
              <th scope="col">{t('orders.models.descripcion')}</th>
              <th scope="col" className="num">
                {t('orders.models.abiertas')}
              </th>
              {mayManage && <th scope="col">{t('orders.col.acciones')}</th>}
            </tr>
          </thead>
          <tbody>
            {models.data.map((model) => (
              <tr key={model.id_tipo}>
                <th scope="row">{model.nombre}</th>
                <td className="nowrap">{model.potencia}</td>
                <td>{model.descripcion ?? ''}</td>
                <td className="num">{format.number(model.pedidos_abiertos)}</td>
                {mayManage && (
                  <td>
                    <button type="button" className="button" aria-label={t('orders.models.editLabel', { nombre: model.nombre })} onClick={() => setEditing(model)}>
                      {t('orders.models.edit')}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {mayManage && (
        <ModelForm
          key={editing?.id_tipo ?? 'new'}
          model={editing}
          onDone={(message) => {
            setEditing(null);
            setNotice(message);
          }}
        />
      )}
    </section>
  );
}

function ModelForm({ model, onDone }: { model: ScooterModel | null; onDone: (message: string | null) => void }) {
  const { t } = useTranslation();
  const [draft, setDraft] = useState<ModelDraft>(() => (model ? modelDraftOf(model) : emptyModel()));
  const [submitted, setSubmitted] = useState(false);
  const first = useRef<HTMLInputElement>(null);
  const checked = validateModel(draft);
  const errors = submitted ? checked.errors : {};
  const save = useMutation<Queued, TallerError, ModelCreateInput>({
    mutationFn: (input) => {
      if (!model) return api.createModel(input);
      const before = modelDraftOf(model);
      const changed = (field: keyof ModelDraft, value: string | null) => (draft[field].trim() === before[field].trim() ? null : (value ?? ''));
      const edit: ModelEditInput = {
        model: model.id_tipo,
        nombre: changed('nombre', input.nombre),
        potencia: changed('potencia', input.potencia),
        descripcion: changed('descripcion', input.descripcion ?? null),
      };
      return api.editModel(edit);
    },
    onSuccess: (_, input) => {
      setDraft(emptyModel());
      setSubmitted(false);
      onDone(t(model ? 'orders.models.saved' : 'orders.models.created', { nombre: input.nombre }));
    },
  });
  useEffect(() => {
    if (model) first.current?.focus();
  }, [model]);
  const onSubmit = (event: React.FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!checked.input) {
      if (checked.errors.nombre) first.current?.focus();
      return;
    }
    if (model && (['nombre', 'potencia', 'descripcion'] as const).every((field) => draft[field].trim() === modelDraftOf(model)[field].trim())) {
      onDone(t('orders.unchanged'));
      return;
    }
    save.mutate(checked.input);
  };
  const update = (change: Partial<ModelDraft>) => {
    setDraft((current) => ({ ...current, ...change }));
    if (save.error) save.reset();
  };
  return (
    <form
      className="form model-form"
      aria-labelledby="model-form-title"
      onSubmit={onSubmit}
      onKeyDown={(event) => {
        if (event.key === 'Escape' && model) {
          event.preventDefault();
          onDone(null);
        }
      }}
      noValidate
    >
      <h3 id="model-form-title">{model ? t('orders.models.editTitle', { nombre: model.nombre }) : t('orders.models.newTitle')}</h3>
      <div className="form__row">
        <div className="field">
          <label className="field__label" htmlFor="model-nombre">
            {t('orders.models.nombre')}
          </label>
          <input
            id="model-nombre"
            ref={first}
            maxLength={200}
            autoComplete="off"
            value={draft.nombre}
            onChange={(event) => update({ nombre: event.target.value })}
            aria-invalid={errors.nombre ? true : undefined}
            aria-describedby={errors.nombre ? 'model-nombre-error' : undefined}
          />
          <FieldMessage id="model-nombre-error" problem={errors.nombre} />
        </div>
        <div className="field field--narrow">
          <label className="field__label" htmlFor="model-potencia">
            {t('orders.models.potencia')} <span id="model-potencia-hint" className="field__hint">{t('orders.models.potenciaHint')}</span>
          </label>
          <input
            id="model-potencia"
            maxLength={100}
            autoComplete="off"
            value={draft.potencia}
            onChange={(event) => update({ potencia: event.target.value })}
            aria-invalid={errors.potencia ? true : undefined}
            aria-describedby={['model-potencia-hint', errors.potencia ? 'model-potencia-error' : null].filter(Boolean).join(' ')}
          />
          <FieldMessage id="model-potencia-error" problem={errors.potencia} />
        </div>
        <div className="field">
          <label className="field__label" htmlFor="model-descripcion">
            {t('orders.models.descripcion')} <span className="muted">{t('common.optional')}</span>
          </label>
          <input id="model-descripcion" maxLength={2000} autoComplete="off" value={draft.descripcion} onChange={(event) => update({ descripcion: event.target.value })} />
        </div>
      </div>
      <RefusalNotice error={save.error} />
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={save.isPending}>
          {model ? t('orders.models.save') : t('orders.models.create')}
        </button>
        {model && (
          <button type="button" className="button" onClick={() => onDone(null)}>
            {t('common.cancel')}
          </button>
        )}
      </div>
    </form>
  );
}

// ------------------------------------------------------------------------------ a new order

const FIELD_ORDER: OrderField[] = ['numero_orden', 'model', 'fecha_entrega_estimada', 'email_contacto', 'link_orden'];

export function NewOrderScreen() {
  const { t } = useTranslation();
  const session = useSession();
  const navigate = useNavigate();
  const models = useModels();
  const [draft, setDraft] = useState<OrderDraft>(() => emptyOrder());
  const [submitted, setSubmitted] = useState(false);
  const refs = useRef<Partial<Record<OrderField, HTMLElement | null>>>({});
  const checked = validateOrder(draft);
  const errors: OrderErrors = submitted ? checked.errors : {};
  const create = useMutation<Queued, TallerError, NonNullable<typeof checked.input>>({
    mutationFn: (input) => api.createOrder(input),
    onSuccess: (_, input) => void navigate('/orders', { state: { notice: t('orders.created', { numero: input.numero_orden }) } }),
  });
  // The only model, chosen for the person.
  useEffect(() => {
    const list = models.data;
    if (list?.length === 1 && draft.model === '') setDraft((current) => ({ ...current, model: list[0]!.id_tipo }));
  }, [models.data, draft.model]);
  useEffect(() => refs.current.numero_orden?.focus(), []);

  if (!canManageOrders(session.user)) {
    return (
      <section className="screen">
        <Link to="/orders" className="back-link">
          ← {t('orders.back')}
        </Link>
        <h1>{t('orders.newTitle')}</h1>
        <p className="notice notice--info">{t('orders.notAllowed')}</p>
      </section>
    );
  }
  const update = (change: Partial<OrderDraft>) => {
    setDraft((current) => ({ ...current, ...change }));
    if (create.error) create.reset();
  };
  const onSubmit = (event: React.FormEvent) => {
    event.preventDefault();
    setSubmitted(true);
    if (!checked.input) {
      const firstWrong = FIELD_ORDER.find((field) => checked.errors[field]);
      if (firstWrong) refs.current[firstWrong]?.focus();
      return;
    }
    create.mutate(checked.input);
  };
  const ref = (field: OrderField) => (element: HTMLElement | null) => {
    refs.current[field] = element;
  };
  const invalid = (field: OrderField) => (errors[field] ? true : undefined);
  const described = (field: OrderField) => (errors[field] ? `order-${field}-error` : undefined);
  const input = (field: OrderField, id: string, label: string, type: string, maxLength: number, optional = true) => (
    <div className="field">
      <label className="field__label" htmlFor={id}>
        {label} {optional && <span className="muted">{t('common.optional')}</span>}
      </label>
      <input
        id={id}
        ref={ref(field)}
        type={type}
        maxLength={maxLength}
        autoComplete="off"
        value={draft[field]}
        onChange={(event) => update({ [field]: event.target.value })}
        aria-invalid={invalid(field)}
        aria-describedby={described(field)}
      />
      <FieldMessage id={`order-${field}-error`} problem={errors[field]} />
    </div>
  );

  return (
    <section className="screen" aria-labelledby="order-new-title">
      <Link to="/orders" className="back-link">
        ← {t('orders.back')}
      </Link>
      <div className="screen__head">
        <h1 id="order-new-title">{t('orders.newTitle')}</h1>
        <p className="lead">{t('orders.newLead')}</p>
      </div>
      <form className="form form--order" onSubmit={onSubmit} noValidate>
        <div className="form__row">
          {input('numero_orden', 'order-numero', t('orders.field.numero'), 'text', 100, false)}
          <div className="field">
            <label className="field__label" htmlFor="order-model">
              {t('orders.field.model')}
            </label>
            <select
              id="order-model"
              ref={ref('model')}
              value={draft.model}
              onChange={(event) => update({ model: event.target.value })}
              aria-invalid={invalid('model')}
              aria-describedby={described('model')}
            >
              <option value="">{t('orders.field.chooseModel')}</option>
              {(models.data ?? []).map((model) => (
                <option key={model.id_tipo} value={model.id_tipo}>
                  {model.nombre} · {model.potencia}
                </option>
              ))}
            </select>
            <FieldMessage id="order-model-error" problem={errors.model} />
          </div>
          {input('fecha_entrega_estimada', 'order-eta', t('orders.field.eta'), 'date', 10)}
        </div>
        <div className="form__row">
          {input('telefono_contacto', 'order-telefono', t('orders.field.telefono'), 'tel', 100)}
          {input('email_contacto', 'order-email', t('orders.field.email'), 'email', 200)}
        </div>
        {input('link_orden', 'order-link', t('orders.field.link'), 'url', 2000)}
        <RefusalNotice error={create.error} />
        <div className="form__actions">
          <button type="submit" className="button button--primary button--large" disabled={create.isPending}>
            {create.isPending ? t('common.saving') : t('orders.create')}
          </button>
        </div>
      </form>
    </section>
  );
}
