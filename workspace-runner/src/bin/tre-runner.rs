//! `tre-runner`: the sandboxed query engine of one workspace. Started by the server (or by
//! `tre query`) with its configuration on standard input; answers one line on standard
//! output (ready, and which protections hold), then serves Arrow Flight on its Unix socket
//! until it is stopped. Not meant to be run by hand.

use std::io::BufRead;
use std::sync::Arc;
use workspace_runner::channel::Service;
use workspace_runner::process::{Ready, RunnerConfig};
use workspace_runner::{Engine, EngineError, sandbox};

/// The one line the server reads. If the server is gone (its end of the pipe closed), there is
/// no one to tell: the write fails quietly instead of panicking.
fn say(ready: &Ready) {
    use std::io::Write;
    let line = serde_json::to_string(ready).unwrap_or_else(|_| "{\"ready\":false}".into());
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|_| out.flush());
}

fn fail(message: String, protections: Vec<sandbox::Protection>) -> std::process::ExitCode {
    say(&Ready { ready: false, error: Some(message), protections });
    std::process::ExitCode::FAILURE
}

fn main() -> std::process::ExitCode {
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).is_err() {
        return fail("no configuration on standard input".into(), vec![]);
    }
    let config: RunnerConfig = match serde_json::from_str(&line) {
        Ok(c) => c,
        Err(_) => return fail("the configuration could not be read".into(), vec![]),
    };
    // Before any thread starts: the network namespace, the tie to the server, the limits.
    let mut protections = vec![sandbox::isolate_network(), sandbox::die_with_parent()];
    if sandbox::parent_gone() {
        return fail("the process that started this runner has already ended".into(), protections);
    }
    let address_space = (config.limits.memory_bytes as u64).saturating_mul(3).max(4 << 30);
    protections.extend(sandbox::limit_resources(address_space, config.limits.spill_bytes.max(1 << 20)));
    // Queries work on their own runtime (deep plans recurse: large stacks); calls, deadlines
    // and the watchdog run on another, so they keep time while every query thread is busy.
    let cpu = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("tre-query")
        .thread_stack_size(16 << 20)
        .max_blocking_threads(16)
        .build()
    {
        Ok(r) => r,
        Err(_) => return fail("the query runtime could not start".into(), protections),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
        Ok(r) => r,
        Err(_) => return fail("the runtime could not start".into(), protections),
    };
    let executor = cpu.handle().clone();
    runtime.block_on(async move {
        let engine = match Engine::open(&config.tables, &config.spill_dir, config.limits.clone()).await {
            Ok(e) => e.with_executor(executor),
            // The server says the engine could not start; the runner says why.
            Err(EngineError::Setup(why)) => return fail(why, protections),
            Err(e) => return fail(e.to_string(), protections),
        };
        let listener = match tokio::net::UnixListener::bind(&config.socket) {
            Ok(l) => l,
            Err(e) => return fail(format!("the socket cannot be opened ({})", e.kind()), protections),
        };
        // Last: from here on, only the extract (read) and the spill folder exist for it.
        let read: Vec<std::path::PathBuf> = config.tables.iter().map(|t| t.path.clone()).collect();
        protections.push(sandbox::limit_filesystem(&read, std::slice::from_ref(&config.spill_dir)));
        for p in &protections {
            let state = if p.active { "on" } else { "UNAVAILABLE" };
            eprintln!("tre-runner: protection {} {state}: {}", p.name, p.detail);
        }
        say(&Ready { ready: true, error: None, protections });
        // A query aborted (cancelled, or at its deadline) whose work does not stop holds a
        // thread; after a grace period the runner ends itself, and the server starts a fresh one.
        let watched = engine.clone();
        let grace = config.limits.runaway_grace;
        tokio::spawn(async move {
            let tick = std::time::Duration::from_millis(250);
            let mut stuck = std::time::Duration::ZERO;
            loop {
                tokio::time::sleep(tick).await;
                stuck = if watched.runaways() > 0 { stuck + tick } else { std::time::Duration::ZERO };
                if stuck >= grace {
                    eprintln!("tre-runner: a cancelled or timed-out query did not stop; ending");
                    std::process::exit(3);
                }
            }
        });
        match Service::new(Arc::new(engine), config.secret).serve(listener).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(_) => std::process::ExitCode::FAILURE,
        }
    })
}
