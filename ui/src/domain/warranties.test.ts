import { describe, expect, it } from 'vitest';
import type { PartMatch, UserProfile, WarrantyDetail } from '../api';
import { CARLA, MOTOR, NORTE, SUR } from '../test/shell';
import {
  canReport,
  canResolve,
  editDraftOf,
  emptyWarranty,
  nextWarrantyStep,
  resolutionProblem,
  validateWarranty,
  validateWarrantyEdit,
  warrantyActions,
  type WarrantyDraft,
} from './warranties';

const SUPERVISOR: UserProfile = {
  ...CARLA,
  id_usuario: 'user-bruno',
  nombre_rol: 'superuser',
  permisos: { ...CARLA.permisos, guarantees: { view: true, create: true, resolve: true } },
};
const ADMIN: UserProfile = { ...SUPERVISOR, nombre_rol: 'admin', is_admin: true, localizaciones: [] };

function draft(overrides: Partial<WarrantyDraft> = {}): WarrantyDraft {
  return { ...emptyWarranty(NORTE.id_localizacion), part: MOTOR as PartMatch, partText: MOTOR.referencia, motivo_falla: 'No arranca', ...overrides };
}

describe('the new claim', () => {
  it('needs a location, a part, a positive quantity and the reason; nothing else', () => {
    const { errors, input } = validateWarranty({ ...emptyWarranty(''), cantidad: '' }, 100);
    expect(errors).toEqual({ id_localizacion: { key: 'required' }, part: { key: 'required' }, cantidad: { key: 'required' }, motivo_falla: { key: 'required' } });
    expect(input).toBeNull();
    expect(validateWarranty(draft({ motivo_falla: '   ' }), 100).errors).toEqual({ motivo_falla: { key: 'required' } });
    expect(validateWarranty(draft({ cantidad: '0' }), 100).errors).toEqual({ cantidad: { key: 'wholePositive' } });
    expect(validateWarranty(draft({ cantidad: '101' }), 100).errors).toEqual({ cantidad: { key: 'tooLarge', values: { max: 100 } } });
  });

  it('a typed reference that matched no part is said as such', () => {
    expect(validateWarranty(draft({ part: null, partText: 'XYZ-1' }), 100).errors).toEqual({ part: { key: 'unknownReference', values: { code: 'XYZ-1' } } });
  });

  it('the mileage is a whole number, the photo an http(s) address; both optional', () => {
    expect(validateWarranty(draft({ kilometraje: '12.5' }), 100).errors).toEqual({ kilometraje: { key: 'wholeOrZero' } });
    expect(validateWarranty(draft({ kilometraje: '3000000000' }), 100).errors.kilometraje?.key).toBe('tooLarge');
    expect(validateWarranty(draft({ url_evidencia_foto: 'foto.jpg' }), 100).errors).toEqual({ url_evidencia_foto: { key: 'url' } });
    expect(validateWarranty(draft(), 100).errors).toEqual({});
  });

  it('every field goes to the library, trimmed, empty ones as null', () => {
    const { input } = validateWarranty(
      draft({
        cantidad: ' 2 ',
        motivo_falla: '  Se apaga en subida ',
        technician: CARLA.id_usuario,
        solicitante: ' Laura Gómez ',
        kilometraje: '1520',
        numero_orden: ' OT-88 ',
        url_evidencia_foto: 'https://fotos.taller.test/g1.jpg',
      }),
      100,
    );
    expect(input).toEqual({
      location: NORTE.id_localizacion,
      part: MOTOR.id_repuesto,
      cantidad: 2,
      motivo_falla: 'Se apaga en subida',
      technician: CARLA.id_usuario,
      solicitante: 'Laura Gómez',
      kilometraje: 1520,
      numero_orden: 'OT-88',
      url_evidencia_foto: 'https://fotos.taller.test/g1.jpg',
    });
    expect(validateWarranty(draft(), 100).input).toMatchObject({ technician: null, solicitante: null, kilometraje: null, numero_orden: null, url_evidencia_foto: null });
  });
});

describe('who sees approve and reject', () => {
  it('only a role with guarantees.resolve, at a location of its scope (an admin at any)', () => {
    expect(canResolve(CARLA, NORTE.id_localizacion)).toBe(false);
    expect(canResolve(SUPERVISOR, NORTE.id_localizacion)).toBe(true);
    expect(canResolve(SUPERVISOR, SUR.id_localizacion)).toBe(false);
    expect(canResolve(ADMIN, SUR.id_localizacion)).toBe(true);
    // A role whose JSON leaves the permission out is not allowed.
    const partial = { ...SUPERVISOR, permisos: { ...SUPERVISOR.permisos, guarantees: undefined } } as unknown as UserProfile;
    expect(canResolve(partial, NORTE.id_localizacion)).toBe(false);
    expect(canReport(CARLA, NORTE.id_localizacion)).toBe(true);
    expect(canReport(CARLA, SUR.id_localizacion)).toBe(false);
  });

  it('a claim offers editing and sending while unsent, resolving while pending, nothing after', () => {
    const claim = (estado: 'SIN_ENVIAR' | 'PENDIENTE' | 'APROBADA' | 'RECHAZADA') => ({ estado, id_localizacion: NORTE.id_localizacion });
    expect(warrantyActions(CARLA, claim('SIN_ENVIAR'))).toEqual({ edit: true, submit: true, resolve: false });
    expect(warrantyActions(CARLA, claim('PENDIENTE'))).toEqual({ edit: false, submit: false, resolve: false });
    expect(warrantyActions(SUPERVISOR, claim('PENDIENTE'))).toEqual({ edit: false, submit: false, resolve: true });
    expect(warrantyActions(SUPERVISOR, claim('APROBADA'))).toEqual({ edit: false, submit: false, resolve: false });
    expect(warrantyActions(ADMIN, claim('RECHAZADA'))).toEqual({ edit: false, submit: false, resolve: false });
    expect(['SIN_ENVIAR', 'PENDIENTE', 'APROBADA', 'RECHAZADA'].map((estado) => nextWarrantyStep(estado as never))).toEqual(['submit', 'resolve', null, null]);
  });

  it('a rejection needs a comment, an approval does not', () => {
    expect(resolutionProblem('reject', '  ')).toEqual({ key: 'reasonRequired' });
    expect(resolutionProblem('reject', 'No es defecto de fábrica')).toBeNull();
    expect(resolutionProblem('approve', '')).toBeNull();
  });
});

describe('editing a draft claim', () => {
  const CLAIM: WarrantyDetail = {
    id_garantia: 'claim-1',
    estado: 'SIN_ENVIAR',
    id_repuesto: MOTOR.id_repuesto,
    referencia: MOTOR.referencia,
    nombre: MOTOR.nombre,
    id_localizacion: NORTE.id_localizacion,
    localizacion: NORTE.nombre,
    cantidad: 2,
    motivo_falla: 'No arranca',
    solicitante: 'Ana',
    numero_orden: 'OT-7',
    id_usuario_reporta: CARLA.id_usuario,
    usuario_reporta: CARLA.nombre_completo,
    fecha_reporte: '2026-12-03T10:00:00Z',
    fecha_resolucion: null,
    comentarios_resolucion: null,
    id_tecnico_asociado: null,
    tecnico_asociado: null,
    kilometraje: 1200,
    url_evidencia_foto: null,
    ingreso: null,
  };

  it('starts from the claim as it is, and nothing changed is said as such', () => {
    const draft = editDraftOf(CLAIM);
    expect(draft).toEqual({ cantidad: '2', motivo_falla: 'No arranca', technician: '', solicitante: 'Ana', kilometraje: '1200', numero_orden: 'OT-7', url_evidencia_foto: '' });
    expect(validateWarrantyEdit(CLAIM, draft, 100)).toEqual({ errors: {}, input: null, unchanged: true });
    // Spaces around a value are not a change.
    expect(validateWarrantyEdit(CLAIM, { ...draft, solicitante: ' Ana ' }, 100).unchanged).toBe(true);
  });

  it('sends only the fields changed; an optional text emptied clears it', () => {
    const { input } = validateWarrantyEdit(CLAIM, { ...editDraftOf(CLAIM), cantidad: '3', numero_orden: '', technician: 'user-oscar', motivo_falla: ' No arranca en frío ' }, 100);
    expect(input).toEqual({
      id_garantia: 'claim-1',
      cantidad: 3,
      motivo_falla: 'No arranca en frío',
      kilometraje: null,
      numero_orden: '',
      solicitante: null,
      url_evidencia_foto: null,
      technician: 'user-oscar',
    });
  });

  it('checks the quantity, the reason, the mileage and the photo as a new claim does', () => {
    const draft = editDraftOf(CLAIM);
    const { errors, input } = validateWarrantyEdit(CLAIM, { ...draft, cantidad: '0', motivo_falla: ' ', kilometraje: '-5', url_evidencia_foto: 'no es una url' }, 100);
    expect(input).toBeNull();
    expect(Object.keys(errors).sort()).toEqual(['cantidad', 'kilometraje', 'motivo_falla', 'url_evidencia_foto']);
    expect(errors.cantidad).toEqual({ key: 'wholePositive' });
    expect(errors.motivo_falla).toEqual({ key: 'required' });
  });
});
