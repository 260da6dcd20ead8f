//! Importing parts from a CSV file (decision 0019): a preview of every row with its parsed
//! values and its problems, then, only when it has no error, every row a `part.create` of its
//! own, all committed in one local transaction with their outbox entries
//! ([`Session::act_all_built`]): a failure writes nothing, and it works offline.
//!
//! What a Spanish spreadsheet exports is read: UTF-8 with or without a BOM, `;` or `,` as
//! the separator (sniffed from the header), Spanish or English column names matched without
//! accents or case, dates as `2026-12-31`, `31/12/2026` or a spreadsheet's day number (with a
//! decimal comma or point).

use super::import_types::*;
use crate::error::{ClientError, Result};
use crate::session::Session;
use chrono::{Duration, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;
use taller_domain::text::normalize_reference;
use taller_domain::Lang;
use taller_protocol::mutations::{Mutation, PartCreate};
use uuid::Uuid;

impl Session {
    /// What importing `input.text` would do, against the parts the replica has now. Never
    /// writes; a file with problems is a preview with errors, not an error.
    pub fn preview_import(&self, input: &ImportInput) -> Result<ImportPreview> {
        let lang = self.lang();
        self.read(|conn| preview(&input.text, lang, &|referencia| reference_exists(conn, referencia)))
    }

    /// Imports the parts of `input.text`: the file is previewed again inside the action's own
    /// transaction, and only when it has no error does every row become a `part.create`, all
    /// committed with their outbox entries at once. A file with errors is `import_has_errors`
    /// and nothing is written; a row the local decision refuses writes nothing either.
    pub fn import_parts(&self, input: &ImportInput) -> Result<ImportDone> {
        let lang = self.lang();
        let queued = self.act_all_built(Utc::now(), |conn| {
            let preview = preview(&input.text, lang, &|referencia| reference_exists(conn, referencia))?;
            if !preview.ready {
                return Err(ClientError::ImportHasErrors { errors: preview.errors });
            }
            Ok(preview.rows.into_iter().map(|row| Mutation::PartCreate(part_create(row))).collect())
        })?;
        let created = u32::try_from(queued.len()).unwrap_or(u32::MAX);
        let pending = queued.last().map_or(0, |last| last.pending);
        let ids = queued
            .iter()
            .filter_map(|queued| queued.result.get("id_repuesto").and_then(|id| id.as_str()?.parse().ok()))
            .collect();
        Ok(ImportDone { created, ids, pending, message: done_message(lang, created) })
    }
}

/// The `part.create` of a row that has no error.
fn part_create(row: ImportRow) -> PartCreate {
    PartCreate {
        id_repuesto: Uuid::now_v7(),
        referencia: row.referencia,
        nombre: row.nombre,
        tipo: row.tipo,
        marca: row.marca,
        descripcion: row.descripcion,
        fecha_estimada: row.fecha_estimada,
        url_imagen: row.url_imagen,
    }
}

/// Whether a part of the replica has the reference (as stored: normalised).
fn reference_exists(conn: &Connection, referencia: &str) -> Result<bool> {
    Ok(conn
        .query_row("SELECT 1 FROM repuestos WHERE referencia = ?1 LIMIT 1", [referencia], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The preview of a CSV text; `exists` says whether the replica has a (normalised) reference.
pub(crate) fn preview(text: &str, lang: Lang, exists: &dyn Fn(&str) -> Result<bool>) -> Result<ImportPreview> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let separator = sniff_separator(text);
    let mut preview = ImportPreview {
        separator: char::from(separator).to_string(),
        columns: Vec::new(),
        rows: Vec::new(),
        issues: Vec::new(),
        errors: 0,
        warnings: 0,
        rows_with_errors: 0,
        ready: false,
    };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(separator).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err(error)) => {
            preview.issues.push(file_error(ImportCode::BadCsv, bad_csv(lang, &error)));
            return Ok(finish(preview));
        }
        None => {
            preview.issues.push(file_error(ImportCode::EmptyFile, empty_file(lang)));
            return Ok(finish(preview));
        }
    };
    let mut fields: Vec<Option<ImportField>> = Vec::with_capacity(header.len());
    for name in header.iter() {
        let field = field_of(name);
        if let Some(field) = field {
            if fields.contains(&Some(field)) {
                preview.issues.push(ImportIssue {
                    field: Some(field),
                    ..file_error(ImportCode::DuplicateColumn, duplicate_column(lang, name.trim()))
                });
            }
        } else if !name.trim().is_empty() {
            preview.issues.push(ImportIssue {
                severity: ImportSeverity::Warning,
                ..file_error(ImportCode::UnknownColumn, unknown_column(lang, name.trim()))
            });
        }
        fields.push(field);
        preview.columns.push(ImportColumn { header: name.trim().to_owned(), field });
    }
    for required in [ImportField::Referencia, ImportField::Nombre] {
        if !fields.contains(&Some(required)) {
            preview.issues.push(ImportIssue {
                field: Some(required),
                ..file_error(ImportCode::MissingColumn, missing_column(lang, required))
            });
        }
    }
    let has = |field| fields.contains(&Some(field));
    let (check_reference, check_name) = (has(ImportField::Referencia), has(ImportField::Nombre));
    let mut first_row_of: HashMap<String, u32> = HashMap::new();
    let mut rows = 0usize;
    for (index, record) in records.enumerate() {
        let row = u32::try_from(index + 2).unwrap_or(u32::MAX);
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                preview
                    .issues
                    .push(ImportIssue { row: Some(row), ..file_error(ImportCode::BadCsv, bad_csv(lang, &error)) });
                break;
            }
        };
        if record.iter().all(|value| value.trim().is_empty()) {
            continue; // a spreadsheet's empty row (`;;;;`)
        }
        rows += 1;
        if rows > MAX_IMPORT_ROWS {
            continue; // counted, not parsed
        }
        let mut parsed = ImportRow {
            row,
            referencia: String::new(),
            nombre: String::new(),
            tipo: None,
            marca: None,
            descripcion: None,
            fecha_estimada: None,
            url_imagen: None,
            errors: Vec::new(),
        };
        let error = |code, field, message| ImportIssue {
            code,
            severity: ImportSeverity::Error,
            row: Some(row),
            field,
            message,
        };
        let mut errors = Vec::new();
        for (at, value) in record.iter().enumerate() {
            let value = value.trim();
            let Some(field) = fields.get(at) else {
                if !value.is_empty() && !errors.iter().any(|e: &ImportIssue| e.code == ImportCode::ExtraValues) {
                    errors.push(error(ImportCode::ExtraValues, None, extra_values(lang, fields.len())));
                }
                continue;
            };
            let text = (!value.is_empty()).then(|| value.to_owned());
            match field {
                None => {}
                Some(ImportField::Referencia) => parsed.referencia = normalize_reference(value),
                Some(ImportField::Nombre) => parsed.nombre = value.to_owned(),
                Some(ImportField::Tipo) => parsed.tipo = text,
                Some(ImportField::Marca) => parsed.marca = text,
                Some(ImportField::Descripcion) => parsed.descripcion = text,
                Some(ImportField::UrlImagen) => parsed.url_imagen = text,
                Some(ImportField::FechaEstimada) => match parse_date(value) {
                    Ok(date) => parsed.fecha_estimada = date,
                    Err(()) => {
                        errors.push(error(ImportCode::BadDate, Some(ImportField::FechaEstimada), bad_date(lang, value)))
                    }
                },
            }
        }
        if check_reference && parsed.referencia.is_empty() {
            errors.push(error(ImportCode::MissingReference, Some(ImportField::Referencia), missing_reference(lang)));
        }
        if check_name && parsed.nombre.is_empty() {
            errors.push(error(ImportCode::MissingName, Some(ImportField::Nombre), missing_name(lang)));
        }
        if !parsed.referencia.is_empty() {
            if let Some(first) = first_row_of.get(&parsed.referencia) {
                let message = duplicate_reference(lang, &parsed.referencia, *first);
                errors.push(error(ImportCode::DuplicateReference, Some(ImportField::Referencia), message));
            } else {
                first_row_of.insert(parsed.referencia.clone(), row);
            }
            if exists(&parsed.referencia)? {
                let message = reference_exists_message(lang, &parsed.referencia);
                errors.push(error(ImportCode::ReferenceExists, Some(ImportField::Referencia), message));
            }
        }
        if !parsed.referencia.is_empty() && !parsed.nombre.is_empty() {
            // The very check `part.create` runs on both sides (a text too long for its column).
            let args = part_create(parsed.clone());
            if let Err(rechazo) = taller_protocol::validate::part_create(&args) {
                let field = rechazo.params.get("field").and_then(|field| field.as_str()).and_then(field_of);
                errors.push(error(ImportCode::BadValue, field, rechazo.message(lang)));
            }
        }
        parsed.errors = errors;
        preview.rows.push(parsed);
    }
    if rows > MAX_IMPORT_ROWS {
        preview.issues.push(file_error(ImportCode::TooManyRows, too_many_rows(lang, rows)));
    } else if rows == 0 && !preview.issues.iter().any(|issue| issue.code == ImportCode::BadCsv) {
        preview.issues.push(file_error(ImportCode::EmptyFile, empty_file(lang)));
    }
    Ok(finish(preview))
}

/// The counts of a preview, and whether it may be applied.
fn finish(mut preview: ImportPreview) -> ImportPreview {
    let count = |issues: &[ImportIssue], severity| issues.iter().filter(|issue| issue.severity == severity).count();
    let row_errors: usize = preview.rows.iter().map(|row| row.errors.len()).sum();
    let total = count(&preview.issues, ImportSeverity::Error) + row_errors;
    preview.errors = u32::try_from(total).unwrap_or(u32::MAX);
    preview.warnings = u32::try_from(count(&preview.issues, ImportSeverity::Warning)).unwrap_or(u32::MAX);
    preview.rows_with_errors =
        u32::try_from(preview.rows.iter().filter(|row| !row.errors.is_empty()).count()).unwrap_or(u32::MAX);
    preview.ready = preview.errors == 0 && !preview.rows.is_empty();
    preview
}

fn file_error(code: ImportCode, message: String) -> ImportIssue {
    ImportIssue { code, severity: ImportSeverity::Error, row: None, field: None, message }
}

/// The separator the header uses most, outside quotes: `;` (what a Spanish spreadsheet
/// writes), `,`, or a tab (cells copied from a spreadsheet and pasted); `,` when none.
fn sniff_separator(text: &str) -> u8 {
    let (mut semicolons, mut commas, mut tabs, mut quoted) = (0, 0, 0, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => break,
            ';' if !quoted => semicolons += 1,
            ',' if !quoted => commas += 1,
            '\t' if !quoted => tabs += 1,
            _ => {}
        }
    }
    if tabs > semicolons && tabs > commas {
        b'\t'
    } else if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// A header name folded: lower case, without accents, words joined by `_`.
fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        let c = match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            other => other,
        };
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c);
        } else {
            gap = true;
        }
    }
    out
}

/// The field a header names, Spanish or English, accents and case ignored.
fn field_of(name: &str) -> Option<ImportField> {
    Some(match fold(name).as_str() {
        "referencia" | "ref" | "reference" | "sku" | "codigo" | "code" => ImportField::Referencia,
        "nombre" | "name" => ImportField::Nombre,
        "tipo" | "type" | "categoria" | "category" => ImportField::Tipo,
        "marca" | "brand" => ImportField::Marca,
        "descripcion" | "description" => ImportField::Descripcion,
        "fecha_estimada" | "fecha" | "fecha_de_reposicion" | "estimated_date" | "restock_date" | "eta" => {
            ImportField::FechaEstimada
        }
        "url_imagen" | "imagen" | "url_de_la_imagen" | "image_url" | "image" => ImportField::UrlImagen,
        _ => return None,
    })
}

/// A restock date: `2026-12-31`, `31/12/2026`, `31-12-2026`, `31.12.2026`, or a spreadsheet's
/// day number (days since 1899-12-30, a fraction of a day ignored; decimal comma or point).
/// Empty is no date.
fn parse_date(value: &str) -> Result<Option<NaiveDate>, ()> {
    if value.is_empty() {
        return Ok(None);
    }
    for format in ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"] {
        if let Ok(date) = NaiveDate::parse_from_str(value, format) {
            return Ok(Some(date));
        }
    }
    let number: f64 = value.replace(',', ".").parse().map_err(|_| ())?;
    // 1 is 1900-01-01 and 2958465 is 9999-12-31 in a spreadsheet.
    if !(1.0..2_958_466.0).contains(&number) {
        return Err(());
    }
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).ok_or(())?;
    #[allow(clippy::cast_possible_truncation)] // bounded just above
    let days = number.floor() as i64;
    epoch.checked_add_signed(Duration::days(days)).map(Some).ok_or(())
}

fn field_label(field: ImportField, lang: Lang) -> &'static str {
    match (field, lang) {
        (ImportField::Referencia, Lang::Es) => "Referencia",
        (ImportField::Referencia, Lang::En) => "Reference",
        (ImportField::Nombre, Lang::Es) => "Nombre",
        (ImportField::Nombre, Lang::En) => "Name",
        (ImportField::Tipo, Lang::Es) => "Tipo",
        (ImportField::Tipo, Lang::En) => "Type",
        (ImportField::Marca, Lang::Es) => "Marca",
        (ImportField::Marca, Lang::En) => "Brand",
        (ImportField::Descripcion, Lang::Es) => "Descripción",
        (ImportField::Descripcion, Lang::En) => "Description",
        (ImportField::FechaEstimada, Lang::Es) => "Fecha estimada",
        (ImportField::FechaEstimada, Lang::En) => "Restock date",
        (ImportField::UrlImagen, Lang::Es) => "URL de imagen",
        (ImportField::UrlImagen, Lang::En) => "Image URL",
    }
}

fn empty_file(lang: Lang) -> String {
    match lang {
        Lang::Es => "El archivo está vacío: hace falta una fila de encabezado (Referencia;Nombre;…) y al menos una fila de repuesto.".into(),
        Lang::En => "The file is empty: it needs a header row (Reference,Name,…) and at least one part row.".into(),
    }
}

fn too_many_rows(lang: Lang, rows: usize) -> String {
    match lang {
        Lang::Es => format!("El archivo tiene {rows} filas; se importan como máximo {MAX_IMPORT_ROWS} a la vez: divídalo en varios archivos."),
        Lang::En => format!("The file has {rows} rows; at most {MAX_IMPORT_ROWS} are imported at a time: split it into several files."),
    }
}

fn bad_csv(lang: Lang, error: &csv::Error) -> String {
    match lang {
        Lang::Es => format!("El archivo no se puede leer como CSV: {error}"),
        Lang::En => format!("The file cannot be read as CSV: {error}"),
    }
}

fn missing_column(lang: Lang, field: ImportField) -> String {
    let label = field_label(field, lang);
    match lang {
        Lang::Es => format!("Falta la columna «{label}» en el encabezado."),
        Lang::En => format!("The header has no “{label}” column."),
    }
}

fn duplicate_column(lang: Lang, name: &str) -> String {
    match lang {
        Lang::Es => format!("La columna «{name}» repite un campo de otra columna del encabezado."),
        Lang::En => format!("The column “{name}” repeats a field of another header column."),
    }
}

fn unknown_column(lang: Lang, name: &str) -> String {
    match lang {
        Lang::Es => format!("La columna «{name}» no es un campo de repuesto: sus valores no se importan."),
        Lang::En => format!("The column “{name}” is not a part field: its values are not imported."),
    }
}

fn extra_values(lang: Lang, columns: usize) -> String {
    match lang {
        Lang::Es => format!("La fila tiene más valores que las {columns} columnas del encabezado."),
        Lang::En => format!("The row has more values than the header's {columns} columns."),
    }
}

fn missing_reference(lang: Lang) -> String {
    match lang {
        Lang::Es => "Falta la referencia.".into(),
        Lang::En => "The reference is missing.".into(),
    }
}

fn missing_name(lang: Lang) -> String {
    match lang {
        Lang::Es => "Falta el nombre.".into(),
        Lang::En => "The name is missing.".into(),
    }
}

fn duplicate_reference(lang: Lang, referencia: &str, first: u32) -> String {
    match lang {
        Lang::Es => format!("La referencia {referencia} ya está en la fila {first} del archivo."),
        Lang::En => format!("The reference {referencia} is already in row {first} of the file."),
    }
}

fn reference_exists_message(lang: Lang, referencia: &str) -> String {
    match lang {
        Lang::Es => {
            format!("Ya existe un repuesto con la referencia {referencia}: quite la fila o edite ese repuesto.")
        }
        Lang::En => format!("A part with the reference {referencia} already exists: remove the row or edit that part."),
    }
}

fn bad_date(lang: Lang, value: &str) -> String {
    match lang {
        Lang::Es => format!("«{value}» no es una fecha: escriba 31/12/2026 o 2026-12-31."),
        Lang::En => format!("“{value}” is not a date: write 31/12/2026 or 2026-12-31."),
    }
}

fn done_message(lang: Lang, created: u32) -> String {
    match (lang, created) {
        (Lang::Es, 1) => "Se importó 1 repuesto; se enviará al servidor al sincronizar.".into(),
        (Lang::Es, n) => format!("Se importaron {n} repuestos; se enviarán al servidor al sincronizar."),
        (Lang::En, 1) => "1 part imported; it is sent to the server with the next sync.".into(),
        (Lang::En, n) => format!("{n} parts imported; they are sent to the server with the next sync."),
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn headers_fold_accents_case_and_spaces() {
        assert_eq!(field_of("Referencia"), Some(ImportField::Referencia));
        assert_eq!(field_of(" REFERENCIA "), Some(ImportField::Referencia));
        assert_eq!(field_of("Descripción"), Some(ImportField::Descripcion));
        assert_eq!(field_of("Fecha estimada"), Some(ImportField::FechaEstimada));
        assert_eq!(field_of("Image URL"), Some(ImportField::UrlImagen));
        assert_eq!(field_of("Precio"), None);
    }

    #[test]
    fn dates_are_iso_spanish_or_a_day_number_with_either_decimal_mark() {
        let date = |y, m, d| Ok(NaiveDate::from_ymd_opt(y, m, d));
        assert_eq!(parse_date("2026-12-31"), date(2026, 12, 31));
        assert_eq!(parse_date("31/12/2026"), date(2026, 12, 31));
        assert_eq!(parse_date("46387"), date(2026, 12, 31));
        assert_eq!(parse_date("46387,75"), date(2026, 12, 31));
        assert_eq!(parse_date("46387.5"), date(2026, 12, 31));
        assert_eq!(parse_date(""), Ok(None));
        assert_eq!(parse_date("31/02/2026"), Err(()));
        assert_eq!(parse_date("pronto"), Err(()));
        assert_eq!(parse_date("-3"), Err(()));
    }

    #[test]
    fn the_separator_is_sniffed_from_the_header_outside_quotes() {
        assert_eq!(sniff_separator("Referencia;Nombre;Marca\nA,1;B;C"), b';');
        assert_eq!(sniff_separator("Reference,Name\n"), b',');
        assert_eq!(sniff_separator("\"Ref;x\",Name\n"), b',');
        assert_eq!(sniff_separator("Referencia\tNombre\n"), b'\t');
    }
}
