//! Contract invariant 13: whatever a mutation carries, its outcome is applied or rejected, and
//! a device's queue moves on. Every text has one bound per field, whichever mutation writes it,
//! and the same bound holds on the client (`taller_protocol::validate`).

use crate::harness::*;
use rand::Rng;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;
use taller_protocol::messages::{ErrorCode, Outcome, OutcomeStatus};
use taller_server::config::Config;
use tokio::sync::Barrier;
use uuid::Uuid;

/// `length` random characters from `range`: text that neither compresses nor fits an index
/// once it is long enough.
fn random_text(length: usize, range: std::ops::RangeInclusive<u32>) -> String {
    let mut rng = rand::thread_rng();
    (0..length).filter_map(|_| char::from_u32(rng.gen_range(range.clone()))).collect()
}

/// CJK ideographs: three bytes each in UTF-8.
fn cjk(length: usize) -> String {
    random_text(length, 0x4E00..=0x9FFF)
}

/// CJK Extension B ideographs: four bytes each in UTF-8, the most a character can take.
fn wide(length: usize) -> String {
    random_text(length, 0x20000..=0x2A6DF)
}

fn params(outcome: &Outcome) -> &Value {
    &outcome.result["params"]
}

fn assert_too_long(outcome: &Outcome, field: &str, max: usize, label: &str) {
    assert_eq!(outcome.status, OutcomeStatus::Rejected, "{label}: {outcome:?}");
    assert_eq!(outcome.code.as_deref(), Some("too_long"), "{label}: {outcome:?}");
    assert_eq!(params(outcome)["field"], json!(field), "{label}: {outcome:?}");
    assert_eq!(params(outcome)["max"], json!(max), "{label}: {outcome:?}");
    let message = outcome.message.as_deref().unwrap_or_default();
    assert!(message.contains(field) && message.contains(&max.to_string()), "{label}: names field and limit: {message}");
}

/// The case: a technician's `part.create` with a `tipo` of 2,000 random CJK characters
/// (6,000 bytes, more than the `tipo` index takes) is refused as too long, in the first chunk
/// and in a later one, and the movements queued behind it apply; a superuser's `part.edit` of
/// `referencia` or `tipo` likewise.
#[tokio::test]
async fn a_long_incompressible_text_is_a_rejection_and_the_queue_moves_on() {
    let world = World::with_config(Config { push_chunk: 1, ..Config::default() }).await;
    let (norte, part) = (world.locs[1], world.parts[4]);
    let tech = world.norte.user_id();
    let before = world.stock(norte, part).await;
    let poisoned = || json!({"id_repuesto": Uuid::new_v4(), "referencia": format!("REF-{}", Uuid::new_v4()), "nombre": "Parte", "tipo": cjk(2000)});

    // Alone in the first chunk: an answer with outcomes, not a 500.
    let device = Device::new();
    let bad = device.envelope("part.create", poisoned());
    let good = device.envelope("movement.record", movement_args(norte, part, tech, "ingreso", "ingreso", 1));
    let (status, body) = world.norte.post("/v1/push", json!({"device_id": device.id, "mutations": [bad, good]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let response: taller_protocol::messages::PushResponse = serde_json::from_value(body).expect("push response");
    assert!(response.stopped.is_none(), "{:?}", response.stopped);
    assert_eq!(response.outcomes.len(), 2);
    assert_too_long(&response.outcomes[0], "tipo", 100, "first chunk");
    assert_applied(&response.outcomes[1]);

    // In a later chunk: not `stopped`, and the rest of the queue applies.
    let device = Device::new();
    let batch = vec![
        device.envelope("movement.record", movement_args(norte, part, tech, "ingreso", "ingreso", 1)),
        device.envelope("part.create", poisoned()),
        device.envelope("movement.record", movement_args(norte, part, tech, "ingreso", "ingreso", 1)),
    ];
    let response = world.norte.push(device.id, &batch).await;
    assert!(response.stopped.is_none(), "{:?}", response.stopped);
    assert_eq!(response.outcomes.len(), 3);
    assert_applied(&response.outcomes[0]);
    assert_too_long(&response.outcomes[1], "tipo", 100, "later chunk");
    assert_applied(&response.outcomes[2]);
    // Sent again, the recorded outcomes come back: the queue is not stuck either.
    let again = world.norte.push(device.id, &batch).await;
    assert_eq!(again.outcomes, response.outcomes);

    // A superuser's edits of the indexed columns.
    let device = Device::new();
    let target = world.parts[5];
    for field in ["referencia", "tipo"] {
        let edit = json!({"id_repuesto": target, "edits": [{"field": field, "old": null, "new": cjk(2000)}]});
        let batch = vec![
            device.envelope("movement.record", movement_args(world.locs[0], part, tech, "ingreso", "ingreso", 1)),
            device.envelope("part.edit", edit),
            device.envelope("movement.record", movement_args(world.locs[0], part, tech, "ingreso", "ingreso", 1)),
        ];
        let response = world.bodega.push(device.id, &batch).await;
        assert!(response.stopped.is_none(), "{field}: {:?}", response.stopped);
        assert_eq!(response.outcomes.len(), 3, "{field}");
        assert_too_long(&response.outcomes[1], field, 100, field);
        assert_applied(&response.outcomes[2]);
    }
    assert_eq!(world.stock(norte, part).await, before + 3);
    let created: i64 = sqlx::query_scalar("SELECT count(*) FROM repuestos WHERE nombre = 'Parte'")
        .fetch_one(&world.db.pool)
        .await
        .expect("count");
    assert_eq!(created, 0, "no poisoned part was created");
}

/// Issue 9.2: `part.edit` of `referencia` has the 100-character limit `part.create` has.
#[tokio::test]
async fn part_edit_keeps_the_reference_limit_of_part_create() {
    let world = World::new().await;
    let device = Device::new();
    let part = world.parts[2];
    let original: String = sqlx::query_scalar("SELECT referencia FROM repuestos WHERE id_repuesto = $1")
        .bind(part)
        .fetch_one(&world.db.pool)
        .await
        .expect("referencia");
    let edit =
        |new: String| json!({"id_repuesto": part, "edits": [{"field": "referencia", "old": original, "new": new}]});
    let outcome = world.bodega.push_one(&device, "part.edit", edit("R".repeat(1500))).await;
    assert_too_long(&outcome, "referencia", 100, "1,500 characters");
    let outcome = world.bodega.push_one(&device, "part.edit", edit("R".repeat(101))).await;
    assert_too_long(&outcome, "referencia", 100, "101 characters");
    let stored: String = sqlx::query_scalar("SELECT referencia FROM repuestos WHERE id_repuesto = $1")
        .bind(part)
        .fetch_one(&world.db.pool)
        .await
        .expect("referencia");
    assert_eq!(stored, original, "nothing applied");
    // Exactly the limit applies, as it does for a new part.
    let outcome = world.bodega.push_one(&device, "part.edit", edit("R".repeat(100))).await;
    assert_applied(&outcome);
    let create = json!({"id_repuesto": Uuid::new_v4(), "referencia": "S".repeat(100), "nombre": "Cien"});
    assert_applied(&world.bodega.push_one(&device, "part.create", create).await);
}

/// A case of the bound table: a mutation whose `field` holds `text`.
type Build = Box<dyn Fn(&str) -> Value>;

/// Every text argument of every mutation, at its limit in four-byte characters (the largest
/// and least compressible text the limit allows: it must be storable, indexes included), is
/// applied; one character more is `too_long` naming the field and the limit, and the mutation
/// queued behind it applies. The same field has the same limit in every mutation that writes
/// it (`part.create`/`part.edit`, `warranty.create`/`warranty.edit`).
#[tokio::test]
async fn every_text_argument_is_bounded_by_its_field_whichever_mutation_writes_it() {
    let world = World::new().await;
    let (bodega, norte) = (world.locs[0], world.locs[1]);
    let (part, other_part) = (world.parts[6], world.parts[7]);
    let admin = &world.admin;
    let device = Device::new();
    let id = Uuid::new_v4;

    // Over the limit: rejected before anything else is looked at, so the ids need not exist.
    let edit = |key: &'static str, entity: Uuid, field: &'static str| -> Build {
        Box::new(move |text: &str| json!({key: entity, "edits": [{"field": field, "old": null, "new": text}]}))
    };
    let mut cases: Vec<(&str, &str, usize, Build)> = Vec::new();
    for (field, max) in [
        ("referencia", 100),
        ("nombre", 200),
        ("tipo", 100),
        ("marca", 100),
        ("descripcion", 2000),
        ("url_imagen", 2000),
    ] {
        cases.push((
            "part.create",
            field,
            max,
            Box::new(move |text: &str| {
                let mut args = json!({"id_repuesto": Uuid::new_v4(), "referencia": format!("R-{}", Uuid::new_v4()), "nombre": "N"});
                args[field] = json!(text);
                args
            }),
        ));
        cases.push(("part.edit", field, max, edit("id_repuesto", part, field)));
    }
    cases.push((
        "inventory.settings",
        "posicion",
        100,
        Box::new(move |text: &str| {
            json!({"id_localizacion": norte, "id_repuesto": part, "edits": [{"field": "posicion", "old": null, "new": text}]})
        }),
    ));
    cases.push((
        "inventory.adjust",
        "motivo",
        2000,
        Box::new(move |text: &str| json!({"id_localizacion": norte, "id_repuesto": part, "delta": 1, "motivo": text})),
    ));
    cases.push((
        "request.create",
        "observaciones_generales",
        2000,
        Box::new(move |text: &str| {
            json!({"id_solicitud": Uuid::new_v4(), "id_localizacion_origen": bodega, "id_localizacion_destino": norte,
                   "observaciones_generales": text,
                   "lines": [{"id_detalle": Uuid::new_v4(), "id_repuesto": part, "cantidad": 1}]})
        }),
    ));
    cases.push((
        "request.create",
        "observaciones",
        2000,
        Box::new(move |text: &str| {
            json!({"id_solicitud": Uuid::new_v4(), "id_localizacion_origen": bodega, "id_localizacion_destino": norte,
                   "lines": [{"id_detalle": Uuid::new_v4(), "id_repuesto": part, "cantidad": 1, "observaciones": text}]})
        }),
    ));
    for name in ["request.pick", "request.cancel", "request.receive"] {
        cases.push((
            name,
            "comentario",
            2000,
            Box::new(|text: &str| json!({"id_solicitud": Uuid::new_v4(), "comentario": text})),
        ));
    }
    cases.push((
        "request.dispatch",
        "comentario",
        2000,
        Box::new(|text: &str| json!({"id_solicitud": Uuid::new_v4(), "comentario": text})),
    ));
    cases.push((
        "request.dispatch",
        "guia_transporte",
        100,
        Box::new(|text: &str| json!({"id_solicitud": Uuid::new_v4(), "guia_transporte": text})),
    ));
    cases.push((
        "count.start",
        "observaciones",
        2000,
        Box::new(
            move |text: &str| json!({"id_conteo": Uuid::new_v4(), "id_localizacion": norte, "observaciones": text}),
        ),
    ));
    cases.push((
        "count.line",
        "observaciones",
        2000,
        Box::new(move |text: &str| {
            json!({"id_detalle_conteo": Uuid::new_v4(), "id_conteo": Uuid::new_v4(), "id_repuesto": part,
                   "cantidad_csa": 1, "observaciones": text})
        }),
    ));
    for (field, max) in
        [("motivo_falla", 2000), ("numero_orden", 100), ("solicitante", 200), ("url_evidencia_foto", 2000)]
    {
        cases.push((
            "warranty.create",
            field,
            max,
            Box::new(move |text: &str| {
                let mut args = json!({"id_garantia": Uuid::new_v4(), "id_localizacion": norte, "id_repuesto": part,
                                      "cantidad": 1, "motivo_falla": "no gira"});
                args[field] = json!(text);
                args
            }),
        ));
        cases.push(("warranty.edit", field, max, edit("id_garantia", Uuid::new_v4(), field)));
    }
    for name in ["warranty.approve", "warranty.reject"] {
        cases.push((
            name,
            "comentarios_resolucion",
            2000,
            Box::new(|text: &str| json!({"id_garantia": Uuid::new_v4(), "comentarios_resolucion": text})),
        ));
    }
    cases.push((
        "user.reject",
        "motivo_rechazo",
        2000,
        Box::new(|text: &str| json!({"id_usuario": Uuid::new_v4(), "motivo_rechazo": text})),
    ));
    let tech = world.norte.user_id();
    for (name, field, max, build) in &cases {
        let label = format!("{name} {field}");
        let bad = device.envelope(name, build(&wide(max + 1)));
        let good = device.envelope("movement.record", movement_args(norte, part, tech, "ingreso", "ingreso", 1));
        let response = admin.push(device.id, &[bad, good]).await;
        assert!(response.stopped.is_none(), "{label}: {:?}", response.stopped);
        assert_too_long(&response.outcomes[0], field, *max, &label);
        assert_applied(&response.outcomes[1]);
        // Surrounding spaces are not stored, so they do not count.
        let padded = format!("  {}  ", "a".repeat(*max));
        let outcome = admin.push_one(&device, name, build(&padded)).await;
        assert_ne!(outcome.code.as_deref(), Some("too_long"), "{label}: trimmed text at the limit: {outcome:?}");
    }

    // At the limit, in four-byte characters: every one applies and is stored whole.
    let at = |max: usize| wide(max);
    let new_part = id();
    let created = json!({"id_repuesto": new_part, "referencia": at(100), "nombre": at(200), "tipo": at(100),
                         "marca": at(100), "descripcion": at(2000), "url_imagen": at(2000)});
    assert_applied(&world.norte.push_one(&Device::new(), "part.create", created).await);
    let edits: Vec<Value> = [
        ("referencia", 100),
        ("nombre", 200),
        ("tipo", 100),
        ("marca", 100),
        ("descripcion", 2000),
        ("url_imagen", 2000),
    ]
    .iter()
    .map(|(field, max)| json!({"field": field, "old": null, "new": at(*max)}))
    .collect();
    assert_applied(
        &world.bodega.push_one(&Device::new(), "part.edit", json!({"id_repuesto": new_part, "edits": edits})).await,
    );
    let settings = json!({"id_localizacion": norte, "id_repuesto": part, "edits": [{"field": "posicion", "old": null, "new": at(100)}]});
    assert_applied(&admin.push_one(&device, "inventory.settings", settings).await);
    let adjust = json!({"id_localizacion": norte, "id_repuesto": part, "delta": 5, "motivo": at(2000)});
    assert_applied(&admin.push_one(&device, "inventory.adjust", adjust).await);

    let request = |id_solicitud: Uuid| {
        json!({"id_solicitud": id_solicitud, "id_localizacion_origen": bodega, "id_localizacion_destino": norte,
               "observaciones_generales": at(2000),
               "lines": [{"id_detalle": Uuid::new_v4(), "id_repuesto": other_part, "cantidad": 1, "observaciones": at(2000)}]})
    };
    let (delivered, cancelled) = (id(), id());
    for (name, args) in [
        ("request.create", request(delivered)),
        ("request.pick", json!({"id_solicitud": delivered, "comentario": at(2000)})),
        ("request.dispatch", json!({"id_solicitud": delivered, "guia_transporte": at(100), "comentario": at(2000)})),
        ("request.receive", json!({"id_solicitud": delivered, "comentario": at(2000)})),
        ("request.create", request(cancelled)),
        ("request.cancel", json!({"id_solicitud": cancelled, "comentario": at(2000)})),
    ] {
        let outcome = admin.push_one(&device, name, args).await;
        assert_eq!(outcome.status, OutcomeStatus::Applied, "{name}: {outcome:?}");
    }

    let count = id();
    assert_applied(
        &admin
            .push_one(
                &device,
                "count.start",
                json!({"id_conteo": count, "id_localizacion": norte, "observaciones": at(2000)}),
            )
            .await,
    );
    let line = json!({"id_detalle_conteo": id(), "id_conteo": count, "id_repuesto": other_part, "cantidad_csa": 3,
                      "observaciones": at(2000)});
    assert_applied(&admin.push_one(&device, "count.line", line).await);

    let claim = |id_garantia: Uuid| {
        json!({"id_garantia": id_garantia, "id_localizacion": norte, "id_repuesto": part, "cantidad": 1,
               "motivo_falla": at(2000), "numero_orden": at(100), "solicitante": at(200), "url_evidencia_foto": at(2000)})
    };
    let (approved, rejected) = (id(), id());
    let claim_edits: Vec<Value> =
        [("motivo_falla", 2000), ("numero_orden", 100), ("solicitante", 200), ("url_evidencia_foto", 2000)]
            .iter()
            .map(|(field, max)| json!({"field": field, "old": null, "new": at(*max)}))
            .collect();
    for (name, args) in [
        ("warranty.create", claim(approved)),
        ("warranty.edit", json!({"id_garantia": approved, "edits": claim_edits})),
        ("warranty.submit", json!({"id_garantia": approved})),
        ("warranty.approve", json!({"id_garantia": approved, "comentarios_resolucion": at(2000)})),
        ("warranty.create", claim(rejected)),
        ("warranty.submit", json!({"id_garantia": rejected})),
        ("warranty.reject", json!({"id_garantia": rejected, "comentarios_resolucion": at(2000)})),
    ] {
        let outcome = admin.push_one(&device, name, args).await;
        assert_eq!(outcome.status, OutcomeStatus::Applied, "{name}: {outcome:?}");
    }

    let anonymous = Api::anonymous(&world.server.base);
    let (status, body) = anonymous
        .post(
            "/v1/auth/register",
            json!({"nombre_completo": "Pendiente", "email": "pendiente@taller.test", "password": "una-clave-larga"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let pending: Uuid = serde_json::from_value(body["id_usuario"].clone()).expect("id");
    assert_applied(
        &admin.push_one(&device, "user.reject", json!({"id_usuario": pending, "motivo_rechazo": at(2000)})).await,
    );

    // Stored whole, four bytes a character.
    let (referencia, tipo): (String, String) =
        sqlx::query_as("SELECT referencia, tipo FROM repuestos WHERE id_repuesto = $1")
            .bind(new_part)
            .fetch_one(&world.db.pool)
            .await
            .expect("part");
    assert_eq!((referencia.chars().count(), referencia.len()), (100, 400));
    assert_eq!((tipo.chars().count(), tipo.len()), (100, 400));
}

/// Whatever the database refuses inside a mutation, for what the mutation carries or the rows
/// it meets, is that mutation's rejection (in words that do not quote the database), whatever
/// the SQLSTATE; the batch goes on. Only a fault of the server's own statements stops it.
#[tokio::test]
async fn whatever_the_database_refuses_inside_a_mutation_is_its_rejection() {
    let world = World::with_config(Config { push_chunk: 2, ..Config::default() }).await;
    let (loc, part, tech) = (world.locs[1], world.parts[8], world.norte.user_id());
    // A check another application's trigger might make: work order N raises SQLSTATE N's
    // code, as a program limit, a data exception, a raise in PL/pgSQL or a cardinality
    // violation would.
    sqlx::query(
        "CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           CASE NEW.numero_orden \
             WHEN 1 THEN RAISE EXCEPTION 'secreto interno' USING ERRCODE = '54000'; \
             WHEN 2 THEN RAISE EXCEPTION 'secreto interno' USING ERRCODE = 'P0001'; \
             WHEN 3 THEN RAISE EXCEPTION 'secreto interno' USING ERRCODE = '21000'; \
             WHEN 4 THEN RAISE EXCEPTION 'secreto interno' USING ERRCODE = '22023'; \
             WHEN 5 THEN RAISE EXCEPTION 'secreto interno' USING ERRCODE = '2F005'; \
             WHEN 6 THEN RAISE EXCEPTION 'secreto interno' USING ERRCODE = '42501'; \
             ELSE NULL; \
           END CASE; RETURN NEW; END $$",
    )
    .execute(&world.db.pool)
    .await
    .expect("function");
    sqlx::query(
        "CREATE TRIGGER test_refuse BEFORE INSERT ON movimientos_tecnicos FOR EACH ROW EXECUTE FUNCTION test_refuse()",
    )
    .execute(&world.db.pool)
    .await
    .expect("trigger");
    let with_order = |orden: i32| {
        let mut args = movement_args(loc, part, tech, "ingreso", "ingreso", 1);
        args["numero_orden"] = json!(orden);
        args
    };
    let before = world.stock(loc, part).await;
    let device = Device::new();
    let mut batch = Vec::new();
    for orden in 1..=5 {
        batch.push(device.envelope("movement.record", with_order(100 + orden)));
        batch.push(device.envelope("movement.record", with_order(orden)));
    }
    batch.push(device.envelope("movement.record", with_order(200)));
    let response = world.norte.push(device.id, &batch).await;
    assert!(response.stopped.is_none(), "{:?}", response.stopped);
    assert_eq!(response.outcomes.len(), batch.len());
    for (n, outcome) in response.outcomes.iter().enumerate() {
        if n % 2 == 1 && n < 10 {
            assert_rejected(outcome, "invalid_arguments");
            let message = outcome.message.as_deref().unwrap_or_default();
            assert!(!message.contains("secreto"), "the database's words stay in the log: {message}");
        } else {
            assert_applied(outcome);
        }
    }
    assert_eq!(world.stock(loc, part).await, before + 6, "the six good movements, once each");

    // The server's own statement failing (here: a privilege it lacks) is not the mutation's
    // fault: the batch stops there, as for a transient failure, and nothing is recorded for it.
    let device = Device::new();
    let batch = vec![
        device.envelope("movement.record", with_order(300)),
        device.envelope("movement.record", with_order(301)),
        device.envelope("movement.record", with_order(6)),
    ];
    let response = world.norte.push(device.id, &batch).await;
    assert_eq!(response.outcomes.len(), 2, "the first chunk");
    assert!(response.stopped.as_ref().is_some_and(|e| e.code == ErrorCode::Internal), "{:?}", response.stopped);
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_mutations WHERE id_mutacion = $1")
        .bind(batch[2].id)
        .fetch_one(&world.db.pool)
        .await
        .expect("count");
    assert_eq!(recorded, 0);
    world.assert_ledger_consistent().await;
}

/// Issue 9.5: two devices pushing the same new mutation id at the same moment. One gets its
/// outcome; the other gets `409 sequence_conflict`, as when the pushes do not overlap, and
/// never a 500. Fifty rounds, each pair released together.
#[tokio::test]
async fn one_new_mutation_id_pushed_by_two_devices_at_once_is_a_conflict_for_one() {
    let world = World::new().await;
    let (norte, sur) = (world.locs[1], world.locs[2]);
    let part = world.parts[9];
    let devices = [Arc::new(Device::new()), Arc::new(Device::new())];
    let apis = [world.norte.clone(), world.sur.clone()];
    let locs = [norte, sur];
    let techs = [world.norte.user_id(), world.sur.user_id()];
    let mut applied = [0, 0];
    for round in 0..50 {
        let id = Uuid::new_v4();
        let barrier = Arc::new(Barrier::new(2));
        let mut tasks = Vec::new();
        for side in 0..2 {
            let mut envelope = devices[side]
                .envelope("movement.record", movement_args(locs[side], part, techs[side], "ingreso", "ingreso", 1));
            envelope.id = id;
            let (api, barrier, device) = (apis[side].clone(), barrier.clone(), devices[side].id);
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                api.post("/v1/push", json!({"device_id": device, "mutations": [envelope]})).await
            }));
        }
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.expect("task"));
        }
        let ok: Vec<usize> = (0..2).filter(|&side| answers[side].0 == StatusCode::OK).collect();
        assert_eq!(ok.len(), 1, "round {round}: exactly one device gets the outcome: {answers:?}");
        let (winner, loser) = (ok[0], 1 - ok[0]);
        assert_eq!(answers[winner].1["outcomes"][0]["status"], "applied", "round {round}: {answers:?}");
        assert_eq!(answers[loser].0, StatusCode::CONFLICT, "round {round}: {answers:?}");
        assert_eq!(answers[loser].1["code"], "sequence_conflict", "round {round}: {answers:?}");
        applied[winner] += 1;
    }
    let movements: i64 =
        sqlx::query_scalar("SELECT count(*) FROM movimientos_tecnicos").fetch_one(&world.db.pool).await.expect("count");
    assert_eq!(movements, 50, "one movement per round: {applied:?}");
    world.assert_ledger_consistent().await;
}
