//! Taller's central sync server: a stateless HTTP API in front of PostgreSQL that
//! authenticates users, applies domain mutations exactly once and serves each user's scoped,
//! gap-free change feed. See ARCHITECTURE.md and docs/sync-protocol.md.

pub mod admin;
pub mod auth;
pub mod checksum;
pub mod config;
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
pub mod testing;

use crate::error::ApiFailure;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, StatusCode};
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
        .layer(RequestDecompressionLayer::new())
        // Outside the decompression layer, so that its refusals get a JSON body too.
        .layer(middleware::from_fn(json_errors))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
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
            (ErrorCode::InvalidJson, "Send the body as JSON, uncompressed or with Content-Encoding: gzip.")
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

/// Contract invariant 11: every request states its protocol version; too old gets a clear
/// "update required" the app shows, too new is refused.
async fn require_protocol(request: Request, next: Next) -> Response {
    let stated = request
        .headers()
        .get(PROTOCOL_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(|text| text.trim().parse::<u32>());
    match stated {
        None => ApiFailure::bad_request(
            ErrorCode::UnsupportedProtocol,
            format!("Send the `{PROTOCOL_HEADER}` header with the client's protocol version."),
        )
        .into_response(),
        Some(Err(_)) => ApiFailure::bad_request(ErrorCode::UnsupportedProtocol, format!("`{PROTOCOL_HEADER}` must be a number."))
            .into_response(),
        Some(Ok(version)) if version < MIN_SUPPORTED_PROTOCOL => ApiFailure::new(
            StatusCode::UPGRADE_REQUIRED,
            ErrorCode::UpdateRequired,
            format!(
                "Esta versión de Taller es demasiado antigua para el servidor: actualice la aplicación. / \
                 This Taller version is too old for the server (protocol {version}, minimum {MIN_SUPPORTED_PROTOCOL}): update the app."
            ),
        )
        .into_response(),
        Some(Ok(version)) if version > PROTOCOL_VERSION => ApiFailure::bad_request(
            ErrorCode::UnsupportedProtocol,
            format!("The server speaks protocol {PROTOCOL_VERSION}; the client sent {version}. Update the server."),
        )
        .into_response(),
        Some(Ok(_)) => next.run(request).await,
    }
}
