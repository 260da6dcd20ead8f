//! Scooter models (`scooter_types`) and order tracking (`order_follow`): the facts the
//! decisions of `taller_domain::decide::orders` need, read under the order's row lock, and
//! their plans written. An advance that finds the order at its level or beyond writes nothing
//! and leaves its author a `nivel_superado` conflict (contract invariant 14).

use super::edits::{apply_edits, Target};
use super::{record_conflict, Applied, Ctx, Outcome};
use serde_json::json;
use sqlx::PgConnection;
use taller_domain::decide::orders::{self as decide, AdvancePlan, CurrentOrder, OrderFacts};
use taller_domain::Rechazo;
use taller_protocol::mutations::{ModelCreate, ModelEdit, OrderAdvance, OrderCreate, OrderEdit};
use taller_protocol::tables::table;
use taller_protocol::validate::{MODEL_FIELDS, ORDER_FIELDS};
use uuid::Uuid;

pub async fn model_create(conn: &mut PgConnection, _ctx: &Ctx<'_>, args: &ModelCreate) -> Outcome {
    let id_taken: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM scooter_types WHERE id_tipo = $1)")
        .bind(args.id_tipo)
        .fetch_one(&mut *conn)
        .await?;
    let model = decide::create_model(args, id_taken)?;
    let inserted = sqlx::query(
        "INSERT INTO scooter_types (id_tipo, nombre, potencia, descripcion) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id_tipo) DO NOTHING",
    )
    .bind(args.id_tipo)
    .bind(&model.nombre)
    .bind(&model.potencia)
    .bind(&model.descripcion)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        // Another transaction took the id since it was read: decided again with that fact.
        decide::create_model(args, true)?;
    }
    Ok(Applied { result: decide::model_result(args.id_tipo) })
}

pub async fn model_edit(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &ModelEdit) -> Outcome {
    let found: Option<Uuid> = sqlx::query_scalar("SELECT id_tipo FROM scooter_types WHERE id_tipo = $1 FOR UPDATE")
        .bind(args.id_tipo)
        .fetch_optional(&mut *conn)
        .await?;
    decide::model_exists(found.is_some(), args.id_tipo)?;
    let table = table("scooter_types").ok_or_else(|| Rechazo::invalid("catalogue"))?;
    let key = args.id_tipo.to_string();
    let target = Target { table, key: &key, fields: MODEL_FIELDS };
    let conflicts = apply_edits(conn, ctx, &target, &args.edits, |_, _| Ok(())).await?;
    let mut applied = Applied { result: decide::model_result(args.id_tipo) };
    for conflict in conflicts {
        applied.conflict(conflict);
    }
    Ok(applied)
}

pub async fn order_create(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &OrderCreate) -> Outcome {
    let (id_taken, model_exists): (bool, bool) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM order_follow WHERE id_orden = $1), \
                EXISTS (SELECT 1 FROM scooter_types WHERE id_tipo = $2)",
    )
    .bind(args.id_orden)
    .bind(args.id_tipo_scooter)
    .fetch_one(&mut *conn)
    .await?;
    let facts = OrderFacts { id_taken, model_exists };
    let order = decide::create_order(args, &facts)?;
    let inserted = sqlx::query(
        "INSERT INTO order_follow (id_orden, numero_orden, id_tipo_scooter, nivel, estado, telefono_contacto, \
             email_contacto, link_orden, fecha_orden, fecha_entrega_estimada) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id_orden) DO NOTHING",
    )
    .bind(args.id_orden)
    .bind(&order.numero_orden)
    .bind(args.id_tipo_scooter)
    .bind(order.nivel)
    .bind(&order.estado)
    .bind(&order.telefono_contacto)
    .bind(&order.email_contacto)
    .bind(&order.link_orden)
    .bind(ctx.at)
    .bind(order.fecha_entrega_estimada)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        decide::create_order(args, &OrderFacts { id_taken: true, ..facts })?;
    }
    record_level_setter(conn, ctx, args.id_orden).await?;
    Ok(Applied { result: decide::order_result(args.id_orden) })
}

/// Who set an order's level last (the other author an overtaken advance names).
async fn record_level_setter(conn: &mut PgConnection, ctx: &Ctx<'_>, id_orden: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sync_editores_campo (tabla, clave, campo, id_usuario, id_mutacion) \
         VALUES ('order_follow', $1, 'nivel', $2, $3) \
         ON CONFLICT (tabla, clave, campo) DO UPDATE SET id_usuario = EXCLUDED.id_usuario, id_mutacion = EXCLUDED.id_mutacion",
    )
    .bind(id_orden.to_string())
    .bind(ctx.user.id_usuario)
    .bind(ctx.id_mutacion)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn order_advance(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &OrderAdvance) -> Outcome {
    // The order's row lock orders concurrent advances: each decides against the level the
    // one before it left.
    let current: Option<(i32, String)> =
        sqlx::query_as("SELECT nivel, estado FROM order_follow WHERE id_orden = $1 FOR UPDATE")
            .bind(args.id_orden)
            .fetch_optional(&mut *conn)
            .await?;
    let current = current.map(|(nivel, estado)| CurrentOrder { nivel, estado });
    let plan = decide::advance(args, current.as_ref())?;
    let mut applied = Applied { result: plan.result(args.id_orden) };
    match &plan {
        AdvancePlan::Advance { nivel, estado } => {
            sqlx::query("UPDATE order_follow SET nivel = $2, estado = $3 WHERE id_orden = $1")
                .bind(args.id_orden)
                .bind(nivel)
                .bind(estado)
                .execute(&mut *conn)
                .await?;
            record_level_setter(conn, ctx, args.id_orden).await?;
        }
        AdvancePlan::Superseded { current, wanted, estado } => {
            let setter: Option<Uuid> = sqlx::query_scalar(
                "SELECT id_usuario FROM sync_editores_campo WHERE tabla = 'order_follow' AND clave = $1 AND campo = 'nivel'",
            )
            .bind(args.id_orden.to_string())
            .fetch_optional(&mut *conn)
            .await?;
            let conflict = record_conflict(
                conn,
                ctx,
                ctx.user.id_usuario,
                decide::SUPERSEDED,
                "order_follow",
                &args.id_orden.to_string(),
                Some("nivel"),
                [None, Some(&json!(current.nivel)), Some(&json!(wanted))],
                setter.filter(|other| *other != ctx.user.id_usuario),
                json!({"estado_servidor": current.estado, "estado_pedido": estado}),
            )
            .await?;
            applied.conflict(conflict);
        }
    }
    Ok(applied)
}

pub async fn order_edit(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &OrderEdit) -> Outcome {
    let found: Option<Uuid> = sqlx::query_scalar("SELECT id_orden FROM order_follow WHERE id_orden = $1 FOR UPDATE")
        .bind(args.id_orden)
        .fetch_optional(&mut *conn)
        .await?;
    decide::order_exists(found.is_some(), args.id_orden)?;
    let table = table("order_follow").ok_or_else(|| Rechazo::invalid("catalogue"))?;
    let key = args.id_orden.to_string();
    let target = Target { table, key: &key, fields: ORDER_FIELDS };
    let conflicts = apply_edits(conn, ctx, &target, &args.edits, decide::check_order_edit).await?;
    let mut applied = Applied { result: decide::order_result(args.id_orden) };
    for conflict in conflicts {
        applied.conflict(conflict);
    }
    Ok(applied)
}
