//! The one error type of this crate.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

/// Everything that can go wrong while finding, creating, starting or stopping a cluster.
///
/// Every message names the path or the command involved, and says what to do where there is
/// something obvious to do, so that it can be shown to a developer as it is.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No directory with PostgreSQL's server binaries (`initdb`, `pg_ctl`, `postgres`) was
    /// found: not in `$TALLER_PG_BIN`, not under `/usr/lib/postgresql/*/bin`, not on `PATH`.
    #[error(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; looked in: {searched}. \
         Install them (Debian/Ubuntu, as root: `apt-get update && apt-get install -y postgresql`; \
         or run `cargo xtask setup`), or set TALLER_PG_BIN to the directory that holds them"
    )]
    BinariesNotFound {
        /// Where we looked, in the order we looked.
        searched: String,
    },

    /// Running as root, but there is no `postgres` user to run the server as (PostgreSQL
    /// refuses to run as root).
    #[error(
        "running as root, but there is no `postgres` user to run PostgreSQL as (it refuses to run \
         as root); installing the `postgresql` package creates it, or `adduser --system --group postgres`"
    )]
    NoPostgresUser,

    /// A file system operation failed.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// What we were doing, e.g. "create directory".
        action: &'static str,
        /// The path it was done on.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// A helper program (`initdb`, `pg_ctl`, `runuser`, ...) could not be launched at all.
    #[error("could not run `{program}`: {source}")]
    Spawn {
        /// The program we tried to launch.
        program: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// A helper program ran but exited unsuccessfully.
    #[error("`{command}` failed ({status}):\n{output}")]
    CommandFailed {
        /// The full command line.
        command: String,
        /// How it exited.
        status: ExitStatus,
        /// What it printed (stderr, then stdout), trimmed.
        output: String,
    },

    /// A server is already running on this data directory: another process is using the
    /// cluster, or a previous one was killed without stopping it.
    #[error(
        "a PostgreSQL server (pid {pids}) is already running on {data_dir}: another process uses \
         this cluster, or a previous run was killed without stopping it. Stop it with `{stop_command}`"
    )]
    AlreadyRunning {
        /// The data directory (`PGDATA`).
        data_dir: PathBuf,
        /// The postmaster's pid as written in `postmaster.pid` or, if it is gone, the server
        /// processes still working in the data directory.
        pids: String,
        /// The command line that stops it.
        stop_command: String,
    },

    /// No free TCP port could be found on 127.0.0.1.
    #[error("could not find a free TCP port on 127.0.0.1: {source}")]
    NoFreePort {
        /// The underlying error.
        #[source]
        source: io::Error,
    },

    /// The server did not start, or did not accept connections in time.
    #[error("PostgreSQL on {data_dir} did not start: {reason}\n--- last lines of {log} ---\n{log_tail}")]
    StartFailed {
        /// The data directory (`PGDATA`).
        data_dir: PathBuf,
        /// What went wrong, in a few words (usually what `pg_ctl` printed).
        reason: String,
        /// The server's log file.
        log: PathBuf,
        /// Its last lines, which usually say why.
        log_tail: String,
    },

    /// A database name that `createdb` cannot take (empty, or containing a NUL byte).
    #[error("invalid database name {name:?}")]
    InvalidDatabaseName {
        /// The rejected name.
        name: String,
    },
}

impl Error {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { action, path, source }
    }
}
