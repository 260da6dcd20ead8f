//! Local application of every mutation on an in-memory replica seeded as a pull would leave
//! it: effects (rows, stock, ledger), rejections (same codes and parameters as the server),
//! all-or-nothing application, and undoing local writes through the shadow rows.

use super::fixtures::{seed, seed_item, BASE};
use super::*;
use crate::checksum::replica_checksums;
use crate::outbox;
use crate::replica::Replica;
use chrono::{Duration, TimeZone};
use serde_json::{json, Map};
use std::collections::{BTreeMap, BTreeSet};
use taller_domain::{Permiso, RejectionCode};
use taller_protocol::checksum::TableChecksum;
use taller_protocol::mutations::MUTATION_NAMES;

// ---------------------------------------------------------------------------------------------
// The seeded replica.
// ---------------------------------------------------------------------------------------------

const fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

const ROLE_ADMIN: Uuid = id(0xa001);
const ROLE_SUPER: Uuid = id(0xa002);
const ROLE_TECNICO: Uuid = id(0xa003);

const L1: Uuid = id(0x1001);
const L2: Uuid = id(0x1002); // policy: reject
const L3: Uuid = id(0x1003); // nobody but the admin

const ADMIN: Uuid = id(0x2001);
const SUPER: Uuid = id(0x2002); // L1, L2
const TECNICO: Uuid = id(0x2003); // L1
const TECNICO2: Uuid = id(0x2004); // L1
const PENDING: Uuid = id(0x2005); // not approved, no location

const P1: Uuid = id(0x3001);
const P2: Uuid = id(0x3002);
const P3: Uuid = id(0x3003);

const I11: Uuid = id(0x4011); // L1 P1: 10
const I12: Uuid = id(0x4012); // L1 P2: 1
const I21: Uuid = id(0x4021); // L2 P1: 5

const R1: Uuid = id(0x5101); // PENDIENTE L2 -> L1, by TECNICO
const R2: Uuid = id(0x5102); // ALISTAMIENTO L2 -> L1, by TECNICO
const R3: Uuid = id(0x5103); // CANCELADO by SUPER
const D1: Uuid = id(0x5001); // R1 P1 x3
const D2: Uuid = id(0x5002); // R1 P2 x2
const D3: Uuid = id(0x5003); // R2 P1 x2
const D4: Uuid = id(0x5004); // R2 P3 x1
const D5: Uuid = id(0x5005); // R3 P1 x1

const W1: Uuid = id(0x6001); // SIN_ENVIAR L1
const W2: Uuid = id(0x6002); // PENDIENTE L1
const W3: Uuid = id(0x6003); // SIN_ENVIAR L3

const C1: Uuid = id(0x7001); // open, L1
const C2: Uuid = id(0x7002); // closed, L1
const DC1: Uuid = id(0x7101); // C1: P1 counted 6

const K1: Uuid = id(0x8001); // TECNICO's cart: L1 P3 x4
const K2: Uuid = id(0x8002); // SUPER's cart: L1 P2 x1

const N1: Uuid = id(0x9001); // TECNICO's
const N2: Uuid = id(0x9002); // SUPER's

const ADMIN_PERMISOS: &str = r#"{"inventory":  {"view": true, "create": true, "edit": true, "delete": true},
      "requests":   {"view": true, "create": true, "approve": true},
      "guarantees": {"view": true, "create": true, "resolve": true},
      "users":      {"view": true, "manage": true}}"#;
const SUPER_PERMISOS: &str = r#"{"inventory":  {"view": true, "create": true, "edit": true, "delete": true},
      "requests":   {"view": true, "create": true, "approve": true},
      "guarantees": {"view": true, "create": true, "resolve": true},
      "users":      {"view": true, "manage": false}}"#;
const TECNICO_PERMISOS: &str = r#"{"inventory":  {"view": true, "create": true, "edit": false, "delete": false},
      "requests":   {"view": true, "create": true, "approve": false},
      "guarantees": {"view": true, "create": true, "resolve": false},
      "users":      {"view": false, "manage": false}}"#;

fn permisos(text: &str) -> Value {
    serde_json::from_str(text).expect("permisos json")
}

fn seed_user(conn: &Connection, id_usuario: Uuid, nombre: &str, rol: Uuid, aprobado: bool) {
    seed(
        conn,
        "usuarios",
        &[
            ("id_usuario", json!(id_usuario)),
            ("nombre_completo", json!(nombre)),
            ("email", json!(format!("{id_usuario}@taller.test"))),
            ("id_rol", json!(rol)),
            ("aprobado", json!(aprobado)),
            ("created_at", json!(BASE)),
        ],
    );
}

fn seed_request(conn: &Connection, id_solicitud: Uuid, estado: &str) {
    seed(
        conn,
        "solicitudes",
        &[
            ("id_solicitud", json!(id_solicitud)),
            ("id_localizacion_origen", json!(L2)),
            ("id_localizacion_destino", json!(L1)),
            ("id_usuario_solicitante", json!(TECNICO)),
            ("estado", json!(estado)),
            ("fecha_creacion", json!(BASE)),
        ],
    );
}

fn seed_trace(conn: &Connection, n: u128, id_solicitud: Uuid, from: Option<&str>, to: &str, who: Uuid, at: &str) {
    seed(
        conn,
        "trazabilidad_solicitudes",
        &[
            ("id_trazabilidad", json!(id(0x5200 + n))),
            ("id_solicitud", json!(id_solicitud)),
            ("estado_anterior", from.map_or(Value::Null, |f| json!(f))),
            ("estado_nuevo", json!(to)),
            ("id_usuario", json!(who)),
            ("fecha_cambio", json!(at)),
        ],
    );
}

fn seed_line(conn: &Connection, id_detalle: Uuid, id_solicitud: Uuid, id_repuesto: Uuid, cantidad: i32) {
    seed(
        conn,
        "detalles_solicitud",
        &[
            ("id_detalle", json!(id_detalle)),
            ("id_solicitud", json!(id_solicitud)),
            ("id_repuesto", json!(id_repuesto)),
            ("cantidad_solicitada", json!(cantidad)),
        ],
    );
}

fn seed_claim(conn: &Connection, id_garantia: Uuid, loc: Uuid, part: Uuid, cantidad: i32, estado: &str) {
    seed(
        conn,
        "garantias",
        &[
            ("id_garantia", json!(id_garantia)),
            ("id_repuesto", json!(part)),
            ("id_localizacion", json!(loc)),
            ("id_usuario_reporta", json!(TECNICO)),
            ("cantidad", json!(cantidad)),
            ("motivo_falla", json!("no carga")),
            ("estado", json!(estado)),
            ("fecha_reporte", json!(BASE)),
        ],
    );
}

/// A replica as a pull would leave it: three roles, three locations, users of each role,
/// parts, stock, a cart, requests, claims, counts and notifications.
fn seeded() -> Replica {
    let replica = Replica::in_memory().expect("replica");
    let conn = &replica.conn;
    for (rol, nombre, json) in [
        (ROLE_ADMIN, "admin", ADMIN_PERMISOS),
        (ROLE_SUPER, "superuser", SUPER_PERMISOS),
        (ROLE_TECNICO, "tecnico", TECNICO_PERMISOS),
    ] {
        seed(
            conn,
            "roles",
            &[
                ("id_rol", json!(rol)),
                ("nombre_rol", json!(nombre)),
                ("permisos", permisos(json)),
                ("created_at", json!(BASE)),
            ],
        );
    }
    for (loc, nombre) in [(L1, "Centro"), (L2, "Norte"), (L3, "Sur")] {
        seed(
            conn,
            "localizacion",
            &[
                ("id_localizacion", json!(loc)),
                ("nombre", json!(nombre)),
                ("activo", json!(true)),
                ("created_at", json!(BASE)),
            ],
        );
    }
    seed(conn, "localizacion_politicas", &[("id_localizacion", json!(L2)), ("stock_negativo", json!("reject"))]);
    seed_user(conn, ADMIN, "Ana Admin", ROLE_ADMIN, true);
    seed_user(conn, SUPER, "Sara Super", ROLE_SUPER, true);
    seed_user(conn, TECNICO, "Tomás Técnico", ROLE_TECNICO, true);
    seed_user(conn, TECNICO2, "Teo Técnico", ROLE_TECNICO, true);
    seed_user(conn, PENDING, "Pablo Pendiente", ROLE_TECNICO, false);
    for (user, loc) in [(SUPER, L1), (SUPER, L2), (TECNICO, L1), (TECNICO2, L1)] {
        seed(
            conn,
            "usuarios_localizacion",
            &[("id_usuario", json!(user)), ("id_localizacion", json!(loc)), ("created_at", json!(BASE))],
        );
    }
    for (part, referencia, nombre) in
        [(P1, "BAT-48V", "Batería 48V"), (P2, "MTR-500W", "Motor 500W"), (P3, "CTL-48V", "Controlador 48V")]
    {
        seed(
            conn,
            "repuestos",
            &[
                ("id_repuesto", json!(part)),
                ("referencia", json!(referencia)),
                ("nombre", json!(nombre)),
                ("tipo", json!("Eléctrico")),
                ("descontinuado", json!(false)),
                ("created_at", json!(BASE)),
            ],
        );
    }
    seed_item(conn, I11, L1, P1, 10, 2, None);
    seed_item(conn, I12, L1, P2, 1, 0, None);
    seed_item(conn, I21, L2, P1, 5, 0, None);
    for (line, user, part, cantidad) in [(K1, TECNICO, P3, 4), (K2, SUPER, P2, 1)] {
        seed(
            conn,
            "carrito_solicitudes",
            &[
                ("id_item_carrito", json!(line)),
                ("id_usuario", json!(user)),
                ("id_localizacion", json!(L1)),
                ("id_repuesto", json!(part)),
                ("cantidad", json!(cantidad)),
                ("created_at", json!(BASE)),
            ],
        );
    }
    seed_request(conn, R1, "PENDIENTE");
    seed_request(conn, R2, "ALISTAMIENTO");
    seed_request(conn, R3, "CANCELADO");
    seed_line(conn, D1, R1, P1, 3);
    seed_line(conn, D2, R1, P2, 2);
    seed_line(conn, D3, R2, P1, 2);
    seed_line(conn, D4, R2, P3, 1);
    seed_line(conn, D5, R3, P1, 1);
    seed_trace(conn, 1, R1, None, "PENDIENTE", TECNICO, BASE);
    seed_trace(conn, 2, R2, None, "PENDIENTE", TECNICO, BASE);
    seed_trace(conn, 3, R2, Some("PENDIENTE"), "ALISTAMIENTO", SUPER, "2026-11-22T09:10:00+00:00");
    seed_trace(conn, 4, R3, None, "PENDIENTE", TECNICO, BASE);
    seed_trace(conn, 5, R3, Some("PENDIENTE"), "CANCELADO", SUPER, "2026-11-22T09:20:00.123456+00:00");
    seed_claim(conn, W1, L1, P1, 2, "SIN_ENVIAR");
    seed_claim(conn, W2, L1, P2, 1, "PENDIENTE");
    seed_claim(conn, W3, L3, P1, 1, "SIN_ENVIAR");
    for (count, totals) in [(C1, (1, 1, 0)), (C2, (0, 0, 0))] {
        seed(
            conn,
            "registro_conteo",
            &[
                ("id_conteo", json!(count)),
                ("id_localizacion", json!(L1)),
                ("id_usuario", json!(SUPER)),
                ("fecha_conteo", json!(BASE)),
                ("total_items", json!(totals.0)),
                ("total_diferencias", json!(totals.1)),
                ("items_con_pq", json!(totals.2)),
                ("created_at", json!(BASE)),
            ],
        );
    }
    seed(
        conn,
        "detalles_conteo",
        &[
            ("id_detalle_conteo", json!(DC1)),
            ("id_conteo", json!(C1)),
            ("id_repuesto", json!(P1)),
            ("cantidad_sistema", json!(10)),
            ("cantidad_csa", json!(6)),
            ("cantidad_pq", json!(0)),
            ("diferencia", json!(4)),
        ],
    );
    seed(
        conn,
        "conteos_cerrados",
        &[("id_conteo", json!(C2)), ("id_usuario", json!(SUPER)), ("cerrado_en", json!(BASE))],
    );
    for (notification, user) in [(N1, TECNICO), (N2, SUPER)] {
        seed(
            conn,
            "notificaciones",
            &[
                ("id_notificacion", json!(notification)),
                ("id_usuario", json!(user)),
                ("titulo", json!("Stock bajo")),
                ("mensaje", json!("BAT-48V")),
                ("tipo", json!("alerta_stock")),
                ("prioridad", json!("alta")),
                ("leida", json!(false)),
                ("created_at", json!(BASE)),
            ],
        );
    }
    replica
}

// ---------------------------------------------------------------------------------------------
// Acting.
// ---------------------------------------------------------------------------------------------

/// The person's time: 10:00 on the seed day plus `minutes`.
fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).single().expect("time") + Duration::minutes(minutes)
}

fn stamp(minutes: i64) -> Value {
    timestamp(t(minutes))
}

/// Applies a mutation as `who` at `t(minutes)`, without queueing it. Returns its id too.
fn attempt(conn: &Connection, who: Uuid, minutes: i64, name: &str, args: Value) -> (Uuid, LocalResult<Value>) {
    let user = LocalUser::load(conn, who).expect("load user").expect("user in replica");
    let mutation = Mutation::parse(name, &args).unwrap_or_else(|r| panic!("{name} arguments: {r}"));
    let id_mutacion = Uuid::new_v4();
    let ctx = LocalCtx { conn, user: &user, at: t(minutes), id_mutacion };
    (id_mutacion, apply(&ctx, &mutation))
}

/// A local action as the engine does it: applied, then queued (with the same id and time).
fn act(conn: &Connection, who: Uuid, minutes: i64, name: &str, args: Value) -> LocalResult<Value> {
    let (id_mutacion, outcome) = attempt(conn, who, minutes, name, args.clone());
    if outcome.is_ok() {
        outbox::enqueue(conn, id_mutacion, name, &args, t(minutes)).expect("enqueue");
    }
    outcome
}

/// A local action that must apply.
fn done(conn: &Connection, who: Uuid, minutes: i64, name: &str, args: Value) -> Value {
    act(conn, who, minutes, name, args).unwrap_or_else(|failure| panic!("{name}: {failure}"))
}

/// The rejection a local action must get.
fn refused(conn: &Connection, who: Uuid, minutes: i64, name: &str, args: Value) -> Rechazo {
    match act(conn, who, minutes, name, args) {
        Err(LocalFailure::Rejected(rechazo)) => rechazo,
        Err(LocalFailure::Db(error)) => panic!("{name}: replica error {error}"),
        Ok(value) => panic!("{name}: applied ({value}) but should have been refused"),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the replica.
// ---------------------------------------------------------------------------------------------

fn cell(conn: &Connection, table_name: &str, key: impl ToString, column: &str) -> Value {
    let table = rows::table(table_name).expect("table");
    let row = rows::get(conn, table, &key.to_string()).expect("get").unwrap_or_else(|| {
        panic!("{table_name} {} is missing", key.to_string());
    });
    rows::value(table, &row, column).clone()
}

fn row_exists(conn: &Connection, table_name: &str, key: impl ToString) -> bool {
    exists(conn, table_name, &key.to_string()).expect("exists")
}

fn stock(conn: &Connection, loc: Uuid, part: Uuid) -> Option<i32> {
    ledger::find_item(conn, loc, part).expect("item").map(|item| item.stock)
}

fn item_id(conn: &Connection, loc: Uuid, part: Uuid) -> Uuid {
    ledger::find_item(conn, loc, part).expect("item").expect("item exists").id_inventario
}

/// One ledger row as the tests look at it.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    tipo: String,
    anterior: i64,
    nueva: i64,
    diferencia: i64,
    motivo: Value,
    detalles: Value,
    id_usuario: Value,
    fecha: Value,
}

/// The ledger of an item, oldest first (by time, then by the order the rows were written in
/// a test: every row a test writes has its own time).
fn ledger(conn: &Connection, loc: Uuid, part: Uuid) -> Vec<Entry> {
    let Some(item) = ledger::find_item(conn, loc, part).expect("item") else {
        return Vec::new();
    };
    let table = rows::table("logs_inventario").expect("table");
    let mut entries: Vec<(DateTime<Utc>, Entry)> = rows::all(conn, table)
        .expect("rows")
        .into_iter()
        .filter(|row| uuid_at(table, row, "id_inventario") == Some(item.id_inventario))
        .map(|row| {
            let fecha = rows::value(table, &row, "fecha").clone();
            let at = fecha.as_str().and_then(parse_timestamp).expect("fecha");
            let number = |column: &str| rows::value(table, &row, column).as_i64().expect("number");
            let entry = Entry {
                tipo: text_at(table, &row, "tipo_operacion").unwrap_or_default().to_owned(),
                anterior: number("cantidad_anterior"),
                nueva: number("cantidad_nueva"),
                diferencia: number("diferencia"),
                motivo: rows::value(table, &row, "motivo").clone(),
                detalles: rows::value(table, &row, "detalles").clone(),
                id_usuario: rows::value(table, &row, "id_usuario").clone(),
                fecha,
            };
            (at, entry)
        })
        .collect();
    entries.sort_by_key(|(at, _)| *at);
    entries.into_iter().map(|(_, entry)| entry).collect()
}

fn summary(entries: &[Entry]) -> Vec<(&str, i64, i64, i64)> {
    entries.iter().map(|e| (e.tipo.as_str(), e.anterior, e.nueva, e.diferencia)).collect()
}

fn count_rows(conn: &Connection, sql: &str, param: impl ToString) -> i64 {
    conn.query_row(sql, [param.to_string()], |row| row.get(0)).expect("count")
}

fn shadow_count(conn: &Connection) -> i64 {
    conn.query_row("SELECT count(*) FROM shadow_rows", [], |row| row.get(0)).expect("shadows")
}

fn checksums(conn: &Connection) -> BTreeMap<String, TableChecksum> {
    replica_checksums(conn).expect("checksums")
}

/// One trace row: (from, to, user, comment).
type Trace = (Value, String, Value, Value);

/// The trace of a request, in order.
fn trace_of(conn: &Connection, id_solicitud: Uuid) -> Vec<Trace> {
    let table = rows::table("trazabilidad_solicitudes").expect("table");
    let mut found: Vec<(DateTime<Utc>, Trace)> = rows::all(conn, table)
        .expect("rows")
        .into_iter()
        .filter(|row| uuid_at(table, row, "id_solicitud") == Some(id_solicitud))
        .map(|row| {
            let at = text_at(table, &row, "fecha_cambio").and_then(parse_timestamp).expect("fecha_cambio");
            (
                at,
                (
                    rows::value(table, &row, "estado_anterior").clone(),
                    text_at(table, &row, "estado_nuevo").unwrap_or_default().to_owned(),
                    rows::value(table, &row, "id_usuario").clone(),
                    rows::value(table, &row, "comentario").clone(),
                ),
            )
        })
        .collect();
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, row)| row).collect()
}

// ---------------------------------------------------------------------------------------------
// The acting user.
// ---------------------------------------------------------------------------------------------

#[test]
fn the_local_user_comes_from_the_replica() {
    let replica = seeded();
    let conn = &replica.conn;
    let admin = LocalUser::load(conn, ADMIN).expect("load").expect("admin");
    assert!(admin.is_admin);
    assert_eq!(admin.localizaciones, vec![L1, L2, L3], "an admin sees every location");
    assert!(admin.allows(Permiso::UsersManage));
    let superuser = LocalUser::load(conn, SUPER).expect("load").expect("superuser");
    assert!(!superuser.is_admin);
    assert_eq!(superuser.localizaciones, vec![L1, L2]);
    assert!(superuser.allows(Permiso::RequestsApprove));
    assert!(!superuser.allows(Permiso::UsersManage));
    let tecnico = LocalUser::load(conn, TECNICO).expect("load").expect("tecnico");
    assert_eq!(tecnico.localizaciones, vec![L1]);
    assert!(tecnico.allows(Permiso::InventoryCreate));
    assert!(!tecnico.allows(Permiso::InventoryEdit));
    assert!(!tecnico.in_scope(L2));
    let pending = LocalUser::load(conn, PENDING).expect("load").expect("pending");
    assert!(pending.localizaciones.is_empty());
    assert_eq!(LocalUser::load(conn, id(0xdead)).expect("load"), None);
    // A role the replica does not have grants nothing.
    seed_user(conn, id(0x2099), "Sin Rol", id(0xa099), true);
    let orphan = LocalUser::load(conn, id(0x2099)).expect("load").expect("user");
    assert_eq!(orphan.permisos, Permisos::default());
    assert!(!orphan.is_admin);
}

// ---------------------------------------------------------------------------------------------
// Rejections: every code the client can decide, with the server's parameters, and nothing
// written.
// ---------------------------------------------------------------------------------------------

struct Refusal {
    who: Uuid,
    name: &'static str,
    args: Value,
    code: RejectionCode,
    params: Vec<(&'static str, Value)>,
}

fn case(who: Uuid, name: &'static str, args: Value, code: RejectionCode) -> Refusal {
    Refusal { who, name, args, code, params: Vec::new() }
}

impl Refusal {
    fn with(mut self, name: &'static str, value: impl Into<Value>) -> Refusal {
        self.params.push((name, value.into()));
        self
    }
}

fn refusals() -> Vec<Refusal> {
    use RejectionCode as C;
    let new = Uuid::new_v4;
    let movement = |loc: Uuid, part: Uuid, tecnico: Uuid, concepto: &str, tipo: &str, cantidad: i32| {
        json!({"id_movimientos_tecnicos": new(), "id_localizacion": loc, "id_repuesto": part,
               "id_tecnico_asignado": tecnico, "concepto": concepto, "tipo": tipo, "cantidad": cantidad})
    };
    let adjust = |loc: Uuid, part: Uuid, delta: i32, motivo: &str| {
        json!({"id_localizacion": loc, "id_repuesto": part,
               "delta": delta, "motivo": motivo})
    };
    let edit = |field: &str, new_value: Value| json!([{"field": field, "old": null, "new": new_value}]);
    vec![
        // forbidden: the role lacks the mutation's permission.
        case(TECNICO, "part.edit", json!({"id_repuesto": P1, "edits": edit("nombre", json!("x"))}), C::Forbidden)
            .with("permission", "inventory.edit"),
        case(TECNICO, "part.discontinue", json!({"id_repuesto": P1}), C::Forbidden)
            .with("permission", "inventory.delete"),
        case(TECNICO, "inventory.adjust", adjust(L1, P1, -1, "rotura"), C::Forbidden)
            .with("permission", "inventory.edit"),
        case(TECNICO, "count.start", json!({"id_conteo": new(), "id_localizacion": L1}), C::Forbidden)
            .with("permission", "inventory.edit"),
        case(TECNICO, "request.pick", json!({"id_solicitud": R1}), C::Forbidden).with("permission", "requests.approve"),
        case(TECNICO, "warranty.approve", json!({"id_garantia": W2}), C::Forbidden)
            .with("permission", "guarantees.resolve"),
        case(SUPER, "user.assign", json!({"id_usuario": TECNICO, "id_localizacion": L2}), C::Forbidden)
            .with("permission", "users.manage"),
        case(TECNICO, "location.policy", json!({"id_localizacion": L1, "stock_negativo": "reject"}), C::Forbidden)
            .with("permission", "users.manage"),
        // Neither the requester nor an approver.
        case(TECNICO2, "request.cancel", json!({"id_solicitud": R1}), C::Forbidden)
            .with("permission", "requests.approve"),
        // location_out_of_scope.
        case(TECNICO, "movement.record", movement(L2, P1, TECNICO, "salida", "salida", 1), C::LocationOutOfScope)
            .with("id_localizacion", L2.to_string()),
        case(SUPER, "inventory.adjust", adjust(L3, P1, 1, "llegada"), C::LocationOutOfScope)
            .with("id_localizacion", L3.to_string()),
        case(
            TECNICO,
            "cart.add",
            json!({"id_item_carrito": new(), "id_localizacion": L2, "id_repuesto": P1, "cantidad": 1}),
            C::LocationOutOfScope,
        )
        .with("id_localizacion", L2.to_string()),
        case(TECNICO, "warranty.submit", json!({"id_garantia": W3}), C::LocationOutOfScope)
            .with("id_localizacion", L3.to_string()),
        case(
            SUPER,
            "request.create",
            json!({"id_solicitud": new(), "id_localizacion_origen": L1, "id_localizacion_destino": L3,
                   "lines": [{"id_detalle": new(), "id_repuesto": P1, "cantidad": 1}]}),
            C::LocationOutOfScope,
        ),
        // invalid_quantity.
        case(TECNICO, "movement.record", movement(L1, P1, TECNICO, "salida", "salida", 0), C::InvalidQuantity)
            .with("cantidad", 0)
            .with("max", 100_000),
        case(
            TECNICO,
            "cart.add",
            json!({"id_item_carrito": new(), "id_localizacion": L1, "id_repuesto": P1, "cantidad": 100_001}),
            C::InvalidQuantity,
        )
        .with("cantidad", 100_001),
        case(TECNICO, "cart.set", json!({"id_item_carrito": K1, "cantidad": 0}), C::InvalidQuantity),
        case(SUPER, "inventory.adjust", adjust(L1, P1, 0, "nada"), C::InvalidQuantity),
        case(
            SUPER,
            "inventory.settings",
            json!({"id_localizacion": L1, "id_repuesto": P1, "edits": edit("cantidad_minima", json!(-1))}),
            C::InvalidQuantity,
        )
        .with("cantidad", -1),
        case(
            SUPER,
            "count.line",
            json!({"id_detalle_conteo": new(), "id_conteo": C1, "id_repuesto": P2, "cantidad_csa": -1}),
            C::InvalidQuantity,
        ),
        // More small loose parts than units counted.
        case(
            SUPER,
            "count.line",
            json!({"id_detalle_conteo": new(), "id_conteo": C1, "id_repuesto": P2, "cantidad_csa": 0, "cantidad_pq": 3}),
            C::InvalidArguments,
        )
        .with("cantidad_csa", 0)
        .with("cantidad_pq", 3),
        case(
            TECNICO,
            "warranty.create",
            json!({"id_garantia": new(), "id_localizacion": L1, "id_repuesto": P1, "cantidad": 0, "motivo_falla": "x"}),
            C::InvalidQuantity,
        ),
        case(
            TECNICO,
            "warranty.edit",
            json!({"id_garantia": W1, "edits": [{"field": "cantidad", "old": 2, "new": 0}]}),
            C::InvalidQuantity,
        ),
        case(
            SUPER,
            "request.dispatch",
            json!({"id_solicitud": R2, "lines": [{"id_detalle": D3, "cantidad": -1}]}),
            C::InvalidQuantity,
        ),
        // invalid_movement.
        case(TECNICO, "movement.record", movement(L1, P1, TECNICO, "venta", "ingreso", 1), C::InvalidMovement)
            .with("concepto", "venta")
            .with("tipo", "ingreso"),
        // insufficient_stock under the reject policy (L2 has 5 of P1).
        case(SUPER, "inventory.adjust", adjust(L2, P1, -6, "rotura"), C::InsufficientStock)
            .with("available", 5)
            .with("requested", 6),
        case(
            SUPER,
            "request.dispatch",
            json!({"id_solicitud": R2, "lines": [{"id_detalle": D3, "cantidad": 6}]}),
            C::InsufficientStock,
        )
        .with("available", 5)
        .with("requested", 6),
        // invalid_transition, naming who set the current state and when.
        case(SUPER, "request.receive", json!({"id_solicitud": R1}), C::InvalidTransition)
            .with("entity", "solicitud")
            .with("from", "PENDIENTE")
            .with("to", "RECIBIDO")
            .with("changed_by", "Tomás Técnico")
            .with("changed_at", "2026-11-22T09:00:00+00:00"),
        case(SUPER, "request.pick", json!({"id_solicitud": R3}), C::InvalidTransition)
            .with("from", "CANCELADO")
            .with("to", "ALISTAMIENTO")
            .with("changed_by", "Sara Super")
            .with("changed_at", "2026-11-22T09:20:00.123456+00:00"),
        case(SUPER, "request.cancel", json!({"id_solicitud": R3}), C::InvalidTransition).with("from", "CANCELADO"),
        case(TECNICO, "warranty.submit", json!({"id_garantia": W2}), C::InvalidTransition)
            .with("entity", "garantia")
            .with("from", "PENDIENTE")
            .with("to", "PENDIENTE"),
        case(SUPER, "warranty.approve", json!({"id_garantia": W1}), C::InvalidTransition)
            .with("from", "SIN_ENVIAR")
            .with("to", "APROBADA")
            .with("changed_by", "Tomás Técnico")
            .with("changed_at", "2026-11-22T09:00:00+00:00"),
        // not_editable.
        case(
            TECNICO,
            "warranty.edit",
            json!({"id_garantia": W2, "edits": edit("motivo_falla", json!("x"))}),
            C::NotEditable,
        )
        .with("estado", "PENDIENTE"),
        // count_closed.
        case(
            SUPER,
            "count.line",
            json!({"id_detalle_conteo": new(), "id_conteo": C2, "id_repuesto": P1, "cantidad_csa": 1}),
            C::CountClosed,
        )
        .with("id_conteo", C2.to_string()),
        case(SUPER, "count.close", json!({"id_conteo": C2}), C::CountClosed).with("id_conteo", C2.to_string()),
        // reason_required.
        case(SUPER, "inventory.adjust", adjust(L1, P1, -1, "   "), C::ReasonRequired),
        case(SUPER, "warranty.reject", json!({"id_garantia": W2, "comentarios_resolucion": " "}), C::ReasonRequired),
        case(SUPER, "warranty.reject", json!({"id_garantia": W2}), C::ReasonRequired),
        case(ADMIN, "user.reject", json!({"id_usuario": PENDING, "motivo_rechazo": ""}), C::ReasonRequired),
        case(
            TECNICO,
            "warranty.create",
            json!({"id_garantia": new(), "id_localizacion": L1, "id_repuesto": P1, "cantidad": 1,
                   "motivo_falla": "  "}),
            C::ReasonRequired,
        ),
        // duplicate_reference (compared trimmed and upper-cased).
        case(
            SUPER,
            "part.edit",
            json!({"id_repuesto": P1, "edits": edit("referencia", json!(" mtr-500w "))}),
            C::DuplicateReference,
        )
        .with("referencia", "MTR-500W"),
        // unknown_field.
        case(SUPER, "part.edit", json!({"id_repuesto": P1, "edits": edit("created_at", json!(BASE))}), C::UnknownField)
            .with("field", "created_at"),
        case(
            SUPER,
            "inventory.settings",
            json!({"id_localizacion": L1, "id_repuesto": P1, "edits": edit("stock_actual", json!(99))}),
            C::UnknownField,
        )
        .with("field", "stock_actual"),
        case(
            TECNICO,
            "warranty.edit",
            json!({"id_garantia": W1, "edits": edit("estado", json!("APROBADA"))}),
            C::UnknownField,
        )
        .with("field", "estado"),
        // A valid first edit does not survive a bad second one.
        case(
            SUPER,
            "part.edit",
            json!({"id_repuesto": P1, "edits": [{"field": "nombre", "old": null, "new": "Otra"},
                                                 {"field": "id_repuesto", "new": "x"}]}),
            C::UnknownField,
        ),
        // empty_request.
        case(
            TECNICO,
            "request.create",
            json!({"id_solicitud": new(), "id_localizacion_origen": L2, "id_localizacion_destino": L1, "lines": []}),
            C::EmptyRequest,
        ),
        // not_found.
        case(TECNICO, "cart.set", json!({"id_item_carrito": new(), "cantidad": 2}), C::NotFound)
            .with("entity", "item_carrito"),
        case(TECNICO, "cart.set", json!({"id_item_carrito": K2, "cantidad": 2}), C::NotFound)
            .with("entity", "item_carrito")
            .with("id", K2.to_string()),
        case(SUPER, "part.edit", json!({"id_repuesto": id(0x3999), "edits": []}), C::NotFound)
            .with("entity", "repuesto")
            .with("id", id(0x3999).to_string()),
        case(SUPER, "request.pick", json!({"id_solicitud": id(0x5999)}), C::NotFound).with("entity", "solicitud"),
        case(TECNICO, "notification.read", json!({"id_notificacion": N2}), C::NotFound).with("entity", "notificacion"),
        case(TECNICO, "movement.record", movement(L1, P1, id(0x2999), "salida", "salida", 1), C::NotFound)
            .with("entity", "usuario"),
        case(TECNICO, "movement.record", movement(L1, id(0x3999), TECNICO, "salida", "salida", 1), C::NotFound)
            .with("entity", "repuesto"),
        case(
            SUPER,
            "count.line",
            json!({"id_detalle_conteo": new(), "id_conteo": id(0x7999), "id_repuesto": P1, "cantidad_csa": 1}),
            C::NotFound,
        )
        .with("entity", "conteo"),
        case(ADMIN, "user.approve", json!({"id_usuario": id(0x2999)}), C::NotFound).with("entity", "usuario"),
        case(
            SUPER,
            "request.dispatch",
            json!({"id_solicitud": R2, "lines": [{"id_detalle": D1, "cantidad": 1}]}),
            C::NotFound,
        )
        .with("entity", "detalle_solicitud"),
        case(ADMIN, "location.policy", json!({"id_localizacion": id(0x1999), "stock_negativo": "allow"}), C::NotFound)
            .with("entity", "localizacion"),
        case(SUPER, "warranty.submit", json!({"id_garantia": id(0x6999)}), C::NotFound).with("entity", "garantia"),
        // already_exists.
        case(
            SUPER,
            "part.create",
            json!({"id_repuesto": P1, "referencia": "NUEVA-1", "nombre": "Nueva"}),
            C::AlreadyExists,
        )
        .with("entity", "repuesto")
        .with("id", P1.to_string()),
        case(
            TECNICO,
            "cart.add",
            json!({"id_item_carrito": K1, "id_localizacion": L1, "id_repuesto": P1, "cantidad": 1}),
            C::AlreadyExists,
        )
        .with("entity", "item_carrito"),
        case(SUPER, "count.start", json!({"id_conteo": C1, "id_localizacion": L1}), C::AlreadyExists)
            .with("entity", "conteo"),
        case(
            TECNICO,
            "request.create",
            json!({"id_solicitud": new(), "id_localizacion_origen": L2, "id_localizacion_destino": L1,
                   "lines": [{"id_detalle": D1, "id_repuesto": P1, "cantidad": 1}]}),
            C::AlreadyExists,
        )
        .with("entity", "detalle_solicitud")
        .with("id", D1.to_string()),
        // invalid_arguments that the handlers decide.
        case(
            TECNICO,
            "request.create",
            json!({"id_solicitud": new(), "id_localizacion_origen": L1, "id_localizacion_destino": L1,
                   "lines": [{"id_detalle": new(), "id_repuesto": P1, "cantidad": 1}]}),
            C::InvalidArguments,
        ),
        case(ADMIN, "user.reject", json!({"id_usuario": ADMIN, "motivo_rechazo": "yo"}), C::InvalidArguments),
        case(
            SUPER,
            "part.create",
            json!({"id_repuesto": new(), "referencia": "  ", "nombre": "x"}),
            C::InvalidArguments,
        ),
        case(SUPER, "part.edit", json!({"id_repuesto": P1, "edits": edit("nombre", json!("  "))}), C::InvalidArguments)
            .with("detail", "nombre cannot be empty"),
        case(
            SUPER,
            "part.edit",
            json!({"id_repuesto": P1, "edits": edit("fecha_estimada", json!("pronto"))}),
            C::InvalidArguments,
        )
        .with("detail", "fecha_estimada has the wrong type"),
    ]
}

#[test]
fn refusals_use_the_servers_codes_and_write_nothing() {
    let pristine = checksums(&seeded().conn);
    let cases = refusals();
    let mut codes = BTreeSet::new();
    for refusal in cases {
        let replica = seeded();
        let conn = &replica.conn;
        let label = format!("{} by {} {}", refusal.name, refusal.who, refusal.args);
        let rechazo = refused(conn, refusal.who, 0, refusal.name, refusal.args.clone());
        assert_eq!(rechazo.code, refusal.code, "{label}: {rechazo}");
        for (name, want) in &refusal.params {
            assert_eq!(rechazo.params.get(*name), Some(want), "{label}: parameter {name} of {:?}", rechazo.params);
        }
        assert_eq!(shadow_count(conn), 0, "{label}: a refused mutation leaves no shadow");
        assert_eq!(checksums(conn), pristine, "{label}: a refused mutation changes nothing");
        codes.insert(refusal.code.as_str());
    }
    let wanted = [
        "forbidden",
        "location_out_of_scope",
        "invalid_quantity",
        "invalid_movement",
        "insufficient_stock",
        "invalid_transition",
        "not_editable",
        "count_closed",
        "reason_required",
        "duplicate_reference",
        "unknown_field",
        "empty_request",
        "not_found",
        "already_exists",
        "invalid_arguments",
    ];
    assert_eq!(codes, wanted.into_iter().collect::<BTreeSet<_>>(), "every local rejection code is exercised");
}

/// Every mutation needs its role permission; the table of which role may do what follows the
/// seeded `roles.permisos` (tecnico: no edit, delete, approve, resolve, manage).
#[test]
fn permissions_follow_the_role_for_every_mutation() {
    let replica = seeded();
    let conn = &replica.conn;
    let tecnico = LocalUser::load(conn, TECNICO).expect("load").expect("tecnico");
    let superuser = LocalUser::load(conn, SUPER).expect("load").expect("superuser");
    let admin = LocalUser::load(conn, ADMIN).expect("load").expect("admin");
    // Arguments whose content does not matter: the permission is checked first.
    let samples: Vec<(&str, Value)> = MUTATION_NAMES.iter().map(|name| (*name, any_args(name))).collect();
    for (name, args) in samples {
        let mutation = Mutation::parse(name, &args).unwrap_or_else(|r| panic!("{name}: {r}"));
        for (user, label) in [(&tecnico, "tecnico"), (&superuser, "superuser"), (&admin, "admin")] {
            let ctx = LocalCtx { conn, user, at: t(0), id_mutacion: Uuid::new_v4() };
            let outcome = apply(&ctx, &mutation);
            let forbidden = matches!(&outcome, Err(LocalFailure::Rejected(r)) if r.code == RejectionCode::Forbidden);
            let allowed = mutation.permission().is_none_or(|permiso| user.allows(permiso));
            assert_eq!(forbidden, !allowed, "{name} by {label}: {outcome:?}");
        }
    }
    assert!(restore(conn) > 0, "the allowed mutations wrote something (undone here)");
}

fn restore(conn: &Connection) -> usize {
    rows::restore_shadows(conn).expect("restore")
}

/// Arguments that parse for each mutation name (mostly naming missing rows).
fn any_args(name: &str) -> Value {
    let x = Uuid::new_v4();
    match name {
        "part.create" => json!({"id_repuesto": x, "referencia": format!("R-{x}"), "nombre": "n"}),
        "part.edit" => json!({"id_repuesto": x, "edits": []}),
        "warranty.edit" => json!({"id_garantia": x, "edits": []}),
        "inventory.settings" => json!({"id_localizacion": x, "id_repuesto": x, "edits": []}),
        "inventory.adjust" => json!({"id_localizacion": x, "id_repuesto": x, "delta": 1, "motivo": "m"}),
        "movement.record" => json!({"id_movimientos_tecnicos": x, "id_localizacion": x, "id_repuesto": x,
                                    "id_tecnico_asignado": x, "concepto": "salida", "tipo": "salida", "cantidad": 1}),
        "cart.add" => json!({"id_item_carrito": x, "id_localizacion": x, "id_repuesto": x, "cantidad": 1}),
        "cart.set" => json!({"id_item_carrito": x, "cantidad": 1}),
        "request.create" => {
            json!({"id_solicitud": x, "id_localizacion_origen": x, "id_localizacion_destino": x, "lines": []})
        }
        "request.pick" | "request.dispatch" | "request.receive" | "request.cancel" => json!({"id_solicitud": x}),
        "count.start" => json!({"id_conteo": x, "id_localizacion": x}),
        "count.line" => json!({"id_detalle_conteo": x, "id_conteo": x, "id_repuesto": x, "cantidad_csa": 1}),
        "warranty.create" => {
            json!({"id_garantia": x, "id_localizacion": x, "id_repuesto": x, "cantidad": 1, "motivo_falla": "m"})
        }
        "user.reject" => json!({"id_usuario": x, "motivo_rechazo": "m"}),
        "user.assign" | "user.unassign" => json!({"id_usuario": x, "id_localizacion": x}),
        "location.policy" => json!({"id_localizacion": x, "stock_negativo": "allow"}),
        "model.create" => json!({"id_tipo": x, "nombre": "n", "potencia": "p"}),
        "model.edit" => json!({"id_tipo": x, "edits": []}),
        "order.create" => json!({"id_orden": x, "numero_orden": format!("OC-{x}"), "id_tipo_scooter": x}),
        "order.advance" => json!({"id_orden": x, "nivel": 2}),
        "order.edit" => json!({"id_orden": x, "edits": []}),
        _ => {
            let mut args = Map::new();
            for field in ["id_repuesto", "id_item_carrito", "id_conteo", "id_garantia", "id_notificacion", "id_usuario"]
            {
                if name.starts_with(field_owner(field)) {
                    args.insert(field.to_owned(), json!(x));
                }
            }
            Value::Object(args)
        }
    }
}

fn field_owner(field: &str) -> &'static str {
    match field {
        "id_repuesto" => "part.",
        "id_item_carrito" => "cart.",
        "id_conteo" => "count.",
        "id_garantia" => "warranty.",
        "id_notificacion" => "notification.",
        _ => "user.",
    }
}

// ---------------------------------------------------------------------------------------------
// Parts.
// ---------------------------------------------------------------------------------------------

/// The server's bound on every text, offline: an over-long text is refused at once with
/// `too_long` naming the field and its limit, the same limit whichever mutation writes the
/// field (`part.edit` of `referencia` included), and nothing is written.
#[test]
fn over_long_texts_are_refused_offline_with_the_servers_limits() {
    let pristine = checksums(&seeded().conn);
    let long = |n: usize| "x".repeat(n);
    let edit = |field: &str, n: usize| json!([{"field": field, "old": null, "new": long(n)}]);
    let cases = [
        (SUPER, "part.edit", json!({"id_repuesto": P1, "edits": edit("referencia", 101)}), "referencia", 100),
        (SUPER, "part.edit", json!({"id_repuesto": P1, "edits": edit("referencia", 1500)}), "referencia", 100),
        (SUPER, "part.edit", json!({"id_repuesto": P1, "edits": edit("tipo", 101)}), "tipo", 100),
        (
            SUPER,
            "part.create",
            json!({"id_repuesto": Uuid::new_v4(), "referencia": "R-1", "nombre": "n", "tipo": long(101)}),
            "tipo",
            100,
        ),
        (SUPER, "part.edit", json!({"id_repuesto": P1, "edits": edit("nombre", 201)}), "nombre", 200),
        (
            SUPER,
            "inventory.settings",
            json!({"id_localizacion": L1, "id_repuesto": P1, "edits": edit("posicion", 101)}),
            "posicion",
            100,
        ),
        (SUPER, "request.pick", json!({"id_solicitud": R1, "comentario": long(2001)}), "comentario", 2000),
        (
            TECNICO,
            "request.create",
            json!({"id_solicitud": Uuid::new_v4(), "id_localizacion_origen": L2, "id_localizacion_destino": L1,
                   "lines": [{"id_detalle": Uuid::new_v4(), "id_repuesto": P1, "cantidad": 1, "observaciones": long(2001)}]}),
            "observaciones",
            2000,
        ),
        (TECNICO, "warranty.edit", json!({"id_garantia": W1, "edits": edit("solicitante", 201)}), "solicitante", 200),
        (
            TECNICO,
            "warranty.create",
            json!({"id_garantia": Uuid::new_v4(), "id_localizacion": L1, "id_repuesto": P1, "cantidad": 1,
                   "motivo_falla": "no gira", "numero_orden": long(101)}),
            "numero_orden",
            100,
        ),
    ];
    for (who, name, args, field, max) in cases {
        let replica = seeded();
        let conn = &replica.conn;
        let rechazo = refused(conn, who, 0, name, args);
        assert_eq!(rechazo.code.as_str(), "too_long", "{name} {field}: {rechazo}");
        assert_eq!(rechazo.params.get("field"), Some(&json!(field)), "{name}: {rechazo:?}");
        assert_eq!(rechazo.params.get("max"), Some(&json!(max)), "{name}: {rechazo:?}");
        assert_eq!(checksums(conn), pristine, "{name} {field}: nothing written");
    }
    // Exactly the limit applies.
    let replica = seeded();
    done(&replica.conn, SUPER, 0, "part.edit", json!({"id_repuesto": P1, "edits": edit("referencia", 100)}));
}

#[test]
fn part_create_normalizes_the_reference_and_merges_a_local_duplicate() {
    let replica = seeded();
    let conn = &replica.conn;
    let created = id(0x3100);
    let result = done(
        conn,
        SUPER,
        0,
        "part.create",
        json!({"id_repuesto": created, "referencia": " scr-10 ", "nombre": " Tornillo ", "tipo": "",
               "marca": " Ninebot ",
               "fecha_estimada": "2026-12-01"}),
    );
    assert_eq!(result, json!({"id_repuesto": created, "merged": false}));
    assert_eq!(cell(conn, "repuestos", created, "referencia"), json!("SCR-10"));
    assert_eq!(cell(conn, "repuestos", created, "nombre"), json!("Tornillo"));
    assert_eq!(cell(conn, "repuestos", created, "tipo"), Value::Null);
    assert_eq!(cell(conn, "repuestos", created, "marca"), json!("Ninebot"));
    assert_eq!(cell(conn, "repuestos", created, "descontinuado"), json!(false));
    assert_eq!(cell(conn, "repuestos", created, "fecha_estimada"), json!("2026-12-01"));
    assert_eq!(cell(conn, "repuestos", created, "created_at"), stamp(0));

    // A reference the replica already has: nothing is written, the survivor is named.
    let shadows = shadow_count(conn);
    let before = checksums(conn);
    let duplicate = id(0x3101);
    let merged = done(
        conn,
        SUPER,
        1,
        "part.create",
        json!({"id_repuesto": duplicate, "referencia": "bat-48v ", "nombre": "Otra"}),
    );
    assert_eq!(merged["merged_into"], json!(P1));
    assert_eq!(merged["merged"], json!(true));
    assert!(!row_exists(conn, "repuestos", duplicate));
    assert_eq!(checksums(conn), before);
    assert_eq!(shadow_count(conn), shadows);

    // The merged id is taken: creating it again is refused, as the server's alias refuses it.
    let again = refused(
        conn,
        SUPER,
        1,
        "part.create",
        json!({"id_repuesto": duplicate, "referencia": "OTRA-9", "nombre": "x"}),
    );
    assert_eq!(
        (again.code, again.params.get("id")),
        (RejectionCode::AlreadyExists, Some(&json!(duplicate.to_string())))
    );

    // Later local mutations that name the merged id act on the survivor, as on the server.
    done(
        conn,
        TECNICO,
        2,
        "cart.add",
        json!({"id_item_carrito": id(0x8100), "id_localizacion": L1, "id_repuesto": duplicate, "cantidad": 2}),
    );
    assert_eq!(cell(conn, "carrito_solicitudes", id(0x8100), "id_repuesto"), json!(P1));
    let result = done(
        conn,
        SUPER,
        3,
        "inventory.adjust",
        json!({"id_localizacion": L1, "id_repuesto": duplicate, "delta": 1, "motivo": "m"}),
    );
    assert_eq!(result["stock_actual"], json!(11));
}

#[test]
fn part_edits_apply_the_new_values_and_discontinue_toggles() {
    let replica = seeded();
    let conn = &replica.conn;
    let result = done(
        conn,
        SUPER,
        0,
        "part.edit",
        json!({"id_repuesto": P1, "edits": [
            {"field": "nombre", "old": "Batería 48V", "new": " Batería 48V 13Ah "},
            {"field": "referencia", "old": "BAT-48V", "new": "bat-48v-13ah"},
            {"field": "descripcion", "old": null, "new": "   "},
            // Replacing a value that is no longer current still applies (the server records a conflict).
            {"field": "marca", "old": "Xiaomi", "new": "Segway"},
            {"field": "fecha_estimada", "old": null, "new": "2027-01-15"}
        ]}),
    );
    assert_eq!(result, json!({"id_repuesto": P1.to_string()}));
    assert_eq!(cell(conn, "repuestos", P1, "nombre"), json!("Batería 48V 13Ah"));
    assert_eq!(cell(conn, "repuestos", P1, "referencia"), json!("BAT-48V-13AH"));
    assert_eq!(cell(conn, "repuestos", P1, "descripcion"), Value::Null);
    assert_eq!(cell(conn, "repuestos", P1, "marca"), json!("Segway"));
    assert_eq!(cell(conn, "repuestos", P1, "fecha_estimada"), json!("2027-01-15"));
    // Keeping one's own reference is not a duplicate.
    done(
        conn,
        SUPER,
        1,
        "part.edit",
        json!({"id_repuesto": P1, "edits": [{"field": "referencia", "old": "x", "new": "BAT-48V-13AH"}]}),
    );

    assert_eq!(done(conn, SUPER, 2, "part.discontinue", json!({"id_repuesto": P2}))["descontinuado"], json!(true));
    assert_eq!(cell(conn, "repuestos", P2, "descontinuado"), json!(true));
    done(conn, SUPER, 3, "part.discontinue", json!({"id_repuesto": P2, "descontinuado": false}));
    assert_eq!(cell(conn, "repuestos", P2, "descontinuado"), json!(false));
}

// ---------------------------------------------------------------------------------------------
// Inventory and the ledger.
// ---------------------------------------------------------------------------------------------

#[test]
fn inventory_settings_edit_fields_and_create_a_missing_item() {
    let replica = seeded();
    let conn = &replica.conn;
    let result = done(
        conn,
        SUPER,
        5,
        "inventory.settings",
        json!({"id_localizacion": L1, "id_repuesto": P1, "edits": [
            {"field": "cantidad_minima", "old": 2, "new": 4},
            {"field": "posicion", "old": null, "new": " A-3 "},
            {"field": "nuevo_hasta", "old": null, "new": "2026-12-01T00:00:00Z"}
        ]}),
    );
    assert_eq!(result, json!({"id_inventario": I11.to_string()}));
    assert_eq!(cell(conn, "inventario", I11, "cantidad_minima"), json!(4));
    assert_eq!(cell(conn, "inventario", I11, "posicion"), json!("A-3"));
    assert_eq!(cell(conn, "inventario", I11, "nuevo_hasta"), json!("2026-12-01T00:00:00.000000+00:00"));
    assert_eq!(cell(conn, "inventario", I11, "updated_at"), stamp(5));
    assert_eq!(cell(conn, "inventario", I11, "stock_actual"), json!(10), "settings never move stock");

    // No item yet for P3 at L2: created at zero, then edited.
    assert_eq!(stock(conn, L2, P3), None);
    done(
        conn,
        SUPER,
        6,
        "inventory.settings",
        json!({"id_localizacion": L2, "id_repuesto": P3, "edits": [{"field": "posicion", "old": null, "new": "B-1"}]}),
    );
    let created = item_id(conn, L2, P3);
    assert_eq!(cell(conn, "inventario", created, "stock_actual"), json!(0));
    assert_eq!(cell(conn, "inventario", created, "cantidad_minima"), json!(0));
    assert_eq!(cell(conn, "inventario", created, "veces_contado"), json!(0));
    assert_eq!(cell(conn, "inventario", created, "posicion"), json!("B-1"));
    assert_eq!(cell(conn, "inventario", created, "created_at"), stamp(6));
    assert!(ledger(conn, L2, P3).is_empty());
}

struct StockCase {
    who: Uuid,
    name: &'static str,
    args: Value,
    loc: Uuid,
    part: Uuid,
    stock: i32,
    /// The one ledger row written (tipo, anterior, nueva, diferencia), or none.
    entry: Option<(&'static str, i64, i64, i64)>,
}

#[test]
fn stock_changes_write_one_ledger_row_each() {
    let mv = |part: Uuid, concepto: &str, tipo: &str, cantidad: i32| {
        json!({"id_movimientos_tecnicos": Uuid::new_v4(), "id_localizacion": L1, "id_repuesto": part,
               "id_tecnico_asignado": TECNICO2, "concepto": concepto, "tipo": tipo, "cantidad": cantidad,
               "numero_orden": 77})
    };
    let adjust = |loc: Uuid, part: Uuid, delta: i32| {
        json!({"id_localizacion": loc, "id_repuesto": part,
               "delta": delta, "motivo": " rotura "})
    };
    let cases = [
        StockCase {
            who: SUPER,
            name: "inventory.adjust",
            args: adjust(L1, P1, -3),
            loc: L1,
            part: P1,
            stock: 7,
            entry: Some(("AJUSTE_MANUAL", 10, 7, -3)),
        },
        // No item yet: created at zero.
        StockCase {
            who: SUPER,
            name: "inventory.adjust",
            args: adjust(L1, P3, 4),
            loc: L1,
            part: P3,
            stock: 4,
            entry: Some(("AJUSTE_MANUAL", 0, 4, 4)),
        },
        // Exactly to zero is allowed under `reject`.
        StockCase {
            who: SUPER,
            name: "inventory.adjust",
            args: adjust(L2, P1, -5),
            loc: L2,
            part: P1,
            stock: 0,
            entry: Some(("AJUSTE_MANUAL", 5, 0, -5)),
        },
        StockCase {
            who: TECNICO,
            name: "movement.record",
            args: mv(P1, "salida", "salida", 2),
            loc: L1,
            part: P1,
            stock: 8,
            entry: Some(("MOVIMIENTO_TECNICO", 10, 8, -2)),
        },
        StockCase {
            who: TECNICO,
            name: "movement.record",
            args: mv(P1, "devolucion", "ingreso", 5),
            loc: L1,
            part: P1,
            stock: 15,
            entry: Some(("MOVIMIENTO_TECNICO", 10, 15, 5)),
        },
        // Below zero under the default `allow` policy: applied.
        StockCase {
            who: TECNICO,
            name: "movement.record",
            args: mv(P2, "venta", "venta", 3),
            loc: L1,
            part: P2,
            stock: -2,
            entry: Some(("MOVIMIENTO_TECNICO", 1, -2, -3)),
        },
        // A quote moves no stock and writes no ledger row.
        StockCase {
            who: TECNICO,
            name: "movement.record",
            args: mv(P1, "cotizacion", "salida", 2),
            loc: L1,
            part: P1,
            stock: 10,
            entry: None,
        },
    ];
    for case in cases {
        let replica = seeded();
        let conn = &replica.conn;
        let label = format!("{} {}", case.name, case.args);
        let before = ledger(conn, case.loc, case.part).len();
        let (id_mutacion, outcome) = attempt(conn, case.who, 7, case.name, case.args.clone());
        let result = outcome.unwrap_or_else(|failure| panic!("{label}: {failure}"));
        assert_eq!(stock(conn, case.loc, case.part), Some(case.stock), "{label}");
        let entries = ledger(conn, case.loc, case.part);
        match case.entry {
            None => assert_eq!(entries.len(), before, "{label}: no ledger row"),
            Some(want) => {
                assert_eq!(entries.len(), before + 1, "{label}: one ledger row");
                let entry = entries.last().expect("entry");
                assert_eq!(summary(std::slice::from_ref(entry))[0], want, "{label}");
                assert_eq!(entry.id_usuario, json!(case.who), "{label}");
                assert_eq!(entry.fecha, stamp(7), "{label}: dated at the person's time");
                assert_eq!(entry.detalles["id_mutacion"], json!(id_mutacion), "{label}");
                assert_eq!(result["stock_actual"], json!(case.stock), "{label}");
                if case.name == "inventory.adjust" {
                    assert_eq!(entry.motivo, json!("rotura"), "{label}");
                } else {
                    assert_eq!(entry.detalles["concepto"], case.args["concepto"], "{label}");
                    assert_eq!(entry.detalles["numero_orden"], json!(77), "{label}");
                    assert_eq!(entry.detalles["id_tecnico_asignado"], json!(TECNICO2), "{label}");
                }
            }
        }
        if case.name == "movement.record" {
            let key = case.args["id_movimientos_tecnicos"].as_str().expect("id").to_owned();
            assert_eq!(cell(conn, "movimientos_tecnicos", &key, "id_usuario_responsable"), json!(case.who), "{label}");
            assert_eq!(cell(conn, "movimientos_tecnicos", &key, "descargada"), json!(case.entry.is_some()), "{label}");
            assert_eq!(cell(conn, "movimientos_tecnicos", &key, "fecha"), stamp(7), "{label}");
            assert_eq!(cell(conn, "movimientos_tecnicos", &key, "numero_orden"), json!(77), "{label}");
        }
    }
}

#[test]
fn a_delta_dated_before_the_latest_count_is_absorbed() {
    let replica = seeded();
    let conn = &replica.conn;
    let count = id(0x7900);
    // The server's ledger says a count fixed I11 at 10:30 (and a later, absorbed count row,
    // which is no anchor).
    for (n, fecha, absorbido) in [(1, t(30), false), (2, t(50), true)] {
        seed(
            conn,
            "logs_inventario",
            &[
                ("id_log", json!(id(0x4900 + n))),
                ("id_inventario", json!(I11)),
                ("id_usuario", json!(SUPER)),
                ("tipo_operacion", json!("CONTEO_FISICO")),
                ("cantidad_anterior", json!(10)),
                ("cantidad_nueva", json!(10)),
                ("diferencia", json!(0)),
                ("detalles", json!({"id_conteo": count, "absorbido": absorbido})),
                // As PostgreSQL spells it, to check that times are compared as instants.
                (
                    "fecha",
                    json!(fecha.with_timezone(&chrono::FixedOffset::west_opt(5 * 3600).expect("offset")).to_rfc3339()),
                ),
            ],
        );
    }
    let adjust = json!({"id_localizacion": L1, "id_repuesto": P1, "delta": -3, "motivo": "rotura"});
    let (_, outcome) = attempt(conn, SUPER, 20, "inventory.adjust", adjust.clone());
    let result = outcome.expect("absorbed, not refused");
    assert_eq!(result, json!({"stock_actual": 10, "absorbido": true}));
    assert_eq!(stock(conn, L1, P1), Some(10));
    let entries = ledger(conn, L1, P1);
    let absorbed = entries.iter().find(|e| e.tipo == "AJUSTE_MANUAL").expect("recorded");
    assert_eq!((absorbed.anterior, absorbed.nueva, absorbed.diferencia), (10, 10, 0));
    assert_eq!(absorbed.detalles["absorbido"], json!(true));
    assert_eq!(absorbed.detalles["delta_original"], json!(-3));
    assert_eq!(absorbed.detalles["absorbido_por_conteo"], json!(count));
    // At the count's own moment: still absorbed. After it (even before the absorbed row's 10:50): applied.
    let (_, outcome) = attempt(conn, SUPER, 30, "inventory.adjust", adjust.clone());
    assert_eq!(outcome.expect("absorbed")["absorbido"], json!(true));
    let (_, outcome) = attempt(conn, SUPER, 45, "inventory.adjust", adjust);
    assert_eq!(outcome.expect("applied"), json!({"stock_actual": 7, "absorbido": false}));
    assert_eq!(stock(conn, L1, P1), Some(7));
}

// ---------------------------------------------------------------------------------------------
// The cart and transfer requests.
// ---------------------------------------------------------------------------------------------

#[test]
fn cart_lines_are_the_users_own() {
    let replica = seeded();
    let conn = &replica.conn;
    let line = id(0x8200);
    done(
        conn,
        TECNICO,
        0,
        "cart.add",
        json!({"id_item_carrito": line, "id_localizacion": L1, "id_repuesto": P2, "cantidad": 3}),
    );
    assert_eq!(cell(conn, "carrito_solicitudes", line, "id_usuario"), json!(TECNICO));
    assert_eq!(cell(conn, "carrito_solicitudes", line, "cantidad"), json!(3));
    assert_eq!(cell(conn, "carrito_solicitudes", line, "created_at"), stamp(0));
    assert_eq!(done(conn, TECNICO, 1, "cart.set", json!({"id_item_carrito": line, "cantidad": 5})), Value::Null);
    assert_eq!(cell(conn, "carrito_solicitudes", line, "cantidad"), json!(5));
    // Someone else's line is not removed.
    assert_eq!(done(conn, TECNICO, 2, "cart.remove", json!({"id_item_carrito": K2})), json!({"removed": false}));
    assert!(row_exists(conn, "carrito_solicitudes", K2));
    assert_eq!(done(conn, TECNICO, 3, "cart.remove", json!({"id_item_carrito": line})), json!({"removed": true}));
    assert!(!row_exists(conn, "carrito_solicitudes", line));
    // Already gone: the intent is fulfilled.
    assert_eq!(done(conn, TECNICO, 4, "cart.remove", json!({"id_item_carrito": line})), json!({"removed": false}));
}

#[test]
fn a_request_goes_through_its_states_with_stock_and_trace() {
    let replica = seeded();
    let conn = &replica.conn;
    let request = id(0x5300);
    let (line_p1, line_p3) = (id(0x5301), id(0x5302));
    let created = done(
        conn,
        TECNICO,
        0,
        "request.create",
        json!({"id_solicitud": request, "id_localizacion_origen": L2, "id_localizacion_destino": L1,
               "observaciones_generales": " urgente ",
               "lines": [{"id_detalle": line_p1, "id_repuesto": P1, "cantidad": 4, "observaciones": ""},
                         {"id_detalle": line_p3, "id_repuesto": P3, "cantidad": 2, "id_item_carrito": K1}]}),
    );
    assert_eq!(created, json!({"id_solicitud": request, "estado": "PENDIENTE"}));
    assert_eq!(cell(conn, "solicitudes", request, "estado"), json!("PENDIENTE"));
    assert_eq!(cell(conn, "solicitudes", request, "id_usuario_solicitante"), json!(TECNICO));
    assert_eq!(cell(conn, "solicitudes", request, "fecha_creacion"), stamp(0));
    assert_eq!(cell(conn, "solicitudes", request, "observaciones_generales"), json!("urgente"));
    assert_eq!(cell(conn, "detalles_solicitud", line_p1, "cantidad_solicitada"), json!(4));
    assert_eq!(cell(conn, "detalles_solicitud", line_p1, "observaciones"), Value::Null);
    assert_eq!(cell(conn, "detalles_solicitud", line_p3, "id_repuesto"), json!(P3));
    assert!(!row_exists(conn, "carrito_solicitudes", K1), "the request empties its cart line");
    assert!(row_exists(conn, "carrito_solicitudes", K2), "and only that one");

    assert_eq!(
        done(conn, SUPER, 1, "request.pick", json!({"id_solicitud": request, "comentario": "va"})),
        json!({"estado": "ALISTAMIENTO"})
    );
    assert_eq!(cell(conn, "solicitudes", request, "fecha_alistamiento"), stamp(1));

    // P3 is dispatched as 0 (none at L2, which refuses negative stock); P1 as 3 of 4.
    done(
        conn,
        SUPER,
        2,
        "request.dispatch",
        json!({"id_solicitud": request, "guia_transporte": " G-77 ",
               "lines": [{"id_detalle": line_p1, "cantidad": 3}, {"id_detalle": line_p3, "cantidad": 0}]}),
    );
    assert_eq!(cell(conn, "solicitudes", request, "estado"), json!("DESPACHADO"));
    assert_eq!(cell(conn, "solicitudes", request, "fecha_despacho"), stamp(2));
    assert_eq!(cell(conn, "solicitudes", request, "guia_transporte"), json!("G-77"));
    assert_eq!(cell(conn, "detalles_solicitud", line_p1, "cantidad_despachada"), json!(3));
    assert_eq!(cell(conn, "detalles_solicitud", line_p3, "cantidad_despachada"), json!(0));
    assert_eq!(stock(conn, L2, P1), Some(2));
    let out = ledger(conn, L2, P1);
    assert_eq!(summary(&out), vec![("SOLICITUD_SALIDA", 5, 2, -3)]);
    assert_eq!(out[0].detalles["id_solicitud"], json!(request));
    assert_eq!(out[0].detalles["id_detalle"], json!(line_p1));
    assert_eq!(stock(conn, L2, P3), None, "a line dispatched as 0 moves nothing");

    // Received: 2 of the 3 dispatched P1 (a discrepancy), P3 as dispatched (0).
    let received = done(
        conn,
        TECNICO,
        3,
        "request.receive",
        json!({"id_solicitud": request, "lines": [{"id_detalle": line_p1, "cantidad": 2}]}),
    );
    assert_eq!(received["estado"], json!("RECIBIDO"));
    assert_eq!(
        received["discrepancias"],
        json!([{"id_detalle": line_p1, "cantidad_despachada": 3, "cantidad_recibida": 2}])
    );
    assert_eq!(cell(conn, "detalles_solicitud", line_p1, "cantidad_recibida"), json!(2));
    assert_eq!(cell(conn, "detalles_solicitud", line_p3, "cantidad_recibida"), json!(0));
    assert_eq!(cell(conn, "solicitudes", request, "fecha_recepcion"), stamp(3));
    assert_eq!(stock(conn, L1, P1), Some(12));
    let into = ledger(conn, L1, P1);
    assert_eq!(summary(&into), vec![("SOLICITUD_ENTRADA", 10, 12, 2)]);
    assert_eq!(into[0].detalles["cantidad_despachada"], json!(3));

    let trace = trace_of(conn, request);
    let want: Vec<Trace> = vec![
        (Value::Null, "PENDIENTE".into(), json!(TECNICO), Value::Null),
        (json!("PENDIENTE"), "ALISTAMIENTO".into(), json!(SUPER), json!("va")),
        (json!("ALISTAMIENTO"), "DESPACHADO".into(), json!(SUPER), Value::Null),
        (json!("DESPACHADO"), "RECIBIDO".into(), json!(TECNICO), Value::Null),
    ];
    assert_eq!(trace, want);
    // Received once: a second receipt is refused with the state and who set it.
    let again = refused(conn, TECNICO, 4, "request.receive", json!({"id_solicitud": request}));
    assert_eq!(again.code, RejectionCode::InvalidTransition);
    assert_eq!(again.params.get("from"), Some(&json!("RECIBIDO")));
    assert_eq!(again.params.get("changed_by"), Some(&json!("Tomás Técnico")));
    assert_eq!(again.params.get("changed_at"), Some(&json!(t(3).to_rfc3339())));
}

#[test]
fn dispatch_defaults_to_the_requested_quantities() {
    let replica = seeded();
    let conn = &replica.conn;
    // R2 (P1 x2, P3 x1) out of L2, after the admin allows negative stock there.
    done(conn, ADMIN, 0, "location.policy", json!({"id_localizacion": L2, "stock_negativo": "allow"}));
    done(conn, SUPER, 1, "request.dispatch", json!({"id_solicitud": R2}));
    assert_eq!(cell(conn, "detalles_solicitud", D3, "cantidad_despachada"), json!(2));
    assert_eq!(cell(conn, "detalles_solicitud", D4, "cantidad_despachada"), json!(1));
    assert_eq!(stock(conn, L2, P1), Some(3));
    assert_eq!(stock(conn, L2, P3), Some(-1));
    // Received as dispatched.
    let received = done(conn, TECNICO, 2, "request.receive", json!({"id_solicitud": R2}));
    assert_eq!(received["discrepancias"], json!([]));
    assert_eq!(stock(conn, L1, P1), Some(12));
    assert_eq!(stock(conn, L1, P3), Some(1));
}

#[test]
fn a_refused_dispatch_leaves_nothing_behind_even_inside_a_callers_transaction() {
    let replica = seeded();
    let conn = &replica.conn;
    let pristine = checksums(conn);
    conn.execute_batch("BEGIN").expect("begin");
    // Applies: the cancel of R1 by its requester.
    done(conn, TECNICO, 0, "request.cancel", json!({"id_solicitud": R1, "comentario": "ya no"}));
    // R2's first line (P1 x2) would apply; its second (P3 x1 at L2, none there, `reject`) is refused.
    let rechazo = refused(conn, SUPER, 1, "request.dispatch", json!({"id_solicitud": R2}));
    assert_eq!(rechazo.code, RejectionCode::InsufficientStock);
    assert_eq!(rechazo.params.get("available"), Some(&json!(0)));
    assert_eq!(rechazo.params.get("requested"), Some(&json!(1)));
    conn.execute_batch("COMMIT").expect("commit");
    assert_eq!(stock(conn, L2, P1), Some(5), "the first line's stock change was rolled back");
    assert!(ledger(conn, L2, P1).is_empty());
    assert_eq!(cell(conn, "solicitudes", R2, "estado"), json!("ALISTAMIENTO"));
    assert_eq!(cell(conn, "detalles_solicitud", D3, "cantidad_despachada"), Value::Null);
    assert_eq!(cell(conn, "solicitudes", R1, "estado"), json!("CANCELADO"), "the earlier mutation stays");
    // Exactly the cancel's rows are shadowed: the request and its new trace row.
    assert_eq!(shadow_count(conn), 2);
    restore(conn);
    assert_eq!(checksums(conn), pristine);
}

#[test]
fn a_request_is_cancelled_by_its_requester_or_an_approver_at_either_end() {
    let replica = seeded();
    let conn = &replica.conn;
    assert_eq!(
        done(conn, TECNICO, 0, "request.cancel", json!({"id_solicitud": R1, "comentario": "ya no"})),
        json!({"estado": "CANCELADO"})
    );
    assert_eq!(cell(conn, "solicitudes", R1, "estado"), json!("CANCELADO"));
    let trace = trace_of(conn, R1);
    assert_eq!(trace.last(), Some(&(json!("PENDIENTE"), "CANCELADO".to_owned(), json!(TECNICO), json!("ya no"))));
    // R2 was not requested by SUPER, who approves at both of its ends.
    done(conn, SUPER, 1, "request.cancel", json!({"id_solicitud": R2}));
    assert_eq!(cell(conn, "solicitudes", R2, "estado"), json!("CANCELADO"));
    let trace = trace_of(conn, R2);
    assert_eq!(trace.last(), Some(&(json!("ALISTAMIENTO"), "CANCELADO".to_owned(), json!(SUPER), Value::Null)));
}

// ---------------------------------------------------------------------------------------------
// Counts.
// ---------------------------------------------------------------------------------------------

#[test]
fn count_lines_fix_stock_as_of_when_they_were_counted() {
    let replica = seeded();
    let conn = &replica.conn;
    let count = id(0x7300);
    let line = |n: u128, part: Uuid, csa: i32, pq: i32| {
        json!({"id_detalle_conteo": id(0x7400 + n), "id_conteo": count, "id_repuesto": part,
               "cantidad_csa": csa, "cantidad_pq": pq})
    };
    let totals = |conn: &Connection| -> (Value, Value, Value) {
        (
            cell(conn, "registro_conteo", count, "total_items"),
            cell(conn, "registro_conteo", count, "total_diferencias"),
            cell(conn, "registro_conteo", count, "items_con_pq"),
        )
    };
    assert_eq!(
        done(
            conn,
            SUPER,
            0,
            "count.start",
            json!({"id_conteo": count, "id_localizacion": L1, "observaciones": " anual "})
        ),
        json!({"id_conteo": count})
    );
    assert_eq!(cell(conn, "registro_conteo", count, "fecha_conteo"), stamp(0));
    assert_eq!(cell(conn, "registro_conteo", count, "id_usuario"), json!(SUPER));
    assert_eq!(cell(conn, "registro_conteo", count, "observaciones"), json!("anual"));
    assert_eq!(totals(conn), (json!(0), json!(0), json!(0)));

    // P1: system 10, counted 8 with 1 loose part: diferencia = (10 + 1) - 8.
    let first = done(conn, SUPER, 10, "count.line", line(1, P1, 8, 1));
    assert_eq!(first, json!({"id_detalle_conteo": id(0x7401), "cantidad_sistema": 10, "diferencia": 3}));
    assert_eq!(totals(conn), (json!(1), json!(1), json!(1)));
    // Recounting P1 replaces the line (its id stays) and moves T to 10:12.
    let recount = done(conn, SUPER, 12, "count.line", line(2, P1, 9, 0));
    assert_eq!(recount["id_detalle_conteo"], json!(id(0x7401)));
    assert!(!row_exists(conn, "detalles_conteo", id(0x7402)));
    assert_eq!(cell(conn, "detalles_conteo", id(0x7401), "cantidad_csa"), json!(9));
    assert_eq!(cell(conn, "detalles_conteo", id(0x7401), "diferencia"), json!(1));
    assert_eq!(totals(conn), (json!(1), json!(1), json!(0)));
    done(conn, SUPER, 13, "count.line", line(3, P2, 1, 0));
    let unknown_item = done(conn, SUPER, 14, "count.line", line(4, P3, 2, 0));
    assert_eq!(unknown_item["cantidad_sistema"], json!(0));
    assert_eq!(unknown_item["diferencia"], json!(-2));
    assert_eq!(totals(conn), (json!(3), json!(2), json!(0)));
    assert_eq!(stock(conn, L1, P1), Some(10), "lines do not move stock");

    // Movements while the count is open: P1 -2 after its T (10:12) counts on top of the
    // count; P2 +3 at 10:11, before its T (10:13), is part of what was counted.
    done(
        conn,
        TECNICO,
        20,
        "movement.record",
        json!({"id_movimientos_tecnicos": Uuid::new_v4(), "id_localizacion": L1, "id_repuesto": P1,
               "id_tecnico_asignado": TECNICO, "concepto": "salida", "tipo": "salida", "cantidad": 2}),
    );
    done(
        conn,
        SUPER,
        11,
        "inventory.adjust",
        json!({"id_localizacion": L1, "id_repuesto": P2, "delta": 3, "motivo": "llegada"}),
    );
    assert_eq!((stock(conn, L1, P1), stock(conn, L1, P2)), (Some(8), Some(4)));

    let closed = done(conn, SUPER, 30, "count.close", json!({"id_conteo": count}));
    assert_eq!(closed, json!({"lineas_ajustadas": 3, "lineas_absorbidas": 0}));
    assert_eq!(stock(conn, L1, P1), Some(7), "9 counted at 10:12, then -2");
    assert_eq!(stock(conn, L1, P2), Some(1), "1 counted at 10:13; the +3 of 10:11 was in it");
    assert_eq!(stock(conn, L1, P3), Some(2));
    let p1 = ledger(conn, L1, P1);
    let conteo = p1.iter().find(|e| e.tipo == "CONTEO_FISICO").expect("count row");
    assert_eq!((conteo.anterior, conteo.nueva, conteo.diferencia), (8, 7, -1));
    assert_eq!(conteo.fecha, stamp(12), "dated at the moment counted");
    assert_eq!(conteo.detalles["id_conteo"], json!(count));
    assert_eq!(conteo.detalles["id_detalle_conteo"], json!(id(0x7401)));
    assert_eq!(conteo.detalles["deltas_posteriores"], json!(-2));
    assert_eq!(conteo.detalles["absorbido"], json!(false));
    assert_eq!(conteo.detalles["contado_en"], json!(t(12)));
    assert_eq!(summary(&ledger(conn, L1, P2)), vec![("AJUSTE_MANUAL", 1, 4, 3), ("CONTEO_FISICO", 4, 1, -3)]);
    assert_eq!(summary(&ledger(conn, L1, P3)), vec![("CONTEO_FISICO", 0, 2, 2)]);
    for part in [P1, P2, P3] {
        assert_eq!(cell(conn, "inventario", item_id(conn, L1, part), "veces_contado"), json!(1));
    }
    assert_eq!(cell(conn, "conteos_cerrados", count, "id_usuario"), json!(SUPER));
    assert_eq!(cell(conn, "conteos_cerrados", count, "cerrado_en"), stamp(30));

    // Closed: no more lines, and a movement dated before the count is absorbed.
    assert_eq!(refused(conn, SUPER, 31, "count.line", line(5, P1, 1, 0)).code, RejectionCode::CountClosed);
    let late = done(
        conn,
        TECNICO,
        11,
        "movement.record",
        json!({"id_movimientos_tecnicos": Uuid::new_v4(), "id_localizacion": L1, "id_repuesto": P1,
               "id_tecnico_asignado": TECNICO, "concepto": "salida", "tipo": "salida", "cantidad": 1}),
    );
    assert_eq!(late["absorbido"], json!(true));
    assert_eq!(stock(conn, L1, P1), Some(7));
}

/// `count line --counted 0 --pq 3` would fix stock at -3 on a shelf that had parts on it: the
/// local applier refuses it, so it never reaches the outbox (nor the server). A line pulled
/// from the server that breaks the rule (written before it, or by another application) makes
/// the closing refuse too, until the line is recounted.
#[test]
fn a_count_line_with_more_loose_parts_than_units_never_reaches_the_outbox() {
    let replica = seeded();
    let conn = &replica.conn;
    let outbox_rows = |conn: &Connection| -> i64 {
        conn.query_row("SELECT count(*) FROM outbox", [], |row| row.get(0)).expect("outbox")
    };
    let line = |n: u128, part: Uuid, csa: i32, pq: i32| {
        json!({"id_detalle_conteo": id(0x7d00 + n), "id_conteo": C1, "id_repuesto": part,
               "cantidad_csa": csa, "cantidad_pq": pq})
    };
    let rechazo = refused(conn, SUPER, 1, "count.line", line(1, P2, 0, 3));
    assert_eq!(rechazo.code, RejectionCode::InvalidArguments);
    assert!(rechazo.message(taller_domain::Lang::Es).contains("cantidad_pq"), "{rechazo}");
    assert_eq!(outbox_rows(conn), 0, "nothing queued");
    assert!(!row_exists(conn, "detalles_conteo", id(0x7d01)));
    // As many loose parts as units is accepted (fixed at zero), and queued.
    done(conn, SUPER, 2, "count.line", line(2, P2, 3, 3));
    assert_eq!(outbox_rows(conn), 1);

    // C1's line of P1 as another application might have left it on the server.
    update(
        conn,
        "detalles_conteo",
        &DC1.to_string(),
        &[("cantidad_csa", json!(1)), ("cantidad_pq", json!(4)), ("diferencia", json!(13))],
    )
    .expect("a bad line");
    let stock_before = stock(conn, L1, P1);
    let closing = refused(conn, SUPER, 3, "count.close", json!({"id_conteo": C1}));
    assert_eq!(closing.code, RejectionCode::InvalidArguments);
    assert_eq!(closing.params.get("id_repuesto"), Some(&json!(P1.to_string())));
    assert_eq!(outbox_rows(conn), 1, "the refused closing is not queued");
    assert!(!row_exists(conn, "conteos_cerrados", C1));
    assert_eq!(stock(conn, L1, P1), stock_before);
    // Recounted, the count closes.
    done(conn, SUPER, 4, "count.line", line(3, P1, 4, 1));
    done(conn, SUPER, 5, "count.close", json!({"id_conteo": C1}));
    assert_eq!(stock(conn, L1, P1), Some(3));
    assert_eq!(stock(conn, L1, P2), Some(0));
}

#[test]
fn a_line_the_outbox_does_not_know_is_fixed_at_the_counts_start() {
    let replica = seeded();
    let conn = &replica.conn;
    // Before C1 started (09:00): +100 that the count already includes.
    seed(
        conn,
        "logs_inventario",
        &[
            ("id_log", json!(id(0x4950))),
            ("id_inventario", json!(I11)),
            ("id_usuario", json!(SUPER)),
            ("tipo_operacion", json!("AJUSTE_MANUAL")),
            ("cantidad_anterior", json!(0)),
            ("cantidad_nueva", json!(100)),
            ("diferencia", json!(100)),
            ("fecha", json!("2026-11-22T08:00:00+00:00")),
        ],
    );
    done(
        conn,
        SUPER,
        5,
        "inventory.adjust",
        json!({"id_localizacion": L1, "id_repuesto": P1, "delta": -1, "motivo": "rotura"}),
    );
    // C1's line (P1 counted 6) came from the server: T is C1's start, 09:00.
    done(conn, SUPER, 10, "count.close", json!({"id_conteo": C1}));
    assert_eq!(stock(conn, L1, P1), Some(5), "6 counted at 09:00, then the -1 of 10:05");
    let conteo = ledger(conn, L1, P1).into_iter().find(|e| e.tipo == "CONTEO_FISICO").expect("count row");
    assert_eq!(conteo.fecha, json!("2026-11-22T09:00:00.000000+00:00"));
    assert_eq!(cell(conn, "inventario", I11, "veces_contado"), json!(1));
}

#[test]
fn an_older_count_is_absorbed_by_a_newer_one() {
    let replica = seeded();
    let conn = &replica.conn;
    let (newer, older) = (id(0x7500), id(0x7501));
    done(conn, SUPER, 0, "count.start", json!({"id_conteo": newer, "id_localizacion": L1}));
    done(conn, SUPER, 1, "count.start", json!({"id_conteo": older, "id_localizacion": L1}));
    done(
        conn,
        SUPER,
        20,
        "count.line",
        json!({"id_detalle_conteo": id(0x7510), "id_conteo": newer, "id_repuesto": P1, "cantidad_csa": 4}),
    );
    done(
        conn,
        SUPER,
        10,
        "count.line",
        json!({"id_detalle_conteo": id(0x7511), "id_conteo": older, "id_repuesto": P1, "cantidad_csa": 9}),
    );
    done(conn, SUPER, 30, "count.close", json!({"id_conteo": newer}));
    assert_eq!(stock(conn, L1, P1), Some(4));
    let closed = done(conn, SUPER, 31, "count.close", json!({"id_conteo": older}));
    assert_eq!(closed, json!({"lineas_ajustadas": 0, "lineas_absorbidas": 1}));
    assert_eq!(stock(conn, L1, P1), Some(4), "the count of 10:10 is older than the one of 10:20");
    assert_eq!(cell(conn, "inventario", I11, "veces_contado"), json!(1));
    let rows = ledger(conn, L1, P1);
    let absorbed = rows.iter().find(|e| e.detalles["id_conteo"] == json!(older)).expect("recorded");
    assert_eq!((absorbed.diferencia, absorbed.detalles["absorbido"].clone()), (0, json!(true)));
}

// ---------------------------------------------------------------------------------------------
// Warranty claims.
// ---------------------------------------------------------------------------------------------

#[test]
fn warranty_claims_follow_their_states() {
    let replica = seeded();
    let conn = &replica.conn;
    let claim = id(0x6100);
    let created = done(
        conn,
        TECNICO,
        0,
        "warranty.create",
        json!({"id_garantia": claim, "id_localizacion": L1, "id_repuesto": P2, "cantidad": 2,
               "motivo_falla": " no gira ",
               "id_tecnico_asociado": TECNICO2, "numero_orden": " OT-9 ", "solicitante": ""}),
    );
    assert_eq!(created, json!({"id_garantia": claim, "estado": "SIN_ENVIAR"}));
    // A claim that names a technician the replica does not know is refused as the server
    // refuses it, and writes nothing.
    let stranger = id(0x6199);
    let unknown = refused(
        conn,
        TECNICO,
        0,
        "warranty.create",
        json!({"id_garantia": id(0x6101), "id_localizacion": L1, "id_repuesto": P2, "cantidad": 1,
               "motivo_falla": "no gira", "id_tecnico_asociado": stranger}),
    );
    assert_eq!(unknown, Rechazo::not_found("usuario", stranger));
    assert!(!exists(conn, "garantias", &id(0x6101).to_string()).expect("read"));
    assert_eq!(cell(conn, "garantias", claim, "motivo_falla"), json!("no gira"));
    assert_eq!(cell(conn, "garantias", claim, "numero_orden"), json!("OT-9"));
    assert_eq!(cell(conn, "garantias", claim, "solicitante"), Value::Null);
    assert_eq!(cell(conn, "garantias", claim, "id_usuario_reporta"), json!(TECNICO));
    assert_eq!(cell(conn, "garantias", claim, "id_tecnico_asociado"), json!(TECNICO2));
    assert_eq!(cell(conn, "garantias", claim, "fecha_reporte"), stamp(0));

    done(
        conn,
        TECNICO,
        1,
        "warranty.edit",
        json!({"id_garantia": claim, "edits": [
            {"field": "cantidad", "old": 2, "new": 3},
            {"field": "kilometraje", "old": null, "new": 120},
            {"field": "numero_orden", "old": "OT-9", "new": "  "}
        ]}),
    );
    assert_eq!(cell(conn, "garantias", claim, "cantidad"), json!(3));
    assert_eq!(cell(conn, "garantias", claim, "kilometraje"), json!(120));
    assert_eq!(cell(conn, "garantias", claim, "numero_orden"), Value::Null);
    assert_eq!(
        refused(
            conn,
            TECNICO,
            2,
            "warranty.edit",
            json!({"id_garantia": claim, "edits": [{"field": "kilometraje", "new": -1}]})
        )
        .code,
        RejectionCode::InvalidArguments
    );

    assert_eq!(
        done(conn, TECNICO, 3, "warranty.submit", json!({"id_garantia": claim})),
        json!({"estado": "PENDIENTE"})
    );
    let late_edit = refused(conn, TECNICO, 4, "warranty.edit", json!({"id_garantia": claim, "edits": []}));
    assert_eq!(
        (late_edit.code, late_edit.params.get("estado")),
        (RejectionCode::NotEditable, Some(&json!("PENDIENTE")))
    );

    // Approved: the replacement units come into stock (GARANTIA).
    let approved =
        done(conn, SUPER, 5, "warranty.approve", json!({"id_garantia": claim, "comentarios_resolucion": " ok "}));
    assert_eq!(approved, json!({"estado": "APROBADA", "stock_actual": 4}));
    assert_eq!(cell(conn, "garantias", claim, "comentarios_resolucion"), json!("ok"));
    assert_eq!(cell(conn, "garantias", claim, "fecha_resolucion"), stamp(5));
    let entries = ledger(conn, L1, P2);
    assert_eq!(summary(&entries), vec![("GARANTIA", 1, 4, 3)]);
    assert_eq!(entries[0].motivo, json!("ok"));
    assert_eq!(entries[0].detalles["id_garantia"], json!(claim));

    // Resolved once; the refusal names who approved it and when (from the outbox).
    let again =
        refused(conn, SUPER, 6, "warranty.reject", json!({"id_garantia": claim, "comentarios_resolucion": "no"}));
    assert_eq!(again.code, RejectionCode::InvalidTransition);
    assert_eq!(again.params.get("from"), Some(&json!("APROBADA")));
    assert_eq!(again.params.get("changed_by"), Some(&json!("Sara Super")));
    assert_eq!(again.params.get("changed_at"), Some(&json!(t(5).to_rfc3339())));

    // Rejected: no stock.
    let rejected =
        done(conn, SUPER, 7, "warranty.reject", json!({"id_garantia": W2, "comentarios_resolucion": "uso indebido"}));
    assert_eq!(rejected, json!({"estado": "RECHAZADA"}));
    assert_eq!(cell(conn, "garantias", W2, "comentarios_resolucion"), json!("uso indebido"));
    assert_eq!(stock(conn, L1, P2), Some(4));
}

// ---------------------------------------------------------------------------------------------
// Administration and notifications.
// ---------------------------------------------------------------------------------------------

#[test]
fn administration_updates_the_local_rows() {
    let replica = seeded();
    let conn = &replica.conn;
    assert_eq!(done(conn, TECNICO, 0, "notification.read", json!({"id_notificacion": N1})), Value::Null);
    assert_eq!(cell(conn, "notificaciones", N1, "leida"), json!(true));
    done(conn, TECNICO, 1, "notification.read", json!({"id_notificacion": N1}));
    assert_eq!(cell(conn, "notificaciones", N2, "leida"), json!(false));

    assert_eq!(done(conn, ADMIN, 2, "user.approve", json!({"id_usuario": PENDING})), json!({"aprobado": true}));
    assert_eq!(cell(conn, "usuarios", PENDING, "aprobado"), json!(true));
    assert_eq!(cell(conn, "usuarios", PENDING, "aprobado_por"), json!(ADMIN));
    assert_eq!(cell(conn, "usuarios", PENDING, "fecha_aprobacion"), stamp(2));
    assert_eq!(
        done(conn, ADMIN, 3, "user.reject", json!({"id_usuario": PENDING, "motivo_rechazo": " desconocido "})),
        json!({"aprobado": false})
    );
    assert_eq!(cell(conn, "usuarios", PENDING, "aprobado"), json!(false));
    assert_eq!(cell(conn, "usuarios", PENDING, "aprobado_por"), Value::Null);
    assert_eq!(cell(conn, "usuarios", PENDING, "fecha_aprobacion"), Value::Null);
    assert_eq!(cell(conn, "usuarios", PENDING, "motivo_rechazo"), json!("desconocido"));

    done(conn, ADMIN, 4, "user.assign", json!({"id_usuario": TECNICO, "id_localizacion": L2}));
    let key = format!("{TECNICO}|{L2}");
    assert_eq!(cell(conn, "usuarios_localizacion", &key, "created_at"), stamp(4));
    done(conn, ADMIN, 5, "user.assign", json!({"id_usuario": TECNICO, "id_localizacion": L2}));
    assert_eq!(cell(conn, "usuarios_localizacion", &key, "created_at"), stamp(4), "assigning twice changes nothing");
    assert!(LocalUser::load(conn, TECNICO).expect("load").expect("user").in_scope(L2));
    done(conn, ADMIN, 6, "user.unassign", json!({"id_usuario": TECNICO, "id_localizacion": L2}));
    assert!(!row_exists(conn, "usuarios_localizacion", &key));
    done(conn, ADMIN, 7, "user.unassign", json!({"id_usuario": TECNICO, "id_localizacion": L2}));
    assert!(!LocalUser::load(conn, TECNICO).expect("load").expect("user").in_scope(L2));

    // Policies: a new row for L1, an update for L2; both take effect at once.
    assert_eq!(
        done(conn, ADMIN, 8, "location.policy", json!({"id_localizacion": L1, "stock_negativo": "reject"})),
        json!({"stock_negativo": "reject"})
    );
    assert_eq!(cell(conn, "localizacion_politicas", L1, "stock_negativo"), json!("reject"));
    let refusal = refused(
        conn,
        SUPER,
        9,
        "inventory.adjust",
        json!({"id_localizacion": L1, "id_repuesto": P2, "delta": -2, "motivo": "m"}),
    );
    assert_eq!(refusal.code, RejectionCode::InsufficientStock);
    done(conn, ADMIN, 10, "location.policy", json!({"id_localizacion": L2, "stock_negativo": "allow"}));
    assert_eq!(cell(conn, "localizacion_politicas", L2, "stock_negativo"), json!("allow"));
    let result = done(
        conn,
        SUPER,
        11,
        "inventory.adjust",
        json!({"id_localizacion": L2, "id_repuesto": P1, "delta": -6, "motivo": "m"}),
    );
    assert_eq!(result["stock_actual"], json!(-1));
    assert_eq!(
        count_rows(conn, "SELECT count(*) FROM notificaciones WHERE id_usuario = ?1", SUPER),
        1,
        "no notification is created locally"
    );
    assert_eq!(count_rows(conn, "SELECT count(*) FROM conflictos WHERE id_usuario = ?1", SUPER), 0, "nor a conflict");
}

// ---------------------------------------------------------------------------------------------
// Every mutation, then undoing them all.
// ---------------------------------------------------------------------------------------------

/// One script that applies each of the 28 mutations locally.
fn every_mutation(conn: &Connection) -> Vec<&'static str> {
    let part = id(0x3500);
    let claim = id(0x6500);
    let count = id(0x7600);
    let request = id(0x5600);
    let cart = id(0x8500);
    let script: Vec<(Uuid, &'static str, Value)> = vec![
        (SUPER, "part.create", json!({"id_repuesto": part, "referencia": "frn-1", "nombre": "Freno"})),
        (SUPER, "part.edit", json!({"id_repuesto": part, "edits": [{"field": "marca", "old": null, "new": "Xiaomi"}]})),
        (SUPER, "part.discontinue", json!({"id_repuesto": P3})),
        (
            SUPER,
            "inventory.settings",
            json!({"id_localizacion": L1, "id_repuesto": part,
                   "edits": [{"field": "cantidad_minima", "old": 0, "new": 2}]}),
        ),
        (
            SUPER,
            "inventory.adjust",
            json!({"id_localizacion": L1, "id_repuesto": part, "delta": 6, "motivo": "compra"}),
        ),
        (
            TECNICO,
            "movement.record",
            json!({"id_movimientos_tecnicos": id(0x4700), "id_localizacion": L1, "id_repuesto": part,
                   "id_tecnico_asignado": TECNICO, "concepto": "salida", "tipo": "salida", "cantidad": 1}),
        ),
        (
            TECNICO,
            "cart.add",
            json!({"id_item_carrito": cart, "id_localizacion": L1, "id_repuesto": part, "cantidad": 1}),
        ),
        (TECNICO, "cart.set", json!({"id_item_carrito": cart, "cantidad": 2})),
        (TECNICO, "cart.remove", json!({"id_item_carrito": K1})),
        (
            TECNICO,
            "request.create",
            json!({"id_solicitud": request, "id_localizacion_origen": L2, "id_localizacion_destino": L1,
                   "lines": [{"id_detalle": id(0x5601), "id_repuesto": P1, "cantidad": 2, "id_item_carrito": cart}]}),
        ),
        (SUPER, "request.pick", json!({"id_solicitud": request})),
        (SUPER, "request.dispatch", json!({"id_solicitud": request})),
        (TECNICO, "request.receive", json!({"id_solicitud": request})),
        (TECNICO, "request.cancel", json!({"id_solicitud": R1})),
        (SUPER, "count.start", json!({"id_conteo": count, "id_localizacion": L1})),
        (
            SUPER,
            "count.line",
            json!({"id_detalle_conteo": id(0x7601), "id_conteo": count, "id_repuesto": part, "cantidad_csa": 4}),
        ),
        (SUPER, "count.close", json!({"id_conteo": count})),
        (
            TECNICO,
            "warranty.create",
            json!({"id_garantia": claim, "id_localizacion": L1, "id_repuesto": part, "cantidad": 1,
                   "motivo_falla": "roto"}),
        ),
        (TECNICO, "warranty.edit", json!({"id_garantia": claim, "edits": [{"field": "cantidad", "old": 1, "new": 2}]})),
        (TECNICO, "warranty.submit", json!({"id_garantia": claim})),
        (SUPER, "warranty.approve", json!({"id_garantia": claim})),
        (SUPER, "warranty.reject", json!({"id_garantia": W2, "comentarios_resolucion": "no"})),
        (TECNICO, "notification.read", json!({"id_notificacion": N1})),
        (ADMIN, "user.approve", json!({"id_usuario": PENDING})),
        (ADMIN, "user.reject", json!({"id_usuario": TECNICO2, "motivo_rechazo": "baja"})),
        (ADMIN, "user.assign", json!({"id_usuario": TECNICO, "id_localizacion": L3})),
        (ADMIN, "user.unassign", json!({"id_usuario": SUPER, "id_localizacion": L2})),
        (ADMIN, "location.policy", json!({"id_localizacion": L3, "stock_negativo": "reject"})),
        (SUPER, "model.create", json!({"id_tipo": id(0x7100), "nombre": "Urbano 350", "potencia": "350W"})),
        (
            SUPER,
            "model.edit",
            json!({"id_tipo": id(0x7100), "edits": [{"field": "potencia", "old": "350W", "new": "500W"}]}),
        ),
        (
            SUPER,
            "order.create",
            json!({"id_orden": id(0x7200), "numero_orden": "OC-2026-0001", "id_tipo_scooter": id(0x7100)}),
        ),
        (SUPER, "order.advance", json!({"id_orden": id(0x7200), "nivel": 2, "estado": "En tránsito"})),
        (
            SUPER,
            "order.edit",
            json!({"id_orden": id(0x7200), "edits": [{"field": "telefono_contacto", "old": null, "new": "600 123 456"}]}),
        ),
    ];
    let mut names = Vec::new();
    for (minute, (who, name, args)) in (0_i64..).zip(script) {
        done(conn, who, minute, name, args);
        names.push(name);
    }
    names
}

#[test]
fn every_mutation_applies_locally() {
    let replica = seeded();
    let conn = &replica.conn;
    let names = every_mutation(conn);
    assert_eq!(names, MUTATION_NAMES.to_vec(), "the script covers the catalogue in order");
    // A few end states the script implies.
    let part = id(0x3500);
    assert_eq!(stock(conn, L1, part), Some(6), "6 in, 1 out, counted 4 at 10:15, +2 from the warranty");
    assert_eq!(cell(conn, "solicitudes", id(0x5600), "estado"), json!("RECIBIDO"));
    assert_eq!(stock(conn, L2, P1), Some(3));
    assert_eq!(stock(conn, L1, P1), Some(12));
    assert_eq!(cell(conn, "garantias", id(0x6500), "estado"), json!("APROBADA"));
    assert_eq!(cell(conn, "scooter_types", id(0x7100), "potencia"), json!("500W"));
    assert_eq!(cell(conn, "order_follow", id(0x7200), "nivel"), json!(2));
    assert_eq!(cell(conn, "order_follow", id(0x7200), "telefono_contacto"), json!("600 123 456"));
}

#[test]
fn restoring_the_shadows_returns_the_replica_to_its_seeded_state() {
    let replica = seeded();
    let conn = &replica.conn;
    let pristine = checksums(conn);
    every_mutation(conn);
    let changed = checksums(conn);
    let tables_changed: Vec<&String> =
        pristine.keys().filter(|name| pristine.get(*name) != changed.get(*name)).collect();
    assert!(tables_changed.len() >= 15, "the local writes touched many tables: {tables_changed:?}");
    assert!(restore(conn) > 0);
    assert_eq!(checksums(conn), pristine, "the replica is the last pulled server state again");
    assert_eq!(shadow_count(conn), 0);
    // Replaying the outbox on top gives the same optimistic state again.
    for envelope in outbox::replayable(conn).expect("outbox") {
        let user_id = match envelope.name.as_str() {
            "user.approve" | "user.reject" | "user.assign" | "user.unassign" | "location.policy" => ADMIN,
            "request.cancel" | "request.create" | "request.receive" | "movement.record" | "notification.read" => {
                TECNICO
            }
            name if name.starts_with("cart.") => TECNICO,
            "warranty.create" | "warranty.edit" | "warranty.submit" => TECNICO,
            _ => SUPER,
        };
        let user = LocalUser::load(conn, user_id).expect("load").expect("user");
        let mutation = Mutation::parse(&envelope.name, &envelope.args).expect("parse");
        let ctx = LocalCtx { conn, user: &user, at: envelope.at, id_mutacion: envelope.id };
        apply(&ctx, &mutation).unwrap_or_else(|failure| panic!("replaying {}: {failure}", envelope.name));
    }
    let replayed = checksums(conn);
    // Fresh ids (local inventory rows, ledger and trace rows) differ between runs; the
    // tables without them must come back exactly.
    for table in [
        "repuestos",
        "solicitudes",
        "detalles_solicitud",
        "garantias",
        "usuarios",
        "usuarios_localizacion",
        "carrito_solicitudes",
        "registro_conteo",
        "detalles_conteo",
        "notificaciones",
        "localizacion_politicas",
        "movimientos_tecnicos",
    ] {
        assert_eq!(replayed.get(table), changed.get(table), "{table} after replay");
    }
    assert_eq!(stock(conn, L1, id(0x3500)), Some(6));
}

/// What a local action reads of the outbox does not grow with it: earlier entries are read
/// by (name, subject) through their index, and the subject is the one thing each reader
/// asks about.
#[test]
fn earlier_outbox_entries_are_read_by_subject_through_an_index() {
    let replica = Replica::in_memory().expect("replica");
    let plan = crate::replica::query_plan(&replica.conn, EARLIER_IN_OUTBOX);
    assert!(plan.contains("USING INDEX idx_outbox_subject (name=? AND subject=?"), "{plan}");
    assert!(!plan.contains("SCAN"), "{plan}");
    let (count, claim, part) = (Uuid::from_u128(0xc1), Uuid::from_u128(0xc2), Uuid::from_u128(0xc3));
    let entries = [
        ("count.line", json!({"id_conteo": count, "id_repuesto": part, "cantidad_csa": 1})),
        ("warranty.submit", json!({"id_garantia": claim})),
        ("warranty.approve", json!({"id_garantia": claim, "comentarios": "ok"})),
        ("part.create", json!({"id_repuesto": part, "referencia": "X-1", "nombre": "X"})),
        ("movement.record", json!({"id_repuesto": part})),
    ];
    for (name, args) in &entries {
        outbox::enqueue(&replica.conn, Uuid::new_v4(), name, args, Utc::now()).expect("enqueue");
    }
    let subjects: Vec<(String, Option<String>)> = replica
        .conn
        .prepare("SELECT name, subject FROM outbox ORDER BY seq")
        .expect("prepare")
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let want: Vec<(String, Option<String>)> = [
        ("count.line", Some(count)),
        ("warranty.submit", Some(claim)),
        ("warranty.approve", Some(claim)),
        ("part.create", Some(part)),
        ("movement.record", None),
    ]
    .into_iter()
    .map(|(name, subject)| (name.to_owned(), subject.map(|id| id.to_string())))
    .collect();
    assert_eq!(subjects, want);
}
