//! Catching Ctrl-C and SIGTERM (safely, through tokio) so that a command can clean up.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use tokio::signal::unix::{signal, SignalKind};

/// Which signals arrived since [`catch`].
#[derive(Clone, Default)]
pub struct Caught {
    interrupt: Arc<AtomicBool>,
    terminate: Arc<AtomicBool>,
}

impl Caught {
    /// Whether SIGINT (Ctrl-C) arrived. The terminal sends it to the whole foreground process
    /// group, so our children got it too.
    pub fn interrupted(&self) -> bool {
        self.interrupt.load(Ordering::SeqCst)
    }

    /// Whether SIGTERM arrived. It was sent to us alone: children must be told.
    pub fn terminated(&self) -> bool {
        self.terminate.load(Ordering::SeqCst)
    }

    /// Whether either arrived.
    pub fn any(&self) -> bool {
        self.interrupted() || self.terminated()
    }
}

/// From now on SIGINT and SIGTERM no longer kill this process: they are recorded in the
/// returned flags, for the caller to clean up and exit.
pub fn catch() -> Result<Caught> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("could not start the signal-handling runtime")?;
    let (mut interrupt, mut terminate) = {
        let _guard = runtime.enter();
        (
            signal(SignalKind::interrupt()).context("could not catch SIGINT")?,
            signal(SignalKind::terminate()).context("could not catch SIGTERM")?,
        )
    };
    let caught = Caught::default();
    let flags = caught.clone();
    std::thread::spawn(move || {
        runtime.block_on(async move {
            loop {
                tokio::select! {
                    Some(()) = interrupt.recv() => flags.interrupt.store(true, Ordering::SeqCst),
                    Some(()) = terminate.recv() => flags.terminate.store(true, Ordering::SeqCst),
                    else => break,
                }
            }
        });
    });
    Ok(caught)
}
