//! Data-driven cases in the spirit of sqllogictest: each file under `tests/cases/` holds
//! queries over a small fixed extract with the expected result and the expected evidence,
//! statements that must be refused, and failing queries whose errors must not show a value
//! planted in the data (or a path).
//!
//! Blocks, separated by blank lines:
//!
//! ```text
//! query <lineage>            lineage: aggregate | row-level | unknown-lineage
//! SELECT ...
//! ----
//! a | b                      one line per row; NULL for missing
//! evidence                   optional: one line per row, measures separated by " ; ",
//! persons=3 set=1,2,5        each a list of key=value (only the keys given are checked)
//!
//! refused
//! DROP TABLE person
//!
//! error <text the message must contain>
//! SELECT CAST(note AS INT) FROM drug
//! ```
#![allow(clippy::unwrap_used)]

mod common;

use arrow::util::display::{ArrayFormatter, FormatOptions};
use common::fixture;
use std::path::{Path, PathBuf};
use workspace_runner::evidence::{Facts, PersonIndex};
use workspace_runner::{Engine, EngineError, Limits};

enum Case {
    Query { lineage: String, sql: String, rows: Vec<String>, evidence: Option<Vec<String>> },
    Refused { sql: String },
    Error { contains: String, sql: String },
}

fn parse(text: &str) -> Vec<(usize, Case)> {
    let mut cases = Vec::new();
    let mut line_no = 0;
    let mut blocks: Vec<(usize, Vec<&str>)> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut start = 1;
    for line in text.lines() {
        line_no += 1;
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push((start, std::mem::take(&mut current)));
            }
            start = line_no + 1;
        } else if !line.starts_with('#') || !current.is_empty() {
            current.push(line);
        } else {
            start = line_no + 1;
        }
    }
    if !current.is_empty() {
        blocks.push((start, current));
    }
    for (at, lines) in blocks {
        let head = lines[0];
        let rest = &lines[1..];
        let case = if let Some(lineage) = head.strip_prefix("query ") {
            let split = rest.iter().position(|l| *l == "----").unwrap_or(rest.len());
            let sql = rest[..split].join("\n");
            let after: Vec<&str> = rest.get(split + 1..).unwrap_or(&[]).to_vec();
            let ev = after.iter().position(|l| *l == "evidence");
            let rows = after[..ev.unwrap_or(after.len())].iter().map(|s| s.to_string()).collect();
            let evidence = ev.map(|i| after[i + 1..].iter().map(|s| s.to_string()).collect());
            Case::Query { lineage: lineage.trim().into(), sql, rows, evidence }
        } else if head == "refused" {
            Case::Refused { sql: rest.join("\n") }
        } else if let Some(contains) = head.strip_prefix("error") {
            Case::Error { contains: contains.trim().into(), sql: rest.join("\n") }
        } else {
            panic!("line {at}: unknown block {head:?}");
        };
        cases.push((at, case));
    }
    cases
}

fn format_rows(answer: &workspace_runner::Answer) -> Vec<String> {
    let options = FormatOptions::default().with_null("NULL");
    let mut out = Vec::new();
    for batch in &answer.batches {
        let formatters: Vec<ArrayFormatter> =
            batch.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap()).collect();
        for r in 0..batch.num_rows() {
            out.push(formatters.iter().map(|f| f.value(r).to_string()).collect::<Vec<_>>().join(" | "));
        }
    }
    out
}

fn check_facts(expected: &str, facts: &Facts, index: &PersonIndex) -> Result<(), String> {
    for pair in expected.split_whitespace() {
        let (key, want) = pair.split_once('=').ok_or_else(|| format!("bad evidence item {pair}"))?;
        let got = match key {
            "persons" => facts.persons.to_string(),
            "with_value" => facts.persons_with_value.to_string(),
            "rows" => facts.rows.to_string(),
            "values" => facts.values.to_string(),
            "missing" => facts.missing.to_string(),
            "negative" => facts.negative.to_string(),
            "unowned" => facts.unowned_rows.to_string(),
            "total" => facts.total.to_string(),
            "top1" => facts.top1().to_string(),
            "top2" => facts.top2().to_string(),
            "distinct" => facts.distinct_values.to_string(),
            "below" => facts.persons_at_or_below.map_or("none".into(), |n| n.to_string()),
            "above" => facts.persons_at_or_above.map_or("none".into(), |n| n.to_string()),
            "set" => facts
                .bitmap()
                .unwrap()
                .iter()
                .map(|i| index.pseudonym(i).unwrap().to_string())
                .collect::<Vec<_>>()
                .join(","),
            other => return Err(format!("unknown evidence key {other}")),
        };
        if got != want {
            return Err(format!("{key}: expected {want}, got {got}"));
        }
    }
    Ok(())
}

#[tokio::test]
async fn the_cases_hold() {
    let dir = std::env::temp_dir().join(format!("tre-runner-cases-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tables = fixture(&dir);
    let engine = Engine::open(&tables, &dir.join("spill"), Limits::default()).await.unwrap();
    // Read at run time: a test binary reused from another clone's build (the target folder is
    // shared) must read this clone's cases, not a folder named when it was compiled.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let folder = Path::new(&manifest).join("tests/cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut failures = Vec::new();
    let mut count = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for (at, case) in parse(&text) {
            count += 1;
            let place = format!("{name}:{at}");
            match case {
                Case::Query { lineage, sql, rows, evidence } => match engine.run(&sql).await {
                    Err(e) => failures.push(format!("{place}: {e}")),
                    Ok(answer) => {
                        if answer.lineage.name() != lineage {
                            failures.push(format!(
                                "{place}: lineage {} ({:?}), expected {lineage}",
                                answer.lineage.name(),
                                answer.lineage.reason()
                            ));
                            continue;
                        }
                        let got = format_rows(&answer);
                        if got != rows {
                            failures.push(format!("{place}: rows\n  got      {got:?}\n  expected {rows:?}"));
                            continue;
                        }
                        if let Some(evidence) = evidence {
                            if evidence.len() != answer.evidence.len() {
                                failures.push(format!(
                                    "{place}: {} evidence lines for {} rows",
                                    evidence.len(),
                                    answer.evidence.len()
                                ));
                                continue;
                            }
                            for (row, (want, got)) in evidence.iter().zip(&answer.evidence).enumerate() {
                                let wants: Vec<&str> = want.split(" ; ").collect();
                                if wants.len() != got.len() {
                                    failures.push(format!(
                                        "{place}: row {row}: {} measures, got {}",
                                        wants.len(),
                                        got.len()
                                    ));
                                    continue;
                                }
                                for (w, g) in wants.iter().zip(got) {
                                    if let Err(m) = check_facts(w, g, engine.person_index()) {
                                        failures.push(format!("{place}: row {row}: {m}"));
                                    }
                                }
                            }
                        }
                    }
                },
                Case::Refused { sql } => match engine.run(&sql).await {
                    Err(EngineError::Refused(_)) => {}
                    other => failures.push(format!("{place}: not refused: {other:?}")),
                },
                Case::Error { contains, sql } => match engine.run(&sql).await {
                    Ok(_) => failures.push(format!("{place}: succeeded, expected an error")),
                    Err(e) => {
                        let m = e.to_string();
                        if m.contains(common::PLANTED) || m.contains("7731") {
                            failures.push(format!("{place}: the error shows the planted value: {m}"));
                        }
                        if m.contains(&dir.to_string_lossy().to_string()) || m.contains(".parquet") {
                            failures.push(format!("{place}: the error shows a path: {m}"));
                        }
                        if !m.contains(&contains) {
                            failures.push(format!("{place}: error {m:?} does not contain {contains:?}"));
                        }
                    }
                },
            }
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(count > 20, "only {count} cases ran");
    assert!(failures.is_empty(), "{} of {count} cases failed:\n{}", failures.len(), failures.join("\n"));
}
