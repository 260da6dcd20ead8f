//! Request and response bodies of the HTTP API (see docs/sync-protocol.md).

use crate::mutations::MutationEnvelope;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// Stable codes of request-level errors (the whole request failed, nothing was applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not valid JSON or lacks required fields.
    InvalidJson,
    /// A value in the request is not acceptable (see the message).
    InvalidRequest,
    /// No bearer token, or one the server does not know.
    Unauthorized,
    /// The access token expired: refresh it.
    TokenExpired,
    /// Email or password wrong.
    InvalidCredentials,
    /// The account is waiting for an administrator's approval (or was rejected).
    UserNotApproved,
    /// The account is blocked.
    UserBlocked,
    /// Too many attempts: wait and try again.
    RateLimited,
    /// The user may not do this.
    Forbidden,
    /// No such resource.
    NotFound,
    /// The body is larger than the server accepts.
    PayloadTooLarge,
    /// More mutations in one push than the server accepts.
    BatchTooLarge,
    /// The client's protocol is too old: the app must be updated.
    UpdateRequired,
    /// The client's protocol is newer than this server understands.
    UnsupportedProtocol,
    /// The pull cursor is malformed or from the future.
    InvalidCursor,
    /// This device id belongs to another user.
    DeviceMismatch,
    /// A mutation reuses a sequence number of this device with a different id.
    SequenceConflict,
    /// An email that is already registered.
    EmailTaken,
    /// The server or its database is unavailable right now: retry later.
    Unavailable,
    /// A fault on the server's side.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::UserNotApproved => "user_not_approved",
            ErrorCode::UserBlocked => "user_blocked",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::BatchTooLarge => "batch_too_large",
            ErrorCode::UpdateRequired => "update_required",
            ErrorCode::UnsupportedProtocol => "unsupported_protocol",
            ErrorCode::InvalidCursor => "invalid_cursor",
            ErrorCode::DeviceMismatch => "device_mismatch",
            ErrorCode::SequenceConflict => "sequence_conflict",
            ErrorCode::EmailTaken => "email_taken",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }
}

/// The body of every error response: `{code, message}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

// ---------------------------------------------------------------- accounts

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub nombre_completo: String,
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Who the token belongs to, with what the client needs to mirror permission checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UserProfile {
    pub id_usuario: Uuid,
    pub nombre_completo: String,
    pub email: String,
    pub id_rol: Uuid,
    pub nombre_rol: String,
    #[schema(value_type = Object)]
    #[cfg_attr(feature = "specta", specta(type = taller_domain::Permisos))]
    pub permisos: Value,
    pub is_admin: bool,
    pub localizaciones: Vec<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
    pub refresh_expires_at: DateTime<Utc>,
    pub user: UserProfile,
}

// ---------------------------------------------------------------- push

/// A batch of a device's mutations, in the device's order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// The replica's device id (one per user per device).
    pub device_id: Uuid,
    pub mutations: Vec<MutationEnvelope>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    Applied,
    Rejected,
}

/// The recorded, final outcome of one mutation. Re-sending the mutation returns it again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Outcome {
    pub id: Uuid,
    pub seq: u64,
    pub status: OutcomeStatus,
    /// The rejection code (`insufficient_stock`, ...) when rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The human message in the user's language when rejected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// What the server decided (ids, merges, conflicts, rejection facts).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    #[schema(value_type = Object)]
    pub result: Value,
    /// The server transaction that recorded the outcome (`xid8` as text). The mutation's
    /// effects are in every pull whose cursor is past this transaction.
    pub txid: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PushResponse {
    /// One outcome per processed mutation, in order. Fewer than sent when `stopped` is set.
    pub outcomes: Vec<Outcome>,
    /// A transient failure stopped the batch here: the rest was not applied; retry later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<ApiError>,
    pub server_time: DateTime<Utc>,
}

// ---------------------------------------------------------------- pull

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PullRequest {
    /// The cursor from the previous response; none for an initial sync.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Most rows in this page (server caps it).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// Changes of one table in a page: upserted rows as arrays in the table's column order
/// (see [`crate::tables`]) and deleted primary keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TableChanges {
    pub table: String,
    /// Rows, each an array with one value per column of the table, in the catalogue's order:
    /// strings, numbers, booleans and nulls, and a `jsonb` column's JSON value as stored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Vec<Value>>)]
    pub upserts: Vec<Vec<Value>>,
    /// Primary keys (as text) of rows that left the user's scope or were deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deletes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PullResponse {
    pub changes: Vec<TableChanges>,
    /// Send this back in the next pull.
    pub cursor: String,
    /// The last page of this delta: the client may apply everything it staged since the
    /// previous complete page in one local transaction; the replica then equals the server's
    /// state at the delta's snapshot.
    pub complete: bool,
    /// The delta was restarted (the user's scope changed under it): drop what was staged since
    /// the last complete page.
    #[serde(default)]
    pub reset: bool,
    /// Rows sent in this delta so far, including this page.
    pub rows_sent: u64,
    /// Estimate of rows in this delta, for progress bars.
    pub rows_total: u64,
}

/// Per-table checksums of a scope, comparable between a replica and the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChecksumResponse {
    /// The cursor whose state the checksums describe: a replica whose cursor equals it and
    /// that has nothing pending must match.
    pub cursor: String,
    pub tables: BTreeMap<String, crate::checksum::TableChecksum>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub protocol: u32,
    pub min_protocol: u32,
    pub version: String,
}
