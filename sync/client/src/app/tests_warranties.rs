//! Warranty claims on the seeded workstation of `tests.rs`, offline: created with names as a
//! person types them, submitted, refused to a role that may not resolve claims, approved
//! (the units come into stock) or rejected with a comment.

use super::tests::{conn_of, workstation, L1};
use super::*;
use crate::error::ClientError;
use taller_domain::{EstadoGarantia, RejectionCode};

fn claim_id(queued: &Queued) -> Uuid {
    queued.result["id_garantia"].as_str().expect("id_garantia").parse().expect("uuid")
}

fn claim(location: &str, part: &str, cantidad: i32) -> WarrantyCreateInput {
    WarrantyCreateInput {
        location: location.into(),
        part: part.into(),
        cantidad,
        motivo_falla: "no carga".into(),
        technician: None,
        solicitante: None,
        kilometraje: None,
        numero_orden: None,
        url_evidencia_foto: None,
    }
}

fn refused_with(result: &Result<Queued>, code: RejectionCode) -> bool {
    matches!(result, Err(ClientError::Rejected(r)) if r.code == code)
}

fn bat_at_norte(client: &Session) -> Option<i32> {
    let found = client
        .find_part(&FindPartInput { code: "BAT-48V".into(), id_localizacion: Some(L1) })
        .expect("find part")
        .expect("a part");
    found.stock.map(|stock| stock.stock_actual)
}

/// Taller Norte holds 10 BAT-48V; the role may create claims but not resolve them until a
/// pull brings `guarantees.resolve`.
#[test]
fn a_warranty_goes_from_creation_to_approval_and_brings_its_units_into_stock() {
    let (_dir, client) = workstation();
    let created = client
        .create_warranty(&WarrantyCreateInput {
            technician: Some("Óscar@Taller.Test".into()),
            solicitante: Some("Cliente Uno".into()),
            kilometraje: Some(1200),
            numero_orden: Some("OT-9".into()),
            ..claim("taller norte", "bat-48v", 2)
        })
        .expect("created by names");
    assert_eq!((created.name.as_str(), created.result["estado"].as_str()), ("warranty.create", Some("SIN_ENVIAR")));
    let id = claim_id(&created);

    let listed = client.warranties(&WarrantyListInput::default()).expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].estado,
            listed[0].referencia.as_deref(),
            listed[0].localizacion.as_deref(),
            listed[0].cantidad,
            listed[0].usuario_reporta.as_deref()
        ),
        (EstadoGarantia::SinEnviar, Some("BAT-48V"), Some("Taller Norte"), 2, Some("Marta Méndez"))
    );
    assert_eq!(
        (listed[0].solicitante.as_deref(), listed[0].numero_orden.as_deref()),
        (Some("Cliente Uno"), Some("OT-9"))
    );
    let detail = client.warranty(id).expect("detail");
    assert_eq!(
        (detail.tecnico_asociado.as_deref(), detail.kilometraje, detail.ingreso.as_ref()),
        (Some("Óscar Ortega"), Some(1200), None)
    );
    assert!(detail.claim.fecha_reporte.ends_with('Z'), "{}", detail.claim.fecha_reporte);

    client.submit_warranty(id).expect("submit");
    let approve = WarrantyResolveInput { id_garantia: id, comentarios_resolucion: Some("cambio de celda".into()) };
    let refused = client.approve_warranty(&approve);
    assert!(refused_with(&refused, RejectionCode::Forbidden), "approving needs guarantees.resolve: {refused:?}");
    assert_eq!(client.warranty(id).expect("detail").claim.estado, EstadoGarantia::Pendiente);
    assert_eq!(bat_at_norte(&client), Some(10), "a refused approval moves nothing");

    // The role is given the permission, as a pull would bring it.
    conn_of(&client)
        .conn
        .execute("UPDATE roles SET permisos = json_set(permisos, '$.guarantees.resolve', json('true'))", [])
        .expect("resolver");
    let approved = client.approve_warranty(&approve).expect("approve");
    assert_eq!(approved.result["stock_actual"].as_i64(), Some(12));
    assert_eq!(bat_at_norte(&client), Some(12));
    let detail = client.warranty(id).expect("detail");
    assert_eq!(detail.claim.estado, EstadoGarantia::Aprobada);
    assert_eq!(detail.claim.comentarios_resolucion.as_deref(), Some("cambio de celda"));
    assert!(detail.claim.fecha_resolucion.is_some());
    let ingreso = detail.ingreso.expect("the approval's ledger row");
    assert_eq!(
        (ingreso.tipo_operacion, ingreso.cantidad_anterior, ingreso.cantidad_nueva, ingreso.diferencia),
        (TipoOperacion::Garantia, 10, 12, 2)
    );
    assert_eq!((ingreso.localizacion.as_str(), ingreso.motivo.as_deref()), ("Taller Norte", Some("cambio de celda")));

    let again = client.submit_warranty(id);
    assert!(refused_with(&again, RejectionCode::InvalidTransition), "{again:?}");
    assert_eq!(client.sync_status().expect("status").pending, 3, "create, submit, approve");
}

#[test]
fn a_rejection_needs_a_comment_and_lists_filter_by_state() {
    let (_dir, client) = workstation();
    conn_of(&client)
        .conn
        .execute("UPDATE roles SET permisos = json_set(permisos, '$.guarantees.resolve', json('true'))", [])
        .expect("resolver");
    let first = claim_id(&client.create_warranty(&claim(&L1.to_string(), "CTL-48V", 1)).expect("by location id"));
    let second = claim_id(&client.create_warranty(&claim("Taller Norte", "MTR-500W", 1)).expect("create"));
    client.submit_warranty(second).expect("submit");
    let bare = client.reject_warranty(&WarrantyResolveInput { id_garantia: second, comentarios_resolucion: None });
    assert!(refused_with(&bare, RejectionCode::ReasonRequired), "{bare:?}");
    let blank = client
        .reject_warranty(&WarrantyResolveInput { id_garantia: second, comentarios_resolucion: Some("  ".into()) });
    assert!(refused_with(&blank, RejectionCode::ReasonRequired), "{blank:?}");
    client
        .reject_warranty(&WarrantyResolveInput { id_garantia: second, comentarios_resolucion: Some("golpe".into()) })
        .expect("reject");
    let rejected = client.warranty(second).expect("detail");
    assert_eq!((rejected.claim.estado, rejected.ingreso), (EstadoGarantia::Rechazada, None));

    let all = client.warranties(&WarrantyListInput::default()).expect("list");
    assert_eq!(all.iter().map(|w| w.id_garantia).collect::<Vec<_>>(), [second, first], "newest first");
    let of = |estado| {
        client
            .warranties(&WarrantyListInput { estado: Some(estado) })
            .expect("list")
            .iter()
            .map(|w| w.id_garantia)
            .collect::<Vec<_>>()
    };
    assert_eq!(of(EstadoGarantia::Rechazada), [second]);
    assert_eq!(of(EstadoGarantia::SinEnviar), [first]);
    assert!(of(EstadoGarantia::Pendiente).is_empty());
}

#[test]
fn warranty_names_that_match_nothing_are_invalid_input_and_nothing_is_queued() {
    let (_dir, client) = workstation();
    for (input, name) in [
        (claim("Nowhere", "BAT-48V", 1), "Nowhere"),
        (claim("Taller Norte", "NOPE-1", 1), "NOPE-1"),
        (
            WarrantyCreateInput { technician: Some("nadie@taller.test".into()), ..claim("Taller Norte", "BAT-48V", 1) },
            "nadie@taller.test",
        ),
    ] {
        let refused = client.create_warranty(&input);
        assert!(matches!(refused, Err(ClientError::Invalid(ref m)) if m.contains(name)), "{name}: {refused:?}");
    }
    let sur = client.create_warranty(&claim("Taller Sur", "BAT-48V", 1));
    assert!(refused_with(&sur, RejectionCode::LocationOutOfScope), "{sur:?}");
    assert!(matches!(client.warranty(Uuid::now_v7()), Err(ClientError::Invalid(_))));
    let unknown = client.submit_warranty(Uuid::now_v7());
    assert!(refused_with(&unknown, RejectionCode::NotFound), "{unknown:?}");
    assert_eq!(client.sync_status().expect("status").pending, 0);
}

/// A draft is edited field by field, each edit carrying the value it replaces; an empty text
/// clears an optional field; once submitted the claim is `not_editable` and nothing is queued.
#[test]
fn a_draft_claim_is_edited_until_it_is_submitted() {
    let (_dir, client) = workstation();
    let id = claim_id(
        &client
            .create_warranty(&WarrantyCreateInput {
                solicitante: Some("Cliente Uno".into()),
                numero_orden: Some("OT-9".into()),
                ..claim("taller norte", "bat-48v", 2)
            })
            .expect("created"),
    );
    let nothing = client.edit_warranty(&WarrantyEditInput { id_garantia: id, ..WarrantyEditInput::default() });
    assert!(matches!(nothing, Err(ClientError::Invalid(_))), "{nothing:?}");

    let edited = client
        .edit_warranty(&WarrantyEditInput {
            id_garantia: id,
            cantidad: Some(3),
            motivo_falla: Some("no carga más del 50 %".into()),
            kilometraje: Some(1500),
            numero_orden: Some(String::new()),
            technician: Some("Óscar@Taller.Test".into()),
            ..WarrantyEditInput::default()
        })
        .expect("edited");
    assert_eq!(edited.name, "warranty.edit");
    let detail = client.warranty(id).expect("detail");
    assert_eq!(
        (detail.claim.cantidad, detail.claim.motivo_falla.as_str(), detail.kilometraje),
        (3, "no carga más del 50 %", Some(1500))
    );
    assert_eq!(
        (detail.claim.numero_orden.as_deref(), detail.claim.solicitante.as_deref()),
        (None, Some("Cliente Uno"))
    );
    assert_eq!(detail.tecnico_asociado.as_deref(), Some("Óscar Ortega"));
    // The queued mutation names what each edit replaced (the server's conflict check).
    let args: serde_json::Value = conn_of(&client)
        .conn
        .query_row("SELECT args FROM outbox WHERE name = 'warranty.edit'", [], |row| row.get::<_, String>(0))
        .map(|text| serde_json::from_str(&text).expect("json"))
        .expect("queued");
    let edits = args["edits"].as_array().expect("edits");
    let of = |field: &str| edits.iter().find(|edit| edit["field"] == field).expect(field).clone();
    assert_eq!((of("cantidad")["old"].as_i64(), of("cantidad")["new"].as_i64()), (Some(2), Some(3)));
    assert_eq!((of("numero_orden")["old"].as_str(), of("numero_orden")["new"].is_null()), (Some("OT-9"), true));
    assert_eq!(edits.len(), 5, "only the fields given: {edits:?}");

    let zero = client.edit_warranty(&WarrantyEditInput { id_garantia: id, cantidad: Some(0), ..Default::default() });
    assert!(refused_with(&zero, RejectionCode::InvalidQuantity), "{zero:?}");
    let nobody = client.edit_warranty(&WarrantyEditInput {
        id_garantia: id,
        technician: Some("nadie@taller.test".into()),
        ..Default::default()
    });
    assert!(matches!(nobody, Err(ClientError::Invalid(_))), "{nobody:?}");

    client.submit_warranty(id).expect("submit");
    let pending = client.sync_status().expect("status").pending;
    let late = client.edit_warranty(&WarrantyEditInput { id_garantia: id, cantidad: Some(4), ..Default::default() });
    assert!(refused_with(&late, RejectionCode::NotEditable), "{late:?}");
    assert_eq!(client.warranty(id).expect("detail").claim.cantidad, 3, "a refused edit changes nothing");
    assert_eq!(client.sync_status().expect("status").pending, pending, "and queues nothing");
}
