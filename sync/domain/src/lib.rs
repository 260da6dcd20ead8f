//! Pure domain rules of Taller, shared by the desktop client and the sync server.
//!
//! Nothing in this crate does I/O: every rule is a plain function over plain data, so the
//! client can apply an action optimistically with exactly the decision the server will make,
//! and both sides are tested with the same tables of cases.

pub mod actor;
pub mod args;
pub mod decide;
pub mod edits;
pub mod estados;
pub mod i18n;
pub mod permisos;
pub mod rechazo;
pub mod replenishment;
pub mod stock;
pub mod text;
pub mod tiempo;

pub use actor::Actor;
pub use edits::{resolve_field_edit, FieldEditOutcome};
pub use estados::{EstadoGarantia, EstadoSolicitud};
pub use i18n::Lang;
pub use permisos::{Permiso, Permisos};
pub use rechazo::{Rechazo, RejectionCode};
pub use stock::{Concepto, NegativeStockPolicy, TipoMovimiento, TipoOperacion};
