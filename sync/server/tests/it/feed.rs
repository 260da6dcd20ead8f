//! The change feed: contract invariants 4 (no gaps), 5 (whole transactions), 6 (scope),
//! 7 (convergence) and 9 (stateless servers), external writes, paged and resumable initial
//! sync, compression, and cursor validation.

use crate::harness::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use taller_protocol::cursor::{Cursor, Scope, Snapshot};
use taller_protocol::messages::{Outcome, OutcomeStatus, PullResponse, TableChanges};
use taller_protocol::mutations::MutationEnvelope;
use taller_protocol::tables::{self, TABLES};
use tokio::io::{AsyncBufReadExt, BufReader};
use uuid::Uuid;

// ---------------------------------------------------------------- invariant 4: no gaps

/// Eight devices push small batches of movements and adjustments over HTTP while three
/// "other applications" hold stock updates open for a few milliseconds before committing, so
/// transactions commit out of txid order and are in flight whenever a delta's snapshot is
/// taken. A reader keeps syncing with pages of 7 rows. After every applied delta the replica's
/// stock equals its starting stock plus the ledger rows it holds (a skipped transaction breaks
/// that), and at the end it holds every movement and ledger row of the database and matches the
/// server's checksums. A "highest txid seen" cursor fails this test.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_committed_change_is_skipped_under_concurrent_writers() {
    let world = World::new().await;
    let hot: Vec<Uuid> = world.parts[..6].to_vec();
    for loc in world.locs {
        for part in &hot {
            world.set_stock(loc, *part, 10_000).await;
        }
    }
    let mut reader = Replica::default();
    reader.sync(&world.admin, None).await;
    let start_stock = replica_stock(&reader);
    let start_logs: HashSet<String> = keys(&reader, "logs_inventario");

    // The writers run until there was enough concurrency to prove something (counted below),
    // for at least 3 s and at most 90 s: how long that takes depends on the machine's load,
    // what the test proves does not.
    let stop = Arc::new(AtomicBool::new(false));
    let applied_so_far = Arc::new(AtomicUsize::new(0));
    let commits_so_far = Arc::new(AtomicUsize::new(0));
    let deltas_so_far = Arc::new(AtomicUsize::new(0));
    let in_flight_so_far = Arc::new(AtomicUsize::new(0));
    // (who, location index or None for "any", may adjust)
    let plans: Vec<(Api, Option<usize>, bool)> = vec![
        (world.norte.clone(), Some(1), false),
        (world.norte.clone(), Some(1), false),
        (world.sur.clone(), Some(2), false),
        (world.sur.clone(), Some(2), false),
        (world.bodega.clone(), Some(0), true),
        (world.bodega.clone(), Some(0), true),
        (world.admin.clone(), None, true),
        (world.admin.clone(), None, true),
    ];
    let writers_n = plans.len();
    let mut writers = Vec::new();
    for (i, (api, loc, may_adjust)) in plans.into_iter().enumerate() {
        let locs = world.locs;
        let hot = hot.clone();
        let (stop, applied_so_far) = (stop.clone(), applied_so_far.clone());
        writers.push(tokio::spawn(async move {
            let device = Device::new();
            let mut rng = StdRng::seed_from_u64(i as u64);
            let me = api.user_id();
            let (mut applied, mut batches) = (0usize, 0usize);
            while !stop.load(Ordering::SeqCst) && batches < 4000 {
                // Sorted by (location, part): batches lock inventory rows in one global order,
                // so concurrent batches never deadlock.
                let mut targets: Vec<(usize, usize)> = (0..rng.gen_range(1..=3))
                    .map(|_| (loc.unwrap_or_else(|| rng.gen_range(0..3)), rng.gen_range(0..hot.len())))
                    .collect();
                targets.sort_unstable();
                let batch: Vec<MutationEnvelope> = targets
                    .into_iter()
                    .map(|(l, p)| {
                        if may_adjust && rng.gen_bool(0.5) {
                            let delta = rng.gen_range(1..=3) * if rng.gen_bool(0.5) { 1 } else { -1 };
                            device.envelope(
                                "inventory.adjust",
                                json!({"id_localizacion": locs[l], "id_repuesto": hot[p], "delta": delta, "motivo": "prueba de concurrencia"}),
                            )
                        } else {
                            let (concepto, tipo) = MOVEMENTS[rng.gen_range(0..MOVEMENTS.len())];
                            device.envelope("movement.record", movement_args(locs[l], hot[p], me, concepto, tipo, rng.gen_range(1..=3)))
                        }
                    })
                    .collect();
                let outcomes = push_all(&api, &device, &batch).await;
                let now_applied = outcomes.iter().filter(|o| o.status == OutcomeStatus::Applied).count();
                applied += now_applied;
                applied_so_far.fetch_add(now_applied, Ordering::SeqCst);
                batches += 1;
            }
            (applied, batches)
        }));
    }
    let mut external = Vec::new();
    for i in 0..3u64 {
        let pool = world.db.pool.clone();
        let (locs, hot) = (world.locs, hot.clone());
        let (stop, commits_so_far) = (stop.clone(), commits_so_far.clone());
        external.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(100 + i);
            let mut commits = 0usize;
            while !stop.load(Ordering::SeqCst) {
                let mut tx = pool.begin().await.expect("begin");
                sqlx::query("UPDATE inventario SET stock_actual = stock_actual + $3 WHERE id_localizacion = $1 AND id_repuesto = $2")
                    .bind(locs[rng.gen_range(0..3)])
                    .bind(hot[rng.gen_range(0..hot.len())])
                    .bind(rng.gen_range(1..=4))
                    .execute(&mut *tx)
                    .await
                    .expect("external update");
                tokio::time::sleep(Duration::from_millis(rng.gen_range(2..12))).await;
                tx.commit().await.expect("commit");
                commits += 1;
                commits_so_far.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(rng.gen_range(0..4))).await;
            }
            commits
        }));
    }

    let enough = {
        let (stop, applied_so_far, commits_so_far) = (stop.clone(), applied_so_far.clone(), commits_so_far.clone());
        let (deltas_so_far, in_flight_so_far) = (deltas_so_far.clone(), in_flight_so_far.clone());
        let started = Instant::now();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let elapsed = started.elapsed();
                let proven = applied_so_far.load(Ordering::SeqCst) > 100
                    && commits_so_far.load(Ordering::SeqCst) > 50
                    && deltas_so_far.load(Ordering::SeqCst) >= 5
                    && in_flight_so_far.load(Ordering::SeqCst) > 0;
                if (proven && elapsed >= Duration::from_secs(3)) || elapsed >= Duration::from_secs(90) {
                    stop.store(true, Ordering::SeqCst);
                    return;
                }
            }
        })
    };
    let done = Arc::new(AtomicBool::new(false));
    let finish = {
        let done = done.clone();
        async move {
            let (mut applied, mut batches, mut commits) = (0, 0, 0);
            for writer in writers {
                let (a, b) = writer.await.expect("writer");
                applied += a;
                batches += b;
            }
            for task in external {
                commits += task.await.expect("external writer");
            }
            done.store(true, Ordering::SeqCst);
            (applied, batches, commits)
        }
    };
    let read = async {
        let (mut deltas, mut pages, mut in_flight) = (0u64, 0u64, 0u64);
        while !done.load(Ordering::SeqCst) {
            pages += reader.sync(&world.admin, Some(7)).await;
            deltas += 1;
            deltas_so_far.fetch_add(1, Ordering::SeqCst);
            if !cursor_of(&reader).from.xip.is_empty() {
                in_flight += 1;
                in_flight_so_far.fetch_add(1, Ordering::SeqCst);
            }
            assert_stock_explained_by_ledger(&reader, &start_stock, &start_logs, "during the writes");
        }
        (deltas, pages, in_flight)
    };
    let ((applied, batches, commits), (deltas, pages, in_flight)) = tokio::join!(finish, read);
    enough.await.expect("the controller of the writers");
    reader.sync(&world.admin, Some(7)).await;
    assert_stock_explained_by_ledger(&reader, &start_stock, &start_logs, "after the writes");

    for table in ["movimientos_tecnicos", "logs_inventario"] {
        let column = tables::table(table).expect("table").key[0];
        let in_db: BTreeSet<String> = sqlx::query_scalar(&format!("SELECT {column}::text FROM {table}"))
            .fetch_all(&world.db.pool)
            .await
            .expect("keys")
            .into_iter()
            .collect();
        let in_replica: BTreeSet<String> = keys(&reader, table).into_iter().collect();
        let missing: Vec<&String> = in_db.difference(&in_replica).collect();
        assert!(
            missing.is_empty(),
            "{table}: {} of {} rows never reached the replica, e.g. {:?}",
            missing.len(),
            in_db.len(),
            &missing[..missing.len().min(5)]
        );
    }
    assert_converged(&reader, &world.admin, "admin after concurrent writes").await;
    world.assert_ledger_consistent().await;
    let movements: i64 =
        sqlx::query_scalar("SELECT count(*) FROM movimientos_tecnicos").fetch_one(&world.db.pool).await.expect("count");
    let logs: i64 =
        sqlx::query_scalar("SELECT count(*) FROM logs_inventario").fetch_one(&world.db.pool).await.expect("count");
    eprintln!(
        "gap test: {writers_n} HTTP writers, {batches} batches, {applied} mutations applied; 3 external writers, {commits} commits; \
         {movements} movements, {logs} ledger rows; reader: {deltas} deltas, {pages} pages, {in_flight} delta boundaries with transactions in flight"
    );
    assert!(
        applied > 100 && commits > 50,
        "too little concurrency to prove anything: {applied} mutations, {commits} external commits"
    );
    assert!(deltas >= 5, "the reader synced only {deltas} times while the writers ran");
    assert!(in_flight > 0, "no delta boundary had a transaction in flight: the test proved nothing");
}

/// The deterministic case of invariant 4: a transaction that took its id before a pull's
/// snapshot but commits after it (here another application's stock update, left open while a
/// later transaction commits and the replica syncs) arrives at the next sync.
#[tokio::test]
async fn a_transaction_in_flight_during_a_pull_arrives_at_the_next_sync() {
    let world = World::new().await;
    let (norte, part) = (world.locs[1], world.parts[4]);
    world.set_stock(norte, part, 20).await;
    let mut replica = Replica::default();
    replica.sync(&world.norte, Some(50)).await;
    let before_logs = keys(&replica, "logs_inventario");

    let mut open = world.db.pool.begin().await.expect("begin");
    sqlx::query(
        "UPDATE inventario SET stock_actual = stock_actual + 5 WHERE id_localizacion = $1 AND id_repuesto = $2",
    )
    .bind(norte)
    .bind(part)
    .execute(&mut *open)
    .await
    .expect("update");
    let open_txid: i64 =
        sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint").fetch_one(&mut *open).await.expect("txid");
    // A later transaction commits while the first is still open.
    let device = Device::new();
    let movement = movement_args(norte, world.parts[5], world.norte.user_id(), "ingreso", "ingreso", 2);
    let id_movement = movement["id_movimientos_tecnicos"].as_str().expect("id").to_owned();
    assert_applied(&world.norte.push_one(&device, "movement.record", movement).await);
    replica.sync(&world.norte, Some(3)).await;
    assert!(replica.get("movimientos_tecnicos", &id_movement).is_some(), "the committed movement arrives");
    let from = cursor_of(&replica).from;
    assert!(from.xip.contains(&(open_txid as u64)), "the open transaction is in flight at the delta's snapshot {from}");
    assert_eq!(stock_in(&replica, norte, part), 20, "the open transaction is not visible yet");

    open.commit().await.expect("commit");
    replica.sync(&world.norte, Some(3)).await;
    assert_eq!(stock_in(&replica, norte, part), 25, "the late commit reached the replica");
    let new_logs: Vec<String> = keys(&replica, "logs_inventario").difference(&before_logs).cloned().collect();
    assert_eq!(new_logs.len(), 2, "the movement's and the external update's ledger rows: {new_logs:?}");
    assert_converged(&replica, &world.norte, "norte").await;
}

// ---------------------------------------------------------------- invariant 5: whole transactions

/// Bodega dispatches requests from three devices at once (each dispatch updates the request,
/// its lines, the stock and the ledger in one transaction) while Bodega's replica syncs with
/// pages of one to three rows. After every applied delta, a dispatched request has all its
/// lines with `cantidad_despachada`, their `SOLICITUD_SALIDA` ledger rows and its trace row; a
/// request not dispatched has none of them; and every stock equals its ledger.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_replica_never_holds_part_of_a_dispatch() {
    let world = World::new().await;
    let (bodega_loc, norte_loc) = (world.locs[0], world.locs[1]);
    let parts: Vec<Uuid> = world.parts[10..16].to_vec();
    for part in &parts {
        world.set_stock(bodega_loc, *part, 5_000).await;
    }
    // The admin creates and picks the requests; Bodega's user dispatches them.
    let admin_device = Device::new();
    let mut rng = StdRng::seed_from_u64(7);
    let mut requests: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut batch = Vec::new();
    for _ in 0..18 {
        let id = Uuid::new_v4();
        let mut chosen: Vec<Uuid> = parts.clone();
        chosen.sort_by_key(|_| rng.gen::<u32>());
        let lines: Vec<Value> = chosen[..rng.gen_range(1..=3)]
            .iter()
            .map(|part| json!({"id_detalle": Uuid::new_v4(), "id_repuesto": part, "cantidad": rng.gen_range(1..=4)}))
            .collect();
        requests
            .insert(id.to_string(), lines.iter().map(|l| l["id_detalle"].as_str().expect("id").to_owned()).collect());
        batch.push(admin_device.envelope("request.create", json!({"id_solicitud": id, "id_localizacion_origen": bodega_loc, "id_localizacion_destino": norte_loc, "lines": lines})));
        batch.push(admin_device.envelope("request.pick", json!({"id_solicitud": id})));
    }
    for outcome in world.admin.push(admin_device.id, &batch).await.outcomes {
        assert_applied(&outcome);
    }
    let mut replica = Replica::default();
    replica.sync(&world.bodega, None).await;
    let start_stock = replica_stock(&replica);
    let start_logs = keys(&replica, "logs_inventario");
    assert_eq!(keys(&replica, "solicitudes").len(), requests.len());

    let ids: Vec<String> = requests.keys().cloned().collect();
    let mut dispatchers = Vec::new();
    for (i, share) in ids.chunks(ids.len().div_ceil(3)).enumerate() {
        let api = world.bodega.clone();
        let share = share.to_vec();
        dispatchers.push(tokio::spawn(async move {
            let device = Device::new();
            let mut rng = StdRng::seed_from_u64(50 + i as u64);
            for id in share {
                let outcomes = push_all(
                    &api,
                    &device,
                    &[device.envelope(
                        "request.dispatch",
                        json!({"id_solicitud": id, "guia_transporte": format!("G-{i}")}),
                    )],
                )
                .await;
                assert_applied(&outcomes[0]);
                tokio::time::sleep(Duration::from_millis(rng.gen_range(10..50))).await;
            }
        }));
    }
    let done = Arc::new(AtomicBool::new(false));
    let finish = {
        let done = done.clone();
        async move {
            for task in dispatchers {
                task.await.expect("dispatcher");
            }
            done.store(true, Ordering::SeqCst);
        }
    };
    let read = async {
        let mut rng = StdRng::seed_from_u64(99);
        let (mut deltas, mut mixed) = (0u64, 0u64);
        while !done.load(Ordering::SeqCst) {
            replica.sync(&world.bodega, Some(rng.gen_range(1..=3))).await;
            deltas += 1;
            let dispatched = assert_dispatches_whole(&replica, &requests);
            if dispatched > 0 && dispatched < requests.len() {
                mixed += 1;
            }
            assert_stock_explained_by_ledger(&replica, &start_stock, &start_logs, "while dispatching");
        }
        (deltas, mixed)
    };
    let ((), (deltas, mixed)) = tokio::join!(finish, read);
    replica.sync(&world.bodega, Some(2)).await;
    assert_eq!(assert_dispatches_whole(&replica, &requests), requests.len(), "every request dispatched in the end");
    assert_stock_explained_by_ledger(&replica, &start_stock, &start_logs, "after dispatching");
    assert_converged(&replica, &world.bodega, "bodega").await;
    eprintln!(
        "whole transactions: {} requests, {deltas} deltas while dispatching, {mixed} with some but not all dispatched",
        requests.len()
    );
    assert!(mixed > 0, "no delta landed between dispatches: the test proved nothing");
}

// ---------------------------------------------------------------- invariant 6: scope

/// A technician's replica holds only Norte's rows, the shared catalogue and their own cart,
/// notifications and conflicts; never secrets. The admin's holds every location. Gaining Sur
/// brings Sur's rows, losing Norte removes Norte's, and a request between Norte and Sur stays
/// while the technician has either. A scope change in the middle of a delta restarts it.
#[tokio::test]
async fn a_replica_holds_exactly_its_users_scope() {
    let world = World::new().await;
    let [bodega_loc, norte_loc, sur_loc] = world.locs;
    let (norte_id, sur_id) = (world.norte.user_id(), world.sur.user_id());
    let p = &world.parts;
    // Rows everywhere, owned by everyone.
    let (dn, ds, db, da) = (Device::new(), Device::new(), Device::new(), Device::new());
    world.set_stock(norte_loc, p[0], 1).await;
    world.set_stock(sur_loc, p[0], 1).await;
    // Negative stock: a conflict and a notification for the technician who caused it.
    assert_applied(
        &world
            .norte
            .push_one(&dn, "movement.record", movement_args(norte_loc, p[0], norte_id, "salida", "salida", 3))
            .await,
    );
    assert_applied(
        &world.sur.push_one(&ds, "movement.record", movement_args(sur_loc, p[0], sur_id, "salida", "salida", 3)).await,
    );
    for (api, device, loc) in [(&world.norte, &dn, norte_loc), (&world.sur, &ds, sur_loc)] {
        assert_applied(
            &api.push_one(
                device,
                "cart.add",
                json!({"id_item_carrito": Uuid::new_v4(), "id_localizacion": loc, "id_repuesto": p[1], "cantidad": 2}),
            )
            .await,
        );
        assert_applied(&api.push_one(device, "warranty.create", json!({"id_garantia": Uuid::new_v4(), "id_localizacion": loc, "id_repuesto": p[2], "cantidad": 1, "motivo_falla": "no enciende"})).await);
    }
    let conteo = Uuid::new_v4();
    assert_applied(
        &world.bodega.push_one(&db, "count.start", json!({"id_conteo": conteo, "id_localizacion": bodega_loc})).await,
    );
    assert_applied(&world.bodega.push_one(&db, "count.line", json!({"id_detalle_conteo": Uuid::new_v4(), "id_conteo": conteo, "id_repuesto": p[3], "cantidad_csa": 9})).await);
    assert_applied(&world.bodega.push_one(&db, "count.close", json!({"id_conteo": conteo})).await);
    assert_applied(
        &world
            .bodega
            .push_one(
                &db,
                "inventory.adjust",
                json!({"id_localizacion": bodega_loc, "id_repuesto": p[4], "delta": 4, "motivo": "llegada"}),
            )
            .await,
    );
    let request = |origen: Uuid, destino: Uuid| {
        let id = Uuid::new_v4();
        (
            id,
            json!({"id_solicitud": id, "id_localizacion_origen": origen, "id_localizacion_destino": destino,
                    "lines": [{"id_detalle": Uuid::new_v4(), "id_repuesto": p[5], "cantidad": 1}]}),
        )
    };
    let (bodega_sur, args) = request(bodega_loc, sur_loc);
    assert_applied(&world.admin.push_one(&da, "request.create", args).await);
    let (sur_norte, args) = request(sur_loc, norte_loc);
    assert_applied(&world.admin.push_one(&da, "request.create", args).await);
    assert_applied(&world.admin.push_one(&da, "request.pick", json!({"id_solicitud": sur_norte})).await);
    let (bodega_norte, args) = request(bodega_loc, norte_loc);
    assert_applied(&world.admin.push_one(&da, "request.create", args).await);
    // The admin's own notifications (low-stock subscription).
    world.set_stock(bodega_loc, p[6], 50).await;
    world.set_stock(bodega_loc, p[6], 0).await;

    let secrets = secrets(&world).await;
    // The technician.
    let mut norte = Replica::default();
    let raw = sync_raw(&mut norte, &world.norte, Some(40)).await;
    assert_no_secrets(&raw, &secrets);
    let layout = Layout::load(&world).await;
    layout.assert_in_scope(&norte, norte_id, &[norte_loc], false, "norte");
    assert_converged(&norte, &world.norte, "norte").await;
    assert_eq!(layout.count(&norte, "inventario", norte_loc), world.parts.len(), "all of Norte's stock");
    assert!(
        norte.get("solicitudes", &sur_norte.to_string()).is_some()
            && norte.get("solicitudes", &bodega_norte.to_string()).is_some()
    );
    assert!(norte.get("solicitudes", &bodega_sur.to_string()).is_none());
    for table in ["carrito_solicitudes", "notificaciones", "conflictos"] {
        assert!(norte.table(table).count() > 0, "norte's own {table}");
    }
    for table in ["roles", "localizacion", "repuestos"] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&world.db.pool)
            .await
            .expect("count");
        assert_eq!(norte.table(table).count() as i64, n, "the whole shared {table}");
    }

    // The admin: every location, but nobody else's private rows.
    let mut admin = Replica::default();
    let raw = sync_raw(&mut admin, &world.admin, None).await;
    assert_no_secrets(&raw, &secrets);
    layout.assert_in_scope(&admin, world.admin.user_id(), &world.locs, true, "admin");
    assert_converged(&admin, &world.admin, "admin").await;
    for loc in world.locs {
        assert_eq!(layout.count(&admin, "inventario", loc), world.parts.len());
    }
    let all_requests: i64 =
        sqlx::query_scalar("SELECT count(*) FROM solicitudes").fetch_one(&world.db.pool).await.expect("count");
    assert_eq!(admin.table("solicitudes").count() as i64, all_requests);
    assert!(admin.table("notificaciones").count() > 0, "the admin's low-stock alerts");

    // Gaining Sur in the middle of a delta: the delta restarts for the new scope.
    let norte_own: Vec<(String, String)> = norte
        .rows
        .keys()
        .filter(|(t, _)| ["carrito_solicitudes", "notificaciones", "conflictos"].contains(&t.as_str()))
        .cloned()
        .collect();
    assert_applied(
        &world
            .norte
            .push_one(&dn, "movement.record", movement_args(norte_loc, p[7], norte_id, "ingreso", "ingreso", 1))
            .await,
    );
    assert_applied(
        &world
            .norte
            .push_one(&dn, "movement.record", movement_args(norte_loc, p[8], norte_id, "ingreso", "ingreso", 1))
            .await,
    );
    let first = world.norte.pull_page(norte.cursor.as_deref(), Some(1)).await;
    assert!(!first.complete, "a delta of several rows in pages of one");
    let assign = |loc: Uuid| json!({"id_usuario": norte_id, "id_localizacion": loc});
    assert_applied(&world.admin.push_one(&da, "user.assign", assign(sur_loc)).await);
    let second = world.norte.pull_page(Some(&first.cursor), Some(1)).await;
    assert!(second.reset, "the scope changed under the delta: it restarts");
    let mut staged = Vec::new();
    staged.extend(second.changes);
    let mut page = second.cursor;
    loop {
        let next = world.norte.pull_page(Some(&page), Some(25)).await;
        assert!(!next.reset);
        staged.extend(next.changes);
        page = next.cursor;
        if next.complete {
            break;
        }
    }
    apply_changes(&mut norte, staged);
    norte.cursor = Some(page);
    let layout = Layout::load(&world).await;
    layout.assert_in_scope(&norte, norte_id, &[norte_loc, sur_loc], false, "norte with Sur");
    assert_converged(&norte, &world.norte, "norte with Sur").await;
    assert_eq!(layout.count(&norte, "inventario", sur_loc), world.parts.len(), "Sur's stock arrived");
    assert!(norte.get("solicitudes", &bodega_sur.to_string()).is_some(), "Sur's requests arrived");
    assert!(norte
        .table("movimientos_tecnicos")
        .any(|m| Replica::value(m, "movimientos_tecnicos", "id_localizacion") == &json!(sur_loc)));
    assert!(
        norte.table("usuarios").any(|u| Replica::value(u, "usuarios", "id_usuario") == &json!(sur_id)),
        "Sur's technician"
    );

    // Losing Norte: only Sur's rows remain, plus norte's own.
    assert_applied(&world.admin.push_one(&da, "user.unassign", assign(norte_loc)).await);
    norte.sync(&world.norte, Some(30)).await;
    let layout = Layout::load(&world).await;
    layout.assert_in_scope(&norte, norte_id, &[sur_loc], false, "norte with Sur only");
    assert_converged(&norte, &world.norte, "norte with Sur only").await;
    assert_eq!(layout.count(&norte, "inventario", norte_loc), 0, "Norte's stock left the replica");
    assert!(norte.get("solicitudes", &sur_norte.to_string()).is_some(), "the Sur-Norte request stays");
    assert!(norte.get("solicitudes", &bodega_norte.to_string()).is_none());
    for key in &norte_own {
        assert!(norte.rows.contains_key(key), "norte's own {key:?} stays");
    }

    // Back to Norte only: Sur's rows leave, the request between them stays.
    assert_applied(&world.admin.push_one(&da, "user.assign", assign(norte_loc)).await);
    assert_applied(&world.admin.push_one(&da, "user.unassign", assign(sur_loc)).await);
    let raw = sync_raw(&mut norte, &world.norte, Some(30)).await;
    assert_no_secrets(&raw, &secrets);
    let layout = Layout::load(&world).await;
    layout.assert_in_scope(&norte, norte_id, &[norte_loc], false, "norte back to Norte");
    assert_converged(&norte, &world.norte, "norte back to Norte").await;
    assert_eq!(layout.count(&norte, "inventario", sur_loc), 0, "Sur's stock left the replica");
    assert_eq!(layout.count(&norte, "inventario", norte_loc), world.parts.len());
    assert!(norte.get("solicitudes", &sur_norte.to_string()).is_some(), "the Sur-Norte request stays");
    assert!(norte.get("solicitudes", &bodega_sur.to_string()).is_none(), "Bodega-Sur left");
    assert!(
        !norte.table("usuarios").any(|u| Replica::value(u, "usuarios", "id_usuario") == &json!(sur_id)),
        "Sur's technician left"
    );
    for key in &norte_own {
        assert!(norte.rows.contains_key(key), "norte's own {key:?} stays");
    }
}

/// Two assignments of one user committed concurrently: each re-images the user's `usuarios`
/// row with the locations its own snapshot sees, so the image written last (by feed id) can
/// lack the other transaction's location, and a replica of that location never gets the user
/// although the server's checksum counts them.
///
/// Migration 0007 makes the capture trigger lock the user's row before re-imaging it, so the
/// second assignment's image includes the first one's location.
#[tokio::test]
async fn concurrent_assignments_of_one_user_reach_every_location() {
    let world = World::new().await;
    let [bodega_loc, _, sur_loc] = world.locs;
    let norte_id = world.norte.user_id();
    let mut open = world.db.pool.begin().await.expect("begin");
    sqlx::query("INSERT INTO usuarios_localizacion (id_usuario, id_localizacion) VALUES ($1, $2)")
        .bind(norte_id)
        .bind(sur_loc)
        .execute(&mut *open)
        .await
        .expect("assign to Sur");
    // Meanwhile the admin assigns the same user to Bodega. Without the row lock this push
    // commits during the pause, imaging the user without Sur; with it, it waits for the open
    // transaction and images both locations.
    let admin = world.admin.clone();
    let assign = tokio::spawn(async move {
        let device = Device::new();
        admin.push_one(&device, "user.assign", json!({"id_usuario": norte_id, "id_localizacion": bodega_loc})).await
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    open.commit().await.expect("commit");
    assert_applied(&assign.await.expect("push task"));
    let mut sur = Replica::default();
    sur.sync(&world.sur, None).await;
    assert!(sur.get("usuarios", &norte_id.to_string()).is_some(), "Sur's technician sees Sur's new colleague");
    assert_converged(&sur, &world.sur, "sur").await;
}

// ---------------------------------------------------------------- invariant 7: convergence

/// Random mutations by every demo user (movements, adjustments, carts, requests through their
/// whole life, warranties, counts, edits, notifications read, assignments changing scopes,
/// writes by another application), with each user's replica syncing at random moments with
/// random page sizes. When the writes stop and every replica has synced, each one's checksums
/// equal the server's for that user, table by table.
#[tokio::test]
async fn replicas_converge_to_the_servers_checksums() {
    let world = World::new().await;
    let users = [world.admin.clone(), world.bodega.clone(), world.norte.clone(), world.sur.clone()];
    let devices = [Device::new(), Device::new(), Device::new(), Device::new()];
    let mut replicas = [Replica::default(), Replica::default(), Replica::default(), Replica::default()];
    let mut rng = StdRng::seed_from_u64(2026);
    let parts: Vec<Uuid> = world.parts[..8].to_vec();
    let [bodega_loc, norte_loc, sur_loc] = world.locs;
    let home = [None, Some(bodega_loc), Some(norte_loc), Some(sur_loc)];
    let (mut applied, mut rejected) = (0, 0);
    for step in 0..90 {
        if rng.gen_bool(0.3) {
            let who = rng.gen_range(0..4);
            let limit = if rng.gen_bool(0.3) { None } else { Some(rng.gen_range(1..30)) };
            replicas[who].sync(&users[who], limit).await;
        }
        let who = rng.gen_range(0..4);
        let (api, device) = (&users[who], &devices[who]);
        let loc = home[who].unwrap_or(world.locs[rng.gen_range(0..3)]);
        let part = parts[rng.gen_range(0..parts.len())];
        let me = api.user_id();
        let (name, args): (&str, Value) = match rng.gen_range(0..15) {
            0 | 1 => {
                let (concepto, tipo) = MOVEMENTS[rng.gen_range(0..MOVEMENTS.len())];
                ("movement.record", movement_args(loc, part, me, concepto, tipo, rng.gen_range(1..=12)))
            }
            2 => ("inventory.adjust", json!({"id_localizacion": loc, "id_repuesto": part, "delta": rng.gen_range(-5..=9) | 1, "motivo": "ajuste"})),
            3 => ("cart.add", json!({"id_item_carrito": Uuid::new_v4(), "id_localizacion": loc, "id_repuesto": part, "cantidad": rng.gen_range(1..5)})),
            4 => {
                // From the cart when there is one.
                let cart: Option<(Uuid, Uuid, Uuid)> = sqlx::query_as(
                    "SELECT id_item_carrito, id_localizacion, id_repuesto FROM carrito_solicitudes WHERE id_usuario = $1 LIMIT 1",
                )
                .bind(me)
                .fetch_optional(&world.db.pool)
                .await
                .expect("cart");
                let (destino, line) = match cart {
                    Some((item, destino, repuesto)) => (destino, json!({"id_detalle": Uuid::new_v4(), "id_repuesto": repuesto, "cantidad": 2, "id_item_carrito": item})),
                    None => (loc, json!({"id_detalle": Uuid::new_v4(), "id_repuesto": part, "cantidad": 3})),
                };
                let origen = if destino == bodega_loc { sur_loc } else { bodega_loc };
                ("request.create", json!({"id_solicitud": Uuid::new_v4(), "id_localizacion_origen": origen, "id_localizacion_destino": destino, "lines": [line]}))
            }
            5 => {
                let (estado, name) = [("PENDIENTE", "request.pick"), ("ALISTAMIENTO", "request.dispatch"), ("DESPACHADO", "request.receive"), ("PENDIENTE", "request.cancel")][rng.gen_range(0..4)];
                match random_id(&world, &mut rng, "SELECT id_solicitud FROM solicitudes WHERE estado = $1 ORDER BY id_solicitud", estado).await {
                    Some(id) => (name, json!({"id_solicitud": id})),
                    None => continue,
                }
            }
            6 => ("warranty.create", json!({"id_garantia": Uuid::new_v4(), "id_localizacion": loc, "id_repuesto": part, "cantidad": 1, "motivo_falla": "falla"})),
            7 => {
                let (estado, name) = [("SIN_ENVIAR", "warranty.submit"), ("PENDIENTE", "warranty.approve")][rng.gen_range(0..2)];
                match random_id(&world, &mut rng, "SELECT id_garantia FROM garantias WHERE estado = $1 ORDER BY id_garantia", estado).await {
                    Some(id) => (name, json!({"id_garantia": id})),
                    None => continue,
                }
            }
            8 => {
                let conteo = Uuid::new_v4();
                let batch = vec![
                    device.envelope("count.start", json!({"id_conteo": conteo, "id_localizacion": loc})),
                    device.envelope("count.line", json!({"id_detalle_conteo": Uuid::new_v4(), "id_conteo": conteo, "id_repuesto": part, "cantidad_csa": rng.gen_range(0..20), "cantidad_pq": rng.gen_range(0..2)})),
                    device.envelope("count.close", json!({"id_conteo": conteo})),
                ];
                for outcome in push_all(api, device, &batch).await {
                    if outcome.status == OutcomeStatus::Applied { applied += 1 } else { rejected += 1 }
                }
                continue;
            }
            9 => {
                let old: String = sqlx::query_scalar("SELECT nombre FROM repuestos WHERE id_repuesto = $1").bind(part).fetch_one(&world.db.pool).await.expect("name");
                // Sometimes an outdated "old" value: the edit applies and records a conflict.
                let old = if rng.gen_bool(0.3) { "nombre viejo".to_owned() } else { old };
                ("part.edit", json!({"id_repuesto": part, "edits": [{"field": "nombre", "old": old, "new": format!("Repuesto {step}")}]}))
            }
            10 => ("inventory.settings", json!({"id_localizacion": loc, "id_repuesto": part, "edits": [{"field": "cantidad_minima", "old": null, "new": rng.gen_range(0..30)}]})),
            11 => match random_id(&world, &mut rng, "SELECT id_notificacion FROM notificaciones WHERE id_usuario::text = $1 AND NOT leida ORDER BY id_notificacion", &me.to_string()).await {
                Some(id) => ("notification.read", json!({"id_notificacion": id})),
                None => continue,
            },
            12 => {
                // Scopes change under the replicas.
                let (user, target) = [(world.sur.user_id(), norte_loc), (world.norte.user_id(), bodega_loc), (world.bodega.user_id(), sur_loc)][rng.gen_range(0..3)];
                let assigned: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM usuarios_localizacion WHERE id_usuario = $1 AND id_localizacion = $2)")
                    .bind(user)
                    .bind(target)
                    .fetch_one(&world.db.pool)
                    .await
                    .expect("assigned");
                let name = if assigned { "user.unassign" } else { "user.assign" };
                let outcome = world.admin.push_one(&devices[0], name, json!({"id_usuario": user, "id_localizacion": target})).await;
                assert_applied(&outcome);
                applied += 1;
                continue;
            }
            13 => {
                world.set_stock(world.locs[rng.gen_range(0..3)], part, rng.gen_range(0..40)).await;
                continue;
            }
            _ => {
                let item: Option<Uuid> = sqlx::query_scalar("SELECT id_item_carrito FROM carrito_solicitudes WHERE id_usuario = $1 LIMIT 1")
                    .bind(me)
                    .fetch_optional(&world.db.pool)
                    .await
                    .expect("cart");
                match item {
                    Some(item) if rng.gen_bool(0.5) => ("cart.remove", json!({"id_item_carrito": item})),
                    Some(item) => ("cart.set", json!({"id_item_carrito": item, "cantidad": rng.gen_range(1..9)})),
                    None => continue,
                }
            }
        };
        let outcome = push_all(api, device, &[device.envelope(name, args)]).await.remove(0);
        if outcome.status == OutcomeStatus::Applied {
            applied += 1
        } else {
            rejected += 1
        }
    }
    eprintln!("convergence: {applied} mutations applied, {rejected} rejected");
    assert!(applied > 40, "most random mutations apply: {applied} applied, {rejected} rejected");
    for (who, replica) in replicas.iter_mut().enumerate() {
        replica.sync(&users[who], Some(rng.gen_range(5..60))).await;
    }
    for (who, replica) in replicas.iter().enumerate() {
        let name = ["admin", "bodega", "norte", "sur"][who];
        assert_converged(replica, &users[who], name).await;
        // The checksum endpoint's cursor describes the state the replica reached.
        let server = users[who].checksum().await;
        assert_eq!(
            Cursor::decode(&server.cursor).expect("cursor").from_scope,
            cursor_of(replica).from_scope,
            "{name}: same scope"
        );
    }
    world.assert_ledger_consistent().await;
}

// ---------------------------------------------------------------- invariant 9: stateless servers

/// Two real `taller-server` processes on one database: a mutation pushed to one is pulled
/// from the other, a delta started on one continues on the other, and a client listening for
/// changes on one hears about a push to the other.
#[tokio::test]
async fn two_server_processes_serve_one_feed() {
    let world = World::new().await;
    let mut a = ServerProcess::spawn(&world.db.url).await;
    let mut b = ServerProcess::spawn(&world.db.url).await;
    let norte_a = Api::login(&a.base, "tecnico.norte@taller.test", taller_server::demo::DEMO_PASSWORD).await;
    let norte_b = Api::login(&b.base, "tecnico.norte@taller.test", taller_server::demo::DEMO_PASSWORD).await;
    let (norte_loc, part) = (world.locs[1], world.parts[9]);

    // A delta whose pages alternate between the two processes.
    let mut replica = Replica::default();
    let mut cursor: Option<String> = None;
    let mut staged = Vec::new();
    for round in 0.. {
        let api = if round % 2 == 0 { &norte_a } else { &norte_b };
        let page = api.pull_page(cursor.as_deref(), Some(9)).await;
        staged.extend(page.changes);
        cursor = Some(page.cursor);
        if page.complete {
            assert!(round > 3, "several pages");
            break;
        }
    }
    apply_changes(&mut replica, staged);
    replica.cursor = cursor;
    assert_converged(&replica, &norte_b, "norte via B").await;

    // Push to A, pull from B.
    let device = Device::new();
    let movement = movement_args(norte_loc, part, norte_a.user_id(), "ingreso", "ingreso", 3);
    let id = movement["id_movimientos_tecnicos"].as_str().expect("id").to_owned();
    let outcome = norte_a.push_one(&device, "movement.record", movement).await;
    assert_applied(&outcome);
    replica.sync(&norte_b, Some(2)).await;
    assert!(replica.get("movimientos_tecnicos", &id).is_some(), "B serves what A applied");
    let txid: u64 = outcome.txid.parse().expect("txid");
    assert!(Cursor::decode(replica.cursor.as_deref().expect("cursor")).expect("cursor").includes(txid));
    assert_eq!(stock_in(&replica, norte_loc, part), i64::from(world.stock(norte_loc, part).await));

    // The live channel of B hears a push to A.
    let http = reqwest::Client::new();
    let mut events = http
        .get(format!("{}/v1/events", b.base))
        .bearer_auth(norte_b.token.as_deref().expect("token"))
        .header("taller-protocol", "1")
        .send()
        .await
        .expect("subscribe");
    assert_eq!(events.status(), StatusCode::OK);
    let mut seen = String::new();
    read_until(&mut events, &mut seen, "event: hello", Duration::from_secs(10)).await;
    let after_hello = seen.len();
    assert_applied(
        &norte_a
            .push_one(
                &device,
                "movement.record",
                movement_args(norte_loc, part, norte_a.user_id(), "ingreso", "ingreso", 1),
            )
            .await,
    );
    let started = Instant::now();
    read_until(&mut events, &mut seen, "event: changes", Duration::from_secs(10)).await;
    assert!(seen[after_hello..].contains("event: changes"));
    eprintln!("B signalled A's change after {:?}", started.elapsed());
    drop(events);
    replica.sync(&norte_b, None).await;
    assert_converged(&replica, &norte_a, "norte via A").await;
    a.stop().await;
    b.stop().await;
}

// ---------------------------------------------------------------- external writes

/// Another application updates stock directly: the change reaches the replica at the next
/// sync together with the ledger row the trigger wrote.
#[tokio::test]
async fn a_direct_stock_update_reaches_the_replica_with_its_ledger_row() {
    let world = World::new().await;
    let (norte_loc, part) = (world.locs[1], world.parts[2]);
    world.set_stock(norte_loc, part, 11).await;
    let mut replica = Replica::default();
    replica.sync(&world.norte, None).await;
    let before = keys(&replica, "logs_inventario");
    sqlx::query("UPDATE inventario SET stock_actual = 4 WHERE id_localizacion = $1 AND id_repuesto = $2")
        .bind(norte_loc)
        .bind(part)
        .execute(&world.db.pool)
        .await
        .expect("external update");
    replica.sync(&world.norte, None).await;
    assert_eq!(stock_in(&replica, norte_loc, part), 4);
    let new: Vec<&Vec<Value>> =
        replica.table("logs_inventario").filter(|row| !before.contains(&key_of("logs_inventario", row))).collect();
    assert_eq!(new.len(), 1, "one ledger row");
    let log = new[0];
    let v = |column: &str| Replica::value(log, "logs_inventario", column).clone();
    assert_eq!(v("tipo_operacion"), json!("AJUSTE_MANUAL"));
    assert_eq!((v("cantidad_anterior"), v("cantidad_nueva"), v("diferencia")), (json!(11), json!(4), json!(-7)));
    assert_eq!(v("id_usuario"), json!(Uuid::nil()), "written by the system user");
    assert_eq!(v("detalles"), json!({"origen": "externo"}));
    let id_inventario = replica
        .table("inventario")
        .find(|row| {
            Replica::value(row, "inventario", "id_localizacion") == &json!(norte_loc)
                && Replica::value(row, "inventario", "id_repuesto") == &json!(part)
        })
        .map(|row| Replica::value(row, "inventario", "id_inventario").clone())
        .expect("item");
    assert_eq!(v("id_inventario"), id_inventario);
    // A Sur technician's replica hears nothing of it.
    let mut sur = Replica::default();
    sur.sync(&world.sur, None).await;
    assert!(sur.get("logs_inventario", &key_of("logs_inventario", log)).is_none());
    assert_converged(&replica, &world.norte, "norte").await;
    assert_converged(&sur, &world.sur, "sur").await;
}

// ---------------------------------------------------------------- paging, resuming, compression

/// An initial sync in pages of 5: many pages, `rows_sent` counting the rows so far and
/// `rows_total` (an upper bound from the first page) never below it. Restarting from the cursor
/// of a middle page, after losing the pages that followed it and while others write, gives the
/// same replica as the uninterrupted sync; the writes arrive in the next delta.
#[tokio::test]
async fn an_initial_sync_is_paged_and_resumable() {
    let world = World::new().await;
    let mut pages: Vec<PullResponse> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut counted = 0u64;
    loop {
        let page = world.admin.pull_page(cursor.as_deref(), Some(5)).await;
        let rows: usize = page.changes.iter().map(|c| c.upserts.len() + c.deletes.len()).sum();
        assert!(rows <= 5, "a page holds at most the limit");
        counted += rows as u64;
        assert_eq!(page.rows_sent, counted, "rows_sent counts the rows sent so far in the delta");
        assert!(page.rows_total >= page.rows_sent, "rows_total {} below rows_sent {}", page.rows_total, page.rows_sent);
        if let Some(first) = pages.first() {
            assert!(page.rows_total <= first.rows_total.max(page.rows_sent));
        }
        cursor = Some(page.cursor.clone());
        let complete = page.complete;
        pages.push(page);
        if complete {
            break;
        }
    }
    let last = pages.last().expect("pages");
    assert!(pages.len() > 20, "many pages: {}", pages.len());
    assert!(
        pages[0].rows_total >= last.rows_sent,
        "the first page's estimate bounds the delta: {} < {}",
        pages[0].rows_total,
        last.rows_sent
    );
    let mut reference = Replica::default();
    apply_changes(&mut reference, pages.iter().flat_map(|p| p.changes.clone()).collect());
    reference.cursor = Some(last.cursor.clone());
    assert_converged(&reference, &world.admin, "admin").await;

    // Interrupted at page k: pages after k are lost, others write meanwhile.
    let k = pages.len() / 2;
    let saved = pages[k - 1].cursor.clone();
    let again = world.admin.pull_page(Some(&saved), Some(5)).await;
    assert_eq!(
        (&again.changes, &again.cursor),
        (&pages[k].changes, &pages[k].cursor),
        "a page is a pure function of its cursor"
    );
    let lost = world.admin.pull_page(Some(&again.cursor), Some(5)).await;
    drop(lost);
    let device = Device::new();
    let movement = movement_args(world.locs[1], world.parts[0], world.norte.user_id(), "ingreso", "ingreso", 2);
    let id = movement["id_movimientos_tecnicos"].as_str().expect("id").to_owned();
    assert_applied(&world.norte.push_one(&device, "movement.record", movement).await);
    let mut resumed = Replica::default();
    let mut staged: Vec<TableChanges> = pages[..k].iter().flat_map(|p| p.changes.clone()).collect();
    let mut cursor = saved;
    loop {
        let page = world.admin.pull_page(Some(&cursor), Some(7)).await;
        assert!(!page.reset);
        staged.extend(page.changes);
        cursor = page.cursor;
        if page.complete {
            break;
        }
    }
    apply_changes(&mut resumed, staged);
    resumed.cursor = Some(cursor);
    assert!(resumed.rows == reference.rows, "the resumed sync equals the uninterrupted one");
    assert!(resumed.get("movimientos_tecnicos", &id).is_none(), "a delta serves its own snapshot");
    resumed.sync(&world.admin, Some(5)).await;
    assert!(resumed.get("movimientos_tecnicos", &id).is_some(), "the next delta brings the write");
    assert_converged(&resumed, &world.admin, "admin resumed").await;
}

/// Pull responses are gzip-compressed when the client accepts it, and plain otherwise.
#[tokio::test]
async fn pull_responses_are_compressed_when_the_client_accepts_gzip() {
    let world = World::new().await;
    let http = reqwest::Client::builder().gzip(false).build().expect("client");
    let pull = |gzip: bool| {
        let mut request = http
            .post(format!("{}/v1/pull", world.server.base))
            .bearer_auth(world.admin.token.as_deref().expect("token"))
            .header("taller-protocol", "1")
            .json(&json!({"limit": 200}));
        if gzip {
            request = request.header("accept-encoding", "gzip");
        }
        request.send()
    };
    let compressed = pull(true).await.expect("pull");
    assert_eq!(compressed.status(), StatusCode::OK);
    assert_eq!(compressed.headers().get("content-encoding").and_then(|v| v.to_str().ok()), Some("gzip"));
    let zipped = compressed.bytes().await.expect("body");
    assert_eq!(&zipped[..2], &[0x1f, 0x8b], "a gzip stream");
    let plain = pull(false).await.expect("pull");
    assert!(plain.headers().get("content-encoding").is_none());
    let body = plain.bytes().await.expect("body");
    let page: PullResponse = serde_json::from_slice(&body).expect("plain JSON");
    assert!(!page.changes.is_empty());
    assert!(zipped.len() * 3 < body.len(), "compression pays: {} vs {} bytes", zipped.len(), body.len());
}

// ---------------------------------------------------------------- cursors

/// A cursor the server did not issue (garbage, another version, an impossible snapshot, one
/// from the future, a delta that ends before it starts) is refused with `invalid_cursor`.
#[tokio::test]
async fn a_malformed_or_forged_cursor_is_refused() {
    let world = World::new().await;
    let page = world.norte.pull_page(None, Some(5)).await;
    assert!(!page.complete);
    let issued = Cursor::decode(&page.cursor).expect("an issued cursor decodes");
    // Signed with the server's own key (as a cursor from a restored backup would be): the
    // checks after the tag's still refuse them.
    let (key, norte_id) = (crate::cursor::server_key(&world).await, world.norte.user_id());
    let to = issued.to.clone().expect("a delta in progress");
    let encode = |value: Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let future = Snapshot { xmin: to.xmax + 1_000_000, xmax: to.xmax + 1_000_000, xip: Vec::new() };
    let mut ahead = issued.clone();
    ahead.from = future.clone();
    ahead.to = Some(future.clone());
    let mut to_ahead = issued.clone();
    to_ahead.to = Some(future);
    let mut backwards = issued.clone();
    backwards.from = to.clone();
    backwards.to = Some(Snapshot { xmin: 1, xmax: to.xmin.max(2), xip: Vec::new() });
    let mut shrinking = issued.clone();
    shrinking.from = Snapshot { xmin: to.xmin, xmax: to.xmax, xip: Vec::new() };
    shrinking.to = Some(Snapshot { xmin: to.xmin, xmax: to.xmin, xip: Vec::new() });
    // Finished at `from` but still running at `to`: no server took these two snapshots in order.
    let mut inconsistent = issued.clone();
    inconsistent.from = Snapshot { xmin: to.xmin - 60, xmax: to.xmin - 10, xip: Vec::new() };
    inconsistent.to = Some(Snapshot { xmin: to.xmin - 60, xmax: to.xmin, xip: vec![to.xmin - 40] });
    let forged: Vec<(&str, String)> = vec![
        ("not base64", "not a cursor!".to_owned()),
        ("empty", String::new()),
        ("not JSON", URL_SAFE_NO_PAD.encode(b"hello")),
        ("JSON of another shape", encode(json!({"page": 3}))),
        ("another version", {
            let mut v = serde_json::to_value(&issued).expect("json");
            v["v"] = json!(99);
            encode(v)
        }),
        ("a malformed snapshot", {
            let mut v = serde_json::to_value(&issued).expect("json");
            v["from"] = json!("9:3:");
            encode(v)
        }),
        ("a snapshot with xip outside it", {
            let mut v = serde_json::to_value(&issued).expect("json");
            v["to"] = json!(format!("{}:{}:{}", to.xmin, to.xmax, to.xmax + 5));
            encode(v)
        }),
        ("from the future", ahead.seal(&key, norte_id)),
        ("a delta ending in the future", to_ahead.seal(&key, norte_id)),
        ("a delta ending before it starts", backwards.seal(&key, norte_id)),
        ("a delta whose end has seen fewer transactions than its start", shrinking.seal(&key, norte_id)),
        (
            "a delta whose end has a transaction in flight that its start saw finished",
            inconsistent.seal(&key, norte_id),
        ),
        ("padding", format!("{}==", page.cursor)),
    ];
    for (what, cursor) in forged {
        let (status, body) = world.norte.post("/v1/pull", json!({"cursor": cursor, "limit": 5})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {body}");
        assert_eq!(body["code"], "invalid_cursor", "{what}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: {body}");
    }
    // Someone else's cursor claims a scope this user never had.
    let mut admin = Replica::default();
    admin.sync(&world.admin, None).await;
    let (status, body) = world.norte.post("/v1/pull", json!({"cursor": admin.cursor, "limit": 5})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the admin's cursor used by a technician: {body}");
    assert_eq!(body["code"], "invalid_cursor");
    let mut claims = Cursor::decode(admin.cursor.as_deref().expect("cursor")).expect("cursor");
    claims.from_scope = Scope { admin: false, locs: world.locs.to_vec() }.digest();
    let (status, body) = world.norte.post("/v1/pull", json!({"cursor": claims.seal(&key, norte_id), "limit": 5})).await;
    assert_eq!((status, &body["code"]), (StatusCode::BAD_REQUEST, &json!("invalid_cursor")), "a forged scope: {body}");
    // The issued cursor still works.
    let mut replica = Replica { cursor: Some(page.cursor.clone()), ..Replica::default() };
    apply_changes(&mut replica, page.changes);
    replica.sync(&world.norte, Some(50)).await;
    assert_converged(&replica, &world.norte, "norte").await;
}

// ---------------------------------------------------------------- helpers

/// Valid (concepto, tipo) pairs of technician movements.
const MOVEMENTS: &[(&str, &str)] = &[
    ("salida", "salida"),
    ("ingreso", "ingreso"),
    ("devolucion", "ingreso"),
    ("venta", "venta"),
    ("prestamo", "salida"),
];

/// Pushes a batch, re-sending it while a transient failure (a deadlock victim, say) stops it;
/// re-sent mutations return their recorded outcomes.
async fn push_all(api: &Api, device: &Device, batch: &[MutationEnvelope]) -> Vec<Outcome> {
    for _ in 0..20 {
        let response = api.push(device.id, batch).await;
        if response.stopped.is_none() {
            assert_eq!(response.outcomes.len(), batch.len());
            return response.outcomes;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("a batch kept failing transiently");
}

/// One delta pulled like `Replica::sync`, keeping every page's raw body.
async fn sync_raw(replica: &mut Replica, api: &Api, limit: Option<u32>) -> Vec<Value> {
    let mut staged = Vec::new();
    let mut raw = Vec::new();
    loop {
        let (status, body) = api.post("/v1/pull", json!({"cursor": replica.cursor, "limit": limit})).await;
        assert_eq!(status, StatusCode::OK, "pull: {body}");
        let page: PullResponse = serde_json::from_value(body.clone()).expect("pull response");
        raw.push(body);
        if page.reset {
            staged.clear();
        }
        staged.extend(page.changes);
        replica.cursor = Some(page.cursor);
        if page.complete {
            apply_changes(replica, staged);
            replica.deltas += 1;
            return raw;
        }
    }
}

/// Applies a whole delta to a replica, as `Replica::sync` does.
fn apply_changes(replica: &mut Replica, changes: Vec<TableChanges>) {
    for change in changes {
        let table = tables::table(&change.table).expect("known table");
        for row in change.upserts {
            assert_eq!(row.len(), table.columns.len(), "row width of {}", table.name);
            replica.rows.insert((table.name.to_owned(), row_key(table, &row)), row);
        }
        for key in change.deletes {
            replica.rows.remove(&(table.name.to_owned(), key));
        }
    }
}

fn cursor_of(replica: &Replica) -> Cursor {
    Cursor::decode(replica.cursor.as_deref().expect("synced")).expect("an issued cursor")
}

fn key_of(table: &str, row: &[Value]) -> String {
    row_key(tables::table(table).expect("table"), row)
}

fn keys(replica: &Replica, table: &str) -> HashSet<String> {
    replica.table(table).map(|row| key_of(table, row)).collect()
}

fn text(row: &[Value], table: &str, column: &str) -> String {
    match Replica::value(row, table, column) {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn int(row: &[Value], table: &str, column: &str) -> i64 {
    Replica::value(row, table, column).as_i64().unwrap_or_else(|| panic!("{table}.{column} is not a number"))
}

fn stock_in(replica: &Replica, loc: Uuid, part: Uuid) -> i64 {
    replica
        .table("inventario")
        .find(|row| {
            text(row, "inventario", "id_localizacion") == loc.to_string()
                && text(row, "inventario", "id_repuesto") == part.to_string()
        })
        .map(|row| int(row, "inventario", "stock_actual"))
        .expect("the item is in the replica")
}

/// Stock by inventory id.
fn replica_stock(replica: &Replica) -> HashMap<String, i64> {
    replica.table("inventario").map(|row| (key_of("inventario", row), int(row, "inventario", "stock_actual"))).collect()
}

/// Every item's stock in the replica equals its stock at the start plus the differences of the
/// ledger rows that arrived since: a change without its ledger row (or the reverse) breaks it.
fn assert_stock_explained_by_ledger(
    replica: &Replica,
    start: &HashMap<String, i64>,
    start_logs: &HashSet<String>,
    when: &str,
) {
    let mut moved: HashMap<String, i64> = HashMap::new();
    for row in replica.table("logs_inventario") {
        if !start_logs.contains(&key_of("logs_inventario", row)) {
            *moved.entry(text(row, "logs_inventario", "id_inventario")).or_default() +=
                int(row, "logs_inventario", "diferencia");
        }
    }
    for (item, stock) in replica_stock(replica) {
        let expected = start.get(&item).copied().unwrap_or(0) + moved.get(&item).copied().unwrap_or(0);
        assert_eq!(stock, expected, "{when}: item {item} has stock {stock} but its ledger says {expected}");
    }
}

/// Checks every request of `requests` (id -> line ids) in the replica; returns how many are
/// dispatched.
fn assert_dispatches_whole(replica: &Replica, requests: &BTreeMap<String, Vec<String>>) -> usize {
    let salidas: HashMap<String, String> = replica
        .table("logs_inventario")
        .filter(|row| text(row, "logs_inventario", "tipo_operacion") == "SOLICITUD_SALIDA")
        .map(|row| {
            let detalles = Replica::value(row, "logs_inventario", "detalles");
            (
                detalles["id_detalle"].as_str().unwrap_or_default().to_owned(),
                detalles["id_solicitud"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let traces: HashSet<(String, String)> = replica
        .table("trazabilidad_solicitudes")
        .map(|row| {
            (
                text(row, "trazabilidad_solicitudes", "id_solicitud"),
                text(row, "trazabilidad_solicitudes", "estado_nuevo"),
            )
        })
        .collect();
    let mut dispatched = 0;
    for (id, lines) in requests {
        let request = replica.get("solicitudes", id).unwrap_or_else(|| panic!("request {id} in the replica"));
        let estado = text(request, "solicitudes", "estado");
        let is_dispatched = estado == "DESPACHADO";
        for line in lines {
            let row = replica.get("detalles_solicitud", line).unwrap_or_else(|| panic!("line {line} of {id}"));
            let despachada = Replica::value(row, "detalles_solicitud", "cantidad_despachada");
            assert_eq!(
                !despachada.is_null(),
                is_dispatched,
                "request {id} is {estado} but line {line} has cantidad_despachada {despachada}"
            );
            assert_eq!(
                salidas.get(line) == Some(id),
                is_dispatched,
                "request {id} is {estado}; its line {line} has a SOLICITUD_SALIDA row: {}",
                salidas.contains_key(line)
            );
        }
        assert_eq!(
            traces.contains(&(id.clone(), "DESPACHADO".to_owned())),
            is_dispatched,
            "request {id} is {estado}: its DESPACHADO trace row"
        );
        assert_eq!(Replica::value(request, "solicitudes", "fecha_despacho").is_null(), !is_dispatched);
        dispatched += usize::from(is_dispatched);
    }
    dispatched
}

/// The replica's per-table checksums equal the server's for that user.
async fn assert_converged(replica: &Replica, api: &Api, who: &str) {
    let server = api.checksum().await.tables;
    let local = replica.checksums();
    for table in TABLES {
        assert_eq!(
            local.get(table.name),
            server.get(table.name),
            "{who}: table {} differs from the server",
            table.name
        );
    }
    assert_eq!(local.len(), server.len(), "{who}: the same tables");
}

async fn random_id(world: &World, rng: &mut StdRng, sql: &str, bind: &str) -> Option<Uuid> {
    let ids: Vec<Uuid> = sqlx::query_scalar(sql).bind(bind).fetch_all(&world.db.pool).await.expect("ids");
    if ids.is_empty() {
        None
    } else {
        Some(ids[rng.gen_range(0..ids.len())])
    }
}

/// What must never leave the server: every session's tokens and their hashes, and every
/// password hash.
async fn secrets(world: &World) -> Vec<String> {
    let mut out: Vec<String> = sqlx::query_scalar("SELECT password_hash FROM sync_credenciales")
        .fetch_all(&world.db.pool)
        .await
        .expect("hashes");
    let hashes: Vec<String> = sqlx::query_scalar(
        "SELECT x FROM sync_sesiones, LATERAL (VALUES (encode(token_hash, 'hex')), (encode(refresh_hash, 'hex')), \
                (encode(token_hash, 'base64')), (encode(refresh_hash, 'base64'))) v(x)",
    )
    .fetch_all(&world.db.pool)
    .await
    .expect("token hashes");
    out.extend(hashes);
    for api in [&world.admin, &world.bodega, &world.norte, &world.sur] {
        let session = api.session.as_ref().expect("session");
        out.push(session.access_token.clone());
        out.push(session.refresh_token.clone());
    }
    assert!(out.len() >= 12);
    out
}

fn assert_no_secrets(pages: &[Value], secrets: &[String]) {
    for table in TABLES {
        for column in table.columns {
            let name = column.name.to_lowercase();
            assert!(
                !["hash", "token", "password", "secret", "clave_"].iter().any(|w| name.contains(w)),
                "{}.{} looks like a secret",
                table.name,
                column.name
            );
        }
    }
    let body = serde_json::to_string(pages).expect("json");
    for secret in secrets {
        assert!(!body.contains(secret.as_str()), "a secret left the server");
    }
    for marker in ["$argon2", "password", "token_hash"] {
        assert!(!body.contains(marker), "{marker} in a pull");
    }
}

/// Where rows live, from the database, to check a replica row by row against the read rules.
struct Layout {
    inventario: HashMap<String, Uuid>,
    solicitudes: HashMap<String, [Uuid; 2]>,
    conteos: HashMap<String, Uuid>,
    user_locs: HashMap<String, Vec<Uuid>>,
}

impl Layout {
    async fn load(world: &World) -> Layout {
        let pool = &world.db.pool;
        let pairs = |sql: &'static str| async move {
            let rows: Vec<(String, Uuid)> = sqlx::query_as(sql).fetch_all(pool).await.expect("layout");
            rows
        };
        let inventario =
            pairs("SELECT id_inventario::text, id_localizacion FROM inventario").await.into_iter().collect();
        let conteos = pairs("SELECT id_conteo::text, id_localizacion FROM registro_conteo").await.into_iter().collect();
        let mut user_locs: HashMap<String, Vec<Uuid>> = HashMap::new();
        // A user is read where they are assigned, and at both ends of every request they made
        // or whose history names them (issue 8.12).
        for (user, loc) in pairs(
            "SELECT id_usuario::text, id_localizacion FROM usuarios_localizacion \
             UNION SELECT s.id_usuario_solicitante::text, l FROM solicitudes s, \
                          unnest(ARRAY[s.id_localizacion_origen, s.id_localizacion_destino]) AS l \
             UNION SELECT t.id_usuario::text, l FROM trazabilidad_solicitudes t JOIN solicitudes s USING (id_solicitud), \
                          unnest(ARRAY[s.id_localizacion_origen, s.id_localizacion_destino]) AS l",
        )
        .await
        {
            user_locs.entry(user).or_default().push(loc);
        }
        let requests: Vec<(String, Uuid, Uuid)> = sqlx::query_as(
            "SELECT id_solicitud::text, id_localizacion_origen, id_localizacion_destino FROM solicitudes",
        )
        .fetch_all(pool)
        .await
        .expect("requests");
        let solicitudes = requests.into_iter().map(|(id, o, d)| (id, [o, d])).collect();
        Layout { inventario, solicitudes, conteos, user_locs }
    }

    fn count(&self, replica: &Replica, table: &str, loc: Uuid) -> usize {
        replica.table(table).filter(|row| text(row, table, "id_localizacion") == loc.to_string()).count()
    }

    /// Every row of the replica is one `user` with locations `locs` may read.
    /// An admin (`locs` = every location) may also read every user and assignment.
    fn assert_in_scope(&self, replica: &Replica, user: Uuid, locs: &[Uuid], admin: bool, who: &str) {
        let user = user.to_string();
        let mine = |row: &[Value], table: &str, column: &str| text(row, table, column) == user;
        let here = |loc: Option<&Uuid>| loc.is_some_and(|l| locs.contains(l));
        let at = |id: String| -> Option<Uuid> { id.parse().ok() };
        let mut outside = Vec::new();
        for ((table, key), row) in &replica.rows {
            let t = table.as_str();
            let ok = match t {
                "roles"
                | "localizacion"
                | "localizacion_politicas"
                | "repuestos"
                | "scooter_types"
                | "order_follow" => true,
                "usuarios" => {
                    admin
                        || mine(row, t, "id_usuario")
                        || self
                            .user_locs
                            .get(&text(row, t, "id_usuario"))
                            .is_some_and(|ls| ls.iter().any(|l| locs.contains(l)))
                }
                "usuarios_localizacion" => {
                    admin || mine(row, t, "id_usuario") || here(at(text(row, t, "id_localizacion")).as_ref())
                }
                "admin_notifications" => mine(row, t, "id_admin"),
                "carrito_solicitudes" | "notificaciones" | "conflictos" => mine(row, t, "id_usuario"),
                "inventario" | "movimientos_tecnicos" | "garantias" | "registro_conteo" => {
                    here(at(text(row, t, "id_localizacion")).as_ref())
                }
                "logs_inventario" => here(self.inventario.get(&text(row, t, "id_inventario"))),
                "solicitudes" => {
                    here(at(text(row, t, "id_localizacion_origen")).as_ref())
                        || here(at(text(row, t, "id_localizacion_destino")).as_ref())
                }
                "detalles_solicitud" | "trazabilidad_solicitudes" => self
                    .solicitudes
                    .get(&text(row, t, "id_solicitud"))
                    .is_some_and(|ls| ls.iter().any(|l| locs.contains(l))),
                "detalles_conteo" | "conteos_cerrados" => here(self.conteos.get(&text(row, t, "id_conteo"))),
                other => panic!("a table the scope check does not know: {other}"),
            };
            if !ok {
                outside.push(format!("{table}/{key}"));
            }
        }
        assert!(
            outside.is_empty(),
            "{who}: {} rows outside the scope, e.g. {:?}",
            outside.len(),
            &outside[..outside.len().min(8)]
        );
    }
}

/// A `taller-server` process serving the test database, killed when dropped.
struct ServerProcess {
    child: tokio::process::Child,
    base: String,
}

impl ServerProcess {
    async fn spawn(database_url: &str) -> ServerProcess {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_taller-server"))
            .args([
                "--database-url",
                database_url,
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--migrate",
                "false",
                "--db-connections",
                "5",
            ])
            .env("RUST_LOG", "warn")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start taller-server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if let Some(address) = line.strip_prefix("listening on ") {
                    return address.trim().to_owned();
                }
            }
            panic!("taller-server exited without listening");
        })
        .await
        .expect("taller-server listens within 30 s");
        // Keep reading so the process never writes into a closed pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        ServerProcess { child, base }
    }

    async fn stop(&mut self) {
        self.child.kill().await.expect("kill taller-server");
    }
}

/// Reads a streaming response until `needle` appears in what was read, within `limit`.
async fn read_until(response: &mut reqwest::Response, seen: &mut String, needle: &str, limit: Duration) {
    let start = seen.len();
    tokio::time::timeout(limit, async {
        while !seen[start..].contains(needle) {
            match response.chunk().await.expect("event stream") {
                Some(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk)),
                None => panic!("the event stream ended; got {seen:?}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {needle:?} within {limit:?}; got {seen:?}"));
}
