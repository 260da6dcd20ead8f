// A long list held in memory (a part's ledger, ...): TanStack Table for the columns and
// client-side sorting, TanStack Virtual so only the rows on screen are in the DOM.

import {
  getCoreRowModel,
  getSortedRowModel,
  useReactTable,
  type ColumnDef,
  type SortingState,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef, useState } from 'react';
import { Cells, SortHeader, SpacerRow } from './tableParts';

const ROW_HEIGHT = 48;

interface DataTableProps<Row> {
  data: Row[];
  // Columns of mixed value types: TanStack's own helper types them this way.
  columns: Array<ColumnDef<Row, any>>;
  getRowId: (row: Row) => string;
  label: string;
  maxHeight: number;
}

export function DataTable<Row>({ data, columns, getRowId, label, maxHeight }: DataTableProps<Row>) {
  const [sorting, setSorting] = useState<SortingState>([]);
  const table = useReactTable({
    data,
    columns,
    state: { sorting },
    onSortingChange: setSorting,
    getRowId,
    autoResetAll: false,
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
  });
  const rows = table.getRowModel().rows;
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    initialRect: { width: 1000, height: maxHeight },
  });
  const items = virtualizer.getVirtualItems();
  const paddingTop = items[0]?.start ?? 0;
  const paddingBottom = virtualizer.getTotalSize() - (items[items.length - 1]?.end ?? 0);
  const columnCount = table.getVisibleLeafColumns().length;
  return (
    <div ref={scroller} className="virtual-scroll virtual-scroll--bounded" style={{ maxHeight }} tabIndex={0} role="region" aria-label={label}>
      <table className="data-table" aria-rowcount={rows.length + 1}>
        <thead>
          {table.getHeaderGroups().map((group) => (
            <tr key={group.id}>
              {group.headers.map((header) => (
                <SortHeader key={header.id} header={header} />
              ))}
            </tr>
          ))}
        </thead>
        <tbody>
          <SpacerRow height={paddingTop} columns={columnCount} />
          {items.map((item) => {
            const row = rows[item.index];
            if (!row) return null;
            return (
              <tr key={row.id} className="row" style={{ height: ROW_HEIGHT }} aria-rowindex={item.index + 2}>
                <Cells row={row} />
              </tr>
            );
          })}
          <SpacerRow height={paddingBottom} columns={columnCount} />
        </tbody>
      </table>
    </div>
  );
}
