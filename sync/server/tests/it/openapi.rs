//! The OpenAPI document is true (issue 9.7): every endpoint is driven through a real server,
//! to success and to each refusal it can give, and every real answer is checked against the
//! document the same server serves: its status is documented for that operation, its body
//! validates against the documented schema (JSON Schema 2020-12, `$ref`s resolved against the
//! document's components, formats checked), and the headers a client needs (`Retry-After`) are
//! declared. Every problem is collected and reported at once.

use crate::harness::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use taller_protocol::{MAX_PUSH_BYTES, MAX_PUSH_MUTATIONS, PROTOCOL_HEADER};
use taller_server::demo::DEMO_PASSWORD;
use uuid::Uuid;

/// The served document and what the answers checked against it revealed.
struct Spec {
    document: Value,
    problems: Vec<String>,
    /// (method, path, status) seen, to show what was covered.
    seen: Vec<(String, String, u16)>,
}

/// One request to make: the documented path it exercises, and what is sent.
struct Call {
    method: Method,
    path: &'static str,
    /// The path with any query, when it differs from the documented one.
    target: Option<String>,
    token: Option<String>,
    protocol: Option<&'static str>,
    body: Option<Body>,
    headers: Vec<(&'static str, String)>,
}

enum Body {
    Json(Value),
    Raw(Vec<u8>),
}

fn call(method: Method, path: &'static str) -> Call {
    Call { method, path, target: None, token: None, protocol: Some("1"), body: None, headers: Vec::new() }
}

impl Call {
    fn token(mut self, token: &str) -> Call {
        self.token = Some(token.to_owned());
        self
    }

    fn json(mut self, body: Value) -> Call {
        self.body = Some(Body::Json(body));
        self
    }

    /// Bytes sent with `Content-Type: application/json` (or none, when `headers` says so).
    fn raw(mut self, body: Vec<u8>) -> Call {
        self.body = Some(Body::Raw(body));
        self
    }

    fn protocol(mut self, protocol: Option<&'static str>) -> Call {
        self.protocol = protocol;
        self
    }

    fn header(mut self, name: &'static str, value: &str) -> Call {
        self.headers.push((name, value.to_owned()));
        self
    }
}

impl Spec {
    async fn fetch(base: &str) -> Spec {
        let response = reqwest::get(format!("{base}/v1/openapi.json")).await.expect("request");
        assert_eq!(response.status(), StatusCode::OK);
        let document: Value = response.json().await.expect("the document is JSON");
        let mut spec = Spec { document: document.clone(), problems: Vec::new(), seen: Vec::new() };
        spec.check_answer("GET", "/v1/openapi.json", 200, Some("application/json"), &[], &document);
        spec
    }

    fn operation(&self, method: &str, path: &str) -> Option<&Value> {
        self.document["paths"][path].get(method.to_lowercase())
    }

    /// Sends `call`, checks the answer against the document, and returns it.
    async fn exchange(&mut self, base: &str, expected: StatusCode, call: Call) -> (StatusCode, Value) {
        let target = call.target.clone().unwrap_or_else(|| call.path.to_owned());
        let mut request = reqwest::Client::new().request(call.method.clone(), format!("{base}{target}"));
        if let Some(protocol) = call.protocol {
            request = request.header(PROTOCOL_HEADER, protocol);
        }
        if let Some(token) = &call.token {
            request = request.bearer_auth(token);
        }
        match call.body {
            Some(Body::Json(value)) => request = request.json(&value),
            Some(Body::Raw(bytes)) => {
                if !call.headers.iter().any(|(name, _)| *name == "content-type") {
                    request = request.header("content-type", "application/json");
                }
                request = request.body(bytes);
            }
            None => {}
        }
        for (name, value) in &call.headers {
            if !value.is_empty() {
                request = request.header(*name, value);
            }
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or_default().trim().to_owned());
        let headers: Vec<String> = response.headers().keys().map(|name| name.as_str().to_owned()).collect();
        let label = format!("{} {target}", call.method);
        if status != expected {
            self.problems.push(format!("{label}: the test meant to get {expected}, got {status}"));
        }
        let body = if content_type.as_deref() == Some("text/event-stream") {
            // The live channel never ends: its head is the answer.
            drop(response);
            Value::Null
        } else {
            let bytes = response.bytes().await.expect("body");
            if bytes.is_empty() {
                Value::Null
            } else {
                match serde_json::from_slice(&bytes) {
                    Ok(value) => value,
                    Err(error) => {
                        self.problems.push(format!("{label}: the body is not JSON ({error})"));
                        Value::Null
                    }
                }
            }
        };
        let method = call.method.as_str().to_owned();
        self.check_answer(&method, call.path, status.as_u16(), content_type.as_deref(), &headers, &body);
        (status, body)
    }

    fn check_answer(
        &mut self,
        method: &str,
        path: &str,
        status: u16,
        content_type: Option<&str>,
        headers: &[String],
        body: &Value,
    ) {
        let label = format!("{method} {path} -> {status}");
        self.seen.push((method.to_owned(), path.to_owned(), status));
        let Some(operation) = self.operation(method, path).cloned() else {
            self.problems.push(format!("{label}: the operation is not documented"));
            return;
        };
        let Some(response) = operation["responses"].get(status.to_string()).or(operation["responses"].get("default"))
        else {
            let documented: Vec<&String> =
                operation["responses"].as_object().map(|r| r.keys().collect()).unwrap_or_default();
            self.problems.push(format!("{label}: status not documented (documented: {documented:?})"));
            return;
        };
        if headers.iter().any(|name| name == "retry-after") {
            let declared = response["headers"]
                .as_object()
                .is_some_and(|declared| declared.keys().any(|name| name.eq_ignore_ascii_case("retry-after")));
            if !declared {
                self.problems.push(format!("{label}: the Retry-After header it carries is not declared"));
            }
        }
        let content = response.get("content").and_then(Value::as_object);
        let Some(content_type) = content_type else {
            if body.is_null() && content.is_some_and(|c| !c.is_empty()) {
                self.problems.push(format!("{label}: a body is documented, none was sent"));
            }
            return;
        };
        let Some(media) = content.and_then(|c| c.get(content_type)) else {
            self.problems.push(format!("{label}: content type {content_type} is not documented"));
            return;
        };
        if content_type != "application/json" {
            return;
        }
        let Some(schema) = media.get("schema") else {
            self.problems.push(format!("{label}: no schema for the JSON body"));
            return;
        };
        for error in validate(&self.document, schema, body) {
            self.problems.push(format!("{label}: {error}"));
        }
    }

    /// Every operation of the versioned API declares the protocol header as a required
    /// parameter; the OpenAPI document itself is the exception the protocol allows.
    fn check_protocol_parameter(&mut self) {
        let paths = self.document["paths"].as_object().cloned().unwrap_or_default();
        for (path, item) in paths {
            for (method, operation) in item.as_object().cloned().unwrap_or_default() {
                let versioned = path.starts_with("/v1/") && path != "/v1/openapi.json";
                let declared = operation["parameters"].as_array().is_some_and(|parameters| {
                    parameters
                        .iter()
                        .any(|p| p["name"] == PROTOCOL_HEADER && p["in"] == "header" && p["required"] == true)
                });
                if versioned && !declared {
                    self.problems
                        .push(format!("{method} {path}: `{PROTOCOL_HEADER}` is not a declared required header"));
                }
            }
        }
    }
}

/// The errors of `instance` against `schema`, whose `$ref`s point into `document`.
fn validate(document: &Value, schema: &Value, instance: &Value) -> Vec<String> {
    let mut root = schema.clone();
    if let Some(object) = root.as_object_mut() {
        object.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
        object.insert("components".into(), document["components"].clone());
    }
    let validator = match jsonschema::options().should_validate_formats(true).build(&root) {
        Ok(validator) => validator,
        Err(error) => return vec![format!("the documented schema does not compile: {error}")],
    };
    validator
        .iter_errors(instance)
        .map(|error| {
            let text = error.to_string();
            let text: String = text.chars().take(300).collect();
            format!("body does not match the schema at {}: {text}", error.instance_path())
        })
        .collect()
}

#[tokio::test]
async fn every_answer_of_every_endpoint_matches_the_served_document() {
    let world = World::new().await;
    let base = world.server.base.clone();
    let base = base.as_str();
    let mut spec = Spec::fetch(base).await;
    spec.check_protocol_parameter();
    use StatusCode as S;

    // ---------------------------------------------------------------- health
    spec.exchange(base, S::OK, call(Method::GET, "/healthz").protocol(None)).await;

    // ---------------------------------------------------------------- login
    let login = |email: &str, password: &str| {
        call(Method::POST, "/v1/auth/login").json(json!({"email": email, "password": password}))
    };
    spec.exchange(base, S::OK, login("tecnico.norte@taller.test", DEMO_PASSWORD)).await;
    spec.exchange(base, S::UNAUTHORIZED, login("tecnico.norte@taller.test", "not-it")).await;
    spec.exchange(base, S::BAD_REQUEST, call(Method::POST, "/v1/auth/login").raw(b"{\"email\":".to_vec())).await;
    spec.exchange(base, S::UNPROCESSABLE_ENTITY, call(Method::POST, "/v1/auth/login").json(json!({"email": "x"})))
        .await;
    spec.exchange(
        base,
        S::UNSUPPORTED_MEDIA_TYPE,
        call(Method::POST, "/v1/auth/login").raw(b"{}".to_vec()).header("content-type", "text/plain"),
    )
    .await;
    spec.exchange(
        base,
        S::UNSUPPORTED_MEDIA_TYPE,
        call(Method::POST, "/v1/auth/login").raw(b"{}".to_vec()).header("content-encoding", "br"),
    )
    .await;
    let huge = json!({"email": "a".repeat(MAX_PUSH_BYTES), "password": "x"});
    spec.exchange(base, S::PAYLOAD_TOO_LARGE, call(Method::POST, "/v1/auth/login").json(huge.clone())).await;
    spec.exchange(base, S::BAD_REQUEST, login("tecnico.norte@taller.test", DEMO_PASSWORD).protocol(None)).await;
    spec.exchange(base, S::UPGRADE_REQUIRED, login("tecnico.norte@taller.test", DEMO_PASSWORD).protocol(Some("0")))
        .await;
    spec.exchange(base, S::BAD_REQUEST, login("tecnico.norte@taller.test", DEMO_PASSWORD).protocol(Some("2"))).await;
    for _ in 0..5 {
        spec.exchange(base, S::UNAUTHORIZED, login("nadie@taller.test", "x")).await;
    }
    spec.exchange(base, S::TOO_MANY_REQUESTS, login("nadie@taller.test", "x")).await;

    // ---------------------------------------------------------------- register
    let register = |email: &str, password: &str| {
        call(Method::POST, "/v1/auth/register")
            .json(json!({"nombre_completo": "Nueva Persona", "email": email, "password": password}))
    };
    let (_, profile) = spec.exchange(base, S::CREATED, register("nueva@taller.test", "una-clave-larga")).await;
    spec.exchange(base, S::CONFLICT, register("nueva@taller.test", "una-clave-larga")).await;
    spec.exchange(base, S::UNPROCESSABLE_ENTITY, register("otra@taller.test", "corta")).await;
    spec.exchange(base, S::BAD_REQUEST, call(Method::POST, "/v1/auth/register").raw(b"{\"email\":".to_vec())).await;
    spec.exchange(base, S::PAYLOAD_TOO_LARGE, call(Method::POST, "/v1/auth/register").json(huge.clone())).await;
    // Not approved yet: signing in is forbidden.
    spec.exchange(base, S::FORBIDDEN, login("nueva@taller.test", "una-clave-larga")).await;
    let nueva: Uuid = serde_json::from_value(profile["id_usuario"].clone()).expect("id");
    assert_applied(&world.admin.push_one(&Device::new(), "user.approve", json!({"id_usuario": nueva})).await);

    // ---------------------------------------------------------------- refresh and logout
    let fresh = Api::login(base, "tecnico.norte@taller.test", DEMO_PASSWORD).await;
    let fresh_session = fresh.session.clone().expect("session");
    let refresh = |token: &str| call(Method::POST, "/v1/auth/refresh").json(json!({"refresh_token": token}));
    let (_, renewed) = spec.exchange(base, S::OK, refresh(&fresh_session.refresh_token)).await;
    spec.exchange(base, S::UNAUTHORIZED, refresh(&fresh_session.refresh_token)).await;
    spec.exchange(base, S::UNPROCESSABLE_ENTITY, call(Method::POST, "/v1/auth/refresh").json(json!({}))).await;
    spec.exchange(base, S::BAD_REQUEST, call(Method::POST, "/v1/auth/refresh").raw(b"nope".to_vec())).await;
    let renewed = renewed["access_token"].as_str().unwrap_or_default().to_owned();
    spec.exchange(base, S::NO_CONTENT, call(Method::POST, "/v1/auth/logout").token(&renewed)).await;
    spec.exchange(base, S::UNAUTHORIZED, call(Method::POST, "/v1/auth/logout").token(&renewed)).await;
    spec.exchange(base, S::UNAUTHORIZED, call(Method::POST, "/v1/auth/logout")).await;

    // ---------------------------------------------------------------- me
    let norte = world.norte.token.clone().expect("token");
    spec.exchange(base, S::OK, call(Method::GET, "/v1/me").token(&norte)).await;
    spec.exchange(base, S::UNAUTHORIZED, call(Method::GET, "/v1/me").token("garbage")).await;
    spec.exchange(base, S::UNAUTHORIZED, call(Method::GET, "/v1/me")).await;

    // ---------------------------------------------------------------- password
    let nueva_api = Api::login(base, "nueva@taller.test", "una-clave-larga").await;
    let nueva_token = nueva_api.token.clone().expect("token");
    let password = |current: &str, new: &str| {
        call(Method::POST, "/v1/auth/password").json(json!({"current_password": current, "new_password": new}))
    };
    spec.exchange(base, S::UNPROCESSABLE_ENTITY, password("una-clave-larga", "corta").token(&nueva_token)).await;
    spec.exchange(base, S::UNAUTHORIZED, password("not-it", "otra-clave-larga").token(&nueva_token)).await;
    spec.exchange(base, S::UNAUTHORIZED, password("una-clave-larga", "otra-clave-larga")).await;
    spec.exchange(base, S::OK, password("una-clave-larga", "otra-clave-larga").token(&nueva_token)).await;
    let sur = world.sur.token.clone().expect("token");
    for _ in 0..5 {
        spec.exchange(base, S::UNAUTHORIZED, password("not-it", "otra-clave-larga").token(&sur)).await;
    }
    spec.exchange(base, S::TOO_MANY_REQUESTS, password(DEMO_PASSWORD, "otra-clave-larga").token(&sur)).await;

    // ---------------------------------------------------------------- push
    let device = Device::new();
    let good = device.envelope(
        "movement.record",
        movement_args(world.locs[1], world.parts[2], world.norte.user_id(), "ingreso", "ingreso", 2),
    );
    let refused = device.envelope(
        "movement.record",
        movement_args(world.locs[1], world.parts[2], world.norte.user_id(), "ingreso", "ingreso", 0),
    );
    let push = |device_id: Uuid, mutations: Value| {
        call(Method::POST, "/v1/push").json(json!({"device_id": device_id, "mutations": mutations}))
    };
    let (_, pushed) =
        spec.exchange(base, S::OK, push(device.id, json!([good.clone(), refused.clone()])).token(&norte)).await;
    assert_eq!(pushed["outcomes"][1]["status"], "rejected", "{pushed}");
    spec.exchange(base, S::OK, push(device.id, json!([good.clone()])).token(&norte)).await;
    let mut reused = good.clone();
    reused.id = Uuid::new_v4();
    spec.exchange(base, S::CONFLICT, push(device.id, json!([reused])).token(&norte)).await;
    let bodega = world.bodega.token.clone().expect("token");
    spec.exchange(base, S::FORBIDDEN, push(device.id, json!([])).token(&bodega)).await;
    spec.exchange(base, S::UNAUTHORIZED, push(device.id, json!([]))).await;
    spec.exchange(base, S::BAD_REQUEST, call(Method::POST, "/v1/push").raw(b"{".to_vec()).token(&norte)).await;
    spec.exchange(
        base,
        S::UNPROCESSABLE_ENTITY,
        call(Method::POST, "/v1/push").json(json!({"mutations": []})).token(&norte),
    )
    .await;
    spec.exchange(
        base,
        S::UNSUPPORTED_MEDIA_TYPE,
        call(Method::POST, "/v1/push").raw(b"{}".to_vec()).header("content-type", "").token(&norte),
    )
    .await;
    let many = Device::new();
    let batch: Vec<_> = (0..=MAX_PUSH_MUTATIONS)
        .map(|_| many.envelope("notification.read", json!({"id_notificacion": Uuid::nil()})))
        .collect();
    spec.exchange(base, S::PAYLOAD_TOO_LARGE, push(many.id, json!(batch)).token(&norte)).await;
    spec.exchange(base, S::PAYLOAD_TOO_LARGE, call(Method::POST, "/v1/push").json(huge.clone()).token(&norte)).await;
    spec.exchange(base, S::UPGRADE_REQUIRED, push(device.id, json!([])).token(&norte).protocol(Some("0"))).await;

    // ---------------------------------------------------------------- pull
    let (_, page) = spec.exchange(base, S::OK, call(Method::POST, "/v1/pull").json(json!({})).token(&norte)).await;
    let upserts: usize = page["changes"]
        .as_array()
        .map(|c| c.iter().map(|t| t["upserts"].as_array().map_or(0, Vec::len)).sum())
        .unwrap_or(0);
    assert!(upserts > 0, "the first pull is a non-empty delta: {page:.300}");
    let cursor = page["cursor"].as_str().unwrap_or_default().to_owned();
    spec.exchange(
        base,
        S::OK,
        call(Method::POST, "/v1/pull").json(json!({"cursor": cursor, "limit": 10})).token(&norte),
    )
    .await;
    spec.exchange(base, S::OK, call(Method::POST, "/v1/pull").json(json!({"limit": 3})).token(&norte)).await;
    spec.exchange(
        base,
        S::BAD_REQUEST,
        call(Method::POST, "/v1/pull").json(json!({"cursor": "garbage"})).token(&norte),
    )
    .await;
    spec.exchange(
        base,
        S::UNPROCESSABLE_ENTITY,
        call(Method::POST, "/v1/pull").json(json!({"limit": -1})).token(&norte),
    )
    .await;
    spec.exchange(base, S::UNAUTHORIZED, call(Method::POST, "/v1/pull").json(json!({}))).await;
    spec.exchange(base, S::PAYLOAD_TOO_LARGE, call(Method::POST, "/v1/pull").json(huge).token(&norte)).await;

    // ---------------------------------------------------------------- checksum and events
    spec.exchange(base, S::OK, call(Method::GET, "/v1/checksum").token(&norte)).await;
    spec.exchange(base, S::UNAUTHORIZED, call(Method::GET, "/v1/checksum")).await;
    spec.exchange(base, S::OK, call(Method::GET, "/v1/events").token(&norte)).await;
    spec.exchange(base, S::UNAUTHORIZED, call(Method::GET, "/v1/events")).await;
    spec.exchange(base, S::BAD_REQUEST, call(Method::GET, "/v1/events").token(&norte).protocol(None)).await;

    // ---------------------------------------------------------------- a blocked account
    // Blocked by another application on the same schema: the session is still open, and the
    // server refuses it for the account's state.
    sqlx::query(
        "UPDATE sync_credenciales SET bloqueado = true \
          WHERE id_usuario = (SELECT id_usuario FROM usuarios WHERE email = 'bodega@taller.test')",
    )
    .execute(&world.db.pool)
    .await
    .expect("block");
    for blocked in [
        call(Method::GET, "/v1/me"),
        call(Method::GET, "/v1/checksum"),
        call(Method::GET, "/v1/events"),
        call(Method::POST, "/v1/pull").json(json!({})),
        call(Method::POST, "/v1/push").json(json!({"device_id": Uuid::new_v4(), "mutations": []})),
        call(Method::POST, "/v1/auth/logout"),
        password(DEMO_PASSWORD, "otra-clave-larga"),
    ] {
        spec.exchange(base, S::FORBIDDEN, blocked.token(&bodega)).await;
    }
    spec.exchange(base, S::FORBIDDEN, login("bodega@taller.test", DEMO_PASSWORD)).await;

    // Every documented operation was driven at least once.
    let paths = spec.document["paths"].as_object().cloned().unwrap_or_default();
    for (path, item) in paths {
        for method in item.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()).unwrap_or_default() {
            let driven = spec.seen.iter().any(|(m, p, _)| m.eq_ignore_ascii_case(&method) && *p == path);
            if !driven {
                spec.problems.push(format!("{method} {path}: documented but not driven by this test"));
            }
        }
    }
    assert!(
        spec.problems.is_empty(),
        "{} answers do not match the served OpenAPI document:\n{}",
        spec.problems.len(),
        spec.problems.join("\n")
    );
}

/// The validator itself catches what it must (so a green run means something): a row of
/// scalars against the old `array of arrays of objects`, a code outside `ErrorCode`, a field
/// of the wrong type.
#[test]
fn the_validator_refuses_what_the_schemas_do_not_allow() {
    let document = json!({"components": {"schemas": {
        "Rows": {"type": "array", "items": {"type": "array", "items": {"type": "object"}}},
        "Code": {"type": "string", "enum": ["invalid_json"]},
        "Error": {"type": "object", "required": ["code", "message"],
                  "properties": {"code": {"$ref": "#/components/schemas/Code"}, "message": {"type": "string"}}},
    }}});
    let rows = json!({"$ref": "#/components/schemas/Rows"});
    assert!(validate(&document, &rows, &json!([[{}]])).is_empty());
    assert!(!validate(&document, &rows, &json!([["a", 1, null]])).is_empty());
    let error = json!({"$ref": "#/components/schemas/Error"});
    assert!(validate(&document, &error, &json!({"code": "invalid_json", "message": "x"})).is_empty());
    assert!(!validate(&document, &error, &json!({"code": "nope", "message": "x"})).is_empty());
    assert!(!validate(&document, &error, &json!({"code": "invalid_json", "message": 1})).is_empty());
    let uuid = json!({"type": "string", "format": "uuid"});
    assert!(!validate(&document, &uuid, &json!("not-a-uuid")).is_empty(), "formats are checked");
}
