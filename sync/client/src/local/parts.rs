//! The shared parts catalogue (`repuestos`): the facts the decisions of
//! `taller_domain::decide::parts` need, read from the replica, and their plans written.

use super::edits::{apply_edits, Target};
use super::{
    existing_part, exists, insert, optional_text, part_with_reference, resolve_part, rows, LocalCtx, LocalResult,
};
use serde_json::{json, Value};
use taller_domain::decide::parts::{self as decide, CreateFacts, CreatePlan};
use taller_protocol::mutations::{PartCreate, PartDiscontinue, PartEdit};

use taller_protocol::validate::PART_FIELDS as EDITABLE;

/// A new part. When the replica already has a part with the same (normalised) reference,
/// nothing is written and the result names it (`merged_into`): the server will merge the
/// new id into that part, and later local mutations that use the new id are resolved to it
/// (see `resolve_part`).
pub(super) fn create(ctx: &LocalCtx<'_>, args: &PartCreate) -> LocalResult<Value> {
    let (referencia, nombre) = taller_protocol::validate::part_create(args)?;
    // An id merged into another part earlier is taken too (the server's alias; locally, an
    // earlier `part.create` of this id still in the outbox).
    let facts = CreateFacts {
        id_taken: exists(ctx.conn, "repuestos", &args.id_repuesto.to_string())?
            || resolve_part(ctx, args.id_repuesto)? != args.id_repuesto,
        survivor: part_with_reference(ctx.conn, &referencia)?,
    };
    let plan = decide::create(args, referencia, nombre, &facts)?;
    if let CreatePlan::Insert(part) = &plan {
        insert(
            ctx.conn,
            "repuestos",
            &[
                ("id_repuesto", json!(args.id_repuesto)),
                ("referencia", json!(part.referencia)),
                ("nombre", json!(part.nombre)),
                ("tipo", optional_text(part.tipo.clone())),
                ("marca", optional_text(part.marca.clone())),
                ("descripcion", optional_text(part.descripcion.clone())),
                ("descontinuado", json!(false)),
                ("fecha_estimada", args.fecha_estimada.map_or(Value::Null, |date| json!(date.to_string()))),
                ("url_imagen", optional_text(part.url_imagen.clone())),
                ("created_at", ctx.now()),
            ],
        )?;
    }
    Ok(Value::Object(plan.result(args)))
}

pub(super) fn edit(ctx: &LocalCtx<'_>, args: &PartEdit) -> LocalResult<Value> {
    let id = existing_part(ctx, args.id_repuesto)?;
    let edits = decide::normalise_edits(&args.edits);
    let mut taken = Vec::new();
    for wanted in decide::wanted_references(&edits) {
        taken.push(part_with_reference(ctx.conn, &wanted)?.is_some_and(|other| other != id));
    }
    // A reference another part has is refused before anything is written.
    decide::check_references(&edits, &taken)?;
    let table = rows::table("repuestos")?;
    let key = id.to_string();
    apply_edits(ctx, &Target { table, key: &key, fields: EDITABLE }, &edits, |_, _| Ok(()))?;
    Ok(Value::Object(decide::edit_result(id)))
}

pub(super) fn discontinue(ctx: &LocalCtx<'_>, args: &PartDiscontinue) -> LocalResult<Value> {
    let id = existing_part(ctx, args.id_repuesto)?;
    super::update(ctx.conn, "repuestos", &id.to_string(), &[("descontinuado", json!(args.descontinuado))])?;
    Ok(Value::Object(decide::discontinue_result(id, args)))
}
