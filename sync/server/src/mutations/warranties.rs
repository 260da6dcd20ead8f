//! Warranty claims: SIN_ENVIAR -> PENDIENTE -> APROBADA | RECHAZADA. An approved claim brings
//! the supplier's replacement units into the location's stock (ledger `GARANTIA`).

use super::edits::{apply_edits, Target};
use super::ledger::change_stock;
use super::{
    already_exists, check_text, clean, existing_location, existing_part, invalid, not_found, Applied, Ctx, Failure,
    Outcome,
};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use taller_domain::stock::check_quantity;
use taller_domain::{EstadoGarantia, Rechazo, RejectionCode, TipoOperacion};
use taller_protocol::mutations::{WarrantyCreate, WarrantyEdit, WarrantyRef, WarrantyResolve};
use taller_protocol::tables::table;
use uuid::Uuid;

use taller_protocol::validate::WARRANTY_FIELDS as EDITABLE;

pub async fn create(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &WarrantyCreate) -> Outcome {
    ctx.require_location(args.id_localizacion)?;
    check_quantity(args.cantidad)?;
    let Some(motivo) = clean(Some(&args.motivo_falla)) else {
        return Err(Failure::Rejected(Rechazo::new(RejectionCode::ReasonRequired)));
    };
    check_text("motivo_falla", &motivo)?;
    if args.kilometraje.is_some_and(|km| km < 0) {
        return Err(invalid("kilometraje cannot be negative"));
    }
    existing_location(conn, args.id_localizacion).await?;
    let id_repuesto = existing_part(conn, args.id_repuesto).await?;
    let inserted = sqlx::query(
        "INSERT INTO garantias (id_garantia, id_repuesto, id_localizacion, id_usuario_reporta, id_tecnico_asociado, cantidad, \
             motivo_falla, kilometraje, numero_orden, solicitante, estado, url_evidencia_foto, fecha_reporte) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'SIN_ENVIAR', $11, $12) ON CONFLICT (id_garantia) DO NOTHING",
    )
    .bind(args.id_garantia)
    .bind(id_repuesto)
    .bind(args.id_localizacion)
    .bind(ctx.user.id_usuario)
    .bind(args.id_tecnico_asociado)
    .bind(args.cantidad)
    .bind(&motivo)
    .bind(args.kilometraje)
    .bind(clean(args.numero_orden.as_deref()))
    .bind(clean(args.solicitante.as_deref()))
    .bind(clean(args.url_evidencia_foto.as_deref()))
    .bind(ctx.at)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(already_exists("garantia", args.id_garantia));
    }
    Ok(Applied::default().with("id_garantia", args.id_garantia.to_string()).with("estado", "SIN_ENVIAR"))
}

struct Claim {
    id_localizacion: Uuid,
    id_repuesto: Uuid,
    cantidad: i32,
    estado: EstadoGarantia,
}

async fn lock_claim(conn: &mut PgConnection, ctx: &Ctx<'_>, id_garantia: Uuid) -> Result<Claim, Failure> {
    let row: Option<(Uuid, Uuid, i32, String)> = sqlx::query_as(
        "SELECT id_localizacion, id_repuesto, cantidad, estado FROM garantias WHERE id_garantia = $1 FOR UPDATE",
    )
    .bind(id_garantia)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id_localizacion, id_repuesto, cantidad, estado)) = row else {
        return Err(not_found("garantia", id_garantia));
    };
    ctx.require_location(id_localizacion)?;
    let estado = estado.parse().map_err(|_| invalid(format!("unknown state {estado}")))?;
    Ok(Claim { id_localizacion, id_repuesto, cantidad, estado })
}

/// Refuses a transition that the current state does not allow, naming who set the current
/// state and when (the same rule as transfer requests).
async fn transition(
    conn: &mut PgConnection,
    from: EstadoGarantia,
    to: EstadoGarantia,
    id: Uuid,
) -> Result<(), Failure> {
    if from.can_transition_to(to) {
        return Ok(());
    }
    let (changed_by, changed_at) = state_set_by(conn, id, from).await?;
    Err(Failure::Rejected(
        Rechazo::new(RejectionCode::InvalidTransition)
            .with("entity", "garantia")
            .with("id", id.to_string())
            .with("from", from.as_str())
            .with("to", to.as_str())
            .with("changed_by", changed_by)
            .with("changed_at", changed_at),
    ))
}

/// Who put a claim in `estado`, and when (the person's time). Claims have no history table:
/// the applied mutation that entered the state says it (each state is entered at most once).
/// A claim written by another application falls back to its own columns.
async fn state_set_by(
    conn: &mut PgConnection,
    id: Uuid,
    estado: EstadoGarantia,
) -> Result<(String, String), sqlx::Error> {
    let mutation = match estado {
        EstadoGarantia::SinEnviar => "warranty.create",
        EstadoGarantia::Pendiente => "warranty.submit",
        EstadoGarantia::Aprobada => "warranty.approve",
        EstadoGarantia::Rechazada => "warranty.reject",
    };
    // The id as the device wrote it (any uuid spelling serde accepts), compared as 32 hex digits.
    let by_mutation: Option<(String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT u.nombre_completo, m.realizada_en FROM sync_mutations m JOIN usuarios u ON u.id_usuario = m.id_usuario \
          WHERE m.nombre = $2 AND m.estado = 'applied' \
            AND right(regexp_replace(lower(m.args->>'id_garantia'), '[^0-9a-f]', '', 'g'), 32) = $1 \
          ORDER BY m.recibida_en DESC LIMIT 1",
    )
    .bind(id.simple().to_string())
    .bind(mutation)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((nombre, at)) = by_mutation {
        return Ok((nombre, at.to_rfc3339()));
    }
    let row: Option<(String, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT u.nombre_completo, g.fecha_reporte, g.fecha_resolucion FROM garantias g \
           JOIN usuarios u ON u.id_usuario = g.id_usuario_reporta WHERE g.id_garantia = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match (estado, row) {
        (EstadoGarantia::SinEnviar, Some((reporter, reported, _))) => (reporter, reported.to_rfc3339()),
        (EstadoGarantia::Aprobada | EstadoGarantia::Rechazada, Some((_, _, Some(resolved)))) => {
            (String::new(), resolved.to_rfc3339())
        }
        _ => (String::new(), String::new()),
    })
}

pub async fn edit(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &WarrantyEdit) -> Outcome {
    let claim = lock_claim(conn, ctx, args.id_garantia).await?;
    if !claim.estado.is_editable() {
        return Err(Failure::Rejected(Rechazo::new(RejectionCode::NotEditable).with("estado", claim.estado.as_str())));
    }
    let table = table("garantias").ok_or_else(|| invalid("catalogue"))?;
    let key = args.id_garantia.to_string();
    let target = Target { table, key: &key, fields: EDITABLE };
    let conflicts = apply_edits(conn, ctx, &target, &args.edits, |field, value| match field {
        "cantidad" => {
            check_quantity(value.as_i64().and_then(|n| i32::try_from(n).ok()).unwrap_or(0)).map_err(Failure::Rejected)
        }
        "kilometraje" if value.as_i64().is_some_and(|km| km < 0) => Err(invalid("kilometraje cannot be negative")),
        _ => Ok(()),
    })
    .await?;
    let mut applied = Applied::default();
    for conflict in conflicts {
        applied.conflict(conflict);
    }
    Ok(applied)
}

pub async fn submit(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &WarrantyRef) -> Outcome {
    let claim = lock_claim(conn, ctx, args.id_garantia).await?;
    transition(conn, claim.estado, EstadoGarantia::Pendiente, args.id_garantia).await?;
    sqlx::query("UPDATE garantias SET estado = 'PENDIENTE' WHERE id_garantia = $1")
        .bind(args.id_garantia)
        .execute(&mut *conn)
        .await?;
    Ok(Applied::default().with("estado", "PENDIENTE"))
}

pub async fn resolve(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &WarrantyResolve, approve: bool) -> Outcome {
    let claim = lock_claim(conn, ctx, args.id_garantia).await?;
    let to = if approve { EstadoGarantia::Aprobada } else { EstadoGarantia::Rechazada };
    transition(conn, claim.estado, to, args.id_garantia).await?;
    let comentarios = clean(args.comentarios_resolucion.as_deref());
    if !approve && comentarios.is_none() {
        return Err(Failure::Rejected(Rechazo::new(RejectionCode::ReasonRequired)));
    }
    if let Some(text) = &comentarios {
        check_text("comentarios_resolucion", text)?;
    }
    sqlx::query(
        "UPDATE garantias SET estado = $2, comentarios_resolucion = $3, fecha_resolucion = $4 WHERE id_garantia = $1",
    )
    .bind(args.id_garantia)
    .bind(to.as_str())
    .bind(&comentarios)
    .bind(ctx.at)
    .execute(&mut *conn)
    .await?;
    let mut applied = Applied::default().with("estado", to.as_str());
    if approve {
        existing_location(conn, claim.id_localizacion).await?;
        let change = change_stock(
            conn,
            ctx,
            claim.id_localizacion,
            claim.id_repuesto,
            claim.cantidad,
            TipoOperacion::Garantia,
            comentarios.as_deref(),
            json!({"id_garantia": args.id_garantia}),
        )
        .await?;
        applied = applied.with("stock_actual", change.entry.cantidad_nueva);
        for conflict in change.conflicts {
            applied.conflict(conflict);
        }
    }
    Ok(applied)
}
