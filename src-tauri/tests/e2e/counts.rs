//! A physical count in the window: the warehouse keeper (who may edit the inventory of Bodega
//! Central) starts a count there, scans one part twice (each scan adds one unit), types the
//! units and the loose small parts of another (the difference shows while typed), reads the
//! summary of the adjustments before closing, closes, and the server's stock and ledger show
//! both adjustments. A second count meets a late change: an adjustment the administrator's
//! workstation made before the part was counted, pushed only after the close, which the
//! count absorbs and the window explains on the line.

use crate::harness::{run, Cli, Env, ADMIN, BODEGA};
use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::json;
use std::time::Duration;

const BODEGA_CENTRAL: &str = "Bodega Central";
const PART_FIELD: &str = ".count-form input[role=combobox]";

/// Two parts the warehouse holds at least 5 of: (referencia, stock_actual) on the server.
async fn two_parts(env: &Env) -> [(String, i32); 2] {
    let found: Vec<(String, i32)> = sqlx::query_as(
        "SELECT r.referencia, i.stock_actual FROM inventario i JOIN repuestos r ON r.id_repuesto = i.id_repuesto \
           JOIN localizacion l ON l.id_localizacion = i.id_localizacion \
          WHERE l.nombre = $1 AND i.stock_actual >= 5 ORDER BY r.referencia LIMIT 2",
    )
    .bind(BODEGA_CENTRAL)
    .fetch_all(&env.db.pool)
    .await
    .expect("parts in the warehouse");
    assert_eq!(found.len(), 2, "the demo warehouse holds parts");
    [found[0].clone(), found[1].clone()]
}

/// The server's stock of `referencia` at the warehouse.
async fn server_stock(env: &Env, referencia: &str) -> i32 {
    sqlx::query_scalar(
        "SELECT i.stock_actual FROM inventario i JOIN repuestos r ON r.id_repuesto = i.id_repuesto \
           JOIN localizacion l ON l.id_localizacion = i.id_localizacion WHERE l.nombre = $1 AND r.referencia = $2",
    )
    .bind(BODEGA_CENTRAL)
    .bind(referencia)
    .fetch_one(&env.db.pool)
    .await
    .expect("the item on the server")
}

/// The server's `CONTEO_FISICO` rows of this count for `referencia`: (anterior, nueva, diferencia, absorbido).
async fn count_rows(env: &Env, id_conteo: &str, referencia: &str) -> Vec<(i32, i32, i32, bool)> {
    sqlx::query_as(
        "SELECT g.cantidad_anterior, g.cantidad_nueva, g.diferencia, COALESCE((g.detalles->>'absorbido')::boolean, false) \
           FROM logs_inventario g JOIN inventario i ON i.id_inventario = g.id_inventario \
           JOIN repuestos r ON r.id_repuesto = i.id_repuesto \
          WHERE g.tipo_operacion = 'CONTEO_FISICO' AND g.detalles->>'id_conteo' = $1 AND r.referencia = $2",
    )
    .bind(id_conteo)
    .bind(referencia)
    .fetch_all(&env.db.pool)
    .await
    .expect("the count's ledger rows")
}

/// A scan: the reference's keys and Enter into the part field within a millisecond or two,
/// as a keyboard wedge sends them. WebDriver's own keys can arrive tens of milliseconds apart
/// on a loaded machine, which the screen rightly takes for a person typing (seen in CI), so
/// the burst is dispatched from inside the page, one keydown per key, in one go.
async fn scan(env: &Env, referencia: &str) {
    env.find(Locator::Css(PART_FIELD)).await;
    let script = format!(
        "const field = document.querySelector({css}); field.focus(); for (const key of [...{code}, 'Enter']) {{ field.dispatchEvent(new KeyboardEvent('keydown', {{ key, bubbles: true, cancelable: true }})); }} return true;",
        css = json!(PART_FIELD),
        code = json!(referencia)
    );
    env.js(&script).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_count_with_a_scan_and_a_typed_quantity_is_closed_and_reaches_the_server() {
    run("count_scan_typed_close", |env: &mut Env| {
        Box::pin(async move {
            env.sign_in_online(BODEGA).await;
            env.wait_indicator("synced").await;
            let [(scanned, scanned_stock), (typed, typed_stock)] = two_parts(env).await;

            // Start a count of the warehouse: it opens.
            env.go("/counts").await;
            env.wait_text("#counts-title", "Conteos").await;
            let chosen = env.js("return document.querySelector('#count-location option:checked')?.textContent;").await;
            assert_eq!(chosen, json!(BODEGA_CENTRAL), "the keeper's location is offered");
            env.type_into("#count-note", "Estantería A, prueba").await;
            env.click_in_page(".form--count-start button[type=submit]").await;
            env.wait_text("#count-title", &format!("Conteo de {BODEGA_CENTRAL}")).await;
            env.wait_text("#count-title .badge", "Abierto").await;
            let id = env.js("return location.hash.split('/').pop();").await.as_str().unwrap_or_default().to_owned();
            assert_eq!(id.len(), 36, "the count's id in the route: {id}");

            // Two scans of the same part: 1, then 2.
            scan(env, &scanned).await;
            env.wait_text(".count-last", &format!("Leído {scanned}: van 1 contadas")).await;
            scan(env, &scanned).await;
            env.wait_text(".count-last", &format!("Leído {scanned}: van 2 contadas")).await;
            env.wait_text("table.count-lines tbody", &scanned).await;

            // The other part typed: its reference, Enter (a person's pace), units and PQ.
            env.type_into(PART_FIELD, &typed).await;
            // A person presses Enter well after the last key (a scanner's Enter follows at once).
            tokio::time::sleep(Duration::from_millis(300)).await;
            env.press(Key::Enter).await;
            env.wait_text(".part-summary", &typed).await;
            env.wait_for("the units field focused", "return document.activeElement?.id === 'count-csa';").await;
            env.type_into("#count-csa", &(typed_stock - 1).to_string()).await;
            env.type_into("#count-pq", "1").await;
            // (system + pq) - counted = 2 missing; the stock will be counted - pq.
            env.wait_text(".count-preview", "Faltan 2").await;
            env.wait_text(".count-preview", &format!("Quedará en stock {}", typed_stock - 2)).await;
            env.screenshot("count").await;
            env.press(Key::Enter).await;
            env.wait_text(".count-last", &format!("Registrado {typed}: {} contadas", typed_stock - 1)).await;
            env.wait_for(
                "both lines listed",
                &format!(
                    "const rows = [...document.querySelectorAll('table.count-lines tbody tr')].map(r => r.dataset.referencia); return rows.includes({}) && rows.includes({});",
                    json!(scanned),
                    json!(typed)
                ),
            )
            .await;

            // The summary first: two adjustments, what each leaves.
            env.click_button("Cerrar conteo").await;
            env.wait_text(".panel--confirm", &format!("Cerrar escribe 2 ajustes en el stock de {BODEGA_CENTRAL}")).await;
            let cells = env
                .wait_for(
                    "the scanned part in the summary",
                    &format!(
                        "const row = [...document.querySelectorAll('.close-summary tbody tr')].find(r => r.querySelector('th')?.textContent === {}); return row ? [...row.querySelectorAll('td')].slice(1).map(c => c.textContent.replace('\\u2212', '-')) : null;",
                        json!(scanned)
                    ),
                )
                .await;
            assert_eq!(cells, json!([scanned_stock.to_string(), "2", format!("-{}", scanned_stock - 2)]), "{scanned}: stock now, after, change");
            env.screenshot("count-close").await;
            env.click_button("Cerrar y ajustar el stock").await;
            env.wait_text("#count-title .badge", "Cerrado").await;
            env.wait_text(".notice--success", "Líneas ajustadas: 2. Absorbidas: 0.").await;
            env.wait_pending(0).await;
            // Each line shows the adjustment its close wrote.
            env.wait_for(
                "the adjustments on the lines",
                &format!(
                    "const cell = (ref) => document.querySelector(`table.count-lines tr[data-referencia=\"${{ref}}\"] .count-lines__ajuste`)?.textContent ?? ''; return cell({s}).includes('{scanned_stock} → 2') && cell({t}).includes('{typed_stock} → {typed_after}');",
                    s = json!(scanned),
                    t = json!(typed),
                    typed_after = typed_stock - 2,
                ),
            )
            .await;
            env.screenshot("count-closed").await;
            env.click_in_page(".back-link").await;
            env.wait_text("#counts-title", "Conteos").await;
            env.click_button("Cerrados").await;
            env.wait_text("table.count-list", BODEGA_CENTRAL).await;
            env.screenshot("counts").await;

            // The server: the count closed, both items fixed, one ledger row each.
            let closed: i64 = sqlx::query_scalar("SELECT count(*) FROM conteos_cerrados WHERE id_conteo = $1::uuid")
                .bind(&id)
                .fetch_one(&env.db.pool)
                .await
                .expect("conteos_cerrados");
            assert_eq!(closed, 1, "the count is closed on the server");
            assert_eq!(server_stock(env, &scanned).await, 2, "{scanned}: two scans");
            assert_eq!(server_stock(env, &typed).await, typed_stock - 2, "{typed}: counted less PQ");
            assert_eq!(count_rows(env, &id, &scanned).await, vec![(scanned_stock, 2, 2 - scanned_stock, false)]);
            assert_eq!(count_rows(env, &id, &typed).await, vec![(typed_stock, typed_stock - 2, -2, false)]);
            let lines: Vec<(String, i32, i32)> = sqlx::query_as(
                "SELECT r.referencia, d.cantidad_csa, d.cantidad_pq FROM detalles_conteo d \
                   JOIN repuestos r ON r.id_repuesto = d.id_repuesto WHERE d.id_conteo = $1::uuid ORDER BY r.referencia",
            )
            .bind(&id)
            .fetch_all(&env.db.pool)
            .await
            .expect("the count's lines");
            let mut expected = vec![(scanned.clone(), 2, 0), (typed.clone(), typed_stock - 1, 1)];
            expected.sort();
            assert_eq!(lines, expected, "the lines as counted");
        })
    })
    .await;
}

/// The administrator's workstation takes 2 units of a part out of the warehouse with a manual
/// adjustment (a breakage) and does not sync; the keeper then counts that shelf in the window,
/// where 2 units fewer are already on it, and closes. When the workstation syncs, its
/// adjustment reaches the server dated before the line was counted: it is recorded, absorbed,
/// the stock stays what was counted, and the closed count in the window names the late change
/// on its line (who, what, why) with a notice above the lines.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_before_the_count_that_arrives_after_it_is_shown_absorbed() {
    run("count_absorbs_a_late_change", |env: &mut Env| {
        Box::pin(async move {
            let [(part, stock), _] = two_parts(env).await;
            let admin = Cli::signed_in(&env.server.url, ADMIN);
            let adjusted =
                admin.ok(&["stock", "adjust", "--location", BODEGA_CENTRAL, "--ref", &part, "--delta", "-2", "--reason", "rotura"], None);
            assert_eq!(adjusted["pending"].as_i64(), Some(1), "queued on the workstation, not sent: {adjusted}");
            let id_mutacion = adjusted["id"].as_str().expect("the queued mutation's id").to_owned();
            assert_eq!(server_stock(env, &part).await, stock, "the server has not heard of it");

            env.sign_in_online(BODEGA).await;
            env.wait_indicator("synced").await;
            env.go("/counts").await;
            env.wait_text("#counts-title", "Conteos").await;
            env.click_in_page(".form--count-start button[type=submit]").await;
            env.wait_text("#count-title .badge", "Abierto").await;
            let id = env.js("return location.hash.split('/').pop();").await.as_str().unwrap_or_default().to_owned();
            // The shelf holds 2 fewer than the system says: the broken ones are gone.
            env.type_into(PART_FIELD, &part).await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            env.press(Key::Enter).await;
            env.wait_for("the units field focused", "return document.activeElement?.id === 'count-csa';").await;
            env.type_into("#count-csa", &(stock - 2).to_string()).await;
            env.wait_text(".count-preview", "Faltan 2").await;
            env.press(Key::Enter).await;
            env.wait_text(".count-last", &format!("Registrado {part}: {} contadas", stock - 2)).await;
            env.click_button("Cerrar conteo").await;
            env.click_button("Cerrar y ajustar el stock").await;
            env.wait_text("#count-title .badge", "Cerrado").await;
            env.wait_pending(0).await;
            assert_eq!(server_stock(env, &part).await, stock - 2, "the count fixed what is on the shelf");
            assert!(
                env.js("return document.querySelector('[data-testid=count-absorbed]') === null;").await == json!(true),
                "nothing absorbed yet"
            );

            // The workstation comes back and pushes its adjustment, dated before the count.
            admin.ok(&["sync"], None);
            let late: Vec<(i32, bool, Option<String>)> = sqlx::query_as(
                "SELECT g.diferencia, COALESCE((g.detalles->>'absorbido')::boolean, false), g.detalles->>'absorbido_por_conteo' \
                   FROM logs_inventario g JOIN inventario i ON i.id_inventario = g.id_inventario \
                   JOIN repuestos r ON r.id_repuesto = i.id_repuesto JOIN localizacion l ON l.id_localizacion = i.id_localizacion \
                  WHERE g.tipo_operacion = 'AJUSTE_MANUAL' AND r.referencia = $1 AND l.nombre = $2 \
                    AND g.detalles->>'id_mutacion' = $3",
            )
            .bind(&part)
            .bind(BODEGA_CENTRAL)
            .bind(&id_mutacion)
            .fetch_all(&env.db.pool)
            .await
            .expect("the adjustment's ledger row");
            assert_eq!(late, vec![(0, true, Some(id.clone()))], "recorded, absorbed by this count, moving nothing");
            assert_eq!(server_stock(env, &part).await, stock - 2, "the stock is still what was counted");

            // The window hears of it (the live channel) and explains it on the closed count.
            env.wait_text("[data-testid=count-absorbed]", "Este conteo absorbió 1 movimiento que llegó tarde (1 línea).").await;
            let cell = env
                .wait_for(
                    "the late change on its line",
                    &format!(
                        "const row = [...document.querySelectorAll('table.count-lines tbody tr')].find(r => r.dataset.referencia === {r}); return row?.querySelector('.absorbed-changes')?.textContent ?? null;",
                        r = json!(part)
                    ),
                )
                .await;
            let cell = cell.as_str().unwrap_or_default().replace('\u{2212}', "-");
            assert!(cell.contains("Absorbido") && cell.contains("-2 Ajuste manual (rotura)"), "{cell}");
            assert!(cell.contains("antes de contarlo") && cell.contains("ya incluido en lo contado"), "{cell}");
            env.screenshot("count-absorbed").await;
        })
    })
    .await;
}
