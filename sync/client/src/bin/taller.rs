//! `taller`: the headless client, for scripting, kiosks and tests. A thin shell over the
//! client library. Exit codes: 0 done, 1 refused or failed (with the error's code and
//! message), 2 usage.

// Beside this file, not in `src/bin/` (where Cargo would take it for a binary of its own).
#[path = "taller/output.rs"]
mod output;

use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use output::{fail, Failure};
use serde_json::{json, Map, Value};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use taller_client::app::{
    CartAddInput, CartSetInput, CountLineInput, CountListInput, CountStartInput, CountState, DispatchInput,
    LineQuantityInput, ReceiveInput, RequestFromCartInput, RequestListInput, RequestStepInput, WarrantyCreateInput,
    WarrantyListInput, WarrantyResolveInput,
};
use taller_client::{queries, sync::lock, Client};
use taller_domain::{EstadoGarantia, EstadoSolicitud};
use taller_protocol::mutations::*;
use uuid::Uuid;

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
    /// Sets the server URL of this workstation.
    Connect {
        #[arg(long)]
        server: String,
    },
    /// Signs in online; the password is read from standard input.
    Login {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Unlocks a user who signed in here before, without the network.
    Unlock {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Signs out (pending changes stay, and are sent at the next sign-in).
    Logout,
    /// Sends pending changes and receives the server's, until caught up.
    Sync {
        /// One push and one pull only.
        #[arg(long)]
        once: bool,
        /// Rows per page.
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Online, pending, last sync, last error, conflicts.
    Status,
    /// Per-table checksums of the replica (and of the server's projection with --compare).
    Checksum {
        #[arg(long)]
        compare: bool,
    },
    /// Interface language: es or en.
    Lang { lang: String },
    #[command(subcommand)]
    Parts(PartsCommand),
    #[command(subcommand)]
    Stock(StockCommand),
    /// Records a technician movement.
    Move(MoveArgs),
    #[command(subcommand)]
    Cart(CartCommand),
    #[command(subcommand)]
    Request(RequestCommand),
    #[command(subcommand)]
    Count(CountCommand),
    #[command(subcommand)]
    Warranty(WarrantyCommand),
    /// The user's notifications (and marks one read with --read).
    Notifications {
        #[arg(long)]
        read: Option<Uuid>,
    },
    /// The conflict inbox.
    Conflicts,
    /// Technicians of a location.
    Technicians {
        #[arg(long)]
        location: String,
    },
    /// Accounts and their locations (users.manage).
    #[command(subcommand)]
    User(UserCommand),
    /// Location settings (users.manage).
    #[command(subcommand)]
    Location(LocationCommand),
}

#[derive(Subcommand)]
enum UserCommand {
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
enum LocationCommand {
    /// Whether stock may go below zero at a location.
    Policy {
        #[arg(long)]
        location: String,
        /// allow (the movement applies and is flagged) or reject (refused with insufficient_stock).
        #[arg(long, value_parser = ["allow", "reject"])]
        negative_stock: String,
    },
}

#[derive(Subcommand)]
enum PartsCommand {
    List {
        #[arg(long)]
        search: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    Show {
        reference: String,
    },
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

#[derive(Subcommand)]
enum StockCommand {
    List {
        #[arg(long)]
        location: Option<String>,
        #[arg(long)]
        low: bool,
    },
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
struct MoveArgs {
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
    /// The technician who took the part (default: you).
    #[arg(long)]
    technician: Option<String>,
    #[arg(long)]
    order: Option<i32>,
    /// When it happened (RFC 3339), if not now.
    #[arg(long)]
    at: Option<DateTime<Utc>>,
}

#[derive(Subcommand)]
enum CartCommand {
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
enum RequestCommand {
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
}

#[derive(Subcommand)]
enum CountCommand {
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

#[derive(Subcommand)]
enum WarrantyCommand {
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

fn read_password(from_stdin: bool) -> Result<String, Failure> {
    if !from_stdin {
        return Err(Failure::usage("pass the password on standard input with --password-stdin"));
    }
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|error| Failure::refused("io", error.to_string()))?;
    Ok(text.trim_end_matches(['\r', '\n']).to_owned())
}

/// Runs a local action (dated `at` when given, now otherwise) and says it is queued.
fn act(client: &Client, json: bool, mutation: Mutation) -> Result<(), Failure> {
    act_at(client, json, mutation, None)
}

fn act_at(client: &Client, json: bool, mutation: Mutation, at: Option<DateTime<Utc>>) -> Result<(), Failure> {
    let queued = match at {
        Some(at) => client.act_at(&mutation, at),
        None => client.act(&mutation),
    }
    .map_err(|error| fail(Some(client), error))?;
    output::queued(client, json, &queued)
}

fn with_conn<T>(
    client: &Client,
    f: impl FnOnce(&rusqlite::Connection) -> taller_client::error::Result<T>,
) -> Result<T, Failure> {
    let shared = client.shared().map_err(|error| fail(Some(client), error))?;
    let replica = lock(shared);
    f(&replica.conn).map_err(|error| fail(Some(client), error))
}

/// `REF:QTY` line arguments; a malformed one is a usage mistake whatever the replica holds.
fn line_quantities(lines: &[String]) -> Result<Vec<LineQuantityInput>, Failure> {
    lines.iter().map(|line| LineQuantityInput::parse(line).map_err(Failure::usage)).collect()
}

/// Prints a queued action, or fails with the library's error.
fn queued(
    client: &Client,
    json: bool,
    result: taller_client::error::Result<taller_client::Queued>,
) -> Result<(), Failure> {
    let queued = result.map_err(|error| fail(Some(client), error))?;
    output::queued(client, json, &queued)
}

fn edit(field: &str, current: &Map<String, Value>, new: Option<&String>) -> Option<FieldEdit> {
    new.map(|value| FieldEdit {
        field: field.to_owned(),
        old: current.get(field).cloned().unwrap_or(Value::Null),
        new: Value::String(value.clone()),
    })
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let json = cli.json;
    let mut client = Client::open(&cli.data_dir).map_err(|error| fail(None, error))?;
    let client_ref = &mut client;
    match cli.command {
        Command::Connect { server } => {
            client_ref.connect(&server).map_err(|error| fail(None, error))?;
            output::value(json, &json!({"ok": true, "server": server}))?;
        }
        Command::Lang { lang } => {
            client_ref.set_lang(&lang).map_err(|error| fail(None, error))?;
            output::value(json, &json!({"ok": true, "lang": client_ref.lang().as_str()}))?;
        }
        Command::Login { email, password_stdin } => {
            let password = read_password(password_stdin)?;
            let signed_in = client_ref.sign_in(&email, &password).await.map_err(|error| fail(None, error))?;
            output::value(
                json,
                &json!({"ok": true, "user": signed_in.user, "sent": signed_in.sent, "pending": signed_in.pending,
                        "send_error": signed_in.send_error}),
            )?;
        }
        Command::Unlock { email, password_stdin } => {
            let password = read_password(password_stdin)?;
            client_ref.unlock(&email, &password).map_err(|error| fail(None, error))?;
            let status = client_ref.status().map_err(|error| fail(Some(client_ref), error))?;
            output::value(
                json,
                &json!({"ok": true, "user": email, "signed_in": status.signed_in, "pending": status.pending}),
            )?;
        }
        Command::Logout => {
            let signed_out = client_ref.logout().map_err(|error| fail(None, error))?;
            let message = signed_out.message(client_ref.lang());
            if json {
                output::line(
                    &json!({"ok": true, "user": signed_out.user, "pending": signed_out.pending, "message": message})
                        .to_string(),
                )?;
            } else {
                output::line(&message)?;
            }
        }
        Command::Sync { once, limit } => {
            let show_progress = !json;
            let progress = move |p: taller_client::sync::Progress| {
                if show_progress && p.rows_total > 0 {
                    eprintln!("{} / {} ({:.0} %)", p.rows_sent, p.rows_total, p.percent());
                }
            };
            let mut total = taller_client::sync::SyncReport::default();
            loop {
                let report = match client_ref.sync(limit, &progress).await {
                    Ok(report) => report,
                    Err(error) => {
                        let status = client_ref.status().ok().and_then(|status| serde_json::to_value(status).ok());
                        return Err(match fail(Some(client_ref), error) {
                            Failure::Refused { code, message, .. } => Failure::Refused {
                                code,
                                message,
                                details: status.map(|status| Map::from_iter([("status".to_owned(), status)])),
                            },
                            other => other,
                        });
                    }
                };
                total.add(&report);
                let pending = client_ref.status().map(|s| s.pending).unwrap_or_default();
                if once || pending == 0 {
                    break;
                }
            }
            let status = client_ref.status().map_err(|error| fail(Some(client_ref), error))?;
            output::value(json, &json!({"ok": true, "report": total, "status": status}))?;
        }
        Command::Status => {
            let status = client_ref.status().map_err(|error| fail(Some(client_ref), error))?;
            output::value(json, &serde_json::to_value(status).unwrap_or_default())?;
        }
        Command::Checksum { compare } => {
            let local = client_ref.checksums().map_err(|error| fail(Some(client_ref), error))?;
            if !compare {
                return output::value(json, &serde_json::to_value(local).unwrap_or_default());
            }
            let server = client_ref.server_checksums().await.map_err(|error| fail(Some(client_ref), error))?;
            let differing: Vec<&String> = local
                .iter()
                .filter(|(table, sum)| server.tables.get(*table) != Some(*sum))
                .map(|(table, _)| table)
                .collect();
            let comparison = json!({"differing": differing, "replica": local, "server": server.tables});
            if !differing.is_empty() {
                // One document either way: the failure carries the comparison.
                return Err(Failure::Refused {
                    code: "checksum_mismatch".into(),
                    message: format!("tables differ from the server: {differing:?}"),
                    details: comparison.as_object().cloned(),
                });
            }
            let mut document = Map::from_iter([("ok".to_owned(), Value::Bool(true))]);
            document.extend(comparison.as_object().cloned().unwrap_or_default());
            output::value(json, &Value::Object(document))?;
        }
        command => data_command(client_ref, json, command).await?,
    }
    Ok(())
}

async fn data_command(client: &Client, json: bool, command: Command) -> Result<(), Failure> {
    let me = client.user_id().map_err(|error| fail(Some(client), error))?;
    match command {
        Command::Parts(PartsCommand::List { search, limit }) => {
            output::rows(json, &with_conn(client, |c| queries::parts(c, search.as_deref(), limit))?)?;
        }
        Command::Parts(PartsCommand::Show { reference }) => {
            let detail = with_conn(client, |c| queries::part_detail(c, queries::part_id(c, &reference)?))?;
            output::value(json, &Value::Object(detail))?;
        }
        Command::Parts(PartsCommand::Add { reference, name, tipo, brand, description }) => act(
            client,
            json,
            Mutation::PartCreate(PartCreate {
                id_repuesto: Uuid::now_v7(),
                referencia: reference,
                nombre: name,
                tipo,
                marca: brand,
                descripcion: description,
                fecha_estimada: None,
                url_imagen: None,
            }),
        )?,
        Command::Parts(PartsCommand::Edit { reference, new_reference, name, tipo, brand, description }) => {
            if [&new_reference, &name, &tipo, &brand, &description].iter().all(|field| field.is_none()) {
                return Err(Failure::usage("name at least one field to edit (--name, --type, ...)"));
            }
            let (id, current) = with_conn(client, |c| {
                let id = queries::part_id(c, &reference)?;
                Ok((id, queries::part_detail(c, id)?))
            })?;
            let edits: Vec<FieldEdit> = [
                edit("referencia", &current, new_reference.as_ref()),
                edit("nombre", &current, name.as_ref()),
                edit("tipo", &current, tipo.as_ref()),
                edit("marca", &current, brand.as_ref()),
                edit("descripcion", &current, description.as_ref()),
            ]
            .into_iter()
            .flatten()
            .collect();
            act(client, json, Mutation::PartEdit(PartEdit { id_repuesto: id, edits }))?;
        }
        Command::Parts(PartsCommand::Discontinue { reference, undo }) => {
            let id = with_conn(client, |c| queries::part_id(c, &reference))?;
            act(client, json, Mutation::PartDiscontinue(PartDiscontinue { id_repuesto: id, descontinuado: !undo }))?;
        }
        Command::Stock(StockCommand::List { location, low }) => {
            // Streamed: every location of a big network is a million rows.
            let mut out = output::RowPrinter::new(json);
            with_conn(client, |c| {
                let location = location.as_deref().map(|l| queries::location_id(c, l)).transpose()?;
                queries::each_stock(c, location, low, |row| out.library_row(&row))
            })?;
            out.finish()?;
        }
        Command::Stock(StockCommand::Adjust { location, reference, delta, reason }) => {
            let (loc, part) =
                with_conn(client, |c| Ok((queries::location_id(c, &location)?, queries::part_id(c, &reference)?)))?;
            act(
                client,
                json,
                Mutation::InventoryAdjust(InventoryAdjust {
                    id_localizacion: loc,
                    id_repuesto: part,
                    delta,
                    motivo: reason,
                }),
            )?;
        }
        Command::Stock(StockCommand::Set { location, reference, min, position }) => {
            if min.is_none() && position.is_none() {
                return Err(Failure::usage("give --min and/or --position"));
            }
            let (loc, part, current) = with_conn(client, |c| {
                let loc = queries::location_id(c, &location)?;
                let part = queries::part_id(c, &reference)?;
                let current = queries::objects(
                    c,
                    "SELECT cantidad_minima, posicion FROM inventario WHERE id_localizacion = ?1 AND id_repuesto = ?2",
                    &[&loc.to_string(), &part.to_string()],
                )?
                .pop()
                .unwrap_or_default();
                Ok((loc, part, current))
            })?;
            let mut edits = Vec::new();
            if let Some(min) = min {
                edits.push(FieldEdit {
                    field: "cantidad_minima".into(),
                    old: current.get("cantidad_minima").cloned().unwrap_or(Value::Null),
                    new: json!(min),
                });
            }
            if let Some(position) = position {
                edits.push(FieldEdit {
                    field: "posicion".into(),
                    old: current.get("posicion").cloned().unwrap_or(Value::Null),
                    new: json!(position),
                });
            }
            act(
                client,
                json,
                Mutation::InventorySettings(InventorySettings { id_localizacion: loc, id_repuesto: part, edits }),
            )?;
        }
        Command::Move(args) => {
            let concepto: taller_domain::Concepto =
                args.concept.parse().map_err(|_| Failure::usage(format!("unknown concept {}", args.concept)))?;
            let tipo: taller_domain::TipoMovimiento = match &args.tipo {
                Some(tipo) => tipo.parse().map_err(|_| Failure::usage(format!("unknown type {tipo}")))?,
                None => concepto.allowed_tipos()[0],
            };
            let (loc, part, technician) = with_conn(client, |c| {
                let technician = match &args.technician {
                    Some(who) => queries::user_id(c, who)?,
                    None => me,
                };
                Ok((queries::location_id(c, &args.location)?, queries::part_id(c, &args.reference)?, technician))
            })?;
            let mutation = Mutation::MovementRecord(MovementRecord {
                id_movimientos_tecnicos: Uuid::now_v7(),
                id_localizacion: loc,
                id_repuesto: part,
                id_tecnico_asignado: technician,
                concepto,
                tipo,
                cantidad: args.qty,
                numero_orden: args.order,
            });
            act_at(client, json, mutation, args.at)?;
        }
        Command::Cart(CartCommand::Add { location, reference, qty }) => queued(
            client,
            json,
            client.cart_add(&CartAddInput { destination: location, part: reference, cantidad: qty }),
        )?,
        Command::Cart(CartCommand::Set { id, qty }) => {
            queued(client, json, client.cart_set(&CartSetInput { id_item_carrito: id, cantidad: qty }))?
        }
        Command::Cart(CartCommand::Remove { id }) => queued(client, json, client.cart_remove(id))?,
        Command::Cart(CartCommand::List) => {
            output::typed_rows(json, &client.cart().map_err(|e| fail(Some(client), e))?)?
        }
        Command::Request(RequestCommand::Create { from, to, note }) => queued(
            client,
            json,
            client.request_from_cart(&RequestFromCartInput {
                origin: from,
                destination: to,
                observaciones_generales: note,
            }),
        )?,
        Command::Request(RequestCommand::Pick { id }) => {
            queued(client, json, client.pick_request(&RequestStepInput { id_solicitud: id, comentario: None }))?
        }
        Command::Request(RequestCommand::Dispatch { id, lines, guide }) => {
            let lines = line_quantities(&lines)?;
            queued(
                client,
                json,
                client.dispatch_request(&DispatchInput {
                    id_solicitud: id,
                    lines,
                    guia_transporte: guide,
                    comentario: None,
                }),
            )?
        }
        Command::Request(RequestCommand::Receive { id, lines }) => {
            let lines = line_quantities(&lines)?;
            queued(client, json, client.receive_request(&ReceiveInput { id_solicitud: id, lines, comentario: None }))?
        }
        Command::Request(RequestCommand::Cancel { id, comment }) => {
            queued(client, json, client.cancel_request(&RequestStepInput { id_solicitud: id, comentario: comment }))?
        }
        Command::Request(RequestCommand::List { state }) => {
            let estado = state
                .map(|state| state.to_uppercase().parse::<EstadoSolicitud>())
                .transpose()
                .map_err(|error| Failure::usage(format!("unknown request state {:?}", error.0)))?;
            output::typed_rows(
                json,
                &client.requests(&RequestListInput { estado }).map_err(|e| fail(Some(client), e))?,
            )?
        }
        Command::Request(RequestCommand::Show { id }) => {
            output::typed_value(json, &client.request(id).map_err(|e| fail(Some(client), e))?)?
        }
        Command::Count(CountCommand::Start { location, note }) => {
            queued(client, json, client.start_count(&CountStartInput { location, observaciones: note }))?
        }
        Command::Count(CountCommand::Line { id, reference, counted, pq, note }) => queued(
            client,
            json,
            client.record_count_line(&CountLineInput {
                id_conteo: id,
                part: reference,
                cantidad_csa: counted,
                cantidad_pq: pq,
                observaciones: note,
            }),
        )?,
        Command::Count(CountCommand::Close { id }) => queued(client, json, client.close_count(id))?,
        Command::Count(CountCommand::List { location, state }) => {
            let state = state
                .as_deref()
                .map(CountState::parse)
                .map(|state| state.ok_or_else(|| Failure::usage("--state: open or closed")));
            let input = CountListInput { location, state: state.transpose()? };
            output::typed_rows(json, &client.counts(&input).map_err(|e| fail(Some(client), e))?)?
        }
        Command::Count(CountCommand::Show { id }) => {
            output::typed_value(json, &client.count(id).map_err(|e| fail(Some(client), e))?)?
        }
        Command::Warranty(WarrantyCommand::Create {
            location,
            reference,
            qty,
            reason,
            technician,
            customer,
            mileage,
            order,
        }) => queued(
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
        )?,
        Command::Warranty(WarrantyCommand::Submit { id }) => queued(client, json, client.submit_warranty(id))?,
        Command::Warranty(WarrantyCommand::Approve { id, comment }) => queued(
            client,
            json,
            client.approve_warranty(&WarrantyResolveInput { id_garantia: id, comentarios_resolucion: comment }),
        )?,
        Command::Warranty(WarrantyCommand::Reject { id, comment }) => queued(
            client,
            json,
            client.reject_warranty(&WarrantyResolveInput { id_garantia: id, comentarios_resolucion: Some(comment) }),
        )?,
        Command::Warranty(WarrantyCommand::List { state }) => {
            let estado = state
                .map(|state| state.to_uppercase().parse::<EstadoGarantia>())
                .transpose()
                .map_err(|error| Failure::usage(format!("unknown warranty state {:?}", error.0)))?;
            output::typed_rows(
                json,
                &client.warranties(&WarrantyListInput { estado }).map_err(|e| fail(Some(client), e))?,
            )?
        }
        Command::Warranty(WarrantyCommand::Show { id }) => {
            output::typed_value(json, &client.warranty(id).map_err(|e| fail(Some(client), e))?)?
        }
        Command::Notifications { read: Some(id) } => {
            act(client, json, Mutation::NotificationRead(NotificationRead { id_notificacion: id }))?
        }
        Command::Notifications { read: None } => {
            output::rows(json, &with_conn(client, |c| queries::notifications(c, me))?)?
        }
        Command::Conflicts => output::rows(json, &with_conn(client, |c| queries::conflicts(c, me))?)?,
        Command::Technicians { location } => {
            output::rows(json, &with_conn(client, |c| queries::technicians(c, queries::location_id(c, &location)?))?)?
        }
        Command::User(command) => {
            let mutation = with_conn(client, |c| {
                Ok(match command {
                    UserCommand::Approve { email } => {
                        Mutation::UserApprove(UserRef { id_usuario: queries::user_id(c, &email)? })
                    }
                    UserCommand::Reject { email, reason } => Mutation::UserReject(UserReject {
                        id_usuario: queries::user_id(c, &email)?,
                        motivo_rechazo: reason,
                    }),
                    UserCommand::Assign { email, location } => Mutation::UserAssign(UserLocation {
                        id_usuario: queries::user_id(c, &email)?,
                        id_localizacion: queries::location_id(c, &location)?,
                    }),
                    UserCommand::Unassign { email, location } => Mutation::UserUnassign(UserLocation {
                        id_usuario: queries::user_id(c, &email)?,
                        id_localizacion: queries::location_id(c, &location)?,
                    }),
                })
            })?;
            act(client, json, mutation)?;
        }
        Command::Location(LocationCommand::Policy { location, negative_stock }) => {
            let stock_negativo = taller_domain::stock::NegativeStockPolicy::parse(&negative_stock)
                .ok_or_else(|| Failure::usage(format!("--negative-stock {negative_stock}: allow or reject")))?;
            let id_localizacion = with_conn(client, |c| queries::location_id(c, &location))?;
            act(client, json, Mutation::LocationPolicy(LocationPolicy { id_localizacion, stock_negativo }))?;
        }
        Command::Connect { .. }
        | Command::Login { .. }
        | Command::Unlock { .. }
        | Command::Logout
        | Command::Sync { .. }
        | Command::Status
        | Command::Checksum { .. }
        | Command::Lang { .. } => {}
    }
    Ok(())
}
