// A stand-in for the Tauri shell in tests: `mockIPC` answers each command from a handler
// (defaults below, overridable per test), records every call, and lets a test emit the
// shell's events. Only the IPC is replaced: the app's own code runs as it will in Tauri.

import { emit } from '@tauri-apps/api/event';
import { mockIPC } from '@tauri-apps/api/mocks';
import { render } from '@testing-library/react';
import { Profiler } from 'react';
import type {
  AppInfo,
  CommandError,
  CommandName,
  Commands,
  ConceptoInfo,
  Events,
  InventoryRow,
  Localizacion,
  PartMatch,
  Settings,
  SyncStatus,
  UserProfile,
} from '../api/bindings';
import { App } from '../App';
import { createQueryClient } from '../api/queries';
import { createI18n } from '../i18n';
import type { Lang } from '../api';

export type Handler<Name extends CommandName> = (
  input: Commands[Name]['input'],
  args: Record<string, unknown>,
) => Commands[Name]['output'] | Promise<Commands[Name]['output']>;

export type Handlers = { [Name in CommandName]?: Handler<Name> } & {
  sync_now?: (args: Record<string, unknown>) => unknown;
};

export interface Call {
  command: string;
  input: unknown;
}

/** A refusal as the shell sends it. */
export class Refusal {
  constructor(readonly error: CommandError) {}
}

export const NORTE: Localizacion = { id_localizacion: 'loc-norte', nombre: 'Taller Norte', activo: true };
export const SUR: Localizacion = { id_localizacion: 'loc-sur', nombre: 'Taller Sur', activo: true };

export const CARLA: UserProfile = {
  id_usuario: 'user-carla',
  nombre_completo: 'Carla Técnica',
  email: 'tecnico.norte@taller.test',
  id_rol: 'rol-tecnico',
  nombre_rol: 'tecnico',
  permisos: {
    inventory: { view: true, create: true, edit: true, delete: false },
    requests: { view: true, create: true, approve: false },
    guarantees: { view: true, create: true, resolve: false },
    users: { view: false, manage: false },
  },
  is_admin: false,
  localizaciones: [NORTE.id_localizacion],
};

export const STATUS: SyncStatus = {
  user: CARLA.email,
  online: true,
  syncing: false,
  pending: 0,
  last_success: '2026-12-01T10:42:00Z',
  last_error: null,
  conflicts: 0,
  server_url: 'http://127.0.0.1:8080',
  update_required: false,
  signed_in: true,
};

export const APP_INFO: AppInfo = { version: '0.1.0', protocol_version: 1, max_quantity: 100_000, demo: null };

export const SETTINGS: Settings = { server_url: 'http://127.0.0.1:8080', lang: 'es', sync_interval_seconds: 30 };

/** taller_domain::Concepto::allowed_tipos, as the shell's `movement_concepts` returns it. */
export const CONCEPTS: ConceptoInfo[] = [
  { concepto: 'salida', tipos: ['salida'], moves_stock: true },
  { concepto: 'ingreso', tipos: ['ingreso'], moves_stock: true },
  { concepto: 'venta', tipos: ['venta'], moves_stock: true },
  { concepto: 'garantia', tipos: ['salida'], moves_stock: true },
  { concepto: 'prestamo', tipos: ['salida'], moves_stock: true },
  { concepto: 'cotizacion', tipos: ['salida', 'venta'], moves_stock: false },
  { concepto: 'devolucion', tipos: ['ingreso'], moves_stock: true },
];

export function inventoryRow(index: number, overrides: Partial<InventoryRow> = {}): InventoryRow {
  return {
    id_inventario: `inv-${index}`,
    id_localizacion: NORTE.id_localizacion,
    id_repuesto: `rep-${index}`,
    referencia: `BAT-${String(index).padStart(6, '0')}`,
    nombre: `Batería ${index}`,
    marca: 'Xiaomi',
    tipo: 'Batería',
    stock_actual: 10,
    cantidad_minima: 3,
    posicion: `A-${index}`,
    estado_stock: 'Alto',
    alerta_minimo: false,
    descontinuado: false,
    ...overrides,
  };
}

export const MOTOR: PartMatch = {
  id_repuesto: 'rep-motor',
  referencia: 'MTR-500W-48V',
  nombre: 'Motor 500W 48V',
  marca: 'Bafang',
  tipo: 'Motor',
  descontinuado: false,
  stock: {
    id_inventario: 'inv-motor',
    id_localizacion: NORTE.id_localizacion,
    localizacion: NORTE.nombre,
    stock_actual: 12,
    cantidad_minima: 3,
    posicion: 'B-2',
    estado_stock: 'Alto',
    alerta_minimo: false,
  },
};

function defaults(): Handlers {
  return {
    app_info: () => APP_INFO,
    status: () => STATUS,
    settings: () => SETTINGS,
    save_settings: (settings) => settings,
    workstation_users: () => [],
    current_user: () => CARLA,
    recent_sync_errors: () => [],
    locations: () => [NORTE, SUR],
    technicians: () => [{ id_usuario: CARLA.id_usuario, nombre_completo: CARLA.nombre_completo, email: CARLA.email }],
    movement_concepts: () => CONCEPTS,
    inventory_page: (query) => ({ rows: [], offset: query.offset ?? 0, total: 0 }),
    find_part: () => null,
    search_parts: () => [],
    notifications: () => [],
    inbox: () => [],
    location_policies: () => [],
    roles: () => [],
  };
}

export interface Shell {
  calls: Call[];
  callsOf(command: string): unknown[];
  emit<Name extends keyof Events>(name: Name, payload: Events[Name]): Promise<void>;
  set(handlers: Handlers): void;
}

/** Installs the stand-in shell; `handlers` replace the defaults. */
export function installShell(handlers: Handlers = {}): Shell {
  const current: Record<string, (input: unknown, args: Record<string, unknown>) => unknown> = {
    ...(defaults() as Record<string, (input: unknown, args: Record<string, unknown>) => unknown>),
    ...(handlers as Record<string, (input: unknown, args: Record<string, unknown>) => unknown>),
  };
  const calls: Call[] = [];
  mockIPC(
    async (command, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ command, input: args.input });
      const handler = current[command];
      if (!handler) throw `command ${command} not found`;
      try {
        return await (command === 'sync_now' ? handler(args, args) : handler(args.input, args));
      } catch (raw) {
        // Tauri rejects with the command's serialized error.
        if (raw instanceof Refusal) throw raw.error;
        throw raw;
      }
    },
    { shouldMockEvents: true },
  );
  return {
    calls,
    callsOf: (command) => calls.filter((call) => call.command === command).map((call) => call.input),
    emit: (name, payload) => emit(name, payload),
    set: (more) => Object.assign(current, more),
  };
}

/** Renders the whole app at `path` (a hash route), with a fresh cache and language.
 * `commits()` counts React commits of the whole tree so far. */
export function renderApp(path = '/inventory', lang: Lang = 'es') {
  window.location.hash = `#${path}`;
  const queryClient = createQueryClient();
  const i18n = createI18n(lang);
  let commits = 0;
  const view = render(
    <Profiler id="app" onRender={() => (commits += 1)}>
      <App queryClient={queryClient} i18n={i18n} />
    </Profiler>,
  );
  return { ...view, queryClient, i18n, commits: () => commits };
}

/** Lets pending microtasks and timers of the app run (several turns of the event loop). */
export async function settle(turns = 10): Promise<void> {
  for (let turn = 0; turn < turns; turn += 1) {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}
