//! Taller's desktop app: a Tauri 2 shell over the client library. The only crate of the
//! workspace that depends on Tauri. Commands (`commands/`) are thin; the state they share is
//! [`desk::Desk`]; the UI is `ui/` (built into `ui/dist`, embedded at compile time).

pub mod bindings;
pub mod commands;
pub mod desk;
pub mod error;
pub mod events;
pub mod notify;

mod command_names;
pub use command_names::COMMANDS;

use desk::{DemoAccount, Desk};
use std::path::PathBuf;
use tauri::Manager;

/// How the app was started.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The workstation's data directory.
    pub data_dir: PathBuf,
    /// The server, for a workstation that has none yet.
    pub server: Option<String>,
    /// Demo accounts to offer on the sign-in screen.
    pub demo: Option<Vec<DemoAccount>>,
}

pub fn run(options: Options) -> anyhow::Result<()> {
    let builder = bindings::builder();
    tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            let desk = Desk::open(
                app.handle().clone(),
                options.data_dir.clone(),
                options.server.as_deref(),
                options.demo.clone(),
            )?;
            desk.start_engine();
            app.manage(desk);
            Ok(())
        })
        .run(tauri::generate_context!())?;
    Ok(())
}
