//! The `taller-server` binary: operator commands on the embedded private cluster, and `serve`
//! with graceful shutdown.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_taller-server"));
    command.env_remove("DATABASE_URL").env("RUST_LOG", "warn");
    command
}

fn run(data_dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = server()
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn taller-server");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            // A command that fails before reading its input closes the pipe; its exit status
            // and stderr say why, which the caller asserts on.
            if let Err(error) = input.write_all(text.as_bytes()) {
                assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {error}");
            }
        }
    }
    let output = child.wait_with_output().expect("wait");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn postgres_running_in(dir: &std::path::Path) -> bool {
    // The cluster may live in a fallback directory when run as root; its pid file names it.
    let location = std::fs::read_to_string(dir.join("pg").join("CLUSTER_LOCATION"))
        .map(|text| std::path::PathBuf::from(text.trim()))
        .unwrap_or_else(|_| dir.join("pg"));
    location.join("data").join("postmaster.pid").exists()
}

#[test]
fn operator_commands_work_on_the_embedded_cluster() {
    let dir = tempfile::Builder::new().prefix("taller-cli-").tempdir_in("/tmp").expect("temp dir");
    let data = dir.path();
    let (ok, out, err) = run(data, &["migrate"], None);
    assert!(ok, "migrate: {out} {err}");
    let (ok, out, err) = run(data, &["location", "add", "--name", "Taller Centro", "--address", "Cra 7 # 12-30"], None);
    assert!(ok, "location add: {err}");
    assert!(out.trim().parse::<uuid::Uuid>().is_ok(), "prints the new id: {out}");
    let (ok, out, err) = run(
        data,
        &["user", "add", "--email", "Ana@Example.com", "--name", "Ana Pérez", "--role", "tecnico"],
        Some("una-clave-larga\n"),
    );
    assert!(ok, "user add: {out} {err}");
    let (ok, _, err) = run(
        data,
        &["user", "add", "--email", "ana@example.com", "--name", "Otra", "--role", "tecnico"],
        Some("otra-clave-larga\n"),
    );
    assert!(!ok, "a duplicate email fails");
    assert!(err.contains("already registered"), "{err}");
    let (ok, _, err) = run(
        data,
        &["user", "add", "--email", "b@example.com", "--name", "B", "--role", "jefe"],
        Some("otra-clave-larga\n"),
    );
    assert!(!ok && err.contains("jefe"), "an unknown role fails: {err}");
    let (ok, out, err) = run(data, &["assign", "--email", "ana@example.com", "--location", "taller centro"], None);
    assert!(ok, "assign: {out} {err}");
    let (ok, _, err) = run(data, &["assign", "--email", "ana@example.com", "--location", "Nowhere"], None);
    assert!(!ok && err.contains("Nowhere"), "{err}");
    let (ok, out, err) = run(data, &["demo-data", "--parts", "40", "--locations", "4"], None);
    assert!(ok, "demo-data: {err}");
    assert!(out.contains("40 parts, 5 locations, 160 inventory rows"), "{out}");
    let (ok, out, _) = run(data, &["demo-data"], None);
    assert!(ok && out.contains("nothing loaded"), "demo data loads once: {out}");
    assert!(!postgres_running_in(data), "every command stops its cluster on exit");
}

#[test]
fn serve_starts_its_cluster_answers_and_stops_gracefully() {
    let dir = tempfile::Builder::new().prefix("taller-serve-").tempdir_in("/tmp").expect("temp dir");
    let mut child = server()
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let address = loop {
        let line = lines.next().expect("the server prints its address").expect("line");
        if let Some(address) = line.strip_prefix("listening on ") {
            break address.to_owned();
        }
    };
    let body = reqwest::blocking_get(&format!("{address}/healthz"));
    assert!(body.contains("\"status\":\"ok\""), "{body}");
    assert!(postgres_running_in(dir.path()), "the private cluster runs while serving");
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        assert!(Instant::now() < deadline, "the server stops within 30 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(exit.success(), "graceful exit: {exit:?}");
    assert!(!postgres_running_in(dir.path()), "the cluster is stopped on exit");
}

/// `unassign` and `location policy` on a database given by URL: what they change, that they
/// reach the change feed (capture triggers), and how they refuse what does not exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unassign_and_location_policy_change_the_database_and_reach_the_feed() {
    let db = taller_server::testing::TestDb::new().await;
    taller_server::demo::load(&db.pool, &taller_server::demo::DemoSize { parts: 5, locations: 2 })
        .await
        .expect("demo data");
    let data = tempfile::Builder::new().prefix("taller-cli-").tempdir().expect("temp dir");
    let with_url = |args: &[&str]| {
        let mut all = vec!["--database-url", db.url.as_str()];
        all.extend_from_slice(args);
        run(data.path(), &all, None)
    };
    let assigned = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM usuarios_localizacion ul JOIN usuarios u USING (id_usuario) \
               JOIN localizacion l USING (id_localizacion) WHERE u.email = 'tecnico.norte@taller.test' AND l.nombre = 'Taller Norte'",
        )
        .fetch_one(&db.pool)
        .await
        .expect("count")
    };
    let captured = |table: &'static str| {
        let pool = db.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sync_changes WHERE tabla = $1")
                .bind(table)
                .fetch_one(&pool)
                .await
                .expect("count")
        }
    };
    assert_eq!(assigned().await, 1);
    let changes_before = captured("usuarios_localizacion").await;
    let (ok, out, err) = with_url(&["unassign", "--email", "Tecnico.Norte@taller.test", "--location", "taller norte"]);
    assert!(ok, "unassign: {out} {err}");
    assert!(out.starts_with("unassigned "), "{out}");
    assert_eq!(assigned().await, 0, "the assignment is gone");
    assert!(captured("usuarios_localizacion").await > changes_before, "the removal reached the feed");
    let (ok, out, err) = with_url(&["unassign", "--email", "tecnico.norte@taller.test", "--location", "Taller Norte"]);
    assert!(ok && out.contains("was not assigned"), "a second unassign says so: {out} {err}");
    let (ok, _, err) = with_url(&["unassign", "--email", "tecnico.norte@taller.test", "--location", "Nowhere"]);
    assert!(!ok && err.contains("Nowhere"), "{err}");
    let (ok, _, err) = with_url(&["unassign", "--email", "nobody@taller.test", "--location", "Taller Norte"]);
    assert!(!ok && err.contains("nobody@taller.test"), "{err}");

    let policy = || async {
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT p.stock_negativo FROM localizacion l LEFT JOIN localizacion_politicas p USING (id_localizacion) \
              WHERE l.nombre = 'Taller Norte'",
        )
        .fetch_one(&db.pool)
        .await
        .expect("policy")
    };
    let changes_before = captured("localizacion_politicas").await;
    let (ok, out, err) = with_url(&["location", "policy", "--location", "Taller Norte", "--negative-stock", "reject"]);
    assert!(ok && out.contains("reject"), "location policy: {out} {err}");
    assert_eq!(policy().await.as_deref(), Some("reject"));
    assert!(captured("localizacion_politicas").await > changes_before, "the policy reached the feed");
    let id: uuid::Uuid = sqlx::query_scalar("SELECT id_localizacion FROM localizacion WHERE nombre = 'Taller Norte'")
        .fetch_one(&db.pool)
        .await
        .expect("id");
    let (ok, out, err) = with_url(&["location", "policy", "--location", &id.to_string(), "--negative-stock", "allow"]);
    assert!(ok, "by id: {out} {err}");
    assert_eq!(policy().await.as_deref(), Some("allow"));
    let unknown = uuid::Uuid::new_v4().to_string();
    let (ok, _, err) = with_url(&["location", "policy", "--location", &unknown, "--negative-stock", "reject"]);
    assert!(!ok && err.contains(&unknown), "an id that names no location is refused: {err}");
    let (ok, _, err) = with_url(&["location", "policy", "--location", "Taller Norte", "--negative-stock", "maybe"]);
    assert!(!ok && err.contains("maybe"), "{err}");
    assert_eq!(policy().await.as_deref(), Some("allow"), "refused commands changed nothing");
}

mod reqwest {
    /// A GET with a small runtime, for tests that are otherwise synchronous.
    pub fn blocking_get(url: &str) -> String {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async { ::reqwest::get(url).await.expect("get").text().await.expect("body") })
    }
}
