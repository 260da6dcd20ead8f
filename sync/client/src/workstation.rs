//! A data directory is a workstation: shared by several users, each with their own replica and
//! outbox (`users/<id>/replica.sqlite3`). Switching users never touches another user's
//! pending mutations; each replica pushes with its own user's tokens.

use crate::error::{ClientError, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use uuid::Uuid;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Workstation {
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

impl Workstation {
    /// The engine's interval between periodic syncs.
    pub fn sync_interval_seconds(&self) -> u32 {
        self.sync_interval_seconds.unwrap_or(DEFAULT_SYNC_INTERVAL_SECONDS)
    }

    fn file(data_dir: &Path) -> PathBuf {
        data_dir.join("workstation.json")
    }

    pub fn load(data_dir: &Path) -> Result<Workstation> {
        match std::fs::read(Workstation::file(data_dir)) {
            Ok(bytes) => Ok(serde_json::from_slice(&bytes)?),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Workstation::default()),
            Err(error) => Err(error.into()),
        }
    }

    /// Saves atomically (write a temporary file, then rename), so a crash never leaves half a file.
    pub fn save(&self, data_dir: &Path) -> Result<()> {
        std::fs::create_dir_all(data_dir)?;
        let path = Workstation::file(data_dir);
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
