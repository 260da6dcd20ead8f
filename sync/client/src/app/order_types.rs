//! The types of scooter models (`scooter_types`) and order tracking (`order_follow`), as the
//! orders screen and `taller models` / `taller orders` read and write them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A scooter model of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ScooterModel {
    pub id_tipo: Uuid,
    pub nombre: String,
    pub potencia: String,
    pub descripcion: Option<String>,
    /// Orders of this model not delivered yet.
    pub pedidos_abiertos: i32,
}

/// A new model (`model.create`; the library gives it its id, uuid v7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ModelCreateInput {
    pub nombre: String,
    pub potencia: String,
    #[serde(default)]
    pub descripcion: Option<String>,
}

/// Edits a model's fields (`model.edit`), each with the value the replica holds now as the
/// one it replaces. At least one field; an empty description clears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ModelEditInput {
    /// The model: its id or its name (case-insensitive).
    pub model: String,
    #[serde(default)]
    pub nombre: Option<String>,
    #[serde(default)]
    pub potencia: Option<String>,
    #[serde(default)]
    pub descripcion: Option<String>,
}

/// Which orders a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OrderListInput {
    /// Only orders at this level (1 ordered, 2 in transit, 3 delivered); all when `None`.
    #[serde(default)]
    pub nivel: Option<i32>,
}

/// An order, with its model's name and whether it is late.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OrderSummary {
    pub id_orden: Uuid,
    pub numero_orden: String,
    pub id_tipo_scooter: Uuid,
    /// The model's name (empty when the replica does not have the model).
    pub modelo: String,
    pub potencia: String,
    /// 1 ordered, 2 in transit, 3 delivered.
    pub nivel: i32,
    pub estado: String,
    pub telefono_contacto: Option<String>,
    pub email_contacto: Option<String>,
    pub link_orden: Option<String>,
    /// When it was ordered (UTC, RFC 3339).
    pub fecha_orden: String,
    /// The estimated delivery date, `YYYY-MM-DD`.
    pub fecha_entrega_estimada: Option<NaiveDate>,
    /// Not delivered and its estimated delivery date has passed (today on this computer).
    pub atrasada: bool,
}

/// A new order of a model (`order.create`, level 1; the library gives it its id, uuid v7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OrderCreateInput {
    pub numero_orden: String,
    /// The model: its id or its name (case-insensitive).
    pub model: String,
    /// The state's words; `Pedido` when not given.
    #[serde(default)]
    pub estado: Option<String>,
    #[serde(default)]
    pub telefono_contacto: Option<String>,
    #[serde(default)]
    pub email_contacto: Option<String>,
    #[serde(default)]
    pub link_orden: Option<String>,
    #[serde(default)]
    pub fecha_entrega_estimada: Option<NaiveDate>,
}

/// Moves an order forward (`order.advance`): to level 2 (in transit) or 3 (delivered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OrderAdvanceInput {
    /// The order: its id or its order number (case-insensitive).
    pub order: String,
    pub nivel: i32,
    /// The state's words; the level's own name when not given.
    #[serde(default)]
    pub estado: Option<String>,
}

/// Edits an order's contact and ETA (`order.edit`), each with the value the replica holds now
/// as the one it replaces. At least one field; an empty text clears the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OrderEditInput {
    /// The order: its id or its order number (case-insensitive).
    pub order: String,
    #[serde(default)]
    pub telefono_contacto: Option<String>,
    #[serde(default)]
    pub email_contacto: Option<String>,
    #[serde(default)]
    pub link_orden: Option<String>,
    /// `YYYY-MM-DD`, or empty to clear it.
    #[serde(default)]
    pub fecha_entrega_estimada: Option<String>,
}
