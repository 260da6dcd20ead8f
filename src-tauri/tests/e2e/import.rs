//! Import parts from CSV (issue 12) in the real window against a real server: a Spanish
//! spreadsheet's file with errors is chosen through the file input (every error on its row,
//! the import disabled, nothing queued), then the corrected file is imported from the keyboard
//! (one change per part waits in the queue), synced, and the parts reach a second device
//! through the CLI.

use crate::harness::{run, Cli, Env, BODEGA, TECH};
use fantoccini::Locator;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

/// Chooses `path` in the screen's file input (WebKitWebDriver sets a file input from the path
/// sent as keys); when this driver does not, the file's text goes through the paste area.
async fn choose_file(env: &Env, path: &Path) {
    let input = env.find(Locator::Css("[data-testid=import-file]")).await;
    let sent = input.send_keys(&path.to_string_lossy()).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while sent.is_ok() && Instant::now() < deadline {
        let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default();
        let chosen =
            env.js(&format!("return document.body.innerText.includes({});", json!(format!("Archivo: {name}")))).await;
        if chosen.as_bool() == Some(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("the file input did not take the path ({sent:?}): pasting the file's text");
    let text = std::fs::read_to_string(path).expect("the file");
    env.js(&format!(
        "const area = document.querySelector('[data-testid=import-paste]'); \
         const set = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set; \
         set.call(area, {}); area.dispatchEvent(new Event('input', {{ bubbles: true }})); return true;",
        json!(text)
    ))
    .await;
    env.click_button("Revisar el texto pegado").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_a_csv_with_errors_then_the_corrected_one() {
    let files = tempfile::tempdir().expect("dir");
    let bad = files.path().join("repuestos-proveedor.csv");
    let good = files.path().join("repuestos-corregido.csv");
    run("import", |env: &mut Env| {
        Box::pin(async move {
            env.sign_in_online(BODEGA).await;
            env.wait_indicator("synced").await;
            let existing: String = sqlx::query_scalar("SELECT referencia FROM repuestos ORDER BY referencia LIMIT 1")
                .fetch_one(&env.db.pool)
                .await
                .expect("a part of the demo");
            std::fs::write(
                &bad,
                format!(
                    "\u{feff}Referencia;Nombre;Marca;Fecha estimada;Precio\r\n\
                     E2E-TOR-M5;Tornillo M5 zincado;Acme;31/12/2026;0,15\r\n\
                     E2E-TUE-M5;;Acme;;0,05\r\n\
                     e2e-tor-m5;Tornillo repetido;Acme;;0,15\r\n\
                     {existing};Ya está en el catálogo;;;1,00\r\n\
                     E2E-CBL-01;Cable de freno 1,5 m;Xiaomi;pronto;2,30\r\n"
                ),
            )
            .expect("write the file");
            std::fs::write(
                &good,
                "\u{feff}Referencia;Nombre;Marca;Fecha estimada\r\n\
                 E2E-TOR-M5;Tornillo M5 zincado;Acme;31/12/2026\r\n\
                 E2E-TUE-M5;Tuerca M5;Acme;\r\n\
                 E2E-CBL-01;Cable de freno 1,5 m;Xiaomi;15/01/2027\r\n",
            )
            .expect("write the file");

            // From the inventory, by its link (keyboard reachable: a link in the tab order).
            env.go("/inventory").await;
            let focused = env
                .js("const a = document.querySelector('[data-testid=open-import]'); a.focus(); return document.activeElement === a && a.textContent;")
                .await;
            assert_eq!(focused.as_str(), Some("Importar repuestos (CSV)"));
            env.press(fantoccini::key::Key::Enter).await;
            env.wait_for("the import screen", "return location.hash === '#/import';").await;
            let pending_before = env.js("return document.querySelector('.sync-indicator-wrap')?.textContent ?? '';").await;

            choose_file(env, &bad).await;
            let summary = env.wait_text("[data-testid=import-summary]", "errores").await;
            assert!(summary.contains("El archivo tiene 4 errores en 4 filas."), "{summary}");
            assert!(summary.contains("No se importó nada"), "{summary}");
            let row = |n: u32| format!("[data-testid=import-rows] tr[data-row='{n}']");
            assert!(env.text(&row(2)).await.contains("Correcta"));
            assert!(env.text(&row(3)).await.contains("Falta el nombre."));
            assert!(env.text(&row(4)).await.contains("La referencia E2E-TOR-M5 ya está en la fila 2 del archivo."));
            assert!(env.text(&row(5)).await.contains(&format!("Ya existe un repuesto con la referencia {existing}")));
            assert!(env.text(&row(6)).await.contains("«pronto» no es una fecha"));
            assert!(env.text("[data-testid=import-warnings]").await.contains("«Precio»"));
            let disabled = env.js("return document.querySelector('[data-testid=import-apply]').disabled;").await;
            assert_eq!(disabled.as_bool(), Some(true), "Importar stays disabled while the file has errors");
            env.screenshot("import-errors").await;
            assert_eq!(
                env.js("return document.querySelector('.sync-indicator-wrap')?.textContent ?? '';").await,
                pending_before,
                "nothing was queued"
            );

            // The corrected file: ready, imported from the keyboard.
            choose_file(env, &good).await;
            env.wait_text("[data-testid=import-summary]", "Sin errores: 3 repuestos listos para importar.").await;
            let focused = env
                .js("const b = document.querySelector('[data-testid=import-apply]'); b.focus(); return document.activeElement === b && !b.disabled && b.textContent;")
                .await;
            assert_eq!(focused.as_str(), Some("Importar 3 repuestos"));
            env.press(fantoccini::key::Key::Enter).await;
            let done = env.wait_text("[data-testid=import-done]", "Importados").await;
            assert!(done.contains("Importados 3 repuestos."), "{done}");
            env.wait_pending(3).await;
            env.screenshot("import-done").await;

            // Synced, each part.create on its own; a second device sees them.
            env.press(fantoccini::key::Key::F9).await;
            env.wait_indicator("synced").await;
            let on_server: Vec<(String, String, Option<chrono::NaiveDate>)> = sqlx::query_as(
                "SELECT referencia, nombre, fecha_estimada FROM repuestos WHERE referencia LIKE 'E2E-%' ORDER BY referencia",
            )
            .fetch_all(&env.db.pool)
            .await
            .expect("the parts on the server");
            assert_eq!(
                on_server,
                [
                    ("E2E-CBL-01".to_owned(), "Cable de freno 1,5 m".to_owned(), chrono::NaiveDate::from_ymd_opt(2027, 1, 15)),
                    ("E2E-TOR-M5".to_owned(), "Tornillo M5 zincado".to_owned(), chrono::NaiveDate::from_ymd_opt(2026, 12, 31)),
                    ("E2E-TUE-M5".to_owned(), "Tuerca M5".to_owned(), None),
                ]
            );
            let cli = Cli::signed_in(&env.server.url, TECH);
            let shown = cli.ok(&["parts", "show", "e2e-cbl-01"], None);
            assert_eq!((shown["nombre"].as_str(), shown["marca"].as_str()), (Some("Cable de freno 1,5 m"), Some("Xiaomi")), "{shown}");
        })
    })
    .await;
}
