//! Contract invariant 13, second half: ordinary contention between devices (the same items, in
//! any order) never stops a push.

use crate::harness::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use taller_protocol::mutations::MutationEnvelope;
use tokio::sync::Barrier;
use uuid::Uuid;

/// Issue 8.6: five devices push the same items at the same moment, each round in opposite
/// orders: technicians' pairs of movements ([A, B] against [B, A], one at a time), an
/// administrator's mixed churn (adjustments, settings, part edits and movements, forwards
/// against backwards), and a run of movements long enough to go set-based. No push is
/// stopped, every mutation applies once, and the stock is the sum of what was pushed.
#[tokio::test]
async fn devices_pushing_the_same_items_in_opposite_orders_are_never_stopped() {
    let world = World::new().await;
    let norte = world.locs[1];
    let items: Vec<Uuid> = world.parts[10..14].to_vec();
    let tech = world.norte.user_id();
    let mut expected: HashMap<Uuid, i32> = HashMap::new();
    for part in &items {
        expected.insert(*part, world.stock(norte, *part).await);
    }
    let devices: Vec<(Api, Device)> = vec![
        (world.norte.clone(), Device::new()),
        (world.norte.clone(), Device::new()),
        (world.admin.clone(), Device::new()),
        (world.admin.clone(), Device::new()),
        (world.admin.clone(), Device::new()),
    ];
    let devices = Arc::new(devices);
    let rounds = 20;
    let mut stopped = 0;
    let mut failed = Vec::new();
    let mut pushes = 0;
    for round in 0..rounds {
        let barrier = Arc::new(Barrier::new(devices.len()));
        let mut tasks = Vec::new();
        for (n, (api, device)) in devices.iter().enumerate() {
            let forwards = (n + round) % 2 == 0;
            let mut order = items.clone();
            if !forwards {
                order.reverse();
            }
            let movement = |part: Uuid| {
                device.envelope("movement.record", movement_args(norte, part, tech, "ingreso", "ingreso", 1))
            };
            let batch: Vec<MutationEnvelope> = match n {
                // One at a time: two movements.
                0 | 1 => vec![movement(order[0]), movement(order[3])],
                // Mixed churn on every item.
                2 | 3 => order
                    .iter()
                    .flat_map(|&part| {
                        [
                            device.envelope(
                                "inventory.adjust",
                                json!({"id_localizacion": norte, "id_repuesto": part, "delta": 1, "motivo": "recuento"}),
                            ),
                            device.envelope(
                                "inventory.settings",
                                json!({"id_localizacion": norte, "id_repuesto": part,
                                       "edits": [{"field": "posicion", "old": null, "new": format!("E{round}-{n}")}]}),
                            ),
                            device.envelope(
                                "part.edit",
                                json!({"id_repuesto": part,
                                       "edits": [{"field": "marca", "old": null, "new": format!("M{round}-{n}")}]}),
                            ),
                            movement(part),
                        ]
                    })
                    .collect(),
                // A run: set-based.
                _ => order.iter().chain(order.iter()).map(|&part| movement(part)).collect(),
            };
            for envelope in &batch {
                let delta = match envelope.name.as_str() {
                    "movement.record" | "inventory.adjust" => 1,
                    _ => 0,
                };
                let part: Uuid = serde_json::from_value(envelope.args["id_repuesto"].clone()).expect("part");
                *expected.entry(part).or_default() += delta;
            }
            let (api, barrier, id) = (api.clone(), barrier.clone(), device.id);
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let answer = api.post("/v1/push", json!({"device_id": id, "mutations": batch})).await;
                (batch.len(), answer)
            }));
        }
        for task in tasks {
            let (sent, (status, body)) = task.await.expect("task");
            pushes += 1;
            if status != StatusCode::OK {
                failed.push(format!("round {round}: {status} {body}"));
                continue;
            }
            if !body["stopped"].is_null() {
                stopped += 1;
                continue;
            }
            let outcomes = body["outcomes"].as_array().cloned().unwrap_or_default();
            assert_eq!(outcomes.len(), sent, "round {round}: {body}");
            let refused: Vec<&Value> = outcomes.iter().filter(|o| o["status"] != "applied").collect();
            assert!(refused.is_empty(), "round {round}: every mutation applies: {refused:?}");
        }
    }
    eprintln!("contention: {stopped} of {pushes} pushes stopped, {} failed", failed.len());
    assert!(failed.is_empty(), "no push fails: {failed:?}");
    assert_eq!(stopped, 0, "no push is stopped by contention ({stopped} of {pushes})");
    for part in &items {
        assert_eq!(world.stock(norte, *part).await, expected[part], "every change counted once");
    }
    world.assert_ledger_consistent().await;
}
