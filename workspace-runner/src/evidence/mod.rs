//! The persons behind every cell: the evidence the output gate judges (`SDC-RULES.md`,
//! "Evidence"), computed by rewriting the query's plan.

pub mod cell;
pub mod persons;
pub mod rewrite;
pub mod sides;

pub use cell::{Facts, Mode, PersonSet};
pub use persons::PersonIndex;
pub use rewrite::{Aggregated, Lineage, Measure, PersonTables, RESERVED_PREFIX, Reason, Rewritten, rewrite};
