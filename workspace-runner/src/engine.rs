//! The engine of one workspace: DataFusion over the project's extract tables and nothing
//! else, with a memory pool that spills to the runner's own folder under a disk cap, a
//! deadline per query, a cap on rows returned and on queries at once.
//!
//! A query is checked ([`crate::lockdown`]), planned, checked again by `SQLOptions`,
//! rewritten to carry its evidence ([`crate::evidence`]), and run. Cancelling is dropping the
//! future: DataFusion stops when its stream is dropped.

use crate::EngineError;
use crate::evidence::{self, Aggregated, Facts, Lineage, Measure, PersonIndex, PersonTables};
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
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Semaphore;

/// One extract table.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Table {
    /// The name queries use.
    pub name: String,
    /// A Parquet file, or a folder of them.
    pub path: PathBuf,
    /// The column holding the project's person pseudonym, when the table is about persons.
    pub person_column: Option<String>,
}

/// What one runner may use.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    /// How long a query aborted at its deadline may keep working before the runner ends
    /// itself (and the server starts a fresh one).
    pub runaway_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_bytes: 1 << 30,
            spill_bytes: 10 << 30,
            time: Duration::from_secs(300),
            max_rows: 10_000,
            max_concurrent: 2,
            runaway_grace: Duration::from_secs(10),
        }
    }
}

/// How to read a result's batches: what the result is and which columns are evidence. Sent
/// with the batches between the runner and the server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Header {
    /// `aggregate`, `row-level` or `unknown-lineage`.
    pub lineage: String,
    /// Why, when not an aggregate.
    pub reason: Option<String>,
    /// How many columns are the query's own; one evidence column per measure follows.
    pub visible: usize,
    /// The aggregates with evidence.
    pub measures: Vec<Measure>,
    /// For each visible column, the measures it is computed from.
    pub depends: Vec<Vec<usize>>,
    /// The query's aggregates.
    #[serde(default)]
    pub aggregates: Vec<Aggregated>,
    /// For each visible column, the aggregates it is computed from.
    #[serde(default)]
    pub uses: Vec<Vec<usize>>,
    /// Whether rows beyond the cap were left out.
    pub truncated: bool,
}

/// A result as the engine produces it: the header and the batches with evidence columns.
#[derive(Debug, Clone)]
pub struct Raw {
    /// How to read the batches.
    pub header: Header,
    /// The rows, up to the cap, with the evidence columns after the query's own.
    pub batches: Vec<RecordBatch>,
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
    /// For each column, the measures it is computed from.
    pub depends: Vec<Vec<usize>>,
    /// The query's aggregates: function, DISTINCT, measure.
    pub aggregates: Vec<Aggregated>,
    /// For each column, the aggregates (indices into `aggregates`) it is computed from.
    pub uses: Vec<Vec<usize>>,
    /// Per row, per measure: the evidence.
    pub evidence: Vec<Vec<Facts>>,
}

impl Answer {
    /// Rows returned.
    pub fn rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }

    /// Splits a raw result into the analyst's columns and each row's evidence.
    pub fn from_raw(schema: SchemaRef, raw: Raw) -> Result<Answer, EngineError> {
        let broken = || EngineError::Failed("the result could not be read".into());
        let h = raw.header;
        let lineage = Lineage::from_parts(&h.lineage, h.reason).ok_or_else(broken)?;
        let visible: Vec<usize> = (0..h.visible).collect();
        if schema.fields().len() != h.visible + h.measures.len() {
            return Err(broken());
        }
        let schema = Arc::new(schema.project(&visible).map_err(|_| broken())?);
        let mut batches = Vec::new();
        let mut evidence = Vec::new();
        for batch in raw.batches {
            for r in 0..batch.num_rows() {
                let mut cells = Vec::with_capacity(h.measures.len());
                for m in 0..h.measures.len() {
                    let column = batch.column(h.visible + m);
                    let bytes = column.as_binary_opt::<i32>().ok_or_else(broken)?;
                    if bytes.is_null(r) {
                        return Err(EngineError::Failed("evidence is missing for a cell".into()));
                    }
                    // A slice of the column's bytes: the person sets are not copied.
                    let (start, end) = (bytes.value_offsets()[r], bytes.value_offsets()[r + 1]);
                    let value = bytes.values().slice_with_length(start as usize, (end - start) as usize);
                    cells.push(Facts::from_buffer(&value).ok_or_else(broken)?);
                }
                evidence.push(cells);
            }
            batches.push(batch.project(&visible).map_err(|_| broken())?);
        }
        Ok(Answer {
            schema,
            batches,
            truncated: h.truncated,
            lineage,
            measures: h.measures,
            depends: h.depends,
            aggregates: h.aggregates,
            uses: h.uses,
            evidence,
        })
    }
}

/// The engine of one workspace.
#[derive(Clone)]
pub struct Engine {
    ctx: SessionContext,
    persons: Arc<PersonTables>,
    /// Every pseudonym of the extract: cells' person sets hold indices into it.
    index: Arc<PersonIndex>,
    limits: Limits,
    permits: Arc<Semaphore>,
    /// Queries past their deadline whose work has not stopped yet.
    runaways: Arc<AtomicUsize>,
    /// Set when rows were found out of person order (tables not sorted by the person):
    /// evidence is then kept in any order from the start.
    unsorted: Arc<AtomicBool>,
    /// Where queries do their work; the runner keeps it apart from the runtime that answers
    /// calls and keeps time, so that a deadline holds while every worker is busy.
    executor: tokio::runtime::Handle,
}

/// Aborts a query's task when the caller stops waiting for it: a cancelled call, or the
/// deadline. Work that does not yield cannot be aborted at once (an operator producing batch
/// after batch without waiting): until it stops, it is counted as a runaway, and the runner
/// ends itself when a runaway outlives the grace period.
struct AbortOnDrop {
    task: Option<tokio::task::JoinHandle<Result<(SchemaRef, Raw), EngineError>>>,
    runaways: Arc<AtomicUsize>,
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        let Some(task) = self.task.take() else { return };
        task.abort();
        if task.is_finished() {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let runaways = self.runaways.clone();
            runaways.fetch_add(1, Ordering::SeqCst);
            runtime.spawn(async move {
                let _ = task.await;
                runaways.fetch_sub(1, Ordering::SeqCst);
            });
        }
    }
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
        // Text columns are read as string views (DataFusion's default): short codes stay inline,
        // without a copy of every string (the plain COUNT by drug and month took a fifth less).
        config.options_mut().execution.parquet.schema_force_view_types = true;
        // The files' statistics let the planner choose join sides and skip row groups; EXPLAIN,
        // which would print them, is refused ([`crate::lockdown`]).
        config.options_mut().execution.collect_statistics = true;
        // Recursive CTEs are unbounded: the door refuses them wherever they are
        // ([`crate::lockdown`]), and the planner refuses them behind it.
        config.options_mut().execution.enable_recursive_ctes = false;
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
            // Dates plus whole days as integers (a cohort's "within 90 days" took a third of
            // its time as calendar arithmetic): [`crate::day_arithmetic`].
            .with_optimizer_rule(Arc::new(crate::day_arithmetic::WholeDays))
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
                let Ok(field) = schema.field_with_name(p) else {
                    return Err(EngineError::Setup(format!("table {} has no person column {p}", t.name)));
                };
                // Pseudonyms are whole numbers: the person index holds them as such.
                if !field.data_type().is_integer() {
                    return Err(EngineError::Setup(format!(
                        "the person column {p} of table {} holds {}, not whole numbers (pseudonyms)",
                        t.name,
                        field.data_type()
                    )));
                }
            }
        }
        let mut person_tables: Vec<(String, String)> = persons.clone().into_iter().collect();
        person_tables.sort();
        let index = PersonIndex::build(&ctx, &person_tables).await.map_err(|e| {
            EngineError::Setup(format!("the extract's persons cannot be read ({})", crate::errors::running(&e)))
        })?;
        let permits = Arc::new(Semaphore::new(limits.max_concurrent.max(1)));
        Ok(Engine {
            ctx,
            persons: Arc::new(persons),
            index: Arc::new(index),
            limits,
            permits,
            runaways: Arc::new(AtomicUsize::new(0)),
            unsorted: Arc::new(AtomicBool::new(false)),
            executor: tokio::runtime::Handle::current(),
        })
    }

    /// Runs queries' work on `executor` instead of the current runtime.
    pub fn with_executor(mut self, executor: tokio::runtime::Handle) -> Self {
        self.executor = executor;
        self
    }

    /// The extract's person index, through which cells' person sets are read.
    pub fn person_index(&self) -> &PersonIndex {
        &self.index
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Runs one query within the limits.
    pub async fn run(&self, sql: &str) -> Result<Answer, EngineError> {
        let (schema, raw) = self.run_raw(sql).await?;
        Answer::from_raw(schema, raw)
    }

    /// Runs one query within the limits; the batches keep their evidence columns.
    pub async fn run_raw(&self, sql: &str) -> Result<(SchemaRef, Raw), EngineError> {
        let _permit = self.permits.clone().try_acquire_owned().map_err(|_| {
            EngineError::Busy(format!("{} queries are already running in this workspace", self.limits.max_concurrent))
        })?;
        let limit = self.limits.time;
        // The query runs as its own task, so that the deadline holds even while its work
        // (planning included) does not yield; past the deadline it is aborted, and counted as
        // a runaway until its work has stopped (the runner ends itself if that takes long).
        let engine = self.clone();
        let sql = sql.to_string();
        let mut guard = AbortOnDrop {
            task: Some(self.executor.spawn(async move { engine.run_unbounded(&sql).await })),
            runaways: self.runaways.clone(),
        };
        let Some(task) = guard.task.as_mut() else { return Err(EngineError::Unavailable) };
        match tokio::time::timeout(limit, task).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(EngineError::Failed("the query stopped unexpectedly".into())),
            Err(_) => {
                // Aborted (and watched as a runaway until its work stops) by the guard.
                drop(guard);
                Err(EngineError::TimedOut(limit.as_secs()))
            }
        }
    }

    /// Queries cancelled or past their deadline whose work has not stopped yet.
    pub fn runaways(&self) -> usize {
        self.runaways.load(Ordering::SeqCst)
    }

    /// Runs one query without its evidence and returns how many rows it produced: only for
    /// benchmarks, which measure what evidence costs. Same checks, same limits otherwise.
    pub async fn run_without_evidence_for_benchmark(&self, sql: &str) -> Result<usize, EngineError> {
        let plain = self.plan_only(sql).await?;
        let physical = self
            .ctx
            .state()
            .create_physical_plan(&plain)
            .await
            .map_err(|e| EngineError::Planning(crate::errors::planning(&e)))?;
        let batches = datafusion::physical_plan::collect(physical, self.ctx.task_ctx())
            .await
            .map_err(|e| EngineError::Failed(crate::errors::running(&e)))?;
        Ok(batches.iter().map(|b| b.num_rows()).sum())
    }

    /// Plans a query after the checks, without the evidence rewrite.
    async fn plan_only(&self, sql: &str) -> Result<LogicalPlan, EngineError> {
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
        Ok(plan)
    }

    /// Plans a query (after the checks) and rewrites it for evidence.
    pub async fn plan(&self, sql: &str) -> Result<evidence::Rewritten, EngineError> {
        let plan = self.plan_only(sql).await?;
        let streaming = !self.unsorted.load(Ordering::Relaxed);
        evidence::rewrite(&plan, &self.persons, &self.index, streaming)
            .map_err(|e| EngineError::Planning(crate::errors::planning(&e)))
    }

    async fn run_unbounded(&self, sql: &str) -> Result<(SchemaRef, Raw), EngineError> {
        match self.run_planned(self.plan(sql).await?).await {
            // Rows were not in person order after all (a table not sorted by its person):
            // evidence is kept in any order, for this query and from now on.
            Err(EngineError::Failed(m)) if m == evidence::cell::OUT_OF_ORDER => {
                self.unsorted.store(true, Ordering::Relaxed);
                self.run_planned(self.plan(sql).await?).await
            }
            other => other,
        }
    }

    async fn run_planned(&self, rewritten: evidence::Rewritten) -> Result<(SchemaRef, Raw), EngineError> {
        let streaming = rewritten.mode == evidence::Mode::Streaming;
        let failed = |e: &datafusion::error::DataFusionError| {
            if streaming && e.to_string().contains(evidence::cell::OUT_OF_ORDER) {
                EngineError::Failed(evidence::cell::OUT_OF_ORDER.into())
            } else {
                EngineError::Failed(crate::errors::running_in(e, &rewritten.plan))
            }
        };
        let state = self.ctx.state();
        let physical = state
            .create_physical_plan(&rewritten.plan)
            .await
            .map_err(|e| EngineError::Planning(crate::errors::planning(&e)))?;
        let task = self.ctx.task_ctx();
        let mut stream = datafusion::physical_plan::execute_stream(physical, task).map_err(|e| failed(&e))?;
        let schema = stream.schema();
        let mut batches = Vec::new();
        let mut rows = 0usize;
        let mut truncated = false;
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| failed(&e))?;
            let room = self.limits.max_rows - rows;
            if batch.num_rows() > room {
                truncated = true;
                batches.push(batch.slice(0, room));
                break;
            }
            rows += batch.num_rows();
            batches.push(batch);
            if rows >= self.limits.max_rows {
                truncated = stream.next().await.is_some();
                break;
            }
        }
        let header = Header {
            lineage: rewritten.lineage.name().into(),
            reason: rewritten.lineage.reason().and_then(|r| serde_json::to_string(r).ok()),
            visible: rewritten.visible,
            measures: rewritten.measures,
            depends: rewritten.depends,
            aggregates: rewritten.aggregates,
            uses: rewritten.uses,
            truncated,
        };
        Ok((schema, Raw { header, batches }))
    }
}
