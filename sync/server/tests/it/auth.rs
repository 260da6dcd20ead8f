//! Accounts and authority: login, registration and approval, rejection and blocking, rate
//! limits, refresh rotation, logout, password changes, how secrets are stored, and the OpenAPI
//! document.

use crate::harness::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use taller_protocol::messages::Session;
use taller_server::config::Config;
use taller_server::demo::DEMO_PASSWORD;
use uuid::Uuid;

const NORTE: &str = "tecnico.norte@taller.test";

#[tokio::test]
async fn login_returns_the_profile_and_refuses_wrong_credentials_alike() {
    let world = World::new().await;
    let base = &world.server.base;
    let (status, body) = login(base, NORTE, DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let session: Session = serde_json::from_value(body).expect("session");
    assert!(!session.access_token.is_empty() && !session.refresh_token.is_empty());
    assert_ne!(session.access_token, session.refresh_token);
    assert!(session.expires_at > chrono::Utc::now() && session.refresh_expires_at > session.expires_at);
    let user = &session.user;
    assert_eq!(user.email, NORTE);
    assert_eq!(user.nombre_rol, "tecnico");
    assert!(!user.is_admin);
    assert_eq!(user.localizaciones, vec![world.locs[1]], "Norte's technician is assigned to Taller Norte");
    assert_eq!(user.permisos["inventory"]["create"], true, "{}", user.permisos);
    assert_eq!(user.permisos["requests"]["approve"], false, "{}", user.permisos);
    assert_eq!(user.id_usuario, world.norte.user_id());
    // The token works, and /me says the same.
    let (status, me) = as_user(base, &session.access_token).get("/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["id_usuario"], json!(user.id_usuario));
    // Admin: all permissions, no location list needed.
    let admin = &world.admin.session.as_ref().expect("session").user;
    assert!(admin.is_admin);
    assert_eq!(admin.nombre_rol, "admin");
    assert_eq!(admin.permisos["users"]["manage"], true);

    // Wrong password, unknown email, an account without credentials: one answer for all.
    let mut messages = Vec::new();
    for (email, password) in [
        (NORTE, "taller-demo-2025"),
        (NORTE, ""),
        ("nadie@taller.test", DEMO_PASSWORD),
        ("nadie@taller.test", "x"),
        ("sistema@taller.invalid", DEMO_PASSWORD),
        ("", ""),
    ] {
        let (status, body) = login(base, email, password).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{email}: {body}");
        assert_eq!(body["code"], "invalid_credentials", "{email}: {body}");
        messages.push(body["message"].as_str().expect("message").to_owned());
        assert!(body.get("access_token").is_none());
    }
    messages.dedup();
    assert_eq!(messages.len(), 1, "no account enumeration through the message: {messages:?}");

    // Email is case-insensitive and trimmed (the failures above do not reach the limit).
    for email in ["TECNICO.NORTE@TALLER.TEST", "Tecnico.Norte@Taller.Test", "  tecnico.norte@taller.test "] {
        let (status, body) = login(base, email, DEMO_PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{email}: {body}");
        assert_eq!(body["user"]["id_usuario"], json!(world.norte.user_id()));
    }
    // The password is not.
    let (status, _) = login(base, NORTE, &DEMO_PASSWORD.to_uppercase()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_registered_account_waits_for_approval() {
    let world = World::new().await;
    let base = &world.server.base;
    let anonymous = Api::anonymous(base);
    let email = "Nueva.Tecnica@Taller.Test";
    let password = "una-clave-larga";
    let (status, body) = anonymous
        .post("/v1/auth/register", json!({"nombre_completo": "  Elena Nueva ", "email": email, "password": password}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["email"], "nueva.tecnica@taller.test", "stored in lower case: {body}");
    assert_eq!(body["nombre_completo"], "Elena Nueva");
    assert_eq!(body["nombre_rol"], "tecnico");
    assert_eq!(body["localizaciones"], json!([]));
    assert_eq!(body["is_admin"], false);
    assert!(body.get("password").is_none() && body.get("password_hash").is_none(), "{body}");
    let id: Uuid = serde_json::from_value(body["id_usuario"].clone()).expect("id");
    let aprobado: bool = sqlx::query_scalar("SELECT aprobado FROM usuarios WHERE id_usuario = $1")
        .bind(id)
        .fetch_one(&world.db.pool)
        .await
        .expect("user");
    assert!(!aprobado);

    // Not approved yet: the right password says so, a wrong one says nothing more.
    let (status, body) = login(base, email, password).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "user_not_approved", "{body}");
    let (status, body) = login(base, email, "otra-clave-larga").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")), "{body}");

    // Taken emails, in any spelling.
    for taken in
        [email, "nueva.tecnica@taller.test", "NUEVA.TECNICA@TALLER.TEST", "admin@taller.test", " admin@taller.test "]
    {
        let (status, body) = anonymous
            .post(
                "/v1/auth/register",
                json!({"nombre_completo": "Otra", "email": taken, "password": "otra-clave-larga"}),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{taken}: {body}");
        assert_eq!(body["code"], "email_taken", "{taken}: {body}");
    }
    // Invalid registrations.
    for (label, request) in [
        ("short password", json!({"nombre_completo": "Corta", "email": "corta@taller.test", "password": "1234567"})),
        ("empty password", json!({"nombre_completo": "Vacia", "email": "vacia@taller.test", "password": ""})),
        (
            "empty name",
            json!({"nombre_completo": "   ", "email": "sin.nombre@taller.test", "password": "una-clave-larga"}),
        ),
        (
            "not an email",
            json!({"nombre_completo": "Sin Correo", "email": "no-es-un-correo", "password": "una-clave-larga"}),
        ),
        (
            "huge email",
            json!({"nombre_completo": "Larga", "email": format!("{}@taller.test", "a".repeat(300)), "password": "una-clave-larga"}),
        ),
        (
            "NUL in the name",
            json!({"nombre_completo": "Elena\0Nula", "email": "nula@taller.test", "password": "una-clave-larga"}),
        ),
        (
            "NUL in the email",
            json!({"nombre_completo": "Elena", "email": "nu\0la@taller.test", "password": "una-clave-larga"}),
        ),
    ] {
        let (status, body) = anonymous.post("/v1/auth/register", request).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {body}");
        assert!(body["code"].is_string() && body["message"].is_string(), "{label}: {body}");
    }
    for (label, request) in [
        ("missing password", json!({"nombre_completo": "Elena", "email": "x@taller.test"})),
        (
            "unknown field",
            json!({"nombre_completo": "Elena", "email": "x@taller.test", "password": "una-clave-larga", "id_rol": Uuid::nil()}),
        ),
    ] {
        let (status, body) = anonymous.post("/v1/auth/register", request).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_json")),
            "{label}: {body}"
        );
    }
    let accounts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM usuarios").fetch_one(&world.db.pool).await.expect("count");
    assert_eq!(accounts, 6, "system user, four demo accounts and the new one");

    // A technician cannot approve; an administrator can.
    let outcome = world.norte.push_one(&Device::new(), "user.approve", json!({"id_usuario": id})).await;
    assert_rejected(&outcome, "forbidden");
    let (status, _) = login(base, email, password).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_applied(&world.admin.push_one(&Device::new(), "user.approve", json!({"id_usuario": id})).await);
    let (status, body) = login(base, email, password).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["id_usuario"], json!(id));
    let (status, me) = as_user(base, body["access_token"].as_str().expect("token")).get("/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
}

#[tokio::test]
async fn a_rejected_account_cannot_sign_in_and_its_sessions_end() {
    let world = World::new().await;
    let base = &world.server.base;
    let email = "rechazada@taller.test";
    let password = "una-clave-larga";
    let (status, body) = Api::anonymous(base)
        .post("/v1/auth/register", json!({"nombre_completo": "Rita Rechazada", "email": email, "password": password}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id: Uuid = serde_json::from_value(body["id_usuario"].clone()).expect("id");
    let admin_device = Device::new();
    assert_applied(&world.admin.push_one(&admin_device, "user.approve", json!({"id_usuario": id})).await);
    let (status, body) = login(base, email, password).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let session: Session = serde_json::from_value(body).expect("session");
    let api = as_user(base, &session.access_token);
    assert_eq!(api.get("/v1/me").await.0, StatusCode::OK);

    // A reason is required.
    let outcome =
        world.admin.push_one(&admin_device, "user.reject", json!({"id_usuario": id, "motivo_rechazo": "   "})).await;
    assert_rejected(&outcome, "reason_required");
    assert_eq!(api.get("/v1/me").await.0, StatusCode::OK, "a refused rejection changes nothing");
    // An administrator cannot reject themself.
    let outcome = world
        .admin
        .push_one(&admin_device, "user.reject", json!({"id_usuario": world.admin.user_id(), "motivo_rechazo": "x"}))
        .await;
    assert_rejected(&outcome, "invalid_arguments");

    let outcome = world
        .admin
        .push_one(&admin_device, "user.reject", json!({"id_usuario": id, "motivo_rechazo": "No trabaja aquí"}))
        .await;
    assert_applied(&outcome);
    let motivo: Option<String> = sqlx::query_scalar("SELECT motivo_rechazo FROM usuarios WHERE id_usuario = $1")
        .bind(id)
        .fetch_one(&world.db.pool)
        .await
        .expect("user");
    assert_eq!(motivo.as_deref(), Some("No trabaja aquí"));
    let (status, body) = login(base, email, password).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("user_not_approved")), "{body}");
    let (status, body) = api.get("/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the existing token stops working: {body}");
    let (status, body) = api.post("/v1/push", json!({"device_id": Uuid::new_v4(), "mutations": []})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, body) =
        Api::anonymous(base).post("/v1/auth/refresh", json!({"refresh_token": session.refresh_token})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")), "{body}");
    // Approved again, the account works again (with a new login).
    assert_applied(&world.admin.push_one(&admin_device, "user.approve", json!({"id_usuario": id})).await);
    assert_eq!(login(base, email, password).await.0, StatusCode::OK);
    assert_eq!(api.get("/v1/me").await.0, StatusCode::UNAUTHORIZED, "old sessions stay closed");
}

#[tokio::test]
async fn a_blocked_account_cannot_sign_in_and_its_tokens_stop_working() {
    let world = World::new().await;
    let base = &world.server.base;
    let session = world.norte.session.clone().expect("session");
    assert_eq!(world.norte.get("/v1/me").await.0, StatusCode::OK);
    taller_server::admin::block_user(&world.db.pool, "Tecnico.Norte@taller.test").await.expect("block");
    let (status, body) = login(base, NORTE, DEMO_PASSWORD).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("user_blocked")), "{body}");
    // A wrong password still says only that.
    let (status, body) = login(base, NORTE, "not-the-password").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")), "{body}");
    for (path, body) in [("/v1/pull", json!({})), ("/v1/push", json!({"device_id": Uuid::new_v4(), "mutations": []}))] {
        let (status, reply) = world.norte.post(path, body).await;
        assert!(matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN), "{path}: {status} {reply}");
        assert!(reply["code"].is_string(), "{reply}");
    }
    let (status, body) =
        Api::anonymous(base).post("/v1/auth/refresh", json!({"refresh_token": session.refresh_token})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // Others are unaffected.
    assert_eq!(world.sur.get("/v1/me").await.0, StatusCode::OK);
    assert_eq!(login(base, "tecnico.sur@taller.test", DEMO_PASSWORD).await.0, StatusCode::OK);
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_account() {
    let world = World::new().await;
    let base = &world.server.base;
    let sur = "tecnico.sur@taller.test";
    for attempt in 1..=5 {
        let (status, body) = login(base, sur, "wrong-password").await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_credentials")),
            "attempt {attempt}: {body}"
        );
    }
    // The sixth, even with the right password (in any spelling of the email).
    for email in [sur, "TECNICO.SUR@taller.test"] {
        let (status, body) = login(base, email, DEMO_PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["code"], "rate_limited", "{body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // The account's existing sessions keep working; other accounts sign in.
    assert_eq!(world.sur.get("/v1/me").await.0, StatusCode::OK);
    assert_eq!(login(base, NORTE, DEMO_PASSWORD).await.0, StatusCode::OK);

    // A success forgets earlier failures.
    let bodega = "bodega@taller.test";
    for _ in 0..4 {
        assert_eq!(login(base, bodega, "wrong-password").await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login(base, bodega, DEMO_PASSWORD).await.0, StatusCode::OK);
    for _ in 0..4 {
        assert_eq!(login(base, bodega, "wrong-password").await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login(base, bodega, DEMO_PASSWORD).await.0, StatusCode::OK);
    // Unknown emails are limited too (no difference between known and unknown accounts).
    for _ in 0..5 {
        assert_eq!(login(base, "nadie@taller.test", "x").await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login(base, "nadie@taller.test", "x").await.0, StatusCode::TOO_MANY_REQUESTS);
}

/// The limit holds when the attempts come all at once (a script firing in parallel, or many
/// server processes): at most the allowed number of guesses is ever checked.
#[tokio::test]
async fn concurrent_failed_logins_cannot_exceed_the_limit() {
    let world = World::new().await;
    let base = world.server.base.clone();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let base = base.clone();
        tasks.push(tokio::spawn(async move { login(&base, "tecnico.sur@taller.test", &format!("guess-{i}")).await }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        let (status, body) = task.await.expect("task");
        assert!(matches!(status, StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS), "{status} {body}");
        statuses.push(status);
    }
    let guesses = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    assert_eq!(guesses, 5, "exactly the allowed number of guesses was checked: {statuses:?}");
    assert_eq!(login(&base, "tecnico.sur@taller.test", DEMO_PASSWORD).await.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(login(&base, NORTE, DEMO_PASSWORD).await.0, StatusCode::OK, "the address is not blocked by 20 attempts");
}

#[tokio::test]
async fn failed_logins_are_rate_limited_per_address() {
    let world = World::with_config(Config { login_attempts_per_address: 3, ..Config::default() }).await;
    let base = &world.server.base;
    for (i, email) in ["uno@taller.test", "dos@taller.test", NORTE].iter().enumerate() {
        let (status, body) = login(base, email, "wrong-password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}: {body}");
    }
    // A fourth account from the same address, right password: refused.
    let (status, body) = login(base, "admin@taller.test", DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["code"], "rate_limited", "{body}");
    let (status, _) = login(base, "otro@taller.test", "x").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Signed-in users are not affected.
    assert_eq!(world.admin.get("/v1/me").await.0, StatusCode::OK);
}

#[tokio::test]
async fn refresh_rotates_and_logout_revokes() {
    let world = World::new().await;
    let base = &world.server.base;
    let first = world.norte.session.clone().expect("session");
    let anonymous = Api::anonymous(base);
    let (status, body) = anonymous.post("/v1/auth/refresh", json!({"refresh_token": first.refresh_token})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second: Session = serde_json::from_value(body).expect("session");
    assert_ne!(second.access_token, first.access_token);
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_eq!(second.user.id_usuario, first.user.id_usuario);
    assert_eq!(as_user(base, &second.access_token).get("/v1/me").await.0, StatusCode::OK);
    // Rotation: the old refresh token works once, and the session it belonged to is closed.
    let (status, body) = anonymous.post("/v1/auth/refresh", json!({"refresh_token": first.refresh_token})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")), "{body}");
    assert_eq!(world.norte.get("/v1/me").await.0, StatusCode::UNAUTHORIZED, "the rotated session's access token");
    // Garbage, an access token, or nothing as the refresh token.
    for token in [json!("garbage"), json!(second.access_token), json!(""), json!("A".repeat(43))] {
        let (status, body) = anonymous.post("/v1/auth/refresh", json!({"refresh_token": token})).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("unauthorized")),
            "{token}: {body}"
        );
    }
    let (status, body) = anonymous.post("/v1/auth/refresh", json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // The new refresh token still works (none of the failures above consumed it).
    let (status, body) = anonymous.post("/v1/auth/refresh", json!({"refresh_token": second.refresh_token})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let third: Session = serde_json::from_value(body).expect("session");

    // Logout closes this session only.
    let (status, body) = login(base, NORTE, DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let other: Session = serde_json::from_value(body).expect("session");
    let api = as_user(base, &third.access_token);
    let (status, body) = api.post("/v1/auth/logout", json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = api.get("/v1/me").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")), "{body}");
    assert_eq!(api.post("/v1/auth/logout", json!({})).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = anonymous.post("/v1/auth/refresh", json!({"refresh_token": third.refresh_token})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a logged-out session cannot be refreshed: {body}");
    assert_eq!(as_user(base, &other.access_token).get("/v1/me").await.0, StatusCode::OK, "other sessions stay");
    // Logging out needs a session.
    assert_eq!(anonymous.post("/v1/auth/logout", json!({})).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn changing_the_password_closes_the_other_sessions() {
    let world = World::new().await;
    let base = &world.server.base;
    let a = world.norte.clone();
    let (status, body) = login(base, NORTE, DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let b: Session = serde_json::from_value(body).expect("session");
    let new_password = "nueva-clave-2026";

    let (status, body) =
        a.post("/v1/auth/password", json!({"current_password": "not-it", "new_password": new_password})).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")), "{body}");
    let (status, body) =
        a.post("/v1/auth/password", json!({"current_password": DEMO_PASSWORD, "new_password": "corta"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = Api::anonymous(base)
        .post("/v1/auth/password", json!({"current_password": DEMO_PASSWORD, "new_password": new_password}))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(a.get("/v1/me").await.0, StatusCode::OK, "failed changes change nothing");
    assert_eq!(login(base, NORTE, DEMO_PASSWORD).await.0, StatusCode::OK);

    let (status, body) =
        a.post("/v1/auth/password", json!({"current_password": DEMO_PASSWORD, "new_password": new_password})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let c: Session = serde_json::from_value(body).expect("session");
    assert_eq!(c.user.id_usuario, world.norte.user_id());
    assert_eq!(as_user(base, &c.access_token).get("/v1/me").await.0, StatusCode::OK, "the new session works");
    assert_eq!(a.get("/v1/me").await.0, StatusCode::UNAUTHORIZED, "the session that changed it was replaced");
    assert_eq!(as_user(base, &b.access_token).get("/v1/me").await.0, StatusCode::UNAUTHORIZED, "other sessions closed");
    let (status, _) = Api::anonymous(base).post("/v1/auth/refresh", json!({"refresh_token": b.refresh_token})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = login(base, NORTE, DEMO_PASSWORD).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("invalid_credentials")), "{body}");
    assert_eq!(login(base, NORTE, new_password).await.0, StatusCode::OK);
    // Other users keep their sessions.
    assert_eq!(world.sur.get("/v1/me").await.0, StatusCode::OK);
}

#[tokio::test]
async fn passwords_and_tokens_are_stored_only_as_hashes() {
    let world = World::new().await;
    let (status, body) = Api::anonymous(&world.server.base)
        .post(
            "/v1/auth/register",
            json!({"nombre_completo": "Hash", "email": "hash@taller.test", "password": "clave-de-prueba"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let hashes: Vec<String> = sqlx::query_scalar("SELECT password_hash FROM sync_credenciales")
        .fetch_all(&world.db.pool)
        .await
        .expect("hashes");
    assert_eq!(hashes.len(), 5);
    for hash in &hashes {
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains(DEMO_PASSWORD) && !hash.contains("clave-de-prueba"), "{hash}");
    }
    let mut distinct = hashes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), hashes.len(), "salted: four accounts with one password, four hashes");

    let rows: Vec<(String, Vec<u8>, Vec<u8>)> =
        sqlx::query_as("SELECT s::text, token_hash, refresh_hash FROM sync_sesiones s")
            .fetch_all(&world.db.pool)
            .await
            .expect("sessions");
    assert_eq!(rows.len(), 4, "one session per demo login");
    for api in [&world.admin, &world.bodega, &world.norte, &world.sur] {
        let session = api.session.as_ref().expect("session");
        for token in [&session.access_token, &session.refresh_token] {
            let plain = token.as_bytes();
            for (text, token_hash, refresh_hash) in &rows {
                assert!(!text.contains(token.as_str()), "a plain token in {text}");
                for stored in [token_hash, refresh_hash] {
                    assert!(!stored.windows(plain.len()).any(|w| w == plain), "plain token bytes stored");
                }
            }
            let digest = taller_server::auth::token_hash(token);
            let found = rows.iter().filter(|(_, t, r)| *t == digest || *r == digest).count();
            assert_eq!(found, 1, "the token is found by its hash");
        }
    }
    // Nowhere else either: no text column of any table holds a token.
    let session = world.norte.session.as_ref().expect("session");
    let tables: Vec<String> = sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
        .fetch_all(&world.db.pool)
        .await
        .expect("tables");
    for table in tables {
        for token in [&session.access_token, &session.refresh_token] {
            let hits: i64 =
                sqlx::query_scalar(&format!("SELECT count(*) FROM \"{table}\" t WHERE strpos(t::text, $1) > 0"))
                    .bind(token)
                    .fetch_one(&world.db.pool)
                    .await
                    .expect("scan");
            assert_eq!(hits, 0, "a plain token in {table}");
        }
    }
}

#[tokio::test]
async fn the_openapi_document_is_served_without_the_protocol_header() {
    let world = World::new().await;
    let response = reqwest::get(format!("{}/v1/openapi.json", world.server.base)).await.expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let document: Value = response.json().await.expect("json");
    assert!(document["openapi"].as_str().is_some_and(|v| v.starts_with('3')), "{}", document["openapi"]);
    let paths = document["paths"].as_object().expect("paths");
    for path in [
        "/v1/push",
        "/v1/pull",
        "/v1/auth/login",
        "/v1/auth/refresh",
        "/v1/auth/register",
        "/v1/auth/logout",
        "/v1/auth/password",
    ] {
        assert!(paths.contains_key(path), "{path} in {:?}", paths.keys().collect::<Vec<_>>());
    }
    assert!(paths["/v1/push"]["post"].is_object());
    assert!(document["components"]["securitySchemes"]["bearer"].is_object(), "{}", document["components"]);
    assert!(document["components"]["schemas"]["ApiError"].is_object(), "the error body is documented");
    // Health too, for load balancers.
    let response = reqwest::get(format!("{}/healthz", world.server.base)).await.expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let health: Value = response.json().await.expect("json");
    assert_eq!(health["protocol"], 1);
}

/// Issue 9.6: a stolen access token must not be a way to guess the password. Wrong current
/// passwords share the account's and the address's sign-in limits; after the limit the answer
/// is 429 with `Retry-After`, even for the right password; after
/// `password_attempts_per_session` failures the session itself is closed.
#[tokio::test]
async fn guessing_the_current_password_is_limited_and_closes_the_session() {
    let world = World::new().await;
    let base = &world.server.base;
    let config = Config::default();
    let thief = Api::login(base, NORTE, DEMO_PASSWORD).await;
    let thief_session = thief.session.clone().expect("session");
    let limit = config.login_attempts_per_account;
    let closes_after = config.password_attempts_per_session;
    assert!(closes_after > limit + 1, "the test needs limited attempts before the session closes");
    for attempt in 1..=limit {
        let reply = change_password(&thief, &format!("guess-{attempt}"), "nueva-clave-2026").await;
        assert_eq!(
            (reply.status, reply.body["code"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_credentials")),
            "attempt {attempt}: {}",
            reply.body
        );
    }
    let mut attempt = limit + 1;
    let reply = change_password(&thief, "guess-again", "nueva-clave-2026").await;
    assert_rate_limited(&reply, config.login_window.num_seconds(), "a wrong password over the limit");
    attempt += 1;
    // The right password is refused too while the limit holds, and changes nothing.
    let reply = change_password(&thief, DEMO_PASSWORD, "nueva-clave-2026").await;
    assert_rate_limited(&reply, config.login_window.num_seconds(), "the right password while limited");
    attempt += 1;
    assert!(current_password_is(&world, DEMO_PASSWORD).await, "the password did not change");
    // Signing in is limited by the same count: the guesses were at the same password.
    let (status, body) = login(base, NORTE, DEMO_PASSWORD).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")), "{body}");
    assert_eq!(thief.get("/v1/me").await.0, StatusCode::OK, "not closed yet");
    while attempt < closes_after {
        let reply = change_password(&thief, "guess-more", "nueva-clave-2026").await;
        assert_rate_limited(&reply, config.login_window.num_seconds(), "still limited");
        attempt += 1;
    }
    // The last allowed failure closes the session: its access and refresh tokens stop working.
    let reply = change_password(&thief, "guess-last", "nueva-clave-2026").await;
    assert_eq!(
        (reply.status, reply.body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized")),
        "failure {closes_after} closes the session: {}",
        reply.body
    );
    assert!(reply.body["message"].as_str().is_some_and(|m| m.contains("sign in again")), "{}", reply.body);
    let (status, body) = thief.get("/v1/me").await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")), "{body}");
    let reply = change_password(&thief, DEMO_PASSWORD, "nueva-clave-2026").await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    let (status, body) =
        Api::anonymous(base).post("/v1/auth/refresh", json!({"refresh_token": thief_session.refresh_token})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the refresh token of the closed session: {body}");
    assert!(current_password_is(&world, DEMO_PASSWORD).await);
    // The account's other sessions and other accounts are not closed.
    assert_eq!(world.norte.get("/v1/me").await.0, StatusCode::OK);
    assert_eq!(world.sur.get("/v1/me").await.0, StatusCode::OK);
    let reply = change_password(&world.sur, DEMO_PASSWORD, "nueva-clave-2026").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

/// Wrong current passwords count against the address too, whichever account they are for.
#[tokio::test]
async fn guessing_current_passwords_is_limited_per_address() {
    let world = World::with_config(Config { login_attempts_per_address: 3, ..Config::default() }).await;
    for api in [&world.norte, &world.sur, &world.bodega] {
        let reply = change_password(api, "not-it", "nueva-clave-2026").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    }
    let reply = change_password(&world.admin, DEMO_PASSWORD, "nueva-clave-2026").await;
    assert_rate_limited(&reply, Config::default().login_window.num_seconds(), "a fourth account, same address");
    let (status, body) = login(&world.server.base, "admin@taller.test", DEMO_PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "sign-in shares the address's count: {body}");
}

/// The counts live in PostgreSQL: a second server process on the same database sees the
/// attempts made through the first, and closes the session at the same count.
#[tokio::test]
async fn a_second_server_process_sees_the_same_password_limits() {
    let world = World::new().await;
    let other = OtherProcess::start(&world.db.url);
    let config = Config::default();
    let here = Api::login(&world.server.base, NORTE, DEMO_PASSWORD).await;
    let there = Api { base: other.base.clone(), ..here.clone() };
    assert_eq!(there.get("/v1/me").await.0, StatusCode::OK, "the session works on both processes");
    for attempt in 1..=config.login_attempts_per_account {
        let api = if attempt % 2 == 0 { &here } else { &there };
        let reply = change_password(api, "not-it", "nueva-clave-2026").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {attempt}: {}", reply.body);
    }
    for api in [&here, &there] {
        let reply = change_password(api, DEMO_PASSWORD, "nueva-clave-2026").await;
        assert_rate_limited(&reply, config.login_window.num_seconds(), &api.base);
        let (status, body) = login(&api.base, NORTE, DEMO_PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{}: {body}", api.base);
    }
    let mut failures = config.login_attempts_per_account + 2;
    while failures < config.password_attempts_per_session - 1 {
        let api = if failures % 2 == 0 { &here } else { &there };
        assert_eq!(change_password(api, "not-it", "nueva-clave-2026").await.status, StatusCode::TOO_MANY_REQUESTS);
        failures += 1;
    }
    let reply = change_password(&there, "not-it", "nueva-clave-2026").await;
    assert_eq!(
        (reply.status, reply.body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized")),
        "{}",
        reply.body
    );
    assert_eq!(here.get("/v1/me").await.0, StatusCode::UNAUTHORIZED, "closed for every process");
    assert!(current_password_is(&world, DEMO_PASSWORD).await);
}

// ------------------------------------------------------------------------------------ helpers

async fn login(base: &str, email: &str, password: &str) -> (StatusCode, Value) {
    Api::anonymous(base).post("/v1/auth/login", json!({"email": email, "password": password})).await
}

fn as_user(base: &str, token: &str) -> Api {
    Api { token: Some(token.to_owned()), ..Api::anonymous(base) }
}

/// An answer with its `Retry-After` header.
struct Reply {
    status: StatusCode,
    body: Value,
    retry_after: Option<String>,
}

async fn change_password(api: &Api, current: &str, new: &str) -> Reply {
    let mut request = reqwest::Client::new()
        .post(format!("{}/v1/auth/password", api.base))
        .header("taller-protocol", "1")
        .json(&json!({"current_password": current, "new_password": new}));
    if let Some(token) = &api.token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let retry_after =
        response.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    Reply { status, body, retry_after }
}

#[track_caller]
fn assert_rate_limited(reply: &Reply, window_seconds: i64, label: &str) {
    assert_eq!(
        (reply.status, reply.body["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")),
        "{label}: {}",
        reply.body
    );
    assert!(reply.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{label}: {}", reply.body);
    let seconds: i64 = reply
        .retry_after
        .as_deref()
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("{label}: Retry-After in seconds, got {:?}", reply.retry_after));
    assert!((1..=window_seconds).contains(&seconds), "{label}: Retry-After {seconds} within the window");
}

/// Whether the stored hash of Norte's technician is of this password.
async fn current_password_is(world: &World, password: &str) -> bool {
    let hash: String = sqlx::query_scalar(
        "SELECT c.password_hash FROM sync_credenciales c JOIN usuarios u USING (id_usuario) WHERE u.email = $1",
    )
    .bind(NORTE)
    .fetch_one(&world.db.pool)
    .await
    .expect("hash");
    taller_server::auth::verify_password(password, &hash)
}

/// A `taller-server serve` process of its own on the test's database.
struct OtherProcess {
    child: std::process::Child,
    base: String,
}

impl OtherProcess {
    fn start(database_url: &str) -> OtherProcess {
        use std::io::{BufRead, BufReader};
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_taller-server"))
            .env("RUST_LOG", "warn")
            .args(["--database-url", database_url, "serve", "--listen", "127.0.0.1:0", "--migrate", "false"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn taller-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines.next().expect("the server prints its address").expect("line");
            if let Some(address) = line.strip_prefix("listening on ") {
                break address.to_owned();
            }
        };
        OtherProcess { child, base }
    }
}

impl Drop for OtherProcess {
    fn drop(&mut self) {
        // Only this test's own child process.
        let _killed = self.child.kill();
        let _waited = self.child.wait();
    }
}
