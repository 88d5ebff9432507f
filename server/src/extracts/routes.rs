//! The custodians' extract page: a project's current extract, its protocol, a preview of what a
//! new protocol keeps (columns kept and dropped, rows and persons kept), and the build.

use super::build::TablePreview;
use super::domain::Protocol;
use super::store;
use crate::access::extract::{ManageDatasets, Platform};
use crate::datasets::store::Committer;
use crate::web::AppState;
use crate::web::error::{AppError, ValidForm, parse_id};
use crate::web::pages::{Chrome, shown};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

/// The routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/custodian/projects/{id}/extract", get(extract_page).post(build))
        .route("/custodian/projects/{id}/extract/preview", post(preview))
}

#[derive(Template)]
#[template(path = "extract.html")]
struct ExtractPage {
    chrome: Chrome,
    project: crate::projects::domain::Project,
    current: Option<store::Extract>,
    protocol: String,
    preview: Option<Vec<TablePreview>>,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    chrome: Chrome,
    id: i64,
    protocol: String,
    preview: Option<Vec<TablePreview>>,
    error: Option<String>,
) -> Result<Response, AppError> {
    let project = crate::projects::store::project(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let current = store::latest(&state.db, id).await?;
    let page = ExtractPage { chrome, project, current, protocol, preview, error };
    shown(&page, page.error.is_some())
}

async fn extract_page(
    State(state): State<AppState>,
    custodian: Platform<ManageDatasets>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    // The current extract's protocol, pretty-printed for editing.
    let protocol = store::latest(&state.db, id)
        .await?
        .and_then(|x| serde_json::from_str::<serde_json::Value>(&x.protocol).ok())
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_default();
    page(&state, custodian.me.chrome().await?, id, protocol, None, None).await
}

#[derive(Deserialize)]
struct ProtocolForm {
    protocol: String,
}

fn parse_protocol(chrome: &Chrome, text: &str) -> Result<Protocol, String> {
    serde_json::from_str(text).map_err(|e| chrome.t1("extract-protocol-invalid", "problem", e.to_string()))
}

async fn preview(
    State(state): State<AppState>,
    custodian: Platform<ManageDatasets>,
    Path(id): Path<String>,
    ValidForm(form): ValidForm<ProtocolForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let chrome = custodian.me.chrome().await?;
    let protocol = match parse_protocol(&chrome, &form.protocol) {
        Ok(p) => p,
        Err(e) => return page(&state, chrome, id, form.protocol, None, Some(e)).await,
    };
    match store::preview_build(&state.db, &state.objects, &state.master, state.clock.now(), id, &protocol).await {
        Ok(tables) => page(&state, chrome, id, form.protocol, Some(tables), None).await,
        Err(e) => {
            let error = failure(&chrome, &e);
            page(&state, chrome, id, form.protocol, None, Some(error)).await
        }
    }
}

/// Why a build or preview failed, in `chrome`'s language. An engine failure names only the
/// step that failed (its cause is in the log, never a value).
fn failure(chrome: &Chrome, e: &super::build::ExtractError) -> String {
    match e {
        super::build::ExtractError::Protocol(m) => chrome.says(m),
        super::build::ExtractError::Engine(step) => chrome.t1("extract-build-failed", "step", step.as_str()),
        super::build::ExtractError::Objects(_) => chrome.t1("extract-build-failed", "step", "object store"),
    }
}

async fn build(
    State(state): State<AppState>,
    custodian: Platform<ManageDatasets>,
    Path(id): Path<String>,
    ValidForm(form): ValidForm<ProtocolForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let chrome = custodian.me.chrome().await?;
    let protocol = match parse_protocol(&chrome, &form.protocol) {
        Ok(p) => p,
        Err(e) => return page(&state, chrome, id, form.protocol, None, Some(e)).await,
    };
    let by = Committer::Custodian(&custodian.access);
    match store::build(&state.db, &state.objects, &state.master, state.clock.now(), by, id, &protocol).await {
        Ok(_) => Ok(Redirect::to(&format!("/custodian/projects/{id}/extract")).into_response()),
        Err(e) => {
            let error = failure(&chrome, &e);
            page(&state, chrome, id, form.protocol, None, Some(error)).await
        }
    }
}
