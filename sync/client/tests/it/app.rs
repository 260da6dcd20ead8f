//! The app module (the desktop shell's use-case API) against a real server: a signed-in
//! replica's screens, local actions, and the conflict inbox across pulls.

use crate::harness::*;
use serde_json::json;
use taller_client::app::{
    Concepto, FindPartInput, InboxEntryRef, InboxKind, InventoryQuery, InventorySort, MovementInput, TipoMovimiento,
};
use taller_client::sync::lock;
use taller_protocol::mutations::Mutation;

fn page_query(loc: uuid::Uuid) -> InventoryQuery {
    InventoryQuery {
        id_localizacion: loc,
        search: String::new(),
        low_only: false,
        sort: InventorySort::default(),
        offset: 0,
        limit: 5,
    }
}

/// After signing in and syncing, the screens read the replica: the user, the locations, a
/// window of the stock as the server has it, a scanned part; a movement is queued with the
/// outbox size and its sync names the tables the pull applied rows to.
#[tokio::test]
async fn a_signed_in_replica_feeds_the_screens_and_a_sync_names_the_tables_it_changed() {
    let net = Net::new().await;
    let loc = net.locs[1];
    let norte = Device::login(&net.server.base, "tecnico.norte@taller.test").await;
    let first = norte.sync().await;
    assert!(first.tables.contains("inventario") && first.tables.contains("repuestos"), "{:?}", first.tables);
    let me = norte.client.user_id();

    let users = norte.ws.workstation_users().expect("users");
    assert_eq!(users.len(), 1);
    assert_eq!((users[0].id_usuario, users[0].pending, users[0].current, users[0].can_unlock), (me, 0, true, true));
    let profile = norte.ws.current_profile().expect("profile").expect("signed in");
    assert_eq!(profile.email, "tecnico.norte@taller.test");
    assert!(norte
        .client
        .locations()
        .expect("locations")
        .iter()
        .any(|l| l.id_localizacion == loc && l.nombre == "Taller Norte"));

    let page = norte.client.inventory_page(&page_query(loc)).expect("page");
    let on_server: i64 = sqlx::query_scalar("SELECT count(*) FROM inventario WHERE id_localizacion = $1")
        .bind(loc)
        .fetch_one(&net.db.pool)
        .await
        .expect("count");
    assert_eq!(page.total, on_server);
    let want: Vec<&str> = net.parts.iter().take(5).map(|(_, r)| r.as_str()).collect();
    assert_eq!(page.rows.iter().map(|r| r.referencia.as_str()).collect::<Vec<_>>(), want, "by reference");
    for row in &page.rows {
        assert_eq!(i64::from(row.stock_actual), i64::from(net.server_stock(loc, row.id_repuesto).await));
    }

    let (part, reference) = net.parts[0].clone();
    let found = norte
        .client
        .find_part(&FindPartInput { code: format!(" {} ", reference.to_lowercase()), id_localizacion: Some(loc) })
        .expect("find")
        .expect("found");
    assert_eq!(found.id_repuesto, part);
    let before = found.stock.expect("stock at Norte").stock_actual;

    let queued = norte
        .client
        .record_movement(&MovementInput {
            id_localizacion: loc,
            id_repuesto: part,
            id_tecnico_asignado: me,
            concepto: Concepto::Salida,
            tipo: TipoMovimiento::Salida,
            cantidad: 1,
            numero_orden: None,
        })
        .expect("movement");
    assert_eq!((queued.pending, queued.result["stock_actual"].as_i64()), (1, Some(i64::from(before) - 1)));
    let report = norte.sync().await;
    assert_eq!(report.pushed, 1);
    assert!(
        report.tables.contains("inventario") && report.tables.contains("movimientos_tecnicos"),
        "{:?}",
        report.tables
    );
    assert!(!report.tables.contains("rejected_mutations"), "nothing was refused");
    assert_eq!(net.server_stock(loc, part).await, before - 1);
    let status = norte.client.sync_status().expect("status");
    assert_eq!((status.pending, status.online, status.last_error, status.update_required), (0, true, None, false));
}

/// A refused movement and a negative-stock conflict reach the inbox with their sentences;
/// dismissed, they stay dismissed after the replica is pulled again in full from the server.
#[tokio::test]
async fn dismissed_inbox_entries_survive_a_full_pull() {
    let net = Net::new().await;
    let (loc, part, other_part) = (net.locs[1], net.parts[1].0, net.parts[2].0);
    let norte = Device::login(&net.server.base, "tecnico.norte@taller.test").await;
    norte.sync().await;
    let me = norte.client.user_id();
    // Stock below zero under the default policy (allow): a conflict for the author.
    let have = net.server_stock(loc, other_part).await;
    norte.act(movement(loc, other_part, me, "venta", "venta", have + 2));
    norte.sync().await;
    // Then the admin refuses negative stock at Norte; Norte's next sale is refused.
    let admin = Device::login(&net.server.base, "admin@taller.test").await;
    admin.sync().await;
    admin.act(
        Mutation::parse("location.policy", &json!({"id_localizacion": loc, "stock_negativo": "reject"})).expect("m"),
    );
    admin.sync().await;
    let have = net.server_stock(loc, part).await;
    norte.act(movement(loc, part, me, "venta", "venta", have + 1));
    let report = norte.sync().await;
    assert_eq!(report.rejected, 1);
    assert!(report.tables.contains("rejected_mutations"), "{:?}", report.tables);

    let inbox = norte.client.inbox().expect("inbox");
    let rejection = inbox.iter().find(|e| e.kind == InboxKind::Rechazo).expect("the refusal");
    assert!(rejection.why.starts_with("Stock insuficiente"), "{}", rejection.why);
    assert!(rejection.what.contains(&net.parts[1].1) && rejection.what.contains("Taller Norte"), "{}", rejection.what);
    let negative = inbox.iter().find(|e| e.kind == InboxKind::StockNegativo).expect("the conflict");
    assert!(negative.what.contains(&net.parts[2].1), "{}", negative.what);
    assert_eq!(negative.action, "movement.record");
    assert_eq!(norte.client.sync_status().expect("status").conflicts, 2);

    for entry in [rejection, negative] {
        norte.client.dismiss_inbox_entry(&InboxEntryRef { id: entry.id, kind: entry.kind }).expect("dismiss");
    }
    assert_eq!(norte.client.sync_status().expect("status").conflicts, 0);
    // Forget the cursor: the next pull brings every row of the scope again, conflicts too.
    lock(norte.client.shared())
        .conn
        .execute("DELETE FROM sync_state WHERE key = 'cursor'", [])
        .expect("forget the cursor");
    let again = norte.sync().await;
    assert!(again.tables.contains("conflictos"), "{:?}", again.tables);
    assert_eq!(norte.count("SELECT count(*) FROM conflictos WHERE revisado = 0"), 1, "the server's row is back");
    assert_eq!(norte.client.sync_status().expect("status").conflicts, 0, "still dismissed");
    assert!(norte.client.inbox().expect("inbox").iter().all(|e| e.reviewed));
}

/// A broad search's total may come from the full-text index alone (when the location holds
/// one row of every part); a pulled delta that writes parts makes the library check that
/// again. Here the server gains a part with no row at Taller Norte: after the pull it matches
/// the search but is not in Taller Norte's total.
#[tokio::test]
async fn a_broad_search_total_follows_a_pulled_part_the_location_does_not_hold() {
    let db = taller_server::testing::TestDb::new().await;
    // 2,000 parts: «0» matches some 1,500 of them (a broad search), each with a row at every location.
    taller_server::demo::load(&db.pool, &taller_server::demo::DemoSize { parts: 2000, locations: 3 })
        .await
        .expect("demo data");
    let server = taller_server::testing::TestServer::start(&db, taller_server::config::Config::default()).await;
    let loc: uuid::Uuid = sqlx::query_scalar("SELECT id_localizacion FROM localizacion WHERE nombre = 'Taller Norte'")
        .fetch_one(&db.pool)
        .await
        .expect("location");
    let norte = Device::login(&server.base, "tecnico.norte@taller.test").await;
    norte.sync().await;
    let broad = InventoryQuery { search: "0".into(), limit: 50, ..page_query(loc) };
    let before = norte.client.inventory_page(&broad).expect("page").total;
    assert!(before >= 1_000, "a broad search: {before} matches");
    let at_norte: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM inventario i JOIN repuestos r USING (id_repuesto) \
          WHERE i.id_localizacion = $1 AND r.referencia ~ '(^|[^0-9A-Z])0'",
    )
    .bind(loc)
    .fetch_one(&db.pool)
    .await
    .expect("count");
    assert_eq!(before, at_norte, "as the server counts the rows at Taller Norte whose reference has a word «0…»");

    sqlx::query("INSERT INTO repuestos (referencia, nombre) VALUES ('ZZZ-0-NUEVO', 'Repuesto nuevo')")
        .execute(&db.pool)
        .await
        .expect("a new part");
    let report = norte.sync().await;
    assert!(report.tables.contains("repuestos"), "{:?}", report.tables);
    let after = norte.client.inventory_page(&broad).expect("page");
    assert_eq!(after.total, before, "the new part matches «0» but has no row at Taller Norte");
    assert!(after.rows.iter().all(|row| row.referencia != "ZZZ-0-NUEVO"));
}
