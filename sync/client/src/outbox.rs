//! The outbox: every local action's mutation, committed in the same SQLite transaction as its
//! local effect (contract invariant 1), pushed in `seq` order until acknowledged.

use crate::error::Result;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use taller_protocol::mutations::MutationEnvelope;
use uuid::Uuid;

/// Adds a mutation; returns its envelope with the device sequence number it got.
pub fn enqueue(
    conn: &Connection,
    id: Uuid,
    name: &str,
    args: &serde_json::Value,
    at: DateTime<Utc>,
) -> Result<MutationEnvelope> {
    conn.execute(
        "INSERT INTO outbox (id, name, args, at) VALUES (?1, ?2, ?3, ?4)",
        params![id.to_string(), name, args.to_string(), at.to_rfc3339()],
    )?;
    let seq = conn.last_insert_rowid();
    Ok(MutationEnvelope {
        id,
        seq: u64::try_from(seq).unwrap_or_default(),
        at,
        name: name.to_owned(),
        args: args.clone(),
    })
}

fn envelope(row: &rusqlite::Row<'_>) -> rusqlite::Result<MutationEnvelope> {
    let seq: i64 = row.get(0)?;
    let id: String = row.get(1)?;
    let args: String = row.get(3)?;
    let at: String = row.get(4)?;
    Ok(MutationEnvelope {
        seq: u64::try_from(seq).unwrap_or_default(),
        id: id.parse().unwrap_or_default(),
        name: row.get(2)?,
        args: serde_json::from_str(&args).unwrap_or_default(),
        at: DateTime::parse_from_rfc3339(&at).map(|t| t.with_timezone(&Utc)).unwrap_or_default(),
    })
}

/// Mutations not yet acknowledged, oldest first.
pub fn pending(conn: &Connection, limit: usize) -> Result<Vec<MutationEnvelope>> {
    let mut statement = conn
        .prepare_cached("SELECT seq, id, name, args, at FROM outbox WHERE status = 'pending' ORDER BY seq LIMIT ?1")?;
    let rows = statement.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], envelope)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Mutations whose local effect must be replayed over the server state: pending ones and
/// applied ones whose effect the replica has not pulled yet.
pub fn replayable(conn: &Connection) -> Result<Vec<MutationEnvelope>> {
    let mut statement = conn.prepare_cached(
        "SELECT seq, id, name, args, at FROM outbox WHERE status IN ('pending', 'applied') ORDER BY seq",
    )?;
    let rows = statement.query_map([], envelope)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn pending_count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM outbox WHERE status = 'pending'", [], |row| row.get(0))?)
}
