//! The request cart and transfer requests between locations: the facts the decisions of
//! `taller_domain::decide::requests` need, read from the replica (the state it has), and their
//! plans written.
//!
//! The server's `trazabilidad_solicitudes` rows are written by a trigger; locally each
//! transition writes its own trace row (fresh id, the acting user, the person's time), which the
//! server's row replaces at the next pull.

use super::ledger::change_stock;
use super::{
    exists, found_part, get, insert, optional_text, parse_timestamp, text_at, update, user_name, uuid_at, LocalCtx,
    LocalResult,
};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use taller_domain::decide::requests::{
    self as decide, CartAddFacts, CreateFacts, LineFacts, LinePlan, RequestFacts, Transition,
};
use taller_domain::decide::stored_state;
use taller_domain::{EstadoSolicitud, Rechazo};
use taller_protocol::mutations::{
    CartAdd, CartRemove, CartSet, RequestCreate, RequestDispatch, RequestReceive, RequestRef,
};
use uuid::Uuid;

/// The user's own cart line, if the replica has it.
fn own_cart_line(ctx: &LocalCtx<'_>, id_item_carrito: Uuid) -> LocalResult<bool> {
    Ok(get(ctx.conn, "carrito_solicitudes", &id_item_carrito.to_string())?
        .is_some_and(|(table, row)| uuid_at(table, &row, "id_usuario") == Some(ctx.user.id_usuario)))
}

fn remove_cart_line(ctx: &LocalCtx<'_>, id_item_carrito: Uuid) -> LocalResult<()> {
    crate::rows::delete(ctx.conn, crate::rows::table("carrito_solicitudes")?, &id_item_carrito.to_string())?;
    Ok(())
}

pub(super) fn cart_add(ctx: &LocalCtx<'_>, args: &CartAdd) -> LocalResult<Value> {
    let facts = CartAddFacts {
        location_exists: exists(ctx.conn, "localizacion", &args.id_localizacion.to_string())?,
        part: found_part(ctx, args.id_repuesto)?,
        id_taken: exists(ctx.conn, "carrito_solicitudes", &args.id_item_carrito.to_string())?,
    };
    let id_repuesto = decide::cart_add(ctx.actor(), args, &facts)?;
    insert(
        ctx.conn,
        "carrito_solicitudes",
        &[
            ("id_item_carrito", json!(args.id_item_carrito)),
            ("id_usuario", json!(ctx.user.id_usuario)),
            ("id_localizacion", json!(args.id_localizacion)),
            ("id_repuesto", json!(id_repuesto)),
            ("cantidad", json!(args.cantidad)),
            ("created_at", ctx.now()),
        ],
    )?;
    Ok(json!({"id_item_carrito": args.id_item_carrito}))
}

pub(super) fn cart_set(ctx: &LocalCtx<'_>, args: &CartSet) -> LocalResult<Value> {
    decide::cart_set(args, own_cart_line(ctx, args.id_item_carrito)?)?;
    update(ctx.conn, "carrito_solicitudes", &args.id_item_carrito.to_string(), &[("cantidad", json!(args.cantidad))])?;
    Ok(Value::Null)
}

/// Removing a line that is already gone is not an error: the intent is fulfilled.
pub(super) fn cart_remove(ctx: &LocalCtx<'_>, args: &CartRemove) -> LocalResult<Value> {
    let mine = own_cart_line(ctx, args.id_item_carrito)?;
    if mine {
        remove_cart_line(ctx, args.id_item_carrito)?;
    }
    Ok(json!({"removed": mine}))
}

/// A trace row for a state change of a request.
fn trace(
    ctx: &LocalCtx<'_>,
    id_solicitud: Uuid,
    from: Option<EstadoSolicitud>,
    to: EstadoSolicitud,
    comentario: Option<&str>,
) -> LocalResult<()> {
    insert(
        ctx.conn,
        "trazabilidad_solicitudes",
        &[
            ("id_trazabilidad", json!(Uuid::new_v4())),
            ("id_solicitud", json!(id_solicitud)),
            ("estado_anterior", from.map_or(Value::Null, |estado| json!(estado.as_str()))),
            ("estado_nuevo", json!(to.as_str())),
            ("id_usuario", json!(ctx.user.id_usuario)),
            ("fecha_cambio", ctx.now()),
            ("comentario", comentario.map_or(Value::Null, |text| json!(text))),
        ],
    )
}

pub(super) fn create(ctx: &LocalCtx<'_>, args: &RequestCreate) -> LocalResult<Value> {
    let mut facts = CreateFacts {
        origin_exists: exists(ctx.conn, "localizacion", &args.id_localizacion_origen.to_string())?,
        destination_exists: exists(ctx.conn, "localizacion", &args.id_localizacion_destino.to_string())?,
        id_taken: exists(ctx.conn, "solicitudes", &args.id_solicitud.to_string())?,
        parts: Vec::with_capacity(args.lines.len()),
        lines_taken: Default::default(),
    };
    for line in &args.lines {
        facts.parts.push(found_part(ctx, line.id_repuesto)?);
        if exists(ctx.conn, "detalles_solicitud", &line.id_detalle.to_string())? {
            facts.lines_taken.insert(line.id_detalle);
        }
    }
    let plan = decide::create(ctx.actor(), args, &facts)?;
    insert(
        ctx.conn,
        "solicitudes",
        &[
            ("id_solicitud", json!(args.id_solicitud)),
            ("id_localizacion_origen", json!(args.id_localizacion_origen)),
            ("id_localizacion_destino", json!(args.id_localizacion_destino)),
            ("id_usuario_solicitante", json!(ctx.user.id_usuario)),
            ("estado", json!(EstadoSolicitud::Pendiente.as_str())),
            ("fecha_creacion", ctx.now()),
            ("observaciones_generales", optional_text(plan.observaciones_generales)),
        ],
    )?;
    trace(ctx, args.id_solicitud, None, EstadoSolicitud::Pendiente, None)?;
    for line in plan.lines {
        insert(
            ctx.conn,
            "detalles_solicitud",
            &[
                ("id_detalle", json!(line.id_detalle)),
                ("id_solicitud", json!(args.id_solicitud)),
                ("id_repuesto", json!(line.id_repuesto)),
                ("cantidad_solicitada", json!(line.cantidad)),
                ("observaciones", optional_text(line.observaciones)),
            ],
        )?;
        if let Some(item) = line.id_item_carrito {
            if own_cart_line(ctx, item)? {
                remove_cart_line(ctx, item)?;
            }
        }
    }
    Ok(Value::Object(decide::create_result(args)))
}

/// The request as the replica has it. A row the replica cannot read is refused as the server
/// would refuse a state it does not know.
fn load_request(ctx: &LocalCtx<'_>, id_solicitud: Uuid) -> LocalResult<RequestFacts> {
    let Some((table, row)) = get(ctx.conn, "solicitudes", &id_solicitud.to_string())? else {
        return Err(Rechazo::not_found("solicitud", id_solicitud).into());
    };
    let estado = stored_state(text_at(table, &row, "estado").unwrap_or_default())?;
    match (
        uuid_at(table, &row, "id_localizacion_origen"),
        uuid_at(table, &row, "id_localizacion_destino"),
        uuid_at(table, &row, "id_usuario_solicitante"),
    ) {
        (Some(origen), Some(destino), Some(solicitante)) => {
            Ok(RequestFacts { id_solicitud, origen, destino, solicitante, estado })
        }
        _ => Err(Rechazo::invalid(format!("solicitud {id_solicitud} is unreadable")).into()),
    }
}

/// A transition refusal completed with who set the current state and when: the trace row that
/// entered it (latest by time, then id, like the server). The name is the replica's; a user the
/// replica does not know is named "".
fn with_setter<T>(ctx: &LocalCtx<'_>, id_solicitud: Uuid, decided: Result<T, Rechazo>) -> LocalResult<T> {
    let rechazo = match decided {
        Ok(plan) => return Ok(plan),
        Err(rechazo) => rechazo,
    };
    let Some(from) = rechazo.awaits_setter().map(str::to_owned) else { return Err(rechazo.into()) };
    let mut statement = ctx.conn.prepare(
        "SELECT id_trazabilidad, id_usuario, fecha_cambio FROM trazabilidad_solicitudes \
          WHERE id_solicitud = ?1 AND estado_nuevo = ?2",
    )?;
    let found = statement.query_map([id_solicitud.to_string(), from], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?))
    })?;
    let mut latest: Option<(DateTime<Utc>, Uuid, Uuid)> = None;
    for row in found {
        let (id, usuario, fecha) = row?;
        let (Some(fecha), Ok(id), Ok(usuario)) = (parse_timestamp(&fecha), id.parse::<Uuid>(), usuario.parse::<Uuid>())
        else {
            continue;
        };
        if latest.is_none_or(|(at, best, _)| (fecha, id) > (at, best)) {
            latest = Some((fecha, id, usuario));
        }
    }
    let (changed_by, changed_at) = match latest {
        Some((at, _, usuario)) => (user_name(ctx.conn, usuario)?, at.to_rfc3339()),
        None => (String::new(), String::new()),
    };
    Err(rechazo.set_by(changed_by, changed_at).into())
}

/// Writes a transition: the new state (with the columns it sets) and its trace row.
fn write_transition(
    ctx: &LocalCtx<'_>,
    id_solicitud: Uuid,
    transition: &Transition,
    columns: &[(&str, Value)],
) -> LocalResult<Value> {
    let mut changes = vec![("estado", json!(transition.to.as_str()))];
    changes.extend(columns.iter().cloned());
    update(ctx.conn, "solicitudes", &id_solicitud.to_string(), &changes)?;
    trace(ctx, id_solicitud, Some(transition.from), transition.to, transition.comentario.as_deref())?;
    Ok(Value::Object(transition.result()))
}

pub(super) fn pick(ctx: &LocalCtx<'_>, args: &RequestRef) -> LocalResult<Value> {
    let request = load_request(ctx, args.id_solicitud)?;
    let transition = with_setter(ctx, args.id_solicitud, decide::pick(ctx.actor(), &request, args))?;
    write_transition(ctx, args.id_solicitud, &transition, &[("fecha_alistamiento", ctx.now())])
}

/// The request's lines, in the server's order (by line id).
fn request_lines(ctx: &LocalCtx<'_>, id_solicitud: Uuid) -> LocalResult<Vec<LineFacts>> {
    let mut statement = ctx.conn.prepare(
        "SELECT id_detalle, id_repuesto, cantidad_solicitada, cantidad_despachada FROM detalles_solicitud \
          WHERE id_solicitud = ?1",
    )?;
    let found = statement.query_map([id_solicitud.to_string()], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, i32>(2)?, row.get::<_, Option<i32>>(3)?))
    })?;
    let mut lines = Vec::new();
    for row in found {
        let (id, part, cantidad_solicitada, cantidad_despachada) = row?;
        if let (Ok(id_detalle), Ok(id_repuesto)) = (id.parse(), part.parse()) {
            lines.push(LineFacts { id_detalle, id_repuesto, cantidad_solicitada, cantidad_despachada });
        }
    }
    lines.sort_by_key(|line| line.id_detalle);
    Ok(lines)
}

/// Writes each line's quantity (`column`) and the stock it moves, in line order.
fn write_lines(ctx: &LocalCtx<'_>, lines: &[LinePlan], column: &str) -> LocalResult<()> {
    for line in lines {
        update(ctx.conn, "detalles_solicitud", &line.id_detalle.to_string(), &[(column, json!(line.cantidad))])?;
        if let Some(change) = &line.stock {
            change_stock(ctx, change)?;
        }
    }
    Ok(())
}

pub(super) fn dispatch(ctx: &LocalCtx<'_>, args: &RequestDispatch) -> LocalResult<Value> {
    let request = load_request(ctx, args.id_solicitud)?;
    let lines = request_lines(ctx, args.id_solicitud)?;
    let plan = with_setter(ctx, args.id_solicitud, decide::dispatch(ctx.actor(), &request, args, &lines))?;
    write_lines(ctx, &plan.lines, "cantidad_despachada")?;
    let mut columns = vec![("fecha_despacho", ctx.now())];
    if let Some(guia) = &plan.guia_transporte {
        columns.push(("guia_transporte", json!(guia)));
    }
    write_transition(ctx, args.id_solicitud, &plan.transition, &columns)
}

pub(super) fn receive(ctx: &LocalCtx<'_>, args: &RequestReceive) -> LocalResult<Value> {
    let request = load_request(ctx, args.id_solicitud)?;
    let lines = request_lines(ctx, args.id_solicitud)?;
    let plan = with_setter(ctx, args.id_solicitud, decide::receive(ctx.actor(), &request, args, &lines))?;
    write_lines(ctx, &plan.lines, "cantidad_recibida")?;
    write_transition(ctx, args.id_solicitud, &plan.transition, &[("fecha_recepcion", ctx.now())])?;
    Ok(Value::Object(plan.result()))
}

pub(super) fn cancel(ctx: &LocalCtx<'_>, args: &RequestRef) -> LocalResult<Value> {
    let request = load_request(ctx, args.id_solicitud)?;
    let transition = with_setter(ctx, args.id_solicitud, decide::cancel(ctx.actor(), &request, args))?;
    write_transition(ctx, args.id_solicitud, &transition, &[])
}
