//! `taller cart` and `taller request`: the cart and transfer requests.

use crate::output::{self, Failure};
use clap::Subcommand;
use taller_client::app::{
    CartAddInput, CartSetInput, DispatchInput, EstadoSolicitud, LineQuantityInput, ReceiveInput, ReplenishmentInput,
    ReplenishmentLineInput, ReplenishmentToCartInput, RequestFromCartInput, RequestListInput, RequestStepInput,
};
use taller_client::Session;
use uuid::Uuid;

#[derive(Subcommand)]
pub enum CartCommand {
    Add {
        #[arg(long)]
        location: String,
        #[arg(long = "ref")]
        reference: String,
        #[arg(long)]
        qty: i32,
    },
    Set {
        id: Uuid,
        #[arg(long)]
        qty: i32,
    },
    Remove {
        id: Uuid,
    },
    List,
}

#[derive(Subcommand)]
pub enum RequestCommand {
    /// Creates a request from the cart lines for the destination.
    Create {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        note: Option<String>,
    },
    Pick {
        id: Uuid,
    },
    Dispatch {
        id: Uuid,
        /// Dispatched quantity per line: REF:QTY (lines not named: as requested).
        #[arg(long = "line")]
        lines: Vec<String>,
        #[arg(long)]
        guide: Option<String>,
    },
    Receive {
        id: Uuid,
        #[arg(long = "line")]
        lines: Vec<String>,
    },
    Cancel {
        id: Uuid,
        #[arg(long)]
        comment: Option<String>,
    },
    List {
        #[arg(long)]
        state: Option<String>,
    },
    Show {
        id: Uuid,
    },
    /// Proposes a replenishment for a location's parts below their minimum, from a location
    /// whose stock this replica holds (the one with the most by default); with --to-cart, the
    /// proposed lines go into the cart (then `request create`).
    Propose {
        /// The location to replenish.
        #[arg(long = "for")]
        destination: String,
        /// Where the parts come from.
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        to_cart: bool,
    },
}

/// `REF:QTY` line arguments; a malformed one is a usage mistake whatever the replica holds.
fn line_quantities(lines: &[String]) -> Result<Vec<LineQuantityInput>, Failure> {
    lines.iter().map(|line| LineQuantityInput::parse(line).map_err(Failure::usage)).collect()
}

pub fn cart(client: &Session, json: bool, command: CartCommand) -> Result<(), Failure> {
    match command {
        CartCommand::Add { location, reference, qty } => output::acted(
            client,
            json,
            client.cart_add(&CartAddInput { destination: location, part: reference, cantidad: qty }),
        ),
        CartCommand::Set { id, qty } => {
            output::acted(client, json, client.cart_set(&CartSetInput { id_item_carrito: id, cantidad: qty }))
        }
        CartCommand::Remove { id } => output::acted(client, json, client.cart_remove(id)),
        CartCommand::List => output::listed(client, json, client.cart()),
    }
}

pub fn request(client: &Session, json: bool, command: RequestCommand) -> Result<(), Failure> {
    match command {
        RequestCommand::Create { from, to, note } => output::acted(
            client,
            json,
            client.request_from_cart(&RequestFromCartInput {
                origin: from,
                destination: to,
                observaciones_generales: note,
            }),
        ),
        RequestCommand::Pick { id } => {
            output::acted(client, json, client.pick_request(&RequestStepInput { id_solicitud: id, comentario: None }))
        }
        RequestCommand::Dispatch { id, lines, guide } => {
            let lines = line_quantities(&lines)?;
            output::acted(
                client,
                json,
                client.dispatch_request(&DispatchInput {
                    id_solicitud: id,
                    lines,
                    guia_transporte: guide,
                    comentario: None,
                }),
            )
        }
        RequestCommand::Receive { id, lines } => {
            let lines = line_quantities(&lines)?;
            output::acted(
                client,
                json,
                client.receive_request(&ReceiveInput { id_solicitud: id, lines, comentario: None }),
            )
        }
        RequestCommand::Cancel { id, comment } => output::acted(
            client,
            json,
            client.cancel_request(&RequestStepInput { id_solicitud: id, comentario: comment }),
        ),
        RequestCommand::List { state } => {
            let estado = state
                .map(|state| state.to_uppercase().parse::<EstadoSolicitud>())
                .transpose()
                .map_err(|error| Failure::usage(format!("unknown request state {:?}", error.0)))?;
            output::listed(client, json, client.requests(&RequestListInput { estado }))
        }
        RequestCommand::Show { id } => output::shown(client, json, client.request(id)),
        RequestCommand::Propose { destination, from, to_cart } => {
            let proposal = client
                .replenishment(&ReplenishmentInput { destination: destination.clone(), origin: from })
                .map_err(|error| output::fail(Some(client), error))?;
            if !to_cart {
                return output::typed_value(json, &proposal);
            }
            if proposal.lineas.is_empty() {
                // Nothing to ask for: the cart stays as it is.
                return output::typed_value(json, &serde_json::json!({"proposal": proposal, "cart": null}));
            }
            let lines = proposal
                .lineas
                .iter()
                .map(|line| ReplenishmentLineInput { part: line.id_repuesto.to_string(), cantidad: line.propuesta })
                .collect();
            let added = client
                .replenishment_to_cart(&ReplenishmentToCartInput { destination, lines })
                .map_err(|error| output::fail(Some(client), error))?;
            output::typed_value(json, &serde_json::json!({"proposal": proposal, "cart": added}))
        }
    }
}
