//! The live channel: server-sent events that tell a client new changes exist, so it pulls at
//! once instead of waiting for its timer. Every server process LISTENs to PostgreSQL's
//! `taller_cambios` notifications, which the feed's trigger raises on commit, so a change
//! pushed to any process wakes clients of every process (invariant 9: the signal is only a
//! hint; correctness lives in the pull cursor).

use crate::auth::AuthUser;
use crate::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::Stream;
use sqlx::postgres::PgListener;
use std::convert::Infallible;
use std::time::Duration;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

#[utoipa::path(get, path = "/v1/events",
    responses((status = 200, content_type = "text/event-stream", body = String,
               description = "Server-sent events: `hello` on connect, then `changes` whenever replicated data changed \
                              (data `{}`), and a keep-alive comment every 15 s.")),
    security(("bearer" = [])))]
pub async fn events(
    State(state): State<AppState>,
    _user: AuthUser,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let hello = tokio_stream::once(Ok(Event::default().event("hello").data("{}")));
    let changes = BroadcastStream::new(state.changes.subscribe())
        // A lagged receiver missed signals, which is the same as one more signal.
        .map(|_| Ok(Event::default().event("changes").data("{}")));
    Sse::new(hello.chain(changes)).keep_alive(KeepAlive::new().interval(state.config.keepalive))
}

/// Forwards PostgreSQL notifications to the process's subscribers until the sender closes.
/// Reconnects with a bounded back-off when the database goes away.
pub async fn run_listener(url: String, state: AppState) {
    let mut delay = Duration::from_millis(200);
    loop {
        match listen_once(&url, &state).await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(%error, "change listener lost its connection; retrying");
                // Clients may have missed a signal while the listener was down.
                let _receivers = state.changes.send(());
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

async fn listen_once(url: &str, state: &AppState) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen("taller_cambios").await?;
    loop {
        listener.recv().await?;
        // No receivers is fine: nobody is connected to this process right now.
        let _receivers = state.changes.send(());
    }
}
