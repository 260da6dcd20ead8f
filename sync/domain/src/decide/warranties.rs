//! Warranty claims: SIN_ENVIAR -> PENDIENTE -> APROBADA | RECHAZADA; only a draft may be
//! edited, only `guarantees.resolve` approves or rejects (the catalogue's permission), and an
//! approved claim brings the supplier's replacement units into the location's stock
//! (`GARANTIA`). A refused transition names who set the current state once the caller has
//! looked it up ([`state_setter`]).

use super::ledger::{details, StockChange};
use super::{id_free, location_exists, part_exists, stored_state, user_exists};
use crate::actor::Actor;
use crate::args::{WarrantyCreate, WarrantyResolve};
use crate::rechazo::{Rechazo, RejectionCode};
use crate::stock::{check_quantity, LedgerEntry};
use crate::text::{check_text, clean};
use crate::{EstadoGarantia, TipoOperacion};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// What `warranty.create` needs to know of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateFacts {
    pub location_exists: bool,
    /// The part as it exists (an alias resolved).
    pub part: Option<Uuid>,
    /// The technician the claim names exists (true when it names none).
    pub technician_exists: bool,
    pub id_taken: bool,
}

/// A claim to write (SIN_ENVIAR, reported by the actor at the person's time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePlan {
    pub id_repuesto: Uuid,
    pub motivo_falla: String,
    pub numero_orden: Option<String>,
    pub solicitante: Option<String>,
    pub url_evidencia_foto: Option<String>,
}

/// `warranty.create`: the location in scope, a sane quantity, the failure described, a
/// mileage that is not negative, then the references (location, part, the technician named)
/// and a free id.
pub fn create(actor: &Actor, args: &WarrantyCreate, facts: &CreateFacts) -> Result<CreatePlan, Rechazo> {
    actor.require_location(args.id_localizacion)?;
    check_quantity(args.cantidad)?;
    let motivo_falla = clean(Some(&args.motivo_falla)).ok_or_else(Rechazo::reason_required)?;
    check_text("motivo_falla", &motivo_falla)?;
    if args.kilometraje.is_some_and(|km| km < 0) {
        return Err(Rechazo::invalid("kilometraje cannot be negative"));
    }
    location_exists(facts.location_exists, args.id_localizacion)?;
    let id_repuesto = part_exists(facts.part, args.id_repuesto)?;
    if let Some(id_tecnico) = args.id_tecnico_asociado {
        user_exists(facts.technician_exists, id_tecnico)?;
    }
    id_free(facts.id_taken, "garantia", args.id_garantia)?;
    Ok(CreatePlan {
        id_repuesto,
        motivo_falla,
        numero_orden: clean(args.numero_orden.as_deref()),
        solicitante: clean(args.solicitante.as_deref()),
        url_evidencia_foto: clean(args.url_evidencia_foto.as_deref()),
    })
}

/// What `warranty.create` answers.
pub fn create_result(args: &WarrantyCreate) -> Map<String, Value> {
    details(json!({"id_garantia": args.id_garantia, "estado": EstadoGarantia::SinEnviar.as_str()}))
}

/// A claim as its decisions read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimFacts {
    pub id_localizacion: Uuid,
    pub id_repuesto: Uuid,
    pub cantidad: i32,
    /// As stored (a state the machine does not know is refused).
    pub estado: String,
    /// The claim's location still exists (an approval moves stock there).
    pub location_exists: bool,
}

/// The claim every warranty mutation but creation acts on: it exists, its location is in
/// scope, its state is one the machine knows.
pub fn claim(actor: &Actor, id_garantia: Uuid, claim: Option<&ClaimFacts>) -> Result<EstadoGarantia, Rechazo> {
    let claim = claim.ok_or_else(|| Rechazo::not_found("garantia", id_garantia))?;
    actor.require_location(claim.id_localizacion)?;
    stored_state(&claim.estado)
}

/// `warranty.edit`: [`claim`], still a draft. Each edit is then checked by [`check_edit`] and
/// decided like every field edit.
pub fn edit(actor: &Actor, id_garantia: Uuid, facts: Option<&ClaimFacts>) -> Result<(), Rechazo> {
    let estado = claim(actor, id_garantia, facts)?;
    if !estado.is_editable() {
        return Err(Rechazo::new(RejectionCode::NotEditable).with("estado", estado.as_str()));
    }
    Ok(())
}

/// The rules of a claim's fields beyond their column types: a sane quantity, a mileage that is
/// not negative.
pub fn check_edit(field: &str, value: &Value) -> Result<(), Rechazo> {
    match field {
        "cantidad" => check_quantity(value.as_i64().and_then(|n| i32::try_from(n).ok()).unwrap_or(0)),
        "kilometraje" if value.as_i64().is_some_and(|km| km < 0) => {
            Err(Rechazo::invalid("kilometraje cannot be negative"))
        }
        _ => Ok(()),
    }
}

fn transition(id_garantia: Uuid, from: EstadoGarantia, to: EstadoGarantia) -> Result<(), Rechazo> {
    if from.can_transition_to(to) {
        Ok(())
    } else {
        Err(Rechazo::invalid_transition("garantia", id_garantia, from.as_str(), to.as_str()))
    }
}

/// `warranty.submit`: [`claim`], then SIN_ENVIAR -> PENDIENTE.
pub fn submit(actor: &Actor, id_garantia: Uuid, facts: Option<&ClaimFacts>) -> Result<EstadoGarantia, Rechazo> {
    let from = claim(actor, id_garantia, facts)?;
    transition(id_garantia, from, EstadoGarantia::Pendiente)?;
    Ok(EstadoGarantia::Pendiente)
}

/// A resolution to write.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvePlan {
    pub to: EstadoGarantia,
    pub comentarios_resolucion: Option<String>,
    /// An approval's replacement units into the claim's location.
    pub stock: Option<StockChange>,
}

/// `warranty.approve` and `warranty.reject`: [`claim`], the transition, a reason to reject,
/// the comment's text; an approval needs the claim's location and brings `cantidad` units of
/// the part into it (`GARANTIA`, the comment as the ledger's `motivo`).
pub fn resolve(
    actor: &Actor,
    args: &WarrantyResolve,
    approve: bool,
    facts: Option<&ClaimFacts>,
) -> Result<ResolvePlan, Rechazo> {
    let from = claim(actor, args.id_garantia, facts)?;
    let to = if approve { EstadoGarantia::Aprobada } else { EstadoGarantia::Rechazada };
    transition(args.id_garantia, from, to)?;
    let comentarios = clean(args.comentarios_resolucion.as_deref());
    if !approve && comentarios.is_none() {
        return Err(Rechazo::reason_required());
    }
    if let Some(text) = &comentarios {
        check_text("comentarios_resolucion", text)?;
    }
    let stock = match facts {
        Some(claim) if approve => {
            location_exists(claim.location_exists, claim.id_localizacion)?;
            Some(StockChange {
                id_localizacion: claim.id_localizacion,
                id_repuesto: claim.id_repuesto,
                delta: claim.cantidad,
                tipo: TipoOperacion::Garantia,
                motivo: comentarios.clone(),
                detalles: details(json!({"id_garantia": args.id_garantia})),
            })
        }
        _ => None,
    };
    Ok(ResolvePlan { to, comentarios_resolucion: comentarios, stock })
}

/// What a claim's transition answers: its new state.
pub fn state_result(estado: EstadoGarantia) -> Map<String, Value> {
    details(json!({"estado": estado.as_str()}))
}

impl ResolvePlan {
    /// What a resolution answers: the new state, and an approval's new stock.
    pub fn result(&self, entry: Option<&LedgerEntry>) -> Map<String, Value> {
        let mut result = state_result(self.to);
        if let Some(entry) = entry {
            result.insert("stock_actual".into(), json!(entry.cantidad_nueva));
        }
        result
    }
}

/// The mutation whose application put a claim in `estado` (each state is entered once).
pub fn entered_by(estado: EstadoGarantia) -> &'static str {
    match estado {
        EstadoGarantia::SinEnviar => "warranty.create",
        EstadoGarantia::Pendiente => "warranty.submit",
        EstadoGarantia::Aprobada => "warranty.approve",
        EstadoGarantia::Rechazada => "warranty.reject",
    }
}

/// What the claim's own columns say of who set a state and when, for a claim whose state
/// nothing else records (written by another application, or not yet known to a replica).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClaimDates {
    /// Who reported it (empty when unknown).
    pub reporter: String,
    pub fecha_reporte: Option<DateTime<Utc>>,
    pub fecha_resolucion: Option<DateTime<Utc>>,
}

/// Who put a claim in `estado`, and when (the person's time), as `changed_by`/`changed_at`:
/// the applied mutation that [`entered_by`] the state when one is known (`by_mutation`: its
/// author's name and time); else the reporter and the report's date for a draft, the
/// resolution's date (no name) for a resolved claim; else nothing.
pub fn state_setter(
    estado: EstadoGarantia,
    by_mutation: Option<(String, DateTime<Utc>)>,
    dates: Option<&ClaimDates>,
) -> (String, String) {
    if let Some((name, at)) = by_mutation {
        return (name, at.to_rfc3339());
    }
    match (estado, dates) {
        (EstadoGarantia::SinEnviar, Some(ClaimDates { reporter, fecha_reporte: Some(at), .. })) => {
            (reporter.clone(), at.to_rfc3339())
        }
        (EstadoGarantia::Aprobada | EstadoGarantia::Rechazada, Some(ClaimDates { fecha_resolucion: Some(at), .. })) => {
            (String::new(), at.to_rfc3339())
        }
        _ => (String::new(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::tests::{supervisor, tecnico, L1, L2};
    use chrono::TimeZone;

    const W1: Uuid = Uuid::from_u128(0x6001);
    const P1: Uuid = Uuid::from_u128(0x3001);

    fn new_claim() -> WarrantyCreate {
        WarrantyCreate {
            id_garantia: W1,
            id_localizacion: L1,
            id_repuesto: P1,
            cantidad: 2,
            motivo_falla: " no gira ".into(),
            id_tecnico_asociado: None,
            kilometraje: Some(1200),
            numero_orden: Some("  ".into()),
            solicitante: Some(" Ana ".into()),
            url_evidencia_foto: None,
        }
    }

    fn stored(estado: EstadoGarantia) -> ClaimFacts {
        ClaimFacts {
            id_localizacion: L1,
            id_repuesto: P1,
            cantidad: 3,
            estado: estado.as_str().into(),
            location_exists: true,
        }
    }

    #[test]
    fn a_new_claim_describes_its_failure() {
        let facts = CreateFacts { location_exists: true, part: Some(P1), technician_exists: true, id_taken: false };
        let plan = create(&tecnico(), &new_claim(), &facts).expect("applies");
        assert_eq!(plan.motivo_falla, "no gira");
        assert_eq!((plan.numero_orden, plan.solicitante.as_deref()), (None, Some("Ana")));
        let code = |args: WarrantyCreate, facts: CreateFacts| create(&tecnico(), &args, &facts).err().map(|r| r.code);
        assert_eq!(
            code(WarrantyCreate { id_localizacion: L2, ..new_claim() }, facts),
            Some(RejectionCode::LocationOutOfScope)
        );
        assert_eq!(
            code(WarrantyCreate { cantidad: 0, motivo_falla: " ".into(), ..new_claim() }, facts),
            Some(RejectionCode::InvalidQuantity)
        );
        assert_eq!(
            code(WarrantyCreate { motivo_falla: " ".into(), ..new_claim() }, facts),
            Some(RejectionCode::ReasonRequired)
        );
        assert_eq!(
            code(WarrantyCreate { kilometraje: Some(-1), ..new_claim() }, facts),
            Some(RejectionCode::InvalidArguments)
        );
        // A technician named who does not exist; naming none needs no technician.
        let someone = Uuid::from_u128(0x7ec);
        let unknown = CreateFacts { technician_exists: false, ..facts };
        assert_eq!(
            create(&tecnico(), &WarrantyCreate { id_tecnico_asociado: Some(someone), ..new_claim() }, &unknown).err(),
            Some(Rechazo::not_found("usuario", someone))
        );
        assert!(create(&tecnico(), &WarrantyCreate { id_tecnico_asociado: None, ..new_claim() }, &unknown).is_ok());
        let taken = create(&tecnico(), &new_claim(), &CreateFacts { id_taken: true, ..facts }).err();
        assert_eq!(taken, Some(Rechazo::already_exists("garantia", W1)));
        assert_eq!(create_result(&new_claim()), details(json!({"id_garantia": W1, "estado": "SIN_ENVIAR"})));
    }

    #[test]
    fn only_a_draft_in_scope_is_edited() {
        assert_eq!(edit(&tecnico(), W1, None), Err(Rechazo::not_found("garantia", W1)));
        let far = ClaimFacts { id_localizacion: L2, ..stored(EstadoGarantia::Aprobada) };
        assert_eq!(edit(&tecnico(), W1, Some(&far)), Err(Rechazo::location_out_of_scope(L2)), "scope before state");
        let sent = edit(&tecnico(), W1, Some(&stored(EstadoGarantia::Pendiente))).err();
        assert_eq!(sent, Some(Rechazo::new(RejectionCode::NotEditable).with("estado", "PENDIENTE")));
        assert!(edit(&tecnico(), W1, Some(&stored(EstadoGarantia::SinEnviar))).is_ok());
        let unknown = ClaimFacts { estado: "PERDIDA".into(), ..stored(EstadoGarantia::SinEnviar) };
        assert_eq!(edit(&tecnico(), W1, Some(&unknown)).err().map(|r| r.code), Some(RejectionCode::InvalidArguments));
        assert_eq!(check_edit("cantidad", &json!(0)).err().map(|r| r.code), Some(RejectionCode::InvalidQuantity));
        assert_eq!(check_edit("kilometraje", &json!(-5)).err().map(|r| r.code), Some(RejectionCode::InvalidArguments));
        assert!(check_edit("kilometraje", &json!(5)).is_ok() && check_edit("solicitante", &json!("x")).is_ok());
    }

    #[test]
    fn an_approval_brings_the_units_in_and_a_rejection_needs_a_reason() {
        let args = WarrantyResolve { id_garantia: W1, comentarios_resolucion: Some(" reemplazo ".into()) };
        let pending = stored(EstadoGarantia::Pendiente);
        let plan = resolve(&supervisor(), &args, true, Some(&pending)).expect("approves");
        assert_eq!(plan.to, EstadoGarantia::Aprobada);
        let stock = plan.stock.expect("moves stock");
        assert_eq!(
            (stock.id_localizacion, stock.id_repuesto, stock.delta, stock.tipo),
            (L1, P1, 3, TipoOperacion::Garantia)
        );
        assert_eq!(stock.motivo.as_deref(), Some("reemplazo"));
        assert_eq!(stock.detalles, details(json!({"id_garantia": W1})));
        let silent = WarrantyResolve { comentarios_resolucion: None, ..args.clone() };
        assert_eq!(resolve(&supervisor(), &silent, false, Some(&pending)).err(), Some(Rechazo::reason_required()));
        let rejected = resolve(&supervisor(), &args, false, Some(&pending)).expect("rejects");
        assert_eq!(rejected.result(None), details(json!({"estado": "RECHAZADA"})));
        assert_eq!((rejected.to, rejected.stock), (EstadoGarantia::Rechazada, None));
        let gone = ClaimFacts { location_exists: false, ..pending.clone() };
        assert_eq!(
            resolve(&supervisor(), &args, true, Some(&gone)).err(),
            Some(Rechazo::not_found("localizacion", L1))
        );
        // A transition refused before the reason: it waits for who set the state.
        let draft = resolve(&supervisor(), &silent, false, Some(&stored(EstadoGarantia::SinEnviar))).err();
        assert_eq!(draft.as_ref().and_then(Rechazo::awaits_setter), Some("SIN_ENVIAR"));
        assert_eq!(submit(&tecnico(), W1, Some(&stored(EstadoGarantia::SinEnviar))), Ok(EstadoGarantia::Pendiente));
    }

    #[test]
    fn who_set_a_state_comes_from_its_mutation_else_from_the_claims_dates() {
        let at = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).single().expect("valid");
        let later = at + chrono::Duration::hours(2);
        let dates = ClaimDates { reporter: "Tomás".into(), fecha_reporte: Some(at), fecha_resolucion: Some(later) };
        assert_eq!(entered_by(EstadoGarantia::Pendiente), "warranty.submit");
        assert_eq!(
            state_setter(EstadoGarantia::Pendiente, Some(("Ana".into(), later)), Some(&dates)),
            ("Ana".into(), later.to_rfc3339())
        );
        assert_eq!(state_setter(EstadoGarantia::SinEnviar, None, Some(&dates)), ("Tomás".into(), at.to_rfc3339()));
        assert_eq!(state_setter(EstadoGarantia::Rechazada, None, Some(&dates)), (String::new(), later.to_rfc3339()));
        assert_eq!(state_setter(EstadoGarantia::Pendiente, None, Some(&dates)), (String::new(), String::new()));
        assert_eq!(state_setter(EstadoGarantia::SinEnviar, None, None), (String::new(), String::new()));
    }
}
