//! The name lookups of the use-case API (a location by name, a part by reference, a user by
//! email, each or its id) and the full-text query built from what a person typed.

use crate::error::{ClientError, Result};
use rusqlite::Connection;
use uuid::Uuid;

/// A location by id or by (case-insensitive) name.
pub fn location_id(conn: &Connection, name_or_id: &str) -> Result<Uuid> {
    let found: Vec<String> = {
        let mut statement = conn.prepare(
            "SELECT id_localizacion FROM localizacion WHERE id_localizacion = ?1 OR lower(nombre) = lower(?1) ORDER BY created_at",
        )?;
        let rows = statement.query_map([name_or_id.trim()], |row| row.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    found
        .first()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| ClientError::Invalid(format!("no location named {name_or_id:?} in this replica")))
}

/// A part by id or by reference (case-insensitive).
pub fn part_id(conn: &Connection, reference_or_id: &str) -> Result<Uuid> {
    let found: Option<String> = conn
        .query_row(
            "SELECT id_repuesto FROM repuestos WHERE id_repuesto = ?1 OR upper(referencia) = upper(trim(?1)) LIMIT 1",
            [reference_or_id],
            |row| row.get(0),
        )
        .ok();
    found
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| ClientError::Invalid(format!("no part with reference {reference_or_id:?} in this replica")))
}

/// A user by id or by email.
pub fn user_id(conn: &Connection, email_or_id: &str) -> Result<Uuid> {
    let found: Option<String> = conn
        .query_row(
            "SELECT id_usuario FROM usuarios WHERE id_usuario = ?1 OR lower(email) = lower(trim(?1)) LIMIT 1",
            [email_or_id],
            |row| row.get(0),
        )
        .ok();
    found
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| ClientError::Invalid(format!("no user {email_or_id:?} in this replica")))
}

/// Builds an FTS5 query from what a person typed: every word must match, as a prefix.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"*", w.replace('"', "")))
        .collect();
    (!words.is_empty()).then(|| words.join(" AND "))
}

/// How many full-text matches a ranked search ranks: the first ones in the index's own order
/// (the parts' rowid, the order they arrived in), each scored with bm25 and the best shown.
/// A search with at most this many matches ranks them all, as `ORDER BY rank` does; a broad
/// one (a single letter, a brand: some 10,000 matches of 100,000 parts) ranks this many
/// instead of every match, so its cost no longer grows with the matches.
pub const RANKED_CANDIDATES: i64 = 1_000;

/// The rowids and bm25 rank of a search's (`?1`) first [`RANKED_CANDIDATES`] matches, as the
/// common table `candidates`, materialized so that the rank is computed for these alone. The
/// query that uses it orders by `c.rank, c.rowid` (`ORDER BY rank`'s order: ties by rowid).
pub(crate) fn ranked_candidates() -> String {
    format!(
        "WITH candidates AS MATERIALIZED (SELECT rowid, rank FROM repuestos_fts \
           WHERE repuestos_fts MATCH ?1 ORDER BY rowid LIMIT {RANKED_CANDIDATES})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::params;

    #[test]
    fn fts_queries_from_typed_text() {
        assert_eq!(fts_query("bateria 48"), Some("\"bateria\"* AND \"48\"*".to_owned()));
        assert_eq!(fts_query("MTR-500W"), Some("\"MTR\"* AND \"500W\"*".to_owned()));
        assert_eq!(fts_query("  \"*-- "), None);
    }

    /// The ids of every match ranked, as before issue 13 (`ORDER BY rank`).
    fn ranked_all(conn: &Connection, text: &str) -> Vec<String> {
        let query = fts_query(text).expect("words");
        let mut statement = conn
            .prepare(
                "SELECT r.id_repuesto FROM repuestos_fts f JOIN repuestos r ON r.rowid = f.rowid \
                  WHERE repuestos_fts MATCH ?1 ORDER BY rank LIMIT 50",
            )
            .expect("prepare");
        let rows = statement.query_map([query], |row| row.get(0)).expect("query");
        rows.collect::<rusqlite::Result<_>>().expect("rows")
    }

    /// The ids the screens' search (`Session::parts`, `search_parts`) answers, in order.
    fn shown(conn: &Connection, text: &str) -> Vec<String> {
        let parts = crate::app::inventory::part_matches(conn, text, None, 50).expect("parts");
        parts.iter().map(|part| part.id_repuesto.to_string()).collect()
    }

    /// A narrow search (at most RANKED_CANDIDATES matches) answers what ranking every match
    /// answers, accents or not; a broad one answers the best of its first candidates.
    #[test]
    fn ranked_search_ranks_the_first_candidates() {
        let conn = Connection::open_in_memory().expect("open");
        for migration in crate::replica::MIGRATIONS {
            conn.execute_batch(migration).expect("migration");
        }
        let broad = RANKED_CANDIDATES + 500;
        for i in 0..broad {
            // Names of different lengths, so that bm25 tells them apart.
            let nombre = format!("Batería {}{}", "litio ".repeat(usize::try_from(i % 7).expect("small")), i % 48);
            conn.execute(
                "INSERT INTO repuestos (id_repuesto, referencia, nombre, marca, descontinuado, created_at) \
                 VALUES (?1, ?2, ?3, ?4, 0, '2026-01-01T00:00:00Z')",
                params![
                    Uuid::from_u128(u128::try_from(i).expect("positive")).to_string(),
                    format!("BAT-{i:05}"),
                    nombre,
                    if i % 10 == 0 { "Kugoo" } else { "Xiaomi" }
                ],
            )
            .expect("insert");
        }
        for narrow in ["bateria kugoo", "kugoo 4", "BAT-0001"] {
            let shown = shown(&conn, narrow);
            assert!(!shown.is_empty(), "{narrow}");
            assert_eq!(shown, ranked_all(&conn, narrow), "{narrow}");
        }
        // 1,500 matches: the best of the first 1,000 (every one of them a match, ranked).
        let shown = shown(&conn, "bateria");
        assert_eq!(shown.len(), 50);
        let first = Uuid::from_u128(u128::try_from(RANKED_CANDIDATES).expect("positive")).to_string();
        assert!(shown.iter().all(|id| *id < first), "{shown:?}");
    }
}
