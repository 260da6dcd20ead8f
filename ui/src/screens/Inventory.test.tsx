import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { InventoryQuery } from '../api';
import { MOTOR, inventoryRow, installShell, renderApp, settle } from '../test/shell';
import { PAGE_SIZE, pagesFor } from './Inventory';

/** A location of `total` parts; every request gets its window. */
function catalogue(total: number) {
  return (query: InventoryQuery) => {
    const rows = [];
    const offset = query.offset ?? 0;
    for (let index = offset; index < Math.min(total, offset + query.limit); index += 1) {
      rows.push(inventoryRow(index, index % 7 === 0 ? { stock_actual: 1, estado_stock: 'Bajo', alerta_minimo: true } : {}));
    }
    return { rows, offset: query.offset ?? 0, total };
  };
}

describe('inventory', () => {
  afterEach(() => vi.useRealTimers());

  it('asks for a window of rows, never the whole list: 100,000 parts, a few dozen rows in the DOM', async () => {
    const shell = installShell({ inventory_page: catalogue(100_000) });
    renderApp('/inventory');
    expect(await screen.findByText('100.000 repuestos')).toBeInTheDocument();
    const queries = shell.callsOf('inventory_page') as InventoryQuery[];
    expect(queries.length).toBeGreaterThan(0);
    for (const query of queries) expect(query.limit).toBe(PAGE_SIZE);
    expect(queries[0]).toMatchObject({ id_localizacion: 'loc-norte', search: '', low_only: false, offset: 0, sort: { column: 'referencia', direction: 'asc' } });
    const grid = screen.getByRole('grid', { name: 'Inventario de Taller Norte' });
    expect(grid).toHaveAttribute('aria-rowcount', '100001');
    const rows = within(grid).getAllByRole('row');
    expect(rows.length).toBeLessThan(80);
    expect(within(grid).getByText('BAT-000000')).toBeInTheDocument();
  });

  it('comes to rest once its rows are shown, and after moving through them (no endless re-render)', async () => {
    installShell({ inventory_page: catalogue(5_000) });
    const { commits } = renderApp('/inventory');
    await screen.findByText('BAT-000000');
    await act(() => settle());
    const before = commits();
    await act(() => settle());
    expect(commits() - before).toBe(0);
    const grid = screen.getByRole('grid');
    grid.focus();
    fireEvent.keyDown(grid, { key: 'ArrowDown' });
    fireEvent.keyDown(grid, { key: 'PageDown' });
    await act(() => settle());
    const moved = commits();
    await act(() => settle());
    expect(commits() - moved).toBe(0);
  });

  it('shows estado_stock badges and the minimum alert', async () => {
    installShell({
      inventory_page: (query) => ({
        rows: [
          inventoryRow(0, { estado_stock: 'Sin Stock', stock_actual: 0, alerta_minimo: true }),
          inventoryRow(1, { estado_stock: 'Bajo', stock_actual: 2, alerta_minimo: true }),
          inventoryRow(2, { estado_stock: 'Normal', stock_actual: 5 }),
          inventoryRow(3, { estado_stock: 'Alto', stock_actual: 40 }),
        ],
        offset: query.offset ?? 0,
        total: 4,
      }),
    });
    renderApp('/inventory');
    for (const estado of ['Sin Stock', 'Bajo', 'Normal', 'Alto']) {
      expect(await screen.findByRole('img', { name: `Estado de stock: ${estado}` })).toHaveTextContent(estado);
    }
    expect(screen.getAllByRole('img', { name: 'En el mínimo o por debajo' })).toHaveLength(2);
  });

  it('searches as you type: the first key at once, then only the latest text once the answer in flight is in', async () => {
    const answer = catalogue(30);
    // The library's answers wait until the test lets each one go.
    const held: Array<() => void> = [];
    const shell = installShell({ inventory_page: answer });
    renderApp('/inventory');
    await screen.findByText('30 repuestos');
    shell.set({
      inventory_page: (query: InventoryQuery) =>
        new Promise((resolve) => held.push(() => resolve({ ...answer(query), total: 30 - (query.search ?? '').length }))),
    });
    const before = shell.callsOf('inventory_page').length;
    const searches = () => (shell.callsOf('inventory_page') as InventoryQuery[]).slice(before).map((query) => query.search);
    const search = screen.getByRole('searchbox', { name: /Buscar/ });
    fireEvent.change(search, { target: { value: 'b' } });
    // No debounce: the first key is asked for at once (a few turns of the event loop).
    await act(() => settle());
    expect(searches()).toEqual(['b']);
    // Keys typed while its answer is out wait, however slowly they come; only the last of
    // them is asked for next.
    for (const text of ['ba', 'bat', 'bate', ' batería ']) {
      fireEvent.change(search, { target: { value: text } });
      await act(() => new Promise((resolve) => setTimeout(resolve, 150)));
    }
    expect(searches()).toEqual(['b']);
    await act(async () => held.shift()?.());
    await waitFor(() => expect(searches()).toEqual(['b', 'batería']), { timeout: 2000 });
    await act(async () => held.shift()?.());
    expect(await screen.findByText('23 repuestos')).toBeInTheDocument();
    await act(() => settle());
    expect(searches()).toEqual(['b', 'batería']);
  });

  it('the low-stock filter asks the library for low rows only', async () => {
    const shell = installShell({ inventory_page: catalogue(30) });
    renderApp('/inventory');
    await screen.findByText('30 repuestos');
    await userEvent.click(screen.getByRole('checkbox', { name: /Solo stock bajo/ }));
    await waitFor(() => expect((shell.callsOf('inventory_page') as InventoryQuery[]).some((query) => query.low_only)).toBe(true));
  });

  it('Alt+L toggles the low-stock filter from the keyboard', async () => {
    const shell = installShell({ inventory_page: catalogue(30) });
    renderApp('/inventory');
    await screen.findByText('30 repuestos');
    fireEvent.keyDown(window, { key: 'l', code: 'KeyL', altKey: true });
    expect(screen.getByRole('checkbox', { name: /Solo stock bajo/ })).toBeChecked();
    await waitFor(() => expect((shell.callsOf('inventory_page') as InventoryQuery[]).some((query) => query.low_only)).toBe(true));
  });

  it('sorts by any column: a header press asks for that order', async () => {
    const shell = installShell({ inventory_page: catalogue(30) });
    renderApp('/inventory');
    await screen.findByText('30 repuestos');
    const stockHeader = screen.getByRole('columnheader', { name: /Stock/ });
    await userEvent.click(within(stockHeader).getByRole('button'));
    await waitFor(() =>
      expect((shell.callsOf('inventory_page') as InventoryQuery[]).at(-1)?.sort?.column).toBe('stock_actual'),
    );
    expect(stockHeader).toHaveAttribute('aria-sort', expect.stringMatching(/ascending|descending/));
    const direction = (shell.callsOf('inventory_page') as InventoryQuery[]).at(-1)?.sort?.direction;
    await userEvent.click(within(stockHeader).getByRole('button'));
    await waitFor(() =>
      expect((shell.callsOf('inventory_page') as InventoryQuery[]).at(-1)?.sort?.direction).not.toBe(direction),
    );
  });

  it('is keyboard first: "/" to search, ↓ into the list, arrows to move, Enter opens the part', async () => {
    installShell({ inventory_page: catalogue(30), part_detail: () => { throw new Error('not needed'); } });
    renderApp('/inventory');
    await screen.findByText('30 repuestos');
    fireEvent.keyDown(document.body, { key: '/' });
    const search = screen.getByRole('searchbox', { name: /Buscar/ });
    expect(search).toHaveFocus();
    fireEvent.keyDown(search, { key: 'ArrowDown' });
    const grid = screen.getByRole('grid');
    expect(grid).toHaveFocus();
    expect(grid).toHaveAttribute('aria-activedescendant', 'inventory-row-0');
    fireEvent.keyDown(grid, { key: 'ArrowDown' });
    fireEvent.keyDown(grid, { key: 'ArrowDown' });
    expect(grid).toHaveAttribute('aria-activedescendant', 'inventory-row-2');
    fireEvent.keyDown(grid, { key: 'Enter' });
    await waitFor(() => expect(window.location.hash).toBe('#/parts/rep-2'));
  });

  it('a scan anywhere on the inventory opens that part', async () => {
    const shell = installShell({ inventory_page: catalogue(30), find_part: (input) => (input.code === MOTOR.referencia ? MOTOR : null) });
    renderApp('/inventory');
    await screen.findByText('30 repuestos');
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const search = screen.getByRole('searchbox', { name: /Buscar/ });
    search.focus();
    for (const key of MOTOR.referencia) {
      fireEvent.keyDown(search, { key });
      fireEvent.change(search, { target: { value: (search as HTMLInputElement).value + key } });
      vi.advanceTimersByTime(5);
    }
    fireEvent.keyDown(search, { key: 'Enter' });
    vi.useRealTimers();
    await waitFor(() => expect(window.location.hash).toBe(`#/parts/${MOTOR.id_repuesto}`));
    expect(shell.callsOf('find_part')).toEqual([{ code: MOTOR.referencia, id_localizacion: 'loc-norte' }]);
  });

  it('an unknown scanned code says so and stays on the list', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    installShell({ inventory_page: catalogue(3) });
    renderApp('/inventory');
    await screen.findByText('3 repuestos');
    for (const key of 'NOPE-123') {
      fireEvent.keyDown(document.body, { key });
      act(() => vi.advanceTimersByTime(5));
    }
    fireEvent.keyDown(document.body, { key: 'Enter' });
    expect(await screen.findByRole('alert')).toHaveTextContent('El código escaneado «NOPE-123» no corresponde a ningún repuesto.');
    expect(window.location.hash).toBe('#/inventory');
  });

  it('computes the pages a window of rows needs', () => {
    expect(PAGE_SIZE).toBe(50);
    expect(pagesFor(0, 40)).toEqual([0]);
    expect(pagesFor(45, 65)).toEqual([0, 1]);
    expect(pagesFor(95, 130)).toEqual([1, 2]);
    expect(pagesFor(99_960, 99_999)).toEqual([1999]);
    expect(pagesFor(10, 5)).toEqual([0]);
  });
});
