//! Test support shared by every crate's integration tests: a fresh, migrated database per test
//! on the run's throwaway cluster (`TALLER_TEST_DATABASE_URL`, started by `cargo xtask test`),
//! and the real router served on port 0. Not used by the server itself.

use crate::config::Config;
use crate::state::AppState;
use crate::{db, events, router};
use sqlx::PgPool;
use std::sync::Arc;
use taller_pgcluster::{Cluster, Options};
use uuid::Uuid;

pub struct TestDb {
    pub url: String,
    pub pool: PgPool,
    /// Only when no shared cluster was given: this test's own cluster.
    _cluster: Option<Arc<Cluster>>,
    _dir: Option<tempfile::TempDir>,
}

fn template_name() -> String {
    let mut hash: u64 = 0xcbf29ce484222325;
    for migration in db::MIGRATOR.iter() {
        for byte in migration.checksum.iter() {
            hash = (hash ^ u64::from(*byte)).wrapping_mul(0x100000001b3);
        }
    }
    format!("taller_tpl_{hash:016x}")
}

fn replace_database(url: &str, database: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("database url with a path");
    format!("{base}/{database}")
}

impl TestDb {
    /// A fresh, migrated database on the run's cluster (or on a private one).
    pub async fn new() -> TestDb {
        let (admin_url, cluster, dir) = match std::env::var("TALLER_TEST_DATABASE_URL") {
            Ok(url) => (url, None, None),
            Err(_) => {
                let dir =
                    tempfile::Builder::new().prefix("taller-it-").tempdir_in(std::env::temp_dir()).expect("temp dir");
                let cluster =
                    Cluster::start(&dir.path().join("pg"), &Options::throwaway()).expect("start a private PostgreSQL");
                (cluster.url("postgres"), Some(Arc::new(cluster)), Some(dir))
            }
        };
        let admin = sqlx::PgPool::connect(&admin_url).await.expect("connect to the test cluster");
        let template = template_name();
        // One test process migrates the template; the others wait on the lock.
        let mut lock = admin.acquire().await.expect("connection");
        sqlx::query("SELECT pg_advisory_lock(7204)").execute(&mut *lock).await.expect("lock");
        let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&template)
            .fetch_one(&mut *lock)
            .await
            .expect("query");
        if !exists {
            sqlx::query(&format!("CREATE DATABASE \"{template}\"")).execute(&mut *lock).await.expect("create template");
            let pool = db::connect(&replace_database(&admin_url, &template), 2).await.expect("connect template");
            db::migrate(&pool).await.expect("migrate template");
            pool.close().await;
        }
        sqlx::query("SELECT pg_advisory_unlock(7204)").execute(&mut *lock).await.expect("unlock");
        drop(lock);
        let name = format!("t_{}", Uuid::new_v4().simple());
        let mut attempt = 0;
        loop {
            match sqlx::query(&format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"")).execute(&admin).await {
                Ok(_) => break,
                Err(error) if attempt < 20 => {
                    // Another session may still be leaving the template.
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100 * attempt)).await;
                    if attempt == 20 {
                        panic!("cannot create the test database: {error}");
                    }
                }
                Err(error) => panic!("cannot create the test database: {error}"),
            }
        }
        admin.close().await;
        let url = replace_database(&admin_url, &name);
        let pool = db::connect(&url, 20).await.expect("connect to the test database");
        TestDb { url, pool, _cluster: cluster, _dir: dir }
    }
}

pub struct TestServer {
    pub base: String,
    pub state: AppState,
    task: tokio::task::JoinHandle<()>,
    listener_task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub async fn start(db: &TestDb, config: Config) -> TestServer {
        let state = AppState::new(db.pool.clone(), config);
        let listener_task = tokio::spawn(events::run_listener(db.url.clone(), state.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            crate::serve(listener, app, std::future::pending()).await.expect("serve");
        });
        TestServer { base: format!("http://{address}"), state, task, listener_task }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
        self.listener_task.abort();
    }
}
