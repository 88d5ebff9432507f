//! Safe data: synthetic data for demos and tests, and datasets ingested into the enclave with
//! their dictionary. Per-project extracts build on these (next step of the safe-data issue).

pub mod domain;
pub mod ingest;
pub mod parquet_out;
pub mod routes;
pub mod store;
pub mod synthetic;

/// The DataFusion settings of every data-path session (ingest, extract builds): strings stay
/// plain UTF-8 (not DataFusion's view types), so files written here read the same in any tool.
pub fn engine_config() -> datafusion::prelude::SessionConfig {
    let mut config = datafusion::prelude::SessionConfig::new();
    config.options_mut().execution.parquet.schema_force_view_types = false;
    config
}
