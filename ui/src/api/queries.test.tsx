import { QueryClientProvider, useQuery } from '@tanstack/react-query';
import { render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { api, TallerError, toTallerError } from './index';
import { createQueryClient, queryKeys, readsAny, useShellEvents } from './queries';
import { installShell, Refusal, STATUS } from '../test/shell';

/** Three screens' worth of queries, and the shell's events wired as the app wires them. */
function Probe() {
  useShellEvents();
  const inventory = useQuery({
    queryKey: queryKeys.inventoryPage({ id_localizacion: 'loc-norte', search: '', low_only: false, sort: { column: 'referencia', direction: 'asc' } }, 0, 100),
    queryFn: () => api.inventoryPage({ id_localizacion: 'loc-norte', search: '', low_only: false, sort: { column: 'referencia', direction: 'asc' }, offset: 0, limit: 100 }),
  });
  const notifications = useQuery({ queryKey: queryKeys.notifications, queryFn: api.notifications });
  const status = useQuery({ queryKey: queryKeys.status, queryFn: api.status });
  return (
    <p>
      {inventory.isSuccess && notifications.isSuccess && status.isSuccess ? 'listo' : 'cargando'} pending={status.data?.pending}
    </p>
  );
}

describe('the query cache over the commands', () => {
  it('tables-changed refetches only the queries that read those tables', async () => {
    const shell = installShell();
    const client = createQueryClient();
    render(
      <QueryClientProvider client={client}>
        <Probe />
      </QueryClientProvider>,
    );
    await screen.findByText(/listo/);
    const count = (command: string) => shell.callsOf(command).length;
    expect([count('inventory_page'), count('notifications')]).toEqual([1, 1]);

    await shell.emit('tables-changed', { tables: ['notificaciones'], source: 'pull' });
    await waitFor(() => expect(count('notifications')).toBe(2));
    expect(count('inventory_page')).toBe(1);

    await shell.emit('tables-changed', { tables: ['inventario', 'logs_inventario', 'outbox'], source: 'local' });
    await waitFor(() => expect(count('inventory_page')).toBe(2));
    expect(count('notifications')).toBe(2);

    await shell.emit('tables-changed', { tables: ['garantias'], source: 'pull' });
    // Nothing reads garantias: a later event that does still finds the counts unchanged.
    await shell.emit('tables-changed', { tables: ['notificaciones'], source: 'pull' });
    await waitFor(() => expect(count('notifications')).toBe(3));
    expect(count('inventory_page')).toBe(2);
    expect(count('status')).toBe(1);
  });

  it('sync-status replaces the status without asking the shell again', async () => {
    const shell = installShell();
    const client = createQueryClient();
    render(
      <QueryClientProvider client={client}>
        <Probe />
      </QueryClientProvider>,
    );
    await screen.findByText(/pending=0/);
    await shell.emit('sync-status', { ...STATUS, pending: 7 });
    expect(await screen.findByText(/pending=7/)).toBeInTheDocument();
    expect(shell.callsOf('status')).toHaveLength(1);
  });

  it('the table map: each query names what it reads', () => {
    expect(readsAny(['inventory_page', {}, 0, 100], ['inventario'])).toBe(true);
    expect(readsAny(['inventory_page', {}, 0, 100], ['notificaciones'])).toBe(false);
    expect(readsAny(['part_detail', 'x'], ['logs_inventario'])).toBe(true);
    expect(readsAny(['inbox'], ['rejected_mutations'])).toBe(true);
    expect(readsAny(['settings'], ['inventario'])).toBe(false);
  });
});

describe('command errors', () => {
  it('a refusal keeps its code, message and params', async () => {
    installShell({
      record_movement: () => {
        throw new Refusal({ code: 'insufficient_stock', message: 'Stock insuficiente: hay 1 y se piden 3.', params: { available: 1, requested: 3 } });
      },
    });
    const error = await api
      .recordMovement({ id_localizacion: 'l', id_repuesto: 'r', id_tecnico_asignado: 'u', concepto: 'salida', tipo: 'salida', cantidad: 3, numero_orden: null })
      .catch((raw: unknown) => raw);
    expect(error).toBeInstanceOf(TallerError);
    expect(error).toMatchObject({ code: 'insufficient_stock', message: 'Stock insuficiente: hay 1 y se piden 3.', params: { available: 1, requested: 3 } });
  });

  it('what Tauri itself rejects with (a string) becomes an ipc_error', async () => {
    installShell();
    const error = await api.partDetail('x').catch((raw: unknown) => raw);
    expect(error).toMatchObject({ code: 'ipc_error', message: 'command part_detail not found', params: {} });
  });

  it('normalizes odd shapes', () => {
    expect(toTallerError({ code: 'offline', message: 'sin red' })).toMatchObject({ code: 'offline', params: {} });
    expect(toTallerError(new Error('boom'))).toMatchObject({ code: 'ipc_error', message: 'boom' });
  });

  it('any command answering update_required marks the status', async () => {
    installShell({
      inbox: () => {
        throw new Refusal({ code: 'update_required', message: 'Actualice Taller.', params: {} });
      },
    });
    const client = createQueryClient();
    client.setQueryData(queryKeys.status, STATUS);
    await client.fetchQuery({ queryKey: queryKeys.inbox, queryFn: api.inbox }).catch(() => undefined);
    expect(client.getQueryData<typeof STATUS>(queryKeys.status)?.update_required).toBe(true);
  });
});
