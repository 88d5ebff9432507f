//! Pages of the release workflow. Analysts (project routes, law 2 through `Authorised<Release>`)
//! save results as outputs, see the gate's findings per cell, revise with suppression or
//! rounding, ask for release, withdraw, and download what was released, and nothing else.
//! Custodians (`Platform<ReviewOutputs>`) work through the queue, see the evidence, the query,
//! the extract and the releases a cell overlaps, and vote; they also set the gate's
//! parameters per platform, dataset or project.

use super::domain::{self, Mitigation, Policy, State, Vote};
use super::store::{self, Notes, Output, Version};
use super::{JudgeError, judge};
use crate::access::extract::{Authorised, Platform, Release, ReviewOutputs};
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::db::StoreError;
use crate::web::AppState;
use crate::web::error::{AppError, ValidForm, parse_id};
use crate::web::pages::{Chrome, shown};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects/{project_id}/outputs", get(outputs_page).post(create))
        .route("/projects/{project_id}/outputs/{output_id}", get(output_page))
        .route("/projects/{project_id}/outputs/{output_id}/versions", post(revise))
        .route("/projects/{project_id}/outputs/{output_id}/submit", post(submit))
        .route("/projects/{project_id}/outputs/{output_id}/withdraw", post(withdraw))
        .route("/projects/{project_id}/outputs/{output_id}/release.csv", get(download_csv))
        .route("/projects/{project_id}/outputs/{output_id}/manifest.json", get(download_manifest))
        .route("/custodian/outputs", get(queue_page))
        .route("/custodian/outputs/{output_id}", get(review_page))
        .route("/custodian/outputs/{output_id}/vote", post(vote))
        .route("/custodian/gate-params", get(params_page).post(set_params))
}

/// A judged cell as pages show it.
pub struct CellRow {
    /// The group, as "col=value" pairs.
    pub group: String,
    /// The output column.
    pub column: String,
    /// The statistic.
    pub statistic: String,
    /// The value as published (blank when suppressed).
    pub value: String,
    /// The value before rounding or suppression, for custodians.
    pub computed: String,
    /// Persons behind it (grouped in the page's language when a whole number).
    pub persons: String,
    /// The rest of the evidence the rules judged, in the page's language (empty for a
    /// judgement stored before evidence was kept).
    pub evidence: String,
    /// Findings: rule, severity, detail.
    pub findings: Vec<(String, String, String)>,
    /// "primary" or "secondary" when blanked.
    pub suppression: Option<String>,
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The cells of a stored judgement, worded in `chrome`'s language.
pub fn cell_rows(chrome: &Chrome, judgement: &Value) -> Vec<CellRow> {
    let Some(cells) = judgement["cells"].as_array() else { return Vec::new() };
    let total = chrome.t("gate-group-total");
    cells
        .iter()
        .map(|c| {
            let group = c["group"]
                .as_object()
                .map(|g| {
                    g.iter()
                        .map(|(k, v)| if v.is_null() { format!("{k}={total}") } else { format!("{k}={}", text(v)) })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            let findings = c["rules"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .map(|f| {
                            // In the page's language where the finding carries its message.
                            let detail = serde_json::from_value::<policy::sdc::Says>(f["says"].clone())
                                .map(|s| crate::i18n::says(chrome.lang, &s))
                                .unwrap_or_else(|_| text(&f["detail"]));
                            (text(&f["rule"]), text(&f["severity"]), detail)
                        })
                        .collect()
                })
                .unwrap_or_default();
            let computed = if c["unrounded"].is_null() { text(&c["computed"]) } else { text(&c["unrounded"]) };
            let evidence = evidence_text(chrome, &c["evidence"]);
            CellRow {
                group,
                column: text(&c["column"]),
                statistic: text(&c["statistic"]),
                value: text(&c["value"]),
                computed,
                persons: c["persons"].as_i64().map(|n| chrome.num(n)).unwrap_or_else(|| text(&c["persons"])),
                evidence,
                findings,
                suppression: c["suppression"].as_str().map(String::from),
            }
        })
        .collect()
}

/// A cell's stored evidence in `chrome`'s language: persons with a value, the largest and the
/// two largest contributions' shares, missing and negative values, whether all values are the
/// same, and the persons on each side of a percentile.
fn evidence_text(chrome: &Chrome, e: &Value) -> String {
    if !e.is_object() {
        return String::new();
    }
    let whole = |k: &str| e[k].as_i64().unwrap_or(0);
    let share = |k: &str| e[k].as_f64().map(|s| format!("{:.1}%", s * 100.0)).unwrap_or_else(|| "–".into());
    let mut parts = vec![chrome.t1("gate-evidence-with-value", "count", whole("persons_with_value"))];
    parts.push(chrome.t2("gate-evidence-shares", "largest", share("largest_share"), "top_two", share("top_two_share")));
    if whole("missing") > 0 {
        parts.push(chrome.t1("gate-evidence-missing", "count", whole("missing")));
    }
    if whole("negative") > 0 {
        parts.push(chrome.t1("gate-evidence-negative", "count", whole("negative")));
    }
    if whole("distinct_values") == 1 {
        parts.push(chrome.t("gate-evidence-all-same"));
    }
    if let (Some(below), Some(above)) = (e["persons_at_or_below"].as_i64(), e["persons_at_or_above"].as_i64()) {
        // Sides are counted up to a cap: that many means at least that many.
        let cap = e["sides_counted_up_to"].as_i64().unwrap_or(i64::MAX);
        let side = |n: i64| {
            if n >= cap {
                chrome.t1("gate-evidence-at-least", "count", n)
            } else {
                chrome.t1("gate-evidence-persons", "count", n)
            }
        };
        parts.push(chrome.t2("gate-evidence-sides", "below", side(below), "above", side(above)));
    }
    parts.join(" · ")
}

/// The reasons of a stored judgement in `chrome`'s language (in English as recorded, for a
/// judgement stored before reasons were kept as messages).
fn reasons(chrome: &Chrome, judgement: &Value) -> Vec<String> {
    match serde_json::from_value::<Vec<crate::i18n::Says>>(judgement["says"].clone()) {
        Ok(says) => says.iter().map(|s| chrome.says(s)).collect(),
        Err(_) => judgement["reasons"].as_array().map(|r| r.iter().map(text).collect()).unwrap_or_default(),
    }
}

fn ids(params: &HashMap<String, String>, name: &str) -> Result<i64, AppError> {
    parse_id(params.get(name).ok_or(AppError::NotFound)?)
}

/// The output named by the path, if it belongs to the project.
async fn output_in(state: &AppState, project: i64, id: i64) -> Result<Output, AppError> {
    match store::output(&state.db, id).await? {
        Some(o) if o.project_id == project => Ok(o),
        _ => Err(AppError::NotFound),
    }
}

#[derive(Template)]
#[template(path = "outputs.html")]
struct OutputsPage {
    chrome: Chrome,
    project: crate::projects::domain::Project,
    outputs: Vec<(Output, Vec<store::Cast>)>,
    form: OutputForm,
    /// The treatments' stored forms (the template words them).
    mitigations: Vec<&'static str>,
    error: Option<String>,
}

/// What the analyst fills in.
#[derive(Deserialize, Default, Clone)]
struct OutputForm {
    #[serde(default)]
    title: String,
    sql: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    columns_note: String,
    #[serde(default)]
    sdc_note: String,
    #[serde(default)]
    mitigation: String,
}

fn mitigations() -> Vec<&'static str> {
    Mitigation::all().iter().map(|m| m.as_str()).collect()
}

async fn list(
    state: &AppState,
    auth: &Authorised<Release>,
    form: OutputForm,
    error: Option<String>,
) -> Result<Response, AppError> {
    let id = auth.access.project_id();
    let project = crate::projects::store::project(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let outputs = store::of_project(&state.db, id).await?;
    let page =
        OutputsPage { chrome: auth.me.chrome().await?, project, outputs, form, mitigations: mitigations(), error };
    shown(&page, page.error.is_some())
}

async fn outputs_page(AxState(state): AxState<AppState>, auth: Authorised<Release>) -> Result<Response, AppError> {
    list(&state, &auth, OutputForm::default(), None).await
}

/// The form's fields checked: notes and the mitigation.
fn checked(form: &OutputForm) -> Result<(Notes, Mitigation), crate::i18n::Says> {
    let notes = Notes {
        purpose: domain::check_text("purpose", &form.purpose, false, 4000)?,
        columns_note: domain::check_text("columns_note", &form.columns_note, false, 4000)?,
        sdc_note: domain::check_text("sdc_note", &form.sdc_note, false, 4000)?,
    };
    let mitigation = if form.mitigation.is_empty() {
        Mitigation::None
    } else {
        Mitigation::parse(&form.mitigation).ok_or_else(|| crate::says!("out-choose-treatment"))?
    };
    if form.sql.trim().is_empty() {
        return Err(crate::says!("out-query-required"));
    }
    Ok((notes, mitigation))
}

fn judge_message(chrome: &Chrome, e: JudgeError) -> Result<String, AppError> {
    match e {
        JudgeError::Engine(e) => Ok(chrome.t1("out-query-failed", "problem", chrome.says(&crate::runner::says(&e)))),
        JudgeError::Gate(e) => Ok(e),
        JudgeError::Store(StoreError::Rule(e)) => Ok(chrome.says(&e)),
        JudgeError::Store(e) => Err(e.into()),
    }
}

async fn create(
    AxState(state): AxState<AppState>,
    auth: Authorised<Release>,
    ValidForm(form): ValidForm<OutputForm>,
) -> Result<Response, AppError> {
    let project = auth.access.project_id();
    let chrome = auth.me.chrome().await?;
    let checked = domain::check_text("title", &form.title, true, 200).and_then(|t| Ok((t, checked(&form)?)));
    let (title, (notes, mitigation)) = match checked {
        Ok(x) => x,
        Err(e) => return list(&state, &auth, form, Some(chrome.says(&e))).await,
    };
    let judged = match judge(&state, project, &form.sql, mitigation).await {
        Ok(j) => j,
        Err(e) => {
            let message = judge_message(&chrome, e)?;
            return list(&state, &auth, form, Some(message)).await;
        }
    };
    let id =
        store::create(&state.db, state.clock.now(), project, auth.access.person_id(), &title, &notes, &judged).await?;
    Ok(Redirect::to(&format!("/projects/{project}/outputs/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "output.html")]
struct OutputPage {
    chrome: Chrome,
    project: crate::projects::domain::Project,
    output: Output,
    current: Version,
    cells: Vec<CellRow>,
    reasons: Vec<String>,
    versions: Vec<Version>,
    votes: Vec<store::Cast>,
    released: Option<store::Release>,
    /// The treatments' stored forms (the template words them).
    mitigations: Vec<&'static str>,
    error: Option<String>,
}

async fn show(
    state: &AppState,
    auth: &Authorised<Release>,
    output: i64,
    error: Option<String>,
) -> Result<Response, AppError> {
    let project_id = auth.access.project_id();
    let output = output_in(state, project_id, output).await?;
    let project = crate::projects::store::project(&state.db, project_id).await?.ok_or(AppError::NotFound)?;
    let versions = store::versions(&state.db, output.id).await?;
    let current = versions.first().cloned().ok_or(AppError::NotFound)?;
    let votes = store::votes(&state.db, output.id, output.version).await?;
    let released = store::release(&state.db, output.id).await?;
    let chrome = auth.me.chrome().await?;
    let page = OutputPage {
        cells: cell_rows(&chrome, &current.judgement),
        reasons: reasons(&chrome, &current.judgement),
        chrome,
        project,
        current,
        output,
        versions,
        votes,
        released,
        mitigations: mitigations(),
        error,
    };
    shown(&page, page.error.is_some())
}

async fn output_page(
    AxState(state): AxState<AppState>,
    auth: Authorised<Release>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response, AppError> {
    show(&state, &auth, ids(&params, "output_id")?, None).await
}

async fn revise(
    AxState(state): AxState<AppState>,
    auth: Authorised<Release>,
    Path(params): Path<HashMap<String, String>>,
    ValidForm(form): ValidForm<OutputForm>,
) -> Result<Response, AppError> {
    let project = auth.access.project_id();
    let id = ids(&params, "output_id")?;
    output_in(&state, project, id).await?;
    let chrome = auth.me.chrome().await?;
    let (notes, mitigation) = match checked(&form) {
        Ok(x) => x,
        Err(e) => return show(&state, &auth, id, Some(chrome.says(&e))).await,
    };
    let judged = match judge(&state, project, &form.sql, mitigation).await {
        Ok(j) => j,
        Err(e) => {
            let message = judge_message(&chrome, e)?;
            return show(&state, &auth, id, Some(message)).await;
        }
    };
    match store::revise(&state.db, state.clock.now(), project, id, auth.access.person_id(), &notes, &judged).await {
        Ok(_) => Ok(Redirect::to(&format!("/projects/{project}/outputs/{id}")).into_response()),
        Err(StoreError::Rule(e)) => show(&state, &auth, id, Some(chrome.says(&e))).await,
        Err(e) => Err(e.into()),
    }
}

async fn step(
    state: AppState,
    auth: Authorised<Release>,
    params: HashMap<String, String>,
    withdraw: bool,
) -> Result<Response, AppError> {
    let project = auth.access.project_id();
    let id = ids(&params, "output_id")?;
    output_in(&state, project, id).await?;
    match store::submit_or_withdraw(&state.db, state.clock.now(), project, id, auth.access.person_id(), withdraw).await
    {
        Ok(()) => Ok(Redirect::to(&format!("/projects/{project}/outputs/{id}")).into_response()),
        Err(StoreError::Rule(e)) => {
            let message = auth.me.chrome().await?.says(&e);
            show(&state, &auth, id, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn submit(
    AxState(state): AxState<AppState>,
    auth: Authorised<Release>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response, AppError> {
    step(state, auth, params, false).await
}

async fn withdraw(
    AxState(state): AxState<AppState>,
    auth: Authorised<Release>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response, AppError> {
    step(state, auth, params, true).await
}

/// A released file, or a refusal (audited) when the output is not released.
async fn download(
    state: AppState,
    auth: Authorised<Release>,
    params: HashMap<String, String>,
    manifest: bool,
) -> Result<Response, AppError> {
    let project = auth.access.project_id();
    let id = ids(&params, "output_id")?;
    let output = output_in(&state, project, id).await?;
    let file = if manifest { "manifest" } else { "table" };
    let released = store::release(&state.db, id).await?;
    let actor = Actor::Person(auth.access.person_id());
    let Some(release) = released.filter(|_| output.state == State::Released) else {
        let event = AuditEvent::new(actor, "output.download", format!("output:{id}"), Outcome::Denied)
            .with_details(json!({"file": file, "reason": "not_released", "state": output.state.as_str()}));
        crate::audit::store::record(&state.db, state.clock.now(), &event)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        return Err(AppError::Forbidden(crate::says!("out-not-released")));
    };
    let event = AuditEvent::new(actor, "output.download", format!("project:{project}"), Outcome::Success)
        .with_details(json!({"output": id, "release": release.id, "file": file}));
    crate::audit::store::record(&state.db, state.clock.now(), &event)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let (body, kind, name) = if manifest {
        (release.manifest, "application/json", format!("release-{}-manifest.json", release.id))
    } else {
        (release.csv, "text/csv; charset=utf-8", format!("release-{}.csv", release.id))
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response())
}

async fn download_csv(
    AxState(state): AxState<AppState>,
    auth: Authorised<Release>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response, AppError> {
    download(state, auth, params, false).await
}

async fn download_manifest(
    AxState(state): AxState<AppState>,
    auth: Authorised<Release>,
    Path(params): Path<HashMap<String, String>>,
) -> Result<Response, AppError> {
    download(state, auth, params, true).await
}

#[derive(Template)]
#[template(path = "review_queue.html")]
struct QueuePage {
    chrome: Chrome,
    /// Each request waiting, oldest first: the output, its project, the gate's status and
    /// its reasons in the page's language.
    waiting: Vec<(Output, String, String, Vec<String>)>,
}

async fn queue_page(
    AxState(state): AxState<AppState>,
    custodian: Platform<ReviewOutputs>,
) -> Result<Response, AppError> {
    let chrome = custodian.me.chrome().await?;
    let waiting = store::queue(&state.db)
        .await?
        .into_iter()
        .map(|(o, p, s, judgement)| (o, p, s.name().to_string(), reasons(&chrome, &judgement)))
        .collect();
    let page = QueuePage { chrome, waiting };
    Ok(Html(page.render()?).into_response())
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    chrome: Chrome,
    output: Output,
    project: crate::projects::domain::Project,
    current: Version,
    extract_version: String,
    cells: Vec<CellRow>,
    reasons: Vec<String>,
    overlaps: Vec<String>,
    votes: Vec<store::Cast>,
    error: Option<String>,
}

async fn review(
    state: &AppState,
    custodian: &Platform<ReviewOutputs>,
    id: i64,
    error: Option<String>,
) -> Result<Response, AppError> {
    let output = store::output(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let project = crate::projects::store::project(&state.db, output.project_id).await?.ok_or(AppError::NotFound)?;
    let current = store::versions(&state.db, id).await?.into_iter().next().ok_or(AppError::NotFound)?;
    let votes = store::votes(&state.db, id, output.version).await?;
    let extract: Option<(i64, String)> = sqlx::query_as("SELECT version, manifest_sha256 FROM extracts WHERE id = $1")
        .bind(current.extract_id)
        .fetch_optional(state.db.pool())
        .await
        .map_err(StoreError::from)?;
    let chrome = custodian.me.chrome().await?;
    let extract_version = extract
        .map(|(v, h)| chrome.t2("review-extract-version", "version", v, "manifest", h.get(..12).unwrap_or(&h)))
        .unwrap_or_default();
    let cells = cell_rows(&chrome, &current.judgement);
    let overlaps = cells
        .iter()
        .flat_map(|c| {
            c.findings
                .iter()
                .filter(|f| f.0 == "differencing")
                .map(move |f| format!("{} {}: {}", c.column, c.group, f.2))
        })
        .collect();
    let page = ReviewPage {
        reasons: reasons(&chrome, &current.judgement),
        chrome,
        output,
        project,
        current,
        extract_version,
        cells,
        overlaps,
        votes,
        error,
    };
    shown(&page, page.error.is_some())
}

async fn review_page(
    AxState(state): AxState<AppState>,
    custodian: Platform<ReviewOutputs>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    review(&state, &custodian, parse_id(&id)?, None).await
}

#[derive(Deserialize)]
struct VoteForm {
    vote: String,
    #[serde(default)]
    comment: String,
}

async fn vote(
    AxState(state): AxState<AppState>,
    custodian: Platform<ReviewOutputs>,
    Path(id): Path<String>,
    ValidForm(form): ValidForm<VoteForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let output = store::output(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let Some(vote) = Vote::parse(&form.vote) else {
        let message = custodian.me.chrome().await?.t("review-choose-vote");
        return review(&state, &custodian, id, Some(message)).await;
    };
    // An approval may be the one that releases: judge the version again now, against the
    // ledger as it stands, so the release records exactly what was checked.
    let material = if vote == Vote::Approve && output.state == State::Submitted {
        let current = store::versions(&state.db, id).await?.into_iter().next().ok_or(AppError::NotFound)?;
        match judge(&state, output.project_id, &current.sql, current.mitigation).await {
            Ok(j) => Some(j),
            Err(e) => {
                let message = judge_message(&custodian.me.chrome().await?, e)?;
                return review(&state, &custodian, id, Some(message)).await;
            }
        }
    } else {
        None
    };
    let now = state.clock.now();
    let person = custodian.access.person_id();
    let policy = Policy { approvals: state.config.release_approvals as usize };
    match store::vote(&state.db, now, id, person, vote, &form.comment, policy, material.as_ref()).await {
        Ok(_) => Ok(Redirect::to(&format!("/custodian/outputs/{id}")).into_response()),
        Err(StoreError::Rule(e)) => {
            let message = custodian.me.chrome().await?.says(&e);
            review(&state, &custodian, id, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "gate_params.html")]
struct ParamsPage {
    chrome: Chrome,
    scope: String,
    params: String,
    history: Vec<(i64, String, String, String, i64)>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct ScopeQuery {
    #[serde(default)]
    scope: String,
}

/// A scope of the gate's parameters (platform, dataset:NAME or project:ID), if `s` is one.
fn scope_of(s: &str) -> Option<String> {
    let s = s.trim();
    let ok = s == "platform"
        || s.strip_prefix("project:").is_some_and(|id| id.parse::<i64>().is_ok_and(|n| n > 0))
        || s.strip_prefix("dataset:").is_some_and(|name| crate::datasets::domain::DatasetName::parse(name).is_ok());
    ok.then(|| s.to_string())
}

async fn params_view(
    state: &AppState,
    custodian: &Platform<ReviewOutputs>,
    scope: String,
    params: Option<String>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let history = match scope_of(&scope) {
        Some(s) => store::params_history(&state.db, &s).await?,
        None => Vec::new(),
    };
    let params = params.unwrap_or_else(|| {
        history
            .first()
            .and_then(|h| serde_json::from_str::<Value>(&h.1).ok())
            .or_else(|| serde_json::to_value(policy::sdc::Params::default()).ok())
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_default()
    });
    let page = ParamsPage { chrome: custodian.me.chrome().await?, scope, params, history, error };
    shown(&page, page.error.is_some())
}

async fn params_page(
    AxState(state): AxState<AppState>,
    custodian: Platform<ReviewOutputs>,
    axum::extract::Query(q): axum::extract::Query<ScopeQuery>,
) -> Result<Response, AppError> {
    let scope = if q.scope.is_empty() { "platform".to_string() } else { q.scope };
    params_view(&state, &custodian, scope, None, None).await
}

#[derive(Deserialize)]
struct ParamsForm {
    scope: String,
    params: String,
    #[serde(default)]
    reason: String,
}

async fn set_params(
    AxState(state): AxState<AppState>,
    custodian: Platform<ReviewOutputs>,
    ValidForm(form): ValidForm<ParamsForm>,
) -> Result<Response, AppError> {
    let Some(scope) = scope_of(&form.scope) else {
        let message = custodian.me.chrome().await?.t("gate-params-bad-scope");
        return params_view(&state, &custodian, form.scope, Some(form.params), Some(message)).await;
    };
    let person = custodian.access.person_id();
    match store::set_params(&state.db, state.clock.now(), person, &scope, &form.params, &form.reason).await {
        Ok(_) => Ok(Redirect::to(&format!("/custodian/gate-params?scope={scope}")).into_response()),
        Err(StoreError::Rule(e)) => {
            let message = custodian.me.chrome().await?.says(&e);
            params_view(&state, &custodian, scope, Some(form.params), Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}
