//! Replenishment on the seeded workstation of `tests.rs`, offline: Taller Norte (L1) below its
//! minimums, Bodega Central (L2) the origin; the proposal's quantities (up to the minimum,
//! capped by the origin, less what is in transit and in the cart, closed requests ignored), its
//! picking order and its refusals, then the edited proposal into the cart as one action and the
//! request created from the cart.

use super::tests::{conn_of, workstation, L1, L2, L3, ME, P1, P2, P3};
use super::*;
use crate::error::ClientError;
use crate::local::fixtures::{seed, seed_item, BASE};
use serde_json::json;
use taller_domain::{Lang, RejectionCode};

const I22: Uuid = Uuid::from_u128(0x4022);
const I23: Uuid = Uuid::from_u128(0x4023);

fn set_minimum(client: &Session, reference: &str, minimum: i32) {
    client
        .set_stock_settings(&StockSettingsInput {
            location: "Taller Norte".into(),
            part: reference.into(),
            cantidad_minima: Some(minimum),
            posicion: None,
        })
        .expect("minimum");
}

/// A request seeded as a pull would leave it, with one line of `part`.
fn seed_request(
    client: &Session,
    n: u128,
    origen: Uuid,
    estado: &str,
    part: Uuid,
    solicitada: i32,
    despachada: Option<i32>,
) {
    let conn = &conn_of(client).conn;
    let id = Uuid::from_u128(0x7000 + n);
    seed(
        conn,
        "solicitudes",
        &[
            ("id_solicitud", json!(id)),
            ("id_localizacion_origen", json!(origen)),
            ("id_localizacion_destino", json!(L1)),
            ("id_usuario_solicitante", json!(ME)),
            ("estado", json!(estado)),
            ("fecha_creacion", json!(BASE)),
        ],
    );
    seed(
        conn,
        "detalles_solicitud",
        &[
            ("id_detalle", json!(Uuid::from_u128(0x7100 + n))),
            ("id_solicitud", json!(id)),
            ("id_repuesto", json!(part)),
            ("cantidad_solicitada", json!(solicitada)),
            ("cantidad_despachada", json!(despachada)),
        ],
    );
}

/// Taller Norte: BAT-48V 10 of 12, MTR-500W 2 of 8, CTL-48V 0 of 5. Bodega Central: BAT-48V 3
/// (B-2), MTR-500W 4, CTL-48V 20 (no position). A pending request Bodega → Norte of 2
/// CTL-48V; one dispatched from Taller Sur of 1 MTR-500W (3 asked); a cancelled and a received
/// one of 9 BAT-48V each, which are not on their way.
fn low_workshop(client: &Session) {
    set_minimum(client, "BAT-48V", 12);
    set_minimum(client, "MTR-500W", 8);
    set_minimum(client, "CTL-48V", 5);
    {
        let conn = &conn_of(client).conn;
        seed_item(conn, I22, L2, P2, 4, 1, Some("A-7"));
        seed_item(conn, I23, L2, P3, 20, 1, None);
    }
    seed_request(client, 1, L2, "PENDIENTE", P3, 2, None);
    seed_request(client, 2, L3, "DESPACHADO", P2, 3, Some(1));
    seed_request(client, 3, L2, "CANCELADO", P1, 9, None);
    seed_request(client, 4, L2, "RECIBIDO", P1, 9, Some(9));
}

fn input(origin: Option<&str>) -> ReplenishmentInput {
    ReplenishmentInput { destination: "taller norte".into(), origin: origin.map(str::to_owned) }
}

/// (reference, stock, minimum, in transit, in cart, available at origin, proposed).
fn lines(proposal: &ReplenishmentProposal) -> Vec<(&str, i32, i32, i32, i32, i32, i32)> {
    proposal
        .lineas
        .iter()
        .map(|l| {
            (
                l.referencia.as_str(),
                l.stock_actual,
                l.cantidad_minima,
                l.en_transito,
                l.en_carrito,
                l.disponible_origen,
                l.propuesta,
            )
        })
        .collect()
}

fn cart_of(client: &Session) -> Vec<(String, i32)> {
    client.cart().expect("cart").into_iter().map(|line| (line.referencia, line.cantidad)).collect()
}

fn pending(client: &Session) -> i64 {
    client.sync_status().expect("status").pending
}

#[test]
fn a_proposal_fills_up_to_the_minimum_from_the_warehouse_less_what_is_on_its_way() {
    let (_dir, client) = workstation();
    low_workshop(&client);
    let proposal = client.replenishment(&input(None)).expect("proposal");
    assert_eq!((proposal.destino.as_str(), proposal.origen.as_str()), ("Taller Norte", "Bodega Central"));
    assert_eq!((proposal.id_localizacion_destino, proposal.id_localizacion_origen), (L1, L2));
    assert_eq!(
        proposal.origenes.iter().map(|o| (o.nombre.as_str(), o.stock_total)).collect::<Vec<_>>(),
        [("Bodega Central", 27)],
        "the person's other active location, with its stock on hand"
    );
    assert_eq!(
        lines(&proposal),
        [
            // Missing 8 - 2 - 1 dispatched from Taller Sur = 5; the warehouse holds only 4.
            ("MTR-500W", 2, 8, 1, 0, 4, 4),
            // Missing 2; the warehouse holds 3; the cancelled and received requests are not on their way.
            ("BAT-48V", 10, 12, 0, 0, 3, 2),
            // Missing 5 - 2 pending = 3; the warehouse's 20 less the 2 it promised.
            ("CTL-48V", 0, 5, 2, 0, 18, 3),
        ],
        "in picking order: the warehouse's shelf positions, parts without one last"
    );
    let mtr = &proposal.lineas[0];
    assert_eq!((mtr.nombre.as_str(), mtr.posicion.as_deref(), mtr.falta), ("Motor 500W", Some("A-7"), 5));
    assert_eq!(proposal.sin_existencias, 0);

    // What is in the cart for the workshop is not proposed again.
    client
        .cart_add(&CartAddInput { destination: "Taller Norte".into(), part: "BAT-48V".into(), cantidad: 1 })
        .expect("cart");
    let again = client.replenishment(&input(Some("Bodega Central"))).expect("proposal");
    assert_eq!(again.lineas[1].en_carrito, 1);
    assert_eq!(again.lineas[1].propuesta, 1);

    // The warehouse empties of BAT-48V: the part is left out, and counted as without stock.
    client
        .adjust_stock(&StockAdjustInput {
            location: "Bodega Central".into(),
            part: "BAT-48V".into(),
            delta: -3,
            motivo: "Rotura".into(),
        })
        .expect("adjust");
    let empty = client.replenishment(&input(None)).expect("proposal");
    assert_eq!(empty.lineas.iter().map(|l| l.referencia.as_str()).collect::<Vec<_>>(), ["MTR-500W", "CTL-48V"]);
    assert_eq!(empty.sin_existencias, 1);
    let shape = serde_json::to_value(&empty).expect("json");
    for key in ["destino", "origen", "origenes", "lineas", "sin_existencias"] {
        assert!(shape.get(key).is_some(), "{key}: {shape}");
    }
}

#[test]
fn a_proposal_is_refused_for_locations_the_replica_does_not_hold_and_without_an_origin() {
    let (_dir, client) = workstation();
    low_workshop(&client);
    let refused = |result: Result<ReplenishmentProposal>, code: RejectionCode| match result {
        Err(ClientError::Rejected(r)) => assert_eq!(r.code, code, "{r:?}"),
        other => panic!("expected {code:?}: {other:?}"),
    };
    refused(
        client.replenishment(&ReplenishmentInput { destination: "Taller Sur".into(), origin: None }),
        RejectionCode::LocationOutOfScope,
    );
    refused(client.replenishment(&input(Some("Taller Sur"))), RejectionCode::LocationOutOfScope);
    refused(client.replenishment(&input(Some("Taller Norte"))), RejectionCode::InvalidArguments);
    let unknown = client.replenishment(&input(Some("Bodega Norte")));
    assert!(matches!(unknown, Err(ClientError::Invalid(ref m)) if m.contains("Bodega Norte")), "{unknown:?}");

    // Without the warehouse among the person's locations, no origin is left: said why.
    conn_of(&client)
        .conn
        .execute("DELETE FROM usuarios_localizacion WHERE id_localizacion = ?1", [L2.to_string()])
        .expect("unassign");
    let error = client.replenishment(&input(None)).expect_err("no origin");
    assert_eq!(error.code(), "no_replenishment_origin");
    assert_eq!(error.params().get("localizacion"), Some(&json!("Taller Norte")));
    assert!(error.message(Lang::Es).contains("ninguna otra sede"), "{}", error.message(Lang::Es));
    assert!(error.message(Lang::En).contains("no other location"), "{}", error.message(Lang::En));
}

#[test]
fn the_edited_proposal_enters_the_cart_as_one_action_and_becomes_the_request() {
    let (_dir, client) = workstation();
    low_workshop(&client);
    client
        .cart_add(&CartAddInput { destination: "Taller Norte".into(), part: "BAT-48V".into(), cantidad: 1 })
        .expect("cart");
    let before = pending(&client);
    let line = |part: &str, cantidad| ReplenishmentLineInput { part: part.into(), cantidad };
    let to_cart = |lines| ReplenishmentToCartInput { destination: "Taller Norte".into(), lines };

    // A bad quantity, an unknown part or nothing kept: refused, nothing written.
    for (lines, code) in [
        (vec![line("MTR-500W", 3), line("CTL-48V", -1)], "invalid_quantity"),
        (vec![line("MTR-500W", 3), line("NO-EXISTE", 1)], "invalid_input"),
        (vec![line("MTR-500W", 0), line("CTL-48V", 0)], "empty_request"),
        (Vec::new(), "empty_request"),
    ] {
        let error = client.replenishment_to_cart(&to_cart(lines)).expect_err("refused");
        assert_eq!(error.code(), code, "{error}");
        assert_eq!(cart_of(&client), [("BAT-48V".to_owned(), 1)], "nothing half-applied");
        assert_eq!(pending(&client), before);
    }

    // The person raised MTR-500W's 4 to... kept 3, raised BAT-48V's 1 to 2, dropped CTL-48V.
    let added = client
        .replenishment_to_cart(&to_cart(vec![line("MTR-500W", 3), line("bat-48v", 2), line("CTL-48V", 0)]))
        .expect("into the cart");
    assert_eq!((added.added, added.increased, added.units, added.pending), (1, 1, 5, before + 2));
    assert_eq!(cart_of(&client), [("BAT-48V".to_owned(), 3), ("MTR-500W".to_owned(), 3)]);
    // What the cart now holds is no longer proposed.
    let after = client.replenishment(&input(None)).expect("proposal");
    // 8 - 2 - 1 - 3 = 2 missing; the warehouse's 4 less the 3 in the cart: 1.
    assert_eq!(lines(&after)[0], ("MTR-500W", 2, 8, 1, 3, 1, 1));
    assert!(after.lineas.iter().all(|l| l.referencia != "BAT-48V"), "12 - 10 - 3 in the cart: nothing");

    let created = client
        .request_from_cart(&RequestFromCartInput {
            origin: "Bodega Central".into(),
            destination: "Taller Norte".into(),
            observaciones_generales: Some("Reposición".into()),
        })
        .expect("request");
    assert!(client.cart().expect("cart").is_empty());
    let id: Uuid = created.result["id_solicitud"].as_str().and_then(|id| id.parse().ok()).expect("id");
    let detail = client.request(id).expect("detail");
    let mut asked: Vec<(String, i32)> =
        detail.lineas.iter().map(|l| (l.referencia.clone(), l.cantidad_solicitada)).collect();
    asked.sort();
    assert_eq!(asked, [("BAT-48V".to_owned(), 3), ("MTR-500W".to_owned(), 3)]);
    // Now pending from the warehouse: in transit for the workshop, promised by the warehouse.
    let last = client.replenishment(&input(None)).expect("proposal");
    let mtr = last.lineas.iter().find(|l| l.referencia == "MTR-500W").expect("MTR-500W");
    assert_eq!((mtr.en_transito, mtr.en_carrito, mtr.disponible_origen, mtr.propuesta), (4, 0, 1, 1));
}
