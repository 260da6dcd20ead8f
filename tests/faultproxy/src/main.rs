//! `taller-faultproxy`: the fault proxy as a process, so that anyone can put a faulty link in
//! front of a real server (benchmarks, manual tests). Every fault of the library is here.
//!
//! ```text
//! taller-faultproxy --listen 127.0.0.1:PORT --upstream 127.0.0.1:PORT \
//!     [--refuse] [--drop-request-probability P] [--drop-response-probability P] \
//!     [--duplicate-request-probability P] [--cut-response-after-bytes N] [--seed N] \
//!     [--bandwidth-bytes-per-sec N] [--delay-ms N] [--cut-every-secs N]
//! ```
//!
//! Probabilities are decided per connection from `--seed` (the same seed, the same decisions).
//!
//! Prints `listening on ADDR` on stdout once ready (useful with `--listen 127.0.0.1:0`), logs to stderr
//! (`RUST_LOG`, default `info`), runs until Ctrl-C or SIGTERM, then logs its counters.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use taller_faultproxy::{FaultProxy, Faults};

#[derive(Debug, Parser)]
#[command(
    name = "taller-faultproxy",
    version,
    about = "TCP proxy that injects network faults (refused, dropped, duplicated or cut traffic, latency, slow link, periodic cuts)"
)]
struct Args {
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Server to forward to.
    #[arg(long)]
    upstream: SocketAddr,
    /// Throttle each direction to this many bytes per second, shared by all connections (0 stalls traffic).
    #[arg(long)]
    bandwidth_bytes_per_sec: Option<u64>,
    /// Latency added to every chunk, in each direction.
    #[arg(long)]
    delay_ms: Option<u64>,
    /// Reset every live connection this often.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    cut_every_secs: Option<u64>,
    /// Accept every connection and reset it at once; the upstream never hears of it.
    #[arg(long)]
    refuse: bool,
    /// Probability (0 to 1) that a connection is reset when its request arrives, before the
    /// upstream sees it.
    #[arg(long, value_parser = probability, default_value_t = 0.0)]
    drop_request_probability: f64,
    /// Probability (0 to 1) that the request reaches the upstream but the connection is reset
    /// when the answer starts, so the client hears nothing.
    #[arg(long, value_parser = probability, default_value_t = 0.0)]
    drop_response_probability: f64,
    /// Probability (0 to 1) that the request is also sent on a second upstream connection
    /// (whose answer is discarded).
    #[arg(long, value_parser = probability, default_value_t = 0.0)]
    duplicate_request_probability: f64,
    /// Forward at most this many response bytes per connection, then close it.
    #[arg(long)]
    cut_response_after_bytes: Option<u64>,
    /// Seed of the per-connection decisions.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// A probability given on the command line: a number from 0 to 1.
fn probability(text: &str) -> Result<f64, String> {
    let value: f64 = text.parse().map_err(|_| format!("{text:?} is not a number"))?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is not between 0 and 1"))
    }
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("cannot write to stdout: {0}")]
    Stdout(std::io::Error),
    #[error("cannot wait for a termination signal: {0}")]
    Signal(std::io::Error),
}

#[tokio::main]
async fn main() -> ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("taller-faultproxy: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), CliError> {
    let proxy = FaultProxy::bind(args.listen, args.upstream)
        .await
        .map_err(|source| CliError::Listen { addr: args.listen, source })?;
    proxy.set(Faults {
        refuse: args.refuse,
        drop_request_probability: args.drop_request_probability,
        drop_response_probability: args.drop_response_probability,
        cut_response_after_bytes: args.cut_response_after_bytes,
        delay: args.delay_ms.map(Duration::from_millis),
        duplicate_request_probability: args.duplicate_request_probability,
        bandwidth_bytes_per_sec: args.bandwidth_bytes_per_sec,
        seed: args.seed,
    });
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", proxy.addr()).and_then(|()| stdout.flush()).map_err(CliError::Stdout)?;
    drop(stdout);
    tracing::info!(addr = %proxy.addr(), upstream = %args.upstream, faults = ?proxy.faults(), "fault proxy running");

    let mut cuts = args.cut_every_secs.map(|secs| {
        let period = Duration::from_secs(secs);
        tokio::time::interval_at(tokio::time::Instant::now() + period, period)
    });
    let stop = terminated();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            result = &mut stop => {
                result.map_err(CliError::Signal)?;
                break;
            }
            _ = async {
                match cuts.as_mut() {
                    Some(interval) => interval.tick().await,
                    None => std::future::pending().await,
                }
            } => {
                proxy.cut_all();
                tracing::info!(stats = ?proxy.stats(), "cut all live connections");
            }
        }
    }
    tracing::info!(stats = ?proxy.stats(), "fault proxy stopping");
    proxy.shutdown().await;
    Ok(())
}

/// Completes on Ctrl-C, or on SIGTERM on Unix.
async fn terminated() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
