//! The app's types, shaped as the desktop front end reads them (`ui/src/api/bindings.ts`):
//! reference-schema names in Spanish, invented ones in English, JSON booleans, RFC 3339 UTC
//! times, uuid ids.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use taller_domain::{Concepto, Lang, TipoMovimiento};
use taller_protocol::mutations::FieldEdit;
use uuid::Uuid;

pub use crate::sync::SyncError;

// ------------------------------------------------------------------------------ session

/// The workstation's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Settings {
    /// `http(s)://host[:port]`; `None` before the first save.
    pub server_url: Option<String>,
    pub lang: Lang,
    /// Seconds between periodic syncs (the engine's interval; default 30, 5 to 3600).
    pub sync_interval_seconds: u32,
}

/// A user who signed in on this workstation before (their replica is here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WorkstationUser {
    pub id_usuario: Uuid,
    pub email: String,
    pub nombre_completo: Option<String>,
    /// Mutations in this user's own outbox, waiting to be pushed with their authority.
    pub pending: i64,
    /// The user whose replica is open now.
    pub current: bool,
    /// An offline credential is stored: unlocking works without the network.
    pub can_unlock: bool,
}

/// What a UI shows about sync (`SyncStatus` of the bindings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AppStatus {
    /// Email of the signed-in user.
    pub user: Option<String>,
    /// The last attempt reached the server.
    pub online: bool,
    pub syncing: bool,
    /// Mutations in the outbox.
    pub pending: i64,
    pub last_success: Option<String>,
    /// The last failed attempt, cleared by a successful one.
    pub last_error: Option<SyncError>,
    /// Inbox entries not yet reviewed.
    pub conflicts: i64,
    pub server_url: Option<String>,
    /// The server refused this app's protocol version (the last failure was `update_required`).
    pub update_required: bool,
    /// The user has a session with the server here. False after signing out and unlocking
    /// offline: nothing syncs, and pending work waits for an online sign-in.
    pub signed_in: bool,
}

// ------------------------------------------------------------------------------ catalogue

/// A `localizacion` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Localizacion {
    pub id_localizacion: Uuid,
    pub nombre: String,
    pub activo: bool,
}

/// A technician (user) assigned to a location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Tecnico {
    pub id_usuario: Uuid,
    pub nombre_completo: String,
    pub email: String,
}

/// One concept and the types it allows (`Concepto::allowed_tipos`, the first is the default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ConceptoInfo {
    pub concepto: Concepto,
    pub tipos: Vec<TipoMovimiento>,
    /// `false` for `cotizacion`: recorded, but no stock moves.
    pub moves_stock: bool,
}

// ------------------------------------------------------------------------------ inventory

/// `vista_repuestos_inventario.estado_stock` (`taller_domain::stock::estado_stock`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum EstadoStock {
    #[serde(rename = "Sin Stock")]
    SinStock,
    Bajo,
    Normal,
    Alto,
}

impl EstadoStock {
    /// The state of a stock against its minimum, by the domain's rule.
    pub fn of(stock_actual: i32, cantidad_minima: i32) -> EstadoStock {
        match taller_domain::stock::estado_stock(stock_actual, cantidad_minima) {
            "Sin Stock" => EstadoStock::SinStock,
            "Bajo" => EstadoStock::Bajo,
            "Normal" => EstadoStock::Normal,
            _ => EstadoStock::Alto,
        }
    }
}

/// The columns the inventory list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum InventorySortColumn {
    #[default]
    Referencia,
    Nombre,
    Marca,
    Tipo,
    StockActual,
    CantidadMinima,
    Posicion,
    EstadoStock,
}

impl InventorySortColumn {
    pub const ALL: [InventorySortColumn; 8] = [
        InventorySortColumn::Referencia,
        InventorySortColumn::Nombre,
        InventorySortColumn::Marca,
        InventorySortColumn::Tipo,
        InventorySortColumn::StockActual,
        InventorySortColumn::CantidadMinima,
        InventorySortColumn::Posicion,
        InventorySortColumn::EstadoStock,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InventorySort {
    pub column: InventorySortColumn,
    pub direction: SortDirection,
}

/// A window of a location's inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InventoryQuery {
    pub id_localizacion: Uuid,
    /// What the person typed (every word a prefix, accent-insensitive, over referencia,
    /// nombre, marca and tipo). Empty: everything.
    #[serde(default)]
    pub search: String,
    /// Only rows with `alerta_minimo` (stock_actual <= cantidad_minima).
    #[serde(default)]
    pub low_only: bool,
    #[serde(default)]
    pub sort: InventorySort,
    #[serde(default)]
    pub offset: u32,
    /// At most [`crate::app::MAX_PAGE`]; 0 counts without rows.
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InventoryRow {
    pub id_inventario: Uuid,
    pub id_localizacion: Uuid,
    pub id_repuesto: Uuid,
    pub referencia: String,
    pub nombre: String,
    pub marca: Option<String>,
    pub tipo: Option<String>,
    pub stock_actual: i32,
    pub cantidad_minima: i32,
    pub posicion: Option<String>,
    pub estado_stock: EstadoStock,
    pub alerta_minimo: bool,
    pub descontinuado: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InventoryPage {
    /// The rows from `offset` on (at most `limit`).
    pub rows: Vec<InventoryRow>,
    pub offset: u32,
    /// Rows matching the query in all.
    pub total: i64,
}

// ------------------------------------------------------------------------------ parts

/// A part's stock at one location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LocationStock {
    pub id_inventario: Uuid,
    pub id_localizacion: Uuid,
    pub localizacion: String,
    pub stock_actual: i32,
    pub cantidad_minima: i32,
    pub posicion: Option<String>,
    pub estado_stock: EstadoStock,
    pub alerta_minimo: bool,
}

/// A part found by a scan, a typed reference or a search, with its stock at the asked location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PartMatch {
    pub id_repuesto: Uuid,
    pub referencia: String,
    pub nombre: String,
    pub marca: Option<String>,
    pub tipo: Option<String>,
    pub descontinuado: bool,
    /// `None` when the part has no inventory row at that location (or none was asked).
    pub stock: Option<LocationStock>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FindPartInput {
    /// A scanned or typed reference (case-insensitive, trimmed) or a part id.
    pub code: String,
    #[serde(default)]
    pub id_localizacion: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SearchPartsInput {
    pub text: String,
    #[serde(default)]
    pub id_localizacion: Option<Uuid>,
    /// At most [`crate::app::MAX_SUGGESTIONS`].
    pub limit: u32,
}

/// One `logs_inventario` row of a part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LedgerEntry {
    pub id_log: Uuid,
    pub fecha: String,
    pub localizacion: String,
    pub tipo_operacion: taller_domain::TipoOperacion,
    pub cantidad_anterior: i32,
    pub cantidad_nueva: i32,
    pub diferencia: i32,
    pub motivo: Option<String>,
    /// `usuarios.nombre_completo` of the author.
    pub usuario: Option<String>,
    /// `detalles.absorbido`: dated before a later count, recorded without moving stock.
    pub absorbido: bool,
}

/// An open `edicion_campo` conflict on a part or one of its inventory rows: both values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FieldConflict {
    pub id_conflicto: Uuid,
    pub tabla: String,
    pub clave: String,
    /// The location, when the row is an inventory row.
    pub localizacion: Option<String>,
    pub campo: String,
    /// The value the author saw and replaced.
    pub valor_reemplazado: Value,
    /// The value the server had meanwhile (someone else's edit).
    pub valor_servidor: Value,
    /// The value now in place.
    pub valor_nuevo: Value,
    /// `usuarios.nombre_completo` of the other author, when known.
    pub otro_usuario: Option<String>,
    pub created_at: String,
}

/// A `repuestos` row with its stock in scope, its ledger (newest first) and open field conflicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PartDetail {
    pub id_repuesto: Uuid,
    pub referencia: String,
    pub nombre: String,
    pub tipo: Option<String>,
    pub marca: Option<String>,
    pub descripcion: Option<String>,
    pub descontinuado: bool,
    pub fecha_estimada: Option<String>,
    pub url_imagen: Option<String>,
    pub created_at: String,
    pub stock: Vec<LocationStock>,
    pub ledger: Vec<LedgerEntry>,
    pub conflictos: Vec<FieldConflict>,
}

// ------------------------------------------------------------------------------ actions

/// `movement.record` without its id (the library makes one, uuid v7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MovementInput {
    pub id_localizacion: Uuid,
    pub id_repuesto: Uuid,
    pub id_tecnico_asignado: Uuid,
    pub concepto: Concepto,
    pub tipo: TipoMovimiento,
    pub cantidad: i32,
    #[serde(default)]
    pub numero_orden: Option<i32>,
}

/// `inventory.settings`; fields `cantidad_minima`, `posicion`, `nuevo_hasta`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InventorySettingsInput {
    pub id_localizacion: Uuid,
    pub id_repuesto: Uuid,
    pub edits: Vec<FieldEdit>,
}

// ------------------------------------------------------------------------------ notifications

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Notificacion {
    pub id_notificacion: Uuid,
    pub id_localizacion: Option<Uuid>,
    pub titulo: String,
    pub mensaje: String,
    /// `alerta_stock`, `stock_negativo`, or another the server adds later.
    pub tipo: String,
    pub prioridad: String,
    pub leida: bool,
    pub created_at: String,
}

// ------------------------------------------------------------------------------ conflict inbox

/// `rechazo` (a refused mutation of the user) or a `conflictos.tipo`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum InboxKind {
    Rechazo,
    Absorbido,
    StockNegativo,
    EdicionCampo,
    FusionReferencia,
    /// An order advance that found the order at its level or beyond (not applied).
    NivelSuperado,
}

impl InboxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InboxKind::Rechazo => "rechazo",
            InboxKind::Absorbido => "absorbido",
            InboxKind::StockNegativo => "stock_negativo",
            InboxKind::EdicionCampo => "edicion_campo",
            InboxKind::FusionReferencia => "fusion_referencia",
            InboxKind::NivelSuperado => "nivel_superado",
        }
    }

    /// The kind of a `conflictos.tipo` (`None` for one this version does not know).
    pub fn of_conflict(tipo: &str) -> Option<InboxKind> {
        match tipo {
            "absorbido" => Some(InboxKind::Absorbido),
            "stock_negativo" => Some(InboxKind::StockNegativo),
            "edicion_campo" => Some(InboxKind::EdicionCampo),
            "fusion_referencia" => Some(InboxKind::FusionReferencia),
            taller_domain::decide::orders::SUPERSEDED => Some(InboxKind::NivelSuperado),
            _ => None,
        }
    }
}

/// A rejection's code and params.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InboxRejection {
    pub code: String,
    pub params: Map<String, Value>,
}

/// A `conflictos` row's facts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InboxConflict {
    pub tabla: String,
    pub clave: String,
    pub campo: Option<String>,
    pub valor_reemplazado: Value,
    pub valor_servidor: Value,
    pub valor_nuevo: Value,
    /// The other author's name when the replica knows them, else their id.
    pub otro_usuario: Option<String>,
}

/// One entry of the conflict inbox; the three texts are in the workstation's language.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InboxEntry {
    /// The rejected mutation's id, or `conflictos.id_conflicto`.
    pub id: Uuid,
    pub kind: InboxKind,
    /// The mutation concerned (`movement.record`, ...).
    pub action: String,
    pub at: String,
    /// What happened.
    pub what: String,
    /// Why (for a rejection, the rejection's message).
    pub why: String,
    /// What the person can do about it.
    pub next_step: String,
    pub reviewed: bool,
    pub rejection: Option<InboxRejection>,
    pub conflict: Option<InboxConflict>,
}

/// Names one inbox entry (to dismiss it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InboxEntryRef {
    pub id: Uuid,
    pub kind: InboxKind,
}

// ------------------------------------------------------------------ cart and transfer requests

/// A line of the user's cart: a part wanted at a destination, waiting to become a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CartLine {
    pub id_item_carrito: Uuid,
    /// The destination of the future request.
    pub id_localizacion: Uuid,
    pub destino: String,
    pub id_repuesto: Uuid,
    pub referencia: String,
    pub nombre: String,
    pub cantidad: i32,
    pub created_at: String,
}

/// Adds a part to the cart for a destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CartAddInput {
    /// The destination: a location's id or its name (case-insensitive).
    pub destination: String,
    /// The part: its id or its reference (case-insensitive).
    pub part: String,
    pub cantidad: i32,
}

/// Changes the quantity of a cart line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CartSetInput {
    pub id_item_carrito: Uuid,
    pub cantidad: i32,
}

/// Creates a transfer request from the cart's lines for one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RequestFromCartInput {
    /// Where the parts come from: a location's id or name.
    pub origin: String,
    /// Where they go: a location's id or name; the cart's lines for it become the request's.
    pub destination: String,
    pub observaciones_generales: Option<String>,
}

/// Which requests a list shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RequestListInput {
    /// Only requests in this state; all when `None`.
    pub estado: Option<taller_domain::EstadoSolicitud>,
}

/// A transfer request in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RequestSummary {
    pub id_solicitud: Uuid,
    pub estado: taller_domain::EstadoSolicitud,
    pub id_localizacion_origen: Uuid,
    pub origen: Option<String>,
    pub id_localizacion_destino: Uuid,
    pub destino: Option<String>,
    pub id_usuario_solicitante: Uuid,
    /// Who asked, by name (the replica holds the user row of everyone its requests name).
    pub solicitante: Option<String>,
    pub fecha_creacion: String,
    pub fecha_alistamiento: Option<String>,
    pub fecha_despacho: Option<String>,
    pub fecha_recepcion: Option<String>,
    pub guia_transporte: Option<String>,
    pub observaciones_generales: Option<String>,
    /// Number of lines.
    pub num_lineas: i64,
}

/// A line of a request, as a picking list and a reception show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RequestLineView {
    pub id_detalle: Uuid,
    pub id_repuesto: Uuid,
    pub referencia: String,
    pub nombre: String,
    /// Where the part sits at the origin (the picking order); `None` when not recorded.
    pub posicion: Option<String>,
    /// Stock at the origin, when the replica holds that row.
    pub stock_origen: Option<i32>,
    pub cantidad_solicitada: i32,
    pub cantidad_despachada: Option<i32>,
    pub cantidad_recibida: Option<i32>,
    /// Received differs from dispatched (or, with nothing dispatched recorded, from requested).
    pub discrepancia: bool,
    pub observaciones: Option<String>,
}

/// One state change of a request (`trazabilidad_solicitudes`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RequestTimelineEntry {
    pub fecha_cambio: String,
    pub estado_anterior: Option<String>,
    pub estado_nuevo: String,
    pub usuario: Option<String>,
    pub comentario: Option<String>,
}

/// A request with its lines (in picking order: by position at the origin, then reference)
/// and its timeline (oldest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RequestDetail {
    #[serde(flatten)]
    pub request: RequestSummary,
    pub lineas: Vec<RequestLineView>,
    pub trazabilidad: Vec<RequestTimelineEntry>,
}

/// A quantity for one line of a request, named as a person would: the line's part reference
/// (case-insensitive) or the line's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LineQuantityInput {
    pub line: String,
    pub cantidad: i32,
}

impl LineQuantityInput {
    /// `REF:QTY` (the reference may itself hold colons: the last one splits).
    pub fn parse(text: &str) -> std::result::Result<LineQuantityInput, String> {
        let (line, qty) = text.rsplit_once(':').ok_or_else(|| format!("{text}: expected REF:QTY"))?;
        let cantidad = qty.trim().parse().map_err(|_| format!("{text}: the quantity is not a number"))?;
        Ok(LineQuantityInput { line: line.trim().to_owned(), cantidad })
    }
}

/// A step of a request that takes only a comment: picking starts, cancel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RequestStepInput {
    pub id_solicitud: Uuid,
    pub comentario: Option<String>,
}

/// Dispatches a request; lines not listed go as requested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DispatchInput {
    pub id_solicitud: Uuid,
    pub lines: Vec<LineQuantityInput>,
    pub guia_transporte: Option<String>,
    pub comentario: Option<String>,
}

/// Receives a request; lines not listed are received as dispatched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReceiveInput {
    pub id_solicitud: Uuid,
    pub lines: Vec<LineQuantityInput>,
    pub comentario: Option<String>,
}
