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
//! or the first sync), every key is a candidate. Pages follow (table, key) order and hold up to
//! the limit of rows *sent* (keys the user may not read are skipped, not counted), so a page
//! ends on a row the user was sent; the client applies a delta only when its last page
//! arrives, so it never shows part of a transaction.
//!
//! Cursors are sealed with the key in `sync_cursor_key` and opened (tag checked first) with
//! the requesting user's id (contract invariant 12, `taller_protocol::cursor`).
//!
//! `page` (the SQL of a page) and `encode` (the bytes of the answer); the handler and the
//! cursor's life are here.

mod encode;
mod page;

use crate::auth::AuthUser;
use crate::error::{ApiFailure, ApiResult};
use crate::json::ApiJson;
use crate::scope::{load_scope, scope_at};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;
use sqlx::{PgConnection, Row};
use std::collections::BTreeMap;
use std::fmt;
use taller_protocol::cursor::{BadSnapshot, Cursor, CursorKey, Scope, Snapshot, MAX_CURSOR_LEN};
use taller_protocol::messages::{ErrorCode, PullRequest, PullResponse};
use taller_protocol::tables::{self, Table};

use encode::*;
use page::*;

#[utoipa::path(post, path = "/v1/pull", request_body = PullRequest,
    responses((status = 200, body = PullResponse), (status = 400, body = taller_protocol::messages::ApiError),
              (status = 401, body = taller_protocol::messages::ApiError)),
    security(("bearer" = [])))]
pub async fn pull(
    State(state): State<AppState>,
    user: AuthUser,
    ApiJson(request): ApiJson<PullRequest>,
) -> ApiResult<Response> {
    // A cursor too long to be one this server issued is not even looked at.
    if request.cursor.as_ref().is_some_and(|text| text.len() > MAX_CURSOR_LEN) {
        return Err(not_issued());
    }
    let limit = i64::from(request.limit.unwrap_or(state.config.max_page_rows).clamp(1, state.config.max_page_rows));
    let mut tx = crate::db::begin_read_snapshot(&state.pool).await?;
    let key = cursor_key(&mut tx).await?;
    // The tag is checked before anything of the cursor is parsed.
    let mut cursor = match &request.cursor {
        Some(text) => Cursor::open(text, &key, user.id_usuario).map_err(|_| not_issued())?,
        None => Cursor::initial(),
    };
    let now = current_snapshot(&mut tx).await?;
    let scope = load_scope(&mut tx, user.id_usuario, user.is_admin).await?;
    let scope_digest = scope.digest();
    if cursor.from.xmax > now.xmax || cursor.to.as_ref().is_some_and(|to| to.xmax > now.xmax) {
        return Err(invalid_cursor("The cursor is ahead of this server's database; start a full sync."));
    }
    if cursor.to.as_ref().is_some_and(|to| !to.follows(&cursor.from)) {
        return Err(invalid_cursor("The cursor's delta ends before it starts; start a full sync."));
    }
    let mut reset = false;
    match (&cursor.to, &cursor.to_scope) {
        (Some(_), Some(to_scope)) if *to_scope == scope_digest => {}
        (Some(_), _) => {
            // The scope changed while this delta was being served: serve it again for the new
            // scope. The client drops what it staged.
            reset = true;
            start_delta(&mut cursor, now, scope_digest.clone());
        }
        (None, _) => start_delta(&mut cursor, now, scope_digest.clone()),
    }
    let to = cursor.to.clone().ok_or_else(ApiFailure::internal)?;
    let full = cursor.from_scope != scope_digest || cursor.from == Snapshot::empty();
    let before = scope_before(&mut tx, &cursor, &user, &scope, &scope_digest).await?;
    let after = resume_after(&mut tx, &cursor).await?;
    if cursor.sent == 0 && cursor.after.is_none() {
        cursor.total = estimate(&mut tx, &cursor, &to, &user, &scope, full).await?;
    }
    let page = page(&mut tx, &cursor, &to, &user, (&scope, &before), &after, full, limit).await?;
    tx.commit().await?;

    // The page's rows grouped by table (in name order, as `PullResponse::changes`), each
    // upsert already encoded as its JSON array.
    let mut changes: BTreeMap<&'static str, Encoded> = BTreeMap::new();
    let mut sent = 0u64;
    for row in &page.rows {
        let Some(table) = tables::table(&row.tabla) else { continue };
        let entry = changes.entry(table.name).or_default();
        let upserted = match &row.datos {
            Some(datos) => {
                let before = entry.upserts.len();
                entry.upserts.push(if entry.count == 0 { b'[' } else { b',' });
                if encode_row(&mut entry.upserts, table, datos).map_err(|_| ApiFailure::internal())? {
                    entry.count += 1;
                    true
                } else {
                    entry.upserts.truncate(before);
                    false
                }
            }
            None => false,
        };
        if !upserted {
            entry.deletes.push(row.clave.clone());
        }
        sent += 1;
    }
    // An issued cursor counts rows the server sent; saturating keeps a count that cannot be
    // reached from ever overflowing.
    cursor.sent = cursor.sent.saturating_add(sent);
    let rows_sent = cursor.sent;
    let rows_total = cursor.total.max(rows_sent);
    let complete = (page.rows.len() as i64) < limit;
    match page.rows.last() {
        Some(last) if !complete => cursor.set_after(&last.tabla, &last.clave),
        // The delta is done: the next pull starts a new one from `to`.
        _ => cursor = Cursor { from: to, from_scope: scope_digest, ..Cursor::initial() },
    }
    let body = encode_response(&changes, &cursor.seal(&key, user.id_usuario), complete, reset, rows_sent, rows_total)
        .map_err(|_| ApiFailure::internal())?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

fn invalid_cursor(message: &str) -> ApiFailure {
    ApiFailure::bad_request(ErrorCode::InvalidCursor, message)
}

fn not_issued() -> ApiFailure {
    invalid_cursor("The cursor is not one this server issued to this user; start a full sync.")
}

/// The key of cursor tags. It is in the database, so every server process checks every cursor.
pub(crate) async fn cursor_key(conn: &mut PgConnection) -> ApiResult<CursorKey> {
    let secret: Vec<u8> = sqlx::query_scalar("SELECT secret FROM sync_cursor_key WHERE id = 1").fetch_one(conn).await?;
    CursorKey::from_bytes(&secret).ok_or_else(|| {
        tracing::error!("sync_cursor_key.secret is not a key");
        ApiFailure::internal()
    })
}

/// The transaction's snapshot, which a cursor may carry.
pub(crate) async fn current_snapshot(conn: &mut PgConnection) -> ApiResult<Snapshot> {
    let text: String = sqlx::query_scalar("SELECT pg_current_snapshot()::text").fetch_one(conn).await?;
    match text.parse() {
        Ok(snapshot) => Ok(snapshot),
        // A burst of concurrent writers; it ends when they commit.
        Err(BadSnapshot::TooManyInProgress) => Err(ApiFailure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            "Too many transactions are in progress on the database right now; try again shortly.",
        )),
        Err(error) => {
            tracing::error!(%error, "pg_current_snapshot()");
            Err(ApiFailure::internal())
        }
    }
}

/// The scope whose rows the replica holds: the user's scope at `from`. The cursor records only
/// its digest; when it is not the current scope, the scope is rebuilt from the feed's history.
async fn scope_before(
    conn: &mut PgConnection,
    cursor: &Cursor,
    user: &AuthUser,
    scope: &Scope,
    scope_digest: &str,
) -> ApiResult<Scope> {
    if cursor.from == Snapshot::empty() {
        return Ok(Scope::default());
    }
    if cursor.from_scope == scope_digest {
        return Ok(scope.clone());
    }
    let then = scope_at(conn, user.id_usuario, &cursor.from).await?;
    if then.digest() != cursor.from_scope {
        // The cursor was issued with the scope loaded in the transaction of `from`, so the
        // history gives it back; if it ever does not, a full sync is still correct.
        tracing::warn!(user = %user.id_usuario, "a cursor's scope is not the one rebuilt from the feed");
        return Err(invalid_cursor("The cursor's scope no longer matches the feed; start a full sync."));
    }
    Ok(then)
}

/// The (table, key) the page starts after. A long key travels cut, with its digest; it is
/// found again in the feed, where the delta's images stay.
async fn resume_after(conn: &mut PgConnection, cursor: &Cursor) -> ApiResult<(String, String)> {
    let Some((table, key)) = cursor.after.clone() else { return Ok(Default::default()) };
    let Some(digest) = &cursor.after_digest else { return Ok((table, key)) };
    let whole: Option<String> = sqlx::query_scalar(
        "SELECT clave FROM sync_changes \
          WHERE tabla = $1 AND clave >= $2 AND starts_with(clave, $2) \
            AND encode(sha256(convert_to(clave, 'UTF8')), 'hex') = $3 \
          ORDER BY tabla, clave LIMIT 1",
    )
    .bind(&table)
    .bind(&key)
    .bind(digest)
    .fetch_optional(&mut *conn)
    .await?;
    match whole {
        Some(whole) => Ok((table, whole)),
        None => Err(invalid_cursor("The cursor's position is no longer in the feed; start a full sync.")),
    }
}

fn start_delta(cursor: &mut Cursor, now: Snapshot, scope_digest: String) {
    cursor.to = Some(now);
    cursor.to_scope = Some(scope_digest);
    cursor.after = None;
    cursor.after_digest = None;
    cursor.sent = 0;
    cursor.total = 0;
}
