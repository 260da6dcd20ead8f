//! A request brings the people it names into every replica that reads it (issue 8.12), in
//! real SQLite replicas synced incrementally.

use crate::harness::*;
use taller_protocol::mutations::Mutation;
use uuid::Uuid;

/// A technician of Taller Norte asks Bodega Central for a part. The warehouse worker's
/// replica, synced before and then again (an incremental pull), holds the technician's user
/// row with their name, so the request's timeline can say who asked; both replicas still
/// equal the server's checksums.
#[tokio::test]
async fn the_warehouse_replica_gets_the_name_of_a_technician_who_asks_it_for_parts() {
    let net = Net::new().await;
    let [bodega_loc, norte_loc, _] = net.locs;
    let bodega = Device::login(&net.server.base, "bodega@taller.test").await;
    let norte = Device::login(&net.server.base, "tecnico.norte@taller.test").await;
    bodega.sync().await;
    norte.sync().await;
    let technician = norte.client.user_id();
    let named = format!(
        "SELECT count(*) FROM usuarios WHERE id_usuario = '{technician}' AND nombre_completo = 'Carla Técnica'"
    );
    assert_eq!(bodega.count(&named), 0, "before the request the technician is outside the warehouse's scope");

    let request = Uuid::now_v7();
    let create = Mutation::parse(
        "request.create",
        &serde_json::json!({"id_solicitud": request, "id_localizacion_origen": bodega_loc,
                            "id_localizacion_destino": norte_loc,
                            "lines": [{"id_detalle": Uuid::now_v7(), "id_repuesto": net.parts[0].0, "cantidad": 1}]}),
    )
    .expect("mutation");
    norte.act(create);
    norte.sync().await;
    bodega.sync().await;
    assert_eq!(bodega.count(&format!("SELECT count(*) FROM solicitudes WHERE id_solicitud = '{request}'")), 1);
    assert_eq!(bodega.count(&named), 1, "the request brought its requester's name");
    let shown = bodega.client.request(request).expect("request show");
    assert_eq!(
        shown.request.solicitante.as_deref(),
        Some("Carla Técnica"),
        "`request show` names who asked: {shown:?}"
    );
    assert!(
        !shown.trazabilidad.is_empty()
            && shown.trazabilidad.iter().all(|step| step.usuario.as_deref() == Some("Carla Técnica")),
        "{:?}",
        shown.trazabilidad
    );
    bodega.assert_converged("bodega").await;
    norte.assert_converged("norte").await;
}
