//! Physical counts. A line fixes a part's quantity as of the moment it was counted; closing
//! the count writes `CONTEO_FISICO` ledger rows computed by `taller_domain::stock::apply_count`
//! so the final stock does not depend on the order counts and movements reach the server.

use super::ledger::{count_anchor, lock_item, raise_negative_stock, write_entry, NegativeCause, NegativeStock};
use super::{
    already_exists, check_text, clean, existing_location, existing_part, not_found, Applied, Ctx, Failure, Outcome,
};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use taller_domain::stock::{
    apply_count, check_count_line, count_line_difference, negative_count_reviewers, CountAnchor, ItemState,
};
use taller_domain::{Rechazo, RejectionCode, TipoOperacion};
use taller_protocol::mutations::{CountClose, CountLine, CountStart};
use uuid::Uuid;

pub async fn start(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &CountStart) -> Outcome {
    ctx.require_location(args.id_localizacion)?;
    existing_location(conn, args.id_localizacion).await?;
    if let Some(text) = &args.observaciones {
        check_text("observaciones", text)?;
    }
    let inserted = sqlx::query(
        "INSERT INTO registro_conteo (id_conteo, id_localizacion, id_usuario, fecha_conteo, observaciones) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id_conteo) DO NOTHING",
    )
    .bind(args.id_conteo)
    .bind(args.id_localizacion)
    .bind(ctx.user.id_usuario)
    .bind(ctx.at)
    .bind(clean(args.observaciones.as_deref()))
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(already_exists("conteo", args.id_conteo));
    }
    Ok(Applied::default().with("id_conteo", args.id_conteo.to_string()))
}

/// The count's location, locked; refuses a closed count.
async fn open_count(conn: &mut PgConnection, ctx: &Ctx<'_>, id_conteo: Uuid) -> Result<Uuid, Failure> {
    let location: Option<Uuid> =
        sqlx::query_scalar("SELECT id_localizacion FROM registro_conteo WHERE id_conteo = $1 FOR UPDATE")
            .bind(id_conteo)
            .fetch_optional(&mut *conn)
            .await?;
    let Some(id_localizacion) = location else {
        return Err(not_found("conteo", id_conteo));
    };
    ctx.require_location(id_localizacion)?;
    let closed: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM conteos_cerrados WHERE id_conteo = $1)")
        .bind(id_conteo)
        .fetch_one(&mut *conn)
        .await?;
    if closed {
        return Err(Failure::Rejected(
            Rechazo::new(RejectionCode::CountClosed).with("id_conteo", id_conteo.to_string()),
        ));
    }
    Ok(id_localizacion)
}

pub async fn line(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &CountLine) -> Outcome {
    check_count_line(args.cantidad_csa, args.cantidad_pq)?;
    if let Some(text) = &args.observaciones {
        check_text("observaciones", text)?;
    }
    let id_localizacion = open_count(conn, ctx, args.id_conteo).await?;
    let id_repuesto = existing_part(conn, args.id_repuesto).await?;
    let sistema: i32 =
        sqlx::query_scalar("SELECT stock_actual FROM inventario WHERE id_localizacion = $1 AND id_repuesto = $2")
            .bind(id_localizacion)
            .bind(id_repuesto)
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or(0);
    let diferencia = count_line_difference(sistema, args.cantidad_csa, args.cantidad_pq);
    // Counting the same part again in the same count replaces the line.
    let existing: Option<Uuid> =
        sqlx::query_scalar("SELECT id_detalle_conteo FROM detalles_conteo WHERE id_conteo = $1 AND id_repuesto = $2")
            .bind(args.id_conteo)
            .bind(id_repuesto)
            .fetch_optional(&mut *conn)
            .await?;
    let id_detalle = match existing {
        Some(id) => {
            sqlx::query(
                "UPDATE detalles_conteo SET cantidad_sistema = $2, cantidad_csa = $3, cantidad_pq = $4, diferencia = $5, \
                        observaciones = $6 WHERE id_detalle_conteo = $1",
            )
            .bind(id)
            .bind(sistema)
            .bind(args.cantidad_csa)
            .bind(args.cantidad_pq)
            .bind(diferencia)
            .bind(clean(args.observaciones.as_deref()))
            .execute(&mut *conn)
            .await?;
            id
        }
        None => {
            sqlx::query(
                "INSERT INTO detalles_conteo (id_detalle_conteo, id_conteo, id_repuesto, cantidad_sistema, cantidad_csa, \
                     cantidad_pq, diferencia, observaciones) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(args.id_detalle_conteo)
            .bind(args.id_conteo)
            .bind(id_repuesto)
            .bind(sistema)
            .bind(args.cantidad_csa)
            .bind(args.cantidad_pq)
            .bind(diferencia)
            .bind(clean(args.observaciones.as_deref()))
            .execute(&mut *conn)
            .await?;
            args.id_detalle_conteo
        }
    };
    sqlx::query(
        "INSERT INTO sync_conteo_lineas (id_detalle_conteo, contado_en) VALUES ($1, $2) \
         ON CONFLICT (id_detalle_conteo) DO UPDATE SET contado_en = EXCLUDED.contado_en",
    )
    .bind(id_detalle)
    .bind(ctx.at)
    .execute(&mut *conn)
    .await?;
    Ok(Applied::default()
        .with("id_detalle_conteo", id_detalle.to_string())
        .with("cantidad_sistema", sistema)
        .with("diferencia", diferencia))
}

pub async fn close(conn: &mut PgConnection, ctx: &Ctx<'_>, args: &CountClose) -> Outcome {
    let id_localizacion = open_count(conn, ctx, args.id_conteo).await?;
    // (line, part, csa, pq, when the line was counted, when the count started)
    type Line = (Uuid, Uuid, i32, i32, Option<DateTime<Utc>>, DateTime<Utc>);
    let lines: Vec<Line> = sqlx::query_as(
        "SELECT d.id_detalle_conteo, d.id_repuesto, d.cantidad_csa, d.cantidad_pq, l.contado_en, r.fecha_conteo \
           FROM detalles_conteo d JOIN registro_conteo r ON r.id_conteo = d.id_conteo \
           LEFT JOIN sync_conteo_lineas l ON l.id_detalle_conteo = d.id_detalle_conteo \
          WHERE d.id_conteo = $1 ORDER BY d.id_repuesto",
    )
    .bind(args.id_conteo)
    .fetch_all(&mut *conn)
    .await?;
    // A line stored before this rule (or by another application) is refused here too: it would
    // fix a negative quantity on a shelf that had parts on it. Recounting the line fixes it.
    for &(id_detalle, id_repuesto, csa, pq, _, _) in &lines {
        check_count_line(csa, pq).map_err(|rechazo| {
            rechazo.with("id_detalle_conteo", id_detalle.to_string()).with("id_repuesto", id_repuesto.to_string())
        })?;
    }
    let mut applied = Applied::default();
    let mut adjusted = 0;
    let mut absorbed = 0;
    for (id_detalle, id_repuesto, csa, pq, contado_en, fecha_conteo) in lines {
        let counted_at = contado_en.unwrap_or(fecha_conteo);
        let item = lock_item(conn, id_localizacion, id_repuesto).await?;
        let current = count_anchor(conn, item.id_inventario).await?;
        let deltas_after: i64 = sqlx::query_scalar(
            "SELECT COALESCE(SUM(diferencia), 0)::bigint FROM logs_inventario \
              WHERE id_inventario = $1 AND fecha > $2 AND tipo_operacion <> 'CONTEO_FISICO'",
        )
        .bind(item.id_inventario)
        .bind(counted_at)
        .fetch_one(&mut *conn)
        .await?;
        let anchor = CountAnchor { at: counted_at, id_conteo: args.id_conteo };
        let entry = apply_count(ItemState { stock: item.stock, anchor: current }, anchor, csa, pq, deltas_after);
        let detalles = json!({"id_conteo": args.id_conteo, "id_detalle_conteo": id_detalle, "contado_en": counted_at,
                              "cantidad_csa": csa, "cantidad_pq": pq, "deltas_posteriores": deltas_after,
                              "absorbido": entry.ledger.absorbed, "id_mutacion": ctx.id_mutacion});
        let id_log = write_entry(
            conn,
            ctx,
            item.id_inventario,
            TipoOperacion::ConteoFisico,
            &entry.ledger,
            None,
            detalles,
            counted_at,
        )
        .await?;
        if entry.ledger.went_negative && !entry.ledger.absorbed {
            // Changes dated after the counted moment were accepted before the count arrived and
            // took more than was counted: the stock stays as computed, and the counter and those
            // changes' authors review it. Writes by other applications carry the system user.
            let authors: Vec<Uuid> = sqlx::query_scalar(
                "SELECT id_usuario FROM logs_inventario \
                  WHERE id_inventario = $1 AND fecha > $2 AND tipo_operacion <> 'CONTEO_FISICO' AND diferencia <> 0 \
                    AND id_usuario IS NOT NULL AND id_usuario <> taller_usuario_sistema() \
                  ORDER BY fecha, id_log",
            )
            .bind(item.id_inventario)
            .bind(counted_at)
            .fetch_all(&mut *conn)
            .await?;
            let reviewers = negative_count_reviewers(&entry, ctx.user.id_usuario, &authors);
            let negative = NegativeStock {
                id_inventario: item.id_inventario,
                id_localizacion,
                id_repuesto,
                entry: &entry.ledger,
                change: entry.ledger.diferencia,
                id_log,
                cause: NegativeCause::LateCount { id_conteo: args.id_conteo, contado_en: counted_at },
            };
            for conflict in raise_negative_stock(conn, ctx, &reviewers, &negative).await? {
                applied.conflict(conflict);
            }
        }
        if entry.ledger.absorbed {
            absorbed += 1;
        } else {
            adjusted += 1;
            sqlx::query("UPDATE inventario SET veces_contado = veces_contado + 1 WHERE id_inventario = $1")
                .bind(item.id_inventario)
                .execute(&mut *conn)
                .await?;
        }
    }
    sqlx::query("INSERT INTO conteos_cerrados (id_conteo, id_usuario, cerrado_en) VALUES ($1, $2, $3)")
        .bind(args.id_conteo)
        .bind(ctx.user.id_usuario)
        .bind(ctx.at)
        .execute(&mut *conn)
        .await?;
    Ok(applied.with("lineas_ajustadas", adjusted).with("lineas_absorbidas", absorbed))
}
