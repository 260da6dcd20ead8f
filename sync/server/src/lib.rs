//! Taller's central sync server: a stateless HTTP API in front of PostgreSQL that
//! authenticates users, applies domain mutations exactly once and serves each user's scoped,
//! gap-free change feed. See ARCHITECTURE.md and docs/sync-protocol.md.

pub mod admin;
pub mod auth;
pub mod checksum;
pub mod config;
mod constraints;
pub mod db;
pub mod demo;
pub mod error;
pub mod events;
pub mod json;
pub mod mutations;
pub mod openapi;
pub mod pull;
pub mod push;
pub mod scope;
pub mod state;
#[cfg(feature = "testing")]
pub mod testing;

use crate::error::ApiFailure;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use state::AppState;
use taller_protocol::messages::{ErrorCode, Health};
use taller_protocol::{MAX_PUSH_BYTES, MIN_SUPPORTED_PROTOCOL, PROTOCOL_HEADER, PROTOCOL_VERSION};
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::TraceLayer;

/// Builds the whole HTTP API. Tests drive it directly or serve it on port 0.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/register", post(auth::register))
        .route("/auth/password", post(auth::change_password))
        .route("/me", get(auth::me))
        .route("/push", post(push::push))
        .route("/pull", post(pull::pull))
        .route("/events", get(events::events))
        .route("/checksum", get(checksum::checksum))
        .layer(middleware::from_fn(require_protocol))
        .route("/openapi.json", get(openapi::document));
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/v1", v1)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_PUSH_BYTES))
        // Request bodies: identity, gzip or zstd (the documented set; tower-http would otherwise
        // take whatever its enabled features decode).
        .layer(RequestDecompressionLayer::new().gzip(true).zstd(true))
        // Outside the decompression layer, so that its refusals get a JSON body too.
        .layer(middleware::from_fn(json_errors))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(limit_request_head))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Header lines hyper parses before it gives up with an empty 431 of its own. Above the API's
/// own limit, [`MAX_HEADERS`], so that a request with a few too many still reaches the router
/// and gets the API's `{code, message}` answer (docs/sync-protocol.md, "Malformed HTTP").
/// Past it hyper answers alone; each request's parse allocates room for this many.
pub const HYPER_MAX_HEADERS: usize = 500;
/// Header lines a request may carry (hyper's own default).
pub const MAX_HEADERS: usize = 100;
/// Longest request target the router answers with JSON; hyper itself refuses targets over
/// 65,534 bytes with an empty 414. RFC 9110 §4.1 asks servers to take at least 8,000.
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Serves the API on `listener` until `shutdown` completes, then waits for open connections to
/// finish their requests. The same as `axum::serve` with connection info, except that hyper
/// is told to parse up to [`HYPER_MAX_HEADERS`] header lines (axum::serve gives no way to
/// configure hyper).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    use hyper_util::rt::TokioIo;
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;
    use std::net::SocketAddr;
    use tower::ServiceExt;

    // HTTP/1 only, as axum::serve with axum's default features serves.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.max_headers(HYPER_MAX_HEADERS);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // the listener itself is fine. Back off briefly, as axum::serve does.
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = app.clone().map_request(move |mut request: axum::http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(axum::extract::ConnectInfo::<SocketAddr>(remote));
            request.map(axum::body::Body::new)
        });
        let connection =
            graceful.watch(builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %remote, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Requests hyper lets through but the API does not take: too many header lines, a target
/// too long. Answered here, above everything else, with the API's `{code, message}`.
async fn limit_request_head(request: Request, next: Next) -> Response {
    if request.headers().len() > MAX_HEADERS {
        return ApiFailure::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ErrorCode::InvalidRequest,
            format!(
                "The request has {} header lines; the server takes at most {MAX_HEADERS}.",
                request.headers().len()
            ),
        )
        .into_response();
    }
    let target = request.uri().path_and_query().map_or(0, |target| target.as_str().len());
    if target > MAX_URI_BYTES {
        return ApiFailure::new(
            StatusCode::URI_TOO_LONG,
            ErrorCode::InvalidRequest,
            format!("The request target has {target} bytes; the server takes at most {MAX_URI_BYTES}."),
        )
        .into_response();
    }
    next.run(request).await
}

#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        protocol: PROTOCOL_VERSION,
        min_protocol: MIN_SUPPORTED_PROTOCOL,
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

async fn not_found() -> ApiFailure {
    ApiFailure::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, "No such endpoint.")
}

/// Every error answer carries the `{code, message}` body, including those produced below the
/// handlers with an empty or plain-text body (axum's 405 for a wrong method, the decompression
/// layer's 415 for an unsupported `Content-Encoding`, ...). Their other headers (`Allow`,
/// `Accept-Encoding`) are kept.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => (ErrorCode::NotFound, "No such endpoint."),
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorCode::InvalidRequest,
            "This endpoint does not accept that method; the Allow header lists those it does.",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            (ErrorCode::InvalidJson, "Send the body as JSON, uncompressed or with Content-Encoding gzip or zstd.")
        }
        StatusCode::PAYLOAD_TOO_LARGE => (ErrorCode::PayloadTooLarge, "The body is larger than the server accepts."),
        StatusCode::SERVICE_UNAVAILABLE => {
            (ErrorCode::Unavailable, "The server is unavailable right now; try again later.")
        }
        status if status.is_server_error() => {
            (ErrorCode::Internal, "Internal error on the server; it was logged. Try again later.")
        }
        _ => (ErrorCode::InvalidRequest, "The request was not accepted."),
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    let (replacement, body) = ApiFailure::new(status, code, message).into_response().into_parts();
    parts.headers.extend(replacement.headers);
    Response::from_parts(parts, body)
}

/// What a request's `taller-protocol` header says.
#[derive(Debug, PartialEq, Eq)]
enum StatedProtocol {
    Missing,
    /// Present, but not a whole number in ASCII digits.
    Malformed,
    /// A version; `u64::MAX` stands for any number beyond it (still a version, just one far
    /// newer than this server).
    Version(u64),
}

fn stated_protocol(value: Option<&HeaderValue>) -> StatedProtocol {
    let Some(value) = value else { return StatedProtocol::Missing };
    let Ok(text) = value.to_str() else { return StatedProtocol::Malformed };
    let digits = text.trim();
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return StatedProtocol::Malformed;
    }
    match digits.trim_start_matches('0') {
        "" => StatedProtocol::Version(0),
        significant => StatedProtocol::Version(significant.parse().unwrap_or(u64::MAX)),
    }
}

/// Contract invariant 11: every request states its protocol version; too old gets a clear
/// "update required" the app shows, too new is refused.
async fn require_protocol(request: Request, next: Next) -> Response {
    match stated_protocol(request.headers().get(PROTOCOL_HEADER)) {
        StatedProtocol::Missing => ApiFailure::bad_request(
            ErrorCode::UnsupportedProtocol,
            format!("Send the `{PROTOCOL_HEADER}` header with the client's protocol version."),
        )
        .into_response(),
        StatedProtocol::Malformed => ApiFailure::bad_request(
            ErrorCode::UnsupportedProtocol,
            format!("`{PROTOCOL_HEADER}` must be the client's protocol version, a whole number such as {PROTOCOL_VERSION}."),
        )
        .into_response(),
        StatedProtocol::Version(version) if version < u64::from(MIN_SUPPORTED_PROTOCOL) => ApiFailure::new(
            StatusCode::UPGRADE_REQUIRED,
            ErrorCode::UpdateRequired,
            format!(
                "Esta versión de Taller es demasiado antigua para el servidor: actualice la aplicación. / \
                 This Taller version is too old for the server (protocol {version}, minimum {MIN_SUPPORTED_PROTOCOL}): update the app."
            ),
        )
        .into_response(),
        StatedProtocol::Version(version) if version > u64::from(PROTOCOL_VERSION) => {
            let sent = if version == u64::MAX { "a larger version".to_owned() } else { version.to_string() };
            ApiFailure::bad_request(
                ErrorCode::UnsupportedProtocol,
                format!("The server speaks protocol {PROTOCOL_VERSION}; the client sent {sent}. Update the server."),
            )
            .into_response()
        }
        StatedProtocol::Version(_) => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_versions_are_read_whatever_their_size() {
        let stated = |text: &[u8]| stated_protocol(Some(&HeaderValue::from_bytes(text).expect("header value")));
        assert_eq!(stated_protocol(None), StatedProtocol::Missing);
        assert_eq!(stated(b"1"), StatedProtocol::Version(1));
        assert_eq!(stated(b" 01 "), StatedProtocol::Version(1));
        assert_eq!(stated(b"0"), StatedProtocol::Version(0));
        assert_eq!(stated(b"99999999999"), StatedProtocol::Version(99_999_999_999));
        assert_eq!(stated(b"99999999999999999999999"), StatedProtocol::Version(u64::MAX));
        for malformed in [&b""[..], b"uno", b"-1", b"1.0", b"+1", b"1 2", b"\xb9"] {
            assert_eq!(stated(malformed), StatedProtocol::Malformed, "{}", String::from_utf8_lossy(malformed));
        }
    }
}
