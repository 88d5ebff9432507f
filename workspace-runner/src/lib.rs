//! The workspace runner: the sandboxed query engine of one project's workspace.
//!
//! DataFusion over the project's extract and nothing else ([`engine`]), refusing anything
//! but one read-only query ([`lockdown`]), showing no data value or path in an error
//! ([`errors`]), and computing the persons behind every cell of an aggregate result
//! ([`evidence`]). The server reaches it through [`QueryEngine`].

#![warn(missing_docs)]

pub mod channel;
pub mod day_arithmetic;
pub mod engine;
pub mod errors;
pub mod evidence;
pub mod lockdown;
pub mod process;
pub mod sandbox;
pub mod text;

pub use engine::{Answer, Engine, Limits, Table};
pub use process::RunnerProcess;

/// What the server may ask of a project's query engine.
///
/// Implementations: a runner process per workspace reached over Arrow Flight, and later a
/// remote engine for extracts too big for one runner.
pub trait QueryEngine: Send + Sync {
    /// The project this engine serves; an engine never serves two.
    fn project_id(&self) -> i64;
}

/// Why a query did not run, in words the analyst may see (never a path or a data value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The statement is not a read-only query.
    #[error("refused: {0}")]
    Refused(String),
    /// The SQL does not parse.
    #[error("{0}")]
    Syntax(String),
    /// The query does not plan (unknown table or column, type mismatch).
    #[error("{0}")]
    Planning(String),
    /// The query failed while running.
    #[error("{0}")]
    Failed(String),
    /// The query ran out of time.
    #[error("the query took longer than the workspace's limit of {0} s")]
    TimedOut(u64),
    /// Too many queries at once.
    #[error("{0}; wait for one to finish")]
    Busy(String),
    /// The engine could not be set up over the extract.
    #[error("the workspace engine could not start: {0}")]
    Setup(String),
    /// The runner process stopped while running the query (killed, or out of memory).
    #[error("the workspace engine stopped while running the query ({0}); it starts again with the next query")]
    Stopped(String),
    /// The engine is not running or not reachable.
    #[error("the workspace engine is unavailable")]
    Unavailable,
}

impl EngineError {
    /// `refused` for statements that may not run; `error` otherwise.
    pub fn status(&self) -> &'static str {
        match self {
            EngineError::Refused(_) => "refused",
            _ => "error",
        }
    }
}
