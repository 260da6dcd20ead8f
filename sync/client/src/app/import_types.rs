//! The types of a parts import (`taller import parts`, the import screen): a CSV file's
//! preview, every row with its parsed values and its problems, and what applying it did.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most rows one import takes (decision 0019): a catalogue loaded a few thousand parts at
/// a time, each a `part.create` in the outbox, committed in one local transaction.
pub const MAX_IMPORT_ROWS: usize = 5000;

/// The text of a CSV file, as the screen read it (or a person pasted it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportInput {
    pub text: String,
}

/// A column of `repuestos` an import fills: the fields `part.create` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ImportField {
    Referencia,
    Nombre,
    Tipo,
    Marca,
    Descripcion,
    FechaEstimada,
    UrlImagen,
}

impl ImportField {
    pub const ALL: [ImportField; 7] = [
        ImportField::Referencia,
        ImportField::Nombre,
        ImportField::Tipo,
        ImportField::Marca,
        ImportField::Descripcion,
        ImportField::FechaEstimada,
        ImportField::UrlImagen,
    ];

    /// The column's name in the reference schema.
    pub fn column(self) -> &'static str {
        match self {
            ImportField::Referencia => "referencia",
            ImportField::Nombre => "nombre",
            ImportField::Tipo => "tipo",
            ImportField::Marca => "marca",
            ImportField::Descripcion => "descripcion",
            ImportField::FechaEstimada => "fecha_estimada",
            ImportField::UrlImagen => "url_imagen",
        }
    }
}

/// What is wrong with the file or one of its rows. Stable codes (snake_case on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ImportCode {
    /// No header, or a header and no row with a value.
    EmptyFile,
    /// More rows than [`MAX_IMPORT_ROWS`].
    TooManyRows,
    /// The header has no column for `referencia` or for `nombre`.
    MissingColumn,
    /// Two columns of the header name the same field.
    DuplicateColumn,
    /// A header column the import does not know (a warning: its values are not imported).
    UnknownColumn,
    /// The CSV itself cannot be read (an unclosed quote, ...).
    BadCsv,
    /// A row has more values than the header has columns.
    ExtraValues,
    /// A row without a reference.
    MissingReference,
    /// A row without a name.
    MissingName,
    /// Another row of the file has the same reference (compared as stored: trimmed, upper case).
    DuplicateReference,
    /// A part of the replica already has the reference.
    ReferenceExists,
    /// A value of `fecha_estimada` that is neither a date nor a spreadsheet's day number.
    BadDate,
    /// A value `part.create` refuses (a text longer than its column allows).
    BadValue,
}

impl ImportCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportCode::EmptyFile => "empty_file",
            ImportCode::TooManyRows => "too_many_rows",
            ImportCode::MissingColumn => "missing_column",
            ImportCode::DuplicateColumn => "duplicate_column",
            ImportCode::UnknownColumn => "unknown_column",
            ImportCode::BadCsv => "bad_csv",
            ImportCode::ExtraValues => "extra_values",
            ImportCode::MissingReference => "missing_reference",
            ImportCode::MissingName => "missing_name",
            ImportCode::DuplicateReference => "duplicate_reference",
            ImportCode::ReferenceExists => "reference_exists",
            ImportCode::BadDate => "bad_date",
            ImportCode::BadValue => "bad_value",
        }
    }
}

/// An error stops the import; a warning is shown and the import goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ImportSeverity {
    Error,
    Warning,
}

/// One problem, with its message in the workstation's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportIssue {
    pub code: ImportCode,
    pub severity: ImportSeverity,
    /// The row as the spreadsheet numbers it (the header is row 1); `None` for the file.
    pub row: Option<u32>,
    /// The field the problem is about, when it is one.
    pub field: Option<ImportField>,
    pub message: String,
}

/// A header column: as written, and the field it was matched to (`None`: unknown).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportColumn {
    pub header: String,
    pub field: Option<ImportField>,
}

/// One row of the file with its values as they would be created (trimmed; the reference as
/// stored, upper case), and its errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportRow {
    /// The row as the spreadsheet numbers it (the header is row 1).
    pub row: u32,
    pub referencia: String,
    pub nombre: String,
    pub tipo: Option<String>,
    pub marca: Option<String>,
    pub descripcion: Option<String>,
    pub fecha_estimada: Option<NaiveDate>,
    pub url_imagen: Option<String>,
    pub errors: Vec<ImportIssue>,
}

/// What importing a file would do: every row, the file's own problems, and the counts a
/// summary shows. Applying it is allowed only when `ready`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportPreview {
    /// The separator sniffed from the header: `;`, `,` or a tab.
    pub separator: String,
    pub columns: Vec<ImportColumn>,
    pub rows: Vec<ImportRow>,
    /// Problems of the file as a whole (empty, too many rows, its header).
    pub issues: Vec<ImportIssue>,
    /// Errors in all: the file's and every row's.
    pub errors: u32,
    pub warnings: u32,
    /// Rows that have at least one error.
    pub rows_with_errors: u32,
    /// No error and at least one row: "Importar N repuestos" may be pressed.
    pub ready: bool,
}

impl ImportPreview {
    /// Every error, the file's first, then the rows' in row order.
    pub fn all_errors(&self) -> impl Iterator<Item = &ImportIssue> {
        self.issues
            .iter()
            .filter(|issue| issue.severity == ImportSeverity::Error)
            .chain(self.rows.iter().flat_map(|row| row.errors.iter()))
    }
}

/// What applying an import did: every row queued as its own `part.create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportDone {
    /// Parts created (one `part.create` each, in the file's order).
    pub created: u32,
    /// The new parts' ids, in the file's order.
    pub ids: Vec<Uuid>,
    /// The outbox's size after the import.
    pub pending: i64,
    /// What a person is told, in the workstation's language.
    pub message: String,
}
