//! Checks of mutation arguments that both sides make identically: the server before applying
//! a mutation, the client before applying it optimistically. One place for each rule.

use crate::checksum::canonical;
use crate::mutations::PartCreate;
use crate::tables::{ColumnType, Table};
use chrono::SecondsFormat;
use serde_json::Value;
use taller_domain::{Rechazo, RejectionCode};

/// Longest free text accepted in any field.
pub const MAX_TEXT: usize = 2000;
/// Longest part reference.
pub const MAX_REFERENCE: usize = 100;

/// Fields `part.edit` may change.
pub const PART_FIELDS: &[&str] =
    &["referencia", "nombre", "tipo", "marca", "descripcion", "fecha_estimada", "url_imagen"];
/// Fields `inventory.settings` may change.
pub const INVENTORY_FIELDS: &[&str] = &["cantidad_minima", "posicion", "nuevo_hasta"];
/// Fields `warranty.edit` may change (while the claim is a draft).
pub const WARRANTY_FIELDS: &[&str] = &[
    "cantidad",
    "motivo_falla",
    "kilometraje",
    "numero_orden",
    "solicitante",
    "url_evidencia_foto",
    "id_tecnico_asociado",
];

pub fn invalid(detail: impl Into<String>) -> Rechazo {
    Rechazo::new(RejectionCode::InvalidArguments).with("detail", detail.into())
}

pub fn check_text(field: &str, text: &str) -> Result<(), Rechazo> {
    if text.chars().count() > MAX_TEXT {
        return Err(invalid(format!("{field} is longer than {MAX_TEXT} characters")));
    }
    Ok(())
}

/// References are compared without surrounding spaces and in upper case (`mtr-500w-48v` is
/// `MTR-500W-48V`).
pub fn normalize_reference(referencia: &str) -> String {
    referencia.trim().to_uppercase()
}

/// A new part's reference and name, checked and normalised.
pub fn part_create(args: &PartCreate) -> Result<(String, String), Rechazo> {
    let referencia = normalize_reference(&args.referencia);
    let nombre = args.nombre.trim();
    if referencia.is_empty() || referencia.chars().count() > MAX_REFERENCE {
        return Err(invalid(format!("referencia must have 1 to {MAX_REFERENCE} characters")));
    }
    if nombre.is_empty() {
        return Err(invalid("nombre cannot be empty"));
    }
    for (field, text) in [
        ("nombre", Some(nombre)),
        ("tipo", args.tipo.as_deref()),
        ("marca", args.marca.as_deref()),
        ("descripcion", args.descripcion.as_deref()),
        ("url_imagen", args.url_imagen.as_deref()),
    ] {
        if let Some(text) = text {
            check_text(field, text)?;
        }
    }
    Ok((referencia, nombre.to_owned()))
}

/// Checks a field edit's new value against its column and returns it normalised: trimmed
/// text (empty text is NULL for nullable columns), ids in lower case, dates as `YYYY-MM-DD`,
/// timestamps in UTC with microseconds.
pub fn field_value(table: &Table, field: &str, value: &Value) -> Result<Value, Rechazo> {
    let column = table.column(field).ok_or_else(|| Rechazo::new(RejectionCode::UnknownField).with("field", field))?;
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
        ColumnType::Timestamptz => value
            .as_str()
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
            .map(|t| Value::String(t.with_timezone(&chrono::Utc).to_rfc3339_opts(SecondsFormat::Micros, false))),
        ColumnType::Jsonb => Some(value.clone()),
    };
    normalised.ok_or_else(|| invalid(format!("{field} has the wrong type")))
}

/// A field value as compared in edit conflicts: the column's canonical text for instants and
/// ids, so one value in two spellings is the same value.
pub fn comparable(table: &Table, field: &str, value: &Value) -> Value {
    match table.column(field) {
        Some(column) if !value.is_null() && matches!(column.ty, ColumnType::Timestamptz | ColumnType::Uuid) => {
            Value::String(canonical(column.ty, value))
        }
        _ => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::table;
    use serde_json::json;

    #[test]
    fn field_values_are_checked_and_normalised() {
        let inventario = table("inventario").expect("table");
        let garantias = table("garantias").expect("table");
        let repuestos = table("repuestos").expect("table");
        let ok = |t: &Table, f: &str, v: Value| field_value(t, f, &v).map_err(|r| r.code);
        assert_eq!(ok(inventario, "posicion", json!("  E1-N2 ")), Ok(json!("E1-N2")));
        assert_eq!(ok(inventario, "posicion", json!("   ")), Ok(Value::Null));
        assert_eq!(ok(inventario, "cantidad_minima", json!(4)), Ok(json!(4)));
        assert_eq!(ok(inventario, "cantidad_minima", json!("4")), Err(RejectionCode::InvalidArguments));
        assert_eq!(ok(inventario, "cantidad_minima", json!(5_000_000_000u64)), Err(RejectionCode::InvalidArguments));
        assert_eq!(ok(inventario, "cantidad_minima", Value::Null), Err(RejectionCode::InvalidArguments));
        assert_eq!(
            ok(inventario, "nuevo_hasta", json!("2026-12-01T10:00:00-05:00")),
            Ok(json!("2026-12-01T15:00:00.000000+00:00"))
        );
        assert_eq!(ok(inventario, "nuevo_hasta", json!("mañana")), Err(RejectionCode::InvalidArguments));
        assert_eq!(ok(repuestos, "fecha_estimada", json!("2026-04-15")), Ok(json!("2026-04-15")));
        assert_eq!(ok(repuestos, "nombre", json!("")), Err(RejectionCode::InvalidArguments));
        assert_eq!(ok(repuestos, "nombre", json!("x".repeat(MAX_TEXT + 1))), Err(RejectionCode::InvalidArguments));
        assert_eq!(
            ok(garantias, "id_tecnico_asociado", json!("0000000A-0000-0000-0000-00000000000B")),
            Ok(json!("0000000a-0000-0000-0000-00000000000b"))
        );
        assert_eq!(ok(garantias, "no_such", json!(1)), Err(RejectionCode::UnknownField));
    }

    #[test]
    fn new_parts_are_normalised() {
        let args = |referencia: &str, nombre: &str| PartCreate {
            id_repuesto: uuid::Uuid::nil(),
            referencia: referencia.into(),
            nombre: nombre.into(),
            tipo: None,
            marca: None,
            descripcion: None,
            fecha_estimada: None,
            url_imagen: None,
        };
        assert_eq!(part_create(&args(" mtr-500w ", " Motor ")).ok(), Some(("MTR-500W".into(), "Motor".into())));
        assert!(part_create(&args("  ", "Motor")).is_err());
        assert!(part_create(&args("X", " ")).is_err());
        assert!(part_create(&args(&"R".repeat(101), "Motor")).is_err());
    }
}
