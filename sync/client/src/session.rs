//! The signed-in user's session: their replica, local actions (applied and queued in one
//! transaction), sync and status. A [`Workstation`] opens it; the desktop app and the `taller`
//! CLI reach the replica only through it.

use crate::checkpoint::Checkpointer;
use crate::error::{ClientError, Result};
use crate::http::ServerApi;
use crate::local::{self, LocalCtx, LocalFailure, LocalUser};
use crate::outbox;
use crate::probe::{NoObserver, Probe, SyncObserver};
use crate::replica::{Replica, StateKey};
use crate::sync::{self, lock, Progress, Shared, SyncError, SyncReport};
use crate::sync_lock::SyncLock;
use crate::workstation::Workstation;
use chrono::Utc;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use taller_domain::Lang;
use taller_protocol::messages::UserProfile;
use taller_protocol::mutations::Mutation;
use tokio::sync::{watch, Notify};
use uuid::Uuid;

/// What a UI shows about sync at any moment.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Status {
    pub user: Option<String>,
    /// Whether the user has a session with the server here (signed in online, not signed out):
    /// without one, pending changes wait for the next online sign-in.
    pub signed_in: bool,
    /// What the last sync attempt (by any process) observed: the server answered.
    pub online: bool,
    /// When that was observed; `None` before any sync attempt.
    pub observed_at: Option<String>,
    pub syncing: bool,
    pub pending: i64,
    pub last_success: Option<String>,
    /// The last failed attempt as one line, `"<at> <code>: <message>"`.
    pub last_error: Option<String>,
    /// The same failure, structured (the app's status shows it).
    #[serde(skip)]
    pub last_error_detail: Option<SyncError>,
    /// When and why the replica was last pulled again in full (the server refused its cursor).
    pub last_full_sync: Option<String>,
    pub conflicts: i64,
    pub server_url: Option<String>,
}

/// What an online sign-in did: the profile, and the pending changes it sent.
#[derive(Debug, Clone, Serialize)]
pub struct SignIn {
    pub user: UserProfile,
    /// Mutations the sign-in pushed (left pending by an earlier session).
    pub sent: usize,
    /// Still pending after it.
    pub pending: i64,
    /// Why sending them failed, if it did (the sign-in itself succeeded; the next sync sends them).
    pub send_error: Option<String>,
}

/// What signing out left behind.
#[derive(Debug, Clone, Serialize)]
pub struct SignOut {
    pub user: Option<String>,
    /// Pending changes that wait for this user's next online sign-in.
    pub pending: i64,
}

impl SignOut {
    /// What a person is told when they sign out.
    pub fn message(&self, lang: Lang) -> String {
        match (lang, self.pending) {
            (Lang::Es, 0) => "Sesión cerrada; no queda nada por enviar.".to_owned(),
            (Lang::Es, 1) => "Sesión cerrada; 1 cambio espera el próximo inicio de sesión en línea.".to_owned(),
            (Lang::Es, n) => format!("Sesión cerrada; {n} cambios esperan el próximo inicio de sesión en línea."),
            (Lang::En, 0) => "Signed out; nothing is left to send.".to_owned(),
            (Lang::En, 1) => "Signed out; 1 change waits for the next online sign-in.".to_owned(),
            (Lang::En, n) => format!("Signed out; {n} changes wait for the next online sign-in."),
        }
    }
}

/// A local action's result: committed locally and queued.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Queued {
    pub id: Uuid,
    pub seq: u64,
    pub name: String,
    pub result: serde_json::Value,
    /// The outbox's size after this action (pending mutations).
    pub pending: i64,
    /// The replicated tables the action may have written (the catalogue's
    /// [`Mutation::tables`]), for a UI that refetches only what reads them. Not serialised.
    #[serde(skip)]
    pub tables: &'static [&'static str],
}

/// The server and language a session works with: the workstation's, kept current by
/// [`Workstation::connect`] and [`Workstation::set_lang`] while the session is open.
#[derive(Debug, Clone, Default)]
pub(crate) struct Link {
    pub(crate) server_url: Option<String>,
    pub(crate) lang: Lang,
}

impl Link {
    /// The server's API in the workstation's language; without a server, says how to set one.
    pub(crate) fn api(&self) -> Result<ServerApi> {
        let url = self
            .server_url
            .as_deref()
            .ok_or_else(|| ClientError::Invalid("no server: run `taller connect --server URL` first".into()))?;
        ServerApi::new(url, self.lang.as_str())
    }
}

/// The signed-in (or unlocked) user's session on a workstation: their replica, its outbox and
/// its sync. Every method takes `&self`, so one `Arc<Session>` serves the sync engine and any
/// number of UI threads at once. A [`Workstation`] opens it (sign in, unlock); switching users
/// opens another session, and this one keeps working for whoever still holds it.
pub struct Session {
    data_dir: PathBuf,
    user: Uuid,
    replica: Shared,
    /// Copies the replica's WAL into its database file off the action path (decision 0003).
    checkpointer: Option<Checkpointer>,
    link: RwLock<Link>,
    /// Wakes the engine soon after a local write.
    pub(crate) written: Notify,
    syncing: AtomicBool,
    /// The latest status, for screens that subscribe instead of polling.
    status_tx: watch::Sender<Status>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").field("user", &self.user).finish_non_exhaustive()
    }
}

impl Session {
    /// Opens `user`'s replica on the workstation in `data_dir`.
    pub(crate) fn open(data_dir: &Path, user: Uuid, link: Link) -> Result<Session> {
        let replica = Replica::open(&Workstation::replica_path(data_dir, user))?;
        Ok(Session::with_replica(data_dir, user, replica, link))
    }

    /// A session over an opened replica, with a checkpointer of its own. Without one (the
    /// thread could not start) SQLite's automatic checkpoint still bounds the WAL.
    pub(crate) fn with_replica(data_dir: &Path, user: Uuid, replica: Replica, link: Link) -> Session {
        let path = Workstation::replica_path(data_dir, user);
        let checkpointer = match Checkpointer::start(&path) {
            Ok(checkpointer) => Some(checkpointer),
            Err(error) => {
                tracing::warn!(%error, "no background checkpointer: SQLite's automatic checkpoint only");
                None
            }
        };
        Session {
            data_dir: data_dir.to_owned(),
            user,
            replica: Arc::new(Mutex::new(replica)),
            checkpointer,
            link: RwLock::new(link),
            written: Notify::new(),
            syncing: AtomicBool::new(false),
            status_tx: watch::Sender::new(Status::default()),
        }
    }

    /// Counts a committed write toward the next background checkpoint.
    fn wrote(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.wrote();
        }
    }

    internal_fn! {
        /// The background checkpointer of the replica, if one runs.
        fn checkpointer(&self) -> Option<&Checkpointer> {
            self.checkpointer.as_ref()
        }
    }

    fn link(&self) -> Link {
        match self.link.read() {
            Ok(link) => link.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub(crate) fn set_link(&self, link: Link) {
        match self.link.write() {
            Ok(mut current) => *current = link,
            Err(poisoned) => *poisoned.into_inner() = link,
        }
        self.publish();
    }

    /// The workstation's language.
    pub fn lang(&self) -> Lang {
        self.link().lang
    }

    internal_fn! {
        /// The workstation's server, in the user's language.
        fn api(&self) -> Result<ServerApi> {
            self.link().api()
        }
    }

    internal_fn! {
        /// The replica (its raw connection behind a mutex).
        fn shared(&self) -> &Shared {
            &self.replica
        }
    }

    /// The session's user.
    pub fn user_id(&self) -> Uuid {
        self.user
    }

    /// Sends what the user left pending (signed out, or offline) with the session just
    /// opened: what an online sign-in does after the server let them in.
    pub(crate) async fn send_pending(&self, user: UserProfile) -> Result<SignIn> {
        let shared = self.shared();
        let pending = outbox::pending_count(&lock(shared).conn)?;
        let mut sign_in = SignIn { user, sent: 0, pending, send_error: None };
        if pending == 0 {
            return Ok(sign_in);
        }
        let api = self.api()?;
        let mut report = SyncReport::default();
        let pushed = async {
            let _one_sync = SyncLock::acquire(&self.sync_lock_path()).await?;
            sync::push(shared, &api, &mut report, &NoObserver).await
        }
        .await;
        self.wrote();
        sign_in.sent = report.pushed;
        sign_in.pending = outbox::pending_count(&lock(shared).conn)?;
        if let Err(error) = pushed {
            tracing::warn!(%error, "signed in; the pending changes wait for the next sync");
            sign_in.send_error = Some(format!("{}: {error}", error.code()));
        }
        self.publish();
        Ok(sign_in)
    }

    /// Stores what an online sign-in brought: the server's tokens and profile, and the offline
    /// credential (an argon2id hash of the password, never the password).
    pub(crate) fn store_sign_in(
        &self,
        granted: &taller_protocol::messages::Session,
        hash: &str,
        server: &str,
    ) -> Result<()> {
        {
            let replica = lock(self.shared());
            let conn = &replica.conn;
            Replica::set_state(conn, StateKey::AccessToken, &granted.access_token)?;
            Replica::set_state(conn, StateKey::RefreshToken, &granted.refresh_token)?;
            Replica::set_state(conn, StateKey::UserId, &self.user.to_string())?;
            Replica::set_state(conn, StateKey::Profile, &serde_json::to_string(&granted.user)?)?;
            Replica::set_state(conn, StateKey::OfflineHash, hash)?;
            Replica::set_state(conn, StateKey::ServerUrl, server)?;
            if sync::state(conn, StateKey::DeviceId)?.is_none() {
                Replica::set_state(conn, StateKey::DeviceId, &Uuid::new_v4().to_string())?;
            }
        }
        self.wrote();
        self.publish();
        Ok(())
    }

    /// Forgets the server's tokens (an offline unlock still opens the replica): what signing
    /// out leaves behind.
    pub(crate) fn forget_tokens(&self) -> Result<SignOut> {
        let replica = lock(self.shared());
        Replica::clear_state(&replica.conn, &[StateKey::AccessToken, StateKey::RefreshToken])?;
        let signed_out = SignOut {
            user: profile_email(replica.state(StateKey::Profile)?),
            pending: outbox::pending_count(&replica.conn)?,
        };
        drop(replica);
        self.publish();
        Ok(signed_out)
    }

    /// Performs a domain action: applied to the replica with the server's rules and queued
    /// in the outbox, in one SQLite transaction (contract invariant 1). Works offline.
    pub fn act(&self, mutation: &Mutation) -> Result<Queued> {
        self.act_at(mutation, Utc::now())
    }

    /// As [`Session::act`], for an action a person did earlier (the time is kept and bounded by
    /// the server: at most the back-dating window).
    pub fn act_at(&self, mutation: &Mutation, at: chrono::DateTime<Utc>) -> Result<Queued> {
        self.act_built(at, |_| Ok(mutation.clone()))
    }

    /// As [`Session::act_at`], with the mutation built from the replica inside the action's own
    /// transaction: a lookup (a name, a reference, the lines of a cart) and the action it feeds
    /// are one unit, so nothing another writer does can come between them.
    pub(crate) fn act_built(
        &self,
        at: chrono::DateTime<Utc>,
        build: impl FnOnce(&rusqlite::Connection) -> Result<Mutation>,
    ) -> Result<Queued> {
        let mut queued = self.act_all_built(at, |conn| Ok(vec![build(conn)?]))?;
        queued.pop().ok_or_else(|| ClientError::Invalid("no action was built".into()))
    }

    /// As [`Session::act_built`], for several mutations that stand or fall together (an
    /// import, the lines of a proposal into the cart): each is applied with the server's rules and queued with its own id and outbox
    /// entry, in the order given, all in one SQLite transaction. The first refusal (the build's,
    /// or a mutation's local decision) rolls back everything, earlier mutations included, so
    /// nothing is half-applied; the checkpointer and the engine hear of one write. On the server
    /// each mutation is still decided on its own.
    pub(crate) fn act_all_built(
        &self,
        at: chrono::DateTime<Utc>,
        build: impl FnOnce(&rusqlite::Connection) -> Result<Vec<Mutation>>,
    ) -> Result<Vec<Queued>> {
        let user = self.user;
        let mut replica = lock(self.shared());
        // IMMEDIATE, as in `act_built`: the write lock before the first read.
        let tx = replica.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let local_user = LocalUser::load(&tx, user)?.ok_or_else(|| {
            ClientError::Invalid("this replica has no profile for the user yet: sync once online".into())
        })?;
        let mutations = build(&tx)?;
        let mut staged = Vec::with_capacity(mutations.len());
        for mutation in &mutations {
            let id = Uuid::now_v7();
            let ctx = LocalCtx { conn: &tx, user: &local_user, at, id_mutacion: id };
            let result = match local::apply(&ctx, mutation) {
                Ok(result) => result,
                // Dropping `tx` rolls back every mutation staged before this one.
                Err(LocalFailure::Rejected(rechazo)) => return Err(ClientError::Rejected(named(&tx, rechazo)?)),
                Err(LocalFailure::Db(error)) => return Err(error),
            };
            let envelope = outbox::enqueue(&tx, id, mutation.name(), &mutation.args(), at)?;
            staged.push((id, envelope, result, mutation.tables()));
        }
        let pending = outbox::pending_count(&tx)?;
        tx.commit()?;
        replica.note_written(mutations.iter().flat_map(|mutation| mutation.tables().iter().copied()));
        drop(replica);
        self.wrote();
        self.written.notify_one();
        self.publish();
        Ok(staged
            .into_iter()
            .map(|(id, envelope, result, tables)| Queued {
                id,
                seq: envelope.seq,
                name: envelope.name,
                result,
                pending,
                tables,
            })
            .collect())
    }

    /// One sync: push, then pull until caught up. One sync of a replica runs at a time (the
    /// engine, other `taller` processes): this one waits for a running one to end, then pulls
    /// a delta of its own, so when it succeeds the replica has every change the server
    /// committed before it was called.
    pub async fn sync(&self, limit: Option<u32>, progress: &(dyn Fn(Progress) + Send + Sync)) -> Result<SyncReport> {
        self.sync_observed(limit, progress, &NoObserver).await
    }

    /// [`Session::sync`], telling `observer` about each pushed batch, pulled page and applied
    /// delta as it ends: for measuring tools (see [`crate::probe`]).
    pub async fn sync_observed(
        &self,
        limit: Option<u32>,
        progress: &(dyn Fn(Progress) + Send + Sync),
        observer: &dyn SyncObserver,
    ) -> Result<SyncReport> {
        let api = self.api()?;
        let shared = self.shared();
        self.check_session(shared)?;
        self.syncing.store(true, Ordering::SeqCst);
        self.publish();
        let result = match SyncLock::acquire(&self.sync_lock_path()).await {
            Ok(_one_sync) => sync::sync(shared, &api, limit, progress, observer).await,
            Err(error) => Err(error),
        };
        self.wrote();
        self.syncing.store(false, Ordering::SeqCst);
        self.publish();
        result
    }

    /// Pushes the outbox and pulls nothing, telling `observer` about each batch: for measuring
    /// tools that time a push apart from the pull that follows it (see [`crate::probe`]). The
    /// next [`Session::sync`] brings the server's changes.
    pub async fn push_observed(&self, observer: &dyn SyncObserver) -> Result<SyncReport> {
        let api = self.api()?;
        let shared = self.shared();
        self.check_session(shared)?;
        let mut report = SyncReport::default();
        let pushed = match SyncLock::acquire(&self.sync_lock_path()).await {
            Ok(_one_sync) => sync::push(shared, &api, &mut report, observer).await,
            Err(error) => Err(error),
        };
        self.wrote();
        self.publish();
        pushed.map(|()| report)
    }

    /// The replica's durability knobs and facts, for measuring tools (see [`crate::probe`]).
    pub fn probe(&self) -> Probe<'_> {
        Probe { session: self }
    }

    /// The replica's database file.
    pub(crate) fn replica_file(&self) -> PathBuf {
        Workstation::replica_path(&self.data_dir, self.user)
    }

    /// The lock file that keeps the current replica's syncs one at a time.
    fn sync_lock_path(&self) -> PathBuf {
        SyncLock::path_for(&self.replica_file())
    }

    /// A user unlocked after signing out has no session: say what waits, and how to send it.
    fn check_session(&self, shared: &Shared) -> Result<()> {
        let replica = lock(shared);
        if replica.state(StateKey::AccessToken)?.is_some() {
            return Ok(());
        }
        let email = profile_email(replica.state(StateKey::Profile)?).unwrap_or_default();
        Err(ClientError::SignedOut { email, pending: outbox::pending_count(&replica.conn)? })
    }

    /// A stream of status changes: online or offline, syncing, pending count, last success,
    /// last error, conflicts. Updated after every local action and every sync attempt.
    pub fn subscribe(&self) -> watch::Receiver<Status> {
        self.publish();
        self.status_tx.subscribe()
    }

    pub(crate) fn publish(&self) {
        if let Ok(status) = self.status() {
            self.status_tx.send_if_modified(|current| {
                let changed = *current != status;
                *current = status;
                changed
            });
        }
    }

    pub fn status(&self) -> Result<Status> {
        let mut status = Status {
            syncing: self.syncing.load(Ordering::SeqCst),
            server_url: self.link().server_url,
            ..Status::default()
        };
        let replica = lock(self.shared());
        let me = self.user.to_string();
        // One statement, prepared once per connection; every part reads a row by key or an
        // index of open items (migration 0002), so it costs the same however long the outbox.
        let (profile, pending, last_success, last_error, conflicts, signed_in, online, observed_at, full) =
            replica.conn.prepare_cached(STATUS)?.query_row([me], |row| {
                Ok((
                    row.get::<_, Option<String>>(0)?,
                    row.get::<_, Option<i64>>(1)?,
                    row.get(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, bool>(5)?,
                    row.get::<_, Option<String>>(6)?,
                    row.get(7)?,
                    row.get(8)?,
                ))
            })?;
        status.user = profile_email(profile);
        status.signed_in = signed_in;
        status.online = online.as_deref() == Some("1");
        status.observed_at = observed_at;
        status.pending = pending.unwrap_or_default();
        status.last_success = last_success;
        let last_error = last_error.as_deref().map(SyncError::from_stored);
        status.last_error = last_error.as_ref().map(SyncError::line);
        status.last_error_detail = last_error;
        status.last_full_sync = full;
        status.conflicts = conflicts;
        Ok(status)
    }

    pub fn checksums(&self) -> Result<std::collections::BTreeMap<String, taller_protocol::checksum::TableChecksum>> {
        let replica = lock(self.shared());
        crate::checksum::replica_checksums(&replica.conn)
    }

    /// The server's checksums of this user's scope.
    pub async fn server_checksums(&self) -> Result<taller_protocol::messages::ChecksumResponse> {
        let api = self.api()?;
        let token = sync::access_token(&lock(self.shared()).conn)?;
        match api.checksum(&token).await {
            Err(error) if error.is_expired_token() => {
                Err(ClientError::Invalid("the session expired: sync once to refresh it".into()))
            }
            other => other,
        }
    }
}

/// What [`Session::status`] reads from the replica.
pub(crate) const STATUS: &str = "SELECT \
       (SELECT value FROM sync_state WHERE key = 'profile'), \
       (SELECT n FROM outbox_pending WHERE id = 1), \
       (SELECT value FROM sync_state WHERE key = 'last_success'), \
       (SELECT value FROM sync_state WHERE key = 'last_error'), \
       (SELECT count(*) FROM rejected_mutations WHERE reviewed = 0) \
         + (SELECT count(*) FROM conflictos c WHERE c.revisado = 0 AND c.id_usuario = ?1 \
              AND NOT EXISTS (SELECT 1 FROM reviewed_conflicts r WHERE r.id_conflicto = c.id_conflicto)), \
       EXISTS (SELECT 1 FROM sync_state WHERE key = 'access_token'), \
       (SELECT value FROM sync_state WHERE key = 'observed_online'), \
       (SELECT value FROM sync_state WHERE key = 'observed_at'), \
       (SELECT value FROM sync_state WHERE key = 'last_full_sync')";

/// The email of a stored profile.
pub(crate) fn profile_email(profile: Option<String>) -> Option<String> {
    profile.and_then(|text| serde_json::from_str::<UserProfile>(&text).ok()).map(|profile| profile.email)
}

/// A local refusal with the names a person knows beside the ids it names (the location of a
/// `location_out_of_scope`), for its message.
pub(crate) fn named(
    conn: &rusqlite::Connection,
    mut rechazo: taller_domain::Rechazo,
) -> Result<taller_domain::Rechazo> {
    use rusqlite::OptionalExtension;
    if let Some(id) = rechazo.params.get("id_localizacion").and_then(serde_json::Value::as_str).map(str::to_owned) {
        let name: Option<String> = conn
            .query_row("SELECT nombre FROM localizacion WHERE id_localizacion = ?1", [&id], |row| row.get(0))
            .optional()?;
        if let Some(name) = name {
            rechazo = rechazo.with("localizacion", name);
        }
    }
    Ok(rechazo)
}

#[cfg(test)]
mod tests {
    use super::{StateKey, STATUS};

    use crate::replica::{query_plan, Replica};

    /// The status reads `sync_state` in SQL: each key it names is one of [`StateKey`]'s, so a
    /// renamed key cannot leave the status reading a key nothing writes.
    #[test]
    fn the_status_reads_only_known_state_keys() {
        let named: Vec<&str> =
            STATUS.split("key = '").skip(1).map(|rest| &rest[..rest.find('\'').expect("quote")]).collect();
        assert_eq!(named.len(), 7, "{named:?}");
        for key in named {
            assert!(StateKey::ALL.iter().any(|known| known.as_str() == key), "{key} is not a StateKey");
        }
    }

    /// The status every local action ends with reads rows by key and indexes of open items:
    /// no part of it scans the outbox, the conflicts or the rejections.
    #[test]
    fn the_status_does_not_scan_growing_tables() {
        let replica = Replica::in_memory().expect("replica");
        let plan = query_plan(&replica.conn, STATUS);
        for line in plan.lines() {
            assert!(!line.contains("SCAN") || line.contains("USING") || line.contains("CONSTANT ROW"), "{plan}");
        }
        assert!(!plan.contains("outbox "), "{plan}");
        assert!(plan.contains("INDEX idx_rejected_mutations_open"), "{plan}");
        assert!(plan.contains("INDEX idx_conflictos_abiertos"), "{plan}");
        // The conflicts reviewed here (a local overlay) are left out by key.
        assert!(plan.contains("SEARCH r USING PRIMARY KEY (id_conflicto=?)"), "{plan}");
    }
}
