//! Printable labels (`crate::labels` draws the PDF): one part's label at a location (with its
//! position there), or every part of a location's shelf, sorted by position then reference
//! (parts without a position last), optionally only the positions that start with a prefix.
//! The file goes into a folder like an export (decision 0016: atomically, under a readable
//! name, never over a file) or to exactly a path (the CLI's `--out`).

use crate::error::{ClientError, Result};
use crate::export::{self, Placement};
use crate::labels::{self, Label, LabelFormat};
use crate::queries;
use crate::session::Session;
use chrono::{Local, NaiveDateTime};
use serde::{Deserialize, Serialize};
use std::path::Path;
use taller_domain::Lang;

/// Which labels to make.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LabelsInput {
    /// The location: its id or its name.
    pub location: String,
    /// One part (its id or reference); `None`: every part of the location's shelf.
    #[serde(default)]
    pub part: Option<String>,
    /// Only the shelf's positions that start with this (case-insensitive); empty or `None`:
    /// all of them. Ignored with `part`.
    #[serde(default)]
    pub position_prefix: Option<String>,
    #[serde(default)]
    pub format: LabelFormat,
}

/// What a labels file holds, and where it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LabelsDone {
    /// The file written, in full.
    pub path: String,
    /// The same as a person reads it (`~/Descargas/…` under the home folder).
    pub shown_path: String,
    /// Its name alone.
    pub file_name: String,
    pub format: LabelFormat,
    pub labels: u32,
    pub pages: u32,
}

impl Session {
    /// The labels `input` names, in print order. A name that matches nothing is
    /// `invalid_input`; a shelf with no part (or none at that prefix) is `nothing_to_print`.
    pub fn labels(&self, input: &LabelsInput) -> Result<Vec<Label>> {
        let rows = self.read(|conn| {
            let id_localizacion = queries::location_id(conn, &input.location)?;
            let localizacion: String = conn.query_row(
                "SELECT nombre FROM localizacion WHERE id_localizacion = ?1",
                [id_localizacion.to_string()],
                |row| row.get(0),
            )?;
            let at = |row: &rusqlite::Row<'_>| {
                Ok(Label {
                    referencia: row.get(0)?,
                    nombre: row.get(1)?,
                    posicion: row.get(2)?,
                    localizacion: localizacion.clone(),
                })
            };
            if let Some(part) = &input.part {
                let id_repuesto = queries::part_id(conn, part)?;
                // The part's label names its position at the location, when it is stocked there.
                let label = conn.query_row(
                    "SELECT r.referencia, r.nombre, \
                            (SELECT i.posicion FROM inventario i \
                              WHERE i.id_repuesto = r.id_repuesto AND i.id_localizacion = ?2) \
                       FROM repuestos r WHERE r.id_repuesto = ?1",
                    [id_repuesto.to_string(), id_localizacion.to_string()],
                    at,
                )?;
                return Ok(vec![label]);
            }
            let prefix = input.position_prefix.as_deref().map(str::trim).unwrap_or("");
            let mut statement = conn.prepare_cached(
                "SELECT r.referencia, r.nombre, i.posicion FROM inventario i \
                   JOIN repuestos r ON r.id_repuesto = i.id_repuesto \
                  WHERE i.id_localizacion = ?1 \
                    AND (?2 = '' OR substr(upper(i.posicion), 1, length(?2)) = upper(?2)) \
                  ORDER BY i.posicion IS NULL, i.posicion, r.referencia",
            )?;
            let rows = statement.query_map(rusqlite::params![id_localizacion.to_string(), prefix], at)?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        if rows.is_empty() {
            return Err(ClientError::NothingToPrint);
        }
        Ok(rows)
    }

    /// The labels' PDF bytes.
    pub fn labels_pdf(&self, input: &LabelsInput) -> Result<(Vec<Label>, Vec<u8>)> {
        let labels = self.labels(input)?;
        let title = match (self.lang(), labels.as_slice()) {
            (Lang::En, [one]) => format!("Label {}", one.referencia),
            (Lang::Es, [one]) => format!("Etiqueta {}", one.referencia),
            (Lang::En, many) => format!("Labels {}", many[0].localizacion),
            (Lang::Es, many) => format!("Etiquetas {}", many[0].localizacion),
        };
        let bytes = labels::to_pdf(&labels, input.format, self.lang(), &title)?;
        Ok((labels, bytes))
    }

    /// Writes the labels to exactly `out`, replacing a file there (atomically).
    pub fn labels_to(&self, input: &LabelsInput, out: &Path) -> Result<LabelsDone> {
        let (labels, bytes) = self.labels_pdf(input)?;
        let path = export::place(&bytes, &Placement::Replace(out.to_path_buf())).map_err(as_labels_error)?;
        Ok(done(&path, input.format, labels.len()))
    }

    /// Writes the labels into `dir` (created when missing) under a readable name,
    /// `etiquetas-taller-norte-2026-12-03-1530.pdf` (a part's: `etiqueta-bat-48v-…`),
    /// numbered `-2`, `-3`, ... rather than replacing a file.
    pub fn labels_to_folder(&self, input: &LabelsInput, dir: &Path) -> Result<LabelsDone> {
        let (labels, bytes) = self.labels_pdf(input)?;
        let name = labels_file_name(self.lang(), &labels, input, Local::now().naive_local());
        let placement = Placement::NewIn { dir: dir.to_path_buf(), name };
        let path = export::place(&bytes, &placement).map_err(as_labels_error)?;
        Ok(done(&path, input.format, labels.len()))
    }
}

/// The file name of [`Session::labels_to_folder`] for labels made at `at`.
pub fn labels_file_name(lang: Lang, labels: &[Label], input: &LabelsInput, at: NaiveDateTime) -> String {
    let (one, many) = if lang == Lang::En { ("label", "labels") } else { ("etiqueta", "etiquetas") };
    let mut words = match (input.part.is_some(), labels.first()) {
        (true, Some(label)) => vec![one.to_owned(), export::slug(&label.referencia)],
        (_, first) => vec![many.to_owned(), first.map(|label| export::slug(&label.localizacion)).unwrap_or_default()],
    };
    if input.part.is_none() {
        if let Some(prefix) = input.position_prefix.as_deref().map(export::slug).filter(|prefix| !prefix.is_empty()) {
            words.push(prefix);
        }
    }
    words.push(at.format("%Y-%m-%d-%H%M").to_string());
    words.retain(|word| !word.is_empty());
    format!("{}.pdf", words.join("-"))
}

/// A failed write of the labels' file is `labels_failed`.
fn as_labels_error(error: ClientError) -> ClientError {
    match error {
        ClientError::ExportFailed { path, reason } => ClientError::LabelsFailed { path, reason },
        other => other,
    }
}

fn done(path: &Path, format: LabelFormat, labels: usize) -> LabelsDone {
    LabelsDone {
        path: path.display().to_string(),
        shown_path: export::shown_path(path, export::home_dir().as_deref()),
        file_name: path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default(),
        format,
        labels: u32::try_from(labels).unwrap_or(u32::MAX),
        pages: u32::try_from(format.pages(labels)).unwrap_or(u32::MAX),
    }
}
