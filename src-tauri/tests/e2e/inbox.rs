//! A change the server refuses shows in the conflict inbox with its reason, in Spanish.

use crate::harness::{movements_of_order, part_with_stock, run, Cli, Env, ADMIN, TALLER_NORTE, TECH};
use fantoccini::key::Key;

/// Scenario 4: the technician records a sale of stock offline; meanwhile the admin (on the
/// CLI) makes Taller Norte refuse negative stock and counts the part down to 0; back online,
/// the push is refused with `insufficient_stock` and the inbox says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_the_server_refuses_shows_in_the_inbox_with_its_reason() {
    run("refusal_in_the_inbox", |env: &mut Env| {
        Box::pin(async move {
            env.sign_in_online(TECH).await;
            env.wait_indicator("synced").await;
            let (_, referencia, before) = part_with_stock(&env.db, TALLER_NORTE, 1).await;

            env.net.off();
            let notice = env.record_movement(&referencia, "salida", 1, 7373).await;
            assert!(notice.contains(&format!("{before} → {}", before - 1)), "{notice}");
            env.wait_indicator("offline").await;
            env.wait_pending(1).await;

            let admin = Cli::signed_in(&env.server.url, ADMIN);
            admin.ok(&["location", "policy", "--location", TALLER_NORTE, "--negative-stock", "reject"], None);
            let delta = format!("-{before}");
            admin.ok(
                &["stock", "adjust", "--location", TALLER_NORTE, "--ref", &referencia, "--delta", &delta, "--reason", "Conteo: no queda ninguno"],
                None,
            );
            admin.ok(&["sync"], None);
            assert_eq!(admin.stock(TALLER_NORTE, &referencia), 0, "the admin's change reached the server");

            env.net.on();
            env.press(Key::F9).await;
            env.wait_pending(0).await;
            assert!(movements_of_order(&env.db, 7373).await.is_empty(), "the refused movement is not on the server");
            // The navigation counts it, and the inbox explains it.
            env.wait_text("nav a[href='#/inbox'] .count-badge", "1").await;
            env.go("/inbox").await;
            let card = env.wait_text("article[data-kind=rechazo]", "Stock insuficiente").await;
            assert!(card.contains("Rechazado"), "{card}");
            assert!(card.contains("Movimiento de técnico"), "the action is named: {card}");
            assert!(card.contains("hay 0 y se piden 1"), "the reason with its figures: {card}");
            assert!(card.contains("insufficient_stock"), "the code: {card}");
            env.wait_text(".screen__head .count", "1 por revisar").await;
            env.screenshot("inbox").await;
            // The inventory shows the server's stock again (the refused change undone).
            env.go("/inventory").await;
            env.wait_inventory_rows().await;
            env.type_into("input[type=search]", &referencia).await;
            env.wait_for(
                "the part back at the server's stock, 0",
                &format!(
                    "const rows = [...document.querySelectorAll('table[role=grid] tbody tr.row:not(.row--pending)')]; return rows.length === 1 && rows[0].querySelector('td.col-referencia').textContent === {r} && rows[0].querySelector('td.col-stock_actual .num').textContent === '0';",
                    r = serde_json::json!(referencia)
                ),
            )
            .await;
        })
    })
    .await;
}
