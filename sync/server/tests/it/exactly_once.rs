//! Contract invariants 2 and 3: exactly-once effect and device order.

use crate::harness::*;
use reqwest::StatusCode;
use serde_json::json;
use taller_protocol::messages::OutcomeStatus;
use taller_server::config::Config;
use uuid::Uuid;

async fn counts(world: &World) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM movimientos_tecnicos), (SELECT count(*) FROM logs_inventario), (SELECT count(*) FROM sync_mutations)",
    )
    .fetch_one(&world.db.pool)
    .await
    .expect("counts")
}

#[tokio::test]
async fn resending_a_batch_returns_the_recorded_outcomes_and_changes_nothing() {
    let world = World::new().await;
    let (loc, part) = (world.locs[1], world.parts[0]);
    world.set_stock(loc, part, 10).await;
    let device = Device::new();
    let tech = world.norte.user_id();
    let batch = vec![
        device.envelope("movement.record", movement_args(loc, part, tech, "salida", "salida", 3)),
        device.envelope("movement.record", movement_args(loc, part, tech, "venta", "ingreso", 1)), // rejected
        device.envelope("movement.record", movement_args(loc, part, tech, "devolucion", "ingreso", 1)),
    ];
    let first = world.norte.push(device.id, &batch).await;
    assert_eq!(first.outcomes.len(), 3);
    assert_applied(&first.outcomes[0]);
    assert_rejected(&first.outcomes[1], "invalid_movement");
    assert_applied(&first.outcomes[2]);
    assert_eq!(world.stock(loc, part).await, 8);
    let before = counts(&world).await;
    for _ in 0..3 {
        let again = world.norte.push(device.id, &batch).await;
        assert_eq!(again.outcomes, first.outcomes, "the recorded outcomes, byte for byte");
    }
    // Also one at a time, and in a batch with new mutations after them.
    let again = world.norte.push(device.id, &batch[1..2]).await;
    assert_eq!(again.outcomes[0], first.outcomes[1]);
    assert_eq!(world.stock(loc, part).await, 8);
    assert_eq!(counts(&world).await, before, "no new rows");
    let mut extended = batch.clone();
    extended.push(device.envelope("movement.record", movement_args(loc, part, tech, "salida", "salida", 2)));
    let more = world.norte.push(device.id, &extended).await;
    assert_eq!(&more.outcomes[..3], &first.outcomes[..]);
    assert_applied(&more.outcomes[3]);
    assert_eq!(world.stock(loc, part).await, 6);
    world.assert_ledger_consistent().await;
}

#[tokio::test]
async fn concurrent_copies_of_one_batch_apply_once() {
    let world = World::new().await;
    let (loc, part) = (world.locs[1], world.parts[1]);
    world.set_stock(loc, part, 100).await;
    let device = Device::new();
    let tech = world.norte.user_id();
    let batch: Vec<_> = (0..20)
        .map(|_| device.envelope("movement.record", movement_args(loc, part, tech, "salida", "salida", 1)))
        .collect();
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let api = world.norte.clone();
        let batch = batch.clone();
        let id = device.id;
        tasks.push(tokio::spawn(async move { api.push(id, &batch).await }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    for result in &results {
        assert_eq!(result.outcomes, results[0].outcomes, "every copy sees the same outcomes");
        assert!(result.outcomes.iter().all(|o| o.status == OutcomeStatus::Applied));
    }
    assert_eq!(world.stock(loc, part).await, 80, "20 movements of 1, applied once");
    let movements: i64 =
        sqlx::query_scalar("SELECT count(*) FROM movimientos_tecnicos").fetch_one(&world.db.pool).await.expect("count");
    assert_eq!(movements, 20);
}

#[tokio::test]
async fn a_device_order_holds_and_a_rejection_does_not_block_later_mutations() {
    let world = World::new().await;
    let device = Device::new();
    let request = Uuid::new_v4();
    let (origen, destino) = (world.locs[0], world.locs[1]);
    let part = world.parts[2];
    // The request is created by Norte's warehouse user: give bodega Norte too.
    let admin_device = Device::new();
    assert_applied(
        &world
            .admin
            .push_one(
                &admin_device,
                "user.assign",
                json!({"id_usuario": world.bodega.user_id(), "id_localizacion": destino}),
            )
            .await,
    );
    let batch = vec![
        device.envelope(
            "request.create",
            json!({"id_solicitud": request, "id_localizacion_origen": origen, "id_localizacion_destino": destino,
            "lines": [{"id_detalle": Uuid::new_v4(), "id_repuesto": part, "cantidad": 2}]}),
        ),
        device.envelope("request.dispatch", json!({"id_solicitud": request})), // not picked yet: rejected
        device.envelope("request.pick", json!({"id_solicitud": request})),
        device.envelope("request.dispatch", json!({"id_solicitud": request, "guia_transporte": "GUIA-1"})),
    ];
    let response = world.bodega.push(device.id, &batch).await;
    assert_applied(&response.outcomes[0]);
    assert_rejected(&response.outcomes[1], "invalid_transition");
    assert_applied(&response.outcomes[2]);
    assert_applied(&response.outcomes[3]);
    let estado: String = sqlx::query_scalar("SELECT estado FROM solicitudes WHERE id_solicitud = $1")
        .bind(request)
        .fetch_one(&world.db.pool)
        .await
        .expect("estado");
    assert_eq!(estado, "DESPACHADO");
    let transitions: Vec<(Option<String>, String)> = sqlx::query_as(
        "SELECT estado_anterior, estado_nuevo FROM trazabilidad_solicitudes WHERE id_solicitud = $1 ORDER BY fecha_cambio, estado_nuevo DESC",
    )
    .bind(request)
    .fetch_all(&world.db.pool)
    .await
    .expect("trace");
    assert_eq!(transitions.len(), 3, "{transitions:?}");
    assert_eq!(transitions[2], (Some("ALISTAMIENTO".into()), "DESPACHADO".into()));
}

#[tokio::test]
async fn sequence_numbers_must_increase() {
    let world = World::new().await;
    let device = Device::new();
    let (loc, part, tech) = (world.locs[1], world.parts[0], world.norte.user_id());
    let first = device.envelope("movement.record", movement_args(loc, part, tech, "ingreso", "ingreso", 1));
    let second = device.envelope("movement.record", movement_args(loc, part, tech, "ingreso", "ingreso", 1));
    // Out of order within a batch: refused whole.
    let (status, body) =
        world.norte.post("/v1/push", json!({"device_id": device.id, "mutations": [second, first]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "invalid_request");
    assert_eq!(counts(&world).await.2, 0, "nothing applied");
    world.norte.push(device.id, &[first.clone(), second.clone()]).await;
    // A new mutation reusing an applied sequence number: a broken client.
    let mut reused = device.envelope("movement.record", movement_args(loc, part, tech, "ingreso", "ingreso", 1));
    reused.seq = second.seq;
    let (status, body) = world.norte.post("/v1/push", json!({"device_id": device.id, "mutations": [reused]})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "sequence_conflict");
    // A mutation id recorded for one device is not another device's to re-send: the other
    // user gets no outcome of it, and nothing is applied.
    let other_device = Device::new();
    let mut stolen = other_device
        .envelope("movement.record", movement_args(world.locs[2], part, world.sur.user_id(), "ingreso", "ingreso", 1));
    stolen.id = first.id;
    let (status, body) = world.sur.post("/v1/push", json!({"device_id": other_device.id, "mutations": [stolen]})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "sequence_conflict");
    assert!(body.get("outcomes").is_none(), "no outcome leaks: {body}");
    // Another user cannot push with this device id.
    let (status, body) = world.sur.post("/v1/push", json!({"device_id": device.id, "mutations": []})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "device_mismatch");
}

/// A transient database failure in the middle of a batch stops it there: what came before is
/// committed with its outcomes, nothing after is applied, and a retry finishes the batch with
/// each mutation applied once.
#[tokio::test]
async fn a_transient_failure_stops_the_batch_and_a_retry_completes_it() {
    let world = World::with_config(Config { push_chunk: 2, ..Config::default() }).await;
    let (loc, part, tech) = (world.locs[1], world.parts[3], world.norte.user_id());
    world.set_stock(loc, part, 50).await;
    // A serialization failure (SQLSTATE 40001, retryable) whenever work order 999 is written,
    // as a database under contention would raise.
    sqlx::query(
        "CREATE FUNCTION test_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           IF NEW.numero_orden = 999 THEN RAISE EXCEPTION 'simulated' USING ERRCODE = '40001'; END IF; RETURN NEW; END $$",
    )
    .execute(&world.db.pool)
    .await
    .expect("function");
    sqlx::query(
        "CREATE TRIGGER test_fail BEFORE INSERT ON movimientos_tecnicos FOR EACH ROW EXECUTE FUNCTION test_fail()",
    )
    .execute(&world.db.pool)
    .await
    .expect("trigger");
    let device = Device::new();
    let mut failing = movement_args(loc, part, tech, "salida", "salida", 1);
    failing["numero_orden"] = json!(999);
    let batch = vec![
        device.envelope("movement.record", movement_args(loc, part, tech, "salida", "salida", 1)),
        device.envelope("movement.record", movement_args(loc, part, tech, "salida", "salida", 1)),
        device.envelope("movement.record", movement_args(loc, part, tech, "salida", "salida", 1)),
        device.envelope("movement.record", failing),
        device.envelope("movement.record", movement_args(loc, part, tech, "salida", "salida", 1)),
    ];
    let response = world.norte.push(device.id, &batch).await;
    assert_eq!(response.outcomes.len(), 2, "the first chunk only");
    assert!(response.stopped.as_ref().is_some_and(|e| e.code == taller_protocol::messages::ErrorCode::Unavailable));
    assert_eq!(world.stock(loc, part).await, 48, "nothing after the first chunk was applied");
    sqlx::query("DROP TRIGGER test_fail ON movimientos_tecnicos").execute(&world.db.pool).await.expect("drop");
    let retry = world.norte.push(device.id, &batch).await;
    assert!(retry.stopped.is_none());
    assert_eq!(retry.outcomes.len(), 5);
    assert_eq!(&retry.outcomes[..2], &response.outcomes[..]);
    assert!(retry.outcomes.iter().all(|o| o.status == OutcomeStatus::Applied));
    assert_eq!(world.stock(loc, part).await, 45, "five movements, each once");
    world.assert_ledger_consistent().await;
}
