//! Reaching workspace runners from the server: where the `tre-runner` binary is, and
//! `tre query`, which runs one query through a sandboxed runner process exactly as a
//! workspace does, with the same default limits.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use workspace_runner::{Answer, EngineError, Limits, RunnerProcess, Table};

/// An engine error in the reader's words. The engine's own detail (a parser's or planner's
/// text, which names the SQL's tables and columns but never a value or a path) stays as the
/// engine wrote it; the English reads exactly as the runner's own message.
pub fn says(e: &EngineError) -> crate::i18n::Says {
    match e {
        EngineError::Refused(d) => crate::says!("engine-refused", detail = d),
        EngineError::Syntax(d) => crate::says!("engine-syntax", detail = d),
        EngineError::Planning(d) => crate::says!("engine-planning", detail = d),
        EngineError::Failed(d) => crate::says!("engine-failed", detail = d),
        EngineError::TimedOut(s) => crate::says!("engine-timed-out", seconds = s),
        EngineError::Busy(d) => crate::says!("engine-busy", detail = d),
        EngineError::Setup(d) => crate::says!("engine-setup", detail = d),
        EngineError::Stopped(d) => crate::says!("engine-stopped", detail = d),
        EngineError::Unavailable => crate::says!("engine-unavailable"),
    }
}

/// Why a result is row-level or of unknown lineage, in the reader's words.
pub fn lineage_says(r: &workspace_runner::evidence::Reason) -> crate::i18n::Says {
    crate::says!("lineage-reason", why = r.why, detail = r.detail)
}

/// The `tre-runner` binary: `TRE_RUNNER` if set, else beside the running `tre`.
pub fn runner_exe() -> Result<PathBuf, EngineError> {
    if let Ok(path) = std::env::var("TRE_RUNNER") {
        return Ok(PathBuf::from(path));
    }
    let here = std::env::current_exe().map_err(|_| EngineError::Setup("the tre binary cannot be located".into()))?;
    let exe = here.with_file_name("tre-runner");
    if exe.exists() {
        Ok(exe)
    } else {
        Err(EngineError::Setup(format!(
            "tre-runner is not beside tre ({}); build it with `cargo build -p workspace-runner` or set TRE_RUNNER",
            exe.display()
        )))
    }
}

/// Which of `tables` (name, path) hold `person_column`, from their schemas. A CSV file (with
/// a header) is first written as Parquet under `work`, sorted by the person column when it has
/// one, since the runner reads Parquet only.
pub async fn describe_tables(
    tables: &[(String, PathBuf)],
    person_column: &str,
    work: &Path,
) -> Result<Vec<Table>, EngineError> {
    use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionContext, col};
    let ctx = SessionContext::new();
    let mut out = Vec::new();
    for (name, path) in tables {
        let text = path.to_string_lossy();
        let is_csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        let unreadable = |kind: &str| {
            EngineError::Setup(format!("table {name}: {} is not a readable {kind} file or folder", path.display()))
        };
        let (frame, kind) = if is_csv {
            let options =
                CsvReadOptions::new().has_header(true).schema_infer_max_records(10_000).file_extension(".csv");
            (ctx.read_csv(text.as_ref(), options).await, "CSV")
        } else {
            (ctx.read_parquet(text.as_ref(), ParquetReadOptions::default()).await, "Parquet")
        };
        let frame = frame.map_err(|_| unreadable(kind))?;
        let has_person = frame.schema().fields().iter().any(|f| f.name() == person_column);
        let path = if is_csv {
            let sorted = if has_person {
                frame.sort(vec![col(format!("\"{person_column}\"")).sort(true, true)]).map_err(|_| unreadable(kind))?
            } else {
                frame
            };
            std::fs::create_dir_all(work)
                .map_err(|e| EngineError::Setup(format!("a work folder cannot be made ({})", e.kind())))?;
            let parquet = work.join(format!("table-{}.parquet", out.len()));
            let target = parquet.to_string_lossy().into_owned();
            sorted
                .write_parquet(
                    &target,
                    datafusion::dataframe::DataFrameWriteOptions::new().with_single_file_output(true),
                    None,
                )
                .await
                .map_err(|_| unreadable(kind))?;
            parquet
        } else {
            path.clone()
        };
        out.push(Table { name: name.clone(), path, person_column: has_person.then(|| person_column.to_string()) });
    }
    Ok(out)
}

/// The JSON `tre query` prints for an answer.
pub fn answer_json(answer: &Answer) -> Value {
    let columns: Vec<Value> =
        answer.schema.fields().iter().map(|f| json!({"name": f.name(), "type": f.data_type().to_string()})).collect();
    let measures: Vec<Value> = answer
        .measures
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let shown: Vec<&str> = answer
                .depends
                .iter()
                .enumerate()
                .filter(|(_, d)| d.contains(&i))
                .map(|(c, _)| answer.schema.field(c).name().as_str())
                .collect();
            json!({"functions": m.functions, "distinct": m.distinct, "columns": shown})
        })
        .collect();
    let mut out = json!({
        "status": "ok",
        "lineage": answer.lineage.name(),
        "columns": columns,
        "rows": workspace_runner::text::rows_json(&answer.batches),
        "truncated": answer.truncated,
    });
    if let Some(reason) = answer.lineage.reason() {
        out["reason"] = json!(crate::i18n::en(&lineage_says(reason)));
    }
    if matches!(answer.lineage, workspace_runner::evidence::Lineage::Aggregate) {
        out["measures"] = json!(measures);
        out["evidence"] = json!(answer.evidence);
    }
    out
}

/// The JSON `tre query` prints for a query that did not run.
pub fn error_json(e: &EngineError) -> Value {
    json!({"status": e.status(), "message": e.to_string()})
}

/// The text `tre query --format text` prints for an answer.
pub fn answer_text(answer: &Answer) -> String {
    let names: Vec<String> = answer.schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut out = workspace_runner::text::table(&names, &answer.batches);
    if answer.truncated {
        out.push_str("(more rows were left out)\n");
    }
    out.push_str(&format!("lineage: {}", answer.lineage.name()));
    if let Some(reason) = answer.lineage.reason() {
        out.push_str(&format!(" ({})", crate::i18n::en(&lineage_says(reason))));
    }
    out.push('\n');
    for (row, cells) in answer.evidence.iter().enumerate() {
        let persons: Vec<String> =
            cells.iter().map(|f| format!("{} persons, top two {} and {}", f.persons, f.top1(), f.top2())).collect();
        if !persons.is_empty() {
            out.push_str(&format!("row {}: {}\n", row + 1, persons.join("; ")));
        }
    }
    out
}

/// The person index of `tables` (as the runner builds it over the same files), to read
/// answers' person sets back as pseudonyms.
pub async fn person_index(tables: &[Table]) -> Result<workspace_runner::evidence::PersonIndex, EngineError> {
    let ctx = datafusion::prelude::SessionContext::new();
    let mut persons = Vec::new();
    for t in tables {
        if let Some(p) = &t.person_column {
            let path = t.path.to_string_lossy();
            ctx.register_parquet(t.name.as_str(), path.as_ref(), datafusion::prelude::ParquetReadOptions::default())
                .await
                .map_err(|_| EngineError::Setup(format!("table {} cannot be read", t.name)))?;
            persons.push((t.name.clone(), p.clone()));
        }
    }
    persons.sort();
    workspace_runner::evidence::PersonIndex::build(&ctx, &persons)
        .await
        .map_err(|_| EngineError::Setup("the persons of the tables cannot be read".into()))
}

/// Runs one query through a fresh runner process over `tables`, then stops it.
pub async fn query_once(tables: Vec<Table>, limits: Limits, sql: &str, work: &Path) -> Result<Answer, EngineError> {
    let exe = runner_exe()?;
    let mut runner = RunnerProcess::start(&exe, tables, limits, work).await?;
    let answer = runner.query(sql).await;
    runner.stop().await;
    answer
}
