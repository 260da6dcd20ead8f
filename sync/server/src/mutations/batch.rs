//! Runs of technician movements applied together. A device's offline backlog is mostly
//! movements; one movement alone costs about eight statements in sequence (checks, the item
//! lock, its count anchor, three writes), while a run costs a fixed dozen whatever its length:
//! the checks, locks and writes go set-based, and the stock arithmetic is
//! `taller_domain::stock::plan_plain_run` (the same rule as one change at a time).
//!
//! Each movement is decided by the same pure function as one movement alone
//! (`taller_domain::decide::inventory::movement`), over facts read for the whole run at once.
//! Only movements that simply apply take this path: the decision accepts them (every reference
//! exists, the movement id is free), and the stock change is plain (no refusal, count absorption, negative stock or
//! low-stock crossing, which produce conflicts, notifications and alerts at their own moment).
//! [`movements`] applies the longest such prefix of a run; the caller applies the next movement
//! through its handler alone and tries a run again after it, so the outcome is the same as one
//! at a time (`tests/it/batch.rs` pushes one backlog both ways and compares).

use super::ledger::anchor_query;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};
use taller_domain::decide::inventory::{self as decide, MovementFacts, MovementPlan};
use taller_domain::decide::ledger::{change_details, StockChange};
use taller_domain::stock::{plan_plain_run, CountAnchor, ItemState, RunItem, RunStep};
use taller_domain::{Actor, NegativeStockPolicy, TipoOperacion};
use taller_protocol::mutations::MovementRecord;
use uuid::Uuid;

/// One movement of a run, already checked on its own (time, arguments, permission, and the
/// checks of `taller_domain::decide::inventory::check_movement`).
pub struct RunMovement {
    pub id_mutacion: Uuid,
    pub at: DateTime<Utc>,
    pub args: MovementRecord,
}

/// Applies the longest prefix of a run that can go set-based and returns each applied
/// movement's result (as the handler of one movement would). The prefix ends before the first
/// movement that must go alone: one the decision refuses (a reference that does not exist, a
/// movement id already taken), or whose stock change is not plain. An empty answer means that
/// the first movement must go alone; writes may have happened then (the caller rolls back to a
/// savepoint taken before).
pub async fn movements(conn: &mut PgConnection, actor: &Actor, run: &[RunMovement]) -> Result<Vec<Value>, sqlx::Error> {
    // The facts of every movement, each read once for the whole run; then the decision of one
    // movement, for each, in order.
    let missing_locations =
        missing(conn, "localizacion", "id_localizacion", run.iter().map(|m| m.args.id_localizacion)).await?;
    let missing_technicians =
        missing(conn, "usuarios", "id_usuario", run.iter().map(|m| m.args.id_tecnico_asignado)).await?;
    let parts = resolve_parts(conn, run.iter().map(|m| m.args.id_repuesto)).await?;
    let ids: Vec<Uuid> = run.iter().map(|m| m.args.id_movimientos_tecnicos).collect();
    let taken: HashSet<Uuid> = sqlx::query_scalar(
        "SELECT id_movimientos_tecnicos FROM movimientos_tecnicos WHERE id_movimientos_tecnicos = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let mut seen = HashSet::new();
    let mut plans: Vec<MovementPlan> = Vec::with_capacity(run.len());
    for m in run {
        let facts = MovementFacts {
            location_exists: !missing_locations.contains(&m.args.id_localizacion),
            part: parts.get(&m.args.id_repuesto).copied(),
            technician_exists: !missing_technicians.contains(&m.args.id_tecnico_asignado),
            // An earlier movement of the run takes its id too.
            id_taken: taken.contains(&m.args.id_movimientos_tecnicos) || !seen.insert(m.args.id_movimientos_tecnicos),
        };
        let Ok(plan) = decide::movement(actor, &m.args, &facts) else { break };
        plans.push(plan);
    }
    let run = &run[..plans.len()];

    // The items the run moves: the existing ones locked in key order, then their count anchors
    // and the locations' policies, read after the locks. A missing item is planned as the row
    // one movement would create (no stock, no minimum, no count).
    let mut pairs: Vec<(Uuid, Uuid)> = Vec::new();
    for change in plans.iter().filter_map(|plan| plan.stock.as_ref()) {
        let pair = (change.id_localizacion, change.id_repuesto);
        if !pairs.contains(&pair) {
            pairs.push(pair);
        }
    }
    let (locs, reps): (Vec<Uuid>, Vec<Uuid>) = pairs.iter().copied().unzip();
    let locked = lock_items(conn, &locs, &reps).await?;
    let existing: HashMap<(Uuid, Uuid), (Uuid, i32, i32)> =
        locked.iter().map(|item| ((item.loc, item.rep), (item.id, item.stock, item.minimum))).collect();
    let locked_ids: Vec<Uuid> = locked.iter().map(|item| item.id).collect();
    let anchors: Vec<(Uuid, DateTime<Utc>, Option<String>)> = sqlx::query_as(concat!(
        "SELECT k.id, a.fecha, a.id_conteo FROM unnest($1::uuid[]) k(id) CROSS JOIN LATERAL (",
        anchor_query!("k.id"),
        ") a"
    ))
    .bind(&locked_ids)
    .fetch_all(&mut *conn)
    .await?;
    let anchors: HashMap<Uuid, CountAnchor> = anchors
        .into_iter()
        .map(|(id, at, conteo)| {
            (id, CountAnchor { at, id_conteo: conteo.and_then(|text| text.parse().ok()).unwrap_or_default() })
        })
        .collect();
    let policies: HashMap<Uuid, NegativeStockPolicy> = sqlx::query_as::<_, (Uuid, String)>(
        "SELECT id_localizacion, stock_negativo FROM localizacion_politicas WHERE id_localizacion = ANY($1)",
    )
    .bind(&locs)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .filter_map(|(loc, text)| NegativeStockPolicy::parse(&text).map(|policy| (loc, policy)))
    .collect();
    let items: Vec<RunItem> = pairs
        .iter()
        .map(|pair| {
            let (id, stock, minimum) = existing.get(pair).copied().unwrap_or((Uuid::nil(), 0, 0));
            let anchor = anchors.get(&id).copied();
            let policy = policies.get(&pair.0).copied().unwrap_or_default();
            RunItem { state: ItemState { stock, anchor }, minimum, policy }
        })
        .collect();
    let mut steps = Vec::new();
    let mut step_of = Vec::new();
    let moves = run.iter().zip(&plans).enumerate().filter_map(|(n, (m, plan))| Some((n, m, plan.stock.as_ref()?)));
    for (n, m, change) in moves {
        let Some(item) = pairs.iter().position(|pair| *pair == (change.id_localizacion, change.id_repuesto)) else {
            break;
        };
        steps.push(RunStep { item, delta: change.delta, at: m.at });
        step_of.push(n);
    }
    let plan = plan_plain_run(&items, &steps);
    // The movements up to the first step left out of the plan.
    let run = &run[..step_of.get(plan.entries.len()).copied().unwrap_or(run.len())];
    let steps = &steps[..plan.entries.len()];
    if run.is_empty() {
        return Ok(Vec::new());
    }

    // The items the prefix moves and that do not exist yet, created now; they must be what the
    // plan assumed (another transaction may have created one meanwhile).
    let mut item_ids: Vec<Uuid> =
        pairs.iter().map(|pair| existing.get(pair).map(|row| row.0).unwrap_or_default()).collect();
    let created: Vec<usize> = steps
        .iter()
        .map(|step| step.item)
        .filter(|&i| item_ids[i].is_nil())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if !created.is_empty() {
        let new_locs: Vec<Uuid> = created.iter().map(|&i| pairs[i].0).collect();
        let new_reps: Vec<Uuid> = created.iter().map(|&i| pairs[i].1).collect();
        sqlx::query(
            "INSERT INTO inventario (id_localizacion, id_repuesto) SELECT * FROM unnest($1::uuid[], $2::uuid[]) \
             ON CONFLICT (id_localizacion, id_repuesto) DO NOTHING",
        )
        .bind(&new_locs)
        .bind(&new_reps)
        .execute(&mut *conn)
        .await?;
        let fresh = lock_items(conn, &new_locs, &new_reps).await?;
        if fresh.len() != created.len() || fresh.iter().any(|item| !item.untouched) {
            return Ok(Vec::new());
        }
        for item in fresh {
            if let Some(i) = pairs.iter().position(|pair| *pair == (item.loc, item.rep)) {
                item_ids[i] = item.id;
            }
        }
    }

    // The writes: movements, then the items' new stock, then the ledger, each one statement.
    let inserted = sqlx::query(
        "INSERT INTO movimientos_tecnicos (id_movimientos_tecnicos, id_localizacion, id_repuesto, id_usuario_responsable, \
             id_tecnico_asignado, concepto, tipo, cantidad, numero_orden, descargada, fecha) \
         SELECT m.id, m.loc, m.rep, $4, m.tecnico, m.concepto, m.tipo, m.cantidad, m.orden, m.descargada, m.fecha \
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $5::uuid[], $6::text[], $7::text[], $8::int4[], $9::int4[], \
                       $10::bool[], $11::timestamptz[]) WITH ORDINALITY \
                AS m(id, loc, rep, tecnico, concepto, tipo, cantidad, orden, descargada, fecha, n) \
          ORDER BY m.n \
         ON CONFLICT (id_movimientos_tecnicos) DO NOTHING",
    )
    .bind(run.iter().map(|m| m.args.id_movimientos_tecnicos).collect::<Vec<_>>())
    .bind(run.iter().map(|m| m.args.id_localizacion).collect::<Vec<_>>())
    .bind(plans.iter().map(|plan| plan.id_repuesto).collect::<Vec<_>>())
    .bind(actor.id_usuario)
    .bind(run.iter().map(|m| m.args.id_tecnico_asignado).collect::<Vec<_>>())
    .bind(run.iter().map(|m| m.args.concepto.as_str()).collect::<Vec<_>>())
    .bind(run.iter().map(|m| m.args.tipo.as_str()).collect::<Vec<_>>())
    .bind(run.iter().map(|m| m.args.cantidad).collect::<Vec<_>>())
    .bind(run.iter().map(|m| m.args.numero_orden).collect::<Vec<_>>())
    .bind(plans.iter().map(|plan| plan.effect.descargada).collect::<Vec<_>>())
    .bind(run.iter().map(|m| m.at).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    if inserted.rows_affected() != run.len() as u64 {
        // Another transaction took an id meanwhile: one at a time says which.
        return Ok(Vec::new());
    }
    let moved: Vec<usize> = steps.iter().map(|step| step.item).collect::<HashSet<_>>().into_iter().collect();
    sqlx::query(
        "UPDATE inventario i SET stock_actual = v.stock FROM unnest($1::uuid[], $2::int4[]) v(id, stock) \
          WHERE i.id_inventario = v.id",
    )
    .bind(moved.iter().map(|&i| item_ids[i]).collect::<Vec<_>>())
    .bind(moved.iter().map(|&i| plan.stocks[i]).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    // The ledger rows of the planned steps: the `detalles` a stock change of one movement
    // writes (the plain prefix is never absorbed).
    let moving: Vec<(&RunMovement, &StockChange)> =
        run.iter().zip(&plans).filter_map(|(m, plan)| Some((m, plan.stock.as_ref()?))).collect();
    let details: Vec<Value> = moving
        .iter()
        .zip(&plan.entries)
        .map(|((m, change), entry)| change_details(&change.detalles, m.id_mutacion, change.delta, entry, None))
        .collect();
    sqlx::query(
        "INSERT INTO logs_inventario (id_inventario, id_usuario, tipo_operacion, cantidad_anterior, cantidad_nueva, \
                                      diferencia, motivo, detalles, fecha) \
         SELECT l.item, $2, $3, l.anterior, l.nueva, l.diferencia, NULL, l.detalles, l.fecha \
           FROM unnest($1::uuid[], $4::int4[], $5::int4[], $6::int4[], $7::jsonb[], $8::timestamptz[]) WITH ORDINALITY \
                AS l(item, anterior, nueva, diferencia, detalles, fecha, n) \
          ORDER BY l.n",
    )
    .bind(steps.iter().map(|step| item_ids[step.item]).collect::<Vec<_>>())
    .bind(actor.id_usuario)
    .bind(TipoOperacion::MovimientoTecnico.as_str())
    .bind(plan.entries.iter().map(|e| e.cantidad_anterior).collect::<Vec<_>>())
    .bind(plan.entries.iter().map(|e| e.cantidad_nueva).collect::<Vec<_>>())
    .bind(plan.entries.iter().map(|e| e.diferencia).collect::<Vec<_>>())
    .bind(&details)
    .bind(moving.iter().map(|(m, _)| m.at).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;

    let mut entries = plan.entries.iter();
    let results = run
        .iter()
        .zip(&plans)
        .map(|(m, movement)| {
            let entry = if movement.stock.is_some() { entries.next() } else { None };
            Value::Object(decide::movement_result(&m.args, entry))
        })
        .collect();
    Ok(results)
}

/// An inventory row locked for a run.
struct LockedItem {
    id: Uuid,
    loc: Uuid,
    rep: Uuid,
    stock: i32,
    minimum: i32,
    /// As a movement would have created it: no stock, no minimum, no ledger row.
    untouched: bool,
}

/// Locks the inventory rows of (location, part) pairs, in key order.
async fn lock_items(conn: &mut PgConnection, locs: &[Uuid], reps: &[Uuid]) -> Result<Vec<LockedItem>, sqlx::Error> {
    let rows: Vec<(Uuid, Uuid, Uuid, i32, i32, bool)> = sqlx::query_as(
        "SELECT i.id_inventario, i.id_localizacion, i.id_repuesto, i.stock_actual, i.cantidad_minima, \
                i.stock_actual = 0 AND i.cantidad_minima = 0 \
                AND NOT EXISTS (SELECT 1 FROM logs_inventario l WHERE l.id_inventario = i.id_inventario) \
           FROM inventario i JOIN unnest($1::uuid[], $2::uuid[]) k(loc, rep) \
             ON i.id_localizacion = k.loc AND i.id_repuesto = k.rep \
          ORDER BY i.id_inventario FOR UPDATE OF i",
    )
    .bind(locs)
    .bind(reps)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, loc, rep, stock, minimum, untouched)| LockedItem { id, loc, rep, stock, minimum, untouched })
        .collect())
}

/// The ids that name no row of `table` (identifiers are this module's constants).
async fn missing(
    conn: &mut PgConnection,
    table: &'static str,
    key: &'static str,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashSet<Uuid>, sqlx::Error> {
    let ids: Vec<Uuid> = ids.collect::<HashSet<_>>().into_iter().collect();
    let missing: Vec<Uuid> = sqlx::query_scalar(&format!(
        "SELECT k.id FROM unnest($1::uuid[]) k(id) WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {key} = k.id)"
    ))
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(missing.into_iter().collect())
}

/// Each part id that exists, resolved through the merge aliases.
pub(super) async fn resolve_parts(
    conn: &mut PgConnection,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, Uuid>, sqlx::Error> {
    let ids: Vec<Uuid> = ids.collect::<HashSet<_>>().into_iter().collect();
    let rows: Vec<(Uuid, Uuid, bool)> = sqlx::query_as(
        "SELECT r.given, r.id, EXISTS (SELECT 1 FROM repuestos WHERE id_repuesto = r.id) \
           FROM (SELECT k.given, COALESCE(a.id_real, k.given) AS id FROM unnest($1::uuid[]) k(given) \
                   LEFT JOIN sync_id_alias a ON a.tabla = 'repuestos' AND a.id_alias = k.given) r",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().filter(|row| row.2).map(|(given, id, _)| (given, id)).collect())
}
