//! Exporting a list the screens show to CSV or XLSX (`crate::export` writes the file): the
//! inventory of a location with its search, low-stock filter and sort, the transfer requests,
//! the counts and the warranty claims by state. The rows are the list queries' own
//! ([`Session::inventory_page`] page after page, [`Session::requests`], [`Session::counts`],
//! [`Session::warranties`]): an export never has a query of its own. The columns are the
//! screen's (a route shown as "origin → destination" is two columns, a part as reference
//! and name), headed in the workstation's language; times in the workstation's local time.

use super::count_types::{CountListInput, CountState, CountSummary};
use super::types::{EstadoStock, InventoryQuery, InventoryRow, InventorySort, RequestListInput, RequestSummary};
use super::warranty_types::{WarrantyListInput, WarrantySummary};
use super::MAX_PAGE;
use crate::error::{ClientError, Result};
use crate::export::{self, Cell, Column, ExportFormat, Placement, Table};
use crate::queries;
use crate::session::Session;
use crate::sync::lock;
use chrono::{DateTime, Local, NaiveDateTime};
use serde::{Deserialize, Serialize};
use std::path::Path;
use taller_domain::{EstadoGarantia, EstadoSolicitud, Lang};

/// How many times an inventory export reads its pages again when the replica changed while
/// it read them (a sync applied a delta between two pages).
const CONSISTENT_TRIES: u32 = 3;

/// The inventory of a location as its screen filters it (the screen's filter, without the
/// window: every row is exported).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InventoryExport {
    /// The location: its id or its name.
    pub location: String,
    /// The search as typed (the screen's; empty: everything).
    #[serde(default)]
    pub search: String,
    /// Only rows at or below their minimum.
    #[serde(default)]
    pub low_only: bool,
    #[serde(default)]
    pub sort: InventorySort,
}

/// Which list to export, with the filters of its screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "list", rename_all = "snake_case")]
pub enum ExportList {
    Inventory(InventoryExport),
    Requests(RequestListInput),
    Counts(CountListInput),
    Warranties(WarrantyListInput),
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ExportDone {
    /// The file written, in full.
    pub path: String,
    /// The same as a person reads it (`~/Descargas/…` under the home folder).
    pub shown_path: String,
    /// Its name alone.
    pub file_name: String,
    pub format: ExportFormat,
    /// Data rows (the header row aside).
    pub rows: u32,
}

/// A column's header in `lang`: (key, Spanish, English). The words are the screens'.
const LABELS: &[(&str, &str, &str)] = &[
    ("referencia", "Referencia", "Reference"),
    ("nombre", "Nombre", "Name"),
    ("marca", "Marca", "Brand"),
    ("tipo", "Tipo", "Type"),
    ("stock_actual", "Stock", "Stock"),
    ("cantidad_minima", "Mínimo", "Minimum"),
    ("posicion", "Posición", "Position"),
    ("estado_stock", "Estado", "Status"),
    ("alerta_minimo", "En el mínimo o por debajo", "At or below the minimum"),
    ("estado", "Estado", "State"),
    ("origen", "Origen", "Origin"),
    ("destino", "Destino", "Destination"),
    ("solicitante", "Solicitó", "Requested by"),
    ("fecha_creacion", "Creada", "Created"),
    ("num_lineas", "Líneas", "Lines"),
    ("guia_transporte", "Guía de transporte", "Waybill"),
    ("sede", "Sede", "Location"),
    ("usuario", "Cuenta", "Counted by"),
    ("fecha_conteo", "Empezado", "Started"),
    ("total_diferencias", "Con diferencia", "With a difference"),
    ("cerrado_en", "Cerrado", "Closed"),
    ("cantidad", "Unidades", "Units"),
    ("motivo_falla", "Motivo de la falla", "Reason for the failure"),
    ("cliente", "Cliente", "Customer"),
    ("usuario_reporta", "Reportó", "Reported by"),
    ("fecha_reporte", "Fecha", "Date"),
];

/// The columns of these keys, headed in `lang`.
fn columns(keys: &[&'static str], lang: Lang) -> Vec<Column> {
    keys.iter()
        .map(|key| {
            let (es, en) =
                LABELS.iter().find(|(known, _, _)| known == key).map_or((*key, *key), |(_, es, en)| (*es, *en));
            Column { key, label: if lang == Lang::En { en } else { es }.to_owned() }
        })
        .collect()
}

/// What a list is called in a file name and on its sheet: (file word, sheet name).
fn list_words(list: &ExportList, lang: Lang) -> (&'static str, &'static str) {
    match (list, lang) {
        (ExportList::Inventory(_), Lang::Es) => ("inventario", "Inventario"),
        (ExportList::Inventory(_), Lang::En) => ("inventory", "Inventory"),
        (ExportList::Requests(_), Lang::Es) => ("traslados", "Traslados"),
        (ExportList::Requests(_), Lang::En) => ("transfers", "Transfers"),
        (ExportList::Counts(_), Lang::Es) => ("conteos", "Conteos"),
        (ExportList::Counts(_), Lang::En) => ("counts", "Counts"),
        (ExportList::Warranties(_), Lang::Es) => ("garantias", "Garantías"),
        (ExportList::Warranties(_), Lang::En) => ("warranties", "Warranties"),
    }
}

/// `estado_stock` as the inventory screen shows it.
fn estado_stock(estado: EstadoStock, lang: Lang) -> &'static str {
    match (estado, lang) {
        (EstadoStock::SinStock, Lang::Es) => "Sin Stock",
        (EstadoStock::SinStock, Lang::En) => "Out of stock",
        (EstadoStock::Bajo, Lang::Es) => "Bajo",
        (EstadoStock::Bajo, Lang::En) => "Low",
        (EstadoStock::Normal, _) => "Normal",
        (EstadoStock::Alto, Lang::Es) => "Alto",
        (EstadoStock::Alto, Lang::En) => "High",
    }
}

/// A request's state as the transfers screen shows it.
fn estado_solicitud(estado: EstadoSolicitud, lang: Lang) -> &'static str {
    match (estado, lang) {
        (EstadoSolicitud::Pendiente, Lang::Es) => "Pendiente",
        (EstadoSolicitud::Pendiente, Lang::En) => "Pending",
        (EstadoSolicitud::Alistamiento, Lang::Es) => "En alistamiento",
        (EstadoSolicitud::Alistamiento, Lang::En) => "Picking",
        (EstadoSolicitud::Despachado, Lang::Es) => "Despachada",
        (EstadoSolicitud::Despachado, Lang::En) => "Dispatched",
        (EstadoSolicitud::Recibido, Lang::Es) => "Recibida",
        (EstadoSolicitud::Recibido, Lang::En) => "Received",
        (EstadoSolicitud::Cancelado, Lang::Es) => "Cancelada",
        (EstadoSolicitud::Cancelado, Lang::En) => "Cancelled",
    }
}

/// A claim's state as the warranties screen shows it.
fn estado_garantia(estado: EstadoGarantia, lang: Lang) -> &'static str {
    match (estado, lang) {
        (EstadoGarantia::SinEnviar, Lang::Es) => "Sin enviar",
        (EstadoGarantia::SinEnviar, Lang::En) => "Not sent",
        (EstadoGarantia::Pendiente, Lang::Es) => "Pendiente de revisión",
        (EstadoGarantia::Pendiente, Lang::En) => "Waiting for review",
        (EstadoGarantia::Aprobada, Lang::Es) => "Aprobada",
        (EstadoGarantia::Aprobada, Lang::En) => "Approved",
        (EstadoGarantia::Rechazada, Lang::Es) => "Rechazada",
        (EstadoGarantia::Rechazada, Lang::En) => "Rejected",
    }
}

fn count_state(state: CountState, lang: Lang) -> &'static str {
    match (state, lang) {
        (CountState::Open, Lang::Es) => "Abierto",
        (CountState::Open, Lang::En) => "Open",
        (CountState::Closed, Lang::Es) => "Cerrado",
        (CountState::Closed, Lang::En) => "Closed",
    }
}

/// A replica time (RFC 3339) in the workstation's local time, as the screens show it; a text
/// that is not one stays text.
pub(crate) fn local_time(text: &str) -> Cell {
    match DateTime::parse_from_rfc3339(text) {
        Ok(at) => Cell::DateTime(at.with_timezone(&Local).naive_local()),
        Err(_) => Cell::Text(text.to_owned()),
    }
}

fn optional_time(text: Option<&str>) -> Cell {
    text.map_or(Cell::Empty, local_time)
}

fn inventory_table(rows: &[InventoryRow], lang: Lang, sheet: &str) -> Result<Table> {
    let keys = [
        "referencia",
        "nombre",
        "marca",
        "tipo",
        "stock_actual",
        "cantidad_minima",
        "posicion",
        "estado_stock",
        "alerta_minimo",
    ];
    let mut table = Table::new(sheet, columns(&keys, lang));
    for row in rows {
        table.push(vec![
            Cell::Text(row.referencia.clone()),
            Cell::Text(row.nombre.clone()),
            Cell::text(row.marca.clone()),
            Cell::text(row.tipo.clone()),
            Cell::Integer(row.stock_actual.into()),
            Cell::Integer(row.cantidad_minima.into()),
            Cell::text(row.posicion.clone()),
            Cell::Text(estado_stock(row.estado_stock, lang).to_owned()),
            Cell::Bool(row.alerta_minimo),
        ])?;
    }
    Ok(table)
}

fn requests_table(rows: &[RequestSummary], lang: Lang, sheet: &str) -> Result<Table> {
    let keys = ["estado", "origen", "destino", "solicitante", "fecha_creacion", "num_lineas", "guia_transporte"];
    let mut table = Table::new(sheet, columns(&keys, lang));
    for row in rows {
        table.push(vec![
            Cell::Text(estado_solicitud(row.estado, lang).to_owned()),
            Cell::text(row.origen.clone()),
            Cell::text(row.destino.clone()),
            Cell::text(row.solicitante.clone()),
            local_time(&row.fecha_creacion),
            Cell::Integer(row.num_lineas),
            Cell::text(row.guia_transporte.clone()),
        ])?;
    }
    Ok(table)
}

fn counts_table(rows: &[CountSummary], lang: Lang, sheet: &str) -> Result<Table> {
    let keys = ["estado", "sede", "usuario", "fecha_conteo", "num_lineas", "total_diferencias", "cerrado_en"];
    let mut table = Table::new(sheet, columns(&keys, lang));
    for row in rows {
        table.push(vec![
            Cell::Text(count_state(row.state, lang).to_owned()),
            Cell::text(row.localizacion.clone()),
            Cell::text(row.usuario.clone()),
            local_time(&row.fecha_conteo),
            Cell::Integer(row.num_lineas),
            Cell::Integer(row.total_diferencias.into()),
            optional_time(row.cerrado_en.as_deref()),
        ])?;
    }
    Ok(table)
}

fn warranties_table(rows: &[WarrantySummary], lang: Lang, sheet: &str) -> Result<Table> {
    let keys = [
        "estado",
        "referencia",
        "nombre",
        "sede",
        "cantidad",
        "motivo_falla",
        "cliente",
        "usuario_reporta",
        "fecha_reporte",
    ];
    let mut table = Table::new(sheet, columns(&keys, lang));
    for row in rows {
        table.push(vec![
            Cell::Text(estado_garantia(row.estado, lang).to_owned()),
            Cell::text(row.referencia.clone()),
            Cell::text(row.nombre.clone()),
            Cell::text(row.localizacion.clone()),
            Cell::Integer(row.cantidad.into()),
            Cell::Text(row.motivo_falla.clone()),
            Cell::text(row.solicitante.clone()),
            Cell::text(row.usuario_reporta.clone()),
            local_time(&row.fecha_reporte),
        ])?;
    }
    Ok(table)
}

impl Session {
    /// A list as a table, headed in the workstation's language: exactly the rows its list
    /// query returns, every page of it. An unknown location is `invalid_input`.
    pub fn export_table(&self, list: &ExportList) -> Result<Table> {
        let lang = self.lang();
        let (_, sheet) = list_words(list, lang);
        match list {
            ExportList::Inventory(filter) => inventory_table(&self.inventory_rows(filter)?, lang, sheet),
            ExportList::Requests(filter) => requests_table(&self.requests(filter)?, lang, sheet),
            ExportList::Counts(filter) => counts_table(&self.counts(filter)?, lang, sheet),
            ExportList::Warranties(filter) => warranties_table(&self.warranties(filter)?, lang, sheet),
        }
    }

    /// Exports a list to exactly `out`, replacing a file there (atomically: a failed export
    /// leaves the old file, or none, and never half of one).
    pub fn export_to(&self, list: &ExportList, format: ExportFormat, out: &Path) -> Result<ExportDone> {
        let table = self.export_table(list)?;
        let path = export::write(&table, format, self.lang(), &Placement::Replace(out.to_path_buf()))?;
        Ok(done(&path, format, &table))
    }

    /// Exports a list into `dir` (created when missing) under a readable name, the list, its
    /// subject and the local minute (`inventario-taller-norte-2026-12-03-1530.xlsx`), numbered
    /// `-2`, `-3`, ... rather than replacing a file.
    pub fn export_to_folder(&self, list: &ExportList, format: ExportFormat, dir: &Path) -> Result<ExportDone> {
        let table = self.export_table(list)?;
        let name = self.export_file_name(list, format, Local::now().naive_local())?;
        let placement = Placement::NewIn { dir: dir.to_path_buf(), name };
        let path = export::write(&table, format, self.lang(), &placement)?;
        Ok(done(&path, format, &table))
    }

    /// The file name [`Session::export_to_folder`] starts from, for an export at `at`.
    pub fn export_file_name(&self, list: &ExportList, format: ExportFormat, at: NaiveDateTime) -> Result<String> {
        let lang = self.lang();
        let (word, _) = list_words(list, lang);
        let subject: Option<String> = match list {
            ExportList::Inventory(filter) => Some(self.location_name(&filter.location)?),
            ExportList::Requests(filter) => filter.estado.map(|estado| estado_solicitud(estado, lang).to_owned()),
            ExportList::Counts(filter) => {
                let location = filter.location.as_deref().map(|location| self.location_name(location)).transpose()?;
                let state = filter.state.map(|state| count_state(state, lang));
                let words: Vec<&str> = location.as_deref().into_iter().chain(state).collect();
                (!words.is_empty()).then(|| words.join(" "))
            }
            ExportList::Warranties(filter) => filter.estado.map(|estado| estado_garantia(estado, lang).to_owned()),
        };
        Ok(export::file_name(word, subject.as_deref(), at, format))
    }

    /// A location's name, by its id or name; `invalid_input` when the replica has none.
    fn location_name(&self, location: &str) -> Result<String> {
        self.read(|conn| {
            let id = queries::location_id(conn, location)?;
            Ok(conn.query_row(
                "SELECT nombre FROM localizacion WHERE id_localizacion = ?1",
                [id.to_string()],
                |row| row.get(0),
            )?)
        })
    }

    /// Every row of the inventory list for this filter, read as the screen reads it
    /// ([`Session::inventory_page`], [`MAX_PAGE`] rows at a time). The pages are one reading
    /// of the replica: when parts or stock changed between two of them (a sync, another
    /// process), all are read again.
    fn inventory_rows(&self, filter: &InventoryExport) -> Result<Vec<InventoryRow>> {
        let id_localizacion = self.read(|conn| queries::location_id(conn, &filter.location))?;
        for _ in 0..CONSISTENT_TRIES {
            let before = self.inventory_version()?;
            let mut rows: Vec<InventoryRow> = Vec::new();
            loop {
                let offset = u32::try_from(rows.len()).map_err(|_| {
                    ClientError::Invalid("the inventory has too many rows to export at once".to_owned())
                })?;
                let page = self.inventory_page(&InventoryQuery {
                    id_localizacion,
                    search: filter.search.clone(),
                    low_only: filter.low_only,
                    sort: filter.sort,
                    offset,
                    limit: MAX_PAGE,
                })?;
                let last = page.rows.len() < MAX_PAGE as usize;
                rows.extend(page.rows);
                if last || i64::try_from(rows.len()).unwrap_or(i64::MAX) >= page.total {
                    break;
                }
            }
            if self.inventory_version()? == before {
                return Ok(rows);
            }
        }
        Err(ClientError::ExportFailed {
            path: String::new(),
            reason: "the inventory kept changing while it was read (a sync was applying changes): try again".to_owned(),
        })
    }

    /// What moves when the replica's parts or inventory rows change: another connection's
    /// commits (`PRAGMA data_version`) and this connection's writes to those tables.
    fn inventory_version(&self) -> Result<(i64, u64)> {
        let replica = lock(self.shared());
        let data_version: i64 = replica.conn.query_row("PRAGMA data_version", [], |row| row.get(0))?;
        Ok((data_version, replica.inventory_generation.get()))
    }
}

fn done(path: &Path, format: ExportFormat, table: &Table) -> ExportDone {
    ExportDone {
        path: path.display().to_string(),
        shown_path: export::shown_path(path, export::home_dir().as_deref()),
        file_name: path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default(),
        format,
        rows: u32::try_from(table.rows().len()).unwrap_or(u32::MAX),
    }
}
