//! Physical counts: start one at a location, record what was counted of each part (again
//! replaces the line), close it (each line fixes its part's stock), and the lists and detail
//! the counts screen shows. Every action is a local one (offline, with its outbox entry); the
//! library resolves the location and part names it is given.

use super::act;
use crate::desk::Desk;
use crate::error::CommandResult;
use serde::Deserialize;
use taller_client::app::{CountDetail, CountLineInput, CountListInput, CountStartInput, CountSummary};
use taller_client::Queued;
use tauri::State;
use uuid::Uuid;

/// `{id_conteo}`.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct CountRef {
    pub id_conteo: Uuid,
}

#[tauri::command]
#[specta::specta]
pub async fn start_count(desk: State<'_, Desk>, input: CountStartInput) -> CommandResult<Queued> {
    act(&desk, |client| client.start_count(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn record_count_line(desk: State<'_, Desk>, input: CountLineInput) -> CommandResult<Queued> {
    act(&desk, |client| client.record_count_line(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn close_count(desk: State<'_, Desk>, input: CountRef) -> CommandResult<Queued> {
    act(&desk, |client| client.close_count(input.id_conteo))
}

#[tauri::command]
#[specta::specta]
pub async fn counts(desk: State<'_, Desk>, input: CountListInput) -> CommandResult<Vec<CountSummary>> {
    desk.with(|client| client.counts(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn count_detail(desk: State<'_, Desk>, input: CountRef) -> CommandResult<CountDetail> {
    desk.with(|client| client.count(input.id_conteo))
}
