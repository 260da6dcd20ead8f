//! Field edits (catalog, minimums, positions, names). Each edit carries the value it replaced.
//! The edit always applies (server order decides); when the server's current value is not the
//! one the author replaced, someone else changed it meanwhile and both authors get a conflict
//! entry to review.

use crate::args::FieldEdit;
use crate::rechazo::Rechazo;
use serde_json::Value;

/// The decision for one field edit.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldEditOutcome {
    /// The value the field takes.
    pub value: Value,
    /// `Some(server value)` when the author replaced a value that was no longer current.
    pub conflict_with: Option<Value>,
}

/// Decides one field edit given the server's current value, the value the author saw and
/// replaced, and the author's new value.
pub fn resolve_field_edit(current: &Value, replaced: &Value, new: &Value) -> FieldEditOutcome {
    // Setting the value that is already there is not a conflict, whatever the author saw.
    let conflict = !same_value(current, replaced) && !same_value(current, new);
    FieldEditOutcome { value: new.clone(), conflict_with: conflict.then(|| current.clone()) }
}

/// One field edit as decided, in the order the mutation gave it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedEdit {
    pub field: &'static str,
    /// The value the field takes (normalised by its column's rules).
    pub value: Value,
    /// The value the field had when the edit applied (after the earlier edits of the list).
    pub current: Value,
    /// The author replaced a value that was no longer current: both authors review it.
    pub conflict: bool,
}

/// Decides a list of field edits of one row, in order, refusing the whole list at the first
/// bad edit: a field the mutation may not edit is `unknown_field`; `normalise` applies the
/// column's rules (type, bound, empty text as none) and `check` the mutation's own; each edit
/// is then [`resolve_field_edit`] against the row's `current` value (or the value an earlier
/// edit of the list gave it), compared as `comparable` spells values.
pub fn plan_edits(
    fields: &[&'static str],
    edits: &[FieldEdit],
    current: impl Fn(&str) -> Value,
    normalise: impl Fn(&'static str, &Value) -> Result<Value, Rechazo>,
    check: impl Fn(&str, &Value) -> Result<(), Rechazo>,
    comparable: impl Fn(&'static str, &Value) -> Value,
) -> Result<Vec<PlannedEdit>, Rechazo> {
    let mut planned: Vec<PlannedEdit> = Vec::with_capacity(edits.len());
    for edit in edits {
        let Some(&field) = fields.iter().find(|allowed| **allowed == edit.field) else {
            return Err(Rechazo::unknown_field(&edit.field));
        };
        let value = normalise(field, &edit.new)?;
        check(field, &value)?;
        let current = match planned.iter().rev().find(|earlier| earlier.field == field) {
            Some(earlier) => earlier.value.clone(),
            None => current(field),
        };
        let outcome =
            resolve_field_edit(&comparable(field, &current), &comparable(field, &edit.old), &comparable(field, &value));
        planned.push(PlannedEdit { field, value, current, conflict: outcome.conflict_with.is_some() });
    }
    Ok(planned)
}

/// Compares field values as a person would: numbers by value, text exactly, and an empty
/// text the same as no value.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::String(s), Value::Null) | (Value::Null, Value::String(s)) => s.is_empty(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rechazo::RejectionCode;
    use serde_json::json;

    fn edit(field: &str, old: Value, new: Value) -> FieldEdit {
        FieldEdit { field: field.into(), old, new }
    }

    /// Edits apply in order against the row as the earlier edits left it; the first bad edit
    /// refuses the list; only the mutation's fields may change.
    #[test]
    fn a_list_of_edits_is_planned_in_order() {
        const FIELDS: &[&str] = &["posicion", "cantidad_minima"];
        let row = json!({"posicion": "A-1", "cantidad_minima": 2});
        let current = |field: &str| row[field].clone();
        let normalise = |_: &'static str, value: &Value| match value {
            Value::String(text) => Ok(json!(text.trim())),
            other => Ok(other.clone()),
        };
        let check = |field: &str, value: &Value| {
            if field == "cantidad_minima" && value.as_i64().is_some_and(|n| n < 0) {
                Err(Rechazo::new(RejectionCode::InvalidQuantity))
            } else {
                Ok(())
            }
        };
        let same = |_: &'static str, value: &Value| value.clone();
        let edits = [
            edit("posicion", json!("A-1"), json!(" B-2 ")),
            edit("posicion", json!("A-1"), json!("C-3")),
            edit("cantidad_minima", json!(2), json!(5)),
        ];
        let plan = plan_edits(FIELDS, &edits, current, normalise, check, same).expect("plans");
        assert_eq!(
            plan.iter().map(|p| (p.field, p.value.clone())).collect::<Vec<_>>(),
            [("posicion", json!("B-2")), ("posicion", json!("C-3")), ("cantidad_minima", json!(5)),]
        );
        assert_eq!(plan[1].current, json!("B-2"), "after the earlier edit");
        assert_eq!(plan.iter().map(|p| p.conflict).collect::<Vec<_>>(), [false, true, false]);
        let unknown = [edit("posicion", json!("A-1"), json!("B")), edit("created_at", Value::Null, json!("x"))];
        let refused = plan_edits(FIELDS, &unknown, current, normalise, check, same).err();
        assert_eq!(refused, Some(Rechazo::unknown_field("created_at")));
        let negative = [edit("cantidad_minima", json!(2), json!(-1))];
        let refused = plan_edits(FIELDS, &negative, current, normalise, check, same).err();
        assert_eq!(refused.map(|r| r.code), Some(RejectionCode::InvalidQuantity));
    }

    #[test]
    fn edit_table() {
        // (current, replaced, new) -> conflict?
        let cases = [
            (json!("A-1"), json!("A-1"), json!("B-2"), false),
            (json!("C-3"), json!("A-1"), json!("B-2"), true),
            (json!("B-2"), json!("A-1"), json!("B-2"), false),
            (json!(5), json!(5.0), json!(7), false),
            (json!(6), json!(5), json!(7), true),
            (Value::Null, json!(""), json!("X"), false),
            (json!("Y"), Value::Null, json!("X"), true),
        ];
        for (current, replaced, new, conflict) in cases {
            let outcome = resolve_field_edit(&current, &replaced, &new);
            assert_eq!(outcome.value, new);
            assert_eq!(outcome.conflict_with.is_some(), conflict, "{current} {replaced} {new}");
            if conflict {
                assert_eq!(outcome.conflict_with, Some(current));
            }
        }
    }
}
