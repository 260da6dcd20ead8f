//! Each fault of `taller-faultproxy`, proven against a tiny counting upstream.

#![allow(clippy::unwrap_used)]

mod support;

use std::io;
use std::time::{Duration, Instant};

use taller_faultproxy::{FaultProxy, Faults, Stats};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use support::{eventually, exchange, http_response, pattern, read_until_closed, within, Mode, Upstream, REQUEST};

async fn proxy_with(upstream: &Upstream, faults: Faults) -> FaultProxy {
    let proxy = FaultProxy::start(upstream.addr).await.unwrap();
    proxy.set(faults);
    proxy
}

/// Waits until the proxy's counters equal `expected`, then shows the difference if they never do.
async fn assert_stats(proxy: &FaultProxy, expected: Stats) {
    let deadline = Instant::now() + support::PATIENCE;
    while proxy.stats() != expected && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(proxy.stats(), expected);
}

#[tokio::test]
async fn passthrough_is_byte_exact_for_1_mib() {
    let upstream = Upstream::start(Mode::Echo).await;
    let proxy = proxy_with(&upstream, Faults::default()).await;
    let payload = pattern(1024 * 1024);

    let stream = TcpStream::connect(proxy.addr()).await.unwrap();
    let (mut read, mut write) = stream.into_split();
    let sent = payload.clone();
    let writer = tokio::spawn(async move {
        write.write_all(&sent).await?;
        write.shutdown().await
    });
    let got = within(read_until_closed(&mut read)).await;
    within(writer).await.unwrap().unwrap();

    assert_eq!(got.error, None, "clean EOF after the echo");
    assert_eq!(got.bytes.len(), payload.len());
    assert!(got.bytes == payload, "echo differs from what was sent");
    assert_stats(
        &proxy,
        Stats { accepted: 1, bytes_to_upstream: 1 << 20, bytes_to_client: 1 << 20, ..Stats::default() },
    )
    .await;
}

#[tokio::test]
async fn refuse_resets_the_client_and_never_reaches_upstream() {
    let upstream = Upstream::start(Mode::Http { body_len: 5 }).await;
    let proxy = proxy_with(&upstream, Faults { refuse: true, ..Faults::default() }).await;

    let got = exchange(proxy.addr()).await;
    assert!(got.bytes.is_empty(), "{got:?}");
    assert!(got.error.is_some() && got.closed(), "expected a reset, got {got:?}");
    assert_stats(&proxy, Stats { accepted: 1, refused: 1, ..Stats::default() }).await;
    assert_eq!(upstream.connections(), 0);

    // Lifting the fault serves new connections again.
    proxy.set(Faults::default());
    assert_eq!(exchange(proxy.addr()).await.bytes, http_response(5));
}

#[tokio::test]
async fn drop_request_never_reaches_upstream() {
    let upstream = Upstream::start(Mode::Http { body_len: 5 }).await;
    let proxy = proxy_with(&upstream, Faults { drop_request_probability: 1.0, ..Faults::default() }).await;

    let got = exchange(proxy.addr()).await;
    assert!(got.bytes.is_empty(), "{got:?}");
    assert!(got.error.is_some() && got.closed(), "expected a reset, got {got:?}");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(upstream.connections(), 0);
    assert_eq!(upstream.requests(), 0);
    assert_stats(&proxy, Stats { accepted: 1, dropped_requests: 1, ..Stats::default() }).await;
}

#[tokio::test]
async fn drop_response_lets_the_server_commit_but_the_client_hears_nothing() {
    let upstream = Upstream::start(Mode::Http { body_len: 100 }).await;
    let proxy = proxy_with(&upstream, Faults { drop_response_probability: 1.0, ..Faults::default() }).await;

    let got = exchange(proxy.addr()).await;
    assert!(got.bytes.is_empty(), "no response byte may reach the client: {got:?}");
    assert!(got.error.is_some() && got.closed(), "expected a reset, got {got:?}");
    assert_eq!(upstream.requests(), 1, "the server saw (and answered) the request");
    assert_stats(
        &proxy,
        Stats { accepted: 1, dropped_responses: 1, bytes_to_upstream: REQUEST.len() as u64, ..Stats::default() },
    )
    .await;
}

#[tokio::test]
async fn cut_response_forwards_exactly_n_bytes_then_eof() {
    let upstream = Upstream::start(Mode::Http { body_len: 1000 }).await;
    let proxy = proxy_with(&upstream, Faults { cut_response_after_bytes: Some(10), ..Faults::default() }).await;

    let got = exchange(proxy.addr()).await;
    assert_eq!(got.bytes, http_response(1000)[..10]);
    assert_eq!(got.error, None, "a cut response ends with EOF");
    assert_eq!(upstream.requests(), 1);
    assert_stats(
        &proxy,
        Stats {
            accepted: 1,
            cut_responses: 1,
            bytes_to_upstream: REQUEST.len() as u64,
            bytes_to_client: 10,
            ..Stats::default()
        },
    )
    .await;
}

#[tokio::test]
async fn delay_adds_latency_in_each_direction() {
    let upstream = Upstream::start(Mode::Http { body_len: 5 }).await;
    let proxy = proxy_with(&upstream, Faults { delay: Some(Duration::from_millis(100)), ..Faults::default() }).await;

    let started = Instant::now();
    let got = exchange(proxy.addr()).await;
    let took = started.elapsed();
    assert_eq!(got.bytes, http_response(5));
    // 100 ms on the way in, 100 ms on the way out. Lower bound only: machines can be slow.
    assert!(took >= Duration::from_millis(200), "round trip took {took:?}");
    assert!(proxy.stats().delayed_chunks >= 2, "{:?}", proxy.stats());
}

#[tokio::test]
async fn duplicate_request_reaches_the_server_twice_and_the_client_once() {
    let upstream = Upstream::start(Mode::Http { body_len: 100 }).await;
    let proxy = proxy_with(&upstream, Faults { duplicate_request_probability: 1.0, ..Faults::default() }).await;

    let got = exchange(proxy.addr()).await;
    assert_eq!(got.error, None);
    assert_eq!(got.bytes, http_response(100), "exactly one answer");
    eventually("the server sees the request twice", || upstream.requests() == 2).await;
    assert_eq!(upstream.connections(), 2);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(upstream.requests(), 2, "and not more");
    let stats = proxy.stats();
    assert_eq!(stats.duplicated_requests, 1);
    assert_eq!(stats.bytes_to_upstream, REQUEST.len() as u64, "the copy is not counted as forwarded");
}

#[tokio::test]
async fn bandwidth_limit_slows_a_300_kb_transfer_to_100_kb_per_s() {
    let upstream = Upstream::start(Mode::Http { body_len: 300_000 }).await;
    let proxy = proxy_with(&upstream, Faults { bandwidth_bytes_per_sec: Some(100_000), ..Faults::default() }).await;

    let started = Instant::now();
    let got = exchange(proxy.addr()).await;
    let took = started.elapsed();
    assert_eq!(got.error, None);
    assert!(got.bytes == http_response(300_000), "response corrupted ({} bytes)", got.bytes.len());
    // 300 kB at 100 kB/s is 3 s; the burst allowance is 50 ms. Lower bound only.
    assert!(took >= Duration::from_millis(2_500), "took {took:?}");
    assert!(proxy.stats().throttled_chunks > 0);
}

#[tokio::test]
async fn zero_bandwidth_stalls_live_connections_until_lifted() {
    let upstream = Upstream::start(Mode::Http { body_len: 5 }).await;
    let proxy = proxy_with(&upstream, Faults { bandwidth_bytes_per_sec: Some(0), ..Faults::default() }).await;

    let client = tokio::spawn(exchange(proxy.addr()));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(proxy.stats().open, 1);
    assert_eq!(upstream.requests(), 0, "a stalled link delivers nothing");
    assert!(!client.is_finished());

    // Faults that change live connections: lifting the stall lets the same connection finish.
    proxy.set(Faults::default());
    let got = within(client).await.unwrap();
    assert_eq!(got.bytes, http_response(5));
}

#[tokio::test]
async fn cut_all_resets_live_connections_on_both_sides() {
    let upstream = Upstream::start(Mode::Hold).await;
    let proxy = proxy_with(&upstream, Faults::default()).await;

    let mut clients = Vec::new();
    for _ in 0..2 {
        let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
        stream.write_all(REQUEST).await.unwrap();
        clients.push(stream);
    }
    eventually("both requests reach the server", || upstream.requests() == 2).await;

    proxy.cut_all();
    for stream in &mut clients {
        let got = within(read_until_closed(stream)).await;
        assert!(got.bytes.is_empty() && got.error.is_some() && got.closed(), "expected a reset, got {got:?}");
    }
    eventually("the server side is closed too", || upstream.closed() == 2).await;
    eventually("both cuts counted", || proxy.stats().cut == 2).await;
    eventually("no connection left open", || proxy.stats().open == 0).await;

    // A connection accepted after the cut is not affected by it.
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    stream.write_all(REQUEST).await.unwrap();
    eventually("the new request reaches the server", || upstream.requests() == 3).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(proxy.stats().cut, 2);
    assert_eq!(proxy.stats().open, 1);
    assert_eq!(upstream.closed(), 2);
}

#[tokio::test]
async fn stats_count_every_kind_of_fault_and_byte() {
    let upstream = Upstream::start(Mode::Http { body_len: 50 }).await;
    let response = http_response(50);
    let proxy = proxy_with(&upstream, Faults::default()).await;

    let runs = [
        (Faults::default(), Some(response.clone())),
        (Faults { refuse: true, ..Faults::default() }, Some(Vec::new())),
        (Faults { drop_request_probability: 1.0, ..Faults::default() }, Some(Vec::new())),
        (Faults { drop_response_probability: 1.0, ..Faults::default() }, Some(Vec::new())),
        (Faults { cut_response_after_bytes: Some(10), ..Faults::default() }, Some(response[..10].to_vec())),
        (Faults { duplicate_request_probability: 1.0, ..Faults::default() }, Some(response.clone())),
    ];
    for (faults, expected) in runs {
        proxy.set(faults.clone());
        assert_eq!(proxy.faults(), faults);
        let got = exchange(proxy.addr()).await;
        assert_eq!(Some(got.bytes), expected, "with {faults:?}");
    }
    let request = REQUEST.len() as u64;
    assert_stats(
        &proxy,
        Stats {
            accepted: 6,
            refused: 1,
            dropped_requests: 1,
            dropped_responses: 1,
            cut_responses: 1,
            duplicated_requests: 1,
            // Forwarded requests: plain, drop_response, cut_response, duplicate (the copy is not counted).
            bytes_to_upstream: 4 * request,
            bytes_to_client: 2 * response.len() as u64 + 10,
            ..Stats::default()
        },
    )
    .await;
    eventually("the duplicate reached the server", || upstream.requests() == 5).await;
}

/// Which of `n` successive connections got their answer through.
async fn outcomes(proxy: &FaultProxy, n: usize) -> Vec<bool> {
    let mut answered = Vec::new();
    for _ in 0..n {
        answered.push(exchange(proxy.addr()).await.bytes == http_response(5));
    }
    answered
}

#[tokio::test]
async fn the_same_seed_gives_the_same_decisions() {
    let upstream = Upstream::start(Mode::Http { body_len: 5 }).await;
    let faults = Faults { drop_request_probability: 0.5, seed: 42, ..Faults::default() };
    let n = 16;

    let first = proxy_with(&upstream, faults.clone()).await;
    let a = outcomes(&first, n).await;
    let second = proxy_with(&upstream, faults.clone()).await;
    let b = outcomes(&second, n).await;
    // Setting the faults again restarts the sequence.
    first.set(faults.clone());
    let replay = outcomes(&first, n).await;

    assert!(a.contains(&true) && a.contains(&false), "seed 42 should mix outcomes: {a:?}");
    assert_eq!(a, b, "two proxies with the same seed");
    assert_eq!(a, replay, "the same proxy after set()");
    let predicted: Vec<bool> = (0..n as u64).map(|i| !faults.decide(i).drop_request).collect();
    assert_eq!(a, predicted, "the proxy applies Faults::decide");

    let other = proxy_with(&upstream, Faults { seed: 43, ..faults }).await;
    assert_ne!(outcomes(&other, n).await, a, "another seed, other decisions");
}

#[tokio::test]
async fn unreachable_upstream_resets_the_client() {
    let closed_port = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    };
    let proxy = FaultProxy::start(closed_port).await.unwrap();

    let got = exchange(proxy.addr()).await;
    assert!(got.bytes.is_empty() && got.error.is_some() && got.closed(), "expected a reset, got {got:?}");
    assert_stats(&proxy, Stats { accepted: 1, upstream_connect_failures: 1, ..Stats::default() }).await;
}

async fn held_connection(upstream: &Upstream, proxy: &FaultProxy) -> TcpStream {
    let mut stream = TcpStream::connect(proxy.addr()).await.unwrap();
    stream.write_all(REQUEST).await.unwrap();
    eventually("the request reaches the server", || upstream.requests() == 1).await;
    stream
}

#[tokio::test]
async fn shutdown_resets_live_connections_and_stops_listening() {
    let upstream = Upstream::start(Mode::Hold).await;
    let proxy = proxy_with(&upstream, Faults::default()).await;
    let addr = proxy.addr();
    let mut stream = held_connection(&upstream, &proxy).await;

    within(proxy.shutdown()).await;
    let got = within(read_until_closed(&mut stream)).await;
    assert!(got.error.is_some() && got.closed(), "expected a reset, got {got:?}");
    eventually("the server side is closed too", || upstream.closed() == 1).await;
    let refused = TcpStream::connect(addr).await.map(drop).map_err(|e| e.kind());
    assert_eq!(refused, Err(io::ErrorKind::ConnectionRefused));
}

#[tokio::test]
async fn dropping_the_proxy_resets_live_connections() {
    let upstream = Upstream::start(Mode::Hold).await;
    let proxy = proxy_with(&upstream, Faults::default()).await;
    let mut stream = held_connection(&upstream, &proxy).await;

    drop(proxy);
    let got = within(read_until_closed(&mut stream)).await;
    assert!(got.error.is_some() && got.closed(), "expected a reset, got {got:?}");
    eventually("the server side is closed too", || upstream.closed() == 1).await;
}

/// Starts the binary and returns it with the address it printed.
async fn spawn_binary(args: &[&str]) -> (tokio::process::Child, std::net::SocketAddr) {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_taller-faultproxy"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    within(tokio::io::BufReader::new(stdout).read_line(&mut line)).await.unwrap();
    let addr = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected banner {line:?}"));
    (child, addr.parse().unwrap())
}

#[tokio::test]
async fn binary_forwards_with_delay_and_bandwidth() {
    let upstream = Upstream::start(Mode::Http { body_len: 20_000 }).await;
    let up = upstream.addr.to_string();
    let (_child, addr) = spawn_binary(&[
        "--listen",
        "127.0.0.1:0",
        "--upstream",
        &up,
        "--delay-ms",
        "50",
        "--bandwidth-bytes-per-sec",
        "40000",
    ])
    .await;

    let started = Instant::now();
    let got = exchange(addr).await;
    let took = started.elapsed();
    assert!(got.bytes == http_response(20_000), "response corrupted ({} bytes)", got.bytes.len());
    // 2 × 50 ms of delay plus ~20 kB at 40 kB/s (minus a 2 kB burst): at least ~0.5 s.
    assert!(took >= Duration::from_millis(500), "took {took:?}");
}

#[tokio::test]
async fn binary_cuts_live_connections_periodically() {
    let upstream = Upstream::start(Mode::Hold).await;
    let up = upstream.addr.to_string();
    let (_child, addr) = spawn_binary(&["--upstream", &up, "--cut-every-secs", "1"]).await;

    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(REQUEST).await.unwrap();
    let got = within(read_until_closed(&mut stream)).await;
    assert!(got.bytes.is_empty() && got.error.is_some() && got.closed(), "expected a reset, got {got:?}");
    assert_eq!(upstream.requests(), 1);
}

#[tokio::test]
async fn binary_refuses_connections() {
    let upstream = Upstream::start(Mode::Http { body_len: 5 }).await;
    let up = upstream.addr.to_string();
    let (_child, addr) = spawn_binary(&["--upstream", &up, "--refuse"]).await;

    let got = exchange(addr).await;
    assert!(got.bytes.is_empty() && got.error.is_some() && got.closed(), "expected a reset, got {got:?}");
    assert_eq!(upstream.connections(), 0, "the upstream never hears of a refused connection");
}

#[tokio::test]
async fn binary_drops_requests() {
    let upstream = Upstream::start(Mode::Http { body_len: 5 }).await;
    let up = upstream.addr.to_string();
    let (_child, addr) = spawn_binary(&["--upstream", &up, "--drop-request-probability", "1"]).await;

    let got = exchange(addr).await;
    assert!(got.bytes.is_empty() && got.error.is_some() && got.closed(), "expected a reset, got {got:?}");
    // A request that reached the upstream would be counted before the client's reset arrived.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(upstream.requests(), 0, "the request never reached the upstream");
}

#[tokio::test]
async fn binary_drops_responses() {
    let upstream = Upstream::start(Mode::Http { body_len: 100 }).await;
    let up = upstream.addr.to_string();
    let (_child, addr) = spawn_binary(&["--upstream", &up, "--drop-response-probability", "1.0"]).await;

    let got = exchange(addr).await;
    assert!(got.bytes.is_empty(), "no response byte may reach the client: {got:?}");
    assert!(got.error.is_some() && got.closed(), "expected a reset, got {got:?}");
    assert_eq!(upstream.requests(), 1, "the server saw (and answered) the request");
}

#[tokio::test]
async fn binary_cuts_responses_after_n_bytes() {
    let upstream = Upstream::start(Mode::Http { body_len: 1000 }).await;
    let up = upstream.addr.to_string();
    let (_child, addr) = spawn_binary(&["--upstream", &up, "--cut-response-after-bytes", "10"]).await;

    let got = exchange(addr).await;
    assert_eq!(got.bytes, http_response(1000)[..10]);
    assert_eq!(got.error, None, "a cut response ends with EOF");
}

#[tokio::test]
async fn binary_duplicates_requests() {
    let upstream = Upstream::start(Mode::Http { body_len: 5 }).await;
    let up = upstream.addr.to_string();
    let (_child, addr) =
        spawn_binary(&["--upstream", &up, "--duplicate-request-probability", "1", "--seed", "7"]).await;

    let got = exchange(addr).await;
    assert_eq!(got.bytes, http_response(5), "the client gets its one answer");
    eventually("the server sees the request twice", || upstream.requests() == 2).await;
}

/// The same seed draws the same per-connection decisions in the binary as in the library.
#[tokio::test]
async fn binary_probabilities_follow_the_seed() {
    let upstream = Upstream::start(Mode::Http { body_len: 5 }).await;
    let up = upstream.addr.to_string();
    let (_child, addr) = spawn_binary(&["--upstream", &up, "--drop-request-probability", "0.5", "--seed", "42"]).await;
    let faults = Faults { drop_request_probability: 0.5, seed: 42, ..Faults::default() };
    for index in 0..16 {
        let got = exchange(addr).await;
        let dropped = got.bytes.is_empty();
        assert_eq!(dropped, faults.decide(index).drop_request, "connection {index}: {got:?}");
    }
}

#[tokio::test]
async fn binary_refuses_a_probability_outside_0_to_1_as_a_usage_error() {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_taller-faultproxy"))
        .args(["--upstream", "127.0.0.1:9", "--drop-response-probability", "1.5"])
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "usage error");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not between 0 and 1"), "{stderr}");
}
