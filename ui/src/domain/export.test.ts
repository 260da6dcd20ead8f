import { describe, expect, it } from 'vitest';
import type { ExportDone } from '../api';
import { countsExport, inventoryExport, requestsExport, warrantiesExport, whereSaved } from './export';

describe('export requests', () => {
  it('the inventory export carries the filter the screen lists with', () => {
    expect(
      inventoryExport({
        id_localizacion: 'loc-norte',
        search: 'bateria 48',
        low_only: true,
        sort: { column: 'stock_actual', direction: 'desc' },
      }),
    ).toEqual({
      list: 'inventory',
      location: 'loc-norte',
      search: 'bateria 48',
      low_only: true,
      sort: { column: 'stock_actual', direction: 'desc' },
    });
  });

  it('the other lists carry their state filter, or none for all', () => {
    expect(requestsExport('DESPACHADO')).toEqual({ list: 'requests', estado: 'DESPACHADO' });
    expect(requestsExport(null)).toEqual({ list: 'requests', estado: null });
    expect(countsExport('open')).toEqual({ list: 'counts', location: null, state: 'open' });
    expect(warrantiesExport('APROBADA')).toEqual({ list: 'warranties', estado: 'APROBADA' });
  });
});

describe('where the file went', () => {
  const done = (shown_path: string, file_name: string): ExportDone => ({
    path: `/home/ana/${file_name}`,
    shown_path,
    file_name,
    format: 'xlsx',
    rows: 3,
  });

  it('splits the folder from the file name', () => {
    expect(whereSaved(done('~/Descargas/inventario-taller-norte-2026-12-03-1530.xlsx', 'inventario-taller-norte-2026-12-03-1530.xlsx'))).toEqual({
      folder: '~/Descargas',
      fileName: 'inventario-taller-norte-2026-12-03-1530.xlsx',
    });
    expect(whereSaved(done('/x.csv', 'x.csv'))).toEqual({ folder: '/', fileName: 'x.csv' });
  });

  it('shows the whole path as the folder when the name is not at its end', () => {
    expect(whereSaved(done('/srv/otra', 'x.csv'))).toEqual({ folder: '/srv/otra', fileName: 'x.csv' });
  });
});
