import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../api';
import { createI18n } from '../i18n';
import { makeFormatter } from '../i18n/format';
import { STATUS } from '../test/shell';
import { describeSyncStatus } from './syncStatus';

const es = createI18n('es');
const en = createI18n('en');
const format = makeFormatter('es-CO');
const view = (status: Partial<SyncStatus>, i18n = es) => describeSyncStatus({ ...STATUS, ...status }, i18n.t, format);
const at = (iso: string) => format.time(iso);

describe('sync indicator states', () => {
  it.each<[string, Partial<SyncStatus>, string, string, 'status' | 'alert']>([
    ['synced', {}, 'synced', 'Sincronizado', 'status'],
    ['pending', { pending: 3 }, 'pending', '3 cambios pendientes', 'status'],
    ['one pending', { pending: 1 }, 'pending', '1 cambio pendiente', 'status'],
    ['syncing', { syncing: true, pending: 2 }, 'syncing', 'Sincronizando…', 'status'],
    ['offline', { online: false, pending: 4 }, 'offline', 'Sin conexión', 'status'],
    [
      'error',
      { last_error: { at: '2026-12-01T10:50:00Z', code: 'unavailable', message: 'El servidor no está disponible.' } },
      'error',
      'Error al sincronizar',
      'alert',
    ],
    ['update required', { update_required: true, online: false }, 'update_required', 'Actualización necesaria', 'alert'],
    ['signed out, unlocked offline', { signed_in: false, pending: 1 }, 'signed_out', 'Sesión cerrada', 'alert'],
  ])('%s', (_name, status, state, label, role) => {
    const result = view(status);
    expect(result.state).toBe(state);
    expect(result.label).toBe(label);
    expect(result.role).toBe(role);
    expect(result.ariaLabel.startsWith(`Sincronización: ${label}.`)).toBe(true);
  });

  it('signed out, the detail says how to send what is pending, in both languages', () => {
    expect(view({ signed_in: false, pending: 1 }).detail.startsWith('inicie sesión en línea para enviar · 1 pendiente')).toBe(true);
    expect(view({ signed_in: false, pending: 1 }, en).label).toBe('Signed out');
    expect(view({ signed_in: false, user: null }).state).toBe('synced');
  });

  it('the detail says what is pending while offline, the last sync, and open conflicts', () => {
    const result = view({ online: false, pending: 1234, conflicts: 2 });
    expect(result.detail).toBe(`1.234 pendientes · última ${at(STATUS.last_success ?? '')} · 2 conflictos`);
    expect(result.ariaLabel).toContain('1.234 pendientes');
  });

  it('a replica that never synced says so', () => {
    expect(view({ last_success: null }).detail).toBe('nunca sincronizado');
  });

  it('an error is read out with its message', () => {
    const result = view({ last_error: { at: '2026-12-01T10:50:00Z', code: 'unavailable', message: 'El servidor no está disponible.' } });
    expect(result.ariaLabel).toContain('El servidor no está disponible.');
  });

  it('speaks English when chosen', () => {
    expect(view({ pending: 2 }, en).label).toBe('2 changes pending');
    expect(view({ online: false }, en).ariaLabel.startsWith('Sync: Offline.')).toBe(true);
  });
});
