//! The project page and the workspace entry page. Each handler takes an `Authorised<_>`, so it
//! cannot run unless the access decision allowed it.

use super::store;
use crate::access::extract::{Authorised, Query, View};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::pages::Chrome;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

/// The routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/projects/{project_id}", get(project_page))
        .route("/projects/{project_id}/workspace", get(workspace_page))
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    chrome: Chrome,
    project: super::domain::Project,
    roles: String,
}

async fn project_page(State(state): State<AppState>, auth: Authorised<View>) -> Result<Response, AppError> {
    let id = auth.access.project_id();
    let project = store::project(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let today = state.clock.now().date();
    let roles = store::memberships(&state.db, id, auth.access.person_id())
        .await?
        .iter()
        .filter(|m| m.active_on(today))
        .map(|m| m.role.label())
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Html(ProjectPage { chrome: auth.me.chrome().await?, project, roles }.render()?).into_response())
}

#[derive(Template)]
#[template(path = "workspace.html")]
struct WorkspacePage {
    chrome: Chrome,
    project: super::domain::Project,
}

async fn workspace_page(State(state): State<AppState>, auth: Authorised<Query>) -> Result<Response, AppError> {
    let project = store::project(&state.db, auth.access.project_id()).await?.ok_or(AppError::NotFound)?;
    Ok(Html(WorkspacePage { chrome: auth.me.chrome().await?, project }.render()?).into_response())
}
