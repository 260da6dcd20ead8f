// TanStack Query over the commands. Data changes only when the shell says so: a query stays
// fresh until a `tables-changed` event names a table it reads, and then only those queries
// are refetched. `sync-status` replaces the status query's data.

import { QueryCache, QueryClient, MutationCache, type Query, type QueryKey } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { events, TallerError, type CountState, type EstadoGarantia, type EstadoSolicitud, type InventoryQuery, type SyncStatus, type TablesChanged, type Uuid, type FindPartInput, type SearchPartsInput } from './index';

declare module '@tanstack/react-query' {
  interface Register {
    defaultError: TallerError;
  }
}

/** Inventory queries without their window: the window is the page index in the key. */
export type InventoryFilter = Omit<InventoryQuery, 'offset' | 'limit'>;

export const queryKeys = {
  appInfo: ['app_info'] as const,
  status: ['status'] as const,
  settings: ['settings'] as const,
  workstationUsers: ['workstation_users'] as const,
  currentUser: ['current_user'] as const,
  recentSyncErrors: ['recent_sync_errors'] as const,
  locations: ['locations'] as const,
  technicians: (idLocalizacion: Uuid) => ['technicians', idLocalizacion] as const,
  movementConcepts: ['movement_concepts'] as const,
  inventoryPage: (filter: InventoryFilter, page: number, pageSize: number) =>
    ['inventory_page', filter, page, pageSize] as const,
  findPart: (input: FindPartInput) => ['find_part', input] as const,
  searchParts: (input: SearchPartsInput) => ['search_parts', input] as const,
  partDetail: (idRepuesto: Uuid) => ['part_detail', idRepuesto] as const,
  notifications: ['notifications'] as const,
  inbox: ['inbox'] as const,
  cart: ['cart'] as const,
  requests: (estado: EstadoSolicitud | null) => ['requests', estado] as const,
  requestDetail: (idSolicitud: Uuid) => ['request_detail', idSolicitud] as const,
  counts: (state: CountState | null) => ['counts', state] as const,
  countDetail: (idConteo: Uuid) => ['count_detail', idConteo] as const,
  warranties: (estado: EstadoGarantia | null) => ['warranties', estado] as const,
  warrantyDetail: (idGarantia: Uuid) => ['warranty_detail', idGarantia] as const,
  users: ['users'] as const,
  replenishment: (destination: Uuid, origin: Uuid | null) => ['replenishment', destination, origin] as const,
  locationPolicies: ['location_policies'] as const,
  roles: ['roles'] as const,
  models: ['models'] as const,
  orders: (nivel: number | null) => ['orders', nivel] as const,
};

/** The tables each query reads (by the first element of its key). A query that reads none
 * (app_info, settings, movement_concepts) is refetched only when the app asks. */
export const TABLES_READ: Readonly<Record<string, readonly string[]>> = {
  workstation_users: ['outbox'],
  current_user: ['usuarios', 'roles', 'usuarios_localizacion'],
  locations: ['localizacion', 'usuarios_localizacion'],
  technicians: ['usuarios', 'usuarios_localizacion'],
  inventory_page: ['inventario', 'repuestos', 'localizacion'],
  find_part: ['repuestos', 'inventario', 'localizacion'],
  search_parts: ['repuestos', 'inventario', 'localizacion'],
  part_detail: ['repuestos', 'inventario', 'logs_inventario', 'localizacion', 'usuarios', 'conflictos'],
  notifications: ['notificaciones'],
  inbox: ['conflictos', 'rejected_mutations'],
  cart: ['carrito_solicitudes', 'repuestos', 'localizacion'],
  requests: ['solicitudes', 'detalles_solicitud', 'localizacion', 'usuarios'],
  request_detail: ['solicitudes', 'detalles_solicitud', 'trazabilidad_solicitudes', 'repuestos', 'inventario', 'localizacion', 'usuarios'],
  counts: ['registro_conteo', 'detalles_conteo', 'conteos_cerrados', 'localizacion', 'usuarios'],
  count_detail: ['registro_conteo', 'detalles_conteo', 'conteos_cerrados', 'repuestos', 'inventario', 'logs_inventario', 'localizacion', 'usuarios'],
  warranties: ['garantias', 'repuestos', 'localizacion', 'usuarios'],
  warranty_detail: ['garantias', 'repuestos', 'localizacion', 'usuarios', 'inventario', 'logs_inventario'],
  users: ['usuarios', 'roles', 'usuarios_localizacion', 'localizacion'],
  replenishment: ['inventario', 'repuestos', 'localizacion', 'usuarios_localizacion', 'roles', 'solicitudes', 'detalles_solicitud', 'carrito_solicitudes'],
  location_policies: ['localizacion', 'localizacion_politicas'],
  roles: ['roles'],
  models: ['scooter_types', 'order_follow'],
  orders: ['order_follow', 'scooter_types'],
};

export function readsAny(queryKey: QueryKey, tables: readonly string[]): boolean {
  const name = queryKey[0];
  if (typeof name !== 'string') return false;
  const read = TABLES_READ[name];
  return read !== undefined && read.some((table) => tables.includes(table));
}

export function invalidateForTables(client: QueryClient, change: TablesChanged): Promise<void> {
  return client.invalidateQueries({ predicate: (query: Query) => readsAny(query.queryKey, change.tables) });
}

/** Applies a `sync-status` payload: the status query, and the error list when the last error changed. */
export function applyStatus(client: QueryClient, status: SyncStatus): void {
  const before = client.getQueryData<SyncStatus>(queryKeys.status);
  client.setQueryData(queryKeys.status, status);
  if (before?.last_error?.at !== status.last_error?.at) {
    void client.invalidateQueries({ queryKey: queryKeys.recentSyncErrors });
  }
}

/** Marks the status as "update required" when any command says so (the shell's event may come later). */
function noticeUpdateRequired(client: QueryClient, error: unknown): void {
  if (error instanceof TallerError && error.code === 'update_required') {
    const before = client.getQueryData<SyncStatus>(queryKeys.status);
    if (before && !before.update_required) client.setQueryData(queryKeys.status, { ...before, update_required: true });
  }
}

export function createQueryClient(): QueryClient {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({ onError: (error) => noticeUpdateRequired(client, error) }),
    mutationCache: new MutationCache({ onError: (error) => noticeUpdateRequired(client, error) }),
    defaultOptions: {
      queries: {
        // The commands are local (the replica): being offline never pauses them, a failure is
        // not transient, and data is fresh until `tables-changed` says otherwise.
        networkMode: 'always',
        retry: false,
        staleTime: Number.POSITIVE_INFINITY,
        refetchOnWindowFocus: false,
        refetchOnReconnect: false,
      },
      mutations: { networkMode: 'always', retry: false },
    },
  });
  return client;
}

/** Subscribes to the shell's events for as long as the app runs. */
export function useShellEvents(): void {
  const client = useQueryClient();
  useEffect(() => {
    let active = true;
    const unlisteners: Array<() => void> = [];
    const keep = (unlisten: () => void) => {
      if (active) unlisteners.push(unlisten);
      else unlisten();
    };
    void events.onSyncStatus((status) => applyStatus(client, status)).then(keep);
    void events.onTablesChanged((change) => void invalidateForTables(client, change)).then(keep);
    return () => {
      active = false;
      for (const unlisten of unlisteners) unlisten();
    };
  }, [client]);
}
