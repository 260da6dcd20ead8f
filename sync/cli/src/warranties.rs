//! `taller warranty` (or `taller warranties`): warranty claims.

use crate::output::{self, Failure};
use clap::Subcommand;
use taller_client::app::{
    EstadoGarantia, WarrantyCreateInput, WarrantyEditInput, WarrantyListInput, WarrantyResolveInput,
};
use taller_client::Session;
use uuid::Uuid;

#[derive(Subcommand)]
pub enum WarrantyCommand {
    Create {
        #[arg(long)]
        location: String,
        #[arg(long = "ref")]
        reference: String,
        #[arg(long)]
        qty: i32,
        #[arg(long)]
        reason: String,
        /// The technician involved (email or id).
        #[arg(long)]
        technician: Option<String>,
        #[arg(long)]
        customer: Option<String>,
        #[arg(long)]
        mileage: Option<i32>,
        /// The work order.
        #[arg(long)]
        order: Option<String>,
    },
    /// Edits a claim not yet sent for review (SIN_ENVIAR); only the fields given change, and
    /// an empty text ("") clears an optional one.
    Edit {
        id: Uuid,
        #[arg(long)]
        qty: Option<i32>,
        #[arg(long)]
        reason: Option<String>,
        /// The technician involved (email or id; "" for nobody).
        #[arg(long)]
        technician: Option<String>,
        #[arg(long)]
        customer: Option<String>,
        #[arg(long)]
        mileage: Option<i32>,
        /// The work order.
        #[arg(long)]
        order: Option<String>,
        /// The photo's address.
        #[arg(long)]
        photo: Option<String>,
    },
    Submit {
        id: Uuid,
    },
    Approve {
        id: Uuid,
        #[arg(long)]
        comment: Option<String>,
    },
    Reject {
        id: Uuid,
        #[arg(long)]
        comment: String,
    },
    List {
        /// SIN_ENVIAR, PENDIENTE, APROBADA or RECHAZADA.
        #[arg(long)]
        state: Option<String>,
    },
    /// A claim with what the replica knows of it (the stock its approval brought in).
    Show {
        id: Uuid,
    },
}

pub fn run(client: &Session, json: bool, command: WarrantyCommand) -> Result<(), Failure> {
    match command {
        WarrantyCommand::Create { location, reference, qty, reason, technician, customer, mileage, order } => {
            output::acted(
                client,
                json,
                client.create_warranty(&WarrantyCreateInput {
                    location,
                    part: reference,
                    cantidad: qty,
                    motivo_falla: reason,
                    technician,
                    solicitante: customer,
                    kilometraje: mileage,
                    numero_orden: order,
                    url_evidencia_foto: None,
                }),
            )
        }
        WarrantyCommand::Edit { id, qty, reason, technician, customer, mileage, order, photo } => output::acted(
            client,
            json,
            client.edit_warranty(&WarrantyEditInput {
                id_garantia: id,
                cantidad: qty,
                motivo_falla: reason,
                kilometraje: mileage,
                numero_orden: order,
                solicitante: customer,
                url_evidencia_foto: photo,
                technician,
            }),
        ),
        WarrantyCommand::Submit { id } => output::acted(client, json, client.submit_warranty(id)),
        WarrantyCommand::Approve { id, comment } => output::acted(
            client,
            json,
            client.approve_warranty(&WarrantyResolveInput { id_garantia: id, comentarios_resolucion: comment }),
        ),
        WarrantyCommand::Reject { id, comment } => output::acted(
            client,
            json,
            client.reject_warranty(&WarrantyResolveInput { id_garantia: id, comentarios_resolucion: Some(comment) }),
        ),
        WarrantyCommand::List { state } => {
            let estado = state
                .map(|state| state.to_uppercase().parse::<EstadoGarantia>())
                .transpose()
                .map_err(|error| Failure::usage(format!("unknown warranty state {:?}", error.0)))?;
            output::listed(client, json, client.warranties(&WarrantyListInput { estado }))
        }
        WarrantyCommand::Show { id } => output::shown(client, json, client.warranty(id)),
    }
}
