//! What every request handler shares. Nothing here is needed for correctness across requests
//! (contract invariant 9): the pool and settings are configuration, and the change signal is
//! only a hint that makes clients pull sooner.

use crate::config::Config;
use sqlx::PgPool;
use std::sync::Arc;
use tokio::sync::broadcast;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    /// Fires when PostgreSQL reports new changes (LISTEN taller_cambios).
    pub changes: broadcast::Sender<()>,
}

impl AppState {
    pub fn new(pool: PgPool, config: Config) -> AppState {
        let (changes, _) = broadcast::channel(16);
        AppState { pool, config: Arc::new(config), changes }
    }
}
