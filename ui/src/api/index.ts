// The thin wrapper over ./bindings.ts that the rest of the front end uses: camelCase
// functions, and every failure turned into one error type (TallerError) so that screens
// show `message` inline and branch on `code`. When bindings.ts is generated (tauri-specta),
// only this file adapts to it.

import {
  invokeCommand,
  invokeSyncNow,
  listenEvent,
  type CommandError,
  type CommandName,
  type Commands,
  type CartAddInput,
  type CartSetInput,
  type CountLineInput,
  type CountListInput,
  type CountStartInput,
  type Credentials,
  type DispatchInput,
  type ExportInput,
  type LabelsInput,
  type ReceiveInput,
  type RequestFromCartInput,
  type ReplenishmentInput,
  type ReplenishmentToCartInput,
  type LocationPolicyInput,
  type RequestListInput,
  type RequestStepInput,
  type FindPartInput,
  type ImportInput,
  type InboxEntryRef,
  type InventoryQuery,
  type InventorySettingsInput,
  type MovementInput,
  type SearchPartsInput,
  type Settings,
  type SyncProgress,
  type SyncReport,
  type SyncStatus,
  type TablesChanged,
  type Uuid,
  type WarrantyCreateInput,
  type WarrantyEditInput,
  type WarrantyListInput,
  type WarrantyResolveInput,
  type UserLocationInput,
  type UserRejectInput,
  type ModelCreateInput,
  type ModelEditInput,
  type OrderAdvanceInput,
  type OrderCreateInput,
  type OrderEditInput,
} from './bindings';

export type * from './bindings';

/** Error codes the front end branches on. */
export const ErrorCode = {
  offline: 'offline',
  updateRequired: 'update_required',
  invalidCredentials: 'invalid_credentials',
  notSignedIn: 'not_signed_in',
  /** Not from the shell: the call itself failed (no shell, unknown command, bad payload). */
  ipc: 'ipc_error',
} as const;

/** A failed command, as an Error (TanStack Query and `catch` expect one) carrying {code, message, params}. */
export class TallerError extends Error implements CommandError {
  readonly code: string;
  readonly params: CommandError['params'];

  constructor(error: CommandError) {
    super(error.message);
    this.name = 'TallerError';
    this.code = error.code;
    this.params = error.params;
  }
}

function isCommandError(value: unknown): value is CommandError {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.code === 'string' && typeof candidate.message === 'string';
}

/** Whatever a rejected invoke gave, as a TallerError. Tauri itself rejects with a plain
 * string (unknown command, an argument that does not deserialize). */
export function toTallerError(raw: unknown): TallerError {
  if (raw instanceof TallerError) return raw;
  if (isCommandError(raw)) {
    const params = typeof raw.params === 'object' && raw.params !== null ? raw.params : {};
    return new TallerError({ code: raw.code, message: raw.message, params });
  }
  const message = raw instanceof Error ? raw.message : String(raw);
  return new TallerError({ code: ErrorCode.ipc, message, params: {} });
}

async function call<Name extends CommandName>(
  name: Name,
  ...input: Commands[Name]['input'] extends void ? [] : [Commands[Name]['input']]
): Promise<Commands[Name]['output']> {
  try {
    return await invokeCommand(name, ...input);
  } catch (raw) {
    throw toTallerError(raw);
  }
}

export const api = {
  appInfo: () => call('app_info'),
  status: () => call('status'),
  settings: () => call('settings'),
  saveSettings: (settings: Settings) => call('save_settings', settings),
  workstationUsers: () => call('workstation_users'),
  currentUser: () => call('current_user'),
  signIn: (credentials: Credentials) => call('sign_in', credentials),
  unlock: (credentials: Credentials) => call('unlock', credentials),
  signOut: () => call('sign_out'),
  recentSyncErrors: () => call('recent_sync_errors'),
  locations: () => call('locations'),
  technicians: (idLocalizacion: Uuid) => call('technicians', { id_localizacion: idLocalizacion }),
  movementConcepts: () => call('movement_concepts'),
  inventoryPage: (query: InventoryQuery) => call('inventory_page', query),
  findPart: (input: FindPartInput) => call('find_part', input),
  searchParts: (input: SearchPartsInput) => call('search_parts', input),
  partDetail: (idRepuesto: Uuid) => call('part_detail', { id_repuesto: idRepuesto }),
  recordMovement: (movement: MovementInput) => call('record_movement', movement),
  editInventorySettings: (input: InventorySettingsInput) => call('edit_inventory_settings', input),
  notifications: () => call('notifications'),
  markNotificationRead: (idNotificacion: Uuid) => call('mark_notification_read', { id_notificacion: idNotificacion }),
  inbox: () => call('inbox'),
  dismissInboxEntry: (entry: InboxEntryRef) => call('dismiss_inbox_entry', entry),
  cart: () => call('cart'),
  cartAdd: (input: CartAddInput) => call('cart_add', input),
  cartSet: (input: CartSetInput) => call('cart_set', input),
  cartRemove: (idItemCarrito: Uuid) => call('cart_remove', { id_item_carrito: idItemCarrito }),
  requestFromCart: (input: RequestFromCartInput) => call('request_from_cart', input),
  replenishment: (input: ReplenishmentInput) => call('replenishment', input),
  replenishmentToCart: (input: ReplenishmentToCartInput) => call('replenishment_to_cart', input),
  requests: (input: RequestListInput) => call('requests', input),
  requestDetail: (idSolicitud: Uuid) => call('request_detail', { id_solicitud: idSolicitud }),
  pickRequest: (input: RequestStepInput) => call('pick_request', input),
  dispatchRequest: (input: DispatchInput) => call('dispatch_request', input),
  receiveRequest: (input: ReceiveInput) => call('receive_request', input),
  cancelRequest: (input: RequestStepInput) => call('cancel_request', input),
  startCount: (input: CountStartInput) => call('start_count', input),
  recordCountLine: (input: CountLineInput) => call('record_count_line', input),
  closeCount: (idConteo: Uuid) => call('close_count', { id_conteo: idConteo }),
  counts: (input: CountListInput) => call('counts', input),
  countDetail: (idConteo: Uuid) => call('count_detail', { id_conteo: idConteo }),
  createWarranty: (input: WarrantyCreateInput) => call('create_warranty', input),
  editWarranty: (input: WarrantyEditInput) => call('edit_warranty', input),
  submitWarranty: (idGarantia: Uuid) => call('submit_warranty', { id_garantia: idGarantia }),
  approveWarranty: (input: WarrantyResolveInput) => call('approve_warranty', input),
  rejectWarranty: (input: WarrantyResolveInput) => call('reject_warranty', input),
  warranties: (input: WarrantyListInput) => call('warranties', input),
  warrantyDetail: (idGarantia: Uuid) => call('warranty_detail', { id_garantia: idGarantia }),
  users: () => call('users'),
  approveUser: (user: string) => call('approve_user', { user }),
  rejectUser: (input: UserRejectInput) => call('reject_user', input),
  assignUser: (input: UserLocationInput) => call('assign_user', input),
  unassignUser: (input: UserLocationInput) => call('unassign_user', input),
  locationPolicies: () => call('location_policies'),
  setLocationPolicy: (input: LocationPolicyInput) => call('set_location_policy', input),
  roles: () => call('roles'),
  exportList: (input: ExportInput) => call('export_list', input),
  models: () => call('models'),
  createModel: (input: ModelCreateInput) => call('create_model', input),
  editModel: (input: ModelEditInput) => call('edit_model', input),
  orders: (input: { nivel: number | null }) => call('orders', input),
  orderDetail: (order: string) => call('order_detail', { order }),
  createOrder: (input: OrderCreateInput) => call('create_order', input),
  advanceOrder: (input: OrderAdvanceInput) => call('advance_order', input),
  editOrder: (input: OrderEditInput) => call('edit_order', input),
  importPreview: (input: ImportInput) => call('import_preview', input),
  importApply: (input: ImportInput) => call('import_apply', input),
  labels: (input: LabelsInput) => call('labels', input),
  async syncNow(onProgress: (progress: SyncProgress) => void): Promise<SyncReport> {
    try {
      return await invokeSyncNow(onProgress);
    } catch (raw) {
      throw toTallerError(raw);
    }
  },
};

export type Api = typeof api;

/** Subscriptions to the shell's events; each resolves to its unsubscribe function. */
export const events = {
  onSyncStatus: (handler: (status: SyncStatus) => void) => listenEvent('sync-status', handler),
  onTablesChanged: (handler: (change: TablesChanged) => void) => listenEvent('tables-changed', handler),
};
