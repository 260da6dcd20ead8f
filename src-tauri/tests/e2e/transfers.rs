//! A transfer from the cart to its reception: the technician asks for two parts in the window,
//! the warehouse (the `taller` CLI as a second device) picks and dispatches one line short, the
//! window receives one line short again, and the warehouse's replica sees the request received
//! with the difference on that line.

use crate::harness::{run, Cli, Env, BODEGA, TALLER_NORTE, TECH};
use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::{json, Value};

const BODEGA_CENTRAL: &str = "Bodega Central";

/// Two parts the warehouse holds at least 5 of: their references.
async fn two_parts_in_the_warehouse(env: &Env) -> (String, String) {
    let found: Vec<String> = sqlx::query_scalar(
        "SELECT r.referencia FROM inventario i JOIN repuestos r ON r.id_repuesto = i.id_repuesto \
           JOIN localizacion l ON l.id_localizacion = i.id_localizacion \
          WHERE l.nombre = $1 AND i.stock_actual >= 5 ORDER BY r.referencia LIMIT 2",
    )
    .bind(BODEGA_CENTRAL)
    .fetch_all(&env.db.pool)
    .await
    .expect("parts in the warehouse");
    assert_eq!(found.len(), 2, "the demo warehouse holds parts");
    (found[0].clone(), found[1].clone())
}

/// The id of the input of the line whose reference is `referencia`, on the request screen.
async fn line_input(env: &Env, referencia: &str) -> String {
    let script = format!(
        "const row = [...document.querySelectorAll('table.lines-table tbody tr')].find(r => r.querySelector('th')?.textContent === {r}); const input = row && row.querySelector('input.qty-input'); return input ? input.id : null;",
        r = json!(referencia)
    );
    env.wait_for(&format!("the quantity field of {referencia}"), &script).await.as_str().unwrap_or_default().to_owned()
}

fn line_of<'a>(shown: &'a Value, referencia: &str) -> &'a Value {
    shown["lineas"]
        .as_array()
        .and_then(|lines| lines.iter().find(|line| line["referencia"] == referencia))
        .unwrap_or_else(|| panic!("no line {referencia} in {shown}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_is_asked_in_the_window_dispatched_short_and_received_short() {
    run("transfer_with_differences", |env: &mut Env| {
        Box::pin(async move {
            env.sign_in_online(TECH).await;
            env.wait_indicator("synced").await;
            let (first, second) = two_parts_in_the_warehouse(env).await;

            // The cart: two parts for Taller Norte, typed (a scanner types the same keys).
            env.go("/transfers").await;
            env.wait_text("#transfers-title", "Traslados").await;
            env.wait_text(".empty", "El carrito está vacío").await;
            for (referencia, cantidad) in [(&first, "3"), (&second, "2")] {
                env.type_into("#cart-reference", referencia).await;
                env.type_into("#cart-cantidad", cantidad).await;
                env.click_button("Añadir al carrito").await;
                env.wait_text(".cart-group tbody", referencia).await;
            }
            env.wait_text(".cart-group h3", &format!("Para {TALLER_NORTE}")).await;
            env.find(Locator::Css(".cart-group select"))
                .await
                .select_by_label(BODEGA_CENTRAL)
                .await
                .expect("choose the warehouse as the origin");
            env.screenshot("transfer-cart").await;
            // Creating the request opens it (a route change: clicked from inside the page).
            env.click_in_page(".cart-group .form__actions .button--primary").await;
            env.wait_text("#request-title", &format!("{BODEGA_CENTRAL} → {TALLER_NORTE}")).await;
            env.wait_text(".steps__item--current", "Pendiente").await;
            let id = env.js("return location.hash.split('/').pop();").await.as_str().unwrap_or_default().to_owned();
            env.wait_text(".notice--info", "El siguiente paso lo hace la sede de origen").await;
            env.wait_pending(0).await;

            // The warehouse picks and dispatches one short of the first line.
            let warehouse = Cli::signed_in(&env.server.url, BODEGA);
            let pending = warehouse.ok(&["request", "list", "--state", "pendiente"], None);
            assert!(
                pending.as_array().is_some_and(|rows| rows.iter().any(|row| row["id_solicitud"] == id.as_str())),
                "the warehouse sees the request: {pending}"
            );
            warehouse.ok(&["request", "pick", &id], None);
            warehouse.ok(&["request", "dispatch", &id, "--line", &format!("{first}:2"), "--guide", "GT-E2E-1"], None);
            warehouse.ok(&["sync"], None);

            // The window syncs (F9) and shows the request dispatched, ready to receive.
            env.press(Key::F9).await;
            env.wait_text(".steps__item--current", "Despachada").await;
            env.wait_text(".facts", "GT-E2E-1").await;
            let first_field = line_input(env, &first).await;
            let shown = env.find(Locator::Css(&format!("#{first_field}"))).await.prop("value").await.ok().flatten();
            assert_eq!(shown.as_deref(), Some("2"), "a reception starts from what was dispatched");
            let second_field = line_input(env, &second).await;
            env.type_into(&format!("#{second_field}"), "1").await;
            env.wait_text(".notice--warning", "1 línea llega distinta de lo despachado").await;
            env.wait_text(".notice--warning li", &format!("{second}: se esperaban 2, se registran 1")).await;
            env.screenshot("transfer-receive").await;
            env.click_button("Registrar recepción").await;
            env.wait_text(".steps__item--current", "Recibida").await;
            env.wait_text("table.lines-table .diff-mark", "Diferencia").await;
            env.wait_pending(0).await;
            // The first line went one short of what was asked: marked in its dispatched cell.
            env.wait_for(
                "the dispatched-short mark",
                "const n = document.querySelector('table.lines-table .diff-note'); return n && /\\([−-]1\\)/.test(n.textContent);",
            )
            .await;
            env.screenshot("transfer-received").await;
            env.click_in_page(".back-link").await;
            env.wait_text("table a[href]", &format!("{BODEGA_CENTRAL} → {TALLER_NORTE}")).await;
            env.screenshot("transfers").await;

            // The warehouse's replica: received, the first line as dispatched (2 of 3 asked),
            // the second one short (1 of 2 dispatched), each difference flagged.
            warehouse.ok(&["sync"], None);
            let detail = warehouse.ok(&["request", "show", &id], None);
            assert_eq!(detail["estado"], "RECIBIDO", "{detail}");
            let one = line_of(&detail, &first);
            assert_eq!(
                (
                    &one["cantidad_solicitada"],
                    &one["cantidad_despachada"],
                    &one["cantidad_recibida"],
                    &one["discrepancia"]
                ),
                (&json!(3), &json!(2), &json!(2), &json!(false)),
                "{detail}"
            );
            let two = line_of(&detail, &second);
            assert_eq!(
                (&two["cantidad_despachada"], &two["cantidad_recibida"], &two["discrepancia"]),
                (&json!(2), &json!(1), &json!(true)),
                "{detail}"
            );
            let steps: Vec<&str> = detail["trazabilidad"]
                .as_array()
                .expect("timeline")
                .iter()
                .filter_map(|t| t["estado_nuevo"].as_str())
                .collect();
            assert_eq!(steps, ["PENDIENTE", "ALISTAMIENTO", "DESPACHADO", "RECIBIDO"], "{detail}");
        })
    })
    .await;
}

/// The warehouse dispatches a request in the window while its link is down; meanwhile the
/// technician who asked cancels it (the CLI, online). Back online, the dispatch is refused:
/// the request shows cancelled, and the inbox says who cancelled it and that it cannot go from
/// cancelled to dispatched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatch_made_offline_after_a_cancel_elsewhere_is_refused_and_explained() {
    run("transfer_cancelled_meanwhile", |env: &mut Env| {
        Box::pin(async move {
            let (referencia, _) = two_parts_in_the_warehouse(env).await;
            let technician = Cli::signed_in(&env.server.url, TECH);
            technician.ok(&["cart", "add", "--location", TALLER_NORTE, "--ref", &referencia, "--qty", "2"], None);
            technician.ok(&["request", "create", "--from", BODEGA_CENTRAL, "--to", TALLER_NORTE], None);
            technician.ok(&["sync"], None);
            let listed = technician.ok(&["request", "list", "--state", "pendiente"], None);
            let id = listed
                .as_array()
                .and_then(|rows| rows.first())
                .and_then(|row| row["id_solicitud"].as_str())
                .unwrap_or_else(|| panic!("the technician's request: {listed}"))
                .to_owned();

            env.sign_in_online(BODEGA).await;
            env.wait_indicator("synced").await;
            env.go("/transfers").await;
            env.wait_text("table a[href]", &format!("{BODEGA_CENTRAL} → {TALLER_NORTE}")).await;
            env.click_in_page(&format!("a[href='#/transfers/{id}']")).await;
            env.wait_text(".steps__item--current", "Pendiente").await;
            env.click_button("Iniciar alistamiento").await;
            env.wait_text(".steps__item--current", "En alistamiento").await;
            env.wait_pending(0).await;

            // The warehouse's link goes down; it dispatches anyway (a local action).
            env.net.off();
            env.click_button("Despachar").await;
            env.wait_text(".steps__item--current", "Despachada").await;
            env.wait_indicator("offline").await;
            env.wait_pending(1).await;

            // Meanwhile the technician cancels it online.
            technician.ok(&["request", "cancel", &id, "--comment", "Ya no hace falta"], None);
            technician.ok(&["sync"], None);

            env.net.on();
            env.press(Key::F9).await;
            env.wait_pending(0).await;
            env.wait_text(".steps__item--current", "Cancelada").await;
            let estado: String = sqlx::query_scalar("SELECT estado FROM solicitudes WHERE id_solicitud = $1::uuid")
                .bind(&id)
                .fetch_one(&env.db.pool)
                .await
                .expect("the request on the server");
            assert_eq!(estado, "CANCELADO", "the cancel stands on the server");
            env.wait_text("nav a[href='#/inbox'] .count-badge", "1").await;
            env.go("/inbox").await;
            let card = env.wait_text("article[data-kind=rechazo]", "Despacho de solicitud").await;
            assert!(card.contains("invalid_transition"), "the code: {card}");
            assert!(card.contains("Carla Técnica"), "who cancelled it: {card}");
            env.screenshot("transfer-refused").await;
        })
    })
    .await;
}
