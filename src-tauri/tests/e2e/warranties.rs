//! A warranty claim from its creation to its approval: the technician creates it in the window
//! with every field, corrects it ("Editar", while it is not sent: the quantity, the mileage and
//! the work order) and sends it for review, and is offered no approval nor edit; the library refuses
//! her approval from another device of hers (the CLI); an administrator signs in on the same
//! window, approves it with a comment, and the server has the claim approved and the
//! replacement units in stock.

use crate::harness::{part_with_stock, run, user_id, Cli, Env, ADMIN, TALLER_NORTE, TECH};
use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::json;
use uuid::Uuid;

/// A claim's row on the server: estado, comentarios_resolucion, cantidad, motivo_falla,
/// id_tecnico_asociado, solicitante, kilometraje, numero_orden, url_evidencia_foto, id_repuesto.
type Claim = (
    String,
    Option<String>,
    i32,
    String,
    Option<Uuid>,
    Option<String>,
    Option<i32>,
    Option<String>,
    Option<String>,
    Uuid,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_created_by_the_technician_is_refused_to_her_and_approved_by_an_administrator() {
    run("warranty_create_refuse_approve", |env: &mut Env| {
        Box::pin(async move {
            env.sign_in_online(TECH).await;
            env.wait_indicator("synced").await;
            let (id_repuesto, referencia, stock) = part_with_stock(&env.db, TALLER_NORTE, 1).await;

            // The new claim, every field filled.
            env.go("/warranties").await;
            env.wait_text("#warranties-title", "Garantías").await;
            env.click_in_page("a[href='#/warranties/new']").await;
            env.wait_text("#warranty-new-title", "Nueva garantía").await;
            let chosen = env.js("return document.querySelector('#warranty-location option:checked')?.textContent;").await;
            assert_eq!(chosen, json!(TALLER_NORTE));
            let part = env.find(Locator::Css(".form--warranty input[role=combobox]")).await;
            part.send_keys(&format!("{referencia}{}", char::from(Key::Enter))).await.expect("the part");
            env.wait_text(".part-summary", &referencia).await;
            env.type_into("#warranty-cantidad", "1").await;
            env.type_into("#warranty-motivo", "Se apaga en subida con carga").await;
            env.find(Locator::Css("#warranty-technician"))
                .await
                .select_by_label("Carla Técnica")
                .await
                .expect("the technician involved");
            env.type_into("#warranty-solicitante", "Laura Gómez").await;
            env.type_into("#warranty-kilometraje", "1500").await;
            env.type_into("#warranty-orden", "OT-44").await;
            env.type_into("#warranty-foto", "https://fotos.taller.test/ot-4410.jpg").await;
            env.screenshot("warranty-new").await;
            // Creating opens the claim (a route change: clicked from inside the page).
            env.click_in_page(".form--warranty button[type=submit]").await;
            env.wait_text("#warranty-title", &format!("Garantía de {referencia}")).await;
            env.wait_text("#warranty-title .badge", "Sin enviar").await;
            let id = env.js("return location.hash.split('/').pop();").await.as_str().unwrap_or_default().to_owned();
            assert_eq!(id.len(), 36, "the claim's id in the route: {id}");

            // Corrected while it is a draft, from the keyboard: Editar, the form opens on the
            // quantity; only the fields changed go (the server's row below has them all).
            let focused = env
                .js("const b = [...document.querySelectorAll('.warranty-actions button')].find(b => b.textContent.trim() === 'Editar'); b.focus(); return document.activeElement === b;")
                .await;
            assert_eq!(focused, json!(true), "the edit button takes the focus");
            env.press(Key::Enter).await;
            env.wait_text("#warranty-edit-title", "Editar la garantía").await;
            let on_units = env.js("return document.activeElement?.id;").await;
            assert_eq!(on_units, json!("warranty-edit-cantidad"), "the form opens on the quantity");
            env.type_into("#warranty-edit-cantidad", "2").await;
            env.type_into("#warranty-edit-kilometraje", "1520").await;
            env.type_into("#warranty-edit-orden", "OT-4410").await;
            env.screenshot("warranty-edit").await;
            env.press(Key::Enter).await;
            env.wait_text("[data-testid=warranty-saved]", "Cambios guardados.").await;
            env.wait_text(".warranty-facts", "OT-4410").await;
            env.wait_for("the mileage edited", "return /1\\.?520 km/.test(document.querySelector('.warranty-facts').textContent);").await;
            env.wait_text(".warranty-facts .big-number", "2").await;

            // Sent for review; the technician is offered no approval.
            env.click_button("Enviar a revisión").await;
            env.wait_text("#warranty-title .badge", "Pendiente de revisión").await;
            env.wait_text(".notice--info", "Espera la revisión de una persona con permiso").await;
            let offered = env
                .js("return [...document.querySelectorAll('button')].filter(b => /^(Aprobar|Rechazar)$/.test(b.textContent.trim())).length;")
                .await;
            assert_eq!(offered, json!(0), "no approve or reject for a technician");
            let edit = env.js("return [...document.querySelectorAll('button')].filter(b => b.textContent.trim() === 'Editar').length;").await;
            assert_eq!(edit, json!(0), "a claim sent for review is not edited");
            env.wait_pending(0).await;
            env.screenshot("warranty-pending").await;

            // Her own approval, from another device of hers, is refused by the library.
            let hers = Cli::signed_in(&env.server.url, TECH);
            let shown = hers.ok(&["warranty", "show", &id], None);
            assert_eq!(shown["estado"], "PENDIENTE", "{shown}");
            let (code, refused) = hers.run(&["warranty", "approve", &id, "--comment", "yo misma"], None);
            assert_eq!(code, 1, "refused: {refused}");
            assert_eq!(refused["code"], "forbidden", "{refused}");

            // An administrator on the same window approves it with a comment.
            env.go("/switch-user").await;
            env.sign_in_online(ADMIN).await;
            env.wait_indicator("synced").await;
            env.go("/warranties").await;
            env.click_button("Pendiente de revisión").await;
            env.wait_text("table.warranty-list", &referencia).await;
            env.click_in_page(&format!("a[href='#/warranties/{id}']")).await;
            env.wait_text("#warranty-title .badge", "Pendiente de revisión").await;
            env.wait_text(".warranty-facts", "Laura Gómez").await;
            env.wait_text(".warranty-facts", "OT-4410").await;
            env.type_into("#warranty-comment", "Defecto de fábrica: se cambia").await;
            env.screenshot("warranty-resolve").await;
            env.click_button("Aprobar").await;
            env.wait_text("#warranty-title .badge", "Aprobada").await;
            env.wait_text(
                ".warranty-ingreso",
                &format!("Entraron 2 unidades de reemplazo al stock de {TALLER_NORTE}: {stock} → {}", stock + 2),
            )
            .await;
            env.wait_pending(0).await;
            env.screenshot("warranty-approved").await;
            env.click_in_page(".back-link").await;
            env.click_button("Todas").await;
            env.wait_text("table.warranty-list", "Aprobada").await;
            env.screenshot("warranties").await;

            // The server: approved with the comment, every field as typed, the units in stock.
            let claim: Claim = sqlx::query_as(
                    "SELECT estado, comentarios_resolucion, cantidad, motivo_falla, id_tecnico_asociado, solicitante, kilometraje, \
                            numero_orden, url_evidencia_foto, id_repuesto FROM garantias WHERE id_garantia = $1::uuid",
                )
                .bind(&id)
                .fetch_one(&env.db.pool)
                .await
                .expect("the claim on the server");
            let tech = user_id(&env.db, TECH).await;
            assert_eq!(
                claim,
                (
                    "APROBADA".to_owned(),
                    Some("Defecto de fábrica: se cambia".to_owned()),
                    2,
                    "Se apaga en subida con carga".to_owned(),
                    Some(tech),
                    Some("Laura Gómez".to_owned()),
                    Some(1520),
                    Some("OT-4410".to_owned()),
                    Some("https://fotos.taller.test/ot-4410.jpg".to_owned()),
                    id_repuesto,
                )
            );
            let now: i32 = sqlx::query_scalar(
                "SELECT i.stock_actual FROM inventario i JOIN localizacion l ON l.id_localizacion = i.id_localizacion \
                  WHERE l.nombre = $1 AND i.id_repuesto = $2",
            )
            .bind(TALLER_NORTE)
            .bind(id_repuesto)
            .fetch_one(&env.db.pool)
            .await
            .expect("the item on the server");
            assert_eq!(now, stock + 2, "the replacement units came into stock");
        })
    })
    .await;
}
