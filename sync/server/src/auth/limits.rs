//! Rate limits of password checks, kept in PostgreSQL so that every server process shares them.

use super::*;

/// A key's attempts within the window, this one included, and the seconds until the window
/// lets go.
pub(super) struct Attempts {
    count: i32,
    retry_after: u64,
}

/// Counts one attempt at a password for `key` (an account or an address). Counting *before*
/// the password is checked, in one atomic upsert, is what makes the limit hold when many
/// attempts arrive at once (or through many server processes): a check followed later by a
/// separate write would let every concurrent attempt through.
pub(super) async fn count_attempt(pool: &PgPool, key: &str, window: chrono::Duration) -> Result<Attempts, sqlx::Error> {
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
pub(super) async fn forgive_attempt(pool: &PgPool, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sync_login_intentos SET intentos = greatest(intentos - 1, 0) WHERE clave = $1")
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}

pub(super) fn rate_limited(retry_after: u64) -> ApiFailure {
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
pub(super) struct PasswordLimits {
    address_key: Option<String>,
    account_key: Option<String>,
}

impl PasswordLimits {
    pub(super) fn new(addr: Option<IpAddr>, email: Option<&str>) -> PasswordLimits {
        PasswordLimits {
            address_key: addr.map(|ip| format!("ip:{ip}")),
            account_key: email.map(|email| format!("email:{email}")),
        }
    }

    /// Counts this attempt, before the password is checked (see `count_attempt`); refuses it
    /// when the address or the account is over its limit.
    pub(super) async fn count(&self, state: &AppState) -> ApiResult<()> {
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
    pub(super) async fn succeeded(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
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
    pub(super) async fn forgive(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        for key in [&self.address_key, &self.account_key].into_iter().flatten() {
            forgive_attempt(pool, key).await?;
        }
        Ok(())
    }
}
