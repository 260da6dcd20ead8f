//! Scooter models and order tracking: what the orders screen, `taller models` and `taller
//! orders` do. A model is named by id or name, an order by id or order number, resolved
//! inside the action's own transaction ([`Session::act_built`]) with the values an edit
//! replaces. Orders list by level with their model and whether they are late
//! (`taller_domain::decide::orders::overdue`).

use super::order_types::*;
use super::parts::field_edits;
use super::{utc, uuid_at};
use crate::error::{ClientError, Result};
use crate::session::{Queued, Session};
use chrono::{Local, NaiveDate, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};
use taller_domain::decide::orders::{overdue, Nivel};
use taller_protocol::mutations::{ModelCreate, ModelEdit, Mutation, OrderAdvance, OrderCreate, OrderEdit};
use uuid::Uuid;

const ORDER_COLUMNS: &str = "o.id_orden, o.numero_orden, o.id_tipo_scooter, COALESCE(t.nombre, ''), \
     COALESCE(t.potencia, ''), o.nivel, o.estado, o.telefono_contacto, o.email_contacto, o.link_orden, o.fecha_orden, \
     o.fecha_entrega_estimada FROM order_follow o LEFT JOIN scooter_types t ON t.id_tipo = o.id_tipo_scooter";

fn order_at(row: &rusqlite::Row<'_>, today: NaiveDate) -> rusqlite::Result<OrderSummary> {
    let nivel: i32 = row.get(5)?;
    let eta: Option<String> = row.get(11)?;
    // A date as PostgreSQL prints it; anything else reads as no date.
    let eta = eta.and_then(|text| text.get(..10).and_then(|day| day.parse::<NaiveDate>().ok()));
    Ok(OrderSummary {
        id_orden: uuid_at(row, 0)?,
        numero_orden: row.get(1)?,
        id_tipo_scooter: uuid_at(row, 2)?,
        modelo: row.get(3)?,
        potencia: row.get(4)?,
        nivel,
        estado: row.get(6)?,
        telefono_contacto: row.get(7)?,
        email_contacto: row.get(8)?,
        link_orden: row.get(9)?,
        fecha_orden: utc(row.get(10)?),
        fecha_entrega_estimada: eta,
        atrasada: overdue(nivel, eta, today),
    })
}

/// A model named by id or name (case-insensitive); unknown or ambiguous is `invalid_input`.
fn model_id(conn: &Connection, model: &str) -> Result<Uuid> {
    let model = model.trim();
    if let Ok(id) = model.parse::<Uuid>() {
        let found: Option<String> = conn
            .prepare_cached("SELECT id_tipo FROM scooter_types WHERE id_tipo = ?1")?
            .query_row([id.to_string()], |row| row.get(0))
            .optional()?;
        if found.is_some() {
            return Ok(id);
        }
    }
    let ids: Vec<String> = conn
        .prepare_cached("SELECT id_tipo FROM scooter_types WHERE lower(nombre) = lower(?1) LIMIT 2")?
        .query_map([model], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    match ids.as_slice() {
        [one] => one.parse().map_err(|_| ClientError::Invalid(format!("model {model} has a malformed id"))),
        [] => Err(ClientError::Invalid(format!("no scooter model {model}"))),
        _ => Err(ClientError::Invalid(format!("more than one scooter model is called {model}: name it by id"))),
    }
}

/// An order named by id or order number (case-insensitive); unknown or ambiguous is
/// `invalid_input`.
fn order_id(conn: &Connection, order: &str) -> Result<Uuid> {
    let order = order.trim();
    if let Ok(id) = order.parse::<Uuid>() {
        let found: Option<String> = conn
            .prepare_cached("SELECT id_orden FROM order_follow WHERE id_orden = ?1")?
            .query_row([id.to_string()], |row| row.get(0))
            .optional()?;
        if found.is_some() {
            return Ok(id);
        }
    }
    let ids: Vec<String> = conn
        .prepare_cached("SELECT id_orden FROM order_follow WHERE lower(numero_orden) = lower(?1) LIMIT 2")?
        .query_map([order], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    match ids.as_slice() {
        [one] => one.parse().map_err(|_| ClientError::Invalid(format!("order {order} has a malformed id"))),
        [] => Err(ClientError::Invalid(format!("no order {order}"))),
        _ => Err(ClientError::Invalid(format!("more than one order is numbered {order}: name it by id"))),
    }
}

/// Today's date on this computer (an ETA is a calendar day where the person is).
fn today() -> NaiveDate {
    Local::now().date_naive()
}

impl Session {
    /// The scooter models, by name, each with its orders not delivered yet.
    pub fn models(&self) -> Result<Vec<ScooterModel>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT t.id_tipo, t.nombre, t.potencia, t.descripcion, \
                        (SELECT count(*) FROM order_follow o WHERE o.id_tipo_scooter = t.id_tipo AND o.nivel < 3) \
                   FROM scooter_types t ORDER BY lower(t.nombre), t.id_tipo",
            )?;
            let rows = statement.query_map([], |row| {
                Ok(ScooterModel {
                    id_tipo: uuid_at(row, 0)?,
                    nombre: row.get(1)?,
                    potencia: row.get(2)?,
                    descripcion: row.get(3)?,
                    pedidos_abiertos: row.get(4)?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Creates a model (`model.create`, a new uuid v7 id); `result.id_tipo` is its id.
    pub fn create_model(&self, input: &ModelCreateInput) -> Result<Queued> {
        self.act(&Mutation::ModelCreate(ModelCreate {
            id_tipo: Uuid::now_v7(),
            nombre: input.nombre.clone(),
            potencia: input.potencia.clone(),
            descripcion: input.descripcion.clone(),
        }))
    }

    /// Edits a model's fields (`model.edit`). No field given, or a model that matches
    /// nothing, is `invalid_input`.
    pub fn edit_model(&self, input: &ModelEditInput) -> Result<Queued> {
        let text = |value: &Option<String>| value.as_ref().map(|text| json!(text));
        let wanted: [(&str, Option<Value>); 3] = [
            ("nombre", text(&input.nombre)),
            ("potencia", text(&input.potencia)),
            ("descripcion", text(&input.descripcion)),
        ];
        if wanted.iter().all(|(_, value)| value.is_none()) {
            return Err(ClientError::Invalid("name at least one field of the model to edit".into()));
        }
        self.act_built(Utc::now(), |conn| {
            let id_tipo = model_id(conn, &input.model)?;
            let edits = field_edits(conn, "scooter_types", Some(&id_tipo.to_string()), wanted)?;
            Ok(Mutation::ModelEdit(ModelEdit { id_tipo, edits }))
        })
    }

    /// The orders at a level (every order when none is given; a level other than 1, 2 or 3
    /// is `invalid_input`): by level, then the earliest ETA first (orders without one last),
    /// then by number.
    pub fn orders(&self, input: &OrderListInput) -> Result<Vec<OrderSummary>> {
        if let Some(nivel) = input.nivel {
            if Nivel::from_i32(nivel).is_none() {
                return Err(ClientError::Invalid(format!("level {nivel}: 1 ordered, 2 in transit, 3 delivered")));
            }
        }
        let today = today();
        self.read(|conn| {
            let mut statement = conn.prepare_cached(&format!(
                "SELECT {ORDER_COLUMNS} WHERE ?1 IS NULL OR o.nivel = ?1 \
                  ORDER BY o.nivel, o.fecha_entrega_estimada IS NULL, o.fecha_entrega_estimada, \
                           lower(o.numero_orden), o.id_orden"
            ))?;
            let rows = statement.query_map(params![input.nivel], |row| order_at(row, today))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// One order, named by id or order number (`invalid_input` when it matches none).
    pub fn order(&self, order: &str) -> Result<OrderSummary> {
        let today = today();
        self.read(|conn| {
            let id = order_id(conn, order)?;
            Ok(conn
                .prepare_cached(&format!("SELECT {ORDER_COLUMNS} WHERE o.id_orden = ?1"))?
                .query_row([id.to_string()], |row| order_at(row, today))?)
        })
    }

    /// Creates an order of a model named by id or name (`order.create`, level 1, a new uuid
    /// v7 id); `result.id_orden` is its id.
    pub fn create_order(&self, input: &OrderCreateInput) -> Result<Queued> {
        self.act_built(Utc::now(), |conn| {
            Ok(Mutation::OrderCreate(OrderCreate {
                id_orden: Uuid::now_v7(),
                numero_orden: input.numero_orden.clone(),
                id_tipo_scooter: model_id(conn, &input.model)?,
                estado: input.estado.clone(),
                telefono_contacto: input.telefono_contacto.clone(),
                email_contacto: input.email_contacto.clone(),
                link_orden: input.link_orden.clone(),
                fecha_entrega_estimada: input.fecha_entrega_estimada,
            }))
        })
    }

    /// Moves an order forward (`order.advance`). `result.applied` is false when the order is
    /// already at that level or beyond (nothing changes; a level never goes back).
    pub fn advance_order(&self, input: &OrderAdvanceInput) -> Result<Queued> {
        self.act_built(Utc::now(), |conn| {
            Ok(Mutation::OrderAdvance(OrderAdvance {
                id_orden: order_id(conn, &input.order)?,
                nivel: input.nivel,
                estado: input.estado.clone(),
            }))
        })
    }

    /// Edits an order's contact and ETA (`order.edit`). No field given, or an order that
    /// matches nothing, is `invalid_input`.
    pub fn edit_order(&self, input: &OrderEditInput) -> Result<Queued> {
        let text = |value: &Option<String>| value.as_ref().map(|text| json!(text));
        let eta = input.fecha_entrega_estimada.as_ref().map(|text| match text.trim() {
            "" => Value::Null,
            day => json!(day),
        });
        let wanted: [(&str, Option<Value>); 4] = [
            ("telefono_contacto", text(&input.telefono_contacto)),
            ("email_contacto", text(&input.email_contacto)),
            ("link_orden", text(&input.link_orden)),
            ("fecha_entrega_estimada", eta),
        ];
        if wanted.iter().all(|(_, value)| value.is_none()) {
            return Err(ClientError::Invalid("name at least one field of the order to edit".into()));
        }
        self.act_built(Utc::now(), |conn| {
            let id_orden = order_id(conn, &input.order)?;
            let edits = field_edits(conn, "order_follow", Some(&id_orden.to_string()), wanted)?;
            Ok(Mutation::OrderEdit(OrderEdit { id_orden, edits }))
        })
    }
}
