//! Scooter models and order tracking: the models list and form, orders by level with their
//! ETA (late ones marked), create an order, advance it (a level never goes back: an advance
//! the order already passed is queued with `result.applied = false`), edit its contact and
//! ETA. Who may change them is the library's check (`inventory.edit`).

use super::act;
use crate::desk::Desk;
use crate::error::CommandResult;
use serde::Deserialize;
use taller_client::app::{
    ModelCreateInput, ModelEditInput, OrderAdvanceInput, OrderCreateInput, OrderEditInput, OrderListInput,
    OrderSummary, ScooterModel,
};
use taller_client::Queued;
use tauri::State;

/// `{order}`: an order's id or number.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct OrderRef {
    pub order: String,
}

#[tauri::command]
#[specta::specta]
pub async fn models(desk: State<'_, Desk>) -> CommandResult<Vec<ScooterModel>> {
    desk.with(|client| client.models())
}

#[tauri::command]
#[specta::specta]
pub async fn create_model(desk: State<'_, Desk>, input: ModelCreateInput) -> CommandResult<Queued> {
    act(&desk, |client| client.create_model(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn edit_model(desk: State<'_, Desk>, input: ModelEditInput) -> CommandResult<Queued> {
    act(&desk, |client| client.edit_model(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn orders(desk: State<'_, Desk>, input: OrderListInput) -> CommandResult<Vec<OrderSummary>> {
    desk.with(|client| client.orders(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn order_detail(desk: State<'_, Desk>, input: OrderRef) -> CommandResult<OrderSummary> {
    desk.with(|client| client.order(&input.order))
}

#[tauri::command]
#[specta::specta]
pub async fn create_order(desk: State<'_, Desk>, input: OrderCreateInput) -> CommandResult<Queued> {
    act(&desk, |client| client.create_order(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn advance_order(desk: State<'_, Desk>, input: OrderAdvanceInput) -> CommandResult<Queued> {
    act(&desk, |client| client.advance_order(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn edit_order(desk: State<'_, Desk>, input: OrderEditInput) -> CommandResult<Queued> {
    act(&desk, |client| client.edit_order(&input))
}
