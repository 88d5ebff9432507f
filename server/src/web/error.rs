//! Errors become responses here, once. Expected errors get their status and a page that says
//! what to do; anything else gets a plain page with a request id, while the cause goes to the
//! log. No SQL, path, stack trace or data value ever reaches a response.

use super::pages::ErrorPage;
use crate::db::StoreError;
use crate::i18n::Says;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

/// An error at the HTTP edge.
#[derive(Debug)]
pub enum AppError {
    /// Not signed in: go to the sign-in page.
    SignInRequired,
    /// No such page or object.
    NotFound,
    /// A malformed request.
    BadRequest(Says),
    /// A value that breaks a rule.
    Invalid(Says),
    /// A conflict with the current state.
    Conflict(Says),
    /// Access denied; the text says why.
    Forbidden(Says),
    /// Too many attempts.
    TooManyAttempts(Says),
    /// A sign-in through an institution's provider failed a check; the text says what to do.
    SigninRefused(Says),
    /// A service we depend on cannot be reached.
    Unavailable(Says),
    /// Our failure; the cause is logged with a request id.
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Rule(m) => AppError::Conflict(m),
            StoreError::NotFound => AppError::NotFound,
            StoreError::Corrupt(c) => AppError::Internal(format!("corrupt data: {c}")),
            StoreError::Db(db) => AppError::Internal(db.to_string()),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(e: tower_sessions::session::Error) -> Self {
        AppError::Internal(format!("session: {e}"))
    }
}

impl From<crate::access::store::AuthoriseError> for AppError {
    fn from(e: crate::access::store::AuthoriseError) -> Self {
        match e {
            // An unknown project is "not found" (the denial is audited all the same).
            crate::access::store::AuthoriseError::Denied(crate::access::Denial::NoSuchProject) => AppError::NotFound,
            crate::access::store::AuthoriseError::Denied(d) => AppError::Forbidden(d.says()),
            crate::access::store::AuthoriseError::Store(s) => s.into(),
        }
    }
}

/// An error page in the request's language; `title` names a message of the catalogue.
fn page(status: StatusCode, title: &str, message: Says) -> Response {
    let chrome = crate::web::pages::Chrome::default();
    let title = chrome.t(title);
    let message = chrome.says(&message);
    let body = ErrorPage { title: &title, chrome, message, status: status.as_u16() }
        .render()
        .unwrap_or_else(|_| format!("{} {title}", status.as_u16()));
    (status, Html(body)).into_response()
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::SignInRequired => Redirect::to("/signin").into_response(),
            AppError::NotFound => page(StatusCode::NOT_FOUND, "error-not-found", crate::says!("error-no-such-page")),
            AppError::BadRequest(m) => page(StatusCode::BAD_REQUEST, "error-bad-request", m),
            AppError::Invalid(m) => page(StatusCode::UNPROCESSABLE_ENTITY, "error-invalid", m),
            AppError::Conflict(m) => page(StatusCode::CONFLICT, "error-conflict", m),
            AppError::Forbidden(m) => page(StatusCode::FORBIDDEN, "error-forbidden", m),
            AppError::TooManyAttempts(m) => page(StatusCode::TOO_MANY_REQUESTS, "error-too-many", m),
            AppError::SigninRefused(m) => page(StatusCode::BAD_REQUEST, "error-signin-refused", m),
            AppError::Unavailable(m) => page(StatusCode::SERVICE_UNAVAILABLE, "error-unavailable", m),
            AppError::Internal(cause) => {
                let request_id = hex::encode(rand::random::<[u8; 8]>());
                tracing::error!(request.id = %request_id, error.cause = %cause, "request failed");
                page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error-internal",
                    crate::says!("error-internal-text", reference = request_id),
                )
            }
        }
    }
}

/// The fallback for unknown routes.
pub async fn not_found() -> AppError {
    AppError::NotFound
}

/// A form that failed to parse becomes our 400 page, not axum's text.
pub struct ValidForm<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ValidForm<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = AppError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        axum::Form::<T>::from_request(req, state)
            .await
            .map(|axum::Form(v)| ValidForm(v))
            .map_err(|_| AppError::BadRequest(crate::says!("error-form-malformed")))
    }
}

/// A numeric id from the path; anything else is "not found".
pub fn parse_id(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>().ok().filter(|n| *n > 0).ok_or(AppError::NotFound)
}
