//! Replenishment from a low-stock workshop: Taller Norte's technician, who also works at Bodega
//! Central (the administrator assigned it: her replica holds the warehouse's stock, decision
//! 0020), opens "Proponer reposición" on the cart; the proposal shows one part capped by what
//! the warehouse holds and one reduced by a request already pending; she edits one line, puts
//! the proposal into the cart and creates the request; the warehouse's device (the CLI) sees it.

use crate::harness::{run, Cli, Env, ADMIN, BODEGA, TALLER_NORTE, TECH};
use fantoccini::Locator;
use serde_json::{json, Value};

const BODEGA_CENTRAL: &str = "Bodega Central";

/// The quantity field of the proposal line of `referencia`: its id.
async fn proposal_field(env: &Env, referencia: &str) -> String {
    let script = format!(
        "const input = document.querySelector('tr[data-referencia=' + JSON.stringify({r}) + '] input.qty-input'); return input ? input.id : null;",
        r = json!(referencia)
    );
    env.wait_for(&format!("the proposal line of {referencia}"), &script).await.as_str().unwrap_or_default().to_owned()
}

async fn field_value(env: &Env, id: &str) -> String {
    env.js(&format!("return document.getElementById({}).value;", json!(id)))
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Two parts of Taller Norte the warehouse holds, the second at least 10: their references and
/// stocks (workshop, warehouse).
async fn two_parts(env: &Env) -> Vec<(String, i32, i32)> {
    sqlx::query_as(
        "SELECT r.referencia, n.stock_actual, b.stock_actual FROM repuestos r \
           JOIN inventario n ON n.id_repuesto = r.id_repuesto \
           JOIN localizacion ln ON ln.id_localizacion = n.id_localizacion AND ln.nombre = $1 \
           JOIN inventario b ON b.id_repuesto = r.id_repuesto \
           JOIN localizacion lb ON lb.id_localizacion = b.id_localizacion AND lb.nombre = $2 \
          WHERE b.stock_actual BETWEEN 1 AND 30 ORDER BY b.stock_actual >= 10, r.referencia LIMIT 1",
    )
    .bind(TALLER_NORTE)
    .bind(BODEGA_CENTRAL)
    .fetch_all(&env.db.pool)
    .await
    .expect("a part")
    .into_iter()
    .chain(
        sqlx::query_as::<_, (String, i32, i32)>(
            "SELECT r.referencia, n.stock_actual, b.stock_actual FROM repuestos r \
               JOIN inventario n ON n.id_repuesto = r.id_repuesto \
               JOIN localizacion ln ON ln.id_localizacion = n.id_localizacion AND ln.nombre = $1 \
               JOIN inventario b ON b.id_repuesto = r.id_repuesto \
               JOIN localizacion lb ON lb.id_localizacion = b.id_localizacion AND lb.nombre = $2 \
              WHERE b.stock_actual >= 10 ORDER BY r.referencia DESC LIMIT 1",
        )
        .bind(TALLER_NORTE)
        .bind(BODEGA_CENTRAL)
        .fetch_all(&env.db.pool)
        .await
        .expect("a part"),
    )
    .collect()
}

fn line_of<'a>(shown: &'a Value, referencia: &str) -> &'a Value {
    shown["lineas"]
        .as_array()
        .and_then(|lines| lines.iter().find(|line| line["referencia"] == referencia))
        .unwrap_or_else(|| panic!("no line {referencia} in {shown}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_low_stock_workshop_is_replenished_from_the_warehouse_in_the_window() {
    run("replenishment", |env: &mut Env| {
        Box::pin(async move {
            let parts = two_parts(env).await;
            assert_eq!(parts.len(), 2, "the demo data has the parts: {parts:?}");
            let (capped, capped_stock, capped_held) = parts[0].clone();
            let (transit, transit_stock, _) = parts[1].clone();
            assert_ne!(capped, transit);

            // The administrator: the technician also works at the warehouse; two minimums
            // above the workshop's stock; a pending request of 2 of the second part.
            let admin = Cli::signed_in(&env.server.url, ADMIN);
            admin.ok(&["user", "assign", "--email", TECH, "--location", BODEGA_CENTRAL], None);
            let capped_min = (capped_stock + capped_held + 3).to_string();
            admin.ok(&["stock", "set", "--location", TALLER_NORTE, "--ref", &capped, "--min", &capped_min], None);
            let transit_min = (transit_stock + 6).to_string();
            admin.ok(&["stock", "set", "--location", TALLER_NORTE, "--ref", &transit, "--min", &transit_min], None);
            admin.ok(&["cart", "add", "--location", TALLER_NORTE, "--ref", &transit, "--qty", "2"], None);
            admin.ok(&["request", "create", "--from", BODEGA_CENTRAL, "--to", TALLER_NORTE], None);
            admin.ok(&["sync"], None);

            env.sign_in_online(TECH).await;
            env.wait_indicator("synced").await;
            env.go("/transfers").await;
            env.wait_text("#transfers-title", "Traslados").await;
            // She works at two locations now: the cart is for the workshop.
            env.find(Locator::Css("#cart-destination"))
                .await
                .select_by_label(TALLER_NORTE)
                .await
                .expect("choose the workshop as the destination");
            env.click_button("Proponer reposición").await;
            env.wait_text("#replenish-title", &format!("Reposición para {TALLER_NORTE}")).await;
            let origin = env.js("return document.querySelector('#replenish-origin option:checked').textContent;").await;
            assert!(
                origin.as_str().is_some_and(|o| o.starts_with(BODEGA_CENTRAL)),
                "the warehouse by default: {origin}"
            );

            // Capped by the warehouse's stock; reduced by the request in transit.
            let capped_field = proposal_field(env, &capped).await;
            assert_eq!(field_value(env, &capped_field).await, capped_held.to_string(), "capped by the warehouse");
            let why = env.text(&format!("#{capped_field}-why")).await;
            assert!(why.contains(&format!("El origen solo puede dar {capped_held}")), "{why}");
            let transit_field = proposal_field(env, &transit).await;
            assert_eq!(field_value(env, &transit_field).await, "4", "6 missing less 2 on their way");
            let why = env.text(&format!("#{transit_field}-why")).await;
            assert!(why.contains("en camino 2"), "{why}");
            let proposed = env.js("return document.querySelectorAll('.replenish-table tbody tr').length;").await;
            let proposed = proposed.as_u64().expect("rows");
            env.js("document.getElementById('replenish-title').scrollIntoView(); return true;").await;
            env.screenshot("replenishment").await;

            // She asks for 5 of the second part instead, then puts the proposal into the cart.
            env.type_into(&format!("#{transit_field}"), "5").await;
            env.click_in_page(".replenish .form__actions .button--primary").await;
            env.wait_text(".panel .notice--info", "Propuesta en el carrito").await;
            env.wait_text(".cart-group h3", &format!("Para {TALLER_NORTE}")).await;
            let chosen =
                env.js("return document.querySelector('.cart-group select option:checked').textContent;").await;
            assert_eq!(chosen.as_str(), Some(BODEGA_CENTRAL), "the proposal's origin is the request's");
            env.click_in_page(".cart-group .form__actions .button--primary").await;
            env.wait_text("#request-title", &format!("{BODEGA_CENTRAL} → {TALLER_NORTE}")).await;
            let id = env.js("return location.hash.split('/').pop();").await.as_str().unwrap_or_default().to_owned();
            env.wait_pending(0).await;

            // The warehouse's device sees the request with the quantities the window sent.
            let warehouse = Cli::signed_in(&env.server.url, BODEGA);
            let detail = warehouse.ok(&["request", "show", &id], None);
            assert_eq!(detail["estado"], "PENDIENTE", "{detail}");
            assert_eq!(
                detail["lineas"].as_array().map(Vec::len),
                Some(proposed as usize),
                "every proposed line: {detail}"
            );
            assert_eq!(line_of(&detail, &capped)["cantidad_solicitada"], json!(capped_held), "{detail}");
            assert_eq!(line_of(&detail, &transit)["cantidad_solicitada"], json!(5), "{detail}");
        })
    })
    .await;
}
