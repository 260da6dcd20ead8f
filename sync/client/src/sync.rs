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

use crate::error::{ClientError, Result};
use crate::http::ServerApi;
use crate::local::{self, LocalCtx, LocalUser};
use crate::outbox;
use crate::replica::Replica;
use crate::rows;
use rusqlite::{params, Connection};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use taller_protocol::cursor::Cursor;
use taller_protocol::messages::{OutcomeStatus, PullRequest, PushRequest, PushResponse, TableChanges};
use taller_protocol::mutations::Mutation;
use taller_protocol::tables::TABLES;
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
pub struct SyncReport {
    pub pushed: usize,
    pub applied: usize,
    pub rejected: usize,
    pub pages: u64,
    pub rows: u64,
    pub deltas: u64,
}

/// Progress of a pull, for progress bars.
#[derive(Debug, Clone, Copy, serde::Serialize)]
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
    state(conn, "access_token")?.ok_or(ClientError::NotSignedIn)
}

pub fn state(conn: &Connection, key: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn.query_row("SELECT value FROM sync_state WHERE key = ?1", [key], |row| row.get(0)).optional()?)
}

/// Gets a new access token with the refresh token and stores both.
async fn refresh(shared: &Shared, api: &ServerApi) -> Result<String> {
    let refresh_token = {
        let replica = lock(shared);
        state(&replica.conn, "refresh_token")?.ok_or(ClientError::NotSignedIn)?
    };
    let session = api.refresh(&refresh_token).await?;
    let replica = lock(shared);
    Replica::set_state(&replica.conn, "access_token", &session.access_token)?;
    Replica::set_state(&replica.conn, "refresh_token", &session.refresh_token)?;
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

/// Pushes every pending mutation (in batches), recording outcomes.
pub async fn push(shared: &Shared, api: &ServerApi, report: &mut SyncReport) -> Result<()> {
    loop {
        let (batch, device) = {
            let replica = lock(shared);
            let device: Uuid = state(&replica.conn, "device_id")?
                .and_then(|text| text.parse().ok())
                .ok_or(ClientError::NotSignedIn)?;
            (outbox::pending(&replica.conn, PUSH_BATCH)?, device)
        };
        if batch.is_empty() {
            return Ok(());
        }
        let request = PushRequest { device_id: device, mutations: batch.clone() };
        let response: PushResponse = with_token!(shared, api, |token| api.push(&token, &request))?;
        {
            let mut replica = lock(shared);
            record_outcomes(&mut replica.conn, &response, report)?;
        }
        if let Some(stopped) = response.stopped {
            return Err(ClientError::Server { status: 503, code: "unavailable".into(), message: stopped.message });
        }
        if batch.len() < PUSH_BATCH {
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
pub async fn pull(
    shared: &Shared,
    api: &ServerApi,
    limit: Option<u32>,
    report: &mut SyncReport,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<()> {
    loop {
        let cursor = {
            let replica = lock(shared);
            match state(&replica.conn, "staged_cursor")? {
                Some(staged) => Some(staged),
                None => state(&replica.conn, "cursor")?,
            }
        };
        let request = PullRequest { cursor, limit };
        let page = with_token!(shared, api, |token| api.pull(&token, &request))?;
        report.pages += 1;
        report.rows += page.changes.iter().map(|c| (c.upserts.len() + c.deletes.len()) as u64).sum::<u64>();
        progress(Progress { rows_sent: page.rows_sent, rows_total: page.rows_total });
        let mut replica = lock(shared);
        stage(&mut replica.conn, &page.changes, &page.cursor, page.reset)?;
        if page.complete {
            apply_staged(&mut replica.conn)?;
            report.deltas += 1;
            return Ok(());
        }
    }
}

/// Keeps a page and the cursor after it, in one transaction.
pub fn stage(conn: &mut Connection, changes: &[TableChanges], cursor: &str, reset: bool) -> Result<()> {
    let tx = write_transaction(conn)?;
    if reset {
        tx.execute("DELETE FROM staged_pages", [])?;
    }
    if !changes.is_empty() {
        tx.execute(
            "INSERT INTO staged_pages (page, payload) VALUES ((SELECT COALESCE(max(page), 0) + 1 FROM staged_pages), ?1)",
            [serde_json::to_string(changes)?],
        )?;
    }
    Replica::set_state(&tx, "staged_cursor", cursor)?;
    tx.commit()?;
    Ok(())
}

/// Applies the staged delta whole and rebases the pending mutations on it.
pub fn apply_staged(conn: &mut Connection) -> Result<()> {
    let tx = write_transaction(conn)?;
    rows::restore_shadows(&tx)?;
    let mut upserts: HashMap<String, Vec<Vec<Value>>> = HashMap::new();
    let mut deletes: HashMap<String, Vec<String>> = HashMap::new();
    {
        let mut statement = tx.prepare("SELECT payload FROM staged_pages ORDER BY page")?;
        let payloads = statement.query_map([], |row| row.get::<_, String>(0))?;
        for payload in payloads {
            let changes: Vec<TableChanges> = serde_json::from_str(&payload?)?;
            for change in changes {
                upserts.entry(change.table.clone()).or_default().extend(change.upserts);
                deletes.entry(change.table).or_default().extend(change.deletes);
            }
        }
    }
    for table in TABLES {
        for row in upserts.get(table.name).into_iter().flatten() {
            rows::upsert_server(&tx, table, row)?;
        }
    }
    for table in TABLES.iter().rev() {
        for key in deletes.get(table.name).into_iter().flatten() {
            rows::delete_server(&tx, table, key)?;
        }
    }
    let cursor = state(&tx, "staged_cursor")?.ok_or_else(|| ClientError::Invalid("no staged cursor".into()))?;
    Replica::set_state(&tx, "cursor", &cursor)?;
    tx.execute("DELETE FROM sync_state WHERE key = 'staged_cursor'", [])?;
    tx.execute("DELETE FROM staged_pages", [])?;
    rebase(&tx, &cursor)?;
    tx.commit()?;
    Ok(())
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
    let Some(user) = state(conn, "user_id")?.and_then(|text| text.parse::<Uuid>().ok()) else {
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

/// The last successful sync and last error, kept in the replica.
pub fn record_result(shared: &Shared, result: &Result<SyncReport>) -> Result<()> {
    let replica = lock(shared);
    let now = chrono::Utc::now().to_rfc3339();
    match result {
        Ok(_) => {
            Replica::set_state(&replica.conn, "last_success", &now)?;
            replica.conn.execute("DELETE FROM sync_state WHERE key = 'last_error'", [])?;
        }
        Err(error) => Replica::set_state(&replica.conn, "last_error", &format!("{now} {}: {error}", error.code()))?,
    }
    Ok(())
}

/// Push, then pull until caught up.
pub async fn sync(
    shared: &Shared,
    api: &ServerApi,
    limit: Option<u32>,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    let result = async {
        push(shared, api, &mut report).await?;
        pull(shared, api, limit, &mut report, progress).await?;
        // Mutations written while pulling are pushed now rather than at the next tick.
        if outbox::pending_count(&lock(shared).conn)? > 0 {
            push(shared, api, &mut report).await?;
        }
        Ok(report.clone())
    }
    .await;
    record_result(shared, &result)?;
    result
}
