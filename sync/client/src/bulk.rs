//! A delta from nothing (a first sync, a refused cursor, a scope change) applied as a bulk
//! load: it replaces every server row of the replica, so the secondary indexes of the
//! replicated tables and the full-text index are built once after the last row instead of
//! being kept row by row (decision 0023). Everything happens inside the delta's one
//! transaction: the indexes dropped at its start are back, from the same SQL, before it
//! commits, and a load that fails rolls back with them.
//!
//! What is deferred is read from `sqlite_master`, so an index a later migration adds is
//! deferred too. Triggers are deferred only where the replica knows how to redo their work
//! at the end ([`FULL_TEXT`]); any other trigger on a replicated table keeps running row by
//! row.

use crate::error::Result;
use rusqlite::Connection;
use std::time::{Duration, Instant};
use taller_protocol::tables::TABLES;

/// Full-text indexes with external content kept from a replicated table by triggers:
/// `(table, index)`. Their triggers are dropped for a bulk load and the index rebuilt from the
/// table after it.
pub const FULL_TEXT: &[(&str, &str)] = &[("repuestos", "repuestos_fts")];

/// SQLite's page cache during a bulk load, in KiB. The rows arrive in key order, so the
/// tables' b-trees fill from one end; the index builds' sorters size each run by the cache
/// (the main one and one per worker thread), so the cache bounds their memory too: some
/// 4 x 32 MiB at the peak instead of 4 x 128 MiB with the apply's usual cache.
pub const BULK_CACHE_KIB: i64 = 32 * 1024;

/// SQLite's worker threads for the index builds' sorts (`PRAGMA threads`, set while a delta
/// is applied; the connection's own setting is restored after).
pub const BUILD_THREADS: i64 = 2;

/// What a bulk load took down and puts back.
#[derive(Debug, Default)]
pub struct Deferred {
    /// `CREATE INDEX` statements, as the schema holds them.
    indexes: Vec<String>,
    /// `CREATE TRIGGER` statements of the tables in [`FULL_TEXT`].
    triggers: Vec<String>,
    /// The full-text indexes whose triggers were dropped.
    full_text: Vec<&'static str>,
}

/// How long putting it back took.
#[derive(Debug, Default, Clone, Copy)]
pub struct Rebuilt {
    pub indexes: usize,
    pub index_build: Duration,
    pub full_text: Duration,
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Deferred {
    /// Drops the secondary indexes of the replicated tables and the triggers that keep their
    /// full-text indexes, keeping their SQL. Call inside the delta's transaction, before its
    /// rows are written.
    pub fn take(conn: &Connection) -> Result<Deferred> {
        let mut deferred = Deferred::default();
        let schema: Vec<(String, String, String, String)> = {
            let mut statement = conn.prepare(
                "SELECT type, name, tbl_name, sql FROM sqlite_master \
                 WHERE type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY type, name",
            )?;
            let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for (kind, name, table, sql) in schema {
            if !TABLES.iter().any(|replicated| replicated.name == table) {
                continue;
            }
            if kind == "index" {
                conn.execute_batch(&format!("DROP INDEX {}", quoted(&name)))?;
                deferred.indexes.push(sql);
            } else if let Some((_, index)) = FULL_TEXT.iter().find(|(of, index)| *of == table && sql.contains(index)) {
                conn.execute_batch(&format!("DROP TRIGGER {}", quoted(&name)))?;
                deferred.triggers.push(sql);
                if !deferred.full_text.contains(index) {
                    deferred.full_text.push(index);
                }
            }
        }
        Ok(deferred)
    }

    /// Builds the indexes again over the loaded rows, rebuilds the full-text indexes from
    /// their tables and puts their triggers back.
    pub fn restore(self, conn: &Connection) -> Result<Rebuilt> {
        let started = Instant::now();
        for sql in &self.indexes {
            conn.execute_batch(sql)?;
        }
        let index_build = started.elapsed();
        let started = Instant::now();
        for index in &self.full_text {
            // External content: 'rebuild' drops what the index held and reads the table.
            conn.execute_batch(&format!("INSERT INTO {0} ({0}) VALUES ('rebuild')", quoted(index)))?;
        }
        for sql in &self.triggers {
            conn.execute_batch(sql)?;
        }
        Ok(Rebuilt { indexes: self.indexes.len(), index_build, full_text: started.elapsed() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replica::Replica;

    fn schema(conn: &Connection) -> Vec<(String, String)> {
        let mut statement = conn
            .prepare("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
            .expect("schema");
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).expect("rows");
        rows.collect::<rusqlite::Result<_>>().expect("schema")
    }

    /// The schema after a take and a restore is the schema before, and the take really
    /// removed the indexes and the full-text triggers.
    #[test]
    fn what_is_taken_down_comes_back_as_it_was() {
        let replica = Replica::in_memory().expect("replica");
        let before = schema(&replica.conn);
        let deferred = Deferred::take(&replica.conn).expect("take");
        let during = schema(&replica.conn);
        for name in ["idx_inventario_localizacion", "idx_repuestos_referencia", "repuestos_fts_insert"] {
            assert!(before.iter().any(|(n, _)| n == name), "{name} is in the schema");
            assert!(!during.iter().any(|(n, _)| n == name), "{name} is taken down");
        }
        // The outbox's own triggers are not a replicated table's: they stay.
        assert!(during.iter().any(|(n, _)| n == "outbox_pending_insert"));
        let rebuilt = deferred.restore(&replica.conn).expect("restore");
        assert!(rebuilt.indexes >= 10, "{} indexes rebuilt", rebuilt.indexes);
        assert_eq!(schema(&replica.conn), before);
    }

    /// Every trigger on a replicated table is one the bulk load knows how to redo the work
    /// of; a migration that adds another must decide whether it may be deferred.
    #[test]
    fn the_only_triggers_on_replicated_tables_keep_full_text_indexes() {
        let replica = Replica::in_memory().expect("replica");
        let mut statement = replica
            .conn
            .prepare("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
            .expect("triggers");
        let triggers = statement
            .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?)))
            .expect("rows")
            .collect::<rusqlite::Result<Vec<_>>>()
            .expect("triggers");
        let mut full_text = 0;
        for (name, table, sql) in triggers {
            if TABLES.iter().any(|t| t.name == table) {
                assert!(
                    FULL_TEXT.iter().any(|(of, index)| *of == table && sql.contains(index)),
                    "trigger {name} on {table} keeps no full-text index the bulk load rebuilds"
                );
                full_text += 1;
            }
        }
        assert_eq!(full_text, 3, "the insert, delete and update triggers of repuestos_fts");
    }
}
