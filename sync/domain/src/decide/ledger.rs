//! A stock change as every mutation that moves stock asks for it, and the ledger row it
//! becomes once the item's state is known ([`crate::stock::apply_delta`]: absorbed by a later
//! count, negative stock allowed or refused).

use crate::rechazo::Rechazo;
use crate::stock::{apply_delta, CountAnchor, ItemState, LedgerEntry};
use crate::{NegativeStockPolicy, TipoOperacion};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// A change of a part's stock at a location, as a mutation's decision asks for it.
#[derive(Debug, Clone, PartialEq)]
pub struct StockChange {
    pub id_localizacion: Uuid,
    /// The part as it exists (aliases resolved).
    pub id_repuesto: Uuid,
    /// Signed change of `stock_actual`.
    pub delta: i32,
    pub tipo: TipoOperacion,
    /// `logs_inventario.motivo`.
    pub motivo: Option<String>,
    /// What the mutation says about the change (`logs_inventario.detalles`, before
    /// [`change_details`] adds the change's own facts).
    pub detalles: Map<String, Value>,
}

/// What the ledger knows about the item when the change applies (read after its row lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemFacts {
    pub stock: i32,
    /// The latest count applied to the item.
    pub anchor: Option<CountAnchor>,
    /// The location's negative-stock policy.
    pub policy: NegativeStockPolicy,
}

/// A `logs_inventario` row to write (by the acting user), and the stock it leaves: what a
/// stock change or a count line becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerWrite {
    pub tipo: TipoOperacion,
    pub entry: LedgerEntry,
    pub motivo: Option<String>,
    /// `logs_inventario.detalles`.
    pub detalles: Value,
    /// `logs_inventario.fecha`: the person's time (a count's: the counted moment).
    pub fecha: DateTime<Utc>,
    /// The count that absorbed the change, when one did.
    pub absorbed_by: Option<CountAnchor>,
}

impl LedgerWrite {
    /// Whether `stock_actual` changes (a row that records without moving, absorbed or zero,
    /// leaves the item as it is).
    pub fn moves_stock(&self) -> bool {
        self.entry.cantidad_nueva != self.entry.cantidad_anterior
    }
}

impl StockChange {
    /// The ledger row of this change dated `at` (the person's time) by mutation `id_mutacion`,
    /// or `insufficient_stock` under the `reject` policy. The conflicts it raises follow from
    /// the entry: `absorbed` (the author reviews it) and `went_negative` (the author gets a
    /// negative-stock conflict and notification).
    pub fn plan(&self, item: ItemFacts, at: DateTime<Utc>, id_mutacion: Uuid) -> Result<LedgerWrite, Rechazo> {
        let entry = apply_delta(ItemState { stock: item.stock, anchor: item.anchor }, self.delta, at, item.policy)?;
        let absorbed_by = if entry.absorbed { item.anchor } else { None };
        Ok(LedgerWrite {
            tipo: self.tipo,
            detalles: change_details(&self.detalles, id_mutacion, self.delta, &entry, item.anchor),
            entry,
            motivo: self.motivo.clone(),
            fecha: at,
            absorbed_by,
        })
    }
}

/// The `detalles` of a stock change's ledger row: the mutation's own, its id, and, when a
/// count absorbed the change, that it did, the delta asked for and the count.
pub fn change_details(
    detalles: &Map<String, Value>,
    id_mutacion: Uuid,
    delta: i32,
    entry: &LedgerEntry,
    anchor: Option<CountAnchor>,
) -> Value {
    let mut detalles = detalles.clone();
    detalles.insert("id_mutacion".into(), json!(id_mutacion));
    if entry.absorbed {
        detalles.insert("absorbido".into(), json!(true));
        detalles.insert("delta_original".into(), json!(delta));
        if let Some(anchor) = anchor {
            detalles.insert("absorbido_por_conteo".into(), json!(anchor.id_conteo));
        }
    }
    Value::Object(detalles)
}

/// What a mutation whose effect is one stock change answers: the new stock and whether a
/// count absorbed the change.
pub fn stock_result(entry: &LedgerEntry) -> Map<String, Value> {
    let mut result = Map::new();
    result.insert("stock_actual".into(), json!(entry.cantidad_nueva));
    result.insert("absorbido".into(), json!(entry.absorbed));
    result
}

/// `detalles` from a JSON object literal (anything else is no details).
pub fn details(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rechazo::RejectionCode;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, hour, 0, 0).single().expect("valid")
    }

    fn change(delta: i32) -> StockChange {
        StockChange {
            id_localizacion: Uuid::from_u128(1),
            id_repuesto: Uuid::from_u128(2),
            delta,
            tipo: TipoOperacion::AjusteManual,
            motivo: Some("rotura".into()),
            detalles: details(json!({"id_garantia": Uuid::from_u128(3)})),
        }
    }

    #[test]
    fn a_plain_change_keeps_the_mutations_details_and_adds_its_id() {
        let id_mutacion = Uuid::from_u128(4);
        let item = ItemFacts { stock: 10, anchor: None, policy: NegativeStockPolicy::Allow };
        let write = change(-3).plan(item, at(10), id_mutacion).expect("applies");
        assert_eq!((write.entry.cantidad_anterior, write.entry.cantidad_nueva, write.entry.diferencia), (10, 7, -3));
        assert_eq!(write.detalles, json!({"id_garantia": Uuid::from_u128(3), "id_mutacion": id_mutacion}));
        assert_eq!(write.absorbed_by, None);
        assert_eq!(
            (write.tipo, write.motivo.as_deref(), write.fecha),
            (TipoOperacion::AjusteManual, Some("rotura"), at(10))
        );
        assert!(write.moves_stock());
        assert_eq!(stock_result(&write.entry), details(json!({"stock_actual": 7, "absorbido": false})));
    }

    #[test]
    fn a_change_older_than_the_items_count_is_absorbed_and_says_by_which() {
        let anchor = CountAnchor { at: at(12), id_conteo: Uuid::from_u128(5) };
        let item = ItemFacts { stock: 6, anchor: Some(anchor), policy: NegativeStockPolicy::Reject };
        let write = change(-9).plan(item, at(11), Uuid::nil()).expect("absorbed, not refused");
        assert!(write.entry.absorbed);
        assert_eq!(write.entry.cantidad_nueva, 6);
        assert_eq!(write.absorbed_by, Some(anchor));
        assert!(!write.moves_stock(), "recorded, not moved");
        assert_eq!(write.detalles["absorbido"], json!(true));
        assert_eq!(write.detalles["delta_original"], json!(-9));
        assert_eq!(write.detalles["absorbido_por_conteo"], json!(anchor.id_conteo));
    }

    #[test]
    fn the_reject_policy_refuses_and_allow_goes_negative() {
        let reject = ItemFacts { stock: 2, anchor: None, policy: NegativeStockPolicy::Reject };
        let refused = change(-5).plan(reject, at(10), Uuid::nil()).err();
        assert_eq!(refused.as_ref().map(|r| r.code), Some(RejectionCode::InsufficientStock));
        assert_eq!(refused.and_then(|r| r.params.get("requested").cloned()), Some(json!(5)));
        let allow = ItemFacts { policy: NegativeStockPolicy::Allow, ..reject };
        let write = change(-5).plan(allow, at(10), Uuid::nil()).expect("allowed");
        assert!(write.entry.went_negative);
        assert_eq!(write.entry.cantidad_nueva, -3);
    }
}
