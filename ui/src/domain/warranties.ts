// What the warranties screen checks before it asks the library: the new claim's fields, the
// next step of a claim, and who is offered approve and reject. The library checks again
// (`guarantees.resolve`, the location's scope, the state machine); a refusal it sends is shown
// as it comes.

import type { EstadoGarantia, PartMatch, UserProfile, Uuid, WarrantyCreateInput, WarrantyDetail, WarrantyEditInput } from '../api';
import { parseWhole, quantityProblem, serverUrlProblem, type FieldProblem } from './validation';

export const ESTADOS_GARANTIA: readonly EstadoGarantia[] = ['SIN_ENVIAR', 'PENDIENTE', 'APROBADA', 'RECHAZADA'];

/** The vehicle's mileage: an integer column, so within i32. */
export const MAX_KILOMETRAJE = 2_147_483_647;

function inScope(user: UserProfile, idLocalizacion: Uuid): boolean {
  return user.is_admin || user.localizaciones.includes(idLocalizacion);
}

/** `guarantees.create` at the location: create a claim and send it for review. */
export function canReport(user: UserProfile, idLocalizacion: Uuid): boolean {
  return user.permisos.guarantees?.create === true && inScope(user, idLocalizacion);
}

/** `guarantees.resolve` at the claim's location: approve or reject it. A role whose JSON
 * leaves the permission out is not allowed (`roles.permisos`). */
export function canResolve(user: UserProfile, idLocalizacion: Uuid): boolean {
  return user.permisos.guarantees?.resolve === true && inScope(user, idLocalizacion);
}

export type WarrantyStep = 'submit' | 'resolve';

/** The step a claim waits for in each state: sent for review, then resolved; none after. */
export function nextWarrantyStep(estado: EstadoGarantia): WarrantyStep | null {
  switch (estado) {
    case 'SIN_ENVIAR':
      return 'submit';
    case 'PENDIENTE':
      return 'resolve';
    default:
      return null;
  }
}

/** Which actions the person is offered on a claim: a draft (SIN_ENVIAR) is edited and sent
 * by whoever may report claims at its location. */
export function warrantyActions(
  user: UserProfile,
  claim: { estado: EstadoGarantia; id_localizacion: Uuid },
): { edit: boolean; submit: boolean; resolve: boolean } {
  const step = nextWarrantyStep(claim.estado);
  return {
    edit: step === 'submit' && canReport(user, claim.id_localizacion),
    submit: step === 'submit' && canReport(user, claim.id_localizacion),
    resolve: step === 'resolve' && canResolve(user, claim.id_localizacion),
  };
}

export interface WarrantyDraft {
  id_localizacion: Uuid | '';
  part: PartMatch | null;
  partText: string;
  cantidad: string;
  motivo_falla: string;
  /** The technician involved (a user's id), or '' for nobody. */
  technician: Uuid | '';
  solicitante: string;
  kilometraje: string;
  numero_orden: string;
  url_evidencia_foto: string;
}

export type WarrantyField = 'id_localizacion' | 'part' | 'cantidad' | 'motivo_falla' | 'kilometraje' | 'url_evidencia_foto';

export type WarrantyErrors = Partial<Record<WarrantyField, FieldProblem>>;

export const emptyWarranty = (id_localizacion: Uuid | '' = ''): WarrantyDraft => ({
  id_localizacion,
  part: null,
  partText: '',
  cantidad: '1',
  motivo_falla: '',
  technician: '',
  solicitante: '',
  kilometraje: '',
  numero_orden: '',
  url_evidencia_foto: '',
});

const optional = (text: string): string | null => (text.trim() === '' ? null : text.trim());

/** Checks a new claim; `input` is what goes to the library when nothing is wrong. */
export function validateWarranty(draft: WarrantyDraft, maxQuantity: number): { errors: WarrantyErrors; input: WarrantyCreateInput | null } {
  const errors: WarrantyErrors = {};
  if (!draft.id_localizacion) errors.id_localizacion = { key: 'required' };
  if (!draft.part) {
    errors.part = draft.partText.trim() ? { key: 'unknownReference', values: { code: draft.partText.trim() } } : { key: 'required' };
  }
  const quantity = quantityProblem(draft.cantidad, maxQuantity);
  if (quantity) errors.cantidad = quantity;
  if (draft.motivo_falla.trim() === '') errors.motivo_falla = { key: 'required' };
  let kilometraje: number | null = null;
  if (draft.kilometraje.trim() !== '') {
    kilometraje = parseWhole(draft.kilometraje);
    if (kilometraje === null) errors.kilometraje = { key: 'wholeOrZero' };
    else if (kilometraje > MAX_KILOMETRAJE) errors.kilometraje = { key: 'tooLarge', values: { max: MAX_KILOMETRAJE } };
  }
  if (draft.url_evidencia_foto.trim() !== '') {
    const url = serverUrlProblem(draft.url_evidencia_foto);
    if (url) errors.url_evidencia_foto = url;
  }
  if (Object.keys(errors).length > 0 || !draft.part || !draft.id_localizacion) return { errors, input: null };
  return {
    errors,
    input: {
      location: draft.id_localizacion,
      part: draft.part.id_repuesto,
      cantidad: parseWhole(draft.cantidad) ?? 1,
      motivo_falla: draft.motivo_falla.trim(),
      technician: draft.technician === '' ? null : draft.technician,
      solicitante: optional(draft.solicitante),
      kilometraje,
      numero_orden: optional(draft.numero_orden),
      url_evidencia_foto: optional(draft.url_evidencia_foto),
    },
  };
}

/** A rejection needs a comment (the library refuses one without: `reason_required`). */
export function resolutionProblem(action: 'approve' | 'reject', comment: string): FieldProblem | null {
  return action === 'reject' && comment.trim() === '' ? { key: 'reasonRequired' } : null;
}

// ------------------------------------------------------------------------------ editing a draft

/** The fields of a draft claim as its edit form holds them (text as typed). */
export interface WarrantyEditDraft {
  cantidad: string;
  motivo_falla: string;
  /** A user's id, or '' for nobody. */
  technician: Uuid | '';
  solicitante: string;
  kilometraje: string;
  numero_orden: string;
  url_evidencia_foto: string;
}

export type WarrantyEditField = 'cantidad' | 'motivo_falla' | 'kilometraje' | 'url_evidencia_foto';

/** The edit form filled with the claim as it is. */
export function editDraftOf(claim: WarrantyDetail): WarrantyEditDraft {
  return {
    cantidad: String(claim.cantidad),
    motivo_falla: claim.motivo_falla,
    technician: claim.id_tecnico_asociado ?? '',
    solicitante: claim.solicitante ?? '',
    kilometraje: claim.kilometraje === null ? '' : String(claim.kilometraje),
    numero_orden: claim.numero_orden ?? '',
    url_evidencia_foto: claim.url_evidencia_foto ?? '',
  };
}

/** Checks an edit of a draft claim; `input` names only the fields that changed (an optional
 * text emptied is sent as '', which clears it), and is null when something is wrong or
 * nothing changed (`unchanged`). */
export function validateWarrantyEdit(
  claim: WarrantyDetail,
  draft: WarrantyEditDraft,
  maxQuantity: number,
): { errors: Partial<Record<WarrantyEditField, FieldProblem>>; input: WarrantyEditInput | null; unchanged: boolean } {
  const errors: Partial<Record<WarrantyEditField, FieldProblem>> = {};
  const quantity = quantityProblem(draft.cantidad, maxQuantity);
  if (quantity) errors.cantidad = quantity;
  if (draft.motivo_falla.trim() === '') errors.motivo_falla = { key: 'required' };
  let kilometraje: number | null = null;
  if (draft.kilometraje.trim() !== '') {
    kilometraje = parseWhole(draft.kilometraje);
    if (kilometraje === null) errors.kilometraje = { key: 'wholeOrZero' };
    else if (kilometraje > MAX_KILOMETRAJE) errors.kilometraje = { key: 'tooLarge', values: { max: MAX_KILOMETRAJE } };
  }
  if (draft.url_evidencia_foto.trim() !== '') {
    const url = serverUrlProblem(draft.url_evidencia_foto);
    if (url) errors.url_evidencia_foto = url;
  }
  if (Object.keys(errors).length > 0) return { errors, input: null, unchanged: false };
  const text = (now: string, was: string | null): string | null => (now.trim() === (was ?? '').trim() ? null : now.trim());
  const cantidad = parseWhole(draft.cantidad) ?? claim.cantidad;
  const input: WarrantyEditInput = {
    id_garantia: claim.id_garantia,
    cantidad: cantidad === claim.cantidad ? null : cantidad,
    motivo_falla: text(draft.motivo_falla, claim.motivo_falla),
    // A mileage emptied cannot be sent as "none" (the edit takes a number): it stays.
    kilometraje: kilometraje === null || kilometraje === claim.kilometraje ? null : kilometraje,
    numero_orden: text(draft.numero_orden, claim.numero_orden),
    solicitante: text(draft.solicitante, claim.solicitante),
    url_evidencia_foto: text(draft.url_evidencia_foto, claim.url_evidencia_foto),
    technician: draft.technician === (claim.id_tecnico_asociado ?? '') ? null : draft.technician,
  };
  const unchanged = Object.entries(input).every(([key, value]) => key === 'id_garantia' || value === null);
  return { errors, input: unchanged ? null : input, unchanged };
}
