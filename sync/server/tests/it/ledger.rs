//! "Stock changes only with a ledger row" (contract): for stock another application inserts,
//! and for the demo data's initial stock.

use crate::harness::*;
use uuid::Uuid;

async fn ledger_rows(world: &World, id_inventario: Uuid) -> Vec<(i32, i32, i32, String)> {
    sqlx::query_as(
        "SELECT cantidad_anterior, cantidad_nueva, diferencia, tipo_operacion FROM logs_inventario \
          WHERE id_inventario = $1 ORDER BY fecha, id_log",
    )
    .bind(id_inventario)
    .fetch_all(&world.db.pool)
    .await
    .expect("ledger")
}

/// Another application inserts items: one with stock writes one ledger row from 0, one
/// without stock writes none, and one inserted with `taller.ledger = 'app'` (the server's
/// convention, decision 0010) writes none either. The stock equals the ledger afterwards.
#[tokio::test]
async fn an_external_insert_with_stock_writes_one_ledger_row() {
    let world = World::new().await;
    let parts: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO repuestos (referencia, nombre) VALUES ('EXT-1', 'Externo 1'), ('EXT-2', 'Externo 2'), ('EXT-3', 'Externo 3') \
         RETURNING id_repuesto",
    )
    .fetch_all(&world.db.pool)
    .await
    .expect("parts");
    let insert = "INSERT INTO inventario (id_localizacion, id_repuesto, stock_actual) VALUES ($1, $2, $3) RETURNING id_inventario";
    let with_stock: Uuid = sqlx::query_scalar(insert)
        .bind(world.locs[1])
        .bind(parts[0])
        .bind(7)
        .fetch_one(&world.db.pool)
        .await
        .expect("insert");
    let empty: Uuid = sqlx::query_scalar(insert)
        .bind(world.locs[1])
        .bind(parts[1])
        .bind(0)
        .fetch_one(&world.db.pool)
        .await
        .expect("insert");
    let mut tx = world.db.pool.begin().await.expect("begin");
    sqlx::query("SELECT set_config('taller.ledger', 'app', true)").execute(&mut *tx).await.expect("ledger = app");
    let by_app: Uuid = sqlx::query_scalar(insert)
        .bind(world.locs[1])
        .bind(parts[2])
        .bind(4)
        .fetch_one(&mut *tx)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");

    assert_eq!(ledger_rows(&world, with_stock).await, vec![(0, 7, 7, "AJUSTE_MANUAL".to_owned())]);
    assert_eq!(ledger_rows(&world, empty).await, vec![]);
    assert_eq!(ledger_rows(&world, by_app).await, vec![], "the application writes its own");
    let (usuario, motivo): (Uuid, String) =
        sqlx::query_as("SELECT id_usuario, motivo FROM logs_inventario WHERE id_inventario = $1")
            .bind(with_stock)
            .fetch_one(&world.db.pool)
            .await
            .expect("row");
    assert_eq!((usuario, motivo.as_str()), (Uuid::nil(), "Cambio externo"), "the system user, as for updates");

    // A set-based insert of several items logs each one.
    let more: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO inventario (id_localizacion, id_repuesto, stock_actual) \
         SELECT l, $1, 3 FROM unnest($2::uuid[]) AS l RETURNING id_inventario",
    )
    .bind(parts[0])
    .bind(vec![world.locs[0], world.locs[2]])
    .fetch_all(&world.db.pool)
    .await
    .expect("insert");
    for id in more {
        assert_eq!(ledger_rows(&world, id).await, vec![(0, 3, 3, "AJUSTE_MANUAL".to_owned())]);
    }
    world.assert_ledger_consistent().await;
}

/// After the demo data, every item's stock is explained by its ledger: the last row's
/// `cantidad_nueva` equals `stock_actual`, and no item with stock lacks ledger rows.
#[tokio::test]
async fn the_demo_datas_stock_has_its_ledger_rows() {
    let world = World::new().await;
    let (items, unexplained): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE i.stock_actual <> coalesce(l.cantidad_nueva, 0)) \
           FROM inventario i \
           LEFT JOIN LATERAL (SELECT cantidad_nueva FROM logs_inventario l WHERE l.id_inventario = i.id_inventario \
                               ORDER BY fecha DESC, id_log DESC LIMIT 1) l ON true",
    )
    .fetch_one(&world.db.pool)
    .await
    .expect("check");
    assert_eq!(items, 90, "30 parts at 3 locations");
    assert_eq!(unexplained, 0, "items whose stock the ledger does not explain");
    let with_stock: i64 = sqlx::query_scalar("SELECT count(*) FROM inventario WHERE stock_actual <> 0")
        .fetch_one(&world.db.pool)
        .await
        .expect("count");
    assert!(with_stock > 0, "the demo data has stock");
    let motivos: Vec<String> = sqlx::query_scalar("SELECT DISTINCT motivo FROM logs_inventario")
        .fetch_all(&world.db.pool)
        .await
        .expect("motivos");
    assert_eq!(motivos, vec!["Stock inicial".to_owned()], "written as the initial stock, not as an external change");
    world.assert_ledger_consistent().await;
}
