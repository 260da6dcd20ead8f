//! Scooter models (`scooter_types`) and the tracking of scooter orders (`order_follow`): shared
//! rows of the whole network, not of a location (decision 0018). An order moves through three
//! levels, 1 ordered, 2 in transit, 3 delivered, and a level never goes back: an advance to a
//! level at or below the order's current one is not applied, and its author is told
//! (`nivel_superado`), so concurrent advances keep the highest level whatever order they
//! arrive in (contract invariant 14).

use super::id_free;
use super::ledger::details;
use crate::args::{ModelCreate, OrderAdvance, OrderCreate};
use crate::rechazo::{Rechazo, RejectionCode};
use crate::text::clean;
use chrono::NaiveDate;
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// The `conflictos.tipo` of an advance that found the order at its level or beyond.
pub const SUPERSEDED: &str = "nivel_superado";

/// The levels of an order (`order_follow.nivel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Nivel {
    Pedido = 1,
    EnTransito = 2,
    Entregado = 3,
}

impl Nivel {
    pub const ALL: [Nivel; 3] = [Nivel::Pedido, Nivel::EnTransito, Nivel::Entregado];

    /// The level stored as `nivel`, if it is one.
    pub fn from_i32(nivel: i32) -> Option<Nivel> {
        Nivel::ALL.into_iter().find(|level| level.as_i32() == nivel)
    }

    pub fn as_i32(self) -> i32 {
        self as i32
    }

    /// The `estado` an order takes at this level when its author gives no words of their own
    /// (the reference's values).
    pub fn estado(self) -> &'static str {
        match self {
            Nivel::Pedido => "Pedido",
            Nivel::EnTransito => "En tránsito",
            Nivel::Entregado => "Entregado",
        }
    }
}

/// A level as a mutation gives it: 1, 2 or 3, else `value_not_allowed` (`nivel`).
pub fn level(nivel: i32) -> Result<Nivel, Rechazo> {
    Nivel::from_i32(nivel).ok_or_else(|| Rechazo::new(RejectionCode::ValueNotAllowed).with("field", "nivel"))
}

/// A required text of a new row, trimmed; empty is `invalid_arguments`.
fn required(field: &str, text: &str) -> Result<String, Rechazo> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Rechazo::invalid(format!("{field} cannot be empty")));
    }
    Ok(text.to_owned())
}

/// A contact e-mail: one `@` with something on each side, a dot after it, no spaces; else
/// `value_not_allowed` (`email_contacto`). Empty is no e-mail.
pub fn check_email(email: &str) -> Result<(), Rechazo> {
    let email = email.trim();
    let looks_right = match email.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if email.is_empty() || looks_right {
        Ok(())
    } else {
        Err(Rechazo::new(RejectionCode::ValueNotAllowed).with("field", "email_contacto"))
    }
}

/// A new model's columns, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewModel {
    pub nombre: String,
    pub potencia: String,
    pub descripcion: Option<String>,
}

/// `model.create`: a free id, a name and a power.
pub fn create_model(args: &ModelCreate, id_taken: bool) -> Result<NewModel, Rechazo> {
    id_free(id_taken, "tipo_scooter", args.id_tipo)?;
    Ok(NewModel {
        nombre: required("nombre", &args.nombre)?,
        potencia: required("potencia", &args.potencia)?,
        descripcion: clean(args.descripcion.as_deref()),
    })
}

/// A model a mutation names, which must exist.
pub fn model_exists(exists: bool, id_tipo: Uuid) -> Result<(), Rechazo> {
    if exists {
        Ok(())
    } else {
        Err(Rechazo::not_found("tipo_scooter", id_tipo))
    }
}

/// What `model.create` and `model.edit` answer.
pub fn model_result(id_tipo: Uuid) -> Map<String, Value> {
    details(json!({"id_tipo": id_tipo}))
}

/// What `order.create` needs to know of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderFacts {
    /// An order has this id.
    pub id_taken: bool,
    /// The model the order names exists.
    pub model_exists: bool,
}

/// A new order's columns, as stored (`fecha_orden` is when the person acted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub numero_orden: String,
    pub nivel: i32,
    pub estado: String,
    pub telefono_contacto: Option<String>,
    pub email_contacto: Option<String>,
    pub link_orden: Option<String>,
    pub fecha_entrega_estimada: Option<NaiveDate>,
}

/// `order.create`: a free id, an order number, a model that exists, a contact e-mail that
/// looks like one; the order starts at level 1.
pub fn create_order(args: &OrderCreate, facts: &OrderFacts) -> Result<NewOrder, Rechazo> {
    id_free(facts.id_taken, "orden", args.id_orden)?;
    let numero_orden = required("numero_orden", &args.numero_orden)?;
    model_exists(facts.model_exists, args.id_tipo_scooter)?;
    let email_contacto = clean(args.email_contacto.as_deref());
    if let Some(email) = &email_contacto {
        check_email(email)?;
    }
    Ok(NewOrder {
        numero_orden,
        nivel: Nivel::Pedido.as_i32(),
        estado: clean(args.estado.as_deref()).unwrap_or_else(|| Nivel::Pedido.estado().to_owned()),
        telefono_contacto: clean(args.telefono_contacto.as_deref()),
        email_contacto,
        link_orden: clean(args.link_orden.as_deref()),
        fecha_entrega_estimada: args.fecha_entrega_estimada,
    })
}

/// An order as an advance finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentOrder {
    pub nivel: i32,
    pub estado: String,
}

/// What `order.advance` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdvancePlan {
    /// The order reaches a higher level with these words.
    Advance { nivel: i32, estado: String },
    /// The order is already at the level asked for or beyond: nothing is written, and the
    /// author reviews it (`nivel_superado`).
    Superseded { current: CurrentOrder, wanted: i32, estado: String },
}

/// `order.advance`: a level of the three, an order that exists, then forward only. A level at
/// or below the current one is [`AdvancePlan::Superseded`], not a refusal: the order already
/// got there (another device advanced it), so the author's intent is met or overtaken.
pub fn advance(args: &OrderAdvance, current: Option<&CurrentOrder>) -> Result<AdvancePlan, Rechazo> {
    let wanted = level(args.nivel)?;
    let current = current.ok_or_else(|| Rechazo::not_found("orden", args.id_orden))?;
    let estado = clean(args.estado.as_deref()).unwrap_or_else(|| wanted.estado().to_owned());
    if wanted.as_i32() <= current.nivel {
        return Ok(AdvancePlan::Superseded { current: current.clone(), wanted: wanted.as_i32(), estado });
    }
    Ok(AdvancePlan::Advance { nivel: wanted.as_i32(), estado })
}

impl AdvancePlan {
    /// What `order.advance` answers: the order's level after it, and whether it moved.
    pub fn result(&self, id_orden: Uuid) -> Map<String, Value> {
        match self {
            AdvancePlan::Advance { nivel, estado } => {
                details(json!({"id_orden": id_orden, "nivel": nivel, "estado": estado, "applied": true}))
            }
            AdvancePlan::Superseded { current, wanted, .. } => details(json!({
                "id_orden": id_orden, "nivel": current.nivel, "estado": current.estado,
                "applied": false, "nivel_pedido": wanted,
            })),
        }
    }
}

/// An order a mutation names, which must exist.
pub fn order_exists(exists: bool, id_orden: Uuid) -> Result<(), Rechazo> {
    if exists {
        Ok(())
    } else {
        Err(Rechazo::not_found("orden", id_orden))
    }
}

/// The rules of an order's contact fields beyond their column types: an e-mail that looks
/// like one.
pub fn check_order_edit(field: &str, value: &Value) -> Result<(), Rechazo> {
    match (field, value) {
        ("email_contacto", Value::String(email)) => check_email(email),
        _ => Ok(()),
    }
}

/// What `order.edit` answers.
pub fn order_result(id_orden: Uuid) -> Map<String, Value> {
    details(json!({"id_orden": id_orden}))
}

/// An order is late when it is not delivered and its estimated delivery date has passed.
pub fn overdue(nivel: i32, fecha_entrega_estimada: Option<NaiveDate>, today: NaiveDate) -> bool {
    nivel < Nivel::Entregado.as_i32() && fecha_entrega_estimada.is_some_and(|eta| eta < today)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: Uuid = Uuid::from_u128(0x7001);
    const MODEL: Uuid = Uuid::from_u128(0x7002);

    fn new_order() -> OrderCreate {
        OrderCreate {
            id_orden: ORDER,
            numero_orden: " OC-2026-0101 ".into(),
            id_tipo_scooter: MODEL,
            estado: None,
            telefono_contacto: Some(" 600 123 123 ".into()),
            email_contacto: Some("compras@taller.es".into()),
            link_orden: Some("  ".into()),
            fecha_entrega_estimada: NaiveDate::from_ymd_opt(2026, 12, 20),
        }
    }

    #[test]
    fn a_new_order_starts_ordered_with_a_model_that_exists() {
        let free = OrderFacts { id_taken: false, model_exists: true };
        let order = create_order(&new_order(), &free).expect("creates");
        assert_eq!((order.nivel, order.estado.as_str()), (1, "Pedido"));
        assert_eq!(order.numero_orden, "OC-2026-0101");
        assert_eq!((order.telefono_contacto.as_deref(), order.link_orden), (Some("600 123 123"), None));
        let taken = create_order(&new_order(), &OrderFacts { id_taken: true, ..free }).err();
        assert_eq!(taken, Some(Rechazo::already_exists("orden", ORDER)));
        let no_model = create_order(&new_order(), &OrderFacts { model_exists: false, ..free }).err();
        assert_eq!(no_model, Some(Rechazo::not_found("tipo_scooter", MODEL)));
        let bad_email = OrderCreate { email_contacto: Some("compras arroba taller".into()), ..new_order() };
        let refused = create_order(&bad_email, &free).err();
        assert_eq!(refused, Some(Rechazo::new(RejectionCode::ValueNotAllowed).with("field", "email_contacto")));
        let no_number = OrderCreate { numero_orden: "  ".into(), ..new_order() };
        assert_eq!(create_order(&no_number, &free).err().map(|r| r.code), Some(RejectionCode::InvalidArguments));
    }

    /// The rule of the levels: forward only; at or below the current level is superseded (not
    /// refused), so two advances in either order end at the higher one.
    #[test]
    fn a_level_never_goes_back_and_concurrent_advances_keep_the_highest() {
        let at = |nivel: i32| CurrentOrder { nivel, estado: Nivel::from_i32(nivel).expect("level").estado().into() };
        let to = |nivel: i32| OrderAdvance { id_orden: ORDER, nivel, estado: None };
        let cases =
            [(1, 2, true), (1, 3, true), (2, 3, true), (2, 2, false), (3, 2, false), (3, 3, false), (2, 1, false)];
        for (current, wanted, applied) in cases {
            let plan = advance(&to(wanted), Some(&at(current))).expect("decides");
            assert_eq!(matches!(plan, AdvancePlan::Advance { .. }), applied, "{current} -> {wanted}");
            let result = plan.result(ORDER);
            assert_eq!(result["applied"], json!(applied));
            assert_eq!(result["nivel"], json!(current.max(wanted)), "the level after it");
        }
        // Two devices advance the same order at level 1, to 2 and to 3: whichever arrives
        // first, the order ends delivered.
        for (first, second) in [(2, 3), (3, 2)] {
            let mut order = at(1);
            for wanted in [first, second] {
                if let AdvancePlan::Advance { nivel, estado } = advance(&to(wanted), Some(&order)).expect("decides") {
                    order = CurrentOrder { nivel, estado };
                }
            }
            assert_eq!(order, at(3), "{first} then {second}");
        }
        let words = OrderAdvance { estado: Some(" Salió de Valencia ".into()), ..to(2) };
        assert_eq!(
            advance(&words, Some(&at(1))),
            Ok(AdvancePlan::Advance { nivel: 2, estado: "Salió de Valencia".into() })
        );
        assert_eq!(advance(&to(2), None).err(), Some(Rechazo::not_found("orden", ORDER)));
        for nivel in [0, 4, -1] {
            let refused = advance(&to(nivel), Some(&at(1))).err();
            assert_eq!(refused, Some(Rechazo::new(RejectionCode::ValueNotAllowed).with("field", "nivel")), "{nivel}");
        }
    }

    #[test]
    fn models_need_a_name_and_a_power() {
        let args =
            ModelCreate { id_tipo: MODEL, nombre: " Urbano 350 ".into(), potencia: "350W".into(), descripcion: None };
        let model = create_model(&args, false).expect("creates");
        assert_eq!((model.nombre.as_str(), model.potencia.as_str()), ("Urbano 350", "350W"));
        assert_eq!(create_model(&args, true).err(), Some(Rechazo::already_exists("tipo_scooter", MODEL)));
        let no_power = ModelCreate { potencia: " ".into(), ..args };
        assert_eq!(create_model(&no_power, false).err().map(|r| r.code), Some(RejectionCode::InvalidArguments));
        assert_eq!(model_exists(false, MODEL).err(), Some(Rechazo::not_found("tipo_scooter", MODEL)));
    }

    #[test]
    fn emails_and_late_orders() {
        for good in ["a@b.es", "compras.norte@taller-norte.com", ""] {
            assert!(check_email(good).is_ok(), "{good}");
        }
        for bad in ["a@b", "@b.es", "a b@c.es", "a@@b.es", "a@.es", "nombre"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert!(check_order_edit("email_contacto", &json!("x")).is_err());
        assert!(check_order_edit("telefono_contacto", &json!("x")).is_ok());
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).expect("date");
        let yesterday = NaiveDate::from_ymd_opt(2026, 12, 2);
        assert!(overdue(1, yesterday, today) && overdue(2, yesterday, today));
        assert!(!overdue(3, yesterday, today), "delivered is never late");
        assert!(!overdue(2, Some(today), today), "due today is not late yet");
        assert!(!overdue(1, None, today));
    }
}
