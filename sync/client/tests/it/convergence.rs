//! Convergence (contract invariants 7 and 8, with 2 and 3 underneath): six devices of five
//! users at three locations work offline in rounds — movements of every concept, adjustments,
//! transfer requests through their whole life, counts, warranty claims, field edits, duplicate
//! part references, policy and assignment changes — and sync in random order, some of them
//! behind fault-injecting proxies. When the work stops and everyone has synced, every replica
//! equals the server's projection for its user, every item's stock is its ledger, every
//! rejection is in its author's conflict inbox, and nothing is pending.

use taller_client::replica::StateKey;

use crate::harness::{Device, Net};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;
use taller_client::sync::{self, lock};
use taller_client::ClientError;
use taller_domain::Concepto;
use taller_faultproxy::{FaultProxy, Faults};
use taller_protocol::mutations::Mutation;
use taller_server::demo::DEMO_PASSWORD;
use uuid::Uuid;

const SEEDS: std::ops::RangeInclusive<u64> = 1..=3;
const ROUNDS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_converge_after_random_offline_work_on_six_devices() {
    let seeds: Vec<u64> = match std::env::var("TALLER_TEST_SEED").ok().and_then(|s| s.parse().ok()) {
        Some(seed) => vec![seed],
        None => SEEDS.collect(),
    };
    for seed in seeds {
        run(seed).await;
    }
}

async fn run(seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let net = Net::new().await;
    let [bodega_loc, norte_loc, sur_loc] = net.locs;
    // A second warehouse user: a superuser working at Taller Norte.
    taller_server::admin::add_user(
        &net.db.pool,
        "Julia Jefa",
        "jefe.norte@taller.test",
        "superuser",
        DEMO_PASSWORD,
        true,
    )
    .await
    .expect("user");
    taller_server::admin::assign(&net.db.pool, "jefe.norte@taller.test", "Taller Norte").await.expect("assign");
    let sur_user = taller_server::admin::user_id(&net.db.pool, "tecnico.sur@taller.test").await.expect("sur");
    let world = World { bodega: bodega_loc, norte: norte_loc, sur: sur_loc, sur_user };

    let cast: [(&str, &str, Role, Option<Uuid>, bool); 6] = [
        ("admin", "admin@taller.test", Role::Admin, None, false),
        ("bodega", "bodega@taller.test", Role::Warehouse, Some(bodega_loc), false),
        ("norte-a", "tecnico.norte@taller.test", Role::Technician, Some(norte_loc), false),
        ("norte-b", "tecnico.norte@taller.test", Role::Technician, Some(norte_loc), true),
        ("sur", "tecnico.sur@taller.test", Role::Technician, Some(sur_loc), true),
        ("jefe-norte", "jefe.norte@taller.test", Role::Warehouse, Some(norte_loc), true),
    ];
    let upstream: SocketAddr = net.server.base.trim_start_matches("http://").parse().expect("address");
    let mut actors = Vec::new();
    for (name, email, role, home, proxied) in cast {
        let mut dev = Device::login(&net.server.base, email).await;
        dev.sync().await;
        let proxy = if proxied {
            let proxy = FaultProxy::start(upstream).await.expect("proxy");
            dev.ws.connect(&format!("http://{}", proxy.addr())).expect("connect");
            Some(proxy)
        } else {
            None
        };
        let device_id: Uuid = {
            let replica = lock(dev.client.shared());
            sync::state(&replica.conn, StateKey::DeviceId).expect("state").expect("device").parse().expect("uuid")
        };
        let user = dev.client.user_id();
        actors.push(Actor { name, role, home, dev, proxy, user, device_id, queued: Vec::new() });
    }
    let mut tally = Tally::default();

    for round in 0..ROUNDS {
        // Offline work, in a random order of devices.
        let mut order: Vec<usize> = (0..actors.len()).collect();
        order.shuffle(&mut rng);
        for &i in &order {
            for _ in 0..rng.gen_range(2..=5) {
                actors[i].work(&world, &mut rng, &mut tally);
            }
        }
        // The same new reference created on two devices that have not heard of each other.
        if round == 1 || round == 3 {
            let (a, b) = if round == 1 { (2, 4) } else { (1, 5) };
            let referencia = format!("DUP-{seed}-{round}");
            for i in [a, b] {
                actors[i].create_part_and_use_it(&referencia, &mut rng, &mut tally);
            }
        }
        // Then everyone syncs, in another random order, some through faults.
        order.shuffle(&mut rng);
        for &i in &order {
            let faults = random_faults(&mut rng);
            // Sometimes the person keeps working while the sync runs (the app's engine syncs
            // in the background): a movement lands somewhere inside the push or the pull.
            let during = rng.gen_bool(0.3).then(|| (Duration::from_millis(rng.gen_range(0..40)), rng.gen::<u64>()));
            let actor = &actors[i];
            if let Some(proxy) = &actor.proxy {
                proxy.set(faults);
            }
            let (result, written) = tokio::join!(actor.dev.client.sync(None, &|_| {}), async {
                let (delay, seed) = during?;
                tokio::time::sleep(delay).await;
                actor.movement_now(&world, &mut StdRng::seed_from_u64(seed))
            });
            let wrote_during = written.is_some();
            if let Some(queued) = written {
                actors[i].queued.push(queued);
                tally.written_during_sync += 1;
            }
            let actor = &actors[i];
            match result {
                Ok(_) => {
                    tally.syncs_ok += 1;
                    if let Some(proxy) = &actor.proxy {
                        proxy.set(Faults::default());
                    }
                    // Nobody else writes while this device syncs: a successful sync pushed
                    // everything and pulled past it, so the replica is the server's projection
                    // right now, with nothing left to replay (unless the person wrote during it).
                    let context = format!("seed {seed} round {round}: {} after a successful sync", actor.name);
                    if !wrote_during {
                        assert_eq!(actor.dev.count("SELECT count(*) FROM outbox"), 0, "{context}: outbox not empty");
                        assert_same_as_server(&actor.dev, &context).await;
                    }
                }
                Err(error) => {
                    assert!(
                        actor.proxy.is_some() && error.is_transient(),
                        "seed {seed} round {round}: {} failed to sync: {error}",
                        actor.name
                    );
                    tally.syncs_failed += 1;
                }
            }
        }
    }

    // No more work, no more faults: everyone pushes everything, then everyone syncs twice.
    for actor in &actors {
        if let Some(proxy) = &actor.proxy {
            proxy.set(Faults::default());
        }
    }
    for actor in &actors {
        let mut settled = false;
        for _ in 0..10 {
            if actor.dev.client.sync(None, &|_| {}).await.is_ok() && actor.dev.client.status().expect("s").pending == 0
            {
                settled = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(settled, "seed {seed}: {} does not settle with the faults off", actor.name);
    }
    for _ in 0..2 {
        for actor in &actors {
            actor.dev.client.sync(None, &|_| {}).await.unwrap_or_else(|e| panic!("seed {seed}: {}: {e}", actor.name));
        }
    }

    let context = format!("seed {seed}");
    for actor in &actors {
        let context = format!("{context}, {}", actor.name);
        // Nothing pending, nothing waiting to be replayed.
        let status = actor.dev.client.status().expect("status");
        assert_eq!(status.pending, 0, "{context}: pending mutations remain");
        assert_eq!(actor.dev.count("SELECT count(*) FROM outbox"), 0, "{context}: the outbox is not empty");
        assert_eq!(actor.dev.count("SELECT count(*) FROM shadow_rows"), 0, "{context}: local changes remain");
        // The replica is the server's projection for this user.
        assert_same_as_server(&actor.dev, &context).await;
        // Each queued mutation reached the server once, in the device's order.
        let recorded: Vec<(Uuid, String, Option<String>)> = sqlx::query_as(
            "SELECT id_mutacion, estado, codigo FROM sync_mutations WHERE id_dispositivo = $1 ORDER BY seq",
        )
        .bind(actor.device_id)
        .fetch_all(&net.db.pool)
        .await
        .expect("mutations");
        let queued: Vec<Uuid> = actor.queued.iter().map(|q| q.0).collect();
        assert_eq!(recorded.iter().map(|r| r.0).collect::<Vec<_>>(), queued, "{context}: the server's mutations");
        // Every rejection is in the author's conflict inbox.
        let rejected: BTreeSet<String> = sqlx::query_scalar(
            "SELECT id_mutacion::text FROM sync_mutations WHERE estado = 'rejected' AND id_usuario = $1 \
               AND id_dispositivo = $2",
        )
        .bind(actor.user)
        .bind(actor.device_id)
        .fetch_all(&net.db.pool)
        .await
        .expect("rejected")
        .into_iter()
        .collect();
        let inbox: BTreeSet<String> = strings(&actor.dev, "SELECT id FROM rejected_mutations").into_iter().collect();
        let missing: Vec<&String> = rejected.difference(&inbox).collect();
        assert!(missing.is_empty(), "{context}: rejections missing from the conflict inbox: {missing:?}");
        for (id, estado, codigo) in &recorded {
            if estado == "rejected" {
                *tally.rejections.entry(codigo.clone().unwrap_or_default()).or_default() += 1;
                assert!(codigo.is_some(), "{context}: {id} rejected without a code");
            }
        }
    }
    assert_ledger_consistent(&net, &context).await;
    // Duplicate references: one part each, and the mutations that used a merged id act on the
    // surviving part.
    for (referencia, moves) in &tally.duplicates {
        let survivors: Vec<Uuid> = sqlx::query_scalar("SELECT id_repuesto FROM repuestos WHERE referencia = $1")
            .bind(referencia)
            .fetch_all(&net.db.pool)
            .await
            .expect("parts");
        assert_eq!(survivors.len(), 1, "{context}: {referencia} exists {} times", survivors.len());
        for movement in moves {
            let part: Option<Uuid> =
                sqlx::query_scalar("SELECT id_repuesto FROM movimientos_tecnicos WHERE id_movimientos_tecnicos = $1")
                    .bind(movement)
                    .fetch_optional(&net.db.pool)
                    .await
                    .expect("movement");
            if let Some(part) = part {
                assert_eq!(part, survivors[0], "{context}: a movement on merged {referencia} is not on the survivor");
                tally.merged_moves += 1;
            }
        }
    }
    let states: Vec<(String, i64)> =
        sqlx::query_as("SELECT estado, count(*) FROM solicitudes GROUP BY estado ORDER BY estado")
            .fetch_all(&net.db.pool)
            .await
            .expect("requests");
    let conflicts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM conflictos").fetch_one(&net.db.pool).await.expect("conflicts");
    let closed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM conteos_cerrados").fetch_one(&net.db.pool).await.expect("counts");
    let queued: usize = actors.iter().map(|a| a.queued.len()).sum();
    let mut by_name: BTreeMap<&str, usize> = BTreeMap::new();
    for actor in &actors {
        for (_, name) in &actor.queued {
            *by_name.entry(name).or_default() += 1;
        }
    }
    println!(
        "{context}: {} devices, {ROUNDS} rounds, {queued} mutations {by_name:?}; rejected {:?}; refused locally {}; \
         syncs {} ok / {} failed under faults, {} writes during a sync; requests {states:?}; {closed} counts closed; {conflicts} conflict rows; \
         {} movements on merged parts",
        actors.len(),
        tally.rejections,
        tally.refused_locally,
        tally.syncs_ok,
        tally.syncs_failed,
        tally.written_during_sync,
        tally.merged_moves,
    );
}

// ---------------------------------------------------------------------------------------------
// Helpers.
// ---------------------------------------------------------------------------------------------

struct World {
    bodega: Uuid,
    norte: Uuid,
    sur: Uuid,
    sur_user: Uuid,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Admin,
    /// Superuser at one location: approves requests, adjusts, counts, edits.
    Warehouse,
    Technician,
}

#[derive(Default)]
struct Tally {
    syncs_ok: usize,
    syncs_failed: usize,
    written_during_sync: usize,
    refused_locally: usize,
    rejections: BTreeMap<String, usize>,
    /// Reference -> ids of movements recorded with a possibly merged part id.
    duplicates: BTreeMap<String, Vec<Uuid>>,
    merged_moves: usize,
}

struct Actor {
    name: &'static str,
    role: Role,
    home: Option<Uuid>,
    dev: Device,
    proxy: Option<FaultProxy>,
    user: Uuid,
    device_id: Uuid,
    /// Every mutation queued, in order: (id, name).
    queued: Vec<(Uuid, String)>,
}

fn mutation(name: &str, args: Value) -> Mutation {
    Mutation::parse(name, &args).unwrap_or_else(|r| panic!("{name} {args}: {r}"))
}

fn pick<T: Clone>(rng: &mut StdRng, items: &[T]) -> Option<T> {
    items.choose(rng).cloned()
}

impl Actor {
    /// Performs a local action; `true` when it was queued. A local refusal (the rule the
    /// server would apply) is counted, anything else fails the test.
    fn act(&mut self, mutation: Mutation, tally: &mut Tally) -> bool {
        match self.dev.client.act(&mutation) {
            Ok(queued) => {
                self.queued.push((queued.id, queued.name));
                true
            }
            Err(ClientError::Rejected(_)) => {
                tally.refused_locally += 1;
                false
            }
            Err(error) => panic!("{}: {} failed locally: {error}", self.name, mutation.name()),
        }
    }

    fn me(&self) -> String {
        self.user.to_string()
    }

    /// Locations this device may act on.
    fn locations(&self, world: &World) -> Vec<Uuid> {
        match self.home {
            Some(home) => vec![home],
            None => vec![world.bodega, world.norte, world.sur],
        }
    }

    fn parts(&self) -> Vec<String> {
        strings(&self.dev, "SELECT id_repuesto FROM repuestos ORDER BY referencia")
    }

    /// One random action of this device's role, from what its replica shows.
    fn work(&mut self, world: &World, rng: &mut StdRng, tally: &mut Tally) {
        let choice = rng.gen_range(0..100);
        match self.role {
            Role::Technician => match choice {
                0..=34 => self.movement(world, rng, tally),
                35..=54 => self.request(world, rng, tally),
                55..=74 => self.receive(world, rng, tally),
                75..=79 => self.cancel_own(rng, tally),
                80..=91 => self.warranty(world, rng, tally),
                _ => self.read_notification(rng, tally),
            },
            Role::Warehouse => match choice {
                0..=11 => self.movement(world, rng, tally),
                12..=23 => self.adjust(world, rng, tally),
                24..=31 => self.settings(world, rng, tally),
                32..=39 => self.edit_part(rng, tally),
                40..=51 => self.count(world, rng, tally),
                52..=81 => self.dispatch(world, rng, tally),
                82..=89 => self.receive(world, rng, tally),
                _ => self.resolve_warranty(world, rng, tally),
            },
            Role::Admin => match choice {
                0..=14 => self.adjust(world, rng, tally),
                15..=29 => self.edit_part(rng, tally),
                30..=39 => self.settings(world, rng, tally),
                40..=49 => self.count(world, rng, tally),
                50..=64 => self.dispatch(world, rng, tally),
                65..=74 => self.resolve_warranty(world, rng, tally),
                75..=84 => self.policy(world, rng, tally),
                _ => self.assignment(world, rng, tally),
            },
        }
    }

    fn movement(&mut self, world: &World, rng: &mut StdRng, tally: &mut Tally) {
        if let Some(m) = self.random_movement(world, rng) {
            self.act(m, tally);
        }
    }

    /// A movement of any concept at one of this device's locations; now and then a large one
    /// (stock goes negative: a notification and a conflict, or `insufficient_stock` where the
    /// policy is `reject`).
    fn random_movement(&self, world: &World, rng: &mut StdRng) -> Option<Mutation> {
        let (Some(loc), Some(part)) = (pick(rng, &self.locations(world)), pick(rng, &self.parts())) else {
            return None;
        };
        let concepto = Concepto::ALL[rng.gen_range(0..Concepto::ALL.len())];
        let tipos = concepto.allowed_tipos();
        let tipo = tipos[rng.gen_range(0..tipos.len())];
        let cantidad = if rng.gen_bool(0.2) { rng.gen_range(15..=45) } else { rng.gen_range(1..=12) };
        Some(mutation(
            "movement.record",
            json!({"id_movimientos_tecnicos": Uuid::now_v7(), "id_localizacion": loc, "id_repuesto": part,
                   "id_tecnico_asignado": self.user, "concepto": concepto, "tipo": tipo,
                   "cantidad": cantidad, "numero_orden": rng.gen_range(1..=9999)}),
        ))
    }

    /// A movement recorded while the device syncs (through `&self`: the sync borrows the
    /// device too). Returns what was queued.
    fn movement_now(&self, world: &World, rng: &mut StdRng) -> Option<(Uuid, String)> {
        let m = self.random_movement(world, rng)?;
        match self.dev.client.act(&m) {
            Ok(queued) => Some((queued.id, queued.name)),
            Err(ClientError::Rejected(_)) => None,
            Err(error) => panic!("{}: a movement during a sync failed locally: {error}", self.name),
        }
    }

    fn adjust(&mut self, world: &World, rng: &mut StdRng, tally: &mut Tally) {
        let (Some(loc), Some(part)) = (pick(rng, &self.locations(world)), pick(rng, &self.parts())) else { return };
        let delta = if rng.gen_bool(0.5) { rng.gen_range(1..=10) } else { -rng.gen_range(1..=10) };
        let m = mutation(
            "inventory.adjust",
            json!({"id_localizacion": loc, "id_repuesto": part, "delta": delta, "motivo": "ajuste de prueba"}),
        );
        self.act(m, tally);
    }

    /// A minimum or a position, with the value the replica shows as the one replaced.
    fn settings(&mut self, world: &World, rng: &mut StdRng, tally: &mut Tally) {
        let Some(loc) = pick(rng, &self.locations(world)) else { return };
        let items = rows(
            &self.dev,
            &format!("SELECT id_repuesto, cantidad_minima, posicion FROM inventario WHERE id_localizacion = '{loc}'"),
        );
        let Some(item) = pick(rng, &items) else { return };
        let edit = if rng.gen_bool(0.5) {
            json!({"field": "cantidad_minima", "old": item[1], "new": rng.gen_range(1..=12)})
        } else {
            json!({"field": "posicion", "old": item[2], "new": format!("E{}-N{}", rng.gen_range(1..=20), rng.gen_range(1..=5))})
        };
        let m =
            mutation("inventory.settings", json!({"id_localizacion": loc, "id_repuesto": item[0], "edits": [edit]}));
        self.act(m, tally);
    }

    /// A catalogue edit, with the value the replica shows as the one replaced.
    fn edit_part(&mut self, rng: &mut StdRng, tally: &mut Tally) {
        let parts = rows(&self.dev, "SELECT id_repuesto, nombre, marca, descripcion FROM repuestos");
        let Some(part) = pick(rng, &parts) else { return };
        let (field, index) = [("nombre", 1), ("marca", 2), ("descripcion", 3)][rng.gen_range(0..3)];
        let new = format!("{} {}", self.name, rng.gen_range(0..1000));
        let m = mutation(
            "part.edit",
            json!({"id_repuesto": part[0], "edits": [{"field": field, "old": part[index], "new": new}]}),
        );
        self.act(m, tally);
    }

    /// Starts a count with a few lines, or adds a line to an open one and closes it.
    fn count(&mut self, world: &World, rng: &mut StdRng, tally: &mut Tally) {
        let open = strings(
            &self.dev,
            &format!(
                "SELECT id_conteo FROM registro_conteo WHERE id_usuario = '{}' \
                   AND id_conteo NOT IN (SELECT id_conteo FROM conteos_cerrados)",
                self.me()
            ),
        );
        let line = |count: &str, part: &str, rng: &mut StdRng| {
            mutation(
                "count.line",
                json!({"id_detalle_conteo": Uuid::now_v7(), "id_conteo": count, "id_repuesto": part,
                       "cantidad_csa": rng.gen_range(0..=30), "cantidad_pq": rng.gen_range(0..=2)}),
            )
        };
        if let Some(count) = pick(rng, &open) {
            if let Some(part) = pick(rng, &self.parts()) {
                let m = line(&count, &part, rng);
                self.act(m, tally);
            }
            self.act(mutation("count.close", json!({"id_conteo": count})), tally);
            return;
        }
        let Some(loc) = pick(rng, &self.locations(world)) else { return };
        let count = Uuid::now_v7().to_string();
        if !self.act(mutation("count.start", json!({"id_conteo": count, "id_localizacion": loc})), tally) {
            return;
        }
        for _ in 0..rng.gen_range(1..=3) {
            if let Some(part) = pick(rng, &self.parts()) {
                let m = line(&count, &part, rng);
                self.act(m, tally);
            }
        }
        if rng.gen_bool(0.5) {
            self.act(mutation("count.close", json!({"id_conteo": count})), tally);
        }
    }

    /// Cart lines for the home location, then a request from them (from Bodega, or for Sur
    /// sometimes from Norte).
    fn request(&mut self, world: &World, rng: &mut StdRng, tally: &mut Tally) {
        let Some(home) = self.home else { return };
        for _ in 0..rng.gen_range(1..=2) {
            let Some(part) = pick(rng, &self.parts()) else { return };
            let m = mutation(
                "cart.add",
                json!({"id_item_carrito": Uuid::now_v7(), "id_localizacion": home, "id_repuesto": part,
                       "cantidad": rng.gen_range(1..=4)}),
            );
            self.act(m, tally);
        }
        let origin = if home == world.sur && rng.gen_bool(0.4) { world.norte } else { world.bodega };
        let cart = rows(
            &self.dev,
            &format!(
                "SELECT id_item_carrito, id_repuesto, cantidad FROM carrito_solicitudes \
                  WHERE id_usuario = '{}' AND id_localizacion = '{home}'",
                self.me()
            ),
        );
        let lines: Vec<Value> = cart
            .iter()
            .map(|l| json!({"id_detalle": Uuid::now_v7(), "id_repuesto": l[1], "cantidad": l[2], "id_item_carrito": l[0]}))
            .collect();
        let m = mutation(
            "request.create",
            json!({"id_solicitud": Uuid::now_v7(), "id_localizacion_origen": origin,
                   "id_localizacion_destino": home, "lines": lines}),
        );
        self.act(m, tally);
    }

    /// Picks and (usually) dispatches a request leaving one of this device's locations,
    /// sometimes short of what was asked; now and then cancels one instead.
    fn dispatch(&mut self, world: &World, rng: &mut StdRng, tally: &mut Tally) {
        let locations: Vec<String> = self.locations(world).iter().map(|l| format!("'{l}'")).collect();
        let open = rows(
            &self.dev,
            &format!(
                "SELECT id_solicitud, estado FROM solicitudes WHERE estado IN ('PENDIENTE', 'ALISTAMIENTO') \
                   AND id_localizacion_origen IN ({})",
                locations.join(", ")
            ),
        );
        let Some(request) = pick(rng, &open) else { return };
        let id = request[0].as_str().unwrap_or_default().to_owned();
        if rng.gen_bool(0.1) {
            self.act(mutation("request.cancel", json!({"id_solicitud": id, "comentario": "sin existencias"})), tally);
            return;
        }
        if request[1] == "PENDIENTE" && !self.act(mutation("request.pick", json!({"id_solicitud": id})), tally) {
            return;
        }
        if rng.gen_bool(0.8) {
            let lines = rows(
                &self.dev,
                &format!("SELECT id_detalle, cantidad_solicitada FROM detalles_solicitud WHERE id_solicitud = '{id}'"),
            );
            let quantities: Vec<Value> = lines
                .iter()
                .filter(|_| rng.gen_bool(0.3))
                .map(|l| json!({"id_detalle": l[0], "cantidad": (l[1].as_i64().unwrap_or(1) - 1).max(0)}))
                .collect();
            let m = mutation(
                "request.dispatch",
                json!({"id_solicitud": id, "lines": quantities, "guia_transporte": format!("G-{}", rng.gen_range(1..999))}),
            );
            self.act(m, tally);
        }
    }

    /// Receives a dispatched request at one of this device's locations (sometimes one short).
    fn receive(&mut self, world: &World, rng: &mut StdRng, tally: &mut Tally) {
        let locations: Vec<String> = self.locations(world).iter().map(|l| format!("'{l}'")).collect();
        let sent = strings(
            &self.dev,
            &format!(
                "SELECT id_solicitud FROM solicitudes WHERE estado = 'DESPACHADO' AND id_localizacion_destino IN ({})",
                locations.join(", ")
            ),
        );
        let Some(id) = pick(rng, &sent) else { return };
        let short: Vec<Value> = rows(
            &self.dev,
            &format!(
                "SELECT id_detalle, cantidad_despachada FROM detalles_solicitud WHERE id_solicitud = '{id}' \
                   AND cantidad_despachada > 0"
            ),
        )
        .iter()
        .filter(|_| rng.gen_bool(0.2))
        .map(|l| json!({"id_detalle": l[0], "cantidad": l[1].as_i64().unwrap_or(1) - 1}))
        .collect();
        self.act(mutation("request.receive", json!({"id_solicitud": id, "lines": short})), tally);
    }

    fn cancel_own(&mut self, rng: &mut StdRng, tally: &mut Tally) {
        let mine = strings(
            &self.dev,
            &format!(
                "SELECT id_solicitud FROM solicitudes WHERE estado = 'PENDIENTE' AND id_usuario_solicitante = '{}'",
                self.me()
            ),
        );
        if let Some(id) = pick(rng, &mine) {
            self.act(mutation("request.cancel", json!({"id_solicitud": id, "comentario": "ya no hace falta"})), tally);
        }
    }

    fn warranty(&mut self, world: &World, rng: &mut StdRng, tally: &mut Tally) {
        let drafts = strings(
            &self.dev,
            &format!(
                "SELECT id_garantia FROM garantias WHERE estado = 'SIN_ENVIAR' AND id_usuario_reporta = '{}'",
                self.me()
            ),
        );
        if let Some(id) = pick(rng, &drafts) {
            self.act(mutation("warranty.submit", json!({"id_garantia": id})), tally);
            return;
        }
        let (Some(loc), Some(part)) = (pick(rng, &self.locations(world)), pick(rng, &self.parts())) else { return };
        let id = Uuid::now_v7();
        let m = mutation(
            "warranty.create",
            json!({"id_garantia": id, "id_localizacion": loc, "id_repuesto": part, "cantidad": rng.gen_range(1..=2),
                   "motivo_falla": "no carga", "id_tecnico_asociado": self.user, "kilometraje": rng.gen_range(0..5000)}),
        );
        if self.act(m, tally) && rng.gen_bool(0.5) {
            self.act(mutation("warranty.submit", json!({"id_garantia": id})), tally);
        }
    }

    fn resolve_warranty(&mut self, world: &World, rng: &mut StdRng, tally: &mut Tally) {
        let locations: Vec<String> = self.locations(world).iter().map(|l| format!("'{l}'")).collect();
        let waiting = strings(
            &self.dev,
            &format!(
                "SELECT id_garantia FROM garantias WHERE estado = 'PENDIENTE' AND id_localizacion IN ({})",
                locations.join(", ")
            ),
        );
        let Some(id) = pick(rng, &waiting) else { return };
        let m = if rng.gen_bool(0.6) {
            mutation("warranty.approve", json!({"id_garantia": id, "comentarios_resolucion": "cubierta"}))
        } else {
            mutation("warranty.reject", json!({"id_garantia": id, "comentarios_resolucion": "uso indebido"}))
        };
        self.act(m, tally);
    }

    fn read_notification(&mut self, rng: &mut StdRng, tally: &mut Tally) {
        let unread = strings(
            &self.dev,
            &format!("SELECT id_notificacion FROM notificaciones WHERE leida = 0 AND id_usuario = '{}'", self.me()),
        );
        if let Some(id) = pick(rng, &unread) {
            self.act(mutation("notification.read", json!({"id_notificacion": id})), tally);
        }
    }

    /// Sur's negative-stock policy flips between allow and reject (Sur's movements then meet
    /// `insufficient_stock`).
    fn policy(&mut self, world: &World, rng: &mut StdRng, tally: &mut Tally) {
        let policy = if rng.gen_bool(0.5) { "reject" } else { "allow" };
        self.act(mutation("location.policy", json!({"id_localizacion": world.sur, "stock_negativo": policy})), tally);
    }

    /// Sur's technician gains or loses Bodega Central (rows arrive in and leave their replica).
    fn assignment(&mut self, world: &World, _rng: &mut StdRng, tally: &mut Tally) {
        let assigned = self.dev.count(&format!(
            "SELECT count(*) FROM usuarios_localizacion WHERE id_usuario = '{}' AND id_localizacion = '{}'",
            world.sur_user, world.bodega
        )) > 0;
        let name = if assigned { "user.unassign" } else { "user.assign" };
        self.act(mutation(name, json!({"id_usuario": world.sur_user, "id_localizacion": world.bodega})), tally);
    }

    /// Creates a part with `referencia` (which another device may be creating too) and
    /// records a movement on it at once, with the id this device made up.
    fn create_part_and_use_it(&mut self, referencia: &str, rng: &mut StdRng, tally: &mut Tally) {
        let Some(home) = self.home else { return };
        let id = Uuid::now_v7();
        let created = self.act(
            mutation(
                "part.create",
                json!({"id_repuesto": id, "referencia": referencia, "nombre": format!("Repuesto {referencia}"),
                       "marca": self.name}),
            ),
            tally,
        );
        if !created {
            return;
        }
        let movement = Uuid::now_v7();
        let m = mutation(
            "movement.record",
            json!({"id_movimientos_tecnicos": movement, "id_localizacion": home, "id_repuesto": id,
                   "id_tecnico_asignado": self.user, "concepto": "ingreso", "tipo": "ingreso",
                   "cantidad": rng.gen_range(1..=5)}),
        );
        if self.act(m, tally) {
            tally.duplicates.entry(referencia.to_owned()).or_default().push(movement);
        }
    }
}

/// Faults for one sync of a proxied device: often none.
fn random_faults(rng: &mut StdRng) -> Faults {
    let seed = rng.gen();
    match rng.gen_range(0..10) {
        0 => Faults { refuse: true, ..Faults::default() },
        1 => Faults { drop_request_probability: 0.5, seed, ..Faults::default() },
        2 => Faults { drop_response_probability: 0.5, seed, ..Faults::default() },
        3 => Faults { cut_response_after_bytes: Some(rng.gen_range(100..4000)), ..Faults::default() },
        4 => Faults { delay: Some(Duration::from_millis(rng.gen_range(5..30))), ..Faults::default() },
        5 => Faults { duplicate_request_probability: 1.0, seed, ..Faults::default() },
        _ => Faults::default(),
    }
}

/// The replica's checksums equal the server's for the device's user, table by table.
async fn assert_same_as_server(dev: &Device, context: &str) {
    let local = dev.client.checksums().expect("checksums");
    let server = dev.client.server_checksums().await.expect("server checksums");
    let differing: Vec<&String> =
        server.tables.iter().filter(|(table, sum)| local.get(*table) != Some(*sum)).map(|(t, _)| t).collect();
    assert!(differing.is_empty(), "{context}: tables differ from the server: {differing:?}");
}

/// Every row of a query on a device's replica, as JSON values.
fn rows(dev: &Device, sql: &str) -> Vec<Vec<Value>> {
    use rusqlite::types::ValueRef;
    let replica = lock(dev.client.shared());
    let mut statement = replica.conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let n = statement.column_count();
    let found = statement
        .query_map([], |row| {
            (0..n)
                .map(|i| {
                    Ok(match row.get_ref(i)? {
                        ValueRef::Null => Value::Null,
                        ValueRef::Integer(v) => json!(v),
                        ValueRef::Real(v) => json!(v),
                        ValueRef::Text(t) => json!(String::from_utf8_lossy(t)),
                        ValueRef::Blob(_) => Value::Null,
                    })
                })
                .collect::<rusqlite::Result<Vec<Value>>>()
        })
        .expect("query");
    found.collect::<rusqlite::Result<_>>().expect("rows")
}

/// The first column of a query, as text.
fn strings(dev: &Device, sql: &str) -> Vec<String> {
    rows(dev, sql).into_iter().filter_map(|row| row.first().and_then(Value::as_str).map(str::to_owned)).collect()
}

/// Every item's stock equals its ledger (as `sync/server/tests/it/harness.rs` checks it): in
/// write order (the feed's), each row starts where the previous ended, its `diferencia` is its
/// arithmetic, and the last row ends at the stock.
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
