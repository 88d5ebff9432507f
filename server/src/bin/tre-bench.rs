//! `tre-bench`: throughput of the data path against a plain DataFusion floor, measured in one
//! run on the same machine and files, each phase in its own process so that its peak memory is
//! its own. Prints a table and the ratios; never a timed test.
//!
//!     cargo run --release -p tre-server --bin tre-bench -- data --persons 475000
//!
//! At about 475,000 persons the synthetic `drug_exposure` table has 10 million rows.

use anyhow::Context;
use datafusion::prelude::{ParquetReadOptions, SessionContext, col};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use tre_server::datasets::ingest;
use tre_server::datasets::store::Committer;
use tre_server::objects::{Objects, ObjectsConfig};

/// The columns an extract keeps besides the person (the floor writes the same).
const EXTRACT_COLUMNS: [&str; 5] = ["drug_exposure_start_date", "drug_code", "days_supply", "quantity", "cost"];

/// Peak resident memory of this process so far, in MiB (Linux).
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.to_string()))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn report(rows: u64, started: Instant) {
    println!("RESULT {} {:.3} {:.1}", rows, started.elapsed().as_secs_f64(), peak_rss_mib());
}

/// A fresh SQLite database and local store under `work`, with a custodian.
async fn installation(work: &Path) -> anyhow::Result<(tre_server::db::Db, Objects, i64)> {
    use tre_server::accounts::domain::{DisplayName, PlatformRole, Username};
    use tre_server::accounts::store::{Creator, NewPerson, create_person};
    let db = tre_server::db::Db::connect(&tre_server::config::DatabaseUrl::sqlite_in(work)).await?;
    db.migrate().await?;
    let objects = Objects::open(&ObjectsConfig::Local { root: work.join("objects") })?;
    #[allow(clippy::disallowed_methods, reason = "a benchmark reads the real time")]
    let now = time::OffsetDateTime::now_utc();
    let custodian = create_person(
        &db,
        now,
        Creator::Bootstrap,
        NewPerson {
            username: &Username::parse("bench").map_err(anyhow::Error::msg)?,
            display_name: &DisplayName::parse("Bench").map_err(anyhow::Error::msg)?,
            password_hash: "x".into(),
            roles: &[PlatformRole::Custodian],
            totp_secret: None,
            password_is_temporary: false,
        },
    )
    .await?;
    Ok((db, objects, custodian))
}

#[allow(clippy::disallowed_methods, reason = "a benchmark reads the real time")]
fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

async fn phase(name: &str, source: &Path, work: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(work)?;
    let table = source.join("drug_exposure.parquet");
    match name {
        // The floor of an ingest: DataFusion reads the file and writes it as Parquet.
        "floor-ingest" => {
            let started = Instant::now();
            let ctx = SessionContext::new_with_config(tre_server::datasets::engine_config());
            let df = ctx.read_parquet(table.to_string_lossy().as_ref(), ParquetReadOptions::default()).await?;
            let rows = df.clone().count().await? as u64;
            let started_write = Instant::now();
            df.write_parquet(work.join("out.parquet").to_string_lossy().as_ref(), Default::default(), None).await?;
            let _ = started_write;
            report(rows, started);
        }
        "ingest" => {
            let (db, objects, custodian) = installation(work).await?;
            let only = work.join("source");
            std::fs::create_dir_all(&only)?;
            std::fs::hard_link(&table, only.join("drug_exposure.parquet"))
                .or_else(|_| std::fs::copy(&table, only.join("drug_exposure.parquet")).map(|_| ()))?;
            let started = Instant::now();
            let request = ingest::Request {
                dataset: tre_server::datasets::domain::DatasetName::parse("bench").map_err(anyhow::Error::msg)?,
                description: String::new(),
                person_column: "person_id".into(),
                source: only,
            };
            let (_, tables) =
                ingest::ingest(&db, &objects, now(), Committer::Seed { custodian }, &request, |_, _| {}).await?;
            report(tables[0].rows, started);
        }
        // The floor of an extract build: read the same columns, sort by person, write.
        "floor-extract" => {
            let started = Instant::now();
            let ctx = SessionContext::new_with_config(tre_server::datasets::engine_config());
            let df = ctx
                .read_parquet(table.to_string_lossy().as_ref(), ParquetReadOptions::default())
                .await?
                .select_columns(&["person_id"].into_iter().chain(EXTRACT_COLUMNS).collect::<Vec<_>>())?
                .sort(vec![col("person_id").sort(true, false)])?;
            df.write_parquet(work.join("out.parquet").to_string_lossy().as_ref(), Default::default(), None).await?;
            let rows = ctx
                .read_parquet(work.join("out.parquet").to_string_lossy().as_ref(), ParquetReadOptions::default())
                .await?
                .count()
                .await? as u64;
            report(rows, started);
        }
        "extract" => {
            let (db, objects, custodian) = installation(work).await?;
            let only = work.join("source");
            std::fs::create_dir_all(&only)?;
            std::fs::copy(&table, only.join("drug_exposure.parquet"))?;
            let request = ingest::Request {
                dataset: tre_server::datasets::domain::DatasetName::parse("bench").map_err(anyhow::Error::msg)?,
                description: String::new(),
                person_column: "person_id".into(),
                source: only,
            };
            ingest::ingest(&db, &objects, now(), Committer::Seed { custodian }, &request, |_, _| {}).await?;
            let master =
                tre_server::keys::MasterKey::load(&tre_server::keys::MasterKeySource::File(work.join("master.key")))?;
            let today = now().date();
            let project = tre_server::projects::store::create_demo_project(
                &db,
                &master,
                now(),
                "bench",
                today - time::Duration::days(1),
                today + time::Duration::days(30),
                (custodian, tre_server::projects::domain::ProjectRole::Analyst),
            )
            .await?;
            let protocol = tre_server::extracts::domain::Protocol {
                dataset: "bench".into(),
                version: 1,
                tables: vec![tre_server::extracts::domain::TableSelection {
                    table: "drug_exposure".into(),
                    columns: EXTRACT_COLUMNS.map(String::from).to_vec(),
                    filter: None,
                }],
                cohort: None,
                date_shift_days: 30,
                birth_year_bands: false,
                rare_categories: vec![],
            };
            let started = Instant::now();
            let (_, tables) = tre_server::extracts::store::build(
                &db,
                &objects,
                &master,
                now(),
                Committer::Seed { custodian },
                project,
                &protocol,
            )
            .await?;
            report(tables[0].rows, started);
        }
        other => anyhow::bail!("unknown phase {other}"),
    }
    Ok(())
}

fn run_phase(name: &str, source: &Path, work: &Path) -> anyhow::Result<(u64, f64, f64)> {
    let out = Command::new(std::env::current_exe()?)
        .args(["phase", name])
        .arg(source)
        .arg(work.join(name))
        .output()
        .with_context(|| format!("running phase {name}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .with_context(|| format!("phase {name} failed: {}", String::from_utf8_lossy(&out.stderr)))?;
    let parts: Vec<&str> = line.split_whitespace().collect();
    Ok((parts[0].parse()?, parts[1].parse()?, parts[2].parse()?))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    match args.get(1).map(String::as_str) {
        Some("phase") => {
            let (name, source, work) = (&args[2], PathBuf::from(&args[3]), PathBuf::from(&args[4]));
            runtime.block_on(phase(name, &source, &work))
        }
        Some("data") => {
            let persons: u64 = match args.iter().position(|a| a == "--persons") {
                Some(i) => args.get(i + 1).context("--persons needs a number")?.parse()?,
                None => 475_000,
            };
            let work = std::env::temp_dir().join(format!("tre-bench-{}", std::process::id()));
            let source = work.join("synthetic");
            let started = Instant::now();
            tre_server::datasets::synthetic::generate(
                &tre_server::datasets::synthetic::Options { persons, seed: 1, out: source.clone() },
                |_| {},
            )?;
            println!("synthetic data for {persons} persons in {:.1} s", started.elapsed().as_secs_f64());
            let mut results = Vec::new();
            for name in ["floor-ingest", "ingest", "floor-extract", "extract"] {
                let (rows, seconds, rss) = run_phase(name, &source, &work)?;
                println!(
                    "{name:<14} {rows:>11} rows {seconds:>8.2} s {:>12.0} rows/s  peak RSS {rss:>7.0} MiB",
                    rows as f64 / seconds
                );
                results.push(seconds);
            }
            println!("ingest / floor (read + write):         {:.2}x", results[1] / results[0]);
            println!("extract / floor (read + sort + write): {:.2}x", results[3] / results[2]);
            let _ = std::fs::remove_dir_all(&work);
            Ok(())
        }
        _ => {
            eprintln!("usage: tre-bench data [--persons N]");
            std::process::exit(2);
        }
    }
}
