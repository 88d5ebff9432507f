//! The extract's person index: every distinct pseudonym of the extract's person tables, in
//! ascending order. A person's *index* is the rank of their pseudonym in it, a dense number
//! from 0; cells' person sets are bitmaps of these indices (compact and fast to combine,
//! where pseudonyms, spread over 63 bits, would cost a container each).
//!
//! The index is a pure function of the extract's files, so the server (and the gate's
//! ledger) can rebuild it from the same extract to read the sets back as pseudonyms.

use arrow::array::{Array, AsArray, Int64Array};
use arrow::datatypes::{DataType, Int64Type};
use datafusion::common::Column;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, ExprSchemable, cast};
use datafusion::prelude::SessionContext;

/// The index of a row with no person (an outer join's unmatched side).
pub const NO_PERSON: u32 = u32::MAX;

/// Every pseudonym of the extract, ascending.
#[derive(Debug, Default)]
pub struct PersonIndex {
    sorted: Vec<i64>,
}

impl PersonIndex {
    /// The index of `pseudonyms` (in any order, repeats allowed).
    pub fn from_pseudonyms(mut pseudonyms: Vec<i64>) -> Result<PersonIndex> {
        pseudonyms.sort_unstable();
        pseudonyms.dedup();
        if pseudonyms.len() >= NO_PERSON as usize {
            return Err(DataFusionError::Plan("the extract has more persons than the evidence can index".into()));
        }
        Ok(PersonIndex { sorted: pseudonyms })
    }

    /// Reads every distinct pseudonym of `tables` (table name, person column) registered in `ctx`.
    pub async fn build(ctx: &SessionContext, tables: &[(String, String)]) -> Result<PersonIndex> {
        let mut all: Vec<i64> = Vec::new();
        for (table, person) in tables {
            let column = Expr::Column(Column::from_name(person.as_str()));
            let frame = ctx.table(table.as_str()).await?;
            let is_int = column.get_type(frame.schema())? == DataType::Int64;
            let p = if is_int { column } else { cast(column, DataType::Int64) };
            let batches = frame.select(vec![p.alias("p")])?.distinct()?.collect().await?;
            for b in &batches {
                let ids: &Int64Array = b.column(0).as_primitive::<Int64Type>();
                all.extend(ids.iter().flatten());
            }
        }
        PersonIndex::from_pseudonyms(all)
    }

    /// Persons in the extract.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether the extract has no persons.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The pseudonym of index `i`.
    pub fn pseudonym(&self, i: u32) -> Option<i64> {
        self.sorted.get(i as usize).copied()
    }

    /// The index of `pseudonym`, searching forward from `hint` (the index found last) when it
    /// lies ahead: rows come in pseudonym order, so the next person is usually a step away.
    pub fn index_from(&self, pseudonym: i64, hint: &mut usize) -> Option<u32> {
        let s = &self.sorted;
        let h = *hint;
        let found = match s.get(h) {
            Some(&at) if at == pseudonym => return Some(h as u32),
            Some(&at) if at < pseudonym => {
                // Gallop: double the step until past it, then search the last stretch.
                let (mut lo, mut step) = (h, 1usize);
                while lo + step < s.len() && s[lo + step] < pseudonym {
                    lo += step;
                    step *= 2;
                }
                let hi = (lo + step + 1).min(s.len());
                s[lo..hi].binary_search(&pseudonym).ok().map(|i| i + lo)
            }
            _ => s.binary_search(&pseudonym).ok(),
        }?;
        *hint = found;
        Some(found as u32)
    }

    /// The indices of a batch's persons ([`NO_PERSON`] where missing) into `out`.
    pub fn indices(&self, persons: &Int64Array, hint: &mut usize, out: &mut Vec<u32>) -> Result<()> {
        out.clear();
        out.reserve(persons.len());
        let mut last: Option<(i64, u32)> = None;
        for i in 0..persons.len() {
            if persons.is_null(i) {
                out.push(NO_PERSON);
                continue;
            }
            let p = persons.value(i);
            let index = match last {
                Some((q, index)) if q == p => index,
                _ => {
                    let index = self.index_from(p, hint).ok_or_else(|| {
                        DataFusionError::Internal("a row's person is not in the extract's person index".into())
                    })?;
                    last = Some((p, index));
                    index
                }
            };
            out.push(index);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_are_ranks_found_forward_and_backward() {
        let index = PersonIndex::from_pseudonyms(vec![900, 5, 77, 5, 1 << 62, 300]).unwrap();
        assert_eq!(index.len(), 5);
        let persons = Int64Array::from(vec![Some(5), Some(5), Some(77), None, Some(1 << 62), Some(5), Some(300)]);
        let (mut hint, mut out) = (0, Vec::new());
        index.indices(&persons, &mut hint, &mut out).unwrap();
        assert_eq!(out, vec![0, 0, 1, NO_PERSON, 4, 0, 2]);
        assert_eq!(index.pseudonym(4), Some(1 << 62));
        // Every value is found from every hint.
        for h in 0..6 {
            for (i, p) in [5, 77, 300, 900, 1 << 62].into_iter().enumerate() {
                let mut hint = h;
                assert_eq!(index.index_from(p, &mut hint), Some(i as u32));
            }
        }
        let mut hint = 0;
        assert_eq!(index.index_from(6, &mut hint), None);
        assert!(index.indices(&Int64Array::from(vec![6]), &mut hint, &mut out).is_err());
    }
}
