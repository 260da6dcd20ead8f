import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { STATUS, installShell, renderApp } from '../test/shell';

describe('sync indicator in the header', () => {
  it('is on every screen and names its state for screen readers (role status)', async () => {
    const shell = installShell({ status: () => ({ ...STATUS, pending: 2 }) });
    renderApp('/notifications');
    const link = await screen.findByRole('link', { name: /^Sincronización: 2 cambios pendientes\./ });
    expect(link).toHaveAttribute('href', '#/sync');
    expect(link).toHaveAttribute('data-state', 'pending');
    expect(screen.getByRole('status', { name: '' }).textContent ?? '').toMatch(/^Sincronización: 2 cambios pendientes\./);

    await shell.emit('sync-status', { ...STATUS, online: false, pending: 2 });
    expect(await screen.findByRole('link', { name: /^Sincronización: Sin conexión\. 2 pendientes/ })).toHaveAttribute('data-state', 'offline');
  });

  it('a failing sync and an update required are alerts', async () => {
    const shell = installShell({
      status: () => ({ ...STATUS, last_error: { at: '2026-12-01T10:50:00Z', code: 'unavailable', message: 'Servidor en mantenimiento.' } }),
    });
    renderApp('/inventory');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Sincronización: Error al sincronizar. Servidor en mantenimiento.');
    await shell.emit('sync-status', { ...STATUS, update_required: true });
    expect(await screen.findByRole('link', { name: /^Sincronización: Actualización necesaria\./ })).toBeInTheDocument();
    // And the banner over every screen.
    expect(screen.getAllByRole('alert').some((element) => element.textContent?.includes('Actualice Taller'))).toBe(true);
  });
});
