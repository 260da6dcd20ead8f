//! Stock settings, manual adjustments and technician movements, as the server's
//! `mutations/inventory.rs`. Stock only moves through `ledger::change_stock`.

use super::edits::{apply_edits, Target};
use super::ledger::{change_stock, ensure_item};
use super::{
    already_exists, clean, existing_location, existing_part, existing_user, insert, invalid, rows, LocalCtx,
    LocalFailure, LocalResult,
};
use serde_json::{json, Value};
use taller_domain::stock::{check_quantity, movement_effect, MAX_QUANTITY};
use taller_domain::{Rechazo, RejectionCode, TipoOperacion};
use taller_protocol::mutations::{InventoryAdjust, InventorySettings, MovementRecord};

use taller_protocol::validate::INVENTORY_FIELDS as SETTINGS;

pub(super) fn settings(ctx: &LocalCtx<'_>, args: &InventorySettings) -> LocalResult<Value> {
    ctx.require_location(args.id_localizacion)?;
    existing_location(ctx.conn, args.id_localizacion)?;
    let id_repuesto = existing_part(ctx, args.id_repuesto)?;
    let item = ensure_item(ctx, args.id_localizacion, id_repuesto)?;
    let table = rows::table("inventario")?;
    let key = item.id_inventario.to_string();
    apply_edits(ctx, &Target { table, key: &key, fields: SETTINGS }, &args.edits, |field, value| {
        if field == "cantidad_minima" && !value.as_i64().is_some_and(|n| (0..=i64::from(MAX_QUANTITY)).contains(&n)) {
            return Err(LocalFailure::Rejected(
                Rechazo::new(RejectionCode::InvalidQuantity).with("cantidad", value.clone()).with("max", MAX_QUANTITY),
            ));
        }
        Ok(())
    })?;
    Ok(json!({"id_inventario": key}))
}

pub(super) fn adjust(ctx: &LocalCtx<'_>, args: &InventoryAdjust) -> LocalResult<Value> {
    ctx.require_location(args.id_localizacion)?;
    let Some(motivo) = clean(Some(&args.motivo)) else {
        return Err(LocalFailure::Rejected(Rechazo::new(RejectionCode::ReasonRequired)));
    };
    super::check_text("motivo", &motivo)?;
    check_quantity(args.delta.checked_abs().unwrap_or(i32::MAX))?;
    existing_location(ctx.conn, args.id_localizacion)?;
    let id_repuesto = existing_part(ctx, args.id_repuesto)?;
    let entry = change_stock(
        ctx,
        args.id_localizacion,
        id_repuesto,
        args.delta,
        TipoOperacion::AjusteManual,
        Some(&motivo),
        json!({}),
    )?;
    Ok(json!({"stock_actual": entry.cantidad_nueva, "absorbido": entry.absorbed}))
}

pub(super) fn movement(ctx: &LocalCtx<'_>, args: &MovementRecord) -> LocalResult<Value> {
    ctx.require_location(args.id_localizacion)?;
    let effect = movement_effect(args.concepto, args.tipo, args.cantidad)?;
    if args.numero_orden.is_some_and(|n| n < 0) {
        return Err(invalid("numero_orden must be positive"));
    }
    existing_location(ctx.conn, args.id_localizacion)?;
    let id_repuesto = existing_part(ctx, args.id_repuesto)?;
    existing_user(ctx.conn, args.id_tecnico_asignado)?;
    if super::exists(ctx.conn, "movimientos_tecnicos", &args.id_movimientos_tecnicos.to_string())? {
        return Err(already_exists("movimiento", args.id_movimientos_tecnicos));
    }
    insert(
        ctx.conn,
        "movimientos_tecnicos",
        &[
            ("id_movimientos_tecnicos", json!(args.id_movimientos_tecnicos)),
            ("id_localizacion", json!(args.id_localizacion)),
            ("id_repuesto", json!(id_repuesto)),
            ("id_usuario_responsable", json!(ctx.user.id_usuario)),
            ("id_tecnico_asignado", json!(args.id_tecnico_asignado)),
            ("concepto", json!(args.concepto.as_str())),
            ("tipo", json!(args.tipo.as_str())),
            ("cantidad", json!(args.cantidad)),
            ("numero_orden", args.numero_orden.map_or(Value::Null, Value::from)),
            ("descargada", json!(effect.descargada)),
            ("fecha", ctx.now()),
            ("created_at", ctx.now()),
            ("updated_at", ctx.now()),
        ],
    )?;
    let mut result = json!({"id_movimientos_tecnicos": args.id_movimientos_tecnicos});
    if effect.delta != 0 {
        let entry = change_stock(
            ctx,
            args.id_localizacion,
            id_repuesto,
            effect.delta,
            TipoOperacion::MovimientoTecnico,
            None,
            json!({"id_movimientos_tecnicos": args.id_movimientos_tecnicos, "concepto": args.concepto,
                   "tipo": args.tipo, "id_tecnico_asignado": args.id_tecnico_asignado,
                   "numero_orden": args.numero_orden}),
        )?;
        result["stock_actual"] = json!(entry.cantidad_nueva);
        result["absorbido"] = json!(entry.absorbed);
    }
    Ok(result)
}
