//! Warranty claims: create one (SIN_ENVIAR), edit it while it is one, submit it for review, approve it (its units come
//! into stock) or reject it with a comment, and the lists and detail the warranties screen
//! shows. Every action is a local one (offline, with its outbox entry); who may resolve is the
//! library's check (`guarantees.resolve`), refused with `forbidden` like any other refusal.

use super::act;
use crate::desk::Desk;
use crate::error::CommandResult;
use serde::Deserialize;
use taller_client::app::{
    WarrantyCreateInput, WarrantyDetail, WarrantyEditInput, WarrantyListInput, WarrantyResolveInput, WarrantySummary,
};
use taller_client::Queued;
use tauri::State;
use uuid::Uuid;

/// `{id_garantia}`.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct WarrantyRef {
    pub id_garantia: Uuid,
}

#[tauri::command]
#[specta::specta]
pub async fn create_warranty(desk: State<'_, Desk>, input: WarrantyCreateInput) -> CommandResult<Queued> {
    act(&desk, |client| client.create_warranty(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn edit_warranty(desk: State<'_, Desk>, input: WarrantyEditInput) -> CommandResult<Queued> {
    act(&desk, |client| client.edit_warranty(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn submit_warranty(desk: State<'_, Desk>, input: WarrantyRef) -> CommandResult<Queued> {
    act(&desk, |client| client.submit_warranty(input.id_garantia))
}

#[tauri::command]
#[specta::specta]
pub async fn approve_warranty(desk: State<'_, Desk>, input: WarrantyResolveInput) -> CommandResult<Queued> {
    act(&desk, |client| client.approve_warranty(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn reject_warranty(desk: State<'_, Desk>, input: WarrantyResolveInput) -> CommandResult<Queued> {
    act(&desk, |client| client.reject_warranty(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn warranties(desk: State<'_, Desk>, input: WarrantyListInput) -> CommandResult<Vec<WarrantySummary>> {
    desk.with(|client| client.warranties(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn warranty_detail(desk: State<'_, Desk>, input: WarrantyRef) -> CommandResult<WarrantyDetail> {
    desk.with(|client| client.warranty(input.id_garantia))
}
