//! The commands the UI invokes, by area. Each is a few lines over the client library: the web
//! view never sends SQL, and no command builds a mutation or decides anything.
//!
//! A command takes no argument or one named `input` (see `ui/COMMANDS.md`).

// `#[tauri::command]`'s expansion discards a `Result` with `let _`.
#![allow(clippy::let_underscore_must_use)]

pub mod app;
pub mod inbox;
pub mod inventory;
pub mod movements;
pub mod notifications;
pub mod parts;
pub mod session;
pub mod sync;

use serde::Deserialize;
use uuid::Uuid;

/// `{id_localizacion}`.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct LocationRef {
    pub id_localizacion: Uuid,
}

/// `{id_repuesto}`.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct PartRef {
    pub id_repuesto: Uuid,
}

/// `{id_notificacion}`.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct NotificationRef {
    pub id_notificacion: Uuid,
}
