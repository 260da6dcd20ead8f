//! Why a mutation is refused (by the decisions of [`crate::decide`], on the server and on a
//! replica alike): a stable machine-readable code, the facts behind it, and a message in the
//! person's language.

use crate::i18n::Lang;
use crate::permisos::Permiso;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use uuid::Uuid;

/// Stable rejection codes. They are part of the wire protocol: never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum RejectionCode {
    /// The arguments do not have the shape the mutation needs.
    InvalidArguments,
    /// The server does not know this mutation name.
    UnknownMutation,
    /// The user's role lacks the permission the mutation needs.
    Forbidden,
    /// The mutation touches a location the user is not assigned to.
    LocationOutOfScope,
    /// A referenced row does not exist.
    NotFound,
    /// A quantity is not positive or is absurdly large.
    InvalidQuantity,
    /// The movement's concept and type do not go together.
    InvalidMovement,
    /// The location refuses negative stock and there is not enough.
    InsufficientStock,
    /// The state changed since the person acted; the transition no longer applies.
    InvalidTransition,
    /// The row can no longer be edited in its current state.
    NotEditable,
    /// The time the person acted is too far in the future or too far in the past.
    TimeOutOfRange,
    /// Another part already has this reference.
    DuplicateReference,
    /// The count was already closed.
    CountClosed,
    /// A reason is required for this action.
    ReasonRequired,
    /// A row with this id already exists with other content.
    AlreadyExists,
    /// The field cannot be edited through this mutation.
    UnknownField,
    /// A request needs at least one line.
    EmptyRequest,
    /// A text is longer than its field allows (params: `field`, `max`, `length`, in characters).
    TooLong,
    /// The database refused a field's value by a rule of the schema (a check or a required
    /// field; params: `field`).
    ValueNotAllowed,
}

impl RejectionCode {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectionCode::InvalidArguments => "invalid_arguments",
            RejectionCode::UnknownMutation => "unknown_mutation",
            RejectionCode::Forbidden => "forbidden",
            RejectionCode::LocationOutOfScope => "location_out_of_scope",
            RejectionCode::NotFound => "not_found",
            RejectionCode::InvalidQuantity => "invalid_quantity",
            RejectionCode::InvalidMovement => "invalid_movement",
            RejectionCode::InsufficientStock => "insufficient_stock",
            RejectionCode::InvalidTransition => "invalid_transition",
            RejectionCode::NotEditable => "not_editable",
            RejectionCode::TimeOutOfRange => "time_out_of_range",
            RejectionCode::DuplicateReference => "duplicate_reference",
            RejectionCode::CountClosed => "count_closed",
            RejectionCode::ReasonRequired => "reason_required",
            RejectionCode::AlreadyExists => "already_exists",
            RejectionCode::UnknownField => "unknown_field",
            RejectionCode::EmptyRequest => "empty_request",
            RejectionCode::TooLong => "too_long",
            RejectionCode::ValueNotAllowed => "value_not_allowed",
        }
    }

    /// The message template; `{name}` is replaced by the parameter of that name, and
    /// `{name|other}` by the first of them that is given (a name when the side that refuses
    /// knows it, else the id).
    fn template(self, lang: Lang) -> &'static str {
        use RejectionCode::*;
        match (self, lang) {
            (InvalidArguments, Lang::Es) => "Los datos de la acción no son válidos: {detail}.",
            (InvalidArguments, Lang::En) => "The action's data is not valid: {detail}.",
            (UnknownMutation, Lang::Es) => "El servidor no reconoce la acción «{name}». Actualice la aplicación.",
            (UnknownMutation, Lang::En) => "The server does not know the action \"{name}\". Update the app.",
            (Forbidden, Lang::Es) => "Su rol no tiene el permiso {permission}. Pida acceso a un administrador.",
            (Forbidden, Lang::En) => "Your role lacks the permission {permission}. Ask an administrator for access.",
            (LocationOutOfScope, Lang::Es) => "No está asignado a la localización {localizacion|id_localizacion}.",
            (LocationOutOfScope, Lang::En) => "You are not assigned to location {localizacion|id_localizacion}.",
            (NotFound, Lang::Es) => "No existe {entity} {id}.",
            (NotFound, Lang::En) => "There is no {entity} {id}.",
            (InvalidQuantity, Lang::Es) => "La cantidad {cantidad} no es válida: debe estar entre 1 y {max}.",
            (InvalidQuantity, Lang::En) => "The quantity {cantidad} is not valid: it must be between 1 and {max}.",
            (InvalidMovement, Lang::Es) => "El concepto «{concepto}» no admite el tipo «{tipo}».",
            (InvalidMovement, Lang::En) => "The concept \"{concepto}\" does not allow the type \"{tipo}\".",
            (InsufficientStock, Lang::Es) => "Stock insuficiente: hay {available} y se piden {requested}.",
            (InsufficientStock, Lang::En) => "Not enough stock: {available} available, {requested} requested.",
            (InvalidTransition, Lang::Es) => "No se puede pasar de {from} a {to}: {changed_by} la dejó en {from} el {changed_at}.",
            (InvalidTransition, Lang::En) => "Cannot go from {from} to {to}: {changed_by} left it in {from} at {changed_at}.",
            (NotEditable, Lang::Es) => "Ya no se puede editar: su estado es {estado}.",
            (NotEditable, Lang::En) => "It can no longer be edited: its state is {estado}.",
            (TimeOutOfRange, Lang::Es) => "La hora de la acción ({at}) está fuera del rango permitido ({min} a {max}). Revise el reloj del equipo.",
            (TimeOutOfRange, Lang::En) => "The action's time ({at}) is outside the allowed range ({min} to {max}). Check the computer's clock.",
            (DuplicateReference, Lang::Es) => "La referencia {referencia} ya pertenece a otro repuesto.",
            (DuplicateReference, Lang::En) => "The reference {referencia} already belongs to another part.",
            (CountClosed, Lang::Es) => "El conteo {id_conteo} ya está cerrado.",
            (CountClosed, Lang::En) => "The count {id_conteo} is already closed.",
            (ReasonRequired, Lang::Es) => "Indique el motivo.",
            (ReasonRequired, Lang::En) => "Give a reason.",
            (AlreadyExists, Lang::Es) => "Ya existe {entity} {id}.",
            (AlreadyExists, Lang::En) => "{entity} {id} already exists.",
            (UnknownField, Lang::Es) => "El campo «{field}» no se puede editar aquí.",
            (UnknownField, Lang::En) => "The field \"{field}\" cannot be edited here.",
            (EmptyRequest, Lang::Es) => "La solicitud no tiene líneas.",
            (EmptyRequest, Lang::En) => "The request has no lines.",
            (TooLong, Lang::Es) => "El campo «{field}» admite como máximo {max} caracteres y tiene {length}.",
            (TooLong, Lang::En) => "The field \"{field}\" takes at most {max} characters; it has {length}.",
            (ValueNotAllowed, Lang::Es) => "El valor del campo «{field}» no está permitido.",
            (ValueNotAllowed, Lang::En) => "The value of the field \"{field}\" is not allowed.",
        }
    }
}

impl fmt::Display for RejectionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal: the code and the facts that explain it (rendered into a message per language).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rechazo {
    pub code: RejectionCode,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub params: Map<String, Value>,
}

impl Rechazo {
    pub fn new(code: RejectionCode) -> Rechazo {
        Rechazo { code, params: Map::new() }
    }

    /// A referenced row does not exist (`entity` as the handlers name it: `repuesto`,
    /// `localizacion`, `usuario`, ...).
    pub fn not_found(entity: &str, id: impl ToString) -> Rechazo {
        Rechazo::new(RejectionCode::NotFound).with("entity", entity).with("id", id.to_string())
    }

    /// A row with this id already exists.
    pub fn already_exists(entity: &str, id: impl ToString) -> Rechazo {
        Rechazo::new(RejectionCode::AlreadyExists).with("entity", entity).with("id", id.to_string())
    }

    /// The role lacks `permiso`.
    pub fn forbidden(permiso: Permiso) -> Rechazo {
        Rechazo::new(RejectionCode::Forbidden).with("permission", permiso.as_str())
    }

    /// The arguments do not have the shape the mutation needs; `detail` says how.
    pub fn invalid(detail: impl Into<String>) -> Rechazo {
        Rechazo::new(RejectionCode::InvalidArguments).with("detail", detail.into())
    }

    /// The location is not among the actor's.
    pub fn location_out_of_scope(id_localizacion: Uuid) -> Rechazo {
        Rechazo::new(RejectionCode::LocationOutOfScope).with("id_localizacion", id_localizacion.to_string())
    }

    /// A reason is required for this action.
    pub fn reason_required() -> Rechazo {
        Rechazo::new(RejectionCode::ReasonRequired)
    }

    /// A text longer than its field allows (in characters).
    pub fn too_long(field: &str, max: usize, length: usize) -> Rechazo {
        Rechazo::new(RejectionCode::TooLong).with("field", field).with("max", max).with("length", length)
    }

    /// The field cannot be edited through this mutation.
    pub fn unknown_field(field: &str) -> Rechazo {
        Rechazo::new(RejectionCode::UnknownField).with("field", field)
    }

    /// A transition the current state does not allow. Who set the current state and when are
    /// facts only the refusing side can look up, and only once it knows the transition is
    /// refused: [`Rechazo::awaits_setter`] says so, [`Rechazo::set_by`] adds them.
    pub fn invalid_transition(entity: &str, id: Uuid, from: &str, to: &str) -> Rechazo {
        Rechazo::new(RejectionCode::InvalidTransition)
            .with("entity", entity)
            .with("id", id.to_string())
            .with("from", from)
            .with("to", to)
    }

    /// The state (`from`) of a transition refusal that does not name who set it yet.
    pub fn awaits_setter(&self) -> Option<&str> {
        if self.code != RejectionCode::InvalidTransition || self.params.contains_key("changed_by") {
            return None;
        }
        self.params.get("from").and_then(Value::as_str)
    }

    /// Completes a transition refusal with who set the current state and when (empty when
    /// unknown).
    pub fn set_by(self, changed_by: impl Into<String>, changed_at: impl Into<String>) -> Rechazo {
        self.with("changed_by", changed_by.into()).with("changed_at", changed_at.into())
    }

    /// Adds a fact; builder style.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Rechazo {
        self.params.insert(name.to_owned(), value.into());
        self
    }

    /// The human message in `lang`. Missing parameters render as `?` rather than failing:
    /// a message must always be shown.
    pub fn message(&self, lang: Lang) -> String {
        let template = self.code.template(lang);
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close) => {
                    let value = after[..close]
                        .split('|')
                        .find_map(|name| self.params.get(name).filter(|value| !value.is_null()));
                    match value {
                        Some(Value::String(text)) => out.push_str(text),
                        None => out.push('?'),
                        Some(other) => out.push_str(&other.to_string()),
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    out.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }
}

impl fmt::Display for Rechazo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message(Lang::En))
    }
}

impl std::error::Error for Rechazo {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_interpolate_in_both_languages() {
        let rechazo = Rechazo::new(RejectionCode::InsufficientStock).with("available", 2).with("requested", 5);
        assert_eq!(rechazo.message(Lang::Es), "Stock insuficiente: hay 2 y se piden 5.");
        assert_eq!(rechazo.message(Lang::En), "Not enough stock: 2 available, 5 requested.");
        let missing = Rechazo::new(RejectionCode::CountClosed);
        assert_eq!(missing.message(Lang::Es), "El conteo ? ya está cerrado.");
    }

    /// A location is named when the refusing side knows its name, and shown by id otherwise.
    #[test]
    fn a_name_is_shown_when_given_and_the_id_otherwise() {
        let by_id = Rechazo::new(RejectionCode::LocationOutOfScope).with("id_localizacion", "0190-abc");
        assert_eq!(by_id.message(Lang::Es), "No está asignado a la localización 0190-abc.");
        let named = by_id.clone().with("localizacion", "Taller Sur");
        assert_eq!(named.message(Lang::Es), "No está asignado a la localización Taller Sur.");
        assert_eq!(named.message(Lang::En), "You are not assigned to location Taller Sur.");
        assert_eq!(
            Rechazo::new(RejectionCode::LocationOutOfScope).message(Lang::En),
            "You are not assigned to location ?."
        );
    }

    /// The constructors both sides refuse with give the parameters the messages name.
    #[test]
    fn constructors_give_the_parameters_their_messages_name() {
        let id = Uuid::from_u128(7);
        let cases = [
            (Rechazo::not_found("repuesto", id), "No existe repuesto 00000000-0000-0000-0000-000000000007."),
            (Rechazo::already_exists("conteo", id), "Ya existe conteo 00000000-0000-0000-0000-000000000007."),
            (
                Rechazo::forbidden(Permiso::UsersManage),
                "Su rol no tiene el permiso users.manage. Pida acceso a un administrador.",
            ),
            (Rechazo::invalid("x must be positive"), "Los datos de la acción no son válidos: x must be positive."),
            (
                Rechazo::location_out_of_scope(id),
                "No está asignado a la localización 00000000-0000-0000-0000-000000000007.",
            ),
            (Rechazo::reason_required(), "Indique el motivo."),
            (
                Rechazo::too_long("motivo", 2000, 2001),
                "El campo «motivo» admite como máximo 2000 caracteres y tiene 2001.",
            ),
            (Rechazo::unknown_field("created_at"), "El campo «created_at» no se puede editar aquí."),
        ];
        for (rechazo, message) in cases {
            assert_eq!(rechazo.message(Lang::Es), message, "{rechazo:?}");
        }
    }

    /// A transition refusal waits for who set the state, and says so until it has it.
    #[test]
    fn a_transition_refusal_is_completed_with_who_set_the_state() {
        let refused = Rechazo::invalid_transition("solicitud", Uuid::nil(), "CANCELADO", "DESPACHADO");
        assert_eq!(refused.awaits_setter(), Some("CANCELADO"));
        let complete = refused.set_by("Ana", "2026-11-22T10:00:00+00:00");
        assert_eq!(complete.awaits_setter(), None);
        assert_eq!(
            complete.message(Lang::En),
            "Cannot go from CANCELADO to DESPACHADO: Ana left it in CANCELADO at 2026-11-22T10:00:00+00:00."
        );
        assert_eq!(Rechazo::reason_required().awaits_setter(), None);
    }

    #[test]
    fn codes_are_stable_and_serialize_as_their_text() {
        let all = [
            RejectionCode::InvalidArguments,
            RejectionCode::UnknownMutation,
            RejectionCode::Forbidden,
            RejectionCode::LocationOutOfScope,
            RejectionCode::NotFound,
            RejectionCode::InvalidQuantity,
            RejectionCode::InvalidMovement,
            RejectionCode::InsufficientStock,
            RejectionCode::InvalidTransition,
            RejectionCode::NotEditable,
            RejectionCode::TimeOutOfRange,
            RejectionCode::DuplicateReference,
            RejectionCode::CountClosed,
            RejectionCode::ReasonRequired,
            RejectionCode::AlreadyExists,
            RejectionCode::UnknownField,
            RejectionCode::EmptyRequest,
            RejectionCode::TooLong,
            RejectionCode::ValueNotAllowed,
        ];
        for code in all {
            assert_eq!(serde_json::to_value(code).ok(), Some(Value::String(code.as_str().to_owned())));
            for lang in [Lang::Es, Lang::En] {
                assert!(!code.template(lang).is_empty());
            }
            // Spanish and English differ: a missing translation would repeat one of them.
            assert_ne!(code.template(Lang::Es), code.template(Lang::En), "{code}");
        }
    }
}
