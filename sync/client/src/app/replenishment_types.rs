//! The types of replenishment: a proposal of what to ask an origin for so that a location's
//! parts below their minimum reach it again, and the lines a person keeps of it for the cart.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which location to replenish and, optionally, from where (names or ids as a person types
/// them); without an origin, the candidate with the most stock on hand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReplenishmentInput {
    pub destination: String,
    #[serde(default)]
    pub origin: Option<String>,
}

/// A location a replenishment may come from: one whose inventory this replica holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReplenishmentOrigin {
    pub id_localizacion: Uuid,
    pub nombre: String,
    /// Its stock on hand, every part (negative stock counts as none).
    pub stock_total: i64,
}

/// One part of a proposal, with why: the destination's minimum and stock, what is already on
/// its way (open requests) and in the cart, what the origin can give, and what is proposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReplenishmentLine {
    pub id_repuesto: Uuid,
    pub referencia: String,
    pub nombre: String,
    /// Its shelf position at the origin (the picking order).
    pub posicion: Option<String>,
    /// Stock on hand at the destination.
    pub stock_actual: i32,
    pub cantidad_minima: i32,
    /// Requested for the destination in open requests (pending, picking, dispatched).
    pub en_transito: i32,
    /// Already in the person's cart for the destination.
    pub en_carrito: i32,
    /// What the origin can give: its stock less what undispatched requests promised and what
    /// the person's cart holds for the destination.
    pub disponible_origen: i32,
    /// What the destination lacks to reach its minimum once what is on its way arrives.
    pub falta: i32,
    /// Whole units proposed: what is missing, never more than the origin can give.
    pub propuesta: i32,
}

/// A replenishment proposal for a destination from an origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReplenishmentProposal {
    pub id_localizacion_destino: Uuid,
    pub destino: String,
    pub id_localizacion_origen: Uuid,
    pub origen: String,
    /// Every location it may come from, the most stock first.
    pub origenes: Vec<ReplenishmentOrigin>,
    /// In picking order; parts with nothing to propose are left out.
    pub lineas: Vec<ReplenishmentLine>,
    /// Parts still below their minimum that the origin has none of to give.
    pub sin_existencias: u32,
}

/// A line a person keeps: the part (id or reference) and the quantity they want.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReplenishmentLineInput {
    pub part: String,
    pub cantidad: i32,
}

/// The lines of a proposal, as the person edited them, into the cart for the destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReplenishmentToCartInput {
    pub destination: String,
    pub lines: Vec<ReplenishmentLineInput>,
}

/// What putting a proposal into the cart did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReplenishmentAdded {
    /// Cart lines added.
    pub added: u32,
    /// Cart lines of the same part whose quantity grew instead.
    pub increased: u32,
    /// Units put in the cart.
    pub units: i64,
    /// The outbox's size afterwards.
    pub pending: i64,
}
