//! Technician movements, manual adjustments and an item's settings.

use super::ledger::{details, StockChange};
use super::{id_free, location_exists, part_exists, user_exists};
use crate::actor::Actor;
use crate::args::{InventoryAdjust, InventorySettings, MovementRecord};
use crate::rechazo::{Rechazo, RejectionCode};
use crate::stock::{check_quantity, movement_effect, LedgerEntry, MovementEffect, MAX_QUANTITY};
use crate::text::{check_text, clean};
use crate::TipoOperacion;
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// What a movement needs to know of the database: its references and its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MovementFacts {
    pub location_exists: bool,
    /// The part as it exists (an alias resolved), `None` when there is no such part.
    pub part: Option<Uuid>,
    pub technician_exists: bool,
    /// Another movement already has this id (in a run: an earlier movement of the run too).
    pub id_taken: bool,
}

/// A movement to write.
#[derive(Debug, Clone, PartialEq)]
pub struct MovementPlan {
    /// `movimientos_tecnicos.id_repuesto`: the part as it exists.
    pub id_repuesto: Uuid,
    pub effect: MovementEffect,
    /// The stock change, unless the movement moves none (a quote).
    pub stock: Option<StockChange>,
}

/// The checks of a movement that need nothing but its arguments and who records it: the
/// location in scope, a concept and type that go together with a sane quantity, an order
/// number that is not negative. A run of movements (`mutations/batch.rs`) asks this before it
/// touches the database.
pub fn check_movement(actor: &Actor, args: &MovementRecord) -> Result<MovementEffect, Rechazo> {
    actor.require_location(args.id_localizacion)?;
    let effect = movement_effect(args.concepto, args.tipo, args.cantidad)?;
    if args.numero_orden.is_some_and(|n| n < 0) {
        return Err(Rechazo::invalid("numero_orden must be positive"));
    }
    Ok(effect)
}

/// `movement.record`: [`check_movement`], then the references (location, part, technician)
/// and a free id. The stock change is planned against the item by
/// [`StockChange::plan`](super::ledger::StockChange::plan).
pub fn movement(actor: &Actor, args: &MovementRecord, facts: &MovementFacts) -> Result<MovementPlan, Rechazo> {
    let effect = check_movement(actor, args)?;
    location_exists(facts.location_exists, args.id_localizacion)?;
    let id_repuesto = part_exists(facts.part, args.id_repuesto)?;
    user_exists(facts.technician_exists, args.id_tecnico_asignado)?;
    id_free(facts.id_taken, "movimiento", args.id_movimientos_tecnicos)?;
    let stock = (effect.delta != 0).then(|| StockChange {
        id_localizacion: args.id_localizacion,
        id_repuesto,
        delta: effect.delta,
        tipo: TipoOperacion::MovimientoTecnico,
        motivo: None,
        detalles: movement_details(args),
    });
    Ok(MovementPlan { id_repuesto, effect, stock })
}

/// The `detalles` of a movement's ledger row (the stock change adds `id_mutacion`).
pub fn movement_details(args: &MovementRecord) -> Map<String, Value> {
    details(json!({"id_movimientos_tecnicos": args.id_movimientos_tecnicos, "concepto": args.concepto,
                   "tipo": args.tipo, "id_tecnico_asignado": args.id_tecnico_asignado,
                   "numero_orden": args.numero_orden}))
}

/// What `movement.record` answers: its id, and the new stock when it moved some.
pub fn movement_result(args: &MovementRecord, entry: Option<&LedgerEntry>) -> Map<String, Value> {
    let mut result = Map::new();
    result.insert("id_movimientos_tecnicos".into(), json!(args.id_movimientos_tecnicos));
    if let Some(entry) = entry {
        result.extend(super::ledger::stock_result(entry));
    }
    result
}

/// What a mutation about a part at a location needs to know of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartAt {
    pub location_exists: bool,
    /// The part as it exists (an alias resolved), `None` when there is no such part.
    pub part: Option<Uuid>,
}

/// `inventory.adjust`: the location in scope, a reason, a sane quantity, then the references.
/// The change is planned against the item like any other.
pub fn adjust(actor: &Actor, args: &InventoryAdjust, facts: &PartAt) -> Result<StockChange, Rechazo> {
    actor.require_location(args.id_localizacion)?;
    let motivo = clean(Some(&args.motivo)).ok_or_else(Rechazo::reason_required)?;
    check_text("motivo", &motivo)?;
    check_quantity(args.delta.checked_abs().unwrap_or(i32::MAX))?;
    location_exists(facts.location_exists, args.id_localizacion)?;
    let id_repuesto = part_exists(facts.part, args.id_repuesto)?;
    Ok(StockChange {
        id_localizacion: args.id_localizacion,
        id_repuesto,
        delta: args.delta,
        tipo: TipoOperacion::AjusteManual,
        motivo: Some(motivo),
        detalles: Map::new(),
    })
}

/// `inventory.settings`: the location in scope, then the references; the part as it exists.
/// Each edit is then checked by [`check_setting`] and decided like every field edit.
pub fn settings(actor: &Actor, args: &InventorySettings, facts: &PartAt) -> Result<Uuid, Rechazo> {
    actor.require_location(args.id_localizacion)?;
    location_exists(facts.location_exists, args.id_localizacion)?;
    part_exists(facts.part, args.id_repuesto)
}

/// The rule of an item's settings beyond the column's type: a minimum is 0 to
/// [`MAX_QUANTITY`].
pub fn check_setting(field: &str, value: &Value) -> Result<(), Rechazo> {
    if field == "cantidad_minima" && !value.as_i64().is_some_and(|n| (0..=i64::from(MAX_QUANTITY)).contains(&n)) {
        return Err(Rechazo::new(RejectionCode::InvalidQuantity)
            .with("cantidad", value.clone())
            .with("max", MAX_QUANTITY));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::tests::{supervisor, tecnico, L1, L2};
    use crate::{Concepto, TipoMovimiento};

    const PART: Uuid = Uuid::from_u128(0x3001);
    const SURVIVOR: Uuid = Uuid::from_u128(0x3009);

    fn args(concepto: Concepto, tipo: TipoMovimiento, cantidad: i32) -> MovementRecord {
        MovementRecord {
            id_movimientos_tecnicos: Uuid::from_u128(0xb001),
            id_localizacion: L1,
            id_repuesto: PART,
            id_tecnico_asignado: Uuid::from_u128(0x2004),
            concepto,
            tipo,
            cantidad,
            numero_orden: Some(17),
        }
    }

    const ALL_THERE: MovementFacts =
        MovementFacts { location_exists: true, part: Some(SURVIVOR), technician_exists: true, id_taken: false };

    #[test]
    fn a_movement_moves_the_resolved_part_with_its_details() {
        let args = args(Concepto::Salida, TipoMovimiento::Salida, 3);
        let plan = movement(&tecnico(), &args, &ALL_THERE).expect("applies");
        assert_eq!(plan.id_repuesto, SURVIVOR, "the part as it exists");
        let stock = plan.stock.expect("moves stock");
        assert_eq!((stock.id_localizacion, stock.id_repuesto, stock.delta), (L1, SURVIVOR, -3));
        assert_eq!(stock.tipo, TipoOperacion::MovimientoTecnico);
        assert_eq!(stock.detalles["numero_orden"], json!(17));
        assert_eq!(stock.detalles["concepto"], json!("salida"));
        assert_eq!(
            movement_result(&args, None),
            details(json!({"id_movimientos_tecnicos": args.id_movimientos_tecnicos}))
        );
    }

    #[test]
    fn a_quote_moves_no_stock() {
        let plan = movement(&tecnico(), &args(Concepto::Cotizacion, TipoMovimiento::Venta, 2), &ALL_THERE);
        let plan = plan.expect("applies");
        assert_eq!(plan.stock, None);
        assert!(!plan.effect.descargada);
    }

    /// The order of the checks is the order of the rejections: scope, the movement itself,
    /// the order number, then the references and the id.
    #[test]
    fn movement_checks_come_in_order() {
        let good = args(Concepto::Salida, TipoMovimiento::Salida, 1);
        let none = MovementFacts { location_exists: false, part: None, technician_exists: false, id_taken: true };
        let code = |actor: &Actor, args: &MovementRecord, facts: &MovementFacts| {
            movement(actor, args, facts).err().map(|r| (r.code, r.params.get("entity").cloned()))
        };
        let elsewhere = MovementRecord { id_localizacion: L2, ..good.clone() };
        assert_eq!(code(&tecnico(), &elsewhere, &none), Some((RejectionCode::LocationOutOfScope, None)));
        let mixed = args(Concepto::Ingreso, TipoMovimiento::Salida, 1);
        assert_eq!(code(&tecnico(), &mixed, &none), Some((RejectionCode::InvalidMovement, None)));
        let zero = args(Concepto::Salida, TipoMovimiento::Salida, 0);
        assert_eq!(code(&tecnico(), &zero, &none), Some((RejectionCode::InvalidQuantity, None)));
        let negative_order = MovementRecord { numero_orden: Some(-1), ..good.clone() };
        assert_eq!(code(&tecnico(), &negative_order, &none), Some((RejectionCode::InvalidArguments, None)));
        let steps = [
            (none, "localizacion"),
            (MovementFacts { location_exists: true, ..none }, "repuesto"),
            (MovementFacts { location_exists: true, part: Some(PART), ..none }, "usuario"),
            (MovementFacts { id_taken: true, ..ALL_THERE }, "movimiento"),
        ];
        for (facts, entity) in steps {
            let want = if entity == "movimiento" { RejectionCode::AlreadyExists } else { RejectionCode::NotFound };
            assert_eq!(code(&tecnico(), &good, &facts), Some((want, Some(json!(entity)))), "{facts:?}");
        }
        // The part is named as given, not as resolved.
        let missing = movement(&tecnico(), &good, &MovementFacts { part: None, ..ALL_THERE }).err();
        assert_eq!(missing, Some(Rechazo::not_found("repuesto", PART)));
    }

    #[test]
    fn an_adjustment_needs_a_reason_and_a_sane_delta() {
        let facts = PartAt { location_exists: true, part: Some(SURVIVOR) };
        let adjust_by = |delta: i32, motivo: &str| InventoryAdjust {
            id_localizacion: L1,
            id_repuesto: PART,
            delta,
            motivo: motivo.into(),
        };
        let change = adjust(&supervisor(), &adjust_by(-2, "  rotura "), &facts).expect("applies");
        assert_eq!((change.delta, change.motivo.as_deref(), change.id_repuesto), (-2, Some("rotura"), SURVIVOR));
        assert_eq!(change.tipo, TipoOperacion::AjusteManual);
        assert!(change.detalles.is_empty());
        let codes = [
            (adjust_by(-2, "   "), RejectionCode::ReasonRequired),
            (adjust_by(0, "x"), RejectionCode::InvalidQuantity),
            (adjust_by(i32::MIN, "x"), RejectionCode::InvalidQuantity),
            (adjust_by(MAX_QUANTITY + 1, "x"), RejectionCode::InvalidQuantity),
        ];
        for (args, want) in codes {
            assert_eq!(adjust(&supervisor(), &args, &facts).err().map(|r| r.code), Some(want), "{args:?}");
        }
        let elsewhere = InventoryAdjust { id_localizacion: L2, ..adjust_by(1, "x") };
        assert_eq!(
            adjust(&tecnico(), &elsewhere, &facts).err().map(|r| r.code),
            Some(RejectionCode::LocationOutOfScope)
        );
        let no_part = adjust(&supervisor(), &adjust_by(1, "x"), &PartAt { part: None, ..facts }).err();
        assert_eq!(no_part, Some(Rechazo::not_found("repuesto", PART)));
    }

    #[test]
    fn settings_bound_the_minimum() {
        let args = InventorySettings { id_localizacion: L1, id_repuesto: PART, edits: Vec::new() };
        let facts = PartAt { location_exists: true, part: Some(SURVIVOR) };
        assert_eq!(settings(&supervisor(), &args, &facts).ok(), Some(SURVIVOR));
        let gone = settings(&supervisor(), &args, &PartAt { location_exists: false, ..facts }).err();
        assert_eq!(gone, Some(Rechazo::not_found("localizacion", L1)));
        assert!(check_setting("cantidad_minima", &json!(0)).is_ok());
        assert!(check_setting("cantidad_minima", &json!(MAX_QUANTITY)).is_ok());
        for bad in [json!(-1), json!(MAX_QUANTITY + 1), json!("3")] {
            let refused = check_setting("cantidad_minima", &bad).err();
            assert_eq!(refused.map(|r| r.code), Some(RejectionCode::InvalidQuantity), "{bad}");
        }
        assert!(check_setting("posicion", &json!("E1")).is_ok());
    }
}
