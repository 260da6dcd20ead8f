//! The arguments of every mutation: plain data, as a device sends them and as the decisions
//! of [`crate::decide`] read them. The wire names, parsing and the envelope are
//! `taller_protocol::mutations`' (which re-exports these types).

use crate::stock::{Concepto, NegativeStockPolicy, TipoMovimiento};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;
/// One field edit: the field, the value the author saw and replaced, and the new value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct FieldEdit {
    pub field: String,
    #[serde(default)]
    pub old: Value,
    #[serde(default)]
    pub new: Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartCreate {
    pub id_repuesto: Uuid,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartEdit {
    pub id_repuesto: Uuid,
    pub edits: Vec<FieldEdit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartDiscontinue {
    pub id_repuesto: Uuid,
    /// `true` to discontinue, `false` to bring the part back.
    #[serde(default = "yes")]
    pub descontinuado: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventorySettings {
    pub id_localizacion: Uuid,
    pub id_repuesto: Uuid,
    /// Fields: `cantidad_minima`, `posicion`, `nuevo_hasta`.
    pub edits: Vec<FieldEdit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryAdjust {
    pub id_localizacion: Uuid,
    pub id_repuesto: Uuid,
    /// Signed, non-zero change of stock.
    pub delta: i32,
    pub motivo: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MovementRecord {
    pub id_movimientos_tecnicos: Uuid,
    pub id_localizacion: Uuid,
    pub id_repuesto: Uuid,
    pub id_tecnico_asignado: Uuid,
    pub concepto: Concepto,
    pub tipo: TipoMovimiento,
    pub cantidad: i32,
    #[serde(default)]
    pub numero_orden: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartAdd {
    pub id_item_carrito: Uuid,
    /// The destination location of the future request.
    pub id_localizacion: Uuid,
    pub id_repuesto: Uuid,
    pub cantidad: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartSet {
    pub id_item_carrito: Uuid,
    pub cantidad: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartRemove {
    pub id_item_carrito: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestLine {
    pub id_detalle: Uuid,
    pub id_repuesto: Uuid,
    pub cantidad: i32,
    /// The cart line this comes from; it is removed when the request is created.
    #[serde(default)]
    pub id_item_carrito: Option<Uuid>,
    #[serde(default)]
    pub observaciones: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestCreate {
    pub id_solicitud: Uuid,
    pub id_localizacion_origen: Uuid,
    pub id_localizacion_destino: Uuid,
    pub lines: Vec<RequestLine>,
    #[serde(default)]
    pub observaciones_generales: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestRef {
    pub id_solicitud: Uuid,
    #[serde(default)]
    pub comentario: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineQuantity {
    pub id_detalle: Uuid,
    pub cantidad: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestDispatch {
    pub id_solicitud: Uuid,
    /// Dispatched quantity per line; a line not listed is dispatched as requested.
    #[serde(default)]
    pub lines: Vec<LineQuantity>,
    #[serde(default)]
    pub guia_transporte: Option<String>,
    #[serde(default)]
    pub comentario: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestReceive {
    pub id_solicitud: Uuid,
    /// Received quantity per line; a line not listed is received as dispatched.
    #[serde(default)]
    pub lines: Vec<LineQuantity>,
    #[serde(default)]
    pub comentario: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountStart {
    pub id_conteo: Uuid,
    pub id_localizacion: Uuid,
    #[serde(default)]
    pub observaciones: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountLine {
    pub id_detalle_conteo: Uuid,
    pub id_conteo: Uuid,
    pub id_repuesto: Uuid,
    pub cantidad_csa: i32,
    #[serde(default)]
    pub cantidad_pq: i32,
    #[serde(default)]
    pub observaciones: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountClose {
    pub id_conteo: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarrantyCreate {
    pub id_garantia: Uuid,
    pub id_localizacion: Uuid,
    pub id_repuesto: Uuid,
    pub cantidad: i32,
    pub motivo_falla: String,
    #[serde(default)]
    pub id_tecnico_asociado: Option<Uuid>,
    #[serde(default)]
    pub kilometraje: Option<i32>,
    #[serde(default)]
    pub numero_orden: Option<String>,
    #[serde(default)]
    pub solicitante: Option<String>,
    #[serde(default)]
    pub url_evidencia_foto: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarrantyEdit {
    pub id_garantia: Uuid,
    pub edits: Vec<FieldEdit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarrantyRef {
    pub id_garantia: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarrantyResolve {
    pub id_garantia: Uuid,
    #[serde(default)]
    pub comentarios_resolucion: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationRead {
    pub id_notificacion: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRef {
    pub id_usuario: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserReject {
    pub id_usuario: Uuid,
    pub motivo_rechazo: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserLocation {
    pub id_usuario: Uuid,
    pub id_localizacion: Uuid,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationPolicy {
    pub id_localizacion: Uuid,
    pub stock_negativo: NegativeStockPolicy,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCreate {
    pub id_tipo: Uuid,
    pub nombre: String,
    pub potencia: String,
    #[serde(default)]
    pub descripcion: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelEdit {
    pub id_tipo: Uuid,
    /// Fields: `nombre`, `potencia`, `descripcion`.
    pub edits: Vec<FieldEdit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderCreate {
    pub id_orden: Uuid,
    pub numero_orden: String,
    pub id_tipo_scooter: Uuid,
    /// The state's words at level 1; the level's own name (`Pedido`) when not given.
    #[serde(default)]
    pub estado: Option<String>,
    #[serde(default)]
    pub telefono_contacto: Option<String>,
    #[serde(default)]
    pub email_contacto: Option<String>,
    #[serde(default)]
    pub link_orden: Option<String>,
    #[serde(default)]
    pub fecha_entrega_estimada: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderAdvance {
    pub id_orden: Uuid,
    /// The level the order reaches: 2 in transit, 3 delivered (never back).
    pub nivel: i32,
    /// The state's words; the level's own name (`En tránsito`, `Entregado`) when not given.
    #[serde(default)]
    pub estado: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderEdit {
    pub id_orden: Uuid,
    /// Fields: `telefono_contacto`, `email_contacto`, `link_orden`, `fecha_entrega_estimada`.
    pub edits: Vec<FieldEdit>,
}
