//! Safe data: synthetic data for demos and tests, datasets ingested into the enclave, and
//! per-project extracts (the safe-data issue lands these in steps).

pub mod synthetic;
