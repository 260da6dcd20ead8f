//! Freshness: a movement recorded on device A, visible in device B's replica. B runs the
//! library's sync engine (`engine::run`), which listens to /v1/events and pulls when told.
//! The clock starts when A's push starts (A pushes at once instead of after the engine's
//! 300 ms write debounce) and stops when B's replica file holds the row, seen from a separate
//! read-only SQLite connection polled every 100 µs.

use super::SMALL;
use crate::harness::{movement, Device, Pg, ServerProc, Statements};
use crate::procfs::CpuMeter;
use crate::report::{Figure, ScenarioResult, Target};
use crate::stats::{median, ms, percentile};
use crate::Ctx;
use anyhow::{Context, Result};
use futures::StreamExt;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use taller_client::engine::{self, EngineConfig};
use taller_client::probe::{AppliedDelta, NoObserver, PulledPage, SyncObserver};
use taller_protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION};
use tokio::sync::{mpsc, Notify};
use uuid::Uuid;

const DB: &str = "freshness";

pub async fn run(ctx: &Ctx) -> Result<ScenarioResult> {
    let s = &ctx.sizes;
    let mut result = ScenarioResult::new(
        "freshness",
        "Freshness",
        format!("{} changes, on {} parts x {} locations", s.freshness_samples, s.small_parts, s.small_locations),
    );
    ctx.pg.copy(DB, SMALL).await?;
    let server = ServerProc::start(&ctx.server_bin, &ctx.pg.url(DB), &ctx.work.join("server-freshness.log")).await?;
    let a = Device::login(ctx.work.join("fresh-a"), &server.base, "tecnico.norte@taller.test").await?;
    a.client.sync(None, &|_| {}).await?;
    let b = Device::login(ctx.work.join("fresh-b"), &server.base, "admin@taller.test").await?;
    b.client.sync(None, &|_| {}).await?;
    // A third device, without an engine, to time B's part of the path step by step.
    let c = Device::login(ctx.work.join("fresh-c"), &server.base, "admin@taller.test").await?;
    c.client.sync(None, &|_| {}).await?;
    let pool = taller_server::db::connect(&ctx.pg.url(DB), 1).await?;
    let statements = Pg::statements(&pool).await;
    let b_replica = b.replica_path();
    let b_token = crate::harness::access_token(&server.base, "admin@taller.test").await?;
    let loc = a.location("Taller Norte")?;
    let me = a.client.user_id();
    let parts = a.parts(usize::MAX)?;
    let b_client = b.client;
    let stop = Arc::new(Notify::new());
    let engine_task = tokio::spawn(engine::run(b_client.clone(), EngineConfig::default(), stop.clone()));

    // The bench's own listener on the live channel, to time the signal.
    let (events_tx, mut events_rx) = mpsc::unbounded_channel::<Instant>();
    let http = reqwest::Client::builder().build()?;
    let listener = {
        let http = http.clone();
        let url = format!("{}/v1/events", server.base);
        tokio::spawn(async move {
            let Ok(response) =
                http.get(url).bearer_auth(b_token).header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string()).send().await
            else {
                return;
            };
            let mut stream = response.bytes_stream();
            let mut buffer = String::new();
            while let Some(Ok(chunk)) = stream.next().await {
                let now = Instant::now();
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let event: String = buffer.drain(..end + 2).collect();
                    if event.lines().any(|line| line.trim() == "event: changes") && events_tx.send(now).is_err() {
                        return;
                    }
                }
            }
        })
    };
    // Let the engine connect its live channel and do its first sync.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let healthz = format!("{}/healthz", server.base);
    let mut visible = Vec::new();
    let mut pushes = Vec::new();
    let mut signals = Vec::new();
    let mut round_trips = Vec::new();
    let mut missed = 0;
    for i in 0..(s.freshness_samples + 2) {
        while events_rx.try_recv().is_ok() {}
        let id = Uuid::now_v7();
        a.client.act(&movement(id, loc, parts[i % parts.len()], me)?)?;
        let started = Instant::now();
        let watcher = watch_row(b_replica.clone(), id, started);
        a.client.push_observed(&NoObserver).await?;
        let pushed = started.elapsed();
        let seen = watcher.await.context("watcher")??;
        let signal = events_rx.try_recv().ok().map(|at| at.saturating_duration_since(started));
        // The limit: round trips on the same loopback, same server, same moment.
        for _ in 0..3 {
            let t = Instant::now();
            http.get(&healthz).send().await?.bytes().await?;
            round_trips.push(ms(t.elapsed()));
        }
        if i < 2 {
            continue; // warm-up
        }
        match seen {
            Some(seen) => {
                visible.push(ms(seen));
                pushes.push(ms(pushed));
                if let Some(signal) = signal {
                    signals.push(ms(signal));
                }
            }
            None => missed += 1,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.notify_one();
    engine_task.await?;
    listener.abort();
    result.breakdown.extend(profile_push(ctx, &server, &pool, statements, &a, loc, me, &parts).await?);
    result.breakdown.push(profile_pull(&a, &c, loc, me, &parts).await?);
    pool.close().await;

    result.figures.push(
        Figure::new("change visible on the other device, p99", "ms", vec![percentile(&visible, 99.0)])
            .limit("GET /healthz round trip, p99", vec![percentile(&round_trips, 99.0)])
            .target(Target::AtMost(20.0)),
    );
    result.figures.push(
        Figure::new("change visible on the other device, p50", "ms", vec![percentile(&visible, 50.0)])
            .limit("GET /healthz round trip, p50", vec![percentile(&round_trips, 50.0)]),
    );
    result.breakdown.push(format!(
        "from the start of A's push: push answered (server committed) p50 {:.1} ms / p99 {:.1} ms; `changes` event \
         reached a listener p50 {:.1} ms / p99 {:.1} ms; visible in B's replica p50 {:.1} ms / p99 {:.1} ms. \
         B's part (event, pull request, staging and applying the delta) is the difference.",
        median(&pushes),
        percentile(&pushes, 99.0),
        median(&signals),
        percentile(&signals, 99.0),
        median(&visible),
        percentile(&visible, 99.0)
    ));
    if missed > 0 {
        result.notes.push(format!("{missed} changes were not visible within 5 s and are left out"));
    }
    result.notes.push(
        "A pushes right after the local action (no 300 ms debounce), so the figure is the path push → commit → \
         NOTIFY → SSE → B's engine pulls → B's replica commits."
            .into(),
    );
    drop(a);
    drop(c);
    drop(b_client);
    server.stop().await?;
    ctx.pg.drop_database(DB).await?;
    Ok(result)
}

const PROFILE_SAMPLES: usize = 20;

/// A's part alone: pushes of one movement with nothing else happening, and what
/// pg_stat_statements saw of them.
#[allow(clippy::too_many_arguments)]
async fn profile_push(
    ctx: &Ctx,
    server: &ServerProc,
    pool: &sqlx::PgPool,
    statements: bool,
    a: &Device,
    loc: Uuid,
    me: Uuid,
    parts: &[Uuid],
) -> Result<Vec<String>> {
    let meter = CpuMeter::new(Some(server.pid), ctx.pg.pg_dir.as_deref());
    if statements {
        Statements::reset(pool).await?;
    }
    let mark = meter.mark();
    let mut pushes = Vec::new();
    for part in parts.iter().cycle().take(PROFILE_SAMPLES) {
        a.client.act(&movement(Uuid::now_v7(), loc, *part, me)?)?;
        let started = Instant::now();
        a.client.push_observed(&NoObserver).await?;
        pushes.push(ms(started.elapsed()));
    }
    let cpu = meter.since(&mark);
    let mut lines = vec![format!(
        "A's push of one movement, alone ({PROFILE_SAMPLES} pushes): p50 {:.1} ms, p99 {:.1} ms; per push: CPU of \
         taller-server {:.1} ms, PostgreSQL {:.1} ms, the bench {:.1} ms",
        median(&pushes),
        percentile(&pushes, 99.0),
        cpu.server_s * 1000.0 / PROFILE_SAMPLES as f64,
        cpu.postgres_s * 1000.0 / PROFILE_SAMPLES as f64,
        cpu.bench_client_s * 1000.0 / PROFILE_SAMPLES as f64
    )];
    if statements {
        let seen = Statements::read(pool, 0).await?;
        lines.push(format!(
            "per push, pg_stat_statements: {:.0} statements, each a round trip on one connection in sequence, \
             executing for {:.1} ms and planned in {:.1} ms in total (the change-feed triggers included)",
            seen.calls as f64 / PROFILE_SAMPLES as f64,
            seen.exec_ms / PROFILE_SAMPLES as f64,
            seen.plan_ms / PROFILE_SAMPLES as f64
        ));
    }
    Ok(lines)
}

/// Each pulled page's wait and staging, and each delta's apply, as the library times them.
#[derive(Default)]
struct PullPhases(std::sync::Mutex<(Vec<f64>, Vec<f64>, Vec<f64>)>);

impl SyncObserver for PullPhases {
    fn page_pulled(&self, page: &PulledPage<'_>) {
        let mut phases = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        phases.0.push(ms(page.waited));
        phases.1.push(ms(page.stage));
    }

    fn delta_applied(&self, delta: &AppliedDelta) {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).2.push(ms(delta.apply));
    }
}

/// B's part, step by step on device C: the pull request, staging the page, applying the delta
/// (C's own syncs, observed).
async fn profile_pull(a: &Device, c: &Device, loc: Uuid, me: Uuid, parts: &[Uuid]) -> Result<String> {
    let phases = PullPhases::default();
    for part in parts.iter().cycle().take(PROFILE_SAMPLES) {
        a.client.act(&movement(Uuid::now_v7(), loc, *part, me)?)?;
        a.client.push_observed(&NoObserver).await?;
        c.client.sync_observed(None, &|_| {}, &phases).await?;
    }
    let (requests, stages, applies) = phases.0.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    Ok(format!(
        "B's part, timed on a third device pulling each change ({PROFILE_SAMPLES} changes, the library's own sync \
         observed): pull request p50 {:.1} ms / p99 {:.1} ms, staging the page (a SQLite commit, synchronous=FULL) \
         p50 {:.1} ms / p99 {:.1} ms, applying the delta (another commit) p50 {:.1} ms / p99 {:.1} ms",
        median(&requests),
        percentile(&requests, 99.0),
        median(&stages),
        percentile(&stages, 99.0),
        median(&applies),
        percentile(&applies, 99.0)
    ))
}

/// Polls the replica file (read-only, its own connection) until the movement is there.
fn watch_row(path: PathBuf, id: Uuid, started: Instant) -> tokio::task::JoinHandle<Result<Option<Duration>>> {
    tokio::task::spawn_blocking(move || {
        let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let mut statement = conn.prepare("SELECT 1 FROM movimientos_tecnicos WHERE id_movimientos_tecnicos = ?1")?;
        let key = id.to_string();
        while started.elapsed() < Duration::from_secs(5) {
            let found: Option<i64> = statement.query_row([&key], |row| row.get(0)).optional()?;
            if found.is_some() {
                return Ok(Some(started.elapsed()));
            }
            std::thread::sleep(Duration::from_micros(100));
        }
        Ok(None)
    })
}
