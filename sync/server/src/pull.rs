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

/// The upserts of one table in a page, as the JSON text of the `upserts` array (without its
/// closing bracket), and its deleted keys.
#[derive(Default)]
struct Encoded {
    upserts: Vec<u8>,
    count: usize,
    deletes: Vec<String>,
}

/// Writes the body of a [`PullResponse`] (the same JSON its `Serialize` writes) with the
/// upserts already encoded.
fn encode_response(
    changes: &BTreeMap<&'static str, Encoded>,
    cursor: &str,
    complete: bool,
    reset: bool,
    rows_sent: u64,
    rows_total: u64,
) -> serde_json::Result<Vec<u8>> {
    let size: usize = changes.values().map(|c| c.upserts.len() + c.deletes.len() * 40 + 64).sum();
    let mut out = Vec::with_capacity(size + cursor.len() + 128);
    out.extend_from_slice(b"{\"changes\":[");
    for (i, (name, change)) in changes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"table\":");
        serde_json::to_writer(&mut out, name)?;
        if change.count > 0 {
            out.extend_from_slice(b",\"upserts\":");
            out.extend_from_slice(&change.upserts);
            out.push(b']');
        }
        if !change.deletes.is_empty() {
            out.extend_from_slice(b",\"deletes\":");
            serde_json::to_writer(&mut out, &change.deletes)?;
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"cursor\":");
    serde_json::to_writer(&mut out, cursor)?;
    out.extend_from_slice(
        format!(",\"complete\":{complete},\"reset\":{reset},\"rows_sent\":{rows_sent},\"rows_total\":{rows_total}}}")
            .as_bytes(),
    );
    Ok(out)
}

/// Appends the row image `datos` (the text of a `sync_changes.datos` object) as the JSON array
/// of `table`'s columns in catalogue order; a column the image lacks is `null`, and columns
/// outside the catalogue (secrets) are left out. The values are passed through as PostgreSQL
/// wrote them, without decoding them. Returns false, writing nothing, when the image is not
/// an object (it is then sent as a delete, as a missing image is).
fn encode_row(out: &mut Vec<u8>, table: &Table, datos: &str) -> serde_json::Result<bool> {
    let fields = match serde_json::Deserializer::from_str(datos).deserialize_map(FieldsVisitor) {
        Ok(fields) => fields,
        // Not an object, or keys with escapes: the slow path decides.
        Err(_) => return encode_row_value(out, table, &serde_json::from_str(datos)?),
    };
    out.push(b'[');
    for (i, column) in table.columns.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match fields.iter().find(|(name, _)| *name == column.name) {
            Some((_, value)) => out.extend_from_slice(value.get().as_bytes()),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.push(b']');
    Ok(true)
}

/// [`encode_row`] through a decoded `serde_json::Value`.
fn encode_row_value(out: &mut Vec<u8>, table: &Table, image: &Value) -> serde_json::Result<bool> {
    let Value::Object(image) = image else { return Ok(false) };
    let row: Vec<&Value> = table.columns.iter().map(|c| image.get(c.name).unwrap_or(&Value::Null)).collect();
    serde_json::to_writer(out, &row)?;
    Ok(true)
}

/// The members of a JSON object, borrowed from its text (values undecoded).
struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Vec<(&'de str, &'de RawValue)>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a row image object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(16));
        while let Some(entry) = map.next_entry::<&'de str, &'de RawValue>()? {
            fields.push(entry);
        }
        Ok(fields)
    }
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

struct PageRow {
    tabla: String,
    clave: String,
    /// The row image (JSON object text) for an upsert; `None` for a delete.
    datos: Option<String>,
}

struct Page {
    /// The rows the delta sends, in (table, key) order: at most the limit, fewer only when the
    /// delta has no more.
    rows: Vec<PageRow>,
}

/// The next rows of the delta after `after`. The limit counts rows sent, not keys examined, so
/// the page ends on a row the user was sent and the next cursor names nothing outside the
/// user's scope (contract invariant 12).
#[allow(clippy::too_many_arguments)]
async fn page(
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use taller_protocol::tables::{ColumnType, TABLES};

    /// A row image as the capture trigger stores it (`to_jsonb` of the row: every column, plus
    /// columns the feed never sends), printed by PostgreSQL's `jsonb` output (`", "` and
    /// `": "` separators, keys by length).
    fn image_text(image: &serde_json::Map<String, Value>) -> String {
        let mut keys: Vec<&String> = image.keys().collect();
        keys.sort_by_key(|k| (k.len(), k.as_str()));
        let members: Vec<String> = keys
            .iter()
            .map(|k| {
                let value = serde_json::to_string(&image[k.as_str()]).expect("value");
                format!("{}: {}", serde_json::to_string(k).expect("key"), value.replace(",\"", ", \""))
            })
            .collect();
        format!("{{{}}}", members.join(", "))
    }

    fn sample(ty: ColumnType, i: usize) -> Value {
        match ty {
            ColumnType::Uuid => json!(format!("0000000{i}-89ab-4cde-8f01-23456789abcd")),
            ColumnType::Text => json!(["Batería 48V \"pro\"", "línea\nnueva\t\\ fin", "", "😀 emoji"][i % 4]),
            ColumnType::Integer => json!([0, -3, 2_147_483_647, 42][i % 4]),
            ColumnType::Boolean => json!(i.is_multiple_of(2)),
            ColumnType::Timestamptz => json!("2026-11-22T10:00:00.123456+00:00"),
            ColumnType::Date => json!("2026-11-22"),
            ColumnType::Jsonb => {
                json!({"inventory": {"view": true, "edit": [1, 2.5, null]}, "nota": "a, \"b\": c", "n": i})
            }
        }
    }

    /// The pass-through writes, for every table of the catalogue, the same row the decoded
    /// path writes: catalogue columns in order, missing ones null, others (secrets) left out.
    #[test]
    fn raw_rows_equal_decoded_rows_for_every_table() {
        for table in TABLES {
            for variant in 0..4 {
                let mut image = serde_json::Map::new();
                for (i, column) in table.columns.iter().enumerate() {
                    let value = if column.nullable && (i + variant) % 3 == 0 {
                        Value::Null
                    } else {
                        sample(column.ty, i + variant)
                    };
                    // One column missing from the image in some variants (an older image).
                    if variant == 3 && i == table.columns.len() - 1 {
                        continue;
                    }
                    image.insert(column.name.to_owned(), value);
                }
                image.insert("password_hash".into(), json!("$argon2id$secret"));
                let text = image_text(&image);
                let mut raw = Vec::new();
                assert!(encode_row(&mut raw, table, &text).expect("raw"), "{}", table.name);
                let mut decoded = Vec::new();
                assert!(encode_row_value(&mut decoded, table, &image.clone().into()).expect("decoded"));
                let raw: Vec<Value> = serde_json::from_slice(&raw).expect("raw row is JSON");
                let decoded: Vec<Value> = serde_json::from_slice(&decoded).expect("decoded row is JSON");
                assert_eq!(raw, decoded, "{} variant {variant}: {text}", table.name);
                assert_eq!(raw.len(), table.columns.len());
                assert!(!serde_json::to_string(&raw).expect("json").contains("argon2id"), "no secret columns");
            }
        }
    }

    #[test]
    fn images_the_fast_path_cannot_borrow_take_the_decoded_path() {
        let table = tables::table("roles").expect("roles");
        // An escaped key (never written by the trigger, still handled).
        let text = r#"{"id_rol": "r1", "nombre_rol": "admin", "permisos": {}, "created_at": "x", "odd\"key": 1}"#;
        let mut out = Vec::new();
        assert!(encode_row(&mut out, table, text).expect("row"));
        assert_eq!(serde_json::from_slice::<Value>(&out).expect("json"), json!(["r1", "admin", {}, "x"]));
        // Not an object: sent as a delete, as before.
        let mut out = Vec::new();
        assert!(!encode_row(&mut out, table, "[1, 2]").expect("row"));
        assert!(out.is_empty());
        assert!(encode_row(&mut out, table, "{not json").is_err());
    }

    /// The hand-written body is the JSON of a `PullResponse`.
    #[test]
    fn the_encoded_response_is_a_pull_response() {
        let roles = tables::table("roles").expect("roles");
        let mut changes: BTreeMap<&'static str, Encoded> = BTreeMap::new();
        let entry = changes.entry("roles").or_default();
        for (i, id) in ["r1", "r2"].iter().enumerate() {
            entry.upserts.push(if i == 0 { b'[' } else { b',' });
            let text =
                format!(r#"{{"id_rol": "{id}", "permisos": {{"a": [1, 2]}}, "nombre_rol": "n", "created_at": "t"}}"#);
            assert!(encode_row(&mut entry.upserts, roles, &text).expect("row"));
            entry.count += 1;
        }
        changes.entry("inventario").or_default().deletes.push("k\"1".into());
        let body = encode_response(&changes, "cur\"sor", false, true, 3, 9).expect("body");
        let page: PullResponse = serde_json::from_slice(&body).expect("a PullResponse");
        assert_eq!(page.changes.len(), 2);
        assert_eq!(page.changes[0].table, "inventario");
        assert!(page.changes[0].upserts.is_empty());
        assert_eq!(page.changes[0].deletes, vec!["k\"1".to_owned()]);
        assert_eq!(page.changes[1].table, "roles");
        assert_eq!(page.changes[1].upserts[1], vec![json!("r2"), json!("n"), json!({"a": [1, 2]}), json!("t")]);
        assert_eq!(
            (page.cursor.as_str(), page.complete, page.reset, page.rows_sent, page.rows_total),
            ("cur\"sor", false, true, 3, 9)
        );
        // Empty arrays are left out, as `TableChanges` serialises them.
        assert!(!String::from_utf8_lossy(&body).contains("\"upserts\":[]"));
    }
}
