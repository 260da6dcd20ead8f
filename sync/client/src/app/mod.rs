//! The use-case API of the desktop app's screens: every operation the shell's commands
//! forward (`ui/COMMANDS.md`), as methods on [`Session`], with typed inputs and outputs that
//! serialise to the shapes of `ui/src/api/bindings.ts`. Reads go to the open replica; local
//! actions go through [`Session::act`] (one transaction with their outbox entry), so they work
//! offline and refusals come back as [`crate::ClientError::Rejected`] with their params.
//!
//! Behind the crate's `specta` feature every type here derives `specta::Type`, for the
//! shell's generated TypeScript bindings.

mod admin;
pub mod admin_types;
pub mod count_types;
mod counts;
mod export;
mod import;
pub mod import_types;
mod inbox;
pub(crate) mod inventory;
mod labels;
pub mod order_types;
mod orders;
mod parts;
pub mod parts_types;
mod replenishment;
pub mod replenishment_types;
mod requests;
mod session;
mod stock;
pub mod stock_types;
mod texts;
pub mod types;
mod warranties;
pub mod warranty_types;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_admin;
#[cfg(test)]
mod tests_counts;
#[cfg(test)]
mod tests_export;
#[cfg(test)]
mod tests_import;
#[cfg(test)]
mod tests_labels;
#[cfg(test)]
mod tests_orders;
#[cfg(test)]
mod tests_parts;
#[cfg(test)]
mod tests_replenishment;
#[cfg(test)]
mod tests_stock;
#[cfg(test)]
mod tests_warranties;

pub use crate::labels::{Label, LabelFormat};
pub use crate::session::{Queued, Session};
pub use crate::sync::{Progress, SyncReport};
pub use crate::workstation::Workstation;
pub use admin_types::*;
pub use count_types::*;
pub use export::{ExportDone, ExportList, InventoryExport};
pub use import_types::*;
pub use labels::{labels_file_name, LabelsDone, LabelsInput};
pub use order_types::*;
pub use parts_types::*;
pub use replenishment_types::*;
pub use stock_types::*;
pub use taller_domain::{Concepto, EstadoGarantia, EstadoSolicitud, Lang, Permisos, TipoMovimiento, TipoOperacion};
pub use taller_protocol::messages::UserProfile;
pub use taller_protocol::mutations::FieldEdit;
pub(crate) use texts::readable;
pub use types::*;
pub use warranty_types::*;

use crate::error::Result;
use crate::sync::lock;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::types::Type;
use rusqlite::Connection;
use serde_json::Value;
use taller_protocol::mutations::Mutation;
use uuid::Uuid;

/// The most rows one inventory window returns.
pub const MAX_PAGE: u32 = 500;

/// The most suggestions `search_parts` returns.
pub const MAX_SUGGESTIONS: u32 = 50;

/// The newest ledger rows a part's view shows.
pub const LEDGER_ROWS: i64 = 500;

/// The newest inbox entries of each half (rejections, conflicts) the inbox lists.
pub const INBOX_ROWS: i64 = 500;

/// The tables a local action wrote, for the shell's `tables-changed {source: "local"}`: the
/// mutation's tables ([`Mutation::tables`]) plus the replica's own `outbox`.
pub fn tables_changed_by(mutation: &Mutation) -> Vec<&'static str> {
    let mut tables: Vec<&'static str> = mutation.tables().to_vec();
    tables.push("outbox");
    tables
}

impl Session {
    /// Runs a read on the open replica.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let replica = lock(self.shared());
        f(&replica.conn)
    }
}

/// A uuid column (TEXT in the replica).
fn uuid_at(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Uuid> {
    let text: String = row.get(index)?;
    text.parse().map_err(|error| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(error)))
}

/// The columns of a [`LedgerEntry`], in its field order, over `logs_inventario g` joined to
/// `localizacion l` (of its item) and `usuarios u` (its author).
pub(crate) const LEDGER_COLUMNS: &str = "g.id_log, g.fecha, l.nombre, g.tipo_operacion, g.cantidad_anterior, \
     g.cantidad_nueva, g.diferencia, g.motivo, u.nombre_completo, \
     CASE WHEN json_valid(g.detalles) THEN COALESCE(json_extract(g.detalles, '$.absorbido') IN (1, 'true'), 0) ELSE 0 END";

/// A [`LedgerEntry`] from [`LEDGER_COLUMNS`] starting at column `at`.
pub(crate) fn ledger_entry_at(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<LedgerEntry> {
    let tipo: String = row.get(at + 3)?;
    let tipo_operacion = tipo.parse::<TipoOperacion>().map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(at + 3, rusqlite::types::Type::Text, Box::new(error))
    })?;
    Ok(LedgerEntry {
        id_log: uuid_at(row, at)?,
        fecha: utc(row.get(at + 1)?),
        localizacion: row.get(at + 2)?,
        tipo_operacion,
        cantidad_anterior: row.get(at + 4)?,
        cantidad_nueva: row.get(at + 5)?,
        diferencia: row.get(at + 6)?,
        motivo: row.get(at + 7)?,
        usuario: row.get(at + 8)?,
        absorbido: row.get::<_, i64>(at + 9)? != 0,
    })
}

/// A nullable uuid column.
fn opt_uuid_at(row: &rusqlite::Row<'_>, index: usize) -> rusqlite::Result<Option<Uuid>> {
    let text: Option<String> = row.get(index)?;
    text.map(|text| text.parse())
        .transpose()
        .map_err(|error| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(error)))
}

/// A stored timestamp as RFC 3339 in UTC (`2026-12-01T10:00:00Z`); a text that is not one
/// is passed on as it is.
fn utc(text: String) -> String {
    match DateTime::parse_from_rfc3339(&text) {
        Ok(at) => at.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::AutoSi, true),
        Err(_) => text,
    }
}

/// A JSON column (jsonb arrives as JSON text); NULL is `null`.
fn json_value(text: Option<String>) -> Value {
    text.map(|text| serde_json::from_str(&text).unwrap_or(Value::String(text))).unwrap_or(Value::Null)
}
