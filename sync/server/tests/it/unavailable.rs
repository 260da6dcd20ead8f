//! While PostgreSQL refuses connections, the server answers 503 `unavailable` with
//! `Retry-After`, not 500 `internal`: a client backs off and tries the same request again.

use crate::harness::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;
use taller_server::config::Config;
use taller_server::state::AppState;
use taller_server::{demo, events, router, serve};

async fn answer(request: reqwest::RequestBuilder) -> (StatusCode, Option<String>, Value) {
    let response = request.header("taller-protocol", "1").send().await.expect("the server answers");
    let status = response.status();
    let retry_after =
        response.headers().get(reqwest::header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    (status, retry_after, response.json::<Value>().await.unwrap_or(Value::Null))
}

fn assert_unavailable((status, retry_after, body): &(StatusCode, Option<String>, Value), what: &str) {
    assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{what}: {body}");
    assert_eq!(body["code"], "unavailable", "{what}: {body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: a message");
    let seconds: u64 = retry_after.as_deref().and_then(|s| s.parse().ok()).expect("Retry-After in seconds");
    assert!(seconds > 0, "{what}: Retry-After {seconds}");
}

/// A real server on its own PostgreSQL cluster; the cluster is stopped (`pg_ctl stop -m
/// fast`: pooled connections are cut, new ones refused). Signed-in and anonymous requests that
/// need the database answer 503 `unavailable` with `Retry-After`, and /healthz still 200.
#[tokio::test]
async fn a_stopped_database_gives_503_unavailable_with_retry_after() {
    use taller_pgcluster::{Cluster, Options};
    let dir = tempfile::Builder::new().prefix("taller-down-").tempdir().expect("temp dir");
    let cluster = Cluster::start(&dir.path().join("pg"), &Options::throwaway()).expect("a private cluster");
    cluster.create_database("taller").expect("database");
    let url = cluster.url("taller");
    let setup = taller_server::db::connect(&url, 2).await.expect("connect");
    taller_server::db::migrate(&setup).await.expect("migrate");
    demo::load(&setup, &demo::DemoSize { parts: 5, locations: 3 }).await.expect("demo data");
    setup.close().await;
    // The server's pool, with a short wait for a connection so the test does not sit out the
    // production timeout.
    let options = PgConnectOptions::from_str(&url).expect("url").options([("TimeZone", "UTC")]);
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .acquire_timeout(Duration::from_secs(2))
        .connect_with(options)
        .await
        .expect("pool");
    let state = AppState::new(pool, Config::default());
    let listener_task = tokio::spawn(events::run_listener(url.clone(), state.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = router(state.clone());
    let server = tokio::spawn(async move { serve(listener, app, std::future::pending()).await.expect("serve") });

    let api = Api::login(&base, "tecnico.norte@taller.test", demo::DEMO_PASSWORD).await;
    let token = api.token.clone().expect("token");
    let http = reqwest::Client::new();
    let pull = || http.post(format!("{base}/v1/pull")).bearer_auth(&token).json(&json!({}));
    assert_eq!(answer(pull()).await.0, StatusCode::OK, "served while the database is up");

    cluster.stop().expect("stop the cluster");

    assert_unavailable(&answer(pull()).await, "pull");
    assert_unavailable(&answer(http.get(format!("{base}/v1/checksum")).bearer_auth(&token)).await, "checksum");
    assert_unavailable(
        &answer(http.post(format!("{base}/v1/push")).bearer_auth(&token).json(&json!({
            "device_id": uuid::Uuid::new_v4(), "mutations": []})))
        .await,
        "push",
    );
    assert_unavailable(
        &answer(http.post(format!("{base}/v1/auth/login")).json(&json!({
            "email": "tecnico.norte@taller.test", "password": demo::DEMO_PASSWORD})))
        .await,
        "login",
    );
    let (status, _, _) = answer(http.get(format!("{base}/healthz"))).await;
    assert_eq!(status, StatusCode::OK, "the process itself is healthy");
    server.abort();
    listener_task.abort();
}

/// A pooled connection can come back still inside a transaction that sqlx does not know
/// about (a request cancelled while its `BEGIN` was in flight; the crash test met it as a push
/// that waited forever on its device's row). The pool closes it instead of handing it out: the
/// next borrower's statements commit on their own and a pull's snapshot starts clean.
#[tokio::test]
async fn a_connection_left_inside_a_transaction_is_never_handed_out_again() {
    let db = taller_server::testing::TestDb::new().await;
    let pool = taller_server::db::connect(&db.url, 1).await.expect("pool of one");
    let backend = |pool: &sqlx::PgPool| {
        let pool = pool.clone();
        async move { sqlx::query_scalar::<_, i32>("SELECT pg_backend_pid()").fetch_one(&pool).await.expect("pid") }
    };
    let first = backend(&pool).await;
    assert_eq!(backend(&pool).await, first, "a clean connection is reused");
    {
        let mut conn = pool.acquire().await.expect("connection");
        sqlx::raw_sql("BEGIN; SELECT 1").execute(&mut *conn).await.expect("a transaction the pool does not know about");
    }
    sqlx::query("CREATE TABLE written_after (x int)").execute(&pool).await.expect("a statement after the leak");
    let other = PgPoolOptions::new().max_connections(1).connect(&db.url).await.expect("another pool");
    let committed: bool = sqlx::query_scalar("SELECT to_regclass('written_after') IS NOT NULL")
        .fetch_one(&other)
        .await
        .expect("look from another session");
    assert!(committed, "the statement ran inside the leaked transaction and is not committed");
    assert_ne!(backend(&pool).await, first, "the connection left in a transaction was closed");
    let mut tx = taller_server::db::begin_read_snapshot(&pool).await.expect("a clean snapshot");
    let isolation: String =
        sqlx::query_scalar("SHOW transaction_isolation").fetch_one(&mut *tx).await.expect("isolation");
    assert_eq!(isolation, "repeatable read");
    let read_only: String = sqlx::query_scalar("SHOW transaction_read_only").fetch_one(&mut *tx).await.expect("ro");
    assert_eq!(read_only, "on");
}
