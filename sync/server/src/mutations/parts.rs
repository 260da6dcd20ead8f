//! The shared parts catalogue (`repuestos`).

use super::edits::{apply_edits, Target};
use super::{clean, existing_part, record_conflict, Applied, Ctx, Failure, Outcome};
use serde_json::{json, Value};
use sqlx::PgConnection;
use taller_domain::{Rechazo, RejectionCode};
use taller_protocol::mutations::{PartCreate, PartDiscontinue, PartEdit};
use taller_protocol::tables::table;
use uuid::Uuid;

use taller_protocol::validate::{normalize_reference, PART_FIELDS as EDITABLE};

pub async fn create(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &PartCreate) -> Outcome {
    let (referencia, nombre) = taller_protocol::validate::part_create(args)?;
    let nombre = nombre.as_str();
    let existing_id: Option<Uuid> = sqlx::query_scalar(
        "SELECT id_repuesto FROM repuestos WHERE id_repuesto = $1 \
         UNION ALL SELECT id_real FROM sync_id_alias WHERE tabla = 'repuestos' AND id_alias = $1 LIMIT 1",
    )
    .bind(args.id_repuesto)
    .fetch_optional(&mut *conn)
    .await?;
    if existing_id.is_some() {
        return Err(Rechazo::already_exists("repuesto", args.id_repuesto).into());
    }
    // Insert unless the reference exists; the unique index decides under concurrency.
    let inserted: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO repuestos (id_repuesto, referencia, nombre, tipo, marca, descripcion, fecha_estimada, url_imagen) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (referencia) DO NOTHING RETURNING id_repuesto",
    )
    .bind(args.id_repuesto)
    .bind(&referencia)
    .bind(nombre)
    .bind(clean(args.tipo.as_deref()))
    .bind(clean(args.marca.as_deref()))
    .bind(clean(args.descripcion.as_deref()))
    .bind(args.fecha_estimada)
    .bind(clean(args.url_imagen.as_deref()))
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = inserted {
        return Ok(Applied::default().with("id_repuesto", id.to_string()).with("merged", false));
    }
    // Duplicate reference: merge into the surviving part. Later mutations that use the new id
    // act on the survivor through the alias.
    let survivor: Uuid = sqlx::query_scalar("SELECT id_repuesto FROM repuestos WHERE referencia = $1")
        .bind(&referencia)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO sync_id_alias (tabla, id_alias, id_real) VALUES ('repuestos', $1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(args.id_repuesto)
    .bind(survivor)
    .execute(&mut *conn)
    .await?;
    let mut applied = Applied::default()
        .with("id_repuesto", survivor.to_string())
        .with("merged", true)
        .with("merged_from", args.id_repuesto.to_string());
    let conflict = record_conflict(
        conn,
        ctx,
        ctx.user.id_usuario,
        "fusion_referencia",
        "repuestos",
        &survivor.to_string(),
        Some("referencia"),
        [None, Some(&json!(referencia)), Some(&json!(args.nombre))],
        None,
        json!({"id_creado": args.id_repuesto, "id_superviviente": survivor}),
    )
    .await?;
    applied.conflict(conflict);
    Ok(applied)
}

pub async fn edit(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &PartEdit) -> Outcome {
    let id = existing_part(conn, args.id_repuesto).await?;
    sqlx::query("SELECT 1 FROM repuestos WHERE id_repuesto = $1 FOR UPDATE").bind(id).execute(&mut *conn).await?;
    let mut edits = args.edits.clone();
    for edit in &mut edits {
        if edit.field == "referencia" {
            if let Value::String(text) = &edit.new {
                edit.new = Value::String(normalize_reference(text));
            }
        }
    }
    let table = table("repuestos").ok_or_else(|| Rechazo::invalid("catalogue"))?;
    let key = id.to_string();
    let target = Target { table, key: &key, fields: EDITABLE };
    // A reference taken by another part is refused before anything is written.
    for edit in &edits {
        if edit.field == "referencia" {
            let taken: Option<Uuid> =
                sqlx::query_scalar("SELECT id_repuesto FROM repuestos WHERE referencia = $1 AND id_repuesto <> $2")
                    .bind(edit.new.as_str().unwrap_or_default())
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
            if taken.is_some() {
                return Err(Failure::Rejected(
                    Rechazo::new(RejectionCode::DuplicateReference).with("referencia", edit.new.clone()),
                ));
            }
        }
    }
    let conflicts = apply_edits(conn, ctx, &target, &edits, |_, _| Ok(())).await?;
    let mut applied = Applied::default().with("id_repuesto", key);
    for conflict in conflicts {
        applied.conflict(conflict);
    }
    Ok(applied)
}

pub async fn discontinue(conn: &mut PgConnection, _ctx: &Ctx<'_>, args: &PartDiscontinue) -> Outcome {
    let id = existing_part(conn, args.id_repuesto).await?;
    sqlx::query("UPDATE repuestos SET descontinuado = $2 WHERE id_repuesto = $1 AND descontinuado <> $2")
        .bind(id)
        .bind(args.descontinuado)
        .execute(&mut *conn)
        .await?;
    Ok(Applied::default().with("id_repuesto", id.to_string()).with("descontinuado", args.descontinuado))
}
