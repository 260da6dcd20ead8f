//! Who acts: the person's role permissions and the locations they may touch. The server builds
//! it from the session and `usuarios_localizacion`, a replica from its own rows; every decision
//! asks it the same questions.

use crate::permisos::{Permiso, Permisos};
use crate::rechazo::Rechazo;
use uuid::Uuid;

/// The account other applications' writes are attributed to (`taller_usuario_sistema()` in the
/// server's migrations): unapproved and without credentials, never a person.
pub const SYSTEM_USER: Uuid = Uuid::nil();

/// The acting user: role permissions and location scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub id_usuario: Uuid,
    pub permisos: Permisos,
    /// The role named [`crate::permisos::ADMIN_ROLE`]: every location is in scope.
    pub is_admin: bool,
    /// Every location for an admin, else the user's `usuarios_localizacion` rows.
    pub localizaciones: Vec<Uuid>,
}

impl Actor {
    pub fn allows(&self, permiso: Permiso) -> bool {
        self.permisos.allows(permiso)
    }

    /// Refuses a role without `permiso` (`forbidden`).
    pub fn require(&self, permiso: Permiso) -> Result<(), Rechazo> {
        if self.allows(permiso) {
            Ok(())
        } else {
            Err(Rechazo::forbidden(permiso))
        }
    }

    /// Whether the location is in the user's scope (admins: every location).
    pub fn in_scope(&self, id_localizacion: Uuid) -> bool {
        self.is_admin || self.localizaciones.contains(&id_localizacion)
    }

    /// Refuses a location outside the user's scope (`location_out_of_scope`).
    pub fn require_location(&self, id_localizacion: Uuid) -> Result<(), Rechazo> {
        if self.in_scope(id_localizacion) {
            Ok(())
        } else {
            Err(Rechazo::location_out_of_scope(id_localizacion))
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::rechazo::RejectionCode;

    pub(crate) const L1: Uuid = Uuid::from_u128(0x1001);
    pub(crate) const L2: Uuid = Uuid::from_u128(0x1002);

    /// A technician of L1: creates movements, requests and claims; edits, approves and
    /// resolves nothing.
    pub(crate) fn tecnico() -> Actor {
        let permisos = Permisos::from_json(&serde_json::json!({
            "inventory": {"view": true, "create": true},
            "requests": {"view": true, "create": true},
            "guarantees": {"view": true, "create": true}
        }));
        Actor { id_usuario: Uuid::from_u128(0x2003), permisos, is_admin: false, localizaciones: vec![L1] }
    }

    /// A supervisor of L1 and L2 who may do everything but manage users.
    pub(crate) fn supervisor() -> Actor {
        let permisos = Permisos::from_json(&serde_json::json!({
            "inventory": {"view": true, "create": true, "edit": true, "delete": true},
            "requests": {"view": true, "create": true, "approve": true},
            "guarantees": {"view": true, "create": true, "resolve": true}
        }));
        Actor { id_usuario: Uuid::from_u128(0x2002), permisos, is_admin: false, localizaciones: vec![L1, L2] }
    }

    #[test]
    fn scope_and_permissions() {
        let tecnico = tecnico();
        assert!(tecnico.require_location(L1).is_ok());
        let refused = tecnico.require_location(L2).err();
        assert_eq!(refused.as_ref().map(|r| r.code), Some(RejectionCode::LocationOutOfScope));
        assert_eq!(refused.and_then(|r| r.params.get("id_localizacion").cloned()), Some(serde_json::json!(L2)));
        assert!(tecnico.require(Permiso::InventoryCreate).is_ok());
        assert_eq!(tecnico.require(Permiso::InventoryEdit).err(), Some(Rechazo::forbidden(Permiso::InventoryEdit)));
        let supervisor = supervisor();
        assert!(supervisor.require_location(L2).is_ok() && supervisor.require(Permiso::RequestsApprove).is_ok());
        let admin = Actor { is_admin: true, localizaciones: Vec::new(), ..tecnico };
        assert!(admin.in_scope(Uuid::from_u128(0xffff)), "an admin's scope is every location");
    }
}
