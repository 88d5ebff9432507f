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
const SHOWN: usize = 1000;

/// What the gate says of one cell: its level (`fail`, `review`, `pass`), the marker shown
/// beside the value (so the finding is not told by colour alone), and the reason.
struct Mark {
    level: &'static str,
    label: &'static str,
    reason: String,
}

/// A row as the page shows it: each value with the gate's mark (on measures), and the persons
/// behind its first measure (aggregates).
type ShownRow = (Vec<(String, Option<Mark>)>, Option<u64>);

/// A result as the page shows it.
struct Shown {
    columns: Vec<String>,
    rows: Vec<ShownRow>,
    more: usize,
    lineage: String,
    reason: Option<String>,
    /// The gate's summary: overall status, cells failing, needing review, passing, and why.
    gate: Option<GateSummary>,
}

/// The gate's view of a whole result.
struct GateSummary {
    status: String,
    fail: usize,
    review: usize,
    pass: usize,
    reasons: Vec<String>,
}

/// The gate's marks by (row, column), and its summary.
fn marks(judged: &crate::gate::Judgement) -> (std::collections::HashMap<(usize, usize), Mark>, GateSummary) {
    use policy::sdc::Severity;
    let mut by_cell = std::collections::HashMap::new();
    let (mut fail, mut review, mut pass) = (0, 0, 0);
    for cell in &judged.cells {
        let worst = if cell.findings.iter().any(|f| f.severity == Severity::Fail) {
            fail += 1;
            ("fail", "fails")
        } else if cell.findings.is_empty() {
            pass += 1;
            ("pass", "passes")
        } else {
            review += 1;
            ("review", "review")
        };
        let reason = if cell.findings.is_empty() {
            format!("{} persons behind this cell; no rule is broken.", cell.persons)
        } else {
            cell.findings.iter().map(|f| format!("{}: {}", f.rule.name(), f.detail)).collect::<Vec<_>>().join("; ")
        };
        by_cell.insert(cell.at, Mark { level: worst.0, label: worst.1, reason });
    }
    let summary =
        GateSummary { status: judged.status.name().to_string(), fail, review, pass, reasons: judged.reasons.clone() };
    (by_cell, summary)
}

/// A column of the schema browser: name, type, the custodian's description, its class, and
/// whether it is the person column (held as the project's pseudonyms).
struct SchemaColumn {
    name: String,
    data_type: String,
    description: String,
    class: &'static str,
    identifying: bool,
    person: bool,
}

/// A table of the schema browser.
struct SchemaTable {
    name: String,
    rows: i64,
    columns: Vec<SchemaColumn>,
}

/// The extract's tables as the analyst may query them, each column with the dataset
/// dictionary's entry: the person column first, then the columns the protocol kept.
async fn schema(
    db: &crate::db::Db,
    extract: &crate::extracts::store::Extract,
) -> Result<Vec<SchemaTable>, crate::db::StoreError> {
    let protocol: Option<crate::extracts::domain::Protocol> = serde_json::from_str(&extract.protocol).ok();
    let dataset: Option<i64> = match &protocol {
        Some(p) => {
            sqlx::query_scalar("SELECT id FROM datasets WHERE name = $1")
                .bind(&p.dataset)
                .fetch_optional(db.pool())
                .await?
        }
        None => None,
    };
    let version = match (dataset, &protocol) {
        (Some(id), Some(p)) => Some(crate::datasets::store::version(db, id, p.version).await?),
        _ => None,
    };
    let mut tables = Vec::new();
    for (name, _, rows, _, _, person_column) in &extract.tables {
        let dictionary = version.as_ref().and_then(|v| v.tables.iter().find(|t| &t.name == name));
        let kept = protocol.as_ref().and_then(|p| p.tables.iter().find(|t| &t.table == name));
        let mut names: Vec<String> = person_column.iter().cloned().collect();
        names.extend(
            kept.map(|k| k.columns.clone())
                .unwrap_or_default()
                .into_iter()
                .filter(|c| Some(c) != person_column.as_ref()),
        );
        let columns = names
            .into_iter()
            .map(|column| {
                let entry = dictionary.and_then(|d| d.columns.iter().find(|c| c.name == column));
                let person = Some(&column) == person_column.as_ref();
                SchemaColumn {
                    data_type: entry.map(|e| e.data_type.clone()).unwrap_or_default(),
                    description: entry.map(|e| e.description.clone()).unwrap_or_default(),
                    class: entry.map(|e| e.class.label()).unwrap_or(""),
                    identifying: person
                        || entry.is_some_and(|e| {
                            matches!(
                                e.class,
                                crate::datasets::domain::ColumnClass::Identifier
                                    | crate::datasets::domain::ColumnClass::QuasiIdentifier
                            )
                        }),
                    person,
                    name: column,
                }
            })
            .collect();
        tables.push(SchemaTable { name: name.clone(), rows: *rows, columns });
    }
    Ok(tables)
}

#[derive(Template)]
#[template(path = "workspace.html")]
struct WorkspacePage {
    chrome: Chrome,
    project: crate::projects::domain::Project,
    has_extract: bool,
    tables: Vec<SchemaTable>,
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
    let tables = match &extract {
        Some(e) => schema(&state.db, e).await?,
        None => Vec::new(),
    };
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
    let result = state.workspaces.query_with_persons(&state.db, project, &sql).await;
    // The gate's findings on every aggregate result, so the analyst sees at once which cells
    // could not leave and why.
    let judged = match &result {
        Ok((answer, _, index)) if answer.lineage.name() == "aggregate" => {
            Some(crate::outputs::findings(&state, project, answer, index).await.map_err(|e| e.to_string()))
        }
        _ => None,
    };
    let sql_sha256 = hex::encode(Sha256::digest(sql.as_bytes()));
    let (outcome, details) = match &result {
        Ok((answer, _, _)) => (
            Outcome::Success,
            json!({"sql_sha256": sql_sha256, "status": "ok", "rows": answer.rows(), "truncated": answer.truncated,
                   "lineage": answer.lineage.name(),
                   "gate": judged.as_ref().map(|j| j.as_ref().map(|j| j.status.name()).unwrap_or("error"))}),
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
        Ok((answer, _, _)) => {
            let (mut by_cell, gate) = match judged {
                Some(Ok(j)) => {
                    let (by_cell, summary) = marks(&j);
                    (by_cell, Some(summary))
                }
                Some(Err(e)) => (
                    Default::default(),
                    Some(GateSummary { status: "error".into(), fail: 0, review: 0, pass: 0, reasons: vec![e] }),
                ),
                None => (Default::default(), None),
            };
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
                        .enumerate()
                        .map(|(c, v)| {
                            let text = match v {
                                serde_json::Value::Null => "NULL".to_string(),
                                serde_json::Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            (text, by_cell.remove(&(i, c)))
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
                gate,
            };
            page(&state, &auth, sql, Some(shown), None).await
        }
        Err(e) => page(&state, &auth, sql, None, Some(e.to_string())).await,
    }
}
