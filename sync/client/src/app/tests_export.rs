//! Exports on the seeded workstation of `tests.rs`, read back: the inventory of a location
//! with its search, low-stock filter and sort is every row of the list query in its order
//! (across pages), headed in Spanish, numbers as numbers; the other lists are their list
//! queries' rows; the file goes where it is asked, never over another in a folder.

use super::tests::{conn_of, workstation, L1};
use super::*;
use crate::export::{ExportFormat, UTF8_BOM};
use crate::local::fixtures::{seed, seed_item};
use calamine::{open_workbook_from_rs, Data, DataType, Reader, Xlsx};
use serde_json::json;
use std::io::Cursor;
use std::path::Path;

/// More parts at L1 than one page holds: «Pastilla de freno N» (PST-0000...), stock `n % 9`
/// with a minimum of 3, so about a third are low.
const PADS: usize = MAX_PAGE as usize * 3 + 37;

fn seed_pads(conn: &rusqlite::Connection) {
    conn.execute_batch("BEGIN").expect("begin");
    for n in 0..PADS {
        let part = Uuid::from_u128(0x70_0000 + n as u128);
        seed(
            conn,
            "repuestos",
            &[
                ("id_repuesto", json!(part)),
                ("referencia", json!(format!("PST-{n:04}"))),
                ("nombre", json!(format!("Pastilla de freno {n}"))),
                ("marca", json!("Xiaomí")),
                ("tipo", json!("Freno")),
                ("descontinuado", json!(false)),
                ("created_at", json!(crate::local::fixtures::BASE)),
            ],
        );
        seed_item(conn, Uuid::from_u128(0x71_0000 + n as u128), L1, part, (n % 9) as i32, 3, Some("E-1"));
    }
    conn.execute_batch("COMMIT").expect("commit");
}

/// Every row of the inventory list for a filter, page after page, as the screen reads it.
fn listed(session: &Session, filter: &InventoryExport) -> Vec<InventoryRow> {
    let mut rows = Vec::new();
    loop {
        let page = session
            .inventory_page(&InventoryQuery {
                id_localizacion: L1,
                search: filter.search.clone(),
                low_only: filter.low_only,
                sort: filter.sort,
                offset: rows.len() as u32,
                limit: 100,
            })
            .expect("page");
        let done = page.rows.is_empty();
        rows.extend(page.rows);
        if done {
            return rows;
        }
    }
}

fn sheet_rows(path: &Path, sheet: &str) -> Vec<Vec<Data>> {
    let bytes = std::fs::read(path).expect("read the file");
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an XLSX");
    let range = book.worksheet_range(sheet).expect("the sheet");
    range.rows().map(<[Data]>::to_vec).collect()
}

fn text(cell: &Data) -> String {
    cell.as_string().unwrap_or_default()
}

#[test]
fn the_inventory_export_is_every_row_of_the_filtered_sorted_list() {
    let (dir, session) = workstation();
    seed_pads(&conn_of(&session).conn);
    let filter = InventoryExport {
        location: "Taller Norte".into(),
        search: "pastilla freno".into(),
        low_only: true,
        sort: InventorySort { column: InventorySortColumn::StockActual, direction: SortDirection::Desc },
    };
    let want = listed(&session, &filter);
    assert!(want.len() > MAX_PAGE as usize, "more rows than one page: {}", want.len());

    let out = dir.path().join("inventario.xlsx");
    let done = session.export_to(&ExportList::Inventory(filter.clone()), ExportFormat::Xlsx, &out).expect("export");
    assert_eq!(
        (done.rows as usize, done.format, done.path.as_str()),
        (want.len(), ExportFormat::Xlsx, &*out.to_string_lossy())
    );
    let rows = sheet_rows(&out, "Inventario");
    let headers: Vec<String> = rows[0].iter().map(text).collect();
    assert_eq!(
        headers,
        ["Referencia", "Nombre", "Marca", "Tipo", "Stock", "Mínimo", "Posición", "Estado", "En el mínimo o por debajo"]
    );
    assert_eq!(rows.len() - 1, want.len(), "the header and every row");
    let references: Vec<String> = rows[1..].iter().map(|row| text(&row[0])).collect();
    let expected: Vec<&str> = want.iter().map(|row| row.referencia.as_str()).collect();
    assert_eq!(references, expected, "in the list's order");
    let first = &rows[1];
    assert_eq!(first[2], Data::String("Xiaomí".into()), "an accented brand survives");
    assert_eq!(first[4], Data::Float(f64::from(want[0].stock_actual)), "the stock is a number");
    assert_eq!(first[5], Data::Float(3.0));
    assert_eq!(first[7], Data::String(if want[0].stock_actual == 0 { "Sin Stock" } else { "Bajo" }.into()));
    assert_eq!(first[8], Data::Bool(true));

    // The same list to CSV: the same references, Spanish separators.
    let csv_out = dir.path().join("inventario.csv");
    session.export_to(&ExportList::Inventory(filter), ExportFormat::Csv, &csv_out).expect("csv");
    let bytes = std::fs::read(&csv_out).expect("read");
    let body = bytes.strip_prefix(UTF8_BOM).expect("a BOM");
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(body);
    let csv_references: Vec<String> = reader.records().map(|record| record.expect("record")[0].to_owned()).collect();
    assert_eq!(csv_references, expected);
}

#[test]
fn the_unfiltered_inventory_export_has_the_accented_seeded_names() {
    let (dir, session) = workstation();
    let filter = InventoryExport { location: L1.to_string(), ..InventoryExport::default() };
    let want = listed(&session, &filter);
    let out = dir.path().join("todo.xlsx");
    session.export_to(&ExportList::Inventory(filter), ExportFormat::Xlsx, &out).expect("export");
    let rows = sheet_rows(&out, "Inventario");
    assert_eq!(rows.len() - 1, want.len());
    let names: Vec<String> = rows[1..].iter().map(|row| text(&row[1])).collect();
    assert!(names.iter().any(|name| name == "Batería 48V"), "{names:?}");
    // No brand: an empty cell, not the text "null".
    for (row, listed) in rows[1..].iter().zip(&want) {
        assert_eq!(row[2].is_empty(), listed.marca.is_none(), "{row:?}");
    }
}

#[test]
fn an_export_into_a_folder_is_named_for_the_list_and_never_replaces_a_file() {
    let (dir, session) = workstation();
    let list = ExportList::Inventory(InventoryExport { location: "taller norte".into(), ..InventoryExport::default() });
    let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 3).and_then(|day| day.and_hms_opt(15, 30, 0)).expect("time");
    assert_eq!(
        session.export_file_name(&list, ExportFormat::Xlsx, at).expect("name"),
        "inventario-taller-norte-2026-12-03-1530.xlsx"
    );
    let requests = ExportList::Requests(RequestListInput { estado: Some(EstadoSolicitud::Despachado) });
    assert_eq!(
        session.export_file_name(&requests, ExportFormat::Csv, at).expect("name"),
        "traslados-despachada-2026-12-03-1530.csv"
    );

    let downloads = dir.path().join("Descargas");
    let first = session.export_to_folder(&list, ExportFormat::Csv, &downloads).expect("first");
    let second = session.export_to_folder(&list, ExportFormat::Csv, &downloads).expect("second");
    assert!(first.file_name.starts_with("inventario-taller-norte-") && first.file_name.ends_with(".csv"), "{first:?}");
    assert_ne!(first.path, second.path, "the second export does not replace the first");
    assert!(Path::new(&first.path).is_file() && Path::new(&second.path).is_file());
    assert_eq!(std::fs::read_dir(&downloads).expect("folder").count(), 2);
}

#[test]
fn an_unknown_location_is_invalid_input_and_writes_nothing() {
    let (dir, session) = workstation();
    let out = dir.path().join("nada.xlsx");
    let list = ExportList::Inventory(InventoryExport { location: "Nowhere".into(), ..InventoryExport::default() });
    let error = session.export_to(&list, ExportFormat::Xlsx, &out).expect_err("no such location");
    assert_eq!(error.code(), "invalid_input");
    assert!(!out.exists());
    let error = session
        .export_to_folder(&list, ExportFormat::Csv, &dir.path().join("Descargas"))
        .expect_err("no such location");
    assert_eq!(error.code(), "invalid_input");
    assert!(!dir.path().join("Descargas").exists(), "no folder made for nothing");
}

#[test]
fn requests_counts_and_warranties_export_their_list_queries_rows() {
    let (dir, session) = workstation();
    session
        .cart_add(&CartAddInput { destination: "Taller Norte".into(), part: "BAT-48V".into(), cantidad: 2 })
        .expect("cart");
    session
        .request_from_cart(&RequestFromCartInput {
            origin: "Bodega Central".into(),
            destination: "Taller Norte".into(),
            observaciones_generales: None,
        })
        .expect("request");
    session.start_count(&CountStartInput { location: "Taller Norte".into(), observaciones: None }).expect("count");
    session
        .create_warranty(&WarrantyCreateInput {
            location: "Taller Norte".into(),
            part: "BAT-48V".into(),
            cantidad: 1,
            motivo_falla: "no carga después de la lluvia".into(),
            technician: None,
            solicitante: Some("Begoña Ruiz".into()),
            kilometraje: None,
            numero_orden: None,
            url_evidencia_foto: None,
        })
        .expect("claim");

    let out = dir.path().join("traslados.xlsx");
    let requests = session.requests(&RequestListInput::default()).expect("requests");
    session.export_to(&ExportList::Requests(RequestListInput::default()), ExportFormat::Xlsx, &out).expect("export");
    let rows = sheet_rows(&out, "Traslados");
    assert_eq!(
        rows[0].iter().map(text).collect::<Vec<_>>(),
        ["Estado", "Origen", "Destino", "Solicitó", "Creada", "Líneas", "Guía de transporte"]
    );
    assert_eq!(rows.len() - 1, requests.len());
    assert_eq!(rows[1][0], Data::String("Pendiente".into()));
    assert_eq!((text(&rows[1][1]), text(&rows[1][2])), ("Bodega Central".to_owned(), "Taller Norte".to_owned()));
    assert!(rows[1][4].is_datetime(), "the creation time is a date: {:?}", rows[1][4]);
    assert_eq!(rows[1][5], Data::Float(1.0), "one line, as a number");
    // Of one state: the list of that state, empty here.
    session
        .export_to(
            &ExportList::Requests(RequestListInput { estado: Some(EstadoSolicitud::Recibido) }),
            ExportFormat::Xlsx,
            &out,
        )
        .expect("export");
    assert_eq!(sheet_rows(&out, "Traslados").len(), 1, "the header alone");

    let counts = session.counts(&CountListInput::default()).expect("counts");
    session.export_to(&ExportList::Counts(CountListInput::default()), ExportFormat::Xlsx, &out).expect("export");
    let rows = sheet_rows(&out, "Conteos");
    assert_eq!(rows.len() - 1, counts.len());
    assert_eq!((text(&rows[1][0]), text(&rows[1][1])), ("Abierto".to_owned(), "Taller Norte".to_owned()));
    assert_eq!(rows[1][6], Data::Empty, "not closed: no closing time");

    let claims = session.warranties(&WarrantyListInput::default()).expect("claims");
    session.export_to(&ExportList::Warranties(WarrantyListInput::default()), ExportFormat::Xlsx, &out).expect("export");
    let rows = sheet_rows(&out, "Garantías");
    assert_eq!(rows.len() - 1, claims.len());
    assert_eq!(text(&rows[1][0]), "Sin enviar");
    assert_eq!(text(&rows[1][5]), "no carga después de la lluvia");
    assert_eq!(text(&rows[1][6]), "Begoña Ruiz");
    assert_eq!(rows[1][4], Data::Float(1.0));
}
