// The inventory of a location: search as you type, the low-stock filter, sort by any
// column, and a window of rows at a time (the command returns offset/limit + total, and the
// virtualizer asks only for the pages on screen), so 100,000 parts never cross IPC at once.

import { keepPreviousData, useQueries, useQuery, type QueryClient, type UseQueryResult } from '@tanstack/react-query';
import {
  createColumnHelper,
  getCoreRowModel,
  useReactTable,
  type Row,
  type SortingState,
} from '@tanstack/react-table';
import { useVirtualizer, type VirtualItem } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, type InventoryPage, type InventoryRow, type InventorySort, type InventorySortColumn, type Localizacion, type TallerError, type Uuid } from '../api';
import { queryKeys, type InventoryFilter } from '../api/queries';
import { ExportControl } from '../components/ExportControl';
import { LabelsControl } from '../components/LabelsControl';
import { MinimumAlert, StockBadge } from '../components/StockBadge';
import { Cells, SortHeader, SpacerRow } from '../components/tableParts';
import { useLatestWhenIdle } from '../hooks/useLatestWhenIdle';
import { useMediaQuery } from '../hooks/useMediaQuery';
import { useScanAnywhere } from '../hooks/useScanner';
import { inventoryExport } from '../domain/export';
import { isTyping } from '../hooks/shortcuts';
import { useFormat } from '../i18n';
import { useSession } from '../session/session';

/** Rows per request: a full window on a tall screen (about 15 rows show), small enough that
 * a search answers in one short IPC call. */
export const PAGE_SIZE = 50;
export const ROW_HEIGHT = 52;
/** The sticky header row above the rows, inside the same scroll box. */
const HEADER_HEIGHT = 50;

const column = createColumnHelper<InventoryRow>();

/** The loaded pages of the window after the first, structurally shared by TanStack Query: the same objects
 * (and array) until a page changes. Module-level, so it is not re-run every render. */
function combinePages(results: Array<UseQueryResult<InventoryPage, TallerError>>) {
  return {
    pages: results.map((result) => result.data),
    error: results.find((result) => result.error)?.error ?? null,
  };
}

/** The pages (of PAGE_SIZE rows) that hold rows `first`..`last`. */
export function pagesFor(first: number, last: number): number[] {
  if (last < first) return [0];
  const pages: number[] = [];
  for (let page = Math.floor(first / PAGE_SIZE); page <= Math.floor(last / PAGE_SIZE); page += 1) pages.push(page);
  return pages;
}

/** The order the inventory opens in. */
export const INITIAL_SORTING: SortingState = [{ id: 'referencia', desc: false }];

/** What the inventory lists: the location, the search asked for, the low-stock filter and the order. */
export function inventoryFilter(idLocalizacion: Uuid, search: string, lowOnly: boolean, sorting: SortingState): InventoryFilter {
  const sort: InventorySort = {
    column: (sorting[0]?.id ?? 'referencia') as InventorySortColumn,
    direction: sorting[0]?.desc ? 'desc' : 'asc',
  };
  return { id_localizacion: idLocalizacion, search, low_only: lowOnly, sort };
}

/** The first window of a list: its rows and the total. */
function firstPageQuery(filter: InventoryFilter) {
  return {
    queryKey: queryKeys.inventoryPage(filter, 0, PAGE_SIZE),
    queryFn: () => api.inventoryPage({ ...filter, offset: 0, limit: PAGE_SIZE }),
  };
}

/** The inventory's first window as it opens, asked for before the screen renders (at start-up). */
export function prefetchInventory(client: QueryClient, idLocalizacion: Uuid): Promise<void> {
  return client.prefetchQuery(firstPageQuery(inventoryFilter(idLocalizacion, '', false, INITIAL_SORTING)));
}

export function InventoryScreen() {
  const session = useSession();
  const { t } = useTranslation();
  if (!session.location) {
    return (
      <section className="screen">
        <h1>{t('inventory.title')}</h1>
        <p className="notice">{t('inventory.noLocation')}</p>
      </section>
    );
  }
  return <Inventory location={session.location} key={session.location.id_localizacion} />;
}

function Inventory({ location }: { location: Localizacion }) {
  const session = useSession();
  const { t } = useTranslation();
  const format = useFormat();
  const navigate = useNavigate();
  const [search, setSearch] = useState('');
  const [lowOnly, setLowOnly] = useState(false);
  const [sorting, setSorting] = useState<SortingState>(INITIAL_SORTING);
  const [active, setActive] = useState(0);
  const [scanProblem, setScanProblem] = useState<string | null>(null);
  // The search asked for: what the field holds, taken whenever the first page is not
  // being read (one question in flight at a time, always ending on the latest text).
  const [searchBusy, setSearchBusy] = useState(false);
  const askedSearch = useLatestWhenIdle(search.trim(), searchBusy);
  const searchInput = useRef<HTMLInputElement>(null);
  const wide = useMediaQuery('(min-width: 1500px)');
  const scroller = useRef<HTMLDivElement>(null);
  const grid = useRef<HTMLTableElement>(null);

  const filter: InventoryFilter = useMemo(
    () => inventoryFilter(location.id_localizacion, askedSearch, lowOnly, sorting),
    [location.id_localizacion, askedSearch, lowOnly, sorting],
  );

  // What "Exportar" writes: this list, as filtered and sorted now, every row.
  const exportList = useMemo(() => inventoryExport(filter), [filter]);

  // The first page on its own: it gives the total, and it keeps showing the last answer
  // while the next search runs (one observer whose key changes; useQueries would start over).
  const firstPage = useQuery({ ...firstPageQuery(filter), placeholderData: keepPreviousData });
  // Read in the render that gets the answer, not set by an effect after it: the new rows and
  // their count are one commit (and one layout and paint) instead of two.
  const total = firstPage.data?.total ?? 0;
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    // Rows start below the header, and the sticky header must not cover a row scrolled to.
    paddingStart: HEADER_HEIGHT,
    scrollPaddingStart: HEADER_HEIGHT,
    overscan: 4,
    initialRect: { width: 1000, height: 600 },
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? PAGE_SIZE - 1;
  const pages = useMemo(() => {
    const wanted = new Set([0, ...pagesFor(first, last)]);
    return [...wanted].sort((a, b) => a - b);
  }, [first, last]);

  const pageQueries = useMemo(
    () =>
      pages
        .filter((page) => page > 0)
        .map((page) => ({
          queryKey: queryKeys.inventoryPage(filter, page, PAGE_SIZE),
          queryFn: () => api.inventoryPage({ ...filter, offset: page * PAGE_SIZE, limit: PAGE_SIZE }),
        })),
    [pages, filter],
  );
  const laterPages = useQueries({ queries: pageQueries, combine: combinePages });
  // Known in this render, not after an effect: the next search is asked without a commit between.
  if (searchBusy !== firstPage.isFetching) setSearchBusy(firstPage.isFetching);

  // Keyed on the pages themselves (stable until a page is refetched): the table below resets
  // its state when its data changes, so a new map each render would re-render forever.
  const rowsByIndex = useMemo(() => {
    const map = new Map<number, InventoryRow>();
    for (const page of [firstPage.data, ...laterPages.pages]) {
      if (!page) continue;
      page.rows.forEach((row, offset) => map.set(page.offset + offset, row));
    }
    return map;
  }, [firstPage.data, laterPages.pages]);
  const error = firstPage.error ?? laterPages.error;

  // Back to the top when what is listed changes.
  useEffect(() => {
    setActive(0);
    virtualizer.scrollToOffset(0);
  }, [filter, virtualizer]);

  const visibleRows = useMemo(
    () => items.map((item) => rowsByIndex.get(item.index)).filter((row): row is InventoryRow => row !== undefined),
    [items, rowsByIndex],
  );

  const columns = useMemo(
    () => [
      column.accessor('referencia', { header: () => t('columns.referencia'), cell: (info) => <strong className="mono">{info.getValue()}</strong> }),
      column.accessor('nombre', { header: () => t('columns.nombre'), cell: (info) => <span title={info.getValue()}>{info.getValue()}</span> }),
      column.accessor('marca', { header: () => t('columns.marca'), cell: (info) => info.getValue() ?? '—' }),
      column.accessor('tipo', { header: () => t('columns.tipo'), cell: (info) => info.getValue() ?? '—' }),
      column.accessor('stock_actual', {
        header: () => t('columns.stock_actual'),
        cell: (info) => (
          <span className="stock-cell">
            <span className="num">{format.number(info.getValue())}</span>
            {info.row.original.alerta_minimo && <MinimumAlert />}
          </span>
        ),
        meta: { numeric: true },
      }),
      column.accessor('cantidad_minima', { header: () => t('columns.cantidad_minima'), cell: (info) => format.number(info.getValue()), meta: { numeric: true } }),
      column.accessor('posicion', { header: () => t('columns.posicion'), cell: (info) => info.getValue() ?? '—' }),
      column.accessor('estado_stock', { header: () => t('columns.estado_stock'), cell: (info) => <StockBadge estado={info.getValue()} /> }),
    ],
    [t, format],
  );

  const table = useReactTable({
    data: visibleRows,
    columns,
    // On a laptop-sized window the type gives way to the name (it is still searched).
    state: { sorting, columnVisibility: { tipo: wide } },
    onSortingChange: setSorting,
    manualSorting: true,
    // Rows come and go as the window moves: nothing of the table's own state (pages,
    // expansion) follows the data.
    autoResetAll: false,
    enableSortingRemoval: false,
    enableMultiSort: false,
    getRowId: (row) => row.id_inventario,
    getCoreRowModel: getCoreRowModel(),
  });
  const rowModel = table.getRowModel();
  const tableRows = useMemo(() => new Map(rowModel.rows.map((row) => [row.original.id_inventario, row])), [rowModel]);

  const openRow = useCallback(
    (index: number) => {
      const row = rowsByIndex.get(index);
      if (row) void navigate(`/parts/${row.id_repuesto}`);
    },
    [rowsByIndex, navigate],
  );

  const onRowClick = useCallback(
    (index: number) => {
      setActive(index);
      openRow(index);
    },
    [openRow],
  );

  const moveTo = (index: number) => {
    if (total === 0) return;
    const next = Math.max(0, Math.min(total - 1, index));
    setActive(next);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };

  const onListKeyDown = (event: React.KeyboardEvent) => {
    const pageRows = Math.max(1, Math.floor((scroller.current?.clientHeight ?? 600) / ROW_HEIGHT) - 1);
    const moves: Record<string, number> = {
      ArrowDown: active + 1,
      ArrowUp: active - 1,
      PageDown: active + pageRows,
      PageUp: active - pageRows,
      Home: 0,
      End: total - 1,
    };
    const target = moves[event.key];
    if (target !== undefined) {
      event.preventDefault();
      if (event.key === 'ArrowUp' && active === 0) {
        searchInput.current?.focus();
        return;
      }
      moveTo(target);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      openRow(active);
    }
  };

  // "/" focuses the search, Alt+L toggles the low-stock filter.
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented) return;
      if (event.key === '/' && !isTyping(event.target)) {
        event.preventDefault();
        searchInput.current?.focus();
        searchInput.current?.select();
      } else if (event.altKey && (event.key === 'l' || event.key === 'L' || event.code === 'KeyL')) {
        event.preventDefault();
        setLowOnly((value) => !value);
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);

  // A scan anywhere on the inventory opens that part. The wedge typed the code into whatever
  // had the focus: if it was the search box, take it back out.
  useScanAnywhere(async (code) => {
    setSearch((value) => (value.endsWith(code) ? value.slice(0, -code.length) : value));
    setScanProblem(null);
    try {
      const part = await api.findPart({ code, id_localizacion: location.id_localizacion });
      if (part) void navigate(`/parts/${part.id_repuesto}`);
      else setScanProblem(t('inventory.scanUnknown', { code }));
    } catch (raw) {
      setScanProblem((raw as TallerError).message);
    }
  });

  const headers = table.getHeaderGroups()[0]?.headers ?? [];
  const columnCount = table.getVisibleLeafColumns().length;
  const activeId = rowsByIndex.has(active) ? `inventory-row-${active}` : undefined;
  const paddingTop = (items[0]?.start ?? HEADER_HEIGHT) - HEADER_HEIGHT;
  const paddingBottom = virtualizer.getTotalSize() - (items[items.length - 1]?.end ?? 0);
  const loading = firstPage.isPending;

  return (
    <section className="screen screen--fill" aria-labelledby="inventory-title">
      <div className="screen__head">
        <h1 id="inventory-title">
          {t('inventory.title')} <span className="muted">— {location.nombre}</span>
        </h1>
        <p className="count" aria-live="polite">
          {loading ? t('common.loading') : t('inventory.count', { count: total, formatted: format.number(total) })}
        </p>
      </div>
      <div className="toolbar" role="search">
        <label className="field field--grow">
          <span className="field__label">
            {t('inventory.search')} <kbd aria-hidden="true">/</kbd>
          </span>
          <input
            ref={searchInput}
            type="search"
            value={search}
            placeholder={t('inventory.searchPlaceholder')}
            onChange={(event) => setSearch(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'ArrowDown') {
                event.preventDefault();
                grid.current?.focus();
              }
            }}
            aria-keyshortcuts="/"
            autoComplete="off"
            spellCheck={false}
          />
        </label>
        <label className="toggle">
          <input type="checkbox" checked={lowOnly} onChange={(event) => setLowOnly(event.target.checked)} aria-keyshortcuts="Alt+L" />
          <span>{t('inventory.lowOnly')}</span>
          <kbd aria-hidden="true">Alt+L</kbd>
        </label>
      </div>
      <div className="list-tools">
        <ExportControl list={exportList} />
        <LabelsControl target={{ kind: 'shelf', idLocalizacion: location.id_localizacion, sede: location.nombre }} />
        {session.user.permisos.inventory?.create === true && (
          <Link to="/import" className="button" data-testid="open-import">
            {t('import.open')}
          </Link>
        )}
      </div>
      {scanProblem && (
        <p className="notice notice--error" role="alert">
          {scanProblem}
        </p>
      )}
      {error && (
        <p className="notice notice--error" role="alert">
          {error.message}
        </p>
      )}
      <div ref={scroller} className="virtual-scroll" data-testid="inventory-scroll">
        <table
          ref={grid}
          className="data-table data-table--fixed"
          role="grid"
          tabIndex={0}
          aria-rowcount={total + 1}
          aria-activedescendant={activeId}
          aria-label={t('inventory.listLabel', { location: location.nombre })}
          onKeyDown={onListKeyDown}
        >
          <thead>
            <tr aria-rowindex={1}>
              {headers.map((header) => (
                <SortHeader key={header.id} header={header} named />
              ))}
            </tr>
          </thead>
          <InventoryRows
            items={items}
            rowsByIndex={rowsByIndex}
            tableRows={tableRows}
            columns={columns}
            active={active}
            columnCount={columnCount}
            paddingTop={paddingTop}
            paddingBottom={paddingBottom}
            loadingText={t('common.loading')}
            onRowClick={onRowClick}
          />
        </table>
        {!loading && total === 0 && (
          <p className="empty">{askedSearch ? t('inventory.emptySearch', { search: askedSearch }) : lowOnly ? t('inventory.emptyLow') : t('inventory.empty')}</p>
        )}
      </div>
    </section>
  );
}

type RowsProps = {
  items: VirtualItem[];
  rowsByIndex: Map<number, InventoryRow>;
  tableRows: Map<string, Row<InventoryRow>>;
  /** The column definitions: their cells change with the language. */
  columns: unknown;
  active: number;
  columnCount: number;
  paddingTop: number;
  paddingBottom: number;
  loadingText: string;
  onRowClick: (index: number) => void;
};

/** The rows on screen. Memoized: a key typed in the search re-renders the field, not every
 * row, until the answer changes what is listed. */
const InventoryRows = memo(function InventoryRows({
  items,
  rowsByIndex,
  tableRows,
  active,
  columnCount,
  paddingTop,
  paddingBottom,
  loadingText,
  onRowClick,
}: RowsProps) {
  return (
    <tbody>
      <SpacerRow height={paddingTop} columns={columnCount} />
      {items.map((item) => {
        const data = rowsByIndex.get(item.index);
        const row = data ? tableRows.get(data.id_inventario) : undefined;
        const isActive = item.index === active;
        if (!row) {
          return (
            <tr key={`pending-${item.index}`} className="row row--pending" style={{ height: ROW_HEIGHT }} aria-rowindex={item.index + 2}>
              <td colSpan={columnCount}>{loadingText}</td>
            </tr>
          );
        }
        return (
          <tr
            key={row.id}
            id={`inventory-row-${item.index}`}
            className={`row${isActive ? ' row--active' : ''}${row.original.alerta_minimo ? ' row--low' : ''}`}
            style={{ height: ROW_HEIGHT }}
            aria-rowindex={item.index + 2}
            aria-selected={isActive}
            onClick={() => onRowClick(item.index)}
          >
            <Cells row={row} named />
          </tr>
        );
      })}
      <SpacerRow height={paddingBottom} columns={columnCount} />
    </tbody>
  );
});
