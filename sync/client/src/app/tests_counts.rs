//! Physical counts on the seeded workstation of `tests.rs`, offline: a count started by the
//! location's name, lines named by part reference, their differences, the close and the
//! ledger rows it wrote.

use super::tests::{conn_of, workstation, L1, P1, P4};
use super::*;
use crate::error::ClientError;
use serde_json::json;
use taller_domain::RejectionCode;
use taller_protocol::mutations::{InventoryAdjust, Mutation};

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

/// A stock change dated before a line's counted moment that is applied after the close (a
/// movement made offline elsewhere, here an adjustment back-dated ten minutes) is recorded
/// but absorbed: the stock stays what was counted, and the count's detail names the change
/// on its line, with who made it, when, how many units and why.
#[test]
fn a_change_made_before_a_line_was_counted_shows_on_that_line_as_absorbed() {
    let (_dir, client) = workstation();
    let started =
        client.start_count(&CountStartInput { location: "Taller Norte".into(), observaciones: None }).expect("start");
    let id = count_id(&started);
    client.record_count_line(&line(id, "BAT-48V", 7, 0)).expect("BAT counted");
    client.record_count_line(&line(id, "MTR-500W", 2, 0)).expect("MTR counted");
    client.close_count(id).expect("close");
    assert_eq!(stock_at_norte(&client, "BAT-48V"), Some(7));

    let before_the_count = Utc::now() - chrono::Duration::minutes(10);
    let late = client
        .act_at(
            &Mutation::InventoryAdjust(InventoryAdjust {
                id_localizacion: L1,
                id_repuesto: P1,
                delta: -2,
                motivo: "rotura".into(),
            }),
            before_the_count,
        )
        .expect("a late change is never refused for a count");
    assert_eq!(late.result["absorbido"], json!(true), "{:?}", late.result);
    // After the count: applied as usual, and not on the count's detail.
    client
        .act(&Mutation::InventoryAdjust(InventoryAdjust {
            id_localizacion: L1,
            id_repuesto: P1,
            delta: 1,
            motivo: "devolución".into(),
        }))
        .expect("a change after the count");
    assert_eq!(stock_at_norte(&client, "BAT-48V"), Some(8), "7 counted, the late -2 absorbed, +1 after");

    let detail = client.count(id).expect("detail");
    let by_ref = |reference: &str| detail.lineas.iter().find(|l| l.referencia == reference).expect("line");
    let absorbed: Vec<_> = by_ref("BAT-48V")
        .absorbidos
        .iter()
        .map(|c| (c.tipo_operacion, c.cantidad, c.motivo.as_deref(), c.usuario.as_deref()))
        .collect();
    assert_eq!(absorbed, [(TipoOperacion::AjusteManual, -2, Some("rotura"), Some("Marta Méndez"))]);
    let change = &by_ref("BAT-48V").absorbidos[0];
    let counted_at = &by_ref("BAT-48V").ajuste.as_ref().expect("adjusted").fecha;
    assert!(change.fecha < *counted_at, "dated before the line's moment: {} vs {counted_at}", change.fecha);
    assert!(by_ref("MTR-500W").absorbidos.is_empty(), "a line with nothing absorbed");
}

/// The count detail's absorbed changes are read through the partial index of migration
/// 0007, not by scanning the ledger.
#[test]
fn the_absorbed_changes_of_a_count_are_read_through_their_index() {
    let replica = crate::replica::Replica::in_memory().expect("replica");
    let plan = crate::replica::query_plan(&replica.conn, super::counts::ABSORBED_BY_COUNT);
    assert!(plan.contains("SEARCH g USING INDEX idx_logs_inventario_absorbidos"), "{plan}");
    assert!(!plan.contains("SCAN g"), "{plan}");
}
