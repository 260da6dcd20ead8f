//! The conflict inbox's sentences, in Spanish and English: what happened, why, and what the
//! person can do, with the names a person knows (part reference, location name).

use super::types::InboxKind;
use serde_json::Value;
use taller_domain::{Lang, RejectionCode};

/// What the replica knows about an inbox entry, by name.
#[derive(Debug, Clone, Default)]
pub(super) struct Facts {
    pub referencia: Option<String>,
    pub localizacion: Option<String>,
    pub cantidad: Option<i64>,
    pub otro_usuario: Option<String>,
    pub campo: Option<String>,
    pub tabla: String,
    pub clave: String,
    pub valor_reemplazado: Value,
    pub valor_servidor: Value,
    pub valor_nuevo: Value,
}

/// The three sentences of an entry.
pub(super) struct Texts {
    pub what: String,
    pub why: String,
    pub next_step: String,
}

/// A value as a person reads it.
fn shown(value: &Value, lang: Lang) -> String {
    match (value, lang) {
        (Value::Null, Lang::Es) => "(vacío)".to_owned(),
        (Value::Null, Lang::En) => "(empty)".to_owned(),
        (Value::String(text), _) => text.clone(),
        (other, _) => other.to_string(),
    }
}

/// An order level (`order_follow.nivel`) as a person names it.
fn level_name(value: &Value, lang: Lang) -> String {
    match (value.as_i64(), lang) {
        (Some(1), Lang::Es) => "Pedido".to_owned(),
        (Some(2), Lang::Es) => "En tránsito".to_owned(),
        (Some(3), Lang::Es) => "Entregado".to_owned(),
        (Some(1), Lang::En) => "Ordered".to_owned(),
        (Some(2), Lang::En) => "In transit".to_owned(),
        (Some(3), Lang::En) => "Delivered".to_owned(),
        _ => shown(value, lang),
    }
}

/// What a person calls an action, in `lang`.
fn action_label(action: &str, lang: Lang) -> String {
    let (es, en) = match action {
        "movement.record" => ("movimiento", "movement"),
        "inventory.adjust" => ("ajuste de stock", "stock adjustment"),
        "inventory.settings" => ("cambio de la configuración de stock", "stock settings change"),
        "part.create" => ("alta de repuesto", "new part"),
        "part.edit" => ("edición de repuesto", "part edit"),
        "part.discontinue" => ("cambio de descontinuado", "discontinued change"),
        "cart.add" | "cart.set" | "cart.remove" => ("cambio del carrito", "cart change"),
        "request.create" => ("solicitud", "request"),
        "request.pick" | "request.dispatch" | "request.receive" | "request.cancel" => {
            ("cambio de la solicitud", "request change")
        }
        "count.start" | "count.line" | "count.close" => ("conteo", "count"),
        "warranty.create" | "warranty.edit" | "warranty.submit" => ("garantía", "warranty"),
        "warranty.approve" | "warranty.reject" => ("resolución de garantía", "warranty decision"),
        "notification.read" => ("lectura de notificación", "notification read"),
        "user.approve" | "user.reject" | "user.assign" | "user.unassign" => ("cambio de usuario", "user change"),
        "location.policy" => ("cambio de política de stock", "stock policy change"),
        "model.create" => ("alta de modelo", "new model"),
        "model.edit" => ("edición de modelo", "model edit"),
        "order.create" => ("alta de orden", "new order"),
        "order.advance" => ("avance de orden", "order advance"),
        "order.edit" => ("edición de orden", "order edit"),
        other => return format!("«{other}»"),
    };
    match lang {
        Lang::Es => es.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// The texts of a refused mutation; `why` is the rejection's message.
pub(super) fn rejection(lang: Lang, action: &str, code: Option<RejectionCode>, why: String, facts: &Facts) -> Texts {
    let mut what = match lang {
        Lang::Es => format!("El servidor rechazó su {}", action_label(action, lang)),
        Lang::En => format!("The server refused your {}", action_label(action, lang)),
    };
    match (lang, facts.cantidad, &facts.referencia) {
        (Lang::Es, Some(n), Some(r)) => what.push_str(&format!(" de {n} × {r}")),
        (Lang::En, Some(n), Some(r)) => what.push_str(&format!(" of {n} × {r}")),
        (Lang::Es, None, Some(r)) => what.push_str(&format!(" de {r}")),
        (Lang::En, None, Some(r)) => what.push_str(&format!(" of {r}")),
        _ => {}
    }
    match (lang, &facts.localizacion) {
        (Lang::Es, Some(l)) => what.push_str(&format!(" en {l}")),
        (Lang::En, Some(l)) => what.push_str(&format!(" at {l}")),
        _ => {}
    }
    what.push('.');
    let next_step = match (code, lang) {
        (Some(RejectionCode::InsufficientStock), Lang::Es) => "Cuente las unidades en el estante y registre el movimiento de nuevo con la cantidad disponible, o pida un ajuste.",
        (Some(RejectionCode::InsufficientStock), Lang::En) => "Count the units on the shelf and record the movement again with the quantity available, or ask for an adjustment.",
        (Some(RejectionCode::Forbidden), Lang::Es) => "Pida a un administrador el permiso que falta y repita la acción.",
        (Some(RejectionCode::Forbidden), Lang::En) => "Ask an administrator for the missing permission, then repeat the action.",
        (Some(RejectionCode::LocationOutOfScope), Lang::Es) => "Pida a un administrador que le asigne la localización, o registre la acción en una de las suyas.",
        (Some(RejectionCode::LocationOutOfScope), Lang::En) => "Ask an administrator to assign you the location, or record the action at one of yours.",
        (Some(RejectionCode::TimeOutOfRange), Lang::Es) => "Corrija la fecha y la hora del equipo y repita la acción.",
        (Some(RejectionCode::TimeOutOfRange), Lang::En) => "Fix the computer's date and time, then repeat the action.",
        (Some(RejectionCode::InvalidTransition | RejectionCode::NotEditable | RejectionCode::CountClosed), Lang::Es) => "Revise el estado actual: la acción ya no aplica. Repítala solo si aún hace falta.",
        (Some(RejectionCode::InvalidTransition | RejectionCode::NotEditable | RejectionCode::CountClosed), Lang::En) => "Check the current state: the action no longer applies. Repeat it only if it is still needed.",
        (Some(RejectionCode::DuplicateReference), Lang::Es) => "Use el repuesto que ya tiene esa referencia, o elija otra referencia.",
        (Some(RejectionCode::DuplicateReference), Lang::En) => "Use the part that already has this reference, or choose another reference.",
        (Some(RejectionCode::NotFound), Lang::Es) => "El registro ya no existe en el servidor: sincronice y repita la acción si aún hace falta.",
        (Some(RejectionCode::NotFound), Lang::En) => "The record no longer exists on the server: sync, and repeat the action if it is still needed.",
        (Some(RejectionCode::UnknownMutation), Lang::Es) => "Actualice la aplicación y repita la acción.",
        (Some(RejectionCode::UnknownMutation), Lang::En) => "Update the app, then repeat the action.",
        (_, Lang::Es) => "Nada de la acción quedó aplicado. Corrija los datos y repítala si aún hace falta.",
        (_, Lang::En) => "None of the action was applied. Correct the data and repeat it if it is still needed.",
    };
    Texts { what, why, next_step: next_step.to_owned() }
}

/// What a person calls the row of a conflict: the part (at its location), else table and key.
fn subject(lang: Lang, facts: &Facts) -> String {
    match (&facts.referencia, &facts.localizacion, lang) {
        (Some(r), Some(l), Lang::Es) => format!("{r} en {l}"),
        (Some(r), Some(l), Lang::En) => format!("{r} at {l}"),
        (Some(r), None, _) => r.clone(),
        (None, _, _) => format!("{} {}", facts.tabla, facts.clave),
    }
}

/// The texts of a `conflictos` row.
pub(super) fn conflict(lang: Lang, kind: InboxKind, facts: &Facts) -> Texts {
    let subject = subject(lang, facts);
    let replaced = shown(&facts.valor_reemplazado, lang);
    let server = shown(&facts.valor_servidor, lang);
    let new = shown(&facts.valor_nuevo, lang);
    let campo = facts.campo.clone().unwrap_or_default();
    let (what, why, next_step) = match (kind, lang) {
        (InboxKind::Absorbido, Lang::Es) => (
            format!("Su cambio de {new} unidades en {subject} quedó registrado sin mover el stock."),
            "Tiene fecha anterior al último conteo físico, que ya fijó la cantidad de ese momento.".to_owned(),
            "Si esas unidades no estaban en el conteo, registre un ajuste manual; si ya estaban, no hay nada que hacer."
                .to_owned(),
        ),
        (InboxKind::Absorbido, Lang::En) => (
            format!("Your change of {new} units to {subject} was recorded without moving the stock."),
            "It is dated before the latest physical count, which already fixed the quantity at that moment.".to_owned(),
            "If those units were not in the count, record a manual adjustment; if they were, nothing needs doing."
                .to_owned(),
        ),
        (InboxKind::StockNegativo, Lang::Es) => (
            format!("{subject} quedó con {server} unidades."),
            match &facts.otro_usuario {
                Some(other) => format!(
                    "Salieron más unidades de las registradas (de {replaced} a {server}); lo registró {other}."
                ),
                None => format!("Salieron más unidades de las registradas (de {replaced} a {server})."),
            },
            "Cuente las unidades en el estante y corrija el stock con un conteo o un ajuste.".to_owned(),
        ),
        (InboxKind::StockNegativo, Lang::En) => (
            format!("{subject} is at {server} units."),
            match &facts.otro_usuario {
                Some(other) => {
                    format!("More units went out than were recorded (from {replaced} to {server}); {other} recorded it.")
                }
                None => format!("More units went out than were recorded (from {replaced} to {server})."),
            },
            "Count the units on the shelf and correct the stock with a count or an adjustment.".to_owned(),
        ),
        (InboxKind::EdicionCampo, Lang::Es) => (
            match &facts.otro_usuario {
                Some(other) => format!("Usted y {other} editaron a la vez «{campo}» de {subject}."),
                None => format!("Usted y otra persona editaron a la vez «{campo}» de {subject}."),
            },
            format!("Usted reemplazó «{replaced}», pero el valor ya era «{server}». Quedó «{new}»."),
            "Revise el valor; si no es el correcto, edítelo de nuevo.".to_owned(),
        ),
        (InboxKind::EdicionCampo, Lang::En) => (
            match &facts.otro_usuario {
                Some(other) => format!("You and {other} edited \"{campo}\" of {subject} at the same time."),
                None => format!("You and someone else edited \"{campo}\" of {subject} at the same time."),
            },
            format!("You replaced \"{replaced}\", but the value was already \"{server}\". It is now \"{new}\"."),
            "Check the value; if it is not right, edit it again.".to_owned(),
        ),
        (InboxKind::FusionReferencia, Lang::Es) => (
            format!("El repuesto «{new}» que usted creó ya existía con la referencia {server}."),
            "Otra persona creó antes un repuesto con la misma referencia; su alta se unió a ese repuesto.".to_owned(),
            "Sus acciones quedaron sobre el repuesto existente. Revise su nombre y sus datos.".to_owned(),
        ),
        (InboxKind::FusionReferencia, Lang::En) => (
            format!("The part \"{new}\" you created already existed with reference {server}."),
            "Someone created a part with the same reference first; yours was merged into it.".to_owned(),
            "Your actions now apply to the existing part. Check its name and details.".to_owned(),
        ),
        (InboxKind::NivelSuperado, Lang::Es) => (
            format!("Su avance de la orden {subject} a «{}» no se aplicó.", level_name(&facts.valor_nuevo, lang)),
            match &facts.otro_usuario {
                Some(other) => format!(
                    "{other} ya la había dejado en «{}»: un nivel nunca retrocede.",
                    level_name(&facts.valor_servidor, lang)
                ),
                None => {
                    format!("Ya estaba en «{}»: un nivel nunca retrocede.", level_name(&facts.valor_servidor, lang))
                }
            },
            "No hay nada que hacer si la orden va bien; revise su estado en Órdenes.".to_owned(),
        ),
        (InboxKind::NivelSuperado, Lang::En) => (
            format!("Your advance of order {subject} to \"{}\" was not applied.", level_name(&facts.valor_nuevo, lang)),
            match &facts.otro_usuario {
                Some(other) => format!(
                    "{other} had already moved it to \"{}\": a level never goes back.",
                    level_name(&facts.valor_servidor, lang)
                ),
                None => {
                    format!("It was already \"{}\": a level never goes back.", level_name(&facts.valor_servidor, lang))
                }
            },
            "Nothing needs doing if the order is on its way; check its state in Orders.".to_owned(),
        ),
        // Rejections have texts of their own (`rejection`).
        (InboxKind::Rechazo, Lang::Es) => (format!("Conflicto en {subject}."), String::new(), String::new()),
        (InboxKind::Rechazo, Lang::En) => (format!("Conflict on {subject}."), String::new(), String::new()),
    };
    Texts { what, why, next_step }
}

/// A refusal whose times read as a person reads them: every param ending in `_at` that is an
/// RFC 3339 time becomes the workstation's local time, `2/12/2026 17:12` in Spanish and
/// `2026-12-02 17:12` in English (the server sends `2026-12-02T17:12:41.902057+00:00`).
pub(crate) fn readable(rechazo: &taller_domain::Rechazo, lang: Lang) -> taller_domain::Rechazo {
    let mut readable = rechazo.clone();
    for (key, value) in readable.params.iter_mut() {
        if !key.ends_with("_at") {
            continue;
        }
        let Some(at) = value.as_str().and_then(|text| chrono::DateTime::parse_from_rfc3339(text).ok()) else {
            continue;
        };
        let local = at.with_timezone(&chrono::Local);
        let shown = match lang {
            Lang::Es => local.format("%-d/%-m/%Y %H:%M"),
            Lang::En => local.format("%Y-%m-%d %H:%M"),
        };
        *value = Value::String(shown.to_string());
    }
    readable
}

#[cfg(test)]
mod readable_tests {
    use super::*;
    use taller_domain::Rechazo;

    #[test]
    fn times_in_a_refusal_read_as_local_times_and_other_params_stay() {
        let rechazo = Rechazo::new(RejectionCode::InvalidTransition)
            .with("from", "CANCELADO")
            .with("to", "DESPACHADO")
            .with("changed_by", "Carla Técnica")
            .with("changed_at", "2026-12-02T17:12:41.902057+00:00")
            .with("created_at", "not a time");
        let local =
            chrono::DateTime::parse_from_rfc3339("2026-12-02T17:12:41Z").expect("time").with_timezone(&chrono::Local);
        let es = readable(&rechazo, Lang::Es).message(Lang::Es);
        assert!(es.contains(&format!("el {}", local.format("%-d/%-m/%Y %H:%M"))), "{es}");
        assert!(!es.contains("T17:12:41"), "{es}");
        let en = readable(&rechazo, Lang::En);
        assert_eq!(en.params["changed_at"], Value::String(local.format("%Y-%m-%d %H:%M").to_string()));
        assert_eq!(en.params["created_at"], "not a time");
        assert_eq!(en.params["changed_by"], "Carla Técnica");
        assert_eq!(rechazo.params["changed_at"], "2026-12-02T17:12:41.902057+00:00", "the stored refusal is untouched");
    }
}
