//! `taller count`: physical counts.

use crate::output::{self, Failure};
use clap::Subcommand;
use taller_client::app::{CountLineInput, CountListInput, CountStartInput, CountState};
use taller_client::Session;
use uuid::Uuid;

#[derive(Subcommand)]
pub enum CountCommand {
    /// Starts a count at a location (its name or id).
    Start {
        #[arg(long)]
        location: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Records what was counted of a part (counting it again replaces its line).
    Line {
        id: Uuid,
        #[arg(long = "ref")]
        reference: String,
        #[arg(long)]
        counted: i32,
        /// Of the counted units, the loose small parts that stay.
        #[arg(long, default_value_t = 0)]
        pq: i32,
        #[arg(long)]
        note: Option<String>,
    },
    /// Closes a count: each line fixes its part's stock.
    Close { id: Uuid },
    /// Counts, newest first.
    List {
        #[arg(long)]
        location: Option<String>,
        #[arg(long, value_parser = ["open", "closed"])]
        state: Option<String>,
    },
    /// A count with its lines, differences and adjustments.
    Show { id: Uuid },
}

pub fn run(client: &Session, json: bool, command: CountCommand) -> Result<(), Failure> {
    match command {
        CountCommand::Start { location, note } => {
            output::acted(client, json, client.start_count(&CountStartInput { location, observaciones: note }))
        }
        CountCommand::Line { id, reference, counted, pq, note } => output::acted(
            client,
            json,
            client.record_count_line(&CountLineInput {
                id_conteo: id,
                part: reference,
                cantidad_csa: counted,
                cantidad_pq: pq,
                observaciones: note,
            }),
        ),
        CountCommand::Close { id } => output::acted(client, json, client.close_count(id)),
        CountCommand::List { location, state } => {
            let state = state
                .as_deref()
                .map(|state| CountState::parse(state).ok_or_else(|| Failure::usage("--state: open or closed")))
                .transpose()?;
            output::listed(client, json, client.counts(&CountListInput { location, state }))
        }
        CountCommand::Show { id } => output::shown(client, json, client.count(id)),
    }
}
