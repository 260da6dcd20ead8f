//! `cargo xtask demo`: the sync server with demo data on 127.0.0.1:8080, and the desktop app
//! connected to it, with the demo accounts offered on its sign-in screen.

use std::net::TcpStream;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::{cmd, setup};

/// Where the demo keeps its data (cluster and the app's workstation), relative to the workspace root.
const DATA_DIR: &str = ".taller/demo";

/// Where the demo server listens.
const LISTEN: &str = "127.0.0.1:8080";

pub fn demo() -> Result<ExitCode> {
    setup::setup()?;
    let root = cmd::workspace_root();
    cmd::run(Command::new("npm").args(["run", "build"]).current_dir(root.join("ui")))?;
    cmd::run(cmd::cargo().args(["build", "-p", "taller-server", "-p", "taller-desktop"]).current_dir(&root))?;
    let bin = cmd::target_dir(&root).join("debug");
    let server_command = || {
        let mut command = Command::new(bin.join("taller-server"));
        command.args(["--data-dir", DATA_DIR]).current_dir(&root);
        command
    };
    cmd::run(server_command().arg("demo-data"))?;
    let accounts = root.join(DATA_DIR).join("demo-accounts.json");
    let listed = server_command().arg("demo-accounts").output().context("listing the demo accounts")?;
    if !listed.status.success() {
        bail!("`taller-server demo-accounts` failed");
    }
    std::fs::write(&accounts, &listed.stdout).with_context(|| format!("writing {}", accounts.display()))?;

    cmd::announce(&format!("serving the demo on http://{LISTEN}"));
    let mut server = server_command().args(["serve", "--listen", LISTEN]).spawn().context("starting the server")?;
    let up = wait_for(LISTEN, Duration::from_secs(60));
    let has_display =
        ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()));
    let outcome = if let Err(error) = up {
        Err(error)
    } else if !has_display {
        cmd::note(&format!(
            "no display (DISPLAY and WAYLAND_DISPLAY are unset): the server keeps running; on a machine with a display run\n    {} --server http://{LISTEN} --demo-accounts {}",
            bin.join("taller-desktop").display(),
            accounts.display()
        ));
        server.wait().map(cmd::exit_code).context("waiting for the server")
    } else {
        let app = Command::new(bin.join("taller-desktop"))
            .arg("--data-dir")
            .arg(root.join(DATA_DIR).join("app"))
            .args(["--server", &format!("http://{LISTEN}")])
            .arg("--demo-accounts")
            .arg(&accounts)
            .status()
            .context("starting the desktop app");
        app.map(cmd::exit_code)
    };
    // The app closed (or could not start): the server stops with it, gracefully (SIGTERM), so
    // that it stops its PostgreSQL cluster too.
    if server.try_wait().ok().flatten().is_none() {
        if let Err(error) = Command::new("kill").args(["-TERM", &server.id().to_string()]).status() {
            cmd::note(&format!("could not stop the demo server: {error}"));
        }
        if let Err(error) = server.wait() {
            cmd::note(&format!("waiting for the demo server: {error}"));
        }
    }
    outcome
}

/// Waits until something accepts connections on `address`.
fn wait_for(address: &str, limit: Duration) -> Result<()> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if TcpStream::connect(address).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("the demo server did not listen on {address} within {} s", limit.as_secs())
}
