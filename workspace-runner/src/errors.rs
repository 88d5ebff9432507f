//! What the analyst sees when a query fails: what went wrong and where in their SQL, never a
//! data value and never a storage path. Arrow and DataFusion error texts quote the failing
//! value (casts, overflow, regular expressions, dates), and reading errors name files; so
//! execution errors are replaced by a description of their kind, and planning errors (which
//! only speak of the analyst's own SQL and the tables' names) are kept but scrubbed of paths.

use datafusion::error::DataFusionError;

/// The parser's message, which quotes only the analyst's own SQL and gives the position.
pub fn parser_message(e: &DataFusionError) -> String {
    let text = match e.find_root() {
        DataFusionError::SQL(p, _) => p.to_string(),
        other => other.to_string(),
    };
    let text = text.trim_start_matches("sql parser error: ").to_string();
    format!("syntax error: {}", scrub_paths(&text))
}

/// Replaces anything that looks like a path or a URL.
pub fn scrub_paths(text: &str) -> String {
    text.split(' ')
        .map(|word| {
            let bare = word.trim_matches(|c: char| matches!(c, '\'' | '"' | '`' | '(' | ')' | ',' | '.' | ':'));
            if bare.contains("://") || (bare.starts_with('/') && bare.len() > 1) || bare.contains(".parquet") {
                "[path]"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a planning error may be shown (scrubbed): these speak of tables, columns, types
/// and functions, all named in the analyst's own SQL or the extract's schema.
fn is_planning(e: &DataFusionError) -> bool {
    matches!(e, DataFusionError::Plan(_) | DataFusionError::SchemaError(..) | DataFusionError::NotImplemented(_))
}

/// The message for an error raised while planning a query.
pub fn planning(e: &DataFusionError) -> String {
    let root = e.find_root();
    match root {
        DataFusionError::SQL(..) => parser_message(root),
        _ if is_planning(root) => {
            let text = root.to_string();
            let text = text
                .trim_start_matches("Error during planning: ")
                .trim_start_matches("Schema error: ")
                .trim_start_matches("This feature is not implemented: ");
            // These words are followed by DataFusion's dump of the expression.
            if let Some(dump) = text.strip_prefix("Physical plan does not support logical expression") {
                return if dump.contains("Subquery") || dump.contains("Exists") {
                    "a subquery cannot be used in this place (use it in WHERE, or write it as a join)".into()
                } else {
                    "an expression of the query cannot run in this place".into()
                };
            }
            if text.starts_with("GetFieldAccess not supported") {
                return "this access to a field cannot run (use get_field on a struct)".into();
            }
            // Planning can fold constants from the analyst's SQL; those are their own values,
            // but keep the message to its first line.
            scrub_paths(text.lines().next().unwrap_or("the query could not be planned"))
        }
        _ => running(e),
    }
}

/// The columns the query casts explicitly, with the types they are cast to, for naming the
/// column (never the value) when a cast fails.
pub fn casts_in(plan: &datafusion::logical_expr::LogicalPlan) -> Vec<(String, String)> {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::logical_expr::Expr;
    let mut found: Vec<(String, String)> = Vec::new();
    let _ = plan.apply(|node| {
        for e in node.expressions() {
            let _ = e.apply(|x| {
                if let Expr::Cast(c) = x {
                    for col in c.expr.column_refs() {
                        let entry = (col.name.clone(), c.field.data_type().to_string());
                        if !found.contains(&entry) {
                            found.push(entry);
                        }
                    }
                }
                Ok(TreeNodeRecursion::Continue)
            });
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}

/// The message for a failed run of `plan`: a failed cast names the columns the query casts
/// (never the value), a decimal that does not fit the columns cast to a decimal type;
/// everything else as [`running`].
pub fn running_in(e: &DataFusionError, plan: &datafusion::logical_expr::LogicalPlan) -> String {
    use arrow::error::ArrowError as A;
    let casts = match e.find_root() {
        DataFusionError::ArrowError(a, _) => match a.as_ref() {
            A::CastError(m) if m == FORMAT_ERROR => vec![],
            A::CastError(_) | A::ParseError(_) => casts_in(plan),
            A::InvalidArgumentError(m) if is_decimal_overflow(m) => {
                casts_in(plan).into_iter().filter(|(_, t)| t.starts_with("Decimal")).collect()
            }
            _ => vec![],
        },
        _ => vec![],
    };
    if casts.is_empty() {
        return running(e);
    }
    let named: Vec<String> = casts.iter().map(|(c, t)| format!("{c} (to {t})")).collect();
    format!(
        "a value could not be converted in {} {} (use TRY_CAST to get NULL instead)",
        if named.len() == 1 { "column" } else { "one of the columns" },
        named.join(", ")
    )
}

/// Arrow's words when a value cannot be written in the format asked for (`to_char`): not a
/// conversion of the query's casts.
const FORMAT_ERROR: &str = "Format error";

/// Whether Arrow's invalid-argument text is a value too large or too small for a decimal
/// type (it quotes the value; the text is read, never shown).
fn is_decimal_overflow(m: &str) -> bool {
    m.contains(" to store in a Decimal")
}

/// A value outside what a function takes (a month of 13), however the function words it.
const OUT_OF_RANGE: &str = "a value is out of range for the function given it (a month of 13, a day of 32)";
/// A value past what its type holds, from an operator or a function.
const OVERFLOWED: &str = "a calculation overflowed its type (cast to a wider type first)";
/// A pattern that does not compile, from the planner, the regex crate or a function.
const INVALID_REGEX: &str = "a regular expression is invalid or too large";

/// What the functions' own errors mean, by how their texts begin (the texts go on to quote
/// the values, and are never shown): the beginnings are the functions' fixed words, so that
/// a value quoted later in a text cannot choose its kind.
const FUNCTION_ERRORS: &[(&[&str], &str)] = &[
    (
        &["Error parsing timestamp"],
        "a value could not be converted to a date or time (check the format, or use TRY_CAST)",
    ),
    (&["Unable to parse date from", "Unable to parse time from"], OUT_OF_RANGE),
    (&["Overflow happened on", "date_bin timestamp value"], OVERFLOWED),
    (
        &["Input range of", "cannot take square root of a negative", "factorial of a negative"],
        "a function was given a value outside its domain (the square root of a negative number)",
    ),
    (&["Failed to decode from"], "a value could not be decoded (it is not valid hex or base64)"),
    (&["invalid Unicode scalar value"], "a number is not the code of a character (chr)"),
    (
        &["negative count not allowed", "start position overflow", "overlay start position", "field position must"],
        "a function was given a position or length it cannot use (a negative length, a position before the start)",
    ),
];

/// The kind of a function's error text, when [`FUNCTION_ERRORS`] knows it.
fn function_error(text: &str) -> Option<&'static str> {
    let text = text.trim_start_matches("Execution error: ");
    FUNCTION_ERRORS.iter().find(|(starts, _)| starts.iter().any(|s| text.starts_with(s))).map(|(_, says)| *says)
}

/// The message for an error raised while running a query: its kind only.
pub fn running(e: &DataFusionError) -> String {
    use arrow::error::ArrowError as A;
    match e.find_root() {
        DataFusionError::ResourcesExhausted(_) => {
            "the query needs more memory or temporary disk than this workspace allows; aggregate earlier or select fewer columns".into()
        }
        DataFusionError::ArrowError(a, _) => match a.as_ref() {
            A::CastError(m) if m == FORMAT_ERROR => {
                "a value could not be written in the format the query gives (check the format of to_char)".into()
            }
            A::CastError(_) | A::ParseError(_) => {
                "a value could not be converted to the type the query asks for (use TRY_CAST to get NULL instead)".into()
            }
            A::ArithmeticOverflow(_) => OVERFLOWED.into(),
            A::DivideByZero => "a division by zero (use NULLIF(divisor, 0))".into(),
            A::ComputeError(m) if m.to_lowercase().contains("regular expression") || m.contains("regex") => {
                INVALID_REGEX.into()
            }
            A::ComputeError(m) => function_error(m).unwrap_or("a function could not compute a value").into(),
            A::InvalidArgumentError(m) if is_decimal_overflow(m) => {
                "a value does not fit the decimal type it is given (widen its precision, or use TRY_CAST)".into()
            }
            A::MemoryError(_) => "the query needs more memory than this workspace allows".into(),
            _ => "the query failed while running".into(),
        },
        DataFusionError::ParquetError(_) | DataFusionError::ObjectStore(_) | DataFusionError::IoError(_) => {
            "the extract could not be read; tell the data custodian".into()
        }
        DataFusionError::Execution(m) if m.contains("cancel") => "the query was cancelled".into(),
        // Functions quote the text or number they could not use.
        DataFusionError::Execution(m) if let Some(says) = function_error(m) => says.into(),
        DataFusionError::Execution(m) if m.contains("out of range") => {
            OUT_OF_RANGE.into()
        }
        root if is_planning(root) => planning(root),
        // A pattern that does not compile, as the regex crate raised it (an external error,
        // under the planner's "Invalid regex" when it folds a constant) or as DataFusion words
        // it: the kind read from the whole chain's text, which is never shown. Last, so that a
        // value quoted in another error cannot make it look like one.
        _ if e.to_string().to_lowercase().contains("regex") => INVALID_REGEX.into(),
        _ => "the query failed while running".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_function_error_is_named_by_its_fixed_words_only() {
        let says = |m: &str| running(&DataFusionError::Execution(m.into()));
        assert!(says("Overflow happened on FACTORIAL(1971)").contains("overflowed"));
        assert!(says("Failed to decode from hex: Invalid character 'K' at position 0").contains("decoded"));
        // A value quoted after other words does not choose the kind, and is never shown.
        let quoted = says("Date part 'Overflow happened on' not supported");
        assert_eq!(quoted, "the query failed while running");
        let wrapped = DataFusionError::ArrowError(
            Box::new(arrow::error::ArrowError::ComputeError(
                "Execution error: cannot take square root of a negative number".into(),
            )),
            None,
        );
        assert!(running(&wrapped).contains("outside its domain"));
    }

    #[test]
    fn paths_are_scrubbed() {
        assert_eq!(
            scrub_paths("table at '/srv/tre/extracts/p1/drug_exposure.parquet' not found"),
            "table at [path] not found"
        );
        assert_eq!(scrub_paths("file s3://bucket/x missing"), "file [path] missing");
        assert_eq!(scrub_paths("No field named cost"), "No field named cost");
    }
}
