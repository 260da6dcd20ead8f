//! Physical counts: the facts the decisions of `taller_domain::decide::counts` need, read under
//! the count's and each item's row lock, and their plans written. A line fixes a part's
//! quantity as of the moment it was counted; closing the count writes `CONTEO_FISICO` ledger
//! rows so the final stock does not depend on the order counts and movements reach the server.

use super::ledger::{count_anchor, lock_item, raise_negative_stock, write_entry, NegativeCause, NegativeStock};
use super::{part_fact, Applied, Ctx, Outcome};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use taller_domain::decide::counts::{self as decide, CloseLine, CountFacts, LineFacts, StartFacts};
use taller_domain::stock::ItemState;
use taller_protocol::mutations::{CountClose, CountLine, CountStart};
use uuid::Uuid;

pub async fn start(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &CountStart) -> Outcome {
    let (location_exists, id_taken): (bool, bool) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM localizacion WHERE id_localizacion = $1), \
                EXISTS (SELECT 1 FROM registro_conteo WHERE id_conteo = $2)",
    )
    .bind(args.id_localizacion)
    .bind(args.id_conteo)
    .fetch_one(&mut *conn)
    .await?;
    let facts = StartFacts { location_exists, id_taken };
    let observaciones = decide::start(ctx.actor, args, &facts)?;
    let inserted = sqlx::query(
        "INSERT INTO registro_conteo (id_conteo, id_localizacion, id_usuario, fecha_conteo, observaciones) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id_conteo) DO NOTHING",
    )
    .bind(args.id_conteo)
    .bind(args.id_localizacion)
    .bind(ctx.user.id_usuario)
    .bind(ctx.at)
    .bind(observaciones)
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        // Another transaction took the id since it was read: decided again with that fact.
        decide::start(ctx.actor, args, &StartFacts { id_taken: true, ..facts })?;
    }
    Ok(Applied { result: decide::start_result(args) })
}

/// The count, locked, with its start time (`None` when there is none).
async fn lock_count(
    conn: &mut PgConnection,
    id_conteo: Uuid,
) -> Result<Option<(CountFacts, DateTime<Utc>)>, sqlx::Error> {
    let row: Option<(Uuid, DateTime<Utc>, bool)> = sqlx::query_as(
        "SELECT r.id_localizacion, r.fecha_conteo, EXISTS (SELECT 1 FROM conteos_cerrados c WHERE c.id_conteo = r.id_conteo) \
           FROM registro_conteo r WHERE r.id_conteo = $1 FOR UPDATE OF r",
    )
    .bind(id_conteo)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(id_localizacion, fecha_conteo, closed)| (CountFacts { id_localizacion, closed }, fecha_conteo)))
}

pub async fn line(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &CountLine) -> Outcome {
    let count = lock_count(conn, args.id_conteo).await?.map(|(count, _)| count);
    let part = part_fact(conn, args.id_repuesto).await?;
    let target = decide::line(ctx.actor, args, count.as_ref(), part)?;
    let (sistema, existing, id_taken): (Option<i32>, Option<Uuid>, bool) = sqlx::query_as(
        "SELECT (SELECT stock_actual FROM inventario WHERE id_localizacion = $1 AND id_repuesto = $2), \
                (SELECT id_detalle_conteo FROM detalles_conteo WHERE id_conteo = $3 AND id_repuesto = $2 LIMIT 1), \
                EXISTS (SELECT 1 FROM detalles_conteo WHERE id_detalle_conteo = $4)",
    )
    .bind(target.id_localizacion)
    .bind(target.id_repuesto)
    .bind(args.id_conteo)
    .bind(args.id_detalle_conteo)
    .fetch_one(&mut *conn)
    .await?;
    let plan = decide::line_plan(args, &LineFacts { sistema: sistema.unwrap_or(0), existing, id_taken })?;
    if plan.replaces {
        sqlx::query(
            "UPDATE detalles_conteo SET cantidad_sistema = $2, cantidad_csa = $3, cantidad_pq = $4, diferencia = $5, \
                    observaciones = $6 WHERE id_detalle_conteo = $1",
        )
        .bind(plan.id_detalle_conteo)
        .bind(plan.cantidad_sistema)
        .bind(args.cantidad_csa)
        .bind(args.cantidad_pq)
        .bind(plan.diferencia)
        .bind(&plan.observaciones)
        .execute(&mut *conn)
        .await?;
    } else {
        sqlx::query(
            "INSERT INTO detalles_conteo (id_detalle_conteo, id_conteo, id_repuesto, cantidad_sistema, cantidad_csa, \
                 cantidad_pq, diferencia, observaciones) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(plan.id_detalle_conteo)
        .bind(args.id_conteo)
        .bind(target.id_repuesto)
        .bind(plan.cantidad_sistema)
        .bind(args.cantidad_csa)
        .bind(args.cantidad_pq)
        .bind(plan.diferencia)
        .bind(&plan.observaciones)
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query(
        "INSERT INTO sync_conteo_lineas (id_detalle_conteo, contado_en) VALUES ($1, $2) \
         ON CONFLICT (id_detalle_conteo) DO UPDATE SET contado_en = EXCLUDED.contado_en",
    )
    .bind(plan.id_detalle_conteo)
    .bind(ctx.at)
    .execute(&mut *conn)
    .await?;
    Ok(Applied { result: plan.result() })
}

pub async fn close(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &CountClose) -> Outcome {
    let count = lock_count(conn, args.id_conteo).await?;
    // (line, part, csa, pq, when the line was counted)
    type Row = (Uuid, Uuid, i32, i32, Option<DateTime<Utc>>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT d.id_detalle_conteo, d.id_repuesto, d.cantidad_csa, d.cantidad_pq, l.contado_en \
           FROM detalles_conteo d LEFT JOIN sync_conteo_lineas l ON l.id_detalle_conteo = d.id_detalle_conteo \
          WHERE d.id_conteo = $1 ORDER BY d.id_repuesto",
    )
    .bind(args.id_conteo)
    .fetch_all(&mut *conn)
    .await?;
    let fecha_conteo = count.map_or(ctx.at, |(_, at)| at);
    let lines: Vec<CloseLine> = rows
        .into_iter()
        .map(|(id_detalle_conteo, id_repuesto, cantidad_csa, cantidad_pq, contado_en)| CloseLine {
            id_detalle_conteo,
            id_repuesto,
            cantidad_csa,
            cantidad_pq,
            counted_at: contado_en.unwrap_or(fecha_conteo),
        })
        .collect();
    let id_localizacion = decide::close(ctx.actor, args.id_conteo, count.map(|(count, _)| count).as_ref(), &lines)?;
    let mut applied = Applied::default();
    let mut closed = Vec::with_capacity(lines.len());
    for line in &lines {
        let item = lock_item(conn, id_localizacion, line.id_repuesto).await?;
        let current = count_anchor(conn, item.id_inventario).await?;
        let deltas_after: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(diferencia), 0)::bigint FROM logs_inventario \
              WHERE id_inventario = $1 AND fecha > $2 AND tipo_operacion <> 'CONTEO_FISICO'",
        )
        .bind(item.id_inventario)
        .bind(line.counted_at)
        .fetch_one(&mut *conn)
        .await?;
        let state = ItemState { stock: item.stock, anchor: current };
        let closed_line = decide::close_line(args.id_conteo, line, state, deltas_after, ctx.id_mutacion);
        let id_log = write_entry(conn, ctx, item.id_inventario, &closed_line.write).await?;
        if closed_line.leaves_negative() {
            // Writes by other applications carry the system user, who reviews nothing.
            let authors: Vec<Uuid> = sqlx::query_scalar(
                "SELECT id_usuario FROM logs_inventario \
                  WHERE id_inventario = $1 AND fecha > $2 AND tipo_operacion <> 'CONTEO_FISICO' AND diferencia <> 0 \
                    AND id_usuario IS NOT NULL AND id_usuario <> taller_usuario_sistema() \
                  ORDER BY fecha, id_log",
            )
            .bind(item.id_inventario)
            .bind(line.counted_at)
            .fetch_all(&mut *conn)
            .await?;
            let reviewers = closed_line.reviewers(ctx.user.id_usuario, &authors);
            let entry = &closed_line.write.entry;
            let negative = NegativeStock {
                id_inventario: item.id_inventario,
                id_localizacion,
                id_repuesto: line.id_repuesto,
                entry,
                change: entry.diferencia,
                id_log,
                cause: NegativeCause::LateCount { id_conteo: args.id_conteo, contado_en: line.counted_at },
            };
            for conflict in raise_negative_stock(conn, ctx, &reviewers, &negative).await? {
                applied.conflict(conflict);
            }
        }
        if closed_line.adjusts() {
            sqlx::query("UPDATE inventario SET veces_contado = veces_contado + 1 WHERE id_inventario = $1")
                .bind(item.id_inventario)
                .execute(&mut *conn)
                .await?;
        }
        closed.push(closed_line);
    }
    sqlx::query("INSERT INTO conteos_cerrados (id_conteo, id_usuario, cerrado_en) VALUES ($1, $2, $3)")
        .bind(args.id_conteo)
        .bind(ctx.user.id_usuario)
        .bind(ctx.at)
        .execute(&mut *conn)
        .await?;
    applied.result.extend(decide::close_result(&closed));
    Ok(applied)
}
