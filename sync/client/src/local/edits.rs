//! Field edits with the value they replaced (catalogue, minimums, positions, warranty
//! drafts): decided by `taller_protocol::validate::plan_edits` (the mutation's fields, the
//! column's rules, the mutation's own check, `resolve_field_edit`) against the replica's row,
//! as the server decides them against its own. The server's conflict entries (when the
//! replaced value was no longer current) are not written locally; they arrive with the next
//! pull.

use super::{rows, LocalCtx, LocalResult};
use serde_json::Value;
use taller_domain::Rechazo;
use taller_protocol::mutations::FieldEdit;
use taller_protocol::tables::Table;
use taller_protocol::validate::plan_edits;

pub(super) struct Target<'a> {
    pub table: &'static Table,
    pub key: &'a str,
    /// The fields this mutation may edit.
    pub fields: &'a [&'static str],
}

/// Applies the edits to one existing row, in order; refuses the whole list on the first bad
/// edit, before anything is written.
pub(super) fn apply_edits(
    ctx: &LocalCtx<'_>,
    target: &Target<'_>,
    edits: &[FieldEdit],
    check: impl Fn(&str, &Value) -> Result<(), Rechazo>,
) -> LocalResult<()> {
    let table = target.table;
    let Some(mut row) = rows::get(ctx.conn, table, target.key)? else {
        return Err(Rechazo::not_found(table.name, target.key).into());
    };
    let plan = plan_edits(table, target.fields, edits, |field| rows::value(table, &row, field).clone(), check)?;
    let before = row.clone();
    for edit in plan {
        rows::set(table, &mut row, edit.field, edit.value);
    }
    if row != before {
        if table.column_index("updated_at").is_some() {
            rows::set(table, &mut row, "updated_at", ctx.now());
        }
        rows::put(ctx.conn, table, &row)?;
    }
    Ok(())
}
