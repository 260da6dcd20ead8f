//! The request cart and transfer requests between locations, as the server's
//! `mutations/requests.rs`: PENDIENTE -> ALISTAMIENTO -> DESPACHADO -> RECIBIDO, CANCELADO from
//! the first two, checked against the state the replica has.
//!
//! The server's `trazabilidad_solicitudes` rows are written by a trigger; locally each
//! transition writes its own trace row (fresh id, the acting user, the person's time), which the
//! server's row replaces at the next pull.

use super::ledger::change_stock;
use super::{
    already_exists, check_text, clean, duplicate_key, existing_location, existing_part, get, insert, invalid,
    not_found, optional_text, parse_timestamp, rejected, text_at, update, user_name, uuid_at, LocalCtx, LocalFailure,
    LocalResult,
};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use taller_domain::stock::{check_quantity, check_quantity_or_zero};
use taller_domain::{EstadoSolicitud, Permiso, Rechazo, RejectionCode, TipoOperacion};
use taller_protocol::mutations::{
    CartAdd, CartRemove, CartSet, LineQuantity, RequestCreate, RequestDispatch, RequestReceive, RequestRef,
};
use uuid::Uuid;

/// The user's own cart line, if the replica has it.
fn own_cart_line(ctx: &LocalCtx<'_>, id_item_carrito: Uuid) -> LocalResult<bool> {
    Ok(get(ctx.conn, "carrito_solicitudes", &id_item_carrito.to_string())?
        .is_some_and(|(table, row)| uuid_at(table, &row, "id_usuario") == Some(ctx.user.id_usuario)))
}

pub(super) fn cart_add(ctx: &LocalCtx<'_>, args: &CartAdd) -> LocalResult<Value> {
    ctx.require_location(args.id_localizacion)?;
    check_quantity(args.cantidad)?;
    existing_location(ctx.conn, args.id_localizacion)?;
    let id_repuesto = existing_part(ctx, args.id_repuesto)?;
    if super::exists(ctx.conn, "carrito_solicitudes", &args.id_item_carrito.to_string())? {
        return Err(already_exists("item_carrito", args.id_item_carrito));
    }
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
    check_quantity(args.cantidad)?;
    if !own_cart_line(ctx, args.id_item_carrito)? {
        return Err(not_found("item_carrito", args.id_item_carrito));
    }
    update(ctx.conn, "carrito_solicitudes", &args.id_item_carrito.to_string(), &[("cantidad", json!(args.cantidad))])?;
    Ok(Value::Null)
}

/// Removing a line that is already gone is not an error: the intent is fulfilled.
pub(super) fn cart_remove(ctx: &LocalCtx<'_>, args: &CartRemove) -> LocalResult<Value> {
    let mine = own_cart_line(ctx, args.id_item_carrito)?;
    if mine {
        crate::rows::delete(ctx.conn, crate::rows::table("carrito_solicitudes")?, &args.id_item_carrito.to_string())?;
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
    // The server reads the comment from the transaction context, where '' means none.
    let comentario = comentario.filter(|text| !text.is_empty());
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
    ctx.require_location(args.id_localizacion_destino)?;
    if args.id_localizacion_origen == args.id_localizacion_destino {
        return Err(invalid("origin and destination must differ"));
    }
    if args.lines.is_empty() {
        return Err(rejected(RejectionCode::EmptyRequest));
    }
    if let Some(text) = &args.observaciones_generales {
        check_text("observaciones_generales", text)?;
    }
    existing_location(ctx.conn, args.id_localizacion_origen)?;
    existing_location(ctx.conn, args.id_localizacion_destino)?;
    if super::exists(ctx.conn, "solicitudes", &args.id_solicitud.to_string())? {
        return Err(already_exists("solicitud", args.id_solicitud));
    }
    let mut parts = Vec::with_capacity(args.lines.len());
    for line in &args.lines {
        check_quantity(line.cantidad)?;
        parts.push(existing_part(ctx, line.id_repuesto)?);
    }
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
            ("observaciones_generales", optional_text(clean(args.observaciones_generales.as_deref()))),
        ],
    )?;
    trace(ctx, args.id_solicitud, None, EstadoSolicitud::Pendiente, None)?;
    let mut seen = HashSet::new();
    for (line, id_repuesto) in args.lines.iter().zip(parts) {
        // The server finds a line id already taken only when inserting it (unique violation).
        if !seen.insert(line.id_detalle) || super::exists(ctx.conn, "detalles_solicitud", &line.id_detalle.to_string())?
        {
            return Err(duplicate_key("detalles_solicitud_pkey"));
        }
        insert(
            ctx.conn,
            "detalles_solicitud",
            &[
                ("id_detalle", json!(line.id_detalle)),
                ("id_solicitud", json!(args.id_solicitud)),
                ("id_repuesto", json!(id_repuesto)),
                ("cantidad_solicitada", json!(line.cantidad)),
                ("observaciones", optional_text(clean(line.observaciones.as_deref()))),
            ],
        )?;
        if let Some(item) = line.id_item_carrito {
            if own_cart_line(ctx, item)? {
                crate::rows::delete(ctx.conn, crate::rows::table("carrito_solicitudes")?, &item.to_string())?;
            }
        }
    }
    Ok(json!({"id_solicitud": args.id_solicitud, "estado": EstadoSolicitud::Pendiente.as_str()}))
}

struct RequestRow {
    origen: Uuid,
    destino: Uuid,
    solicitante: Uuid,
    estado: EstadoSolicitud,
}

fn load_request(ctx: &LocalCtx<'_>, id_solicitud: Uuid) -> LocalResult<RequestRow> {
    let Some((table, row)) = get(ctx.conn, "solicitudes", &id_solicitud.to_string())? else {
        return Err(not_found("solicitud", id_solicitud));
    };
    let estado_text = text_at(table, &row, "estado").unwrap_or_default();
    let estado = estado_text.parse().map_err(|_| invalid(format!("unknown state {estado_text}")))?;
    match (
        uuid_at(table, &row, "id_localizacion_origen"),
        uuid_at(table, &row, "id_localizacion_destino"),
        uuid_at(table, &row, "id_usuario_solicitante"),
    ) {
        (Some(origen), Some(destino), Some(solicitante)) => Ok(RequestRow { origen, destino, solicitante, estado }),
        _ => Err(invalid(format!("solicitud {id_solicitud} is unreadable"))),
    }
}

/// Refuses a transition the current state does not allow, naming who set the current state
/// and when: the trace row that entered it (latest by time, then id, like the server). The
/// name is the replica's; a user the replica does not know is named "".
fn check_transition(
    ctx: &LocalCtx<'_>,
    id_solicitud: Uuid,
    from: EstadoSolicitud,
    to: EstadoSolicitud,
) -> LocalResult<()> {
    if from.can_transition_to(to) {
        return Ok(());
    }
    let mut statement = ctx.conn.prepare(
        "SELECT id_trazabilidad, id_usuario, fecha_cambio FROM trazabilidad_solicitudes \
          WHERE id_solicitud = ?1 AND estado_nuevo = ?2",
    )?;
    let found = statement.query_map([id_solicitud.to_string(), from.as_str().to_owned()], |row| {
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
    Err(LocalFailure::Rejected(
        Rechazo::new(RejectionCode::InvalidTransition)
            .with("entity", "solicitud")
            .with("id", id_solicitud.to_string())
            .with("from", from.as_str())
            .with("to", to.as_str())
            .with("changed_by", changed_by)
            .with("changed_at", changed_at),
    ))
}

pub(super) fn pick(ctx: &LocalCtx<'_>, args: &RequestRef) -> LocalResult<Value> {
    let request = load_request(ctx, args.id_solicitud)?;
    ctx.require_location(request.origen)?;
    check_transition(ctx, args.id_solicitud, request.estado, EstadoSolicitud::Alistamiento)?;
    update(
        ctx.conn,
        "solicitudes",
        &args.id_solicitud.to_string(),
        &[("estado", json!(EstadoSolicitud::Alistamiento.as_str())), ("fecha_alistamiento", ctx.now())],
    )?;
    trace(ctx, args.id_solicitud, Some(request.estado), EstadoSolicitud::Alistamiento, args.comentario.as_deref())?;
    Ok(json!({"estado": EstadoSolicitud::Alistamiento.as_str()}))
}

/// A request line: (id_detalle, id_repuesto, cantidad_solicitada, cantidad_despachada).
type Line = (Uuid, Uuid, i32, Option<i32>);

/// The request's lines, in the server's order (by line id).
fn request_lines(ctx: &LocalCtx<'_>, id_solicitud: Uuid) -> LocalResult<Vec<Line>> {
    let mut statement = ctx.conn.prepare(
        "SELECT id_detalle, id_repuesto, cantidad_solicitada, cantidad_despachada FROM detalles_solicitud \
          WHERE id_solicitud = ?1",
    )?;
    let found = statement.query_map([id_solicitud.to_string()], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, i32>(2)?, row.get::<_, Option<i32>>(3)?))
    })?;
    let mut lines = Vec::new();
    for row in found {
        let (id, part, solicitada, despachada) = row?;
        if let (Ok(id), Ok(part)) = (id.parse(), part.parse()) {
            lines.push((id, part, solicitada, despachada));
        }
    }
    lines.sort_by_key(|line| line.0);
    Ok(lines)
}

/// Per-line quantities, defaulting to `default` for lines not listed.
fn line_quantities(lines: &[Line], given: &[LineQuantity], default: impl Fn(&Line) -> i32) -> LocalResult<Vec<i32>> {
    let mut given_by_line: HashMap<Uuid, i32> = HashMap::new();
    for line in given {
        if !lines.iter().any(|(id, _, _, _)| *id == line.id_detalle) {
            return Err(not_found("detalle_solicitud", line.id_detalle));
        }
        check_quantity_or_zero(line.cantidad)?;
        given_by_line.insert(line.id_detalle, line.cantidad);
    }
    Ok(lines.iter().map(|line| given_by_line.get(&line.0).copied().unwrap_or_else(|| default(line))).collect())
}

pub(super) fn dispatch(ctx: &LocalCtx<'_>, args: &RequestDispatch) -> LocalResult<Value> {
    let request = load_request(ctx, args.id_solicitud)?;
    ctx.require_location(request.origen)?;
    check_transition(ctx, args.id_solicitud, request.estado, EstadoSolicitud::Despachado)?;
    if let Some(guia) = &args.guia_transporte {
        check_text("guia_transporte", guia)?;
    }
    let lines = request_lines(ctx, args.id_solicitud)?;
    let quantities = line_quantities(&lines, &args.lines, |line| line.2)?;
    for (&(id_detalle, id_repuesto, _, _), cantidad) in lines.iter().zip(quantities) {
        update(ctx.conn, "detalles_solicitud", &id_detalle.to_string(), &[("cantidad_despachada", json!(cantidad))])?;
        if cantidad > 0 {
            change_stock(
                ctx,
                request.origen,
                id_repuesto,
                -cantidad,
                TipoOperacion::SolicitudSalida,
                None,
                json!({"id_solicitud": args.id_solicitud, "id_detalle": id_detalle}),
            )?;
        }
    }
    let mut changes = vec![("estado", json!(EstadoSolicitud::Despachado.as_str())), ("fecha_despacho", ctx.now())];
    if let Some(guia) = clean(args.guia_transporte.as_deref()) {
        changes.push(("guia_transporte", json!(guia)));
    }
    update(ctx.conn, "solicitudes", &args.id_solicitud.to_string(), &changes)?;
    trace(ctx, args.id_solicitud, Some(request.estado), EstadoSolicitud::Despachado, args.comentario.as_deref())?;
    Ok(json!({"estado": EstadoSolicitud::Despachado.as_str()}))
}

pub(super) fn receive(ctx: &LocalCtx<'_>, args: &RequestReceive) -> LocalResult<Value> {
    let request = load_request(ctx, args.id_solicitud)?;
    ctx.require_location(request.destino)?;
    check_transition(ctx, args.id_solicitud, request.estado, EstadoSolicitud::Recibido)?;
    let lines = request_lines(ctx, args.id_solicitud)?;
    let quantities = line_quantities(&lines, &args.lines, |line| line.3.unwrap_or(line.2))?;
    let mut discrepancies = Vec::new();
    for (&(id_detalle, id_repuesto, solicitada, despachada), cantidad) in lines.iter().zip(quantities) {
        let despachada = despachada.unwrap_or(solicitada);
        update(ctx.conn, "detalles_solicitud", &id_detalle.to_string(), &[("cantidad_recibida", json!(cantidad))])?;
        if cantidad != despachada {
            discrepancies.push(
                json!({"id_detalle": id_detalle, "cantidad_despachada": despachada, "cantidad_recibida": cantidad}),
            );
        }
        if cantidad > 0 {
            change_stock(
                ctx,
                request.destino,
                id_repuesto,
                cantidad,
                TipoOperacion::SolicitudEntrada,
                None,
                json!({"id_solicitud": args.id_solicitud, "id_detalle": id_detalle, "cantidad_despachada": despachada}),
            )?;
        }
    }
    update(
        ctx.conn,
        "solicitudes",
        &args.id_solicitud.to_string(),
        &[("estado", json!(EstadoSolicitud::Recibido.as_str())), ("fecha_recepcion", ctx.now())],
    )?;
    trace(ctx, args.id_solicitud, Some(request.estado), EstadoSolicitud::Recibido, args.comentario.as_deref())?;
    Ok(json!({"estado": EstadoSolicitud::Recibido.as_str(), "discrepancias": discrepancies}))
}

/// The requester may cancel; so may an approver assigned to either end.
pub(super) fn cancel(ctx: &LocalCtx<'_>, args: &RequestRef) -> LocalResult<Value> {
    let request = load_request(ctx, args.id_solicitud)?;
    let is_requester = request.solicitante == ctx.user.id_usuario;
    let approver_here = ctx.user.allows(Permiso::RequestsApprove)
        && (ctx.user.in_scope(request.origen) || ctx.user.in_scope(request.destino));
    if !is_requester && !approver_here {
        return Err(super::forbidden(Permiso::RequestsApprove));
    }
    check_transition(ctx, args.id_solicitud, request.estado, EstadoSolicitud::Cancelado)?;
    update(
        ctx.conn,
        "solicitudes",
        &args.id_solicitud.to_string(),
        &[("estado", json!(EstadoSolicitud::Cancelado.as_str()))],
    )?;
    trace(ctx, args.id_solicitud, Some(request.estado), EstadoSolicitud::Cancelado, args.comentario.as_deref())?;
    Ok(json!({"estado": EstadoSolicitud::Cancelado.as_str()}))
}
