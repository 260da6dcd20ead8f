//! The commands the UI invokes, by area. Each is a few lines over the client library: the web
//! view never sends SQL, and no command builds a mutation or decides anything.
//!
//! A command takes no argument or one named `input` (see `ui/COMMANDS.md`).

// `#[tauri::command]`'s expansion discards a `Result` with `let _`.
#![allow(clippy::let_underscore_must_use)]

pub mod admin;
pub mod app;
pub mod counts;
pub mod export;
pub mod import;
pub mod inbox;
pub mod inventory;
pub mod labels;
pub mod movements;
pub mod notifications;
pub mod orders;
pub mod parts;
pub mod session;
pub mod sync;
pub mod transfers;
pub mod warranties;

use crate::desk::Desk;
use crate::error::CommandResult;
use serde::Deserialize;
use taller_client::{ClientError, Queued, Session};
use uuid::Uuid;

/// A local action (committed with its outbox entry, offline or not), then `tables-changed`
/// for the tables it wrote.
pub(crate) fn act(desk: &Desk, action: impl FnOnce(&Session) -> Result<Queued, ClientError>) -> CommandResult<Queued> {
    let queued = desk.with(action)?;
    desk.local_change(queued.tables);
    Ok(queued)
}

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

/// `{user}`: a user's id or email.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct UserRef {
    pub user: String,
}

/// `{id_notificacion}`.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct NotificationRef {
    pub id_notificacion: Uuid,
}
