//! The writer, read back: CSV through the `csv` crate, XLSX through `calamine` (and its XML
//! for the header row's style and the frozen pane).

use super::*;
use calamine::{open_workbook_from_rs, Data, DataType, Reader, Xlsx};
use chrono::NaiveDate;
use std::io::{Cursor, Read};

fn at(hour: u32, minute: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 12, 3).and_then(|day| day.and_hms_opt(hour, minute, 0)).expect("a date")
}

fn column(key: &'static str, label: &str) -> Column {
    Column { key, label: label.to_owned() }
}

/// Three rows with every kind of cell, an accented name, and a text that needs quoting.
fn sample() -> Table {
    let mut table = Table::new(
        "Inventario",
        vec![
            column("referencia", "Referencia"),
            column("nombre", "Nombre"),
            column("stock_actual", "Stock"),
            column("precio", "Precio"),
            column("fecha", "Fecha"),
            column("alerta", "Bajo mínimo"),
        ],
    );
    table
        .push(vec![
            Cell::Text("BAT-48V".into()),
            Cell::Text("Batería de litio 48 V; «añadida»".into()),
            Cell::Integer(12),
            Cell::Decimal(1.5),
            Cell::DateTime(at(15, 30)),
            Cell::Bool(false),
        ])
        .expect("row");
    table
        .push(vec![
            Cell::Text("CTL-48V".into()),
            Cell::Text("Controlador \"pro\"\nsegunda línea".into()),
            Cell::Integer(-3),
            Cell::Empty,
            Cell::Empty,
            Cell::Bool(true),
        ])
        .expect("row");
    table
        .push(vec![
            Cell::Text("=SUM(A1)".into()),
            Cell::text(None::<String>),
            Cell::integer(Some(0)),
            Cell::Decimal(-0.25),
            Cell::DateTime(at(0, 5)),
            Cell::Bool(false),
        ])
        .expect("row");
    table
}

fn read_csv(bytes: &[u8], delimiter: u8) -> Vec<Vec<String>> {
    let body = bytes.strip_prefix(UTF8_BOM).expect("the CSV starts with a UTF-8 byte-order mark");
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).from_reader(body);
    reader.records().map(|record| record.expect("a CSV record").iter().map(str::to_owned).collect()).collect()
}

#[test]
fn csv_in_spanish_has_a_bom_semicolons_decimal_commas_and_survives_accents_and_quotes() {
    let bytes = to_bytes(&sample(), ExportFormat::Csv, Lang::Es).expect("csv");
    assert!(bytes.windows(2).any(|pair| pair == b"\r\n"), "CRLF line ends");
    let rows = read_csv(&bytes, b';');
    assert_eq!(rows.len(), 4, "the header and three rows");
    assert_eq!(rows[0], ["Referencia", "Nombre", "Stock", "Precio", "Fecha", "Bajo mínimo"]);
    assert_eq!(rows[1], ["BAT-48V", "Batería de litio 48 V; «añadida»", "12", "1,5", "2026-12-03 15:30:00", "no"]);
    assert_eq!(rows[2], ["CTL-48V", "Controlador \"pro\"\nsegunda línea", "-3", "", "", "sí"]);
    // A text a spreadsheet would run as a formula is marked as text; numbers are not touched.
    assert_eq!(rows[3], ["'=SUM(A1)", "", "0", "-0,25", "2026-12-03 00:05:00", "no"]);
}

#[test]
fn csv_in_english_uses_commas_and_decimal_points() {
    let bytes = to_bytes(&sample(), ExportFormat::Csv, Lang::En).expect("csv");
    let rows = read_csv(&bytes, b',');
    assert_eq!(rows[1], ["BAT-48V", "Batería de litio 48 V; «añadida»", "12", "1.5", "2026-12-03 15:30:00", "no"]);
    assert_eq!(rows[2][5], "yes");
    let header = "\u{feff}Referencia,Nombre,Stock,Precio,Fecha,Bajo mínimo\r\n";
    assert!(bytes.starts_with(header.as_bytes()), "{:?}", String::from_utf8_lossy(&bytes[..60]));
}

fn workbook(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes)).expect("an XLSX calamine reads")
}

#[test]
fn xlsx_reads_back_with_typed_cells_headers_and_accents() {
    let bytes = to_bytes(&sample(), ExportFormat::Xlsx, Lang::Es).expect("xlsx");
    let mut book = workbook(bytes);
    assert_eq!(book.sheet_names(), ["Inventario"]);
    let range = book.worksheet_range("Inventario").expect("the sheet");
    assert_eq!(range.get_size(), (4, 6), "the header and three rows of six columns");
    let rows: Vec<&[Data]> = range.rows().collect();
    let headers: Vec<String> = rows[0].iter().map(|cell| cell.to_string()).collect();
    assert_eq!(headers, ["Referencia", "Nombre", "Stock", "Precio", "Fecha", "Bajo mínimo"]);
    assert_eq!(rows[1][1], Data::String("Batería de litio 48 V; «añadida»".into()));
    assert_eq!(rows[1][2], Data::Float(12.0), "a number is a number, not text");
    assert_eq!(rows[1][3], Data::Float(1.5));
    assert!(rows[1][4].is_datetime(), "a date-time is a date: {:?}", rows[1][4]);
    assert_eq!(rows[1][4].as_datetime(), Some(at(15, 30)));
    assert_eq!(rows[1][5], Data::Bool(false));
    assert_eq!(rows[2][1], Data::String("Controlador \"pro\"\nsegunda línea".into()));
    assert_eq!(rows[2][2], Data::Float(-3.0));
    assert_eq!(rows[2][3], Data::Empty);
    assert_eq!(rows[2][5], Data::Bool(true));
    // In XLSX a text is stored as text: nothing to mark.
    assert_eq!(rows[3][0], Data::String("=SUM(A1)".into()));
    assert_eq!(rows[3][1], Data::Empty);
}

/// A part of the XLSX package, as text.
fn xml_part(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).expect("an XLSX is a zip");
    let mut part = archive.by_name(name).expect("the part");
    let mut text = String::new();
    part.read_to_string(&mut text).expect("XML text");
    text
}

#[test]
fn xlsx_header_row_is_bold_frozen_filtered_and_columns_fit_their_values() {
    let bytes = to_bytes(&sample(), ExportFormat::Xlsx, Lang::Es).expect("xlsx");
    let sheet = xml_part(&bytes, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains(r#"ySplit="1""#) && sheet.contains(r#"state="frozen""#), "frozen below the header: {sheet}");
    assert!(sheet.contains(r#"<autoFilter ref="A1:F4"/>"#), "a filter over the header: {sheet}");
    let styles = xml_part(&bytes, "xl/styles.xml");
    assert!(styles.contains("<b/>"), "a bold font among the styles: {styles}");
    // The header cells use that style (s="1"), the data cells do not.
    assert!(sheet.contains(r#"<c r="A1" s="1" t="s">"#), "{sheet}");
    assert!(sheet.contains(r#"<c r="A2" t="s">"#), "{sheet}");
    // The name column is as wide as its longest line (32 characters, plus one), the stock
    // column as its header (5 characters, plus two for the bold, plus one; above the minimum).
    assert!(sheet.contains(r#"<col min="2" max="2" width="33.7109375" customWidth="1"/>"#), "{sheet}");
    assert!(sheet.contains(r#"<col min="3" max="3" width="8.7109375" customWidth="1"/>"#), "{sheet}");
}

#[test]
fn a_row_of_another_width_is_refused() {
    let mut table = Table::new("x", vec![column("a", "A"), column("b", "B")]);
    let error = table.push(vec![Cell::Integer(1)]).expect_err("one cell for two columns");
    assert_eq!(error.code(), "invalid_input");
    assert!(table.rows().is_empty());
}

#[test]
fn sheet_names_are_cut_to_what_xlsx_allows() {
    assert_eq!(
        Table::new("Traslados: PENDIENTE/ALISTAMIENTO [todos]", vec![]).sheet(),
        "Traslados- PENDIENTE-ALISTAMIEN"
    );
    assert_eq!(Table::new("  ", vec![]).sheet(), "Taller");
    // An empty table is still a file: the header alone.
    let bytes = to_bytes(&Table::new("Vacía", vec![column("a", "Ñandú")]), ExportFormat::Xlsx, Lang::Es).expect("xlsx");
    let range = workbook(bytes).worksheet_range("Vacía").expect("sheet");
    assert_eq!(range.get_size(), (1, 1));
    assert_eq!(range.get((0, 0)), Some(&Data::String("Ñandú".into())));
}

/// The files in a folder, by name.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read the folder")
        .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_new_file_never_replaces_another_it_is_numbered() {
    let dir = tempfile::tempdir().expect("temp dir");
    let downloads = dir.path().join("Descargas");
    let name = "inventario-taller-norte-2026-12-03-1530.csv".to_owned();
    let placement = Placement::NewIn { dir: downloads.clone(), name: name.clone() };
    let table = sample();
    let first = write(&table, ExportFormat::Csv, Lang::Es, &placement).expect("first");
    assert_eq!(first, downloads.join(&name), "the folder is created");
    std::fs::write(&first, "kept").expect("mark the first file");
    let second = write(&table, ExportFormat::Csv, Lang::Es, &placement).expect("second");
    let third = write(&table, ExportFormat::Csv, Lang::Es, &placement).expect("third");
    assert_eq!(second, downloads.join("inventario-taller-norte-2026-12-03-1530-2.csv"));
    assert_eq!(third, downloads.join("inventario-taller-norte-2026-12-03-1530-3.csv"));
    assert_eq!(std::fs::read_to_string(&first).expect("first"), "kept", "the first file is untouched");
    assert_eq!(read_csv(&std::fs::read(&third).expect("third"), b';').len(), 4);
    assert_eq!(files_in(&downloads).len(), 3, "no temporary file is left: {:?}", files_in(&downloads));
}

#[test]
fn an_out_path_is_replaced_whole_and_a_failed_export_leaves_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("stock.xlsx");
    std::fs::write(&out, "an older file").expect("an older file");
    let written = write(&sample(), ExportFormat::Xlsx, Lang::Es, &Placement::Replace(out.clone())).expect("export");
    assert_eq!(written, out);
    let range = workbook(std::fs::read(&out).expect("read")).worksheet_range("Inventario").expect("sheet");
    assert_eq!(range.get_size(), (4, 6));
    assert_eq!(files_in(dir.path()), ["stock.xlsx"]);

    // Into a folder that does not exist: refused with its code, and nothing is written.
    let missing = dir.path().join("no-such-folder").join("stock.csv");
    let error =
        write(&sample(), ExportFormat::Csv, Lang::Es, &Placement::Replace(missing.clone())).expect_err("no folder");
    assert_eq!(error.code(), "export_failed");
    assert_eq!(error.params()["path"], missing.display().to_string());
    assert!(
        error.message(Lang::Es).starts_with("No se pudo guardar la exportación en "),
        "{}",
        error.message(Lang::Es)
    );
    assert!(!missing.exists());

    // Over a folder: the temporary file was written and synced, the rename fails, and the
    // temporary file goes with it.
    let folder = dir.path().join("a-folder.csv");
    std::fs::create_dir(folder.join("")).expect("a folder");
    std::fs::write(folder.join("inside"), "x").expect("a file inside");
    let error = write(&sample(), ExportFormat::Csv, Lang::Es, &Placement::Replace(folder)).expect_err("a folder");
    assert_eq!(error.code(), "export_failed");
    assert_eq!(files_in(dir.path()), ["a-folder.csv", "stock.xlsx"], "no temporary file is left");
}

#[test]
fn file_names_are_readable_slugs_with_the_minute() {
    assert_eq!(
        file_name("Inventario", Some("Taller Norte"), at(15, 30), ExportFormat::Xlsx),
        "inventario-taller-norte-2026-12-03-1530.xlsx"
    );
    assert_eq!(file_name("traslados", None, at(9, 5), ExportFormat::Csv), "traslados-2026-12-03-0905.csv");
    assert_eq!(file_name("garantías", Some("¿?"), at(9, 5), ExportFormat::Csv), "garantias-2026-12-03-0905.csv");
    assert_eq!(slug("  Taller Norte (Ñuñoa) / Bodega  "), "taller-norte-nunoa-bodega");
    assert_eq!(slug("CONTEOS ÚLTIMOS"), "conteos-ultimos");
    assert_eq!(numbered("a.b.xlsx", 2), "a.b-2.xlsx");
    assert_eq!(numbered("sin-extension", 3), "sin-extension-3");
}

#[test]
fn formats_parse_from_names_and_paths() {
    assert_eq!(ExportFormat::parse(" XLSX "), Some(ExportFormat::Xlsx));
    assert_eq!(ExportFormat::parse("csv"), Some(ExportFormat::Csv));
    assert_eq!(ExportFormat::parse("xls"), None);
    assert_eq!(ExportFormat::of_path(Path::new("out/Stock.CSV")), Some(ExportFormat::Csv));
    assert_eq!(ExportFormat::of_path(Path::new("stock")), None);
}

#[test]
fn the_downloads_folder_is_the_xdg_one_else_descargas_or_downloads() {
    let home = Path::new("/home/ana");
    let none = |_: &Path| false;
    let xdg = "# written by xdg-user-dirs-update\nXDG_DESKTOP_DIR=\"$HOME/Escritorio\"\nXDG_DOWNLOAD_DIR=\"$HOME/Descargas/taller\"\n";
    assert_eq!(downloads_dir_in(home, Some(xdg), Lang::En, none), home.join("Descargas/taller"));
    let absolute = "XDG_DOWNLOAD_DIR=\"/srv/compartido\"";
    assert_eq!(downloads_dir_in(home, Some(absolute), Lang::Es, none), PathBuf::from("/srv/compartido"));
    // The home folder itself means the directory is disabled: the fallbacks apply.
    let disabled = "XDG_DOWNLOAD_DIR=\"$HOME/\"";
    assert_eq!(downloads_dir_in(home, Some(disabled), Lang::Es, none), home.join("Descargas"));
    assert_eq!(downloads_dir_in(home, None, Lang::En, none), home.join("Downloads"));
    // The folder that exists wins over the language's.
    let only_downloads = |path: &Path| path.ends_with("Downloads");
    assert_eq!(downloads_dir_in(home, None, Lang::Es, only_downloads), home.join("Downloads"));
    let both = |_: &Path| true;
    assert_eq!(downloads_dir_in(home, None, Lang::Es, both), home.join("Descargas"));
}

#[test]
fn paths_under_the_home_folder_are_shown_from_it() {
    let home = Path::new("/home/ana");
    let file = home.join("Descargas/inventario.xlsx");
    assert_eq!(shown_path(&file, Some(home)), "~/Descargas/inventario.xlsx");
    assert_eq!(shown_path(Path::new("/srv/x.csv"), Some(home)), "/srv/x.csv");
    assert_eq!(shown_path(home, Some(home)), "/home/ana");
    assert_eq!(shown_path(&file, None), "/home/ana/Descargas/inventario.xlsx");
}
