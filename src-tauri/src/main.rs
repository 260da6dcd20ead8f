// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use clap::Parser;
use std::path::PathBuf;
use taller_desktop::desk::DemoAccount;

/// Taller: the workshop's inventory, offline first.
#[derive(Debug, Parser)]
#[command(name = "taller-desktop", version)]
struct Args {
    /// The workstation's data directory (every user's replica and outbox).
    #[arg(long, env = "TALLER_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// The sync server, for a workstation that has none yet (`http(s)://host:port`).
    #[arg(long, env = "TALLER_SERVER")]
    server: Option<String>,
    /// Offer these demo accounts on the sign-in screen: a JSON file as `taller-server
    /// demo-accounts` prints it (`cargo xtask demo` passes it).
    #[arg(long, value_name = "FILE")]
    demo_accounts: Option<PathBuf>,
    /// Given by WebKitWebDriver when it starts the app for an end-to-end test; nothing to do.
    #[arg(long, hide = true)]
    automation: bool,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("TALLER_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let data_dir = args.data_dir.unwrap_or_else(default_data_dir);
    let demo = match &args.demo_accounts {
        Some(path) => Some(read_demo_accounts(path)?),
        None => None,
    };
    taller_desktop::run(taller_desktop::Options { data_dir, server: args.server, demo })
}

/// `$XDG_DATA_HOME/taller`, else `~/.local/share/taller`.
fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|dir| !dir.is_empty()) {
        return PathBuf::from(dir).join("taller");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".local/share/taller")
}

fn read_demo_accounts(path: &std::path::Path) -> anyhow::Result<Vec<DemoAccount>> {
    use anyhow::Context;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading demo accounts from {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a JSON list of demo accounts", path.display()))
}
