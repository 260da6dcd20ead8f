//! Physical counts on the seeded workstation of `tests.rs`, offline: a count started by the
//! location's name, lines named by part reference, their differences, the close and the
//! ledger rows it wrote.

use super::tests::{conn_of, workstation, L1, P4};
use super::*;
use crate::error::ClientError;
use serde_json::json;
use taller_domain::RejectionCode;

fn count_id(queued: &Queued) -> Uuid {
    queued.result["id_conteo"].as_str().expect("id_conteo").parse().expect("uuid")
}

fn line(id_conteo: Uuid, part: &str, cantidad_csa: i32, cantidad_pq: i32) -> CountLineInput {
    CountLineInput { id_conteo, part: part.into(), cantidad_csa, cantidad_pq, observaciones: None }
}

fn refused_with(result: &Result<Queued>, code: RejectionCode) -> bool {
    matches!(result, Err(ClientError::Rejected(r)) if r.code == code)
}

fn stock_at_norte(client: &Session, reference: &str) -> Option<i32> {
    let found = client
        .find_part(&FindPartInput { code: reference.into(), id_localizacion: Some(L1) })
        .expect("find part")
        .expect("a part");
    found.stock.map(|stock| stock.stock_actual)
}

/// Taller Norte holds BAT-48V 10 (at A-1), MTR-500W 2, and no row of FRN-01.
#[test]
fn a_count_started_by_location_name_fixes_the_stock_its_lines_counted_by_reference() {
    let (_dir, client) = workstation();
    let started = client
        .start_count(&CountStartInput { location: "taller norte".into(), observaciones: Some("cierre de mes".into()) })
        .expect("start by name");
    assert_eq!((started.name.as_str(), started.pending), ("count.start", 1));
    let id = count_id(&started);

    let bat = client.record_count_line(&line(id, "bat-48v", 8, 0)).expect("a line by reference");
    assert_eq!((bat.result["cantidad_sistema"].as_i64(), bat.result["diferencia"].as_i64()), (Some(10), Some(2)));
    // 3 counted, 1 of them loose small parts that stay: 2, what the system holds.
    let mtr = client.record_count_line(&line(id, "MTR-500W", 3, 1)).expect("a line with loose parts");
    assert_eq!(mtr.result["diferencia"].as_i64(), Some(0));
    let frn = client.record_count_line(&line(id, &P4.to_string(), 4, 0)).expect("a line by part id");
    assert_eq!((frn.result["cantidad_sistema"].as_i64(), frn.result["diferencia"].as_i64()), (Some(0), Some(-4)));
    let recount = client.record_count_line(&line(id, "BAT-48V", 9, 0)).expect("a recount");
    assert_eq!(recount.result["id_detalle_conteo"], bat.result["id_detalle_conteo"], "the recount replaces the line");
    assert_eq!(recount.result["diferencia"].as_i64(), Some(1));

    let loose = client.record_count_line(&line(id, "CTL-48V", 1, 2));
    assert!(refused_with(&loose, RejectionCode::InvalidArguments), "more loose parts than units: {loose:?}");
    let unknown = client.record_count_line(&line(id, "NOPE-1", 1, 0));
    assert!(matches!(unknown, Err(ClientError::Invalid(ref m)) if m.contains("NOPE-1")), "{unknown:?}");

    let open = client.count(id).expect("detail");
    assert_eq!(
        (open.count.state, open.count.localizacion.as_deref(), open.count.usuario.as_deref(), open.count.cerrado_en),
        (CountState::Open, Some("Taller Norte"), Some("Marta Méndez"), None)
    );
    assert_eq!(open.count.observaciones.as_deref(), Some("cierre de mes"));
    assert_eq!(
        (open.count.num_lineas, open.count.total_items, open.count.total_diferencias, open.count.items_con_pq),
        (3, 3, 2, 1)
    );
    assert_eq!(
        open.lineas
            .iter()
            .map(|l| (
                l.referencia.as_str(),
                l.posicion.as_deref(),
                l.cantidad_sistema,
                l.cantidad_csa,
                l.cantidad_pq,
                l.diferencia
            ))
            .collect::<Vec<_>>(),
        [("BAT-48V", Some("A-1"), 10, 9, 0, 1), ("FRN-01", None, 0, 4, 0, -4), ("MTR-500W", None, 2, 3, 1, 0)]
    );
    assert!(open.lineas.iter().all(|l| l.ajuste.is_none()), "nothing adjusted before the close");

    let open_only = CountListInput { location: Some("Taller Norte".into()), state: Some(CountState::Open) };
    assert_eq!(client.counts(&open_only).expect("list").iter().map(|c| c.id_conteo).collect::<Vec<_>>(), [id]);
    let closed_only = CountListInput { location: None, state: Some(CountState::Closed) };
    assert!(client.counts(&closed_only).expect("list").is_empty());
    let elsewhere = CountListInput { location: Some("bodega central".into()), state: None };
    assert!(client.counts(&elsewhere).expect("list").is_empty());

    let closed = client.close_count(id).expect("close");
    assert_eq!(closed.result, json!({"lineas_ajustadas": 3, "lineas_absorbidas": 0}));
    let detail = client.count(id).expect("detail");
    assert_eq!(detail.count.state, CountState::Closed);
    assert!(detail.count.cerrado_en.as_deref().is_some_and(|at| at.ends_with('Z')), "{:?}", detail.count.cerrado_en);
    let adjustments: Vec<_> = detail
        .lineas
        .iter()
        .map(|l| {
            let ajuste = l.ajuste.as_ref().expect("an adjustment per line");
            (
                l.referencia.as_str(),
                ajuste.tipo_operacion,
                ajuste.cantidad_anterior,
                ajuste.cantidad_nueva,
                ajuste.diferencia,
            )
        })
        .collect();
    assert_eq!(
        adjustments,
        [
            ("BAT-48V", TipoOperacion::ConteoFisico, 10, 9, -1),
            ("FRN-01", TipoOperacion::ConteoFisico, 0, 4, 4),
            ("MTR-500W", TipoOperacion::ConteoFisico, 2, 2, 0)
        ]
    );
    let bat_adjustment = detail.lineas[0].ajuste.as_ref().expect("adjustment");
    assert_eq!(
        (bat_adjustment.localizacion.as_str(), bat_adjustment.usuario.as_deref(), bat_adjustment.absorbido),
        ("Taller Norte", Some("Marta Méndez"), false)
    );
    assert_eq!(
        (stock_at_norte(&client, "BAT-48V"), stock_at_norte(&client, "FRN-01"), stock_at_norte(&client, "MTR-500W")),
        (Some(9), Some(4), Some(2)),
        "the stock is what was counted"
    );
    let listed = client.counts(&CountListInput { location: None, state: Some(CountState::Closed) }).expect("list");
    assert_eq!(listed.iter().map(|c| (c.id_conteo, c.num_lineas)).collect::<Vec<_>>(), [(id, 3)]);

    let late = client.record_count_line(&line(id, "BAT-48V", 1, 0));
    assert!(refused_with(&late, RejectionCode::CountClosed), "{late:?}");
    let twice = client.close_count(id);
    assert!(refused_with(&twice, RejectionCode::CountClosed), "{twice:?}");
    assert_eq!(client.sync_status().expect("status").pending, 6, "start, 4 lines, close");
}

#[test]
fn count_names_that_match_nothing_are_invalid_input_and_nothing_is_queued() {
    let (_dir, client) = workstation();
    let nowhere = client.start_count(&CountStartInput { location: "Nowhere".into(), observaciones: None });
    assert!(matches!(nowhere, Err(ClientError::Invalid(ref m)) if m.contains("Nowhere")), "{nowhere:?}");
    let listed = client.counts(&CountListInput { location: Some("Nowhere".into()), state: None });
    assert!(matches!(listed, Err(ClientError::Invalid(_))), "{listed:?}");
    assert!(matches!(client.count(Uuid::now_v7()), Err(ClientError::Invalid(_))));
    let no_count = client.record_count_line(&line(Uuid::now_v7(), "BAT-48V", 1, 0));
    assert!(refused_with(&no_count, RejectionCode::NotFound), "a count the replica does not hold: {no_count:?}");
    let sur = client.start_count(&CountStartInput { location: "Taller Sur".into(), observaciones: None });
    assert!(refused_with(&sur, RejectionCode::LocationOutOfScope), "{sur:?}");
    assert_eq!(client.sync_status().expect("status").pending, 0);
}

#[test]
fn counting_needs_inventory_edit() {
    let (_dir, client) = workstation();
    let started = client
        .start_count(&CountStartInput { location: L1.to_string(), observaciones: None })
        .expect("start by location id");
    conn_of(&client)
        .conn
        .execute("UPDATE roles SET permisos = json_set(permisos, '$.inventory.edit', json('false'))", [])
        .expect("no inventory.edit");
    let refused = client.record_count_line(&line(count_id(&started), "BAT-48V", 1, 0));
    assert!(refused_with(&refused, RejectionCode::Forbidden), "{refused:?}");
    let refused = client.close_count(count_id(&started));
    assert!(refused_with(&refused, RejectionCode::Forbidden), "{refused:?}");
    assert_eq!(client.sync_status().expect("status").pending, 1);
}
