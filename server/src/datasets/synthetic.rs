//! `tre demo-data`: synthetic health data shaped like the OMOP CDM, for the demo, the tests and
//! the benchmarks. Never real data: every value comes from a seeded generator.
//!
//! The shape is meant to exercise the platform as real claims and records would: a person has
//! from one to hundreds of rows; a few conditions and drugs are common and most are rare
//! (Zipf-like); drugs follow the person's conditions; lab tests follow them too; some values
//! are missing; costs have heavy tails. Output is deterministic for a seed: each person's rows
//! come from a generator seeded by (seed, person id), and row ids are assigned in person order.
//!
//! Memory stays bounded whatever the size: persons are generated in chunks, each chunk becomes
//! one Arrow batch per table, and a writer thread encodes batches to Parquet while the next
//! chunk is generated.

use arrow::array::{ArrayRef, Date32Builder, Float64Builder, Int32Builder, Int64Builder, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::sync_channel;

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    /// Number of persons.
    pub persons: u64,
    /// Seed: the same seed and size give the same files.
    pub seed: u64,
    /// Output folder (created); one Parquet file per table.
    pub out: PathBuf,
}

/// Rows written per table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// (table, rows) in a fixed order.
    pub tables: Vec<(&'static str, u64)>,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum SyntheticError {
    /// The output could not be written.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// Bad options.
    #[error("{0}")]
    Options(String),
}

/// The tables, in output order.
pub const TABLES: [&str; 6] =
    ["person", "observation_period", "visit_occurrence", "condition_occurrence", "drug_exposure", "measurement"];

/// Persons per generated chunk (one Arrow batch per table per chunk).
const CHUNK: u64 = 5_000;

/// Days since the Unix epoch of 2015-01-01 and 2025-12-31: the span of observation.
const FIRST_DAY: i32 = 16_436;
const LAST_DAY: i32 = 20_453;

/// The 47 prefectures with populations in tenths of a million (2020 census, rounded), so a
/// region is drawn as often as people live there.
const PREFECTURES: [(&str, u32); 47] = [
    ("Hokkaido", 52),
    ("Aomori", 12),
    ("Iwate", 12),
    ("Miyagi", 23),
    ("Akita", 10),
    ("Yamagata", 11),
    ("Fukushima", 18),
    ("Ibaraki", 29),
    ("Tochigi", 19),
    ("Gunma", 19),
    ("Saitama", 73),
    ("Chiba", 63),
    ("Tokyo", 140),
    ("Kanagawa", 92),
    ("Niigata", 22),
    ("Toyama", 10),
    ("Ishikawa", 11),
    ("Fukui", 8),
    ("Yamanashi", 8),
    ("Nagano", 20),
    ("Gifu", 20),
    ("Shizuoka", 36),
    ("Aichi", 75),
    ("Mie", 18),
    ("Shiga", 14),
    ("Kyoto", 26),
    ("Osaka", 88),
    ("Hyogo", 55),
    ("Nara", 13),
    ("Wakayama", 9),
    ("Tottori", 6),
    ("Shimane", 7),
    ("Okayama", 19),
    ("Hiroshima", 28),
    ("Yamaguchi", 13),
    ("Tokushima", 7),
    ("Kagawa", 10),
    ("Ehime", 13),
    ("Kochi", 7),
    ("Fukuoka", 51),
    ("Saga", 8),
    ("Nagasaki", 13),
    ("Kumamoto", 17),
    ("Oita", 11),
    ("Miyazaki", 11),
    ("Kagoshima", 16),
    ("Okinawa", 15),
];

/// A chronic condition: ICD-10 code, the drugs that treat it (ATC), the lab test that follows it.
struct Condition {
    icd10: &'static str,
    drugs: &'static [&'static str],
    test: Option<&'static str>,
}

/// Chronic conditions, most common first (drawn Zipf-like by rank).
const CONDITIONS: &[Condition] = &[
    Condition { icd10: "I10", drugs: &["C09CA01", "C08CA01", "C09CA03", "C03CA01"], test: Some("SBP") },
    Condition { icd10: "E78.5", drugs: &["C10AA05", "C10AA07", "C10AA01"], test: Some("LDL") },
    Condition { icd10: "E11.9", drugs: &["A10BA02", "A10BH01", "A10BK01", "A10AE04"], test: Some("HbA1c") },
    Condition { icd10: "K21.0", drugs: &["A02BC01", "A02BC05"], test: None },
    Condition { icd10: "M81.0", drugs: &["M05BA04", "H05AA02"], test: None },
    Condition { icd10: "J45.9", drugs: &["R03AK06", "R03BA02"], test: None },
    Condition { icd10: "N18.3", drugs: &["C09CA01", "B03XA01"], test: Some("eGFR") },
    Condition { icd10: "F32.9", drugs: &["N06AB06", "N06AX16"], test: None },
    Condition { icd10: "I48.9", drugs: &["B01AF01", "B01AF02", "C07AB02"], test: None },
    Condition { icd10: "E03.9", drugs: &["H03AA01"], test: Some("TSH") },
    Condition { icd10: "M06.9", drugs: &["L04AX03", "L04AB01", "L04AB04"], test: Some("CRP") },
    Condition { icd10: "G40.9", drugs: &["N03AX14", "N03AG01"], test: None },
    Condition { icd10: "I25.1", drugs: &["B01AC06", "C07AB07", "C10AA05"], test: Some("LDL") },
    Condition { icd10: "K50.9", drugs: &["L04AB02", "A07EC02"], test: Some("CRP") },
    Condition { icd10: "C50.9", drugs: &["L02BG03", "L01FD01"], test: None },
    Condition { icd10: "C34.9", drugs: &["L01FF02", "L01EB02"], test: None },
    Condition { icd10: "G20", drugs: &["N04BA02"], test: None },
    Condition { icd10: "L40.0", drugs: &["L04AC05", "D05AX02"], test: None },
    Condition { icd10: "B18.2", drugs: &["J05AP08"], test: Some("ALT") },
    Condition { icd10: "G35", drugs: &["L04AA23"], test: None },
];

/// Acute problems seen at single visits, with the drug usually given.
const ACUTE: &[(&str, &str)] = &[
    ("J06.9", "R05CB01"),
    ("J20.9", "J01CA04"),
    ("N39.0", "J01MA02"),
    ("M54.5", "M01AE01"),
    ("J10.1", "J05AH02"),
    ("K59.0", "A06AD11"),
    ("L30.9", "D07AC01"),
    ("R51", "N02BE01"),
    ("H10.9", "S01AA12"),
    ("J02.9", "J01DC04"),
    ("A09", "A07FA01"),
    ("T78.4", "R06AX27"),
];

/// ATC level-4 groups from which the long tail of rarely prescribed drugs is drawn.
const RARE_GROUPS: [&str; 30] = [
    "A03FA", "A04AA", "A06AB", "A11CC", "A12AX", "B01AB", "B03BA", "C01DA", "C03DA", "C05AA", "D06AX", "D11AH",
    "G03CA", "G04BD", "G04CA", "H02AB", "J01FA", "J02AC", "L01XE", "M03BX", "M04AA", "N02AJ", "N05BA", "N05CF",
    "N06DA", "N07BA", "P01BA", "R01AD", "S01ED", "V03AE",
];

/// The long tail: 8 substances in each rare group, most common first.
fn rare_drugs() -> &'static [String] {
    static CODES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    CODES.get_or_init(|| (1..=8).flat_map(|n| RARE_GROUPS.iter().map(move |g| format!("{g}{n:02}"))).collect())
}

/// Yen per unit: most drugs are cheap, a few (biologics, targeted cancer drugs) are very dear.
fn unit_price(atc: &str) -> f64 {
    match &atc[..3] {
        "L04" | "L01" => 40_000.0,
        "L02" | "J05" => 3_000.0,
        "B01" | "A10" if atc.starts_with("A10A") || atc.starts_with("B01AF") => 500.0,
        _ => 25.0,
    }
}

/// Lab tests: (code, unit, mean, standard deviation); values are drawn around these.
const TESTS: &[(&str, &str, f64, f64)] = &[
    ("HbA1c", "%", 7.2, 1.2),
    ("LDL", "mg/dL", 128.0, 34.0),
    ("SBP", "mmHg", 138.0, 16.0),
    ("eGFR", "mL/min/1.73m2", 48.0, 16.0),
    ("TSH", "mIU/L", 3.1, 2.0),
    ("CRP", "mg/dL", 0.9, 1.4),
    ("ALT", "U/L", 34.0, 22.0),
    ("Hb", "g/dL", 13.4, 1.7),
];

fn test_spec(code: &str) -> (&'static str, &'static str, f64, f64) {
    *TESTS.iter().find(|t| t.0 == code).unwrap_or(&TESTS[TESTS.len() - 1])
}

/// A standard normal draw (Box-Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// A Zipf-like draw of a rank in `0..n`: rank r has weight 1 / (r + 1)^s.
fn zipf(rng: &mut ChaCha8Rng, n: usize, s: f64) -> usize {
    let total: f64 = (1..=n).map(|r| 1.0 / (r as f64).powf(s)).sum();
    let mut x = rng.random::<f64>() * total;
    for r in 0..n {
        x -= 1.0 / ((r + 1) as f64).powf(s);
        if x <= 0.0 {
            return r;
        }
    }
    n - 1
}

fn weighted<'a>(rng: &mut ChaCha8Rng, items: &'a [(&'a str, u32)]) -> &'a str {
    let total: u32 = items.iter().map(|i| i.1).sum();
    let mut x = rng.random_range(0..total);
    for (name, w) in items {
        if x < *w {
            return name;
        }
        x -= w;
    }
    items[0].0
}

/// A generator seeded by the run's seed and the person id, so a person's rows do not depend
/// on how persons are chunked.
fn person_rng(seed: u64, person_id: u64) -> ChaCha8Rng {
    let mut z = seed ^ person_id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ChaCha8Rng::seed_from_u64(z ^ (z >> 31))
}

fn schemas() -> Vec<SchemaRef> {
    let id = |n: &str| Field::new(n, DataType::Int64, false);
    let date = |n: &str| Field::new(n, DataType::Date32, false);
    let text = |n: &str, null: bool| Field::new(n, DataType::Utf8, null);
    vec![
        Arc::new(Schema::new(vec![
            id("person_id"),
            text("sex", false),
            Field::new("year_of_birth", DataType::Int32, false),
            text("region", false),
        ])),
        Arc::new(Schema::new(vec![
            id("observation_period_id"),
            id("person_id"),
            date("observation_period_start_date"),
            date("observation_period_end_date"),
        ])),
        Arc::new(Schema::new(vec![
            id("visit_occurrence_id"),
            id("person_id"),
            date("visit_start_date"),
            text("visit_type", false),
        ])),
        Arc::new(Schema::new(vec![
            id("condition_occurrence_id"),
            id("person_id"),
            date("condition_start_date"),
            text("condition_code", false),
            id("visit_occurrence_id"),
        ])),
        Arc::new(Schema::new(vec![
            id("drug_exposure_id"),
            id("person_id"),
            date("drug_exposure_start_date"),
            text("drug_code", false),
            Field::new("days_supply", DataType::Int32, false),
            Field::new("quantity", DataType::Float64, true),
            Field::new("cost", DataType::Float64, true),
        ])),
        Arc::new(Schema::new(vec![
            id("measurement_id"),
            id("person_id"),
            date("measurement_date"),
            text("measurement_code", false),
            Field::new("value_as_number", DataType::Float64, true),
            text("unit", false),
        ])),
    ]
}

/// Builders for one chunk of every table.
#[derive(Default)]
struct Chunk {
    person: (Int64Builder, StringBuilder, Int32Builder, StringBuilder),
    period: (Int64Builder, Int64Builder, Date32Builder, Date32Builder),
    visit: (Int64Builder, Int64Builder, Date32Builder, StringBuilder),
    condition: (Int64Builder, Int64Builder, Date32Builder, StringBuilder, Int64Builder),
    drug: (Int64Builder, Int64Builder, Date32Builder, StringBuilder, Int32Builder, Float64Builder, Float64Builder),
    measurement: (Int64Builder, Int64Builder, Date32Builder, StringBuilder, Float64Builder, StringBuilder),
}

/// Row-id counters, in person order across chunks.
#[derive(Default)]
struct Ids {
    period: i64,
    visit: i64,
    condition: i64,
    drug: i64,
    measurement: i64,
}

fn next(counter: &mut i64) -> i64 {
    *counter += 1;
    *counter
}

impl Chunk {
    fn add_person(&mut self, seed: u64, person_id: u64, ids: &mut Ids) {
        let mut rng = person_rng(seed, person_id);
        let pid = i64::try_from(person_id).unwrap_or(i64::MAX);
        let age = (55.0 + 20.0 * normal(&mut rng)).abs().min(100.0) as i32;
        self.person.0.append_value(pid);
        self.person.1.append_value(if rng.random_bool(0.52) { "F" } else { "M" });
        self.person.2.append_value(2025 - age);
        self.person.3.append_value(weighted(&mut rng, &PREFECTURES));

        let start = rng.random_range(FIRST_DAY..FIRST_DAY + 1500);
        let end = rng.random_range((start + 180).min(LAST_DAY)..=LAST_DAY);
        self.period.0.append_value(next(&mut ids.period));
        self.period.1.append_value(pid);
        self.period.2.append_value(start);
        self.period.3.append_value(end);

        // Chronic conditions: more with age; distinct; common ones more often.
        let lambda = 0.2 + f64::from(age) / 30.0;
        let mut wanted = 0;
        let mut p = (-lambda).exp();
        let mut acc = p;
        let u: f64 = rng.random();
        while u > acc && wanted < 8 {
            wanted += 1;
            p *= lambda / f64::from(wanted);
            acc += p;
        }
        let mut conditions: Vec<usize> = Vec::new();
        for _ in 0..wanted * 2 {
            if conditions.len() == wanted as usize {
                break;
            }
            let c = zipf(&mut rng, CONDITIONS.len(), 1.3);
            if !conditions.contains(&c) {
                conditions.push(c);
            }
        }
        // The drug each condition is treated with, switching now and then.
        let mut regimen: Vec<usize> =
            conditions.iter().map(|c| rng.random_range(0..CONDITIONS[*c].drugs.len())).collect();

        // Visits: log-normal count, heavier with more conditions; 1 to 400.
        let mu = 1.2 + 0.45 * conditions.len() as f64;
        let visits = (mu + 0.9 * normal(&mut rng)).exp().round().clamp(1.0, 400.0) as usize;
        let mut days: Vec<i32> = (0..visits).map(|_| rng.random_range(start..=end)).collect();
        days.sort_unstable();
        let diagnosed_at: Vec<usize> = conditions.iter().map(|_| rng.random_range(0..visits)).collect();

        for (v, day) in days.iter().copied().enumerate() {
            let visit_id = next(&mut ids.visit);
            let kind = rng.random_range(0..100);
            self.visit.0.append_value(visit_id);
            self.visit.1.append_value(pid);
            self.visit.2.append_value(day);
            self.visit.3.append_value(match kind {
                0..85 => "outpatient",
                85..95 => "inpatient",
                _ => "emergency",
            });
            for (i, c) in conditions.iter().enumerate() {
                if v < diagnosed_at[i] {
                    continue;
                }
                let cond = &CONDITIONS[*c];
                if v == diagnosed_at[i] || rng.random_bool(0.3) {
                    self.add_condition(ids, pid, day, cond.icd10, visit_id);
                }
                if rng.random_bool(0.65) {
                    if rng.random_bool(0.05) {
                        regimen[i] = rng.random_range(0..cond.drugs.len());
                    }
                    self.add_drug(&mut rng, ids, pid, day, cond.drugs[regimen[i]], true);
                }
                if let Some(test) = cond.test
                    && rng.random_bool(0.5)
                {
                    self.add_measurement(&mut rng, ids, pid, day, test);
                }
            }
            if rng.random_bool(0.25) {
                let (icd10, atc) = ACUTE[zipf(&mut rng, ACUTE.len(), 1.3)];
                self.add_condition(ids, pid, day, icd10, visit_id);
                if rng.random_bool(0.8) {
                    self.add_drug(&mut rng, ids, pid, day, atc, false);
                }
            }
            if rng.random_bool(0.08) {
                let rare = rare_drugs();
                let atc = rare[zipf(&mut rng, rare.len(), 1.05)].as_str();
                self.add_drug(&mut rng, ids, pid, day, atc, false);
            }
            if rng.random_bool(0.35) {
                let test = if rng.random_bool(0.5) { "Hb" } else { "ALT" };
                self.add_measurement(&mut rng, ids, pid, day, test);
            }
        }
    }

    fn add_condition(&mut self, ids: &mut Ids, pid: i64, day: i32, code: &str, visit: i64) {
        self.condition.0.append_value(next(&mut ids.condition));
        self.condition.1.append_value(pid);
        self.condition.2.append_value(day);
        self.condition.3.append_value(code);
        self.condition.4.append_value(visit);
    }

    fn add_drug(&mut self, rng: &mut ChaCha8Rng, ids: &mut Ids, pid: i64, day: i32, atc: &str, chronic: bool) {
        let days_supply =
            if chronic { [28, 30, 56, 84, 90][rng.random_range(0..5)] } else { [3, 5, 7, 14][rng.random_range(0..4)] };
        let per_day = f64::from(rng.random_range(1..=3));
        let quantity = f64::from(days_supply) * per_day;
        self.drug.0.append_value(next(&mut ids.drug));
        self.drug.1.append_value(pid);
        self.drug.2.append_value(day);
        self.drug.3.append_value(atc);
        self.drug.4.append_value(days_supply);
        if rng.random_bool(0.03) {
            self.drug.5.append_null();
        } else {
            self.drug.5.append_value(quantity);
        }
        if rng.random_bool(0.02) {
            self.drug.6.append_null();
        } else {
            // Log-normal spread around list price: a heavy tail on top of the dear drugs.
            let cost = quantity * unit_price(atc) * (0.5 * normal(rng)).exp();
            self.drug.6.append_value((cost * 100.0).round() / 100.0);
        }
    }

    fn add_measurement(&mut self, rng: &mut ChaCha8Rng, ids: &mut Ids, pid: i64, day: i32, code: &str) {
        let (code, unit, mean, sd) = test_spec(code);
        self.measurement.0.append_value(next(&mut ids.measurement));
        self.measurement.1.append_value(pid);
        self.measurement.2.append_value(day);
        self.measurement.3.append_value(code);
        if rng.random_bool(0.04) {
            self.measurement.4.append_null();
        } else {
            let v = (mean + sd * normal(rng)).max(mean * 0.05);
            self.measurement.4.append_value((v * 10.0).round() / 10.0);
        }
        self.measurement.5.append_value(unit);
    }

    fn finish(mut self, schemas: &[SchemaRef]) -> Result<Vec<RecordBatch>, arrow::error::ArrowError> {
        let cols: Vec<Vec<ArrayRef>> = vec![
            vec![
                Arc::new(self.person.0.finish()),
                Arc::new(self.person.1.finish()),
                Arc::new(self.person.2.finish()),
                Arc::new(self.person.3.finish()),
            ],
            vec![
                Arc::new(self.period.0.finish()),
                Arc::new(self.period.1.finish()),
                Arc::new(self.period.2.finish()),
                Arc::new(self.period.3.finish()),
            ],
            vec![
                Arc::new(self.visit.0.finish()),
                Arc::new(self.visit.1.finish()),
                Arc::new(self.visit.2.finish()),
                Arc::new(self.visit.3.finish()),
            ],
            vec![
                Arc::new(self.condition.0.finish()),
                Arc::new(self.condition.1.finish()),
                Arc::new(self.condition.2.finish()),
                Arc::new(self.condition.3.finish()),
                Arc::new(self.condition.4.finish()),
            ],
            vec![
                Arc::new(self.drug.0.finish()),
                Arc::new(self.drug.1.finish()),
                Arc::new(self.drug.2.finish()),
                Arc::new(self.drug.3.finish()),
                Arc::new(self.drug.4.finish()),
                Arc::new(self.drug.5.finish()),
                Arc::new(self.drug.6.finish()),
            ],
            vec![
                Arc::new(self.measurement.0.finish()),
                Arc::new(self.measurement.1.finish()),
                Arc::new(self.measurement.2.finish()),
                Arc::new(self.measurement.3.finish()),
                Arc::new(self.measurement.4.finish()),
                Arc::new(self.measurement.5.finish()),
            ],
        ];
        cols.into_iter().zip(schemas).map(|(c, s)| RecordBatch::try_new(s.clone(), c)).collect()
    }
}

fn write_error(path: &Path, e: impl std::fmt::Display) -> SyntheticError {
    SyntheticError::Write { path: path.display().to_string(), reason: e.to_string() }
}

/// Generates the tables into `options.out`, calling `progress` with the persons done so far.
pub fn generate(options: &Options, progress: impl Fn(u64) + Send) -> Result<Summary, SyntheticError> {
    if options.persons == 0 {
        return Err(SyntheticError::Options("--persons must be at least 1".into()));
    }
    std::fs::create_dir_all(&options.out).map_err(|e| write_error(&options.out, e.kind()))?;
    let schemas = schemas();
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).map_err(|e| SyntheticError::Options(e.to_string()))?))
        .set_max_row_group_row_count(Some(1 << 20))
        .build();
    let mut writers = Vec::new();
    for (name, schema) in TABLES.iter().zip(&schemas) {
        let path = options.out.join(format!("{name}.parquet"));
        let file = File::create(&path).map_err(|e| write_error(&path, e.kind()))?;
        let writer =
            ArrowWriter::try_new(file, schema.clone(), Some(props.clone())).map_err(|e| write_error(&path, e))?;
        writers.push((path, writer));
    }

    // The generator runs on this thread; a writer thread encodes the previous chunk.
    let (tx, rx) = sync_channel::<Vec<RecordBatch>>(2);
    let writer_thread = std::thread::spawn(move || -> Result<Vec<u64>, SyntheticError> {
        let mut rows = vec![0u64; TABLES.len()];
        for batches in rx {
            for ((path, writer), (batch, n)) in writers.iter_mut().zip(batches.iter().zip(rows.iter_mut())) {
                writer.write(batch).map_err(|e| write_error(path, e))?;
                *n += batch.num_rows() as u64;
            }
        }
        for (path, writer) in writers {
            writer.close().map_err(|e| write_error(&path, e))?;
        }
        Ok(rows)
    });

    let mut ids = Ids::default();
    let mut person = 1u64;
    let mut send_failed = false;
    while person <= options.persons {
        let last = (person + CHUNK - 1).min(options.persons);
        let mut chunk = Chunk::default();
        for p in person..=last {
            chunk.add_person(options.seed, p, &mut ids);
        }
        let batches = chunk.finish(&schemas).map_err(|e| SyntheticError::Options(e.to_string()))?;
        if tx.send(batches).is_err() {
            send_failed = true;
            break;
        }
        progress(last);
        person = last + 1;
    }
    drop(tx);
    let rows = writer_thread.join().map_err(|_| SyntheticError::Options("the writer thread failed".into()))??;
    if send_failed {
        return Err(SyntheticError::Options("the writer stopped early".into()));
    }
    Ok(Summary { tables: TABLES.iter().copied().zip(rows).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Array;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    fn read(path: &Path) -> Vec<RecordBatch> {
        let file = File::open(path).unwrap();
        ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap().map(|b| b.unwrap()).collect()
    }

    fn run(persons: u64, seed: u64) -> (Summary, PathBuf) {
        let out = std::env::temp_dir().join(format!("tre-synth-{}", rand::random::<u64>()));
        let summary = generate(&Options { persons, seed, out: out.clone() }, |_| {}).unwrap();
        (summary, out)
    }

    #[test]
    fn the_same_seed_gives_the_same_files_and_another_seed_does_not() {
        let (a, dir_a) = run(300, 7);
        let (b, dir_b) = run(300, 7);
        let (c, dir_c) = run(300, 8);
        assert_eq!(a, b);
        for t in TABLES {
            let file = format!("{t}.parquet");
            assert_eq!(read(&dir_a.join(&file)), read(&dir_b.join(&file)), "{t}");
        }
        assert_ne!(read(&dir_a.join("drug_exposure.parquet")), read(&dir_c.join("drug_exposure.parquet")));
        assert_ne!(a, c);
        for d in [dir_a, dir_b, dir_c] {
            std::fs::remove_dir_all(d).unwrap();
        }
    }

    #[test]
    fn the_shape_is_realistic() {
        let (summary, dir) = run(2_000, 1);
        let rows: std::collections::HashMap<_, _> = summary.tables.iter().copied().collect();
        assert_eq!(rows["person"], 2_000);
        assert_eq!(rows["observation_period"], 2_000);
        // Several rows per person on average, with a long tail.
        assert!(rows["drug_exposure"] > 4 * 2_000, "{rows:?}");
        let drugs = read(&dir.join("drug_exposure.parquet"));
        let mut per_person: std::collections::HashMap<i64, u32> = Default::default();
        let mut per_code: std::collections::HashMap<String, u32> = Default::default();
        let (mut missing_quantity, mut costs) = (0, Vec::new());
        for b in &drugs {
            let pid = b.column(1).as_any().downcast_ref::<arrow::array::Int64Array>().unwrap();
            let code = b.column(3).as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
            let quantity = b.column(5);
            let cost = b.column(6).as_any().downcast_ref::<arrow::array::Float64Array>().unwrap();
            for i in 0..b.num_rows() {
                *per_person.entry(pid.value(i)).or_default() += 1;
                *per_code.entry(code.value(i).to_string()).or_default() += 1;
                if cost.is_valid(i) {
                    costs.push(cost.value(i));
                }
            }
            missing_quantity += quantity.null_count();
        }
        let max_rows = per_person.values().max().copied().unwrap();
        assert!(max_rows >= 100, "someone has hundreds of rows: max {max_rows}");
        assert!(per_person.values().any(|n| *n <= 2), "some people have almost none");
        let mut counts: Vec<u32> = per_code.values().copied().collect();
        counts.sort_unstable_by(|a, b| b.cmp(a));
        assert!(counts[0] > 20 * counts[counts.len() / 2], "a few drugs are common, most are rare: {counts:?}");
        assert!(missing_quantity > 0, "some values are missing");
        costs.sort_by(f64::total_cmp);
        let median = costs[costs.len() / 2];
        let top = costs[costs.len() - 1];
        assert!(top > 1000.0 * median, "costs have a heavy tail: median {median}, max {top}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn drugs_follow_conditions() {
        let (_, dir) = run(1_000, 3);
        let mut diabetic = std::collections::HashSet::new();
        for b in read(&dir.join("condition_occurrence.parquet")) {
            let pid = b.column(1).as_any().downcast_ref::<arrow::array::Int64Array>().unwrap();
            let code = b.column(3).as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
            for i in 0..b.num_rows() {
                if code.value(i) == "E11.9" {
                    diabetic.insert(pid.value(i));
                }
            }
        }
        assert!(!diabetic.is_empty());
        for b in read(&dir.join("drug_exposure.parquet")) {
            let pid = b.column(1).as_any().downcast_ref::<arrow::array::Int64Array>().unwrap();
            let code = b.column(3).as_any().downcast_ref::<arrow::array::StringArray>().unwrap();
            for i in 0..b.num_rows() {
                if code.value(i) == "A10BA02" {
                    assert!(diabetic.contains(&pid.value(i)), "metformin without diabetes for {}", pid.value(i));
                }
            }
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
