//! Field edits (catalog, minimums, positions, names). Each edit carries the value it replaced.
//! The edit always applies (server order decides); when the server's current value is not the
//! one the author replaced, someone else changed it meanwhile and both authors get a conflict
//! entry to review.

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
    use serde_json::json;

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
