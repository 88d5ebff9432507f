//! The evidence rewrite: the persons behind every cell of any SQL, by rewriting the
//! DataFusion logical plan (see `EVIDENCE.md`).
//!
//! Below the query's final aggregate, every node is rewritten to carry one more column, last:
//! `__tre_person`, the pseudonym of the one person each row belongs to, traced from each
//! extract table's person column. Filters, sorts, limits and aliases pass it on; projections
//! keep it; a join keeps it when its condition matches the two sides' persons (or one side
//! has none, such as a code list); an inner aggregate or a window keeps it when grouped or
//! partitioned by the person. Anything that mixes persons in one row stops the trace, and the
//! result is classified `unknown-lineage` rather than passed.
//!
//! At the final aggregate, beside each of the query's aggregates, an evidence aggregate
//! ([`super::cell`]) is added: the same groups, the same rows, the same filter, in the same
//! node, so that the evidence describes exactly the published value. The nodes above the
//! aggregate (projections, HAVING, ORDER BY, LIMIT) pass the evidence columns on, after the
//! query's own.
//!
//! The rewrite runs on the plan as the SQL planner made it, before the optimizer, so that the
//! optimizer treats the evidence like any other aggregate (column pruning, push-downs).

use super::cell::{CellEvidence, Kind, Mode};
use super::persons::PersonIndex;
use super::sides::{SidesAt, SidesEvidence};
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::common::{Column, DFSchema, JoinType, Result as DfResult};
use datafusion::logical_expr::expr::{AggregateFunction, ScalarFunction};
use datafusion::logical_expr::utils::{grouping_set_to_exprlist, split_conjunction};
use datafusion::logical_expr::{
    AggregateUDF, Expr, LogicalPlan, Operator, Projection, ScalarUDF, SubqueryAlias, TableScanBuilder, lit,
    logical_plan::{Aggregate, Filter, Union},
};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// How the names of the columns the rewrite adds begin; the lockdown refuses names of the
/// query's own that begin so, which would clash with them or pass for them.
pub const RESERVED_PREFIX: &str = "__tre_";
/// The column that carries each row's person.
pub const PERSON: &str = "__tre_person";
const PERSON_RIGHT: &str = "__tre_person_right";
/// Evidence columns are named this, then the aggregate's position.
pub const EVIDENCE_PREFIX: &str = "__tre_evidence_";
/// The edges kept beside a percentile's evidence are named this, then its evidence's position.
const SIDES_PREFIX: &str = "__tre_sides_";

/// The extract's tables that hold persons: table name -> person column.
pub type PersonTables = HashMap<String, String>;

/// Why a result is row-level or of unknown lineage: a code, and the one thing it names (a
/// table, a function, a kind of plan, the planner's words) or nothing. The server words it in
/// the reader's language (its catalogue's `lineage-reason`); the runner has no words of its own.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reason {
    /// The code: `join-mixes`, `record-rows`, ...
    pub why: String,
    /// What it names, or empty.
    pub detail: String,
}

impl Reason {
    fn new(why: &str, detail: impl Into<String>) -> Reason {
        Reason { why: why.to_string(), detail: detail.into() }
    }

    fn of(why: &str) -> Reason {
        Reason::new(why, "")
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.detail.is_empty() { write!(f, "{}", self.why) } else { write!(f, "{} ({})", self.why, self.detail) }
    }
}

/// What the result is, for the gate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lineage {
    /// Aggregates whose persons are known: every cell has evidence.
    Aggregate,
    /// Rows of records, or one group per person, or identifiers in the output.
    RowLevel(Reason),
    /// The persons behind the cells could not be established.
    Unknown(Reason),
}

impl Lineage {
    /// Its name in results.
    pub fn name(&self) -> &'static str {
        match self {
            Lineage::Aggregate => "aggregate",
            Lineage::RowLevel(_) => "row-level",
            Lineage::Unknown(_) => "unknown-lineage",
        }
    }

    /// From its name and reason (as sent between processes: the reason's JSON).
    pub fn from_parts(name: &str, reason: Option<String>) -> Option<Lineage> {
        let reason =
            reason.map_or_else(|| Reason::of("none"), |r| serde_json::from_str(&r).unwrap_or(Reason::new("other", r)));
        match name {
            "aggregate" => Some(Lineage::Aggregate),
            "row-level" => Some(Lineage::RowLevel(reason)),
            "unknown-lineage" => Some(Lineage::Unknown(reason)),
            _ => None,
        }
    }

    /// Why, when not an aggregate.
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            Lineage::Aggregate => None,
            Lineage::RowLevel(r) | Lineage::Unknown(r) => Some(r),
        }
    }
}

/// One evidence column: the query's aggregates that share it (same contribution, same value,
/// same FILTER: `SUM(cost)` and `AVG(cost)` have the same persons and contributions).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Measure {
    /// The aggregate functions (count, sum, avg, min, ...).
    pub functions: Vec<String>,
    /// Whether any of them was DISTINCT.
    pub distinct: bool,
    /// Whether they aggregate the person column itself (COUNT(DISTINCT person) counts persons).
    #[serde(default)]
    pub of_person: bool,
}

/// One of the query's aggregates: its function and the measure whose evidence it has.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Aggregated {
    /// The function (count, sum, avg, min, ...).
    pub function: String,
    /// Whether it was DISTINCT.
    pub distinct: bool,
    /// Its measure (index into `measures`).
    pub measure: usize,
}

/// The rewritten plan and how to read its result.
#[derive(Debug, Clone)]
pub struct Rewritten {
    /// The plan to run.
    pub plan: LogicalPlan,
    /// What the result is.
    pub lineage: Lineage,
    /// How many of the result's columns are the query's own; evidence columns follow.
    pub visible: usize,
    /// The aggregates, in the order of the evidence columns.
    pub measures: Vec<Measure>,
    /// For each visible column, the aggregates (indices into `measures`) it is computed from.
    pub depends: Vec<Vec<usize>>,
    /// The query's aggregates, in the order of its SELECT.
    pub aggregates: Vec<Aggregated>,
    /// For each visible column, the aggregates (indices into `aggregates`) it is computed from.
    pub uses: Vec<Vec<usize>>,
    /// How the evidence keeps contributions.
    pub mode: Mode,
}

/// A plan that carries `__tre_person` as its last column (when `person`), and which of its
/// other columns identify persons (the person column itself, or computed from it).
struct Traced {
    plan: LogicalPlan,
    person: bool,
    identifying: BTreeSet<usize>,
    /// Columns equal to the person (the person column, renamed or not): only these can
    /// match persons in a join or make a group or window one person's.
    same: BTreeSet<usize>,
    /// Rows come in the order of the tables' person column (scans, filters, projections).
    ordered: bool,
}

type Lost = Reason;

fn df(e: datafusion::error::DataFusionError) -> Lost {
    Reason::new("plan", crate::errors::planning(&e))
}

/// The `__tre_person` column of a schema (or `name`).
fn column_named(schema: &DFSchema, name: &str) -> Result<Expr, Lost> {
    let (qualifier, _) = schema.qualified_field_with_unqualified_name(name).map_err(df)?;
    Ok(Expr::Column(Column::new(qualifier.cloned(), name)))
}

/// Every column of `plan` except the person columns, then `person` as `__tre_person`.
fn person_last(plan: LogicalPlan, person: Expr) -> Result<LogicalPlan, Lost> {
    let mut exprs: Vec<Expr> = plan
        .schema()
        .columns()
        .into_iter()
        .filter(|c| c.name != PERSON && c.name != PERSON_RIGHT)
        .map(Expr::Column)
        .collect();
    exprs.push(person.alias(PERSON));
    Ok(LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(plan)).map_err(df)?))
}

/// Indices of `input`'s columns that `expr` refers to.
fn refs(expr: &Expr, input: &DFSchema) -> BTreeSet<usize> {
    expr.column_refs().into_iter().filter_map(|c| input.index_of_column(c).ok()).collect()
}

fn trace(plan: &LogicalPlan, tables: &PersonTables) -> Result<Traced, Lost> {
    let unchanged = || Traced {
        plan: plan.clone(),
        person: false,
        identifying: BTreeSet::new(),
        same: BTreeSet::new(),
        ordered: true,
    };
    match plan {
        LogicalPlan::TableScan(scan) => {
            let Some(person) = tables.get(scan.table_name.table()) else { return Ok(unchanged()) };
            let source_schema = scan.source.schema();
            let index =
                source_schema.index_of(person).map_err(|_| Reason::new("no-person-column", scan.table_name.table()))?;
            let shown = scan.projection.clone().unwrap_or_else(|| (0..source_schema.fields().len()).collect());
            let mut wanted = shown.clone();
            if !wanted.contains(&index) {
                wanted.push(index);
            }
            let widened = TableScanBuilder::new(scan.table_name.clone(), scan.source.clone())
                .with_projection(Some(wanted.clone()))
                .with_filters(scan.filters.clone())
                .with_fetch(scan.fetch)
                .with_statistics_requests(scan.statistics_requests.clone())
                .build()
                .map_err(df)?;
            let schema = widened.projected_schema.clone();
            let mut exprs: Vec<Expr> =
                (0..shown.len()).map(|i| Expr::Column(Column::from(schema.qualified_field(i)))).collect();
            let at = wanted.iter().position(|i| *i == index).unwrap_or(0);
            exprs.push(Expr::Column(Column::from(schema.qualified_field(at))).alias(PERSON));
            let identifying: BTreeSet<usize> = shown.iter().position(|i| *i == index).into_iter().collect();
            let same = identifying.clone();
            let plan = LogicalPlan::Projection(
                Projection::try_new(exprs, Arc::new(LogicalPlan::TableScan(widened))).map_err(df)?,
            );
            Ok(Traced { plan, person: true, identifying, same, ordered: true })
        }
        LogicalPlan::Projection(p) => {
            let t = trace(&p.input, tables)?;
            if !t.person {
                return Ok(unchanged());
            }
            let input_schema = t.plan.schema().clone();
            let mut identifying = BTreeSet::new();
            let mut same = BTreeSet::new();
            for (i, e) in p.expr.iter().enumerate() {
                if refs(e, &input_schema).iter().any(|r| t.identifying.contains(r)) {
                    identifying.insert(i);
                }
                if let Expr::Column(c) = e.clone().unalias()
                    && input_schema.index_of_column(&c).is_ok_and(|r| t.same.contains(&r))
                {
                    same.insert(i);
                }
            }
            let mut exprs = p.expr.clone();
            exprs.push(column_named(&input_schema, PERSON)?);
            let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(t.plan)).map_err(df)?);
            Ok(Traced { plan, person: true, identifying, same, ordered: t.ordered })
        }
        LogicalPlan::Filter(f) => {
            let t = trace(&f.input, tables)?;
            if !t.person {
                return Ok(unchanged());
            }
            let plan = LogicalPlan::Filter(Filter::try_new(f.predicate.clone(), Arc::new(t.plan)).map_err(df)?);
            Ok(Traced { plan, ..t })
        }
        LogicalPlan::Sort(_) | LogicalPlan::Limit(_) | LogicalPlan::Repartition(_) => {
            let input = plan.inputs()[0];
            let t = trace(input, tables)?;
            if !t.person {
                return Ok(unchanged());
            }
            let plan = plan.with_new_exprs(plan.expressions(), vec![t.plan]).map_err(df)?;
            // A limit keeps the order; a sort or a repartition makes another.
            let ordered = t.ordered && matches!(plan, LogicalPlan::Limit(_));
            Ok(Traced { plan, ordered, ..t })
        }
        LogicalPlan::SubqueryAlias(s) => {
            let t = trace(&s.input, tables)?;
            if !t.person {
                return Ok(unchanged());
            }
            let plan =
                LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(Arc::new(t.plan), s.alias.clone()).map_err(df)?);
            Ok(Traced { plan, ..t })
        }
        LogicalPlan::Join(j) => {
            let left = trace(&j.left, tables)?;
            let right = trace(&j.right, tables)?;
            if !left.person && !right.person {
                return Ok(unchanged());
            }
            let left_width = j.left.schema().fields().len();
            // Equalities between the sides: the equi-join keys, and (before the optimizer moves
            // them there) the equalities of the join's condition.
            let mut pairs: Vec<(Expr, Expr)> = j.on.clone();
            if let Some(filter) = &j.filter {
                for conjunct in split_conjunction(filter) {
                    if let Expr::BinaryExpr(b) = conjunct
                        && b.op == Operator::Eq
                    {
                        pairs.push(((*b.left).clone(), (*b.right).clone()));
                        pairs.push(((*b.right).clone(), (*b.left).clone()));
                    }
                }
            }
            // Only a column equal to the person matches persons: `a.person_id + 1 = b.person_id`
            // joins two different persons.
            let only = |e: &Expr, schema: &DFSchema, same: &BTreeSet<usize>| {
                let r = refs(e, schema);
                matches!(e, Expr::Column(_)) && r.len() == 1 && r.iter().all(|i| same.contains(i))
            };
            let matched = pairs
                .iter()
                .any(|(l, r)| only(l, left.plan.schema(), &left.same) && only(r, right.plan.schema(), &right.same));
            let (keeps_left, keeps_right) = match j.join_type {
                JoinType::LeftSemi | JoinType::LeftAnti | JoinType::LeftMark => (true, false),
                JoinType::RightSemi | JoinType::RightAnti | JoinType::RightMark => (false, true),
                _ => (true, true),
            };
            let mixes = keeps_left && keeps_right && left.person && right.person && !matched;
            if mixes {
                return Err(Reason::of("join-mixes"));
            }
            // The right side's person column is renamed so the two do not clash.
            let right_plan = if right.person {
                let exprs: Vec<Expr> = right
                    .plan
                    .schema()
                    .columns()
                    .into_iter()
                    .map(|c| if c.name == PERSON { Expr::Column(c).alias(PERSON_RIGHT) } else { Expr::Column(c) })
                    .collect();
                LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(right.plan)).map_err(df)?)
            } else {
                right.plan
            };
            let joined = plan.with_new_exprs(plan.expressions(), vec![left.plan, right_plan]).map_err(df)?;
            let schema = joined.schema().clone();
            let left_person = if keeps_left && left.person { Some(column_named(&schema, PERSON)?) } else { None };
            let right_person =
                if keeps_right && right.person { Some(column_named(&schema, PERSON_RIGHT)?) } else { None };
            let person = match (left_person, right_person, j.join_type) {
                (None, None, _) => {
                    // The side with persons is not in the output (a semi or anti join).
                    let exprs: Vec<Expr> = schema
                        .columns()
                        .into_iter()
                        .filter(|c| c.name != PERSON && c.name != PERSON_RIGHT)
                        .map(Expr::Column)
                        .collect();
                    let plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(joined)).map_err(df)?);
                    return Ok(Traced {
                        plan,
                        person: false,
                        identifying: BTreeSet::new(),
                        same: BTreeSet::new(),
                        ordered: true,
                    });
                }
                (Some(l), None, _) => l,
                (None, Some(r), _) => r,
                (Some(l), Some(r), JoinType::Right) => {
                    let _ = l;
                    r
                }
                (Some(l), Some(r), JoinType::Full) => datafusion::functions::core::expr_fn::coalesce(vec![l, r]),
                (Some(l), Some(_), _) => l,
            };
            let mut identifying: BTreeSet<usize> = if keeps_left { left.identifying.clone() } else { BTreeSet::new() };
            let mut same: BTreeSet<usize> = if keeps_left { left.same.clone() } else { BTreeSet::new() };
            if keeps_right {
                let offset = if keeps_left { left_width } else { 0 };
                identifying.extend(right.identifying.iter().map(|i| i + offset));
                // The right side's person column is the row's person when the sides are matched
                // on persons, or when the left side has none.
                if matched || !keeps_left || !left.person {
                    same.extend(right.same.iter().map(|i| i + offset));
                }
            }
            let plan = person_last(joined, person)?;
            Ok(Traced { plan, person: true, identifying, same, ordered: false })
        }
        LogicalPlan::Aggregate(a) => {
            let t = trace(&a.input, tables)?;
            if !t.person {
                return Ok(unchanged());
            }
            let input_schema = t.plan.schema().clone();
            let groups = grouping_set_to_exprlist(&a.group_expr).map_err(df)?;
            let is_same =
                |g: &Expr| matches!(g, Expr::Column(_)) && refs(g, &input_schema).iter().any(|r| t.same.contains(r));
            let grouped_by_person =
                !a.group_expr.iter().any(|g| matches!(g, Expr::GroupingSet(_))) && a.group_expr.iter().any(is_same);
            if !grouped_by_person {
                return Err(Reason::of("aggregate-many"));
            }
            let identifying: BTreeSet<usize> = groups
                .iter()
                .enumerate()
                .filter(|(_, g)| refs(g, &input_schema).iter().any(|r| t.identifying.contains(r)))
                .map(|(i, _)| i)
                .collect();
            let same: BTreeSet<usize> = groups.iter().enumerate().filter(|(_, g)| is_same(g)).map(|(i, _)| i).collect();
            let mut group_expr = a.group_expr.clone();
            group_expr.push(column_named(&input_schema, PERSON)?);
            let aggregated = LogicalPlan::Aggregate(
                Aggregate::try_new(Arc::new(t.plan), group_expr, a.aggr_expr.clone()).map_err(df)?,
            );
            let person = column_named(aggregated.schema(), PERSON)?;
            Ok(Traced { plan: person_last(aggregated, person)?, person: true, identifying, same, ordered: false })
        }
        LogicalPlan::Window(w) => {
            let t = trace(&w.input, tables)?;
            if !t.person {
                return Ok(unchanged());
            }
            let input_schema = t.plan.schema().clone();
            let per_person =
                w.window_expr.iter().all(|e| match e.clone().unalias() {
                    Expr::WindowFunction(f) => f.params.partition_by.iter().any(|p| {
                        matches!(p, Expr::Column(_)) && refs(p, &input_schema).iter().any(|r| t.same.contains(r))
                    }),
                    _ => false,
                });
            if !per_person {
                return Err(Reason::of("window-many"));
            }
            let windowed = plan.with_new_exprs(plan.expressions(), vec![t.plan]).map_err(df)?;
            let person = column_named(windowed.schema(), PERSON)?;
            Ok(Traced {
                plan: person_last(windowed, person)?,
                person: true,
                identifying: t.identifying,
                same: t.same,
                ordered: false,
            })
        }
        LogicalPlan::Union(u) => {
            let traced: Vec<Traced> = u.inputs.iter().map(|i| trace(i, tables)).collect::<Result<_, _>>()?;
            if traced.iter().all(|t| !t.person) {
                return Ok(unchanged());
            }
            if traced.iter().any(|t| !t.person) {
                return Err(Reason::of("union-mixed"));
            }
            // A column identifies if it does in any branch; it is the person only if in all.
            let mut identifying = traced[0].identifying.clone();
            let mut same = traced[0].same.clone();
            for t in &traced[1..] {
                identifying.extend(t.identifying.iter().cloned());
                same = same.intersection(&t.same).cloned().collect();
            }
            let inputs = traced.into_iter().map(|t| Arc::new(t.plan)).collect();
            let plan = LogicalPlan::Union(Union::try_new_with_loose_types(inputs).map_err(df)?);
            Ok(Traced { plan, person: true, identifying, same, ordered: false })
        }
        LogicalPlan::Distinct(_) => {
            let t = trace(plan.inputs()[0], tables)?;
            if !t.person {
                return Ok(unchanged());
            }
            Err(Reason::of("distinct-many"))
        }
        LogicalPlan::EmptyRelation(_) | LogicalPlan::Values(_) => Ok(unchanged()),
        other => Err(Reason::new("kind", other.display().to_string())),
    }
}

/// Why a window function over the query's cells cannot be traced (None for a ranking, whose
/// value is an order of cells, judged with the aggregates it orders by).
fn not_a_ranking(e: &Expr) -> Option<Reason> {
    const RANKINGS: [&str; 6] = ["row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile"];
    match e.clone().unalias() {
        Expr::WindowFunction(f) if RANKINGS.contains(&f.fun.name().to_lowercase().as_str()) => None,
        Expr::WindowFunction(f) => Some(Reason::new("window-mixes", f.fun.name())),
        _ => Some(Reason::of("window-untraceable")),
    }
}

/// The query's aggregates `e` is computed from, given those of each column of `below`.
fn uses_of(e: &Expr, below: &DFSchema, uses: &[Vec<usize>]) -> Vec<usize> {
    let mut d: BTreeSet<usize> = BTreeSet::new();
    for r in refs(e, below) {
        d.extend(uses.get(r).into_iter().flatten());
    }
    d.into_iter().collect()
}

/// Whether a value of `plan` (a column, a group, an aggregate's argument, a window's) comes
/// from a scalar subquery that reads persons' rows: that value is not the row's person's nor
/// the cell's, and no evidence says whose it is (`SUM((SELECT year_of_birth FROM person WHERE
/// person_id = 7))`, or the subquery shown beside the cells). Subqueries that only filter
/// rows or cells (WHERE, HAVING, a join's condition), or that read no person table (a code
/// list), are not values of persons.
fn takes_subquery_values(plan: &LogicalPlan, tables: &PersonTables) -> bool {
    // Its own subqueries included: a value of a code list's row can itself be a person's.
    let reads_persons = |sub: &LogicalPlan| {
        let mut reads = false;
        let walked = sub.apply_with_subqueries(|node| {
            reads |= matches!(node, LogicalPlan::TableScan(t) if tables.contains_key(t.table_name.table()));
            Ok(if reads { TreeNodeRecursion::Stop } else { TreeNodeRecursion::Continue })
        });
        reads || walked.is_err()
    };
    let of_persons =
        |e: &Expr| e.exists(|x| Ok(matches!(x, Expr::ScalarSubquery(q) if reads_persons(&q.subquery)))).unwrap_or(true);
    plan.exists(|node| {
        Ok(matches!(node, LogicalPlan::Projection(_) | LogicalPlan::Aggregate(_) | LogicalPlan::Window(_))
            && node.expressions().iter().any(of_persons))
    })
    .unwrap_or(true)
}

/// Whether any node of `plan` is an aggregate.
fn has_aggregate(plan: &LogicalPlan) -> bool {
    matches!(plan, LogicalPlan::Aggregate(_)) || plan.inputs().iter().any(|i| has_aggregate(i))
}

/// The aggregates whose value is one of the cell's values, whose facts count the persons on
/// each side of it ([`super::sides`]).
const PERCENTILES: [&str; 7] = [
    "median",
    "approx_median",
    "percentile_cont",
    "approx_percentile_cont",
    "approx_percentile_cont_with_weight",
    "percentile_disc",
    "quantile_cont",
];

/// What identifies an evidence column: its kind, value and FILTER, and for a percentile the
/// aggregate (each percentile's facts count the persons on each side of its own value).
type Key = (Kind, Expr, Option<Box<Expr>>, Option<usize>);

/// What evidence one of the query's aggregates needs.
struct Needed {
    /// Evidence aggregates with the same key are one column.
    key: Key,
    function: String,
    distinct: bool,
}

/// `count` counts values, everything else sums them; over the aggregate's first argument (or
/// each row), with its FILTER.
fn evidence_of(aggregate: &Expr, position: usize) -> Result<Needed, Lost> {
    let Expr::AggregateFunction(f) = aggregate.clone().unalias() else {
        return Err(Reason::of("aggregate-unreadable"));
    };
    let function = f.func.name().to_lowercase();
    let kind = if function == "count" { Kind::Count } else { Kind::Sum };
    let value = f.params.args.first().cloned().unwrap_or_else(|| lit(1i64));
    let percentile = PERCENTILES.contains(&function.as_str()).then_some(position);
    Ok(Needed { key: (kind, value, f.params.filter.clone(), percentile), function, distinct: f.params.distinct })
}

/// Right above the aggregate: each percentile's evidence gets the persons on each side of the
/// percentile's value, counted from the edges kept beside it; the edges' columns end there.
fn count_sides(aggregate: LogicalPlan, group_width: usize, sides: &[(usize, usize, Expr)]) -> DfResult<LogicalPlan> {
    let schema = aggregate.schema().clone();
    let column = |i: usize| Expr::Column(Column::from(schema.qualified_field(i)));
    let at = Arc::new(ScalarUDF::from(SidesAt::default()));
    let mut exprs = Vec::new();
    for (i, field) in schema.fields().iter().enumerate() {
        let name = field.name();
        if name.starts_with(SIDES_PREFIX) {
            continue;
        }
        let counted = sides.iter().find(|(m, _, _)| *name == format!("{EVIDENCE_PREFIX}{m}"));
        exprs.push(match counted {
            Some((m, position, _)) => {
                let edges = schema.index_of_column_by_name(None, &format!("{SIDES_PREFIX}{m}")).ok_or_else(|| {
                    datafusion::error::DataFusionError::Internal("the edges of a percentile are missing".into())
                })?;
                Expr::ScalarFunction(ScalarFunction::new_udf(
                    at.clone(),
                    vec![column(i), column(edges), column(group_width + position)],
                ))
                .alias(name)
            }
            None => column(i),
        });
    }
    Ok(LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(aggregate))?))
}

/// Rewrites `plan` so that its result carries the evidence of every cell, or says why it
/// cannot. The plan returned always computes the query's own result first. Evidence streams
/// when the rows reach the aggregate in person order and `streaming` allows it.
pub fn rewrite(
    plan: &LogicalPlan,
    tables: &PersonTables,
    index: &Arc<PersonIndex>,
    streaming: bool,
) -> DfResult<Rewritten> {
    let visible = plan.schema().fields().len();
    let plain = |lineage: Lineage| Rewritten {
        plan: plan.clone(),
        lineage,
        visible,
        measures: vec![],
        depends: vec![vec![]; visible],
        aggregates: vec![],
        uses: vec![vec![]; visible],
        mode: Mode::Entries,
    };
    // The nodes above the final aggregate, top first.
    let mut chain: Vec<&LogicalPlan> = Vec::new();
    let mut node = plan;
    while let LogicalPlan::Projection(_)
    | LogicalPlan::Filter(_)
    | LogicalPlan::Sort(_)
    | LogicalPlan::Limit(_)
    | LogicalPlan::SubqueryAlias(_)
    | LogicalPlan::Window(_) = node
    {
        if let LogicalPlan::Window(w) = node
            && let Some(reason) = w.window_expr.iter().find_map(not_a_ranking)
        {
            return Ok(plain(Lineage::Unknown(reason)));
        }
        chain.push(node);
        node = node.inputs()[0];
    }
    let LogicalPlan::Aggregate(aggregate) = node else {
        return Ok(plain(if has_aggregate(node) {
            Lineage::Unknown(Reason::of("combines"))
        } else {
            Lineage::RowLevel(Reason::of("record-rows"))
        }));
    };
    if takes_subquery_values(plan, tables) {
        return Ok(plain(Lineage::Unknown(Reason::of("subquery-value"))));
    }
    let traced = match trace(&aggregate.input, tables) {
        Ok(t) if t.person => t,
        Ok(_) => return Ok(plain(Lineage::Unknown(Reason::of("no-person-table")))),
        Err(reason) => return Ok(plain(Lineage::Unknown(reason))),
    };
    let mode = if streaming && traced.ordered { Mode::Streaming } else { Mode::Entries };
    let input_schema = traced.plan.schema().clone();
    let identifying = |e: &Expr| refs(e, &input_schema).iter().any(|r| traced.identifying.contains(r));
    let groups = grouping_set_to_exprlist(&aggregate.group_expr)?;
    if groups.iter().any(|g| identifying(g)) {
        return Ok(plain(Lineage::RowLevel(Reason::of("grouped-by-person"))));
    }
    let person = match column_named(&input_schema, PERSON) {
        Ok(p) => p,
        Err(reason) => return Ok(plain(Lineage::Unknown(reason))),
    };
    // One evidence aggregate per distinct (kind, value, filter), and one per percentile (with
    // the edges beside it); `measure_of[i]` is the one the query's aggregate i uses.
    let mut evidence: Vec<Expr> = Vec::new();
    let mut keys: Vec<Key> = Vec::new();
    // The edges kept beside each percentile's evidence: (measure, aggregate, expression).
    let mut sides: Vec<(usize, usize, Expr)> = Vec::new();
    let mut measures: Vec<Measure> = Vec::new();
    let mut aggregates: Vec<Aggregated> = Vec::new();
    let mut measure_of: Vec<usize> = Vec::new();
    for (position, a) in aggregate.aggr_expr.iter().enumerate() {
        if let Expr::AggregateFunction(f) = a.clone().unalias() {
            let name = f.func.name().to_lowercase();
            if name != "count" && f.params.args.iter().any(&identifying) {
                return Ok(plain(Lineage::RowLevel(Reason::new("shows-identifiers", name))));
            }
        }
        let Needed { key, function: name, distinct } = match evidence_of(a, position) {
            Ok(e) => e,
            Err(reason) => return Ok(plain(Lineage::Unknown(reason))),
        };
        let m = match keys.iter().position(|k| *k == key) {
            Some(m) => m,
            None => {
                let (kind, value, filter, percentile) = key.clone();
                let of_person = matches!(value, Expr::Column(_))
                    && refs(&value, &input_schema).iter().any(|r| traced.same.contains(r));
                let over = |udaf: AggregateUDF| {
                    Expr::AggregateFunction(AggregateFunction::new_udf(
                        Arc::new(udaf),
                        vec![person.clone(), value.clone()],
                        false,
                        filter.clone(),
                        vec![],
                        None,
                    ))
                };
                if let Some(position) = percentile {
                    let edges = over(AggregateUDF::from(SidesEvidence::new(index.clone())));
                    sides.push((keys.len(), position, edges.alias(format!("{SIDES_PREFIX}{}", keys.len()))));
                }
                let udaf = AggregateUDF::from(CellEvidence::new(kind, mode, index.clone()));
                evidence.push(over(udaf).alias(format!("{EVIDENCE_PREFIX}{}", keys.len())));
                keys.push(key);
                measures.push(Measure { functions: vec![], distinct: false, of_person });
                keys.len() - 1
            }
        };
        aggregates.push(Aggregated { function: name.clone(), distinct, measure: m });
        measures[m].functions.push(name);
        measures[m].distinct |= distinct;
        measure_of.push(m);
    }
    let mut aggr_expr = aggregate.aggr_expr.clone();
    aggr_expr.extend(evidence);
    aggr_expr.extend(sides.iter().map(|(_, _, e)| e.clone()));
    let group_width = aggregate.schema.fields().len() - aggregate.aggr_expr.len();
    let mut new_aggregate =
        LogicalPlan::Aggregate(Aggregate::try_new(Arc::new(traced.plan), aggregate.group_expr.clone(), aggr_expr)?);
    if !sides.is_empty() {
        new_aggregate = count_sides(new_aggregate, group_width, &sides)?;
    }
    // What each output column depends on, and the evidence columns' names, going up.
    let mut uses: Vec<Vec<usize>> = (0..aggregate.schema.fields().len())
        .map(|i| if i < group_width { vec![] } else { vec![i - group_width] })
        .collect();
    let names: Vec<String> = (0..measures.len()).map(|i| format!("{EVIDENCE_PREFIX}{i}")).collect();
    let mut current = new_aggregate;
    for node in chain.iter().rev() {
        current = match node {
            LogicalPlan::Projection(p) => {
                let below = current.schema().clone();
                let mut next_uses = Vec::new();
                for e in &p.expr {
                    next_uses.push(uses_of(e, &below, &uses));
                }
                uses = next_uses;
                let mut exprs = p.expr.clone();
                for name in &names {
                    match column_named(&below, name) {
                        Ok(c) => exprs.push(c),
                        Err(reason) => return Ok(plain(Lineage::Unknown(reason))),
                    }
                }
                LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(current))?)
            }
            LogicalPlan::SubqueryAlias(s) => {
                LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(Arc::new(current), s.alias.clone())?)
            }
            LogicalPlan::Window(w) => {
                // A ranking over the cells: each rank is computed from the aggregates it orders
                // by, and judged with them. The window's columns follow all of its input's.
                let below = current.schema().clone();
                uses.resize(below.fields().len(), vec![]);
                for e in &w.window_expr {
                    let u = uses_of(e, &below, &uses);
                    uses.push(u);
                }
                node.with_new_exprs(node.expressions(), vec![current])?
            }
            other => other.with_new_exprs(other.expressions(), vec![current])?,
        };
    }
    uses.truncate(visible);
    // Groups shown without an aggregate of them (GROUP BY alone, or aggregates only in HAVING
    // or ORDER BY): no cell would be judged, and the persons behind each group, one alone
    // perhaps, would go out unjudged with its label.
    if uses.iter().all(|u| u.is_empty()) {
        return Ok(plain(Lineage::Unknown(Reason::of("no-statistic"))));
    }
    let depends = uses
        .iter()
        .map(|u| u.iter().map(|a| measure_of[*a]).collect::<BTreeSet<usize>>().into_iter().collect())
        .collect();
    Ok(Rewritten { plan: current, lineage: Lineage::Aggregate, visible, measures, depends, aggregates, uses, mode })
}
