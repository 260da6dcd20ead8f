//! Connecting to PostgreSQL and migrating it.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;

/// The server's migrations, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/server");

/// Opens a pool whose sessions run in UTC and which never hands out a connection that is still
/// inside a transaction.
///
/// sqlx 0.8 can return such a connection to the pool: a request cancelled while `BEGIN` is in
/// flight (its client went away) leaves the session in a transaction sqlx does not know about,
/// and the next borrower's statements would run inside it, holding its locks and never
/// committing (upstream: launchbadge/sqlx#4393). The crash test met it as a push that waited
/// forever on the device row. The check replaces sqlx's own ping before every acquire, so it
/// costs no extra round trip; a connection that fails it is closed, which rolls it back.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?.options([("TimeZone", "UTC")]);
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .before_acquire(|conn, _| Box::pin(outside_any_transaction(conn)))
        .connect_with(options)
        .await
}

/// Whether the session is outside any transaction block. Sent as a simple query, so that the
/// statement is its own implicit transaction, which starts when the statement does; inside a
/// block opened by an earlier message the transaction started before it.
async fn outside_any_transaction(conn: &mut sqlx::PgConnection) -> Result<bool, sqlx::Error> {
    use sqlx::{Executor, Row};
    // A `&str` without arguments goes as a simple query.
    let row = conn.fetch_one("SELECT transaction_timestamp() = statement_timestamp()").await?;
    let outside: bool = row.try_get(0)?;
    if !outside {
        tracing::warn!("a pooled connection was still inside a transaction; closed instead of reused");
    }
    Ok(outside)
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// A read-only REPEATABLE READ transaction: one snapshot for everything a pull or a checksum
/// reads.
pub async fn begin_read_snapshot(pool: &PgPool) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY").await
}
