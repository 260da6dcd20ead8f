// What an export asks for: the list on screen with the same filters the screen applies (the
// library reads every row of it with the list's own query), and how its outcome is told.

import type { CountState, EstadoGarantia, EstadoSolicitud, ExportDone, ExportList } from '../api';
import type { InventoryFilter } from '../api/queries';

/** The inventory as the screen lists it: the location, the search it asked for, the
 * low-stock filter and the sort. */
export function inventoryExport(filter: InventoryFilter): ExportList {
  return {
    list: 'inventory',
    location: filter.id_localizacion,
    search: filter.search ?? '',
    low_only: filter.low_only ?? false,
    sort: filter.sort ?? { column: 'referencia', direction: 'asc' },
  };
}

export function requestsExport(estado: EstadoSolicitud | null): ExportList {
  return { list: 'requests', estado };
}

export function countsExport(state: CountState | null): ExportList {
  return { list: 'counts', location: null, state };
}

export function warrantiesExport(estado: EstadoGarantia | null): ExportList {
  return { list: 'warranties', estado };
}

/** Where the file went, split for the notice: the folder as a person reads it (`~/Descargas`)
 * and the file's name. */
export function whereSaved(done: Pick<ExportDone, 'shown_path' | 'file_name'>): { folder: string; fileName: string } {
  const shown = done.shown_path;
  const cut = shown.length - done.file_name.length;
  if (done.file_name && cut > 0 && shown.endsWith(done.file_name)) {
    return { folder: shown.slice(0, cut).replace(/\/+$/, '') || '/', fileName: done.file_name };
  }
  return { folder: shown, fileName: done.file_name };
}
