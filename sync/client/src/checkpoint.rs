//! Checkpoints off the action path (docs/decisions/0003): a thread with its own connection to
//! the replica copies the WAL into the database file after writes, so that a local action
//! commits (one WAL append and its fsync) and returns without ever running the checkpoint.
//!
//! SQLite's own automatic checkpoint runs inside the commit that crosses its threshold,
//! including a local action's. This is SQLite's "application-initiated checkpoint" pattern
//! (<https://www.sqlite.org/wal.html>): the replica connections keep the automatic checkpoint
//! only as a backstop ([`crate::replica::BACKSTOP_FRAMES`]), far above what this thread lets
//! the WAL reach, for a process that has no checkpointer or a checkpointer that cannot keep up.
//!
//! - `PASSIVE` checkpoints never block a writer (of this or another process: the app and the
//!   `taller` CLI share one replica file). When one copies every frame, the next writer starts
//!   the WAL over from its beginning, so the file stops growing. Writes that land while a
//!   checkpoint runs leave frames behind; the thread checkpoints again at once a few times,
//!   and if the WAL still reaches [`RESTART_FRAMES`] it runs a `RESTART` checkpoint, which
//!   holds writers back for the few frames left (waiting at most 100 ms for readers), so a
//!   stream of writes cannot keep the WAL from starting over.
//! - The checkpoint uses `synchronous=FULL` like every replica connection: the database file
//!   is synced before the WAL can be reused, which is what keeps a checkpoint crash-safe.
//! - Dropping the checkpointer checkpoints what its writes left and joins the thread, so a
//!   one-shot CLI command leaves its WAL checkpointed; closing the last connection to a
//!   database checkpoints too (SQLite).

use crate::error::Result;
use rusqlite::Connection;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// A checkpoint runs once writes have paused this long: at a person's pace, after every
/// action or burst of actions, so it does not run beside the next one.
pub const IDLE: Duration = Duration::from_millis(250);
/// Under a continuous stream of writes, a checkpoint runs anyway after this many commits
/// (a local action writes ~15-17 pages: ~4,000 pages, 16 MiB of WAL at 4 KiB pages). Fewer,
/// larger checkpoints copy a page changed by many actions once, and meet fewer actions.
pub const COMMITS: u64 = 256;
/// Extra `PASSIVE` rounds when writes landed during a checkpoint.
const CATCH_UP_ROUNDS: usize = 3;
/// Tries, and the pause between them, while another connection's checkpoint runs.
const BUSY_ROUNDS: usize = 10;
const BUSY_PAUSE: Duration = Duration::from_millis(20);
/// WAL frames at which the thread stops waiting for a quiet moment and runs `RESTART`:
/// about two checkpoints' worth that could not be caught up.
pub const RESTART_FRAMES: i64 = 8_000;
/// How long a `RESTART` checkpoint waits for readers (and so, at most, holds writers back).
const RESTART_WAIT: Duration = Duration::from_millis(100);
/// The checkpoint connection's busy timeout otherwise, as every replica connection's.
const BUSY: Duration = Duration::from_secs(10);

/// What one checkpoint found and did (`PRAGMA wal_checkpoint`): whether another checkpoint
/// held it off, frames in the WAL, frames copied into the database file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checkpoint {
    pub busy: bool,
    pub wal_frames: i64,
    pub copied_frames: i64,
}

impl Checkpoint {
    /// Every frame is in the database file: the next writer starts the WAL over.
    pub fn caught_up(&self) -> bool {
        self.wal_frames == self.copied_frames
    }
}

/// Runs one checkpoint of the given mode (`PASSIVE`, `FULL`, `RESTART`, `TRUNCATE`).
pub fn checkpoint(conn: &Connection, mode: &str) -> Result<Checkpoint> {
    // The mode is one of our own constants; PRAGMA takes no bound parameters.
    Ok(conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |row| {
        Ok(Checkpoint { busy: row.get::<_, i64>(0)? != 0, wal_frames: row.get(1)?, copied_frames: row.get(2)? })
    })?)
}

/// Checkpoints until caught up (a few rounds), then with `RESTART` if the WAL is still long.
fn catch_up(conn: &Connection) -> Result<Checkpoint> {
    let mut last = checkpoint(conn, "PASSIVE")?;
    // Another process's checkpoint is running: let it finish, then copy what it left.
    for _ in 0..BUSY_ROUNDS {
        if !last.busy {
            break;
        }
        std::thread::sleep(BUSY_PAUSE);
        last = checkpoint(conn, "PASSIVE")?;
    }
    for _ in 0..CATCH_UP_ROUNDS {
        if last.busy || last.caught_up() {
            return Ok(last);
        }
        last = checkpoint(conn, "PASSIVE")?;
    }
    if !last.busy && !last.caught_up() && last.wal_frames >= RESTART_FRAMES {
        // RESTART holds writers back while it waits for readers: wait briefly, not for the
        // connection's usual busy timeout. If a reader holds old frames it answers busy and
        // the next round tries again.
        conn.busy_timeout(RESTART_WAIT)?;
        let restarted = checkpoint(conn, "RESTART");
        conn.busy_timeout(BUSY)?;
        last = restarted?;
    }
    Ok(last)
}

#[derive(Default)]
struct State {
    /// Commits since the last checkpoint began.
    writes: u64,
    stop: bool,
    paused: bool,
    running: bool,
    /// Checkpoints done, and the last one's result (for tests and diagnostics).
    done: u64,
    last: Option<Checkpoint>,
}

struct Inner {
    state: Mutex<State>,
    /// Wakes the thread: a commit, or stop.
    wake: Condvar,
    /// Wakes whoever waits for a checkpoint to be done.
    progress: Condvar,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The background checkpointer of one replica file. Tell it about commits with [`wrote`];
/// dropping it checkpoints what is left and stops the thread.
///
/// [`wrote`]: Checkpointer::wrote
pub struct Checkpointer {
    inner: Arc<Inner>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Opens a second connection to the replica at `path` and starts the thread.
    pub fn start(path: &Path) -> Result<Checkpointer> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY)?;
        conn.execute_batch("PRAGMA synchronous = FULL;")?;
        let inner =
            Arc::new(Inner { state: Mutex::new(State::default()), wake: Condvar::new(), progress: Condvar::new() });
        let thread = {
            let inner = inner.clone();
            std::thread::Builder::new().name("taller-checkpoint".into()).spawn(move || run(&conn, &inner))?
        };
        Ok(Checkpointer { inner, thread: Some(thread) })
    }

    /// A transaction committed on the replica: counts toward the next checkpoint. Cheap (a
    /// mutex and a condition variable); never waits for a checkpoint.
    pub fn wrote(&self) {
        let mut state = self.inner.lock();
        state.writes += 1;
        drop(state);
        self.inner.wake.notify_one();
    }

    /// While paused the thread only counts commits (SQLite's backstop still checkpoints);
    /// dropping it still checkpoints. For measurements that need the WAL to keep growing.
    pub fn set_paused(&self, paused: bool) {
        self.inner.lock().paused = paused;
        self.inner.wake.notify_one();
    }

    /// Checkpoints done so far and the last one's result.
    pub fn done(&self) -> (u64, Option<Checkpoint>) {
        let state = self.inner.lock();
        (state.done, state.last)
    }

    /// Waits until no checkpoint runs and, unless paused, every commit counted so far has been
    /// checkpointed (at most `limit`). Returns whether it got there. For tests and measurements.
    pub fn wait_idle(&self, limit: Duration) -> bool {
        let busy = |state: &mut State| state.running || (state.writes > 0 && !state.paused);
        let state = self.inner.lock();
        let (mut state, _) =
            self.inner.progress.wait_timeout_while(state, limit, busy).unwrap_or_else(|poisoned| poisoned.into_inner());
        !busy(&mut state)
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.inner.lock().stop = true;
        self.inner.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::warn!("the checkpoint thread panicked");
            }
        }
    }
}

fn run(conn: &Connection, inner: &Inner) {
    let mut state = inner.lock();
    loop {
        if state.writes == 0 || (state.paused && !state.stop) {
            if state.stop {
                return;
            }
            state = inner.wake.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner());
            continue;
        }
        if state.writes < COMMITS && !state.stop {
            // Wait for more commits, or for a quiet moment: every commit wakes us and starts
            // the quiet period again.
            let seen = state.writes;
            let (next, timeout) = inner.wake.wait_timeout(state, IDLE).unwrap_or_else(|poisoned| poisoned.into_inner());
            state = next;
            if !timeout.timed_out() || state.writes != seen {
                continue;
            }
        }
        state.writes = 0;
        state.running = true;
        drop(state);
        let result = catch_up(conn);
        state = inner.lock();
        state.running = false;
        match result {
            Ok(done) => state.last = Some(done),
            // The backstop checkpoint still bounds the WAL; try again after the next writes.
            Err(error) => tracing::warn!(%error, "background checkpoint failed"),
        }
        state.done += 1;
        inner.progress.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replica::Replica;

    const LONG: Duration = Duration::from_secs(60);

    fn write(replica: &Replica, n: usize) {
        replica
            .conn
            .execute("INSERT INTO sync_state (key, value) VALUES (?1, ?2)", [format!("k{n}"), "x".repeat(2000)])
            .expect("write");
    }

    /// The database file alone (no WAL) as another replica would read it after a crash that
    /// lost the WAL: rows there were checkpointed.
    fn rows_in_database_file(path: &Path) -> i64 {
        let dir = tempfile::tempdir().expect("dir");
        let copy = dir.path().join("copy.sqlite3");
        std::fs::copy(path, &copy).expect("copy");
        let conn = Connection::open(&copy).expect("open copy");
        conn.query_row("SELECT count(*) FROM sync_state WHERE key LIKE 'k%'", [], |row| row.get(0)).expect("count")
    }

    #[test]
    fn enough_commits_are_checkpointed_in_the_background_and_the_wal_starts_over() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("r.sqlite3");
        let replica = Replica::open(&path).expect("replica");
        let checkpointer = Checkpointer::start(&path).expect("start");
        let mut written = 0;
        for round in 0..3u64 {
            for _ in 0..COMMITS {
                write(&replica, written);
                written += 1;
                checkpointer.wrote();
            }
            assert!(checkpointer.wait_idle(LONG), "checkpointed within {LONG:?}");
            assert_eq!(rows_in_database_file(&path), i64::try_from(written).expect("n"), "copied");
            let (done, last) = checkpointer.done();
            assert!(done > round, "a checkpoint after {COMMITS} commits");
            assert!(last.is_some_and(|c| c.caught_up() && c.wal_frames > 0), "{last:?}");
            // Everything was copied, so the next commit writes the WAL from its beginning:
            // the WAL holds that commit only, not every round so far.
            write(&replica, written);
            written += 1;
            let now = checkpoint(&replica.conn, "PASSIVE").expect("checkpoint");
            assert!(now.wal_frames < 10, "the WAL started over: {now:?}");
        }
    }

    /// The app and a `taller` command each run a checkpointer on the same replica file: both
    /// write, both checkpoint (one at a time), nothing fails and everything is copied.
    #[test]
    fn two_writers_with_their_own_checkpointers_share_a_replica() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("r.sqlite3");
        let app = Replica::open(&path).expect("app");
        let cli = Replica::open(&path).expect("cli");
        let app_checkpointer = Checkpointer::start(&path).expect("start");
        let cli_checkpointer = Checkpointer::start(&path).expect("start");
        let rounds = usize::try_from(COMMITS).expect("n") + 10;
        for n in 0..rounds {
            write(&app, 2 * n);
            app_checkpointer.wrote();
            write(&cli, 2 * n + 1);
            cli_checkpointer.wrote();
        }
        assert!(app_checkpointer.wait_idle(LONG) && cli_checkpointer.wait_idle(LONG), "both checkpointed");
        for checkpointer in [&app_checkpointer, &cli_checkpointer] {
            let (done, last) = checkpointer.done();
            assert!(done >= 1 && last.is_some(), "each ran without error: {done} {last:?}");
        }
        drop(cli_checkpointer);
        drop(cli);
        // Whatever one left while the other ran is copied by the next checkpoint; the replica
        // is whole and its WAL starts over.
        assert!(checkpoint(&app.conn, "PASSIVE").expect("checkpoint").caught_up());
        assert_eq!(rows_in_database_file(&path), i64::try_from(2 * rounds).expect("n"));
        write(&app, 2 * rounds);
        let now = checkpoint(&app.conn, "PASSIVE").expect("checkpoint");
        assert!(now.wal_frames < 10, "the WAL started over: {now:?}");
    }

    #[test]
    fn dropping_the_checkpointer_checkpoints_what_is_left() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("r.sqlite3");
        let replica = Replica::open(&path).expect("replica");
        let checkpointer = Checkpointer::start(&path).expect("start");
        for n in 0..3 {
            write(&replica, n);
            checkpointer.wrote();
        }
        drop(checkpointer);
        assert_eq!(rows_in_database_file(&path), 3, "the rows are in the database file");
        // Still a working replica afterwards.
        write(&replica, 99);
    }

    #[test]
    fn without_writes_there_is_nothing_to_checkpoint() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("r.sqlite3");
        let _replica = Replica::open(&path).expect("replica");
        let checkpointer = Checkpointer::start(&path).expect("start");
        assert_eq!(checkpointer.done(), (0, None));
    }

    /// A long WAL that a checkpoint cannot catch up with (a reader holds old frames) is not
    /// an error; once the reader is gone the next checkpoint copies everything.
    #[test]
    fn a_reader_holding_the_wal_only_delays_the_checkpoint() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("r.sqlite3");
        let replica = Replica::open(&path).expect("replica");
        let reader = Connection::open(&path).expect("reader");
        reader.execute_batch("BEGIN; SELECT count(*) FROM sync_state;").expect("read transaction");
        for n in 0..10 {
            write(&replica, n);
        }
        let held = checkpoint(&replica.conn, "PASSIVE").expect("checkpoint");
        assert!(!held.caught_up(), "{held:?}");
        reader.execute_batch("COMMIT").expect("end read");
        let done = catch_up(&replica.conn).expect("checkpoint");
        assert!(done.caught_up(), "{done:?}");
        assert_eq!(rows_in_database_file(&path), 10);
    }
}
