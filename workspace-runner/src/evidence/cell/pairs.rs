//! The partial aggregation of a count of a literal (COUNT(*)) over rows in person order: the
//! rows logged as they come, and each cell's [`Tally`] made from them when the states are
//! written.
//!
//! A row is its cell, 4 bytes appended to one log, and each run of one person's rows is
//! marked where it starts: no row reaches for its cell, which, with thousands of cells, is a
//! wait on memory a row. When the states are written, the log is put in order by cell (a
//! counting sort, which keeps each cell's rows in their order), and each cell's rows are read
//! in one pass: a run of a person's rows is their contribution; the cell's first and last
//! persons stay open, the others are complete, folded into the totals and top contributions,
//! and written as the cell's completed persons.
//!
//! The log is written once and read twice, a stream through memory that weighs by its bytes:
//! with the person beside every row's cell, 8 bytes a row, the benchmark's COUNT took
//! 0.4460 s and 0.4237 s against 0.4218 s and 0.4138 s (two sets of ten and twelve paired
//! rounds). Counting each cell's rows as they are logged, so that the sort reads the log once,
//! not twice, gained nothing: 0.4597 s against 0.4466 s, then 0.4510 s against 0.4611 s.
//!
//! The state is byte for byte what a [`Tally`] (and so a [`Stream`]) fed the same rows
//! writes: the same persons are completed and kept open, and rows out of person order within
//! a cell are an error in the same cases ([`OUT_OF_ORDER`]); rows in person order within each
//! cell but not across them (a UNION ALL of sorted tables) are accepted, as there. It takes
//! no merges: the final stage is `parts`, which wraps it.
//!
//! Measured and not kept (the benchmark's COUNT, 35,201 cells, 10.1 M rows, paired rounds):
//! each cell's current person and rows kept in 8 bytes a cell, one array for all cells, with
//! what a completed person folds into (first person, completed persons and rows, top ten as
//! `u32`s) in one 64-byte line a cell and completed persons in one log: 0.403 s against
//! 0.370 s for this log, and 0.411 s against 0.393 s, in two sets of six rounds; the fold's
//! line was a wait on memory for three rows in four (a person's rows in a cell are mostly
//! one), 42% of the stamps' update in perf. With
//! the completed persons and the top's floor in a 16-byte stamp, so that the line was
//! touched only by a person entering the top, it was no faster (0.384 s against 0.378 s):
//! those few touches waited on main memory. Nor was one log per block of 512 cells, to keep
//! the writing of the states in the core's cache: with the stamps, 0.364 s against 0.351 s;
//! with this log, 0.383 s against 0.361 s (a row's push to one of many logs costs more than
//! the sort it saves).

use super::*;

/// The largest rows of a cell's completed persons, largest first, as [`Top`] keeps them.
#[derive(Debug, Clone, Copy, Default)]
struct TopRows {
    len: usize,
    top: [u32; TOP_CONTRIBUTIONS],
}

impl TopRows {
    #[inline]
    fn offer(&mut self, rows: u32) {
        if self.len == TOP_CONTRIBUTIONS && rows <= self.top[TOP_CONTRIBUTIONS - 1] {
            return;
        }
        // Into its place after the values at least as large, as Top::offer places it.
        let mut at = self.len.min(TOP_CONTRIBUTIONS - 1);
        while at > 0 && self.top[at - 1] < rows {
            self.top[at] = self.top[at - 1];
            at -= 1;
        }
        self.top[at] = rows;
        self.len = (self.len + 1).min(TOP_CONTRIBUTIONS);
    }

    fn top(&self) -> Top {
        let mut top = Top { len: self.len, ..Top::default() };
        for (t, r) in top.values.iter_mut().zip(&self.top[..self.len]) {
            *t = f64::from(*r);
        }
        top
    }
}

/// The cells of a count of a literal; see the module's documentation.
#[derive(Debug)]
pub(super) struct Pairs {
    feed: Feed,
    /// Every row's value (the literal's), once a row was read.
    value: f64,
    cells: usize,
    /// Per cell: rows with no person (empty until there is one).
    unowned: Vec<u64>,
    /// The cells of the rows of known persons, in the order they came.
    log: Vec<u32>,
    /// Where each run of rows of one person starts in `log`, and the person: the rows come
    /// in person order, so a person's rows are mostly one run.
    runs: Vec<(usize, u32)>,
}

impl Pairs {
    pub(super) fn new(feed: Feed) -> Self {
        Pairs { feed, value: 1.0, cells: 0, unowned: Vec::new(), log: Vec::new(), runs: Vec::new() }
    }

    /// The logged rows, each as its cell and person, in the order they came.
    fn rows(&self) -> impl Iterator<Item = (usize, u32)> + Clone + '_ {
        self.runs.iter().enumerate().flat_map(move |(k, &(start, person))| {
            let end = self.runs.get(k + 1).map_or(self.log.len(), |r| r.0);
            self.log[start..end].iter().map(move |&g| (g as usize, person))
        })
    }

    /// Logs a row of `person` in cell `g`.
    #[inline]
    fn log_row(&mut self, g: u32, person: u32) {
        if self.runs.last().is_none_or(|r| r.1 != person) {
            self.runs.push((self.log.len(), person));
        }
        self.log.push(g);
    }

    /// A row of no person in cell `g`.
    fn count_unowned(&mut self, g: usize) {
        if self.unowned.len() < self.cells {
            self.unowned.resize(self.cells, 0);
        }
        self.unowned[g] += 1;
    }

    /// Appends the state of a cell whose rows of known persons are `persons` (in the order
    /// they came) and whose rows of none are `unowned`, as [`Stream::encode`] writes it;
    /// `done` is room kept between cells.
    fn write_cell(&self, persons: &[u32], unowned: u64, done: &mut Vec<u32>, out: &mut Vec<u8>) -> Result<()> {
        done.clear();
        let (mut first, mut current) = (None, None::<(u32, u32)>);
        let (mut done_rows, mut top) = (0u64, TopRows::default());
        for &p in persons {
            match &mut current {
                Some((q, rows)) if *q == p => *rows += 1,
                _ => {
                    // The previous person is complete: the cell's first, kept open, or folded in.
                    if let Some((q, rows)) = current.replace((p, 1)) {
                        if q > p {
                            return Err(out_of_order());
                        }
                        if first.is_none() {
                            first = Some((q, rows));
                        } else {
                            done.push(q);
                            done_rows += u64::from(rows);
                            top.offer(rows);
                        }
                    }
                }
            }
        }
        let open_rows = |e: Option<(u32, u32)>| e.map_or(0, |(_, rows)| u64::from(rows));
        let rows = done_rows + open_rows(first) + open_rows(current) + unowned;
        // Every row's value counted as Counts::value counts it (a NaN passed over).
        let (v, mut counts) = (self.value, Counts::default());
        if rows > 0 {
            counts.negative = if v < 0.0 { rows } else { 0 };
            if v < counts.min {
                counts.min = v;
            }
            if v > counts.max {
                counts.max = v;
            }
        }
        counts.encode(out);
        Unowned { rows: unowned, values: unowned, amount: unowned as f64 }.encode(out);
        let total = done_rows as f64;
        Sums { with_value: done.len() as u64, values: done_rows, total, total_abs: total }.encode(out);
        top.top().encode(out);
        // The open persons, as Stream::gather gathers them (the first is the smaller).
        out.extend_from_slice(&(first.is_some() as u64 + current.is_some() as u64).to_le_bytes());
        for (person, rows) in first.into_iter().chain(current) {
            put_entry(out, &Entry { person, values: rows, amount: f64::from(rows) });
        }
        out.extend_from_slice(&(done.len() as u64).to_le_bytes());
        put_u32s(out, done);
        Ok(())
    }

    /// The states of the cells `emit_to` takes; the cells are then gone, and the rest
    /// renumbered from 0.
    fn states(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let cells = self.cells;
        let n = match emit_to {
            EmitTo::All => cells,
            EmitTo::First(n) => n.min(cells),
        };
        // Each cell's persons, in the order they came.
        let (starts, persons) = by_cell(cells, self.rows());
        // A person takes 4 bytes; the rest of a cell's state, at most 200.
        let mut out = Vec::with_capacity(4 * starts[n] + 200 * n);
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0i32);
        let mut done = Vec::new();
        for g in 0..n {
            let unowned = self.unowned.get(g).copied().unwrap_or(0);
            self.write_cell(&persons[starts[g]..starts[g + 1]], unowned, &mut done, &mut out)?;
            offsets.push(end_of(&out)?);
        }
        // The cells that stay, renumbered from 0, each with its rows in their order.
        self.log.clear();
        self.runs.clear();
        if n < cells {
            for g in n..cells {
                for &person in &persons[starts[g]..starts[g + 1]] {
                    self.log_row((g - n) as u32, person);
                }
            }
            if !self.unowned.is_empty() {
                self.unowned.drain(..n.min(self.unowned.len()));
            }
        } else {
            (self.log, self.runs, self.unowned) = Default::default();
        }
        self.cells = cells - n;
        binary_from(out, offsets)
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
        self.cells = self.cells.max(total_num_groups);
        let v = self.feed.read(values, true)?;
        if !group_indices.is_empty() {
            self.value = v.get(0).ok_or_else(|| DataFusionError::Internal("a count of NULL has no tally".into()))?;
        }
        let persons = std::mem::take(&mut self.feed.persons);
        self.log.reserve(group_indices.len());
        for (i, (g, p)) in group_indices.iter().zip(&persons).enumerate() {
            if opt_filter.is_some() && skipped(opt_filter, i) {
                continue;
            }
            if *p == NO_PERSON {
                self.count_unowned(*g);
            } else {
                self.log_row(*g as u32, *p);
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
            + self.unowned.capacity() * 8
            + self.log.capacity() * 4
            + self.runs.capacity() * std::mem::size_of::<(usize, u32)>()
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
