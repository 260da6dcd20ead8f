//! Export a list and read the XLSX back (issue 12): the inventory of Taller Norte searched and
//! sorted in the window, exported to Excel into the downloads folder (the notice says where),
//! then read with calamine: the window's headers and its count of rows, the rows the window
//! shows first, and every row the same as the CLI's export of the same filters on a second
//! device.

use crate::harness::{run, Cli, Env, TALLER_NORTE, TECH};
use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// The rows of an XLSX's sheet, each cell as text (numbers as the integers they hold).
fn sheet(path: &Path, name: &str) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an XLSX calamine reads");
    let range = book.worksheet_range(name).expect("the sheet");
    range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Float(number) => format!("{number}"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// The stock column holds numbers, not text.
fn stock_cells_are_numbers(path: &Path) -> bool {
    let bytes = std::fs::read(path).expect("read");
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an XLSX");
    let range = book.worksheet_range("Inventario").expect("sheet");
    range.rows().skip(1).all(|row| matches!(row[4], Data::Float(_)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_the_filtered_inventory_and_read_the_xlsx_back() {
    // The app's home is the test's own: its downloads folder (no XDG one is configured in the
    // app's config home) is `~/Descargas` there. tauri-driver is still found where it was.
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
    let cli_out = home.path().join("cli.xlsx");

    run("export", |env: &mut Env| {
        Box::pin(async move {
            env.sign_in_online(TECH).await;
            env.wait_indicator("synced").await;

            // Filter as a worker would: a search without its accent, sorted by stock, most first.
            let count = env.search_inventory("bateria").await;
            let sorted = "const th = document.querySelector('th.col-stock_actual'); return th ? th.getAttribute('aria-sort') : null;";
            for _ in 0..3 {
                if env.js(sorted).await.as_str() == Some("descending") {
                    break;
                }
                let before = env.js(sorted).await;
                env.click("th.col-stock_actual button.sort-button").await;
                env.wait_for(
                    "the stock column's order to change",
                    &format!("const th = document.querySelector('th.col-stock_actual'); return th && th.getAttribute('aria-sort') !== {before};"),
                )
                .await;
            }
            assert_eq!(env.js(sorted).await.as_str(), Some("descending"), "sorted by stock, most first");
            let total: usize = count
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap_or_else(|_| panic!("a count of parts: {count:?}"));
            assert!(total > 1, "the search lists several parts: {count}");
            // The rows the window shows first, once they are the sorted ones.
            env.wait_for(
                "the sorted rows",
                "const cells = [...document.querySelectorAll('table[role=grid] tbody tr.row:not(.row--pending) td.col-stock_actual .num')].map(td => Number(td.textContent.replace(/\\D/g, ''))); return cells.length > 1 && cells.every((n, i) => i === 0 || cells[i - 1] >= n);",
            )
            .await;
            let shown = env.inventory_rows().await;
            let headers = env
                .js("return [...document.querySelectorAll('table[role=grid] thead th')].map(th => th.querySelector('.sort-button')?.childNodes[0]?.textContent?.trim() ?? th.textContent.trim());")
                .await;
            let headers: Vec<String> = headers
                .as_array()
                .expect("header texts")
                .iter()
                .map(|value| value.as_str().unwrap_or_default().to_owned())
                .collect();

            // Export: keyboard reachable, labelled; the notice names the folder and the file.
            let focused = env
                .js("const b = document.querySelector('button.export__button[data-format=xlsx]'); b.focus(); return document.activeElement === b && b.getAttribute('aria-label');")
                .await;
            assert_eq!(focused.as_str(), Some("Exportar Excel (XLSX)"));
            env.press(fantoccini::key::Key::Enter).await;
            let notice = env.wait_text("[data-testid=export-done]", "Exportadas").await;
            assert!(notice.contains(&format!("Exportadas {total} filas a Excel (XLSX).")), "{notice}");
            assert!(notice.contains("~/Descargas"), "the folder as a person reads it: {notice}");
            let path = env.js("return document.querySelector('[data-testid=export-done]').dataset.path;").await;
            let path = PathBuf::from(path.as_str().expect("the file's path"));
            assert_eq!(path.parent(), Some(downloads.as_path()), "into the downloads folder");
            let name = path.file_name().and_then(|name| name.to_str()).unwrap_or_default().to_owned();
            assert!(name.starts_with("inventario-taller-norte-") && name.ends_with(".xlsx"), "{name}");
            assert!(notice.contains(&name), "the notice names the file: {notice}");
            env.screenshot("export").await;

            // Read back: the window's columns in its order (the type column, hidden on a narrow
            // window, and the minimum alert are exported too), its count, its first rows.
            let rows = sheet(&path, "Inventario");
            let exported_headers = &rows[0];
            let mut at = 0;
            for header in &headers {
                let found = exported_headers[at..].iter().position(|exported| exported == header);
                at += found.unwrap_or_else(|| panic!("the window's column {header:?} in {exported_headers:?}")) + 1;
            }
            assert_eq!(rows.len() - 1, total, "every row the window counts, not only its first page");
            for (index, (referencia, nombre, stock)) in shown.iter().enumerate() {
                let row = &rows[index + 1];
                assert_eq!((&row[0], &row[1], &row[4]), (referencia, nombre, stock), "row {index} as the window shows it");
            }
            assert!(rows[1..].iter().all(|row| row[1].contains("Batería")), "accented names survive");
            assert!(stock_cells_are_numbers(&path), "stock as numbers");

            // The same filters from the CLI on another device: the same rows.
            let cli = Cli::signed_in(&env.server.url, TECH);
            let out = cli_out;
            let out_text = out.to_string_lossy().into_owned();
            let done = cli.ok(
                &[
                    "export",
                    "inventory",
                    "--location",
                    TALLER_NORTE,
                    "--search",
                    "bateria",
                    "--sort",
                    "stock_actual",
                    "--desc",
                    "--format",
                    "xlsx",
                    "--out",
                    &out_text,
                ],
                None,
            );
            assert_eq!(done["rows"].as_u64(), Some(total as u64), "{done}");
            assert_eq!(sheet(&out, "Inventario"), rows, "the CLI's export is the window's");
        })
    })
    .await;
    drop(home);
}
