//! Warranty claims: what the warranty screen and `taller warranty` do. A claim is created
//! with its location, part and technician named as a person names them, resolved inside the
//! action's own transaction ([`Session::act_built`]); then submitted, and approved (the
//! replacement units come into stock, `GARANTIA`) or rejected with a comment.

use super::warranty_types::*;
use super::{ledger_entry_at, LEDGER_COLUMNS};
use super::{opt_uuid_at, utc, uuid_at};
use crate::error::{ClientError, Result};
use crate::queries;
use crate::session::{Queued, Session};
use chrono::Utc;
use rusqlite::{Connection, OptionalExtension};
use serde_json::{json, Value};
use taller_domain::EstadoGarantia;
use taller_protocol::mutations::{Mutation, WarrantyCreate, WarrantyEdit, WarrantyRef, WarrantyResolve};
use uuid::Uuid;

/// The columns of a [`WarrantySummary`], in its field order, over `garantias g`.
const SUMMARY_COLUMNS: &str = "g.id_garantia, g.estado, g.id_repuesto, r.referencia, r.nombre, g.id_localizacion, \
     l.nombre, g.cantidad, g.motivo_falla, g.solicitante, g.numero_orden, g.id_usuario_reporta, u.nombre_completo, \
     g.fecha_reporte, g.fecha_resolucion, g.comentarios_resolucion";

const SUMMARY_JOINS: &str = "LEFT JOIN repuestos r ON r.id_repuesto = g.id_repuesto \
     LEFT JOIN localizacion l ON l.id_localizacion = g.id_localizacion \
     LEFT JOIN usuarios u ON u.id_usuario = g.id_usuario_reporta";

fn summary_at(row: &rusqlite::Row<'_>) -> rusqlite::Result<WarrantySummary> {
    let estado: String = row.get(1)?;
    Ok(WarrantySummary {
        id_garantia: uuid_at(row, 0)?,
        estado: estado.parse().map_err(|error: taller_domain::estados::UnknownState| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, error.0.into())
        })?,
        id_repuesto: uuid_at(row, 2)?,
        referencia: row.get(3)?,
        nombre: row.get(4)?,
        id_localizacion: uuid_at(row, 5)?,
        localizacion: row.get(6)?,
        cantidad: row.get(7)?,
        motivo_falla: row.get(8)?,
        solicitante: row.get(9)?,
        numero_orden: row.get(10)?,
        id_usuario_reporta: uuid_at(row, 11)?,
        usuario_reporta: row.get(12)?,
        fecha_reporte: utc(row.get(13)?),
        fecha_resolucion: row.get::<_, Option<String>>(14)?.map(utc),
        comentarios_resolucion: row.get(15)?,
    })
}

impl Session {
    /// Creates a claim (`warranty.create`, SIN_ENVIAR) for a location and a part named by id
    /// or name/reference, with the technician involved named by id or email;
    /// `result.id_garantia` is the new claim's id. A name that matches nothing is
    /// `invalid_input`.
    pub fn create_warranty(&self, input: &WarrantyCreateInput) -> Result<Queued> {
        self.act_built(Utc::now(), |conn| {
            let id_tecnico_asociado = input.technician.as_deref().map(|who| queries::user_id(conn, who)).transpose()?;
            Ok(Mutation::WarrantyCreate(WarrantyCreate {
                id_garantia: Uuid::now_v7(),
                id_localizacion: queries::location_id(conn, &input.location)?,
                id_repuesto: queries::part_id(conn, &input.part)?,
                cantidad: input.cantidad,
                motivo_falla: input.motivo_falla.clone(),
                id_tecnico_asociado,
                kilometraje: input.kilometraje,
                numero_orden: input.numero_orden.clone(),
                solicitante: input.solicitante.clone(),
                url_evidencia_foto: input.url_evidencia_foto.clone(),
            }))
        })
    }

    /// Edits a draft claim's fields (`warranty.edit`), each with the value the replica holds
    /// now as the one it replaces (as [`Session::edit_part`] does). No field given is
    /// `invalid_input`; a claim already sent for review is refused with `not_editable`, and
    /// nothing is queued.
    pub fn edit_warranty(&self, input: &WarrantyEditInput) -> Result<Queued> {
        if input.is_empty() {
            return Err(ClientError::Invalid("name at least one field of the claim to edit".into()));
        }
        // An empty optional text clears the field.
        let optional = |value: &Option<String>| {
            value.as_ref().map(|text| if text.trim().is_empty() { Value::Null } else { json!(text) })
        };
        self.act_built(Utc::now(), |conn| {
            let id_tecnico = match input.technician.as_deref().map(str::trim) {
                None => None,
                Some("") => Some(Value::Null),
                Some(who) => Some(json!(queries::user_id(conn, who)?.to_string())),
            };
            let wanted: [(&str, Option<Value>); 7] = [
                ("cantidad", input.cantidad.map(|n| json!(n))),
                ("motivo_falla", input.motivo_falla.as_ref().map(|text| json!(text))),
                ("kilometraje", input.kilometraje.map(|km| json!(km))),
                ("numero_orden", optional(&input.numero_orden)),
                ("solicitante", optional(&input.solicitante)),
                ("url_evidencia_foto", optional(&input.url_evidencia_foto)),
                ("id_tecnico_asociado", id_tecnico),
            ];
            let key = input.id_garantia.to_string();
            let edits = super::parts::field_edits(conn, "garantias", Some(&key), wanted)?;
            Ok(Mutation::WarrantyEdit(WarrantyEdit { id_garantia: input.id_garantia, edits }))
        })
    }

    /// Sends a claim for review (`warranty.submit`: SIN_ENVIAR → PENDIENTE).
    pub fn submit_warranty(&self, id_garantia: Uuid) -> Result<Queued> {
        self.act(&Mutation::WarrantySubmit(WarrantyRef { id_garantia }))
    }

    /// Approves a claim (`warranty.approve`: PENDIENTE → APROBADA, needs
    /// `guarantees.resolve`): its units come into stock at its location;
    /// `result.stock_actual` is the stock it left.
    pub fn approve_warranty(&self, input: &WarrantyResolveInput) -> Result<Queued> {
        self.act(&Mutation::WarrantyApprove(WarrantyResolve {
            id_garantia: input.id_garantia,
            comentarios_resolucion: input.comentarios_resolucion.clone(),
        }))
    }

    /// Rejects a claim (`warranty.reject`: PENDIENTE → RECHAZADA, needs `guarantees.resolve`);
    /// without a comment it is refused with `reason_required`.
    pub fn reject_warranty(&self, input: &WarrantyResolveInput) -> Result<Queued> {
        self.act(&Mutation::WarrantyReject(WarrantyResolve {
            id_garantia: input.id_garantia,
            comentarios_resolucion: input.comentarios_resolucion.clone(),
        }))
    }

    /// Claims in the replica, newest report first, optionally of one state.
    pub fn warranties(&self, input: &WarrantyListInput) -> Result<Vec<WarrantySummary>> {
        let estado = input.estado.map(EstadoGarantia::as_str);
        self.read(|conn| {
            let mut statement = conn.prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM garantias g {SUMMARY_JOINS} \
                  WHERE (?1 IS NULL OR g.estado = ?1) ORDER BY g.fecha_reporte DESC, g.id_garantia DESC"
            ))?;
            let rows = statement.query_map([estado], summary_at)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// A claim with its technician, mileage, photo and, once approved, the ledger row that
    /// brought its units into stock; `invalid_input` when the replica does not hold it.
    pub fn warranty(&self, id_garantia: Uuid) -> Result<WarrantyDetail> {
        self.read(|conn| warranty_detail(conn, id_garantia))
    }
}

fn warranty_detail(conn: &Connection, id: Uuid) -> Result<WarrantyDetail> {
    let key = id.to_string();
    let detail = conn
        .prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS}, g.id_tecnico_asociado, t.nombre_completo, g.kilometraje, g.url_evidencia_foto \
               FROM garantias g {SUMMARY_JOINS} LEFT JOIN usuarios t ON t.id_usuario = g.id_tecnico_asociado \
              WHERE g.id_garantia = ?1"
        ))?
        .query_row([&key], |row| {
            Ok(WarrantyDetail {
                claim: summary_at(row)?,
                id_tecnico_asociado: opt_uuid_at(row, 16)?,
                tecnico_asociado: row.get(17)?,
                kilometraje: row.get(18)?,
                url_evidencia_foto: row.get(19)?,
                ingreso: None,
            })
        })
        .optional()?
        .ok_or_else(|| ClientError::Invalid(format!("no warranty claim {id} in this replica")))?;
    // The approval's row among the ledger of the claim's item (`detalles.id_garantia`).
    let ingreso = conn
        .prepare_cached(&format!(
            "SELECT {LEDGER_COLUMNS} \
               FROM garantias x JOIN inventario i ON i.id_localizacion = x.id_localizacion AND i.id_repuesto = x.id_repuesto \
               JOIN logs_inventario g ON g.id_inventario = i.id_inventario \
               JOIN localizacion l ON l.id_localizacion = i.id_localizacion \
               LEFT JOIN usuarios u ON u.id_usuario = g.id_usuario \
              WHERE x.id_garantia = ?1 AND g.tipo_operacion = 'GARANTIA' \
                AND (CASE WHEN json_valid(g.detalles) THEN json_extract(g.detalles, '$.id_garantia') END) = x.id_garantia \
              ORDER BY g.fecha DESC, g.id_log DESC LIMIT 1"
        ))?
        .query_row([&key], |row| ledger_entry_at(row, 0))
        .optional()?;
    Ok(WarrantyDetail { ingreso, ..detail })
}
