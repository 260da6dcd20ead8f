//! Importing parts from CSV on the seeded workstation of `tests.rs` (parts BAT-48V, CTL-48V,
//! FRN-01, MTR-500W), offline: the preview of what a Spanish spreadsheet exports, every kind
//! of row and file error with its spreadsheet row, and an apply that writes every row with its
//! outbox entry or nothing at all.

use super::import::preview;
use super::tests::{conn_of, workstation};
use super::*;
use crate::error::ClientError;
use chrono::{NaiveDate, Utc};
use taller_domain::RejectionCode;
use taller_protocol::mutations::PartCreate;

fn input(text: &str) -> ImportInput {
    ImportInput { text: text.to_owned() }
}

/// Parts in the replica and entries in the outbox.
fn counts(client: &Session) -> (i64, i64) {
    let replica = conn_of(client);
    let count = |sql: &str| replica.conn.query_row(sql, [], |row| row.get::<_, i64>(0)).expect("count");
    (count("SELECT count(*) FROM repuestos"), count("SELECT count(*) FROM outbox"))
}

/// Each row's (row number, error codes).
fn row_codes(preview: &ImportPreview) -> Vec<(u32, Vec<&'static str>)> {
    preview.rows.iter().map(|row| (row.row, row.errors.iter().map(|e| e.code.as_str()).collect())).collect()
}

fn file_codes(preview: &ImportPreview) -> Vec<&'static str> {
    preview.issues.iter().map(|issue| issue.code.as_str()).collect()
}

#[test]
fn a_spanish_spreadsheet_export_is_previewed_ready_with_its_values() {
    let (_dir, client) = workstation();
    let text = "\u{feff}REFERENCIA;Nombre;Descripción;marca;Fecha estimada\r\n\
                tor-m5 ;Tornillo M5;\"Acero; zincado\";Xiaomi;31/12/2026\r\n\
                CBL-01;Cable de freno;;;46387,5\r\n\
                ;;;;\r\n";
    let preview = client.preview_import(&input(text)).expect("preview");
    assert_eq!(preview.separator, ";", "sniffed from the header");
    assert!(preview.ready, "{preview:#?}");
    assert_eq!((preview.errors, preview.warnings, preview.rows_with_errors), (0, 0, 0));
    assert_eq!(
        preview.columns.iter().map(|c| c.field).collect::<Vec<_>>(),
        [
            Some(ImportField::Referencia),
            Some(ImportField::Nombre),
            Some(ImportField::Descripcion),
            Some(ImportField::Marca),
            Some(ImportField::FechaEstimada)
        ]
    );
    assert_eq!(preview.rows.len(), 2, "the empty row is skipped");
    let first = &preview.rows[0];
    assert_eq!(first.row, 2, "the header is row 1");
    assert_eq!(first.referencia, "TOR-M5", "as stored: trimmed, upper case");
    assert_eq!(first.nombre, "Tornillo M5");
    assert_eq!(first.descripcion.as_deref(), Some("Acero; zincado"), "a quoted separator");
    assert_eq!(first.marca.as_deref(), Some("Xiaomi"));
    assert_eq!(first.fecha_estimada, NaiveDate::from_ymd_opt(2026, 12, 31));
    let second = &preview.rows[1];
    assert_eq!((second.row, second.marca.as_deref(), second.descripcion.as_deref()), (3, None, None));
    assert_eq!(second.fecha_estimada, NaiveDate::from_ymd_opt(2026, 12, 31), "a day number, decimal comma");

    let english = client.preview_import(&input("Reference,Name,Brand\nab-1,Bolt,Acme\n")).expect("preview");
    assert_eq!(english.separator, ",");
    assert!(english.ready);
    assert_eq!((english.rows[0].referencia.as_str(), english.rows[0].marca.as_deref()), ("AB-1", Some("Acme")));
}

#[test]
fn every_row_error_is_on_its_spreadsheet_row_with_a_code_and_a_spanish_message() {
    let (_dir, client) = workstation();
    let text = "Referencia;Nombre;Fecha estimada;Precio\n\
                TOR-M5;Tornillo M5;;1,50\n\
                ;Sin referencia;;\n\
                CBL-01;;;\n\
                tor-m5;Tornillo repetido;;\n\
                bat-48v;Batería otra vez;;\n\
                PST-01;Pastilla;pronto;\n\
                EXT-01;Extra;;;sobra\n";
    let preview = client.preview_import(&input(text)).expect("preview");
    assert!(!preview.ready);
    assert_eq!(
        row_codes(&preview),
        [
            (2, vec![]),
            (3, vec!["missing_reference"]),
            (4, vec!["missing_name"]),
            (5, vec!["duplicate_reference"]),
            (6, vec!["reference_exists"]),
            (7, vec!["bad_date"]),
            (8, vec!["extra_values"]),
        ]
    );
    assert_eq!(file_codes(&preview), ["unknown_column"]);
    assert_eq!(preview.issues[0].severity, ImportSeverity::Warning);
    assert_eq!((preview.errors, preview.warnings, preview.rows_with_errors), (6, 1, 6));
    let message = |row: usize| preview.rows[row].errors[0].message.as_str();
    assert_eq!(message(3), "La referencia TOR-M5 ya está en la fila 2 del archivo.");
    assert!(message(4).starts_with("Ya existe un repuesto con la referencia BAT-48V"), "{}", message(4));
    assert_eq!(message(5), "«pronto» no es una fecha: escriba 31/12/2026 o 2026-12-31.");
    assert!(preview.issues[0].message.contains("«Precio»"), "{}", preview.issues[0].message);
    assert_eq!(preview.rows[4].errors[0].field, Some(ImportField::Referencia));

    let en = preview_in_english(text);
    assert_eq!(en.rows[3].errors[0].message, "The reference TOR-M5 is already in row 2 of the file.");
    assert_eq!(en.rows[2].errors[0].message, "The name is missing.");
}

fn preview_in_english(text: &str) -> ImportPreview {
    preview(text, Lang::En, &|referencia| Ok(referencia == "BAT-48V")).expect("preview")
}

#[test]
fn file_errors_empty_header_only_missing_columns_too_long_and_too_many_rows() {
    let (_dir, client) = workstation();
    for text in ["", "\u{feff}", "Referencia;Nombre\n", "Referencia;Nombre\n;\n"] {
        let preview = client.preview_import(&input(text)).expect("preview");
        assert_eq!(file_codes(&preview), ["empty_file"], "{text:?}");
        assert!(!preview.ready && preview.errors == 1, "{text:?}");
    }
    let no_name = client.preview_import(&input("Referencia;Marca\nA-1;Acme\n")).expect("preview");
    assert_eq!(file_codes(&no_name), ["missing_column"]);
    assert_eq!(no_name.issues[0].message, "Falta la columna «Nombre» en el encabezado.");
    assert_eq!(row_codes(&no_name), [(2, vec![])], "the missing column is said once, not on every row");
    let twice = client.preview_import(&input("Referencia;Ref;Nombre\nA-1;A-2;x\n")).expect("preview");
    assert_eq!(file_codes(&twice), ["duplicate_column"]);

    let long = format!("Referencia;Nombre\nA-1;{}\n", "n".repeat(201));
    let long = client.preview_import(&input(&long)).expect("preview");
    assert_eq!(row_codes(&long), [(2, vec!["bad_value"])], "part.create's own text limit");

    let mut many = String::from("Referencia;Nombre\n");
    for n in 0..=MAX_IMPORT_ROWS {
        many.push_str(&format!("R-{n};Repuesto {n}\n"));
    }
    let many = client.preview_import(&input(&many)).expect("preview");
    assert_eq!(file_codes(&many), ["too_many_rows"]);
    assert_eq!(many.rows.len(), MAX_IMPORT_ROWS, "the rows beyond the limit are counted, not shown");
    assert!(many.issues[0].message.contains(&format!("{} filas", MAX_IMPORT_ROWS + 1)), "{}", many.issues[0].message);
    assert!(!many.ready);
}

#[test]
fn a_file_with_errors_is_refused_whole_and_writes_nothing() {
    let (_dir, client) = workstation();
    let before = counts(&client);
    let text = "Referencia;Nombre\nTOR-M5;Tornillo\nCBL-01;\n";
    let refused = client.import_parts(&input(text)).expect_err("an error in row 3");
    assert!(matches!(refused, ClientError::ImportHasErrors { errors: 1 }), "{refused:?}");
    assert_eq!(refused.code(), "import_has_errors");
    assert_eq!(
        refused.message(Lang::Es),
        "El archivo tiene 1 error(es): corríjalos y vuelva a importarlo. No se importó nada."
    );
    assert_eq!(counts(&client), before, "not even row 2");
}

#[test]
fn a_clean_file_becomes_one_part_create_per_row_in_one_commit() {
    let (_dir, client) = workstation();
    let (parts, outbox) = counts(&client);
    let text = "Referencia,Nombre,Marca\nTOR-M5,Tornillo M5,Acme\nCBL-01,Cable de freno,\nPST-01,Pastilla,Xiaomi\n";
    let done = client.import_parts(&input(text)).expect("imported");
    assert_eq!(done.created, 3);
    assert_eq!(done.ids.len(), 3);
    assert_eq!(done.pending, outbox + 3);
    assert_eq!(done.message, "Se importaron 3 repuestos; se enviarán al servidor al sincronizar.");
    assert_eq!(counts(&client), (parts + 3, outbox + 3));
    let replica = conn_of(&client);
    let mut statement = replica.conn.prepare("SELECT id, name, args FROM outbox ORDER BY seq").expect("sql");
    let entries: Vec<(String, String, String)> = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .expect("rows")
        .collect::<std::result::Result<_, _>>()
        .expect("entries");
    drop(statement);
    let last: Vec<_> = entries.iter().rev().take(3).rev().collect();
    assert!(last.iter().all(|(_, name, _)| name == "part.create"));
    let ids: std::collections::BTreeSet<_> = last.iter().map(|(id, _, _)| id).collect();
    assert_eq!(ids.len(), 3, "each mutation its own id");
    let args: Vec<Value> = last.iter().map(|(_, _, args)| serde_json::from_str(args).expect("json")).collect();
    assert_eq!(args[0]["referencia"], "TOR-M5");
    assert_eq!(args[2]["marca"], "Xiaomi");
    assert_eq!(
        args.iter().map(|a| a["id_repuesto"].as_str().unwrap_or_default().to_owned()).collect::<Vec<_>>(),
        done.ids.iter().map(Uuid::to_string).collect::<Vec<_>>()
    );
    drop(replica);
    assert_eq!(client.part("cbl-01").expect("created locally").nombre, "Cable de freno");
    let again = client.preview_import(&input(text)).expect("preview");
    assert_eq!(row_codes(&again).iter().filter(|(_, c)| c == &["reference_exists"]).count(), 3);
}

fn new_part(id: Uuid, referencia: &str) -> Mutation {
    Mutation::PartCreate(PartCreate {
        id_repuesto: id,
        referencia: referencia.into(),
        nombre: format!("Repuesto {referencia}"),
        tipo: None,
        marca: None,
        descripcion: None,
        fecha_estimada: None,
        url_imagen: None,
    })
}

#[test]
fn a_mutation_refused_after_others_were_staged_rolls_them_all_back() {
    let (_dir, client) = workstation();
    let before = counts(&client);
    let first = Uuid::now_v7();
    // The third reuses the first one's id: its local decision refuses it, after the first two
    // were inserted and queued in the same transaction.
    let batch = [new_part(first, "AAA-1"), new_part(Uuid::now_v7(), "AAA-2"), new_part(first, "AAA-3")];
    let refused = client.act_all_built(Utc::now(), |_| Ok(batch.to_vec())).expect_err("id taken");
    let ClientError::Rejected(rechazo) = &refused else { panic!("{refused:?}") };
    assert_eq!(rechazo.code, RejectionCode::AlreadyExists, "{rechazo:?}");
    assert_eq!(counts(&client), before, "neither AAA-1 nor AAA-2 is left behind");
    assert!(client.part("AAA-1").is_err());

    let built = client.act_all_built(Utc::now(), |_| Err(ClientError::Invalid("no".into())));
    assert!(built.is_err());
    assert_eq!(counts(&client), before);

    let queued = client.act_all_built(Utc::now(), |_| Ok(batch[..2].to_vec())).expect("two");
    assert_eq!(queued.len(), 2);
    assert_eq!((queued[0].pending, queued[1].pending), (before.1 + 2, before.1 + 2));
    assert!(queued[0].seq < queued[1].seq);
    assert_eq!(counts(&client), (before.0 + 2, before.1 + 2));
}
