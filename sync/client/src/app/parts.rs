//! The parts catalogue: what `taller parts` and a catalogue screen do. A part is named by
//! reference or id; an edit's replaced values are read from the replica inside the action's
//! own transaction ([`Session::act_built`]), so the lookup, the values the edit replaces and
//! the edit are one unit.

use super::inventory::part_matches;
use super::parts_types::*;
use super::types::{PartDetail, PartMatch};
use crate::error::{ClientError, Result};
use crate::session::{Queued, Session};
use crate::{queries, rows};
use chrono::Utc;
use rusqlite::Connection;
use serde_json::{json, Value};
use taller_protocol::mutations::{FieldEdit, Mutation, PartCreate, PartDiscontinue, PartEdit};
use uuid::Uuid;

impl Session {
    /// Parts for what is typed (best match first; by reference when nothing is typed), at
    /// most `limit`, each with its stock at the location when one is named. An unknown
    /// location is `invalid_input`.
    pub fn parts(&self, input: &PartListInput) -> Result<Vec<PartMatch>> {
        self.read(|conn| {
            let location = input.location.as_deref().map(|name| queries::location_id(conn, name)).transpose()?;
            part_matches(conn, &input.search, location, i64::from(input.limit))
        })
    }

    /// A part named by reference (case-insensitive) or id, as [`Session::part_view`] shows it.
    /// A name that matches no part is `invalid_input`.
    pub fn part(&self, part: &str) -> Result<PartDetail> {
        let id = self.read(|conn| queries::part_id(conn, part))?;
        self.part_view(id)
    }

    /// Creates a part (`part.create`, a new uuid v7 id); `result.id_repuesto` is its id, or,
    /// when the replica already has a part with the same reference, `result.merged_into`
    /// names that part.
    pub fn create_part(&self, input: &PartCreateInput) -> Result<Queued> {
        self.act(&Mutation::PartCreate(PartCreate {
            id_repuesto: Uuid::now_v7(),
            referencia: input.referencia.clone(),
            nombre: input.nombre.clone(),
            tipo: input.tipo.clone(),
            marca: input.marca.clone(),
            descripcion: input.descripcion.clone(),
            fecha_estimada: input.fecha_estimada,
            url_imagen: input.url_imagen.clone(),
        }))
    }

    /// Edits a part's fields (`part.edit`), each with the value the replica holds now as the
    /// one it replaces (the server records a conflict when someone changed it meanwhile). No
    /// field given, or a part that matches nothing, is `invalid_input`.
    pub fn edit_part(&self, input: &PartEditInput) -> Result<Queued> {
        if input.is_empty() {
            return Err(ClientError::Invalid("name at least one field of the part to edit".into()));
        }
        let text = |value: &Option<String>| value.as_ref().map(|text| json!(text));
        let wanted: [(&str, Option<Value>); 7] = [
            ("referencia", text(&input.referencia)),
            ("nombre", text(&input.nombre)),
            ("tipo", text(&input.tipo)),
            ("marca", text(&input.marca)),
            ("descripcion", text(&input.descripcion)),
            ("fecha_estimada", input.fecha_estimada.map(|date| json!(date.to_string()))),
            ("url_imagen", text(&input.url_imagen)),
        ];
        self.act_built(Utc::now(), |conn| {
            let id_repuesto = queries::part_id(conn, &input.part)?;
            let edits = field_edits(conn, "repuestos", Some(&id_repuesto.to_string()), wanted)?;
            Ok(Mutation::PartEdit(PartEdit { id_repuesto, edits }))
        })
    }

    /// Discontinues a part or brings it back (`part.discontinue`), named by reference or id.
    pub fn discontinue_part(&self, input: &PartDiscontinueInput) -> Result<Queued> {
        self.act_built(Utc::now(), |conn| {
            Ok(Mutation::PartDiscontinue(PartDiscontinue {
                id_repuesto: queries::part_id(conn, &input.part)?,
                descontinuado: input.descontinuado,
            }))
        })
    }
}

/// The edits of the fields given (in the order given), each replacing the value the
/// replica's row `key` of `table` holds now, as the local edit reads it; `null` for every
/// field when there is no row yet (the action creates it).
pub(super) fn field_edits<const N: usize>(
    conn: &Connection,
    table: &str,
    key: Option<&str>,
    wanted: [(&str, Option<Value>); N],
) -> Result<Vec<FieldEdit>> {
    let table = rows::table(table)?;
    let row = match key {
        Some(key) => rows::get(conn, table, key)?,
        None => None,
    };
    Ok(wanted
        .into_iter()
        .filter_map(|(field, new)| {
            let old = row.as_deref().map(|row| rows::value(table, row, field).clone()).unwrap_or(Value::Null);
            new.map(|new| FieldEdit { field: field.to_owned(), old, new })
        })
        .collect())
}
