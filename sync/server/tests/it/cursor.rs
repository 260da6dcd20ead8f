//! Pull cursors (contract invariant 12): the server authenticates every cursor it issued, any
//! server process checks any cursor, a cursor belongs to its user, every key the feed can emit
//! round-trips through a cursor, and a cursor names nothing outside its user's scope.
//!
//! The cursor's text is read and altered here as a client could (its JSON payload is base64url
//! before the tag), never through the server's key.

use crate::harness::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use taller_protocol::cursor::{Cursor, CursorKey, Snapshot, MAX_IN_PROGRESS};
use taller_protocol::messages::TableChanges;
use taller_server::config::Config;
use uuid::Uuid;

/// Notification kinds an admin may subscribe to: free text, so any characters and any length
/// the database accepts in a key (PostgreSQL indexes a long key compressed).
fn notification_kinds() -> Vec<String> {
    vec![
        "alerta garantía".to_owned(),
        "stock bajo: sede 'Norte' / ñandú".to_owned(),
        "tubería|con barra \"y\" comillas".to_owned(),
        "emoji 🛴 y tabulador\tfin".to_owned(),
        "x' OR 1=1 --".to_owned(),
        format!("revisión larga {}", "de garantía en espera ".repeat(300)),
    ]
}

async fn subscribe(world: &World, admin: Uuid, kinds: &[String]) {
    for kind in kinds {
        sqlx::query("INSERT INTO admin_notifications (id_admin, tipo_notificacion) VALUES ($1, $2)")
            .bind(admin)
            .bind(kind)
            .execute(&world.db.pool)
            .await
            .expect("subscribe");
    }
}

/// The JSON a cursor carries (the part before its tag, when it has one).
fn payload(cursor: &str) -> Value {
    let text = cursor.split_once('.').map_or(cursor, |(payload, _)| payload);
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(text).expect("base64url")).expect("JSON")
}

/// The cursor with its payload changed as `change` says and its tag (if any) kept.
fn tamper(cursor: &str, change: impl FnOnce(&mut Value)) -> String {
    let mut value = payload(cursor);
    change(&mut value);
    let text = URL_SAFE_NO_PAD.encode(value.to_string());
    match cursor.split_once('.') {
        Some((_, tag)) => format!("{text}.{tag}"),
        None => text,
    }
}

async fn pull_raw(api: &Api, cursor: &str, limit: u32) -> (StatusCode, Value) {
    api.post("/v1/pull", json!({"cursor": cursor, "limit": limit})).await
}

fn assert_invalid_cursor(status: StatusCode, body: &Value, what: &str) {
    // An answer carrying a crafted cursor back can be long.
    let shown: String = body.to_string().chars().take(400).collect();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{what}: {shown}");
    assert_eq!(body["code"], "invalid_cursor", "{what}: {shown}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: a message: {shown}");
}

/// (table, key) pairs.
type Keys = BTreeSet<(String, String)>;

/// One whole delta in pages of `limit`, every cursor checked by `check` against the keys the
/// delta has sent so far.
async fn sync_checking(replica: &mut Replica, api: &Api, limit: u32, check: &mut dyn FnMut(&Value, &Keys)) -> u64 {
    let mut staged = Vec::new();
    let mut sent = Keys::new();
    let mut pages = 0;
    loop {
        let page = api.pull_page(replica.cursor.as_deref(), Some(limit)).await;
        pages += 1;
        if page.reset {
            staged.clear();
            sent.clear();
        }
        for change in &page.changes {
            let table = taller_protocol::tables::table(&change.table).expect("table");
            for row in &change.upserts {
                sent.insert((change.table.clone(), row_key(table, row)));
            }
            for key in &change.deletes {
                sent.insert((change.table.clone(), key.clone()));
            }
        }
        check(&payload(&page.cursor), &sent);
        staged.push(page.changes);
        replica.cursor = Some(page.cursor);
        if page.complete {
            apply(replica, staged.into_iter().flatten().collect());
            return pages;
        }
    }
}

// ---------------------------------------------------------------- 8.1: any key round-trips

/// An admin's notification kinds are free text. With pages of one row every key is a page
/// boundary at some point; the admin's first sync, a technician's first sync (which scans the
/// admin's keys too) and the next delta of the admin all finish, and the admin holds every kind
/// exactly as written.
#[tokio::test]
async fn keys_of_any_text_and_length_round_trip_through_the_cursor() {
    let world = World::new().await;
    let admin_id = world.admin.user_id();
    let kinds = notification_kinds();
    subscribe(&world, admin_id, &kinds).await;

    let mut admin = Replica::default();
    admin.sync(&world.admin, Some(1)).await;
    let held: BTreeSet<String> = admin
        .table("admin_notifications")
        .map(|row| Replica::value(row, "admin_notifications", "tipo_notificacion").as_str().expect("text").to_owned())
        .collect();
    let stored: BTreeSet<String> =
        sqlx::query_scalar("SELECT tipo_notificacion FROM admin_notifications WHERE id_admin = $1")
            .bind(admin_id)
            .fetch_all(&world.db.pool)
            .await
            .expect("kinds")
            .into_iter()
            .collect();
    assert!(kinds.iter().all(|kind| stored.contains(kind)));
    assert_eq!(held, stored, "every kind arrived as written");
    assert_converged_with(&admin, &world.admin, "admin").await;

    let mut norte = Replica::default();
    norte.sync(&world.norte, Some(1)).await;
    assert_eq!(norte.table("admin_notifications").count(), 0, "another user's subscriptions stay private");
    assert_converged_with(&norte, &world.norte, "norte").await;

    // A delta of changes only (not a full scan) whose boundaries are the same keys.
    sqlx::query("UPDATE admin_notifications SET activo = false WHERE id_admin = $1")
        .bind(admin_id)
        .execute(&world.db.pool)
        .await
        .expect("unsubscribe");
    let pages = admin.sync(&world.admin, Some(1)).await;
    assert!(pages > kinds.len() as u64, "one page per changed key: {pages}");
    assert!(admin
        .table("admin_notifications")
        .all(|row| Replica::value(row, "admin_notifications", "activo") == &json!(false)));
    assert_converged_with(&admin, &world.admin, "admin after the change").await;
}

// ---------------------------------------------------------------- 8.8: nothing outside the scope

/// The position a technician's cursor carries is always a key the delta has already sent to
/// that technician, never a key of a row they may not read (an admin's subscription, another
/// location's stock).
#[tokio::test]
async fn a_cursor_names_only_keys_its_user_was_sent() {
    let world = World::new().await;
    subscribe(&world, world.admin.user_id(), &notification_kinds()).await;
    for (api, who) in [(&world.norte, "norte"), (&world.sur, "sur"), (&world.bodega, "bodega")] {
        let mut replica = Replica::default();
        let mut positions = 0;
        let mut check = |cursor: &Value, sent: &Keys| {
            let Some(after) = cursor.get("after").filter(|a| !a.is_null()) else { return };
            let table = after[0].as_str().expect("table").to_owned();
            let key = after[1].as_str().expect("key").to_owned();
            positions += 1;
            assert!(
                sent.contains(&(table.clone(), key.clone())),
                "{who}'s cursor names ({table}, {key}), which it was not sent"
            );
        };
        let pages = sync_checking(&mut replica, api, 3, &mut check).await;
        assert!(pages > 10 && positions > 0, "{who}: several pages ({pages}) with a position ({positions})");
        assert_converged_with(&replica, api, who).await;
    }
}

// ---------------------------------------------------------------- 9.3 / 9.4: crafted cursors

/// A cursor whose row count is the largest number is refused, and the server keeps serving.
#[tokio::test]
async fn a_cursor_with_an_overflowing_row_count_is_refused() {
    let world = World::new().await;
    let page = world.norte.pull_page(None, Some(2)).await;
    assert!(!page.complete);
    let crafted = tamper(&page.cursor, |c| c["sent"] = json!(u64::MAX));
    // A page with rows in it: their count is added to `sent`.
    let (status, body) = pull_raw(&world.norte, &crafted, 50).await;
    assert_invalid_cursor(status, &body, "sent = 2^64 - 1");
    let (status, _) = world.norte.get("/v1/me").await;
    assert_eq!(status, StatusCode::OK, "the server keeps serving");
    let mut replica = Replica { cursor: Some(page.cursor), ..Replica::default() };
    replica.sync(&world.norte, Some(50)).await;
}

/// Cursors altered by a client: a changed character, a claimed scope, snapshot lists with
/// duplicates or out of order, a cursor too long to look at. Each is `invalid_cursor`, and the
/// cursor the server issued still works.
#[tokio::test]
async fn a_tampered_cursor_is_refused() {
    let world = World::new().await;
    let mut replica = Replica::default();
    replica.sync(&world.norte, None).await;
    let done = replica.cursor.clone().expect("a cursor");
    let page = world.norte.pull_page(None, Some(2)).await;
    let snapshot = payload(&done)["from"].as_str().expect("a snapshot").to_owned();
    let xmax: u64 = snapshot.split(':').nth(1).expect("xmax").parse().expect("number");
    let (low, high) = (xmax - 3, xmax - 2);

    let mut flipped = page.cursor.clone().into_bytes();
    let middle = flipped.len() / 3;
    flipped[middle] = if flipped[middle] == b'A' { b'B' } else { b'A' };
    let duplicates = vec![low.to_string(); 20_000].join(",");
    let cases: Vec<(&str, String)> = vec![
        ("a changed character", String::from_utf8(flipped).expect("ascii")),
        (
            "a claimed admin scope",
            tamper(&done, |c| {
                // The scope is a digest (or, in cursors before they were sealed, a value).
                c["from_scope"] = match &c["from_scope"] {
                    Value::String(digest) => json!(digest.chars().rev().collect::<String>()),
                    _ => json!({"admin": true, "locs": []}),
                };
            }),
        ),
        (
            "20,000 copies of one in-progress transaction at both ends",
            tamper(&done, |c| {
                c["from"] = json!(format!("{low}:{xmax}:{duplicates}"));
                c["to"] = json!(format!("{low}:{xmax}:{duplicates}"));
                c["to_scope"] = c["from_scope"].clone();
            }),
        ),
        (
            "in-progress transactions out of order",
            tamper(&done, |c| {
                c["from"] = json!(format!("{low}:{xmax}:{high},{low}"));
            }),
        ),
        (
            "a cursor longer than the server looks at",
            tamper(&page.cursor, |c| {
                c["padding"] = json!("p".repeat(400_000));
            }),
        ),
    ];
    for (what, cursor) in cases {
        let (status, body) = pull_raw(&world.norte, &cursor, 5).await;
        assert_invalid_cursor(status, &body, what);
    }
    let before = replica.rows.clone();
    replica.sync(&world.norte, Some(5)).await;
    assert!(replica.rows == before, "the issued cursor still works, and nothing changed");
    let mut resumed = Replica { cursor: Some(page.cursor), ..Replica::default() };
    resumed.sync(&world.norte, Some(50)).await;
}

// ---------------------------------------------------------------- whose cursor

/// A cursor is bound to the user it was issued to: another technician's cursor, in the middle
/// of a first sync or after a completed delta, is refused.
#[tokio::test]
async fn a_cursor_issued_to_one_user_is_refused_for_another() {
    let world = World::new().await;
    let first = world.norte.pull_page(None, Some(3)).await;
    assert!(!first.complete);
    let (status, body) = pull_raw(&world.sur, &first.cursor, 3).await;
    assert_invalid_cursor(status, &body, "norte's first-sync cursor used by sur");
    let mut norte = Replica::default();
    norte.sync(&world.norte, None).await;
    let (status, body) = pull_raw(&world.sur, norte.cursor.as_deref().expect("cursor"), 3).await;
    assert_invalid_cursor(status, &body, "norte's cursor used by sur");
    let (status, body) = pull_raw(&world.admin, norte.cursor.as_deref().expect("cursor"), 3).await;
    assert_invalid_cursor(status, &body, "norte's cursor used by the admin");
    // The owner still uses both.
    let mut resumed = Replica { cursor: Some(first.cursor), ..Replica::default() };
    resumed.sync(&world.norte, Some(50)).await;
    norte.sync(&world.norte, None).await;
}

// ---------------------------------------------------------------- invariant 9

/// Two server processes on one database: a delta's pages alternate between them, and the
/// cursor of the completed delta continues on either.
#[tokio::test]
async fn a_cursor_from_one_server_process_is_accepted_by_another() {
    let world = World::new().await;
    let other = TestServer::start(&world.db, Config::default()).await;
    let norte_b = Api::login(&other.base, "tecnico.norte@taller.test", taller_server::demo::DEMO_PASSWORD).await;
    let mut cursor: Option<String> = None;
    let mut staged = Vec::new();
    for round in 0.. {
        let api = if round % 2 == 0 { &world.norte } else { &norte_b };
        let page = api.pull_page(cursor.as_deref(), Some(4)).await;
        staged.extend(page.changes);
        cursor = Some(page.cursor);
        if page.complete {
            assert!(round > 3, "several pages");
            break;
        }
    }
    let mut replica = Replica { cursor, ..Replica::default() };
    apply(&mut replica, staged);
    assert_converged_with(&replica, &norte_b, "norte via B").await;
    let device = Device::new();
    let movement = movement_args(world.locs[1], world.parts[3], world.norte.user_id(), "ingreso", "ingreso", 2);
    let id = movement["id_movimientos_tecnicos"].as_str().expect("id").to_owned();
    assert_applied(&norte_b.push_one(&device, "movement.record", movement).await);
    replica.sync(&world.norte, Some(1)).await;
    assert!(replica.get("movimientos_tecnicos", &id).is_some(), "A continues B's cursor");
    replica.sync(&norte_b, Some(1)).await;
    assert_converged_with(&replica, &world.norte, "norte via A").await;
}

/// The replica equals the server's checksums of the user's scope.
async fn assert_converged_with(replica: &Replica, api: &Api, who: &str) {
    let server = api.checksum().await.tables;
    assert_eq!(replica.checksums(), server, "{who}: the replica equals the server's projection");
}

/// Applies a whole delta, as `Replica::sync` does.
fn apply(replica: &mut Replica, changes: Vec<TableChanges>) {
    for change in changes {
        let table = taller_protocol::tables::table(&change.table).expect("known table");
        for row in change.upserts {
            replica.rows.insert((change.table.clone(), row_key(table, &row)), row);
        }
        for key in change.deletes {
            replica.rows.remove(&(change.table.clone(), key));
        }
    }
}

// ---------------------------------------------------------------- signed by the server's key

/// The server's cursor key, read from its database as only a test can.
pub(crate) async fn server_key(world: &World) -> CursorKey {
    let secret: Vec<u8> =
        sqlx::query_scalar("SELECT secret FROM sync_cursor_key").fetch_one(&world.db.pool).await.expect("the key");
    CursorKey::from_bytes(&secret).expect("a 32-byte key")
}

/// Even under the server's own tag (a leaked key, a bug), a snapshot list PostgreSQL never
/// prints (duplicates, out of order, more entries than the bound) is refused as
/// `invalid_cursor`, not passed on to the database.
#[tokio::test]
async fn signed_snapshot_lists_postgresql_never_prints_are_refused() {
    let world = World::new().await;
    let (key, norte_id) = (server_key(&world).await, world.norte.user_id());
    // The last case needs more transaction ids below xmax than the bound: on a young cluster
    // (this test run early) the counter may not be there yet, so some are spent first.
    loop {
        let xid: i64 = sqlx::query_scalar("SELECT txid_current()").fetch_one(&world.db.pool).await.expect("xid");
        if u64::try_from(xid).is_ok_and(|xid| xid > MAX_IN_PROGRESS as u64 + 16) {
            break;
        }
    }
    let mut replica = Replica::default();
    replica.sync(&world.norte, None).await;
    let done = Cursor::decode(replica.cursor.as_deref().expect("cursor")).expect("readable");
    let xmax = done.from.xmax;
    let (low, high) = (xmax - 3, xmax - 2);
    let with_xip = |xmin: u64, xip: Vec<u64>| {
        let mut cursor = done.clone();
        cursor.from = Snapshot { xmin, xmax, xip: xip.clone() };
        cursor.to = Some(Snapshot { xmin, xmax, xip });
        cursor.to_scope = Some(cursor.from_scope.clone());
        cursor.seal(&key, norte_id)
    };
    let lowest = xmax - MAX_IN_PROGRESS as u64 - 5;
    let cases = [
        ("duplicates", with_xip(low, vec![low, low, high])),
        ("out of order", with_xip(low, vec![high, low])),
        ("more in progress than the bound", with_xip(lowest, (lowest..xmax).collect())),
    ];
    for (what, cursor) in cases {
        let (status, body) = pull_raw(&world.norte, &cursor, 5).await;
        assert_invalid_cursor(status, &body, what);
    }
    // The same lists in order and without duplicates are served.
    let (status, body) = pull_raw(&world.norte, &with_xip(low, vec![low, high]), 5).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// A signed cursor whose row count is already the largest number is served (the count
/// saturates) rather than overflowing.
#[tokio::test]
async fn a_signed_cursor_with_the_largest_row_count_does_not_overflow() {
    let world = World::new().await;
    let (key, norte_id) = (server_key(&world).await, world.norte.user_id());
    let page = world.norte.pull_page(None, Some(2)).await;
    let mut cursor = Cursor::decode(&page.cursor).expect("readable");
    cursor.sent = u64::MAX;
    let next = world.norte.pull_page(Some(&cursor.seal(&key, norte_id)), Some(2)).await;
    assert_eq!(next.rows_sent, u64::MAX);
    let (status, _) = world.norte.get("/v1/me").await;
    assert_eq!(status, StatusCode::OK, "the server keeps serving");
}

/// The key is never in what a client receives: pages, cursors, checksums.
#[tokio::test]
async fn the_cursor_key_never_leaves_the_server() {
    let world = World::new().await;
    let forms: Vec<String> = sqlx::query_scalar(
        "SELECT x FROM sync_cursor_key, LATERAL (VALUES (encode(secret, 'hex')), (encode(secret, 'base64')), \
                (rtrim(translate(encode(secret, 'base64'), '+/', '-_'), '='))) v(x)",
    )
    .fetch_all(&world.db.pool)
    .await
    .expect("key forms");
    let mut bodies = Vec::new();
    for api in [&world.admin, &world.norte] {
        let mut cursor: Option<String> = None;
        loop {
            let (status, body) = api.post("/v1/pull", json!({"cursor": cursor, "limit": 50})).await;
            assert_eq!(status, StatusCode::OK);
            cursor = body["cursor"].as_str().map(str::to_owned);
            let complete = body["complete"] == json!(true);
            bodies.push(body.to_string());
            if complete {
                break;
            }
        }
        bodies.push(api.get("/v1/checksum").await.1.to_string());
    }
    for body in &bodies {
        for form in &forms {
            assert!(!body.contains(form.as_str()), "the cursor key left the server");
        }
    }
}
