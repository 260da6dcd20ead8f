//! What `/proc` says about this machine and about processes: CPU time (for the CPU split of a
//! phase between the bench's client code, the `taller-server` process and PostgreSQL) and
//! resident memory.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    pub cores: usize,
    pub memory_mb: u64,
    pub cpu_model: String,
    pub os: String,
    pub kernel: String,
    pub rustc: String,
    pub perf_hardware_counters: bool,
}

impl Machine {
    pub fn describe() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|line| line.starts_with("model name"))
            .and_then(|line| line.split_once(':'))
            .map(|(_, model)| model.trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let cores = cpuinfo.lines().filter(|line| line.starts_with("processor")).count().max(1);
        let memory_mb = meminfo_kb("MemTotal").unwrap_or(0) / 1024;
        let os = std::fs::read_to_string("/etc/os-release")
            .unwrap_or_default()
            .lines()
            .find_map(|line| line.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_owned()))
            .unwrap_or_else(|| std::env::consts::OS.to_owned());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned();
        let rustc = command_line("rustc", &["--version"]).unwrap_or_else(|| "unknown".into());
        let perf_hardware_counters = std::process::Command::new("perf")
            .args(["stat", "-x,", "-e", "instructions", "true"])
            .output()
            .map(|out| {
                let text = String::from_utf8_lossy(&out.stderr);
                out.status.success() && !text.contains("not supported") && !text.contains("not counted")
            })
            .unwrap_or(false);
        Machine { cores, memory_mb, cpu_model, os, kernel, rustc, perf_hardware_counters }
    }
}

fn command_line(program: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new(program).args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn meminfo_kb(key: &str) -> Option<u64> {
    std::fs::read_to_string("/proc/meminfo").ok()?.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim().to_owned()
}

/// Clock ticks per second of `/proc/PID/stat` times.
fn clock_ticks() -> f64 {
    command_line("getconf", &["CLK_TCK"]).and_then(|text| text.parse().ok()).unwrap_or(100.0)
}

/// (ppid, utime + stime, cutime + cstime) of a process, in ticks.
fn stat(pid: u32) -> Option<(u32, u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    Some((u32::try_from(num(1)).unwrap_or(0), num(11) + num(12), num(13) + num(14)))
}

/// A value (in kB) of `/proc/PID/status`, like `VmRSS` or `VmHWM`.
pub fn status_kb(pid: u32, key: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// CPU ticks of PostgreSQL: the postmaster, its children that exited (waited for), and its
/// live children (backends, background workers).
fn postgres_ticks(postmaster: u32) -> u64 {
    let Some((_, own, waited)) = stat(postmaster) else { return 0 };
    let mut total = own + waited;
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<u32>().ok()) else { continue };
            if let Some((ppid, ticks, _)) = stat(pid) {
                if ppid == postmaster {
                    total += ticks;
                }
            }
        }
    }
    total
}

/// Measures the CPU time the bench process, the server process and PostgreSQL spend in a phase.
#[derive(Debug, Clone)]
pub struct CpuMeter {
    server: Option<u32>,
    postmaster: Option<u32>,
    tick: f64,
}

#[derive(Debug, Clone, Copy)]
pub struct CpuMark {
    at: Instant,
    bench: u64,
    server: u64,
    postgres: u64,
}

/// CPU seconds spent during a phase, and its wall-clock length.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CpuSplit {
    pub wall_s: f64,
    pub bench_client_s: f64,
    pub server_s: f64,
    pub postgres_s: f64,
}

impl CpuSplit {
    pub fn describe(&self) -> String {
        format!(
            "wall {:.2} s; CPU: bench/client {:.2} s, taller-server {:.2} s, PostgreSQL {:.2} s",
            self.wall_s, self.bench_client_s, self.server_s, self.postgres_s
        )
    }
}

impl CpuMeter {
    pub fn new(server: Option<u32>, pg_dir: Option<&Path>) -> CpuMeter {
        let postmaster = pg_dir.and_then(postmaster_pid);
        CpuMeter { server, postmaster, tick: clock_ticks() }
    }

    pub fn mark(&self) -> CpuMark {
        CpuMark {
            at: Instant::now(),
            bench: stat(std::process::id()).map(|s| s.1).unwrap_or(0),
            server: self.server.and_then(stat).map(|s| s.1).unwrap_or(0),
            postgres: self.postmaster.map(postgres_ticks).unwrap_or(0),
        }
    }

    pub fn since(&self, start: &CpuMark) -> CpuSplit {
        let end = self.mark();
        let secs = |a: u64, b: u64| b.saturating_sub(a) as f64 / self.tick;
        CpuSplit {
            wall_s: end.at.duration_since(start.at).as_secs_f64(),
            bench_client_s: secs(start.bench, end.bench),
            server_s: secs(start.server, end.server),
            postgres_s: secs(start.postgres, end.postgres),
        }
    }
}

/// The postmaster's pid, from `DIR/data/postmaster.pid` (or `DIR/postmaster.pid`).
fn postmaster_pid(dir: &Path) -> Option<u32> {
    let candidates: [PathBuf; 2] = [dir.join("data").join("postmaster.pid"), dir.join("postmaster.pid")];
    candidates.iter().find_map(|path| std::fs::read_to_string(path).ok()?.lines().next()?.trim().parse().ok())
}
