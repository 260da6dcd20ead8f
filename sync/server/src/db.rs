//! Connecting to PostgreSQL and migrating it.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;

/// The server's migrations, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/server");

/// Opens a pool whose sessions run in UTC.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, sqlx::Error> {
    let options = PgConnectOptions::from_str(url)?.options([("TimeZone", "UTC")]);
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
}

pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    MIGRATOR.run(pool).await
}

/// A read-only REPEATABLE READ transaction: one snapshot for everything a pull or a checksum
/// reads. A pooled connection can come back still inside a transaction that a cancelled request
/// left (a client that disconnected mid-request): the isolation level is then refused
/// (SQLSTATE 25001). Dropping that transaction rolls the connection back to a clean state, so
/// the snapshot is asked for once more before the error is reported.
pub async fn begin_read_snapshot(pool: &PgPool) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
    const SNAPSHOT: &str = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";
    let mut tx = pool.begin().await?;
    match sqlx::query(SNAPSHOT).execute(&mut *tx).await {
        Ok(_) => Ok(tx),
        Err(sqlx::Error::Database(error)) if error.code().as_deref() == Some("25001") => {
            tracing::warn!(%error, "a connection came back inside a transaction; rolled back, trying again");
            tx.rollback().await?;
            let mut tx = pool.begin().await?;
            sqlx::query(SNAPSHOT).execute(&mut *tx).await?;
            Ok(tx)
        }
        Err(error) => Err(error),
    }
}
