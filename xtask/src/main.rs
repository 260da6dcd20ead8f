//! `cargo xtask`: the project's automation, in Rust so that it runs wherever cargo does.
//!
//! - `cargo xtask setup`: checks (and installs) what the project needs on this machine.
//! - `cargo xtask test [-- NEXTEST_ARGS]`: the whole test suite against a throwaway PostgreSQL
//!   cluster; what `.ci/run` runs.
//! - `cargo xtask demo`: the sync server with demo data on <http://127.0.0.1:8080> and the
//!   desktop app connected to it.
//! - `cargo xtask bench [--quick]`: the benchmarks; writes bench/results.json and bench/RESULTS.md.
//! - `cargo xtask bundle`: a Debian package of the desktop app in target/bundle.

mod bench;
mod bundle;
mod cmd;
mod demo;
mod setup;
mod signals;
mod test;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask", about = "Taller's project automation", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check what the project needs on this machine (PostgreSQL, cargo-nextest, ...) and
    /// install what is missing.
    Setup,
    /// Run the workspace's tests with nextest against one throwaway PostgreSQL cluster
    /// (exported as TALLER_TEST_DATABASE_URL and TALLER_PG_BIN).
    Test {
        /// Extra arguments for `cargo nextest run`, after `--`
        /// (e.g. `cargo xtask test -- -E 'test(sync)'`).
        #[arg(last = true)]
        nextest_args: Vec<String>,
    },
    /// Serve demo data on 127.0.0.1:8080 (data in .taller/demo) and open the desktop app on it,
    /// with the demo accounts on its sign-in screen.
    Demo,
    /// Run the benchmarks (release build) against a throwaway PostgreSQL cluster; print the
    /// table and write bench/results.json and bench/RESULTS.md.
    Bench {
        /// Tiny sizes and a debug build: checks that the benchmarks work, in well under a minute.
        #[arg(long)]
        quick: bool,
        /// Extra arguments for `taller-bench`, after `--` (e.g. `-- --only search,memory --devices 1000`).
        #[arg(last = true)]
        bench_args: Vec<String>,
    },
    /// Build a Debian package of the desktop app (release build) into target/bundle.
    Bundle {
        /// Package this binary as it is instead of making the release build.
        #[arg(long, value_name = "PATH")]
        binary: Option<std::path::PathBuf>,
        /// Where the .deb goes (default: target/bundle).
        #[arg(long, value_name = "DIR")]
        out_dir: Option<std::path::PathBuf>,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Setup => setup::setup().map(|()| ExitCode::SUCCESS),
        Command::Test { nextest_args } => test::test(&nextest_args),
        Command::Demo => demo::demo(),
        Command::Bench { quick, bench_args } => bench::bench(quick, &bench_args),
        Command::Bundle { binary, out_dir } => {
            bundle::bundle(binary.as_deref(), out_dir.as_deref()).map(|_| ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("xtask: error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
