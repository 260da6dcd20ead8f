//! The types of the administration actions (`users.manage`) as `taller user`, `taller
//! location` and an administration screen write them: users by email or id, locations by name
//! or id.

use serde::{Deserialize, Serialize};
use taller_domain::stock::NegativeStockPolicy;

/// Where an account stands: waiting for an administrator, approved, or rejected with a
/// reason (`usuarios.aprobado` and `motivo_rechazo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum AccountState {
    Pendiente,
    Aprobado,
    Rechazado,
}

/// A location an account is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AssignedLocation {
    pub id_localizacion: uuid::Uuid,
    pub nombre: String,
}

/// An account as the administration screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UserAccount {
    pub id_usuario: uuid::Uuid,
    pub nombre_completo: String,
    pub email: String,
    /// `roles.nombre_rol` (`None` for a role the replica does not hold).
    pub nombre_rol: Option<String>,
    /// The administrator role: every location is in scope, whatever it is assigned.
    pub is_admin: bool,
    pub estado: AccountState,
    pub motivo_rechazo: Option<String>,
    /// When the account was made (`usuarios.created_at`, RFC 3339).
    pub created_at: String,
    /// By location name.
    pub localizaciones: Vec<AssignedLocation>,
}

/// Rejects an account (`user.reject`; its sessions end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UserRejectInput {
    /// A user's id or email (case-insensitive).
    pub user: String,
    pub motivo_rechazo: String,
}

/// A user and a location (`user.assign`, `user.unassign`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UserLocationInput {
    /// A user's id or email (case-insensitive).
    pub user: String,
    /// A location's id or name (case-insensitive).
    pub location: String,
}

/// A location's negative-stock policy, as the app writes it (`taller_domain`'s
/// [`NegativeStockPolicy`], with the bindings' derive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum NegativeStock {
    /// The movement applies and is flagged (a notification and a conflict entry).
    Allow,
    /// The movement is refused with `insufficient_stock`.
    Reject,
}

impl NegativeStock {
    /// `allow` or `reject`.
    pub fn parse(text: &str) -> Option<NegativeStock> {
        NegativeStockPolicy::parse(text).map(NegativeStock::from)
    }
}

impl From<NegativeStockPolicy> for NegativeStock {
    fn from(policy: NegativeStockPolicy) -> NegativeStock {
        match policy {
            NegativeStockPolicy::Allow => NegativeStock::Allow,
            NegativeStockPolicy::Reject => NegativeStock::Reject,
        }
    }
}

impl From<NegativeStock> for NegativeStockPolicy {
    fn from(policy: NegativeStock) -> NegativeStockPolicy {
        match policy {
            NegativeStock::Allow => NegativeStockPolicy::Allow,
            NegativeStock::Reject => NegativeStockPolicy::Reject,
        }
    }
}

/// Whether stock may go below zero at a location (`location.policy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LocationPolicyInput {
    /// A location's id or name (case-insensitive).
    pub location: String,
    pub stock_negativo: NegativeStock,
}

/// A location as the administration screen lists it, with its negative-stock policy (a
/// location without a `localizacion_politicas` row allows it, the domain's default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LocationPolicyRow {
    pub id_localizacion: uuid::Uuid,
    pub nombre: String,
    pub activo: bool,
    pub stock_negativo: NegativeStock,
}

/// A role and what it may do (`roles.permisos`, read as the domain reads it: a key the JSON
/// lacks is not allowed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RoleView {
    pub id_rol: uuid::Uuid,
    pub nombre_rol: String,
    /// The administrator role: every location is in scope.
    pub is_admin: bool,
    pub permisos: taller_domain::Permisos,
}
