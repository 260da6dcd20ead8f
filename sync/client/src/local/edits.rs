//! Field edits with the value they replaced (catalogue, minimums, positions, warranty
//! drafts), applied locally like the server's `mutations/edits.rs`: the same allowed fields,
//! the same value checks, the value `resolve_field_edit` decides. The server's conflict
//! entries (when the replaced value was no longer current) are not written locally; they
//! arrive with the next pull.

use super::{check_text, invalid, rows, timestamp, LocalCtx, LocalFailure, LocalResult};
use serde_json::Value;
use taller_domain::{resolve_field_edit, Rechazo, RejectionCode};
use taller_protocol::checksum::canonical;
use taller_protocol::mutations::FieldEdit;
use taller_protocol::tables::{ColumnType, Table};

pub(super) struct Target<'a> {
    pub table: &'static Table,
    pub key: &'a str,
    /// The fields this mutation may edit.
    pub fields: &'a [&'static str],
}

fn unknown_field(field: &str) -> LocalFailure {
    LocalFailure::Rejected(Rechazo::new(RejectionCode::UnknownField).with("field", field))
}

/// Checks a new value against its column and returns it normalised: trimmed text, empty text
/// as NULL for nullable columns, and timestamps and ids spelled as the replica writes them.
fn check_value(table: &Table, field: &str, value: &Value) -> LocalResult<Value> {
    let column = table.column(field).ok_or_else(|| unknown_field(field))?;
    let value = match value {
        Value::String(text) if column.ty == ColumnType::Text => {
            let trimmed = text.trim();
            check_text(field, trimmed)?;
            if trimmed.is_empty() {
                Value::Null
            } else {
                Value::String(trimmed.to_owned())
            }
        }
        other => other.clone(),
    };
    if value.is_null() {
        return if column.nullable { Ok(Value::Null) } else { Err(invalid(format!("{field} cannot be empty"))) };
    }
    let normalised = match column.ty {
        ColumnType::Text => value.is_string().then(|| value.clone()),
        ColumnType::Integer => value.as_i64().filter(|n| i32::try_from(*n).is_ok()).map(Value::from),
        ColumnType::Boolean => value.is_boolean().then(|| value.clone()),
        ColumnType::Uuid => {
            value.as_str().and_then(|s| s.parse::<uuid::Uuid>().ok()).map(|id| Value::String(id.to_string()))
        }
        ColumnType::Date => {
            value.as_str().and_then(|s| s.parse::<chrono::NaiveDate>().ok()).map(|d| Value::String(d.to_string()))
        }
        ColumnType::Timestamptz => value.as_str().and_then(super::parse_timestamp).map(timestamp),
        ColumnType::Jsonb => Some(value.clone()),
    };
    normalised.ok_or_else(|| invalid(format!("{field} has the wrong type")))
}

/// Values compared as the column's canonical text (as the server compares them), so one
/// instant in two spellings, or an id in two cases, is the same value.
fn comparable(table: &Table, field: &str, value: &Value) -> Value {
    match table.column(field) {
        Some(column) if !value.is_null() && matches!(column.ty, ColumnType::Timestamptz | ColumnType::Uuid) => {
            Value::String(canonical(column.ty, value))
        }
        _ => value.clone(),
    }
}

/// Applies the edits to one existing row, in order; refuses the whole list on the first bad
/// edit (the caller's savepoint drops what was set before it). Returns the fields whose
/// replaced value was no longer the replica's (the server will record a conflict for them).
pub(super) fn apply_edits(
    ctx: &LocalCtx<'_>,
    target: &Target<'_>,
    edits: &[FieldEdit],
    extra_check: impl Fn(&str, &Value) -> LocalResult<()>,
) -> LocalResult<Vec<String>> {
    let table = target.table;
    let Some(mut row) = rows::get(ctx.conn, table, target.key)? else {
        return Err(super::not_found(table.name, target.key));
    };
    let before = row.clone();
    let mut stale = Vec::new();
    for edit in edits {
        let Some(&field) = target.fields.iter().find(|allowed| **allowed == edit.field) else {
            return Err(unknown_field(&edit.field));
        };
        let new = check_value(table, field, &edit.new)?;
        extra_check(field, &new)?;
        let current = rows::value(table, &row, field).clone();
        let outcome = resolve_field_edit(
            &comparable(table, field, &current),
            &comparable(table, field, &edit.old),
            &comparable(table, field, &new),
        );
        if outcome.conflict_with.is_some() {
            stale.push(field.to_owned());
        }
        // `outcome.value` is the new value in its comparable spelling; the replica keeps the
        // normalised value itself.
        rows::set(table, &mut row, field, new);
    }
    if row != before {
        if table.column_index("updated_at").is_some() {
            rows::set(table, &mut row, "updated_at", ctx.now());
        }
        rows::put(ctx.conn, table, &row)?;
    }
    Ok(stale)
}
