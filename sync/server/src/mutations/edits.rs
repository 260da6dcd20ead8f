//! Field edits with the value they replaced (catalog, minimums, positions, warranty drafts).
//! The edit applies in server order; when the author replaced a value that was no longer
//! current, both authors get a conflict entry. The decision is
//! `taller_protocol::validate::plan_edits` (the domain's `plan_edits` with the catalogue's
//! column rules), the same the replicas make.

use super::{record_conflict, Ctx, Failure};
use serde_json::{json, Value};
use sqlx::PgConnection;
use taller_domain::Rechazo;
use taller_protocol::mutations::FieldEdit;
use taller_protocol::tables::{ColumnType, Table};
use taller_protocol::validate;

pub struct Target<'a> {
    pub table: &'static Table,
    pub key: &'a str,
    /// The fields this mutation may edit.
    pub fields: &'a [&'static str],
}

fn sql_type(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Uuid => "uuid",
        ColumnType::Text => "text",
        ColumnType::Integer => "integer",
        ColumnType::Boolean => "boolean",
        ColumnType::Timestamptz => "timestamptz",
        ColumnType::Date => "date",
        ColumnType::Jsonb => "jsonb",
    }
}

/// Applies the edits to one row (the caller has locked it): decided by
/// `taller_protocol::validate::plan_edits` against the row as it is, then each written, with
/// a conflict for both authors when the replaced value was no longer current. Returns the
/// conflict summaries.
pub async fn apply_edits(
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    target: &Target<'_>,
    edits: &[FieldEdit],
    check: impl Fn(&str, &Value) -> Result<(), Rechazo>,
) -> Result<Vec<Value>, Failure> {
    let table = target.table;
    let key_column = table.key[0];
    if edits.is_empty() {
        return Ok(Vec::new());
    }
    // Identifiers come from the static table catalogue, never from the request.
    let row: Value =
        sqlx::query_scalar(&format!("SELECT to_jsonb(t) FROM {} t WHERE t.{key_column}::text = $1", table.name))
            .bind(target.key)
            .fetch_one(&mut *conn)
            .await?;
    let plan = validate::plan_edits(table, target.fields, edits, |field| row[field].clone(), check)?;
    let mut conflicts = Vec::new();
    for (edit, planned) in edits.iter().zip(plan) {
        let field = planned.field;
        let ty = table.column(field).map(|c| c.ty).unwrap_or(ColumnType::Text);
        let cast = sql_type(ty);
        let update = if ty == ColumnType::Jsonb {
            format!("UPDATE {} SET {field} = $1::jsonb WHERE {key_column}::text = $2", table.name)
        } else {
            format!("UPDATE {} SET {field} = ($1::jsonb #>> '{{}}')::{cast} WHERE {key_column}::text = $2", table.name)
        };
        sqlx::query(&update).bind(&planned.value).bind(target.key).execute(&mut *conn).await?;
        let previous_editor: Option<uuid::Uuid> = sqlx::query_scalar(
            "SELECT id_usuario FROM sync_editores_campo WHERE tabla = $1 AND clave = $2 AND campo = $3",
        )
        .bind(table.name)
        .bind(target.key)
        .bind(field)
        .fetch_optional(&mut *conn)
        .await?;
        if planned.conflict {
            let details = json!({"autor": ctx.user.id_usuario, "autor_anterior": previous_editor});
            let values = [Some(&edit.old), Some(&planned.current), Some(&planned.value)];
            let mine = record_conflict(
                conn,
                ctx,
                ctx.user.id_usuario,
                "edicion_campo",
                table.name,
                target.key,
                Some(field),
                values,
                previous_editor,
                details.clone(),
            )
            .await?;
            conflicts.push(mine);
            if let Some(other) = previous_editor.filter(|other| *other != ctx.user.id_usuario) {
                record_conflict(
                    conn,
                    ctx,
                    other,
                    "edicion_campo",
                    table.name,
                    target.key,
                    Some(field),
                    values,
                    Some(ctx.user.id_usuario),
                    details,
                )
                .await?;
            }
        }
        sqlx::query(
            "INSERT INTO sync_editores_campo (tabla, clave, campo, id_usuario, id_mutacion) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tabla, clave, campo) DO UPDATE SET id_usuario = EXCLUDED.id_usuario, id_mutacion = EXCLUDED.id_mutacion",
        )
        .bind(table.name)
        .bind(target.key)
        .bind(field)
        .bind(ctx.user.id_usuario)
        .bind(ctx.id_mutacion)
        .execute(&mut *conn)
        .await?;
    }
    Ok(conflicts)
}
