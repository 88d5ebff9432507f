//! The partial aggregation of a count of a literal (COUNT(*)) over rows in person order: the
//! rows logged as they come, and each cell's [`Tally`] made from them when the states are
//! written.
//!
//! The log is of entries of 4 bytes, each the rows of one run of a person's rows in one cell:
//! the cell in the low 24 bits, the rows less one above ([`pack`]), and each run marked where
//! it starts. A row reads one slot of its cell (8 bytes: where its last entry is, and how many
//! entries it has, 280 KiB for the benchmark's 35,201 cells, within the core's cache): if that
//! entry is of this run and has room, the row joins it, else it starts one. Which it is
//! is decided without a branch: a quarter of the benchmark's rows join an entry, at random,
//! and a branch mispredicted that often cost more than the entries it saved. Rows no longer
//! reach for their cells' tallies, which, with thousands of cells, is a wait on memory a row.
//! When the states are written, the entries are put in order by cell (a counting sort whose
//! counts the slots kept, and which keeps each cell's entries in their order) straight into
//! the states' buffer, each cell's after room for its head. Each cell's entries are then read
//! twice: a person's entries are their contribution; the cell's first and last persons stay
//! open, the others are complete, folded into the totals and top contributions for the head,
//! then written after it, over the entries already read, as the cell's completed persons.
//! Sorting into a buffer of its own and copying each cell's persons from there cost 15 MiB
//! more of fresh memory a part, each page a fault: the count with evidence took 0.3520 s
//! and 0.3402 s against 0.3382 s and 0.3347 s this way (six paired rounds in each order).
//!
//! Packed so, entries are 7.5 M, not 10.1 M for the benchmark's rows, and the counting pass
//! over the log is gone: the benchmark's COUNT with evidence took 0.3696 s against 0.3946 s
//! for a row an entry, and 0.3892 s against 0.4035 s (eight paired rounds in each order). The
//! same with a branch on joining: 0.3974 s against 0.3993 s, 0.3725 s against 0.3796 s. More
//! than 2^24 cells or persons do not fit the packing: then (persons from the start, cells
//! once they outgrow it) each row is an entry, as before.
//!
//! Before the packing, the log was written once and read twice, a stream through memory that
//! weighs by its bytes: with the person beside every row's cell, 8 bytes a row, the
//! benchmark's COUNT took 0.4460 s and 0.4237 s against 0.4218 s and 0.4138 s (two sets of
//! ten and twelve paired rounds). Counting each cell's rows as they were logged, so that the
//! sort read the log once, not twice, gained nothing then: 0.4597 s against 0.4466 s, then
//! 0.4510 s against 0.4611 s (the slots count them now, in the line a row reads anyway).
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
use std::ops::Range;

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
    /// The entries of the rows of known persons, in the order they came: a run's rows in one
    /// cell as the cell and the rows packed (see [`pack`]) by `shift`.
    log: Vec<u32>,
    /// Where each run of rows of one person starts in `log`, and the person: the rows come
    /// in person order, so a person's rows are mostly one run.
    runs: Vec<(usize, u32)>,
    /// Per cell, as many as `cells`.
    slots: Vec<Slot>,
    /// The bits a packed entry gives its cell (or person); 32 when entries are not packed, a
    /// row each.
    shift: u32,
    /// The `shift` the log begins with: [`PACKING`], or 32 if the persons do not fit it.
    packing: u32,
}

/// A cell's place in the log.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// Where in the log its last entry is, plus one (0: none since the log was last begun).
    last: u32,
    /// Its entries in the log.
    entries: u32,
}

/// The bits that hold a packed entry's cell or person.
fn mask(shift: u32) -> u32 {
    ((1u64 << shift) - 1) as u32
}

/// An entry of `rows` rows of `what` (a cell, or a person), packed by `shift`: `what` in the
/// low bits, and the rows less one above them. `rows` is 1 when `shift` is 32.
fn pack(what: u32, rows: u32, shift: u32) -> u32 {
    what | ((u64::from(rows - 1) << shift) as u32)
}

/// What [`pack`] packed: its cell or person, and its rows.
#[inline]
fn unpack(entry: u32, shift: u32) -> (u32, u32) {
    (entry & mask(shift), (u64::from(entry) >> shift) as u32 + 1)
}

/// The bits packed entries give a cell or a person: 2^24 of each, up to 256 rows an entry.
const PACKING: u32 = 24;

impl Pairs {
    pub(super) fn new(feed: Feed) -> Self {
        Self::packed(feed, PACKING)
    }

    /// Cells with entries packed by `shift` while the cells and the persons fit it.
    fn packed(feed: Feed, shift: u32) -> Self {
        let packing = if feed.index.len() <= 1 << shift { shift } else { 32 };
        Pairs {
            feed,
            value: 1.0,
            cells: 0,
            unowned: Vec::new(),
            log: Vec::new(),
            runs: Vec::new(),
            slots: Vec::new(),
            shift: packing,
            packing,
        }
    }

    /// Each run's person and its entries in the log, in the order they came.
    fn runs(&self) -> impl Iterator<Item = (u32, &[u32])> + '_ {
        self.runs.iter().enumerate().map(move |(k, &(start, person))| {
            let end = self.runs.get(k + 1).map_or(self.log.len(), |r| r.0);
            (person, &self.log[start..end])
        })
    }

    /// The logged entries, each as its cell, person and rows, in the order they came.
    fn entries(&self) -> impl Iterator<Item = (u32, u32, u32)> + '_ {
        self.runs().flat_map(move |(person, entries)| {
            entries.iter().map(move |&e| {
                let (g, rows) = unpack(e, self.shift);
                (g, person, rows)
            })
        })
    }

    /// Logs `rows` rows of `person` in cell `g`: to the cell's entry of this run if it has
    /// one with room, else as a new entry. `rows` fits an entry.
    #[inline]
    fn log_rows(&mut self, g: u32, person: u32, rows: u32) {
        let start = match self.runs.last() {
            Some(&(start, p)) if p == person => start,
            _ => {
                self.runs.push((self.log.len(), person));
                self.log.len()
            }
        };
        let slot = &mut self.slots[g as usize];
        if self.shift < 32 && slot.last as usize > start {
            let entry = &mut self.log[slot.last as usize - 1];
            if let Ok(more) = u32::try_from(u64::from(*entry) + (u64::from(rows) << self.shift)) {
                *entry = more;
                return;
            }
        }
        self.log.push(pack(g, rows, self.shift));
        slot.last = self.log.len() as u32;
        slot.entries += 1;
    }

    /// Logs the rows of a batch with no filter while entries are packed, as [`Self::log_rows`]
    /// logs each, without a branch on whether a row joins its cell's entry: that is the case
    /// for one row in four, at random.
    fn log_packed(&mut self, group_indices: &[usize], persons: &[u32]) {
        let one = pack(0, 2, self.shift);
        let mut len = self.log.len();
        // Room for every row's entry, and a place to read when a cell has no entry.
        self.log.resize(len + group_indices.len() + 1, 0);
        let (mut start, mut person) = self.runs.last().map_or((0, NO_PERSON), |&(start, p)| (start, p));
        for (&g, &p) in group_indices.iter().zip(persons) {
            if p == NO_PERSON {
                self.count_unowned(g);
                continue;
            }
            if p != person {
                self.runs.push((len, p));
                (start, person) = (len, p);
            }
            let slot = &mut self.slots[g];
            let last = slot.last as usize;
            let entry = self.log[last.saturating_sub(1)];
            let joins = last > start && entry.checked_add(one).is_some();
            let at = if joins { last - 1 } else { len };
            self.log[at] = if joins { entry.wrapping_add(one) } else { g as u32 };
            len += usize::from(!joins);
            slot.last = at as u32 + 1;
            slot.entries += u32::from(!joins);
        }
        self.log.truncate(len);
    }

    /// Logs every entry again, a row each: the cells outgrew the packing.
    fn unpack_log(&mut self) {
        let entries: Vec<(u32, u32, u32)> = self.entries().collect();
        self.shift = 32;
        (self.log, self.runs) = Default::default();
        self.slots.fill(Slot::default());
        for (g, person, rows) in entries {
            for _ in 0..rows {
                self.log_rows(g, person, 1);
            }
        }
    }

    /// A row of no person in cell `g`.
    fn count_unowned(&mut self, g: usize) {
        if self.unowned.len() < self.cells {
            self.unowned.resize(self.cells, 0);
        }
        self.unowned[g] += 1;
    }

    /// Writes at `to` in `out` the state of a cell whose entries of known persons lie at
    /// `from` in `out` (persons and rows packed by `self.shift`, in the order they came) and
    /// whose rows of none are `unowned`, as [`Stream::encode`] writes it; returns where the
    /// state ends. Its head goes first, then its completed persons, each moved down over the
    /// entries already read: `to` is at most [`HEAD_ROOM`] bytes before `from`. `head` is
    /// room kept between cells.
    fn write_cell(
        &self,
        out: &mut [u8],
        to: usize,
        from: Range<usize>,
        unowned: u64,
        head: &mut Vec<u8>,
    ) -> Result<usize> {
        let mask = mask(self.shift);
        let (mut first, mut current) = (None, None::<(u32, u32)>);
        let (mut done, mut done_rows, mut top) = (0u64, 0u64, TopRows::default());
        for at in from.clone().step_by(4) {
            let (p, n) = unpack(word(out, at), self.shift);
            match &mut current {
                Some((q, rows)) if *q == p => *rows += n,
                _ => {
                    // The previous person is complete: the cell's first, kept open, or folded in.
                    if let Some((q, rows)) = current.replace((p, n)) {
                        if q > p {
                            return Err(out_of_order());
                        }
                        if first.is_none() {
                            first = Some((q, rows));
                        } else {
                            done += 1;
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
        head.clear();
        counts.encode(head);
        Unowned { rows: unowned, values: unowned, amount: unowned as f64 }.encode(head);
        let total = done_rows as f64;
        Sums { with_value: done, values: done_rows, total, total_abs: total }.encode(head);
        top.top().encode(head);
        // The open persons, as Stream::gather gathers them (the first is the smaller).
        head.extend_from_slice(&(first.is_some() as u64 + current.is_some() as u64).to_le_bytes());
        for (person, rows) in first.into_iter().chain(current) {
            put_entry(head, &Entry { person, values: rows, amount: f64::from(rows) });
        }
        head.extend_from_slice(&done.to_le_bytes());
        if head.len() > HEAD_ROOM {
            return Err(DataFusionError::Internal("a count's state outgrew its room".into()));
        }
        out[to..to + head.len()].copy_from_slice(head);
        // The completed persons: each person between the first and the last, once.
        let (mut end, mut previous, mut opened) = (to + head.len(), None, false);
        for at in from.step_by(4) {
            let p = word(out, at) & mask;
            if previous != Some(p)
                && let Some(q) = previous.replace(p)
            {
                if opened {
                    out[end..end + 4].copy_from_slice(&q.to_le_bytes());
                    end += 4;
                }
                opened = true;
            }
        }
        Ok(end)
    }

    /// The states of the cells `emit_to` takes; the cells are then gone, and the rest
    /// renumbered from 0.
    ///
    /// Each cell has a stretch of the states' buffer: [`HEAD_ROOM`] bytes, then its entries,
    /// put in order by cell straight into their places (a counting sort whose counts the
    /// slots kept, and which keeps each cell's entries in their order). Each cell's state is
    /// then written over the start of its stretch, right after the state before it.
    fn states(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let cells = self.cells;
        let n = match emit_to {
            EmitTo::All => cells,
            EmitTo::First(n) => n.min(cells),
        };
        let mut starts = Vec::with_capacity(cells + 1);
        starts.push(0);
        let mut end = 0;
        for slot in &self.slots {
            end += HEAD_ROOM + 4 * slot.entries as usize;
            starts.push(end);
        }
        let mut out = vec![0u8; end];
        let mut at: Vec<usize> = starts[..cells].iter().map(|s| s + HEAD_ROOM).collect();
        let mask = mask(self.shift);
        for (person, entries) in self.runs() {
            for &e in entries {
                let g = (e & mask) as usize;
                out[at[g]..at[g] + 4].copy_from_slice(&(person | (e & !mask)).to_le_bytes());
                at[g] += 4;
            }
        }
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0i32);
        let (mut written, mut head) = (0, Vec::with_capacity(HEAD_ROOM));
        for g in 0..n {
            let unowned = self.unowned.get(g).copied().unwrap_or(0);
            written = self.write_cell(&mut out, written, starts[g] + HEAD_ROOM..starts[g + 1], unowned, &mut head)?;
            offsets.push(end_of(&out[..written])?);
        }
        // The cells that stay, renumbered from 0, each with its entries in their order.
        self.log.clear();
        self.runs.clear();
        if n < cells {
            self.slots.drain(..n);
            self.slots.fill(Slot::default());
            for g in n..cells {
                for at in (starts[g] + HEAD_ROOM..starts[g + 1]).step_by(4) {
                    let (person, rows) = unpack(word(&out, at), self.shift);
                    self.log_rows((g - n) as u32, person, rows);
                }
            }
            if !self.unowned.is_empty() {
                self.unowned.drain(..n.min(self.unowned.len()));
            }
        } else {
            (self.log, self.runs, self.unowned, self.slots) = Default::default();
            self.shift = self.packing;
        }
        self.cells = cells - n;
        out.truncate(written);
        binary_from(out, offsets)
    }
}

/// The most a cell's state takes before its completed persons: counts (32 bytes), rows of
/// no person (24), sums (32) and top (its length and values), the open persons (a count and
/// up to two), and the count of the completed persons.
const HEAD_ROOM: usize = 32 + 24 + 32 + 8 + 8 * TOP_CONTRIBUTIONS + 8 + 2 * ENTRY_BYTES + 8;

impl GroupsAccumulator for Pairs {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        if total_num_groups > u32::MAX as usize || self.log.len() + group_indices.len() > u32::MAX as usize {
            return Err(DataFusionError::ResourcesExhausted("too many cells or rows for their evidence".into()));
        }
        self.cells = self.cells.max(total_num_groups);
        if self.slots.len() < self.cells {
            self.slots.resize(self.cells, Slot::default());
        }
        if self.shift < 32 && self.cells > 1 << self.shift {
            self.unpack_log();
        }
        let v = self.feed.read(values, true)?;
        // The literal's value, from a batch with a row that counts: DataFusion primes the
        // cells of an empty grouping set on an empty input with a row of NULLs that its
        // filter leaves out (GROUP BY CUBE over a partition that a WHERE left empty).
        if (0..group_indices.len()).any(|i| !skipped(opt_filter, i)) {
            self.value = v.get(0).ok_or_else(|| DataFusionError::Internal("a count of NULL has no tally".into()))?;
        }
        let persons = std::mem::take(&mut self.feed.persons);
        if opt_filter.is_none() && self.shift < 32 {
            self.log_packed(group_indices, &persons);
            self.feed.persons = persons;
            return Ok(());
        }
        self.log.reserve(group_indices.len());
        for (i, (g, p)) in group_indices.iter().zip(&persons).enumerate() {
            if opt_filter.is_some() && skipped(opt_filter, i) {
                continue;
            }
            if *p == NO_PERSON {
                self.count_unowned(*g);
            } else {
                self.log_rows(*g as u32, *p, 1);
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
            + self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.feed.persons.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::Rng;
    use super::*;
    use arrow::array::{Float64Array, Int64Array};

    /// One trial: the same batches, filters and emits to a [`Pairs`] packing by `shift` and
    /// to the [`Tally`] cells it stands for; their states (or evaluations) must be the same
    /// bytes, or both fail. The cells in use grow from 300 to `cells` halfway.
    fn trial(seed: u64, cells: usize, shift: u32, value: ArrayRef, disorder: bool, finish: &str) {
        let mut rng = Rng::new(seed);
        let index = Arc::new(PersonIndex::from_pseudonyms((0..400).collect()).unwrap());
        let feed = || Feed::new(true, index.clone());
        // As the engine builds it: the final stage around the partial.
        let mut pairs = super::super::parts::Parts::new(Box::new(Pairs::packed(feed(), shift)), feed());
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
            let reach = if at < persons.len() / 2 { groups.min(300) } else { groups };
            at += n;
            // A person's rows mostly in a few cells, as a patient's prescriptions are.
            let g: Vec<usize> =
                batch.iter().map(|p| ((p.unwrap_or(7) as u64 * 31 + rng.below(4)) % reach as u64) as usize).collect();
            let p: ArrayRef = Arc::new(Int64Array::from(batch));
            let v = value.slice(0, 1);
            let v = arrow::compute::concat(&vec![v.as_ref(); n]).unwrap();
            let filter = (rng.below(4) == 0).then(|| {
                BooleanArray::from(
                    (0..n).map(|_| [Some(true), Some(false), None][rng.below(3) as usize]).collect::<Vec<_>>(),
                )
            });
            let args = [p, v];
            pairs.update_batch(&args, &g, filter.as_ref(), reach).unwrap();
            tally.update_batch(&args, &g, filter.as_ref(), reach).unwrap();
            if rng.below(8) == 0 && reach > 1 {
                let k = 1 + rng.below(reach as u64 - 1) as usize;
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
            (Ok(a), Ok(b)) => assert_eq!(a.to_data(), b.to_data(), "seed {seed}: {finish} shift {shift} cells {cells}"),
            (a, b) => assert!(a.is_err() && b.is_err(), "seed {seed}: {finish}: one failed, the other did not"),
        }
    }

    /// DataFusion primes the cells of an empty grouping set on an empty input with one row of
    /// NULLs that the filter leaves out: no value is read from it, and the cell stays empty.
    #[test]
    fn a_row_the_filter_leaves_out_is_not_read() {
        let index = Arc::new(PersonIndex::from_pseudonyms((0..4).collect()).unwrap());
        let mut pairs = Pairs::new(Feed::new(true, index));
        let nulls: [ArrayRef; 2] = [Arc::new(Int64Array::from(vec![None])), Arc::new(Int64Array::from(vec![None]))];
        pairs.update_batch(&nulls, &[0], Some(&BooleanArray::from(vec![false])), 1).unwrap();
        let rows: [ArrayRef; 2] = [Arc::new(Int64Array::from(vec![1, 2])), Arc::new(Int64Array::from(vec![1, 1]))];
        pairs.update_batch(&rows, &[0, 0], None, 1).unwrap();
        assert_eq!(pairs.state(EmitTo::All).unwrap()[0].len(), 1);
    }

    /// Entries packed as in use (24 bits); two rows at most an entry (31), so that a cell's
    /// rows of one person often take two; cells that outgrow the packing (9 bits, 512 cells)
    /// after rows were packed; persons that do not fit it (8 bits, 400 persons), so that
    /// nothing is packed.
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
                    for shift in [PACKING, 31, 9, 8] {
                        trial(seed, cells, shift, value.clone(), seed % 5 == 4, finish);
                    }
                }
            }
        }
    }
}
