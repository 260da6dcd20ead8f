//! Printable labels from the window (issue 12), read back from the PDF: the technician makes
//! the labels of Taller Norte's shelf from the inventory screen with the keyboard (the notice
//! names ~/Descargas and the file), then one part's label from its detail on a label printer's
//! roll. Each label's barcode, decoded from the drawn rectangles, is its reference; the text
//! is the part's reference, name and position as the server holds them, in position order.

#[path = "../../../sync/client/src/labels/read_back.rs"]
mod read_back;

use crate::harness::{run, Env, TALLER_NORTE, TECH};
use fantoccini::key::Key;
use std::path::PathBuf;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_of_the_shelf_and_of_a_part_are_made_from_the_window_and_read_back() {
    // The app's home is the test's own, so its downloads folder is `~/Descargas` there (as in
    // the export test); tauri-driver is still found where it was.
    let home = tempfile::Builder::new().prefix("taller-e2e-home-").tempdir().expect("temp home");
    if let Some(real) = std::env::var_os("HOME") {
        let cargo_bin = PathBuf::from(real).join(".cargo/bin");
        let path = std::env::var_os("PATH").unwrap_or_default();
        let joined =
            std::env::join_paths(std::iter::once(cargo_bin).chain(std::env::split_paths(&path))).expect("a PATH");
        std::env::set_var("PATH", joined);
    }
    std::env::set_var("HOME", home.path());
    let downloads = home.path().join("Descargas");

    run("labels", |env: &mut Env| {
        Box::pin(async move {
            env.sign_in_online(TECH).await;
            env.wait_indicator("synced").await;
            env.wait_inventory_rows().await;

            // The shelf as the server holds it, in the labels' order: by position (none last),
            // then reference (byte order, as the replica sorts text).
            let mut shelf: Vec<(Option<String>, String, String)> = sqlx::query_as(
                "SELECT i.posicion, r.referencia, r.nombre FROM inventario i \
                   JOIN repuestos r ON r.id_repuesto = i.id_repuesto \
                   JOIN localizacion l ON l.id_localizacion = i.id_localizacion WHERE l.nombre = $1",
            )
            .bind(TALLER_NORTE)
            .fetch_all(&env.db.pool)
            .await
            .expect("the shelf on the server");
            shelf.sort_by(|a, b| (a.0.is_none(), &a.0, &a.1).cmp(&(b.0.is_none(), &b.0, &b.1)));
            assert!(shelf.len() > 24, "more than one sheet: {}", shelf.len());

            // The shelf's labels, from the keyboard: the button is labelled for what it prints.
            let focused = env
                .js("const b = document.querySelector('button.labels__button'); b.focus(); return document.activeElement === b && b.getAttribute('aria-label');")
                .await;
            assert_eq!(
                focused.as_str(),
                Some("Etiquetas: imprimir las etiquetas de la estantería de Taller Norte"),
                "the shelf's labels button"
            );
            env.press(Key::Enter).await;
            let pages = shelf.len().div_ceil(24);
            let notice = env.wait_text("[data-testid=labels-done]", "listas para imprimir").await;
            assert!(notice.contains(&format!("{} etiquetas en {pages} páginas", shelf.len())), "{notice}");
            assert!(notice.contains("~/Descargas"), "the folder as a person reads it: {notice}");
            let path = env.js("return document.querySelector('[data-testid=labels-done]').dataset.path;").await;
            let path = PathBuf::from(path.as_str().expect("the file's path"));
            assert_eq!(path.parent(), Some(downloads.as_path()), "into the downloads folder");
            let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default().to_owned();
            assert!(name.starts_with("etiquetas-taller-norte-") && name.ends_with(".pdf"), "{name}");
            assert!(notice.contains(&name), "the notice names the file: {notice}");
            env.screenshot("labels").await;

            let read = read_back::read(&std::fs::read(&path).expect("the PDF"));
            assert_eq!(read.len(), pages, "A4 sheets of 24");
            assert!(read.iter().all(|page| (page.size_mm.0 - 210.0).abs() < 0.01 && (page.size_mm.1 - 297.0).abs() < 0.01));
            let labels: Vec<_> = read.iter().flat_map(|page| page.labels.iter()).collect();
            assert_eq!(labels.len(), shelf.len());
            for (label, (posicion, referencia, nombre)) in labels.iter().zip(&shelf) {
                assert_eq!(label.barcode().as_deref(), Ok(referencia.as_str()), "the barcode of {referencia}");
                let (left, right) = label.quiet_zones(70.0);
                assert!(left >= 9.99 && right >= 9.99, "quiet zones of {referencia}: {left} {right}");
                assert_eq!(&label.lines[0], referencia);
                assert!(nombre.starts_with(label.lines[1].trim_end_matches('…')), "{nombre} / {}", label.lines[1]);
                let where_ = posicion.as_ref().map_or(format!("{TALLER_NORTE} (sin posición)"), |p| format!("Posición {p} · {TALLER_NORTE}"));
                assert_eq!(label.lines[2], where_);
            }
            assert!(labels.iter().any(|label| label.lines[1].contains("Batería")), "accents survive");

            // One part's label from its detail, on a roll.
            let (posicion, referencia, _) = shelf[0].clone();
            let id: uuid::Uuid = sqlx::query_scalar("SELECT id_repuesto FROM repuestos WHERE referencia = $1")
                .bind(&referencia)
                .fetch_one(&env.db.pool)
                .await
                .expect("the part's id");
            env.js(&format!("location.hash = '#/parts/{id}'; return true;")).await;
            env.wait_text("#part-title", &referencia).await;
            env.find(fantoccini::Locator::Css("[data-testid=labels-format]"))
                .await
                .select_by_value("roll")
                .await
                .expect("the label printer");
            env.click("button.labels__button").await;
            let notice = env.wait_text("[data-testid=labels-done]", "lista para imprimir").await;
            assert!(notice.contains("1 etiqueta en 1 página"), "{notice}");
            env.screenshot("labels-part").await;
            let path = env.js("return document.querySelector('[data-testid=labels-done]').dataset.path;").await;
            let read = read_back::read(&std::fs::read(path.as_str().expect("path")).expect("the PDF"));
            assert_eq!(read.len(), 1);
            assert!((read[0].size_mm.0 - 70.0).abs() < 0.01 && (read[0].size_mm.1 - 37.0).abs() < 0.01, "{:?}", read[0].size_mm);
            assert_eq!(read[0].labels[0].barcode().as_deref(), Ok(referencia.as_str()));
            assert_eq!(read[0].labels[0].lines[2], format!("Posición {} · {TALLER_NORTE}", posicion.unwrap_or_default()));
        })
    })
    .await;
    drop(home);
}
