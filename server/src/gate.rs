//! The output gate's judgement of one answer: every cell of every aggregate column, judged by
//! the disclosure rules of `policy::sdc` on the evidence the runner computed (law 1).
//!
//! Used by `tre gate check` now and by the release workflow. Differencing against the ledger
//! of released cells is [`difference`]; counts are rounded to `round_base` when it is set
//! (each cell on its own: totals are not yet re-summed from rounded parts). Still to come
//! (issue 6): suppression.

use crate::ledger::Ledger;
use policy::sdc::{self, Evidence, Finding, Params, Rule, Severity, Statistic, Status};
use roaring::RoaringBitmap;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use workspace_runner::evidence::{Aggregated, Facts, Lineage, Measure, PersonIndex};
use workspace_runner::{Answer, EngineError};

/// The gate's view of a cell's facts.
pub fn evidence_of(f: &Facts) -> Evidence {
    Evidence {
        persons: f.persons,
        persons_with_value: f.persons_with_value,
        missing: f.missing,
        negative: f.negative,
        total_abs: f.total_abs,
        top: f.top.clone(),
        distinct_values: f.distinct_values,
        persons_at_or_below: None,
        persons_at_or_above: None,
    }
}

/// One judged cell.
#[derive(Debug, Clone)]
pub struct Cell {
    /// The grouping columns and their values as text (None where a total stands).
    pub group: Vec<(String, Option<String>)>,
    /// The output column.
    pub column: String,
    /// The statistic's name.
    pub statistic: &'static str,
    /// The published value (rounded, for counts, when the parameters ask for it).
    pub value: Value,
    /// The value before rounding, when it was rounded.
    pub unrounded: Option<Value>,
    /// Persons behind the cell.
    pub persons: u64,
    /// The rules' findings.
    pub findings: Vec<Finding>,
    /// Where its person set is: the answer's row and measure.
    source: Option<(usize, usize)>,
}

/// The judgement of a whole output.
#[derive(Debug, Clone)]
pub struct Judgement {
    /// pass, review, fail or refused.
    pub status: Status,
    /// Why, in words, for the table as a whole.
    pub reasons: Vec<String>,
    /// Every value cell.
    pub cells: Vec<Cell>,
}

fn refused(reason: String) -> Judgement {
    Judgement { status: Status::Refused, reasons: vec![reason], cells: vec![] }
}

/// The statistic of one of the query's aggregates, or why it has none.
fn statistic_of(a: &Aggregated, measures: &[Measure]) -> Result<Statistic, String> {
    let of_person = measures.get(a.measure).is_some_and(|m| m.of_person);
    Statistic::of_function(&a.function, a.distinct, of_person)
        .ok_or_else(|| format!("{} has no disclosure rules; it cannot be released", a.function))
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Judges every cell of `answer` under `params`.
pub fn judge(answer: &Answer, params: &Params) -> Judgement {
    match &answer.lineage {
        Lineage::Aggregate => {}
        Lineage::RowLevel(reason) => return refused(format!("row-level: {reason}")),
        Lineage::Unknown(reason) => return refused(format!("unknown-lineage: {reason}")),
    }
    if answer.truncated {
        return refused("the result has more rows than a workspace shows; narrow the query".into());
    }
    let statistics: Vec<Result<Statistic, String>> =
        answer.aggregates.iter().map(|a| statistic_of(a, &answer.measures)).collect();
    if let Some(Err(reason)) = statistics.iter().find(|s| s.is_err()) {
        return refused(format!("unknown-lineage: {reason}"));
    }
    let names: Vec<String> = answer.schema.fields().iter().map(|f| f.name().clone()).collect();
    if answer.uses.len() != names.len() {
        return refused("unknown-lineage: the result does not say which aggregates its columns come from".into());
    }
    let groups: Vec<usize> = (0..names.len()).filter(|c| answer.uses[*c].is_empty()).collect();
    let rows = workspace_runner::text::rows_json(&answer.batches);
    let mut cells = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let group: Vec<(String, Option<String>)> =
            groups.iter().map(|c| (names[*c].clone(), text_of(&row[*c]))).collect();
        for (c, uses) in answer.uses.iter().enumerate() {
            if uses.is_empty() {
                continue;
            }
            // A column computed from several aggregates (a ratio) is judged by each of them.
            let mut findings: Vec<Finding> = Vec::new();
            let mut statistic = "";
            let mut persons = 0;
            let mut source = None;
            for a in uses {
                let (Some(Ok(s)), Some(agg)) = (statistics.get(*a), answer.aggregates.get(*a)) else { continue };
                let Some(facts) = answer.evidence.get(r).and_then(|cells| cells.get(agg.measure)) else { continue };
                if statistic.is_empty() {
                    (statistic, persons, source) = (s.name(), facts.persons, Some((r, agg.measure)));
                }
                for f in sdc::judge(*s, &evidence_of(facts), params) {
                    if !findings.iter().any(|g| g.rule == f.rule && g.detail == f.detail) {
                        findings.push(f);
                    }
                }
            }
            cells.push(Cell {
                group: group.clone(),
                column: names[c].clone(),
                statistic,
                value: row[c].clone(),
                unrounded: None,
                persons,
                findings,
                source,
            });
        }
    }
    if params.round_base > 0 {
        for cell in cells.iter_mut().filter(|c| c.statistic == "count") {
            if let Some(n) = cell.value.as_u64() {
                cell.unrounded = Some(cell.value.clone());
                cell.value = json!(round(n, params.round_base));
            }
        }
    }
    finish(cells)
}

/// `n` to the nearest multiple of `base` (halves up); zero stays zero.
pub fn round(n: u64, base: u64) -> u64 {
    (n + base / 2).checked_div(base).map_or(n, |q| q * base)
}

/// The status and reasons of judged cells.
fn finish(cells: Vec<Cell>) -> Judgement {
    let status = Status::of(cells.iter().flat_map(|c| c.findings.iter()));
    let mut counts: BTreeMap<(Rule, Severity), usize> = BTreeMap::new();
    for f in cells.iter().flat_map(|c| c.findings.iter()) {
        *counts.entry((f.rule, f.severity)).or_default() += 1;
    }
    let reasons = counts
        .iter()
        .map(|((rule, severity), n)| {
            let what = match severity {
                Severity::Fail => "fail",
                Severity::Review => "need review",
            };
            format!("{n} cell{} {what} on {rule}", if *n == 1 { "" } else { "s" })
        })
        .collect();
    Judgement { status, reasons, cells }
}

impl Cell {
    /// How the ledger names it: the column, then the group.
    pub fn label(&self) -> String {
        let group: Vec<String> =
            self.group.iter().map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("(total)"))).collect();
        if group.is_empty() { self.column.clone() } else { format!("{} {}", self.column, group.join(" ")) }
    }
}

/// Checks every cell of `j` against the released cells of `ledger` (`differencing`), reading
/// the answer's person sets through `index`. Returns each cell's label and person set in the
/// ledger's ids, for recording.
pub fn difference(
    j: Judgement,
    answer: &Answer,
    index: &PersonIndex,
    ledger: &mut Ledger,
) -> Result<(Judgement, Vec<(String, RoaringBitmap)>), String> {
    let threshold = ledger.threshold();
    let mut cells = j.cells;
    let mut sets = Vec::new();
    for cell in &mut cells {
        let Some((row, measure)) = cell.source else { continue };
        let facts = answer.evidence.get(row).and_then(|e| e.get(measure)).ok_or("evidence is missing for a cell")?;
        let ranks = facts.bitmap().ok_or("a cell's person set cannot be read")?;
        let pseudonyms = ranks
            .iter()
            .map(|r| index.pseudonym(r).ok_or("a person outside the tables"))
            .collect::<Result<Vec<_>, _>>()?;
        let persons = ledger.ids_of(pseudonyms);
        for d in ledger.differences(&persons) {
            let released = &ledger.cells()[d.cell];
            cell.findings.push(Finding {
                rule: Rule::Differencing,
                severity: Severity::Fail,
                detail: format!(
                    "against \"{}\" of release {}: {} persons only here and {} only there, fewer than {threshold} either way",
                    released.label, released.release, d.only_new, d.only_released
                ),
            });
        }
        sets.push((cell.label(), persons));
    }
    Ok((finish(cells), sets))
}

/// The judgement as `tre gate check` prints it.
pub fn judgement_json(j: &Judgement) -> Value {
    let cells: Vec<Value> = j
        .cells
        .iter()
        .map(|c| {
            let group: serde_json::Map<String, Value> =
                c.group.iter().map(|(k, v)| (k.clone(), v.clone().map(Value::String).unwrap_or(Value::Null))).collect();
            json!({
                "group": group,
                "column": c.column,
                "statistic": c.statistic,
                "value": c.value,
                "unrounded": c.unrounded,
                "persons": c.persons,
                "rules": c.findings.iter().map(|f| json!({
                    "rule": f.rule.name(),
                    "severity": match f.severity { Severity::Fail => "fail", Severity::Review => "review" },
                    "detail": f.detail,
                })).collect::<Vec<_>>(),
                "suppressed": false,
            })
        })
        .collect();
    json!({"status": j.status.name(), "reasons": j.reasons, "cells": cells})
}

/// What `tre gate check` prints for a query that did not run: a statement that may not run
/// is refused; anything else is an error.
pub fn error_json(e: &EngineError) -> Value {
    match e {
        EngineError::Refused(_) => json!({"status": "refused", "reasons": [e.to_string()], "cells": []}),
        _ => json!({"status": "error", "message": e.to_string()}),
    }
}

/// The judgement as text.
pub fn judgement_text(j: &Judgement) -> String {
    let mut out = format!("status: {}\n", j.status.name());
    for r in &j.reasons {
        out.push_str(&format!("  {r}\n"));
    }
    for c in &j.cells {
        if c.findings.is_empty() {
            continue;
        }
        let group: Vec<String> =
            c.group.iter().map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("(total)"))).collect();
        for f in &c.findings {
            out.push_str(&format!(
                "{} {} [{}]: {} ({})\n",
                c.column,
                group.join(" "),
                f.rule,
                f.detail,
                match f.severity {
                    Severity::Fail => "fail",
                    Severity::Review => "review",
                }
            ));
        }
    }
    out
}

/// Reads a params file: JSON with any of the parameters' keys; unknown keys and values out of
/// range are refused.
pub fn read_params(text: &str) -> Result<Params, String> {
    let params: Params = serde_json::from_str(text).map_err(|e| format!("the params file is not valid: {e}"))?;
    params.check().map_err(|e| format!("the params file is not valid: {e}"))?;
    Ok(params)
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_round_to_the_nearest_multiple_and_zero_stays_zero() {
        let got: Vec<u64> = [0, 1, 2, 3, 7, 12, 13, 100].iter().map(|n| super::round(*n, 5)).collect();
        assert_eq!(got, vec![0, 0, 0, 5, 5, 10, 15, 100]);
        assert_eq!(super::round(7, 0), 7);
    }
}
