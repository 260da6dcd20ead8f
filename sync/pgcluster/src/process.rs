//! Running PostgreSQL's programs, directly or as the `postgres` user.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::Error;

/// How the server-side programs (`initdb`, `pg_ctl`, `createdb`) are run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RunAs {
    /// As the current user (not root).
    CurrentUser,
    /// Through `runuser -u postgres --`, because we are root and PostgreSQL refuses root.
    Postgres,
}

impl RunAs {
    /// A command for `program`, wrapped in `runuser` when needed, with stdin closed and the
    /// working directory at `/` (the caller's may not be readable by `postgres`).
    pub(crate) fn command(self, program: &Path) -> Command {
        let mut command = match self {
            RunAs::CurrentUser => Command::new(program),
            RunAs::Postgres => {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(program);
                c
            }
        };
        command.current_dir("/").stdin(Stdio::null());
        command
    }
}

/// The command line of `command`, for messages.
pub(crate) fn describe(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|part| {
            let part = part.to_string_lossy();
            if part.is_empty() || part.contains(char::is_whitespace) {
                format!("'{part}'")
            } else {
                part.into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `command` to completion, capturing its output.
pub(crate) fn output(command: &mut Command) -> Result<Output, Error> {
    tracing::debug!(command = %describe(command), "running");
    command
        .output()
        .map_err(|source| Error::Spawn { program: command.get_program().to_string_lossy().into_owned(), source })
}

/// Runs `command`, failing with [`Error::CommandFailed`] (including what it printed) unless it
/// exits successfully. Returns its stdout.
pub(crate) fn run_checked(command: &mut Command) -> Result<String, Error> {
    let out = output(command)?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(Error::CommandFailed { command: describe(command), status: out.status, output: printed(&out) })
    }
}

/// What a finished command printed: stderr, then stdout, trimmed.
pub(crate) fn printed(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    [stderr.trim(), stdout.trim()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join("\n")
}
