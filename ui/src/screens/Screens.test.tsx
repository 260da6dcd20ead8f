// Notifications, settings, part detail, the sync panel and the help overlay.

import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Channel } from '@tauri-apps/api/core';
import { describe, expect, it } from 'vitest';
import type { Notificacion, PartDetail, SyncProgress } from '../api';
import { CARLA, MOTOR, Refusal, SETTINGS, STATUS, installShell, renderApp } from '../test/shell';

const notification = (id: string, tipo: string, leida = false): Notificacion => ({
  id_notificacion: id,
  id_localizacion: 'loc-norte',
  titulo: tipo === 'alerta_stock' ? 'Stock bajo' : 'Stock negativo',
  mensaje: `Mensaje ${id}`,
  tipo,
  prioridad: 'alta',
  leida,
  created_at: '2026-12-01T08:00:00Z',
});

const DETAIL: PartDetail = {
  id_repuesto: MOTOR.id_repuesto,
  referencia: MOTOR.referencia,
  nombre: MOTOR.nombre,
  tipo: 'Motor',
  marca: 'Bafang',
  descripcion: 'Motor de buje trasero',
  descontinuado: false,
  fecha_estimada: null,
  url_imagen: null,
  created_at: '2026-01-01T00:00:00Z',
  stock: [
    { ...MOTOR.stock!, posicion: 'B-2', cantidad_minima: 3 },
    { id_inventario: 'inv-sur', id_localizacion: 'loc-sur', localizacion: 'Taller Sur', stock_actual: 0, cantidad_minima: 2, posicion: null, estado_stock: 'Sin Stock', alerta_minimo: true },
  ],
  ledger: [
    { id_log: 'log-2', fecha: '2026-12-01T09:00:00Z', localizacion: 'Taller Norte', tipo_operacion: 'MOVIMIENTO_TECNICO', cantidad_anterior: 14, cantidad_nueva: 12, diferencia: -2, motivo: null, usuario: 'Carla Técnica', absorbido: false },
    { id_log: 'log-1', fecha: '2026-11-30T09:00:00Z', localizacion: 'Taller Norte', tipo_operacion: 'CONTEO_FISICO', cantidad_anterior: 10, cantidad_nueva: 14, diferencia: 4, motivo: 'conteo', usuario: 'Bruno Bodeguero', absorbido: false },
    { id_log: 'log-0', fecha: '2026-11-29T09:00:00Z', localizacion: 'Taller Norte', tipo_operacion: 'MOVIMIENTO_TECNICO', cantidad_anterior: 10, cantidad_nueva: 10, diferencia: 0, motivo: null, usuario: 'Carla Técnica', absorbido: true },
  ],
  conflictos: [
    { id_conflicto: 'c-1', tabla: 'inventario', clave: 'inv-motor', localizacion: 'Taller Norte', campo: 'cantidad_minima', valor_reemplazado: 2, valor_servidor: 4, valor_nuevo: 3, otro_usuario: 'Bruno Bodeguero', created_at: '2026-12-01T09:10:00Z' },
  ],
};

describe('notifications', () => {
  it('lists low and negative stock with their kind, and marks one read', async () => {
    const shell = installShell({
      notifications: () => [notification('n-1', 'alerta_stock'), notification('n-2', 'stock_negativo'), notification('n-3', 'alerta_stock', true)],
      mark_notification_read: () => ({ id: 'm', seq: 1, name: 'notification.read', result: {}, pending: 1 }),
    });
    renderApp('/notifications');
    expect(await screen.findByText('2 sin leer', { selector: 'p' })).toBeInTheDocument();
    expect(screen.getAllByRole('img', { name: 'Tipo: stock bajo' })).toHaveLength(2);
    expect(screen.getByRole('img', { name: 'Tipo: stock negativo' })).toBeInTheDocument();
    const card = screen.getByText('Mensaje n-1').closest('article') as HTMLElement;
    await userEvent.click(within(card).getByRole('button', { name: /Marcar como leída/ }));
    await waitFor(() => expect(shell.callsOf('mark_notification_read')).toEqual([{ id_notificacion: 'n-1' }]));
    expect(await screen.findByText('1 sin leer', { selector: 'p' })).toBeInTheDocument();
    expect(within(card).queryByRole('button', { name: /Marcar como leída/ })).toBeNull();
  });

  it('the navigation counts unread notifications', async () => {
    installShell({ notifications: () => [notification('n-1', 'alerta_stock')] });
    renderApp('/inventory');
    expect(await screen.findByRole('img', { name: '1 sin leer' })).toHaveTextContent('1');
  });
});

describe('settings', () => {
  it('checks the server address and the interval, and keeps what was typed', async () => {
    const shell = installShell();
    renderApp('/settings');
    const server = await screen.findByLabelText('Dirección del servidor');
    await userEvent.clear(server);
    await userEvent.type(server, 'taller.local');
    const interval = screen.getByLabelText(/Sincronizar cada/);
    await userEvent.clear(interval);
    await userEvent.type(interval, '2');
    await userEvent.click(screen.getByRole('button', { name: 'Guardar' }));
    expect(server).toHaveAccessibleDescription(/http:\/\/ o https:\/\//);
    expect(interval).toHaveAccessibleDescription('Escriba un número entero entre 10 y 3600.');
    expect(shell.callsOf('save_settings')).toEqual([]);
    expect(server).toHaveValue('taller.local');
  });

  it('saves, and shows the library refusal inline', async () => {
    const shell = installShell({
      save_settings: () => {
        throw new Refusal({ code: 'invalid_input', message: 'http://x:99999 no es una dirección http(s)', params: {} });
      },
    });
    renderApp('/settings');
    const server = await screen.findByLabelText('Dirección del servidor');
    await userEvent.clear(server);
    await userEvent.type(server, 'http://x:9999{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('no es una dirección http(s)');
    expect(shell.callsOf('save_settings')).toEqual([{ ...SETTINGS, server_url: 'http://x:9999' }]);
    expect(server).toHaveValue('http://x:9999');
  });
});

describe('part detail', () => {
  it('shows the data, the stock at each location, the ledger, and a field conflict with both values', async () => {
    installShell({ part_detail: () => DETAIL });
    renderApp(`/parts/${MOTOR.id_repuesto}`);
    expect(await screen.findByRole('heading', { level: 1, name: /MTR-500W-48V — Motor 500W 48V/ })).toBeInTheDocument();
    const stock = screen.getByRole('rowheader', { name: 'Taller Sur' }).closest('tr') as HTMLElement;
    expect(within(stock).getByRole('img', { name: 'Estado de stock: Sin Stock' })).toBeInTheDocument();
    const conflicts = screen.getByRole('region', { name: 'Un cambio suyo chocó con el de otra persona' });
    expect(within(conflicts).getByText('Valor que usted reemplazó').nextElementSibling).toHaveTextContent('2');
    expect(within(conflicts).getByText('Valor puesto por Bruno Bodeguero').nextElementSibling).toHaveTextContent('4');
    expect(within(conflicts).getByText('Valor vigente').nextElementSibling).toHaveTextContent('3');
    const ledger = screen.getByRole('region', { name: 'Historial de movimientos' });
    expect(within(ledger).getByText('Conteo físico')).toBeInTheDocument();
    expect(within(ledger).getByText('-2')).toBeInTheDocument();
    expect(within(ledger).getByText('+4')).toBeInTheDocument();
    expect(within(ledger).getByRole('img', { name: /Absorbido por un conteo posterior/ })).toBeInTheDocument();
  });

  it('the minimum and position are editable only where allowed, and each edit carries the value replaced', async () => {
    const shell = installShell({
      part_detail: () => DETAIL,
      edit_inventory_settings: () => ({ id: 'm', seq: 2, name: 'inventory.settings', result: {}, pending: 1 }),
    });
    renderApp(`/parts/${MOTOR.id_repuesto}`);
    await screen.findByRole('heading', { level: 1 });
    // Carla is assigned to Taller Norte only.
    const sur = screen.getByRole('rowheader', { name: 'Taller Sur' }).closest('tr') as HTMLElement;
    expect(within(sur).queryByRole('button')).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'Cambiar mínimo y posición' }));
    const minimum = screen.getByLabelText('Mínimo');
    expect(minimum).toHaveFocus();
    await userEvent.clear(minimum);
    await userEvent.type(minimum, '-1{Enter}');
    expect(minimum).toHaveAccessibleDescription('Escriba un número entero (0 o más).');
    await userEvent.clear(minimum);
    await userEvent.type(minimum, '5{Enter}');
    await waitFor(() =>
      expect(shell.callsOf('edit_inventory_settings')).toEqual([
        { id_localizacion: 'loc-norte', id_repuesto: MOTOR.id_repuesto, edits: [{ field: 'cantidad_minima', old: 3, new: 5 }] },
      ]),
    );
  });

  it('a user without inventory.edit sees no edit button', async () => {
    installShell({ part_detail: () => DETAIL, current_user: () => ({ ...CARLA, permisos: { ...CARLA.permisos, inventory: { ...CARLA.permisos.inventory, edit: false } } }) });
    renderApp(`/parts/${MOTOR.id_repuesto}`);
    await screen.findByRole('heading', { level: 1 });
    expect(screen.queryByRole('button', { name: 'Cambiar mínimo y posición' })).toBeNull();
  });
});

describe('sync panel', () => {
  it('a manual sync shows the rows and the percentage from the shell channel, then the report', async () => {
    let send: ((progress: SyncProgress) => void) | null = null;
    let finish: (() => void) | null = null;
    const shell = installShell({
      sync_now: (args) =>
        new Promise((resolve) => {
          const channel = args.progress as Channel<SyncProgress>;
          send = (progress) => channel.onmessage(progress);
          finish = () => resolve({ pushed: 3, applied: 2, rejected: 1, pages: 10, rows: 100000, deltas: 1 });
        }),
    });
    renderApp('/sync');
    await userEvent.click(await screen.findByRole('button', { name: /Sincronizar ahora/ }));
    await waitFor(() => expect(send).not.toBeNull());
    act(() => send!({ rows_sent: 25_000, rows_total: 100_000 }));
    expect(await screen.findByText('25.000 de 100.000 filas (25 %)')).toBeInTheDocument();
    expect(screen.getByRole('progressbar', { name: 'Datos recibidos' })).toHaveAttribute('value', '25');
    await act(async () => finish!());
    expect(await screen.findByText('Listo: 3 enviados, 2 aplicados, 1 rechazados, 100.000 filas recibidas.')).toBeInTheDocument();
    expect(shell.callsOf('sync_now')).toHaveLength(1);
  });

  it('F9 syncs from anywhere; the last errors are listed', async () => {
    const shell = installShell({
      sync_now: () => ({ pushed: 0, applied: 0, rejected: 0, pages: 0, rows: 0, deltas: 0 }),
      recent_sync_errors: () => [{ at: '2026-12-01T10:00:00Z', code: 'offline', message: 'No se puede contactar al servidor.' }],
      status: () => ({ ...STATUS, online: false }),
    });
    renderApp('/sync');
    expect(await screen.findByText('No se puede contactar al servidor.')).toBeInTheDocument();
    fireEvent.keyDown(window, { key: 'F9' });
    await waitFor(() => expect(shell.callsOf('sync_now')).toHaveLength(1));
  });

  it('a failed sync shows the library message', async () => {
    installShell({
      sync_now: () => {
        throw new Refusal({ code: 'update_required', message: 'El servidor exige una versión más nueva de Taller.', params: {} });
      },
    });
    renderApp('/sync');
    await userEvent.click(await screen.findByRole('button', { name: /Sincronizar ahora/ }));
    expect(await screen.findByText('El servidor exige una versión más nueva de Taller.')).toBeInTheDocument();
  });
});

describe('keyboard', () => {
  it('Alt+number moves between sections; F1 lists the shortcuts; Esc closes and gives the focus back', async () => {
    installShell();
    renderApp('/inventory');
    await screen.findByRole('heading', { name: /Inventario/ });
    fireEvent.keyDown(window, { key: '6', code: 'Digit6', altKey: true });
    await waitFor(() => expect(window.location.hash).toBe('#/notifications'));
    fireEvent.keyDown(window, { key: '3', code: 'Digit3', altKey: true });
    await waitFor(() => expect(window.location.hash).toBe('#/transfers'));
    const helpButton = screen.getByRole('button', { name: 'Atajos (F1)' });
    helpButton.focus();
    fireEvent.keyDown(window, { key: 'F1' });
    const dialog = await screen.findByRole('dialog', { name: 'Atajos de teclado' });
    expect(within(dialog).getByText('Sincronizar ahora')).toBeInTheDocument();
    expect(within(dialog).getByText('Escanear un código abre ese repuesto')).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Cerrar (Esc)' })).toHaveFocus();
    fireEvent.keyDown(dialog, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(helpButton).toHaveFocus();
  });
});
