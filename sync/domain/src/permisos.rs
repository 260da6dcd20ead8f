//! Role permissions, in the documented `roles.permisos` JSON shape.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default)]
pub struct InventoryPermisos {
    pub view: bool,
    pub create: bool,
    pub edit: bool,
    pub delete: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default)]
pub struct RequestPermisos {
    pub view: bool,
    pub create: bool,
    pub approve: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default)]
pub struct GuaranteePermisos {
    pub view: bool,
    pub create: bool,
    pub resolve: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default)]
pub struct UserPermisos {
    pub view: bool,
    pub manage: bool,
}

/// `roles.permisos`. Missing keys mean "not allowed", so a partial JSON never grants more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default)]
pub struct Permisos {
    pub inventory: InventoryPermisos,
    pub requests: RequestPermisos,
    pub guarantees: GuaranteePermisos,
    pub users: UserPermisos,
}

/// One permission, as mutations and screens name them (`inventory.edit`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Permiso {
    #[serde(rename = "inventory.view")]
    InventoryView,
    #[serde(rename = "inventory.create")]
    InventoryCreate,
    #[serde(rename = "inventory.edit")]
    InventoryEdit,
    #[serde(rename = "inventory.delete")]
    InventoryDelete,
    #[serde(rename = "requests.view")]
    RequestsView,
    #[serde(rename = "requests.create")]
    RequestsCreate,
    #[serde(rename = "requests.approve")]
    RequestsApprove,
    #[serde(rename = "guarantees.view")]
    GuaranteesView,
    #[serde(rename = "guarantees.create")]
    GuaranteesCreate,
    #[serde(rename = "guarantees.resolve")]
    GuaranteesResolve,
    #[serde(rename = "users.view")]
    UsersView,
    #[serde(rename = "users.manage")]
    UsersManage,
}

impl Permiso {
    pub fn as_str(self) -> &'static str {
        match self {
            Permiso::InventoryView => "inventory.view",
            Permiso::InventoryCreate => "inventory.create",
            Permiso::InventoryEdit => "inventory.edit",
            Permiso::InventoryDelete => "inventory.delete",
            Permiso::RequestsView => "requests.view",
            Permiso::RequestsCreate => "requests.create",
            Permiso::RequestsApprove => "requests.approve",
            Permiso::GuaranteesView => "guarantees.view",
            Permiso::GuaranteesCreate => "guarantees.create",
            Permiso::GuaranteesResolve => "guarantees.resolve",
            Permiso::UsersView => "users.view",
            Permiso::UsersManage => "users.manage",
        }
    }
}

impl Permisos {
    /// Parses the JSON stored in `roles.permisos`; anything unreadable grants nothing.
    pub fn from_json(value: &serde_json::Value) -> Permisos {
        serde_json::from_value(value.clone()).unwrap_or_default()
    }

    pub fn allows(&self, permiso: Permiso) -> bool {
        match permiso {
            Permiso::InventoryView => self.inventory.view,
            Permiso::InventoryCreate => self.inventory.create,
            Permiso::InventoryEdit => self.inventory.edit,
            Permiso::InventoryDelete => self.inventory.delete,
            Permiso::RequestsView => self.requests.view,
            Permiso::RequestsCreate => self.requests.create,
            Permiso::RequestsApprove => self.requests.approve,
            Permiso::GuaranteesView => self.guarantees.view,
            Permiso::GuaranteesCreate => self.guarantees.create,
            Permiso::GuaranteesResolve => self.guarantees.resolve,
            Permiso::UsersView => self.users.view,
            Permiso::UsersManage => self.users.manage,
        }
    }
}

/// The name of the role that sees every location.
pub const ADMIN_ROLE: &str = "admin";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documented_shape_parses() {
        let tecnico = json!({
            "inventory": {"view": true, "create": true, "edit": false, "delete": false},
            "requests": {"view": true, "create": true, "approve": false},
            "guarantees": {"view": true, "create": true, "resolve": false},
            "users": {"view": false, "manage": false}
        });
        let permisos = Permisos::from_json(&tecnico);
        let cases = [
            (Permiso::InventoryView, true),
            (Permiso::InventoryCreate, true),
            (Permiso::InventoryEdit, false),
            (Permiso::InventoryDelete, false),
            (Permiso::RequestsCreate, true),
            (Permiso::RequestsApprove, false),
            (Permiso::GuaranteesResolve, false),
            (Permiso::UsersManage, false),
        ];
        for (permiso, want) in cases {
            assert_eq!(permisos.allows(permiso), want, "{}", permiso.as_str());
        }
    }

    #[test]
    fn partial_or_broken_json_grants_nothing_extra() {
        let partial = Permisos::from_json(&json!({"inventory": {"view": true}}));
        assert!(partial.allows(Permiso::InventoryView));
        assert!(!partial.allows(Permiso::InventoryEdit));
        assert!(!partial.allows(Permiso::UsersManage));
        let broken = Permisos::from_json(&json!({"inventory": "yes"}));
        assert_eq!(broken, Permisos::default());
    }

    #[test]
    fn permission_names_match_serde() {
        for permiso in [Permiso::InventoryEdit, Permiso::GuaranteesResolve, Permiso::UsersManage] {
            assert_eq!(serde_json::to_value(permiso).ok(), Some(json!(permiso.as_str())));
        }
    }
}
