//! The ledger of released cells, and differencing against it (`SDC-RULES.md` §5).
//!
//! Each released cell keeps its person set, as a Roaring bitmap of ledger ids: a person's id is
//! the order in which the ledger first saw their pseudonym, so ids never move as releases
//! add persons (the extract's person indices do, from one extract to the next). A new cell A
//! fails `differencing` against a released cell B that shares persons with it when
//! 1 <= |A∖B| <= T-1 or 1 <= |B∖A| <= T-1: together they describe fewer than T persons.
//!
//! Finding the B's without comparing A with every released cell (prefix filtering): of A's k
//! smallest ids (k = 2T), at most |A∖B| lie outside B, so if |A∖B| <= T-1, B holds at least
//! k-T+1 of them (postings: id -> cells holding it); likewise if |B∖A| <= T-1, A holds at
//! least k-T+1 of B's k smallest ids (pivots: id -> cells with it among their k smallest).
//! Sizes bound both cases too. Only the cells left get an exact count.
//!
//! On disk (`tre gate check --ledger DIR`): `DIR/ledger.json`, replaced whole and atomically
//! (written beside, then renamed) at each record.

use roaring::RoaringBitmap;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Maps keyed by ledger ids and cell numbers: small integers, hashed with foldhash (no
/// flooding to fear from our own ids; SipHash would cost most of a check).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

/// One released cell.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Released {
    /// The release it belongs to.
    pub release: u64,
    /// What it is: the column and the group (`n sex=F`).
    pub label: String,
    /// Its persons, as ledger ids (base64 of a serialized Roaring bitmap on disk).
    #[serde(with = "bitmap_text")]
    pub persons: RoaringBitmap,
    /// Its published value, when the ledger was told (a total released earlier counts as
    /// published in secondary suppression only if the value adds up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

mod bitmap_text {
    use base64::Engine;
    use roaring::RoaringBitmap;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &RoaringBitmap, s: S) -> Result<S::Ok, S::Error> {
        let mut bytes = Vec::with_capacity(b.serialized_size());
        b.serialize_into(&mut bytes).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<RoaringBitmap, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(text).map_err(serde::de::Error::custom)?;
        RoaringBitmap::deserialize_from(bytes.as_slice()).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct OnDisk {
    version: u32,
    /// Pseudonyms in the order the ledger first saw them: a person's id is their position.
    registry: Vec<i64>,
    cells: Vec<Released>,
}

/// A difference from a released cell that describes a small group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The released cell (index into [`Ledger::cells`]).
    pub cell: usize,
    /// Persons in the new cell and not in the released one.
    pub only_new: u64,
    /// Persons in the released cell and not in the new one.
    pub only_released: u64,
}

/// The ledger, with its indices in memory.
#[derive(Debug, Default)]
pub struct Ledger {
    path: Option<PathBuf>,
    disk: OnDisk,
    ids: HashMap<i64, u32>,
    /// The threshold the pivots were taken for.
    threshold: u64,
    postings: HashMap<u32, Vec<u32>>,
    pivots: HashMap<u32, Vec<u32>>,
}

impl Ledger {
    /// An empty ledger in memory (for benchmarks and tests).
    pub fn in_memory(threshold: u64) -> Ledger {
        Ledger { threshold: threshold.max(1), disk: OnDisk { version: 1, ..OnDisk::default() }, ..Ledger::default() }
    }

    /// Opens the ledger in `dir` (empty if it has none yet), indexed for `threshold`.
    pub fn open(dir: &Path, threshold: u64) -> Result<Ledger, String> {
        let path = dir.join("ledger.json");
        let name = format!("the ledger {}", path.display());
        let mut ledger = match std::fs::read(&path) {
            Ok(bytes) => Ledger::from_bytes(&bytes, &name, threshold)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ledger::in_memory(threshold),
            Err(e) => return Err(format!("{name} cannot be read ({})", e.kind())),
        };
        ledger.path = Some(path);
        Ok(ledger)
    }

    /// A ledger read from its stored form (`name` says which, in errors), indexed for `threshold`.
    pub fn from_bytes(bytes: &[u8], name: &str, threshold: u64) -> Result<Ledger, String> {
        let disk: OnDisk =
            serde_json::from_slice(bytes).map_err(|e| format!("{name} is corrupt ({e}); nothing was checked"))?;
        let mut ledger = Ledger::in_memory(threshold);
        for (i, p) in disk.registry.iter().enumerate() {
            if ledger.ids.insert(*p, i as u32).is_some() {
                return Err(format!("{name} is corrupt (a person twice); nothing was checked"));
            }
        }
        let known = disk.registry.len() as u64;
        if disk.cells.iter().any(|c| c.persons.max().is_some_and(|m| u64::from(m) >= known)) {
            return Err(format!("{name} is corrupt (an unknown person); nothing was checked"));
        }
        let cells = disk.cells.clone();
        ledger.disk = OnDisk { cells: Vec::new(), ..disk };
        for c in cells {
            ledger.index(c);
        }
        Ok(ledger)
    }

    /// The stored form.
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        serde_json::to_vec(&self.disk).map_err(|e| format!("the ledger cannot be written ({e})"))
    }

    /// The threshold T the ledger checks differences against.
    pub fn threshold(&self) -> u64 {
        self.threshold
    }

    /// The released cells.
    pub fn cells(&self) -> &[Released] {
        &self.disk.cells
    }

    /// The highest release number so far.
    pub fn last_release(&self) -> u64 {
        self.disk.cells.iter().map(|c| c.release).max().unwrap_or(0)
    }

    /// How many of a cell's smallest ids the indices use.
    fn prefix(&self) -> usize {
        2 * self.threshold as usize
    }

    fn index(&mut self, cell: Released) {
        let at = self.disk.cells.len() as u32;
        for id in cell.persons.iter() {
            self.postings.entry(id).or_default().push(at);
        }
        for id in cell.persons.iter().take(self.prefix()) {
            self.pivots.entry(id).or_default().push(at);
        }
        self.disk.cells.push(cell);
    }

    /// The ledger ids of `pseudonyms`; persons the ledger has not seen get ids after its
    /// own (kept only if the cell is recorded).
    pub fn ids_of(&mut self, pseudonyms: impl IntoIterator<Item = i64>) -> RoaringBitmap {
        let mut out = RoaringBitmap::new();
        for p in pseudonyms {
            let next = self.disk.registry.len() as u32;
            let id = *self.ids.entry(p).or_insert_with(|| next);
            if id == next {
                self.disk.registry.push(p);
            }
            out.insert(id);
        }
        out
    }

    /// The released cells from which `a` differs by 1 to T-1 persons, either way (pairs that
    /// share at least one person).
    pub fn differences(&self, a: &RoaringBitmap) -> Vec<Difference> {
        let t = self.threshold;
        let k = self.prefix();
        let size = |c: u32| self.disk.cells[c as usize].persons.len();
        // Hits needed among a prefix of `n` ids: at least n-T+1, and one (the pair shares a person).
        let needed = |n: u64| n.saturating_sub(t - 1).max(1);
        let mut hits: HashMap<u32, u64> = HashMap::default();
        for id in a.iter().take(k) {
            for c in self.postings.get(&id).into_iter().flatten() {
                *hits.entry(*c).or_default() += 1;
            }
        }
        let need_a = needed(a.len().min(k as u64));
        // |A∖B| <= T-1 needs |B| >= |A|-T+1.
        let mut candidates: Vec<u32> =
            hits.into_iter().filter(|(c, h)| *h >= need_a && size(*c) + t > a.len()).map(|(c, _)| c).collect();
        let mut pivot_hits: HashMap<u32, u64> = HashMap::default();
        for id in a.iter() {
            for c in self.pivots.get(&id).into_iter().flatten() {
                *pivot_hits.entry(*c).or_default() += 1;
            }
        }
        // |B∖A| <= T-1 needs |B| <= |A|+T-1.
        candidates.extend(
            pivot_hits
                .into_iter()
                .filter(|(c, h)| *h >= needed(size(*c).min(k as u64)) && size(*c) < a.len() + t)
                .map(|(c, _)| c),
        );
        candidates.sort_unstable();
        candidates.dedup();
        let mut out = Vec::new();
        for c in candidates {
            let b = &self.disk.cells[c as usize].persons;
            let shared = a.intersection_len(b);
            if shared == 0 {
                continue;
            }
            let (only_new, only_released) = (a.len() - shared, b.len() - shared);
            let small = |d: u64| (1..t).contains(&d);
            if small(only_new) || small(only_released) {
                out.push(Difference { cell: c as usize, only_new, only_released });
            }
        }
        out
    }

    /// How many persons the ledger has ids for.
    pub fn known(&self) -> usize {
        self.disk.registry.len()
    }

    /// Pseudonyms of the persons with ids from `from` on (those [`Ledger::ids_of`] added).
    pub fn registered_since(&self, from: usize) -> Vec<i64> {
        self.disk.registry.get(from..).map(<[i64]>::to_vec).unwrap_or_default()
    }

    /// Released cells whose persons are exactly `a`.
    pub fn equal_sets(&self, a: &RoaringBitmap) -> Vec<usize> {
        let Some(first) = a.min() else { return Vec::new() };
        let cells = self.postings.get(&first).into_iter().flatten();
        cells.filter(|c| self.disk.cells[**c as usize].persons == *a).map(|c| *c as usize).collect()
    }

    /// Records `cells` (label, ledger ids, value) as one new release, and writes the ledger when it
    /// lives in a folder (a ledger in the database is written by its caller, [`Ledger::to_bytes`]).
    pub fn record(&mut self, cells: Vec<(String, RoaringBitmap, Option<f64>)>) -> Result<u64, String> {
        self.record_as(self.last_release() + 1, cells)
    }

    /// Records `cells` as release number `release` (the platform's own release id).
    pub fn record_as(&mut self, release: u64, cells: Vec<(String, RoaringBitmap, Option<f64>)>) -> Result<u64, String> {
        for (label, persons, value) in cells {
            self.index(Released { release, label, persons, value });
        }
        if let Some(path) = &self.path {
            let text = self.to_bytes()?;
            let dir = path.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir).map_err(|e| format!("the ledger cannot be written ({})", e.kind()))?;
            let beside = path.with_extension("json.new");
            std::fs::write(&beside, text).map_err(|e| format!("the ledger cannot be written ({})", e.kind()))?;
            std::fs::rename(&beside, path).map_err(|e| format!("the ledger cannot be written ({})", e.kind()))?;
        }
        Ok(release)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ids: impl IntoIterator<Item = u32>) -> RoaringBitmap {
        ids.into_iter().collect()
    }

    /// Every released cell compared with `a`, the slow way.
    fn brute(ledger: &Ledger, a: &RoaringBitmap) -> Vec<Difference> {
        let t = ledger.threshold;
        let mut out = Vec::new();
        for (c, cell) in ledger.cells().iter().enumerate() {
            let shared = a.intersection_len(&cell.persons);
            let (d1, d2) = (a.len() - shared, cell.persons.len() - shared);
            if shared > 0 && ((1..t).contains(&d1) || (1..t).contains(&d2)) {
                out.push(Difference { cell: c, only_new: d1, only_released: d2 });
            }
        }
        out
    }

    #[test]
    fn a_rerun_with_a_few_more_persons_differs_and_equal_sets_do_not() {
        let mut ledger = Ledger::in_memory(10);
        ledger.record(vec![("n".into(), set(0..100), None), ("m".into(), set(500..600), None)]).unwrap();
        // Three persons more: describes three persons.
        let d = ledger.differences(&set(0..103));
        assert_eq!(d, vec![Difference { cell: 0, only_new: 3, only_released: 0 }]);
        // The same persons, or ten more, or none shared: nothing.
        assert!(ledger.differences(&set(0..100)).is_empty());
        assert!(ledger.differences(&set(0..110)).is_empty());
        assert!(ledger.differences(&set(200..300)).is_empty());
        // A subgroup missing nine of a released cell's persons.
        assert_eq!(ledger.differences(&set(509..600))[0].only_released, 9);
    }

    #[test]
    fn the_index_finds_what_comparing_every_cell_finds() {
        for threshold in [1, 5, 10] {
            the_index_agrees_at(threshold);
        }
    }

    fn the_index_agrees_at(threshold: u64) {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7 + threshold);
        let mut ledger = Ledger::in_memory(threshold);
        let cells: Vec<(String, RoaringBitmap, Option<f64>)> = (0..300)
            .map(|i| {
                let start = rng.random_range(0..2000u32);
                let len = rng.random_range(1..60u32);
                let mut s = set(start..start + len);
                for _ in 0..rng.random_range(0..4) {
                    s.remove(rng.random_range(start..start + len));
                }
                (format!("c{i}"), s, None)
            })
            .collect();
        ledger.record(cells.clone()).unwrap();
        for (_, a, _) in cells.iter().take(100) {
            let mut a = a.clone();
            a.insert(rng.random_range(0..2100));
            assert_eq!(ledger.differences(&a), brute(&ledger, &a));
        }
    }

    #[test]
    fn ids_stay_put_and_the_ledger_survives_a_reopening() {
        let dir = std::env::temp_dir().join(format!("tre-ledger-{}", rand::random::<u64>()));
        let mut ledger = Ledger::open(&dir, 10).unwrap();
        let a = ledger.ids_of([900, 17, 4]);
        assert_eq!(a, set([0, 1, 2]));
        assert_eq!(ledger.record(vec![("n".into(), a, Some(3.0))]).unwrap(), 1);
        let mut again = Ledger::open(&dir, 10).unwrap();
        assert_eq!(again.ids_of([4, 5]), set([2, 3]));
        assert_eq!(again.cells().len(), 1);
        std::fs::write(dir.join("ledger.json"), b"{not json").unwrap();
        assert!(Ledger::open(&dir, 10).unwrap_err().contains("corrupt"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
