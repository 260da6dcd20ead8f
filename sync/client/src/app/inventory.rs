//! Locations, technicians, movement concepts, the inventory list, parts, notifications, and
//! the local actions of these screens.

use super::types::{
    ConceptoInfo, EstadoStock, FieldConflict, FindPartInput, InventoryPage, InventoryQuery, InventoryRow,
    InventorySettingsInput, InventorySortColumn, Localizacion, LocationStock, MovementInput, Notificacion, PartDetail,
    PartMatch, SearchPartsInput, SortDirection, Tecnico,
};
use super::{
    json_value, ledger_entry_at, opt_uuid_at, utc, uuid_at, LEDGER_COLUMNS, LEDGER_ROWS, MAX_PAGE, MAX_SUGGESTIONS,
};
use crate::error::{ClientError, Result};
use crate::queries::{fts_query, ranked_candidates};
use crate::replica::{LocationCensus, Replica};
use crate::session::{Queued, Session};
use crate::sync::lock;
use rusqlite::{params, Connection, OptionalExtension, Row};
use taller_domain::stock::alerta_minimo;
use taller_domain::Concepto;
use taller_protocol::mutations::{InventorySettings, MovementRecord, Mutation, NotificationRead};
use uuid::Uuid;

/// The columns of an inventory row, in [`inventory_row`]'s order.
pub(super) const ROW_COLUMNS: &str =
    "i.id_inventario, i.id_localizacion, i.id_repuesto, r.referencia, r.nombre, r.marca, \
                           r.tipo, i.stock_actual, i.cantidad_minima, i.posicion, r.descontinuado";

/// `estado_stock` as a sortable rank, the domain's rule (`taller_domain::stock::estado_stock`)
/// in SQL: Sin Stock, Bajo, Normal, Alto. A test holds the two to the same answers.
pub(crate) const ESTADO_RANK: &str = "CASE WHEN i.stock_actual <= 0 THEN 0 \
     WHEN i.stock_actual <= i.cantidad_minima THEN 1 \
     WHEN i.stock_actual <= 2 * i.cantidad_minima THEN 2 ELSE 3 END";

/// `alerta_minimo` in SQL (`taller_domain::stock::alerta_minimo`).
const ALERTA_MINIMO: &str = "i.stock_actual <= i.cantidad_minima";

/// The SQL of a sort column: a fixed expression per column, never text from the caller.
fn sort_expression(column: InventorySortColumn) -> &'static str {
    match column {
        InventorySortColumn::Referencia => "r.referencia",
        InventorySortColumn::Nombre => "r.nombre",
        InventorySortColumn::Marca => "r.marca",
        InventorySortColumn::Tipo => "r.tipo",
        InventorySortColumn::StockActual => "i.stock_actual",
        InventorySortColumn::CantidadMinima => "i.cantidad_minima",
        InventorySortColumn::Posicion => "i.posicion",
        InventorySortColumn::EstadoStock => ESTADO_RANK,
    }
}

/// A column of the part itself (`repuestos`), not of its row at the location.
fn of_the_part(column: InventorySortColumn) -> bool {
    matches!(
        column,
        InventorySortColumn::Referencia
            | InventorySortColumn::Nombre
            | InventorySortColumn::Marca
            | InventorySortColumn::Tipo
    )
}

/// How one inventory window is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// No search: the location's rows (walking the reference index when sorted by it).
    Location,
    /// A search: the full-text matches first, each part's row at the location by key, then
    /// sorted. Cheap while the matches are few.
    Matches,
    /// A broad search sorted by reference: the parts in reference order, each kept when it
    /// is among the matches (a set built once from the full-text index), stopping after the
    /// window. Cheap while the matches are many: a window of 100 rows among 16,000 matches
    /// of 100,000 parts reads some 600 parts instead of joining and sorting 16,000.
    ReferenceOrder,
    /// A broad search sorted by a column of the part, where the location holds one row of
    /// every part and no filter reads the rows: the matching parts are sorted alone and cut to
    /// the window, and only the window's parts have their row looked up. Where the walk would
    /// read far (the matches sorting late: «m» matches the motors, MTR-…, behind 60 % of the
    /// references), this sorts the matches' references without a lookup of each one's row.
    PartsFirst,
}

/// A search with at least this many full-text matches is broad: the window may walk the
/// parts in reference order and the count may come from the full-text index alone. Below
/// it, the join of the matches is a few milliseconds at most.
pub(crate) const BROAD_SEARCH: i64 = 1_000;

/// How a search's window is read: `matches` full-text matches, the window's end (`offset +
/// limit`), and the location's census when the search is broad.
pub(crate) fn search_access(
    column: InventorySortColumn,
    low_only: bool,
    window: i64,
    matches: i64,
    census: Option<LocationCensus>,
) -> Access {
    let Some(census) = census.filter(|_| !low_only) else { return Access::Matches };
    // The walk reads about (offset + limit) * parts / matches parts, when the matches are
    // spread through the reference order; the other ways read every match.
    if column == InventorySortColumn::Referencia
        && window.saturating_mul(census.parts) <= matches.saturating_mul(matches)
    {
        Access::ReferenceOrder
    } else if census.one_row_per_part && of_the_part(column) {
        Access::PartsFirst
    } else {
        Access::Matches
    }
}

/// The full-text matches of a search (`?1`), from the index alone.
const MATCH_COUNT: &str = "SELECT count(*) FROM repuestos_fts WHERE repuestos_fts MATCH ?1";

/// The rows of one inventory window (`?1` location, `?2` FTS query, `?3` low only, `?4`
/// limit, `?5` offset).
pub(crate) fn inventory_sql(column: InventorySortColumn, direction: SortDirection, access: Access) -> String {
    let dir = match direction {
        SortDirection::Asc => "ASC",
        SortDirection::Desc => "DESC",
    };
    let low = low_filter();
    let order = match column {
        InventorySortColumn::Referencia => format!("r.referencia {dir}, r.id_repuesto {dir}"),
        other => format!("{} {dir}, r.referencia {dir}, r.id_repuesto {dir}", sort_expression(other)),
    };
    let (from, filter) = match access {
        // The matches first, each part's row at the location by key: left to itself the
        // planner may walk the location's rows and ask the full-text index for each.
        Access::Matches => (MATCHES_FROM, format!("repuestos_fts MATCH ?2 AND {low}")),
        // INDEXED BY keeps the walk in reference order: the planner would rather drive from
        // the set of matching rowids and sort them all.
        Access::ReferenceOrder => (
            "repuestos r INDEXED BY idx_repuestos_referencia \
             CROSS JOIN inventario i ON i.id_localizacion = ?1 AND i.id_repuesto = r.id_repuesto",
            format!("r.rowid IN (SELECT rowid FROM repuestos_fts WHERE repuestos_fts MATCH ?2) AND {low}"),
        ),
        // Walks the parts in reference order (idx_repuestos_referencia) and stops after the
        // window: each part's row at the location is one index lookup.
        Access::Location if column == InventorySortColumn::Referencia => {
            ("repuestos r CROSS JOIN inventario i ON i.id_localizacion = ?1 AND i.id_repuesto = r.id_repuesto", low)
        }
        Access::Location => (
            "inventario i JOIN repuestos r ON r.id_repuesto = i.id_repuesto",
            format!("i.id_localizacion = ?1 AND {low}"),
        ),
        // The window of matching parts, then each one's row at the location by key: every
        // part has exactly one (the caller's census), so the window is the same rows.
        Access::PartsFirst => {
            return format!(
                "WITH window_parts AS MATERIALIZED (SELECT r.rowid AS part_rowid FROM repuestos_fts f \
                   CROSS JOIN repuestos r ON r.rowid = f.rowid WHERE repuestos_fts MATCH ?2 \
                   ORDER BY {order} LIMIT ?4 OFFSET ?5) \
                 SELECT {ROW_COLUMNS} FROM window_parts w CROSS JOIN repuestos r ON r.rowid = w.part_rowid \
                   CROSS JOIN inventario i ON i.id_localizacion = ?1 AND i.id_repuesto = r.id_repuesto \
                 WHERE {low} ORDER BY {order}"
            )
        }
    };
    format!("SELECT {ROW_COLUMNS} FROM {from} WHERE {filter} ORDER BY {order} LIMIT ?4 OFFSET ?5")
}

const MATCHES_FROM: &str = "repuestos_fts f CROSS JOIN repuestos r ON r.rowid = f.rowid \
     CROSS JOIN inventario i ON i.id_localizacion = ?1 AND i.id_repuesto = r.id_repuesto";

/// `?3` is `low_only`.
fn low_filter() -> String {
    format!("(?3 = 0 OR {ALERTA_MINIMO})")
}

/// The number of rows of a window's list (`?1` location, `?2` FTS query, `?3` low only),
/// with or without a search. Without one it reads the location's rows alone: every
/// inventory row has its part (the server's foreign key; a delta arrives whole).
///
/// Without the low-stock filter the statement names no column of the row, so the count reads
/// the location's index alone: the filter written as `(?3 = 0 OR ...)` would make SQLite read
/// every row for a test that is true (160–200 ms for 100,000 rows, on every unfiltered first
/// window, against some 7 ms).
pub(crate) fn count_sql(search: bool, low_only: bool) -> String {
    let low = if low_only { low_filter() } else { "?3 = 0".to_owned() };
    if search {
        format!("SELECT count(*) FROM {MATCHES_FROM} WHERE repuestos_fts MATCH ?2 AND {low}")
    } else {
        format!("SELECT count(*) FROM inventario i WHERE i.id_localizacion = ?1 AND {low}")
    }
}

/// The location's census, taken again when the replica changed since the last one.
fn census(replica: &Replica, location: Uuid) -> Result<LocationCensus> {
    let conn = &replica.conn;
    let data_version: i64 = conn.query_row("PRAGMA data_version", [], |row| row.get(0))?;
    let version = (data_version, replica.inventory_generation.get());
    if let Some(known) = *replica.census.borrow() {
        if known.version == version && known.location == location {
            return Ok(known);
        }
    }
    let parts: i64 = conn.prepare_cached("SELECT count(*) FROM repuestos")?.query_row([], |row| row.get(0))?;
    // Both from the location's index, in its order (a DISTINCT over the ordered index needs no
    // temporary b-tree, which count(DISTINCT ...) builds).
    let (rows, distinct): (i64, i64) = conn
        .prepare_cached(
            "SELECT (SELECT count(*) FROM inventario WHERE id_localizacion = ?1), \
                    (SELECT count(*) FROM (SELECT DISTINCT id_repuesto FROM inventario WHERE id_localizacion = ?1))",
        )?
        .query_row([location.to_string()], |row| Ok((row.get(0)?, row.get(1)?)))?;
    // A row whose part is missing would break the equality's meaning; the replica has none
    // (the server's foreign key, a delta applied whole), as the location's count relies on.
    let taken = LocationCensus { version, location, parts, one_row_per_part: rows == parts && distinct == parts };
    *replica.census.borrow_mut() = Some(taken);
    Ok(taken)
}

pub(super) fn inventory_row(row: &Row<'_>) -> rusqlite::Result<InventoryRow> {
    let stock_actual: i32 = row.get(7)?;
    let cantidad_minima: i32 = row.get(8)?;
    Ok(InventoryRow {
        id_inventario: uuid_at(row, 0)?,
        id_localizacion: uuid_at(row, 1)?,
        id_repuesto: uuid_at(row, 2)?,
        referencia: row.get(3)?,
        nombre: row.get(4)?,
        marca: row.get(5)?,
        tipo: row.get(6)?,
        stock_actual,
        cantidad_minima,
        posicion: row.get(9)?,
        estado_stock: EstadoStock::of(stock_actual, cantidad_minima),
        alerta_minimo: alerta_minimo(stock_actual, cantidad_minima),
        descontinuado: row.get(10)?,
    })
}

/// The columns of a part match, in [`part_match`]'s order.
const PART_COLUMNS: &str = "r.id_repuesto, r.referencia, r.nombre, r.marca, r.tipo, r.descontinuado";

fn part_match(row: &Row<'_>) -> rusqlite::Result<PartMatch> {
    Ok(PartMatch {
        id_repuesto: uuid_at(row, 0)?,
        referencia: row.get(1)?,
        nombre: row.get(2)?,
        marca: row.get(3)?,
        tipo: row.get(4)?,
        descontinuado: row.get(5)?,
        stock: None,
    })
}

const STOCK_COLUMNS: &str =
    "i.id_inventario, i.id_localizacion, l.nombre, i.stock_actual, i.cantidad_minima, i.posicion";

fn location_stock(row: &Row<'_>) -> rusqlite::Result<LocationStock> {
    let stock_actual: i32 = row.get(3)?;
    let cantidad_minima: i32 = row.get(4)?;
    Ok(LocationStock {
        id_inventario: uuid_at(row, 0)?,
        id_localizacion: uuid_at(row, 1)?,
        localizacion: row.get(2)?,
        stock_actual,
        cantidad_minima,
        posicion: row.get(5)?,
        estado_stock: EstadoStock::of(stock_actual, cantidad_minima),
        alerta_minimo: alerta_minimo(stock_actual, cantidad_minima),
    })
}

/// A part's stock at one location, if it has a row there.
fn stock_at(conn: &Connection, id_repuesto: Uuid, id_localizacion: Option<Uuid>) -> Result<Option<LocationStock>> {
    let Some(id_localizacion) = id_localizacion else { return Ok(None) };
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {STOCK_COLUMNS} FROM inventario i JOIN localizacion l ON l.id_localizacion = i.id_localizacion \
              WHERE i.id_localizacion = ?1 AND i.id_repuesto = ?2"
        ))?
        .query_row([id_localizacion.to_string(), id_repuesto.to_string()], location_stock)
        .optional()?)
}

/// Parts for what is typed (FTS, best first; by reference when nothing is typed), at most
/// `limit`, each with its stock at the location when one is given.
pub(crate) fn part_matches(
    conn: &Connection,
    text: &str,
    id_localizacion: Option<Uuid>,
    limit: i64,
) -> Result<Vec<PartMatch>> {
    let mut parts: Vec<PartMatch> = match fts_query(text) {
        Some(query) => {
            // The best of the first matches (`RANKED_CANDIDATES`), as the catalogue's search.
            let mut statement = conn.prepare_cached(&format!(
                "{} SELECT {PART_COLUMNS} FROM candidates c JOIN repuestos r ON r.rowid = c.rowid \
                  ORDER BY c.rank, c.rowid LIMIT ?2",
                ranked_candidates()
            ))?;
            let rows = statement.query_map(params![query, limit], part_match)?;
            rows.collect::<rusqlite::Result<_>>()?
        }
        None => {
            let mut statement = conn.prepare_cached(&format!(
                "SELECT {PART_COLUMNS} FROM repuestos r ORDER BY r.referencia, r.id_repuesto LIMIT ?1"
            ))?;
            let rows = statement.query_map([limit], part_match)?;
            rows.collect::<rusqlite::Result<_>>()?
        }
    };
    for part in &mut parts {
        part.stock = stock_at(conn, part.id_repuesto, id_localizacion)?;
    }
    Ok(parts)
}

impl Session {
    /// The replica's locations (the user's scope), by name.
    pub fn locations(&self) -> Result<Vec<Localizacion>> {
        self.read(|conn| {
            let mut statement =
                conn.prepare_cached("SELECT id_localizacion, nombre, activo FROM localizacion ORDER BY nombre")?;
            let rows = statement.query_map([], |row| {
                Ok(Localizacion { id_localizacion: uuid_at(row, 0)?, nombre: row.get(1)?, activo: row.get(2)? })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The technicians (users) assigned to a location, by name.
    pub fn technicians_of(&self, id_localizacion: Uuid) -> Result<Vec<Tecnico>> {
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT u.id_usuario, u.nombre_completo, u.email FROM usuarios u \
                   JOIN usuarios_localizacion ul ON ul.id_usuario = u.id_usuario \
                  WHERE ul.id_localizacion = ?1 ORDER BY u.nombre_completo",
            )?;
            let rows = statement.query_map([id_localizacion.to_string()], |row| {
                Ok(Tecnico { id_usuario: uuid_at(row, 0)?, nombre_completo: row.get(1)?, email: row.get(2)? })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Every movement concept with the types it allows (the first is the default) and
    /// whether it moves stock: the domain's rules, so the UI does not copy them.
    pub fn movement_concepts() -> Vec<ConceptoInfo> {
        Concepto::ALL
            .into_iter()
            .map(|concepto| {
                let tipos = concepto.allowed_tipos().to_vec();
                let moves_stock = tipos.first().is_some_and(|tipo| {
                    taller_domain::stock::movement_effect(concepto, *tipo, 1).is_ok_and(|effect| effect.descargada)
                });
                ConceptoInfo { concepto, tipos, moves_stock }
            })
            .collect()
    }

    /// One window of a location's stock (`inventario ⋈ repuestos`): the search as typed
    /// (FTS, accent-insensitive), `low_only` (`alerta_minimo`), sorted by one column, and the
    /// number of matching rows. `limit` above [`MAX_PAGE`] is `invalid_input`.
    pub fn inventory_page(&self, input: &InventoryQuery) -> Result<InventoryPage> {
        if input.limit > MAX_PAGE {
            return Err(ClientError::Invalid(format!("a page holds at most {MAX_PAGE} rows, not {}", input.limit)));
        }
        let search = fts_query(&input.search);
        let location = input.id_localizacion.to_string();
        let low = i64::from(input.low_only);
        let column = input.sort.column;
        let replica = lock(self.shared());
        let conn = &replica.conn;
        let (access, total) = match &search {
            None => {
                let total = conn
                    .prepare_cached(&count_sql(false, input.low_only))?
                    .query_row(params![location, search, low], |row| row.get(0))?;
                // The list before anything is typed: the census a broad search needs is taken
                // now (kept until the replica changes), not on the first key typed, which
                // would otherwise pay a scan of the location's rows (one letter matches
                // thousands of parts).
                if input.offset == 0 {
                    census(&replica, input.id_localizacion)?;
                }
                (Access::Location, total)
            }
            Some(text) => {
                let matches: i64 = conn.prepare_cached(MATCH_COUNT)?.query_row([text], |row| row.get(0))?;
                let census =
                    if matches >= BROAD_SEARCH { Some(census(&replica, input.id_localizacion)?) } else { None };
                let total = match census {
                    Some(census) if census.one_row_per_part && !input.low_only => matches,
                    _ => conn
                        .prepare_cached(&count_sql(true, input.low_only))?
                        .query_row(params![location, search, low], |row| row.get(0))?,
                };
                let window = i64::from(input.offset) + i64::from(input.limit);
                let access = search_access(column, input.low_only, window, matches, census);
                (access, total)
            }
        };
        let rows = if input.limit == 0 {
            Vec::new()
        } else {
            let mut statement = conn.prepare_cached(&inventory_sql(column, input.sort.direction, access))?;
            let rows = statement.query_map(
                params![location, search, low, i64::from(input.limit), i64::from(input.offset)],
                inventory_row,
            )?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        Ok(InventoryPage { rows, offset: input.offset, total })
    }

    /// A part by a scanned or typed reference (trimmed, case-insensitive) or by its id, with
    /// its stock at the location; `None` when no part matches.
    pub fn find_part(&self, input: &FindPartInput) -> Result<Option<PartMatch>> {
        let code = input.code.trim();
        if code.is_empty() {
            return Ok(None);
        }
        self.read(|conn| {
            let mut found = None;
            if let Ok(id) = code.parse::<Uuid>() {
                found = conn
                    .prepare_cached(&format!("SELECT {PART_COLUMNS} FROM repuestos r WHERE r.id_repuesto = ?1"))?
                    .query_row([id.to_string()], part_match)
                    .optional()?;
            }
            if found.is_none() {
                found = conn
                    .prepare_cached(&format!(
                        "SELECT {PART_COLUMNS} FROM repuestos r WHERE upper(r.referencia) = upper(?1) \
                          ORDER BY r.referencia LIMIT 1"
                    ))?
                    .query_row([code], part_match)
                    .optional()?;
            }
            let Some(mut part) = found else { return Ok(None) };
            part.stock = stock_at(conn, part.id_repuesto, input.id_localizacion)?;
            Ok(Some(part))
        })
    }

    /// Suggestions for what is typed (FTS, best first; by reference when nothing is typed),
    /// each with its stock at the location. At most [`MAX_SUGGESTIONS`].
    pub fn search_parts(&self, input: &SearchPartsInput) -> Result<Vec<PartMatch>> {
        let limit = i64::from(input.limit.min(MAX_SUGGESTIONS));
        self.read(|conn| part_matches(conn, &input.text, input.id_localizacion, limit))
    }

    /// A part with its stock at every location of the replica (the user's scope), its newest
    /// [`LEDGER_ROWS`] ledger rows (newest first), and the user's open `edicion_campo`
    /// conflicts on it and its inventory rows. An unknown part is `invalid_input`.
    pub fn part_view(&self, id_repuesto: Uuid) -> Result<PartDetail> {
        let me = self.user_id().to_string();
        let id = id_repuesto.to_string();
        self.read(|conn| {
            let mut detail = conn
                .prepare_cached(
                    "SELECT id_repuesto, referencia, nombre, tipo, marca, descripcion, descontinuado, fecha_estimada, \
                            url_imagen, created_at FROM repuestos WHERE id_repuesto = ?1",
                )?
                .query_row([&id], |row| {
                    Ok(PartDetail {
                        id_repuesto: uuid_at(row, 0)?,
                        referencia: row.get(1)?,
                        nombre: row.get(2)?,
                        tipo: row.get(3)?,
                        marca: row.get(4)?,
                        descripcion: row.get(5)?,
                        descontinuado: row.get(6)?,
                        fecha_estimada: row.get(7)?,
                        url_imagen: row.get(8)?,
                        created_at: utc(row.get(9)?),
                        stock: Vec::new(),
                        ledger: Vec::new(),
                        conflictos: Vec::new(),
                    })
                })
                .optional()?
                .ok_or_else(|| ClientError::Invalid(format!("no part {id_repuesto} in this replica")))?;
            {
                let mut statement = conn.prepare_cached(&format!(
                    "SELECT {STOCK_COLUMNS} FROM inventario i JOIN localizacion l ON l.id_localizacion = i.id_localizacion \
                      WHERE i.id_repuesto = ?1 ORDER BY l.nombre"
                ))?;
                let rows = statement.query_map([&id], location_stock)?;
                detail.stock = rows.collect::<rusqlite::Result<_>>()?;
            }
            {
                let mut statement = conn.prepare_cached(&format!(
                    "SELECT {LEDGER_COLUMNS} \
                       FROM inventario i JOIN logs_inventario g ON g.id_inventario = i.id_inventario \
                       JOIN localizacion l ON l.id_localizacion = i.id_localizacion \
                       LEFT JOIN usuarios u ON u.id_usuario = g.id_usuario \
                      WHERE i.id_repuesto = ?1 ORDER BY g.fecha DESC, g.id_log DESC LIMIT ?2"
                ))?;
                let rows = statement.query_map(params![id, LEDGER_ROWS], |row| ledger_entry_at(row, 0))?;
                detail.ledger = rows.collect::<rusqlite::Result<_>>()?;
            }
            {
                let mut statement = conn.prepare_cached(
                    "SELECT c.id_conflicto, c.tabla, c.clave, l.nombre, c.campo, c.valor_reemplazado, c.valor_servidor, \
                            c.valor_nuevo, u.nombre_completo, c.created_at \
                       FROM conflictos c \
                       LEFT JOIN inventario i ON c.tabla = 'inventario' AND i.id_inventario = c.clave \
                       LEFT JOIN localizacion l ON l.id_localizacion = i.id_localizacion \
                       LEFT JOIN usuarios u ON u.id_usuario = c.otro_usuario \
                      WHERE c.id_usuario = ?1 AND c.revisado = 0 AND c.tipo = 'edicion_campo' \
                        AND ((c.tabla = 'repuestos' AND c.clave = ?2) OR (c.tabla = 'inventario' AND i.id_repuesto = ?2)) \
                        AND NOT EXISTS (SELECT 1 FROM reviewed_conflicts x WHERE x.id_conflicto = c.id_conflicto) \
                      ORDER BY c.created_at DESC",
                )?;
                let rows = statement.query_map([&me, &id], |row| {
                    Ok(FieldConflict {
                        id_conflicto: uuid_at(row, 0)?,
                        tabla: row.get(1)?,
                        clave: row.get(2)?,
                        localizacion: row.get(3)?,
                        campo: row.get::<_, Option<String>>(4)?.unwrap_or_default(),
                        valor_reemplazado: json_value(row.get(5)?),
                        valor_servidor: json_value(row.get(6)?),
                        valor_nuevo: json_value(row.get(7)?),
                        otro_usuario: row.get(8)?,
                        created_at: utc(row.get(9)?),
                    })
                })?;
                detail.conflictos = rows.collect::<rusqlite::Result<_>>()?;
            }
            Ok(detail)
        })
    }

    /// Records a technician movement (`movement.record`, a new uuid v7 id) through
    /// [`Session::act`]; `result.stock_actual` is the stock it left.
    pub fn record_movement(&self, input: &MovementInput) -> Result<Queued> {
        self.act(&Mutation::MovementRecord(MovementRecord {
            id_movimientos_tecnicos: Uuid::now_v7(),
            id_localizacion: input.id_localizacion,
            id_repuesto: input.id_repuesto,
            id_tecnico_asignado: input.id_tecnico_asignado,
            concepto: input.concepto,
            tipo: input.tipo,
            cantidad: input.cantidad,
            numero_orden: input.numero_orden,
        }))
    }

    /// Edits a part's stock settings at a location (`inventory.settings`) through [`Session::act`].
    pub fn edit_inventory_settings(&self, input: &InventorySettingsInput) -> Result<Queued> {
        self.act(&Mutation::InventorySettings(InventorySettings {
            id_localizacion: input.id_localizacion,
            id_repuesto: input.id_repuesto,
            edits: input.edits.clone(),
        }))
    }

    /// The user's notifications, newest first.
    pub fn notification_list(&self) -> Result<Vec<Notificacion>> {
        let me = self.user_id().to_string();
        self.read(|conn| {
            let mut statement = conn.prepare_cached(
                "SELECT id_notificacion, id_localizacion, titulo, mensaje, tipo, prioridad, leida, created_at \
                   FROM notificaciones WHERE id_usuario = ?1 ORDER BY created_at DESC, id_notificacion DESC",
            )?;
            let rows = statement.query_map([me], |row| {
                Ok(Notificacion {
                    id_notificacion: uuid_at(row, 0)?,
                    id_localizacion: opt_uuid_at(row, 1)?,
                    titulo: row.get(2)?,
                    mensaje: row.get(3)?,
                    tipo: row.get(4)?,
                    prioridad: row.get(5)?,
                    leida: row.get(6)?,
                    created_at: utc(row.get(7)?),
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Marks one of the user's notifications read (`notification.read`) through [`Session::act`].
    pub fn mark_notification_read(&self, id_notificacion: Uuid) -> Result<Queued> {
        self.act(&Mutation::NotificationRead(NotificationRead { id_notificacion }))
    }
}
