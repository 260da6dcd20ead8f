//! For measuring tools (the benchmarks), not for shells: what a sync does phase by phase while
//! it does it ([`SyncObserver`], given to [`Session::sync_observed`] and
//! [`Session::push_observed`]), and a replica's durability knobs and facts ([`Session::probe`]).
//!
//! The observer sees the library's own sync, not a copy of it: the pages it is told about are
//! the ones the pull stages, timed where the pull waits for them. Nothing here changes what a
//! replica holds; the knobs change only how it is made durable, and say so.

use crate::checkpoint;
use crate::error::Result;
use crate::replica::{self, Replica, StateKey};
use crate::session::Session;
use crate::sync::{self, lock};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Told about each phase of a sync as it ends. Every method does nothing unless implemented;
/// calls come from the task running the sync, between its phases, so an observer should be
/// quick (record and return).
pub trait SyncObserver: Send + Sync {
    /// One batch of the outbox went to the server and its outcomes were recorded.
    fn batch_pushed(&self, _batch: &PushedBatch) {}
    /// One page of a delta arrived, passed its checks and was staged.
    fn page_pulled(&self, _page: &PulledPage<'_>) {}
    /// The staged delta was applied to the replica.
    fn delta_applied(&self, _delta: &AppliedDelta) {}
}

/// The observer that observes nothing ([`Session::sync`] uses it).
pub struct NoObserver;

impl SyncObserver for NoObserver {}

/// One pushed batch, phase by phase.
#[derive(Debug, Clone, Copy)]
pub struct PushedBatch {
    /// Mutations in the batch.
    pub mutations: usize,
    /// Reading the batch from the outbox.
    pub read_outbox: Duration,
    /// Encoding the request (JSON).
    pub encode: Duration,
    /// The request's bytes, before any compression.
    pub request_bytes: usize,
    /// The HTTP round trip: sending the request, the server's work, reading the answer.
    pub request: Duration,
    /// Recording the outcomes in the replica (one transaction).
    pub record_outcomes: Duration,
}

/// One pulled page.
#[derive(Debug, Clone, Copy)]
pub struct PulledPage<'a> {
    /// How long the pull waited for the page once it needed it: the whole request for the first
    /// page; for the next ones, what was left of the request sent while the previous page was
    /// being staged (with its transfer, decompression and checks).
    pub waited: Duration,
    /// Staging the page (one SQLite transaction).
    pub stage: Duration,
    /// The page's changes as the server sent them (JSON text, after decompression).
    pub changes: &'a str,
    /// Tables with changes in the page, and their rows (upserts and deletes).
    pub tables: usize,
    pub rows: u64,
    /// The last page of its delta.
    pub complete: bool,
}

/// One applied delta.
#[derive(Debug, Clone, Copy)]
pub struct AppliedDelta {
    /// Applying the staged pages to the replica (one transaction, its rebase included).
    pub apply: Duration,
    /// Tables the delta changed.
    pub tables: usize,
    /// A delta from nothing (a bulk load): building the secondary indexes after its rows,
    /// part of `apply`.
    pub index_build: Option<Duration>,
    /// ... and rebuilding the full-text index, part of `apply`.
    pub full_text_build: Option<Duration>,
}

/// How the replica's commits are made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Synchronous {
    /// Every commit is synced to disk before it returns (the replica's setting).
    Full,
    /// No sync at all: a crash can lose commits. Only to measure what the syncs cost.
    Off,
}

/// How many matches a search ranks at most (the first ones in the index's order).
pub const RANKED_CANDIDATES: i64 = crate::queries::RANKED_CANDIDATES;
/// The most mutations one push request carries.
pub const PUSH_BATCH: usize = sync::PUSH_BATCH;
/// SQLite's own automatic checkpoint threshold on every replica connection (a backstop).
pub const BACKSTOP_FRAMES: i64 = replica::BACKSTOP_FRAMES;
/// The background checkpointer runs once writes pause this long...
pub const CHECKPOINT_IDLE: Duration = checkpoint::IDLE;
/// ...or after this many commits under a continuous stream of writes.
pub const CHECKPOINT_COMMITS: u64 = checkpoint::COMMITS;

/// The full-text query a search for `text` runs (every word a prefix), or `None` when the
/// text has no word: for a tool that runs its own queries beside the library's.
pub fn fts_query(text: &str) -> Option<String> {
    crate::queries::fts_query(text)
}

/// Creates an empty database with the replica's schema at `path` (no user, no sync state): the
/// starting point of a plain-SQL load that a measuring tool compares the library's with.
pub fn create_replica_file(path: &Path) -> Result<()> {
    Replica::open(path).map(drop)
}

/// A session's replica, for measurements: its durability knobs and a few facts. From
/// [`Session::probe`].
pub struct Probe<'a> {
    pub(crate) session: &'a Session,
}

impl Probe<'_> {
    /// The replica's database file.
    pub fn replica_path(&self) -> PathBuf {
        self.session.replica_file()
    }

    /// Writes a consistent copy of the replica into a new file (`VACUUM INTO`).
    pub fn copy_replica_to(&self, path: &Path) -> Result<()> {
        let replica = lock(self.session.shared());
        replica.conn.execute("VACUUM INTO ?1", [path.to_string_lossy()])?;
        Ok(())
    }

    /// Pauses the background checkpointer (so the WAL keeps growing) and waits up to `limit`
    /// for a running checkpoint to end, or resumes it. Returns whether it got there; `true`
    /// when the session has no checkpointer.
    pub fn pause_checkpoints(&self, paused: bool, limit: Duration) -> bool {
        match self.session.checkpointer() {
            Some(checkpointer) => {
                checkpointer.set_paused(paused);
                !paused || checkpointer.wait_idle(limit)
            }
            None => true,
        }
    }

    /// Checkpoints the background checkpointer has done so far.
    pub fn checkpoints_done(&self) -> u64 {
        self.session.checkpointer().map(|checkpointer| checkpointer.done().0).unwrap_or_default()
    }

    /// SQLite's automatic checkpoint threshold on the session's connection, in WAL frames
    /// (0: never); [`BACKSTOP_FRAMES`] is the replica's.
    pub fn set_wal_autocheckpoint(&self, frames: i64) -> Result<()> {
        let replica = lock(self.session.shared());
        let _set: i64 =
            replica.conn.query_row(&format!("PRAGMA wal_autocheckpoint = {frames}"), [], |row| row.get(0))?;
        Ok(())
    }

    /// Copies the whole WAL into the database file and empties it (`TRUNCATE` checkpoint).
    pub fn truncate_wal(&self) -> Result<()> {
        let replica = lock(self.session.shared());
        replica.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// How the session's connection makes commits durable ([`Synchronous::Full`] is the
    /// replica's own setting; set it back after measuring).
    pub fn set_synchronous(&self, mode: Synchronous) -> Result<()> {
        let sql = match mode {
            Synchronous::Full => "PRAGMA synchronous = FULL",
            Synchronous::Off => "PRAGMA synchronous = OFF",
        };
        lock(self.session.shared()).conn.execute_batch(sql)?;
        Ok(())
    }

    /// The replica's page size, in bytes.
    pub fn page_size(&self) -> Result<i64> {
        Ok(lock(self.session.shared()).conn.query_row("PRAGMA page_size", [], |row| row.get(0))?)
    }

    /// The cursor of the replica's last applied delta (what its next pull sends), if any.
    pub fn cursor(&self) -> Result<Option<String>> {
        sync::state(&lock(self.session.shared()).conn, StateKey::Cursor)
    }
}
