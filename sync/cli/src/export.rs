//! `taller export`: a list to a CSV or XLSX file, with the filters its screen has and every
//! row its list query returns (`Session::export_to`). The file is replaced whole or not at all.

use crate::output::{self, fail, Failure};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use taller_client::app::{
    CountListInput, CountState, EstadoGarantia, EstadoSolicitud, ExportList, InventoryExport, InventorySort,
    InventorySortColumn, RequestListInput, SortDirection, WarrantyListInput,
};
use taller_client::export::ExportFormat;
use taller_client::Session;

#[derive(Subcommand)]
pub enum ExportCommand {
    /// A location's inventory, as the inventory screen lists it.
    Inventory {
        /// The location (name or id).
        #[arg(long)]
        location: String,
        /// What the screen's search box would hold (every word a prefix, accents ignored).
        #[arg(long, default_value = "")]
        search: String,
        /// Only rows at or below their minimum.
        #[arg(long)]
        low: bool,
        /// The sort column: referencia, nombre, marca, tipo, stock_actual, cantidad_minima,
        /// posicion or estado_stock.
        #[arg(long, default_value = "referencia")]
        sort: String,
        /// Sort descending.
        #[arg(long)]
        desc: bool,
        #[command(flatten)]
        file: FileArgs,
    },
    /// Transfer requests, newest first, optionally of one state.
    Requests {
        /// PENDIENTE, ALISTAMIENTO, DESPACHADO, RECIBIDO or CANCELADO.
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        file: FileArgs,
    },
    /// Physical counts, newest first, optionally of one location and state.
    Counts {
        #[arg(long)]
        location: Option<String>,
        /// open or closed.
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        file: FileArgs,
    },
    /// Warranty claims, newest first, optionally of one state.
    Warranties {
        /// SIN_ENVIAR, PENDIENTE, APROBADA or RECHAZADA.
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        file: FileArgs,
    },
}

#[derive(Args)]
pub struct FileArgs {
    /// csv or xlsx (default: the extension of --out).
    #[arg(long)]
    format: Option<String>,
    /// The file to write (replaced if it exists; its folder must exist).
    #[arg(long)]
    out: PathBuf,
}

impl FileArgs {
    fn format(&self) -> Result<ExportFormat, Failure> {
        match &self.format {
            Some(text) => {
                ExportFormat::parse(text).ok_or_else(|| Failure::usage(format!("--format: csv or xlsx, not {text:?}")))
            }
            None => ExportFormat::of_path(&self.out)
                .ok_or_else(|| Failure::usage("--format csv|xlsx is needed when --out does not end in .csv or .xlsx")),
        }
    }
}

fn sort_column(text: &str) -> Result<InventorySortColumn, Failure> {
    InventorySortColumn::ALL
        .into_iter()
        .find(|column| serde_json::to_value(column).ok().and_then(|value| value.as_str().map(str::to_owned)).as_deref() == Some(text))
        .ok_or_else(|| Failure::usage(format!("--sort: one of referencia, nombre, marca, tipo, stock_actual, cantidad_minima, posicion, estado_stock, not {text:?}")))
}

pub fn run(session: &Session, json: bool, command: ExportCommand) -> Result<(), Failure> {
    let (list, file) = match command {
        ExportCommand::Inventory { location, search, low, sort, desc, file } => {
            let sort = InventorySort {
                column: sort_column(&sort)?,
                direction: if desc { SortDirection::Desc } else { SortDirection::Asc },
            };
            (ExportList::Inventory(InventoryExport { location, search, low_only: low, sort }), file)
        }
        ExportCommand::Requests { state, file } => {
            let estado = state
                .map(|state| state.to_uppercase().parse::<EstadoSolicitud>())
                .transpose()
                .map_err(|error| Failure::usage(format!("unknown request state {:?}", error.0)))?;
            (ExportList::Requests(RequestListInput { estado }), file)
        }
        ExportCommand::Counts { location, state, file } => {
            let state = state
                .as_deref()
                .map(|state| CountState::parse(state).ok_or_else(|| Failure::usage("--state: open or closed")))
                .transpose()?;
            (ExportList::Counts(CountListInput { location, state }), file)
        }
        ExportCommand::Warranties { state, file } => {
            let estado = state
                .map(|state| state.to_uppercase().parse::<EstadoGarantia>())
                .transpose()
                .map_err(|error| Failure::usage(format!("unknown warranty state {:?}", error.0)))?;
            (ExportList::Warranties(WarrantyListInput { estado }), file)
        }
    };
    let format = file.format()?;
    let done = session.export_to(&list, format, &file.out).map_err(|error| fail(Some(session), error))?;
    if json {
        output::typed_value(json, &done)
    } else {
        output::line(&format!("{} rows → {}", done.rows, done.path))
    }
}
