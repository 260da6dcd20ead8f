//! Administration (`users.manage`): the accounts, approving or rejecting one, and its
//! locations. Users are named by email or id and locations by name or id; the library decides
//! who may.

use crate::desk::Desk;
use crate::error::CommandResult;
use taller_client::app::{
    LocationPolicyInput, LocationPolicyRow, RoleView, UserAccount, UserLocationInput, UserRejectInput,
};
use taller_client::Queued;
use tauri::State;

#[tauri::command]
#[specta::specta]
pub async fn users(desk: State<'_, Desk>) -> CommandResult<Vec<UserAccount>> {
    desk.with(|client| client.users())
}

#[tauri::command]
#[specta::specta]
pub async fn approve_user(desk: State<'_, Desk>, input: super::UserRef) -> CommandResult<Queued> {
    super::act(&desk, |client| client.approve_user(&input.user))
}

#[tauri::command]
#[specta::specta]
pub async fn reject_user(desk: State<'_, Desk>, input: UserRejectInput) -> CommandResult<Queued> {
    super::act(&desk, |client| client.reject_user(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn assign_user(desk: State<'_, Desk>, input: UserLocationInput) -> CommandResult<Queued> {
    super::act(&desk, |client| client.assign_user(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn unassign_user(desk: State<'_, Desk>, input: UserLocationInput) -> CommandResult<Queued> {
    super::act(&desk, |client| client.unassign_user(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn location_policies(desk: State<'_, Desk>) -> CommandResult<Vec<LocationPolicyRow>> {
    desk.with(|client| client.location_policies())
}

#[tauri::command]
#[specta::specta]
pub async fn set_location_policy(desk: State<'_, Desk>, input: LocationPolicyInput) -> CommandResult<Queued> {
    super::act(&desk, |client| client.set_location_policy(&input))
}

#[tauri::command]
#[specta::specta]
pub async fn roles(desk: State<'_, Desk>) -> CommandResult<Vec<RoleView>> {
    desk.with(|client| client.roles())
}
