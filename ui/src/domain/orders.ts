// What the orders screen checks before it asks the library: who may change models and orders
// (`inventory.edit`, decision 0018), the new order's and model's fields, the next level an
// order can go to (forward only), and which contact fields an edit changes. The library and
// the server check again; a refusal they send is shown as it comes.

import type { ModelCreateInput, OrderCreateInput, OrderEditInput, OrderSummary, ScooterModel, UserProfile, Uuid } from '../api';
import { serverUrlProblem, type FieldProblem } from './validation';

/** 1 ordered, 2 in transit, 3 delivered. */
export type Nivel = 1 | 2 | 3;
export const NIVELES: readonly Nivel[] = [1, 2, 3];

/** `inventory.edit`: create and edit models, create, advance and edit orders. */
export function canManageOrders(user: UserProfile): boolean {
  return user.permisos.inventory?.edit === true;
}

/** The levels an order can still reach, nearest first (a level never goes back). */
export function nextLevels(nivel: number): Nivel[] {
  return NIVELES.filter((candidate) => candidate > nivel);
}

/** An ETA (`YYYY-MM-DD`) is past when it is before today (local calendar day). */
export function isPast(eta: string, today: Date = new Date()): boolean {
  const todayText = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
  return eta < todayText;
}

/** Orders grouped by level, in the list's order within each. */
export function byLevel(orders: readonly OrderSummary[]): Record<Nivel, OrderSummary[]> {
  const groups: Record<Nivel, OrderSummary[]> = { 1: [], 2: [], 3: [] };
  for (const order of orders) {
    if (order.nivel === 1 || order.nivel === 2 || order.nivel === 3) groups[order.nivel].push(order);
  }
  return groups;
}

const optional = (text: string): string | null => (text.trim() === '' ? null : text.trim());

/** A contact e-mail that looks like one (the server's rule: something@domain.tld). */
export function contactEmailProblem(text: string): FieldProblem | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  return /^[^\s@]+@[^\s@.][^\s@]*\.[^\s@]*[^\s@.]$/.test(trimmed) ? null : { key: 'email' };
}

function linkProblem(text: string): FieldProblem | null {
  return text.trim() === '' ? null : serverUrlProblem(text);
}

function dateProblem(text: string): FieldProblem | null {
  if (text.trim() === '') return null;
  return /^\d{4}-\d{2}-\d{2}$/.test(text.trim()) && !Number.isNaN(Date.parse(text.trim())) ? null : { key: 'date' };
}

export interface OrderDraft {
  numero_orden: string;
  /** The model's id, or '' when none is chosen. */
  model: Uuid | '';
  fecha_entrega_estimada: string;
  telefono_contacto: string;
  email_contacto: string;
  link_orden: string;
}

export type OrderField = keyof OrderDraft;
export type OrderErrors = Partial<Record<OrderField, FieldProblem>>;

export const emptyOrder = (model: Uuid | '' = ''): OrderDraft => ({
  numero_orden: '',
  model,
  fecha_entrega_estimada: '',
  telefono_contacto: '',
  email_contacto: '',
  link_orden: '',
});

/** Checks a new order; `input` is what goes to the library when nothing is wrong. */
export function validateOrder(draft: OrderDraft): { errors: OrderErrors; input: OrderCreateInput | null } {
  const errors: OrderErrors = {};
  if (draft.numero_orden.trim() === '') errors.numero_orden = { key: 'required' };
  if (!draft.model) errors.model = { key: 'required' };
  const eta = dateProblem(draft.fecha_entrega_estimada);
  if (eta) errors.fecha_entrega_estimada = eta;
  const email = contactEmailProblem(draft.email_contacto);
  if (email) errors.email_contacto = email;
  const link = linkProblem(draft.link_orden);
  if (link) errors.link_orden = link;
  if (Object.keys(errors).length > 0) return { errors, input: null };
  return {
    errors,
    input: {
      numero_orden: draft.numero_orden.trim(),
      model: draft.model,
      estado: null,
      telefono_contacto: optional(draft.telefono_contacto),
      email_contacto: optional(draft.email_contacto),
      link_orden: optional(draft.link_orden),
      fecha_entrega_estimada: optional(draft.fecha_entrega_estimada),
    },
  };
}

export type ContactDraft = Pick<OrderDraft, 'fecha_entrega_estimada' | 'telefono_contacto' | 'email_contacto' | 'link_orden'>;

export const contactOf = (order: OrderSummary): ContactDraft => ({
  fecha_entrega_estimada: order.fecha_entrega_estimada ?? '',
  telefono_contacto: order.telefono_contacto ?? '',
  email_contacto: order.email_contacto ?? '',
  link_orden: order.link_orden ?? '',
});

/** Checks an edit of an order's contact and ETA: only the fields that changed travel (an
 * emptied field travels as '' and clears it); `input` is null when something is wrong or
 * nothing changed (`unchanged`). */
export function validateContact(
  order: OrderSummary,
  draft: ContactDraft,
): { errors: OrderErrors; input: OrderEditInput | null; unchanged: boolean } {
  const errors: OrderErrors = {};
  const eta = dateProblem(draft.fecha_entrega_estimada);
  if (eta) errors.fecha_entrega_estimada = eta;
  const email = contactEmailProblem(draft.email_contacto);
  if (email) errors.email_contacto = email;
  const link = linkProblem(draft.link_orden);
  if (link) errors.link_orden = link;
  const before = contactOf(order);
  const changed = (field: keyof ContactDraft): string | null =>
    draft[field].trim() === before[field].trim() ? null : draft[field].trim();
  const input: OrderEditInput = {
    order: order.id_orden,
    telefono_contacto: changed('telefono_contacto'),
    email_contacto: changed('email_contacto'),
    link_orden: changed('link_orden'),
    fecha_entrega_estimada: changed('fecha_entrega_estimada'),
  };
  const unchanged = [input.telefono_contacto, input.email_contacto, input.link_orden, input.fecha_entrega_estimada].every((value) => value === null);
  if (Object.keys(errors).length > 0 || unchanged) return { errors, input: null, unchanged };
  return { errors, input, unchanged };
}

export interface ModelDraft {
  nombre: string;
  potencia: string;
  descripcion: string;
}

export type ModelErrors = Partial<Record<keyof ModelDraft, FieldProblem>>;

export const emptyModel = (): ModelDraft => ({ nombre: '', potencia: '', descripcion: '' });

export const modelDraftOf = (model: ScooterModel): ModelDraft => ({
  nombre: model.nombre,
  potencia: model.potencia,
  descripcion: model.descripcion ?? '',
});

/** Checks a model's fields: a name and a power. */
export function validateModel(draft: ModelDraft): { errors: ModelErrors; input: ModelCreateInput | null } {
  const errors: ModelErrors = {};
  if (draft.nombre.trim() === '') errors.nombre = { key: 'required' };
  if (draft.potencia.trim() === '') errors.potencia = { key: 'required' };
  if (Object.keys(errors).length > 0) return { errors, input: null };
  return { errors, input: { nombre: draft.nombre.trim(), potencia: draft.potencia.trim(), descripcion: optional(draft.descripcion) } };
}
