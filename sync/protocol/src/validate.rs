//! Checks of mutation arguments that both sides make identically: the server before applying
//! a mutation, the client before applying it optimistically. One place for each rule.

use crate::checksum::canonical;
use crate::mutations::{FieldEdit, Mutation, PartCreate};
use crate::tables::{ColumnType, Table};
use chrono::SecondsFormat;
use serde_json::Value;
use taller_domain::edits::PlannedEdit;
use taller_domain::Rechazo;

/// Longest free text accepted in a text column that [`TEXT_LIMITS`] does not list.
pub use taller_domain::text::MAX_TEXT;
/// Longest part reference.
pub const MAX_REFERENCE: usize = 100;

/// The longest text, in characters, of every text column a mutation writes: (table, column,
/// limit). The reference schema gives every one of them as unbounded `text`, so the limits are
/// the project's: identifiers and short labels 100, names of people and parts 200, free text
/// (descriptions, reasons, comments, notes, URLs) 2,000. A column with a btree index
/// (`repuestos.referencia`, `repuestos.tipo`) stays far below PostgreSQL's index row limit
/// (2,704 bytes) even when every character takes four bytes in UTF-8 and does not compress.
/// Every mutation that writes a column checks it against the same limit, and so does the
/// client's local applier ([`mutation_texts`], [`field_value`]).
pub const TEXT_LIMITS: &[(&str, &str, usize)] = &[
    ("repuestos", "referencia", MAX_REFERENCE),
    ("repuestos", "nombre", 200),
    ("repuestos", "tipo", 100),
    ("repuestos", "marca", 100),
    ("repuestos", "descripcion", MAX_TEXT),
    ("repuestos", "url_imagen", MAX_TEXT),
    ("inventario", "posicion", 100),
    ("logs_inventario", "motivo", MAX_TEXT),
    ("solicitudes", "guia_transporte", 100),
    ("solicitudes", "observaciones_generales", MAX_TEXT),
    ("detalles_solicitud", "observaciones", MAX_TEXT),
    ("trazabilidad_solicitudes", "comentario", MAX_TEXT),
    ("registro_conteo", "observaciones", MAX_TEXT),
    ("detalles_conteo", "observaciones", MAX_TEXT),
    ("garantias", "motivo_falla", MAX_TEXT),
    ("garantias", "numero_orden", 100),
    ("garantias", "solicitante", 200),
    ("garantias", "url_evidencia_foto", MAX_TEXT),
    ("garantias", "comentarios_resolucion", MAX_TEXT),
    ("usuarios", "motivo_rechazo", MAX_TEXT),
    ("scooter_types", "nombre", 200),
    ("scooter_types", "potencia", 100),
    ("scooter_types", "descripcion", MAX_TEXT),
    ("order_follow", "numero_orden", 100),
    ("order_follow", "estado", 100),
    ("order_follow", "telefono_contacto", 100),
    ("order_follow", "email_contacto", 200),
    ("order_follow", "link_orden", MAX_TEXT),
];

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
/// Fields `model.edit` may change.
pub const MODEL_FIELDS: &[&str] = &["nombre", "potencia", "descripcion"];
/// Fields `order.edit` may change (its level and state change by `order.advance` only).
pub const ORDER_FIELDS: &[&str] = &["telefono_contacto", "email_contacto", "link_orden", "fecha_entrega_estimada"];

pub fn invalid(detail: impl Into<String>) -> Rechazo {
    Rechazo::invalid(detail)
}

/// The longest text `table.column` takes, in characters.
pub fn text_limit(table: &str, column: &str) -> usize {
    TEXT_LIMITS.iter().find(|(t, c, _)| *t == table && *c == column).map_or(MAX_TEXT, |(_, _, limit)| *limit)
}

/// A text for `table.column` (as it will be stored: trimmed, references normalised), named
/// `field` in the rejection.
pub fn check_column_text(table: &str, column: &str, field: &str, text: &str) -> Result<(), Rechazo> {
    check_limit(field, text, text_limit(table, column))
}

/// A free text against [`MAX_TEXT`], trimmed as it is stored; references are compared
/// normalised. (The domain's, where every decision uses them.)
pub use taller_domain::text::{check_limit, check_text, normalize_reference};

/// A new part's reference and name, checked and normalised.
pub fn part_create(args: &PartCreate) -> Result<(String, String), Rechazo> {
    let referencia = normalize_reference(&args.referencia);
    let nombre = args.nombre.trim();
    if referencia.is_empty() {
        return Err(invalid(format!("referencia must have 1 to {MAX_REFERENCE} characters")));
    }
    check_column_text("repuestos", "referencia", "referencia", &referencia)?;
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
            check_column_text("repuestos", field, field, text.trim())?;
        }
    }
    Ok((referencia, nombre.to_owned()))
}

/// Every text argument of a mutation against the limit of the column it is stored in, as it
/// will be stored (trimmed; references normalised). Both sides run it before anything else
/// than the permission check, so a text too long for its column is refused the same way
/// offline, on the server, and whichever mutation writes the column. Field edits of allowed
/// fields are checked here too ([`field_value`] checks them again when it normalises them).
pub fn mutation_texts(mutation: &Mutation) -> Result<(), Rechazo> {
    let optional = |table: &str, column: &str, text: &Option<String>| match text {
        Some(text) => check_column_text(table, column, column, text.trim()),
        None => Ok(()),
    };
    match mutation {
        Mutation::PartCreate(args) => part_create(args).map(|_| ()),
        Mutation::PartEdit(args) => edit_texts("repuestos", PART_FIELDS, &args.edits),
        Mutation::InventorySettings(args) => edit_texts("inventario", INVENTORY_FIELDS, &args.edits),
        Mutation::InventoryAdjust(args) => check_column_text("logs_inventario", "motivo", "motivo", args.motivo.trim()),
        Mutation::RequestCreate(args) => {
            optional("solicitudes", "observaciones_generales", &args.observaciones_generales)?;
            args.lines.iter().try_for_each(|line| optional("detalles_solicitud", "observaciones", &line.observaciones))
        }
        Mutation::RequestPick(args) | Mutation::RequestCancel(args) => {
            optional("trazabilidad_solicitudes", "comentario", &args.comentario)
        }
        Mutation::RequestDispatch(args) => {
            optional("solicitudes", "guia_transporte", &args.guia_transporte)?;
            optional("trazabilidad_solicitudes", "comentario", &args.comentario)
        }
        Mutation::RequestReceive(args) => optional("trazabilidad_solicitudes", "comentario", &args.comentario),
        Mutation::CountStart(args) => optional("registro_conteo", "observaciones", &args.observaciones),
        Mutation::CountLine(args) => optional("detalles_conteo", "observaciones", &args.observaciones),
        Mutation::WarrantyCreate(args) => {
            check_column_text("garantias", "motivo_falla", "motivo_falla", args.motivo_falla.trim())?;
            optional("garantias", "numero_orden", &args.numero_orden)?;
            optional("garantias", "solicitante", &args.solicitante)?;
            optional("garantias", "url_evidencia_foto", &args.url_evidencia_foto)
        }
        Mutation::WarrantyEdit(args) => edit_texts("garantias", WARRANTY_FIELDS, &args.edits),
        Mutation::WarrantyApprove(args) | Mutation::WarrantyReject(args) => {
            optional("garantias", "comentarios_resolucion", &args.comentarios_resolucion)
        }
        Mutation::UserReject(args) => {
            check_column_text("usuarios", "motivo_rechazo", "motivo_rechazo", args.motivo_rechazo.trim())
        }
        Mutation::ModelCreate(args) => {
            check_column_text("scooter_types", "nombre", "nombre", args.nombre.trim())?;
            check_column_text("scooter_types", "potencia", "potencia", args.potencia.trim())?;
            optional("scooter_types", "descripcion", &args.descripcion)
        }
        Mutation::ModelEdit(args) => edit_texts("scooter_types", MODEL_FIELDS, &args.edits),
        Mutation::OrderCreate(args) => {
            check_column_text("order_follow", "numero_orden", "numero_orden", args.numero_orden.trim())?;
            optional("order_follow", "estado", &args.estado)?;
            optional("order_follow", "telefono_contacto", &args.telefono_contacto)?;
            optional("order_follow", "email_contacto", &args.email_contacto)?;
            optional("order_follow", "link_orden", &args.link_orden)
        }
        Mutation::OrderAdvance(args) => optional("order_follow", "estado", &args.estado),
        Mutation::OrderEdit(args) => edit_texts("order_follow", ORDER_FIELDS, &args.edits),
        // No text arguments (ids, quantities, enumerations and flags only).
        Mutation::PartDiscontinue(_)
        | Mutation::MovementRecord(_)
        | Mutation::CartAdd(_)
        | Mutation::CartSet(_)
        | Mutation::CartRemove(_)
        | Mutation::CountClose(_)
        | Mutation::WarrantySubmit(_)
        | Mutation::NotificationRead(_)
        | Mutation::UserApprove(_)
        | Mutation::UserAssign(_)
        | Mutation::UserUnassign(_)
        | Mutation::LocationPolicy(_) => Ok(()),
    }
}

/// The new text values of edits to allowed fields. The replaced value (`old`) is not bounded:
/// it is what the author saw, which another application may have written at any length.
fn edit_texts(table: &str, fields: &[&str], edits: &[FieldEdit]) -> Result<(), Rechazo> {
    for edit in edits {
        let (Some(field), Value::String(text)) = (fields.iter().find(|f| **f == edit.field), &edit.new) else {
            continue;
        };
        let text = if *field == "referencia" { normalize_reference(text) } else { text.trim().to_owned() };
        check_column_text(table, field, field, &text)?;
    }
    Ok(())
}

/// Checks a field edit's new value against its column and returns it normalised: trimmed
/// text (empty text is NULL for nullable columns), ids in lower case, dates as `YYYY-MM-DD`,
/// timestamps in UTC with microseconds.
pub fn field_value(table: &Table, field: &str, value: &Value) -> Result<Value, Rechazo> {
    let column = table.column(field).ok_or_else(|| Rechazo::unknown_field(field))?;
    let value = match value {
        Value::String(text) if column.ty == ColumnType::Text => {
            let trimmed = text.trim();
            check_column_text(table.name, field, field, trimmed)?;
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

/// Decides the field edits of one row of `table` ([`taller_domain::edits::plan_edits`]) with
/// the catalogue's column rules ([`field_value`], [`comparable`]) and the mutation's own
/// (`check`); `current` gives the row's value of a field.
pub fn plan_edits(
    table: &Table,
    fields: &[&'static str],
    edits: &[FieldEdit],
    current: impl Fn(&str) -> Value,
    check: impl Fn(&str, &Value) -> Result<(), Rechazo>,
) -> Result<Vec<PlannedEdit>, Rechazo> {
    taller_domain::edits::plan_edits(
        fields,
        edits,
        current,
        |field, value| field_value(table, field, value),
        check,
        |field, value| comparable(table, field, value),
    )
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
    use taller_domain::RejectionCode;

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
        assert_eq!(ok(repuestos, "nombre", json!("x".repeat(201))), Err(RejectionCode::TooLong));
        assert_eq!(ok(repuestos, "nombre", json!(format!(" {} ", "x".repeat(200)))), Ok(json!("x".repeat(200))));
        assert_eq!(ok(repuestos, "referencia", json!("R".repeat(101))), Err(RejectionCode::TooLong));
        assert_eq!(ok(repuestos, "tipo", json!("t".repeat(101))), Err(RejectionCode::TooLong));
        assert_eq!(ok(repuestos, "descripcion", json!("d".repeat(MAX_TEXT + 1))), Err(RejectionCode::TooLong));
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
        assert_eq!(part_create(&args(&"R".repeat(101), "Motor")).err().map(|r| r.code), Some(RejectionCode::TooLong));
        assert!(part_create(&args(&"R".repeat(100), "Motor")).is_ok());
        // Normalised before it is counted: `ß` upper-cases to `SS`.
        assert!(part_create(&args(&"ß".repeat(60), "Motor")).is_err());
    }

    #[test]
    fn every_limit_names_a_text_column_and_fits_an_index_row() {
        for (table_name, column, limit) in TEXT_LIMITS {
            let table = crate::tables::table(table_name).unwrap_or_else(|| panic!("{table_name}"));
            let column = table.column(column).unwrap_or_else(|| panic!("{table_name}.{column}"));
            assert_eq!(column.ty, ColumnType::Text, "{table_name}.{}", column.name);
            assert!(*limit <= MAX_TEXT);
        }
        // The btree-indexed columns: four bytes a character, under PostgreSQL's 2,704-byte row.
        for column in ["referencia", "tipo"] {
            assert!(text_limit("repuestos", column) * 4 < 2704, "{column}");
        }
    }

    #[test]
    fn every_text_argument_is_checked_against_its_column() {
        let id = uuid::Uuid::nil();
        let long = |n: usize| Value::String("x".repeat(n));
        let edit = |field: &str, n: usize| serde_json::json!([{"field": field, "old": null, "new": long(n)}]);
        let cases = [
            (
                "part.create",
                serde_json::json!({"id_repuesto": id, "referencia": "R", "nombre": "N", "marca": long(101)}),
                "marca",
                100,
            ),
            ("part.edit", serde_json::json!({"id_repuesto": id, "edits": edit("referencia", 101)}), "referencia", 100),
            ("part.edit", serde_json::json!({"id_repuesto": id, "edits": edit("tipo", 101)}), "tipo", 100),
            (
                "inventory.settings",
                serde_json::json!({"id_localizacion": id, "id_repuesto": id, "edits": edit("posicion", 101)}),
                "posicion",
                100,
            ),
            (
                "inventory.adjust",
                serde_json::json!({"id_localizacion": id, "id_repuesto": id, "delta": 1, "motivo": long(2001)}),
                "motivo",
                2000,
            ),
            (
                "request.dispatch",
                serde_json::json!({"id_solicitud": id, "guia_transporte": long(101)}),
                "guia_transporte",
                100,
            ),
            ("request.cancel", serde_json::json!({"id_solicitud": id, "comentario": long(2001)}), "comentario", 2000),
            (
                "count.line",
                serde_json::json!({"id_detalle_conteo": id, "id_conteo": id, "id_repuesto": id, "cantidad_csa": 1, "observaciones": long(2001)}),
                "observaciones",
                2000,
            ),
            (
                "warranty.edit",
                serde_json::json!({"id_garantia": id, "edits": edit("numero_orden", 101)}),
                "numero_orden",
                100,
            ),
            (
                "warranty.reject",
                serde_json::json!({"id_garantia": id, "comentarios_resolucion": long(2001)}),
                "comentarios_resolucion",
                2000,
            ),
            (
                "user.reject",
                serde_json::json!({"id_usuario": id, "motivo_rechazo": long(2001)}),
                "motivo_rechazo",
                2000,
            ),
            ("model.create", serde_json::json!({"id_tipo": id, "nombre": "N", "potencia": long(101)}), "potencia", 100),
            ("model.edit", serde_json::json!({"id_tipo": id, "edits": edit("nombre", 201)}), "nombre", 200),
            (
                "order.create",
                serde_json::json!({"id_orden": id, "numero_orden": long(101), "id_tipo_scooter": id}),
                "numero_orden",
                100,
            ),
            ("order.advance", serde_json::json!({"id_orden": id, "nivel": 2, "estado": long(101)}), "estado", 100),
            (
                "order.edit",
                serde_json::json!({"id_orden": id, "edits": edit("email_contacto", 201)}),
                "email_contacto",
                200,
            ),
        ];
        for (name, args, field, max) in cases {
            let mutation = Mutation::parse(name, &args).unwrap_or_else(|r| panic!("{name}: {r}"));
            let rechazo = mutation_texts(&mutation).err().unwrap_or_else(|| panic!("{name} {field}: accepted"));
            assert_eq!(rechazo.code, RejectionCode::TooLong, "{name}");
            assert_eq!(rechazo.params.get("field"), Some(&serde_json::json!(field)), "{name}");
            assert_eq!(rechazo.params.get("max"), Some(&serde_json::json!(max)), "{name}");
            // Unknown fields are left to the handler (`unknown_field`), whatever their length.
        }
        let unknown =
            Mutation::parse("part.edit", &serde_json::json!({"id_repuesto": id, "edits": edit("created_at", 5000)}));
        assert_eq!(unknown.map(|m| mutation_texts(&m).is_ok()).ok(), Some(true));
    }
}
