//! Taller's client library: one SQLite replica per user per device, the outbox of the user's
//! not-yet-acknowledged mutations, optimistic local actions decided by the same rules as the
//! server (`taller-domain`), and the sync engine. Nothing here depends on Tauri: the desktop
//! app and the `taller` CLI are thin shells over it.

pub mod app;
pub mod checkpoint;
pub mod checksum;
pub mod client;
pub mod engine;
pub mod error;
pub mod http;
pub mod local;
pub mod outbox;
pub mod queries;
pub mod replica;
pub mod rows;
pub mod sync;
pub mod sync_lock;
pub mod workstation;

pub use client::{Client, Queued, SignIn, SignOut, Status};
pub use error::ClientError;
pub use replica::Replica;
