//! The pages of sign-in through an OpenID provider: the button's POST that sends the browser
//! to the provider, the callback that signs a linked person in (or asks for the platform's
//! own one-time code when the provider did not prove MFA), and the administrators' page of
//! identities (link, unlink, block). Every outcome is audited as `signin.oidc`.

use super::store::{self, Change, Identity};
use super::{Callback, FLOW_COOKIE, FLOW_SECONDS, ID_TOKEN_KEY, Refusal, SIGNED_IN_BY_KEY};
use crate::access::extract::{ManagePeople, Platform};
use crate::accounts::domain::{Stage, Username};
use crate::accounts::session::PERSON_KEY;
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::web::AppState;
use crate::web::auth::STAGE_KEY;
use crate::web::error::{AppError, ValidForm, parse_id};
use crate::web::pages::{Chrome, shown};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/signin/oidc/{name}", get(begin))
        .route("/signin/oidc/{name}/callback", get(callback))
        .route("/admin/identities", get(identities_page))
        .route("/admin/identities/{id}/link", post(link))
        .route("/admin/identities/{id}/unlink", post(unlink))
        .route("/admin/identities/{id}/block", post(block))
}

/// Audits a refused sign-in through `provider` and shows why.
async fn refused(
    state: &AppState,
    provider: &str,
    object: Option<String>,
    refusal: Refusal,
) -> Result<Response, AppError> {
    let mut details = json!({"provider": provider, "reason": refusal.code()});
    if let Some(d) = refusal.detail() {
        details["detail"] = json!(d.chars().take(300).collect::<String>());
    }
    let object = object.unwrap_or_else(|| format!("provider:{provider}"));
    let event = AuditEvent::new(Actor::Anonymous, "signin.oidc", object, Outcome::Denied).with_details(details);
    crate::audit::store::record(&state.db, state.clock.now(), &event).await.map_err(crate::db::StoreError::from)?;
    Err(match refusal {
        Refusal::UnknownProvider => AppError::NotFound,
        Refusal::Unavailable(_) => AppError::Unavailable(refusal.message()),
        _ => AppError::SigninRefused(refusal.message()),
    })
}

/// The flow cookie's `Set-Cookie`: `value` for ten minutes, or cleared.
fn flow_cookie(state: &AppState, value: Option<&str>) -> HeaderValue {
    let secure = if state.config.secure_cookies { "; Secure" } else { "" };
    let text = match value {
        Some(v) => {
            format!("{FLOW_COOKIE}={v}; Path=/signin/oidc/; HttpOnly; SameSite=Lax; Max-Age={FLOW_SECONDS}{secure}")
        }
        None => format!("{FLOW_COOKIE}=; Path=/signin/oidc/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The sign-in button, a link: a new flow in its cookie, and the browser sent to the provider.
/// A link, not a form: the pages' `form-action 'self'` would stop a form's redirect to the
/// provider. Starting a flow needs no CSRF token: what binds the answer to this browser is
/// the flow cookie, and a flow started by someone else's page only asks this browser's own
/// person to sign in.
async fn begin(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, AppError> {
    match state.oidc.begin(&name).await {
        Ok((url, flow)) => {
            let mut response = Redirect::to(&url).into_response();
            response.headers_mut().insert(header::SET_COOKIE, flow_cookie(&state, Some(&state.oidc.seal(&flow))));
            Ok(response)
        }
        Err(refusal) => refused(&state, &name, None, refusal).await,
    }
}

#[derive(Template)]
#[template(path = "continue.html")]
struct ContinuePage {
    chrome: Chrome,
    heading: String,
    next: &'static str,
}

/// The provider's answer. Whatever happens, the flow cookie is cleared, so a callback replayed
/// finds no flow and is refused.
async fn callback(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(query): Query<Callback>,
) -> Response {
    let flow = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix(FLOW_COOKIE)?.strip_prefix('='))
        .find_map(|value| state.oidc.open(value));
    let mut response = finish(&state, &session, &name, flow, &query).await.unwrap_or_else(IntoResponse::into_response);
    response.headers_mut().append(header::SET_COOKIE, flow_cookie(&state, None));
    response
}

async fn finish(
    state: &AppState,
    session: &Session,
    name: &str,
    flow: Option<super::Flow>,
    query: &Callback,
) -> Result<Response, AppError> {
    let verified = match state.oidc.finish(name, flow, query).await {
        Ok(v) => v,
        Err(refusal) => return refused(state, name, None, refusal).await,
    };
    let now = state.clock.now();
    let identity = store::seen(
        &state.db,
        now,
        name,
        &verified.issuer,
        &verified.subject,
        verified.email.as_deref(),
        verified.name.as_deref(),
    )
    .await?;
    let object = format!("identity:{}", identity.id);
    let deny = |reason: &'static str, message: crate::i18n::Says| {
        let event = AuditEvent::new(Actor::Anonymous, "signin.oidc", object.clone(), Outcome::Denied)
            .with_details(json!({"provider": name, "reason": reason}));
        let db = state.db.clone();
        async move {
            crate::audit::store::record(&db, now, &event).await.map_err(crate::db::StoreError::from)?;
            Err::<Response, AppError>(AppError::Forbidden(message))
        }
    };
    let person = match (identity.state, identity.person) {
        (store::State::Linked, Some((person, _))) => person,
        (store::State::Blocked, _) => {
            return deny("blocked_identity", crate::says!("oidc-blocked")).await;
        }
        _ => {
            return deny("unknown_identity", crate::says!("oidc-not-linked")).await;
        }
    };
    let auth = crate::accounts::store::auth_by_id(&state.db, person).await?;
    let Some(auth) = auth.filter(|a| a.active) else {
        return deny("account_inactive", crate::says!("denial-inactive")).await;
    };
    let username: String = crate::accounts::store::person(&state.db, person).await?.username;
    // A new session id at every change of privilege (session fixation), and nothing carried
    // over from whoever used this browser before (a half-done enrolment's secret, a stage).
    crate::i18n::clear_keeping_language(session).await?;
    session.cycle_id().await?;
    session.insert(PERSON_KEY, person).await?;
    session.insert("username", &username).await?;
    session.insert(SIGNED_IN_BY_KEY, name).await?;
    session.insert(ID_TOKEN_KEY, &verified.id_token).await?;
    let mfa = if verified.mfa { "provider" } else { "platform code due" };
    let event = AuditEvent::new(Actor::Person(person), "signin.oidc", object, Outcome::Success).with_details(json!({
        "provider": name, "mfa": mfa, "amr": verified.amr, "acr": verified.acr
    }));
    crate::audit::store::record(&state.db, now, &event).await.map_err(crate::db::StoreError::from)?;
    // A page that moves on by itself rather than a redirect: the session cookie is
    // `SameSite=Strict`, and a browser sends it only on a navigation that starts on this site.
    let (heading, next) = if verified.mfa {
        crate::accounts::routes::finish_signin(state, session).await?;
        ("signed-in", "/")
    } else if auth.totp_enrolled {
        session.insert(STAGE_KEY, Stage::NeedsCode.as_str()).await?;
        ("continue-code", "/signin/code")
    } else {
        session.insert(STAGE_KEY, Stage::NeedsEnrolment.as_str()).await?;
        ("continue-enrol", "/signin/enrol")
    };
    let chrome = Chrome::default();
    let page = ContinuePage { heading: chrome.t(heading), chrome, next };
    Ok(Html(page.render()?).into_response())
}

// ----- Administration -----

type Admin = Platform<ManagePeople>;

#[derive(Template)]
#[template(path = "admin_identities.html")]
struct IdentitiesPage {
    chrome: Chrome,
    identities: Vec<Identity>,
    error: Option<String>,
}

async fn show(state: &AppState, admin: &Admin, error: Option<crate::i18n::Says>) -> Result<Response, AppError> {
    let identities = store::all(&state.db).await?;
    let problem = error.is_some();
    let chrome = admin.me.chrome().await?;
    let error = error.map(|e| chrome.says(&e));
    shown(&IdentitiesPage { chrome, identities, error }, problem)
}

async fn identities_page(State(state): State<AppState>, admin: Admin) -> Result<Response, AppError> {
    show(&state, &admin, None).await
}

#[derive(Deserialize)]
struct LinkForm {
    username: String,
}

async fn apply(state: &AppState, admin: &Admin, id: i64, change: Change) -> Result<Response, AppError> {
    match store::change(&state.db, state.clock.now(), admin.access.person_id(), id, change).await {
        Ok(()) => Ok(Redirect::to("/admin/identities").into_response()),
        Err(crate::db::StoreError::Rule(e)) => show(state, admin, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

async fn link(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    ValidForm(form): ValidForm<LinkForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let person = match Username::parse(form.username.trim()) {
        Ok(u) => crate::accounts::store::auth_by_username(&state.db, &u).await?.map(|a| a.id),
        Err(_) => None,
    };
    let Some(person) = person else {
        return show(&state, &admin, Some(crate::says!("admin-nobody-called", name = form.username.trim()))).await;
    };
    apply(&state, &admin, id, Change::Link(person)).await
}

async fn unlink(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Result<Response, AppError> {
    apply(&state, &admin, parse_id(&id)?, Change::Unlink).await
}

async fn block(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Result<Response, AppError> {
    apply(&state, &admin, parse_id(&id)?, Change::Block).await
}
