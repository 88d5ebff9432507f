//! The askama page structs. Templates live in the workspace's `templates/` folder; every page
//! gets a [`Chrome`] for its header (person, navigation, the CSRF token of the sign-out form).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// A rendered page: 422 Unprocessable Entity when it shows a problem with what was sent (the
/// form comes back with the reason), 200 otherwise.
pub fn shown(page: &impl Template, problem: bool) -> Result<Response, super::error::AppError> {
    let code = if problem { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((code, Html(page.render()?)).into_response())
}

/// What the header of every page needs.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    /// The CSRF token for forms on the page.
    pub csrf: String,
    /// The signed-in person's name, if any.
    pub person: Option<String>,
    /// Whether to show the administration link.
    pub is_admin: bool,
    /// Whether to show the custodians' review link.
    pub is_custodian: bool,
    /// Whether to show the ethics board's link.
    pub is_board: bool,
    /// Seconds without use after which the session ends (for the page's warning).
    pub idle_seconds: u64,
}

/// An error page.
#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    /// Header (empty: error pages may be shown before sign-in).
    pub chrome: Chrome,
    /// Heading.
    pub title: &'a str,
    /// What happened and what to do.
    pub message: String,
    /// HTTP status.
    pub status: u16,
}
