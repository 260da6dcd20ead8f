//! Desktop notifications for stock alerts (low and negative stock): the in-app list is the
//! `notifications` command; this shows each new unread one once, as the system's notification.

use std::collections::HashSet;
use std::sync::Mutex;
use taller_client::Session;
use tauri::AppHandle;
use tauri_plugin_notification::NotificationExt;
use uuid::Uuid;

pub struct Notifier {
    app: AppHandle,
    /// Notifications already shown (or already there when the user's engine started).
    seen: Mutex<HashSet<Uuid>>,
}

impl Notifier {
    pub fn new(app: AppHandle) -> Notifier {
        Notifier { app, seen: Mutex::new(HashSet::new()) }
    }

    /// What is already in the list when a user's session starts is not announced again.
    pub fn prime(&self, client: &Session) {
        if let Ok(list) = client.notification_list() {
            let mut seen = self.seen();
            seen.extend(list.iter().map(|notification| notification.id_notificacion));
        }
    }

    /// Shows each unread notification not shown before.
    pub fn announce(&self, client: &Session) {
        let Ok(list) = client.notification_list() else { return };
        let fresh: Vec<_> = {
            let mut seen = self.seen();
            list.into_iter().filter(|n| !n.leida && seen.insert(n.id_notificacion)).collect()
        };
        for notification in fresh {
            if let Err(error) =
                self.app.notification().builder().title(&notification.titulo).body(&notification.mensaje).show()
            {
                tracing::info!(%error, "no desktop notification (the in-app list still has it)");
            }
        }
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, HashSet<Uuid>> {
        match self.seen.lock() {
            Ok(seen) => seen,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}
