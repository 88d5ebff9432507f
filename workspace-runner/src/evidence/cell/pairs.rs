//! The partial aggregation of a count of a literal (COUNT(*)) over rows in person order: a
//! [`Tally`] per cell, laid out for the cache.
//!
//! What every row touches, each cell's person and their rows so far, is 8 bytes a cell, one
//! array for all cells ([`Stamp`]). What a completed person touches, the cell's completed
//! persons and rows, its first person and its top contributions, is one 64-byte line a cell
//! ([`Fold`]): with the top in a line of its own (as in a [`Stream`]), a third of a
//! prototype's update went to waiting for it. Completed persons are not kept per cell: they go
//! to one log in the order they complete, and each cell's are written straight from it into
//! the cell's state, in one pass, when the state is written.
//!
//! The state is byte for byte what a [`Tally`] (and so a [`Stream`]) fed the same rows
//! writes: the same persons are completed and kept open, and rows out of person order within
//! a cell are an error in the same cases ([`OUT_OF_ORDER`]). It takes no merges: the final
//! stage is `parts`, which wraps it.

use super::*;

/// A cell's current person ([`NO_PERSON`] before any) and their rows so far.
#[derive(Debug, Clone, Copy)]
#[repr(C)]
struct Stamp {
    person: u32,
    rows: u32,
}

const NO_STAMP: Stamp = Stamp { person: NO_PERSON, rows: 0 };

/// What a cell folds of its completed persons, and its first person, in one cache line.
#[derive(Debug, Clone, Copy)]
#[repr(C, align(64))]
struct Fold {
    /// Completed persons.
    done: u32,
    /// How many of `top` hold a contribution.
    len: u8,
    /// Whether `first` holds the cell's first person (kept open, as in a [`Stream`]).
    opened: bool,
    /// A row came out of person order.
    disordered: bool,
    first: u32,
    first_rows: u32,
    /// The rows of the completed persons.
    rows: u64,
    /// The largest rows of completed persons, largest first.
    top: [u32; TOP_CONTRIBUTIONS],
}

impl Default for Fold {
    fn default() -> Self {
        Fold {
            done: 0,
            len: 0,
            opened: false,
            disordered: false,
            first: NO_PERSON,
            first_rows: 0,
            rows: 0,
            top: [0; TOP_CONTRIBUTIONS],
        }
    }
}

impl Fold {
    /// The cell's person `person` with `rows` is complete: the cell's first person, kept
    /// open, or folded in (true).
    #[inline]
    fn complete(&mut self, person: u32, rows: u32) -> bool {
        if !self.opened {
            (self.opened, self.first, self.first_rows) = (true, person, rows);
            return false;
        }
        self.done += 1;
        self.rows += u64::from(rows);
        if (self.len as usize) < TOP_CONTRIBUTIONS || rows > self.top[TOP_CONTRIBUTIONS - 1] {
            // Into its place after the values at least as large, as Top::offer places it.
            let mut at = (self.len as usize).min(TOP_CONTRIBUTIONS - 1);
            while at > 0 && self.top[at - 1] < rows {
                self.top[at] = self.top[at - 1];
                at -= 1;
            }
            self.top[at] = rows;
            self.len = (self.len + 1).min(TOP_CONTRIBUTIONS as u8);
        }
        true
    }

    fn top(&self) -> Top {
        let mut top = Top::default();
        for (i, r) in self.top[..self.len as usize].iter().enumerate() {
            top.values[i] = f64::from(*r);
        }
        top.len = self.len as usize;
        top
    }
}

/// A completed person of a cell, waiting in the log for the cell's state.
#[derive(Debug, Clone, Copy)]
struct Done {
    cell: u32,
    person: u32,
}

/// The cells of a count of a literal; see the module's documentation.
#[derive(Debug)]
pub(super) struct Pairs {
    feed: Feed,
    /// Every row's value (the literal's), once a row was read.
    value: f64,
    stamps: Vec<Stamp>,
    folds: Vec<Fold>,
    /// Per cell: rows with no person (empty until there is one).
    unowned: Vec<u64>,
    /// Completed persons, in the order they completed.
    log: Vec<Done>,
}

impl Pairs {
    pub(super) fn new(feed: Feed) -> Self {
        Pairs { feed, value: 1.0, stamps: Vec::new(), folds: Vec::new(), unowned: Vec::new(), log: Vec::new() }
    }

    fn cells(&self) -> usize {
        self.stamps.len()
    }

    fn grow(&mut self, cells: usize) {
        if cells > self.cells() {
            self.stamps.resize(cells, NO_STAMP);
            self.folds.resize(cells, Fold::default());
            if !self.unowned.is_empty() {
                self.unowned.resize(cells, 0);
            }
        }
    }

    /// One row of `person` in cell `g`.
    #[inline]
    fn row(&mut self, g: usize, person: u32) {
        if person == NO_PERSON {
            if self.unowned.is_empty() {
                self.unowned.resize(self.cells(), 0);
            }
            self.unowned[g] += 1;
            return;
        }
        let s = &mut self.stamps[g];
        if s.person == person {
            s.rows += 1;
            return;
        }
        let previous = std::mem::replace(s, Stamp { person, rows: 1 });
        if previous.person == NO_PERSON {
            return;
        }
        let fold = &mut self.folds[g];
        fold.disordered |= previous.person > person;
        if fold.complete(previous.person, previous.rows) {
            self.log.push(Done { cell: g as u32, person: previous.person });
        }
    }

    /// The states of the cells `emit_to` takes, as [`Stream::encode`] writes them; the cells
    /// are then gone, and the rest renumbered from 0.
    fn states(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let n = match emit_to {
            EmitTo::All => self.cells(),
            EmitTo::First(n) => n.min(self.cells()),
        };
        if self.folds[..n].iter().any(|f| f.disordered) {
            return Err(out_of_order());
        }
        // Each cell's size, then its head, leaving room for its completed persons.
        const HEAD: usize = 32 + 24 + 32 + 8 + 8 * TOP_CONTRIBUTIONS + 8;
        let open = |g: usize| self.folds[g].opened as usize + (self.stamps[g].person != NO_PERSON) as usize;
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0i32);
        let mut total = 0usize;
        for g in 0..n {
            total += HEAD + open(g) * ENTRY_BYTES + 8 + 4 * self.folds[g].done as usize;
            let end = i32::try_from(total)
                .map_err(|_| DataFusionError::ResourcesExhausted("the cells' evidence exceeds 2 GiB".into()))?;
            offsets.push(end);
        }
        let mut out: Vec<u8> = Vec::with_capacity(total);
        let mut at = vec![0usize; n];
        let v = self.value;
        for g in 0..n {
            let (f, s) = (&self.folds[g], &self.stamps[g]);
            let unowned = self.unowned.get(g).copied().unwrap_or(0);
            let rows = f.rows + u64::from(f.first_rows) + u64::from(s.rows) + unowned;
            // Every row's value counted as Counts::value counts it (a NaN passed over).
            let mut counts = Counts::default();
            if rows > 0 {
                counts.negative = if v < 0.0 { rows } else { 0 };
                if v < counts.min {
                    counts.min = v;
                }
                if v > counts.max {
                    counts.max = v;
                }
            }
            counts.encode(&mut out);
            Unowned { rows: unowned, values: unowned, amount: unowned as f64 }.encode(&mut out);
            let done_rows = f.rows as f64;
            Sums { with_value: u64::from(f.done), values: f.rows, total: done_rows, total_abs: done_rows }
                .encode(&mut out);
            f.top().encode(&mut out);
            // The open persons, as Stream::gather gathers them.
            let mut entries = Vec::with_capacity(2);
            for (person, rows) in [(f.first, f.first_rows), (s.person, s.rows)] {
                if person != NO_PERSON {
                    add_entry(&mut entries, Entry { person, values: rows, amount: f64::from(rows) });
                }
            }
            out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
            for e in &entries {
                put_entry(&mut out, e);
            }
            out.extend_from_slice(&u64::from(f.done).to_le_bytes());
            at[g] = out.len();
            out.resize(offsets[g + 1] as usize, 0);
        }
        // Completed persons, each into its cell's room, in the order they completed (each
        // cell's ascending, as no row was out of order); the rest stay, renumbered.
        let mut kept = 0;
        for k in 0..self.log.len() {
            let d = self.log[k];
            let g = d.cell as usize;
            if g < n {
                out[at[g]..at[g] + 4].copy_from_slice(&d.person.to_le_bytes());
                at[g] += 4;
            } else {
                self.log[kept] = Done { cell: d.cell - n as u32, person: d.person };
                kept += 1;
            }
        }
        self.log.truncate(kept);
        self.stamps.drain(..n);
        self.folds.drain(..n);
        if !self.unowned.is_empty() {
            self.unowned.drain(..n);
        }
        if self.cells() == 0 {
            (self.stamps, self.folds, self.unowned, self.log) = Default::default();
        }
        let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
        Ok(Arc::new(BinaryArray::try_new(offsets, Buffer::from_vec(out), None)?))
    }
}

impl GroupsAccumulator for Pairs {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        if total_num_groups > u32::MAX as usize {
            return Err(DataFusionError::ResourcesExhausted("too many cells for their evidence".into()));
        }
        self.grow(total_num_groups);
        let v = self.feed.read(values, true)?;
        if !group_indices.is_empty() {
            self.value = v.get(0).ok_or_else(|| DataFusionError::Internal("a count of NULL has no tally".into()))?;
        }
        let persons = std::mem::take(&mut self.feed.persons);
        match opt_filter {
            None => group_indices.iter().zip(&persons).for_each(|(g, p)| self.row(*g, *p)),
            Some(f) => {
                for (i, (g, p)) in group_indices.iter().zip(&persons).enumerate() {
                    if !skipped(Some(f), i) {
                        self.row(*g, *p);
                    }
                }
            }
        }
        self.feed.persons = persons;
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        // A single stage: the states, merged as the final stage would, and read.
        let mut cells = Trackers::<Tally>::new(self.feed.fresh());
        let states = self.states(emit_to)?;
        let n = states.len();
        cells.merge_batch(&[states], &(0..n).collect::<Vec<_>>(), n)?;
        cells.evaluate(EmitTo::All)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        Ok(vec![self.states(emit_to)?])
    }

    fn merge_batch(&mut self, _: &[ArrayRef], _: &[usize], _: usize) -> Result<()> {
        Err(DataFusionError::Internal("a count's partial stage takes no states; its final stage does".into()))
    }

    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        Trackers::<Tally>::new(self.feed.fresh()).convert_to_state(values, opt_filter)
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.stamps.capacity() * std::mem::size_of::<Stamp>()
            + self.folds.capacity() * std::mem::size_of::<Fold>()
            + self.unowned.capacity() * 8
            + self.log.capacity() * std::mem::size_of::<Done>()
            + self.feed.persons.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::Rng;
    use super::*;
    use arrow::array::{Float64Array, Int64Array};

    /// One trial: the same batches, filters and emits to a [`Pairs`] and to the [`Tally`]
    /// cells it stands for; their states (or evaluations) must be the same bytes, or both
    /// fail.
    fn trial(seed: u64, cells: usize, value: ArrayRef, disorder: bool, finish: &str) {
        let mut rng = Rng::new(seed);
        let index = Arc::new(PersonIndex::from_pseudonyms((0..400).collect()).unwrap());
        let feed = || Feed::new(true, index.clone());
        // As the engine builds it: the final stage around the partial.
        let mut pairs = super::super::parts::Parts::new(Box::new(Pairs::new(feed())), feed());
        let mut tally = Trackers::<Tally>::new(feed());
        // Persons ascending, 1 to 6 rows each, some rows without a person.
        let mut persons: Vec<Option<i64>> = Vec::new();
        for p in 0..400 {
            if rng.below(3) == 0 {
                continue;
            }
            for _ in 0..1 + rng.below(6) {
                persons.push(if rng.below(20) == 0 { None } else { Some(p) });
            }
        }
        if disorder {
            let (a, b) = (rng.below(persons.len() as u64) as usize, rng.below(persons.len() as u64) as usize);
            persons.swap(a, b);
        }
        let mut groups = cells;
        let mut at = 0;
        while at < persons.len() {
            let n = (1 + rng.below(60) as usize).min(persons.len() - at);
            let batch: Vec<Option<i64>> = persons[at..at + n].to_vec();
            at += n;
            // A person's rows mostly in a few cells, as a patient's prescriptions are.
            let g: Vec<usize> =
                batch.iter().map(|p| ((p.unwrap_or(7) as u64 * 31 + rng.below(4)) % groups as u64) as usize).collect();
            let p: ArrayRef = Arc::new(Int64Array::from(batch));
            let v = value.slice(0, 1);
            let v = arrow::compute::concat(&vec![v.as_ref(); n]).unwrap();
            let filter = (rng.below(4) == 0).then(|| {
                BooleanArray::from(
                    (0..n).map(|_| [Some(true), Some(false), None][rng.below(3) as usize]).collect::<Vec<_>>(),
                )
            });
            let args = [p, v];
            pairs.update_batch(&args, &g, filter.as_ref(), groups).unwrap();
            tally.update_batch(&args, &g, filter.as_ref(), groups).unwrap();
            if rng.below(8) == 0 && groups > 1 {
                let k = 1 + rng.below(groups as u64 - 1) as usize;
                let (a, b) = (pairs.state(EmitTo::First(k)), tally.state(EmitTo::First(k)));
                match (a, b) {
                    (Ok(a), Ok(b)) => {
                        let (x, y) = (a[0].as_binary::<i32>(), b[0].as_binary::<i32>());
                        assert_eq!(x.len(), y.len());
                        for i in 0..x.len() {
                            if x.value(i) != y.value(i) {
                                panic!("seed {seed} first {k} cell {i}: {:?} vs {:?}", x.value(i), y.value(i));
                            }
                        }
                    }
                    (a, b) => {
                        assert!(a.is_err() && b.is_err(), "seed {seed}: first {k}");
                        return;
                    }
                }
                groups -= k;
            }
        }
        let (a, b) = match finish {
            "state" => (pairs.state(EmitTo::All).map(|s| s[0].clone()), tally.state(EmitTo::All).map(|s| s[0].clone())),
            "evaluate" => (pairs.evaluate(EmitTo::All), tally.evaluate(EmitTo::All)),
            _ => {
                // A merge after rows: the states of a second part, merged into both.
                let mut other = Trackers::<Tally>::new(feed());
                let g: Vec<usize> = (0..groups).collect();
                let p: ArrayRef = Arc::new(Int64Array::from_iter_values((0..groups).map(|x| 399 - x as i64 % 3)));
                let v = arrow::compute::concat(&vec![value.slice(0, 1).as_ref(); groups]).unwrap();
                other.update_batch(&[p, v], &g, None, groups).unwrap();
                let states = other.state(EmitTo::All).unwrap();
                let merged = pairs.merge_batch(&states, &g, groups).and_then(|_| pairs.evaluate(EmitTo::All));
                (merged, tally.merge_batch(&states, &g, groups).and_then(|_| tally.evaluate(EmitTo::All)))
            }
        };
        match (a, b) {
            (Ok(a), Ok(b)) => assert_eq!(a.to_data(), b.to_data(), "seed {seed}: {finish}"),
            (a, b) => assert!(a.is_err() && b.is_err(), "seed {seed}: {finish}: one failed, the other did not"),
        }
    }

    #[test]
    fn pairs_write_what_tallies_fed_the_same_rows_write() {
        let values: [ArrayRef; 3] = [
            Arc::new(Int64Array::from(vec![1])),
            Arc::new(Int64Array::from(vec![-5])),
            Arc::new(Float64Array::from(vec![f64::NAN])),
        ];
        for seed in 0..60 {
            for cells in [1, 3, 40, DIRECT_CELLS + 100] {
                let value = values[seed as usize % 3].clone();
                for finish in ["state", "evaluate", "merge"] {
                    trial(seed, cells, value.clone(), seed % 5 == 4, finish);
                }
            }
        }
    }
}
