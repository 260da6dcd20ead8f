//! Warranty claims, as the server's `mutations/warranties.rs`: SIN_ENVIAR -> PENDIENTE ->
//! APROBADA | RECHAZADA. An approved claim brings the replacement units into stock (`GARANTIA`).
//!
//! Who set a claim's current state (the `changed_by`/`changed_at` of `invalid_transition`)
//! comes, on the server, from its record of applied mutations, which replicas do not have.
//! Locally: the reporter and `fecha_reporte` for SIN_ENVIAR (what the server finds too); the
//! user's own earlier outbox entry for the other states when there is one; else the claim's
//! `fecha_resolucion` and no name, or nothing.

use super::edits::{apply_edits, Target};
use super::ledger::change_stock;
use super::{
    already_exists, check_text, clean, earlier_in_outbox, existing_location, existing_part, get, insert, invalid,
    not_found, optional_text, parse_timestamp, rows, text_at, update, user_name, uuid_at, LocalCtx, LocalFailure,
    LocalResult,
};
use serde_json::{json, Value};
use taller_domain::stock::check_quantity;
use taller_domain::{EstadoGarantia, Rechazo, RejectionCode, TipoOperacion};
use taller_protocol::mutations::{WarrantyCreate, WarrantyEdit, WarrantyRef, WarrantyResolve};
use uuid::Uuid;

use taller_protocol::validate::WARRANTY_FIELDS as EDITABLE;

pub(super) fn create(ctx: &LocalCtx<'_>, args: &WarrantyCreate) -> LocalResult<Value> {
    ctx.require_location(args.id_localizacion)?;
    check_quantity(args.cantidad)?;
    let Some(motivo) = clean(Some(&args.motivo_falla)) else {
        return Err(LocalFailure::Rejected(Rechazo::new(RejectionCode::ReasonRequired)));
    };
    check_text("motivo_falla", &motivo)?;
    if args.kilometraje.is_some_and(|km| km < 0) {
        return Err(invalid("kilometraje cannot be negative"));
    }
    existing_location(ctx.conn, args.id_localizacion)?;
    let id_repuesto = existing_part(ctx, args.id_repuesto)?;
    if super::exists(ctx.conn, "garantias", &args.id_garantia.to_string())? {
        return Err(already_exists("garantia", args.id_garantia));
    }
    insert(
        ctx.conn,
        "garantias",
        &[
            ("id_garantia", json!(args.id_garantia)),
            ("id_repuesto", json!(id_repuesto)),
            ("id_localizacion", json!(args.id_localizacion)),
            ("id_usuario_reporta", json!(ctx.user.id_usuario)),
            ("id_tecnico_asociado", args.id_tecnico_asociado.map_or(Value::Null, |id| json!(id))),
            ("cantidad", json!(args.cantidad)),
            ("motivo_falla", json!(motivo)),
            ("kilometraje", args.kilometraje.map_or(Value::Null, Value::from)),
            ("numero_orden", optional_text(clean(args.numero_orden.as_deref()))),
            ("solicitante", optional_text(clean(args.solicitante.as_deref()))),
            ("estado", json!(EstadoGarantia::SinEnviar.as_str())),
            ("url_evidencia_foto", optional_text(clean(args.url_evidencia_foto.as_deref()))),
            ("fecha_reporte", ctx.now()),
        ],
    )?;
    Ok(json!({"id_garantia": args.id_garantia, "estado": EstadoGarantia::SinEnviar.as_str()}))
}

struct Claim {
    id_localizacion: Uuid,
    id_repuesto: Uuid,
    cantidad: i32,
    estado: EstadoGarantia,
}

fn load_claim(ctx: &LocalCtx<'_>, id_garantia: Uuid) -> LocalResult<Claim> {
    let Some((table, row)) = get(ctx.conn, "garantias", &id_garantia.to_string())? else {
        return Err(not_found("garantia", id_garantia));
    };
    let (Some(id_localizacion), Some(id_repuesto)) =
        (uuid_at(table, &row, "id_localizacion"), uuid_at(table, &row, "id_repuesto"))
    else {
        return Err(invalid(format!("garantia {id_garantia} is unreadable")));
    };
    ctx.require_location(id_localizacion)?;
    let estado_text = text_at(table, &row, "estado").unwrap_or_default();
    let estado = estado_text.parse().map_err(|_| invalid(format!("unknown state {estado_text}")))?;
    let cantidad = super::int_at(table, &row, "cantidad").unwrap_or_default();
    Ok(Claim { id_localizacion, id_repuesto, cantidad, estado })
}

/// Who put a claim in `estado`, and when, as far as the replica knows (see the module
/// documentation).
fn state_set_by(ctx: &LocalCtx<'_>, id_garantia: Uuid, estado: EstadoGarantia) -> LocalResult<(String, String)> {
    let mutation = match estado {
        EstadoGarantia::SinEnviar => "warranty.create",
        EstadoGarantia::Pendiente => "warranty.submit",
        EstadoGarantia::Aprobada => "warranty.approve",
        EstadoGarantia::Rechazada => "warranty.reject",
    };
    // Entries about this claim only (the outbox's subject): the latest one with a time.
    let mine = earlier_in_outbox(ctx, mutation, id_garantia)?.into_iter().rev().find_map(|(_, at)| at);
    if let Some(at) = mine {
        return Ok((user_name(ctx.conn, ctx.user.id_usuario)?, at.to_rfc3339()));
    }
    let Some((table, row)) = get(ctx.conn, "garantias", &id_garantia.to_string())? else {
        return Ok((String::new(), String::new()));
    };
    let reported = text_at(table, &row, "fecha_reporte").and_then(parse_timestamp);
    let resolved = text_at(table, &row, "fecha_resolucion").and_then(parse_timestamp);
    Ok(match (estado, reported, resolved) {
        (EstadoGarantia::SinEnviar, Some(reported), _) => {
            let reporter = uuid_at(table, &row, "id_usuario_reporta");
            let name = match reporter {
                Some(id) => user_name(ctx.conn, id)?,
                None => String::new(),
            };
            (name, reported.to_rfc3339())
        }
        (EstadoGarantia::Aprobada | EstadoGarantia::Rechazada, _, Some(resolved)) => {
            (String::new(), resolved.to_rfc3339())
        }
        _ => (String::new(), String::new()),
    })
}

fn transition(ctx: &LocalCtx<'_>, from: EstadoGarantia, to: EstadoGarantia, id: Uuid) -> LocalResult<()> {
    if from.can_transition_to(to) {
        return Ok(());
    }
    let (changed_by, changed_at) = state_set_by(ctx, id, from)?;
    Err(LocalFailure::Rejected(
        Rechazo::new(RejectionCode::InvalidTransition)
            .with("entity", "garantia")
            .with("id", id.to_string())
            .with("from", from.as_str())
            .with("to", to.as_str())
            .with("changed_by", changed_by)
            .with("changed_at", changed_at),
    ))
}

pub(super) fn edit(ctx: &LocalCtx<'_>, args: &WarrantyEdit) -> LocalResult<Value> {
    let claim = load_claim(ctx, args.id_garantia)?;
    if !claim.estado.is_editable() {
        return Err(LocalFailure::Rejected(
            Rechazo::new(RejectionCode::NotEditable).with("estado", claim.estado.as_str()),
        ));
    }
    let table = rows::table("garantias")?;
    let key = args.id_garantia.to_string();
    apply_edits(ctx, &Target { table, key: &key, fields: EDITABLE }, &args.edits, |field, value| match field {
        "cantidad" => {
            check_quantity(value.as_i64().and_then(|n| i32::try_from(n).ok()).unwrap_or(0)).map_err(LocalFailure::from)
        }
        "kilometraje" if value.as_i64().is_some_and(|km| km < 0) => Err(invalid("kilometraje cannot be negative")),
        _ => Ok(()),
    })?;
    Ok(Value::Null)
}

pub(super) fn submit(ctx: &LocalCtx<'_>, args: &WarrantyRef) -> LocalResult<Value> {
    let claim = load_claim(ctx, args.id_garantia)?;
    transition(ctx, claim.estado, EstadoGarantia::Pendiente, args.id_garantia)?;
    update(
        ctx.conn,
        "garantias",
        &args.id_garantia.to_string(),
        &[("estado", json!(EstadoGarantia::Pendiente.as_str()))],
    )?;
    Ok(json!({"estado": EstadoGarantia::Pendiente.as_str()}))
}

pub(super) fn resolve(ctx: &LocalCtx<'_>, args: &WarrantyResolve, approve: bool) -> LocalResult<Value> {
    let claim = load_claim(ctx, args.id_garantia)?;
    let to = if approve { EstadoGarantia::Aprobada } else { EstadoGarantia::Rechazada };
    transition(ctx, claim.estado, to, args.id_garantia)?;
    let comentarios = clean(args.comentarios_resolucion.as_deref());
    if !approve && comentarios.is_none() {
        return Err(LocalFailure::Rejected(Rechazo::new(RejectionCode::ReasonRequired)));
    }
    if let Some(text) = &comentarios {
        check_text("comentarios_resolucion", text)?;
    }
    update(
        ctx.conn,
        "garantias",
        &args.id_garantia.to_string(),
        &[
            ("estado", json!(to.as_str())),
            ("comentarios_resolucion", optional_text(comentarios.clone())),
            ("fecha_resolucion", ctx.now()),
        ],
    )?;
    let mut result = json!({"estado": to.as_str()});
    if approve {
        existing_location(ctx.conn, claim.id_localizacion)?;
        let entry = change_stock(
            ctx,
            claim.id_localizacion,
            claim.id_repuesto,
            claim.cantidad,
            TipoOperacion::Garantia,
            comentarios.as_deref(),
            json!({"id_garantia": args.id_garantia}),
        )?;
        result["stock_actual"] = json!(entry.cantidad_nueva);
    }
    Ok(result)
}
