//! Opening a replica: WAL with `synchronous=FULL` (contract invariant 1: a committed local
//! action survives a crash or a power cut), foreign keys on, and the schema migrations of
//! `migrations/client/` applied in order, tracked by `PRAGMA user_version`. Migrations only
//! add: a replica from an older version keeps its outbox.
//!
//! Checkpoints: a [`crate::checkpoint::Checkpointer`] copies the WAL into the database file
//! from its own thread and connection, so local actions do not pay for it. SQLite's automatic
//! checkpoint stays on every connection as a backstop, at [`BACKSTOP_FRAMES`], for when no
//! checkpointer runs (docs/decisions/0003).

use crate::error::{ClientError, Result};
use rusqlite::{Connection, OptionalExtension};
use std::path::Path;

/// The replica's migrations, in order. Never edit one that shipped; append.
pub const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/client/0001_replica.sql"),
    include_str!("../../../migrations/client/0002_act_path.sql"),
    include_str!("../../../migrations/client/0003_app.sql"),
    include_str!("../../../migrations/client/0004_outbox_subject.sql"),
    include_str!("../../../migrations/client/0005_ledger_instants.sql"),
    include_str!("../../../migrations/client/0006_search_prefixes.sql"),
    include_str!("../../../migrations/client/0007_absorbed_by_count.sql"),
];

/// WAL frames (pages) after which a commit on a replica connection checkpoints by itself
/// (`PRAGMA wal_autocheckpoint`; SQLite's default is 1,000). Far above what the background
/// checkpointer lets the WAL reach, so it only fires when no checkpointer runs.
pub const BACKSTOP_FRAMES: i64 = 10_000;

/// The size the WAL file is cut back to when SQLite starts it over (`journal_size_limit`):
/// above what the backstop lets it reach, so only a large pull's WAL is shortened.
pub const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// Prepared statements kept per connection: a local action runs a few dozen distinct ones.
const STATEMENT_CACHE: usize = 128;

pub struct Replica {
    pub conn: Connection,
    /// The last [`LocationCensus`] taken, valid while no part or inventory row has changed.
    pub(crate) census: std::cell::RefCell<Option<LocationCensus>>,
    /// Moves each time this connection may have written rows of `repuestos` or `inventario`
    /// ([`Replica::note_written`], called by the two doors that write them: a local action and
    /// an applied delta). Another connection's commits show in `PRAGMA data_version`.
    pub(crate) inventory_generation: std::cell::Cell<u64>,
}

/// How a location's inventory rows cover the parts, as of one state of the replica: the
/// inventory window counts a broad search's matches from the full-text index alone when the
/// location holds exactly one row for every part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LocationCensus {
    /// `PRAGMA data_version` (another connection's commits) and
    /// [`Replica::inventory_generation`] when the census was taken: either moving makes it stale.
    pub(crate) version: (i64, u64),
    pub(crate) location: uuid::Uuid,
    /// Rows in `repuestos`.
    pub(crate) parts: i64,
    /// The location has one row for every part, and no part twice.
    pub(crate) one_row_per_part: bool,
}

impl Replica {
    pub fn open(path: &Path) -> Result<Replica> {
        Replica::open_with(path, MIGRATIONS)
    }

    /// Opens with a given migration list (tests use it to play a newer Taller).
    pub(crate) fn open_with(path: &Path, migrations: &[&str]) -> Result<Replica> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let conn = Connection::open(path)?;
        Replica::prepare(conn, migrations)
    }

    /// An in-memory replica, for tests of pure replica logic.
    pub fn in_memory() -> Result<Replica> {
        Replica::prepare(Connection::open_in_memory()?, MIGRATIONS)
    }

    fn prepare(conn: Connection, migrations: &[&str]) -> Result<Replica> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // journal_mode answers with the mode in force ("memory" for in-memory databases).
        let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        // Integers of our own; PRAGMA takes no bound parameters.
        let _frames: i64 =
            conn.query_row(&format!("PRAGMA wal_autocheckpoint = {BACKSTOP_FRAMES}"), [], |row| row.get(0))?;
        let _limit: i64 =
            conn.query_row(&format!("PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}"), [], |row| row.get(0))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let mut replica =
            Replica { conn, census: std::cell::RefCell::new(None), inventory_generation: std::cell::Cell::new(0) };
        replica.migrate(migrations)?;
        Ok(replica)
    }

    /// Says which tables a write of this connection changed (a local action's, an applied
    /// delta's): one of `repuestos` and `inventario` among them makes a census stale. Writing
    /// those tables on this connection any other way, without saying so, leaves the inventory
    /// window's broad-search totals stale (ARCHITECTURE.md, invariants).
    pub(crate) fn note_written<'a>(&self, tables: impl IntoIterator<Item = &'a str>) {
        if tables.into_iter().any(|table| table == "inventario" || table == "repuestos") {
            self.inventory_generation.set(self.inventory_generation.get().wrapping_add(1));
        }
    }

    fn migrate(&mut self, migrations: &[&str]) -> Result<()> {
        let version: i64 = self.conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        let known = migrations.len() as i64;
        if version > known {
            return Err(ClientError::ReplicaTooNew { found: version, known });
        }
        for (index, sql) in migrations.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            // PRAGMA takes no bound parameters; the value is our own integer.
            tx.execute_batch(&format!("PRAGMA user_version = {}", index + 1))?;
            tx.commit()?;
        }
        Ok(())
    }

    pub fn schema_version(&self) -> Result<i64> {
        Ok(self.conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    /// A value of the sync bookkeeping (`sync_state`).
    pub fn state(&self, key: StateKey) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM sync_state WHERE key = ?1")?
            .query_row([key.as_str()], |row| row.get(0))
            .optional()?)
    }

    pub fn set_state(conn: &Connection, key: StateKey, value: &str) -> Result<()> {
        conn.execute(
            "INSERT INTO sync_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [key.as_str(), value],
        )?;
        Ok(())
    }

    /// Removes these keys of the sync bookkeeping.
    pub fn clear_state(conn: &Connection, keys: &[StateKey]) -> Result<()> {
        let mut statement = conn.prepare_cached("DELETE FROM sync_state WHERE key = ?1")?;
        for key in keys {
            statement.execute([key.as_str()])?;
        }
        Ok(())
    }
}

/// Every key of the replica's sync bookkeeping (`sync_state`): the only names it is read or
/// written by, so a misspelt key is a compile error rather than a value that is never found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StateKey {
    /// The session's access token; absent once signed out.
    AccessToken,
    RefreshToken,
    /// The signed-in user's id.
    UserId,
    /// The user's profile as the server gave it (JSON).
    Profile,
    /// The argon2id hash of the password, for an offline unlock.
    OfflineHash,
    /// The server this replica was signed in against.
    ServerUrl,
    /// This replica's device id, made once.
    DeviceId,
    /// The cursor of the last delta applied in whole.
    Cursor,
    /// The cursor of the delta being staged, page by page.
    StagedCursor,
    /// Set while the delta being staged starts from nothing (a full sync).
    StagedFullDelta,
    /// When and why the replica was last pulled again in full.
    LastFullSync,
    LastSuccess,
    /// The last failed sync attempt (JSON of `SyncError`).
    LastError,
    /// Whether the last attempt reached the server ("1"/"0"), and when.
    ObservedOnline,
    ObservedAt,
    /// Wrong offline passwords in a row.
    UnlockFailures,
    /// Until when an offline unlock is refused without checking the password (RFC 3339).
    UnlockPausedUntil,
}

impl StateKey {
    pub const ALL: [StateKey; 17] = [
        StateKey::AccessToken,
        StateKey::RefreshToken,
        StateKey::UserId,
        StateKey::Profile,
        StateKey::OfflineHash,
        StateKey::ServerUrl,
        StateKey::DeviceId,
        StateKey::Cursor,
        StateKey::StagedCursor,
        StateKey::StagedFullDelta,
        StateKey::LastFullSync,
        StateKey::LastSuccess,
        StateKey::LastError,
        StateKey::ObservedOnline,
        StateKey::ObservedAt,
        StateKey::UnlockFailures,
        StateKey::UnlockPausedUntil,
    ];

    /// The key as stored (existing replicas hold these strings: never rename one).
    pub const fn as_str(self) -> &'static str {
        match self {
            StateKey::AccessToken => "access_token",
            StateKey::RefreshToken => "refresh_token",
            StateKey::UserId => "user_id",
            StateKey::Profile => "profile",
            StateKey::OfflineHash => "offline_hash",
            StateKey::ServerUrl => "server_url",
            StateKey::DeviceId => "device_id",
            StateKey::Cursor => "cursor",
            StateKey::StagedCursor => "staged_cursor",
            StateKey::StagedFullDelta => "staged_full_delta",
            StateKey::LastFullSync => "last_full_sync",
            StateKey::LastSuccess => "last_success",
            StateKey::LastError => "last_error",
            StateKey::ObservedOnline => "observed_online",
            StateKey::ObservedAt => "observed_at",
            StateKey::UnlockFailures => "unlock_failures",
            StateKey::UnlockPausedUntil => "unlock_paused_until",
        }
    }
}

/// The lines of `EXPLAIN QUERY PLAN` for a statement (parameters unbound), for tests that
/// hold a query to an index.
#[cfg(test)]
pub(crate) fn query_plan(conn: &Connection, sql: &str) -> String {
    let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("explain");
    let nulls = vec![rusqlite::types::Null; statement.parameter_count()];
    let lines = statement.query_map(rusqlite::params_from_iter(nulls), |row| row.get::<_, String>(3)).expect("plan");
    lines.collect::<rusqlite::Result<Vec<_>>>().expect("plan rows").join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use taller_protocol::tables::TABLES;

    /// Each state key is stored under its own string, and a value set under one is read back
    /// under it alone (a key that shared another's string would overwrite it).
    #[test]
    fn state_keys_are_distinct_and_round_trip() {
        let strings: std::collections::BTreeSet<&str> = StateKey::ALL.iter().map(|key| key.as_str()).collect();
        assert_eq!(strings.len(), StateKey::ALL.len());
        let dir = tempfile::tempdir().expect("dir");
        let replica = Replica::open(&dir.path().join("r.sqlite3")).expect("open");
        for (n, key) in StateKey::ALL.iter().enumerate() {
            Replica::set_state(&replica.conn, *key, &n.to_string()).expect("set");
        }
        for (n, key) in StateKey::ALL.iter().enumerate() {
            assert_eq!(replica.state(*key).expect("state"), Some(n.to_string()));
        }
        Replica::clear_state(&replica.conn, &[StateKey::Cursor]).expect("clear");
        assert_eq!(replica.state(StateKey::Cursor).expect("state"), None);
        assert_eq!(replica.state(StateKey::StagedCursor).expect("state"), Some("8".to_owned()));
    }

    #[test]
    fn durability_pragmas_are_set_on_a_file_replica() {
        let dir = tempfile::tempdir().expect("dir");
        let replica = Replica::open(&dir.path().join("r.sqlite3")).expect("open");
        let mode: String = replica.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("mode");
        let sync: i64 = replica.conn.query_row("PRAGMA synchronous", [], |r| r.get(0)).expect("sync");
        let fk: i64 = replica.conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).expect("fk");
        assert_eq!(mode, "wal");
        assert_eq!(sync, 2, "FULL");
        assert_eq!(fk, 1);
        let backstop: i64 = replica.conn.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0)).expect("auto");
        assert_eq!(backstop, BACKSTOP_FRAMES, "SQLite still checkpoints when no checkpointer runs");
        assert_eq!(replica.schema_version().expect("version"), MIGRATIONS.len() as i64);
    }

    /// The replica's tables are the catalogue's, column by column, in order.
    #[test]
    fn replica_tables_match_the_catalogue() {
        let replica = Replica::in_memory().expect("open");
        for table in TABLES {
            let mut statement = replica.conn.prepare(&format!("PRAGMA table_info({})", table.name)).expect("pragma");
            let columns: Vec<(String, bool, i64)> = statement
                .query_map([], |row| Ok((row.get::<_, String>(1)?, row.get::<_, bool>(3)?, row.get::<_, i64>(5)?)))
                .expect("query")
                .collect::<rusqlite::Result<_>>()
                .expect("rows");
            let names: Vec<&str> = columns.iter().map(|c| c.0.as_str()).collect();
            let want: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
            assert_eq!(names, want, "{}", table.name);
            for (column, (_, not_null, pk)) in table.columns.iter().zip(&columns) {
                assert_eq!(*not_null, !column.nullable, "{}.{} nullability", table.name, column.name);
                assert_eq!(*pk > 0, table.key.contains(&column.name), "{}.{} key", table.name, column.name);
            }
        }
    }

    #[test]
    fn reopening_keeps_data_and_does_not_migrate_again() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("r.sqlite3");
        {
            let replica = Replica::open(&path).expect("open");
            replica
                .conn
                .execute("INSERT INTO outbox (id, name, args, at) VALUES ('a', 'cart.remove', '{}', 'now')", [])
                .expect("insert");
        }
        let replica = Replica::open(&path).expect("reopen");
        let count: i64 = replica.conn.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0)).expect("count");
        assert_eq!(count, 1, "the outbox survives reopening");
    }

    /// A replica written by this version opens in a newer one (with one more migration) with
    /// its outbox, cursor and rows intact, and the new migration applied once.
    #[test]
    fn an_older_replica_upgrades_without_losing_its_outbox() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("r.sqlite3");
        {
            let replica = Replica::open(&path).expect("open");
            replica
                .conn
                .execute("INSERT INTO outbox (id, name, args, at) VALUES ('m1', 'cart.remove', '{}', 'now')", [])
                .expect("outbox");
            Replica::set_state(&replica.conn, StateKey::Cursor, "abc").expect("cursor");
        }
        let newer: Vec<&str> = MIGRATIONS
            .iter()
            .copied()
            .chain(["ALTER TABLE outbox ADD COLUMN note TEXT; CREATE TABLE favorites (id_repuesto TEXT PRIMARY KEY);"])
            .collect();
        for _ in 0..2 {
            let replica = Replica::open_with(&path, &newer).expect("upgrade");
            assert_eq!(replica.schema_version().expect("version"), newer.len() as i64);
            let (id, note): (String, Option<String>) = replica
                .conn
                .query_row("SELECT id, note FROM outbox", [], |r| Ok((r.get(0)?, r.get(1)?)))
                .expect("outbox kept");
            assert_eq!((id.as_str(), note), ("m1", None));
            assert_eq!(replica.state(StateKey::Cursor).expect("state").as_deref(), Some("abc"));
        }
    }

    #[test]
    fn a_replica_from_a_newer_taller_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("r.sqlite3");
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch("PRAGMA user_version = 999").expect("pragma");
        }
        assert!(matches!(Replica::open(&path), Err(ClientError::ReplicaTooNew { found: 999, .. })));
    }
}
