//! The request cart and transfer requests between locations:
//! PENDIENTE -> ALISTAMIENTO -> DESPACHADO -> RECIBIDO, CANCELADO from the first two.
//! Each transition is checked against the server's current state; `trazabilidad_solicitudes`
//! is written by the `track_request_state` trigger from the transaction's context.

use super::ledger::change_stock;
use super::{
    already_exists, check_text, clean, existing_location, existing_part, invalid, not_found, set_trigger_context,
    Applied, Ctx, Failure, Outcome,
};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use std::collections::HashMap;
use taller_domain::stock::{check_quantity, check_quantity_or_zero};
use taller_domain::{EstadoSolicitud, Permiso, Rechazo, RejectionCode, TipoOperacion};
use taller_protocol::mutations::{
    CartAdd, CartRemove, CartSet, LineQuantity, RequestCreate, RequestDispatch, RequestReceive, RequestRef,
};
use uuid::Uuid;

pub async fn cart_add(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &CartAdd) -> Outcome {
    ctx.require_location(args.id_localizacion)?;
    check_quantity(args.cantidad)?;
    existing_location(conn, args.id_localizacion).await?;
    let id_repuesto = existing_part(conn, args.id_repuesto).await?;
    let inserted = sqlx::query(
        "INSERT INTO carrito_solicitudes (id_item_carrito, id_usuario, id_localizacion, id_repuesto, cantidad, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id_item_carrito) DO NOTHING",
    )
    .bind(args.id_item_carrito)
    .bind(ctx.user.id_usuario)
    .bind(args.id_localizacion)
    .bind(id_repuesto)
    .bind(args.cantidad)
    .bind(ctx.at)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(already_exists("item_carrito", args.id_item_carrito));
    }
    Ok(Applied::default().with("id_item_carrito", args.id_item_carrito.to_string()))
}

pub async fn cart_set(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &CartSet) -> Outcome {
    check_quantity(args.cantidad)?;
    let updated =
        sqlx::query("UPDATE carrito_solicitudes SET cantidad = $3 WHERE id_item_carrito = $1 AND id_usuario = $2")
            .bind(args.id_item_carrito)
            .bind(ctx.user.id_usuario)
            .bind(args.cantidad)
            .execute(&mut *conn)
            .await?;
    if updated.rows_affected() == 0 {
        return Err(not_found("item_carrito", args.id_item_carrito));
    }
    Ok(Applied::default())
}

/// Removing a line that is already gone (another device of the same user removed it, or a
/// request took it) is not an error: the intent is fulfilled.
pub async fn cart_remove(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &CartRemove) -> Outcome {
    let deleted = sqlx::query("DELETE FROM carrito_solicitudes WHERE id_item_carrito = $1 AND id_usuario = $2")
        .bind(args.id_item_carrito)
        .bind(ctx.user.id_usuario)
        .execute(&mut *conn)
        .await?;
    Ok(Applied::default().with("removed", deleted.rows_affected() > 0))
}

pub async fn create(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &RequestCreate) -> Outcome {
    ctx.require_location(args.id_localizacion_destino)?;
    if args.id_localizacion_origen == args.id_localizacion_destino {
        return Err(invalid("origin and destination must differ"));
    }
    if args.lines.is_empty() {
        return Err(Failure::Rejected(Rechazo::new(RejectionCode::EmptyRequest)));
    }
    if let Some(text) = &args.observaciones_generales {
        check_text("observaciones_generales", text)?;
    }
    existing_location(conn, args.id_localizacion_origen).await?;
    existing_location(conn, args.id_localizacion_destino).await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM solicitudes WHERE id_solicitud = $1)")
        .bind(args.id_solicitud)
        .fetch_one(&mut *conn)
        .await?;
    if exists {
        return Err(already_exists("solicitud", args.id_solicitud));
    }
    let mut parts = Vec::with_capacity(args.lines.len());
    for line in &args.lines {
        check_quantity(line.cantidad)?;
        parts.push(existing_part(conn, line.id_repuesto).await?);
    }
    set_trigger_context(conn, ctx, None).await?;
    sqlx::query(
        "INSERT INTO solicitudes (id_solicitud, id_localizacion_origen, id_localizacion_destino, id_usuario_solicitante, \
             estado, fecha_creacion, observaciones_generales) VALUES ($1, $2, $3, $4, 'PENDIENTE', $5, $6)",
    )
    .bind(args.id_solicitud)
    .bind(args.id_localizacion_origen)
    .bind(args.id_localizacion_destino)
    .bind(ctx.user.id_usuario)
    .bind(ctx.at)
    .bind(clean(args.observaciones_generales.as_deref()))
    .execute(&mut *conn)
    .await?;
    for (line, id_repuesto) in args.lines.iter().zip(parts) {
        sqlx::query(
            "INSERT INTO detalles_solicitud (id_detalle, id_solicitud, id_repuesto, cantidad_solicitada, observaciones) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(line.id_detalle)
        .bind(args.id_solicitud)
        .bind(id_repuesto)
        .bind(line.cantidad)
        .bind(clean(line.observaciones.as_deref()))
        .execute(&mut *conn)
        .await?;
        if let Some(item) = line.id_item_carrito {
            sqlx::query("DELETE FROM carrito_solicitudes WHERE id_item_carrito = $1 AND id_usuario = $2")
                .bind(item)
                .bind(ctx.user.id_usuario)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(Applied::default().with("id_solicitud", args.id_solicitud.to_string()).with("estado", "PENDIENTE"))
}

struct RequestRow {
    origen: Uuid,
    destino: Uuid,
    solicitante: Uuid,
    estado: EstadoSolicitud,
}

async fn lock_request(conn: &mut PgConnection, id_solicitud: Uuid) -> Result<RequestRow, Failure> {
    let row: Option<(Uuid, Uuid, Uuid, String)> = sqlx::query_as(
        "SELECT id_localizacion_origen, id_localizacion_destino, id_usuario_solicitante, estado \
           FROM solicitudes WHERE id_solicitud = $1 FOR UPDATE",
    )
    .bind(id_solicitud)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((origen, destino, solicitante, estado)) = row else {
        return Err(not_found("solicitud", id_solicitud));
    };
    let estado = estado.parse().map_err(|_| invalid(format!("unknown state {estado}")))?;
    Ok(RequestRow { origen, destino, solicitante, estado })
}

/// Refuses a transition that the current state does not allow, naming who set the current
/// state and when.
async fn check_transition(
    conn: &mut PgConnection,
    id_solicitud: Uuid,
    from: EstadoSolicitud,
    to: EstadoSolicitud,
) -> Result<(), Failure> {
    if from.can_transition_to(to) {
        return Ok(());
    }
    // The trace row that entered the current state. Not simply the latest `fecha_cambio`:
    // that is the person's clock, and an offline device may report a cancel as earlier than
    // the pick it cancels. The machine has no cycles, so each state is entered at most once.
    let last: Option<(String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT u.nombre_completo, t.fecha_cambio FROM trazabilidad_solicitudes t \
           JOIN usuarios u ON u.id_usuario = t.id_usuario \
          WHERE t.id_solicitud = $1 AND t.estado_nuevo = $2 \
          ORDER BY t.fecha_cambio DESC, t.id_trazabilidad DESC LIMIT 1",
    )
    .bind(id_solicitud)
    .bind(from.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let (changed_by, changed_at) = last.map(|(name, at)| (name, at.to_rfc3339())).unwrap_or_default();
    Err(Failure::Rejected(
        Rechazo::new(RejectionCode::InvalidTransition)
            .with("entity", "solicitud")
            .with("id", id_solicitud.to_string())
            .with("from", from.as_str())
            .with("to", to.as_str())
            .with("changed_by", changed_by)
            .with("changed_at", changed_at),
    ))
}

pub async fn pick(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &RequestRef) -> Outcome {
    let request = lock_request(conn, args.id_solicitud).await?;
    ctx.require_location(request.origen)?;
    check_transition(conn, args.id_solicitud, request.estado, EstadoSolicitud::Alistamiento).await?;
    set_trigger_context(conn, ctx, args.comentario.as_deref()).await?;
    sqlx::query("UPDATE solicitudes SET estado = 'ALISTAMIENTO', fecha_alistamiento = $2 WHERE id_solicitud = $1")
        .bind(args.id_solicitud)
        .bind(ctx.at)
        .execute(&mut *conn)
        .await?;
    Ok(Applied::default().with("estado", "ALISTAMIENTO"))
}

/// Per-line quantities from the request, defaulting to `default` for lines not listed.
fn line_quantities(
    lines: &[(Uuid, Uuid, i32, Option<i32>)],
    given: &[LineQuantity],
    default: impl Fn(&(Uuid, Uuid, i32, Option<i32>)) -> i32,
) -> Result<Vec<(Uuid, Uuid, i32)>, Failure> {
    let mut given_by_line: HashMap<Uuid, i32> = HashMap::new();
    for line in given {
        if !lines.iter().any(|(id, _, _, _)| *id == line.id_detalle) {
            return Err(super::not_found("detalle_solicitud", line.id_detalle));
        }
        check_quantity_or_zero(line.cantidad)?;
        given_by_line.insert(line.id_detalle, line.cantidad);
    }
    Ok(lines
        .iter()
        .map(|line| (line.0, line.1, given_by_line.get(&line.0).copied().unwrap_or_else(|| default(line))))
        .collect())
}

async fn request_lines(
    conn: &mut PgConnection,
    id_solicitud: Uuid,
    dispatched: bool,
) -> Result<Vec<(Uuid, Uuid, i32, Option<i32>)>, sqlx::Error> {
    let column = if dispatched { "cantidad_despachada" } else { "NULL::integer" };
    sqlx::query_as(&format!(
        "SELECT id_detalle, id_repuesto, cantidad_solicitada, {column} FROM detalles_solicitud WHERE id_solicitud = $1 ORDER BY id_detalle"
    ))
    .bind(id_solicitud)
    .fetch_all(&mut *conn)
    .await
}

pub async fn dispatch(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &RequestDispatch) -> Outcome {
    let request = lock_request(conn, args.id_solicitud).await?;
    ctx.require_location(request.origen)?;
    check_transition(conn, args.id_solicitud, request.estado, EstadoSolicitud::Despachado).await?;
    if let Some(guia) = &args.guia_transporte {
        check_text("guia_transporte", guia)?;
    }
    let lines = request_lines(conn, args.id_solicitud, false).await?;
    let quantities = line_quantities(&lines, &args.lines, |line| line.2)?;
    set_trigger_context(conn, ctx, args.comentario.as_deref()).await?;
    let mut applied = Applied::default().with("estado", "DESPACHADO");
    for (id_detalle, id_repuesto, cantidad) in quantities {
        sqlx::query("UPDATE detalles_solicitud SET cantidad_despachada = $2 WHERE id_detalle = $1")
            .bind(id_detalle)
            .bind(cantidad)
            .execute(&mut *conn)
            .await?;
        if cantidad > 0 {
            let change = change_stock(
                conn,
                ctx,
                request.origen,
                id_repuesto,
                -cantidad,
                TipoOperacion::SolicitudSalida,
                None,
                json!({"id_solicitud": args.id_solicitud, "id_detalle": id_detalle}),
            )
            .await?;
            for conflict in change.conflicts {
                applied.conflict(conflict);
            }
        }
    }
    sqlx::query("UPDATE solicitudes SET estado = 'DESPACHADO', fecha_despacho = $2, guia_transporte = COALESCE($3, guia_transporte) WHERE id_solicitud = $1")
        .bind(args.id_solicitud)
        .bind(ctx.at)
        .bind(clean(args.guia_transporte.as_deref()))
        .execute(&mut *conn)
        .await?;
    Ok(applied)
}

pub async fn receive(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &RequestReceive) -> Outcome {
    let request = lock_request(conn, args.id_solicitud).await?;
    ctx.require_location(request.destino)?;
    check_transition(conn, args.id_solicitud, request.estado, EstadoSolicitud::Recibido).await?;
    let lines = request_lines(conn, args.id_solicitud, true).await?;
    let quantities = line_quantities(&lines, &args.lines, |line| line.3.unwrap_or(line.2))?;
    set_trigger_context(conn, ctx, args.comentario.as_deref()).await?;
    let mut applied = Applied::default().with("estado", "RECIBIDO");
    let mut discrepancies = Vec::new();
    for ((id_detalle, id_repuesto, cantidad), line) in quantities.into_iter().zip(&lines) {
        let despachada = line.3.unwrap_or(line.2);
        sqlx::query("UPDATE detalles_solicitud SET cantidad_recibida = $2 WHERE id_detalle = $1")
            .bind(id_detalle)
            .bind(cantidad)
            .execute(&mut *conn)
            .await?;
        if cantidad != despachada {
            discrepancies.push(
                json!({"id_detalle": id_detalle, "cantidad_despachada": despachada, "cantidad_recibida": cantidad}),
            );
        }
        if cantidad > 0 {
            let change = change_stock(
                conn,
                ctx,
                request.destino,
                id_repuesto,
                cantidad,
                TipoOperacion::SolicitudEntrada,
                None,
                json!({"id_solicitud": args.id_solicitud, "id_detalle": id_detalle, "cantidad_despachada": despachada}),
            )
            .await?;
            for conflict in change.conflicts {
                applied.conflict(conflict);
            }
        }
    }
    sqlx::query("UPDATE solicitudes SET estado = 'RECIBIDO', fecha_recepcion = $2 WHERE id_solicitud = $1")
        .bind(args.id_solicitud)
        .bind(ctx.at)
        .execute(&mut *conn)
        .await?;
    Ok(applied.with("discrepancias", discrepancies))
}

pub async fn cancel(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &RequestRef) -> Outcome {
    let request = lock_request(conn, args.id_solicitud).await?;
    let is_requester = request.solicitante == ctx.user.id_usuario;
    let approver_here = ctx.allows(Permiso::RequestsApprove)
        && (ctx.require_location(request.origen).is_ok() || ctx.require_location(request.destino).is_ok());
    if !is_requester && !approver_here {
        return Err(super::forbidden(Permiso::RequestsApprove.as_str()));
    }
    check_transition(conn, args.id_solicitud, request.estado, EstadoSolicitud::Cancelado).await?;
    set_trigger_context(conn, ctx, args.comentario.as_deref()).await?;
    sqlx::query("UPDATE solicitudes SET estado = 'CANCELADO' WHERE id_solicitud = $1")
        .bind(args.id_solicitud)
        .execute(&mut *conn)
        .await?;
    Ok(Applied::default().with("estado", "CANCELADO"))
}
