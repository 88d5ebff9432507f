//! The evidence of one cell, accumulated in the same aggregate as the published value:
//! `tre_evidence_count(person, value)` and `tre_evidence_sum(person, value)`, added beside
//! each aggregate of the query by the plan rewrite ([`super::rewrite`]).
//!
//! Per cell it keeps each person's contribution (the number of their non-missing values for
//! counts, the sum of their values otherwise), so that a person's many rows add up to one
//! contribution; and counts of rows, missing and negative values, the smallest and largest
//! value. Rows of one person usually come together (extracts are sorted by pseudonym): the
//! last person's entry is updated without hashing.

use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, BooleanArray};
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility};
use roaring::RoaringTreemap;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// What a person's contribution to a cell is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The number of the person's non-missing values (COUNT).
    Count,
    /// The sum of the person's values (SUM, AVG and every other statistic).
    Sum,
}

impl Kind {
    /// The function's name.
    pub fn function(self) -> &'static str {
        match self {
            Kind::Count => "tre_evidence_count",
            Kind::Sum => "tre_evidence_sum",
        }
    }
}

/// The aggregate function that accumulates a cell's evidence.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CellEvidence {
    kind: Kind,
    signature: Signature,
}

impl CellEvidence {
    /// The function for `kind`.
    pub fn new(kind: Kind) -> Self {
        CellEvidence { kind, signature: Signature::any(2, Volatility::Immutable) }
    }
}

impl AggregateUDFImpl for CellEvidence {
    fn name(&self) -> &str {
        self.kind.function()
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Binary)
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(Tracker::new(self.kind)))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format!("{}[state]", args.name), DataType::Binary, true))])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Trackers { kind: self.kind, cells: Vec::new(), entries: 0 }))
    }
}

/// The trackers of every group of an aggregate, fed a batch at a time (DataFusion's fast
/// path for many groups).
#[derive(Debug)]
struct Trackers {
    kind: Kind,
    cells: Vec<Tracker>,
    /// Person entries over all cells, kept as they grow (size() must not walk the cells).
    entries: usize,
}

impl Trackers {
    fn take(&mut self, emit_to: EmitTo) -> Vec<Tracker> {
        let taken = emit_to.take_needed(&mut self.cells);
        self.entries = self.cells.iter().map(|c| c.persons.len()).sum();
        taken
    }
}

/// A batch's persons and values, read once.
struct Rows<'a> {
    persons: &'a arrow::array::Int64Array,
    values: &'a ArrayRef,
    numbers: Option<&'a arrow::array::Float64Array>,
}

impl Rows<'_> {
    fn person(&self, i: usize) -> Option<i64> {
        self.persons.is_valid(i).then(|| self.persons.value(i))
    }

    fn value(&self, i: usize) -> Option<f64> {
        if self.values.is_null(i) { None } else { Some(self.numbers.map(|n| n.value(i)).unwrap_or(1.0)) }
    }
}

/// Casts a batch's arguments once: persons to integers, numeric values to floats.
fn with_rows<T>(values: &[ArrayRef], f: impl FnOnce(Rows<'_>) -> T) -> Result<T> {
    let persons = arrow::compute::cast(&values[0], &DataType::Int64)?;
    let value = &values[1];
    // Values that are not numbers count as present or missing (and are not summed).
    let numbers =
        if value.data_type().is_numeric() { Some(arrow::compute::cast(value, &DataType::Float64)?) } else { None };
    Ok(f(Rows {
        persons: persons.as_primitive::<Int64Type>(),
        values: value,
        numbers: numbers.as_ref().map(|n| n.as_primitive::<Float64Type>()),
    }))
}

impl GroupsAccumulator for Trackers {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        let kind = self.kind;
        self.cells.resize_with(total_num_groups, || Tracker::new(kind));
        with_rows(values, |rows| {
            for (i, g) in group_indices.iter().enumerate() {
                if opt_filter.is_some_and(|f| !f.is_valid(i) || !f.value(i)) {
                    continue;
                }
                let cell = &mut self.cells[*g];
                let before = cell.persons.len();
                cell.add(rows.person(i), rows.value(i));
                self.entries += cell.persons.len() - before;
            }
        })
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let cells = self.take(emit_to);
        let mut out = Vec::with_capacity(cells.len());
        for c in &cells {
            out.push(serde_json::to_vec(&c.facts()).map_err(|e| DataFusionError::Internal(e.to_string()))?);
        }
        Ok(Arc::new(BinaryArray::from_iter_values(out)))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let cells = self.take(emit_to);
        Ok(vec![Arc::new(BinaryArray::from_iter_values(cells.iter().map(|c| c.encode())))])
    }

    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> Result<()> {
        let kind = self.kind;
        self.cells.resize_with(total_num_groups, || Tracker::new(kind));
        let states = values[0].as_binary::<i32>();
        for (i, g) in group_indices.iter().enumerate() {
            if states.is_null(i) {
                continue;
            }
            let cell = &mut self.cells[*g];
            let before = cell.persons.len();
            cell.merge(states.value(i))?;
            self.entries += cell.persons.len() - before;
        }
        Ok(())
    }

    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        let states = with_rows(values, |rows| {
            (0..rows.persons.len())
                .map(|i| {
                    let mut t = Tracker::new(self.kind);
                    if !opt_filter.is_some_and(|f| !f.is_valid(i) || !f.value(i)) {
                        t.add(rows.person(i), rows.value(i));
                    }
                    t.encode()
                })
                .collect::<Vec<_>>()
        })?;
        Ok(vec![Arc::new(BinaryArray::from_iter_values(states))])
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.cells.capacity() * std::mem::size_of::<Tracker>()
            + self.entries * (std::mem::size_of::<(i64, Contribution)>() + 8)
    }
}

/// One person's contribution to a cell.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Contribution {
    /// Sum of values, or number of non-missing values (by kind).
    amount: f64,
    /// Non-missing values.
    values: u64,
}

/// The facts of one cell, as the gate reads them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// Distinct persons behind the cell.
    pub persons: u64,
    /// Persons with at least one non-missing value.
    pub persons_with_value: u64,
    /// Rows.
    pub rows: u64,
    /// Non-missing values.
    pub values: u64,
    /// Missing values.
    pub missing: u64,
    /// Negative values.
    pub negative: u64,
    /// Rows whose person is unknown (an outer join's unmatched side): their contributions
    /// cannot be attributed, so dominance is not established where this is above zero.
    pub unowned_rows: u64,
    /// Σ of the persons' contributions (signed).
    pub total: f64,
    /// Σ of the absolute contributions.
    pub total_abs: f64,
    /// The largest absolute contribution of one person.
    pub top1: f64,
    /// The second largest.
    pub top2: f64,
    /// Distinct values: 0, 1, or 2 meaning "more than one".
    pub distinct_values: u8,
    /// The person set: a serialized Roaring treemap of the project's pseudonyms.
    #[serde(with = "base64_bytes")]
    pub persons_bitmap: Vec<u8>,
}

mod base64_bytes {
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

impl Facts {
    /// The person set.
    pub fn bitmap(&self) -> Option<RoaringTreemap> {
        RoaringTreemap::deserialize_from(self.persons_bitmap.as_slice()).ok()
    }
}

/// Per-person contributions, hashed with foldhash (pseudonyms are already uniform; SipHash's
/// flood resistance buys nothing here and costs most of the evidence's time).
type PersonMap = HashMap<i64, Contribution, foldhash::fast::FixedState>;

/// The running evidence of one cell.
#[derive(Debug)]
struct Tracker {
    kind: Kind,
    persons: PersonMap,
    /// The person of the row before, whose entry exists.
    last: Option<i64>,
    rows: u64,
    missing: u64,
    negative: u64,
    unowned_rows: u64,
    unowned: Contribution,
    min: Option<f64>,
    max: Option<f64>,
}

impl Tracker {
    fn new(kind: Kind) -> Self {
        Tracker {
            kind,
            persons: PersonMap::default(),
            last: None,
            rows: 0,
            missing: 0,
            negative: 0,
            unowned_rows: 0,
            unowned: Contribution::default(),
            min: None,
            max: None,
        }
    }

    /// One row: its person (if known) and its value (if not missing).
    fn add(&mut self, person: Option<i64>, value: Option<f64>) {
        self.rows += 1;
        let amount = match value {
            None => {
                self.missing += 1;
                None
            }
            Some(v) => {
                if v < 0.0 {
                    self.negative += 1;
                }
                self.min = Some(self.min.map_or(v, |m| m.min(v)));
                self.max = Some(self.max.map_or(v, |m| m.max(v)));
                Some(if self.kind == Kind::Count { 1.0 } else { v })
            }
        };
        let entry = match person {
            None => {
                self.unowned_rows += 1;
                &mut self.unowned
            }
            Some(p) if self.last == Some(p) => self.persons.get_mut(&p).unwrap_or(&mut self.unowned),
            Some(p) => {
                self.last = Some(p);
                self.persons.entry(p).or_default()
            }
        };
        if let Some(a) = amount {
            entry.amount += a;
            entry.values += 1;
        }
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>() + self.persons.capacity() * (std::mem::size_of::<(i64, Contribution)>() + 8)
    }

    fn facts(&self) -> Facts {
        let mut bitmap = RoaringTreemap::new();
        let (mut top1, mut top2, mut total, mut total_abs, mut with_value) = (0.0f64, 0.0f64, 0.0, 0.0, 0);
        let mut persons: Vec<(&i64, &Contribution)> = self.persons.iter().collect();
        // A fixed order, so that float totals do not depend on hashing.
        persons.sort_unstable_by_key(|(p, _)| **p);
        for (person, c) in persons {
            bitmap.insert(*person as u64);
            let a = c.amount.abs();
            total += c.amount;
            total_abs += a;
            if c.values > 0 {
                with_value += 1;
            }
            if a > top1 {
                top2 = top1;
                top1 = a;
            } else if a > top2 {
                top2 = a;
            }
        }
        total += self.unowned.amount;
        total_abs += self.unowned.amount.abs();
        let mut bytes = Vec::with_capacity(bitmap.serialized_size());
        let _ = bitmap.serialize_into(&mut bytes);
        Facts {
            persons: self.persons.len() as u64,
            persons_with_value: with_value,
            rows: self.rows,
            values: self.rows - self.missing,
            missing: self.missing,
            negative: self.negative,
            unowned_rows: self.unowned_rows,
            total,
            total_abs,
            top1,
            top2,
            distinct_values: match (self.min, self.max) {
                (Some(a), Some(b)) if a == b => 1,
                (Some(_), Some(_)) => 2,
                _ => 0,
            },
            persons_bitmap: bytes,
        }
    }

    /// The state between partial and final aggregation: little-endian fields, then one
    /// (person, amount, values) triple per person.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.persons.len() * 24);
        for n in [self.rows, self.missing, self.negative, self.unowned_rows, self.unowned.values] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        out.extend_from_slice(&self.unowned.amount.to_le_bytes());
        for m in [self.min, self.max] {
            out.push(m.is_some() as u8);
            out.extend_from_slice(&m.unwrap_or(0.0).to_le_bytes());
        }
        for (p, c) in &self.persons {
            out.extend_from_slice(&p.to_le_bytes());
            out.extend_from_slice(&c.amount.to_le_bytes());
            out.extend_from_slice(&c.values.to_le_bytes());
        }
        out
    }

    fn merge(&mut self, mut bytes: &[u8]) -> Result<()> {
        fn take<'a>(b: &mut &'a [u8], n: usize) -> Result<&'a [u8]> {
            if b.len() < n {
                return Err(DataFusionError::Internal("truncated evidence state".into()));
            }
            let (head, tail) = b.split_at(n);
            *b = tail;
            Ok(head)
        }
        fn u64_of(b: &mut &[u8]) -> Result<u64> {
            let mut word = [0u8; 8];
            word.copy_from_slice(take(b, 8)?);
            Ok(u64::from_le_bytes(word))
        }
        fn f64_of(b: &mut &[u8]) -> Result<f64> {
            Ok(f64::from_bits(u64_of(b)?))
        }
        self.rows += u64_of(&mut bytes)?;
        self.missing += u64_of(&mut bytes)?;
        self.negative += u64_of(&mut bytes)?;
        self.unowned_rows += u64_of(&mut bytes)?;
        self.unowned.values += u64_of(&mut bytes)?;
        self.unowned.amount += f64_of(&mut bytes)?;
        let mut bound = |is_min: bool, bytes: &mut &[u8]| -> Result<()> {
            let present = take(bytes, 1)?[0] == 1;
            let v = f64_of(bytes)?;
            if present {
                let slot = if is_min { &mut self.min } else { &mut self.max };
                *slot = Some(slot.map_or(v, |m| if is_min { m.min(v) } else { m.max(v) }));
            }
            Ok(())
        };
        bound(true, &mut bytes)?;
        bound(false, &mut bytes)?;
        self.last = None;
        while !bytes.is_empty() {
            let p = u64_of(&mut bytes)? as i64;
            let amount = f64_of(&mut bytes)?;
            let values = u64_of(&mut bytes)?;
            let e = self.persons.entry(p).or_default();
            e.amount += amount;
            e.values += values;
        }
        Ok(())
    }
}

impl Accumulator for Tracker {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        with_rows(values, |rows| {
            for i in 0..rows.persons.len() {
                self.add(rows.person(i), rows.value(i));
            }
        })
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let json = serde_json::to_vec(&self.facts()).map_err(|e| DataFusionError::Internal(e.to_string()))?;
        Ok(ScalarValue::Binary(Some(json)))
    }

    fn size(&self) -> usize {
        Tracker::size(self)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Binary(Some(self.encode()))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let states: &BinaryArray = states[0].as_binary::<i32>();
        for state in states.iter().flatten() {
            self.merge(state)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, Int64Array};

    fn feed(t: &mut Tracker, rows: &[(Option<i64>, Option<f64>)]) {
        let persons: ArrayRef = Arc::new(rows.iter().map(|r| r.0).collect::<Int64Array>());
        let values: ArrayRef = Arc::new(rows.iter().map(|r| r.1).collect::<Float64Array>());
        t.update_batch(&[persons, values]).unwrap();
    }

    fn run(kind: Kind, rows: &[(Option<i64>, Option<f64>)]) -> Facts {
        let mut t = Tracker::new(kind);
        feed(&mut t, rows);
        t.facts()
    }

    #[test]
    fn a_persons_rows_add_up_to_one_contribution() {
        // Person 1 has 8,000 of 8,600 over eight claims; no single row dominates.
        let mut rows = vec![(Some(1), Some(1000.0)); 8];
        rows.extend([(Some(2), Some(300.0)), (Some(3), Some(200.0)), (Some(2), Some(100.0)), (Some(4), None)]);
        let f = run(Kind::Sum, &rows);
        assert_eq!((f.persons, f.persons_with_value, f.rows, f.values, f.missing), (4, 3, 12, 11, 1));
        assert_eq!((f.total, f.top1, f.top2), (8600.0, 8000.0, 400.0));
        assert_eq!(f.distinct_values, 2);
        assert_eq!(f.bitmap().unwrap().iter().collect::<Vec<_>>(), vec![1, 2, 3, 4]);
        let c = run(Kind::Count, &rows);
        assert_eq!((c.total, c.top1, c.top2), (11.0, 8.0, 2.0));
    }

    #[test]
    fn partial_states_merge_to_the_same_facts() {
        let rows: Vec<(Option<i64>, Option<f64>)> =
            (0..100).map(|i| (Some(i % 7), if i % 11 == 0 { None } else { Some(i as f64 - 20.0) })).collect();
        let whole = run(Kind::Sum, &rows);
        let mut merged = Tracker::new(Kind::Sum);
        for part in rows.chunks(33) {
            let mut t = Tracker::new(Kind::Sum);
            feed(&mut t, part);
            merged.merge(&t.encode()).unwrap();
        }
        assert_eq!(merged.facts(), whole);
        assert_eq!(whole.negative, 18);
    }

    #[test]
    fn rows_without_a_person_are_counted_apart() {
        let f = run(Kind::Count, &[(None, Some(1.0)), (Some(5), Some(2.0))]);
        assert_eq!((f.persons, f.unowned_rows, f.total), (1, 1, 2.0));
    }
}
