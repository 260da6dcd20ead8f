//! HTTP itself: how credentials and the protocol header are read and what the messages say
//! (issue 9.8), which request encodings are taken, and what malformed HTTP gets, byte for byte
//! over raw TCP (issue 9.9).

use crate::harness::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::io::Write;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use uuid::Uuid;

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let world = World::new().await;
    let token = world.norte.token.clone().expect("token");
    for header in [format!("bearer {token}"), format!("BEARER {token}"), format!("Bearer   {token}")] {
        let response = reqwest::Client::new()
            .get(format!("{}/v1/me", world.server.base))
            .header("taller-protocol", "1")
            .header("authorization", &header)
            .send()
            .await
            .expect("request");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(status, StatusCode::OK, "{header:.12}…: {body}");
        assert_eq!(body["id_usuario"], json!(world.norte.user_id()));
    }
}

/// (label, headers, expected status, expected code, what the message must say).
type HeaderCase = (&'static str, Vec<(&'static str, Vec<u8>)>, StatusCode, &'static str, &'static str);

#[tokio::test]
async fn messages_say_what_is_wrong_with_the_headers() {
    let world = World::new().await;
    let token = world.norte.token.clone().expect("token");
    let cases: Vec<HeaderCase> = vec![
        (
            "a non-ASCII Authorization header",
            vec![("taller-protocol", b"1".to_vec()), ("authorization", b"Bearer \xff\xfe".to_vec())],
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "visible ASCII",
        ),
        (
            "no Authorization header",
            vec![("taller-protocol", b"1".to_vec())],
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "no bearer token was sent",
        ),
        (
            "a protocol version too large for 32 bits",
            vec![
                ("taller-protocol", b"99999999999".to_vec()),
                ("authorization", format!("Bearer {token}").into_bytes()),
            ],
            StatusCode::BAD_REQUEST,
            "unsupported_protocol",
            "the client sent 99999999999",
        ),
        (
            "a protocol version too large for 64 bits",
            vec![
                ("taller-protocol", b"999999999999999999999999".to_vec()),
                ("authorization", format!("Bearer {token}").into_bytes()),
            ],
            StatusCode::BAD_REQUEST,
            "unsupported_protocol",
            "Update the server",
        ),
        (
            "a non-ASCII protocol header",
            vec![("taller-protocol", b"\xb9".to_vec()), ("authorization", format!("Bearer {token}").into_bytes())],
            StatusCode::BAD_REQUEST,
            "unsupported_protocol",
            "whole number",
        ),
    ];
    for (label, headers, status, code, says) in cases {
        let mut request = reqwest::Client::new().get(format!("{}/v1/me", world.server.base));
        for (name, value) in headers {
            request = request.header(name, reqwest::header::HeaderValue::from_bytes(&value).expect("value"));
        }
        let response = request.send().await.expect("request");
        let answered = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!((answered, body["code"].as_str()), (status, Some(code)), "{label}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{label}: the message says {says:?}: {message}");
        if label != "no Authorization header" {
            assert!(!message.contains("no bearer token was sent"), "{label}: {message}");
        }
    }
}

/// Request bodies may be sent as they are, or compressed with gzip or zstd, and the 415 for
/// anything else says exactly that (docs/sync-protocol.md, "Every request").
#[tokio::test]
async fn request_bodies_may_be_gzip_or_zstd_and_the_refusal_says_so() {
    let world = World::new().await;
    let token = world.norte.token.clone().expect("token");
    let device = Device::new();
    let push = |mutation| json!({"device_id": device.id, "mutations": [mutation]}).to_string().into_bytes();
    let args = || movement_args(world.locs[1], world.parts[3], world.norte.user_id(), "ingreso", "ingreso", 1);
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&push(device.envelope("movement.record", args()))).expect("gzip");
    let gzip = gzip.finish().expect("gzip");
    let zstd = zstd::encode_all(&push(device.envelope("movement.record", args()))[..], 3).expect("zstd");
    let send = |encoding: &'static str, body: Vec<u8>| {
        let request = reqwest::Client::new()
            .post(format!("{}/v1/push", world.server.base))
            .header("taller-protocol", "1")
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .bearer_auth(&token)
            .body(body);
        async move {
            let response = request.send().await.expect("request");
            let status = response.status();
            let accept = response
                .headers()
                .get(reqwest::header::ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            (status, accept, response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    for (encoding, body) in [("gzip", gzip), ("zstd", zstd)] {
        let (status, _, body) = send(encoding, body).await;
        assert_eq!(status, StatusCode::OK, "{encoding}: {body}");
        assert_eq!(body["outcomes"][0]["status"], "applied", "{encoding}: {body}");
    }
    for encoding in ["br", "deflate", "compress"] {
        let (status, accept, body) = send(encoding, push(device.envelope("movement.record", args()))).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("invalid_json")),
            "{encoding}: {body}"
        );
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains("gzip") && message.contains("zstd"), "{encoding}: the message names both: {message}");
        let mut offered: Vec<&str> = accept.split(',').map(str::trim).collect();
        offered.sort_unstable();
        assert_eq!(offered, ["gzip", "zstd"], "{encoding}: Accept-Encoding lists what is taken");
    }
}

// ------------------------------------------------------------------------ malformed HTTP (9.9)

/// What the server wrote on a raw connection until it closed it.
#[derive(Debug)]
struct RawAnswer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawAnswer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Writes `request` as it is on a new connection and reads until the server closes it.
async fn raw(base: &str, request: &[u8]) -> RawAnswer {
    let address = base.strip_prefix("http://").expect("http base");
    let mut stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    // The server may answer and close before reading everything; what it wrote is what counts.
    let _written = stream.write_all(request).await;
    let mut bytes = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(60), stream.read_to_end(&mut bytes)).await;
    assert!(read.is_ok(), "the server closes the connection after answering");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (head, _) = text.split_once("\r\n\r\n").unwrap_or_else(|| panic!("a response head: {text:?}"));
    let body = bytes[head.len() + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_lowercase(), value.trim().to_owned()))
        .collect();
    RawAnswer { status, headers, body }
}

/// A request hyper refuses while parsing it, before any of the server's code runs: hyper writes
/// the status line, `content-length: 0` and closes. The protocol document lists these.
#[track_caller]
fn assert_answered_by_hyper(answer: &RawAnswer, status: u16, label: &str) {
    assert_eq!(answer.status, status, "{label}: {answer:?}");
    assert_eq!(answer.header("content-length"), Some("0"), "{label}: {answer:?}");
    assert!(answer.body.is_empty(), "{label}: no body can be sent: {answer:?}");
    assert!(answer.header("content-type").is_none(), "{label}: {answer:?}");
}

#[track_caller]
fn assert_json_answer(answer: &RawAnswer, status: u16, code: &str, label: &str) {
    assert_eq!(answer.status, status, "{label}: {answer:?}");
    assert_eq!(answer.header("content-type"), Some("application/json"), "{label}: {answer:?}");
    let body = answer.json();
    assert_eq!(body["code"], code, "{label}: {answer:?}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{label}: {answer:?}");
}

#[tokio::test]
async fn a_bad_request_line_is_answered_by_hyper_without_a_body() {
    let db = TestDb::new().await;
    let server = TestServer::start(&db, Default::default()).await;
    for (label, request) in [
        ("a space in the method", &b"GE T /healthz HTTP/1.1\r\nHost: x\r\n\r\n"[..]),
        ("an unknown HTTP version", b"GET /healthz HTTP/7.0\r\nHost: x\r\n\r\n"),
        ("a control character in the target", b"GET /health\x01z HTTP/1.1\r\nHost: x\r\n\r\n"),
        ("not HTTP at all", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"),
    ] {
        assert_answered_by_hyper(&raw(&server.base, request).await, 400, label);
    }
    // The same connection shape with a good request line is served.
    let answer = raw(&server.base, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert_eq!((answer.status, answer.json()["status"].as_str()), (200, Some("ok")), "{answer:?}");
}

#[tokio::test]
async fn a_control_character_in_a_header_is_answered_by_hyper_without_a_body() {
    let db = TestDb::new().await;
    let server = TestServer::start(&db, Default::default()).await;
    for (label, request) in [
        ("a control character in a value", &b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\x01b\r\n\r\n"[..]),
        ("a NUL in a value", b"GET /healthz HTTP/1.1\r\nHost: x\r\ntaller-protocol: 1\x00\r\n\r\n"),
        ("a space in a header name", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX Note: a\r\n\r\n"),
    ] {
        assert_answered_by_hyper(&raw(&server.base, request).await, 400, label);
    }
}

#[tokio::test]
async fn a_non_numeric_content_length_is_answered_by_hyper_without_a_body() {
    let db = TestDb::new().await;
    let server = TestServer::start(&db, Default::default()).await;
    for (label, length) in
        [("letters", "abc"), ("negative", "-5"), ("two values", "2, 3"), ("beyond u64", "99999999999999999999999")]
    {
        let request = format!(
            "POST /v1/auth/login HTTP/1.1\r\nHost: x\r\ntaller-protocol: 1\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n{{}}"
        );
        assert_answered_by_hyper(&raw(&server.base, request.as_bytes()).await, 400, label);
    }
}

#[tokio::test]
async fn request_targets_too_long_are_refused_with_json_up_to_what_hyper_takes() {
    let db = TestDb::new().await;
    let server = TestServer::start(&db, Default::default()).await;
    // Up to the API's limit a long target is just a target (here an unknown path).
    let path = format!("/v1/{}", "a".repeat(taller_server::MAX_URI_BYTES - 4));
    let answer =
        raw(&server.base, format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes()).await;
    assert_json_answer(&answer, 404, "not_found", "a target at the limit");
    // Past it, the router refuses it with JSON.
    for length in [taller_server::MAX_URI_BYTES + 1, 20_000, 65_000] {
        let path = format!("/healthz?{}", "a".repeat(length - 9));
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert_json_answer(
            &raw(&server.base, request.as_bytes()).await,
            414,
            "invalid_request",
            &format!("{length} bytes"),
        );
    }
    // A 70 KB target is over hyper's own limit (65,534 bytes): hyper answers alone.
    let request = format!("GET /healthz?{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70 * 1024));
    assert_answered_by_hyper(&raw(&server.base, request.as_bytes()).await, 414, "a 70 KB target");
}

#[tokio::test]
async fn too_many_header_lines_are_refused_with_json_up_to_what_hyper_takes() {
    let db = TestDb::new().await;
    let server = TestServer::start(&db, Default::default()).await;
    let request = |lines: usize| {
        let mut text = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
        for i in 2..lines {
            text.push_str(&format!("X-Filler-{i}: {}\r\n", Uuid::new_v4()));
        }
        text.push_str("\r\n");
        text.into_bytes()
    };
    let answer = raw(&server.base, &request(taller_server::MAX_HEADERS)).await;
    assert_eq!((answer.status, answer.json()["status"].as_str()), (200, Some("ok")), "at the limit: {answer:?}");
    for lines in [taller_server::MAX_HEADERS + 1, 150, taller_server::HYPER_MAX_HEADERS] {
        let answer = raw(&server.base, &request(lines)).await;
        assert_json_answer(&answer, 431, "invalid_request", &format!("{lines} header lines"));
    }
    let answer = raw(&server.base, &request(taller_server::HYPER_MAX_HEADERS + 1)).await;
    assert_answered_by_hyper(&answer, 431, "more header lines than hyper parses");
}
