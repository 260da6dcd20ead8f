//! The types of the parts catalogue (`repuestos`) as `taller parts` and a catalogue screen
//! write them: a part named by reference or id, the fields a person types.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Which parts a catalogue list shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PartListInput {
    /// What the person typed (every word a prefix, accent-insensitive; best match first).
    /// Empty: every part, by reference.
    #[serde(default)]
    pub search: String,
    /// A location's id or name: each part comes with its stock there.
    #[serde(default)]
    pub location: Option<String>,
    /// The most parts listed.
    pub limit: u32,
}

/// A new part (`part.create`; the library gives it its id, uuid v7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PartCreateInput {
    pub referencia: String,
    pub nombre: String,
    #[serde(default)]
    pub tipo: Option<String>,
    #[serde(default)]
    pub marca: Option<String>,
    #[serde(default)]
    pub descripcion: Option<String>,
    #[serde(default)]
    pub fecha_estimada: Option<NaiveDate>,
    #[serde(default)]
    pub url_imagen: Option<String>,
}

/// Edits a part's fields (`part.edit`): each field given is set, and the library sends with
/// it the value the replica holds now (the one the edit replaces). At least one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PartEditInput {
    /// The part: its id or its reference (case-insensitive).
    pub part: String,
    /// A new reference.
    #[serde(default)]
    pub referencia: Option<String>,
    #[serde(default)]
    pub nombre: Option<String>,
    #[serde(default)]
    pub tipo: Option<String>,
    #[serde(default)]
    pub marca: Option<String>,
    #[serde(default)]
    pub descripcion: Option<String>,
    #[serde(default)]
    pub fecha_estimada: Option<NaiveDate>,
    #[serde(default)]
    pub url_imagen: Option<String>,
}

impl PartEditInput {
    /// No field is given.
    pub fn is_empty(&self) -> bool {
        self.referencia.is_none()
            && self.nombre.is_none()
            && self.tipo.is_none()
            && self.marca.is_none()
            && self.descripcion.is_none()
            && self.fecha_estimada.is_none()
            && self.url_imagen.is_none()
    }
}

/// Discontinues a part, or brings it back (`part.discontinue`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PartDiscontinueInput {
    /// The part: its id or its reference (case-insensitive).
    pub part: String,
    /// `true` discontinues it, `false` brings it back.
    pub descontinuado: bool,
}
