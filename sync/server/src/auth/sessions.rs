//! Sessions: opaque bearer tokens (stored only as SHA-256 hashes), issuing, rotation and
//! revocation, and the profile a session carries.

use super::*;

pub(super) fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Tokens are random 256-bit values, so a fast hash is enough to keep them useless if the
/// table leaks.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
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

pub(super) async fn new_session(pool: &PgPool, state: &AppState, id_usuario: Uuid) -> ApiResult<Session> {
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

pub async fn revoke_sessions(conn: &mut PgConnection, id_usuario: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sync_sesiones SET revocada_en = now() WHERE id_usuario = $1 AND revocada_en IS NULL")
        .bind(id_usuario)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
