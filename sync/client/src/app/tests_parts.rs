//! The parts catalogue on the seeded workstation of `tests.rs`, offline: listed by reference
//! or search with the stock at a location named by name, shown by reference, created,
//! edited with the replaced values read from the replica, discontinued and brought back.

use super::tests::{conn_of, workstation, L1, P1, P2, P4};
use super::*;
use crate::error::ClientError;
use serde_json::json;
use taller_domain::RejectionCode;

/// The outbox entry of a queued action: its name and arguments.
pub(super) fn queued_args(client: &Session, queued: &Queued) -> (String, Value) {
    let replica = conn_of(client);
    let (name, args): (String, String) = replica
        .conn
        .query_row("SELECT name, args FROM outbox WHERE id = ?1", [queued.id.to_string()], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .expect("the outbox entry");
    (name, serde_json::from_str(&args).expect("args"))
}

fn list(client: &Session, search: &str, location: Option<&str>, limit: u32) -> Result<Vec<PartMatch>> {
    client.parts(&PartListInput { search: search.into(), location: location.map(str::to_owned), limit })
}

fn references(parts: &[PartMatch]) -> Vec<&str> {
    parts.iter().map(|part| part.referencia.as_str()).collect()
}

fn edit(part: &str) -> PartEditInput {
    PartEditInput {
        part: part.into(),
        referencia: None,
        nombre: None,
        tipo: None,
        marca: None,
        descripcion: None,
        fecha_estimada: None,
        url_imagen: None,
    }
}

#[test]
fn parts_are_listed_by_reference_or_search_with_the_stock_at_a_named_location() {
    let (_dir, client) = workstation();
    let all = list(&client, "", None, 50).expect("every part");
    assert_eq!(references(&all), ["BAT-48V", "CTL-48V", "FRN-01", "MTR-500W"], "by reference");
    assert!(all.iter().all(|part| part.stock.is_none()), "no location named");
    assert_eq!(references(&list(&client, "  ", None, 2).expect("two")), ["BAT-48V", "CTL-48V"]);

    let xiaomi = list(&client, "xiaomi", Some("taller norte"), 50).expect("a search by brand");
    let mut found: Vec<(&str, Option<i32>)> =
        xiaomi.iter().map(|p| (p.referencia.as_str(), p.stock.as_ref().map(|s| s.stock_actual))).collect();
    found.sort();
    assert_eq!(found, [("BAT-48V", Some(10)), ("FRN-01", None)], "with the stock at Taller Norte, when it has a row");
    let bateria = list(&client, "bateria", Some(&L1.to_string()), 50).expect("accent-insensitive, location by id");
    assert_eq!(references(&bateria), ["BAT-48V"]);
    let stock = bateria[0].stock.as_ref().expect("a row at Taller Norte");
    assert_eq!(
        (stock.localizacion.as_str(), stock.stock_actual, stock.posicion.as_deref()),
        ("Taller Norte", 10, Some("A-1"))
    );

    let unknown = list(&client, "", Some("Nowhere"), 50);
    assert!(matches!(unknown, Err(ClientError::Invalid(ref m)) if m.contains("Nowhere")), "{unknown:?}");
}

#[test]
fn a_part_is_shown_by_reference_or_id() {
    let (_dir, client) = workstation();
    let bat = client.part(" bat-48v ").expect("by reference, trimmed, any case");
    assert_eq!((bat.id_repuesto, bat.referencia.as_str()), (P1, "BAT-48V"));
    assert_eq!(bat, client.part_view(P1).expect("by id"), "the same view as part_view");
    assert_eq!(
        bat.stock.iter().map(|s| (s.localizacion.as_str(), s.stock_actual)).collect::<Vec<_>>(),
        [("Bodega Central", 3), ("Taller Norte", 10)]
    );
    assert_eq!(client.part(&P4.to_string()).expect("by id").referencia, "FRN-01");
    let unknown = client.part("NOPE-1");
    assert!(matches!(unknown, Err(ClientError::Invalid(ref m)) if m.contains("NOPE-1")), "{unknown:?}");
}

#[test]
fn a_part_edit_carries_the_values_the_replica_held_when_it_was_made() {
    let (_dir, client) = workstation();
    let first = client
        .edit_part(&PartEditInput {
            nombre: Some("Motor 500 W".into()),
            marca: Some("Bafang".into()),
            fecha_estimada: chrono::NaiveDate::from_ymd_opt(2027, 1, 15),
            ..edit("mtr-500w")
        })
        .expect("an edit by reference");
    assert_eq!((first.name.as_str(), first.pending), ("part.edit", 1));
    let (_, args) = queued_args(&client, &first);
    assert_eq!(args["id_repuesto"], json!(P2));
    assert_eq!(
        args["edits"],
        json!([
            {"field": "nombre", "old": "Motor 500W", "new": "Motor 500 W"},
            {"field": "marca", "old": null, "new": "Bafang"},
            {"field": "fecha_estimada", "old": null, "new": "2027-01-15"},
        ]),
        "each field with the value it replaced, in the order of the part's fields"
    );
    let shown = client.part("MTR-500W").expect("the part");
    assert_eq!((shown.nombre.as_str(), shown.marca.as_deref()), ("Motor 500 W", Some("Bafang")));

    // The next edit replaces what the first one left, and a new reference finds the part.
    let second = client
        .edit_part(&PartEditInput {
            nombre: Some("Motor".into()),
            referencia: Some("MTR-500".into()),
            ..edit("MTR-500W")
        })
        .expect("a second edit");
    let (_, args) = queued_args(&client, &second);
    assert_eq!(
        args["edits"],
        json!([
            {"field": "referencia", "old": "MTR-500W", "new": "MTR-500"},
            {"field": "nombre", "old": "Motor 500 W", "new": "Motor"},
        ])
    );
    assert_eq!(client.part("mtr-500").expect("by its new reference").id_repuesto, P2);

    let nothing = client.edit_part(&edit("MTR-500"));
    assert!(matches!(nothing, Err(ClientError::Invalid(_))), "no field: {nothing:?}");
    let unknown = client.edit_part(&PartEditInput { nombre: Some("x".into()), ..edit("NOPE-1") });
    assert!(matches!(unknown, Err(ClientError::Invalid(ref m)) if m.contains("NOPE-1")), "{unknown:?}");
    assert_eq!(client.sync_status().expect("status").pending, 2, "the refused edits queued nothing");
}

#[test]
fn a_part_is_created_then_discontinued_and_brought_back_by_reference() {
    let (_dir, client) = workstation();
    let input = PartCreateInput {
        referencia: "PST-01".into(),
        nombre: "Pastillas de freno".into(),
        tipo: Some("Frenos".into()),
        marca: None,
        descripcion: Some("Cerámicas".into()),
        fecha_estimada: None,
        url_imagen: None,
    };
    let created = client.create_part(&input).expect("created");
    assert_eq!((created.name.as_str(), created.result["merged"].as_bool()), ("part.create", Some(false)));
    let id: Uuid = created.result["id_repuesto"].as_str().expect("id").parse().expect("uuid");
    assert_eq!(id.get_version_num(), 7, "uuid v7");
    let shown = client.part("pst-01").expect("the new part");
    assert_eq!((shown.id_repuesto, shown.descripcion.as_deref(), shown.descontinuado), (id, Some("Cerámicas"), false));
    let again = client.create_part(&PartCreateInput { referencia: "pst-01".into(), ..input }).expect("a duplicate");
    assert_eq!(again.result["merged_into"], json!(id), "the same reference names the part there is");

    let off = PartDiscontinueInput { part: "PST-01".into(), descontinuado: true };
    let refused = client.discontinue_part(&off);
    assert!(
        matches!(refused, Err(ClientError::Rejected(ref r)) if r.code == RejectionCode::Forbidden),
        "the role lacks inventory.delete: {refused:?}"
    );
    conn_of(&client)
        .conn
        .execute("UPDATE roles SET permisos = json_set(permisos, '$.inventory.delete', json('true'))", [])
        .expect("grant");
    assert_eq!(client.discontinue_part(&off).expect("discontinued").result["descontinuado"], true);
    assert!(client.part("PST-01").expect("part").descontinuado);
    client.discontinue_part(&PartDiscontinueInput { part: id.to_string(), descontinuado: false }).expect("back");
    assert!(!client.part("PST-01").expect("part").descontinuado);
    let unknown = client.discontinue_part(&PartDiscontinueInput { part: "NOPE-1".into(), descontinuado: true });
    assert!(matches!(unknown, Err(ClientError::Invalid(_))), "{unknown:?}");
}
