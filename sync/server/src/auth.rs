//! Accounts and authority: argon2id password hashes, opaque bearer tokens stored as SHA-256
//! hashes, refresh with rotation, revocation, and login rate limits kept in PostgreSQL (so any
//! number of server processes share them).

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

/// Hashes a password with argon2id (the crate's defaults follow current OWASP advice).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default().hash_password(password.as_bytes(), &salt)?.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// Verifying costs ~20 ms of CPU: keep it off the async workers.
async fn verify_password_blocking(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false)
}

async fn hash_password_blocking(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(|_| ApiFailure::internal())?.map_err(
        |error| {
            tracing::error!(%error, "password hashing failed");
            ApiFailure::internal()
        },
    )
}

fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are random 256-bit values, so a fast hash is enough to keep them useless if the
/// table leaks.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A session with what decides whether it still grants access: (id_sesion, id_usuario,
/// expira_en, revocada_en, aprobado, bloqueado, nombre_rol, permisos).
type SessionRow = (Uuid, Uuid, DateTime<Utc>, Option<DateTime<Utc>>, bool, Option<bool>, String, serde_json::Value);

/// The signed-in user of a request.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id_usuario: Uuid,
    pub id_sesion: Uuid,
    pub nombre_rol: String,
    pub permisos: Permisos,
    pub is_admin: bool,
    pub lang: Lang,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts.headers.get(header::AUTHORIZATION))?;
        let lang = request_lang(parts);
        let row: Option<SessionRow> = sqlx::query_as(
            "SELECT s.id_sesion, s.id_usuario, s.expira_en, s.revocada_en, u.aprobado, \
                        c.bloqueado, r.nombre_rol, r.permisos \
                   FROM sync_sesiones s \
                   JOIN usuarios u ON u.id_usuario = s.id_usuario \
                   JOIN roles r ON r.id_rol = u.id_rol \
                   LEFT JOIN sync_credenciales c ON c.id_usuario = s.id_usuario \
                  WHERE s.token_hash = $1",
        )
        .bind(token_hash(token))
        .fetch_optional(&state.pool)
        .await?;
        let Some((id_sesion, id_usuario, expira_en, revocada_en, aprobado, bloqueado, nombre_rol, permisos)) = row
        else {
            return Err(ApiFailure::unauthorized("The token is not valid; sign in again."));
        };
        if revocada_en.is_some() {
            return Err(ApiFailure::unauthorized("The session was closed; sign in again."));
        }
        if bloqueado.unwrap_or(false) {
            return Err(ApiFailure::new(StatusCode::FORBIDDEN, ErrorCode::UserBlocked, "The account is blocked."));
        }
        if !aprobado {
            return Err(ApiFailure::new(
                StatusCode::FORBIDDEN,
                ErrorCode::UserNotApproved,
                "The account is not approved by an administrator.",
            ));
        }
        if expira_en <= Utc::now() {
            return Err(ApiFailure::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::TokenExpired,
                "The access token expired; refresh it.",
            ));
        }
        Ok(AuthUser {
            id_usuario,
            id_sesion,
            is_admin: nombre_rol == ADMIN_ROLE,
            nombre_rol,
            permisos: Permisos::from_json(&permisos),
            lang,
        })
    }
}

/// The token of an `Authorization: Bearer <token>` header. The scheme is case-insensitive and
/// one or more spaces separate it from the token (RFC 9110 §11.1 and §11.4), so `bearer x`
/// and `BEARER  x` are the same credentials as `Bearer x`.
fn bearer_token(value: Option<&HeaderValue>) -> Result<&str, ApiFailure> {
    let value = value.ok_or_else(|| ApiFailure::unauthorized("Sign in first: no bearer token was sent."))?;
    let text = value.to_str().map_err(|_| {
        ApiFailure::unauthorized(
            "The Authorization header has characters other than visible ASCII; send `Bearer <token>` as the server issued it.",
        )
    })?;
    let malformed = || ApiFailure::unauthorized("The Authorization header must be `Bearer <token>`.");
    let (scheme, token) = text.trim().split_once(' ').ok_or_else(malformed)?;
    let token = token.trim_start_matches(' ');
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(malformed());
    }
    Ok(token)
}

/// The language of the request's person: `Accept-Language`, Spanish by default.
pub fn request_lang(parts: &Parts) -> Lang {
    parts
        .headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .map(Lang::from_tag)
        .unwrap_or_default()
}

/// The peer address, when the server runs with connection info (tests driving the router
/// directly have none).
pub struct ClientAddr(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())))
    }
}

/// The user's profile with role, permissions and assigned locations.
pub async fn load_profile(conn: &mut PgConnection, id_usuario: Uuid) -> Result<Option<UserProfile>, sqlx::Error> {
    let row: Option<(Uuid, String, String, Uuid, String, serde_json::Value)> = sqlx::query_as(
        "SELECT u.id_usuario, u.nombre_completo, u.email, u.id_rol, r.nombre_rol, r.permisos \
           FROM usuarios u JOIN roles r ON r.id_rol = u.id_rol WHERE u.id_usuario = $1",
    )
    .bind(id_usuario)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((id_usuario, nombre_completo, email, id_rol, nombre_rol, permisos)) = row else {
        return Ok(None);
    };
    let localizaciones: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id_localizacion FROM usuarios_localizacion WHERE id_usuario = $1 ORDER BY id_localizacion",
    )
    .bind(id_usuario)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(UserProfile {
        id_usuario,
        nombre_completo,
        email,
        id_rol,
        is_admin: nombre_rol == ADMIN_ROLE,
        nombre_rol,
        permisos,
        localizaciones,
    }))
}

async fn new_session(pool: &PgPool, state: &AppState, id_usuario: Uuid) -> ApiResult<Session> {
    let access_token = new_token();
    let refresh_token = new_token();
    let now = Utc::now();
    let expires_at = now + state.config.access_ttl;
    let refresh_expires_at = now + state.config.refresh_ttl;
    let mut conn = pool.acquire().await?;
    sqlx::query(
        "INSERT INTO sync_sesiones (id_usuario, token_hash, refresh_hash, expira_en, refresh_expira_en) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id_usuario)
    .bind(token_hash(&access_token))
    .bind(token_hash(&refresh_token))
    .bind(expires_at)
    .bind(refresh_expires_at)
    .execute(&mut *conn)
    .await?;
    let user = load_profile(&mut conn, id_usuario).await?.ok_or_else(ApiFailure::internal)?;
    Ok(Session { access_token, refresh_token, expires_at, refresh_expires_at, user })
}

/// A key's attempts within the window, this one included, and the seconds until the window
/// lets go.
struct Attempts {
    count: i32,
    retry_after: u64,
}

/// Counts one attempt at a password for `key` (an account or an address). Counting *before*
/// the password is checked, in one atomic upsert, is what makes the limit hold when many
/// attempts arrive at once (or through many server processes): a check followed later by a
/// separate write would let every concurrent attempt through.
async fn count_attempt(pool: &PgPool, key: &str, window: chrono::Duration) -> Result<Attempts, sqlx::Error> {
    let (count, retry_after): (i32, i64) = sqlx::query_as(
        "INSERT INTO sync_login_intentos (clave, ventana_inicio, intentos) VALUES ($1, now(), 1) \
         ON CONFLICT (clave) DO UPDATE SET \
           intentos = CASE WHEN sync_login_intentos.ventana_inicio > now() - $2::interval \
                           THEN sync_login_intentos.intentos + 1 ELSE 1 END, \
           ventana_inicio = CASE WHEN sync_login_intentos.ventana_inicio > now() - $2::interval \
                           THEN sync_login_intentos.ventana_inicio ELSE now() END \
         RETURNING intentos, \
                   greatest(ceil(extract(epoch FROM ventana_inicio + $2::interval - now())), 1)::bigint",
    )
    .bind(key)
    .bind(format!("{} seconds", window.num_seconds()))
    .fetch_one(pool)
    .await?;
    Ok(Attempts { count, retry_after: u64::try_from(retry_after).unwrap_or(1) })
}

/// Takes back an attempt that turned out not to be a failure (the password was right).
async fn forgive_attempt(pool: &PgPool, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sync_login_intentos SET intentos = greatest(intentos - 1, 0) WHERE clave = $1")
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}

fn rate_limited(retry_after: u64) -> ApiFailure {
    ApiFailure::new(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        "Too many wrong passwords; wait a few minutes (Retry-After says how long) and try again.",
    )
    .with_retry_after(retry_after)
}

/// The keys one password check counts against: the address it came from and the account
/// whose password it tries. Sign-in and password change share them, so a stolen access token
/// gives no more guesses than the sign-in form.
struct PasswordLimits {
    address_key: Option<String>,
    account_key: Option<String>,
}

impl PasswordLimits {
    fn new(addr: Option<IpAddr>, email: Option<&str>) -> PasswordLimits {
        PasswordLimits {
            address_key: addr.map(|ip| format!("ip:{ip}")),
            account_key: email.map(|email| format!("email:{email}")),
        }
    }

    /// Counts this attempt, before the password is checked (see `count_attempt`); refuses it
    /// when the address or the account is over its limit.
    async fn count(&self, state: &AppState) -> ApiResult<()> {
        let window = state.config.login_window;
        if let Some(key) = &self.address_key {
            let attempts = count_attempt(&state.pool, key, window).await?;
            if attempts.count > state.config.login_attempts_per_address {
                return Err(rate_limited(attempts.retry_after));
            }
        }
        if let Some(key) = &self.account_key {
            let attempts = count_attempt(&state.pool, key, window).await?;
            if attempts.count > state.config.login_attempts_per_account {
                return Err(rate_limited(attempts.retry_after));
            }
        }
        Ok(())
    }

    /// The password was right: this attempt was not a failure, and the account's earlier
    /// failures are forgotten.
    async fn succeeded(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        if let Some(key) = &self.address_key {
            forgive_attempt(pool, key).await?;
        }
        if let Some(key) = &self.account_key {
            sqlx::query("DELETE FROM sync_login_intentos WHERE clave = $1").bind(key).execute(pool).await?;
        }
        Ok(())
    }

    /// The password was right but the request goes no further (a blocked or unapproved
    /// account): not a failure either, but nothing is forgotten.
    async fn forgive(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        for key in [&self.address_key, &self.account_key].into_iter().flatten() {
            forgive_attempt(pool, key).await?;
        }
        Ok(())
    }
}

/// A fixed argon2id hash to verify against when the email is unknown, so that the answer
/// takes as long as for a known email.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4GmRgqI3pP1v6gpE2r2+1n0jV3b7s0qJmK1Y9X0r6yI";

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

fn check_new_password(password: &str) -> ApiResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(ApiFailure::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidRequest,
            format!("The password needs at least {MIN_PASSWORD_CHARS} characters."),
        ));
    }
    Ok(())
}

/// Stores a new password for a user and closes every session they had.
pub async fn set_password(conn: &mut PgConnection, id_usuario: Uuid, hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sync_credenciales (id_usuario, password_hash) VALUES ($1, $2) \
         ON CONFLICT (id_usuario) DO UPDATE SET password_hash = EXCLUDED.password_hash, cambiada_en = now()",
    )
    .bind(id_usuario)
    .bind(hash)
    .execute(&mut *conn)
    .await?;
    revoke_sessions(conn, id_usuario).await
}

pub async fn revoke_sessions(conn: &mut PgConnection, id_usuario: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sync_sesiones SET revocada_en = now() WHERE id_usuario = $1 AND revocada_en IS NULL")
        .bind(id_usuario)
        .execute(&mut *conn)
        .await?;
    Ok(())
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
    fn password_hash_is_argon2id_and_verifies() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        assert!(!verify_password("x", DUMMY_HASH));
    }

    /// An unknown email must cost a full verification, like a known one: the dummy hash has to
    /// parse, with the same parameters as real hashes.
    #[test]
    fn the_dummy_hash_is_a_real_argon2id_hash_with_current_parameters() {
        let dummy = PasswordHash::new(DUMMY_HASH).expect("the dummy hash parses");
        let real_hash = hash_password("correct horse").expect("hash");
        let real = PasswordHash::new(&real_hash).expect("parses");
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
        assert_eq!(dummy.hash.map(|h| h.len()), real.hash.map(|h| h.len()));
    }

    #[test]
    fn implausible_emails_are_recognised() {
        assert!(plausible_email("tecnico@taller.test"));
        assert!(!plausible_email("nu\0la@taller.test"));
        assert!(!plausible_email("tab\t@taller.test"));
        assert!(!plausible_email(&format!("{}@taller.test", "a".repeat(250))));
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        let parse = |text: &[u8]| {
            let value = HeaderValue::from_bytes(text).expect("header value");
            bearer_token(Some(&value)).map(str::to_owned).map_err(|failure| failure.message)
        };
        for text in [&b"Bearer abc"[..], b"bearer abc", b"BEARER abc", b"bEaReR   abc", b"Bearer abc "] {
            assert_eq!(parse(text).as_deref(), Ok("abc"), "{}", String::from_utf8_lossy(text));
        }
        for text in [&b"Basic abc"[..], b"Bearer", b"Bearer ", b"abc", b"Bearerabc", b"Bearer\tabc"] {
            assert!(parse(text).is_err_and(|m| m.contains("`Bearer <token>`")), "{}", String::from_utf8_lossy(text));
        }
        assert!(parse(b"Bearer \xff\xfe").is_err_and(|m| m.contains("visible ASCII")));
        assert!(bearer_token(None).is_err_and(|f| f.message.contains("no bearer token")));
    }

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let a = new_token();
        let b = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}
