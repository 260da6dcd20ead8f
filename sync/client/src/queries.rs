//! What screens (and the CLI) read from the replica. Rows come back as JSON objects so the
//! desktop front end and `taller --json` print them as they are.

use crate::error::{ClientError, Result};
use rusqlite::types::ValueRef;
use rusqlite::{params_from_iter, Connection, ToSql};
use serde_json::{Map, Value};
use taller_domain::stock::{alerta_minimo, estado_stock};
use uuid::Uuid;

/// Runs a query and returns each row as an object keyed by column name.
pub fn objects(conn: &Connection, sql: &str, params: &[&dyn ToSql]) -> Result<Vec<Map<String, Value>>> {
    let mut out = Vec::new();
    each_object(conn, sql, params, |object| {
        out.push(object);
        Ok(())
    })?;
    Ok(out)
}

/// [`objects`] one row at a time, so that a listing of any size holds one row in memory.
pub fn each_object(
    conn: &Connection,
    sql: &str,
    params: &[&dyn ToSql],
    mut f: impl FnMut(Map<String, Value>) -> Result<()>,
) -> Result<()> {
    let mut statement = conn.prepare(sql)?;
    let names: Vec<String> = statement.column_names().iter().map(|n| (*n).to_owned()).collect();
    let mut rows = statement.query(params_from_iter(params.iter()))?;
    while let Some(row) = rows.next()? {
        let mut object = Map::new();
        for (i, name) in names.iter().enumerate() {
            let value = match row.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(n) => Value::from(n),
                ValueRef::Real(f) => serde_json::Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null),
                ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(_) => Value::Null,
            };
            object.insert(name.clone(), value);
        }
        f(object)?;
    }
    Ok(())
}

/// A location by id or by (case-insensitive) name.
pub fn location_id(conn: &Connection, name_or_id: &str) -> Result<Uuid> {
    let found: Vec<String> = {
        let mut statement = conn.prepare(
            "SELECT id_localizacion FROM localizacion WHERE id_localizacion = ?1 OR lower(nombre) = lower(?1) ORDER BY created_at",
        )?;
        let rows = statement.query_map([name_or_id.trim()], |row| row.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    found
        .first()
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| ClientError::Invalid(format!("no location named {name_or_id:?} in this replica")))
}

/// A part by id or by reference (case-insensitive).
pub fn part_id(conn: &Connection, reference_or_id: &str) -> Result<Uuid> {
    let found: Option<String> = conn
        .query_row(
            "SELECT id_repuesto FROM repuestos WHERE id_repuesto = ?1 OR upper(referencia) = upper(trim(?1)) LIMIT 1",
            [reference_or_id],
            |row| row.get(0),
        )
        .ok();
    found
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| ClientError::Invalid(format!("no part with reference {reference_or_id:?} in this replica")))
}

/// A user by id or by email.
pub fn user_id(conn: &Connection, email_or_id: &str) -> Result<Uuid> {
    let found: Option<String> = conn
        .query_row(
            "SELECT id_usuario FROM usuarios WHERE id_usuario = ?1 OR lower(email) = lower(trim(?1)) LIMIT 1",
            [email_or_id],
            |row| row.get(0),
        )
        .ok();
    found
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| ClientError::Invalid(format!("no user {email_or_id:?} in this replica")))
}

/// Builds an FTS5 query from what a person typed: every word must match, as a prefix.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\"*", w.replace('"', "")))
        .collect();
    (!words.is_empty()).then(|| words.join(" AND "))
}

pub fn parts(conn: &Connection, search: Option<&str>, limit: i64) -> Result<Vec<Map<String, Value>>> {
    match search.and_then(fts_query) {
        Some(query) => objects(
            conn,
            "SELECT r.id_repuesto, r.referencia, r.nombre, r.tipo, r.marca, r.descontinuado \
               FROM repuestos_fts f JOIN repuestos r ON r.rowid = f.rowid \
              WHERE repuestos_fts MATCH ?1 ORDER BY rank LIMIT ?2",
            &[&query, &limit],
        ),
        None => objects(
            conn,
            "SELECT id_repuesto, referencia, nombre, tipo, marca, descontinuado FROM repuestos ORDER BY referencia LIMIT ?1",
            &[&limit],
        ),
    }
}

/// Stock by location, with `estado_stock` and `alerta_minimo` as in `vista_repuestos_inventario`.
pub fn stock(conn: &Connection, location: Option<Uuid>, low_only: bool) -> Result<Vec<Map<String, Value>>> {
    let mut out = Vec::new();
    each_stock(conn, location, low_only, |row| {
        out.push(row);
        Ok(())
    })?;
    Ok(out)
}

/// [`stock`] one row at a time (every location of a big network is a million rows).
pub fn each_stock(
    conn: &Connection,
    location: Option<Uuid>,
    low_only: bool,
    mut f: impl FnMut(Map<String, Value>) -> Result<()>,
) -> Result<()> {
    let location = location.map(|id| id.to_string());
    each_object(
        conn,
        "SELECT l.nombre AS localizacion, r.referencia, r.nombre, i.stock_actual, i.cantidad_minima, i.posicion, \
                i.veces_contado, i.id_inventario, i.id_localizacion, i.id_repuesto \
           FROM inventario i JOIN repuestos r ON r.id_repuesto = i.id_repuesto \
           JOIN localizacion l ON l.id_localizacion = i.id_localizacion \
          WHERE (?1 IS NULL OR i.id_localizacion = ?1) AND (?2 = 0 OR i.stock_actual <= i.cantidad_minima) \
          ORDER BY l.nombre, r.referencia",
        &[&location, &i64::from(low_only)],
        |mut row| {
            let stock = row.get("stock_actual").and_then(Value::as_i64).unwrap_or(0) as i32;
            let minimum = row.get("cantidad_minima").and_then(Value::as_i64).unwrap_or(0) as i32;
            row.insert("estado_stock".into(), Value::from(estado_stock(stock, minimum)));
            row.insert("alerta_minimo".into(), Value::from(alerta_minimo(stock, minimum)));
            f(row)
        },
    )
}

/// A part's stock everywhere in scope and its ledger, newest first.
pub fn part_detail(conn: &Connection, part: Uuid) -> Result<Map<String, Value>> {
    let id = part.to_string();
    let mut detail = objects(conn, "SELECT * FROM repuestos WHERE id_repuesto = ?1", &[&id])?
        .pop()
        .ok_or_else(|| ClientError::Invalid(format!("no part {part}")))?;
    let stock = objects(
        conn,
        "SELECT l.nombre AS localizacion, i.stock_actual, i.cantidad_minima, i.posicion FROM inventario i \
           JOIN localizacion l ON l.id_localizacion = i.id_localizacion WHERE i.id_repuesto = ?1 ORDER BY l.nombre",
        &[&id],
    )?;
    let ledger = objects(
        conn,
        "SELECT g.fecha, l.nombre AS localizacion, g.tipo_operacion, g.cantidad_anterior, g.cantidad_nueva, g.diferencia, \
                g.motivo, u.nombre_completo AS usuario \
           FROM logs_inventario g JOIN inventario i ON i.id_inventario = g.id_inventario \
           JOIN localizacion l ON l.id_localizacion = i.id_localizacion LEFT JOIN usuarios u ON u.id_usuario = g.id_usuario \
          WHERE i.id_repuesto = ?1 ORDER BY g.fecha DESC",
        &[&id],
    )?;
    detail.insert("stock".into(), Value::Array(stock.into_iter().map(Value::Object).collect()));
    detail.insert("ledger".into(), Value::Array(ledger.into_iter().map(Value::Object).collect()));
    Ok(detail)
}

pub fn notifications(conn: &Connection, user: Uuid) -> Result<Vec<Map<String, Value>>> {
    objects(
        conn,
        "SELECT id_notificacion, titulo, mensaje, tipo, prioridad, leida, created_at FROM notificaciones \
          WHERE id_usuario = ?1 ORDER BY created_at DESC",
        &[&user.to_string()],
    )
}

/// Technicians (users) assigned to a location.
pub fn technicians(conn: &Connection, location: Uuid) -> Result<Vec<Map<String, Value>>> {
    objects(
        conn,
        "SELECT u.id_usuario, u.nombre_completo, u.email FROM usuarios u \
           JOIN usuarios_localizacion ul ON ul.id_usuario = u.id_usuario WHERE ul.id_localizacion = ?1 ORDER BY u.nombre_completo",
        &[&location.to_string()],
    )
}

/// The conflict inbox: the user's rejected mutations and the server's conflicts for them.
pub fn conflicts(conn: &Connection, user: Uuid) -> Result<Vec<Map<String, Value>>> {
    let mut out = objects(
        conn,
        "SELECT 'rechazo' AS origen, id, name AS accion, code AS codigo, message AS mensaje, at AS fecha FROM rejected_mutations \
          ORDER BY received_at DESC",
        &[],
    )?;
    out.extend(objects(
        conn,
        "SELECT 'servidor' AS origen, id_conflicto AS id, tipo AS accion, tabla, campo, valor_reemplazado, valor_servidor, \
                valor_nuevo, created_at AS fecha FROM conflictos WHERE id_usuario = ?1 ORDER BY created_at DESC",
        &[&user.to_string()],
    )?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_queries_from_typed_text() {
        assert_eq!(fts_query("bateria 48"), Some("\"bateria\"* AND \"48\"*".to_owned()));
        assert_eq!(fts_query("MTR-500W"), Some("\"MTR\"* AND \"500W\"*".to_owned()));
        assert_eq!(fts_query("  \"*-- "), None);
    }
}
