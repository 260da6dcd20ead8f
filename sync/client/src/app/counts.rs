//! Physical counts: what the count screen and `taller count` do. A count is started at a
//! location named as a person names it, its lines name their part by reference; each lookup
//! runs inside the action's own transaction ([`Session::act_built`]). Closing a count writes
//! its `CONTEO_FISICO` ledger rows (`local/counts.rs`), which a count's detail shows beside
//! its lines.

use super::count_types::*;
use super::{ledger_entry_at, utc, uuid_at, LEDGER_COLUMNS};
use crate::error::{ClientError, Result};
use crate::queries;
use crate::session::{Queued, Session};
use chrono::Utc;
use rusqlite::{Connection, OptionalExtension};
use taller_protocol::mutations::{CountClose, CountLine, CountStart, Mutation};
use uuid::Uuid;

/// The columns of a [`CountSummary`], in its field order, over `registro_conteo c`.
const SUMMARY_COLUMNS: &str = "c.id_conteo, c.id_localizacion, l.nombre, c.id_usuario, u.nombre_completo, \
     c.fecha_conteo, c.total_items, c.total_diferencias, c.items_con_pq, c.observaciones, c.created_at, x.cerrado_en, \
     (SELECT count(*) FROM detalles_conteo d WHERE d.id_conteo = c.id_conteo)";

const SUMMARY_JOINS: &str = "LEFT JOIN localizacion l ON l.id_localizacion = c.id_localizacion \
     LEFT JOIN usuarios u ON u.id_usuario = c.id_usuario \
     LEFT JOIN conteos_cerrados x ON x.id_conteo = c.id_conteo";

fn summary_at(row: &rusqlite::Row<'_>) -> rusqlite::Result<CountSummary> {
    let cerrado_en: Option<String> = row.get(11)?;
    Ok(CountSummary {
        id_conteo: uuid_at(row, 0)?,
        id_localizacion: uuid_at(row, 1)?,
        localizacion: row.get(2)?,
        id_usuario: uuid_at(row, 3)?,
        usuario: row.get(4)?,
        fecha_conteo: utc(row.get(5)?),
        total_items: row.get(6)?,
        total_diferencias: row.get(7)?,
        items_con_pq: row.get(8)?,
        observaciones: row.get(9)?,
        created_at: utc(row.get(10)?),
        state: if cerrado_en.is_some() { CountState::Closed } else { CountState::Open },
        cerrado_en: cerrado_en.map(utc),
        num_lineas: row.get(12)?,
    })
}

impl Session {
    /// Starts a count at a location named by id or name (`count.start`); `result.id_conteo`
    /// is the new count's id. An unknown location is `invalid_input`.
    pub fn start_count(&self, input: &CountStartInput) -> Result<Queued> {
        self.act_built(Utc::now(), |conn| {
            Ok(Mutation::CountStart(CountStart {
                id_conteo: Uuid::now_v7(),
                id_localizacion: queries::location_id(conn, &input.location)?,
                observaciones: input.observaciones.clone(),
            }))
        })
    }

    /// Records a line of an open count (`count.line`), its part named by id or reference;
    /// `result` has the line's `id_detalle_conteo`, `cantidad_sistema` and `diferencia`.
    /// Counting the same part again replaces its line. An unknown part is `invalid_input`.
    pub fn record_count_line(&self, input: &CountLineInput) -> Result<Queued> {
        self.act_built(Utc::now(), |conn| {
            Ok(Mutation::CountLine(CountLine {
                id_detalle_conteo: Uuid::now_v7(),
                id_conteo: input.id_conteo,
                id_repuesto: queries::part_id(conn, &input.part)?,
                cantidad_csa: input.cantidad_csa,
                cantidad_pq: input.cantidad_pq,
                observaciones: input.observaciones.clone(),
            }))
        })
    }

    /// Closes a count (`count.close`): each line fixes its part's stock as of when it was
    /// counted; `result` has `lineas_ajustadas` and `lineas_absorbidas`.
    pub fn close_count(&self, id_conteo: Uuid) -> Result<Queued> {
        self.act(&Mutation::CountClose(CountClose { id_conteo }))
    }

    /// Counts in the replica, newest first, optionally of one location and one state. An
    /// unknown location is `invalid_input`.
    pub fn counts(&self, input: &CountListInput) -> Result<Vec<CountSummary>> {
        let closed = input.state.map(|state| state == CountState::Closed);
        self.read(|conn| {
            let location = input.location.as_deref().map(|name| queries::location_id(conn, name)).transpose()?;
            let mut statement = conn.prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM registro_conteo c {SUMMARY_JOINS} \
                  WHERE (?1 IS NULL OR c.id_localizacion = ?1) AND (?2 IS NULL OR (x.id_conteo IS NOT NULL) = ?2) \
                  ORDER BY c.fecha_conteo DESC, c.id_conteo DESC"
            ))?;
            let rows = statement.query_map(rusqlite::params![location.map(|id| id.to_string()), closed], summary_at)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// A count with its lines (by part reference), their differences and, once it is closed,
    /// the ledger row each line wrote; `invalid_input` when the replica does not hold it.
    pub fn count(&self, id_conteo: Uuid) -> Result<CountDetail> {
        self.read(|conn| count_detail(conn, id_conteo))
    }
}

fn count_detail(conn: &Connection, id: Uuid) -> Result<CountDetail> {
    let key = id.to_string();
    let count = conn
        .prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM registro_conteo c {SUMMARY_JOINS} WHERE c.id_conteo = ?1"
        ))?
        .query_row([&key], summary_at)
        .optional()?
        .ok_or_else(|| ClientError::Invalid(format!("no count {id} in this replica")))?;
    // The ledger rows of the close, by the line they name (`detalles.id_detalle_conteo`),
    // among the count rows of each line's item (the partial index of migration 0002).
    let mut adjustments = conn.prepare_cached(&format!(
        "SELECT d.id_detalle_conteo, {LEDGER_COLUMNS} \
           FROM detalles_conteo d JOIN registro_conteo c ON c.id_conteo = d.id_conteo \
           JOIN inventario i ON i.id_localizacion = c.id_localizacion AND i.id_repuesto = d.id_repuesto \
           JOIN logs_inventario g ON g.id_inventario = i.id_inventario AND g.tipo_operacion = 'CONTEO_FISICO' \
           JOIN localizacion l ON l.id_localizacion = i.id_localizacion \
           LEFT JOIN usuarios u ON u.id_usuario = g.id_usuario \
          WHERE d.id_conteo = ?1 \
            AND (CASE WHEN json_valid(g.detalles) THEN json_extract(g.detalles, '$.id_detalle_conteo') END) = d.id_detalle_conteo \
          ORDER BY g.fecha, g.id_log"
    ))?;
    let adjustments = adjustments
        .query_map([&key], |row| Ok((uuid_at(row, 0)?, ledger_entry_at(row, 1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut absorbed = absorbed_by(conn, &key)?;
    let mut lines = conn.prepare_cached(
        "SELECT d.id_detalle_conteo, d.id_repuesto, r.referencia, r.nombre, i.posicion, d.cantidad_sistema, \
                d.cantidad_csa, d.cantidad_pq, d.diferencia, d.observaciones \
           FROM detalles_conteo d JOIN registro_conteo c ON c.id_conteo = d.id_conteo \
           JOIN repuestos r ON r.id_repuesto = d.id_repuesto \
           LEFT JOIN inventario i ON i.id_localizacion = c.id_localizacion AND i.id_repuesto = d.id_repuesto \
          WHERE d.id_conteo = ?1 ORDER BY r.referencia, d.id_detalle_conteo",
    )?;
    let mut lineas = lines
        .query_map([&key], |row| {
            let id_detalle_conteo = uuid_at(row, 0)?;
            Ok(CountLineView {
                id_detalle_conteo,
                id_repuesto: uuid_at(row, 1)?,
                referencia: row.get(2)?,
                nombre: row.get(3)?,
                posicion: row.get(4)?,
                cantidad_sistema: row.get(5)?,
                cantidad_csa: row.get(6)?,
                cantidad_pq: row.get(7)?,
                diferencia: row.get(8)?,
                observaciones: row.get(9)?,
                ajuste: adjustments.iter().rev().find(|(line, _)| *line == id_detalle_conteo).map(|(_, e)| e.clone()),
                absorbidos: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // A part counted on two lines shows its absorbed changes once, on the last of them.
    for line in lineas.iter_mut().rev() {
        if let Some(changes) = absorbed.remove(&line.id_repuesto) {
            line.absorbidos = changes;
        }
    }
    Ok(CountDetail { count, lineas })
}

/// The query of the changes a count absorbed. Its `WHERE` spells the expression of the
/// partial index `idx_logs_inventario_absorbidos` (client migration 0007) so that it reads
/// only those rows, whatever the ledger's history.
pub(crate) const ABSORBED_BY_COUNT: &str = "SELECT i.id_repuesto, g.id_log, g.fecha, g.tipo_operacion, \
        CAST(COALESCE(json_extract(g.detalles, '$.delta_original'), g.diferencia) AS INTEGER), g.motivo, u.nombre_completo \
   FROM logs_inventario g JOIN inventario i ON i.id_inventario = g.id_inventario \
   LEFT JOIN usuarios u ON u.id_usuario = g.id_usuario \
  WHERE (CASE WHEN json_valid(g.detalles) THEN json_extract(g.detalles, '$.absorbido_por_conteo') END) = ?1 \
  ORDER BY g.fecha, g.id_log";

/// The changes the count `key` absorbed, by part, oldest first.
fn absorbed_by(conn: &Connection, key: &str) -> Result<std::collections::HashMap<Uuid, Vec<AbsorbedChange>>> {
    let mut statement = conn.prepare_cached(ABSORBED_BY_COUNT)?;
    let rows = statement.query_map([key], |row| {
        let tipo: String = row.get(3)?;
        let tipo_operacion = tipo.parse::<taller_domain::TipoOperacion>().map_err(|error| {
            rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(error))
        })?;
        Ok((
            uuid_at(row, 0)?,
            AbsorbedChange {
                id_log: uuid_at(row, 1)?,
                fecha: utc(row.get(2)?),
                tipo_operacion,
                cantidad: row.get(4)?,
                motivo: row.get(5)?,
                usuario: row.get(6)?,
            },
        ))
    })?;
    let mut by_part: std::collections::HashMap<Uuid, Vec<AbsorbedChange>> = std::collections::HashMap::new();
    for row in rows {
        let (part, change) = row?;
        by_part.entry(part).or_default().push(change);
    }
    Ok(by_part)
}
