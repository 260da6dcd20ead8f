//! `cargo xtask setup`: what the project needs on a machine, checked and installed.
//!
//! Everything is in [`CHECKS`]; to need something more (Tauri's Debian packages, the UI's npm
//! packages, tauri-driver, ...), add a row there, with a new [`Install`] kind if needed.

use std::process::Command;

use anyhow::{bail, Result};

use crate::cmd;

/// One thing the project needs: how to tell it is there, and how to install it.
pub struct Check {
    /// What it is, for the report.
    pub what: &'static str,
    /// `Ok(detail)` (where / which version) if present, `Err(why)` if not.
    pub probe: fn() -> Result<String, String>,
    /// How to install it.
    pub install: Install,
}

/// How a missing [`Check`] is installed.
pub enum Install {
    /// Debian packages, with `apt-get install -y` (as root; `apt-get update` runs once first).
    Apt(&'static [&'static str]),
    /// A cargo package, with `cargo install <package> <args>`.
    Cargo {
        /// The crate to install.
        package: &'static str,
        /// Extra arguments for `cargo install`.
        args: &'static [&'static str],
    },
}

/// What the project needs on this machine.
pub const CHECKS: &[Check] = &[
    Check { what: "PostgreSQL server binaries", probe: probe_postgres, install: Install::Apt(&["postgresql"]) },
    Check {
        what: "cargo-nextest",
        probe: probe_nextest,
        install: Install::Cargo { package: "cargo-nextest", args: &["--locked"] },
    },
];

/// Checks everything in [`CHECKS`], one line each, and installs what is missing.
pub fn setup() -> Result<()> {
    let missing: Vec<&Check> = CHECKS.iter().filter(|check| !report(check)).collect();
    if missing.is_empty() {
        return Ok(());
    }

    let apt_packages: Vec<&str> = missing
        .iter()
        .filter_map(|check| match check.install {
            Install::Apt(packages) => Some(packages),
            Install::Cargo { .. } => None,
        })
        .flatten()
        .copied()
        .collect();

    // Cargo installs need no root: do them even if apt's must be left to the user.
    for check in &missing {
        if let Install::Cargo { package, args } = check.install {
            cmd::run(cmd::cargo().arg("install").arg(package).args(args))?;
        }
    }

    if !apt_packages.is_empty() {
        let packages = apt_packages.join(" ");
        if !cmd::is_root()? {
            bail!(
                "missing system packages; install them as root with:\n    \
                 apt-get update && apt-get install -y {packages}"
            );
        }
        cmd::run(Command::new("apt-get").arg("update"))?;
        cmd::run(
            Command::new("apt-get")
                .args(["install", "-y", "--no-install-recommends"])
                .args(&apt_packages)
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )?;
    }

    for check in missing {
        if let Err(why) = (check.probe)() {
            bail!("{} is still missing after installing it: {why}", check.what);
        }
        report(check);
    }
    Ok(())
}

/// Prints one line for `check`; whether it is present.
fn report(check: &Check) -> bool {
    match (check.probe)() {
        Ok(detail) => {
            cmd::note(&format!("ok       {:<28} {detail}", check.what));
            true
        }
        Err(why) => {
            cmd::note(&format!("missing  {:<28} {why}", check.what));
            false
        }
    }
}

fn probe_postgres() -> Result<String, String> {
    let bin_dir = taller_pgcluster::find_bin_dir().map_err(|e| e.to_string())?;
    // The tests also use the client programs that come with the server package.
    for program in ["createdb", "psql"] {
        if !bin_dir.join(program).is_file() {
            return Err(format!("{} has no {program}", bin_dir.display()));
        }
    }
    Ok(bin_dir.display().to_string())
}

fn probe_nextest() -> Result<String, String> {
    let out = cmd::cargo().args(["nextest", "--version"]).output().map_err(|e| format!("could not run cargo: {e}"))?;
    if !out.status.success() {
        return Err("`cargo nextest --version` failed".to_owned());
    }
    let version = String::from_utf8_lossy(&out.stdout);
    Ok(version.lines().next().unwrap_or_default().trim().to_owned())
}
