//! End-to-end tests of the client library against a real server (real PostgreSQL through
//! `cargo xtask test`, real HTTP, real SQLite files). The `taller` CLI's are in `sync/cli/tests/`.

mod harness;

mod app;
mod convergence;
mod faults;
mod offline;
mod request_names;
mod sync_loop;
