//! Workspaces' engines: one runner process per project whose workspace is in use, started on
//! demand over the project's current extract, stopped when idle (or at once with
//! [`Supervisor::stop_project`]), and started again after a crash. A runner that dies never
//! takes the server down: the analyst reads that the engine stopped, and the next query
//! starts a fresh one.
//!
//! The extract's tables are copied from the object store into a local folder the runner may
//! read (it has no network), and each copy's SHA-256 is checked against the catalogue first:
//! a corrupt or altered file is refused before any query sees it.

pub mod charts;
pub mod routes;

use crate::db::Db;
use crate::objects::Objects;
use object_store::path::Path as ObjectPath;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use workspace_runner::evidence::PersonIndex;
use workspace_runner::sandbox::Protection;
use workspace_runner::{Answer, EngineError, Limits, RunnerProcess, Table};

/// How long an unused runner lives.
pub const IDLE: Duration = Duration::from_secs(15 * 60);

struct Slot {
    runner: RunnerProcess,
    extract_id: i64,
    tables: Vec<Table>,
    last_used: Instant,
}

/// The runners of this server.
pub struct Supervisor {
    slots: Mutex<HashMap<i64, Slot>>,
    objects: Objects,
    /// Copies of extracts the runners read, by extract id.
    cache: PathBuf,
    limits: Limits,
    /// What a runner started on this machine reports, learnt at start.
    protections: std::sync::RwLock<Result<Vec<Protection>, String>>,
    /// Person indices of extracts (the gate reads answers' person sets through them).
    indices: Mutex<HashMap<i64, Arc<PersonIndex>>>,
    /// The query each analyst has running, by (project, person), to cancel it from the page.
    running: std::sync::Mutex<HashMap<(i64, i64), Arc<tokio::sync::Notify>>>,
}

/// A runner as the administrators' page shows it.
#[derive(Debug, Clone)]
pub struct RunnerHealth {
    /// The project it serves.
    pub project: i64,
    /// The extract it reads.
    pub extract: i64,
    /// Its process id.
    pub pid: Option<u32>,
    /// Whether the process is alive.
    pub running: bool,
    /// Seconds since its last query.
    pub idle_seconds: u64,
    /// The protections it reported at start: name, whether in force, what it does or why not.
    pub protections: Vec<(String, bool, String)>,
}

/// A query registered as running; dropping it ends the registration.
pub struct Running<'a> {
    supervisor: &'a Supervisor,
    key: (i64, i64),
    /// Woken when the analyst cancels.
    pub cancelled: Arc<tokio::sync::Notify>,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        let mut running = self.supervisor.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if running.get(&self.key).is_some_and(|n| Arc::ptr_eq(n, &self.cancelled)) {
            running.remove(&self.key);
        }
    }
}

impl Supervisor {
    /// A supervisor keeping extract copies under `data_dir/runners`.
    pub fn new(objects: Objects, data_dir: &std::path::Path, limits: Limits) -> Self {
        Supervisor {
            slots: Mutex::new(HashMap::new()),
            objects,
            cache: data_dir.join("runners"),
            limits,
            protections: std::sync::RwLock::new(Err("not probed yet".into())),
            indices: Mutex::new(HashMap::new()),
            running: std::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The health of every runner, by project: for the administrators' page.
    pub async fn health(&self) -> Vec<RunnerHealth> {
        let mut slots = self.slots.lock().await;
        let mut out: Vec<RunnerHealth> = slots
            .iter_mut()
            .map(|(project, slot)| RunnerHealth {
                project: *project,
                extract: slot.extract_id,
                pid: slot.runner.pid(),
                running: slot.runner.is_running(),
                idle_seconds: slot.last_used.elapsed().as_secs(),
                protections: slot
                    .runner
                    .protections()
                    .iter()
                    .map(|p| (p.name.clone(), p.active, p.detail.clone()))
                    .collect(),
            })
            .collect();
        out.sort_by_key(|h| h.project);
        out
    }

    /// How many queries are running now, over all workspaces.
    pub fn queries_running(&self) -> usize {
        self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner).len()
    }

    /// Registers `person`'s query in `project` as running, so that [`Supervisor::cancel`] can
    /// stop it. A newer query of the same person and project takes the registration over.
    pub fn begin(&self, project: i64, person: i64) -> Running<'_> {
        let cancelled = Arc::new(tokio::sync::Notify::new());
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert((project, person), cancelled.clone());
        Running { supervisor: self, key: (project, person), cancelled }
    }

    /// Cancels `person`'s running query in `project`; whether there was one.
    pub fn cancel(&self, project: i64, person: i64) -> bool {
        let running = self.running.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match running.get(&(project, person)) {
            Some(n) => {
                n.notify_one();
                true
            }
            None => false,
        }
    }

    /// Starts a runner over no tables to learn which protections hold on this machine (for
    /// `/readyz` and the log), then stops it.
    pub async fn probe(&self) {
        let work = runner_folder(0);
        let result = match crate::runner::runner_exe() {
            Ok(exe) => match RunnerProcess::start(&exe, vec![], self.limits.clone(), &work).await {
                Ok(runner) => {
                    let p = runner.protections().to_vec();
                    runner.stop().await;
                    Ok(p)
                }
                Err(e) => Err(e.to_string()),
            },
            Err(e) => Err(e.to_string()),
        };
        match &result {
            Ok(protections) => {
                for p in protections.iter().filter(|p| !p.active) {
                    tracing::warn!(protection = %p.name, detail = %p.detail, "a workspace runner protection is unavailable");
                }
            }
            Err(e) => tracing::warn!(error = %e, "workspace runners cannot start"),
        }
        if let Ok(mut slot) = self.protections.write() {
            *slot = result;
        }
    }

    /// What `/readyz` says about runners: `Ok` with the unavailable protections named (an
    /// empty list when all hold), or why runners cannot start.
    pub fn readiness(&self) -> Result<Vec<String>, String> {
        match self.protections.read() {
            Ok(p) => match &*p {
                Ok(list) => {
                    Ok(list.iter().filter(|p| !p.active).map(|p| format!("{}: {}", p.name, p.detail)).collect())
                }
                Err(e) => Err(e.clone()),
            },
            Err(_) => Err("unknown".into()),
        }
    }

    /// Runs `sql` in `project`'s runner, starting it (over the current extract) if needed.
    pub async fn query(&self, db: &Db, project: i64, sql: &str) -> Result<Answer, EngineError> {
        self.run(db, project, sql).await.map(|(answer, _, _)| answer)
    }

    /// Runs `sql` like [`Supervisor::query`], and gives with the answer the extract it ran
    /// over and that extract's person index (built once per extract).
    pub async fn query_with_persons(
        &self,
        db: &Db,
        project: i64,
        sql: &str,
    ) -> Result<(Answer, i64, Arc<PersonIndex>), EngineError> {
        let (answer, extract, tables) = self.run(db, project, sql).await?;
        let mut indices = self.indices.lock().await;
        let index = match indices.get(&extract) {
            Some(index) => index.clone(),
            None => {
                let index = Arc::new(crate::runner::person_index(&tables).await?);
                indices.retain(|_, i| Arc::strong_count(i) > 1);
                indices.insert(extract, index.clone());
                index
            }
        };
        Ok((answer, extract, index))
    }

    async fn run(&self, db: &Db, project: i64, sql: &str) -> Result<(Answer, i64, Vec<Table>), EngineError> {
        let extract = crate::extracts::store::latest(db, project)
            .await
            .map_err(|_| EngineError::Unavailable)?
            .ok_or_else(|| EngineError::Setup("the project's extract is not built yet".into()))?;
        let client = {
            let mut slots = self.slots.lock().await;
            let fresh = match slots.get_mut(&project) {
                Some(s) => s.extract_id == extract.id && s.runner.is_running(),
                None => false,
            };
            if !fresh {
                if let Some(old) = slots.remove(&project) {
                    old.runner.stop().await;
                }
                let tables = self.materialise(&extract).await?;
                let exe = crate::runner::runner_exe()?;
                let runner =
                    RunnerProcess::start(&exe, tables.clone(), self.limits.clone(), &runner_folder(project)).await?;
                tracing::info!(project, extract = extract.id, pid = runner.pid(), "workspace runner started");
                slots.insert(project, Slot { runner, extract_id: extract.id, tables, last_used: Instant::now() });
            }
            let slot = slots.get_mut(&project).ok_or(EngineError::Unavailable)?;
            slot.last_used = Instant::now();
            (slot.runner.client(), slot.tables.clone())
        };
        let (client, tables) = client;
        let result = client.query(sql).await;
        if let Err(EngineError::Unavailable) = &result {
            // Did the runner die? Then say so, and forget it: the next query starts a new one.
            let mut slots = self.slots.lock().await;
            let died = match slots.get_mut(&project) {
                Some(slot) => slot.runner.died().await,
                None => None,
            };
            if let Some(why) = died {
                if let Some(old) = slots.remove(&project) {
                    old.runner.stop().await;
                }
                tracing::warn!(project, why = %why, "workspace runner stopped");
                return Err(EngineError::Stopped(why));
            }
        }
        result.map(|answer| (answer, extract.id, tables))
    }

    /// The projects whose runner is started.
    pub async fn running(&self) -> Vec<i64> {
        self.slots.lock().await.keys().copied().collect()
    }

    /// Stops `project`'s runner now (access ended, extract replaced, project closed).
    pub async fn stop_project(&self, project: i64) {
        if let Some(slot) = self.slots.lock().await.remove(&project) {
            slot.runner.stop().await;
            tracing::info!(project, "workspace runner stopped");
        }
    }

    /// Stops `project`'s runner and removes its local copies of extracts (the project closed;
    /// the extract stays archived in the object store).
    pub async fn forget_project(&self, project: i64) {
        self.stop_project(project).await;
        let _ = std::fs::remove_dir_all(self.cache.join(format!("project-{project}")));
    }

    /// Stops runners unused for longer than `idle`.
    pub async fn reap(&self, idle: Duration) {
        let mut slots = self.slots.lock().await;
        let idle_projects: Vec<i64> =
            slots.iter().filter(|(_, s)| s.last_used.elapsed() > idle).map(|(p, _)| *p).collect();
        for project in idle_projects {
            if let Some(slot) = slots.remove(&project) {
                slot.runner.stop().await;
                tracing::info!(project, "idle workspace runner stopped");
            }
        }
    }

    /// The extract's tables as local files the runner may read, each checked against the
    /// SHA-256 the catalogue recorded.
    async fn materialise(&self, extract: &crate::extracts::store::Extract) -> Result<Vec<Table>, EngineError> {
        let project = self.cache.join(format!("project-{}", extract.project_id));
        let folder = project.join(format!("extract-{}", extract.id));
        std::fs::create_dir_all(&folder)
            .map_err(|e| EngineError::Setup(format!("the extract's folder cannot be created ({})", e.kind())))?;
        // Copies of the project's earlier extracts are not needed any more.
        if let Ok(entries) = std::fs::read_dir(&project) {
            for entry in entries.flatten() {
                if entry.path() != folder {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        let mut tables = Vec::new();
        for (name, key, _rows, _persons, sha256, person_column) in &extract.tables {
            let path = folder.join(format!("{name}.parquet"));
            let checked = folder.join(format!("{name}.sha256"));
            let known = std::fs::read_to_string(&checked).map(|s| s.trim() == sha256).unwrap_or(false);
            if !known || !path.exists() {
                let bytes = self
                    .objects
                    .get(&ObjectPath::from(key.as_str()))
                    .await
                    .map_err(|_| EngineError::Setup(format!("table {name} of the extract cannot be read")))?;
                if hex::encode(Sha256::digest(&bytes)) != *sha256 {
                    tracing::error!(extract = extract.id, table = %name, "extract table does not match its recorded hash");
                    return Err(EngineError::Setup(format!(
                        "table {name} of the extract does not match what was built; tell the data custodian"
                    )));
                }
                std::fs::write(&path, &bytes)
                    .and_then(|_| std::fs::write(&checked, sha256))
                    .map_err(|e| EngineError::Setup(format!("table {name} cannot be copied ({})", e.kind())))?;
            }
            tables.push(Table { name: name.clone(), path, person_column: person_column.clone() });
        }
        Ok(tables)
    }
}

/// A short folder for a runner's socket and spill files (socket paths are limited to about
/// 100 bytes, so not under the data folder).
fn runner_folder(project: i64) -> PathBuf {
    std::env::temp_dir().join(format!("trr-{}-p{project}", std::process::id()))
}

/// Stops idle runners every minute, for as long as the server runs.
pub fn spawn_reaper(supervisor: Arc<Supervisor>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(60)).await;
            supervisor.reap(IDLE).await;
        }
    });
}
