//! The types of physical counts (`registro_conteo`, `detalles_conteo`, `conteos_cerrados`), as
//! the app and `taller count` read and write them.

use super::types::LedgerEntry;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Whether a count still takes lines. The reference schema has no state for a count: a
/// count is closed when it has a `conteos_cerrados` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CountState {
    Open,
    Closed,
}

impl CountState {
    pub fn as_str(self) -> &'static str {
        match self {
            CountState::Open => "open",
            CountState::Closed => "closed",
        }
    }

    /// `open` or `closed`.
    pub fn parse(text: &str) -> Option<CountState> {
        match text.trim().to_lowercase().as_str() {
            "open" => Some(CountState::Open),
            "closed" => Some(CountState::Closed),
            _ => None,
        }
    }
}

/// Starts a count at a location.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CountStartInput {
    /// Where the count happens: a location's id or its name (case-insensitive).
    pub location: String,
    #[serde(default)]
    pub observaciones: Option<String>,
}

/// Records what was counted of one part. Counting a part again in the same count replaces
/// its line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CountLineInput {
    pub id_conteo: Uuid,
    /// The part: its id or its reference (case-insensitive).
    pub part: String,
    /// Units counted at the location.
    pub cantidad_csa: i32,
    /// Of those, the loose small parts that stay (at most `cantidad_csa`).
    #[serde(default)]
    pub cantidad_pq: i32,
    #[serde(default)]
    pub observaciones: Option<String>,
}

/// Which counts a list shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CountListInput {
    /// Only the counts of this location (its id or name); all when `None`.
    #[serde(default)]
    pub location: Option<String>,
    /// Only open or only closed counts; both when `None`.
    #[serde(default)]
    pub state: Option<CountState>,
}

/// A count in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CountSummary {
    pub id_conteo: Uuid,
    pub id_localizacion: Uuid,
    /// The location's name, when the replica holds its row.
    pub localizacion: Option<String>,
    /// Who counts.
    pub id_usuario: Uuid,
    /// Their name, when the replica holds their row.
    pub usuario: Option<String>,
    pub fecha_conteo: String,
    /// The server's summary of the lines (recomputed locally after each line).
    pub total_items: i32,
    /// Lines whose `diferencia` is not zero.
    pub total_diferencias: i32,
    /// Lines with loose small parts (`cantidad_pq` > 0).
    pub items_con_pq: i32,
    pub observaciones: Option<String>,
    pub created_at: String,
    pub state: CountState,
    /// When it was closed (`conteos_cerrados.cerrado_en`).
    pub cerrado_en: Option<String>,
    /// Number of lines in the replica.
    pub num_lineas: i64,
}

/// A line of a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CountLineView {
    pub id_detalle_conteo: Uuid,
    pub id_repuesto: Uuid,
    pub referencia: String,
    pub nombre: String,
    /// Where the part sits at the count's location, when recorded.
    pub posicion: Option<String>,
    /// The stock the system held when the line was recorded.
    pub cantidad_sistema: i32,
    pub cantidad_csa: i32,
    pub cantidad_pq: i32,
    /// `(cantidad_sistema + cantidad_pq) - cantidad_csa`: positive when units are missing.
    pub diferencia: i32,
    pub observaciones: Option<String>,
    /// The `CONTEO_FISICO` ledger row closing the count wrote for this line (`absorbido` when
    /// a later count already fixed the part); `None` while the count is open.
    pub ajuste: Option<LedgerEntry>,
    /// The stock changes this count absorbed on the line's part: done before the part was
    /// counted (so the counted units already reflect them), they reached the server after
    /// the count, and were recorded in the ledger without moving stock (contract: a count
    /// line fixes the quantity at the moment it was counted). Oldest first.
    pub absorbidos: Vec<AbsorbedChange>,
}

/// A stock change a count absorbed (`logs_inventario.detalles.absorbido_por_conteo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AbsorbedChange {
    pub id_log: Uuid,
    /// When the person made the change (before the line's counted moment).
    pub fecha: String,
    pub tipo_operacion: taller_domain::TipoOperacion,
    /// The change asked for (`detalles.delta_original`): -2 for two units out.
    pub cantidad: i32,
    pub motivo: Option<String>,
    /// `usuarios.nombre_completo` of the author.
    pub usuario: Option<String>,
}

/// A count with its lines, by part reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CountDetail {
    #[serde(flatten)]
    pub count: CountSummary,
    pub lineas: Vec<CountLineView>,
}
