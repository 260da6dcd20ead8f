//! Operator commands (`taller-server user add`, `location add`, `location policy`, `assign`,
//! `unassign`, `user block`): thin functions over SQL, shared by the CLI, the demo data and the
//! tests. Their writes reach the change feed through the capture triggers like any other.

use crate::auth::{create_user, hash_password, revoke_sessions, set_password, CreateUserError};
use sqlx::PgPool;
use taller_domain::stock::NegativeStockPolicy;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No role with that name.
    #[error("there is no role named {0:?} (admin, superuser, tecnico)")]
    UnknownRole(String),
    /// No user with that email.
    #[error("there is no user with email {0:?}")]
    UnknownUser(String),
    /// No location with that name or id.
    #[error("there is no location named {0:?}")]
    UnknownLocation(String),
    /// The email is registered already.
    #[error("the email {0:?} is already registered")]
    EmailTaken(String),
    /// The password is too short.
    #[error("the password needs at least {0} characters")]
    WeakPassword(usize),
    /// Hashing failed.
    #[error("could not hash the password: {0}")]
    Hash(String),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub async fn add_user(
    pool: &PgPool,
    nombre: &str,
    email: &str,
    role: &str,
    password: &str,
    approved: bool,
) -> Result<Uuid, AdminError> {
    if password.chars().count() < crate::auth::MIN_PASSWORD_CHARS {
        return Err(AdminError::WeakPassword(crate::auth::MIN_PASSWORD_CHARS));
    }
    let id_rol: Option<Uuid> =
        sqlx::query_scalar("SELECT id_rol FROM roles WHERE nombre_rol = $1").bind(role).fetch_optional(pool).await?;
    let id_rol = id_rol.ok_or_else(|| AdminError::UnknownRole(role.to_owned()))?;
    let hash = hash_password(password).map_err(|error| AdminError::Hash(error.to_string()))?;
    let email = email.trim().to_lowercase();
    let mut tx = pool.begin().await?;
    let id = match create_user(&mut tx, nombre.trim(), &email, id_rol, approved).await {
        Ok(id) => id,
        Err(CreateUserError::EmailTaken) => return Err(AdminError::EmailTaken(email)),
        Err(CreateUserError::Db(error)) => return Err(error.into()),
    };
    set_password(&mut tx, id, &hash).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn user_id(pool: &PgPool, email: &str) -> Result<Uuid, AdminError> {
    let id: Option<Uuid> = sqlx::query_scalar("SELECT id_usuario FROM usuarios WHERE lower(email) = lower($1)")
        .bind(email.trim())
        .fetch_optional(pool)
        .await?;
    id.ok_or_else(|| AdminError::UnknownUser(email.to_owned()))
}

/// Blocks an account: it cannot sign in, and its sessions end now.
pub async fn block_user(pool: &PgPool, email: &str) -> Result<(), AdminError> {
    let id = user_id(pool, email).await?;
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE sync_credenciales SET bloqueado = true WHERE id_usuario = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    revoke_sessions(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn add_location(
    pool: &PgPool,
    nombre: &str,
    direccion: Option<&str>,
    telefono: Option<&str>,
) -> Result<Uuid, AdminError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO localizacion (nombre, direccion, telefono) VALUES ($1, $2, $3) RETURNING id_localizacion",
    )
    .bind(nombre.trim())
    .bind(direccion)
    .bind(telefono)
    .fetch_one(pool)
    .await?)
}

/// A location by id or by (case-insensitive) name; an id must be one that exists.
pub async fn location_id(pool: &PgPool, name_or_id: &str) -> Result<Uuid, AdminError> {
    let id: Option<Uuid> = sqlx::query_scalar(
        "SELECT id_localizacion FROM localizacion WHERE id_localizacion::text = lower($1) OR lower(nombre) = lower($1) \
         ORDER BY (id_localizacion::text = lower($1)) DESC, created_at LIMIT 1",
    )
    .bind(name_or_id.trim())
    .fetch_optional(pool)
    .await?;
    id.ok_or_else(|| AdminError::UnknownLocation(name_or_id.to_owned()))
}

pub async fn assign(pool: &PgPool, email: &str, location: &str) -> Result<(), AdminError> {
    let id_usuario = user_id(pool, email).await?;
    let id_localizacion = location_id(pool, location).await?;
    sqlx::query(
        "INSERT INTO usuarios_localizacion (id_usuario, id_localizacion) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(id_usuario)
    .bind(id_localizacion)
    .execute(pool)
    .await?;
    Ok(())
}

/// Removes a user from a location; returns whether they were assigned to it. Their devices'
/// next pull deletes the location's rows from their replicas.
pub async fn unassign(pool: &PgPool, email: &str, location: &str) -> Result<bool, AdminError> {
    let id_usuario = user_id(pool, email).await?;
    let id_localizacion = location_id(pool, location).await?;
    let removed = sqlx::query("DELETE FROM usuarios_localizacion WHERE id_usuario = $1 AND id_localizacion = $2")
        .bind(id_usuario)
        .bind(id_localizacion)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(removed > 0)
}

/// Sets a location's negative-stock policy (`location.policy` for operators).
pub async fn set_location_policy(pool: &PgPool, location: &str, policy: NegativeStockPolicy) -> Result<(), AdminError> {
    let id_localizacion = location_id(pool, location).await?;
    sqlx::query(
        "INSERT INTO localizacion_politicas (id_localizacion, stock_negativo) VALUES ($1, $2) \
         ON CONFLICT (id_localizacion) DO UPDATE SET stock_negativo = EXCLUDED.stock_negativo",
    )
    .bind(id_localizacion)
    .bind(policy.as_str())
    .execute(pool)
    .await?;
    Ok(())
}
