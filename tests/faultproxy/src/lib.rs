//! # taller-faultproxy
//!
//! A small TCP proxy that sits between a client (a Taller replica, an HTTP client) and a server on
//! loopback and injects network faults. Tests drive it through the library API; benchmarks run the
//! `taller-faultproxy` binary for a slow-link scenario.
//!
//! The proxy knows nothing about HTTP: it forwards bytes. Its faults are chosen to cover what an HTTP
//! client can meet on an unreliable network:
//!
//! | fault                          | what the client sees                       | what the server sees          |
//! |--------------------------------|--------------------------------------------|-------------------------------|
//! | [`Faults::refuse`]             | connection reset right after connecting    | nothing                       |
//! | `drop_request_probability`     | reset after sending its request            | nothing                       |
//! | `drop_response_probability`    | reset, no response byte                    | the request (it commits)      |
//! | `cut_response_after_bytes`     | exactly N response bytes, then EOF         | the request, then a reset     |
//! | `duplicate_request_probability`| its one answer                             | the request twice             |
//! | `delay`                        | added latency each way                     | added latency                 |
//! | `bandwidth_bytes_per_sec`      | a slow link (`Some(0)`: a black hole)      | a slow link                   |
//! | [`FaultProxy::cut_all`]        | its live connections reset                 | its live connections reset    |
//!
//! ```no_run
//! # async fn example(server: std::net::SocketAddr) -> std::io::Result<()> {
//! use taller_faultproxy::{FaultProxy, Faults};
//!
//! let proxy = FaultProxy::start(server).await?;
//! // Point the client at proxy.addr() instead of the server, then misbehave at will:
//! proxy.set(Faults { drop_response_probability: 0.3, seed: 42, ..Faults::default() });
//! // ... run the client ...
//! assert!(proxy.stats().dropped_responses > 0);
//! proxy.cut_all();
//! proxy.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! ## Semantics
//!
//! * Per-connection decisions are drawn when a connection is accepted, deterministically from
//!   [`Faults::seed`] and the connection's index since the last [`FaultProxy::set`] (see
//!   [`Faults::decide`]). Setting the same faults again replays the same sequence of decisions.
//! * `delay` and `bandwidth_bytes_per_sec` are read for every chunk, so they also change live connections.
//! * Abrupt closes are resets (RST, `SO_LINGER` 0) so clients see "connection reset", except the end of
//!   `cut_response_after_bytes`, which is a FIN so the client reads exactly N bytes and then EOF.
//! * Connections end quietly when either side closes or fails; I/O errors never panic, they are logged at
//!   `debug` level with `tracing`.
//! * Dropping the [`FaultProxy`] stops accepting and resets every live connection; [`FaultProxy::shutdown`]
//!   does the same and waits for the connection tasks to finish.

mod bucket;
mod conn;
mod faults;

pub use faults::{Decision, Faults};

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use bucket::Bucket;

/// A running fault-injecting proxy. It stops (and resets its live connections) when dropped.
///
/// Must be created inside a Tokio runtime; it spawns one task to accept and one per connection.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_task: JoinHandle<()>,
}

/// Counters since the proxy started. Byte counts are bytes written to the other side by the proxy (the copy
/// sent by `duplicate_request` is not counted); fault counts are the faults actually injected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// TCP connections accepted from clients, including the refused ones.
    pub accepted: u64,
    /// Connections reset at once because of [`Faults::refuse`].
    pub refused: u64,
    /// Live connections reset by [`FaultProxy::cut_all`] (counted as each connection task notices, within
    /// microseconds of the call).
    pub cut: u64,
    /// Connections being served right now.
    pub open: u64,
    /// Connections reset because the upstream could not be reached.
    pub upstream_connect_failures: u64,
    /// Bytes forwarded client → server.
    pub bytes_to_upstream: u64,
    /// Bytes forwarded server → client.
    pub bytes_to_client: u64,
    /// Requests dropped before reaching the server (`drop_request_probability`).
    pub dropped_requests: u64,
    /// Responses dropped after the server answered (`drop_response_probability`).
    pub dropped_responses: u64,
    /// Responses cut after `cut_response_after_bytes` bytes.
    pub cut_responses: u64,
    /// Requests sent a second time on another upstream connection (`duplicate_request_probability`).
    pub duplicated_requests: u64,
    /// Chunks that were given `delay`.
    pub delayed_chunks: u64,
    /// Pieces that had to wait for the bandwidth limit.
    pub throttled_chunks: u64,
}

impl FaultProxy {
    /// Starts a transparent proxy listening on `127.0.0.1` (a free port) and forwarding to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<FaultProxy> {
        FaultProxy::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), upstream).await
    }

    /// Starts a transparent proxy listening on `listen` and forwarding to `upstream`.
    pub async fn bind(listen: SocketAddr, upstream: SocketAddr) -> std::io::Result<FaultProxy> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let (cut, _) = watch::channel(0u64);
        let shared = Arc::new(Shared {
            upstream,
            state: Mutex::new(State { faults: Faults::default(), next_index: 0 }),
            counters: Counters::default(),
            cut,
            shutting_down: AtomicBool::new(false),
            to_upstream_bucket: Mutex::new(Bucket::default()),
            to_client_bucket: Mutex::new(Bucket::default()),
        });
        let accept_task = tokio::spawn(accept_loop(listener, Arc::clone(&shared)));
        tracing::debug!(%addr, %upstream, "fault proxy listening");
        Ok(FaultProxy { addr, shared, accept_task })
    }

    /// The address clients should connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server the proxy forwards to.
    pub fn upstream(&self) -> SocketAddr {
        self.shared.upstream
    }

    /// Replaces the faults and restarts the connection index at 0, so the next connections get the decisions
    /// `faults.decide(0)`, `faults.decide(1)`, ... Per-connection faults apply to connections accepted from now
    /// on; `delay` and `bandwidth_bytes_per_sec` also apply at once to live connections.
    pub fn set(&self, faults: Faults) {
        tracing::debug!(?faults, "faults set");
        let mut state = self.shared.state();
        state.faults = faults;
        state.next_index = 0;
    }

    /// The faults in force.
    pub fn faults(&self) -> Faults {
        self.shared.state().faults.clone()
    }

    /// Resets every live connection now, on both sides (the client's and the server's). Connections accepted
    /// afterwards are served normally.
    pub fn cut_all(&self) {
        tracing::debug!("cutting all live connections");
        self.shared.cut.send_modify(|generation| *generation = generation.wrapping_add(1));
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.shared.counters.snapshot()
    }

    /// Stops accepting, resets every live connection and waits (at most 2 s) for their tasks to finish.
    pub async fn shutdown(mut self) {
        self.accept_task.abort();
        // The accept task ends as cancelled; nothing to report.
        if let Err(e) = (&mut self.accept_task).await {
            tracing::trace!(error = %e, "accept task ended");
        }
        self.stop_connections();
        if tokio::time::timeout(Duration::from_secs(2), self.shared.cut.closed()).await.is_err() {
            tracing::debug!("some connection tasks still running after shutdown");
        }
    }

    fn stop_connections(&self) {
        self.shared.shutting_down.store(true, Ordering::SeqCst);
        self.shared.cut.send_modify(|generation| *generation = generation.wrapping_add(1));
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept_task.abort();
        self.stop_connections();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let plan = shared.next_plan();
                shared.counters.accepted.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%peer, index = plan.index, decision = ?plan.decision, "connection accepted");
                let cut = shared.cut.subscribe();
                tokio::spawn(conn::serve(stream, plan, Arc::clone(&shared), cut));
            }
            Err(e) => {
                // Typically out of file descriptors: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// What was fixed for one connection when it was accepted.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    pub(crate) index: u64,
    pub(crate) decision: Decision,
    pub(crate) cut_response_after_bytes: Option<u64>,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) upstream: SocketAddr,
    state: Mutex<State>,
    pub(crate) counters: Counters,
    /// Generation counter bumped by `cut_all` and on shutdown; every connection task watches it.
    pub(crate) cut: watch::Sender<u64>,
    pub(crate) shutting_down: AtomicBool,
    to_upstream_bucket: Mutex<Bucket>,
    to_client_bucket: Mutex<Bucket>,
}

#[derive(Debug)]
struct State {
    faults: Faults,
    next_index: u64,
}

/// Direction of a byte stream through the proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dir {
    ToUpstream,
    ToClient,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // The state is always consistent (plain assignments), so a poisoned lock is still usable.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn next_plan(&self) -> Plan {
        let mut state = self.state();
        let index = state.next_index;
        state.next_index += 1;
        Plan {
            index,
            decision: state.faults.decide(index),
            cut_response_after_bytes: state.faults.cut_response_after_bytes,
        }
    }

    /// When a chunk read now may be written, if a delay is in force.
    pub(crate) fn due(&self) -> Option<Instant> {
        let delay = self.state().faults.delay.filter(|d| !d.is_zero())?;
        self.counters.delayed_chunks.fetch_add(1, Ordering::Relaxed);
        Some(Instant::now() + delay)
    }

    pub(crate) fn bandwidth(&self) -> Option<u64> {
        self.state().faults.bandwidth_bytes_per_sec
    }

    /// Reserves `n` bytes of the direction's bucket; returns how long to wait before writing them.
    pub(crate) fn reserve(&self, dir: Dir, n: usize, bytes_per_sec: u64) -> Duration {
        let bucket = match dir {
            Dir::ToUpstream => &self.to_upstream_bucket,
            Dir::ToClient => &self.to_client_bucket,
        };
        let mut bucket = bucket.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        bucket.reserve(n, bytes_per_sec, Instant::now())
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) accepted: AtomicU64,
    pub(crate) refused: AtomicU64,
    pub(crate) cut: AtomicU64,
    pub(crate) open: AtomicU64,
    pub(crate) upstream_connect_failures: AtomicU64,
    pub(crate) bytes_to_upstream: AtomicU64,
    pub(crate) bytes_to_client: AtomicU64,
    pub(crate) dropped_requests: AtomicU64,
    pub(crate) dropped_responses: AtomicU64,
    pub(crate) cut_responses: AtomicU64,
    pub(crate) duplicated_requests: AtomicU64,
    pub(crate) delayed_chunks: AtomicU64,
    pub(crate) throttled_chunks: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn add_bytes(&self, dir: Dir, n: usize) {
        let counter = match dir {
            Dir::ToUpstream => &self.bytes_to_upstream,
            Dir::ToClient => &self.bytes_to_client,
        };
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }

    fn snapshot(&self) -> Stats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            accepted: get(&self.accepted),
            refused: get(&self.refused),
            cut: get(&self.cut),
            open: get(&self.open),
            upstream_connect_failures: get(&self.upstream_connect_failures),
            bytes_to_upstream: get(&self.bytes_to_upstream),
            bytes_to_client: get(&self.bytes_to_client),
            dropped_requests: get(&self.dropped_requests),
            dropped_responses: get(&self.dropped_responses),
            cut_responses: get(&self.cut_responses),
            duplicated_requests: get(&self.duplicated_requests),
            delayed_chunks: get(&self.delayed_chunks),
            throttled_chunks: get(&self.throttled_chunks),
        }
    }
}
