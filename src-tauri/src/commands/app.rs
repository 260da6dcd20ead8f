//! Facts about the build and the workstation's settings.

use crate::desk::{DemoAccount, Desk};
use crate::error::CommandResult;
use serde::Serialize;
use taller_client::app::Settings;
use tauri::State;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppInfo {
    pub version: String,
    /// The sync protocol version this build speaks.
    pub protocol_version: u32,
    /// The largest quantity one action may move (`taller_domain::stock::MAX_QUANTITY`).
    pub max_quantity: i32,
    /// Present when the shell runs against the demo server: the sign-in screen offers these.
    pub demo: Option<DemoInfo>,
}

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct DemoInfo {
    pub accounts: Vec<DemoAccount>,
}

#[tauri::command]
#[specta::specta]
pub fn app_info(desk: State<'_, Desk>) -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        protocol_version: taller_protocol::PROTOCOL_VERSION,
        max_quantity: taller_domain::stock::MAX_QUANTITY,
        demo: desk.demo.clone().map(|accounts| DemoInfo { accounts }),
    }
}

#[tauri::command]
#[specta::specta]
pub async fn settings(desk: State<'_, Desk>) -> CommandResult<Settings> {
    Ok(desk.workstation().settings())
}

/// Server address, language and sync interval; the engine restarts with them.
#[tauri::command]
#[specta::specta]
pub async fn save_settings(desk: State<'_, Desk>, input: Settings) -> CommandResult<Settings> {
    desk.switch(async |workstation| workstation.save_settings(&input)).await
}
