import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CountDetail, CountLineInput, CountLineView, PartMatch, Queued } from '../api';
import { CARLA, MOTOR, NORTE, Refusal, installShell, renderApp, type Shell } from '../test/shell';

function queued(result: unknown = null): Queued {
  return { id: 'mut-1', seq: 1, name: 'count.line', result, pending: 1 } as Queued;
}

const BATERIA: PartMatch = {
  ...MOTOR,
  id_repuesto: 'rep-bat',
  referencia: 'BAT-48V-13AH',
  nombre: 'Batería 48V 13Ah',
  stock: { ...MOTOR.stock!, id_inventario: 'inv-bat', stock_actual: 5, posicion: 'A-1' },
};

const OPEN: CountDetail = {
  id_conteo: 'cnt-1',
  id_localizacion: NORTE.id_localizacion,
  localizacion: NORTE.nombre,
  id_usuario: CARLA.id_usuario,
  usuario: CARLA.nombre_completo,
  fecha_conteo: '2026-12-01T08:00:00Z',
  total_items: 0,
  total_diferencias: 0,
  items_con_pq: 0,
  observaciones: null,
  created_at: '2026-12-01T08:00:00Z',
  state: 'open',
  cerrado_en: null,
  num_lineas: 0,
  lineas: [],
};

/** A count whose lines the mocked library keeps as `record_count_line` writes them. */
function countingShell(lines: CountLineView[] = [], parts: PartMatch[] = [MOTOR, BATERIA]): Shell {
  const byCode = (code: string) => parts.find((part) => part.referencia.toUpperCase() === code.trim().toUpperCase() || part.id_repuesto === code) ?? null;
  return installShell({
    count_detail: () => ({ ...OPEN, lineas: [...lines], num_lineas: lines.length }),
    find_part: (input) => byCode(input.code),
    record_count_line: (input) => {
      const part = byCode(input.part);
      if (!part) throw new Refusal({ code: 'invalid_input', message: `no part with reference "${input.part}" in this replica`, params: {} });
      const sistema = part.stock?.stock_actual ?? 0;
      const diferencia = sistema + (input.cantidad_pq ?? 0) - input.cantidad_csa;
      const existing = lines.findIndex((line) => line.id_repuesto === part.id_repuesto);
      const line: CountLineView = {
        id_detalle_conteo: `det-${part.id_repuesto}`,
        id_repuesto: part.id_repuesto,
        referencia: part.referencia,
        nombre: part.nombre,
        posicion: part.stock?.posicion ?? null,
        cantidad_sistema: sistema,
        cantidad_csa: input.cantidad_csa,
        cantidad_pq: input.cantidad_pq ?? 0,
        diferencia,
        observaciones: input.observaciones ?? null,
        ajuste: null,
        absorbidos: [],
      };
      if (existing >= 0) lines[existing] = line;
      else lines.push(line);
      return queued({ id_detalle_conteo: line.id_detalle_conteo, cantidad_sistema: sistema, diferencia });
    },
  });
}

/** A wedge scan into `element`: the code's keys a few ms apart, then Enter. */
function scan(element: HTMLElement, code: string) {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  element.focus();
  for (const key of code) {
    fireEvent.keyDown(element, { key });
    if (element instanceof HTMLInputElement) fireEvent.change(element, { target: { value: element.value + key } });
    vi.advanceTimersByTime(5);
  }
  fireEvent.keyDown(element, { key: 'Enter' });
  vi.useRealTimers();
}

const lineCalls = (shell: Shell) => shell.callsOf('record_count_line') as CountLineInput[];

describe('counts', () => {
  afterEach(() => vi.useRealTimers());

  it('starts a count at a location of the person’s scope and opens it', async () => {
    const shell = installShell({ counts: () => [], start_count: () => queued({ id_conteo: 'cnt-1' }), count_detail: () => OPEN });
    renderApp('/counts');
    const location = await screen.findByLabelText('Sede que se cuenta');
    // Carla works at Taller Norte only.
    expect(within(location).getAllByRole('option').map((option) => option.textContent)).toEqual([NORTE.nombre]);
    expect(await screen.findByText('No hay conteos en este estado.')).toBeInTheDocument();
    await userEvent.type(screen.getByLabelText(/Observaciones/), 'Estantería A');
    await userEvent.click(screen.getByRole('button', { name: 'Empezar conteo' }));
    await waitFor(() => expect(shell.callsOf('start_count')).toEqual([{ location: NORTE.id_localizacion, observaciones: 'Estantería A' }]));
    await waitFor(() => expect(window.location.hash).toBe('#/counts/cnt-1'));
    expect(await screen.findByRole('heading', { name: /Conteo de Taller Norte/ })).toHaveTextContent('Abierto');
    expect(screen.getByText('Todavía no hay nada contado. Escanee el primer repuesto.')).toBeInTheDocument();
  });

  it('each scan of a reference adds one to that part, quick scans included; an unknown code counts nothing', async () => {
    const lines: CountLineView[] = [];
    const shell = countingShell(lines);
    renderApp('/counts/cnt-1');
    const part = await screen.findByRole('combobox', { name: /Repuesto/ });
    scan(part, MOTOR.referencia);
    scan(part, MOTOR.referencia.toLowerCase());
    scan(part, MOTOR.referencia);
    await waitFor(() => expect(lineCalls(shell)).toHaveLength(3));
    expect(lineCalls(shell).map((call) => [call.part, call.cantidad_csa, call.cantidad_pq])).toEqual([
      [MOTOR.id_repuesto, 1, 0],
      [MOTOR.id_repuesto, 2, 0],
      [MOTOR.id_repuesto, 3, 0],
    ]);
    const last = (await screen.findByText(`Leído ${MOTOR.referencia}: van 3 contadas`)).closest('[role="status"]') as HTMLElement;
    // The field is empty again for the next scan; the difference against the system's 12 shows.
    expect(part).toHaveValue('');
    expect(within(last).getByText('Faltan 9')).toBeInTheDocument();

    scan(part, 'NADA-0000');
    expect(await screen.findByText('El código escaneado «NADA-0000» no corresponde a ningún repuesto. No se contó nada.')).toBeInTheDocument();
    expect(lineCalls(shell)).toHaveLength(3);
  });

  it('a scan adds one to a line counted before (its loose parts kept), even with the focus elsewhere', async () => {
    const lines: CountLineView[] = [
      {
        id_detalle_conteo: 'det-rep-bat',
        id_repuesto: BATERIA.id_repuesto,
        referencia: BATERIA.referencia,
        nombre: BATERIA.nombre,
        posicion: 'A-1',
        cantidad_sistema: 5,
        cantidad_csa: 4,
        cantidad_pq: 1,
        diferencia: 2,
        observaciones: 'caja abierta',
        ajuste: null,
        absorbidos: [],
      },
    ];
    const shell = countingShell(lines);
    renderApp('/counts/cnt-1');
    const table = await screen.findByRole('table', { name: 'Lo contado' });
    expect(within(table).getByText('Faltan 2')).toBeInTheDocument();
    // The focus on the line's button: the scan is caught by the screen.
    const fix = within(table).getByRole('button', { name: /Corregir/ });
    scan(fix, BATERIA.referencia);
    await waitFor(() => expect(lineCalls(shell)).toEqual([{ id_conteo: 'cnt-1', part: BATERIA.id_repuesto, cantidad_csa: 5, cantidad_pq: 1, observaciones: 'caja abierta' }]));
  });

  it('a typed quantity shows its difference with the system stock as it is typed, and replaces the line', async () => {
    const shell = countingShell();
    renderApp('/counts/cnt-1');
    const part = await screen.findByRole('combobox', { name: /Repuesto/ });
    // A person typing (slower than a scanner), then Enter: the part is picked, not counted.
    const person = userEvent.setup({ delay: 45 });
    await person.type(part, `${MOTOR.referencia}{Enter}`);
    const counted = screen.getByLabelText('Unidades contadas');
    await waitFor(() => expect(counted).toHaveFocus());
    expect(lineCalls(shell)).toEqual([]);
    const preview = () => document.querySelector('.count-preview') as HTMLElement;
    expect(within(preview()).getByText('12')).toBeInTheDocument();
    await userEvent.type(counted, '10');
    expect(within(preview()).getByText('Faltan 2')).toBeInTheDocument();
    const pq = screen.getByLabelText('PQ: pequeños que quedan');
    await userEvent.type(pq, '11');
    expect(pq).toHaveAccessibleDescription(/No puede pasar de las unidades contadas \(10\)/);
    await userEvent.clear(pq);
    await userEvent.type(pq, '3');
    // (12 + 3) - 10: five missing, and the stock will be 10 - 3.
    expect(within(preview()).getByText('Faltan 5')).toBeInTheDocument();
    expect(within(preview()).getByText('7')).toBeInTheDocument();
    await userEvent.clear(counted);
    await userEvent.type(counted, '16');
    expect(within(preview()).getByText('Sobra 1')).toBeInTheDocument();
    await userEvent.type(counted, '{Enter}');
    await waitFor(() => expect(lineCalls(shell)).toEqual([{ id_conteo: 'cnt-1', part: MOTOR.id_repuesto, cantidad_csa: 16, cantidad_pq: 3, observaciones: null }]));
    expect(await screen.findByText(`Registrado ${MOTOR.referencia}: 16 contadas`)).toBeInTheDocument();
    expect(part).toHaveValue('');
    expect(part).toHaveFocus();
  });

  it('a quantity that is not a whole number is caught before the library; a refusal shows as it comes', async () => {
    const shell = countingShell();
    shell.set({
      record_count_line: () => {
        throw new Refusal({ code: 'count_closed', message: 'El conteo ya está cerrado.', params: {} });
      },
    });
    renderApp('/counts/cnt-1');
    const part = await screen.findByRole('combobox', { name: /Repuesto/ });
    await userEvent.setup({ delay: 45 }).type(part, `${MOTOR.referencia}{Enter}`);
    const counted = screen.getByLabelText('Unidades contadas');
    await userEvent.type(counted, '1,5{Enter}');
    expect(counted).toHaveAccessibleDescription('Escriba un número entero (0 o más).');
    expect(lineCalls(shell)).toEqual([]);
    await userEvent.clear(counted);
    await userEvent.type(counted, '2{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('El conteo ya está cerrado.');
  });

  it('closing shows the adjustments it will write first; afterwards each line shows what it wrote, absorbed ones with why', async () => {
    const bat: CountLineView = {
      id_detalle_conteo: 'det-bat',
      id_repuesto: BATERIA.id_repuesto,
      referencia: BATERIA.referencia,
      nombre: BATERIA.nombre,
      posicion: 'A-1',
      cantidad_sistema: 12,
      cantidad_csa: 10,
      cantidad_pq: 0,
      diferencia: 2,
      observaciones: null,
      ajuste: null,
      absorbidos: [],
    };
    const motor: CountLineView = { ...bat, id_detalle_conteo: 'det-mtr', id_repuesto: MOTOR.id_repuesto, referencia: MOTOR.referencia, nombre: MOTOR.nombre, posicion: 'B-2', cantidad_sistema: 4, cantidad_csa: 4, diferencia: 0 };
    const shell = installShell({
      count_detail: () => ({ ...OPEN, lineas: [bat, motor], num_lineas: 2, total_items: 2, total_diferencias: 1 }),
      close_count: () => queued({ lineas_ajustadas: 1, lineas_absorbidas: 1 }),
    });
    renderApp('/counts/cnt-1');
    await userEvent.click(await screen.findByRole('button', { name: 'Cerrar conteo…' }));
    const confirm = screen.getByRole('region', { name: 'Cerrar el conteo' });
    expect(within(confirm).getByText('Cerrar escribe 1 ajuste en el stock de Taller Norte:')).toBeInTheDocument();
    const summary = within(confirm).getByRole('table');
    const rows = within(summary).getAllByRole('row').slice(1);
    expect(rows.map((row) => [...row.querySelectorAll('th, td')].map((cell) => cell.textContent))).toEqual([[BATERIA.referencia, BATERIA.nombre, '12', '10', '-2']]);
    expect(within(confirm).getByText('1 línea cuadra: su stock no cambia.')).toBeInTheDocument();
    expect(shell.callsOf('close_count')).toEqual([]);
    await userEvent.click(within(confirm).getByRole('button', { name: 'Cerrar y ajustar el stock' }));
    await waitFor(() => expect(shell.callsOf('close_count')).toEqual([{ id_conteo: 'cnt-1' }]));
    expect(await screen.findByText('Conteo cerrado. Líneas ajustadas: 1. Absorbidas: 1.')).toBeInTheDocument();

    const entry = { id_log: 'log', fecha: '2026-12-01T08:30:00Z', localizacion: NORTE.nombre, tipo_operacion: 'CONTEO_FISICO' as const, motivo: null, usuario: CARLA.nombre_completo };
    shell.set({
      count_detail: () => ({
        ...OPEN,
        state: 'closed',
        cerrado_en: '2026-12-01T09:00:00Z',
        lineas: [
          { ...bat, ajuste: { ...entry, id_log: 'log-bat', cantidad_anterior: 12, cantidad_nueva: 10, diferencia: -2, absorbido: false } },
          { ...motor, ajuste: { ...entry, id_log: 'log-mtr', cantidad_anterior: 4, cantidad_nueva: 4, diferencia: 0, absorbido: true } },
        ],
      }),
    });
    await shell.emit('tables-changed', { tables: ['conteos_cerrados', 'logs_inventario'], source: 'local' });
    const heading = screen.getByRole('heading', { name: /Conteo de Taller Norte/ });
    await waitFor(() => expect(heading).toHaveTextContent('Cerrado'));
    const lines = screen.getByRole('table', { name: 'Lo contado' });
    const batRow = within(lines).getByRole('link', { name: BATERIA.referencia }).closest('tr') as HTMLElement;
    expect(batRow.querySelector('.count-lines__ajuste')).toHaveTextContent('12 → 10 (-2)');
    const motorRow = within(lines).getByRole('link', { name: MOTOR.referencia }).closest('tr') as HTMLElement;
    expect(within(motorRow).getByText('Absorbido')).toBeInTheDocument();
    expect(within(motorRow).getByText(/Un conteo posterior ya había fijado este repuesto/)).toBeInTheDocument();
    // Closed: nothing more to count.
    expect(screen.queryByRole('combobox', { name: /Repuesto/ })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Cerrar conteo…' })).toBeNull();
  });

  it('a closed count names each late change it absorbed on its line, who made it and when, and says why the stock did not move', async () => {
    const counted = { id_log: 'log-bat', fecha: '2026-12-01T08:30:00Z', localizacion: NORTE.nombre, tipo_operacion: 'CONTEO_FISICO' as const, cantidad_anterior: 5, cantidad_nueva: 4, diferencia: -1, motivo: null, usuario: CARLA.nombre_completo, absorbido: false };
    const bat: CountLineView = {
      id_detalle_conteo: 'det-bat',
      id_repuesto: BATERIA.id_repuesto,
      referencia: BATERIA.referencia,
      nombre: BATERIA.nombre,
      posicion: 'A-1',
      cantidad_sistema: 5,
      cantidad_csa: 4,
      cantidad_pq: 0,
      diferencia: 1,
      observaciones: null,
      ajuste: counted,
      absorbidos: [{ id_log: 'log-late', fecha: '2026-12-01T08:10:00Z', tipo_operacion: 'MOVIMIENTO_TECNICO', cantidad: -2, motivo: null, usuario: 'Bruno Bodeguero' }],
    };
    const motor: CountLineView = { ...bat, id_detalle_conteo: 'det-mtr', id_repuesto: MOTOR.id_repuesto, referencia: MOTOR.referencia, nombre: MOTOR.nombre, ajuste: { ...counted, id_log: 'log-mtr', diferencia: 0, cantidad_anterior: 4 }, absorbidos: [] };
    installShell({ count_detail: () => ({ ...OPEN, state: 'closed', cerrado_en: '2026-12-01T09:00:00Z', lineas: [bat, motor], num_lineas: 2 }) });
    renderApp('/counts/cnt-1');
    const notice = await screen.findByTestId('count-absorbed');
    expect(notice).toHaveTextContent('Este conteo absorbió 1 movimiento que llegó tarde (1 línea).');
    expect(notice).toHaveTextContent('Lo contado ya los refleja');
    const list = screen.getByRole('list', { name: `Movimientos absorbidos de ${BATERIA.referencia}` });
    const [item] = within(list).getAllByRole('listitem');
    expect(item).toHaveTextContent('Absorbido');
    expect(item).toHaveTextContent('-2 Movimiento de técnico');
    expect(item).toHaveTextContent(/Bruno Bodeguero, .*: antes de contarlo \(a las .*\), ya incluido en lo contado\./);
    expect(screen.queryByRole('list', { name: `Movimientos absorbidos de ${MOTOR.referencia}` })).toBeNull();
  });

  it('a role that may not edit the inventory is not offered to count', async () => {
    const viewer = { ...CARLA, permisos: { ...CARLA.permisos, inventory: { ...CARLA.permisos.inventory, edit: false } } };
    installShell({ current_user: () => viewer, counts: () => [{ ...OPEN }], count_detail: () => OPEN });
    renderApp('/counts');
    expect(await screen.findByText(/Su rol no puede hacer conteos físicos en sus sedes/)).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Empezar conteo' })).toBeNull();
    await userEvent.click(await screen.findByRole('link', { name: NORTE.nombre }));
    expect(await screen.findByText('Este conteo es de una sede donde su rol no puede contar.')).toBeInTheDocument();
    expect(screen.queryByRole('combobox', { name: /Repuesto/ })).toBeNull();
  });
});
