//! Counts at a location with the `reject` negative-stock policy (issue 8.4), over real HTTP
//! pushes from several devices. Under `reject` a movement is accepted or refused once, when it
//! arrives, against the stock of that moment; a count is never refused; when a late count plus
//! the movements dated after it that were already accepted leaves the stock negative, the stock
//! stays as computed and the counter and those movements' authors get a `stock_negativo`
//! conflict and notification. And a count line never has more loose parts than units.

use crate::harness::*;
use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde_json::{json, Value};
use taller_protocol::messages::Outcome;
use uuid::Uuid;

/// Now, to the millisecond: survives the round trip through `timestamptz` unchanged.
fn now_ms() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

async fn push_batch(api: &Api, device: &Device, batch: &[(&str, Value, DateTime<Utc>)]) -> Vec<Outcome> {
    let envelopes: Vec<_> = batch.iter().map(|(name, args, at)| device.envelope_at(name, args.clone(), *at)).collect();
    let response = api.push(device.id, &envelopes).await;
    assert!(response.stopped.is_none(), "{:?}", response.stopped);
    assert_eq!(response.outcomes.len(), batch.len());
    response.outcomes
}

async fn item_id(world: &World, loc: Uuid, part: Uuid) -> Uuid {
    sqlx::query_scalar("SELECT id_inventario FROM inventario WHERE id_localizacion = $1 AND id_repuesto = $2")
        .bind(loc)
        .bind(part)
        .fetch_one(&world.db.pool)
        .await
        .expect("inventory row")
}

/// A negative-stock conflict as stored: (id_usuario, clave, valor_reemplazado, valor_servidor,
/// valor_nuevo, otro_usuario, detalles, id_mutacion).
type Conflict = (Uuid, String, Option<Value>, Option<Value>, Option<Value>, Option<Uuid>, Option<Value>, Option<Uuid>);

async fn negative_conflicts(world: &World) -> Vec<Conflict> {
    sqlx::query_as(
        "SELECT id_usuario, clave, valor_reemplazado, valor_servidor, valor_nuevo, otro_usuario, detalles, id_mutacion \
           FROM conflictos WHERE tipo = 'stock_negativo' AND tabla = 'inventario' ORDER BY created_at, id_usuario",
    )
    .fetch_all(&world.db.pool)
    .await
    .expect("conflicts")
}

/// (id_usuario, id_localizacion, titulo, mensaje, datos) of the negative-stock notifications.
type Notification = (Uuid, Option<Uuid>, String, String, Option<Value>);

async fn negative_notifications(world: &World) -> Vec<Notification> {
    sqlx::query_as(
        "SELECT id_usuario, id_localizacion, titulo, mensaje, datos FROM notificaciones \
          WHERE tipo = 'stock_negativo' ORDER BY created_at, id_usuario",
    )
    .fetch_all(&world.db.pool)
    .await
    .expect("notifications")
}

/// Taller Norte refusing negative stock, with the warehouse keeper (counter) and both
/// technicians assigned to it, and `parts` at 5 units each there, set by adjustments dated
/// well before `t`.
async fn reject_location(world: &World, parts: &[Uuid], t: DateTime<Utc>) -> Uuid {
    let loc = world.locs[1];
    let admin_device = Device::new();
    for user in [world.bodega.user_id(), world.sur.user_id()] {
        let assign = world
            .admin
            .push_one(&admin_device, "user.assign", json!({"id_usuario": user, "id_localizacion": loc}))
            .await;
        assert_applied(&assign);
    }
    for &part in parts {
        let stock: i32 =
            sqlx::query_scalar("SELECT stock_actual FROM inventario WHERE id_localizacion = $1 AND id_repuesto = $2")
                .bind(loc)
                .bind(part)
                .fetch_one(&world.db.pool)
                .await
                .expect("stock");
        if stock != 5 {
            let args = json!({"id_localizacion": loc, "id_repuesto": part, "delta": 5 - stock, "motivo": "inventario inicial"});
            let envelope = admin_device.envelope_at("inventory.adjust", args, t - Duration::hours(1));
            let response = world.admin.push(admin_device.id, &[envelope]).await;
            assert_applied(&response.outcomes[0]);
        }
        assert_eq!(world.stock(loc, part).await, 5);
    }
    let policy = world
        .admin
        .push_one(&admin_device, "location.policy", json!({"id_localizacion": loc, "stock_negativo": "reject"}))
        .await;
    assert_applied(&policy);
    loc
}

fn count_batch(count: Uuid, loc: Uuid, parts: &[Uuid], t: DateTime<Utc>) -> Vec<(&'static str, Value, DateTime<Utc>)> {
    let mut batch =
        vec![("count.start", json!({"id_conteo": count, "id_localizacion": loc}), t - Duration::minutes(1))];
    for &part in parts {
        batch.push((
            "count.line",
            json!({"id_detalle_conteo": Uuid::new_v4(), "id_conteo": count, "id_repuesto": part, "cantidad_csa": 2}),
            t,
        ));
    }
    batch.push(("count.close", json!({"id_conteo": count}), t + Duration::minutes(3)));
    batch
}

fn take_five(loc: Uuid, part: Uuid, technician: Uuid) -> Value {
    movement_args(loc, part, technician, "salida", "salida", 5)
}

/// The scenario: two parts at 5 at a `reject` location; a count of 2 for each is closed
/// on the warehouse keeper's device; on two technicians' devices 5 of each leave, dated after
/// the counted moment; pushed in the order first technician, counter, second technician. The
/// first movement was accepted against the stock of its arrival (5), so the count lands on it:
/// 2 - 5 = -3 stays, and the counter and the first technician get a conflict and a
/// notification. The second movement arrives at 2 and is refused.
#[tokio::test]
async fn a_late_count_at_a_reject_location_keeps_the_computed_stock_with_a_conflict_for_everyone_involved() {
    let world = World::new().await;
    let (part_a, part_b) = (world.parts[3], world.parts[4]);
    let t = now_ms() - Duration::minutes(30);
    let loc = reject_location(&world, &[part_a, part_b], t).await;
    let (counter, first, second) = (world.bodega.user_id(), world.norte.user_id(), world.sur.user_id());
    let (counter_device, first_device, second_device) = (Device::new(), Device::new(), Device::new());
    let count = Uuid::new_v4();

    let took_a = push_batch(
        &world.norte,
        &first_device,
        &[("movement.record", take_five(loc, part_a, first), t + Duration::minutes(1))],
    )
    .await;
    assert_applied(&took_a[0]);
    assert_eq!(took_a[0].result["stock_actual"], json!(0));

    let counted = push_batch(&world.bodega, &counter_device, &count_batch(count, loc, &[part_a, part_b], t)).await;
    for outcome in &counted {
        assert_applied(outcome);
    }
    let close = counted.last().expect("close outcome");
    assert_eq!(close.result["lineas_ajustadas"], json!(2));

    let took_b = push_batch(
        &world.sur,
        &second_device,
        &[("movement.record", take_five(loc, part_b, second), t + Duration::minutes(2))],
    )
    .await;
    assert_rejected(&took_b[0], "insufficient_stock");
    assert_eq!(
        (took_b[0].result["params"]["available"].clone(), took_b[0].result["params"]["requested"].clone()),
        (json!(2), json!(5))
    );

    assert_eq!(world.stock(loc, part_a).await, -3, "2 counted, then the 5 that left after the count");
    assert_eq!(world.stock(loc, part_b).await, 2, "2 counted; the later movement was refused on arrival");

    let item_a = item_id(&world, loc, part_a).await.to_string();
    let entries = negative_conflicts(&world).await;
    assert_eq!(entries.len(), 2, "the counter and the first technician: {entries:?}");
    for (who, otro) in [(counter, None), (first, Some(counter))] {
        let entry = entries.iter().find(|e| e.0 == who).unwrap_or_else(|| panic!("a conflict for {who}: {entries:?}"));
        assert_eq!(entry.1, item_a, "on part A's item");
        assert_eq!(
            (entry.2.clone(), entry.3.clone(), entry.4.clone()),
            (Some(json!(0)), Some(json!(-3)), Some(json!(-3)))
        );
        assert_eq!(entry.5, otro, "the technician is told who counted");
        assert_eq!(entry.7, Some(close.id), "raised by the count's closing");
        let detalles = entry.6.clone().unwrap_or_default();
        assert_eq!((detalles["id_conteo"].clone(), detalles["id_repuesto"].clone()), (json!(count), json!(part_a)));
    }
    assert_eq!(close.result["conflicts"].as_array().map(Vec::len), Some(2), "{:?}", close.result);

    let notes = negative_notifications(&world).await;
    assert_eq!(notes.len(), 2, "{notes:?}");
    for who in [counter, first] {
        let note = notes.iter().find(|n| n.0 == who).unwrap_or_else(|| panic!("a notification for {who}: {notes:?}"));
        assert_eq!((note.1, note.2.as_str()), (Some(loc), "Stock negativo"));
        assert!(note.3.contains("-3") && note.3.contains("conteo"), "{}", note.3);
        let datos = note.4.clone().unwrap_or_default();
        assert_eq!((datos["stock_actual"].clone(), datos["id_conteo"].clone()), (json!(-3), json!(count)));
    }

    // Each reviewer's replica gets their own entry; the second technician's gets none.
    for (api, wanted) in [(&world.bodega, 1), (&world.norte, 1), (&world.sur, 0)] {
        let mut replica = Replica::default();
        replica.sync(api, None).await;
        let mine = replica
            .table("conflictos")
            .filter(|row| Replica::value(row, "conflictos", "tipo").as_str() == Some("stock_negativo"));
        assert_eq!(mine.count(), wanted);
    }
    world.assert_ledger_consistent().await;
}

/// Every arrival order of the scenario's three pushes, each on its own two parts. Which
/// movements are accepted depends on the order (first come, first served), but the final stock
/// is always the count plus the accepted movements dated after it, and stock is negative only
/// with a conflict for the counter and the accepted movement's author.
#[tokio::test]
async fn at_a_reject_location_the_stock_follows_from_the_accepted_movements_in_every_arrival_order() {
    let world = World::new().await;
    let t = now_ms() - Duration::minutes(30);
    let orders = ["FCS", "FSC", "CFS", "CSF", "SFC", "SCF"];
    let parts: Vec<Uuid> = world.parts[10..10 + 2 * orders.len()].to_vec();
    let loc = reject_location(&world, &parts, t).await;
    let (counter, first, second) = (world.bodega.user_id(), world.norte.user_id(), world.sur.user_id());
    let mut negative_items = Vec::new();
    for (i, order) in orders.iter().enumerate() {
        let (part_a, part_b) = (parts[2 * i], parts[2 * i + 1]);
        let count = Uuid::new_v4();
        let mut accepted = [false, false];
        let mut close_conflicts = 0;
        for event in order.chars() {
            match event {
                'F' => {
                    let outcome = push_batch(
                        &world.norte,
                        &Device::new(),
                        &[("movement.record", take_five(loc, part_a, first), t + Duration::minutes(1))],
                    )
                    .await;
                    accepted[0] = outcome[0].status == taller_protocol::messages::OutcomeStatus::Applied;
                }
                'S' => {
                    let outcome = push_batch(
                        &world.sur,
                        &Device::new(),
                        &[("movement.record", take_five(loc, part_b, second), t + Duration::minutes(2))],
                    )
                    .await;
                    accepted[1] = outcome[0].status == taller_protocol::messages::OutcomeStatus::Applied;
                }
                'C' => {
                    let outcomes =
                        push_batch(&world.bodega, &Device::new(), &count_batch(count, loc, &[part_a, part_b], t)).await;
                    for outcome in &outcomes {
                        assert_applied(outcome);
                    }
                    close_conflicts =
                        outcomes.last().and_then(|o| o.result["conflicts"].as_array().map(Vec::len)).unwrap_or(0);
                }
                other => panic!("unknown event {other}"),
            }
        }
        // A movement is accepted exactly when it arrives before the count (5 on the shelf).
        let counted_first = |movement: char| order.find('C') < order.find(movement);
        assert_eq!(accepted, [!counted_first('F'), !counted_first('S')], "order {order}");
        for (k, part) in [part_a, part_b].into_iter().enumerate() {
            let expected = 2 - if accepted[k] { 5 } else { 0 };
            assert_eq!(world.stock(loc, part).await, expected, "order {order}, part {k}");
            if expected < 0 {
                negative_items
                    .push((item_id(&world, loc, part).await.to_string(), if k == 0 { first } else { second }));
            }
        }
        assert_eq!(close_conflicts, 2 * accepted.iter().filter(|a| **a).count(), "order {order}");
    }
    // Stock went negative only on items with an accepted movement before the count, and each
    // such item has exactly the counter's and its author's conflicts.
    let entries = negative_conflicts(&world).await;
    assert_eq!(entries.len(), 2 * negative_items.len(), "{entries:?}");
    for (item, author) in &negative_items {
        let mut who: Vec<Uuid> = entries.iter().filter(|e| &e.1 == item).map(|e| e.0).collect();
        who.sort();
        let mut want = vec![counter, *author];
        want.sort();
        assert_eq!(who, want, "item {item}");
    }
    let below_zero: i64 =
        sqlx::query_scalar("SELECT count(*) FROM inventario WHERE id_localizacion = $1 AND stock_actual < 0")
            .bind(loc)
            .fetch_one(&world.db.pool)
            .await
            .expect("negative items");
    assert_eq!(below_zero, negative_items.len() as i64);
    world.assert_ledger_consistent().await;
}

/// `cantidad_pq` (small loose parts) larger than the counted quantity is bad input: the line
/// is refused with a code and the facts, and writes nothing. A line stored that way before the
/// rule (or by another application) makes the closing refuse too, until it is recounted.
#[tokio::test]
async fn a_count_line_with_more_loose_parts_than_units_is_refused() {
    let world = World::new().await;
    let pool = &world.db.pool;
    let (loc, part, other) = (world.locs[0], world.parts[5], world.parts[6]);
    let device = Device::new();
    let count = Uuid::new_v4();
    assert_applied(
        &world.bodega.push_one(&device, "count.start", json!({"id_conteo": count, "id_localizacion": loc})).await,
    );
    let stock_before = world.stock(loc, part).await;

    let line = Uuid::new_v4();
    let refused = world
        .bodega
        .push_one(
            &device,
            "count.line",
            json!({"id_detalle_conteo": line, "id_conteo": count, "id_repuesto": part, "cantidad_csa": 0, "cantidad_pq": 3}),
        )
        .await;
    assert_rejected(&refused, "invalid_arguments");
    let params = &refused.result["params"];
    assert_eq!((params["cantidad_csa"].clone(), params["cantidad_pq"].clone()), (json!(0), json!(3)));
    assert!(refused.message.as_deref().is_some_and(|m| m.contains("cantidad_pq")), "{refused:?}");
    let lines: i64 = sqlx::query_scalar("SELECT count(*) FROM detalles_conteo WHERE id_conteo = $1")
        .bind(count)
        .fetch_one(pool)
        .await
        .expect("lines");
    assert_eq!(lines, 0, "a refused line writes nothing");

    // As many loose parts as units is a shelf of loose parts only: fixed at zero.
    let equal = world
        .bodega
        .push_one(
            &device,
            "count.line",
            json!({"id_detalle_conteo": line, "id_conteo": count, "id_repuesto": part, "cantidad_csa": 3, "cantidad_pq": 3}),
        )
        .await;
    assert_applied(&equal);

    // A line of another part stored directly with more loose parts than units.
    let sistema = world.stock(loc, other).await;
    sqlx::query(
        "INSERT INTO detalles_conteo (id_conteo, id_repuesto, cantidad_sistema, cantidad_csa, cantidad_pq, diferencia) \
         VALUES ($1, $2, $3, 1, 4, $3 + 4 - 1)",
    )
    .bind(count)
    .bind(other)
    .bind(sistema)
    .execute(pool)
    .await
    .expect("a line written by another application");
    let close = world.bodega.push_one(&device, "count.close", json!({"id_conteo": count})).await;
    assert_rejected(&close, "invalid_arguments");
    assert_eq!(close.result["params"]["id_repuesto"], json!(other.to_string()));
    let counted_rows: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM logs_inventario WHERE tipo_operacion = 'CONTEO_FISICO' AND detalles->>'id_conteo' = $1",
    )
    .bind(count.to_string())
    .fetch_one(pool)
    .await
    .expect("count rows");
    assert_eq!(counted_rows, 0, "a refused closing writes no ledger row");
    assert_eq!(world.stock(loc, part).await, stock_before);

    // Recounting the bad line lets the count close.
    let recount = world
        .bodega
        .push_one(
            &device,
            "count.line",
            json!({"id_detalle_conteo": Uuid::new_v4(), "id_conteo": count, "id_repuesto": other, "cantidad_csa": 4, "cantidad_pq": 1}),
        )
        .await;
    assert_applied(&recount);
    assert_applied(&world.bodega.push_one(&device, "count.close", json!({"id_conteo": count})).await);
    assert_eq!((world.stock(loc, part).await, world.stock(loc, other).await), (0, 3));
    world.assert_ledger_consistent().await;
}
