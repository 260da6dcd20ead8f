//! Stock is a ledger, locally too: [`change_stock`] is the only local code that moves
//! `inventario.stock_actual`, always together with a `logs_inventario` row, and with the
//! decision of `taller_domain::decide::ledger` (absorbed by a later count, negative stock
//! allowed or refused, the row's `detalles`), as the server's `mutations/ledger.rs` writes it,
//! minus the conflict entry and the notification the server raises for absorbed and negative
//! changes.

use super::{insert, parse_timestamp, LocalCtx, LocalResult};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde_json::{json, Value};
use taller_domain::decide::ledger::{ItemFacts, LedgerWrite, StockChange};
use taller_domain::stock::{CountAnchor, LedgerEntry};
use taller_domain::{NegativeStockPolicy, TipoOperacion};
use uuid::Uuid;

/// The inventory row of a part at a location.
pub(super) struct Item {
    pub id_inventario: Uuid,
    pub stock: i32,
}

/// The inventory row of a part at a location, created locally at zero stock when missing
/// (with a fresh id: the server creates its own row, which replaces this one at the next pull).
pub(super) fn ensure_item(ctx: &LocalCtx<'_>, id_localizacion: Uuid, id_repuesto: Uuid) -> LocalResult<Item> {
    if let Some(item) = find_item(ctx.conn, id_localizacion, id_repuesto)? {
        return Ok(item);
    }
    let id_inventario = Uuid::new_v4();
    insert(
        ctx.conn,
        "inventario",
        &[
            ("id_inventario", json!(id_inventario)),
            ("id_localizacion", json!(id_localizacion)),
            ("id_repuesto", json!(id_repuesto)),
            ("stock_actual", json!(0)),
            ("cantidad_minima", json!(0)),
            ("veces_contado", json!(0)),
            ("created_at", ctx.now()),
            ("updated_at", ctx.now()),
        ],
    )?;
    Ok(Item { id_inventario, stock: 0 })
}

/// The inventory row of a part at a location, if the replica has one.
pub(super) fn find_item(conn: &Connection, id_localizacion: Uuid, id_repuesto: Uuid) -> LocalResult<Option<Item>> {
    let row: Option<(String, i64)> = conn
        .prepare_cached(
            "SELECT id_inventario, stock_actual FROM inventario WHERE id_localizacion = ?1 AND id_repuesto = ?2 \
              ORDER BY id_inventario LIMIT 1",
        )?
        .query_row([id_localizacion.to_string(), id_repuesto.to_string()], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    Ok(row.and_then(|(id, stock)| {
        Some(Item { id_inventario: id.parse().ok()?, stock: i32::try_from(stock).unwrap_or_default() })
    }))
}

/// One `logs_inventario` row, as far as the ledger rules need it.
pub(super) struct LedgerRow {
    pub fecha: DateTime<Utc>,
    pub tipo_operacion: String,
    pub detalles: Value,
}

/// The count rows of an item's ledger (`CONTEO_FISICO`), through the partial index of
/// migration 0002: what [`count_anchor`] needs, without reading every movement ever recorded.
pub(super) const COUNT_ROWS: &str = "SELECT fecha, tipo_operacion, detalles FROM logs_inventario \
     WHERE id_inventario = ?1 AND tipo_operacion = 'CONTEO_FISICO'";

pub(super) fn count_rows(conn: &Connection, id_inventario: Uuid) -> LocalResult<Vec<LedgerRow>> {
    read_ledger(conn, COUNT_ROWS, id_inventario)
}

fn read_ledger(conn: &Connection, sql: &str, id_inventario: Uuid) -> LocalResult<Vec<LedgerRow>> {
    let mut statement = conn.prepare_cached(sql)?;
    let found = statement.query_map([id_inventario.to_string()], |row| {
        Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, Option<String>>(2)?))
    })?;
    let mut out = Vec::new();
    for row in found {
        let (fecha, tipo_operacion, detalles) = row?;
        let Some(fecha) = parse_timestamp(&fecha) else { continue };
        let detalles = detalles.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or(Value::Null);
        out.push(LedgerRow { fecha, tipo_operacion, detalles });
    }
    Ok(out)
}

/// `detalles->>'absorbido'` read as the server's `COALESCE((...)::boolean, false)`.
fn absorbed(detalles: &Value) -> bool {
    match detalles.get("absorbido") {
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(text)) => matches!(text.as_str(), "true" | "t" | "yes" | "on" | "1"),
        _ => false,
    }
}

/// The latest count applied to an item: its non-absorbed `CONTEO_FISICO` row with the greatest
/// (time counted, count id).
pub(super) fn count_anchor(rows: &[LedgerRow]) -> Option<CountAnchor> {
    rows.iter()
        .filter(|row| row.tipo_operacion == TipoOperacion::ConteoFisico.as_str() && !absorbed(&row.detalles))
        .map(|row| CountAnchor {
            at: row.fecha,
            id_conteo: row
                .detalles
                .get("id_conteo")
                .and_then(Value::as_str)
                .and_then(|t| t.parse().ok())
                .unwrap_or_default(),
        })
        .max()
}

/// The location's negative-stock policy (`allow` when it has none).
pub(super) fn location_policy(conn: &Connection, id_localizacion: Uuid) -> LocalResult<NegativeStockPolicy> {
    let text: Option<String> = conn
        .prepare_cached("SELECT stock_negativo FROM localizacion_politicas WHERE id_localizacion = ?1")?
        .query_row([id_localizacion.to_string()], |row| row.get(0))
        .optional()?;
    Ok(text.as_deref().and_then(NegativeStockPolicy::parse).unwrap_or_default())
}

/// Writes one planned ledger row and moves `stock_actual` to its `cantidad_nueva`.
pub(super) fn write_entry(ctx: &LocalCtx<'_>, id_inventario: Uuid, write: &LedgerWrite) -> LocalResult<Uuid> {
    let entry = &write.entry;
    if write.moves_stock() {
        super::update(
            ctx.conn,
            "inventario",
            &id_inventario.to_string(),
            &[("stock_actual", json!(entry.cantidad_nueva)), ("updated_at", ctx.now())],
        )?;
    }
    let id_log = Uuid::new_v4();
    insert(
        ctx.conn,
        "logs_inventario",
        &[
            ("id_log", json!(id_log)),
            ("id_inventario", json!(id_inventario)),
            ("id_usuario", json!(ctx.user.id_usuario)),
            ("tipo_operacion", json!(write.tipo.as_str())),
            ("cantidad_anterior", json!(entry.cantidad_anterior)),
            ("cantidad_nueva", json!(entry.cantidad_nueva)),
            ("diferencia", json!(entry.diferencia)),
            ("motivo", write.motivo.as_deref().map_or(Value::Null, |text| json!(text))),
            ("detalles", write.detalles.clone()),
            ("fecha", super::timestamp(write.fecha)),
        ],
    )?;
    Ok(id_log)
}

/// Applies a stock change dated at the person's time: creates the item if needed, reads what
/// the decision needs (count anchor, location policy) and writes the ledger row it plans.
/// Under the `reject` policy a change below zero is refused with `insufficient_stock`.
pub(super) fn change_stock(ctx: &LocalCtx<'_>, change: &StockChange) -> LocalResult<LedgerEntry> {
    let item = ensure_item(ctx, change.id_localizacion, change.id_repuesto)?;
    let anchor = count_anchor(&count_rows(ctx.conn, item.id_inventario)?);
    let policy = location_policy(ctx.conn, change.id_localizacion)?;
    let write = change.plan(ItemFacts { stock: item.stock, anchor, policy }, ctx.at, ctx.id_mutacion)?;
    write_entry(ctx, item.id_inventario, &write)?;
    Ok(write.entry)
}

#[cfg(test)]
mod tests {
    use super::COUNT_ROWS;
    use crate::replica::{query_plan, Replica};

    /// A stock change reads the item's count rows through their own index, so its cost does
    /// not grow with the movements the item has had.
    #[test]
    fn the_count_anchor_is_read_through_the_count_index() {
        let replica = Replica::in_memory().expect("replica");
        let plan = query_plan(&replica.conn, COUNT_ROWS);
        assert!(plan.contains("USING INDEX idx_logs_inventario_conteos (id_inventario=?)"), "{plan}");
    }
}
