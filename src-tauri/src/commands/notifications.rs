//! The in-app list of stock alerts, and marking one read.

use super::NotificationRef;
use crate::desk::Desk;
use crate::error::CommandResult;
use taller_client::app::Notificacion;
use taller_client::Queued;
use tauri::State;

#[tauri::command]
#[specta::specta]
pub async fn notifications(desk: State<'_, Desk>) -> CommandResult<Vec<Notificacion>> {
    desk.with(|client| client.notification_list())
}

#[tauri::command]
#[specta::specta]
pub async fn mark_notification_read(desk: State<'_, Desk>, input: NotificationRef) -> CommandResult<Queued> {
    super::act(&desk, |client| client.mark_notification_read(input.id_notificacion))
}
