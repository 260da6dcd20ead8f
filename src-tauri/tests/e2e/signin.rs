//! Sign in online, the inventory of the person's location, search with and without accents,
//! and the screens reached from there (part detail, notifications, settings, help).

use crate::harness::{run, Env, TECH};
use fantoccini::key::Key;

/// Scenarios 1 and 2: the technician signs in online and sees Taller Norte's inventory;
/// "bateria" and "batería" find the same "Batería" parts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signs_in_online_and_searches_with_and_without_accents() {
    run("signs_in_online_and_searches", |env: &mut Env| {
        Box::pin(async move {
            env.wait_text("#credentials-title", "Iniciar sesión").await;
            env.wait_text(".server-line", &env.net.url.clone()).await;
            env.screenshot("sign-in").await;

            env.sign_in_online(TECH).await;
            let header = env.text(".app-header").await;
            assert!(header.contains("Carla Técnica"), "the header names the person: {header}");
            assert!(header.contains("Taller Norte"), "the header names the location: {header}");
            let title = env.text("#inventory-title").await;
            assert!(title.contains("Taller Norte"), "{title}");
            let count = env.wait_text(".screen__head .count", "300 repuestos").await;
            assert_eq!(count, "300 repuestos");
            let rows = env.inventory_rows().await;
            assert!(rows.len() >= 5, "rows on screen: {rows:?}");
            assert!(rows
                .iter()
                .all(|(referencia, nombre, stock)| !referencia.is_empty() && !nombre.is_empty() && !stock.is_empty()));
            env.wait_indicator("synced").await;
            env.screenshot("inventory").await;

            // Without the accent, then with it: the same parts.
            let plain = env.search_inventory("bateria").await;
            let plain_rows = env.inventory_rows().await;
            assert!(!plain_rows.is_empty(), "«bateria» finds parts");
            assert!(
                plain_rows.iter().all(|(_, nombre, _)| nombre.contains("Batería")),
                "«bateria» finds only Batería parts: {plain_rows:?}"
            );
            env.screenshot("search").await;
            env.clear_search().await;
            let accented = env.search_inventory("batería").await;
            let accented_rows = env.inventory_rows().await;
            assert_eq!(plain, accented, "the same count with and without the accent");
            assert_eq!(plain, "20 repuestos", "the demo has 20 Batería parts");
            assert_eq!(plain_rows, accented_rows, "the same rows with and without the accent");

            // The part detail of the first match.
            let (referencia, nombre, _) = accented_rows[0].clone();
            env.click_in_page("table[role=grid] tbody tr.row:not(.row--pending) td.col-nombre").await;
            env.wait_text("#part-title", &referencia).await;
            let detail = env.text(".screen").await;
            assert!(detail.contains(&nombre), "the detail shows the name: {detail}");
            env.wait_text(".screen h2", "Stock por sede").await;
            env.wait_text(".screen", "Taller Norte").await;
            env.screenshot("part-detail").await;

            env.go("/notifications").await;
            env.wait_text("#notifications-title", "Notificaciones").await;
            env.wait_for(
                "the notifications loaded",
                "return !document.querySelector('.screen')?.textContent.includes('Cargando');",
            )
            .await;
            env.screenshot("notifications").await;

            env.go("/settings").await;
            env.wait_text("#settings-title", "Ajustes").await;
            let server =
                env.find(fantoccini::Locator::Css("#settings-server")).await.prop("value").await.ok().flatten();
            assert_eq!(server.as_deref(), Some(env.net.url.as_str()), "settings show the server");
            env.screenshot("settings").await;

            env.press(Key::F1).await;
            env.wait_text("#help-title", "Atajos de teclado").await;
            env.screenshot("help").await;
            env.press(Key::Escape).await;
            env.wait_for("the help closed", "return document.querySelector('#help-title') === null;").await;
        })
    })
    .await;
}
