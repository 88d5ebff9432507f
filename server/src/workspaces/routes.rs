//! The workspace page: the project's tables are queried with SQL through the project's
//! runner. Every query is audited (who, which project, the SQL's hash, what came back); the
//! analyst sees the rows (inside the enclave) and what the result is for the output gate.

use crate::access::extract::{Authorised, Query};
use crate::audit::store::append;
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::web::AppState;
use crate::web::diff::{Change, DiffLine, diff_lines};
use crate::web::error::{AppError, ValidForm};
use crate::web::pages::Chrome;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use workspace_runner::EngineError;

/// The routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects/{project_id}/workspace", get(workspace_page).post(run_query))
        .route("/projects/{project_id}/workspace/cancel", post(cancel_query))
        .route("/projects/{project_id}/workspace/compare", get(compare_page))
        .route("/admin/runners", get(runners_page))
}

#[derive(Template)]
#[template(path = "admin_runners.html")]
struct RunnersPage {
    chrome: Chrome,
    /// What a runner started on this machine reports: its protections, or why it failed.
    readiness: Result<Vec<String>, String>,
    runners: Vec<super::RunnerHealth>,
    queries: usize,
}

/// The administrators' view of the workspace runners: each one's process, extract, idle
/// time and protections, and the queries running now. Seeing it is an audited decision.
async fn runners_page(
    State(state): State<AppState>,
    admin: crate::access::extract::Platform<crate::access::extract::ViewRunners>,
) -> Result<Response, AppError> {
    let page = RunnersPage {
        chrome: admin.me.chrome().await?,
        readiness: state.workspaces.readiness(),
        runners: state.workspaces.health().await,
        queries: state.workspaces.queries_running(),
    };
    Ok(Html(page.render()?).into_response())
}

/// Queries of the history shown on the page.
const HISTORY: i64 = 20;

/// Rows shown on the page; the rest are counted.
const SHOWN: usize = 1000;

/// What the gate says of one cell: its level (`fail`, `review`, `pass`, shown beside the value
/// as a word so that the finding is not told by colour alone), the persons behind it, and the
/// rules it breaks (none: it passes).
struct Mark {
    level: &'static str,
    persons: u64,
    findings: Option<String>,
}

/// A chart of the result and its caption.
struct ShownChart {
    svg: String,
    caption: String,
}

/// A query of the analyst's history.
struct HistoryRow {
    /// The entry's id (`query_history.id`), which the compare form sends.
    id: i64,
    at: String,
    sql: String,
    status: String,
    rows: i64,
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
    /// Charts of the result, without the cells the gate would refuse.
    charts: Vec<ShownChart>,
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
    let lang = crate::i18n::current();
    let mut by_cell = std::collections::HashMap::new();
    let (mut fail, mut review, mut pass) = (0, 0, 0);
    for cell in &judged.cells {
        let level = if cell.findings.iter().any(|f| f.severity == Severity::Fail) {
            fail += 1;
            "fail"
        } else if cell.findings.is_empty() {
            pass += 1;
            "pass"
        } else {
            review += 1;
            "review"
        };
        let findings = (!cell.findings.is_empty())
            .then(|| cell.findings.iter().map(|f| crate::i18n::finding(lang, f)).collect::<Vec<_>>().join("; "));
        by_cell.insert(cell.at, Mark { level, persons: cell.persons, findings });
    }
    // The reasons in the page's language.
    let reasons = judged.says.iter().map(|s| crate::i18n::says(lang, s)).collect();
    let summary = GateSummary { status: judged.status.name().to_string(), fail, review, pass, reasons };
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
                    class: entry.map(|e| e.class.as_str()).unwrap_or(""),
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
    history: Vec<HistoryRow>,
    /// The project's outputs and where each release request stands.
    outputs: Vec<(crate::outputs::store::Output, Vec<crate::outputs::store::Cast>)>,
}

/// A row of `query_history` as read: id, time (ms), SQL, status, rows.
type HistoryRecord = (i64, i64, String, String, Option<i64>);

impl From<HistoryRecord> for HistoryRow {
    fn from((id, at, sql, status, rows): HistoryRecord) -> Self {
        HistoryRow {
            id,
            at: crate::clock::from_millis(at)
                .format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC"))
                .unwrap_or_default(),
            sql,
            status,
            rows: rows.unwrap_or(0),
        }
    }
}

/// The analyst's latest queries in the project, newest first.
async fn history(db: &crate::db::Db, project: i64, person: i64) -> Result<Vec<HistoryRow>, crate::db::StoreError> {
    let rows: Vec<HistoryRecord> = sqlx::query_as(
        "SELECT id, at, sql, status, row_count FROM query_history WHERE project_id = $1 AND person_id = $2 \
         ORDER BY id DESC LIMIT $3",
    )
    .bind(project)
    .bind(person)
    .bind(HISTORY)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(HistoryRow::from).collect())
}

/// One entry of the analyst's own history in the project: `None` when there is no such
/// entry, or it is another person's or another project's (the caller cannot tell which).
async fn history_entry(
    db: &crate::db::Db,
    project: i64,
    person: i64,
    id: i64,
) -> Result<Option<HistoryRow>, crate::db::StoreError> {
    let row: Option<HistoryRecord> = sqlx::query_as(
        "SELECT id, at, sql, status, row_count FROM query_history WHERE id = $1 AND project_id = $2 AND person_id = $3",
    )
    .bind(id)
    .bind(project)
    .bind(person)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(HistoryRow::from))
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
        history: history(&state.db, id, auth.access.person_id()).await?,
        outputs: crate::outputs::store::of_project(&state.db, id).await?,
    };
    Ok(Html(page.render()?).into_response())
}

async fn workspace_page(State(state): State<AppState>, auth: Authorised<Query>) -> Result<Response, AppError> {
    page(&state, &auth, String::new(), None, None).await
}

#[derive(Template)]
#[template(path = "workspace_compare.html")]
struct ComparePage {
    chrome: Chrome,
    project: crate::projects::domain::Project,
    /// A ("a", before) and B ("b", after).
    sides: [(&'static str, HistoryRow); 2],
    lines: Vec<DiffLine>,
    removed: usize,
    added: usize,
}

impl ComparePage {
    /// Whether the two texts have the same lines.
    fn identical(&self) -> bool {
        self.removed == 0 && self.added == 0
    }
}

/// The history entries `a` and `b` the query string names. Either missing (or blank) is a bad
/// request; one that is not an id is not found, as an id that is not the analyst's is.
fn compare_ids(query: Option<&str>) -> Result<(i64, i64), AppError> {
    let (mut a, mut b) = (None, None);
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let slot = match name.as_ref() {
            "a" => &mut a,
            "b" => &mut b,
            _ => continue,
        };
        if slot.is_none() && !value.trim().is_empty() {
            *slot = Some(value.trim().to_string());
        }
    }
    let (Some(a), Some(b)) = (a, b) else {
        return Err(AppError::BadRequest(crate::says!("ws-compare-missing")));
    };
    Ok((crate::web::error::parse_id(&a)?, crate::web::error::parse_id(&b)?))
}

/// Two queries of the analyst's own history in this project side by side, with the diff of
/// their SQL. Only the signed-in analyst's entries of this project are read: any other id is
/// "not found". Like the workspace page, it is audited as the access decision only (the
/// analyst reads their own queries, no data).
async fn compare_page(
    State(state): State<AppState>,
    auth: Authorised<Query>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, AppError> {
    let (a, b) = compare_ids(query.as_deref())?;
    let id = auth.access.project_id();
    let person = auth.access.person_id();
    let project = crate::projects::store::project(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let a = history_entry(&state.db, id, person, a).await?.ok_or(AppError::NotFound)?;
    let b = history_entry(&state.db, id, person, b).await?.ok_or(AppError::NotFound)?;
    let lines = diff_lines(&a.sql, &b.sql);
    let removed = lines.iter().filter(|l| l.change == Change::Removed).count();
    let added = lines.iter().filter(|l| l.change == Change::Added).count();
    let page =
        ComparePage { chrome: auth.me.chrome().await?, project, sides: [("a", a), ("b", b)], lines, removed, added };
    Ok(Html(page.render()?).into_response())
}

/// A query as its author's history keeps it.
struct Ran<'a> {
    project: i64,
    person: i64,
    sql: &'a str,
    status: &'a str,
    rows: Option<i64>,
}

/// Writes a query's audit entry and its author's history in one transaction.
async fn record(
    db: &crate::db::Db,
    now: time::OffsetDateTime,
    event: &AuditEvent,
    ran: &Ran<'_>,
) -> Result<(), crate::db::StoreError> {
    let mut tx = db.begin_write().await?;
    append(&mut tx, now, event).await?;
    sqlx::query(
        "INSERT INTO query_history (person_id, project_id, at, sql, status, row_count) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(ran.person)
    .bind(ran.project)
    .bind(crate::clock::to_millis(now))
    .bind(ran.sql)
    .bind(ran.status)
    .bind(ran.rows)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Cancels the analyst's running query in this project (the page's Cancel button). The
/// query's own request then answers, and its audit entry records it as cancelled.
async fn cancel_query(State(state): State<AppState>, auth: Authorised<Query>) -> Response {
    let cancelled = state.workspaces.cancel(auth.access.project_id(), auth.access.person_id());
    if cancelled { axum::http::StatusCode::ACCEPTED } else { axum::http::StatusCode::NO_CONTENT }.into_response()
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
    let person = auth.access.person_id();
    let sql = form.sql;
    // Dropping the query's future (when the analyst cancels) cancels it in the runner.
    let result = {
        let running = state.workspaces.begin(project, person);
        tokio::select! {
            r = state.workspaces.query_with_persons(&state.db, project, &sql) => Some(r),
            () = running.cancelled.notified() => None,
        }
    };
    let Some(result) = result else {
        let sql_sha256 = hex::encode(Sha256::digest(sql.as_bytes()));
        let event =
            AuditEvent::new(Actor::Person(person), "workspace.query", format!("project:{project}"), Outcome::Success)
                .with_details(json!({"sql_sha256": sql_sha256, "status": "cancelled"}));
        let ran = Ran { project, person, sql: &sql, status: "cancelled", rows: None };
        record(&state.db, state.clock.now(), &event, &ran).await?;
        let message = crate::i18n::text(crate::i18n::current(), "ws-cancelled", None);
        return page(&state, &auth, sql, None, Some(message)).await;
    };
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
    let event = AuditEvent::new(Actor::Person(person), "workspace.query", format!("project:{project}"), outcome)
        .with_details(details);
    let ran = match &result {
        Ok((answer, _, _)) => Ran {
            project,
            person,
            sql: &sql,
            status: "ok",
            rows: Some(i64::try_from(answer.rows()).unwrap_or(i64::MAX)),
        },
        Err(e) => Ran { project, person, sql: &sql, status: e.status(), rows: None },
    };
    record(&state.db, state.clock.now(), &event, &ran).await?;
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
            let charts =
                if answer.lineage.name() == "aggregate" { charts(&columns, &all, &by_cell) } else { Vec::new() };
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
                reason: answer
                    .lineage
                    .reason()
                    .map(|r| crate::i18n::says(crate::i18n::current(), &crate::runner::lineage_says(r))),
                charts,
                gate,
            };
            page(&state, &auth, sql, Some(shown), None).await
        }
        Err(e) => {
            page(&state, &auth, sql, None, Some(crate::i18n::says(crate::i18n::current(), &crate::runner::says(&e))))
                .await
        }
    }
}

/// The charts of an aggregate result, captioned in the page's language.
fn charts(
    columns: &[String],
    rows: &[Vec<serde_json::Value>],
    marks: &std::collections::HashMap<(usize, usize), Mark>,
) -> Vec<ShownChart> {
    use crate::i18n::{args, current, text};
    let refused = |r: usize, c: usize| marks.get(&(r, c)).is_some_and(|m| m.level == "fail");
    let title = |kind, measure: &str, group: &str| {
        let id = if kind == super::charts::Kind::Line { "ws-chart-line" } else { "ws-chart-bar" };
        text(current(), id, Some(&args(&[("measure", &measure), ("group", &group)])))
    };
    let Some(chart) = super::charts::chart(columns, rows, title, refused) else {
        return Vec::new();
    };
    let left_out = text(current(), "ws-chart-left-out", Some(&args(&[("count", &chart.left_out)])));
    let caption = text(current(), "ws-chart-caption", Some(&args(&[("title", &chart.title), ("left", &left_out)])));
    vec![ShownChart { svg: chart.svg, caption }]
}
