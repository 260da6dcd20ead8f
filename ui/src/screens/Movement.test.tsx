import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MovementInput, Queued, Value } from '../api';
import { MOTOR, Refusal, STATUS, installShell, renderApp } from '../test/shell';

const queued = (result: { [key: string]: Value }, pending = 1): Queued => ({ id: 'm-1', seq: 1, name: 'movement.record', result, pending });

async function openForm() {
  renderApp('/movement');
  return screen.findByRole('combobox', { name: /Repuesto/ });
}

describe('technician movement', () => {
  afterEach(() => vi.useRealTimers());

  it('validates before acting: required part, quantity a positive whole number; nothing is sent', async () => {
    const shell = installShell();
    await openForm();
    await userEvent.click(screen.getByRole('button', { name: 'Registrar movimiento' }));
    const part = screen.getByRole('combobox', { name: /Repuesto/ });
    expect(part).toHaveAttribute('aria-invalid', 'true');
    expect(part).toHaveAccessibleDescription(/Este campo es obligatorio/);
    expect(part).toHaveFocus();
    const quantity = screen.getByLabelText('Cantidad');
    expect(quantity).toHaveAccessibleDescription(/Este campo es obligatorio/);
    await userEvent.type(quantity, '1.5');
    expect(quantity).toHaveAccessibleDescription('Escriba un número entero mayor que cero.');
    await userEvent.clear(quantity);
    await userEvent.type(quantity, '0');
    expect(quantity).toHaveAccessibleDescription('Escriba un número entero mayor que cero.');
    await userEvent.clear(quantity);
    await userEvent.type(quantity, '200000');
    expect(quantity).toHaveAccessibleDescription('No puede pasar de 100000.');
    expect(shell.callsOf('record_movement')).toEqual([]);
  });

  it('a typed reference is looked up on Enter; an unknown one is said inline and kept', async () => {
    installShell({ find_part: () => null });
    const part = await openForm();
    await userEvent.type(part, 'XYZ-404{Enter}');
    await userEvent.click(screen.getByRole('button', { name: 'Registrar movimiento' }));
    expect(part).toHaveAccessibleDescription(/No hay ningún repuesto con la referencia «XYZ-404»/);
    expect(part).toHaveValue('XYZ-404');
  });

  it('scan the part, record the movement: the input goes to the shell and the new stock shows at once', async () => {
    const shell = installShell({
      find_part: (input) => (input.code === MOTOR.referencia ? MOTOR : null),
      record_movement: (input) => queued({ id_movimientos_tecnicos: 'mov-1', stock_actual: MOTOR.stock!.stock_actual - input.cantidad }, 3),
    });
    const part = await openForm();
    vi.useFakeTimers({ shouldAdvanceTime: true });
    part.focus();
    for (const key of MOTOR.referencia) {
      fireEvent.keyDown(part, { key });
      fireEvent.change(part, { target: { value: (part as HTMLInputElement).value + key } });
      vi.advanceTimersByTime(6);
    }
    fireEvent.keyDown(part, { key: 'Enter' });
    vi.useRealTimers();
    expect(await screen.findByText(/Stock en Taller Norte:/)).toBeInTheDocument();
    expect(shell.callsOf('find_part')).toEqual([{ code: MOTOR.referencia, id_localizacion: 'loc-norte' }]);
    await userEvent.selectOptions(screen.getByLabelText('Concepto'), 'venta');
    expect(screen.getByLabelText('Tipo')).toHaveValue('venta');
    await userEvent.type(screen.getByLabelText('Cantidad'), '2');
    await userEvent.type(screen.getByLabelText(/Número de orden/), '4512{Enter}');
    await waitFor(() => expect(shell.callsOf('record_movement')).toHaveLength(1));
    expect(shell.callsOf('record_movement')[0] as MovementInput).toEqual({
      id_localizacion: 'loc-norte',
      id_repuesto: MOTOR.id_repuesto,
      id_tecnico_asignado: 'user-carla',
      concepto: 'venta',
      tipo: 'venta',
      cantidad: 2,
      numero_orden: 4512,
    });
    const saved = await screen.findByText(/Guardado en este equipo; se enviará al sincronizar \(3 pendientes\)/);
    const done = saved.closest('[role="status"]') as HTMLElement;
    expect(done).not.toBeNull();
    expect(within(done).getByText('12 → 10')).toBeInTheDocument();
    // Ready for the next part of the same order.
    expect(screen.getByRole('combobox', { name: /Repuesto/ })).toHaveValue('');
    expect(screen.getByRole('combobox', { name: /Repuesto/ })).toHaveFocus();
    expect(screen.getByLabelText(/Número de orden/)).toHaveValue('4512');
  });

  it('keys typed slowly then fast (a busy machine) are all kept and looked up, not only the fast ones', async () => {
    const shell = installShell({ find_part: (input) => (input.code === MOTOR.referencia ? MOTOR : null) });
    const part = (await openForm()) as HTMLInputElement;
    vi.useFakeTimers({ shouldAdvanceTime: true });
    part.focus();
    const typeKey = (key: string, gap: number) => {
      fireEvent.keyDown(part, { key });
      fireEvent.change(part, { target: { value: part.value + key } });
      vi.advanceTimersByTime(gap);
    };
    // "MTR-5" at a person's pace, then "00W-48V" and Enter as fast as a scanner.
    for (const key of 'MTR-5') typeKey(key, 120);
    for (const key of '00W-48V') typeKey(key, 5);
    fireEvent.keyDown(part, { key: 'Enter' });
    vi.useRealTimers();
    expect(await screen.findByText(/Stock en Taller Norte:/)).toBeInTheDocument();
    expect(shell.callsOf('find_part')).toEqual([{ code: 'MTR-500W-48V', id_localizacion: 'loc-norte' }]);
    expect(part).toHaveValue('MTR-500W-48V');
  });

  it('a scan over the part picked before replaces it (the next part of the order)', async () => {
    const shell = installShell({ find_part: (input) => (input.code === MOTOR.referencia ? MOTOR : input.code === 'BAT-48V-13AH' ? { ...MOTOR, id_repuesto: 'rep-bat', referencia: 'BAT-48V-13AH' } : null) });
    const part = (await openForm()) as HTMLInputElement;
    await userEvent.type(part, `${MOTOR.referencia}{Enter}`);
    expect(await screen.findByText(/Stock en Taller Norte:/)).toBeInTheDocument();
    expect(part).toHaveValue(MOTOR.referencia);
    vi.useFakeTimers({ shouldAdvanceTime: true });
    for (const key of 'BAT-48V-13AH') {
      fireEvent.keyDown(part, { key });
      fireEvent.change(part, { target: { value: part.value + key } });
      vi.advanceTimersByTime(5);
    }
    fireEvent.keyDown(part, { key: 'Enter' });
    vi.useRealTimers();
    await waitFor(() => expect(part).toHaveValue('BAT-48V-13AH'));
    expect(shell.callsOf('find_part').map((call) => (call as { code: string }).code)).toEqual([MOTOR.referencia, 'BAT-48V-13AH']);
  });

  it('a refusal from the library shows its message at the field, and nothing typed is lost', async () => {
    installShell({
      search_parts: () => [MOTOR],
      record_movement: () => {
        throw new Refusal({ code: 'insufficient_stock', message: 'Stock insuficiente: hay 12 y se piden 50.', params: { available: 12, requested: 50 } });
      },
    });
    const part = await openForm();
    await userEvent.type(part, 'mtr');
    const option = await screen.findByRole('option', { name: /MTR-500W-48V/ });
    expect(option).toBeInTheDocument();
    await userEvent.keyboard('{ArrowDown}{Enter}');
    expect(part).toHaveValue('MTR-500W-48V');
    await userEvent.type(screen.getByLabelText('Cantidad'), '50{Enter}');
    const quantity = screen.getByLabelText('Cantidad');
    await waitFor(() => expect(quantity).toHaveAccessibleDescription('Stock insuficiente: hay 12 y se piden 50.'));
    expect(quantity).toHaveValue('50');
    expect(part).toHaveValue('MTR-500W-48V');
    expect(screen.getByText(/Stock en Taller Norte:/)).toBeInTheDocument();
  });

  it('a refusal about no field is shown with its message and code above the button', async () => {
    installShell({
      find_part: () => MOTOR,
      record_movement: () => {
        throw new Refusal({ code: 'time_out_of_range', message: 'La hora de la acción está fuera del rango permitido. Revise el reloj del equipo.', params: {} });
      },
    });
    const part = await openForm();
    await userEvent.type(part, 'MTR-500W-48V{Enter}');
    await screen.findByText(/Stock en Taller Norte:/);
    await userEvent.type(screen.getByLabelText('Cantidad'), '1{Enter}');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Revise el reloj del equipo.');
    expect(alert).toHaveTextContent('time_out_of_range');
    expect(screen.getByLabelText('Cantidad')).toHaveValue('1');
  });

  it('works with the server unreachable: it says so, and the movement is still recorded locally', async () => {
    const shell = installShell({
      status: () => ({ ...STATUS, online: false, pending: 5 }),
      find_part: () => MOTOR,
      record_movement: () => queued({ stock_actual: 11 }, 6),
    });
    const part = await openForm();
    expect(await screen.findByText(/Sin conexión con el servidor: el movimiento se guarda en este equipo/)).toBeInTheDocument();
    await userEvent.type(part, 'MTR-500W-48V{Enter}');
    await screen.findByText(/Stock en Taller Norte:/);
    await userEvent.type(screen.getByLabelText('Cantidad'), '1{Enter}');
    expect(await screen.findByText(/\(6 pendientes\)/)).toBeInTheDocument();
    expect(shell.callsOf('record_movement')).toHaveLength(1);
  });

  it('offers only the types the chosen concept allows', async () => {
    installShell();
    await openForm();
    await screen.findByRole('option', { name: 'Cotización' });
    await userEvent.selectOptions(screen.getByLabelText('Concepto'), 'cotizacion');
    const types = within(screen.getByLabelText('Tipo')).getAllByRole('option').map((option) => option.getAttribute('value'));
    expect(types).toEqual(['salida', 'venta']);
    expect(screen.getByText('Una cotización queda registrada, pero no mueve stock.')).toBeInTheDocument();
    await userEvent.selectOptions(screen.getByLabelText('Concepto'), 'devolucion');
    expect(within(screen.getByLabelText('Tipo')).getAllByRole('option').map((option) => option.getAttribute('value'))).toEqual(['ingreso']);
  });
});
