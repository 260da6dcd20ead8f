//! The sync engine on a faulty network and with a faulty server (contract invariants 2, 3, 7
//! and 9, and the resumable initial sync): a device behind `taller-faultproxy` queues movements
//! and adjustments offline and syncs while connections are refused, requests and responses are
//! lost, responses are cut, delayed or duplicated, the link is throttled and cut mid-pull, the
//! server restarts mid-push and the database goes away mid-push. Whatever happened, once the
//! faults stop every queued mutation is applied exactly once and the replica equals the server.

use taller_client::replica::StateKey;

use crate::harness::{Device, Net};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use taller_client::sync::{self, lock, Progress};
use taller_domain::stock::movement_effect;
use taller_domain::{Concepto, TipoMovimiento};
use taller_faultproxy::{FaultProxy, Faults, Stats};
use taller_protocol::mutations::Mutation;
use taller_server::config::Config;
use taller_server::testing::TestServer;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connections_change_nothing_and_the_outbox_waits() {
    let observed = fault_case("refused connections", 11, 5, |_, _| Faults { refuse: true, ..Faults::default() }).await;
    assert!(observed.stats.refused > 0, "{}: no connection was refused", observed.context);
    assert_eq!(observed.ok, 0, "{}: a sync succeeded through a refusing proxy", observed.context);
    assert_eq!(observed.reached_server, 0, "{}: a mutation reached the server", observed.context);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_requests_are_sent_again() {
    let observed = fault_case("requests dropped", 12, 8, |attempt, _| Faults {
        drop_request_probability: 0.6,
        seed: 12 + u64::from(attempt),
        ..Faults::default()
    })
    .await;
    assert!(observed.stats.dropped_requests > 0, "{}: no request was dropped", observed.context);
    assert!(observed.failed > 0, "{}: no sync failed", observed.context);
}

/// The server commits the push; the client never hears. Re-sending returns the recorded
/// outcomes and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_dropped_after_the_commit_are_not_applied_twice() {
    let observed = fault_case("responses dropped after commit", 13, 8, |attempt, _| Faults {
        drop_response_probability: 0.7,
        seed: 13 + u64::from(attempt),
        ..Faults::default()
    })
    .await;
    assert!(observed.stats.dropped_responses > 0, "{}: no response was dropped", observed.context);
    assert!(
        observed.committed_unheard > 0,
        "{}: never saw a mutation committed on the server and still pending on the device",
        observed.context
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_cut_mid_body_are_not_applied_twice() {
    let observed = fault_case("responses cut mid-body", 14, 8, |_, rng| Faults {
        cut_response_after_bytes: Some(rng.gen_range(120..2500)),
        ..Faults::default()
    })
    .await;
    assert!(observed.stats.cut_responses > 0, "{}: no response was cut", observed.context);
    assert!(observed.failed > 0, "{}: no sync failed", observed.context);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delays_slow_the_sync_down_and_nothing_else() {
    let observed = fault_case("delays", 15, 3, |_, rng| Faults {
        delay: Some(Duration::from_millis(rng.gen_range(20..60))),
        ..Faults::default()
    })
    .await;
    assert!(observed.stats.delayed_chunks > 0, "{}: nothing was delayed", observed.context);
    assert_eq!(observed.failed, 0, "{}: a delayed sync failed", observed.context);
}

/// Every request reaches the server twice (the second copy on another connection, at about
/// the same time); the device order and the exactly-once effect hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_requests_are_applied_once() {
    let observed = fault_case("duplicated requests", 16, 6, |attempt, _| Faults {
        duplicate_request_probability: 1.0,
        seed: 16 + u64::from(attempt),
        ..Faults::default()
    })
    .await;
    assert!(observed.stats.duplicated_requests > 0, "{}: no request was duplicated", observed.context);
}

/// A throttled link cut in the middle of the initial sync: the next sync continues from the
/// last staged page instead of starting again (the rows it receives plus the rows staged before
/// the cut are exactly a full sync), then movements go through the same slow link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_initial_sync_cut_mid_pull_resumes_from_the_last_staged_page() {
    const PAGE: u32 = 5;
    let seed = seed_or(17);
    let net = Net::new().await;
    let upstream = addr(&net.server.base);
    // The size of a full initial sync for this user, on an unhindered device.
    let reference = Device::login(&net.server.base, "admin@taller.test").await;
    let full = reference.client.sync(Some(PAGE), &|_| {}).await.expect("full sync");
    let proxy = FaultProxy::start(upstream).await.expect("proxy");
    let mut dev = Device::login(&net.server.base, "admin@taller.test").await;
    dev.ws.connect(&format!("http://{}", proxy.addr())).expect("connect");
    let context = format!("resume, seed {seed}, full sync {} rows in {} pages", full.rows, full.pages);
    assert!(full.pages >= 6, "{context}: the data set is too small to cut a sync in the middle");

    proxy.set(Faults { bandwidth_bytes_per_sec: Some(4_000), seed, ..Faults::default() });
    let cut_after_pages = 2 + seed % 3;
    let (interrupted, ()) = tokio::join!(dev.client.sync(Some(PAGE), &|_| {}), async {
        wait_for(Duration::from_secs(30), || dev.count("SELECT count(*) FROM staged_pages") >= cut_after_pages as i64)
            .await;
        proxy.cut_all();
    });
    assert!(interrupted.is_err(), "{context}: the sync finished before the cut: {interrupted:?}");
    assert!(proxy.stats().cut > 0, "{context}: no connection was cut");
    let staged_rows = staged_rows(&dev);
    assert!(staged_rows > 0, "{context}: nothing was staged before the cut");
    assert_eq!(dev.count("SELECT count(*) FROM inventario"), 0, "{context}: part of a delta was applied");

    proxy.set(Faults::default());
    let first_progress: Arc<Mutex<Option<Progress>>> = Arc::default();
    let recorder = first_progress.clone();
    let bytes_before = proxy.stats().bytes_to_client;
    let record_first = move |p: Progress| {
        recorder.lock().expect("lock").get_or_insert(p);
    };
    let resumed = tokio::time::timeout(Duration::from_secs(60), dev.client.sync(Some(PAGE), &record_first))
        .await
        .unwrap_or_else(|_| panic!("{context}: the resumed sync does not finish"))
        .expect("resumed sync");
    let resumed_bytes = proxy.stats().bytes_to_client - bytes_before;
    let context = format!("{context}, {staged_rows} rows staged before the cut, {} rows after it", resumed.rows);
    assert!(resumed.rows < full.rows, "{context}: the resumed sync sent everything again");
    assert!(resumed.pages < full.pages, "{context}: as many pages as a full sync");
    assert_eq!(resumed.rows + staged_rows, full.rows, "{context}: rows were sent twice or skipped");
    let first = first_progress.lock().expect("lock").expect("progress");
    assert!(first.rows_sent > u64::from(PAGE), "{context}: the server started the delta again: {first:?}");
    dev.assert_converged(&context).await;
    println!("{context}; {resumed_bytes} bytes after the cut");

    // Then writes through the slow link, and the usual exactly-once checks.
    let mut rig = Rig::attach(net, dev, proxy, seed).await;
    rig.write(6);
    rig.proxy.set(Faults { bandwidth_bytes_per_sec: Some(20_000), ..Faults::default() });
    let slow = rig.dev.client.sync(None, &|_| {}).await;
    println!("sync through a 20 kB/s link: {:?}", slow.map(|r| r.pushed));
    rig.settle().await;
    rig.assert_exactly_once("resume").await;
}

/// The server is killed in the middle of a push (its connections reset, the in-flight request
/// cancelled, after some of the batch's transactions committed); another server process on the
/// same database takes over. The device pushes again there and nothing is applied twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_in_the_middle_of_a_push_applies_each_mutation_once() {
    let seed = seed_or(18);
    let net = Net::new().await;
    let dev = Device::login(&net.server.base, "bodega@taller.test").await;
    dev.sync().await;
    // One mutation per transaction, so a push is many commits long.
    let first = TestServer::start(&net.db, Config { push_chunk: 1, ..Config::default() }).await;
    let proxy = FaultProxy::start(addr(&first.base)).await.expect("proxy");
    let mut rig = Rig::attach(net, dev, proxy, seed).await;
    rig.write(80);
    let total = rig.queued.len() as i64;
    let (pushed, (at_kill, after_kill)) = tokio::join!(rig.dev.client.sync(None, &|_| {}), async {
        wait_for_async(Duration::from_secs(30), || rig.recorded_count(), |n| n >= 3).await;
        rig.proxy.cut_all();
        drop(first);
        let at_kill = rig.recorded_count().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        (at_kill, rig.recorded_count().await)
    });
    let context = format!(
        "server restart, seed {seed}: {at_kill} of {total} committed at the kill, {after_kill} after it; the push answered {:?}",
        pushed.as_ref().map(|r| r.applied)
    );
    assert!(pushed.is_err(), "{context}: the push was not interrupted");
    assert!(at_kill < total, "{context}: the whole push had committed before the kill");
    rig.assert_prefix_applied(&context).await;
    // Another server process on the same database.
    let second = TestServer::start(&rig.net.db, Config::default()).await;
    rig.dev.ws.connect(&second.base).expect("connect");
    rig.settle().await;
    rig.assert_exactly_once(&context).await;
    println!("{context}");
}

/// The database goes away in the middle of a push (new connections refused, every open one
/// terminated), stays away for a few sync attempts, then comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_database_going_away_mid_push_stops_the_batch_and_loses_nothing() {
    let seed = seed_or(19);
    let net = Net::new().await;
    let dev = Device::login(&net.server.base, "bodega@taller.test").await;
    dev.sync().await;
    let server = TestServer::start(&net.db, Config { push_chunk: 1, ..Config::default() }).await;
    let proxy = FaultProxy::start(addr(&server.base)).await.expect("proxy");
    let mut rig = Rig::attach(net, dev, proxy, seed).await;
    rig.write(80);
    let total = rig.queued.len() as i64;
    let database = rig.net.db.url.rsplit_once('/').expect("url").1.to_owned();
    let admin_url = format!("{}/postgres", rig.net.db.url.rsplit_once('/').expect("url").0);
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url).await.expect("admin connection");
    let (pushed, at_outage) = tokio::join!(rig.dev.client.sync(None, &|_| {}), async {
        wait_for_async(Duration::from_secs(30), || rig.recorded_count(), |n| n >= 3).await;
        let at_outage = rig.recorded_count().await;
        // CONNECTION LIMIT does not bind the superuser the tests connect as; ALLOW_CONNECTIONS does.
        sqlx::query(&format!("ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS false"))
            .execute(&mut admin)
            .await
            .expect("block");
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
            .bind(&database)
            .execute(&mut admin)
            .await
            .expect("terminate");
        at_outage
    });
    let mut context = format!(
        "database outage, seed {seed}: {at_outage} of {total} committed when it went away; the push answered {:?}",
        pushed.as_ref().map(|r| r.applied).map_err(|e| e.to_string())
    );
    let error = pushed.expect_err(&context);
    assert!(error.is_transient(), "{context}: not a transient failure: {error}");
    for attempt in 0..3 {
        let result = rig.dev.client.sync(None, &|_| {}).await;
        let error = result.expect_err(&format!("{context}: sync {attempt} succeeded without a database"));
        assert!(error.is_transient(), "{context}: not a transient failure: {error}");
        context.push_str(&format!("; while down: {}", error.code()));
    }
    let pending = rig.dev.client.status().expect("status").pending;
    assert!(pending > 0, "{context}: nothing left to push");
    sqlx::query(&format!("ALTER DATABASE \"{database}\" ALLOW_CONNECTIONS true"))
        .execute(&mut admin)
        .await
        .expect("unblock");
    rig.assert_prefix_applied(&context).await;
    rig.settle().await;
    rig.assert_exactly_once(&context).await;
    println!("{context}");
}

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

/// `TALLER_TEST_SEED` when set, else the default.
fn seed_or(default: u64) -> u64 {
    std::env::var("TALLER_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

fn addr(base: &str) -> SocketAddr {
    base.trim_start_matches("http://").parse().expect("server address")
}

/// Polls a condition every few milliseconds, panicking after `limit`.
async fn wait_for(limit: Duration, mut condition: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !condition() {
        assert!(start.elapsed() < limit, "timed out waiting");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

async fn wait_for_async<F, Fut, T>(limit: Duration, mut probe: F, done: impl Fn(T) -> bool)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let start = std::time::Instant::now();
    while !done(probe().await) {
        assert!(start.elapsed() < limit, "timed out waiting");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Rows staged in the replica (pages of a delta not applied yet).
fn staged_rows(dev: &Device) -> u64 {
    let replica = lock(dev.client.shared());
    let mut statement = replica.conn.prepare("SELECT payload FROM staged_pages").expect("prepare");
    let payloads: Vec<String> =
        statement.query_map([], |row| row.get(0)).expect("query").collect::<rusqlite::Result<_>>().expect("rows");
    payloads
        .iter()
        .map(|payload| {
            let changes: Vec<taller_protocol::messages::TableChanges> = serde_json::from_str(payload).expect("page");
            changes.iter().map(|c| (c.upserts.len() + c.deletes.len()) as u64).sum::<u64>()
        })
        .sum()
}

/// What a fault case saw.
struct Observed {
    context: String,
    stats: Stats,
    ok: usize,
    failed: usize,
    /// Times a failed sync left a mutation committed on the server and pending on the device.
    committed_unheard: usize,
    /// Mutations of the device on the server when the faults stopped.
    reached_server: i64,
}

/// A fault case: a warehouse device (Bodega Central) behind a proxy queues movements and
/// adjustments offline, syncs `attempts` times under `faults(attempt, rng)` (queueing more
/// between attempts), then syncs with the faults off; every mutation is applied exactly once
/// and the replica equals the server.
async fn fault_case(
    name: &str,
    default_seed: u64,
    attempts: u32,
    faults: impl Fn(u32, &mut StdRng) -> Faults,
) -> Observed {
    let seed = seed_or(default_seed);
    let mut rig = Rig::new(seed).await;
    let context = format!("{name}, seed {seed}");
    rig.write(6);
    let (mut ok, mut failed, mut committed_unheard) = (0, 0, 0);
    let mut errors = BTreeSet::new();
    for attempt in 0..attempts {
        if attempt % 2 == 1 {
            rig.write(2);
        }
        let chosen = faults(attempt, &mut rig.rng);
        rig.proxy.set(chosen);
        match rig.dev.client.sync(None, &|_| {}).await {
            Ok(_) => ok += 1,
            Err(error) => {
                assert!(error.is_transient(), "{context}: a fault gave a non-transient error: {error}");
                errors.insert(error.code().to_owned());
                failed += 1;
                let on_server = rig.recorded_ids().await;
                if rig.pending_ids().iter().any(|id| on_server.contains(id)) {
                    committed_unheard += 1;
                }
            }
        }
    }
    let stats = rig.proxy.stats();
    let reached_server = rig.recorded_count().await;
    rig.proxy.set(Faults::default());
    rig.settle().await;
    let context = format!(
        "{context}: {ok} syncs ok, {failed} failed {errors:?}, {committed_unheard} committed but unheard, {} mutations",
        rig.queued.len()
    );
    rig.assert_exactly_once(&context).await;
    println!("{context}; proxy {stats:?}");
    Observed { context, stats, ok, failed, committed_unheard, reached_server }
}

/// A queued mutation and its expected effect on stock.
struct Queued {
    id: Uuid,
    part: Uuid,
    delta: i32,
    movement: Option<Uuid>,
}

/// A device behind a proxy, its location and parts, what it queued, the stock before.
struct Rig {
    net: Net,
    proxy: FaultProxy,
    dev: Device,
    device_id: Uuid,
    user: Uuid,
    loc: Uuid,
    parts: Vec<Uuid>,
    initial: HashMap<Uuid, i32>,
    ledger_before: i64,
    queued: Vec<Queued>,
    rng: StdRng,
}

impl Rig {
    /// Bodega's device, synced directly, then connected through a transparent proxy.
    async fn new(seed: u64) -> Rig {
        let net = Net::new().await;
        let dev = Device::login(&net.server.base, "bodega@taller.test").await;
        dev.sync().await;
        let proxy = FaultProxy::start(addr(&net.server.base)).await.expect("proxy");
        Rig::attach(net, dev, proxy, seed).await
    }

    /// Puts a synced device behind `proxy` (already there if it is). Works at Bodega Central.
    async fn attach(net: Net, mut dev: Device, proxy: FaultProxy, seed: u64) -> Rig {
        dev.ws.connect(&format!("http://{}", proxy.addr())).expect("connect");
        let device_id: Uuid = {
            let replica = lock(dev.client.shared());
            sync::state(&replica.conn, StateKey::DeviceId).expect("state").expect("device id").parse().expect("uuid")
        };
        let user = dev.client.user_id();
        let loc = net.locs[0];
        let parts: Vec<Uuid> = net.parts[..3].iter().map(|p| p.0).collect();
        let mut initial = HashMap::new();
        for part in &parts {
            initial.insert(*part, net.server_stock(loc, *part).await);
        }
        let ledger_before = ledger_rows(&net, loc, &parts).await;
        Rig {
            net,
            proxy,
            dev,
            device_id,
            user,
            loc,
            parts,
            initial,
            ledger_before,
            queued: Vec::new(),
            rng: StdRng::seed_from_u64(seed),
        }
    }

    /// Queues `n` random movements (every concept) and adjustments, offline.
    fn write(&mut self, n: usize) {
        for _ in 0..n {
            let part = self.parts[self.rng.gen_range(0..self.parts.len())];
            let (mutation, delta, movement) = if self.rng.gen_bool(0.7) {
                let concepto = Concepto::ALL[self.rng.gen_range(0..Concepto::ALL.len())];
                let tipos = concepto.allowed_tipos();
                let tipo: TipoMovimiento = tipos[self.rng.gen_range(0..tipos.len())];
                let qty = self.rng.gen_range(1..=5);
                let id = Uuid::now_v7();
                let mutation = Mutation::parse(
                    "movement.record",
                    &json!({"id_movimientos_tecnicos": id, "id_localizacion": self.loc, "id_repuesto": part,
                            "id_tecnico_asignado": self.user, "concepto": concepto, "tipo": tipo, "cantidad": qty}),
                )
                .expect("movement");
                (mutation, movement_effect(concepto, tipo, qty).expect("effect").delta, Some(id))
            } else {
                let delta = if self.rng.gen_bool(0.5) { self.rng.gen_range(1..=6) } else { -self.rng.gen_range(1..=6) };
                let mutation = Mutation::parse(
                    "inventory.adjust",
                    &json!({"id_localizacion": self.loc, "id_repuesto": part, "delta": delta, "motivo": "recuento"}),
                )
                .expect("adjust");
                (mutation, delta, None)
            };
            let queued = self.dev.act(mutation);
            self.queued.push(Queued { id: queued.id, part, delta, movement });
        }
    }

    async fn recorded_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM sync_mutations WHERE id_dispositivo = $1")
            .bind(self.device_id)
            .fetch_one(&self.net.db.pool)
            .await
            .expect("count")
    }

    async fn recorded_ids(&self) -> BTreeSet<Uuid> {
        sqlx::query_scalar("SELECT id_mutacion FROM sync_mutations WHERE id_dispositivo = $1")
            .bind(self.device_id)
            .fetch_all(&self.net.db.pool)
            .await
            .expect("ids")
            .into_iter()
            .collect()
    }

    fn pending_ids(&self) -> Vec<Uuid> {
        let replica = lock(self.dev.client.shared());
        let mut statement = replica.conn.prepare("SELECT id FROM outbox WHERE status = 'pending'").expect("prepare");
        let ids: Vec<String> =
            statement.query_map([], |row| row.get(0)).expect("query").collect::<rusqlite::Result<_>>().expect("rows");
        ids.iter().map(|id| id.parse().expect("uuid")).collect()
    }

    /// What the server applied of the device's queue is a prefix of it, in order: a batch that
    /// stopped applied nothing after the point where it stopped (contract invariant 3).
    async fn assert_prefix_applied(&self, context: &str) {
        let recorded: Vec<Uuid> =
            sqlx::query_scalar("SELECT id_mutacion FROM sync_mutations WHERE id_dispositivo = $1 ORDER BY seq")
                .bind(self.device_id)
                .fetch_all(&self.net.db.pool)
                .await
                .expect("mutations");
        let queued: Vec<Uuid> = self.queued.iter().map(|q| q.id).collect();
        assert!(recorded.len() < queued.len(), "{context}: everything was applied already");
        assert_eq!(
            recorded,
            queued[..recorded.len()],
            "{context}: the applied mutations are not a prefix of the queue"
        );
    }

    /// With the faults off: syncs until a sync succeeds with nothing pending, then once more
    /// (the pull that shows the device its own last effects).
    async fn settle(&mut self) {
        let mut last = None;
        for _ in 0..10 {
            match self.dev.client.sync(None, &|_| {}).await {
                Ok(_) if self.dev.client.status().expect("status").pending == 0 => {
                    self.dev.sync().await;
                    return;
                }
                Ok(report) => last = Some(format!("{report:?}")),
                Err(error) => {
                    last = Some(error.to_string());
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        panic!("the device does not settle with the faults off: {last:?}");
    }

    /// Every queued mutation recorded once, applied; the stock is the initial stock plus the
    /// deltas, with one ledger row per stock change; the ledger explains the stock; the
    /// replica equals the server.
    async fn assert_exactly_once(&self, context: &str) {
        let recorded: Vec<(Uuid, i64, String, Option<String>)> = sqlx::query_as(
            "SELECT id_mutacion, seq, estado, codigo FROM sync_mutations WHERE id_dispositivo = $1 ORDER BY seq",
        )
        .bind(self.device_id)
        .fetch_all(&self.net.db.pool)
        .await
        .expect("mutations");
        let queued_ids: Vec<Uuid> = self.queued.iter().map(|q| q.id).collect();
        let recorded_ids: Vec<Uuid> = recorded.iter().map(|r| r.0).collect();
        assert_eq!(recorded_ids, queued_ids, "{context}: the server's mutations of the device (in device order)");
        for (id, seq, estado, codigo) in &recorded {
            assert_eq!(estado, "applied", "{context}: mutation {id} (seq {seq}) was {estado} {codigo:?}");
        }
        for part in &self.parts {
            let deltas: i32 = self.queued.iter().filter(|q| q.part == *part).map(|q| q.delta).sum();
            assert_eq!(
                self.net.server_stock(self.loc, *part).await,
                self.initial[part] + deltas,
                "{context}: stock of {part} is not the initial stock plus every delta once"
            );
        }
        let changes = self.queued.iter().filter(|q| q.delta != 0).count() as i64;
        assert_eq!(
            ledger_rows(&self.net, self.loc, &self.parts).await - self.ledger_before,
            changes,
            "{context}: ledger rows written"
        );
        let movements: BTreeSet<Uuid> = self.queued.iter().filter_map(|q| q.movement).collect();
        let on_server: BTreeSet<Uuid> = sqlx::query_scalar(
            "SELECT id_movimientos_tecnicos FROM movimientos_tecnicos WHERE id_usuario_responsable = $1",
        )
        .bind(self.user)
        .fetch_all(&self.net.db.pool)
        .await
        .expect("movements")
        .into_iter()
        .collect();
        assert_eq!(on_server, movements, "{context}: movement rows");
        assert_ledger_consistent(&self.net, context).await;
        assert_eq!(self.dev.client.status().expect("status").pending, 0, "{context}: still pending");
        self.dev.assert_converged(context).await;
    }
}

async fn ledger_rows(net: &Net, loc: Uuid, parts: &[Uuid]) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM logs_inventario l JOIN inventario i USING (id_inventario) \
          WHERE i.id_localizacion = $1 AND i.id_repuesto = ANY($2)",
    )
    .bind(loc)
    .bind(parts)
    .fetch_one(&net.db.pool)
    .await
    .expect("ledger rows")
}

/// Every item's stock equals its ledger (as `sync/server/tests/it/harness.rs` checks it).
async fn assert_ledger_consistent(net: &Net, context: &str) {
    let broken: i64 = sqlx::query_scalar(
        "WITH l AS (SELECT l.id_inventario, l.cantidad_anterior, l.cantidad_nueva, l.diferencia, min(c.id) AS orden \
                      FROM logs_inventario l JOIN sync_changes c ON c.tabla = 'logs_inventario' AND c.clave = l.id_log::text \
                     GROUP BY 1, 2, 3, 4, l.id_log), \
              chain AS (SELECT *, lag(cantidad_nueva) OVER (PARTITION BY id_inventario ORDER BY orden) AS prev, \
                               row_number() OVER (PARTITION BY id_inventario ORDER BY orden DESC) AS rn FROM l) \
         SELECT (SELECT count(*) FROM chain WHERE prev IS NOT NULL AND prev <> cantidad_anterior) \
              + (SELECT count(*) FROM chain WHERE diferencia <> cantidad_nueva - cantidad_anterior) \
              + (SELECT count(*) FROM chain JOIN inventario i USING (id_inventario) WHERE rn = 1 AND i.stock_actual <> chain.cantidad_nueva)",
    )
    .fetch_one(&net.db.pool)
    .await
    .expect("ledger check");
    assert_eq!(broken, 0, "{context}: ledger rows that do not explain the stock");
}
