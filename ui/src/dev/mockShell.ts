// DEV ONLY (`vite --mode mock`): an in-memory stand-in for the Tauri shell, so the UI can be
// looked at in a browser. main.tsx imports it only when import.meta.env.MODE === 'mock'; a
// production build drops it. Query parameters pick a situation to look at:
//   ?signed-out        the sign-in screen (with ?demo, the demo accounts)
//   ?offline           the server unreachable, 37 changes pending
//   ?error             the last sync failed
//   ?update            the server refuses this protocol version
//   ?syncing           a sync running
//   ?parts=N           N parts at the main location (default 100,000)
//   ?lang=en           English

import type { Channel } from '@tauri-apps/api/core';
import { emit } from '@tauri-apps/api/event';
import { mockIPC } from '@tauri-apps/api/mocks';
import type {
  CommandError,
  ConceptoInfo,
  ImportIssue,
  ImportPreview,
  ImportRow,
  EstadoStock,
  ExportDone,
  ExportInput,
  InboxEntry,
  InventoryQuery,
  InventoryRow,
  LabelsDone,
  LabelsInput,
  LedgerEntry,
  Localizacion,
  MovementInput,
  Notificacion,
  OrderSummary,
  PartMatch,
  ScooterModel,
  Settings,
  SyncProgress,
  SyncStatus,
  UserProfile,
  WorkstationUser,
} from '../api/bindings';

const params = new URLSearchParams(window.location.search);
const flag = (name: string) => params.has(name);

const LOCATIONS: Localizacion[] = [
  { id_localizacion: 'loc-central', nombre: 'Bodega Central', activo: true },
  { id_localizacion: 'loc-norte', nombre: 'Taller Norte', activo: true },
  { id_localizacion: 'loc-sur', nombre: 'Taller Sur', activo: true },
];

const USER: UserProfile = {
  id_usuario: 'user-bruno',
  nombre_completo: 'Bruno Bodeguero',
  email: 'bodega@taller.test',
  id_rol: 'rol-superuser',
  nombre_rol: 'superuser',
  permisos: {
    inventory: { view: true, create: true, edit: true, delete: true },
    requests: { view: true, create: true, approve: true },
    guarantees: { view: true, create: true, resolve: false },
    users: { view: true, manage: false },
  },
  is_admin: false,
  localizaciones: ['loc-central', 'loc-norte'],
};

const TECHNICIANS = [
  { id_usuario: 'user-bruno', nombre_completo: 'Bruno Bodeguero', email: 'bodega@taller.test' },
  { id_usuario: 'user-carla', nombre_completo: 'Carla Técnica', email: 'tecnico.norte@taller.test' },
  { id_usuario: 'user-diego', nombre_completo: 'Diego Técnico', email: 'tecnico.sur@taller.test' },
];

const CONCEPTS: ConceptoInfo[] = [
  { concepto: 'salida', tipos: ['salida'], moves_stock: true },
  { concepto: 'ingreso', tipos: ['ingreso'], moves_stock: true },
  { concepto: 'venta', tipos: ['venta'], moves_stock: true },
  { concepto: 'garantia', tipos: ['salida'], moves_stock: true },
  { concepto: 'prestamo', tipos: ['salida'], moves_stock: true },
  { concepto: 'cotizacion', tipos: ['salida', 'venta'], moves_stock: false },
  { concepto: 'devolucion', tipos: ['ingreso'], moves_stock: true },
];

const CATEGORIES: Array<[string, string, string[]]> = [
  ['MTR', 'Motor', ['250W-36V', '350W-36V', '500W-48V', '800W-52V', '1000W-60V']],
  ['BAT', 'Batería', ['36V-7.8AH', '36V-10AH', '48V-13AH', '48V-15AH', '52V-20AH']],
  ['CTL', 'Controlador', ['36V-15A', '48V-20A', '48V-25A', '60V-30A']],
  ['FRN', 'Freno de disco', ['120MM', '140MM', '160MM']],
  ['PST', 'Pastillas de freno', ['SEMIMET', 'ORGANICA', 'CERAMICA']],
  ['NEU', 'Neumático', ['8.5X2', '10X2.5', '10X3', '11X3']],
  ['CAM', 'Cámara de aire', ['8.5X2', '10X2.5', '10X3']],
  ['DSP', 'Display', ['LCD-5P', 'LED-6P', 'TFT-7P']],
  ['CRG', 'Cargador', ['42V-2A', '54.6V-2A', '58.8V-3A']],
  ['ACL', 'Acelerador de gatillo', ['3P', '4P']],
  ['LUZ', 'Luz delantera', ['LED-3W', 'LED-5W']],
  ['SUS', 'Suspensión', ['DEL', 'TRAS']],
  ['ROD', 'Rodamiento', ['6001RS', '6201RS', '608RS']],
];
const BRANDS = ['Bafang', 'Xiaomi', 'Segway', 'Ninebot', 'Kugoo', 'Dualtron', 'Vsett', 'Kaabo', 'Inokim', 'Zero'];

function estado(stock: number, minimum: number): EstadoStock {
  if (stock <= 0) return 'Sin Stock';
  if (stock <= minimum) return 'Bajo';
  if (stock <= 2 * minimum) return 'Normal';
  return 'Alto';
}

/** A small deterministic generator, so every reload shows the same data. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const fold = (text: string) => text.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();

interface Part {
  id_repuesto: string;
  referencia: string;
  nombre: string;
  marca: string;
  tipo: string;
  descontinuado: boolean;
  tokens: string[];
}

const partCount = Math.max(1, Number(params.get('parts') ?? 100_000) || 100_000);
const parts: Part[] = [];
{
  const next = random(7);
  for (let index = 0; parts.length < partCount; index += 1) {
    const [prefix, tipo, sizes] = CATEGORIES[index % CATEGORIES.length]!;
    const size = sizes[Math.floor(index / CATEGORIES.length) % sizes.length]!;
    const marca = BRANDS[Math.floor(next() * BRANDS.length)]!;
    const serial = String(Math.floor(index / CATEGORIES.length)).padStart(5, '0');
    // The first of each kind has the short reference a person would type (MTR-500W-48V).
    const referencia = index < CATEGORIES.length * sizes.length && !parts.some((part) => part.referencia === `${prefix}-${size}`) ? `${prefix}-${size}` : `${prefix}-${size}-${serial}`;
    const nombre = `${tipo} ${size.replace(/-/g, ' ')}`;
    parts.push({
      id_repuesto: `rep-${index}`,
      referencia,
      nombre,
      marca,
      tipo,
      descontinuado: next() < 0.01,
      tokens: fold(`${referencia} ${nombre} ${marca} ${tipo}`).split(/[^\p{L}\p{N}]+/u).filter(Boolean),
    });
  }
}
const partById = new Map(parts.map((part) => [part.id_repuesto, part]));

interface Item {
  stock_actual: number;
  cantidad_minima: number;
  posicion: string | null;
}
/** Stock of every part at every location, keyed `location|part`. */
const stock = new Map<string, Item>();
{
  const next = random(11);
  for (const location of LOCATIONS) {
    const share = location.id_localizacion === 'loc-central' ? 1 : 0.02;
    for (const part of parts) {
      if (location.id_localizacion !== 'loc-central' && next() > share) continue;
      const minimum = 2 + Math.floor(next() * 4);
      const roll = next();
      const stockActual = roll < 0.05 ? 0 : roll < 0.18 ? 1 + Math.floor(next() * minimum) : Math.floor(next() * 40);
      stock.set(`${location.id_localizacion}|${part.id_repuesto}`, {
        stock_actual: stockActual,
        cantidad_minima: minimum,
        posicion: `${String.fromCharCode(65 + Math.floor(next() * 8))}-${1 + Math.floor(next() * 30)}`,
      });
    }
  }
}

const ledger: Array<LedgerEntry & { id_localizacion: string; id_repuesto: string }> = [];
{
  const next = random(13);
  const operations = ['MOVIMIENTO_TECNICO', 'SOLICITUD_ENTRADA', 'CONTEO_FISICO', 'AJUSTE_MANUAL'] as const;
  for (let index = 0; index < 40; index += 1) {
    const part = parts[index % 4]!;
    const diferencia = Math.floor(next() * 9) - 5;
    const before = 10 + Math.floor(next() * 10);
    ledger.push({
      id_log: `log-${index}`,
      id_localizacion: 'loc-central',
      id_repuesto: part.id_repuesto,
      fecha: new Date(Date.UTC(2026, 10, 30, 8) - index * 3_600_000 * 5).toISOString(),
      localizacion: 'Bodega Central',
      tipo_operacion: operations[index % operations.length]!,
      cantidad_anterior: before,
      cantidad_nueva: before + diferencia,
      diferencia,
      motivo: index % 4 === 3 ? 'rotura en bodega' : null,
      usuario: TECHNICIANS[index % 3]!.nombre_completo,
      absorbido: index === 6,
    });
  }
}

let lang: Settings['lang'] = params.get('lang') === 'en' ? 'en' : 'es';
let settings: Settings = { server_url: 'https://taller.example:8080', lang, sync_interval_seconds: 30 };
let signedIn = !flag('signed-out');
let status: SyncStatus = {
  user: USER.email,
  online: !flag('offline'),
  syncing: flag('syncing'),
  pending: flag('offline') ? 37 : flag('error') ? 3 : 0,
  last_success: new Date(Date.now() - 4 * 60_000).toISOString(),
  last_error: flag('error')
    ? { at: new Date(Date.now() - 60_000).toISOString(), code: 'unavailable', message: 'El servidor no está disponible; se reintentará en 30 s.' }
    : null,
  conflicts: 5,
  server_url: settings.server_url,
  update_required: flag('update'),
  signed_in: !flag('signedout'),
};

const notifications: Notificacion[] = [
  {
    id_notificacion: 'n-1',
    id_localizacion: 'loc-central',
    titulo: 'Stock bajo',
    mensaje: 'El repuesto BAT-48V-13AH - Batería 48V 13AH está en nivel bajo en Bodega Central (stock: 2, mínimo: 4)',
    tipo: 'alerta_stock',
    prioridad: 'alta',
    leida: false,
    created_at: new Date(Date.now() - 20 * 60_000).toISOString(),
  },
  {
    id_notificacion: 'n-2',
    id_localizacion: 'loc-norte',
    titulo: 'Stock negativo',
    mensaje: 'CTL-48V-20A quedó en -1 unidades tras el movimiento.',
    tipo: 'stock_negativo',
    prioridad: 'alta',
    leida: false,
    created_at: new Date(Date.now() - 2 * 3_600_000).toISOString(),
  },
  {
    id_notificacion: 'n-3',
    id_localizacion: 'loc-central',
    titulo: 'Stock bajo',
    mensaje: 'El repuesto FRN-140MM - Freno de disco 140MM está en nivel bajo en Bodega Central (stock: 1, mínimo: 3)',
    tipo: 'alerta_stock',
    prioridad: 'alta',
    leida: true,
    created_at: new Date(Date.now() - 26 * 3_600_000).toISOString(),
  },
];

function inboxEntries(): InboxEntry[] {
  const es = lang === 'es';
  const at = (hours: number) => new Date(Date.now() - hours * 3_600_000).toISOString();
  return [
    {
      id: 'r-1',
      kind: 'rechazo',
      action: 'movement.record',
      at: at(1),
      what: es ? 'Su salida de 3 × CTL-48V-20A en Taller Norte fue rechazada.' : 'Your outgoing movement of 3 × CTL-48V-20A at Taller Norte was refused.',
      why: es ? 'Stock insuficiente: hay 1 y se piden 3.' : 'Not enough stock: 1 available, 3 requested.',
      next_step: es ? 'Cuente lo que hay en el estante y registre la salida con esa cantidad.' : 'Count what is on the shelf and record the movement with that quantity.',
      reviewed: false,
      rejection: { code: 'insufficient_stock', params: { available: 1, requested: 3 } },
      conflict: null,
    },
    {
      id: 'c-1',
      kind: 'edicion_campo',
      action: 'inventory.settings',
      at: at(3),
      what: es ? 'Usted y Carla Técnica cambiaron el mínimo de FRN-120MM a la vez.' : 'You and Carla Técnica changed the minimum of FRN-120MM at the same time.',
      why: es ? 'Usted lo cambió de 3 a 5 cuando Carla ya lo había puesto en 4; vale el último en llegar.' : 'You changed it from 3 to 5 after Carla had set it to 4; the last to arrive wins.',
      next_step: es ? 'Quedó en 5. Si debe ser otro valor, cámbielo en el repuesto.' : 'It is 5 now. If it should be another value, change it on the part.',
      reviewed: false,
      rejection: null,
      conflict: { tabla: 'inventario', clave: 'inv-1', campo: 'cantidad_minima', valor_reemplazado: 3, valor_servidor: 4, valor_nuevo: 5, otro_usuario: 'Carla Técnica' },
    },
    {
      id: 'c-2',
      kind: 'absorbido',
      action: 'movement.record',
      at: at(5),
      what: es ? 'Su salida de 2 × BAT-48V-13AH no movió el stock.' : 'Your outgoing movement of 2 × BAT-48V-13AH did not move the stock.',
      why: es ? 'Es anterior al conteo físico del 30 nov., que ya la incluye.' : 'It is older than the physical count of 30 Nov, which already includes it.',
      next_step: es ? 'Nada, si el conteo fue correcto.' : 'Nothing, if the count was right.',
      reviewed: false,
      rejection: null,
      conflict: { tabla: 'inventario', clave: 'inv-2', campo: 'stock_actual', valor_reemplazado: null, valor_servidor: 7, valor_nuevo: -2, otro_usuario: null },
    },
    {
      id: 'c-3',
      kind: 'stock_negativo',
      action: 'movement.record',
      at: at(8),
      what: es ? 'CTL-48V-20A quedó en −1 unidades en Taller Norte.' : 'CTL-48V-20A is at −1 units at Taller Norte.',
      why: es ? 'Salieron más unidades de las que había registradas.' : 'More units went out than were recorded.',
      next_step: es ? 'Revise el estante y haga un conteo de esa referencia.' : 'Check the shelf and count that reference.',
      reviewed: false,
      rejection: null,
      conflict: null,
    },
    {
      id: 'c-4',
      kind: 'fusion_referencia',
      action: 'part.create',
      at: at(30),
      what: es ? 'El repuesto NEU-10X3 que creó sin conexión ya existía.' : 'The part NEU-10X3 you created offline already existed.',
      why: es ? 'La referencia NEU-10X3 pertenece a otro repuesto; se unieron en uno.' : 'The reference NEU-10X3 belongs to another part; they were merged.',
      next_step: es ? 'Nada: sus movimientos ya usan el repuesto existente.' : 'Nothing: your movements already use the existing part.',
      reviewed: false,
      rejection: null,
      conflict: null,
    },
  ];
}
const reviewed = new Set<string>();

function refuse(error: CommandError): never {
  throw error;
}

function match(location: string, part: Part): PartMatch {
  const item = stock.get(`${location}|${part.id_repuesto}`);
  const name = LOCATIONS.find((candidate) => candidate.id_localizacion === location)?.nombre ?? '';
  return {
    id_repuesto: part.id_repuesto,
    referencia: part.referencia,
    nombre: part.nombre,
    marca: part.marca,
    tipo: part.tipo,
    descontinuado: part.descontinuado,
    stock: item
      ? {
          id_inventario: `${location}|${part.id_repuesto}`,
          id_localizacion: location,
          localizacion: name,
          ...item,
          estado_stock: estado(item.stock_actual, item.cantidad_minima),
          alerta_minimo: item.stock_actual <= item.cantidad_minima,
        }
      : null,
  };
}

const ESTADO_ORDER: Record<EstadoStock, number> = { 'Sin Stock': 0, Bajo: 1, Normal: 2, Alto: 3 };

let listCache: { key: string; rows: InventoryRow[] } | null = null;

function inventoryRows(query: InventoryQuery): InventoryRow[] {
  const key = JSON.stringify([query.id_localizacion, query.search, query.low_only, query.sort]);
  if (listCache?.key === key) return listCache.rows;
  const words = fold(query.search ?? '').split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  const rows: InventoryRow[] = [];
  for (const part of parts) {
    const item = stock.get(`${query.id_localizacion}|${part.id_repuesto}`);
    if (!item) continue;
    if (query.low_only && item.stock_actual > item.cantidad_minima) continue;
    if (words.length > 0 && !words.every((word) => part.tokens.some((token) => token.startsWith(word)))) continue;
    rows.push({
      id_inventario: `${query.id_localizacion}|${part.id_repuesto}`,
      id_localizacion: query.id_localizacion,
      id_repuesto: part.id_repuesto,
      referencia: part.referencia,
      nombre: part.nombre,
      marca: part.marca,
      tipo: part.tipo,
      stock_actual: item.stock_actual,
      cantidad_minima: item.cantidad_minima,
      posicion: item.posicion,
      estado_stock: estado(item.stock_actual, item.cantidad_minima),
      alerta_minimo: item.stock_actual <= item.cantidad_minima,
      descontinuado: part.descontinuado,
    });
  }
  const { column, direction } = query.sort ?? { column: 'referencia', direction: 'asc' };
  const sign = direction === 'asc' ? 1 : -1;
  rows.sort((a, b) => {
    const left = column === 'estado_stock' ? ESTADO_ORDER[a.estado_stock] : a[column];
    const right = column === 'estado_stock' ? ESTADO_ORDER[b.estado_stock] : b[column];
    if (left === right) return a.referencia < b.referencia ? -1 : 1;
    if (left === null) return 1;
    if (right === null) return -1;
    return (left < right ? -1 : 1) * sign;
  });
  listCache = { key, rows };
  return rows;
}

function publish(tables: string[], source: 'local' | 'pull') {
  listCache = null;
  void emit('tables-changed', { tables, source });
  void emit('sync-status', status);
}

function setStatus(change: Partial<SyncStatus>) {
  status = { ...status, ...change };
  void emit('sync-status', status);
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function syncNow(progress: Channel<SyncProgress>) {
  setStatus({ syncing: true });
  if (!status.online) {
    await delay(600);
    const error = { at: new Date().toISOString(), code: 'offline', message: lang === 'es' ? 'No se puede contactar al servidor.' : 'The server cannot be reached.' };
    setStatus({ syncing: false, last_error: error });
    refuse({ ...error, params: {} });
  }
  const total = 100_000;
  for (let sent = 0; sent <= total; sent += 12_500) {
    progress.onmessage({ rows_sent: sent, rows_total: total });
    await delay(250);
  }
  const pushed = status.pending;
  setStatus({ syncing: false, pending: 0, last_success: new Date().toISOString(), last_error: null });
  publish(['inventario', 'logs_inventario'], 'pull');
  return { pushed, applied: pushed, rejected: 0, pages: 8, rows: total, deltas: 1 };
}

function recordMovement(input: MovementInput) {
  const part = partById.get(input.id_repuesto) ?? refuse({ code: 'not_found', message: 'No existe repuesto.', params: {} });
  const concept = CONCEPTS.find((info) => info.concepto === input.concepto);
  if (!Number.isInteger(input.cantidad) || input.cantidad < 1 || input.cantidad > 100_000) {
    refuse({
      code: 'invalid_quantity',
      message: lang === 'es' ? `La cantidad ${input.cantidad} no es válida: debe estar entre 1 y 100000.` : `The quantity ${input.cantidad} is not valid.`,
      params: { cantidad: input.cantidad, max: 100_000 },
    });
  }
  const key = `${input.id_localizacion}|${input.id_repuesto}`;
  const item = stock.get(key) ?? { stock_actual: 0, cantidad_minima: 0, posicion: null };
  const delta = concept?.moves_stock ? (input.tipo === 'ingreso' ? 1 : -1) * input.cantidad : 0;
  const before = item.stock_actual;
  item.stock_actual += delta;
  stock.set(key, item);
  ledger.unshift({
    id_log: `log-${Date.now()}`,
    id_localizacion: input.id_localizacion,
    id_repuesto: part.id_repuesto,
    fecha: new Date().toISOString(),
    localizacion: LOCATIONS.find((location) => location.id_localizacion === input.id_localizacion)?.nombre ?? '',
    tipo_operacion: 'MOVIMIENTO_TECNICO',
    cantidad_anterior: before,
    cantidad_nueva: item.stock_actual,
    diferencia: delta,
    motivo: null,
    usuario: USER.nombre_completo,
    absorbido: false,
  });
  status = { ...status, pending: status.pending + 1 };
  publish(['movimientos_tecnicos', 'inventario', 'logs_inventario', 'outbox'], 'local');
  return { id: `mut-${Date.now()}`, seq: status.pending, name: 'movement.record', result: { stock_actual: item.stock_actual, absorbido: false }, pending: status.pending };
}

/** A replenishment proposal for the preview: two parts below their minimum, one capped by the origin. */
function mockReplenishment(destination: string) {
  const destino = LOCATIONS.find((location) => location.id_localizacion === destination) ?? LOCATIONS[0]!;
  const origen = LOCATIONS.find((location) => location.id_localizacion !== destino.id_localizacion) ?? destino;
  return {
    id_localizacion_destino: destino.id_localizacion,
    destino: destino.nombre,
    id_localizacion_origen: origen.id_localizacion,
    origen: origen.nombre,
    origenes: [{ id_localizacion: origen.id_localizacion, nombre: origen.nombre, stock_total: 5210 }],
    lineas: [
      { id_repuesto: 'rep-mtr', referencia: 'MTR-500W-BAF', nombre: 'Motor 500W-48V Bafang', posicion: 'E3-N1', stock_actual: 1, cantidad_minima: 6, en_transito: 1, en_carrito: 0, disponible_origen: 2, falta: 4, propuesta: 2 },
      { id_repuesto: 'rep-bat', referencia: 'BAT-48V-13AH-XIA', nombre: 'Batería 48V-13AH Xiaomi', posicion: 'E7-N2', stock_actual: 0, cantidad_minima: 4, en_transito: 0, en_carrito: 0, disponible_origen: 31, falta: 4, propuesta: 4 },
    ],
    sin_existencias: 0,
  };
}

// Scooter models and orders (`models`, `orders`, ...): a few of each, one late.
const MODELS: ScooterModel[] = [
  { id_tipo: 'tipo-urbano', nombre: 'Urbano 350', potencia: '350W', descripcion: 'Patinete urbano de 10 pulgadas', pedidos_abiertos: 0 },
  { id_tipo: 'tipo-trail', nombre: 'Trail 800', potencia: '800W', descripcion: 'Doble suspensión', pedidos_abiertos: 0 },
];
const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const ORDERS: OrderSummary[] = [
  ['OC-2026-0101', 'tipo-urbano', 1, 'Pedido', day(-3)],
  ['OC-2026-0102', 'tipo-trail', 1, 'Pedido', day(12)],
  ['OC-2026-0093', 'tipo-urbano', 2, 'Salió de Valencia', day(2)],
  ['OC-2026-0080', 'tipo-trail', 3, 'Entregado', day(-20)],
].map(([numero, tipo, nivel, estado, eta], index) => ({
  id_orden: `orden-${index + 1}`,
  numero_orden: numero as string,
  id_tipo_scooter: tipo as string,
  modelo: '',
  potencia: '',
  nivel: nivel as number,
  estado: estado as string,
  telefono_contacto: '600 123 456',
  email_contacto: 'compras@taller-norte.es',
  link_orden: null,
  fecha_orden: new Date(Date.now() - 30 * 86_400_000).toISOString(),
  fecha_entrega_estimada: eta as string,
  atrasada: false,
}));
const LEVEL_NAMES = ['', 'Pedido', 'En tránsito', 'Entregado'];

function orderRows(nivel: number | null): OrderSummary[] {
  const today = day(0);
  return ORDERS.filter((order) => nivel === null || order.nivel === nivel)
    .map((order) => {
      const model = MODELS.find((candidate) => candidate.id_tipo === order.id_tipo_scooter);
      return {
        ...order,
        modelo: model?.nombre ?? '',
        potencia: model?.potencia ?? '',
        atrasada: order.nivel < 3 && order.fecha_entrega_estimada !== null && order.fecha_entrega_estimada < today,
      };
    })
    .sort((a, b) => a.nivel - b.nivel || (a.fecha_entrega_estimada ?? '9').localeCompare(b.fecha_entrega_estimada ?? '9'));
}

function queuedLocal(name: string, tables: string[], result: Record<string, unknown>) {
  status = { ...status, pending: status.pending + 1 };
  publish([...tables, 'outbox'], 'local');
  return { id: `mut-${Date.now()}`, seq: status.pending, name, result, pending: status.pending };
}

function orderByRef(ref: string): OrderSummary {
  return (
    ORDERS.find((order) => order.id_orden === ref || order.numero_orden.toLowerCase() === ref.toLowerCase()) ??
    refuse({ code: 'invalid_input', message: lang === 'es' ? `No existe la orden ${ref}.` : `No order ${ref}.`, params: {} })
  );
}

/** A rough stand-in for the library's import preview (the browser preview only): the
 * header's Referencia and Nombre columns, missing values, references repeated or known. */
function importPreview(text: string): ImportPreview {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((line) => line.trim() !== '');
  const separator = (lines[0] ?? '').split(';').length > (lines[0] ?? '').split(',').length ? ';' : ',';
  const header = (lines[0] ?? '').split(separator).map((name) => fold(name.trim()));
  const at = (names: string[]) => header.findIndex((name) => names.includes(name));
  const [ref, name, marca] = [at(['referencia', 'reference', 'ref']), at(['nombre', 'name']), at(['marca', 'brand'])];
  const seen = new Map<string, number>();
  const issue = (row: number, code: ImportIssue['code'], es: string, en: string): ImportIssue => ({
    code, severity: 'error', row, field: null, message: lang === 'es' ? es : en,
  });
  const rows: ImportRow[] = lines.slice(1).map((line, index) => {
    const cells = line.split(separator).map((cell) => cell.trim());
    const row = index + 2;
    const referencia = (cells[ref] ?? '').toUpperCase();
    const errors: ImportIssue[] = [];
    if (referencia === '') errors.push(issue(row, 'missing_reference', 'Falta la referencia.', 'The reference is missing.'));
    else if (seen.has(referencia)) errors.push(issue(row, 'duplicate_reference', `La referencia ${referencia} ya está en la fila ${seen.get(referencia)} del archivo.`, `The reference ${referencia} is already in row ${seen.get(referencia)} of the file.`));
    else if (parts.some((part) => part.referencia === referencia)) errors.push(issue(row, 'reference_exists', `Ya existe un repuesto con la referencia ${referencia}.`, `A part with the reference ${referencia} already exists.`));
    if (referencia !== '' && !seen.has(referencia)) seen.set(referencia, row);
    if ((cells[name] ?? '') === '') errors.push(issue(row, 'missing_name', 'Falta el nombre.', 'The name is missing.'));
    return { row, referencia, nombre: cells[name] ?? '', tipo: null, marca: cells[marca] || null, descripcion: null, fecha_estimada: null, url_imagen: null, errors };
  });
  const issues: ImportIssue[] = rows.length === 0 ? [{ ...issue(0, 'empty_file', 'El archivo está vacío.', 'The file is empty.'), row: null }] : [];
  const errors = issues.length + rows.reduce((sum, row) => sum + row.errors.length, 0);
  return {
    separator,
    columns: header.map((h) => ({ header: h, field: null })),
    rows,
    issues,
    errors,
    warnings: 0,
    rows_with_errors: rows.filter((row) => row.errors.length > 0).length,
    ready: errors === 0 && rows.length > 0,
  };
}

/** A file name as the library makes one: words as lowercase slugs, then the local minute. */
function fileName(words: Array<string | null | undefined>, extension: string): string {
  const slug = (text: string) =>
    text
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  const minute = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}`;
  return `${[...words.filter((word): word is string => !!word).map(slug), minute].filter(Boolean).join('-')}.${extension}`;
}

const locationName = (id: string) => LOCATIONS.find((location) => location.id_localizacion === id || location.nombre === id)?.nombre ?? id;

/** `export_list`: the inventory's rows as its screen filters them (the other lists are empty
 * in the mock), "written" to ~/Descargas. */
function exportList({ list, format }: ExportInput): ExportDone {
  const es = lang === 'es';
  let rows = 0;
  let words: Array<string | null | undefined> = [];
  switch (list.list) {
    case 'inventory':
      rows = inventoryRows({ id_localizacion: list.location, search: list.search, low_only: list.low_only, sort: list.sort, offset: 0, limit: 0 }).length;
      words = [es ? 'inventario' : 'inventory', locationName(list.location)];
      break;
    case 'requests':
      words = [es ? 'traslados' : 'transfers', list.estado];
      break;
    case 'counts':
      words = [es ? 'conteos' : 'counts', list.location ? locationName(list.location) : null, list.state];
      break;
    case 'warranties':
      words = [es ? 'garantias' : 'warranties', list.estado];
      break;
  }
  const file_name = fileName(words, format);
  return { path: `/home/bruno/Descargas/${file_name}`, shown_path: `~/Descargas/${file_name}`, file_name, format, rows };
}

/** `labels`: one part's label, or the shelf's (by position then reference, optionally a
 * position prefix), "written" to ~/Descargas; nothing to print is refused as the library does. */
function labels(input: LabelsInput): LabelsDone {
  const es = lang === 'es';
  const location = LOCATIONS.find((candidate) => candidate.id_localizacion === input.location || candidate.nombre === input.location);
  if (!location) refuse({ code: 'invalid_input', message: es ? `No hay ninguna sede «${input.location}».` : `There is no location "${input.location}".`, params: {} });
  let count: number;
  let words: string[];
  if (input.part) {
    const part = partById.get(input.part) ?? refuse({ code: 'invalid_input', message: es ? 'No existe el repuesto.' : 'No such part.', params: {} });
    count = 1;
    words = [es ? 'etiqueta' : 'label', part.referencia];
  } else {
    const prefix = (input.position_prefix ?? '').trim().toUpperCase();
    count = inventoryRows({ id_localizacion: location.id_localizacion, search: '', low_only: false, sort: { column: 'posicion', direction: 'asc' }, offset: 0, limit: 0 }).filter(
      (row) => prefix === '' || (row.posicion ?? '').toUpperCase().startsWith(prefix),
    ).length;
    words = [es ? 'etiquetas' : 'labels', location.nombre, prefix];
  }
  if (count === 0) {
    refuse({
      code: 'nothing_to_print',
      message: es
        ? 'No hay nada que imprimir: ningún repuesto coincide (la estantería está vacía o ninguna posición empieza así).'
        : 'There is nothing to print: no part matches (the shelf is empty or no position starts like that).',
      params: {},
    });
  }
  const file_name = fileName(words, 'pdf');
  const format = input.format ?? 'sheet';
  const pages = format === 'roll' ? count : Math.ceil(count / 24);
  return { path: `/home/bruno/Descargas/${file_name}`, shown_path: `~/Descargas/${file_name}`, file_name, format, labels: count, pages };
}

/** Written into the page when the mock runs; `npm run build` fails if a production bundle
 * contains it (scripts/check-dist.mjs). */
export const MOCK_SHELL_MARKER = 'taller-ui-dev-mock-shell';

export function installMockShell(): void {
  document.documentElement.dataset.shell = MOCK_SHELL_MARKER;
  mockIPC(
    async (command, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      const input = args.input as never;
      // A local command answers in a few milliseconds; a little delay shows loading states.
      await delay(30);
      switch (command) {
        case 'app_info':
          return {
            version: '0.1.0',
            protocol_version: 1,
            max_quantity: 100_000,
            demo: flag('demo')
              ? {
                  accounts: [
                    { email: 'admin@taller.test', password: 'taller-demo-2026', nombre_completo: 'Ana Administradora', nombre_rol: 'admin' },
                    { email: 'bodega@taller.test', password: 'taller-demo-2026', nombre_completo: 'Bruno Bodeguero', nombre_rol: 'superuser' },
                    { email: 'tecnico.norte@taller.test', password: 'taller-demo-2026', nombre_completo: 'Carla Técnica', nombre_rol: 'tecnico' },
                  ],
                }
              : null,
          };
        case 'status':
          return status;
        case 'settings':
          return settings;
        case 'save_settings':
          settings = input;
          lang = settings.lang;
          status = { ...status, server_url: settings.server_url };
          return settings;
        case 'workstation_users':
          return [
            { id_usuario: USER.id_usuario, email: USER.email, nombre_completo: USER.nombre_completo, pending: status.pending, current: signedIn, can_unlock: true },
            { id_usuario: 'user-carla', email: 'tecnico.norte@taller.test', nombre_completo: 'Carla Técnica', pending: 4, current: false, can_unlock: true },
          ] satisfies WorkstationUser[];
        case 'current_user':
          return signedIn ? USER : null;
        case 'sign_in':
        case 'unlock': {
          const credentials = args.input as { email: string; password: string };
          if (credentials.password.length < 4) {
            refuse({ code: 'invalid_credentials', message: lang === 'es' ? 'Correo o contraseña incorrectos.' : 'Wrong email or password.', params: {} });
          }
          signedIn = true;
          return USER;
        }
        case 'sign_out':
          signedIn = false;
          return null;
        case 'recent_sync_errors':
          return status.last_error ? [status.last_error] : [];
        case 'locations':
          return LOCATIONS;
        case 'technicians':
          return TECHNICIANS;
        case 'movement_concepts':
          return CONCEPTS;
        case 'inventory_page': {
          const query = input as InventoryQuery;
          const rows = inventoryRows(query);
          const offset = query.offset ?? 0;
          return { rows: rows.slice(offset, offset + query.limit), offset, total: rows.length };
        }
        case 'find_part': {
          const { code, id_localizacion } = input as { code: string; id_localizacion: string | null };
          const wanted = code.trim().toUpperCase();
          const part = parts.find((candidate) => candidate.referencia.toUpperCase() === wanted || candidate.id_repuesto === code);
          return part ? match(id_localizacion ?? 'loc-central', part) : null;
        }
        case 'search_parts': {
          const { text, id_localizacion, limit } = input as { text: string; id_localizacion: string | null; limit: number };
          const rows = inventoryRows({ id_localizacion: id_localizacion ?? 'loc-central', search: text, low_only: false, sort: { column: 'referencia', direction: 'asc' }, offset: 0, limit });
          return rows.slice(0, limit).map((row) => match(row.id_localizacion, partById.get(row.id_repuesto)!));
        }
        case 'part_detail': {
          const part = partById.get((input as { id_repuesto: string }).id_repuesto) ?? refuse({ code: 'invalid_input', message: 'No existe el repuesto.', params: {} });
          const locations = LOCATIONS.filter((location) => stock.has(`${location.id_localizacion}|${part.id_repuesto}`));
          return {
            id_repuesto: part.id_repuesto,
            referencia: part.referencia,
            nombre: part.nombre,
            tipo: part.tipo,
            marca: part.marca,
            descripcion: `${part.tipo} para patinete eléctrico, compatible con ${part.marca}.`,
            descontinuado: part.descontinuado,
            fecha_estimada: null,
            url_imagen: null,
            created_at: '2026-01-10T12:00:00Z',
            stock: locations.map((location) => match(location.id_localizacion, part).stock!),
            ledger: ledger.filter((entry) => entry.id_repuesto === part.id_repuesto),
            conflictos:
              part.id_repuesto === 'rep-3'
                ? [
                    {
                      id_conflicto: 'c-1',
                      tabla: 'inventario',
                      clave: 'loc-central|rep-3',
                      localizacion: 'Bodega Central',
                      campo: 'cantidad_minima',
                      valor_reemplazado: 3,
                      valor_servidor: 4,
                      valor_nuevo: 5,
                      otro_usuario: 'Carla Técnica',
                      created_at: new Date(Date.now() - 3 * 3_600_000).toISOString(),
                    },
                  ]
                : [],
          };
        }
        case 'record_movement':
          return recordMovement(input as MovementInput);
        case 'edit_inventory_settings': {
          const { id_localizacion, id_repuesto, edits } = input as { id_localizacion: string; id_repuesto: string; edits: Array<{ field: string; new: unknown }> };
          const item = stock.get(`${id_localizacion}|${id_repuesto}`);
          if (item) {
            for (const edit of edits) {
              if (edit.field === 'cantidad_minima') item.cantidad_minima = Number(edit.new);
              if (edit.field === 'posicion') item.posicion = (edit.new as string | null) ?? null;
            }
          }
          status = { ...status, pending: status.pending + 1 };
          publish(['inventario', 'outbox'], 'local');
          return { id: `mut-${Date.now()}`, seq: status.pending, name: 'inventory.settings', result: {}, pending: status.pending };
        }
        case 'notifications':
          return notifications;
        case 'mark_notification_read': {
          const id = (input as { id_notificacion: string }).id_notificacion;
          const found = notifications.find((notification) => notification.id_notificacion === id);
          if (found) found.leida = true;
          status = { ...status, pending: status.pending + 1 };
          publish(['notificaciones', 'outbox'], 'local');
          return { id: `mut-${Date.now()}`, seq: status.pending, name: 'notification.read', result: {}, pending: status.pending };
        }
        case 'inbox':
          return inboxEntries().map((entry) => ({ ...entry, reviewed: reviewed.has(entry.id) }));
        case 'dismiss_inbox_entry':
          reviewed.add((input as { id: string }).id);
          setStatus({ conflicts: Math.max(0, status.conflicts - 1) });
          publish(['conflictos', 'rejected_mutations'], 'local');
          return null;
        case 'cart':
          return [];
        case 'requests':
          return [];
        case 'replenishment':
          return mockReplenishment((input as { destination: string }).destination);
        case 'replenishment_to_cart': {
          const lines = (input as { lines: Array<{ cantidad: number }> }).lines;
          status = { ...status, pending: status.pending + lines.length };
          publish(['carrito_solicitudes', 'outbox'], 'local');
          return { added: lines.length, increased: 0, units: lines.reduce((sum, line) => sum + line.cantidad, 0), pending: status.pending };
        }
        case 'location_policies':
          return LOCATIONS.map((location, index) => ({ ...location, stock_negativo: index === 0 ? 'reject' : 'allow' }));
        case 'set_location_policy':
          status = { ...status, pending: status.pending + 1 };
          publish(['localizacion_politicas', 'outbox'], 'local');
          return { id: `mut-${Date.now()}`, seq: status.pending, name: 'location.policy', result: null, pending: status.pending };
        case 'roles':
          return [{ id_rol: 'rol-tecnico', nombre_rol: USER.nombre_rol, is_admin: false, permisos: USER.permisos }];
        case 'models':
          return MODELS.map((model) => ({ ...model, pedidos_abiertos: ORDERS.filter((order) => order.id_tipo_scooter === model.id_tipo && order.nivel < 3).length })).sort((a, b) => a.nombre.localeCompare(b.nombre));
        case 'create_model': {
          const { nombre, potencia, descripcion } = input as { nombre: string; potencia: string; descripcion: string | null };
          const id_tipo = `tipo-${Date.now()}`;
          MODELS.push({ id_tipo, nombre, potencia, descripcion, pedidos_abiertos: 0 });
          return queuedLocal('model.create', ['scooter_types'], { id_tipo });
        }
        case 'edit_model': {
          const edit = input as { model: string; nombre: string | null; potencia: string | null; descripcion: string | null };
          const model = MODELS.find((candidate) => candidate.id_tipo === edit.model || candidate.nombre.toLowerCase() === edit.model.toLowerCase());
          if (!model) refuse({ code: 'invalid_input', message: `No existe el modelo ${edit.model}.`, params: {} });
          if (edit.nombre !== null) model.nombre = edit.nombre;
          if (edit.potencia !== null) model.potencia = edit.potencia;
          if (edit.descripcion !== null) model.descripcion = edit.descripcion || null;
          return queuedLocal('model.edit', ['scooter_types'], { id_tipo: model.id_tipo });
        }
        case 'orders':
          return orderRows((input as { nivel: number | null }).nivel);
        case 'order_detail':
          return orderRows(null).find((order) => order.id_orden === orderByRef((input as { order: string }).order).id_orden);
        case 'create_order': {
          const order = input as { numero_orden: string; model: string; telefono_contacto: string | null; email_contacto: string | null; link_orden: string | null; fecha_entrega_estimada: string | null };
          const id_orden = `orden-${Date.now()}`;
          ORDERS.push({ id_orden, numero_orden: order.numero_orden, id_tipo_scooter: order.model, modelo: '', potencia: '', nivel: 1, estado: 'Pedido', telefono_contacto: order.telefono_contacto, email_contacto: order.email_contacto, link_orden: order.link_orden, fecha_orden: new Date().toISOString(), fecha_entrega_estimada: order.fecha_entrega_estimada, atrasada: false });
          return queuedLocal('order.create', ['order_follow'], { id_orden });
        }
        case 'advance_order': {
          const { order: ref, nivel, estado } = input as { order: string; nivel: number; estado: string | null };
          const order = orderByRef(ref);
          if (nivel <= order.nivel) return queuedLocal('order.advance', ['order_follow'], { id_orden: order.id_orden, nivel: order.nivel, applied: false });
          order.nivel = nivel;
          order.estado = estado ?? LEVEL_NAMES[nivel] ?? '';
          return queuedLocal('order.advance', ['order_follow'], { id_orden: order.id_orden, nivel, applied: true });
        }
        case 'edit_order': {
          const edit = input as { order: string; telefono_contacto: string | null; email_contacto: string | null; link_orden: string | null; fecha_entrega_estimada: string | null };
          const order = orderByRef(edit.order);
          if (edit.telefono_contacto !== null) order.telefono_contacto = edit.telefono_contacto || null;
          if (edit.email_contacto !== null) order.email_contacto = edit.email_contacto || null;
          if (edit.link_orden !== null) order.link_orden = edit.link_orden || null;
          if (edit.fecha_entrega_estimada !== null) order.fecha_entrega_estimada = edit.fecha_entrega_estimada || null;
          return queuedLocal('order.edit', ['order_follow'], { id_orden: order.id_orden });
        }
        case 'import_preview':
          return importPreview((input as { text: string }).text);
        case 'import_apply': {
          const preview = importPreview((input as { text: string }).text);
          if (!preview.ready) refuse({ code: 'import_has_errors', message: lang === 'es' ? `El archivo tiene ${preview.errors} error(es).` : `The file has ${preview.errors} error(s).`, params: { errors: preview.errors } });
          const created = preview.rows.length;
          status = { ...status, pending: status.pending + created };
          publish(['repuestos', 'outbox'], 'local');
          return { created, ids: preview.rows.map((_, index) => `rep-new-${Date.now()}-${index}`), pending: status.pending, message: lang === 'es' ? `Se importaron ${created} repuestos; se enviarán al servidor al sincronizar.` : `${created} parts imported; they are sent to the server with the next sync.` };
        }
        case 'export_list':
          return exportList(input as ExportInput);
        case 'labels':
          return labels(input as LabelsInput);
        case 'edit_warranty':
          status = { ...status, pending: status.pending + 1 };
          publish(['garantias', 'outbox'], 'local');
          return { id: `mut-${Date.now()}`, seq: status.pending, name: 'warranty.edit', result: {}, pending: status.pending };
        case 'sync_now':
          return syncNow(args.progress as Channel<SyncProgress>);
        default:
          throw `command ${command} not found`;
      }
    },
    { shouldMockEvents: true },
  );
}
