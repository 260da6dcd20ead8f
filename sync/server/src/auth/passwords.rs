//! Passwords: argon2id hashes (verified off the async threads), the dummy hash that makes an
//! unknown email cost a full verification, and the rules for a new password.

use super::*;

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
pub(super) async fn verify_password_blocking(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false)
}

pub(super) async fn hash_password_blocking(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password)).await.map_err(|_| ApiFailure::internal())?.map_err(
        |error| {
            tracing::error!(%error, "password hashing failed");
            ApiFailure::internal()
        },
    )
}

/// A fixed argon2id hash to verify against when the email is unknown, so that the answer
/// takes as long as for a known email.
pub(super) const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4GmRgqI3pP1v6gpE2r2+1n0jV3b7s0qJmK1Y9X0r6yI";

pub(super) fn check_new_password(password: &str) -> ApiResult<()> {
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
}
