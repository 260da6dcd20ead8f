import { describe, expect, it } from 'vitest';
import type { Localizacion, UserAccount } from '../api';
import { accountActions, accountCounts, assignableLocations, rejectionProblem, shownAccounts } from './users';

const NORTE = '00000000-0000-0000-0000-00000000000a';
const SUR = '00000000-0000-0000-0000-00000000000b';
const BODEGA = '00000000-0000-0000-0000-00000000000c';
const CERRADA = '00000000-0000-0000-0000-00000000000d';

function account(id: string, nombre: string, estado: UserAccount['estado'], locations: string[] = []): UserAccount {
  return {
    id_usuario: id,
    nombre_completo: nombre,
    email: `${nombre.split(' ')[0]!.toLowerCase()}@taller.test`,
    nombre_rol: 'tecnico',
    is_admin: false,
    estado,
    motivo_rechazo: estado === 'rechazado' ? 'no trabaja aquí' : null,
    created_at: '2026-12-01T10:00:00Z',
    localizaciones: locations.map((id_localizacion) => ({ id_localizacion, nombre: id_localizacion === NORTE ? 'Taller Norte' : 'Otra' })),
  };
}

const ACCOUNTS = [
  account('1', 'Lucía Pérez', 'pendiente'),
  account('2', 'Ana Admin', 'aprobado', [NORTE]),
  account('3', 'Rafa Ruiz', 'rechazado'),
];

describe('the administration screen', () => {
  it('filters by state and finds a name without its accents, in the library order', () => {
    expect(shownAccounts(ACCOUNTS, 'all', '').map((a) => a.id_usuario)).toEqual(['1', '2', '3']);
    expect(shownAccounts(ACCOUNTS, 'pendiente', '').map((a) => a.id_usuario)).toEqual(['1']);
    expect(shownAccounts(ACCOUNTS, 'all', 'lucia').map((a) => a.id_usuario)).toEqual(['1']);
    expect(shownAccounts(ACCOUNTS, 'all', ' ANA  admin ').map((a) => a.id_usuario)).toEqual(['2']);
    expect(shownAccounts(ACCOUNTS, 'all', 'rafa@').map((a) => a.id_usuario)).toEqual(['3']);
    expect(shownAccounts(ACCOUNTS, 'aprobado', 'lucia')).toEqual([]);
  });

  it('counts each filter', () => {
    expect(accountCounts(ACCOUNTS)).toEqual({ pendiente: 1, aprobado: 1, rechazado: 1, all: 3 });
    expect(accountCounts([])).toEqual({ pendiente: 0, aprobado: 0, rechazado: 0, all: 0 });
  });

  it('offers the active locations not yet assigned, by name', () => {
    const locations: Localizacion[] = [
      { id_localizacion: SUR, nombre: 'Taller Sur', activo: true },
      { id_localizacion: NORTE, nombre: 'Taller Norte', activo: true },
      { id_localizacion: CERRADA, nombre: 'Almacén viejo', activo: false },
      { id_localizacion: BODEGA, nombre: 'Bodega Central', activo: true },
    ];
    expect(assignableLocations(ACCOUNTS[1]!, locations).map((l) => l.nombre)).toEqual(['Bodega Central', 'Taller Sur']);
    expect(assignableLocations(ACCOUNTS[0]!, locations).map((l) => l.nombre)).toEqual(['Bodega Central', 'Taller Norte', 'Taller Sur']);
  });

  it('offers the steps of each state, and a rejection needs a reason', () => {
    expect(accountActions('pendiente', false)).toEqual(['approve', 'reject']);
    expect(accountActions('aprobado', false)).toEqual(['reject']);
    expect(accountActions('rechazado', false)).toEqual(['approve']);
    expect(accountActions('aprobado', true)).toEqual([]);
    expect(rejectionProblem('  ')).toEqual({ key: 'reasonRequired' });
    expect(rejectionProblem('ya no trabaja aquí')).toBeNull();
  });
});
