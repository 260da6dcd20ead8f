import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { InventoryQuery, LabelsDone, LabelsInput, PartDetail } from '../api';
import { labelsRequest } from '../domain/labels';
import { MOTOR, NORTE, Refusal, installShell, inventoryRow, renderApp } from '../test/shell';

function catalogue(total: number) {
  return (query: InventoryQuery) => ({
    rows: Array.from({ length: Math.min(query.limit, Math.max(0, total - (query.offset ?? 0))) }, (_, i) => inventoryRow((query.offset ?? 0) + i)),
    offset: query.offset ?? 0,
    total,
  });
}

const SHELF: LabelsDone = {
  path: '/home/ana/Descargas/etiquetas-taller-norte-2026-12-03-1530.pdf',
  shown_path: '~/Descargas/etiquetas-taller-norte-2026-12-03-1530.pdf',
  file_name: 'etiquetas-taller-norte-2026-12-03-1530.pdf',
  format: 'sheet',
  labels: 30,
  pages: 2,
};

const DETAIL: PartDetail = {
  id_repuesto: MOTOR.id_repuesto,
  referencia: MOTOR.referencia,
  nombre: MOTOR.nombre,
  tipo: MOTOR.tipo,
  marca: MOTOR.marca,
  descripcion: null,
  descontinuado: false,
  fecha_estimada: null,
  url_imagen: null,
  created_at: '2026-01-10T12:00:00Z',
  stock: [],
  ledger: [],
  conflictos: [],
} as unknown as PartDetail;

describe('labels', () => {
  it('what is asked: one part at a location, or the shelf with a trimmed prefix or none', () => {
    expect(labelsRequest({ kind: 'part', idLocalizacion: 'loc-norte', idRepuesto: 'rep-1' }, 'roll', 'A-')).toEqual({
      location: 'loc-norte',
      part: 'rep-1',
      position_prefix: null,
      format: 'roll',
    } satisfies LabelsInput);
    expect(labelsRequest({ kind: 'shelf', idLocalizacion: 'loc-norte' }, 'sheet', '  E1- ')).toEqual({ location: 'loc-norte', part: null, position_prefix: 'E1-', format: 'sheet' });
    expect(labelsRequest({ kind: 'shelf', idLocalizacion: 'loc-norte' }, 'sheet', '   ').position_prefix).toBeNull();
  });

  it('the inventory prints its shelf from the keyboard and says where the file went', async () => {
    const shell = installShell({ inventory_page: catalogue(30), labels: () => SHELF });
    renderApp('/inventory');
    await screen.findByText('30 repuestos');
    const group = screen.getByRole('group', { name: 'Etiquetas' });
    await userEvent.type(within(group).getByRole('textbox', { name: 'Solo las posiciones que empiezan por' }), 'E1-');
    const button = within(group).getByRole('button', { name: `Etiquetas: imprimir las etiquetas de la estantería de ${NORTE.nombre}` });
    button.focus();
    await userEvent.keyboard('{Enter}');
    const notice = await screen.findByTestId('labels-done');
    expect(shell.callsOf('labels')).toEqual([{ location: NORTE.id_localizacion, part: null, position_prefix: 'E1-', format: 'sheet' }]);
    expect(notice).toHaveTextContent('30 etiquetas en 2 páginas, listas para imprimir.');
    expect(within(notice).getByTestId('labels-folder')).toHaveTextContent('~/Descargas');
    expect(within(notice).getByTestId('labels-file')).toHaveTextContent('etiquetas-taller-norte-2026-12-03-1530.pdf');
    // Another paper: the notice about the last file goes.
    await userEvent.selectOptions(within(group).getByRole('combobox', { name: 'Papel' }), 'roll');
    await waitFor(() => expect(screen.queryByTestId('labels-done')).not.toBeInTheDocument());
  });

  it('nothing to print shows the library message and its code, and no notice', async () => {
    installShell({
      inventory_page: catalogue(3),
      labels: () => {
        throw new Refusal({ code: 'nothing_to_print', message: 'No hay nada que imprimir: ningún repuesto coincide.', params: {} });
      },
    });
    renderApp('/inventory');
    await screen.findByText('3 repuestos');
    await userEvent.type(screen.getByRole('textbox', { name: 'Solo las posiciones que empiezan por' }), 'ZZ{Enter}');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('No hay nada que imprimir');
    expect(alert).toHaveTextContent('nothing_to_print');
    expect(screen.queryByTestId('labels-done')).not.toBeInTheDocument();
  });

  it('a part prints its own label at the location the person works at, on the paper chosen', async () => {
    const shell = installShell({ part_detail: () => DETAIL, labels: () => ({ ...SHELF, format: 'roll', labels: 1, pages: 1, file_name: 'etiqueta-mtr-500w-48v-2026-12-03-1530.pdf', shown_path: '~/Descargas/etiqueta-mtr-500w-48v-2026-12-03-1530.pdf' }) });
    renderApp(`/parts/${MOTOR.id_repuesto}`);
    const group = await screen.findByRole('group', { name: 'Etiquetas' });
    expect(within(group).queryByRole('textbox')).toBeNull();
    await userEvent.selectOptions(within(group).getByRole('combobox', { name: 'Papel' }), 'roll');
    await userEvent.click(within(group).getByRole('button', { name: `Etiquetas: imprimir la etiqueta de ${MOTOR.referencia}` }));
    expect(await screen.findByTestId('labels-done')).toHaveTextContent('1 etiqueta en 1 página, lista para imprimir.');
    expect(shell.callsOf('labels')).toEqual([{ location: NORTE.id_localizacion, part: MOTOR.id_repuesto, position_prefix: null, format: 'roll' }]);
  });
});
