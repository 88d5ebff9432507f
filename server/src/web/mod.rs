//! The HTTP edge: the router, the shared state, sessions, CSRF, security headers, the error
//! pages, and the health probes. Handlers live in each area's `routes.rs`.

pub mod auth;
pub mod csrf;
pub mod diff;
pub mod error;
pub mod pages;

use crate::accounts::session::DbSessionStore;
use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use policy::AccessPolicy;
use std::sync::Arc;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// The one clock.
    pub clock: Arc<dyn Clock>,
    /// The configuration.
    pub config: Arc<Config>,
    /// The access policy.
    pub policy: AccessPolicy,
    /// The object store.
    pub objects: crate::objects::Objects,
    /// The master key (opens project keys for extract builds).
    pub master: Arc<crate::keys::MasterKey>,
    /// The workspaces' runner processes.
    pub workspaces: Arc<crate::workspaces::Supervisor>,
    /// Institutions' OpenID providers.
    pub oidc: Arc<crate::oidc::Providers>,
}

const STYLE_CSS: &str = include_str!("../../../templates/static/style.css");
const SCRIPT_JS: &str = include_str!("../../../templates/static/tre.js");

async fn script() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        SCRIPT_JS,
    )
        .into_response()
}

/// `/session/alive`: nothing but a request, which the session layer counts as use (the page's
/// "Stay signed in").
async fn alive() -> StatusCode {
    StatusCode::NO_CONTENT
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")], STYLE_CSS)
        .into_response()
}

/// `/healthz`: the process is alive.
async fn healthz() -> &'static str {
    "ok"
}

/// `/readyz`: the database answers and its migrations are current, and the object store
/// accepts a write and gives it back.
async fn readyz(State(state): State<AppState>) -> Response {
    if !state.db.ping().await {
        return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response();
    }
    if let Err(e) = state.objects.check().await {
        tracing::warn!(error.cause = %e, "object store not ready");
        return (StatusCode::SERVICE_UNAVAILABLE, "object store unavailable").into_response();
    }
    let runners = match state.workspaces.readiness() {
        Ok(missing) if missing.is_empty() => "workspace runners: every protection holds".to_string(),
        Ok(missing) => format!("workspace runners: protections unavailable: {}", missing.join("; ")),
        Err(e) => format!("workspace runners cannot start: {e}"),
    };
    let mut notes = vec![runners];
    let providers = state.oidc.readiness().await;
    if !providers.is_empty() {
        notes.push(format!("sign-in providers not reachable yet: {}", providers.join(", ")));
    }
    if let Some(how) = state.clock.shifted() {
        notes.push(format!("clock: {how}"));
    }
    match state.db.migrations_current().await {
        Ok(true) => format!("ready\n{}\n", notes.join("\n")).into_response(),
        Ok(false) => (StatusCode::SERVICE_UNAVAILABLE, "migrations pending").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response(),
    }
}

/// Headers every response carries: no framing, no sniffing, a strict content security policy
/// (no inline script), and no caching of pages (they may show data about people and projects).
async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    let store = DbSessionStore::new(state.db.clone(), state.clock.clone());
    let idle = time::Duration::try_from(state.config.session_idle).unwrap_or(time::Duration::minutes(30));
    let sessions = SessionManagerLayer::new(store)
        .with_name("tre_session")
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(state.config.secure_cookies)
        .with_always_save(true)
        .with_expiry(Expiry::OnInactivity(idle));

    Router::new()
        .merge(crate::accounts::routes::routes())
        .merge(crate::projects::routes::routes())
        .merge(crate::datasets::routes::routes())
        .merge(crate::extracts::routes::routes())
        .merge(crate::workspaces::routes::routes())
        .merge(crate::outputs::routes::routes())
        .merge(crate::applications::routes::routes())
        .merge(crate::oidc::routes::routes())
        .merge(crate::audit::routes::routes())
        .route("/static/style.css", get(style))
        .route("/static/tre.js", get(script))
        .route("/session/alive", get(alive))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .fallback(error::not_found)
        .layer(axum::middleware::from_fn_with_state(state.clone(), csrf::check))
        .layer(axum::middleware::from_fn(crate::i18n::layer))
        .layer(sessions)
        .layer(axum::middleware::map_response(security_headers))
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        .with_state(state)
}
