//! Stock is a ledger: `inventario.stock_actual` only changes together with a `logs_inventario`
//! row, and every change is a delta, so concurrent offline movements commute.
//!
//! Physical counts fix the quantity *as of the moment counted* (T): stock = counted + every
//! delta dated after T. A delta dated at or before the latest count is recorded but absorbed.
//! The result does not depend on the order in which counts and deltas reach the server.

use crate::rechazo::{Rechazo, RejectionCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Largest quantity a single action may move. Anything above is a typo, not a delivery.
pub const MAX_QUANTITY: i32 = 100_000;

/// `logs_inventario.tipo_operacion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TipoOperacion {
    AjusteManual,
    SolicitudEntrada,
    SolicitudSalida,
    MovimientoTecnico,
    ConteoFisico,
    Garantia,
}

impl TipoOperacion {
    pub const ALL: [TipoOperacion; 6] = [
        TipoOperacion::AjusteManual,
        TipoOperacion::SolicitudEntrada,
        TipoOperacion::SolicitudSalida,
        TipoOperacion::MovimientoTecnico,
        TipoOperacion::ConteoFisico,
        TipoOperacion::Garantia,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TipoOperacion::AjusteManual => "AJUSTE_MANUAL",
            TipoOperacion::SolicitudEntrada => "SOLICITUD_ENTRADA",
            TipoOperacion::SolicitudSalida => "SOLICITUD_SALIDA",
            TipoOperacion::MovimientoTecnico => "MOVIMIENTO_TECNICO",
            TipoOperacion::ConteoFisico => "CONTEO_FISICO",
            TipoOperacion::Garantia => "GARANTIA",
        }
    }
}

/// `movimientos_tecnicos.concepto`: why a technician moved a part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum Concepto {
    Salida,
    Ingreso,
    Venta,
    Garantia,
    Prestamo,
    Cotizacion,
    Devolucion,
}

impl Concepto {
    pub const ALL: [Concepto; 7] = [
        Concepto::Salida,
        Concepto::Ingreso,
        Concepto::Venta,
        Concepto::Garantia,
        Concepto::Prestamo,
        Concepto::Cotizacion,
        Concepto::Devolucion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Concepto::Salida => "salida",
            Concepto::Ingreso => "ingreso",
            Concepto::Venta => "venta",
            Concepto::Garantia => "garantia",
            Concepto::Prestamo => "prestamo",
            Concepto::Cotizacion => "cotizacion",
            Concepto::Devolucion => "devolucion",
        }
    }

    /// The movement types that make sense for this concept. A quote (`cotizacion`) names the
    /// part a customer would take, so it is outgoing, but moves no stock (see
    /// [`movement_effect`]).
    pub fn allowed_tipos(self) -> &'static [TipoMovimiento] {
        match self {
            Concepto::Salida | Concepto::Garantia | Concepto::Prestamo => &[TipoMovimiento::Salida],
            Concepto::Ingreso | Concepto::Devolucion => &[TipoMovimiento::Ingreso],
            Concepto::Venta => &[TipoMovimiento::Venta],
            Concepto::Cotizacion => &[TipoMovimiento::Salida, TipoMovimiento::Venta],
        }
    }
}

/// `movimientos_tecnicos.tipo`: the direction of the movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum TipoMovimiento {
    Ingreso,
    Salida,
    Venta,
}

impl TipoMovimiento {
    pub const ALL: [TipoMovimiento; 3] = [TipoMovimiento::Ingreso, TipoMovimiento::Salida, TipoMovimiento::Venta];

    pub fn as_str(self) -> &'static str {
        match self {
            TipoMovimiento::Ingreso => "ingreso",
            TipoMovimiento::Salida => "salida",
            TipoMovimiento::Venta => "venta",
        }
    }

    /// +1 for stock coming in, -1 for stock going out.
    pub fn sign(self) -> i32 {
        match self {
            TipoMovimiento::Ingreso => 1,
            TipoMovimiento::Salida | TipoMovimiento::Venta => -1,
        }
    }
}

macro_rules! enum_text {
    ($ty:ty) => {
        impl FromStr for $ty {
            type Err = Rechazo;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                <$ty>::ALL
                    .into_iter()
                    .find(|value| value.as_str() == text)
                    .ok_or_else(|| Rechazo::new(RejectionCode::InvalidArguments).with("detail", text))
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
enum_text!(TipoOperacion);
enum_text!(Concepto);
enum_text!(TipoMovimiento);

/// A location's answer to a movement that would take stock below zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NegativeStockPolicy {
    /// The parts physically moved: accept, and raise a notification and a conflict entry.
    #[default]
    Allow,
    /// Refuse with `insufficient_stock`.
    Reject,
}

impl NegativeStockPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            NegativeStockPolicy::Allow => "allow",
            NegativeStockPolicy::Reject => "reject",
        }
    }

    pub fn parse(text: &str) -> Option<NegativeStockPolicy> {
        match text {
            "allow" => Some(NegativeStockPolicy::Allow),
            "reject" => Some(NegativeStockPolicy::Reject),
            _ => None,
        }
    }
}

/// Checks a quantity typed by a person: positive and not absurd.
pub fn check_quantity(cantidad: i32) -> Result<(), Rechazo> {
    if (1..=MAX_QUANTITY).contains(&cantidad) {
        Ok(())
    } else {
        Err(Rechazo::new(RejectionCode::InvalidQuantity).with("cantidad", cantidad).with("max", MAX_QUANTITY))
    }
}

/// Checks a quantity that may be zero (dispatched, received, counted).
pub fn check_quantity_or_zero(cantidad: i32) -> Result<(), Rechazo> {
    if cantidad == 0 {
        Ok(())
    } else {
        check_quantity(cantidad)
    }
}

/// What a technician movement does to stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MovementEffect {
    /// Signed change of `stock_actual`; 0 for a quote.
    pub delta: i32,
    /// `movimientos_tecnicos.descargada`: whether the movement touched the inventory.
    pub descargada: bool,
}

/// Validates a technician movement and says what it does to stock.
pub fn movement_effect(concepto: Concepto, tipo: TipoMovimiento, cantidad: i32) -> Result<MovementEffect, Rechazo> {
    check_quantity(cantidad)?;
    if !concepto.allowed_tipos().contains(&tipo) {
        return Err(Rechazo::new(RejectionCode::InvalidMovement)
            .with("concepto", concepto.as_str())
            .with("tipo", tipo.as_str()));
    }
    if concepto == Concepto::Cotizacion {
        return Ok(MovementEffect { delta: 0, descargada: false });
    }
    Ok(MovementEffect { delta: tipo.sign() * cantidad, descargada: true })
}

/// The moment and identity of the count that currently fixes an item's quantity. Counts are
/// ordered by time, ties broken by the count's id, so the order is total and arrival-free.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CountAnchor {
    pub at: DateTime<Utc>,
    pub id_conteo: Uuid,
}

/// What the ledger knows about one inventory item when a change arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemState {
    pub stock: i32,
    /// The latest count applied to this item, if any.
    pub anchor: Option<CountAnchor>,
}

/// One `logs_inventario` row to write (before its type and context are added).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerEntry {
    pub cantidad_anterior: i32,
    pub cantidad_nueva: i32,
    pub diferencia: i32,
    /// The change is older than the latest count: recorded, but it does not move stock.
    pub absorbed: bool,
    /// The change took stock below zero (accepted under the `allow` policy).
    pub went_negative: bool,
}

/// Applies a stock delta dated `at` (the person's time) to an item.
pub fn apply_delta(
    state: ItemState,
    delta: i32,
    at: DateTime<Utc>,
    policy: NegativeStockPolicy,
) -> Result<LedgerEntry, Rechazo> {
    if state.anchor.is_some_and(|anchor| at <= anchor.at) {
        return Ok(LedgerEntry {
            cantidad_anterior: state.stock,
            cantidad_nueva: state.stock,
            diferencia: 0,
            absorbed: true,
            went_negative: false,
        });
    }
    let nueva = state
        .stock
        .checked_add(delta)
        .ok_or_else(|| Rechazo::new(RejectionCode::InvalidQuantity).with("cantidad", delta))?;
    let went_negative = delta < 0 && nueva < 0;
    if went_negative && policy == NegativeStockPolicy::Reject {
        return Err(Rechazo::new(RejectionCode::InsufficientStock)
            .with("available", state.stock)
            .with("requested", -i64::from(delta)));
    }
    Ok(LedgerEntry {
        cantidad_anterior: state.stock,
        cantidad_nueva: nueva,
        diferencia: delta,
        absorbed: false,
        went_negative,
    })
}

/// An item taking part in a run of stock changes applied together (see [`plan_plain_run`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunItem {
    pub state: ItemState,
    /// `inventario.cantidad_minima`: crossing it raises a low-stock alert.
    pub minimum: i32,
    pub policy: NegativeStockPolicy,
}

/// One change of a run: a delta to `items[item]`, dated at the person's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunStep {
    pub item: usize,
    pub delta: i32,
    pub at: DateTime<Utc>,
}

/// A run of changes planned by [`plan_plain_run`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRun {
    /// The ledger entries of the run's plain prefix, in order: exactly what [`apply_delta`]
    /// gives when those steps are applied one after another.
    pub entries: Vec<LedgerEntry>,
    /// Each item's stock after the prefix.
    pub stocks: Vec<i32>,
}

/// Plans a run of stock changes applied in order, so that a caller can write them together
/// (one statement per table instead of several per change). Only the run's *plain* prefix is
/// planned: it ends before the first step that is refused, absorbed by a count, takes stock
/// below zero, or crosses its item's minimum (from above it to at or below it), or that names
/// no item. Those steps produce conflicts, notifications or low-stock alerts at their own
/// moment, so the caller applies that step alone, with the same result as if no plan had been
/// tried.
pub fn plan_plain_run(items: &[RunItem], steps: &[RunStep]) -> PlannedRun {
    let mut stocks: Vec<i32> = items.iter().map(|item| item.state.stock).collect();
    let mut entries = Vec::with_capacity(steps.len());
    for step in steps {
        let (Some(item), Some(&before)) = (items.get(step.item), stocks.get(step.item)) else { break };
        let state = ItemState { stock: before, anchor: item.state.anchor };
        let Ok(entry) = apply_delta(state, step.delta, step.at, item.policy) else { break };
        let crosses_minimum = before > item.minimum && entry.cantidad_nueva <= item.minimum;
        if entry.absorbed || entry.went_negative || crosses_minimum {
            break;
        }
        stocks[step.item] = entry.cantidad_nueva;
        entries.push(entry);
    }
    PlannedRun { entries, stocks }
}

/// Checks a count line as typed: both quantities 0..=[`MAX_QUANTITY`], and the small loose
/// parts (`cantidad_pq`) are among the units counted (`cantidad_csa`), so never more than them.
/// A line with more loose parts than units would fix a negative quantity on a shelf that had
/// parts on it.
pub fn check_count_line(cantidad_csa: i32, cantidad_pq: i32) -> Result<(), Rechazo> {
    check_quantity_or_zero(cantidad_csa)?;
    check_quantity_or_zero(cantidad_pq)?;
    if cantidad_pq > cantidad_csa {
        return Err(Rechazo::new(RejectionCode::InvalidArguments)
            .with("detail", format!("cantidad_pq ({cantidad_pq}) cannot be larger than cantidad_csa ({cantidad_csa})"))
            .with("cantidad_csa", cantidad_csa)
            .with("cantidad_pq", cantidad_pq));
    }
    Ok(())
}

/// `detalles_conteo.diferencia = (cantidad_sistema + cantidad_pq) - cantidad_csa`.
pub fn count_line_difference(cantidad_sistema: i32, cantidad_csa: i32, cantidad_pq: i32) -> i32 {
    cantidad_sistema.saturating_add(cantidad_pq).saturating_sub(cantidad_csa)
}

/// The quantity a count line fixes: counted at the location minus the loose parts that stay.
pub fn counted_quantity(cantidad_csa: i32, cantidad_pq: i32) -> i32 {
    cantidad_csa.saturating_sub(cantidad_pq)
}

/// The result of applying one count line when its count is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountEntry {
    pub ledger: LedgerEntry,
    /// The anchor the item has afterwards.
    pub anchor: CountAnchor,
}

/// Applies a count line fixed at `anchor`: stock = counted + the sum of the non-absorbed deltas
/// dated after `anchor.at` that the ledger already holds (`deltas_after`). A count older than
/// the item's current anchor is recorded but absorbed.
pub fn apply_count(
    state: ItemState,
    anchor: CountAnchor,
    cantidad_csa: i32,
    cantidad_pq: i32,
    deltas_after: i64,
) -> CountEntry {
    if let Some(current) = state.anchor {
        if anchor <= current {
            return CountEntry {
                ledger: LedgerEntry {
                    cantidad_anterior: state.stock,
                    cantidad_nueva: state.stock,
                    diferencia: 0,
                    absorbed: true,
                    went_negative: false,
                },
                anchor: current,
            };
        }
    }
    let nueva_wide = i64::from(counted_quantity(cantidad_csa, cantidad_pq)) + deltas_after;
    let nueva = i32::try_from(nueva_wide).unwrap_or(if nueva_wide < 0 { i32::MIN } else { i32::MAX });
    CountEntry {
        ledger: LedgerEntry {
            cantidad_anterior: state.stock,
            cantidad_nueva: nueva,
            diferencia: nueva.saturating_sub(state.stock),
            absorbed: false,
            went_negative: nueva < 0,
        },
        anchor,
    }
}

/// Who must review a count line that leaves stock below zero: the person who closed the count
/// and the authors of the changes dated after the counted moment that the ledger had already
/// accepted (`authors_after`, in any order, repeats allowed). A count is a fact about the shelf
/// and is never refused; the changes after it were accepted on arrival against the stock of
/// that moment. When both stand and the sum is negative, the stock stays as computed (the parts
/// did leave) and these people get a negative-stock conflict. Nobody when the line was absorbed
/// or left stock at or above zero. Each person once, the counter first.
pub fn negative_count_reviewers(entry: &CountEntry, counter: Uuid, authors_after: &[Uuid]) -> Vec<Uuid> {
    if entry.ledger.absorbed || !entry.ledger.went_negative {
        return Vec::new();
    }
    let mut reviewers = vec![counter];
    for author in authors_after {
        if !reviewers.contains(author) {
            reviewers.push(*author);
        }
    }
    reviewers
}

/// `vista_repuestos_inventario.estado_stock`.
pub fn estado_stock(stock_actual: i32, cantidad_minima: i32) -> &'static str {
    if stock_actual <= 0 {
        "Sin Stock"
    } else if stock_actual <= cantidad_minima {
        "Bajo"
    } else if i64::from(stock_actual) <= 2 * i64::from(cantidad_minima) {
        "Normal"
    } else {
        "Alto"
    }
}

/// `vista_repuestos_inventario.alerta_minimo`.
pub fn alerta_minimo(stock_actual: i32, cantidad_minima: i32) -> bool {
    stock_actual <= cantidad_minima
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(minutes: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_790_000_000 + minutes * 60, 0).single().expect("valid time")
    }

    fn run_item(stock: i32, minimum: i32) -> RunItem {
        RunItem { state: ItemState { stock, anchor: None }, minimum, policy: NegativeStockPolicy::Allow }
    }

    fn step(item: usize, delta: i32, minute: u32) -> RunStep {
        RunStep { item, delta, at: Utc.with_ymd_and_hms(2026, 11, 22, 10, minute, 0).unwrap() }
    }

    #[test]
    fn a_plain_run_gives_the_entries_of_one_change_at_a_time() {
        let items = [run_item(10, 2), run_item(5, 0)];
        let steps = [step(0, -3, 1), step(1, 4, 2), step(0, -1, 3), step(1, -8, 4), step(0, 7, 5)];
        let plan = plan_plain_run(&items, &steps);
        assert_eq!(plan.entries.len(), steps.len(), "the whole run is plain");
        let mut stocks = [10, 5];
        for (step, entry) in steps.iter().zip(&plan.entries) {
            let one = apply_delta(
                ItemState { stock: stocks[step.item], anchor: None },
                step.delta,
                step.at,
                NegativeStockPolicy::Allow,
            )
            .expect("applies");
            assert_eq!(*entry, one);
            stocks[step.item] = one.cantidad_nueva;
        }
        assert_eq!(plan.stocks, stocks.to_vec());
        assert_eq!(plan.stocks, vec![13, 1]);
    }

    #[test]
    fn a_plan_stops_before_the_first_change_that_is_not_plain() {
        let planned = |items: &[RunItem], steps: &[RunStep]| plan_plain_run(items, steps).entries.len();
        // Crossing the minimum (an alert at that moment); already below it is plain.
        assert_eq!(planned(&[run_item(4, 2)], &[step(0, -1, 1), step(0, -1, 2), step(0, -1, 3)]), 1);
        assert_eq!(planned(&[run_item(1, 2)], &[step(0, -1, 1)]), 1);
        // Below zero (a conflict), refused (a rejection).
        assert_eq!(planned(&[run_item(1, -5)], &[step(0, 1, 1), step(0, -3, 2), step(0, 9, 3)]), 1);
        let mut refusing = run_item(1, -100);
        refusing.policy = NegativeStockPolicy::Reject;
        assert_eq!(planned(&[refusing], &[step(0, -2, 1)]), 0);
        // Absorbed by a later count (a conflict); after the count is plain.
        let anchor = CountAnchor { at: Utc.with_ymd_and_hms(2026, 11, 22, 10, 30, 0).unwrap(), id_conteo: Uuid::nil() };
        let counted = RunItem {
            state: ItemState { stock: 4, anchor: Some(anchor) },
            minimum: 0,
            policy: NegativeStockPolicy::Allow,
        };
        assert_eq!(planned(&[counted], &[step(0, -1, 40), step(0, -1, 10)]), 1);
        // A step naming an item that is not there.
        assert_eq!(planned(&[run_item(1, 0)], &[step(0, 1, 1), step(1, 1, 2)]), 1);
        // The stocks are those after the prefix.
        assert_eq!(plan_plain_run(&[run_item(4, 2)], &[step(0, -1, 1), step(0, -1, 2)]).stocks, vec![3]);
    }

    #[test]
    fn movement_table() {
        use Concepto as C;
        use TipoMovimiento as T;
        // (concepto, tipo, cantidad) -> Some(delta, descargada) or None (rejected)
        type Case = (C, T, i32, Option<(i32, bool)>);
        let cases: &[Case] = &[
            (C::Salida, T::Salida, 3, Some((-3, true))),
            (C::Ingreso, T::Ingreso, 2, Some((2, true))),
            (C::Venta, T::Venta, 1, Some((-1, true))),
            (C::Garantia, T::Salida, 1, Some((-1, true))),
            (C::Prestamo, T::Salida, 4, Some((-4, true))),
            (C::Devolucion, T::Ingreso, 4, Some((4, true))),
            (C::Cotizacion, T::Salida, 2, Some((0, false))),
            (C::Cotizacion, T::Venta, 2, Some((0, false))),
            (C::Salida, T::Ingreso, 1, None),
            (C::Ingreso, T::Salida, 1, None),
            (C::Venta, T::Salida, 1, None),
            (C::Devolucion, T::Venta, 1, None),
            (C::Cotizacion, T::Ingreso, 1, None),
            (C::Salida, T::Salida, 0, None),
            (C::Salida, T::Salida, -2, None),
            (C::Salida, T::Salida, MAX_QUANTITY + 1, None),
            (C::Ingreso, T::Ingreso, MAX_QUANTITY, Some((MAX_QUANTITY, true))),
        ];
        for &(concepto, tipo, cantidad, want) in cases {
            let got = movement_effect(concepto, tipo, cantidad).ok().map(|effect| (effect.delta, effect.descargada));
            assert_eq!(got, want, "{concepto} {tipo} {cantidad}");
        }
        let bad_quantity = movement_effect(C::Salida, T::Salida, 0).err().map(|r| r.code);
        assert_eq!(bad_quantity, Some(RejectionCode::InvalidQuantity));
        let bad_pair = movement_effect(C::Venta, T::Ingreso, 1).err().map(|r| r.code);
        assert_eq!(bad_pair, Some(RejectionCode::InvalidMovement));
    }

    #[test]
    fn delta_table() {
        let anchor = CountAnchor { at: t(10), id_conteo: Uuid::nil() };
        use NegativeStockPolicy::{Allow, Reject};
        // (stock, anchor, delta, at, policy) -> Ok((anterior, nueva, diferencia, absorbed, negative)) or Err(code)
        type Want = Result<(i32, i32, i32, bool, bool), RejectionCode>;
        type Case = (i32, Option<CountAnchor>, i32, i64, NegativeStockPolicy, Want);
        let cases: &[Case] = &[
            (5, None, -2, 0, Allow, Ok((5, 3, -2, false, false))),
            (5, None, 4, 0, Reject, Ok((5, 9, 4, false, false))),
            (1, None, -2, 0, Allow, Ok((1, -1, -2, false, true))),
            (1, None, -2, 0, Reject, Err(RejectionCode::InsufficientStock)),
            (2, None, -2, 0, Reject, Ok((2, 0, -2, false, false))),
            (-3, None, 1, 0, Reject, Ok((-3, -2, 1, false, false))),
            (7, Some(anchor), -2, 5, Allow, Ok((7, 7, 0, true, false))),
            (7, Some(anchor), -2, 10, Reject, Ok((7, 7, 0, true, false))),
            (7, Some(anchor), -2, 11, Allow, Ok((7, 5, -2, false, false))),
            (i32::MAX, None, 1, 0, Allow, Err(RejectionCode::InvalidQuantity)),
        ];
        for &(stock, anchor, delta, at, policy, want) in cases {
            let got = apply_delta(ItemState { stock, anchor }, delta, t(at), policy)
                .map(|e| (e.cantidad_anterior, e.cantidad_nueva, e.diferencia, e.absorbed, e.went_negative))
                .map_err(|r| r.code);
            assert_eq!(got, want, "stock {stock} delta {delta} at {at} {policy:?}");
        }
    }

    #[test]
    fn count_table() {
        let a = |minutes: i64, id: u128| CountAnchor { at: t(minutes), id_conteo: Uuid::from_u128(id) };
        // (stock, anchor, count anchor, csa, pq, deltas_after) -> (nueva, diferencia, absorbed)
        let cases = [
            (10, None, a(5, 1), 8, 0, 0, (8, -2, false)),
            (10, None, a(5, 1), 8, 1, 0, (7, -3, false)),
            (10, None, a(5, 1), 8, 0, -3, (5, -5, false)),
            (10, Some(a(6, 1)), a(5, 1), 8, 0, 0, (10, 0, true)),
            (10, Some(a(5, 1)), a(5, 1), 8, 0, 0, (10, 0, true)),
            (10, Some(a(5, 1)), a(5, 2), 8, 0, 0, (8, -2, false)),
            (10, Some(a(5, 2)), a(5, 1), 8, 0, 0, (10, 0, true)),
        ];
        for (stock, anchor, count, csa, pq, after, want) in cases {
            let got = apply_count(ItemState { stock, anchor }, count, csa, pq, after);
            assert_eq!((got.ledger.cantidad_nueva, got.ledger.diferencia, got.ledger.absorbed), want);
            assert_eq!(got.anchor, anchor.map_or(count, |current| current.max(count)));
        }
        assert_eq!(count_line_difference(10, 8, 1), 3);
        assert_eq!(count_line_difference(5, 5, 0), 0);
    }

    #[test]
    fn estado_stock_table() {
        let cases = [
            (0, 3, "Sin Stock", true),
            (-2, 3, "Sin Stock", true),
            (2, 3, "Bajo", true),
            (3, 3, "Bajo", true),
            (5, 3, "Normal", false),
            (6, 3, "Normal", false),
            (7, 3, "Alto", false),
            (1, 0, "Alto", false),
        ];
        for (stock, minimo, estado, alerta) in cases {
            assert_eq!(estado_stock(stock, minimo), estado, "{stock}/{minimo}");
            assert_eq!(alerta_minimo(stock, minimo), alerta, "{stock}/{minimo}");
        }
    }

    /// A minimal in-memory ledger that follows the server's algorithm: the ledger rows it
    /// keeps are what `logs_inventario` keeps, a count sums the non-absorbed deltas dated after
    /// it, as the server's SQL does, and it raises the negative-stock conflicts the server
    /// raises (for a delta, its author; for a count, [`negative_count_reviewers`]).
    struct Ledger {
        policy: NegativeStockPolicy,
        stock: i32,
        anchor: Option<CountAnchor>,
        rows: Vec<Row>,
        /// Negative-stock conflicts: (the event that raised them, who got one).
        conflicts: Vec<(usize, Vec<Uuid>)>,
    }

    struct Row {
        fecha: DateTime<Utc>,
        diferencia: i32,
        absorbed: bool,
        is_count: bool,
        author: Uuid,
    }

    #[derive(Debug, Clone)]
    enum Event {
        Delta { at: i64, delta: i32, author: u128 },
        Count { at: i64, id: u128, csa: i32, pq: i32, author: u128 },
    }

    fn person(author: u128) -> Uuid {
        Uuid::from_u128(0x1000 + author)
    }

    impl Ledger {
        fn new(stock: i32, policy: NegativeStockPolicy) -> Ledger {
            Ledger { policy, stock, anchor: None, rows: Vec::new(), conflicts: Vec::new() }
        }

        /// Applies event `index` as the server does when it arrives: its ledger entry, or the
        /// code it is refused with (nothing written).
        fn apply(&mut self, index: usize, event: &Event) -> Result<LedgerEntry, RejectionCode> {
            let state = ItemState { stock: self.stock, anchor: self.anchor };
            match *event {
                Event::Delta { at, delta, author } => {
                    let entry = apply_delta(state, delta, t(at), self.policy).map_err(|r| r.code)?;
                    self.stock = entry.cantidad_nueva;
                    self.rows.push(Row {
                        fecha: t(at),
                        diferencia: entry.diferencia,
                        absorbed: entry.absorbed,
                        is_count: false,
                        author: person(author),
                    });
                    if entry.went_negative {
                        self.conflicts.push((index, vec![person(author)]));
                    }
                    Ok(entry)
                }
                Event::Count { at, id, csa, pq, author } => {
                    check_count_line(csa, pq).map_err(|r| r.code)?;
                    let anchor = CountAnchor { at: t(at), id_conteo: Uuid::from_u128(id) };
                    let after: Vec<&Row> = self
                        .rows
                        .iter()
                        .filter(|row| row.fecha > anchor.at && !row.absorbed && !row.is_count && row.diferencia != 0)
                        .collect();
                    let sum: i64 = after.iter().map(|row| i64::from(row.diferencia)).sum();
                    let authors: Vec<Uuid> = after.iter().map(|row| row.author).collect();
                    let entry = apply_count(state, anchor, csa, pq, sum);
                    let reviewers = negative_count_reviewers(&entry, person(author), &authors);
                    self.stock = entry.ledger.cantidad_nueva;
                    self.anchor = Some(entry.anchor);
                    self.rows.push(Row {
                        fecha: t(at),
                        diferencia: entry.ledger.diferencia,
                        absorbed: entry.ledger.absorbed,
                        is_count: true,
                        author: person(author),
                    });
                    if !reviewers.is_empty() {
                        self.conflicts.push((index, reviewers));
                    }
                    Ok(entry.ledger)
                }
            }
        }
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            4 => (0i64..100, -20i32..20, 0u128..3).prop_filter("non-zero", |(_, d, _)| *d != 0)
                .prop_map(|(at, delta, author)| Event::Delta { at, delta, author }),
            // Some lines have more loose parts than units: bad input, refused.
            1 => (0i64..100, 0u128..4, 0i32..50, 0i32..5, 0u128..3)
                .prop_map(|(at, id, csa, pq, author)| Event::Count { at, id, csa, pq, author }),
        ]
    }

    /// An initial stock, the events, and a few arrival orders (permutations of the events'
    /// indexes).
    fn scenario(initial: std::ops::Range<i32>) -> impl Strategy<Value = (i32, Vec<Event>, Vec<Vec<usize>>)> {
        (initial, proptest::collection::vec(event(), 1..25)).prop_flat_map(|(initial, mut events)| {
            // Each count is its own session: one count never has two lines for one part (a
            // re-count replaces the line), so two counts never share an id. Equal moments
            // still happen and are ordered by id.
            for (index, event) in events.iter_mut().enumerate() {
                if let Event::Count { id, .. } = event {
                    *id = index as u128;
                }
            }
            let indexes: Vec<usize> = (0..events.len()).collect();
            let orders = proptest::collection::vec(Just(indexes).prop_shuffle(), 1..6);
            (Just(initial), Just(events), orders)
        })
    }

    /// The stock the contract's count rule gives for a set of applied events, whatever their
    /// order: the latest valid count plus the deltas dated after it, or the initial stock plus
    /// every delta.
    fn stock_of(initial: i32, events: &[Event], applied: impl Fn(usize) -> bool) -> i32 {
        let latest = events
            .iter()
            .enumerate()
            .filter(|(index, _)| applied(*index))
            .filter_map(|(_, e)| match *e {
                Event::Count { at, id, csa, pq, .. } if pq <= csa => {
                    Some((CountAnchor { at: t(at), id_conteo: Uuid::from_u128(id) }, csa - pq))
                }
                _ => None,
            })
            .max_by_key(|(anchor, _)| *anchor);
        let deltas = |after: Option<DateTime<Utc>>| -> i32 {
            events
                .iter()
                .enumerate()
                .filter(|(index, _)| applied(*index))
                .map(|(_, e)| match *e {
                    Event::Delta { at, delta, .. } if after.is_none_or(|after| t(at) > after) => delta,
                    _ => 0,
                })
                .sum()
        };
        match latest {
            None => initial + deltas(None),
            Some((anchor, counted)) => counted + deltas(Some(anchor.at)),
        }
    }

    proptest! {
        /// The contract's count rule: the final stock is the same whatever order the counts
        /// and the movements arrive in, and equals the latest count plus the deltas after it.
        #[test]
        fn final_stock_is_independent_of_arrival_order((initial, events, orders) in scenario(-10..50)) {
            let expected = stock_of(initial, &events, |_| true);
            for order in orders {
                let mut ledger = Ledger::new(initial, NegativeStockPolicy::Allow);
                for &index in &order {
                    let event = &events[index];
                    let outcome = ledger.apply(index, event);
                    let bad_line = matches!(*event, Event::Count { csa, pq, .. } if pq > csa);
                    prop_assert_eq!(outcome.is_err(), bad_line, "allow refuses only bad count lines: {:?}", event);
                }
                prop_assert_eq!(ledger.stock, expected, "arrival order {:?}", order);
                // The ledger explains the stock: initial + every recorded difference.
                let explained = initial + ledger.rows.iter().map(|row| row.diferencia).sum::<i32>();
                prop_assert_eq!(ledger.stock, explained);
            }
        }

        /// The contract's rule at a `reject` location. Whether a movement is accepted is
        /// decided once, on arrival, against the stock of that moment, so the accepted set may
        /// depend on the order; but (a) given the accepted events the final stock is the same
        /// in every order, and (b) stock goes below zero only when a count arrives after
        /// accepted movements dated after its counted moment that take it there, and then the
        /// counter and those movements' authors get a negative-stock conflict. A count is never
        /// refused, except a line with more loose parts than units.
        #[test]
        fn reject_locations_go_negative_only_through_late_counts_and_with_a_conflict(
            (initial, events, orders) in scenario(0..30)
        ) {
            let mut finals: std::collections::BTreeMap<Vec<usize>, i32> = std::collections::BTreeMap::new();
            for order in orders {
                let mut ledger = Ledger::new(initial, NegativeStockPolicy::Reject);
                let mut accepted: Vec<usize> = Vec::new();
                for &index in &order {
                    let event = &events[index];
                    let before = ledger.stock;
                    let outcome = ledger.apply(index, event);
                    let raised = ledger.conflicts.iter().find(|(raiser, _)| *raiser == index).map(|(_, who)| who.clone());
                    match (event, &outcome) {
                        (Event::Count { csa, pq, .. }, Err(code)) => {
                            prop_assert!(pq > csa, "a valid count is never refused: {:?} {:?}", event, code);
                            prop_assert_eq!(*code, RejectionCode::InvalidArguments);
                        }
                        (Event::Count { csa, pq, .. }, Ok(_)) if pq > csa => {
                            prop_assert!(false, "a count with more loose parts than units was accepted: {:?}, stock {}", event, ledger.stock);
                        }
                        (&Event::Count { at, author, .. }, Ok(entry)) if !entry.absorbed && ledger.stock < 0 => {
                            // Late: accepted deltas dated after the counted moment arrived first.
                            let mut authors: Vec<Uuid> = accepted.iter().filter_map(|&earlier| match events[earlier] {
                                Event::Delta { at: delta_at, author, .. } if delta_at > at => Some(person(author)),
                                _ => None,
                            }).collect();
                            prop_assert!(!authors.is_empty(), "negative with no movement after the count: {:?}", event);
                            let raised = raised.unwrap_or_default();
                            prop_assert_eq!(raised.first().copied(), Some(person(author)), "the counter reviews it first");
                            authors.push(person(author));
                            authors.sort();
                            authors.dedup();
                            let mut got = raised.clone();
                            got.sort();
                            prop_assert_eq!(got, authors, "the counter and every author of a movement after it");
                        }
                        _ => {
                            prop_assert!(
                                ledger.stock >= 0 || ledger.stock >= before,
                                "only a late count takes stock below zero: {:?} took {} to {}", event, before, ledger.stock
                            );
                            prop_assert!(raised.is_none(), "a conflict with no negative count: {:?}", event);
                        }
                    }
                    if outcome.is_ok() {
                        accepted.push(index);
                    }
                }
                let expected = stock_of(initial, &events, |index| accepted.contains(&index));
                prop_assert_eq!(ledger.stock, expected, "arrival order {:?}, accepted {:?}", order, accepted);
                let explained = initial + ledger.rows.iter().map(|row| row.diferencia).sum::<i32>();
                prop_assert_eq!(ledger.stock, explained);
                accepted.sort_unstable();
                let first = *finals.entry(accepted.clone()).or_insert(ledger.stock);
                prop_assert_eq!(ledger.stock, first, "same accepted events {:?}, different stock", accepted);
            }
        }
    }
}
