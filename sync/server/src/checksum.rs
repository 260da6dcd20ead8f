//! Per-table checksums of the user's scope (contract invariant 7), computed from the tables
//! themselves (not from the feed), so comparing them with a replica's checks that the feed
//! delivered exactly what the database holds.

use crate::auth::AuthUser;
use crate::error::ApiResult;
use crate::pull::{current_snapshot, cursor_key};
use crate::scope::load_scope;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::Value;
use sqlx::PgConnection;
use std::collections::BTreeMap;
use taller_protocol::checksum::Accumulator;
use taller_protocol::cursor::{Cursor, Scope};
use taller_protocol::messages::ChecksumResponse;
use taller_protocol::tables::TABLES;
use uuid::Uuid;

#[utoipa::path(get, path = "/v1/checksum", responses((status = 200, body = ChecksumResponse)), security(("bearer" = [])))]
pub async fn checksum(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<ChecksumResponse>> {
    let mut tx = crate::db::begin_read_snapshot(&state.pool).await?;
    let key = cursor_key(&mut tx).await?;
    let from = current_snapshot(&mut tx).await?;
    let scope = load_scope(&mut tx, user.id_usuario, user.is_admin).await?;
    let tables = scope_checksums(&mut tx, user.id_usuario, &scope).await?;
    tx.commit().await?;
    // The cursor a pull completing at this snapshot issues (the same text).
    let cursor = Cursor { from, from_scope: scope.digest(), ..Cursor::initial() };
    Ok(Json(ChecksumResponse { cursor: cursor.seal(&key, user.id_usuario), tables }))
}

/// Checksums of every replicated table restricted to what `id_usuario` with `scope` may read.
pub async fn scope_checksums(
    conn: &mut PgConnection,
    id_usuario: Uuid,
    scope: &Scope,
) -> Result<BTreeMap<String, taller_protocol::checksum::TableChecksum>, sqlx::Error> {
    let mut out = BTreeMap::new();
    for table in TABLES {
        // The table name comes from the static catalogue.
        let sql = format!(
            "SELECT img FROM (SELECT sync_row_image(t) AS img FROM {} t) r, \
                    LATERAL sync_row_scope('{}', r.img) s \
              WHERE s.id_usuario IS NOT DISTINCT FROM $1 OR (NOT s.privado AND ($2 OR s.global OR s.locs && $3))",
            table.name, table.name
        );
        let images: Vec<Value> =
            sqlx::query_scalar(&sql).bind(id_usuario).bind(scope.admin).bind(&scope.locs).fetch_all(&mut *conn).await?;
        let mut accumulator = Accumulator::default();
        for image in images {
            let row: Vec<Value> =
                table.columns.iter().map(|column| image.get(column.name).cloned().unwrap_or(Value::Null)).collect();
            accumulator.add(table, &row);
        }
        out.insert(table.name.to_owned(), accumulator.finish());
    }
    Ok(out)
}
