//! Optimism, rebase, rejections, scope changes and shared workstations (contract invariants
//! 1, 6, 8 and the sync behaviour section).

use crate::harness::*;
use serde_json::json;
use taller_client::app::InboxKind;
use taller_protocol::mutations::Mutation;
use uuid::Uuid;

/// A user with a pending mutation sees a colleague's pulled change at once, with their own
/// change still applied on top; after pushing, the replica equals the server.
#[tokio::test]
async fn a_pulled_change_shows_under_a_pending_local_one() {
    let net = Net::new().await;
    let (loc, part) = (net.locs[1], net.parts[0].0);
    let norte = Device::login(&net.server.base, "tecnico.norte@taller.test").await;
    let admin = Device::login(&net.server.base, "admin@taller.test").await;
    norte.sync().await;
    admin.sync().await;
    let before = norte.stock(loc, part);
    let me = norte.client.user_id();
    norte.act(movement(loc, part, me, "salida", "salida", 2));
    assert_eq!(norte.stock(loc, part), before - 2, "the local action shows at once");
    admin.act(
        Mutation::parse(
            "inventory.adjust",
            &json!({"id_localizacion": loc, "id_repuesto": part, "delta": 5, "motivo": "llegó pedido"}),
        )
        .expect("m"),
    );
    admin.sync().await;
    norte.pull_only().await;
    assert_eq!(norte.stock(loc, part), before + 5 - 2, "server change underneath, pending change on top");
    assert_eq!(norte.client.status().expect("status").pending, 1, "still pending");
    norte.sync().await;
    assert_eq!(norte.client.status().expect("status").pending, 0);
    assert_eq!(i64::from(net.server_stock(loc, part).await), before + 3);
    assert_eq!(norte.stock(loc, part), before + 3);
    norte.assert_converged("norte").await;
}

/// A mutation the server refuses disappears from the replica and lands in the conflict inbox
/// with its reason, in the user's language.
#[tokio::test]
async fn a_rejected_mutation_leaves_the_replica_and_enters_the_inbox() {
    let net = Net::new().await;
    let (loc, part) = (net.locs[1], net.parts[1].0);
    let norte = Device::login(&net.server.base, "tecnico.norte@taller.test").await;
    norte.sync().await;
    let admin = Device::login(&net.server.base, "admin@taller.test").await;
    admin.sync().await;
    // The admin refuses negative stock at Norte; Norte has not heard of it yet.
    admin.act(
        Mutation::parse("location.policy", &json!({"id_localizacion": loc, "stock_negativo": "reject"})).expect("m"),
    );
    admin.sync().await;
    let before = norte.stock(loc, part);
    let me = norte.client.user_id();
    norte.act(movement(loc, part, me, "venta", "venta", i32::try_from(before).expect("small") + 3));
    assert_eq!(norte.stock(loc, part), -3, "applied locally under the policy Norte knew");
    let report = norte.sync().await;
    assert_eq!(report.rejected, 1);
    assert_eq!(norte.stock(loc, part), before, "the refused effect is gone");
    let inbox = norte.conflicts();
    let rejection = inbox.iter().find(|c| c.kind == InboxKind::Rechazo).expect("the rejection is in the inbox");
    assert_eq!(rejection.rejection.as_ref().map(|r| r.code.as_str()), Some("insufficient_stock"), "{rejection:?}");
    assert!(rejection.why.starts_with("Stock insuficiente"), "{rejection:?}");
    assert_eq!(norte.client.status().expect("status").conflicts, 1);
    norte.assert_converged("norte").await;
}

/// Gaining a location brings its rows; losing it removes them, while the user's pending
/// mutation for it is still pushed and answered.
#[tokio::test]
async fn scope_changes_bring_and_remove_rows_and_pending_work_is_answered() {
    let net = Net::new().await;
    let [_, norte_loc, sur_loc] = net.locs;
    let norte = Device::login(&net.server.base, "tecnico.norte@taller.test").await;
    let admin = Device::login(&net.server.base, "admin@taller.test").await;
    norte.sync().await;
    admin.sync().await;
    let at_sur = format!("SELECT count(*) FROM inventario WHERE id_localizacion = '{sur_loc}'");
    assert_eq!(norte.count(&at_sur), 0);
    let me = norte.client.user_id();
    admin.act(Mutation::parse("user.assign", &json!({"id_usuario": me, "id_localizacion": sur_loc})).expect("m"));
    admin.sync().await;
    norte.sync().await;
    assert_eq!(norte.count(&at_sur), net.parts.len() as i64, "Sur's stock arrived");
    let part = net.parts[2].0;
    norte.act(movement(sur_loc, part, me, "salida", "salida", 1));
    admin.act(Mutation::parse("user.unassign", &json!({"id_usuario": me, "id_localizacion": sur_loc})).expect("m"));
    admin.sync().await;
    let report = norte.sync().await;
    assert_eq!(report.pushed, 1, "the pending movement was pushed");
    assert_eq!(report.rejected, 1, "and answered: Norte no longer works at Sur");
    assert_eq!(norte.count(&at_sur), 0, "Sur's rows left the replica");
    assert_eq!(
        norte.count(&format!("SELECT count(*) FROM inventario WHERE id_localizacion = '{norte_loc}'")),
        net.parts.len() as i64
    );
    assert!(norte.conflicts().iter().any(|c| c.rejection.as_ref().is_some_and(|r| r.code == "location_out_of_scope")));
    norte.assert_converged("norte").await;
}

/// Two users on one workstation: each has their own replica and outbox; switching users loses
/// nothing, and each pending mutation is pushed with its own author's authority.
#[tokio::test]
async fn a_shared_workstation_keeps_each_users_outbox() {
    let net = Net::new().await;
    let dir = tempfile::Builder::new().prefix("taller-shared-").tempdir().expect("dir");
    let path = dir.path().to_owned();
    let (loc, part) = (net.locs[1], net.parts[3].0);
    let first = Device::login_in(dir, &net.server.base, "tecnico.norte@taller.test").await;
    first.sync().await;
    let norte_id = first.client.user_id();
    let queued = first.act(movement(loc, part, norte_id, "salida", "salida", 1));
    let Device { mut ws, client: norte, .. } = first;
    ws.logout().expect("logout");
    assert_eq!(ws.session().expect_err("nobody signed in").code(), "not_signed_in");
    drop(norte);
    ws.login("bodega@taller.test", taller_server::demo::DEMO_PASSWORD).await.expect("second user");
    ws.session().expect("bodega").sync(None, &|_| {}).await.expect("sync bodega");
    let pushed_by_bodega: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sync_mutations").fetch_one(&net.db.pool).await.expect("count");
    assert_eq!(pushed_by_bodega, 0, "Norte's pending movement was not pushed by Bodega");
    ws.logout().expect("logout");
    ws.unlock("tecnico.norte@taller.test", taller_server::demo::DEMO_PASSWORD).expect("offline unlock");
    assert!(ws.unlock("tecnico.norte@taller.test", "wrong password").is_err());
    assert_eq!(ws.status().expect("status").pending, 1, "Norte's pending movement survived the switch");
    ws.login("tecnico.norte@taller.test", taller_server::demo::DEMO_PASSWORD).await.expect("login again");
    ws.session().expect("norte").sync(None, &|_| {}).await.expect("sync norte");
    let author: Uuid = sqlx::query_scalar("SELECT id_usuario FROM sync_mutations WHERE id_mutacion = $1")
        .bind(queued.id)
        .fetch_one(&net.db.pool)
        .await
        .expect("recorded");
    assert_eq!(author, norte_id, "pushed with its author's authority");
    assert!(path.join("workstation.json").exists());
}

/// Who recorded a mutation on the server, if anyone has.
async fn author(net: &Net, id: Uuid) -> Option<Uuid> {
    sqlx::query_scalar("SELECT id_usuario FROM sync_mutations WHERE id_mutacion = $1")
        .bind(id)
        .fetch_optional(&net.db.pool)
        .await
        .expect("query")
}

/// Switching users on a workstation keeps each user's session: after another user signs in,
/// the first one unlocks and their pending work syncs with their own authority. An explicit
/// logout ends the session instead: an unlock after it says that the pending change waits for
/// the next online sign-in, and that sign-in sends it.
#[tokio::test]
async fn switching_users_keeps_each_session_and_a_logout_waits_for_the_next_sign_in() {
    let net = Net::new().await;
    let dir = tempfile::Builder::new().prefix("taller-switch-").tempdir().expect("dir");
    let (loc, part) = (net.locs[1], net.parts[7].0);
    let norte = Device::login_in(dir, &net.server.base, "tecnico.norte@taller.test").await;
    norte.sync().await;
    let norte_id = norte.client.user_id();
    let Device { dir: _dir, mut ws, client } = norte;

    // A switch, not a logout: Bodega signs in on the same workstation.
    let queued = client.act(&movement(loc, part, norte_id, "salida", "salida", 1)).expect("act");
    ws.login("bodega@taller.test", taller_server::demo::DEMO_PASSWORD).await.expect("bodega");
    ws.session().expect("bodega").sync(None, &|_| {}).await.expect("bodega syncs");
    assert_eq!(author(&net, queued.id).await, None, "Bodega did not push Norte's movement");
    let client = ws.unlock("tecnico.norte@taller.test", taller_server::demo::DEMO_PASSWORD).expect("unlock");
    assert!(client.status().expect("status").signed_in, "Norte's session was kept");
    let report = client.sync(None, &|_| {}).await.expect("Norte syncs with the kept session");
    assert_eq!(report.applied, 1);
    assert_eq!(author(&net, queued.id).await, Some(norte_id), "with Norte's authority");

    // An explicit logout: the pending change waits for the next online sign-in.
    let queued = client.act(&movement(loc, part, norte_id, "salida", "salida", 1)).expect("act");
    let signed_out = ws.logout().expect("logout");
    assert_eq!(signed_out.pending, 1);
    assert!(signed_out.message(taller_domain::Lang::En).contains("1 change waits for the next online sign-in"));
    ws.login("bodega@taller.test", taller_server::demo::DEMO_PASSWORD).await.expect("bodega");
    let client = ws.unlock("tecnico.norte@taller.test", taller_server::demo::DEMO_PASSWORD).expect("unlock");
    let status = client.status().expect("status");
    assert_eq!((status.signed_in, status.pending), (false, 1), "{status:?}");
    let unlocked = client.clone();
    let error = client.sync(None, &|_| {}).await.expect_err("no session after the logout");
    assert_eq!(error.code(), "not_signed_in");
    assert!(error.to_string().contains("1 pending change(s) wait for the next online sign-in"), "{error}");
    assert_eq!(author(&net, queued.id).await, None);

    // The first online sign-in sends it, with Norte's authority.
    let signed_in = ws.sign_in("tecnico.norte@taller.test", taller_server::demo::DEMO_PASSWORD).await.expect("sign in");
    assert_eq!((signed_in.sent, signed_in.pending, signed_in.send_error), (1, 0, None));
    assert_eq!(author(&net, queued.id).await, Some(norte_id));
    let client = ws.session().expect("signed in");
    assert!(std::sync::Arc::ptr_eq(&client, &unlocked), "signing in as the open session's user keeps that session");
    client.sync(None, &|_| {}).await.expect("sync");
    assert_eq!(client.status().expect("status").pending, 0);
}

/// Work never stops: with the server unreachable, actions commit locally and queue; the next
/// sync with the server back sends them.
#[tokio::test]
async fn actions_work_offline_and_sync_later() {
    let net = Net::new().await;
    let (loc, part) = (net.locs[1], net.parts[4].0);
    let mut norte = Device::login(&net.server.base, "tecnico.norte@taller.test").await;
    norte.sync().await;
    let me = norte.client.user_id();
    // A port where nothing listens.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr");
    norte.ws.connect(&format!("http://{dead}")).expect("connect");
    for _ in 0..3 {
        norte.act(movement(loc, part, me, "salida", "salida", 1));
    }
    let error = norte.client.sync(None, &|_| {}).await.expect_err("offline");
    assert_eq!(error.code(), "offline");
    let status = norte.client.status().expect("status");
    assert_eq!(status.pending, 3);
    assert!(!status.online);
    assert!(status.last_error.is_some_and(|e| e.contains("offline")));
    norte.ws.connect(&net.server.base).expect("back online");
    let mut updates = norte.client.subscribe();
    assert_eq!(updates.borrow_and_update().pending, 3, "a subscriber starts from the current status");
    norte.sync().await;
    assert!(updates.has_changed().expect("sender alive"), "the sync was announced to subscribers");
    assert_eq!(updates.borrow_and_update().pending, 0);
    let status = norte.client.status().expect("status");
    assert_eq!(status.pending, 0);
    assert!(status.online && status.last_error.is_none() && status.last_success.is_some());
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_mutations WHERE estado = 'applied'")
        .fetch_one(&net.db.pool)
        .await
        .expect("count");
    assert_eq!(recorded, 3);
    norte.assert_converged("norte").await;
}

/// The background engine syncs soon after a local write (debounced) and at once when the
/// server's live channel signals a change, without waiting for its (here: hour-long) timer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_syncs_after_local_writes_and_on_the_live_signal() {
    use std::sync::Arc;
    use std::time::{Duration, Instant};
    use taller_client::engine::{self, EngineConfig};
    let net = Net::new().await;
    let (loc, part) = (net.locs[1], net.parts[5].0);
    let norte = Device::login(&net.server.base, "tecnico.norte@taller.test").await;
    norte.sync().await;
    let admin = Device::login(&net.server.base, "admin@taller.test").await;
    admin.sync().await;
    let me = norte.client.user_id();
    let Device { dir: _norte_dir, client, .. } = norte;
    let stop = Arc::new(tokio::sync::Notify::new());
    let config = EngineConfig {
        interval: Duration::from_secs(3600),
        debounce: Duration::from_millis(50),
        ..EngineConfig::default()
    };
    let running = tokio::spawn(engine::run(client.clone(), config, stop.clone()));
    // Let the live channel connect (its first connection also triggers a sync).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = net.server_stock(loc, part).await;
    client.act(&movement(loc, part, me, "salida", "salida", 1)).expect("act");
    let deadline = Instant::now() + Duration::from_secs(10);
    while net.server_stock(loc, part).await != before - 1 {
        assert!(Instant::now() < deadline, "the local write reached the server within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A colleague's change arrives through the live channel.
    admin.act(
        Mutation::parse(
            "inventory.adjust",
            &json!({"id_localizacion": loc, "id_repuesto": part, "delta": 7, "motivo": "reposición"}),
        )
        .expect("m"),
    );
    admin.sync().await;
    let stock_in_replica = || {
        let replica = taller_client::sync::lock(client.shared());
        replica
            .conn
            .query_row(
                "SELECT stock_actual FROM inventario WHERE id_localizacion = ?1 AND id_repuesto = ?2",
                [loc.to_string(), part.to_string()],
                |r| r.get::<_, i64>(0),
            )
            .expect("stock")
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while stock_in_replica() != i64::from(before - 1 + 7) {
        assert!(Instant::now() < deadline, "the live signal brought the change within 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.notify_one();
    tokio::time::timeout(Duration::from_secs(10), running).await.expect("the engine stops").expect("task");
}

/// An expired access token is refreshed with the refresh token, transparently: the sync goes
/// through, and the new tokens are kept.
#[tokio::test]
async fn an_expired_token_is_refreshed_during_sync() {
    let net = Net::with_config(taller_server::config::Config {
        access_ttl: chrono::Duration::seconds(1),
        ..taller_server::config::Config::default()
    })
    .await;
    let norte = Device::login(&net.server.base, "tecnico.norte@taller.test").await;
    norte.sync().await;
    let token_before =
        taller_client::sync::access_token(&taller_client::sync::lock(norte.client.shared()).conn).expect("token");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let me = norte.client.user_id();
    norte.act(movement(net.locs[1], net.parts[6].0, me, "salida", "salida", 1));
    let report = norte.sync().await;
    assert_eq!(report.applied, 1, "pushed after refreshing the token");
    let token_after =
        taller_client::sync::access_token(&taller_client::sync::lock(norte.client.shared()).conn).expect("token");
    assert_ne!(token_before, token_after, "a new access token was stored");
}

/// The offline unlock is a password check like the server's, and as rate limited: after five
/// wrong passwords in a row the sixth pauses unlocking, and during the pause even the right
/// password is refused with `rate_limited` (so guessing cannot go faster than the pause).
/// A right password outside a pause unlocks and forgets the failures.
#[tokio::test]
async fn wrong_offline_passwords_pause_the_unlock() {
    let net = Net::new().await;
    let device = Device::login(&net.server.base, "tecnico.norte@taller.test").await;
    let mut client = device.ws;
    let email = "tecnico.norte@taller.test";
    client.logout().expect("logout");
    for attempt in 1..=5 {
        let error = client.unlock(email, "wrong password").expect_err("wrong password");
        assert_eq!(error.code(), "invalid_credentials", "attempt {attempt}");
    }
    client.unlock(email, taller_server::demo::DEMO_PASSWORD).expect("the right password within five tries unlocks");
    client.logout().expect("logout");
    for attempt in 1..=6 {
        let error = client.unlock(email, "wrong password").expect_err("wrong password");
        assert_eq!(error.code(), "invalid_credentials", "attempt {attempt}: failures were forgotten after the unlock");
    }
    let paused = client.unlock(email, taller_server::demo::DEMO_PASSWORD).expect_err("paused");
    assert_eq!(paused.code(), "rate_limited", "{paused}");
    let seconds = paused.params()["retry_after_seconds"].as_u64().expect("retry after");
    assert!((1..=30).contains(&seconds), "{seconds}");
    assert!(
        paused.message(taller_domain::Lang::Es).contains("vuelva a intentarlo"),
        "{}",
        paused.message(taller_domain::Lang::Es)
    );
}
