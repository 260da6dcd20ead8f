//! The sync loop's own guarantees: a refused cursor starts a full sync that keeps the outbox
//! (contract invariant 12), two syncs of one replica never pass each other, and a push that
//! fails does not keep the device from receiving everyone else's changes.

use taller_client::replica::{Replica, StateKey};

use crate::harness::*;
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};
use taller_client::sync::{self, lock};
use taller_client::ClientError;
use taller_protocol::mutations::Mutation;
use uuid::Uuid;

fn adjust(loc: Uuid, part: Uuid, delta: i32) -> Mutation {
    Mutation::parse(
        "inventory.adjust",
        &json!({"id_localizacion": loc, "id_repuesto": part, "delta": delta, "motivo": "llegó pedido"}),
    )
    .expect("mutation")
}

fn set_state(device: &Device, key: StateKey, value: &str) {
    let replica = lock(device.client.shared());
    Replica::set_state(&replica.conn, key, value).expect("sync_state");
}

/// The replica's indexes and triggers, as `sqlite_master` holds them.
fn schema(conn: &rusqlite::Connection) -> Vec<(String, String)> {
    let mut statement = conn
        .prepare(
            "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY name",
        )
        .expect("schema");
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).expect("rows");
    rows.collect::<rusqlite::Result<_>>().expect("schema")
}

/// A delta from nothing is a bulk load, its indexes built after its rows: the replica has a
/// fresh replica's indexes and triggers again, and its full-text index holds exactly its
/// parts (each found by its reference, nothing found for a word no part has any more).
fn assert_bulk_loaded(device: &Device, gone: &str) {
    let fresh = Replica::in_memory().expect("replica");
    let replica = lock(device.client.shared());
    assert_eq!(schema(&replica.conn), schema(&fresh.conn), "the indexes and triggers are back");
    let parts: Vec<(i64, String)> = {
        let mut statement = replica.conn.prepare("SELECT rowid, referencia FROM repuestos").expect("parts");
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).expect("rows");
        rows.collect::<rusqlite::Result<_>>().expect("parts")
    };
    assert!(!parts.is_empty());
    for (rowid, referencia) in parts {
        let found: Vec<i64> = {
            let mut statement =
                replica.conn.prepare("SELECT rowid FROM repuestos_fts WHERE repuestos_fts MATCH ?1").expect("search");
            let query = format!("referencia : \"{}\"", referencia.replace('"', "\"\""));
            let rows = statement.query_map([query], |row| row.get(0)).expect("rows");
            rows.collect::<rusqlite::Result<_>>().expect("found")
        };
        assert!(found.contains(&rowid), "{referencia} is found by its reference ({found:?})");
    }
    let stale: i64 = replica
        .conn
        .query_row("SELECT count(*) FROM repuestos_fts WHERE repuestos_fts MATCH ?1", [gone], |row| row.get(0))
        .expect("search");
    assert_eq!(stale, 0, "«{gone}» names no part any more");
}

/// The server refuses the stored cursor (and the staged one): the next pull starts over from
/// nothing, drops what was staged, replaces the replica's server rows whole (a row the server
/// never had goes, one the replica lost comes back), keeps the pending mutation on top, and
/// says so in the status; the next sync pushes the pending mutation and the replica converges.
#[tokio::test]
async fn a_refused_cursor_starts_a_full_sync_that_keeps_and_then_pushes_the_outbox() {
    let net = Net::new().await;
    let (loc, part, other) = (net.locs[1], net.parts[0].0, net.parts[1].0);
    let norte = Device::login(&net.server.base, "tecnico.norte@taller.test").await;
    let admin = Device::login(&net.server.base, "admin@taller.test").await;
    norte.sync().await;
    admin.sync().await;
    let me = norte.client.user_id();
    norte.act(movement(loc, part, me, "salida", "salida", 2));
    admin.act(adjust(loc, other, 5));
    admin.sync().await;
    {
        let mut replica = lock(norte.client.shared());
        // A staged page under a cursor the server will refuse, and a refused stored cursor.
        sync::stage_raw(&mut replica.conn, Some(r#"[{"table":"repuestos","deletes":["nope"]}]"#), "bad-staged", false)
            .expect("stage");
        replica.conn.execute("UPDATE sync_state SET value = 'not-a-cursor' WHERE key = 'cursor'", []).expect("cursor");
        // Drift no delta from a refused cursor could repair: a row the server never had, and
        // a server row the replica lost.
        replica
            .conn
            .execute(
                "INSERT INTO repuestos (id_repuesto, referencia, nombre, descontinuado, created_at) \
                 VALUES ('ghost', 'GHOST-1', 'Fantasma', 0, '2026-11-01T00:00:00Z')",
                [],
            )
            .expect("ghost");
        replica
            .conn
            .execute("DELETE FROM repuestos WHERE id_repuesto = ?1", [net.parts[5].0.to_string()])
            .expect("lost");
    }

    // A pull alone (the pending movement stays pending through the full sync).
    norte.pull_only().await;
    let server_part = i64::from(net.server_stock(loc, part).await);
    assert_eq!(norte.stock(loc, part), server_part - 2, "the pending movement is re-applied on top");
    assert_eq!(norte.stock(loc, other), i64::from(net.server_stock(loc, other).await), "the admin's change arrived");
    assert_eq!(norte.client.status().expect("status").pending, 1, "the outbox was kept");
    assert_eq!(norte.count("SELECT count(*) FROM repuestos WHERE id_repuesto = 'ghost'"), 0, "replaced whole");
    assert_eq!(norte.count(&format!("SELECT count(*) FROM repuestos WHERE id_repuesto = '{}'", net.parts[5].0)), 1);
    assert_eq!(norte.count("SELECT count(*) FROM staged_pages"), 0, "the refused delta's pages were dropped");
    assert_bulk_loaded(&norte, "fantasma");
    let status = norte.client.status().expect("status");
    let note = status.last_full_sync.expect("the status says a full sync happened");
    assert!(note.contains("invalid_cursor") && note.contains("in full"), "{note}");

    // The next sync pushes what the full sync kept.
    let report = norte.sync().await;
    assert_eq!((report.pushed, report.applied), (1, 1));
    assert_eq!(i64::from(net.server_stock(loc, part).await), server_part - 2);
    assert_eq!(norte.client.status().expect("status").pending, 0);
    norte.assert_converged("after the full sync").await;

    // Through a whole sync: the report says so too.
    set_state(&norte, StateKey::Cursor, "refused-again");
    norte.act(movement(loc, part, me, "salida", "salida", 1));
    let report = norte.sync().await;
    assert!(report.full_sync, "{report:?}");
    assert_eq!(report.applied, 1);
    let status = norte.client.status().expect("status");
    assert_eq!(status.pending, 0);
    assert_eq!(status.last_error, None, "the sync succeeded");
    norte.assert_converged("after a sync that started over").await;
}

/// A gate a pull's progress callback stops at until the test opens it.
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
    reached: Mutex<bool>,
}

impl Gate {
    fn new() -> Arc<Gate> {
        Arc::new(Gate { open: Mutex::new(false), opened: Condvar::new(), reached: Mutex::new(false) })
    }

    fn wait(&self) {
        *self.reached.lock().expect("gate") = true;
        let mut open = self.open.lock().expect("gate");
        while !*open {
            open = self.opened.wait(open).expect("gate");
        }
    }

    fn reached(&self) -> bool {
        *self.reached.lock().expect("gate")
    }

    fn open(&self) {
        *self.open.lock().expect("gate") = true;
        self.opened.notify_all();
    }
}

/// Two syncs of one replica (two clients on one data directory, as the engine and a
/// `taller sync` are): the first is held in the middle of a long pull; an admin adjusts five
/// parts; then the second starts. Whatever the order they finish in, the second's success
/// means the replica has every change committed before it started: the five adjustments,
/// and a replica equal to the server, in every round.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sync_that_succeeds_has_every_change_committed_before_it_started() {
    let net = Net::new().await;
    let norte_loc = net.locs[1];
    let dir = tempfile::Builder::new().prefix("taller-two-syncs-").tempdir().expect("dir");
    let path = dir.path().to_owned();
    let first = Device::login_in(dir, &net.server.base, "tecnico.norte@taller.test").await;
    first.sync().await;
    let first = Arc::new(first);
    let second = taller_client::Workstation::open(&path)
        .expect("a second workstation on the same data directory")
        .session()
        .expect("signed in");
    let admin = Device::login(&net.server.base, "admin@taller.test").await;
    admin.sync().await;
    for round in 0..4 {
        // A long delta for the first sync: every item of Norte changes on the server.
        sqlx::query("UPDATE inventario SET posicion = $1 WHERE id_localizacion = $2")
            .bind(format!("R{round}"))
            .bind(norte_loc)
            .execute(&net.db.pool)
            .await
            .expect("bulk update");
        let gate = Gate::new();
        let pages = Arc::new(AtomicU64::new(0));
        let running = {
            let (first, gate, pages) = (first.clone(), gate.clone(), pages.clone());
            tokio::spawn(async move {
                first
                    .client
                    .sync(Some(2), &move |_| {
                        // Held at its second page: the first page is staged.
                        if pages.fetch_add(1, Ordering::SeqCst) == 1 {
                            gate.wait();
                        }
                    })
                    .await
            })
        };
        while !gate.reached() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Committed while the first sync is in the middle of its delta.
        let parts: Vec<Uuid> = net.parts.iter().skip(round).take(5).map(|(id, _)| *id).collect();
        for part in &parts {
            admin.act(adjust(norte_loc, *part, 3));
        }
        admin.sync().await;
        let expected: Vec<i32> = {
            let mut stocks = Vec::new();
            for part in &parts {
                stocks.push(net.server_stock(norte_loc, *part).await);
            }
            stocks
        };
        let later = {
            let second = second.clone();
            tokio::spawn(async move { second.sync(Some(2), &|_| {}).await })
        };
        // The first sync is let go once the second has finished, or has had a while to pass
        // it: either way the second must not report success without the five changes.
        let deadline = Instant::now() + Duration::from_secs(1);
        while !later.is_finished() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        gate.open();
        let earlier = running.await.expect("task");
        let later = later.await.expect("task");
        assert!(earlier.is_ok(), "round {round}: the first sync: {earlier:?}");
        let report = later.unwrap_or_else(|error| panic!("round {round}: the second sync: {error}"));
        let seen: Vec<i32> =
            parts.iter().map(|part| i32::try_from(first.stock(norte_loc, *part)).expect("small")).collect();
        assert_eq!(seen, expected, "round {round}: the second sync ({report:?}) reported success without them");
        first.assert_converged(&format!("round {round}")).await;
    }
}

/// A sync that finds the delta an interrupted sync left staged finishes it (its end was fixed
/// before), and then pulls a fresh one: its success still means it has every change committed
/// before it started.
#[tokio::test]
async fn a_sync_after_an_interrupted_one_has_what_was_committed_in_between() {
    let net = Net::new().await;
    let norte_loc = net.locs[1];
    let norte = Device::login(&net.server.base, "tecnico.norte@taller.test").await;
    let admin = Device::login(&net.server.base, "admin@taller.test").await;
    norte.sync().await;
    admin.sync().await;
    sqlx::query("UPDATE inventario SET posicion = 'P1' WHERE id_localizacion = $1")
        .bind(norte_loc)
        .execute(&net.db.pool)
        .await
        .expect("bulk update");
    // What an interrupted pull leaves: the first page of a delta, staged with its cursor.
    {
        let api = norte.client.api().expect("api");
        let shared = norte.client.shared();
        let (token, cursor) = {
            let replica = lock(shared);
            (sync::access_token(&replica.conn).expect("token"), replica.state(StateKey::Cursor).expect("state"))
        };
        let page = api
            .pull_page(&token, &taller_protocol::messages::PullRequest { cursor, limit: Some(2) })
            .await
            .expect("first page");
        assert!(!page.complete, "a delta of several pages");
        let mut replica = lock(shared);
        sync::stage_raw(&mut replica.conn, Some(page.changes.get()), &page.cursor, page.reset).expect("stage");
    }
    let part = net.parts[4].0;
    admin.act(adjust(norte_loc, part, 6));
    admin.sync().await;
    let report = norte.sync().await;
    assert_eq!(
        norte.stock(norte_loc, part),
        i64::from(net.server_stock(norte_loc, part).await),
        "the sync reported success without the adjustment: {report:?}"
    );
    assert_eq!(report.deltas, 2, "the staged delta, then a fresh one: {report:?}");
    norte.assert_converged("after the resumed sync").await;
}

/// A device whose pushes keep failing (its device id belongs to another user: every push is
/// refused with `device_mismatch`) still receives the others' changes, with its pending
/// mutation re-applied on top, and the sync reports the push failure.
#[tokio::test]
async fn a_device_whose_push_fails_still_pulls_and_reports_the_failure() {
    let net = Net::new().await;
    let (loc, part, other) = (net.locs[1], net.parts[2].0, net.parts[3].0);
    let norte = Device::login(&net.server.base, "tecnico.norte@taller.test").await;
    let admin = Device::login(&net.server.base, "admin@taller.test").await;
    norte.sync().await;
    admin.sync().await;
    let me = norte.client.user_id();
    norte.act(movement(loc, part, me, "salida", "salida", 1));
    admin.act(adjust(loc, other, 4));
    admin.sync().await;
    let admin_device = {
        let replica = lock(admin.client.shared());
        replica.state(StateKey::DeviceId).expect("state").expect("the admin's device")
    };
    set_state(&norte, StateKey::DeviceId, &admin_device);

    for attempt in 0..2 {
        let error = norte.client.sync(None, &|_| {}).await.expect_err("the push is refused");
        assert_eq!(error.code(), "device_mismatch", "attempt {attempt}: {error}");
        assert!(matches!(error, ClientError::PushFailed(_)), "attempt {attempt}: the pull went on: {error:?}");
        assert_eq!(
            norte.stock(loc, other),
            i64::from(net.server_stock(loc, other).await),
            "attempt {attempt}: the admin's change arrived"
        );
        assert_eq!(
            norte.stock(loc, part),
            i64::from(net.server_stock(loc, part).await) - 1,
            "attempt {attempt}: the pending movement stays on top"
        );
        let status = norte.client.status().expect("status");
        assert_eq!(status.pending, 1);
        assert!(status.last_error.as_deref().is_some_and(|e| e.contains("device_mismatch")), "{status:?}");
        assert!(status.online, "the server answered");
        // Another change while the device keeps failing.
        admin.act(adjust(loc, other, 1));
        admin.sync().await;
    }
}

/// What the probe's observer is told is what the sync did: every pulled page once, in order,
/// the last one complete, their rows adding up to the report's; one applied delta per delta;
/// each pushed batch with its mutations. A push without a pull sends the outbox and leaves
/// the server's changes for the next sync.
#[tokio::test]
async fn the_observer_is_told_each_page_batch_and_delta_the_sync_handled() {
    use taller_client::probe::{AppliedDelta, PulledPage, PushedBatch, SyncObserver};

    #[derive(Default)]
    struct Seen {
        pages: Vec<(u64, bool, usize)>,
        deltas: usize,
        batches: Vec<(usize, usize)>,
    }
    #[derive(Default)]
    struct Recorder(Mutex<Seen>);
    impl SyncObserver for Recorder {
        fn page_pulled(&self, page: &PulledPage<'_>) {
            let rows: Vec<serde_json::Value> = serde_json::from_str(page.changes).expect("the page's text is JSON");
            self.0.lock().expect("recorder").pages.push((page.rows, page.complete, rows.len()));
        }
        fn delta_applied(&self, _delta: &AppliedDelta) {
            self.0.lock().expect("recorder").deltas += 1;
        }
        fn batch_pushed(&self, batch: &PushedBatch) {
            self.0.lock().expect("recorder").batches.push((batch.mutations, batch.request_bytes));
        }
    }

    let net = Net::new().await;
    let (loc, part) = (net.locs[1], net.parts[0].0);
    let norte = Device::login(&net.server.base, "tecnico.norte@taller.test").await;
    let admin = Device::login(&net.server.base, "admin@taller.test").await;
    admin.sync().await;

    // The first sync, in small pages.
    let recorder = Recorder::default();
    let report = norte.client.sync_observed(Some(50), &|_| {}, &recorder).await.expect("sync");
    let seen = recorder.0.into_inner().expect("recorder");
    assert!(seen.pages.len() > 1, "a first sync of small pages has several: {:?}", seen.pages);
    assert_eq!(seen.pages.len() as u64, report.pages);
    assert_eq!(seen.pages.iter().map(|page| page.0).sum::<u64>(), report.rows, "rows add up to the report's");
    assert_eq!(seen.pages.iter().filter(|page| page.1).count(), 1, "one last page");
    assert!(seen.pages.last().expect("a page").1, "the last page is the complete one");
    assert_eq!(seen.deltas as u64, report.deltas);
    assert!(seen.batches.is_empty(), "nothing was pending: {:?}", seen.batches);

    // Two movements offline, pushed without a pull; the admin's change waits for the next sync.
    let me = norte.client.user_id();
    norte.act(movement(loc, part, me, "salida", "salida", 1));
    norte.act(movement(loc, part, me, "salida", "salida", 1));
    admin.act(adjust(loc, net.parts[1].0, 3));
    admin.sync().await;
    let recorder = Recorder::default();
    let pushed = norte.client.push_observed(&recorder).await.expect("push");
    let seen = recorder.0.into_inner().expect("recorder");
    assert_eq!(pushed.applied, 2);
    assert_eq!(seen.batches.len(), 1);
    assert_eq!(seen.batches[0].0, 2, "the batch's mutations");
    assert!(seen.batches[0].1 > 100, "the request's bytes: {:?}", seen.batches);
    assert!(seen.pages.is_empty() && seen.deltas == 0, "a push pulls nothing");
    assert_eq!(norte.client.status().expect("status").pending, 0);
    assert_ne!(norte.stock(loc, net.parts[1].0), i64::from(net.server_stock(loc, net.parts[1].0).await));
    norte.sync().await;
    assert_eq!(norte.stock(loc, net.parts[1].0), i64::from(net.server_stock(loc, net.parts[1].0).await));
}
