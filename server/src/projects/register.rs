//! The public register (Five Safes: transparency): every project the board approved, with its
//! lay summary, organisation, dates, status, the datasets it uses and the outputs released
//! (names and dates, never contents). Readable without signing in, as a page and as JSON.

use crate::accreditation::domain::format_date;
use crate::clock::from_millis;
use crate::db::{Db, StoreError};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::pages::Chrome;
use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

/// One project as the register shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// What it is for, in plain words.
    pub lay_summary: String,
    /// Who runs it.
    pub organisation: String,
    /// approved, suspended or closed.
    pub status: String,
    /// First day.
    pub starts_on: String,
    /// Last day.
    pub ends_on: String,
    /// Datasets its extracts came from.
    pub datasets: Vec<String>,
    /// Released outputs: title and day.
    pub outputs: Vec<Released>,
}

/// A released output's name and day.
#[derive(Debug, Clone, Serialize)]
pub struct Released {
    /// The output's title.
    pub title: String,
    /// The day it was released.
    pub released_on: String,
}

/// Every project past the board (not drafts), newest first.
pub async fn entries(db: &Db) -> Result<Vec<Entry>, StoreError> {
    let rows: Vec<(i64, String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT id, title, lay_summary, organisation, status, starts_on, ends_on FROM projects \
         WHERE status <> 'draft' ORDER BY id DESC",
    )
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for (id, title, lay_summary, organisation, status, starts_on, ends_on) in rows {
        let datasets: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT d.name FROM extracts e JOIN dataset_versions dv ON dv.id = e.dataset_version_id \
             JOIN datasets d ON d.id = dv.dataset_id WHERE e.project_id = $1 ORDER BY d.name",
        )
        .bind(id)
        .fetch_all(db.pool())
        .await?;
        let released: Vec<(String, i64)> = sqlx::query_as(
            "SELECT o.title, r.released_at FROM releases r JOIN outputs o ON o.id = r.output_id \
             WHERE r.project_id = $1 ORDER BY r.released_at, r.id",
        )
        .bind(id)
        .fetch_all(db.pool())
        .await?;
        let outputs = released
            .into_iter()
            .map(|(title, at)| Released { title, released_on: format_date(from_millis(at).date()) })
            .collect();
        out.push(Entry { id, title, lay_summary, organisation, status, starts_on, ends_on, datasets, outputs });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    chrome: Chrome,
    entries: Vec<Entry>,
}

/// `/register`.
pub async fn page(State(state): State<AppState>) -> Result<Response, AppError> {
    let entries = entries(&state.db).await?;
    Ok(Html(RegisterPage { chrome: Chrome::default(), entries }.render()?).into_response())
}

/// `/register.json`.
pub async fn json(State(state): State<AppState>) -> Result<Response, AppError> {
    Ok(Json(serde_json::json!({"projects": entries(&state.db).await?})).into_response())
}
