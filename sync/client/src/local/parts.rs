//! The shared parts catalogue (`repuestos`), as the server's `mutations/parts.rs`.

use super::edits::{apply_edits, Target};
use super::{
    clean, existing_part, insert, normalize_reference, optional_text, part_with_reference, rows, LocalCtx,
    LocalFailure, LocalResult,
};
use serde_json::{json, Value};
use taller_domain::{Rechazo, RejectionCode};
use taller_protocol::mutations::{PartCreate, PartDiscontinue, PartEdit};
use uuid::Uuid;

use taller_protocol::validate::PART_FIELDS as EDITABLE;

/// A new part. When the replica already has a part with the same (normalised) reference,
/// nothing is written and the result names it (`merged_into`): the server will merge the
/// new id into that part, and later local mutations that use the new id are resolved to it
/// (see `resolve_part`).
pub(super) fn create(ctx: &LocalCtx<'_>, args: &PartCreate) -> LocalResult<Value> {
    let (referencia, nombre) = taller_protocol::validate::part_create(args)?;
    let nombre = nombre.as_str();
    // An id merged into another part earlier is taken too (the server's alias; locally, an
    // earlier `part.create` of this id still in the outbox).
    if super::exists(ctx.conn, "repuestos", &args.id_repuesto.to_string())?
        || super::resolve_part(ctx, args.id_repuesto)? != args.id_repuesto
    {
        return Err(Rechazo::already_exists("repuesto", args.id_repuesto).into());
    }
    if let Some(survivor) = part_with_reference(ctx.conn, &referencia)? {
        return Ok(json!({
            "id_repuesto": survivor,
            "merged": true,
            "merged_into": survivor,
            "merged_from": args.id_repuesto,
        }));
    }
    insert(
        ctx.conn,
        "repuestos",
        &[
            ("id_repuesto", json!(args.id_repuesto)),
            ("referencia", json!(referencia)),
            ("nombre", json!(nombre)),
            ("tipo", optional_text(clean(args.tipo.as_deref()))),
            ("marca", optional_text(clean(args.marca.as_deref()))),
            ("descripcion", optional_text(clean(args.descripcion.as_deref()))),
            ("descontinuado", json!(false)),
            ("fecha_estimada", args.fecha_estimada.map_or(Value::Null, |date| json!(date.to_string()))),
            ("url_imagen", optional_text(clean(args.url_imagen.as_deref()))),
            ("created_at", ctx.now()),
        ],
    )?;
    Ok(json!({"id_repuesto": args.id_repuesto, "merged": false}))
}

pub(super) fn edit(ctx: &LocalCtx<'_>, args: &PartEdit) -> LocalResult<Value> {
    let id = existing_part(ctx, args.id_repuesto)?;
    let mut edits = args.edits.clone();
    for edit in &mut edits {
        if edit.field == "referencia" {
            if let Value::String(text) = &edit.new {
                edit.new = Value::String(normalize_reference(text));
            }
        }
    }
    // A reference another part has is refused before anything is written.
    for edit in &edits {
        if edit.field == "referencia" {
            let wanted = edit.new.as_str().unwrap_or_default();
            if part_with_reference(ctx.conn, wanted)?.is_some_and(|other| other != id) {
                return Err(LocalFailure::Rejected(
                    Rechazo::new(RejectionCode::DuplicateReference).with("referencia", edit.new.clone()),
                ));
            }
        }
    }
    let table = rows::table("repuestos")?;
    let key = id.to_string();
    apply_edits(ctx, &Target { table, key: &key, fields: EDITABLE }, &edits, |_, _| Ok(()))?;
    Ok(json!({"id_repuesto": key}))
}

pub(super) fn discontinue(ctx: &LocalCtx<'_>, args: &PartDiscontinue) -> LocalResult<Value> {
    let id: Uuid = existing_part(ctx, args.id_repuesto)?;
    super::update(ctx.conn, "repuestos", &id.to_string(), &[("descontinuado", json!(args.descontinuado))])?;
    Ok(json!({"id_repuesto": id, "descontinuado": args.descontinuado}))
}
