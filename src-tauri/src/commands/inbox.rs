//! The conflict inbox: what the server (or the local rules) decided otherwise, in the user's
//! language, and marking an entry reviewed.

use crate::desk::Desk;
use crate::error::CommandResult;
use taller_client::app::{InboxEntry, InboxEntryRef};
use tauri::State;

#[tauri::command]
#[specta::specta]
pub async fn inbox(desk: State<'_, Desk>) -> CommandResult<Vec<InboxEntry>> {
    desk.with(|client| client.inbox())
}

#[tauri::command]
#[specta::specta]
pub async fn dismiss_inbox_entry(desk: State<'_, Desk>, input: InboxEntryRef) -> CommandResult<()> {
    desk.with(|client| client.dismiss_inbox_entry(&input))?;
    desk.local_change(&["rejected_mutations", "conflictos"]);
    desk.emit_status();
    Ok(())
}
