//! The `taller` CLI as a script would use it: JSON output, exit codes, offline queueing.

use crate::harness::{replica_of, Net};
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};

struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    fn new() -> Cli {
        Cli { dir: tempfile::Builder::new().prefix("taller-cli-").tempdir().expect("dir") }
    }

    fn command(&self, json: bool, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_taller"));
        command.arg("--data-dir").arg(self.dir.path());
        if json {
            command.arg("--json");
        }
        command.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        command
    }

    /// Runs `taller --data-dir D [--json] ARGS`: (exit code, stdout, stderr).
    fn output(&self, json: bool, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
        let mut child = self.command(json, args).spawn().expect("spawn taller");
        if let Some(text) = stdin {
            child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write");
        }
        drop(child.stdin.take());
        let output = child.wait_with_output().expect("wait");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// Runs `taller --data-dir D --json ARGS`, returning (exit code, parsed stdout).
    fn run(&self, args: &[&str], stdin: Option<&str>) -> (i32, Value) {
        let (code, stdout, _) = self.output(true, args, stdin);
        let value = stdout.lines().last().and_then(|line| serde_json::from_str(line).ok()).unwrap_or(Value::Null);
        (code, value)
    }

    fn ok(&self, args: &[&str], stdin: Option<&str>) -> Value {
        let (code, out) = self.run(args, stdin);
        assert_eq!(code, 0, "taller {args:?}: {out}");
        out
    }

    /// A workstation connected to the server and signed in as `email`, synced once.
    fn signed_in(net: &Net, email: &str) -> Cli {
        let cli = Cli::new();
        cli.ok(&["connect", "--server", &net.server.base], None);
        cli.ok(&["login", "--email", email, "--password-stdin"], Some(taller_server::demo::DEMO_PASSWORD));
        cli.ok(&["sync"], None);
        cli
    }

    fn replica(&self) -> rusqlite::Connection {
        replica_of(self.dir.path())
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

/// Usage mistakes exit 2 (as the README says), before anything is looked up; refusals exit 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_mistakes_exit_2_and_refusals_exit_1() {
    let net = Net::new().await;
    let cli = Cli::signed_in(&net, "tecnico.norte@taller.test");
    let reference = net.parts[0].1.as_str();
    let request = uuid::Uuid::now_v7().to_string();
    for args in [
        vec!["move", "--location", "Taller Norte", "--ref", reference, "--concept", "bogus", "--qty", "1"],
        vec![
            "move",
            "--location",
            "Taller Norte",
            "--ref",
            reference,
            "--concept",
            "salida",
            "--type",
            "x",
            "--qty",
            "1",
        ],
        vec!["login", "--email", "tecnico.norte@taller.test"],
        vec!["unlock", "--email", "tecnico.norte@taller.test"],
        vec!["request", "dispatch", &request, "--line", "nocolon"],
        vec!["request", "receive", &request, "--line", "REF:many"],
        vec!["stock", "set", "--location", "Taller Norte", "--ref", reference],
        vec!["stock", "set", "--location", "Nowhere", "--ref", "NOPE"],
        vec!["parts", "edit", reference],
        vec!["location", "policy", "--location", "Taller Norte", "--negative-stock", "sometimes"],
    ] {
        let (code, out) = cli.run(&args, Some(""));
        assert_eq!(code, 2, "taller {args:?}: {out}");
        if out != Value::Null {
            assert_eq!(out["code"], "usage", "taller {args:?}: {out}");
        }
    }
    let (code, out) = cli.run(&["stock", "set", "--location", "Nowhere", "--ref", reference, "--min", "2"], None);
    assert_eq!((code, out["code"].as_str()), (1, Some("invalid_input")), "{out}");
    let (code, out) = cli.run(&["request", "dispatch", &request, "--line", "REF:2"], None);
    assert_eq!((code, out["code"].as_str()), (1, Some("invalid_input")), "{out}");
}

/// A dated movement says it is queued like any other action (pending count, result), and a
/// refusal for a location outside the user's scope names the location.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dated_moves_report_like_others_and_refusals_name_the_location() {
    let net = Net::new().await;
    let cli = Cli::signed_in(&net, "tecnico.norte@taller.test");
    let reference = net.parts[0].1.as_str();
    let at = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
    let args = ["move", "--location", "Taller Norte", "--ref", reference, "--concept", "salida", "--qty", "1"];
    let now = cli.ok(&args, None);
    let mut dated_args = args.to_vec();
    dated_args.extend(["--at", at.as_str()]);
    let dated = cli.ok(&dated_args, None);
    for key in ["ok", "queued", "id", "seq", "name", "result", "pending"] {
        assert!(now.get(key).is_some() && dated.get(key).is_some(), "{key}: now {now}, dated {dated}");
    }
    assert_eq!(dated["pending"], 2);
    let (code, out) =
        cli.run(&["move", "--location", "Taller Sur", "--ref", reference, "--concept", "salida", "--qty", "1"], None);
    assert_eq!((code, out["code"].as_str()), (1, Some("location_out_of_scope")), "{out}");
    let message = out["message"].as_str().expect("message");
    assert!(message.contains("Taller Sur"), "{message}");
    assert!(!message.contains(&net.locs[2].to_string()), "no raw id: {message}");
}

/// `checksum --compare --json` prints one JSON document, also when tables differ (then it is
/// the failure, with the comparison in it, and the exit code is 1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checksum_compare_prints_one_document_when_tables_differ() {
    let net = Net::new().await;
    let cli = Cli::signed_in(&net, "tecnico.norte@taller.test");
    let (code, stdout, _) = cli.output(true, &["checksum", "--compare"], None);
    assert_eq!(code, 0, "{stdout}");
    let same: Value = serde_json::from_str(stdout.trim()).expect("one document");
    assert_eq!((same["ok"].as_bool(), same["differing"].as_array().map(Vec::len)), (Some(true), Some(0)), "{same}");
    cli.replica()
        .execute(
            "UPDATE inventario SET stock_actual = stock_actual + 1 WHERE id_localizacion = ?1",
            [net.locs[1].to_string()],
        )
        .expect("drift");
    let (code, stdout, _) = cli.output(true, &["checksum", "--compare"], None);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(stdout.trim().lines().count(), 1, "one document: {stdout}");
    let differs: Value = serde_json::from_str(stdout.trim()).expect("JSON");
    assert_eq!(differs["ok"], false);
    assert_eq!(differs["code"], "checksum_mismatch");
    assert_eq!(differs["differing"], json!(["inventario"]), "{differs}");
    assert!(differs["replica"]["inventario"].is_object() && differs["server"]["inventario"].is_object());
}

/// A reader that stops reading (`taller stock list | head`) ends the command quietly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_output_ends_the_command_quietly() {
    let net = Net::new().await;
    let cli = Cli::signed_in(&net, "tecnico.norte@taller.test");
    for (json, args) in [
        (false, vec!["stock", "list"]),
        (true, vec!["stock", "list"]),
        (false, vec!["parts", "list"]),
        (true, vec!["status"]),
        (false, vec!["status"]),
    ] {
        let mut child = cli.command(json, &args).spawn().expect("spawn");
        // The reading end is gone before the command writes its first byte.
        drop(child.stdout.take());
        drop(child.stdin.take());
        let output = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "taller {args:?}: {stderr}");
        assert!(stderr.is_empty(), "taller {args:?} said: {stderr}");
    }
}

/// `taller status` says what the last sync observed of the server, and when, in any later
/// process: online after a sync that reached it, offline after one that could not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_says_what_the_last_sync_observed_and_when() {
    let net = Net::new().await;
    let cli = Cli::signed_in(&net, "tecnico.norte@taller.test");
    let online = cli.ok(&["status"], None);
    assert_eq!(online["online"], true, "{online}");
    let seen_online = online["observed_at"].as_str().expect("when").to_owned();
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr");
    cli.ok(&["connect", "--server", &format!("http://{dead}")], None);
    let (code, out) = cli.run(&["sync"], None);
    assert_eq!((code, out["code"].as_str()), (1, Some("offline")), "{out}");
    assert_eq!(out["status"]["online"], false, "the failure carries the status: {out}");
    let offline = cli.ok(&["status"], None);
    assert_eq!(offline["online"], false, "{offline}");
    let seen_offline = offline["observed_at"].as_str().expect("when");
    let parse = |text: &str| chrono::DateTime::parse_from_rfc3339(text).expect("RFC 3339");
    assert!(parse(seen_offline) > parse(&seen_online), "{seen_online} then {seen_offline}");
    assert_eq!(offline["last_success"], online["last_success"], "the last success is kept");
}

/// `taller logout` says how many changes wait for the next online sign-in; that sign-in
/// sends them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_says_what_waits_and_the_next_sign_in_sends_it() {
    let net = Net::new().await;
    let cli = Cli::signed_in(&net, "tecnico.norte@taller.test");
    let reference = net.parts[1].1.as_str();
    let before = net.server_stock(net.locs[1], net.parts[1].0).await;
    cli.ok(&["move", "--location", "Taller Norte", "--ref", reference, "--concept", "salida", "--qty", "2"], None);
    let out = cli.ok(&["logout"], None);
    assert_eq!(out["pending"], 1, "{out}");
    assert!(out["message"].as_str().is_some_and(|m| m.contains("1 cambio espera")), "{out}");
    let (code, stdout, _) = cli.output(false, &["logout"], None);
    assert_eq!(code, 0);
    assert!(stdout.contains("no queda nada por enviar"), "nobody was signed in any more: {stdout}");
    let out = cli.ok(
        &["login", "--email", "tecnico.norte@taller.test", "--password-stdin"],
        Some(taller_server::demo::DEMO_PASSWORD),
    );
    assert_eq!((out["sent"].as_u64(), out["pending"].as_i64()), (Some(1), Some(0)), "{out}");
    assert_eq!(net.server_stock(net.locs[1], net.parts[1].0).await, before - 2, "sent at sign-in");
}

/// The documented administration mutations have commands: `user approve | reject | assign |
/// unassign` and `location policy`, queued like any action and applied by the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_commands_queue_their_mutations() {
    let net = Net::new().await;
    let register = |email: &'static str| {
        let base = net.server.base.clone();
        async move {
            let response = reqwest::Client::new()
                .post(format!("{base}/v1/auth/register"))
                .header(taller_protocol::PROTOCOL_HEADER, taller_protocol::PROTOCOL_VERSION.to_string())
                .json(&json!({"nombre_completo": "Persona Nueva", "email": email, "password": "una-clave-larga"}))
                .send()
                .await
                .expect("register");
            assert_eq!(response.status().as_u16(), 201, "{:?}", response.text().await);
        }
    };
    register("nueva@taller.test").await;
    register("otra@taller.test").await;
    let admin = Cli::signed_in(&net, "admin@taller.test");
    for args in [
        vec!["user", "approve", "--email", "nueva@taller.test"],
        vec!["user", "reject", "--email", "otra@taller.test", "--reason", "no trabaja aquí"],
        vec!["user", "assign", "--email", "nueva@taller.test", "--location", "Taller Sur"],
        vec!["user", "unassign", "--email", "tecnico.norte@taller.test", "--location", "Taller Norte"],
        vec!["location", "policy", "--location", "Taller Sur", "--negative-stock", "reject"],
    ] {
        let out = admin.ok(&args, None);
        assert_eq!(out["queued"], true, "taller {args:?}: {out}");
    }
    let out = admin.ok(&["sync"], None);
    assert_eq!((out["report"]["applied"].as_u64(), out["report"]["rejected"].as_u64()), (Some(5), Some(0)), "{out}");
    let pool = &net.db.pool;
    let approved = |email: &'static str| async move {
        sqlx::query_scalar::<_, bool>("SELECT aprobado FROM usuarios WHERE email = $1")
            .bind(email)
            .fetch_one(pool)
            .await
            .expect("user")
    };
    assert!(approved("nueva@taller.test").await);
    assert!(!approved("otra@taller.test").await);
    let reason: Option<String> =
        sqlx::query_scalar("SELECT motivo_rechazo FROM usuarios WHERE email = 'otra@taller.test'")
            .fetch_one(pool)
            .await
            .expect("reason");
    assert_eq!(reason.as_deref(), Some("no trabaja aquí"));
    let assignments = |email: &'static str| async move {
        sqlx::query_scalar::<_, String>(
            "SELECT l.nombre FROM usuarios_localizacion ul JOIN usuarios u USING (id_usuario) \
               JOIN localizacion l USING (id_localizacion) WHERE u.email = $1 ORDER BY l.nombre",
        )
        .bind(email)
        .fetch_all(pool)
        .await
        .expect("assignments")
    };
    assert_eq!(assignments("nueva@taller.test").await, ["Taller Sur"]);
    assert!(assignments("tecnico.norte@taller.test").await.is_empty());
    let policy: String = sqlx::query_scalar(
        "SELECT p.stock_negativo FROM localizacion_politicas p JOIN localizacion l USING (id_localizacion) \
          WHERE l.nombre = 'Taller Sur'",
    )
    .fetch_one(pool)
    .await
    .expect("policy");
    assert_eq!(policy, "reject");
    let (code, out) = admin.run(&["user", "approve", "--email", "nobody@taller.test"], None);
    assert_eq!((code, out["code"].as_str()), (1, Some("invalid_input")), "{out}");
    admin.ok(&["checksum", "--compare"], None);
}

/// A count and a warranty claim through `taller count` and `taller warranty`, named as a
/// person types them: queued offline, sent, and shown after the pull with the server's rows
/// (the count's adjustment per line, the stock the approval brought in).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counts_and_warranties_go_through_the_cli_by_name() {
    let net = Net::new().await;
    let cli = Cli::signed_in(&net, "bodega@taller.test");
    let reference = net.parts[0].1.as_str();
    let (_, stock) = cli.run(&["stock", "list", "--location", "Bodega Central"], None);
    let before = stock
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["referencia"] == reference))
        .and_then(|row| row["stock_actual"].as_i64())
        .expect("the part's stock at Bodega Central");

    let started = cli.ok(&["count", "start", "--location", "bodega central", "--note", "mensual"], None);
    let count = started["result"]["id_conteo"].as_str().expect("id_conteo").to_owned();
    let counted = (before + 3).to_string();
    let line = cli.ok(&["count", "line", &count, "--ref", &reference.to_lowercase(), "--counted", &counted], None);
    assert_eq!(line["result"]["diferencia"], -3, "{line}");
    cli.ok(&["count", "close", &count], None);
    cli.ok(&["sync"], None);
    let shown = cli.ok(&["count", "show", &count], None);
    assert_eq!((shown["state"].as_str(), shown["localizacion"].as_str()), (Some("closed"), Some("Bodega Central")));
    assert_eq!(shown["usuario"], "Bruno Bodeguero", "{shown}");
    let ajuste = &shown["lineas"][0]["ajuste"];
    assert_eq!(
        (ajuste["tipo_operacion"].as_str(), ajuste["cantidad_anterior"].as_i64(), ajuste["cantidad_nueva"].as_i64()),
        (Some("CONTEO_FISICO"), Some(before), Some(before + 3)),
        "the server's ledger row, after the pull: {shown}"
    );
    let listed = cli.ok(&["count", "list", "--location", "Bodega Central", "--state", "closed"], None);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");

    let created = cli.ok(
        &[
            "warranty",
            "create",
            "--location",
            "Bodega Central",
            "--ref",
            reference,
            "--qty",
            "2",
            "--reason",
            "no carga",
        ],
        None,
    );
    let claim = created["result"]["id_garantia"].as_str().expect("id_garantia").to_owned();
    cli.ok(&["warranty", "submit", &claim], None);
    cli.ok(&["warranty", "approve", &claim, "--comment", "cambio"], None);
    cli.ok(&["sync"], None);
    let shown = cli.ok(&["warranty", "show", &claim], None);
    assert_eq!(
        (shown["estado"].as_str(), shown["referencia"].as_str()),
        (Some("APROBADA"), Some(reference)),
        "{shown}"
    );
    assert_eq!(shown["ingreso"]["cantidad_nueva"].as_i64(), Some(before + 5), "{shown}");
    let listed = cli.ok(&["warranty", "list", "--state", "aprobada"], None);
    assert_eq!(listed[0]["id_garantia"].as_str(), Some(claim.as_str()), "{listed}");

    for args in [vec!["count", "list", "--state", "sometimes"], vec!["warranty", "list", "--state", "bogus"]] {
        let (code, _) = cli.run(&args, None);
        assert_eq!(code, 2, "taller {args:?}");
    }
    for args in [
        vec!["count", "start", "--location", "Nowhere"],
        vec!["warranty", "create", "--location", "Bodega Central", "--ref", "NOPE", "--qty", "1", "--reason", "x"],
    ] {
        let (code, out) = cli.run(&args, None);
        assert_eq!((code, out["code"].as_str()), (1, Some("invalid_input")), "taller {args:?}: {out}");
    }
    let (code, out) = cli.run(&["warranty", "reject", &claim, "--comment", "tarde"], None);
    assert_eq!((code, out["code"].as_str()), (1, Some("invalid_transition")), "{out}");
    cli.ok(&["checksum", "--compare"], None);
}

/// The catalogue, stock and people commands through the library's operations, named as a
/// person types them: a part found with the stock at a location, shown by reference, edited
/// and its stock settings set with the values they replaced (so the server records no
/// conflict), an adjustment, a new part discontinued; the technicians, notifications and the
/// inbox listed; the stock printed as text lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_stock_and_people_commands_name_things_as_a_person_types_them() {
    let net = Net::new().await;
    let cli = Cli::signed_in(&net, "admin@taller.test");
    let (part, reference) = net.parts[0].clone();
    let norte = net.locs[1];

    let found = cli.ok(&["parts", "list", "--search", &reference, "--location", "taller norte"], None);
    let row = found.as_array().and_then(|rows| rows.iter().find(|r| r["referencia"] == reference.as_str()));
    let before = row.and_then(|r| r["stock"]["stock_actual"].as_i64()).expect("the part with its stock at Norte");
    assert_eq!(i64::from(net.server_stock(norte, part).await), before, "{found}");
    let shown = cli.ok(&["parts", "show", &reference.to_lowercase()], None);
    assert_eq!(
        (shown["id_repuesto"].as_str(), shown["stock"].as_array().map(Vec::len)),
        (Some(part.to_string().as_str()), Some(3)),
        "{shown}"
    );

    let edited = cli.ok(&["parts", "edit", &reference, "--name", "Nombre nuevo", "--brand", "Marca nueva"], None);
    assert_eq!(edited["name"], "part.edit", "{edited}");
    cli.ok(
        &["stock", "set", "--location", "Taller Norte", "--ref", &reference, "--min", "7", "--position", "Z-9"],
        None,
    );
    cli.ok(
        &["stock", "adjust", "--location", "Taller Norte", "--ref", &reference, "--delta", "-1", "--reason", "rotura"],
        None,
    );
    let created = cli.ok(&["parts", "add", "--ref", "NUE-001", "--name", "Pieza nueva"], None);
    assert_eq!(created["result"]["merged"], false, "{created}");
    cli.ok(&["parts", "discontinue", "nue-001"], None);
    let out = cli.ok(&["sync"], None);
    assert_eq!((out["report"]["applied"].as_u64(), out["report"]["rejected"].as_u64()), (Some(5), Some(0)), "{out}");

    let pool = &net.db.pool;
    let (nombre, marca): (String, Option<String>) =
        sqlx::query_as("SELECT nombre, marca FROM repuestos WHERE id_repuesto = $1")
            .bind(part)
            .fetch_one(pool)
            .await
            .expect("part");
    assert_eq!((nombre.as_str(), marca.as_deref()), ("Nombre nuevo", Some("Marca nueva")));
    let (minimo, posicion): (i32, Option<String>) = sqlx::query_as(
        "SELECT cantidad_minima, posicion FROM inventario WHERE id_localizacion = $1 AND id_repuesto = $2",
    )
    .bind(norte)
    .bind(part)
    .fetch_one(pool)
    .await
    .expect("item");
    assert_eq!((minimo, posicion.as_deref()), (7, Some("Z-9")));
    let conflicts: i64 = sqlx::query_scalar("SELECT count(*) FROM conflictos WHERE tipo = 'edicion_campo'")
        .fetch_one(pool)
        .await
        .expect("conflicts");
    assert_eq!(conflicts, 0, "every edit carried the value it replaced");
    assert_eq!(i64::from(net.server_stock(norte, part).await), before - 1);
    let discontinued: bool = sqlx::query_scalar("SELECT descontinuado FROM repuestos WHERE referencia = 'NUE-001'")
        .fetch_one(pool)
        .await
        .expect("new part");
    assert!(discontinued);

    let technicians = cli.ok(&["technicians", "--location", "taller norte"], None);
    assert!(
        technicians.as_array().is_some_and(|rows| rows.iter().any(|t| t["email"] == "tecnico.norte@taller.test")),
        "{technicians}"
    );
    assert!(cli.ok(&["notifications"], None).is_array());
    assert_eq!(cli.ok(&["conflicts"], None), json!([]));
    let (code, stdout, _) = cli.output(false, &["stock", "list", "--location", "Taller Norte"], None);
    assert_eq!(code, 0, "{stdout}");
    let line = stdout.lines().find(|line| line.contains(&format!("referencia={reference}"))).expect("the part's line");
    assert!(line.contains("localizacion=Taller Norte") && line.contains("cantidad_minima=7"), "{line}");
    assert!(!line.contains("id_inventario"), "ids are left out of text lines: {line}");

    for args in [
        vec!["parts", "show", "NOPE-1"],
        vec!["technicians", "--location", "Nowhere"],
        vec!["parts", "list", "--location", "Nowhere"],
    ] {
        let (code, out) = cli.run(&args, None);
        assert_eq!((code, out["code"].as_str()), (1, Some("invalid_input")), "taller {args:?}: {out}");
    }
    cli.ok(&["checksum", "--compare"], None);
}

/// `taller request propose` (alias `requests`): a replenishment for Taller Norte from the
/// location with the most stock (Bodega Central), a part capped by what the warehouse holds,
/// every line by the rule, into the cart with --to-cart and then a request; a technician who
/// holds only the workshop is told why there is no origin; usage mistakes exit 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replenishment_is_proposed_put_into_the_cart_and_requested_by_name() {
    let net = Net::new().await;
    let admin = Cli::signed_in(&net, "admin@taller.test");
    let stock_at = |location: &str| -> Vec<Value> {
        admin.ok(&["stock", "list", "--location", location], None).as_array().cloned().unwrap_or_default()
    };
    let warehouse = stock_at("Bodega Central");
    let held = |reference: &str| -> i64 {
        warehouse
            .iter()
            .find(|row| row["referencia"] == reference)
            .and_then(|row| row["stock_actual"].as_i64())
            .unwrap_or(0)
    };
    let workshop = stock_at("Taller Norte");
    let chosen = workshop
        .iter()
        .find(|row| held(row["referencia"].as_str().unwrap_or_default()) > 0)
        .expect("a part the warehouse holds");
    let reference = chosen["referencia"].as_str().expect("reference").to_owned();
    let (stock, in_warehouse) = (chosen["stock_actual"].as_i64().expect("stock"), held(&reference));
    // A minimum beyond what the warehouse can give: the proposal is capped by the warehouse.
    let minimum = (stock + in_warehouse + 5).to_string();
    admin.ok(&["stock", "set", "--location", "Taller Norte", "--ref", &reference, "--min", &minimum], None);

    // Without --from: the location with the most stock on hand, the first of the candidates.
    let default = admin.ok(&["requests", "propose", "--for", "Taller Norte"], None);
    let origins = default["origenes"].as_array().expect("origins");
    assert_eq!(origins.len(), 2, "every other location the administrator's replica holds: {default}");
    assert_eq!(default["origen"], origins[0]["nombre"], "{default}");
    assert!(origins[0]["stock_total"].as_i64() >= origins[1]["stock_total"].as_i64(), "{default}");
    let proposal = admin.ok(&["requests", "propose", "--for", "Taller Norte", "--from", "bodega central"], None);
    assert_eq!(
        (proposal["destino"].as_str(), proposal["origen"].as_str()),
        (Some("Taller Norte"), Some("Bodega Central"))
    );
    let lines = proposal["lineas"].as_array().expect("lines");
    let line = lines.iter().find(|line| line["referencia"] == reference.as_str()).expect("the chosen part");
    assert_eq!(line["propuesta"].as_i64(), Some(in_warehouse), "capped by the warehouse: {line}");
    assert_eq!(line["falta"].as_i64(), Some(in_warehouse + 5));
    for line in lines {
        let n = |key: &str| line[key].as_i64().unwrap_or(i64::MIN);
        assert_eq!(n("falta"), n("cantidad_minima") - n("stock_actual") - n("en_transito") - n("en_carrito"), "{line}");
        assert_eq!(n("propuesta"), n("falta").min(n("disponible_origen")), "{line}");
        assert!(n("propuesta") > 0, "lines at 0 are left out: {line}");
    }

    let done =
        admin.ok(&["request", "propose", "--for", "Taller Norte", "--from", "Bodega Central", "--to-cart"], None);
    assert_eq!(done["cart"]["added"].as_u64(), Some(lines.len() as u64), "{done}");
    let cart = admin.ok(&["cart", "list"], None);
    let in_cart =
        cart.as_array().and_then(|rows| rows.iter().find(|row| row["referencia"] == reference.as_str()).cloned());
    assert_eq!(in_cart.map(|row| row["cantidad"].clone()), Some(json!(in_warehouse)), "{cart}");
    // What is in the cart is not proposed again.
    let again = admin.ok(&["request", "propose", "--for", "Taller Norte", "--from", "Bodega Central"], None);
    assert!(
        again["lineas"]
            .as_array()
            .is_some_and(|lines| lines.iter().all(|line| line["referencia"] != reference.as_str())),
        "{again}"
    );
    let created = admin.ok(&["request", "create", "--from", "Bodega Central", "--to", "Taller Norte"], None);
    assert_eq!(created["queued"], true, "{created}");
    let out = admin.ok(&["sync"], None);
    assert_eq!(out["report"]["rejected"].as_u64(), Some(0), "{out}");
    let asked: i32 = sqlx::query_scalar(
        "SELECT d.cantidad_solicitada FROM detalles_solicitud d JOIN repuestos r USING (id_repuesto) \
           JOIN solicitudes s USING (id_solicitud) WHERE r.referencia = $1 AND s.estado = 'PENDIENTE'",
    )
    .bind(&reference)
    .fetch_one(&net.db.pool)
    .await
    .expect("the request line on the server");
    assert_eq!(i64::from(asked), in_warehouse);

    // Refusals: exit 1 with a stable code; usage mistakes exit 2.
    let technician = Cli::signed_in(&net, "tecnico.norte@taller.test");
    let (code, out) = technician.run(&["request", "propose", "--for", "Taller Norte"], None);
    assert_eq!((code, out["code"].as_str()), (1, Some("no_replenishment_origin")), "{out}");
    assert!(out["message"].as_str().is_some_and(|m| m.contains("Taller Norte")), "{out}");
    let (code, out) = admin.run(&["request", "propose", "--for", "Taller Norte", "--from", "Taller Norte"], None);
    assert_eq!((code, out["code"].as_str()), (1, Some("invalid_arguments")), "{out}");
    let (code, out) = admin.run(&["request", "propose", "--for", "Nowhere"], None);
    assert_eq!((code, out["code"].as_str()), (1, Some("invalid_input")), "{out}");
    let (code, _) = admin.run(&["request", "propose"], None);
    assert_eq!(code, 2);
}

/// Scooter models and orders through `taller models` and `taller orders`, named as a person
/// types them: Bodega creates a model and an order, advances it to in transit; a second
/// device (the administrator's workstation) sees it after a sync, marks it delivered, and an
/// advance back to level 2 is queued but changes nothing (a level never goes back). Usage
/// mistakes exit 2; a refused action exits 1 with its code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn models_and_orders_go_through_the_cli_by_name_and_never_go_back() {
    let net = Net::new().await;
    let cli = Cli::signed_in(&net, "bodega@taller.test");
    cli.ok(&["models", "create", "--name", "Ciudad 500", "--power", "350W", "--description", "Patinete urbano"], None);
    cli.ok(&["models", "edit", "ciudad 500", "--power", "500W"], None);
    let created = cli.ok(
        &[
            "orders",
            "create",
            "--number",
            "OC-CLI-1",
            "--model",
            "Ciudad 500",
            "--email",
            "compras@taller.test",
            "--eta",
            "2026-12-24",
        ],
        None,
    );
    let order = created["result"]["id_orden"].as_str().expect("id_orden").to_owned();
    let advanced = cli.ok(&["orders", "advance", "oc-cli-1", "--level", "2", "--state", "Salió de Valencia"], None);
    assert_eq!(advanced["result"]["applied"], json!(true), "{advanced}");
    cli.ok(&["orders", "edit", "OC-CLI-1", "--phone", "600 000 000"], None);
    cli.ok(&["sync"], None);

    let second = Cli::signed_in(&net, "admin@taller.test");
    let listed = second.ok(&["orders", "list", "--level", "2"], None);
    assert_eq!(
        (listed[0]["id_orden"].as_str(), listed[0]["modelo"].as_str(), listed[0]["estado"].as_str()),
        (Some(order.as_str()), Some("Ciudad 500"), Some("Salió de Valencia")),
        "{listed}"
    );
    let models = second.ok(&["models", "list"], None);
    let ciudad =
        models.as_array().and_then(|all| all.iter().find(|m| m["nombre"] == "Ciudad 500")).expect("the new model");
    assert_eq!((ciudad["potencia"].as_str(), ciudad["pedidos_abiertos"].as_i64()), (Some("500W"), Some(1)), "{models}");
    second.ok(&["orders", "advance", &order, "--level", "3"], None);
    second.ok(&["sync"], None);
    cli.ok(&["sync"], None);
    let back = cli.ok(&["orders", "advance", "OC-CLI-1", "--level", "2"], None);
    assert_eq!(
        (back["result"]["applied"].clone(), back["result"]["nivel"].clone()),
        (json!(false), json!(3)),
        "{back}"
    );
    cli.ok(&["sync"], None);
    let shown = second.ok(&["orders", "show", "OC-CLI-1"], None);
    assert_eq!(
        (shown["nivel"].as_i64(), shown["estado"].as_str(), shown["telefono_contacto"].as_str()),
        (Some(3), Some("Entregado"), Some("600 000 000")),
        "{shown}"
    );

    for args in
        [vec!["orders", "list", "--level", "7"], vec!["orders", "edit", "OC-CLI-1"], vec!["models", "edit", "x"]]
    {
        let (code, _) = cli.run(&args, None);
        assert_eq!(code, 2, "taller {args:?}");
    }
    let (code, out) = cli.run(&["orders", "create", "--number", "OC-2", "--model", "Nadie"], None);
    assert_eq!((code, out["code"].as_str()), (1, Some("invalid_input")), "{out}");
    let (code, out) = cli.run(&["orders", "edit", "OC-CLI-1", "--email", "compras"], None);
    assert_eq!((code, out["code"].as_str()), (1, Some("value_not_allowed")), "{out}");
    let technician = Cli::signed_in(&net, "tecnico.norte@taller.test");
    let (code, out) = technician.run(&["orders", "advance", "OC-CLI-1", "--level", "3"], None);
    assert_eq!((code, out["code"].as_str()), (1, Some("forbidden")), "{out}");
}
