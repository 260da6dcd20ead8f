//! The types of stock (`inventario`) as `taller stock`, `taller move` and a stock screen read
//! and write them: locations, parts and technicians named as a person names them.

use super::types::InventoryRow;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use taller_domain::{Concepto, TipoMovimiento};

/// Which stock rows a listing shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StockListInput {
    /// A location's id or name; every location of the replica when `None`.
    #[serde(default)]
    pub location: Option<String>,
    /// Only rows with `alerta_minimo` (stock_actual <= cantidad_minima).
    #[serde(default)]
    pub low_only: bool,
}

/// One part's stock at one location, with the location's name (a listing of several
/// locations names each row's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StockRow {
    /// `localizacion.nombre`.
    pub localizacion: String,
    #[serde(flatten)]
    pub item: InventoryRow,
    /// How many physical counts have fixed this row.
    pub veces_contado: i32,
}

/// A manual stock adjustment (`inventory.adjust`), with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StockAdjustInput {
    /// A location's id or name (case-insensitive).
    pub location: String,
    /// A part's id or reference (case-insensitive).
    pub part: String,
    /// Signed, non-zero change of stock.
    pub delta: i32,
    pub motivo: String,
}

/// A part's minimum and shelf position at a location (`inventory.settings`): each field given
/// is set, and the library sends with it the value the replica holds now. At least one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StockSettingsInput {
    /// A location's id or name (case-insensitive).
    pub location: String,
    /// A part's id or reference (case-insensitive).
    pub part: String,
    #[serde(default)]
    pub cantidad_minima: Option<i32>,
    #[serde(default)]
    pub posicion: Option<String>,
}

/// A technician movement (`movement.record`) named as a person types it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MoveInput {
    /// A location's id or name (case-insensitive).
    pub location: String,
    /// A part's id or reference (case-insensitive).
    pub part: String,
    /// The technician who took the part: a user's id or email; the signed-in user when `None`.
    #[serde(default)]
    pub technician: Option<String>,
    pub concepto: Concepto,
    /// The concept's default (the first of `Concepto::allowed_tipos`) when `None`.
    #[serde(default)]
    pub tipo: Option<TipoMovimiento>,
    pub cantidad: i32,
    #[serde(default)]
    pub numero_orden: Option<i32>,
    /// When it happened, if not now (bounded by the server's back-dating window).
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
}
