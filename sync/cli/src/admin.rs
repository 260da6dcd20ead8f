//! People and administration: `taller notifications`, `taller conflicts`, `taller
//! technicians`, `taller user` and `taller location`.

use crate::output::{self, Failure};
use clap::Subcommand;
use taller_client::app::{LocationPolicyInput, NegativeStock, UserLocationInput, UserRejectInput};
use taller_client::Session;
use uuid::Uuid;

#[derive(Subcommand)]
pub enum PeopleCommand {
    /// The user's notifications (and marks one read with --read).
    Notifications {
        #[arg(long)]
        read: Option<Uuid>,
    },
    /// The conflict inbox: refused actions and the server's conflicts, explained.
    Conflicts,
    /// Technicians of a location.
    Technicians {
        #[arg(long)]
        location: String,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Approves an account waiting for approval.
    Approve {
        /// Email or id.
        #[arg(long)]
        email: String,
    },
    /// Rejects an account (its sessions end).
    Reject {
        #[arg(long)]
        email: String,
        #[arg(long)]
        reason: String,
    },
    /// Assigns a user to a location.
    Assign {
        #[arg(long)]
        email: String,
        #[arg(long)]
        location: String,
    },
    /// Removes a user from a location.
    Unassign {
        #[arg(long)]
        email: String,
        #[arg(long)]
        location: String,
    },
}

#[derive(Subcommand)]
pub enum LocationCommand {
    /// Whether stock may go below zero at a location.
    Policy {
        #[arg(long)]
        location: String,
        /// allow (the movement applies and is flagged) or reject (refused with insufficient_stock).
        #[arg(long, value_parser = ["allow", "reject"])]
        negative_stock: String,
    },
}

pub fn people(client: &Session, json: bool, command: PeopleCommand) -> Result<(), Failure> {
    match command {
        PeopleCommand::Notifications { read: Some(id) } => {
            output::acted(client, json, client.mark_notification_read(id))
        }
        PeopleCommand::Notifications { read: None } => output::listed(client, json, client.notification_list()),
        PeopleCommand::Conflicts => output::listed(client, json, client.inbox()),
        PeopleCommand::Technicians { location } => output::listed(client, json, client.technicians_at(&location)),
    }
}

pub fn user(client: &Session, json: bool, command: UserCommand) -> Result<(), Failure> {
    let done = match command {
        UserCommand::Approve { email } => client.approve_user(&email),
        UserCommand::Reject { email, reason } => {
            client.reject_user(&UserRejectInput { user: email, motivo_rechazo: reason })
        }
        UserCommand::Assign { email, location } => client.assign_user(&UserLocationInput { user: email, location }),
        UserCommand::Unassign { email, location } => client.unassign_user(&UserLocationInput { user: email, location }),
    };
    output::acted(client, json, done)
}

pub fn location(client: &Session, json: bool, command: LocationCommand) -> Result<(), Failure> {
    match command {
        LocationCommand::Policy { location, negative_stock } => {
            let stock_negativo = NegativeStock::parse(&negative_stock)
                .ok_or_else(|| Failure::usage(format!("--negative-stock {negative_stock}: allow or reject")))?;
            output::acted(client, json, client.set_location_policy(&LocationPolicyInput { location, stock_negativo }))
        }
    }
}
