//! The types of warranty claims (`garantias`), as the app and `taller warranty` read and
//! write them.

use super::types::LedgerEntry;
use serde::{Deserialize, Serialize};
use taller_domain::EstadoGarantia;
use uuid::Uuid;

/// Reports defective units of a part at a location: a new claim, SIN_ENVIAR.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WarrantyCreateInput {
    /// Where the units are: a location's id or its name (case-insensitive).
    pub location: String,
    /// The part: its id or its reference (case-insensitive).
    pub part: String,
    /// Defective units.
    pub cantidad: i32,
    pub motivo_falla: String,
    /// The technician involved: a user's id or email; nobody when `None`.
    #[serde(default)]
    pub technician: Option<String>,
    /// The customer's name.
    #[serde(default)]
    pub solicitante: Option<String>,
    /// The vehicle's mileage.
    #[serde(default)]
    pub kilometraje: Option<i32>,
    /// The work order.
    #[serde(default)]
    pub numero_orden: Option<String>,
    #[serde(default)]
    pub url_evidencia_foto: Option<String>,
}

/// Edits a claim while it is a draft (SIN_ENVIAR): each field given replaces the claim's value;
/// an empty text clears an optional field (the customer, the work order, the photo, the
/// technician). A field left `None` is not touched.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WarrantyEditInput {
    pub id_garantia: Uuid,
    /// Defective units.
    #[serde(default)]
    pub cantidad: Option<i32>,
    #[serde(default)]
    pub motivo_falla: Option<String>,
    /// The vehicle's mileage.
    #[serde(default)]
    pub kilometraje: Option<i32>,
    /// The work order.
    #[serde(default)]
    pub numero_orden: Option<String>,
    /// The customer's name.
    #[serde(default)]
    pub solicitante: Option<String>,
    #[serde(default)]
    pub url_evidencia_foto: Option<String>,
    /// The technician involved: a user's id or email; empty: nobody.
    #[serde(default)]
    pub technician: Option<String>,
}

impl WarrantyEditInput {
    /// No field is given.
    pub fn is_empty(&self) -> bool {
        self.cantidad.is_none()
            && self.motivo_falla.is_none()
            && self.kilometraje.is_none()
            && self.numero_orden.is_none()
            && self.solicitante.is_none()
            && self.url_evidencia_foto.is_none()
            && self.technician.is_none()
    }
}

/// Approves or rejects a claim waiting for review (PENDIENTE). A rejection needs a comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WarrantyResolveInput {
    pub id_garantia: Uuid,
    #[serde(default)]
    pub comentarios_resolucion: Option<String>,
}

/// Which claims a list shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WarrantyListInput {
    /// Only claims in this state; all when `None`.
    #[serde(default)]
    pub estado: Option<EstadoGarantia>,
}

/// A warranty claim in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WarrantySummary {
    pub id_garantia: Uuid,
    pub estado: EstadoGarantia,
    pub id_repuesto: Uuid,
    /// The part's reference and name, when the replica holds its row.
    pub referencia: Option<String>,
    pub nombre: Option<String>,
    pub id_localizacion: Uuid,
    /// The location's name, when the replica holds its row.
    pub localizacion: Option<String>,
    /// Defective units.
    pub cantidad: i32,
    pub motivo_falla: String,
    /// The customer's name.
    pub solicitante: Option<String>,
    /// The work order.
    pub numero_orden: Option<String>,
    pub id_usuario_reporta: Uuid,
    /// Who reported it, by name, when the replica holds their row.
    pub usuario_reporta: Option<String>,
    pub fecha_reporte: String,
    pub fecha_resolucion: Option<String>,
    pub comentarios_resolucion: Option<String>,
}

/// A warranty claim with everything the replica knows of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct WarrantyDetail {
    #[serde(flatten)]
    pub claim: WarrantySummary,
    pub id_tecnico_asociado: Option<Uuid>,
    /// The technician involved, by name, when the replica holds their row.
    pub tecnico_asociado: Option<String>,
    /// The vehicle's mileage.
    pub kilometraje: Option<i32>,
    pub url_evidencia_foto: Option<String>,
    /// The `GARANTIA` ledger row its approval wrote (the replacement units into stock);
    /// `None` before an approval, or when the replica does not hold the item's ledger.
    pub ingreso: Option<LedgerEntry>,
}
