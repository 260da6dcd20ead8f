//! Taller's client library: one SQLite replica per user per device, the outbox of the user's
//! not-yet-acknowledged mutations, optimistic local actions decided by the same rules as the
//! server (`taller-domain`), and the sync engine. Nothing here depends on Tauri: the desktop
//! app and the `taller` CLI are thin shells over it.

/// Declares modules that are the library's internals: `pub(crate)`, and `pub` only with the
/// `internals` feature, which only the library's own integration tests turn on (to stage
/// hostile pages, corrupt cursors and reach the raw replica). The CLI, the desktop app and the
/// benchmarks build without it, so the compiler holds them to the public API (`cargo xtask
/// test` lints them on their own); the benchmarks measure through [`probe`].
macro_rules! internals {
    ($($(#[$meta:meta])* $name:ident;)*) => {$(
        $(#[$meta])*
        #[cfg(feature = "internals")]
        pub mod $name;
        $(#[$meta])*
        #[cfg(not(feature = "internals"))]
        #[allow(dead_code, unused_imports)]
        pub(crate) mod $name;
    )*};
}

/// A method of [`Session`] that hands out an internal (the raw replica, the server API): `pub`
/// only with the `internals` feature.
macro_rules! internal_fn {
    ($(#[$meta:meta])* fn $name:ident(&$self:ident) -> $ret:ty $body:block) => {
        $(#[$meta])*
        #[cfg(feature = "internals")]
        pub fn $name(&$self) -> $ret $body
        $(#[$meta])*
        #[cfg(not(feature = "internals"))]
        #[allow(dead_code)]
        pub(crate) fn $name(&$self) -> $ret $body
    };
}

pub mod app;
pub mod engine;
pub mod error;
pub mod export;
pub mod labels;
pub mod probe;
pub mod session;
pub mod workstation;

internals! {
    bulk;
    checkpoint;
    checksum;
    http;
    local;
    outbox;
    queries;
    replica;
    rows;
    sync;
    sync_lock;
}

pub use error::ClientError;
#[cfg(feature = "internals")]
pub use replica::Replica;
pub use session::{Queued, Session, SignIn, SignOut, Status};
pub use sync::{Progress, SyncReport};
pub use workstation::Workstation;
