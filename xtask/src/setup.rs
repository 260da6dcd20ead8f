//! `cargo xtask setup`: what the project needs on a machine, checked and installed.
//!
//! Everything is in [`CHECKS`]; to need something more (Tauri's Debian packages, the UI's npm
//! packages, tauri-driver, ...), add a row there, with a new [`Install`] kind if needed.

use std::path::Path;
use std::process::Command;
use std::time::SystemTime;

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
    /// Nothing this machine's package manager has in a usable version: the person is told what to install.
    Manual(&'static str),
    /// The npm packages of a folder of the workspace, with `npm ci` (exact versions from its lockfile).
    NpmCi(&'static str),
}

/// What the project needs on this machine.
pub const CHECKS: &[Check] = &[
    Check { what: "PostgreSQL server binaries", probe: probe_postgres, install: Install::Apt(&["postgresql"]) },
    Check {
        what: "cargo-nextest",
        probe: probe_nextest,
        install: Install::Cargo { package: "cargo-nextest", args: &["--locked"] },
    },
    Check {
        what: "Node.js and npm",
        probe: probe_node,
        install: Install::Manual(
            "Node.js 20.19 or newer (22 LTS is fine) with its npm, on the PATH as `node` and `npm`; \
             Debian 12's own `nodejs` package is 18, too old for the UI's Vite",
        ),
    },
    Check { what: "UI npm packages (ui/)", probe: probe_ui_packages, install: Install::NpmCi("ui") },
    Check {
        what: "Tauri's system libraries",
        probe: || probe_debian_packages(TAURI_PACKAGES),
        install: Install::Apt(TAURI_PACKAGES),
    },
    Check {
        what: "end-to-end test tools",
        probe: probe_e2e_tools,
        install: Install::Apt(&["webkit2gtk-driver", "xvfb", "dbus", "dbus-x11", "xauth"]),
    },
    Check {
        what: "Debian packaging tools (xtask bundle)",
        probe: || probe_debian_packages(PACKAGING_PACKAGES),
        install: Install::Apt(PACKAGING_PACKAGES),
    },
    Check {
        what: "tauri-driver",
        probe: || which("tauri-driver").map_or_else(|| probe_in_cargo_bin("tauri-driver"), Ok),
        install: Install::Cargo { package: "tauri-driver", args: &["--locked"] },
    },
];

/// What Tauri 2 needs to build and run on Debian/Ubuntu (its WebKitGTK web view and friends).
const TAURI_PACKAGES: &[&str] =
    &["libwebkit2gtk-4.1-dev", "librsvg2-dev", "libayatana-appindicator3-dev", "libxdo-dev", "libssl-dev"];

/// `dpkg-deb`, `dpkg-shlibdeps` and `strip`, for `cargo xtask bundle` and its test.
const PACKAGING_PACKAGES: &[&str] = &["dpkg-dev", "binutils"];

/// The oldest Node.js the UI's tools run on (Vite 8 and Vitest 4 need 20.19).
const NODE_MINIMUM: (u32, u32) = (20, 19);

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
            Install::Cargo { .. } | Install::Manual(_) | Install::NpmCi(_) => None,
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

    let manual: Vec<String> = missing
        .iter()
        .filter_map(|check| match check.install {
            Install::Manual(what) => Some(format!("{}: install {what}", check.what)),
            _ => None,
        })
        .collect();
    if !manual.is_empty() {
        bail!("missing, and not installable from here:\n    {}", manual.join("\n    "));
    }

    // After the system packages: npm comes with Node.js.
    for check in &missing {
        if let Install::NpmCi(dir) = check.install {
            cmd::run(Command::new("npm").arg("ci").current_dir(cmd::workspace_root().join(dir)))?;
        }
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

/// Every package of `packages` installed (`dpkg-query`).
fn probe_debian_packages(packages: &[&str]) -> Result<String, String> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|package| {
            Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", package])
                .output()
                .map(|out| !String::from_utf8_lossy(&out.stdout).contains("install ok installed"))
                .unwrap_or(true)
        })
        .collect();
    if missing.is_empty() {
        Ok(packages.join(" "))
    } else {
        Err(format!("not installed: {}", missing.join(" ")))
    }
}

/// WebKitWebDriver (which tauri-driver drives), Xvfb (the tests' display) and a session bus.
fn probe_e2e_tools() -> Result<String, String> {
    let mut found = Vec::new();
    for program in ["WebKitWebDriver", "Xvfb", "dbus-daemon"] {
        let path = which(program).ok_or_else(|| format!("{program} is not on the PATH"))?;
        found.push(path);
    }
    Ok(found.join(", "))
}

fn which(program: &str) -> Option<String> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .map(|p| p.display().to_string())
}

/// A program `cargo install` put in `$CARGO_HOME/bin` (or `~/.cargo/bin`), not on the PATH.
fn probe_in_cargo_bin(program: &str) -> Result<String, String> {
    let path = cargo_bin_dir().join(program);
    if path.is_file() {
        Ok(path.display().to_string())
    } else {
        Err(format!("{program} is not installed"))
    }
}

/// Where `cargo install` puts programs.
pub fn cargo_bin_dir() -> std::path::PathBuf {
    match std::env::var_os("CARGO_HOME") {
        Some(home) => std::path::PathBuf::from(home).join("bin"),
        None => std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo/bin"),
    }
}

fn probe_nextest() -> Result<String, String> {
    let out = cmd::cargo().args(["nextest", "--version"]).output().map_err(|e| format!("could not run cargo: {e}"))?;
    if !out.status.success() {
        return Err("`cargo nextest --version` failed".to_owned());
    }
    let version = String::from_utf8_lossy(&out.stdout);
    Ok(version.lines().next().unwrap_or_default().trim().to_owned())
}

fn probe_node() -> Result<String, String> {
    let node = version_of("node")?;
    let (major, minor) = parse_node_version(&node).ok_or_else(|| format!("`node --version` said {node:?}"))?;
    if (major, minor) < NODE_MINIMUM {
        return Err(format!("node {node} is too old (need {}.{} or newer)", NODE_MINIMUM.0, NODE_MINIMUM.1));
    }
    let npm = version_of("npm")?;
    Ok(format!("node {node}, npm {npm}"))
}

fn version_of(program: &str) -> Result<String, String> {
    let out = Command::new(program).arg("--version").output().map_err(|e| format!("could not run `{program}`: {e}"))?;
    if !out.status.success() {
        return Err(format!("`{program} --version` failed"));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `v20.19.2` → (20, 19).
fn parse_node_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim().trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

fn probe_ui_packages() -> Result<String, String> {
    let ui = cmd::workspace_root().join("ui");
    let lock = modified(&ui.join("package-lock.json")).ok_or("ui/package-lock.json is missing")?;
    // npm writes node_modules/.package-lock.json when an install completes, so an install that
    // was interrupted counts as missing.
    let installed = modified(&ui.join("node_modules").join(".package-lock.json"));
    if npm_ci_needed(lock, installed) {
        return Err(match installed {
            None => "ui/node_modules is missing".to_owned(),
            Some(_) => "ui/node_modules is older than ui/package-lock.json".to_owned(),
        });
    }
    Ok("ui/node_modules matches ui/package-lock.json".to_owned())
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|metadata| metadata.modified()).ok()
}

/// Whether `npm ci` must run: nothing installed, or installed before the lockfile last changed.
fn npm_ci_needed(lock: SystemTime, installed: Option<SystemTime>) -> bool {
    installed.is_none_or(|installed| installed < lock)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn node_versions_are_read_from_node_s_output() {
        assert_eq!(parse_node_version("v20.20.2\n"), Some((20, 20)));
        assert_eq!(parse_node_version("v22.12.0"), Some((22, 12)));
        assert_eq!(parse_node_version("18"), None);
        assert_eq!(parse_node_version("nope"), None);
        assert!(parse_node_version("v18.19.0").is_some_and(|v| v < NODE_MINIMUM));
        assert!(parse_node_version("v20.18.3").is_some_and(|v| v < NODE_MINIMUM));
        assert!(parse_node_version("v20.19.0").is_some_and(|v| v >= NODE_MINIMUM));
    }

    #[test]
    fn npm_ci_runs_when_the_packages_are_missing_or_older_than_the_lockfile() {
        let lock = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        assert!(npm_ci_needed(lock, None), "nothing installed");
        assert!(npm_ci_needed(lock, Some(lock - Duration::from_secs(1))), "installed before the lockfile changed");
        assert!(!npm_ci_needed(lock, Some(lock)), "installed from this lockfile");
        assert!(!npm_ci_needed(lock, Some(lock + Duration::from_secs(60))), "installed after");
    }
}
