//! End-to-end tests of the desktop app in its real window: the `taller-desktop` binary under a
//! private Xvfb display, driven through tauri-driver (WebKitWebDriver) with fantoccini, against
//! the real `taller-server` process on PostgreSQL, with the `taller` CLI as a second device.
//! Each test starts everything it uses and kills it at the end (see `harness`). Screenshots of
//! every screen go to `target/screenshots/` (and `docs/screenshots/` with
//! `TALLER_UPDATE_SCREENSHOTS=1`).
//!
//! Needs `cargo build --workspace --bins` (the server and the CLI next to the app), Xvfb,
//! dbus-daemon, WebKitWebDriver and tauri-driver (`cargo xtask setup`). Run with
//! `cargo nextest run -p taller-desktop --test e2e` (one at a time: the `desktop-e2e` group).

// Tearing down (killing processes that may already be gone) ignores the outcome on purpose.
#![allow(clippy::let_underscore_must_use)]

mod counts;
mod export;
mod harness;
mod import;
mod inbox;
mod labels;
mod movement;
mod orders;
mod replenish;
mod session;
mod signin;
mod transfers;
mod users;
mod warranties;
