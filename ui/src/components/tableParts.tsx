// What the inventory's table and DataTable draw alike: sortable header cells, a row's cells
// and the spacer rows that stand for the rows off screen.

import { flexRender, type Column, type Header, type Row } from '@tanstack/react-table';

/** Whether a column holds numbers (right-aligned): its `meta.numeric`. */
function isNumeric<T>(column: Column<T, unknown>): boolean {
  return Boolean((column.columnDef.meta as { numeric?: boolean } | undefined)?.numeric);
}

/** A cell's class: `num` for numbers, and `col-<id>` too when `named` (widths in CSS). */
function cellClass<T>(column: Column<T, unknown>, named: boolean): string | undefined {
  const classes = [named ? `col-${column.id}` : '', isNumeric(column) ? 'num' : ''].filter(Boolean).join(' ');
  return classes || undefined;
}

/** A header cell that sorts its column when pressed, with the order shown and announced. */
export function SortHeader<T>({ header, named = false }: { header: Header<T, unknown>; named?: boolean }) {
  const sorted = header.column.getIsSorted();
  return (
    <th
      scope="col"
      aria-sort={sorted === 'asc' ? 'ascending' : sorted === 'desc' ? 'descending' : 'none'}
      className={cellClass(header.column, named)}
    >
      <button type="button" className="sort-button" onClick={header.column.getToggleSortingHandler()}>
        {flexRender(header.column.columnDef.header, header.getContext())}
        <span aria-hidden="true" className="sort-mark">
          {sorted === 'asc' ? '▲' : sorted === 'desc' ? '▼' : '↕'}
        </span>
      </button>
    </th>
  );
}

/** A row's visible cells. */
export function Cells<T>({ row, named = false }: { row: Row<T>; named?: boolean }) {
  return (
    <>
      {row.getVisibleCells().map((cell) => (
        <td key={cell.id} className={cellClass(cell.column, named)}>
          {flexRender(cell.column.columnDef.cell, cell.getContext())}
        </td>
      ))}
    </>
  );
}

/** The room of the rows off screen, above or below the ones drawn (nothing when none). */
export function SpacerRow({ height, columns }: { height: number; columns: number }) {
  if (height <= 0) return null;
  return (
    <tr aria-hidden="true" className="spacer">
      <td colSpan={columns} style={{ height }} />
    </tr>
  );
}
