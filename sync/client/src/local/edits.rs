//! Field edits with the value they replaced (catalogue, minimums, positions, warranty
//! drafts), applied locally like the server's `mutations/edits.rs`: the same allowed fields,
//! the same value checks, the value `resolve_field_edit` decides. The server's conflict
//! entries (when the replaced value was no longer current) are not written locally; they
//! arrive with the next pull.

use super::{rows, LocalCtx, LocalFailure, LocalResult};
use serde_json::Value;
use taller_domain::{resolve_field_edit, Rechazo};
use taller_protocol::mutations::FieldEdit;
use taller_protocol::tables::Table;

pub(super) struct Target<'a> {
    pub table: &'static Table,
    pub key: &'a str,
    /// The fields this mutation may edit.
    pub fields: &'a [&'static str],
}

fn unknown_field(field: &str) -> LocalFailure {
    LocalFailure::Rejected(Rechazo::unknown_field(field))
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
        return Err(Rechazo::not_found(table.name, target.key).into());
    };
    let before = row.clone();
    let mut stale = Vec::new();
    for edit in edits {
        let Some(&field) = target.fields.iter().find(|allowed| **allowed == edit.field) else {
            return Err(unknown_field(&edit.field));
        };
        let new = taller_protocol::validate::field_value(table, field, &edit.new)?;
        extra_check(field, &new)?;
        let current = rows::value(table, &row, field).clone();
        let outcome = resolve_field_edit(
            &taller_protocol::validate::comparable(table, field, &current),
            &taller_protocol::validate::comparable(table, field, &edit.old),
            &taller_protocol::validate::comparable(table, field, &new),
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
