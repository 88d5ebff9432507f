//! The evidence of one cell, accumulated in the same aggregate as the published value:
//! `tre_evidence_count(person, value)` and `tre_evidence_sum(person, value)`, added beside
//! each aggregate of the query by the plan rewrite ([`super::rewrite`]).
//!
//! Per cell it keeps each person's contribution (the number of their non-missing values for
//! counts, the sum of their values otherwise), so that a person's many rows add up to one
//! contribution; and counts of missing and negative values, the smallest and largest value.
//!
//! Persons are held by their index in the extract ([`super::persons`]), as a list of
//! (person, contribution) entries kept in person order. Extracts are sorted by pseudonym, so
//! rows reach each cell in person order: a row adds to the cell's last entry or appends a new
//! one, without hashing. Partial states from parallel parts of the scan are sorted lists,
//! merged in one pass. Rows out of order (after a join that reorders) are appended all the
//! same, and the list is sorted and its repeats added up before it is read, or when it has
//! doubled since it was last put in order.

use super::persons::{NO_PERSON, PersonIndex};
use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, BooleanArray, Float64Array};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility};
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};
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

/// The person index a function reads persons through; functions are equal when they share it.
#[derive(Debug, Clone)]
struct Index(Arc<PersonIndex>);

impl PartialEq for Index {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Index {}

impl std::hash::Hash for Index {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(Arc::as_ptr(&self.0), state)
    }
}

/// The aggregate function that accumulates a cell's evidence.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CellEvidence {
    kind: Kind,
    index: Index,
    signature: Signature,
}

impl CellEvidence {
    /// The function for `kind`, reading persons through `index`.
    pub fn new(kind: Kind, index: Arc<PersonIndex>) -> Self {
        CellEvidence { kind, index: Index(index), signature: Signature::any(2, Volatility::Immutable) }
    }

    fn feed(&self) -> Feed {
        Feed { count: self.kind == Kind::Count, index: self.index.0.clone(), hint: 0, persons: Vec::new() }
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
        Ok(Box::new(Single { feed: self.feed(), cell: Tracker::new() }))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format!("{}[state]", args.name), DataType::Binary, true))])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Trackers { feed: self.feed(), cells: Vec::new(), bytes: 0 }))
    }
}

/// Reads batches' arguments: persons to their indices, values to numbers.
#[derive(Debug)]
struct Feed {
    count: bool,
    index: Arc<PersonIndex>,
    /// The index found last, where the next search starts.
    hint: usize,
    /// The batch's person indices (a buffer kept between batches).
    persons: Vec<u32>,
}

/// A batch's values, read once.
struct Values {
    nulls: Option<NullBuffer>,
    /// Numeric values as floats; values that are not numbers count as present or missing.
    numbers: Option<Float64Array>,
}

impl Values {
    #[inline]
    fn get(&self, i: usize) -> Option<f64> {
        if self.nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            None
        } else {
            Some(self.numbers.as_ref().map_or(1.0, |n| n.value(i)))
        }
    }
}

impl Feed {
    /// Fills `self.persons` with the batch's person indices and reads its values.
    fn read(&mut self, args: &[ArrayRef]) -> Result<Values> {
        let persons = arrow::compute::cast(&args[0], &DataType::Int64)?;
        self.index.indices(persons.as_primitive::<Int64Type>(), &mut self.hint, &mut self.persons)?;
        let value = &args[1];
        let numbers = if value.data_type().is_numeric() {
            Some(arrow::compute::cast(value, &DataType::Float64)?.as_primitive::<Float64Type>().clone())
        } else {
            None
        };
        Ok(Values { nulls: value.logical_nulls(), numbers })
    }
}

fn skipped(filter: Option<&BooleanArray>, i: usize) -> bool {
    filter.is_some_and(|f| !f.is_valid(i) || !f.value(i))
}

/// The trackers of every group of an aggregate, fed a batch at a time (DataFusion's fast
/// path for many groups).
#[derive(Debug)]
struct Trackers {
    feed: Feed,
    cells: Vec<Tracker>,
    /// Bytes held by the cells' entry lists, kept as they grow (size() must not walk the cells).
    bytes: usize,
}

impl Trackers {
    fn take(&mut self, emit_to: EmitTo) -> Vec<Tracker> {
        let taken = emit_to.take_needed(&mut self.cells);
        self.bytes = self.cells.iter().map(Tracker::heap).sum();
        taken
    }
}

impl GroupsAccumulator for Trackers {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.cells.resize_with(total_num_groups, Tracker::new);
        let v = self.feed.read(values)?;
        let count = self.feed.count;
        for (i, (g, p)) in group_indices.iter().zip(&self.feed.persons).enumerate() {
            if skipped(opt_filter, i) {
                continue;
            }
            self.bytes += self.cells[*g].add(*p, v.get(i), count);
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let mut cells = self.take(emit_to);
        let mut out = Vec::with_capacity(cells.len());
        for c in &mut cells {
            out.push(serde_json::to_vec(&c.facts()).map_err(|e| DataFusionError::Internal(e.to_string()))?);
        }
        Ok(Arc::new(BinaryArray::from_iter_values(out)))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let mut cells = self.take(emit_to);
        Ok(vec![Arc::new(BinaryArray::from_iter_values(cells.iter_mut().map(|c| c.encode())))])
    }

    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> Result<()> {
        self.cells.resize_with(total_num_groups, Tracker::new);
        let states = values[0].as_binary::<i32>();
        for (i, g) in group_indices.iter().enumerate() {
            if states.is_null(i) {
                continue;
            }
            let cell = &mut self.cells[*g];
            let before = cell.heap();
            cell.merge(states.value(i))?;
            self.bytes = self.bytes + cell.heap() - before;
        }
        Ok(())
    }

    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        // Each row its own state (when partial aggregation does not pay, DataFusion skips it).
        let mut feed = Feed { count: self.feed.count, index: self.feed.index.clone(), hint: 0, persons: Vec::new() };
        let v = feed.read(values)?;
        let states = (0..feed.persons.len()).map(|i| {
            let mut t = Tracker::new();
            if !skipped(opt_filter, i) {
                t.add(feed.persons[i], v.get(i), feed.count);
            }
            t.encode()
        });
        Ok(vec![Arc::new(BinaryArray::from_iter_values(states))])
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.cells.capacity() * std::mem::size_of::<Tracker>()
            + self.bytes
            + self.feed.persons.capacity() * 4
    }
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
    /// The person set: a serialized Roaring bitmap of the persons' indices in the extract's
    /// person index ([`super::persons`]).
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
    /// The person set, as indices in the extract's person index.
    pub fn bitmap(&self) -> Option<RoaringBitmap> {
        RoaringBitmap::deserialize_from(self.persons_bitmap.as_slice()).ok()
    }
}

/// One person's contribution to a cell.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    /// The person's index.
    person: u32,
    /// Their non-missing values.
    values: u32,
    /// The sum of their values, or the number of their non-missing values (by kind).
    amount: f64,
}

const ENTRY_BYTES: usize = 16;
/// Header of an encoded state: missing, negative, unowned rows, unowned values, unowned
/// amount, smallest and largest value.
const HEADER_BYTES: usize = 7 * 8;

/// The running evidence of one cell.
#[derive(Debug)]
struct Tracker {
    /// Contributions; in person order, each person once, when `tidy`.
    entries: Vec<Entry>,
    tidy: bool,
    /// Length of `entries` when last put in order.
    tidy_len: usize,
    missing: u64,
    negative: u64,
    unowned_rows: u64,
    unowned_values: u64,
    unowned_amount: f64,
    /// Smallest and largest value (infinite while there is none).
    min: f64,
    max: f64,
}

impl Tracker {
    fn new() -> Self {
        Tracker {
            entries: Vec::new(),
            tidy: true,
            tidy_len: 0,
            missing: 0,
            negative: 0,
            unowned_rows: 0,
            unowned_values: 0,
            unowned_amount: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// Bytes held outside the struct.
    fn heap(&self) -> usize {
        self.entries.capacity() * ENTRY_BYTES
    }

    /// One row: its person's index ([`NO_PERSON`] if unknown) and its value (if not missing).
    /// Returns the bytes the cell grew by.
    #[inline]
    fn add(&mut self, person: u32, value: Option<f64>, count: bool) -> usize {
        let (amount, values) = match value {
            None => {
                self.missing += 1;
                (0.0, 0)
            }
            Some(v) => {
                self.negative += (v < 0.0) as u64;
                self.min = self.min.min(v);
                self.max = self.max.max(v);
                (if count { 1.0 } else { v }, 1)
            }
        };
        if person == NO_PERSON {
            self.unowned_rows += 1;
            self.unowned_amount += amount;
            self.unowned_values += values as u64;
            return 0;
        }
        match self.entries.last_mut() {
            Some(e) if e.person == person => {
                e.amount += amount;
                e.values += values;
                0
            }
            last => {
                if last.is_some_and(|e| e.person > person) {
                    self.tidy = false;
                }
                let before = self.heap();
                self.entries.push(Entry { person, values, amount });
                if !self.tidy && self.entries.len() >= 2 * self.tidy_len + 64 {
                    self.put_in_order();
                }
                self.heap() - before
            }
        }
    }

    /// Sorts the entries by person and adds up each person's (a stable sort: the same rows
    /// give the same sums).
    fn put_in_order(&mut self) {
        if !self.tidy {
            self.entries.sort_by_key(|e| e.person);
            self.entries.dedup_by(|later, kept| {
                let same = later.person == kept.person;
                if same {
                    kept.amount += later.amount;
                    kept.values += later.values;
                }
                same
            });
            self.tidy = true;
        }
        self.tidy_len = self.entries.len();
    }

    fn facts(&mut self) -> Facts {
        self.put_in_order();
        let (mut top1, mut top2, mut total, mut total_abs, mut with_value, mut values) =
            (0.0f64, 0.0f64, 0.0, 0.0, 0u64, 0u64);
        for e in &self.entries {
            let a = e.amount.abs();
            total += e.amount;
            total_abs += a;
            with_value += (e.values > 0) as u64;
            values += e.values as u64;
            if a > top1 {
                top2 = top1;
                top1 = a;
            } else if a > top2 {
                top2 = a;
            }
        }
        total += self.unowned_amount;
        total_abs += self.unowned_amount.abs();
        values += self.unowned_values;
        let bitmap = RoaringBitmap::from_sorted_iter(self.entries.iter().map(|e| e.person)).unwrap_or_default();
        let mut bytes = Vec::with_capacity(bitmap.serialized_size());
        let _ = bitmap.serialize_into(&mut bytes);
        Facts {
            persons: self.entries.len() as u64,
            persons_with_value: with_value,
            rows: values + self.missing,
            values,
            missing: self.missing,
            negative: self.negative,
            unowned_rows: self.unowned_rows,
            total,
            total_abs,
            top1,
            top2,
            distinct_values: match self.min.partial_cmp(&self.max) {
                Some(std::cmp::Ordering::Equal) => 1,
                Some(std::cmp::Ordering::Less) => 2,
                _ => 0,
            },
            persons_bitmap: bytes,
        }
    }

    /// The state between partial and final aggregation: the header's little-endian fields,
    /// then one (person, values, amount) entry per person, in person order.
    fn encode(&mut self) -> Vec<u8> {
        self.put_in_order();
        let mut out = Vec::with_capacity(HEADER_BYTES + self.entries.len() * ENTRY_BYTES);
        for n in [self.missing, self.negative, self.unowned_rows, self.unowned_values] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        for f in [self.unowned_amount, self.min, self.max] {
            out.extend_from_slice(&f.to_le_bytes());
        }
        for e in &self.entries {
            out.extend_from_slice(&e.person.to_le_bytes());
            out.extend_from_slice(&e.values.to_le_bytes());
            out.extend_from_slice(&e.amount.to_le_bytes());
        }
        out
    }

    /// Adds an encoded state: both lists are in person order, so they merge in one pass.
    fn merge(&mut self, bytes: &[u8]) -> Result<()> {
        let broken = || DataFusionError::Internal("an evidence state is damaged".into());
        if bytes.len() < HEADER_BYTES || !(bytes.len() - HEADER_BYTES).is_multiple_of(ENTRY_BYTES) {
            return Err(broken());
        }
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            w
        };
        self.missing += u64::from_le_bytes(word(0));
        self.negative += u64::from_le_bytes(word(1));
        self.unowned_rows += u64::from_le_bytes(word(2));
        self.unowned_values += u64::from_le_bytes(word(3));
        self.unowned_amount += f64::from_le_bytes(word(4));
        self.min = self.min.min(f64::from_le_bytes(word(5)));
        self.max = self.max.max(f64::from_le_bytes(word(6)));
        let incoming = bytes[HEADER_BYTES..].chunks_exact(ENTRY_BYTES).map(|c| {
            let mut p = [0u8; 4];
            let mut v = [0u8; 4];
            let mut a = [0u8; 8];
            p.copy_from_slice(&c[0..4]);
            v.copy_from_slice(&c[4..8]);
            a.copy_from_slice(&c[8..16]);
            Entry { person: u32::from_le_bytes(p), values: u32::from_le_bytes(v), amount: f64::from_le_bytes(a) }
        });
        self.put_in_order();
        let first = bytes.get(HEADER_BYTES..HEADER_BYTES + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        match (self.entries.last(), first) {
            (_, None) => {}
            // Usual case: the parts of a sorted scan follow each other.
            (None, Some(_)) => self.entries.extend(incoming),
            (Some(last), Some(first)) if last.person < first => self.entries.extend(incoming),
            _ => {
                let mine = std::mem::take(&mut self.entries);
                let mut merged = Vec::with_capacity(mine.len() + (bytes.len() - HEADER_BYTES) / ENTRY_BYTES);
                let mut theirs = incoming.peekable();
                let mut mine = mine.into_iter().peekable();
                loop {
                    let next = match (mine.peek(), theirs.peek()) {
                        (Some(a), Some(b)) if a.person == b.person => {
                            let (a, b) = (mine.next(), theirs.next());
                            a.zip(b).map(|(a, b)| Entry {
                                person: a.person,
                                values: a.values + b.values,
                                amount: a.amount + b.amount,
                            })
                        }
                        (Some(a), Some(b)) if a.person < b.person => mine.next(),
                        (Some(_), Some(_)) | (None, Some(_)) => theirs.next(),
                        (Some(_), None) => mine.next(),
                        (None, None) => break,
                    };
                    merged.extend(next);
                }
                if merged.windows(2).any(|w| w[0].person >= w[1].person) {
                    return Err(broken());
                }
                self.entries = merged;
            }
        }
        self.tidy_len = self.entries.len();
        Ok(())
    }
}

/// The evidence of an aggregate without groups.
#[derive(Debug)]
struct Single {
    feed: Feed,
    cell: Tracker,
}

impl Accumulator for Single {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let v = self.feed.read(values)?;
        for (i, p) in self.feed.persons.iter().enumerate() {
            self.cell.add(*p, v.get(i), self.feed.count);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let json = serde_json::to_vec(&self.cell.facts()).map_err(|e| DataFusionError::Internal(e.to_string()))?;
        Ok(ScalarValue::Binary(Some(json)))
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>() + self.cell.heap() + self.feed.persons.capacity() * 4
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Binary(Some(self.cell.encode()))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let states: &BinaryArray = states[0].as_binary::<i32>();
        for state in states.iter().flatten() {
            self.cell.merge(state)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;

    fn index() -> Arc<PersonIndex> {
        Arc::new(PersonIndex::from_pseudonyms((0..100).collect()).unwrap())
    }

    fn feed(t: &mut Single, rows: &[(Option<i64>, Option<f64>)]) {
        let persons: ArrayRef = Arc::new(rows.iter().map(|r| r.0).collect::<Int64Array>());
        let values: ArrayRef = Arc::new(rows.iter().map(|r| r.1).collect::<Float64Array>());
        t.update_batch(&[persons, values]).unwrap();
    }

    fn single(kind: Kind) -> Single {
        let f = CellEvidence::new(kind, index());
        Single { feed: f.feed(), cell: Tracker::new() }
    }

    fn run(kind: Kind, rows: &[(Option<i64>, Option<f64>)]) -> Facts {
        let mut t = single(kind);
        feed(&mut t, rows);
        t.cell.facts()
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
    fn partial_states_merge_to_the_same_facts_in_any_order() {
        let rows: Vec<(Option<i64>, Option<f64>)> =
            (0..100).map(|i| (Some(i % 7), if i % 11 == 0 { None } else { Some(i as f64 - 20.0) })).collect();
        let whole = run(Kind::Sum, &rows);
        assert_eq!(whole.negative, 18);
        // Parts in rows' order, and the same parts merged last first.
        let parts: Vec<Vec<u8>> = rows
            .chunks(33)
            .map(|part| {
                let mut t = single(Kind::Sum);
                feed(&mut t, part);
                t.cell.encode()
            })
            .collect();
        for order in [vec![0, 1, 2, 3], vec![3, 1, 0, 2]] {
            let mut merged = Tracker::new();
            for i in order {
                merged.merge(&parts[i]).unwrap();
            }
            let f = merged.facts();
            assert_eq!((f.persons, f.rows, f.missing, f.negative), (whole.persons, 100, whole.missing, 18));
            assert_eq!((f.top1, f.top2, f.bitmap()), (whole.top1, whole.top2, whole.bitmap()));
            assert!((f.total - whole.total).abs() < 1e-9);
        }
        assert!(Tracker::new().merge(&[1, 2, 3]).is_err());
    }

    #[test]
    fn sorted_and_shuffled_rows_give_the_same_facts() {
        // 300 rows of 40 persons, in person order and then interleaved, as a join may leave them.
        let sorted: Vec<(Option<i64>, Option<f64>)> =
            (0..300).map(|i| (Some(i / 8 % 40), Some((i % 13) as f64))).collect();
        let mut shuffled = sorted.clone();
        shuffled.sort_by_key(|(p, v)| (v.map(|v| v as i64), *p));
        let a = run(Kind::Sum, &sorted);
        let b = run(Kind::Sum, &shuffled);
        assert_eq!((a.persons, a.total, a.top1, a.top2, a.bitmap()), (b.persons, b.total, b.top1, b.top2, b.bitmap()));
    }

    #[test]
    fn rows_without_a_person_are_counted_apart() {
        let f = run(Kind::Count, &[(None, Some(1.0)), (Some(5), Some(2.0))]);
        assert_eq!((f.persons, f.unowned_rows, f.total, f.rows), (1, 1, 2.0, 2));
    }
}
