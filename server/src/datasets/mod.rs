//! Safe data: synthetic data for demos and tests, and datasets ingested into the enclave with
//! their dictionary. Per-project extracts build on these (next step of the safe-data issue).

pub mod domain;
pub mod ingest;
pub mod routes;
pub mod store;
pub mod synthetic;
