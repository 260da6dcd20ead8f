//! `taller-server`: the central sync server and its operator commands.

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use taller_pgcluster::{Cluster, Options};
use taller_server::config::Config;
use taller_server::state::AppState;
use taller_server::{admin, db, demo, events, router};

#[derive(Parser)]
#[command(name = "taller-server", version, about = "Taller's central sync server")]
struct Cli {
    /// PostgreSQL URL. Without it, a private cluster is started under --data-dir from the
    /// system's PostgreSQL binaries, and stopped on exit.
    #[arg(long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Where the private PostgreSQL cluster lives when no database URL is given.
    #[arg(long, env = "TALLER_DATA_DIR", default_value = ".taller/server", global = true)]
    data_dir: PathBuf,
    /// Log format.
    #[arg(long, env = "TALLER_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"], global = true)]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Applies the database migrations.
    Migrate,
    /// Serves the HTTP API.
    Serve(ServeArgs),
    /// Accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Locations.
    #[command(subcommand)]
    Location(LocationCommand),
    /// Assigns a user to a location.
    Assign {
        #[arg(long)]
        email: String,
        /// Location name or id.
        #[arg(long)]
        location: String,
    },
    /// Removes a user from a location.
    Unassign {
        #[arg(long)]
        email: String,
        /// Location name or id.
        #[arg(long)]
        location: String,
    },
    /// Prints the demo accounts as JSON (email, password, nombre_completo, nombre_rol), for the
    /// desktop app's sign-in screen in `cargo xtask demo`. Needs no database.
    DemoAccounts,
    /// Loads a demo workshop network (or a large data set for benchmarks).
    DemoData {
        #[arg(long, default_value_t = 300)]
        parts: usize,
        #[arg(long, default_value_t = 3)]
        locations: usize,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    #[arg(long, env = "TALLER_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// How many days back a person's action may be dated.
    #[arg(long, env = "TALLER_BACKDATE_DAYS", default_value_t = 30)]
    backdate_days: i64,
    /// Access token lifetime in minutes.
    #[arg(long, env = "TALLER_ACCESS_TTL_MINUTES", default_value_t = 60)]
    access_ttl_minutes: i64,
    /// Most rows per pull page.
    #[arg(long, env = "TALLER_PAGE_ROWS", default_value_t = 5000)]
    page_rows: u32,
    /// Database connections of this process.
    #[arg(long, env = "TALLER_DB_CONNECTIONS", default_value_t = 20)]
    db_connections: u32,
    /// Apply runs of technician movements in a push set-based (off: one at a time, the
    /// reference path; same outcomes).
    #[arg(long, env = "TALLER_BATCH_MOVEMENTS", default_value_t = true, action = clap::ArgAction::Set)]
    batch_movements: bool,
    /// Migrate the database before serving.
    #[arg(long, env = "TALLER_MIGRATE", default_value_t = true, action = clap::ArgAction::Set)]
    migrate: bool,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Creates an approved account; the password is read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["admin", "superuser", "tecnico"])]
        role: String,
        /// Leave the account waiting for an administrator's approval.
        #[arg(long)]
        pending: bool,
    },
    /// Blocks an account and closes its sessions.
    Block {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum LocationCommand {
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        phone: Option<String>,
    },
    /// Sets whether stock may go below zero at a location.
    Policy {
        /// Location name or id.
        #[arg(long)]
        location: String,
        /// allow (the movement applies and is flagged) or reject (refused with insufficient_stock).
        #[arg(long, value_parser = ["allow", "reject"])]
        negative_stock: String,
    },
}

/// The database the command works on: the given URL, or a private cluster that lives as long
/// as this value.
struct Database {
    url: String,
    cluster: Option<Cluster>,
}

impl Database {
    fn open(cli: &Cli) -> anyhow::Result<Database> {
        if let Some(url) = &cli.database_url {
            return Ok(Database { url: url.clone(), cluster: None });
        }
        let dir = cli.data_dir.join("pg");
        let cluster = Cluster::start(&dir, &Options::default())
            .with_context(|| format!("starting the private PostgreSQL cluster in {}", dir.display()))?;
        let exists = cluster.psql("postgres", "SELECT 1 FROM pg_database WHERE datname = 'taller'")?;
        if exists.trim().is_empty() {
            cluster.create_database("taller")?;
        }
        Ok(Database { url: cluster.url("taller"), cluster: Some(cluster) })
    }

    fn close(self) -> anyhow::Result<()> {
        if let Some(cluster) = self.cluster {
            cluster.stop()?;
        }
        Ok(())
    }
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(&cli.log_format);
    if let Command::DemoAccounts = cli.command {
        let accounts: Vec<serde_json::Value> = demo::DEMO_ACCOUNTS
            .iter()
            .map(|account| {
                serde_json::json!({
                    "email": account.email,
                    "password": demo::DEMO_PASSWORD,
                    "nombre_completo": account.nombre,
                    "nombre_rol": account.role,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&accounts)?);
        return Ok(());
    }
    let database = Database::open(&cli)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = runtime.block_on(run(&cli, &database.url));
    drop(runtime);
    let closed = database.close();
    result.and(closed)
}

async fn run(cli: &Cli, url: &str) -> anyhow::Result<()> {
    match &cli.command {
        Command::Migrate => {
            let pool = db::connect(url, 2).await?;
            db::migrate(&pool).await?;
            println!("migrated");
        }
        Command::Serve(args) => serve(args, url).await?,
        Command::User(UserCommand::Add { email, name, role, pending }) => {
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password).context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let pool = ready_pool(url).await?;
            let id = admin::add_user(&pool, name, email, role, password, !pending).await?;
            println!("{id}");
        }
        Command::User(UserCommand::Block { email }) => {
            let pool = ready_pool(url).await?;
            admin::block_user(&pool, email).await?;
            println!("blocked {email}");
        }
        Command::Location(LocationCommand::Add { name, address, phone }) => {
            let pool = ready_pool(url).await?;
            let id = admin::add_location(&pool, name, address.as_deref(), phone.as_deref()).await?;
            println!("{id}");
        }
        Command::Location(LocationCommand::Policy { location, negative_stock }) => {
            let policy = taller_domain::stock::NegativeStockPolicy::parse(negative_stock)
                .with_context(|| format!("--negative-stock {negative_stock}: allow or reject"))?;
            let pool = ready_pool(url).await?;
            admin::set_location_policy(&pool, location, policy).await?;
            println!("negative stock at {location}: {}", policy.as_str());
        }
        Command::Assign { email, location } => {
            let pool = ready_pool(url).await?;
            admin::assign(&pool, email, location).await?;
            println!("assigned {email} to {location}");
        }
        Command::Unassign { email, location } => {
            let pool = ready_pool(url).await?;
            if admin::unassign(&pool, email, location).await? {
                println!("unassigned {email} from {location}");
            } else {
                println!("{email} was not assigned to {location}");
            }
        }
        // Answered in `main`, before a database is opened.
        Command::DemoAccounts => {}
        Command::DemoData { parts, locations } => {
            let pool = ready_pool(url).await?;
            let summary = demo::load(&pool, &demo::DemoSize { parts: *parts, locations: *locations }).await?;
            if summary.created {
                println!(
                    "Demo data loaded: {} parts, {} locations, {} inventory rows.",
                    summary.parts, summary.locations, summary.inventory_rows
                );
                println!("Accounts (password {}):", demo::DEMO_PASSWORD);
                for account in demo::DEMO_ACCOUNTS {
                    println!("  {:<28} {}", account.email, account.role);
                }
            } else {
                println!("The database already has data ({} parts); nothing loaded.", summary.parts);
            }
        }
    }
    Ok(())
}

async fn ready_pool(url: &str) -> anyhow::Result<sqlx::PgPool> {
    let pool = db::connect(url, 4).await?;
    db::migrate(&pool).await?;
    Ok(pool)
}

async fn serve(args: &ServeArgs, url: &str) -> anyhow::Result<()> {
    if args.backdate_days < 1 {
        bail!("--backdate-days must be at least 1");
    }
    // Every device holds a live channel (a socket) open: take the open-files limit up to the
    // hard limit the system allows, rather than the usual soft 1,024.
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(limit, "open files limit"),
        Err(error) => tracing::warn!(%error, "could not raise the open files limit"),
    }
    let pool = db::connect(url, args.db_connections).await?;
    if args.migrate {
        db::migrate(&pool).await?;
    }
    let config = Config {
        backdate_window: chrono::Duration::days(args.backdate_days),
        access_ttl: chrono::Duration::minutes(args.access_ttl_minutes.max(1)),
        max_page_rows: args.page_rows.max(1),
        batch_movements: args.batch_movements,
        ..Config::default()
    };
    let state = AppState::new(pool.clone(), config);
    let listener_task = tokio::spawn(events::run_listener(url.to_owned(), state.clone()));
    let app = router(state);
    let listener =
        tokio::net::TcpListener::bind(args.listen).await.with_context(|| format!("binding {}", args.listen))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, "taller-server listening");
    // A line on stdout that scripts and tests wait for.
    println!("listening on http://{address}");
    taller_server::serve(listener, app, shutdown_signal()).await?;
    listener_task.abort();
    pool.close().await;
    tracing::info!("taller-server stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
