//! `taller-bench`: Taller's benchmark scenarios, each beside the raw limit measured in the same
//! run. Run through `cargo xtask bench`, which starts a throwaway PostgreSQL cluster, builds
//! the release binaries and passes them here. Speed is reported, never asserted.

mod desktop;
mod harness;
mod procfs;
mod report;
mod scenarios;
mod stats;

use anyhow::{Context, Result};
use clap::Parser;
use harness::Pg;
use report::{Report, ScenarioResult};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(name = "taller-bench", about = "Taller's benchmarks (run them with `cargo xtask bench`)")]
struct Cli {
    /// The cluster's `postgres` database URL, as superuser.
    #[arg(long, env = "TALLER_BENCH_DATABASE_URL")]
    database_url: String,
    /// The cluster's directory (for PostgreSQL's CPU time, from its postmaster.pid).
    #[arg(long)]
    pg_dir: Option<PathBuf>,
    /// The `taller-server` binary.
    #[arg(long)]
    server_bin: PathBuf,
    /// The `taller` CLI binary.
    #[arg(long)]
    taller_bin: PathBuf,
    /// The `taller-desktop` app binary (for the `desktop` scenario).
    #[arg(long)]
    desktop_bin: Option<PathBuf>,
    /// Where results.json and RESULTS.md go.
    #[arg(long)]
    out_dir: PathBuf,
    /// Scratch space (replicas, logs); a temporary directory by default.
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Small sizes, for CI: keeps the benchmarks compiling and working.
    #[arg(long)]
    quick: bool,
    /// The build profile of the binaries, for the report.
    #[arg(long, default_value = "release")]
    profile: String,
    /// Only these scenarios (comma-separated names).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Keep the other scenarios of the results.json already in --out-dir: this run's scenarios
    /// replace theirs (or are added), the rest stays as that run measured it (same mode only).
    #[arg(long)]
    merge: bool,
    #[command(flatten)]
    overrides: Overrides,
}

/// Every size can be set; unset ones come from the mode (quick or full).
#[derive(clap::Args, Debug, Default)]
struct Overrides {
    #[arg(long)]
    parts: Option<usize>,
    #[arg(long)]
    locations: Option<usize>,
    #[arg(long)]
    runs: Option<usize>,
    #[arg(long)]
    acts: Option<usize>,
    #[arg(long)]
    backlog: Option<usize>,
    #[arg(long)]
    push_runs: Option<usize>,
    #[arg(long)]
    sync_runs: Option<usize>,
    #[arg(long)]
    devices: Option<usize>,
    #[arg(long)]
    fanout_interval_secs: Option<f64>,
    #[arg(long)]
    fanout_window_secs: Option<f64>,
    #[arg(long)]
    freshness_samples: Option<usize>,
    #[arg(long)]
    slow_parts: Option<usize>,
    #[arg(long)]
    slow_locations: Option<usize>,
    #[arg(long)]
    search_queries: Option<usize>,
}

/// The sizes a run uses.
#[derive(Debug, Clone, Serialize)]
pub struct Sizes {
    /// The big data set (initial sync, search, memory, fan-out).
    pub parts: usize,
    pub locations: usize,
    /// The small workshop network (local action, push backlog, freshness).
    pub small_parts: usize,
    pub small_locations: usize,
    /// Runs of the local-action scenario.
    pub runs: usize,
    /// Local actions per run.
    pub acts: usize,
    /// Offline movements pushed in the push-backlog scenario.
    pub backlog: usize,
    /// Runs of the push-backlog scenario.
    pub push_runs: usize,
    /// Initial syncs of the big replica.
    pub sync_runs: usize,
    pub devices: usize,
    pub fanout_interval_secs: f64,
    pub fanout_window_secs: f64,
    pub freshness_samples: usize,
    pub slow_parts: usize,
    pub slow_locations: usize,
    pub bandwidth_bytes_per_sec: u64,
    pub search_queries: usize,
}

impl Sizes {
    fn new(quick: bool, o: &Overrides) -> Sizes {
        let base = if quick {
            Sizes {
                parts: 2_000,
                locations: 3,
                small_parts: 300,
                small_locations: 3,
                runs: 2,
                acts: 100,
                backlog: 200,
                push_runs: 2,
                sync_runs: 1,
                devices: 50,
                fanout_interval_secs: 2.0,
                fanout_window_secs: 4.0,
                freshness_samples: 5,
                slow_parts: 500,
                slow_locations: 3,
                bandwidth_bytes_per_sec: 125_000,
                search_queries: 200,
            }
        } else {
            Sizes {
                parts: 100_000,
                locations: 10,
                small_parts: 300,
                small_locations: 3,
                runs: 3,
                acts: 1_000,
                backlog: 10_000,
                push_runs: 2,
                sync_runs: 2,
                devices: 20_000,
                fanout_interval_secs: 10.0,
                fanout_window_secs: 30.0,
                freshness_samples: 50,
                slow_parts: 10_000,
                slow_locations: 5,
                bandwidth_bytes_per_sec: 125_000,
                search_queries: 1_000,
            }
        };
        Sizes {
            parts: o.parts.unwrap_or(base.parts),
            locations: o.locations.unwrap_or(base.locations),
            runs: o.runs.unwrap_or(base.runs).max(1),
            acts: o.acts.unwrap_or(base.acts).max(10),
            backlog: o.backlog.unwrap_or(base.backlog).max(1),
            push_runs: o.push_runs.unwrap_or(base.push_runs).max(1),
            sync_runs: o.sync_runs.unwrap_or(base.sync_runs).max(1),
            devices: o.devices.unwrap_or(base.devices).max(1),
            fanout_interval_secs: o.fanout_interval_secs.unwrap_or(base.fanout_interval_secs),
            fanout_window_secs: o.fanout_window_secs.unwrap_or(base.fanout_window_secs),
            freshness_samples: o.freshness_samples.unwrap_or(base.freshness_samples).max(1),
            slow_parts: o.slow_parts.unwrap_or(base.slow_parts),
            slow_locations: o.slow_locations.unwrap_or(base.slow_locations),
            search_queries: o.search_queries.unwrap_or(base.search_queries).max(10),
            ..base
        }
    }
}

/// What every scenario gets.
pub struct Ctx {
    pub pg: Pg,
    pub server_bin: PathBuf,
    pub taller_bin: PathBuf,
    pub desktop_bin: Option<PathBuf>,
    pub work: PathBuf,
    pub sizes: Sizes,
    pub quick: bool,
}

/// The scenarios, in the order they run.
const SCENARIOS: &[&str] = &[
    "local_action",
    "push_backlog",
    "freshness",
    "slow_link",
    "initial_sync",
    "search",
    "memory",
    "fan_out",
    "desktop",
];

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // The fan-out scenario's simulated devices each hold a socket open, in this process and
    // in the server it starts (which inherits the limit): 20,000 devices need more than a
    // common hard limit of 20,000 open files. Raising the hard limit needs the privilege to;
    // without it the soft limit is raised to the hard one and a scenario that needs more
    // fails at its connections, saying so.
    let wanted = 65_536;
    if let Ok((_, hard)) = rlimit::getrlimit(rlimit::Resource::NOFILE) {
        if hard < wanted && rlimit::setrlimit(rlimit::Resource::NOFILE, wanted, wanted).is_err() {
            eprintln!("taller-bench: the open files limit stays at {hard} (raising it needs the privilege to)");
        }
    }
    if let Err(error) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("taller-bench: could not raise the open files limit: {error}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("taller-bench: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // SIGTERM or Ctrl-C: drop the run, which stops the servers it started (kill on drop).
    let outcome = runtime.block_on(async {
        tokio::select! {
            outcome = run(cli) => outcome,
            () = signalled() => Err(anyhow::anyhow!("interrupted")),
        }
    });
    match outcome {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(2),
        Err(error) => {
            eprintln!("taller-bench: error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn signalled() {
    let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// Runs the selected scenarios; `Ok(false)` when some failed (the report says which).
async fn run(cli: Cli) -> Result<bool> {
    let started = Instant::now();
    let started_at = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    let loadavg_before = procfs::loadavg();
    let machine = procfs::Machine::describe();
    let sizes = Sizes::new(cli.quick, &cli.overrides);
    let temp = tempfile::Builder::new().prefix("taller-bench-").tempdir()?;
    let work = cli.work_dir.clone().unwrap_or_else(|| temp.path().to_owned());
    std::fs::create_dir_all(&work)?;
    let ctx = Ctx {
        pg: Pg::new(cli.database_url.clone(), cli.pg_dir.clone()),
        server_bin: cli.server_bin.clone(),
        taller_bin: cli.taller_bin.clone(),
        desktop_bin: cli.desktop_bin.clone(),
        work,
        sizes,
        quick: cli.quick,
    };
    let selected: Vec<&str> =
        SCENARIOS.iter().copied().filter(|name| cli.only.is_empty() || cli.only.iter().any(|o| o == name)).collect();
    note(&format!("sizes: {:?}", ctx.sizes));
    let mut setup = Vec::new();
    let mut results: Vec<ScenarioResult> = Vec::new();
    let mut failures = Vec::new();
    let mut shared = scenarios::Shared::default();
    match scenarios::prepare(&ctx, &selected, &mut shared).await {
        Ok(lines) => setup.extend(lines),
        Err(error) => failures.push(format!("setup: {error:#}")),
    }
    if failures.is_empty() {
        for name in &selected {
            note(&format!("scenario {name}"));
            let scenario_started = Instant::now();
            match scenarios::run(name, &ctx, &mut shared).await {
                Ok(mut result) => {
                    result.seconds = scenario_started.elapsed().as_secs_f64();
                    note(&format!("scenario {name} done in {:.1} s", result.seconds));
                    results.push(result);
                }
                Err(error) => {
                    note(&format!("scenario {name} FAILED: {error:#}"));
                    failures.push(format!("{name}: {error:#}"));
                }
            }
        }
    }
    shared.finish().await;
    let report = Report {
        mode: if cli.quick { "quick" } else { "full" }.into(),
        build_profile: cli.profile.clone(),
        started_at,
        wall_seconds: started.elapsed().as_secs_f64(),
        machine,
        loadavg_before,
        loadavg_after: procfs::loadavg(),
        setup,
        scenarios: results,
        failures,
    };
    let ok = report.failures.is_empty();
    let report = if cli.merge { merge(&cli.out_dir.join("results.json"), report)? } else { report };
    write(&cli, &ctx, &report)?;
    Ok(ok)
}

/// `report`'s scenarios put into the earlier report at `path` (replacing those of the same
/// name, the others in [`SCENARIOS`] order); its header stays, with a line saying what was
/// re-run when.
fn merge(path: &std::path::Path, report: Report) -> Result<Report> {
    let text = std::fs::read_to_string(path).with_context(|| format!("--merge: reading {}", path.display()))?;
    let mut earlier: Report =
        serde_json::from_str(&text).with_context(|| format!("--merge: {} is not a report", path.display()))?;
    if earlier.mode != report.mode {
        anyhow::bail!("--merge: {} holds a {} run, this one is {}", path.display(), earlier.mode, report.mode);
    }
    let names: Vec<String> = report.scenarios.iter().map(|s| s.name.clone()).collect();
    earlier.scenarios.retain(|s| !names.contains(&s.name));
    earlier.failures.retain(|f| !names.iter().any(|name| f.starts_with(&format!("{name}:"))));
    earlier.scenarios.extend(report.scenarios);
    let order = |name: &str| SCENARIOS.iter().position(|s| *s == name).unwrap_or(usize::MAX);
    earlier.scenarios.sort_by_key(|s| order(&s.name));
    earlier.failures.extend(report.failures);
    earlier.setup.push(format!(
        "Scenario(s) {} re-run on {} ({} build, load average before `{}`, after `{}`, {:.0} s) and merged into this \
         report; the rest is from the run above.",
        names.join(", "),
        report.started_at,
        report.build_profile,
        report.loadavg_before,
        report.loadavg_after,
        report.wall_seconds
    ));
    earlier.setup.extend(report.setup);
    Ok(earlier)
}

fn write(cli: &Cli, ctx: &Ctx, report: &Report) -> Result<()> {
    std::fs::create_dir_all(&cli.out_dir)?;
    let json_path = cli.out_dir.join("results.json");
    let mut value = serde_json::to_value(report)?;
    value["sizes"] = serde_json::to_value(&ctx.sizes)?;
    std::fs::write(&json_path, serde_json::to_string_pretty(&value)? + "\n")
        .with_context(|| format!("writing {}", json_path.display()))?;
    let md_path = cli.out_dir.join("RESULTS.md");
    std::fs::write(&md_path, report::markdown(report, &scenarios::preamble(ctx)))
        .with_context(|| format!("writing {}", md_path.display()))?;
    println!("{}", report::table(report));
    if !report.failures.is_empty() {
        println!("FAILED scenarios:");
        for failure in &report.failures {
            println!("  {failure}");
        }
    }
    note(&format!("wrote {} and {}", json_path.display(), md_path.display()));
    Ok(())
}

pub fn note(what: &str) {
    eprintln!("taller-bench: {what}");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed full run, merged with a run of one scenario: that one is added (or
    /// replaced) in its place, the others stay as they were.
    #[test]
    fn a_run_of_some_scenarios_merges_into_the_last_full_run() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("results.json");
        std::fs::write(&path, include_str!("../results.json")).expect("write");
        let earlier: Report =
            serde_json::from_str(include_str!("../results.json")).expect("the committed report reads back");
        let before: Vec<String> = earlier.scenarios.iter().map(|s| s.name.clone()).collect();
        assert!(!before.is_empty(), "the committed report has scenarios");

        let mut run = earlier.clone();
        run.started_at = "later".into();
        let mut desktop = ScenarioResult::new("desktop", "Desktop app", "tiny".into());
        desktop.figures.push(report::Figure::new("cold start", "ms", vec![900.0]));
        let mut replaced = earlier.scenarios[0].clone();
        replaced.sizes = "re-run".into();
        run.scenarios = vec![desktop, replaced];
        run.failures = vec![format!("{}: an old failure", before[0])];
        run.setup = vec!["the re-run's setup".into()];

        let merged = merge(&path, run.clone()).expect("merge");
        let names: Vec<&str> = merged.scenarios.iter().map(|s| s.name.as_str()).collect();
        let mut want: Vec<&str> = before.iter().map(String::as_str).filter(|n| *n != "desktop").collect();
        want.push("desktop");
        assert_eq!(names, want, "every scenario once, in the run order, desktop last");
        assert_eq!(merged.scenarios[0].sizes, "re-run", "a re-run scenario replaces the earlier one");
        assert_eq!(merged.started_at, earlier.started_at, "the header stays the earlier run's");
        assert!(merged.setup.iter().any(|line| line.contains("re-run on later")), "says what was re-run when");
        assert_eq!(merged.failures, run.failures);

        let mut quick = run;
        quick.mode = "quick".into();
        assert!(merge(&path, quick).is_err(), "a quick run never merges into a full one");
    }
}
