//! A served database with the demo workshop network, for the CLI's processes to sign in to.

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
        let db = TestDb::new().await;
        demo::load(&db.pool, &demo::DemoSize { parts: 20, locations: 3 }).await.expect("demo data");
        let server = TestServer::start(&db, Config::default()).await;
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

/// The replica file of the one user who signed in on a workstation (`users/<id>/replica.sqlite3`),
/// opened as any SQLite reader would.
pub fn replica_of(data_dir: &std::path::Path) -> rusqlite::Connection {
    let users = data_dir.join("users");
    let user = std::fs::read_dir(&users).expect("users").next().expect("a user").expect("entry");
    let conn = rusqlite::Connection::open(user.path().join("replica.sqlite3")).expect("replica");
    conn.busy_timeout(std::time::Duration::from_secs(10)).expect("busy timeout");
    conn
}
