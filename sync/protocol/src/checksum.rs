//! Per-table checksums of a scope (contract invariant 7). A row's digest is SHA-256 of its
//! canonical form (values in catalogue column order, normalised by column type); a table's
//! checksum is the row count and the sum of the row digests modulo 2^128, so it does not
//! depend on row order and a replica computes the same value from SQLite as the server does
//! from PostgreSQL.

use crate::tables::{ColumnType, Table};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct TableChecksum {
    pub rows: u64,
    /// 32 hex digits.
    pub digest: String,
}

/// Accumulates rows of one table.
#[derive(Debug, Clone, Default)]
pub struct Accumulator {
    rows: u64,
    sum: u128,
}

impl Accumulator {
    pub fn add(&mut self, table: &Table, row: &[Value]) {
        self.rows += 1;
        self.sum = self.sum.wrapping_add(row_digest(table, row));
    }

    pub fn finish(&self) -> TableChecksum {
        TableChecksum { rows: self.rows, digest: format!("{:032x}", self.sum) }
    }
}

/// The digest of one row given as values in the table's column order.
pub fn row_digest(table: &Table, row: &[Value]) -> u128 {
    let mut hasher = Sha256::new();
    hasher.update(table.name.as_bytes());
    for (index, column) in table.columns.iter().enumerate() {
        hasher.update([0x1f]);
        let value = row.get(index).unwrap_or(&Value::Null);
        hasher.update(canonical(column.ty, value).as_bytes());
    }
    let bytes = hasher.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&bytes[..16]);
    u128::from_be_bytes(first)
}

/// The canonical text of a value of a column type. Equal values of one type have equal text
/// whichever database they came from (booleans as 0/1 from SQLite, timestamps in any offset,
/// JSON with keys in any order).
pub fn canonical(ty: ColumnType, value: &Value) -> String {
    if value.is_null() {
        return "null".to_owned();
    }
    match ty {
        ColumnType::Uuid => value.as_str().map(|s| s.to_ascii_lowercase()).unwrap_or_else(|| value.to_string()),
        ColumnType::Text | ColumnType::Date => value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string()),
        ColumnType::Integer => match value {
            Value::String(s) => s.trim().to_owned(),
            other => other.to_string(),
        },
        ColumnType::Boolean => match value {
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => (n.as_i64() != Some(0)).to_string(),
            other => other.to_string(),
        },
        ColumnType::Timestamptz => value
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc).to_rfc3339_opts(SecondsFormat::Micros, true))
            .unwrap_or_else(|| value.to_string()),
        ColumnType::Jsonb => canonical_json(value),
    }
}

/// JSON with object keys sorted, no spaces.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*key).clone()).to_string());
                out.push(':');
                if let Some(inner) = map.get(*key) {
                    write_canonical(inner, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::table;
    use serde_json::json;

    #[test]
    fn equal_rows_from_either_side_digest_equally() {
        let roles = table("roles").expect("roles");
        let server = vec![
            json!("0000000A-0000-0000-0000-00000000A001"),
            json!("admin"),
            json!({"users": {"view": true}, "inventory": {"edit": true, "view": true}}),
            json!("2026-11-22T10:00:00.5+00:00"),
        ];
        let replica = vec![
            json!("0000000a-0000-0000-0000-00000000a001"),
            json!("admin"),
            json!({"inventory": {"view": true, "edit": true}, "users": {"view": true}}),
            json!("2026-11-22T05:00:00.500000-05:00"),
        ];
        assert_eq!(row_digest(roles, &server), row_digest(roles, &replica));
        let mut changed = replica.clone();
        changed[1] = json!("admins");
        assert_ne!(row_digest(roles, &server), row_digest(roles, &changed));
    }

    #[test]
    fn booleans_from_sqlite_integers() {
        let admin = table("admin_notifications").expect("table");
        let a = [json!("x"), json!("alerta_stock"), json!(true)];
        let b = [json!("x"), json!("alerta_stock"), json!(1)];
        let c = [json!("x"), json!("alerta_stock"), json!(0)];
        assert_eq!(row_digest(admin, &a), row_digest(admin, &b));
        assert_ne!(row_digest(admin, &a), row_digest(admin, &c));
    }

    #[test]
    fn table_checksum_ignores_order_and_counts_duplicates() {
        let roles = table("roles").expect("roles");
        let r1 = vec![json!("a"), json!("x"), json!({}), Value::Null];
        let r2 = vec![json!("b"), json!("y"), json!({}), Value::Null];
        let mut forward = Accumulator::default();
        forward.add(roles, &r1);
        forward.add(roles, &r2);
        let mut backward = Accumulator::default();
        backward.add(roles, &r2);
        backward.add(roles, &r1);
        assert_eq!(forward.finish(), backward.finish());
        assert_eq!(forward.finish().rows, 2);
        let mut once = Accumulator::default();
        once.add(roles, &r1);
        assert_ne!(once.finish(), forward.finish());
    }
}
