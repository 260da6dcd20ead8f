//! `taller`: the headless client, for scripting, kiosks and tests. A thin shell over the
//! client library's use-case API (`taller_client::app`): each command parses what was typed,
//! calls one operation and prints what it returns. Exit codes: 0 done, 1 refused or failed
//! (with the error's code and message), 2 usage.

mod admin;
mod counts;
mod export;
mod import;
mod labels;
mod orders;
mod output;
mod parts;
mod requests;
mod session;
mod stock;
mod warranties;

use clap::{Parser, Subcommand};
use output::{fail, fail_in, Failure};
use std::path::PathBuf;
use std::process::ExitCode;
use taller_client::Workstation;

#[derive(Parser)]
#[command(name = "taller", version, about = "Taller: inventario de talleres, sin conexión primero")]
struct Cli {
    /// The workstation's data directory (replicas of every user who signed in here).
    #[arg(long, env = "TALLER_DATA_DIR", default_value = ".taller/client")]
    data_dir: PathBuf,
    /// Machine-readable output.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    #[command(flatten)]
    Session(session::SessionCommand),
    /// The parts catalogue: list, show, add, edit, discontinue.
    #[command(subcommand)]
    Parts(parts::PartsCommand),
    /// Stock by location: list, adjust, minimum and position.
    #[command(subcommand)]
    Stock(stock::StockCommand),
    /// Records a technician movement.
    Move(stock::MoveArgs),
    /// The cart: parts wanted at a destination, before they are requested.
    #[command(subcommand)]
    Cart(requests::CartCommand),
    /// Transfer requests: create from the cart, pick, dispatch, receive, cancel, propose a replenishment.
    #[command(subcommand, visible_alias = "requests")]
    Request(requests::RequestCommand),
    /// Physical counts: start, count lines, close.
    #[command(subcommand)]
    Count(counts::CountCommand),
    /// Warranty claims: create, edit while not sent, submit, approve or reject.
    #[command(subcommand, alias = "warranties")]
    Warranty(warranties::WarrantyCommand),
    /// Scooter models: list, create, edit.
    #[command(subcommand)]
    Models(orders::ModelsCommand),
    /// Scooter orders: list by level, show, create, advance, edit contact and ETA.
    #[command(subcommand)]
    Orders(orders::OrdersCommand),
    #[command(flatten)]
    People(admin::PeopleCommand),
    /// Accounts and their locations (users.manage).
    #[command(subcommand)]
    User(admin::UserCommand),
    /// Location settings (users.manage).
    #[command(subcommand)]
    Location(admin::LocationCommand),
    /// A list to a CSV or XLSX file, with its screen's filters: inventory, requests, counts, warranties.
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Parts from a CSV file: a preview of every row's errors, then (with --apply) all created or none.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Printable labels (PDF, Code 128 of the reference, name, position) of one part or of a
    /// location's shelf.
    Labels(labels::LabelsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let json = cli.json;
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(json),
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let json = cli.json;
    let mut workstation = Workstation::open(&cli.data_dir).map_err(|error| fail(None, error))?;
    let ws = &workstation;
    match cli.command {
        Command::Session(command) => session::run(&mut workstation, json, command).await,
        Command::Parts(command) => parts::run(&*signed_in(ws)?, json, command),
        Command::Stock(command) => stock::run(&*signed_in(ws)?, json, command),
        Command::Move(args) => stock::record_move(&*signed_in(ws)?, json, args),
        Command::Cart(command) => requests::cart(&*signed_in(ws)?, json, command),
        Command::Request(command) => requests::request(&*signed_in(ws)?, json, command),
        Command::Count(command) => counts::run(&*signed_in(ws)?, json, command),
        Command::Warranty(command) => warranties::run(&*signed_in(ws)?, json, command),
        Command::Models(command) => orders::models(&*signed_in(ws)?, json, command),
        Command::Orders(command) => orders::orders(&*signed_in(ws)?, json, command),
        Command::People(command) => admin::people(&*signed_in(ws)?, json, command),
        Command::User(command) => admin::user(&*signed_in(ws)?, json, command),
        Command::Location(command) => admin::location(&*signed_in(ws)?, json, command),
        Command::Export(command) => export::run(&*signed_in(ws)?, json, command),
        Command::Import(command) => import::run(&*signed_in(ws)?, json, command),
        Command::Labels(args) => labels::run(&*signed_in(ws)?, json, args),
    }
}

/// The signed-in user's session; `not_signed_in` in the workstation's language otherwise.
pub(crate) fn signed_in(workstation: &Workstation) -> Result<std::sync::Arc<taller_client::Session>, Failure> {
    workstation.session().map_err(|error| fail_in(workstation.lang(), error))
}
