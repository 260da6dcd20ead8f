//! Test harness: a fresh database per test (cloned from a migrated template), the real router
//! served on port 0, a real HTTP client, and a minimal replica model that applies a delta only
//! when its last page arrives, as the client library must.

#![allow(dead_code)]

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use taller_protocol::checksum::{Accumulator, TableChecksum};
use taller_protocol::messages::{ChecksumResponse, Outcome, OutcomeStatus, PullResponse, PushResponse, Session};
use taller_protocol::mutations::MutationEnvelope;
use taller_protocol::tables::{self, TABLES};
use taller_server::config::Config;
use taller_server::demo;
pub use taller_server::testing::{TestDb, TestServer};
use uuid::Uuid;

/// A signed-in HTTP client.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: Option<String>,
    pub session: Option<Arc<Session>>,
    pub lang: &'static str,
}

impl Api {
    pub fn anonymous(base: &str) -> Api {
        Api { http: reqwest::Client::new(), base: base.to_owned(), token: None, session: None, lang: "es" }
    }

    pub async fn login(base: &str, email: &str, password: &str) -> Api {
        let api = Api::anonymous(base);
        let (status, body) = api.post("/v1/auth/login", json!({"email": email, "password": password})).await;
        assert_eq!(status, StatusCode::OK, "login {email}: {body}");
        let session: Session = serde_json::from_value(body).expect("session");
        Api { token: Some(session.access_token.clone()), session: Some(Arc::new(session)), ..api }
    }

    pub fn user_id(&self) -> Uuid {
        self.session.as_ref().expect("signed in").user.id_usuario
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("taller-protocol", "1")
            .header("accept-language", self.lang);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        request
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self.request(reqwest::Method::POST, path).json(&body).send().await.expect("request");
        let status = response.status();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self.request(reqwest::Method::GET, path).send().await.expect("request");
        let status = response.status();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }

    /// Pushes and expects 200.
    pub async fn push(&self, device: Uuid, mutations: &[MutationEnvelope]) -> PushResponse {
        let (status, body) = self.post("/v1/push", json!({"device_id": device, "mutations": mutations})).await;
        assert_eq!(status, StatusCode::OK, "push: {body}");
        serde_json::from_value(body).expect("push response")
    }

    /// Pushes one mutation and returns its outcome.
    pub async fn push_one(&self, device: &Device, name: &str, args: Value) -> Outcome {
        let envelope = device.envelope(name, args);
        let mut response = self.push(device.id, &[envelope]).await;
        assert_eq!(response.outcomes.len(), 1, "one outcome");
        response.outcomes.remove(0)
    }

    pub async fn pull_page(&self, cursor: Option<&str>, limit: Option<u32>) -> PullResponse {
        let (status, body) = self.post("/v1/pull", json!({"cursor": cursor, "limit": limit})).await;
        assert_eq!(status, StatusCode::OK, "pull: {body}");
        serde_json::from_value(body).expect("pull response")
    }

    pub async fn checksum(&self) -> ChecksumResponse {
        let (status, body) = self.get("/v1/checksum").await;
        assert_eq!(status, StatusCode::OK, "checksum: {body}");
        serde_json::from_value(body).expect("checksum response")
    }
}

/// A device: an id and its sequence.
pub struct Device {
    pub id: Uuid,
    seq: AtomicU64,
}

impl Device {
    pub fn new() -> Device {
        Device { id: Uuid::new_v4(), seq: AtomicU64::new(0) }
    }

    pub fn envelope(&self, name: &str, args: Value) -> MutationEnvelope {
        self.envelope_at(name, args, Utc::now())
    }

    pub fn envelope_at(&self, name: &str, args: Value, at: DateTime<Utc>) -> MutationEnvelope {
        MutationEnvelope {
            id: Uuid::new_v4(),
            seq: self.seq.fetch_add(1, Ordering::SeqCst) + 1,
            at,
            name: name.to_owned(),
            args,
        }
    }
}

pub fn assert_applied(outcome: &Outcome) {
    assert_eq!(outcome.status, OutcomeStatus::Applied, "expected applied: {outcome:?}");
}

pub fn assert_rejected(outcome: &Outcome, code: &str) {
    assert_eq!(outcome.status, OutcomeStatus::Rejected, "expected rejected {code}: {outcome:?}");
    assert_eq!(outcome.code.as_deref(), Some(code), "{outcome:?}");
    assert!(outcome.message.as_deref().is_some_and(|m| !m.is_empty()), "a message: {outcome:?}");
}

/// A replica model: rows by (table, key), applied one whole delta at a time.
#[derive(Default, Clone)]
pub struct Replica {
    pub rows: BTreeMap<(String, String), Vec<Value>>,
    pub cursor: Option<String>,
    /// Deltas applied.
    pub deltas: u64,
    pub pages: u64,
}

pub fn row_key(table: &tables::Table, row: &[Value]) -> String {
    table
        .key
        .iter()
        .map(|k| {
            row[table.column_index(k).expect("key column")]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| row[0].to_string())
        })
        .collect::<Vec<_>>()
        .join("|")
}

impl Replica {
    /// Pulls until a delta completes, with the given page size; returns the number of pages.
    pub async fn sync(&mut self, api: &Api, limit: Option<u32>) -> u64 {
        let mut staged: Vec<taller_protocol::messages::TableChanges> = Vec::new();
        let mut pages = 0;
        loop {
            let page = api.pull_page(self.cursor.as_deref(), limit).await;
            pages += 1;
            if page.reset {
                staged.clear();
            }
            staged.extend(page.changes);
            self.cursor = Some(page.cursor);
            if page.complete {
                self.apply(staged);
                self.pages += pages;
                self.deltas += 1;
                return pages;
            }
        }
    }

    fn apply(&mut self, changes: Vec<taller_protocol::messages::TableChanges>) {
        for change in changes {
            let table = tables::table(&change.table).expect("known table");
            for row in change.upserts {
                assert_eq!(row.len(), table.columns.len(), "row width of {}", table.name);
                self.rows.insert((table.name.to_owned(), row_key(table, &row)), row);
            }
            for key in change.deletes {
                self.rows.remove(&(table.name.to_owned(), key));
            }
        }
    }

    pub fn table(&self, name: &str) -> impl Iterator<Item = &Vec<Value>> {
        let name = name.to_owned();
        self.rows.iter().filter(move |((table, _), _)| *table == name).map(|(_, row)| row)
    }

    pub fn get(&self, table: &str, key: &str) -> Option<&Vec<Value>> {
        self.rows.get(&(table.to_owned(), key.to_owned()))
    }

    /// The value of `column` in a row.
    pub fn value<'a>(row: &'a [Value], table: &str, column: &str) -> &'a Value {
        let table = tables::table(table).expect("table");
        &row[table.column_index(column).expect("column")]
    }

    pub fn checksums(&self) -> BTreeMap<String, TableChecksum> {
        let mut out = BTreeMap::new();
        for table in TABLES {
            let mut accumulator = Accumulator::default();
            for row in self.table(table.name) {
                accumulator.add(table, row);
            }
            out.insert(table.name.to_owned(), accumulator.finish());
        }
        out
    }
}

/// The demo workshop network on a fresh database, served, with the four demo accounts
/// signed in.
pub struct World {
    pub db: TestDb,
    pub server: TestServer,
    pub admin: Api,
    pub bodega: Api,
    pub norte: Api,
    pub sur: Api,
    /// Bodega Central, Taller Norte, Taller Sur.
    pub locs: [Uuid; 3],
    /// Parts by reference order.
    pub parts: Vec<Uuid>,
}

impl World {
    pub async fn new() -> World {
        World::with_config(Config::default()).await
    }

    pub async fn with_config(config: Config) -> World {
        let db = TestDb::new().await;
        demo::load(&db.pool, &demo::DemoSize { parts: 30, locations: 3 }).await.expect("demo data");
        let server = TestServer::start(&db, config).await;
        let login = |email: &'static str| {
            let base = server.base.clone();
            async move { Api::login(&base, email, demo::DEMO_PASSWORD).await }
        };
        let admin = login("admin@taller.test").await;
        let bodega = login("bodega@taller.test").await;
        let norte = login("tecnico.norte@taller.test").await;
        let sur = login("tecnico.sur@taller.test").await;
        let mut locs = [Uuid::nil(); 3];
        for (i, name) in ["Bodega Central", "Taller Norte", "Taller Sur"].iter().enumerate() {
            locs[i] = sqlx::query_scalar("SELECT id_localizacion FROM localizacion WHERE nombre = $1")
                .bind(name)
                .fetch_one(&db.pool)
                .await
                .expect("location");
        }
        let parts = sqlx::query_scalar("SELECT id_repuesto FROM repuestos ORDER BY referencia")
            .fetch_all(&db.pool)
            .await
            .expect("parts");
        World { db, server, admin, bodega, norte, sur, locs, parts }
    }

    pub async fn stock(&self, loc: Uuid, part: Uuid) -> i32 {
        sqlx::query_scalar("SELECT stock_actual FROM inventario WHERE id_localizacion = $1 AND id_repuesto = $2")
            .bind(loc)
            .bind(part)
            .fetch_optional(&self.db.pool)
            .await
            .expect("stock")
            .unwrap_or(0)
    }

    /// Sets stock directly (as another application would), for test set-up.
    pub async fn set_stock(&self, loc: Uuid, part: Uuid, stock: i32) {
        sqlx::query("UPDATE inventario SET stock_actual = $3 WHERE id_localizacion = $1 AND id_repuesto = $2")
            .bind(loc)
            .bind(part)
            .bind(stock)
            .execute(&self.db.pool)
            .await
            .expect("set stock");
    }

    /// Every item's stock equals its ledger: in write order (the feed's), each row starts where
    /// the previous ended, its `diferencia` is its arithmetic, and the last row ends at the stock.
    pub async fn assert_ledger_consistent(&self) {
        let broken: i64 = sqlx::query_scalar(
            "WITH l AS (SELECT l.id_inventario, l.cantidad_anterior, l.cantidad_nueva, l.diferencia, min(c.id) AS orden \
                          FROM logs_inventario l JOIN sync_changes c ON c.tabla = 'logs_inventario' AND c.clave = l.id_log::text \
                         GROUP BY 1, 2, 3, 4, l.id_log), \
                  chain AS (SELECT *, lag(cantidad_nueva) OVER (PARTITION BY id_inventario ORDER BY orden) AS prev, \
                                   row_number() OVER (PARTITION BY id_inventario ORDER BY orden DESC) AS rn FROM l) \
             SELECT (SELECT count(*) FROM chain WHERE prev IS NOT NULL AND prev <> cantidad_anterior) \
                  + (SELECT count(*) FROM chain WHERE diferencia <> cantidad_nueva - cantidad_anterior) \
                  + (SELECT count(*) FROM chain JOIN inventario i USING (id_inventario) WHERE rn = 1 AND i.stock_actual <> chain.cantidad_nueva)",
        )
        .fetch_one(&self.db.pool)
        .await
        .expect("ledger check");
        assert_eq!(broken, 0, "ledger rows that do not explain the stock");
    }
}

pub fn movement_args(loc: Uuid, part: Uuid, technician: Uuid, concepto: &str, tipo: &str, cantidad: i32) -> Value {
    json!({"id_movimientos_tecnicos": Uuid::new_v4(), "id_localizacion": loc, "id_repuesto": part,
           "id_tecnico_asignado": technician, "concepto": concepto, "tipo": tipo, "cantidad": cantidad})
}
