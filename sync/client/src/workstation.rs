//! A data directory is a workstation: shared by several users, each with their own replica and
//! outbox (`users/<id>/replica.sqlite3`). Switching users never touches another user's
//! pending mutations; each replica pushes with its own user's tokens.
//!
//! [`Workstation`] is who is signed in here (connect, sign in, unlock, switch user, sign out,
//! settings); the signed-in user's work goes through their [`Session`].

use crate::error::{ClientError, Result};
use crate::replica::{Replica, StateKey};
use crate::session::{Link, Session, SignIn, SignOut, Status};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use taller_domain::Lang;
use taller_protocol::messages::UserProfile;
use uuid::Uuid;

/// A workstation: its settings on disk and the session of whoever is signed in.
pub struct Workstation {
    data_dir: PathBuf,
    pub(crate) file: WorkstationFile,
    session: Option<Arc<Session>>,
}

impl Workstation {
    /// Opens the workstation in `data_dir`, with the session of whoever is signed in.
    pub fn open(data_dir: &Path) -> Result<Workstation> {
        let file = WorkstationFile::load(data_dir)?;
        let mut workstation = Workstation { data_dir: data_dir.to_owned(), file, session: None };
        if let Some(user) = workstation.file.current {
            workstation.session = Some(Arc::new(Session::open(data_dir, user, workstation.link())?));
        }
        Ok(workstation)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Where `id_usuario`'s replica lives in `data_dir`.
    pub fn replica_path(data_dir: &Path, id_usuario: Uuid) -> PathBuf {
        WorkstationFile::replica_path(data_dir, id_usuario)
    }

    /// The signed-in user's session; `not_signed_in` when nobody is.
    pub fn session(&self) -> Result<Arc<Session>> {
        self.session.clone().ok_or(ClientError::NotSignedIn)
    }

    /// The signed-in user's session, if someone is.
    pub fn current(&self) -> Option<&Arc<Session>> {
        self.session.as_ref()
    }

    fn link(&self) -> Link {
        Link { server_url: self.file.server_url.clone(), lang: self.lang() }
    }

    /// Saves the settings and hands the open session its new server and language.
    pub(crate) fn save(&self) -> Result<()> {
        self.file.save(&self.data_dir)?;
        if let Some(session) = &self.session {
            session.set_link(self.link());
        }
        Ok(())
    }

    pub fn lang(&self) -> Lang {
        self.file.lang.as_deref().map(Lang::from_tag).unwrap_or_default()
    }

    pub fn set_lang(&mut self, lang: &str) -> Result<()> {
        self.file.lang = Some(Lang::from_tag(lang).as_str().to_owned());
        self.save()
    }

    pub fn connect(&mut self, server_url: &str) -> Result<()> {
        self.file.server_url = Some(crate::workstation::server_url(server_url)?);
        self.save()
    }

    /// The signed-in user's id.
    pub fn user_id(&self) -> Result<Uuid> {
        self.session.as_ref().map(|session| session.user_id()).ok_or(ClientError::NotSignedIn)
    }

    /// The sync status: the session's, or the bare workstation's when nobody is signed in.
    pub fn status(&self) -> Result<Status> {
        match &self.session {
            Some(session) => session.status(),
            None => Ok(Status { server_url: self.file.server_url.clone(), ..Status::default() }),
        }
    }

    /// Signs in online: a session for this user's replica, and an offline credential
    /// (an argon2id hash of the password, never the password) for unlocking without network.
    /// Another user's session on this workstation stays as it is.
    pub async fn login(&mut self, email: &str, password: &str) -> Result<UserProfile> {
        Ok(self.sign_in(email, password).await?.user)
    }

    /// [`Workstation::login`], then sends what the user left pending (signed out, or offline)
    /// with the new session: the first online sign-in sends it.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Result<SignIn> {
        let api = self.link().api()?;
        let granted = api.login(email, password).await?;
        let user = granted.user.id_usuario;
        let hash = {
            let password = password.to_owned();
            tokio::task::spawn_blocking(move || hash_password(&password))
                .await
                .map_err(|error| ClientError::Invalid(error.to_string()))??
        };
        let session = match &self.session {
            // The same user again (a session that expired): the open session carries on.
            Some(session) if session.user_id() == user => session.clone(),
            _ => Arc::new(Session::open(&self.data_dir, user, self.link())?),
        };
        session.store_sign_in(&granted, &hash, api.base())?;
        self.file.users.insert(granted.user.email.to_lowercase(), user);
        self.file.users.insert(email.trim().to_lowercase(), user);
        self.file.current = Some(user);
        self.session = Some(session.clone());
        self.save()?;
        session.send_pending(granted.user).await
    }

    /// Unlocks a user who signed in here before, without the network. A session they still
    /// have here (they switched users rather than signing out) is the one their syncs use.
    pub fn unlock(&mut self, email: &str, password: &str) -> Result<Arc<Session>> {
        let user = self.file.user_by_email(email)?;
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
        let session = Arc::new(Session::with_replica(&self.data_dir, user, replica, self.link()));
        self.session = Some(session.clone());
        self.file.current = Some(user);
        self.save()?;
        Ok(session)
    }

    /// Signs out of the server on this workstation: the session's tokens are forgotten (an
    /// offline unlock still opens the replica). The replica and its pending mutations stay:
    /// they are pushed, with this user's authority, at their next online sign-in.
    pub fn logout(&mut self) -> Result<SignOut> {
        let signed_out = match self.session.take() {
            Some(session) => session.forget_tokens()?,
            None => SignOut { user: None, pending: 0 },
        };
        self.file.current = None;
        self.save()?;
        Ok(signed_out)
    }
}

/// A server address as the workstation keeps it (no trailing slash); `invalid_input` when it
/// is not an http(s) URL.
pub(crate) fn server_url(typed: &str) -> Result<String> {
    let url = typed.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ClientError::Invalid(format!("{typed} is not an http(s) URL")));
    }
    Ok(url.to_owned())
}

/// The workstation's file (`workstation.json`): the server, who signed in here, the language.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct WorkstationFile {
    pub server_url: Option<String>,
    /// The signed-in (or unlocked) user.
    pub current: Option<Uuid>,
    /// Users who signed in here, by lower-case email.
    pub users: BTreeMap<String, Uuid>,
    /// Language of the interface: "es" (default) or "en".
    #[serde(default)]
    pub lang: Option<String>,
    /// Seconds between the engine's periodic syncs; `None`: [`DEFAULT_SYNC_INTERVAL_SECONDS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_interval_seconds: Option<u32>,
}

/// The engine's interval when the workstation sets none (`EngineConfig::default`).
pub const DEFAULT_SYNC_INTERVAL_SECONDS: u32 = 30;

/// The intervals a workstation may set, in seconds.
pub const SYNC_INTERVAL_SECONDS: std::ops::RangeInclusive<u32> = 5..=3600;

impl WorkstationFile {
    /// The engine's interval between periodic syncs.
    pub fn sync_interval_seconds(&self) -> u32 {
        self.sync_interval_seconds.unwrap_or(DEFAULT_SYNC_INTERVAL_SECONDS)
    }

    fn file(data_dir: &Path) -> PathBuf {
        data_dir.join("workstation.json")
    }

    pub fn load(data_dir: &Path) -> Result<WorkstationFile> {
        match std::fs::read(WorkstationFile::file(data_dir)) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes)?),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(WorkstationFile::default()),
            Err(error) => Err(error.into()),
        }
    }

    /// Saves atomically (write a temporary file, then rename), so a crash never leaves half a file.
    pub fn save(&self, data_dir: &Path) -> Result<()> {
        std::fs::create_dir_all(data_dir)?;
        let path = WorkstationFile::file(data_dir);
        let temporary = path.with_extension("json.tmp");
        std::fs::write(&temporary, serde_json::to_vec_pretty(self)?)?;
        let file = std::fs::File::open(&temporary)?;
        file.sync_all()?;
        std::fs::rename(&temporary, &path)?;
        Ok(())
    }

    pub fn replica_path(data_dir: &Path, id_usuario: Uuid) -> PathBuf {
        data_dir.join("users").join(id_usuario.to_string()).join("replica.sqlite3")
    }

    pub fn user_by_email(&self, email: &str) -> Result<Uuid> {
        self.users.get(&email.trim().to_lowercase()).copied().ok_or_else(|| {
            ClientError::Invalid(format!("{email} has never signed in on this workstation: sign in online first"))
        })
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
    use super::unlock_pause;

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
}
