//! Warranty claims: the facts the decisions of `taller_domain::decide::warranties` need, read
//! from the replica, and their plans written. An approved claim brings the replacement units
//! into stock (`GARANTIA`).
//!
//! Who set a claim's current state (the `changed_by`/`changed_at` of `invalid_transition`)
//! comes, on the server, from its record of applied mutations, which replicas do not have.
//! Locally: the user's own earlier outbox entry of the mutation that enters the state when
//! there is one; else the claim's own dates (`decide::warranties::state_setter`).

use super::edits::{apply_edits, Target};
use super::ledger::change_stock;
use super::{
    earlier_in_outbox, exists, found_part, get, insert, optional_text, parse_timestamp, rows, text_at, update,
    user_name, uuid_at, LocalCtx, LocalResult,
};
use serde_json::{json, Value};
use taller_domain::decide::stored_state;
use taller_domain::decide::warranties::{self as decide, ClaimDates, ClaimFacts, CreateFacts};
use taller_domain::{EstadoGarantia, Rechazo};
use taller_protocol::mutations::{WarrantyCreate, WarrantyEdit, WarrantyRef, WarrantyResolve};
use uuid::Uuid;

use taller_protocol::validate::WARRANTY_FIELDS as EDITABLE;

pub(super) fn create(ctx: &LocalCtx<'_>, args: &WarrantyCreate) -> LocalResult<Value> {
    let facts = CreateFacts {
        location_exists: exists(ctx.conn, "localizacion", &args.id_localizacion.to_string())?,
        part: found_part(ctx, args.id_repuesto)?,
        technician_exists: match args.id_tecnico_asociado {
            Some(id) => exists(ctx.conn, "usuarios", &id.to_string())?,
            None => true,
        },
        id_taken: exists(ctx.conn, "garantias", &args.id_garantia.to_string())?,
    };
    let plan = decide::create(ctx.actor(), args, &facts)?;
    insert(
        ctx.conn,
        "garantias",
        &[
            ("id_garantia", json!(args.id_garantia)),
            ("id_repuesto", json!(plan.id_repuesto)),
            ("id_localizacion", json!(args.id_localizacion)),
            ("id_usuario_reporta", json!(ctx.user.id_usuario)),
            ("id_tecnico_asociado", args.id_tecnico_asociado.map_or(Value::Null, |id| json!(id))),
            ("cantidad", json!(args.cantidad)),
            ("motivo_falla", json!(plan.motivo_falla)),
            ("kilometraje", args.kilometraje.map_or(Value::Null, Value::from)),
            ("numero_orden", optional_text(plan.numero_orden)),
            ("solicitante", optional_text(plan.solicitante)),
            ("estado", json!(EstadoGarantia::SinEnviar.as_str())),
            ("url_evidencia_foto", optional_text(plan.url_evidencia_foto)),
            ("fecha_reporte", ctx.now()),
        ],
    )?;
    Ok(Value::Object(decide::create_result(args)))
}

/// The claim as the replica has it (`None` when it has none). A row whose location or part
/// the replica cannot read is refused as unreadable.
fn load_claim(ctx: &LocalCtx<'_>, id_garantia: Uuid) -> LocalResult<Option<ClaimFacts>> {
    let Some((table, row)) = get(ctx.conn, "garantias", &id_garantia.to_string())? else {
        return Ok(None);
    };
    let (Some(id_localizacion), Some(id_repuesto)) =
        (uuid_at(table, &row, "id_localizacion"), uuid_at(table, &row, "id_repuesto"))
    else {
        return Err(Rechazo::invalid(format!("garantia {id_garantia} is unreadable")).into());
    };
    Ok(Some(ClaimFacts {
        id_localizacion,
        id_repuesto,
        cantidad: super::int_at(table, &row, "cantidad").unwrap_or_default(),
        estado: text_at(table, &row, "estado").unwrap_or_default().to_owned(),
        location_exists: exists(ctx.conn, "localizacion", &id_localizacion.to_string())?,
    }))
}

/// A transition refusal completed with who set the claim's current state, as far as the
/// replica knows (see the module documentation).
fn with_setter<T>(ctx: &LocalCtx<'_>, id_garantia: Uuid, decided: Result<T, Rechazo>) -> LocalResult<T> {
    let rechazo = match decided {
        Ok(plan) => return Ok(plan),
        Err(rechazo) => rechazo,
    };
    let Some(estado) = rechazo.awaits_setter().and_then(|from| stored_state::<EstadoGarantia>(from).ok()) else {
        return Err(rechazo.into());
    };
    // Entries about this claim only (the outbox's subject): the latest one with a time.
    let mine =
        earlier_in_outbox(ctx, decide::entered_by(estado), id_garantia)?.into_iter().rev().find_map(|(_, at)| at);
    let by_mutation = match mine {
        Some(at) => Some((user_name(ctx.conn, ctx.user.id_usuario)?, at)),
        None => None,
    };
    let dates = match get(ctx.conn, "garantias", &id_garantia.to_string())? {
        Some((table, row)) => Some(ClaimDates {
            reporter: match uuid_at(table, &row, "id_usuario_reporta") {
                Some(id) => user_name(ctx.conn, id)?,
                None => String::new(),
            },
            fecha_reporte: text_at(table, &row, "fecha_reporte").and_then(parse_timestamp),
            fecha_resolucion: text_at(table, &row, "fecha_resolucion").and_then(parse_timestamp),
        }),
        None => None,
    };
    let (changed_by, changed_at) = decide::state_setter(estado, by_mutation, dates.as_ref());
    Err(rechazo.set_by(changed_by, changed_at).into())
}

pub(super) fn edit(ctx: &LocalCtx<'_>, args: &WarrantyEdit) -> LocalResult<Value> {
    decide::edit(ctx.actor(), args.id_garantia, load_claim(ctx, args.id_garantia)?.as_ref())?;
    let table = rows::table("garantias")?;
    let key = args.id_garantia.to_string();
    apply_edits(ctx, &Target { table, key: &key, fields: EDITABLE }, &args.edits, decide::check_edit)?;
    Ok(Value::Null)
}

pub(super) fn submit(ctx: &LocalCtx<'_>, args: &WarrantyRef) -> LocalResult<Value> {
    let claim = load_claim(ctx, args.id_garantia)?;
    let to = with_setter(ctx, args.id_garantia, decide::submit(ctx.actor(), args.id_garantia, claim.as_ref()))?;
    update(ctx.conn, "garantias", &args.id_garantia.to_string(), &[("estado", json!(to.as_str()))])?;
    Ok(Value::Object(decide::state_result(to)))
}

pub(super) fn resolve(ctx: &LocalCtx<'_>, args: &WarrantyResolve, approve: bool) -> LocalResult<Value> {
    let claim = load_claim(ctx, args.id_garantia)?;
    let plan = with_setter(ctx, args.id_garantia, decide::resolve(ctx.actor(), args, approve, claim.as_ref()))?;
    update(
        ctx.conn,
        "garantias",
        &args.id_garantia.to_string(),
        &[
            ("estado", json!(plan.to.as_str())),
            ("comentarios_resolucion", optional_text(plan.comentarios_resolucion.clone())),
            ("fecha_resolucion", ctx.now()),
        ],
    )?;
    let entry = match &plan.stock {
        Some(change) => Some(change_stock(ctx, change)?),
        None => None,
    };
    Ok(Value::Object(plan.result(entry.as_ref())))
}
