//! Per-table checksums of the replica, computed exactly as the server computes them
//! (`taller_protocol::checksum`), so `taller checksum` can be compared with `/v1/checksum`.

use crate::error::Result;
use crate::rows;
use rusqlite::Connection;
use std::collections::BTreeMap;
use taller_protocol::checksum::{Accumulator, TableChecksum};
use taller_protocol::tables::TABLES;

pub fn replica_checksums(conn: &Connection) -> Result<BTreeMap<String, TableChecksum>> {
    let mut out = BTreeMap::new();
    for table in TABLES {
        let mut accumulator = Accumulator::default();
        for row in rows::all(conn, table)? {
            accumulator.add(table, &row);
        }
        out.insert(table.name.to_owned(), accumulator.finish());
    }
    Ok(out)
}
