//! Stock: what `taller stock`, `taller move` and a stock screen do. Locations, parts and
//! technicians are named as a person names them and resolved inside the action's own
//! transaction ([`Session::act_built`]); a settings edit's replaced values are read there too.

use super::inventory::{inventory_row, ROW_COLUMNS};
use super::parts::field_edits;
use super::stock_types::*;
use crate::error::{ClientError, Result};
use crate::queries;
use crate::session::{Queued, Session};
use chrono::Utc;
use rusqlite::OptionalExtension;
use serde_json::json;
use taller_protocol::mutations::{InventoryAdjust, InventorySettings, MovementRecord, Mutation};
use uuid::Uuid;

impl Session {
    /// Stock rows by location name, then part reference, of one location or of all: each with
    /// `estado_stock` and `alerta_minimo` (the domain's rules), optionally only those at or
    /// below their minimum. An unknown location is `invalid_input`. Every location of a big
    /// network is a million rows: [`Session::each_stock`] hands them over one at a time.
    pub fn stock(&self, input: &StockListInput) -> Result<Vec<StockRow>> {
        let mut rows = Vec::new();
        self.each_stock(input, |row| {
            rows.push(row);
            Ok(())
        })?;
        Ok(rows)
    }

    /// [`Session::stock`] one row at a time, so that a listing of any size holds one row in
    /// memory; an error from `f` stops the listing and is returned.
    pub fn each_stock(&self, input: &StockListInput, mut f: impl FnMut(StockRow) -> Result<()>) -> Result<()> {
        self.read(|conn| {
            let location = input.location.as_deref().map(|name| queries::location_id(conn, name)).transpose()?;
            let mut statement = conn.prepare_cached(&format!(
                "SELECT {ROW_COLUMNS}, l.nombre, i.veces_contado \
                   FROM inventario i JOIN repuestos r ON r.id_repuesto = i.id_repuesto \
                   JOIN localizacion l ON l.id_localizacion = i.id_localizacion \
                  WHERE (?1 IS NULL OR i.id_localizacion = ?1) AND (?2 = 0 OR i.stock_actual <= i.cantidad_minima) \
                  ORDER BY l.nombre, r.referencia, r.id_repuesto"
            ))?;
            let mut rows =
                statement.query(rusqlite::params![location.map(|id| id.to_string()), i64::from(input.low_only)])?;
            while let Some(row) = rows.next()? {
                let item = inventory_row(row)?;
                f(StockRow { localizacion: row.get(11)?, item, veces_contado: row.get(12)? })?;
            }
            Ok(())
        })
    }

    /// Adjusts a part's stock at a location by hand (`inventory.adjust`, a ledger row
    /// `AJUSTE_MANUAL` with its reason); `result.stock_actual` is the stock it left.
    pub fn adjust_stock(&self, input: &StockAdjustInput) -> Result<Queued> {
        self.act_built(Utc::now(), |conn| {
            Ok(Mutation::InventoryAdjust(InventoryAdjust {
                id_localizacion: queries::location_id(conn, &input.location)?,
                id_repuesto: queries::part_id(conn, &input.part)?,
                delta: input.delta,
                motivo: input.motivo.clone(),
            }))
        })
    }

    /// Sets a part's minimum and/or shelf position at a location (`inventory.settings`), each
    /// with the value the replica holds now as the one it replaces. No field given, or a name
    /// that matches nothing, is `invalid_input`.
    pub fn set_stock_settings(&self, input: &StockSettingsInput) -> Result<Queued> {
        if input.cantidad_minima.is_none() && input.posicion.is_none() {
            return Err(ClientError::Invalid("give the minimum, the position or both".into()));
        }
        let wanted = [
            ("cantidad_minima", input.cantidad_minima.map(|n| json!(n))),
            ("posicion", input.posicion.as_ref().map(|text| json!(text))),
        ];
        self.act_built(Utc::now(), |conn| {
            let id_localizacion = queries::location_id(conn, &input.location)?;
            let id_repuesto = queries::part_id(conn, &input.part)?;
            let item: Option<String> = conn
                .prepare_cached(
                    "SELECT id_inventario FROM inventario WHERE id_localizacion = ?1 AND id_repuesto = ?2 \
                      ORDER BY id_inventario LIMIT 1",
                )?
                .query_row([id_localizacion.to_string(), id_repuesto.to_string()], |row| row.get(0))
                .optional()?;
            let edits = field_edits(conn, "inventario", item.as_deref(), wanted)?;
            Ok(Mutation::InventorySettings(InventorySettings { id_localizacion, id_repuesto, edits }))
        })
    }

    /// Records a technician movement (`movement.record`, a new uuid v7 id) at a location and
    /// of a part named by name and reference, taken by the technician named (the signed-in
    /// user by default), of the concept's default type unless one is given, dated `at` or
    /// now; `result.stock_actual` is the stock it left.
    pub fn record_move(&self, input: &MoveInput) -> Result<Queued> {
        let me = self.user_id();
        let tipo = match input.tipo {
            Some(tipo) => tipo,
            None => input.concepto.allowed_tipos()[0],
        };
        self.act_built(input.at.unwrap_or_else(Utc::now), |conn| {
            let id_tecnico_asignado = match &input.technician {
                Some(who) => queries::user_id(conn, who)?,
                None => me,
            };
            Ok(Mutation::MovementRecord(MovementRecord {
                id_movimientos_tecnicos: Uuid::now_v7(),
                id_localizacion: queries::location_id(conn, &input.location)?,
                id_repuesto: queries::part_id(conn, &input.part)?,
                id_tecnico_asignado,
                concepto: input.concepto,
                tipo,
                cantidad: input.cantidad,
                numero_orden: input.numero_orden,
            }))
        })
    }
}
