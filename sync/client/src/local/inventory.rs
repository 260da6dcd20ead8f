//! Stock settings, manual adjustments and technician movements: the facts the decisions of
//! `taller_domain::decide::inventory` need, read from the replica, and their plans written.
//! Stock only moves through `ledger::change_stock`.

use super::edits::{apply_edits, Target};
use super::ledger::{change_stock, ensure_item};
use super::{exists, found_part, insert, rows, LocalCtx, LocalResult};
use serde_json::{json, Value};
use taller_domain::decide::inventory::{self as decide, MovementFacts, PartAt};
use taller_domain::decide::ledger::stock_result;
use taller_protocol::mutations::{InventoryAdjust, InventorySettings, MovementRecord};
use uuid::Uuid;

use taller_protocol::validate::INVENTORY_FIELDS as SETTINGS;

/// The location and the part, as the decisions take them.
fn part_at(ctx: &LocalCtx<'_>, id_localizacion: Uuid, id_repuesto: Uuid) -> LocalResult<PartAt> {
    Ok(PartAt {
        location_exists: exists(ctx.conn, "localizacion", &id_localizacion.to_string())?,
        part: found_part(ctx, id_repuesto)?,
    })
}

pub(super) fn settings(ctx: &LocalCtx<'_>, args: &InventorySettings) -> LocalResult<Value> {
    let facts = part_at(ctx, args.id_localizacion, args.id_repuesto)?;
    let id_repuesto = decide::settings(ctx.actor(), args, &facts)?;
    let item = ensure_item(ctx, args.id_localizacion, id_repuesto)?;
    let table = rows::table("inventario")?;
    let key = item.id_inventario.to_string();
    apply_edits(ctx, &Target { table, key: &key, fields: SETTINGS }, &args.edits, decide::check_setting)?;
    Ok(json!({"id_inventario": key}))
}

pub(super) fn adjust(ctx: &LocalCtx<'_>, args: &InventoryAdjust) -> LocalResult<Value> {
    let facts = part_at(ctx, args.id_localizacion, args.id_repuesto)?;
    let change = decide::adjust(ctx.actor(), args, &facts)?;
    let entry = change_stock(ctx, &change)?;
    Ok(Value::Object(stock_result(&entry)))
}

pub(super) fn movement(ctx: &LocalCtx<'_>, args: &MovementRecord) -> LocalResult<Value> {
    let facts = MovementFacts {
        location_exists: exists(ctx.conn, "localizacion", &args.id_localizacion.to_string())?,
        part: found_part(ctx, args.id_repuesto)?,
        technician_exists: exists(ctx.conn, "usuarios", &args.id_tecnico_asignado.to_string())?,
        id_taken: exists(ctx.conn, "movimientos_tecnicos", &args.id_movimientos_tecnicos.to_string())?,
    };
    let plan = decide::movement(ctx.actor(), args, &facts)?;
    insert(
        ctx.conn,
        "movimientos_tecnicos",
        &[
            ("id_movimientos_tecnicos", json!(args.id_movimientos_tecnicos)),
            ("id_localizacion", json!(args.id_localizacion)),
            ("id_repuesto", json!(plan.id_repuesto)),
            ("id_usuario_responsable", json!(ctx.user.id_usuario)),
            ("id_tecnico_asignado", json!(args.id_tecnico_asignado)),
            ("concepto", json!(args.concepto.as_str())),
            ("tipo", json!(args.tipo.as_str())),
            ("cantidad", json!(args.cantidad)),
            ("numero_orden", args.numero_orden.map_or(Value::Null, Value::from)),
            ("descargada", json!(plan.effect.descargada)),
            ("fecha", ctx.now()),
            ("created_at", ctx.now()),
            ("updated_at", ctx.now()),
        ],
    )?;
    let entry = match &plan.stock {
        Some(change) => Some(change_stock(ctx, change)?),
        None => None,
    };
    Ok(Value::Object(decide::movement_result(args, entry.as_ref())))
}
