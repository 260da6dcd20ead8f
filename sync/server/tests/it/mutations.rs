//! Every mutation of the catalogue, against a real PostgreSQL through real HTTP: its happy path
//! and each of its rejections, asserting on the outcome (status, code, params) and on what it
//! wrote (rows, stock, ledger, request trace, notifications, conflict entries).
//! Domain rules: docs/contract.md, "How the domain resolves conflicts".

use crate::harness::*;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use taller_protocol::messages::{Outcome, OutcomeStatus};
use uuid::Uuid;

// ---------------------------------------------------------------------------------------------
// Parts catalogue
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn part_create_normalises_the_reference_and_refuses_a_reused_id() {
    let world = World::new().await;
    let pool = &world.db.pool;
    let device = Device::new();
    let id = Uuid::new_v4();
    let created = world
        .norte
        .push_one(
            &device,
            "part.create",
            json!({"id_repuesto": id, "referencia": "  mtr-nuevo-01 ", "nombre": " Motor nuevo ", "marca": "Bafang", "tipo": "",
                   "fecha_estimada": "2026-12-01"}),
        )
        .await;
    assert_applied(&created);
    assert_eq!(created.result["id_repuesto"], json!(id));
    assert_eq!(created.result["merged"], json!(false));
    let row: (String, String, Option<String>, Option<String>, bool, Option<chrono::NaiveDate>) = sqlx::query_as(
        "SELECT referencia, nombre, marca, tipo, descontinuado, fecha_estimada FROM repuestos WHERE id_repuesto = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .expect("the new part");
    assert_eq!(
        row,
        (
            "MTR-NUEVO-01".into(),
            "Motor nuevo".into(),
            Some("Bafang".into()),
            None,
            false,
            chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
        )
    );

    let cases = [
        ("reused id", json!({"id_repuesto": id, "referencia": "OTRA-REF-1", "nombre": "Otro"}), "already_exists"),
        (
            "blank reference",
            json!({"id_repuesto": Uuid::new_v4(), "referencia": "   ", "nombre": "Sin referencia"}),
            "invalid_arguments",
        ),
        (
            "blank name",
            json!({"id_repuesto": Uuid::new_v4(), "referencia": "REF-SIN-NOMBRE", "nombre": " "}),
            "invalid_arguments",
        ),
        (
            "unknown argument",
            json!({"id_repuesto": Uuid::new_v4(), "referencia": "REF-X", "nombre": "X", "precio": 3}),
            "invalid_arguments",
        ),
        (
            "reference too long",
            json!({"id_repuesto": Uuid::new_v4(), "referencia": "R".repeat(101), "nombre": "X"}),
            "too_long",
        ),
    ];
    for (case, args, code) in cases {
        let outcome = world.norte.push_one(&device, "part.create", args).await;
        assert_rejected(&outcome, code);
        if code == "already_exists" {
            assert_eq!(params(&outcome)["id"], json!(id), "{case}");
        }
    }
    assert_eq!(
        scalar(&world, "SELECT count(*) FROM repuestos WHERE id_repuesto <> $1", Uuid::nil()).await,
        31,
        "only one part created"
    );
    let referencia: String = sqlx::query_scalar("SELECT referencia FROM repuestos WHERE id_repuesto = $1")
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("part");
    assert_eq!(referencia, "MTR-NUEVO-01", "the reused id did not overwrite the part");
}

#[tokio::test]
async fn a_duplicate_reference_created_offline_merges_and_later_mutations_act_on_the_survivor() {
    let world = World::new().await;
    let pool = &world.db.pool;
    let (loc, survivor) = (world.locs[1], world.parts[4]);
    let referencia: String = sqlx::query_scalar("SELECT referencia FROM repuestos WHERE id_repuesto = $1")
        .bind(survivor)
        .fetch_one(pool)
        .await
        .expect("ref");
    let stock_before = world.stock(loc, survivor).await;
    let tech = world.norte.user_id();
    let offline_id = Uuid::new_v4();
    let cart_item = Uuid::new_v4();
    let movement = movement_args(loc, offline_id, tech, "ingreso", "ingreso", 4);
    // Created offline, then used offline: one batch, in the device's order.
    let device = Device::new();
    let batch = vec![
        device.envelope("part.create", json!({"id_repuesto": offline_id, "referencia": format!(" {} ", referencia.to_lowercase()), "nombre": "Mismo repuesto, otro nombre"})),
        device.envelope("movement.record", movement.clone()),
        device.envelope("cart.add", json!({"id_item_carrito": cart_item, "id_localizacion": loc, "id_repuesto": offline_id, "cantidad": 2})),
    ];
    let response = world.norte.push(device.id, &batch).await;
    let created = &response.outcomes[0];
    assert_applied(created);
    assert_eq!(created.result["id_repuesto"], json!(survivor), "the outcome names the surviving part");
    assert_eq!(created.result["merged"], json!(true));
    assert_eq!(created.result["merged_from"], json!(offline_id));
    assert_eq!(created.result["conflicts"][0]["tipo"], json!("fusion_referencia"));
    assert_applied(&response.outcomes[1]);
    assert_applied(&response.outcomes[2]);
    assert_eq!(
        scalar(&world, "SELECT count(*) FROM repuestos WHERE id_repuesto = $1", offline_id).await,
        0,
        "no second part"
    );
    assert_eq!(scalar(&world, "SELECT count(*) FROM repuestos WHERE id_repuesto <> $1", Uuid::nil()).await, 30);

    let merges = conflicts(&world, "fusion_referencia").await;
    assert_eq!(merges.len(), 1, "{merges:?}");
    let merge = &merges[0];
    assert_eq!(
        (merge.id_usuario, merge.tabla.as_str(), merge.clave.clone()),
        (tech, "repuestos", survivor.to_string())
    );
    assert_eq!(merge.campo.as_deref(), Some("referencia"));
    assert_eq!(merge.servidor, Some(json!(referencia)));
    assert_eq!(
        merge.detalles.as_ref().map(|d| (d["id_creado"].clone(), d["id_superviviente"].clone())),
        Some((json!(offline_id), json!(survivor)))
    );
    assert_eq!(merge.id_mutacion, Some(created.id));

    // The movement and the cart line that named the new id act on the survivor.
    let moved: Uuid =
        sqlx::query_scalar("SELECT id_repuesto FROM movimientos_tecnicos WHERE id_movimientos_tecnicos = $1")
            .bind(Uuid::parse_str(movement["id_movimientos_tecnicos"].as_str().expect("id")).expect("uuid"))
            .fetch_one(pool)
            .await
            .expect("movement");
    assert_eq!(moved, survivor);
    assert_eq!(world.stock(loc, survivor).await, stock_before + 4);
    let rows = ledger(&world, loc, survivor).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0].tipo.as_str(), rows[0].anterior, rows[0].nueva, rows[0].diferencia),
        ("MOVIMIENTO_TECNICO", stock_before, stock_before + 4, 4)
    );
    let carted: Uuid = sqlx::query_scalar("SELECT id_repuesto FROM carrito_solicitudes WHERE id_item_carrito = $1")
        .bind(cart_item)
        .fetch_one(pool)
        .await
        .expect("cart line");
    assert_eq!(carted, survivor);

    // Later mutations, from other users, with the offline id.
    let (minimo, nombre): (i32, String) = sqlx::query_as(
        "SELECT i.cantidad_minima, r.nombre FROM inventario i JOIN repuestos r USING (id_repuesto) WHERE i.id_localizacion = $1 AND i.id_repuesto = $2",
    )
    .bind(loc)
    .bind(survivor)
    .fetch_one(pool)
    .await
    .expect("item");
    let admin_device = Device::new();
    let settings = world
        .admin
        .push_one(
            &admin_device,
            "inventory.settings",
            json!({"id_localizacion": loc, "id_repuesto": offline_id,
            "edits": [{"field": "cantidad_minima", "old": minimo, "new": minimo + 10}]}),
        )
        .await;
    assert_applied(&settings);
    assert_eq!(settings.result["id_inventario"], json!(item_id(&world, loc, survivor).await));
    let edit = world
        .admin
        .push_one(&admin_device, "part.edit", json!({"id_repuesto": offline_id, "edits": [{"field": "nombre", "old": nombre, "new": "Nombre fusionado"}]}))
        .await;
    assert_applied(&edit);
    let (minimo_after, nombre_after): (i32, String) = sqlx::query_as(
        "SELECT i.cantidad_minima, r.nombre FROM inventario i JOIN repuestos r USING (id_repuesto) WHERE i.id_localizacion = $1 AND i.id_repuesto = $2",
    )
    .bind(loc)
    .bind(survivor)
    .fetch_one(pool)
    .await
    .expect("item");
    assert_eq!((minimo_after, nombre_after.as_str()), (minimo + 10, "Nombre fusionado"));
    assert_eq!(scalar(&world, "SELECT count(*) FROM inventario WHERE id_repuesto = $1", offline_id).await, 0);

    // The merged id is taken: creating another part with it is refused, not a hidden part.
    let reused = world
        .norte
        .push_one(
            &Device::new(),
            "part.create",
            json!({"id_repuesto": offline_id, "referencia": "REF-TOTALMENTE-NUEVA", "nombre": "Otro"}),
        )
        .await;
    assert_rejected(&reused, "already_exists");
    assert_eq!(scalar(&world, "SELECT count(*) FROM repuestos WHERE id_repuesto = $1", offline_id).await, 0);
    world.assert_ledger_consistent().await;
}

#[tokio::test]
async fn part_edit_with_a_stale_old_value_applies_and_both_authors_get_a_conflict() {
    let world = World::new().await;
    let part = world.parts[0];
    let original = part_text(&world, part, "nombre").await;
    let first = world
        .admin
        .push_one(
            &Device::new(),
            "part.edit",
            json!({"id_repuesto": part, "edits": [{"field": "nombre", "old": original, "new": "Motor revisado"}]}),
        )
        .await;
    assert_applied(&first);
    assert_eq!(first.result["id_repuesto"], json!(part));
    assert!(first.result.get("conflicts").is_none(), "the admin replaced the current value: {first:?}");
    assert_eq!(part_text(&world, part, "nombre").await, "Motor revisado");
    assert!(conflicts(&world, "edicion_campo").await.is_empty());

    // Bodega edited offline from the original value.
    let second = world
        .bodega
        .push_one(
            &Device::new(),
            "part.edit",
            json!({"id_repuesto": part, "edits": [{"field": "nombre", "old": original, "new": "Motor de 500W"}]}),
        )
        .await;
    assert_applied(&second);
    assert_eq!(second.result["conflicts"].as_array().map(Vec::len), Some(1), "{second:?}");
    assert_eq!(part_text(&world, part, "nombre").await, "Motor de 500W", "server order decides");

    let entries = conflicts(&world, "edicion_campo").await;
    assert_eq!(entries.len(), 2, "one entry per author: {entries:?}");
    let (admin, bodega) = (world.admin.user_id(), world.bodega.user_id());
    for (user, other) in [(bodega, admin), (admin, bodega)] {
        let entry =
            entries.iter().find(|c| c.id_usuario == user).unwrap_or_else(|| panic!("an entry for {user}: {entries:?}"));
        assert_eq!(entry.otro_usuario, Some(other));
        assert_eq!(
            (entry.tabla.as_str(), entry.clave.clone(), entry.campo.as_deref()),
            ("repuestos", part.to_string(), Some("nombre"))
        );
        assert_eq!(entry.reemplazado, Some(json!(original)), "the value the author replaced");
        assert_eq!(entry.servidor, Some(json!("Motor revisado")), "the other author's value");
        assert_eq!(entry.nuevo, Some(json!("Motor de 500W")));
        assert_eq!(entry.id_mutacion, Some(second.id));
    }
}

#[tokio::test]
async fn part_edits_to_different_fields_both_apply_without_conflict() {
    let world = World::new().await;
    let part = world.parts[1];
    let marca = part_text(&world, part, "marca").await;
    let descripcion = part_text(&world, part, "descripcion").await;
    let a = world
        .admin
        .push_one(
            &Device::new(),
            "part.edit",
            json!({"id_repuesto": part, "edits": [{"field": "marca", "old": marca, "new": "Segway"}]}),
        )
        .await;
    let b = world
        .bodega
        .push_one(&Device::new(), "part.edit", json!({"id_repuesto": part, "edits": [{"field": "descripcion", "old": descripcion, "new": "Motor sin escobillas"}]}))
        .await;
    assert_applied(&a);
    assert_applied(&b);
    // Setting the value that is already there is no conflict, whatever the author saw.
    let c = world
        .admin
        .push_one(&Device::new(), "part.edit", json!({"id_repuesto": part, "edits": [{"field": "descripcion", "old": descripcion, "new": "Motor sin escobillas"}]}))
        .await;
    assert_applied(&c);
    assert_eq!(part_text(&world, part, "marca").await, "Segway");
    assert_eq!(part_text(&world, part, "descripcion").await, "Motor sin escobillas");
    assert!(
        conflicts(&world, "edicion_campo").await.is_empty(),
        "different fields, or the same value, do not conflict"
    );
    for outcome in [&a, &b, &c] {
        assert!(outcome.result.get("conflicts").is_none(), "{outcome:?}");
    }
}

#[tokio::test]
async fn part_edit_rejections_change_nothing() {
    let world = World::new().await;
    let pool = &world.db.pool;
    let (part, other) = (world.parts[0], world.parts[1]);
    let device = Device::new();
    let taken = part_text(&world, other, "referencia").await;
    let referencia = part_text(&world, part, "referencia").await;
    let nombre = part_text(&world, part, "nombre").await;

    // Editing the reference: normalised like creation.
    let renamed = world
        .admin
        .push_one(&device, "part.edit", json!({"id_repuesto": part, "edits": [{"field": "referencia", "old": referencia, "new": " mtr-renombrado "}]}))
        .await;
    assert_applied(&renamed);
    assert_eq!(part_text(&world, part, "referencia").await, "MTR-RENOMBRADO");

    let edit = |field: &str, old: Value, new: Value| json!({"id_repuesto": part, "edits": [{"field": field, "old": old, "new": new}]});
    let cases: Vec<(&str, &Api, Value, &str)> = vec![
        (
            "reference of another part",
            &world.admin,
            edit("referencia", json!("MTR-RENOMBRADO"), json!(taken.to_lowercase())),
            "duplicate_reference",
        ),
        ("not editable column", &world.admin, edit("descontinuado", json!(false), json!(true)), "unknown_field"),
        ("not a column", &world.admin, edit("stock_actual", json!(1), json!(2)), "unknown_field"),
        ("key", &world.admin, edit("id_repuesto", json!(part), json!(Uuid::new_v4())), "unknown_field"),
        (
            "one bad field refuses the whole edit",
            &world.admin,
            json!({"id_repuesto": part, "edits": [{"field": "nombre", "old": nombre, "new": "No debe quedar"}, {"field": "precio", "old": null, "new": 3}]}),
            "unknown_field",
        ),
        ("wrong type", &world.admin, edit("nombre", json!(nombre), json!(5)), "invalid_arguments"),
        ("empty required", &world.admin, edit("nombre", json!(nombre), json!("  ")), "invalid_arguments"),
        ("bad date", &world.admin, edit("fecha_estimada", Value::Null, json!("mañana")), "invalid_arguments"),
        (
            "no such part",
            &world.admin,
            json!({"id_repuesto": Uuid::new_v4(), "edits": [{"field": "nombre", "old": "a", "new": "b"}]}),
            "not_found",
        ),
        ("tecnico lacks inventory.edit", &world.norte, edit("nombre", json!(nombre), json!("Técnico")), "forbidden"),
    ];
    for (case, api, args, code) in cases {
        let outcome = api.push_one(&Device::new(), "part.edit", args).await;
        assert_rejected(&outcome, code);
        match code {
            "duplicate_reference" => assert_eq!(params(&outcome)["referencia"], json!(taken), "{case}"),
            "forbidden" => assert_eq!(params(&outcome)["permission"], json!("inventory.edit"), "{case}"),
            "unknown_field" => assert!(params(&outcome)["field"].is_string(), "{case}: {outcome:?}"),
            _ => {}
        }
    }
    let row: (String, String, bool, Option<chrono::NaiveDate>) = sqlx::query_as(
        "SELECT referencia, nombre, descontinuado, fecha_estimada FROM repuestos WHERE id_repuesto = $1",
    )
    .bind(part)
    .fetch_one(pool)
    .await
    .expect("part");
    assert_eq!(row, ("MTR-RENOMBRADO".to_owned(), nombre, false, None), "no rejected edit left a trace");
    assert_eq!(part_text(&world, other, "referencia").await, taken);
    assert!(conflicts(&world, "edicion_campo").await.is_empty());
}

#[tokio::test]
async fn part_discontinue_needs_inventory_delete_and_is_reversible() {
    let world = World::new().await;
    let part = world.parts[2];
    let pool = &world.db.pool;
    let discontinued = move || async move {
        sqlx::query_scalar::<_, bool>("SELECT descontinuado FROM repuestos WHERE id_repuesto = $1")
            .bind(part)
            .fetch_one(pool)
            .await
            .expect("part")
    };
    let refused = world.norte.push_one(&Device::new(), "part.discontinue", json!({"id_repuesto": part})).await;
    assert_rejected(&refused, "forbidden");
    assert_eq!(params(&refused)["permission"], json!("inventory.delete"));
    assert!(!discontinued().await);

    let device = Device::new();
    let done = world.bodega.push_one(&device, "part.discontinue", json!({"id_repuesto": part})).await;
    assert_applied(&done);
    assert_eq!(done.result["descontinuado"], json!(true));
    assert!(discontinued().await, "the default is to discontinue");
    assert_applied(
        &world.bodega.push_one(&device, "part.discontinue", json!({"id_repuesto": part, "descontinuado": true})).await,
    );
    assert!(discontinued().await);
    // The row stays (soft delete): stock can still be read and moved.
    assert_eq!(scalar(&world, "SELECT count(*) FROM inventario WHERE id_repuesto = $1", part).await, 3);
    let back =
        world.bodega.push_one(&device, "part.discontinue", json!({"id_repuesto": part, "descontinuado": false})).await;
    assert_applied(&back);
    assert!(!discontinued().await);
    assert_rejected(
        &world.bodega.push_one(&device, "part.discontinue", json!({"id_repuesto": Uuid::new_v4()})).await,
        "not_found",
    );
}

// ---------------------------------------------------------------------------------------------
// Inventory settings and manual adjustments
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn inventory_settings_edit_minimum_position_and_novelty_with_conflicts_and_rejections() {
    let world = World::new().await;
    let pool = &world.db.pool;
    let (loc, part) = (world.locs[0], world.parts[2]);
    let settings_of = move || async move {
        sqlx::query_as::<_, (i32, Option<String>, Option<DateTime<Utc>>, i32)>(
            "SELECT cantidad_minima, posicion, nuevo_hasta, stock_actual FROM inventario WHERE id_localizacion = $1 AND id_repuesto = $2",
        )
        .bind(loc)
        .bind(part)
        .fetch_one(pool)
        .await
        .expect("item")
    };
    let (minimo, posicion, _, stock) = settings_of().await;
    let hasta = "2030-12-31T00:00:00Z";
    let applied = world
        .bodega
        .push_one(
            &Device::new(),
            "inventory.settings",
            json!({"id_localizacion": loc, "id_repuesto": part, "edits": [
            {"field": "cantidad_minima", "old": minimo, "new": 12},
            {"field": "posicion", "old": posicion, "new": " A1-N1 "},
            {"field": "nuevo_hasta", "old": null, "new": hasta}]}),
        )
        .await;
    assert_applied(&applied);
    assert_eq!(applied.result["id_inventario"], json!(item_id(&world, loc, part).await));
    assert!(applied.result.get("conflicts").is_none(), "{applied:?}");
    let hasta_time = DateTime::parse_from_rfc3339(hasta).expect("time").with_timezone(&Utc);
    assert_eq!(settings_of().await, (12, Some("A1-N1".to_owned()), Some(hasta_time), stock), "settings move no stock");
    assert!(ledger(&world, loc, part).await.is_empty(), "settings write no ledger rows");

    // The admin still saw the old minimum: applies, and both authors get an entry.
    let stale = world
        .admin
        .push_one(
            &Device::new(),
            "inventory.settings",
            json!({"id_localizacion": loc, "id_repuesto": part, "edits": [
            {"field": "cantidad_minima", "old": minimo, "new": 15}]}),
        )
        .await;
    assert_applied(&stale);
    assert_eq!(settings_of().await.0, 15);
    let entries = conflicts(&world, "edicion_campo").await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    let item = item_id(&world, loc, part).await.to_string();
    for (user, other) in
        [(world.admin.user_id(), world.bodega.user_id()), (world.bodega.user_id(), world.admin.user_id())]
    {
        let entry = entries.iter().find(|c| c.id_usuario == user).expect("an entry per author");
        assert_eq!(
            (entry.tabla.as_str(), entry.clave.as_str(), entry.campo.as_deref()),
            ("inventario", item.as_str(), Some("cantidad_minima"))
        );
        assert_eq!(
            (entry.reemplazado.clone(), entry.servidor.clone(), entry.nuevo.clone()),
            (Some(json!(minimo)), Some(json!(12)), Some(json!(15)))
        );
        assert_eq!(entry.otro_usuario, Some(other));
    }

    let edit = |field: &str, new: Value| json!({"id_localizacion": loc, "id_repuesto": part, "edits": [{"field": field, "old": null, "new": new}]});
    let cases: Vec<(&str, &Api, Value, &str)> = vec![
        ("negative minimum", &world.bodega, edit("cantidad_minima", json!(-1)), "invalid_quantity"),
        ("absurd minimum", &world.bodega, edit("cantidad_minima", json!(100_001)), "invalid_quantity"),
        ("minimum as text", &world.bodega, edit("cantidad_minima", json!("7")), "invalid_arguments"),
        ("stock is not a setting", &world.bodega, edit("stock_actual", json!(100)), "unknown_field"),
        ("nor is veces_contado", &world.bodega, edit("veces_contado", json!(3)), "unknown_field"),
        (
            "tecnico lacks inventory.edit",
            &world.norte,
            json!({"id_localizacion": world.locs[1], "id_repuesto": part, "edits": [{"field": "posicion", "old": null, "new": "X"}]}),
            "forbidden",
        ),
        (
            "another location",
            &world.bodega,
            json!({"id_localizacion": world.locs[1], "id_repuesto": part, "edits": [{"field": "posicion", "old": null, "new": "X"}]}),
            "location_out_of_scope",
        ),
        (
            "no such part",
            &world.bodega,
            json!({"id_localizacion": loc, "id_repuesto": Uuid::new_v4(), "edits": [{"field": "posicion", "old": null, "new": "X"}]}),
            "not_found",
        ),
        (
            "no such location",
            &world.admin,
            json!({"id_localizacion": Uuid::new_v4(), "id_repuesto": part, "edits": [{"field": "posicion", "old": null, "new": "X"}]}),
            "not_found",
        ),
    ];
    for (case, api, args, code) in cases {
        let outcome = api.push_one(&Device::new(), "inventory.settings", args).await;
        assert_rejected(&outcome, code);
        if code == "invalid_quantity" {
            assert!(params(&outcome)["cantidad"].is_number(), "{case}: {outcome:?}");
        }
    }
    assert_eq!(
        settings_of().await,
        (15, Some("A1-N1".to_owned()), Some(hasta_time), stock),
        "no rejected setting left a trace"
    );
    assert_eq!(
        scalar(&world, "SELECT count(*) FROM inventario WHERE id_localizacion <> $1", Uuid::nil()).await,
        90,
        "no item created"
    );
}

#[tokio::test]
async fn inventory_adjust_writes_a_manual_ledger_row_and_refuses_bad_adjustments() {
    let world = World::new().await;
    let (loc, part) = (world.locs[0], world.parts[3]);
    let stock = world.stock(loc, part).await;
    let device = Device::new();
    let at = now_ms() - Duration::minutes(3);
    let down = push_at(
        &world.bodega,
        &device,
        "inventory.adjust",
        json!({"id_localizacion": loc, "id_repuesto": part, "delta": -3, "motivo": " rotura en bodega "}),
        at,
    )
    .await;
    assert_applied(&down);
    assert_eq!(down.result["stock_actual"], json!(stock - 3));
    assert_eq!(down.result["absorbido"], json!(false));
    let up = world
        .bodega
        .push_one(
            &device,
            "inventory.adjust",
            json!({"id_localizacion": loc, "id_repuesto": part, "delta": 5, "motivo": "hallazgo"}),
        )
        .await;
    assert_applied(&up);
    assert_eq!(world.stock(loc, part).await, stock + 2);
    let rows = ledger(&world, loc, part).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    let first = &rows[0];
    assert_eq!(
        (first.tipo.as_str(), first.anterior, first.nueva, first.diferencia),
        ("AJUSTE_MANUAL", stock, stock - 3, -3)
    );
    assert_eq!(first.motivo.as_deref(), Some("rotura en bodega"), "trimmed");
    assert_eq!((first.id_usuario, first.fecha), (world.bodega.user_id(), at), "author and the person's time");
    assert_eq!(first.detalles["id_mutacion"], json!(down.id));
    assert_eq!(
        (rows[1].tipo.as_str(), rows[1].anterior, rows[1].nueva, rows[1].diferencia),
        ("AJUSTE_MANUAL", stock - 3, stock + 2, 5)
    );

    let adjust = |delta: i32, motivo: &str| json!({"id_localizacion": loc, "id_repuesto": part, "delta": delta, "motivo": motivo});
    let cases: Vec<(&str, &Api, Value, &str)> = vec![
        ("empty reason", &world.bodega, adjust(-1, ""), "reason_required"),
        ("blank reason", &world.bodega, adjust(-1, "   "), "reason_required"),
        ("zero delta", &world.bodega, adjust(0, "nada"), "invalid_quantity"),
        ("absurd delta", &world.bodega, adjust(100_001, "camión"), "invalid_quantity"),
        ("absurd negative delta", &world.bodega, adjust(-100_001, "camión"), "invalid_quantity"),
        (
            "tecnico lacks inventory.edit",
            &world.norte,
            json!({"id_localizacion": world.locs[1], "id_repuesto": part, "delta": 1, "motivo": "x"}),
            "forbidden",
        ),
        (
            "another location",
            &world.bodega,
            json!({"id_localizacion": world.locs[1], "id_repuesto": part, "delta": 1, "motivo": "x"}),
            "location_out_of_scope",
        ),
        (
            "no such part",
            &world.bodega,
            json!({"id_localizacion": loc, "id_repuesto": Uuid::new_v4(), "delta": 1, "motivo": "x"}),
            "not_found",
        ),
    ];
    for (_case, api, args, code) in cases {
        assert_rejected(&api.push_one(&Device::new(), "inventory.adjust", args).await, code);
    }
    assert_eq!(world.stock(loc, part).await, stock + 2);
    assert_eq!(ledger(&world, loc, part).await.len(), 2, "rejections write no ledger rows");
    assert_eq!(world.stock(world.locs[1], part).await, {
        // Norte's stock of the part is untouched too.
        sqlx::query_scalar::<_, i32>(
            "SELECT stock_actual FROM inventario WHERE id_localizacion = $1 AND id_repuesto = $2",
        )
        .bind(world.locs[1])
        .bind(part)
        .fetch_one(&world.db.pool)
        .await
        .expect("stock")
    });
    assert!(ledger(&world, world.locs[1], part).await.is_empty());
    world.assert_ledger_consistent().await;
}

// ---------------------------------------------------------------------------------------------
// Technician movements and negative stock
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn movement_record_for_every_concepto_and_tipo() {
    let world = World::new().await;
    let pool = &world.db.pool;
    let (loc, part) = (world.locs[1], world.parts[5]);
    world.set_stock(loc, part, 50).await;
    let externos = ledger(&world, loc, part).await.len();
    let tech = world.norte.user_id();
    let device = Device::new();
    // (concepto, tipo, cantidad, delta on stock, descargada)
    let cases = [
        ("salida", "salida", 3, -3, true),
        ("ingreso", "ingreso", 2, 2, true),
        ("venta", "venta", 1, -1, true),
        ("garantia", "salida", 1, -1, true),
        ("prestamo", "salida", 4, -4, true),
        ("devolucion", "ingreso", 4, 4, true),
        ("cotizacion", "salida", 2, 0, false),
        ("cotizacion", "venta", 2, 0, false),
    ];
    let mut stock = 50;
    let mut movement_rows = 0;
    for (i, (concepto, tipo, cantidad, delta, descargada)) in cases.into_iter().enumerate() {
        let mut args =
            movement_args(loc, part, if i % 2 == 0 { tech } else { world.admin.user_id() }, concepto, tipo, cantidad);
        args["numero_orden"] = json!(1000 + i);
        let id = Uuid::parse_str(args["id_movimientos_tecnicos"].as_str().expect("id")).expect("uuid");
        let at = now_ms() - Duration::minutes(20 - i as i64);
        let outcome = push_at(&world.norte, &device, "movement.record", args.clone(), at).await;
        assert_applied(&outcome);
        assert_eq!(outcome.result["id_movimientos_tecnicos"], json!(id));
        let row: (String, String, i32, bool, Uuid, Uuid, Option<i32>, DateTime<Utc>, Uuid) = sqlx::query_as(
            "SELECT concepto, tipo, cantidad, descargada, id_usuario_responsable, id_tecnico_asignado, numero_orden, fecha, id_repuesto \
               FROM movimientos_tecnicos WHERE id_movimientos_tecnicos = $1",
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .expect("movement row");
        let assigned = Uuid::parse_str(args["id_tecnico_asignado"].as_str().expect("tech")).expect("uuid");
        assert_eq!(
            row,
            (
                concepto.to_owned(),
                tipo.to_owned(),
                cantidad,
                descargada,
                tech,
                assigned,
                Some(1000 + i as i32),
                at,
                part
            ),
            "{concepto}/{tipo}"
        );
        stock += delta;
        assert_eq!(world.stock(loc, part).await, stock, "{concepto}/{tipo}");
        let rows = ledger(&world, loc, part).await;
        let movements: Vec<&LedgerRow> = rows.iter().filter(|r| r.tipo == "MOVIMIENTO_TECNICO").collect();
        if delta == 0 {
            assert_eq!(movements.len(), movement_rows, "{concepto}/{tipo} writes no ledger row");
            assert!(outcome.result.get("stock_actual").is_none(), "{outcome:?}");
        } else {
            movement_rows += 1;
            assert_eq!(movements.len(), movement_rows, "{concepto}/{tipo}");
            let last = movements[movement_rows - 1];
            assert_eq!(
                (last.anterior, last.nueva, last.diferencia),
                (stock - delta, stock, delta),
                "{concepto}/{tipo}"
            );
            assert_eq!((last.id_usuario, last.fecha), (tech, at));
            assert_eq!(last.detalles["id_movimientos_tecnicos"], json!(id));
            assert_eq!(last.detalles["concepto"], json!(concepto));
            assert_eq!(outcome.result["stock_actual"], json!(stock));
        }
    }
    assert_eq!(stock, 47);
    assert_eq!(ledger(&world, loc, part).await.len(), externos + 6);
    assert_eq!(scalar(&world, "SELECT count(*) FROM movimientos_tecnicos WHERE id_repuesto = $1", part).await, 8);
    assert!(conflicts(&world, "stock_negativo").await.is_empty());
    world.assert_ledger_consistent().await;
}

#[tokio::test]
async fn movement_record_rejections_write_nothing() {
    let world = World::new().await;
    let (loc, part) = (world.locs[1], world.parts[6]);
    let stock = world.stock(loc, part).await;
    let tech = world.norte.user_id();
    let device = Device::new();
    let applied = movement_args(loc, part, tech, "ingreso", "ingreso", 1);
    assert_applied(&world.norte.push_one(&device, "movement.record", applied.clone()).await);
    let mut cases: Vec<(String, Value, &str)> = Vec::new();
    for (concepto, tipo) in [
        ("salida", "ingreso"),
        ("salida", "venta"),
        ("ingreso", "salida"),
        ("venta", "salida"),
        ("venta", "ingreso"),
        ("garantia", "ingreso"),
        ("prestamo", "venta"),
        ("devolucion", "venta"),
        ("cotizacion", "ingreso"),
    ] {
        cases.push((
            format!("{concepto}/{tipo}"),
            movement_args(loc, part, tech, concepto, tipo, 1),
            "invalid_movement",
        ));
    }
    for cantidad in [0, -1, -5, 100_001, i32::MAX] {
        cases.push((
            format!("cantidad {cantidad}"),
            movement_args(loc, part, tech, "salida", "salida", cantidad),
            "invalid_quantity",
        ));
    }
    cases.push((
        "another location".into(),
        movement_args(world.locs[2], part, tech, "salida", "salida", 1),
        "location_out_of_scope",
    ));
    cases.push(("no such part".into(), movement_args(loc, Uuid::new_v4(), tech, "salida", "salida", 1), "not_found"));
    cases.push((
        "no such technician".into(),
        movement_args(loc, part, Uuid::new_v4(), "salida", "salida", 1),
        "not_found",
    ));
    cases.push(("unknown concepto".into(), movement_args(loc, part, tech, "robo", "salida", 1), "invalid_arguments"));
    cases.push(("reused id".into(), applied.clone(), "already_exists"));
    let mut negative_order = movement_args(loc, part, tech, "salida", "salida", 1);
    negative_order["numero_orden"] = json!(-4);
    cases.push(("negative work order".into(), negative_order, "invalid_arguments"));
    for (case, args, code) in cases {
        let outcome = world.norte.push_one(&device, "movement.record", args.clone()).await;
        assert_rejected(&outcome, code);
        match code {
            "invalid_movement" => {
                assert_eq!(
                    (&params(&outcome)["concepto"], &params(&outcome)["tipo"]),
                    (&args["concepto"], &args["tipo"]),
                    "{case}"
                )
            }
            "invalid_quantity" => assert_eq!(params(&outcome)["cantidad"], args["cantidad"], "{case}"),
            "location_out_of_scope" => assert_eq!(params(&outcome)["id_localizacion"], json!(world.locs[2]), "{case}"),
            _ => {}
        }
    }
    assert_eq!(world.stock(loc, part).await, stock + 1, "only the first movement moved stock");
    assert_eq!(
        scalar(&world, "SELECT count(*) FROM movimientos_tecnicos WHERE id_usuario_responsable = $1", tech).await,
        1
    );
    assert_eq!(ledger(&world, loc, part).await.len(), 1);
    assert!(ledger(&world, world.locs[2], part).await.is_empty());
    // The boundary quantity is accepted.
    let big = world
        .norte
        .push_one(&device, "movement.record", movement_args(loc, part, tech, "ingreso", "ingreso", 100_000))
        .await;
    assert_applied(&big);
    assert_eq!(world.stock(loc, part).await, stock + 100_001);
}

#[tokio::test]
async fn negative_stock_is_accepted_by_default_with_a_notification_and_a_conflict() {
    let world = World::new().await;
    let (loc, part) = (world.locs[1], world.parts[7]);
    world.set_stock(loc, part, 1).await;
    let tech = world.norte.user_id();
    let outcome = world
        .norte
        .push_one(&Device::new(), "movement.record", movement_args(loc, part, tech, "salida", "salida", 3))
        .await;
    assert_applied(&outcome);
    assert_eq!(outcome.result["stock_actual"], json!(-2));
    assert_eq!(outcome.result["conflicts"][0]["tipo"], json!("stock_negativo"));
    assert_eq!(world.stock(loc, part).await, -2);
    let last = ledger(&world, loc, part).await.pop().expect("a ledger row");
    assert_eq!((last.tipo.as_str(), last.anterior, last.nueva, last.diferencia), ("MOVIMIENTO_TECNICO", 1, -2, -3));

    let notes = notifications(&world, "stock_negativo").await;
    assert_eq!(notes.len(), 1, "only the author is notified: {notes:?}");
    let note = &notes[0];
    assert_eq!(
        (note.id_usuario, note.id_localizacion, note.prioridad.as_str(), note.leida),
        (tech, Some(loc), "alta", false)
    );
    assert_eq!(note.titulo, "Stock negativo");
    let referencia = part_text(&world, part, "referencia").await;
    assert!(note.mensaje.contains(&referencia) && note.mensaje.contains("-2"), "{}", note.mensaje);
    let item = item_id(&world, loc, part).await;
    assert_eq!(
        note.datos.as_ref().map(|d| (d["id_inventario"].clone(), d["stock_actual"].clone())),
        Some((json!(item), json!(-2)))
    );

    let entries = conflicts(&world, "stock_negativo").await;
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    assert_eq!((entry.id_usuario, entry.tabla.as_str(), entry.clave.clone()), (tech, "inventario", item.to_string()));
    assert_eq!(
        (entry.reemplazado.clone(), entry.servidor.clone(), entry.nuevo.clone()),
        (Some(json!(1)), Some(json!(-2)), Some(json!(-3)))
    );
    assert_eq!(entry.id_mutacion, Some(outcome.id));

    // Coming back above zero raises nothing new.
    assert_applied(
        &world
            .norte
            .push_one(&Device::new(), "movement.record", movement_args(loc, part, tech, "devolucion", "ingreso", 5))
            .await,
    );
    assert_eq!(world.stock(loc, part).await, 3);
    assert_eq!(notifications(&world, "stock_negativo").await.len(), 1);
    assert_eq!(conflicts(&world, "stock_negativo").await.len(), 1);
    world.assert_ledger_consistent().await;
}

#[tokio::test]
async fn negative_stock_is_refused_under_the_reject_policy() {
    let world = World::new().await;
    let pool = &world.db.pool;
    let (norte_loc, bodega_loc) = (world.locs[1], world.locs[0]);
    let part = world.parts[8];
    world.set_stock(norte_loc, part, 2).await;
    let tech = world.norte.user_id();
    let admin_device = Device::new();
    let policy = |loc: Uuid, value: &str| json!({"id_localizacion": loc, "stock_negativo": value});

    // Only users.manage sets the policy.
    for api in [&world.bodega, &world.norte] {
        let refused = api.push_one(&Device::new(), "location.policy", policy(norte_loc, "reject")).await;
        assert_rejected(&refused, "forbidden");
        assert_eq!(params(&refused)["permission"], json!("users.manage"));
    }
    assert_rejected(
        &world.admin.push_one(&admin_device, "location.policy", policy(Uuid::new_v4(), "reject")).await,
        "not_found",
    );
    assert_rejected(
        &world.admin.push_one(&admin_device, "location.policy", policy(norte_loc, "maybe")).await,
        "invalid_arguments",
    );
    assert_eq!(
        scalar(&world, "SELECT count(*) FROM localizacion_politicas WHERE id_localizacion <> $1", Uuid::nil()).await,
        0
    );
    let set = world.admin.push_one(&admin_device, "location.policy", policy(norte_loc, "reject")).await;
    assert_applied(&set);
    assert_eq!(set.result["stock_negativo"], json!("reject"));
    let stored: String =
        sqlx::query_scalar("SELECT stock_negativo FROM localizacion_politicas WHERE id_localizacion = $1")
            .bind(norte_loc)
            .fetch_one(pool)
            .await
            .expect("policy row");
    assert_eq!(stored, "reject");

    let ledger_before = ledger(&world, norte_loc, part).await.len();
    let device = Device::new();
    let refused = world
        .norte
        .push_one(&device, "movement.record", movement_args(norte_loc, part, tech, "salida", "salida", 3))
        .await;
    assert_rejected(&refused, "insufficient_stock");
    assert_eq!((params(&refused)["available"].clone(), params(&refused)["requested"].clone()), (json!(2), json!(3)));
    assert_eq!(world.stock(norte_loc, part).await, 2, "nothing written");
    assert_eq!(scalar(&world, "SELECT count(*) FROM movimientos_tecnicos WHERE id_repuesto = $1", part).await, 0);
    assert_eq!(ledger(&world, norte_loc, part).await.len(), ledger_before);
    assert!(conflicts(&world, "stock_negativo").await.is_empty());
    assert!(notifications(&world, "stock_negativo").await.is_empty());
    // Down to exactly zero is fine; an adjustment below zero is refused too.
    assert_applied(
        &world
            .norte
            .push_one(&device, "movement.record", movement_args(norte_loc, part, tech, "venta", "venta", 2))
            .await,
    );
    assert_eq!(world.stock(norte_loc, part).await, 0);
    let adjust = world
        .admin
        .push_one(
            &admin_device,
            "inventory.adjust",
            json!({"id_localizacion": norte_loc, "id_repuesto": part, "delta": -1, "motivo": "rotura"}),
        )
        .await;
    assert_rejected(&adjust, "insufficient_stock");
    assert_eq!(world.stock(norte_loc, part).await, 0);

    // A dispatch from a rejecting warehouse that lacks the stock is refused and stays picked.
    world.set_stock(bodega_loc, part, 1).await;
    assert_applied(&world.admin.push_one(&admin_device, "location.policy", policy(bodega_loc, "reject")).await);
    let request = Uuid::new_v4();
    let line = Uuid::new_v4();
    assert_applied(
        &world
            .norte
            .push_one(&device, "request.create", json!({"id_solicitud": request, "id_localizacion_origen": bodega_loc, "id_localizacion_destino": norte_loc,
                "lines": [{"id_detalle": line, "id_repuesto": part, "cantidad": 4}]}))
            .await,
    );
    let bodega_device = Device::new();
    assert_applied(&world.bodega.push_one(&bodega_device, "request.pick", json!({"id_solicitud": request})).await);
    let dispatch = world.bodega.push_one(&bodega_device, "request.dispatch", json!({"id_solicitud": request})).await;
    assert_rejected(&dispatch, "insufficient_stock");
    let (estado, despachada): (String, Option<i32>) = sqlx::query_as(
        "SELECT s.estado, d.cantidad_despachada FROM solicitudes s JOIN detalles_solicitud d USING (id_solicitud) WHERE s.id_solicitud = $1",
    )
    .bind(request)
    .fetch_one(pool)
    .await
    .expect("request");
    assert_eq!((estado.as_str(), despachada), ("ALISTAMIENTO", None));
    assert_eq!(world.stock(bodega_loc, part).await, 1);
    assert!(ledger(&world, bodega_loc, part).await.iter().all(|r| r.tipo != "SOLICITUD_SALIDA"));

    // Back to allow: the same movement goes through, with its notification.
    assert_applied(&world.admin.push_one(&admin_device, "location.policy", policy(norte_loc, "allow")).await);
    let allowed = world
        .norte
        .push_one(&device, "movement.record", movement_args(norte_loc, part, tech, "salida", "salida", 3))
        .await;
    assert_applied(&allowed);
    assert_eq!(world.stock(norte_loc, part).await, -3);
    assert_eq!(conflicts(&world, "stock_negativo").await.len(), 1);
    world.assert_ledger_consistent().await;
}

#[tokio::test]
async fn concurrent_offline_movements_on_one_item_commute() {
    let world = World::new().await;
    let (loc, part) = (world.locs[1], world.parts[9]);
    world.set_stock(loc, part, 500).await;
    let tech = world.norte.user_id();
    let base = now_ms() - Duration::minutes(30);
    let mut expected = 0;
    let mut tasks = Vec::new();
    for d in 0..5i64 {
        // Four devices of the technician and one of the admin, all offline for a while.
        let api = if d == 4 { world.admin.clone() } else { world.norte.clone() };
        let device = Device::new();
        let mut batch = Vec::new();
        for i in 0..10i64 {
            let (concepto, tipo, cantidad, delta) = match (d + i) % 3 {
                0 => ("salida", "salida", 1 + i as i32, -(1 + i as i32)),
                1 => ("ingreso", "ingreso", 2, 2),
                _ => ("venta", "venta", 3, -3),
            };
            expected += delta;
            // Interleaved person's times: device d's i-th movement at base + i minutes + d seconds.
            let at = base + Duration::minutes(i) + Duration::seconds(d);
            batch.push(device.envelope_at(
                "movement.record",
                movement_args(loc, part, tech, concepto, tipo, cantidad),
                at,
            ));
        }
        tasks.push(tokio::spawn(async move { api.push(device.id, &batch).await }));
    }
    for task in tasks {
        let response = task.await.expect("push task");
        assert!(response.stopped.is_none(), "{:?}", response.stopped);
        assert_eq!(response.outcomes.len(), 10);
        for outcome in &response.outcomes {
            assert_applied(outcome);
        }
    }
    assert_eq!(world.stock(loc, part).await, 500 + expected, "every delta counts once");
    let rows = ledger(&world, loc, part).await;
    let movements: Vec<&LedgerRow> = rows.iter().filter(|r| r.tipo == "MOVIMIENTO_TECNICO").collect();
    assert_eq!(movements.len(), 50);
    assert_eq!(movements.iter().map(|r| r.diferencia).sum::<i32>(), expected);
    assert_eq!(rows.last().map(|r| r.nueva), Some(500 + expected));
    assert_eq!(scalar(&world, "SELECT count(*) FROM movimientos_tecnicos WHERE id_repuesto = $1", part).await, 50);
    world.assert_ledger_consistent().await;
}

// ---------------------------------------------------------------------------------------------
// Cart and transfer requests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn cart_add_set_and_remove_touch_only_the_users_own_lines() {
    let world = World::new().await;
    let pool = &world.db.pool;
    let (loc, part) = (world.locs[1], world.parts[0]);
    let device = Device::new();
    let item = Uuid::new_v4();
    let at = now_ms() - Duration::minutes(1);
    let add = |id: Uuid, loc: Uuid, part: Uuid, cantidad: i32| json!({"id_item_carrito": id, "id_localizacion": loc, "id_repuesto": part, "cantidad": cantidad});
    let added = push_at(&world.norte, &device, "cart.add", add(item, loc, part, 3), at).await;
    assert_applied(&added);
    assert_eq!(added.result["id_item_carrito"], json!(item));
    let line = move || async move {
        sqlx::query_as::<_, (Uuid, Uuid, Uuid, i32, DateTime<Utc>)>(
            "SELECT id_usuario, id_localizacion, id_repuesto, cantidad, created_at FROM carrito_solicitudes WHERE id_item_carrito = $1",
        )
        .bind(item)
        .fetch_optional(pool)
        .await
        .expect("cart line")
    };
    assert_eq!(line().await, Some((world.norte.user_id(), loc, part, 3, at)));

    let cases: Vec<(&str, Value, &str)> = vec![
        ("reused id", add(item, loc, part, 1), "already_exists"),
        ("another location", add(Uuid::new_v4(), world.locs[2], part, 1), "location_out_of_scope"),
        ("zero", add(Uuid::new_v4(), loc, part, 0), "invalid_quantity"),
        ("absurd", add(Uuid::new_v4(), loc, part, 100_001), "invalid_quantity"),
        ("no such part", add(Uuid::new_v4(), loc, Uuid::new_v4(), 1), "not_found"),
        ("no such location", add(Uuid::new_v4(), Uuid::new_v4(), part, 1), "location_out_of_scope"),
    ];
    for (_case, args, code) in cases {
        assert_rejected(&world.norte.push_one(&device, "cart.add", args).await, code);
    }
    assert_eq!(
        scalar(&world, "SELECT count(*) FROM carrito_solicitudes WHERE id_usuario = $1", world.norte.user_id()).await,
        1
    );

    assert_applied(&world.norte.push_one(&device, "cart.set", json!({"id_item_carrito": item, "cantidad": 7})).await);
    assert_eq!(line().await.map(|l| l.3), Some(7));
    assert_rejected(
        &world.norte.push_one(&device, "cart.set", json!({"id_item_carrito": item, "cantidad": 0})).await,
        "invalid_quantity",
    );
    // Another user's cart is not theirs to change.
    let sur_device = Device::new();
    assert_rejected(
        &world.sur.push_one(&sur_device, "cart.set", json!({"id_item_carrito": item, "cantidad": 1})).await,
        "not_found",
    );
    let foreign_remove = world.sur.push_one(&sur_device, "cart.remove", json!({"id_item_carrito": item})).await;
    assert_applied(&foreign_remove);
    assert_eq!(foreign_remove.result["removed"], json!(false));
    assert_eq!(line().await.map(|l| l.3), Some(7), "still there, unchanged");

    let removed = world.norte.push_one(&device, "cart.remove", json!({"id_item_carrito": item})).await;
    assert_applied(&removed);
    assert_eq!(removed.result["removed"], json!(true));
    assert_eq!(line().await, None);
    // Removing a line that is already gone fulfils the intent.
    for id in [item, Uuid::new_v4()] {
        let again = world.norte.push_one(&device, "cart.remove", json!({"id_item_carrito": id})).await;
        assert_applied(&again);
        assert_eq!(again.result["removed"], json!(false));
    }
    assert_rejected(
        &world.norte.push_one(&device, "cart.set", json!({"id_item_carrito": item, "cantidad": 2})).await,
        "not_found",
    );
}

#[tokio::test]
async fn request_create_empties_exactly_its_cart_lines_and_refuses_bad_requests() {
    let world = World::new().await;
    let pool = &world.db.pool;
    let (origen, destino) = (world.locs[0], world.locs[1]);
    let device = Device::new();
    let items: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
    for (i, item) in items.iter().enumerate() {
        assert_applied(
            &world
                .norte
                .push_one(&device, "cart.add", json!({"id_item_carrito": item, "id_localizacion": destino, "id_repuesto": world.parts[i], "cantidad": i + 1}))
                .await,
        );
    }
    let line = |part: Uuid, cantidad: i32, item: Option<Uuid>| json!({"id_detalle": Uuid::new_v4(), "id_repuesto": part, "cantidad": cantidad, "id_item_carrito": item});
    let request = |id: Uuid, origen: Uuid, destino: Uuid, lines: Vec<Value>| json!({"id_solicitud": id, "id_localizacion_origen": origen, "id_localizacion_destino": destino, "lines": lines});
    // Rejected creations leave the cart alone, even when they name its lines.
    let bad = Uuid::new_v4();
    let cases: Vec<(&str, Value, &str)> = vec![
        ("no lines", request(bad, origen, destino, vec![]), "empty_request"),
        (
            "origin is destination",
            request(bad, destino, destino, vec![line(world.parts[0], 1, Some(items[0]))]),
            "invalid_arguments",
        ),
        (
            "destination out of scope",
            request(bad, origen, world.locs[2], vec![line(world.parts[0], 1, None)]),
            "location_out_of_scope",
        ),
        (
            "zero quantity",
            request(bad, origen, destino, vec![line(world.parts[0], 1, Some(items[0])), line(world.parts[1], 0, None)]),
            "invalid_quantity",
        ),
        (
            "no such part",
            request(bad, origen, destino, vec![line(world.parts[0], 1, Some(items[0])), line(Uuid::new_v4(), 1, None)]),
            "not_found",
        ),
        (
            "no such origin",
            request(bad, Uuid::new_v4(), destino, vec![line(world.parts[0], 1, Some(items[0]))]),
            "not_found",
        ),
    ];
    for (_case, args, code) in cases {
        assert_rejected(&world.norte.push_one(&device, "request.create", args).await, code);
    }
    assert_eq!(scalar(&world, "SELECT count(*) FROM solicitudes WHERE id_solicitud <> $1", Uuid::nil()).await, 0);
    assert_eq!(
        scalar(&world, "SELECT count(*) FROM carrito_solicitudes WHERE id_usuario = $1", world.norte.user_id()).await,
        3
    );

    let id = Uuid::new_v4();
    let at = now_ms() - Duration::minutes(2);
    let lines = vec![
        line(world.parts[0], 1, Some(items[0])),
        line(world.parts[1], 2, Some(items[1])),
        line(world.parts[5], 6, None),
    ];
    let mut args = request(id, origen, destino, lines);
    args["observaciones_generales"] = json!(" Reposición semanal ");
    let created = push_at(&world.norte, &device, "request.create", args.clone(), at).await;
    assert_applied(&created);
    assert_eq!(
        (created.result["id_solicitud"].clone(), created.result["estado"].clone()),
        (json!(id), json!("PENDIENTE"))
    );
    let remaining: Vec<Uuid> =
        sqlx::query_scalar("SELECT id_item_carrito FROM carrito_solicitudes WHERE id_usuario = $1")
            .bind(world.norte.user_id())
            .fetch_all(pool)
            .await
            .expect("cart");
    assert_eq!(remaining, vec![items[2]], "exactly the listed cart lines are gone");
    let row: (Uuid, Uuid, Uuid, String, DateTime<Utc>, Option<String>) = sqlx::query_as(
        "SELECT id_localizacion_origen, id_localizacion_destino, id_usuario_solicitante, estado, fecha_creacion, observaciones_generales \
           FROM solicitudes WHERE id_solicitud = $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await
    .expect("request");
    assert_eq!(
        row,
        (origen, destino, world.norte.user_id(), "PENDIENTE".into(), at, Some("Reposición semanal".into()))
    );
    let details: Vec<(Uuid, i32, Option<i32>, Option<i32>)> = sqlx::query_as(
        "SELECT id_repuesto, cantidad_solicitada, cantidad_despachada, cantidad_recibida FROM detalles_solicitud WHERE id_solicitud = $1 ORDER BY cantidad_solicitada",
    )
    .bind(id)
    .fetch_all(pool)
    .await
    .expect("lines");
    assert_eq!(
        details,
        vec![(world.parts[0], 1, None, None), (world.parts[1], 2, None, None), (world.parts[5], 6, None, None)]
    );
    let trace = trace(&world, id).await;
    assert_eq!(trace, vec![(None, "PENDIENTE".to_owned(), world.norte.user_id(), at, None)]);
    // Stock does not move until dispatch.
    assert!(ledger(&world, origen, world.parts[0]).await.is_empty());
    let again = world.norte.push_one(&device, "request.create", args).await;
    assert_rejected(&again, "already_exists");
}

#[tokio::test]
async fn a_request_is_picked_dispatched_and_received_with_per_line_quantities() {
    let world = World::new().await;
    let pool = &world.db.pool;
    let (origen, destino) = (world.locs[0], world.locs[1]);
    let (p1, p2, p4) = (world.parts[0], world.parts[1], world.parts[3]);
    for part in [p1, p2, p4] {
        world.set_stock(origen, part, 20).await;
    }
    let destino_before =
        [world.stock(destino, p1).await, world.stock(destino, p2).await, world.stock(destino, p4).await];
    let (norte_device, bodega_device) = (Device::new(), Device::new());
    let base = now_ms() - Duration::minutes(30);
    let request = Uuid::new_v4();
    let (l1, l2, l4) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    assert_applied(
        &push_at(
            &world.norte,
            &norte_device,
            "request.create",
            json!({"id_solicitud": request, "id_localizacion_origen": origen,
            "id_localizacion_destino": destino, "lines": [
                {"id_detalle": l1, "id_repuesto": p1, "cantidad": 4, "observaciones": "urgente"},
                {"id_detalle": l2, "id_repuesto": p2, "cantidad": 2},
                {"id_detalle": l4, "id_repuesto": p4, "cantidad": 3}]}),
            base,
        )
        .await,
    );
    let by_id = |id: Uuid| json!({"id_solicitud": id});

    // Not picked yet.
    let early = world.bodega.push_one(&bodega_device, "request.dispatch", by_id(request)).await;
    assert_rejected(&early, "invalid_transition");
    assert_eq!(
        (params(&early)["from"].clone(), params(&early)["to"].clone()),
        (json!("PENDIENTE"), json!("DESPACHADO"))
    );
    assert_eq!(params(&early)["changed_by"], json!(user_name(&world, world.norte.user_id()).await));
    // A technician may not pick or dispatch.
    for name in ["request.pick", "request.dispatch"] {
        let refused = world.norte.push_one(&norte_device, name, by_id(request)).await;
        assert_rejected(&refused, "forbidden");
        assert_eq!(params(&refused)["permission"], json!("requests.approve"));
    }
    let picked = push_at(
        &world.bodega,
        &bodega_device,
        "request.pick",
        json!({"id_solicitud": request, "comentario": "alistando"}),
        base + Duration::minutes(5),
    )
    .await;
    assert_applied(&picked);
    assert_eq!(picked.result["estado"], json!("ALISTAMIENTO"));
    let refused = world.norte.push_one(&norte_device, "request.dispatch", by_id(request)).await;
    assert_rejected(&refused, "forbidden");

    let dispatch_cases = [
        (json!({"id_solicitud": request, "lines": [{"id_detalle": Uuid::new_v4(), "cantidad": 1}]}), "not_found"),
        (json!({"id_solicitud": request, "lines": [{"id_detalle": l1, "cantidad": -1}]}), "invalid_quantity"),
        (json!({"id_solicitud": request, "lines": [{"id_detalle": l1, "cantidad": 100_001}]}), "invalid_quantity"),
        (json!({"id_solicitud": Uuid::new_v4()}), "not_found"),
    ];
    for (args, code) in dispatch_cases {
        assert_rejected(&world.bodega.push_one(&bodega_device, "request.dispatch", args).await, code);
    }
    let dispatched_at = base + Duration::minutes(10);
    let dispatched = push_at(&world.bodega, &bodega_device, "request.dispatch", json!({"id_solicitud": request,
        "lines": [{"id_detalle": l1, "cantidad": 3}, {"id_detalle": l4, "cantidad": 0}], "guia_transporte": " GUIA-77 "}), dispatched_at)
    .await;
    assert_applied(&dispatched);
    assert_eq!(dispatched.result["estado"], json!("DESPACHADO"));
    assert_eq!(
        [world.stock(origen, p1).await, world.stock(origen, p2).await, world.stock(origen, p4).await],
        [17, 18, 20],
        "per-line quantities leave the origin; unlisted lines go as requested"
    );
    let out = ledger(&world, origen, p1).await.pop().expect("a ledger row");
    assert_eq!(
        (out.tipo.as_str(), out.anterior, out.nueva, out.diferencia, out.fecha),
        ("SOLICITUD_SALIDA", 20, 17, -3, dispatched_at)
    );
    assert_eq!((out.detalles["id_solicitud"].clone(), out.detalles["id_detalle"].clone()), (json!(request), json!(l1)));
    assert_eq!(out.id_usuario, world.bodega.user_id());
    assert_eq!(
        ledger(&world, origen, p2).await.pop().map(|r| (r.tipo, r.diferencia)),
        Some(("SOLICITUD_SALIDA".into(), -2))
    );
    assert!(
        ledger(&world, origen, p4).await.iter().all(|r| r.tipo != "SOLICITUD_SALIDA"),
        "nothing shipped, nothing moved"
    );
    let (guia, fecha_despacho): (Option<String>, Option<DateTime<Utc>>) =
        sqlx::query_as("SELECT guia_transporte, fecha_despacho FROM solicitudes WHERE id_solicitud = $1")
            .bind(request)
            .fetch_one(pool)
            .await
            .expect("request");
    assert_eq!((guia.as_deref(), fecha_despacho), (Some("GUIA-77"), Some(dispatched_at)));
    assert_eq!(
        destino_before,
        [world.stock(destino, p1).await, world.stock(destino, p2).await, world.stock(destino, p4).await],
        "in transit"
    );

    // Receipt: at the destination only.
    let out_of_scope = world.bodega.push_one(&bodega_device, "request.receive", by_id(request)).await;
    assert_rejected(&out_of_scope, "location_out_of_scope");
    let received_at = base + Duration::minutes(20);
    let received = push_at(
        &world.norte,
        &norte_device,
        "request.receive",
        json!({"id_solicitud": request, "lines": [{"id_detalle": l1, "cantidad": 2}],
        "comentario": "llegó una rota"}),
        received_at,
    )
    .await;
    assert_applied(&received);
    assert_eq!(received.result["estado"], json!("RECIBIDO"));
    assert_eq!(
        received.result["discrepancias"],
        json!([{"id_detalle": l1, "cantidad_despachada": 3, "cantidad_recibida": 2}])
    );
    assert_eq!(
        [world.stock(destino, p1).await, world.stock(destino, p2).await, world.stock(destino, p4).await],
        [destino_before[0] + 2, destino_before[1] + 2, destino_before[2]]
    );
    let inbound = ledger(&world, destino, p1).await.pop().expect("a ledger row");
    assert_eq!((inbound.tipo.as_str(), inbound.diferencia, inbound.fecha), ("SOLICITUD_ENTRADA", 2, received_at));
    assert_eq!(inbound.detalles["cantidad_despachada"], json!(3));
    type DetailRow = (Uuid, i32, Option<i32>, Option<i32>, Option<String>);
    let mut details: Vec<DetailRow> = sqlx::query_as(
        "SELECT id_detalle, cantidad_solicitada, cantidad_despachada, cantidad_recibida, observaciones FROM detalles_solicitud WHERE id_solicitud = $1",
    )
    .bind(request)
    .fetch_all(pool)
    .await
    .expect("lines");
    details.sort_by_key(|d| d.1);
    assert_eq!(
        details,
        vec![
            (l2, 2, Some(2), Some(2), None),
            (l4, 3, Some(0), Some(0), None),
            (l1, 4, Some(3), Some(2), Some("urgente".into()))
        ],
        "the discrepancy stays recorded"
    );
    let fecha_recepcion: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT fecha_recepcion FROM solicitudes WHERE id_solicitud = $1")
            .bind(request)
            .fetch_one(pool)
            .await
            .expect("request");
    assert_eq!(fecha_recepcion, Some(received_at));

    let (norte, bodega) = (world.norte.user_id(), world.bodega.user_id());
    assert_eq!(
        trace(&world, request).await,
        vec![
            (None, "PENDIENTE".to_owned(), norte, base, None),
            (
                Some("PENDIENTE".to_owned()),
                "ALISTAMIENTO".to_owned(),
                bodega,
                base + Duration::minutes(5),
                Some("alistando".to_owned())
            ),
            (Some("ALISTAMIENTO".to_owned()), "DESPACHADO".to_owned(), bodega, dispatched_at, None),
            (
                Some("DESPACHADO".to_owned()),
                "RECIBIDO".to_owned(),
                norte,
                received_at,
                Some("llegó una rota".to_owned())
            ),
        ],
        "every transition is traced, rejected ones are not"
    );
    for name in ["request.receive", "request.cancel", "request.pick"] {
        let late = world.norte.push_one(&norte_device, name, by_id(request)).await;
        if name == "request.pick" {
            assert_rejected(&late, "forbidden");
        } else {
            assert_rejected(&late, "invalid_transition");
            assert_eq!(params(&late)["from"], json!("RECIBIDO"));
            assert_eq!(params(&late)["changed_by"], json!(user_name(&world, norte).await));
        }
    }
    assert_eq!(trace(&world, request).await.len(), 4);
    world.assert_ledger_consistent().await;
}

#[tokio::test]
async fn requests_cancel_from_pendiente_and_alistamiento_and_a_later_dispatch_names_who_cancelled_and_when() {
    let world = World::new().await;
    let (origen, destino) = (world.locs[0], world.locs[1]);
    let part = world.parts[2];
    world.set_stock(origen, part, 10).await;
    let (norte_device, bodega_device) = (Device::new(), Device::new());
    let (norte, bodega) = (world.norte.user_id(), world.bodega.user_id());
    let now = now_ms();
    let new_request = |id: Uuid| {
        json!({"id_solicitud": id, "id_localizacion_origen": origen, "id_localizacion_destino": destino,
               "lines": [{"id_detalle": Uuid::new_v4(), "id_repuesto": part, "cantidad": 2}]})
    };

    // 1. Cancelled by the requester while PENDIENTE.
    let first = Uuid::new_v4();
    assert_applied(
        &push_at(&world.norte, &norte_device, "request.create", new_request(first), now - Duration::minutes(30)).await,
    );
    let foreign = world.sur.push_one(&Device::new(), "request.cancel", json!({"id_solicitud": first})).await;
    assert_rejected(&foreign, "forbidden");
    let cancelled_at = now - Duration::minutes(29);
    let cancelled = push_at(
        &world.norte,
        &norte_device,
        "request.cancel",
        json!({"id_solicitud": first, "comentario": "ya no hace falta"}),
        cancelled_at,
    )
    .await;
    assert_applied(&cancelled);
    assert_eq!(cancelled.result["estado"], json!("CANCELADO"));
    assert_eq!(estado(&world, first).await, "CANCELADO");
    assert_eq!(
        trace(&world, first).await.pop(),
        Some((
            Some("PENDIENTE".to_owned()),
            "CANCELADO".to_owned(),
            norte,
            cancelled_at,
            Some("ya no hace falta".to_owned())
        ))
    );
    let pick = world.bodega.push_one(&bodega_device, "request.pick", json!({"id_solicitud": first})).await;
    assert_rejected(&pick, "invalid_transition");
    assert_eq!(
        (params(&pick)["from"].clone(), params(&pick)["to"].clone()),
        (json!("CANCELADO"), json!("ALISTAMIENTO"))
    );

    // 2. Picked by the warehouse, then cancelled by the requester from a device that was
    //    offline (its clock says earlier than the pick); the warehouse then dispatches.
    let second = Uuid::new_v4();
    assert_applied(
        &push_at(&world.norte, &norte_device, "request.create", new_request(second), now - Duration::minutes(20)).await,
    );
    let picked_at = now - Duration::minutes(1);
    assert_applied(
        &push_at(&world.bodega, &bodega_device, "request.pick", json!({"id_solicitud": second}), picked_at).await,
    );
    let offline_cancel = now - Duration::minutes(10);
    let offline = Device::new();
    assert_applied(
        &push_at(&world.norte, &offline, "request.cancel", json!({"id_solicitud": second}), offline_cancel).await,
    );
    let dispatch = world
        .bodega
        .push_one(&bodega_device, "request.dispatch", json!({"id_solicitud": second, "guia_transporte": "G-9"}))
        .await;
    assert_rejected(&dispatch, "invalid_transition");
    let p = params(&dispatch);
    assert_eq!((p["from"].clone(), p["to"].clone()), (json!("CANCELADO"), json!("DESPACHADO")), "{dispatch:?}");
    assert_eq!(p["changed_by"], json!(user_name(&world, norte).await), "who set the current state: {dispatch:?}");
    let changed_at =
        p["changed_at"].as_str().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.with_timezone(&Utc));
    assert_eq!(changed_at, Some(offline_cancel), "when the current state was set: {dispatch:?}");
    let message = dispatch.message.clone().unwrap_or_default();
    assert!(message.contains("CANCELADO") && message.contains(&user_name(&world, norte).await), "{message}");
    assert_eq!(world.stock(origen, part).await, 10, "nothing left the warehouse");
    assert!(ledger(&world, origen, part).await.iter().all(|r| r.tipo != "SOLICITUD_SALIDA"));
    let guia: Option<String> = sqlx::query_scalar("SELECT guia_transporte FROM solicitudes WHERE id_solicitud = $1")
        .bind(second)
        .fetch_one(&world.db.pool)
        .await
        .expect("row");
    assert_eq!(guia, None);
    let states: Vec<String> = trace(&world, second).await.into_iter().map(|t| t.1).collect();
    assert_eq!(states, vec!["PENDIENTE", "ALISTAMIENTO", "CANCELADO"]);

    // 3. Cancelled from ALISTAMIENTO by an approver at the origin who did not request it.
    let third = Uuid::new_v4();
    assert_applied(&world.norte.push_one(&norte_device, "request.create", new_request(third)).await);
    assert_applied(&world.bodega.push_one(&bodega_device, "request.pick", json!({"id_solicitud": third})).await);
    let by_approver = world
        .bodega
        .push_one(&bodega_device, "request.cancel", json!({"id_solicitud": third, "comentario": "sin transporte"}))
        .await;
    assert_applied(&by_approver);
    let last = trace(&world, third).await.pop().expect("trace");
    assert_eq!(
        (last.0.as_deref(), last.1.as_str(), last.2, last.4.as_deref()),
        (Some("ALISTAMIENTO"), "CANCELADO", bodega, Some("sin transporte"))
    );
    let twice = world.bodega.push_one(&bodega_device, "request.cancel", json!({"id_solicitud": third})).await;
    assert_rejected(&twice, "invalid_transition");
    assert_eq!(params(&twice)["changed_by"], json!(user_name(&world, bodega).await));
    assert_rejected(
        &world.norte.push_one(&norte_device, "request.cancel", json!({"id_solicitud": Uuid::new_v4()})).await,
        "not_found",
    );
}

// ---------------------------------------------------------------------------------------------
// Physical counts
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn count_lines_record_the_system_stock_and_closing_adjusts_the_ledger() {
    let world = World::new().await;
    let pool = &world.db.pool;
    let loc = world.locs[0];
    let (p1, p2) = (world.parts[6], world.parts[7]);
    // A part created after the demo: no inventory row at the location yet.
    let p3 = Uuid::new_v4();
    assert_applied(
        &world
            .bodega
            .push_one(
                &Device::new(),
                "part.create",
                json!({"id_repuesto": p3, "referencia": "CNT-NUEVO-1", "nombre": "Nuevo"}),
            )
            .await,
    );
    let (s1, s2) = (world.stock(loc, p1).await, world.stock(loc, p2).await);
    let device = Device::new();
    let count = Uuid::new_v4();
    let t0 = now_ms() - Duration::minutes(10);

    for (api, args, code) in [
        (&world.norte, json!({"id_conteo": Uuid::new_v4(), "id_localizacion": world.locs[1]}), "forbidden"),
        (
            &world.bodega,
            json!({"id_conteo": Uuid::new_v4(), "id_localizacion": world.locs[1]}),
            "location_out_of_scope",
        ),
        (&world.admin, json!({"id_conteo": Uuid::new_v4(), "id_localizacion": Uuid::new_v4()}), "not_found"),
    ] {
        assert_rejected(&api.push_one(&Device::new(), "count.start", args).await, code);
    }
    let started = push_at(
        &world.bodega,
        &device,
        "count.start",
        json!({"id_conteo": count, "id_localizacion": loc, "observaciones": " cierre de mes "}),
        t0,
    )
    .await;
    assert_applied(&started);
    let reg: (Uuid, Uuid, DateTime<Utc>, Option<String>) = sqlx::query_as(
        "SELECT id_localizacion, id_usuario, fecha_conteo, observaciones FROM registro_conteo WHERE id_conteo = $1",
    )
    .bind(count)
    .fetch_one(pool)
    .await
    .expect("count");
    assert_eq!(reg, (loc, world.bodega.user_id(), t0, Some("cierre de mes".into())));
    assert_rejected(
        &world.bodega.push_one(&device, "count.start", json!({"id_conteo": count, "id_localizacion": loc})).await,
        "already_exists",
    );

    let line = |id: Uuid, part: Uuid, csa: i32, pq: i32| json!({"id_detalle_conteo": id, "id_conteo": count, "id_repuesto": part, "cantidad_csa": csa, "cantidad_pq": pq});
    let first_line = Uuid::new_v4();
    let l1 =
        push_at(&world.bodega, &device, "count.line", line(first_line, p1, s1 + 5, 2), t0 + Duration::minutes(1)).await;
    assert_applied(&l1);
    assert_eq!(
        (l1.result["cantidad_sistema"].clone(), l1.result["diferencia"].clone()),
        (json!(s1), json!(-3)),
        "(sistema + pq) - csa"
    );
    let l2 =
        push_at(&world.bodega, &device, "count.line", line(Uuid::new_v4(), p2, s2, 0), t0 + Duration::minutes(2)).await;
    assert_applied(&l2);
    assert_eq!(l2.result["diferencia"], json!(0));
    let l3 =
        push_at(&world.bodega, &device, "count.line", line(Uuid::new_v4(), p3, 4, 0), t0 + Duration::minutes(3)).await;
    assert_eq!((l3.result["cantidad_sistema"].clone(), l3.result["diferencia"].clone()), (json!(0), json!(-4)));
    // Counting p1 again replaces its line (same row, new numbers, new moment).
    let recount_at = t0 + Duration::minutes(4);
    let again = push_at(&world.bodega, &device, "count.line", line(Uuid::new_v4(), p1, s1 + 1, 3), recount_at).await;
    assert_applied(&again);
    assert_eq!(again.result["id_detalle_conteo"], json!(first_line));
    assert_eq!(again.result["diferencia"], json!(2));

    let rows: Vec<(Uuid, Uuid, i32, i32, i32, i32)> = sqlx::query_as(
        "SELECT id_detalle_conteo, id_repuesto, cantidad_sistema, cantidad_csa, cantidad_pq, diferencia FROM detalles_conteo WHERE id_conteo = $1",
    )
    .bind(count)
    .fetch_all(pool)
    .await
    .expect("lines");
    assert_eq!(rows.len(), 3, "{rows:?}");
    let p1_row = rows.iter().find(|r| r.1 == p1).expect("p1 line");
    assert_eq!(*p1_row, (first_line, p1, s1, s1 + 1, 3, 2));
    let summary: (i32, i32, i32) =
        sqlx::query_as("SELECT total_items, total_diferencias, items_con_pq FROM registro_conteo WHERE id_conteo = $1")
            .bind(count)
            .fetch_one(pool)
            .await
            .expect("summary");
    assert_eq!(summary, (3, 2, 1), "total_items, total_diferencias, items_con_pq");

    for (args, code) in [
        (
            json!({"id_detalle_conteo": Uuid::new_v4(), "id_conteo": count, "id_repuesto": p1, "cantidad_csa": -1}),
            "invalid_quantity",
        ),
        (
            json!({"id_detalle_conteo": Uuid::new_v4(), "id_conteo": count, "id_repuesto": p1, "cantidad_csa": 1, "cantidad_pq": -2}),
            "invalid_quantity",
        ),
        (
            json!({"id_detalle_conteo": Uuid::new_v4(), "id_conteo": count, "id_repuesto": Uuid::new_v4(), "cantidad_csa": 1}),
            "not_found",
        ),
        (
            json!({"id_detalle_conteo": Uuid::new_v4(), "id_conteo": Uuid::new_v4(), "id_repuesto": p1, "cantidad_csa": 1}),
            "not_found",
        ),
    ] {
        assert_rejected(&world.bodega.push_one(&device, "count.line", args).await, code);
    }
    assert_rejected(
        &world.norte.push_one(&Device::new(), "count.close", json!({"id_conteo": count})).await,
        "forbidden",
    );

    let closed_at = t0 + Duration::minutes(5);
    let closed = push_at(&world.bodega, &device, "count.close", json!({"id_conteo": count}), closed_at).await;
    assert_applied(&closed);
    assert_eq!(
        (closed.result["lineas_ajustadas"].clone(), closed.result["lineas_absorbidas"].clone()),
        (json!(3), json!(0))
    );
    assert_eq!(
        [world.stock(loc, p1).await, world.stock(loc, p2).await, world.stock(loc, p3).await],
        [s1 - 2, s2, 4],
        "csa - pq"
    );
    for (part, anterior, nueva, at) in
        [(p1, s1, s1 - 2, recount_at), (p2, s2, s2, t0 + Duration::minutes(2)), (p3, 0, 4, t0 + Duration::minutes(3))]
    {
        let rows = ledger(&world, loc, part).await;
        assert_eq!(rows.len(), 1, "{rows:?}");
        let row = &rows[0];
        assert_eq!(
            (row.tipo.as_str(), row.anterior, row.nueva, row.diferencia, row.fecha),
            ("CONTEO_FISICO", anterior, nueva, nueva - anterior, at)
        );
        assert_eq!(
            (row.detalles["id_conteo"].clone(), row.detalles["absorbido"].clone()),
            (json!(count), json!(false))
        );
        let veces: i32 =
            sqlx::query_scalar("SELECT veces_contado FROM inventario WHERE id_localizacion = $1 AND id_repuesto = $2")
                .bind(loc)
                .bind(part)
                .fetch_one(pool)
                .await
                .expect("item");
        assert_eq!(veces, 1);
    }
    let closing: (Uuid, DateTime<Utc>) =
        sqlx::query_as("SELECT id_usuario, cerrado_en FROM conteos_cerrados WHERE id_conteo = $1")
            .bind(count)
            .fetch_one(pool)
            .await
            .expect("closed");
    assert_eq!(closing, (world.bodega.user_id(), closed_at));

    let late_line = world.bodega.push_one(&device, "count.line", line(Uuid::new_v4(), p2, 1, 0)).await;
    assert_rejected(&late_line, "count_closed");
    assert_eq!(params(&late_line)["id_conteo"], json!(count));
    assert_rejected(&world.bodega.push_one(&device, "count.close", json!({"id_conteo": count})).await, "count_closed");
    assert_rejected(
        &world.bodega.push_one(&device, "count.close", json!({"id_conteo": Uuid::new_v4()})).await,
        "not_found",
    );
    assert_eq!(scalar(&world, "SELECT count(*) FROM detalles_conteo WHERE id_conteo = $1", count).await, 3);
    assert_eq!(world.stock(loc, p2).await, s2);
    world.assert_ledger_consistent().await;
}

/// stock = (csa - pq) + every delta dated after the count line's moment, whatever order the
/// count and the movements arrive in. Each order runs on its own part (and count) of one world.
#[tokio::test]
async fn the_count_rule_gives_the_same_stock_whatever_the_arrival_order() {
    let world = World::new().await;
    let loc = world.locs[1];
    let tech = world.norte.user_id();
    let (admin_device, norte_device) = (Device::new(), Device::new());
    let t = now_ms() - Duration::hours(2);
    // S: count.start, L: count.line at t (csa 7, pq 1), C: count.close,
    // A: salida of 2 dated t - 30 min, D: adjustment of -1 dated t - 5 min, B: ingreso of 5 dated t + 20 min.
    let orders = ["ADSLCB", "SLCABD", "BSLACD", "DBASLC", "SALBCD", "SLBCDA", "BDASLC"];
    let expected = (7 - 1) + 5;
    for (i, order) in orders.iter().enumerate() {
        let part = world.parts[10 + i];
        let count = Uuid::new_v4();
        let mut closed = false;
        for event in order.chars() {
            let outcome = match event {
                'S' => {
                    push_at(
                        &world.admin,
                        &admin_device,
                        "count.start",
                        json!({"id_conteo": count, "id_localizacion": loc}),
                        t - Duration::minutes(2),
                    )
                    .await
                }
                'L' => {
                    let args = json!({"id_detalle_conteo": Uuid::new_v4(), "id_conteo": count, "id_repuesto": part, "cantidad_csa": 7, "cantidad_pq": 1});
                    push_at(&world.admin, &admin_device, "count.line", args, t).await
                }
                'C' => {
                    push_at(
                        &world.admin,
                        &admin_device,
                        "count.close",
                        json!({"id_conteo": count}),
                        t + Duration::minutes(1),
                    )
                    .await
                }
                'A' => {
                    push_at(
                        &world.norte,
                        &norte_device,
                        "movement.record",
                        movement_args(loc, part, tech, "salida", "salida", 2),
                        t - Duration::minutes(30),
                    )
                    .await
                }
                'D' => {
                    let args = json!({"id_localizacion": loc, "id_repuesto": part, "delta": -1, "motivo": "rotura"});
                    push_at(&world.admin, &admin_device, "inventory.adjust", args, t - Duration::minutes(5)).await
                }
                'B' => {
                    push_at(
                        &world.norte,
                        &norte_device,
                        "movement.record",
                        movement_args(loc, part, tech, "ingreso", "ingreso", 5),
                        t + Duration::minutes(20),
                    )
                    .await
                }
                other => panic!("unknown event {other}"),
            };
            assert_applied(&outcome);
            if matches!(event, 'A' | 'D' | 'B') {
                let dated_before = event != 'B';
                assert_eq!(
                    outcome.result["absorbido"],
                    json!(closed && dated_before),
                    "order {order}, event {event}: {outcome:?}"
                );
            }
            closed |= event == 'C';
        }
        assert_eq!(world.stock(loc, part).await, expected, "order {order}");

        // Late deltas dated before the count: recorded, flagged, moving nothing.
        let close_position = order.find('C').expect("close");
        let late: Vec<char> = order[close_position..].chars().filter(|e| matches!(e, 'A' | 'D')).collect();
        let rows = ledger(&world, loc, part).await;
        let absorbed: Vec<&LedgerRow> =
            rows.iter().filter(|r| r.tipo != "CONTEO_FISICO" && r.detalles["absorbido"] == json!(true)).collect();
        assert_eq!(absorbed.len(), late.len(), "order {order}: {rows:?}");
        for row in &absorbed {
            assert_eq!((row.diferencia, row.anterior), (0, row.nueva), "order {order}");
            assert_eq!(row.detalles["absorbido_por_conteo"], json!(count), "order {order}");
            let original = if row.tipo == "MOVIMIENTO_TECNICO" { -2 } else { -1 };
            assert_eq!(row.detalles["delta_original"], json!(original), "order {order}");
        }
        let counted: Vec<&LedgerRow> = rows.iter().filter(|r| r.tipo == "CONTEO_FISICO").collect();
        assert_eq!(counted.len(), 1, "order {order}");
        assert_eq!(counted[0].fecha, t, "the count row is dated at the moment counted");
        let item = item_id(&world, loc, part).await.to_string();
        let entries: Vec<ConflictRow> =
            conflicts(&world, "absorbido").await.into_iter().filter(|c| c.clave == item).collect();
        assert_eq!(entries.len(), late.len(), "order {order}: {entries:?}");
        for event in late {
            let (author, delta) = if event == 'A' { (tech, -2) } else { (world.admin.user_id(), -1) };
            assert!(
                entries
                    .iter()
                    .any(|c| c.id_usuario == author && c.nuevo == Some(json!(delta)) && c.tabla == "inventario"),
                "order {order}: an absorbido entry for {event}: {entries:?}"
            );
        }
    }
    world.assert_ledger_consistent().await;
}

/// Two counts of one item: the later moment wins whichever closes first, and a movement
/// between them counts only if it is after the winning count.
#[tokio::test]
async fn two_counts_of_one_item_agree_whatever_order_they_close_in() {
    let world = World::new().await;
    let pool = &world.db.pool;
    let loc = world.locs[1];
    let tech = world.norte.user_id();
    let (admin_device, norte_device) = (Device::new(), Device::new());
    let t1 = now_ms() - Duration::hours(3);
    let t2 = t1 + Duration::minutes(30);
    // 1: a count at t1 finding 10; 2: a count at t2 finding 4;
    // M: salida of 2 dated between them; N: ingreso of 3 dated after both.
    let orders = ["12MN", "21MN", "MN12", "MN21", "N2M1", "1M2N", "2N1M"];
    for (i, order) in orders.iter().enumerate() {
        let part = world.parts[20 + i];
        let counts = [Uuid::new_v4(), Uuid::new_v4()];
        for event in order.chars() {
            match event {
                '1' | '2' => {
                    let (k, at, csa) = if event == '1' { (0, t1, 10) } else { (1, t2, 4) };
                    let count = counts[k];
                    let batch = vec![
                        admin_device.envelope_at("count.start", json!({"id_conteo": count, "id_localizacion": loc}), at - Duration::minutes(1)),
                        admin_device.envelope_at("count.line", json!({"id_detalle_conteo": Uuid::new_v4(), "id_conteo": count, "id_repuesto": part, "cantidad_csa": csa}), at),
                        admin_device.envelope_at("count.close", json!({"id_conteo": count}), at + Duration::minutes(1)),
                    ];
                    let response = world.admin.push(admin_device.id, &batch).await;
                    for outcome in &response.outcomes {
                        assert_applied(outcome);
                    }
                    let superseded = order.find('2') < order.find('1') && event == '1';
                    let close = &response.outcomes[2];
                    assert_eq!(
                        (close.result["lineas_ajustadas"].clone(), close.result["lineas_absorbidas"].clone()),
                        if superseded { (json!(0), json!(1)) } else { (json!(1), json!(0)) },
                        "order {order}, count {event}"
                    );
                }
                'M' => assert_applied(
                    &push_at(
                        &world.norte,
                        &norte_device,
                        "movement.record",
                        movement_args(loc, part, tech, "salida", "salida", 2),
                        t1 + Duration::minutes(10),
                    )
                    .await,
                ),
                'N' => assert_applied(
                    &push_at(
                        &world.norte,
                        &norte_device,
                        "movement.record",
                        movement_args(loc, part, tech, "ingreso", "ingreso", 3),
                        t2 + Duration::minutes(10),
                    )
                    .await,
                ),
                other => panic!("unknown event {other}"),
            }
        }
        assert_eq!(world.stock(loc, part).await, 4 + 3, "order {order}");
        let veces: i32 =
            sqlx::query_scalar("SELECT veces_contado FROM inventario WHERE id_localizacion = $1 AND id_repuesto = $2")
                .bind(loc)
                .bind(part)
                .fetch_one(pool)
                .await
                .expect("item");
        let first_wins = order.find('1') < order.find('2');
        assert_eq!(veces, if first_wins { 2 } else { 1 }, "order {order}: a superseded count does not count");
        let rows = ledger(&world, loc, part).await;
        let count_rows: Vec<&LedgerRow> = rows.iter().filter(|r| r.tipo == "CONTEO_FISICO").collect();
        assert_eq!(count_rows.len(), 2, "both counts are recorded: {rows:?}");
        let absorbed = count_rows.iter().filter(|r| r.detalles["absorbido"] == json!(true)).count();
        assert_eq!(absorbed, usize::from(!first_wins), "order {order}");
    }
    world.assert_ledger_consistent().await;
}

// ---------------------------------------------------------------------------------------------
// Warranty claims
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_warranty_claim_is_edited_submitted_and_approved_into_stock() {
    let world = World::new().await;
    let (loc, part) = (world.locs[1], world.parts[11]);
    let stock = world.stock(loc, part).await;
    let device = Device::new();
    let claim = Uuid::new_v4();
    let created_at = now_ms() - Duration::minutes(30);
    let args = json!({"id_garantia": claim, "id_localizacion": loc, "id_repuesto": part, "cantidad": 2, "motivo_falla": " No gira ",
                      "id_tecnico_asociado": world.norte.user_id(), "kilometraje": 1200, "numero_orden": "OT-55", "solicitante": "Cliente X"});
    let created = push_at(&world.norte, &device, "warranty.create", args.clone(), created_at).await;
    assert_applied(&created);
    assert_eq!(created.result["estado"], json!("SIN_ENVIAR"));
    assert_eq!(
        warranty(&world, claim).await,
        ("SIN_ENVIAR".into(), 2, "No gira".into(), world.norte.user_id(), created_at, None, None)
    );

    let create_cases: Vec<(&str, &Api, Value, &str)> = vec![
        ("reused id", &world.norte, args.clone(), "already_exists"),
        (
            "no reason",
            &world.norte,
            json!({"id_garantia": Uuid::new_v4(), "id_localizacion": loc, "id_repuesto": part, "cantidad": 1, "motivo_falla": "  "}),
            "reason_required",
        ),
        (
            "zero",
            &world.norte,
            json!({"id_garantia": Uuid::new_v4(), "id_localizacion": loc, "id_repuesto": part, "cantidad": 0, "motivo_falla": "x"}),
            "invalid_quantity",
        ),
        (
            "another location",
            &world.norte,
            json!({"id_garantia": Uuid::new_v4(), "id_localizacion": world.locs[2], "id_repuesto": part, "cantidad": 1, "motivo_falla": "x"}),
            "location_out_of_scope",
        ),
        (
            "no such part",
            &world.norte,
            json!({"id_garantia": Uuid::new_v4(), "id_localizacion": loc, "id_repuesto": Uuid::new_v4(), "cantidad": 1, "motivo_falla": "x"}),
            "not_found",
        ),
        (
            "negative km",
            &world.norte,
            json!({"id_garantia": Uuid::new_v4(), "id_localizacion": loc, "id_repuesto": part, "cantidad": 1, "motivo_falla": "x", "kilometraje": -1}),
            "invalid_arguments",
        ),
    ];
    for (_case, api, args, code) in create_cases {
        assert_rejected(&api.push_one(&Device::new(), "warranty.create", args).await, code);
    }
    assert_eq!(scalar(&world, "SELECT count(*) FROM garantias WHERE id_garantia <> $1", Uuid::nil()).await, 1);

    // Edits while a draft.
    let edited = world
        .norte
        .push_one(&device, "warranty.edit", json!({"id_garantia": claim, "edits": [
            {"field": "cantidad", "old": 2, "new": 3}, {"field": "motivo_falla", "old": "No gira", "new": "No gira el motor"}]}))
        .await;
    assert_applied(&edited);
    for (edits, code) in [
        (json!([{"field": "estado", "old": "SIN_ENVIAR", "new": "APROBADA"}]), "unknown_field"),
        (json!([{"field": "cantidad", "old": 3, "new": 0}]), "invalid_quantity"),
        (json!([{"field": "motivo_falla", "old": "No gira el motor", "new": ""}]), "invalid_arguments"),
    ] {
        assert_rejected(
            &world.norte.push_one(&device, "warranty.edit", json!({"id_garantia": claim, "edits": edits})).await,
            code,
        );
    }
    assert_eq!(warranty(&world, claim).await.1, 3);
    assert_eq!(warranty(&world, claim).await.2, "No gira el motor");

    // Approving a draft: the state that blocks it, who set it and when.
    let admin_device = Device::new();
    let draft = world.admin.push_one(&admin_device, "warranty.approve", json!({"id_garantia": claim})).await;
    assert_rejected(&draft, "invalid_transition");
    let p = params(&draft);
    assert_eq!((p["from"].clone(), p["to"].clone()), (json!("SIN_ENVIAR"), json!("APROBADA")));
    assert_eq!(p["changed_by"], json!(user_name(&world, world.norte.user_id()).await), "{draft:?}");
    assert_eq!(parse_time(&p["changed_at"]), Some(created_at), "{draft:?}");

    let submitted = world.norte.push_one(&device, "warranty.submit", json!({"id_garantia": claim})).await;
    assert_applied(&submitted);
    assert_eq!(submitted.result["estado"], json!("PENDIENTE"));
    let twice = world.norte.push_one(&device, "warranty.submit", json!({"id_garantia": claim})).await;
    assert_rejected(&twice, "invalid_transition");
    assert_eq!(params(&twice)["from"], json!("PENDIENTE"));
    let late_edit = world
        .norte
        .push_one(
            &device,
            "warranty.edit",
            json!({"id_garantia": claim, "edits": [{"field": "cantidad", "old": 3, "new": 4}]}),
        )
        .await;
    assert_rejected(&late_edit, "not_editable");
    assert_eq!(params(&late_edit)["estado"], json!("PENDIENTE"));
    assert_eq!(warranty(&world, claim).await.1, 3);

    let tecnico = world.norte.push_one(&device, "warranty.approve", json!({"id_garantia": claim})).await;
    assert_rejected(&tecnico, "forbidden");
    assert_eq!(params(&tecnico)["permission"], json!("guarantees.resolve"));
    assert_rejected(
        &world.bodega.push_one(&Device::new(), "warranty.approve", json!({"id_garantia": claim})).await,
        "location_out_of_scope",
    );
    assert_rejected(
        &world.admin.push_one(&admin_device, "warranty.approve", json!({"id_garantia": Uuid::new_v4()})).await,
        "not_found",
    );
    assert_eq!(world.stock(loc, part).await, stock);

    let approved_at = now_ms() - Duration::minutes(1);
    let approved = push_at(
        &world.admin,
        &admin_device,
        "warranty.approve",
        json!({"id_garantia": claim, "comentarios_resolucion": "Proveedor repone"}),
        approved_at,
    )
    .await;
    assert_applied(&approved);
    assert_eq!(
        (approved.result["estado"].clone(), approved.result["stock_actual"].clone()),
        (json!("APROBADA"), json!(stock + 3))
    );
    assert_eq!(
        warranty(&world, claim).await,
        (
            "APROBADA".into(),
            3,
            "No gira el motor".into(),
            world.norte.user_id(),
            created_at,
            Some(approved_at),
            Some("Proveedor repone".into())
        )
    );
    assert_eq!(world.stock(loc, part).await, stock + 3);
    let rows = ledger(&world, loc, part).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0].tipo.as_str(), rows[0].anterior, rows[0].nueva, rows[0].diferencia),
        ("GARANTIA", stock, stock + 3, 3)
    );
    assert_eq!((rows[0].id_usuario, rows[0].detalles["id_garantia"].clone()), (world.admin.user_id(), json!(claim)));

    let reject_after = world
        .admin
        .push_one(&admin_device, "warranty.reject", json!({"id_garantia": claim, "comentarios_resolucion": "tarde"}))
        .await;
    assert_rejected(&reject_after, "invalid_transition");
    assert_eq!(params(&reject_after)["from"], json!("APROBADA"));
    assert_eq!(params(&reject_after)["changed_by"], json!(user_name(&world, world.admin.user_id()).await));
    assert_eq!(parse_time(&params(&reject_after)["changed_at"]), Some(approved_at));
    assert_eq!(world.stock(loc, part).await, stock + 3, "approved once");
    world.assert_ledger_consistent().await;
}

#[tokio::test]
async fn rejecting_a_warranty_claim_needs_a_reason_and_moves_no_stock() {
    let world = World::new().await;
    let (loc, part) = (world.locs[2], world.parts[12]);
    let stock = world.stock(loc, part).await;
    let device = Device::new();
    let claim = Uuid::new_v4();
    let created_at = now_ms() - Duration::minutes(5);
    assert_applied(
        &push_at(&world.sur, &device, "warranty.create", json!({"id_garantia": claim, "id_localizacion": loc, "id_repuesto": part, "cantidad": 1, "motivo_falla": "Batería hinchada"}), created_at)
            .await,
    );
    assert_applied(&world.sur.push_one(&device, "warranty.submit", json!({"id_garantia": claim})).await);
    let admin_device = Device::new();
    for comentarios in [Value::Null, json!(""), json!("   ")] {
        let outcome = world
            .admin
            .push_one(
                &admin_device,
                "warranty.reject",
                json!({"id_garantia": claim, "comentarios_resolucion": comentarios}),
            )
            .await;
        assert_rejected(&outcome, "reason_required");
    }
    assert_rejected(
        &world
            .sur
            .push_one(&device, "warranty.reject", json!({"id_garantia": claim, "comentarios_resolucion": "x"}))
            .await,
        "forbidden",
    );
    assert_eq!(warranty(&world, claim).await.0, "PENDIENTE");
    let rejected_at = now_ms();
    let rejected = push_at(
        &world.admin,
        &admin_device,
        "warranty.reject",
        json!({"id_garantia": claim, "comentarios_resolucion": " Uso indebido "}),
        rejected_at,
    )
    .await;
    assert_applied(&rejected);
    assert_eq!(rejected.result["estado"], json!("RECHAZADA"));
    let row = warranty(&world, claim).await;
    assert_eq!((row.0.as_str(), row.5, row.6.as_deref()), ("RECHAZADA", Some(rejected_at), Some("Uso indebido")));
    assert_eq!(world.stock(loc, part).await, stock);
    assert!(ledger(&world, loc, part).await.is_empty(), "a rejected claim brings no units");
    let approve = world.admin.push_one(&admin_device, "warranty.approve", json!({"id_garantia": claim})).await;
    assert_rejected(&approve, "invalid_transition");
    assert_eq!(params(&approve)["from"], json!("RECHAZADA"));
    assert_eq!(params(&approve)["changed_by"], json!(user_name(&world, world.admin.user_id()).await));
    assert_eq!(parse_time(&params(&approve)["changed_at"]), Some(rejected_at));
    let edit = world
        .sur
        .push_one(
            &device,
            "warranty.edit",
            json!({"id_garantia": claim, "edits": [{"field": "cantidad", "old": 1, "new": 2}]}),
        )
        .await;
    assert_rejected(&edit, "not_editable");
    assert_eq!(params(&edit)["estado"], json!("RECHAZADA"));
}

// ---------------------------------------------------------------------------------------------
// Notifications, accounts, locations
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn notification_read_marks_only_the_users_own_notifications() {
    let world = World::new().await;
    let (loc, part) = (world.locs[1], world.parts[13]);
    world.set_stock(loc, part, 0).await;
    assert_applied(
        &world
            .norte
            .push_one(
                &Device::new(),
                "movement.record",
                movement_args(loc, part, world.norte.user_id(), "salida", "salida", 1),
            )
            .await,
    );
    let notes = notifications(&world, "stock_negativo").await;
    assert_eq!(notes.len(), 1);
    let id = notes[0].id;
    let foreign = world.sur.push_one(&Device::new(), "notification.read", json!({"id_notificacion": id})).await;
    assert_rejected(&foreign, "not_found");
    assert_eq!(params(&foreign)["entity"], json!("notificacion"));
    let admin = world.admin.push_one(&Device::new(), "notification.read", json!({"id_notificacion": id})).await;
    assert_rejected(&admin, "not_found");
    assert!(!notifications(&world, "stock_negativo").await[0].leida, "still unread");
    let device = Device::new();
    assert_applied(&world.norte.push_one(&device, "notification.read", json!({"id_notificacion": id})).await);
    assert!(notifications(&world, "stock_negativo").await[0].leida);
    assert_applied(&world.norte.push_one(&device, "notification.read", json!({"id_notificacion": id})).await);
    assert!(notifications(&world, "stock_negativo").await[0].leida, "reading twice is fine");
    assert_rejected(
        &world.norte.push_one(&device, "notification.read", json!({"id_notificacion": Uuid::new_v4()})).await,
        "not_found",
    );
}

#[tokio::test]
async fn user_approve_lets_an_account_in_and_user_reject_ends_its_sessions() {
    let world = World::new().await;
    let pool = &world.db.pool;
    let anonymous = Api::anonymous(&world.server.base);
    let (status, body) = anonymous
        .post(
            "/v1/auth/register",
            json!({"nombre_completo": "Elena Nueva", "email": "elena@taller.test", "password": "una-clave-larga"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let elena = Uuid::parse_str(body["id_usuario"].as_str().expect("id")).expect("uuid");
    let (status, _) =
        anonymous.post("/v1/auth/login", json!({"email": "elena@taller.test", "password": "una-clave-larga"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not approved yet");

    let superuser = world.bodega.push_one(&Device::new(), "user.approve", json!({"id_usuario": elena})).await;
    assert_rejected(&superuser, "forbidden");
    assert_eq!(params(&superuser)["permission"], json!("users.manage"));
    assert_rejected(
        &world.norte.push_one(&Device::new(), "user.approve", json!({"id_usuario": elena})).await,
        "forbidden",
    );
    let device = Device::new();
    assert_rejected(
        &world.admin.push_one(&device, "user.approve", json!({"id_usuario": Uuid::new_v4()})).await,
        "not_found",
    );
    let approved_at = now_ms() - Duration::seconds(30);
    let approved = push_at(&world.admin, &device, "user.approve", json!({"id_usuario": elena}), approved_at).await;
    assert_applied(&approved);
    let row: (bool, Option<Uuid>, Option<DateTime<Utc>>, Option<String>) = sqlx::query_as(
        "SELECT aprobado, aprobado_por, fecha_aprobacion, motivo_rechazo FROM usuarios WHERE id_usuario = $1",
    )
    .bind(elena)
    .fetch_one(pool)
    .await
    .expect("user");
    assert_eq!(row, (true, Some(world.admin.user_id()), Some(approved_at), None));
    let session = Api::login(&world.server.base, "elena@taller.test", "una-clave-larga").await;
    let (status, me) = session.get("/v1/me").await;
    assert_eq!((status, me["id_usuario"].clone()), (StatusCode::OK, json!(elena)));

    for motivo in ["", "  "] {
        assert_rejected(
            &world.admin.push_one(&device, "user.reject", json!({"id_usuario": elena, "motivo_rechazo": motivo})).await,
            "reason_required",
        );
    }
    assert_rejected(
        &world
            .bodega
            .push_one(&Device::new(), "user.reject", json!({"id_usuario": elena, "motivo_rechazo": "x"}))
            .await,
        "forbidden",
    );
    assert_rejected(
        &world
            .admin
            .push_one(&device, "user.reject", json!({"id_usuario": world.admin.user_id(), "motivo_rechazo": "yo"}))
            .await,
        "invalid_arguments",
    );
    assert_eq!(session.get("/v1/me").await.0, StatusCode::OK, "rejections so far changed nothing");
    let rejected = world
        .admin
        .push_one(&device, "user.reject", json!({"id_usuario": elena, "motivo_rechazo": " Ya no trabaja aquí "}))
        .await;
    assert_applied(&rejected);
    let row: (bool, Option<Uuid>, Option<DateTime<Utc>>, Option<String>) = sqlx::query_as(
        "SELECT aprobado, aprobado_por, fecha_aprobacion, motivo_rechazo FROM usuarios WHERE id_usuario = $1",
    )
    .bind(elena)
    .fetch_one(pool)
    .await
    .expect("user");
    assert_eq!(row, (false, None, None, Some("Ya no trabaja aquí".into())));
    let (status, body) = session.get("/v1/me").await;
    assert!(
        matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN),
        "the old token stops working: {status} {body}"
    );
    let (status, _) =
        anonymous.post("/v1/auth/login", json!({"email": "elena@taller.test", "password": "una-clave-larga"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A signed-in demo user too: Sur's token stops working at once.
    assert_eq!(world.sur.get("/v1/me").await.0, StatusCode::OK);
    assert_applied(
        &world
            .admin
            .push_one(
                &device,
                "user.reject",
                json!({"id_usuario": world.sur.user_id(), "motivo_rechazo": "Cuenta duplicada"}),
            )
            .await,
    );
    let (status, _) = world.sur.get("/v1/me").await;
    assert!(matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN), "{status}");
    let (status, _) = world.sur.post("/v1/push", json!({"device_id": Uuid::new_v4(), "mutations": []})).await;
    assert!(matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN), "{status}");
}

#[tokio::test]
async fn user_assign_and_unassign_change_what_a_user_may_touch() {
    let world = World::new().await;
    let sur_loc = world.locs[2];
    let part = world.parts[14];
    let norte = world.norte.user_id();
    let stock = world.stock(sur_loc, part).await;
    let device = Device::new();
    let move_at_sur = || movement_args(sur_loc, part, norte, "ingreso", "ingreso", 1);
    assert_rejected(&world.norte.push_one(&device, "movement.record", move_at_sur()).await, "location_out_of_scope");
    let assignment = json!({"id_usuario": norte, "id_localizacion": sur_loc});
    for (api, name) in [(&world.bodega, "user.assign"), (&world.norte, "user.assign"), (&world.bodega, "user.unassign")]
    {
        assert_rejected(&api.push_one(&Device::new(), name, assignment.clone()).await, "forbidden");
    }
    let admin_device = Device::new();
    assert_rejected(
        &world
            .admin
            .push_one(&admin_device, "user.assign", json!({"id_usuario": Uuid::new_v4(), "id_localizacion": sur_loc}))
            .await,
        "not_found",
    );
    assert_rejected(
        &world
            .admin
            .push_one(&admin_device, "user.assign", json!({"id_usuario": norte, "id_localizacion": Uuid::new_v4()}))
            .await,
        "not_found",
    );
    assert_eq!(assignments(&world, norte).await, vec![world.locs[1]]);

    assert_applied(&world.admin.push_one(&admin_device, "user.assign", assignment.clone()).await);
    assert_applied(&world.admin.push_one(&admin_device, "user.assign", assignment.clone()).await);
    let mut expected = vec![world.locs[1], sur_loc];
    expected.sort();
    assert_eq!(assignments(&world, norte).await, expected, "assigning twice keeps one row");
    assert_applied(&world.norte.push_one(&device, "movement.record", move_at_sur()).await);
    assert_eq!(world.stock(sur_loc, part).await, stock + 1);

    assert_applied(&world.admin.push_one(&admin_device, "user.unassign", assignment.clone()).await);
    assert_eq!(assignments(&world, norte).await, vec![world.locs[1]]);
    assert_rejected(&world.norte.push_one(&device, "movement.record", move_at_sur()).await, "location_out_of_scope");
    assert_eq!(world.stock(sur_loc, part).await, stock + 1);
    assert_applied(&world.admin.push_one(&admin_device, "user.unassign", assignment).await);
}

#[tokio::test]
async fn rejection_messages_and_notifications_follow_the_users_language() {
    let world = World::new().await;
    let (loc, part) = (world.locs[1], world.parts[15]);
    let tech = world.norte.user_id();
    let mut english = world.norte.clone();
    english.lang = "en";
    let missing = Uuid::new_v4();
    let (missing_es, missing_en) =
        (format!("No existe repuesto {missing}."), format!("There is no repuesto {missing}."));
    let cases = [
        (
            "movement.record",
            movement_args(loc, part, tech, "venta", "ingreso", 1),
            "invalid_movement",
            "El concepto «venta» no admite el tipo «ingreso».",
            "The concept \"venta\" does not allow the type \"ingreso\".",
        ),
        (
            "movement.record",
            movement_args(loc, missing, tech, "salida", "salida", 1),
            "not_found",
            missing_es.as_str(),
            missing_en.as_str(),
        ),
        (
            "inventory.adjust",
            json!({"id_localizacion": loc, "id_repuesto": part, "delta": 1, "motivo": "x"}),
            "forbidden",
            "Su rol no tiene el permiso inventory.edit. Pida acceso a un administrador.",
            "Your role lacks the permission inventory.edit. Ask an administrator for access.",
        ),
        (
            "request.create",
            json!({"id_solicitud": Uuid::new_v4(), "id_localizacion_origen": world.locs[0], "id_localizacion_destino": loc, "lines": []}),
            "empty_request",
            "La solicitud no tiene líneas.",
            "The request has no lines.",
        ),
    ];
    let (es_device, en_device) = (Device::new(), Device::new());
    for (name, args, code, spanish, english_text) in cases {
        let es = world.norte.push_one(&es_device, name, args.clone()).await;
        assert_rejected(&es, code);
        assert_eq!(es.message.as_deref(), Some(spanish), "Spanish by default");
        let en = english.push_one(&en_device, name, args).await;
        assert_rejected(&en, code);
        assert_eq!(en.message.as_deref(), Some(english_text));
        assert_eq!(en.result, es.result, "the same facts in both languages");
    }
    // The negative-stock notification is written in the author's language too.
    world.set_stock(loc, part, 0).await;
    assert_applied(
        &english.push_one(&en_device, "movement.record", movement_args(loc, part, tech, "salida", "salida", 1)).await,
    );
    assert_applied(
        &world
            .norte
            .push_one(&es_device, "movement.record", movement_args(loc, part, tech, "salida", "salida", 1))
            .await,
    );
    let titles: Vec<String> = notifications(&world, "stock_negativo").await.into_iter().map(|n| n.titulo).collect();
    assert_eq!(titles.len(), 2);
    assert!(
        titles.contains(&"Negative stock".to_owned()) && titles.contains(&"Stock negativo".to_owned()),
        "{titles:?}"
    );
    // A re-sent rejection returns the recorded message, whatever the language of the retry.
    let envelope = es_device.envelope("movement.record", movement_args(loc, part, tech, "venta", "ingreso", 1));
    let first = world.norte.push(es_device.id, std::slice::from_ref(&envelope)).await;
    let again = english.push(es_device.id, &[envelope]).await;
    assert_eq!(first.outcomes, again.outcomes);
    assert_eq!(first.outcomes[0].status, OutcomeStatus::Rejected);
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Now, to the millisecond: survives the round trip through `timestamptz` unchanged.
fn now_ms() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

fn parse_time(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str().and_then(|text| DateTime::parse_from_rfc3339(text).ok()).map(|t| t.with_timezone(&Utc))
}

/// Pushes one mutation dated `at` (the person's time) and returns its outcome.
async fn push_at(api: &Api, device: &Device, name: &str, args: Value, at: DateTime<Utc>) -> Outcome {
    let envelope = device.envelope_at(name, args, at);
    let mut response = api.push(device.id, &[envelope]).await;
    assert_eq!(response.outcomes.len(), 1, "one outcome");
    response.outcomes.remove(0)
}

/// A rejection's facts.
fn params(outcome: &Outcome) -> &Value {
    &outcome.result["params"]
}

/// A count with one uuid parameter.
async fn scalar(world: &World, sql: &str, id: Uuid) -> i64 {
    sqlx::query_scalar(sql).bind(id).fetch_one(&world.db.pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn item_id(world: &World, loc: Uuid, part: Uuid) -> Uuid {
    sqlx::query_scalar("SELECT id_inventario FROM inventario WHERE id_localizacion = $1 AND id_repuesto = $2")
        .bind(loc)
        .bind(part)
        .fetch_one(&world.db.pool)
        .await
        .expect("inventory row")
}

/// A text column of a part ('' when NULL).
async fn part_text(world: &World, part: Uuid, column: &str) -> String {
    let value: Option<String> = sqlx::query_scalar(&format!("SELECT {column} FROM repuestos WHERE id_repuesto = $1"))
        .bind(part)
        .fetch_one(&world.db.pool)
        .await
        .expect("part");
    value.unwrap_or_default()
}

async fn user_name(world: &World, id: Uuid) -> String {
    sqlx::query_scalar("SELECT nombre_completo FROM usuarios WHERE id_usuario = $1")
        .bind(id)
        .fetch_one(&world.db.pool)
        .await
        .expect("user")
}

async fn estado(world: &World, request: Uuid) -> String {
    sqlx::query_scalar("SELECT estado FROM solicitudes WHERE id_solicitud = $1")
        .bind(request)
        .fetch_one(&world.db.pool)
        .await
        .expect("request")
}

async fn assignments(world: &World, user: Uuid) -> Vec<Uuid> {
    sqlx::query_scalar(
        "SELECT id_localizacion FROM usuarios_localizacion WHERE id_usuario = $1 ORDER BY id_localizacion",
    )
    .bind(user)
    .fetch_all(&world.db.pool)
    .await
    .expect("assignments")
}

/// (estado, cantidad, motivo_falla, id_usuario_reporta, fecha_reporte, fecha_resolucion, comentarios_resolucion)
type WarrantyRow = (String, i32, String, Uuid, DateTime<Utc>, Option<DateTime<Utc>>, Option<String>);

async fn warranty(world: &World, id: Uuid) -> WarrantyRow {
    sqlx::query_as(
        "SELECT estado, cantidad, motivo_falla, id_usuario_reporta, fecha_reporte, fecha_resolucion, comentarios_resolucion \
           FROM garantias WHERE id_garantia = $1",
    )
    .bind(id)
    .fetch_one(&world.db.pool)
    .await
    .expect("warranty")
}

/// (estado_anterior, estado_nuevo, id_usuario, fecha_cambio, comentario), in write order.
type TraceRow = (Option<String>, String, Uuid, DateTime<Utc>, Option<String>);

async fn trace(world: &World, request: Uuid) -> Vec<TraceRow> {
    sqlx::query_as(
        "SELECT t.estado_anterior, t.estado_nuevo, t.id_usuario, t.fecha_cambio, t.comentario FROM trazabilidad_solicitudes t \
          WHERE t.id_solicitud = $1 \
          ORDER BY (SELECT min(c.id) FROM sync_changes c WHERE c.tabla = 'trazabilidad_solicitudes' AND c.clave = t.id_trazabilidad::text)",
    )
    .bind(request)
    .fetch_all(&world.db.pool)
    .await
    .expect("trace")
}

#[derive(Debug)]
struct LedgerRow {
    tipo: String,
    anterior: i32,
    nueva: i32,
    diferencia: i32,
    motivo: Option<String>,
    detalles: Value,
    id_usuario: Uuid,
    fecha: DateTime<Utc>,
}

/// The ledger of one item that the test's actions wrote (the demo data's initial stock row left
/// out), in write order (the change feed's).
async fn ledger(world: &World, loc: Uuid, part: Uuid) -> Vec<LedgerRow> {
    type Row = (String, i32, i32, i32, Option<String>, Option<Value>, Uuid, DateTime<Utc>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT l.tipo_operacion, l.cantidad_anterior, l.cantidad_nueva, l.diferencia, l.motivo, l.detalles, l.id_usuario, l.fecha \
           FROM logs_inventario l JOIN inventario i USING (id_inventario) \
          WHERE i.id_localizacion = $1 AND i.id_repuesto = $2 \
            AND l.detalles IS DISTINCT FROM '{\"origen\": \"demo\"}'::jsonb \
          ORDER BY (SELECT min(c.id) FROM sync_changes c WHERE c.tabla = 'logs_inventario' AND c.clave = l.id_log::text)",
    )
    .bind(loc)
    .bind(part)
    .fetch_all(&world.db.pool)
    .await
    .expect("ledger");
    rows.into_iter()
        .map(|(tipo, anterior, nueva, diferencia, motivo, detalles, id_usuario, fecha)| LedgerRow {
            tipo,
            anterior,
            nueva,
            diferencia,
            motivo,
            detalles: detalles.unwrap_or(Value::Null),
            id_usuario,
            fecha,
        })
        .collect()
}

#[derive(Debug)]
struct ConflictRow {
    id_usuario: Uuid,
    tabla: String,
    clave: String,
    campo: Option<String>,
    reemplazado: Option<Value>,
    servidor: Option<Value>,
    nuevo: Option<Value>,
    otro_usuario: Option<Uuid>,
    detalles: Option<Value>,
    id_mutacion: Option<Uuid>,
}

/// The `conflictos` rows of one type.
async fn conflicts(world: &World, tipo: &str) -> Vec<ConflictRow> {
    type Row = (
        Uuid,
        String,
        String,
        Option<String>,
        Option<Value>,
        Option<Value>,
        Option<Value>,
        Option<Uuid>,
        Option<Value>,
        Option<Uuid>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id_usuario, tabla, clave, campo, valor_reemplazado, valor_servidor, valor_nuevo, otro_usuario, detalles, id_mutacion \
           FROM conflictos WHERE tipo = $1 ORDER BY created_at, id_usuario",
    )
    .bind(tipo)
    .fetch_all(&world.db.pool)
    .await
    .expect("conflicts");
    rows.into_iter()
        .map(|(id_usuario, tabla, clave, campo, reemplazado, servidor, nuevo, otro_usuario, detalles, id_mutacion)| {
            ConflictRow {
                id_usuario,
                tabla,
                clave,
                campo,
                reemplazado,
                servidor,
                nuevo,
                otro_usuario,
                detalles,
                id_mutacion,
            }
        })
        .collect()
}

#[derive(Debug)]
struct NotificationRow {
    id: Uuid,
    id_usuario: Uuid,
    id_localizacion: Option<Uuid>,
    titulo: String,
    mensaje: String,
    prioridad: String,
    leida: bool,
    datos: Option<Value>,
}

/// The notifications of one type, oldest first.
async fn notifications(world: &World, tipo: &str) -> Vec<NotificationRow> {
    type Row = (Uuid, Uuid, Option<Uuid>, String, String, String, bool, Option<Value>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id_notificacion, id_usuario, id_localizacion, titulo, mensaje, prioridad, leida, datos \
           FROM notificaciones WHERE tipo = $1 ORDER BY created_at, id_notificacion",
    )
    .bind(tipo)
    .fetch_all(&world.db.pool)
    .await
    .expect("notifications");
    rows.into_iter()
        .map(|(id, id_usuario, id_localizacion, titulo, mensaje, prioridad, leida, datos)| NotificationRow {
            id,
            id_usuario,
            id_localizacion,
            titulo,
            mensaje,
            prioridad,
            leida,
            datos,
        })
        .collect()
}
