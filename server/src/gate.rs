//! The output gate's judgement of one answer: every cell of every aggregate column, judged by
//! the disclosure rules of `policy::sdc` on the evidence the runner computed (law 1).
//!
//! Used by `tre gate check` and by the release workflow. [`judge`] applies the rules to each
//! cell; [`difference`] checks each cell against the ledger of released cells; [`mitigate`]
//! blanks failing cells and as many more as keep them from being recomputed from the rest of
//! the table and from released totals (`policy::suppress`), then rounds counts.

use crate::ledger::Ledger;
use policy::sdc::{self, Evidence, Finding, Params, Rule, Severity, Statistic, Status};
use roaring::RoaringBitmap;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use workspace_runner::evidence::sides::SIDE_PERSONS;
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
        persons_at_or_below: f.persons_at_or_below,
        persons_at_or_above: f.persons_at_or_above,
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
    /// The evidence the rules judged (of the cell's first aggregate), for the reviewers.
    pub evidence: Option<Evidence>,
    /// The rules' findings.
    pub findings: Vec<Finding>,
    /// Blanked, and why.
    pub suppression: Option<Suppression>,
    /// Its place in the answer: row and column.
    pub at: (usize, usize),
    /// Where its person set is: the answer's row and measure.
    source: Option<(usize, usize)>,
}

/// Why a cell is blanked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// It fails a rule.
    Primary,
    /// Published, it would let a failing cell be recomputed.
    Secondary,
}

impl Suppression {
    /// The name in JSON and on pages.
    pub fn name(self) -> &'static str {
        match self {
            Suppression::Primary => "primary",
            Suppression::Secondary => "secondary",
        }
    }
}

/// The judgement of a whole output.
#[derive(Debug, Clone)]
pub struct Judgement {
    /// pass, review, fail or refused.
    pub status: Status,
    /// Why, for the table as a whole, as catalogue messages (pages read them in the reader's
    /// language; [`Judgement::reasons`] in English).
    pub says: Vec<crate::i18n::Says>,
    /// Every value cell.
    pub cells: Vec<Cell>,
}

impl Judgement {
    /// The reasons in English (the command line and the stored judgement's `reasons`).
    pub fn reasons(&self) -> Vec<String> {
        self.says.iter().map(crate::i18n::en).collect()
    }
}

fn refused(reason: crate::i18n::Says) -> Judgement {
    Judgement { status: Status::Refused, says: vec![reason], cells: vec![] }
}

/// The statistic of one of the query's aggregates, or why it has none.
fn statistic_of(a: &Aggregated, measures: &[Measure]) -> Result<Statistic, crate::i18n::Says> {
    let of_person = measures.get(a.measure).is_some_and(|m| m.of_person);
    Statistic::of_function(&a.function, a.distinct, of_person)
        .ok_or_else(|| crate::says!("gate-refused-no-rules", function = a.function))
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
        Lineage::RowLevel(r) => {
            return refused(crate::says!("gate-refused-lineage", rule = "row-level", why = r.why, detail = r.detail));
        }
        Lineage::Unknown(r) => {
            return refused(crate::says!(
                "gate-refused-lineage",
                rule = "unknown-lineage",
                why = r.why,
                detail = r.detail
            ));
        }
    }
    if answer.truncated {
        return refused(crate::says!("gate-refused-truncated"));
    }
    let statistics: Vec<Result<Statistic, crate::i18n::Says>> =
        answer.aggregates.iter().map(|a| statistic_of(a, &answer.measures)).collect();
    if let Some(Err(reason)) = statistics.iter().find(|s| s.is_err()) {
        return refused(reason.clone());
    }
    let names: Vec<String> = answer.schema.fields().iter().map(|f| f.name().clone()).collect();
    if answer.uses.len() != names.len() {
        return refused(crate::says!("gate-refused-uses"));
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
            let mut evidence = None;
            let mut source = None;
            for a in uses {
                let (Some(Ok(s)), Some(agg)) = (statistics.get(*a), answer.aggregates.get(*a)) else { continue };
                let Some(facts) = answer.evidence.get(r).and_then(|cells| cells.get(agg.measure)) else { continue };
                if statistic.is_empty() {
                    (statistic, persons, source) = (s.name(), facts.persons, Some((r, agg.measure)));
                    evidence = Some(evidence_of(facts));
                }
                for f in sdc::judge(*s, &evidence_of(facts), params) {
                    if !findings.iter().any(|g| g.rule == f.rule && g.detail == f.detail) {
                        findings.push(f);
                    }
                }
            }
            // A column said to come from aggregates whose facts are not there is not judged:
            // refused, never passed.
            if evidence.is_none() {
                return refused(crate::says!("gate-refused-uses"));
            }
            cells.push(Cell {
                group: group.clone(),
                column: names[c].clone(),
                statistic,
                value: row[c].clone(),
                unrounded: None,
                persons,
                evidence,
                findings,
                suppression: None,
                at: (r, c),
                source,
            });
        }
    }
    // Aggregates no shown column comes from (in HAVING or ORDER BY) choose or order the
    // rows: which rows are shown tells of them (HAVING MAX(year_of_birth) = 2020).
    // Each is judged on every shown row, and a failing one refuses the result.
    let shown: BTreeSet<usize> = answer.uses.iter().flatten().copied().collect();
    for (a, agg) in answer.aggregates.iter().enumerate().filter(|(a, _)| !shown.contains(a)) {
        let Some(Ok(s)) = statistics.get(a) else { return refused(crate::says!("gate-refused-uses")) };
        for r in 0..rows.len() {
            let Some(facts) = answer.evidence.get(r).and_then(|cells| cells.get(agg.measure)) else {
                return refused(crate::says!("gate-refused-uses"));
            };
            let findings = sdc::judge(*s, &evidence_of(facts), params);
            if let Some(f) = findings.iter().find(|f| f.severity == Severity::Fail) {
                return refused(crate::says!("gate-refused-hidden", rule = f.rule.name(), function = agg.function));
            }
        }
    }
    // Rows without a single cell to judge (groups shown alone): whatever engine answered,
    // a result the rules never saw does not pass.
    if cells.is_empty() && !rows.is_empty() {
        return refused(crate::says!("gate-refused-uses"));
    }
    full_cells(&mut cells);
    finish(cells)
}

/// Adds `full-cell` findings to the count cells that hold their whole row or column.
fn full_cells(cells: &mut [Cell]) {
    let mut columns: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, c) in cells.iter().enumerate().filter(|(_, c)| c.statistic == "count") {
        columns.entry(c.at.1).or_default().push(i);
    }
    for members in columns.values() {
        let found = {
            let first = &cells[members[0]];
            let names: Vec<&str> = first.group.iter().map(|(k, _)| k.as_str()).collect();
            let table: Vec<(Vec<Option<&str>>, u64)> = members
                .iter()
                .map(|i| (cells[*i].group.iter().map(|(_, v)| v.as_deref()).collect(), cells[*i].persons))
                .collect();
            sdc::full_cells(&names, &table)
        };
        for (k, finding) in found {
            cells[members[k]].findings.push(finding);
        }
    }
}

/// `n` to the nearest multiple of `base` (halves up); zero stays zero.
pub fn round(n: u64, base: u64) -> u64 {
    (n + base / 2).checked_div(base).map_or(n, |q| q * base)
}

/// `n` rounded by midpoint-6: 0 stays 0, 1-6 become 3, 7-12 become 9 (the true value lies in
/// [x-2, x+3]).
pub fn midpoint6(n: u64) -> u64 {
    if n == 0 { 0 } else { n.div_ceil(6) * 6 - 3 }
}

/// The findings of judged cells by rule and severity, with how many published cells each
/// was found on (findings on blanked cells do not count), and how many cells were blanked:
/// failing (primary) and to protect them (secondary).
pub fn tally(cells: &[Cell]) -> (Vec<(Rule, Severity, usize)>, usize, usize) {
    let mut counts: BTreeMap<(Rule, Severity), usize> = BTreeMap::new();
    for f in cells.iter().filter(|c| c.suppression.is_none()).flat_map(|c| c.findings.iter()) {
        *counts.entry((f.rule, f.severity)).or_default() += 1;
    }
    let blanked = |kind| cells.iter().filter(|c| c.suppression == Some(kind)).count();
    let found = counts.into_iter().map(|((rule, severity), n)| (rule, severity, n)).collect();
    (found, blanked(Suppression::Primary), blanked(Suppression::Secondary))
}

/// The status and reasons of judged cells: findings on blanked cells do not count.
fn finish(cells: Vec<Cell>) -> Judgement {
    let status = Status::of(cells.iter().filter(|c| c.suppression.is_none()).flat_map(|c| c.findings.iter()));
    let (found, primary, secondary) = tally(&cells);
    let mut says: Vec<crate::i18n::Says> = found
        .iter()
        .map(|(rule, severity, n)| match severity {
            Severity::Fail => crate::says!("gate-reason-fail", count = n, rule = rule.name()),
            Severity::Review => crate::says!("gate-reason-review", count = n, rule = rule.name()),
        })
        .collect();
    if primary + secondary > 0 {
        let total = primary + secondary;
        says.push(crate::says!("gate-reason-suppressed", total = total, primary = primary, secondary = secondary));
    }
    Judgement { status, says, cells }
}

impl Cell {
    /// How the ledger names it: the column, then the group.
    pub fn label(&self) -> String {
        let group: Vec<String> =
            self.group.iter().map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("(total)"))).collect();
        if group.is_empty() { self.column.clone() } else { format!("{} {}", self.column, group.join(" ")) }
    }
}

/// Each cell's person set in the ledger's ids (None for a cell without evidence).
pub type Sets = Vec<Option<RoaringBitmap>>;

/// Checks every cell of `j` against the released cells of `ledger` (`differencing`), reading
/// the answer's person sets through `index`. Returns, beside the judgement, each cell's person
/// set in the ledger's ids (for recording, and for finding released totals).
pub fn difference(
    j: Judgement,
    answer: &Answer,
    index: &PersonIndex,
    ledger: &mut Ledger,
) -> Result<(Judgement, Sets), String> {
    let threshold = ledger.threshold();
    let mut cells = j.cells;
    let mut sets = Vec::new();
    for cell in &mut cells {
        let Some((row, measure)) = cell.source else {
            sets.push(None);
            continue;
        };
        let facts = answer.evidence.get(row).and_then(|e| e.get(measure)).ok_or("evidence is missing for a cell")?;
        let ranks = facts.bitmap().ok_or("a cell's person set cannot be read")?;
        let pseudonyms = ranks
            .iter()
            .map(|r| index.pseudonym(r).ok_or("a person outside the tables"))
            .collect::<Result<Vec<_>, _>>()?;
        let persons = ledger.ids_of(pseudonyms);
        for d in ledger.differences(&persons) {
            let released = &ledger.cells()[d.cell];
            cell.findings.push(Finding::new(
                Rule::Differencing,
                Severity::Fail,
                format!(
                    "against \"{}\" of release {}: {} persons only here and {} only there, fewer than {threshold} either way",
                    released.label, released.release, d.only_new, d.only_released
                ),
                policy::sdc::Says::new(
                    "finding-differencing",
                    &[
                        ("cell", released.label.clone()),
                        ("release", released.release.to_string()),
                        ("here", d.only_new.to_string()),
                        ("there", d.only_released.to_string()),
                        ("threshold", threshold.to_string()),
                    ],
                ),
            ));
        }
        sets.push(Some(persons));
    }
    Ok((finish(cells), sets))
}

/// The cells to record in the ledger when `j` is released: every published cell with its
/// label, person set and value.
pub fn released_cells(j: &Judgement, sets: &Sets) -> Vec<(String, RoaringBitmap, Option<f64>)> {
    j.cells
        .iter()
        .zip(sets)
        .filter(|(c, _)| c.suppression.is_none())
        .filter_map(|(c, s)| s.as_ref().map(|s| (c.label(), s.clone(), c.value.as_f64())))
        .collect()
}

/// How counts are rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Not at all.
    None,
    /// To the nearest multiple of the base; totals summed from rounded parts when all their
    /// parts are published.
    Base(u64),
    /// Midpoint-6, each count on its own.
    Midpoint6,
}

/// What to do to a judged table before release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mitigation {
    /// Blank failing cells (primary) and the cells that would give them back (secondary).
    pub suppress: bool,
    /// Round counts, after suppression.
    pub rounding: Rounding,
}

/// The additive structure of one column: its cells as sums of units (inner cells, or cells
/// that add up to nothing else in the table).
struct Structure {
    /// Table cell numbers of the column.
    cells: Vec<usize>,
    /// Per cell: the units it adds up.
    members: Vec<Vec<u32>>,
    /// Number of units.
    units: usize,
    /// Per cell: whether it is a total whose parts are all in the table.
    margin: Vec<bool>,
}

/// Whether two sums agree (exactly for integers; to rounding error for others).
fn same_sum(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

/// Finds which cells of an additive column (counts, sums) are totals of others: a cell whose
/// group has a total (null) where inner cells have values is the sum of the inner cells that
/// agree with it elsewhere, if the values say so (a NULL that is a value, or a count of
/// distinct persons over overlapping groups, does not add up and stays a unit of its own).
fn structure(j: &Judgement, cells: Vec<usize>) -> Structure {
    let inner: Vec<usize> =
        cells.iter().copied().filter(|c| j.cells[*c].group.iter().all(|(_, v)| v.is_some())).collect();
    let unit_of: BTreeMap<usize, u32> = inner.iter().enumerate().map(|(u, c)| (*c, u as u32)).collect();
    let mut units = inner.len();
    let mut members = Vec::new();
    let mut margin = Vec::new();
    for c in &cells {
        if let Some(u) = unit_of.get(c) {
            members.push(vec![*u]);
            margin.push(false);
            continue;
        }
        let cell = &j.cells[*c];
        let parts: Vec<u32> = inner
            .iter()
            .filter(|i| {
                cell.group
                    .iter()
                    .zip(&j.cells[**i].group)
                    .all(|((_, total), (_, part))| total.is_none() || total == part)
            })
            .map(|i| unit_of[i])
            .collect();
        let sum: Option<f64> = parts.iter().map(|u| j.cells[inner[*u as usize]].value.as_f64()).sum();
        match (cell.value.as_f64(), sum) {
            (Some(v), Some(s)) if !parts.is_empty() && same_sum(v, s) => {
                members.push(parts);
                margin.push(true);
            }
            _ => {
                members.push(vec![units as u32]);
                margin.push(false);
                units += 1;
            }
        }
    }
    Structure { cells, members, units, margin }
}

/// Applies `m` to `j`: primary suppression of every cell with a fail finding; for counts and
/// sums, secondary suppression by Gaussian elimination over the table's totals and the
/// released totals in `ledger` whose persons are exactly those of a group of the table's
/// cells (`sets`: each cell's persons in the ledger's ids); then rounding of published counts.
pub fn mitigate(j: Judgement, m: Mitigation, released: Option<(&Ledger, &Sets)>) -> Result<Judgement, String> {
    let mut j = j;
    let mut columns: BTreeMap<(usize, &'static str), Vec<usize>> = BTreeMap::new();
    for (i, c) in j.cells.iter().enumerate() {
        columns.entry((c.at.1, c.statistic)).or_default().push(i);
    }
    let mut blank: Vec<Option<Suppression>> = vec![None; j.cells.len()];
    let fails = |c: &Cell| c.findings.iter().any(|f| f.severity == Severity::Fail);
    let mut structures = Vec::new();
    for ((_, statistic), cells) in columns {
        let additive = matches!(statistic, "count" | "sum");
        if !additive {
            for c in cells {
                if m.suppress && fails(&j.cells[c]) {
                    blank[c] = Some(Suppression::Primary);
                }
            }
            continue;
        }
        // In the order of their groups, not of the rows, so a rerun that returns the rows in
        // another order blanks the same cells.
        let mut cells = cells;
        cells.sort_by(|a, b| j.cells[*a].group.cmp(&j.cells[*b].group));
        let s = structure(&j, cells);
        if m.suppress {
            let mut input: Vec<policy::suppress::Cell> = s
                .cells
                .iter()
                .zip(&s.members)
                .map(|(c, members)| policy::suppress::Cell {
                    members: members.clone(),
                    cost: j.cells[*c].value.as_f64().map_or(0.0, f64::abs),
                    primary: fails(&j.cells[*c]),
                    forced: false,
                })
                .collect();
            if let Some((ledger, sets)) = released {
                input.extend(released_totals(&j, &s, ledger, sets));
            }
            let outcome = policy::suppress::suppress(s.units, &input)?;
            for (k, c) in s.cells.iter().enumerate() {
                if outcome.suppressed.get(k).copied().unwrap_or(false) {
                    blank[*c] = Some(if input[k].primary { Suppression::Primary } else { Suppression::Secondary });
                }
            }
            for k in outcome.exposed.iter().filter(|k| **k < s.cells.len()) {
                j.cells[s.cells[*k]].findings.push(Finding::new(
                    Rule::Differencing,
                    Severity::Fail,
                    "it can be recomputed from totals released before, whatever else is suppressed".into(),
                    policy::sdc::Says::new("finding-recomputed", &[]),
                ));
            }
        }
        if statistic == "count" {
            structures.push(s);
        }
    }
    for (c, b) in j.cells.iter_mut().zip(&blank) {
        c.suppression = *b;
        if b.is_some() {
            c.value = Value::Null;
        }
    }
    if m.rounding != Rounding::None {
        round_counts(&mut j, m.rounding, &structures);
    }
    Ok(finish(j.cells))
}

/// Released cells equal in persons, and in value, to a group of the column's units: published
/// already, so the elimination must count them.
fn released_totals(j: &Judgement, s: &Structure, ledger: &Ledger, sets: &Sets) -> Vec<policy::suppress::Cell> {
    let mut groups: BTreeMap<Vec<u32>, (RoaringBitmap, f64)> = BTreeMap::new();
    let unit_cells: Vec<usize> =
        s.members.iter().zip(&s.cells).filter(|(m, _)| m.len() == 1).map(|(_, c)| *c).collect();
    let dims = j.cells.first().map_or(0, |c| c.group.len());
    if dims > 6 {
        return Vec::new();
    }
    // Every pattern of kept group columns, each key's units added up.
    for pattern in 0..(1u32 << dims) {
        let mut by_key: BTreeMap<Vec<Option<&str>>, Vec<usize>> = BTreeMap::new();
        for c in &unit_cells {
            let cell = &j.cells[*c];
            if cell.group.iter().any(|(_, v)| v.is_none()) {
                continue;
            }
            let key = cell
                .group
                .iter()
                .enumerate()
                .map(|(d, (_, v))| if pattern & (1 << d) != 0 { v.as_deref() } else { None })
                .collect();
            by_key.entry(key).or_default().push(*c);
        }
        for parts in by_key.values() {
            let mut persons = RoaringBitmap::new();
            let mut sum = 0.0;
            let mut units = Vec::new();
            for c in parts {
                let (Some(Some(set)), Some(v)) = (sets.get(*c), j.cells[*c].value.as_f64()) else { return Vec::new() };
                persons |= set;
                sum += v;
                if let Some(k) = s.cells.iter().position(|x| x == c) {
                    units.extend(s.members[k].iter().copied());
                }
            }
            units.sort_unstable();
            if ledger.equal_sets(&persons).iter().any(|r| ledger.cells()[*r].value.is_none_or(|v| same_sum(v, sum))) {
                groups.insert(units, (persons, sum));
            }
        }
    }
    groups
        .into_keys()
        .map(|members| policy::suppress::Cell { members, cost: 0.0, primary: false, forced: true })
        .collect()
}

/// Rounds published counts; a total whose parts are all published is their rounded sum.
fn round_counts(j: &mut Judgement, rounding: Rounding, structures: &[Structure]) {
    let rounded = |n: u64| match rounding {
        Rounding::None => n,
        Rounding::Base(b) => round(n, b),
        Rounding::Midpoint6 => midpoint6(n),
    };
    for cell in j.cells.iter_mut() {
        if cell.statistic != "count" || cell.suppression.is_some() {
            continue;
        }
        let Some(n) = cell.value.as_u64() else { continue };
        cell.unrounded = Some(cell.value.clone());
        cell.value = json!(rounded(n));
    }
    if !matches!(rounding, Rounding::Base(_)) {
        return;
    }
    for s in structures {
        let unit_cell: BTreeMap<u32, usize> =
            s.members.iter().zip(&s.cells).filter(|(m, _)| m.len() == 1).map(|(m, c)| (m[0], *c)).collect();
        for (k, c) in s.cells.iter().enumerate() {
            if !s.margin[k] || j.cells[*c].suppression.is_some() {
                continue;
            }
            let parts: Option<Vec<u64>> = s.members[k]
                .iter()
                .map(|u| {
                    unit_cell
                        .get(u)
                        .and_then(|p| j.cells[*p].suppression.is_none().then(|| j.cells[*p].value.as_u64()).flatten())
                })
                .collect();
            if let Some(parts) = parts {
                j.cells[*c].value = json!(parts.iter().sum::<u64>());
            }
        }
    }
}

/// The table as it would be released: the answer's columns and rows, each judged cell as
/// published (blank where suppressed, rounded where rounded), group values as text.
pub fn published_csv(answer: &Answer, j: &Judgement) -> Result<String, String> {
    let names: Vec<String> = answer.schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut rows: Vec<Vec<String>> = workspace_runner::text::rows_json(&answer.batches)
        .iter()
        .map(|row| row.iter().map(|v| text_of(v).unwrap_or_default()).collect())
        .collect();
    for c in &j.cells {
        let slot = rows.get_mut(c.at.0).and_then(|r| r.get_mut(c.at.1)).ok_or("a judged cell is outside the table")?;
        *slot = text_of(&c.value).unwrap_or_default();
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| format!("the table cannot be written as CSV ({e})");
    out.write_record(&names).map_err(failed)?;
    for row in rows {
        out.write_record(&row).map_err(failed)?;
    }
    let bytes = out.into_inner().map_err(|e| format!("the table cannot be written as CSV ({e})"))?;
    String::from_utf8(bytes).map_err(|_| "the table is not text".to_string())
}

/// A digest of a CSV table that does not depend on the order of its rows (a query without
/// ORDER BY may return them in another order each time): the header, then the rows sorted.
pub fn table_digest(csv_text: &str) -> Result<String, String> {
    use sha2::{Digest, Sha256};
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(csv_text.as_bytes());
    let mut records = Vec::new();
    for r in reader.records() {
        let r = r.map_err(|e| format!("a stored table is not valid CSV ({e})"))?;
        records.push(r.iter().map(String::from).collect::<Vec<String>>());
    }
    if let Some(rows) = records.get_mut(1..) {
        rows.sort();
    }
    let mut hash = Sha256::new();
    for r in &records {
        for field in r {
            hash.update((field.len() as u64).to_le_bytes());
            hash.update(field.as_bytes());
        }
        hash.update([0xff]);
    }
    Ok(hex::encode(hash.finalize()))
}

/// What reviewers see of a cell's evidence: persons with a value, the largest and the two
/// largest contributions as shares of the total (never a person's own contribution), the
/// missing, negative and distinct values, and for a percentile the persons on each side of it
/// (counted up to [`SIDE_PERSONS`]).
fn evidence_json(e: &Evidence) -> Value {
    let share =
        |n: usize| (e.total_abs > 0.0 && e.top.len() >= n).then(|| e.top.iter().take(n).sum::<f64>() / e.total_abs);
    let mut v = json!({
        "persons_with_value": e.persons_with_value,
        "largest_share": share(1),
        "top_two_share": share(2),
        "missing": e.missing,
        "negative": e.negative,
        "distinct_values": e.distinct_values,
    });
    if let (Some(below), Some(above)) = (e.persons_at_or_below, e.persons_at_or_above) {
        v["persons_at_or_below"] = json!(below);
        v["persons_at_or_above"] = json!(above);
        v["sides_counted_up_to"] = json!(SIDE_PERSONS);
    }
    v
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
                "evidence": c.evidence.as_ref().map(evidence_json),
                "rules": c.findings.iter().map(|f| json!({
                    "rule": f.rule.name(),
                    "severity": match f.severity { Severity::Fail => "fail", Severity::Review => "review" },
                    "detail": f.detail,
                    "says": f.says,
                })).collect::<Vec<_>>(),
                "suppressed": c.suppression.is_some(),
                "suppression": c.suppression.map(Suppression::name),
            })
        })
        .collect();
    json!({"status": j.status.name(), "reasons": j.reasons(), "says": j.says, "cells": cells})
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
    for r in &j.reasons() {
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
    use super::*;

    /// A judged count cell at `row`; failing cells carry a threshold finding.
    fn count(row: usize, group: &[Option<&str>], value: u64, fails: bool) -> Cell {
        let names = ["sex", "age"];
        Cell {
            group: group.iter().enumerate().map(|(i, v)| (names[i].to_string(), v.map(String::from))).collect(),
            column: "n".into(),
            statistic: "count",
            value: json!(value),
            unrounded: None,
            persons: value,
            evidence: None,
            findings: if fails {
                vec![Finding { rule: Rule::Threshold, severity: Severity::Fail, detail: "too few".into(), says: None }]
            } else {
                vec![]
            },
            suppression: None,
            at: (row, 1),
            source: None,
        }
    }

    /// A 2 x 2 table with its margins and total, as GROUP BY CUBE gives it.
    fn cube(values: [u64; 4], failing: usize) -> Judgement {
        let (f, m, y, o) = (Some("F"), Some("M"), Some("young"), Some("old"));
        let keys = [[f, y], [f, o], [m, y], [m, o]];
        let mut cells: Vec<Cell> = keys.iter().enumerate().map(|(i, k)| count(i, k, values[i], i == failing)).collect();
        cells.push(count(4, &[f, None], values[0] + values[1], false));
        cells.push(count(5, &[m, None], values[2] + values[3], false));
        cells.push(count(6, &[None, y], values[0] + values[2], false));
        cells.push(count(7, &[None, o], values[1] + values[3], false));
        cells.push(count(8, &[None, None], values.iter().sum(), false));
        finish(cells)
    }

    const SUPPRESS: Mitigation = Mitigation { suppress: true, rounding: Rounding::None };

    #[test]
    fn a_failing_cell_of_a_cube_takes_its_row_column_and_corner_with_it() {
        let j = mitigate(cube([3, 40, 50, 60], 0), SUPPRESS, None).unwrap();
        let blanked: Vec<Option<Suppression>> = j.cells.iter().map(|c| c.suppression).collect();
        let (p, s) = (Some(Suppression::Primary), Some(Suppression::Secondary));
        assert_eq!(blanked, vec![p, s, s, s, None, None, None, None, None]);
        assert!(j.cells.iter().filter(|c| c.suppression.is_some()).all(|c| c.value.is_null()));
        assert_eq!(j.status, Status::Pass, "{:?}", j.reasons());
        assert!(
            j.reasons().iter().any(|r| r.contains("4 cells suppressed: 1 failing, 3 to protect them")),
            "{:?}",
            j.reasons()
        );
        // Published: the margins and nothing of the inner cells; none of the four can be
        // recomputed from them.
        let members = |c: &Cell| -> Vec<u32> {
            let keys = [["F", "young"], ["F", "old"], ["M", "young"], ["M", "old"]];
            (0..4u32)
                .filter(|i| {
                    c.group.iter().zip(keys[*i as usize]).all(|((_, v), k)| v.as_deref().is_none_or(|v| v == k))
                })
                .collect()
        };
        let published: Vec<Vec<u32>> = j.cells.iter().filter(|c| c.suppression.is_none()).map(members).collect();
        let rows: Vec<&[u32]> = published.iter().map(Vec::as_slice).collect();
        for c in j.cells.iter().filter(|c| c.suppression.is_some()) {
            assert!(!policy::suppress::derivable(&rows, &members(c)), "{} is derivable", c.label());
        }
    }

    #[test]
    fn totals_that_do_not_add_up_are_not_treated_as_totals() {
        // Counts of distinct persons over overlapping groups: the "total" is not the sum, so
        // blanking one group needs nothing more.
        let mut j = cube([3, 40, 50, 60], 0);
        for c in j.cells.iter_mut().filter(|c| c.group.iter().any(|(_, v)| v.is_none())) {
            c.value = json!(c.value.as_u64().unwrap() - 1);
        }
        let j = mitigate(j, SUPPRESS, None).unwrap();
        assert_eq!(j.cells.iter().filter(|c| c.suppression.is_some()).count(), 1);
    }

    #[test]
    fn a_total_released_before_counts_as_published() {
        // Released earlier: everyone (persons 0..103) counted as 103. Now by sex, F failing:
        // M = 103 - F would give F back, so M is blanked too.
        let mut ledger = Ledger::in_memory(10);
        ledger.record(vec![("n".into(), (0..103).collect(), Some(103.0))]).unwrap();
        let j = finish(vec![count(0, &[Some("F")], 3, true), count(1, &[Some("M")], 100, false)]);
        let sets: Sets = vec![Some((0..3).collect()), Some((3..103).collect())];
        let with = mitigate(j.clone(), SUPPRESS, Some((&ledger, &sets))).unwrap();
        assert_eq!(with.cells[1].suppression, Some(Suppression::Secondary));
        let without = mitigate(j.clone(), SUPPRESS, None).unwrap();
        assert_eq!(without.cells[1].suppression, None);
        // A released cell with other persons, or another value, is no such total.
        let mut other = Ledger::in_memory(10);
        other.record(vec![("n".into(), (0..103).collect(), Some(99.0))]).unwrap();
        assert_eq!(mitigate(j, SUPPRESS, Some((&other, &sets))).unwrap().cells[1].suppression, None);
    }

    #[test]
    fn rounded_totals_are_sums_of_rounded_parts_when_all_parts_are_published() {
        let rounding = Mitigation { suppress: true, rounding: Rounding::Base(5) };
        let j = mitigate(cube([12, 13, 17, 21], usize::MAX), rounding, None).unwrap();
        let values: Vec<u64> = j.cells.iter().map(|c| c.value.as_u64().unwrap()).collect();
        // Parts 10, 15, 15, 20; totals from them, not 25 -> 25, 38 -> 40, 29 -> 30, 34 -> 35, 63 -> 65.
        assert_eq!(values, vec![10, 15, 15, 20, 25, 35, 25, 35, 60]);
        assert_eq!(j.cells[8].unrounded, Some(json!(63)));
        let mid = Mitigation { suppress: false, rounding: Rounding::Midpoint6 };
        let j = mitigate(cube([0, 1, 6, 7], usize::MAX), mid, None).unwrap();
        let values: Vec<u64> = j.cells.iter().take(4).map(|c| c.value.as_u64().unwrap()).collect();
        assert_eq!(values, vec![0, 3, 3, 9]);
    }

    #[test]
    fn a_result_the_rules_never_see_is_refused() {
        use arrow::array::{ArrayRef, Int64Array, StringArray};
        use arrow::datatypes::{DataType, Field, Schema};
        use arrow::record_batch::RecordBatch;
        use std::sync::Arc;
        // A group shown alone: no column comes from an aggregate.
        let schema = Arc::new(Schema::new(vec![Field::new("region", DataType::Utf8, true)]));
        let column: ArrayRef = Arc::new(StringArray::from(vec!["Kyoto"]));
        let alone = Answer {
            schema: schema.clone(),
            batches: vec![RecordBatch::try_new(schema, vec![column.clone()]).unwrap()],
            truncated: false,
            lineage: Lineage::Aggregate,
            measures: vec![],
            depends: vec![vec![]],
            aggregates: vec![],
            uses: vec![vec![]],
            evidence: vec![vec![]],
        };
        assert_eq!(judge(&alone, &Params::default()).status, Status::Refused);
        // A count said to come from an aggregate whose facts are missing.
        let schema = Arc::new(Schema::new(vec![
            Field::new("region", DataType::Utf8, true),
            Field::new("n", DataType::Int64, true),
        ]));
        let n: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        let without_facts = Answer {
            schema: schema.clone(),
            batches: vec![RecordBatch::try_new(schema, vec![column, n]).unwrap()],
            measures: vec![Measure { functions: vec!["count".into()], distinct: false, of_person: false }],
            depends: vec![vec![], vec![0]],
            aggregates: vec![Aggregated { function: "count".into(), distinct: false, measure: 0 }],
            uses: vec![vec![], vec![0]],
            ..alone
        };
        assert_eq!(judge(&without_facts, &Params::default()).status, Status::Refused);
    }

    #[test]
    fn counts_round_to_the_nearest_multiple_and_zero_stays_zero() {
        let got: Vec<u64> = [0, 1, 2, 3, 7, 12, 13, 100].iter().map(|n| super::round(*n, 5)).collect();
        assert_eq!(got, vec![0, 0, 0, 5, 5, 10, 15, 100]);
        assert_eq!(super::round(7, 0), 7);
    }
}
