//! A private PostgreSQL cluster, run from the system's binaries.
//!
//! Taller's sync server keeps its data in PostgreSQL. Rather than asking developers (and CI,
//! and the demo) to set up and share a system-wide server, each user of this crate gets a
//! cluster of its own in a directory of its choosing: created with `initdb` on first use,
//! started with `pg_ctl` on a free port of 127.0.0.1, stopped when done.
//!
//! ```no_run
//! use taller_pgcluster::{Cluster, Options};
//!
//! # fn main() -> Result<(), taller_pgcluster::Error> {
//! let cluster = Cluster::start(std::path::Path::new("/tmp/my-cluster"), &Options::throwaway())?;
//! cluster.create_database("taller")?;
//! let url = cluster.url("taller"); // postgres://postgres@127.0.0.1:PORT/taller
//! # let _ = url;
//! cluster.stop()?;
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//! In the cluster directory: `data/` (the `PGDATA`), `postgres.log` (the server's log) and the
//! server's unix socket (`.s.PGSQL.<port>`, unless the path is too long for a socket).
//! Authentication is `trust` for the `postgres` role, and the server listens on 127.0.0.1 only.
//!
//! # Root
//! PostgreSQL refuses to run as root. When the effective uid is 0, the cluster directory is
//! chowned to the `postgres` user and `initdb`, `pg_ctl` and `createdb` run through
//! `runuser -u postgres --`. If that user cannot reach the requested directory (one of its
//! ancestors, like `/root`, is not traversable), the cluster lives in
//! `/var/tmp/taller-pg-<hash of the requested path>` instead, and the requested directory gets
//! a file `CLUSTER_LOCATION` naming it; [`Cluster::dir`] tells where it is.

mod bin_dir;
mod error;
mod privilege;
mod process;

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use bin_dir::{find_bin_dir, BIN_DIR_ENV};
pub use error::Error;
pub use privilege::LOCATION_FILE;

use process::RunAs;

/// The superuser role created by `initdb`, used in every URL.
pub const SUPERUSER: &str = "postgres";

/// How long to wait for the server to accept connections, and for it to stop.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// How many free ports to try when the chosen one was taken before the server could bind it.
const PORT_ATTEMPTS: usize = 5;

/// The longest unix socket path the kernel takes is 107 bytes; beyond it, no socket.
const MAX_SOCKET_PATH: usize = 100;

/// How many lines of the server's log an error shows.
const LOG_TAIL_LINES: usize = 30;

/// How a cluster is started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The TCP port to listen on, on 127.0.0.1; `None` picks a free one.
    pub port: Option<u16>,
    /// Whether the server makes its writes durable. `false` (`fsync`, `synchronous_commit` and
    /// `full_page_writes` off, `initdb --no-sync`) is much faster and fine for throwaway test
    /// clusters; anything that keeps data (the `serve` command) wants `true`.
    pub fsync: bool,
    /// The server's `max_connections`.
    pub max_connections: u32,
    /// The directory of PostgreSQL's binaries; `None` means [`find_bin_dir`].
    pub bin_dir: Option<PathBuf>,
}

impl Default for Options {
    /// Durable (`fsync: true`), any free port, 200 connections, binaries found by
    /// [`find_bin_dir`].
    fn default() -> Self {
        Options { port: None, fsync: true, max_connections: 200, bin_dir: None }
    }
}

impl Options {
    /// The options for a throwaway test cluster: like [`Options::default`] but `fsync: false`.
    pub fn throwaway() -> Self {
        Options { fsync: false, ..Options::default() }
    }
}

/// A running PostgreSQL cluster. Stopped by [`Cluster::stop`], or (best effort) when dropped.
#[derive(Debug)]
pub struct Cluster {
    bin_dir: PathBuf,
    /// Where the cluster actually lives (the requested directory, or its fallback as root).
    dir: PathBuf,
    run_as: RunAs,
    port: u16,
    /// Whether we started a server that has not been stopped yet.
    running: bool,
}

impl Cluster {
    /// Creates the cluster in `dir` if it holds none (`initdb`: trust authentication, UTF8,
    /// locale `C.UTF-8`, or `C` where that locale is missing), then starts it, listening on
    /// 127.0.0.1 only, and waits (at most 30 s) until it accepts TCP connections.
    ///
    /// Starting again on a directory used before reuses its data; a `postmaster.pid` left by a
    /// killed server is removed. The server logs to `postgres.log` in the cluster directory.
    ///
    /// # Errors
    /// [`Error::BinariesNotFound`] without binaries, [`Error::AlreadyRunning`] if a server
    /// already runs on this directory, [`Error::StartFailed`] (with the tail of the log) if the
    /// server does not come up; [`Error::CommandFailed`], [`Error::Io`] and the like otherwise.
    pub fn start(dir: &Path, options: &Options) -> Result<Cluster, Error> {
        let started = Instant::now();
        let bin_dir = match &options.bin_dir {
            Some(bin_dir) => bin_dir.clone(),
            None => find_bin_dir()?,
        };
        let requested = std::path::absolute(dir).map_err(Error::io("resolve", dir))?;
        std::fs::create_dir_all(&requested).map_err(Error::io("create directory", &requested))?;

        let (dir, run_as) = if privilege::is_root()? {
            (privilege::prepare_dir_for_postgres(&requested)?, RunAs::Postgres)
        } else {
            (requested, RunAs::CurrentUser)
        };

        let mut cluster = Cluster { bin_dir, dir, run_as, port: 0, running: false };
        cluster.init_if_needed(options)?;
        cluster.remove_stale_pid_file()?;
        cluster.launch(options)?;
        // `pg_ctl start -w` waited for the server to be ready: the probe confirms it over TCP.
        cluster.wait_until_accepting(Instant::now() + STARTUP_TIMEOUT)?;
        tracing::info!(
            dir = %cluster.dir.display(),
            port = cluster.port,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "PostgreSQL cluster started"
        );
        Ok(cluster)
    }

    /// The TCP port the server listens on, on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of `database` on this cluster, as the superuser:
    /// `postgres://postgres@127.0.0.1:PORT/DATABASE`.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{}", self.port, percent_encode(database))
    }

    /// Where the cluster actually lives: the directory given to [`Cluster::start`], or, as
    /// root, the fallback under `/var/tmp` named in its `CLUSTER_LOCATION` file.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The directory of the PostgreSQL binaries this cluster runs.
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The server's log file.
    pub fn log_file(&self) -> PathBuf {
        self.dir.join("postgres.log")
    }

    /// Creates the database `name` (with `createdb`, as the `postgres` user when root).
    ///
    /// # Errors
    /// [`Error::InvalidDatabaseName`], or [`Error::CommandFailed`] (e.g. it already exists).
    pub fn create_database(&self, name: &str) -> Result<(), Error> {
        self.createdb(name, None)
    }

    /// Creates the database `name` as a copy of the database `template` (which must have no
    /// other connection open meanwhile): much faster than running migrations again.
    ///
    /// # Errors
    /// As [`Cluster::create_database`].
    pub fn create_database_from_template(&self, name: &str, template: &str) -> Result<(), Error> {
        self.createdb(name, Some(template))
    }

    /// Runs `sql` with `psql` on `database`, stopping at the first error, and returns what it
    /// printed: unaligned, tuples only (`select 1` gives `"1\n"`).
    ///
    /// # Errors
    /// [`Error::CommandFailed`] with psql's message if the SQL fails.
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, Error> {
        let mut command = std::process::Command::new(self.tool("psql"));
        command
            .args(["-X", "-q", "-A", "-t", "-w", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", SUPERUSER])
            .args(["-d", database, "-c", sql])
            .stdin(std::process::Stdio::null());
        process::run_checked(&mut command)
    }

    /// Stops the server (`pg_ctl stop -m fast`: open sessions are disconnected, data is kept).
    ///
    /// # Errors
    /// [`Error::CommandFailed`] if `pg_ctl` could not stop it.
    pub fn stop(mut self) -> Result<(), Error> {
        self.stop_server()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `bin_dir/name`, or plain `name` (found on `PATH`) if the bin dir lacks it.
    fn tool(&self, name: &str) -> PathBuf {
        let path = self.bin_dir.join(name);
        if path.is_file() {
            path
        } else {
            PathBuf::from(name)
        }
    }

    fn createdb(&self, name: &str, template: Option<&str>) -> Result<(), Error> {
        for name in std::iter::once(name).chain(template) {
            if name.is_empty() || name.contains('\0') {
                return Err(Error::InvalidDatabaseName { name: name.to_owned() });
            }
        }
        let mut command = self.run_as.command(&self.tool("createdb"));
        command
            .args(["-w", "-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", SUPERUSER])
            .args(template.map(|t| format!("--template={t}")))
            .arg("--")
            .arg(name);
        process::run_checked(&mut command)?;
        tracing::debug!(database = name, template, "database created");
        Ok(())
    }

    /// Runs `initdb` unless the data directory already holds a cluster.
    fn init_if_needed(&self, options: &Options) -> Result<(), Error> {
        let data = self.data_dir();
        if data.join("PG_VERSION").is_file() {
            return Ok(());
        }
        if data.exists() {
            tracing::warn!(data = %data.display(), "removing a half-created data directory (no PG_VERSION)");
            std::fs::remove_dir_all(&data).map_err(Error::io("remove", &data))?;
        }
        let initdb = |locale: &str| {
            let mut command = self.run_as.command(&self.tool("initdb"));
            command
                .arg("-D")
                .arg(&data)
                .args(["--username", SUPERUSER, "--auth=trust", "--encoding=UTF8"])
                .arg(format!("--locale={locale}"));
            if !options.fsync {
                command.arg("--no-sync");
            }
            process::run_checked(&mut command)
        };
        match initdb("C.UTF-8") {
            Ok(_) => Ok(()),
            Err(first) => {
                tracing::info!(error = %first, "initdb with locale C.UTF-8 failed; trying locale C");
                if data.exists() {
                    std::fs::remove_dir_all(&data).map_err(Error::io("remove", &data))?;
                }
                initdb("C").map(drop)
            }
        }
    }

    /// Removes `postmaster.pid` if `pg_ctl status` says no server runs; fails if one does.
    fn remove_stale_pid_file(&self) -> Result<(), Error> {
        let data = self.data_dir();
        let pid_file = data.join("postmaster.pid");
        if !pid_file.exists() {
            return Ok(());
        }
        let mut command = self.run_as.command(&self.tool("pg_ctl"));
        command.arg("status").arg("-D").arg(&data);
        let out = process::output(&mut command)?;
        let pid = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.lines().next().map(|l| l.trim().to_owned()))
            .unwrap_or_else(|| "?".to_owned());
        // A killed postmaster not yet reaped by init is a zombie: `pg_ctl status` (and the
        // server's own lock-file check) take it for alive.
        let zombie = pid.parse().is_ok_and(is_zombie);
        let running = match out.status.code() {
            Some(0) => !zombie,
            Some(3) => false,
            _ => {
                return Err(Error::CommandFailed {
                    command: process::describe(&command),
                    status: out.status,
                    output: process::printed(&out),
                })
            }
        };
        // The postmaster is gone, but its children may still be exiting: removing the pid file
        // while they live would let a second server loose on the same data.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut lingering = processes_working_in(&data);
        while !running && !lingering.is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
            lingering = processes_working_in(&data);
        }
        if running || !lingering.is_empty() {
            return Err(Error::AlreadyRunning {
                data_dir: data,
                pids: if running { pid } else { format!("{lingering:?}") },
                stop_command: process::describe(&self.pg_ctl_stop_command("fast")),
            });
        }
        tracing::info!(pid_file = %pid_file.display(), "removing a stale postmaster.pid (no server running)");
        std::fs::remove_file(&pid_file).map_err(Error::io("remove", &pid_file))
    }

    /// Starts the server with `pg_ctl start -w`, retrying on another port if a port we picked
    /// was taken meanwhile.
    fn launch(&mut self, options: &Options) -> Result<(), Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.port = match options.port {
                Some(port) => port,
                None => free_port()?,
            };
            let mut command = self.run_as.command(&self.tool("pg_ctl"));
            command
                .arg("start")
                .arg("-D")
                .arg(self.data_dir())
                .arg("-l")
                .arg(self.log_file())
                .args(["-w", "-t", &STARTUP_TIMEOUT.as_secs().to_string()])
                .arg("-o")
                .arg(self.server_options(options));
            let out = process::output(&mut command)?;
            if out.status.success() {
                self.running = true;
                return Ok(());
            }
            // pg_ctl may have given up waiting on a server that is still starting.
            self.stop_quietly();
            let log_tail = self.log_tail();
            let port_taken = log_tail.contains("could not bind") || log_tail.contains("in use");
            if options.port.is_none() && port_taken && attempt < PORT_ATTEMPTS {
                tracing::info!(port = self.port, "port taken meanwhile; trying another");
                continue;
            }
            return Err(self.start_failed(process::printed(&out), log_tail));
        }
    }

    /// The `postgres` options passed through `pg_ctl -o` (which hands them to `/bin/sh`).
    fn server_options(&self, options: &Options) -> String {
        let mut o =
            format!("-c listen_addresses=127.0.0.1 -p {} -c max_connections={}", self.port, options.max_connections);
        let socket = self.dir.join(format!(".s.PGSQL.{}", self.port));
        let socket_dir =
            self.dir.to_str().filter(|d| socket.as_os_str().len() <= MAX_SOCKET_PATH && !d.contains([',', '"', '\'']));
        o.push_str(&format!(" -c unix_socket_directories={}", shell_quote(socket_dir.unwrap_or(""))));
        if !options.fsync {
            o.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        o
    }

    /// Probes the port until a TCP connection succeeds or `deadline` passes.
    fn wait_until_accepting(&mut self, deadline: Instant) -> Result<(), Error> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        loop {
            match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
                Ok(_) => return Ok(()),
                Err(e) if Instant::now() >= deadline => {
                    self.stop_quietly();
                    let reason = format!("not accepting connections on {addr} ({e})");
                    return Err(self.start_failed(reason, self.log_tail()));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    fn start_failed(&self, reason: String, log_tail: String) -> Error {
        Error::StartFailed { data_dir: self.data_dir(), reason, log: self.log_file(), log_tail }
    }

    /// The last lines of the server's log (or why it could not be read).
    fn log_tail(&self) -> String {
        let log = self.log_file();
        match std::fs::read_to_string(&log) {
            Ok(text) => {
                let lines: Vec<&str> = text.lines().collect();
                lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
            }
            Err(e) => format!("(could not read {}: {e})", log.display()),
        }
    }

    fn pg_ctl_stop_command(&self, mode: &str) -> std::process::Command {
        let mut command = self.run_as.command(&self.tool("pg_ctl"));
        command.arg("stop").arg("-D").arg(self.data_dir()).args([
            "-m",
            mode,
            "-w",
            "-t",
            &STARTUP_TIMEOUT.as_secs().to_string(),
        ]);
        command
    }

    fn stop_server(&mut self) -> Result<(), Error> {
        if !self.running {
            return Ok(());
        }
        self.running = false;
        let mut command = self.pg_ctl_stop_command("fast");
        let out = process::output(&mut command)?;
        if out.status.success() {
            tracing::debug!(dir = %self.dir.display(), "PostgreSQL cluster stopped");
            return Ok(());
        }
        if !self.data_dir().join("postmaster.pid").exists() {
            tracing::warn!(dir = %self.dir.display(), "PostgreSQL was no longer running when asked to stop");
            return Ok(());
        }
        Err(Error::CommandFailed {
            command: process::describe(&command),
            status: out.status,
            output: process::printed(&out),
        })
    }

    /// After a failed start: stops whatever may be running, ignoring failures.
    fn stop_quietly(&mut self) {
        self.running = false;
        if self.data_dir().join("postmaster.pid").exists() {
            if let Err(e) = process::output(&mut self.pg_ctl_stop_command("immediate")) {
                tracing::debug!(error = %e, "could not stop a server that failed to start");
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(e) = self.stop_server() {
            tracing::warn!(dir = %self.dir.display(), error = %e, "could not stop PostgreSQL");
        }
    }
}

/// Whether process `pid` is a zombie (dead, waiting to be reaped), from `/proc/<pid>/stat`.
fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            // "pid (comm) state ...": comm may hold spaces and parentheses.
            let (_, after) = stat.rsplit_once(')')?;
            after.split_whitespace().next().map(|state| state == "Z")
        })
        .unwrap_or(false)
}

/// The live processes whose working directory is `dir` (every PostgreSQL server process works
/// in its data directory), from `/proc/*/cwd`; empty where `/proc` is not readable.
fn processes_working_in(dir: &Path) -> Vec<u32> {
    let Ok(dir) = dir.canonicalize() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == dir) && !is_zombie(*pid))
        .collect()
}

/// A port that was free on 127.0.0.1 a moment ago.
fn free_port() -> Result<u16, Error> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|source| Error::NoFreePort { source })
}

/// `s` as one `/bin/sh` word.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Percent-encodes everything but unreserved URL characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_encodes_database_name() {
        let cluster = Cluster {
            bin_dir: PathBuf::new(),
            dir: PathBuf::new(),
            run_as: RunAs::CurrentUser,
            port: 5433,
            running: false,
        };
        assert_eq!(cluster.url("taller"), "postgres://postgres@127.0.0.1:5433/taller");
        assert_eq!(cluster.url("a b/ñ"), "postgres://postgres@127.0.0.1:5433/a%20b%2F%C3%B1");
    }

    #[test]
    fn shell_quote_survives_quotes() {
        assert_eq!(shell_quote("/tmp/x"), "'/tmp/x'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn server_options_disable_socket_for_long_paths() {
        let mut cluster = Cluster {
            bin_dir: PathBuf::new(),
            dir: PathBuf::from("/tmp/c"),
            run_as: RunAs::CurrentUser,
            port: 5433,
            running: false,
        };
        let fast = cluster.server_options(&Options::throwaway());
        assert!(fast.contains("unix_socket_directories='/tmp/c'"), "{fast}");
        assert!(fast.contains("-c fsync=off"), "{fast}");
        assert!(fast.contains("listen_addresses=127.0.0.1 -p 5433"), "{fast}");
        assert!(fast.contains("max_connections=200"), "{fast}");
        let durable = cluster.server_options(&Options::default());
        assert!(!durable.contains("fsync"), "{durable}");

        cluster.dir = PathBuf::from(format!("/tmp/{}", "x".repeat(120)));
        let long = cluster.server_options(&Options::default());
        assert!(long.contains("unix_socket_directories=''"), "{long}");
    }
}
