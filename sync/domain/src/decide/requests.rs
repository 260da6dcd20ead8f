//! The request cart and transfer requests between locations: PENDIENTE -> ALISTAMIENTO ->
//! DESPACHADO -> RECIBIDO, and CANCELADO from the first two. A transition is checked against
//! the current state of the row the caller read; a refused one names who set that state once
//! the caller has looked it up ([`Rechazo::awaits_setter`], [`Rechazo::set_by`]).

use super::ledger::{details, StockChange};
use super::{id_free, location_exists, part_exists};
use crate::actor::Actor;
use crate::args::{CartAdd, CartSet, LineQuantity, RequestCreate, RequestDispatch, RequestReceive, RequestRef};
use crate::rechazo::{Rechazo, RejectionCode};
use crate::stock::{check_quantity, check_quantity_or_zero};
use crate::text::{check_text, clean};
use crate::{EstadoSolicitud, Permiso, TipoOperacion};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What `cart.add` needs to know of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CartAddFacts {
    pub location_exists: bool,
    /// The part as it exists (an alias resolved).
    pub part: Option<Uuid>,
    pub id_taken: bool,
}

/// `cart.add`: the destination in scope, a sane quantity, the references, a free id. The line
/// is stored with the part as it exists.
pub fn cart_add(actor: &Actor, args: &CartAdd, facts: &CartAddFacts) -> Result<Uuid, Rechazo> {
    actor.require_location(args.id_localizacion)?;
    check_quantity(args.cantidad)?;
    location_exists(facts.location_exists, args.id_localizacion)?;
    let id_repuesto = part_exists(facts.part, args.id_repuesto)?;
    id_free(facts.id_taken, "item_carrito", args.id_item_carrito)?;
    Ok(id_repuesto)
}

/// `cart.set`: a sane quantity for one of the user's own cart lines (`own_line`: the line
/// exists and is theirs).
pub fn cart_set(args: &CartSet, own_line: bool) -> Result<(), Rechazo> {
    check_quantity(args.cantidad)?;
    if !own_line {
        return Err(Rechazo::not_found("item_carrito", args.id_item_carrito));
    }
    Ok(())
}

/// What `request.create` needs to know of the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateFacts {
    pub origin_exists: bool,
    pub destination_exists: bool,
    pub id_taken: bool,
    /// Each line's part as it exists, in the order of the lines.
    pub parts: Vec<Option<Uuid>>,
    /// The line ids other request lines already have.
    pub lines_taken: HashSet<Uuid>,
}

/// A request line to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLine {
    pub id_detalle: Uuid,
    pub id_repuesto: Uuid,
    pub cantidad: i32,
    pub observaciones: Option<String>,
    /// The user's cart line it empties (if it is still theirs).
    pub id_item_carrito: Option<Uuid>,
}

/// A request to write (PENDIENTE, by the actor, at the person's time).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatePlan {
    pub observaciones_generales: Option<String>,
    pub lines: Vec<NewLine>,
}

/// `request.create`: the destination (where the parts are wanted) in scope, two different
/// locations, at least one line, the texts, the references and a free id; then each line's
/// quantity and part, then each line's id.
pub fn create(actor: &Actor, args: &RequestCreate, facts: &CreateFacts) -> Result<CreatePlan, Rechazo> {
    actor.require_location(args.id_localizacion_destino)?;
    if args.id_localizacion_origen == args.id_localizacion_destino {
        return Err(Rechazo::invalid("origin and destination must differ"));
    }
    if args.lines.is_empty() {
        return Err(Rechazo::new(RejectionCode::EmptyRequest));
    }
    if let Some(text) = &args.observaciones_generales {
        check_text("observaciones_generales", text)?;
    }
    location_exists(facts.origin_exists, args.id_localizacion_origen)?;
    location_exists(facts.destination_exists, args.id_localizacion_destino)?;
    id_free(facts.id_taken, "solicitud", args.id_solicitud)?;
    let mut lines = Vec::with_capacity(args.lines.len());
    for (n, line) in args.lines.iter().enumerate() {
        check_quantity(line.cantidad)?;
        let id_repuesto = part_exists(facts.parts.get(n).copied().flatten(), line.id_repuesto)?;
        lines.push(NewLine {
            id_detalle: line.id_detalle,
            id_repuesto,
            cantidad: line.cantidad,
            observaciones: clean(line.observaciones.as_deref()),
            id_item_carrito: line.id_item_carrito,
        });
    }
    let mut seen = HashSet::new();
    for line in &lines {
        let taken = facts.lines_taken.contains(&line.id_detalle) || !seen.insert(line.id_detalle);
        id_free(taken, "detalle_solicitud", line.id_detalle)?;
    }
    Ok(CreatePlan { observaciones_generales: clean(args.observaciones_generales.as_deref()), lines })
}

/// What `request.create` answers.
pub fn create_result(args: &RequestCreate) -> Map<String, Value> {
    details(json!({"id_solicitud": args.id_solicitud, "estado": EstadoSolicitud::Pendiente.as_str()}))
}

/// A request as its transitions read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestFacts {
    pub id_solicitud: Uuid,
    pub origen: Uuid,
    pub destino: Uuid,
    pub solicitante: Uuid,
    pub estado: EstadoSolicitud,
}

/// One line of a request, in line-id order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineFacts {
    pub id_detalle: Uuid,
    pub id_repuesto: Uuid,
    pub cantidad_solicitada: i32,
    pub cantidad_despachada: Option<i32>,
}

/// A state change of a request: its trace row says from, to and the person's comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: EstadoSolicitud,
    pub to: EstadoSolicitud,
    /// The comment of the trace row (an empty one is none).
    pub comentario: Option<String>,
}

impl Transition {
    /// What a transition answers: the new state.
    pub fn result(&self) -> Map<String, Value> {
        details(json!({"estado": self.to.as_str()}))
    }
}

fn transition(request: &RequestFacts, to: EstadoSolicitud, comentario: &Option<String>) -> Result<Transition, Rechazo> {
    if !request.estado.can_transition_to(to) {
        return Err(Rechazo::invalid_transition(
            "solicitud",
            request.id_solicitud,
            request.estado.as_str(),
            to.as_str(),
        ));
    }
    Ok(Transition { from: request.estado, to, comentario: comentario.clone().filter(|text| !text.is_empty()) })
}

/// `request.pick`: the origin (who prepares the parts) in scope, then the transition.
pub fn pick(actor: &Actor, request: &RequestFacts, args: &RequestRef) -> Result<Transition, Rechazo> {
    actor.require_location(request.origen)?;
    transition(request, EstadoSolicitud::Alistamiento, &args.comentario)
}

/// A line's quantity as dispatched or received, and the stock it moves.
#[derive(Debug, Clone, PartialEq)]
pub struct LinePlan {
    pub id_detalle: Uuid,
    pub cantidad: i32,
    /// None when the quantity is zero.
    pub stock: Option<StockChange>,
}

/// Per-line quantities: the ones given (each naming a line of the request, each 0 or a sane
/// quantity), `default` for the others.
fn line_quantities(
    lines: &[LineFacts],
    given: &[LineQuantity],
    default: impl Fn(&LineFacts) -> i32,
) -> Result<Vec<i32>, Rechazo> {
    let mut given_by_line: HashMap<Uuid, i32> = HashMap::new();
    for line in given {
        if !lines.iter().any(|known| known.id_detalle == line.id_detalle) {
            return Err(Rechazo::not_found("detalle_solicitud", line.id_detalle));
        }
        check_quantity_or_zero(line.cantidad)?;
        given_by_line.insert(line.id_detalle, line.cantidad);
    }
    Ok(lines.iter().map(|line| given_by_line.get(&line.id_detalle).copied().unwrap_or_else(|| default(line))).collect())
}

/// A dispatch to write.
#[derive(Debug, Clone, PartialEq)]
pub struct DispatchPlan {
    pub transition: Transition,
    /// Every line of the request, in line-id order.
    pub lines: Vec<LinePlan>,
    /// The transport guide, when one is given (else the request keeps its own).
    pub guia_transporte: Option<String>,
}

/// `request.dispatch`: the origin in scope, the transition, the guide's text, the quantities
/// (a line not named is dispatched as requested). Each line dispatched takes its quantity out
/// of the origin (`SOLICITUD_SALIDA`).
pub fn dispatch(
    actor: &Actor,
    request: &RequestFacts,
    args: &RequestDispatch,
    lines: &[LineFacts],
) -> Result<DispatchPlan, Rechazo> {
    actor.require_location(request.origen)?;
    let transition = transition(request, EstadoSolicitud::Despachado, &args.comentario)?;
    if let Some(guia) = &args.guia_transporte {
        check_text("guia_transporte", guia)?;
    }
    let quantities = line_quantities(lines, &args.lines, |line| line.cantidad_solicitada)?;
    let lines = lines
        .iter()
        .zip(quantities)
        .map(|(line, cantidad)| LinePlan {
            id_detalle: line.id_detalle,
            cantidad,
            stock: (cantidad > 0).then(|| StockChange {
                id_localizacion: request.origen,
                id_repuesto: line.id_repuesto,
                delta: -cantidad,
                tipo: TipoOperacion::SolicitudSalida,
                motivo: None,
                detalles: details(json!({"id_solicitud": request.id_solicitud, "id_detalle": line.id_detalle})),
            }),
        })
        .collect();
    Ok(DispatchPlan { transition, lines, guia_transporte: clean(args.guia_transporte.as_deref()) })
}

/// A receipt to write.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivePlan {
    pub transition: Transition,
    /// Every line of the request, in line-id order.
    pub lines: Vec<LinePlan>,
    /// The lines received in another quantity than dispatched (they stay recorded).
    pub discrepancias: Vec<Value>,
}

impl ReceivePlan {
    /// What a receipt answers: the new state and the differences.
    pub fn result(&self) -> Map<String, Value> {
        let mut result = self.transition.result();
        result.insert("discrepancias".into(), Value::Array(self.discrepancias.clone()));
        result
    }
}

/// `request.receive`: the destination in scope, the transition, the quantities (a line not
/// named is received as dispatched). Each line received puts its quantity into the
/// destination (`SOLICITUD_ENTRADA`); a difference from the dispatch is answered.
pub fn receive(
    actor: &Actor,
    request: &RequestFacts,
    args: &RequestReceive,
    lines: &[LineFacts],
) -> Result<ReceivePlan, Rechazo> {
    actor.require_location(request.destino)?;
    let transition = transition(request, EstadoSolicitud::Recibido, &args.comentario)?;
    let dispatched = |line: &LineFacts| line.cantidad_despachada.unwrap_or(line.cantidad_solicitada);
    let quantities = line_quantities(lines, &args.lines, dispatched)?;
    let mut discrepancias = Vec::new();
    let mut planned = Vec::with_capacity(lines.len());
    for (line, cantidad) in lines.iter().zip(quantities) {
        let despachada = dispatched(line);
        if cantidad != despachada {
            discrepancias.push(
                json!({"id_detalle": line.id_detalle, "cantidad_despachada": despachada, "cantidad_recibida": cantidad}),
            );
        }
        planned.push(LinePlan {
            id_detalle: line.id_detalle,
            cantidad,
            stock: (cantidad > 0).then(|| StockChange {
                id_localizacion: request.destino,
                id_repuesto: line.id_repuesto,
                delta: cantidad,
                tipo: TipoOperacion::SolicitudEntrada,
                motivo: None,
                detalles: details(json!({"id_solicitud": request.id_solicitud, "id_detalle": line.id_detalle,
                                         "cantidad_despachada": despachada})),
            }),
        });
    }
    Ok(ReceivePlan { transition, lines: planned, discrepancias })
}

/// `request.cancel`: the requester may cancel, and so may an approver assigned to either end;
/// then the transition.
pub fn cancel(actor: &Actor, request: &RequestFacts, args: &RequestRef) -> Result<Transition, Rechazo> {
    let is_requester = request.solicitante == actor.id_usuario;
    let approver_here =
        actor.allows(Permiso::RequestsApprove) && (actor.in_scope(request.origen) || actor.in_scope(request.destino));
    if !is_requester && !approver_here {
        return Err(Rechazo::forbidden(Permiso::RequestsApprove));
    }
    transition(request, EstadoSolicitud::Cancelado, &args.comentario)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::tests::{supervisor, tecnico, L1, L2};
    use crate::args::RequestLine;

    const P1: Uuid = Uuid::from_u128(0x3001);
    const P2: Uuid = Uuid::from_u128(0x3002);
    const D1: Uuid = Uuid::from_u128(0x5001);
    const D2: Uuid = Uuid::from_u128(0x5002);
    const R1: Uuid = Uuid::from_u128(0x5101);

    fn request(estado: EstadoSolicitud) -> RequestFacts {
        RequestFacts { id_solicitud: R1, origen: L2, destino: L1, solicitante: tecnico().id_usuario, estado }
    }

    fn lines() -> Vec<LineFacts> {
        vec![
            LineFacts { id_detalle: D1, id_repuesto: P1, cantidad_solicitada: 3, cantidad_despachada: Some(2) },
            LineFacts { id_detalle: D2, id_repuesto: P2, cantidad_solicitada: 1, cantidad_despachada: None },
        ]
    }

    fn new_request(lines: Vec<RequestLine>) -> RequestCreate {
        RequestCreate {
            id_solicitud: R1,
            id_localizacion_origen: L2,
            id_localizacion_destino: L1,
            lines,
            observaciones_generales: Some("  urgente ".into()),
        }
    }

    fn line(id_detalle: Uuid, cantidad: i32) -> RequestLine {
        RequestLine { id_detalle, id_repuesto: P1, cantidad, id_item_carrito: None, observaciones: Some(" ".into()) }
    }

    fn all_there(n: usize) -> CreateFacts {
        CreateFacts {
            origin_exists: true,
            destination_exists: true,
            id_taken: false,
            parts: vec![Some(P2); n],
            lines_taken: HashSet::new(),
        }
    }

    #[test]
    fn the_cart_takes_sane_quantities_of_existing_parts() {
        let add = CartAdd { id_item_carrito: D1, id_localizacion: L1, id_repuesto: P1, cantidad: 2 };
        let facts = CartAddFacts { location_exists: true, part: Some(P2), id_taken: false };
        assert_eq!(cart_add(&tecnico(), &add, &facts), Ok(P2));
        let taken = cart_add(&tecnico(), &add, &CartAddFacts { id_taken: true, ..facts });
        assert_eq!(taken, Err(Rechazo::already_exists("item_carrito", D1)));
        let elsewhere = CartAdd { id_localizacion: L2, ..add.clone() };
        assert_eq!(
            cart_add(&tecnico(), &elsewhere, &facts).err().map(|r| r.code),
            Some(RejectionCode::LocationOutOfScope)
        );
        let set = CartSet { id_item_carrito: D1, cantidad: 0 };
        assert_eq!(cart_set(&set, false).err().map(|r| r.code), Some(RejectionCode::InvalidQuantity), "quantity first");
        let set = CartSet { cantidad: 4, ..set };
        assert_eq!(cart_set(&set, false), Err(Rechazo::not_found("item_carrito", D1)));
        assert_eq!(cart_set(&set, true), Ok(()));
    }

    #[test]
    fn a_new_request_names_existing_parts_and_free_line_ids() {
        let args = new_request(vec![line(D1, 3), line(D2, 1)]);
        let plan = create(&tecnico(), &args, &all_there(2)).expect("applies");
        assert_eq!(plan.observaciones_generales.as_deref(), Some("urgente"));
        assert_eq!(plan.lines.iter().map(|l| (l.id_detalle, l.id_repuesto)).collect::<Vec<_>>(), [(D1, P2), (D2, P2)]);
        assert_eq!(plan.lines[0].observaciones, None, "blank notes are none");
        let twice = new_request(vec![line(D1, 3), line(D1, 1)]);
        assert_eq!(create(&tecnico(), &twice, &all_there(2)), Err(Rechazo::already_exists("detalle_solicitud", D1)));
        let mut taken = all_there(1);
        taken.lines_taken.insert(D1);
        let one = new_request(vec![line(D1, 3)]);
        assert_eq!(create(&tecnico(), &one, &taken), Err(Rechazo::already_exists("detalle_solicitud", D1)));
        assert_eq!(create_result(&one), details(json!({"id_solicitud": R1, "estado": "PENDIENTE"})));
    }

    /// The checks in order: scope, two locations, lines, texts, references, id, then each
    /// line's quantity before its part, and line ids last.
    #[test]
    fn request_checks_come_in_order() {
        let code = |args: &RequestCreate, facts: &CreateFacts| create(&tecnico(), args, facts).err().map(|r| r.code);
        let nothing = CreateFacts {
            origin_exists: false,
            destination_exists: false,
            id_taken: true,
            parts: vec![None, None],
            lines_taken: [D1].into_iter().collect(),
        };
        let wrong_way =
            RequestCreate { id_localizacion_destino: L2, id_localizacion_origen: L1, ..new_request(vec![]) };
        assert_eq!(code(&wrong_way, &nothing), Some(RejectionCode::LocationOutOfScope));
        let same = RequestCreate { id_localizacion_origen: L1, ..new_request(vec![]) };
        assert_eq!(code(&same, &nothing), Some(RejectionCode::InvalidArguments));
        assert_eq!(code(&new_request(vec![]), &nothing), Some(RejectionCode::EmptyRequest));
        let args = new_request(vec![line(D1, 0), line(D2, 1)]);
        assert_eq!(create(&tecnico(), &args, &nothing).err(), Some(Rechazo::not_found("localizacion", L2)));
        let no_destination = CreateFacts { origin_exists: true, ..nothing.clone() };
        assert_eq!(create(&tecnico(), &args, &no_destination).err(), Some(Rechazo::not_found("localizacion", L1)));
        let no_id = CreateFacts { destination_exists: true, ..no_destination };
        assert_eq!(code(&args, &no_id), Some(RejectionCode::AlreadyExists));
        let parts_missing = CreateFacts { id_taken: false, ..no_id };
        assert_eq!(code(&args, &parts_missing), Some(RejectionCode::InvalidQuantity), "line 1's quantity");
        let args = new_request(vec![line(D1, 1), line(D2, 0)]);
        assert_eq!(create(&tecnico(), &args, &parts_missing).err(), Some(Rechazo::not_found("repuesto", P1)));
    }

    #[test]
    fn transitions_follow_the_state_machine_and_wait_for_who_set_the_state() {
        let args = RequestRef { id_solicitud: R1, comentario: Some(String::new()) };
        let picked = pick(&supervisor(), &request(EstadoSolicitud::Pendiente), &args).expect("picks");
        assert_eq!(
            (picked.from, picked.to, picked.comentario.clone()),
            (EstadoSolicitud::Pendiente, EstadoSolicitud::Alistamiento, None)
        );
        assert_eq!(picked.result_estado(), "ALISTAMIENTO");
        let refused = pick(&supervisor(), &request(EstadoSolicitud::Cancelado), &args).expect_err("refused");
        assert_eq!(refused.awaits_setter(), Some("CANCELADO"));
        assert_eq!(refused.params["to"], json!("ALISTAMIENTO"));
        assert_eq!(refused.params["id"], json!(R1));
        // The origin decides a pick: the technician of the destination may not.
        let not_here = pick(&tecnico(), &request(EstadoSolicitud::Pendiente), &args).err();
        assert_eq!(not_here, Some(Rechazo::location_out_of_scope(L2)));
    }

    impl Transition {
        fn result_estado(&self) -> String {
            self.result()["estado"].as_str().unwrap_or_default().to_owned()
        }
    }

    #[test]
    fn a_dispatch_takes_each_line_out_of_the_origin() {
        let args = RequestDispatch {
            id_solicitud: R1,
            lines: vec![LineQuantity { id_detalle: D2, cantidad: 0 }],
            guia_transporte: Some(" G-1 ".into()),
            comentario: Some("sale hoy".into()),
        };
        let plan = dispatch(&supervisor(), &request(EstadoSolicitud::Alistamiento), &args, &lines()).expect("dispatch");
        assert_eq!(plan.guia_transporte.as_deref(), Some("G-1"));
        assert_eq!(plan.transition.comentario.as_deref(), Some("sale hoy"));
        assert_eq!(plan.lines.iter().map(|l| l.cantidad).collect::<Vec<_>>(), [3, 0], "unnamed lines as requested");
        let out = plan.lines[0].stock.as_ref().expect("moves stock");
        assert_eq!(
            (out.id_localizacion, out.id_repuesto, out.delta, out.tipo),
            (L2, P1, -3, TipoOperacion::SolicitudSalida)
        );
        assert_eq!(out.detalles, details(json!({"id_solicitud": R1, "id_detalle": D1})));
        assert_eq!(plan.lines[1].stock, None);
        let stranger = RequestDispatch { lines: vec![LineQuantity { id_detalle: R1, cantidad: 1 }], ..args.clone() };
        let refused = dispatch(&supervisor(), &request(EstadoSolicitud::Alistamiento), &stranger, &lines()).err();
        assert_eq!(refused, Some(Rechazo::not_found("detalle_solicitud", R1)));
        let early = dispatch(&supervisor(), &request(EstadoSolicitud::Pendiente), &stranger, &lines()).err();
        assert_eq!(early.map(|r| r.code), Some(RejectionCode::InvalidTransition), "the transition before the lines");
    }

    #[test]
    fn a_receipt_puts_each_line_into_the_destination_and_answers_the_differences() {
        let args = RequestReceive {
            id_solicitud: R1,
            lines: vec![LineQuantity { id_detalle: D1, cantidad: 1 }],
            comentario: None,
        };
        let plan = receive(&tecnico(), &request(EstadoSolicitud::Despachado), &args, &lines()).expect("receive");
        assert_eq!(plan.lines.iter().map(|l| l.cantidad).collect::<Vec<_>>(), [1, 1], "unnamed lines as dispatched");
        let into = plan.lines[0].stock.as_ref().expect("moves stock");
        assert_eq!((into.id_localizacion, into.delta, into.tipo), (L1, 1, TipoOperacion::SolicitudEntrada));
        assert_eq!(into.detalles["cantidad_despachada"], json!(2));
        assert_eq!(
            plan.result(),
            details(json!({"estado": "RECIBIDO", "discrepancias": [
                {"id_detalle": D1, "cantidad_despachada": 2, "cantidad_recibida": 1}]}))
        );
        let negative = RequestReceive { lines: vec![LineQuantity { id_detalle: D1, cantidad: -1 }], ..args };
        let refused = receive(&tecnico(), &request(EstadoSolicitud::Despachado), &negative, &lines()).err();
        assert_eq!(refused.map(|r| r.code), Some(RejectionCode::InvalidQuantity));
    }

    #[test]
    fn the_requester_or_an_approver_at_either_end_cancels() {
        let args = RequestRef { id_solicitud: R1, comentario: None };
        assert!(cancel(&tecnico(), &request(EstadoSolicitud::Pendiente), &args).is_ok(), "the requester");
        assert!(cancel(&supervisor(), &request(EstadoSolicitud::Alistamiento), &args).is_ok(), "an approver");
        let someone = Actor { id_usuario: Uuid::from_u128(0x2999), ..tecnico() };
        let refused = cancel(&someone, &request(EstadoSolicitud::Pendiente), &args).err();
        assert_eq!(refused, Some(Rechazo::forbidden(Permiso::RequestsApprove)));
        let far = Actor { localizaciones: vec![Uuid::from_u128(0x1003)], ..supervisor() };
        assert!(cancel(&far, &request(EstadoSolicitud::Pendiente), &args).is_err(), "an approver elsewhere");
        let late = cancel(&tecnico(), &request(EstadoSolicitud::Despachado), &args).err();
        assert_eq!(late.map(|r| r.code), Some(RejectionCode::InvalidTransition));
    }
}
