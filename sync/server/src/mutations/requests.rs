//! The request cart and transfer requests between locations: the facts the decisions of
//! `taller_domain::decide::requests` need, read under the request's row lock (each transition
//! is checked against the server's current state), and their plans written.
//! `trazabilidad_solicitudes` is written by the `track_request_state` trigger from the
//! transaction's context.

use super::batch::resolve_parts;
use super::ledger::change_stock;
use super::{found_part, set_trigger_context, Applied, Ctx, Failure, Outcome};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use taller_domain::decide::requests::{self as decide, CartAddFacts, CreateFacts, LineFacts, LinePlan, RequestFacts};
use taller_domain::decide::stored_state;
use taller_domain::Rechazo;
use taller_protocol::mutations::{
    CartAdd, CartRemove, CartSet, RequestCreate, RequestDispatch, RequestReceive, RequestRef,
};
use uuid::Uuid;

pub async fn cart_add(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &CartAdd) -> Outcome {
    let (location_exists, part, id_taken): (bool, Option<Uuid>, bool) = sqlx::query_as(concat!(
        "SELECT EXISTS (SELECT 1 FROM localizacion WHERE id_localizacion = $1), ",
        found_part!("$2"),
        ", EXISTS (SELECT 1 FROM carrito_solicitudes WHERE id_item_carrito = $3)"
    ))
    .bind(args.id_localizacion)
    .bind(args.id_repuesto)
    .bind(args.id_item_carrito)
    .fetch_one(&mut *conn)
    .await?;
    let facts = CartAddFacts { location_exists, part, id_taken };
    let id_repuesto = decide::cart_add(ctx.actor, args, &facts)?;
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
        // Another transaction took the id since it was read: decided again with that fact.
        decide::cart_add(ctx.actor, args, &CartAddFacts { id_taken: true, ..facts })?;
    }
    Ok(Applied::default().with("id_item_carrito", args.id_item_carrito.to_string()))
}

pub async fn cart_set(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &CartSet) -> Outcome {
    let own_line: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM carrito_solicitudes WHERE id_item_carrito = $1 AND id_usuario = $2 FOR UPDATE)",
    )
    .bind(args.id_item_carrito)
    .bind(ctx.user.id_usuario)
    .fetch_one(&mut *conn)
    .await?;
    decide::cart_set(args, own_line)?;
    sqlx::query("UPDATE carrito_solicitudes SET cantidad = $3 WHERE id_item_carrito = $1 AND id_usuario = $2")
        .bind(args.id_item_carrito)
        .bind(ctx.user.id_usuario)
        .bind(args.cantidad)
        .execute(&mut *conn)
        .await?;
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
    let (origin_exists, destination_exists, id_taken): (bool, bool, bool) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM localizacion WHERE id_localizacion = $1), \
                EXISTS (SELECT 1 FROM localizacion WHERE id_localizacion = $2), \
                EXISTS (SELECT 1 FROM solicitudes WHERE id_solicitud = $3)",
    )
    .bind(args.id_localizacion_origen)
    .bind(args.id_localizacion_destino)
    .bind(args.id_solicitud)
    .fetch_one(&mut *conn)
    .await?;
    let parts = resolve_parts(conn, args.lines.iter().map(|line| line.id_repuesto)).await?;
    let line_ids: Vec<Uuid> = args.lines.iter().map(|line| line.id_detalle).collect();
    let lines_taken = sqlx::query_scalar("SELECT id_detalle FROM detalles_solicitud WHERE id_detalle = ANY($1)")
        .bind(&line_ids)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
    let facts = CreateFacts {
        origin_exists,
        destination_exists,
        id_taken,
        parts: args.lines.iter().map(|line| parts.get(&line.id_repuesto).copied()).collect(),
        lines_taken,
    };
    let plan = decide::create(ctx.actor, args, &facts)?;
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
    .bind(&plan.observaciones_generales)
    .execute(&mut *conn)
    .await?;
    for line in &plan.lines {
        sqlx::query(
            "INSERT INTO detalles_solicitud (id_detalle, id_solicitud, id_repuesto, cantidad_solicitada, observaciones) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(line.id_detalle)
        .bind(args.id_solicitud)
        .bind(line.id_repuesto)
        .bind(line.cantidad)
        .bind(&line.observaciones)
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
    Ok(Applied { result: decide::create_result(args) })
}

async fn lock_request(conn: &mut PgConnection, id_solicitud: Uuid) -> Result<RequestFacts, Failure> {
    let row: Option<(Uuid, Uuid, Uuid, String)> = sqlx::query_as(
        "SELECT id_localizacion_origen, id_localizacion_destino, id_usuario_solicitante, estado \
           FROM solicitudes WHERE id_solicitud = $1 FOR UPDATE",
    )
    .bind(id_solicitud)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((origen, destino, solicitante, estado)) = row else {
        return Err(Rechazo::not_found("solicitud", id_solicitud).into());
    };
    Ok(RequestFacts { id_solicitud, origen, destino, solicitante, estado: stored_state(&estado)? })
}

/// A transition refusal completed with who set the current state and when: the trace row that
/// entered it. Not simply the latest `fecha_cambio`: that is the person's clock, and an offline
/// device may report a cancel as earlier than the pick it cancels. The machine has no cycles,
/// so each state is entered at most once.
async fn with_setter<T>(
    conn: &mut PgConnection,
    id_solicitud: Uuid,
    decided: Result<T, Rechazo>,
) -> Result<T, Failure> {
    let rechazo = match decided {
        Ok(plan) => return Ok(plan),
        Err(rechazo) => rechazo,
    };
    let Some(from) = rechazo.awaits_setter().map(str::to_owned) else { return Err(rechazo.into()) };
    let last: Option<(String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT u.nombre_completo, t.fecha_cambio FROM trazabilidad_solicitudes t \
           JOIN usuarios u ON u.id_usuario = t.id_usuario \
          WHERE t.id_solicitud = $1 AND t.estado_nuevo = $2 \
          ORDER BY t.fecha_cambio DESC, t.id_trazabilidad DESC LIMIT 1",
    )
    .bind(id_solicitud)
    .bind(from)
    .fetch_optional(&mut *conn)
    .await?;
    let (changed_by, changed_at) = last.map(|(name, at)| (name, at.to_rfc3339())).unwrap_or_default();
    Err(rechazo.set_by(changed_by, changed_at).into())
}

pub async fn pick(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &RequestRef) -> Outcome {
    let request = lock_request(conn, args.id_solicitud).await?;
    let transition = with_setter(conn, args.id_solicitud, decide::pick(ctx.actor, &request, args)).await?;
    set_trigger_context(conn, ctx, transition.comentario.as_deref()).await?;
    sqlx::query("UPDATE solicitudes SET estado = $3, fecha_alistamiento = $2 WHERE id_solicitud = $1")
        .bind(args.id_solicitud)
        .bind(ctx.at)
        .bind(transition.to.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(Applied { result: transition.result() })
}

/// The request's lines, in line-id order.
async fn request_lines(conn: &mut PgConnection, id_solicitud: Uuid) -> Result<Vec<LineFacts>, sqlx::Error> {
    let rows: Vec<(Uuid, Uuid, i32, Option<i32>)> = sqlx::query_as(
        "SELECT id_detalle, id_repuesto, cantidad_solicitada, cantidad_despachada FROM detalles_solicitud \
          WHERE id_solicitud = $1 ORDER BY id_detalle",
    )
    .bind(id_solicitud)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id_detalle, id_repuesto, cantidad_solicitada, cantidad_despachada)| LineFacts {
            id_detalle,
            id_repuesto,
            cantidad_solicitada,
            cantidad_despachada,
        })
        .collect())
}

/// Writes each line's quantity (`column`: this module's constants) and the stock it moves, in
/// line order; the stock changes' conflicts go to the outcome.
async fn write_lines(
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    lines: &[LinePlan],
    column: &'static str,
    applied: &mut Applied,
) -> Result<(), Failure> {
    for line in lines {
        sqlx::query(&format!("UPDATE detalles_solicitud SET {column} = $2 WHERE id_detalle = $1"))
            .bind(line.id_detalle)
            .bind(line.cantidad)
            .execute(&mut *conn)
            .await?;
        if let Some(change) = &line.stock {
            for conflict in change_stock(conn, ctx, change).await?.conflicts {
                applied.conflict(conflict);
            }
        }
    }
    Ok(())
}

pub async fn dispatch(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &RequestDispatch) -> Outcome {
    let request = lock_request(conn, args.id_solicitud).await?;
    let lines = request_lines(conn, args.id_solicitud).await?;
    let plan = with_setter(conn, args.id_solicitud, decide::dispatch(ctx.actor, &request, args, &lines)).await?;
    set_trigger_context(conn, ctx, plan.transition.comentario.as_deref()).await?;
    let mut applied = Applied { result: plan.transition.result() };
    write_lines(conn, ctx, &plan.lines, "cantidad_despachada", &mut applied).await?;
    sqlx::query(
        "UPDATE solicitudes SET estado = $4, fecha_despacho = $2, guia_transporte = COALESCE($3, guia_transporte) \
          WHERE id_solicitud = $1",
    )
    .bind(args.id_solicitud)
    .bind(ctx.at)
    .bind(&plan.guia_transporte)
    .bind(plan.transition.to.as_str())
    .execute(&mut *conn)
    .await?;
    Ok(applied)
}

pub async fn receive(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &RequestReceive) -> Outcome {
    let request = lock_request(conn, args.id_solicitud).await?;
    let lines = request_lines(conn, args.id_solicitud).await?;
    let plan = with_setter(conn, args.id_solicitud, decide::receive(ctx.actor, &request, args, &lines)).await?;
    set_trigger_context(conn, ctx, plan.transition.comentario.as_deref()).await?;
    let mut applied = Applied { result: plan.result() };
    write_lines(conn, ctx, &plan.lines, "cantidad_recibida", &mut applied).await?;
    sqlx::query("UPDATE solicitudes SET estado = $3, fecha_recepcion = $2 WHERE id_solicitud = $1")
        .bind(args.id_solicitud)
        .bind(ctx.at)
        .bind(plan.transition.to.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(applied)
}

pub async fn cancel(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &RequestRef) -> Outcome {
    let request = lock_request(conn, args.id_solicitud).await?;
    let transition = with_setter(conn, args.id_solicitud, decide::cancel(ctx.actor, &request, args)).await?;
    set_trigger_context(conn, ctx, transition.comentario.as_deref()).await?;
    sqlx::query("UPDATE solicitudes SET estado = $2 WHERE id_solicitud = $1")
        .bind(args.id_solicitud)
        .bind(transition.to.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(Applied { result: transition.result() })
}
