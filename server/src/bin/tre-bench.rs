//! `tre-bench`: throughput of the data path against a plain DataFusion floor, measured in one
//! run on the same machine and files, each phase in its own process so that its peak memory is
//! its own. Prints a table and the ratios; never a timed test.
//!
//!     cargo run --release -p tre-server --bin tre-bench -- data --persons 475000
//!     scripts/bench-runner.sh            (tre-bench runner: evidence overhead, DuckDB, spilling)
//!     cargo build --release -p tre-server -p workspace-runner --bins &&
//!     cargo run --release -p tre-server --bin tre-bench -- web [--requests 200]
//!                                        (the workspace page with a 1,000-row result, p50/p99,
//!                                        through the `tre` and `tre-runner` beside tre-bench:
//!                                        `cargo run` alone does not rebuild them)
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
    peak_rss_of("self")
}

/// Peak resident memory of a process (`self` or a pid), in MiB (Linux).
fn peak_rss_of(process: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{process}/status"))
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
            username: &Username::parse("bench").map_err(|e| anyhow::anyhow!(tre_server::i18n::en(&e)))?,
            display_name: &DisplayName::parse("Bench").map_err(|e| anyhow::anyhow!(tre_server::i18n::en(&e)))?,
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
                dataset: tre_server::datasets::domain::DatasetName::parse("bench")
                    .map_err(|e| anyhow::anyhow!(tre_server::i18n::en(&e)))?,
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
                dataset: tre_server::datasets::domain::DatasetName::parse("bench")
                    .map_err(|e| anyhow::anyhow!(tre_server::i18n::en(&e)))?,
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
        Some("runner") => {
            let number = |flag: &str, default: u64| -> anyhow::Result<u64> {
                match args.iter().position(|a| a == flag) {
                    Some(i) => Ok(args.get(i + 1).context("a number is missing")?.parse()?),
                    None => Ok(default),
                }
            };
            runtime.block_on(runner_bench(number("--persons", 475_000)?, number("--runs", 5)? as usize))
        }
        Some("gate") => {
            gate_bench();
            Ok(())
        }
        Some("web") => {
            let requests = match args.iter().position(|a| a == "--requests") {
                Some(i) => args.get(i + 1).context("--requests needs a number")?.parse()?,
                None => 200,
            };
            runtime.block_on(web_bench(requests))
        }
        _ => {
            eprintln!(
                "usage: tre-bench data [--persons N] | runner [--persons N] [--runs R] | gate | web [--requests N]"
            );
            std::process::exit(2);
        }
    }
}

/// The ledger check: 1,000 new cells against ledgers of 1k, 10k and 100k released cells of
/// 475,000 persons (cells of 20 to 2,000 persons; half the new cells re-runs of released
/// ones with a few persons more or less, half new groups).
fn gate_bench() {
    use rand::{Rng, SeedableRng};
    use roaring::RoaringBitmap;
    use tre_server::ledger::Ledger;
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let population = 475_000u32;
    let cell = |rng: &mut rand::rngs::StdRng| -> RoaringBitmap {
        let size = (20.0 * 100f64.powf(rng.random::<f64>())) as u32;
        (0..size).map(|_| rng.random_range(0..population)).collect()
    };
    println!("{:>9} {:>10} {:>14} {:>8}", "released", "index s", "check 1000 ms", "flagged");
    for released in [1_000usize, 10_000, 100_000] {
        let cells: Vec<(String, RoaringBitmap, Option<f64>)> =
            (0..released).map(|i| (format!("c{i}"), cell(&mut rng), None)).collect();
        let started = Instant::now();
        let mut ledger = Ledger::in_memory(10);
        let _ = ledger.record(cells.clone());
        let indexed = started.elapsed().as_secs_f64();
        let new: Vec<RoaringBitmap> = (0..1_000)
            .map(|i| {
                if i % 2 == 0 {
                    let mut c = cells[rng.random_range(0..released)].1.clone();
                    for _ in 0..rng.random_range(1..6) {
                        c.insert(rng.random_range(0..population));
                    }
                    c
                } else {
                    cell(&mut rng)
                }
            })
            .collect();
        let started = Instant::now();
        let flagged: usize = new.iter().map(|a| ledger.differences(a).len()).sum();
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        println!("{released:>9} {indexed:>10.2} {ms:>14.1} {flagged:>8}");
    }
    suppression_bench();
}

/// Secondary suppression of n x n tables of counts with row and column margins and a grand
/// total (as GROUP BY CUBE gives them): inner counts drawn from 0..40, those of 1 to 3 failing.
fn suppression_bench() {
    use policy::suppress::{Cell, suppress};
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    println!("{:>9} {:>7} {:>8} {:>10} {:>8}", "table", "cells", "primary", "secondary", "ms");
    for n in [20u32, 50, 100] {
        let values: Vec<u64> = (0..n * n).map(|_| rng.random_range(0..40)).collect();
        let mut members: Vec<Vec<u32>> = (0..n * n).map(|i| vec![i]).collect();
        members.extend((0..n).map(|r| (0..n).map(|c| r * n + c).collect()));
        members.extend((0..n).map(|c| (0..n).map(|r| r * n + c).collect()));
        members.push((0..n * n).collect());
        let cells: Vec<Cell> = members
            .into_iter()
            .map(|m| {
                let value: u64 = m.iter().map(|i| values[*i as usize]).sum();
                Cell { members: m, cost: value as f64, primary: (1..=3).contains(&value), forced: false }
            })
            .collect();
        let started = Instant::now();
        let outcome = match suppress((n * n) as usize, &cells) {
            Ok(o) => o,
            Err(e) => {
                eprintln!("suppression failed: {e}");
                return;
            }
        };
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let primary = cells.iter().filter(|c| c.primary).count();
        println!("{:>9} {:>7} {primary:>8} {:>10} {ms:>8.1}", format!("{n} x {n}"), cells.len(), outcome.secondary);
    }
}

/// The time a query takes, and its answer.
async fn timed<T>(
    run: impl std::future::Future<Output = Result<T, workspace_runner::EngineError>>,
) -> anyhow::Result<(f64, T)> {
    let started = Instant::now();
    let out = run.await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((started.elapsed().as_secs_f64(), out))
}

fn folder_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => folder_bytes(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

/// The runner's figures: what evidence costs against the same query plain, against DuckDB's
/// plain query and its hand-written evidence, and a GROUP BY spilling under a small pool.
async fn runner_bench(persons: u64, runs: usize) -> anyhow::Result<()> {
    use workspace_runner::{Engine, Limits, RunnerProcess, Table};
    let work = std::env::temp_dir().join(format!("tre-bench-runner-{}", std::process::id()));
    let data = work.join("synthetic");
    let started = Instant::now();
    tre_server::datasets::synthetic::generate(
        &tre_server::datasets::synthetic::Options { persons, seed: 1, out: data.clone() },
        |_| {},
    )?;
    println!("synthetic data for {persons} persons in {:.1} s", started.elapsed().as_secs_f64());
    let tables: Vec<Table> = ["drug_exposure", "person"]
        .iter()
        .map(|t| Table {
            name: t.to_string(),
            path: data.join(format!("{t}.parquet")),
            person_column: Some("person_id".into()),
        })
        .collect();
    let limits = Limits { max_rows: 1_000_000, time: std::time::Duration::from_secs(3600), ..Limits::default() };
    let engine = Engine::open(&tables, &work.join("spill"), limits).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let common = engine
        .run("SELECT drug_code, COUNT(*) AS n FROM drug_exposure GROUP BY drug_code ORDER BY n DESC LIMIT 2")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let codes = workspace_runner::text::rows_json(&common.batches);
    let code = |i: usize| codes.get(i).and_then(|r| r[0].as_str()).map(String::from).context("drug codes");
    let (a, b) = (code(0)?, code(1)?);
    let rows: u64 = engine
        .run("SELECT COUNT(*) AS n FROM drug_exposure")
        .await
        .ok()
        .and_then(|r| workspace_runner::text::rows_json(&r.batches).first().and_then(|r| r[0].as_u64()))
        .unwrap_or(0);
    println!("drug_exposure: {rows} rows; cohort: {a} then {b} within 90 days");
    let cells = "drug_code, date_trunc('month', drug_exposure_start_date) AS month";
    let cohort = format!(
        "SELECT p.sex, (2024 - p.year_of_birth) / 10 * 10 AS age_band, COUNT(DISTINCT a.person_id) AS persons \
         FROM drug_exposure a JOIN drug_exposure b ON a.person_id = b.person_id \
         AND b.drug_exposure_start_date > a.drug_exposure_start_date \
         AND b.drug_exposure_start_date <= a.drug_exposure_start_date + INTERVAL '90 days' \
         JOIN person p ON p.person_id = a.person_id \
         WHERE a.drug_code = '{a}' AND b.drug_code = '{b}' GROUP BY 1, 2"
    );
    let queries = [
        ("count", format!("SELECT {cells}, COUNT(*) AS n FROM drug_exposure GROUP BY 1, 2")),
        ("sum", format!("SELECT {cells}, SUM(cost) AS total FROM drug_exposure GROUP BY 1, 2")),
        ("avg", format!("SELECT {cells}, AVG(cost) AS mean FROM drug_exposure GROUP BY 1, 2")),
        ("cohort", cohort),
    ];
    let python = std::env::var("TRE_BENCH_PYTHON").unwrap_or_else(|_| "python3".into());
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let script = Path::new(&manifest).join("../scripts/bench_duckdb.py");
    let duck = Command::new(&python)
        .arg(&script)
        .arg(&data)
        .args([a.as_str(), b.as_str(), &runs.to_string()])
        .output()
        .with_context(|| format!("running {python} {}", script.display()))?;
    let duck: serde_json::Value = serde_json::from_slice(&duck.stdout)
        .with_context(|| format!("DuckDB: {}", String::from_utf8_lossy(&duck.stderr)))?;
    // DuckDB's evidence without and with each cell's person set (ours always holds it).
    println!(
        "query    cells   plain s   evid. s    duck s duck ev s    +set s |  ev/plain    paired ev/duckev   ev/+set   ev/duck"
    );
    for (name, sql) in &queries {
        // The best of `runs`, the plain query and the one with evidence taking turns, so that a
        // drift in the machine's speed during the rounds weighs on both alike. Beside the ratio
        // of the bests, the median of each round's own ratio: the bests may come from rounds
        // apart, while a round's two runs see the machine at the same speed.
        let (mut plain, mut with, mut answer, mut rounds) = (f64::INFINITY, f64::INFINITY, None, Vec::new());
        for _ in 0..runs.max(1) {
            let alone = timed(engine.run_without_evidence_for_benchmark(sql)).await?.0;
            let (took, got) = timed(engine.run(sql)).await?;
            rounds.push(took / alone);
            (plain, with, answer) = (plain.min(alone), with.min(took), Some(got));
        }
        let answer = answer.context("no run")?;
        rounds.sort_by(f64::total_cmp);
        let paired = rounds[rounds.len() / 2];
        let d_plain = duck[name]["plain"].as_f64().unwrap_or(f64::NAN);
        let d_ev = duck[name]["evidence"].as_f64().unwrap_or(f64::NAN);
        let d_set = duck[name]["evidence_set"].as_f64().unwrap_or(f64::NAN);
        println!(
            "{name:<7} {:>6} {plain:>9.3} {with:>9.3} {d_plain:>9.3} {d_ev:>9.3} {d_set:>9.3} | \
             {:>8.2}x {paired:>8.2}x {:>8.2}x {:>8.2}x {:>8.2}x",
            answer.rows(),
            with / plain,
            with / d_ev,
            with / d_set,
            with / d_plain
        );
    }
    drop(engine);

    // A GROUP BY with as many groups as rows (one per prescription, in no order the engine
    // knows), over all persons' rows, under a 256 MiB pool: it must spill to finish.
    let exe = std::env::current_exe()?.with_file_name("tre-runner");
    let small = Limits { memory_bytes: 256 << 20, time: std::time::Duration::from_secs(3600), ..Limits::default() };
    let mut runner =
        RunnerProcess::start(&exe, tables, small, &work.join("r")).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let pid = runner.pid().context("runner pid")?;
    let spill = work.join("r/spill");
    let watching = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let watcher = {
        let watching = watching.clone();
        let spill = spill.clone();
        tokio::spawn(async move {
            loop {
                watching.fetch_max(folder_bytes(&spill), std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        })
    };
    let started = Instant::now();
    let answer = runner
        .query(
            "SELECT COUNT(*) AS groups, SUM(n) AS rows FROM \
             (SELECT drug_exposure_id, COUNT(*) AS n, SUM(cost) AS c FROM drug_exposure GROUP BY drug_exposure_id) t",
        )
        .await;
    let seconds = started.elapsed().as_secs_f64();
    watcher.abort();
    let rss = peak_rss_of(&pid.to_string());
    match answer {
        Ok(a) => println!(
            "GROUP BY prescription (all rows) under a 256 MiB pool: completed in {seconds:.1} s ({}), \
             runner peak RSS {rss:.0} MiB, spill folder peak {:.0} MiB",
            workspace_runner::text::rows_json(&a.batches).first().map(|r| format!("{r:?}")).unwrap_or_default(),
            watching.load(std::sync::atomic::Ordering::SeqCst) as f64 / 1048576.0
        ),
        Err(e) => println!("GROUP BY prescription under a 256 MiB pool: FAILED after {seconds:.1} s: {e}"),
    }
    runner.stop().await;
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// The value of the first `name="csrf_token"` field of a page.
fn csrf_of(page: &str) -> anyhow::Result<String> {
    let at = page.find("name=\"csrf_token\" value=\"").context("no CSRF token on the page")?;
    let rest = &page[at + "name=\"csrf_token\" value=\"".len()..];
    Ok(rest[..rest.find('"').context("unterminated token")?].to_string())
}

/// The workspace page, end to end through the real server (`tre serve --demo` in release):
/// `requests` POSTs of a query with a 1,000-row result, aggregate (every cell judged by the
/// gate and marked) and row-level; prints p50 and p99 of the whole request, query included.
async fn web_bench(requests: usize) -> anyhow::Result<()> {
    use tokio::io::AsyncBufReadExt;
    let work = std::env::temp_dir().join(format!("tre-bench-web-{}", std::process::id()));
    let tre = std::env::current_exe()?.with_file_name("tre");
    let built = std::fs::metadata(&tre).and_then(|m| m.modified()).context("tre beside tre-bench")?;
    let age = built.elapsed().unwrap_or_default().as_secs();
    println!("server: {} (built {age} s ago; build it with the bench's sources)", tre.display());
    let mut child = tokio::process::Command::new(&tre)
        .arg("--data-dir")
        .arg(&work)
        .args(["serve", "--demo", "--demo-persons", "3000", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", tre.display()))?;
    let mut lines = tokio::io::BufReader::new(child.stdout.take().context("no stdout")?).lines();
    let (mut base, mut analyst) = (String::new(), None);
    while let Some(line) = lines.next_line().await? {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() == 4 && cols[1] == "analyst" {
            analyst = Some((cols[2].to_string(), cols[3].to_string()));
        }
        if let Some(addr) = line.strip_prefix("tre listening on ") {
            base = addr.trim().to_string();
            break;
        }
    }
    let (password, totp) = analyst.context("the demo printed no analyst")?;
    let http = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build()?;
    let signin = http.get(format!("{base}/signin")).send().await?.text().await?;
    let form = [("csrf_token", csrf_of(&signin)?), ("username", "analyst".into()), ("password", password)];
    http.post(format!("{base}/signin")).form(&form).send().await?;
    let code_page = http.get(format!("{base}/signin/code")).send().await?.text().await?;
    #[allow(clippy::disallowed_methods, reason = "an authenticator's clock, as in the tests")]
    let unix = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
    let code = tre_server::accounts::domain::TotpSecret::from_base32(&totp)
        .context("TOTP key")?
        .code_at(unix)
        .context("code")?;
    http.post(format!("{base}/signin/code"))
        .form(&[("csrf_token", csrf_of(&code_page)?), ("code", code)])
        .send()
        .await?;
    let home = http.get(format!("{base}/")).send().await?.text().await?;
    let at = home.find("/projects/").context("no project on the home page")?;
    let project: String = home[at + 10..].chars().take_while(char::is_ascii_digit).collect();
    let page_url = format!("{base}/projects/{project}/workspace");
    let workspace = http.get(&page_url).send().await?.text().await?;
    let csrf = csrf_of(&workspace)?;
    let queries = [
        (
            "aggregate",
            "SELECT measurement_date, COUNT(*) AS n FROM measurement GROUP BY measurement_date \
             ORDER BY measurement_date LIMIT 1000",
        ),
        ("row-level", "SELECT * FROM measurement LIMIT 1000"),
    ];
    println!("workspace page, {requests} requests each, one at a time, release build, 3,000 demo persons");
    for (kind, sql) in queries {
        let form = [("csrf_token", csrf.clone()), ("sql", sql.to_string())];
        let first = http.post(&page_url).form(&form).send().await?.text().await?;
        anyhow::ensure!(first.contains(&format!("<strong>{kind}</strong>")), "{kind} query did not run: {first}");
        let shown_rows = first.matches("<tr>").count().saturating_sub(1);
        anyhow::ensure!(shown_rows >= 1000, "{kind}: only {shown_rows} rows shown");
        let mut times = Vec::with_capacity(requests);
        let mut bytes = 0;
        for _ in 0..requests {
            let started = Instant::now();
            let body = http.post(&page_url).form(&form).send().await?.bytes().await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            bytes = body.len();
        }
        times.sort_by(f64::total_cmp);
        let pick = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
        println!(
            "{kind:<10} 1,000 rows: p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms  page {:>7} bytes",
            pick(0.50),
            pick(0.99),
            times[times.len() - 1],
            bytes
        );
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}
