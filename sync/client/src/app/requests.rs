//! The cart and transfer requests: what the transfers screen and `taller cart` / `taller
//! request` do. Each action resolves what the person named (a location by name, a part by
//! reference, a line by its part's reference) inside the action's own transaction
//! ([`Session::act_built`]), so the lookup and the action are one unit.

use super::{opt_uuid_at, utc, uuid_at};
use crate::app::types::*;
use crate::error::{ClientError, Result};
use crate::queries;
use crate::session::{Queued, Session};
use chrono::Utc;
use rusqlite::{Connection, OptionalExtension};
use taller_domain::EstadoSolicitud;
use taller_protocol::mutations::{
    CartAdd, CartRemove, CartSet, LineQuantity, Mutation, RequestCreate, RequestDispatch, RequestLine, RequestReceive,
    RequestRef,
};
use uuid::Uuid;

/// The columns of a [`RequestSummary`], in its field order, over `solicitudes s`.
const SUMMARY_COLUMNS: &str =
    "s.id_solicitud, s.estado, s.id_localizacion_origen, o.nombre, s.id_localizacion_destino, \
     d.nombre, s.id_usuario_solicitante, u.nombre_completo, s.fecha_creacion, s.fecha_alistamiento, s.fecha_despacho, \
     s.fecha_recepcion, s.guia_transporte, s.observaciones_generales, \
     (SELECT count(*) FROM detalles_solicitud x WHERE x.id_solicitud = s.id_solicitud)";

const SUMMARY_JOINS: &str = "LEFT JOIN localizacion o ON o.id_localizacion = s.id_localizacion_origen \
     LEFT JOIN localizacion d ON d.id_localizacion = s.id_localizacion_destino \
     LEFT JOIN usuarios u ON u.id_usuario = s.id_usuario_solicitante";

fn summary_at(row: &rusqlite::Row<'_>) -> rusqlite::Result<RequestSummary> {
    let estado: String = row.get(1)?;
    Ok(RequestSummary {
        id_solicitud: uuid_at(row, 0)?,
        estado: estado.parse().map_err(|error: taller_domain::estados::UnknownState| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, error.0.into())
        })?,
        id_localizacion_origen: uuid_at(row, 2)?,
        origen: row.get(3)?,
        id_localizacion_destino: uuid_at(row, 4)?,
        destino: row.get(5)?,
        id_usuario_solicitante: uuid_at(row, 6)?,
        solicitante: row.get(7)?,
        fecha_creacion: utc(row.get(8)?),
        fecha_alistamiento: row.get::<_, Option<String>>(9)?.map(utc),
        fecha_despacho: row.get::<_, Option<String>>(10)?.map(utc),
        fecha_recepcion: row.get::<_, Option<String>>(11)?.map(utc),
        guia_transporte: row.get(12)?,
        observaciones_generales: row.get(13)?,
        num_lineas: row.get(14)?,
    })
}

impl Session {
    /// The signed-in user's cart, oldest line first.
    pub fn cart(&self) -> Result<Vec<CartLine>> {
        let me = self.user_id().to_string();
        self.read(|conn| cart_lines(conn, &me, None))
    }

    /// Adds a part to the cart for a destination (`cart.add`).
    pub fn cart_add(&self, input: &CartAddInput) -> Result<Queued> {
        self.act_built(Utc::now(), |conn| {
            Ok(Mutation::CartAdd(CartAdd {
                id_item_carrito: Uuid::now_v7(),
                id_localizacion: queries::location_id(conn, &input.destination)?,
                id_repuesto: queries::part_id(conn, &input.part)?,
                cantidad: input.cantidad,
            }))
        })
    }

    /// Changes a cart line's quantity (`cart.set`).
    pub fn cart_set(&self, input: &CartSetInput) -> Result<Queued> {
        self.act(&Mutation::CartSet(CartSet { id_item_carrito: input.id_item_carrito, cantidad: input.cantidad }))
    }

    /// Removes a cart line (`cart.remove`).
    pub fn cart_remove(&self, id_item_carrito: Uuid) -> Result<Queued> {
        self.act(&Mutation::CartRemove(CartRemove { id_item_carrito }))
    }

    /// Creates a request from the cart's lines for the destination (`request.create`); the
    /// lines leave the cart. A cart with no line for that destination is refused as
    /// `empty_request`, as the server would.
    pub fn request_from_cart(&self, input: &RequestFromCartInput) -> Result<Queued> {
        let me = self.user_id().to_string();
        self.act_built(Utc::now(), |conn| {
            let origen = queries::location_id(conn, &input.origin)?;
            let destino = queries::location_id(conn, &input.destination)?;
            let lines: Vec<RequestLine> = cart_lines(conn, &me, Some(destino))?
                .into_iter()
                .map(|line| RequestLine {
                    id_detalle: Uuid::now_v7(),
                    id_repuesto: line.id_repuesto,
                    cantidad: line.cantidad,
                    id_item_carrito: Some(line.id_item_carrito),
                    observaciones: None,
                })
                .collect();
            Ok(Mutation::RequestCreate(RequestCreate {
                id_solicitud: Uuid::now_v7(),
                id_localizacion_origen: origen,
                id_localizacion_destino: destino,
                lines,
                observaciones_generales: input.observaciones_generales.clone(),
            }))
        })
    }

    /// Requests in the replica, newest first, optionally of one state.
    pub fn requests(&self, input: &RequestListInput) -> Result<Vec<RequestSummary>> {
        let estado = input.estado.map(EstadoSolicitud::as_str);
        self.read(|conn| {
            let mut statement = conn.prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM solicitudes s {SUMMARY_JOINS} \
                  WHERE (?1 IS NULL OR s.estado = ?1) ORDER BY s.fecha_creacion DESC, s.id_solicitud DESC"
            ))?;
            let rows = statement.query_map([estado], summary_at)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// A request with its lines in picking order and its timeline; `invalid_input` when the
    /// replica does not hold it.
    pub fn request(&self, id_solicitud: Uuid) -> Result<RequestDetail> {
        self.read(|conn| request_detail(conn, id_solicitud))
    }

    /// Picking starts (`request.pick`: PENDIENTE → ALISTAMIENTO).
    pub fn pick_request(&self, input: &RequestStepInput) -> Result<Queued> {
        self.act(&Mutation::RequestPick(RequestRef {
            id_solicitud: input.id_solicitud,
            comentario: input.comentario.clone(),
        }))
    }

    /// Dispatches (`request.dispatch`: ALISTAMIENTO → DESPACHADO), with the quantity of each
    /// line named (the others as requested) and the transport guide.
    pub fn dispatch_request(&self, input: &DispatchInput) -> Result<Queued> {
        self.act_built(Utc::now(), |conn| {
            Ok(Mutation::RequestDispatch(RequestDispatch {
                id_solicitud: input.id_solicitud,
                lines: line_quantities(conn, input.id_solicitud, &input.lines)?,
                guia_transporte: input.guia_transporte.clone(),
                comentario: input.comentario.clone(),
            }))
        })
    }

    /// Receives (`request.receive`: DESPACHADO → RECIBIDO), with the quantity of each line
    /// named (the others as dispatched); differences are recorded on the lines.
    pub fn receive_request(&self, input: &ReceiveInput) -> Result<Queued> {
        self.act_built(Utc::now(), |conn| {
            Ok(Mutation::RequestReceive(RequestReceive {
                id_solicitud: input.id_solicitud,
                lines: line_quantities(conn, input.id_solicitud, &input.lines)?,
                comentario: input.comentario.clone(),
            }))
        })
    }

    /// Cancels (`request.cancel`, from PENDIENTE or ALISTAMIENTO).
    pub fn cancel_request(&self, input: &RequestStepInput) -> Result<Queued> {
        self.act(&Mutation::RequestCancel(RequestRef {
            id_solicitud: input.id_solicitud,
            comentario: input.comentario.clone(),
        }))
    }
}

fn cart_lines(conn: &Connection, user: &str, destination: Option<Uuid>) -> Result<Vec<CartLine>> {
    let mut statement = conn.prepare_cached(
        "SELECT c.id_item_carrito, c.id_localizacion, l.nombre, c.id_repuesto, r.referencia, r.nombre, c.cantidad, c.created_at \
           FROM carrito_solicitudes c JOIN repuestos r ON r.id_repuesto = c.id_repuesto \
           JOIN localizacion l ON l.id_localizacion = c.id_localizacion \
          WHERE c.id_usuario = ?1 AND (?2 IS NULL OR c.id_localizacion = ?2) ORDER BY c.created_at, c.id_item_carrito",
    )?;
    let rows = statement.query_map(rusqlite::params![user, destination.map(|d| d.to_string())], |row| {
        Ok(CartLine {
            id_item_carrito: uuid_at(row, 0)?,
            id_localizacion: uuid_at(row, 1)?,
            destino: row.get(2)?,
            id_repuesto: uuid_at(row, 3)?,
            referencia: row.get(4)?,
            nombre: row.get(5)?,
            cantidad: row.get(6)?,
            created_at: utc(row.get(7)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn request_detail(conn: &Connection, id: Uuid) -> Result<RequestDetail> {
    let key = id.to_string();
    let request = conn
        .prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM solicitudes s {SUMMARY_JOINS} WHERE s.id_solicitud = ?1"
        ))?
        .query_row([&key], summary_at)
        .optional()?
        .ok_or_else(|| ClientError::Invalid(format!("no request {id} in this replica")))?;
    let mut lines = conn.prepare_cached(
        "SELECT d.id_detalle, d.id_repuesto, r.referencia, r.nombre, i.posicion, i.stock_actual, d.cantidad_solicitada, \
                d.cantidad_despachada, d.cantidad_recibida, d.observaciones \
           FROM detalles_solicitud d JOIN solicitudes s ON s.id_solicitud = d.id_solicitud \
           JOIN repuestos r ON r.id_repuesto = d.id_repuesto \
           LEFT JOIN inventario i ON i.id_localizacion = s.id_localizacion_origen AND i.id_repuesto = d.id_repuesto \
          WHERE d.id_solicitud = ?1 \
          ORDER BY i.posicion IS NULL, i.posicion, r.referencia, d.id_detalle",
    )?;
    let lines = lines
        .query_map([&key], |row| {
            let solicitada: i32 = row.get(6)?;
            let despachada: Option<i32> = row.get(7)?;
            let recibida: Option<i32> = row.get(8)?;
            Ok(RequestLineView {
                id_detalle: uuid_at(row, 0)?,
                id_repuesto: uuid_at(row, 1)?,
                referencia: row.get(2)?,
                nombre: row.get(3)?,
                posicion: row.get(4)?,
                stock_origen: row.get(5)?,
                cantidad_solicitada: solicitada,
                cantidad_despachada: despachada,
                cantidad_recibida: recibida,
                discrepancia: recibida.is_some_and(|r| r != despachada.unwrap_or(solicitada)),
                observaciones: row.get(9)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut timeline = conn.prepare_cached(
        "SELECT t.fecha_cambio, t.estado_anterior, t.estado_nuevo, u.nombre_completo, t.comentario \
           FROM trazabilidad_solicitudes t LEFT JOIN usuarios u ON u.id_usuario = t.id_usuario \
          WHERE t.id_solicitud = ?1 ORDER BY t.fecha_cambio, t.id_trazabilidad",
    )?;
    let trazabilidad = timeline
        .query_map([&key], |row| {
            Ok(RequestTimelineEntry {
                fecha_cambio: utc(row.get(0)?),
                estado_anterior: row.get(1)?,
                estado_nuevo: row.get(2)?,
                usuario: row.get(3)?,
                comentario: row.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(RequestDetail { request, lineas: lines, trazabilidad })
}

/// The lines a person named, as the request's line ids: by id, or by the line's part
/// reference (case-insensitive). A name that is no line of the request is `invalid_input`.
fn line_quantities(conn: &Connection, request: Uuid, lines: &[LineQuantityInput]) -> Result<Vec<LineQuantity>> {
    let mut statement = conn.prepare_cached(
        "SELECT d.id_detalle FROM detalles_solicitud d JOIN repuestos r ON r.id_repuesto = d.id_repuesto \
          WHERE d.id_solicitud = ?1 AND (d.id_detalle = ?2 OR upper(r.referencia) = upper(?2)) \
          ORDER BY d.id_detalle LIMIT 1",
    )?;
    lines
        .iter()
        .map(|line| {
            let id = statement
                .query_row([request.to_string(), line.line.trim().to_owned()], |row| opt_uuid_at(row, 0))
                .optional()?
                .flatten()
                .ok_or_else(|| ClientError::Invalid(format!("the request has no line for {}", line.line)))?;
            Ok(LineQuantity { id_detalle: id, cantidad: line.cantidad })
        })
        .collect()
}
