//! End-to-end tests of the `taller` CLI as a script uses it, against a real server (real
//! PostgreSQL through `cargo xtask test`, real HTTP, real SQLite files), and `kill -9` of it
//! at random instants.

mod harness;

mod cli;
mod crash;
mod export;
mod import;
mod labels;
