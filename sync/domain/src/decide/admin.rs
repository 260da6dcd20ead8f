//! Administration through mutations (so it works offline like everything else): approving
//! and rejecting accounts, assigning locations, location policies; and notifications. The
//! catalogue's permission (`users.manage`) is checked before these, by `Mutation::admit`.

use super::ledger::details;
use super::{location_exists, user_exists};
use crate::actor::Actor;
use crate::args::{LocationPolicy, NotificationRead, UserLocation, UserRef, UserReject};
use crate::rechazo::Rechazo;
use crate::text::{check_text, clean};
use serde_json::{json, Map, Value};

/// `notification.read`: only one of the user's own notifications (another user's is
/// `not_found`, as one that does not exist).
pub fn notification_read(args: &NotificationRead, own: bool) -> Result<(), Rechazo> {
    if own {
        Ok(())
    } else {
        Err(Rechazo::not_found("notificacion", args.id_notificacion))
    }
}

/// `user.approve`: an existing user. Approving an approved account changes nothing (the
/// writers keep who approved it and when).
pub fn user_approve(args: &UserRef, exists: bool) -> Result<(), Rechazo> {
    user_exists(exists, args.id_usuario)
}

/// What `user.approve` and `user.reject` answer.
pub fn approval_result(aprobado: bool) -> Map<String, Value> {
    details(json!({"aprobado": aprobado}))
}

/// `user.reject`: an existing user other than the administrator, with a reason. Returns the
/// reason as stored.
pub fn user_reject(actor: &Actor, args: &UserReject, exists: bool) -> Result<String, Rechazo> {
    user_exists(exists, args.id_usuario)?;
    if args.id_usuario == actor.id_usuario {
        return Err(Rechazo::invalid("an administrator cannot reject their own account"));
    }
    let motivo = clean(Some(&args.motivo_rechazo)).ok_or_else(Rechazo::reason_required)?;
    check_text("motivo_rechazo", &motivo)?;
    Ok(motivo)
}

/// `user.assign`: an existing user and location (assigning twice changes nothing).
pub fn user_assign(args: &UserLocation, user: bool, location: bool) -> Result<(), Rechazo> {
    user_exists(user, args.id_usuario)?;
    location_exists(location, args.id_localizacion)
}

/// `user.unassign`: an existing user (an assignment that is gone is the intent fulfilled).
pub fn user_unassign(args: &UserLocation, user: bool) -> Result<(), Rechazo> {
    user_exists(user, args.id_usuario)
}

/// `location.policy`: an existing location.
pub fn location_policy(args: &LocationPolicy, location: bool) -> Result<(), Rechazo> {
    location_exists(location, args.id_localizacion)
}

/// What `location.policy` answers.
pub fn policy_result(args: &LocationPolicy) -> Map<String, Value> {
    details(json!({"stock_negativo": args.stock_negativo.as_str()}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::tests::{supervisor, L1};
    use crate::rechazo::RejectionCode;
    use crate::NegativeStockPolicy;
    use uuid::Uuid;

    const OTHER: Uuid = Uuid::from_u128(0x2005);

    #[test]
    fn accounts_are_rejected_with_a_reason_and_never_ones_own() {
        let reject = |id_usuario: Uuid, motivo: &str| UserReject { id_usuario, motivo_rechazo: motivo.into() };
        assert_eq!(user_reject(&supervisor(), &reject(OTHER, " desconocido "), true), Ok("desconocido".into()));
        assert_eq!(user_reject(&supervisor(), &reject(OTHER, "x"), false), Err(Rechazo::not_found("usuario", OTHER)));
        let own = user_reject(&supervisor(), &reject(supervisor().id_usuario, " "), true).err();
        assert_eq!(own.map(|r| r.code), Some(RejectionCode::InvalidArguments), "one's own before the reason");
        assert_eq!(user_reject(&supervisor(), &reject(OTHER, "  "), true), Err(Rechazo::reason_required()));
        assert_eq!(approval_result(false), details(json!({"aprobado": false})));
        assert_eq!(user_approve(&UserRef { id_usuario: OTHER }, false), Err(Rechazo::not_found("usuario", OTHER)));
    }

    #[test]
    fn references_are_checked_user_first() {
        let assign = UserLocation { id_usuario: OTHER, id_localizacion: L1 };
        assert_eq!(user_assign(&assign, false, false), Err(Rechazo::not_found("usuario", OTHER)));
        assert_eq!(user_assign(&assign, true, false), Err(Rechazo::not_found("localizacion", L1)));
        assert_eq!(user_assign(&assign, true, true), Ok(()));
        assert_eq!(user_unassign(&assign, true), Ok(()));
        let policy = LocationPolicy { id_localizacion: L1, stock_negativo: NegativeStockPolicy::Reject };
        assert_eq!(location_policy(&policy, false), Err(Rechazo::not_found("localizacion", L1)));
        assert_eq!(policy_result(&policy), details(json!({"stock_negativo": "reject"})));
        let read = NotificationRead { id_notificacion: OTHER };
        assert_eq!(notification_read(&read, false), Err(Rechazo::not_found("notificacion", OTHER)));
        assert_eq!(notification_read(&read, true), Ok(()));
    }
}
