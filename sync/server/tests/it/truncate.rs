//! Writes by other applications that bypassed the change feed (issue 8.5): `TRUNCATE` of a
//! replicated table, and writers with `session_replication_role = replica` (logical-replication
//! subscribers, loads "without triggers"). Real SQL against the test database, then replicas
//! pull over HTTP and must match the server's checksums (contract invariant 7).

use crate::harness::*;
use serde_json::json;
use taller_protocol::tables::TABLES;
use uuid::Uuid;

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
}

async fn run(world: &World, sql: &str) {
    sqlx::raw_sql(sql).execute(&world.db.pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn rows(world: &World, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(&world.db.pool).await.expect("count")
}

/// Another application empties `order_follow` (a shared catalogue table every user reads),
/// and a location's counts with `TRUNCATE ... CASCADE`: every replica drops those rows.
#[tokio::test]
async fn a_truncate_by_another_application_reaches_every_replica() {
    let world = World::new().await;
    let loc = world.locs[0];
    let device = Device::new();
    let count = Uuid::new_v4();
    for (name, args) in [
        ("count.start", json!({"id_conteo": count, "id_localizacion": loc})),
        (
            "count.line",
            json!({"id_detalle_conteo": Uuid::new_v4(), "id_conteo": count, "id_repuesto": world.parts[0], "cantidad_csa": 3}),
        ),
        ("count.close", json!({"id_conteo": count})),
    ] {
        assert_applied(&world.bodega.push_one(&device, name, args).await);
    }
    let mut replicas = [(Replica::default(), &world.admin, "admin"), (Replica::default(), &world.bodega, "bodega")];
    for (replica, api, _) in replicas.iter_mut() {
        replica.sync(api, None).await;
        assert!(replica.table("order_follow").count() > 0);
    }
    assert_eq!(replicas[1].0.table("detalles_conteo").count(), 1);

    run(&world, "TRUNCATE order_follow").await;
    run(&world, "TRUNCATE registro_conteo CASCADE").await;
    assert_eq!(rows(&world, "order_follow").await + rows(&world, "detalles_conteo").await, 0);

    for (replica, api, who) in replicas.iter_mut() {
        replica.sync(api, None).await;
        for table in ["order_follow", "registro_conteo", "detalles_conteo", "conteos_cerrados"] {
            assert_eq!(replica.table(table).count(), 0, "{who}: {table} emptied");
        }
        assert_converged(replica, api, who).await;
    }
}

/// Emptying `usuarios_localizacion` takes every location away from every non-admin user:
/// their replicas drop those locations' rows, as when an admin unassigns them.
#[tokio::test]
async fn a_truncate_of_the_assignments_takes_the_locations_out_of_the_replicas() {
    let world = World::new().await;
    let mut replica = Replica::default();
    replica.sync(&world.norte, None).await;
    assert!(replica.table("inventario").count() > 0);

    run(&world, "TRUNCATE usuarios_localizacion").await;

    replica.sync(&world.norte, None).await;
    assert_eq!(replica.table("inventario").count(), 0, "no location left, no stock rows");
    assert_eq!(replica.table("usuarios_localizacion").count(), 0);
    assert_converged(&replica, &world.norte, "norte").await;
}

/// A writer with `session_replication_role = replica` (as a logical-replication subscriber's
/// apply worker, or a bulk load "without triggers") inserts, updates and deletes rows: each
/// write reaches the feed once, and replicas converge. The domain triggers stay off in that
/// mode (decision 0005): a stock change written that way brings no ledger row of its own,
/// because the writer copies the ledger rows from where the change was made.
#[tokio::test]
async fn writes_in_replica_mode_reach_the_feed_once() {
    let world = World::new().await;
    let (loc, part) = (world.locs[1], world.parts[2]);
    let mut replica = Replica::default();
    replica.sync(&world.norte, None).await;
    let before: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM sync_changes")
        .fetch_one(&world.db.pool)
        .await
        .expect("feed position");
    let ledger_before = rows(&world, "logs_inventario").await;
    let orden = Uuid::new_v4();

    let mut tx = world.db.pool.begin().await.expect("transaction");
    sqlx::query("SET LOCAL session_replication_role = replica").execute(&mut *tx).await.expect("replica mode");
    sqlx::query("UPDATE repuestos SET nombre = 'Motor replicado' WHERE id_repuesto = $1")
        .bind(part)
        .execute(&mut *tx)
        .await
        .expect("update");
    sqlx::query("UPDATE inventario SET stock_actual = 77 WHERE id_localizacion = $1 AND id_repuesto = $2")
        .bind(loc)
        .bind(part)
        .execute(&mut *tx)
        .await
        .expect("stock");
    sqlx::query(
        "INSERT INTO order_follow (id_orden, numero_orden, id_tipo_scooter, nivel, estado, fecha_orden) \
         SELECT $1, 'OC-REPLICADA', id_tipo, 1, 'Pedido', now() FROM scooter_types LIMIT 1",
    )
    .bind(orden)
    .execute(&mut *tx)
    .await
    .expect("insert");
    sqlx::query("DELETE FROM order_follow WHERE numero_orden = 'OC-2026-0001'")
        .execute(&mut *tx)
        .await
        .expect("delete");
    tx.commit().await.expect("commit");

    let captured: Vec<(String, String)> =
        sqlx::query_as("SELECT tabla, op FROM sync_changes WHERE id > $1 ORDER BY id")
            .bind(before)
            .fetch_all(&world.db.pool)
            .await
            .expect("feed");
    let ops: Vec<String> = captured.iter().map(|(tabla, op)| format!("{op} {tabla}")).collect();
    assert_eq!(ops, ["U repuestos", "U inventario", "U order_follow", "D order_follow"], "each write once");
    assert_eq!(rows(&world, "logs_inventario").await, ledger_before, "no ledger row in replica mode");

    replica.sync(&world.norte, None).await;
    let name =
        replica.get("repuestos", &part.to_string()).map(|row| Replica::value(row, "repuestos", "nombre").clone());
    assert_eq!(name, Some(json!("Motor replicado")));
    assert!(replica.get("order_follow", &orden.to_string()).is_some());
    let stock = replica
        .table("inventario")
        .find(|row| {
            Replica::value(row, "inventario", "id_repuesto") == &json!(part)
                && Replica::value(row, "inventario", "id_localizacion") == &json!(loc)
        })
        .map(|row| Replica::value(row, "inventario", "stock_actual").clone());
    assert_eq!(stock, Some(json!(77)));
    assert_converged(&replica, &world.norte, "norte").await;

    // TRUNCATE in replica mode too.
    let mut tx = world.db.pool.begin().await.expect("transaction");
    sqlx::query("SET LOCAL session_replication_role = replica").execute(&mut *tx).await.expect("replica mode");
    sqlx::query("TRUNCATE order_follow").execute(&mut *tx).await.expect("truncate");
    tx.commit().await.expect("commit");
    replica.sync(&world.norte, None).await;
    assert_eq!(replica.table("order_follow").count(), 0);
    assert_converged(&replica, &world.norte, "norte").await;
}

/// A real logical-replication subscriber: another application's database publishes
/// `scooter_types` and `order_follow`, and Taller's database subscribes. The apply worker runs
/// in replica mode and fires row triggers only; every change it applies, its TRUNCATE
/// included, reaches Taller's feed once. Needs `wal_level = logical`, so it runs on a private
/// cluster of its own.
#[tokio::test]
async fn a_logical_replication_subscribers_changes_reach_the_feed_once() {
    use taller_pgcluster::{Cluster, Options};
    let dir = tempfile::Builder::new().prefix("taller-logical-").tempdir().expect("temp dir");
    let cluster_dir = dir.path().join("pg");
    let options = Options::throwaway();
    let cluster = Cluster::start(&cluster_dir, &options).expect("a private cluster");
    cluster.psql("postgres", "ALTER SYSTEM SET wal_level = logical").expect("wal_level");
    cluster.stop().expect("stop");
    let cluster = Cluster::start(&cluster_dir, &options).expect("restart with wal_level = logical");
    for name in ["origen", "taller"] {
        cluster.create_database(name).expect("database");
        let pool = taller_server::db::connect(&cluster.url(name), 2).await.expect("connect");
        taller_server::db::migrate(&pool).await.expect("migrate");
        pool.close().await;
    }
    let origen = taller_server::db::connect(&cluster.url("origen"), 2).await.expect("origen");
    let taller = taller_server::db::connect(&cluster.url("taller"), 2).await.expect("taller");
    for sql in [
        "CREATE PUBLICATION catalogo FOR TABLE scooter_types, order_follow",
        "SELECT pg_create_logical_replication_slot('taller_catalogo', 'pgoutput')",
    ] {
        sqlx::raw_sql(sql).execute(&origen).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    // The slot is made beforehand: a subscription on the same cluster cannot create its own.
    sqlx::raw_sql(&format!(
        "CREATE SUBSCRIPTION catalogo CONNECTION 'host=127.0.0.1 port={} user=postgres dbname=origen' \
         PUBLICATION catalogo WITH (create_slot = false, slot_name = 'taller_catalogo', copy_data = false)",
        cluster.port()
    ))
    .execute(&taller)
    .await
    .expect("subscription");
    let before: i64 =
        sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM sync_changes").fetch_one(&taller).await.expect("feed");

    let (tipo, kept, gone) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let mut tx = origen.begin().await.expect("transaction");
    sqlx::query("INSERT INTO scooter_types (id_tipo, nombre, potencia) VALUES ($1, 'Urbano 350', '350W')")
        .bind(tipo)
        .execute(&mut *tx)
        .await
        .expect("scooter type");
    sqlx::query(
        "INSERT INTO order_follow (id_orden, numero_orden, id_tipo_scooter, nivel, estado, fecha_orden) \
         VALUES ($2, 'OC-1', $1, 1, 'Pedido', now()), ($3, 'OC-2', $1, 2, 'Pedido', now())",
    )
    .bind(tipo)
    .bind(kept)
    .bind(gone)
    .execute(&mut *tx)
    .await
    .expect("orders");
    tx.commit().await.expect("commit");
    for sql in [
        format!("UPDATE order_follow SET estado = 'En tránsito' WHERE id_orden = '{kept}'"),
        format!("DELETE FROM order_follow WHERE id_orden = '{gone}'"),
        "TRUNCATE order_follow".to_owned(),
    ] {
        sqlx::raw_sql(&sql).execute(&origen).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    // Wait until the subscriber has confirmed everything written so far.
    let written: String =
        sqlx::query_scalar("SELECT pg_current_wal_lsn()::text").fetch_one(&origen).await.expect("lsn");
    let mut caught_up = false;
    for _ in 0..600 {
        caught_up = sqlx::query_scalar(
            "SELECT coalesce(confirmed_flush_lsn >= $1::pg_lsn, false) FROM pg_replication_slots WHERE slot_name = 'taller_catalogo'",
        )
        .bind(&written)
        .fetch_one(&origen)
        .await
        .expect("slot");
        if caught_up {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if !caught_up {
        let log = std::fs::read_to_string(cluster.log_file()).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(30).collect();
        panic!("the subscriber did not apply the changes; the server's log ends:\n{}", tail.join("\n"));
    }

    let captured: Vec<(String, String, String, bool)> =
        sqlx::query_as("SELECT tabla, op, clave, global FROM sync_changes WHERE id > $1 ORDER BY id")
            .bind(before)
            .fetch_all(&taller)
            .await
            .expect("feed");
    let want: Vec<(String, String, String, bool)> = [
        ("scooter_types", "U", tipo),
        ("order_follow", "U", kept),
        ("order_follow", "U", gone),
        ("order_follow", "U", kept),
        ("order_follow", "D", gone),
        ("order_follow", "D", kept),
    ]
    .into_iter()
    .map(|(tabla, op, id)| (tabla.to_owned(), op.to_owned(), id.to_string(), true))
    .collect();
    assert_eq!(captured, want, "each applied change once, in order");
    let estado: Option<String> = sqlx::query_scalar(
        "SELECT datos ->> 'estado' FROM sync_changes WHERE id > $1 AND tabla = 'order_follow' AND op = 'U' ORDER BY id DESC LIMIT 1",
    )
    .bind(before)
    .fetch_one(&taller)
    .await
    .expect("image");
    assert_eq!(estado.as_deref(), Some("En tránsito"));
    sqlx::raw_sql("ALTER SUBSCRIPTION catalogo DISABLE").execute(&taller).await.expect("disable");
    origen.close().await;
    taller.close().await;
    cluster.stop().expect("stop");
}
