//! The engine of one workspace: DataFusion over the project's extract tables and nothing
//! else, with a memory pool that spills to the runner's own folder under a disk cap, a
//! deadline per query, a cap on rows returned and on queries at once.
//!
//! A query is checked ([`crate::lockdown`]), planned, checked again by `SQLOptions`,
//! rewritten to carry its evidence ([`crate::evidence`]), and run. Cancelling is dropping the
//! future: DataFusion stops when its stream is dropped.

use crate::EngineError;
use crate::evidence::{self, Facts, Lineage, Measure, PersonTables};
use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::SchemaRef;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::context::SQLOptions;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::{LogicalPlan, col};
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::Statement;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// One extract table.
#[derive(Debug, Clone)]
pub struct Table {
    /// The name queries use.
    pub name: String,
    /// A Parquet file, or a folder of them.
    pub path: PathBuf,
    /// The column holding the project's person pseudonym, when the table is about persons.
    pub person_column: Option<String>,
}

/// What one runner may use.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Memory pool, bytes; operators that can spill do so beyond it.
    pub memory_bytes: usize,
    /// Temporary disk for spilling, bytes.
    pub spill_bytes: u64,
    /// Wall-clock time per query, planning included.
    pub time: Duration,
    /// Rows returned for display.
    pub max_rows: usize,
    /// Queries running at once.
    pub max_concurrent: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 1 << 30,
            spill_bytes: 10 << 30,
            time: Duration::from_secs(300),
            max_rows: 10_000,
            max_concurrent: 2,
        }
    }
}

/// A query's result: the rows (up to the cap), what they are, and each row's evidence.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The columns the analyst asked for.
    pub schema: SchemaRef,
    /// The rows, up to the cap, with only those columns.
    pub batches: Vec<RecordBatch>,
    /// Whether rows beyond the cap were left out.
    pub truncated: bool,
    /// What the result is, for the gate.
    pub lineage: Lineage,
    /// The aggregates whose evidence each row carries.
    pub measures: Vec<Measure>,
    /// For each column, the aggregates it is computed from.
    pub depends: Vec<Vec<usize>>,
    /// Per row, per measure: the evidence.
    pub evidence: Vec<Vec<Facts>>,
}

impl Answer {
    /// Rows returned.
    pub fn rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}

/// The engine of one workspace.
pub struct Engine {
    ctx: SessionContext,
    persons: PersonTables,
    limits: Limits,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("tables", &self.persons.len()).field("limits", &self.limits).finish()
    }
}

impl Engine {
    /// Opens the engine over `tables`, spilling under `spill_dir`.
    pub async fn open(tables: &[Table], spill_dir: &Path, limits: Limits) -> Result<Engine, EngineError> {
        let mut config = SessionConfig::new().with_information_schema(false);
        config.options_mut().execution.parquet.schema_force_view_types = false;
        // Plans and errors never need the files' statistics; planning stays cheap.
        config.options_mut().execution.collect_statistics = true;
        std::fs::create_dir_all(spill_dir)
            .map_err(|e| EngineError::Setup(format!("the spill folder cannot be created ({})", e.kind())))?;
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(FairSpillPool::new(limits.memory_bytes)))
            .with_disk_manager_builder(
                DiskManagerBuilder::default()
                    .with_mode(DiskManagerMode::Directories(vec![spill_dir.to_path_buf()]))
                    .with_max_temp_directory_size(limits.spill_bytes),
            )
            .build_arc()
            .map_err(|e| EngineError::Setup(crate::errors::running(&e)))?;
        // Default functions, but no table functions (nothing that reads a path), and URL
        // tables stay off (the default).
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
            .with_default_features()
            .with_table_functions(HashMap::new())
            .build();
        let ctx = SessionContext::new_with_state(state);
        let mut persons = PersonTables::new();
        for t in tables {
            let mut options = ParquetReadOptions::default();
            if let Some(p) = &t.person_column {
                // Extracts are written sorted by the pseudonym; say so, so plans can use it.
                options = options.file_sort_order(vec![vec![col(p.as_str()).sort(true, false)]]);
                persons.insert(t.name.clone(), p.clone());
            }
            let path = t.path.to_string_lossy().into_owned();
            ctx.register_parquet(t.name.as_str(), &path, options)
                .await
                .map_err(|_| EngineError::Setup(format!("table {} cannot be read", t.name)))?;
            if let Some(p) = &t.person_column {
                let schema = ctx
                    .table_provider(t.name.as_str())
                    .await
                    .map_err(|_| EngineError::Setup(format!("table {} cannot be read", t.name)))?
                    .schema();
                if schema.index_of(p).is_err() {
                    return Err(EngineError::Setup(format!("table {} has no person column {p}", t.name)));
                }
            }
        }
        let permits = Arc::new(Semaphore::new(limits.max_concurrent.max(1)));
        Ok(Engine { ctx, persons, limits, permits })
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Runs one query within the limits.
    pub async fn run(&self, sql: &str) -> Result<Answer, EngineError> {
        let _permit = self.permits.clone().try_acquire_owned().map_err(|_| {
            EngineError::Busy(format!("{} queries are already running in this workspace", self.limits.max_concurrent))
        })?;
        let limit = self.limits.time;
        match tokio::time::timeout(limit, self.run_unbounded(sql)).await {
            Ok(answer) => answer,
            Err(_) => Err(EngineError::TimedOut(limit.as_secs())),
        }
    }

    /// Plans a query (after the checks) and rewrites it for evidence.
    pub async fn plan(&self, sql: &str) -> Result<evidence::Rewritten, EngineError> {
        let query = crate::lockdown::check(sql)?;
        let state = self.ctx.state();
        let statement = DfStatement::Statement(Box::new(Statement::Query(query)));
        let plan: LogicalPlan =
            state.statement_to_plan(statement).await.map_err(|e| EngineError::Planning(crate::errors::planning(&e)))?;
        SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false)
            .verify_plan(&plan)
            .map_err(|_| EngineError::Refused("only a query (SELECT) can run here".into()))?;
        evidence::rewrite(&plan, &self.persons).map_err(|e| EngineError::Planning(crate::errors::planning(&e)))
    }

    async fn run_unbounded(&self, sql: &str) -> Result<Answer, EngineError> {
        let rewritten = self.plan(sql).await?;
        let state = self.ctx.state();
        let physical = state
            .create_physical_plan(&rewritten.plan)
            .await
            .map_err(|e| EngineError::Planning(crate::errors::planning(&e)))?;
        let task = self.ctx.task_ctx();
        let mut stream = datafusion::physical_plan::execute_stream(physical, task)
            .map_err(|e| EngineError::Failed(crate::errors::running(&e)))?;
        let full = stream.schema();
        let visible: Vec<usize> = (0..rewritten.visible).collect();
        let schema =
            Arc::new(full.project(&visible).map_err(|_| EngineError::Failed("the result could not be read".into()))?);
        let mut batches = Vec::new();
        let mut evidence = Vec::new();
        let mut rows = 0usize;
        let mut truncated = false;
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| EngineError::Failed(crate::errors::running(&e)))?;
            let room = self.limits.max_rows - rows;
            let batch = if batch.num_rows() > room {
                truncated = true;
                batch.slice(0, room)
            } else {
                batch
            };
            for r in 0..batch.num_rows() {
                let mut cells = Vec::with_capacity(rewritten.measures.len());
                for m in 0..rewritten.measures.len() {
                    let column = batch.column(rewritten.visible + m);
                    let bytes = column.as_binary::<i32>();
                    let facts: Facts = if bytes.is_null(r) {
                        return Err(EngineError::Failed("evidence is missing for a cell".into()));
                    } else {
                        serde_json::from_slice(bytes.value(r))
                            .map_err(|_| EngineError::Failed("evidence could not be read".into()))?
                    };
                    cells.push(facts);
                }
                evidence.push(cells);
            }
            rows += batch.num_rows();
            batches
                .push(batch.project(&visible).map_err(|_| EngineError::Failed("the result could not be read".into()))?);
            if truncated || rows >= self.limits.max_rows {
                truncated = truncated || stream.next().await.is_some();
                break;
            }
        }
        Ok(Answer {
            schema,
            batches,
            truncated,
            lineage: rewritten.lineage,
            measures: rewritten.measures,
            depends: rewritten.depends,
            evidence,
        })
    }
}
