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
}

impl InboxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InboxKind::Rechazo => "rechazo",
            InboxKind::Absorbido => "absorbido",
            InboxKind::StockNegativo => "stock_negativo",
            InboxKind::EdicionCampo => "edicion_campo",
            InboxKind::FusionReferencia => "fusion_referencia",
        }
    }

    /// The kind of a `conflictos.tipo` (`None` for one this version does not know).
    pub fn of_conflict(tipo: &str) -> Option<InboxKind> {
        match tipo {
            "absorbido" => Some(InboxKind::Absorbido),
            "stock_negativo" => Some(InboxKind::StockNegativo),
            "edicion_campo" => Some(InboxKind::EdicionCampo),
            "fusion_referencia" => Some(InboxKind::FusionReferencia),
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
