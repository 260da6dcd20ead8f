//! Printable labels (PDF) of one part or of a location's shelf into the user's downloads
//! folder, under a readable name that never replaces another file (decisions 0016, 0021).

use crate::desk::Desk;
use crate::error::CommandResult;
use taller_client::app::{LabelsDone, LabelsInput};
use taller_client::export::downloads_dir;
use tauri::State;

#[tauri::command]
#[specta::specta]
pub async fn labels(desk: State<'_, Desk>, input: LabelsInput) -> CommandResult<LabelsDone> {
    desk.with(|session| {
        let dir = downloads_dir(session.lang())?;
        session.labels_to_folder(&input, &dir)
    })
}
