//! The project page. Its handler takes an `Authorised<_>`, so it cannot run unless the access
//! decision allowed it. (The workspace page is in `workspaces::routes`.)

use super::domain::Status;
use super::{lifecycle, store};
use crate::access::extract::{Authorised, Platform, SuspendProjects, View};
use crate::audit::Actor;
use crate::db::StoreError;
use crate::web::AppState;
use crate::web::error::{AppError, ValidForm, parse_id};
use crate::web::pages::{Chrome, shown};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

/// The routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects/{project_id}", get(project_page))
        .route("/custodian/projects/{id}/status", get(status_page))
        .route("/custodian/projects/{id}/suspend", post(suspend))
        .route("/custodian/projects/{id}/lift", post(lift))
        .route("/register", get(super::register::page))
        .route("/register.json", get(super::register::json))
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    chrome: Chrome,
    project: super::domain::Project,
    /// The person's active roles in the project (stored forms; the template names them).
    roles: Vec<&'static str>,
}

async fn project_page(State(state): State<AppState>, auth: Authorised<View>) -> Result<Response, AppError> {
    let id = auth.access.project_id();
    let project = store::project(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let today = state.clock.now().date();
    let roles = store::memberships(&state.db, id, auth.access.person_id())
        .await?
        .iter()
        .filter(|m| m.active_on(today))
        .map(|m| m.role.as_str())
        .collect();
    Ok(Html(ProjectPage { chrome: auth.me.chrome().await?, project, roles }.render()?).into_response())
}

#[derive(Template)]
#[template(path = "project_status.html")]
struct StatusPage {
    chrome: Chrome,
    project: super::domain::Project,
    error: Option<String>,
}

async fn status_page(
    State(state): State<AppState>,
    who: Platform<SuspendProjects>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    status_view(&state, &who, parse_id(&id)?, None).await
}

async fn status_view(
    state: &AppState,
    who: &Platform<SuspendProjects>,
    id: i64,
    error: Option<crate::i18n::Says>,
) -> Result<Response, AppError> {
    let project = store::project(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let chrome = who.me.chrome().await?;
    let error = error.map(|e| chrome.says(&e));
    let page = StatusPage { chrome, project, error };
    shown(&page, page.error.is_some())
}

#[derive(Deserialize)]
struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// Suspends, lifts or closes; a project that is no longer approved has its runner stopped at once.
async fn change_status(
    state: AppState,
    who: Platform<SuspendProjects>,
    id: String,
    form: ReasonForm,
    to: Status,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let reason = form.reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return status_view(&state, &who, id, Some(crate::says!("project-error-reason"))).await;
    }
    let now = state.clock.now();
    let actor = Actor::Person(who.access.person_id());
    match lifecycle::set_status(&state.db, now, actor, id, to, reason).await {
        Ok(_) => {
            if to != Status::Approved {
                lifecycle::stop_runner(&state.db, &state.workspaces, now, id, reason).await?;
            }
            Ok(Redirect::to(&format!("/custodian/projects/{id}/status")).into_response())
        }
        Err(StoreError::Rule(e)) => status_view(&state, &who, id, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

async fn suspend(
    State(state): State<AppState>,
    who: Platform<SuspendProjects>,
    Path(id): Path<String>,
    ValidForm(form): ValidForm<ReasonForm>,
) -> Result<Response, AppError> {
    change_status(state, who, id, form, Status::Suspended).await
}

async fn lift(
    State(state): State<AppState>,
    who: Platform<SuspendProjects>,
    Path(id): Path<String>,
    ValidForm(form): ValidForm<ReasonForm>,
) -> Result<Response, AppError> {
    change_status(state, who, id, form, Status::Approved).await
}
