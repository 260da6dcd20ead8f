//! Integration tests: real clusters from the system's PostgreSQL binaries. They fail (rather
//! than skip) where the binaries are missing: `cargo xtask setup` installs them.

use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use taller_pgcluster::{Cluster, Error, Options, LOCATION_FILE};

/// A fresh directory under /tmp (reachable by the `postgres` user once chowned to it).
fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("taller-pgcluster-it-")
        .tempdir_in("/tmp")
        .expect("create a temporary directory under /tmp")
}

fn start(dir: &Path) -> Cluster {
    let started = Instant::now();
    let cluster = Cluster::start(dir, &Options::throwaway()).expect("cluster starts");
    eprintln!(
        "cluster in {} started in {} ms on port {}",
        cluster.dir().display(),
        started.elapsed().as_millis(),
        cluster.port()
    );
    cluster
}

fn databases(cluster: &Cluster) -> Vec<String> {
    cluster
        .psql("postgres", "select datname from pg_database order by datname")
        .expect("list databases")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn listens(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1)).is_ok()
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("run id -u");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

#[test]
fn start_create_query_stop_restart_keeps_data() {
    let tmp = tempdir();
    let cluster = start(tmp.path());
    let port = cluster.port();

    assert!(listens(port), "nothing listens on 127.0.0.1:{port}");
    assert_eq!(cluster.url("taller"), format!("postgres://postgres@127.0.0.1:{port}/taller"));
    assert_eq!(cluster.psql("postgres", "select 1").expect("select 1").trim(), "1");
    assert!(cluster.log_file().is_file(), "no server log at {}", cluster.log_file().display());

    cluster.create_database("kept").expect("create database");
    cluster.psql("kept", "create table t (v text); insert into t values ('still here')").expect("create table");
    cluster.create_database_from_template("copied", "kept").expect("create database from template");
    assert_eq!(cluster.psql("copied", "select v from t").expect("query copy").trim(), "still here");
    let err = cluster.create_database("kept").expect_err("creating it twice fails");
    assert!(err.to_string().contains("already exists"), "{err}");

    let dir = cluster.dir().to_path_buf();
    cluster.stop().expect("stop");
    assert!(!listens(port), "still listening on {port} after stop");
    assert!(!dir.join("data/postmaster.pid").exists(), "postmaster.pid left after stop");

    let cluster = start(tmp.path());
    assert_eq!(cluster.dir(), dir, "restart must reuse the same cluster");
    let names = databases(&cluster);
    assert!(names.contains(&"kept".to_owned()), "databases after restart: {names:?}");
    assert_eq!(cluster.psql("kept", "select v from t").expect("query").trim(), "still here");
    cluster.stop().expect("stop again");
}

#[test]
fn restarts_after_the_server_was_killed() {
    let tmp = tempdir();
    let cluster = start(tmp.path());
    cluster.create_database("survivor").expect("create database");
    let pid_file = cluster.dir().join("data/postmaster.pid");
    let pid = std::fs::read_to_string(&pid_file).expect("read postmaster.pid");
    let pid = pid.lines().next().expect("pid line").trim().to_owned();

    // Kill the postmaster as a crash would; its children notice and exit by themselves, and
    // it stays a zombie until init reaps it. Restart at once: start must cope with both.
    let status = Command::new("kill").args(["-KILL", &pid]).status().expect("run kill");
    assert!(status.success(), "kill -KILL {pid} failed");
    // The killed run never stopped it: forget it rather than let Drop try.
    std::mem::forget(cluster);
    assert!(pid_file.exists(), "the killed server should leave its postmaster.pid");

    let cluster = start(tmp.path());
    let names = databases(&cluster);
    assert!(names.contains(&"survivor".to_owned()), "databases after crash: {names:?}");
    cluster.stop().expect("stop");
}

#[test]
fn a_second_start_on_a_running_cluster_is_refused() {
    let tmp = tempdir();
    let cluster = start(tmp.path());
    match Cluster::start(tmp.path(), &Options::throwaway()) {
        Err(err @ Error::AlreadyRunning { .. }) => {
            assert!(err.to_string().contains("pg_ctl stop"), "{err}")
        }
        other => panic!("expected AlreadyRunning, got {other:?}"),
    }
    // The refused start must not have disturbed the running one.
    assert_eq!(cluster.psql("postgres", "select 2").expect("query").trim(), "2");
    cluster.stop().expect("stop");
}

#[test]
fn start_failure_reports_the_log_tail() {
    let tmp = tempdir();
    let options = Options {
        max_connections: 0, // below superuser_reserved_connections: the server refuses it
        ..Options::throwaway()
    };
    match Cluster::start(tmp.path(), &options) {
        Err(err @ Error::StartFailed { .. }) => {
            let message = err.to_string();
            assert!(message.contains("max_connections"), "{message}");
            assert!(message.contains("postgres.log"), "{message}");
        }
        other => panic!("expected StartFailed, got {other:?}"),
    }
}

#[test]
fn listens_on_the_requested_port() {
    let tmp = tempdir();
    let port = std::net::TcpListener::bind(("127.0.0.1", 0)).and_then(|l| l.local_addr()).expect("free port").port();
    let options = Options { port: Some(port), ..Options::throwaway() };
    let cluster = Cluster::start(tmp.path(), &options).expect("start");
    assert_eq!(cluster.port(), port);
    assert!(listens(port));
    drop(cluster); // Drop stops it too.
    assert!(!listens(port), "Drop did not stop the server on {port}");
}

/// As root, a directory the `postgres` user cannot reach (here: inside a 0700 root-owned
/// directory) is replaced by one under /var/tmp, recorded in `CLUSTER_LOCATION`.
#[test]
fn unreachable_directory_falls_back_to_var_tmp_when_root() {
    let tmp = tempdir();
    std::fs::set_permissions(tmp.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700)).expect("chmod 0700");
    let requested = tmp.path().join("inner");
    let cluster = start(&requested);
    let actual = cluster.dir().to_path_buf();
    let result = std::panic::catch_unwind(|| {
        assert_eq!(cluster.psql("postgres", "select 3").expect("query").trim(), "3");
        let location = std::fs::read_to_string(requested.join(LOCATION_FILE));
        if is_root() {
            assert!(actual.starts_with("/var/tmp"), "{}", actual.display());
            let name = actual.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            assert!(name.starts_with("taller-pg-"), "{name}");
            assert_eq!(location.expect("CLUSTER_LOCATION written").trim(), actual.to_string_lossy());
        } else {
            assert_eq!(actual, requested);
            assert!(location.is_err(), "no CLUSTER_LOCATION expected when not root");
        }
    });
    let stopped = cluster.stop();
    if actual != requested {
        std::fs::remove_dir_all(&actual).expect("remove the fallback directory");
    }
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    stopped.expect("stop");
}
