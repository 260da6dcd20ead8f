//! The client library's entry point: a workstation (data directory), its signed-in user's
//! replica, and the server. The desktop app and the `taller` CLI use only this.

use crate::checkpoint::Checkpointer;
use crate::error::{ClientError, Result};
use crate::http::ServerApi;
use crate::local::{self, LocalCtx, LocalFailure, LocalUser};
use crate::outbox;
use crate::replica::{Replica, StateKey};
use crate::sync::{self, lock, Progress, Shared, SyncError, SyncReport};
use crate::sync_lock::SyncLock;
use crate::workstation::Workstation;
use chrono::Utc;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
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

pub struct Client {
    pub(crate) data_dir: PathBuf,
    pub(crate) workstation: Workstation,
    pub(crate) user: Option<Uuid>,
    replica: Option<Shared>,
    /// Copies the replica's WAL into its database file off the action path (decision 0003).
    checkpointer: Option<Checkpointer>,
    /// Wakes the engine soon after a local write.
    pub(crate) written: Arc<Notify>,
    pub(crate) syncing: Arc<std::sync::atomic::AtomicBool>,
    /// The latest status, for screens that subscribe instead of polling.
    status_tx: watch::Sender<Status>,
}

impl Client {
    /// Opens a workstation; the current user's replica when someone is signed in.
    pub fn open(data_dir: &Path) -> Result<Client> {
        let workstation = Workstation::load(data_dir)?;
        let mut client = Client {
            data_dir: data_dir.to_owned(),
            user: None,
            replica: None,
            checkpointer: None,
            workstation,
            written: Arc::new(Notify::new()),
            syncing: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            status_tx: watch::Sender::new(Status::default()),
        };
        if let Some(user) = client.workstation.current {
            client.open_replica(user)?;
        }
        Ok(client)
    }

    fn open_replica(&mut self, user: Uuid) -> Result<()> {
        let replica = Replica::open(&Workstation::replica_path(&self.data_dir, user))?;
        self.use_replica(user, replica);
        Ok(())
    }

    /// Makes `replica` the current one, with a checkpointer of its own. Without one (the
    /// thread could not start) SQLite's automatic checkpoint still bounds the WAL.
    fn use_replica(&mut self, user: Uuid, replica: Replica) {
        self.checkpointer = None;
        let path = Workstation::replica_path(&self.data_dir, user);
        self.checkpointer = match Checkpointer::start(&path) {
            Ok(checkpointer) => Some(checkpointer),
            Err(error) => {
                tracing::warn!(%error, "no background checkpointer: SQLite's automatic checkpoint only");
                None
            }
        };
        self.replica = Some(Arc::new(Mutex::new(replica)));
        self.user = Some(user);
    }

    /// Counts a committed write toward the next background checkpoint.
    fn wrote(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.wrote();
        }
    }

    internal_fn! {
        /// The background checkpointer of the current replica, if one runs.
        fn checkpointer(&self) -> Option<&Checkpointer> {
            self.checkpointer.as_ref()
        }
    }

    pub fn lang(&self) -> Lang {
        self.workstation.lang.as_deref().map(Lang::from_tag).unwrap_or_default()
    }

    pub fn set_lang(&mut self, lang: &str) -> Result<()> {
        self.workstation.lang = Some(Lang::from_tag(lang).as_str().to_owned());
        self.workstation.save(&self.data_dir)
    }

    pub fn connect(&mut self, server_url: &str) -> Result<()> {
        let url = server_url.trim().trim_end_matches('/');
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ClientError::Invalid(format!("{server_url} is not an http(s) URL")));
        }
        self.workstation.server_url = Some(url.to_owned());
        self.workstation.save(&self.data_dir)
    }

    internal_fn! {
        /// The server of this workstation, in the user's language.
        fn api(&self) -> Result<ServerApi> {
            let url = self
                .workstation
                .server_url
                .as_deref()
                .ok_or_else(|| ClientError::Invalid("no server: run `taller connect --server URL` first".into()))?;
            ServerApi::new(url, self.lang().as_str())
        }
    }

    internal_fn! {
        /// The current user's replica (its raw connection behind a mutex).
        fn shared(&self) -> Result<&Shared> {
            self.replica.as_ref().ok_or(ClientError::NotSignedIn)
        }
    }

    pub fn user_id(&self) -> Result<Uuid> {
        self.user.ok_or(ClientError::NotSignedIn)
    }

    /// Signs in online: a session for this user's replica, and an offline credential
    /// (an argon2id hash of the password, never the password) for unlocking without network.
    /// Another user's session on this workstation stays as it is.
    pub async fn login(&mut self, email: &str, password: &str) -> Result<UserProfile> {
        Ok(self.sign_in(email, password).await?.user)
    }

    /// [`Client::login`], then sends what the user left pending (signed out, or offline) with
    /// the new session: the first online sign-in sends it.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Result<SignIn> {
        let user = self.open_session(email, password).await?;
        let shared = self.shared()?.clone();
        let pending = outbox::pending_count(&lock(&shared).conn)?;
        let mut sign_in = SignIn { user, sent: 0, pending, send_error: None };
        if pending == 0 {
            return Ok(sign_in);
        }
        let api = self.api()?;
        let mut report = SyncReport::default();
        let pushed = async {
            let _one_sync = SyncLock::acquire(&self.sync_lock_path()?).await?;
            sync::push(&shared, &api, &mut report).await
        }
        .await;
        self.wrote();
        sign_in.sent = report.pushed;
        sign_in.pending = outbox::pending_count(&lock(&shared).conn)?;
        if let Err(error) = pushed {
            tracing::warn!(%error, "signed in; the pending changes wait for the next sync");
            sign_in.send_error = Some(format!("{}: {error}", error.code()));
        }
        self.publish();
        Ok(sign_in)
    }

    async fn open_session(&mut self, email: &str, password: &str) -> Result<UserProfile> {
        let api = self.api()?;
        let session = api.login(email, password).await?;
        let user = session.user.id_usuario;
        self.open_replica(user)?;
        let hash = {
            let password = password.to_owned();
            tokio::task::spawn_blocking(move || hash_password(&password))
                .await
                .map_err(|error| ClientError::Invalid(error.to_string()))??
        };
        {
            let replica = lock(self.shared()?);
            let conn = &replica.conn;
            Replica::set_state(conn, StateKey::AccessToken, &session.access_token)?;
            Replica::set_state(conn, StateKey::RefreshToken, &session.refresh_token)?;
            Replica::set_state(conn, StateKey::UserId, &user.to_string())?;
            Replica::set_state(conn, StateKey::Profile, &serde_json::to_string(&session.user)?)?;
            Replica::set_state(conn, StateKey::OfflineHash, &hash)?;
            Replica::set_state(conn, StateKey::ServerUrl, api.base())?;
            if sync::state(conn, StateKey::DeviceId)?.is_none() {
                Replica::set_state(conn, StateKey::DeviceId, &Uuid::new_v4().to_string())?;
            }
        }
        self.wrote();
        self.workstation.users.insert(session.user.email.to_lowercase(), user);
        self.workstation.users.insert(email.trim().to_lowercase(), user);
        self.workstation.current = Some(user);
        self.workstation.save(&self.data_dir)?;
        Ok(session.user)
    }

    /// Unlocks a user who signed in here before, without the network. A session they still
    /// have here (they switched users rather than signing out) is the one their syncs use.
    pub fn unlock(&mut self, email: &str, password: &str) -> Result<()> {
        let user = self.workstation.user_by_email(email)?;
        let replica = Replica::open(&Workstation::replica_path(&self.data_dir, user))?;
        let hash = replica.state(StateKey::OfflineHash)?.ok_or(ClientError::WrongPassword)?;
        let now = Utc::now();
        let failures: u32 = replica.state(StateKey::UnlockFailures)?.and_then(|n| n.parse().ok()).unwrap_or(0);
        let paused_until = replica
            .state(StateKey::UnlockPausedUntil)?
            .and_then(|at| chrono::DateTime::parse_from_rfc3339(&at).ok())
            .map(|at| at.with_timezone(&Utc));
        if let Some(until) = paused_until.filter(|until| *until > now) {
            let seconds = (until - now).num_seconds().max(1);
            return Err(ClientError::UnlockPaused { retry_after_seconds: u64::try_from(seconds).unwrap_or(1) });
        }
        if !verify_password(password, &hash) {
            let failures = failures.saturating_add(1);
            Replica::set_state(&replica.conn, StateKey::UnlockFailures, &failures.to_string())?;
            if let Some(pause) = unlock_pause(failures) {
                let until = now + pause;
                Replica::set_state(&replica.conn, StateKey::UnlockPausedUntil, &until.to_rfc3339())?;
            }
            return Err(ClientError::WrongPassword);
        }
        if failures > 0 {
            Replica::clear_state(&replica.conn, &[StateKey::UnlockFailures, StateKey::UnlockPausedUntil])?;
        }
        self.use_replica(user, replica);
        self.workstation.current = Some(user);
        self.workstation.save(&self.data_dir)
    }

    /// Signs out of the server on this workstation: the session's tokens are forgotten (an
    /// offline unlock still opens the replica). The replica and its pending mutations stay:
    /// they are pushed, with this user's authority, at their next online sign-in.
    pub fn logout(&mut self) -> Result<SignOut> {
        let mut signed_out = SignOut { user: None, pending: 0 };
        if let Some(shared) = &self.replica {
            let replica = lock(shared);
            Replica::clear_state(&replica.conn, &[StateKey::AccessToken, StateKey::RefreshToken])?;
            signed_out.pending = outbox::pending_count(&replica.conn)?;
            signed_out.user = profile_email(replica.state(StateKey::Profile)?);
        }
        self.workstation.current = None;
        self.replica = None;
        self.checkpointer = None;
        self.user = None;
        self.workstation.save(&self.data_dir)?;
        Ok(signed_out)
    }

    /// Performs a domain action: applied to the replica with the server's rules and queued
    /// in the outbox, in one SQLite transaction (contract invariant 1). Works offline.
    pub fn act(&self, mutation: &Mutation) -> Result<Queued> {
        self.act_at(mutation, Utc::now())
    }

    /// As [`Client::act`], for an action a person did earlier (the time is kept and bounded by
    /// the server: at most the back-dating window).
    pub fn act_at(&self, mutation: &Mutation, at: chrono::DateTime<Utc>) -> Result<Queued> {
        self.act_built(at, |_| Ok(mutation.clone()))
    }

    /// As [`Client::act_at`], with the mutation built from the replica inside the action's own
    /// transaction: a lookup (a name, a reference, the lines of a cart) and the action it feeds
    /// are one unit, so nothing another writer does can come between them.
    pub(crate) fn act_built(
        &self,
        at: chrono::DateTime<Utc>,
        build: impl FnOnce(&rusqlite::Connection) -> Result<Mutation>,
    ) -> Result<Queued> {
        let user = self.user_id()?;
        let mut replica = lock(self.shared()?);
        // IMMEDIATE: the write lock is taken (waiting up to the busy timeout) before the first
        // read. A deferred transaction that reads and then writes fails at once with "database
        // is locked" when another process (a second `taller`, the app) wrote in between.
        let tx = replica.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let local_user = LocalUser::load(&tx, user)?.ok_or_else(|| {
            ClientError::Invalid("this replica has no profile for the user yet: sync once online".into())
        })?;
        let mutation = &build(&tx)?;
        let id = Uuid::now_v7();
        let ctx = LocalCtx { conn: &tx, user: &local_user, at, id_mutacion: id };
        let result = match local::apply(&ctx, mutation) {
            Ok(result) => result,
            Err(LocalFailure::Rejected(rechazo)) => return Err(ClientError::Rejected(named(&tx, rechazo)?)),
            Err(LocalFailure::Db(error)) => return Err(error),
        };
        let envelope = outbox::enqueue(&tx, id, mutation.name(), &mutation.args(), at)?;
        let pending = outbox::pending_count(&tx)?;
        tx.commit()?;
        replica.note_written(mutation.tables().iter().copied());
        drop(replica);
        self.wrote();
        self.written.notify_one();
        self.publish();
        Ok(Queued { id, seq: envelope.seq, name: envelope.name, result, pending, tables: mutation.tables() })
    }

    /// One sync: push, then pull until caught up. One sync of a replica runs at a time (the
    /// engine, other `taller` processes): this one waits for a running one to end, then pulls
    /// a delta of its own, so when it succeeds the replica has every change the server
    /// committed before it was called.
    pub async fn sync(&self, limit: Option<u32>, progress: &(dyn Fn(Progress) + Send + Sync)) -> Result<SyncReport> {
        let api = self.api()?;
        let shared = self.shared()?;
        self.check_session(shared)?;
        self.syncing.store(true, std::sync::atomic::Ordering::SeqCst);
        self.publish();
        let result = match SyncLock::acquire(&self.sync_lock_path()?).await {
            Ok(_one_sync) => sync::sync(shared, &api, limit, progress).await,
            Err(error) => Err(error),
        };
        self.wrote();
        self.syncing.store(false, std::sync::atomic::Ordering::SeqCst);
        self.publish();
        result
    }

    /// The lock file that keeps the current replica's syncs one at a time.
    fn sync_lock_path(&self) -> Result<std::path::PathBuf> {
        Ok(SyncLock::path_for(&Workstation::replica_path(&self.data_dir, self.user_id()?)))
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
            syncing: self.syncing.load(std::sync::atomic::Ordering::SeqCst),
            server_url: self.workstation.server_url.clone(),
            ..Status::default()
        };
        let Some(shared) = &self.replica else { return Ok(status) };
        let replica = lock(shared);
        let me = self.user.map(|u| u.to_string()).unwrap_or_default();
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
        let replica = lock(self.shared()?);
        crate::checksum::replica_checksums(&replica.conn)
    }

    /// The server's checksums of this user's scope.
    pub async fn server_checksums(&self) -> Result<taller_protocol::messages::ChecksumResponse> {
        let api = self.api()?;
        let token = sync::access_token(&lock(self.shared()?).conn)?;
        match api.checksum(&token).await {
            Err(error) if error.is_expired_token() => {
                Err(ClientError::Invalid("the session expired: sync once to refresh it".into()))
            }
            other => other,
        }
    }
}

/// Wrong offline passwords allowed before the first pause.
const UNLOCK_FREE_ATTEMPTS: u32 = 5;

/// The pause after the `failures`-th wrong offline password in a row: none for the first
/// five, then 30 s doubling per further failure, at most 15 minutes. A person who mistyped
/// is barely slowed; guessing a password offline takes years.
fn unlock_pause(failures: u32) -> Option<chrono::Duration> {
    let over = failures.checked_sub(UNLOCK_FREE_ATTEMPTS + 1)?;
    let seconds = 30i64.saturating_mul(1i64 << over.min(20)).min(15 * 60);
    Some(chrono::Duration::seconds(seconds))
}

/// What [`Client::status`] reads from the replica.
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
fn profile_email(profile: Option<String>) -> Option<String> {
    profile.and_then(|text| serde_json::from_str::<UserProfile>(&text).ok()).map(|profile| profile.email)
}

/// A local refusal with the names a person knows beside the ids it names (the location of a
/// `location_out_of_scope`), for its message.
fn named(conn: &rusqlite::Connection, mut rechazo: taller_domain::Rechazo) -> Result<taller_domain::Rechazo> {
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

fn hash_password(password: &str) -> Result<String> {
    use argon2::password_hash::rand_core::OsRng;
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| ClientError::Invalid(error.to_string()))
}

fn verify_password(password: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash)
        .map(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::{unlock_pause, StateKey, STATUS};

    #[test]
    fn offline_unlock_pauses_grow_after_five_wrong_passwords_and_are_capped() {
        for failures in 0..=5 {
            assert_eq!(unlock_pause(failures), None, "{failures} wrong passwords");
        }
        assert_eq!(unlock_pause(6), Some(chrono::Duration::seconds(30)));
        assert_eq!(unlock_pause(7), Some(chrono::Duration::seconds(60)));
        assert_eq!(unlock_pause(40), Some(chrono::Duration::minutes(15)));
        assert_eq!(unlock_pause(u32::MAX), Some(chrono::Duration::minutes(15)));
    }
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
