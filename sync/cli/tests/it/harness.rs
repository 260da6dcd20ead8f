//! A served database with the demo workshop network, for the CLI's processes to sign in to.

use serde_json::Value;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
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

/// Runs `taller --data-dir D [--json] ARGS`, writing `stdin` to it: (exit code, stdout).
pub fn taller_output(dir: &Path, json: bool, args: &[&str], stdin: Option<&str>) -> (i32, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_taller"));
    command.arg("--data-dir").arg(dir);
    if json {
        command.arg("--json");
    }
    let mut child =
        command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("spawn");
    if let Some(text) = stdin {
        child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write");
    }
    drop(child.stdin.take());
    let output = child.wait_with_output().expect("wait");
    (output.status.code().unwrap_or(-1), String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The last JSON document a `--json` command printed (`null` when there is none).
pub fn json_of(stdout: &str) -> Value {
    stdout.lines().last().and_then(|line| serde_json::from_str(line).ok()).unwrap_or(Value::Null)
}

/// `taller --data-dir D --json ARGS`: (exit code, the last JSON document printed).
pub fn taller(dir: &Path, args: &[&str], stdin: Option<&str>) -> (i32, Value) {
    let (code, stdout) = taller_output(dir, true, args, stdin);
    (code, json_of(&stdout))
}

/// [`taller`] that must succeed (exit 0): its JSON document.
pub fn ok(dir: &Path, args: &[&str], stdin: Option<&str>) -> Value {
    let (code, out) = taller(dir, args, stdin);
    assert_eq!(code, 0, "taller {args:?}: {out}");
    out
}
