//! One sync: push the outbox, then pull until the delta in progress completes, then rebase.
//!
//! - Push sends pending mutations in `seq` order and records each outcome in the replica.
//!   A rejected mutation goes to the conflict inbox (`rejected_mutations`) and its effect
//!   disappears at the next rebase.
//! - Pull stages each page in `staged_pages` with its cursor (committed page by page, so an
//!   interrupted initial sync resumes where it stopped) and, when the delta's last page
//!   arrives, applies the whole delta in ONE transaction: restore the server images of rows
//!   changed locally, apply the delta, drop outbox entries whose effect the delta contains,
//!   and replay the rest on top (contract invariant 8).
//! - A pull ends with a delta whose end the server fixed after the sync began: a delta left
//!   staged by an interrupted sync is finished first, then a fresh one is pulled. So a sync
//!   that reports success has every change committed before it started.
//! - A push that fails does not stop the pull: the device still receives everyone else's
//!   changes, with its pending ones re-applied on top, and the sync reports the push failure.
//! - A cursor the server refuses (`invalid_cursor`) starts a full sync: the staged pages are
//!   dropped, a delta from nothing is pulled and replaces the replica's server rows whole,
//!   and the outbox is kept and re-applied on top (contract invariant 12).

use crate::bulk::{Deferred, Rebuilt, BUILD_THREADS, BULK_CACHE_KIB};
use crate::error::{ClientError, Result};
use crate::http::{PulledPage, ServerApi};
use crate::local::{self, LocalCtx, LocalUser};
use crate::outbox;
use crate::probe::{self, AppliedDelta, PushedBatch, SyncObserver};
use crate::replica::{Replica, StateKey};
use crate::rows;
use rusqlite::{params, Connection};
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use taller_protocol::cursor::Cursor;
use taller_protocol::messages::{OutcomeStatus, PullRequest, PushRequest, PushResponse, TableChanges};
use taller_protocol::mutations::Mutation;
use taller_protocol::tables::{Table, TABLES};
use uuid::Uuid;

/// The replica shared by the engine and local actions. Locked only for short, synchronous
/// steps: never across a network call.
pub type Shared = Arc<Mutex<Replica>>;

pub fn lock(shared: &Shared) -> MutexGuard<'_, Replica> {
    // A panic while holding the lock leaves a replica whose transactions were rolled back by
    // SQLite: it is safe to keep using.
    shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A transaction that takes the write lock when it begins (waiting up to the busy timeout).
/// Every transaction here reads and then writes; a deferred one would fail at its first write
/// with "database is locked" (`SQLITE_BUSY_SNAPSHOT`, which no busy timeout retries) whenever
/// another process wrote to the replica since its first read: the app and `taller` commands
/// share one replica file.
pub fn write_transaction(conn: &mut Connection) -> Result<rusqlite::Transaction<'_>> {
    Ok(conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
}

/// Mutations per push request.
pub const PUSH_BATCH: usize = 500;

#[derive(Debug, Default, Clone, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncReport {
    pub pushed: usize,
    pub applied: usize,
    pub rejected: usize,
    pub pages: u64,
    pub rows: u64,
    pub deltas: u64,
    /// The server refused the stored cursor and the replica was pulled again in full.
    pub full_sync: bool,
    /// The replica's tables this sync changed: those a pulled delta applied rows to (every
    /// replicated table for a delta from nothing), `outbox` when a delta settled or replayed
    /// pending mutations, and `rejected_mutations` (with `outbox`) when the push recorded
    /// rejections. Names are those of `taller_protocol::tables::TABLES` plus the replica's own.
    pub tables: BTreeSet<String>,
}

impl SyncReport {
    /// Adds the counts of a later sync.
    pub fn add(&mut self, other: &SyncReport) {
        self.pushed += other.pushed;
        self.applied += other.applied;
        self.rejected += other.rejected;
        self.pages += other.pages;
        self.rows += other.rows;
        self.deltas += other.deltas;
        self.full_sync |= other.full_sync;
        self.tables.extend(other.tables.iter().cloned());
    }
}

/// Progress of a pull, for progress bars.
#[derive(Debug, Clone, Copy, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Progress {
    pub rows_sent: u64,
    pub rows_total: u64,
}

impl Progress {
    pub fn percent(&self) -> f64 {
        if self.rows_total == 0 {
            100.0
        } else {
            (self.rows_sent as f64 * 100.0 / self.rows_total as f64).min(100.0)
        }
    }
}

/// The session's tokens, stored in the replica.
pub fn access_token(conn: &Connection) -> Result<String> {
    state(conn, StateKey::AccessToken)?.ok_or(ClientError::NotSignedIn)
}

pub fn state(conn: &Connection, key: StateKey) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT value FROM sync_state WHERE key = ?1")?
        .query_row([key.as_str()], |row| row.get(0))
        .optional()?)
}

/// Gets a new access token with the refresh token and stores both.
async fn refresh(shared: &Shared, api: &ServerApi) -> Result<String> {
    let refresh_token = {
        let replica = lock(shared);
        state(&replica.conn, StateKey::RefreshToken)?.ok_or(ClientError::NotSignedIn)?
    };
    let session = api.refresh(&refresh_token).await?;
    let replica = lock(shared);
    Replica::set_state(&replica.conn, StateKey::AccessToken, &session.access_token)?;
    Replica::set_state(&replica.conn, StateKey::RefreshToken, &session.refresh_token)?;
    Ok(session.access_token)
}

/// Runs a server call with the stored token, refreshing it once if it expired.
macro_rules! with_token {
    ($shared:expr, $api:expr, |$token:ident| $call:expr) => {{
        let $token = { access_token(&lock($shared).conn)? };
        match $call.await {
            Err(error) if error.is_expired_token() => {
                let $token = refresh($shared, $api).await?;
                $call.await
            }
            other => other,
        }
    }};
}

/// Pushes every pending mutation (in batches), recording outcomes; `observer` is told about
/// each batch.
pub async fn push(shared: &Shared, api: &ServerApi, report: &mut SyncReport, observer: &dyn SyncObserver) -> Result<()> {
    loop {
        let started = Instant::now();
        let (batch, device) = {
            let replica = lock(shared);
            let device: Uuid = state(&replica.conn, StateKey::DeviceId)?
                .and_then(|text| text.parse().ok())
                .ok_or(ClientError::NotSignedIn)?;
            (outbox::pending(&replica.conn, PUSH_BATCH)?, device)
        };
        if batch.is_empty() {
            return Ok(());
        }
        let mutations = batch.len();
        let read_outbox = started.elapsed();
        let started = Instant::now();
        let body = serde_json::to_vec(&PushRequest { device_id: device, mutations: batch })
            .map_err(|error| ClientError::Invalid(format!("the push request could not be encoded: {error}")))?;
        let (encode, request_bytes) = (started.elapsed(), body.len());
        let started = Instant::now();
        let response: PushResponse = with_token!(shared, api, |token| api.push_encoded(&token, body.clone()))?;
        let request = started.elapsed();
        let started = Instant::now();
        {
            let mut replica = lock(shared);
            record_outcomes(&mut replica.conn, &response, report)?;
        }
        observer.batch_pushed(&PushedBatch {
            mutations,
            read_outbox,
            encode,
            request_bytes,
            request,
            record_outcomes: started.elapsed(),
        });
        if let Some(stopped) = response.stopped {
            return Err(ClientError::Server {
                status: 503,
                code: taller_protocol::messages::ErrorCode::Unavailable,
                message: stopped.message,
            });
        }
        if mutations < PUSH_BATCH {
            return Ok(());
        }
    }
}

/// Records push outcomes in one transaction.
pub fn record_outcomes(conn: &mut Connection, response: &PushResponse, report: &mut SyncReport) -> Result<()> {
    let tx = write_transaction(conn)?;
    for outcome in &response.outcomes {
        report.pushed += 1;
        let txid: Option<i64> = outcome.txid.parse().ok();
        match outcome.status {
            OutcomeStatus::Applied => {
                report.applied += 1;
                tx.execute(
                    "UPDATE outbox SET status = 'applied', txid = ?2, outcome = ?3 WHERE id = ?1 AND status = 'pending'",
                    params![outcome.id.to_string(), txid, outcome.result.to_string()],
                )?;
                // A part merged into an existing one: later mutations name the survivor.
                if outcome.result.get("merged").and_then(Value::as_bool) == Some(true) {
                    if let (Some(from), Some(to)) = (
                        outcome.result.get("merged_from").and_then(Value::as_str),
                        outcome.result.get("id_repuesto").and_then(Value::as_str),
                    ) {
                        tx.execute(
                            "UPDATE outbox SET args = replace(args, ?1, ?2) WHERE status = 'pending'",
                            params![from, to],
                        )?;
                    }
                }
            }
            OutcomeStatus::Rejected => {
                report.rejected += 1;
                report.tables.insert("rejected_mutations".to_owned());
                report.tables.insert("outbox".to_owned());
                let row: Option<(String, String, String)> = {
                    use rusqlite::OptionalExtension;
                    tx.query_row("SELECT name, args, at FROM outbox WHERE id = ?1", [outcome.id.to_string()], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                    })
                    .optional()?
                };
                if let Some((name, args, at)) = row {
                    tx.execute(
                        "INSERT OR IGNORE INTO rejected_mutations (id, name, args, at, code, message, params) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![
                            outcome.id.to_string(),
                            name,
                            args,
                            at,
                            outcome.code.clone().unwrap_or_default(),
                            outcome.message.clone().unwrap_or_default(),
                            outcome.result.get("params").map(Value::to_string)
                        ],
                    )?;
                }
                tx.execute(
                    "UPDATE outbox SET status = 'rejected', txid = ?2 WHERE id = ?1",
                    params![outcome.id.to_string(), txid],
                )?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}

/// Pulls until the delta in progress completes, then applies it. Returns whether a delta
/// was applied.
///
/// The request for the next page goes out as soon as a page arrives (its cursor is known), so
/// the server prepares page n + 1 while page n is checked and staged. Pages are still staged
/// one by one, in order, each with its cursor.
///
/// A delta left staged by an interrupted pull is finished first; its end was fixed when it
/// began, so a fresh delta follows it. A refused cursor starts a full sync (once per pull).
pub async fn pull(
    shared: &Shared,
    api: &ServerApi,
    limit: Option<u32>,
    report: &mut SyncReport,
    progress: &(dyn Fn(Progress) + Send + Sync),
    observer: &dyn SyncObserver,
) -> Result<()> {
    let (mut cursor, mut resumed) = {
        let replica = lock(shared);
        match state(&replica.conn, StateKey::StagedCursor)? {
            Some(staged) => (Some(staged), true),
            None => (state(&replica.conn, StateKey::Cursor)?, false),
        }
    };
    let mut started_over = false;
    loop {
        match pull_delta(shared, api, cursor, limit, report, progress, observer).await {
            Ok(()) => {}
            Err(error) if error.is_invalid_cursor() && !started_over => {
                start_full_sync(&mut lock(shared).conn, &error)?;
                report.full_sync = true;
                started_over = true;
                (cursor, resumed) = (None, false);
                continue;
            }
            Err(error) => return Err(error),
        }
        if !resumed {
            return Ok(());
        }
        resumed = false;
        cursor = state(&lock(shared).conn, StateKey::Cursor)?;
    }
}

/// Forgets the refused cursor and what was staged with it; the next delta starts from nothing
/// and replaces the replica's server rows ([`apply_staged`]). The outbox stays.
pub fn start_full_sync(conn: &mut Connection, refused: &ClientError) -> Result<()> {
    let tx = write_transaction(conn)?;
    tx.execute("DELETE FROM staged_pages", [])?;
    Replica::clear_state(&tx, &[StateKey::Cursor, StateKey::StagedCursor])?;
    let now = chrono::Utc::now().to_rfc3339();
    let note = format!(
        "{now} {}: {refused}: the replica was pulled again in full; its pending changes were kept",
        refused.code()
    );
    Replica::set_state(&tx, StateKey::LastFullSync, &note)?;
    tx.commit()?;
    Ok(())
}

/// Pulls one delta from `cursor` (a staged one is resumed) and applies it.
async fn pull_delta(
    shared: &Shared,
    api: &ServerApi,
    cursor: Option<String>,
    limit: Option<u32>,
    report: &mut SyncReport,
    progress: &(dyn Fn(Progress) + Send + Sync),
    observer: &dyn SyncObserver,
) -> Result<()> {
    if cursor.is_none() {
        // A delta from nothing holds every row of the scope: applied, it replaces the
        // replica's server rows rather than adding to them.
        let mut replica = lock(shared);
        let tx = write_transaction(&mut replica.conn)?;
        tx.execute("DELETE FROM staged_pages", [])?;
        Replica::clear_state(&tx, &[StateKey::StagedCursor])?;
        Replica::set_state(&tx, StateKey::StagedFullDelta, "1")?;
        tx.commit()?;
    }
    let mut fetch = Fetch::start(shared, api, PullRequest { cursor, limit })?;
    loop {
        let waiting = Instant::now();
        let (page, shape) = fetch.finish(shared, api).await?;
        let waited = waiting.elapsed();
        // The next page is requested before this one is staged.
        let next = if page.complete {
            None
        } else {
            Some(Fetch::start(shared, api, PullRequest { cursor: Some(page.cursor.clone()), limit })?)
        };
        report.pages += 1;
        report.rows += shape.rows;
        progress(Progress { rows_sent: page.rows_sent, rows_total: page.rows_total });
        let staging = Instant::now();
        let mut replica = lock(shared);
        let changes = (shape.tables > 0).then(|| page.changes.get());
        stage_raw(&mut replica.conn, changes, &page.cursor, page.reset)?;
        observer.page_pulled(&probe::PulledPage {
            waited,
            stage: staging.elapsed(),
            changes: page.changes.get(),
            tables: shape.tables,
            rows: shape.rows,
            complete: page.complete,
        });
        match next {
            Some(next) => fetch = next,
            None => {
                let applying = Instant::now();
                let before = report.tables.len();
                let rebuilt = apply_staged_into(&mut replica.conn, &mut report.tables)?;
                replica.note_written(report.tables.iter().map(String::as_str));
                observer.delta_applied(&AppliedDelta {
                    apply: applying.elapsed(),
                    tables: report.tables.len().saturating_sub(before),
                    index_build: rebuilt.map(|rebuilt| rebuilt.index_build),
                    full_text_build: rebuilt.map(|rebuilt| rebuilt.full_text),
                });
                report.deltas += 1;
                return Ok(());
            }
        }
    }
}

/// A page request running on its own task; dropping it cancels the request.
struct Fetch {
    task: tokio::task::JoinHandle<Result<(PulledPage, PageShape)>>,
    request: PullRequest,
}

impl Fetch {
    fn start(shared: &Shared, api: &ServerApi, request: PullRequest) -> Result<Fetch> {
        let token = access_token(&lock(shared).conn)?;
        let (api, body) = (api.clone(), request.clone());
        let task = tokio::spawn(async move { checked(api.pull_page(&token, &body).await?) });
        Ok(Fetch { task, request })
    }

    /// The page, asked again with a refreshed token if the one it went with had expired.
    async fn finish(mut self, shared: &Shared, api: &ServerApi) -> Result<(PulledPage, PageShape)> {
        let outcome = (&mut self.task).await.map_err(|error| ClientError::Offline(error.to_string()))?;
        match outcome {
            Err(error) if error.is_expired_token() => {
                let token = refresh(shared, api).await?;
                checked(api.pull_page(&token, &self.request).await?)
            }
            other => other,
        }
    }
}

impl Drop for Fetch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn checked(page: PulledPage) -> Result<(PulledPage, PageShape)> {
    let shape = check_changes(page.changes.get())?;
    Ok((page, shape))
}

/// The changes of one table in a page, borrowed from the page's JSON text: rows are arrays of
/// undecoded values.
#[derive(serde::Deserialize)]
struct RawChanges<'a> {
    #[serde(borrow)]
    table: Cow<'a, str>,
    #[serde(borrow, default)]
    upserts: Vec<Vec<&'a RawValue>>,
    #[serde(borrow, default)]
    deletes: Vec<Cow<'a, str>>,
}

/// What a checked page holds.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageShape {
    /// Table entries in the page.
    pub tables: usize,
    /// Upserted and deleted rows.
    pub rows: u64,
}

/// Checks the `changes` of a page (the JSON array of `TableChanges`) before it is staged:
/// known tables, rows of exactly the table's columns with their key columns set, keys of the
/// table's arity.
pub fn check_changes(changes: &str) -> Result<PageShape> {
    let parsed: Vec<RawChanges<'_>> =
        serde_json::from_str(changes).map_err(|error| invalid_page(&format!("unreadable changes: {error}")))?;
    let mut shape = PageShape { tables: parsed.len(), rows: 0 };
    for change in &parsed {
        checked_table(change)?;
        shape.rows += (change.upserts.len() + change.deletes.len()) as u64;
    }
    Ok(shape)
}

/// The catalogue entry of a page's table entry, after checking its rows and keys.
fn checked_table(change: &RawChanges<'_>) -> Result<(usize, &'static Table)> {
    let index = TABLES
        .iter()
        .position(|table| table.name == change.table)
        .ok_or_else(|| invalid_page(&format!("unknown table {}", change.table)))?;
    let table = &TABLES[index];
    let keys: Vec<usize> = table.key.iter().filter_map(|k| table.column_index(k)).collect();
    for row in &change.upserts {
        if row.len() != table.columns.len() {
            return Err(invalid_page(&format!(
                "a row of {} has {} values for {} columns",
                table.name,
                row.len(),
                table.columns.len()
            )));
        }
        if keys.iter().any(|&k| !row[k].get().starts_with('"')) {
            return Err(invalid_page(&format!("a row of {} has no key", table.name)));
        }
    }
    if let Some(key) = change.deletes.iter().find(|key| key.is_empty() || key.split('|').count() < table.key.len()) {
        return Err(invalid_page(&format!("a deleted key of {} is malformed: {key:?}", table.name)));
    }
    Ok((index, table))
}

fn invalid_page(what: &str) -> ClientError {
    ClientError::Invalid(format!("the server sent an invalid pull page: {what}"))
}

/// Keeps a page and the cursor after it, in one transaction.
pub fn stage(conn: &mut Connection, changes: &[TableChanges], cursor: &str, reset: bool) -> Result<()> {
    let text = if changes.is_empty() { None } else { Some(serde_json::to_string(changes)?) };
    stage_raw(conn, text.as_deref(), cursor, reset)
}

/// [`stage`] with the page's changes as the JSON text of its `TableChanges` array (checked by
/// [`check_changes`]); `None` when the page has none.
pub fn stage_raw(conn: &mut Connection, changes: Option<&str>, cursor: &str, reset: bool) -> Result<()> {
    let tx = write_transaction(conn)?;
    if reset {
        tx.execute("DELETE FROM staged_pages", [])?;
    }
    if let Some(changes) = changes {
        tx.execute(
            "INSERT INTO staged_pages (page, payload) VALUES ((SELECT COALESCE(max(page), 0) + 1 FROM staged_pages), ?1)",
            [changes],
        )?;
    }
    Replica::set_state(&tx, StateKey::StagedCursor, cursor)?;
    tx.commit()?;
    Ok(())
}

/// SQLite's page cache while a delta that is not from nothing is applied, in KiB (the
/// connection's own setting is restored after): its rows land all over the tables and indexes.
pub const APPLY_CACHE_KIB: i64 = 128 * 1024;

/// Applies the staged delta whole and rebases the pending mutations on it.
pub fn apply_staged(conn: &mut Connection) -> Result<()> {
    apply_staged_into(conn, &mut BTreeSet::new()).map(|_| ())
}

/// [`apply_staged`], adding to `tables` the names of the tables it changed (see
/// [`SyncReport::tables`]). They are added only when the delta is applied.
pub fn apply_staged_into(conn: &mut Connection, tables: &mut BTreeSet<String>) -> Result<Option<Rebuilt>> {
    let cache: i64 = conn.query_row("PRAGMA cache_size", [], |row| row.get(0))?;
    let threads: i64 = conn.query_row("PRAGMA threads", [], |row| row.get(0))?;
    // A bulk load writes its tables in key order and sorts its indexes: a smaller cache, which
    // the index builds' sorters also size their runs by (one per thread and the main one).
    let bulk = state(conn, StateKey::StagedFullDelta)?.is_some();
    let (cache_kib, build_threads) = if bulk { (BULK_CACHE_KIB, BUILD_THREADS) } else { (APPLY_CACHE_KIB, threads) };
    // PRAGMA takes no bound parameters; the values are our own integers.
    conn.execute_batch(&format!("PRAGMA cache_size = -{cache_kib}; PRAGMA threads = {build_threads}"))?;
    let applied = apply_staged_whole(conn, tables, bulk);
    conn.execute_batch(&format!("PRAGMA cache_size = {cache}; PRAGMA threads = {threads}"))?;
    applied
}

/// `from_nothing`: the staged delta is a delta from nothing (`StagedFullDelta`, read by the
/// caller just before; only a pull, which holds the replica's sync lock, writes it).
fn apply_staged_whole(
    conn: &mut Connection,
    tables: &mut BTreeSet<String>,
    from_nothing: bool,
) -> Result<Option<Rebuilt>> {
    let tx = write_transaction(conn)?;
    let mut changed: BTreeSet<String> = BTreeSet::new();
    // Rows changed locally go back to their server image and the pending mutations are
    // replayed on top: their tables may end up different (a replay that no longer applies).
    {
        let mut statement = tx.prepare("SELECT DISTINCT tabla FROM shadow_rows")?;
        let names = statement.query_map([], |row| row.get::<_, String>(0))?;
        for name in names {
            changed.insert(name?);
        }
    }
    rows::restore_shadows(&tx)?;
    let mut deferred = None;
    if from_nothing {
        changed.extend(TABLES.iter().map(|table| table.name.to_owned()));
        // Every server row is replaced: a bulk load, its indexes built after the last row.
        deferred = Some(Deferred::take(&tx)?);
        // Rows the server no longer has, or that left the scope, are in no full delta: the
        // delta replaces everything (the pending changes are replayed on top below).
        for table in TABLES {
            // The name comes from the static table catalogue.
            tx.execute(&format!("DELETE FROM {}", table.name), [])?;
        }
        Replica::clear_state(&tx, &[StateKey::StagedFullDelta])?;
    }
    // Page by page: a delta holds each key once and the replica has no foreign keys, so the
    // order of its rows does not matter, and memory holds one page whatever the delta's size
    // (an initial sync of a million rows). Values stay undecoded text until bound.
    let pages: Vec<i64> = {
        let mut statement = tx.prepare("SELECT page FROM staged_pages ORDER BY page")?;
        let pages = statement.query_map([], |row| row.get::<_, i64>(0))?;
        pages.collect::<rusqlite::Result<_>>()?
    };
    for page in pages {
        let payload: String =
            tx.query_row("SELECT payload FROM staged_pages WHERE page = ?1", [page], |row| row.get(0))?;
        let changes: Vec<RawChanges<'_>> = serde_json::from_str(&payload)?;
        for change in &changes {
            let (_, table) = checked_table(change)?;
            if !change.upserts.is_empty() || !change.deletes.is_empty() {
                changed.insert(table.name.to_owned());
            }
            if !change.upserts.is_empty() {
                let mut statement = tx.prepare_cached(&rows::upsert_sql(table))?;
                for row in &change.upserts {
                    rows::upsert_server_with(&mut statement, table, row)?;
                }
            }
            if !change.deletes.is_empty() {
                let mut statement = tx.prepare_cached(&rows::delete_sql(table))?;
                for key in &change.deletes {
                    rows::delete_server_with(&mut statement, table, key)?;
                }
            }
        }
    }
    // Back before the pending mutations are replayed: they read through the indexes and
    // their writes keep the full-text index.
    let rebuilt = deferred.map(|deferred| deferred.restore(&tx)).transpose()?;
    let cursor = state(&tx, StateKey::StagedCursor)?.ok_or_else(|| ClientError::Invalid("no staged cursor".into()))?;
    Replica::set_state(&tx, StateKey::Cursor, &cursor)?;
    Replica::clear_state(&tx, &[StateKey::StagedCursor])?;
    tx.execute("DELETE FROM staged_pages", [])?;
    rebase(&tx, &cursor)?;
    tx.commit()?;
    changed.insert("outbox".to_owned());
    tables.extend(changed);
    Ok(rebuilt)
}

/// Drops what the server state now contains or refused, and replays the rest.
fn rebase(conn: &Connection, cursor: &str) -> Result<()> {
    let decoded =
        Cursor::decode(cursor).map_err(|_| ClientError::Invalid("the server sent an unreadable cursor".into()))?;
    conn.execute("DELETE FROM outbox WHERE status = 'rejected'", [])?;
    let applied: Vec<(String, i64)> = {
        let mut statement =
            conn.prepare("SELECT id, txid FROM outbox WHERE status = 'applied' AND txid IS NOT NULL")?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (id, txid) in applied {
        if decoded.includes(u64::try_from(txid).unwrap_or(u64::MAX)) {
            conn.execute("DELETE FROM outbox WHERE id = ?1", [id])?;
        }
    }
    replay(conn)
}

/// Re-applies every pending (or acknowledged but not yet pulled) mutation locally, in order.
/// One that no longer applies locally keeps waiting for the server's verdict.
pub fn replay(conn: &Connection) -> Result<()> {
    let Some(user) = state(conn, StateKey::UserId)?.and_then(|text| text.parse::<Uuid>().ok()) else {
        return Ok(());
    };
    for envelope in outbox::replayable(conn)? {
        let Some(local_user) = LocalUser::load(conn, user)? else { return Ok(()) };
        let Ok(mutation) = Mutation::parse(&envelope.name, &envelope.args) else { continue };
        let ctx = LocalCtx { conn, user: &local_user, at: envelope.at, id_mutacion: envelope.id };
        conn.execute("SAVEPOINT replay", [])?;
        match local::apply(&ctx, &mutation) {
            Ok(_) => conn.execute("RELEASE replay", [])?,
            Err(_) => {
                conn.execute("ROLLBACK TO replay", [])?;
                conn.execute("RELEASE replay", [])?
            }
        };
    }
    Ok(())
}

/// The last successful sync, the last error and whether the server answered (and when),
/// kept in the replica so that any process can show them.
pub fn record_result(shared: &Shared, result: &Result<SyncReport>) -> Result<()> {
    let replica = lock(shared);
    let now = chrono::Utc::now().to_rfc3339();
    match result {
        Ok(_) => {
            Replica::set_state(&replica.conn, StateKey::LastSuccess, &now)?;
            Replica::clear_state(&replica.conn, &[StateKey::LastError])?;
        }
        Err(error) => {
            let stored = SyncError { at: now.clone(), code: error.code().to_owned(), message: error.to_string() };
            Replica::set_state(&replica.conn, StateKey::LastError, &serde_json::to_string(&stored)?)?
        }
    }
    let online = match result {
        Ok(_) => true,
        // The pull went through: the server answered.
        Err(ClientError::PushFailed(_)) => true,
        Err(error) => !error.is_transient(),
    };
    record_observation(&replica.conn, online, &now)
}

/// A failed sync attempt as `sync_state.last_error` keeps it (JSON) and screens show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncError {
    /// When it failed (RFC 3339, UTC).
    pub at: String,
    /// `ClientError::code()`: `offline`, `update_required`, a server error code, ...
    pub code: String,
    pub message: String,
}

impl SyncError {
    /// Reads a stored `last_error`: the JSON written since structured errors, or the older
    /// one-line `"<at> <code>: <message>"`.
    pub fn from_stored(text: &str) -> SyncError {
        if let Ok(error) = serde_json::from_str::<SyncError>(text) {
            return error;
        }
        let (at, rest) = text.split_once(' ').unwrap_or(("", text));
        match rest.split_once(": ") {
            Some((code, message)) if !code.is_empty() && !code.contains(' ') => {
                SyncError { at: at.to_owned(), code: code.to_owned(), message: message.to_owned() }
            }
            _ => SyncError { at: at.to_owned(), code: "unknown".to_owned(), message: rest.to_owned() },
        }
    }

    /// The one-line form (`"<at> <code>: <message>"`) the status and the CLI show.
    pub fn line(&self) -> String {
        format!("{} {}: {}", self.at, self.code, self.message)
    }
}

/// What was last observed of the server: online (it answered) or not, and when.
pub fn record_observation(conn: &Connection, online: bool, at: &str) -> Result<()> {
    Replica::set_state(conn, StateKey::ObservedOnline, if online { "1" } else { "0" })?;
    Replica::set_state(conn, StateKey::ObservedAt, at)
}

/// Push, then pull until caught up. A failed push does not stop the pull (unless the server
/// cannot be reached at all): the sync then reports the push failure
/// ([`ClientError::PushFailed`]) after receiving the server's changes.
pub async fn sync(
    shared: &Shared,
    api: &ServerApi,
    limit: Option<u32>,
    progress: &(dyn Fn(Progress) + Send + Sync),
    observer: &dyn SyncObserver,
) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    let result = async {
        let pushed = push(shared, api, &mut report, observer).await;
        match pushed {
            // Nothing was heard from the server, and no session: a pull would fail the same.
            Err(error) if error.is_unreachable() || matches!(error, ClientError::NotSignedIn) => return Err(error),
            Err(error) => {
                tracing::warn!(%error, "push failed; pulling anyway");
                if let Err(pull_error) = pull(shared, api, limit, &mut report, progress, observer).await {
                    tracing::warn!(error = %pull_error, "the pull after a failed push failed too");
                    return Err(error);
                }
                return Err(ClientError::PushFailed(Box::new(error)));
            }
            Ok(()) => {}
        }
        pull(shared, api, limit, &mut report, progress, observer).await?;
        // Mutations written while pulling are pushed now rather than at the next tick.
        if outbox::pending_count(&lock(shared).conn)? > 0 {
            push(shared, api, &mut report, observer).await?;
        }
        Ok(report.clone())
    }
    .await;
    record_result(shared, &result)?;
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn page() -> String {
        // As the server writes it: rows in column order, undecoded values passed through.
        r#"[{"table":"repuestos","upserts":[["p1","BAT-48V","Batería \"48V\"","Batería","Xiaomi",null,false,null,null,"2026-11-22T10:00:00+00:00"],["p2","MTR-1","Motor\n500W",null,null,"d",true,"2026-12-01",null,"2026-11-22T10:00:00+00:00"]],"deletes":["p3"]},
            {"table":"roles","upserts":[["r1","admin",{"inventory": {"view": true}, "n": [1, 2.5]},"2026-11-22T10:00:00+00:00"]]}]"#
            .to_owned()
    }

    fn contents(conn: &Connection) -> Vec<(String, Vec<Vec<Value>>)> {
        TABLES.iter().map(|t| (t.name.to_owned(), rows::all(conn, t).expect("rows"))).collect()
    }

    /// Staging the server's text as it is and applying it leaves the replica the decoded path
    /// (`stage` of `TableChanges`) leaves.
    #[test]
    fn a_raw_page_applies_as_its_decoded_changes() {
        let cursor = Cursor::initial().encode();
        let mut raw = Replica::in_memory().expect("replica");
        let shape = check_changes(&page()).expect("a valid page");
        assert_eq!((shape.tables, shape.rows), (2, 4));
        stage_raw(&mut raw.conn, Some(&page()), &cursor, false).expect("stage");
        apply_staged(&mut raw.conn).expect("apply");

        let mut decoded = Replica::in_memory().expect("replica");
        let changes: Vec<TableChanges> = serde_json::from_str(&page()).expect("changes");
        stage(&mut decoded.conn, &changes, &cursor, false).expect("stage");
        apply_staged(&mut decoded.conn).expect("apply");

        assert_eq!(contents(&raw.conn), contents(&decoded.conn));
        let repuestos = rows::table("repuestos").expect("table");
        let p1 = rows::get(&raw.conn, repuestos, "p1").expect("get").expect("p1");
        assert_eq!(rows::value(repuestos, &p1, "nombre"), &json!("Batería \"48V\""));
        let roles = rows::table("roles").expect("table");
        let r1 = rows::get(&raw.conn, roles, "r1").expect("get").expect("r1");
        assert_eq!(rows::value(roles, &r1, "permisos"), &json!({"inventory": {"view": true}, "n": [1, 2.5]}));
        assert_eq!(state(&raw.conn, StateKey::Cursor).expect("state"), Some(cursor));
        let staged: i64 = raw.conn.query_row("SELECT count(*) FROM staged_pages", [], |r| r.get(0)).expect("count");
        assert_eq!(staged, 0);
    }

    /// A page the client cannot apply as the catalogue says is refused before it is staged.
    #[test]
    fn malformed_pages_are_refused() {
        for bad in [
            r#"[{"table":"nope","upserts":[["x"]]}]"#,
            r#"[{"table":"roles","upserts":[["r1","admin"]]}]"#,
            r#"[{"table":"roles","upserts":[[null,"admin",{},"t"]]}]"#,
            r#"[{"table":"usuarios_localizacion","deletes":["only-one-part"]}]"#,
            r#"[{"table":"roles","deletes":[""]}]"#,
            r#"{"table":"roles"}"#,
        ] {
            assert!(matches!(check_changes(bad), Err(ClientError::Invalid(_))), "{bad}");
        }
        let empty = check_changes("[]").expect("an empty page");
        assert_eq!((empty.tables, empty.rows), (0, 0));
    }
}
