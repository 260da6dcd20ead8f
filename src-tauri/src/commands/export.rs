//! Exporting the list on screen (its filters, every row) to CSV or XLSX in the user's
//! downloads folder, under a readable name that never replaces another file (decision 0016).

use crate::desk::Desk;
use crate::error::CommandResult;
use serde::Deserialize;
use taller_client::app::{ExportDone, ExportList};
use taller_client::export::{downloads_dir, ExportFormat};
use tauri::State;

/// `{list, format}`: which list with its screen's filters, and the file's format.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct ExportInput {
    pub list: ExportList,
    pub format: ExportFormat,
}

#[tauri::command]
#[specta::specta]
pub async fn export_list(desk: State<'_, Desk>, input: ExportInput) -> CommandResult<ExportDone> {
    desk.with(|session| {
        let dir = downloads_dir(session.lang())?;
        session.export_to_folder(&input.list, input.format, &dir)
    })
}
