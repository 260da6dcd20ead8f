//! Who works at this workstation: sign in (online), unlock (offline), sign out, and the users
//! whose replicas are here. Each is a workstation change: the engine restarts for the new user.

use crate::desk::Desk;
use crate::error::CommandResult;
use serde::Deserialize;
use taller_client::app::WorkstationUser;
use taller_protocol::messages::UserProfile;
use tauri::State;

#[derive(Clone, Deserialize, specta::Type)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("email", &self.email).finish_non_exhaustive()
    }
}

#[tauri::command]
#[specta::specta]
pub async fn workstation_users(desk: State<'_, Desk>) -> CommandResult<Vec<WorkstationUser>> {
    desk.with_workstation(|workstation| workstation.workstation_users())
}

#[tauri::command]
#[specta::specta]
pub async fn current_user(desk: State<'_, Desk>) -> CommandResult<Option<UserProfile>> {
    desk.with_workstation(|workstation| workstation.current_profile())
}

/// Online sign-in; what the user left pending here is sent with their own session.
#[tauri::command]
#[specta::specta]
pub async fn sign_in(desk: State<'_, Desk>, input: Credentials) -> CommandResult<UserProfile> {
    desk.switch(async |workstation| workstation.sign_in(&input.email, &input.password).await.map(|signed| signed.user))
        .await
}

/// Offline unlock with the credential cached at the last online sign-in.
#[tauri::command]
#[specta::specta]
pub async fn unlock(desk: State<'_, Desk>, input: Credentials) -> CommandResult<UserProfile> {
    desk.switch(async |workstation| {
        workstation.unlock(&input.email, &input.password)?.profile()?.ok_or(taller_client::ClientError::NotSignedIn)
    })
    .await
}

/// Signs out; the replica and its pending changes stay for the user's next sign-in.
#[tauri::command]
#[specta::specta]
pub async fn sign_out(desk: State<'_, Desk>) -> CommandResult<()> {
    desk.switch(async |workstation| workstation.logout().map(|_| ())).await
}
