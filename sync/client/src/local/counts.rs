//! Physical counts, as the server's `mutations/counts.rs`. A line fixes a part's quantity as
//! of the moment it was counted (T); closing the count writes `CONTEO_FISICO` ledger rows from
//! `taller_domain::stock::apply_count`.
//!
//! T is the time of the `count.line` mutation that last (re)counted the line. The server keeps
//! it in `sync_conteo_lineas`, which is not replicated, so the client takes it from its own
//! outbox: the latest earlier `count.line` of the same count and part still in the outbox
//! (pending, or acknowledged but not pulled yet). A line counted elsewhere, or whose
//! `count.line` has already been pulled and left the outbox, falls back to the count's
//! `fecha_conteo` — the server's own fallback — until the next pull brings the server's
//! ledger rows. The registro_conteo summary (`total_items`, `total_diferencias`,
//! `items_con_pq`), kept by a server trigger, is recomputed locally after each line.

use super::ledger::{count_anchor, deltas_after, ensure_item, find_item, ledger_rows, write_entry};
use super::{
    already_exists, check_text, clean, duplicate_key, earlier_in_outbox, existing_location, existing_part, get, insert,
    not_found, optional_text, parse_timestamp, resolve_part, text_at, update, uuid_at, LocalCtx, LocalFailure,
    LocalResult,
};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use taller_domain::stock::{apply_count, check_count_line, count_line_difference, CountAnchor, ItemState};
use taller_domain::{Rechazo, RejectionCode, TipoOperacion};
use taller_protocol::mutations::{CountClose, CountLine, CountStart};
use uuid::Uuid;

pub(super) fn start(ctx: &LocalCtx<'_>, args: &CountStart) -> LocalResult<Value> {
    ctx.require_location(args.id_localizacion)?;
    existing_location(ctx.conn, args.id_localizacion)?;
    if let Some(text) = &args.observaciones {
        check_text("observaciones", text)?;
    }
    if super::exists(ctx.conn, "registro_conteo", &args.id_conteo.to_string())? {
        return Err(already_exists("conteo", args.id_conteo));
    }
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
            ("observaciones", optional_text(clean(args.observaciones.as_deref()))),
            ("created_at", ctx.now()),
        ],
    )?;
    Ok(json!({"id_conteo": args.id_conteo}))
}

/// The count's location and start time; refuses a closed count (`count_closed`).
fn open_count(ctx: &LocalCtx<'_>, id_conteo: Uuid) -> LocalResult<(Uuid, Option<DateTime<Utc>>)> {
    let Some((table, row)) = get(ctx.conn, "registro_conteo", &id_conteo.to_string())? else {
        return Err(not_found("conteo", id_conteo));
    };
    let id_localizacion =
        uuid_at(table, &row, "id_localizacion").ok_or_else(|| not_found("localizacion", "?".to_owned()))?;
    ctx.require_location(id_localizacion)?;
    if super::exists(ctx.conn, "conteos_cerrados", &id_conteo.to_string())? {
        return Err(LocalFailure::Rejected(
            Rechazo::new(RejectionCode::CountClosed).with("id_conteo", id_conteo.to_string()),
        ));
    }
    Ok((id_localizacion, text_at(table, &row, "fecha_conteo").and_then(parse_timestamp)))
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
    check_count_line(args.cantidad_csa, args.cantidad_pq)?;
    if let Some(text) = &args.observaciones {
        check_text("observaciones", text)?;
    }
    let (id_localizacion, _) = open_count(ctx, args.id_conteo)?;
    let id_repuesto = existing_part(ctx, args.id_repuesto)?;
    let sistema = find_item(ctx.conn, id_localizacion, id_repuesto)?.map_or(0, |item| item.stock);
    let diferencia = count_line_difference(sistema, args.cantidad_csa, args.cantidad_pq);
    let observaciones = optional_text(clean(args.observaciones.as_deref()));
    // Counting the same part again in the same count replaces the line.
    let existing = count_lines(ctx, args.id_conteo)?.into_iter().find(|line| line.1 == id_repuesto).map(|line| line.0);
    let id_detalle = match existing {
        Some(id) => {
            update(
                ctx.conn,
                "detalles_conteo",
                &id.to_string(),
                &[
                    ("cantidad_sistema", json!(sistema)),
                    ("cantidad_csa", json!(args.cantidad_csa)),
                    ("cantidad_pq", json!(args.cantidad_pq)),
                    ("diferencia", json!(diferencia)),
                    ("observaciones", observaciones),
                ],
            )?;
            id
        }
        None => {
            if super::exists(ctx.conn, "detalles_conteo", &args.id_detalle_conteo.to_string())? {
                return Err(duplicate_key("detalles_conteo_pkey"));
            }
            insert(
                ctx.conn,
                "detalles_conteo",
                &[
                    ("id_detalle_conteo", json!(args.id_detalle_conteo)),
                    ("id_conteo", json!(args.id_conteo)),
                    ("id_repuesto", json!(id_repuesto)),
                    ("cantidad_sistema", json!(sistema)),
                    ("cantidad_csa", json!(args.cantidad_csa)),
                    ("cantidad_pq", json!(args.cantidad_pq)),
                    ("diferencia", json!(diferencia)),
                    ("observaciones", observaciones),
                ],
            )?;
            args.id_detalle_conteo
        }
    };
    refresh_summary(ctx, args.id_conteo)?;
    Ok(json!({"id_detalle_conteo": id_detalle, "cantidad_sistema": sistema, "diferencia": diferencia}))
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

pub(super) fn close(ctx: &LocalCtx<'_>, args: &CountClose) -> LocalResult<Value> {
    let (id_localizacion, fecha_conteo) = open_count(ctx, args.id_conteo)?;
    let fecha_conteo = fecha_conteo.unwrap_or(ctx.at);
    let times = counted_times(ctx, args.id_conteo)?;
    let lines = count_lines(ctx, args.id_conteo)?;
    // As the server: a stored line with more loose parts than units is refused at closing too.
    for &(id_detalle, id_repuesto, csa, pq, _) in &lines {
        check_count_line(csa, pq).map_err(|rechazo| {
            rechazo.with("id_detalle_conteo", id_detalle.to_string()).with("id_repuesto", id_repuesto.to_string())
        })?;
    }
    let mut adjusted = 0;
    let mut absorbed = 0;
    for (id_detalle, id_repuesto, csa, pq, _) in lines {
        let counted_at = times.iter().find(|(part, _)| *part == id_repuesto).map_or(fecha_conteo, |(_, at)| *at);
        let item = ensure_item(ctx, id_localizacion, id_repuesto)?;
        let ledger = ledger_rows(ctx.conn, item.id_inventario)?;
        let current = count_anchor(&ledger);
        let after = deltas_after(&ledger, counted_at);
        let anchor = CountAnchor { at: counted_at, id_conteo: args.id_conteo };
        let entry = apply_count(ItemState { stock: item.stock, anchor: current }, anchor, csa, pq, after);
        let detalles = json!({"id_conteo": args.id_conteo, "id_detalle_conteo": id_detalle, "contado_en": counted_at,
                              "cantidad_csa": csa, "cantidad_pq": pq, "deltas_posteriores": after,
                              "absorbido": entry.ledger.absorbed, "id_mutacion": ctx.id_mutacion});
        write_entry(ctx, item.id_inventario, TipoOperacion::ConteoFisico, &entry.ledger, None, detalles, counted_at)?;
        if entry.ledger.absorbed {
            absorbed += 1;
        } else {
            adjusted += 1;
            let key = item.id_inventario.to_string();
            let veces = get(ctx.conn, "inventario", &key)?
                .and_then(|(table, row)| super::int_at(table, &row, "veces_contado"))
                .unwrap_or(0);
            update(ctx.conn, "inventario", &key, &[("veces_contado", json!(veces + 1)), ("updated_at", ctx.now())])?;
        }
    }
    insert(
        ctx.conn,
        "conteos_cerrados",
        &[("id_conteo", json!(args.id_conteo)), ("id_usuario", json!(ctx.user.id_usuario)), ("cerrado_en", ctx.now())],
    )?;
    Ok(json!({"lineas_ajustadas": adjusted, "lineas_absorbidas": absorbed}))
}
