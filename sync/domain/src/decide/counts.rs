//! Physical counts. A line fixes a part's quantity as of the moment it was counted (T);
//! closing the count writes a `CONTEO_FISICO` ledger row per line from
//! [`crate::stock::apply_count`], so the final stock does not depend on the order in which
//! counts and movements arrive.

use super::ledger::{details, LedgerWrite};
use super::{id_free, location_exists, part_exists};
use crate::actor::Actor;
use crate::args::{CountLine, CountStart};
use crate::rechazo::{Rechazo, RejectionCode};
use crate::stock::{
    apply_count, check_count_line, count_line_difference, negative_count_reviewers, CountAnchor, CountEntry, ItemState,
};
use crate::text::{check_text, clean};
use crate::TipoOperacion;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// What `count.start` needs to know of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartFacts {
    pub location_exists: bool,
    pub id_taken: bool,
}

/// `count.start`: the location in scope and existing, the notes' text, a free id. Returns the
/// notes as stored.
pub fn start(actor: &Actor, args: &CountStart, facts: &StartFacts) -> Result<Option<String>, Rechazo> {
    actor.require_location(args.id_localizacion)?;
    location_exists(facts.location_exists, args.id_localizacion)?;
    if let Some(text) = &args.observaciones {
        check_text("observaciones", text)?;
    }
    id_free(facts.id_taken, "conteo", args.id_conteo)?;
    Ok(clean(args.observaciones.as_deref()))
}

/// What `count.start` answers.
pub fn start_result(args: &CountStart) -> Map<String, Value> {
    details(json!({"id_conteo": args.id_conteo}))
}

/// A count as its lines and its closing read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountFacts {
    pub id_localizacion: Uuid,
    /// `conteos_cerrados` has it.
    pub closed: bool,
}

/// The open count a line or a closing acts on: it exists, its location is in scope, it is
/// not closed. Returns its location.
pub fn open_count(actor: &Actor, id_conteo: Uuid, count: Option<&CountFacts>) -> Result<Uuid, Rechazo> {
    let count = count.ok_or_else(|| Rechazo::not_found("conteo", id_conteo))?;
    actor.require_location(count.id_localizacion)?;
    if count.closed {
        return Err(Rechazo::new(RejectionCode::CountClosed).with("id_conteo", id_conteo.to_string()));
    }
    Ok(count.id_localizacion)
}

/// Where a count line goes: the count's location and the part as it exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTarget {
    pub id_localizacion: Uuid,
    pub id_repuesto: Uuid,
}

/// `count.line`, first stage: the quantities (loose parts never more than the units), the
/// notes' text, the open count, the part. The stock counted against and the line it replaces
/// are read for the target ([`line_plan`]).
pub fn line(
    actor: &Actor,
    args: &CountLine,
    count: Option<&CountFacts>,
    part: Option<Uuid>,
) -> Result<LineTarget, Rechazo> {
    check_count_line(args.cantidad_csa, args.cantidad_pq)?;
    if let Some(text) = &args.observaciones {
        check_text("observaciones", text)?;
    }
    let id_localizacion = open_count(actor, args.id_conteo, count)?;
    let id_repuesto = part_exists(part, args.id_repuesto)?;
    Ok(LineTarget { id_localizacion, id_repuesto })
}

/// What the second stage of `count.line` needs to know of the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineFacts {
    /// The item's stock now (0 when the location has no row for the part).
    pub sistema: i32,
    /// The count's line for the same part, which a recount replaces.
    pub existing: Option<Uuid>,
    /// Another line already has the new line's id.
    pub id_taken: bool,
}

/// A count line to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinePlan {
    pub id_detalle_conteo: Uuid,
    /// The line replaces the count's earlier line of the same part.
    pub replaces: bool,
    pub cantidad_sistema: i32,
    pub diferencia: i32,
    pub observaciones: Option<String>,
}

impl LinePlan {
    /// What `count.line` answers.
    pub fn result(&self) -> Map<String, Value> {
        details(json!({"id_detalle_conteo": self.id_detalle_conteo, "cantidad_sistema": self.cantidad_sistema,
                       "diferencia": self.diferencia}))
    }
}

/// `count.line`, second stage: counting a part again in the same count replaces its line;
/// a new line needs a free id. `diferencia = (sistema + pq) - csa`.
pub fn line_plan(args: &CountLine, facts: &LineFacts) -> Result<LinePlan, Rechazo> {
    let id_detalle_conteo = match facts.existing {
        Some(id) => id,
        None => {
            id_free(facts.id_taken, "detalle_conteo", args.id_detalle_conteo)?;
            args.id_detalle_conteo
        }
    };
    Ok(LinePlan {
        id_detalle_conteo,
        replaces: facts.existing.is_some(),
        cantidad_sistema: facts.sistema,
        diferencia: count_line_difference(facts.sistema, args.cantidad_csa, args.cantidad_pq),
        observaciones: clean(args.observaciones.as_deref()),
    })
}

/// A stored line of the count being closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseLine {
    pub id_detalle_conteo: Uuid,
    pub id_repuesto: Uuid,
    pub cantidad_csa: i32,
    pub cantidad_pq: i32,
    /// When the line was last (re)counted, when that is known; else the count's start.
    pub counted_at: DateTime<Utc>,
}

/// `count.close`, first stage: the open count, and every stored line valid (a line stored
/// before the loose-parts rule, or by another application, is refused here too, naming it:
/// recounting it fixes it). Returns the count's location. The lines then close one by one, in
/// part order ([`close_line`]).
pub fn close(actor: &Actor, id_conteo: Uuid, count: Option<&CountFacts>, lines: &[CloseLine]) -> Result<Uuid, Rechazo> {
    let id_localizacion = open_count(actor, id_conteo, count)?;
    for line in lines {
        check_count_line(line.cantidad_csa, line.cantidad_pq).map_err(|rechazo| {
            rechazo
                .with("id_detalle_conteo", line.id_detalle_conteo.to_string())
                .with("id_repuesto", line.id_repuesto.to_string())
        })?;
    }
    Ok(id_localizacion)
}

/// One line of a closing: its ledger row (`CONTEO_FISICO`, dated at the counted moment) and
/// what else it changes.
#[derive(Debug, Clone, PartialEq)]
pub struct ClosedLine {
    pub write: LedgerWrite,
    /// The count that fixes the item afterwards.
    pub anchor: CountAnchor,
}

impl ClosedLine {
    /// The count fixed the item (it was not absorbed by a later count): `veces_contado` grows.
    pub fn adjusts(&self) -> bool {
        !self.write.entry.absorbed
    }

    /// The count left the stock below zero: changes dated after the counted moment were
    /// accepted before the count arrived and took more than was counted. The stock stays as
    /// computed and the counter and those changes' authors review it
    /// ([`crate::stock::negative_count_reviewers`]).
    pub fn leaves_negative(&self) -> bool {
        self.write.entry.went_negative && !self.write.entry.absorbed
    }

    /// Who reviews a line that [`leaves_negative`](Self::leaves_negative): the counter, then
    /// the authors of the accepted changes dated after the counted moment (none otherwise).
    pub fn reviewers(&self, counter: Uuid, authors_after: &[Uuid]) -> Vec<Uuid> {
        negative_count_reviewers(&CountEntry { ledger: self.write.entry, anchor: self.anchor }, counter, authors_after)
    }
}

/// `count.close`, one line: the item's state read under its lock (`item`: stock and latest
/// count), the sum of the ledger's non-count differences dated after the counted moment.
pub fn close_line(
    id_conteo: Uuid,
    line: &CloseLine,
    item: ItemState,
    deltas_after: i64,
    id_mutacion: Uuid,
) -> ClosedLine {
    let anchor = CountAnchor { at: line.counted_at, id_conteo };
    let entry = apply_count(item, anchor, line.cantidad_csa, line.cantidad_pq, deltas_after);
    let detalles = json!({"id_conteo": id_conteo, "id_detalle_conteo": line.id_detalle_conteo,
                          "contado_en": line.counted_at, "cantidad_csa": line.cantidad_csa,
                          "cantidad_pq": line.cantidad_pq, "deltas_posteriores": deltas_after,
                          "absorbido": entry.ledger.absorbed, "id_mutacion": id_mutacion});
    ClosedLine {
        write: LedgerWrite {
            tipo: TipoOperacion::ConteoFisico,
            entry: entry.ledger,
            motivo: None,
            detalles,
            fecha: line.counted_at,
            absorbed_by: None,
        },
        anchor: entry.anchor,
    }
}

/// What `count.close` answers: how many lines fixed their item and how many a later count
/// absorbed.
pub fn close_result(closed: &[ClosedLine]) -> Map<String, Value> {
    let adjusted = closed.iter().filter(|line| line.adjusts()).count();
    details(json!({"lineas_ajustadas": adjusted, "lineas_absorbidas": closed.len() - adjusted}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::tests::{supervisor, tecnico, L1, L2};
    use chrono::TimeZone;

    const C1: Uuid = Uuid::from_u128(0x7001);
    const P1: Uuid = Uuid::from_u128(0x3001);
    const DC1: Uuid = Uuid::from_u128(0x7101);

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, hour, 0, 0).single().expect("valid")
    }

    fn counted(csa: i32, pq: i32) -> CountLine {
        CountLine {
            id_detalle_conteo: DC1,
            id_conteo: C1,
            id_repuesto: P1,
            cantidad_csa: csa,
            cantidad_pq: pq,
            observaciones: Some(" estante 3 ".into()),
        }
    }

    const OPEN: CountFacts = CountFacts { id_localizacion: L1, closed: false };

    #[test]
    fn a_count_starts_at_an_existing_location_in_scope() {
        let args = CountStart { id_conteo: C1, id_localizacion: L1, observaciones: Some("  ".into()) };
        let facts = StartFacts { location_exists: true, id_taken: false };
        assert_eq!(start(&supervisor(), &args, &facts), Ok(None));
        assert_eq!(
            start(&supervisor(), &args, &StartFacts { id_taken: true, ..facts }),
            Err(Rechazo::already_exists("conteo", C1))
        );
        let gone = StartFacts { location_exists: false, id_taken: true };
        assert_eq!(start(&supervisor(), &args, &gone), Err(Rechazo::not_found("localizacion", L1)), "location first");
        let far = CountStart { id_localizacion: L2, ..args.clone() };
        assert_eq!(start(&tecnico(), &far, &facts), Err(Rechazo::location_out_of_scope(L2)));
        assert_eq!(start_result(&args), details(json!({"id_conteo": C1})));
    }

    #[test]
    fn a_line_goes_to_an_open_count_in_scope() {
        assert_eq!(
            line(&supervisor(), &counted(4, 1), Some(&OPEN), Some(P1)),
            Ok(LineTarget { id_localizacion: L1, id_repuesto: P1 })
        );
        let code = |args: &CountLine, count: Option<&CountFacts>, part| {
            line(&supervisor(), args, count, part).err().map(|r| r.code)
        };
        assert_eq!(code(&counted(1, 2), None, None), Some(RejectionCode::InvalidArguments), "the quantities first");
        assert_eq!(code(&counted(1, 0), None, None), Some(RejectionCode::NotFound));
        let far = CountFacts { id_localizacion: Uuid::from_u128(0x1003), closed: true };
        assert_eq!(code(&counted(1, 0), Some(&far), None), Some(RejectionCode::LocationOutOfScope));
        let closed = CountFacts { closed: true, ..OPEN };
        let refused = line(&supervisor(), &counted(1, 0), Some(&closed), None).err();
        assert_eq!(refused, Some(Rechazo::new(RejectionCode::CountClosed).with("id_conteo", C1.to_string())));
        assert_eq!(
            line(&supervisor(), &counted(1, 0), Some(&OPEN), None).err(),
            Some(Rechazo::not_found("repuesto", P1))
        );
    }

    #[test]
    fn a_recount_replaces_the_line_and_a_new_line_needs_a_free_id() {
        let other = Uuid::from_u128(0x7199);
        let plan = line_plan(&counted(4, 1), &LineFacts { sistema: 6, existing: Some(other), id_taken: true })
            .expect("recount");
        assert_eq!((plan.id_detalle_conteo, plan.replaces, plan.diferencia), (other, true, 3));
        assert_eq!(plan.observaciones.as_deref(), Some("estante 3"));
        assert_eq!(plan.result(), details(json!({"id_detalle_conteo": other, "cantidad_sistema": 6, "diferencia": 3})));
        let fresh = line_plan(&counted(4, 0), &LineFacts { sistema: 4, existing: None, id_taken: false }).expect("new");
        assert_eq!((fresh.id_detalle_conteo, fresh.replaces, fresh.diferencia), (DC1, false, 0));
        let taken = line_plan(&counted(4, 0), &LineFacts { sistema: 4, existing: None, id_taken: true }).err();
        assert_eq!(taken, Some(Rechazo::already_exists("detalle_conteo", DC1)));
    }

    #[test]
    fn closing_refuses_a_stored_bad_line_and_fixes_each_item_at_its_counted_moment() {
        let good =
            CloseLine { id_detalle_conteo: DC1, id_repuesto: P1, cantidad_csa: 5, cantidad_pq: 1, counted_at: at(10) };
        let bad = CloseLine { cantidad_csa: 1, cantidad_pq: 3, ..good };
        assert_eq!(close(&supervisor(), C1, Some(&OPEN), &[good]), Ok(L1));
        let refused = close(&supervisor(), C1, Some(&OPEN), &[good, bad]).expect_err("a bad stored line");
        assert_eq!(refused.code, RejectionCode::InvalidArguments);
        assert_eq!(refused.params["id_detalle_conteo"], json!(DC1.to_string()));
        // 4 fixed at 10:00, plus the -6 that left after it: below zero, reviewed.
        let closed = close_line(C1, &good, ItemState { stock: 9, anchor: None }, -6, Uuid::nil());
        assert_eq!((closed.write.entry.cantidad_nueva, closed.write.fecha), (-2, at(10)));
        assert!(closed.adjusts() && closed.leaves_negative());
        assert_eq!(
            (closed.write.tipo, closed.anchor),
            (TipoOperacion::ConteoFisico, CountAnchor { at: at(10), id_conteo: C1 })
        );
        let author = Uuid::from_u128(0x2004);
        let counter = Uuid::from_u128(0x2002);
        assert_eq!(closed.reviewers(counter, &[author, counter, author]), [counter, author]);
        assert_eq!(closed.write.detalles["deltas_posteriores"], json!(-6));
        assert_eq!(closed.write.detalles["contado_en"], json!(at(10)));
        // A later count already fixed the item: this one is recorded but absorbed.
        let later = CountAnchor { at: at(11), id_conteo: Uuid::from_u128(0x7002) };
        let absorbed = close_line(C1, &good, ItemState { stock: 3, anchor: Some(later) }, 0, Uuid::nil());
        assert!(!absorbed.adjusts() && !absorbed.leaves_negative());
        assert!(absorbed.reviewers(Uuid::nil(), &[Uuid::from_u128(1)]).is_empty());
        assert_eq!(absorbed.write.detalles["absorbido"], json!(true));
        assert_eq!(close_result(&[closed, absorbed]), details(json!({"lineas_ajustadas": 1, "lineas_absorbidas": 1})));
    }
}
