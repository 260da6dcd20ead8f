//! Pull: the scoped, gap-free change feed (contract invariants 4, 5, 6, 9).
//!
//! A pull serves the *delta* between two transaction snapshots (`from`, `to`, see
//! `taller_protocol::cursor`). For every row key the delta decides from two images: the
//! latest one visible in `to` (L) and the latest one visible in `from` (P):
//! - L is a live row the user may read now, and it changed in the delta or the user could
//!   not read it before: upsert it;
//! - otherwise, when the user could read P before: delete it (the row was deleted, or left
//!   the user's scope).
//!
//! When the user's scope is the same at both ends, only keys changed in the delta are
//! candidates (found through the `txid` index). When it changed (a location gained or lost,
//! or the first sync), every key is a candidate. Pages follow (table, key) order; the client
//! applies a delta only when its last page arrives, so it never shows part of a transaction.

use crate::auth::AuthUser;
use crate::error::{ApiFailure, ApiResult};
use crate::json::ApiJson;
use crate::scope::{load_scope, scope_at};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::Value;
use sqlx::{PgConnection, Row};
use std::collections::BTreeMap;
use taller_protocol::cursor::{Cursor, Scope, Snapshot};
use taller_protocol::messages::{ErrorCode, PullRequest, PullResponse, TableChanges};
use taller_protocol::tables;

/// The read-scope test of a change row `c`, given `$1` user, `$2` admin, `$3` locations.
/// Mirrors the rule documented with `sync_row_scope` in the migrations.
const VISIBLE_NOW: &str =
    "(l.id_usuario IS NOT DISTINCT FROM $1 OR (NOT l.privado AND ($2 OR l.global OR l.locs && $3)))";
const VISIBLE_BEFORE: &str =
    "(p.op = 'U' AND (p.id_usuario IS NOT DISTINCT FROM $1 OR (NOT p.privado AND ($4 OR p.global OR p.locs && $5))))";

#[utoipa::path(post, path = "/v1/pull", request_body = PullRequest,
    responses((status = 200, body = PullResponse), (status = 400, body = taller_protocol::messages::ApiError),
              (status = 401, body = taller_protocol::messages::ApiError)),
    security(("bearer" = [])))]
pub async fn pull(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(request): ApiJson<PullRequest>,
) -> ApiResult<Json<PullResponse>> {
    let mut cursor = match &request.cursor {
        Some(text) => Cursor::decode(text)
            .map_err(|_| invalid_cursor("The cursor is not one this server issued; start a full sync."))?,
        None => Cursor::initial(),
    };
    let limit = i64::from(request.limit.unwrap_or(state.config.max_page_rows).clamp(1, state.config.max_page_rows));
    let mut tx = state.pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    let now: String = sqlx::query_scalar("SELECT pg_current_snapshot()::text").fetch_one(&mut *tx).await?;
    let now: Snapshot = now.parse().map_err(|_| ApiFailure::internal())?;
    let scope = load_scope(&mut tx, user.id_usuario, user.is_admin).await?;
    if cursor.from.xmax > now.xmax || cursor.to.as_ref().is_some_and(|to| to.xmax > now.xmax) {
        return Err(invalid_cursor("The cursor is ahead of this server's database; start a full sync."));
    }
    if cursor.to.as_ref().is_some_and(|to| !follows(&cursor.from, to)) {
        return Err(invalid_cursor("The cursor's delta ends before it starts; start a full sync."));
    }
    if !issued_for(&mut tx, &cursor, &user, &scope).await? {
        return Err(invalid_cursor("The cursor was not issued to this user; start a full sync."));
    }
    let mut reset = false;
    match (&cursor.to, &cursor.to_scope) {
        (Some(_), Some(to_scope)) if *to_scope == scope => {}
        (Some(_), _) => {
            // The scope changed while this delta was being served: serve it again for the new
            // scope. The client drops what it staged.
            reset = true;
            start_delta(&mut cursor, now, scope.clone());
        }
        (None, _) => start_delta(&mut cursor, now, scope.clone()),
    }
    let to = cursor.to.clone().ok_or_else(ApiFailure::internal)?;
    let full = cursor.from_scope != scope || cursor.from == Snapshot::empty();
    if cursor.sent == 0 && cursor.after.is_none() {
        cursor.total = estimate(&mut tx, &cursor, &to, &user, &scope, full).await?;
    }
    let page = page(&mut tx, &cursor, &to, &user, &scope, full, limit).await?;
    tx.commit().await?;

    let mut changes: BTreeMap<&'static str, TableChanges> = BTreeMap::new();
    let mut sent = 0u64;
    for row in &page.rows {
        let Some(table) = tables::table(&row.tabla) else { continue };
        let entry = changes.entry(table.name).or_insert_with(|| TableChanges {
            table: table.name.to_owned(),
            upserts: Vec::new(),
            deletes: Vec::new(),
        });
        match &row.datos {
            Some(Value::Object(image)) => entry
                .upserts
                .push(table.columns.iter().map(|c| image.get(c.name).cloned().unwrap_or(Value::Null)).collect()),
            _ => entry.deletes.push(row.clave.clone()),
        }
        sent += 1;
    }
    cursor.sent += sent;
    let rows_sent = cursor.sent;
    let rows_total = cursor.total.max(rows_sent);
    let complete = page.scanned < limit;
    if complete {
        // The delta is done: the next pull starts a new one from `to`.
        cursor = Cursor { from: to, from_scope: scope, ..Cursor::initial() };
    } else {
        cursor.after = page.last_key;
    }
    Ok(Json(PullResponse {
        changes: changes.into_values().collect(),
        cursor: cursor.encode(),
        complete,
        reset,
        rows_sent,
        rows_total,
    }))
}

fn invalid_cursor(message: &str) -> ApiFailure {
    ApiFailure::bad_request(ErrorCode::InvalidCursor, message)
}

/// Whether snapshot `to` can have been taken after `from`: everything finished in `from` is
/// finished in `to`.
fn follows(from: &Snapshot, to: &Snapshot) -> bool {
    to.xmin >= from.xmin && to.xmax >= from.xmax && !to.xip.iter().any(|&x| from.is_visible(x))
}

/// Whether the cursor's `from_scope` is the scope this user had at `from`. It decides which
/// rows the client is told to delete when the scope changed, so a scope the user never had
/// (another user's cursor, a forged one) would announce keys of rows they may not read. An
/// issued cursor always matches; the history is only consulted when the scope changed.
async fn issued_for(
    conn: &mut PgConnection,
    cursor: &Cursor,
    user: &AuthUser,
    scope: &Scope,
) -> Result<bool, sqlx::Error> {
    if cursor.from == Snapshot::empty() {
        return Ok(cursor.from_scope == Scope::default());
    }
    if cursor.from_scope == *scope {
        return Ok(true);
    }
    let mut then = scope_at(conn, user.id_usuario, &cursor.from).await?;
    let mut claimed = cursor.from_scope.clone();
    then.locs.sort_unstable();
    claimed.locs.sort_unstable();
    Ok(then == claimed)
}

fn start_delta(cursor: &mut Cursor, now: Snapshot, scope: Scope) {
    cursor.to = Some(now);
    cursor.to_scope = Some(scope);
    cursor.after = None;
    cursor.sent = 0;
    cursor.total = 0;
}

struct PageRow {
    tabla: String,
    clave: String,
    /// The row image for an upsert; `None` for a delete.
    datos: Option<Value>,
}

struct Page {
    rows: Vec<PageRow>,
    /// Candidate keys examined (a full page of candidates means there may be more).
    scanned: i64,
    last_key: Option<(String, String)>,
}

async fn page(
    conn: &mut PgConnection,
    cursor: &Cursor,
    to: &Snapshot,
    user: &AuthUser,
    scope: &Scope,
    full: bool,
    limit: i64,
) -> Result<Page, sqlx::Error> {
    let (after_table, after_key) = cursor.after.clone().unwrap_or_default();
    let from_empty = cursor.from == Snapshot::empty();
    // Candidates: every key (full) or the keys changed in the delta, in (table, key) order.
    let candidates = if full {
        "SELECT DISTINCT ON (tabla, clave) tabla, clave FROM sync_changes \
          WHERE (tabla, clave) > ($6, $7) AND pg_visible_in_snapshot(txid, $9::pg_snapshot) \
          ORDER BY tabla, clave LIMIT $10"
    } else {
        "SELECT DISTINCT tabla, clave FROM sync_changes \
          WHERE txid >= pg_snapshot_xmin($8::pg_snapshot) AND NOT pg_visible_in_snapshot(txid, $8::pg_snapshot) \
            AND pg_visible_in_snapshot(txid, $9::pg_snapshot) AND (tabla, clave) > ($6, $7) \
          ORDER BY tabla, clave LIMIT $10"
    };
    let previous = if from_empty {
        // Nothing was visible before the first sync.
        "SELECT NULL::text AS op, NULL::uuid AS id_usuario, false AS privado, false AS global, '{}'::uuid[] AS locs WHERE false"
    } else {
        "SELECT op, id_usuario, privado, global, locs FROM sync_changes c \
          WHERE c.tabla = k.tabla AND c.clave = k.clave AND pg_visible_in_snapshot(c.txid, $8::pg_snapshot) \
          ORDER BY c.id DESC LIMIT 1"
    };
    let sql = format!(
        "SELECT k.tabla, k.clave, l.op, l.datos, {VISIBLE_NOW} AS visible_now, \
                COALESCE({VISIBLE_BEFORE}, false) AS visible_before, \
                (NOT pg_visible_in_snapshot(l.txid, $8::pg_snapshot)) AS changed \
           FROM ({candidates}) k \
           CROSS JOIN LATERAL (SELECT op, datos, id_usuario, privado, global, locs, txid FROM sync_changes c \
                                WHERE c.tabla = k.tabla AND c.clave = k.clave AND pg_visible_in_snapshot(c.txid, $9::pg_snapshot) \
                                ORDER BY c.id DESC LIMIT 1) l \
           LEFT JOIN LATERAL ({previous}) p ON true \
          ORDER BY k.tabla, k.clave"
    );
    let from_scope = &cursor.from_scope;
    let rows = sqlx::query(&sql)
        .bind(user.id_usuario)
        .bind(scope.admin)
        .bind(&scope.locs)
        .bind(from_scope.admin)
        .bind(&from_scope.locs)
        .bind(after_table)
        .bind(after_key)
        .bind(cursor.from.to_string())
        .bind(to.to_string())
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let scanned = rows.len() as i64;
    let mut last_key = None;
    let mut out = Vec::new();
    for row in rows {
        let tabla: String = row.try_get("tabla")?;
        let clave: String = row.try_get("clave")?;
        let op: String = row.try_get("op")?;
        let visible_now: bool = row.try_get("visible_now")?;
        let visible_before: bool = row.try_get("visible_before")?;
        let changed: bool = row.try_get("changed")?;
        last_key = Some((tabla.clone(), clave.clone()));
        if op == "U" && visible_now && (changed || !visible_before) {
            let datos: Option<Value> = row.try_get("datos")?;
            out.push(PageRow { tabla, clave, datos });
        } else if visible_before && (op == "D" || !visible_now) {
            out.push(PageRow { tabla, clave, datos: None });
        }
    }
    Ok(Page { rows: out, scanned, last_key })
}

/// Rows the delta will send, for progress bars: exact for a delta of changes, an upper bound
/// (live images the user may read) for a full one.
async fn estimate(
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
