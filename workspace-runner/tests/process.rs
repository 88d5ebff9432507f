//! The runner as a process: started with its configuration on standard input, reached over
//! Arrow Flight on its Unix socket with its secret, and stopped, killed or timed out without
//! harm to the caller.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::time::Duration;
use workspace_runner::channel::Client;
use workspace_runner::{EngineError, Limits, RunnerProcess};

fn exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tre-runner"))
}

fn work(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("trr-{name}-{}", std::process::id()))
}

/// Every person with every other, fourteen times over: billions of rows to add up, so it runs
/// until it is stopped.
const ENDLESS: &str = "SELECT SUM(a.year_of_birth + b.year_of_birth + c.year_of_birth + d.year_of_birth + e.year_of_birth + f.year_of_birth + g.year_of_birth + h.year_of_birth + i.year_of_birth + j.year_of_birth + k.year_of_birth + l.year_of_birth + m.year_of_birth + n.year_of_birth) FROM person a, person b, person c, person d, person e, person f, person g, person h, person i, person j, person k, person l, person m, person n";

#[tokio::test]
async fn a_runner_process_answers_its_server_with_evidence_and_nobody_else() {
    let dir = work("answers");
    std::fs::create_dir_all(&dir).unwrap();
    let tables = common::fixture(&dir);
    let mut runner = RunnerProcess::start(&exe(), tables, Limits::default(), &dir.join("r")).await.unwrap();
    // Every protection is reported, held or not.
    let names: Vec<&str> = runner.protections().iter().map(|p| p.name.as_str()).collect();
    for name in ["network", "parent-death", "address-space", "file-size", "core-dumps", "filesystem"] {
        assert!(names.contains(&name), "{name} is not reported: {names:?}");
    }
    let answer = runner.query("SELECT sex, COUNT(*) AS n FROM person GROUP BY sex ORDER BY sex").await.unwrap();
    assert_eq!(answer.lineage.name(), "aggregate");
    assert_eq!(answer.rows(), 2);
    // Person sets hold indices in the extract's person index: persons 1..5 are 0..4.
    let sets: Vec<Vec<u32>> = answer.evidence.iter().map(|row| row[0].bitmap().unwrap().iter().collect()).collect();
    assert_eq!(sets, vec![vec![0, 1, 4], vec![2, 3]]);
    // Refusals and errors come back as the engine raised them.
    assert!(matches!(runner.query("DROP TABLE person").await, Err(EngineError::Refused(_))));
    let err = runner.query("SELECT CAST(note AS INT) FROM drug").await.unwrap_err().to_string();
    assert!(!err.contains("7731") && err.contains("converted"), "{err}");
    // A caller without the secret gets nothing.
    let stranger = Client::connect(&dir.join("r/runner.sock"), "not-the-secret".into()).await.unwrap();
    match stranger.query("SELECT COUNT(*) FROM person").await {
        Err(EngineError::Refused(m)) => assert!(m.contains("did not accept"), "{m}"),
        other => panic!("a stranger was answered: {other:?}"),
    }
    runner.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_killed_runner_is_a_clear_error_and_a_slow_query_times_out() {
    let dir = work("killed");
    std::fs::create_dir_all(&dir).unwrap();
    let tables = common::fixture(&dir);
    let limits = Limits { time: Duration::from_secs(1), runaway_grace: Duration::from_secs(2), ..Limits::default() };
    let mut runner = RunnerProcess::start(&exe(), tables.clone(), limits, &dir.join("t")).await.unwrap();
    let started = std::time::Instant::now();
    assert_eq!(runner.query(ENDLESS).await.unwrap_err(), EngineError::TimedOut(1));
    assert!(started.elapsed() < Duration::from_secs(3), "the deadline held: {:?}", started.elapsed());
    // The aborted work does not stop by itself (it does not yield); the runner ends itself
    // after its grace period, so the threads it holds are freed, and says so to the caller.
    let mut waited = 0;
    while runner.is_running() && waited < 100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    assert!(!runner.is_running(), "a runaway query kept the runner busy past its grace");
    assert!(matches!(runner.query("SELECT COUNT(*) AS n FROM person").await, Err(EngineError::Stopped(_))));
    runner.stop().await;

    let mut runner = RunnerProcess::start(&exe(), tables, Limits::default(), &dir.join("k")).await.unwrap();
    let pid = runner.pid().unwrap();
    let killer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap();
    });
    match runner.query(ENDLESS).await {
        Err(EngineError::Stopped(why)) => assert_eq!(why, "killed"),
        other => panic!("expected the runner to be reported stopped: {other:?}"),
    }
    killer.await.unwrap();
    assert!(!runner.is_running());
    runner.stop().await;

    // A function that allocates outside the memory pool meets the address-space limit: the
    // query fails or the runner ends, and either way the caller gets a clear error.
    let mut runner =
        RunnerProcess::start(&exe(), common::fixture(&dir), Limits::default(), &dir.join("m")).await.unwrap();
    match runner.query("SELECT length(repeat(sex, 100000000000)) AS n FROM person").await {
        Err(EngineError::Stopped(why)) => assert!(!why.is_empty()),
        // Arrow refuses the length before allocating (seen here): a plain failure.
        Err(EngineError::Failed(m)) => assert_eq!(m, "the query failed while running"),
        other => panic!("a 100 GB string was made: {other:?}"),
    }
    runner.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A runner that finds its named parent gone (it ended before the runner could tie its life
/// to it) ends at once instead of living on, orphaned.
#[test]
fn a_runner_whose_parent_has_gone_ends_at_once() {
    use std::io::{BufRead, Write};
    let dir = work("orphan");
    std::fs::create_dir_all(&dir).unwrap();
    let config = serde_json::json!({
        "tables": [], "limits": Limits::default(), "socket": dir.join("runner.sock"),
        "spill_dir": dir.join("spill"), "secret": "s"
    });
    // Pid 1 is never this runner's parent here: the test process is.
    let mut child = std::process::Command::new(exe())
        .env(workspace_runner::sandbox::PARENT_ENV, "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{config}").unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
    assert!(first.contains("already ended"), "{first}");
    let _ = std::fs::remove_dir_all(&dir);
}
