//! Scooter models and order tracking against a real PostgreSQL through real HTTP: a level
//! never goes back and concurrent advances keep the highest (contract invariant 14), an
//! advance sent twice applies once, and every bad input is a rejection with its code and a
//! message in the person's language.

use crate::harness::*;
use chrono::{Duration, Utc};
use serde_json::{json, Value};
use taller_protocol::messages::Outcome;
use uuid::Uuid;

async fn new_model(world: &World) -> Uuid {
    let id = Uuid::new_v4();
    let created = world
        .admin
        .push_one(&Device::new(), "model.create", json!({"id_tipo": id, "nombre": "Urbano 350", "potencia": "350W"}))
        .await;
    assert_applied(&created);
    id
}

async fn new_order(world: &World, model: Uuid, numero: &str) -> Uuid {
    let id = Uuid::new_v4();
    let created = world
        .admin
        .push_one(
            &Device::new(),
            "order.create",
            json!({"id_orden": id, "numero_orden": numero, "id_tipo_scooter": model,
                   "email_contacto": "compras@taller.test", "fecha_entrega_estimada": "2026-12-20"}),
        )
        .await;
    assert_applied(&created);
    id
}

async fn level(world: &World, order: Uuid) -> (i32, String) {
    sqlx::query_as("SELECT nivel, estado FROM order_follow WHERE id_orden = $1")
        .bind(order)
        .fetch_one(&world.db.pool)
        .await
        .expect("order")
}

/// (user, otro_usuario, valor_servidor, valor_nuevo) of the `nivel_superado` conflicts of one order.
async fn superseded(world: &World, order: Uuid) -> Vec<(Uuid, Option<Uuid>, Option<Value>, Option<Value>)> {
    sqlx::query_as(
        "SELECT id_usuario, otro_usuario, valor_servidor, valor_nuevo FROM conflictos \
          WHERE tipo = 'nivel_superado' AND tabla = 'order_follow' AND clave = $1 ORDER BY created_at",
    )
    .bind(order.to_string())
    .fetch_all(&world.db.pool)
    .await
    .expect("conflicts")
}

fn advance(order: Uuid, nivel: i32) -> Value {
    json!({"id_orden": order, "nivel": nivel})
}

/// Bodega advances an order to "in transit" while offline; meanwhile the administrator marks
/// it delivered. When Bodega's device comes back, its advance is applied as an outcome (the
/// queue moves on) but changes nothing: the order stays delivered, Bodega gets a
/// `nivel_superado` conflict naming the administrator, and a replica pulls level 3. In the
/// other arrival order both advances apply and the order also ends delivered.
#[tokio::test]
async fn a_level_never_goes_back_and_concurrent_advances_keep_the_highest() {
    let world = World::new().await;
    let model = new_model(&world).await;
    let order = new_order(&world, model, "OC-2026-0101").await;
    assert_eq!(level(&world, order).await, (1, "Pedido".to_owned()));

    let offline = Device::new();
    let in_transit = offline.envelope_at("order.advance", advance(order, 2), Utc::now() - Duration::minutes(30));
    let delivered = world.admin.push_one(&Device::new(), "order.advance", advance(order, 3)).await;
    assert_applied(&delivered);
    assert_eq!(delivered.result["applied"], json!(true));
    assert_eq!(level(&world, order).await, (3, "Entregado".to_owned()));

    let late = world.bodega.push(offline.id, &[in_transit]).await.outcomes.remove(0);
    assert_applied(&late);
    assert_eq!((late.result["applied"].clone(), late.result["nivel"].clone()), (json!(false), json!(3)), "{late:?}");
    assert_eq!(late.result["conflicts"].as_array().map(Vec::len), Some(1), "{late:?}");
    assert_eq!(level(&world, order).await, (3, "Entregado".to_owned()), "a level never goes back");
    assert_eq!(
        superseded(&world, order).await,
        [(world.bodega.user_id(), Some(world.admin.user_id()), Some(json!(3)), Some(json!(2)))]
    );
    let mut replica = Replica::default();
    replica.sync(&world.bodega, None).await;
    let row = replica.get("order_follow", &order.to_string()).expect("the order reaches the replica");
    assert_eq!(Replica::value(row, "order_follow", "nivel"), &json!(3));

    // The other arrival order: both advances apply, the order ends delivered, no conflict.
    let other = new_order(&world, model, "OC-2026-0102").await;
    assert_applied(&world.bodega.push_one(&Device::new(), "order.advance", advance(other, 2)).await);
    assert_applied(&world.admin.push_one(&Device::new(), "order.advance", advance(other, 3)).await);
    assert_eq!(level(&world, other).await.0, 3);
    assert!(superseded(&world, other).await.is_empty());

    // Truly at once, from two devices: whichever wins the row lock, the order ends delivered,
    // and only an advance that found level 3 is reported.
    let raced = new_order(&world, model, "OC-2026-0103").await;
    let (a, b) = (Device::new(), Device::new());
    let (to_2, to_3) = tokio::join!(
        world.bodega.push_one(&a, "order.advance", advance(raced, 2)),
        world.admin.push_one(&b, "order.advance", advance(raced, 3)),
    );
    assert_applied(&to_2);
    assert_applied(&to_3);
    assert_eq!(to_3.result["applied"], json!(true), "3 is above either level it may find");
    assert_eq!(level(&world, raced).await.0, 3);
    let reported = superseded(&world, raced).await.len();
    assert_eq!(reported, usize::from(to_2.result["applied"] == json!(false)), "{to_2:?}");
}

/// The same advance pushed twice (a response lost, the device sends again) applies once: the
/// second answer is the recorded outcome, and no conflict says the order was already there.
#[tokio::test]
async fn an_order_advance_sent_twice_applies_once() {
    let world = World::new().await;
    let model = new_model(&world).await;
    let order = new_order(&world, model, "OC-2026-0201").await;
    let device = Device::new();
    let envelope =
        device.envelope("order.advance", json!({"id_orden": order, "nivel": 2, "estado": "Salió de Valencia"}));
    let first: Outcome = world.bodega.push(device.id, std::slice::from_ref(&envelope)).await.outcomes.remove(0);
    let again: Outcome = world.bodega.push(device.id, std::slice::from_ref(&envelope)).await.outcomes.remove(0);
    assert_applied(&first);
    assert_eq!(first.result["applied"], json!(true));
    assert_eq!((again.status, again.result.clone(), again.txid.clone()), (first.status, first.result, first.txid));
    assert_eq!(level(&world, order).await, (2, "Salió de Valencia".to_owned()));
    assert!(superseded(&world, order).await.is_empty(), "applied once, not found at its own level");
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_mutations WHERE id_mutacion = $1")
        .bind(envelope.id)
        .fetch_one(&world.db.pool)
        .await
        .expect("recorded");
    assert_eq!(recorded, 1);
}

/// Models and orders are the whole network's: a technician (no `inventory.edit`) may read
/// them but not change them. Bad input is refused with its code and a message in Spanish or
/// English, and nothing is written; a stale edit of a model applies with a conflict.
#[tokio::test]
async fn models_and_orders_refuse_bad_input_and_roles_without_inventory_edit() {
    let world = World::new().await;
    let model = new_model(&world).await;
    let order = new_order(&world, model, "OC-2026-0301").await;
    let device = Device::new();

    let forbidden = world
        .norte
        .push_one(&device, "model.create", json!({"id_tipo": Uuid::new_v4(), "nombre": "X", "potencia": "1W"}))
        .await;
    assert_rejected(&forbidden, "forbidden");
    assert!(forbidden.message.as_deref().is_some_and(|m| m.contains("inventory.edit")), "{forbidden:?}");
    assert_rejected(&world.norte.push_one(&device, "order.advance", advance(order, 2)).await, "forbidden");

    let admin = &world.admin;
    let device = Device::new();
    let missing = Uuid::new_v4();
    let no_model = admin
        .push_one(
            &device,
            "order.create",
            json!({"id_orden": Uuid::new_v4(), "numero_orden": "OC-X", "id_tipo_scooter": missing}),
        )
        .await;
    assert_rejected(&no_model, "not_found");
    assert_eq!(no_model.result["params"]["id"], json!(missing.to_string()), "{no_model:?}");
    let mut english = world.admin.clone();
    english.lang = "en";
    let bad_email = english
        .push_one(
            &device,
            "order.create",
            json!({"id_orden": Uuid::new_v4(), "numero_orden": "OC-Y", "id_tipo_scooter": model, "email_contacto": "compras"}),
        )
        .await;
    assert_rejected(&bad_email, "value_not_allowed");
    assert_eq!(bad_email.message.as_deref(), Some("The value of the field \"email_contacto\" is not allowed."));
    let spanish = admin.push_one(&device, "order.advance", advance(order, 4)).await;
    assert_rejected(&spanish, "value_not_allowed");
    assert_eq!(spanish.message.as_deref(), Some("El valor del campo «nivel» no está permitido."));
    assert_rejected(&admin.push_one(&device, "order.advance", advance(missing, 2)).await, "not_found");
    let level_by_edit = admin
        .push_one(&device, "order.edit", json!({"id_orden": order, "edits": [{"field": "nivel", "old": 1, "new": 3}]}))
        .await;
    assert_rejected(&level_by_edit, "unknown_field");
    let bad_eta = admin
        .push_one(
            &device,
            "order.edit",
            json!({"id_orden": order, "edits": [
                {"field": "telefono_contacto", "old": null, "new": "600 000 000"},
                {"field": "fecha_entrega_estimada", "old": "2026-12-20", "new": "pronto"}]}),
        )
        .await;
    assert_rejected(&bad_eta, "invalid_arguments");
    let untouched: (Option<String>, Option<String>) =
        sqlx::query_as("SELECT telefono_contacto, fecha_entrega_estimada::text FROM order_follow WHERE id_orden = $1")
            .bind(order)
            .fetch_one(&world.db.pool)
            .await
            .expect("order");
    assert_eq!(untouched, (None, Some("2026-12-20".to_owned())), "nothing of a refused edit is written");
    assert_eq!(level(&world, order).await.0, 1);

    let edited = admin
        .push_one(
            &device,
            "order.edit",
            json!({"id_orden": order, "edits": [
                {"field": "telefono_contacto", "old": null, "new": " 600 000 000 "},
                {"field": "fecha_entrega_estimada", "old": "2026-12-20", "new": "2026-12-24"}]}),
        )
        .await;
    assert_applied(&edited);
    let contact: (Option<String>, Option<String>) =
        sqlx::query_as("SELECT telefono_contacto, fecha_entrega_estimada::text FROM order_follow WHERE id_orden = $1")
            .bind(order)
            .fetch_one(&world.db.pool)
            .await
            .expect("order");
    assert_eq!(contact, (Some("600 000 000".to_owned()), Some("2026-12-24".to_owned())));

    // Bodega renames the model from what it saw before the administrator's edit.
    let renamed = admin
        .push_one(
            &device,
            "model.edit",
            json!({"id_tipo": model, "edits": [{"field": "potencia", "old": "350W", "new": "500W"}]}),
        )
        .await;
    assert_applied(&renamed);
    let stale = world
        .bodega
        .push_one(
            &Device::new(),
            "model.edit",
            json!({"id_tipo": model, "edits": [{"field": "potencia", "old": "350W", "new": "400W"}]}),
        )
        .await;
    assert_applied(&stale);
    assert_eq!(stale.result["conflicts"].as_array().map(Vec::len), Some(1), "{stale:?}");
    let potencia: String = sqlx::query_scalar("SELECT potencia FROM scooter_types WHERE id_tipo = $1")
        .bind(model)
        .fetch_one(&world.db.pool)
        .await
        .expect("model");
    assert_eq!(potencia, "400W", "the server's order decides");
    let empty_name = admin
        .push_one(
            &device,
            "model.edit",
            json!({"id_tipo": model, "edits": [{"field": "nombre", "old": "Urbano 350", "new": " "}]}),
        )
        .await;
    assert_rejected(&empty_name, "invalid_arguments");
    let reused =
        admin.push_one(&device, "model.create", json!({"id_tipo": model, "nombre": "Otro", "potencia": "1W"})).await;
    assert_rejected(&reused, "already_exists");
}
