//! Rows of replicated tables as the wire carries them (JSON values in catalogue column order),
//! read and written in SQLite. Local writes go through [`put`], [`update`] and [`delete`],
//! which first keep the server's image of the row in `shadow_rows` so a pull can restore it
//! before replaying pending mutations (contract invariant 8).

use crate::error::{ClientError, Result};
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde_json::Value;
use taller_protocol::tables::{self, ColumnType, Table};

pub fn table(name: &str) -> Result<&'static Table> {
    tables::table(name).ok_or_else(|| ClientError::Invalid(format!("unknown table {name}")))
}

/// A wire value as the SQLite value stored for a column of type `ty`.
pub fn to_sql(ty: ColumnType, value: &Value) -> SqlValue {
    match (ty, value) {
        (_, Value::Null) => SqlValue::Null,
        (ColumnType::Boolean, Value::Bool(b)) => SqlValue::Integer(i64::from(*b)),
        (ColumnType::Integer, Value::Number(n)) => n.as_i64().map(SqlValue::Integer).unwrap_or(SqlValue::Null),
        (ColumnType::Jsonb, other) => SqlValue::Text(other.to_string()),
        (_, Value::String(s)) => SqlValue::Text(s.clone()),
        (_, other) => SqlValue::Text(other.to_string()),
    }
}

/// A stored SQLite value back as the wire value of a column of type `ty`.
pub fn from_sql(ty: ColumnType, value: ValueRef<'_>) -> Value {
    match (ty, value) {
        (_, ValueRef::Null) => Value::Null,
        (ColumnType::Boolean, ValueRef::Integer(i)) => Value::Bool(i != 0),
        (ColumnType::Integer, ValueRef::Integer(i)) => Value::from(i),
        (ColumnType::Jsonb, ValueRef::Text(t)) => serde_json::from_slice(t).unwrap_or(Value::Null),
        (_, ValueRef::Text(t)) => Value::String(String::from_utf8_lossy(t).into_owned()),
        (_, ValueRef::Integer(i)) => Value::from(i),
        (_, ValueRef::Real(f)) => serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null),
        (_, ValueRef::Blob(_)) => Value::Null,
    }
}

/// The key of a row as text (`a|b` for composite keys), as the server writes it.
pub fn key_of(table: &Table, row: &[Value]) -> String {
    table
        .key
        .iter()
        .map(|k| {
            let value = table.column_index(k).and_then(|i| row.get(i)).unwrap_or(&Value::Null);
            value.as_str().map(str::to_owned).unwrap_or_else(|| value.to_string())
        })
        .collect::<Vec<_>>()
        .join("|")
}

fn key_condition(table: &Table) -> String {
    table.key.iter().enumerate().map(|(i, k)| format!("{k} = ?{}", i + 1)).collect::<Vec<_>>().join(" AND ")
}

fn key_params(table: &Table, key: &str) -> Vec<String> {
    if table.key.len() == 1 {
        vec![key.to_owned()]
    } else {
        key.splitn(table.key.len(), '|').map(str::to_owned).collect()
    }
}

fn column_list(table: &Table) -> String {
    table.columns.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
}

/// Reads one row by key, as wire values in column order.
pub fn get(conn: &Connection, table: &Table, key: &str) -> Result<Option<Vec<Value>>> {
    // Identifiers come from the static catalogue; values are bound.
    let sql = format!("SELECT {} FROM {} WHERE {}", column_list(table), table.name, key_condition(table));
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(key_params(table, key)), |row| {
            Ok(table
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| row.get_ref(i).map(|v| from_sql(c.ty, v)).unwrap_or(Value::Null))
                .collect())
        })
        .optional()?)
}

/// Whether a row with this key exists (a key lookup; nothing is decoded).
pub fn exists(conn: &Connection, table: &Table, key: &str) -> Result<bool> {
    // Identifiers come from the static catalogue; values are bound.
    let sql = format!("SELECT EXISTS (SELECT 1 FROM {} WHERE {})", table.name, key_condition(table));
    Ok(conn.prepare_cached(&sql)?.query_row(params_from_iter(key_params(table, key)), |row| row.get(0))?)
}

/// Every row of a table (for checksums and tests).
pub fn all(conn: &Connection, table: &Table) -> Result<Vec<Vec<Value>>> {
    let sql = format!("SELECT {} FROM {}", column_list(table), table.name);
    let mut statement = conn.prepare(&sql)?;
    let rows = statement.query_map([], |row| {
        Ok(table
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| row.get_ref(i).map(|v| from_sql(c.ty, v)).unwrap_or(Value::Null))
            .collect::<Vec<Value>>())
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The statement that writes a whole row of `table` (values bound in column order), inserting
/// it or replacing the stored one. Identifiers come from the static catalogue.
pub fn upsert_sql(table: &Table) -> String {
    let placeholders = (1..=table.columns.len()).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ");
    let updates = table
        .columns
        .iter()
        .filter(|c| !table.key.contains(&c.name))
        .map(|c| format!("{0} = excluded.{0}", c.name))
        .collect::<Vec<_>>()
        .join(", ");
    let conflict = if updates.is_empty() { "DO NOTHING".to_owned() } else { format!("DO UPDATE SET {updates}") };
    format!(
        "INSERT INTO {} ({}) VALUES ({placeholders}) ON CONFLICT ({}) {conflict}",
        table.name,
        column_list(table),
        table.key.join(", ")
    )
}

/// The statement that deletes a row of `table` by its key values.
pub fn delete_sql(table: &Table) -> String {
    format!("DELETE FROM {} WHERE {}", table.name, key_condition(table))
}

/// Writes a row as the server sent it (no shadowing: this is server state).
pub fn upsert_server(conn: &Connection, table: &Table, row: &[Value]) -> Result<()> {
    let values: Vec<SqlValue> =
        table.columns.iter().enumerate().map(|(i, c)| to_sql(c.ty, row.get(i).unwrap_or(&Value::Null))).collect();
    conn.prepare_cached(&upsert_sql(table))?.execute(params_from_iter(values.iter()))?;
    Ok(())
}

/// Deletes a row the server deleted (no shadowing).
pub fn delete_server(conn: &Connection, table: &Table, key: &str) -> Result<()> {
    conn.prepare_cached(&delete_sql(table))?.execute(params_from_iter(key_params(table, key)))?;
    Ok(())
}

/// Deletes a row the server deleted with a statement from [`delete_sql`].
pub fn delete_server_with(statement: &mut rusqlite::Statement<'_>, table: &Table, key: &str) -> Result<()> {
    statement.execute(params_from_iter(key_params(table, key)))?;
    Ok(())
}

/// One value of a row as it came on the wire, undecoded.
pub type WireValue = serde_json::value::RawValue;

/// A wire value about to be bound: the text of a string is bound without copying it.
pub enum Cell<'a> {
    Text(std::borrow::Cow<'a, str>),
    Value(SqlValue),
}

impl rusqlite::ToSql for Cell<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        Ok(match self {
            Cell::Text(text) => rusqlite::types::ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Cell::Value(value) => rusqlite::types::ToSqlOutput::Borrowed(value.into()),
        })
    }
}

/// A wire value as the SQLite value stored for a column of type `ty`: the same as
/// [`to_sql`] of the decoded value, without decoding strings into `serde_json::Value`s.
pub fn cell(ty: ColumnType, raw: &WireValue) -> Result<Cell<'_>> {
    let text = raw.get();
    if ty != ColumnType::Jsonb && text.starts_with('"') {
        let decoded: std::borrow::Cow<'_, str> = match serde_json::from_str::<&str>(text) {
            Ok(borrowed) => borrowed.into(),
            // Escapes: the decoded text differs from the wire's.
            Err(_) => serde_json::from_str::<String>(text)?.into(),
        };
        return Ok(Cell::Text(decoded));
    }
    if text == "null" {
        return Ok(Cell::Value(SqlValue::Null));
    }
    Ok(Cell::Value(to_sql(ty, &serde_json::from_str::<Value>(text)?)))
}

/// Writes a row as the server sent it (wire values in column order, as checked by the
/// caller) with a statement from [`upsert_sql`].
pub fn upsert_server_with(statement: &mut rusqlite::Statement<'_>, table: &Table, row: &[&WireValue]) -> Result<()> {
    let cells = table.columns.iter().zip(row).map(|(c, raw)| cell(c.ty, raw)).collect::<Result<Vec<Cell<'_>>>>()?;
    statement.execute(params_from_iter(cells.iter()))?;
    Ok(())
}

/// Keeps the server's image of a row before its first local change.
fn shadow(conn: &Connection, table: &Table, key: &str) -> Result<()> {
    let already: bool = conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM shadow_rows WHERE tabla = ?1 AND clave = ?2)")?
        .query_row([table.name, key], |row| row.get(0))?;
    if already {
        return Ok(());
    }
    let image = get(conn, table, key)?.map(|row| Value::Array(row).to_string());
    conn.prepare_cached("INSERT INTO shadow_rows (tabla, clave, image) VALUES (?1, ?2, ?3)")?
        .execute(rusqlite::params![table.name, key, image])?;
    Ok(())
}

/// A local (optimistic) write of a whole row.
pub fn put(conn: &Connection, table: &Table, row: &[Value]) -> Result<()> {
    shadow(conn, table, &key_of(table, row))?;
    upsert_server(conn, table, row)
}

/// A local (optimistic) change of some columns of an existing row, given as (column index,
/// value). Only those columns are written: an index over columns left alone is not rewritten.
pub fn update(conn: &Connection, table: &Table, key: &str, values: &[(usize, Value)]) -> Result<()> {
    if values.is_empty() {
        return Ok(());
    }
    shadow(conn, table, key)?;
    let width = table.key.len();
    let assignments = values
        .iter()
        .enumerate()
        .map(|(i, (column, _))| {
            let name = table.columns.get(*column).map(|c| c.name).unwrap_or_default();
            format!("{name} = ?{}", width + i + 1)
        })
        .collect::<Vec<_>>()
        .join(", ");
    // Identifiers come from the static catalogue; values are bound.
    let sql = format!("UPDATE {} SET {assignments} WHERE {}", table.name, key_condition(table));
    let mut bound: Vec<SqlValue> = key_params(table, key).into_iter().map(SqlValue::Text).collect();
    for (column, value) in values {
        let ty = table
            .columns
            .get(*column)
            .map(|c| c.ty)
            .ok_or_else(|| ClientError::Invalid(format!("{} has no column number {column}", table.name)))?;
        bound.push(to_sql(ty, value));
    }
    conn.prepare_cached(&sql)?.execute(params_from_iter(bound.iter()))?;
    Ok(())
}

/// A local (optimistic) delete.
pub fn delete(conn: &Connection, table: &Table, key: &str) -> Result<()> {
    shadow(conn, table, key)?;
    delete_server(conn, table, key)
}

/// Puts every shadowed row back to the server's image and forgets the shadows: the replica
/// is the last pulled server state again.
pub fn restore_shadows(conn: &Connection) -> Result<usize> {
    let shadows: Vec<(String, String, Option<String>)> = {
        let mut statement = conn.prepare("SELECT tabla, clave, image FROM shadow_rows")?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (name, key, image) in &shadows {
        let table = table(name)?;
        match image {
            Some(text) => {
                let row: Vec<Value> = serde_json::from_str(text)?;
                upsert_server(conn, table, &row)?;
            }
            None => delete_server(conn, table, key)?,
        }
    }
    conn.execute("DELETE FROM shadow_rows", [])?;
    Ok(shadows.len())
}

/// The value of a column in a row read by [`get`].
pub fn value<'a>(table: &Table, row: &'a [Value], column: &str) -> &'a Value {
    table.column_index(column).and_then(|i| row.get(i)).unwrap_or(&Value::Null)
}

/// Sets a column in a row read by [`get`].
pub fn set(table: &Table, row: &mut [Value], column: &str, value: Value) {
    if let Some(slot) = table.column_index(column).and_then(|i| row.get_mut(i)) {
        *slot = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replica::Replica;
    use serde_json::json;

    fn part(id: &str, referencia: &str, nombre: &str) -> Vec<Value> {
        let tipo = if referencia.starts_with("BAT") { "Batería" } else { "Motor" };
        vec![
            json!(id),
            json!(referencia),
            json!(nombre),
            json!(tipo),
            json!("Xiaomi"),
            Value::Null,
            json!(false),
            Value::Null,
            Value::Null,
            json!("2026-11-22T10:00:00+00:00"),
        ]
    }

    #[test]
    fn rows_round_trip_through_sqlite_with_their_types() {
        let replica = Replica::in_memory().expect("replica");
        let roles = table("roles").expect("roles");
        let row =
            vec![json!("r1"), json!("admin"), json!({"inventory": {"view": true}}), json!("2026-11-22T10:00:00+00:00")];
        upsert_server(&replica.conn, roles, &row).expect("upsert");
        assert_eq!(get(&replica.conn, roles, "r1").expect("get"), Some(row));
        let admin = table("admin_notifications").expect("table");
        let composite = vec![json!("u1"), json!("alerta_stock"), json!(true)];
        upsert_server(&replica.conn, admin, &composite).expect("upsert");
        assert_eq!(get(&replica.conn, admin, "u1|alerta_stock").expect("get"), Some(composite));
        delete_server(&replica.conn, admin, "u1|alerta_stock").expect("delete");
        assert_eq!(get(&replica.conn, admin, "u1|alerta_stock").expect("get"), None);
    }

    /// The apply path binds wire values without decoding them; what it binds is what
    /// [`to_sql`] makes of the decoded value, for every column type.
    #[test]
    fn wire_cells_bind_as_decoded_values() {
        use rusqlite::ToSql;
        let values = [
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(-12),
            json!(2.5),
            json!("plain"),
            json!("línea\nnueva \"citada\" \\ 😀"),
            json!(""),
            json!({"a": [1, "x"], "b": {"c": null}}),
            json!([1, 2]),
        ];
        for ty in [
            ColumnType::Uuid,
            ColumnType::Text,
            ColumnType::Integer,
            ColumnType::Boolean,
            ColumnType::Timestamptz,
            ColumnType::Date,
            ColumnType::Jsonb,
        ] {
            for value in &values {
                // As PostgreSQL prints it, with spaces.
                let text = serde_json::to_string_pretty(value).expect("json");
                let raw = serde_json::value::RawValue::from_string(text).expect("raw");
                let cell = cell(ty, &raw).expect("cell");
                let bound: SqlValue = match cell.to_sql().expect("to_sql") {
                    rusqlite::types::ToSqlOutput::Borrowed(value) => value.into(),
                    rusqlite::types::ToSqlOutput::Owned(value) => value,
                    _ => panic!("unexpected output"),
                };
                assert_eq!(bound, to_sql(ty, value), "{ty:?} {value}");
            }
        }
    }

    #[test]
    fn local_writes_are_undone_by_restoring_shadows() {
        let replica = Replica::in_memory().expect("replica");
        let repuestos = table("repuestos").expect("table");
        upsert_server(&replica.conn, repuestos, &part("p1", "BAT-48V", "Batería 48V")).expect("server row");
        put(&replica.conn, repuestos, &part("p1", "BAT-48V", "Batería 48V editada")).expect("local edit");
        put(&replica.conn, repuestos, &part("p1", "BAT-48V", "otra vez")).expect("second local edit");
        put(&replica.conn, repuestos, &part("p2", "MTR-1", "Motor")).expect("local create");
        delete(&replica.conn, repuestos, "p1").expect("local delete");
        assert_eq!(restore_shadows(&replica.conn).expect("restore"), 2);
        assert_eq!(get(&replica.conn, repuestos, "p1").expect("get"), Some(part("p1", "BAT-48V", "Batería 48V")));
        assert_eq!(get(&replica.conn, repuestos, "p2").expect("get"), None);
    }

    fn rows_set_tipo(row: &mut [Value], tipo: &str) {
        row[3] = json!(tipo);
    }

    #[test]
    fn full_text_search_is_prefix_and_accent_insensitive_and_follows_updates() {
        let replica = Replica::in_memory().expect("replica");
        let repuestos = table("repuestos").expect("table");
        upsert_server(&replica.conn, repuestos, &part("p1", "BAT-48V-13AH", "Batería 48V 13Ah")).expect("row");
        upsert_server(&replica.conn, repuestos, &part("p2", "MTR-500W-48V", "Motor 500W")).expect("row");
        let search = |q: &str| -> Vec<String> {
            let mut statement = replica
                .conn
                .prepare("SELECT r.id_repuesto FROM repuestos_fts f JOIN repuestos r ON r.rowid = f.rowid WHERE repuestos_fts MATCH ?1 ORDER BY r.id_repuesto")
                .expect("prepare");
            statement.query_map([q], |row| row.get(0)).expect("query").collect::<rusqlite::Result<_>>().expect("rows")
        };
        assert_eq!(search("bateria"), vec!["p1"]);
        assert_eq!(search("bat*"), vec!["p1"]);
        assert_eq!(search("48v"), vec!["p1", "p2"]);
        assert_eq!(search("mot*"), vec!["p2"]);
        let mut renamed = part("p2", "CTL-48V", "Controlador");
        rows_set_tipo(&mut renamed, "Controlador");
        upsert_server(&replica.conn, repuestos, &renamed).expect("update");
        assert!(search("mot*").is_empty(), "the index follows updates");
        assert_eq!(search("control*"), vec!["p2"]);
        delete_server(&replica.conn, repuestos, "p1").expect("delete");
        assert!(search("bateria").is_empty(), "and deletes");
    }
}
