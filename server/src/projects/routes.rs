//! The project page. Its handler takes an `Authorised<_>`, so it cannot run unless the access
//! decision allowed it. (The workspace page is in `workspaces::routes`.)

use super::store;
use crate::access::extract::{Authorised, View};
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
    Router::new().route("/projects/{project_id}", get(project_page))
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
