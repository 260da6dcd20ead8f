//! The cart and transfer requests: add to the cart, request from it, pick, dispatch, receive,
//! cancel, and the lists and detail the transfers screen shows. Every action is a local one
//! (offline, with its outbox entry); the library resolves the names and lines it is given.

use super::act;
use crate::desk::Desk;
use crate::error::CommandResult;
use serde::Deserialize;
use taller_client::app::{
    CartAddInput, CartLine, CartSetInput, DispatchInput, ReceiveInput, ReplenishmentAdded, ReplenishmentInput,
    ReplenishmentProposal, ReplenishmentToCartInput, RequestDetail, RequestFromCartInput, RequestListInput,
    RequestStepInput, RequestSummary,
};
use taller_client::Queued;
use tauri::State;
use uuid::Uuid;

/// `{id_item_carrito}`.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct CartLineRef {
    pub id_item_carrito: Uuid,
}

/// `{id_solicitud}`.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct RequestRef {
    pub id_solicitud: Uuid,
}

#[tauri::command]
#[specta::specta]
pub async fn cart(desk: State<'_, Desk>) -> CommandResult<Vec<CartLine>> {
    desk.with(|client| client.cart())
}

#[tauri::command]
#[specta::specta]
pub async fn cart_add(desk: State<'_, Desk>, input: CartAddInput) -> CommandResult<Queued> {
    act(&desk, |client| client.cart_add(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn cart_set(desk: State<'_, Desk>, input: CartSetInput) -> CommandResult<Queued> {
    act(&desk, |client| client.cart_set(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn cart_remove(desk: State<'_, Desk>, input: CartLineRef) -> CommandResult<Queued> {
    act(&desk, |client| client.cart_remove(input.id_item_carrito))
}

#[tauri::command]
#[specta::specta]
pub async fn request_from_cart(desk: State<'_, Desk>, input: RequestFromCartInput) -> CommandResult<Queued> {
    act(&desk, |client| client.request_from_cart(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn requests(desk: State<'_, Desk>, input: RequestListInput) -> CommandResult<Vec<RequestSummary>> {
    desk.with(|client| client.requests(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn request_detail(desk: State<'_, Desk>, input: RequestRef) -> CommandResult<RequestDetail> {
    desk.with(|client| client.request(input.id_solicitud))
}

#[tauri::command]
#[specta::specta]
pub async fn pick_request(desk: State<'_, Desk>, input: RequestStepInput) -> CommandResult<Queued> {
    act(&desk, |client| client.pick_request(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn dispatch_request(desk: State<'_, Desk>, input: DispatchInput) -> CommandResult<Queued> {
    act(&desk, |client| client.dispatch_request(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn receive_request(desk: State<'_, Desk>, input: ReceiveInput) -> CommandResult<Queued> {
    act(&desk, |client| client.receive_request(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_request(desk: State<'_, Desk>, input: RequestStepInput) -> CommandResult<Queued> {
    act(&desk, |client| client.cancel_request(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn replenishment(desk: State<'_, Desk>, input: ReplenishmentInput) -> CommandResult<ReplenishmentProposal> {
    desk.with(|client| client.replenishment(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn replenishment_to_cart(
    desk: State<'_, Desk>,
    input: ReplenishmentToCartInput,
) -> CommandResult<ReplenishmentAdded> {
    let added = desk.with(|client| client.replenishment_to_cart(&input))?;
    desk.local_change(&["carrito_solicitudes"]);
    Ok(added)
}
