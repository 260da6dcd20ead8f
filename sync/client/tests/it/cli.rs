//! The `taller` CLI as a script would use it: JSON output, exit codes, offline queueing.

use crate::harness::Net;
use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Cli {
        Cli { dir: tempfile::Builder::new().prefix("taller-cli-").tempdir().expect("dir") }
    }

    /// Runs `taller --data-dir D --json ARGS`, returning (exit code, parsed stdout).
    fn run(&self, args: &[&str], stdin: Option<&str>) -> (i32, Value) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_taller"))
            .arg("--data-dir")
            .arg(self.dir.path())
            .arg("--json")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn taller");
        if let Some(text) = stdin {
            child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write");
        }
        drop(child.stdin.take());
        let output = child.wait_with_output().expect("wait");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let value = stdout.lines().last().and_then(|line| serde_json::from_str(line).ok()).unwrap_or(Value::Null);
        (output.status.code().unwrap_or(-1), value)
    }
}

// Multi-threaded: the test blocks on the CLI process while the in-process server answers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_signs_in_syncs_acts_offline_and_compares_checksums() {
    let net = Net::new().await;
    let cli = Cli::new();
    let (code, out) = cli.run(&["connect", "--server", &net.server.base], None);
    assert_eq!(code, 0, "{out}");
    let (code, out) = cli.run(
        &["login", "--email", "tecnico.norte@taller.test", "--password-stdin"],
        Some(taller_server::demo::DEMO_PASSWORD),
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["user"]["email"], "tecnico.norte@taller.test");
    let (code, out) = cli.run(&["sync"], None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["status"]["pending"], 0);
    let (code, stock) = cli.run(&["stock", "list", "--location", "taller norte"], None);
    assert_eq!(code, 0);
    let rows = stock.as_array().expect("rows");
    assert_eq!(rows.len(), net.parts.len());
    assert!(rows.iter().all(|r| r["estado_stock"].is_string() && r["alerta_minimo"].is_boolean()));
    let reference = &net.parts[0].1;
    let before = rows.iter().find(|r| r["referencia"] == reference.as_str()).expect("row")["stock_actual"]
        .as_i64()
        .expect("stock");
    // Accent-insensitive prefix search.
    let (_, found) = cli.run(&["parts", "list", "--search", "bateria"], None);
    assert!(
        found
            .as_array()
            .is_some_and(|rows| !rows.is_empty()
                && rows.iter().all(|r| r["nombre"].as_str().is_some_and(|n| n.contains("Batería")))),
        "{found}"
    );
    // A write works offline and says it is queued.
    let (code, out) =
        cli.run(&["move", "--location", "Taller Norte", "--ref", reference, "--concept", "salida", "--qty", "2"], None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["queued"], true);
    assert_eq!(out["pending"], 1);
    let (_, status) = cli.run(&["status"], None);
    assert_eq!(status["pending"], 1);
    // Refused locally: exit 1 with the rule's code; usage errors: exit 2.
    let (code, out) =
        cli.run(&["move", "--location", "Taller Norte", "--ref", reference, "--concept", "salida", "--qty", "0"], None);
    assert_eq!(code, 1);
    assert_eq!(out["code"], "invalid_quantity");
    let (code, out) =
        cli.run(&["move", "--location", "Taller Sur", "--ref", reference, "--concept", "salida", "--qty", "1"], None);
    assert_eq!(code, 1, "{out}");
    assert_eq!(out["code"], "location_out_of_scope");
    let (code, _) = cli.run(&["move", "--bogus"], None);
    assert_eq!(code, 2);
    let (code, out) = cli.run(&["sync"], None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["report"]["applied"], 1);
    assert_eq!(i64::from(net.server_stock(net.locs[1], net.parts[0].0).await), before - 2);
    let (code, out) = cli.run(&["checksum", "--compare"], None);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out["ok"], true);
    // After signing out, writing commands need a user.
    let (code, _) = cli.run(&["logout"], None);
    assert_eq!(code, 0);
    let (code, out) = cli.run(&["stock", "list"], None);
    assert_eq!(code, 1);
    assert_eq!(out["code"], "not_signed_in");
}
