//! The background sync engine: syncs periodically (default every 30 s), soon after a local
//! write (debounced), at once when the server's live channel says something changed, and
//! after failures with exponential back-off and jitter, capped. Coming back online (the live
//! channel reconnects) syncs at once.

use crate::error::ClientError;
use crate::session::Session;
use crate::sync::SyncReport;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub interval: Duration,
    pub debounce: Duration,
    pub backoff_start: Duration,
    pub backoff_cap: Duration,
}

impl Default for EngineConfig {
    fn default() -> EngineConfig {
        EngineConfig {
            interval: Duration::from_secs(30),
            debounce: Duration::from_millis(300),
            backoff_start: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(60),
        }
    }
}

/// The delay before retry number `attempt` (0-based): exponential, capped, with "full jitter"
/// between half and all of it so many clients do not retry in step.
pub fn backoff(config: &EngineConfig, attempt: u32, rng: &mut impl Rng) -> Duration {
    let exponential = config.backoff_start.saturating_mul(2u32.saturating_pow(attempt.min(20)));
    let capped = exponential.min(config.backoff_cap);
    let millis = u64::try_from(capped.as_millis()).unwrap_or(u64::MAX).max(1);
    Duration::from_millis(rng.gen_range(millis / 2..=millis))
}

/// Told the outcome of every sync the engine runs (the desktop shell turns them into events:
/// the tables a pull changed, the last errors).
pub type Observer = Arc<dyn Fn(&Result<SyncReport, ClientError>) + Send + Sync>;

/// Syncs `session` until `stop` is notified (a user switch stops it and runs another).
pub async fn run(session: Arc<Session>, config: EngineConfig, stop: Arc<Notify>) {
    run_observed(session, config, stop, Arc::new(|_| {})).await;
}

/// [`run`], telling `observer` the outcome of each sync.
pub async fn run_observed(session: Arc<Session>, config: EngineConfig, stop: Arc<Notify>, observer: Observer) {
    let changed = Arc::new(Notify::new());
    let live = tokio::spawn(live_channel(session.clone(), changed.clone()));
    let mut failures: u32 = 0;
    let mut rng = rand::rngs::StdRng::from_entropy();
    loop {
        let wait = if failures == 0 { config.interval } else { backoff(&config, failures - 1, &mut rng) };
        tokio::select! {
            () = stop.notified() => break,
            () = tokio::time::sleep(wait) => {}
            () = changed.notified() => {}
            () = session.written.notified() => tokio::time::sleep(config.debounce).await,
        }
        let outcome = session.sync(None, &|_| {}).await;
        observer(&outcome);
        match outcome {
            Ok(_) => failures = 0,
            Err(error) => {
                failures = failures.saturating_add(1);
                tracing::info!(%error, failures, "sync failed; backing off");
            }
        }
    }
    live.abort();
}

/// Listens to the server's live channel; each `changes` event (and each reconnection, which
/// means the network came back) wakes the engine.
async fn live_channel(session: Arc<Session>, changed: Arc<Notify>) {
    use futures::StreamExt;
    let mut delay = Duration::from_millis(500);
    loop {
        let token = crate::sync::access_token(&crate::sync::lock(session.shared()).conn).ok();
        let api = session.api().ok();
        if let (Some(token), Some(api)) = (token, api) {
            if let Ok(response) = api.events(&token).await {
                delay = Duration::from_millis(500);
                changed.notify_one();
                let mut stream = response.bytes_stream();
                let mut buffer = String::new();
                while let Some(Ok(chunk)) = stream.next().await {
                    buffer.push_str(&String::from_utf8_lossy(&chunk));
                    while let Some(end) = buffer.find("\n\n") {
                        let event: String = buffer.drain(..end + 2).collect();
                        if event.lines().any(|line| line.trim() == "event: changes") {
                            changed.notify_one();
                        }
                    }
                }
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(30));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn backoff_grows_exponentially_with_jitter_and_is_capped() {
        let config = EngineConfig::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for attempt in 0..12 {
            let full = config.backoff_start.saturating_mul(2u32.pow(attempt)).min(config.backoff_cap);
            for _ in 0..50 {
                let delay = backoff(&config, attempt, &mut rng);
                assert!(
                    delay <= full && delay >= full / 2,
                    "attempt {attempt}: {delay:?} not in [{:?}, {full:?}]",
                    full / 2
                );
            }
        }
        assert!(backoff(&config, 40, &mut rng) <= config.backoff_cap);
        let spread: std::collections::HashSet<Duration> = (0..20).map(|_| backoff(&config, 5, &mut rng)).collect();
        assert!(spread.len() > 1, "jitter varies the delay");
    }
}
