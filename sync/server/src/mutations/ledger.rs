//! Stock is a ledger: every change of `inventario.stock_actual` is written here together with
//! its `logs_inventario` row, in the caller's transaction. The decision (absorbed by a later
//! count, negative stock allowed or refused, the row's `detalles`) is
//! `taller_domain::decide::ledger`'s.

use super::{notify, record_conflict, Ctx, Failure};
use serde_json::{json, Value};
use sqlx::PgConnection;
use taller_domain::decide::ledger::{ItemFacts, LedgerWrite, StockChange};
use taller_domain::stock::{CountAnchor, LedgerEntry};
use taller_domain::NegativeStockPolicy;
use uuid::Uuid;

/// The inventory row of a part at a location, created at zero stock when missing, locked.
pub struct Item {
    pub id_inventario: Uuid,
    pub stock: i32,
}

pub async fn lock_item(conn: &mut PgConnection, id_localizacion: Uuid, id_repuesto: Uuid) -> Result<Item, sqlx::Error> {
    const LOCK: &str = "SELECT id_inventario, stock_actual FROM inventario \
                         WHERE id_localizacion = $1 AND id_repuesto = $2 FOR UPDATE";
    // The row usually exists: lock it in one statement, and create it only when missing.
    let found: Option<(Uuid, i32)> =
        sqlx::query_as(LOCK).bind(id_localizacion).bind(id_repuesto).fetch_optional(&mut *conn).await?;
    let (id_inventario, stock) = match found {
        Some(found) => found,
        None => {
            sqlx::query(
                "INSERT INTO inventario (id_localizacion, id_repuesto) VALUES ($1, $2) \
                 ON CONFLICT (id_localizacion, id_repuesto) DO NOTHING",
            )
            .bind(id_localizacion)
            .bind(id_repuesto)
            .execute(&mut *conn)
            .await?;
            sqlx::query_as(LOCK).bind(id_localizacion).bind(id_repuesto).fetch_one(&mut *conn).await?
        }
    };
    Ok(Item { id_inventario, stock })
}

/// The query of an item's count anchor (`$item`: the SQL naming the item, `$1` by default),
/// as a literal for `concat!`.
macro_rules! anchor_query {
    () => {
        anchor_query!("$1")
    };
    ($item:literal) => {
        concat!(
            "SELECT fecha, detalles->>'id_conteo' AS id_conteo FROM logs_inventario \
              WHERE id_inventario = ",
            $item,
            " AND tipo_operacion = 'CONTEO_FISICO' \
                AND NOT COALESCE((detalles->>'absorbido')::boolean, false) \
              ORDER BY fecha DESC, detalles->>'id_conteo' DESC LIMIT 1"
        )
    };
}
pub(crate) use anchor_query;

/// The latest count applied to an item: its non-absorbed `CONTEO_FISICO` row with the
/// greatest (time counted, count id).
pub async fn count_anchor(conn: &mut PgConnection, id_inventario: Uuid) -> Result<Option<CountAnchor>, sqlx::Error> {
    let row: Option<(chrono::DateTime<chrono::Utc>, Option<String>)> =
        sqlx::query_as(anchor_query!()).bind(id_inventario).fetch_optional(&mut *conn).await?;
    Ok(row.map(|(at, id)| CountAnchor { at, id_conteo: id.and_then(|text| text.parse().ok()).unwrap_or_default() }))
}

/// [`count_anchor`] and the location's negative-stock policy in one statement (every stock change reads both).
pub async fn anchor_and_policy(
    conn: &mut PgConnection,
    id_inventario: Uuid,
    id_localizacion: Uuid,
) -> Result<(Option<CountAnchor>, NegativeStockPolicy), sqlx::Error> {
    let (at, id, policy): (Option<chrono::DateTime<chrono::Utc>>, Option<String>, Option<String>) =
        sqlx::query_as(concat!(
            "SELECT a.fecha, a.id_conteo, \
                (SELECT stock_negativo FROM localizacion_politicas WHERE id_localizacion = $2) \
           FROM (SELECT 1) one LEFT JOIN LATERAL (",
            anchor_query!(),
            ") a ON true"
        ))
        .bind(id_inventario)
        .bind(id_localizacion)
        .fetch_one(&mut *conn)
        .await?;
    let anchor = at.map(|at| CountAnchor { at, id_conteo: id.and_then(|text| text.parse().ok()).unwrap_or_default() });
    Ok((anchor, policy.as_deref().and_then(NegativeStockPolicy::parse).unwrap_or_default()))
}

/// Writes one planned ledger row (by the acting user) and moves `stock_actual` to its
/// `cantidad_nueva`.
pub async fn write_entry(
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    id_inventario: Uuid,
    write: &LedgerWrite,
) -> Result<Uuid, sqlx::Error> {
    let entry = &write.entry;
    if write.moves_stock() {
        sqlx::query("UPDATE inventario SET stock_actual = $2 WHERE id_inventario = $1")
            .bind(id_inventario)
            .bind(entry.cantidad_nueva)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query_scalar(
        "INSERT INTO logs_inventario (id_inventario, id_usuario, tipo_operacion, cantidad_anterior, \
                                      cantidad_nueva, diferencia, motivo, detalles, fecha) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id_log",
    )
    .bind(id_inventario)
    .bind(ctx.user.id_usuario)
    .bind(write.tipo.as_str())
    .bind(entry.cantidad_anterior)
    .bind(entry.cantidad_nueva)
    .bind(entry.diferencia)
    .bind(&write.motivo)
    .bind(&write.detalles)
    .bind(write.fecha)
    .fetch_one(&mut *conn)
    .await
}

/// What a stock change did, for the mutation's outcome.
pub struct StockChanged {
    pub entry: LedgerEntry,
    pub conflicts: Vec<Value>,
}

/// Applies a stock change dated at the person's time: locks the item (creating it when
/// missing), reads what the decision needs (count anchor, location policy), writes the ledger
/// row it plans and raises its conflicts (absorbed, negative stock).
pub async fn change_stock(
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    change: &StockChange,
) -> Result<StockChanged, Failure> {
    let item = lock_item(conn, change.id_localizacion, change.id_repuesto).await?;
    // After the lock, so that a count committed meanwhile is seen (READ COMMITTED).
    let (anchor, policy) = anchor_and_policy(conn, item.id_inventario, change.id_localizacion).await?;
    let write = change.plan(ItemFacts { stock: item.stock, anchor, policy }, ctx.at, ctx.id_mutacion)?;
    let entry = write.entry;
    let id_log = write_entry(conn, ctx, item.id_inventario, &write).await?;
    let mut conflicts = Vec::new();
    if entry.absorbed {
        let conflict = record_conflict(
            conn,
            ctx,
            ctx.user.id_usuario,
            "absorbido",
            "inventario",
            &item.id_inventario.to_string(),
            Some("stock_actual"),
            [None, Some(&json!(entry.cantidad_anterior)), Some(&json!(change.delta))],
            None,
            json!({"id_log": id_log, "conteo": write.absorbed_by.map(|a| a.id_conteo)}),
        )
        .await?;
        conflicts.push(conflict);
    }
    if entry.went_negative {
        let negative = NegativeStock {
            id_inventario: item.id_inventario,
            id_localizacion: change.id_localizacion,
            id_repuesto: change.id_repuesto,
            entry: &entry,
            change: change.delta,
            id_log,
            cause: NegativeCause::Change,
        };
        conflicts.extend(raise_negative_stock(conn, ctx, &[ctx.user.id_usuario], &negative).await?);
    }
    Ok(StockChanged { entry, conflicts })
}

/// What took an item below zero.
pub enum NegativeCause {
    /// A stock change (movement, adjustment, dispatch...) accepted under the `allow` policy.
    Change,
    /// A count closed after accepted changes dated after its counted moment.
    LateCount { id_conteo: Uuid, contado_en: chrono::DateTime<chrono::Utc> },
}

/// An item left below zero by one ledger row.
pub struct NegativeStock<'a> {
    pub id_inventario: Uuid,
    pub id_localizacion: Uuid,
    pub id_repuesto: Uuid,
    pub entry: &'a LedgerEntry,
    /// The row's change as the person asked for it (for a count, its `diferencia`).
    pub change: i32,
    pub id_log: Uuid,
    pub cause: NegativeCause,
}

/// A `stock_negativo` conflict and a notification for each reviewer, in order. Returns the
/// conflicts for the mutation's outcome.
pub async fn raise_negative_stock(
    conn: &mut PgConnection,
    ctx: &Ctx<'_>,
    reviewers: &[Uuid],
    negative: &NegativeStock<'_>,
) -> Result<Vec<Value>, sqlx::Error> {
    let entry = negative.entry;
    let mut detalles = json!({"id_log": negative.id_log, "id_localizacion": negative.id_localizacion,
                              "id_repuesto": negative.id_repuesto});
    let mut datos = json!({"id_inventario": negative.id_inventario, "stock_actual": entry.cantidad_nueva,
                           "id_log": negative.id_log});
    if let NegativeCause::LateCount { id_conteo, contado_en } = negative.cause {
        for extra in [&mut detalles, &mut datos] {
            extra["id_conteo"] = json!(id_conteo);
            extra["contado_en"] = json!(contado_en);
        }
    }
    let referencia: Option<String> = sqlx::query_scalar("SELECT referencia FROM repuestos WHERE id_repuesto = $1")
        .bind(negative.id_repuesto)
        .fetch_optional(&mut *conn)
        .await?;
    let referencia = referencia.unwrap_or_default();
    let nueva = entry.cantidad_nueva;
    let (titulo, mensaje) = match (ctx.lang, &negative.cause) {
        (taller_domain::Lang::Es, NegativeCause::Change) => {
            ("Stock negativo", format!("{referencia} quedó en {nueva} unidades tras el movimiento."))
        }
        (taller_domain::Lang::En, NegativeCause::Change) => {
            ("Negative stock", format!("{referencia} is at {nueva} units after the movement."))
        }
        (taller_domain::Lang::Es, NegativeCause::LateCount { .. }) => (
            "Stock negativo",
            format!(
                "{referencia} quedó en {nueva} unidades tras el conteo: salieron más unidades de las contadas \
                 después del momento del conteo."
            ),
        ),
        (taller_domain::Lang::En, NegativeCause::LateCount { .. }) => (
            "Negative stock",
            format!(
                "{referencia} is at {nueva} units after the count: more units left after the moment counted \
                 than were counted."
            ),
        ),
    };
    let clave = negative.id_inventario.to_string();
    let mut conflicts = Vec::with_capacity(reviewers.len());
    for &reviewer in reviewers {
        // A reviewer other than the person acting (a count's counter) is told who that was.
        let otro_usuario = (reviewer != ctx.user.id_usuario).then_some(ctx.user.id_usuario);
        let conflict = record_conflict(
            conn,
            ctx,
            reviewer,
            "stock_negativo",
            "inventario",
            &clave,
            Some("stock_actual"),
            [Some(&json!(entry.cantidad_anterior)), Some(&json!(nueva)), Some(&json!(negative.change))],
            otro_usuario,
            detalles.clone(),
        )
        .await?;
        conflicts.push(conflict);
        notify(
            conn,
            reviewer,
            Some(negative.id_localizacion),
            titulo,
            &mensaje,
            "stock_negativo",
            "alta",
            datos.clone(),
        )
        .await?;
    }
    Ok(conflicts)
}
