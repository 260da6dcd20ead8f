//! What the scenarios share: the PostgreSQL cluster (a database per scenario, some copied
//! from templates), the real `taller-server` binary run as a separate process, and client
//! devices (a data directory each) signed in to it.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::json;
use sqlx::PgPool;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use taller_client::app::PartListInput;
use taller_client::{Session, Workstation};
use taller_protocol::mutations::Mutation;
use taller_server::demo;
use tokio::io::{AsyncBufReadExt, BufReader};
use uuid::Uuid;

/// The cluster the bench runs on (its `postgres` database URL, as superuser).
#[derive(Clone)]
pub struct Pg {
    admin_url: String,
    pub pg_dir: Option<PathBuf>,
}

impl Pg {
    pub fn new(admin_url: String, pg_dir: Option<PathBuf>) -> Pg {
        Pg { admin_url, pg_dir }
    }

    pub fn url(&self, database: &str) -> String {
        let (base, _) = self.admin_url.rsplit_once('/').unwrap_or((&self.admin_url, ""));
        format!("{base}/{database}")
    }

    async fn admin(&self) -> Result<PgPool> {
        taller_server::db::connect(&self.admin_url, 1).await.context("connecting to the bench cluster")
    }

    /// A new, migrated database.
    pub async fn create(&self, name: &str) -> Result<PgPool> {
        let admin = self.admin().await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&admin).await?;
        sqlx::query(&format!("CREATE DATABASE \"{name}\"")).execute(&admin).await?;
        admin.close().await;
        let pool = taller_server::db::connect(&self.url(name), 4).await?;
        taller_server::db::migrate(&pool).await?;
        Ok(pool)
    }

    /// A copy of `template` (which must have no connection open).
    pub async fn copy(&self, name: &str, template: &str) -> Result<()> {
        let admin = self.admin().await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&admin).await?;
        let mut attempt = 0;
        loop {
            match sqlx::query(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")).execute(&admin).await {
                Ok(_) => break,
                // A session that just closed may still be leaving the template.
                Err(_) if attempt < 20 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => return Err(error).context(format!("copying {template} to {name}")),
            }
        }
        admin.close().await;
        Ok(())
    }

    pub async fn drop_database(&self, name: &str) -> Result<()> {
        let admin = self.admin().await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).execute(&admin).await?;
        admin.close().await;
        Ok(())
    }

    /// Whether pg_stat_statements is loaded (the xtask preloads it), installing it in `pool`'s
    /// database.
    pub async fn statements(pool: &PgPool) -> bool {
        sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements").execute(pool).await.is_ok()
            && sqlx::query("SELECT pg_stat_statements_reset()").execute(pool).await.is_ok()
    }
}

/// What pg_stat_statements saw in `pool`'s database since its last reset.
pub struct Statements {
    pub calls: i64,
    pub exec_ms: f64,
    /// Planning time (when pg_stat_statements.track_planning is on; 0 otherwise).
    pub plan_ms: f64,
    /// (calls, total ms, the start of the statement), most time first.
    pub top: Vec<(i64, f64, String)>,
}

impl Statements {
    pub async fn read(pool: &PgPool, top: i64) -> Result<Statements> {
        let filter = "dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                      AND query NOT LIKE '%pg_stat_statements%'";
        let (calls, exec_ms, plan_ms): (i64, f64, f64) = sqlx::query_as(&format!(
            "SELECT COALESCE(sum(calls), 0)::bigint, COALESCE(sum(total_exec_time), 0)::float8, \
                    COALESCE(sum(total_plan_time), 0)::float8 \
               FROM pg_stat_statements WHERE {filter}"
        ))
        .fetch_one(pool)
        .await?;
        let top: Vec<(i64, f64, String)> = sqlx::query_as(&format!(
            "SELECT calls, total_exec_time, left(regexp_replace(query, '\\s+', ' ', 'g'), 80) FROM pg_stat_statements \
              WHERE {filter} ORDER BY total_exec_time DESC LIMIT $1"
        ))
        .bind(top)
        .fetch_all(pool)
        .await?;
        Ok(Statements { calls, exec_ms, plan_ms, top })
    }

    pub async fn reset(pool: &PgPool) -> Result<()> {
        sqlx::query("SELECT pg_stat_statements_reset()").execute(pool).await?;
        Ok(())
    }

    /// The top statements, one line each.
    pub fn top_lines(&self) -> Vec<String> {
        self.top
            .iter()
            .map(|(calls, total, query)| format!("  {total:.0} ms in {calls} calls: `{}`", query.replace('`', "'")))
            .collect()
    }
}

/// Loads the demo network at a size, timing it.
pub async fn load_demo(pool: &PgPool, parts: usize, locations: usize) -> Result<(Duration, i64)> {
    let started = Instant::now();
    let summary = demo::load(pool, &demo::DemoSize { parts, locations }).await.map_err(|e| anyhow!("{e}"))?;
    sqlx::query("VACUUM ANALYZE").execute(pool).await?;
    Ok((started.elapsed(), summary.inventory_rows))
}

/// Loads the demo network faster, for the big data sets: `demo::load` runs in sessions with
/// `session_replication_role = replica`, where the documented triggers (ledger, low-stock
/// alerts, `updated_at`) do not fire and the change feed is captured row by row by the
/// replica-mode capture of migration 0009. The feed ends up as the statement-level capture
/// would have left it after the load: one image per row written.
pub async fn load_demo_fast(url: &str, parts: usize, locations: usize) -> Result<(Duration, i64)> {
    use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
    use std::str::FromStr;
    let started = Instant::now();
    let options =
        PgConnectOptions::from_str(url)?.options([("TimeZone", "UTC"), ("session_replication_role", "replica")]);
    let quiet = PgPoolOptions::new().max_connections(2).connect_with(options).await?;
    let summary = demo::load(&quiet, &demo::DemoSize { parts, locations }).await.map_err(|e| anyhow!("{e}"))?;
    quiet.close().await;
    let pool = taller_server::db::connect(url, 2).await?;
    sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
    pool.close().await;
    Ok((started.elapsed(), summary.inventory_rows))
}

/// The release (or debug) `taller-server` binary serving one database, as its own process.
pub struct ServerProc {
    child: tokio::process::Child,
    pub base: String,
    pub addr: SocketAddr,
    pub pid: u32,
}

impl ServerProc {
    pub async fn start(bin: &Path, database_url: &str, log: &Path) -> Result<ServerProc> {
        let log_file = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let mut child = tokio::process::Command::new(bin)
            .args(["--database-url", database_url, "serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log_file))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id().ok_or_else(|| anyhow!("the server exited at once"))?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await? {
                if line.starts_with("listening on ") {
                    return Ok::<_, std::io::Error>(Some(line));
                }
            }
            Ok(None)
        })
        .await
        .context("the server did not start within 60 s")??
        .ok_or_else(|| anyhow!("the server stopped before listening; see {}", log.display()))?;
        // Keep draining stdout so the server never blocks on it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let base = line.trim_start_matches("listening on ").trim().to_owned();
        let addr: SocketAddr = base.trim_start_matches("http://").parse().context("the server's address")?;
        Ok(ServerProc { child, base, addr, pid })
    }

    pub fn rss_kb(&self) -> u64 {
        crate::procfs::status_kb(self.pid, "VmRSS").unwrap_or(0)
    }

    pub async fn stop(mut self) -> Result<()> {
        // SIGTERM (graceful), then wait.
        let _status = tokio::process::Command::new("kill").args(["-TERM", &self.pid.to_string()]).status().await;
        match tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => {
                self.child.kill().await?;
            }
        }
        Ok(())
    }
}

/// An access token for a demo account, from the server's sign-in endpoint (as any client gets
/// one): for the bench's own HTTP clients beside the library's.
pub async fn access_token(base: &str, email: &str) -> Result<String> {
    let answer: taller_protocol::messages::Session = reqwest::Client::new()
        .post(format!("{base}/v1/auth/login"))
        .header(taller_protocol::PROTOCOL_HEADER, taller_protocol::PROTOCOL_VERSION.to_string())
        .json(&taller_protocol::messages::LoginRequest {
            email: email.to_owned(),
            password: demo::DEMO_PASSWORD.to_owned(),
        })
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(answer.access_token)
}

/// The session of one user signed in on a workstation (a data directory).
pub struct Device {
    pub client: std::sync::Arc<Session>,
}

impl Device {
    pub async fn login(dir: PathBuf, server: &str, email: &str) -> Result<Device> {
        let mut ws = Workstation::open(&dir)?;
        ws.connect(server)?;
        ws.login(email, demo::DEMO_PASSWORD).await?;
        Ok(Device { client: ws.session()? })
    }

    /// A workstation where someone is signed in already, pointed at `server`.
    pub fn open(dir: PathBuf, server: &str) -> Result<Device> {
        let mut ws = Workstation::open(&dir)?;
        ws.connect(server)?;
        Ok(Device { client: ws.session()? })
    }

    /// The replica's file.
    pub fn replica_path(&self) -> PathBuf {
        self.client.probe().replica_path()
    }

    /// A location of the replica, by name.
    pub fn location(&self, name: &str) -> Result<Uuid> {
        self.client
            .locations()?
            .into_iter()
            .find(|location| location.nombre == name)
            .map(|location| location.id_localizacion)
            .with_context(|| format!("no location {name:?} in the replica"))
    }

    /// Parts of the replica, by reference (at most `limit`).
    pub fn parts(&self, limit: usize) -> Result<Vec<Uuid>> {
        let input =
            PartListInput { search: String::new(), location: None, limit: u32::try_from(limit).unwrap_or(u32::MAX) };
        let out: Vec<Uuid> = self.client.parts(&input)?.into_iter().map(|part| part.id_repuesto).collect();
        if out.is_empty() {
            bail!("the replica has no parts");
        }
        Ok(out)
    }
}

/// A technician's movement that adds one unit (never takes stock below zero, so it raises no
/// conflict and no notification).
pub fn movement(id: Uuid, loc: Uuid, part: Uuid, technician: Uuid) -> Result<Mutation> {
    Mutation::parse(
        "movement.record",
        &json!({"id_movimientos_tecnicos": id, "id_localizacion": loc, "id_repuesto": part,
                "id_tecnico_asignado": technician, "concepto": "ingreso", "tipo": "ingreso", "cantidad": 1}),
    )
    .map_err(|rechazo| anyhow!("movement: {rechazo:?}"))
}

/// Copies a directory tree (a workstation's data directory).
pub fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Sizes of a directory tree's files, in bytes.
pub fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => dir_bytes(&entry.path()),
            _ => entry.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

/// Removes a file or a directory tree if it is there.
pub fn clear(path: impl AsRef<Path>) {
    let path = path.as_ref();
    let removed = if path.is_dir() { std::fs::remove_dir_all(path) } else { std::fs::remove_file(path) };
    if let Err(error) = removed {
        if error.kind() != std::io::ErrorKind::NotFound {
            crate::note(&format!("could not remove {}: {error}", path.display()));
        }
    }
}
