//! `cargo xtask test`: the workspace's tests against one throwaway PostgreSQL cluster.
//!
//! In order: the UI's tests and production build (`ui/`: `npm test`, `npm run build`; the
//! desktop crate embeds `ui/dist`), `cargo fmt --check`, `cargo clippy --workspace
//! --all-targets -- -D warnings`, the same for the CLI, the desktop crate and the benchmarks
//! alone (the client library without its `internals` feature), the workspace's programs, nextest (the desktop app's
//! end-to-end tests among them, in the real window under Xvfb), then the benchmarks in quick
//! mode.
//!
//! Tests that need a database read `TALLER_TEST_DATABASE_URL` (the cluster's `postgres`
//! database, as superuser: create a database of your own per test) and may use the binaries
//! in `TALLER_PG_BIN`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use taller_pgcluster::{Cluster, Options, BIN_DIR_ENV, LOCATION_FILE};

use crate::{cmd, setup, signals};

/// The variable holding the test cluster's URL (its `postgres` database).
pub const DATABASE_URL_ENV: &str = "TALLER_TEST_DATABASE_URL";

pub fn test(nextest_args: &[String]) -> Result<ExitCode> {
    setup::setup()?;
    let root = cmd::workspace_root();
    ui(&root)?;
    if nextest_args.is_empty() {
        cmd::run(cmd::cargo().args(["fmt", "--all", "--check"]).current_dir(&root))?;
        cmd::run(
            cmd::cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]).current_dir(&root),
        )?;
        // Built alone (no test targets), the CLI, the desktop app and the benchmarks get the
        // client library without its `internals` feature (which the library's own tests turn
        // on): this holds the shells and the benchmarks to the library's public API.
        cmd::run(
            cmd::cargo()
                .args([
                    "clippy",
                    "-p",
                    "taller-cli",
                    "-p",
                    "taller-desktop",
                    "-p",
                    "taller-bench",
                    "--",
                    "-D",
                    "warnings",
                ])
                .current_dir(&root),
        )?;
    }
    // Tests that spawn the workspace's programs need them built.
    cmd::run(cmd::cargo().args(["build", "--workspace", "--bins"]).current_dir(&root))?;

    let caught = signals::catch()?;
    let dir = std::env::temp_dir().join(format!("taller-test-{}", std::process::id()));
    remove_cluster_dirs(&dir)?;
    cmd::note(&format!("starting a throwaway PostgreSQL cluster in {}", dir.display()));
    let started = Instant::now();
    let cluster = match Cluster::start(&dir, &Options::throwaway()) {
        Ok(cluster) => cluster,
        Err(error) => {
            remove_cluster_dirs(&dir)?;
            return Err(error).context("could not start the test cluster");
        }
    };
    cmd::note(&format!(
        "PostgreSQL from {} listening on 127.0.0.1:{}, started in {} ms",
        cluster.bin_dir().display(),
        cluster.port(),
        started.elapsed().as_millis()
    ));

    let outcome = if caught.any() {
        Err(anyhow::anyhow!("interrupted"))
    } else {
        run_nextest(&root, &cluster, nextest_args, &caught)
    };
    let teardown = teardown(cluster, &dir);
    let status = outcome?;
    teardown?;
    if !status.success() || caught.any() || !nextest_args.is_empty() {
        return Ok(cmd::exit_code(status));
    }
    if skip_bench() {
        return Ok(ExitCode::SUCCESS);
    }
    // The benchmarks in quick mode, so that they keep compiling and working. Their figures go
    // to target/bench-quick (not bench/, which holds the last full run) and say nothing.
    let out_dir = cmd::target_dir(&root).join("bench-quick");
    let args = ["--out-dir".to_string(), out_dir.display().to_string()];
    crate::bench::bench(true, &args)
}

/// The desktop front end's unit tests (Vitest, once), then its production build, which
/// type-checks it; either failing fails the run. `setup` has run `npm ci` when needed.
fn ui(root: &Path) -> Result<()> {
    let dir = root.join("ui");
    cmd::run(Command::new("npm").arg("test").current_dir(&dir))?;
    cmd::run(Command::new("npm").args(["run", "build"]).current_dir(&dir))
}

/// `PATH` with `dir` appended (when it is not there already).
pub(crate) fn path_with(dir: &Path) -> std::ffi::OsString {
    let mut dirs: Vec<PathBuf> =
        std::env::var_os("PATH").map(|path| std::env::split_paths(&path).collect()).unwrap_or_default();
    if !dirs.iter().any(|existing| existing == dir) {
        dirs.push(dir.to_owned());
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// `TALLER_SKIP_BENCH=1` leaves the quick benchmark run out (it is also left out when nextest
/// is given arguments, e.g. to run one test).
fn skip_bench() -> bool {
    std::env::var_os("TALLER_SKIP_BENCH").is_some_and(|v| !v.is_empty() && v != "0")
}

fn run_nextest(
    root: &Path,
    cluster: &Cluster,
    nextest_args: &[String],
    caught: &signals::Caught,
) -> Result<ExitStatus> {
    let mut command = cmd::cargo();
    command
        .args(["nextest", "run", "--workspace", "--no-fail-fast"])
        .current_dir(root)
        .env(DATABASE_URL_ENV, cluster.url("postgres"))
        .env(BIN_DIR_ENV, cluster.bin_dir())
        // tauri-driver, for the desktop app's end-to-end tests, where `cargo install` put it.
        .env("PATH", path_with(&setup::cargo_bin_dir()));
    if std::env::var_os("CI").is_some_and(|ci| !ci.is_empty()) {
        command.args(["--profile", "ci"]);
    }
    command.args(nextest_args);

    cmd::announce(&cmd::display(&command));
    let mut child = command.spawn().with_context(|| format!("could not run `{}`", cmd::display(&command)))?;
    let mut told = false;
    loop {
        if let Some(status) = child.try_wait().context("waiting for nextest")? {
            return Ok(status);
        }
        if caught.terminated() && !told {
            told = true;
            cmd::note("SIGTERM: stopping the test run");
            let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            if !status.is_ok_and(|s| s.success()) {
                child.kill().context("killing nextest")?;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Stops the cluster and removes its directories, reporting (not hiding) failures.
pub(crate) fn teardown(cluster: Cluster, dir: &Path) -> Result<()> {
    let stopped = cluster.stop().context("could not stop the test cluster");
    let removed = remove_cluster_dirs(dir);
    cmd::note(&format!(
        "test cluster {} and {} removed",
        if stopped.is_ok() { "stopped" } else { "NOT stopped" },
        dir.display()
    ));
    stopped?;
    removed
}

/// Removes `dir` and, if the cluster had to live elsewhere, that directory too.
pub(crate) fn remove_cluster_dirs(dir: &Path) -> Result<()> {
    if let Ok(location) = std::fs::read_to_string(dir.join(LOCATION_FILE)) {
        remove_dir(&PathBuf::from(location.trim()))?;
    }
    remove_dir(dir)
}

fn remove_dir(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("could not remove {}", dir.display())),
    }
}
