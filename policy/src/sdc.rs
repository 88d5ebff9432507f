//! The output gate's disclosure rules (`SDC-RULES.md`), as pure functions: a cell's evidence
//! and the parameters in, findings out, each with its canonical rule name, severity and a
//! reason a person can read.
//!
//! The unit is always the person: thresholds count persons, dominance is judged on each
//! person's contribution (all their rows in the cell added up), never on rows.

pub use crate::Says;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The largest N the N-K rule may use: the evidence carries this many top contributions.
pub const MAX_NK_N: usize = 10;

/// The rules' parameters, set by custodians per dataset or project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// `threshold`: a cell needs at least this many persons (T).
    pub threshold: u64,
    /// `nk-rule`: the N largest contributors ...
    pub nk_n: usize,
    /// ... may not hold this share of the cell's total or more (K).
    pub nk_k: f64,
    /// `p-ratio`: the runner-up may not estimate the largest contribution within this share.
    pub p: f64,
    /// `dof`: residual degrees of freedom needed for std, var and models.
    pub dof_threshold: u64,
    /// `zero`: empty cells are disclosive.
    pub zeros_are_disclosive: bool,
    /// `missing`: rows lacking the value are flagged for review.
    pub check_missing_values: bool,
    /// Counts are published rounded to this base after suppression (0: not rounded).
    pub round_base: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            threshold: 10,
            nk_n: 2,
            nk_k: 0.90,
            p: 0.10,
            dof_threshold: 10,
            zeros_are_disclosive: true,
            check_missing_values: false,
            round_base: 0,
        }
    }
}

impl Params {
    /// Why these parameters cannot be used, if they cannot.
    pub fn check(&self) -> Result<(), String> {
        if self.threshold < 1 {
            return Err("threshold must be at least 1".into());
        }
        if self.nk_n < 1 || self.nk_n > MAX_NK_N {
            return Err(format!("nk_n must be between 1 and {MAX_NK_N}"));
        }
        if !(self.nk_k > 0.0 && self.nk_k <= 1.0) {
            return Err("nk_k must be above 0 and at most 1".into());
        }
        if !(self.p >= 0.0 && self.p <= 1.0) {
            return Err("p must be between 0 and 1".into());
        }
        Ok(())
    }
}

/// The statistic a published value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Statistic {
    /// A count of persons (COUNT(DISTINCT person)).
    CountPersons,
    /// A count of rows or values (events).
    Count,
    /// A sum.
    Sum,
    /// A mean.
    Mean,
    /// A median.
    Median,
    /// Another percentile.
    Percentile,
    /// The smallest value.
    Min,
    /// The largest value.
    Max,
    /// A standard deviation.
    Std,
    /// A variance.
    Var,
    /// The most frequent value.
    Mode,
}

impl Statistic {
    /// The statistic of an aggregate function, by its SQL name; `distinct` for DISTINCT and
    /// `of_person` when its argument is the person column.
    pub fn of_function(name: &str, distinct: bool, of_person: bool) -> Option<Statistic> {
        Some(match name.to_ascii_lowercase().as_str() {
            "count" if distinct && of_person => Statistic::CountPersons,
            "count" => Statistic::Count,
            "sum" => Statistic::Sum,
            "avg" | "mean" => Statistic::Mean,
            "median" => Statistic::Median,
            "approx_median" => Statistic::Median,
            "percentile_cont" | "approx_percentile_cont" | "percentile_disc" | "quantile_cont" => Statistic::Percentile,
            "min" => Statistic::Min,
            "max" => Statistic::Max,
            "stddev" | "stddev_samp" | "stddev_pop" | "std" => Statistic::Std,
            "var" | "var_samp" | "var_pop" | "variance" => Statistic::Var,
            "mode" => Statistic::Mode,
            _ => return None,
        })
    }

    /// Its name in outputs.
    pub fn name(self) -> &'static str {
        match self {
            Statistic::CountPersons | Statistic::Count => "count",
            Statistic::Sum => "sum",
            Statistic::Mean => "mean",
            Statistic::Median => "median",
            Statistic::Percentile => "percentile",
            Statistic::Min => "min",
            Statistic::Max => "max",
            Statistic::Std => "std",
            Statistic::Var => "var",
            Statistic::Mode => "mode",
        }
    }

    /// Whether `threshold` counts persons with a value (#V) rather than all persons (#P).
    fn counts_values(self) -> bool {
        !matches!(self, Statistic::CountPersons | Statistic::Count)
    }
}

/// The canonical rule names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// Fewer than T persons.
    Threshold,
    /// An empty cell.
    Zero,
    /// The N largest contributors hold K or more.
    #[serde(rename = "nk-rule")]
    NkRule,
    /// The runner-up could estimate the largest contribution within p%.
    #[serde(rename = "p-ratio")]
    PRatio,
    /// Too few degrees of freedom.
    Dof,
    /// A negative value.
    Negative,
    /// A missing value.
    Missing,
    /// A single person's value (raw minimum or maximum, tail percentile).
    Extreme,
    /// Every value is the same.
    AllValuesSame,
    /// The cell holds its whole row or column.
    FullCell,
    /// The difference from a released cell is a small group.
    Differencing,
    /// Rows of records, or one group per person.
    RowLevel,
    /// A person identifier reaches the output.
    Identifier,
    /// The persons behind the output cannot be established.
    UnknownLineage,
}

impl Rule {
    /// The canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Rule::Threshold => "threshold",
            Rule::Zero => "zero",
            Rule::NkRule => "nk-rule",
            Rule::PRatio => "p-ratio",
            Rule::Dof => "dof",
            Rule::Negative => "negative",
            Rule::Missing => "missing",
            Rule::Extreme => "extreme",
            Rule::AllValuesSame => "all-values-same",
            Rule::FullCell => "full-cell",
            Rule::Differencing => "differencing",
            Rule::RowLevel => "row-level",
            Rule::Identifier => "identifier",
            Rule::UnknownLineage => "unknown-lineage",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A custodian looks at it; the cell may be released.
    Review,
    /// The cell may not be released as it is.
    Fail,
}

/// One rule's finding on a cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// Its severity.
    pub severity: Severity,
    /// Why, in words: "9 persons, fewer than 10".
    pub detail: String,
    /// The same, for a page in another language: a message of the pages' catalogues
    /// (`finding-...`) and its arguments. Findings recorded before it existed have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub says: Option<Says>,
}

impl Finding {
    /// A finding with its English words and its catalogue message.
    pub fn new(rule: Rule, severity: Severity, detail: String, says: Says) -> Self {
        Finding { rule, severity, detail, says: Some(says) }
    }
}

/// What the gate knows about the persons behind one cell (`SDC-RULES.md` §4).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Distinct persons with a row in the cell (#P).
    pub persons: u64,
    /// Persons with a non-missing value (#V).
    pub persons_with_value: u64,
    /// Rows with a missing value.
    pub missing: u64,
    /// Negative values.
    pub negative: u64,
    /// Σ of the persons' absolute contributions (D).
    pub total_abs: f64,
    /// The largest absolute contributions, largest first (at least the first two where the
    /// cell has two persons).
    pub top: Vec<f64>,
    /// Distinct values: 0, 1, or 2 meaning "more than one".
    pub distinct_values: u8,
    /// For a percentile: persons with a value at or below it, and at or above it.
    pub persons_at_or_below: Option<u64>,
    /// See `persons_at_or_below`.
    pub persons_at_or_above: Option<u64>,
}

/// Persons needed on each side of a percentile (`extreme`).
const EXTREME_PERSONS: u64 = 5;

fn persons(n: u64) -> String {
    if n == 1 { "1 person".into() } else { format!("{n} persons") }
}

fn percent(x: f64) -> String {
    let p = x * 100.0;
    if (p - p.round()).abs() < 1e-9 { format!("{p:.0}%") } else { format!("{p:.1}%") }
}

/// The findings on one cell of `statistic` with `evidence`, under `params`; in the order of
/// the rules' table.
pub fn judge(statistic: Statistic, evidence: &Evidence, params: &Params) -> Vec<Finding> {
    use Severity::{Fail, Review};
    use Statistic as S;
    let mut out = Vec::new();
    let n = if statistic.counts_values() { evidence.persons_with_value } else { evidence.persons };
    let with_value = if statistic.counts_values() { " with a value" } else { "" };
    if evidence.persons == 0 {
        if params.zeros_are_disclosive && !matches!(statistic, S::Std | S::Var) {
            out.push(Finding::new(
                Rule::Zero,
                Fail,
                "no person: an empty cell tells about the whole group".into(),
                Says::new("finding-zero", &[]),
            ));
        }
    } else if n < params.threshold {
        out.push(Finding::new(
            Rule::Threshold,
            Fail,
            format!("{}{with_value}, fewer than {}", persons(n), params.threshold),
            Says::new(
                if with_value.is_empty() { "finding-threshold" } else { "finding-threshold-values" },
                &[("persons", n.to_string()), ("threshold", params.threshold.to_string())],
            ),
        ));
    }
    let magnitude = matches!(statistic, S::Count | S::Sum | S::Mean);
    if magnitude {
        let d = evidence.total_abs;
        let top_n: f64 = evidence.top.iter().take(params.nk_n).sum();
        if d > 0.0 && top_n / d >= params.nk_k {
            let who = if params.nk_n == 1 {
                "the largest contributor holds".to_string()
            } else {
                format!("the {} largest contributors hold", params.nk_n)
            };
            out.push(Finding::new(
                Rule::NkRule,
                Fail,
                format!("{who} {} of the total, {} or more", percent(top_n / d), percent(params.nk_k)),
                Says::new(
                    "finding-nk",
                    &[("n", params.nk_n.to_string()), ("share", percent(top_n / d)), ("k", percent(params.nk_k))],
                ),
            ));
        }
        let a1 = evidence.top.first().copied().unwrap_or(0.0);
        let a2 = evidence.top.get(1).copied().unwrap_or(0.0);
        let margin = d - a1 - a2;
        if margin < params.p * a1 {
            out.push(Finding::new(
                Rule::PRatio,
                Fail,
                format!(
                    "the second largest contributor could estimate the largest within {} (needs more than {})",
                    percent(margin / a1),
                    percent(params.p)
                ),
                Says::new("finding-p-ratio", &[("within", percent(margin / a1)), ("p", percent(params.p))]),
            ));
        }
    }
    if matches!(statistic, S::Std | S::Var) {
        let dof = evidence.persons_with_value.saturating_sub(1);
        if dof < params.dof_threshold {
            out.push(Finding::new(
                Rule::Dof,
                Fail,
                format!("{dof} degrees of freedom, fewer than {}", params.dof_threshold),
                Says::new("finding-dof", &[("dof", dof.to_string()), ("threshold", params.dof_threshold.to_string())]),
            ));
        }
    }
    if matches!(statistic, S::Sum | S::Mean) && evidence.negative > 0 {
        out.push(Finding::new(
            Rule::Negative,
            Review,
            format!("{} negative value{}", evidence.negative, if evidence.negative == 1 { "" } else { "s" }),
            Says::new("finding-negative", &[("count", evidence.negative.to_string())]),
        ));
    }
    if params.check_missing_values && statistic.counts_values() && evidence.missing > 0 {
        out.push(Finding::new(
            Rule::Missing,
            Review,
            format!("{} row{} without the value", evidence.missing, if evidence.missing == 1 { "" } else { "s" }),
            Says::new("finding-missing", &[("count", evidence.missing.to_string())]),
        ));
    }
    match statistic {
        S::Min | S::Max if evidence.persons_with_value > 0 => out.push(Finding::new(
            Rule::Extreme,
            Fail,
            format!("the {} is one person's value", statistic.name()),
            Says::new("finding-extreme-one", &[("statistic", statistic.name().to_string())]),
        )),
        S::Median | S::Percentile if evidence.persons_with_value > 0 => {
            match (evidence.persons_at_or_below, evidence.persons_at_or_above) {
                (Some(below), Some(above)) if below >= EXTREME_PERSONS && above >= EXTREME_PERSONS => {}
                (Some(below), Some(above)) => out.push(Finding::new(
                    Rule::Extreme,
                    Fail,
                    format!(
                        "{} at or below the value and {} at or above; {EXTREME_PERSONS} needed on each side",
                        persons(below),
                        persons(above)
                    ),
                    Says::new(
                        "finding-extreme-sides",
                        &[
                            ("below", below.to_string()),
                            ("above", above.to_string()),
                            ("needed", EXTREME_PERSONS.to_string()),
                        ],
                    ),
                )),
                _ => out.push(Finding::new(
                    Rule::Extreme,
                    Fail,
                    "the persons on each side of the value are not known".into(),
                    Says::new("finding-extreme-unknown", &[]),
                )),
            }
        }
        _ => {}
    }
    if statistic.counts_values() && evidence.persons_with_value >= 1 && evidence.distinct_values == 1 {
        out.push(Finding::new(
            Rule::AllValuesSame,
            Review,
            "every value is the same".into(),
            Says::new("finding-all-same", &[]),
        ));
    }
    out
}

/// The `full-cell` rule over one count column: `cells` are its cells as (group values, None
/// where a total stands; persons). A cell with persons holds its whole row or column when every
/// other cell of that line (same values in every other grouping column) has none, and the
/// column it varies in has other values elsewhere in the table, so the line's margin equals
/// it. Returns the cells (by position) with their review findings.
pub fn full_cells(names: &[&str], cells: &[(Vec<Option<&str>>, u64)]) -> Vec<(usize, Finding)> {
    let inner: Vec<usize> = (0..cells.len()).filter(|i| cells[*i].0.iter().all(Option::is_some)).collect();
    let dims = cells.first().map_or(0, |c| c.0.len());
    let mut out = Vec::new();
    for &i in &inner {
        let (key, persons) = &cells[i];
        if *persons == 0 {
            continue;
        }
        for k in 0..dims {
            let values: std::collections::BTreeSet<Option<&str>> = inner.iter().map(|j| cells[*j].0[k]).collect();
            if values.len() < 2 {
                continue;
            }
            let same_line = |j: &usize| (0..dims).all(|d| d == k || cells[*j].0[d] == key[d]);
            if inner.iter().filter(|j| **j != i && same_line(j)).all(|j| cells[*j].1 == 0) {
                let name = names.get(k).copied().unwrap_or("a grouping column");
                let line: Vec<String> = (0..dims)
                    .filter(|d| *d != k)
                    .map(|d| format!("{}={}", names.get(d).copied().unwrap_or("?"), key[d].unwrap_or("")))
                    .collect();
                let within = if line.is_empty() { String::new() } else { format!(" of {}", line.join(" ")) };
                out.push((
                    i,
                    Finding::new(
                        Rule::FullCell,
                        Severity::Review,
                        format!(
                            "all {persons} persons{within} are in this cell: no other {name} has any, so the cell says \
                             every one of them has this {name}"
                        ),
                        Says::new(
                            if line.is_empty() { "finding-full-cell" } else { "finding-full-cell-line" },
                            &[("persons", persons.to_string()), ("column", name.to_string()), ("line", line.join(" "))],
                        ),
                    ),
                ));
                break;
            }
        }
    }
    out
}

/// A table's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// No finding on a published cell.
    Pass,
    /// Review findings only.
    Review,
    /// A fail finding on a published cell.
    Fail,
    /// Rows, identifiers, or unknown lineage: nothing can be released.
    Refused,
}

impl Status {
    /// The status of a table whose published cells have `findings`.
    pub fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Status {
        findings.into_iter().fold(Status::Pass, |s, f| {
            let this = match (f.rule, f.severity) {
                (Rule::RowLevel | Rule::Identifier | Rule::UnknownLineage, _) => Status::Refused,
                (_, Severity::Fail) => Status::Fail,
                (_, Severity::Review) => Status::Review,
            };
            s.max(this)
        })
    }

    /// Whether an output with this status may go on to release (pass or review).
    pub fn may_be_released(self) -> bool {
        matches!(self, Status::Pass | Status::Review)
    }

    /// Parses its name.
    pub fn parse(s: &str) -> Option<Status> {
        [Status::Pass, Status::Review, Status::Fail, Status::Refused].into_iter().find(|x| x.name() == s)
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Review => "review",
            Status::Fail => "fail",
            Status::Refused => "refused",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_holding_its_whole_line_is_a_full_cell() {
        let names = ["sex", "region"];
        let c = |s: &'static str, r: &'static str, n: u64| (vec![Some(s), Some(r)], n);
        // Every person of Kochi is a woman, and every man lives in Tokyo; Tokyo has both.
        let cells = vec![c("F", "Kochi", 12), c("F", "Tokyo", 40), c("M", "Tokyo", 35), (vec![None, None], 87)];
        let found = full_cells(&names, &cells);
        assert_eq!(found.iter().map(|f| f.0).collect::<Vec<_>>(), vec![0, 2]);
        assert!(found[1].1.detail.starts_with("all 35 persons of sex=M are in this cell"), "{}", found[1].1.detail);
        assert!(
            found[0].1.detail.starts_with("all 12 persons of region=Kochi are in this cell"),
            "{}",
            found[0].1.detail
        );
        // A zero beside it counts as "no other"; a lone cell of a one-value column does not.
        let cells = vec![c("F", "Kochi", 12), c("M", "Kochi", 0)];
        assert_eq!(full_cells(&names, &cells).len(), 1);
        assert!(full_cells(&["n"], &[(vec![Some("all")], 300)]).is_empty());
        assert!(full_cells(&names, &[c("F", "Tokyo", 40), c("M", "Tokyo", 35)]).is_empty());
    }

    fn cell(persons: u64, top: &[f64], total_abs: f64) -> Evidence {
        Evidence {
            persons,
            persons_with_value: persons,
            total_abs,
            top: top.to_vec(),
            distinct_values: 2,
            ..Evidence::default()
        }
    }

    fn rules(findings: &[Finding]) -> Vec<&'static str> {
        findings.iter().map(|f| f.rule.name()).collect()
    }

    #[test]
    fn threshold_fails_strictly_below_and_reads_in_persons() {
        let p = Params::default();
        let nine = judge(Statistic::Count, &cell(9, &[2.0, 2.0], 20.0), &p);
        assert_eq!(rules(&nine), vec!["threshold"]);
        assert_eq!(nine[0].detail, "9 persons, fewer than 10");
        assert!(judge(Statistic::Count, &cell(10, &[2.0, 2.0], 20.0), &p).is_empty());
        // 14 prescriptions of 3 patients: 3 persons, not 14 rows.
        let rows = judge(Statistic::Count, &cell(3, &[6.0, 4.0, 4.0], 14.0), &p);
        assert!(rules(&rows).contains(&"threshold"));
    }

    #[test]
    fn dominance_is_per_person_at_equality_and_not_for_all_zero_cells() {
        let p = Params::default();
        // One patient with 8,000 of 8,600 over eight claims: 93% by one person.
        let mut e = cell(12, &[8000.0, 100.0, 50.0], 8600.0);
        let f = judge(Statistic::Sum, &e, &p);
        assert_eq!(rules(&f), vec!["nk-rule", "p-ratio"]);
        assert_eq!(f[0].detail, "the 2 largest contributors hold 94.2% of the total, 90% or more");
        // Exactly 90% fails (ACRO 1.0.2).
        e = cell(12, &[45.0, 45.0, 1.0], 100.0);
        assert!(rules(&judge(Statistic::Sum, &e, &p)).contains(&"nk-rule"));
        // An all-zero cell is not dominated and passes p%.
        e = cell(12, &[0.0, 0.0], 0.0);
        assert!(judge(Statistic::Sum, &e, &p).is_empty());
        // A one-person cell with a value fails p% (and the threshold).
        e = cell(1, &[5.0], 5.0);
        assert_eq!(rules(&judge(Statistic::Sum, &e, &p)), vec!["threshold", "nk-rule", "p-ratio"]);
    }

    #[test]
    fn each_statistic_gets_its_rules() {
        let p = Params::default();
        let mut e = cell(10, &[1.0, 1.0], 10.0);
        e.persons_with_value = 10;
        // std needs 11 persons with a value by default.
        assert_eq!(rules(&judge(Statistic::Std, &e, &p)), vec!["dof"]);
        e.persons_with_value = 11;
        e.persons = 11;
        assert!(judge(Statistic::Var, &e, &p).is_empty());
        assert_eq!(rules(&judge(Statistic::Max, &e, &p)), vec!["extreme"]);
        assert_eq!(rules(&judge(Statistic::Median, &e, &p)), vec!["extreme"]);
        e.persons_at_or_below = Some(6);
        e.persons_at_or_above = Some(5);
        assert!(judge(Statistic::Median, &e, &p).is_empty());
        e.distinct_values = 1;
        assert_eq!(rules(&judge(Statistic::Mode, &e, &p)), vec!["all-values-same"]);
        e.negative = 2;
        e.missing = 3;
        let strict = Params { check_missing_values: true, ..Params::default() };
        assert_eq!(rules(&judge(Statistic::Mean, &e, &strict)), vec!["negative", "missing", "all-values-same"]);
        // A mean of 4 known values among 40 persons fails on #V.
        let sparse = Evidence { persons: 40, persons_with_value: 4, total_abs: 40.0, top: vec![10.0, 10.0], ..e };
        assert!(rules(&judge(Statistic::Mean, &sparse, &p)).contains(&"threshold"));
        // An empty cell.
        assert_eq!(rules(&judge(Statistic::Count, &Evidence::default(), &p)), vec!["zero"]);
        let lax = Params { zeros_are_disclosive: false, ..Params::default() };
        assert!(judge(Statistic::Count, &Evidence::default(), &lax).is_empty());
    }

    #[test]
    fn statuses_and_parameters() {
        let fail = Finding::new(Rule::Threshold, Severity::Fail, String::new(), Says::new("", &[]));
        let review = Finding::new(Rule::Negative, Severity::Review, String::new(), Says::new("", &[]));
        let refused = Finding::new(Rule::RowLevel, Severity::Fail, String::new(), Says::new("", &[]));
        assert_eq!(Status::of([]), Status::Pass);
        assert_eq!(Status::of([&review]), Status::Review);
        assert_eq!(Status::of([&review, &fail]), Status::Fail);
        assert_eq!(Status::of([&fail, &refused]), Status::Refused);
        let p: Params = serde_json::from_str(r#"{"threshold": 5, "nk_k": 0.85}"#).unwrap();
        assert_eq!((p.threshold, p.nk_n, p.nk_k), (5, 2, 0.85));
        assert!(serde_json::from_str::<Params>(r#"{"treshold": 5}"#).is_err());
        assert!(Params { nk_n: 11, ..Params::default() }.check().is_err());
        assert_eq!(serde_json::to_string(&Rule::NkRule).unwrap(), "\"nk-rule\"");
        assert_eq!(Statistic::of_function("COUNT", true, true), Some(Statistic::CountPersons));
    }
}
