//! Date arithmetic in whole days, as integer arithmetic.
//!
//! Cohort SQL is full of windows in days: "B within 90 days after A" is
//! `b.start <= a.start + INTERVAL '90 days'`. Arrow adds an interval to a date one value at a
//! time through a calendar (months first, then days), and in a self-join that expression is
//! computed for every candidate pair: on the benchmark's cohort (4.15 million pairs) it took a
//! third of the query's time. A date is a count of days, so adding whole days is adding an
//! integer. [`WholeDays`] is an optimizer rule that rewrites `date ± INTERVAL 'n days'` (and
//! `INTERVAL 'n days' + date`), for a `DATE` and an interval of days only (no months, no time
//! of day), into `CAST(CAST(date AS BIGINT) ± n AS DATE)`.
//!
//! The answer is the same value. The sum is taken in 64 bits, so it cannot wrap: a date past
//! what `DATE` holds fails the cast back with an error instead of turning into another date.
//! Names of rewritten expressions are kept, so plans and result columns read as the analyst
//! wrote them.

use arrow::datatypes::DataType;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, DFSchemaRef, Result, ScalarValue};
use datafusion::logical_expr::expr::Cast;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{BinaryExpr, Expr, ExprSchemable, LogicalPlan, Operator, lit};
use datafusion::optimizer::optimizer::ApplyOrder;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};
use std::sync::Arc;

/// The optimizer rule (see the module's words).
#[derive(Debug, Default)]
pub struct WholeDays;

impl OptimizerRule for WholeDays {
    fn name(&self) -> &str {
        "tre_whole_days"
    }

    fn apply_order(&self) -> Option<ApplyOrder> {
        Some(ApplyOrder::BottomUp)
    }

    fn supports_rewrite(&self) -> bool {
        true
    }

    fn rewrite(&self, plan: LogicalPlan, _config: &dyn OptimizerConfig) -> Result<Transformed<LogicalPlan>> {
        // Expressions of a node refer to its inputs' columns; a scan's pushed-down filters to
        // its table's.
        let schema: DFSchemaRef = match &plan {
            LogicalPlan::TableScan(scan) => {
                Arc::new(DFSchema::try_from_qualified_schema(scan.table_name.clone(), &scan.source.schema())?)
            }
            _ => Arc::new(merge_schema(&plan.inputs())),
        };
        let names = NamePreserver::new(&plan);
        let mut rewrite = |expr: Expr| {
            let name = names.save(&expr);
            let out = expr.transform_up(|e| whole_days(e, &schema))?;
            Ok(if out.transformed { Transformed::yes(name.restore(out.data)) } else { out })
        };
        plan.map_expressions(|expr| match expr {
            // A grouping set is not a value and has no name of its own: rewrite its members.
            Expr::GroupingSet(_) => expr.map_children(&mut rewrite),
            _ => rewrite(expr),
        })
    }
}

/// `expr` as integer arithmetic when it is a `DATE` plus or minus whole days.
fn whole_days(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &expr else {
        return Ok(Transformed::no(expr));
    };
    let (date, days, op) = match (op, days_of(left), days_of(right)) {
        (Operator::Plus | Operator::Minus, None, Some(days)) => (left, days, *op),
        (Operator::Plus, Some(days), None) => (right, days, Operator::Plus),
        _ => return Ok(Transformed::no(expr)),
    };
    if !matches!(date.get_type(schema), Ok(DataType::Date32)) {
        return Ok(Transformed::no(expr));
    }
    let as_days = Expr::Cast(Cast::new(date.clone(), DataType::Int64));
    let sum = Expr::BinaryExpr(BinaryExpr::new(Box::new(as_days), op, Box::new(lit(i64::from(days)))));
    Ok(Transformed::yes(Expr::Cast(Cast::new(Box::new(sum), DataType::Date32))))
}

/// The number of days of an interval literal that is whole days only.
fn days_of(expr: &Expr) -> Option<i32> {
    match expr {
        Expr::Literal(ScalarValue::IntervalMonthDayNano(Some(v)), _) if v.months == 0 && v.nanoseconds == 0 => {
            Some(v.days)
        }
        Expr::Literal(ScalarValue::IntervalDayTime(Some(v)), _) if v.milliseconds == 0 => Some(v.days),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Date32Array, Int64Array, RecordBatch};
    use arrow::datatypes::{Field, Schema};
    use arrow::util::pretty::pretty_format_batches;
    use datafusion::datasource::MemTable;
    use datafusion::execution::SessionStateBuilder;
    use datafusion::prelude::{SessionConfig, SessionContext};

    /// Two contexts over the same tables, one with the rule: `t(id, d, e)`, with a missing
    /// date, and `far(d)`, a day 47 days before the last one `DATE` holds.
    fn contexts() -> (SessionContext, SessionContext) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("d", DataType::Date32, true),
            Field::new("e", DataType::Date32, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5])),
                Arc::new(Date32Array::from(vec![Some(19_723), Some(19_800), None, Some(-400), Some(19_900)])),
                Arc::new(Date32Array::from(vec![Some(19_750), Some(19_950), Some(19_000), Some(-380), None])),
            ],
        )
        .unwrap();
        let far_schema = Arc::new(Schema::new(vec![Field::new("d", DataType::Date32, false)]));
        let make = |rule: bool| {
            let mut builder = SessionStateBuilder::new().with_config(SessionConfig::new()).with_default_features();
            if rule {
                builder = builder.with_optimizer_rule(Arc::new(WholeDays));
            }
            let ctx = SessionContext::new_with_state(builder.build());
            let table = MemTable::try_new(schema.clone(), vec![vec![batch.clone()]]).unwrap();
            ctx.register_table("t", Arc::new(table)).unwrap();
            let far = RecordBatch::try_new(far_schema.clone(), vec![Arc::new(Date32Array::from(vec![i32::MAX - 47]))]);
            let far = MemTable::try_new(far_schema.clone(), vec![vec![far.unwrap()]]).unwrap();
            ctx.register_table("far", Arc::new(far)).unwrap();
            ctx
        };
        (make(false), make(true))
    }

    async fn run(ctx: &SessionContext, sql: &str) -> Result<String> {
        let batches = ctx.sql(sql).await?.collect().await?;
        Ok(pretty_format_batches(&batches)?.to_string())
    }

    /// Whether the optimized plan of `sql` adds days as integers (the names it keeps still
    /// speak of the interval).
    async fn rewritten(ctx: &SessionContext, sql: &str) -> bool {
        let plan = ctx.sql(sql).await.unwrap().into_optimized_plan().unwrap().display_indent().to_string();
        plan.contains(" + Int64(") || plan.contains(" - Int64(")
    }

    /// Each query gives the same answer, column names included, with the rule as without;
    /// and the rule rewrote it, or left it alone, as `rewrites` says.
    async fn same_answers(queries: &[&str], rewrites: bool) {
        let (calendar, integer) = contexts();
        for sql in queries {
            let expected = run(&calendar, sql).await.unwrap();
            assert_eq!(run(&integer, sql).await.unwrap(), expected, "{sql}");
            assert_eq!(rewritten(&integer, sql).await, rewrites, "{sql}");
            assert!(!rewritten(&calendar, sql).await, "{sql}");
        }
    }

    #[tokio::test]
    async fn whole_days_give_the_same_answers_and_names_as_calendar_arithmetic() {
        let queries = [
            "SELECT id, d + INTERVAL '90 days' FROM t ORDER BY id",
            "SELECT id, INTERVAL '30 days' + d AS later, d - INTERVAL '1 day' AS before FROM t ORDER BY id",
            "SELECT id, d + INTERVAL '-45 days' AS x FROM t ORDER BY id",
            "SELECT COUNT(*) AS n FROM t WHERE e <= d + INTERVAL '90 days' AND e > d",
            "SELECT a.id, b.id FROM t a JOIN t b ON a.id <> b.id AND b.e > a.d \
             AND b.e <= a.d + INTERVAL '200 days' ORDER BY 1, 2",
            "SELECT d + INTERVAL '7 days', COUNT(*) FROM t GROUP BY d + INTERVAL '7 days' ORDER BY 1",
            "SELECT d + INTERVAL '7 days' AS w, COUNT(*) FROM t GROUP BY GROUPING SETS ((d + INTERVAL '7 days'), ()) \
             ORDER BY 1",
            "SELECT MAX(d + INTERVAL '10 days') FROM t",
            "SELECT id, MIN(d + INTERVAL '1 day') OVER (ORDER BY id) FROM t ORDER BY id",
        ];
        same_answers(&queries, true).await;
    }

    #[tokio::test]
    async fn other_intervals_and_types_keep_calendar_arithmetic() {
        // Months depend on the calendar; a timestamp is not a count of days.
        let queries = [
            "SELECT id, d + INTERVAL '1 month' FROM t ORDER BY id",
            "SELECT id, d + INTERVAL '1 month 2 days' FROM t ORDER BY id",
            "SELECT id, CAST(d AS TIMESTAMP) + INTERVAL '2 days' FROM t ORDER BY id",
        ];
        same_answers(&queries, false).await;
    }

    #[tokio::test]
    async fn a_date_past_the_range_fails_rather_than_wraps() {
        let (_, integer) = contexts();
        for sql in ["SELECT d + INTERVAL '90 days' FROM far", "SELECT d - INTERVAL '-48 days' FROM far"] {
            assert!(rewritten(&integer, sql).await, "{sql}");
            assert!(integer.sql(sql).await.unwrap().collect().await.is_err(), "{sql}");
        }
        let last = integer.sql("SELECT d + INTERVAL '47 days' FROM far").await.unwrap().collect().await;
        assert!(last.is_ok(), "{last:?}");
    }
}
