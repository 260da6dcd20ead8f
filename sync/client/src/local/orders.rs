//! Scooter models (`scooter_types`) and order tracking (`order_follow`): the facts the
//! decisions of `taller_domain::decide::orders` need, read from the replica, and their plans
//! written. An advance that finds the order at its level or beyond writes nothing; the
//! server's `nivel_superado` conflict arrives with the next pull.

use super::edits::{apply_edits, Target};
use super::{exists, get, insert, int_at, optional_text, rows, text_at, update, LocalCtx, LocalResult};
use serde_json::{json, Value};
use taller_domain::decide::orders::{self as decide, AdvancePlan, CurrentOrder, OrderFacts};
use taller_protocol::mutations::{ModelCreate, ModelEdit, OrderAdvance, OrderCreate, OrderEdit};
use taller_protocol::validate::{MODEL_FIELDS, ORDER_FIELDS};

pub(super) fn model_create(ctx: &LocalCtx<'_>, args: &ModelCreate) -> LocalResult<Value> {
    let model = decide::create_model(args, exists(ctx.conn, "scooter_types", &args.id_tipo.to_string())?)?;
    insert(
        ctx.conn,
        "scooter_types",
        &[
            ("id_tipo", json!(args.id_tipo)),
            ("nombre", json!(model.nombre)),
            ("potencia", json!(model.potencia)),
            ("descripcion", optional_text(model.descripcion)),
        ],
    )?;
    Ok(Value::Object(decide::model_result(args.id_tipo)))
}

pub(super) fn model_edit(ctx: &LocalCtx<'_>, args: &ModelEdit) -> LocalResult<Value> {
    let key = args.id_tipo.to_string();
    decide::model_exists(exists(ctx.conn, "scooter_types", &key)?, args.id_tipo)?;
    let table = rows::table("scooter_types")?;
    apply_edits(ctx, &Target { table, key: &key, fields: MODEL_FIELDS }, &args.edits, |_, _| Ok(()))?;
    Ok(Value::Object(decide::model_result(args.id_tipo)))
}

pub(super) fn order_create(ctx: &LocalCtx<'_>, args: &OrderCreate) -> LocalResult<Value> {
    let facts = OrderFacts {
        id_taken: exists(ctx.conn, "order_follow", &args.id_orden.to_string())?,
        model_exists: exists(ctx.conn, "scooter_types", &args.id_tipo_scooter.to_string())?,
    };
    let order = decide::create_order(args, &facts)?;
    insert(
        ctx.conn,
        "order_follow",
        &[
            ("id_orden", json!(args.id_orden)),
            ("numero_orden", json!(order.numero_orden)),
            ("id_tipo_scooter", json!(args.id_tipo_scooter)),
            ("nivel", json!(order.nivel)),
            ("estado", json!(order.estado)),
            ("telefono_contacto", optional_text(order.telefono_contacto)),
            ("email_contacto", optional_text(order.email_contacto)),
            ("link_orden", optional_text(order.link_orden)),
            ("fecha_orden", ctx.now()),
            ("fecha_entrega_estimada", order.fecha_entrega_estimada.map_or(Value::Null, |d| json!(d.to_string()))),
        ],
    )?;
    Ok(Value::Object(decide::order_result(args.id_orden)))
}

pub(super) fn order_advance(ctx: &LocalCtx<'_>, args: &OrderAdvance) -> LocalResult<Value> {
    let key = args.id_orden.to_string();
    let current = get(ctx.conn, "order_follow", &key)?.map(|(table, row)| CurrentOrder {
        nivel: int_at(table, &row, "nivel").unwrap_or(0),
        estado: text_at(table, &row, "estado").unwrap_or_default().to_owned(),
    });
    let plan = decide::advance(args, current.as_ref())?;
    if let AdvancePlan::Advance { nivel, estado } = &plan {
        update(ctx.conn, "order_follow", &key, &[("nivel", json!(nivel)), ("estado", json!(estado))])?;
    }
    Ok(Value::Object(plan.result(args.id_orden)))
}

pub(super) fn order_edit(ctx: &LocalCtx<'_>, args: &OrderEdit) -> LocalResult<Value> {
    let key = args.id_orden.to_string();
    decide::order_exists(exists(ctx.conn, "order_follow", &key)?, args.id_orden)?;
    let table = rows::table("order_follow")?;
    apply_edits(ctx, &Target { table, key: &key, fields: ORDER_FIELDS }, &args.edits, decide::check_order_edit)?;
    Ok(Value::Object(decide::order_result(args.id_orden)))
}
