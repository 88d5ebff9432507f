//! The fixed extract the runner's tests query.
#![allow(dead_code, clippy::unwrap_used)]

use arrow::array::{ArrayRef, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{Field, Schema};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use workspace_runner::Table;

/// The value planted in the data, which no error may show.
pub const PLANTED: &str = "PLANTED-(7731";

fn write(dir: &Path, name: &str, columns: Vec<(&str, ArrayRef)>) -> PathBuf {
    let schema = Arc::new(Schema::new(
        columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect::<Vec<_>>(),
    ));
    let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect()).unwrap();
    let path = dir.join(format!("{name}.parquet"));
    let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    path
}

fn day(y: i32, m: u32, d: u32) -> i32 {
    // Days since 1970-01-01 (proleptic Gregorian), without a date crate.
    let (y, m) = if m <= 2 { (y - 1, m + 12) } else { (y, m) };
    let era_days = 365 * y + y / 4 - y / 100 + y / 400 + (153 * (m as i32 - 3) + 2) / 5 + d as i32 - 1;
    era_days - 719_468
}

/// The fixed extract: persons 1..5 (the ids stand for pseudonyms), their drugs, and a code
/// list without persons. Sorted by person, as extracts are.
pub fn fixture(dir: &Path) -> Vec<Table> {
    let person = write(
        dir,
        "person",
        vec![
            ("person_id", Arc::new(Int64Array::from(vec![1, 2, 3, 4, 5])) as ArrayRef),
            ("sex", Arc::new(StringArray::from(vec!["F", "F", "M", "M", "F"]))),
            ("year_of_birth", Arc::new(Int64Array::from(vec![1950, 1960, 1970, 1980, 1990]))),
            ("region", Arc::new(StringArray::from(vec!["Tokyo", "Osaka", "Tokyo", "Kyoto", "Tokyo"]))),
        ],
    );
    let drug = write(
        dir,
        "drug",
        vec![
            ("person_id", Arc::new(Int64Array::from(vec![1, 1, 1, 2, 2, 3, 3, 5])) as ArrayRef),
            ("drug_code", Arc::new(StringArray::from(vec!["A10", "A10", "B01", "A10", "B01", "A10", "C07", "B01"]))),
            (
                "start_date",
                Arc::new(Date32Array::from(vec![
                    day(2024, 1, 1),
                    day(2024, 2, 1),
                    day(2024, 3, 15),
                    day(2024, 1, 10),
                    day(2024, 2, 20),
                    day(2024, 5, 1),
                    day(2024, 6, 1),
                    day(2024, 1, 5),
                ])),
            ),
            (
                "cost",
                Arc::new(Float64Array::from(vec![
                    Some(100.0),
                    Some(100.0),
                    Some(50.0),
                    Some(30.0),
                    None,
                    Some(-10.0),
                    Some(200.0),
                    Some(5.0),
                ])),
            ),
            ("note", Arc::new(StringArray::from(vec!["12", "7", "3", PLANTED, "5", "1", "2", "9"]))),
        ],
    );
    let codes = write(
        dir,
        "codes",
        vec![
            ("code", Arc::new(StringArray::from(vec!["A10", "B01", "C07", "D99"])) as ArrayRef),
            ("label", Arc::new(StringArray::from(vec!["diabetes", "antithrombotic", "beta blocker", "unused"]))),
        ],
    );
    // A table not sorted by its person (as a local file given to `tre query` may be).
    let visit = write(
        dir,
        "visit",
        vec![
            ("person_id", Arc::new(Int64Array::from(vec![3, 1, 5, 1, 3, 2, 1])) as ArrayRef),
            ("kind", Arc::new(StringArray::from(vec!["in", "out", "out", "in", "in", "out", "out"]))),
            ("days", Arc::new(Int64Array::from(vec![4, 1, 1, 2, 3, 1, 1]))),
        ],
    );
    vec![
        Table { name: "person".into(), path: person, person_column: Some("person_id".into()) },
        Table { name: "drug".into(), path: drug, person_column: Some("person_id".into()) },
        Table { name: "codes".into(), path: codes, person_column: None },
        Table { name: "visit".into(), path: visit, person_column: Some("person_id".into()) },
    ]
}
