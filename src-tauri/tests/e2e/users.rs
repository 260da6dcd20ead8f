//! An account from its registration to its first sign-in: a person registers with the server
//! (its HTTP API, as the sign-up page of another application would), the administrator sees
//! the account waiting in the window, gives it a location and approves it, and the person then
//! signs in from another device (the CLI) and is scoped to that location.

use crate::harness::{run, Cli, Env, ADMIN, PASSWORD, TALLER_NORTE};
use fantoccini::Locator;
use serde_json::json;

const NEW: &str = "lucia.nueva@taller.test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_approves_a_registered_account_and_gives_it_a_location() {
    run("users_register_assign_approve", |env: &mut Env| {
        Box::pin(async move {
            let registered = reqwest::Client::new()
                .post(format!("{}/v1/auth/register", env.server.url))
                .header(taller_protocol::PROTOCOL_HEADER, taller_protocol::PROTOCOL_VERSION.to_string())
                .json(&json!({"nombre_completo": "Lucía Nueva", "email": NEW, "password": PASSWORD}))
                .send()
                .await
                .expect("register");
            assert!(registered.status().is_success(), "register: {}", registered.status());
            // Waiting for approval, she cannot sign in yet.
            let early = Cli::connected(&env.server.url);
            let (code, refused) = early.run(&["login", "--email", NEW, "--password-stdin"], Some(PASSWORD));
            assert_ne!(code, 0, "an account waiting for approval signs in: {refused}");

            env.sign_in_online(ADMIN).await;
            env.wait_indicator("synced").await;
            env.go("/users").await;
            env.wait_text("#users-title", "Usuarios").await;
            env.wait_text(".account-list", "Lucía Nueva").await;
            env.wait_text(".account-list", "Sin sedes").await;
            env.wait_text(".screen__head .count", "1 cuenta espera aprobación").await;
            env.screenshot("users").await;

            // A location, then the approval.
            env.find(Locator::Css(".account-list select"))
                .await
                .select_by_label(TALLER_NORTE)
                .await
                .expect("the location");
            env.click_button("Añadir sede").await;
            env.wait_text(".account-list .chips", TALLER_NORTE).await;
            env.click_button("Aprobar").await;
            env.wait_text(".empty", "No hay cuentas por aprobar.").await;
            env.wait_pending(0).await;
            env.click_button("Todas").await;
            env.wait_text(".account--aprobado", "Lucía Nueva").await;
            env.screenshot("users-approved").await;

            let (aprobado, locations): (bool, Vec<String>) = sqlx::query_as(
                "SELECT u.aprobado, array(SELECT l.nombre FROM usuarios_localizacion ul \
                   JOIN localizacion l USING (id_localizacion) WHERE ul.id_usuario = u.id_usuario) \
                   FROM usuarios u WHERE u.email = $1",
            )
            .bind(NEW)
            .fetch_one(&env.db.pool)
            .await
            .expect("the account on the server");
            assert_eq!((aprobado, locations), (true, vec![TALLER_NORTE.to_owned()]));

            // She signs in now, and her replica holds Taller Norte's stock only.
            let hers = Cli::signed_in(&env.server.url, NEW);
            let whoami = hers.ok(&["status"], None);
            assert_eq!(whoami["user"], NEW, "{whoami}");

            // The locations and their negative-stock policy: Taller Sur refuses it from now on,
            // chosen from the keyboard; the roles and what each may do, read-only.
            env.wait_text("#locations-title", "Sedes y stock negativo").await;
            let sur = ".locations tr[data-location='Taller Sur'] select";
            let before = env.js(&format!("return document.querySelector({}).value;", json!(sur))).await;
            assert_eq!(before.as_str(), Some("allow"), "the default policy");
            env.find(Locator::Css(sur)).await.select_by_label("Se rechaza").await.expect("choose the policy");
            env.wait_text(".locations .notice--info", "Taller Sur: Se rechaza.").await;
            env.wait_pending(0).await;
            env.wait_text(".roles-table", "tecnico").await;
            env.wait_text(".roles-table thead", "Administrar usuarios y sedes").await;
            env.js("document.getElementById('locations-title').scrollIntoView(); return true;").await;
            env.screenshot("locations").await;
            let policy: String = sqlx::query_scalar(
                "SELECT p.stock_negativo FROM localizacion_politicas p JOIN localizacion l USING (id_localizacion) \
                  WHERE l.nombre = 'Taller Sur'",
            )
            .fetch_one(&env.db.pool)
            .await
            .expect("the policy on the server");
            assert_eq!(policy, "reject");
        })
    })
    .await;
}
