// The administration screen: waiting accounts first, approve, reject with a reason, locations.

import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { UserAccount, UserProfile } from '../api';
import { CARLA, NORTE, Refusal, SUR, installShell, renderApp } from '../test/shell';

const ADMIN: UserProfile = {
  ...CARLA,
  id_usuario: 'user-ana',
  nombre_completo: 'Ana Admin',
  email: 'admin@taller.test',
  nombre_rol: 'admin',
  permisos: { ...CARLA.permisos, users: { view: true, manage: true } },
  is_admin: true,
  localizaciones: [NORTE.id_localizacion, SUR.id_localizacion],
};

const account = (id: string, nombre: string, estado: UserAccount['estado'], localizaciones: UserAccount['localizaciones'] = []): UserAccount => ({
  id_usuario: id,
  nombre_completo: nombre,
  email: `${id}@taller.test`,
  nombre_rol: 'tecnico',
  is_admin: false,
  estado,
  motivo_rechazo: null,
  created_at: '2026-12-01T08:00:00Z',
  localizaciones,
});

const ACCOUNTS = [
  account('lucia', 'Lucía Nueva', 'pendiente'),
  account('user-ana', 'Ana Admin', 'aprobado', [{ id_localizacion: NORTE.id_localizacion, nombre: NORTE.nombre }]),
  account('carla', 'Carla Técnica', 'aprobado', [{ id_localizacion: NORTE.id_localizacion, nombre: NORTE.nombre }]),
];

const queued = (name: string) => ({ id: 'q', seq: 1, name, result: {}, pending: 1 });

describe('users', () => {
  it('shows waiting accounts first and approves one', async () => {
    const shell = installShell({ current_user: () => ADMIN, users: () => ACCOUNTS, approve_user: () => queued('user.approve') });
    renderApp('/users');
    expect(await screen.findByText('1 cuenta espera aprobación')).toBeInTheDocument();
    const cards = screen.getAllByRole('article');
    expect(cards).toHaveLength(1);
    expect(within(cards[0]!).getByText('Sin sedes: no verá inventario hasta tener una.')).toBeInTheDocument();
    await userEvent.click(within(cards[0]!).getByRole('button', { name: 'Aprobar: Lucía Nueva' }));
    await waitFor(() => expect(shell.callsOf('approve_user')).toEqual([{ user: 'lucia' }]));
  });

  it('asks a reason before rejecting, never offers to reject oneself, and assigns a location', async () => {
    const shell = installShell({
      current_user: () => ADMIN,
      users: () => ACCOUNTS,
      reject_user: () => queued('user.reject'),
      assign_user: () => queued('user.assign'),
    });
    renderApp('/users');
    await userEvent.click(await screen.findByRole('button', { name: /^Todas/ }));
    const own = screen.getByRole('article', { name: /Ana Admin/ });
    expect(within(own).queryByRole('button', { name: /Rechazar/ })).toBeNull();
    const carla = screen.getByRole('article', { name: /Carla Técnica/ });
    await userEvent.click(within(carla).getByRole('button', { name: 'Rechazar: Carla Técnica' }));
    await userEvent.click(within(carla).getByRole('button', { name: 'Rechazar la cuenta' }));
    expect(within(carla).getByText('Escriba por qué se rechaza.')).toBeInTheDocument();
    expect(shell.callsOf('reject_user')).toEqual([]);
    await userEvent.type(within(carla).getByLabelText('Motivo del rechazo'), '  ya no trabaja aquí ');
    await userEvent.click(within(carla).getByRole('button', { name: 'Rechazar la cuenta' }));
    await waitFor(() => expect(shell.callsOf('reject_user')).toEqual([{ user: 'carla', motivo_rechazo: 'ya no trabaja aquí' }]));

    await userEvent.selectOptions(within(carla).getByLabelText('Sede que se añade'), SUR.nombre);
    await userEvent.click(within(carla).getByRole('button', { name: 'Añadir sede' }));
    await waitFor(() => expect(shell.callsOf('assign_user')).toEqual([{ user: 'carla', location: SUR.id_localizacion }]));
  });

  it('is not offered to a role that does not manage users', async () => {
    installShell({ users: () => ACCOUNTS });
    renderApp('/users');
    expect(await screen.findByText('Su rol no administra usuarios.')).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: /Usuarios/ })).toBeNull();
  });
});

describe('locations and roles', () => {
  it('lists each location with its negative-stock policy and changes one from the keyboard', async () => {
    const policies = [
      { id_localizacion: NORTE.id_localizacion, nombre: NORTE.nombre, activo: true, stock_negativo: 'allow' as const },
      { id_localizacion: SUR.id_localizacion, nombre: SUR.nombre, activo: false, stock_negativo: 'reject' as const },
    ];
    const shell = installShell({
      current_user: () => ADMIN,
      users: () => ACCOUNTS,
      location_policies: () => policies,
      roles: () => [
        { id_rol: 'rol-admin', nombre_rol: 'admin', is_admin: true, permisos: ADMIN.permisos },
        { id_rol: 'rol-tecnico', nombre_rol: 'tecnico', is_admin: false, permisos: CARLA.permisos },
      ],
      set_location_policy: () => queued('location.policy'),
    });
    renderApp('/users');
    const norte = await screen.findByLabelText('Stock negativo en Taller Norte');
    expect(norte).toHaveValue('allow');
    expect(screen.getByLabelText('Stock negativo en Taller Sur')).toHaveValue('reject');
    expect(screen.getByText('(inactiva)')).toBeInTheDocument();
    norte.focus();
    await userEvent.selectOptions(norte, 'Se rechaza');
    await waitFor(() => expect(shell.callsOf('set_location_policy')).toEqual([{ location: NORTE.id_localizacion, stock_negativo: 'reject' }]));
    expect(await screen.findByText('Taller Norte: Se rechaza.')).toBeInTheDocument();

    // The roles, read-only: what each may do.
    const roles = screen.getAllByRole('region', { name: 'Roles y lo que puede hacer cada uno' }).at(-1)!;
    const tecnico = within(roles).getByRole('row', { name: /tecnico/ });
    const cells = within(tecnico).getAllByRole('cell');
    expect(cells).toHaveLength(12);
    expect(cells[0]).toHaveTextContent('Sí'); // inventory.view
    expect(cells[3]).toHaveTextContent('No'); // inventory.delete
    expect(cells[11]).toHaveTextContent('No'); // users.manage
    expect(within(roles).getByRole('row', { name: /ve todas las sedes/ })).toBeInTheDocument();
  });

  it('shows a refused change with its code', async () => {
    installShell({
      current_user: () => ADMIN,
      users: () => ACCOUNTS,
      location_policies: () => [{ id_localizacion: NORTE.id_localizacion, nombre: NORTE.nombre, activo: true, stock_negativo: 'allow' }],
      set_location_policy: () => {
        throw new Refusal({ code: 'forbidden', message: 'Su rol no tiene el permiso users.manage.', params: {} });
      },
    });
    renderApp('/users');
    await userEvent.selectOptions(await screen.findByLabelText('Stock negativo en Taller Norte'), 'reject');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('forbidden');
  });
});
