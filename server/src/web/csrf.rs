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

fn token_matches(expected: &Option<String>, given: &Option<String>) -> bool {
    match (expected, given) {
        (Some(e), Some(g)) => e.as_bytes().ct_eq(g.as_bytes()).into(),
        _ => false,
    }
}

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
    // File uploads carry the token in the form's action URL, so that their (large) body is
    // streamed to the handler instead of being read here.
    let is_multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("multipart/form-data"));
    if is_multipart {
        let query_token = request.uri().query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "csrf_token").map(|(_, v)| v.into_owned())
        });
        let given = header_token.or(query_token);
        if token_matches(&expected, &given) {
            return next.run(request).await;
        }
        return refuse(&state, &session, request.uri().path(), given.is_some()).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
        Ok(b) => b,
        Err(_) => return AppError::BadRequest(crate::says!("error-form-too-large")).into_response(),
    };
    let given = header_token
        .or_else(|| form_urlencoded::parse(&bytes).find(|(k, _)| k == "csrf_token").map(|(_, v)| v.into_owned()));
    if !token_matches(&expected, &given) {
        return refuse(&state, &session, parts.uri.path(), given.is_some()).await;
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// Audits a refused token and answers 403.
async fn refuse(state: &AppState, session: &Session, path: &str, token_given: bool) -> Response {
    let person = session.get::<i64>(PERSON_KEY).await.ok().flatten();
    let event = AuditEvent::new(
        person.map(Actor::Person).unwrap_or(Actor::Anonymous),
        "csrf.reject",
        path.to_string(),
        Outcome::Denied,
    )
    .with_details(serde_json::json!({"token": if token_given { "wrong" } else { "missing" }}));
    if let Err(e) = crate::audit::store::record(&state.db, state.clock.now(), &event).await {
        return AppError::Internal(e.to_string()).into_response();
    }
    AppError::Forbidden(crate::says!("error-form-expired")).into_response()
}
