//! One decision per mutation. Each function here is the whole of what a mutation decides —
//! validation, permission and scope, state transition, stock effect, conflict outcome,
//! rejection — over plain facts: the [`Actor`](crate::actor::Actor), the arguments
//! ([`crate::args`]) and the current rows that matter, loaded by the caller. The server
//! (sqlx, under its row locks) and a replica (rusqlite, optimistically) only load those facts
//! and write the plan they get back, so the same situation gets the same answer on both sides,
//! with the same [`Rechazo`] code and parameters, in the same order of checks.
//!
//! Where a fact can only be read once an earlier part of the decision is known (the inventory
//! row of a resolved part, who set a state that refuses a transition), the decision comes in
//! stages, each a pure function, and each stage's documentation says what it needs.

pub mod admin;
pub mod counts;
pub mod inventory;
pub mod ledger;
pub mod orders;
pub mod parts;
pub mod requests;
pub mod warranties;

use crate::rechazo::Rechazo;
use uuid::Uuid;

/// A referenced location that must exist.
pub fn location_exists(exists: bool, id_localizacion: Uuid) -> Result<(), Rechazo> {
    if exists {
        Ok(())
    } else {
        Err(Rechazo::not_found("localizacion", id_localizacion))
    }
}

/// A referenced part: `resolved` is the id the part has (an id merged into another part
/// resolves to the survivor) when it exists.
pub fn part_exists(resolved: Option<Uuid>, id_repuesto: Uuid) -> Result<Uuid, Rechazo> {
    resolved.ok_or_else(|| Rechazo::not_found("repuesto", id_repuesto))
}

/// A referenced user that must exist.
pub fn user_exists(exists: bool, id_usuario: Uuid) -> Result<(), Rechazo> {
    if exists {
        Ok(())
    } else {
        Err(Rechazo::not_found("usuario", id_usuario))
    }
}

/// A new row's id that must be free.
pub fn id_free(taken: bool, entity: &str, id: Uuid) -> Result<(), Rechazo> {
    if taken {
        Err(Rechazo::already_exists(entity, id))
    } else {
        Ok(())
    }
}

/// A state as stored (`estado` columns), or `invalid_arguments` naming it.
pub fn stored_state<S: std::str::FromStr>(text: &str) -> Result<S, Rechazo> {
    text.parse().map_err(|_| Rechazo::invalid(format!("unknown state {text}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rechazo::RejectionCode;
    use crate::EstadoSolicitud;

    #[test]
    fn references_refuse_with_the_entity_and_the_id_given() {
        let id = Uuid::from_u128(9);
        assert_eq!(location_exists(false, id).err(), Some(Rechazo::not_found("localizacion", id)));
        assert!(location_exists(true, id).is_ok());
        let survivor = Uuid::from_u128(10);
        assert_eq!(part_exists(Some(survivor), id).ok(), Some(survivor));
        assert_eq!(part_exists(None, id).err(), Some(Rechazo::not_found("repuesto", id)));
        assert_eq!(user_exists(false, id).err(), Some(Rechazo::not_found("usuario", id)));
        assert_eq!(id_free(true, "conteo", id).err(), Some(Rechazo::already_exists("conteo", id)));
        assert!(id_free(false, "conteo", id).is_ok());
        assert_eq!(stored_state::<EstadoSolicitud>("RECIBIDO").ok(), Some(EstadoSolicitud::Recibido));
        let unknown = stored_state::<EstadoSolicitud>("PERDIDO").err();
        assert_eq!(unknown.as_ref().map(|r| r.code), Some(RejectionCode::InvalidArguments));
        assert_eq!(
            unknown.and_then(|r| r.params.get("detail").cloned()),
            Some(serde_json::json!("unknown state PERDIDO"))
        );
    }
}
