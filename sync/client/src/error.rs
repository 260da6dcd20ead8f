//! The client's error type. What reaches a person says what happened and what to do.

use taller_domain::{Lang, Rechazo};
use taller_protocol::messages::ErrorCode;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The action was refused locally, by the same rule the server would apply.
    #[error("{}", .0.message(Lang::Es))]
    Rejected(Rechazo),
    /// The replica's database failed.
    #[error("replica database: {0}")]
    Db(#[from] rusqlite::Error),
    /// A stored value could not be read back.
    #[error("replica data: {0}")]
    Json(#[from] serde_json::Error),
    /// The replica was written by a newer Taller.
    #[error("the replica has schema version {found}; this Taller knows up to {known}: update Taller")]
    ReplicaTooNew { found: i64, known: i64 },
    /// Something the caller gave is not usable (a name that matches nothing, ...).
    #[error("{0}")]
    Invalid(String),
    /// No user is signed in on this data directory.
    #[error("nobody is signed in: run `taller login` first")]
    NotSignedIn,
    /// The user is unlocked on this workstation but signed out of the server: their pending
    /// changes wait for an online sign-in, which sends them.
    #[error("{email} signed out of the server on this workstation: {pending} pending change(s) wait for the next online sign-in (`taller login --email {email} --password-stdin`)")]
    SignedOut { email: String, pending: i64 },
    /// The server could not be reached.
    #[error("the server cannot be reached: {0}")]
    Offline(String),
    /// The server refused the request as a whole, with its stable code.
    #[error("server: {}: {message}", .code.as_str())]
    Server { status: u16, code: ErrorCode, message: String },
    /// The server is newer than this client can speak to.
    #[error("{0}")]
    UpdateRequired(String),
    /// The offline unlock failed: wrong password.
    #[error("wrong password")]
    WrongPassword,
    /// Too many wrong passwords for an offline unlock on this workstation: the next attempt
    /// is allowed after a pause (every password check is rate limited, offline too).
    #[error("too many wrong passwords: try again in {retry_after_seconds} s")]
    UnlockPaused { retry_after_seconds: u64 },
    /// File system.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// An export could not be written (a missing or read-only folder, a full disk, ...);
    /// nothing was left behind.
    #[error("the export could not be written to {path}: {reason}")]
    ExportFailed { path: String, reason: String },
    /// A replenishment needs the stock of a location to take the parts from, and this replica
    /// holds the inventory of no location but the destination (decision 0020).
    #[error("this replica holds the inventory of no location to replenish {destination} from: ask an administrator to assign you the warehouse, or propose from the warehouse's account")]
    NoReplenishmentOrigin { destination: String },
    /// An import was applied while its file has errors (the preview lists them); nothing was
    /// written.
    #[error("the file has {errors} error(s): fix them and import it again; nothing was imported")]
    ImportHasErrors { errors: u32 },
    /// Labels could not be made or written (a reference a barcode cannot hold, a folder that
    /// cannot be written, ...); nothing was left behind.
    #[error("the labels could not be written to {path}: {reason}")]
    LabelsFailed { path: String, reason: String },
    /// A reference a label's Code 128 barcode cannot hold (a character outside printable
    /// ASCII, or too long for a 70 mm label): code `labels_failed`, nothing written.
    #[error("the reference {referencia:?} cannot be printed as a Code 128 barcode on a label")]
    NotBarcodable { referencia: String, too_long: bool },
    /// Labels were asked for where there is no part to label (an empty shelf, a position
    /// prefix that matches nothing).
    #[error("there is nothing to print: no part matches")]
    NothingToPrint,
    /// Sending the pending changes failed, but the server's changes were received and the
    /// pending ones re-applied on top of them.
    #[error("sending the pending changes failed ({0}); the server's changes were received anyway and the pending ones stay queued on top of them")]
    PushFailed(Box<ClientError>),
}

impl ClientError {
    /// A stable machine-readable code, for `--json` output and the UI.
    pub fn code(&self) -> &str {
        match self {
            ClientError::Rejected(rechazo) => rechazo.code.as_str(),
            ClientError::Db(_) | ClientError::Json(_) | ClientError::Io(_) => "replica_error",
            ClientError::ReplicaTooNew { .. } => "replica_too_new",
            ClientError::Invalid(_) => "invalid_input",
            ClientError::NotSignedIn | ClientError::SignedOut { .. } => "not_signed_in",
            ClientError::Offline(_) => "offline",
            ClientError::Server { code, .. } => code.as_str(),
            ClientError::UpdateRequired(_) => "update_required",
            ClientError::WrongPassword => "invalid_credentials",
            ClientError::UnlockPaused { .. } => "rate_limited",
            ClientError::PushFailed(error) => error.code(),
            ClientError::ExportFailed { .. } => "export_failed",
            ClientError::NoReplenishmentOrigin { .. } => "no_replenishment_origin",
            ClientError::ImportHasErrors { .. } => "import_has_errors",
            ClientError::LabelsFailed { .. } | ClientError::NotBarcodable { .. } => "labels_failed",
            ClientError::NothingToPrint => "nothing_to_print",
        }
    }

    /// The facts behind a refusal (a rejection's params); empty for every other error.
    pub fn params(&self) -> serde_json::Map<String, serde_json::Value> {
        match self {
            ClientError::Rejected(rechazo) => rechazo.params.clone(),
            ClientError::PushFailed(error) => error.params(),
            ClientError::UnlockPaused { retry_after_seconds } => {
                let mut params = serde_json::Map::new();
                params.insert("retry_after_seconds".to_owned(), (*retry_after_seconds).into());
                params
            }
            ClientError::SignedOut { email, pending } => {
                let mut params = serde_json::Map::new();
                params.insert("email".to_owned(), email.clone().into());
                params.insert("pending".to_owned(), (*pending).into());
                params
            }
            ClientError::ExportFailed { path, .. } | ClientError::LabelsFailed { path, .. } => {
                let mut params = serde_json::Map::new();
                params.insert("path".to_owned(), path.clone().into());
                params
            }
            ClientError::NoReplenishmentOrigin { destination } => {
                let mut params = serde_json::Map::new();
                params.insert("localizacion".to_owned(), destination.clone().into());
                params
            }
            ClientError::ImportHasErrors { errors } => {
                let mut params = serde_json::Map::new();
                params.insert("errors".to_owned(), (*errors).into());
                params
            }
            ClientError::NotBarcodable { referencia, .. } => {
                let mut params = serde_json::Map::new();
                params.insert("referencia".to_owned(), referencia.clone().into());
                params
            }
            _ => serde_json::Map::new(),
        }
    }

    /// The message for a person in `lang`. The server's own messages already come in the
    /// workstation's language (the client sends it with every request); a detail the
    /// library cannot translate (a database error's text) follows the translated sentence.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (ClientError::Rejected(rechazo), _) => crate::app::readable(rechazo, lang).message(lang),
            (ClientError::Server { message, .. }, _) => message.clone(),
            (ClientError::PushFailed(error), Lang::Es) => format!(
                "No se pudieron enviar los cambios pendientes ({}); los cambios del servidor sí se recibieron y los pendientes siguen en cola.",
                error.message(lang)
            ),
            (ClientError::Offline(_), Lang::Es) => {
                "No se puede conectar con el servidor. Puede seguir trabajando: los cambios se enviarán al volver la conexión.".to_owned()
            }
            (ClientError::Offline(_), Lang::En) => {
                "The server cannot be reached. You can keep working: changes are sent when the connection is back.".to_owned()
            }
            (ClientError::NotSignedIn, Lang::Es) => "No hay nadie con la sesión iniciada en este equipo.".to_owned(),
            (ClientError::NotSignedIn, Lang::En) => "Nobody is signed in on this workstation.".to_owned(),
            (ClientError::SignedOut { email, pending }, Lang::Es) => format!(
                "{email} cerró la sesión del servidor en este equipo: {pending} cambio(s) pendiente(s) esperan el próximo inicio de sesión en línea."
            ),
            (ClientError::SignedOut { email, pending }, Lang::En) => format!(
                "{email} signed out of the server on this workstation: {pending} pending change(s) wait for the next online sign-in."
            ),
            (ClientError::WrongPassword, Lang::Es) => "Contraseña incorrecta.".to_owned(),
            (ClientError::WrongPassword, Lang::En) => "Wrong password.".to_owned(),
            (ClientError::UnlockPaused { retry_after_seconds }, Lang::Es) => format!(
                "Demasiadas contraseñas incorrectas en este equipo: vuelva a intentarlo dentro de {retry_after_seconds} s."
            ),
            (ClientError::UnlockPaused { retry_after_seconds }, Lang::En) => {
                format!("Too many wrong passwords on this workstation: try again in {retry_after_seconds} s.")
            }
            (ClientError::ReplicaTooNew { .. }, Lang::Es) => {
                "Los datos de este equipo son de una versión más nueva de Taller: actualice Taller.".to_owned()
            }
            (ClientError::Db(error), Lang::Es) => format!("Error de la base de datos local: {error}"),
            (ClientError::Json(error), Lang::Es) => format!("Dato local ilegible: {error}"),
            (ClientError::Io(error), Lang::Es) => format!("Error de archivos: {error}"),
            (ClientError::ExportFailed { path, reason }, Lang::Es) => {
                format!("No se pudo guardar la exportación en {path}: {reason}. No quedó ningún archivo a medias.")
            }
            (ClientError::ExportFailed { path, reason }, Lang::En) => {
                format!("The export could not be saved to {path}: {reason}. No half-written file was left.")
            }
            (ClientError::NoReplenishmentOrigin { destination }, Lang::Es) => format!(
                "No se puede proponer una reposición para {destination}: este equipo no tiene el inventario de ninguna otra sede de la que traer los repuestos. Pida a un administrador que le asigne la bodega, o haga la propuesta desde la cuenta de la bodega."
            ),
            (ClientError::NoReplenishmentOrigin { destination }, Lang::En) => format!(
                "No replenishment can be proposed for {destination}: this workstation holds the inventory of no other location to bring the parts from. Ask an administrator to assign you the warehouse, or propose from the warehouse's account."
            ),
            (ClientError::ImportHasErrors { errors }, Lang::Es) => format!(
                "El archivo tiene {errors} error(es): corríjalos y vuelva a importarlo. No se importó nada."
            ),
            (ClientError::ImportHasErrors { errors }, Lang::En) => {
                format!("The file has {errors} error(s): fix them and import it again. Nothing was imported.")
            }
            (ClientError::LabelsFailed { path, reason }, Lang::Es) => {
                let place = if path.is_empty() { String::new() } else { format!(" en {path}") };
                format!("No se pudieron guardar las etiquetas{place}: {reason}. No quedó ningún archivo a medias.")
            }
            (ClientError::LabelsFailed { path, reason }, Lang::En) => {
                let place = if path.is_empty() { String::new() } else { format!(" to {path}") };
                format!("The labels could not be saved{place}: {reason}. No half-written file was left.")
            }
            (ClientError::NotBarcodable { referencia, too_long: false }, Lang::Es) => format!(
                "La referencia «{referencia}» no cabe en un código de barras Code 128: solo admite letras sin tilde, cifras y signos ASCII. No se guardó ningún archivo."
            ),
            (ClientError::NotBarcodable { referencia, too_long: false }, Lang::En) => format!(
                "The reference \"{referencia}\" cannot be a Code 128 barcode: it only holds unaccented letters, digits and ASCII signs. No file was saved."
            ),
            (ClientError::NotBarcodable { referencia, too_long: true }, Lang::Es) => format!(
                "La referencia «{referencia}» es demasiado larga para un código de barras legible en una etiqueta de 70 mm. No se guardó ningún archivo."
            ),
            (ClientError::NotBarcodable { referencia, too_long: true }, Lang::En) => format!(
                "The reference \"{referencia}\" is too long for a readable barcode on a 70 mm label. No file was saved."
            ),
            (ClientError::NothingToPrint, Lang::Es) => {
                "No hay nada que imprimir: ningún repuesto coincide (la estantería está vacía o ninguna posición empieza así).".to_owned()
            }
            (ClientError::NothingToPrint, Lang::En) => {
                "There is nothing to print: no part matches (the shelf is empty or no position starts like that).".to_owned()
            }
            (other, _) => other.to_string(),
        }
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;
