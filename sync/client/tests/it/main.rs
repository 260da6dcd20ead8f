//! End-to-end tests of the client library and the `taller` CLI against a real server (real
//! PostgreSQL through `cargo xtask test`, real HTTP, real SQLite files).

mod harness;

mod app;
mod cli;
mod convergence;
mod crash;
mod faults;
mod offline;
mod sync_loop;
