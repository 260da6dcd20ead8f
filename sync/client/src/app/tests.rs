//! The app module on a workstation with a real SQLite replica file, seeded as a pull would
//! leave it.

use crate::replica::StateKey;

use super::inventory::{count_sql, inventory_sql, search_access, Access, BROAD_SEARCH, ESTADO_RANK};
use super::*;
use crate::error::ClientError;
use crate::local::fixtures::{seed, seed_item, BASE};
use crate::replica::{query_plan, Replica};
use crate::rows;
use crate::sync::{self, record_result};
use crate::workstation::WorkstationFile;
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use taller_protocol::cursor::Cursor;
use taller_protocol::messages::TableChanges;
use taller_protocol::mutations::MovementRecord;

const fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

const ROLE: Uuid = id(0xa001);
pub(super) const L1: Uuid = id(0x1001); // Taller Norte
pub(super) const L2: Uuid = id(0x1002); // Bodega Central
pub(super) const L3: Uuid = id(0x1003); // out of scope
pub(super) const ME: Uuid = id(0x2001);
pub(super) const OTHER: Uuid = id(0x2002);
pub(super) const P1: Uuid = id(0x3001); // BAT-48V Batería 48V
pub(super) const P2: Uuid = id(0x3002); // MTR-500W Motor 500W
pub(super) const P3: Uuid = id(0x3003); // CTL-48V Controlador, Sin Stock at L1
pub(super) const P4: Uuid = id(0x3004); // FRN-01 Freno, no row at L1
const I11: Uuid = id(0x4011);
const I12: Uuid = id(0x4012);
const I13: Uuid = id(0x4013);
const I21: Uuid = id(0x4021);
const N1: Uuid = id(0x9001);
const N2: Uuid = id(0x9002); // OTHER's

const PERMISOS: &str = r#"{"inventory": {"view": true, "create": true, "edit": true, "delete": false},
    "requests": {"view": true, "create": true, "approve": false},
    "guarantees": {"view": true, "create": true, "resolve": false},
    "users": {"view": false, "manage": false}}"#;

fn seed_part(conn: &Connection, part: Uuid, referencia: &str, nombre: &str, marca: Option<&str>, tipo: &str) {
    seed(
        conn,
        "repuestos",
        &[
            ("id_repuesto", json!(part)),
            ("referencia", json!(referencia)),
            ("nombre", json!(nombre)),
            ("marca", json!(marca)),
            ("tipo", json!(tipo)),
            ("descontinuado", json!(false)),
            ("created_at", json!(BASE)),
        ],
    );
}

#[allow(clippy::too_many_arguments)]
fn conflict_row(
    conflict: Uuid,
    user: Uuid,
    tipo: &str,
    tabla: &str,
    clave: Uuid,
    campo: &str,
    values: [Value; 3],
    other: Option<Uuid>,
    at: &str,
) -> Vec<(&'static str, Value)> {
    let [reemplazado, servidor, nuevo] = values;
    vec![
        ("id_conflicto", json!(conflict)),
        ("id_usuario", json!(user)),
        ("tipo", json!(tipo)),
        ("tabla", json!(tabla)),
        ("clave", json!(clave)),
        ("campo", json!(campo)),
        ("valor_reemplazado", reemplazado),
        ("valor_servidor", servidor),
        ("valor_nuevo", nuevo),
        ("otro_usuario", json!(other)),
        ("detalles", json!({})),
        ("revisado", json!(false)),
        ("created_at", json!(at)),
    ]
}

fn profile(user: Uuid, email: &str, nombre: &str) -> String {
    serde_json::to_string(&UserProfile {
        id_usuario: user,
        nombre_completo: nombre.to_owned(),
        email: email.to_owned(),
        id_rol: ROLE,
        nombre_rol: "supervisor".to_owned(),
        permisos: serde_json::from_str(PERMISOS).expect("permisos"),
        is_admin: false,
        localizaciones: vec![L1, L2],
    })
    .expect("profile")
}

fn seed_replica(conn: &Connection) {
    seed(
        conn,
        "roles",
        &[
            ("id_rol", json!(ROLE)),
            ("nombre_rol", json!("supervisor")),
            ("permisos", serde_json::from_str::<Value>(PERMISOS).expect("permisos")),
            ("created_at", json!(BASE)),
        ],
    );
    for (loc, nombre, activo) in [(L1, "Taller Norte", true), (L2, "Bodega Central", true), (L3, "Taller Sur", false)] {
        seed(
            conn,
            "localizacion",
            &[
                ("id_localizacion", json!(loc)),
                ("nombre", json!(nombre)),
                ("activo", json!(activo)),
                ("created_at", json!(BASE)),
            ],
        );
    }
    for (user, nombre) in [(ME, "Marta Méndez"), (OTHER, "Óscar Ortega")] {
        seed(
            conn,
            "usuarios",
            &[
                ("id_usuario", json!(user)),
                ("nombre_completo", json!(nombre)),
                ("email", json!(format!("{}@taller.test", nombre.split(' ').next().unwrap_or("x")))),
                ("id_rol", json!(ROLE)),
                ("aprobado", json!(true)),
                ("created_at", json!(BASE)),
            ],
        );
    }
    for (user, loc) in [(ME, L1), (ME, L2), (OTHER, L1)] {
        seed(
            conn,
            "usuarios_localizacion",
            &[("id_usuario", json!(user)), ("id_localizacion", json!(loc)), ("created_at", json!(BASE))],
        );
    }
    seed_part(conn, P1, "BAT-48V", "Batería 48V", Some("Xiaomi"), "Eléctrico");
    seed_part(conn, P2, "MTR-500W", "Motor 500W", None, "Motor");
    seed_part(conn, P3, "CTL-48V", "Controlador 48V", Some("Ninebot"), "Eléctrico");
    seed_part(conn, P4, "FRN-01", "Freno de disco", Some("Xiaomi"), "Frenos");
    seed_item(conn, I11, L1, P1, 10, 2, Some("A-1")); // Alto
    seed_item(conn, I12, L1, P2, 2, 2, None); // Bajo
    seed_item(conn, I13, L1, P3, 0, 1, Some("C-3")); // Sin Stock
    seed_item(conn, I21, L2, P1, 3, 2, Some("B-2")); // Normal
    for (n, user, at) in [(N1, ME, "2026-11-22T10:00:00+00:00"), (N2, OTHER, BASE)] {
        seed(
            conn,
            "notificaciones",
            &[
                ("id_notificacion", json!(n)),
                ("id_usuario", json!(user)),
                ("id_localizacion", json!(L1)),
                ("titulo", json!("Stock bajo")),
                ("mensaje", json!("MTR-500W")),
                ("tipo", json!("alerta_stock")),
                ("prioridad", json!("alta")),
                ("leida", json!(false)),
                ("created_at", json!(at)),
            ],
        );
    }
}

/// A workstation and the session of the user signed in on it; the session's methods are
/// called on it directly.
pub(super) struct SignedIn {
    pub ws: Workstation,
    session: Arc<Session>,
}

impl std::ops::Deref for SignedIn {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.session
    }
}

/// A workstation where `ME` signed in (offline credential stored), with a seeded replica file.
pub(super) fn workstation() -> (tempfile::TempDir, SignedIn) {
    let dir = tempfile::tempdir().expect("dir");
    let ws = WorkstationFile {
        current: Some(ME),
        users: [("marta@taller.test".to_owned(), ME)].into_iter().collect(),
        ..WorkstationFile::default()
    };
    ws.save(dir.path()).expect("save");
    {
        let replica = Replica::open(&WorkstationFile::replica_path(dir.path(), ME)).expect("replica");
        seed_replica(&replica.conn);
        Replica::set_state(&replica.conn, StateKey::UserId, &ME.to_string()).expect("state");
        Replica::set_state(&replica.conn, StateKey::Profile, &profile(ME, "marta@taller.test", "Marta Méndez"))
            .expect("p");
        Replica::set_state(&replica.conn, StateKey::OfflineHash, "$argon2id$stand-in").expect("hash");
    }
    let ws = Workstation::open(dir.path()).expect("open");
    let session = ws.session().expect("signed in");
    (dir, SignedIn { ws, session })
}

pub(super) fn conn_of(client: &Session) -> std::sync::MutexGuard<'_, Replica> {
    sync::lock(client.shared())
}

fn query(search: &str, low_only: bool, column: InventorySortColumn, direction: SortDirection) -> InventoryQuery {
    InventoryQuery {
        id_localizacion: L1,
        search: search.to_owned(),
        low_only,
        sort: InventorySort { column, direction },
        offset: 0,
        limit: 100,
    }
}

fn references(page: &InventoryPage) -> Vec<&str> {
    page.rows.iter().map(|row| row.referencia.as_str()).collect()
}

// ------------------------------------------------------------------------------ inventory

#[test]
fn an_inventory_page_is_a_location_s_stock_with_the_domain_s_states() {
    let (_dir, client) = workstation();
    let page =
        client.inventory_page(&query("", false, InventorySortColumn::Referencia, SortDirection::Asc)).expect("page");
    assert_eq!(references(&page), ["BAT-48V", "CTL-48V", "MTR-500W"], "L1 only, by reference");
    assert_eq!(page.total, 3);
    let bat = &page.rows[0];
    assert_eq!((bat.id_inventario, bat.id_localizacion, bat.id_repuesto), (I11, L1, P1));
    assert_eq!((bat.estado_stock, bat.alerta_minimo, bat.descontinuado), (EstadoStock::Alto, false, false));
    assert_eq!((bat.marca.as_deref(), bat.posicion.as_deref()), (Some("Xiaomi"), Some("A-1")));
    assert_eq!(page.rows[1].estado_stock, EstadoStock::SinStock);
    assert_eq!((page.rows[2].estado_stock, page.rows[2].alerta_minimo), (EstadoStock::Bajo, true));
    let json = serde_json::to_value(&page.rows[1]).expect("json");
    assert_eq!(json["estado_stock"], "Sin Stock");
    assert_eq!(json["alerta_minimo"], true, "booleans are JSON booleans");
    assert_eq!(json["id_inventario"], I13.to_string());
}

#[test]
fn the_search_is_accent_insensitive_over_reference_name_brand_and_type() {
    let (_dir, client) = workstation();
    let search = |text: &str| {
        let page = client
            .inventory_page(&query(text, false, InventorySortColumn::Referencia, SortDirection::Asc))
            .expect("page");
        (references(&page).into_iter().map(str::to_owned).collect::<Vec<_>>(), page.total)
    };
    assert_eq!(search("bateria"), (vec!["BAT-48V".to_owned()], 1), "nombre, without the accent");
    assert_eq!(search("48v"), (vec!["BAT-48V".to_owned(), "CTL-48V".to_owned()], 2), "referencia");
    assert_eq!(search("ninebot"), (vec!["CTL-48V".to_owned()], 1), "marca");
    assert_eq!(search("electr"), (vec!["BAT-48V".to_owned(), "CTL-48V".to_owned()], 2), "tipo, as a prefix");
    assert_eq!(search("freno"), (vec![], 0), "a part with no row at the location");
    assert_eq!(search("  "), (vec!["BAT-48V".to_owned(), "CTL-48V".to_owned(), "MTR-500W".to_owned()], 3));
}

#[test]
fn low_only_keeps_the_rows_with_alerta_minimo() {
    let (_dir, client) = workstation();
    let page =
        client.inventory_page(&query("", true, InventorySortColumn::Referencia, SortDirection::Asc)).expect("page");
    assert_eq!(references(&page), ["CTL-48V", "MTR-500W"]);
    assert_eq!(page.total, 2);
    assert!(page.rows.iter().all(|row| row.alerta_minimo));
    let searched = client
        .inventory_page(&query("motor", true, InventorySortColumn::Referencia, SortDirection::Asc))
        .expect("page");
    assert_eq!((references(&searched), searched.total), (vec!["MTR-500W"], 1));
}

/// Every column sorts both ways as the same rows sorted here would, ties by reference.
#[test]
fn every_column_sorts_both_ways() {
    let (_dir, client) = workstation();
    let all =
        client.inventory_page(&query("", false, InventorySortColumn::Referencia, SortDirection::Asc)).expect("page");
    for column in InventorySortColumn::ALL {
        for direction in [SortDirection::Asc, SortDirection::Desc] {
            for search in ["", "4"] {
                let page = client.inventory_page(&query(search, false, column, direction)).expect("page");
                let mut want: Vec<InventoryRow> = all
                    .rows
                    .iter()
                    .filter(|row| search.is_empty() || row.referencia.contains(search) || row.nombre.contains(search))
                    .cloned()
                    .collect();
                let rank = |row: &InventoryRow| row.estado_stock as u8;
                want.sort_by(|a, b| {
                    let by = match column {
                        InventorySortColumn::Referencia => std::cmp::Ordering::Equal,
                        InventorySortColumn::Nombre => a.nombre.cmp(&b.nombre),
                        InventorySortColumn::Marca => a.marca.cmp(&b.marca),
                        InventorySortColumn::Tipo => a.tipo.cmp(&b.tipo),
                        InventorySortColumn::StockActual => a.stock_actual.cmp(&b.stock_actual),
                        InventorySortColumn::CantidadMinima => a.cantidad_minima.cmp(&b.cantidad_minima),
                        InventorySortColumn::Posicion => a.posicion.cmp(&b.posicion),
                        InventorySortColumn::EstadoStock => rank(a).cmp(&rank(b)),
                    };
                    by.then(a.referencia.cmp(&b.referencia))
                });
                if direction == SortDirection::Desc {
                    want.reverse();
                }
                assert_eq!(page.rows, want, "{column:?} {direction:?} {search:?}");
            }
        }
    }
}

#[test]
fn a_window_is_limit_rows_from_offset_and_the_total_counts_all() {
    let (_dir, client) = workstation();
    let mut input = query("", false, InventorySortColumn::Referencia, SortDirection::Desc);
    input.limit = 1;
    input.offset = 1;
    let page = client.inventory_page(&input).expect("page");
    assert_eq!((references(&page), page.offset, page.total), (vec!["CTL-48V"], 1, 3));
    input.limit = 0;
    let counted = client.inventory_page(&input).expect("count only");
    assert_eq!((counted.rows.len(), counted.total), (0, 3));
    input.limit = MAX_PAGE + 1;
    let refused = client.inventory_page(&input).expect_err("too big a window");
    assert_eq!(refused.code(), "invalid_input");
}

/// The SQL sort rank of `estado_stock` agrees with the domain's rule everywhere near the edges.
#[test]
fn the_sql_stock_state_ranks_as_the_domain_rule() {
    let replica = Replica::in_memory().expect("replica");
    let sql = format!("SELECT {ESTADO_RANK} FROM (SELECT ?1 AS stock_actual, ?2 AS cantidad_minima) i");
    for stock in -3..=12 {
        for minimum in 0..=6 {
            let rank: i64 = replica.conn.query_row(&sql, [stock, minimum], |row| row.get(0)).expect("rank");
            let want = EstadoStock::of(stock, minimum) as i64;
            assert_eq!(rank, want, "stock {stock}, minimum {minimum}");
        }
    }
    assert_eq!(
        [EstadoStock::SinStock, EstadoStock::Bajo, EstadoStock::Normal, EstadoStock::Alto].map(|e| e as u8),
        [0, 1, 2, 3]
    );
}

/// The default window (by reference, no search) and a broad search's window walk the
/// reference index and look each part's row up by key: no scan of the inventory, no sort of
/// every row. The count reads the location's index.
#[test]
fn the_default_inventory_window_walks_an_index() {
    let replica = Replica::in_memory().expect("replica");
    for direction in [SortDirection::Asc, SortDirection::Desc] {
        for access in [Access::Location, Access::ReferenceOrder] {
            let rows_sql = inventory_sql(InventorySortColumn::Referencia, direction, access);
            let plan = query_plan(&replica.conn, &rows_sql);
            assert!(
                plan.contains("USING COVERING INDEX idx_repuestos_referencia")
                    || plan.contains("USING INDEX idx_repuestos_referencia"),
                "{access:?} {direction:?}: {plan}"
            );
            assert!(!plan.contains("TEMP B-TREE"), "no sort of the whole list: {access:?} {direction:?}: {plan}");
            assert!(plan.contains("SEARCH i USING INDEX idx_inventario_localizacion"), "{plan}");
        }
        let count = query_plan(&replica.conn, &count_sql(false, true));
        assert!(count.contains("SEARCH i USING") && count.contains("idx_inventario_localizacion"), "{count}");
        // Without the low-stock filter, the index alone: no row of the location is read.
        let count = query_plan(&replica.conn, &count_sql(false, false));
        assert!(count.contains("SEARCH i USING COVERING INDEX idx_inventario_localizacion"), "{count}");
    }
    // With a narrow search, the full-text matches drive: one lookup per match, not one
    // full-text query per row of the location.
    for column in InventorySortColumn::ALL {
        for sql in
            [inventory_sql(column, SortDirection::Asc, Access::Matches), count_sql(true, true), count_sql(true, false)]
        {
            let plan = query_plan(&replica.conn, &sql);
            assert!(plan.lines().next().is_some_and(|line| line.contains("VIRTUAL TABLE")), "{column:?}: {plan}");
            assert!(
                plan.contains("SEARCH i USING") && plan.contains("idx_inventario_localizacion"),
                "{column:?}: {plan}"
            );
        }
    }
}

/// `BROAD_SEARCH` + 500 parts of type «Filtro» (FLT-0000...), each with a row at L1.
const FILTERS: usize = BROAD_SEARCH as usize + 500;

fn filter_part(n: usize) -> Uuid {
    id(0x50_0000 + n as u128)
}

fn seed_filters(conn: &Connection) {
    conn.execute_batch("BEGIN").expect("begin");
    for n in 0..FILTERS {
        seed_part(conn, filter_part(n), &format!("FLT-{n:04}"), &format!("Filtro {n}"), Some("Bosch"), "Filtro");
        seed_item(conn, id(0x60_0000 + n as u128), L1, filter_part(n), (n % 7) as i32, 2, None);
    }
    conn.execute_batch("COMMIT").expect("commit");
}

/// A broad search (at least `BROAD_SEARCH` matches) answers exactly as the join of every
/// match would: the same rows in the same order at any offset, both ways, whether its window
/// walks the reference order or joins, and whichever way its total is counted.
#[test]
fn a_broad_search_answers_as_the_join_of_every_match() {
    let (_dir, client) = workstation();
    seed_filters(&conn_of(&client).conn);
    let join_of_every_match = |search: &str, direction: SortDirection, low_only: bool| -> Vec<String> {
        let replica = conn_of(&client);
        let fts = crate::queries::fts_query(search).expect("a search");
        let sql = inventory_sql(InventorySortColumn::Referencia, direction, Access::Matches);
        let mut statement = replica.conn.prepare(&sql).expect("prepare");
        let rows = statement
            .query_map(rusqlite::params![L1.to_string(), fts, i64::from(low_only), 10_000, 0], |row| row.get(3))
            .expect("query");
        rows.collect::<rusqlite::Result<_>>().expect("rows")
    };
    // «f»: every filter and FRN-01 (Freno, no row at L1); «bosch filtro»: every filter.
    for search in ["f", "filtro", "bosch filtro"] {
        for direction in [SortDirection::Asc, SortDirection::Desc] {
            for low_only in [false, true] {
                let want = join_of_every_match(search, direction, low_only);
                assert!(want.len() as i64 >= BROAD_SEARCH / 2, "{search}: a broad search");
                for offset in [0_u32, 1, 700, 1_400, FILTERS as u32 - 50] {
                    let mut input = query(search, low_only, InventorySortColumn::Referencia, direction);
                    input.offset = offset;
                    let page = client.inventory_page(&input).expect("page");
                    let at = (offset as usize).min(want.len());
                    let expected = &want[at..(at + 100).min(want.len())];
                    let case = format!("{search:?} {direction:?} low {low_only} at {offset}");
                    assert_eq!(references(&page), expected, "{case}");
                    assert_eq!(page.total, want.len() as i64, "{case}");
                }
            }
        }
    }
}

/// A broad search sorted by a column of the part, at a location holding one row of every
/// part, sorts the matching parts alone and looks up only the window's rows: the same rows in
/// the same order as the join of every match, at any offset, both ways; the walk stays for a
/// window the reference order reaches soon, and a location without a row of some part, or the
/// low-stock filter, keeps the join.
#[test]
fn a_broad_search_sorted_by_a_part_column_sorts_the_parts_before_their_rows() {
    let (_dir, client) = workstation();
    {
        let replica = conn_of(&client);
        seed_filters(&replica.conn);
        // FRN-01 gets its row at L1: now every part has one there.
        seed_item(&replica.conn, id(0x70_0000), L1, P4, 4, 2, Some("F-1"));
        replica.note_written(["inventario"]);
    }
    let parts = 4 + FILTERS as i64;
    let census = |one_row_per_part| {
        Some(crate::replica::LocationCensus { version: (0, 0), location: L1, parts, one_row_per_part })
    };
    let matches = FILTERS as i64 + 1;
    for column in [InventorySortColumn::Nombre, InventorySortColumn::Marca, InventorySortColumn::Tipo] {
        assert_eq!(search_access(column, false, 100, matches, census(true)), Access::PartsFirst, "{column:?}");
        assert_eq!(search_access(column, true, 100, matches, census(true)), Access::Matches, "{column:?} low only");
        assert_eq!(search_access(column, false, 100, matches, census(false)), Access::Matches, "{column:?}");
    }
    let late = FILTERS as i64;
    assert_eq!(search_access(InventorySortColumn::Referencia, false, late, matches, census(true)), Access::PartsFirst);
    assert_eq!(
        search_access(InventorySortColumn::Referencia, false, 100, matches, census(true)),
        Access::ReferenceOrder
    );
    assert_eq!(search_access(InventorySortColumn::StockActual, false, 100, matches, census(true)), Access::Matches);

    let join_of_every_match = |search: &str, column: InventorySortColumn, direction: SortDirection| -> Vec<String> {
        let replica = conn_of(&client);
        let fts = crate::queries::fts_query(search).expect("a search");
        let mut statement = replica.conn.prepare(&inventory_sql(column, direction, Access::Matches)).expect("prepare");
        let rows =
            statement.query_map(rusqlite::params![L1.to_string(), fts, 0, 10_000, 0], |row| row.get(3)).expect("query");
        rows.collect::<rusqlite::Result<_>>().expect("rows")
    };
    // «f»: every filter and FRN-01; names differ, brands and types are ties broken by reference.
    for column in [
        InventorySortColumn::Referencia,
        InventorySortColumn::Nombre,
        InventorySortColumn::Marca,
        InventorySortColumn::Tipo,
    ] {
        for direction in [SortDirection::Asc, SortDirection::Desc] {
            let want = join_of_every_match("f", column, direction);
            assert_eq!(want.len(), FILTERS + 1, "every match");
            for offset in [0_u32, 1, 700, 1_400, FILTERS as u32 - 50] {
                let mut input = query("f", false, column, direction);
                input.offset = offset;
                let page = client.inventory_page(&input).expect("page");
                let at = offset as usize;
                let case = format!("{column:?} {direction:?} at {offset}");
                assert_eq!(references(&page), &want[at..(at + 100).min(want.len())], "{case}");
                assert_eq!(page.total, want.len() as i64, "{case}");
            }
        }
    }
    // The plan: the full-text matches drive the window's sort, then one lookup per row shown.
    for column in [InventorySortColumn::Nombre, InventorySortColumn::Referencia] {
        let plan = query_plan(&conn_of(&client).conn, &inventory_sql(column, SortDirection::Asc, Access::PartsFirst));
        assert!(plan.contains("MATERIALIZE window_parts"), "{plan}");
        assert!(plan.contains("VIRTUAL TABLE"), "{plan}");
        assert!(plan.contains("SEARCH i USING INDEX idx_inventario_localizacion"), "{plan}");
        let materialized = plan.find("MATERIALIZE").expect("materialize");
        let lookup = plan.find("SEARCH i USING").expect("lookup");
        let scan_window = plan.find("SCAN w").expect("the window, scanned");
        assert!(materialized < scan_window && scan_window < lookup, "the rows are looked up after the window: {plan}");
    }
}

/// A broad search's total comes from the full-text index alone only while the location
/// holds exactly one row of every part; the census that says so is taken again after a write
/// of parts or inventory rows, a local action's, a pulled delta's (rows written here by hand
/// say so as those doors do) or another connection's.
#[test]
fn a_broad_search_counts_the_location_s_rows_as_the_replica_changes() {
    let (dir, client) = workstation();
    seed_filters(&conn_of(&client).conn);
    let total = || {
        client
            .inventory_page(&query("f", false, InventorySortColumn::Referencia, SortDirection::Asc))
            .expect("page")
            .total
    };
    let filters = FILTERS as i64;
    // A write of this connection, said as a local action or a pull says it.
    let write = |sql: &str, id_inventario: Uuid| {
        let replica = conn_of(&client);
        replica.conn.execute(sql, [id_inventario.to_string()]).expect("write");
        replica.note_written(["inventario"]);
    };
    let delete = |id_inventario: Uuid| write("DELETE FROM inventario WHERE id_inventario = ?1", id_inventario);
    let seed_here = |id_inventario: Uuid, part: Uuid| {
        let replica = conn_of(&client);
        seed_item(&replica.conn, id_inventario, L1, part, 1, 0, None);
        replica.note_written(["inventario"]);
    };
    // «f» matches every filter and P4 (Freno), and now every part has one row at L1: the
    // first census finds it so.
    seed_here(id(0x4014), P4);
    assert_eq!(total(), filters + 1);
    // Another location's census is its own: L2 holds BAT-48V alone.
    let mut at_l2 = query("f", false, InventorySortColumn::Referencia, SortDirection::Asc);
    at_l2.id_localizacion = L2;
    assert_eq!(client.inventory_page(&at_l2).expect("page").total, 0);
    // A write of other tables leaves the census as it is (the sync's bookkeeping, each cycle).
    let generation = conn_of(&client).inventory_generation.get();
    Replica::set_state(&conn_of(&client).conn, StateKey::LastSuccess, "2026-12-02T10:00:00Z").expect("state");
    conn_of(&client).note_written(["sync_state", "outbox"]);
    assert_eq!(conn_of(&client).inventory_generation.get(), generation);
    assert_eq!(total(), filters + 1);
    // A filter's row goes (this connection).
    delete(id(0x60_0000));
    assert_eq!(total(), filters);
    // As many rows at L1 as parts again, but MTR-500W twice and P4 (which matches) not at all.
    delete(id(0x4014));
    seed_here(id(0x4016), filter_part(0));
    seed_here(id(0x4015), P2);
    assert_eq!(total(), filters, "every filter's row, none of P4");
    // One row of every part again.
    delete(id(0x4015));
    seed_here(id(0x4017), P4);
    assert_eq!(total(), filters + 1);
    // Another connection (the CLI on the same replica) removes a filter's row.
    let other = Connection::open(WorkstationFile::replica_path(dir.path(), ME)).expect("second connection");
    other.execute("DELETE FROM inventario WHERE id_inventario = ?1", [id(0x60_0002).to_string()]).expect("delete");
    assert_eq!(total(), filters);
}

/// The two doors that write parts and inventory rows say so: a local action that changes
/// stock moves the generation a census is keyed on; one that only marks a notification read
/// does not.
#[test]
fn local_actions_that_write_inventory_make_the_census_stale() {
    let (_dir, client) = workstation();
    let generation = || conn_of(&client).inventory_generation.get();
    let before = generation();
    client.mark_notification_read(N1).expect("read");
    assert_eq!(generation(), before, "notificaciones only");
    client
        .edit_inventory_settings(&InventorySettingsInput {
            id_localizacion: L1,
            id_repuesto: P4,
            edits: vec![FieldEdit { field: "cantidad_minima".into(), old: json!(0), new: json!(3) }],
        })
        .expect("settings");
    assert!(generation() > before, "a row of P4 at L1 was created");
}

// ------------------------------------------------------------------------------ parts

#[test]
fn a_part_is_found_by_a_scanned_reference_or_its_id() {
    let (_dir, client) = workstation();
    let find = |code: &str, loc: Option<Uuid>| {
        client.find_part(&FindPartInput { code: code.to_owned(), id_localizacion: loc }).expect("find")
    };
    let found = find("  bat-48v\n", Some(L1)).expect("by reference, trimmed, any case");
    assert_eq!((found.id_repuesto, found.referencia.as_str()), (P1, "BAT-48V"));
    let stock = found.stock.expect("stock at L1");
    assert_eq!((stock.id_inventario, stock.localizacion.as_str(), stock.stock_actual), (I11, "Taller Norte", 10));
    assert_eq!(find(&P2.to_string(), Some(L2)).map(|p| (p.id_repuesto, p.stock)), Some((P2, None)), "no row at L2");
    assert_eq!(find("FRN-01", None).map(|p| (p.nombre, p.stock)), Some(("Freno de disco".to_owned(), None)));
    assert_eq!(find("NOPE-1", Some(L1)), None);
    assert_eq!(find("   ", Some(L1)), None);
}

#[test]
fn suggestions_carry_the_stock_at_the_location_and_are_capped() {
    let (_dir, client) = workstation();
    {
        let replica = conn_of(&client);
        for n in 0..70u128 {
            seed_part(&replica.conn, id(0x3100 + n), &format!("FIL-{n:03}"), "Filtro de aire", None, "Filtros");
        }
    }
    let search = |text: &str, limit: u32| {
        client.search_parts(&SearchPartsInput { text: text.to_owned(), id_localizacion: Some(L1), limit }).expect("s")
    };
    let batteries = search("bateria", 10);
    assert_eq!(batteries.len(), 1);
    assert_eq!(batteries[0].stock.as_ref().map(|s| (s.stock_actual, s.estado_stock)), Some((10, EstadoStock::Alto)));
    assert_eq!(search("filtro", 1000).len(), MAX_SUGGESTIONS as usize, "capped");
    assert_eq!(search("filtro", 3).len(), 3);
    assert!(search("filtro", 3).iter().all(|p| p.stock.is_none()), "no rows at L1");
    assert_eq!(search("", 2).iter().map(|p| p.referencia.as_str()).collect::<Vec<_>>(), ["BAT-48V", "CTL-48V"]);
}

#[test]
fn a_part_s_view_has_its_stock_ledger_and_open_field_conflicts() {
    let (_dir, client) = workstation();
    let (c_part, c_item, c_other_user, c_count, c_reviewed) =
        (id(0xc001), id(0xc002), id(0xc003), id(0xc004), id(0xc005));
    {
        let replica = conn_of(&client);
        let conn = &replica.conn;
        for (log, item, at, detalles, tipo) in [
            (id(0xd001), I11, "2026-11-22T10:00:00+00:00", json!({"id_mutacion": id(0xe001)}), "MOVIMIENTO_TECNICO"),
            (id(0xd002), I21, "2026-11-22T11:00:00+00:00", json!({"absorbido": true}), "AJUSTE_MANUAL"),
            (id(0xd003), I11, "2026-11-22T09:30:00.5+00:00", Value::Null, "CONTEO_FISICO"),
        ] {
            seed(
                conn,
                "logs_inventario",
                &[
                    ("id_log", json!(log)),
                    ("id_inventario", json!(item)),
                    ("id_usuario", json!(OTHER)),
                    ("tipo_operacion", json!(tipo)),
                    ("cantidad_anterior", json!(4)),
                    ("cantidad_nueva", json!(6)),
                    ("diferencia", json!(2)),
                    ("motivo", json!("llegó pedido")),
                    ("detalles", detalles),
                    ("fecha", json!(at)),
                ],
            );
        }
        let nombre = [json!("Batería"), json!("Batería 48 V"), json!("Batería 48V")];
        seed(
            conn,
            "conflictos",
            &conflict_row(
                c_part,
                ME,
                "edicion_campo",
                "repuestos",
                P1,
                "nombre",
                nombre.clone(),
                Some(OTHER),
                "2026-11-22T12:00:00+00:00",
            ),
        );
        seed(
            conn,
            "conflictos",
            &conflict_row(
                c_item,
                ME,
                "edicion_campo",
                "inventario",
                I21,
                "posicion",
                [json!("B-1"), json!("B-9"), json!("B-2")],
                None,
                "2026-11-22T13:00:00+00:00",
            ),
        );
        seed(
            conn,
            "conflictos",
            &conflict_row(
                c_other_user,
                OTHER,
                "edicion_campo",
                "repuestos",
                P1,
                "nombre",
                nombre.clone(),
                Some(ME),
                BASE,
            ),
        );
        seed(
            conn,
            "conflictos",
            &conflict_row(
                c_count,
                ME,
                "absorbido",
                "inventario",
                I11,
                "stock_actual",
                [Value::Null, json!(4), json!(2)],
                None,
                BASE,
            ),
        );
        seed(
            conn,
            "conflictos",
            &conflict_row(c_reviewed, ME, "edicion_campo", "repuestos", P1, "marca", nombre, None, BASE),
        );
    }
    client.dismiss_inbox_entry(&InboxEntryRef { id: c_reviewed, kind: InboxKind::EdicionCampo }).expect("dismiss");
    let detail = client.part_view(P1).expect("detail");
    assert_eq!((detail.referencia.as_str(), detail.created_at.as_str()), ("BAT-48V", "2026-11-22T09:00:00Z"));
    let stock: Vec<(&str, i32)> = detail.stock.iter().map(|s| (s.localizacion.as_str(), s.stock_actual)).collect();
    assert_eq!(stock, [("Bodega Central", 3), ("Taller Norte", 10)], "every location, by name");
    let ledger: Vec<(Uuid, &str, bool)> =
        detail.ledger.iter().map(|e| (e.id_log, e.localizacion.as_str(), e.absorbido)).collect();
    assert_eq!(
        ledger,
        [
            (id(0xd002), "Bodega Central", true),
            (id(0xd001), "Taller Norte", false),
            (id(0xd003), "Taller Norte", false)
        ],
        "newest first"
    );
    assert_eq!(detail.ledger[0].usuario.as_deref(), Some("Óscar Ortega"));
    assert_eq!(detail.ledger[0].tipo_operacion, TipoOperacion::AjusteManual);
    assert_eq!(detail.ledger[2].fecha, "2026-11-22T09:30:00.500Z");
    let conflicts: Vec<(Uuid, Option<&str>, &str)> =
        detail.conflictos.iter().map(|c| (c.id_conflicto, c.localizacion.as_deref(), c.campo.as_str())).collect();
    assert_eq!(
        conflicts,
        [(c_item, Some("Bodega Central"), "posicion"), (c_part, None, "nombre")],
        "open, mine, both rows"
    );
    let part = &detail.conflictos[1];
    assert_eq!(
        (&part.valor_reemplazado, &part.valor_servidor, &part.valor_nuevo),
        (&json!("Batería"), &json!("Batería 48 V"), &json!("Batería 48V"))
    );
    assert_eq!(part.otro_usuario.as_deref(), Some("Óscar Ortega"));
    assert_eq!(client.part_view(id(0x3999)).expect_err("unknown part").code(), "invalid_input");
}

// ------------------------------------------------------------------------------ catalogue

#[test]
fn locations_technicians_and_concepts() {
    let (_dir, client) = workstation();
    let locations = client.locations().expect("locations");
    let names: Vec<(&str, bool)> = locations.iter().map(|l| (l.nombre.as_str(), l.activo)).collect();
    assert_eq!(names, [("Bodega Central", true), ("Taller Norte", true), ("Taller Sur", false)]);
    let technicians = client.technicians_of(L1).expect("technicians");
    assert_eq!(technicians.iter().map(|t| t.id_usuario).collect::<Vec<_>>(), [ME, OTHER]);
    assert_eq!(technicians[1].email, "Óscar@taller.test");
    assert!(client.technicians_of(L3).expect("none").is_empty());
    let concepts = Session::movement_concepts();
    assert_eq!(concepts.len(), Concepto::ALL.len());
    let quote = concepts.iter().find(|c| c.concepto == Concepto::Cotizacion).expect("cotizacion");
    assert_eq!(
        (quote.tipos.as_slice(), quote.moves_stock),
        ([TipoMovimiento::Salida, TipoMovimiento::Venta].as_slice(), false)
    );
    assert!(concepts.iter().filter(|c| c.concepto != Concepto::Cotizacion).all(|c| c.moves_stock));
    assert_eq!(
        serde_json::to_value(quote).expect("json"),
        json!({"concepto": "cotizacion", "tipos": ["salida", "venta"], "moves_stock": false})
    );
}

// ------------------------------------------------------------------------------ actions

/// Each table whose checksum a local action changed is one the catalogue names for it.
fn changed_tables(client: &Session, act: impl FnOnce() -> Queued) -> (Queued, BTreeSet<String>) {
    let before = client.checksums().expect("checksums");
    let queued = act();
    let after = client.checksums().expect("checksums");
    let changed = after.iter().filter(|(table, sum)| before.get(*table) != Some(sum)).map(|(t, _)| t.clone()).collect();
    (queued, changed)
}

#[test]
fn local_actions_are_queued_with_the_pending_count_and_name_the_tables_they_write() {
    let (_dir, client) = workstation();
    let movement = MovementInput {
        id_localizacion: L1,
        id_repuesto: P1,
        id_tecnico_asignado: OTHER,
        concepto: Concepto::Salida,
        tipo: TipoMovimiento::Salida,
        cantidad: 3,
        numero_orden: Some(77),
    };
    let (queued, changed) = changed_tables(&client, || client.record_movement(&movement).expect("movement"));
    assert_eq!(
        (queued.name.as_str(), queued.pending, queued.result["stock_actual"].as_i64()),
        ("movement.record", 1, Some(7))
    );
    assert_eq!(queued.id.get_version_num(), 7, "uuid v7");
    let mutation = Mutation::MovementRecord(MovementRecord {
        id_movimientos_tecnicos: Uuid::nil(),
        id_localizacion: L1,
        id_repuesto: P1,
        id_tecnico_asignado: OTHER,
        concepto: Concepto::Salida,
        tipo: TipoMovimiento::Salida,
        cantidad: 3,
        numero_orden: None,
    });
    for table in &changed {
        assert!(mutation.tables().contains(&table.as_str()), "movement.record wrote {table}");
    }
    assert!(changed.contains("movimientos_tecnicos") && changed.contains("inventario"), "{changed:?}");
    assert_eq!(tables_changed_by(&mutation).last(), Some(&"outbox"));

    let settings = InventorySettingsInput {
        id_localizacion: L1,
        id_repuesto: P1,
        edits: vec![FieldEdit { field: "cantidad_minima".into(), old: json!(2), new: json!(4) }],
    };
    let (queued, changed) = changed_tables(&client, || client.edit_inventory_settings(&settings).expect("settings"));
    assert_eq!((queued.name.as_str(), queued.pending), ("inventory.settings", 2));
    let mutation = Mutation::parse("inventory.settings", &serde_json::to_value(&settings).expect("args")).expect("m");
    assert_eq!(changed.iter().map(String::as_str).collect::<Vec<_>>(), ["inventario"]);
    assert!(mutation.tables().contains(&"inventario"));

    let (queued, changed) = changed_tables(&client, || client.mark_notification_read(N1).expect("read"));
    assert_eq!((queued.name.as_str(), queued.pending), ("notification.read", 3));
    assert_eq!(changed.into_iter().collect::<Vec<_>>(), ["notificaciones"]);
    let notes = client.notification_list().expect("notifications");
    assert_eq!(notes.iter().map(|n| (n.id_notificacion, n.leida)).collect::<Vec<_>>(), [(N1, true)], "mine only");
    assert_eq!(notes[0].created_at, "2026-11-22T10:00:00Z");
    assert_eq!(client.sync_status().expect("status").pending, 3);
}

#[test]
fn a_refused_action_comes_back_with_its_code_and_params() {
    let (_dir, client) = workstation();
    let mut movement = MovementInput {
        id_localizacion: L1,
        id_repuesto: P1,
        id_tecnico_asignado: ME,
        concepto: Concepto::Cotizacion,
        tipo: TipoMovimiento::Ingreso,
        cantidad: 1,
        numero_orden: None,
    };
    let refused = client.record_movement(&movement).expect_err("a quote is not incoming");
    assert_eq!(refused.code(), "invalid_movement");
    assert_eq!(refused.params().get("tipo"), Some(&json!("ingreso")));
    movement.concepto = Concepto::Salida;
    movement.tipo = TipoMovimiento::Salida;
    movement.id_localizacion = L3;
    let refused = client.record_movement(&movement).expect_err("out of scope");
    assert!(matches!(refused, ClientError::Rejected(_)));
    assert_eq!(refused.params().get("localizacion"), Some(&json!("Taller Sur")), "named");
    assert!(refused.message(Lang::En).contains("Taller Sur"));
    assert!(ClientError::NotSignedIn.params().is_empty());
    assert_eq!(client.sync_status().expect("status").pending, 0, "nothing queued");
}

// ------------------------------------------------------------------------------ inbox

fn reject(client: &Session, mutation: &str, args: Value, code: &str, params: Value, at: &str) -> Uuid {
    let id = Uuid::now_v7();
    let replica = conn_of(client);
    replica
        .conn
        .execute(
            "INSERT INTO rejected_mutations (id, name, args, at, code, message, params) VALUES (?1, ?2, ?3, ?4, ?5, 'server text', ?6)",
            rusqlite::params![id.to_string(), mutation, args.to_string(), at, code, params.to_string()],
        )
        .expect("rejection");
    id
}

#[test]
fn the_inbox_explains_rejections_and_conflicts_by_name_in_both_languages() {
    let (dir, mut client) = workstation();
    let refused = reject(
        &client,
        "movement.record",
        json!({"id_localizacion": L1, "id_repuesto": P2, "cantidad": 3, "concepto": "venta", "tipo": "venta"}),
        "insufficient_stock",
        json!({"available": 2, "requested": 3}),
        "2026-11-22T15:00:00+00:00",
    );
    let unknown = reject(&client, "future.thing", json!({}), "brand_new_code", json!({}), "2026-11-22T08:00:00Z");
    let (absorbed, negative, edited, merged) = (id(0xc101), id(0xc102), id(0xc103), id(0xc104));
    {
        let replica = conn_of(&client);
        let conn = &replica.conn;
        seed(
            conn,
            "conflictos",
            &conflict_row(
                absorbed,
                ME,
                "absorbido",
                "inventario",
                I11,
                "stock_actual",
                [Value::Null, json!(4), json!(-2)],
                None,
                "2026-11-22T14:00:00+00:00",
            ),
        );
        seed(
            conn,
            "conflictos",
            &conflict_row(
                negative,
                ME,
                "stock_negativo",
                "inventario",
                I12,
                "stock_actual",
                [json!(1), json!(-2), json!(-3)],
                Some(OTHER),
                "2026-11-22T13:00:00+00:00",
            ),
        );
        seed(
            conn,
            "conflictos",
            &conflict_row(
                edited,
                ME,
                "edicion_campo",
                "repuestos",
                P1,
                "nombre",
                [json!("Batería"), json!("Batería 48 V"), json!("Batería 48V")],
                Some(OTHER),
                "2026-11-22T12:00:00+00:00",
            ),
        );
        seed(
            conn,
            "conflictos",
            &conflict_row(
                merged,
                ME,
                "fusion_referencia",
                "repuestos",
                P3,
                "referencia",
                [Value::Null, json!("CTL-48V"), json!("Control 48")],
                None,
                "2026-11-22T11:00:00+00:00",
            ),
        );
        seed(
            conn,
            "conflictos",
            &conflict_row(
                id(0xc105),
                OTHER,
                "edicion_campo",
                "repuestos",
                P1,
                "nombre",
                [json!(1), json!(2), json!(3)],
                None,
                BASE,
            ),
        );
    }
    let inbox = client.inbox().expect("inbox");
    let order: Vec<(Uuid, InboxKind)> = inbox.iter().map(|e| (e.id, e.kind)).collect();
    assert_eq!(
        order,
        [
            (refused, InboxKind::Rechazo),
            (absorbed, InboxKind::Absorbido),
            (negative, InboxKind::StockNegativo),
            (edited, InboxKind::EdicionCampo),
            (merged, InboxKind::FusionReferencia),
            (unknown, InboxKind::Rechazo),
        ],
        "mine, newest first"
    );
    let rejection = &inbox[0];
    assert_eq!(rejection.what, "El servidor rechazó su movimiento de 3 × MTR-500W en Taller Norte.");
    assert_eq!(rejection.why, "Stock insuficiente: hay 2 y se piden 3.");
    assert!(rejection.next_step.starts_with("Cuente las unidades"), "{}", rejection.next_step);
    assert_eq!(rejection.rejection.as_ref().map(|r| r.code.as_str()), Some("insufficient_stock"));
    assert_eq!(
        (rejection.action.as_str(), rejection.at.as_str(), rejection.reviewed),
        ("movement.record", "2026-11-22T15:00:00Z", false)
    );
    assert_eq!(inbox[5].why, "server text", "a code this version does not know keeps the server's message");
    assert!(inbox[1].what.contains("BAT-48V en Taller Norte"), "{}", inbox[1].what);
    assert!(inbox[2].what.starts_with("MTR-500W en Taller Norte quedó con -2 unidades"), "{}", inbox[2].what);
    assert!(inbox[2].why.contains("Óscar Ortega"), "{}", inbox[2].why);
    assert!(inbox[3].what.contains("Óscar Ortega") && inbox[3].what.contains("BAT-48V"), "{}", inbox[3].what);
    assert!(inbox[3].why.contains("«Batería 48 V»"), "{}", inbox[3].why);
    assert_eq!(inbox[3].action, "part.edit");
    assert_eq!(inbox[4].action, "part.create");
    let conflict = inbox[3].conflict.as_ref().expect("facts");
    assert_eq!(
        (conflict.tabla.as_str(), conflict.valor_servidor.clone(), conflict.otro_usuario.as_deref()),
        ("repuestos", json!("Batería 48 V"), Some("Óscar Ortega"))
    );
    let json = serde_json::to_value(&inbox[2]).expect("json");
    assert_eq!(
        (json["kind"].clone(), json["reviewed"].clone(), json["rejection"].clone()),
        (json!("stock_negativo"), json!(false), Value::Null)
    );

    client.ws.set_lang("en").expect("lang");
    let english = client.inbox().expect("inbox");
    assert_eq!(english[0].what, "The server refused your movement of 3 × MTR-500W at Taller Norte.");
    assert_eq!(english[0].why, "Not enough stock: 2 available, 3 requested.");
    for (es, en) in inbox.iter().zip(&english) {
        // The server's own message of an unknown code is kept as it came.
        let why_translated = es.id != unknown;
        for (a, b, translated) in
            [(&es.what, &en.what, true), (&es.why, &en.why, why_translated), (&es.next_step, &en.next_step, true)]
        {
            assert!(!a.is_empty() && !b.is_empty(), "{es:?}");
            assert_eq!(a != b, translated, "translated: {a} / {b}");
        }
    }
    drop(dir);
}

/// A dismissed conflict leaves the open count, and a pull that brings its row again (still
/// `revisado = 0` on the server) does not bring it back.
#[test]
fn a_dismissed_conflict_stays_dismissed_after_a_pull() {
    let (_dir, client) = workstation();
    let conflict = id(0xc201);
    let row = conflict_row(
        conflict,
        ME,
        "stock_negativo",
        "inventario",
        I12,
        "stock_actual",
        [json!(1), json!(-1), json!(-2)],
        None,
        BASE,
    );
    seed(&conn_of(&client).conn, "conflictos", &row);
    let refused = reject(
        &client,
        "inventory.adjust",
        json!({"id_localizacion": L1}),
        "forbidden",
        json!({"permission": "inventory.edit"}),
        BASE,
    );
    assert_eq!(client.sync_status().expect("status").conflicts, 2);

    client.dismiss_inbox_entry(&InboxEntryRef { id: conflict, kind: InboxKind::StockNegativo }).expect("dismiss");
    client.dismiss_inbox_entry(&InboxEntryRef { id: refused, kind: InboxKind::Rechazo }).expect("dismiss");
    assert_eq!(client.sync_status().expect("status").conflicts, 0);
    let wrong = client.dismiss_inbox_entry(&InboxEntryRef { id: conflict, kind: InboxKind::Absorbido });
    assert_eq!(wrong.expect_err("wrong kind").code(), "invalid_input");
    assert!(client.dismiss_inbox_entry(&InboxEntryRef { id: id(0xdead), kind: InboxKind::Rechazo }).is_err());

    // A pull rewrites the conflict row as the server has it.
    let table = rows::table("conflictos").expect("table");
    let mut values = vec![Value::Null; table.columns.len()];
    for (column, value) in &row {
        values[table.column_index(column).expect("column")] = value.clone();
    }
    let changes = vec![TableChanges { table: "conflictos".into(), upserts: vec![values], deletes: vec![] }];
    {
        let mut replica = conn_of(&client);
        sync::stage(&mut replica.conn, &changes, &Cursor::initial().encode(), false).expect("stage");
        let mut tables = BTreeSet::new();
        sync::apply_staged_into(&mut replica.conn, &mut tables).expect("apply");
        assert!(tables.contains("conflictos") && tables.contains("outbox"), "{tables:?}");
        let revisado: i64 = replica
            .conn
            .query_row("SELECT revisado FROM conflictos WHERE id_conflicto = ?1", [conflict.to_string()], |r| r.get(0))
            .expect("row");
        assert_eq!(revisado, 0, "the server's row, as it is");
    }
    assert_eq!(client.sync_status().expect("status").conflicts, 0, "still dismissed");
    let inbox = client.inbox().expect("inbox");
    assert!(inbox.iter().all(|entry| entry.reviewed), "{inbox:?}");
    assert_eq!(inbox.len(), 2);
}

// ------------------------------------------------------------------------------ status and settings

#[test]
fn the_status_reads_structured_and_older_one_line_errors() {
    let (_dir, client) = workstation();
    let status = client.sync_status().expect("status");
    assert_eq!(
        (status.user.as_deref(), status.last_error.clone(), status.update_required),
        (Some("marta@taller.test"), None, false)
    );

    let failed: crate::error::Result<crate::sync::SyncReport> =
        Err(ClientError::UpdateRequired("this app speaks protocol 1; the server needs 2".into()));
    record_result(client.shared(), &failed).expect("record");
    let stored = conn_of(&client).state(StateKey::LastError).expect("state").expect("stored");
    let parsed: SyncError = serde_json::from_str(&stored).expect("stored as JSON");
    assert_eq!(parsed.code, "update_required");
    let status = client.sync_status().expect("status");
    assert!(status.update_required);
    assert_eq!(
        status.last_error.as_ref().map(|e| e.message.as_str()),
        Some("this app speaks protocol 1; the server needs 2")
    );
    let line = client.status().expect("status").last_error.expect("one line");
    assert_eq!(line, format!("{} update_required: this app speaks protocol 1; the server needs 2", parsed.at));

    Replica::set_state(
        &conn_of(&client).conn,
        StateKey::LastError,
        "2026-11-22T09:00:00+00:00 offline: the server cannot be reached: refused",
    )
    .expect("old");
    let status = client.sync_status().expect("status");
    assert_eq!(
        status.last_error,
        Some(SyncError {
            at: "2026-11-22T09:00:00+00:00".into(),
            code: "offline".into(),
            message: "the server cannot be reached: refused".into()
        })
    );
    assert!(!status.update_required);
    record_result(client.shared(), &Ok(crate::sync::SyncReport::default())).expect("record");
    assert_eq!(client.sync_status().expect("status").last_error, None, "cleared by a success");
}

#[test]
fn settings_are_validated_whole_and_kept_with_the_workstation() {
    let (dir, SignedIn { ws: mut client, .. }) = workstation();
    assert_eq!(client.settings(), Settings { server_url: None, lang: Lang::Es, sync_interval_seconds: 30 });
    for (url, interval) in [("ftp://taller", 60), ("https://taller.test", 4), ("https://taller.test", 3601)] {
        let input = Settings { server_url: Some(url.into()), lang: Lang::En, sync_interval_seconds: interval };
        let refused = client.save_settings(&input).expect_err("refused");
        assert_eq!(refused.code(), "invalid_input", "{url} {interval}");
        assert_eq!(client.settings().sync_interval_seconds, 30, "nothing saved");
        assert_eq!(client.settings().lang, Lang::Es, "nothing saved");
    }
    let saved = client
        .save_settings(&Settings {
            server_url: Some(" https://taller.test/ ".into()),
            lang: Lang::En,
            sync_interval_seconds: 120,
        })
        .expect("saved");
    assert_eq!(
        saved,
        Settings { server_url: Some("https://taller.test".into()), lang: Lang::En, sync_interval_seconds: 120 }
    );
    let reopened = Workstation::open(dir.path()).expect("reopen");
    assert_eq!(reopened.settings(), saved);
    assert_eq!(reopened.engine_config().interval, std::time::Duration::from_secs(120));
    assert_eq!(serde_json::to_value(&saved).expect("json")["lang"], "en");
}

/// Two users of one workstation, each with their own outbox: each one's pending count is
/// their own, and only the open one is current.
#[test]
fn workstation_users_show_each_user_s_own_pending_count() {
    let (dir, client) = workstation();
    client
        .record_movement(&MovementInput {
            id_localizacion: L1,
            id_repuesto: P1,
            id_tecnico_asignado: ME,
            concepto: Concepto::Salida,
            tipo: TipoMovimiento::Salida,
            cantidad: 1,
            numero_orden: None,
        })
        .expect("movement");
    drop(client);
    // Óscar signed in here too (twice by email case), left three changes and signed out for good.
    {
        let replica = Replica::open(&WorkstationFile::replica_path(dir.path(), OTHER)).expect("replica");
        Replica::set_state(&replica.conn, StateKey::Profile, &profile(OTHER, "oscar@taller.test", "Óscar Ortega"))
            .expect("p");
        for n in 0..3 {
            replica
                .conn
                .execute(
                    "INSERT INTO outbox (id, name, args, at) VALUES (?1, 'cart.remove', '{}', ?2)",
                    [format!("m{n}"), BASE.to_owned()],
                )
                .expect("outbox");
        }
    }
    let mut ws = WorkstationFile::load(dir.path()).expect("load");
    ws.users.insert("oscar@taller.test".into(), OTHER);
    ws.users.insert("o.ortega@taller.test".into(), OTHER);
    ws.save(dir.path()).expect("save");
    let client = Workstation::open(dir.path()).expect("open");
    let users = client.workstation_users().expect("users");
    let seen: Vec<(&str, Option<&str>, i64, bool, bool)> = users
        .iter()
        .map(|u| (u.email.as_str(), u.nombre_completo.as_deref(), u.pending, u.current, u.can_unlock))
        .collect();
    assert_eq!(
        seen,
        [
            ("marta@taller.test", Some("Marta Méndez"), 1, true, true),
            ("oscar@taller.test", Some("Óscar Ortega"), 3, false, false),
        ]
    );
    let profile = client.current_profile().expect("profile").expect("signed in");
    assert_eq!(profile.id_usuario, ME);
    let mut signed_out = client;
    signed_out.logout().expect("logout");
    assert_eq!(signed_out.current_profile().expect("profile"), None);
    assert!(signed_out.workstation_users().expect("users").iter().all(|u| !u.current));
}

/// The transfers screen's flow on the replica, offline: a cart named as a person types it
/// (a location by name, a part by reference), a request from the cart's lines for one
/// destination, its lines in picking order with the origin's stock, then pick, dispatch and
/// receive with a line named by its reference, and the difference on that line.
#[test]
fn a_transfer_goes_from_the_cart_to_received_with_its_difference() {
    let (_dir, client) = workstation();
    let empty = client.request_from_cart(&RequestFromCartInput {
        origin: "Bodega Central".into(),
        destination: "Taller Norte".into(),
        observaciones_generales: None,
    });
    assert!(
        matches!(empty, Err(ClientError::Rejected(ref r)) if r.code == taller_domain::RejectionCode::EmptyRequest),
        "an empty cart: {empty:?}"
    );
    let norte = client
        .cart_add(&CartAddInput { destination: "taller norte".into(), part: "bat-48v".into(), cantidad: 3 })
        .expect("cart add by name and reference");
    assert_eq!(norte.pending, 1);
    client
        .cart_add(&CartAddInput { destination: L1.to_string(), part: P3.to_string(), cantidad: 1 })
        .expect("cart add by ids");
    let other = client
        .cart_add(&CartAddInput { destination: "Bodega Central".into(), part: "MTR-500W".into(), cantidad: 2 })
        .expect("a line for another destination");
    let cart = client.cart().expect("cart");
    assert_eq!(
        cart.iter().map(|l| (l.destino.as_str(), l.referencia.as_str(), l.cantidad)).collect::<Vec<_>>(),
        [("Taller Norte", "BAT-48V", 3), ("Taller Norte", "CTL-48V", 1), ("Bodega Central", "MTR-500W", 2)]
    );
    let line = cart.iter().find(|l| l.referencia == "CTL-48V").expect("line").id_item_carrito;
    client.cart_set(&CartSetInput { id_item_carrito: line, cantidad: 2 }).expect("cart set");

    let missing = client.cart_add(&CartAddInput { destination: "Nowhere".into(), part: "BAT-48V".into(), cantidad: 1 });
    assert!(matches!(missing, Err(ClientError::Invalid(ref m)) if m.contains("Nowhere")), "{missing:?}");

    let created = client
        .request_from_cart(&RequestFromCartInput {
            origin: "Bodega Central".into(),
            destination: "Taller Norte".into(),
            observaciones_generales: Some("urgente".into()),
        })
        .expect("request from the cart");
    let id: Uuid = conn_of(&client)
        .conn
        .query_row("SELECT id_solicitud FROM solicitudes", [], |row| row.get::<_, String>(0))
        .expect("request row")
        .parse()
        .expect("uuid");
    assert_eq!(created.name, "request.create");
    let left = client.cart().expect("cart");
    assert_eq!(
        left.iter().map(|l| l.id_item_carrito).collect::<Vec<_>>(),
        [other_line(&other)],
        "only Bodega's line stays"
    );

    let listed = client.requests(&RequestListInput::default()).expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].estado, listed[0].origen.as_deref(), listed[0].destino.as_deref(), listed[0].num_lineas),
        (taller_domain::EstadoSolicitud::Pendiente, Some("Bodega Central"), Some("Taller Norte"), 2)
    );
    assert_eq!(listed[0].solicitante.as_deref(), Some("Marta Méndez"));
    let dispatched_only = RequestListInput { estado: Some(taller_domain::EstadoSolicitud::Despachado) };
    assert!(client.requests(&dispatched_only).expect("list").is_empty());

    // Picking order: by position at the origin (BAT-48V is at B-2 in Bodega; CTL-48V has no
    // row there), then reference.
    let detail = client.request(id).expect("detail");
    assert_eq!(
        detail
            .lineas
            .iter()
            .map(|l| (l.referencia.as_str(), l.posicion.as_deref(), l.stock_origen, l.cantidad_solicitada))
            .collect::<Vec<_>>(),
        [("BAT-48V", Some("B-2"), Some(3), 3), ("CTL-48V", None, None, 2)]
    );
    assert_eq!(detail.request.observaciones_generales.as_deref(), Some("urgente"));
    assert_eq!(detail.trazabilidad.len(), 1, "{:?}", detail.trazabilidad);
    assert_eq!(detail.trazabilidad[0].usuario.as_deref(), Some("Marta Méndez"));

    let pick = RequestStepInput { id_solicitud: id, comentario: None };
    let refused = client.pick_request(&pick);
    assert!(
        matches!(refused, Err(ClientError::Rejected(ref r)) if r.code == taller_domain::RejectionCode::Forbidden),
        "picking needs requests.approve: {refused:?}"
    );
    // The role is given the permission, as a pull would bring it.
    conn_of(&client)
        .conn
        .execute("UPDATE roles SET permisos = json_set(permisos, '$.requests.approve', json('true'))", [])
        .expect("approver");
    client.pick_request(&pick).expect("pick");
    let unknown_line = client.dispatch_request(&DispatchInput {
        id_solicitud: id,
        lines: vec![LineQuantityInput { line: "FRN-01".into(), cantidad: 1 }],
        guia_transporte: None,
        comentario: None,
    });
    assert!(matches!(unknown_line, Err(ClientError::Invalid(ref m)) if m.contains("FRN-01")), "{unknown_line:?}");
    client
        .dispatch_request(&DispatchInput {
            id_solicitud: id,
            lines: vec![LineQuantityInput { line: "bat-48v".into(), cantidad: 2 }],
            guia_transporte: Some("GT-77".into()),
            comentario: None,
        })
        .expect("dispatch");
    let ctl = detail.lineas[1].id_detalle.to_string();
    client
        .receive_request(&ReceiveInput {
            id_solicitud: id,
            lines: vec![LineQuantityInput { line: ctl, cantidad: 1 }],
            comentario: Some("llegó un controlador".into()),
        })
        .expect("receive");
    let received = client.request(id).expect("detail");
    assert_eq!(received.request.estado, taller_domain::EstadoSolicitud::Recibido);
    assert_eq!(received.request.guia_transporte.as_deref(), Some("GT-77"));
    assert_eq!(
        received
            .lineas
            .iter()
            .map(|l| (l.referencia.as_str(), l.cantidad_despachada, l.cantidad_recibida, l.discrepancia))
            .collect::<Vec<_>>(),
        [("BAT-48V", Some(2), Some(2), false), ("CTL-48V", Some(2), Some(1), true)]
    );
    assert_eq!(
        received.trazabilidad.iter().map(|t| t.estado_nuevo.as_str()).collect::<Vec<_>>(),
        ["PENDIENTE", "ALISTAMIENTO", "DESPACHADO", "RECIBIDO"]
    );
    assert_eq!(received.trazabilidad[3].comentario.as_deref(), Some("llegó un controlador"));
    let cancel = client.cancel_request(&RequestStepInput { id_solicitud: id, comentario: None });
    assert!(matches!(cancel, Err(ClientError::Rejected(_))), "a received request cannot be cancelled: {cancel:?}");
    assert!(matches!(client.request(Uuid::now_v7()), Err(ClientError::Invalid(_))));
}

fn other_line(queued: &Queued) -> Uuid {
    queued.result["id_item_carrito"].as_str().expect("id").parse().expect("uuid")
}

#[test]
fn line_quantities_parse_as_typed() {
    assert_eq!(
        LineQuantityInput::parse(" BAT-48V : 2 "),
        Ok(LineQuantityInput { line: "BAT-48V".into(), cantidad: 2 })
    );
    assert_eq!(LineQuantityInput::parse("A:B:3").map(|l| l.line), Ok("A:B".to_owned()));
    assert!(LineQuantityInput::parse("nocolon").is_err());
    assert!(LineQuantityInput::parse("REF:many").is_err());
}
