//! Shared workstation: switch user with pending work and back (nothing lost, nothing pushed
//! under the wrong account), and unlock offline.

use crate::harness::{movements_of_order, run, user_id, Env, BODEGA, PASSWORD, TALLER_NORTE, TECH};
use fantoccini::key::Key;
use fantoccini::Locator;

/// Clicks the known user's button for `email` in the list on screen.
async fn choose_user(env: &Env, email: &str) {
    let xpath = format!("//button[contains(@class, 'user-button')][.//span[@class='user-button__email' and normalize-space(.)='{email}']]");
    env.find(Locator::XPath(&xpath)).await.click().await.expect("choose a known user");
}

/// The pending count shown beside `email` in the list of people of this workstation, once it
/// reads `expected` (the list may first show what it had cached, then its refetch); the wait
/// fails, with the last text seen, if it never does.
async fn pending_shown(env: &Env, email: &str, expected: &str) -> String {
    let script = format!(
        "for (const b of document.querySelectorAll('.user-button')) {{ if (b.querySelector('.user-button__email')?.textContent === {e}) {{ const text = b.querySelector('.user-button__pending').textContent; return text === {x} ? text : null; }} }} return null;",
        e = serde_json::json!(email),
        x = serde_json::json!(expected)
    );
    env.wait_for(&format!("{email} shown with «{expected}» in the list of people"), &script)
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Scenario 5.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_user_keeps_each_persons_pending_work_and_authority() {
    run("switch_user_and_back", |env: &mut Env| {
        Box::pin(async move {
            // Both people have signed in on this workstation once.
            env.sign_in_online(BODEGA).await;
            env.go("/switch-user").await;
            env.wait_text("#switch-title", "Cambiar usuario").await;
            env.sign_in_online(TECH).await;
            assert!(env.text(".user-box__name").await.contains("Carla"));
            env.wait_indicator("synced").await;
            let (_, referencia, _) = crate::harness::part_with_stock(&env.db, TALLER_NORTE, 3).await;

            // Offline, the technician records a movement: 1 pending.
            env.net.off();
            env.record_movement(&referencia, "salida", 1, 5151).await;
            env.wait_pending(1).await;

            // Switch to the warehouse keeper (unlock: still offline).
            env.go("/switch-user").await;
            assert_eq!(pending_shown(env, TECH, "1 pendiente").await, "1 pendiente");
            choose_user(env, BODEGA).await;
            env.unlock(BODEGA).await;
            assert!(env.text(".user-box__name").await.contains("Bruno"), "now the warehouse keeper");
            env.wait_text("#inventory-title", "Bodega Central").await;
            // Back online, the keeper syncs: his own outbox is empty, hers stays.
            env.net.on();
            env.press(Key::F9).await;
            env.wait_pending(0).await;
            assert!(
                movements_of_order(&env.db, 5151).await.is_empty(),
                "her movement was not pushed under his account"
            );
            env.go("/switch-user").await;
            assert_eq!(pending_shown(env, TECH, "1 pendiente").await, "1 pendiente", "hers is kept");
            assert_eq!(pending_shown(env, BODEGA, "0 pendientes").await, "0 pendientes");
            env.screenshot("switch-user").await;

            // Back to the technician: her movement goes with her authority.
            choose_user(env, TECH).await;
            env.unlock(TECH).await;
            assert!(env.text(".user-box__name").await.contains("Carla"));
            env.press(Key::F9).await;
            env.wait_pending(0).await;
            let tech = user_id(&env.db, TECH).await;
            assert_eq!(
                movements_of_order(&env.db, 5151).await,
                vec![(tech, tech, 1)],
                "pushed once, by the technician"
            );
            env.go("/switch-user").await;
            assert_eq!(pending_shown(env, TECH, "0 pendientes").await, "0 pendientes");
        })
    })
    .await;
}

/// Scenario 6: with the server unreachable, sign out and unlock with the password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlocks_offline_with_the_password() {
    run("unlock_offline", |env: &mut Env| {
        Box::pin(async move {
            env.sign_in_online(TECH).await;
            env.wait_indicator("synced").await;
            env.net.off();
            env.go("/switch-user").await;
            env.click_button("Cerrar sesión").await;
            env.wait_text("#credentials-title", "Iniciar sesión").await;
            // Online sign-in is refused as offline...
            env.type_into("#sign-in-email", TECH).await;
            env.type_into("#sign-in-password", PASSWORD).await;
            env.click("form button[type=submit]").await;
            env.wait_text("[role=alert]", "Sin conexión").await;
            // ...and the known person unlocks without the network.
            env.wait_text("#known-users-title", "Personas de este equipo").await;
            choose_user(env, TECH).await;
            env.screenshot("unlock").await;
            env.unlock(TECH).await;
            let count = env.wait_text(".screen__head .count", "300 repuestos").await;
            assert_eq!(count, "300 repuestos");
            env.wait_inventory_rows().await;
            // Signed out, then unlocked offline: nothing syncs until an online sign-in, and the
            // indicator says so (not "synced").
            env.wait_indicator("signed_out").await;
        })
    })
    .await;
}
