//! Input handling. A request that fails as a whole gets a 4xx with `{code, message}` and
//! applies nothing; a mutation whose own content is bad is a final per-mutation rejection that
//! does not block the device's later mutations (contract invariants 2 and 3); action times are
//! bounded (invariant 10); every request states its protocol (invariant 11). No client mistake
//! may produce a 5xx.

use crate::harness::*;
use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use taller_protocol::messages::OutcomeStatus;
use taller_protocol::{MAX_PUSH_BYTES, MAX_PUSH_MUTATIONS};
use taller_server::config::Config;
use uuid::Uuid;

#[tokio::test]
async fn malformed_push_requests_are_refused_whole_and_apply_nothing() {
    let world = World::new().await;
    let token = world.norte.token.clone().expect("token");
    let device = Uuid::new_v4();
    let good = envelope(1, Utc::now(), "movement.record", good_args(&world));
    let valid = json!({"device_id": device, "mutations": [good]});
    let with = |path: &[&str], value: Value| -> Vec<u8> {
        let mut body = valid.clone();
        let mut target = &mut body;
        for (i, key) in path.iter().enumerate() {
            if i + 1 == path.len() {
                target[*key] = value.clone();
            } else if let Ok(index) = key.parse::<usize>() {
                target = &mut target[index];
            } else {
                target = &mut target[*key];
            }
        }
        body.to_string().into_bytes()
    };
    let without = |key: &str| -> Vec<u8> {
        let mut body = valid.clone();
        body.as_object_mut().expect("object").remove(key);
        body.to_string().into_bytes()
    };
    let without_in_mutation = |key: &str| -> Vec<u8> {
        let mut body = valid.clone();
        body["mutations"][0].as_object_mut().expect("object").remove(key);
        body.to_string().into_bytes()
    };
    let valid_text = valid.to_string();
    let json_type = Some("application/json");
    let cases: Vec<EnvelopeCase> = vec![
        (
            "syntax error: truncated",
            json_type,
            valid_text.as_bytes()[..valid_text.len() / 2].to_vec(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            "syntax error: trailing garbage",
            json_type,
            format!("{valid_text}}}").into_bytes(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            "syntax error: single quotes",
            json_type,
            valid_text.replace('"', "'").into_bytes(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            "syntax error: trailing comma",
            json_type,
            format!("{},}}", &valid_text[..valid_text.len() - 1]).into_bytes(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            "device_id not a uuid",
            json_type,
            with(&["device_id"], json!("not-a-uuid")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            "device_id a number",
            json_type,
            with(&["device_id"], json!(12345)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            "device_id null",
            json_type,
            with(&["device_id"], Value::Null),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            "mutations not an array",
            json_type,
            with(&["mutations"], good_envelope_value(&world)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            "mutations a string",
            json_type,
            with(&["mutations"], json!("[]")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            "mutations null",
            json_type,
            with(&["mutations"], Value::Null),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            "seq a string",
            json_type,
            with(&["mutations", "0", "seq"], json!("1")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            "seq negative",
            json_type,
            with(&["mutations", "0", "seq"], json!(-1)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            "seq fractional",
            json_type,
            with(&["mutations", "0", "seq"], json!(1.5)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            "mutation id not a uuid",
            json_type,
            with(&["mutations", "0", "id"], json!("m-1")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            "at not a time",
            json_type,
            with(&["mutations", "0", "at"], json!("yesterday")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            "at a number",
            json_type,
            with(&["mutations", "0", "at"], json!(1_700_000_000)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            "name a number",
            json_type,
            with(&["mutations", "0", "name"], json!(7)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        ("missing device_id", json_type, without("device_id"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_json"),
        ("missing mutations", json_type, without("mutations"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_json"),
        (
            "mutation without seq",
            json_type,
            without_in_mutation("seq"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        ("mutation without at", json_type, without_in_mutation("at"), StatusCode::UNPROCESSABLE_ENTITY, "invalid_json"),
        (
            "unknown field in the envelope",
            json_type,
            with(&["force"], json!(true)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            "unknown field in a mutation",
            json_type,
            with(&["mutations", "0", "priority"], json!(1)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_json",
        ),
        (
            "missing Content-Type",
            None,
            valid_text.clone().into_bytes(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_json",
        ),
        (
            "text/plain",
            Some("text/plain"),
            valid_text.clone().into_bytes(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_json",
        ),
        (
            "form encoded",
            Some("application/x-www-form-urlencoded"),
            b"device_id=1&mutations=2".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_json",
        ),
    ];
    let before = recorded(&world).await;
    assert_eq!(before.0, 0, "a fresh world has no recorded mutation");
    let stock = world.stock(world.locs[1], world.parts[5]).await;
    for (label, content_type, body, status, code) in cases {
        let mut headers = vec![h("taller-protocol", "1"), h("authorization", format!("Bearer {token}"))];
        if let Some(content_type) = content_type {
            headers.push(h("content-type", content_type));
        }
        let reply = send(&world.server.base, Method::POST, "/v1/push", &headers, Some(body)).await;
        assert_error(&reply, status, code, label);
        assert_eq!(recorded(&world).await, before, "{label}: nothing recorded");
    }
    assert_eq!(world.stock(world.locs[1], world.parts[5]).await, stock, "no stock moved");
    // The same batch, well formed, is accepted: the cases above failed for their own fault.
    let reply =
        send(&world.server.base, Method::POST, "/v1/push", &std_headers(Some(&token)), Some(valid_text.into_bytes()))
            .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["outcomes"][0]["status"], "applied", "{}", reply.text);
    assert_eq!(world.stock(world.locs[1], world.parts[5]).await, stock + 1);
}

#[tokio::test]
async fn oversized_pushes_are_refused_whole_and_the_limits_are_exact() {
    let world = World::new().await;
    let token = world.norte.token.clone().expect("token");
    let base = world.server.base.clone();
    let stock = world.stock(world.locs[1], world.parts[5]).await;
    // A body over 1 MiB, announced by Content-Length.
    let mut args = good_args(&world);
    args["padding"] = json!("x".repeat(MAX_PUSH_BYTES + 1));
    let big = json!({"device_id": Uuid::new_v4(), "mutations": [envelope(1, Utc::now(), "movement.record", args)]})
        .to_string();
    assert!(big.len() > MAX_PUSH_BYTES);
    let reply = send(&base, Method::POST, "/v1/push", &std_headers(Some(&token)), Some(big.clone().into_bytes())).await;
    assert_error(&reply, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "body over 1 MiB");
    // The same without a length (chunked): the limit is on the bytes read, not on the header.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        big.into_bytes().chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let response = reqwest::Client::new()
        .post(format!("{base}/v1/push"))
        .header("taller-protocol", "1")
        .header("content-type", "application/json")
        .bearer_auth(&token)
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .expect("request");
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "chunked body over 1 MiB: {body}");
    assert_eq!(body["code"], "payload_too_large", "{body}");
    assert_eq!(recorded(&world).await.0, 0, "nothing recorded");

    // One mutation too many.
    let device = Uuid::new_v4();
    let too_many: Vec<Value> = (1..=MAX_PUSH_MUTATIONS as u64 + 1)
        .map(|seq| envelope(seq, Utc::now(), "movement.record", good_args(&world)))
        .collect();
    let (status, body) = world.norte.post("/v1/push", json!({"device_id": device, "mutations": too_many})).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["code"], "batch_too_large", "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert_eq!(recorded(&world).await.0, 0, "nothing recorded");
    assert_eq!(world.stock(world.locs[1], world.parts[5]).await, stock, "no stock moved");

    // Exactly the limit is served (cheap mutations: an unknown name is a recorded rejection).
    let at_limit: Vec<Value> =
        (1..=MAX_PUSH_MUTATIONS as u64).map(|seq| envelope(seq, Utc::now(), "noop.test", json!({}))).collect();
    let (status, body) = world.norte.post("/v1/push", json!({"device_id": device, "mutations": at_limit})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let outcomes = body["outcomes"].as_array().expect("outcomes");
    assert_eq!(outcomes.len(), MAX_PUSH_MUTATIONS);
    assert!(outcomes.iter().all(|o| o["code"] == "unknown_mutation"));
    assert_eq!(recorded(&world).await.0, MAX_PUSH_MUTATIONS as i64);

    // A body just under the limit is read and judged mutation by mutation (here: a reason
    // longer than any text field allows).
    let motivo = "y".repeat(MAX_PUSH_BYTES - 2_000);
    let adjust = json!({"id_localizacion": world.locs[1], "id_repuesto": world.parts[5], "delta": 1, "motivo": motivo});
    let body = json!({"device_id": Uuid::new_v4(), "mutations": [
        envelope(1, Utc::now(), "inventory.adjust", adjust),
        envelope(2, Utc::now(), "movement.record", good_args(&world)),
    ]});
    assert!(body.to_string().len() < MAX_PUSH_BYTES);
    let reply = send(
        &base,
        Method::POST,
        "/v1/push",
        &std_headers(Some(world.admin.token.as_deref().expect("token"))),
        Some(body.to_string().into_bytes()),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["outcomes"][0]["code"], "too_long", "{}", reply.text);
    assert_eq!(reply.body["outcomes"][1]["status"], "applied", "{}", reply.text);
}

#[tokio::test]
async fn bad_mutations_are_final_rejections_that_do_not_block_later_ones() {
    let world = World::new().await;
    let (n, a) = (&world.norte, &world.admin);
    let (bodega, norte, sur) = (world.locs[0], world.locs[1], world.locs[2]);
    let part = world.parts[0];
    let tech = n.user_id();
    let nobody = Uuid::new_v4;
    let movement = |loc: Uuid, cantidad: Value| {
        let mut args = movement_args(loc, part, tech, "ingreso", "ingreso", 1);
        args["cantidad"] = cantidad;
        args
    };
    let edit = |mut args: Value, key: &str, value: Value| {
        args[key] = value;
        args
    };
    let base = movement(norte, json!(1));
    let warranty = |loc: Uuid, cantidad: i64, motivo: &str| json!({"id_garantia": nobody(), "id_localizacion": loc, "id_repuesto": part, "cantidad": cantidad, "motivo_falla": motivo});
    let cases: Vec<(&str, &Api, &str, Value, &str)> = vec![
        // Names.
        ("unknown name", n, "movement.teleport", base.clone(), "unknown_mutation"),
        ("empty name", n, "", json!({}), "unknown_mutation"),
        ("name in other case", n, "Movement.Record", base.clone(), "unknown_mutation"),
        ("name with a NUL", n, "movement\0record", base.clone(), "unknown_mutation"),
        // Shapes.
        ("args an array", n, "movement.record", json!([1, 2]), "invalid_arguments"),
        ("args null", n, "movement.record", Value::Null, "invalid_arguments"),
        ("args a string", n, "movement.record", json!("cantidad=1"), "invalid_arguments"),
        ("args a number", n, "movement.record", json!(5), "invalid_arguments"),
        ("missing fields", n, "movement.record", json!({"id_localizacion": norte}), "invalid_arguments"),
        ("unknown field", n, "movement.record", edit(base.clone(), "urgente", json!(true)), "invalid_arguments"),
        ("cantidad a string", n, "movement.record", movement(norte, json!("3")), "invalid_arguments"),
        ("cantidad fractional", n, "movement.record", movement(norte, json!(1.5)), "invalid_arguments"),
        ("cantidad beyond i32", n, "movement.record", movement(norte, json!(2_147_483_648_i64)), "invalid_arguments"),
        ("cantidad below i32", n, "movement.record", movement(norte, json!(-2_147_483_649_i64)), "invalid_arguments"),
        ("cantidad 1e10", n, "movement.record", movement(norte, json!(1e10)), "invalid_arguments"),
        ("cantidad u64::MAX", n, "movement.record", movement(norte, json!(u64::MAX)), "invalid_arguments"),
        (
            "id not a uuid",
            n,
            "movement.record",
            edit(base.clone(), "id_repuesto", json!("MTR-250W-36V-BAF")),
            "invalid_arguments",
        ),
        ("unknown concepto", n, "movement.record", edit(base.clone(), "concepto", json!("robo")), "invalid_arguments"),
        (
            "unknown policy",
            a,
            "location.policy",
            json!({"id_localizacion": norte, "stock_negativo": "maybe"}),
            "invalid_arguments",
        ),
        ("NUL in a free text", n, "warranty.create", warranty(norte, 1, "no\0gira"), "invalid_arguments"),
        (
            "NUL in a reason",
            a,
            "inventory.adjust",
            json!({"id_localizacion": norte, "id_repuesto": part, "delta": 1, "motivo": "a\0b"}),
            "invalid_arguments",
        ),
        ("NUL in an object key", n, "movement.record", edit(base.clone(), "x\0y", json!(1)), "invalid_arguments"),
        // Quantities.
        ("cantidad 0", n, "movement.record", movement(norte, json!(0)), "invalid_quantity"),
        ("cantidad -1", n, "movement.record", movement(norte, json!(-1)), "invalid_quantity"),
        ("cantidad 100001", n, "movement.record", movement(norte, json!(100_001)), "invalid_quantity"),
        ("cantidad i32::MAX", n, "movement.record", movement(norte, json!(i32::MAX)), "invalid_quantity"),
        ("cantidad i32::MIN", n, "movement.record", movement(norte, json!(i32::MIN)), "invalid_quantity"),
        (
            "cart line of 0",
            n,
            "cart.add",
            json!({"id_item_carrito": nobody(), "id_localizacion": norte, "id_repuesto": part, "cantidad": 0}),
            "invalid_quantity",
        ),
        (
            "cart line set to -5",
            n,
            "cart.set",
            json!({"id_item_carrito": nobody(), "cantidad": -5}),
            "invalid_quantity",
        ),
        ("warranty of 0 units", n, "warranty.create", warranty(norte, 0, "no gira"), "invalid_quantity"),
        (
            "request line of 0",
            n,
            "request.create",
            json!({"id_solicitud": nobody(), "id_localizacion_origen": bodega, "id_localizacion_destino": norte,
            "lines": [{"id_detalle": nobody(), "id_repuesto": part, "cantidad": 0}]}),
            "invalid_quantity",
        ),
        (
            "request line of i32::MAX",
            n,
            "request.create",
            json!({"id_solicitud": nobody(), "id_localizacion_origen": bodega, "id_localizacion_destino": norte,
            "lines": [{"id_detalle": nobody(), "id_repuesto": part, "cantidad": i32::MAX}]}),
            "invalid_quantity",
        ),
        (
            "adjustment of i32::MIN",
            a,
            "inventory.adjust",
            json!({"id_localizacion": norte, "id_repuesto": part, "delta": i32::MIN, "motivo": "x"}),
            "invalid_quantity",
        ),
        (
            "adjustment of 0",
            a,
            "inventory.adjust",
            json!({"id_localizacion": norte, "id_repuesto": part, "delta": 0, "motivo": "x"}),
            "invalid_quantity",
        ),
        (
            "count of -1",
            a,
            "count.line",
            json!({"id_detalle_conteo": nobody(), "id_conteo": nobody(), "id_repuesto": part, "cantidad_csa": -1}),
            "invalid_quantity",
        ),
        (
            "count of 100001",
            a,
            "count.line",
            json!({"id_detalle_conteo": nobody(), "id_conteo": nobody(), "id_repuesto": part, "cantidad_csa": 100_001}),
            "invalid_quantity",
        ),
        // Ids that do not exist.
        ("nonexistent part", n, "movement.record", edit(base.clone(), "id_repuesto", json!(nobody())), "not_found"),
        (
            "nonexistent technician",
            n,
            "movement.record",
            edit(base.clone(), "id_tecnico_asignado", json!(nobody())),
            "not_found",
        ),
        ("nonexistent location (movement)", a, "movement.record", movement(nobody(), json!(1)), "not_found"),
        (
            "nonexistent location (policy)",
            a,
            "location.policy",
            json!({"id_localizacion": nobody(), "stock_negativo": "reject"}),
            "not_found",
        ),
        (
            "nonexistent part (adjustment)",
            a,
            "inventory.adjust",
            json!({"id_localizacion": norte, "id_repuesto": nobody(), "delta": 1, "motivo": "x"}),
            "not_found",
        ),
        (
            "nonexistent technician (warranty)",
            n,
            "warranty.create",
            json!({"id_garantia": nobody(), "id_localizacion": norte, "id_repuesto": part, "cantidad": 1,
                   "motivo_falla": "no gira", "id_tecnico_asociado": nobody()}),
            "not_found",
        ),
        ("nonexistent request (cancel)", n, "request.cancel", json!({"id_solicitud": nobody()}), "not_found"),
        ("nonexistent request (pick)", a, "request.pick", json!({"id_solicitud": nobody()}), "not_found"),
        ("nonexistent request (receive)", n, "request.receive", json!({"id_solicitud": nobody()}), "not_found"),
        ("nonexistent count (close)", a, "count.close", json!({"id_conteo": nobody()}), "not_found"),
        (
            "nonexistent count (line)",
            a,
            "count.line",
            json!({"id_detalle_conteo": nobody(), "id_conteo": nobody(), "id_repuesto": part, "cantidad_csa": 3}),
            "not_found",
        ),
        ("nonexistent warranty (submit)", n, "warranty.submit", json!({"id_garantia": nobody()}), "not_found"),
        ("nonexistent warranty (approve)", a, "warranty.approve", json!({"id_garantia": nobody()}), "not_found"),
        ("nonexistent notification", n, "notification.read", json!({"id_notificacion": nobody()}), "not_found"),
        ("nonexistent cart line", n, "cart.set", json!({"id_item_carrito": nobody(), "cantidad": 2}), "not_found"),
        ("nonexistent user (approve)", a, "user.approve", json!({"id_usuario": nobody()}), "not_found"),
        (
            "nonexistent user (reject)",
            a,
            "user.reject",
            json!({"id_usuario": nobody(), "motivo_rechazo": "desconocido"}),
            "not_found",
        ),
        (
            "nonexistent user (assign)",
            a,
            "user.assign",
            json!({"id_usuario": nobody(), "id_localizacion": norte}),
            "not_found",
        ),
        // Scope.
        ("movement at Taller Sur", n, "movement.record", movement(sur, json!(1)), "location_out_of_scope"),
        ("movement at Bodega Central", n, "movement.record", movement(bodega, json!(1)), "location_out_of_scope"),
        (
            "cart line for Taller Sur",
            n,
            "cart.add",
            json!({"id_item_carrito": nobody(), "id_localizacion": sur, "id_repuesto": part, "cantidad": 1}),
            "location_out_of_scope",
        ),
        ("warranty at Taller Sur", n, "warranty.create", warranty(sur, 1, "no gira"), "location_out_of_scope"),
        (
            "request into Taller Sur",
            n,
            "request.create",
            json!({"id_solicitud": nobody(), "id_localizacion_origen": bodega, "id_localizacion_destino": sur,
            "lines": [{"id_detalle": nobody(), "id_repuesto": part, "cantidad": 1}]}),
            "location_out_of_scope",
        ),
    ];
    let good_part = world.parts[5];
    let good_stock = world.stock(norte, good_part).await;
    let mut stocks = Vec::new();
    for loc in [bodega, norte, sur] {
        stocks.push(world.stock(loc, part).await);
    }
    let mut applied = 0;
    for (label, api, name, args, code) in &cases {
        // A fresh device per case: each batch is [bad, good] from seq 1.
        let device = Device::new();
        let bad = device.envelope(name, args.clone());
        let good = device.envelope("movement.record", movement_args(norte, good_part, tech, "ingreso", "ingreso", 1));
        let (status, body) = api.post("/v1/push", json!({"device_id": device.id, "mutations": [bad, good]})).await;
        assert_eq!(status, StatusCode::OK, "{label}: a bad mutation must not fail the batch: {body}");
        let outcomes = body["outcomes"].as_array().unwrap_or_else(|| panic!("{label}: outcomes in {body}"));
        assert_eq!(outcomes.len(), 2, "{label}: {body}");
        assert_eq!(outcomes[0]["status"], "rejected", "{label}: {body}");
        assert_eq!(outcomes[0]["code"], *code, "{label}: {body}");
        assert!(outcomes[0]["message"].as_str().is_some_and(|m| !m.is_empty()), "{label}: a message: {body}");
        assert_eq!(outcomes[1]["status"], "applied", "{label}: the next mutation applies: {body}");
        applied += 1;
        // The rejection is recorded as the mutation's final outcome.
        let (estado, codigo): (String, Option<String>) =
            sqlx::query_as("SELECT estado, codigo FROM sync_mutations WHERE id_mutacion = $1")
                .bind(bad.id)
                .fetch_one(&world.db.pool)
                .await
                .unwrap_or_else(|e| panic!("{label}: recorded outcome: {e}"));
        assert_eq!((estado.as_str(), codigo.as_deref()), ("rejected", Some(*code)), "{label}");
        // Re-sending returns the same outcome and changes nothing.
        let again = api.push(device.id, &[bad]).await;
        assert_eq!(again.outcomes[0].status, OutcomeStatus::Rejected, "{label}");
        assert_eq!(again.outcomes[0].code.as_deref(), Some(*code), "{label}");
    }
    assert_eq!(world.stock(norte, good_part).await, good_stock + applied, "every good mutation applied once");
    // Nothing of the bad ones took effect.
    for (loc, stock) in [bodega, norte, sur].into_iter().zip(stocks) {
        assert_eq!(world.stock(loc, part).await, stock, "no stock moved by rejected mutations");
    }
    let garantias: i64 =
        sqlx::query_scalar("SELECT count(*) FROM garantias").fetch_one(&world.db.pool).await.expect("count");
    let solicitudes: i64 =
        sqlx::query_scalar("SELECT count(*) FROM solicitudes").fetch_one(&world.db.pool).await.expect("count");
    let carrito: i64 =
        sqlx::query_scalar("SELECT count(*) FROM carrito_solicitudes").fetch_one(&world.db.pool).await.expect("count");
    assert_eq!((garantias, solicitudes, carrito), (0, 0, 0));
    world.assert_ledger_consistent().await;
}

#[tokio::test]
async fn action_times_are_bounded() {
    let world = World::new().await;
    let (loc, part, tech) = (world.locs[1], world.parts[5], world.norte.user_id());
    let now = Utc::now();
    let mut expected = world.stock(loc, part).await;
    let cases: Vec<(&str, DateTime<Utc>, bool)> = vec![
        ("6 minutes ahead", now + Duration::minutes(6), false),
        ("a day ahead", now + Duration::days(1), false),
        ("4 minutes ahead", now + Duration::minutes(4), true),
        ("an hour ago", now - Duration::hours(1), true),
        ("29 days ago", now - Duration::days(29), true),
        ("31 days ago", now - Duration::days(31), false),
        ("ten years ago", now - Duration::days(3650), false),
    ];
    for (label, at, accepted) in cases {
        let device = Device::new();
        let dated = device.envelope_at("movement.record", movement_args(loc, part, tech, "ingreso", "ingreso", 1), at);
        let good = device.envelope("movement.record", movement_args(loc, part, tech, "ingreso", "ingreso", 1));
        let response = world.norte.push(device.id, &[dated, good]).await;
        if accepted {
            assert_applied(&response.outcomes[0]);
            expected += 1;
        } else {
            assert_rejected(&response.outcomes[0], "time_out_of_range");
        }
        assert_applied(&response.outcomes[1]);
        expected += 1;
        assert_eq!(world.stock(loc, part).await, expected, "{label}");
    }
    // Times at the edges of what the wire and the database can represent: refused as a bad
    // envelope (422) or as a per-mutation rejection, never a server error.
    for at in [
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z",
        "1970-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999999Z",
        "+262142-12-31T23:59:59Z",
        "-262143-01-01T00:00:00Z",
        "-4713-11-23T00:00:00Z",
        "2026-02-30T00:00:00Z",
        "2026-01-01T00:00:00+25:00",
        "2026-01-01T25:00:00Z",
        "2026-01-01",
    ] {
        let before = recorded(&world).await.0;
        let good = envelope(2, Utc::now(), "movement.record", movement_args(loc, part, tech, "ingreso", "ingreso", 1));
        let dated = json!({"id": Uuid::new_v4(), "seq": 1, "at": at, "name": "movement.record",
                           "args": movement_args(loc, part, tech, "ingreso", "ingreso", 1)});
        let (status, body) =
            world.norte.post("/v1/push", json!({"device_id": Uuid::new_v4(), "mutations": [dated, good]})).await;
        match status {
            StatusCode::OK => {
                assert_eq!(body["outcomes"][0]["code"], "time_out_of_range", "{at}: {body}");
                assert_eq!(body["outcomes"][1]["status"], "applied", "{at}: {body}");
                expected += 1;
            }
            StatusCode::UNPROCESSABLE_ENTITY => {
                assert_eq!(body["code"], "invalid_json", "{at}: {body}");
                assert_eq!(recorded(&world).await.0, before, "{at}: nothing recorded");
            }
            other => panic!("{at}: {other} {body}"),
        }
    }
    assert_eq!(world.stock(loc, part).await, expected);
}

#[tokio::test]
async fn the_backdating_window_is_configurable() {
    let world = World::with_config(Config { backdate_window: Duration::days(2), ..Config::default() }).await;
    let (loc, part, tech) = (world.locs[1], world.parts[5], world.norte.user_id());
    let device = Device::new();
    let stock = world.stock(loc, part).await;
    let now = Utc::now();
    let batch = vec![
        device.envelope_at(
            "movement.record",
            movement_args(loc, part, tech, "ingreso", "ingreso", 1),
            now - Duration::days(3),
        ),
        device.envelope_at(
            "movement.record",
            movement_args(loc, part, tech, "ingreso", "ingreso", 2),
            now - Duration::days(1),
        ),
        device.envelope_at(
            "movement.record",
            movement_args(loc, part, tech, "ingreso", "ingreso", 4),
            now + Duration::minutes(6),
        ),
        device.envelope_at(
            "movement.record",
            movement_args(loc, part, tech, "ingreso", "ingreso", 8),
            now - Duration::hours(47),
        ),
    ];
    let response = world.norte.push(device.id, &batch).await;
    assert_rejected(&response.outcomes[0], "time_out_of_range");
    assert_applied(&response.outcomes[1]);
    assert_rejected(&response.outcomes[2], "time_out_of_range");
    assert_applied(&response.outcomes[3]);
    assert_eq!(world.stock(loc, part).await, stock + 10);
    // The message names the allowed range, for the person to fix their clock.
    let message = response.outcomes[0].message.clone().unwrap_or_default();
    assert!(message.contains(&(now - Duration::days(2)).format("%Y-%m-%d").to_string()), "{message}");
    // The recorded time is the person's, kept as data.
    let at: DateTime<Utc> = sqlx::query_scalar("SELECT realizada_en FROM sync_mutations WHERE id_mutacion = $1")
        .bind(batch[1].id)
        .fetch_one(&world.db.pool)
        .await
        .expect("recorded");
    assert!((at - batch[1].at).num_milliseconds().abs() < 1, "{at} vs {}", batch[1].at);
}

#[tokio::test]
async fn requests_without_authority_or_protocol_are_refused_before_anything_applies() {
    let world = World::new().await;
    let base = world.server.base.clone();
    let token = world.norte.token.clone().expect("token");
    let body =
        json!({"device_id": Uuid::new_v4(), "mutations": [good_envelope_value(&world)]}).to_string().into_bytes();
    let json_type = h("content-type", "application/json");
    let v1 = h("taller-protocol", "1");
    let cases: Vec<HeaderCase> = vec![
        ("no token", vec![json_type.clone(), v1.clone()], StatusCode::UNAUTHORIZED, "unauthorized"),
        (
            "garbage token",
            vec![json_type.clone(), v1.clone(), h("authorization", "Bearer garbage")],
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "empty token",
            vec![json_type.clone(), v1.clone(), h("authorization", "Bearer ")],
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "token-shaped stranger",
            vec![json_type.clone(), v1.clone(), h("authorization", format!("Bearer {}", "A".repeat(43)))],
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "token with a suffix",
            vec![json_type.clone(), v1.clone(), h("authorization", format!("Bearer {token}x"))],
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "token without the scheme",
            vec![json_type.clone(), v1.clone(), h("authorization", token.clone())],
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "basic auth",
            vec![json_type.clone(), v1.clone(), h("authorization", "Basic dGVjbmljbzpzZWNyZXRv")],
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "non-ASCII token",
            vec![json_type.clone(), v1.clone(), ("authorization", b"Bearer \xff\xfe".to_vec())],
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "refresh token as access token",
            vec![
                json_type.clone(),
                v1.clone(),
                h("authorization", format!("Bearer {}", world.norte.session.as_ref().expect("session").refresh_token)),
            ],
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            "no protocol",
            vec![json_type.clone(), h("authorization", format!("Bearer {token}"))],
            StatusCode::BAD_REQUEST,
            "unsupported_protocol",
        ),
        (
            "protocol 0",
            vec![json_type.clone(), h("taller-protocol", "0"), h("authorization", format!("Bearer {token}"))],
            StatusCode::UPGRADE_REQUIRED,
            "update_required",
        ),
        (
            "protocol 0 and no token",
            vec![json_type.clone(), h("taller-protocol", "0")],
            StatusCode::UPGRADE_REQUIRED,
            "update_required",
        ),
        (
            "protocol 2",
            vec![json_type.clone(), h("taller-protocol", "2"), h("authorization", format!("Bearer {token}"))],
            StatusCode::BAD_REQUEST,
            "unsupported_protocol",
        ),
        (
            "protocol not a number",
            vec![json_type.clone(), h("taller-protocol", "uno"), h("authorization", format!("Bearer {token}"))],
            StatusCode::BAD_REQUEST,
            "unsupported_protocol",
        ),
        (
            "protocol empty",
            vec![json_type.clone(), h("taller-protocol", ""), h("authorization", format!("Bearer {token}"))],
            StatusCode::BAD_REQUEST,
            "unsupported_protocol",
        ),
        (
            "protocol negative",
            vec![json_type.clone(), h("taller-protocol", "-1"), h("authorization", format!("Bearer {token}"))],
            StatusCode::BAD_REQUEST,
            "unsupported_protocol",
        ),
        (
            "protocol 1.0",
            vec![json_type.clone(), h("taller-protocol", "1.0"), h("authorization", format!("Bearer {token}"))],
            StatusCode::BAD_REQUEST,
            "unsupported_protocol",
        ),
        (
            "protocol huge",
            vec![
                json_type.clone(),
                h("taller-protocol", "99999999999999999999"),
                h("authorization", format!("Bearer {token}")),
            ],
            StatusCode::BAD_REQUEST,
            "unsupported_protocol",
        ),
        (
            "protocol non-ASCII",
            vec![
                json_type.clone(),
                ("taller-protocol", b"\xb9".to_vec()),
                h("authorization", format!("Bearer {token}")),
            ],
            StatusCode::BAD_REQUEST,
            "unsupported_protocol",
        ),
    ];
    for (label, headers, status, code) in cases {
        let reply = send(&base, Method::POST, "/v1/push", &headers, Some(body.clone())).await;
        assert_error(&reply, status, code, label);
        if code == "update_required" {
            let message = reply.body["message"].as_str().unwrap_or_default().to_lowercase();
            assert!(
                message.contains("update") || message.contains("actualice"),
                "{label}: the message says to update: {message}"
            );
        }
        assert_eq!(recorded(&world).await.0, 0, "{label}: nothing recorded");
    }
    // The other authenticated endpoints refuse the same way.
    for (method, path, body) in [
        (Method::POST, "/v1/pull", Some(b"{}".to_vec())),
        (Method::GET, "/v1/me", None),
        (Method::GET, "/v1/checksum", None),
    ] {
        let reply = send(&base, method.clone(), path, &[json_type.clone(), v1.clone()], body.clone()).await;
        assert_error(&reply, StatusCode::UNAUTHORIZED, "unauthorized", path);
        let reply =
            send(&base, method, path, &[json_type.clone(), h("authorization", format!("Bearer {token}"))], body).await;
        assert_error(&reply, StatusCode::BAD_REQUEST, "unsupported_protocol", path);
    }
    // With everything right, the same request is accepted.
    let reply = send(&base, Method::POST, "/v1/push", &std_headers(Some(&token)), Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
}

#[tokio::test]
async fn an_expired_access_token_is_refused_with_token_expired() {
    let world = World::with_config(Config { access_ttl: Duration::seconds(1), ..Config::default() }).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let device = Device::new();
    let envelope = device.envelope("movement.record", good_args(&world));
    let (status, body) = world.norte.post("/v1/push", json!({"device_id": device.id, "mutations": [envelope]})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "token_expired", "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    let (status, body) = world.norte.post("/v1/pull", json!({})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_expired")), "{body}");
    assert_eq!(recorded(&world).await.0, 0, "nothing recorded");
    // The refresh token outlives it.
    let refresh = world.norte.session.as_ref().expect("session").refresh_token.clone();
    let (status, body) =
        Api::anonymous(&world.server.base).post("/v1/auth/refresh", json!({"refresh_token": refresh})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].as_str().is_some_and(|t| !t.is_empty()));
}

#[tokio::test]
async fn unknown_paths_and_wrong_methods_get_json_client_errors() {
    let world = World::new().await;
    let base = world.server.base.clone();
    let token = world.norte.token.clone().expect("token");
    for path in
        ["/nope", "/v1/nope", "/v1/push/extra", "/v2/push", "/v1/auth", "/v1/auth/login/", "/%FF", "/v1/../etc/passwd"]
    {
        let reply = send(&base, Method::GET, path, &std_headers(Some(&token)), None).await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found", path);
        let reply = send(&base, Method::POST, path, &std_headers(Some(&token)), Some(b"{}".to_vec())).await;
        assert_error(&reply, StatusCode::NOT_FOUND, "not_found", path);
        // Without the protocol header: still a JSON client error.
        let reply = send(&base, Method::GET, path, &[], None).await;
        assert_json_client_error(&reply, path);
    }
    for (method, path) in [
        (Method::GET, "/v1/push"),
        (Method::PUT, "/v1/push"),
        (Method::DELETE, "/v1/pull"),
        (Method::GET, "/v1/auth/login"),
        (Method::PATCH, "/v1/auth/refresh"),
        (Method::POST, "/v1/me"),
        (Method::POST, "/v1/openapi.json"),
        (Method::DELETE, "/healthz"),
    ] {
        let label = format!("{method} {path}");
        let reply = send(&base, method.clone(), path, &std_headers(Some(&token)), Some(b"{}".to_vec())).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{label}: {}", reply.text);
        assert_json_client_error(&reply, &label);
        assert!(!reply.allow.is_empty(), "{label}: an Allow header");
        let reply = send(&base, method, path, &[], None).await;
        assert_json_client_error(&reply, &label);
    }
    assert_eq!(recorded(&world).await.0, 0);
}

/// A sweep of garbage against the three public entry points: every answer is a 4xx with a JSON
/// `{code, message}`, nothing is applied, and the server keeps serving.
#[tokio::test]
async fn garbage_never_gets_a_server_error() {
    let world = World::new().await;
    let base = world.server.base.clone();
    let token = world.norte.token.clone().expect("token");
    let now = Utc::now();
    let good = || envelope(1, now, "movement.record", good_args(&world));
    let push_of =
        |mutations: Vec<Value>| json!({"device_id": Uuid::new_v4(), "mutations": mutations}).to_string().into_bytes();
    let with_args = |args: Value| {
        push_of(vec![envelope(1, now, "movement.record", args), {
            let mut next = good();
            next["seq"] = json!(2);
            next
        }])
    };
    let with_seq = |seqs: &[Value]| {
        push_of(
            seqs.iter()
                .map(|seq| {
                    let mut mutation = good();
                    mutation["seq"] = seq.clone();
                    mutation
                })
                .collect(),
        )
    };
    let deep =
        |open: &str, close: &str, depth: usize| format!("{}{}", open.repeat(depth), close.repeat(depth)).into_bytes();
    let norte_scope = json!({"admin": false, "locs": [world.locs[1]]});
    let cursor_of = |value: Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
    };
    // Incompressible, so that the database cannot squeeze it into an index entry.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let noise: String = (0..300_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(b'a' + (state % 26) as u8)
        })
        .collect();
    let duplicate = good();
    let mut same_seq = good();
    same_seq["id"] = json!(Uuid::new_v4());

    use Expect::*;
    let cases: Vec<Case> = vec![
        case("empty body", b"".to_vec()),
        case("null", b"null".to_vec()),
        case("[]", b"[]".to_vec()),
        case("{}", b"{}".to_vec()).pull(Served),
        case("true", b"true".to_vec()),
        case("a number", b"42".to_vec()),
        case("a string", b"\"push\"".to_vec()),
        case("deeply nested arrays", deep("[", "]", 100_000)),
        case("deeply nested objects", format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000)).into_bytes()),
        case("huge exponent", b"1e999999".to_vec()),
        case("huge integer", b"123456789012345678901234567890123456789012345678901234567890".to_vec()),
        case("huge number as device_id", br#"{"device_id": 1e999, "mutations": []}"#.to_vec()),
        case("invalid UTF-8", b"\xff\xfe\x00\x80".to_vec()),
        case("invalid UTF-8 in a string", b"{\"device_id\": \"\xff\xfe\", \"email\": \"\xc3\x28\"}".to_vec()),
        case("byte order mark", format!("\u{feff}{}", String::from_utf8(push_of(vec![good()])).expect("utf8")).into_bytes()),
        case("NaN", br#"{"device_id": NaN, "limit": NaN, "email": NaN}"#.to_vec()),
        case("truncated", br#"{"device_id""#.to_vec()),
        case("NUL byte outside strings", b"{\"device_id\"\x00: 1}".to_vec()),
        case("strings where mutations go", json!({"device_id": Uuid::new_v4(), "mutations": ["a", "b"]}).to_string().into_bytes()),
        case("an object where the device id goes", json!({"device_id": {"id": "x"}, "mutations": []}).to_string().into_bytes()),
        case("duplicate keys", format!(r#"{{"device_id": "{}", "device_id": "{}", "mutations": [], "email": "a", "email": "b", "password": "c"}}"#, Uuid::new_v4(), Uuid::new_v4()).into_bytes()),
        case("args an array", with_args(json!([1, 2, 3]))).push(Rejected("invalid_arguments")),
        case("args null", with_args(Value::Null)).push(Rejected("invalid_arguments")),
        case("args a string", with_args(json!("{\"cantidad\": 1}"))).push(Rejected("invalid_arguments")),
        case("args deeply nested", with_args(serde_json::from_slice(&deep("[", "]", 100)).expect("nested"))).push(Rejected("invalid_arguments")),
        case("args with huge numbers", with_args(json!({"cantidad": 1.0e300, "id_localizacion": -1}))).push(Rejected("invalid_arguments")),
        case("seq 0", with_seq(&[json!(0)])),
        case("seq u64::MAX", with_seq(&[json!(u64::MAX)])),
        case("seq i64::MAX + 1", with_seq(&[json!(i64::MAX as u64 + 1)])),
        case("seq beyond u64", String::from_utf8(with_seq(&[json!(1)])).expect("utf8").replace("\"seq\":1", "\"seq\":18446744073709551616").into_bytes()),
        case("seq -1", with_seq(&[json!(-1)])),
        case("seq 1.5", with_seq(&[json!(1.5)])),
        case("seq a string", with_seq(&[json!("1")])),
        case("non-increasing seq", with_seq(&[json!(2), json!(1)])),
        case("duplicate mutation ids", push_of(vec![duplicate.clone(), {
            let mut again = duplicate.clone();
            again["seq"] = json!(2);
            again
        }])),
        case("equal seq", push_of(vec![good(), same_seq])),
        case("login: email a number", br#"{"email": 1, "password": "x"}"#.to_vec()),
        case("login: password null", br#"{"email": "tecnico.norte@taller.test", "password": null}"#.to_vec()),
        case("login: huge email", json!({"email": format!("{noise}@taller.test"), "password": "taller-demo-2026"}).to_string().into_bytes()),
        case("login: NUL in the email", json!({"email": "tecnico.norte\0@taller.test", "password": "taller-demo-2026"}).to_string().into_bytes()),
        case("login: control characters", json!({"email": "\u{1}\u{7f}\u{202e}@taller.test", "password": "\u{0}"}).to_string().into_bytes()),
        case("pull: cursor garbage", br#"{"cursor": "!!! not a cursor"}"#.to_vec()),
        case("pull: cursor a number", br#"{"cursor": 42}"#.to_vec()),
        case("pull: cursor base64 of garbage", json!({"cursor": cursor_of(json!([1, 2]))}).to_string().into_bytes()),
        case("pull: cursor from the future", json!({"cursor": cursor_of(json!({"v": 1, "from": "18446744073709551000:18446744073709551001:", "from_scope": norte_scope}))}).to_string().into_bytes()),
        case("pull: cursor of another version", json!({"cursor": cursor_of(json!({"v": 99, "from": "1:1:", "from_scope": norte_scope}))}).to_string().into_bytes()),
        case("pull: cursor with a bad snapshot", json!({"cursor": cursor_of(json!({"v": 1, "from": "5:3:", "from_scope": norte_scope}))}).to_string().into_bytes()),
        case("pull: cursor with a NUL key", json!({"cursor": cursor_of(json!({"v": 1, "from": "1:1:", "from_scope": {"admin": false, "locs": []}, "to": "1:1:",
            "to_scope": norte_scope, "after": ["inventario\0", "x\0"]}))}).to_string().into_bytes()),
        case("pull: limit -1", br#"{"limit": -1}"#.to_vec()),
        case("pull: limit beyond u32", br#"{"limit": 4294967296}"#.to_vec()),
        case("pull: unknown field", br#"{"since": 0}"#.to_vec()),
        case("gzip that is not gzip", push_of(vec![good()])).header("content-encoding", "gzip"),
        case("an unsupported encoding", push_of(vec![good()])).header("content-encoding", "br"),
        case("xml", b"<push/>".to_vec()).header("content-type", "application/xml"),
    ];
    assert!(cases.len() >= 30);
    let mut mutations_recorded = 0;
    for case in &cases {
        for (path, expect) in [("/v1/push", case.push), ("/v1/pull", case.pull), ("/v1/auth/login", case.login)] {
            let label = format!("{} -> {path}", case.label);
            let mut headers = std_headers(Some(&token));
            for (name, value) in &case.headers {
                headers.retain(|(existing, _)| existing != name);
                headers.push((*name, value.clone().into_bytes()));
            }
            let before = recorded(&world).await;
            let reply = send(&base, Method::POST, path, &headers, Some(case.body.clone())).await;
            assert!(!reply.status.is_server_error(), "{label}: {} {}", reply.status, reply.text);
            match expect {
                Client => {
                    assert_json_client_error(&reply, &label);
                    assert_eq!(recorded(&world).await, before, "{label}: nothing recorded");
                }
                Served => assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text),
                Rejected(code) => {
                    assert_eq!(reply.status, StatusCode::OK, "{label}: {}", reply.text);
                    let outcomes = reply.body["outcomes"].as_array().cloned().unwrap_or_default();
                    assert_eq!(outcomes.len(), 2, "{label}: {}", reply.text);
                    assert_eq!(outcomes[0]["code"], code, "{label}: {}", reply.text);
                    assert_eq!(outcomes[1]["status"], "applied", "{label}: {}", reply.text);
                    mutations_recorded += 2;
                }
            }
        }
    }
    assert_eq!(recorded(&world).await.0, mutations_recorded);
    // Still serving, and still accepting good work.
    let reply = send(&base, Method::GET, "/healthz", &[], None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.body["status"], "ok");
    let device = Device::new();
    assert_applied(&world.norte.push_one(&device, "movement.record", good_args(&world)).await);
    Api::login(&base, "tecnico.norte@taller.test", taller_server::demo::DEMO_PASSWORD).await;
}

// ------------------------------------------------------------------------------------ helpers

/// (label, Content-Type, body, expected status, expected code).
type EnvelopeCase = (&'static str, Option<&'static str>, Vec<u8>, StatusCode, &'static str);
/// (label, headers, expected status, expected code).
type HeaderCase = (&'static str, Vec<(&'static str, Vec<u8>)>, StatusCode, &'static str);

/// A raw HTTP answer.
struct Reply {
    status: StatusCode,
    /// The body as JSON (`Null` when it is not JSON).
    body: Value,
    text: String,
    allow: String,
}

fn h(name: &'static str, value: impl Into<String>) -> (&'static str, Vec<u8>) {
    (name, value.into().into_bytes())
}

/// The headers of a well-behaved client.
fn std_headers(token: Option<&str>) -> Vec<(&'static str, Vec<u8>)> {
    let mut headers = vec![h("taller-protocol", "1"), h("content-type", "application/json")];
    if let Some(token) = token {
        headers.push(h("authorization", format!("Bearer {token}")));
    }
    headers
}

/// Sends exactly these headers and bytes.
async fn send(
    base: &str,
    method: Method,
    path: &str,
    headers: &[(&'static str, Vec<u8>)],
    body: Option<Vec<u8>>,
) -> Reply {
    let mut request = reqwest::Client::new().request(method, format!("{base}{path}"));
    for (name, value) in headers {
        let value = reqwest::header::HeaderValue::from_bytes(value).expect("header value");
        request = request.header(*name, value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let allow =
        response.headers().get(reqwest::header::ALLOW).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let bytes = response.bytes().await.expect("body");
    let text = String::from_utf8_lossy(&bytes).chars().take(2_000).collect();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply { status, body, text, allow }
}

#[track_caller]
fn assert_error(reply: &Reply, status: StatusCode, code: &str, label: &str) {
    assert_eq!(reply.status, status, "{label}: {}", reply.text);
    assert_eq!(reply.body["code"], code, "{label}: {}", reply.text);
    assert!(reply.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{label}: a message: {}", reply.text);
}

#[track_caller]
fn assert_json_client_error(reply: &Reply, label: &str) {
    assert!(reply.status.is_client_error(), "{label}: a 4xx, not {}: {}", reply.status, reply.text);
    assert!(reply.body["code"].as_str().is_some_and(|c| !c.is_empty()), "{label}: a string code: {}", reply.text);
    assert!(reply.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{label}: a string message: {}", reply.text);
}

/// (recorded mutations, technician movements, ledger rows).
async fn recorded(world: &World) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM sync_mutations), (SELECT count(*) FROM movimientos_tecnicos), (SELECT count(*) FROM logs_inventario)",
    )
    .fetch_one(&world.db.pool)
    .await
    .expect("counts")
}

/// A movement Norte's technician may record: one unit into Taller Norte.
fn good_args(world: &World) -> Value {
    movement_args(world.locs[1], world.parts[5], world.norte.user_id(), "ingreso", "ingreso", 1)
}

fn good_envelope_value(world: &World) -> Value {
    envelope(1, Utc::now(), "movement.record", good_args(world))
}

/// A mutation envelope as raw JSON.
fn envelope(seq: u64, at: DateTime<Utc>, name: &str, args: Value) -> Value {
    json!({"id": Uuid::new_v4(), "seq": seq, "at": at, "name": name, "args": args})
}

/// What a garbage body must get from one endpoint.
#[derive(Clone, Copy)]
enum Expect {
    /// A 4xx with `{code, message}`; nothing recorded.
    Client,
    /// A valid request after all (an empty pull).
    Served,
    /// A well-formed push whose first mutation is rejected with this code and whose second applies.
    Rejected(&'static str),
}

struct Case {
    label: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
    push: Expect,
    pull: Expect,
    login: Expect,
}

fn case(label: &'static str, body: Vec<u8>) -> Case {
    Case { label, body, headers: Vec::new(), push: Expect::Client, pull: Expect::Client, login: Expect::Client }
}

impl Case {
    fn push(self, expect: Expect) -> Case {
        Case { push: expect, ..self }
    }

    fn pull(self, expect: Expect) -> Case {
        Case { pull: expect, ..self }
    }

    fn header(mut self, name: &'static str, value: &str) -> Case {
        self.headers.push((name, value.to_owned()));
        self
    }
}
