//! The HTTP error of the API: a status, a stable code and a human message. Database internals
//! never reach the body; they go to the log.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use taller_protocol::messages::{ApiError, ErrorCode};

/// The `Retry-After` of a 503 while the database is unavailable, in seconds.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 5;

#[derive(Debug, thiserror::Error)]
#[error("{status} {code:?}: {message}")]
pub struct ApiFailure {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    /// Seconds after which the same request may succeed (`Retry-After`), for limits.
    pub retry_after: Option<u64>,
}

impl ApiFailure {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> ApiFailure {
        ApiFailure { status, code, message: message.into(), retry_after: None }
    }

    /// Tells the client when to try again (`Retry-After`, in seconds).
    pub fn with_retry_after(self, seconds: u64) -> ApiFailure {
        ApiFailure { retry_after: Some(seconds), ..self }
    }

    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> ApiFailure {
        ApiFailure::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiFailure {
        ApiFailure::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, message)
    }

    pub fn forbidden(message: impl Into<String>) -> ApiFailure {
        ApiFailure::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden, message)
    }

    pub fn internal() -> ApiFailure {
        ApiFailure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "Internal error on the server; it was logged. Try again later.",
        )
    }

    /// The database cannot serve the request now (refused connections, pool timeout, shutdown):
    /// 503 `unavailable` with `Retry-After`, so that clients back off and try the same request
    /// again rather than report a server fault.
    pub fn unavailable() -> ApiFailure {
        ApiFailure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Unavailable,
            "The database is unavailable right now; try again later.",
        )
        .with_retry_after(UNAVAILABLE_RETRY_AFTER_SECS)
    }
}

/// Whether a database error is transient (connection lost, pool exhausted, server shutting
/// down): the client should retry the same request later.
pub fn is_transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(db) => {
            // 08: connection exception; 40: transaction rollback (serialization, deadlock);
            // 53: insufficient resources; 57P: operator intervention (shutdown);
            let code = db.code().unwrap_or_default();
            // 25001: a pooled connection still inside a transaction a cancelled request left.
            code.starts_with("08")
                || code.starts_with("40")
                || code.starts_with("53")
                || code.starts_with("57P")
                || code == "25001"
        }
        _ => false,
    }
}

/// Whether the database refused a value the request carried (SQLSTATE class 22, data
/// exception: a NUL in text, a number or date out of range; class 54, program limit exceeded:
/// a value too large for an index). Those are the client's mistake, not the server's fault.
pub fn is_bad_value(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            code.starts_with("22") || code.starts_with("54")
        }
        // A value the driver cannot even encode (a date before PostgreSQL's range, ...).
        sqlx::Error::Encode(_) => true,
        _ => false,
    }
}

impl From<sqlx::Error> for ApiFailure {
    fn from(error: sqlx::Error) -> ApiFailure {
        if is_transient(&error) {
            tracing::warn!(%error, "transient database error");
            ApiFailure::unavailable()
        } else if is_bad_value(&error) {
            // A safety net: handlers should have validated the value. The details go to the
            // log, not to the client.
            tracing::warn!(%error, "the database refused a value from the request");
            ApiFailure::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidRequest,
                "A value in the request cannot be stored (control characters, or out of range).",
            )
        } else {
            tracing::error!(%error, "database error");
            ApiFailure::internal()
        }
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let body = ApiError { code: self.code, message: self.message };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

pub type ApiResult<T> = Result<T, ApiFailure>;
