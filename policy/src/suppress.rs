//! Secondary suppression by Gaussian elimination (`SDC-RULES.md` section 6), the idea of
//! Statistics Norway's GaussSuppression.
//!
//! An additive table (counts or sums, with margins) is made of inner cells x_0 .. x_{n-1}, the
//! unknowns of an intruder. Every cell of the output, inner or margin, adds up some of them: an
//! inner cell is the unit row e_i, a margin is the 0/1 row of its members. A blanked cell is safe
//! only if its row is not a linear combination of the rows of the published cells; otherwise the
//! intruder works its value out from what is published (a lone blank in a row is its margin minus
//! the rest).
//!
//! [`suppress`] blanks the primary cells (those that failed a rule), then goes through the other
//! cells from the one most worth publishing to the least and publishes each unless that would make
//! a blanked cell derivable, in which case it blanks it too (a secondary suppression). Cells
//! released earlier (totals in the ledger) are published whatever happens; a primary cell they
//! already give away is reported as exposed, since no suppression can cure it.
//!
//! # Arithmetic
//!
//! Rows are eliminated modulo the prime p = 2^61 - 1 rather than over the rationals: values stay
//! in a machine word and never grow. This errs only on the safe side, or not at all:
//!
//! - A combination mod p that does not exist over the rationals only makes us blank more than
//!   needed (the rank over F_p is at most the rank over Q).
//! - A combination over the rationals that we miss mod p would need p to divide every r x r minor
//!   of the published rows (r their rank over Q): by Cramer's rule the coefficients of a
//!   combination are ratios of such minors, and any one minor not divisible by p gives the same
//!   combination mod p. The minors of 0/1 rows are far below 2^61 in any table of sensible size,
//!   and a two-way table with its margins and grand total is totally unimodular (its rows are two
//!   laminar families, {total, rows, inner cells} and {columns}), so every minor is 0, 1 or -1
//!   and the elimination is exact there.
//!
//! Singletons (a one-person cell, a contributor subtracting their own part) are not handled here.

use std::collections::{BTreeMap, HashMap};

/// The prime modulus, 2^61 - 1.
const P: u64 = (1 << 61) - 1;

/// A sparse row: (column, nonzero value mod p), sorted by column.
type Sparse = Vec<(u32, u64)>;

/// One cell of an additive table: the inner cells it adds up.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The inner cells it adds up, by index (an inner cell lists only itself); a repeated index
    /// counts once.
    pub members: Vec<u32>,
    /// What blanking it costs, usually its absolute value: cheaper cells are blanked first.
    pub cost: f64,
    /// It failed a disclosure rule and must be blanked.
    pub primary: bool,
    /// It was released already (a total in the ledger) and cannot be blanked.
    pub forced: bool,
}

/// What [`suppress`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Per input cell: blanked, as a primary or a secondary suppression.
    pub suppressed: Vec<bool>,
    /// How many cells were blanked beyond the primary ones.
    pub secondary: usize,
    /// Primary cells, in input order, that the released (forced) cells give away whatever else is
    /// blanked, such as a primary cell equal to a released total. They stay blanked unless they
    /// are released themselves; the caller reports them as failures that suppression cannot cure.
    pub exposed: Vec<usize>,
}

/// Blanks the primary cells of an additive table with `inner` inner cells, and as few others as
/// this greedy order finds, so that no blanked cell is a linear combination of published ones.
///
/// Cells are offered for publication by cost, highest first; then by more members first (a margin
/// before the cells it adds up); then by input order. A cell both primary and forced is published
/// (it is out already) and listed in [`Outcome::exposed`].
///
/// Fails if a cell adds up an inner cell `inner` or above, or if a cost is not a number.
pub fn suppress(inner: usize, cells: &[Cell]) -> Result<Outcome, String> {
    let mut rows = Vec::with_capacity(cells.len());
    for (i, cell) in cells.iter().enumerate() {
        if cell.cost.is_nan() {
            return Err(format!("cell {i} has a cost that is not a number"));
        }
        let row = unit_row(&cell.members);
        if let Some(&(last, _)) = row.last()
            && last as usize >= inner
        {
            return Err(format!("cell {i} adds up inner cell {last}, but the table has {inner} inner cells"));
        }
        rows.push(row);
    }

    let mut basis = Basis::default();
    for (cell, row) in cells.iter().zip(&rows) {
        if cell.forced {
            basis.add(basis.reduce(row));
        }
    }

    let mut suppressed = vec![false; cells.len()];
    let mut exposed = Vec::new();
    // The residual (reduced row) of each blanked cell that is still safe: never zero.
    let mut guarded: Vec<Sparse> = Vec::new();
    for (i, (cell, row)) in cells.iter().zip(&rows).enumerate() {
        if !cell.primary {
            continue;
        }
        if cell.forced {
            exposed.push(i);
            continue;
        }
        suppressed[i] = true;
        let residual = basis.reduce(row);
        if residual.is_empty() {
            exposed.push(i);
        } else {
            guarded.push(residual);
        }
    }

    let mut order: Vec<usize> = (0..cells.len()).filter(|&i| !cells[i].primary && !cells[i].forced).collect();
    order.sort_by(|&a, &b| {
        cells[b].cost.total_cmp(&cells[a].cost).then(rows[b].len().cmp(&rows[a].len())).then(a.cmp(&b))
    });

    let mut secondary = 0;
    for i in order {
        let Some(new) = normalized(basis.reduce(&rows[i])) else {
            // Already derivable from what is published: publishing it reveals nothing new.
            continue;
        };
        if guarded.iter().any(|res| vanishes(res, &new)) {
            // Its reduced row is itself its residual: reduce gave it against the same basis.
            suppressed[i] = true;
            secondary += 1;
            guarded.push(new);
            continue;
        }
        let q = new[0].0;
        for res in &mut guarded {
            if let Ok(at) = res.binary_search_by_key(&q, |e| e.0) {
                let factor = res[at].1;
                *res = sub_multiple(res, factor, &new);
            }
        }
        basis.add(new);
    }

    Ok(Outcome { suppressed, secondary, exposed })
}

/// Whether `target` (the inner cells it adds up) is a linear combination of the `published` rows
/// (each the inner cells it adds up). Repeated indices count once.
pub fn derivable(published: &[&[u32]], target: &[u32]) -> bool {
    let mut basis = Basis::default();
    for row in published {
        basis.add(basis.reduce(&unit_row(row)));
    }
    basis.reduce(&unit_row(target)).is_empty()
}

/// The row of a cell: 1 at each of its members.
fn unit_row(members: &[u32]) -> Sparse {
    let mut columns = members.to_vec();
    columns.sort_unstable();
    columns.dedup();
    columns.into_iter().map(|c| (c, 1)).collect()
}

/// Independent rows in echelon form, keyed by pivot: each row's pivot is its smallest column,
/// where it holds 1, and no two rows share a pivot.
#[derive(Default)]
struct Basis {
    rows: HashMap<u32, Sparse>,
}

impl Basis {
    /// The reduced form of `v`: `v` minus the combination of basis rows that clears every pivot
    /// column. It is zero exactly when `v` is in the span.
    ///
    /// The reduced form is unique: a nonzero combination of basis rows is nonzero at the smallest
    /// pivot among the rows it uses (no other row reaches that column, as their pivots are larger
    /// and a pivot is a row's smallest column), so the only combination with no entries at pivot
    /// columns is zero; two reduced forms of `v` differ by such a combination.
    fn reduce(&self, v: &[(u32, u64)]) -> Sparse {
        let mut work: BTreeMap<u32, u64> = v.iter().copied().collect();
        let mut from = 0u32;
        while let Some((&column, &value)) = work.range(from..).next() {
            if let Some(row) = self.rows.get(&column) {
                // The row starts at `column`, so the columns already cleared stay clear.
                for &(c, r) in row {
                    let entry = work.entry(c).or_insert(0);
                    *entry = sub(*entry, mul(value, r));
                    if *entry == 0 {
                        work.remove(&c);
                    }
                }
            }
            match column.checked_add(1) {
                Some(next) => from = next,
                None => break,
            }
        }
        work.into_iter().collect()
    }

    /// Adds a reduced row (nothing at any pivot column); a zero row adds nothing.
    fn add(&mut self, reduced: Sparse) {
        if let Some(row) = normalized(reduced) {
            self.rows.insert(row[0].0, row);
        }
    }
}

/// `v` scaled so that its first entry is 1, or `None` if it is zero.
fn normalized(v: Sparse) -> Option<Sparse> {
    let &(_, lead) = v.first()?;
    if lead == 1 {
        return Some(v);
    }
    let scale = inverse(lead);
    Some(v.into_iter().map(|(c, x)| (c, mul(x, scale))).collect())
}

/// Whether eliminating the pivot of `new` (normalized) from `res` leaves nothing: `res` is a
/// multiple of `new`.
fn vanishes(res: &[(u32, u64)], new: &[(u32, u64)]) -> bool {
    let Some(&(q, _)) = new.first() else { return false };
    if res.len() != new.len() {
        return false;
    }
    let Some(&(first, factor)) = res.first() else { return false };
    first == q && res.iter().zip(new).all(|(&(c, x), &(d, y))| c == d && x == mul(factor, y))
}

/// `a - factor * b`, without zero entries.
fn sub_multiple(a: &[(u32, u64)], factor: u64, b: &[(u32, u64)]) -> Sparse {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let (column, value) = match (a.get(i), b.get(j)) {
            (Some(&(c, x)), Some(&(d, y))) if c == d => {
                i += 1;
                j += 1;
                (c, sub(x, mul(factor, y)))
            }
            (Some(&(c, x)), Some(&(d, _))) if c < d => {
                i += 1;
                (c, x)
            }
            (Some(&(c, x)), None) => {
                i += 1;
                (c, x)
            }
            (_, Some(&(d, y))) => {
                j += 1;
                (d, sub(0, mul(factor, y)))
            }
            (None, None) => break,
        };
        if value != 0 {
            out.push((column, value));
        }
    }
    out
}

/// `a - b` mod p, for `a`, `b` below p.
fn sub(a: u64, b: u64) -> u64 {
    if a >= b { a - b } else { a + P - b }
}

/// `a * b` mod p.
fn mul(a: u64, b: u64) -> u64 {
    // The remainder is below p, so it fits in a u64.
    ((a as u128 * b as u128) % P as u128) as u64
}

/// The inverse of a nonzero `a` mod p, by Fermat: a^(p-2).
fn inverse(a: u64) -> u64 {
    let (mut base, mut exp, mut acc) = (a, P - 2, 1);
    while exp > 0 {
        if exp & 1 == 1 {
            acc = mul(acc, base);
        }
        base = mul(base, base);
        exp >>= 1;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// splitmix64: a tiny deterministic generator.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform in `0..n`.
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        /// True with probability `percent` / 100.
        fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }
    }

    /// An exact oracle over the rationals, independent of the mod-p code: dense integer rows in
    /// echelon form, each divided by the gcd of its entries (scaling by a nonzero integer keeps
    /// the span over Q).
    struct Exact {
        width: usize,
        rows: BTreeMap<usize, Vec<i128>>,
    }

    fn gcd(a: i128, b: i128) -> i128 {
        let (mut a, mut b) = (a.abs(), b.abs());
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    }

    impl Exact {
        fn new(width: usize) -> Exact {
            Exact { width, rows: BTreeMap::new() }
        }

        fn dense(&self, members: &[u32]) -> Vec<i128> {
            let mut v = vec![0i128; self.width];
            for &m in members {
                v[m as usize] = 1;
            }
            v
        }

        /// `v` with every pivot column cleared, in increasing pivot order.
        fn reduce(&self, mut v: Vec<i128>) -> Vec<i128> {
            for (&p, row) in &self.rows {
                if v[p] == 0 {
                    continue;
                }
                let (a, b) = (row[p], v[p]);
                for c in 0..self.width {
                    let scaled = v[c].checked_mul(a).expect("oracle overflow");
                    v[c] =
                        scaled.checked_sub(b.checked_mul(row[c]).expect("oracle overflow")).expect("oracle overflow");
                }
                let g = v.iter().fold(0, |g, &x| gcd(g, x));
                if g > 1 {
                    v.iter_mut().for_each(|x| *x /= g);
                }
            }
            v
        }

        fn add(&mut self, members: &[u32]) {
            let v = self.reduce(self.dense(members));
            if let Some(p) = v.iter().position(|&x| x != 0) {
                self.rows.insert(p, v);
            }
        }

        fn derivable(&self, members: &[u32]) -> bool {
            self.reduce(self.dense(members)).iter().all(|&x| x == 0)
        }

        fn of(width: usize, rows: impl IntoIterator<Item = Vec<u32>>) -> Exact {
            let mut e = Exact::new(width);
            for r in rows {
                e.add(&r);
            }
            e
        }
    }

    fn cell(members: &[u32], cost: f64) -> Cell {
        Cell { members: members.to_vec(), cost, primary: false, forced: false }
    }

    /// A table as SQL CUBE gives it: every inner cell and every margin (every subset of the
    /// dimensions summed out), inner cells first, the grand total last. Inner cells are numbered
    /// in mixed radix, the first dimension slowest.
    fn cube(sizes: &[usize]) -> (usize, Vec<Vec<u32>>) {
        let inner: usize = sizes.iter().product();
        let k = sizes.len();
        let mut cells = Vec::new();
        for summed in 0..(1usize << k) {
            let mut groups: BTreeMap<Vec<usize>, Vec<u32>> = BTreeMap::new();
            for i in 0..inner {
                let mut rest = i;
                let mut coords = vec![0; k];
                for d in (0..k).rev() {
                    coords[d] = rest % sizes[d];
                    rest /= sizes[d];
                }
                let key: Vec<usize> =
                    (0..k).map(|d| if summed & (1 << d) != 0 { usize::MAX } else { coords[d] }).collect();
                groups.entry(key).or_default().push(i as u32);
            }
            cells.extend(groups.into_values());
        }
        (inner, cells)
    }

    /// 2 x 2 with row, column and grand totals: a b c d R0 R1 C0 C1 T.
    fn two_by_two() -> Vec<Cell> {
        let rows: [&[u32]; 9] = [&[0], &[1], &[2], &[3], &[0, 1], &[2, 3], &[0, 2], &[1, 3], &[0, 1, 2, 3]];
        rows.iter().enumerate().map(|(i, r)| cell(r, if i < 4 { 5.0 } else { 10.0 * r.len() as f64 })).collect()
    }

    fn blanked(o: &Outcome) -> Vec<usize> {
        (0..o.suppressed.len()).filter(|&i| o.suppressed[i]).collect()
    }

    #[test]
    fn two_by_two_with_margins_blanks_all_four_inner_cells() {
        let mut cells = two_by_two();
        cells[0].primary = true;
        let o = suppress(4, &cells).unwrap();
        assert_eq!(blanked(&o), vec![0, 1, 2, 3]);
        assert_eq!(o.secondary, 3);
        assert!(o.exposed.is_empty());
    }

    #[test]
    fn one_way_table_with_a_total_blanks_one_more() {
        let mut cells: Vec<Cell> = (0..4).map(|i| cell(&[i], 10.0 + i as f64)).collect();
        cells.push(cell(&[0, 1, 2, 3], 46.0));
        cells[2].primary = true;
        let o = suppress(4, &cells).unwrap();
        // The cheapest other cell goes.
        assert_eq!(blanked(&o), vec![0, 2]);
        assert_eq!(o.secondary, 1);
    }

    #[test]
    fn a_primary_margin_needs_a_blanked_margin_and_inner_cells() {
        let mut cells = two_by_two();
        cells[4].primary = true;
        let o = suppress(4, &cells).unwrap();
        // R0 = T - R1, so R1 goes; then b and d, or a and c would give R0 and R1 away.
        assert_eq!(blanked(&o), vec![1, 3, 4, 5]);
        assert_eq!(o.secondary, 3);
        let published: Vec<&[u32]> =
            (0..9).filter(|&i| !o.suppressed[i]).map(|i| cells[i].members.as_slice()).collect();
        for i in blanked(&o) {
            assert!(!derivable(&published, &cells[i].members), "cell {i}");
        }
    }

    #[test]
    fn a_released_total_equal_to_a_primary_cell_is_exposed() {
        // One inner cell; its total was released already.
        let cells = vec![Cell { primary: true, ..cell(&[0], 3.0) }, Cell { forced: true, ..cell(&[0], 3.0) }];
        let o = suppress(1, &cells).unwrap();
        assert_eq!(o.exposed, vec![0]);
        assert_eq!(o.suppressed, vec![true, false]);
        assert_eq!(o.secondary, 0);

        // R0 = T - R1 with T and R1 released.
        let mut cells = two_by_two();
        cells[4].primary = true;
        cells[5].forced = true;
        cells[8].forced = true;
        let o = suppress(4, &cells).unwrap();
        assert_eq!(o.exposed, vec![4]);
        assert!(o.suppressed[4] && !o.suppressed[5] && !o.suppressed[8]);

        // A primary cell that is itself released is published and exposed.
        let mut cells = two_by_two();
        cells[8].primary = true;
        cells[8].forced = true;
        let o = suppress(4, &cells).unwrap();
        assert_eq!(o.exposed, vec![8]);
        assert!(o.suppressed.iter().all(|&s| !s));
    }

    #[test]
    fn nothing_primary_blanks_nothing_and_bad_input_is_refused() {
        let o = suppress(4, &two_by_two()).unwrap();
        assert_eq!(o, Outcome { suppressed: vec![false; 9], secondary: 0, exposed: vec![] });
        assert!(suppress(3, &two_by_two()).unwrap_err().contains("inner cell 3"));
        let mut nan = two_by_two();
        nan[2].cost = f64::NAN;
        assert!(suppress(4, &nan).unwrap_err().contains("cell 2"));
        assert_eq!(suppress(0, &[]).unwrap(), Outcome { suppressed: vec![], secondary: 0, exposed: vec![] });
    }

    #[test]
    fn derivable_agrees_with_the_exact_oracle_on_random_systems() {
        let mut rng = Rng(7);
        let mut seen = [0; 2];
        for _ in 0..3000 {
            let width = 1 + rng.below(7) as usize;
            let subset = |rng: &mut Rng| -> Vec<u32> { (0..width as u32).filter(|_| rng.chance(45)).collect() };
            let published: Vec<Vec<u32>> = (0..rng.below(9)).map(|_| subset(&mut rng)).collect();
            let target = subset(&mut rng);
            let expected = Exact::of(width, published.clone()).derivable(&target);
            let refs: Vec<&[u32]> = published.iter().map(Vec::as_slice).collect();
            assert_eq!(derivable(&refs, &target), expected, "{published:?} -> {target:?}");
            seen[expected as usize] += 1;
        }
        assert!(seen[0] > 300 && seen[1] > 300, "{seen:?}");
    }

    #[test]
    fn random_tables_never_leave_a_blanked_cell_derivable() {
        let mut rng = Rng(2024);
        let mut totals = [0usize; 3];
        for round in 0..400 {
            let dims = 1 + round % 3;
            let sizes: Vec<usize> = (0..dims).map(|_| 1 + rng.below(6) as usize).collect();
            let (inner, rows) = cube(&sizes);
            let values: Vec<u64> = (0..inner).map(|_| rng.below(30)).collect();
            let by_value = rng.chance(50);
            let rate = 10 + rng.below(16);
            let mut cells: Vec<Cell> = rows
                .iter()
                .map(|r| {
                    let value: u64 = r.iter().map(|&m| values[m as usize]).sum();
                    let cost = if by_value { value as f64 } else { rng.below(100) as f64 };
                    Cell { members: r.clone(), cost, primary: rng.chance(rate), forced: false }
                })
                .collect();
            for _ in 0..rng.below(3) {
                // A released margin (never an inner cell of a table with margins).
                let i = inner + rng.below((cells.len() - inner).max(1) as u64) as usize;
                if let Some(c) = cells.get_mut(i) {
                    c.forced = true;
                }
            }

            let o = suppress(inner, &cells).unwrap();
            assert_eq!(o, suppress(inner, &cells).unwrap(), "not deterministic");
            for (i, c) in cells.iter().enumerate() {
                if c.forced {
                    assert!(!o.suppressed[i], "released cell {i} blanked");
                } else if c.primary {
                    assert!(o.suppressed[i], "primary cell {i} published");
                }
            }
            let secondary = (0..cells.len()).filter(|&i| o.suppressed[i] && !cells[i].primary).count();
            assert_eq!(o.secondary, secondary);

            let released = Exact::of(inner, cells.iter().filter(|c| c.forced).map(|c| c.members.clone()));
            for &i in &o.exposed {
                assert!(cells[i].primary && released.derivable(&cells[i].members), "cell {i} not exposed");
            }
            let published_rows = || (0..cells.len()).filter(|&i| !o.suppressed[i]).map(|i| cells[i].members.clone());
            let published = Exact::of(inner, published_rows());
            let guarded: Vec<usize> =
                (0..cells.len()).filter(|&i| o.suppressed[i] && !o.exposed.contains(&i)).collect();
            for &i in &guarded {
                assert!(!published.derivable(&cells[i].members), "{sizes:?}: blanked cell {i} is derivable");
                assert!(!released.derivable(&cells[i].members), "{sizes:?}: cell {i} should be exposed");
            }

            // Each secondary blank is needed: publishing it alone would give a blanked cell away.
            if inner <= 60 {
                for &s in guarded.iter().filter(|&&i| !cells[i].primary) {
                    let with = Exact::of(inner, published_rows().chain([cells[s].members.clone()]));
                    assert!(guarded.iter().any(|&g| g != s && with.derivable(&cells[g].members)), "cell {s}");
                }
            }
            totals[0] += o.suppressed.iter().filter(|&&s| s).count();
            totals[1] += o.secondary;
            totals[2] += o.exposed.len();
        }
        assert!(totals[1] > 100 && totals[2] > 0, "{totals:?}");
    }

    /// A 50 x 50 table with row, column and grand totals, 5% of the inner cells primary.
    fn fifty_by_fifty() -> (usize, Vec<Cell>) {
        let n = 50u32;
        let mut rng = Rng(5);
        let values: Vec<u64> = (0..n * n).map(|_| rng.below(40)).collect();
        let mut rows: Vec<Vec<u32>> = (0..n * n).map(|i| vec![i]).collect();
        rows.extend((0..n).map(|r| (0..n).map(|c| r * n + c).collect()));
        rows.extend((0..n).map(|c| (0..n).map(|r| r * n + c).collect()));
        rows.push((0..n * n).collect());
        let cells = rows
            .into_iter()
            .enumerate()
            .map(|(i, members)| {
                let cost = members.iter().map(|&m| values[m as usize]).sum::<u64>() as f64;
                Cell { members, cost, primary: i < (n * n) as usize && rng.chance(5), forced: false }
            })
            .collect();
        ((n * n) as usize, cells)
    }

    #[test]
    fn fifty_by_fifty_table_is_quick() {
        let (inner, cells) = fifty_by_fifty();
        let o = suppress(inner, &cells).unwrap();
        let primary = cells.iter().filter(|c| c.primary).count();
        assert!(cells.iter().zip(&o.suppressed).all(|(c, &s)| s || !c.primary));
        assert_eq!((primary, o.secondary), (98, 30));
        // With every margin published, no row or column may hold a lone blank.
        let n = 50;
        for line in 0..n {
            let in_row = (0..n).filter(|&c| o.suppressed[line * n + c]).count();
            let in_column = (0..n).filter(|&r| o.suppressed[r * n + line]).count();
            assert!(in_row != 1 && in_column != 1, "line {line}");
        }
        assert!(o.suppressed[inner..].iter().all(|&s| !s));
    }
}
