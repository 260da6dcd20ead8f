//! `taller import parts FILE [--apply]`: a CSV of parts previewed (every error on its
//! spreadsheet row), and with `--apply` created, every row its own `part.create`, all or
//! nothing (`Session::preview_import`, `Session::import_parts`). Exit 1 while the file has
//! errors, 0 when it is clean (previewed) or applied.

use crate::output::{self, fail, Failure};
use clap::Subcommand;
use serde_json::{json, Value};
use std::path::PathBuf;
use taller_client::app::{ImportInput, ImportPreview, ImportSeverity, Lang};
use taller_client::Session;

#[derive(Subcommand)]
pub enum ImportCommand {
    /// Parts from a CSV file (UTF-8; `;` or `,`; a header naming Referencia, Nombre, Tipo,
    /// Marca, Descripción, Fecha estimada, URL de imagen, in Spanish or English).
    Parts {
        /// The CSV file.
        file: PathBuf,
        /// Create the parts (only when the preview has no error); without it, only preview.
        #[arg(long)]
        apply: bool,
    },
}

pub fn run(session: &Session, json: bool, command: ImportCommand) -> Result<(), Failure> {
    let ImportCommand::Parts { file, apply } = command;
    let lang = session.lang();
    let bytes = std::fs::read(&file).map_err(|error| {
        Failure::refused(
            "io",
            match lang {
                Lang::Es => format!("no se puede leer {}: {error}", file.display()),
                Lang::En => format!("{} cannot be read: {error}", file.display()),
            },
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Failure::refused(
            "not_utf8",
            match lang {
                Lang::Es => "el archivo no está en UTF-8: guárdelo como «CSV UTF-8» y vuelva a intentarlo".to_owned(),
                Lang::En => "the file is not UTF-8: save it as “CSV UTF-8” and try again".to_owned(),
            },
        )
    })?;
    let input = ImportInput { text };
    let preview = session.preview_import(&input).map_err(|error| fail(Some(session), error))?;
    if !preview.ready {
        return Err(refused(lang, json, &preview));
    }
    if !apply {
        if json {
            return output::typed_value(json, &preview);
        }
        print_warnings(&preview)?;
        return output::line(&match lang {
            Lang::Es => format!(
                "{} repuestos listos para importar, sin errores: repita con --apply para crearlos.",
                preview.rows.len()
            ),
            Lang::En => format!(
                "{} parts ready to import, no errors: run again with --apply to create them.",
                preview.rows.len()
            ),
        });
    }
    let done = session.import_parts(&input).map_err(|error| fail(Some(session), error))?;
    if json {
        return output::typed_value(json, &done);
    }
    print_warnings(&preview)?;
    output::line(&done.message)
}

fn print_warnings(preview: &ImportPreview) -> Result<(), Failure> {
    for issue in preview.issues.iter().filter(|issue| issue.severity == ImportSeverity::Warning) {
        output::line(&format!("warning [{}]: {}", issue.code.as_str(), issue.message))?;
    }
    Ok(())
}

/// The errors as a table (row, field, code, message) on standard output, then the refusal.
fn refused(lang: Lang, json: bool, preview: &ImportPreview) -> Failure {
    let errors: Vec<Value> = preview
        .all_errors()
        .map(|issue| json!({"row": issue.row, "field": issue.field, "code": issue.code, "message": issue.message}))
        .collect();
    if !json {
        let (row, field, code, message) = match lang {
            Lang::Es => ("fila", "campo", "código", "error"),
            Lang::En => ("row", "field", "code", "error"),
        };
        let mut table = vec![format!("{row:<6} {field:<16} {code:<20} {message}")];
        for issue in preview.all_errors() {
            let at = issue.row.map_or_else(|| "-".to_owned(), |row| row.to_string());
            let field = issue.field.map_or("-", |field| field.column());
            table.push(format!("{at:<6} {field:<16} {:<20} {}", issue.code.as_str(), issue.message));
        }
        if table.iter().try_for_each(|line| output::line(line)).is_err() {
            return Failure::Closed;
        }
    }
    let message = match lang {
        Lang::Es => format!(
            "el archivo tiene {} error(es) en {} fila(s): no se importó nada",
            preview.errors, preview.rows_with_errors
        ),
        Lang::En => format!(
            "the file has {} error(s) in {} row(s): nothing was imported",
            preview.errors, preview.rows_with_errors
        ),
    };
    let details = json!({"errors": errors, "rows": preview.rows.len()});
    Failure::Refused { code: "import_has_errors".to_owned(), message, details: details.as_object().cloned() }
}
