//! Integration tests of the sync server against a real PostgreSQL and real HTTP.
//! One binary (see "Delete Cargo Integration Tests"); one module per area.
//!
//! Run them with `cargo xtask test`, which starts one throwaway PostgreSQL cluster for the run
//! (`TALLER_TEST_DATABASE_URL`); each test gets its own database.

mod harness;

mod auth;
mod bad_input;
mod batch;
mod cli;
mod constraints;
mod contention;
mod counts_reject;
mod cursor;
mod exactly_once;
mod feed;
mod http;
mod ledger;
mod mutations;
mod openapi;
mod orders;
mod poison;
mod truncate;
mod unavailable;
mod user_names;
