//! Scooter models and orders in the real window: the warehouse supervisor creates a model and
//! an order of it from the keyboard-first forms, moves the order to "in transit"; the CLI on
//! a second device (the administrator's) sees it at that level and adds a late order, which
//! reaches the window marked late; the server has both.

use crate::harness::{run, Cli, Env, ADMIN, BODEGA};
use chrono::{Days, Local};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_and_an_order_created_in_the_window_advance_and_reach_a_second_device() {
    run("orders_create_advance", |env: &mut Env| {
        Box::pin(async move {
            env.sign_in_online(BODEGA).await;
            env.wait_indicator("synced").await;
            env.go("/orders").await;
            env.wait_text("#orders-title", "Órdenes de scooters").await;

            // A model, from the form under the models list.
            env.type_into("#model-nombre", "Ciudad 500").await;
            env.type_into("#model-potencia", "500W").await;
            env.type_into("#model-descripcion", "Patinete urbano con batería extraíble").await;
            env.click_button("Crear modelo").await;
            env.wait_text("table.model-list", "Ciudad 500").await;

            // An order of it.
            env.click_in_page("a[href='#/orders/new']").await;
            env.wait_text("#order-new-title", "Nueva orden de scooter").await;
            env.type_into("#order-numero", "OC-2026-0200").await;
            env.find(fantoccini::Locator::Css("#order-model"))
                .await
                .select_by_label("Ciudad 500 · 500W")
                .await
                .expect("the model");
            env.type_into("#order-telefono", "600 123 456").await;
            env.type_into("#order-email", "compras@bodega.test").await;
            env.screenshot("order-new").await;
            env.click_in_page(".form--order button[type=submit]").await;
            env.wait_text(".notice--success", "Orden OC-2026-0200 creada.").await;
            env.wait_text("tr[data-order='OC-2026-0200']", "Pedido").await;

            // Forward to "in transit" (the row's first, primary step).
            env.click_in_page("tr[data-order='OC-2026-0200'] button.button--primary").await;
            env.wait_text(".notice--success", "Orden OC-2026-0200: ahora «En tránsito».").await;
            env.wait_text("tr[data-order='OC-2026-0200']", "En tránsito").await;
            env.wait_pending(0).await;

            // A second device sees it in transit, and orders one more that is already late.
            let admin = Cli::signed_in(&env.server.url, ADMIN);
            let shown = admin.ok(&["orders", "show", "OC-2026-0200"], None);
            assert_eq!((shown["nivel"].clone(), shown["modelo"].clone()), (json!(2), json!("Ciudad 500")), "{shown}");
            assert_eq!(shown["telefono_contacto"], json!("600 123 456"), "{shown}");
            let late = Local::now().date_naive().checked_sub_days(Days::new(4)).expect("a date").to_string();
            admin.ok(&["orders", "create", "--number", "OC-2026-0150", "--model", "Ciudad 500", "--eta", &late], None);
            admin.ok(&["sync"], None);

            // The window gets it from the server, marked late.
            env.wait_text("tr[data-order='OC-2026-0150']", "Atrasada").await;
            env.screenshot("orders").await;

            let on_server: Vec<(String, i32, String)> = sqlx::query_as(
                "SELECT o.numero_orden, o.nivel, t.nombre FROM order_follow o JOIN scooter_types t ON t.id_tipo = o.id_tipo_scooter \
                  WHERE o.numero_orden IN ('OC-2026-0200', 'OC-2026-0150') ORDER BY o.numero_orden",
            )
            .fetch_all(&env.db.pool)
            .await
            .expect("the orders on the server");
            assert_eq!(
                on_server,
                [("OC-2026-0150".to_owned(), 1, "Ciudad 500".to_owned()), ("OC-2026-0200".to_owned(), 2, "Ciudad 500".to_owned())]
            );
        })
    })
    .await;
}
