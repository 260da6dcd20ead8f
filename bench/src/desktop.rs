//! What the `desktop` scenario needs to drive the real app, beyond what every window test
//! stands on (`taller-webview`: Xvfb, the session bus, tauri-driver, the WebDriver session):
//! the app's process watched from before the session is asked for (the start of a cold
//! start), and the processes below it (for their memory). One WebDriver session at a time.

use anyhow::{anyhow, Context, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};
use taller_webview::fantoccini::Client;
use taller_webview::{Driver, DriverOptions, Screen};

/// The app under tauri-driver, with its WebDriver session.
pub struct App {
    pub session: Client,
    /// The `taller-desktop` process.
    pub pid: u32,
    /// When that process was first seen (polled every millisecond from before the session was
    /// asked for): the start of the cold start.
    pub spawned_at: SystemTime,
    _driver: Driver,
}

/// What starts the app: the screen, the binary, where logs go.
pub struct Launcher {
    pub screen: Screen,
    pub app_bin: PathBuf,
    pub work: PathBuf,
}

impl Launcher {
    /// Starts tauri-driver and a session whose app opens `data_dir` against `server`.
    pub async fn start(&self, label: &str, data_dir: &Path, server: &str) -> Result<App> {
        let log = std::fs::File::create(self.work.join(format!("app-{label}.log")))?;
        let driver = Driver::start(DriverOptions {
            screen: &self.screen,
            home: &self.work.join(format!("home-{label}")),
            log_level: "warn",
            stdout: log.try_clone()?.into(),
            stderr: log.into(),
        })?;
        // Watch for the app's process from before the session is asked for.
        let watcher = {
            let (driver_pid, app_bin) = (driver.pid(), self.app_bin.clone());
            std::thread::spawn(move || watch_for_app(driver_pid, &app_bin, Duration::from_secs(60)))
        };
        let args = [OsString::from("--data-dir"), data_dir.as_os_str().to_owned(), "--server".into(), server.into()];
        let session = driver.session(&self.app_bin, &args, Duration::from_secs(30)).await?;
        let (pid, spawned_at) = tokio::task::spawn_blocking(move || watcher.join())
            .await?
            .map_err(|_| anyhow!("the process watcher panicked"))?
            .context("the app's process was not seen")?;
        Ok(App { session, pid, spawned_at, _driver: driver })
    }
}

impl App {
    /// Ends the session (which closes the app); dropping the driver kills its process group.
    pub async fn close(self) {
        match tokio::time::timeout(Duration::from_secs(10), self.session.clone().close()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => crate::note(&format!("desktop: deleting the WebDriver session: {error}")),
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
