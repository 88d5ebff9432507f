//! Safe outputs: results saved from a workspace, judged by the gate, revised with suppression
//! or rounding, reviewed by two independent custodians and released with a manifest and a
//! ledger entry (law 1: nothing else leaves).

pub mod domain;
pub mod routes;
pub mod store;

use crate::gate;
use crate::web::AppState;
use domain::Mitigation;
use policy::sdc::Status;
use store::Judged;
use workspace_runner::EngineError;

/// Why a query could not be judged.
#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    /// The query did not run.
    #[error("{0}")]
    Engine(#[from] EngineError),
    /// The database failed, or the ledger is corrupt.
    #[error(transparent)]
    Store(#[from] crate::db::StoreError),
    /// The gate could not finish.
    #[error("the gate could not judge this result: {0}")]
    Gate(String),
}

/// The gate's treatment for a mitigation chosen by the analyst.
fn treatment(m: Mitigation, round_base: u64) -> gate::Mitigation {
    let base = if round_base > 0 { round_base } else { 5 };
    let rounding = match m {
        Mitigation::None | Mitigation::Suppress => gate::Rounding::None,
        Mitigation::SuppressAndRound => gate::Rounding::Base(base),
        Mitigation::SuppressAndMidpoint6 => gate::Rounding::Midpoint6,
    };
    gate::Mitigation { suppress: m.suppresses(), rounding }
}

/// An answer judged by the rules under the project's parameters and, unless refused, checked
/// against the project's ledger (differencing), before any treatment.
struct Checked {
    judged: gate::Judgement,
    /// Each cell's person set, once differencing ran.
    sets: Option<gate::Sets>,
    ledger: crate::ledger::Ledger,
    ledger_releases: i64,
    ledger_known: usize,
    params: policy::sdc::Params,
    params_version: String,
}

async fn check(
    state: &AppState,
    project: i64,
    answer: &workspace_runner::Answer,
    index: &workspace_runner::evidence::PersonIndex,
) -> Result<Checked, JudgeError> {
    let (params, params_version) = store::params_for(&state.db, project).await?;
    let judged = gate::judge(answer, &params);
    let (mut ledger, ledger_releases) = store::ledger(&state.db, project, params.threshold).await?;
    let ledger_known = ledger.known();
    let (judged, sets) = if judged.status == Status::Refused {
        (judged, None)
    } else {
        let (checked, sets) = gate::difference(judged, answer, index, &mut ledger).map_err(JudgeError::Gate)?;
        (checked, Some(sets))
    };
    Ok(Checked { judged, sets, ledger, ledger_releases, ledger_known, params, params_version })
}

/// The gate's findings on an answer, as the workspace shows them beside each cell: the rules
/// and differencing, with no treatment.
pub async fn findings(
    state: &AppState,
    project: i64,
    answer: &workspace_runner::Answer,
    index: &workspace_runner::evidence::PersonIndex,
) -> Result<gate::Judgement, JudgeError> {
    Ok(check(state, project, answer, index).await?.judged)
}

/// Runs `sql` in `project`'s runner and judges it for release under the project's parameters:
/// the rules per cell, differencing against every release of the project, then `mitigation`.
pub async fn judge(state: &AppState, project: i64, sql: &str, mitigation: Mitigation) -> Result<Judged, JudgeError> {
    let (answer, extract_id, index) = state.workspaces.query_with_persons(&state.db, project, sql).await?;
    let Checked { judged, sets, ledger, ledger_releases, ledger_known, params, params_version } =
        check(state, project, &answer, &index).await?;
    let mut released = Vec::new();
    let judged = match &sets {
        Some(sets) => {
            let treated = gate::mitigate(judged, treatment(mitigation, params.round_base), Some((&ledger, sets)))
                .map_err(JudgeError::Gate)?;
            released = gate::released_cells(&treated, sets);
            treated
        }
        None => judged,
    };
    let csv = if judged.status == Status::Refused {
        String::new()
    } else {
        gate::published_csv(&answer, &judged).map_err(JudgeError::Gate)?
    };
    Ok(Judged {
        sql: sql.to_string(),
        extract_id,
        mitigation,
        params,
        params_version,
        status: judged.status,
        judgement: gate::judgement_json(&judged),
        csv,
        released,
        ledger_releases,
        ledger_known,
        new_persons: ledger.registered_since(ledger_known),
    })
}
