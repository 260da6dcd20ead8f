//! The pull's answer as bytes: each row's image written as it is stored (jsonb text) when
//! its fields are plain, decoded and re-encoded otherwise.

use super::*;

/// The upserts of one table in a page, as the JSON text of the `upserts` array (without its
/// closing bracket), and its deleted keys.
#[derive(Default)]
pub(super) struct Encoded {
    pub(super) upserts: Vec<u8>,
    pub(super) count: usize,
    pub(super) deletes: Vec<String>,
}

/// Writes the body of a [`PullResponse`] (the same JSON its `Serialize` writes) with the
/// upserts already encoded.
pub(super) fn encode_response(
    changes: &BTreeMap<&'static str, Encoded>,
    cursor: &str,
    complete: bool,
    reset: bool,
    rows_sent: u64,
    rows_total: u64,
) -> serde_json::Result<Vec<u8>> {
    let size: usize = changes.values().map(|c| c.upserts.len() + c.deletes.len() * 40 + 64).sum();
    let mut out = Vec::with_capacity(size + cursor.len() + 128);
    out.extend_from_slice(b"{\"changes\":[");
    for (i, (name, change)) in changes.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"table\":");
        serde_json::to_writer(&mut out, name)?;
        if change.count > 0 {
            out.extend_from_slice(b",\"upserts\":");
            out.extend_from_slice(&change.upserts);
            out.push(b']');
        }
        if !change.deletes.is_empty() {
            out.extend_from_slice(b",\"deletes\":");
            serde_json::to_writer(&mut out, &change.deletes)?;
        }
        out.push(b'}');
    }
    out.extend_from_slice(b"],\"cursor\":");
    serde_json::to_writer(&mut out, cursor)?;
    out.extend_from_slice(
        format!(",\"complete\":{complete},\"reset\":{reset},\"rows_sent\":{rows_sent},\"rows_total\":{rows_total}}}")
            .as_bytes(),
    );
    Ok(out)
}

/// Appends the row image `datos` (the text of a `sync_changes.datos` object) as the JSON array
/// of `table`'s columns in catalogue order; a column the image lacks is `null`, and columns
/// outside the catalogue (secrets) are left out. The values are passed through as PostgreSQL
/// wrote them, without decoding them. Returns false, writing nothing, when the image is not
/// an object (it is then sent as a delete, as a missing image is).
pub(super) fn encode_row(out: &mut Vec<u8>, table: &Table, datos: &str) -> serde_json::Result<bool> {
    let fields = match serde_json::Deserializer::from_str(datos).deserialize_map(FieldsVisitor) {
        Ok(fields) => fields,
        // Not an object, or keys with escapes: the slow path decides.
        Err(_) => return encode_row_value(out, table, &serde_json::from_str(datos)?),
    };
    out.push(b'[');
    for (i, column) in table.columns.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match fields.iter().find(|(name, _)| *name == column.name) {
            Some((_, value)) => out.extend_from_slice(value.get().as_bytes()),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.push(b']');
    Ok(true)
}

/// [`encode_row`] through a decoded `serde_json::Value`.
pub(super) fn encode_row_value(out: &mut Vec<u8>, table: &Table, image: &Value) -> serde_json::Result<bool> {
    let Value::Object(image) = image else { return Ok(false) };
    let row: Vec<&Value> = table.columns.iter().map(|c| image.get(c.name).unwrap_or(&Value::Null)).collect();
    serde_json::to_writer(out, &row)?;
    Ok(true)
}

/// The members of a JSON object, borrowed from its text (values undecoded).
pub(super) struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Vec<(&'de str, &'de RawValue)>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a row image object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(16));
        while let Some(entry) = map.next_entry::<&'de str, &'de RawValue>()? {
            fields.push(entry);
        }
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use taller_protocol::tables::{ColumnType, TABLES};

    /// A row image as the capture trigger stores it (`to_jsonb` of the row: every column, plus
    /// columns the feed never sends), printed by PostgreSQL's `jsonb` output (`", "` and
    /// `": "` separators, keys by length).
    fn image_text(image: &serde_json::Map<String, Value>) -> String {
        let mut keys: Vec<&String> = image.keys().collect();
        keys.sort_by_key(|k| (k.len(), k.as_str()));
        let members: Vec<String> = keys
            .iter()
            .map(|k| {
                let value = serde_json::to_string(&image[k.as_str()]).expect("value");
                format!("{}: {}", serde_json::to_string(k).expect("key"), value.replace(",\"", ", \""))
            })
            .collect();
        format!("{{{}}}", members.join(", "))
    }

    fn sample(ty: ColumnType, i: usize) -> Value {
        match ty {
            ColumnType::Uuid => json!(format!("0000000{i}-89ab-4cde-8f01-23456789abcd")),
            ColumnType::Text => json!(["Batería 48V \"pro\"", "línea\nnueva\t\\ fin", "", "😀 emoji"][i % 4]),
            ColumnType::Integer => json!([0, -3, 2_147_483_647, 42][i % 4]),
            ColumnType::Boolean => json!(i.is_multiple_of(2)),
            ColumnType::Timestamptz => json!("2026-11-22T10:00:00.123456+00:00"),
            ColumnType::Date => json!("2026-11-22"),
            ColumnType::Jsonb => {
                json!({"inventory": {"view": true, "edit": [1, 2.5, null]}, "nota": "a, \"b\": c", "n": i})
            }
        }
    }

    /// The pass-through writes, for every table of the catalogue, the same row the decoded
    /// path writes: catalogue columns in order, missing ones null, others (secrets) left out.
    #[test]
    fn raw_rows_equal_decoded_rows_for_every_table() {
        for table in TABLES {
            for variant in 0..4 {
                let mut image = serde_json::Map::new();
                for (i, column) in table.columns.iter().enumerate() {
                    let value = if column.nullable && (i + variant) % 3 == 0 {
                        Value::Null
                    } else {
                        sample(column.ty, i + variant)
                    };
                    // One column missing from the image in some variants (an older image).
                    if variant == 3 && i == table.columns.len() - 1 {
                        continue;
                    }
                    image.insert(column.name.to_owned(), value);
                }
                image.insert("password_hash".into(), json!("$argon2id$secret"));
                let text = image_text(&image);
                let mut raw = Vec::new();
                assert!(encode_row(&mut raw, table, &text).expect("raw"), "{}", table.name);
                let mut decoded = Vec::new();
                assert!(encode_row_value(&mut decoded, table, &image.clone().into()).expect("decoded"));
                let raw: Vec<Value> = serde_json::from_slice(&raw).expect("raw row is JSON");
                let decoded: Vec<Value> = serde_json::from_slice(&decoded).expect("decoded row is JSON");
                assert_eq!(raw, decoded, "{} variant {variant}: {text}", table.name);
                assert_eq!(raw.len(), table.columns.len());
                assert!(!serde_json::to_string(&raw).expect("json").contains("argon2id"), "no secret columns");
            }
        }
    }

    #[test]
    fn images_the_fast_path_cannot_borrow_take_the_decoded_path() {
        let table = tables::table("roles").expect("roles");
        // An escaped key (never written by the trigger, still handled).
        let text = r#"{"id_rol": "r1", "nombre_rol": "admin", "permisos": {}, "created_at": "x", "odd\"key": 1}"#;
        let mut out = Vec::new();
        assert!(encode_row(&mut out, table, text).expect("row"));
        assert_eq!(serde_json::from_slice::<Value>(&out).expect("json"), json!(["r1", "admin", {}, "x"]));
        // Not an object: sent as a delete, as before.
        let mut out = Vec::new();
        assert!(!encode_row(&mut out, table, "[1, 2]").expect("row"));
        assert!(out.is_empty());
        assert!(encode_row(&mut out, table, "{not json").is_err());
    }

    /// The hand-written body is the JSON of a `PullResponse`.
    #[test]
    fn the_encoded_response_is_a_pull_response() {
        let roles = tables::table("roles").expect("roles");
        let mut changes: BTreeMap<&'static str, Encoded> = BTreeMap::new();
        let entry = changes.entry("roles").or_default();
        for (i, id) in ["r1", "r2"].iter().enumerate() {
            entry.upserts.push(if i == 0 { b'[' } else { b',' });
            let text =
                format!(r#"{{"id_rol": "{id}", "permisos": {{"a": [1, 2]}}, "nombre_rol": "n", "created_at": "t"}}"#);
            assert!(encode_row(&mut entry.upserts, roles, &text).expect("row"));
            entry.count += 1;
        }
        changes.entry("inventario").or_default().deletes.push("k\"1".into());
        let body = encode_response(&changes, "cur\"sor", false, true, 3, 9).expect("body");
        let page: PullResponse = serde_json::from_slice(&body).expect("a PullResponse");
        assert_eq!(page.changes.len(), 2);
        assert_eq!(page.changes[0].table, "inventario");
        assert!(page.changes[0].upserts.is_empty());
        assert_eq!(page.changes[0].deletes, vec!["k\"1".to_owned()]);
        assert_eq!(page.changes[1].table, "roles");
        assert_eq!(page.changes[1].upserts[1], vec![json!("r2"), json!("n"), json!({"a": [1, 2]}), json!("t")]);
        assert_eq!(
            (page.cursor.as_str(), page.complete, page.reset, page.rows_sent, page.rows_total),
            ("cur\"sor", false, true, 3, 9)
        );
        // Empty arrays are left out, as `TableChanges` serialises them.
        assert!(!String::from_utf8_lossy(&body).contains("\"upserts\":[]"));
    }
}
