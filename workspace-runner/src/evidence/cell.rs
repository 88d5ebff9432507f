//! The evidence of one cell, accumulated in the same aggregate as the published value:
//! `tre_evidence_count(person, value)` and `tre_evidence_sum(person, value)`, added beside
//! each aggregate of the query by the plan rewrite ([`super::rewrite`]).
//!
//! Per cell it keeps each person's contribution (the number of their non-missing values for
//! counts, the sum of their values otherwise), so that a person's many rows add up to one
//! contribution; and counts of missing and negative values, the smallest and largest value.
//! Persons are held by their index in the extract ([`super::persons`]).
//!
//! Two ways of keeping contributions, chosen by the rewrite:
//!
//! - [`Mode::Streaming`], when rows reach the aggregate in person order (extracts are sorted
//!   by pseudonym, and filters and projections keep the order). A cell's person is complete
//!   when the next person's row reaches it: their contribution is folded at once into the
//!   cell's totals and top contributions, and only their index is kept, for the person set
//!   (in a [`Trackers`], in a log of its block's completions, from which the partial states
//!   take them: [`Trackers::states_with_log`]).
//!   The first and last persons of each part of a parallel scan stay open, since their rows
//!   may continue in the neighbouring part; partial states carry them with the completed
//!   persons as an ascending list, and merging checks that no completed person appears in
//!   another part. A row out of order, or a completed person seen twice, is an error
//!   ([`OUT_OF_ORDER`]) on which the engine runs the query again in the other mode. A count
//!   of a literal, COUNT(*) above all, streams through a [`Tally`]: with every row the same
//!   value, a person's contribution is their number of rows, which is all a row changes. Its
//!   partial stage logs each row's cell and person and makes the same tallies when the
//!   states are written (`pairs`). The final stage of every streaming cell holds the states
//!   as they arrive and reads them once (`parts`).
//! - [`Mode::Entries`], for any order: a list of (person, contribution) entries per cell, in
//!   person order when the rows come so (a row adds to the last entry or appends one), sorted
//!   and added up when read, or when the list has doubled since it was last put in order.

use super::persons::{NO_PERSON, PersonIndex};
use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, BooleanArray, Float64Array};
use arrow::buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{DataType, Field, FieldRef, Float64Type, Int64Type};
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{Accumulator, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Literal;
use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

mod pairs;
mod parts;

/// The error of a streaming cell whose rows were not in person order.
pub const OUT_OF_ORDER: &str = "tre evidence: rows out of person order";

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

/// How a cell keeps its persons' contributions (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Rows come in person order: contributions are folded as each person completes.
    Streaming,
    /// Rows come in any order: every contribution is kept until the cell is read.
    Entries,
}

/// The person index a function reads persons through; functions are equal when they share it.
#[derive(Debug, Clone)]
pub(super) struct Index(pub(super) Arc<PersonIndex>);

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
    mode: Mode,
    index: Index,
    signature: Signature,
}

impl CellEvidence {
    /// The function for `kind`, keeping contributions by `mode`, reading persons through `index`.
    pub fn new(kind: Kind, mode: Mode, index: Arc<PersonIndex>) -> Self {
        CellEvidence { kind, mode, index: Index(index), signature: Signature::any(2, Volatility::Immutable) }
    }

    fn feed(&self) -> Feed {
        Feed::new(self.kind == Kind::Count, self.index.0.clone())
    }
}

/// Whether a count's every row is a value, one and the same: its value is a literal but NULL
/// (COUNT(*) is a count of 1). Its contributions are then rows ([`Tally`]).
fn rows_only(kind: Kind, args: &[Arc<dyn PhysicalExpr>]) -> bool {
    let literal = args.get(1).and_then(|e| e.as_ref().downcast_ref::<Literal>());
    kind == Kind::Count && literal.is_some_and(|l| !l.value().is_null())
}

/// The accumulator of `C` for many groups, reading persons through `index` (values count as
/// themselves: `count` is off).
pub(super) fn groups_of<C: Tracked>(index: Arc<PersonIndex>) -> Box<dyn GroupsAccumulator> {
    Box::new(Trackers::<C>::new(Feed::new(false, index)))
}

/// The accumulator of `C` for an aggregate without groups.
pub(super) fn single_of<C: Tracked>(index: Arc<PersonIndex>) -> Box<dyn Accumulator> {
    Box::new(Single::<C> { feed: Feed::new(false, index), cell: C::default() })
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
        Ok(match self.mode {
            Mode::Streaming => Box::new(Single { feed: self.feed(), cell: Stream::default() }),
            Mode::Entries => Box::new(Single { feed: self.feed(), cell: Entries::default() }),
        })
    }

    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(format!("{}[state]", args.name), DataType::Binary, true))])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }

    fn create_groups_accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(match self.mode {
            Mode::Streaming if rows_only(self.kind, args.exprs) => {
                Box::new(parts::Parts::new(Box::new(pairs::Pairs::new(self.feed())), self.feed()))
            }
            Mode::Streaming => Box::new(parts::Parts::new(Box::new(Trackers::<Stream>::new(self.feed())), self.feed())),
            Mode::Entries => Box::new(Trackers::<Entries>::new(self.feed())),
        })
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
    /// Every row's value is the first's (only the first was read).
    alike: bool,
}

impl Values {
    #[inline]
    fn get(&self, i: usize) -> Option<f64> {
        let i = if self.alike { 0 } else { i };
        if self.nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            None
        } else {
            Some(self.numbers.as_ref().map_or(1.0, |n| n.value(i)))
        }
    }
}

impl Feed {
    /// A feed of persons through `index`; `count` when contributions count values.
    fn new(count: bool, index: Arc<PersonIndex>) -> Feed {
        Feed { count, index, hint: 0, persons: Vec::new() }
    }

    /// A feed like this one, with its own hint and buffer.
    fn fresh(&self) -> Feed {
        Feed::new(self.count, self.index.clone())
    }

    /// Fills `self.persons` with the batch's person indices and reads its values: only the
    /// first when every row's is `alike` (a literal's).
    fn read(&mut self, args: &[ArrayRef], alike: bool) -> Result<Values> {
        let persons = arrow::compute::cast(&args[0], &DataType::Int64)?;
        self.index.indices(persons.as_primitive::<Int64Type>(), &mut self.hint, &mut self.persons)?;
        let value = if alike { &args[1].slice(0, args[1].len().min(1)) } else { &args[1] };
        let numbers = if value.data_type().is_numeric() {
            Some(arrow::compute::cast(value, &DataType::Float64)?.as_primitive::<Float64Type>().clone())
        } else {
            None
        };
        Ok(Values { nulls: value.logical_nulls(), numbers, alike })
    }
}

fn skipped(filter: Option<&BooleanArray>, i: usize) -> bool {
    filter.is_some_and(|f| !f.is_valid(i) || !f.value(i))
}

/// What an evidence aggregate keeps per group, fed rows, encoded between partial and final
/// aggregation, and read out as bytes: a cell's [`Facts`], or the persons at its edges
/// ([`super::sides`]).
pub(super) trait Tracked: Default + std::fmt::Debug + Send + Sync + 'static {
    /// How its rows wait in the log of many cells.
    type Row: Row;
    /// One row: its person's index ([`NO_PERSON`] if unknown) and its value (if not
    /// missing). Returns the bytes the cell grew by.
    fn add(&mut self, person: u32, value: Option<f64>, count: bool) -> usize;
    /// Whether, in a [`Trackers`], the cell leaves the persons it completes in the log of
    /// completions of its block ([`Tracked::add_logging`]), not in a list of its own.
    const LOGS: bool = false;
    /// One row of cell `cell` in a [`Trackers`], as [`Tracked::add`]: a cell that
    /// [`Tracked::LOGS`] appends each person it completes to `done`, as `cell << 32 | person`.
    #[inline(always)]
    fn add_logging(&mut self, person: u32, value: Option<f64>, count: bool, _cell: u32, _done: &mut Vec<u64>) -> usize {
        self.add(person, value, count)
    }
    /// Takes a person it completed and left in the log, after those it holds; returns the
    /// bytes the cell grew by.
    fn completed(&mut self, _person: u32) -> usize {
        0
    }
    /// Appends what [`Tracked::encode`] would append with `extra` more completed persons
    /// after its own, all but those persons' bytes (4 each), which the caller appends.
    fn encode_before(&mut self, extra: usize, out: &mut Vec<u8>) -> Result<()> {
        if extra > 0 {
            return Err(damaged());
        }
        self.encode(out)
    }
    /// Bytes held outside the struct.
    fn heap(&self) -> usize;
    /// Reads what a row will touch, so that it is on its way to the cache (see
    /// [`Trackers::apply`]); returns something read, to be kept from the optimizer.
    fn touch(&self) -> u64 {
        0
    }
    /// Appends the state between partial and final aggregation to `out`.
    fn encode(&mut self, out: &mut Vec<u8>) -> Result<()>;
    /// Adds an encoded state.
    fn merge(&mut self, bytes: &[u8]) -> Result<()>;
    /// Appends the result, the aggregate's value, to `out`.
    fn output(&mut self, out: &mut Vec<u8>) -> Result<()>;
}

/// What `write` appends to an empty buffer: one cell's state or output on its own.
fn bytes_of(write: impl FnOnce(&mut Vec<u8>) -> Result<()>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write(&mut out)?;
    Ok(out)
}

/// The cells' values (`write` appends each cell's) as one binary array, written straight
/// into the array's buffer: no value is copied after it is written.
fn binary_of<C: Tracked>(cells: &mut [C], write: impl Fn(&mut C, &mut Vec<u8>) -> Result<()>) -> Result<ArrayRef> {
    // Room for what the cells hold, and their counts: one allocation, no copy as it grows.
    let mut values = Vec::with_capacity(cells.iter().map(|c| c.heap() + 128).sum());
    let mut offsets = Vec::with_capacity(cells.len() + 1);
    offsets.push(0i32);
    for c in cells {
        write(c, &mut values)?;
        offsets.push(end_of(&values)?);
    }
    binary_from(values, offsets)
}

/// Where the value written last ends, as a binary array's offset.
fn end_of(values: &[u8]) -> Result<i32> {
    i32::try_from(values.len())
        .map_err(|_| DataFusionError::ResourcesExhausted("the cells' evidence exceeds 2 GiB".into()))
}

/// The binary array of `values` cut at `offsets`.
fn binary_from(values: Vec<u8>, offsets: Vec<i32>) -> Result<ArrayRef> {
    let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
    Ok(Arc::new(BinaryArray::try_new(offsets, Buffer::from_vec(values), None)?))
}

/// The cells of every group of an aggregate, fed a batch at a time (DataFusion's fast path
/// for many groups).
///
/// With many cells, each row's cell is somewhere else in memory, and a row that touches its
/// cell directly waits for it to come from main memory: with 35,000 cells that wait was the
/// largest single cost of the evidence. So with more than [`DIRECT_CELLS`] cells, rows wait
/// in the log, one list per block of [`BLOCK_CELLS`] cells, and are applied a block at a
/// time in address order ([`Trackers::apply`]), while the block's cells are at hand. Within
/// a cell they keep their order, so each cell sees exactly the rows it would have seen one
/// by one. Before a block's rows, its cells are read once in address order
/// ([`Tracked::touch`]): the hardware then fetches them at the memory's streaming pace,
/// where the rows, in no order within the block, would each wait for their cell's first
/// line. On the benchmark's SUM (paired rounds, each the best of 3) that pass made the query
/// about 4% faster (0.4585 s against 0.4805 s); with it, blocks of 2,048 cells (768 KiB of
/// cells, in the core's 4 MiB cache) ran 2-3% faster than blocks of 512, blocks of 4,096
/// slower than 2,048, and blocks of 128 about 6% slower than 512. Reading the cells in the
/// order of the block's rows instead was slower (0.4935 s against 0.4827 s), and a fourth
/// line read per cell gained nothing. [`Stream::add`] inlined into the loop always gave
/// 0.513 s against 0.535 s (ten rounds).
///
/// Measured and not kept (the benchmark's COUNT, 35,201 cells): one log in arrival order,
/// ordered by block (a counting pass) before it was applied, spent about a tenth more on the
/// partial aggregation than these lists, which are written in order as rows arrive. Ordering
/// the rows fully by cell (a second counting pass within each block) cost more than it
/// saved; applying rows directly with a software prefetch of the cell a few rows ahead,
/// instead of the log, was about a fifth slower; blocks of 128 or 256 cells (before that
/// pass) made no difference beyond the noise. Applying each block's list on its own when it
/// filled up (so the blocks in no order) made the partial aggregation about a quarter slower
/// than applying them all in address order. With the single log, 2^19 and 2^20 rows ran as
/// fast as 2^18; 2^16 and 2^17, about a tenth slower. Nor was a partial stage that logged every
/// row (cell, person, value) in one log and, only when the states were written, put the log
/// in order by cell (a counting sort) and fed each cell's rows to a fresh [`Stream`] at once,
/// as `pairs` does for a count of a literal: the cells' own work fell from 16% of the
/// benchmark's SUM to 6%, but the sort and the faults on its two fresh 80 MB arrays cost
/// more, 0.548 s against 0.521 s (paired rounds). Nor one log of 2^20 rows, put in order by
/// cell in buffers kept between applications (so each cell took some thirty rows at a time
/// and no page was fresh after the first): 0.573 s against 0.564 s. Nor rows of 12 bytes (4
/// with no value) in place of 16: a key holding the cell within its block, whether the value
/// is missing and the step from the list's previous person (mostly 0 or 1, the rest kept
/// aside), beside the value: 0.8798 s against 0.8574 s, then 0.8545 s against 0.8253 s (the
/// benchmark's SUM on a slow spell of this machine, ten and twelve paired rounds), slower
/// both times. Nor a log of 2^17 rows in place of 2^18 (0.6047 s against 0.6013 s), before
/// the log of completions.
#[derive(Debug)]
struct Trackers<C: Tracked> {
    feed: Feed,
    cells: Vec<C>,
    /// Bytes held by the cells outside their structs, kept as they grow (size() must not
    /// walk the cells).
    bytes: usize,
    /// The log: rows not yet applied, one list per block of cells, each in arrival order.
    lists: Vec<Vec<C::Row>>,
    /// Every row's value, for rows that keep none.
    alike: f64,
    /// Rows logged since the lists were last applied, at most.
    waiting: usize,
    /// The lists are applied when they hold this many rows ([`LOG_ROWS`]).
    log_rows: usize,
    /// Persons completed by the cells of each block and not yet in their cells' states
    /// ([`Tracked::LOGS`]), in the order they completed: `cell << 32 | person`.
    done: Vec<Vec<u64>>,
    /// Whether a state was merged (persons may then come in any order between parts).
    merged: bool,
}

/// Up to this many cells, rows go to their cells at once (the cells stay in the caches).
const DIRECT_CELLS: usize = 2048;
/// The log is applied when it holds this many rows, 16 bytes each (8 for a tally): 8 MiB
/// per accumulator at most, counted in its size with whatever room its lists keep. Since
/// completed persons go to the log of completions (not to lists reached from each cell),
/// 2^19 rows ran the benchmark's SUM faster than 2^18, by 0.7-4.8% in four sets of ten and
/// twelve paired rounds (0.5609 s against 0.5893 s, 0.5370 s against 0.5408 s, 0.5701 s
/// against 0.5761 s, 0.5284 s against 0.5425 s): the cells are read once a block for
/// twice the rows.
const LOG_ROWS: usize = 1 << 19;

/// A row waiting in the log: its cell, whether its value is missing, its person and (when it
/// keeps one) its value.
pub(super) trait Row: Copy + std::fmt::Debug + Send + Sync + 'static {
    /// Whether the row keeps its value; rows that do not are all of the same value.
    const VALUED: bool;
    /// The row of `cell` (with [`MISSING`] set when the value is missing), `person` and `value`.
    fn new(cell: u32, person: u32, value: f64) -> Self;
    /// The cell, with [`MISSING`] set when the value is missing.
    fn cell(&self) -> u32;
    fn person(&self) -> u32;
    /// Its value; `alike` when it keeps none.
    fn value(&self, alike: f64) -> f64;
}

/// A row with its value: 16 bytes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Logged {
    cell: u32,
    person: u32,
    value: f64,
}

impl Row for Logged {
    const VALUED: bool = true;
    #[inline]
    fn new(cell: u32, person: u32, value: f64) -> Self {
        Logged { cell, person, value }
    }
    #[inline]
    fn cell(&self) -> u32 {
        self.cell
    }
    #[inline]
    fn person(&self) -> u32 {
        self.person
    }
    #[inline]
    fn value(&self, _alike: f64) -> f64 {
        self.value
    }
}

/// A row of a cell whose rows are all of the same value ([`Tally`]): 8 bytes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bare {
    cell: u32,
    person: u32,
}

impl Row for Bare {
    const VALUED: bool = false;
    #[inline]
    fn new(cell: u32, person: u32, _value: f64) -> Self {
        Bare { cell, person }
    }
    #[inline]
    fn cell(&self) -> u32 {
        self.cell
    }
    #[inline]
    fn person(&self) -> u32 {
        self.person
    }
    #[inline]
    fn value(&self, alike: f64) -> f64 {
        alike
    }
}

const MISSING: u32 = 1 << 31;

/// Cells applied together: a block's cells (and the ends of their person lists), read in
/// address order first, stay in the core's own cache while its rows are applied.
const BLOCK_CELLS: usize = 2048;

impl<C: Tracked> Trackers<C> {
    fn new(feed: Feed) -> Self {
        Trackers {
            feed,
            cells: Vec::new(),
            bytes: 0,
            lists: Vec::new(),
            alike: 1.0,
            waiting: 0,
            log_rows: LOG_ROWS,
            done: Vec::new(),
            merged: false,
        }
    }

    /// Applies the logged rows, a block of cells at a time, in the cells' order. A list with
    /// room for more than twice what it held and its share of the log (the rows' cells
    /// shifted) gives the room back, so that the log stays within a few times [`LOG_ROWS`]
    /// rows.
    fn apply(&mut self) {
        if self.waiting == 0 {
            return;
        }
        let count = self.feed.count;
        let share = (self.log_rows / self.lists.len().max(1)).max(1024);
        for (block, list) in self.lists.iter_mut().enumerate() {
            if !list.is_empty() {
                let start = block * BLOCK_CELLS;
                let end = (start + BLOCK_CELLS).min(self.cells.len());
                let mut seen = 0u64;
                for c in &self.cells[start..end] {
                    seen = seen.wrapping_add(c.touch());
                }
                std::hint::black_box(seen);
                let done = &mut self.done[block];
                for r in list.iter() {
                    let value = if r.cell() & MISSING != 0 { None } else { Some(r.value(self.alike)) };
                    let cell = r.cell() & !MISSING;
                    self.bytes += self.cells[cell as usize].add_logging(r.person(), value, count, cell, done);
                }
            }
            // A list keeps room for what it held this time and a share more: one whose rows
            // vary from one application to the next keeps its room, where giving back all
            // above twice its share made it grow again, copied, the next time (the
            // benchmark's SUM about 2% faster, four sets of ten and twelve paired rounds).
            let keep = list.len() + share;
            list.clear();
            if list.capacity() > 2 * keep {
                list.shrink_to(keep);
            }
        }
        self.waiting = 0;
    }

    /// Every cell's state, as [`Tracked::encode`] writes it, the persons left in the log
    /// written straight into their places in the states, a block at a time: no list of its
    /// own for each cell, grown a person at a time and copied into its state.
    ///
    /// On the benchmark's SUM (35,201 cells, 7.5 M completed persons), pushing each person to
    /// its cell's list cost 85 ms of CPU a run in the applications of the log, and copying
    /// and freeing the lists 40 ms more; the log of completions costs about 20 ms and these
    /// states about 75 ms (thread time, both parts). The query: 0.4984 s against 0.5235 s
    /// and 0.4989 s against 0.5150 s (ten paired rounds each, both orders); AVG 0.5199 s
    /// against 0.5296 s. Writing a block's persons right after its states' heads, while
    /// they are at hand, rather than all states first: 0.4893 s against 0.5020 s, then
    /// 0.4830 s against 0.4786 s.
    fn states_with_log(&mut self) -> Result<ArrayRef> {
        let mut cells = std::mem::take(&mut self.cells);
        let done = std::mem::take(&mut self.done);
        self.bytes = 0;
        let room = cells.iter().map(|c| c.heap() + 320).sum::<usize>() + done.iter().map(Vec::len).sum::<usize>() * 4;
        let mut values = Vec::with_capacity(room);
        let mut offsets = Vec::with_capacity(cells.len() + 1);
        offsets.push(0i32);
        // A block's states, then its persons while those states are at hand. Each cell's
        // persons in the log, then where the next of them goes.
        let mut at = vec![0usize; BLOCK_CELLS];
        for (block, cells) in cells.chunks_mut(BLOCK_CELLS).enumerate() {
            let start = block * BLOCK_CELLS;
            let done = done.get(block).map_or(&[][..], Vec::as_slice);
            at.fill(0);
            for e in done {
                at[(e >> 32) as usize - start] += 1;
            }
            for (c, at) in cells.iter_mut().zip(at.iter_mut()) {
                let logged = *at;
                c.encode_before(logged, &mut values)?;
                *at = values.len();
                values.resize(values.len() + 4 * logged, 0);
                offsets.push(end_of(&values)?);
            }
            for e in done {
                let at = &mut at[(e >> 32) as usize - start];
                values[*at..*at + 4].copy_from_slice(&(*e as u32).to_le_bytes());
                *at += 4;
            }
        }
        binary_from(values, offsets)
    }

    /// Gives the persons left in the log to their cells, in the order they completed.
    fn settle(&mut self) {
        for list in std::mem::take(&mut self.done) {
            for e in list {
                self.bytes += self.cells[(e >> 32) as usize].completed(e as u32);
            }
        }
    }

    fn take(&mut self, emit_to: EmitTo) -> Vec<C> {
        self.apply();
        self.settle();
        let taken = emit_to.take_needed(&mut self.cells);
        self.bytes = self.cells.iter().map(C::heap).sum();
        taken
    }
}

impl<C: Tracked> GroupsAccumulator for Trackers<C> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.cells.resize_with(total_num_groups, C::default);
        let v = self.feed.read(values, !C::Row::VALUED)?;
        let count = self.feed.count;
        if total_num_groups <= DIRECT_CELLS && self.waiting == 0 {
            // The cells are all in the first block.
            if self.done.is_empty() {
                self.done.push(Vec::new());
            }
            let done = &mut self.done[0];
            for (i, (g, p)) in group_indices.iter().zip(&self.feed.persons).enumerate() {
                if skipped(opt_filter, i) {
                    continue;
                }
                self.bytes += self.cells[*g].add_logging(*p, v.get(i), count, *g as u32, done);
            }
            return Ok(());
        }
        if total_num_groups > MISSING as usize {
            return Err(DataFusionError::ResourcesExhausted("too many cells for their evidence".into()));
        }
        let blocks = total_num_groups.div_ceil(BLOCK_CELLS);
        if self.lists.len() < blocks {
            self.lists.resize_with(blocks, Vec::new);
        }
        if self.done.len() < blocks {
            self.done.resize_with(blocks, Vec::new);
        }
        let lists = &mut self.lists;
        let rows = group_indices.iter().zip(&self.feed.persons);
        let mut log = |g: &usize, p: &u32, value: f64, missing: u32| {
            lists[*g / BLOCK_CELLS].push(C::Row::new(*g as u32 | missing, *p, value))
        };
        // Rows that keep no value take the literal's when applied, filtered or not (a count of
        // a negative literal with a FILTER once counted its rows as of the value 1).
        if let (true, Some(x)) = (v.alike, v.get(0)) {
            self.alike = x;
        }
        match (opt_filter, &v.nulls, &v.numbers) {
            // Every row, all of the first's value (kept once, not per row).
            (None, _, _) if v.alike => match v.get(0) {
                Some(x) => rows.for_each(|(g, p)| log(g, p, x, 0)),
                None => rows.for_each(|(g, p)| log(g, p, 0.0, MISSING)),
            },
            // Every row, each with a value: logged in one pass, without a test per row.
            (None, None, Some(n)) => rows.zip(n.values()).for_each(|((g, p), x)| log(g, p, *x, 0)),
            (None, None, None) => rows.for_each(|(g, p)| log(g, p, 1.0, 0)),
            _ => {
                for (i, (g, p)) in rows.enumerate() {
                    if skipped(opt_filter, i) {
                        continue;
                    }
                    match v.get(i) {
                        Some(x) => log(g, p, x, 0),
                        None => log(g, p, 0.0, MISSING),
                    }
                }
            }
        }
        self.waiting += group_indices.len();
        if self.waiting >= self.log_rows {
            self.apply();
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        binary_of(&mut self.take(emit_to), C::output)
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        if C::LOGS && !self.merged && matches!(emit_to, EmitTo::All) {
            self.apply();
            return Ok(vec![self.states_with_log()?]);
        }
        Ok(vec![binary_of(&mut self.take(emit_to), C::encode)?])
    }

    fn merge_batch(&mut self, values: &[ArrayRef], group_indices: &[usize], total_num_groups: usize) -> Result<()> {
        self.apply();
        self.settle();
        self.merged = true;
        self.cells.resize_with(total_num_groups, C::default);
        let states = values[0].as_binary::<i32>();
        for (i, g) in group_indices.iter().enumerate() {
            if states.is_null(i) {
                continue;
            }
            let cell = &mut self.cells[*g];
            let before = cell.heap();
            cell.merge(states.value(i))?;
            self.bytes = (self.bytes + cell.heap()).saturating_sub(before);
        }
        Ok(())
    }

    fn convert_to_state(&self, values: &[ArrayRef], opt_filter: Option<&BooleanArray>) -> Result<Vec<ArrayRef>> {
        // Each row its own state (when partial aggregation does not pay, DataFusion skips it).
        let mut feed = self.feed.fresh();
        let v = feed.read(values, !C::Row::VALUED)?;
        let mut cells: Vec<C> = (0..feed.persons.len())
            .map(|i| {
                let mut t = C::default();
                if !skipped(opt_filter, i) {
                    t.add(feed.persons[i], v.get(i), feed.count);
                }
                t
            })
            .collect();
        Ok(vec![binary_of(&mut cells, C::encode)?])
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.cells.capacity() * std::mem::size_of::<C>()
            + self.bytes
            + self.feed.persons.capacity() * 4
            + self.lists.iter().map(Vec::capacity).sum::<usize>() * std::mem::size_of::<C::Row>()
            + self.done.iter().map(Vec::capacity).sum::<usize>() * 8
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
    /// The largest absolute contributions of single persons, largest first: up to
    /// [`TOP_CONTRIBUTIONS`] (the N-K rule's N can be set up to that).
    pub top: Vec<f64>,
    /// Distinct values: 0, 1, or 2 meaning "more than one".
    pub distinct_values: u8,
    /// For a percentile or median: the persons with a value at or below the published value,
    /// counted up to [`super::sides::SIDE_PERSONS`] (that many means at least that many).
    /// None for other statistics.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persons_at_or_below: Option<u64>,
    /// The same, at or above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persons_at_or_above: Option<u64>,
    /// The person set: a serialized Roaring bitmap of the persons' indices in the extract's
    /// person index ([`super::persons`]).
    pub persons_bitmap: PersonSet,
}

/// A cell's person set as a serialized Roaring bitmap: when read from the engine's evidence
/// column, a slice of the column's bytes, not a copy (the sets of a large result are most of
/// its bytes: copying them took about half of reading the result's facts). Serialized as
/// base64; shown as its bytes.
#[derive(Clone, Default, PartialEq)]
pub struct PersonSet(Buffer);

impl PersonSet {
    /// The serialized bitmap.
    pub fn as_slice(&self) -> &[u8] {
        self.0.as_slice()
    }
}

impl From<Vec<u8>> for PersonSet {
    fn from(bytes: Vec<u8>) -> Self {
        PersonSet(Buffer::from_vec(bytes))
    }
}

impl std::fmt::Debug for PersonSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_slice().fmt(f)
    }
}

impl Serialize for PersonSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use base64::Engine;
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(self.as_slice()))
    }
}

impl<'de> Deserialize<'de> for PersonSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use base64::Engine;
        let text = String::deserialize(d)?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(text).map_err(serde::de::Error::custom)?;
        Ok(PersonSet::from(bytes))
    }
}

/// How many of the largest contributions a cell's facts keep.
pub const TOP_CONTRIBUTIONS: usize = 10;

impl Facts {
    /// The largest contribution of one person (0 without persons).
    pub fn top1(&self) -> f64 {
        self.top.first().copied().unwrap_or(0.0)
    }

    /// The second largest (0 with fewer than two persons).
    pub fn top2(&self) -> f64 {
        self.top.get(1).copied().unwrap_or(0.0)
    }

    /// The compact form the engine's evidence columns carry: the counts, the totals, the
    /// top contributions, then the person set's bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let set = self.persons_bitmap.as_slice();
        let mut out = Vec::with_capacity(112 + self.top.len() * 8 + set.len());
        self.write_head(&mut out);
        out.extend_from_slice(set);
        out
    }

    /// Appends all of [`Facts::to_bytes`] but the person set.
    fn write_head(&self, out: &mut Vec<u8>) {
        let counts = [self.persons, self.persons_with_value, self.rows, self.values, self.missing, self.negative];
        let sides = [self.persons_at_or_below, self.persons_at_or_above].map(|n| n.unwrap_or(u64::MAX));
        let more = [self.unowned_rows, self.distinct_values as u64, sides[0], sides[1], self.top.len() as u64];
        for n in counts.into_iter().chain(more) {
            out.extend_from_slice(&n.to_le_bytes());
        }
        for f in [self.total, self.total_abs].iter().chain(&self.top) {
            out.extend_from_slice(&f.to_le_bytes());
        }
    }

    /// Reads [`Facts::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Option<Facts> {
        Facts::from_buffer(&Buffer::from_slice_ref(bytes))
    }

    /// Reads [`Facts::to_bytes`] from `bytes`, whose person set stays where it is.
    pub fn from_buffer(bytes: &Buffer) -> Option<Facts> {
        let (mut facts, head) = Facts::head_of(bytes.as_slice())?;
        facts.persons_bitmap = PersonSet(bytes.slice(head));
        Some(facts)
    }

    /// All but the person set, and the length of what was read.
    fn head_of(bytes: &[u8]) -> Option<(Facts, usize)> {
        let mut r = Reader(bytes);
        let mut n = || r.u64().ok();
        let (persons, persons_with_value, rows, values, missing, negative) = (n()?, n()?, n()?, n()?, n()?, n()?);
        let (unowned_rows, distinct_values) = (n()?, n()?);
        let side = |n: u64| if n == u64::MAX { None } else { Some(n) };
        let (persons_at_or_below, persons_at_or_above) = (side(n()?), side(n()?));
        let len = n()? as usize;
        let (total, total_abs) = (r.f64().ok()?, r.f64().ok()?);
        if len > TOP_CONTRIBUTIONS {
            return None;
        }
        let top = (0..len).map(|_| r.f64().ok()).collect::<Option<Vec<f64>>>()?;
        let facts = Facts {
            persons,
            persons_with_value,
            rows,
            values,
            missing,
            negative,
            unowned_rows,
            total,
            total_abs,
            top,
            distinct_values: u8::try_from(distinct_values).ok()?,
            persons_at_or_below,
            persons_at_or_above,
            persons_bitmap: PersonSet::default(),
        };
        Some((facts, bytes.len() - r.0.len()))
    }

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

const NO_ENTRY: Entry = Entry { person: NO_PERSON, values: 0, amount: 0.0 };
const ENTRY_BYTES: usize = 16;

pub(super) fn damaged() -> DataFusionError {
    DataFusionError::Internal("an evidence state is damaged".into())
}

fn out_of_order() -> DataFusionError {
    DataFusionError::Execution(OUT_OF_ORDER.into())
}

/// Reads little-endian fields off the front of a state.
pub(super) struct Reader<'a>(pub(super) &'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(damaged());
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    pub(super) fn u64(&mut self) -> Result<u64> {
        let mut w = [0u8; 8];
        w.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(w))
    }

    pub(super) fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_bits(self.u64()?))
    }

    /// `n` entries.
    fn entries(&mut self, n: usize) -> Result<impl Iterator<Item = Entry> + use<'a>> {
        let bytes = self.take(n.checked_mul(ENTRY_BYTES).ok_or_else(damaged)?)?;
        Ok(bytes.chunks_exact(ENTRY_BYTES).map(|c| {
            let (mut p, mut v, mut a) = ([0u8; 4], [0u8; 4], [0u8; 8]);
            p.copy_from_slice(&c[0..4]);
            v.copy_from_slice(&c[4..8]);
            a.copy_from_slice(&c[8..16]);
            Entry { person: u32::from_le_bytes(p), values: u32::from_le_bytes(v), amount: f64::from_le_bytes(a) }
        }))
    }
}

fn put_entry(out: &mut Vec<u8>, e: &Entry) {
    out.extend_from_slice(&e.person.to_le_bytes());
    out.extend_from_slice(&e.values.to_le_bytes());
    out.extend_from_slice(&e.amount.to_le_bytes());
}

/// What a cell counts of its values, beside its persons' contributions.
#[derive(Debug, Clone, Copy)]
struct Counts {
    /// Smallest and largest value (infinite while there is none).
    min: f64,
    max: f64,
    missing: u64,
    negative: u64,
}

impl Default for Counts {
    fn default() -> Self {
        Counts { min: f64::INFINITY, max: f64::NEG_INFINITY, missing: 0, negative: 0 }
    }
}

impl Counts {
    /// Counts a row's value; returns its contribution and whether it is a value.
    #[inline]
    fn value(&mut self, value: Option<f64>, count: bool) -> (f64, u32) {
        match value {
            None => {
                self.missing += 1;
                (0.0, 0)
            }
            Some(v) => {
                self.negative += (v < 0.0) as u64;
                // Comparisons, not f64::min and max: a NaN is passed over all the same (it
                // compares false), without their test for it on every row. Written as
                // selections (`min = if v < min { v } else { min }`), the benchmark's SUM was
                // no faster (0.6188 s against 0.6108 s, ten paired rounds).
                if v < self.min {
                    self.min = v;
                }
                if v > self.max {
                    self.max = v;
                }
                (if count { 1.0 } else { v }, 1)
            }
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        for n in [self.missing, self.negative] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        for f in [self.min, self.max] {
            out.extend_from_slice(&f.to_le_bytes());
        }
    }

    fn merge(&mut self, r: &mut Reader<'_>) -> Result<()> {
        self.missing += r.u64()?;
        self.negative += r.u64()?;
        self.min = self.min.min(r.f64()?);
        self.max = self.max.max(r.f64()?);
        Ok(())
    }

    fn distinct_values(&self) -> u8 {
        match self.min.partial_cmp(&self.max) {
            Some(std::cmp::Ordering::Equal) => 1,
            Some(std::cmp::Ordering::Less) => 2,
            _ => 0,
        }
    }
}

/// Rows whose person is unknown.
#[derive(Debug, Clone, Copy, Default)]
struct Unowned {
    rows: u64,
    values: u64,
    amount: f64,
}

impl Unowned {
    fn add(&mut self, amount: f64, values: u32) {
        self.rows += 1;
        self.amount += amount;
        self.values += values as u64;
    }

    fn encode(&self, out: &mut Vec<u8>) {
        for n in [self.rows, self.values] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        out.extend_from_slice(&self.amount.to_le_bytes());
    }

    fn merge(&mut self, r: &mut Reader<'_>) -> Result<()> {
        self.rows += r.u64()?;
        self.values += r.u64()?;
        self.amount += r.f64()?;
        Ok(())
    }
}

/// The largest absolute contributions, largest first.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Top {
    values: [f64; TOP_CONTRIBUTIONS],
    len: usize,
}

impl Top {
    #[allow(clippy::neg_cmp_op_on_partial_ord)] // `!(x >= a)` holds for a NaN, `x < a` does not.
    fn offer(&mut self, a: f64) {
        if self.len == TOP_CONTRIBUTIONS && a <= self.values[TOP_CONTRIBUTIONS - 1] {
            return;
        }
        // Into its place from the end, after the values at least as large (as a NaN is placed
        // first, not being at most any): a few moves in place, where a copy of the slice
        // after its place was a call to memmove.
        let mut at = self.len.min(TOP_CONTRIBUTIONS - 1);
        while at > 0 && !(self.values[at - 1] >= a) {
            self.values[at] = self.values[at - 1];
            at -= 1;
        }
        self.values[at] = a;
        self.len = (self.len + 1).min(TOP_CONTRIBUTIONS);
    }

    /// What a contribution must exceed to enter.
    fn floor(&self) -> f64 {
        if self.len == TOP_CONTRIBUTIONS { self.values[TOP_CONTRIBUTIONS - 1] } else { -1.0 }
    }

    fn list(&self) -> Vec<f64> {
        self.values[..self.len].to_vec()
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.len as u64).to_le_bytes());
        for f in &self.values {
            out.extend_from_slice(&f.to_le_bytes());
        }
    }

    fn merge(&mut self, r: &mut Reader<'_>) -> Result<()> {
        let len = r.u64()? as usize;
        if len > TOP_CONTRIBUTIONS {
            return Err(damaged());
        }
        for i in 0..TOP_CONTRIBUTIONS {
            let v = r.f64()?;
            if i < len {
                self.offer(v);
            }
        }
        Ok(())
    }
}

/// Sums over completed persons' contributions.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Sums {
    /// Persons with a value.
    with_value: u64,
    values: u64,
    total: f64,
    total_abs: f64,
}

impl Sums {
    #[inline]
    fn fold(&mut self, e: &Entry) {
        self.with_value += (e.values > 0) as u64;
        self.values += e.values as u64;
        self.total += e.amount;
        self.total_abs += e.amount.abs();
    }

    fn encode(&self, out: &mut Vec<u8>) {
        for n in [self.with_value, self.values] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        for f in [self.total, self.total_abs] {
            out.extend_from_slice(&f.to_le_bytes());
        }
    }

    fn merge(&mut self, r: &mut Reader<'_>) -> Result<()> {
        self.with_value += r.u64()?;
        self.values += r.u64()?;
        self.total += r.f64()?;
        self.total_abs += r.f64()?;
        Ok(())
    }
}

/// Appends a cell's facts from its parts, as [`Facts::to_bytes`] would; `persons` is its
/// person set (ascending, each once).
fn write_facts(
    out: &mut Vec<u8>,
    sums: &Sums,
    top: &Top,
    counts: &Counts,
    unowned: &Unowned,
    persons: &[u32],
) -> Result<()> {
    if persons.windows(2).any(|w| w[0] >= w[1]) {
        return Err(damaged());
    }
    let values = sums.values + unowned.values;
    let head = Facts {
        persons: persons.len() as u64,
        persons_with_value: sums.with_value,
        rows: values + counts.missing,
        values,
        missing: counts.missing,
        negative: counts.negative,
        unowned_rows: unowned.rows,
        total: sums.total + unowned.amount,
        total_abs: sums.total_abs + unowned.amount.abs(),
        top: top.list(),
        distinct_values: counts.distinct_values(),
        persons_at_or_below: None,
        persons_at_or_above: None,
        persons_bitmap: PersonSet::default(),
    };
    head.write_head(out);
    write_roaring(persons, out);
    Ok(())
}

/// Largest container the Roaring format keeps as a sorted array; larger ones are bitmaps.
const ARRAY_LIMIT: usize = 4096;

/// Appends the ascending, distinct `persons` as a serialized Roaring bitmap, in the portable
/// format without run containers: byte for byte what the roaring crate writes for the same
/// set (a test holds it to that), written straight from the list. Building the crate's bitmap
/// first, one person at a time, cost more than all the rest of the facts.
fn write_roaring(persons: &[u32], out: &mut Vec<u8>) {
    // The containers (persons sharing their upper 16 bits), found by search: a few per cell,
    // where a pass over the persons would cost a step per person.
    let containers = || {
        let mut rest = persons;
        std::iter::from_fn(move || {
            let first = *rest.first()?;
            let (c, after) = rest.split_at(rest.partition_point(|p| p >> 16 == first >> 16));
            rest = after;
            Some(c)
        })
    };
    let n = containers().count();
    out.extend_from_slice(&12346u32.to_le_bytes());
    out.extend_from_slice(&(n as u32).to_le_bytes());
    for c in containers() {
        out.extend_from_slice(&((c[0] >> 16) as u16).to_le_bytes());
        out.extend_from_slice(&((c.len() - 1) as u16).to_le_bytes());
    }
    let mut offset = 8 + 8 * n as u32;
    for c in containers() {
        out.extend_from_slice(&offset.to_le_bytes());
        offset += if c.len() <= ARRAY_LIMIT { 2 * c.len() as u32 } else { 8192 };
    }
    for c in containers() {
        if c.len() <= ARRAY_LIMIT {
            let start = out.len();
            out.resize(start + 2 * c.len(), 0);
            for (w, p) in out[start..].chunks_exact_mut(2).zip(c) {
                w.copy_from_slice(&(*p as u16).to_le_bytes());
            }
        } else {
            let mut words = [0u64; 1024];
            for p in c {
                let low = (p & 0xffff) as usize;
                words[low / 64] |= 1 << (low % 64);
            }
            for w in words {
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
    }
}

/// A stable counting sort by cell: `items`, each with its cell (below `cells`), in order by
/// cell and each cell's in the order they came; and where each cell's start, `cells + 1`
/// offsets into them.
///
/// Measured and not kept (the benchmark's COUNT, ten paired rounds): two passes, first into
/// buckets of 256 neighbouring cells (writes that stream), then each bucket by cell in the
/// core's cache, took 0.4567 s against 0.4271 s. Each pass reads the whole log again, and
/// the log is too large for the caches: passes over memory cost more than the scattered
/// writes of one pass.
fn by_cell<T: Copy + Default>(cells: usize, items: impl Iterator<Item = (usize, T)> + Clone) -> (Vec<usize>, Vec<T>) {
    let mut starts = vec![0usize; cells + 1];
    for (g, _) in items.clone() {
        starts[g + 1] += 1;
    }
    for g in 0..cells {
        starts[g + 1] += starts[g];
    }
    let mut at = starts.clone();
    let mut sorted = vec![T::default(); starts[cells]];
    for (g, item) in items {
        sorted[at[g]] = item;
        at[g] += 1;
    }
    (starts, sorted)
}

/// The little-endian word at `at` in `bytes`, as [`put_u32s`] writes them.
#[inline]
fn word(bytes: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(w)
}

/// Appends `list` as little-endian words.
fn put_u32s(out: &mut Vec<u8>, list: &[u32]) {
    let start = out.len();
    out.resize(start + 4 * list.len(), 0);
    for (w, p) in out[start..].chunks_exact_mut(4).zip(list) {
        w.copy_from_slice(&p.to_le_bytes());
    }
}

/// A cell whose rows come in person order (see the module's documentation). What every row
/// touches comes first, within 128 bytes (two cache lines): with thousands of cells, each
/// row's cell is a cache miss, and each line more costs another.
///
/// Completed persons once went to their list three at a time, through a buffer in the first
/// line, to spare a miss at the list's end on every completion. Since a block's cells and
/// the ends of their lists are read before its rows ([`Tracked::touch`]), pushing each person
/// at once is faster: 0.4901 s against 0.5097 s on the benchmark's SUM (twenty paired
/// rounds, each the best of 3), with one unpredictable branch per completion less.
#[derive(Debug)]
#[repr(C, align(128))]
struct Stream {
    /// The entry of the person of the last row ([`NO_PERSON`] before any).
    current: Entry,
    /// Whether `first` holds the cell's first person: asked on every completed person, so
    /// kept here, where `first` itself is in a line of its own.
    opened: bool,
    /// Completed persons, ascending.
    completed: Vec<u32>,
    counts: Counts,
    sums: Sums,
    /// What a completed contribution must exceed to enter `top`.
    floor: f64,
    top: Top,
    unowned: Unowned,
    /// The cell's first person, kept open: their rows may continue in the previous part.
    first: Entry,
    /// A row came out of person order.
    disordered: bool,
    /// Completed persons gathered (from this part and merged states), ascending; and open
    /// entries in person order.
    merged: Vec<u32>,
    open: Vec<Entry>,
}

impl Default for Stream {
    fn default() -> Self {
        Stream {
            current: NO_ENTRY,
            opened: false,
            completed: Vec::new(),
            counts: Counts::default(),
            sums: Sums::default(),
            floor: -1.0,
            top: Top::default(),
            unowned: Unowned::default(),
            first: NO_ENTRY,
            disordered: false,
            merged: Vec::new(),
            open: Vec::new(),
        }
    }
}

impl Default for Entry {
    fn default() -> Self {
        NO_ENTRY
    }
}

impl Stream {
    /// Every completed person in `merged`, and the open entries (first and current) in `open`.
    fn gather(&mut self) -> Result<()> {
        if !self.completed.is_empty() && !union_disjoint(&mut self.merged, std::mem::take(&mut self.completed)) {
            return Err(out_of_order());
        }
        self.opened = false;
        for e in [std::mem::take(&mut self.first), std::mem::take(&mut self.current)] {
            if e.person != NO_PERSON {
                add_entry(&mut self.open, e);
            }
        }
        Ok(())
    }

    /// Merges a state's counts, sums and top contributions into the cell; returns its open
    /// entries, and its completed persons as they are written (4 bytes each, not yet read).
    fn merge_numbers<'a>(&mut self, bytes: &'a [u8]) -> Result<(impl Iterator<Item = Entry> + 'a, &'a [u8])> {
        let mut r = Reader(bytes);
        self.counts.merge(&mut r)?;
        self.unowned.merge(&mut r)?;
        self.sums.merge(&mut r)?;
        self.top.merge(&mut r)?;
        self.floor = self.top.floor();
        let n = r.u64()? as usize;
        let open = r.entries(n)?;
        let n = r.u64()? as usize;
        let done = r.take(n.checked_mul(4).ok_or_else(damaged)?)?;
        if !r.0.is_empty() {
            return Err(damaged());
        }
        Ok((open, done))
    }

    /// One row (see [`Tracked::add`]); returns the person it completed, if any, whose
    /// contribution is then folded.
    #[inline(always)]
    fn row(&mut self, person: u32, value: Option<f64>, count: bool) -> Option<u32> {
        let previous = step(&mut self.counts, &mut self.unowned, &mut self.current, person, value, count)?;
        if previous.person > person {
            self.disordered = true;
        }
        if !self.opened {
            self.opened = true;
            self.first = previous;
            return None;
        }
        self.complete(&previous);
        Some(previous.person)
    }

    #[inline]
    fn complete(&mut self, e: &Entry) {
        self.sums.fold(e);
        let a = e.amount.abs();
        if a > self.floor {
            self.top.offer(a);
            self.floor = self.top.floor();
        }
    }
}

/// Adds the ascending persons `incoming` to the ascending `done`; false when a person is in
/// both (a person completed in two parts: the rows were not in person order). A merge in
/// place from the back, a copy per stretch, measured slower in the final stage than this.
fn union_disjoint(done: &mut Vec<u32>, incoming: Vec<u32>) -> bool {
    match (done.last(), incoming.first()) {
        (None, _) => {
            *done = incoming;
            return true;
        }
        (_, None) => return true,
        (Some(last), Some(first)) if last < first => {
            done.extend_from_slice(&incoming);
            return true;
        }
        _ => {}
    }
    let mut out = Vec::with_capacity(done.len() + incoming.len());
    let (mut i, mut j) = (0, 0);
    while i < done.len() && j < incoming.len() {
        match done[i].cmp(&incoming[j]) {
            std::cmp::Ordering::Less => {
                out.push(done[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(incoming[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => return false,
        }
    }
    out.extend_from_slice(&done[i..]);
    out.extend_from_slice(&incoming[j..]);
    *done = out;
    true
}

/// Adds `e` to entries in person order.
fn add_entry(entries: &mut Vec<Entry>, e: Entry) {
    match entries.binary_search_by_key(&e.person, |x| x.person) {
        Ok(i) => {
            entries[i].amount += e.amount;
            entries[i].values += e.values;
        }
        Err(i) => entries.insert(i, e),
    }
}

/// One row for a cell: counts its value, adds it to the current person's entry, and returns
/// the previous person's entry when the row starts another person.
#[inline]
fn step(
    counts: &mut Counts,
    unowned: &mut Unowned,
    current: &mut Entry,
    person: u32,
    value: Option<f64>,
    count: bool,
) -> Option<Entry> {
    let (amount, values) = counts.value(value, count);
    if person == NO_PERSON {
        unowned.add(amount, values);
        return None;
    }
    if current.person == person {
        current.amount += amount;
        current.values += values;
        return None;
    }
    let previous = std::mem::replace(current, Entry { person, values, amount });
    (previous.person != NO_PERSON).then_some(previous)
}

impl Tracked for Stream {
    type Row = Logged;

    #[inline(always)]
    fn add(&mut self, person: u32, value: Option<f64>, count: bool) -> usize {
        match self.row(person, value, count) {
            Some(done) => self.completed(done),
            None => 0,
        }
    }

    const LOGS: bool = true;

    #[inline(always)]
    fn add_logging(&mut self, person: u32, value: Option<f64>, count: bool, cell: u32, done: &mut Vec<u64>) -> usize {
        if let Some(p) = self.row(person, value, count) {
            done.push(u64::from(cell) << 32 | u64::from(p));
        }
        0
    }

    fn completed(&mut self, person: u32) -> usize {
        let before = self.completed.capacity();
        self.completed.push(person);
        (self.completed.capacity() - before) * 4
    }

    fn heap(&self) -> usize {
        (self.completed.capacity() + self.merged.capacity()) * 4 + self.open.capacity() * ENTRY_BYTES
    }

    /// Reads the first line (the second comes with it), the line of the top's length, and
    /// the end of the completed persons (none in a [`Trackers`], whose cells log them).
    #[inline]
    fn touch(&self) -> u64 {
        self.current.person as u64 + self.top.len as u64 + self.completed.last().copied().unwrap_or(0) as u64
    }

    /// Counts, sums and top contributions of the completed persons, the open entries, then
    /// the completed persons (ascending).
    ///
    /// Measured and not kept (the benchmark's COUNT, as on [`Tally`]): states that carry a
    /// ticket for the list, left in memory, in place of the list itself (no copy into the
    /// state, through the repartition or out of it in the merge): 0.36-0.40 s against
    /// 0.37-0.39 s. Nor did leaving out, one at a time or together, the output's union with
    /// the open persons and the writing of the Roaring set change the time beyond the noise
    /// (0.37-0.40 s each). Writing no persons at all in the output, and so carrying none to
    /// the result, took 0.35-0.36 s against 0.38-0.40 s: the lists' cost is spread over every
    /// stage, none of which alone stands out.
    fn encode(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.encode_before(0, out)
    }

    fn encode_before(&mut self, extra: usize, out: &mut Vec<u8>) -> Result<()> {
        if self.disordered {
            return Err(out_of_order());
        }
        self.gather()?;
        out.reserve(264 + self.open.len() * ENTRY_BYTES + self.merged.len() * 4);
        self.counts.encode(out);
        self.unowned.encode(out);
        self.sums.encode(out);
        self.top.encode(out);
        out.extend_from_slice(&(self.open.len() as u64).to_le_bytes());
        for e in &self.open {
            put_entry(out, e);
        }
        out.extend_from_slice(&((self.merged.len() + extra) as u64).to_le_bytes());
        put_u32s(out, &self.merged);
        Ok(())
    }

    fn merge(&mut self, bytes: &[u8]) -> Result<()> {
        if self.disordered {
            return Err(out_of_order());
        }
        self.gather()?;
        let (open, done) = self.merge_numbers(bytes)?;
        let open: Vec<Entry> = open.collect();
        let done: Vec<u32> = done.chunks_exact(4).map(|c| word(c, 0)).collect();
        if done.windows(2).any(|w| w[0] >= w[1]) {
            return Err(damaged());
        }
        // A person completed in one part may not appear in another at all.
        if open.iter().any(|e| self.merged.binary_search(&e.person).is_ok())
            || self.open.iter().any(|e| done.binary_search(&e.person).is_ok())
            || !union_disjoint(&mut self.merged, done)
        {
            return Err(out_of_order());
        }
        for e in open {
            add_entry(&mut self.open, e);
        }
        Ok(())
    }

    fn output(&mut self, out: &mut Vec<u8>) -> Result<()> {
        if self.disordered {
            return Err(out_of_order());
        }
        self.gather()?;
        let open = std::mem::take(&mut self.open);
        for e in &open {
            self.complete(e);
        }
        if !union_disjoint(&mut self.merged, open.iter().map(|e| e.person).collect()) {
            return Err(out_of_order());
        }
        write_facts(out, &self.sums, &self.top, &self.counts, &self.unowned, &self.merged)
    }
}

/// A streaming cell of a count whose every row is one and the same value: COUNT(*), or the
/// count of any other literal but NULL ([`CellEvidence::create_groups_accumulator`] chooses
/// it). A person's contribution is then their number of rows, so a row needs only its
/// person, and all it touches is in the first 64 bytes, one cache line where a [`Stream`]
/// needs two. The rest is a [`Stream`], into which the cell settles before it is encoded,
/// merged or read; rows after that go to the [`Stream`] itself. The value is read from the
/// first row of a known person, never again.
///
/// Measured and not kept (the benchmark's COUNT, 35,201 cells, 10.1 M rows; best of 6, run
/// alternately with this build, whose best runs were 0.37-0.40 s): each cell's person and
/// rows apart from the rest, 8 bytes a cell (280 KiB for all, in the core's cache), rows
/// counted there at once and only finished runs (cell, person, rows) logged, then ordered by
/// cell within their block (a counting sort) and added to each cell's [`Stream`] in one go:
/// 0.37-0.39 s, and the partial aggregation's time (373 ms of CPU) did not move. With logs of
/// 2^20 and 2^22 runs in place of 2^18, 0.37-0.39 s. What costs is not reaching the cells
/// but the persons' lists: a throwaway build that kept no list at all ran in 0.26-0.29 s.
///
/// Nor was a partial aggregation with no list per cell faster: each person's rows gathered
/// into one (cell, person, rows) pair per cell by a stamp per cell, finished pairs folded into
/// small per-cell arrays (completed persons, rows, the top's floor), and each cell's persons
/// written straight from the pairs into its state, in one pass, when the state was written.
/// It gave the same facts, byte for byte, and the same time: 0.3355 s against 0.3309 s, the
/// means of eight rounds, each the best of 3, run alternately. Its update took as long as
/// the log's (about 190 ms of CPU a run, measured on the thread's clock), though its stamp
/// loop alone, without the folding, on as many rows and cells, took about 80 ms. perf
/// showed why: 30% of the update's samples waited on each cell's top contributions (88
/// bytes per cell, apart from everything else, read whenever a completed person had more
/// rows than the floor, which for counts of 1 to 3 rows is often). With the top kept as ten
/// `u32`s in the same 64-byte line as the cell's other folded numbers, the update took 170
/// ms and the query 0.363 s against 0.382 s for this build (means of six paired rounds):
/// the lead that the first `pairs` followed (it now logs rows, and makes its tallies only
/// when the states are written), with this struct's rules (a cell's person completes at
/// that cell's next person, not at any other person's row: rows in person order within each
/// cell, as a UNION ALL of two sorted tables gives, must not be refused, since a refusal
/// sends every later query of the workspace to the mode for rows in any order). The stamp
/// and the folded numbers in one line (2.2 MiB for all cells, more than the core's cache)
/// made it slower again (198 ms).
/// The same move here, the top as `u32`s in this struct's second line, gave 0.357 s against
/// 0.363 s, and the ratio to the plain query 2.44x against 2.40x: within the noise.
#[derive(Debug)]
#[repr(C)]
struct Tally {
    /// The person of the last row ([`NO_PERSON`] before any) and their rows.
    person: u32,
    rows: u32,
    /// Completed persons on their way to `completed`, three at a time: a store to the list's
    /// end misses the cache, where these are in a line the row has loaded anyway.
    pending: [u32; 3],
    pending_len: u8,
    /// Whether the cell's first person is in `rest.first` (kept open, as in a [`Stream`]).
    opened: bool,
    /// The rows a completed person must exceed to enter the top contributions.
    floor: u32,
    /// The rows of the completed persons.
    completed_rows: u64,
    /// Completed persons, ascending.
    completed: Vec<u32>,
    /// Every row's value.
    value: f64,
    settled: bool,
    rest: Stream,
}

impl Default for Tally {
    fn default() -> Self {
        Tally {
            person: NO_PERSON,
            rows: 0,
            pending: [0; 3],
            pending_len: 0,
            opened: false,
            floor: 0,
            completed_rows: 0,
            completed: Vec::new(),
            value: 1.0,
            settled: false,
            rest: Stream::default(),
        }
    }
}

impl Tally {
    /// A row that starts a person, or that a [`Stream`] takes.
    fn start(&mut self, person: u32, value: Option<f64>, count: bool) -> usize {
        if self.settled || person == NO_PERSON {
            return self.rest.add(person, value, count);
        }
        let (previous, rows) = (std::mem::replace(&mut self.person, person), std::mem::replace(&mut self.rows, 1));
        if previous == NO_PERSON {
            self.value = value.unwrap_or(f64::NAN);
            return 0;
        }
        if previous > person {
            self.rest.disordered = true;
        }
        if !self.opened {
            self.opened = true;
            self.rest.first = Entry { person: previous, values: rows, amount: f64::from(rows) };
            return 0;
        }
        self.completed_rows += u64::from(rows);
        if rows > self.floor {
            let top = &mut self.rest.top;
            top.offer(f64::from(rows));
            // The top holds whole numbers of rows.
            self.floor = if top.len == TOP_CONTRIBUTIONS { top.values[TOP_CONTRIBUTIONS - 1] as u32 } else { 0 };
        }
        self.pending[self.pending_len as usize] = previous;
        self.pending_len += 1;
        if self.pending_len < 3 {
            return 0;
        }
        self.pending_len = 0;
        let before = self.completed.capacity();
        self.completed.extend_from_slice(&self.pending);
        (self.completed.capacity() - before) * 4
    }

    /// Moves everything into `rest`, as a [`Stream`] fed the same rows would hold it.
    fn settle(&mut self) {
        if self.settled {
            return;
        }
        self.settled = true;
        let rest = &mut self.rest;
        self.completed.extend_from_slice(&self.pending[..self.pending_len as usize]);
        self.pending_len = 0;
        let completed_rows = self.completed_rows as f64;
        rest.sums.with_value += self.completed.len() as u64;
        rest.sums.values += self.completed_rows;
        rest.sums.total += completed_rows;
        rest.sums.total_abs += completed_rows;
        rest.floor = rest.top.floor();
        rest.completed = std::mem::take(&mut self.completed);
        rest.opened = self.opened;
        let mut rows = self.completed_rows + u64::from(self.rows) + u64::from(rest.first.values);
        if self.person == NO_PERSON {
            rows = 0;
        } else {
            rest.current = Entry { person: self.person, values: self.rows, amount: f64::from(self.rows) };
            self.person = NO_PERSON;
        }
        // Each row's value, counted as Counts::value counts it.
        let (v, counts) = (self.value, &mut rest.counts);
        if rows > 0 {
            counts.negative += if v < 0.0 { rows } else { 0 };
            if v < counts.min {
                counts.min = v;
            }
            if v > counts.max {
                counts.max = v;
            }
        }
    }
}

impl Tracked for Tally {
    type Row = Bare;

    #[inline]
    fn add(&mut self, person: u32, value: Option<f64>, count: bool) -> usize {
        if person == self.person && person != NO_PERSON {
            self.rows += 1;
            return 0;
        }
        self.start(person, value, count)
    }

    fn heap(&self) -> usize {
        self.completed.capacity() * 4 + self.rest.heap()
    }

    fn encode(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.settle();
        self.rest.encode(out)
    }

    fn merge(&mut self, bytes: &[u8]) -> Result<()> {
        self.settle();
        self.rest.merge(bytes)
    }

    fn output(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.settle();
        self.rest.output(out)
    }
}

/// A cell whose rows come in any order (see the module's documentation).
#[derive(Debug)]
#[repr(C, align(64))]
struct Entries {
    /// The entry of the person of the last row ([`NO_PERSON`] before any).
    current: Entry,
    counts: Counts,
    /// Earlier persons' contributions; with `current`, in person order, each person once,
    /// when `tidy`.
    entries: Vec<Entry>,
    unowned: Unowned,
    tidy: bool,
    /// Length of `entries` when last put in order.
    tidy_len: usize,
}

impl Default for Entries {
    fn default() -> Self {
        Entries {
            current: NO_ENTRY,
            counts: Counts::default(),
            entries: Vec::new(),
            unowned: Unowned::default(),
            tidy: true,
            tidy_len: 0,
        }
    }
}

impl Entries {
    /// Moves the current person's entry to the list, sorts it by person and adds up each
    /// person's entries (a stable sort: the same rows give the same sums).
    fn put_in_order(&mut self) {
        if self.current.person != NO_PERSON {
            let current = std::mem::take(&mut self.current);
            self.push(current);
        }
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
}

impl Entries {
    /// Appends an entry; the list stays tidy only while each person is greater than the last.
    fn push(&mut self, e: Entry) {
        if self.entries.last().is_some_and(|last| last.person >= e.person) {
            self.tidy = false;
        }
        self.entries.push(e);
    }
}

impl Tracked for Entries {
    type Row = Logged;

    #[inline]
    fn add(&mut self, person: u32, value: Option<f64>, count: bool) -> usize {
        let Some(previous) = step(&mut self.counts, &mut self.unowned, &mut self.current, person, value, count) else {
            return 0;
        };
        let before = self.heap();
        self.push(previous);
        if !self.tidy && self.entries.len() >= 2 * self.tidy_len + 64 {
            self.put_in_order();
        }
        self.heap().saturating_sub(before)
    }

    fn heap(&self) -> usize {
        self.entries.capacity() * ENTRY_BYTES
    }

    /// Counts, then one entry per person, in person order.
    fn encode(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.put_in_order();
        out.reserve(64 + self.entries.len() * ENTRY_BYTES);
        self.counts.encode(out);
        self.unowned.encode(out);
        for e in &self.entries {
            put_entry(out, e);
        }
        Ok(())
    }

    /// Both lists are in person order, so they merge in one pass.
    fn merge(&mut self, bytes: &[u8]) -> Result<()> {
        let mut r = Reader(bytes);
        self.counts.merge(&mut r)?;
        self.unowned.merge(&mut r)?;
        if !r.0.len().is_multiple_of(ENTRY_BYTES) {
            return Err(damaged());
        }
        let incoming: Vec<Entry> = r.entries(r.0.len() / ENTRY_BYTES)?.collect();
        if incoming.windows(2).any(|w| w[0].person >= w[1].person) {
            return Err(damaged());
        }
        self.put_in_order();
        match (self.entries.last(), incoming.first()) {
            (_, None) => {}
            // Usual case: the parts of a sorted scan follow each other.
            (None, Some(_)) => self.entries = incoming,
            (Some(last), Some(first)) if last.person < first.person => self.entries.extend(incoming),
            _ => {
                let mine = std::mem::take(&mut self.entries);
                let mut merged = Vec::with_capacity(mine.len() + incoming.len());
                let (mut a, mut b) = (mine.into_iter().peekable(), incoming.into_iter().peekable());
                loop {
                    let next = match (a.peek(), b.peek()) {
                        (Some(x), Some(y)) if x.person == y.person => a.next().zip(b.next()).map(|(x, y)| Entry {
                            person: x.person,
                            values: x.values + y.values,
                            amount: x.amount + y.amount,
                        }),
                        (Some(x), Some(y)) if x.person < y.person => a.next(),
                        (_, Some(_)) => b.next(),
                        (Some(_), None) => a.next(),
                        (None, None) => break,
                    };
                    merged.extend(next);
                }
                self.entries = merged;
            }
        }
        self.tidy_len = self.entries.len();
        Ok(())
    }

    fn output(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.put_in_order();
        let (mut sums, mut top) = (Sums::default(), Top::default());
        for e in &self.entries {
            sums.fold(e);
            top.offer(e.amount.abs());
        }
        let persons: Vec<u32> = self.entries.iter().map(|e| e.person).collect();
        write_facts(out, &sums, &top, &self.counts, &self.unowned, &persons)
    }
}

/// The evidence of an aggregate without groups.
#[derive(Debug)]
struct Single<C> {
    feed: Feed,
    cell: C,
}

impl<C: Tracked> Accumulator for Single<C> {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let v = self.feed.read(values, !C::Row::VALUED)?;
        for (i, p) in self.feed.persons.iter().enumerate() {
            self.cell.add(*p, v.get(i), self.feed.count);
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(ScalarValue::Binary(Some(bytes_of(|out| self.cell.output(out))?)))
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>() + self.cell.heap() + self.feed.persons.capacity() * 4
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Binary(Some(bytes_of(|out| self.cell.encode(out))?))])
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
pub(super) mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};

    type Rows = [(Option<i64>, Option<f64>)];

    /// A small deterministic generator (xorshift), for randomized trials.
    pub(super) struct Rng(pub(super) u64);

    impl Rng {
        /// A generator started from `seed`.
        pub(super) fn new(seed: u64) -> Rng {
            Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        }

        /// A number below `n`.
        pub(super) fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n.max(1)
        }
    }

    /// What a cell's evidence keeps, either way: its rows give the cell's facts.
    trait Cell: Tracked {
        /// The cell's facts (its output, read back).
        fn facts(&mut self) -> Result<Facts> {
            Facts::from_bytes(&bytes_of(|out| self.output(out))?).ok_or_else(damaged)
        }
    }

    impl Cell for Stream {}
    impl Cell for Entries {}
    impl Cell for Tally {}

    /// A tracker's state on its own.
    pub(in crate::evidence) fn encoded<T: Tracked>(t: &mut T) -> Result<Vec<u8>> {
        bytes_of(|out| t.encode(out))
    }

    fn index() -> Arc<PersonIndex> {
        Arc::new(PersonIndex::from_pseudonyms((0..100).collect()).unwrap())
    }

    fn feed<C: Cell>(t: &mut Single<C>, rows: &Rows) -> Result<()> {
        let persons: ArrayRef = Arc::new(rows.iter().map(|r| r.0).collect::<Int64Array>());
        let values: ArrayRef = Arc::new(rows.iter().map(|r| r.1).collect::<Float64Array>());
        t.update_batch(&[persons, values])
    }

    fn single<C: Cell>(kind: Kind) -> Single<C> {
        Single { feed: CellEvidence::new(kind, Mode::Entries, index()).feed(), cell: C::default() }
    }

    fn run<C: Cell>(kind: Kind, rows: &Rows) -> Result<Facts> {
        let mut t = single::<C>(kind);
        feed(&mut t, rows)?;
        t.cell.facts()
    }

    /// The facts both ways, which must agree.
    fn both(kind: Kind, rows: &Rows) -> Facts {
        let a = run::<Entries>(kind, rows).unwrap();
        let b = run::<Stream>(kind, rows).unwrap();
        assert_eq!(a, b);
        a
    }

    /// Partial states of `parts`, merged in `order`.
    fn merged<C: Cell>(parts: &[&Rows], order: &[usize]) -> Result<Facts> {
        let mut states = Vec::new();
        for part in parts {
            let mut t = single::<C>(Kind::Sum);
            feed(&mut t, part)?;
            states.push(encoded(&mut t.cell)?);
        }
        let mut cell = C::default();
        for i in order {
            cell.merge(&states[*i])?;
        }
        cell.facts()
    }

    #[test]
    fn a_persons_rows_add_up_to_one_contribution() {
        // Person 1 has 8,000 of 8,600 over eight claims; no single row dominates.
        let mut rows = vec![(Some(1), Some(1000.0)); 8];
        rows.extend([(Some(2), Some(300.0)), (Some(2), Some(100.0)), (Some(3), Some(200.0)), (Some(4), None)]);
        let f = both(Kind::Sum, &rows);
        assert_eq!((f.persons, f.persons_with_value, f.rows, f.values, f.missing), (4, 3, 12, 11, 1));
        assert_eq!((f.total, f.top1(), f.top2()), (8600.0, 8000.0, 400.0));
        assert_eq!(f.top, vec![8000.0, 400.0, 200.0, 0.0]);
        assert_eq!(f.distinct_values, 2);
        assert_eq!(f.bitmap().unwrap().iter().collect::<Vec<_>>(), vec![1, 2, 3, 4]);
        let c = both(Kind::Count, &rows);
        assert_eq!((c.total, c.top1(), c.top2()), (11.0, 8.0, 2.0));
    }

    #[test]
    fn the_top_contributions_are_the_largest_ten_in_order() {
        let rows: Vec<(Option<i64>, Option<f64>)> = (0..40).map(|p| (Some(p), Some(((p * 37) % 41) as f64))).collect();
        let f = both(Kind::Sum, &rows);
        let mut all: Vec<f64> = rows.iter().map(|r| r.1.unwrap()).collect();
        all.sort_by(|a, b| b.total_cmp(a));
        assert_eq!(f.top, all[..TOP_CONTRIBUTIONS].to_vec());
    }

    #[test]
    fn the_top_keeps_the_largest_values_in_order_with_ties() {
        let values: Vec<f64> = (0..200).map(|i| ((i * 7919) % 23) as f64).collect();
        for n in [3, TOP_CONTRIBUTIONS, 200] {
            let mut top = Top::default();
            values[..n].iter().for_each(|v| top.offer(*v));
            let mut all = values[..n].to_vec();
            all.sort_by(|a, b| b.total_cmp(a));
            all.truncate(TOP_CONTRIBUTIONS);
            assert_eq!(top.list(), all, "{n} values");
        }
    }

    #[test]
    fn a_tally_holds_what_a_stream_fed_the_same_rows_holds() {
        // Persons with one row and with many, unknown persons first, between and last; a
        // person out of order; each with the value 1, a negative value, and a NaN.
        let persons: Vec<Option<i64>> = vec![None, Some(1), Some(1), Some(2), None, Some(3), Some(3), Some(3)]
            .into_iter()
            .chain((4..40).flat_map(|p| std::iter::repeat_n(Some(p), (p % 4 + 1) as usize)))
            .chain([None, Some(41)])
            .collect();
        for value in [1.0, -2.0, f64::NAN] {
            let rows: Vec<(Option<i64>, Option<f64>)> = persons.iter().map(|p| (*p, Some(value))).collect();
            for n in [0, 1, 2, 3, 6, 20, rows.len()] {
                let tally = run::<Tally>(Kind::Count, &rows[..n]).unwrap();
                assert_eq!(tally, run::<Stream>(Kind::Count, &rows[..n]).unwrap(), "{n} rows of {value}");
            }
            let mut disordered = rows.clone();
            disordered.swap(10, 30);
            assert!(run::<Tally>(Kind::Count, &disordered).is_err());
            // Parts, each split inside a person's rows, encoded by tallies and merged by
            // either kind of cell in any order.
            let parts: Vec<&Rows> = rows.chunks(25).collect();
            assert_eq!(parts.len(), 4);
            let states: Vec<Vec<u8>> = parts
                .iter()
                .map(|part| {
                    let mut t = single::<Tally>(Kind::Count);
                    feed(&mut t, part).unwrap();
                    encoded(&mut t.cell).unwrap()
                })
                .collect();
            let whole = run::<Stream>(Kind::Count, &rows).unwrap();
            for order in [[0, 1, 2, 3], [3, 1, 0, 2]] {
                let (mut tally, mut stream) = (Tally::default(), Stream::default());
                for i in order {
                    tally.merge(&states[i]).unwrap();
                    stream.merge(&states[i]).unwrap();
                }
                assert_eq!(tally.facts().unwrap(), whole);
                assert_eq!(stream.facts().unwrap(), whole);
            }
        }
    }

    #[test]
    fn filtered_tallies_of_many_cells_keep_the_literal() {
        // COUNT(-5) FILTER (WHERE ...): rows logged without their value take the literal.
        let udf = CellEvidence::new(Kind::Count, Mode::Streaming, index());
        let mut t = Trackers::<Tally>::new(udf.feed());
        let cells = DIRECT_CELLS + 10;
        let groups: Vec<usize> = (0..cells).collect();
        let p: ArrayRef = Arc::new(Int64Array::from_iter_values((0..cells).map(|g| g as i64 % 50)));
        let values: ArrayRef = Arc::new(Int64Array::from_iter_values(groups.iter().map(|_| -5)));
        let filter = BooleanArray::from(groups.iter().map(|g| g % 2 == 0).collect::<Vec<_>>());
        t.update_batch(&[p, values], &groups, Some(&filter), cells).unwrap();
        let out = t.evaluate(EmitTo::All).unwrap();
        for g in 0..cells {
            let facts = Facts::from_bytes(out.as_binary::<i32>().value(g)).unwrap();
            let rows = (g % 2 == 0) as u64;
            assert_eq!((facts.rows, facts.negative), (rows, rows), "cell {g}");
        }
    }

    #[test]
    fn tallies_of_many_cells_log_rows_without_values_and_keep_the_literal() {
        let udf = CellEvidence::new(Kind::Count, Mode::Streaming, index());
        let mut t = Trackers::<Tally>::new(udf.feed());
        t.log_rows = 1000;
        let cells = DIRECT_CELLS + 700;
        let (mut groups, mut persons) = (Vec::new(), Vec::new());
        for person in 0..100i64 {
            for k in 0..30 {
                groups.push(((person * 7919 + k * 104_729) as usize) % cells);
                persons.push(person);
            }
        }
        for (g, p) in groups.chunks(997).zip(persons.chunks(997)) {
            // The literal -5, as DataFusion passes a literal argument: a full array of it.
            let values: ArrayRef = Arc::new(Int64Array::from_iter_values(g.iter().map(|_| -5)));
            let p: ArrayRef = Arc::new(Int64Array::from_iter_values(p.iter().copied()));
            t.update_batch(&[p, values], g, None, cells).unwrap();
        }
        assert_eq!(std::mem::size_of::<Bare>(), 8);
        let out = t.evaluate(EmitTo::All).unwrap();
        for g in 0..cells {
            let facts = Facts::from_bytes(out.as_binary::<i32>().value(g)).unwrap();
            let rows = groups.iter().filter(|x| **x == g).count() as u64;
            assert_eq!((facts.rows, facts.values, facts.negative), (rows, rows, rows), "cell {g}");
            let persons = groups
                .iter()
                .zip(&persons)
                .filter(|(x, _)| **x == g)
                .map(|(_, p)| *p)
                .collect::<std::collections::BTreeSet<_>>();
            assert_eq!(facts.persons, persons.len() as u64, "cell {g}");
        }
    }

    #[test]
    fn rows_after_a_tally_settled_are_counted_as_before() {
        let rows: Vec<(Option<i64>, Option<f64>)> =
            [1, 1, 2, 3, 3, 3, 4].iter().map(|p| (Some(*p), Some(1.0))).collect();
        let mut t = single::<Tally>(Kind::Count);
        feed(&mut t, &rows[..4]).unwrap();
        t.cell.settle();
        feed(&mut t, &rows[4..]).unwrap();
        assert_eq!(t.cell.facts().unwrap(), run::<Stream>(Kind::Count, &rows).unwrap());
    }

    #[test]
    fn only_a_count_of_a_literal_but_null_is_tallied() {
        let literal = |v: ScalarValue| -> Arc<dyn PhysicalExpr> { Arc::new(Literal::new(v)) };
        let column: Arc<dyn PhysicalExpr> = Arc::new(datafusion::physical_expr::expressions::Column::new("x", 1));
        let person = column.clone();
        let one = literal(ScalarValue::Int64(Some(1)));
        assert!(rows_only(Kind::Count, &[person.clone(), one.clone()]));
        assert!(rows_only(Kind::Count, &[person.clone(), literal(ScalarValue::Utf8(Some("a".into())))]));
        assert!(!rows_only(Kind::Count, &[person.clone(), literal(ScalarValue::Int64(None))]));
        assert!(!rows_only(Kind::Count, &[person.clone(), column]));
        assert!(!rows_only(Kind::Sum, &[person, one]));
    }

    #[test]
    fn parts_of_a_sorted_scan_merge_in_any_order_both_ways() {
        let rows: Vec<(Option<i64>, Option<f64>)> =
            (0..100).map(|i| (Some(i / 3), if i % 11 == 0 { None } else { Some(i as f64 - 20.0) })).collect();
        let whole = both(Kind::Sum, &rows);
        assert_eq!(whole.negative, 18);
        // Parts split inside a person's rows (33 is person 11's second row), as row groups may.
        let parts: Vec<&Rows> = rows.chunks(34).collect();
        for order in [[0, 1, 2], [2, 0, 1], [1, 2, 0]] {
            for f in [merged::<Entries>(&parts, &order).unwrap(), merged::<Stream>(&parts, &order).unwrap()] {
                assert_eq!((f.persons, f.rows, f.missing, f.negative), (whole.persons, 100, whole.missing, 18));
                assert_eq!((&f.top, f.bitmap()), (&whole.top, whole.bitmap()));
                assert!((f.total - whole.total).abs() < 1e-9);
            }
        }
        assert!(Entries::default().merge(&[1, 2, 3]).is_err());
        assert!(Stream::default().merge(&[1, 2, 3]).is_err());
    }

    #[test]
    fn rows_out_of_order_are_kept_by_entries_and_refused_by_streams() {
        // 300 rows of 40 persons, in person order and then interleaved, as a join may leave them.
        let sorted: Vec<(Option<i64>, Option<f64>)> =
            (0..300).map(|i| (Some(i / 8 % 40), Some((i % 13) as f64))).collect();
        let mut shuffled = sorted.clone();
        shuffled.sort_by_key(|(p, v)| (v.map(|v| v as i64), *p));
        let a = run::<Entries>(Kind::Sum, &sorted).unwrap();
        let b = run::<Entries>(Kind::Sum, &shuffled).unwrap();
        assert_eq!((a.persons, a.total, &a.top, a.bitmap()), (b.persons, b.total, &b.top, b.bitmap()));
        let err = run::<Stream>(Kind::Sum, &shuffled).unwrap_err().to_string();
        assert!(err.contains(OUT_OF_ORDER), "{err}");
        // Parts that overlap (a completed person in both) are refused when merged.
        let (x, y): (&Rows, &Rows) = (
            &[(Some(1), Some(1.0)), (Some(2), Some(1.0)), (Some(3), Some(1.0))],
            &[(Some(0), Some(1.0)), (Some(2), Some(1.0)), (Some(5), Some(1.0))],
        );
        assert!(merged::<Stream>(&[x, y], &[0, 1]).unwrap_err().to_string().contains(OUT_OF_ORDER));
        assert_eq!(merged::<Entries>(&[x, y], &[0, 1]).unwrap().persons, 5);
        // So are parts where a person completed in one is open in the other, in either order.
        let z: &Rows = &[(Some(2), Some(1.0)), (Some(5), Some(1.0))];
        for order in [[0, 1], [1, 0]] {
            assert!(merged::<Stream>(&[x, z], &order).unwrap_err().to_string().contains(OUT_OF_ORDER));
            assert_eq!(merged::<Entries>(&[x, z], &order).unwrap().persons, 4);
        }
    }

    #[test]
    fn facts_travel_in_their_compact_form() {
        let f = both(Kind::Sum, &[(Some(1), Some(2.5)), (Some(3), None), (None, Some(-1.0))]);
        assert_eq!(Facts::from_bytes(&f.to_bytes()), Some(f.clone()));
        assert_eq!(Facts::from_bytes(&f.to_bytes()[..20]), None);
        assert!(!f.persons_bitmap.as_slice().is_empty());
        // Read in place from a slice of a larger buffer, as the engine reads its column.
        let mut column = vec![7u8; 13];
        column.extend(f.to_bytes());
        column.extend([9u8; 5]);
        let column = Buffer::from_vec(column);
        let value = column.slice_with_length(13, column.len() - 18);
        let read = Facts::from_buffer(&value).unwrap();
        assert_eq!(read, f);
        assert_eq!(read.bitmap(), f.bitmap());
        assert_eq!(Facts::from_buffer(&column.slice_with_length(13, 20)), None);
        // And as JSON, the person set in base64.
        let json = serde_json::to_value(&f).unwrap();
        assert!(json["persons_bitmap"].is_string());
        assert_eq!(serde_json::from_value::<Facts>(json).unwrap(), f);
    }

    /// Rows (cell, person, value) of 100 persons in order, each over many of `cells`.
    fn rows_of_cells(cells: usize, missing: bool, text: bool) -> Vec<(usize, Option<i64>, Option<f64>)> {
        let mut rows = Vec::new();
        for person in 0..100i64 {
            for k in 0..(cells as i64 / 10 + person % 7) {
                let cell = ((person * 7919 + k * 104_729) as usize) % cells;
                let value = if missing && (person + k) % 11 == 0 {
                    None
                } else if text {
                    Some(1.0)
                } else {
                    Some(((person * 31 + k) % 50 - 5) as f64)
                };
                rows.push((cell, Some(person), value));
            }
        }
        rows
    }

    /// `rows` fed to cells of `C` in batches.
    fn fed<C: Cell>(
        cells: usize,
        log_rows: usize,
        rows: &[(usize, Option<i64>, Option<f64>)],
        text: bool,
    ) -> Trackers<C> {
        let udf = CellEvidence::new(Kind::Sum, Mode::Entries, index());
        let mut t = Trackers::<C>::new(udf.feed());
        t.log_rows = log_rows;
        for batch in rows.chunks(997) {
            let groups: Vec<usize> = batch.iter().map(|r| r.0).collect();
            let persons: ArrayRef = Arc::new(batch.iter().map(|r| r.1).collect::<Int64Array>());
            let values: ArrayRef = if text {
                Arc::new(batch.iter().map(|r| r.2.map(|_| "a value")).collect::<StringArray>())
            } else {
                Arc::new(batch.iter().map(|r| r.2).collect::<Float64Array>())
            };
            t.update_batch(&[persons, values], &groups, None, cells).unwrap();
        }
        t
    }

    /// Rows of many cells through the accumulator of many groups, in batches: each cell's
    /// facts are those of its rows fed alone, whether the rows reach their cells at once or
    /// wait in the log (applied when full, before a merge and at the end). With `missing`,
    /// some values are missing; with `text`, the values are not numbers (each counts as 1).
    fn many_cells<C: Cell>(cells: usize, log_rows: usize, missing: bool, text: bool) {
        let rows = rows_of_cells(cells, missing, text);
        let mut t = fed::<C>(cells, log_rows, &rows, text);
        // A merge of nothing applies the log first, and changes no cell.
        let none: ArrayRef = Arc::new(BinaryArray::from_iter_values(Vec::<Vec<u8>>::new()));
        t.merge_batch(&[none], &[], cells).unwrap();
        let out = t.evaluate(EmitTo::All).unwrap();
        let out = out.as_binary::<i32>();
        for g in 0..cells {
            let mine: Vec<(Option<i64>, Option<f64>)> = rows.iter().filter(|r| r.0 == g).map(|r| (r.1, r.2)).collect();
            let alone = run::<Stream>(Kind::Sum, &mine).unwrap();
            assert_eq!(Facts::from_bytes(out.value(g)).unwrap(), alone, "cell {g}");
        }
    }

    #[test]
    fn states_with_the_persons_left_in_the_log_are_those_of_cells_alone() {
        for (cells, log_rows) in [(300, LOG_ROWS), (DIRECT_CELLS + 700, 1000)] {
            let mut rows = rows_of_cells(cells, true, false);
            // The persons written straight into the states (all cells at once) ...
            let mut whole = fed::<Stream>(cells, log_rows, &rows, false);
            let whole = whole.state(EmitTo::All).unwrap().swap_remove(0);
            let whole = whole.as_binary::<i32>();
            // ... and given to their cells first (a third of the cells, then the rest).
            let mut split = fed::<Stream>(cells, log_rows, &rows, false);
            let third = split.state(EmitTo::First(cells / 3)).unwrap().swap_remove(0);
            let rest = split.state(EmitTo::All).unwrap().swap_remove(0);
            let (third, rest) = (third.as_binary::<i32>(), rest.as_binary::<i32>());
            assert_eq!((whole.len(), third.len() + rest.len()), (cells, cells));
            for g in 0..cells {
                let mine: Vec<(Option<i64>, Option<f64>)> =
                    rows.iter().filter(|r| r.0 == g).map(|r| (r.1, r.2)).collect();
                let mut alone = single::<Stream>(Kind::Sum);
                feed(&mut alone, &mine).unwrap();
                let alone = encoded(&mut alone.cell).unwrap();
                let parted = if g < cells / 3 { third.value(g) } else { rest.value(g - cells / 3) };
                assert_eq!((whole.value(g), parted), (&alone[..], &alone[..]), "cell {g}");
            }
            // A cell whose persons went back is refused either way.
            let last = rows.iter().rposition(|r| r.0 == 7).unwrap();
            rows.insert(last + 1, (7, Some(0), Some(1.0)));
            let err = fed::<Stream>(cells, log_rows, &rows, false).state(EmitTo::All).unwrap_err();
            assert!(err.to_string().contains(OUT_OF_ORDER), "{err}");
            let mut split = fed::<Stream>(cells, log_rows, &rows, false);
            let err = split.state(EmitTo::First(3)).and_then(|_| split.state(EmitTo::All)).unwrap_err();
            assert!(err.to_string().contains(OUT_OF_ORDER), "{err}");
        }
    }

    #[test]
    fn a_list_that_outgrew_its_share_of_the_log_gives_the_room_back() {
        let udf = CellEvidence::new(Kind::Count, Mode::Streaming, index());
        let mut t = Trackers::<Stream>::new(udf.feed());
        t.log_rows = 4096;
        let cells = DIRECT_CELLS + 700;
        let persons: ArrayRef = Arc::new(Int64Array::from_iter_values((0..5000).map(|i| i / 50)));
        let values: ArrayRef = Arc::new(Int64Array::from_iter_values((0..5000).map(|_| 1)));
        // Every row to the first block: its list takes all the log's rows, more than twice
        // its share, and keeps the room while it may take as many again.
        t.update_batch(&[persons.clone(), values.clone()], &vec![3; 5000], None, cells).unwrap();
        assert_eq!(t.waiting, 0, "the log was applied");
        assert!(t.lists[0].is_empty() && t.lists[0].capacity() >= 5000, "{}", t.lists[0].capacity());
        // Then every row to the second block: the first gives its room back.
        t.update_batch(&[persons, values], &vec![DIRECT_CELLS + 5; 5000], None, cells).unwrap();
        assert_eq!(t.waiting, 0, "the log was applied");
        assert!(t.lists[0].is_empty() && t.lists[0].capacity() <= 2 * 1024, "{}", t.lists[0].capacity());
        assert!(t.lists[1].is_empty() && t.lists[1].capacity() >= 5000, "{}", t.lists[1].capacity());
        let out = t.evaluate(EmitTo::All).unwrap();
        for g in [3, DIRECT_CELLS + 5] {
            let facts = Facts::from_bytes(out.as_binary::<i32>().value(g)).unwrap();
            assert_eq!((facts.rows, facts.persons), (5000, 100));
        }
    }

    #[test]
    fn rows_of_many_cells_reach_each_cell_in_their_order() {
        many_cells::<Stream>(300, LOG_ROWS, true, false);
        many_cells::<Stream>(DIRECT_CELLS + 700, LOG_ROWS, true, false);
        many_cells::<Stream>(DIRECT_CELLS + 700, 1000, true, false);
        // Every value the same (text counts as 1), as a tally's rows are.
        many_cells::<Tally>(DIRECT_CELLS + 700, 1000, false, true);
        many_cells::<Entries>(DIRECT_CELLS + 700, 1000, true, false);
        // Batches with no value missing, numbers or not, are logged in one pass.
        many_cells::<Stream>(DIRECT_CELLS + 700, 1000, false, false);
        many_cells::<Stream>(DIRECT_CELLS + 700, 1000, false, true);
        many_cells::<Stream>(DIRECT_CELLS + 700, 1000, true, true);
    }

    #[test]
    fn person_sets_are_written_as_the_roaring_crate_writes_them() {
        // Empty; one container; a full array (4,096) and the smallest bitmap (4,097); many
        // containers, sparse and dense, up to the largest index.
        let mut sets: Vec<Vec<u32>> = vec![vec![], vec![7], (0..4096).collect(), (0..4097).map(|i| i * 3).collect()];
        sets.push((0..300_000u32).filter(|i| i % 7 == 0 || i % 65_536 < 5000).collect());
        sets.push(vec![0, 65_535, 65_536, 131_071, 1 << 20, u32::MAX - 1, u32::MAX]);
        for persons in sets {
            let mut mine = Vec::new();
            write_roaring(&persons, &mut mine);
            let bitmap = RoaringBitmap::from_sorted_iter(persons.iter().copied()).unwrap();
            let mut theirs = Vec::new();
            bitmap.serialize_into(&mut theirs).unwrap();
            assert_eq!(mine, theirs, "{} persons", persons.len());
            assert_eq!(RoaringBitmap::deserialize_from(mine.as_slice()).unwrap(), bitmap);
        }
    }

    #[test]
    fn a_person_set_out_of_order_is_refused() {
        let mut out = Vec::new();
        let parts = (Sums::default(), Top::default(), Counts::default(), Unowned::default());
        assert!(write_facts(&mut out, &parts.0, &parts.1, &parts.2, &parts.3, &[1, 2, 2]).is_err());
        assert!(write_facts(&mut out, &parts.0, &parts.1, &parts.2, &parts.3, &[3, 1]).is_err());
        assert!(write_facts(&mut out, &parts.0, &parts.1, &parts.2, &parts.3, &[1, 3]).is_ok());
    }

    #[test]
    fn what_every_row_touches_fits_in_two_cache_lines() {
        assert_eq!(std::mem::align_of::<Stream>(), 128);
        assert!(std::mem::offset_of!(Stream, floor) + 8 <= 128);
        assert!(std::mem::offset_of!(Stream, opened) < 128);
        assert_eq!(std::mem::align_of::<Tally>(), 128);
        assert!(std::mem::offset_of!(Tally, completed) + std::mem::size_of::<Vec<u32>>() <= 64);
    }

    #[test]
    fn entries_stay_correct_across_their_own_tidying() {
        // 65 persons in falling order: the list is put in order at the last of them. Then a
        // person below everything seen, and two above: the list is out of order again.
        let mut rows: Vec<(Option<i64>, Option<f64>)> = (0..65).rev().map(|p| (Some(p + 20), Some(1.0))).collect();
        rows.extend([(Some(3), Some(1.0)), (Some(95), Some(1.0)), (Some(96), Some(1.0))]);
        let mut t = single::<Entries>(Kind::Count);
        feed(&mut t, &rows).unwrap();
        let state = encoded(&mut t.cell).unwrap();
        let mut merged = Entries::default();
        merged.merge(&state).unwrap();
        let f = merged.facts().unwrap();
        assert_eq!((f.persons, f.rows, f.top1()), (68, 68, 1.0));
    }

    #[test]
    fn a_value_that_is_not_a_number_is_passed_over_by_the_smallest_and_largest() {
        let mut c = Counts::default();
        for v in [f64::NAN, 2.0, f64::NAN, 2.0, f64::NAN] {
            c.value(Some(v), false);
        }
        assert_eq!((c.min, c.max, c.negative, c.missing, c.distinct_values()), (2.0, 2.0, 0, 0, 1));
    }

    #[test]
    fn rows_without_a_person_are_counted_apart() {
        let f = both(Kind::Count, &[(None, Some(1.0)), (Some(5), Some(2.0))]);
        assert_eq!((f.persons, f.unowned_rows, f.total, f.rows), (1, 1, 2.0, 2));
    }
}
