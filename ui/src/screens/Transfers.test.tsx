import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { CartLine, Queued, RequestDetail, RequestSummary } from '../api';
import { CARLA, NORTE, Refusal, SUR, installShell, renderApp } from '../test/shell';

function queued(result: unknown = null): Queued {
  return { id: 'mut-1', seq: 1, name: 'x', result, pending: 1 } as Queued;
}

const SUMMARY: RequestSummary = {
  id_solicitud: 'sol-1',
  estado: 'DESPACHADO',
  id_localizacion_origen: SUR.id_localizacion,
  origen: SUR.nombre,
  id_localizacion_destino: NORTE.id_localizacion,
  destino: NORTE.nombre,
  id_usuario_solicitante: CARLA.id_usuario,
  solicitante: CARLA.nombre_completo,
  fecha_creacion: '2026-12-01T09:00:00Z',
  fecha_alistamiento: '2026-12-01T09:10:00Z',
  fecha_despacho: '2026-12-01T09:20:00Z',
  fecha_recepcion: null,
  guia_transporte: 'GT-77',
  observaciones_generales: null,
  num_lineas: 2,
};

const DETAIL: RequestDetail = {
  ...SUMMARY,
  lineas: [
    {
      id_detalle: 'det-bat',
      id_repuesto: 'rep-bat',
      referencia: 'BAT-48V',
      nombre: 'Batería 48V',
      posicion: 'A-1',
      stock_origen: 7,
      cantidad_solicitada: 3,
      cantidad_despachada: 3,
      cantidad_recibida: null,
      discrepancia: false,
      observaciones: null,
    },
    {
      id_detalle: 'det-mtr',
      id_repuesto: 'rep-mtr',
      referencia: 'MTR-500W',
      nombre: 'Motor 500W',
      posicion: 'B-4',
      stock_origen: 2,
      cantidad_solicitada: 2,
      cantidad_despachada: 2,
      cantidad_recibida: null,
      discrepancia: false,
      observaciones: null,
    },
  ],
  trazabilidad: [
    { fecha_cambio: '2026-12-01T09:00:00Z', estado_anterior: null, estado_nuevo: 'PENDIENTE', usuario: CARLA.nombre_completo, comentario: null },
    { fecha_cambio: '2026-12-01T09:20:00Z', estado_anterior: 'ALISTAMIENTO', estado_nuevo: 'DESPACHADO', usuario: 'Beto Bodega', comentario: 'van en caja azul' },
  ],
};

describe('transfers', () => {
  it('adds a scanned reference to the cart and creates the request for that destination from another location', async () => {
    const cart: CartLine[] = [];
    const shell = installShell({
      cart: () => cart,
      requests: () => [],
      cart_add: (input) => {
        cart.push({ id_item_carrito: 'c1', id_localizacion: input.destination, destino: NORTE.nombre, id_repuesto: 'rep-bat', referencia: 'BAT-48V', nombre: 'Batería 48V', cantidad: input.cantidad, created_at: '2026-12-01T09:00:00Z' });
        return queued({ id_item_carrito: 'c1' });
      },
      request_from_cart: () => queued({ id_solicitud: 'sol-1', estado: 'PENDIENTE' }),
      request_detail: () => ({ ...DETAIL, estado: 'PENDIENTE' }),
    });
    renderApp('/transfers');
    expect(await screen.findByText('El carrito está vacío. Añada repuestos para pedirlos a otra sede.')).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText('Repuesto (referencia o código escaneado)'), 'bat-48v');
    await userEvent.clear(screen.getByLabelText('Cantidad'));
    await userEvent.type(screen.getByLabelText('Cantidad'), '3{Enter}');
    await waitFor(() => expect(shell.callsOf('cart_add')).toEqual([{ destination: NORTE.id_localizacion, part: 'bat-48v', cantidad: 3 }]));
    // The shell says the cart changed; here the cart query is refetched by hand.
    await shell.emit('tables-changed', { tables: ['carrito_solicitudes'], source: 'local' });
    const group = await screen.findByRole('table', { name: 'Para Taller Norte' });
    expect(within(group).getByText('BAT-48V')).toBeInTheDocument();
    expect(screen.getByLabelText('Pedir a la sede')).toHaveValue(SUR.id_localizacion);
    await userEvent.click(screen.getByRole('button', { name: 'Crear solicitud (1 línea)' }));
    await waitFor(() =>
      expect(shell.callsOf('request_from_cart')).toEqual([{ origin: SUR.id_localizacion, destination: NORTE.id_localizacion, observaciones_generales: null }]),
    );
    await waitFor(() => expect(window.location.hash).toBe('#/transfers/sol-1'));
  });

  it('a quantity that is not a whole number is caught before the library, and a refusal shows its message', async () => {
    const shell = installShell({
      cart: () => [],
      requests: () => [],
      cart_add: () => {
        throw new Refusal({ code: 'invalid_input', message: 'no part with reference "NOPE" in this replica', params: {} });
      },
    });
    renderApp('/transfers');
    await userEvent.type(await screen.findByLabelText('Repuesto (referencia o código escaneado)'), 'NOPE');
    await userEvent.clear(screen.getByLabelText('Cantidad'));
    await userEvent.type(screen.getByLabelText('Cantidad'), '1,5');
    await userEvent.click(screen.getByRole('button', { name: 'Añadir al carrito' }));
    expect(await screen.findByText('Escriba un número entero mayor que cero.')).toBeInTheDocument();
    expect(shell.callsOf('cart_add')).toEqual([]);
    await userEvent.clear(screen.getByLabelText('Cantidad'));
    await userEvent.type(screen.getByLabelText('Cantidad'), '1');
    await userEvent.click(screen.getByRole('button', { name: 'Añadir al carrito' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('no part with reference "NOPE" in this replica');
  });

  it('lists requests by state', async () => {
    const shell = installShell({ cart: () => [], requests: (input) => (input.estado === 'RECIBIDO' ? [] : [SUMMARY]) });
    renderApp('/transfers');
    const link = await screen.findByRole('link', { name: 'Taller Sur → Taller Norte' });
    expect(within(link.closest('tr') as HTMLElement).getByText('Despachada')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Recibida' }));
    expect(await screen.findByText('No hay solicitudes en este estado.')).toBeInTheDocument();
    expect(shell.callsOf('requests')).toContainEqual({ estado: 'RECIBIDO' });
  });

  it('a reception at the destination shows every difference live and sends only the lines that differ', async () => {
    const shell = installShell({ request_detail: () => DETAIL, receive_request: () => queued({ estado: 'RECIBIDO' }) });
    renderApp('/transfers/sol-1');
    expect(await screen.findByRole('heading', { name: /Solicitud Taller Sur → Taller Norte/ })).toBeInTheDocument();
    const rows = within(screen.getByRole('table', { name: 'Líneas' })).getAllByRole('row').slice(1);
    expect(rows.map((row) => within(row).getByRole('rowheader').textContent)).toEqual(['BAT-48V', 'MTR-500W']);
    const motor = screen.getByLabelText('Cantidad recibida de MTR-500W');
    expect(motor).toHaveValue('2');
    await userEvent.clear(motor);
    await userEvent.type(motor, '1');
    expect(await screen.findByText('1 línea llega distinta de lo despachado')).toBeInTheDocument();
    expect(screen.getByText('MTR-500W: se esperaban 2, se registran 1')).toBeInTheDocument();
    expect(motor.closest('tr')).toHaveClass('row--difference');
    await userEvent.click(screen.getByRole('button', { name: 'Registrar recepción' }));
    await waitFor(() =>
      expect(shell.callsOf('receive_request')).toEqual([{ id_solicitud: 'sol-1', comentario: null, lines: [{ line: 'det-mtr', cantidad: 1 }] }]),
    );
    expect(screen.getByText(/van en caja azul/)).toBeInTheDocument();
  });

  it('the origin dispatches with the transport guide; the destination is told the step is not theirs', async () => {
    const picking: RequestDetail = {
      ...DETAIL,
      estado: 'ALISTAMIENTO',
      guia_transporte: null,
      id_localizacion_origen: NORTE.id_localizacion,
      origen: NORTE.nombre,
      id_localizacion_destino: SUR.id_localizacion,
      destino: SUR.nombre,
      lineas: DETAIL.lineas.map((line) => ({ ...line, cantidad_despachada: null })),
    };
    const shell = installShell({ request_detail: () => picking, dispatch_request: () => queued() });
    renderApp('/transfers/sol-1');
    expect(await screen.findByRole('heading', { name: 'Lista de alistamiento (por posición)' })).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText(/Guía de transporte/), 'GT-9');
    await userEvent.click(screen.getByRole('button', { name: 'Despachar' }));
    await waitFor(() =>
      expect(shell.callsOf('dispatch_request')).toEqual([{ id_solicitud: 'sol-1', comentario: null, lines: [], guia_transporte: 'GT-9' }]),
    );
    expect(screen.getByRole('button', { name: 'Cancelar solicitud' })).toBeInTheDocument();

    shell.set({ request_detail: () => ({ ...picking, id_localizacion_origen: SUR.id_localizacion, id_localizacion_destino: NORTE.id_localizacion }) });
    await shell.emit('tables-changed', { tables: ['solicitudes'], source: 'pull' });
    expect(await screen.findByText('El siguiente paso lo hace la sede de origen.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Despachar' })).toBeNull();
  });
});

describe('replenishment', () => {
  const PROPOSAL = {
    id_localizacion_destino: NORTE.id_localizacion,
    destino: NORTE.nombre,
    id_localizacion_origen: SUR.id_localizacion,
    origen: SUR.nombre,
    origenes: [{ id_localizacion: SUR.id_localizacion, nombre: SUR.nombre, stock_total: 1234 }],
    lineas: [
      { id_repuesto: 'rep-mtr', referencia: 'MTR-500W', nombre: 'Motor 500W', posicion: 'A-7', stock_actual: 2, cantidad_minima: 8, en_transito: 1, en_carrito: 0, disponible_origen: 4, falta: 5, propuesta: 4 },
      { id_repuesto: 'rep-ctl', referencia: 'CTL-48V', nombre: 'Controlador 48V', posicion: null, stock_actual: 0, cantidad_minima: 5, en_transito: 2, en_carrito: 0, disponible_origen: 18, falta: 3, propuesta: 3 },
    ],
    sin_existencias: 1,
  };

  it('shows the proposal with why, takes an edited quantity and puts it into the cart', async () => {
    const cart: CartLine[] = [];
    const shell = installShell({
      cart: () => cart,
      requests: () => [],
      replenishment: () => PROPOSAL,
      replenishment_to_cart: (input) => {
        for (const line of input.lines) {
          cart.push({ id_item_carrito: `c-${line.part}`, id_localizacion: NORTE.id_localizacion, destino: NORTE.nombre, id_repuesto: line.part, referencia: line.part, nombre: line.part, cantidad: line.cantidad, created_at: '2026-12-01T09:00:00Z' });
        }
        return { added: input.lines.length, increased: 0, units: input.lines.reduce((sum, line) => sum + line.cantidad, 0), pending: 2 };
      },
    });
    renderApp('/transfers');
    await userEvent.click(await screen.findByRole('button', { name: 'Proponer reposición' }));
    expect(await screen.findByRole('heading', { name: 'Reposición para Taller Norte' })).toHaveFocus();
    const mtr = screen.getByLabelText('Cantidad a pedir de MTR-500W');
    expect(mtr).toHaveValue('4');
    expect(screen.getByLabelText('Cantidad a pedir de CTL-48V')).toHaveValue('3');
    expect(screen.getByText(/Faltan 5: mínimo 8 − stock 2 − en camino 1\./)).toHaveTextContent('El origen solo puede dar 4.');
    expect(screen.getByText('1 repuesto bajo el mínimo no tiene existencias en Taller Sur y no se propone.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Añadir al carrito (2 líneas, 7 uds.)' })).toBeInTheDocument();

    await userEvent.clear(mtr);
    await userEvent.type(mtr, '6');
    expect(screen.getByText('Pide más de lo que Taller Sur puede dar: MTR-500W. El despacho puede salir corto.')).toBeInTheDocument();
    await userEvent.type(mtr, '{Enter}');
    await waitFor(() =>
      expect(shell.callsOf('replenishment_to_cart')).toEqual([
        { destination: NORTE.id_localizacion, lines: [{ part: 'rep-mtr', cantidad: 6 }, { part: 'rep-ctl', cantidad: 3 }] },
      ]),
    );
    expect(await screen.findByText('Propuesta en el carrito: 2 líneas, 9 uds. Revise el origen y cree la solicitud.')).toBeInTheDocument();
    expect(screen.queryByRole('heading', { name: 'Reposición para Taller Norte' })).not.toBeInTheDocument();
  });

  it('says why no proposal can be made when the replica holds no origin', async () => {
    installShell({
      cart: () => [],
      requests: () => [],
      replenishment: () => {
        throw new Refusal({ code: 'no_replenishment_origin', message: 'No se puede proponer una reposición para Taller Norte: pida a un administrador que le asigne la bodega.', params: {} });
      },
    });
    renderApp('/transfers');
    await userEvent.click(await screen.findByRole('button', { name: 'Proponer reposición' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('no_replenishment_origin');
    expect(alert).toHaveTextContent('asigne la bodega');
    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('alert')).not.toBeInTheDocument());
  });
});
