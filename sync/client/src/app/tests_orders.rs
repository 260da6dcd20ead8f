//! Scooter models and order tracking on the seeded workstation of `tests.rs`, offline:
//! models created and edited by name, orders listed by level with their model and whether
//! they are late, advanced forward only (an advance at or below the level changes nothing),
//! their contact and ETA edited; an overtaken advance in the inbox, in Spanish.

use super::tests::{conn_of, workstation, ME, OTHER};
use super::*;
use crate::error::ClientError;
use crate::local::fixtures::seed;
use chrono::{Days, Local, NaiveDate};
use serde_json::json;
use taller_domain::RejectionCode;

fn refused_with<T: std::fmt::Debug>(result: &Result<T>, code: RejectionCode) -> bool {
    matches!(result, Err(ClientError::Rejected(r)) if r.code == code)
}

fn order(numero: &str, model: &str, eta: Option<NaiveDate>) -> OrderCreateInput {
    OrderCreateInput {
        numero_orden: numero.into(),
        model: model.into(),
        estado: None,
        telefono_contacto: Some("600 111 222".into()),
        email_contacto: Some("compras@taller-norte.es".into()),
        link_orden: None,
        fecha_entrega_estimada: eta,
    }
}

#[test]
fn models_and_orders_go_from_creation_to_delivery_forward_only() {
    let (_dir, client) = workstation();
    let created = client
        .create_model(&ModelCreateInput {
            nombre: " Urbano 350 ".into(),
            potencia: "350W".into(),
            descripcion: Some("Patinete urbano".into()),
        })
        .expect("model");
    assert_eq!(created.name, "model.create");
    client
        .create_model(&ModelCreateInput { nombre: "Trail 800".into(), potencia: "800W".into(), descripcion: None })
        .expect("second model");
    let refused =
        client.create_model(&ModelCreateInput { nombre: "X".into(), potencia: " ".into(), descripcion: None });
    assert!(refused_with(&refused, RejectionCode::InvalidArguments), "{refused:?}");
    client
        .edit_model(&ModelEditInput {
            model: "urbano 350".into(),
            nombre: None,
            potencia: Some("500W".into()),
            descripcion: Some(String::new()),
        })
        .expect("edit by name");
    let models = client.models().expect("models");
    assert_eq!(
        models.iter().map(|m| (m.nombre.as_str(), m.potencia.as_str(), m.descripcion.as_deref())).collect::<Vec<_>>(),
        [("Trail 800", "800W", None), ("Urbano 350", "500W", None)]
    );

    let today = Local::now().date_naive();
    let late = today.checked_sub_days(Days::new(2));
    let later = today.checked_add_days(Days::new(10));
    client.create_order(&order("OC-0002", "Trail 800", later)).expect("order");
    let first = client.create_order(&order("OC-0001", "Urbano 350", late)).expect("order by model name");
    assert_eq!(first.name, "order.create");
    let unknown = client.create_order(&order("OC-0003", "Cargo", None));
    assert!(matches!(unknown, Err(ClientError::Invalid(_))), "{unknown:?}");
    let bad_email = client
        .create_order(&OrderCreateInput { email_contacto: Some("compras".into()), ..order("OC-4", "Trail 800", None) });
    assert!(refused_with(&bad_email, RejectionCode::ValueNotAllowed), "{bad_email:?}");

    let ordered = client.orders(&OrderListInput { nivel: Some(1) }).expect("level 1");
    assert_eq!(
        ordered
            .iter()
            .map(|o| (o.numero_orden.as_str(), o.modelo.as_str(), o.estado.as_str(), o.atrasada))
            .collect::<Vec<_>>(),
        [("OC-0001", "Urbano 350", "Pedido", true), ("OC-0002", "Trail 800", "Pedido", false)],
        "the earliest ETA first; the late one marked"
    );
    assert_eq!(client.models().expect("models")[1].pedidos_abiertos, 1);

    let advanced = client
        .advance_order(&OrderAdvanceInput {
            order: "oc-0001".into(),
            nivel: 2,
            estado: Some("Salió de Valencia".into()),
        })
        .expect("advance");
    assert_eq!((advanced.result["applied"].clone(), advanced.result["nivel"].clone()), (json!(true), json!(2)));
    for back in [2, 1] {
        let again = client.advance_order(&OrderAdvanceInput { order: "OC-0001".into(), nivel: back, estado: None });
        let again = again.expect("queued, not refused");
        assert_eq!(again.result["applied"], json!(false), "to {back}");
        assert_eq!(again.result["nivel"], json!(2));
    }
    let shown = client.order("OC-0001").expect("show");
    assert_eq!((shown.nivel, shown.estado.as_str(), shown.atrasada), (2, "Salió de Valencia", true));
    let out_of_range = client.advance_order(&OrderAdvanceInput { order: "OC-0001".into(), nivel: 4, estado: None });
    assert!(refused_with(&out_of_range, RejectionCode::ValueNotAllowed), "{out_of_range:?}");

    client
        .edit_order(&OrderEditInput {
            order: "OC-0001".into(),
            telefono_contacto: Some("611 000 000".into()),
            email_contacto: None,
            link_orden: Some("https://proveedor.example/oc/1".into()),
            fecha_entrega_estimada: Some(later.map(|d| d.to_string()).unwrap_or_default()),
        })
        .expect("edit contact and ETA");
    let edited = client.order("OC-0001").expect("show");
    assert_eq!(
        (edited.telefono_contacto.as_deref(), edited.fecha_entrega_estimada, edited.atrasada),
        (Some("611 000 000"), later, false)
    );
    let cleared = client.edit_order(&OrderEditInput {
        order: "OC-0001".into(),
        telefono_contacto: None,
        email_contacto: None,
        link_orden: None,
        fecha_entrega_estimada: Some(String::new()),
    });
    cleared.expect("clear the ETA");
    assert_eq!(client.order("OC-0001").expect("show").fecha_entrega_estimada, None);
    let bad = client.edit_order(&OrderEditInput {
        order: "OC-0001".into(),
        telefono_contacto: None,
        email_contacto: Some("no es un correo".into()),
        link_orden: None,
        fecha_entrega_estimada: None,
    });
    assert!(refused_with(&bad, RejectionCode::ValueNotAllowed), "{bad:?}");
    let nothing = client.edit_order(&OrderEditInput {
        order: "OC-0001".into(),
        telefono_contacto: None,
        email_contacto: None,
        link_orden: None,
        fecha_entrega_estimada: None,
    });
    assert!(matches!(nothing, Err(ClientError::Invalid(_))));

    client.advance_order(&OrderAdvanceInput { order: "OC-0001".into(), nivel: 3, estado: None }).expect("deliver");
    let delivered = client.orders(&OrderListInput { nivel: Some(3) }).expect("level 3");
    assert_eq!(
        delivered.iter().map(|o| (o.numero_orden.as_str(), o.estado.as_str())).collect::<Vec<_>>(),
        [("OC-0001", "Entregado")]
    );
    assert_eq!(client.orders(&OrderListInput::default()).expect("all").len(), 2);
    assert!(matches!(client.orders(&OrderListInput { nivel: Some(0) }), Err(ClientError::Invalid(_))));
}

/// The server's `nivel_superado` conflict, pulled into the replica, reads as a person would
/// read it: the order by its number, both levels by name, who had moved it.
#[test]
fn an_overtaken_advance_is_explained_in_the_inbox() {
    let (_dir, client) = workstation();
    client
        .create_model(&ModelCreateInput { nombre: "Cargo 500".into(), potencia: "500W".into(), descripcion: None })
        .expect("model");
    let id_orden: Uuid = client.create_order(&order("OC-7", "Cargo 500", None)).expect("order").result["id_orden"]
        .as_str()
        .expect("id")
        .parse()
        .expect("uuid");
    let conflict = Uuid::from_u128(0xc0ff);
    {
        let replica = conn_of(&client);
        seed(
            &replica.conn,
            "conflictos",
            &[
                ("id_conflicto", json!(conflict)),
                ("id_usuario", json!(ME)),
                ("tipo", json!("nivel_superado")),
                ("tabla", json!("order_follow")),
                ("clave", json!(id_orden)),
                ("campo", json!("nivel")),
                ("valor_servidor", json!(3)),
                ("valor_nuevo", json!(2)),
                ("otro_usuario", json!(OTHER)),
                ("detalles", json!({})),
                ("revisado", json!(false)),
                ("created_at", json!("2026-12-03T10:00:00+00:00")),
            ],
        );
    }
    let inbox = client.inbox().expect("inbox");
    let entry = inbox.iter().find(|entry| entry.id == conflict).expect("the conflict");
    assert_eq!((entry.kind, entry.action.as_str()), (InboxKind::NivelSuperado, "order.advance"));
    assert_eq!(entry.what, "Su avance de la orden OC-7 a «En tránsito» no se aplicó.");
    assert_eq!(entry.why, "Óscar Ortega ya la había dejado en «Entregado»: un nivel nunca retrocede.");
    client.dismiss_inbox_entry(&InboxEntryRef { id: conflict, kind: InboxKind::NivelSuperado }).expect("dismiss");
}
