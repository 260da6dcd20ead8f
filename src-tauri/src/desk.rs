//! The shell's managed state: the workstation, the sync engine that runs for the signed-in
//! user's session, and the few facts the shell keeps itself (the last sync errors, the demo
//! accounts). Commands reach the library only through [`Desk::with`] (the signed-in user's
//! [`Session`], `&self`, shared with the engine), [`Desk::workstation`] (its settings and
//! users) or [`Desk::switch`] (workstation changes: sign in, unlock, sign out, settings).

use crate::error::{CommandError, CommandResult};
use crate::events::{ChangeSource, SyncStatusEvent, TablesChanged};
use crate::notify::Notifier;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use taller_client::app::SyncError;
use taller_client::engine::{self, Observer};
use taller_client::{ClientError, Session, Workstation};
use tauri::async_runtime::JoinHandle;
use tauri::AppHandle;
use tauri_specta::Event;
use tokio::sync::Notify;

/// How many failed sync attempts the sync panel lists.
const RECENT_ERRORS: usize = 20;

/// A demo account the sign-in screen offers (only when the shell runs against the demo server).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, specta::Type)]
pub struct DemoAccount {
    pub email: String,
    pub password: String,
    pub nombre_completo: String,
    pub nombre_rol: String,
}

pub struct Desk {
    data_dir: PathBuf,
    app: AppHandle,
    workstation: RwLock<Arc<Workstation>>,
    /// One workstation change at a time (a sign-in while another runs waits).
    switching: tokio::sync::Mutex<()>,
    engine: Mutex<Option<Running>>,
    errors: Arc<Mutex<VecDeque<SyncError>>>,
    notifier: Arc<Notifier>,
    pub demo: Option<Vec<DemoAccount>>,
}

/// The engine and the status forwarder of the signed-in user.
struct Running {
    stop: Arc<Notify>,
    engine: JoinHandle<()>,
    status: JoinHandle<()>,
}

impl Desk {
    /// Opens the workstation in `data_dir`; `server` is used when the workstation has none yet.
    pub fn open(
        app: AppHandle,
        data_dir: PathBuf,
        server: Option<&str>,
        demo: Option<Vec<DemoAccount>>,
    ) -> anyhow::Result<Desk> {
        let mut workstation = Workstation::open(&data_dir)?;
        if let Some(server) = server {
            if workstation.settings().server_url.is_none() {
                workstation.connect(server)?;
            }
        }
        let notifier = Arc::new(Notifier::new(app.clone()));
        Ok(Desk {
            data_dir,
            app,
            workstation: RwLock::new(Arc::new(workstation)),
            switching: tokio::sync::Mutex::new(()),
            engine: Mutex::new(None),
            errors: Arc::new(Mutex::new(VecDeque::new())),
            notifier,
            demo,
        })
    }

    /// The workstation as it is now (its settings, its users, who is signed in).
    pub fn workstation(&self) -> Arc<Workstation> {
        match self.workstation.read() {
            Ok(workstation) => workstation.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The signed-in user's session (shared with the engine); `not_signed_in` otherwise.
    pub fn session(&self) -> CommandResult<Arc<Session>> {
        let workstation = self.workstation();
        workstation.session().map_err(|error| CommandError::from_client(&error, workstation.lang()))
    }

    /// Runs `f` over the signed-in user's session, its error in the workstation's language.
    pub fn with<T>(&self, f: impl FnOnce(&Session) -> Result<T, ClientError>) -> CommandResult<T> {
        let session = self.session()?;
        f(&session).map_err(|error| CommandError::from_client(&error, session.lang()))
    }

    /// Runs `f` over the workstation (who signed in here, its settings).
    pub fn with_workstation<T>(&self, f: impl FnOnce(&Workstation) -> Result<T, ClientError>) -> CommandResult<T> {
        let workstation = self.workstation();
        f(&workstation).map_err(|error| CommandError::from_client(&error, workstation.lang()))
    }

    /// A workstation change: the engine stops, `f` works on a freshly opened workstation (what
    /// is on disk now, which another process such as the CLI may have changed), which then
    /// becomes the current one, and the engine starts again for whoever is signed in. Every
    /// screen refetches (the user may have changed).
    pub async fn switch<T, F>(&self, f: F) -> CommandResult<T>
    where
        F: AsyncFnOnce(&mut Workstation) -> Result<T, ClientError>,
    {
        let _one = self.switching.lock().await;
        self.stop_engine();
        let mut workstation =
            Workstation::open(&self.data_dir).map_err(|error| CommandError::from_client(&error, Default::default()))?;
        let outcome = f(&mut workstation).await;
        let lang = workstation.lang();
        self.install(workstation);
        self.start_engine();
        self.emit_status();
        emitted(TablesChanged::everything().emit(&self.app));
        outcome.map_err(|error| CommandError::from_client(&error, lang))
    }

    fn install(&self, workstation: Workstation) {
        let workstation = Arc::new(workstation);
        match self.workstation.write() {
            Ok(mut current) => *current = workstation,
            Err(poisoned) => *poisoned.into_inner() = workstation,
        }
    }

    /// Sends the current status to the UI.
    pub fn emit_status(&self) {
        if let Ok(status) = self.workstation().sync_status() {
            emitted(SyncStatusEvent(status).emit(&self.app));
        }
    }

    /// Tells the UI what a local action wrote.
    pub fn local_change(&self, mutation_tables: &[&str]) {
        let mut tables: Vec<String> = mutation_tables.iter().map(|table| (*table).to_owned()).collect();
        tables.push("outbox".to_owned());
        emitted(TablesChanged { tables, source: ChangeSource::Local }.emit(&self.app));
    }

    /// A sync the shell ran (the UI's "sync now"): the same events as the engine's.
    pub fn synced(&self, session: &Session, outcome: &Result<taller_client::SyncReport, ClientError>) {
        observe(&self.app, session, &self.errors, &self.notifier, outcome);
    }

    pub fn recent_errors(&self) -> Vec<SyncError> {
        match self.errors.lock() {
            Ok(errors) => errors.iter().cloned().collect(),
            Err(poisoned) => poisoned.into_inner().iter().cloned().collect(),
        }
    }

    /// Starts the engine for the signed-in user (nothing when nobody is).
    pub fn start_engine(&self) {
        let workstation = self.workstation();
        // Nobody signed in, or a user unlocked offline after signing out: there is no session
        // with the server to sync with (the status says so; an online sign-in starts the engine).
        let Some(client) = workstation.current().cloned() else { return };
        if !client.status().is_ok_and(|status| status.signed_in) {
            return;
        }
        self.notifier.prime(&client);
        let config = workstation.engine_config();
        let stop = Arc::new(Notify::new());
        let observer: Observer = {
            let (app, client, errors, notifier) =
                (self.app.clone(), client.clone(), self.errors.clone(), self.notifier.clone());
            Arc::new(move |outcome| observe(&app, &client, &errors, &notifier, outcome))
        };
        let engine = tauri::async_runtime::spawn(engine::run_observed(client.clone(), config, stop.clone(), observer));
        let app = self.app.clone();
        let status = tauri::async_runtime::spawn(async move {
            let mut changes = client.subscribe();
            loop {
                if let Ok(status) = client.sync_status() {
                    emitted(SyncStatusEvent(status).emit(&app));
                }
                if changes.changed().await.is_err() {
                    break;
                }
            }
        });
        let running = Running { stop, engine, status };
        if let Some(previous) = self.replace_engine(Some(running)) {
            previous.halt();
        }
    }

    pub fn stop_engine(&self) {
        if let Some(running) = self.replace_engine(None) {
            running.halt();
        }
    }

    fn replace_engine(&self, running: Option<Running>) -> Option<Running> {
        match self.engine.lock() {
            Ok(mut current) => std::mem::replace(&mut *current, running),
            Err(poisoned) => std::mem::replace(&mut *poisoned.into_inner(), running),
        }
    }
}

impl Running {
    fn halt(self) {
        self.stop.notify_one();
        self.status.abort();
        // The engine ends at its next wait; a sync it is running finishes first (the replica's
        // sync lock keeps the next user's engine from overlapping it on the same replica).
        drop(self.engine);
    }
}

/// What the shell does after any sync: the tables a pull changed, the error kept for the
/// panel, and desktop notifications for new stock alerts.
fn observe(
    app: &AppHandle,
    client: &Session,
    errors: &Mutex<VecDeque<SyncError>>,
    notifier: &Notifier,
    outcome: &Result<taller_client::SyncReport, ClientError>,
) {
    match outcome {
        Ok(report) => {
            if !report.tables.is_empty() {
                let tables = report.tables.iter().cloned().collect::<Vec<_>>();
                if tables.iter().any(|table| table == "notificaciones") {
                    notifier.announce(client);
                }
                emitted(TablesChanged { tables, source: ChangeSource::Pull }.emit(app));
            }
        }
        Err(error) => {
            let entry = SyncError {
                at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                code: error.code().to_owned(),
                message: error.message(client.lang()),
            };
            let mut errors = match errors.lock() {
                Ok(errors) => errors,
                Err(poisoned) => poisoned.into_inner(),
            };
            errors.push_front(entry);
            errors.truncate(RECENT_ERRORS);
        }
    }
    // The status is not sent here: every sync publishes it at its start and end, and the
    // engine's status forwarder sends each change.
}

/// An event that could not be sent (the window is closing) is only logged: the next one, or
/// the next query, brings the UI up to date.
fn emitted(outcome: tauri::Result<()>) {
    if let Err(error) = outcome {
        tracing::debug!(%error, "event not delivered");
    }
}
