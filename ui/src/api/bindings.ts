// =====================================================================================
// THE COMMAND LAYER'S TYPES AND RAW CALLS.
//
// This file is a stand-in for bindings that will be GENERATED from the Rust types of the
// Tauri shell (tauri-specta). Keep every command, event and wire type here and nowhere
// else, in the shape the generator will produce, so that replacing this file with the
// generated one changes no other module. The rest of the front end imports from
// `./index.ts` (the thin wrapper), never from `@tauri-apps/api` directly.
//
// Rules the shell follows (see ui/COMMANDS.md):
// - Command names are snake_case. A command takes no argument, or one argument named
//   `input` (an object whose fields are snake_case, as serde writes them), and `sync_now`
//   also takes a Channel named `progress`.
// - A failing command rejects with a CommandError `{code, message, params}`; `message`
//   is already in the user's language (the library renders it).
// - Data fields keep the reference schema's Spanish column names (`referencia`,
//   `stock_actual`, `cantidad_minima`, ...); what the project invents is in English.
// - Booleans are JSON booleans (the replica stores 0/1: the shell converts), times are
//   RFC 3339 strings in UTC, ids are uuid strings.
// =====================================================================================

import { Channel, invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';

export type Uuid = string;
/** RFC 3339, UTC (`2026-12-01T10:00:00Z`). */
export type Timestamp = string;
export type Lang = 'es' | 'en';

// ------------------------------------------------------------------------------ errors

/** What every failing command rejects with. */
export interface CommandError {
  /** Stable and machine-readable: a rejection code (`invalid_quantity`, ...), a server
   * error code (`invalid_credentials`, `update_required`, ...) or a client one
   * (`offline`, `not_signed_in`, `invalid_input`, `replica_error`, ...). */
  code: string;
  /** For a person, in the user's language. */
  message: string;
  /** The facts behind the message (a rejection's params; may be empty). */
  params: Record<string, unknown>;
}

// ------------------------------------------------------------------------------ app and session

export interface DemoAccount {
  email: string;
  password: string;
  nombre_completo: string;
  nombre_rol: string;
}

export interface AppInfo {
  /** The app's version. */
  version: string;
  /** The sync protocol version this build speaks. */
  protocol_version: number;
  /** `taller_domain::stock::MAX_QUANTITY`: the largest quantity one action may move. */
  max_quantity: number;
  /** Present when the shell runs against the demo server: the sign-in screen offers these. */
  demo: { accounts: DemoAccount[] } | null;
}

/** `roles.permisos` (taller_domain::permisos::Permisos). Missing means "not allowed". */
export interface Permisos {
  inventory: { view: boolean; create: boolean; edit: boolean; delete: boolean };
  requests: { view: boolean; create: boolean; approve: boolean };
  guarantees: { view: boolean; create: boolean; resolve: boolean };
  users: { view: boolean; manage: boolean };
}

/** taller_protocol::messages::UserProfile. */
export interface UserProfile {
  id_usuario: Uuid;
  nombre_completo: string;
  email: string;
  id_rol: Uuid;
  nombre_rol: string;
  permisos: Permisos;
  is_admin: boolean;
  /** Assigned locations (an admin sees all, whatever this lists). */
  localizaciones: Uuid[];
}

/** A user who signed in on this workstation before (their replica is here). */
export interface WorkstationUser {
  id_usuario: Uuid;
  email: string;
  nombre_completo: string | null;
  /** Mutations in this user's outbox, waiting to be pushed with their own authority. */
  pending: number;
  /** The user whose replica is open now. */
  current: boolean;
  /** An offline credential is stored: `unlock` works without the network. */
  can_unlock: boolean;
}

export interface Credentials {
  email: string;
  password: string;
}

export interface Settings {
  /** `http(s)://host[:port]`; null before the first `save_settings`. */
  server_url: string | null;
  lang: Lang;
  /** Seconds between periodic syncs (the engine's interval; default 30). */
  sync_interval_seconds: number;
}

// ------------------------------------------------------------------------------ sync

export interface SyncError {
  at: Timestamp;
  code: string;
  message: string;
}

/** Payload of the `sync-status` event and result of `status` (taller_client::Status + update_required). */
export interface SyncStatus {
  /** Email of the signed-in user, or null. */
  user: string | null;
  /** The last attempt reached the server. */
  online: boolean;
  syncing: boolean;
  /** Mutations in the outbox. */
  pending: number;
  last_success: Timestamp | null;
  /** The last failed attempt, cleared by a successful one. */
  last_error: SyncError | null;
  /** Inbox entries not yet reviewed. */
  conflicts: number;
  server_url: string | null;
  /** The server refused this app's protocol version (426 update_required). */
  update_required: boolean;
}

/** Messages of `sync_now`'s `progress` channel (taller_client::sync::Progress). */
export interface SyncProgress {
  rows_sent: number;
  rows_total: number;
}

/** taller_client::sync::SyncReport. */
export interface SyncReport {
  pushed: number;
  applied: number;
  rejected: number;
  pages: number;
  rows: number;
  deltas: number;
}

/** Payload of `tables-changed`: replicated tables (names of `taller_protocol::tables::TABLES`)
 * and the replica's own `outbox` and `rejected_mutations`, written by a local action or by a pull. */
export interface TablesChanged {
  tables: string[];
  source: 'local' | 'pull';
}

// ------------------------------------------------------------------------------ catalogue

export interface Localizacion {
  id_localizacion: Uuid;
  nombre: string;
  activo: boolean;
}

export interface Tecnico {
  id_usuario: Uuid;
  nombre_completo: string;
  email: string;
}

/** `movimientos_tecnicos.concepto` (taller_domain::Concepto). */
export type Concepto = 'salida' | 'ingreso' | 'venta' | 'garantia' | 'prestamo' | 'cotizacion' | 'devolucion';
/** `movimientos_tecnicos.tipo` (taller_domain::TipoMovimiento). */
export type TipoMovimiento = 'ingreso' | 'salida' | 'venta';

/** One concept and the types it allows (taller_domain::Concepto::allowed_tipos). */
export interface ConceptoInfo {
  concepto: Concepto;
  /** The first is the default. */
  tipos: TipoMovimiento[];
  /** false for `cotizacion`: recorded, but no stock moves. */
  moves_stock: boolean;
}

// ------------------------------------------------------------------------------ inventory

/** `vista_repuestos_inventario.estado_stock` (taller_domain::stock::estado_stock). */
export type EstadoStock = 'Sin Stock' | 'Bajo' | 'Normal' | 'Alto';

export type InventorySortColumn =
  | 'referencia'
  | 'nombre'
  | 'marca'
  | 'tipo'
  | 'stock_actual'
  | 'cantidad_minima'
  | 'posicion'
  | 'estado_stock';

export interface InventorySort {
  column: InventorySortColumn;
  direction: 'asc' | 'desc';
}

/** A window of a location's inventory: the UI asks only for the rows on screen. */
export interface InventoryQuery {
  id_localizacion: Uuid;
  /** What the person typed; the library builds the FTS query (accent-insensitive, every
   * word a prefix, over referencia, nombre, marca and tipo). Empty: everything. */
  search: string;
  /** Only rows with `alerta_minimo` (stock_actual <= cantidad_minima). */
  low_only: boolean;
  sort: InventorySort;
  offset: number;
  limit: number;
}

export interface InventoryRow {
  id_inventario: Uuid;
  id_localizacion: Uuid;
  id_repuesto: Uuid;
  referencia: string;
  nombre: string;
  marca: string | null;
  tipo: string | null;
  stock_actual: number;
  cantidad_minima: number;
  posicion: string | null;
  estado_stock: EstadoStock;
  alerta_minimo: boolean;
  descontinuado: boolean;
}

export interface InventoryPage {
  /** The rows from `offset` on (at most `limit`). */
  rows: InventoryRow[];
  offset: number;
  /** Rows matching the query in all (for the scroll bar). */
  total: number;
}

// ------------------------------------------------------------------------------ parts

/** A part's stock at one location. */
export interface LocationStock {
  id_inventario: Uuid;
  id_localizacion: Uuid;
  localizacion: string;
  stock_actual: number;
  cantidad_minima: number;
  posicion: string | null;
  estado_stock: EstadoStock;
  alerta_minimo: boolean;
}

/** A part found by a scan, a typed reference or a search; `stock` at the asked location. */
export interface PartMatch {
  id_repuesto: Uuid;
  referencia: string;
  nombre: string;
  marca: string | null;
  tipo: string | null;
  descontinuado: boolean;
  /** Null when the part has no inventory row at that location (or none was asked). */
  stock: LocationStock | null;
}

export interface FindPartInput {
  /** A scanned or typed reference (case-insensitive, trimmed) or a part id. */
  code: string;
  id_localizacion: Uuid | null;
}

export interface SearchPartsInput {
  text: string;
  id_localizacion: Uuid | null;
  limit: number;
}

/** `logs_inventario.tipo_operacion`. */
export type TipoOperacion =
  | 'AJUSTE_MANUAL'
  | 'SOLICITUD_ENTRADA'
  | 'SOLICITUD_SALIDA'
  | 'MOVIMIENTO_TECNICO'
  | 'CONTEO_FISICO'
  | 'GARANTIA';

export interface LedgerEntry {
  id_log: Uuid;
  fecha: Timestamp;
  localizacion: string;
  tipo_operacion: TipoOperacion;
  cantidad_anterior: number;
  cantidad_nueva: number;
  diferencia: number;
  motivo: string | null;
  /** `usuarios.nombre_completo` of the author. */
  usuario: string | null;
  /** `detalles.absorbido`: dated before a later count, recorded without moving stock. */
  absorbido: boolean;
}

/** An open `edicion_campo` conflict on the part or one of its inventory rows: both values. */
export interface FieldConflict {
  id_conflicto: Uuid;
  tabla: string;
  clave: string;
  /** The location, when the row is an inventory row. */
  localizacion: string | null;
  campo: string;
  /** The value the author saw and replaced. */
  valor_reemplazado: unknown;
  /** The value the server had meanwhile (someone else's edit). */
  valor_servidor: unknown;
  /** The value now in place (server order decided). */
  valor_nuevo: unknown;
  /** `usuarios.nombre_completo` of the other author, when known. */
  otro_usuario: string | null;
  created_at: Timestamp;
}

/** `repuestos` row with its stock in scope, its ledger (newest first) and open field conflicts. */
export interface PartDetail {
  id_repuesto: Uuid;
  referencia: string;
  nombre: string;
  tipo: string | null;
  marca: string | null;
  descripcion: string | null;
  descontinuado: boolean;
  fecha_estimada: string | null;
  url_imagen: string | null;
  created_at: Timestamp;
  stock: LocationStock[];
  ledger: LedgerEntry[];
  conflictos: FieldConflict[];
}

// ------------------------------------------------------------------------------ actions

/** taller_protocol::mutations::FieldEdit: the value the person saw and replaced, and the new one. */
export interface FieldEdit {
  field: string;
  old: unknown;
  new: unknown;
}

/** `inventory.settings`; fields `cantidad_minima`, `posicion`, `nuevo_hasta`. */
export interface InventorySettingsInput {
  id_localizacion: Uuid;
  id_repuesto: Uuid;
  edits: FieldEdit[];
}

/** `movement.record` without its id (the shell makes one, uuid v7). */
export interface MovementInput {
  id_localizacion: Uuid;
  id_repuesto: Uuid;
  id_tecnico_asignado: Uuid;
  concepto: Concepto;
  tipo: TipoMovimiento;
  cantidad: number;
  numero_orden: number | null;
}

/** A local action's result: committed in the replica with its outbox entry (taller_client::Queued). */
export interface Queued {
  /** The mutation id. */
  id: Uuid;
  seq: number;
  /** The mutation name (`movement.record`, ...). */
  name: string;
  /** What the local rules decided; for a movement `{id_movimientos_tecnicos, stock_actual?, absorbido?}`. */
  result: Record<string, unknown>;
  /** The outbox's size after this action. */
  pending: number;
}

// ------------------------------------------------------------------------------ notifications

export interface Notificacion {
  id_notificacion: Uuid;
  id_localizacion: Uuid | null;
  titulo: string;
  mensaje: string;
  /** `alerta_stock` (low stock), `stock_negativo`, or another the server adds later. */
  tipo: string;
  prioridad: string;
  leida: boolean;
  created_at: Timestamp;
}

// ------------------------------------------------------------------------------ conflict inbox

/** `rechazo`: one of the user's mutations the server (or the local rules) refused;
 * the others are `conflictos.tipo`. */
export type InboxKind = 'rechazo' | 'absorbido' | 'stock_negativo' | 'edicion_campo' | 'fusion_referencia';

/** One entry of the conflict inbox. The three texts come from the library, in the user's language. */
export interface InboxEntry {
  /** The rejected mutation's id, or `conflictos.id_conflicto`. */
  id: Uuid;
  kind: InboxKind;
  /** The mutation concerned (`movement.record`, `part.edit`, ...). */
  action: string;
  at: Timestamp;
  /** What happened ("Your movement of 3 × MTR-500W at Taller Norte was refused"). */
  what: string;
  /** Why (for a rejection, the rejection's message). */
  why: string;
  /** What the person can do about it. */
  next_step: string;
  reviewed: boolean;
  /** For `rechazo`: the code and params of the rejection. */
  rejection: { code: string; params: Record<string, unknown> } | null;
  /** For the other kinds: the `conflictos` row's facts. */
  conflict: {
    tabla: string;
    clave: string;
    campo: string | null;
    valor_reemplazado: unknown;
    valor_servidor: unknown;
    valor_nuevo: unknown;
    otro_usuario: string | null;
  } | null;
}

export interface InboxEntryRef {
  id: Uuid;
  kind: InboxKind;
}

// ------------------------------------------------------------------------------ commands

/** Every command's input and output, by name. */
export interface Commands {
  app_info: { input: void; output: AppInfo };
  status: { input: void; output: SyncStatus };
  settings: { input: void; output: Settings };
  save_settings: { input: Settings; output: Settings };
  workstation_users: { input: void; output: WorkstationUser[] };
  current_user: { input: void; output: UserProfile | null };
  sign_in: { input: Credentials; output: UserProfile };
  unlock: { input: Credentials; output: UserProfile };
  sign_out: { input: void; output: null };
  recent_sync_errors: { input: void; output: SyncError[] };
  locations: { input: void; output: Localizacion[] };
  technicians: { input: { id_localizacion: Uuid }; output: Tecnico[] };
  movement_concepts: { input: void; output: ConceptoInfo[] };
  inventory_page: { input: InventoryQuery; output: InventoryPage };
  find_part: { input: FindPartInput; output: PartMatch | null };
  search_parts: { input: SearchPartsInput; output: PartMatch[] };
  part_detail: { input: { id_repuesto: Uuid }; output: PartDetail };
  record_movement: { input: MovementInput; output: Queued };
  edit_inventory_settings: { input: InventorySettingsInput; output: Queued };
  notifications: { input: void; output: Notificacion[] };
  mark_notification_read: { input: { id_notificacion: Uuid }; output: Queued };
  inbox: { input: void; output: InboxEntry[] };
  dismiss_inbox_entry: { input: InboxEntryRef; output: null };
}

export type CommandName = keyof Commands;

/** Calls a command: `input` travels as the command's single argument named `input`. */
export function invokeCommand<Name extends CommandName>(
  name: Name,
  ...input: Commands[Name]['input'] extends void ? [] : [Commands[Name]['input']]
): Promise<Commands[Name]['output']> {
  const args = input.length === 0 ? undefined : { input: input[0] };
  return invoke<Commands[Name]['output']>(name, args);
}

/** `sync_now`: one sync (push, then pull until caught up); progress of the pull on the channel.
 * If a sync is already running, the shell waits for it and forwards its progress. */
export function invokeSyncNow(onProgress: (progress: SyncProgress) => void): Promise<SyncReport> {
  const progress = new Channel<SyncProgress>();
  progress.onmessage = onProgress;
  return invoke<SyncReport>('sync_now', { progress });
}

// ------------------------------------------------------------------------------ events

export interface Events {
  'sync-status': SyncStatus;
  'tables-changed': TablesChanged;
}

export type EventName = keyof Events;

export function listenEvent<Name extends EventName>(
  name: Name,
  handler: (payload: Events[Name]) => void,
): Promise<UnlistenFn> {
  return listen<Events[Name]>(name, (event) => handler(event.payload));
}
