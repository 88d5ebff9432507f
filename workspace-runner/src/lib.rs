//! The workspace runner: the sandboxed query engine of one project's workspace.
//!
//! The engine itself (DataFusion over the project's extract, locked down, computing the
//! persons behind every cell) arrives with the runner issue. What stands here now is the seam
//! the server reaches it through, so that server code written today already depends on an
//! interface a local runner process or a remote engine can both implement. It must never
//! register anything but the project's own extract tables.

#![warn(missing_docs)]

/// What the server may ask of a project's query engine.
///
/// Implementations: a runner process per workspace reached over Arrow Flight (runner issue),
/// and later a remote engine for extracts too big for one runner.
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
    /// The engine is not running or not reachable.
    #[error("the workspace engine is unavailable")]
    Unavailable,
}
