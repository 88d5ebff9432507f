//! Starting and stopping a runner process, from the server's side (and `tre query`'s).
//!
//! The runner gets its configuration, secret included, on its standard input (never on its
//! command line or in its environment, which other processes can read), answers with one
//! line saying it is ready and which protections hold, then serves on its Unix socket. It is
//! killed when its handle is dropped, and ends by itself if the server ends.

use crate::channel::Client;
use crate::sandbox::{self, Protection};
use crate::{Answer, EngineError, Limits, Table};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// What a runner is told at start.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunnerConfig {
    /// The extract's tables.
    pub tables: Vec<Table>,
    /// Its limits.
    pub limits: Limits,
    /// The socket to listen on.
    pub socket: PathBuf,
    /// Where it may spill.
    pub spill_dir: PathBuf,
    /// The secret every call must carry.
    pub secret: String,
}

/// The runner's first line.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Ready {
    /// Whether it serves.
    pub ready: bool,
    /// Why not, when not.
    pub error: Option<String>,
    /// Which protections hold.
    pub protections: Vec<Protection>,
}

/// A running runner.
pub struct RunnerProcess {
    child: Child,
    client: Client,
    protections: Vec<Protection>,
    work: PathBuf,
}

/// How long a runner may take to open the extract and say it is ready.
const START_TIMEOUT: Duration = Duration::from_secs(60);

impl RunnerProcess {
    /// Starts `exe` over `tables`, with its socket and spill folder under `work` (created; a
    /// short path, since socket paths are limited to about 100 bytes).
    pub async fn start(exe: &Path, tables: Vec<Table>, limits: Limits, work: &Path) -> Result<Self, EngineError> {
        let setup = |m: String| EngineError::Setup(m);
        std::fs::create_dir_all(work).map_err(|e| setup(format!("its folder cannot be created ({})", e.kind())))?;
        let socket = work.join("runner.sock");
        let _ = std::fs::remove_file(&socket);
        let secret = hex::encode(rand::random::<[u8; 32]>());
        let config = RunnerConfig {
            tables,
            limits,
            socket: socket.clone(),
            spill_dir: work.join("spill"),
            secret: secret.clone(),
        };
        let mut child = Command::new(exe)
            // Who the runner's parent must be: if it is gone before the runner ties its life
            // to it, the runner ends at once (sandbox::parent_gone).
            .env(sandbox::PARENT_ENV, std::process::id().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| setup(format!("{} cannot be started ({})", exe.display(), e.kind())))?;
        let mut stdin = child.stdin.take().ok_or_else(|| setup("no standard input".into()))?;
        let line = serde_json::to_string(&config).map_err(|_| setup("the configuration".into()))? + "\n";
        stdin.write_all(line.as_bytes()).await.map_err(|_| setup("it did not take its configuration".into()))?;
        drop(stdin);
        let stdout = child.stdout.take().ok_or_else(|| setup("no standard output".into()))?;
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(START_TIMEOUT, lines.next_line())
            .await
            .map_err(|_| setup("it did not become ready in time".into()))?
            .map_err(|_| setup("it stopped before it was ready".into()))?
            .ok_or_else(|| setup("it stopped before it was ready".into()))?;
        let ready: Ready =
            serde_json::from_str(&first).map_err(|_| setup("it answered something unexpected".into()))?;
        if !ready.ready {
            return Err(setup(ready.error.unwrap_or_else(|| "it could not start".into())));
        }
        // Keep reading its standard output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let client = Client::connect(&socket, secret).await?;
        Ok(RunnerProcess { child, client, protections: ready.protections, work: work.to_path_buf() })
    }

    /// Which protections hold in this runner.
    pub fn protections(&self) -> &[Protection] {
        &self.protections
    }

    /// Its process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// How it ended, when it has.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(describe_exit(status)),
            _ => None,
        }
    }

    /// Runs one query. If the runner dies meanwhile, says so.
    pub async fn query(&mut self, sql: &str) -> Result<Answer, EngineError> {
        let result = self.client.query(sql).await;
        if let Err(EngineError::Unavailable) = &result
            && let Some(why) = self.died().await
        {
            return Err(EngineError::Stopped(why));
        }
        result
    }

    /// After a call found the runner unreachable: gives a dying process half a second to be
    /// reaped and says how it ended, or `None` if it is still running.
    pub async fn died(&mut self) -> Option<String> {
        for _ in 0..20 {
            if let Some(why) = self.exited() {
                return Some(why);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        None
    }

    /// A client for this runner (for calls from several tasks).
    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// Stops it and removes its folder (the spill files with it).
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        let _ = std::fs::remove_dir_all(&self.work);
    }
}

fn describe_exit(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match status.signal() {
        Some(9) => "killed".into(),
        Some(6) => "it ran out of memory".into(),
        Some(s) => format!("signal {s}"),
        None => format!("exit code {}", status.code().unwrap_or(-1)),
    }
}
