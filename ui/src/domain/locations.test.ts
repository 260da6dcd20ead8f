import { describe, expect, it } from 'vitest';
import type { LocationPolicyRow } from '../api';
import { allows, parsePolicy, PERMISOS, shownLocations } from './locations';

describe('locations and roles', () => {
  it('reads a permission from roles.permisos; a missing area or action is not allowed', () => {
    const permisos = { inventory: { view: true, create: false, edit: true, delete: false }, users: { view: true, manage: false } };
    expect(PERMISOS.filter((key) => allows(permisos, key))).toEqual(['inventory.view', 'inventory.edit', 'users.view']);
    expect(allows({}, 'requests.create')).toBe(false);
    expect(PERMISOS).toHaveLength(12);
  });

  it('takes only the two policies', () => {
    expect(parsePolicy('allow')).toBe('allow');
    expect(parsePolicy('reject')).toBe('reject');
    expect(parsePolicy('maybe')).toBeNull();
  });

  it('lists active locations first, by name', () => {
    const row = (nombre: string, activo: boolean): LocationPolicyRow => ({ id_localizacion: nombre, nombre, activo, stock_negativo: 'allow' });
    expect(shownLocations([row('Taller Sur', false), row('Taller Norte', true), row('Bodega Central', true)]).map((r) => r.nombre)).toEqual([
      'Bodega Central',
      'Taller Norte',
      'Taller Sur',
    ]);
  });
});
