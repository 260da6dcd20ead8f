//! The mutation catalogue: every domain intent a device can push, defined once for the client
//! and the server. A mutation is an intent ("record a technician movement"), not a row diff.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use taller_domain::{Actor, Permiso, Rechazo, RejectionCode};
use utoipa::ToSchema;
use uuid::Uuid;

/// A mutation as it travels: identity, position, time, and the intent by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MutationEnvelope {
    /// Globally unique; the server applies a mutation id at most once.
    pub id: Uuid,
    /// Position in the device's sequence; strictly increasing per device.
    pub seq: u64,
    /// When the person did it (their clock; bounded by the server).
    pub at: DateTime<Utc>,
    /// One of [`MUTATION_NAMES`].
    pub name: String,
    /// The intent's arguments; parsed per name by [`Mutation::parse`].
    #[schema(value_type = Object)]
    pub args: Value,
}

// The arguments are plain data of the domain, where the decisions read them.
pub use taller_domain::args::*;

/// Every mutation, typed. The wire name of each is in [`Mutation::name`].
#[derive(Debug, Clone, PartialEq)]
pub enum Mutation {
    PartCreate(PartCreate),
    PartEdit(PartEdit),
    PartDiscontinue(PartDiscontinue),
    InventorySettings(InventorySettings),
    InventoryAdjust(InventoryAdjust),
    MovementRecord(MovementRecord),
    CartAdd(CartAdd),
    CartSet(CartSet),
    CartRemove(CartRemove),
    RequestCreate(RequestCreate),
    RequestPick(RequestRef),
    RequestDispatch(RequestDispatch),
    RequestReceive(RequestReceive),
    RequestCancel(RequestRef),
    CountStart(CountStart),
    CountLine(CountLine),
    CountClose(CountClose),
    WarrantyCreate(WarrantyCreate),
    WarrantyEdit(WarrantyEdit),
    WarrantySubmit(WarrantyRef),
    WarrantyApprove(WarrantyResolve),
    WarrantyReject(WarrantyResolve),
    NotificationRead(NotificationRead),
    UserApprove(UserRef),
    UserReject(UserReject),
    UserAssign(UserLocation),
    UserUnassign(UserLocation),
    LocationPolicy(LocationPolicy),
    ModelCreate(ModelCreate),
    ModelEdit(ModelEdit),
    OrderCreate(OrderCreate),
    OrderAdvance(OrderAdvance),
    OrderEdit(OrderEdit),
}

/// What the push engine must know of a mutation before it runs it: properties of the
/// catalogue, so that the engine never matches mutation names itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PushTraits {
    /// Its handler reads outcomes recorded earlier in the same push (a warranty reads who set
    /// a claim's state), so those are written before it runs.
    pub reads_recorded_outcomes: bool,
    /// Once applied it may change the pushing user's own scope (an assignment), so the scope
    /// is loaded again before the next mutation.
    pub may_change_own_scope: bool,
    /// It may be written set-based together with its neighbours of the same name (runs of
    /// movements, decision 0007).
    pub runs_set_based: bool,
}

/// The [`PushTraits`] of the mutation named `name` (an unknown name has none: it is refused
/// when parsed).
pub fn push_traits(name: &str) -> PushTraits {
    listed_push_traits(name).unwrap_or_default()
}

/// Each name of the catalogue is listed in one arm, so a new mutation is given its traits
/// where it is added (a test holds every name of [`MUTATION_NAMES`] to an arm).
fn listed_push_traits(name: &str) -> Option<PushTraits> {
    const PLAIN: PushTraits =
        PushTraits { reads_recorded_outcomes: false, may_change_own_scope: false, runs_set_based: false };
    Some(match name {
        "movement.record" => PushTraits { runs_set_based: true, ..PLAIN },
        "warranty.create" | "warranty.edit" | "warranty.submit" | "warranty.approve" | "warranty.reject" => {
            PushTraits { reads_recorded_outcomes: true, ..PLAIN }
        }
        "user.approve" | "user.reject" | "user.assign" | "user.unassign" => {
            PushTraits { may_change_own_scope: true, ..PLAIN }
        }
        "part.create" | "part.edit" | "part.discontinue" | "inventory.settings" | "inventory.adjust" | "cart.add"
        | "cart.set" | "cart.remove" | "request.create" | "request.pick" | "request.dispatch" | "request.receive"
        | "request.cancel" | "count.start" | "count.line" | "count.close" | "notification.read" | "location.policy"
        | "model.create" | "model.edit" | "order.create" | "order.advance" | "order.edit" => PLAIN,
        _ => return None,
    })
}

/// A row a mutation locks as it applies, named so that a push can lock the rows of a whole
/// chunk up front, in one global order (contract invariant 13): an inventory item, the items
/// of a request's lines at one of its ends, a claim's item, a count's items, a part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowLock {
    /// The item of a part (as given: an alias resolves to its survivor) at a location.
    Item { id_localizacion: Uuid, id_repuesto: Uuid },
    /// The items of a request's lines at its origin (a dispatch takes them out).
    RequestOrigin(Uuid),
    /// The items of a request's lines at its destination (a receipt puts them in).
    RequestDestination(Uuid),
    /// The item a claim's approval brings units into.
    Claim(Uuid),
    /// The items of a count's lines (its closing fixes them).
    Count(Uuid),
    /// A part's row (an edit of its reference, a key other rows could point to).
    Part(Uuid),
}

/// The wire names, in catalogue order.
pub const MUTATION_NAMES: &[&str] = &[
    "part.create",
    "part.edit",
    "part.discontinue",
    "inventory.settings",
    "inventory.adjust",
    "movement.record",
    "cart.add",
    "cart.set",
    "cart.remove",
    "request.create",
    "request.pick",
    "request.dispatch",
    "request.receive",
    "request.cancel",
    "count.start",
    "count.line",
    "count.close",
    "warranty.create",
    "warranty.edit",
    "warranty.submit",
    "warranty.approve",
    "warranty.reject",
    "notification.read",
    "user.approve",
    "user.reject",
    "user.assign",
    "user.unassign",
    "location.policy",
    "model.create",
    "model.edit",
    "order.create",
    "order.advance",
    "order.edit",
];

fn args<T: DeserializeOwned>(value: &Value) -> Result<T, Rechazo> {
    serde_json::from_value(value.clone())
        .map_err(|error| Rechazo::new(RejectionCode::InvalidArguments).with("detail", error.to_string()))
}

impl Mutation {
    /// Parses a mutation from its wire name and arguments.
    pub fn parse(name: &str, value: &Value) -> Result<Mutation, Rechazo> {
        Ok(match name {
            "part.create" => Mutation::PartCreate(args(value)?),
            "part.edit" => Mutation::PartEdit(args(value)?),
            "part.discontinue" => Mutation::PartDiscontinue(args(value)?),
            "inventory.settings" => Mutation::InventorySettings(args(value)?),
            "inventory.adjust" => Mutation::InventoryAdjust(args(value)?),
            "movement.record" => Mutation::MovementRecord(args(value)?),
            "cart.add" => Mutation::CartAdd(args(value)?),
            "cart.set" => Mutation::CartSet(args(value)?),
            "cart.remove" => Mutation::CartRemove(args(value)?),
            "request.create" => Mutation::RequestCreate(args(value)?),
            "request.pick" => Mutation::RequestPick(args(value)?),
            "request.dispatch" => Mutation::RequestDispatch(args(value)?),
            "request.receive" => Mutation::RequestReceive(args(value)?),
            "request.cancel" => Mutation::RequestCancel(args(value)?),
            "count.start" => Mutation::CountStart(args(value)?),
            "count.line" => Mutation::CountLine(args(value)?),
            "count.close" => Mutation::CountClose(args(value)?),
            "warranty.create" => Mutation::WarrantyCreate(args(value)?),
            "warranty.edit" => Mutation::WarrantyEdit(args(value)?),
            "warranty.submit" => Mutation::WarrantySubmit(args(value)?),
            "warranty.approve" => Mutation::WarrantyApprove(args(value)?),
            "warranty.reject" => Mutation::WarrantyReject(args(value)?),
            "notification.read" => Mutation::NotificationRead(args(value)?),
            "user.approve" => Mutation::UserApprove(args(value)?),
            "user.reject" => Mutation::UserReject(args(value)?),
            "user.assign" => Mutation::UserAssign(args(value)?),
            "user.unassign" => Mutation::UserUnassign(args(value)?),
            "location.policy" => Mutation::LocationPolicy(args(value)?),
            "model.create" => Mutation::ModelCreate(args(value)?),
            "model.edit" => Mutation::ModelEdit(args(value)?),
            "order.create" => Mutation::OrderCreate(args(value)?),
            "order.advance" => Mutation::OrderAdvance(args(value)?),
            "order.edit" => Mutation::OrderEdit(args(value)?),
            other => return Err(Rechazo::new(RejectionCode::UnknownMutation).with("name", other)),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            Mutation::PartCreate(_) => "part.create",
            Mutation::PartEdit(_) => "part.edit",
            Mutation::PartDiscontinue(_) => "part.discontinue",
            Mutation::InventorySettings(_) => "inventory.settings",
            Mutation::InventoryAdjust(_) => "inventory.adjust",
            Mutation::MovementRecord(_) => "movement.record",
            Mutation::CartAdd(_) => "cart.add",
            Mutation::CartSet(_) => "cart.set",
            Mutation::CartRemove(_) => "cart.remove",
            Mutation::RequestCreate(_) => "request.create",
            Mutation::RequestPick(_) => "request.pick",
            Mutation::RequestDispatch(_) => "request.dispatch",
            Mutation::RequestReceive(_) => "request.receive",
            Mutation::RequestCancel(_) => "request.cancel",
            Mutation::CountStart(_) => "count.start",
            Mutation::CountLine(_) => "count.line",
            Mutation::CountClose(_) => "count.close",
            Mutation::WarrantyCreate(_) => "warranty.create",
            Mutation::WarrantyEdit(_) => "warranty.edit",
            Mutation::WarrantySubmit(_) => "warranty.submit",
            Mutation::WarrantyApprove(_) => "warranty.approve",
            Mutation::WarrantyReject(_) => "warranty.reject",
            Mutation::NotificationRead(_) => "notification.read",
            Mutation::UserApprove(_) => "user.approve",
            Mutation::UserReject(_) => "user.reject",
            Mutation::UserAssign(_) => "user.assign",
            Mutation::UserUnassign(_) => "user.unassign",
            Mutation::LocationPolicy(_) => "location.policy",
            Mutation::ModelCreate(_) => "model.create",
            Mutation::ModelEdit(_) => "model.edit",
            Mutation::OrderCreate(_) => "order.create",
            Mutation::OrderAdvance(_) => "order.advance",
            Mutation::OrderEdit(_) => "order.edit",
        }
    }

    /// The arguments back as JSON (for the outbox and the wire).
    pub fn args(&self) -> Value {
        let value = match self {
            Mutation::PartCreate(a) => serde_json::to_value(a),
            Mutation::PartEdit(a) => serde_json::to_value(a),
            Mutation::PartDiscontinue(a) => serde_json::to_value(a),
            Mutation::InventorySettings(a) => serde_json::to_value(a),
            Mutation::InventoryAdjust(a) => serde_json::to_value(a),
            Mutation::MovementRecord(a) => serde_json::to_value(a),
            Mutation::CartAdd(a) => serde_json::to_value(a),
            Mutation::CartSet(a) => serde_json::to_value(a),
            Mutation::CartRemove(a) => serde_json::to_value(a),
            Mutation::RequestCreate(a) => serde_json::to_value(a),
            Mutation::RequestPick(a) | Mutation::RequestCancel(a) => serde_json::to_value(a),
            Mutation::RequestDispatch(a) => serde_json::to_value(a),
            Mutation::RequestReceive(a) => serde_json::to_value(a),
            Mutation::CountStart(a) => serde_json::to_value(a),
            Mutation::CountLine(a) => serde_json::to_value(a),
            Mutation::CountClose(a) => serde_json::to_value(a),
            Mutation::WarrantyCreate(a) => serde_json::to_value(a),
            Mutation::WarrantyEdit(a) => serde_json::to_value(a),
            Mutation::WarrantySubmit(a) => serde_json::to_value(a),
            Mutation::WarrantyApprove(a) | Mutation::WarrantyReject(a) => serde_json::to_value(a),
            Mutation::NotificationRead(a) => serde_json::to_value(a),
            Mutation::UserApprove(a) => serde_json::to_value(a),
            Mutation::UserReject(a) => serde_json::to_value(a),
            Mutation::UserAssign(a) | Mutation::UserUnassign(a) => serde_json::to_value(a),
            Mutation::LocationPolicy(a) => serde_json::to_value(a),
            Mutation::ModelCreate(a) => serde_json::to_value(a),
            Mutation::ModelEdit(a) => serde_json::to_value(a),
            Mutation::OrderCreate(a) => serde_json::to_value(a),
            Mutation::OrderAdvance(a) => serde_json::to_value(a),
            Mutation::OrderEdit(a) => serde_json::to_value(a),
        };
        // Serializing plain structs of strings, numbers and uuids cannot fail.
        value.unwrap_or(Value::Null)
    }

    /// What every mutation passes before its own decision, on both sides: the role permission
    /// it needs, then every text against its column's bound ([`crate::validate::mutation_texts`]).
    pub fn admit(&self, actor: &Actor) -> Result<(), Rechazo> {
        if let Some(permiso) = self.permission() {
            actor.require(permiso)?;
        }
        crate::validate::mutation_texts(self)
    }

    /// The row the mutation locks as it applies, if a push should lock it up front with the
    /// rest of its chunk: inventory rows for movements, adjustments, settings, dispatches,
    /// receipts, warranty approvals and count closings; parts for part edits.
    pub fn row_lock(&self) -> Option<RowLock> {
        Some(match self {
            Mutation::MovementRecord(MovementRecord { id_localizacion, id_repuesto, .. })
            | Mutation::InventoryAdjust(InventoryAdjust { id_localizacion, id_repuesto, .. })
            | Mutation::InventorySettings(InventorySettings { id_localizacion, id_repuesto, .. }) => {
                RowLock::Item { id_localizacion: *id_localizacion, id_repuesto: *id_repuesto }
            }
            Mutation::RequestDispatch(args) => RowLock::RequestOrigin(args.id_solicitud),
            Mutation::RequestReceive(args) => RowLock::RequestDestination(args.id_solicitud),
            Mutation::WarrantyApprove(args) => RowLock::Claim(args.id_garantia),
            Mutation::CountClose(args) => RowLock::Count(args.id_conteo),
            Mutation::PartEdit(args) => RowLock::Part(args.id_repuesto),
            _ => return None,
        })
    }

    /// The role permission the mutation needs (location scope is checked separately, against
    /// the rows the mutation touches). `None`: any signed-in user may (their own rows only).
    pub fn permission(&self) -> Option<Permiso> {
        Some(match self {
            Mutation::PartCreate(_) => Permiso::InventoryCreate,
            Mutation::PartEdit(_) => Permiso::InventoryEdit,
            Mutation::PartDiscontinue(_) => Permiso::InventoryDelete,
            Mutation::InventorySettings(_) | Mutation::InventoryAdjust(_) => Permiso::InventoryEdit,
            Mutation::MovementRecord(_) => Permiso::InventoryCreate,
            Mutation::CartAdd(_) | Mutation::CartSet(_) | Mutation::CartRemove(_) => Permiso::RequestsCreate,
            Mutation::RequestCreate(_) | Mutation::RequestReceive(_) => Permiso::RequestsCreate,
            Mutation::RequestPick(_) | Mutation::RequestDispatch(_) => Permiso::RequestsApprove,
            // Cancelling is allowed to the requester or to approvers; checked by the handler.
            Mutation::RequestCancel(_) => Permiso::RequestsView,
            Mutation::CountStart(_) | Mutation::CountLine(_) | Mutation::CountClose(_) => Permiso::InventoryEdit,
            Mutation::WarrantyCreate(_) | Mutation::WarrantyEdit(_) | Mutation::WarrantySubmit(_) => {
                Permiso::GuaranteesCreate
            }
            Mutation::WarrantyApprove(_) | Mutation::WarrantyReject(_) => Permiso::GuaranteesResolve,
            Mutation::NotificationRead(_) => return None,
            Mutation::UserApprove(_)
            | Mutation::UserReject(_)
            | Mutation::UserAssign(_)
            | Mutation::UserUnassign(_)
            | Mutation::LocationPolicy(_) => Permiso::UsersManage,
            // Models and orders are the whole network's, not a location's: whoever keeps the
            // shared catalogue and the stock settings (decision 0018).
            Mutation::ModelCreate(_)
            | Mutation::ModelEdit(_)
            | Mutation::OrderCreate(_)
            | Mutation::OrderAdvance(_)
            | Mutation::OrderEdit(_) => Permiso::InventoryEdit,
        })
    }

    /// The replicated tables (names of [`crate::tables::TABLES`]) the mutation may write, on
    /// the device (its optimistic application) or on the server (ledger rows, notifications,
    /// conflicts the answer brings back). A screen that reads none of them need not refetch
    /// after it; the list errs on the broad side.
    pub fn tables(&self) -> &'static [&'static str] {
        const LEDGER: &[&str] = &["inventario", "logs_inventario", "notificaciones", "conflictos"];
        match self {
            Mutation::PartCreate(_) => &["repuestos", "inventario", "conflictos"],
            Mutation::PartEdit(_) | Mutation::PartDiscontinue(_) => &["repuestos", "conflictos"],
            Mutation::InventorySettings(_) => &["inventario", "conflictos"],
            Mutation::InventoryAdjust(_) => LEDGER,
            Mutation::MovementRecord(_) => {
                &["movimientos_tecnicos", "inventario", "logs_inventario", "notificaciones", "conflictos"]
            }
            Mutation::CartAdd(_) | Mutation::CartSet(_) | Mutation::CartRemove(_) => &["carrito_solicitudes"],
            Mutation::RequestCreate(_) => &[
                "solicitudes",
                "detalles_solicitud",
                "trazabilidad_solicitudes",
                "carrito_solicitudes",
                "notificaciones",
            ],
            Mutation::RequestPick(_)
            | Mutation::RequestDispatch(_)
            | Mutation::RequestReceive(_)
            | Mutation::RequestCancel(_) => &[
                "solicitudes",
                "detalles_solicitud",
                "trazabilidad_solicitudes",
                "inventario",
                "logs_inventario",
                "notificaciones",
                "conflictos",
            ],
            Mutation::CountStart(_) => &["registro_conteo"],
            Mutation::CountLine(_) => &["registro_conteo", "detalles_conteo"],
            Mutation::CountClose(_) => &[
                "registro_conteo",
                "detalles_conteo",
                "conteos_cerrados",
                "inventario",
                "logs_inventario",
                "notificaciones",
                "conflictos",
            ],
            Mutation::WarrantyCreate(_) | Mutation::WarrantyEdit(_) | Mutation::WarrantySubmit(_) => {
                &["garantias", "notificaciones", "conflictos"]
            }
            Mutation::WarrantyApprove(_) | Mutation::WarrantyReject(_) => {
                &["garantias", "inventario", "logs_inventario", "notificaciones", "conflictos"]
            }
            Mutation::NotificationRead(_) => &["notificaciones"],
            Mutation::UserApprove(_) | Mutation::UserReject(_) => &["usuarios", "notificaciones"],
            Mutation::UserAssign(_) | Mutation::UserUnassign(_) => &["usuarios_localizacion"],
            Mutation::LocationPolicy(_) => &["localizacion_politicas"],
            Mutation::ModelCreate(_) | Mutation::ModelEdit(_) => &["scooter_types", "conflictos"],
            Mutation::OrderCreate(_) | Mutation::OrderAdvance(_) | Mutation::OrderEdit(_) => {
                &["order_follow", "conflictos"]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Each push trait belongs to mutations of the catalogue, and exactly the ones the push
    /// engine relies on: warranty handlers read recorded outcomes, user administration may
    /// change the pusher's scope, and only movements run set-based.
    #[test]
    fn push_traits_are_properties_of_the_catalogue() {
        let with = |pick: fn(PushTraits) -> bool| -> Vec<&str> {
            MUTATION_NAMES.iter().copied().filter(|name| pick(push_traits(name))).collect()
        };
        let reads = with(|traits| traits.reads_recorded_outcomes);
        assert!(!reads.is_empty() && reads.iter().all(|name| name.starts_with("warranty.")), "{reads:?}");
        let scope = with(|traits| traits.may_change_own_scope);
        assert!(scope.contains(&"user.assign") && scope.contains(&"user.unassign"), "{scope:?}");
        assert_eq!(with(|traits| traits.runs_set_based), ["movement.record"]);
        assert_eq!(push_traits("nonsense"), PushTraits::default());
        let unlisted: Vec<&str> =
            MUTATION_NAMES.iter().copied().filter(|name| listed_push_traits(name).is_none()).collect();
        assert!(unlisted.is_empty(), "names without push traits: {unlisted:?}");
    }

    /// What a push locks up front is the row the mutation's handler locks: an item for the
    /// stock mutations, a request's end for a dispatch or a receipt, and so on; nothing for
    /// the rest.
    #[test]
    fn row_locks_are_properties_of_the_catalogue() {
        let (loc, part, other) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let cases = [
            (
                "inventory.adjust",
                json!({"id_localizacion": loc, "id_repuesto": part, "delta": -2, "motivo": "x"}),
                Some(RowLock::Item { id_localizacion: loc, id_repuesto: part }),
            ),
            ("request.dispatch", json!({"id_solicitud": other}), Some(RowLock::RequestOrigin(other))),
            ("request.receive", json!({"id_solicitud": other}), Some(RowLock::RequestDestination(other))),
            ("request.pick", json!({"id_solicitud": other}), None),
            ("warranty.approve", json!({"id_garantia": other}), Some(RowLock::Claim(other))),
            ("warranty.reject", json!({"id_garantia": other, "comentarios_resolucion": "no"}), None),
            ("count.close", json!({"id_conteo": other}), Some(RowLock::Count(other))),
            ("part.edit", json!({"id_repuesto": part, "edits": []}), Some(RowLock::Part(part))),
            ("cart.remove", json!({"id_item_carrito": other}), None),
            ("order.advance", json!({"id_orden": other, "nivel": 3}), None),
            ("order.edit", json!({"id_orden": other, "edits": []}), None),
        ];
        for (name, args, lock) in cases {
            let mutation = Mutation::parse(name, &args).unwrap_or_else(|r| panic!("{name}: {r}"));
            assert_eq!(mutation.row_lock(), lock, "{name}");
        }
    }

    #[test]
    fn every_name_parses_and_round_trips() {
        let id = Uuid::nil();
        let samples = [
            ("part.create", json!({"id_repuesto": id, "referencia": "MTR-500W-48V", "nombre": "Motor"})),
            ("part.edit", json!({"id_repuesto": id, "edits": [{"field": "nombre", "old": "a", "new": "b"}]})),
            ("part.discontinue", json!({"id_repuesto": id})),
            ("inventory.settings", json!({"id_localizacion": id, "id_repuesto": id, "edits": []})),
            ("inventory.adjust", json!({"id_localizacion": id, "id_repuesto": id, "delta": -2, "motivo": "rotura"})),
            (
                "movement.record",
                json!({"id_movimientos_tecnicos": id, "id_localizacion": id, "id_repuesto": id, "id_tecnico_asignado": id, "concepto": "salida", "tipo": "salida", "cantidad": 1}),
            ),
            ("cart.add", json!({"id_item_carrito": id, "id_localizacion": id, "id_repuesto": id, "cantidad": 2})),
            ("cart.set", json!({"id_item_carrito": id, "cantidad": 3})),
            ("cart.remove", json!({"id_item_carrito": id})),
            (
                "request.create",
                json!({"id_solicitud": id, "id_localizacion_origen": id, "id_localizacion_destino": id, "lines": [{"id_detalle": id, "id_repuesto": id, "cantidad": 1}]}),
            ),
            ("request.pick", json!({"id_solicitud": id})),
            (
                "request.dispatch",
                json!({"id_solicitud": id, "lines": [{"id_detalle": id, "cantidad": 1}], "guia_transporte": "G-1"}),
            ),
            ("request.receive", json!({"id_solicitud": id})),
            ("request.cancel", json!({"id_solicitud": id, "comentario": "ya no"})),
            ("count.start", json!({"id_conteo": id, "id_localizacion": id})),
            ("count.line", json!({"id_detalle_conteo": id, "id_conteo": id, "id_repuesto": id, "cantidad_csa": 4})),
            ("count.close", json!({"id_conteo": id})),
            (
                "warranty.create",
                json!({"id_garantia": id, "id_localizacion": id, "id_repuesto": id, "cantidad": 1, "motivo_falla": "no gira"}),
            ),
            ("warranty.edit", json!({"id_garantia": id, "edits": []})),
            ("warranty.submit", json!({"id_garantia": id})),
            ("warranty.approve", json!({"id_garantia": id})),
            ("warranty.reject", json!({"id_garantia": id, "comentarios_resolucion": "uso indebido"})),
            ("notification.read", json!({"id_notificacion": id})),
            ("user.approve", json!({"id_usuario": id})),
            ("user.reject", json!({"id_usuario": id, "motivo_rechazo": "desconocido"})),
            ("user.assign", json!({"id_usuario": id, "id_localizacion": id})),
            ("user.unassign", json!({"id_usuario": id, "id_localizacion": id})),
            ("location.policy", json!({"id_localizacion": id, "stock_negativo": "reject"})),
            ("model.create", json!({"id_tipo": id, "nombre": "Urbano 350", "potencia": "350W"})),
            ("model.edit", json!({"id_tipo": id, "edits": [{"field": "potencia", "old": "350W", "new": "500W"}]})),
            ("order.create", json!({"id_orden": id, "numero_orden": "OC-1", "id_tipo_scooter": id})),
            ("order.advance", json!({"id_orden": id, "nivel": 2, "estado": "En tránsito"})),
            ("order.edit", json!({"id_orden": id, "edits": []})),
        ];
        assert_eq!(samples.len(), MUTATION_NAMES.len());
        for ((name, args), listed) in samples.iter().zip(MUTATION_NAMES) {
            assert_eq!(name, listed, "catalogue order");
            let mutation = Mutation::parse(name, args).unwrap_or_else(|r| panic!("{name}: {r}"));
            assert_eq!(mutation.name(), *name);
            let again = Mutation::parse(name, &mutation.args()).expect("round trip");
            assert_eq!(again, mutation);
            // The tables it writes are replicated tables of the catalogue.
            assert!(!mutation.tables().is_empty(), "{name}");
            for table in mutation.tables() {
                assert!(crate::tables::TABLES.iter().any(|t| t.name == *table), "{name}: {table}");
            }
        }
    }

    #[test]
    fn bad_arguments_are_rejections_not_panics() {
        let cases = [
            ("no.such", json!({}), RejectionCode::UnknownMutation),
            ("cart.set", json!({"id_item_carrito": "nope", "cantidad": 1}), RejectionCode::InvalidArguments),
            ("cart.set", json!({"id_item_carrito": Uuid::nil(), "cantidad": "3"}), RejectionCode::InvalidArguments),
            (
                "cart.set",
                json!({"id_item_carrito": Uuid::nil(), "cantidad": 1, "extra": 1}),
                RejectionCode::InvalidArguments,
            ),
            ("movement.record", json!({"concepto": "robo"}), RejectionCode::InvalidArguments),
            ("cart.remove", json!([1, 2]), RejectionCode::InvalidArguments),
            (
                "cart.add",
                json!({"id_item_carrito": Uuid::nil(), "id_localizacion": Uuid::nil(), "id_repuesto": Uuid::nil(), "cantidad": 3000000000u64}),
                RejectionCode::InvalidArguments,
            ),
        ];
        for (name, args, code) in cases {
            assert_eq!(Mutation::parse(name, &args).err().map(|r| r.code), Some(code), "{name} {args}");
        }
    }
}
