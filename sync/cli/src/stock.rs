//! `taller stock` and `taller move`: stock by location, adjustments, settings, technician
//! movements.

use crate::output::{self, fail, Failure};
use clap::{Args, Subcommand};
use taller_client::app::{Concepto, MoveInput, StockAdjustInput, StockListInput, StockSettingsInput, TipoMovimiento};
use taller_client::Session;

#[derive(Subcommand)]
pub enum StockCommand {
    /// Stock by location and reference, with `estado_stock` and `alerta_minimo`.
    List {
        #[arg(long)]
        location: Option<String>,
        /// Only rows at or below their minimum.
        #[arg(long)]
        low: bool,
    },
    /// Adjusts stock by hand, with a reason.
    Adjust {
        #[arg(long)]
        location: String,
        #[arg(long = "ref")]
        reference: String,
        #[arg(long, allow_hyphen_values = true)]
        delta: i32,
        #[arg(long)]
        reason: String,
    },
    /// Sets the minimum and/or the shelf position; each edit carries the value it replaced.
    Set {
        #[arg(long)]
        location: String,
        #[arg(long = "ref")]
        reference: String,
        #[arg(long)]
        min: Option<i32>,
        #[arg(long)]
        position: Option<String>,
    },
}

#[derive(Args)]
pub struct MoveArgs {
    #[arg(long)]
    location: String,
    #[arg(long = "ref")]
    reference: String,
    /// salida, ingreso, venta, garantia, prestamo, cotizacion, devolucion
    #[arg(long)]
    concept: String,
    /// ingreso, salida or venta (default: from the concept)
    #[arg(long = "type")]
    tipo: Option<String>,
    #[arg(long)]
    qty: i32,
    /// The technician who took the part (email or id; default: you).
    #[arg(long)]
    technician: Option<String>,
    #[arg(long)]
    order: Option<i32>,
    /// When it happened (RFC 3339), if not now.
    #[arg(long)]
    at: Option<chrono::DateTime<chrono::Utc>>,
}

pub fn run(client: &Session, json: bool, command: StockCommand) -> Result<(), Failure> {
    match command {
        StockCommand::List { location, low } => {
            // Streamed: every location of a big network is a million rows.
            let mut out = output::RowPrinter::new(json);
            client
                .each_stock(&StockListInput { location, low_only: low }, |row| out.library_row(&row))
                .map_err(|error| fail(Some(client), error))?;
            out.finish()
        }
        StockCommand::Adjust { location, reference, delta, reason } => output::acted(
            client,
            json,
            client.adjust_stock(&StockAdjustInput { location, part: reference, delta, motivo: reason }),
        ),
        StockCommand::Set { location, reference, min, position } => {
            if min.is_none() && position.is_none() {
                return Err(Failure::usage("give --min and/or --position"));
            }
            output::acted(
                client,
                json,
                client.set_stock_settings(&StockSettingsInput {
                    location,
                    part: reference,
                    cantidad_minima: min,
                    posicion: position,
                }),
            )
        }
    }
}

pub fn record_move(client: &Session, json: bool, args: MoveArgs) -> Result<(), Failure> {
    let concepto: Concepto =
        args.concept.parse().map_err(|_| Failure::usage(format!("unknown concept {}", args.concept)))?;
    let tipo = args
        .tipo
        .map(|tipo| tipo.parse::<TipoMovimiento>().map_err(|_| Failure::usage(format!("unknown type {tipo}"))))
        .transpose()?;
    let input = MoveInput {
        location: args.location,
        part: args.reference,
        technician: args.technician,
        concepto,
        tipo,
        cantidad: args.qty,
        numero_orden: args.order,
        at: args.at,
    };
    output::acted(client, json, client.record_move(&input))
}
