//! The outbox: every local action's mutation, committed in the same SQLite transaction as its
//! local effect (contract invariant 1), pushed in `seq` order until acknowledged.

use crate::error::Result;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use taller_protocol::mutations::MutationEnvelope;
use uuid::Uuid;

/// Adds a mutation; returns its envelope with the device sequence number it got.
pub(crate) fn enqueue(
    conn: &Connection,
    id: Uuid,
    name: &str,
    args: &serde_json::Value,
    at: DateTime<Utc>,
) -> Result<MutationEnvelope> {
    conn.prepare_cached("INSERT INTO outbox (id, name, args, at) VALUES (?1, ?2, ?3, ?4)")?.execute(params![
        id.to_string(),
        name,
        args.to_string(),
        at.to_rfc3339()
    ])?;
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

/// How many mutations are pending: one row that triggers keep in step with the outbox
/// (migration 0002), so asking costs the same with 10 or 100,000 entries waiting.
pub fn pending_count(conn: &Connection) -> Result<i64> {
    Ok(conn.prepare_cached(PENDING_COUNT)?.query_row([], |row| row.get(0))?)
}

pub(crate) const PENDING_COUNT: &str = "SELECT n FROM outbox_pending WHERE id = 1";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replica::Replica;

    fn counted(conn: &Connection) -> i64 {
        conn.query_row("SELECT count(*) FROM outbox WHERE status = 'pending'", [], |row| row.get(0)).expect("count")
    }

    /// The kept count follows every way an entry becomes or stops being pending.
    #[test]
    fn the_pending_count_follows_inserts_outcomes_and_deletes() {
        let replica = Replica::in_memory().expect("replica");
        let conn = &replica.conn;
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        for id in &ids {
            enqueue(conn, *id, "cart.remove", &serde_json::json!({}), Utc::now()).expect("enqueue");
        }
        assert_eq!((pending_count(conn).expect("n"), counted(conn)), (5, 5));
        conn.execute("UPDATE outbox SET status = 'applied', txid = 7 WHERE id = ?1", [ids[0].to_string()])
            .expect("applied");
        conn.execute("UPDATE outbox SET status = 'rejected' WHERE id = ?1", [ids[1].to_string()]).expect("rejected");
        conn.execute("UPDATE outbox SET args = '{\"x\":1}' WHERE id = ?1", [ids[2].to_string()]).expect("args");
        conn.execute("UPDATE outbox SET status = 'pending' WHERE id = ?1", [ids[3].to_string()]).expect("same");
        assert_eq!((pending_count(conn).expect("n"), counted(conn)), (3, 3));
        conn.execute("DELETE FROM outbox WHERE status <> 'pending'", []).expect("rebase");
        assert_eq!((pending_count(conn).expect("n"), counted(conn)), (3, 3));
        conn.execute("DELETE FROM outbox WHERE id = ?1", [ids[4].to_string()]).expect("delete pending");
        assert_eq!((pending_count(conn).expect("n"), counted(conn)), (2, 2));
    }

    /// A replica that had pending entries before migration 0002 starts with the right count.
    #[test]
    fn the_migration_counts_an_existing_outbox() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("r.sqlite3");
        {
            let old = Replica::open_with(&path, &crate::replica::MIGRATIONS[..1]).expect("old replica");
            for (n, status) in ["pending", "pending", "applied", "pending"].iter().enumerate() {
                old.conn
                    .execute(
                        "INSERT INTO outbox (id, name, args, at, status) VALUES (?1, 'cart.remove', '{}', 'now', ?2)",
                        params![format!("m{n}"), status],
                    )
                    .expect("outbox");
            }
        }
        let replica = Replica::open(&path).expect("upgraded");
        assert_eq!(pending_count(&replica.conn).expect("n"), 3);
    }

    /// Asking for the count reads one row: the plan never scans the outbox.
    #[test]
    fn counting_pending_entries_does_not_scan_the_outbox() {
        let replica = Replica::in_memory().expect("replica");
        let plan = crate::replica::query_plan(&replica.conn, PENDING_COUNT);
        assert!(!plan.contains("outbox "), "{plan}");
        assert!(plan.contains("SEARCH outbox_pending USING INTEGER PRIMARY KEY"), "{plan}");
    }
}
