//! Taller's sync wire protocol. Plain data and pure functions: this crate does no I/O.
//!
//! - [`mutations`]: the catalogue of domain intents a device pushes, with their arguments.
//! - [`messages`]: push, pull, auth and error bodies.
//! - [`tables`]: the replicated tables and their columns, in wire order.
//! - [`cursor`]: the opaque pull cursor (transaction-visibility snapshots).
//! - [`checksum`]: per-table checksums comparable between a replica and the server.

pub mod checksum;
pub mod cursor;
pub mod messages;
pub mod mutations;
pub mod tables;
pub mod validate;

/// The protocol version this build speaks. Sent by every request in [`PROTOCOL_HEADER`].
pub const PROTOCOL_VERSION: u32 = 1;
/// The oldest client protocol this build still serves (contract invariant 11: at least one
/// version behind once there is one).
pub const MIN_SUPPORTED_PROTOCOL: u32 = 1;
/// The request header that carries the client's protocol version.
pub const PROTOCOL_HEADER: &str = "taller-protocol";

/// Largest push body the server accepts.
pub const MAX_PUSH_BYTES: usize = 1024 * 1024;
/// Largest number of mutations in one push.
pub const MAX_PUSH_MUTATIONS: usize = 1000;
