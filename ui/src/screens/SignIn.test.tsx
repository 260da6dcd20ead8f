import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Credentials, WorkstationUser } from '../api';
import { APP_INFO, CARLA, Refusal, STATUS, installShell, renderApp } from '../test/shell';

const signedOut = { current_user: () => null, status: () => ({ ...STATUS, user: null, online: false }) };

const BRUNO: WorkstationUser = { id_usuario: 'user-bruno', email: 'bodega@taller.test', nombre_completo: 'Bruno Bodeguero', pending: 4, current: false, can_unlock: true };

describe('sign in, unlock, switch user', () => {
  it('checks the fields before asking the server', async () => {
    const shell = installShell(signedOut);
    renderApp('/');
    await userEvent.click(await screen.findByRole('button', { name: 'Iniciar sesión' }));
    expect(screen.getByLabelText('Correo')).toHaveAccessibleDescription('Este campo es obligatorio.');
    await userEvent.type(screen.getByLabelText('Correo'), 'carla');
    await userEvent.click(screen.getByRole('button', { name: 'Iniciar sesión' }));
    expect(screen.getByLabelText('Correo')).toHaveAccessibleDescription(/Escriba un correo válido/);
    expect(screen.getByLabelText('Contraseña')).toHaveAccessibleDescription('Este campo es obligatorio.');
    expect(shell.callsOf('sign_in')).toEqual([]);
  });

  it('a refusal is shown with the server message, and what was typed stays', async () => {
    installShell({
      ...signedOut,
      sign_in: () => {
        throw new Refusal({ code: 'invalid_credentials', message: 'Correo o contraseña incorrectos.', params: {} });
      },
    });
    renderApp('/');
    await userEvent.type(await screen.findByLabelText('Correo'), 'carla@taller.test');
    await userEvent.type(screen.getByLabelText('Contraseña'), 'mala{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('Correo o contraseña incorrectos.');
    expect(screen.getByLabelText('Correo')).toHaveValue('carla@taller.test');
    expect(screen.getByLabelText('Contraseña')).toHaveValue('mala');
  });

  it('offline, a user known here is offered the offline unlock with the same credentials', async () => {
    const shell = installShell({
      ...signedOut,
      workstation_users: () => [BRUNO],
      sign_in: () => {
        throw new Refusal({ code: 'offline', message: 'No se puede contactar al servidor.', params: {} });
      },
      unlock: () => ({ ...CARLA, email: BRUNO.email }),
    });
    renderApp('/');
    await userEvent.type(await screen.findByLabelText('Correo'), 'bodega@taller.test');
    await userEvent.type(screen.getByLabelText('Contraseña'), 'secreta{Enter}');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('No se puede contactar al servidor.');
    await userEvent.click(within(alert).getByRole('button', { name: 'Entrar sin conexión' }));
    await waitFor(() => expect(shell.callsOf('unlock')).toEqual([{ email: 'bodega@taller.test', password: 'secreta' } satisfies Credentials]));
  });

  it('people who signed in here before are listed; choosing one unlocks offline', async () => {
    const shell = installShell({ ...signedOut, workstation_users: () => [BRUNO], unlock: () => CARLA });
    renderApp('/');
    await userEvent.click(await screen.findByRole('button', { name: /Bruno Bodeguero/ }));
    expect(screen.getByRole('heading', { name: 'Desbloquear sin conexión' })).toBeInTheDocument();
    expect(screen.getByLabelText('Correo')).toHaveValue('bodega@taller.test');
    expect(screen.getByLabelText('Contraseña')).toHaveFocus();
    await userEvent.keyboard('clave{Enter}');
    await waitFor(() => expect(shell.callsOf('unlock')).toHaveLength(1));
    expect(shell.callsOf('sign_in')).toHaveLength(0);
  });

  it('in demo mode the demo accounts are offered and sign in with one press', async () => {
    const shell = installShell({
      ...signedOut,
      app_info: () => ({ ...APP_INFO, demo: { accounts: [{ email: 'bodega@taller.test', password: 'taller-demo-2026', nombre_completo: 'Bruno Bodeguero', nombre_rol: 'superuser' }] } }),
      sign_in: () => CARLA,
      sync_now: () => ({ pushed: 0, applied: 0, rejected: 0, pages: 1, rows: 10, deltas: 1 }),
    });
    renderApp('/');
    const demo = await screen.findByRole('region', { name: 'Cuentas de demostración' });
    await userEvent.click(within(demo).getByRole('button', { name: /Bruno Bodeguero/ }));
    await waitFor(() => expect(shell.callsOf('sign_in')).toEqual([{ email: 'bodega@taller.test', password: 'taller-demo-2026' }]));
  });

  it('without demo mode there are no demo accounts', async () => {
    installShell(signedOut);
    renderApp('/');
    await screen.findByRole('heading', { name: 'Iniciar sesión' });
    expect(screen.queryByRole('region', { name: 'Cuentas de demostración' })).toBeNull();
  });

  it('switching user lists each person with their pending work and unlocks the other one', async () => {
    const me: WorkstationUser = { id_usuario: CARLA.id_usuario, email: CARLA.email, nombre_completo: CARLA.nombre_completo, pending: 2, current: true, can_unlock: true };
    const shell = installShell({ workstation_users: () => [me, BRUNO], unlock: () => CARLA });
    renderApp('/switch-user');
    expect(await screen.findByText('Los cambios pendientes de cada persona se quedan en este equipo y se envían con su propia cuenta.')).toBeInTheDocument();
    const bruno = await screen.findByRole('button', { name: /Bruno Bodeguero/ });
    expect(bruno).toHaveTextContent('4 pendientes');
    expect(screen.getByRole('button', { name: /Carla Técnica/ })).toHaveTextContent('2 pendientes');
    await userEvent.click(bruno);
    await userEvent.type(screen.getByLabelText('Contraseña'), 'clave{Enter}');
    await waitFor(() => expect(shell.callsOf('unlock')).toEqual([{ email: BRUNO.email, password: 'clave' }]));
  });
});
