//! CSRF protection for every state-changing request: the form field `csrf_token` (or the
//! header `x-csrf-token`) must equal the session's token. Checked here, in one middleware, so
//! no handler can forget it. A refusal is audited.

use super::AppState;
use super::auth::CSRF_KEY;
use super::error::AppError;
use crate::accounts::session::PERSON_KEY;
use crate::audit::{Actor, AuditEvent, Outcome};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;
use tower_sessions::Session;

/// Largest form body accepted.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The middleware.
pub async fn check(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return AppError::Internal("session layer missing".into()).into_response();
    };
    let expected = match session.get::<String>(CSRF_KEY).await {
        Ok(v) => v,
        Err(e) => return AppError::from(e).into_response(),
    };
    let header_token = request.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_string);
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
        Ok(b) => b,
        Err(_) => return AppError::BadRequest("The form is too large.".into()).into_response(),
    };
    let given = header_token
        .or_else(|| form_urlencoded::parse(&bytes).find(|(k, _)| k == "csrf_token").map(|(_, v)| v.into_owned()));
    let valid = match (&expected, &given) {
        (Some(e), Some(g)) => e.as_bytes().ct_eq(g.as_bytes()).into(),
        _ => false,
    };
    if !valid {
        let person = session.get::<i64>(PERSON_KEY).await.ok().flatten();
        let event = AuditEvent::new(
            person.map(Actor::Person).unwrap_or(Actor::Anonymous),
            "csrf.reject",
            parts.uri.path().to_string(),
            Outcome::Denied,
        )
        .with_details(serde_json::json!({"token": if given.is_some() { "wrong" } else { "missing" }}));
        if let Err(e) = crate::audit::store::record(&state.db, state.clock.now(), &event).await {
            return AppError::Internal(e.to_string()).into_response();
        }
        return AppError::Forbidden(
            "This form has expired or did not come from this site. Reload the page and try again.".into(),
        )
        .into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
