//! One sync at a time per replica, across threads and processes (the engine, a `taller sync`
//! beside it, two `taller sync` at once).
//!
//! Two syncs that overlap on one replica would share its staged delta: the second would finish
//! the first one's delta, whose end was fixed before the second began, and report success
//! without a change committed before it started. A sync therefore holds an exclusive lock for
//! its whole push and pull; a second one waits for it, then pulls a delta of its own.
//!
//! The lock is an exclusive transaction on a small SQLite file beside the replica
//! (`sync.lock`), never written to. SQLite takes it with the operating system's file locks, so
//! it is exclusive between connections of one process as well as between processes, it is
//! released when the process dies, and the replica itself stays free for local actions while a
//! long pull runs (a lock held inside the replica would block them).

use crate::error::{ClientError, Result};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long one wait lasts before it is simply started again: a sync waits as long as the one
/// before it runs (an initial sync may take minutes), but never spins.
const WAIT: Duration = Duration::from_secs(60);

/// Held while a sync runs; dropping it lets the next sync in.
pub struct SyncLock {
    conn: Connection,
}

impl SyncLock {
    /// The lock file of the replica at `replica`.
    pub fn path_for(replica: &Path) -> PathBuf {
        replica.with_file_name("sync.lock")
    }

    /// Waits until no other sync of this replica runs, then holds the lock until dropped.
    /// Blocks the thread: call [`SyncLock::acquire`] from async code.
    pub fn acquire_blocking(path: &Path) -> Result<SyncLock> {
        let conn = open(path)?;
        conn.busy_timeout(WAIT)?;
        loop {
            match begin(&conn) {
                Ok(true) => return Ok(SyncLock { conn }),
                // The file was just made a database; take the lock again.
                Ok(false) => continue,
                Err(error) if is_busy(&error) => continue,
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// [`SyncLock::acquire_blocking`] on a blocking thread. A sync that is abandoned while it
    /// waits releases the lock as soon as the wait ends.
    pub async fn acquire(path: &Path) -> Result<SyncLock> {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || SyncLock::acquire_blocking(&path))
            .await
            .map_err(|error| ClientError::Invalid(format!("waiting for the sync lock: {error}")))?
    }

    /// The lock if no sync holds it now, without waiting.
    pub fn try_acquire(path: &Path) -> Result<Option<SyncLock>> {
        let conn = open(path)?;
        conn.busy_timeout(Duration::ZERO)?;
        loop {
            match begin(&conn) {
                Ok(true) => return Ok(Some(SyncLock { conn })),
                Ok(false) => continue,
                Err(error) if is_busy(&error) => return Ok(None),
                Err(error) => return Err(error.into()),
            }
        }
    }
}

impl Drop for SyncLock {
    fn drop(&mut self) {
        // Closing the connection ends the transaction as well; rolling back first releases
        // the lock even if something still holds the connection.
        if let Err(error) = self.conn.execute_batch("ROLLBACK") {
            tracing::debug!(%error, "releasing the sync lock");
        }
    }
}

// The file keeps SQLite's default rollback journal: in WAL mode an exclusive transaction
// would not keep another one out until it wrote.
fn open(path: &Path) -> Result<Connection> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    Ok(Connection::open(path)?)
}

/// Takes the exclusive lock: `true` when held. A new, empty file is first made a database (a
/// table, committed), so the lock is always taken on a database file: `false` then, and the
/// caller begins again.
fn begin(conn: &Connection) -> rusqlite::Result<bool> {
    conn.execute_batch("BEGIN EXCLUSIVE")?;
    let made: bool = match conn.query_row("SELECT count(*) > 0 FROM sqlite_schema", [], |row| row.get(0)) {
        Ok(made) => made,
        Err(error) => {
            conn.execute_batch("ROLLBACK")?;
            return Err(error);
        }
    };
    if made {
        return Ok(true);
    }
    let created = conn.execute_batch("CREATE TABLE sync_lock (note TEXT); COMMIT");
    if created.is_err() && !conn.is_autocommit() {
        conn.execute_batch("ROLLBACK")?;
    }
    created.map(|()| false)
}

fn is_busy(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if matches!(failure.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// Only one holder at a time, between connections of one process; the next one gets in
    /// once the first lets go.
    #[test]
    fn one_holder_at_a_time_and_the_next_waits_for_it() {
        let dir = tempfile::tempdir().expect("dir");
        let path = SyncLock::path_for(&dir.path().join("replica.sqlite3"));
        let first = SyncLock::acquire_blocking(&path).expect("first");
        assert!(SyncLock::try_acquire(&path).expect("try").is_none(), "held by the first");
        let released = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (path, released) = (path.clone(), released.clone());
            std::thread::spawn(move || {
                let lock = SyncLock::acquire_blocking(&path).expect("second");
                (released.load(Ordering::SeqCst), lock)
            })
        };
        released.store(true, Ordering::SeqCst);
        drop(first);
        let (after_release, second) = waiter.join().expect("thread");
        assert!(after_release, "the second holder got in only after the first let go");
        assert!(SyncLock::try_acquire(&path).expect("try").is_none(), "held by the second");
        drop(second);
        assert!(SyncLock::try_acquire(&path).expect("try").is_some(), "free again");
    }
}
