//! What the `desktop` scenario needs to drive the real app: a private X display (Xvfb) and
//! session bus, `tauri-driver` (which starts WebKitWebDriver, which starts the app) and a few
//! WebDriver commands spoken over HTTP. One WebDriver session at a time; every process
//! started here is killed with its process group when dropped.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// A process with its whole process group, killed on drop.
pub struct Proc {
    child: Child,
}

impl Proc {
    fn spawn(what: &str, command: &mut Command) -> Result<Proc> {
        command.process_group(0);
        let child = command.spawn().with_context(|| format!("starting {what}"))?;
        Ok(Proc { child })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // The group first (WebKitWebDriver and the app under tauri-driver); it may be gone.
        let group = format!("-{}", self.child.id());
        let killed =
            Command::new("kill").args(["-KILL", "--", &group]).stdout(Stdio::null()).stderr(Stdio::null()).status();
        if self.child.try_wait().ok().flatten().is_none() {
            if let Err(error) = self.child.kill() {
                crate::note(&format!("could not kill process {} ({error}; group kill: {killed:?})", self.child.id()));
            }
        }
        if let Err(error) = self.child.wait() {
            crate::note(&format!("could not reap process {}: {error}", self.child.id()));
        }
    }
}

/// Xvfb on a display number nobody uses, and a session bus.
pub struct Screen {
    pub display: String,
    pub bus: String,
    _xvfb: Proc,
    _dbus: Proc,
}

impl Screen {
    pub fn start() -> Result<Screen> {
        let mut found = None;
        for number in 400..700 {
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
            if socket.exists() || Path::new(&format!("/tmp/.X{number}-lock")).exists() {
                continue;
            }
            let mut xvfb = Proc::spawn(
                "Xvfb",
                Command::new("Xvfb")
                    .args([&format!(":{number}"), "-screen", "0", "1366x900x24", "-nolisten", "tcp"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null()),
            )?;
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && xvfb.child.try_wait()?.is_none() && !socket.exists() {
                std::thread::sleep(Duration::from_millis(20));
            }
            if socket.exists() {
                found = Some((format!(":{number}"), xvfb));
                break;
            }
        }
        let (display, xvfb) =
            found.ok_or_else(|| anyhow!("no free X display between :400 and :699 (is Xvfb installed?)"))?;
        let mut dbus = Proc::spawn(
            "dbus-daemon",
            Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--print-address=1"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )?;
        let stdout = dbus.child.stdout.take().context("dbus-daemon's stdout")?;
        let mut bus = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut bus)?;
        let bus = bus.trim().to_owned();
        if bus.is_empty() {
            bail!("dbus-daemon printed no address");
        }
        Ok(Screen { display, bus, _xvfb: xvfb, _dbus: dbus })
    }
}

/// `tauri-driver` on the PATH or in `~/.cargo/bin`.
pub fn tauri_driver() -> Result<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).map(|dir| dir.join("tauri-driver")).collect::<Vec<_>>())
        .unwrap_or_default();
    let home = std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo/bin/tauri-driver"));
    on_path.into_iter().chain(home).find(|path| path.is_file()).ok_or_else(|| {
        anyhow!("tauri-driver is missing: `cargo install tauri-driver --locked` (or `cargo xtask setup`)")
    })
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The app under tauri-driver, with its WebDriver session.
pub struct App {
    pub session: Session,
    /// The `taller-desktop` process.
    pub pid: u32,
    /// When that process was first seen (polled every millisecond from before the session was
    /// asked for): the start of the cold start.
    pub spawned_at: SystemTime,
    _driver: Proc,
}

/// What starts the app: the display, the binary, the wrapper, where logs go.
pub struct Launcher {
    pub screen: Screen,
    pub app_bin: PathBuf,
    pub wrapper: PathBuf,
    pub driver_bin: PathBuf,
    pub work: PathBuf,
}

impl Launcher {
    /// Starts tauri-driver and a session whose app opens `data_dir` against `server`.
    pub async fn start(&self, label: &str, data_dir: &Path, server: &str) -> Result<App> {
        let home = self.work.join(format!("home-{label}"));
        std::fs::create_dir_all(&home)?;
        let (port, native_port) = (free_port()?, free_port()?);
        let log = std::fs::File::create(self.work.join(format!("app-{label}.log")))?;
        let driver = Proc::spawn(
            "tauri-driver",
            Command::new(&self.driver_bin)
                .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
                .env("DISPLAY", &self.screen.display)
                .env("DBUS_SESSION_BUS_ADDRESS", &self.screen.bus)
                .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
                .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
                .env("LIBGL_ALWAYS_SOFTWARE", "1")
                .env("XDG_DATA_HOME", home.join("data"))
                .env("XDG_CACHE_HOME", home.join("cache"))
                .env("XDG_CONFIG_HOME", home.join("config"))
                .env("TALLER_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log),
        )?;
        // Watch for the app's process from before the session is asked for.
        let watcher = {
            let (driver_pid, app_bin) = (driver.pid(), self.app_bin.clone());
            std::thread::spawn(move || watch_for_app(driver_pid, &app_bin, Duration::from_secs(60)))
        };
        let caps = json!({
            "tauri:options": {
                "application": self.wrapper,
                "args": ["--data-dir", data_dir, "--server", server],
            }
        });
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let session = loop {
            match Session::new(&url, &caps).await {
                Ok(session) => break session,
                // tauri-driver may not listen yet.
                Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(error) => return Err(error).context("no WebDriver session from tauri-driver"),
            }
        };
        let (pid, spawned_at) = tokio::task::spawn_blocking(move || watcher.join())
            .await?
            .map_err(|_| anyhow!("the process watcher panicked"))?
            .context("the app's process was not seen")?;
        Ok(App { session, pid, spawned_at, _driver: driver })
    }
}

impl App {
    /// Deletes the session (which closes the app), then kills the driver's process group.
    pub async fn close(self) {
        match tokio::time::timeout(Duration::from_secs(10), self.session.delete()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => crate::note(&format!("desktop: deleting the WebDriver session: {error:#}")),
            Err(_) => crate::note("desktop: deleting the WebDriver session took over 10 s"),
        }
    }
}

/// The `taller-desktop` process under `driver` (the first one seen) and when it was seen.
fn watch_for_app(driver: u32, app_bin: &Path, limit: Duration) -> Option<(u32, SystemTime)> {
    let app_bin = std::fs::canonicalize(app_bin).unwrap_or_else(|_| app_bin.to_owned());
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        for pid in descendants(driver) {
            if std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == app_bin) {
                return Some((pid, SystemTime::now()));
            }
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    None
}

/// Every live process below `root` (children, their children, ...).
pub fn descendants(root: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else { continue };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
            let Some(rest) = stat.rfind(')').map(|at| &stat[at + 2..]) else { continue };
            if let Some(ppid) = rest.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()) {
                parents.push((pid, ppid));
            }
        }
    }
    let mut found = vec![root];
    let mut at = 0;
    while at < found.len() {
        let parent = found[at];
        found.extend(parents.iter().filter(|(_, ppid)| *ppid == parent).map(|(pid, _)| *pid));
        at += 1;
    }
    found.remove(0);
    found
}

/// A process's short name (`/proc/PID/comm`).
pub fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_owned()
}

/// A WebDriver session (the W3C protocol, over HTTP).
pub struct Session {
    http: reqwest::Client,
    base: String,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Session {
    async fn new(url: &str, caps: &Value) -> Result<Session> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
        let answer = call(
            &http,
            reqwest::Method::POST,
            &format!("{url}/session"),
            Some(json!({"capabilities": {"alwaysMatch": caps}})),
        )
        .await?;
        let id = answer["sessionId"].as_str().ok_or_else(|| anyhow!("no sessionId in {answer}"))?;
        Ok(Session { http, base: format!("{url}/session/{id}") })
    }

    /// Runs `script` (a function body) in the page.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        call(
            &self.http,
            reqwest::Method::POST,
            &format!("{}/execute/sync", self.base),
            Some(json!({"script": script, "args": args})),
        )
        .await
    }

    /// The first element matching `css`, waited for up to `limit`.
    pub async fn find(&self, css: &str, limit: Duration) -> Result<String> {
        let deadline = Instant::now() + limit;
        loop {
            let found = call(
                &self.http,
                reqwest::Method::POST,
                &format!("{}/element", self.base),
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
            match found {
                Ok(value) => {
                    return value[ELEMENT]
                        .as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| anyhow!("no element id in {value}"))
                }
                Err(error) if Instant::now() >= deadline => return Err(error).context(format!("no element {css}")),
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// Types `text` into an element (real key events).
    pub async fn send_keys(&self, element: &str, text: &str) -> Result<()> {
        call(
            &self.http,
            reqwest::Method::POST,
            &format!("{}/element/{element}/value", self.base),
            Some(json!({"text": text})),
        )
        .await?;
        Ok(())
    }

    async fn delete(&self) -> Result<()> {
        call(&self.http, reqwest::Method::DELETE, &self.base, None).await?;
        Ok(())
    }
}

async fn call(http: &reqwest::Client, method: reqwest::Method, url: &str, body: Option<Value>) -> Result<Value> {
    let mut request = http.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await?;
    let status = response.status();
    let value: Value = response.json().await.context("WebDriver's answer is not JSON")?;
    let value = value.get("value").cloned().unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("WebDriver {status}: {} {}", value["error"], value["message"]);
    }
    Ok(value)
}
