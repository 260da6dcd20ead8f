//! Accounts and authority: argon2id password hashes, opaque bearer tokens stored as SHA-256
//! hashes, refresh with rotation, revocation, and login rate limits kept in PostgreSQL (so any
//! number of server processes share them).
//!
//! `extract` (who is calling), `passwords`, `sessions` (tokens) and `limits` (rate limits);
//! the handlers are here.

mod extract;
mod limits;
mod passwords;
mod sessions;

use crate::error::{ApiFailure, ApiResult};
use crate::json::ApiJson;
use crate::state::AppState;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use std::net::{IpAddr, SocketAddr};
use taller_domain::permisos::ADMIN_ROLE;
use taller_domain::{Lang, Permisos};
use taller_protocol::messages::{
    ApiError, ChangePasswordRequest, ErrorCode, LoginRequest, RefreshRequest, RegisterRequest, Session, UserProfile,
};
use uuid::Uuid;

pub use extract::{request_lang, AuthUser, ClientAddr};
use limits::*;
use passwords::*;
pub use passwords::{hash_password, set_password, verify_password};
use sessions::*;
pub use sessions::{load_profile, revoke_sessions, token_hash};

/// The role given to people who register themselves; an admin approves them.
pub const TECNICO_ROLE_ID: Uuid = Uuid::from_u128(0xa003);
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest email address (RFC 5321 path limit).
pub const MAX_EMAIL_BYTES: usize = 254;

/// Whether an (already trimmed and lower-cased) email could belong to an account: not too
/// long, and no control characters (PostgreSQL refuses NUL in text; the others are typos or
/// attacks).
fn plausible_email(email: &str) -> bool {
    email.len() <= MAX_EMAIL_BYTES && !email.chars().any(char::is_control)
}

#[utoipa::path(post, path = "/v1/auth/login", request_body = LoginRequest,
    responses((status = 200, body = Session),
              (status = 401, body = ApiError, description = "`invalid_credentials`: email or password wrong (one answer for both)."),
              (status = 403, body = ApiError, description = "`user_blocked` or `user_not_approved` (only with the right password)."),
              (status = 429, body = ApiError, description = "`rate_limited`: too many wrong passwords for the account or from the address.",
               headers(("Retry-After" = u64, description = "Seconds until the limit lets go.")))))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    ApiJson(request): ApiJson<LoginRequest>,
) -> ApiResult<Json<Session>> {
    let email = request.email.trim().to_lowercase();
    // An email no account can have (too long, control characters such as NUL, which the
    // database refuses in text) is answered like an unknown one, without touching the
    // database with it.
    let plausible = plausible_email(&email);
    let limits = PasswordLimits::new(addr, plausible.then_some(email.as_str()));
    // Every attempt counts until the password proves right (see `count_attempt`).
    limits.count(&state).await?;
    let row: Option<(Uuid, bool, Option<String>, Option<bool>)> = if plausible {
        sqlx::query_as(
            "SELECT u.id_usuario, u.aprobado, c.password_hash, c.bloqueado \
               FROM usuarios u LEFT JOIN sync_credenciales c ON c.id_usuario = u.id_usuario \
              WHERE lower(u.email) = $1",
        )
        .bind(&email)
        .fetch_optional(&state.pool)
        .await?
    } else {
        None
    };
    let hash = row.as_ref().and_then(|(_, _, hash, _)| hash.clone()).unwrap_or_else(|| DUMMY_HASH.to_owned());
    let verified = verify_password_blocking(request.password, hash).await;
    let user = match row {
        Some((id_usuario, aprobado, Some(_), bloqueado)) if verified => {
            (id_usuario, aprobado, bloqueado.unwrap_or(false))
        }
        _ => {
            return Err(ApiFailure::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::InvalidCredentials,
                "Email or password is wrong.",
            ));
        }
    };
    let (id_usuario, aprobado, bloqueado) = user;
    if bloqueado || !aprobado {
        // The right password is not a failure, whatever the account's state.
        limits.forgive(&state.pool).await?;
    }
    if bloqueado {
        return Err(ApiFailure::new(
            StatusCode::FORBIDDEN,
            ErrorCode::UserBlocked,
            "The account is blocked; ask an administrator.",
        ));
    }
    if !aprobado {
        return Err(ApiFailure::new(
            StatusCode::FORBIDDEN,
            ErrorCode::UserNotApproved,
            "The account is waiting for an administrator's approval.",
        ));
    }
    limits.succeeded(&state.pool).await?;
    Ok(Json(new_session(&state.pool, &state, id_usuario).await?))
}

#[utoipa::path(post, path = "/v1/auth/refresh", request_body = RefreshRequest,
    responses((status = 200, body = Session), (status = 401, body = taller_protocol::messages::ApiError)))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<RefreshRequest>,
) -> ApiResult<Json<Session>> {
    let mut tx = state.pool.begin().await?;
    // Rotation: the old session row is revoked and a new one issued in one transaction, so a
    // refresh token works exactly once.
    let row: Option<(Uuid, Uuid)> = sqlx::query_as(
        "UPDATE sync_sesiones s SET revocada_en = now() \
           FROM usuarios u LEFT JOIN sync_credenciales c ON c.id_usuario = u.id_usuario \
          WHERE s.refresh_hash = $1 AND s.revocada_en IS NULL AND s.refresh_expira_en > now() \
            AND u.id_usuario = s.id_usuario AND u.aprobado AND NOT COALESCE(c.bloqueado, false) \
          RETURNING s.id_sesion, s.id_usuario",
    )
    .bind(token_hash(&request.refresh_token))
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    let Some((_, id_usuario)) = row else {
        return Err(ApiFailure::unauthorized("The refresh token is not valid any more; sign in again."));
    };
    Ok(Json(new_session(&state.pool, &state, id_usuario).await?))
}

#[utoipa::path(post, path = "/v1/auth/logout", responses((status = 204)), security(("bearer" = [])))]
pub async fn logout(State(state): State<AppState>, user: AuthUser) -> ApiResult<StatusCode> {
    sqlx::query("UPDATE sync_sesiones SET revocada_en = now() WHERE id_sesion = $1")
        .bind(user.id_sesion)
        .execute(&state.pool)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/auth/password", request_body = ChangePasswordRequest,
    responses((status = 200, body = Session),
              (status = 401, body = ApiError, description = "`invalid_credentials`: the current password is wrong; \
                 `unauthorized`: the session is closed (the server closes it after 10 failed changes by default)."),
              (status = 422, body = ApiError, description = "`invalid_request`: the new password is too short."),
              (status = 429, body = ApiError, description = "`rate_limited`: too many wrong passwords for the account or from the address.",
               headers(("Retry-After" = u64, description = "Seconds until the limit lets go.")))),
    security(("bearer" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    user: AuthUser,
    ApiJson(request): ApiJson<ChangePasswordRequest>,
) -> ApiResult<Json<Session>> {
    check_new_password(&request.new_password)?;
    // Counted before anything is checked, in one statement, for the reason `count_attempt`
    // gives: concurrent guesses through one session cannot slip past the count.
    let failures: Option<i32> = sqlx::query_scalar(
        "UPDATE sync_sesiones SET intentos_fallidos = intentos_fallidos + 1 \
          WHERE id_sesion = $1 AND revocada_en IS NULL RETURNING intentos_fallidos",
    )
    .bind(user.id_sesion)
    .fetch_optional(&state.pool)
    .await?;
    let Some(failures) = failures else {
        return Err(ApiFailure::unauthorized("The session was closed; sign in again."));
    };
    let account: Option<(String, Option<String>)> = sqlx::query_as(
        "SELECT lower(u.email), c.password_hash FROM usuarios u \
           LEFT JOIN sync_credenciales c ON c.id_usuario = u.id_usuario WHERE u.id_usuario = $1",
    )
    .bind(user.id_usuario)
    .fetch_optional(&state.pool)
    .await?;
    let (email, current) = account.unwrap_or_default();
    let limits = PasswordLimits::new(addr, Some(email.as_str()).filter(|email| !email.is_empty()));
    let verified = match limits.count(&state).await {
        Ok(()) if failures <= state.config.password_attempts_per_session => {
            let current = current.unwrap_or_else(|| DUMMY_HASH.to_owned());
            verify_password_blocking(request.current_password, current).await
        }
        Ok(()) => false,
        Err(limited) if limited.code == ErrorCode::RateLimited => {
            return Err(session_failure(&state, &user, failures, limited).await?);
        }
        Err(other) => return Err(other),
    };
    if !verified {
        let wrong =
            ApiFailure::new(StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials, "The current password is wrong.");
        return Err(session_failure(&state, &user, failures, wrong).await?);
    }
    limits.succeeded(&state.pool).await?;
    let hash = hash_password_blocking(request.new_password).await?;
    let mut tx = state.pool.begin().await?;
    set_password(&mut tx, user.id_usuario, &hash).await?;
    tx.commit().await?;
    Ok(Json(new_session(&state.pool, &state, user.id_usuario).await?))
}

/// The answer to a failed password change: `failure` itself, or, once the session has failed
/// `password_attempts_per_session` times, the session revoked (access and refresh token) so
/// that whoever holds the token must sign in again, where the limits hold too.
async fn session_failure(
    state: &AppState,
    user: &AuthUser,
    failures: i32,
    failure: ApiFailure,
) -> Result<ApiFailure, sqlx::Error> {
    if failures < state.config.password_attempts_per_session {
        return Ok(failure);
    }
    sqlx::query("UPDATE sync_sesiones SET revocada_en = now() WHERE id_sesion = $1 AND revocada_en IS NULL")
        .bind(user.id_sesion)
        .execute(&state.pool)
        .await?;
    tracing::warn!(session = %user.id_sesion, failures, "session revoked after repeated wrong current passwords");
    Ok(ApiFailure::unauthorized(format!("{failures} failed password changes: this session was closed; sign in again.")))
}

/// Creates an unapproved account; an administrator approves it (`user.approve`).
#[utoipa::path(post, path = "/v1/auth/register", request_body = RegisterRequest,
    responses((status = 201, body = UserProfile), (status = 409, body = taller_protocol::messages::ApiError)))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<UserProfile>)> {
    let email = request.email.trim().to_lowercase();
    let nombre = request.nombre_completo.trim().to_owned();
    if nombre.is_empty()
        || nombre.len() > 200
        || nombre.chars().any(char::is_control)
        || !email.contains('@')
        || !plausible_email(&email)
    {
        return Err(ApiFailure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidRequest,
            "Give a name and a valid email address.",
        ));
    }
    check_new_password(&request.password)?;
    let hash = hash_password_blocking(request.password).await?;
    let mut tx = state.pool.begin().await?;
    let id_usuario = match create_user(&mut tx, &nombre, &email, TECNICO_ROLE_ID, false).await {
        Ok(id) => id,
        Err(CreateUserError::EmailTaken) => {
            return Err(ApiFailure::new(
                StatusCode::CONFLICT,
                ErrorCode::EmailTaken,
                "That email is already registered.",
            ))
        }
        Err(CreateUserError::Db(error)) => return Err(error.into()),
    };
    set_password(&mut tx, id_usuario, &hash).await?;
    let profile = load_profile(&mut tx, id_usuario).await?.ok_or_else(ApiFailure::internal)?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(profile)))
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    /// Another account has this email.
    #[error("email already registered")]
    EmailTaken,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub async fn create_user(
    conn: &mut PgConnection,
    nombre_completo: &str,
    email: &str,
    id_rol: Uuid,
    aprobado: bool,
) -> Result<Uuid, CreateUserError> {
    let result = sqlx::query_scalar(
        "INSERT INTO usuarios (nombre_completo, email, id_rol, aprobado, fecha_aprobacion) \
         VALUES ($1, $2, $3, $4, CASE WHEN $4 THEN now() END) RETURNING id_usuario",
    )
    .bind(nombre_completo)
    .bind(email)
    .bind(id_rol)
    .bind(aprobado)
    .fetch_one(&mut *conn)
    .await;
    match result {
        Ok(id) => Ok(id),
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("23505") => Err(CreateUserError::EmailTaken),
        Err(error) => Err(CreateUserError::Db(error)),
    }
}

#[utoipa::path(get, path = "/v1/me", responses((status = 200, body = UserProfile)), security(("bearer" = [])))]
pub async fn me(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<UserProfile>> {
    let mut conn = state.pool.acquire().await?;
    let profile = load_profile(&mut conn, user.id_usuario).await?.ok_or_else(ApiFailure::internal)?;
    Ok(Json(profile))
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implausible_emails_are_recognised() {
        assert!(plausible_email("tecnico@taller.test"));
        assert!(!plausible_email("nu\0la@taller.test"));
        assert!(!plausible_email("tab\t@taller.test"));
        assert!(!plausible_email(&format!("{}@taller.test", "a".repeat(250))));
    }
}
