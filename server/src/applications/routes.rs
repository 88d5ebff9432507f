//! Pages of applications: the applicant's list, form and application page (edit, submit,
//! withdraw, follow the board), and the board's queue and review page (declare a conflict,
//! vote). The applicant's pages need only a signed-in person and show only their own
//! applications; the board's go through `Platform<ReviewApplications>`.

use super::domain::{Body, Policy, State, Vote};
use super::store::{self, Application};
use crate::access::extract::{Platform, ReviewApplications};
use crate::db::StoreError;
use crate::web::AppState;
use crate::web::auth::SignedIn;
use crate::web::error::{AppError, ValidForm, parse_id};
use crate::web::pages::{Chrome, shown};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State as AxState};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

/// The routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/applications", get(list).post(create))
        .route("/applications/new", get(new_form))
        .route("/applications/{id}", get(show).post(edit))
        .route("/applications/{id}/submit", post(submit))
        .route("/applications/{id}/withdraw", post(withdraw))
        .route("/board/applications", get(queue))
        .route("/board/applications/{id}", get(review))
        .route("/board/applications/{id}/declare", post(declare))
        .route("/board/applications/{id}/vote", post(vote))
}

/// The application form, as posted (lists as text).
#[derive(Deserialize, Default)]
struct Form {
    #[serde(default)]
    title: String,
    #[serde(default)]
    purpose: String,
    #[serde(default)]
    lay_summary: String,
    #[serde(default)]
    public_benefit: String,
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    datasets: String,
    #[serde(default)]
    data_request: String,
    #[serde(default)]
    ethics_reference: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    outputs_intended: String,
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace()).filter(|w| !w.is_empty()).map(String::from).collect()
}

impl Form {
    fn body(self) -> Body {
        Body {
            title: self.title.trim().into(),
            purpose: self.purpose.trim().into(),
            lay_summary: self.lay_summary.trim().into(),
            public_benefit: self.public_benefit.trim().into(),
            organisation: self.organisation.trim().into(),
            team: words(&self.team),
            datasets: words(&self.datasets),
            data_request: self.data_request.trim().into(),
            ethics_reference: self.ethics_reference.trim().into(),
            starts_on: self.starts_on.trim().into(),
            ends_on: self.ends_on.trim().into(),
            outputs_intended: self.outputs_intended.trim().into(),
        }
    }
}

#[derive(Template)]
#[template(path = "applications.html")]
struct ListPage {
    chrome: Chrome,
    applications: Vec<Application>,
}

async fn list(AxState(state): AxState<AppState>, me: SignedIn) -> Result<Response, AppError> {
    let applications = store::of_applicant(&state.db, me.person_id).await?;
    Ok(Html(ListPage { chrome: me.chrome().await?, applications }.render()?).into_response())
}

#[derive(Template)]
#[template(path = "application.html")]
struct ApplicationPage {
    chrome: Chrome,
    application: Option<Application>,
    body: Body,
    catalogue: Vec<String>,
    votes: Vec<store::Cast>,
    decisions: Vec<(i64, String, Vec<String>)>,
    editable: bool,
    error: Option<String>,
}

async fn catalogue(state: &AppState) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar("SELECT name FROM datasets ORDER BY name")
        .fetch_all(state.db.pool())
        .await
        .map_err(StoreError::from)?)
}

async fn applicant_page(
    state: &AppState,
    me: &SignedIn,
    application: Option<Application>,
    body: Option<Body>,
    error: Option<crate::i18n::Says>,
) -> Result<Response, AppError> {
    let (votes, decisions) = match &application {
        Some(a) => (store::votes(&state.db, a.id, a.version).await?, store::decisions(&state.db, a.id).await?),
        None => (vec![], vec![]),
    };
    let body = body.or_else(|| application.as_ref().map(|a| a.draft.clone())).unwrap_or_default();
    let chrome = me.chrome().await?;
    let error = error.map(|e| chrome.says(&e));
    let page = ApplicationPage {
        chrome,
        editable: application.as_ref().is_none_or(|a| a.state.editable()),
        application,
        body,
        catalogue: catalogue(state).await?,
        votes,
        decisions,
        error,
    };
    shown(&page, page.error.is_some())
}

/// The application named by the path, if `me` applied for it (anyone else: not found).
async fn own(state: &AppState, me: &SignedIn, id: &str) -> Result<Application, AppError> {
    match store::application(&state.db, parse_id(id)?).await? {
        Some(a) if a.applicant_id == me.person_id => Ok(a),
        _ => Err(AppError::NotFound),
    }
}

async fn new_form(AxState(state): AxState<AppState>, me: SignedIn) -> Result<Response, AppError> {
    applicant_page(&state, &me, None, None, None).await
}

async fn show(AxState(state): AxState<AppState>, me: SignedIn, Path(id): Path<String>) -> Result<Response, AppError> {
    let a = own(&state, &me, &id).await?;
    applicant_page(&state, &me, Some(a), None, None).await
}

async fn create(
    AxState(state): AxState<AppState>,
    me: SignedIn,
    ValidForm(form): ValidForm<Form>,
) -> Result<Response, AppError> {
    let body = form.body();
    match store::save(&state.db, state.clock.now(), me.person_id, None, &body).await {
        Ok(id) => Ok(Redirect::to(&format!("/applications/{id}")).into_response()),
        Err(StoreError::Rule(e)) => applicant_page(&state, &me, None, Some(body), Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

async fn edit(
    AxState(state): AxState<AppState>,
    me: SignedIn,
    Path(id): Path<String>,
    ValidForm(form): ValidForm<Form>,
) -> Result<Response, AppError> {
    let a = own(&state, &me, &id).await?;
    let body = form.body();
    match store::save(&state.db, state.clock.now(), me.person_id, Some(a.id), &body).await {
        Ok(id) => Ok(Redirect::to(&format!("/applications/{id}")).into_response()),
        Err(StoreError::Rule(e)) => applicant_page(&state, &me, Some(a), Some(body), Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

async fn submit(AxState(state): AxState<AppState>, me: SignedIn, Path(id): Path<String>) -> Result<Response, AppError> {
    let a = own(&state, &me, &id).await?;
    let now = state.clock.now();
    let (training, declarations) = crate::accreditation::store::of_person(&state.db, me.person_id).await?;
    let accredited = crate::accreditation::domain::status(&training, &declarations, now.date()).map(|_| ());
    match store::submit(&state.db, now, me.person_id, a.id, accredited).await {
        Ok(_) => Ok(Redirect::to(&format!("/applications/{}", a.id)).into_response()),
        Err(StoreError::Rule(e)) => applicant_page(&state, &me, Some(a), None, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

async fn withdraw(
    AxState(state): AxState<AppState>,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let a = own(&state, &me, &id).await?;
    match store::withdraw(&state.db, state.clock.now(), me.person_id, a.id).await {
        Ok(()) => Ok(Redirect::to(&format!("/applications/{}", a.id)).into_response()),
        Err(StoreError::Rule(e)) => applicant_page(&state, &me, Some(a), None, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "board_queue.html")]
struct QueuePage {
    chrome: Chrome,
    waiting: Vec<Application>,
}

async fn queue(AxState(state): AxState<AppState>, board: Platform<ReviewApplications>) -> Result<Response, AppError> {
    let waiting = store::queue(&state.db).await?;
    Ok(Html(QueuePage { chrome: board.me.chrome().await?, waiting }.render()?).into_response())
}

#[derive(Template)]
#[template(path = "board_review.html")]
struct ReviewPage {
    chrome: Chrome,
    application: Application,
    declarations: Vec<store::Declaration>,
    mine: Option<bool>,
    votes: Vec<store::Cast>,
    decisions: Vec<(i64, String, Vec<String>)>,
    /// The votes a member may cast (stored forms; the template names them).
    choices: Vec<&'static str>,
    /// What this version changes from the one before it (an amendment from the approved
    /// version, a resubmission from the version sent back): the version compared with, and
    /// each changed field's name (a catalogue message) with its line-by-line diff.
    changes: Option<Changes>,
    error: Option<String>,
}

/// The version compared with, and each changed field: its name's message and its diff.
type Changes = (i64, Vec<(&'static str, Vec<crate::web::diff::DiffLine>)>);

/// What version `version` of application `id` changes from the version before it.
async fn changes(state: &AppState, id: i64, version: i64) -> Result<Option<Changes>, AppError> {
    if version < 2 {
        return Ok(None);
    }
    let (Some(before), Some(after)) =
        (store::version_body(&state.db, id, version - 1).await?, store::version_body(&state.db, id, version).await?)
    else {
        return Ok(None);
    };
    let fields = crate::applications::domain::changed_fields(&before, &after)
        .into_iter()
        .map(|(name, a, b)| (name, crate::web::diff::diff_lines(&a, &b)))
        .collect();
    Ok(Some((version - 1, fields)))
}

async fn review_view(
    state: &AppState,
    board: &Platform<ReviewApplications>,
    id: i64,
    error: Option<crate::i18n::Says>,
) -> Result<Response, AppError> {
    let application =
        store::application(&state.db, id).await?.filter(|a| a.state != State::Draft).ok_or(AppError::NotFound)?;
    let declarations = store::declarations(&state.db, id).await?;
    let me = board.access.person_id();
    let mine = declarations.iter().find(|d| d.0 == me).map(|d| d.2);
    let votes = store::votes(&state.db, id, application.version).await?;
    let decisions = store::decisions(&state.db, id).await?;
    let choices = Vote::all().iter().map(|v| v.as_str()).collect();
    let chrome = board.me.chrome().await?;
    let error = error.map(|e| chrome.says(&e));
    let changes = changes(state, id, application.version).await?;
    let page = ReviewPage { chrome, application, declarations, mine, votes, decisions, choices, changes, error };
    shown(&page, page.error.is_some())
}

async fn review(
    AxState(state): AxState<AppState>,
    board: Platform<ReviewApplications>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    review_view(&state, &board, parse_id(&id)?, None).await
}

#[derive(Deserialize)]
struct DeclareForm {
    conflicted: String,
    #[serde(default)]
    note: String,
}

async fn declare(
    AxState(state): AxState<AppState>,
    board: Platform<ReviewApplications>,
    Path(id): Path<String>,
    ValidForm(form): ValidForm<DeclareForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let conflicted = match form.conflicted.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            return review_view(&state, &board, id, Some(crate::says!("board-error-declare"))).await;
        }
    };
    match store::declare(&state.db, state.clock.now(), board.access.person_id(), id, conflicted, &form.note).await {
        Ok(()) => Ok(Redirect::to(&format!("/board/applications/{id}")).into_response()),
        Err(StoreError::Rule(e)) => review_view(&state, &board, id, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct VoteForm {
    vote: String,
    #[serde(default)]
    comment: String,
}

async fn vote(
    AxState(state): AxState<AppState>,
    board: Platform<ReviewApplications>,
    Path(id): Path<String>,
    ValidForm(form): ValidForm<VoteForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let Some(vote) = Vote::parse(&form.vote) else {
        return review_view(&state, &board, id, Some(crate::says!("board-error-vote"))).await;
    };
    let policy = Policy { quorum: state.config.board_quorum as usize };
    let now = state.clock.now();
    match store::vote(&state.db, &state.master, now, board.access.person_id(), id, vote, &form.comment, policy).await {
        Ok(_) => Ok(Redirect::to(&format!("/board/applications/{id}")).into_response()),
        Err(StoreError::Rule(e)) => review_view(&state, &board, id, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}
