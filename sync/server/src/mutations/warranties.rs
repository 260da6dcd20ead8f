//! Warranty claims: the facts the decisions of `taller_domain::decide::warranties` need, read
//! under the claim's row lock, and their plans written. An approved claim brings the
//! supplier's replacement units into the location's stock (ledger `GARANTIA`).

use super::edits::{apply_edits, Target};
use super::ledger::change_stock;
use super::{found_part, Applied, Ctx, Failure, Outcome};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use taller_domain::decide::stored_state;
use taller_domain::decide::warranties::{self as decide, ClaimDates, ClaimFacts, CreateFacts};
use taller_domain::{EstadoGarantia, Rechazo};
use taller_protocol::mutations::{WarrantyCreate, WarrantyEdit, WarrantyRef, WarrantyResolve};
use taller_protocol::tables::table;
use uuid::Uuid;

use taller_protocol::validate::WARRANTY_FIELDS as EDITABLE;

pub async fn create(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &WarrantyCreate) -> Outcome {
    let (location_exists, part, technician_exists, id_taken): (bool, Option<Uuid>, bool, bool) =
        sqlx::query_as(concat!(
            "SELECT EXISTS (SELECT 1 FROM localizacion WHERE id_localizacion = $1), ",
            found_part!("$2"),
            ", $4::uuid IS NULL OR EXISTS (SELECT 1 FROM usuarios WHERE id_usuario = $4), \
               EXISTS (SELECT 1 FROM garantias WHERE id_garantia = $3)"
        ))
        .bind(args.id_localizacion)
        .bind(args.id_repuesto)
        .bind(args.id_garantia)
        .bind(args.id_tecnico_asociado)
        .fetch_one(&mut *conn)
        .await?;
    let facts = CreateFacts { location_exists, part, technician_exists, id_taken };
    let plan = decide::create(ctx.actor, args, &facts)?;
    let inserted = sqlx::query(
        "INSERT INTO garantias (id_garantia, id_repuesto, id_localizacion, id_usuario_reporta, id_tecnico_asociado, cantidad, \
             motivo_falla, kilometraje, numero_orden, solicitante, estado, url_evidencia_foto, fecha_reporte) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'SIN_ENVIAR', $11, $12) ON CONFLICT (id_garantia) DO NOTHING",
    )
    .bind(args.id_garantia)
    .bind(plan.id_repuesto)
    .bind(args.id_localizacion)
    .bind(ctx.user.id_usuario)
    .bind(args.id_tecnico_asociado)
    .bind(args.cantidad)
    .bind(&plan.motivo_falla)
    .bind(args.kilometraje)
    .bind(&plan.numero_orden)
    .bind(&plan.solicitante)
    .bind(&plan.url_evidencia_foto)
    .bind(ctx.at)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        // Another transaction took the id since it was read: decided again with that fact.
        decide::create(ctx.actor, args, &CreateFacts { id_taken: true, ..facts })?;
    }
    Ok(Applied { result: decide::create_result(args) })
}

/// The claim, locked (`None` when there is none).
async fn lock_claim(conn: &mut PgConnection, id_garantia: Uuid) -> Result<Option<ClaimFacts>, sqlx::Error> {
    let row: Option<(Uuid, Uuid, i32, String, bool)> = sqlx::query_as(
        "SELECT g.id_localizacion, g.id_repuesto, g.cantidad, g.estado, \
                EXISTS (SELECT 1 FROM localizacion l WHERE l.id_localizacion = g.id_localizacion) \
           FROM garantias g WHERE g.id_garantia = $1 FOR UPDATE OF g",
    )
    .bind(id_garantia)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(id_localizacion, id_repuesto, cantidad, estado, location_exists)| ClaimFacts {
        id_localizacion,
        id_repuesto,
        cantidad,
        estado,
        location_exists,
    }))
}

/// A transition refusal completed with who put the claim in its state, and when (the person's
/// time). Claims have no history table: the applied mutation that entered the state says it
/// (each state is entered at most once); a claim written by another application falls back to
/// its own columns.
async fn with_setter<T>(conn: &mut PgConnection, id: Uuid, decided: Result<T, Rechazo>) -> Result<T, Failure> {
    let rechazo = match decided {
        Ok(plan) => return Ok(plan),
        Err(rechazo) => rechazo,
    };
    let Some(estado) = rechazo.awaits_setter().and_then(|from| stored_state::<EstadoGarantia>(from).ok()) else {
        return Err(rechazo.into());
    };
    // The id as the device wrote it (any uuid spelling serde accepts), compared as 32 hex digits.
    let by_mutation: Option<(String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT u.nombre_completo, m.realizada_en FROM sync_mutations m JOIN usuarios u ON u.id_usuario = m.id_usuario \
          WHERE m.nombre = $2 AND m.estado = 'applied' \
            AND right(regexp_replace(lower(m.args->>'id_garantia'), '[^0-9a-f]', '', 'g'), 32) = $1 \
          ORDER BY m.recibida_en DESC LIMIT 1",
    )
    .bind(id.simple().to_string())
    .bind(decide::entered_by(estado))
    .fetch_optional(&mut *conn)
    .await?;
    let dates = match by_mutation {
        Some(_) => None,
        None => {
            let row: Option<(String, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
                "SELECT u.nombre_completo, g.fecha_reporte, g.fecha_resolucion FROM garantias g \
                   JOIN usuarios u ON u.id_usuario = g.id_usuario_reporta WHERE g.id_garantia = $1",
            )
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
            row.map(|(reporter, reported, resolved)| ClaimDates {
                reporter,
                fecha_reporte: Some(reported),
                fecha_resolucion: resolved,
            })
        }
    };
    let (changed_by, changed_at) = decide::state_setter(estado, by_mutation, dates.as_ref());
    Err(rechazo.set_by(changed_by, changed_at).into())
}

pub async fn edit(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &WarrantyEdit) -> Outcome {
    let claim = lock_claim(conn, args.id_garantia).await?;
    decide::edit(ctx.actor, args.id_garantia, claim.as_ref())?;
    let table = table("garantias").ok_or_else(|| Rechazo::invalid("catalogue"))?;
    let key = args.id_garantia.to_string();
    let target = Target { table, key: &key, fields: EDITABLE };
    let conflicts = apply_edits(conn, ctx, &target, &args.edits, decide::check_edit).await?;
    let mut applied = Applied::default();
    for conflict in conflicts {
        applied.conflict(conflict);
    }
    Ok(applied)
}

pub async fn submit(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &WarrantyRef) -> Outcome {
    let claim = lock_claim(conn, args.id_garantia).await?;
    let to = with_setter(conn, args.id_garantia, decide::submit(ctx.actor, args.id_garantia, claim.as_ref())).await?;
    sqlx::query("UPDATE garantias SET estado = $2 WHERE id_garantia = $1")
        .bind(args.id_garantia)
        .bind(to.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(Applied { result: decide::state_result(to) })
}

pub async fn resolve(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &WarrantyResolve, approve: bool) -> Outcome {
    let claim = lock_claim(conn, args.id_garantia).await?;
    let plan = with_setter(conn, args.id_garantia, decide::resolve(ctx.actor, args, approve, claim.as_ref())).await?;
    sqlx::query(
        "UPDATE garantias SET estado = $2, comentarios_resolucion = $3, fecha_resolucion = $4 WHERE id_garantia = $1",
    )
    .bind(args.id_garantia)
    .bind(plan.to.as_str())
    .bind(&plan.comentarios_resolucion)
    .bind(ctx.at)
    .execute(&mut *conn)
    .await?;
    let Some(change) = &plan.stock else {
        return Ok(Applied { result: plan.result(None) });
    };
    let changed = change_stock(conn, ctx, change).await?;
    let mut applied = Applied { result: plan.result(Some(&changed.entry)) };
    for conflict in changed.conflicts {
        applied.conflict(conflict);
    }
    Ok(applied)
}
