//! The persons on each side of a percentile: how many persons have a value at or below the
//! published value, and how many at or above (`SDC-RULES.md`, `extreme`). A median of 40
//! persons' values can still be one person's value when it sits at the edge of a skewed cell.
//!
//! The value is known only once the cell is complete, so the aggregate beside a percentile,
//! `tre_evidence_sides(person, value)`, keeps the persons at each edge of the cell: the
//! [`SIDE_PERSONS`] persons with the smallest values (each person by their smallest value in
//! the cell) and the [`SIDE_PERSONS`] with the largest (by their largest). Right above the
//! aggregate, `tre_evidence_at(evidence, sides, percentile)` counts those at or beyond the
//! percentile the query computed, and writes the counts into the cell's facts. A person
//! counts once however many of their values lie on a side; rows without a person are not
//! counted (they cannot be attributed), so a side is never overstated.
//!
//! Counts stop at [`SIDE_PERSONS`]: a side with that many persons has at least that many.

use super::cell::{Facts, Index, Reader, Tracked, damaged, groups_of, single_of};
use super::persons::{NO_PERSON, PersonIndex};
use arrow::array::{Array, ArrayRef, AsArray, BinaryArray};
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDFImpl, ColumnarValue, GroupsAccumulator, ScalarFunctionArgs, ScalarUDFImpl, Signature,
    Volatility,
};
use std::sync::Arc;

/// How many persons each side counts up to (the `extreme` rule needs 5).
pub const SIDE_PERSONS: usize = 10;

/// The name of the aggregate that keeps a cell's edges.
pub const SIDES: &str = "tre_evidence_sides";
/// The name of the function that counts the persons on each side of a value.
pub const AT: &str = "tre_evidence_at";

/// Up to [`SIDE_PERSONS`] persons with their most extreme value on one side, most extreme
/// first. `LOW` keeps the smallest values, otherwise the largest.
#[derive(Debug, Clone, Default, PartialEq)]
struct Edge<const LOW: bool> {
    persons: Vec<(u32, f64)>,
}

impl<const LOW: bool> Edge<LOW> {
    /// Whether `a` is further out than `b`.
    #[inline]
    fn beyond(a: f64, b: f64) -> bool {
        if LOW { a < b } else { a > b }
    }

    /// A person's value; returns the bytes the edge grew by.
    ///
    /// A person pushed out comes back only with a value beyond every kept one, which is then
    /// their most extreme: the edge only ever moves outwards.
    fn offer(&mut self, person: u32, value: f64) -> usize {
        if value.is_nan() {
            return 0;
        }
        let before = self.persons.capacity();
        if let Some(at) = self.persons.iter().position(|(p, _)| *p == person) {
            if !Self::beyond(value, self.persons[at].1) {
                return 0;
            }
            self.persons.remove(at);
        } else if self.persons.len() == SIDE_PERSONS {
            if !Self::beyond(value, self.persons[SIDE_PERSONS - 1].1) {
                return 0;
            }
            self.persons.pop();
        } else if self.persons.is_empty() {
            self.persons.reserve_exact(SIDE_PERSONS);
        }
        let at = self.persons.partition_point(|(_, v)| !Self::beyond(value, *v));
        self.persons.insert(at, (person, value));
        (self.persons.capacity() - before) * std::mem::size_of::<(u32, f64)>()
    }

    /// The persons whose value is at or beyond `value` (towards this edge).
    fn count_from(&self, value: f64) -> u64 {
        self.persons.iter().filter(|(_, v)| !Self::beyond(value, *v)).count() as u64
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.persons.len() as u64).to_le_bytes());
        for (p, v) in &self.persons {
            out.extend_from_slice(&(*p as u64).to_le_bytes());
            out.extend_from_slice(&v.to_le_bytes());
        }
    }

    fn merge(&mut self, r: &mut Reader<'_>) -> Result<()> {
        let len = r.u64()? as usize;
        if len > SIDE_PERSONS {
            return Err(damaged());
        }
        for _ in 0..len {
            let person = u32::try_from(r.u64()?).map_err(|_| damaged())?;
            let value = r.f64()?;
            self.offer(person, value);
        }
        Ok(())
    }
}

/// A cell's two edges.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Sides {
    low: Edge<true>,
    high: Edge<false>,
}

impl Sides {
    fn read(bytes: &[u8]) -> Result<Sides> {
        let mut sides = Sides::default();
        let mut r = Reader(bytes);
        sides.low.merge(&mut r)?;
        sides.high.merge(&mut r)?;
        if !r.0.is_empty() {
            return Err(damaged());
        }
        Ok(sides)
    }
}

impl Tracked for Sides {
    type Row = super::cell::Logged;

    #[inline]
    fn add(&mut self, person: u32, value: Option<f64>, _count: bool) -> usize {
        match value {
            Some(v) if person != NO_PERSON => self.low.offer(person, v) + self.high.offer(person, v),
            _ => 0,
        }
    }

    fn heap(&self) -> usize {
        (self.low.persons.capacity() + self.high.persons.capacity()) * std::mem::size_of::<(u32, f64)>()
    }

    fn encode(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.low.encode(out);
        self.high.encode(out);
        Ok(())
    }

    fn merge(&mut self, bytes: &[u8]) -> Result<()> {
        let mut r = Reader(bytes);
        self.low.merge(&mut r)?;
        self.high.merge(&mut r)
    }

    fn output(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.encode(out)
    }
}

/// `tre_evidence_sides(person, value)`: the persons at a cell's two edges.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SidesEvidence {
    index: Index,
    signature: Signature,
}

impl SidesEvidence {
    /// The aggregate, reading persons through `index`.
    pub fn new(index: Arc<PersonIndex>) -> Self {
        SidesEvidence { index: Index(index), signature: Signature::any(2, Volatility::Immutable) }
    }
}

impl AggregateUDFImpl for SidesEvidence {
    fn name(&self) -> &str {
        SIDES
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Binary)
    }

    fn accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(single_of::<Sides>(self.index.0.clone()))
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format!("{}[state]", args.name), DataType::Binary, true))])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(&self, _args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(groups_of::<Sides>(self.index.0.clone()))
    }
}

/// `tre_evidence_at(evidence, sides, value)`: the cell's facts with the persons at or below
/// `value` and at or above it.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct SidesAt {
    signature: Signature,
}

impl Default for SidesAt {
    fn default() -> Self {
        SidesAt { signature: Signature::any(3, Volatility::Immutable) }
    }
}

/// The facts of `evidence` with the sides of `value` counted from `sides` (no value: none on
/// either side).
fn facts_at(evidence: &[u8], sides: &[u8], value: Option<f64>) -> Result<Vec<u8>> {
    let mut facts = Facts::from_bytes(evidence).ok_or_else(damaged)?;
    let sides = Sides::read(sides)?;
    let (below, above) = match value {
        Some(v) if !v.is_nan() => (sides.low.count_from(v), sides.high.count_from(v)),
        _ => (0, 0),
    };
    facts.persons_at_or_below = Some(below);
    facts.persons_at_or_above = Some(above);
    Ok(facts.to_bytes())
}

impl ScalarUDFImpl for SidesAt {
    fn name(&self) -> &str {
        AT
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Binary)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [evidence, sides, value] = arrays.as_slice() else {
            return Err(DataFusionError::Internal(format!("{AT} takes three arguments")));
        };
        if !value.data_type().is_numeric() {
            // A percentile that is no number has no sides the values can be held against: its
            // facts say nothing of them, and the gate fails it as not known.
            return Ok(ColumnarValue::Array(evidence.clone()));
        }
        let value: ArrayRef = arrow::compute::cast(value, &DataType::Float64)?;
        let (evidence, sides, value) =
            (evidence.as_binary::<i32>(), sides.as_binary::<i32>(), value.as_primitive::<Float64Type>());
        let mut out = Vec::with_capacity(rows);
        for i in 0..rows {
            if evidence.is_null(i) || sides.is_null(i) {
                return Err(damaged());
            }
            let v = if value.is_null(i) { None } else { Some(value.value(i)) };
            out.push(facts_at(evidence.value(i), sides.value(i), v)?);
        }
        Ok(ColumnarValue::Array(Arc::new(BinaryArray::from_iter_values(out))))
    }
}

#[cfg(test)]
mod tests {
    use super::super::cell::tests::encoded;
    use super::*;

    fn sides(rows: &[(u32, f64)]) -> Sides {
        let mut s = Sides::default();
        for (p, v) in rows {
            s.add(*p, Some(*v), false);
        }
        s
    }

    #[test]
    fn each_person_counts_once_by_their_most_extreme_value() {
        // Person 1 has three low values; persons 2..=4 one each.
        let s = sides(&[(1, 1.0), (1, 2.0), (1, 3.0), (2, 5.0), (3, 6.0), (4, 7.0)]);
        assert_eq!((s.low.count_from(3.0), s.high.count_from(3.0)), (1, 4));
        assert_eq!((s.low.count_from(5.0), s.high.count_from(5.0)), (2, 3));
        assert_eq!((s.low.count_from(0.5), s.high.count_from(7.5)), (0, 0));
    }

    #[test]
    fn a_person_pushed_out_comes_back_with_a_more_extreme_value() {
        let mut rows: Vec<(u32, f64)> = (0..SIDE_PERSONS as u32).map(|p| (p, 10.0 + p as f64)).collect();
        // Person 99 comes in at 50 (beyond the low edge's kept values: not kept there), then 1.
        rows.extend([(99, 50.0), (99, 1.0)]);
        let s = sides(&rows);
        assert_eq!(s.low.persons.first(), Some(&(99, 1.0)));
        assert_eq!(s.low.persons.len(), SIDE_PERSONS);
        assert_eq!(s.high.persons.first(), Some(&(99, 50.0)));
        // Counts stop at SIDE_PERSONS.
        assert_eq!(s.low.count_from(100.0), SIDE_PERSONS as u64);
    }

    #[test]
    fn parts_merge_to_the_whole() {
        let rows: Vec<(u32, f64)> = (0..200u32).map(|i| (i % 37, ((i * 7919) % 101) as f64)).collect();
        let whole = sides(&rows);
        let (a, b) = rows.split_at(83);
        let mut merged = Sides::default();
        for part in [sides(b), sides(a)] {
            let mut part = part;
            merged.merge(&encoded(&mut part).unwrap()).unwrap();
        }
        // Persons with a value at or below / above v, counted one by one, up to SIDE_PERSONS.
        let truth = |v: f64, below: bool| {
            let persons: std::collections::BTreeSet<u32> =
                rows.iter().filter(|(_, x)| if below { *x <= v } else { *x >= v }).map(|(p, _)| *p).collect();
            persons.len().min(SIDE_PERSONS) as u64
        };
        for v in (0..=101).map(f64::from) {
            for s in [&whole, &merged] {
                assert_eq!(s.low.count_from(v), truth(v, true), "below {v}");
                assert_eq!(s.high.count_from(v), truth(v, false), "above {v}");
            }
        }
        assert_eq!(Sides::read(&encoded(&mut merged).unwrap()).unwrap(), merged);
        assert!(Sides::read(&[1, 2, 3]).is_err());
    }

    #[test]
    fn rows_without_a_person_or_a_value_are_not_counted() {
        let mut s = Sides::default();
        s.add(NO_PERSON, Some(1.0), false);
        s.add(3, None, false);
        assert_eq!(s, Sides::default());
    }
}
