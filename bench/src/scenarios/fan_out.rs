//! Fan-out: N simulated devices, each holding the live channel (/v1/events) open and pulling
//! every interval with nothing new, against the real `taller-server` binary on the big data
//! set. Measured: the latency of those pulls, the server's CPU (from /proc/PID/stat) and
//! resident memory (VmRSS); beside the latency of /healthz (answered from memory) on the same
//! server at the same time.

use super::{ensure_big_replica, Shared, BIG};
use crate::harness::{Pg, ServerProc, Statements};
use crate::procfs::{status_kb, CpuMeter};
use crate::report::{number, Figure, ScenarioResult, Target};
use crate::stats::{ms, percentile};
use crate::{note, Ctx};
use anyhow::{Context, Result};
use futures::StreamExt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use taller_client::Workstation;
use taller_protocol::messages::{PullRequest, PullResponse};
use taller_protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION};

/// The devices' tasks, aborted when the scenario ends, however it ends (a task left running
/// would keep its socket open into the next scenario).
struct Tasks(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// (when it finished, how long it took) of each pull.
type Samples = Arc<Mutex<Vec<(Instant, f64)>>>;

pub async fn run(ctx: &Ctx, shared: &mut Shared) -> Result<ScenarioResult> {
    let s = &ctx.sizes;
    // Each device holds a socket in this process and in the server (which inherits this
    // process's limit): the devices asked for, as many as the open-files limit leaves room for.
    let files = rlimit::getrlimit(rlimit::Resource::NOFILE).map(|(soft, _)| soft).unwrap_or(1024);
    let devices = s.devices.min(usize::try_from(files / 2).unwrap_or(usize::MAX)).max(1);
    let replica_dir = ensure_big_replica(ctx, shared).await?;
    let cursor =
        Workstation::open(&replica_dir)?.session()?.probe().cursor()?.context("the big replica has no cursor")?;
    let mut result = ScenarioResult::new(
        "fan_out",
        "Fan-out",
        format!(
            "{} devices, a pull every {} s each, measured over {} s, on {} parts x {} locations",
            devices, s.fanout_interval_secs, s.fanout_window_secs, s.parts, s.locations
        ),
    );
    // A fresh server process, so its memory is this scenario's alone.
    let server = ServerProc::start(&ctx.server_bin, &ctx.pg.url(BIG), &ctx.work.join("server-fanout.log")).await?;
    let rss_idle = server.rss_kb();
    let token = crate::harness::access_token(&server.base, "admin@taller.test").await?;
    let http = reqwest::Client::builder().gzip(true).pool_max_idle_per_host(usize::MAX).build()?;
    let events_url = format!("{}/v1/events", server.base);
    let pull_url = format!("{}/v1/pull", server.base);

    // Open the live channels, a batch at a time, each confirmed by its `hello`.
    note(&format!("opening {} live channels", devices));
    let connected = Arc::new(AtomicU64::new(0));
    let events_seen = Arc::new(AtomicU64::new(0));
    let mut streams = Tasks(Vec::with_capacity(devices));
    for batch in 0..devices.div_ceil(100) {
        let count = (devices - batch * 100).min(100);
        let target = connected.load(Ordering::SeqCst) + count as u64;
        for _ in 0..count {
            let (http, url, token) = (http.clone(), events_url.clone(), token.clone());
            let (connected, events_seen) = (connected.clone(), events_seen.clone());
            streams.0.push(tokio::spawn(async move {
                let Ok(response) =
                    http.get(url).bearer_auth(token).header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string()).send().await
                else {
                    return;
                };
                let mut stream = response.bytes_stream();
                let mut hello = false;
                while let Some(Ok(chunk)) = stream.next().await {
                    if !hello && String::from_utf8_lossy(&chunk).contains("event: hello") {
                        hello = true;
                        connected.fetch_add(1, Ordering::SeqCst);
                    } else if String::from_utf8_lossy(&chunk).contains("event: changes") {
                        events_seen.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }));
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while connected.load(Ordering::SeqCst) < target && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    let open = connected.load(Ordering::SeqCst);
    let rss_connected = server.rss_kb();

    // The devices' pulls, spread evenly over the interval.
    let interval = Duration::from_secs_f64(s.fanout_interval_secs);
    let samples: Samples = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut pullers = Tasks(Vec::with_capacity(devices));
    for i in 0..devices {
        let offset = interval.mul_f64(i as f64 / devices as f64);
        let (http, url, token, mut cursor) = (http.clone(), pull_url.clone(), token.clone(), cursor.clone());
        let (samples, errors) = (samples.clone(), errors.clone());
        pullers.0.push(tokio::spawn(async move {
            let mut next = start + offset;
            loop {
                tokio::time::sleep_until(next.into()).await;
                next += interval;
                let t = Instant::now();
                let answer = async {
                    let response = http
                        .post(&url)
                        .bearer_auth(&token)
                        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                        .json(&PullRequest { cursor: Some(cursor.clone()), limit: None })
                        .send()
                        .await?
                        .error_for_status()?;
                    let page: PullResponse = serde_json::from_slice(&response.bytes().await?)?;
                    anyhow::Ok(page)
                }
                .await;
                match answer {
                    Ok(page) => {
                        cursor = page.cursor;
                        let took = ms(t.elapsed());
                        samples.lock().unwrap_or_else(|p| p.into_inner()).push((Instant::now(), took));
                    }
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    // The limit: /healthz on the same server, meanwhile, on its own connection.
    let health: Samples = Arc::new(Mutex::new(Vec::new()));
    let prober = {
        let health = health.clone();
        let url = format!("{}/healthz", server.base);
        let probe = reqwest::Client::builder().build()?;
        tokio::spawn(async move {
            loop {
                let t = Instant::now();
                if let Ok(response) = probe.get(&url).send().await {
                    if response.bytes().await.is_ok() {
                        health.lock().unwrap_or_else(|p| p.into_inner()).push((Instant::now(), ms(t.elapsed())));
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    // One interval to settle, then the measured window.
    tokio::time::sleep(interval).await;
    let meter = CpuMeter::new(Some(server.pid), ctx.pg.pg_dir.as_deref());
    let pool = taller_server::db::connect(&ctx.pg.url(BIG), 1).await?;
    let statements = Pg::statements(&pool).await;
    let window_start = Instant::now();
    let mark = meter.mark();
    tokio::time::sleep(Duration::from_secs_f64(s.fanout_window_secs)).await;
    let cpu = meter.since(&mark);
    let window_end = Instant::now();
    let seen = if statements { Some(Statements::read(&pool, 6).await?) } else { None };
    pool.close().await;
    let rss = server.rss_kb();
    let hwm = status_kb(server.pid, "VmHWM").unwrap_or(0);
    prober.abort();
    drop(pullers);
    drop(streams);
    let in_window = |samples: &Samples| -> Vec<f64> {
        samples
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(at, _)| *at >= window_start && *at <= window_end)
            .map(|(_, took)| *took)
            .collect()
    };
    let pulls = in_window(&samples);
    let probes = in_window(&health);
    let errors = errors.load(Ordering::Relaxed);
    server.stop().await?;

    let core_share = cpu.server_s / cpu.wall_s * 100.0;
    result.figures.push(
        Figure::new("sync p99", "ms", vec![percentile(&pulls, 99.0)])
            .limit("GET /healthz p99, same server, same time", vec![percentile(&probes, 99.0)])
            .target(Target::AtMost(20.0)),
    );
    result.figures.push(
        Figure::new("sync p50", "ms", vec![percentile(&pulls, 50.0)])
            .limit("GET /healthz p50", vec![percentile(&probes, 50.0)]),
    );
    result.figures.push(
        Figure::new("server resident memory (VmRSS)", "MB", vec![rss as f64 / 1024.0]).target(Target::AtMost(300.0)),
    );
    result.figures.push(Figure::new("server CPU", "% of a core", vec![core_share]));
    result.breakdown.push(format!(
        "{open} of {} live channels open; {} pulls in {:.0} s ({}/s), {errors} failed; {}; PostgreSQL {:.0}% of a core, \
         bench (the simulated devices) {:.0}%",
        devices,
        pulls.len(),
        cpu.wall_s,
        number(pulls.len() as f64 / cpu.wall_s),
        cpu.describe(),
        cpu.postgres_s / cpu.wall_s * 100.0,
        cpu.bench_client_s / cpu.wall_s * 100.0
    ));
    result.breakdown.push(format!(
        "server memory: {:.0} MB idle, {:.0} MB with the channels open, {:.0} MB while pulling (peak {:.0} MB); \
         {:.1} kB per device",
        rss_idle as f64 / 1024.0,
        rss_connected as f64 / 1024.0,
        rss as f64 / 1024.0,
        hwm as f64 / 1024.0,
        (rss.saturating_sub(rss_idle)) as f64 / devices as f64
    ));
    result.breakdown.push(format!(
        "server CPU per pull: {:.2} ms; PostgreSQL CPU per pull: {:.2} ms",
        cpu.server_s * 1000.0 / pulls.len().max(1) as f64,
        cpu.postgres_s * 1000.0 / pulls.len().max(1) as f64
    ));
    if let Some(seen) = seen {
        let pulls_count = pulls.len().max(1) as f64;
        result.breakdown.push(format!(
            "pg_stat_statements over the window: {} statements ({:.1} per pull), executing for {:.0} ms and planned \
             in {:.0} ms in total ({:.3} ms and {:.3} ms per pull, against {:.2} ms of PostgreSQL CPU per pull)",
            seen.calls,
            seen.calls as f64 / pulls_count,
            seen.exec_ms,
            seen.plan_ms,
            seen.exec_ms / pulls_count,
            seen.plan_ms / pulls_count,
            cpu.postgres_s * 1000.0 / pulls_count
        ));
        result.breakdown.extend(seen.top_lines());
    }
    if devices < s.devices {
        result.notes.push(format!(
            "{devices} devices instead of the {} asked for: each process may keep {files} files open here (a hard \
             limit this machine does not let the bench raise), and each device holds a socket in the bench and one \
             in the server; half the limit is left for the pulls' connections, the databases' and the files (at \
             19,000 devices the bench ran out of files).",
            s.devices
        ));
    }
    result.notes.push(
        "The simulated devices live in the bench process and share one HTTP client: each live channel is its own \
         TCP connection, while pulls reuse pooled keep-alive connections (so the server does not hold one more \
         idle connection per device, as real devices would make it)."
            .into(),
    );
    Ok(result)
}
