//! The one error every command returns: `{code, message, params}`, made from the library's
//! error with the message in the workstation's language. A refusal is never a panic and never
//! a bare string.

use serde::Serialize;
use serde_json::{Map, Value};
use taller_client::ClientError;
use taller_domain::Lang;

#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct CommandError {
    /// Stable and machine-readable: a rejection code, a server error code or a client one.
    pub code: String,
    /// For a person, in the workstation's language (rendered by the library).
    pub message: String,
    /// The facts behind the message (a rejection's params; empty when there are none).
    pub params: Map<String, Value>,
}

impl CommandError {
    pub fn from_client(error: &ClientError, lang: Lang) -> CommandError {
        CommandError { code: error.code().to_owned(), message: error.message(lang), params: error.params() }
    }

    /// A shell-side failure (a task that could not run, a lock poisoned by a panic).
    pub fn internal(message: impl Into<String>) -> CommandError {
        CommandError { code: "internal".to_owned(), message: message.into(), params: Map::new() }
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
