//! Runs of movements applied set-based (`mutations::batch`) give exactly what one mutation at a
//! time gives: the same outcomes, stock, ledger, movements, conflicts and notifications. The
//! same backlog goes to two servers, one with `batch_movements` off (the reference path).

use crate::harness::*;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use taller_protocol::messages::{Outcome, OutcomeStatus};
use taller_protocol::mutations::MutationEnvelope;
use taller_server::config::Config;
use uuid::Uuid;

/// A backlog mixing plain runs with every reason a run must go one at a time: a missing
/// part, a movement id already taken, a quote, a low-stock crossing, stock going below zero,
/// and movements absorbed by a count.
fn backlog(
    world: &World,
    device: &Device,
    ids: &[Uuid],
    missing_part: Uuid,
    start: DateTime<Utc>,
) -> Vec<MutationEnvelope> {
    let loc = world.locs[1];
    let tech = world.norte.user_id();
    let mut batch = Vec::new();
    for (k, id) in ids.iter().enumerate() {
        let at = start + Duration::minutes(k as i64);
        let (part, concepto, tipo, cantidad) = match k {
            100 => (missing_part, "salida", "salida", 1),
            130 => (world.parts[3], "cotizacion", "venta", 2),
            250..=252 => (world.parts[8], "salida", "salida", 1),
            _ if k % 7 == 3 => (world.parts[9], "salida", "salida", 1),
            _ if k % 3 == 0 => (world.parts[k % 8], "devolucion", "ingreso", 2),
            _ => (world.parts[k % 8], "salida", "salida", 1),
        };
        let mut args = movement_args(loc, part, tech, concepto, tipo, cantidad);
        // k = 200 reuses the movement id of k = 10.
        let movement_id = if k == 200 { ids[10] } else { *id };
        args["id_movimientos_tecnicos"] = json!(movement_id);
        let mut envelope = device.envelope_at("movement.record", args, at);
        envelope.id = *id;
        batch.push(envelope);
    }
    batch
}

/// What the backlog did to the world (rows written since `since`, and the items it moved), in
/// terms both worlds share (names, references, client-given ids).
async fn snapshot(world: &World, since: DateTime<Utc>) -> Value {
    let rows = |sql: &'static str| {
        let pool = world.db.pool.clone();
        async move {
            let rows: Vec<(Value,)> = sqlx::query_as(sql).bind(since).fetch_all(&pool).await.expect(sql);
            Value::Array(rows.into_iter().map(|(row,)| row).collect())
        }
    };
    json!({
        "stock": rows("SELECT to_jsonb(x) FROM (SELECT l.nombre, r.referencia, i.stock_actual, i.cantidad_minima \
                         FROM inventario i JOIN localizacion l USING (id_localizacion) JOIN repuestos r USING (id_repuesto) \
                        WHERE $1 IS NOT NULL AND EXISTS (SELECT 1 FROM movimientos_tecnicos m \
                                WHERE m.id_localizacion = i.id_localizacion AND m.id_repuesto = i.id_repuesto) \
                        ORDER BY 1, 2) x").await,
        "movements": rows("SELECT to_jsonb(x) FROM (SELECT m.id_movimientos_tecnicos, l.nombre, r.referencia, m.concepto, \
                             m.tipo, m.cantidad, m.descargada, m.fecha FROM movimientos_tecnicos m \
                             JOIN localizacion l USING (id_localizacion) JOIN repuestos r USING (id_repuesto) \
                            WHERE $1 IS NOT NULL ORDER BY 1) x").await,
        "ledger": rows("SELECT to_jsonb(x) FROM (SELECT r.referencia, g.tipo_operacion, g.cantidad_anterior, g.cantidad_nueva, \
                          g.diferencia, g.fecha, g.detalles - 'id_tecnico_asignado' AS detalles \
                          FROM logs_inventario g JOIN inventario i USING (id_inventario) JOIN repuestos r USING (id_repuesto) \
                         WHERE g.detalles ? 'id_mutacion' OR (g.tipo_operacion = 'CONTEO_FISICO' AND g.fecha > $1) \
                         ORDER BY g.fecha, r.referencia, g.detalles->>'id_mutacion') x").await,
        "conflicts": rows("SELECT to_jsonb(x) FROM (SELECT tipo, tabla, campo, count(*) AS n FROM conflictos WHERE created_at >= $1 \
                            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3) x").await,
        "notifications": rows("SELECT to_jsonb(x) FROM (SELECT tipo, titulo, mensaje, count(*) AS n FROM notificaciones WHERE created_at >= $1 \
                                GROUP BY 1, 2, 3 ORDER BY 1, 2, 3) x").await,
        "outcomes": rows("SELECT to_jsonb(x) FROM (SELECT id_mutacion, seq, estado, codigo, \
                           resultado->'stock_actual' AS stock, resultado->'absorbido' AS absorbido, \
                           jsonb_array_length(COALESCE(resultado->'conflicts', '[]')) AS conflicts \
                           FROM sync_mutations WHERE $1 IS NOT NULL ORDER BY seq) x").await,
    })
}

fn summary(outcomes: &[Outcome]) -> Vec<(OutcomeStatus, Option<String>, Value, Value)> {
    outcomes
        .iter()
        .map(|o| {
            let stock = o.result.get("stock_actual").cloned().unwrap_or(Value::Null);
            let absorbed = o.result.get("absorbido").cloned().unwrap_or(Value::Null);
            (o.status, o.code.clone(), stock, absorbed)
        })
        .collect()
}

async fn run(
    batch_movements: bool,
    ids: &[Uuid],
    device_id: Uuid,
    missing_part: Uuid,
    start: DateTime<Utc>,
) -> (World, Vec<Outcome>, Value) {
    let world = World::with_config(Config { batch_movements, ..Config::default() }).await;
    let loc = world.locs[1];
    for part in &world.parts[..10] {
        world.set_stock(loc, *part, 40).await;
    }
    sqlx::query("UPDATE inventario SET cantidad_minima = 3 WHERE id_localizacion = $1 AND id_repuesto = ANY($2)")
        .bind(loc)
        .bind(&world.parts[..10])
        .execute(&world.db.pool)
        .await
        .expect("minimums");
    // parts[8] sits just above its minimum: the run crosses it, then goes below zero.
    world.set_stock(loc, world.parts[8], 2).await;
    sqlx::query("UPDATE inventario SET cantidad_minima = 1 WHERE id_localizacion = $1 AND id_repuesto = $2")
        .bind(loc)
        .bind(world.parts[8])
        .execute(&world.db.pool)
        .await
        .expect("minimum");
    // parts[9] was counted (by another application) in the middle of the backlog's times:
    // the movements dated before the count are absorbed.
    sqlx::query(
        "INSERT INTO logs_inventario (id_inventario, id_usuario, tipo_operacion, cantidad_anterior, cantidad_nueva, \
             diferencia, detalles, fecha) \
         SELECT id_inventario, taller_usuario_sistema(), 'CONTEO_FISICO', stock_actual, stock_actual, 0, \
                jsonb_build_object('id_conteo', '00000000-0000-0000-0000-0000000000c1'), $3 \
           FROM inventario WHERE id_localizacion = $1 AND id_repuesto = $2",
    )
    .bind(loc)
    .bind(world.parts[9])
    .bind(start + Duration::hours(3))
    .execute(&world.db.pool)
    .await
    .expect("count");
    let since: DateTime<Utc> = sqlx::query_scalar("SELECT now()").fetch_one(&world.db.pool).await.expect("now");
    let mut device = Device::new();
    device.id = device_id;
    let batch = backlog(&world, &device, ids, missing_part, start);
    // Two requests that overlap: the second re-sends 100 mutations of the first.
    let first = world.norte.push(device.id, &batch[..300]).await;
    let second = world.norte.push(device.id, &batch[200..]).await;
    assert_eq!(&second.outcomes[..100], &first.outcomes[200..], "re-sent mutations get their recorded outcomes");
    let mut outcomes = first.outcomes;
    outcomes.extend_from_slice(&second.outcomes[100..]);
    world.assert_ledger_consistent().await;
    let state = snapshot(&world, since).await;
    (world, outcomes, state)
}

#[tokio::test]
async fn runs_of_movements_applied_together_equal_one_at_a_time() {
    let ids: Vec<Uuid> = (0..420).map(|_| Uuid::new_v4()).collect();
    let (device, missing_part) = (Uuid::new_v4(), Uuid::new_v4());
    // Whole seconds: both servers store the same instants.
    let start = DateTime::from_timestamp(Utc::now().timestamp() - 20 * 3600, 0).expect("a time");
    let (batched, batched_outcomes, batched_state) = run(true, &ids, device, missing_part, start).await;
    let (single, single_outcomes, single_state) = run(false, &ids, device, missing_part, start).await;

    assert_eq!(summary(&batched_outcomes), summary(&single_outcomes));
    for (key, single_rows) in single_state.as_object().expect("an object") {
        let (batched_rows, single_rows) = (batched_state[key].as_array(), single_rows.as_array());
        let (batched_rows, single_rows) = (batched_rows.expect("rows"), single_rows.expect("rows"));
        let first_difference = batched_rows.iter().zip(single_rows).position(|(a, b)| a != b);
        assert!(
            first_difference.is_none() && batched_rows.len() == single_rows.len(),
            "{key} differs: {} rows batched, {} one at a time; first difference at {first_difference:?}: {} against {}",
            batched_rows.len(),
            single_rows.len(),
            first_difference.map(|i| batched_rows[i].to_string()).unwrap_or_default(),
            first_difference.map(|i| single_rows[i].to_string()).unwrap_or_default(),
        );
    }

    // The backlog has every case it means to have.
    let count = |status: OutcomeStatus, code: Option<&str>| {
        single_outcomes.iter().filter(|o| o.status == status && o.code.as_deref() == code).count()
    };
    assert_eq!(count(OutcomeStatus::Rejected, Some("not_found")), 1);
    assert_eq!(count(OutcomeStatus::Rejected, Some("already_exists")), 1);
    let absorbed = single_outcomes.iter().filter(|o| o.result.get("absorbido") == Some(&json!(true))).count();
    assert!(absorbed >= 10, "movements before the count are absorbed: {absorbed}");
    let conflicts = single_state["conflicts"].as_array().map(Vec::len).unwrap_or(0);
    assert!(conflicts >= 2, "absorption and negative stock conflicts: {}", single_state["conflicts"]);
    let alerts: i64 = sqlx::query_scalar("SELECT count(*) FROM notificaciones WHERE tipo = 'alerta_stock'")
        .fetch_one(&single.db.pool)
        .await
        .expect("alerts");
    assert!(alerts >= 1, "the low-stock crossing alerted");

    // And the batched server really went set-based: a run writes one image per item it moves,
    // where one at a time captures one per movement. The backlog's plain stretches (runs of
    // 7 between the absorbed movements, then two long ones) leave out well over a hundred.
    let images = |world: &World| {
        let pool = world.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sync_changes WHERE tabla = 'inventario'")
                .fetch_one(&pool)
                .await
                .expect("images")
        }
    };
    let (batched_images, single_images) = (images(&batched).await, images(&single).await);
    assert!(
        batched_images + 100 < single_images,
        "set-based runs write each item once per run: {batched_images} inventory images against {single_images}"
    );
}

/// A run the database refuses as a whole (here a constraint another application added, which
/// the server's checks do not know) goes one at a time: the refused movement is rejected with a
/// code, every other one applies, and stock and ledger agree.
#[tokio::test]
async fn a_run_the_database_refuses_goes_one_at_a_time() {
    let world = World::new().await;
    let loc = world.locs[1];
    for part in &world.parts[..4] {
        world.set_stock(loc, *part, 50).await;
    }
    sqlx::query("ALTER TABLE movimientos_tecnicos ADD CONSTRAINT sin_siete CHECK (cantidad <> 7) NOT VALID")
        .execute(&world.db.pool)
        .await
        .expect("constraint");
    let tech = world.norte.user_id();
    let device = Device::new();
    let batch: Vec<MutationEnvelope> = (0..40)
        .map(|k| {
            let cantidad = if k == 23 { 7 } else { 1 + (k % 3) };
            device.envelope(
                "movement.record",
                movement_args(loc, world.parts[k as usize % 4], tech, "salida", "salida", cantidad),
            )
        })
        .collect();
    let response = world.norte.push(device.id, &batch).await;
    assert_eq!(response.outcomes.len(), 40, "every mutation has its outcome");
    assert!(response.stopped.is_none());
    for (k, outcome) in response.outcomes.iter().enumerate() {
        if k == 23 {
            assert_rejected(outcome, "invalid_arguments");
        } else {
            assert_applied(outcome);
        }
    }
    let moved: i64 = (0..40).filter(|&k| k != 23).map(|k| 1 + (k % 3)).sum();
    let mut stock = 0;
    for part in &world.parts[..4] {
        stock += i64::from(world.stock(loc, *part).await);
    }
    assert_eq!(stock, 4 * 50 - moved, "only the refused movement left stock alone");
    world.assert_ledger_consistent().await;
}
