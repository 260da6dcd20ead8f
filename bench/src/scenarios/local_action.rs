//! Local action: the latency of recording a movement through `Session::act` (local effect and
//! outbox entry committed in one SQLite transaction, WAL, synchronous=FULL), beside the same
//! domain rows written by one plain rusqlite transaction with the same durability on a copy of
//! the same replica. Acts and raw transactions alternate, so disturbances hit both alike.

use super::SMALL;
use crate::harness::{movement, Device, ServerProc};
use crate::report::{Figure, ScenarioResult, Target};
use crate::stats::{mean, ms, percentile};
use crate::Ctx;
use anyhow::{Context, Result};
use rusqlite::{params, Connection};
use std::collections::HashMap;
use std::time::Instant;
use taller_client::probe::{Synchronous, BACKSTOP_FRAMES, CHECKPOINT_COMMITS, CHECKPOINT_IDLE};
use uuid::Uuid;

const DB: &str = "local_action";

pub async fn run(ctx: &Ctx) -> Result<ScenarioResult> {
    let s = &ctx.sizes;
    let mut result = ScenarioResult::new(
        "local_action",
        "Local action",
        format!(
            "{} movements per run, {} runs, on a replica of {} parts x {} locations",
            s.acts, s.runs, s.small_parts, s.small_locations
        ),
    );
    ctx.pg.copy(DB, SMALL).await?;
    let server = ServerProc::start(&ctx.server_bin, &ctx.pg.url(DB), &ctx.work.join("server-local.log")).await?;
    let dir = ctx.work.join("local-device");
    let device = Device::login(dir, &server.base, "tecnico.norte@taller.test").await?;
    device.client.sync(None, &|_| {}).await?;
    let loc = device.location("Taller Norte")?;
    let me = device.client.user_id();
    let parts = device.parts(usize::MAX)?;

    // The raw limit's database: a copy of the same replica, written with plain SQL.
    let raw_path = ctx.work.join("local-raw.sqlite3");
    crate::harness::clear(&raw_path);
    device.client.probe().copy_replica_to(&raw_path)?;
    let mut raw = Connection::open(&raw_path)?;
    let _mode: String = raw.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    raw.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    let items: HashMap<String, String> = {
        let mut statement =
            raw.prepare("SELECT id_repuesto, id_inventario FROM inventario WHERE id_localizacion = ?1")?;
        let rows = statement.query_map([loc.to_string()], |row| Ok((row.get(0)?, row.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };

    let mut p50 = Vec::new();
    let mut p99 = Vec::new();
    let mut raw_p50 = Vec::new();
    let mut raw_p99 = Vec::new();
    let mut means = Vec::new();
    let mut raw_means = Vec::new();
    let mut statuses = Vec::new();
    let mut counter = 0usize;
    let background_before = background_checkpoints(&device);
    for run in 0..s.runs {
        let mut acts = Vec::with_capacity(s.acts);
        let mut raws = Vec::with_capacity(s.acts);
        // A few unmeasured ones first: statement caches, page cache.
        for i in 0..(s.acts + 10) {
            let part = parts[counter % parts.len()];
            counter += 1;
            let mutation = movement(Uuid::now_v7(), loc, part, me)?;
            let started = Instant::now();
            device.client.act(&mutation).context("local action")?;
            let act_ms = ms(started.elapsed());
            // What the status refresh every act ends with costs (the same queries again).
            let started = Instant::now();
            device.client.status()?;
            let status_ms = ms(started.elapsed());
            let item = items.get(&part.to_string()).context("no inventory row for the part")?;
            let started = Instant::now();
            raw_movement(&mut raw, loc, part, me, item)?;
            let raw_ms = ms(started.elapsed());
            if i >= 10 {
                acts.push(act_ms);
                raws.push(raw_ms);
                statuses.push(status_ms);
            }
        }
        p50.push(percentile(&acts, 50.0));
        p99.push(percentile(&acts, 99.0));
        raw_p50.push(percentile(&raws, 50.0));
        raw_p99.push(percentile(&raws, 99.0));
        means.push(mean(&acts));
        raw_means.push(mean(&raws));
        result.breakdown.push(format!(
            "run {}: act p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; raw p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            run + 1,
            percentile(&acts, 50.0),
            percentile(&acts, 99.0),
            percentile(&acts, 100.0),
            percentile(&raws, 50.0),
            percentile(&raws, 99.0),
            percentile(&raws, 100.0)
        ));
        // Empty the outbox between runs, as a device online would.
        device.client.sync(None, &|_| {}).await?;
    }
    let background = background_checkpoints(&device) - background_before;
    let cpu_ms = cpu_only_act_ms(&device, loc, me, &parts)?;
    let wal = checkpoints(&device, &mut raw, &raw_path, loc, me, &parts, &items, (s.acts / 2).max(10))?;
    result.figures.push(
        Figure::new("act p50", "ms", p50)
            .limit("plain rusqlite transaction, same rows, synchronous=FULL, WAL", raw_p50),
    );
    result.figures.push(
        Figure::new("act p99", "ms", p99)
            .limit("plain rusqlite transaction, same rows, synchronous=FULL, WAL", raw_p99)
            .target(Target::RatioAtMost(1.5)),
    );
    result.breakdown.push(format!(
        "mean act {:.2} ms vs raw {:.2} ms; the same act without the fsync (synchronous=OFF on the same replica) \
         takes {cpu_ms:.2} ms: that is the library's own work (domain checks, shadows, outbox row, status refresh), \
         the rest is the WAL fsync both pay",
        crate::stats::median(&means),
        crate::stats::median(&raw_means),
    ));
    result.breakdown.push(format!(
        "of an act, the status refresh it ends with (Session::status: pending outbox count, conflicts) takes {:.3} ms \
         (mean; p99 {:.3} ms)",
        mean(&statuses),
        percentile(&statuses, 99.0)
    ));
    result.breakdown.push(format!(
        "WAL pages written per commit: act {:.1}, raw {:.1}. The raw connection checkpoints the WAL into the database \
         file (with its own fsyncs) inside the commit that crosses 1000 pages (SQLite's automatic checkpoint), i.e. \
         every {:.0} raw transactions; the client checkpoints from its background thread after {} ms without a \
         commit or after {} commits in a row ({background} background checkpoints during the measured runs), \
         and its connections keep SQLite's automatic checkpoint only as a backstop at {} pages, i.e. every {:.0} \
         acts if no checkpointer ran. \
         With no checkpoints at all ({} of each; background checkpointer paused, automatic checkpoints off): act p99 \
         {:.2} ms (max {:.2} ms), raw p99 {:.2} ms (max {:.2} ms)",
        wal.act_frames,
        wal.raw_frames,
        1000.0 / wal.raw_frames.max(0.001),
        CHECKPOINT_IDLE.as_millis(),
        CHECKPOINT_COMMITS,
        BACKSTOP_FRAMES,
        BACKSTOP_FRAMES as f64 / wal.act_frames.max(0.001),
        wal.samples,
        wal.act_p99,
        wal.act_max,
        wal.raw_p99,
        wal.raw_max
    ));
    result.notes.push(
        "Raw limit: INSERT movimientos_tecnicos, UPDATE inventario (RETURNING the new stock), INSERT logs_inventario \
         in one transaction on a VACUUM INTO copy of the same replica (same schema, indexes and FTS triggers), no \
         shadows and no outbox."
            .into(),
    );
    result.notes.push(
        "The client's background checkpoints run beside the measured acts and raw transactions and share the disk \
         with both: a checkpoint no longer lands inside an act, but its fsyncs can still slow the commits it meets, \
         the raw ones included."
            .into(),
    );
    drop(device);
    server.stop().await?;
    ctx.pg.drop_database(DB).await?;
    Ok(result)
}

fn raw_movement(conn: &mut Connection, loc: Uuid, part: Uuid, me: Uuid, item: &str) -> Result<()> {
    let now = chrono::Utc::now().to_rfc3339();
    let tx = conn.transaction()?;
    tx.prepare_cached(
        "INSERT INTO movimientos_tecnicos (id_movimientos_tecnicos, id_localizacion, id_repuesto, id_usuario_responsable, \
             id_tecnico_asignado, concepto, tipo, cantidad, numero_orden, descargada, fecha, created_at, updated_at) \
         VALUES (?1, ?2, ?3, ?4, ?4, 'ingreso', 'ingreso', 1, NULL, 1, ?5, ?5, ?5)",
    )?
    .execute(params![Uuid::now_v7().to_string(), loc.to_string(), part.to_string(), me.to_string(), now])?;
    let stock: i64 = tx
        .prepare_cached(
            "UPDATE inventario SET stock_actual = stock_actual + 1, updated_at = ?2 WHERE id_inventario = ?1 \
             RETURNING stock_actual",
        )?
        .query_row(params![item, now], |row| row.get(0))?;
    tx.prepare_cached(
        "INSERT INTO logs_inventario (id_log, id_inventario, id_usuario, tipo_operacion, cantidad_anterior, \
             cantidad_nueva, diferencia, motivo, detalles, fecha) \
         VALUES (?1, ?2, ?3, 'MOVIMIENTO_TECNICO', ?4, ?5, 1, NULL, '{}', ?6)",
    )?
    .execute(params![Uuid::new_v4().to_string(), item, me.to_string(), stock - 1, stock, now])?;
    tx.commit()?;
    Ok(())
}

struct Wal {
    samples: usize,
    act_frames: f64,
    raw_frames: f64,
    act_p99: f64,
    act_max: f64,
    raw_p99: f64,
    raw_max: f64,
}

/// Frames in a WAL file: a 32-byte header, then frames of a 24-byte header and a page.
fn wal_frames(path: &std::path::Path, page_size: f64) -> f64 {
    let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
    let bytes = std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0);
    bytes.saturating_sub(32) as f64 / (24.0 + page_size)
}

/// Pages written per commit (the WAL's growth with checkpoints off), and the latencies
/// without automatic checkpoints.
#[allow(clippy::too_many_arguments)]
fn checkpoints(
    device: &Device,
    raw: &mut Connection,
    raw_path: &std::path::Path,
    loc: Uuid,
    me: Uuid,
    parts: &[Uuid],
    items: &HashMap<String, String>,
    samples: usize,
) -> Result<Wal> {
    let replica_path = device.replica_path();
    let pragma = |conn: &Connection, sql: &str| -> Result<()> {
        conn.query_row(sql, [], |_| Ok(())).or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(()),
            other => Err(other),
        })?;
        Ok(())
    };
    // The client's background checkpoints would start its WAL over and hide its growth.
    let probe = device.client.probe();
    anyhow::ensure!(probe.pause_checkpoints(true, std::time::Duration::from_secs(60)), "the checkpointer did not stop");
    probe.set_wal_autocheckpoint(0)?;
    probe.truncate_wal()?;
    for sql in ["PRAGMA wal_autocheckpoint = 0", "PRAGMA wal_checkpoint(TRUNCATE)"] {
        pragma(raw, sql)?;
    }
    for (name, path) in [("client", replica_path.as_path()), ("raw", raw_path)] {
        anyhow::ensure!(wal_frames(path, 4096.0) < 1.0, "the {name} WAL was not truncated before measuring");
    }
    let (mut acts, mut raws) = (Vec::new(), Vec::new());
    for part in parts.iter().cycle().take(samples) {
        let mutation = movement(Uuid::now_v7(), loc, *part, me)?;
        let started = Instant::now();
        device.client.act(&mutation)?;
        acts.push(ms(started.elapsed()));
        let item = items.get(&part.to_string()).context("no inventory row for the part")?;
        let started = Instant::now();
        raw_movement(raw, loc, *part, me, item)?;
        raws.push(ms(started.elapsed()));
    }
    let wal = Wal {
        samples,
        act_frames: wal_frames(&replica_path, probe.page_size()? as f64) / samples as f64,
        raw_frames: wal_frames(raw_path, page_size(raw)?) / samples as f64,
        act_p99: percentile(&acts, 99.0),
        act_max: percentile(&acts, 100.0),
        raw_p99: percentile(&raws, 99.0),
        raw_max: percentile(&raws, 100.0),
    };
    probe.set_wal_autocheckpoint(BACKSTOP_FRAMES)?;
    probe.truncate_wal()?;
    for sql in ["PRAGMA wal_autocheckpoint = 1000", "PRAGMA wal_checkpoint(TRUNCATE)"] {
        pragma(raw, sql)?;
    }
    probe.pause_checkpoints(false, std::time::Duration::ZERO);
    Ok(wal)
}

/// Checkpoints the client's background thread has done so far.
fn background_checkpoints(device: &Device) -> u64 {
    device.client.probe().checkpoints_done()
}

fn page_size(conn: &Connection) -> Result<f64> {
    Ok(conn.query_row("PRAGMA page_size", [], |row| row.get::<_, i64>(0))? as f64)
}

/// The mean latency of an act with synchronous=OFF: the library's CPU work alone.
fn cpu_only_act_ms(device: &Device, loc: Uuid, me: Uuid, parts: &[Uuid]) -> Result<f64> {
    let probe = device.client.probe();
    probe.set_synchronous(Synchronous::Off)?;
    let mut samples = Vec::new();
    for (i, part) in parts.iter().cycle().take(200).enumerate() {
        let mutation = movement(Uuid::now_v7(), loc, *part, me)?;
        let started = Instant::now();
        device.client.act(&mutation)?;
        if i >= 20 {
            samples.push(ms(started.elapsed()));
        }
    }
    probe.set_synchronous(Synchronous::Full)?;
    Ok(mean(&samples))
}
