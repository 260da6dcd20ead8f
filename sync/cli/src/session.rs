//! The workstation and its session: `connect`, `login`, `unlock`, `logout`, `sync`, `status`,
//! `checksum`, `lang`.

use crate::output::{self, fail, fail_in, Failure};
use crate::signed_in;
use clap::Subcommand;
use serde_json::{json, Map, Value};
use std::io::Read;
use taller_client::app::{Progress, SyncReport};
use taller_client::{Session, Workstation};

#[derive(Subcommand)]
pub enum SessionCommand {
    /// Sets the server URL of this workstation.
    Connect {
        #[arg(long)]
        server: String,
    },
    /// Signs in online; the password is read from standard input.
    Login {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Unlocks a user who signed in here before, without the network.
    Unlock {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Signs out (pending changes stay, and are sent at the next sign-in).
    Logout,
    /// Sends pending changes and receives the server's, until caught up.
    Sync {
        /// One push and one pull only.
        #[arg(long)]
        once: bool,
        /// Rows per page.
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Online, pending, last sync, last error, conflicts.
    Status,
    /// Per-table checksums of the replica (and of the server's projection with --compare).
    Checksum {
        #[arg(long)]
        compare: bool,
    },
    /// Interface language: es or en.
    Lang { lang: String },
}

fn read_password(from_stdin: bool) -> Result<String, Failure> {
    if !from_stdin {
        return Err(Failure::usage("pass the password on standard input with --password-stdin"));
    }
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|error| Failure::refused("io", error.to_string()))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}

pub async fn run(workstation: &mut Workstation, json: bool, command: SessionCommand) -> Result<(), Failure> {
    match command {
        SessionCommand::Connect { server } => {
            workstation.connect(&server).map_err(|error| fail_in(workstation.lang(), error))?;
            output::value(json, &json!({"ok": true, "server": server}))
        }
        SessionCommand::Lang { lang } => {
            workstation.set_lang(&lang).map_err(|error| fail_in(workstation.lang(), error))?;
            output::value(json, &json!({"ok": true, "lang": workstation.lang().as_str()}))
        }
        SessionCommand::Login { email, password_stdin } => {
            let password = read_password(password_stdin)?;
            let lang = workstation.lang();
            let signed_in = workstation.sign_in(&email, &password).await.map_err(|error| fail_in(lang, error))?;
            output::value(
                json,
                &json!({"ok": true, "user": signed_in.user, "sent": signed_in.sent, "pending": signed_in.pending,
                        "send_error": signed_in.send_error}),
            )
        }
        SessionCommand::Unlock { email, password_stdin } => {
            let password = read_password(password_stdin)?;
            let lang = workstation.lang();
            let client = workstation.unlock(&email, &password).map_err(|error| fail_in(lang, error))?;
            let status = client.status().map_err(|error| fail(Some(&client), error))?;
            output::value(
                json,
                &json!({"ok": true, "user": email, "signed_in": status.signed_in, "pending": status.pending}),
            )
        }
        SessionCommand::Logout => {
            let lang = workstation.lang();
            let signed_out = workstation.logout().map_err(|error| fail_in(lang, error))?;
            let message = signed_out.message(lang);
            if json {
                output::line(
                    &json!({"ok": true, "user": signed_out.user, "pending": signed_out.pending, "message": message})
                        .to_string(),
                )
            } else {
                output::line(&message)
            }
        }
        SessionCommand::Sync { once, limit } => sync(&*signed_in(workstation)?, json, once, limit).await,
        SessionCommand::Status => {
            let status = workstation.status().map_err(|error| fail_in(workstation.lang(), error))?;
            output::value(json, &serde_json::to_value(status).unwrap_or_default())
        }
        SessionCommand::Checksum { compare } => checksum(&*signed_in(workstation)?, json, compare).await,
    }
}

/// Syncs until nothing is pending (or once); a failure carries the status it left.
async fn sync(client: &Session, json: bool, once: bool, limit: Option<u32>) -> Result<(), Failure> {
    let show_progress = !json;
    let progress = move |p: Progress| {
        if show_progress && p.rows_total > 0 {
            eprintln!("{} / {} ({:.0} %)", p.rows_sent, p.rows_total, p.percent());
        }
    };
    let mut total = SyncReport::default();
    loop {
        let report = match client.sync(limit, &progress).await {
            Ok(report) => report,
            Err(error) => {
                let status = client.status().ok().and_then(|status| serde_json::to_value(status).ok());
                return Err(match fail(Some(client), error) {
                    Failure::Refused { code, message, .. } => Failure::Refused {
                        code,
                        message,
                        details: status.map(|status| Map::from_iter([("status".to_owned(), status)])),
                    },
                    other => other,
                });
            }
        };
        total.add(&report);
        let pending = client.status().map(|s| s.pending).unwrap_or_default();
        if once || pending == 0 {
            break;
        }
    }
    let status = client.status().map_err(|error| fail(Some(client), error))?;
    output::value(json, &json!({"ok": true, "report": total, "status": status}))
}

/// The replica's checksums, compared with the server's projection with `compare`: one
/// document either way (a difference is the failure, with the comparison in it).
async fn checksum(client: &Session, json: bool, compare: bool) -> Result<(), Failure> {
    let local = client.checksums().map_err(|error| fail(Some(client), error))?;
    if !compare {
        return output::value(json, &serde_json::to_value(local).unwrap_or_default());
    }
    let server = client.server_checksums().await.map_err(|error| fail(Some(client), error))?;
    let differing: Vec<&String> =
        local.iter().filter(|(table, sum)| server.tables.get(*table) != Some(*sum)).map(|(table, _)| table).collect();
    let comparison = json!({"differing": differing, "replica": local, "server": server.tables});
    if !differing.is_empty() {
        return Err(Failure::Refused {
            code: "checksum_mismatch".into(),
            message: format!("tables differ from the server: {differing:?}"),
            details: comparison.as_object().cloned(),
        });
    }
    let mut document = Map::from_iter([("ok".to_owned(), Value::Bool(true))]);
    document.extend(comparison.as_object().cloned().unwrap_or_default());
    output::value(json, &Value::Object(document))
}
