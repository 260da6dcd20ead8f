//! Stock on the seeded workstation of `tests.rs`, offline: every location's rows or one
//! location's by name, adjustments and settings named as a person types them (the settings
//! with the values they replace), and technician movements with the concept's default type,
//! the signed-in technician and a date.

use super::tests::{conn_of, workstation, ME, OTHER, P1, P4};
use super::tests_parts::queued_args;
use super::*;
use crate::error::ClientError;
use serde_json::json;
use taller_domain::RejectionCode;

fn rows(client: &Session, location: Option<&str>, low_only: bool) -> Vec<(String, String, i32, EstadoStock)> {
    client
        .stock(&StockListInput { location: location.map(str::to_owned), low_only })
        .expect("stock")
        .into_iter()
        .map(|row| (row.localizacion, row.item.referencia, row.item.stock_actual, row.item.estado_stock))
        .collect()
}

fn row(location: &str, reference: &str, stock: i32, estado: EstadoStock) -> (String, String, i32, EstadoStock) {
    (location.to_owned(), reference.to_owned(), stock, estado)
}

fn stock_of(client: &Session, location: &str, reference: &str) -> Option<StockRow> {
    client
        .stock(&StockListInput { location: Some(location.into()), low_only: false })
        .expect("stock")
        .into_iter()
        .find(|row| row.item.referencia == reference)
}

fn movement(location: &str, part: &str, concepto: Concepto, cantidad: i32) -> MoveInput {
    MoveInput {
        location: location.into(),
        part: part.into(),
        technician: None,
        concepto,
        tipo: None,
        cantidad,
        numero_orden: None,
        at: None,
    }
}

#[test]
fn stock_lists_every_location_by_name_then_reference_or_one_location_named() {
    let (_dir, client) = workstation();
    assert_eq!(
        rows(&client, None, false),
        [
            row("Bodega Central", "BAT-48V", 3, EstadoStock::Normal),
            row("Taller Norte", "BAT-48V", 10, EstadoStock::Alto),
            row("Taller Norte", "CTL-48V", 0, EstadoStock::SinStock),
            row("Taller Norte", "MTR-500W", 2, EstadoStock::Bajo),
        ]
    );
    assert_eq!(
        rows(&client, Some("TALLER NORTE"), true),
        [
            row("Taller Norte", "CTL-48V", 0, EstadoStock::SinStock),
            row("Taller Norte", "MTR-500W", 2, EstadoStock::Bajo)
        ],
        "at or below the minimum, at the location named"
    );
    let bat = stock_of(&client, "Taller Norte", "BAT-48V").expect("a row");
    assert_eq!((bat.item.id_repuesto, bat.item.posicion.as_deref(), bat.item.alerta_minimo), (P1, Some("A-1"), false));
    let shape = serde_json::to_value(&bat).expect("json");
    for key in ["localizacion", "referencia", "stock_actual", "cantidad_minima", "estado_stock", "veces_contado"] {
        assert!(shape.get(key).is_some(), "{key} at the top level: {shape}");
    }
    assert_eq!(shape["estado_stock"], "Alto");

    let unknown = client.stock(&StockListInput { location: Some("Nowhere".into()), low_only: false });
    assert!(matches!(unknown, Err(ClientError::Invalid(ref m)) if m.contains("Nowhere")), "{unknown:?}");
    // A listing handed over one row at a time stops at the first error of its reader.
    let mut seen = 0;
    let stopped = client.each_stock(&StockListInput::default(), |_| {
        seen += 1;
        Err(ClientError::Invalid("enough".into()))
    });
    assert!(matches!(stopped, Err(ClientError::Invalid(ref m)) if m == "enough"), "{stopped:?}");
    assert_eq!(seen, 1);
}

#[test]
fn adjustments_and_settings_name_the_location_and_part_and_settings_carry_the_replaced_values() {
    let (_dir, client) = workstation();
    let adjusted = client
        .adjust_stock(&StockAdjustInput {
            location: "taller norte".into(),
            part: "bat-48v".into(),
            delta: -3,
            motivo: "rotura".into(),
        })
        .expect("an adjustment by names");
    assert_eq!((adjusted.name.as_str(), adjusted.result["stock_actual"].as_i64()), ("inventory.adjust", Some(7)));
    let ledger = client.part("BAT-48V").expect("part").ledger;
    assert_eq!(
        ledger.first().map(|e| (e.tipo_operacion, e.diferencia, e.motivo.as_deref())),
        Some((TipoOperacion::AjusteManual, -3, Some("rotura")))
    );
    let no_reason = client.adjust_stock(&StockAdjustInput {
        location: "Taller Norte".into(),
        part: "BAT-48V".into(),
        delta: 1,
        motivo: " ".into(),
    });
    assert!(matches!(no_reason, Err(ClientError::Rejected(ref r)) if r.code == RejectionCode::ReasonRequired));

    let set = client
        .set_stock_settings(&StockSettingsInput {
            location: "Taller Norte".into(),
            part: "mtr-500w".into(),
            cantidad_minima: Some(5),
            posicion: Some("D-4".into()),
        })
        .expect("settings by names");
    let (name, args) = queued_args(&client, &set);
    assert_eq!(name, "inventory.settings");
    assert_eq!(
        args["edits"],
        json!([{"field": "cantidad_minima", "old": 2, "new": 5}, {"field": "posicion", "old": null, "new": "D-4"}])
    );
    let mtr = stock_of(&client, "Taller Norte", "MTR-500W").expect("row");
    assert_eq!((mtr.item.cantidad_minima, mtr.item.posicion.as_deref()), (5, Some("D-4")));
    let again = client
        .set_stock_settings(&StockSettingsInput {
            location: "Taller Norte".into(),
            part: "MTR-500W".into(),
            cantidad_minima: None,
            posicion: Some("D-5".into()),
        })
        .expect("only the position");
    assert_eq!(queued_args(&client, &again).1["edits"], json!([{"field": "posicion", "old": "D-4", "new": "D-5"}]));

    // No row of FRN-01 at Taller Norte yet: nothing was there to replace; the row is made.
    let new_row = client
        .set_stock_settings(&StockSettingsInput {
            location: "Taller Norte".into(),
            part: P4.to_string(),
            cantidad_minima: Some(1),
            posicion: None,
        })
        .expect("a part without a row");
    assert_eq!(queued_args(&client, &new_row).1["edits"], json!([{"field": "cantidad_minima", "old": null, "new": 1}]));
    assert_eq!(stock_of(&client, "Taller Norte", "FRN-01").map(|row| row.item.cantidad_minima), Some(1));

    let nothing = client.set_stock_settings(&StockSettingsInput {
        location: "Taller Norte".into(),
        part: "MTR-500W".into(),
        cantidad_minima: None,
        posicion: None,
    });
    assert!(matches!(nothing, Err(ClientError::Invalid(_))), "{nothing:?}");
    let out_of_scope = client.set_stock_settings(&StockSettingsInput {
        location: "Taller Sur".into(),
        part: "MTR-500W".into(),
        cantidad_minima: Some(1),
        posicion: None,
    });
    assert!(
        matches!(out_of_scope, Err(ClientError::Rejected(ref r)) if r.code == RejectionCode::LocationOutOfScope),
        "{out_of_scope:?}"
    );
    assert_eq!(client.sync_status().expect("status").pending, 4);
}

#[test]
fn a_move_takes_the_concept_s_default_type_the_signed_in_technician_and_its_date() {
    let (_dir, client) = workstation();
    let out = client.record_move(&movement("taller norte", "bat-48v", Concepto::Salida, 2)).expect("a move");
    assert_eq!((out.name.as_str(), out.result["stock_actual"].as_i64()), ("movement.record", Some(8)));
    let (_, args) = queued_args(&client, &out);
    assert_eq!((&args["tipo"], &args["id_tecnico_asignado"]), (&json!("salida"), &json!(ME)), "{args}");

    let back = client
        .record_move(&MoveInput {
            technician: Some("Óscar@TALLER.test".into()),
            numero_orden: Some(41),
            ..movement("Taller Norte", "BAT-48V", Concepto::Devolucion, 1)
        })
        .expect("a return, by another technician");
    assert_eq!(back.result["stock_actual"].as_i64(), Some(9), "devolucion comes in by default");
    let (_, args) = queued_args(&client, &back);
    assert_eq!(
        (&args["tipo"], &args["id_tecnico_asignado"], &args["numero_orden"]),
        (&json!("ingreso"), &json!(OTHER), &json!(41))
    );

    let quote = client
        .record_move(&MoveInput {
            tipo: Some(TipoMovimiento::Venta),
            ..movement("Taller Norte", "BAT-48V", Concepto::Cotizacion, 4)
        })
        .expect("a quote");
    assert_eq!(quote.result.get("stock_actual"), None, "a quote moves no stock: {}", quote.result);
    assert_eq!(stock_of(&client, "Taller Norte", "BAT-48V").map(|row| row.item.stock_actual), Some(9));
    let refused = client.record_move(&MoveInput {
        tipo: Some(TipoMovimiento::Ingreso),
        ..movement("Taller Norte", "BAT-48V", Concepto::Venta, 1)
    });
    assert!(matches!(refused, Err(ClientError::Rejected(ref r)) if r.code == RejectionCode::InvalidMovement));

    let at = chrono::Utc::now() - chrono::Duration::hours(2);
    let dated = client
        .record_move(&MoveInput { at: Some(at), ..movement("Taller Norte", "BAT-48V", Concepto::Salida, 1) })
        .expect("a dated move");
    let stored: String = conn_of(&client)
        .conn
        .query_row("SELECT at FROM outbox WHERE id = ?1", [dated.id.to_string()], |row| row.get(0))
        .expect("at");
    let stored = chrono::DateTime::parse_from_rfc3339(&stored).expect("RFC 3339");
    assert_eq!(stored.timestamp_millis(), at.timestamp_millis(), "dated when it happened");

    let nobody = client.record_move(&MoveInput {
        technician: Some("nadie@taller.test".into()),
        ..movement("Taller Norte", "BAT-48V", Concepto::Salida, 1)
    });
    assert!(matches!(nobody, Err(ClientError::Invalid(ref m)) if m.contains("nadie@taller.test")), "{nobody:?}");
    let nowhere = client.record_move(&movement("Nowhere", "BAT-48V", Concepto::Salida, 1));
    assert!(matches!(nowhere, Err(ClientError::Invalid(_))), "{nowhere:?}");
    assert_eq!(client.sync_status().expect("status").pending, 4);
}
