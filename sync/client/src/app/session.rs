//! Settings, the workstation's users, the signed-in profile and the sync status.

use super::types::{AppStatus, Settings, WorkstationUser};
use crate::engine::EngineConfig;
use crate::error::{ClientError, Result};
use crate::replica::StateKey;
use crate::session::Session;
use crate::sync::lock;
use crate::workstation::{server_url, Workstation, SYNC_INTERVAL_SECONDS};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::collections::BTreeMap;
use std::time::Duration;
use taller_protocol::messages::UserProfile;
use uuid::Uuid;

impl Workstation {
    /// The workstation's settings.
    pub fn settings(&self) -> Settings {
        Settings {
            server_url: self.file.server_url.clone(),
            lang: self.lang(),
            sync_interval_seconds: self.file.sync_interval_seconds(),
        }
    }

    /// Saves the settings: the server (a URL that is not http(s) is `invalid_input`; `None`
    /// keeps the one set), the language, and the engine's interval (5 to 3600 seconds, else
    /// `invalid_input`). Nothing is saved when any of them is refused.
    pub fn save_settings(&mut self, input: &Settings) -> Result<Settings> {
        if !SYNC_INTERVAL_SECONDS.contains(&input.sync_interval_seconds) {
            return Err(ClientError::Invalid(format!(
                "the sync interval must be between {} and {} seconds, not {}",
                SYNC_INTERVAL_SECONDS.start(),
                SYNC_INTERVAL_SECONDS.end(),
                input.sync_interval_seconds
            )));
        }
        if let Some(url) = &input.server_url {
            self.file.server_url = Some(server_url(url)?);
        }
        self.file.sync_interval_seconds = Some(input.sync_interval_seconds);
        self.file.lang = Some(input.lang.as_str().to_owned());
        self.save()?;
        Ok(self.settings())
    }

    /// The engine's interval between periodic syncs, as the workstation sets it.
    pub fn sync_interval(&self) -> Duration {
        Duration::from_secs(u64::from(self.file.sync_interval_seconds()))
    }

    /// The engine's configuration for this workstation (its interval; the rest by default).
    pub fn engine_config(&self) -> EngineConfig {
        EngineConfig { interval: self.sync_interval(), ..EngineConfig::default() }
    }

    /// Everyone who signed in on this workstation, by email, with the size of their own
    /// outbox. Other users' replicas are opened read-only and closed again.
    pub fn workstation_users(&self) -> Result<Vec<WorkstationUser>> {
        // The same user is listed under each email they signed in with.
        let mut users: BTreeMap<Uuid, String> = BTreeMap::new();
        for (email, id) in &self.file.users {
            users.entry(*id).or_insert_with(|| email.clone());
        }
        let mut out = Vec::with_capacity(users.len());
        for (id, email) in users {
            let session = self.current().filter(|session| session.user_id() == id);
            let current = session.is_some();
            let facts = if let Some(session) = session {
                let replica = lock(session.shared());
                replica_facts(&replica.conn)?
            } else {
                let path = Workstation::replica_path(self.data_dir(), id);
                if !path.exists() {
                    continue;
                }
                let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
                conn.busy_timeout(Duration::from_secs(10))?;
                replica_facts(&conn)?
            };
            out.push(WorkstationUser {
                id_usuario: id,
                email: facts.profile.as_ref().map(|p| p.email.clone()).unwrap_or(email),
                nombre_completo: facts.profile.map(|p| p.nombre_completo),
                pending: facts.pending,
                current,
                can_unlock: facts.can_unlock,
            });
        }
        out.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(out)
    }

    /// The signed-in user's profile; `None` when nobody is signed in.
    pub fn current_profile(&self) -> Result<Option<UserProfile>> {
        self.current().map_or(Ok(None), |session| session.profile())
    }

    /// The sync status as the app shows it ([`Session::sync_status`], or the bare
    /// workstation's when nobody is signed in).
    pub fn sync_status(&self) -> Result<AppStatus> {
        app_status(self.status()?)
    }
}

impl Session {
    /// The user's profile as the server last sent it (`sync_state.profile`); `None` before
    /// the first online sign-in stored one.
    pub fn profile(&self) -> Result<Option<UserProfile>> {
        let replica = lock(self.shared());
        match replica.state(StateKey::Profile)? {
            Some(text) => Ok(Some(serde_json::from_str(&text)?)),
            None => Ok(None),
        }
    }

    /// [`Session::status`] as the app shows it: the last error structured, and whether the
    /// server asks for a newer app.
    pub fn sync_status(&self) -> Result<AppStatus> {
        app_status(self.status()?)
    }
}

fn app_status(status: crate::session::Status) -> Result<AppStatus> {
    let update_required = status
        .last_error_detail
        .as_ref()
        .is_some_and(|error| error.code == taller_protocol::messages::ErrorCode::UpdateRequired.as_str());
    Ok(AppStatus {
        user: status.user,
        online: status.online,
        syncing: status.syncing,
        pending: status.pending,
        last_success: status.last_success,
        last_error: status.last_error_detail,
        conflicts: status.conflicts,
        server_url: status.server_url,
        update_required,
        signed_in: status.signed_in,
    })
}

/// What the user list shows of one replica.
struct ReplicaFacts {
    profile: Option<UserProfile>,
    pending: i64,
    can_unlock: bool,
}

fn replica_facts(conn: &Connection) -> Result<ReplicaFacts> {
    let state = |key: StateKey| crate::sync::state(conn, key);
    let profile = state(StateKey::Profile)?.and_then(|text| serde_json::from_str::<UserProfile>(&text).ok());
    // A replica not yet opened by this version (no counter row) is counted.
    let pending = match conn.query_row(crate::outbox::PENDING_COUNT, [], |row| row.get::<_, i64>(0)).optional() {
        Ok(Some(n)) => n,
        Ok(None) | Err(_) => {
            conn.query_row("SELECT count(*) FROM outbox WHERE status = 'pending'", [], |row| row.get(0))?
        }
    };
    Ok(ReplicaFacts { profile, pending, can_unlock: state(StateKey::OfflineHash)?.is_some() })
}
