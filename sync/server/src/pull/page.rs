//! One page of a delta: the candidate keys in (table, key) order, each decided from its latest
//! image in `to` and in `from` under the user's scope at both ends, and the estimate of the
//! rows left.

use super::*;

/// The read-scope test of a change row `c`, given `$1` user, `$2` admin, `$3` locations.
/// Mirrors the rule documented with `sync_row_scope` in the migrations.
pub(super) const VISIBLE_NOW: &str =
    "(l.id_usuario IS NOT DISTINCT FROM $1 OR (NOT l.privado AND ($2 OR l.global OR l.locs && $3)))";
pub(super) const VISIBLE_BEFORE: &str =
    "(p.op = 'U' AND (p.id_usuario IS NOT DISTINCT FROM $1 OR (NOT p.privado AND ($4 OR p.global OR p.locs && $5))))";

pub(super) struct PageRow {
    pub(super) tabla: String,
    pub(super) clave: String,
    /// The row image (JSON object text) for an upsert; `None` for a delete.
    pub(super) datos: Option<String>,
}

pub(super) struct Page {
    /// The rows the delta sends, in (table, key) order: at most the limit, fewer only when the
    /// delta has no more.
    pub(super) rows: Vec<PageRow>,
}

/// The next rows of the delta after `after`. The limit counts rows sent, not keys examined, so
/// the page ends on a row the user was sent and the next cursor names nothing outside the
/// user's scope (contract invariant 12).
#[allow(clippy::too_many_arguments)]
pub(super) async fn page(
    conn: &mut PgConnection,
    cursor: &Cursor,
    to: &Snapshot,
    user: &AuthUser,
    (scope, before): (&Scope, &Scope),
    (after_table, after_key): &(String, String),
    full: bool,
    limit: i64,
) -> Result<Page, sqlx::Error> {
    let from_empty = cursor.from == Snapshot::empty();
    // The latest image visible in `to` of each candidate key, in (table, key) order: every key
    // (full) or the keys changed in the delta.
    let latest = if full {
        // One ordered scan of idx_sync_changes_tabla_clave (tabla, clave, id DESC): the first
        // visible image of each key is its latest.
        "SELECT DISTINCT ON (tabla, clave) tabla, clave, op, datos, id_usuario, privado, global, locs, txid \
           FROM sync_changes \
          WHERE (tabla, clave) > ($6, $7) AND pg_visible_in_snapshot(txid, $9::pg_snapshot) \
          ORDER BY tabla, clave, id DESC"
            .to_owned()
    } else {
        let candidates = "SELECT DISTINCT tabla, clave FROM sync_changes \
          WHERE txid >= pg_snapshot_xmin($8::pg_snapshot) AND NOT pg_visible_in_snapshot(txid, $8::pg_snapshot) \
            AND pg_visible_in_snapshot(txid, $9::pg_snapshot) AND (tabla, clave) > ($6, $7) \
          ORDER BY tabla, clave";
        format!(
            "SELECT k.tabla, k.clave, l.op, l.datos, l.id_usuario, l.privado, l.global, l.locs, l.txid \
               FROM ({candidates}) k \
               CROSS JOIN LATERAL (SELECT op, datos, id_usuario, privado, global, locs, txid FROM sync_changes c \
                                    WHERE c.tabla = k.tabla AND c.clave = k.clave AND pg_visible_in_snapshot(c.txid, $9::pg_snapshot) \
                                    ORDER BY c.id DESC LIMIT 1) l"
        )
    };
    let previous = if from_empty {
        // Nothing was visible before the first sync.
        "SELECT NULL::text AS op, NULL::uuid AS id_usuario, false AS privado, false AS global, '{}'::uuid[] AS locs WHERE false"
    } else {
        "SELECT op, id_usuario, privado, global, locs FROM sync_changes c \
          WHERE c.tabla = l.tabla AND c.clave = l.clave AND pg_visible_in_snapshot(c.txid, $8::pg_snapshot) \
          ORDER BY c.id DESC LIMIT 1"
    };
    // A key is sent as an upsert when its latest image is a row the user may read that changed
    // in the delta or that they could not read before; as a delete when they could read it
    // before and cannot now (deleted, or out of scope). Other keys are skipped, not counted.
    // The image travels as text: it is passed through to the answer without being decoded.
    let sql = format!(
        "SELECT tabla, clave, sends_upsert AS upsert, CASE WHEN sends_upsert THEN datos::text END AS datos FROM ( \
           SELECT l.tabla, l.clave, l.datos, \
                  (l.op = 'U' AND {VISIBLE_NOW} AND (NOT pg_visible_in_snapshot(l.txid, $8::pg_snapshot) \
                                                     OR NOT COALESCE({VISIBLE_BEFORE}, false))) AS sends_upsert, \
                  COALESCE({VISIBLE_BEFORE}, false) AND (l.op = 'D' OR NOT {VISIBLE_NOW}) AS sends_delete \
             FROM ({latest}) l \
             LEFT JOIN LATERAL ({previous}) p ON true) d \
          WHERE sends_upsert OR sends_delete \
          ORDER BY tabla, clave LIMIT $10"
    );
    if full {
        // The planner underestimates the keys past the page's start (row comparison, snapshot
        // filter) and, towards the end of a big feed, prefers reading every remaining image and
        // sorting them on disk (~10x slower than walking the index). Sorting is never needed
        // here: the index gives the order. Only this statement remains in the transaction.
        sqlx::query("SET LOCAL enable_sort = off").execute(&mut *conn).await?;
    }
    let rows = sqlx::query(&sql)
        .bind(user.id_usuario)
        .bind(scope.admin)
        .bind(&scope.locs)
        .bind(before.admin)
        .bind(&before.locs)
        .bind(after_table)
        .bind(after_key)
        .bind(cursor.from.to_string())
        .bind(to.to_string())
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let upsert: bool = row.try_get("upsert")?;
        out.push(PageRow {
            tabla: row.try_get("tabla")?,
            clave: row.try_get("clave")?,
            datos: if upsert { row.try_get("datos")? } else { None },
        });
    }
    Ok(Page { rows: out })
}

/// Rows the delta will send, for progress bars: exact for a delta of changes, an upper bound
/// (live images the user may read) for a full one.
pub(super) async fn estimate(
    conn: &mut PgConnection,
    cursor: &Cursor,
    to: &Snapshot,
    user: &AuthUser,
    scope: &Scope,
    full: bool,
) -> Result<u64, sqlx::Error> {
    let visible = VISIBLE_NOW.replace("l.", "");
    let sql = if full {
        format!("SELECT count(*) FROM sync_changes WHERE $4::text IS NOT NULL AND op = 'U' AND pg_visible_in_snapshot(txid, $5::pg_snapshot) AND {visible}")
    } else {
        format!(
            "SELECT count(DISTINCT (tabla, clave)) FROM sync_changes \
              WHERE txid >= pg_snapshot_xmin($4::pg_snapshot) AND NOT pg_visible_in_snapshot(txid, $4::pg_snapshot) \
                AND pg_visible_in_snapshot(txid, $5::pg_snapshot) AND {visible}"
        )
    };
    let count: i64 = sqlx::query_scalar(&sql)
        .bind(user.id_usuario)
        .bind(scope.admin)
        .bind(&scope.locs)
        .bind(cursor.from.to_string())
        .bind(to.to_string())
        .fetch_one(&mut *conn)
        .await?;
    Ok(u64::try_from(count).unwrap_or_default())
}
