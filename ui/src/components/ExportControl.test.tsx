import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { ExportDone, ExportInput, InventoryQuery } from '../api';
import { Refusal, installShell, inventoryRow, renderApp } from '../test/shell';

function catalogue(total: number) {
  return (query: InventoryQuery) => ({
    rows: Array.from({ length: Math.min(query.limit, Math.max(0, total - (query.offset ?? 0))) }, (_, i) => inventoryRow((query.offset ?? 0) + i)),
    offset: query.offset ?? 0,
    total,
  });
}

const DONE: ExportDone = {
  path: '/home/ana/Descargas/inventario-taller-norte-2026-12-03-1530.xlsx',
  shown_path: '~/Descargas/inventario-taller-norte-2026-12-03-1530.xlsx',
  file_name: 'inventario-taller-norte-2026-12-03-1530.xlsx',
  format: 'xlsx',
  rows: 1234,
};

describe('exporting a list', () => {
  it('exports the inventory with the filters on screen and says where the file went', async () => {
    const shell = installShell({ inventory_page: catalogue(30), export_list: () => DONE });
    renderApp('/inventory');
    await screen.findByText('30 repuestos');
    await userEvent.click(screen.getByRole('checkbox', { name: /Solo stock bajo/ }));
    await waitFor(() => expect((shell.callsOf('inventory_page') as InventoryQuery[]).some((query) => query.low_only)).toBe(true));
    const group = screen.getByRole('group', { name: 'Exportar' });
    // Keyboard reachable: both are buttons in the tab order, named for what they do.
    const xlsx = within(group).getByRole('button', { name: 'Exportar Excel (XLSX)' });
    expect(within(group).getByRole('button', { name: 'Exportar CSV' })).toBeEnabled();
    xlsx.focus();
    await userEvent.keyboard('{Enter}');
    const notice = await screen.findByTestId('export-done');
    expect(shell.callsOf('export_list')).toEqual([
      {
        list: { list: 'inventory', location: 'loc-norte', search: '', low_only: true, sort: { column: 'referencia', direction: 'asc' } },
        format: 'xlsx',
      } satisfies ExportInput,
    ]);
    expect(notice).toHaveTextContent('Exportadas 1234 filas a Excel (XLSX).'.replace('1234', new Intl.NumberFormat('es').format(1234)));
    expect(within(notice).getByTestId('export-folder')).toHaveTextContent('~/Descargas');
    expect(within(notice).getByTestId('export-file')).toHaveTextContent('inventario-taller-norte-2026-12-03-1530.xlsx');
    expect(notice).toHaveAttribute('data-path', DONE.path);

    // Another filter, another list: the notice about the last file goes.
    await userEvent.click(screen.getByRole('checkbox', { name: /Solo stock bajo/ }));
    await waitFor(() => expect(screen.queryByTestId('export-done')).not.toBeInTheDocument());
  });

  it('a failed export shows the library message and its code', async () => {
    installShell({
      inventory_page: catalogue(3),
      export_list: () => {
        throw new Refusal({ code: 'export_failed', message: 'No se pudo guardar la exportación en /solo-lectura: permiso denegado.', params: {} });
      },
    });
    renderApp('/inventory');
    await screen.findByText('3 repuestos');
    await userEvent.click(screen.getByRole('button', { name: 'Exportar CSV' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('No se pudo guardar la exportación en /solo-lectura');
    expect(alert).toHaveTextContent('export_failed');
    expect(screen.queryByTestId('export-done')).not.toBeInTheDocument();
  });

  it('the transfer requests export carries the state chosen', async () => {
    const shell = installShell({ requests: () => [], export_list: () => ({ ...DONE, format: 'csv', file_name: 'traslados-despachada-2026-12-03-1530.csv', shown_path: '~/Descargas/traslados-despachada-2026-12-03-1530.csv', rows: 1 }) });
    renderApp('/transfers');
    await userEvent.click(await screen.findByRole('button', { name: 'Despachada' }));
    await userEvent.click(screen.getByRole('button', { name: 'Exportar CSV' }));
    expect(await screen.findByTestId('export-done')).toHaveTextContent('Exportada 1 fila a CSV.');
    expect(shell.callsOf('export_list')).toEqual([{ list: { list: 'requests', estado: 'DESPACHADO' }, format: 'csv' }]);
  });
});
