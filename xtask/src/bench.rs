//! `cargo xtask bench [--quick] [-- TALLER_BENCH_ARGS]`: the benchmarks.
//!
//! Builds the UI (`npm run build` in `ui/`: the desktop app embeds `ui/dist`), then
//! `taller-server`, `taller`, `taller-desktop` and `taller-bench` (release; debug with
//! `--quick`), starts a throwaway PostgreSQL cluster with `pg_stat_statements` preloaded (for
//! the profiles), runs `taller-bench` against it, and tears the cluster down. `taller-bench` prints the table and
//! writes `bench/results.json` and `bench/RESULTS.md`; `-- --only NAME --merge` re-runs some
//! scenarios into the figures already there (the others stay as measured).

use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use taller_pgcluster::{Cluster, Options};

use crate::test::{remove_cluster_dirs, teardown};
use crate::{cmd, setup, signals};

pub fn bench(quick: bool, bench_args: &[String]) -> Result<ExitCode> {
    setup::setup()?;
    let root = cmd::workspace_root();
    let profile = if quick { "debug" } else { "release" };
    let mut build = cmd::cargo();
    // The desktop app embeds ui/dist: the UI's production build first, as `cargo xtask test` does.
    cmd::run(Command::new("npm").args(["run", "build"]).current_dir(root.join("ui")))?;
    build
        .args(["build", "-p", "taller-server", "-p", "taller-cli", "-p", "taller-bench", "-p", "taller-desktop"])
        .current_dir(&root);
    if !quick {
        build.arg("--release");
    }
    cmd::run(&mut build)?;
    let bin = cmd::target_dir(&root).join(profile);

    let caught = signals::catch()?;
    let dir = std::env::temp_dir().join(format!("taller-bench-{}", std::process::id()));
    remove_cluster_dirs(&dir)?;
    cmd::note(&format!("starting a throwaway PostgreSQL cluster in {}", dir.display()));
    let started = Instant::now();
    let cluster = match start_cluster(&dir) {
        Ok(cluster) => cluster,
        Err(error) => {
            remove_cluster_dirs(&dir)?;
            return Err(error);
        }
    };
    cmd::note(&format!(
        "PostgreSQL listening on 127.0.0.1:{}, started in {} ms",
        cluster.port(),
        started.elapsed().as_millis()
    ));

    let mut command = Command::new(bin.join("taller-bench"));
    command
        .arg("--database-url")
        .arg(cluster.url("postgres"))
        .arg("--pg-dir")
        .arg(cluster.dir())
        .arg("--server-bin")
        .arg(bin.join("taller-server"))
        .arg("--taller-bin")
        .arg(bin.join("taller"))
        .arg("--desktop-bin")
        .arg(bin.join("taller-desktop"))
        .args(["--profile", profile])
        .args(quick.then_some("--quick"))
        .args(bench_args)
        .current_dir(&root)
        // tauri-driver, for the desktop scenario, where `cargo install` put it.
        .env("PATH", crate::test::path_with(&setup::cargo_bin_dir()));
    // bench/results.json and bench/RESULTS.md, unless told otherwise (e.g. for a one-off run).
    if !bench_args.iter().any(|arg| arg == "--out-dir" || arg.starts_with("--out-dir=")) {
        command.arg("--out-dir").arg(root.join("bench"));
    }
    let outcome = if caught.any() { Err(anyhow::anyhow!("interrupted")) } else { run(&mut command, &caught) };
    let torn_down = teardown(cluster, &dir);
    let code = outcome?;
    torn_down?;
    cmd::note(&format!("bench finished in {:.0} s", started.elapsed().as_secs_f64()));
    Ok(code)
}

/// A throwaway cluster, restarted once so that `pg_stat_statements` is preloaded (and tracks
/// planning time).
fn start_cluster(dir: &std::path::Path) -> Result<Cluster> {
    let cluster = Cluster::start(dir, &Options::throwaway()).context("could not start the bench cluster")?;
    cluster
        .psql("postgres", "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
        .context("could not enable pg_stat_statements")?;
    cluster.stop().context("could not restart the bench cluster")?;
    let cluster = Cluster::start(dir, &Options::throwaway()).context("could not restart the bench cluster")?;
    // Planning time too, now that the module is loaded and knows the setting.
    cluster
        .psql("postgres", "ALTER SYSTEM SET pg_stat_statements.track_planning = on")
        .and_then(|_| cluster.psql("postgres", "SELECT pg_reload_conf()"))
        .context("could not turn on pg_stat_statements.track_planning")?;
    Ok(cluster)
}

/// Runs the bench, passing SIGTERM on to it (Ctrl-C reaches it through the process group).
fn run(command: &mut Command, caught: &signals::Caught) -> Result<ExitCode> {
    cmd::announce(&cmd::display(command));
    let mut child = command.spawn().with_context(|| format!("could not run `{}`", cmd::display(command)))?;
    let mut told = false;
    loop {
        if let Some(status) = child.try_wait().context("waiting for taller-bench")? {
            return Ok(cmd::exit_code(status));
        }
        if caught.terminated() && !told {
            told = true;
            cmd::note("SIGTERM: stopping the bench");
            let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            if !status.is_ok_and(|s| s.success()) {
                child.kill().context("killing taller-bench")?;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
