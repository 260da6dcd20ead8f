//! `taller parts`: the catalogue.

use crate::output::{self, Failure};
use clap::Subcommand;
use taller_client::app::{PartCreateInput, PartDiscontinueInput, PartEditInput, PartListInput};
use taller_client::Session;

#[derive(Subcommand)]
pub enum PartsCommand {
    /// Parts by reference, or the best matches of a search.
    List {
        #[arg(long)]
        search: Option<String>,
        /// With each part's stock at this location (name or id).
        #[arg(long)]
        location: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// A part (reference or id) with its stock, its ledger and open field conflicts.
    Show { reference: String },
    Add {
        #[arg(long = "ref")]
        reference: String,
        #[arg(long)]
        name: String,
        #[arg(long = "type")]
        tipo: Option<String>,
        #[arg(long)]
        brand: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    /// Edits fields; each edit carries the value it replaced.
    Edit {
        reference: String,
        #[arg(long = "ref")]
        new_reference: Option<String>,
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "type")]
        tipo: Option<String>,
        #[arg(long)]
        brand: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
    Discontinue {
        reference: String,
        #[arg(long)]
        undo: bool,
    },
}

pub fn run(client: &Session, json: bool, command: PartsCommand) -> Result<(), Failure> {
    match command {
        PartsCommand::List { search, location, limit } => output::listed(
            client,
            json,
            client.parts(&PartListInput { search: search.unwrap_or_default(), location, limit }),
        ),
        PartsCommand::Show { reference } => output::shown(client, json, client.part(&reference)),
        PartsCommand::Add { reference, name, tipo, brand, description } => output::acted(
            client,
            json,
            client.create_part(&PartCreateInput {
                referencia: reference,
                nombre: name,
                tipo,
                marca: brand,
                descripcion: description,
                fecha_estimada: None,
                url_imagen: None,
            }),
        ),
        PartsCommand::Edit { reference, new_reference, name, tipo, brand, description } => {
            let input = PartEditInput {
                part: reference,
                referencia: new_reference,
                nombre: name,
                tipo,
                marca: brand,
                descripcion: description,
                fecha_estimada: None,
                url_imagen: None,
            };
            if input.is_empty() {
                return Err(Failure::usage("name at least one field to edit (--name, --type, ...)"));
            }
            output::acted(client, json, client.edit_part(&input))
        }
        PartsCommand::Discontinue { reference, undo } => output::acted(
            client,
            json,
            client.discontinue_part(&PartDiscontinueInput { part: reference, descontinuado: !undo }),
        ),
    }
}
