//! Replenishment: what to ask an origin (a warehouse) for so that a workshop's parts below
//! their minimum reach it again, without asking twice for what is already on its way and
//! never for more than the origin can give. Pure: the caller loads the facts (decision 0020).

use std::cmp::Ordering;
use uuid::Uuid;

/// What the proposal of one part needs to know, as the replica holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedFacts {
    pub id_repuesto: Uuid,
    pub referencia: String,
    /// The part's shelf position at the origin (picking order), if it has one there.
    pub posicion_origen: Option<String>,
    /// Stock on hand at the destination (it may be negative).
    pub stock: i32,
    /// The destination's minimum for the part.
    pub minimo: i32,
    /// Already asked for the destination and not yet arrived: lines of its open requests
    /// (pending, picking: as requested; dispatched: as dispatched) from any origin.
    pub en_transito: i32,
    /// Already in the person's cart for the destination.
    pub en_carrito: i32,
    /// Stock on hand at the origin.
    pub stock_origen: i32,
    /// The origin's stock promised to open requests it has not dispatched yet (pending and
    /// picking), whatever their destination.
    pub reservado_origen: i32,
}

impl NeedFacts {
    /// What the destination still lacks to reach its minimum, once what is on its way and in
    /// the cart arrives (0 when nothing).
    pub fn falta(&self) -> i32 {
        let missing =
            i64::from(self.minimo) - i64::from(self.stock) - i64::from(self.en_transito) - i64::from(self.en_carrito);
        clamp(missing)
    }

    /// What the origin can still give (0 when nothing): its stock less what it promised and
    /// less what the person's cart already holds for the destination (that will be asked of
    /// an origin too, so the proposal and the cart together never exceed what it holds).
    pub fn disponible_origen(&self) -> i32 {
        clamp(i64::from(self.stock_origen) - i64::from(self.reservado_origen) - i64::from(self.en_carrito))
    }

    /// The quantity to propose: what is missing, capped by what the origin can give.
    pub fn propuesta(&self) -> i32 {
        self.falta().min(self.disponible_origen())
    }

    /// What the proposal left uncovered because the origin has too little.
    pub fn sin_cubrir(&self) -> i32 {
        self.falta() - self.propuesta()
    }
}

fn clamp(value: i64) -> i32 {
    i32::try_from(value.max(0)).unwrap_or(i32::MAX)
}

/// A proposed line: the part and the whole units to ask for (always at least 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposedLine {
    pub facts: NeedFacts,
    pub cantidad: i32,
}

/// A proposal: its lines, and how many parts still lack units the origin cannot give at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proposal {
    pub lines: Vec<ProposedLine>,
    /// Parts that still lack units (after what is in transit and in the cart) but that the
    /// origin has none of to give: left out of the lines.
    pub sin_existencias: u32,
}

/// The proposal: every part that still lacks units and that the origin can give, with the
/// quantity to ask for, in picking order (the origin's shelf position, parts without one last,
/// then reference, then id). Parts with nothing to propose are left out.
pub fn propose(needs: Vec<NeedFacts>) -> Proposal {
    let mut proposal = Proposal::default();
    for facts in needs {
        let cantidad = facts.propuesta();
        if cantidad > 0 {
            proposal.lines.push(ProposedLine { facts, cantidad });
        } else if facts.falta() > 0 {
            proposal.sin_existencias += 1;
        }
    }
    proposal.lines.sort_by(|a, b| picking_order(&a.facts, &b.facts));
    proposal
}

/// The order a warehouse worker walks the shelves in.
pub fn picking_order(a: &NeedFacts, b: &NeedFacts) -> Ordering {
    (a.posicion_origen.is_none(), &a.posicion_origen, &a.referencia, a.id_repuesto).cmp(&(
        b.posicion_origen.is_none(),
        &b.posicion_origen,
        &b.referencia,
        b.id_repuesto,
    ))
}

/// A location a replenishment may come from: one whose inventory the replica holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginCandidate {
    pub id_localizacion: Uuid,
    pub nombre: String,
    /// The sum of its positive stock.
    pub stock_total: i64,
}

/// The origin proposed when the person names none: the candidate with the most stock on hand
/// (a central warehouse holds more than a workshop), ties by name then id; `None` when there
/// is no candidate.
pub fn default_origin(candidates: &[OriginCandidate]) -> Option<&OriginCandidate> {
    candidates.iter().min_by(|a, b| {
        b.stock_total
            .cmp(&a.stock_total)
            .then_with(|| a.nombre.cmp(&b.nombre))
            .then(a.id_localizacion.cmp(&b.id_localizacion))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(n: u128, referencia: &str, posicion: Option<&str>) -> NeedFacts {
        NeedFacts {
            id_repuesto: Uuid::from_u128(n),
            referencia: referencia.to_owned(),
            posicion_origen: posicion.map(str::to_owned),
            stock: 0,
            minimo: 0,
            en_transito: 0,
            en_carrito: 0,
            stock_origen: 0,
            reservado_origen: 0,
        }
    }

    fn with(mut facts: NeedFacts, f: impl FnOnce(&mut NeedFacts)) -> NeedFacts {
        f(&mut facts);
        facts
    }

    #[test]
    fn a_part_is_proposed_up_to_its_minimum_less_what_is_on_its_way_capped_by_the_origin() {
        // Table: stock, minimum, in transit, in cart, origin stock, origin reserved -> proposed.
        let cases = [
            ((2, 5, 0, 0, 10, 0), 3, "up to the minimum"),
            ((0, 5, 0, 0, 2, 0), 2, "capped by what the origin holds"),
            ((1, 6, 3, 0, 10, 0), 2, "less what is in transit"),
            ((1, 6, 0, 2, 10, 0), 3, "less what is already in the cart"),
            ((0, 8, 0, 0, 10, 7), 3, "less what the origin promised to others"),
            ((0, 10, 0, 4, 6, 0), 2, "the cart counts against the origin too: never more than it holds in all"),
            ((5, 5, 0, 0, 10, 0), 0, "at the minimum: nothing"),
            ((7, 5, 0, 0, 10, 0), 0, "above the minimum: nothing"),
            ((0, 4, 6, 0, 10, 0), 0, "more on its way than missing: nothing, never negative"),
            ((0, 4, 0, 0, 0, 0), 0, "an empty origin: nothing"),
            ((0, 4, 0, 0, -3, 0), 0, "an origin below zero: nothing"),
            ((0, 4, 0, 0, 3, 9), 0, "an origin promised beyond its stock: nothing"),
            ((-3, 2, 0, 0, 10, 0), 5, "negative stock counts as missing units"),
            ((0, 0, 0, 0, 10, 0), 0, "no minimum: nothing"),
            ((i32::MIN, i32::MAX, 0, 0, i32::MAX, 0), i32::MAX, "no overflow"),
        ];
        for ((stock, minimo, en_transito, en_carrito, stock_origen, reservado_origen), expected, why) in cases {
            let facts = with(need(1, "X", None), |f| {
                (f.stock, f.minimo, f.en_transito, f.en_carrito, f.stock_origen, f.reservado_origen) =
                    (stock, minimo, en_transito, en_carrito, stock_origen, reservado_origen);
            });
            assert_eq!(facts.propuesta(), expected, "{why}");
            assert_eq!(facts.falta() - facts.sin_cubrir(), expected, "{why}: missing = proposed + uncovered");
            assert!(facts.propuesta() <= facts.disponible_origen(), "{why}: never more than the origin can give");
        }
        let capped = with(need(1, "X", None), |f| (f.minimo, f.stock_origen) = (9, 4));
        assert_eq!((capped.falta(), capped.disponible_origen(), capped.sin_cubrir()), (9, 4, 5));
    }

    #[test]
    fn the_proposal_leaves_out_parts_with_nothing_and_follows_the_picking_order() {
        let short = |n, referencia: &str, posicion| {
            with(need(n, referencia, posicion), |f| (f.minimo, f.stock_origen) = (3, 10))
        };
        let proposal = propose(vec![
            short(1, "ZZZ", None),
            short(2, "AAA", Some("B-2")),
            with(need(3, "MMM", Some("A-1")), |f| (f.minimo, f.stock_origen) = (3, 0)),
            short(4, "BBB", Some("A-9")),
            short(6, "AAA", None),
            short(5, "AAA", None),
            with(need(7, "CCC", Some("A-1")), |f| (f.stock, f.minimo, f.stock_origen) = (3, 3, 10)),
        ]);
        let order: Vec<(u128, i32)> =
            proposal.lines.iter().map(|line| (line.facts.id_repuesto.as_u128(), line.cantidad)).collect();
        assert_eq!(
            order,
            [(4, 3), (2, 3), (5, 3), (6, 3), (1, 3)],
            "shelf position, then without one, by reference and id"
        );
        assert_eq!(proposal.sin_existencias, 1, "MMM lacks 3 that the origin has none of");
        assert_eq!(propose(Vec::new()), Proposal::default());
    }

    #[test]
    fn the_default_origin_is_the_one_with_most_stock_ties_by_name() {
        let origin = |n: u128, nombre: &str, stock_total| OriginCandidate {
            id_localizacion: Uuid::from_u128(n),
            nombre: nombre.to_owned(),
            stock_total,
        };
        let candidates = [origin(1, "Taller Sur", 40), origin(2, "Bodega Central", 900), origin(3, "Bodega B", 900)];
        assert_eq!(default_origin(&candidates).map(|c| c.nombre.as_str()), Some("Bodega B"));
        assert_eq!(default_origin(&candidates[..2]).map(|c| c.nombre.as_str()), Some("Bodega Central"));
        assert_eq!(default_origin(&[origin(4, "Vacía", 0)]).map(|c| c.nombre.as_str()), Some("Vacía"));
        assert_eq!(default_origin(&[]), None);
    }
}
