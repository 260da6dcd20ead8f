//! Server settings. Every field has a flag and an environment variable (see `main.rs`).

use chrono::Duration;

#[derive(Debug, Clone)]
pub struct Config {
    /// How long an access token lives.
    pub access_ttl: Duration,
    /// How long a refresh token lives.
    pub refresh_ttl: Duration,
    /// How far back a person's action may be dated (contract invariant 10).
    pub backdate_window: Duration,
    /// Wrong passwords allowed per account and per address within `login_window`, at sign-in
    /// and at a password change alike.
    pub login_attempts_per_account: i32,
    pub login_attempts_per_address: i32,
    pub login_window: Duration,
    /// Failed password changes (wrong or refused by the limits) after which the session that
    /// made them is revoked.
    pub password_attempts_per_session: i32,
    /// Most rows in one pull page.
    pub max_page_rows: u32,
    /// Mutations applied per database transaction within a push.
    pub push_chunk: usize,
    /// Apply runs of technician movements set-based (`mutations::batch`); off, every mutation
    /// goes through its handler alone (same outcome, several times the statements).
    pub batch_movements: bool,
    /// Interval of the live channel's keep-alive comments.
    pub keepalive: std::time::Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            access_ttl: Duration::hours(1),
            refresh_ttl: Duration::days(30),
            backdate_window: taller_domain::tiempo::DEFAULT_BACKDATE_WINDOW,
            login_attempts_per_account: 5,
            login_attempts_per_address: 30,
            login_window: Duration::minutes(15),
            password_attempts_per_session: 10,
            max_page_rows: 5000,
            push_chunk: 200,
            batch_movements: true,
            keepalive: std::time::Duration::from_secs(15),
        }
    }
}
