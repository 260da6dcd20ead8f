//! Test upstreams and client helpers.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Any one client operation taking longer than this is a failure, not a hang.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub const REQUEST: &[u8] = b"POST /sync/push HTTP/1.1\r\nHost: taller\r\nContent-Length: 0\r\n\r\n";

/// What the test upstream does with each connection.
#[derive(Clone, Copy, Debug)]
pub enum Mode {
    /// Reads one request (up to the blank line), counts it, answers with [`http_response`] of `body_len`
    /// bytes, half-closes, and waits for the client to close.
    Http { body_len: usize },
    /// Echoes everything until EOF, then half-closes.
    Echo,
    /// Reads one request, counts it, never answers; counts the connection as closed when the proxy closes it.
    Hold,
}

/// A tiny server on 127.0.0.1 that counts what it sees.
pub struct Upstream {
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    requests: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Upstream {
    pub async fn start(mode: Mode) -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind upstream");
        let addr = listener.local_addr().expect("upstream addr");
        let connections = Arc::new(AtomicUsize::new(0));
        let requests = Arc::new(AtomicUsize::new(0));
        let closed = Arc::new(AtomicUsize::new(0));
        let (c, r, d) = (connections.clone(), requests.clone(), closed.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                let (r, d) = (r.clone(), d.clone());
                tokio::spawn(async move {
                    // Errors (resets by the proxy) just end the connection.
                    let _ignored: io::Result<()> = serve(stream, mode, &r).await;
                    d.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        Upstream { addr, connections, requests, closed, task }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Connections whose handling has ended (EOF or error seen by the server).
    pub fn closed(&self) -> usize {
        self.closed.load(Ordering::SeqCst)
    }
}

async fn serve(mut stream: TcpStream, mode: Mode, requests: &AtomicUsize) -> io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    match mode {
        Mode::Echo => loop {
            let n = stream.read(&mut buf).await?;
            if n == 0 {
                return stream.shutdown().await;
            }
            stream.write_all(&buf[..n]).await?;
        },
        Mode::Http { body_len } => {
            if !read_request(&mut stream, &mut buf).await? {
                return Ok(());
            }
            requests.fetch_add(1, Ordering::SeqCst);
            stream.write_all(&http_response(body_len)).await?;
            stream.shutdown().await?;
            while stream.read(&mut buf).await? > 0 {}
            Ok(())
        }
        Mode::Hold => {
            if !read_request(&mut stream, &mut buf).await? {
                return Ok(());
            }
            requests.fetch_add(1, Ordering::SeqCst);
            while stream.read(&mut buf).await? > 0 {}
            Ok(())
        }
    }
}

/// Reads until the end of the header block; false when the connection closed first.
async fn read_request(stream: &mut TcpStream, buf: &mut [u8]) -> io::Result<bool> {
    let mut seen = Vec::new();
    loop {
        let n = stream.read(buf).await?;
        if n == 0 {
            return Ok(false);
        }
        seen.extend_from_slice(&buf[..n]);
        if seen.windows(4).any(|w| w == b"\r\n\r\n") {
            return Ok(true);
        }
    }
}

/// The exact bytes the `Http` upstream answers with.
pub fn http_response(body_len: usize) -> Vec<u8> {
    let mut response =
        format!("HTTP/1.1 200 OK\r\nContent-Length: {body_len}\r\nConnection: close\r\n\r\n").into_bytes();
    response.extend(pattern(body_len));
    response
}

/// `len` deterministic pseudo-random bytes.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

/// What a client read until the connection ended.
#[derive(Debug)]
pub struct Received {
    pub bytes: Vec<u8>,
    /// `None`: clean EOF. `Some`: the error that ended the read (typically a reset).
    pub error: Option<io::ErrorKind>,
}

impl Received {
    /// True when the connection ended by EOF or a reset-like error.
    pub fn closed(&self) -> bool {
        matches!(
            self.error,
            None | Some(io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted | io::ErrorKind::BrokenPipe)
        )
    }
}

/// Reads until EOF or an error, keeping what arrived before it.
pub async fn read_until_closed(stream: &mut (impl AsyncRead + Unpin)) -> Received {
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => return Received { bytes, error: None },
            Ok(n) => bytes.extend_from_slice(&buf[..n]),
            Err(e) => return Received { bytes, error: Some(e.kind()) },
        }
    }
}

/// Connects, sends [`REQUEST`], and reads until the connection ends. A write failure (the proxy reset us
/// first) still reads what there is to read. A proxy that resets at once may do so before `connect`
/// returns (seen once in CI, on a loaded machine): that too is the connection ending with nothing.
pub async fn exchange(addr: SocketAddr) -> Received {
    within(async {
        let mut stream = match TcpStream::connect(addr).await {
            Ok(stream) => stream,
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                return Received { bytes: Vec::new(), error: Some(e.kind()) }
            }
            Err(e) => panic!("connect to proxy: {e:?}"),
        };
        if let Err(e) = stream.write_all(REQUEST).await {
            return Received { bytes: Vec::new(), error: Some(e.kind()) };
        }
        read_until_closed(&mut stream).await
    })
    .await
}

/// Runs `f`, failing the test if it takes longer than [`PATIENCE`].
pub async fn within<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(PATIENCE, f).await.expect("operation timed out")
}

/// Waits until `cond` holds, failing the test after [`PATIENCE`].
pub async fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !cond() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
