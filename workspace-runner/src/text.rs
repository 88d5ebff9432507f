//! Results as JSON values and as a text table, for `tre query` and the workspace.

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type, UInt64Type};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use serde_json::Value;

/// Each row as JSON values: numbers as numbers, missing as null, everything else as text.
pub fn rows_json(batches: &[RecordBatch]) -> Vec<Vec<Value>> {
    let options = FormatOptions::default();
    let mut rows = Vec::new();
    for batch in batches {
        let columns: Vec<Vec<Value>> = batch.columns().iter().map(|c| column_json(c.as_ref(), &options)).collect();
        for r in 0..batch.num_rows() {
            rows.push(columns.iter().map(|c| c[r].clone()).collect());
        }
    }
    rows
}

fn column_json(array: &dyn Array, options: &FormatOptions) -> Vec<Value> {
    let t = array.data_type();
    let cast = |to: &DataType| arrow::compute::cast(&arrow::array::make_array(array.to_data()), to).ok();
    if t.is_signed_integer() {
        if let Some(a) = cast(&DataType::Int64) {
            return a.as_primitive::<Int64Type>().iter().map(|v| v.map(Value::from).unwrap_or(Value::Null)).collect();
        }
    } else if t.is_unsigned_integer() {
        if let Some(a) = cast(&DataType::UInt64) {
            return a.as_primitive::<UInt64Type>().iter().map(|v| v.map(Value::from).unwrap_or(Value::Null)).collect();
        }
    } else if t.is_floating() || matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..)) {
        if let Some(a) = cast(&DataType::Float64) {
            return a
                .as_primitive::<Float64Type>()
                .iter()
                .map(|v| v.and_then(serde_json::Number::from_f64).map(Value::Number).unwrap_or(Value::Null))
                .collect();
        }
    } else if *t == DataType::Boolean {
        return array.as_boolean().iter().map(|v| v.map(Value::Bool).unwrap_or(Value::Null)).collect();
    }
    match ArrayFormatter::try_new(array, options) {
        Ok(f) => (0..array.len())
            .map(|i| if array.is_null(i) { Value::Null } else { Value::String(f.value(i).to_string()) })
            .collect(),
        Err(_) => vec![Value::Null; array.len()],
    }
}

/// A plain text table.
pub fn table(names: &[String], batches: &[RecordBatch]) -> String {
    let options = FormatOptions::default().with_null("NULL");
    let mut cells: Vec<Vec<String>> = vec![names.to_vec()];
    for batch in batches {
        let formatters: Vec<Option<ArrayFormatter>> =
            batch.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options).ok()).collect();
        for r in 0..batch.num_rows() {
            cells.push(
                formatters.iter().map(|f| f.as_ref().map(|f| f.value(r).to_string()).unwrap_or_default()).collect(),
            );
        }
    }
    let widths: Vec<usize> =
        (0..names.len()).map(|c| cells.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for (i, row) in cells.iter().enumerate() {
        let line: Vec<String> = row.iter().zip(&widths).map(|(v, w)| format!("{v:<w$}")).collect();
        out.push_str(line.join(" | ").trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("-+-"));
            out.push('\n');
        }
    }
    out
}
