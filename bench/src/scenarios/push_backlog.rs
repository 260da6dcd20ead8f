//! Push backlog: one device's offline movements reaching the server, beside the same rows
//! written set-based by plain SQL in batches.
//!
//! The backlog is recorded once through `Session::act` (offline: nothing is pushed), and the
//! workstation and the server database are both copied for each run, so every run pushes the
//! same mutations to a server that has not seen them.

use super::SMALL;
use crate::harness::{copy_dir, movement, Device, Pg, ServerProc, Statements};
use crate::procfs::CpuMeter;
use crate::report::{Figure, ScenarioResult, Target};
use crate::stats::{mean, median, ms, percentile};
use crate::{note, Ctx};
use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use taller_client::probe::{PushedBatch, SyncObserver, PUSH_BATCH};
use uuid::Uuid;

const BASE: &str = "push_base";

struct RawMove {
    id: Uuid,
    loc: Uuid,
    part: Uuid,
    technician: Uuid,
    at: DateTime<Utc>,
}

/// Timings of one instrumented push (the library's push loop: read the outbox, POST /v1/push,
/// record the outcomes, in batches of PUSH_BATCH).
#[derive(Default)]
struct PushTimes {
    total: Duration,
    read_outbox: Duration,
    encode: Duration,
    http: Duration,
    record: Duration,
    requests: usize,
    applied: usize,
    rejected: usize,
}

pub async fn run(ctx: &Ctx) -> Result<ScenarioResult> {
    let s = &ctx.sizes;
    let mut result = ScenarioResult::new(
        "push_backlog",
        "Push backlog",
        format!(
            "{} offline movements from one device, {} runs, on {} parts x {} locations",
            s.backlog, s.push_runs, s.small_parts, s.small_locations
        ),
    );
    ctx.pg.copy(BASE, SMALL).await?;
    let server = ServerProc::start(&ctx.server_bin, &ctx.pg.url(BASE), &ctx.work.join("server-push-base.log")).await?;
    let source = ctx.work.join("push-device");
    crate::harness::clear(&source);
    let device = Device::login(source.clone(), &server.base, "tecnico.norte@taller.test").await?;
    device.client.sync(None, &|_| {}).await?;
    let loc = device.location("Taller Norte")?;
    let me = device.client.user_id();
    let parts = device.parts(usize::MAX)?;
    // The backlog, recorded offline.
    note(&format!("recording {} offline movements", s.backlog));
    let mut acts = Vec::with_capacity(s.backlog);
    // The same movements, for the raw limit.
    let mut moves = Vec::with_capacity(s.backlog);
    let started = Instant::now();
    for i in 0..s.backlog {
        let (id, part) = (Uuid::now_v7(), parts[i % parts.len()]);
        let mutation = movement(id, loc, part, me)?;
        let at = Utc::now();
        let t = Instant::now();
        device.client.act_at(&mutation, at)?;
        acts.push(ms(t.elapsed()));
        moves.push(RawMove { id, loc, part, technician: me, at });
    }
    let recording = started.elapsed();
    let tenth = (s.backlog / 10).max(1);
    result.breakdown.push(format!(
        "recording the backlog offline took {:.1} s: act mean {:.2} ms over the first {tenth} and {:.2} ms over \
         the last {tenth} (the outbox grows to the whole backlog; nothing an act reads grows with it), p99 {:.2} ms",
        recording.as_secs_f64(),
        mean(&acts[..tenth]),
        mean(&acts[acts.len() - tenth..]),
        percentile(&acts, 99.0)
    ));
    drop(device);
    server.stop().await?;

    let mut rates = Vec::new();
    let mut seconds = Vec::new();
    let mut raw_rates = Vec::new();
    let mut no_feed_rates = Vec::new();
    for run in 0..s.push_runs {
        let name = format!("push_run_{run}");
        ctx.pg.copy(&name, BASE).await?;
        let pool = taller_server::db::connect(&ctx.pg.url(&name), 2).await?;
        let statements = Pg::statements(&pool).await;
        let server =
            ServerProc::start(&ctx.server_bin, &ctx.pg.url(&name), &ctx.work.join(format!("server-push-{run}.log")))
                .await?;
        let dir = ctx.work.join(format!("push-device-{run}"));
        crate::harness::clear(&dir);
        copy_dir(&source, &dir)?;
        let device = Device::open(dir.clone(), &server.base)?;
        let meter = CpuMeter::new(Some(server.pid), ctx.pg.pg_dir.as_deref());
        if statements {
            Statements::reset(&pool).await?;
        }
        let mark = meter.mark();
        let times = push(&device).await?;
        let cpu = meter.since(&mark);
        let rate = times.applied as f64 / times.total.as_secs_f64();
        rates.push(rate);
        seconds.push(times.total.as_secs_f64());
        if times.applied + times.rejected != s.backlog || times.rejected > 0 {
            result.notes.push(format!(
                "run {}: {} applied, {} rejected of {}",
                run + 1,
                times.applied,
                times.rejected,
                s.backlog
            ));
        }
        let http_per_request = ms(times.http) / times.requests.max(1) as f64;
        result.breakdown.push(format!(
            "run {}: {:.2} s for {} requests of up to {PUSH_BATCH}: read outbox {:.0} ms, encode {:.0} ms, \
             HTTP round trips {:.0} ms ({http_per_request:.0} ms per request, {:.2} ms per mutation), \
             record outcomes {:.0} ms; {}",
            run + 1,
            times.total.as_secs_f64(),
            times.requests,
            ms(times.read_outbox),
            ms(times.encode),
            ms(times.http),
            ms(times.http) / s.backlog as f64,
            ms(times.record),
            cpu.describe()
        ));
        if statements && run == 0 {
            result.breakdown.extend(statement_profile(&pool, s.backlog, times.http).await?);
        }
        // The pull that follows brings the server's rows back (information only).
        let t = Instant::now();
        let report = device.client.sync(None, &|_| {}).await?;
        if run == 0 {
            result.breakdown.push(format!(
                "the pull after the push (the server's {} rows of the delta, applied and rebased) took {:.2} s",
                report.rows,
                t.elapsed().as_secs_f64()
            ));
        }
        drop(device);
        server.stop().await?;
        pool.close().await;
        ctx.pg.drop_database(&name).await?;
        crate::harness::clear(&dir);

        // The raw limit, on a fresh copy of the same database.
        let raw_name = format!("push_raw_{run}");
        ctx.pg.copy(&raw_name, BASE).await?;
        let raw_pool = taller_server::db::connect(&ctx.pg.url(&raw_name), 2).await?;
        // With the feed's capture, as the server must keep it (issue 13's limit).
        let took = raw_push(&raw_pool, &moves, me, true).await?;
        raw_rates.push(moves.len() as f64 / took.as_secs_f64());
        raw_pool.close().await;
        ctx.pg.drop_database(&raw_name).await?;
        if run == 0 {
            let no_feed_name = "push_raw_no_feed";
            ctx.pg.copy(no_feed_name, BASE).await?;
            let no_feed_pool = taller_server::db::connect(&ctx.pg.url(no_feed_name), 2).await?;
            let took = raw_push(&no_feed_pool, &moves, me, false).await?;
            no_feed_rates.push(moves.len() as f64 / took.as_secs_f64());
            no_feed_pool.close().await;
            ctx.pg.drop_database(no_feed_name).await?;
        }
    }
    result.figures.push(
        Figure::new("mutations pushed per second", "mutations/s", rates)
            .limit(&format!("set-based plain SQL, batches of {PUSH_BATCH}, with the feed's capture"), raw_rates)
            .target(Target::RatioAtLeast(0.5)),
    );
    result.figures.push(Figure::new("time to push the backlog", "s", seconds).target(Target::AtMost(1.0)));
    result.breakdown.push(format!(
        "the raw limit without the change-feed capture triggers (what the feed alone costs is the difference): {:.0} mutations/s",
        median(&no_feed_rates)
    ));
    result.notes.push(format!(
        "Raw limit: per batch of {PUSH_BATCH}, one transaction with INSERT movimientos_tecnicos ... SELECT FROM unnest(...), \
         one UPDATE inventario FROM unnest(...) and INSERT logs_inventario ... FROM unnest(...), the sync_capture_* \
         triggers on (the feed is kept, as the server must) and the ledger trigger told the application writes the \
         ledger, as the server does. \
         No sync_mutations bookkeeping, no per-mutation checks."
    ));
    result.notes.push(
        "The push is the library's own (`Session::push_observed`), its phases (read the outbox, encode, \
         the HTTP round trip, record the outcomes) timed by the library and reported to the bench per batch \
         through the `probe::SyncObserver` hook."
            .into(),
    );
    ctx.pg.drop_database(BASE).await?;
    Ok(result)
}

/// Collects each pushed batch's phases.
#[derive(Default)]
struct Batches(Mutex<Vec<PushedBatch>>);

impl SyncObserver for Batches {
    fn batch_pushed(&self, batch: &PushedBatch) {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(*batch);
    }
}

async fn push(device: &Device) -> Result<PushTimes> {
    let batches = Batches::default();
    let started = Instant::now();
    let report = device.client.push_observed(&batches).await?;
    let total = started.elapsed();
    let batches = batches.0.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    let sum = |phase: fn(&PushedBatch) -> Duration| batches.iter().map(phase).sum::<Duration>();
    Ok(PushTimes {
        total,
        read_outbox: sum(|b| b.read_outbox),
        encode: sum(|b| b.encode),
        http: sum(|b| b.request),
        record: sum(|b| b.record_outcomes),
        requests: batches.len(),
        applied: report.applied,
        rejected: report.rejected,
    })
}

/// What pg_stat_statements saw during the push: statements per mutation and where the
/// database's time went.
async fn statement_profile(pool: &PgPool, mutations: usize, http: Duration) -> Result<Vec<String>> {
    let seen = Statements::read(pool, 8).await?;
    let mut lines = vec![format!(
        "run 1, pg_stat_statements: {} statements ({:.1} per mutation, each its own round trip, in sequence) \
         executed in {:.0} ms and planned in {:.0} ms in total: {:.0}% of the {:.0} ms the push requests took. \
         The three writes' times include the change-feed capture triggers they fire",
        seen.calls,
        seen.calls as f64 / mutations as f64,
        seen.exec_ms,
        seen.plan_ms,
        (seen.exec_ms + seen.plan_ms) * 100.0 / ms(http).max(1.0),
        ms(http)
    )];
    lines.extend(seen.top_lines());
    Ok(lines)
}

/// The same rows, set-based, in batches of PUSH_BATCH: one transaction per batch.
async fn raw_push(pool: &PgPool, moves: &[RawMove], user: Uuid, with_feed: bool) -> Result<Duration> {
    if !with_feed {
        for table in ["movimientos_tecnicos", "logs_inventario", "inventario"] {
            for trigger in ["sync_capture_insert", "sync_capture_update", "sync_capture_delete"] {
                sqlx::query(&format!("ALTER TABLE {table} DISABLE TRIGGER {trigger}")).execute(pool).await?;
            }
        }
    }
    let items: Vec<(Uuid, Uuid, Uuid, i32)> =
        sqlx::query_as("SELECT id_inventario, id_localizacion, id_repuesto, stock_actual FROM inventario")
            .fetch_all(pool)
            .await?;
    let mut stock: HashMap<(Uuid, Uuid), (Uuid, i32)> =
        items.into_iter().map(|(id, loc, part, stock)| ((loc, part), (id, stock))).collect();
    let started = Instant::now();
    for chunk in moves.chunks(PUSH_BATCH) {
        let mut logs_item = Vec::with_capacity(chunk.len());
        let mut logs_before = Vec::with_capacity(chunk.len());
        let mut logs_after = Vec::with_capacity(chunk.len());
        let mut logs_at = Vec::with_capacity(chunk.len());
        let mut deltas: HashMap<Uuid, i32> = HashMap::new();
        for m in chunk {
            let entry = stock.get_mut(&(m.loc, m.part)).context("inventory row")?;
            logs_item.push(entry.0);
            logs_before.push(entry.1);
            entry.1 += 1;
            logs_after.push(entry.1);
            logs_at.push(m.at);
            *deltas.entry(entry.0).or_default() += 1;
        }
        let (delta_items, delta_values): (Vec<Uuid>, Vec<i32>) = deltas.into_iter().unzip();
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT set_config('taller.ledger', 'app', true)").execute(&mut *tx).await?;
        sqlx::query(
            "INSERT INTO movimientos_tecnicos (id_movimientos_tecnicos, id_localizacion, id_repuesto, \
                 id_usuario_responsable, id_tecnico_asignado, concepto, tipo, cantidad, descargada, fecha) \
             SELECT id, loc, part, $4, tech, 'ingreso', 'ingreso', 1, true, at \
               FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $5::uuid[], $6::timestamptz[]) AS x(id, loc, part, tech, at)",
        )
        .bind(chunk.iter().map(|m| m.id).collect::<Vec<_>>())
        .bind(chunk.iter().map(|m| m.loc).collect::<Vec<_>>())
        .bind(chunk.iter().map(|m| m.part).collect::<Vec<_>>())
        .bind(user)
        .bind(chunk.iter().map(|m| m.technician).collect::<Vec<_>>())
        .bind(chunk.iter().map(|m| m.at).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE inventario i SET stock_actual = i.stock_actual + d.n \
               FROM unnest($1::uuid[], $2::int[]) AS d(id, n) WHERE i.id_inventario = d.id",
        )
        .bind(&delta_items)
        .bind(&delta_values)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO logs_inventario (id_inventario, id_usuario, tipo_operacion, cantidad_anterior, cantidad_nueva, \
                 diferencia, detalles, fecha) \
             SELECT item, $2, 'MOVIMIENTO_TECNICO', before, after, after - before, '{}'::jsonb, at \
               FROM unnest($1::uuid[], $3::int[], $4::int[], $5::timestamptz[]) AS x(item, before, after, at)",
        )
        .bind(&logs_item)
        .bind(user)
        .bind(&logs_before)
        .bind(&logs_after)
        .bind(&logs_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    Ok(started.elapsed())
}
