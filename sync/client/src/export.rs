//! A list as a file: a [`Table`] (ordered columns with their header labels in the person's
//! language, typed cells) written to CSV or XLSX, atomically. Pure but for the file it
//! writes: what rows a list holds is the use-case API's (`app::export`), which fills tables
//! from the same queries the screens read.
//!
//! - CSV: UTF-8 with a byte-order mark (so a spreadsheet opened by double-click reads "Añadir"
//!   and not "AÃ±adir"), CRLF line ends, fields quoted only when they must be (RFC 4180). The
//!   separators follow the language, as a spreadsheet of that language saves a CSV: Spanish
//!   `;` with a decimal comma, English `,` with a decimal point. Date-times as
//!   `2026-12-03 15:30:00` (local time, no zone), booleans as `sí`/`no` or `yes`/`no`. A text
//!   cell that a spreadsheet would take for a formula (it starts with `=`, `+`, `-`, `@`, a tab
//!   or a carriage return) is written with a leading `'`, as spreadsheets themselves mark text.
//! - XLSX: one sheet, the header row bold and frozen with a filter on it, each column as
//!   wide as its longest value (within bounds), numbers as numbers, date-times as dates
//!   (`yyyy-mm-dd hh:mm`), booleans as booleans, an empty cell as a blank.
//!
//! [`write`] writes the bytes to a temporary file beside the destination and renames it into
//! place: a failed export leaves no partial file, and [`Placement::NewIn`] never replaces an
//! existing one (it takes `name-2.ext`, `name-3.ext`, ...).

use crate::error::{ClientError, Result};
use chrono::{Datelike, NaiveDateTime, Timelike};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use taller_domain::Lang;

/// The most data rows an XLSX sheet holds (1,048,576 rows less the header).
pub const XLSX_MAX_ROWS: usize = 1_048_575;

/// The longest text an XLSX cell holds.
const XLSX_MAX_TEXT: usize = 32_767;

/// Column widths, in characters.
const MIN_WIDTH: usize = 6;
const MAX_WIDTH: usize = 60;

/// The date-time format of XLSX cells.
const XLSX_DATETIME: &str = "yyyy-mm-dd hh:mm";

/// The same in CSV (chrono's spelling).
const CSV_DATETIME: &str = "%Y-%m-%d %H:%M:%S";

/// How many names [`Placement::NewIn`] tries before it gives up (`name-2` ... `name-999`).
const MAX_SUFFIX: u32 = 999;

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing (a NULL: no brand, no position).
    Empty,
    Text(String),
    Integer(i64),
    Decimal(f64),
    /// Wall-clock time where the file is read: the use cases convert the replica's UTC times
    /// to the workstation's local time, as the screens show them.
    DateTime(NaiveDateTime),
    Bool(bool),
}

impl Cell {
    /// Text, or [`Cell::Empty`] for `None`.
    pub fn text(value: Option<impl Into<String>>) -> Cell {
        value.map_or(Cell::Empty, |text| Cell::Text(text.into()))
    }

    /// An integer, or [`Cell::Empty`] for `None`.
    pub fn integer(value: Option<impl Into<i64>>) -> Cell {
        value.map_or(Cell::Empty, |number| Cell::Integer(number.into()))
    }
}

/// A column: a stable key (the field it shows) and its header in the person's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    pub key: &'static str,
    pub label: String,
}

/// A list ready to be written: a sheet name, ordered columns, and rows of exactly as many
/// cells as there are columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    sheet: String,
    columns: Vec<Column>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table. The sheet name is cut to what XLSX allows (31 characters, none of
    /// `[]:*?/\`).
    pub fn new(sheet: &str, columns: Vec<Column>) -> Table {
        let cleaned: String = sheet
            .chars()
            .map(|c| if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') { '-' } else { c })
            .take(31)
            .collect();
        let sheet = if cleaned.trim().is_empty() { "Taller".to_owned() } else { cleaned };
        Table { sheet, columns, rows: Vec::new() }
    }

    /// Adds a row; one of another width than the columns is a programming error, refused as
    /// `invalid_input` rather than written misaligned.
    pub fn push(&mut self, row: Vec<Cell>) -> Result<()> {
        if row.len() != self.columns.len() {
            return Err(ClientError::Invalid(format!(
                "an export row has {} cells for {} columns",
                row.len(),
                self.columns.len()
            )));
        }
        self.rows.push(row);
        Ok(())
    }

    pub fn sheet(&self) -> &str {
        &self.sheet
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    pub fn rows(&self) -> &[Vec<Cell>] {
        &self.rows
    }

    /// The header labels, in order.
    pub fn headers(&self) -> Vec<&str> {
        self.columns.iter().map(|column| column.label.as_str()).collect()
    }
}

/// The file formats a list is exported to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    /// `csv` or `xlsx` (any case); anything else is `None`.
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(ExportFormat::Csv),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }

    /// The format a file name's extension says, if it says one.
    pub fn of_path(path: &Path) -> Option<ExportFormat> {
        path.extension().and_then(|extension| extension.to_str()).and_then(ExportFormat::parse)
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

/// Where [`write`] puts the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Exactly this path, replacing what is there (the CLI's `--out`). Its folder must exist.
    Replace(PathBuf),
    /// In this folder (created when missing) under this name, or `stem-2.ext`, `stem-3.ext`,
    /// ... when the name is taken: never over an existing file.
    NewIn { dir: PathBuf, name: String },
}

/// The file's bytes in `format`.
pub fn to_bytes(table: &Table, format: ExportFormat, lang: Lang) -> Result<Vec<u8>> {
    match format {
        ExportFormat::Csv => csv_bytes(table, lang),
        ExportFormat::Xlsx => xlsx_bytes(table, lang),
    }
}

/// Writes `table` in `format` where `placement` says, atomically (a temporary file beside
/// it, synced, then renamed). Returns the path written. A failure is `export_failed` and
/// leaves nothing behind.
pub fn write(table: &Table, format: ExportFormat, lang: Lang, placement: &Placement) -> Result<PathBuf> {
    let bytes = to_bytes(table, format, lang).map_err(|error| match error {
        ClientError::ExportFailed { path, reason } if path.is_empty() => {
            let path = match placement {
                Placement::Replace(path) => path.display().to_string(),
                Placement::NewIn { dir, name } => dir.join(name).display().to_string(),
            };
            ClientError::ExportFailed { path, reason }
        }
        other => other,
    })?;
    place(&bytes, placement)
}

/// Writes a file's `bytes` where `placement` says, atomically (as [`write`] does; the labels'
/// PDF goes the same way). A failure is `export_failed` and leaves nothing behind.
pub fn place(bytes: &[u8], placement: &Placement) -> Result<PathBuf> {
    match placement {
        Placement::Replace(path) => {
            let dir = folder_of(path);
            let temp = temp_file_with(&dir, bytes).map_err(|error| failed(path, &error))?;
            temp.persist(path).map_err(|error| failed(path, &error.error))?;
            Ok(path.clone())
        }
        Placement::NewIn { dir, name } => {
            std::fs::create_dir_all(dir).map_err(|error| failed(dir, &error))?;
            let mut temp = temp_file_with(dir, bytes).map_err(|error| failed(dir, &error))?;
            for n in 1..=MAX_SUFFIX {
                let path = dir.join(numbered(name, n));
                match temp.persist_noclobber(&path) {
                    Ok(_) => return Ok(path),
                    Err(error) if error.error.kind() == std::io::ErrorKind::AlreadyExists => temp = error.file,
                    Err(error) => return Err(failed(&path, &error.error)),
                }
            }
            Err(ClientError::ExportFailed {
                path: dir.join(name).display().to_string(),
                reason: format!("{MAX_SUFFIX} files of that name exist already"),
            })
        }
    }
}

/// The folder a path is in ("." for a bare file name).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A hidden temporary file in `dir` holding `bytes`, synced to disk.
fn temp_file_with(dir: &Path, bytes: &[u8]) -> std::io::Result<tempfile::NamedTempFile> {
    let mut temp = tempfile::Builder::new().prefix(".taller-export-").suffix(".part").tempfile_in(dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    Ok(temp)
}

fn failed(path: &Path, error: &std::io::Error) -> ClientError {
    ClientError::ExportFailed { path: path.display().to_string(), reason: error.to_string() }
}

/// `name` for the first try, then `stem-N.ext`.
fn numbered(name: &str, n: u32) -> String {
    if n == 1 {
        return name.to_owned();
    }
    match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => format!("{stem}-{n}.{extension}"),
        _ => format!("{name}-{n}"),
    }
}

/// A readable file name: `list-subject-2026-12-03-1530.xlsx`, every part a lowercase slug
/// without accents (`inventario-taller-norte-2026-12-03-1530.xlsx`).
pub fn file_name(list: &str, subject: Option<&str>, at: NaiveDateTime, format: ExportFormat) -> String {
    let mut parts = vec![slug(list)];
    if let Some(subject) = subject.map(slug).filter(|subject| !subject.is_empty()) {
        parts.push(subject);
    }
    parts.push(at.format("%Y-%m-%d-%H%M").to_string());
    parts.retain(|part| !part.is_empty());
    format!("{}.{}", parts.join("-"), format.extension())
}

/// Lowercase ASCII letters and digits, words joined by `-`, Spanish (and French, Portuguese)
/// accents dropped: "Taller Norte (Ñuñoa)" → `taller-norte-nunoa`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in text.chars().flat_map(char::to_lowercase) {
        let plain = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            other => other,
        };
        if plain.is_ascii_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.push(plain);
        } else {
            dash = true;
        }
    }
    out
}

/// The folder downloads go to: the XDG download directory (`XDG_DOWNLOAD_DIR` in
/// `$XDG_CONFIG_HOME/user-dirs.dirs`, else `~/.config/user-dirs.dirs`), else `~/Descargas` or
/// `~/Downloads`, whichever exists (the language's when neither does, to be created).
pub fn downloads_dir(lang: Lang) -> Result<PathBuf> {
    let home = home_dir()
        .ok_or_else(|| ClientError::Invalid("HOME is not set: there is no downloads folder to write to".to_owned()))?;
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| home.join(".config"));
    let user_dirs = std::fs::read_to_string(config.join("user-dirs.dirs")).ok();
    Ok(downloads_dir_in(&home, user_dirs.as_deref(), lang, |path| path.is_dir()))
}

/// [`downloads_dir`] for a home, the text of a `user-dirs.dirs` file if there is one, and a
/// test of which folders exist.
pub fn downloads_dir_in(home: &Path, user_dirs: Option<&str>, lang: Lang, exists: impl Fn(&Path) -> bool) -> PathBuf {
    if let Some(dir) = user_dirs.and_then(|text| xdg_download_dir(home, text)) {
        return dir;
    }
    let (spanish, english) = (home.join("Descargas"), home.join("Downloads"));
    let (first, second) = match lang {
        Lang::Es => (spanish, english),
        Lang::En => (english, spanish),
    };
    if !exists(&first) && exists(&second) {
        second
    } else {
        first
    }
}

/// `XDG_DOWNLOAD_DIR="$HOME/Descargas"` (or an absolute path) from a `user-dirs.dirs` text. The
/// home folder itself means "not set" (the XDG convention for a disabled directory).
fn xdg_download_dir(home: &Path, text: &str) -> Option<PathBuf> {
    let value = text.lines().map(str::trim).filter(|line| !line.starts_with('#')).find_map(|line| {
        let (key, value) = line.split_once('=')?;
        (key.trim() == "XDG_DOWNLOAD_DIR").then(|| value.trim().trim_matches('"').to_owned())
    })?;
    let dir = if let Some(rest) = value.strip_prefix("$HOME") {
        home.join(rest.trim_start_matches('/'))
    } else if value.starts_with('/') {
        PathBuf::from(value)
    } else {
        return None;
    };
    (dir != home && dir.as_os_str() != home.join("").as_os_str()).then_some(dir)
}

/// A path as a person reads it: under the home folder, `~/Descargas/inventario-….xlsx`.
pub fn shown_path(path: &Path, home: Option<&Path>) -> String {
    match home.filter(|home| !home.as_os_str().is_empty()).and_then(|home| path.strip_prefix(home).ok()) {
        Some(rest) if !rest.as_os_str().is_empty() => format!("~/{}", rest.display()),
        _ => path.display().to_string(),
    }
}

/// `$HOME`, when it is set.
pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|home| !home.is_empty()).map(PathBuf::from)
}

// ------------------------------------------------------------------------------ CSV

/// The byte-order mark that tells a spreadsheet the CSV is UTF-8.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The field separator of a CSV in `lang` (`;` in Spanish, where the comma is the decimal
/// separator; `,` in English).
pub fn csv_delimiter(lang: Lang) -> u8 {
    match lang {
        Lang::Es => b';',
        Lang::En => b',',
    }
}

fn csv_bytes(table: &Table, lang: Lang) -> Result<Vec<u8>> {
    let mut out = UTF8_BOM.to_vec();
    {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(csv_delimiter(lang))
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        writer.write_record(table.columns.iter().map(|column| column.label.as_str())).map_err(csv_failed)?;
        for row in &table.rows {
            writer.write_record(row.iter().map(|cell| csv_text(cell, lang))).map_err(csv_failed)?;
        }
        writer.flush()?;
    }
    Ok(out)
}

fn csv_failed(error: csv::Error) -> ClientError {
    ClientError::ExportFailed { path: String::new(), reason: error.to_string() }
}

/// A cell as CSV text.
fn csv_text(cell: &Cell, lang: Lang) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(text) => {
            if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{text}")
            } else {
                text.clone()
            }
        }
        Cell::Integer(number) => number.to_string(),
        Cell::Decimal(number) => {
            let text = number.to_string();
            match lang {
                Lang::Es => text.replace('.', ","),
                Lang::En => text,
            }
        }
        Cell::DateTime(at) => at.format(CSV_DATETIME).to_string(),
        Cell::Bool(flag) => match (lang, flag) {
            (Lang::Es, true) => "sí".to_owned(),
            (Lang::En, true) => "yes".to_owned(),
            (_, false) => "no".to_owned(),
        },
    }
}

// ------------------------------------------------------------------------------ XLSX

fn xlsx_failed(error: rust_xlsxwriter::XlsxError) -> ClientError {
    ClientError::ExportFailed { path: String::new(), reason: error.to_string() }
}

/// The characters a cell shows, for its column's width.
fn shown_width(cell: &Cell, lang: Lang) -> usize {
    match cell {
        Cell::Empty => 0,
        Cell::DateTime(_) => XLSX_DATETIME.len(),
        Cell::Text(text) => text.lines().map(|line| line.chars().count()).max().unwrap_or(0),
        other => csv_text(other, lang).chars().count(),
    }
}

fn xlsx_bytes(table: &Table, lang: Lang) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};

    if table.rows.len() > XLSX_MAX_ROWS {
        return Err(ClientError::Invalid(format!(
            "{} rows do not fit in one XLSX sheet (at most {XLSX_MAX_ROWS}): narrow the list or export CSV",
            table.rows.len()
        )));
    }
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name(&table.sheet).map_err(xlsx_failed)?;
    let bold = Format::new().set_bold();
    let datetime = Format::new().set_num_format(XLSX_DATETIME);
    let columns = table.columns.len();
    let mut widths: Vec<usize> = table.columns.iter().map(|column| column.label.chars().count() + 2).collect();
    for (col, column) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(0, col_num(col)?, &column.label, &bold).map_err(xlsx_failed)?;
    }
    for (index, row) in table.rows.iter().enumerate() {
        // Fits: at most XLSX_MAX_ROWS rows, checked above.
        let at = u32::try_from(index + 1).unwrap_or(u32::MAX);
        for (col, cell) in row.iter().enumerate() {
            let c = col_num(col)?;
            widths[col] = widths[col].max(shown_width(cell, lang));
            match cell {
                Cell::Empty => {}
                Cell::Text(text) => {
                    let text: String = text.chars().take(XLSX_MAX_TEXT).collect();
                    sheet.write_string(at, c, text).map_err(xlsx_failed)?;
                }
                Cell::Integer(number) => {
                    // Exact up to 2^53, as a spreadsheet's numbers are.
                    #[allow(clippy::cast_precision_loss)]
                    let value = *number as f64;
                    sheet.write_number(at, c, value).map_err(xlsx_failed)?;
                }
                Cell::Decimal(number) => {
                    sheet.write_number(at, c, *number).map_err(xlsx_failed)?;
                }
                Cell::DateTime(when) => {
                    let cell_time = excel_datetime(when).map_err(xlsx_failed)?;
                    sheet.write_datetime_with_format(at, c, &cell_time, &datetime).map_err(xlsx_failed)?;
                }
                Cell::Bool(flag) => {
                    sheet.write_boolean(at, c, *flag).map_err(xlsx_failed)?;
                }
            }
        }
    }
    for (col, width) in widths.iter().enumerate() {
        let width = (*width + 1).clamp(MIN_WIDTH, MAX_WIDTH);
        #[allow(clippy::cast_precision_loss)]
        sheet.set_column_width(col_num(col)?, width as f64).map_err(xlsx_failed)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_failed)?;
    if columns > 0 {
        let last_row = u32::try_from(table.rows.len()).unwrap_or(u32::MAX);
        sheet.autofilter(0, 0, last_row, col_num(columns - 1)?).map_err(xlsx_failed)?;
    }
    workbook.save_to_buffer().map_err(xlsx_failed)
}

/// Excel's date-time of a wall-clock time.
fn excel_datetime(
    when: &NaiveDateTime,
) -> std::result::Result<rust_xlsxwriter::ExcelDateTime, rust_xlsxwriter::XlsxError> {
    let year = u16::try_from(when.year()).unwrap_or(1900);
    // Months, days, hours, minutes and seconds fit in a u8 or a u16.
    #[allow(clippy::cast_possible_truncation)]
    let (month, day, hour, minute) = (when.month() as u8, when.day() as u8, when.hour() as u16, when.minute() as u8);
    rust_xlsxwriter::ExcelDateTime::from_ymd(year, month, day)?.and_hms(hour, minute, f64::from(when.second()))
}

/// A column index as XLSX's (at most 16,384 columns).
fn col_num(col: usize) -> Result<u16> {
    u16::try_from(col)
        .ok()
        .filter(|col| *col < 16_384)
        .ok_or_else(|| ClientError::Invalid(format!("column {col} is past XLSX's last")))
}

#[cfg(test)]
#[path = "export/tests.rs"]
mod tests;
