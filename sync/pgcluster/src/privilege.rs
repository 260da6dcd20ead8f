//! Root handling: PostgreSQL refuses to run as root, so as root the cluster belongs to the
//! `postgres` user and lives where that user can reach it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::process::{self, RunAs};
use crate::Error;

/// The file written in the requested directory when the cluster had to live elsewhere.
pub const LOCATION_FILE: &str = "CLUSTER_LOCATION";

/// Where clusters go whose requested directory the `postgres` user cannot reach.
const FALLBACK_PARENT: &str = "/var/tmp";

/// Whether this process's effective uid is 0, from `/proc/self/status` (or `id -u` where
/// `/proc` is not mounted).
pub(crate) fn is_root() -> Result<bool, Error> {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(uid) = effective_uid_from_status(&status) {
            return Ok(uid == 0);
        }
    }
    let uid = process::run_checked(Command::new("id").arg("-u"))?;
    Ok(uid.trim() == "0")
}

/// The effective uid from the text of `/proc/<pid>/status` (`Uid: real effective saved fs`).
fn effective_uid_from_status(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .and_then(|uid| uid.parse().ok())
}

/// Makes `requested` (absolute, existing) usable by the `postgres` user and returns the
/// directory the cluster will actually live in: `requested` itself, chowned to `postgres`, if
/// that user can reach it; otherwise `/var/tmp/taller-pg-<hash of requested>`, whose path is
/// written to `requested/CLUSTER_LOCATION`.
pub(crate) fn prepare_dir_for_postgres(requested: &Path) -> Result<PathBuf, Error> {
    let user = process::output(Command::new("id").args(["-u", "postgres"]))?;
    if !user.status.success() {
        return Err(Error::NoPostgresUser);
    }

    let dir = if postgres_can_reach(requested)? {
        requested.to_path_buf()
    } else {
        let fallback = fallback_dir(requested);
        std::fs::create_dir_all(&fallback).map_err(Error::io("create directory", &fallback))?;
        let location_file = requested.join(LOCATION_FILE);
        std::fs::write(&location_file, format!("{}\n", fallback.display()))
            .map_err(Error::io("write", &location_file))?;
        tracing::info!(
            requested = %requested.display(),
            actual = %fallback.display(),
            "the postgres user cannot reach the requested directory; the cluster lives in {} \
             (recorded in {})",
            fallback.display(),
            location_file.display(),
        );
        fallback
    };
    process::run_checked(Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir))?;
    Ok(dir)
}

/// Whether the `postgres` user can traverse every ancestor of `dir` (so that, once `dir` is
/// chowned to it, it can use `dir`).
fn postgres_can_reach(dir: &Path) -> Result<bool, Error> {
    let Some(parent) = dir.parent() else {
        return Ok(true);
    };
    let out = process::output(RunAs::Postgres.command(Path::new("test")).arg("-x").arg(parent))?;
    Ok(out.status.success())
}

/// `/var/tmp/taller-pg-<16 hex digits>`, stable for a given requested path.
pub(crate) fn fallback_dir(requested: &Path) -> PathBuf {
    Path::new(FALLBACK_PARENT).join(format!("taller-pg-{:016x}", fnv1a(requested.as_os_str().as_encoded_bytes())))
}

/// 64-bit FNV-1a: tiny, and stable across Rust versions (unlike `DefaultHasher`).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_effective_uid() {
        let status = "Name:\tcat\nUmask:\t0022\nUid:\t1000\t0\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\n";
        assert_eq!(effective_uid_from_status(status), Some(0));
        assert_eq!(effective_uid_from_status("Name:\tcat\n"), None);
    }

    #[test]
    fn fallback_dir_is_stable_and_distinct() {
        let a = fallback_dir(Path::new("/root/project/.taller/demo"));
        let b = fallback_dir(Path::new("/root/project/.taller/other"));
        assert_eq!(a, fallback_dir(Path::new("/root/project/.taller/demo")));
        assert_ne!(a, b);
        assert!(a.starts_with("/var/tmp"));
        let name = a.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        assert!(name.starts_with("taller-pg-") && name.len() == "taller-pg-".len() + 16, "{name}");
        // Known FNV-1a test vector.
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
