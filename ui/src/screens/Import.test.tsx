import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { ImportDone, ImportInput, ImportIssue, ImportPreview, ImportRow } from '../api';
import { canApply, fileIssues, shownRows } from '../domain/import';
import { Refusal, installShell, renderApp } from '../test/shell';

function row(n: number, referencia: string, errors: Array<Pick<ImportIssue, 'code' | 'message'>> = []): ImportRow {
  return {
    row: n,
    referencia,
    nombre: referencia === '' ? 'Sin referencia' : `Repuesto ${referencia}`,
    tipo: null,
    marca: 'Acme',
    descripcion: null,
    fecha_estimada: n === 2 ? '2026-12-31' : null,
    url_imagen: null,
    errors: errors.map((error) => ({ ...error, severity: 'error', row: n, field: 'referencia' })),
  };
}

function preview(rows: ImportRow[], issues: ImportIssue[] = []): ImportPreview {
  const errors = issues.filter((issue) => issue.severity === 'error').length + rows.reduce((sum, r) => sum + r.errors.length, 0);
  return {
    separator: ';',
    columns: [],
    rows,
    issues,
    errors,
    warnings: issues.filter((issue) => issue.severity === 'warning').length,
    rows_with_errors: rows.filter((r) => r.errors.length > 0).length,
    ready: errors === 0 && rows.length > 0,
  };
}

const PRECIO: ImportIssue = { code: 'unknown_column', severity: 'warning', row: null, field: null, message: 'La columna «Precio» no es un campo de repuesto: sus valores no se importan.' };

const WITH_ERRORS = preview(
  [
    row(2, 'TOR-M5'),
    row(3, 'TOR-M5', [{ code: 'duplicate_reference', message: 'La referencia TOR-M5 ya está en la fila 2 del archivo.' }]),
    row(4, '', [{ code: 'missing_reference', message: 'Falta la referencia.' }]),
  ],
  [PRECIO],
);

const CLEAN = preview([row(2, 'TOR-M5'), row(3, 'CBL-01')], [PRECIO]);

const DONE: ImportDone = { created: 2, ids: ['a', 'b'], pending: 2, message: 'Se importaron 2 repuestos; se enviarán al servidor al sincronizar.' };

async function paste(text: string) {
  const area = screen.getByLabelText(/O pegue aquí el contenido del CSV/);
  await userEvent.click(area);
  await userEvent.paste(text);
  await userEvent.click(screen.getByRole('button', { name: 'Revisar el texto pegado' }));
}

describe('the import rules', () => {
  it('enables the import only for a preview without errors, with rows, while idle', () => {
    expect(canApply(undefined, false)).toBe(false);
    expect(canApply(WITH_ERRORS, false)).toBe(false);
    expect(canApply(CLEAN, false)).toBe(true);
    expect(canApply(CLEAN, true)).toBe(false);
    expect(canApply(preview([]), false)).toBe(false);
    const onlyWarnings = fileIssues(CLEAN);
    expect([onlyWarnings.errors.length, onlyWarnings.warnings.length]).toEqual([0, 1]);
    expect(shownRows(WITH_ERRORS, true).map((r) => r.row)).toEqual([3, 4]);
    expect(shownRows(WITH_ERRORS, false)).toHaveLength(3);
  });
});

describe('importing parts from CSV', () => {
  it('shows each error on its row and a summary, and keeps the import disabled', async () => {
    const shell = installShell({ import_preview: () => WITH_ERRORS, import_apply: () => DONE });
    renderApp('/import');
    await screen.findByRole('heading', { name: 'Importar repuestos' });
    await paste('Referencia;Nombre;Precio\nTOR-M5;Tornillo;1\nTOR-M5;Otro;2\n;Sin referencia;3');
    const summary = await screen.findByTestId('import-summary');
    expect(summary).toHaveTextContent('El archivo tiene 2 errores en 2 filas.');
    expect(summary).toHaveTextContent('Leídas 3 filas (separador: punto y coma).');
    expect(summary).toHaveTextContent('No se importó nada');
    expect(within(screen.getByTestId('import-warnings')).getByText(/«Precio»/)).toBeInTheDocument();
    const table = screen.getByTestId('import-rows');
    const third = table.querySelector('tr[data-row="3"]') as HTMLElement;
    expect(third).toHaveClass('import__row--error');
    expect(third).toHaveTextContent('La referencia TOR-M5 ya está en la fila 2 del archivo.');
    expect(table.querySelector('tr[data-row="4"]')).toHaveTextContent('Falta la referencia.');
    expect(table.querySelector('tr[data-row="2"]')).toHaveTextContent('Correcta');
    expect(table.querySelector('tr[data-row="2"]')).not.toHaveClass('import__row--error');
    const apply = screen.getByRole('button', { name: 'Importar 3 repuestos' });
    expect(apply).toBeDisabled();
    expect(apply).toHaveAccessibleDescription('Corrija los errores del archivo para poder importarlo.');
    expect(shell.callsOf('import_preview')).toEqual([{ text: 'Referencia;Nombre;Precio\nTOR-M5;Tornillo;1\nTOR-M5;Otro;2\n;Sin referencia;3' } satisfies ImportInput]);

    await userEvent.click(screen.getByRole('checkbox', { name: 'Solo filas con errores' }));
    expect(screen.getByTestId('import-rows').querySelectorAll('tbody tr')).toHaveLength(2);
    expect(shell.callsOf('import_apply')).toEqual([]);
  });

  it('imports a clean file from the keyboard and says what was done', async () => {
    const shell = installShell({ import_preview: () => CLEAN, import_apply: () => DONE });
    renderApp('/import');
    await screen.findByRole('heading', { name: 'Importar repuestos' });
    await paste('Referencia;Nombre\nTOR-M5;Tornillo\nCBL-01;Cable');
    const apply = await screen.findByRole('button', { name: 'Importar 2 repuestos' });
    await waitFor(() => expect(apply).toBeEnabled());
    expect(screen.getByTestId('import-summary')).toHaveTextContent('Sin errores: 2 repuestos listos para importar.');
    apply.focus();
    await userEvent.keyboard('{Enter}');
    const done = await screen.findByTestId('import-done');
    expect(done).toHaveTextContent('Importados 2 repuestos.');
    expect(done).toHaveTextContent(DONE.message);
    expect(shell.callsOf('import_apply')).toEqual([{ text: 'Referencia;Nombre\nTOR-M5;Tornillo\nCBL-01;Cable' }]);
    expect(screen.queryByTestId('import-summary')).not.toBeInTheDocument();
  });

  it('a file read from the file input is previewed, and a refused apply shows the library message', async () => {
    const shell = installShell({
      import_preview: () => CLEAN,
      import_apply: () => {
        throw new Refusal({ code: 'import_has_errors', message: 'El archivo tiene 1 error(es): corríjalos y vuelva a importarlo. No se importó nada.', params: { errors: 1 } });
      },
    });
    renderApp('/import');
    const input = await screen.findByLabelText('Archivo CSV');
    const file = new File(['Referencia;Nombre\nTOR-M5;Tornillo\n'], 'repuestos.csv', { type: 'text/csv' });
    await userEvent.upload(input, file);
    await screen.findByText('Archivo: repuestos.csv');
    await waitFor(() => expect(shell.callsOf('import_preview')).toEqual([{ text: 'Referencia;Nombre\nTOR-M5;Tornillo\n' }]));
    await userEvent.click(await screen.findByRole('button', { name: 'Importar 2 repuestos' }));
    expect(await screen.findByText(/No se importó nada\.$/)).toBeInTheDocument();
  });

  it('is reachable from the inventory', async () => {
    installShell({ import_preview: () => CLEAN });
    renderApp('/inventory');
    const link = await screen.findByRole('link', { name: 'Importar repuestos (CSV)' });
    await userEvent.click(link);
    expect(await screen.findByRole('heading', { name: 'Importar repuestos' })).toBeInTheDocument();
  });
});
