import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { OrderSummary, Queued, ScooterModel } from '../api';
import { CARLA, installShell, renderApp } from '../test/shell';

function queued(name: string, result: unknown = null): Queued {
  return { id: 'mut-1', seq: 1, name, result, pending: 1 } as Queued;
}

const MODEL: ScooterModel = { id_tipo: 'tipo-1', nombre: 'Urbano 350', potencia: '350W', descripcion: null, pedidos_abiertos: 1 };

const ORDER: OrderSummary = {
  id_orden: 'orden-1',
  numero_orden: 'OC-2026-0101',
  id_tipo_scooter: 'tipo-1',
  modelo: 'Urbano 350',
  potencia: '350W',
  nivel: 1,
  estado: 'Pedido',
  telefono_contacto: '600 111 222',
  email_contacto: 'compras@taller.test',
  link_orden: null,
  fecha_orden: '2026-11-20T09:00:00Z',
  fecha_entrega_estimada: '2026-11-30',
  atrasada: true,
};

describe('orders screen', () => {
  it('lists orders by level with their ETA, marks the late one, and advances an order forward', async () => {
    const shell = installShell({
      models: () => [MODEL],
      orders: () => [ORDER, { ...ORDER, id_orden: 'orden-2', numero_orden: 'OC-2026-0090', nivel: 3, estado: 'Entregado', atrasada: false }],
      advance_order: () => queued('order.advance', { id_orden: 'orden-1', nivel: 2, applied: true }),
    });
    renderApp('/orders');
    const ordered = await screen.findByRole('table', { name: 'Pedido: 1 órdenes' });
    const row = within(ordered).getByRole('row', { name: /OC-2026-0101/ });
    expect(within(row).getByLabelText('Atrasada: la fecha estimada de entrega ya pasó')).toBeInTheDocument();
    expect(row).toHaveTextContent('30 nov 2026');
    const delivered = screen.getByRole('table', { name: 'Entregado: 1 órdenes' });
    expect(within(delivered).queryByRole('button', { name: /Pasar/ })).toBeNull();
    await userEvent.click(within(row).getByRole('button', { name: 'Pasar la orden OC-2026-0101 a «En tránsito»' }));
    await waitFor(() => expect(shell.callsOf('advance_order')).toEqual([{ order: 'orden-1', nivel: 2, estado: null }]));
    expect(await screen.findByText('Orden OC-2026-0101: ahora «En tránsito».')).toHaveAttribute('role', 'status');
  });

  it('says when the order was already at that level: a level never goes back', async () => {
    installShell({
      models: () => [MODEL],
      orders: () => [ORDER],
      advance_order: () => queued('order.advance', { id_orden: 'orden-1', nivel: 3, applied: false }),
    });
    renderApp('/orders');
    await userEvent.click(await screen.findByRole('button', { name: 'Pasar la orden OC-2026-0101 a «En tránsito»' }));
    expect(await screen.findByText('La orden OC-2026-0101 ya estaba en «Entregado»: un nivel nunca retrocede, no cambió nada.')).toHaveAttribute('role', 'status');
  });

  it('edits the contact and ETA from the keyboard, sending only what changed', async () => {
    const shell = installShell({ models: () => [MODEL], orders: () => [ORDER], edit_order: () => queued('order.edit', { id_orden: 'orden-1' }) });
    renderApp('/orders');
    await userEvent.click(await screen.findByRole('button', { name: 'Editar el contacto y la fecha de la orden OC-2026-0101' }));
    const eta = screen.getByLabelText('Entrega estimada');
    expect(eta).toHaveFocus();
    await userEvent.clear(eta);
    await userEvent.type(eta, '2026-12-24');
    await userEvent.clear(screen.getByLabelText('Correo de contacto'));
    await userEvent.type(screen.getByLabelText('Correo de contacto'), 'compras');
    await userEvent.keyboard('{Enter}');
    expect(screen.getByLabelText('Correo de contacto')).toHaveAccessibleDescription(/Escriba un correo válido/);
    expect(shell.callsOf('edit_order')).toEqual([]);
    await userEvent.type(screen.getByLabelText('Correo de contacto'), '@norte.es');
    await userEvent.keyboard('{Enter}');
    await waitFor(() =>
      expect(shell.callsOf('edit_order')).toEqual([
        { order: 'orden-1', telefono_contacto: null, email_contacto: 'compras@norte.es', link_orden: null, fecha_entrega_estimada: '2026-12-24' },
      ]),
    );
  });

  it('creates a model, then an order of it', async () => {
    const shell = installShell({
      models: () => [MODEL],
      orders: () => [],
      create_model: () => queued('model.create', { id_tipo: 'tipo-2' }),
      create_order: () => queued('order.create', { id_orden: 'orden-9' }),
    });
    renderApp('/orders');
    await userEvent.type(await screen.findByLabelText('Nombre'), 'Trail 800');
    await userEvent.type(screen.getByLabelText(/Potencia/), '800W');
    await userEvent.click(screen.getByRole('button', { name: 'Crear modelo' }));
    await waitFor(() => expect(shell.callsOf('create_model')).toEqual([{ nombre: 'Trail 800', potencia: '800W', descripcion: null }]));

    await userEvent.click(screen.getByRole('link', { name: /Nueva orden/ }));
    const numero = await screen.findByLabelText('Número de orden');
    expect(numero).toHaveFocus();
    await userEvent.click(screen.getByRole('button', { name: 'Crear orden' }));
    expect(numero).toHaveAccessibleDescription('Este campo es obligatorio.');
    await userEvent.type(numero, 'OC-2026-0200');
    await userEvent.type(screen.getByLabelText(/Entrega estimada/), '2026-12-24');
    await userEvent.click(screen.getByRole('button', { name: 'Crear orden' }));
    await waitFor(() =>
      expect(shell.callsOf('create_order')).toEqual([
        { numero_orden: 'OC-2026-0200', model: 'tipo-1', estado: null, telefono_contacto: null, email_contacto: null, link_orden: null, fecha_entrega_estimada: '2026-12-24' },
      ]),
    );
    await waitFor(() => expect(window.location.hash).toBe('#/orders'));
    expect(await screen.findByText('Orden OC-2026-0200 creada.')).toBeInTheDocument();
  });

  it('a role without inventory.edit sees the orders but is offered no change', async () => {
    const tecnico = { ...CARLA, permisos: { ...CARLA.permisos, inventory: { view: true, create: true, edit: false, delete: false } } };
    installShell({ current_user: () => tecnico, models: () => [MODEL], orders: () => [ORDER] });
    renderApp('/orders');
    expect(await screen.findByText(/Su rol puede ver las órdenes, pero no cambiarlas/)).toBeInTheDocument();
    expect(await screen.findByRole('row', { name: /OC-2026-0101/ })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Pasar/ })).toBeNull();
    expect(screen.queryByRole('link', { name: /Nueva orden/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Crear modelo' })).toBeNull();
  });
});
