//! `kill -9` of the `taller` CLI at random instants, while it writes and while it syncs
//! (contract invariants 1, 2, 3 and 7): no acknowledged action is lost, none is applied twice,
//! no local action is left half done, and after a clean sync the replica equals the server.

use crate::harness::{replica_of, Net};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;
use taller_domain::stock::movement_effect;
use taller_domain::{Concepto, TipoMovimiento};
use tokio::io::AsyncReadExt;
use uuid::Uuid;

/// Kill points wanted: processes that actually died of SIGKILL (in all, and of `taller sync`).
const WANTED_KILLS: usize = 48;
const WANTED_SYNC_KILLS: usize = 8;
const MAX_ROUNDS: usize = 160;

/// Technician movements at Taller Norte by `taller move` processes, some killed 0–40 ms after
/// they start; `taller sync` processes killed 0–300 ms after they start, interleaved with the
/// writes (sometimes running at the same time as them, on the same replica). Each `move` carries
/// a unique order number, so every movement row on the server names the process that wrote it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_the_cli_loses_no_acknowledged_action_and_applies_none_twice() {
    let seed = seed_or(0x7A11E5);
    // The in-process server's warnings and errors go with the test's output.
    let logging = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("taller_server=warn"))
        .with_test_writer()
        .try_init();
    if let Err(error) = logging {
        println!("server log not captured: {error}");
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let net = Net::new().await;
    let norte_loc = net.locs[1];
    let cli = Cli::new();
    cli.ok(&["connect", "--server", &net.server.base], None).await;
    cli.ok(
        &["login", "--email", "tecnico.norte@taller.test", "--password-stdin"],
        Some(taller_server::demo::DEMO_PASSWORD),
    )
    .await;
    cli.ok(&["sync"], None).await;
    let user = taller_server::admin::user_id(&net.db.pool, "tecnico.norte@taller.test").await.expect("user");
    let parts: Vec<(Uuid, String)> = net.parts[..4].to_vec();
    let mut initial = HashMap::new();
    for (part, _) in &parts {
        initial.insert(*part, net.server_stock(norte_loc, *part).await);
    }

    let mut runs: Vec<Run> = Vec::new();
    let mut next_order: i32 = 1;
    let mut rounds = 0;
    let sync_kills = |runs: &[Run]| runs.iter().filter(|r| r.killed && matches!(r.kind, Kind::Sync)).count();
    while rounds < MAX_ROUNDS
        && (runs.iter().filter(|r| r.killed).count() < WANTED_KILLS || sync_kills(&runs) < WANTED_SYNC_KILLS)
    {
        rounds += 1;
        let mut planned: Vec<(Kind, Vec<String>, Option<Duration>)> = Vec::new();
        for _ in 0..rng.gen_range(1..=3) {
            let concepto = Concepto::ALL[rng.gen_range(0..Concepto::ALL.len())];
            let tipos = concepto.allowed_tipos();
            let tipo = tipos[rng.gen_range(0..tipos.len())];
            let qty = rng.gen_range(1..=4);
            let (part, reference) = parts[rng.gen_range(0..parts.len())].clone();
            let order = next_order;
            next_order += 1;
            let args = vec![
                "move".to_owned(),
                "--location".to_owned(),
                "Taller Norte".to_owned(),
                "--ref".to_owned(),
                reference,
                "--concept".to_owned(),
                concepto.as_str().to_owned(),
                "--type".to_owned(),
                tipo.as_str().to_owned(),
                "--qty".to_owned(),
                qty.to_string(),
                "--order".to_owned(),
                order.to_string(),
            ];
            let kill = rng.gen_bool(0.6).then(|| Duration::from_micros(rng.gen_range(0..=40_000)));
            planned.push((Kind::Move { order, part, concepto, tipo, qty }, args, kill));
        }
        if rng.gen_bool(0.8) {
            let mut args = vec!["sync".to_owned()];
            if rng.gen_bool(0.7) {
                // Small pages: more instants inside a multi-page pull.
                args.extend(["--limit".to_owned(), rng.gen_range(1..=4).to_string()]);
            }
            let kill = rng.gen_bool(0.85).then(|| Duration::from_micros(rng.gen_range(0..=300_000)));
            // Either at the same time as the writes or after them.
            if rng.gen_bool(0.5) {
                planned.push((Kind::Sync, args, kill));
            } else {
                let started = start_all(&cli, std::mem::take(&mut planned)).await;
                runs.extend(started);
                planned.push((Kind::Sync, args, kill));
            }
        }
        runs.extend(start_all(&cli, planned).await);
    }

    let kills = runs.iter().filter(|r| r.killed).count();
    let move_kills = runs.iter().filter(|r| r.killed && matches!(r.kind, Kind::Move { .. })).count();
    let context = format!("seed {seed}, {rounds} rounds, {kills} kill points ({move_kills} in moves)");
    let failures: Vec<String> = runs
        .iter()
        .filter(|r| !r.killed && r.code != Some(0))
        // A sync may fail transiently (on a loaded machine a request can time out); that
        // loses nothing and the clean sync below retries. A write must never fail.
        .filter(|r| !(matches!(r.kind, Kind::Sync) && is_transient_failure(&r.stdout)))
        .map(|r| format!("{:?} exited {:?}: {}", r.kind, r.code, r.stdout.trim()))
        .collect();
    assert!(failures.is_empty(), "{context}: processes that were not killed failed:\n{}", failures.join("\n"));
    assert!(kills >= 40 && sync_kills(&runs) >= 5, "{context}: too few kill points");

    // Before any clean sync: every local action is whole (its effect and its outbox entry, or
    // neither), and every acknowledged one is still queued or already on the server.
    let acknowledged: BTreeMap<i32, (Uuid, &Run)> = runs
        .iter()
        .filter_map(|r| match r.kind {
            Kind::Move { order, .. } if r.code == Some(0) => {
                let out = r.json();
                assert!(out["ok"] == true && out["queued"] == true, "{context}: move #{order} exited 0 with {out}");
                let id = out["id"].as_str().and_then(|id| id.parse().ok());
                Some((order, (id.unwrap_or_else(|| panic!("{context}: acknowledged without an id: {}", r.stdout)), r)))
            }
            _ => None,
        })
        .collect();
    let on_server: BTreeSet<Uuid> = sqlx::query_scalar("SELECT id_mutacion FROM sync_mutations")
        .fetch_all(&net.db.pool)
        .await
        .expect("mutations")
        .into_iter()
        .collect();
    {
        let replica = replica_of(cli.dir.path());
        let conn = &replica;
        let outbox: Vec<(String, String, String)> = rows(conn, "SELECT id, name, args FROM outbox");
        let queued: BTreeSet<Uuid> = outbox.iter().filter_map(|(id, _, _)| id.parse().ok()).collect();
        for (order, (id, _)) in &acknowledged {
            assert!(
                queued.contains(id) || on_server.contains(id),
                "{context}: acknowledged move #{order} ({id}) is neither queued nor on the server"
            );
        }
        let local_moves: BTreeSet<String> =
            rows::<(String,)>(conn, "SELECT id_movimientos_tecnicos FROM movimientos_tecnicos")
                .into_iter()
                .map(|r| r.0)
                .collect();
        for (id, name, args) in &outbox {
            if name == "movement.record" {
                let args: Value = serde_json::from_str(args).expect("args");
                let moved = args["id_movimientos_tecnicos"].as_str().unwrap_or_default();
                assert!(local_moves.contains(moved), "{context}: queued {id} has no local effect (half an action)");
            }
        }
        let queued_moves: BTreeSet<String> = outbox
            .iter()
            .filter(|(_, name, _)| name == "movement.record")
            .filter_map(|(_, _, args)| serde_json::from_str::<Value>(args).ok())
            .filter_map(|args| args["id_movimientos_tecnicos"].as_str().map(str::to_owned))
            .collect();
        for (key,) in rows::<(String,)>(conn, "SELECT clave FROM shadow_rows WHERE tabla = 'movimientos_tecnicos'") {
            assert!(
                queued_moves.contains(&key),
                "{context}: local movement {key} has no outbox entry (half an action)"
            );
        }
    }

    // A clean sync to completion, then the server and the replica agree.
    cli.ok(&["sync"], None).await;
    let (_, status) = cli.run(&["status"], None).await;
    assert_eq!(status["pending"], 0, "{context}: {status}");
    let (code, compare) = cli.run(&["checksum", "--compare"], None).await;
    assert_eq!(code, 0, "{context}: the replica differs from the server: {compare}");

    let recorded: Vec<(Uuid, String, String, Option<String>, Value)> = sqlx::query_as(
        "SELECT id_mutacion, nombre, estado, codigo, args FROM sync_mutations WHERE id_usuario = $1 ORDER BY seq",
    )
    .bind(user)
    .fetch_all(&net.db.pool)
    .await
    .expect("mutations");
    let mut by_id: HashMap<Uuid, usize> = HashMap::new();
    for (id, ..) in &recorded {
        *by_id.entry(*id).or_default() += 1;
    }
    assert!(by_id.values().all(|n| *n == 1), "{context}: a mutation id is recorded twice");
    let recorded_by_id: HashMap<Uuid, &(Uuid, String, String, Option<String>, Value)> =
        recorded.iter().map(|r| (r.0, r)).collect();
    for (order, (id, _)) in &acknowledged {
        let row = recorded_by_id.get(id).unwrap_or_else(|| panic!("{context}: acknowledged move #{order} ({id}) lost"));
        assert!(
            row.2 == "applied" || (row.2 == "rejected" && row.3.is_some()),
            "{context}: move #{order} recorded as {} {:?}",
            row.2,
            row.3
        );
    }
    // One movement row per applied movement mutation, one per process at most, one for every
    // acknowledged process; the others come from processes killed after their commit.
    let applied_moves: BTreeMap<String, Uuid> = recorded
        .iter()
        .filter(|r| r.1 == "movement.record" && r.2 == "applied")
        .map(|r| (r.4["id_movimientos_tecnicos"].as_str().unwrap_or_default().to_owned(), r.0))
        .collect();
    assert_eq!(applied_moves.len(), recorded.iter().filter(|r| r.1 == "movement.record" && r.2 == "applied").count());
    let server_moves: Vec<(Uuid, Option<i32>, Uuid, String, String, i32)> = sqlx::query_as(
        "SELECT id_movimientos_tecnicos, numero_orden, id_repuesto, concepto, tipo, cantidad FROM movimientos_tecnicos",
    )
    .fetch_all(&net.db.pool)
    .await
    .expect("movements");
    let server_ids: BTreeSet<String> = server_moves.iter().map(|m| m.0.to_string()).collect();
    assert_eq!(
        server_ids,
        applied_moves.keys().cloned().collect::<BTreeSet<_>>(),
        "{context}: movement rows and applied movement mutations differ"
    );
    let mut per_order: BTreeMap<i32, usize> = BTreeMap::new();
    for movement in &server_moves {
        *per_order.entry(movement.1.expect("order number")).or_default() += 1;
    }
    let runs_by_order: HashMap<i32, &Run> = runs
        .iter()
        .filter_map(|r| match r.kind {
            Kind::Move { order, .. } => Some((order, r)),
            Kind::Sync => None,
        })
        .collect();
    let mut committed_then_killed = 0;
    for (order, n) in &per_order {
        assert_eq!(*n, 1, "{context}: move #{order} has {n} movement rows");
        let run = runs_by_order[order];
        if run.killed {
            committed_then_killed += 1;
        } else {
            assert!(acknowledged.contains_key(order), "{context}: move #{order} was applied but failed");
        }
    }
    for (order, (_, run)) in &acknowledged {
        assert_eq!(per_order.get(order), Some(&1), "{context}: acknowledged move #{order} has no movement row");
        let Kind::Move { part, concepto, tipo, qty, .. } = run.kind else { unreachable!() };
        let row = server_moves.iter().find(|m| m.1 == Some(*order)).expect("row");
        assert_eq!(
            (row.2, row.3.as_str(), row.4.as_str(), row.5),
            (part, concepto.as_str(), tipo.as_str(), qty),
            "{context}: move #{order}"
        );
    }
    // Stock: the initial quantity plus every applied movement, and the ledger explains it.
    for (part, start) in &initial {
        let moved: i32 = server_moves
            .iter()
            .filter(|m| m.2 == *part)
            .map(|m| {
                let concepto: Concepto = m.3.parse().expect("concepto");
                let tipo: TipoMovimiento = m.4.parse().expect("tipo");
                movement_effect(concepto, tipo, m.5).expect("effect").delta
            })
            .sum();
        assert_eq!(net.server_stock(norte_loc, *part).await, start + moved, "{context}: stock of {part}");
    }
    assert_ledger_consistent(&net, &context).await;
    println!(
        "{context}: {} move processes ({} acknowledged, {committed_then_killed} committed then killed), {} sync processes ({} killed)",
        runs_by_order.len(),
        acknowledged.len(),
        runs.iter().filter(|r| matches!(r.kind, Kind::Sync)).count(),
        runs.iter().filter(|r| r.killed && matches!(r.kind, Kind::Sync)).count(),
    );
}

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

/// `TALLER_TEST_SEED` when set, else the default.
fn seed_or(default: u64) -> u64 {
    std::env::var("TALLER_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Move { order: i32, part: Uuid, concepto: Concepto, tipo: TipoMovimiento, qty: i32 },
    Sync,
}

struct Run {
    kind: Kind,
    /// Exit code; `None` when a signal ended it.
    code: Option<i32>,
    /// Ended by our SIGKILL.
    killed: bool,
    stdout: String,
}

impl Run {
    fn json(&self) -> Value {
        self.stdout.lines().last().and_then(|line| serde_json::from_str(line).ok()).unwrap_or(Value::Null)
    }
}

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Cli {
        Cli { dir: tempfile::Builder::new().prefix("taller-crash-").tempdir().expect("dir") }
    }

    fn command<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_taller"));
        command
            .arg("--data-dir")
            .arg(self.dir.path())
            .arg("--json")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        command
    }

    /// Runs to completion: (exit code, last JSON line).
    async fn run(&self, args: &[&str], stdin: Option<&str>) -> (i32, Value) {
        use tokio::io::AsyncWriteExt;
        let mut child = self.command(args).spawn().expect("spawn taller");
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).await.expect("write");
        }
        drop(input);
        let output = child.wait_with_output().await.expect("wait");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let value = stdout.lines().last().and_then(|line| serde_json::from_str(line).ok()).unwrap_or(Value::Null);
        (output.status.code().unwrap_or(-1), value)
    }

    async fn ok(&self, args: &[&str], stdin: Option<&str>) -> Value {
        let (code, out) = self.run(args, stdin).await;
        assert_eq!(code, 0, "taller {args:?}: {out}");
        out
    }

    /// Starts a process and, when `kill` is given, sends it SIGKILL that long after it started.
    async fn start(&self, kind: Kind, args: Vec<String>, kill: Option<Duration>) -> Run {
        let mut child = self.command(&args).spawn().expect("spawn taller");
        drop(child.stdin.take());
        let mut stdout = child.stdout.take().expect("stdout");
        let reader = tokio::spawn(async move {
            let mut text = String::new();
            // A killed process may leave a partial line: whatever was read is kept.
            if let Err(error) = stdout.read_to_string(&mut text).await {
                text.push_str(&format!("\n(stdout unreadable: {error})"));
            }
            text
        });
        if let Some(delay) = kill {
            tokio::select! {
                _ = child.wait() => {}
                () = tokio::time::sleep(delay) => {
                    // SIGKILL (tokio's start_kill is `kill -9` on Unix). The process may have
                    // exited just now: the status below tells whether the kill landed.
                    if let Err(error) = child.start_kill() {
                        println!("kill not sent: {error}");
                    }
                }
            }
        }
        let status = child.wait().await.expect("wait");
        let stdout = reader.await.unwrap_or_default();
        Run { kind, code: status.code(), killed: status.signal() == Some(9), stdout }
    }
}

async fn start_all(cli: &Cli, planned: Vec<(Kind, Vec<String>, Option<Duration>)>) -> Vec<Run> {
    futures::future::join_all(planned.into_iter().map(|(kind, args, kill)| cli.start(kind, args, kill))).await
}

/// Every row of a query, as a tuple.
fn rows<T: FromRow>(conn: &rusqlite::Connection, sql: &str) -> Vec<T> {
    let mut statement = conn.prepare(sql).expect("prepare");
    let found = statement.query_map([], T::from_row).expect("query");
    found.collect::<rusqlite::Result<_>>().expect("rows")
}

trait FromRow: Sized {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self>;
}

impl FromRow for (String,) {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok((row.get(0)?,))
    }
}

impl FromRow for (String, String, String) {
    fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
    }
}

/// Every item's stock equals its ledger (as `sync/server/tests/it/harness.rs` checks it): in
/// write order (the feed's), each row starts where the previous ended, its `diferencia` is its
/// arithmetic, and the last row ends at the stock.
async fn assert_ledger_consistent(net: &Net, context: &str) {
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
    .fetch_one(&net.db.pool)
    .await
    .expect("ledger check");
    assert_eq!(broken, 0, "{context}: ledger rows that do not explain the stock");
}

/// Whether a CLI's JSON failure is a transient one (`offline`, `unavailable`).
fn is_transient_failure(stdout: &str) -> bool {
    stdout
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .any(|value| matches!(value["code"].as_str(), Some("offline" | "unavailable")))
}
