//! A technician's movement: committed in the replica with its outbox entry, offline or not.

use crate::desk::Desk;
use crate::error::CommandResult;
use taller_client::app::MovementInput;
use taller_client::Queued;
use tauri::State;

#[tauri::command]
#[specta::specta]
pub async fn record_movement(desk: State<'_, Desk>, input: MovementInput) -> CommandResult<Queued> {
    super::act(&desk, |client| client.record_movement(&input))
}
