//! The sync status, a sync started by the person (with its progress), and the last errors.

use crate::desk::Desk;
use crate::error::{CommandError, CommandResult};
use taller_client::app::{AppStatus, SyncError};
use taller_client::{Progress, SyncReport};
use tauri::ipc::Channel;
use tauri::State;

/// The current status, once on start; later ones come as `sync-status` events.
#[tauri::command]
#[specta::specta]
pub async fn status(desk: State<'_, Desk>) -> CommandResult<AppStatus> {
    desk.with_workstation(|workstation| workstation.sync_status())
}

/// One sync now (push, then pull until caught up), the pull's progress on `progress`. A sync
/// already running (the engine's) is waited for first.
#[tauri::command]
#[specta::specta]
pub async fn sync_now(desk: State<'_, Desk>, progress: Channel<Progress>) -> CommandResult<SyncReport> {
    let client = desk.session()?;
    let outcome = client
        .sync(None, &|step| {
            if progress.send(step).is_err() {
                tracing::debug!("the window stopped listening to the progress");
            }
        })
        .await;
    desk.synced(&client, &outcome);
    outcome.map_err(|error| CommandError::from_client(&error, client.lang()))
}

#[tauri::command]
#[specta::specta]
pub async fn recent_sync_errors(desk: State<'_, Desk>) -> CommandResult<Vec<SyncError>> {
    Ok(desk.recent_errors())
}
