//! Stock settings, manual adjustments and technician movements: the facts the decisions of
//! `taller_domain::decide::inventory` need, read under the rows' locks, and their plans
//! written.

use super::edits::{apply_edits, Target};
use super::ledger::{change_stock, lock_item};
use super::{found_part, part_at, Applied, Ctx, Outcome};
use sqlx::PgConnection;
use taller_domain::decide::inventory::{self as decide, MovementFacts};
use taller_domain::decide::ledger::stock_result;
use taller_domain::Rechazo;
use taller_protocol::mutations::{InventoryAdjust, InventorySettings, MovementRecord};
use taller_protocol::tables::table;
use uuid::Uuid;

use taller_protocol::validate::INVENTORY_FIELDS as SETTINGS;

pub async fn settings(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &InventorySettings) -> Outcome {
    let facts = part_at(conn, args.id_localizacion, args.id_repuesto).await?;
    let id_repuesto = decide::settings(ctx.actor, args, &facts)?;
    let item = lock_item(conn, args.id_localizacion, id_repuesto).await?;
    let table = table("inventario").ok_or_else(|| Rechazo::invalid("catalogue"))?;
    let key = item.id_inventario.to_string();
    let target = Target { table, key: &key, fields: SETTINGS };
    let conflicts = apply_edits(conn, ctx, &target, &args.edits, decide::check_setting).await?;
    let mut applied = Applied::default().with("id_inventario", key);
    for conflict in conflicts {
        applied.conflict(conflict);
    }
    Ok(applied)
}

pub async fn adjust(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &InventoryAdjust) -> Outcome {
    let facts = part_at(conn, args.id_localizacion, args.id_repuesto).await?;
    let change = decide::adjust(ctx.actor, args, &facts)?;
    let changed = change_stock(conn, ctx, &change).await?;
    let mut applied = Applied { result: stock_result(&changed.entry) };
    for conflict in changed.conflicts {
        applied.conflict(conflict);
    }
    Ok(applied)
}

/// What a movement needs to know (one statement: this runs for every movement of a backlog
/// that does not go set-based).
async fn movement_facts(conn: &mut PgConnection, args: &MovementRecord) -> Result<MovementFacts, sqlx::Error> {
    let (location_exists, part, technician_exists, id_taken): (bool, Option<Uuid>, bool, bool) =
        sqlx::query_as(concat!(
            "SELECT EXISTS (SELECT 1 FROM localizacion WHERE id_localizacion = $1), ",
            found_part!("$2"),
            ", EXISTS (SELECT 1 FROM usuarios WHERE id_usuario = $3), \
               EXISTS (SELECT 1 FROM movimientos_tecnicos WHERE id_movimientos_tecnicos = $4)"
        ))
        .bind(args.id_localizacion)
        .bind(args.id_repuesto)
        .bind(args.id_tecnico_asignado)
        .bind(args.id_movimientos_tecnicos)
        .fetch_one(&mut *conn)
        .await?;
    Ok(MovementFacts { location_exists, part, technician_exists, id_taken })
}

pub async fn movement(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &MovementRecord) -> Outcome {
    let facts = movement_facts(conn, args).await?;
    let plan = decide::movement(ctx.actor, args, &facts)?;
    let inserted = sqlx::query(
        "INSERT INTO movimientos_tecnicos (id_movimientos_tecnicos, id_localizacion, id_repuesto, id_usuario_responsable, \
             id_tecnico_asignado, concepto, tipo, cantidad, numero_orden, descargada, fecha) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (id_movimientos_tecnicos) DO NOTHING",
    )
    .bind(args.id_movimientos_tecnicos)
    .bind(args.id_localizacion)
    .bind(plan.id_repuesto)
    .bind(ctx.user.id_usuario)
    .bind(args.id_tecnico_asignado)
    .bind(args.concepto.as_str())
    .bind(args.tipo.as_str())
    .bind(args.cantidad)
    .bind(args.numero_orden)
    .bind(plan.effect.descargada)
    .bind(ctx.at)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        // Another transaction took the id since it was read: decided again with that fact.
        decide::movement(ctx.actor, args, &MovementFacts { id_taken: true, ..facts })?;
    }
    let Some(change) = &plan.stock else {
        return Ok(Applied { result: decide::movement_result(args, None) });
    };
    let changed = change_stock(conn, ctx, change).await?;
    let mut applied = Applied { result: decide::movement_result(args, Some(&changed.entry)) };
    for conflict in changed.conflicts {
        applied.conflict(conflict);
    }
    Ok(applied)
}
