//! The shared parts catalogue (`repuestos`): the facts the decisions of
//! `taller_domain::decide::parts` need, read under the part's lock, and their plans written.

use super::edits::{apply_edits, Target};
use super::{existing_part, record_conflict, Applied, Ctx, Outcome};
use serde_json::json;
use sqlx::PgConnection;
use taller_domain::decide::parts::{self as decide, CreateFacts, CreatePlan};
use taller_domain::Rechazo;
use taller_protocol::mutations::{PartCreate, PartDiscontinue, PartEdit};
use taller_protocol::tables::table;
use uuid::Uuid;

use taller_protocol::validate::PART_FIELDS as EDITABLE;

/// Whether the id is a part's or an alias's, and the part that has the reference.
async fn create_facts(
    conn: &mut PgConnection,
    id_repuesto: Uuid,
    referencia: &str,
) -> Result<CreateFacts, sqlx::Error> {
    let (id_taken, survivor): (bool, Option<Uuid>) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM repuestos WHERE id_repuesto = $1) \
                OR EXISTS (SELECT 1 FROM sync_id_alias WHERE tabla = 'repuestos' AND id_alias = $1), \
                (SELECT id_repuesto FROM repuestos WHERE referencia = $2)",
    )
    .bind(id_repuesto)
    .bind(referencia)
    .fetch_one(&mut *conn)
    .await?;
    Ok(CreateFacts { id_taken, survivor })
}

pub async fn create(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &PartCreate) -> Outcome {
    let (referencia, nombre) = taller_protocol::validate::part_create(args)?;
    let mut plan = decide::create(
        args,
        referencia.clone(),
        nombre.clone(),
        &create_facts(conn, args.id_repuesto, &referencia).await?,
    )?;
    if let CreatePlan::Insert(part) = &plan {
        // The unique index decides under concurrency: a reference inserted meanwhile by
        // another transaction is a merge, decided again with that fact.
        let inserted: Option<Uuid> = sqlx::query_scalar(
            "INSERT INTO repuestos (id_repuesto, referencia, nombre, tipo, marca, descripcion, fecha_estimada, url_imagen) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (referencia) DO NOTHING RETURNING id_repuesto",
        )
        .bind(args.id_repuesto)
        .bind(&part.referencia)
        .bind(&part.nombre)
        .bind(&part.tipo)
        .bind(&part.marca)
        .bind(&part.descripcion)
        .bind(args.fecha_estimada)
        .bind(&part.url_imagen)
        .fetch_optional(&mut *conn)
        .await?;
        if inserted.is_some() {
            return Ok(Applied { result: plan.result(args) });
        }
        plan = decide::create(
            args,
            referencia.clone(),
            nombre,
            &create_facts(conn, args.id_repuesto, &referencia).await?,
        )?;
    }
    let CreatePlan::Merge { survivor, referencia } = &plan else {
        return Err(Rechazo::invalid("the reference was taken and freed while the part was created").into());
    };
    // Later mutations that use the new id act on the survivor through the alias.
    sqlx::query(
        "INSERT INTO sync_id_alias (tabla, id_alias, id_real) VALUES ('repuestos', $1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(args.id_repuesto)
    .bind(survivor)
    .execute(&mut *conn)
    .await?;
    let mut applied = Applied { result: plan.result(args) };
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
    let edits = decide::normalise_edits(&args.edits);
    let wanted = decide::wanted_references(&edits);
    let mut taken = Vec::with_capacity(wanted.len());
    for referencia in &wanted {
        let other: Option<Uuid> =
            sqlx::query_scalar("SELECT id_repuesto FROM repuestos WHERE referencia = $1 AND id_repuesto <> $2")
                .bind(referencia)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        taken.push(other.is_some());
    }
    // A reference taken by another part is refused before anything is written.
    decide::check_references(&edits, &taken)?;
    let table = table("repuestos").ok_or_else(|| Rechazo::invalid("catalogue"))?;
    let key = id.to_string();
    let target = Target { table, key: &key, fields: EDITABLE };
    let conflicts = apply_edits(conn, ctx, &target, &edits, |_, _| Ok(())).await?;
    let mut applied = Applied { result: decide::edit_result(id) };
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
    Ok(Applied { result: decide::discontinue_result(id, args) })
}
