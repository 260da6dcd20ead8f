//! The typed events the UI listens to: the sync status, and which tables changed (by a local
//! action or by a pull), so the UI refetches only the queries that read them.

use serde::{Deserialize, Serialize};
use taller_client::app::AppStatus;

/// Payload of `sync-status`: the same value the `status` command returns.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
#[serde(transparent)]
pub struct SyncStatusEvent(pub AppStatus);

impl tauri_specta::Event for SyncStatusEvent {
    const NAME: &'static str = "sync-status";
}

/// Who changed the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "lowercase")]
pub enum ChangeSource {
    /// A local action committed (its tables plus `outbox`).
    Local,
    /// A pull applied a delta (the tables it touched; `rejected_mutations` after rejections).
    Pull,
}

/// Payload of `tables-changed`.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type)]
pub struct TablesChanged {
    /// Names of `taller_protocol::tables::TABLES`, plus the replica's `outbox` and `rejected_mutations`.
    pub tables: Vec<String>,
    pub source: ChangeSource,
}

impl tauri_specta::Event for TablesChanged {
    const NAME: &'static str = "tables-changed";
}

impl TablesChanged {
    /// Every table a screen reads: after a user switch, nothing cached is still true.
    pub fn everything() -> TablesChanged {
        let mut tables: Vec<String> =
            taller_protocol::tables::TABLES.iter().map(|table| table.name.to_owned()).collect();
        tables.extend(["outbox".to_owned(), "rejected_mutations".to_owned()]);
        TablesChanged { tables, source: ChangeSource::Pull }
    }
}
