//! Running commands: each is printed before it runs, and a failure names the command.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, ExitStatus};

use anyhow::{bail, Context, Result};

/// The workspace root: the parent of this crate's directory. `cargo run` names that
/// directory at run time; the one the binary was compiled in is only the fallback, because a
/// target directory moved between clones keeps a fresh xtask built in the other clone.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir.parent().map_or_else(|| manifest_dir.clone(), Path::to_path_buf)
}

/// The cargo target directory (`$CARGO_TARGET_DIR`, else `<root>/target`).
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// A `cargo` command, using the cargo that runs us.
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// The command line of `command`, with the environment variables it sets, shell-like.
pub fn display(command: &Command) -> String {
    let envs = command
        .get_envs()
        .filter_map(|(key, value)| value.map(|v| format!("{}={}", key.to_string_lossy(), quote(&v.to_string_lossy()))));
    let program = Path::new(command.get_program());
    // `cargo` from $CARGO is a full path: show just its name.
    let program = if program.file_name() == Some("cargo".as_ref()) {
        "cargo".to_owned()
    } else {
        program.to_string_lossy().into_owned()
    };
    let args = command.get_args().map(|a| quote(&a.to_string_lossy()));
    envs.chain(std::iter::once(program)).chain(args).collect::<Vec<_>>().join(" ")
}

fn quote(s: &str) -> String {
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Prints and runs `command`, failing with an error naming it unless it succeeds.
pub fn run(command: &mut Command) -> Result<()> {
    let status = status(command)?;
    if !status.success() {
        bail!("`{}` failed ({status})", display(command));
    }
    Ok(())
}

/// Prints and runs `command`, returning how it exited.
pub fn status(command: &mut Command) -> Result<ExitStatus> {
    announce(&display(command));
    command.status().with_context(|| format!("could not run `{}`", display(command)))
}

/// Prints what is about to run.
pub fn announce(what: &str) {
    eprintln!("xtask: $ {what}");
}

/// Prints a step's outcome.
pub fn note(what: &str) {
    eprintln!("xtask: {what}");
}

/// The exit code that passes on `status` (128 + signal for a killed process, as shells do).
pub fn exit_code(status: ExitStatus) -> ExitCode {
    use std::os::unix::process::ExitStatusExt as _;
    let code = status.code().or_else(|| status.signal().map(|signal| 128 + signal)).unwrap_or(1);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Whether we run as root (effective uid 0).
pub fn is_root() -> Result<bool> {
    let out = Command::new("id").arg("-u").output().context("could not run `id -u`")?;
    Ok(String::from_utf8_lossy(&out.stdout).trim() == "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_what_needs_it() {
        let mut command = Command::new("cargo");
        command.args(["nextest", "run", "-E", "test(a b)"]).env("X", "1");
        assert_eq!(display(&command), "X=1 cargo nextest run -E 'test(a b)'");
    }

    #[test]
    fn root_is_the_workspace() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(workspace_root().join("xtask").is_dir());
    }
}
