//! One proxied connection: the per-connection faults, the two pumps, and how the sockets are closed.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

use crate::bucket::slice_len;
use crate::{Counters, Dir, Plan, Shared};

/// Size of one read.
const READ_BUF: usize = 16 * 1024;
/// Chunks buffered inside the proxy per direction (what is "in flight" on a delayed link).
const CHANNEL_CHUNKS: usize = 64;
/// `duplicate_request`: the request is what the client sends until it pauses this long...
const DUPLICATE_IDLE: Duration = Duration::from_millis(20);
/// ... or this many bytes.
const DUPLICATE_MAX: usize = 1024 * 1024;
/// The duplicate connection is closed once the server has answered and been quiet this long...
const DUPLICATE_QUIET: Duration = Duration::from_millis(200);
/// ... and in any case after this long.
const DUPLICATE_LIFETIME: Duration = Duration::from_secs(30);
/// How often a stalled link (`bandwidth_bytes_per_sec: Some(0)`) checks whether it has been lifted.
const STALL_POLL: Duration = Duration::from_millis(10);

/// How a connection ended, which decides how its sockets are closed.
#[derive(Debug)]
enum End {
    /// Both directions reached EOF and were half-closed in turn: close normally.
    Closed,
    /// An injected fault or an I/O error: reset both sides.
    Abort,
    /// `cut_response_after_bytes`: the client side got its FIN already; reset the upstream side.
    CutResponse,
    /// `cut_all` or shutdown: reset both sides.
    Cut,
}

/// How one direction ended.
#[derive(Debug)]
enum PumpEnd {
    /// The source reached EOF and the destination was half-closed.
    Eof,
    /// An I/O error on either side.
    Error,
    /// The response was dropped before its first byte was forwarded.
    DroppedResponse,
    /// The response was cut after the configured number of bytes; the client side is half-closed.
    CutResponse,
}

/// What the server → client pump must do to the response.
#[derive(Clone, Copy, Debug)]
struct ResponseFaults {
    drop: bool,
    cut_after: Option<u64>,
}

impl ResponseFaults {
    const NONE: ResponseFaults = ResponseFaults { drop: false, cut_after: None };
}

struct Chunk {
    due: Option<Instant>,
    data: Vec<u8>,
}

/// Serves one accepted connection until it ends; never panics, logs I/O errors at debug level.
pub(crate) async fn serve(client: TcpStream, plan: Plan, shared: Arc<Shared>, mut cut: watch::Receiver<u64>) {
    let index = plan.index;
    if plan.decision.refuse || shared.shutting_down.load(Ordering::SeqCst) {
        if plan.decision.refuse {
            Counters::bump(&shared.counters.refused);
            tracing::debug!(index, "connection refused");
        }
        reset(&client);
        return;
    }
    let _open = OpenGuard::new(&shared.counters.open);
    let mut client = client;
    let mut upstream = None;
    let dup_cut = cut.clone();
    let end = tokio::select! {
        end = proxy(&mut client, &mut upstream, plan, &shared, dup_cut) => end,
        _ = cut.changed() => {
            if !shared.shutting_down.load(Ordering::SeqCst) {
                Counters::bump(&shared.counters.cut);
                tracing::debug!(index, "connection cut");
            }
            End::Cut
        }
    };
    tracing::debug!(index, ?end, "connection ended");
    match end {
        End::Closed => {}
        End::CutResponse => {
            if let Some(upstream) = &upstream {
                reset(upstream);
            }
        }
        End::Abort | End::Cut => {
            reset(&client);
            if let Some(upstream) = &upstream {
                reset(upstream);
            }
        }
    }
}

/// Makes the coming close of `stream` a reset (RST) rather than an orderly FIN.
fn reset(stream: &TcpStream) {
    if let Err(e) = stream.set_zero_linger() {
        tracing::debug!(error = %e, "cannot set SO_LINGER 0");
    }
}

/// Counts a connection as open while alive.
struct OpenGuard<'a>(&'a AtomicU64);

impl<'a> OpenGuard<'a> {
    fn new(counter: &'a AtomicU64) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        OpenGuard(counter)
    }
}

impl Drop for OpenGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn proxy(
    client: &mut TcpStream,
    upstream: &mut Option<TcpStream>,
    plan: Plan,
    shared: &Shared,
    dup_cut: watch::Receiver<u64>,
) -> End {
    let index = plan.index;
    let decision = plan.decision;
    if decision.drop_request {
        let mut buf = vec![0; READ_BUF];
        return match client.read(&mut buf).await {
            // The client left without sending anything: nothing to drop.
            Ok(0) => End::Closed,
            Ok(n) => {
                Counters::bump(&shared.counters.dropped_requests);
                tracing::debug!(index, bytes = n, "request dropped");
                End::Abort
            }
            Err(e) => {
                tracing::debug!(index, error = %e, "client read failed");
                End::Abort
            }
        };
    }

    let up = match TcpStream::connect(shared.upstream).await {
        Ok(stream) => upstream.insert(stream),
        Err(e) => {
            Counters::bump(&shared.counters.upstream_connect_failures);
            tracing::debug!(index, error = %e, upstream = %shared.upstream, "upstream unreachable");
            return End::Abort;
        }
    };
    for stream in [&*client, &*up] {
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(index, error = %e, "cannot set TCP_NODELAY");
        }
    }

    let mut prefix = Vec::new();
    let mut client_eof = false;
    if decision.duplicate_request {
        match read_request(client).await {
            Ok((bytes, eof)) => {
                prefix = bytes;
                client_eof = eof;
            }
            Err(e) => {
                tracing::debug!(index, error = %e, "client read failed");
                return End::Abort;
            }
        }
        if !prefix.is_empty() {
            Counters::bump(&shared.counters.duplicated_requests);
            tracing::debug!(index, bytes = prefix.len(), "request duplicated");
            tokio::spawn(duplicate(shared.upstream, prefix.clone(), dup_cut, index));
        }
    }

    let response_faults = ResponseFaults { drop: decision.drop_response, cut_after: plan.cut_response_after_bytes };
    let (mut client_read, mut client_write) = client.split();
    let (mut up_read, mut up_write) = up.split();
    let to_upstream =
        pump(&mut client_read, &mut up_write, Dir::ToUpstream, prefix, client_eof, ResponseFaults::NONE, shared);
    let to_client = pump(&mut up_read, &mut client_write, Dir::ToClient, Vec::new(), false, response_faults, shared);
    tokio::pin!(to_upstream, to_client);
    let (mut upstream_done, mut client_done) = (false, false);
    while !(upstream_done && client_done) {
        let end = tokio::select! {
            end = &mut to_upstream, if !upstream_done => {
                upstream_done = true;
                end
            }
            end = &mut to_client, if !client_done => {
                client_done = true;
                end
            }
        };
        match end {
            PumpEnd::Eof => {}
            PumpEnd::Error => return End::Abort,
            PumpEnd::DroppedResponse => {
                Counters::bump(&shared.counters.dropped_responses);
                tracing::debug!(index, "response dropped");
                return End::Abort;
            }
            PumpEnd::CutResponse => {
                Counters::bump(&shared.counters.cut_responses);
                tracing::debug!(index, "response cut");
                return End::CutResponse;
            }
        }
    }
    End::Closed
}

/// Reads what the client sends until it pauses for [`DUPLICATE_IDLE`] (after the first bytes), reaches EOF,
/// or [`DUPLICATE_MAX`] bytes. Returns the bytes and whether EOF was reached.
async fn read_request(client: &mut TcpStream) -> io::Result<(Vec<u8>, bool)> {
    let mut buf = vec![0; READ_BUF];
    let mut request = Vec::new();
    let n = client.read(&mut buf).await?;
    if n == 0 {
        return Ok((request, true));
    }
    request.extend_from_slice(&buf[..n]);
    while request.len() < DUPLICATE_MAX {
        let want = buf.len().min(DUPLICATE_MAX - request.len());
        match tokio::time::timeout(DUPLICATE_IDLE, client.read(&mut buf[..want])).await {
            Err(_idle) => break,
            Ok(Ok(0)) => return Ok((request, true)),
            Ok(Ok(n)) => request.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => return Err(e),
        }
    }
    Ok((request, false))
}

/// Sends `request` to the server on a connection of its own and discards the answer.
async fn duplicate(upstream: SocketAddr, request: Vec<u8>, mut cut: watch::Receiver<u64>, index: u64) {
    let work = async {
        let mut stream = TcpStream::connect(upstream).await?;
        stream.set_nodelay(true)?;
        stream.write_all(&request).await?;
        // Not half-closed: some servers drop a request whose connection reads EOF. Read until the server
        // closes, or has answered and then been quiet for a while.
        let mut buf = vec![0; READ_BUF];
        let mut answered = false;
        loop {
            let read = if answered {
                match tokio::time::timeout(DUPLICATE_QUIET, stream.read(&mut buf)).await {
                    Ok(read) => read,
                    Err(_quiet) => break,
                }
            } else {
                stream.read(&mut buf).await
            };
            match read? {
                0 => break,
                _ => answered = true,
            }
        }
        Ok::<_, io::Error>(())
    };
    tokio::select! {
        result = tokio::time::timeout(DUPLICATE_LIFETIME, work) => match result {
            Ok(Ok(())) => tracing::debug!(index, "duplicate request answered"),
            Ok(Err(e)) => tracing::debug!(index, error = %e, "duplicate request failed"),
            Err(_) => tracing::debug!(index, "duplicate request timed out"),
        },
        _ = cut.changed() => tracing::debug!(index, "duplicate request cut"),
    }
}

/// Forwards `reader` to `writer`: first `prefix` (already read), then everything read until EOF (unless
/// `prefix_eof`), then half-closes `writer`. A reader task and a writer task are joined by a bounded channel
/// so that `delay` is a latency, not a pause per chunk.
async fn pump<R, W>(
    reader: &mut R,
    writer: &mut W,
    dir: Dir,
    prefix: Vec<u8>,
    prefix_eof: bool,
    faults: ResponseFaults,
    shared: &Shared,
) -> PumpEnd
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (tx, mut rx) = mpsc::channel::<Chunk>(CHANNEL_CHUNKS);
    let read_side = async move {
        if !prefix.is_empty() && tx.send(Chunk { due: shared.due(), data: prefix }).await.is_err() {
            return std::future::pending().await;
        }
        if !prefix_eof {
            let mut buf = vec![0; READ_BUF];
            loop {
                match reader.read(&mut buf).await {
                    Ok(0) => break,
                    Ok(n) => {
                        let chunk = Chunk { due: shared.due(), data: buf[..n].to_vec() };
                        if tx.send(chunk).await.is_err() {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::debug!(?dir, error = %e, "read failed");
                        return PumpEnd::Error;
                    }
                }
            }
        }
        // EOF: closing the channel lets the write side drain it and half-close.
        drop(tx);
        std::future::pending().await
    };
    let write_side = async move {
        let mut forwarded = 0u64;
        while let Some(chunk) = rx.recv().await {
            if faults.drop {
                return PumpEnd::DroppedResponse;
            }
            if let Some(due) = chunk.due {
                tokio::time::sleep_until(due.into()).await;
            }
            let mut data = &chunk.data[..];
            let mut cut = false;
            if let Some(limit) = faults.cut_after {
                let room = usize::try_from(limit.saturating_sub(forwarded)).unwrap_or(usize::MAX);
                if data.len() >= room {
                    data = &data[..room];
                    cut = true;
                }
            }
            if let Err(e) = write_throttled(writer, data, dir, shared).await {
                tracing::debug!(?dir, error = %e, "write failed");
                return PumpEnd::Error;
            }
            forwarded += data.len() as u64;
            if cut {
                // FIN after exactly `limit` bytes; the caller resets the upstream side.
                if let Err(e) = writer.shutdown().await {
                    tracing::debug!(?dir, error = %e, "shutdown failed");
                }
                return PumpEnd::CutResponse;
            }
        }
        match writer.shutdown().await {
            Ok(()) => PumpEnd::Eof,
            Err(e) => {
                tracing::debug!(?dir, error = %e, "shutdown failed");
                PumpEnd::Error
            }
        }
    };
    tokio::select! {
        end = read_side => end,
        end = write_side => end,
    }
}

/// Writes `data`, honouring the bandwidth limit in force (read again for every piece).
async fn write_throttled<W>(writer: &mut W, data: &[u8], dir: Dir, shared: &Shared) -> io::Result<()>
where
    W: AsyncWrite + Unpin,
{
    let mut rest = data;
    while !rest.is_empty() {
        let n = match shared.bandwidth() {
            None => rest.len(),
            Some(0) => {
                tokio::time::sleep(STALL_POLL).await;
                continue;
            }
            Some(rate) => {
                let n = rest.len().min(slice_len(rate));
                let wait = shared.reserve(dir, n, rate);
                if !wait.is_zero() {
                    Counters::bump(&shared.counters.throttled_chunks);
                    tokio::time::sleep(wait).await;
                }
                n
            }
        };
        writer.write_all(&rest[..n]).await?;
        shared.counters.add_bytes(dir, n);
        rest = &rest[n..];
    }
    Ok(())
}
