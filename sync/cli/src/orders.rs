//! `taller models` and `taller orders`: scooter models and the tracking of scooter orders.

use crate::output::{self, Failure};
use chrono::NaiveDate;
use clap::Subcommand;
use taller_client::app::{
    ModelCreateInput, ModelEditInput, OrderAdvanceInput, OrderCreateInput, OrderEditInput, OrderListInput,
};
use taller_client::Session;

#[derive(Subcommand)]
pub enum ModelsCommand {
    /// Every model, by name, with its orders not delivered yet.
    List,
    Create {
        #[arg(long)]
        name: String,
        /// The power, as written on the model (350W).
        #[arg(long)]
        power: String,
        #[arg(long)]
        description: Option<String>,
    },
    /// Edits a model named by id or name; an empty description clears it.
    Edit {
        model: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        power: Option<String>,
        #[arg(long)]
        description: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum OrdersCommand {
    /// Orders by level, the earliest ETA first; `atrasada` marks the late ones.
    List {
        /// 1 ordered, 2 in transit, 3 delivered.
        #[arg(long)]
        level: Option<i32>,
    },
    /// One order, by id or order number.
    Show { order: String },
    Create {
        /// The order number.
        #[arg(long)]
        number: String,
        /// The model: its id or name.
        #[arg(long)]
        model: String,
        /// The state's words (default: Pedido).
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        link: Option<String>,
        /// Estimated delivery date, YYYY-MM-DD.
        #[arg(long)]
        eta: Option<NaiveDate>,
    },
    /// Moves an order forward (a level never goes back).
    Advance {
        order: String,
        /// 2 in transit, 3 delivered.
        #[arg(long)]
        level: i32,
        /// The state's words (default: the level's name).
        #[arg(long)]
        state: Option<String>,
    },
    /// Edits an order's contact and ETA; an empty value clears the field.
    Edit {
        order: String,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        link: Option<String>,
        /// YYYY-MM-DD, or empty to clear it.
        #[arg(long)]
        eta: Option<String>,
    },
}

pub fn models(client: &Session, json: bool, command: ModelsCommand) -> Result<(), Failure> {
    match command {
        ModelsCommand::List => output::listed(client, json, client.models()),
        ModelsCommand::Create { name, power, description } => output::acted(
            client,
            json,
            client.create_model(&ModelCreateInput { nombre: name, potencia: power, descripcion: description }),
        ),
        ModelsCommand::Edit { model, name, power, description } => {
            if name.is_none() && power.is_none() && description.is_none() {
                return Err(Failure::usage("name at least one of --name, --power, --description".to_owned()));
            }
            output::acted(
                client,
                json,
                client.edit_model(&ModelEditInput { model, nombre: name, potencia: power, descripcion: description }),
            )
        }
    }
}

pub fn orders(client: &Session, json: bool, command: OrdersCommand) -> Result<(), Failure> {
    match command {
        OrdersCommand::List { level } => {
            if level.is_some_and(|level| !(1..=3).contains(&level)) {
                return Err(Failure::usage("--level is 1 (ordered), 2 (in transit) or 3 (delivered)".to_owned()));
            }
            output::listed(client, json, client.orders(&OrderListInput { nivel: level }))
        }
        OrdersCommand::Show { order } => output::shown(client, json, client.order(&order)),
        OrdersCommand::Create { number, model, state, phone, email, link, eta } => output::acted(
            client,
            json,
            client.create_order(&OrderCreateInput {
                numero_orden: number,
                model,
                estado: state,
                telefono_contacto: phone,
                email_contacto: email,
                link_orden: link,
                fecha_entrega_estimada: eta,
            }),
        ),
        OrdersCommand::Advance { order, level, state } => {
            output::acted(client, json, client.advance_order(&OrderAdvanceInput { order, nivel: level, estado: state }))
        }
        OrdersCommand::Edit { order, phone, email, link, eta } => {
            if phone.is_none() && email.is_none() && link.is_none() && eta.is_none() {
                return Err(Failure::usage("name at least one of --phone, --email, --link, --eta".to_owned()));
            }
            output::acted(
                client,
                json,
                client.edit_order(&OrderEditInput {
                    order,
                    telefono_contacto: phone,
                    email_contacto: email,
                    link_orden: link,
                    fecha_entrega_estimada: eta,
                }),
            )
        }
    }
}
