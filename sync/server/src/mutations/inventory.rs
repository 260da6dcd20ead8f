//! Stock settings, manual adjustments and technician movements.

use super::edits::{apply_edits, Target};
use super::ledger::{change_stock, lock_item};
use super::{
    already_exists, clean, existing_location, existing_part, invalid, not_found, Applied, Ctx, Failure, Outcome,
};
use serde_json::json;
use sqlx::PgConnection;
use taller_domain::stock::{check_quantity, movement_effect};
use taller_domain::{Rechazo, RejectionCode, TipoOperacion};
use taller_protocol::mutations::{InventoryAdjust, InventorySettings, MovementRecord};
use taller_protocol::tables::table;

use taller_protocol::validate::INVENTORY_FIELDS as SETTINGS;

pub async fn settings(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &InventorySettings) -> Outcome {
    ctx.require_location(args.id_localizacion)?;
    existing_location(conn, args.id_localizacion).await?;
    let id_repuesto = existing_part(conn, args.id_repuesto).await?;
    let item = lock_item(conn, args.id_localizacion, id_repuesto).await?;
    let table = table("inventario").ok_or_else(|| invalid("catalogue"))?;
    let key = item.id_inventario.to_string();
    let target = Target { table, key: &key, fields: SETTINGS };
    let conflicts = apply_edits(conn, ctx, &target, &args.edits, |field, value| {
        if field == "cantidad_minima"
            && !value.as_i64().is_some_and(|n| (0..=i64::from(taller_domain::stock::MAX_QUANTITY)).contains(&n))
        {
            return Err(Failure::Rejected(
                Rechazo::new(RejectionCode::InvalidQuantity)
                    .with("cantidad", value.clone())
                    .with("max", taller_domain::stock::MAX_QUANTITY),
            ));
        }
        Ok(())
    })
    .await?;
    let mut applied = Applied::default().with("id_inventario", key);
    for conflict in conflicts {
        applied.conflict(conflict);
    }
    Ok(applied)
}

pub async fn adjust(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &InventoryAdjust) -> Outcome {
    ctx.require_location(args.id_localizacion)?;
    let Some(motivo) = clean(Some(&args.motivo)) else {
        return Err(Failure::Rejected(Rechazo::new(RejectionCode::ReasonRequired)));
    };
    super::check_text("motivo", &motivo)?;
    check_quantity(args.delta.checked_abs().unwrap_or(i32::MAX))?;
    existing_location(conn, args.id_localizacion).await?;
    let id_repuesto = existing_part(conn, args.id_repuesto).await?;
    let change = change_stock(
        conn,
        ctx,
        args.id_localizacion,
        id_repuesto,
        args.delta,
        TipoOperacion::AjusteManual,
        Some(&motivo),
        json!({}),
    )
    .await?;
    let mut applied =
        Applied::default().with("stock_actual", change.entry.cantidad_nueva).with("absorbido", change.entry.absorbed);
    for conflict in change.conflicts {
        applied.conflict(conflict);
    }
    Ok(applied)
}

/// The `detalles` of a movement's ledger row (the stock change adds `id_mutacion`).
pub fn movement_details(args: &MovementRecord) -> serde_json::Value {
    json!({"id_movimientos_tecnicos": args.id_movimientos_tecnicos, "concepto": args.concepto, "tipo": args.tipo,
           "id_tecnico_asignado": args.id_tecnico_asignado, "numero_orden": args.numero_orden})
}

pub async fn movement(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &MovementRecord) -> Outcome {
    ctx.require_location(args.id_localizacion)?;
    let effect = movement_effect(args.concepto, args.tipo, args.cantidad)?;
    if args.numero_orden.is_some_and(|n| n < 0) {
        return Err(invalid("numero_orden must be positive"));
    }
    // Both references in one statement: this runs for every movement of a backlog.
    let (location, technician): (bool, bool) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM localizacion WHERE id_localizacion = $1), \
                EXISTS (SELECT 1 FROM usuarios WHERE id_usuario = $2)",
    )
    .bind(args.id_localizacion)
    .bind(args.id_tecnico_asignado)
    .fetch_one(&mut *conn)
    .await?;
    if !location {
        return Err(not_found("localizacion", args.id_localizacion));
    }
    let id_repuesto = existing_part(conn, args.id_repuesto).await?;
    if !technician {
        return Err(not_found("usuario", args.id_tecnico_asignado));
    }
    let inserted = sqlx::query(
        "INSERT INTO movimientos_tecnicos (id_movimientos_tecnicos, id_localizacion, id_repuesto, id_usuario_responsable, \
             id_tecnico_asignado, concepto, tipo, cantidad, numero_orden, descargada, fecha) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id_movimientos_tecnicos) DO NOTHING",
    )
    .bind(args.id_movimientos_tecnicos)
    .bind(args.id_localizacion)
    .bind(id_repuesto)
    .bind(ctx.user.id_usuario)
    .bind(args.id_tecnico_asignado)
    .bind(args.concepto.as_str())
    .bind(args.tipo.as_str())
    .bind(args.cantidad)
    .bind(args.numero_orden)
    .bind(effect.descargada)
    .bind(ctx.at)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(already_exists("movimiento", args.id_movimientos_tecnicos));
    }
    let mut applied = Applied::default().with("id_movimientos_tecnicos", args.id_movimientos_tecnicos.to_string());
    if effect.delta != 0 {
        let change = change_stock(
            conn,
            ctx,
            args.id_localizacion,
            id_repuesto,
            effect.delta,
            TipoOperacion::MovimientoTecnico,
            None,
            movement_details(args),
        )
        .await?;
        applied = applied.with("stock_actual", change.entry.cantidad_nueva).with("absorbido", change.entry.absorbed);
        for conflict in change.conflicts {
            applied.conflict(conflict);
        }
    }
    Ok(applied)
}
