//! A movement recorded with the server stopped: shown at once, pending 1, and after the
//! server is back and a sync, on a second device (the `taller` CLI).

use crate::harness::{movements_of_order, part_with_stock, run, user_id, Cli, Env, ADMIN, TALLER_NORTE, TECH};
use fantoccini::key::Key;

/// Scenario 3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_movement_recorded_with_the_server_stopped_reaches_a_second_device() {
    run("movement_with_the_server_stopped", |env: &mut Env| {
        Box::pin(async move {
            env.sign_in_online(TECH).await;
            env.wait_indicator("synced").await;
            let (_, referencia, before) = part_with_stock(&env.db, TALLER_NORTE, 5).await;

            env.server.stop().await;
            let notice = env.record_movement(&referencia, "salida", 2, 4242).await;
            let after = before - 2;
            assert!(notice.contains(&format!("{before} → {after}")), "the stock it left, at once: {notice}");
            assert!(notice.contains("1 pendiente"), "the notice says it is pending: {notice}");
            env.screenshot("movement").await;
            // The engine tries at once (a local change), fails: offline, 1 pending.
            env.wait_indicator("offline").await;
            let said = env.wait_pending(1).await;
            assert!(said.contains("Sin conexión"), "{said}");
            env.wait_text(".notice--info[role=note]", "Sin conexión con el servidor").await;
            env.screenshot("offline-pending").await;

            // The inventory shows the new stock before anything reached the server.
            env.go("/inventory").await;
            env.wait_inventory_rows().await;
            env.type_into("input[type=search]", &referencia).await;
            env.wait_for(
                "the part's row with its new stock",
                &format!(
                    "const rows = [...document.querySelectorAll('table[role=grid] tbody tr.row:not(.row--pending)')]; return rows.length === 1 && rows[0].querySelector('td.col-referencia').textContent === {r} && rows[0].querySelector('td.col-stock_actual .num').textContent === '{after}';",
                    r = serde_json::json!(referencia)
                ),
            )
            .await;
            assert!(movements_of_order(&env.db, 4242).await.is_empty(), "nothing reached the server yet");

            // The server is back; the person syncs from the panel (F9 there, or the button).
            env.server.resume().await;
            env.go("/sync").await;
            env.wait_text("#sync-title", "Sincronización").await;
            env.press(Key::F9).await;
            env.wait_pending(0).await;
            env.wait_for(
                "the panel's pending count at 0",
                "const dts = [...document.querySelectorAll('.facts dt')]; const dt = dts.find(d => d.textContent === 'Cambios por enviar'); return dt && dt.nextElementSibling.textContent === '0';",
            )
            .await;
            env.screenshot("sync-panel").await;

            let tech = user_id(&env.db, TECH).await;
            assert_eq!(movements_of_order(&env.db, 4242).await, vec![(tech, tech, 2)], "the movement, by the technician");
            // A second device (the admin on the CLI) syncs and sees its effect on the stock.
            let cli = Cli::signed_in(&env.server.url, ADMIN);
            assert_eq!(cli.stock(TALLER_NORTE, &referencia), i64::from(after));
        })
    })
    .await;
}
