//! People and administration on the seeded workstation of `tests.rs`, offline: a location's
//! technicians by its name, and the `users.manage` actions with users named by email and
//! locations by name, refused to a role without the permission.

use super::tests::{conn_of, workstation, L2, ME, OTHER};
use super::tests_parts::queued_args;
use super::*;
use crate::error::ClientError;
use crate::local::fixtures::{seed, BASE};
use serde_json::json;
use taller_domain::RejectionCode;

const NEW: Uuid = Uuid::from_u128(0x2003);

fn technicians(client: &Session, location: &str) -> Vec<Uuid> {
    client.technicians_at(location).expect("technicians").into_iter().map(|t| t.id_usuario).collect()
}

fn refused_with(result: &Result<Queued>, code: RejectionCode) -> bool {
    matches!(result, Err(ClientError::Rejected(r)) if r.code == code)
}

/// The seeded role may not manage users until this grants it (`roles.permisos`).
fn grant_users_manage(client: &Session) {
    conn_of(client)
        .conn
        .execute("UPDATE roles SET permisos = json_set(permisos, '$.users.manage', json('true'))", [])
        .expect("grant");
}

fn usuario(client: &Session, id: Uuid) -> (bool, Option<String>) {
    conn_of(client)
        .conn
        .query_row("SELECT aprobado, motivo_rechazo FROM usuarios WHERE id_usuario = ?1", [id.to_string()], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .expect("user")
}

#[test]
fn a_location_s_technicians_by_its_name() {
    let (_dir, client) = workstation();
    assert_eq!(technicians(&client, "taller norte"), [ME, OTHER]);
    assert_eq!(technicians(&client, &L2.to_string()), [ME]);
    assert!(technicians(&client, "Taller Sur").is_empty());
    let unknown = client.technicians_at("Nowhere");
    assert!(matches!(unknown, Err(ClientError::Invalid(ref m)) if m.contains("Nowhere")), "{unknown:?}");
}

#[test]
fn administration_names_users_by_email_and_locations_by_name() {
    let (_dir, client) = workstation();
    let id_rol: String = conn_of(&client)
        .conn
        .query_row("SELECT id_rol FROM usuarios WHERE id_usuario = ?1", [ME.to_string()], |row| row.get(0))
        .expect("the role");
    seed(
        &conn_of(&client).conn,
        "usuarios",
        &[
            ("id_usuario", json!(NEW)),
            ("id_rol", json!(id_rol)),
            ("nombre_completo", json!("Nora Nueva")),
            ("email", json!("nueva@taller.test")),
            ("aprobado", json!(false)),
            ("created_at", json!(BASE)),
        ],
    );
    seed(
        &conn_of(&client).conn,
        "usuarios",
        &[
            ("id_usuario", json!(taller_domain::actor::SYSTEM_USER)),
            ("id_rol", json!(id_rol)),
            ("nombre_completo", json!("Sistema")),
            ("email", json!("sistema@taller.invalid")),
            ("aprobado", json!(false)),
            ("created_at", json!(BASE)),
        ],
    );
    let listed = client.users().expect("users");
    assert!(
        listed.iter().all(|user| user.id_usuario != taller_domain::actor::SYSTEM_USER),
        "the system account is no person"
    );
    assert_eq!(listed[0].id_usuario, NEW, "waiting for approval comes first: {listed:?}");
    assert_eq!((listed[0].estado, listed[0].localizaciones.len()), (AccountState::Pendiente, 0));
    let me = listed.iter().find(|user| user.id_usuario == ME).expect("me");
    assert_eq!(me.estado, AccountState::Aprobado);
    let mine: Vec<&str> = me.localizaciones.iter().map(|l| l.nombre.as_str()).collect();
    assert_eq!(mine, ["Bodega Central", "Taller Norte"], "by name");
    assert!(me.nombre_rol.is_some());
    assert_eq!(me.is_admin, me.nombre_rol.as_deref() == Some(taller_domain::permisos::ADMIN_ROLE));

    let refused = client.approve_user("nueva@taller.test");
    assert!(refused_with(&refused, RejectionCode::Forbidden), "the role lacks users.manage: {refused:?}");
    grant_users_manage(&client);

    let approved = client.approve_user(" NUEVA@taller.test ").expect("approved by email");
    assert_eq!((approved.name.as_str(), approved.result["aprobado"].as_bool()), ("user.approve", Some(true)));
    assert_eq!(queued_args(&client, &approved).1, json!({"id_usuario": NEW}));
    assert_eq!(usuario(&client, NEW), (true, None));

    let rejected = client
        .reject_user(&UserRejectInput { user: OTHER.to_string(), motivo_rechazo: "ya no trabaja aquí".into() })
        .expect("rejected by id");
    assert_eq!(rejected.name, "user.reject");
    assert_eq!(usuario(&client, OTHER), (false, Some("ya no trabaja aquí".into())));
    let states: Vec<(Uuid, AccountState)> =
        client.users().expect("users").into_iter().map(|user| (user.id_usuario, user.estado)).collect();
    assert!(states.contains(&(NEW, AccountState::Aprobado)) && states.contains(&(OTHER, AccountState::Rechazado)));
    let no_reason =
        client.reject_user(&UserRejectInput { user: "nueva@taller.test".into(), motivo_rechazo: "".into() });
    assert!(refused_with(&no_reason, RejectionCode::ReasonRequired), "{no_reason:?}");

    client
        .assign_user(&UserLocationInput { user: "nueva@taller.test".into(), location: "bodega central".into() })
        .expect("assigned");
    client
        .unassign_user(&UserLocationInput { user: OTHER.to_string(), location: "Taller Norte".into() })
        .expect("unassigned");
    assert_eq!(technicians(&client, "Bodega Central"), [ME, NEW]);
    assert_eq!(technicians(&client, "Taller Norte"), [ME]);

    let policy = client
        .set_location_policy(&LocationPolicyInput {
            location: "Bodega Central".into(),
            stock_negativo: NegativeStock::Reject,
        })
        .expect("policy");
    assert_eq!(queued_args(&client, &policy).1, json!({"id_localizacion": L2, "stock_negativo": "reject"}));
    let stored: String = conn_of(&client)
        .conn
        .query_row(
            "SELECT stock_negativo FROM localizacion_politicas WHERE id_localizacion = ?1",
            [L2.to_string()],
            |row| row.get(0),
        )
        .expect("policy row");
    assert_eq!(stored, "reject");

    let nobody = client.approve_user("nadie@taller.test");
    assert!(matches!(nobody, Err(ClientError::Invalid(ref m)) if m.contains("nadie@taller.test")), "{nobody:?}");
    let nowhere =
        client.assign_user(&UserLocationInput { user: "nueva@taller.test".into(), location: "Nowhere".into() });
    assert!(matches!(nowhere, Err(ClientError::Invalid(_))), "{nowhere:?}");
    assert_eq!(client.sync_status().expect("status").pending, 5);
}

#[test]
fn the_negative_stock_policy_reads_and_writes_as_the_domain_s() {
    assert_eq!(NegativeStock::parse("allow"), Some(NegativeStock::Allow));
    assert_eq!(NegativeStock::parse("reject"), Some(NegativeStock::Reject));
    assert_eq!(NegativeStock::parse("sometimes"), None);
    for policy in [NegativeStock::Allow, NegativeStock::Reject] {
        let domain: taller_domain::stock::NegativeStockPolicy = policy.into();
        assert_eq!(serde_json::to_value(policy).expect("json"), serde_json::to_value(domain).expect("json"));
        assert_eq!(NegativeStock::from(domain), policy);
    }
}

#[test]
fn the_administration_screen_lists_locations_with_their_policy_and_roles_with_what_they_may_do() {
    let (_dir, client) = workstation();
    let policies = |client: &Session| -> Vec<(String, bool, NegativeStock)> {
        client
            .location_policies()
            .expect("locations")
            .into_iter()
            .map(|row| (row.nombre, row.activo, row.stock_negativo))
            .collect()
    };
    assert_eq!(
        policies(&client),
        [
            ("Bodega Central".to_owned(), true, NegativeStock::Allow),
            ("Taller Norte".to_owned(), true, NegativeStock::Allow),
            ("Taller Sur".to_owned(), false, NegativeStock::Allow),
        ],
        "by name; without a policy row a location allows negative stock (the domain's default)"
    );
    // Without users.manage the change is refused; nothing changes.
    let input = LocationPolicyInput { location: "taller norte".into(), stock_negativo: NegativeStock::Reject };
    assert!(refused_with(&client.set_location_policy(&input), RejectionCode::Forbidden));
    assert_eq!(policies(&client)[1].2, NegativeStock::Allow);
    grant_users_manage(&client);
    client.set_location_policy(&input).expect("policy");
    assert_eq!(policies(&client)[1], ("Taller Norte".to_owned(), true, NegativeStock::Reject));
    let shape = serde_json::to_value(&client.location_policies().expect("locations")[1]).expect("json");
    assert_eq!(shape["stock_negativo"], "reject");

    let roles = client.roles().expect("roles");
    assert_eq!(roles.len(), 1);
    let role = &roles[0];
    assert_eq!((role.nombre_rol.as_str(), role.is_admin), ("supervisor", false));
    assert!(role.permisos.inventory.edit && !role.permisos.inventory.delete);
    assert!(role.permisos.users.manage, "read as the replica holds it now");
    assert!(!role.permisos.guarantees.resolve);
}
