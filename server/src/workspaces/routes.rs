//! The workspace page: the project's tables are queried with SQL through the project's
//! runner. Every query is audited (who, which project, the SQL's hash, what came back); the
//! analyst sees the rows (inside the enclave) and what the result is for the output gate.

use crate::access::extract::{Authorised, Query};
use crate::audit::store::append;
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::web::AppState;
use crate::web::error::{AppError, ValidForm};
use crate::web::pages::Chrome;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use workspace_runner::EngineError;

/// The routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new().route("/projects/{project_id}/workspace", get(workspace_page).post(run_query))
}

/// Rows shown on the page; the rest are counted.
const SHOWN: usize = 500;

/// A result as the page shows it.
struct Shown {
    columns: Vec<String>,
    /// Each row's values, and the persons behind its first measure (aggregates).
    rows: Vec<(Vec<String>, Option<u64>)>,
    more: usize,
    lineage: String,
    reason: Option<String>,
}

#[derive(Template)]
#[template(path = "workspace.html")]
struct WorkspacePage {
    chrome: Chrome,
    project: crate::projects::domain::Project,
    has_extract: bool,
    tables: Vec<(String, i64)>,
    sql: String,
    result: Option<Shown>,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    auth: &Authorised<Query>,
    sql: String,
    result: Option<Shown>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let id = auth.access.project_id();
    let project = crate::projects::store::project(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let extract = crate::extracts::store::latest(&state.db, id).await?;
    let tables = extract.as_ref().map(|e| e.tables.iter().map(|t| (t.0.clone(), t.2)).collect()).unwrap_or_default();
    let page = WorkspacePage {
        chrome: auth.me.chrome().await?,
        project,
        has_extract: extract.is_some(),
        tables,
        sql,
        result,
        error,
    };
    Ok(Html(page.render()?).into_response())
}

async fn workspace_page(State(state): State<AppState>, auth: Authorised<Query>) -> Result<Response, AppError> {
    page(&state, &auth, String::new(), None, None).await
}

/// Writes a query's audit entry in its own transaction.
async fn record(
    db: &crate::db::Db,
    now: time::OffsetDateTime,
    event: &AuditEvent,
) -> Result<(), crate::db::StoreError> {
    let mut tx = db.begin_write().await?;
    append(&mut tx, now, event).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Deserialize)]
struct QueryForm {
    sql: String,
}

async fn run_query(
    State(state): State<AppState>,
    auth: Authorised<Query>,
    ValidForm(form): ValidForm<QueryForm>,
) -> Result<Response, AppError> {
    let project = auth.access.project_id();
    let sql = form.sql;
    let result = state.workspaces.query(&state.db, project, &sql).await;
    let sql_sha256 = hex::encode(Sha256::digest(sql.as_bytes()));
    let (outcome, details) = match &result {
        Ok(answer) => (
            Outcome::Success,
            json!({"sql_sha256": sql_sha256, "status": "ok", "rows": answer.rows(), "truncated": answer.truncated,
                   "lineage": answer.lineage.name()}),
        ),
        Err(e) => (
            if matches!(e, EngineError::Refused(_)) { Outcome::Denied } else { Outcome::Success },
            json!({"sql_sha256": sql_sha256, "status": e.status(), "message": e.to_string()}),
        ),
    };
    let event = AuditEvent::new(
        Actor::Person(auth.access.person_id()),
        "workspace.query",
        format!("project:{project}"),
        outcome,
    )
    .with_details(details);
    record(&state.db, state.clock.now(), &event).await?;
    match result {
        Ok(answer) => {
            let columns: Vec<String> = answer.schema.fields().iter().map(|f| f.name().clone()).collect();
            let all = workspace_runner::text::rows_json(&answer.batches);
            let more = all.len().saturating_sub(SHOWN);
            let rows = all
                .iter()
                .take(SHOWN)
                .enumerate()
                .map(|(i, r)| {
                    let values = r
                        .iter()
                        .map(|v| match v {
                            serde_json::Value::Null => "NULL".to_string(),
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .collect();
                    (values, answer.evidence.get(i).and_then(|cells| cells.first()).map(|f| f.persons))
                })
                .collect();
            let shown = Shown {
                columns,
                rows,
                more: more + if answer.truncated { 1 } else { 0 },
                lineage: answer.lineage.name().to_string(),
                reason: answer.lineage.reason().map(String::from),
            };
            page(&state, &auth, sql, Some(shown), None).await
        }
        Err(e) => page(&state, &auth, sql, None, Some(e.to_string())).await,
    }
}
