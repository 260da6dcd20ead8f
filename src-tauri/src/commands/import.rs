//! Importing parts from a CSV file the UI read (an `<input type="file">`, or text pasted): a
//! preview of every row's errors, then every row a `part.create`, all or nothing (decision
//! 0019). The text comes in the call, so no dialog or file-system permission is needed.

use crate::desk::Desk;
use crate::error::CommandResult;
use taller_client::app::{ImportDone, ImportInput, ImportPreview};
use tauri::State;

#[tauri::command]
#[specta::specta]
pub async fn import_preview(desk: State<'_, Desk>, input: ImportInput) -> CommandResult<ImportPreview> {
    desk.with(|session| session.preview_import(&input))
}

/// Then `tables-changed` for `repuestos` and the outbox.
#[tauri::command]
#[specta::specta]
pub async fn import_apply(desk: State<'_, Desk>, input: ImportInput) -> CommandResult<ImportDone> {
    let done = desk.with(|session| session.import_parts(&input))?;
    desk.local_change(&["repuestos"]);
    Ok(done)
}
