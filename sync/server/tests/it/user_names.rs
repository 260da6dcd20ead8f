//! Whoever can read a request can read the users it names (issue 8.12): the requester and the
//! people in its history, even when they work at another location.

use crate::harness::*;
use serde_json::{json, Value};
use uuid::Uuid;

fn user_name(replica: &Replica, id: Uuid) -> Option<String> {
    replica
        .get("usuarios", &id.to_string())
        .map(|row| Replica::value(row, "usuarios", "nombre_completo"))
        .and_then(Value::as_str)
        .map(str::to_owned)
}

async fn assert_converged(replica: &Replica, api: &Api, who: &str) {
    assert_eq!(replica.checksums(), api.checksum().await.tables, "{who}: the replica equals the server's projection");
}

/// A technician of Taller Norte asks Bodega Central for parts; the warehouse worker's replica,
/// pulling incrementally, gets the technician's name with the request, and the technician's
/// replica gets the warehouse worker's name with the dispatch in the request's history. A
/// third location sees neither. Every replica still equals the server's projection.
#[tokio::test]
async fn a_request_brings_the_names_of_the_people_it_names_in_an_incremental_pull() {
    let world = World::new().await;
    let [bodega_loc, norte_loc, _] = world.locs;
    let (mut bodega, mut norte, mut sur) = (Replica::default(), Replica::default(), Replica::default());
    bodega.sync(&world.bodega, None).await;
    norte.sync(&world.norte, None).await;
    sur.sync(&world.sur, None).await;
    let (norte_id, bodega_id) = (world.norte.user_id(), world.bodega.user_id());
    assert_eq!(
        user_name(&bodega, norte_id),
        None,
        "before any request, the technician is not in the warehouse's scope"
    );
    assert_eq!(user_name(&norte, bodega_id), None, "nor the warehouse worker in the technician's");

    let request = Uuid::new_v4();
    let device = Device::new();
    let created = world
        .norte
        .push_one(
            &device,
            "request.create",
            json!({"id_solicitud": request, "id_localizacion_origen": bodega_loc, "id_localizacion_destino": norte_loc,
                   "lines": [{"id_detalle": Uuid::new_v4(), "id_repuesto": world.parts[0], "cantidad": 2}]}),
        )
        .await;
    assert_applied(&created);
    let cursor_before = bodega.cursor.clone();
    bodega.sync(&world.bodega, None).await;
    assert!(cursor_before.is_some(), "the second pull is incremental");
    assert!(bodega.get("solicitudes", &request.to_string()).is_some(), "the request arrived");
    assert_eq!(user_name(&bodega, norte_id).as_deref(), Some("Carla Técnica"), "with its requester's name");
    assert_converged(&bodega, &world.bodega, "bodega").await;

    let warehouse = Device::new();
    assert_applied(&world.bodega.push_one(&warehouse, "request.pick", json!({"id_solicitud": request})).await);
    norte.sync(&world.norte, None).await;
    assert_eq!(
        user_name(&norte, bodega_id).as_deref(),
        Some("Bruno Bodeguero"),
        "the technician sees who picked the request"
    );
    assert_converged(&norte, &world.norte, "norte").await;

    sur.sync(&world.sur, None).await;
    assert_eq!(user_name(&sur, norte_id), None, "Taller Sur has nothing to do with the request");
    assert_eq!(user_name(&sur, bodega_id), None);
    assert_converged(&sur, &world.sur, "sur").await;
    bodega.sync(&world.bodega, None).await;
    assert_converged(&bodega, &world.bodega, "bodega").await;

    // No secret travels with a user row: its columns are the catalogue's.
    let row = bodega.get("usuarios", &norte_id.to_string()).expect("row");
    assert!(!serde_json::to_string(row).expect("json").contains("argon2"), "no password hash");

    // The request goes (another application deletes it): the warehouse no longer reads the
    // technician, and an incremental pull takes the row away.
    sqlx::query("DELETE FROM solicitudes WHERE id_solicitud = $1")
        .bind(request)
        .execute(&world.db.pool)
        .await
        .expect("delete the request");
    bodega.sync(&world.bodega, None).await;
    assert_eq!(user_name(&bodega, norte_id), None, "the technician left the warehouse's scope with the request");
    assert_converged(&bodega, &world.bodega, "bodega").await;
    norte.sync(&world.norte, None).await;
    assert_eq!(user_name(&norte, bodega_id), None);
    assert_converged(&norte, &world.norte, "norte").await;
}

/// Many requests by one user add one fresh image of that user only when the scope grows: the
/// second request between the same two locations adds none.
#[tokio::test]
async fn a_user_is_re_imaged_only_when_their_scope_changes() {
    let world = World::new().await;
    let [bodega_loc, norte_loc, _] = world.locs;
    let device = Device::new();
    let images = || async {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM sync_changes WHERE tabla = 'usuarios' AND clave = $1")
            .bind(world.norte.user_id().to_string())
            .fetch_one(&world.db.pool)
            .await
            .expect("count");
        n
    };
    let before = images().await;
    for _ in 0..3 {
        let outcome = world
            .norte
            .push_one(
                &device,
                "request.create",
                json!({"id_solicitud": Uuid::new_v4(), "id_localizacion_origen": bodega_loc, "id_localizacion_destino": norte_loc,
                       "lines": [{"id_detalle": Uuid::new_v4(), "id_repuesto": world.parts[1], "cantidad": 1}]}),
            )
            .await;
        assert_applied(&outcome);
    }
    assert_eq!(images().await - before, 1, "one new image, for the first request only");
}
