//! `taller export` as a script uses it: the inventory of a location with the screen's
//! filters to CSV and XLSX, read back and held to what `taller stock list` lists; the other
//! lists; usage mistakes exit 2, refusals exit 1 with their code, and leave no file.

use crate::harness::{ok, taller, Net};
use calamine::{open_workbook_from_rs, Data, Reader, Xlsx};
use std::io::Cursor;
use std::path::Path;

fn xlsx_rows(path: &Path, sheet: &str) -> Vec<Vec<Data>> {
    let bytes = std::fs::read(path).expect("read the XLSX");
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("an XLSX");
    let range = book.worksheet_range(sheet).expect("the sheet");
    range.rows().map(<[Data]>::to_vec).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_writes_the_filtered_list_and_refuses_clearly() {
    let net = Net::new().await;
    let home = tempfile::tempdir().expect("dir");
    let dir = home.path().join("workstation");
    ok(&dir, &["connect", "--server", &net.server.base], None);
    ok(
        &dir,
        &["login", "--email", "tecnico.norte@taller.test", "--password-stdin"],
        Some(taller_server::demo::DEMO_PASSWORD),
    );
    ok(&dir, &["sync"], None);

    // The low-stock list of Taller Norte, as `stock list` has it.
    let listed = ok(&dir, &["stock", "list", "--location", "Taller Norte", "--low"], None);
    let mut want: Vec<(String, i64)> = listed
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| {
            (row["referencia"].as_str().unwrap_or_default().to_owned(), row["stock_actual"].as_i64().unwrap_or(-1))
        })
        .collect();
    want.sort();
    assert!(!want.is_empty(), "the demo has low rows at Taller Norte");

    // CSV, its format from the name; Spanish separators and a BOM.
    let csv_out = home.path().join("bajo.csv");
    let done = ok(
        &dir,
        &["export", "inventory", "--location", "taller norte", "--low", "--out", &csv_out.to_string_lossy()],
        None,
    );
    assert_eq!((done["rows"].as_u64(), done["format"].as_str()), (Some(want.len() as u64), Some("csv")), "{done}");
    let bytes = std::fs::read(&csv_out).expect("read");
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").expect("a UTF-8 BOM");
    let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(body);
    assert_eq!(reader.headers().expect("headers").get(4), Some("Stock"));
    let mut got: Vec<(String, i64)> = reader
        .records()
        .map(|record| {
            let record = record.expect("record");
            (record[0].to_owned(), record[4].parse().expect("a whole stock"))
        })
        .collect();
    let in_order: Vec<&String> = got.iter().map(|(referencia, _)| referencia).collect();
    assert!(in_order.windows(2).all(|pair| pair[0] <= pair[1]), "by reference, the screen's default order");
    got.sort();
    assert_eq!(got, want, "the rows `stock list --low` lists");

    // XLSX with an explicit format, sorted by stock, most first; numbers are numbers.
    let xlsx_out = home.path().join("bajo.datos");
    let done = ok(
        &dir,
        &[
            "export",
            "inventory",
            "--location",
            "Taller Norte",
            "--low",
            "--sort",
            "stock_actual",
            "--desc",
            "--format",
            "XLSX",
            "--out",
            &xlsx_out.to_string_lossy(),
        ],
        None,
    );
    assert_eq!(done["format"], "xlsx", "{done}");
    let rows = xlsx_rows(&xlsx_out, "Inventario");
    assert_eq!(rows.len() - 1, want.len());
    let stocks: Vec<f64> = rows[1..]
        .iter()
        .map(|row| match row[4] {
            Data::Float(stock) => stock,
            ref other => panic!("the stock is a number: {other:?}"),
        })
        .collect();
    assert!(stocks.windows(2).all(|pair| pair[0] >= pair[1]), "most first: {stocks:?}");

    // The other lists, with their state filter: a header and their rows.
    let requests_out = home.path().join("traslados.xlsx");
    let done =
        ok(&dir, &["export", "requests", "--state", "pendiente", "--out", &requests_out.to_string_lossy()], None);
    let requests = ok(&dir, &["request", "list", "--state", "PENDIENTE"], None);
    assert_eq!(done["rows"].as_u64(), Some(requests.as_array().map_or(0, Vec::len) as u64));
    assert_eq!(xlsx_rows(&requests_out, "Traslados")[0][0], Data::String("Estado".into()));
    ok(&dir, &["export", "counts", "--state", "open", "--out", &home.path().join("c.csv").to_string_lossy()], None);
    ok(&dir, &["export", "warranties", "--out", &home.path().join("g.xlsx").to_string_lossy()], None);

    // Usage mistakes: exit 2, nothing written.
    let unknown_format = home.path().join("x.pdf");
    let (code, out) = taller(
        &dir,
        &["export", "inventory", "--location", "Taller Norte", "--out", &unknown_format.to_string_lossy()],
        None,
    );
    assert_eq!((code, out["code"].as_str()), (2, Some("usage")), "{out}");
    let (code, out) =
        taller(&dir, &["export", "inventory", "--location", "Taller Norte", "--format", "ods", "--out", "x.ods"], None);
    assert_eq!(code, 2, "{out}");
    let (code, out) = taller(
        &dir,
        &["export", "inventory", "--location", "Taller Norte", "--sort", "precio", "--out", "x.csv"],
        None,
    );
    assert_eq!(code, 2, "{out}");
    // Refusals: exit 1 with the library's code and message.
    let nowhere = home.path().join("nada.csv");
    let (code, out) =
        taller(&dir, &["export", "inventory", "--location", "Nowhere", "--out", &nowhere.to_string_lossy()], None);
    assert_eq!((code, out["code"].as_str()), (1, Some("invalid_input")), "{out}");
    let missing = home.path().join("no-such-folder").join("x.xlsx");
    let (code, out) =
        taller(&dir, &["export", "inventory", "--location", "Taller Norte", "--out", &missing.to_string_lossy()], None);
    assert_eq!((code, out["code"].as_str()), (1, Some("export_failed")), "{out}");
    assert!(
        out["message"].as_str().is_some_and(|message| message.contains("No se pudo guardar la exportación")),
        "{out}"
    );
    assert!(!nowhere.exists() && !unknown_format.exists() && !missing.exists());
    let leftovers: Vec<String> = std::fs::read_dir(home.path())
        .expect("dir")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".taller-export-"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left: {leftovers:?}");
}
