//! Parts: a scan or a typed reference, suggestions, the detail screen, and its settings edit.

use super::PartRef;
use crate::desk::Desk;
use crate::error::CommandResult;
use taller_client::app::{FindPartInput, InventorySettingsInput, PartDetail, PartMatch, SearchPartsInput};
use taller_client::Queued;
use tauri::State;

#[tauri::command]
#[specta::specta]
pub async fn find_part(desk: State<'_, Desk>, input: FindPartInput) -> CommandResult<Option<PartMatch>> {
    desk.with(|client| client.find_part(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn search_parts(desk: State<'_, Desk>, input: SearchPartsInput) -> CommandResult<Vec<PartMatch>> {
    desk.with(|client| client.search_parts(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn part_detail(desk: State<'_, Desk>, input: PartRef) -> CommandResult<PartDetail> {
    desk.with(|client| client.part_view(input.id_repuesto))
}

/// Position, minimum and "new until" of a part at a location (`inventory.settings`).
#[tauri::command]
#[specta::specta]
pub async fn edit_inventory_settings(desk: State<'_, Desk>, input: InventorySettingsInput) -> CommandResult<Queued> {
    super::act(&desk, |client| client.edit_inventory_settings(&input))
}
