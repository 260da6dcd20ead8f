//! Physical counts: the facts the decisions of `taller_domain::decide::counts` need, read from
//! the replica, and their plans written. A line fixes a part's quantity as of the moment it
//! was counted (T); closing the count writes `CONTEO_FISICO` ledger rows.
//!
//! T is the time of the `count.line` mutation that last (re)counted the line. The server keeps
//! it in `sync_conteo_lineas`, which is not replicated, so the client takes it from its own
//! outbox: the latest earlier `count.line` of the same count and part still in the outbox
//! (pending, or acknowledged but not pulled yet). A line counted elsewhere, or whose
//! `count.line` has already been pulled and left the outbox, falls back to the count's
//! `fecha_conteo` — the server's own fallback — until the next pull brings the server's
//! ledger rows. The registro_conteo summary (`total_items`, `total_diferencias`,
//! `items_con_pq`), kept by a server trigger, is recomputed locally after each line.

use super::ledger::{count_anchor, count_rows, ensure_item, find_item, write_entry};
use super::{
    earlier_in_outbox, exists, found_part, get, insert, optional_text, parse_timestamp, resolve_part, text_at, update,
    uuid_at, LocalCtx, LocalResult,
};
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection};
use serde_json::{json, Value};
use taller_domain::decide::counts::{self as decide, CloseLine, CountFacts, LineFacts, StartFacts};
use taller_domain::stock::ItemState;
use taller_domain::Rechazo;
use taller_protocol::mutations::{CountClose, CountLine, CountStart};
use uuid::Uuid;

pub(super) fn start(ctx: &LocalCtx<'_>, args: &CountStart) -> LocalResult<Value> {
    let facts = StartFacts {
        location_exists: exists(ctx.conn, "localizacion", &args.id_localizacion.to_string())?,
        id_taken: exists(ctx.conn, "registro_conteo", &args.id_conteo.to_string())?,
    };
    let observaciones = decide::start(ctx.actor(), args, &facts)?;
    insert(
        ctx.conn,
        "registro_conteo",
        &[
            ("id_conteo", json!(args.id_conteo)),
            ("id_localizacion", json!(args.id_localizacion)),
            ("id_usuario", json!(ctx.user.id_usuario)),
            ("fecha_conteo", ctx.now()),
            ("total_items", json!(0)),
            ("total_diferencias", json!(0)),
            ("items_con_pq", json!(0)),
            ("observaciones", optional_text(observaciones)),
            ("created_at", ctx.now()),
        ],
    )?;
    Ok(Value::Object(decide::start_result(args)))
}

/// The count as the replica has it, with its start time (`None` when it has none). A count
/// whose location the replica cannot read is refused as the server refuses a missing one.
fn load_count(ctx: &LocalCtx<'_>, id_conteo: Uuid) -> LocalResult<Option<(CountFacts, Option<DateTime<Utc>>)>> {
    let Some((table, row)) = get(ctx.conn, "registro_conteo", &id_conteo.to_string())? else {
        return Ok(None);
    };
    let id_localizacion =
        uuid_at(table, &row, "id_localizacion").ok_or_else(|| Rechazo::not_found("localizacion", "?"))?;
    let closed = exists(ctx.conn, "conteos_cerrados", &id_conteo.to_string())?;
    let fecha_conteo = text_at(table, &row, "fecha_conteo").and_then(parse_timestamp);
    Ok(Some((CountFacts { id_localizacion, closed }, fecha_conteo)))
}

/// A count line: (id_detalle_conteo, id_repuesto, cantidad_csa, cantidad_pq, diferencia).
type Line = (Uuid, Uuid, i32, i32, i32);

fn count_lines(ctx: &LocalCtx<'_>, id_conteo: Uuid) -> LocalResult<Vec<Line>> {
    let mut statement = ctx.conn.prepare(
        "SELECT id_detalle_conteo, id_repuesto, cantidad_csa, cantidad_pq, diferencia FROM detalles_conteo \
          WHERE id_conteo = ?1",
    )?;
    let found = statement.query_map([id_conteo.to_string()], |row| {
        Ok((
            row.get::<_, String>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, i32>(2)?,
            row.get::<_, i32>(3)?,
            row.get::<_, i32>(4)?,
        ))
    })?;
    let mut lines = Vec::new();
    for row in found {
        let (id, part, csa, pq, diferencia) = row?;
        if let (Ok(id), Ok(part)) = (id.parse(), part.parse()) {
            lines.push((id, part, csa, pq, diferencia));
        }
    }
    // The server closes lines in part order.
    lines.sort_by_key(|line| (line.1, line.0));
    Ok(lines)
}

/// Recomputes the count's summary from its lines (the server's `update_count_summary`).
fn refresh_summary(ctx: &LocalCtx<'_>, id_conteo: Uuid) -> LocalResult<()> {
    let lines = count_lines(ctx, id_conteo)?;
    let total_items = lines.len();
    let total_diferencias = lines.iter().filter(|line| line.4 != 0).count();
    let items_con_pq = lines.iter().filter(|line| line.3 > 0).count();
    update(
        ctx.conn,
        "registro_conteo",
        &id_conteo.to_string(),
        &[
            ("total_items", json!(total_items)),
            ("total_diferencias", json!(total_diferencias)),
            ("items_con_pq", json!(items_con_pq)),
        ],
    )?;
    Ok(())
}

pub(super) fn line(ctx: &LocalCtx<'_>, args: &CountLine) -> LocalResult<Value> {
    let count = load_count(ctx, args.id_conteo)?.map(|(count, _)| count);
    let target = decide::line(ctx.actor(), args, count.as_ref(), found_part(ctx, args.id_repuesto)?)?;
    let facts = LineFacts {
        sistema: find_item(ctx.conn, target.id_localizacion, target.id_repuesto)?.map_or(0, |item| item.stock),
        existing: count_lines(ctx, args.id_conteo)?
            .into_iter()
            .find(|line| line.1 == target.id_repuesto)
            .map(|line| line.0),
        id_taken: exists(ctx.conn, "detalles_conteo", &args.id_detalle_conteo.to_string())?,
    };
    let plan = decide::line_plan(args, &facts)?;
    let values = [
        ("cantidad_sistema", json!(plan.cantidad_sistema)),
        ("cantidad_csa", json!(args.cantidad_csa)),
        ("cantidad_pq", json!(args.cantidad_pq)),
        ("diferencia", json!(plan.diferencia)),
        ("observaciones", optional_text(plan.observaciones.clone())),
    ];
    if plan.replaces {
        update(ctx.conn, "detalles_conteo", &plan.id_detalle_conteo.to_string(), &values)?;
    } else {
        let mut row = vec![
            ("id_detalle_conteo", json!(plan.id_detalle_conteo)),
            ("id_conteo", json!(args.id_conteo)),
            ("id_repuesto", json!(target.id_repuesto)),
        ];
        row.extend(values);
        insert(ctx.conn, "detalles_conteo", &row)?;
    }
    refresh_summary(ctx, args.id_conteo)?;
    Ok(Value::Object(plan.result()))
}

/// When each part of a count was last counted, as far as the outbox knows (see the module
/// documentation).
fn counted_times(ctx: &LocalCtx<'_>, id_conteo: Uuid) -> LocalResult<Vec<(Uuid, DateTime<Utc>)>> {
    let mut times: Vec<(Uuid, DateTime<Utc>)> = Vec::new();
    for (args, at) in earlier_in_outbox(ctx, "count.line", id_conteo)? {
        let Ok(line) = serde_json::from_value::<CountLine>(args) else { continue };
        let Some(at) = at else { continue };
        let part = resolve_part(ctx, line.id_repuesto)?;
        // Later entries replace earlier ones: a recount moves T.
        times.retain(|(known, _)| *known != part);
        times.push((part, at));
    }
    Ok(times)
}

/// The sum of an item's non-count ledger differences dated after an instant, through the
/// index of `logs_inventario.instante` (migration 0005): bounded by the rows after it, and
/// compared as instants whatever the spelling of `fecha`.
pub(super) const DELTAS_AFTER: &str = "SELECT COALESCE(SUM(diferencia), 0) FROM logs_inventario \
     WHERE id_inventario = ?1 AND instante > ?2 AND tipo_operacion <> 'CONTEO_FISICO'";

fn deltas_after(conn: &Connection, id_inventario: Uuid, after: DateTime<Utc>) -> LocalResult<i64> {
    // `instante`'s spelling: UTC, six digits, no offset.
    let after = after.to_rfc3339_opts(SecondsFormat::Micros, true);
    let after = after.trim_end_matches('Z');
    let sum = conn
        .prepare_cached(DELTAS_AFTER)?
        .query_row(params![id_inventario.to_string(), after], |row| row.get::<_, i64>(0))?;
    Ok(sum)
}

pub(super) fn close(ctx: &LocalCtx<'_>, args: &CountClose) -> LocalResult<Value> {
    let loaded = load_count(ctx, args.id_conteo)?;
    let count = loaded.map(|(count, _)| count);
    let fecha_conteo = loaded.and_then(|(_, at)| at).unwrap_or(ctx.at);
    let times = counted_times(ctx, args.id_conteo)?;
    let lines: Vec<CloseLine> = count_lines(ctx, args.id_conteo)?
        .into_iter()
        .map(|(id_detalle_conteo, id_repuesto, cantidad_csa, cantidad_pq, _)| CloseLine {
            id_detalle_conteo,
            id_repuesto,
            cantidad_csa,
            cantidad_pq,
            counted_at: times.iter().find(|(part, _)| *part == id_repuesto).map_or(fecha_conteo, |(_, at)| *at),
        })
        .collect();
    let id_localizacion = decide::close(ctx.actor(), args.id_conteo, count.as_ref(), &lines)?;
    let mut closed = Vec::with_capacity(lines.len());
    for line in &lines {
        let item = ensure_item(ctx, id_localizacion, line.id_repuesto)?;
        let current = count_anchor(&count_rows(ctx.conn, item.id_inventario)?);
        let after = deltas_after(ctx.conn, item.id_inventario, line.counted_at)?;
        let state = ItemState { stock: item.stock, anchor: current };
        let line = decide::close_line(args.id_conteo, line, state, after, ctx.id_mutacion);
        write_entry(ctx, item.id_inventario, &line.write)?;
        if line.adjusts() {
            let key = item.id_inventario.to_string();
            let veces = get(ctx.conn, "inventario", &key)?
                .and_then(|(table, row)| super::int_at(table, &row, "veces_contado"))
                .unwrap_or(0);
            update(ctx.conn, "inventario", &key, &[("veces_contado", json!(veces + 1)), ("updated_at", ctx.now())])?;
        }
        closed.push(line);
    }
    insert(
        ctx.conn,
        "conteos_cerrados",
        &[("id_conteo", json!(args.id_conteo)), ("id_usuario", json!(ctx.user.id_usuario)), ("cerrado_en", ctx.now())],
    )?;
    Ok(Value::Object(decide::close_result(&closed)))
}

#[cfg(test)]
mod tests {
    use super::{deltas_after, DELTAS_AFTER};
    use crate::local::fixtures::seed;
    use crate::local::parse_timestamp;
    use crate::replica::{query_plan, Replica};
    use chrono::{DateTime, Duration, Utc};
    use serde_json::json;
    use uuid::Uuid;

    /// The sum over instants agrees with comparing every row's parsed time, whatever the
    /// spelling of `fecha`: the server's (PostgreSQL's fraction only when there is one, in the
    /// writing session's offset, a space or a `T`) and the replica's own (six digits, +00:00).
    #[test]
    fn the_deltas_after_a_moment_compare_instants_not_spellings() {
        let replica = Replica::in_memory().expect("replica");
        let item = Uuid::from_u128(0x4011);
        let fechas = [
            ("2026-11-22T10:00:00+00:00", 1),
            ("2026-11-22T10:00:00.000000+00:00", 2),
            ("2026-11-22T10:00:00.5+00:00", 4),
            ("2026-11-22T10:00:00.500001+00:00", 8),
            ("2026-11-22T05:00:00.25-05:00", 16),
            ("2026-11-22 10:00:00.999999+00:00", 32),
            ("2026-11-22T15:30:01+05:30", 64),
            ("2026-11-22T10:00:01Z", 128),
            ("2026-11-23T00:00:00.000001+00:00", 256),
            ("no es una fecha", 512),
        ];
        for (n, (fecha, diferencia)) in fechas.iter().enumerate() {
            for (tipo, extra) in [("MOVIMIENTO_TECNICO", 0), ("CONTEO_FISICO", 1000)] {
                seed(
                    &replica.conn,
                    "logs_inventario",
                    &[
                        ("id_log", json!(Uuid::from_u128(0xf000 + (n as u128) * 2 + extra))),
                        ("id_inventario", json!(item)),
                        ("id_usuario", json!(Uuid::nil())),
                        ("tipo_operacion", json!(tipo)),
                        ("cantidad_anterior", json!(0)),
                        ("cantidad_nueva", json!(0)),
                        ("diferencia", json!(diferencia + extra as i64)),
                        ("fecha", json!(fecha)),
                    ],
                );
            }
        }
        let by_parsing = |after: DateTime<Utc>| -> i64 {
            fechas
                .iter()
                .filter(|(fecha, _)| parse_timestamp(fecha).is_some_and(|at| at > after))
                .map(|(_, diferencia)| *diferencia)
                .sum()
        };
        let ten = parse_timestamp("2026-11-22T10:00:00+00:00").expect("time");
        let moments = [
            ten - Duration::microseconds(1),
            ten,
            ten + Duration::microseconds(250_000),
            ten + Duration::microseconds(500_000),
            ten + Duration::microseconds(500_001),
            ten + Duration::microseconds(999_999),
            ten + Duration::seconds(1),
            ten + Duration::hours(14),
        ];
        for after in moments {
            assert_eq!(deltas_after(&replica.conn, item, after).expect("sum"), by_parsing(after), "after {after}");
        }
    }

    /// Closing a count reads each line's later ledger differences as a range of the instant
    /// index, not the item's whole ledger.
    #[test]
    fn the_deltas_after_a_counted_moment_are_an_index_range() {
        let replica = Replica::in_memory().expect("replica");
        let plan = query_plan(&replica.conn, DELTAS_AFTER);
        assert!(plan.contains("USING INDEX idx_logs_inventario_instante (id_inventario=? AND instante>?)"), "{plan}");
    }
}
