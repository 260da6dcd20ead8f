//! What `taller` prints, and how it ends: exit 0 done, 1 refused or failed (a code and a
//! message), 2 usage. A reader that stops reading (`taller stock list | head`) ends the command
//! quietly: the output was wanted only that far.

use serde_json::{json, Map, Value};
use std::io::Write;
use std::process::ExitCode;
use taller_client::app::{Lang, Queued};
use taller_client::{ClientError, Session};

/// Why a command did not finish.
#[derive(Debug)]
pub enum Failure {
    /// Refused or failed: exit 1 with a stable code and a message (and, in JSON, `details`
    /// merged into the one document printed).
    Refused { code: String, message: String, details: Option<Map<String, Value>> },
    /// The command was not used as documented: exit 2.
    Usage(String),
    /// Standard output was closed by its reader: end quietly, exit 0.
    Closed,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::Usage(message.into())
    }

    pub fn refused(code: &str, message: impl Into<String>) -> Failure {
        Failure::Refused { code: code.to_owned(), message: message.into(), details: None }
    }

    /// Prints the failure (one JSON document with `--json`, a line on stderr otherwise) and
    /// gives the exit code.
    pub fn report(self, json: bool) -> ExitCode {
        let (code, message, details, exit) = match self {
            Failure::Closed => return ExitCode::SUCCESS,
            Failure::Usage(message) => ("usage".to_owned(), message, None, 2),
            Failure::Refused { code, message, details } => (code, message, details, 1),
        };
        if json {
            let mut document = Map::new();
            document.insert("ok".into(), Value::Bool(false));
            document.insert("code".into(), Value::String(code));
            document.insert("message".into(), Value::String(message));
            document.extend(details.unwrap_or_default());
            if line(&Value::Object(document).to_string()).is_err() {
                // Nobody reads a closed output; the exit code still says what happened.
                return ExitCode::from(exit);
            }
        } else {
            eprintln!("error [{code}]: {message}");
        }
        ExitCode::from(exit)
    }
}

/// A library error as a refusal, its message in the workstation's language.
pub fn fail(client: Option<&Session>, error: ClientError) -> Failure {
    fail_in(client.map(Session::lang).unwrap_or_default(), error)
}

/// A library error as a refusal, its message in `lang`.
pub fn fail_in(lang: Lang, error: ClientError) -> Failure {
    if let ClientError::Io(io) = &error {
        if io.kind() == std::io::ErrorKind::BrokenPipe {
            return Failure::Closed;
        }
    }
    Failure::refused(error.code(), error.message(lang))
}

/// Writes one line to standard output.
pub fn line(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").and_then(|()| out.flush()).map_err(written)
}

/// A failed write to standard output.
pub fn written(error: std::io::Error) -> Failure {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        Failure::Closed
    } else {
        Failure::refused("io", format!("writing the output: {error}"))
    }
}

pub fn value(json: bool, value: &Value) -> Result<(), Failure> {
    if json {
        line(&value.to_string())
    } else {
        line(&serde_json::to_string_pretty(value).unwrap_or_default())
    }
}

/// A typed value as a JSON object (a value that is not one under `value`).
fn object<T: serde::Serialize>(row: &T) -> Map<String, Value> {
    match serde_json::to_value(row) {
        Ok(Value::Object(object)) => object,
        Ok(other) => Map::from_iter([("value".to_owned(), other)]),
        Err(error) => Map::from_iter([("error".to_owned(), Value::String(error.to_string()))]),
    }
}

/// Typed rows of the library: one JSON array, or a line each.
pub fn typed_rows<T: serde::Serialize>(json: bool, rows: &[T]) -> Result<(), Failure> {
    let mut out = RowPrinter::new(json);
    for row in rows {
        out.typed_row(row)?;
    }
    out.finish()
}

/// A typed value of the library, printed as [`value`] prints JSON.
pub fn typed_value<T: serde::Serialize>(json: bool, typed: &T) -> Result<(), Failure> {
    let document = serde_json::to_value(typed).map_err(|error| Failure::refused("internal", error.to_string()))?;
    value(json, &document)
}

pub fn text_line(row: &Map<String, Value>) -> String {
    let line: Vec<String> = row
        .iter()
        .filter(|(key, _)| !key.starts_with("id_") || row.len() <= 3)
        .map(|(key, value)| match value {
            Value::String(text) => format!("{key}={text}"),
            other => format!("{key}={other}"),
        })
        .collect();
    line.join("  ")
}

/// Prints rows as they come (one JSON array, or a line each).
pub struct RowPrinter {
    json: bool,
    rows: u64,
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
}

impl RowPrinter {
    pub fn new(json: bool) -> RowPrinter {
        RowPrinter { json, rows: 0, out: std::io::BufWriter::new(std::io::stdout().lock()) }
    }

    pub fn row(&mut self, row: &Map<String, Value>) -> Result<(), Failure> {
        let written = if self.json {
            let separator = if self.rows == 0 { "[" } else { "," };
            write!(self.out, "{separator}")
                .and_then(|()| serde_json::to_writer(&mut self.out, row).map_err(std::io::Error::from))
        } else {
            writeln!(self.out, "{}", text_line(row))
        };
        self.rows += 1;
        written.map_err(self::written)
    }

    /// A typed row of the library, printed as [`RowPrinter::row`] prints an object.
    pub fn typed_row<T: serde::Serialize>(&mut self, row: &T) -> Result<(), Failure> {
        self.row(&object(row))
    }

    /// [`RowPrinter::typed_row`] for the library's row callbacks: a closed output stops the
    /// listing as an I/O error, which [`fail`] turns back into a quiet end.
    pub fn library_row<T: serde::Serialize>(&mut self, row: &T) -> Result<(), ClientError> {
        self.typed_row(row).map_err(|failure| match failure {
            Failure::Closed => ClientError::Io(std::io::Error::from(std::io::ErrorKind::BrokenPipe)),
            Failure::Refused { message, .. } | Failure::Usage(message) => ClientError::Invalid(message),
        })
    }

    pub fn finish(mut self) -> Result<(), Failure> {
        let ending = if self.json { writeln!(self.out, "{}", if self.rows == 0 { "[]" } else { "]" }) } else { Ok(()) };
        ending.and_then(|()| self.out.flush()).map_err(written)
    }
}

/// What a local action printed: it is committed on this computer and queued.
pub fn queued(client: &Session, json: bool, queued: &Queued) -> Result<(), Failure> {
    let pending = queued.pending;
    if json {
        return line(
            &json!({"ok": true, "queued": true, "id": queued.id, "seq": queued.seq, "name": queued.name,
                    "result": queued.result, "pending": pending})
            .to_string(),
        );
    }
    let text = match client.lang() {
        Lang::Es => format!("Guardado en este equipo; se enviará al sincronizar ({pending} pendientes)."),
        Lang::En => format!("Saved on this computer; it will be sent at the next sync ({pending} pending)."),
    };
    line(&format!("{} {text}", queued.name))?;
    if !queued.result.is_null() {
        line(&queued.result.to_string())?;
    }
    Ok(())
}

/// Prints a local action's result, or fails with the library's error.
pub fn acted(client: &Session, json: bool, result: Result<Queued, ClientError>) -> Result<(), Failure> {
    let done = result.map_err(|error| fail(Some(client), error))?;
    queued(client, json, &done)
}

/// Prints a list the library read, or fails with its error.
pub fn listed<T: serde::Serialize>(
    client: &Session,
    json: bool,
    result: Result<Vec<T>, ClientError>,
) -> Result<(), Failure> {
    typed_rows(json, &result.map_err(|error| fail(Some(client), error))?)
}

/// Prints one value the library read, or fails with its error.
pub fn shown<T: serde::Serialize>(client: &Session, json: bool, result: Result<T, ClientError>) -> Result<(), Failure> {
    typed_value(json, &result.map_err(|error| fail(Some(client), error))?)
}
