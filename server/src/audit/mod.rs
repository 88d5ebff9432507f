//! The audit log (law 5): append-only, hash-chained, written inside the transaction of the
//! change it records (law 6), verifiable end to end.

pub mod domain;
pub mod routes;
pub mod store;

pub use domain::{Actor, AuditEvent, Outcome};
