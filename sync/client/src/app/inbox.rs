//! The conflict inbox: the user's refused mutations (`rejected_mutations`, the replica's own)
//! and the server's `conflictos` rows for them, with sentences in the workstation's language.
//! Reviewing a conflict is a replica-local overlay (`reviewed_conflicts`): `conflictos` is
//! replicated, and a pull rewrites its rows.

use super::texts::{self, Facts};
use super::types::{InboxConflict, InboxEntry, InboxEntryRef, InboxKind, InboxRejection};
use super::{json_value, utc, INBOX_ROWS};
use crate::error::{ClientError, Result};
use crate::session::Session;
use crate::sync::lock;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{Map, Value};
use taller_domain::{Lang, Rechazo, RejectionCode};
use uuid::Uuid;

impl Session {
    /// The inbox, newest first: rejections and conflicts, reviewed or not (`reviewed` says),
    /// at most [`INBOX_ROWS`] of each.
    pub fn inbox(&self) -> Result<Vec<InboxEntry>> {
        let me = self.user_id();
        let lang = self.lang();
        let mut entries = self.read(|conn| {
            let mut entries = rejections(conn, lang)?;
            entries.extend(conflicts(conn, me, lang)?);
            Ok(entries)
        })?;
        entries.sort_by_key(|entry| std::cmp::Reverse(sort_key(&entry.at)));
        Ok(entries)
    }

    /// Marks one entry reviewed: it leaves the status's open count. A rejection is marked in
    /// `rejected_mutations`; a conflict in the replica's overlay, which no pull undoes. An
    /// entry the replica does not have is `invalid_input`.
    pub fn dismiss_inbox_entry(&self, entry: &InboxEntryRef) -> Result<()> {
        let me = self.user_id().to_string();
        let id = entry.id.to_string();
        {
            let replica = lock(self.shared());
            let conn = &replica.conn;
            let found = match entry.kind {
                InboxKind::Rechazo => {
                    conn.execute("UPDATE rejected_mutations SET reviewed = 1 WHERE id = ?1", [&id])? == 1
                }
                kind => {
                    let known: Option<String> = conn
                        .query_row(
                            "SELECT tipo FROM conflictos WHERE id_conflicto = ?1 AND id_usuario = ?2",
                            [&id, &me],
                            |row| row.get(0),
                        )
                        .optional()?;
                    if known.as_deref() == Some(kind.as_str()) {
                        conn.execute("INSERT OR IGNORE INTO reviewed_conflicts (id_conflicto) VALUES (?1)", [&id])?;
                        true
                    } else {
                        false
                    }
                }
            };
            if !found {
                return Err(ClientError::Invalid(format!(
                    "no inbox entry {} of kind {} in this replica",
                    entry.id,
                    entry.kind.as_str()
                )));
            }
        }
        self.publish();
        Ok(())
    }
}

/// Orders entries by time; a time that does not parse sorts first (oldest).
fn sort_key(at: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(at).ok().map(|at| at.with_timezone(&Utc))
}

/// A part's reference by id.
fn referencia(conn: &Connection, id_repuesto: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT referencia FROM repuestos WHERE id_repuesto = ?1")?
        .query_row([id_repuesto], |row| row.get(0))
        .optional()?)
}

/// A location's name by id.
fn localizacion(conn: &Connection, id_localizacion: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT nombre FROM localizacion WHERE id_localizacion = ?1")?
        .query_row([id_localizacion], |row| row.get(0))
        .optional()?)
}

/// id, name, args, at, code, message, params, reviewed.
type RejectionRow = (String, String, String, String, String, String, Option<String>, bool);

fn rejections(conn: &Connection, lang: Lang) -> Result<Vec<InboxEntry>> {
    let rows: Vec<RejectionRow> = {
        let mut statement = conn.prepare_cached(
            "SELECT id, name, args, at, code, message, params, reviewed FROM rejected_mutations \
              ORDER BY at DESC LIMIT ?1",
        )?;
        let rows = statement.query_map([INBOX_ROWS], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?, row.get(7)?))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut out = Vec::with_capacity(rows.len());
    for (id, name, args, at, code, message, stored_params, reviewed) in rows {
        let Ok(id) = id.parse::<Uuid>() else { continue };
        let args: Value = serde_json::from_str(&args).unwrap_or(Value::Null);
        let params: Map<String, Value> = match stored_params.as_deref().map(serde_json::from_str::<Value>) {
            Some(Ok(Value::Object(map))) => map,
            _ => Map::new(),
        };
        let text = |key: &str| args.get(key).and_then(Value::as_str).map(str::to_owned);
        let mut facts = Facts { cantidad: args.get("cantidad").and_then(Value::as_i64), ..Facts::default() };
        if let Some(part) = text("id_repuesto") {
            facts.referencia = referencia(conn, &part)?;
        }
        let location = params
            .get("id_localizacion")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| text("id_localizacion"));
        if let Some(location) = &location {
            facts.localizacion = localizacion(conn, location)?;
        }
        let known: Option<RejectionCode> = serde_json::from_value(Value::String(code.clone())).ok();
        let why = match known {
            Some(known) => {
                let mut rechazo = Rechazo { code: known, params: params.clone() };
                // The location by the name a person knows, when the server sent only its id.
                if let (Some(name), true) = (&facts.localizacion, params.contains_key("id_localizacion")) {
                    if !rechazo.params.contains_key("localizacion") {
                        rechazo = rechazo.with("localizacion", name.clone());
                    }
                }
                texts::readable(&rechazo, lang).message(lang)
            }
            None => message,
        };
        let texts = texts::rejection(lang, &name, known, why, &facts);
        out.push(InboxEntry {
            id,
            kind: InboxKind::Rechazo,
            action: name,
            at: utc(at),
            what: texts.what,
            why: texts.why,
            next_step: texts.next_step,
            reviewed,
            rejection: Some(InboxRejection { code, params }),
            conflict: None,
        });
    }
    Ok(out)
}

/// The mutation behind a stock conflict: the ledger row it wrote, by its operation.
fn stock_action(conn: &Connection, clave: &str, id_mutacion: Option<&str>, detalles: &Value) -> Result<String> {
    let id_log = detalles.get("id_log").and_then(Value::as_str);
    let tipo: Option<String> = conn
        .prepare_cached(
            "SELECT tipo_operacion FROM logs_inventario WHERE id_inventario = ?1 \
                AND (id_log = ?2 OR json_extract(detalles, '$.id_mutacion') = ?3) LIMIT 1",
        )?
        .query_row(params![clave, id_log, id_mutacion], |row| row.get(0))
        .optional()?;
    Ok(match tipo.as_deref() {
        Some("AJUSTE_MANUAL") => "inventory.adjust",
        Some("CONTEO_FISICO") => "count.close",
        Some("SOLICITUD_SALIDA") => "request.dispatch",
        Some("SOLICITUD_ENTRADA") => "request.receive",
        Some("GARANTIA") => "warranty.approve",
        _ => "movement.record",
    }
    .to_owned())
}

type ConflictRow = (
    String,
    Option<String>,
    String,
    String,
    String,
    Option<String>,
    [Option<String>; 3],
    Option<String>,
    Option<String>,
    bool,
    String,
);

fn conflicts(conn: &Connection, me: Uuid, lang: Lang) -> Result<Vec<InboxEntry>> {
    let rows: Vec<ConflictRow> = {
        let mut statement = conn.prepare_cached(
            "SELECT c.id_conflicto, c.id_mutacion, c.tipo, c.tabla, c.clave, c.campo, \
                    c.valor_reemplazado, c.valor_servidor, c.valor_nuevo, c.otro_usuario, u.nombre_completo, \
                    c.detalles, c.revisado <> 0 OR x.id_conflicto IS NOT NULL, c.created_at \
               FROM conflictos c LEFT JOIN usuarios u ON u.id_usuario = c.otro_usuario \
               LEFT JOIN reviewed_conflicts x ON x.id_conflicto = c.id_conflicto \
              WHERE c.id_usuario = ?1 ORDER BY c.created_at DESC LIMIT ?2",
        )?;
        let rows = statement.query_map(params![me.to_string(), INBOX_ROWS], |row| {
            let other_id: Option<String> = row.get(9)?;
            let other_name: Option<String> = row.get(10)?;
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
                [row.get(6)?, row.get(7)?, row.get(8)?],
                other_name.or(other_id),
                row.get(11)?,
                row.get(12)?,
                row.get(13)?,
            ))
        })?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut out = Vec::with_capacity(rows.len());
    for (id, id_mutacion, tipo, tabla, clave, campo, values, otro_usuario, detalles, reviewed, created_at) in rows {
        let (Ok(id), Some(kind)) = (id.parse::<Uuid>(), InboxKind::of_conflict(&tipo)) else { continue };
        let [reemplazado, servidor, nuevo] = values;
        let detalles = json_value(detalles);
        let mut facts = Facts {
            tabla: tabla.clone(),
            clave: clave.clone(),
            campo: campo.clone(),
            otro_usuario: otro_usuario.clone(),
            valor_reemplazado: json_value(reemplazado),
            valor_servidor: json_value(servidor),
            valor_nuevo: json_value(nuevo),
            ..Facts::default()
        };
        match tabla.as_str() {
            "inventario" => {
                let named: Option<(String, String)> = conn
                    .prepare_cached(
                        "SELECT r.referencia, l.nombre FROM inventario i \
                           JOIN repuestos r ON r.id_repuesto = i.id_repuesto \
                           JOIN localizacion l ON l.id_localizacion = i.id_localizacion WHERE i.id_inventario = ?1",
                    )?
                    .query_row([&clave], |row| Ok((row.get(0)?, row.get(1)?)))
                    .optional()?;
                if let Some((r, l)) = named {
                    facts.referencia = Some(r);
                    facts.localizacion = Some(l);
                }
            }
            "repuestos" => facts.referencia = referencia(conn, &clave)?,
            "order_follow" => {
                facts.referencia = conn
                    .prepare_cached("SELECT numero_orden FROM order_follow WHERE id_orden = ?1")?
                    .query_row([&clave], |row| row.get(0))
                    .optional()?;
            }
            _ => {}
        }
        let action = match kind {
            InboxKind::Absorbido | InboxKind::StockNegativo => {
                stock_action(conn, &clave, id_mutacion.as_deref(), &detalles)?
            }
            InboxKind::FusionReferencia => "part.create".to_owned(),
            InboxKind::NivelSuperado => "order.advance".to_owned(),
            InboxKind::EdicionCampo | InboxKind::Rechazo => match tabla.as_str() {
                "repuestos" => "part.edit",
                "inventario" => "inventory.settings",
                "garantias" => "warranty.edit",
                "scooter_types" => "model.edit",
                "order_follow" => "order.edit",
                _ => "part.edit",
            }
            .to_owned(),
        };
        let texts = texts::conflict(lang, kind, &facts);
        out.push(InboxEntry {
            id,
            kind,
            action,
            at: utc(created_at),
            what: texts.what,
            why: texts.why,
            next_step: texts.next_step,
            reviewed,
            rejection: None,
            conflict: Some(InboxConflict {
                tabla,
                clave,
                campo,
                valor_reemplazado: facts.valor_reemplazado,
                valor_servidor: facts.valor_servidor,
                valor_nuevo: facts.valor_nuevo,
                otro_usuario,
            }),
        });
    }
    Ok(out)
}
