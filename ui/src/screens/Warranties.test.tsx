import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Queued, UserProfile, WarrantyDetail, WarrantySummary } from '../api';
import { CARLA, MOTOR, NORTE, Refusal, installShell, renderApp } from '../test/shell';

function queued(result: unknown = null): Queued {
  return { id: 'mut-1', seq: 1, name: 'warranty.create', result, pending: 1 } as Queued;
}

const BRUNO: UserProfile = {
  ...CARLA,
  id_usuario: 'user-bruno',
  nombre_completo: 'Bruno Bodeguero',
  email: 'bodega@taller.test',
  nombre_rol: 'superuser',
  permisos: { ...CARLA.permisos, guarantees: { view: true, create: true, resolve: true } },
};

const SUMMARY: WarrantySummary = {
  id_garantia: 'gar-1',
  estado: 'PENDIENTE',
  id_repuesto: MOTOR.id_repuesto,
  referencia: MOTOR.referencia,
  nombre: MOTOR.nombre,
  id_localizacion: NORTE.id_localizacion,
  localizacion: NORTE.nombre,
  cantidad: 1,
  motivo_falla: 'Ruido al acelerar',
  solicitante: 'Laura Gómez',
  numero_orden: 'OT-88',
  id_usuario_reporta: CARLA.id_usuario,
  usuario_reporta: CARLA.nombre_completo,
  fecha_reporte: '2026-12-01T09:00:00Z',
  fecha_resolucion: null,
  comentarios_resolucion: null,
};

const DETAIL: WarrantyDetail = {
  ...SUMMARY,
  id_tecnico_asociado: CARLA.id_usuario,
  tecnico_asociado: CARLA.nombre_completo,
  kilometraje: 1520,
  url_evidencia_foto: 'https://fotos.taller.test/g1.jpg',
  ingreso: null,
};

describe('warranties', () => {
  it('the new claim checks its fields before the library, then sends every field and opens the claim', async () => {
    const shell = installShell({
      find_part: (input) => (input.code.toUpperCase() === MOTOR.referencia ? MOTOR : null),
      create_warranty: () => queued({ id_garantia: 'gar-1', estado: 'SIN_ENVIAR' }),
      warranty_detail: () => ({ ...DETAIL, estado: 'SIN_ENVIAR' }),
    });
    renderApp('/warranties/new');
    const create = await screen.findByRole('button', { name: 'Crear garantía' });
    await userEvent.click(create);
    const part = screen.getByRole('combobox', { name: /Repuesto/ });
    expect(part).toHaveAccessibleDescription(/Este campo es obligatorio/);
    expect(part).toHaveFocus();
    expect(screen.getByLabelText(/Motivo de la falla/)).toHaveAccessibleDescription(/Este campo es obligatorio/);
    expect(shell.callsOf('create_warranty')).toEqual([]);

    await userEvent.setup({ delay: 45 }).type(part, `${MOTOR.referencia}{Enter}`);
    expect(await screen.findByText(/Stock en Taller Norte:/)).toBeInTheDocument();
    const cantidad = screen.getByLabelText('Unidades defectuosas');
    await userEvent.clear(cantidad);
    await userEvent.type(cantidad, '2');
    await userEvent.type(screen.getByLabelText(/Motivo de la falla/), 'Se apaga en subida');
    await userEvent.selectOptions(await screen.findByLabelText(/Técnico que la atendió/), CARLA.nombre_completo ?? '');
    await userEvent.type(screen.getByLabelText(/Cliente/), 'Laura Gómez');
    await userEvent.type(screen.getByLabelText(/Kilometraje/), '15,5');
    await userEvent.type(screen.getByLabelText(/Número de orden/), 'OT-88');
    await userEvent.type(screen.getByLabelText(/Foto de la evidencia/), 'foto.jpg');
    await userEvent.click(create);
    expect(screen.getByLabelText(/Kilometraje/)).toHaveAccessibleDescription('Escriba un número entero (0 o más).');
    expect(screen.getByLabelText(/Kilometraje/)).toHaveFocus();
    expect(screen.getByLabelText(/Foto de la evidencia/)).toHaveAccessibleDescription(/http:\/\/ o https:\/\//);
    expect(shell.callsOf('create_warranty')).toEqual([]);
    await userEvent.clear(screen.getByLabelText(/Kilometraje/));
    await userEvent.type(screen.getByLabelText(/Kilometraje/), '1520');
    await userEvent.clear(screen.getByLabelText(/Foto de la evidencia/));
    await userEvent.type(screen.getByLabelText(/Foto de la evidencia/), 'https://fotos.taller.test/g1.jpg');
    await userEvent.click(create);
    await waitFor(() =>
      expect(shell.callsOf('create_warranty')).toEqual([
        {
          location: NORTE.id_localizacion,
          part: MOTOR.id_repuesto,
          cantidad: 2,
          motivo_falla: 'Se apaga en subida',
          technician: CARLA.id_usuario,
          solicitante: 'Laura Gómez',
          kilometraje: 1520,
          numero_orden: 'OT-88',
          url_evidencia_foto: 'https://fotos.taller.test/g1.jpg',
        },
      ]),
    );
    await waitFor(() => expect(window.location.hash).toBe('#/warranties/gar-1'));
    expect(await screen.findByRole('heading', { name: /Garantía de MTR-500W-48V/ })).toHaveTextContent('Sin enviar');
  });

  it('a technician sends the claim for review and is offered neither approve nor reject', async () => {
    const shell = installShell({ warranty_detail: () => ({ ...DETAIL, estado: 'SIN_ENVIAR' }), submit_warranty: () => queued({ estado: 'PENDIENTE' }) });
    renderApp('/warranties/gar-1');
    await userEvent.click(await screen.findByRole('button', { name: 'Enviar a revisión' }));
    await waitFor(() => expect(shell.callsOf('submit_warranty')).toEqual([{ id_garantia: 'gar-1' }]));
    shell.set({ warranty_detail: () => DETAIL });
    await shell.emit('tables-changed', { tables: ['garantias'], source: 'local' });
    expect(await screen.findByText('Espera la revisión de una persona con permiso para resolver garantías.')).toBeInTheDocument();
    expect(screen.getByText('Enviada a revisión.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Aprobar' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Rechazar' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Enviar a revisión' })).toBeNull();
    // Every field of the claim is on screen.
    for (const text of ['Ruido al acelerar', 'Laura Gómez', /^1\.?520 km$/, 'OT-88', 'https://fotos.taller.test/g1.jpg', CARLA.nombre_completo ?? '']) {
      expect(screen.getAllByText(text).length).toBeGreaterThan(0);
    }
  });

  it('a draft is edited from the keyboard: only what changed is sent, Escape cancels, a sent claim offers no edit', async () => {
    const draft: WarrantyDetail = { ...DETAIL, estado: 'SIN_ENVIAR' };
    const shell = installShell({ warranty_detail: () => draft, edit_warranty: () => ({ ...queued(), name: 'warranty.edit' }) });
    renderApp('/warranties/gar-1');
    const edit = await screen.findByRole('button', { name: 'Editar' });
    edit.focus();
    await userEvent.keyboard('{Enter}');
    const form = await screen.findByRole('form', { name: 'Editar la garantía' });
    const units = within(form).getByRole('textbox', { name: 'Unidades defectuosas' });
    expect(units).toHaveFocus();
    expect(units).toHaveValue('1');
    // Escape closes it without saving, back on the button.
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('form', { name: 'Editar la garantía' })).toBeNull();
    await waitFor(() => expect(screen.getByRole('button', { name: 'Editar' })).toHaveFocus());

    await userEvent.keyboard('{Enter}');
    const again = await screen.findByRole('form', { name: 'Editar la garantía' });
    // Nothing changed: said, nothing sent.
    await userEvent.click(within(again).getByRole('button', { name: 'Guardar cambios' }));
    expect(within(again).getByText('No ha cambiado nada.')).toBeInTheDocument();
    // A quantity of zero is stopped before the library.
    await userEvent.clear(within(again).getByRole('textbox', { name: 'Unidades defectuosas' }));
    await userEvent.type(within(again).getByRole('textbox', { name: 'Unidades defectuosas' }), '0');
    await userEvent.click(within(again).getByRole('button', { name: 'Guardar cambios' }));
    expect(within(again).getByRole('textbox', { name: 'Unidades defectuosas' })).toHaveAccessibleDescription(/mayor que cero|entero/i);
    expect(shell.callsOf('edit_warranty')).toEqual([]);
    await userEvent.clear(within(again).getByRole('textbox', { name: 'Unidades defectuosas' }));
    await userEvent.type(within(again).getByRole('textbox', { name: 'Unidades defectuosas' }), '3');
    await userEvent.clear(within(again).getByRole('textbox', { name: /Número de orden/ }));
    await userEvent.keyboard('{Enter}');
    await waitFor(() =>
      expect(shell.callsOf('edit_warranty')).toEqual([
        { id_garantia: 'gar-1', cantidad: 3, motivo_falla: null, kilometraje: null, numero_orden: '', solicitante: null, url_evidencia_foto: null, technician: null },
      ]),
    );
    expect(await screen.findByTestId('warranty-saved')).toHaveTextContent('Cambios guardados.');
    expect(screen.queryByRole('form', { name: 'Editar la garantía' })).toBeNull();

    // Once sent for review there is no edit.
    shell.set({ warranty_detail: () => DETAIL });
    await shell.emit('tables-changed', { tables: ['garantias'], source: 'local' });
    await screen.findByText('Espera la revisión de una persona con permiso para resolver garantías.');
    expect(screen.queryByRole('button', { name: 'Editar' })).toBeNull();
  });

  it('the library’s refusal of an edit shows as it comes and keeps the form', async () => {
    installShell({
      warranty_detail: () => ({ ...DETAIL, estado: 'SIN_ENVIAR' }),
      edit_warranty: () => {
        throw new Refusal({ code: 'not_editable', message: 'La garantía ya no se puede editar: está Pendiente de revisión.', params: { estado: 'PENDIENTE' } });
      },
    });
    renderApp('/warranties/gar-1');
    await userEvent.click(await screen.findByRole('button', { name: 'Editar' }));
    const form = await screen.findByRole('form', { name: 'Editar la garantía' });
    await userEvent.type(within(form).getByRole('textbox', { name: /Cliente/ }), ' hija');
    await userEvent.click(within(form).getByRole('button', { name: 'Guardar cambios' }));
    const alert = await within(form).findByRole('alert');
    expect(alert).toHaveTextContent('La garantía ya no se puede editar');
    expect(alert).toHaveTextContent('not_editable');
    expect(screen.getByRole('form', { name: 'Editar la garantía' })).toBeInTheDocument();
  });

  it('a role allowed to resolve: a rejection without a comment is stopped, the library’s refusal shows as it comes, an approval goes with its comment', async () => {
    const shell = installShell({
      current_user: () => BRUNO,
      warranty_detail: () => DETAIL,
      reject_warranty: () => {
        throw new Refusal({ code: 'forbidden', message: 'Su rol no tiene el permiso guarantees.resolve.', params: { permission: 'guarantees.resolve' } });
      },
      approve_warranty: () => queued({ estado: 'APROBADA', stock_actual: 13 }),
    });
    renderApp('/warranties/gar-1');
    const reject = await screen.findByRole('button', { name: 'Rechazar' });
    await userEvent.click(reject);
    expect(screen.getByLabelText(/Comentario de la resolución/)).toHaveAccessibleDescription('Escriba por qué se rechaza.');
    expect(shell.callsOf('reject_warranty')).toEqual([]);
    await userEvent.type(screen.getByLabelText(/Comentario de la resolución/), 'Golpe, no defecto');
    await userEvent.click(reject);
    expect(await screen.findByRole('alert')).toHaveTextContent('Su rol no tiene el permiso guarantees.resolve.');
    expect(shell.callsOf('reject_warranty')).toEqual([{ id_garantia: 'gar-1', comentarios_resolucion: 'Golpe, no defecto' }]);
    await userEvent.click(screen.getByRole('button', { name: 'Aprobar' }));
    await waitFor(() => expect(shell.callsOf('approve_warranty')).toEqual([{ id_garantia: 'gar-1', comentarios_resolucion: 'Golpe, no defecto' }]));
  });

  it('an approved claim shows its resolution and the units it brought into stock', async () => {
    installShell({
      current_user: () => BRUNO,
      warranty_detail: () => ({
        ...DETAIL,
        estado: 'APROBADA',
        fecha_resolucion: '2026-12-01T10:00:00Z',
        comentarios_resolucion: 'Cambio por garantía del fabricante',
        ingreso: { id_log: 'log-g', fecha: '2026-12-01T10:00:00Z', localizacion: NORTE.nombre, tipo_operacion: 'GARANTIA', cantidad_anterior: 12, cantidad_nueva: 13, diferencia: 1, motivo: null, usuario: BRUNO.nombre_completo, absorbido: false },
      }),
    });
    renderApp('/warranties/gar-1');
    const resolution = await screen.findByRole('region', { name: 'Aprobada' });
    expect(within(resolution).getByText('Cambio por garantía del fabricante')).toBeInTheDocument();
    expect(within(resolution).getByText('Entraron 1 unidades de reemplazo al stock de Taller Norte: 12 → 13.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Aprobar' })).toBeNull();
  });

  it('lists claims by state', async () => {
    const shell = installShell({ warranties: (input) => (input.estado === 'APROBADA' ? [] : [SUMMARY]) });
    renderApp('/warranties');
    const link = await screen.findByRole('link', { name: MOTOR.referencia });
    expect(within(link.closest('tr') as HTMLElement).getByText('Pendiente de revisión')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Nueva garantía' })).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Aprobada' }));
    expect(await screen.findByText('No hay garantías en este estado.')).toBeInTheDocument();
    expect(shell.callsOf('warranties')).toEqual([{ estado: null }, { estado: 'APROBADA' }]);
  });
});
