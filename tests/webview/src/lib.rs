//! What a test or a benchmark of the real desktop window stands on: a private X display
//! (Xvfb), a session bus (dbus-daemon), `tauri-driver` started with the web view's environment
//! (WebKitWebDriver under it starts the app), and a WebDriver session asked for until the
//! driver listens. Every process starts in a process group of its own and is killed with that
//! group when dropped, so the app and WebKit's helpers go with it, even on a panic.
//!
//! tauri-driver takes one session at a time: callers run one app at a time and always end the
//! session (`fantoccini::Client::close`).

use anyhow::{anyhow, bail, Context, Result};
use serde_json::json;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub use fantoccini;

/// A process with its whole process group, killed on drop.
pub struct Proc {
    name: String,
    child: Child,
}

impl Proc {
    pub fn spawn(name: &str, command: &mut Command) -> Result<Proc> {
        command.process_group(0);
        let child = command.spawn().with_context(|| format!("starting {name}"))?;
        Ok(Proc { name: name.to_owned(), child })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its exit status, if it has ended.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // The group first (WebKitWebDriver and the app under tauri-driver); it may be gone.
        let group = format!("-{}", self.child.id());
        let killed =
            Command::new("kill").args(["-KILL", "--", &group]).stdout(Stdio::null()).stderr(Stdio::null()).status();
        if self.exited().is_none() {
            if let Err(error) = self.child.kill() {
                eprintln!("could not kill {} ({error}; group kill: {killed:?})", self.name);
            }
        }
        if let Err(error) = self.child.wait() {
            eprintln!("could not reap {}: {error}", self.name);
        }
    }
}

/// The display numbers tried, from the first free one.
const DISPLAYS: std::ops::Range<u32> = 90..700;

/// A private X server (`Xvfb :N`, 1366×900) on a display number nobody uses.
pub struct Display {
    pub name: String,
    _proc: Proc,
}

impl Display {
    pub fn start() -> Result<Display> {
        for number in DISPLAYS {
            let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
            if socket.exists() || Path::new(&format!("/tmp/.X{number}-lock")).exists() {
                continue;
            }
            let mut proc = Proc::spawn(
                "Xvfb",
                Command::new("Xvfb")
                    .args([&format!(":{number}"), "-screen", "0", "1366x900x24", "-nolisten", "tcp"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null()),
            )?;
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && proc.exited().is_none() {
                if socket.exists() {
                    return Ok(Display { name: format!(":{number}"), _proc: proc });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            // Taken meanwhile, or it failed: the next number.
        }
        bail!("no free X display between :{} and :{} (is Xvfb installed?)", DISPLAYS.start, DISPLAYS.end - 1)
    }
}

/// A session bus of its own (`dbus-daemon --session`).
pub struct Bus {
    pub address: String,
    _proc: Proc,
}

impl Bus {
    pub fn start() -> Result<Bus> {
        let mut proc = Proc::spawn(
            "dbus-daemon",
            Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--print-address=1"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )?;
        let stdout = proc.child.stdout.take().context("dbus-daemon's stdout")?;
        let mut address = String::new();
        BufReader::new(stdout).read_line(&mut address).context("reading the bus address")?;
        let address = address.trim().to_owned();
        if address.is_empty() {
            bail!("dbus-daemon printed no address");
        }
        Ok(Bus { address, _proc: proc })
    }
}

/// A display and its session bus: where a window is shown.
pub struct Screen {
    pub display: Display,
    pub bus: Bus,
}

impl Screen {
    pub fn start() -> Result<Screen> {
        Ok(Screen { display: Display::start()?, bus: Bus::start()? })
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

/// A TCP port free on 127.0.0.1 when asked.
pub fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// How to start tauri-driver.
pub struct DriverOptions<'a> {
    pub screen: &'a Screen,
    /// The web view's own storage (XDG data, cache and config) goes below it.
    pub home: &'a Path,
    /// `TALLER_LOG` for the app.
    pub log_level: &'a str,
    /// Where tauri-driver's output and the app's go.
    pub stdout: Stdio,
    pub stderr: Stdio,
}

/// tauri-driver on free ports, with the environment the web view needs under Xvfb (no DMA-BUF
/// renderer, no compositing, software GL).
pub struct Driver {
    pub url: String,
    proc: Proc,
}

impl Driver {
    pub fn start(options: DriverOptions<'_>) -> Result<Driver> {
        let (port, native_port) = (free_port()?, free_port()?);
        let home = options.home;
        std::fs::create_dir_all(home).with_context(|| format!("creating {}", home.display()))?;
        let proc = Proc::spawn(
            "tauri-driver",
            Command::new(tauri_driver()?)
                .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
                .env("DISPLAY", &options.screen.display.name)
                .env("DBUS_SESSION_BUS_ADDRESS", &options.screen.bus.address)
                .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
                .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
                .env("LIBGL_ALWAYS_SOFTWARE", "1")
                .env("XDG_DATA_HOME", home.join("data"))
                .env("XDG_CACHE_HOME", home.join("cache"))
                .env("XDG_CONFIG_HOME", home.join("config"))
                .env("TALLER_LOG", options.log_level)
                .stdin(Stdio::null())
                .stdout(options.stdout)
                .stderr(options.stderr),
        )?;
        Ok(Driver { url: format!("http://127.0.0.1:{port}"), proc })
    }

    /// tauri-driver's process id (the app is one of its descendants).
    pub fn pid(&self) -> u32 {
        self.proc.pid()
    }

    /// A session whose app is `application` started with `args` (WebKitWebDriver runs it as
    /// `APPLICATION --automation ARGS`), asked for until tauri-driver listens, at most `limit`.
    /// Only `tauri:options` goes in the capabilities.
    pub async fn session(&self, application: &Path, args: &[OsString], limit: Duration) -> Result<fantoccini::Client> {
        // Both rustls providers may be linked in: choose one for the process (once; a second
        // call finds it chosen).
        let _chosen = rustls::crypto::ring::default_provider().install_default();
        let args: Vec<String> = args.iter().map(|arg| arg.to_string_lossy().into_owned()).collect();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("tauri:options".to_owned(), json!({ "application": application, "args": args }));
        let deadline = Instant::now() + limit;
        loop {
            let mut builder = fantoccini::ClientBuilder::rustls().context("a TLS configuration for fantoccini")?;
            match builder.capabilities(capabilities.clone()).connect(&self.url).await {
                Ok(client) => return Ok(client),
                Err(error) if Instant::now() >= deadline => {
                    return Err(anyhow!("{error}"))
                        .context(format!("no WebDriver session from tauri-driver in {limit:?}"))
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }
}
