//! Finding PostgreSQL's server binaries.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::Error;

/// The environment variable that names the directory holding `initdb`, `pg_ctl` and `postgres`.
/// When set (and not empty) it wins over any search.
pub const BIN_DIR_ENV: &str = "TALLER_PG_BIN";

/// Where Debian and Ubuntu install each major version's binaries, as `<root>/<version>/bin`.
const DEBIAN_VERSIONS_ROOT: &str = "/usr/lib/postgresql";

/// The programs a directory must hold to be taken as PostgreSQL's server binaries.
const SERVER_PROGRAMS: [&str; 3] = ["initdb", "pg_ctl", "postgres"];

/// Finds the directory of PostgreSQL's server binaries (`initdb`, `pg_ctl`, `postgres`).
///
/// In order: `$TALLER_PG_BIN` if set (an error if it lacks them); else the highest version
/// under `/usr/lib/postgresql/*/bin` (Debian's layout); else the directory of the `initdb`
/// found on `PATH`, symlinks resolved (so `/usr/local/bin/initdb -> .../15/bin/initdb` gives
/// `.../15/bin`).
///
/// # Errors
/// [`Error::BinariesNotFound`], saying where it looked and what to install.
pub fn find_bin_dir() -> Result<PathBuf, Error> {
    find_bin_dir_in(std::env::var_os(BIN_DIR_ENV), Path::new(DEBIAN_VERSIONS_ROOT), std::env::var_os("PATH"))
}

/// [`find_bin_dir`] with its inputs passed in, for tests.
pub(crate) fn find_bin_dir_in(
    override_dir: Option<OsString>,
    versions_root: &Path,
    path_var: Option<OsString>,
) -> Result<PathBuf, Error> {
    if let Some(dir) = override_dir.filter(|d| !d.is_empty()) {
        let dir = PathBuf::from(dir);
        if has_server_programs(&dir) {
            return Ok(dir);
        }
        return Err(Error::BinariesNotFound {
            searched: format!("{BIN_DIR_ENV}={} (it lacks one of {})", dir.display(), SERVER_PROGRAMS.join(", ")),
        });
    }

    if let Some(dir) = highest_version_dir(versions_root) {
        return Ok(dir);
    }

    if let Some(path_var) = path_var {
        for dir in std::env::split_paths(&path_var) {
            let initdb = dir.join("initdb");
            if !initdb.is_file() {
                continue;
            }
            if let Some(real_dir) = initdb.canonicalize().ok().and_then(|p| p.parent().map(Path::to_path_buf)) {
                if has_server_programs(&real_dir) {
                    return Ok(real_dir);
                }
            }
            if has_server_programs(&dir) {
                return Ok(dir);
            }
        }
    }

    Err(Error::BinariesNotFound {
        searched: format!("${BIN_DIR_ENV} (not set), {}/*/bin, the directories on PATH", versions_root.display()),
    })
}

/// The `bin` directory of the highest version under `root` that holds the server programs.
fn highest_version_dir(root: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(root).ok()?;
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = parse_version(entry.file_name().to_str()?)?;
            let bin = entry.path().join("bin");
            has_server_programs(&bin).then_some((version, bin))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, bin)| bin)
}

/// `"15"` → `[15]`, `"9.6"` → `[9, 6]`; anything else → `None`.
fn parse_version(name: &str) -> Option<Vec<u32>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}

fn has_server_programs(dir: &Path) -> bool {
    SERVER_PROGRAMS.iter().all(|p| dir.join(p).is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_bin(dir: &Path) {
        std::fs::create_dir_all(dir).expect("mkdir");
        for p in SERVER_PROGRAMS {
            std::fs::write(dir.join(p), "").expect("write");
        }
    }

    #[test]
    fn picks_highest_numeric_version() {
        let tmp = tempfile::tempdir().expect("tempdir");
        fake_bin(&tmp.path().join("9.6/bin"));
        fake_bin(&tmp.path().join("15/bin"));
        fake_bin(&tmp.path().join("11/bin"));
        // 16 exists but lacks the programs: skipped.
        std::fs::create_dir_all(tmp.path().join("16/bin")).expect("mkdir");
        let found = find_bin_dir_in(None, tmp.path(), None).expect("found");
        assert_eq!(found, tmp.path().join("15/bin"));
    }

    #[test]
    fn env_override_wins_and_is_checked() {
        let tmp = tempfile::tempdir().expect("tempdir");
        fake_bin(&tmp.path().join("15/bin"));
        let custom = tmp.path().join("custom");
        fake_bin(&custom);
        let found = find_bin_dir_in(Some(custom.clone().into()), tmp.path(), None).expect("found");
        assert_eq!(found, custom);

        let empty = tmp.path().join("empty");
        std::fs::create_dir_all(&empty).expect("mkdir");
        let err = find_bin_dir_in(Some(empty.into()), tmp.path(), None).expect_err("must fail");
        assert!(matches!(err, Error::BinariesNotFound { .. }), "{err}");
        assert!(err.to_string().contains(BIN_DIR_ENV), "{err}");
    }

    #[test]
    fn falls_back_to_path_resolving_symlinks() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let real = tmp.path().join("real/bin");
        fake_bin(&real);
        let on_path = tmp.path().join("local/bin");
        std::fs::create_dir_all(&on_path).expect("mkdir");
        std::os::unix::fs::symlink(real.join("initdb"), on_path.join("initdb")).expect("symlink");
        let path_var = std::env::join_paths([tmp.path().join("nowhere"), on_path]).expect("join");
        let found = find_bin_dir_in(None, &tmp.path().join("no-debian"), Some(path_var)).expect("found");
        assert_eq!(found, real.canonicalize().expect("canonicalize"));
    }

    #[test]
    fn not_found_says_what_to_install() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let err = find_bin_dir_in(None, tmp.path(), Some(OsString::new())).expect_err("must fail");
        let message = err.to_string();
        assert!(message.contains("apt-get install -y postgresql"), "{message}");
    }
}
