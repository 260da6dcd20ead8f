//! Initial sync: a fresh admin replica of the big data set, end to end through
//! `Session::sync`, beside PostgreSQL COPY out plus a bulk SQLite insert of the same rows.
//!
//! One more run goes through a transparent fault proxy (to count the bytes on the wire) and
//! observes the library's own sync (`Session::sync_observed`, the `probe::SyncObserver` hook):
//! for each page, how long the pull waited for it (the server's answer, the transfer and
//! decompression, decoding and checking; the next page is requested while one is staged, so
//! this is what staging did not hide) and how long staging it took; then the final apply.

use super::{ensure_big, Shared, BIG};
use crate::harness::{dir_bytes, Device, ServerProc};
use crate::procfs::CpuMeter;
use crate::report::{number, Figure, ScenarioResult, Target};
use crate::{note, Ctx};
use anyhow::{Context, Result};
use futures::StreamExt;
use rusqlite::types::Value as SqlValue;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use taller_client::probe::{self, AppliedDelta, PulledPage, SyncObserver};
use taller_faultproxy::FaultProxy;
use taller_protocol::messages::PullRequest;
use taller_protocol::tables::{ColumnType, TABLES};
use taller_protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION};
use uuid::Uuid;

pub async fn run(ctx: &Ctx, shared: &mut Shared) -> Result<ScenarioResult> {
    let s = &ctx.sizes;
    let (load_s, inventory) = ensure_big(ctx, shared).await?;
    let mut result = ScenarioResult::new(
        "initial_sync",
        "Initial sync",
        format!(
            "{} parts x {} locations ({inventory} inventory rows), admin replica, {} runs plus one instrumented run",
            s.parts, s.locations, s.sync_runs
        ),
    );
    result.notes.push(format!(
        "Loading the data set (demo::load with triggers off, then the change feed backfilled) took {load_s:.0} s; \
         not part of any figure."
    ));
    let server = ServerProc::start(&ctx.server_bin, &ctx.pg.url(BIG), &ctx.work.join("server-initial.log")).await?;
    let meter = CpuMeter::new(Some(server.pid), ctx.pg.pg_dir.as_deref());
    let mut rates = Vec::new();
    let mut disk = Vec::new();
    let mut rows_synced = 0;
    for run in 0..s.sync_runs {
        let dir = ctx.work.join(format!("big-sync-{run}"));
        crate::harness::clear(&dir);
        let device = Device::login(dir.clone(), &server.base, "admin@taller.test").await?;
        note(&format!("initial sync run {}", run + 1));
        let mark = meter.mark();
        let started = Instant::now();
        let report = device.client.sync(None, &|_| {}).await?;
        let took = started.elapsed();
        let cpu = meter.since(&mark);
        rows_synced = report.rows;
        rates.push(report.rows as f64 / took.as_secs_f64());
        disk.push(dir_bytes(&dir) as f64 / 1e6);
        result.breakdown.push(format!(
            "run {}: {} rows in {} pages, {:.1} s ({} rows/s); {}; replica {} MB on disk",
            run + 1,
            report.rows,
            report.pages,
            took.as_secs_f64(),
            number(report.rows as f64 / took.as_secs_f64()),
            cpu.describe(),
            dir_bytes(&dir) / 1_000_000
        ));
        drop(device);
        if run + 1 == s.sync_runs {
            shared.big_replica = Some(dir);
            shared.initial_rows = report.rows;
        } else {
            crate::harness::clear(&dir);
        }
    }

    note("instrumented initial sync through a transparent proxy");
    let proxy = FaultProxy::start(server.addr).await?;
    let dir = ctx.work.join("big-sync-instrumented");
    crate::harness::clear(&dir);
    let device = Device::login(dir.clone(), &format!("http://{}", proxy.addr()), "admin@taller.test").await?;
    let mark = meter.mark();
    let phases = instrumented(&device, &proxy, &server.base).await?;
    let cpu = meter.since(&mark);
    drop(device);
    crate::harness::clear(&dir);
    proxy.shutdown().await;
    server.stop().await?;

    note("raw limit: COPY out and bulk SQLite insert");
    let raw = raw_limit(ctx).await?;
    let (best, raw_rate) = raw.best();

    result.figures.push(
        Figure::new("rows per second, end to end", "rows/s", rates)
            .limit(&format!("COPY out + the best plain SQLite load: {}", best.describe()), vec![raw_rate])
            .target(Target::AtLeast(120_000.0))
            .target(Target::RatioAtLeast(0.5)),
    );
    result
        .figures
        .push(Figure::new("replica on disk after the initial sync", "MB", disk.clone()).target(Target::AtMost(400.0)));
    result.figures.push(
        Figure::new("bytes on the wire per inventory row", "B/row", vec![phases.inventory_bytes_per_row()])
            .target(Target::AtMost(22.0)),
    );
    result.figures.push(Figure::new(
        "bytes on the wire per row, all tables",
        "B/row",
        vec![phases.wire_bytes as f64 / phases.rows.max(1) as f64],
    ));
    let total = phases.total.as_secs_f64();
    let share = |d: Duration| d.as_secs_f64() * 100.0 / total;
    result.breakdown.push(format!(
        "instrumented run ({} rows, {} pages, {:.1} s, {} rows/s through the proxy; the library's own pull, observed): \
         waiting for pages (the server's answer, transfer, decompression, decoding and checking, where staging the \
         previous page did not hide it) {:.1} s ({:.0}%), staging pages {:.1} s ({:.0}%), applying the delta {:.1} s \
         ({:.0}%), the rest (sign-in checks, the push of an empty outbox, the sync's bookkeeping) {:.1} s",
        phases.rows,
        phases.pages,
        total,
        number(phases.rows as f64 / total),
        phases.waited.as_secs_f64(),
        share(phases.waited),
        phases.stage.as_secs_f64(),
        share(phases.stage),
        phases.apply.as_secs_f64(),
        share(phases.apply),
        (phases.total.saturating_sub(phases.waited + phases.stage + phases.apply)).as_secs_f64(),
    ));
    result.breakdown.push(format!(
        "instrumented run, of applying the delta (a bulk load): building the secondary indexes after the rows {:.1} s, \
         rebuilding the full-text index {:.1} s, the rows and the rebase {:.1} s",
        phases.index_build.as_secs_f64(),
        phases.full_text_build.as_secs_f64(),
        phases.apply.saturating_sub(phases.index_build + phases.full_text_build).as_secs_f64()
    ));
    result.breakdown.push(format!("instrumented run, {}", cpu.describe()));
    result.breakdown.push(format!(
        "wire ({}): {:.1} MB on the wire for {:.1} MB of JSON ({:.1}x); inventory rows: {} in {:.1} MB (the run's wire bytes shared among the tables in proportion to their JSON)",
        phases.encoding,
        phases.wire_bytes as f64 / 1e6,
        phases.json_bytes as f64 / 1e6,
        phases.json_bytes as f64 / phases.wire_bytes.max(1) as f64,
        phases.inventory_rows,
        phases.inventory_bytes as f64 / 1e6
    ));
    if let Some(sample) = &phases.sample {
        result.breakdown.extend(compression_experiment(sample)?);
    }
    result.breakdown.push(format!(
        "raw limit: COPY out of {} rows {:.1} s; loaded into a fresh replica-schema SQLite file, in one transaction: {}",
        raw.rows,
        raw.copy.as_secs_f64(),
        raw.loads
            .iter()
            .map(|(load, _, took)| format!(
                "{} {:.1} s ({} rows/s with the COPY)",
                load.describe(),
                took.as_secs_f64(),
                number(raw.rate(*load))
            ))
            .collect::<Vec<_>>()
            .join("; ")
    ));
    result.notes.push(format!(
        "Rows synced: {rows_synced} (every replicated row the admin may read: parts, inventory, the admin's own \
         notifications, ...). The raw limit copies the same tables with the same filter on private rows ({} rows).",
        raw.rows
    ));
    Ok(result)
}

#[derive(Default)]
struct Phases {
    /// The observed sync, less the observer's own accounting.
    total: Duration,
    waited: Duration,
    stage: Duration,
    apply: Duration,
    /// Of `apply`: the secondary indexes built after the rows (a bulk load).
    index_build: Duration,
    /// Of `apply`: the full-text index rebuilt after the rows.
    full_text_build: Duration,
    rows: u64,
    pages: u64,
    wire_bytes: u64,
    /// The pages' `changes`, as JSON text.
    json_bytes: u64,
    inventory_rows: u64,
    inventory_bytes: u64,
    /// The answers' `Content-Encoding`.
    encoding: String,
    /// The rows of one page of inventory rows only, for the compression experiment.
    sample: Option<Vec<Vec<serde_json::Value>>>,
}

impl Phases {
    fn inventory_bytes_per_row(&self) -> f64 {
        self.inventory_bytes as f64 / self.inventory_rows.max(1) as f64
    }
}

/// What the observer gathers during the sync; the time it spends is kept apart.
#[derive(Default)]
struct Observed {
    phases: Phases,
    /// JSON bytes of inventory rows, over every page.
    inventory_json: u64,
    accounting: Duration,
}

/// One table's changes in a page, left undecoded (only their sizes are needed).
#[derive(serde::Deserialize)]
struct RawChange<'a> {
    table: &'a str,
    #[serde(borrow, default)]
    upserts: Option<&'a serde_json::value::RawValue>,
}

struct Observer(Mutex<Observed>);

impl Observer {
    fn account(&self, observed: &mut Observed, page: &PulledPage<'_>) -> Result<()> {
        let phases = &mut observed.phases;
        phases.pages += 1;
        phases.rows += page.rows;
        phases.json_bytes += page.changes.len() as u64;
        let changes: Vec<RawChange<'_>> = serde_json::from_str(page.changes)?;
        for change in &changes {
            if change.table != "inventario" {
                continue;
            }
            let Some(upserts) = change.upserts else { continue };
            observed.inventory_json += upserts.get().len() as u64;
            if phases.sample.is_none() && changes.len() == 1 {
                let decoded: Vec<Vec<serde_json::Value>> = serde_json::from_str(upserts.get())?;
                if decoded.len() >= 1000 {
                    phases.sample = Some(decoded);
                }
            }
            phases.inventory_rows += count_rows(upserts.get())?;
        }
        Ok(())
    }
}

/// Rows in a JSON array of rows, counted without decoding them.
fn count_rows(upserts: &str) -> Result<u64> {
    let rows: Vec<&serde_json::value::RawValue> = serde_json::from_str(upserts)?;
    Ok(rows.len() as u64)
}

impl SyncObserver for Observer {
    fn page_pulled(&self, page: &PulledPage<'_>) {
        let started = Instant::now();
        let mut observed = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        observed.phases.waited += page.waited;
        observed.phases.stage += page.stage;
        if let Err(error) = self.account(&mut observed, page) {
            eprintln!("a page the bench could not account for: {error:#}");
        }
        observed.accounting += started.elapsed();
    }

    fn delta_applied(&self, delta: &AppliedDelta) {
        let mut observed = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        observed.phases.apply += delta.apply;
        observed.phases.index_build += delta.index_build.unwrap_or_default();
        observed.phases.full_text_build += delta.full_text_build.unwrap_or_default();
    }
}

async fn instrumented(device: &Device, proxy: &FaultProxy, server: &str) -> Result<Phases> {
    let url = format!("{server}/v1/pull");
    let token = crate::harness::access_token(server, "admin@taller.test").await?;
    // Which encoding the server picks for what the library offers (reqwest drops the header
    // when it decompresses): one request that keeps the body compressed.
    let probe = reqwest::Client::builder().no_gzip().no_zstd().timeout(Duration::from_secs(60)).build()?;
    let encoding = probe
        .post(&url)
        .bearer_auth(&token)
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .header(reqwest::header::ACCEPT_ENCODING, "gzip, zstd")
        .json(&PullRequest { cursor: None, limit: Some(1) })
        .send()
        .await?
        .error_for_status()?
        .headers()
        .get(reqwest::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .to_owned();
    let observer = Observer(Mutex::new(Observed::default()));
    let before = proxy.stats().bytes_to_client;
    let started = Instant::now();
    device.client.sync_observed(None, &|_| {}, &observer).await?;
    let took = started.elapsed();
    let wire = proxy.stats().bytes_to_client - before;
    let observed = observer.0.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut phases = observed.phases;
    phases.total = took.saturating_sub(observed.accounting);
    phases.encoding = encoding;
    phases.wire_bytes = wire;
    phases.inventory_bytes = wire * observed.inventory_json / phases.json_bytes.max(1);
    Ok(phases)
}

struct Raw {
    rows: u64,
    copy: Duration,
    /// Each way of loading the rows, with the rows it loaded and the time it took.
    loads: Vec<(Load, u64, Duration)>,
}

impl Raw {
    fn rate(&self, load: Load) -> f64 {
        let took = self.loads.iter().find(|(l, _, _)| *l == load).map(|(_, _, took)| *took).unwrap_or_default();
        self.rows as f64 / (self.copy + took).as_secs_f64()
    }

    /// The fastest way: the machine's limit.
    fn best(&self) -> (Load, f64) {
        self.loads
            .iter()
            .map(|(load, _, _)| (*load, self.rate(*load)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((Load::Naive, 0.0))
    }
}

/// COPY every replicated table (the admin's private rows only) out of PostgreSQL, then insert
/// the rows into a fresh SQLite file with the replica's schema, in one transaction.
async fn raw_limit(ctx: &Ctx) -> Result<Raw> {
    let pool = taller_server::db::connect(&ctx.pg.url(BIG), 1).await?;
    let admin: Uuid = sqlx::query_scalar("SELECT id_usuario FROM usuarios WHERE email = 'admin@taller.test'")
        .fetch_one(&pool)
        .await?;
    let mut conn = pool.acquire().await?;
    let mut copied: Vec<(&'static taller_protocol::tables::Table, Vec<u8>)> = Vec::new();
    let started = Instant::now();
    for table in TABLES {
        let columns = table.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ");
        let filter = match table.name {
            "notificaciones" | "carrito_solicitudes" | "conflictos" => format!(" WHERE id_usuario = '{admin}'"),
            "admin_notifications" => format!(" WHERE id_admin = '{admin}'"),
            _ => String::new(),
        };
        // In key order, as the feed's pages come: SQLite then appends to its primary-key b-trees.
        let order = table.key.join(", ");
        let mut stream = conn
            .copy_out_raw(&format!("COPY (SELECT {columns} FROM {}{filter} ORDER BY {order}) TO STDOUT", table.name))
            .await?;
        let mut data = Vec::new();
        while let Some(chunk) = stream.next().await {
            data.extend_from_slice(&chunk?);
        }
        copied.push((table, data));
    }
    let copy = started.elapsed();
    drop(conn);
    pool.close().await;

    let copied = std::sync::Arc::new(copied);
    let mut loads = Vec::new();
    for load in [Load::Naive, Load::Deferred, Load::DeferredNoJournal] {
        let path = ctx.work.join(format!("raw-initial-{}.sqlite3", load.file()));
        let data = copied.clone();
        let task = tokio::task::spawn_blocking(move || insert_rows(&path, &data, load));
        let (rows, took) = task.await.context("raw insert")??;
        loads.push((load, rows, took));
    }
    let rows = loads.first().map(|(_, rows, _)| *rows).unwrap_or(0);
    Ok(Raw { rows, copy, loads })
}

/// How the raw limit loads the copied rows into a fresh replica-schema file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Load {
    /// The replica's settings (WAL, `synchronous=FULL`, SQLite's default page cache), every
    /// index and the full-text index kept row by row.
    Naive,
    /// WAL and `synchronous=FULL` the whole way, a 128 MiB page cache, the secondary indexes
    /// and the full-text triggers dropped for the load and built after it (two sorter threads).
    Deferred,
    /// [`Load::Deferred`] with no journal during the load (only a fresh file with nothing to
    /// lose may do this), then back to WAL and one fsync.
    DeferredNoJournal,
}

impl Load {
    fn file(self) -> &'static str {
        match self {
            Load::Naive => "naive",
            Load::Deferred => "deferred",
            Load::DeferredNoJournal => "no-journal",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Load::Naive => "indexes and full-text index kept during the load, default page cache",
            Load::Deferred => "WAL + synchronous=FULL, 128 MiB cache, indexes and full-text index built after the load",
            Load::DeferredNoJournal => "the same with no journal during the load, then WAL and an fsync",
        }
    }
}

fn insert_rows(
    path: &std::path::Path,
    copied: &[(&'static taller_protocol::tables::Table, Vec<u8>)],
    load: Load,
) -> Result<(u64, Duration)> {
    for suffix in ["", "-wal", "-shm"] {
        crate::harness::clear(format!("{}{suffix}", path.display()));
    }
    probe::create_replica_file(path)?;
    let mut conn = rusqlite::Connection::open(path)?;
    // The replica's own settings (`probe::create_replica_file` leaves them to the connection).
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
    let _frames: i64 =
        conn.query_row(&format!("PRAGMA wal_autocheckpoint = {}", probe::BACKSTOP_FRAMES), [], |row| row.get(0))?;
    let started = Instant::now();
    if load != Load::Naive {
        conn.execute_batch("PRAGMA cache_size = -131072; PRAGMA threads = 2;")?;
    }
    if load == Load::DeferredNoJournal {
        let _mode: String = conn.query_row("PRAGMA journal_mode = OFF", [], |row| row.get(0))?;
    }
    let tx = conn.transaction()?;
    let mut deferred: Vec<String> = Vec::new();
    if load != Load::Naive {
        let schema: Vec<(String, String, String)> = {
            let mut statement = tx.prepare(
                "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND \
                 ((type = 'index' AND tbl_name <> 'outbox') OR (type = 'trigger' AND tbl_name = 'repuestos'))",
            )?;
            let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for (kind, name, sql) in schema {
            tx.execute_batch(&format!("DROP {} \"{name}\"", if kind == "index" { "INDEX" } else { "TRIGGER" }))?;
            deferred.push(sql);
        }
    }
    let mut rows = 0u64;
    for (table, data) in copied {
        let columns = table.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ");
        let placeholders = (1..=table.columns.len()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
        let mut statement = tx.prepare(&format!("INSERT INTO {} ({columns}) VALUES ({placeholders})", table.name))?;
        for line in data.split(|b| *b == b'\n').filter(|line| !line.is_empty()) {
            let values: Vec<SqlValue> = line
                .split(|b| *b == b'\t')
                .zip(table.columns)
                .map(|(field, column)| copy_value(field, column.ty))
                .collect();
            statement.execute(rusqlite::params_from_iter(values.iter()))?;
            rows += 1;
        }
    }
    if load != Load::Naive {
        // Indexes first, then the full-text index from its table, then its triggers.
        let (triggers, indexes): (Vec<&String>, Vec<&String>) =
            deferred.iter().partition(|sql| sql.trim_start().to_ascii_uppercase().starts_with("CREATE TRIGGER"));
        for sql in indexes {
            tx.execute_batch(sql)?;
        }
        tx.execute_batch("INSERT INTO repuestos_fts (repuestos_fts) VALUES ('rebuild')")?;
        for sql in triggers {
            tx.execute_batch(sql)?;
        }
    }
    tx.commit()?;
    if load == Load::DeferredNoJournal {
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        std::fs::File::open(path)?.sync_all()?;
    }
    Ok((rows, started.elapsed()))
}

/// Gzip (level 6, as the server answers clients that offer only gzip) of one page of inventory
/// rows, whole and without its UUID columns: what each column costs on the wire.
fn compression_experiment(rows: &[Vec<serde_json::Value>]) -> Result<Vec<String>> {
    let table = taller_protocol::tables::table("inventario").context("inventario")?;
    let index = |name: &str| table.column_index(name).unwrap_or(usize::MAX);
    let without = |drop: &[usize]| -> Vec<Vec<&serde_json::Value>> {
        rows.iter()
            .map(|row| row.iter().enumerate().filter(|(i, _)| !drop.contains(i)).map(|(_, v)| v).collect())
            .collect()
    };
    fn gz<T: serde::Serialize>(rows: &[T]) -> Result<f64> {
        Ok(gzip_len(&serde_json::to_vec(rows)?)? as f64 / rows.len().max(1) as f64)
    }
    let n = rows.len() as f64;
    let (inv, loc, part) = (index("id_inventario"), index("id_localizacion"), index("id_repuesto"));
    let whole = gz(rows)?;
    let json = serde_json::to_vec(rows)?.len() as f64 / n;
    let no_id = gz(&without(&[inv]))?;
    let no_ids = gz(&without(&[inv, part]))?;
    let no_uuids = gz(&without(&[inv, part, loc]))?;
    Ok(vec![
        format!(
            "compression of one page of {} inventory rows (gzip -6, rows only): {json:.0} B of JSON per row, {whole:.1} B \
             gzipped; without id_inventario {no_id:.1} B; without id_inventario and id_repuesto {no_ids:.1} B; \
             without any UUID {no_uuids:.1} B",
            rows.len()
        ),
        format!(
            "so the two random UUIDs per row (id_inventario, and id_repuesto in id_inventario order) cost {:.1} B of the \
             {whole:.1} B: as hex text each still takes ~16 B after gzip (122 random bits), which alone is more than \
             half the 22 B target; the other columns cost {no_uuids:.1} B",
            whole - no_ids
        ),
    ])
}

/// The length of `data` compressed by `gzip -6`.
fn gzip_len(data: &[u8]) -> Result<usize> {
    use std::io::Write;
    let mut child = std::process::Command::new("gzip")
        .args(["-6", "-c"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("running gzip")?;
    let mut input = child.stdin.take().context("gzip stdin")?;
    let data = data.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&data));
    let out = child.wait_with_output()?;
    writer.join().map_err(|_| anyhow::anyhow!("gzip writer panicked"))??;
    Ok(out.stdout.len())
}

/// A field of COPY's text format as the SQLite value the replica stores.
fn copy_value(field: &[u8], ty: ColumnType) -> SqlValue {
    if field == b"\\N" {
        return SqlValue::Null;
    }
    let text = unescape(field);
    match ty {
        ColumnType::Boolean => SqlValue::Integer(i64::from(text == "t")),
        ColumnType::Integer => text.parse().map(SqlValue::Integer).unwrap_or(SqlValue::Text(text)),
        _ => SqlValue::Text(text),
    }
}

fn unescape(field: &[u8]) -> String {
    if !field.contains(&b'\\') {
        return String::from_utf8_lossy(field).into_owned();
    }
    let mut out = Vec::with_capacity(field.len());
    let mut bytes = field.iter();
    while let Some(&b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'r') => out.push(b'\r'),
            Some(b'b') => out.push(8),
            Some(b'f') => out.push(12),
            Some(b'v') => out.push(11),
            Some(&other) => out.push(other),
            None => {}
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_fields_are_unescaped_and_typed() {
        assert_eq!(copy_value(b"\\N", ColumnType::Text), SqlValue::Null);
        assert_eq!(copy_value(b"t", ColumnType::Boolean), SqlValue::Integer(1));
        assert_eq!(copy_value(b"42", ColumnType::Integer), SqlValue::Integer(42));
        assert_eq!(copy_value(b"a\\tb\\\\c", ColumnType::Text), SqlValue::Text("a\tb\\c".into()));
    }
}
