//! A served database with the demo workshop network, and client devices (a workstation data
//! directory each) signed in to it.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use taller_client::app::InboxEntry;
use taller_client::sync::{self, lock, SyncReport};
use taller_client::{Queued, Session, Workstation};
use taller_protocol::mutations::Mutation;
use taller_server::config::Config;
use taller_server::demo;
use taller_server::testing::{TestDb, TestServer};
use uuid::Uuid;

pub struct Net {
    pub db: TestDb,
    pub server: TestServer,
    /// Bodega Central, Taller Norte, Taller Sur.
    pub locs: [Uuid; 3],
    /// Parts by reference order, with their references.
    pub parts: Vec<(Uuid, String)>,
}

impl Net {
    pub async fn new() -> Net {
        Net::with_config(Config::default()).await
    }

    pub async fn with_config(config: Config) -> Net {
        let db = TestDb::new().await;
        demo::load(&db.pool, &demo::DemoSize { parts: 20, locations: 3 }).await.expect("demo data");
        let server = TestServer::start(&db, config).await;
        let mut locs = [Uuid::nil(); 3];
        for (i, name) in ["Bodega Central", "Taller Norte", "Taller Sur"].iter().enumerate() {
            locs[i] = sqlx::query_scalar("SELECT id_localizacion FROM localizacion WHERE nombre = $1")
                .bind(name)
                .fetch_one(&db.pool)
                .await
                .expect("location");
        }
        let parts = sqlx::query_as("SELECT id_repuesto, referencia FROM repuestos ORDER BY referencia")
            .fetch_all(&db.pool)
            .await
            .expect("parts");
        Net { db, server, locs, parts }
    }

    pub async fn server_stock(&self, loc: Uuid, part: Uuid) -> i32 {
        sqlx::query_scalar("SELECT stock_actual FROM inventario WHERE id_localizacion = $1 AND id_repuesto = $2")
            .bind(loc)
            .bind(part)
            .fetch_optional(&self.db.pool)
            .await
            .expect("stock")
            .unwrap_or(0)
    }
}

/// A workstation signed in as one user: the workstation, and that user's session.
pub struct Device {
    pub dir: tempfile::TempDir,
    pub ws: Workstation,
    pub client: Arc<Session>,
}

impl Device {
    pub async fn login(server: &str, email: &str) -> Device {
        let dir = tempfile::Builder::new().prefix("taller-device-").tempdir().expect("dir");
        Device::login_in(dir, server, email).await
    }

    pub async fn login_in(dir: tempfile::TempDir, server: &str, email: &str) -> Device {
        let mut ws = Workstation::open(dir.path()).expect("open");
        ws.connect(server).expect("connect");
        ws.login(email, demo::DEMO_PASSWORD).await.expect("login");
        let client = ws.session().expect("signed in");
        Device { dir, ws, client }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub async fn sync(&self) -> SyncReport {
        self.client.sync(None, &|_| {}).await.expect("sync")
    }

    /// Pulls without pushing (a sync that happens to have nothing to send yet is the same
    /// as this; tests use it to hold a mutation pending while pulling).
    pub async fn pull_only(&self) {
        let api = self.client.api().expect("api");
        let mut report = SyncReport::default();
        sync::pull(self.client.shared(), &api, None, &mut report, &|_| {}, &taller_client::probe::NoObserver)
            .await
            .expect("pull");
    }

    pub fn act(&self, mutation: Mutation) -> Queued {
        self.client.act(&mutation).expect("local action")
    }

    pub fn stock(&self, loc: Uuid, part: Uuid) -> i64 {
        let replica = lock(self.client.shared());
        replica
            .conn
            .query_row(
                "SELECT stock_actual FROM inventario WHERE id_localizacion = ?1 AND id_repuesto = ?2",
                [loc.to_string(), part.to_string()],
                |row| row.get(0),
            )
            .unwrap_or(0)
    }

    pub fn count(&self, sql: &str) -> i64 {
        let replica = lock(self.client.shared());
        replica.conn.query_row(sql, [], |row| row.get(0)).expect("count")
    }

    /// The conflict inbox, as the app shows it.
    pub fn conflicts(&self) -> Vec<InboxEntry> {
        self.client.inbox().expect("inbox")
    }

    pub async fn assert_converged(&self, context: &str) {
        let local = self.client.checksums().expect("checksums");
        let server = self.client.server_checksums().await.expect("server checksums");
        for (table, sum) in &server.tables {
            assert_eq!(local.get(table), Some(sum), "{context}: table {table} differs from the server");
        }
    }
}

pub fn movement(loc: Uuid, part: Uuid, technician: Uuid, concepto: &str, tipo: &str, cantidad: i32) -> Mutation {
    Mutation::parse(
        "movement.record",
        &serde_json::json!({"id_movimientos_tecnicos": Uuid::now_v7(), "id_localizacion": loc, "id_repuesto": part,
                            "id_tecnico_asignado": technician, "concepto": concepto, "tipo": tipo, "cantidad": cantidad}),
    )
    .expect("mutation")
}
