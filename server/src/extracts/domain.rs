//! The protocol an extract is built from, and its validation against the dataset's catalogue.
//! No I/O: the filter expressions are checked after DataFusion parses them.

use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::logical_expr::Expr;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What a project may have of one dataset version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Protocol {
    /// The dataset's name.
    pub dataset: String,
    /// Its version.
    pub version: i64,
    /// The tables and columns, with optional row filters.
    pub tables: Vec<TableSelection>,
    /// Only persons with a row in this table that matches this filter (the cohort).
    #[serde(default)]
    pub cohort: Option<Cohort>,
    /// Shift every date of a person by the same random number of days within ± this many.
    #[serde(default)]
    pub date_shift_days: u32,
    /// Year of birth becomes the first year of its 5-year band.
    #[serde(default)]
    pub birth_year_bands: bool,
    /// Text columns whose rare values (held by fewer persons than a threshold, counted in the
    /// extract) become "other".
    #[serde(default)]
    pub rare_categories: Vec<RareCategories>,
}

/// Merging a text column's rare values into "other".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RareCategories {
    /// The table.
    pub table: String,
    /// The text column.
    pub column: String,
    /// Values held by fewer persons than this become "other".
    pub min_persons: u64,
}

/// One table of the protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSelection {
    /// The table.
    pub table: String,
    /// Its columns to keep (the person column is always kept, as pseudonyms).
    pub columns: Vec<String>,
    /// An SQL condition on the table's columns that rows must meet.
    #[serde(default)]
    pub filter: Option<String>,
}

/// The cohort: persons with a matching row in a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cohort {
    /// The table.
    pub table: String,
    /// The SQL condition.
    pub filter: String,
}

impl Protocol {
    /// The canonical JSON text of the protocol (field order fixed by the struct).
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// SHA-256 of the canonical text, hex.
    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(self.canonical().as_bytes()))
    }

    /// Checks what does not need the catalogue: sizes, bounds, duplicates.
    pub fn check_shape(&self) -> Result<(), crate::i18n::Says> {
        if self.tables.is_empty() {
            return Err(crate::says!("extract-no-table"));
        }
        if self.date_shift_days > 365 {
            return Err(crate::says!("extract-date-shift"));
        }
        let mut seen = std::collections::HashSet::new();
        for t in &self.tables {
            if !seen.insert(&t.table) {
                return Err(crate::says!("extract-table-twice", table = t.table));
            }
            if t.columns.is_empty() {
                return Err(crate::says!("extract-no-column", table = t.table));
            }
            let mut cols = std::collections::HashSet::new();
            for c in &t.columns {
                if !cols.insert(c) {
                    return Err(crate::says!("extract-column-twice", table = t.table, column = c));
                }
            }
        }
        for filter in
            self.tables.iter().filter_map(|t| t.filter.as_ref()).chain(self.cohort.as_ref().map(|c| &c.filter))
        {
            if filter.len() > 2_000 {
                return Err(crate::says!("extract-filter-long"));
            }
        }
        Ok(())
    }
}

/// Functions a filter may call: plain computations on the row's own values. Nothing that reads
/// files, URLs or settings, nothing random, no aggregate, window or subquery.
const ALLOWED_FUNCTIONS: &[&str] = &[
    "abs",
    "ceil",
    "floor",
    "round",
    "trunc",
    "lower",
    "upper",
    "substr",
    "substring",
    "left",
    "right",
    "length",
    "char_length",
    "character_length",
    "trim",
    "btrim",
    "ltrim",
    "rtrim",
    "starts_with",
    "ends_with",
    "strpos",
    "coalesce",
    "nullif",
    "date_part",
    "date_trunc",
    "extract",
    "to_date",
    "make_date",
    "concat",
];

/// Checks a parsed filter: columns, literals, comparisons and boolean logic, and only the
/// allowed functions. `table` names the filter's table in the message.
pub fn check_filter(table: &str, expr: &Expr) -> Result<(), crate::i18n::Says> {
    let mut problem = None;
    let _ = expr.apply(|e| {
        let ok = match e {
            Expr::Column(_)
            | Expr::Literal(..)
            | Expr::BinaryExpr(_)
            | Expr::Like(_)
            | Expr::Not(_)
            | Expr::IsNull(_)
            | Expr::IsNotNull(_)
            | Expr::IsTrue(_)
            | Expr::IsFalse(_)
            | Expr::IsNotTrue(_)
            | Expr::IsNotFalse(_)
            | Expr::Negative(_)
            | Expr::Between(_)
            | Expr::Case(_)
            | Expr::Cast(_)
            | Expr::TryCast(_)
            | Expr::InList(_) => true,
            Expr::ScalarFunction(f) => {
                if ALLOWED_FUNCTIONS.contains(&f.name()) {
                    true
                } else {
                    problem = Some(crate::says!("extract-filter-function", table = table, function = f.name()));
                    return Ok(TreeNodeRecursion::Stop);
                }
            }
            _ => false,
        };
        if ok {
            Ok(TreeNodeRecursion::Continue)
        } else {
            problem = Some(crate::says!("extract-filter-shape", table = table));
            Ok(TreeNodeRecursion::Stop)
        }
    });
    problem.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::common::DFSchema;
    use datafusion::prelude::SessionContext;

    fn check(sql: &str, ok: bool) {
        let ctx = SessionContext::new();
        let schema = Schema::new(vec![
            Field::new("person_id", DataType::Int64, false),
            Field::new("drug_code", DataType::Utf8, false),
            Field::new("drug_exposure_start_date", DataType::Date32, false),
            Field::new("cost", DataType::Float64, true),
        ]);
        let df_schema = DFSchema::try_from(schema).unwrap();
        let result = ctx
            .parse_sql_expr(sql, &df_schema)
            .map_err(|e| e.to_string())
            .and_then(|e| check_filter("t", &e).map_err(|e| crate::i18n::en(&e)));
        assert_eq!(result.is_ok(), ok, "{sql}: {result:?}");
    }

    #[test]
    fn filters() {
        check("drug_code LIKE 'A10%'", true);
        check("drug_exposure_start_date >= DATE '2020-01-01' AND cost IS NOT NULL", true);
        check("upper(drug_code) IN ('A10BA02', 'A10BH01')", true);
        check("cost BETWEEN 0 AND 1000 OR NOT (drug_code = 'X')", true);
        check("nosuchcolumn = 1", false);
        check("drug_code = (SELECT 1)", false);
        check("random() < 0.5", false);
        check("sum(cost) > 0", false);
        check("1=1) UNION SELECT * FROM person --", false);
    }

    #[test]
    fn protocol_shape_and_hash() {
        let mut p = Protocol {
            dataset: "claims".into(),
            version: 1,
            tables: vec![TableSelection { table: "person".into(), columns: vec!["sex".into()], filter: None }],
            cohort: None,
            date_shift_days: 0,
            birth_year_bands: true,
            rare_categories: vec![],
        };
        assert!(p.check_shape().is_ok());
        let h = p.sha256();
        p.date_shift_days = 400;
        assert!(p.check_shape().is_err());
        p.date_shift_days = 30;
        assert_ne!(p.sha256(), h);
        p.tables.push(p.tables[0].clone());
        assert!(crate::i18n::en(&p.check_shape().unwrap_err()).contains("twice"));
        let parsed: Result<Protocol, _> = serde_json::from_str(r#"{"dataset":"x","version":1,"tables":[],"evil":1}"#);
        assert!(parsed.is_err());
    }
}
