//! The catalogue a screen picks from, and the inventory of a location, one window at a time.

use super::LocationRef;
use crate::desk::Desk;
use crate::error::CommandResult;
use taller_client::app::{ConceptoInfo, InventoryPage, InventoryQuery, Localizacion, Tecnico};
use taller_client::Session;
use tauri::State;

#[tauri::command]
#[specta::specta]
pub async fn locations(desk: State<'_, Desk>) -> CommandResult<Vec<Localizacion>> {
    desk.with(|client| client.locations())
}

#[tauri::command]
#[specta::specta]
pub async fn technicians(desk: State<'_, Desk>, input: LocationRef) -> CommandResult<Vec<Tecnico>> {
    desk.with(|client| client.technicians_of(input.id_localizacion))
}

/// The concepts of a movement and the types each allows (the UI does not copy the rule).
#[tauri::command]
#[specta::specta]
pub fn movement_concepts() -> Vec<ConceptoInfo> {
    Session::movement_concepts()
}

#[tauri::command]
#[specta::specta]
pub async fn inventory_page(desk: State<'_, Desk>, input: InventoryQuery) -> CommandResult<InventoryPage> {
    desk.with(|client| client.inventory_page(&input))
}
