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
        /// Seed an empty installation with demo people, a demo dataset and a demo project, and
        /// print how to sign in.
        #[arg(long)]
        demo: bool,
        /// Persons in the demo dataset.
        #[arg(long, default_value_t = 20_000, requires = "demo")]
        demo_persons: u64,
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
    /// Datasets: ingest a new version.
    Dataset {
        #[command(subcommand)]
        command: DatasetCommand,
    },
    /// Extracts: build a project's extract from its protocol.
    Extract {
        #[command(subcommand)]
        command: ExtractCommand,
    },
    /// Run one query through a sandboxed runner, exactly as a workspace does, and print the
    /// result with the evidence of every cell as one JSON object.
    Query {
        #[command(flatten)]
        query: QueryArgs,
        /// Memory pool in bytes (beyond it, operators spill to disk); at least 16 MiB.
        #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(16 << 20..))]
        memory_limit: Option<u64>,
        /// Wall-clock limit in seconds; at least 1.
        #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
        time_limit: Option<u64>,
        /// json (default) or text.
        #[arg(long, default_value = "json", value_parser = ["json", "text"])]
        format: String,
    },
    /// The output gate, on the command line.
    Gate {
        #[command(subcommand)]
        command: GateCommand,
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

/// What `tre query` and `tre gate check` run.
#[derive(clap::Args)]
struct QueryArgs {
    /// A table: NAME=PATH, where PATH is a Parquet file, a folder of them, or a CSV file with a
    /// header (repeat).
    #[arg(long = "table", value_name = "NAME=PATH", required = true)]
    tables: Vec<String>,
    /// The SQL.
    #[arg(long, conflicts_with = "sql_file", required_unless_present = "sql_file")]
    sql: Option<String>,
    /// A file holding the SQL.
    #[arg(long, value_name = "FILE")]
    sql_file: Option<PathBuf>,
    /// The column holding the person identifier, in the tables that have it.
    #[arg(long, default_value = "person_id", value_name = "COL")]
    person_id: String,
}

#[derive(Subcommand)]
enum GateCommand {
    /// Run a query through a sandboxed runner, exactly as a workspace does, and judge every
    /// cell with the disclosure rules. Prints one JSON object; exit code 0 when the output
    /// passes or needs review, 2 when it fails or is refused, 1 on an error.
    Check {
        #[command(flatten)]
        query: QueryArgs,
        /// The rules' parameters: a JSON file with any of threshold, nk_n, nk_k, p,
        /// dof_threshold, zeros_are_disclosive, check_missing_values, round_base.
        #[arg(long, value_name = "FILE")]
        params: Option<PathBuf>,
        /// A ledger of released cells (a folder): the output is checked against every cell
        /// released before (differencing).
        #[arg(long, value_name = "DIR")]
        ledger: Option<PathBuf>,
        /// Record the output in the ledger as released (only an output that passes or needs
        /// review).
        #[arg(long, requires = "ledger")]
        record: bool,
        /// Blank failing cells, and the cells of counts and sums that would give them back
        /// through the table's totals or totals released before (secondary suppression).
        #[arg(long)]
        suppress: bool,
        /// json (default) or text.
        #[arg(long, default_value = "json", value_parser = ["json", "text"])]
        format: String,
    },
}

#[derive(Subcommand)]
enum DatasetCommand {
    /// Ingest a CSV or Parquet file, or a folder of them (one per table), as a new version.
    Ingest {
        /// Dataset name (created on its first ingest).
        #[arg(long)]
        name: String,
        /// File or folder to ingest.
        #[arg(long, value_name = "PATH")]
        source: PathBuf,
        /// The column that identifies persons.
        #[arg(long, value_name = "COLUMN")]
        person_column: String,
        /// Description of the dataset (for a new dataset).
        #[arg(long, default_value = "")]
        description: String,
        /// The custodian on whose behalf the ingest runs (recorded in the audit log).
        #[arg(long, value_name = "USERNAME")]
        custodian: String,
    },
}

#[derive(Subcommand)]
enum ExtractCommand {
    /// Build (or with --preview, show what would be kept) an approved project's extract.
    Build {
        /// The project's id.
        #[arg(long)]
        project: i64,
        /// The protocol, as JSON (dataset, version, tables with columns and filters, cohort,
        /// date_shift_days, birth_year_bands).
        #[arg(long, value_name = "FILE")]
        protocol: PathBuf,
        /// The custodian on whose behalf the build runs (recorded in the audit log).
        #[arg(long, value_name = "USERNAME")]
        custodian: String,
        /// Show the difference from the dataset (columns, rows, persons kept) without building.
        #[arg(long)]
        preview: bool,
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

/// `tre query`: prints one JSON object (or a text table); exit code 0 when the query ran, 2
/// when it was refused, 1 otherwise.
async fn query(
    args: QueryArgs,
    memory_limit: Option<u64>,
    time_limit: Option<u64>,
    format: &str,
) -> anyhow::Result<ExitCode> {
    use tre_server::runner;
    let mut limits = workspace_runner::Limits::default();
    if let Some(m) = memory_limit {
        limits.memory_bytes = usize::try_from(m).context("--memory-limit is larger than this machine can address")?;
    }
    if let Some(t) = time_limit {
        limits.time = std::time::Duration::from_secs(t);
    }
    let work = WorkDir::new();
    let (_, result) = run_once(args, limits, &work).await?;
    let code = match &result {
        Ok(_) => ExitCode::SUCCESS,
        Err(workspace_runner::EngineError::Refused(_)) => ExitCode::from(2),
        Err(_) => ExitCode::FAILURE,
    };
    emit(&match (&result, format) {
        (Ok(answer), "text") => runner::answer_text(answer),
        (Err(e), "text") => format!("{}: {e}\n", e.status()),
        (Ok(answer), _) => format!("{}\n", runner::answer_json(answer)),
        (Err(e), _) => format!("{}\n", runner::error_json(e)),
    })?;
    Ok(code)
}

/// A query that ran (or not) over its tables.
type Ran = (Vec<workspace_runner::Table>, Result<workspace_runner::Answer, workspace_runner::EngineError>);

/// A temporary folder of one command, removed when the command is done with it.
struct WorkDir(PathBuf);

impl WorkDir {
    fn new() -> WorkDir {
        WorkDir(std::env::temp_dir().join(format!("tre-query-{}", std::process::id())))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a query's arguments once through a fresh runner, working in `work` (the outer error:
/// arguments that cannot be read; the inner: the query's own outcome).
async fn run_once(args: QueryArgs, limits: workspace_runner::Limits, work: &WorkDir) -> anyhow::Result<Ran> {
    use tre_server::runner;
    let sql = match (args.sql, args.sql_file) {
        (Some(s), _) => s,
        (None, Some(f)) => std::fs::read_to_string(&f).with_context(|| format!("cannot read {}", f.display()))?,
        (None, None) => anyhow::bail!("give --sql or --sql-file"),
    };
    let mut named: Vec<(String, PathBuf)> = Vec::new();
    for t in &args.tables {
        let (name, path) = t.split_once('=').with_context(|| format!("--table {t}: write NAME=PATH"))?;
        let name = name.trim().to_string();
        if named.iter().any(|(n, _)| *n == name) {
            anyhow::bail!("--table {name} is given twice; give each table one name");
        }
        named.push((name, PathBuf::from(path.trim())));
    }
    Ok(match runner::describe_tables(&named, &args.person_id, &work.0.join("tables")).await {
        Ok(described) => {
            if described.iter().all(|t| t.person_column.is_none()) {
                eprintln!(
                    "tre: no table has a column {}: no row has a person, so aggregates are of unknown lineage \
                     (name the person column with --person-id)",
                    args.person_id
                );
            }
            (described.clone(), runner::query_once(described, limits, &sql, &work.0.join("runner")).await)
        }
        Err(e) => (vec![], Err(e)),
    })
}

/// `tre gate check`.
async fn gate_check(
    args: QueryArgs,
    params: Option<PathBuf>,
    ledger: Option<PathBuf>,
    record: bool,
    suppress: bool,
    format: &str,
) -> anyhow::Result<ExitCode> {
    use tre_server::gate;
    let params = match params {
        Some(f) => {
            let text = std::fs::read_to_string(&f).with_context(|| format!("cannot read {}", f.display()))?;
            gate::read_params(&text).map_err(|e| anyhow::anyhow!("{}: {e}", f.display()))?
        }
        None => policy::sdc::Params::default(),
    };
    let mut ledger = match &ledger {
        Some(dir) => Some(tre_server::ledger::Ledger::open(dir, params.threshold).map_err(|e| anyhow::anyhow!(e))?),
        None => None,
    };
    let work = WorkDir::new();
    let (tables, result) = run_once(args, workspace_runner::Limits::default(), &work).await?;
    let rounding = if params.round_base > 0 { gate::Rounding::Base(params.round_base) } else { gate::Rounding::None };
    let mitigation = gate::Mitigation { suppress, rounding };
    let mut judgement = result.as_ref().map(|answer| gate::judge(answer, &params));
    if let (Ok(answer), Ok(j), Some(ledger)) = (&result, &judgement, ledger.as_mut())
        && j.status != policy::sdc::Status::Refused
    {
        let index = tre_server::runner::person_index(&tables).await?;
        let (checked, sets) = gate::difference(j.clone(), answer, &index, ledger)
            .map_err(|e| anyhow::anyhow!("the ledger check failed: {e}"))?;
        let checked = gate::mitigate(checked, mitigation, Some((ledger, &sets))).map_err(|e| anyhow::anyhow!(e))?;
        if record && checked.status.may_be_released() {
            let release = ledger.record(gate::released_cells(&checked, &sets)).map_err(|e| anyhow::anyhow!(e))?;
            eprintln!("recorded as release {release}");
        }
        judgement = Ok(checked);
    } else if let Ok(j) = &judgement
        && j.status != policy::sdc::Status::Refused
    {
        judgement = Ok(gate::mitigate(j.clone(), mitigation, None).map_err(|e| anyhow::anyhow!(e))?);
    }
    if record && !judgement.as_ref().is_ok_and(|j| j.status.may_be_released()) {
        let what = judgement.as_ref().map(|j| j.status.name()).unwrap_or("not run");
        eprintln!("error: the output is {what}: it was not recorded as released");
    }
    let code = match &judgement {
        Ok(j) if j.status.may_be_released() => ExitCode::SUCCESS,
        Ok(_) | Err(workspace_runner::EngineError::Refused(_)) => ExitCode::from(2),
        Err(_) => ExitCode::FAILURE,
    };
    emit(&match (&judgement, format) {
        (Ok(j), "text") => gate::judgement_text(j),
        (Err(e), "text") => format!("{}: {e}\n", e.status()),
        (Ok(j), _) => format!("{}\n", gate::judgement_json(j)),
        (Err(e), _) => format!("{}\n", gate::error_json(e)),
    })?;
    Ok(code)
}

/// Writes a command's result to standard output. A reader that has gone before the end
/// (`tre query ... | head`) ends the output quietly, as other command-line tools do: `print!`
/// panicked there, with a backtrace, over a result that had been computed.
fn emit(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        written => written,
    }
}

/// A line to standard output through [`emit`], as `println!` writes it: every command's
/// output, so that none of them panics on a reader that has gone.
macro_rules! say {
    ($($arg:tt)*) => {
        emit(&format!("{}\n", format_args!($($arg)*)))
    };
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
    let clock: Arc<dyn Clock> = match std::env::var_os("TRE_TEST_CLOCK_FILE") {
        Some(path) => Arc::new(tre_server::clock::FileShiftedClock::new(path)),
        None => Arc::new(SystemClock),
    };
    if let Some(how) = clock.shifted() {
        tracing::warn!(clock = %how, "the clock is not the system's");
    }
    match cli.command {
        Command::Serve { demo, demo_persons, .. } => {
            let config = load_config()?;
            let db = tre_server::open_database(&config).await?;
            let objects = tre_server::open_objects(&config).await?;
            let master = tre_server::keys::MasterKey::load(&config.master_key)?;
            if demo {
                let created =
                    tre_server::demo::seed(&db, &objects, &master, &config.data_dir, demo_persons, clock.now()).await?;
                if created.is_empty() {
                    say!("Demo data already present; sign in with the credentials printed when it was created.")?;
                } else {
                    say!("{}", tre_server::demo::credentials_table(&created))?;
                }
            }
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("cannot listen on {}", config.listen))?;
            let addr = listener.local_addr()?;
            say!("tre listening on http://{addr}")?;
            tracing::info!(database = %config.database, objects = %config.objects.describe(), listen = %addr, "serving");
            tre_server::serve(config, db, objects, master, clock, listener).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::DemoData { persons, seed, out } => demo_data(persons, seed, out).await,
        Command::Query { query: args, memory_limit, time_limit, format } => {
            query(args, memory_limit, time_limit, &format).await
        }
        Command::Gate { command: GateCommand::Check { query: args, params, ledger, record, suppress, format } } => {
            gate_check(args, params, ledger, record, suppress, &format).await
        }
        Command::Migrate => {
            let config = load_config()?;
            let db = tre_server::open_database(&config).await?;
            say!("migrations current on {}", config.database)?;
            db.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Dataset {
            command: DatasetCommand::Ingest { name, source, person_column, description, custodian },
        } => {
            let config = load_config()?;
            let db = tre_server::open_database(&config).await?;
            let objects = tre_server::objects::Objects::open(&config.objects)?;
            let access = command_line_custodian(&db, clock.as_ref(), &custodian).await?;
            let request = tre_server::datasets::ingest::Request {
                dataset: tre_server::datasets::domain::DatasetName::parse(&name)
                    .map_err(|e| anyhow::anyhow!(tre_server::i18n::en(&e)))?,
                description,
                person_column,
                source,
            };
            let bar = indicatif::ProgressBar::new_spinner().with_style(
                indicatif::ProgressStyle::with_template("{spinner} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            let started = std::time::Instant::now();
            let result = tre_server::datasets::ingest::ingest(
                &db,
                &objects,
                clock.now(),
                tre_server::datasets::store::Committer::Custodian(&access),
                &request,
                |table, rows| bar.set_message(format!("{table}: {rows} rows")),
            )
            .await;
            bar.finish_and_clear();
            db.close().await;
            let (version, tables) = result?;
            let seconds = started.elapsed().as_secs_f64();
            say!("dataset {} version {version} committed in {seconds:.1} s:", request.dataset.as_str())?;
            for t in tables {
                let persons = t.persons.map(|p| format!("{p} persons")).unwrap_or_else(|| "no person column".into());
                say!("  {:<22} {:>12} rows  {persons}  sha256 {}", t.table.as_str(), t.rows, t.sha256)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Extract { command: ExtractCommand::Build { project, protocol, custodian, preview } } => {
            let config = load_config()?;
            let db = tre_server::open_database(&config).await?;
            let objects = tre_server::open_objects(&config).await?;
            let master = tre_server::keys::MasterKey::load(&config.master_key)?;
            let text = std::fs::read_to_string(&protocol)
                .with_context(|| format!("cannot read the protocol {}", protocol.display()))?;
            let protocol: tre_server::extracts::domain::Protocol = serde_json::from_str(&text)
                .with_context(|| format!("the protocol {} is not valid", protocol.display()))?;
            let access = command_line_custodian(&db, clock.as_ref(), &custodian).await?;
            if preview {
                let tables =
                    tre_server::extracts::store::preview_build(&db, &objects, &master, clock.now(), project, &protocol)
                        .await;
                db.close().await;
                for t in tables? {
                    let persons = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_else(|| "-".into());
                    say!(
                        "{}: rows {} of {}, persons {} of {}; keeps {}; drops {}",
                        t.name,
                        t.rows_after,
                        t.rows_before,
                        persons(t.persons_after),
                        persons(t.persons_before),
                        t.kept.join(", "),
                        if t.dropped.is_empty() { "nothing".to_string() } else { t.dropped.join(", ") }
                    )?;
                }
                return Ok(ExitCode::SUCCESS);
            }
            let started = std::time::Instant::now();
            let result = tre_server::extracts::store::build(
                &db,
                &objects,
                &master,
                clock.now(),
                tre_server::datasets::store::Committer::Custodian(&access),
                project,
                &protocol,
            )
            .await;
            db.close().await;
            let (version, tables) = result?;
            say!("project {project} extract {version} built in {:.1} s:", started.elapsed().as_secs_f64())?;
            for t in tables {
                let persons = t.persons.map(|p| format!("{p} persons")).unwrap_or_else(|| "no persons".into());
                say!("  {:<22} {:>12} rows  {persons}  sha256 {}", t.name, t.rows, t.sha256)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let config = load_config()?;
            let db = tre_server::db::Db::connect(&config.database).await?;
            let result = tre_server::audit::store::verify(&db).await;
            db.close().await;
            match result {
                Ok(v) => {
                    say!("audit chain intact: {} entries; head {}", v.entries, v.head)?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    say!("audit chain BROKEN: {e}")?;
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::Admin { command: AdminCommand::CreateAdministrator { username, name } } => {
            let config = load_config()?;
            let db = tre_server::open_database(&config).await?;
            let username = Username::parse(&username).map_err(|e| anyhow::anyhow!(tre_server::i18n::en(&e)))?;
            let display_name = DisplayName::parse(&name).map_err(|e| anyhow::anyhow!(tre_server::i18n::en(&e)))?;
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
            say!(
                "administrator {} created (person {id}); temporary password: {}",
                username.as_str(),
                password.reveal()
            )?;
            say!("At first sign-in they set up an authenticator and choose their own password.")?;
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
    say!("wrote {} in {:.1} s:", out.display(), started.elapsed().as_secs_f64())?;
    for (table, rows) in summary.tables {
        say!("  {table:<22} {rows:>12} rows")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The custodian named on the command line, authorised (and audited) to manage datasets.
async fn command_line_custodian(
    db: &tre_server::db::Db,
    clock: &dyn Clock,
    custodian: &str,
) -> anyhow::Result<tre_server::access::PlatformAccess> {
    let username = Username::parse(custodian).map_err(|e| anyhow::anyhow!(tre_server::i18n::en(&e)))?;
    Ok(tre_server::access::store::authorise_command_line_operator(
        db,
        clock,
        &policy::AccessPolicy,
        &username,
        tre_server::access::PlatformAction::ManageDatasets,
    )
    .await?)
}
