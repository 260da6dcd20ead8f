// =====================================================================================
// THE COMMAND LAYER: a thin adapter over ./generated.ts, which the desktop shell generates
// from its Rust types (tauri-specta; `src-tauri/src/bindings.rs`). Every command, event and
// wire type comes from there; this file only gives them the names the rest of the front end
// uses and one generic way to call a command. The rest of the front end imports from
// `./index.ts` (the thin wrapper), never from `@tauri-apps/api` or ./generated.ts directly.
//
// Rules the shell follows (see ui/COMMANDS.md):
// - Command names are snake_case. A command takes no argument, or one argument named
//   `input`, and `sync_now` takes a Channel named `progress`.
// - A failing command rejects with a CommandError `{code, message, params}`; `message`
//   is already in the user's language (the library renders it).
// - Data fields keep the reference schema's Spanish column names; what the project invents
//   is in English. Times are RFC 3339 strings in UTC, ids are uuid strings.
// =====================================================================================

import { Channel } from '@tauri-apps/api/core';
import type { UnlistenFn } from '@tauri-apps/api/event';
import { commands, events } from './generated';
import type { AppStatus, Progress, SyncReport, TablesChanged } from './generated';

export type {
  AccountState,
  LocationPolicyInput,
  LocationPolicyRow,
  NegativeStock,
  ReplenishmentAdded,
  ReplenishmentInput,
  ReplenishmentLine,
  ReplenishmentLineInput,
  ReplenishmentOrigin,
  ReplenishmentProposal,
  ReplenishmentToCartInput,
  RoleView,
  AppInfo,
  CartAddInput,
  CartLine,
  CartSetInput,
  DispatchInput,
  EstadoSolicitud,
  LineQuantityInput,
  ReceiveInput,
  RequestDetail,
  RequestFromCartInput,
  RequestLineView,
  RequestListInput,
  RequestStepInput,
  RequestSummary,
  RequestTimelineEntry,
  CommandError,
  Concepto,
  CountDetail,
  CountLineInput,
  CountLineView,
  CountListInput,
  CountStartInput,
  CountState,
  CountSummary,
  EstadoGarantia,
  WarrantyCreateInput,
  WarrantyDetail,
  WarrantyEditInput,
  WarrantyListInput,
  WarrantyResolveInput,
  WarrantySummary,
  ConceptoInfo,
  Credentials,
  DemoAccount,
  DemoInfo,
  EstadoStock,
  ExportDone,
  ExportFormat,
  LabelFormat,
  LabelsDone,
  LabelsInput,
  ExportInput,
  ExportList,
  InventoryExport,
  FieldConflict,
  FieldEdit,
  FindPartInput,
  ImportCode,
  ImportColumn,
  ImportDone,
  ImportField,
  ImportInput,
  ImportIssue,
  ImportPreview,
  ImportRow,
  ImportSeverity,
  InboxConflict,
  InboxEntry,
  InboxEntryRef,
  InboxKind,
  InboxRejection,
  InventoryPage,
  InventoryQuery,
  InventoryRow,
  InventorySettingsInput,
  InventorySort,
  InventorySortColumn,
  Lang,
  LedgerEntry,
  Localizacion,
  AssignedLocation,
  LocationStock,
  MovementInput,
  Notificacion,
  PartDetail,
  PartMatch,
  Permisos,
  Queued,
  SearchPartsInput,
  Settings,
  SortDirection,
  SyncError,
  SyncReport,
  TablesChanged,
  Tecnico,
  UserAccount,
  UserLocationInput,
  UserRejectInput,
  TipoMovimiento,
  TipoOperacion,
  UserProfile,
  Value,
  WorkstationUser,
  ScooterModel,
  ModelCreateInput,
  ModelEditInput,
  OrderListInput,
  OrderSummary,
  OrderCreateInput,
  OrderAdvanceInput,
  OrderEditInput,
} from './generated';

export type Uuid = string;
/** RFC 3339, UTC (`2026-12-01T10:00:00Z`). */
export type Timestamp = string;

/** Payload of the `sync-status` event and result of `status` (the library's `AppStatus`). */
export type SyncStatus = AppStatus;
/** Messages of `sync_now`'s `progress` channel (the library's `sync::Progress`). */
export type SyncProgress = Progress;

// ------------------------------------------------------------------------------ commands

type Generated = typeof commands;

/** Every command but `sync_now` (which takes a channel), by name. */
export type CommandName = Exclude<keyof Generated, 'sync_now'>;

/** Every command's input and output, by name, as the shell's Rust types say. */
export type Commands = {
  [Name in CommandName]: {
    input: Parameters<Generated[Name]> extends [] ? void : Parameters<Generated[Name]>[0];
    output: Awaited<ReturnType<Generated[Name]>>;
  };
};

/** The app's first commands are timed into the page's performance timeline (`ipc:<name>`
 * measures), so that a start-up can be read step by step (the benchmarks do); later ones are
 * not, so the timeline does not grow all day. */
const TIMED_COMMANDS = 64;
let timedCommands = 0;

function timed<T>(name: string, call: Promise<T>): Promise<T> {
  if (timedCommands >= TIMED_COMMANDS || typeof performance === 'undefined' || !performance.measure) return call;
  timedCommands += 1;
  const start = performance.now();
  const measure = () => {
    try {
      performance.measure(`ipc:${name}`, { start });
    } catch {
      // An engine without measure options: nothing to time with.
    }
  };
  void call.then(measure, measure);
  return call;
}

/** Calls a command: `input` travels as the command's single argument named `input`. */
export function invokeCommand<Name extends CommandName>(
  name: Name,
  ...input: Commands[Name]['input'] extends void ? [] : [Commands[Name]['input']]
): Promise<Commands[Name]['output']> {
  const command = commands[name] as (...args: unknown[]) => Promise<Commands[Name]['output']>;
  return timed(name, command(...input));
}

/** `sync_now`: one sync (push, then pull until caught up); progress of the pull on the channel.
 * If a sync is already running, the shell waits for it first. */
export function invokeSyncNow(onProgress: (progress: SyncProgress) => void): Promise<SyncReport> {
  const progress = new Channel<SyncProgress>();
  progress.onmessage = onProgress;
  return commands.sync_now(progress);
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
  if (name === 'sync-status') {
    return events.sync_status.listen((event) => (handler as (payload: SyncStatus) => void)(event.payload));
  }
  return events.tables_changed.listen((event) => (handler as (payload: TablesChanged) => void)(event.payload));
}
