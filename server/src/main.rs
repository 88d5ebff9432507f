//! The `tre` command: serve the portal and administer an installation.
//!
//! Standard output carries what a person needs to read (the address served, demo
//! credentials, verification results); logs go to standard error. No command prints a
//! secret except the demo credentials and a new administrator's temporary password, once.

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tre_server::accounts::domain::{DisplayName, NewPassword, PlatformRole, Username};
use tre_server::accounts::store::{Creator, NewPerson};
use tre_server::clock::{Clock, SystemClock};
use tre_server::config::{Config, Overrides};

#[derive(Parser)]
#[command(name = "tre", version, about = "Trusted research environment for real-world health data")]
struct Cli {
    /// A TOML configuration file (also TRE_CONFIG).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The data folder for the embedded database (also TRE_DATA_DIR; default ./tre-data).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the portal.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (port 0 picks a free port).
        #[arg(long, value_name = "ADDR:PORT")]
        listen: Option<String>,
        /// Seed an empty installation with demo people and a demo project, and print how to sign in.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Write synthetic OMOP-shaped health data as Parquet (one file per table).
    DemoData {
        /// Number of persons (1,000,000 gives tens of millions of rows).
        #[arg(long, default_value_t = 10_000)]
        persons: u64,
        /// Seed: the same seed and size give the same files.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output folder.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Administration from the command line.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain end to end; exit non-zero naming the first broken entry.
    Verify,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create the first administrator of an installation; prints a temporary password once.
    CreateAdministrator {
        /// Username.
        #[arg(long)]
        username: String,
        /// Name shown on pages.
        #[arg(long)]
        name: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let listen = match &cli.command {
        Command::Serve { listen, .. } => listen.clone(),
        _ => None,
    };
    let overrides = Overrides { config_file: cli.config.clone(), listen, data_dir: cli.data_dir.clone() };
    let load_config = || Config::load(&overrides, |k| std::env::var(k).ok());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command {
        Command::Serve { demo, .. } => {
            let config = load_config()?;
            let db = tre_server::open_database(&config).await?;
            if demo {
                let created = tre_server::demo::seed(&db, clock.now()).await?;
                if created.is_empty() {
                    println!("Demo data already present; sign in with the credentials printed when it was created.");
                } else {
                    println!("{}", tre_server::demo::credentials_table(&created));
                }
            }
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.listen))?;
            let addr = listener.local_addr()?;
            println!("tre listening on http://{addr}");
            tracing::info!(database = %config.database, listen = %addr, "serving");
            tre_server::serve(config, db, clock, listener).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::DemoData { persons, seed, out } => demo_data(persons, seed, out).await,
        Command::Migrate => {
            let config = load_config()?;
            let db = tre_server::open_database(&config).await?;
            println!("migrations current on {}", config.database);
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let config = load_config()?;
            let db = tre_server::db::Db::connect(&config.database).await?;
            let result = tre_server::audit::store::verify(&db).await;
            db.close().await;
            match result {
                Ok(v) => {
                    println!("audit chain intact: {} entries; head {}", v.entries, v.head);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!("audit chain BROKEN: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::Admin { command: AdminCommand::CreateAdministrator { username, name } } => {
            let config = load_config()?;
            let db = tre_server::open_database(&config).await?;
            let username = Username::parse(&username).map_err(anyhow::Error::msg)?;
            let display_name = DisplayName::parse(&name).map_err(anyhow::Error::msg)?;
            let password = NewPassword::generate();
            let id = tre_server::accounts::store::create_person(
                &db,
                clock.now(),
                Creator::Bootstrap,
                NewPerson {
                    username: &username,
                    display_name: &display_name,
                    password_hash: password.hash().map_err(anyhow::Error::msg)?,
                    roles: &[PlatformRole::Administrator],
                    totp_secret: None,
                    password_is_temporary: true,
                },
            )
            .await?;
            db.close().await;
            println!(
                "administrator {} created (person {id}); temporary password: {}",
                username.as_str(),
                password.reveal()
            );
            println!("At first sign-in they set up an authenticator and choose their own password.");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `tre demo-data`: needs no configuration or database.
async fn demo_data(persons: u64, seed: u64, out: PathBuf) -> anyhow::Result<ExitCode> {
    use tre_server::datasets::synthetic::{Options, generate};
    let bar = indicatif::ProgressBar::new(persons).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} persons  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let options = Options { persons, seed, out: out.clone() };
    let progress = bar.clone();
    let summary = tokio::task::spawn_blocking(move || generate(&options, |done| progress.set_position(done))).await??;
    bar.finish_and_clear();
    println!("wrote {} in {:.1} s:", out.display(), started.elapsed().as_secs_f64());
    for (table, rows) in summary.tables {
        println!("  {table:<22} {rows:>12} rows");
    }
    Ok(ExitCode::SUCCESS)
}
