//! `cargo xtask demo`: the sync server with demo data, on 127.0.0.1:8080.

use std::process::{Command, ExitCode};

use anyhow::Result;

use crate::{cmd, setup};

/// Where the demo keeps its data (cluster included), relative to the workspace root.
const DATA_DIR: &str = ".taller/demo";

/// Where the demo server listens.
const LISTEN: &str = "127.0.0.1:8080";

pub fn demo() -> Result<ExitCode> {
    setup::setup()?;
    let root = cmd::workspace_root();
    cmd::run(cmd::cargo().args(["build", "-p", "taller-server"]).current_dir(&root))?;
    let server = cmd::target_dir(&root).join("debug").join("taller-server");
    let server_command = || {
        let mut command = Command::new(&server);
        command.args(["--data-dir", DATA_DIR]).current_dir(&root);
        command
    };
    cmd::run(server_command().arg("demo-data"))?;
    let status = cmd::status(server_command().args(["serve", "--listen", LISTEN]))?;
    Ok(cmd::exit_code(status))
}
