//! What every end-to-end test stands on: a private X display and session bus, a fresh
//! database with the demo data, the real `taller-server` as a process (stoppable and
//! restartable on the same port), a TCP forwarder between the app and the server that can be
//! switched off, the real app driven through `tauri-driver` (WebKitWebDriver), and the `taller`
//! CLI as a second device. Everything a test starts is killed when its [`Env`] is dropped, even
//! on a panic; [`Env::finish`] also deletes the WebDriver session.

use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use std::ffi::OsString;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use taller_server::demo::DemoSize;
use taller_server::testing::TestDb;
use taller_webview::{Driver, DriverOptions, Proc, Screen};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;

pub use taller_server::demo::DEMO_PASSWORD as PASSWORD;
pub const TECH: &str = "tecnico.norte@taller.test";
pub const BODEGA: &str = "bodega@taller.test";
pub const ADMIN: &str = "admin@taller.test";
pub const TALLER_NORTE: &str = "Taller Norte";

/// How long a step may take to show in the window before the test fails.
pub const STEP: Duration = Duration::from_secs(30);

/// A 1-pixel element added for two animation frames: the page has something to paint, so
/// WebKit renders a frame (a snapshot waits for one, up to ~30 s when the page is at rest).
const PAINT_NUDGE: &str = "const dot = document.createElement('div'); dot.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;pointer-events:none'; document.body.appendChild(dot); requestAnimationFrame(() => requestAnimationFrame(() => dot.remove())); return true;";

/// One app at a time in this process too (`cargo test` runs tests on threads; nextest runs the
/// `e2e` binary's tests one at a time through its `desktop-e2e` test group).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The workspace's target directory (`target/debug/taller-desktop` → `target`).
pub fn target_dir() -> PathBuf {
    let exe = Path::new(env!("CARGO_BIN_EXE_taller-desktop"));
    exe.parent().and_then(Path::parent).expect("the app binary lies in target/<profile>/").to_path_buf()
}

/// A program built next to the app (same target dir and profile).
fn sibling(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_taller-desktop")).with_file_name(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace's programs first (`cargo build --workspace --bins`)",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    taller_webview::free_port().expect("a free port")
}

/// A log file in the test's log directory, for a process's output.
fn log_file(logs: &Path, name: &str) -> Stdio {
    let file = std::fs::File::create(logs.join(format!("{name}.log"))).expect("create a log file");
    Stdio::from(file)
}

/// The real server as a process, on a port of its own that survives a restart.
pub struct Server {
    pub port: u16,
    /// The server's own address (what the CLI uses).
    pub url: String,
    database_url: String,
    data_dir: tempfile::TempDir,
    logs: PathBuf,
    starts: u32,
    proc: Option<Proc>,
}

impl Server {
    pub async fn start(database_url: &str, logs: &Path) -> Server {
        let port = free_port();
        let mut server = Server {
            port,
            url: format!("http://127.0.0.1:{port}"),
            database_url: database_url.to_owned(),
            data_dir: tempfile::Builder::new().prefix("taller-e2e-server-").tempdir().expect("temp dir"),
            logs: logs.to_path_buf(),
            starts: 0,
            proc: None,
        };
        server.resume().await;
        server
    }

    /// Starts it again (same port, same database), waiting until it answers.
    pub async fn resume(&mut self) {
        assert!(self.proc.is_none(), "the server is already running");
        self.starts += 1;
        let proc = Proc::spawn(
            "taller-server",
            Command::new(sibling("taller-server"))
                .arg("--database-url")
                .arg(&self.database_url)
                .arg("--data-dir")
                .arg(self.data_dir.path())
                .args(["serve", "--listen", &format!("127.0.0.1:{}", self.port)])
                .stdin(Stdio::null())
                .stdout(log_file(&self.logs, &format!("server-{}", self.starts)))
                .stderr(log_file(&self.logs, &format!("server-{}.err", self.starts))),
        )
        .expect("start taller-server");
        let mut proc = proc;
        let http = reqwest::Client::new();
        let deadline = Instant::now() + STEP;
        loop {
            if let Some(status) = proc.exited() {
                panic!("taller-server exited ({status}); see {}", self.logs.display());
            }
            let answer = http.get(format!("{}/healthz", self.url)).timeout(Duration::from_secs(2)).send().await;
            if answer.is_ok_and(|answer| answer.status().is_success()) {
                break;
            }
            assert!(Instant::now() < deadline, "taller-server did not answer /healthz; see {}", self.logs.display());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.proc = Some(proc);
    }

    /// Kills it ("server stopped"): its port refuses connections afterwards.
    pub async fn stop(&mut self) {
        self.proc = None;
        let deadline = Instant::now() + STEP;
        while TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
            assert!(Instant::now() < deadline, "the server's port still answers after it was killed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A TCP forwarder between the app and the server. Off, it listens no more (connections are
/// refused) and cuts the ones it carried: the app is offline while the CLI still reaches the
/// server directly.
pub struct Forwarder {
    pub url: String,
    on: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Forwarder {
    pub fn start(upstream: u16) -> Forwarder {
        let port = free_port();
        let (on, rx) = watch::channel(true);
        let task = tokio::spawn(forward(port, upstream, rx));
        Forwarder { url: format!("http://127.0.0.1:{port}"), on, task }
    }

    pub fn off(&self) {
        self.on.send_replace(false);
    }

    pub fn on(&self) {
        self.on.send_replace(true);
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.on.send_replace(false);
        self.task.abort();
    }
}

async fn forward(port: u16, upstream: u16, mut on: watch::Receiver<bool>) {
    let for_connections = on.clone();
    loop {
        if on.wait_for(|on| *on).await.is_err() {
            return;
        }
        let listener = loop {
            let socket = TcpSocket::new_v4().expect("socket");
            socket.set_reuseaddr(true).expect("SO_REUSEADDR");
            if socket.bind(([127, 0, 0, 1], port).into()).is_ok() {
                if let Ok(listener) = socket.listen(64) {
                    break listener;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    if let Ok((inbound, _)) = accepted {
                        tokio::spawn(carry(inbound, upstream, for_connections.clone()));
                    }
                }
                switched = on.wait_for(|on| !*on) => {
                    if switched.is_err() {
                        return;
                    }
                    break;
                }
            }
        }
    }
}

async fn carry(mut inbound: TcpStream, upstream: u16, mut on: watch::Receiver<bool>) {
    let Ok(mut outbound) = TcpStream::connect(("127.0.0.1", upstream)).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        _ = on.wait_for(|on| !*on) => {}
    }
}

/// The `taller` CLI on a workstation of its own: the second device.
pub struct Cli {
    dir: tempfile::TempDir,
}

impl Cli {
    /// A fresh device connected to `server`, nobody signed in.
    pub fn connected(server: &str) -> Cli {
        let cli = Cli { dir: tempfile::Builder::new().prefix("taller-e2e-cli-").tempdir().expect("temp dir") };
        cli.ok(&["connect", "--server", server], None);
        cli
    }

    /// Connected to `server` and signed in as `email`, synced once.
    pub fn signed_in(server: &str, email: &str) -> Cli {
        let cli = Cli::connected(server);
        cli.ok(&["login", "--email", email, "--password-stdin"], Some(PASSWORD));
        cli.ok(&["sync"], None);
        cli
    }

    /// `taller --data-dir D --json ARGS`: (exit code, the last JSON document printed).
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> (i32, Value) {
        let mut child = Command::new(sibling("taller"))
            .arg("--data-dir")
            .arg(self.dir.path())
            .arg("--json")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the taller CLI");
        if let Some(text) = stdin {
            child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write to the CLI");
        }
        drop(child.stdin.take());
        let output = child.wait_with_output().expect("wait for the CLI");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let value = stdout.lines().last().and_then(|line| serde_json::from_str(line).ok()).unwrap_or(Value::Null);
        (output.status.code().unwrap_or(-1), value)
    }

    pub fn ok(&self, args: &[&str], stdin: Option<&str>) -> Value {
        let (code, out) = self.run(args, stdin);
        assert_eq!(code, 0, "taller {args:?} failed: {out}");
        out
    }

    /// The stock of `referencia` at `location` in this device's replica.
    pub fn stock(&self, location: &str, referencia: &str) -> i64 {
        let rows = self.ok(&["stock", "list", "--location", location], None);
        let rows = rows.as_array().expect("stock list prints an array");
        let row = rows
            .iter()
            .find(|row| row["referencia"] == referencia)
            .unwrap_or_else(|| panic!("{referencia} not listed"));
        row["stock_actual"].as_i64().expect("stock_actual")
    }
}

/// A part of a location with at least `min` in stock: (id_repuesto, referencia, stock_actual).
pub async fn part_with_stock(db: &TestDb, location: &str, min: i32) -> (uuid::Uuid, String, i32) {
    sqlx::query_as(
        "SELECT r.id_repuesto, r.referencia, i.stock_actual FROM inventario i \
           JOIN repuestos r ON r.id_repuesto = i.id_repuesto \
           JOIN localizacion l ON l.id_localizacion = i.id_localizacion \
          WHERE l.nombre = $1 AND i.stock_actual >= $2 ORDER BY r.referencia LIMIT 1",
    )
    .bind(location)
    .bind(min)
    .fetch_one(&db.pool)
    .await
    .expect("a part with stock")
}

/// The id of a user by email.
pub async fn user_id(db: &TestDb, email: &str) -> uuid::Uuid {
    sqlx::query_scalar("SELECT id_usuario FROM usuarios WHERE email = $1")
        .bind(email)
        .fetch_one(&db.pool)
        .await
        .expect("a user")
}

/// The server's movements with this order number: (id_usuario_responsable, id_tecnico_asignado, cantidad).
pub async fn movements_of_order(db: &TestDb, numero_orden: i32) -> Vec<(uuid::Uuid, uuid::Uuid, i32)> {
    sqlx::query_as(
        "SELECT id_usuario_responsable, id_tecnico_asignado, cantidad FROM movimientos_tecnicos WHERE numero_orden = $1",
    )
    .bind(numero_orden)
    .fetch_all(&db.pool)
    .await
    .expect("movements")
}

/// The app, through tauri-driver; the session is deleted by [`Env::finish`].
pub struct App {
    pub client: Client,
    _data_dir: tempfile::TempDir,
    _driver: Driver,
}

/// The program WebKitWebDriver launches, as `BINARY --automation ARGS` (the app accepts and
/// ignores `--automation`).
fn application() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_taller-desktop"))
}

impl App {
    async fn start(screen: &Screen, server_url: &str, logs: &Path) -> App {
        let data_dir = tempfile::Builder::new().prefix("taller-e2e-app-").tempdir().expect("temp dir");
        let workstation = data_dir.path().join("workstation");
        let driver = Driver::start(DriverOptions {
            screen,
            // The web view's own storage (WebKit's caches, local storage) in the test's directory.
            home: &data_dir.path().join("home"),
            log_level: "info",
            stdout: log_file(logs, "tauri-driver"),
            stderr: log_file(logs, "app"),
        })
        .expect("start tauri-driver");
        let args = [OsString::from("--data-dir"), workstation.into_os_string(), "--server".into(), server_url.into()];
        let client = driver
            .session(&application(), &args, Duration::from_secs(20))
            .await
            .unwrap_or_else(|error| panic!("{error:#}; see {}", logs.display()));
        App { client, _data_dir: data_dir, _driver: driver }
    }
}

/// Everything one test uses.
pub struct Env {
    pub db: TestDb,
    pub server: Server,
    pub net: Forwarder,
    pub app: App,
    pub logs: PathBuf,
    shots: u32,
    _screen: Screen,
    _one: tokio::sync::MutexGuard<'static, ()>,
}

impl Env {
    pub async fn start(name: &str) -> Env {
        let one = ONE_AT_A_TIME.lock().await;
        // Both rustls providers are linked in: choose one for the process (once).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let logs = target_dir().join("e2e-logs").join(name);
        let _ = std::fs::remove_dir_all(&logs);
        std::fs::create_dir_all(&logs).expect("log dir");
        let db = TestDb::new().await;
        taller_server::demo::load(&db.pool, &DemoSize { parts: 300, locations: 3 }).await.expect("demo data");
        let server = Server::start(&db.url, &logs).await;
        let net = Forwarder::start(server.port);
        let screen = Screen::start().expect("a private X display and session bus");
        let app = App::start(&screen, &net.url, &logs).await;
        Env { db, server, net, app, logs, shots: 0, _screen: screen, _one: one }
    }

    /// Ends the test: on a failure a screenshot of the window is kept; the WebDriver session is
    /// deleted (which closes the app) either way; then the failure goes on.
    pub async fn finish(self, outcome: std::thread::Result<()>) {
        let limit = Duration::from_secs(10);
        if outcome.is_err() {
            if let Ok(Ok(png)) = tokio::time::timeout(limit, self.app.client.screenshot()).await {
                let path = self.logs.join("failure.png");
                let _ = std::fs::write(&path, png);
                eprintln!("the window at the failure: {}", path.display());
            }
            let text = self.app.client.execute("return document.body.innerText", vec![]);
            if let Ok(Ok(Value::String(text))) = tokio::time::timeout(limit, text).await {
                eprintln!("the window's text at the failure:\n{text}");
            }
        }
        let _ = tokio::time::timeout(limit, self.app.client.clone().close()).await;
        drop(self);
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }

    /// Runs `script` (a function body) in the window.
    pub async fn js(&self, script: &str) -> Value {
        self.app.client.execute(script, vec![]).await.unwrap_or_else(|error| panic!("script failed: {error}\n{script}"))
    }

    /// Polls `script` until it returns something truthy (not null, false, 0 or ""), at most
    /// [`STEP`]; fails saying `what` was awaited.
    pub async fn wait_for(&self, what: &str, script: &str) -> Value {
        self.wait_for_within(what, script, STEP).await
    }

    pub async fn wait_for_within(&self, what: &str, script: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let value = match self.app.client.execute(script, vec![]).await {
                Ok(value) => value,
                Err(error) => json!({ "webdriver_error": error.to_string() }),
            };
            let value = if value.get("webdriver_error").is_some() {
                if Instant::now() >= deadline {
                    panic!("waited {timeout:?} for: {what} (WebDriver: {value})");
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            } else {
                value
            };
            let truthy = match &value {
                Value::Null => false,
                Value::Bool(flag) => *flag,
                Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
                Value::String(text) => !text.is_empty(),
                _ => true,
            };
            if truthy {
                return value;
            }
            if Instant::now() >= deadline {
                panic!("waited {timeout:?} for: {what} (last answer {value})");
            }
            // Under Xvfb, a web view at rest may render no frame for many seconds, and what
            // waits for one (ResizeObserver, animation frames: the inventory measures its box
            // in them) waits with it. After a second without the answer, ask for a frame.
            if Instant::now() + timeout > deadline + Duration::from_secs(1) {
                let _frame = self.app.client.execute(PAINT_NUDGE, vec![]).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until an element matching `css` shows a text containing `text`; returns its text.
    pub async fn wait_text(&self, css: &str, text: &str) -> String {
        let script = format!(
            "const want = {text}; for (const el of document.querySelectorAll({css})) {{ if (el.textContent.includes(want)) return el.textContent; }} return null;",
            text = json!(text),
            css = json!(css)
        );
        let found = self.wait_for(&format!("«{text}» in {css}"), &script).await;
        found.as_str().unwrap_or_default().to_owned()
    }

    /// The text of the first element matching `css` ("" when there is none).
    pub async fn text(&self, css: &str) -> String {
        let script = format!("const el = document.querySelector({}); return el ? el.textContent : '';", json!(css));
        self.js(&script).await.as_str().unwrap_or_default().to_owned()
    }

    pub async fn find(&self, locator: Locator<'_>) -> fantoccini::elements::Element {
        let deadline = Instant::now() + STEP;
        loop {
            match self.app.client.find(locator).await {
                Ok(element) => return element,
                Err(error) if Instant::now() >= deadline => panic!("no element {locator:?}: {error}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    pub async fn click(&self, css: &str) {
        self.find(Locator::Css(css)).await.click().await.unwrap_or_else(|error| panic!("click {css}: {error}"));
    }

    /// Clicks `css` from inside the page (a DOM click). For what changes the route: WebKitWebDriver
    /// waits for a page load after a WebDriver click that navigates, and a hash route never
    /// loads a page, so that click returns only when its page-load wait (about 30 s) runs out.
    pub async fn click_in_page(&self, css: &str) {
        let script = format!(
            "const el = document.querySelector({}); if (!el) return false; el.click(); return true;",
            json!(css)
        );
        self.wait_for(&format!("{css} to click"), &script).await;
    }

    /// Clicks the button whose text contains `text`.
    pub async fn click_button(&self, text: &str) {
        let xpath = format!("//button[contains(normalize-space(.), {})]", xpath_literal(text));
        self.find(Locator::XPath(&xpath)).await.click().await.unwrap_or_else(|error| panic!("click «{text}»: {error}"));
    }

    /// Types into the field matching `css` (real key events), after emptying it. Tried again
    /// when the field was re-rendered meanwhile (a stale element).
    pub async fn type_into(&self, css: &str, text: &str) {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.try_type_into(css, text).await {
                Ok(()) => break,
                Err(error) if attempt < 5 => {
                    eprintln!("typing into {css} again ({error})");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(error) => panic!("type into {css}: {error}"),
            }
        }
        let value = self.find(Locator::Css(css)).await.prop("value").await.ok().flatten().unwrap_or_default();
        assert_eq!(value, text, "the field {css} holds what was typed");
    }

    async fn try_type_into(&self, css: &str, text: &str) -> Result<(), fantoccini::error::CmdError> {
        let field = self.find(Locator::Css(css)).await;
        let current = field.prop("value").await?.unwrap_or_default();
        if !current.is_empty() {
            let erase: String = std::iter::repeat_n(char::from(Key::Backspace), current.chars().count()).collect();
            field.click().await?;
            field.send_keys(&format!("{}{erase}", char::from(Key::End))).await?;
        }
        field.send_keys(text).await
    }

    /// Presses a key on whatever has the focus.
    pub async fn press(&self, key: Key) {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        let value = char::from(key);
        let keys = KeyActions::new("keyboard".to_owned()).then(KeyAction::Down { value }).then(KeyAction::Up { value });
        self.app.client.perform_actions(keys).await.unwrap_or_else(|error| panic!("press {key:?}: {error}"));
    }

    /// Opens a screen through the navigation bar (`#/inventory`, ...).
    pub async fn go(&self, path: &str) {
        self.click_in_page(&format!("nav a[href='#{path}']")).await;
        self.wait_for(
            &format!("the route {path}"),
            &format!("return location.hash === {};", json!(format!("#{path}"))),
        )
        .await;
    }

    /// Waits until the indicator is in `state`.
    pub async fn wait_indicator(&self, state: &str) -> String {
        let script = format!(
            "const el = document.querySelector('.sync-indicator-wrap [data-state][role]'); return el && el.dataset.state === {} ? el.textContent : null;",
            json!(state)
        );
        self.wait_for(&format!("the sync indicator in state {state}"), &script)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until the indicator says `pending` changes are waiting (in any state).
    pub async fn wait_pending(&self, pending: u32) -> String {
        let script = if pending == 0 {
            "const el = document.querySelector('.sync-indicator-wrap [data-state][role]'); return el && el.dataset.state === 'synced' && !/pendiente/.test(el.textContent) ? el.textContent : null;".to_owned()
        } else {
            format!(
                "const el = document.querySelector('.sync-indicator-wrap [data-state][role]'); if (!el) return null; const t = el.textContent; return (t.includes('{pending} pendiente') || t.includes('{pending} cambio pendiente') || t.includes('{pending} cambios pendientes')) ? t : null;"
            )
        };
        self.wait_for(&format!("the sync indicator saying {pending} pending"), &script)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Signs in online with the sign-in form on screen; waits until the person's first sync
    /// is over and the inventory is open.
    pub async fn sign_in_online(&self, email: &str) {
        self.wait_text("#credentials-title", "Iniciar sesión").await;
        self.type_into("#sign-in-email", email).await;
        self.type_into("#sign-in-password", PASSWORD).await;
        self.click("form button[type=submit]").await;
        self.wait_signed_in(email).await;
    }

    /// Unlocks (offline) with the form on screen in unlock mode, for `email` chosen already.
    pub async fn unlock(&self, email: &str) {
        self.wait_text("#credentials-title", "Desbloquear sin conexión").await;
        let shown =
            self.find(Locator::Css("#sign-in-email")).await.prop("value").await.ok().flatten().unwrap_or_default();
        assert_eq!(shown, email, "the chosen person's email is filled in");
        self.type_into("#sign-in-password", PASSWORD).await;
        self.click_button("Desbloquear").await;
        self.wait_signed_in(email).await;
    }

    async fn wait_signed_in(&self, email: &str) {
        // The layout's header names the person; the first sign-in lands on the sync panel.
        let name = taller_server::demo::DEMO_ACCOUNTS
            .iter()
            .find(|account| account.email == email)
            .map(|account| account.nombre)
            .unwrap_or_else(|| panic!("{email} is not a demo account"));
        self.wait_text(".user-box__name", name).await;
        self.wait_for(
            "the first sync over",
            "const el = document.querySelector('.sync-indicator-wrap [data-state][role]'); return el && el.dataset.state !== 'syncing';",
        )
        .await;
        if !self.js("return location.hash === '#/inventory';").await.as_bool().unwrap_or(false) {
            self.go("/inventory").await;
        }
        self.wait_inventory_rows().await;
    }

    /// Waits until the inventory lists rows; returns the count line ("300 repuestos").
    pub async fn wait_inventory_rows(&self) -> String {
        self.wait_for(
            "inventory rows",
            "return document.querySelectorAll('table[role=grid] tbody tr.row:not(.row--pending) td.col-referencia').length > 0;",
        )
        .await;
        self.text(".screen__head .count").await
    }

    /// The rows the inventory shows: (referencia, nombre, stock).
    pub async fn inventory_rows(&self) -> Vec<(String, String, String)> {
        let value = self
            .js("return [...document.querySelectorAll('table[role=grid] tbody tr.row:not(.row--pending)')].map(tr => [tr.querySelector('td.col-referencia')?.textContent ?? '', tr.querySelector('td.col-nombre')?.textContent ?? '', tr.querySelector('td.col-stock_actual .num')?.textContent ?? '']);")
            .await;
        value
            .as_array()
            .map(|rows| {
                rows.iter()
                    .map(|row| {
                        let cell = |index: usize| row[index].as_str().unwrap_or_default().to_owned();
                        (cell(0), cell(1), cell(2))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Types a search into the inventory and waits for the count line to say `count`.
    pub async fn search_inventory(&self, text: &str) -> String {
        self.type_into("input[type=search]", text).await;
        self.wait_for(
            &format!("the inventory searched for «{text}»"),
            "const count = document.querySelector('.screen__head .count'); return count && !count.textContent.includes('300 ') && !count.textContent.includes('Cargando') ? count.textContent : null;",
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Empties the inventory's search and waits for the whole list (300 parts) again.
    pub async fn clear_search(&self) {
        let field = self.find(Locator::Css("input[type=search]")).await;
        let current = field.prop("value").await.ok().flatten().unwrap_or_default();
        let erase: String = std::iter::repeat_n(char::from(Key::Backspace), current.chars().count()).collect();
        field.click().await.expect("focus the search");
        field.send_keys(&format!("{}{erase}", char::from(Key::End))).await.expect("erase the search");
        self.wait_text(".screen__head .count", "300 repuestos").await;
    }

    /// Records a technician movement at the person's location in the movement form (opened
    /// here): scans/types the reference and Enter, concepto, quantity, order number. Returns the
    /// success notice's text.
    pub async fn record_movement(&self, referencia: &str, concepto: &str, cantidad: i32, numero_orden: i32) -> String {
        self.go("/movement").await;
        self.wait_for("the movement form", "return document.querySelector('#movement-cantidad') !== null && document.querySelectorAll('#movement-concepto option').length > 0;").await;
        // The form is whole (its technicians loaded, the default one chosen) before anything
        // is typed, so the movement is recorded with the technician the form defaults to.
        self.wait_for(
            "a technician chosen",
            "const s = document.querySelector('#movement-tecnico'); return s && s.value !== '';",
        )
        .await;
        let part = self.find(Locator::Css(".part-picker input[role=combobox]")).await;
        part.send_keys(&format!("{referencia}{}", char::from(Key::Enter))).await.expect("type the reference");
        self.wait_text(".part-summary", referencia).await;
        self.find(Locator::Css("#movement-concepto")).await.select_by_value(concepto).await.expect("concepto");
        self.type_into("#movement-cantidad", &cantidad.to_string()).await;
        self.type_into("#movement-orden", &numero_orden.to_string()).await;
        self.click("form.form--movement button[type=submit]").await;
        self.wait_for(
            "the movement recorded",
            "const n = document.querySelector('.notice--success[role=status]'); return n ? n.textContent : null;",
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// A screenshot of the window into `target/screenshots/NAME.png`, and into
    /// `docs/screenshots/` when `TALLER_UPDATE_SCREENSHOTS=1`.
    pub async fn screenshot(&mut self, name: &str) {
        // WebKitWebDriver's snapshot waits for the next paint (up to ~30 s when the page is at
        // rest): a 1-pixel element added for two frames gives it one.
        self.js(PAINT_NUDGE).await;
        let png = self.app.client.screenshot().await.expect("screenshot");
        assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
        self.shots += 1;
        let dir = target_dir().join("screenshots");
        std::fs::create_dir_all(&dir).expect("screenshots dir");
        std::fs::write(dir.join(format!("{name}.png")), &png).expect("write the screenshot");
        if std::env::var("TALLER_UPDATE_SCREENSHOTS").is_ok_and(|value| value == "1") {
            let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
            std::fs::create_dir_all(&docs).expect("docs/screenshots");
            std::fs::write(docs.join(format!("{name}.png")), &png).expect("write the screenshot into docs");
        }
    }
}

fn xpath_literal(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else {
        format!("\"{text}\"")
    }
}

/// Runs a scenario on a fresh [`Env`], and always ends it with [`Env::finish`].
pub async fn run<F>(name: &str, scenario: F)
where
    F: for<'a> FnOnce(&'a mut Env) -> std::pin::Pin<Box<dyn Future<Output = ()> + 'a>>,
{
    use futures::FutureExt;
    let mut env = Env::start(name).await;
    let outcome = std::panic::AssertUnwindSafe(scenario(&mut env)).catch_unwind().await;
    env.finish(outcome).await;
}
