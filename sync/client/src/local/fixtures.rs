//! Rows as a pull would leave them, for the client's unit tests (the local actions' and the
//! app module's): one way to seed a replica.

use super::new_row;
use crate::rows;
use rusqlite::Connection;
use serde_json::{json, Value};
use uuid::Uuid;

/// When seeded rows were created.
pub(crate) const BASE: &str = "2026-11-22T09:00:00+00:00";

/// A server row of `table_name` from named values (the others NULL), as a pull writes it.
pub(crate) fn seed(conn: &Connection, table_name: &str, values: &[(&str, Value)]) {
    let table = rows::table(table_name).expect("table");
    let row = new_row(table, values).expect("row");
    rows::upsert_server(conn, table, &row).expect("seed row");
}

/// An `inventario` row, never counted.
pub(crate) fn seed_item(
    conn: &Connection,
    id_inventario: Uuid,
    loc: Uuid,
    part: Uuid,
    stock: i32,
    minimo: i32,
    posicion: Option<&str>,
) {
    seed(
        conn,
        "inventario",
        &[
            ("id_inventario", json!(id_inventario)),
            ("id_localizacion", json!(loc)),
            ("id_repuesto", json!(part)),
            ("stock_actual", json!(stock)),
            ("cantidad_minima", json!(minimo)),
            ("posicion", json!(posicion)),
            ("veces_contado", json!(0)),
            ("created_at", json!(BASE)),
            ("updated_at", json!(BASE)),
        ],
    );
}
