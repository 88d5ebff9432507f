//! Sign-in (password, then TOTP, with enrolment at first sign-in), sign-out, the home page,
//! and the administrators' pages for people and their accreditation. Handlers parse, call the
//! store, and render; the rules live in `domain.rs` and `store.rs`.

use super::domain::{
    CodeRejection, DisplayName, NewPassword, PlatformRole, Stage, ThrottlePolicy, TotpSecret, Username, verify_password,
};
use super::session::PERSON_KEY;
use super::store::{self, Creator, NewPerson, Reset};
use crate::access::extract::{ManagePeople, Platform};
use crate::accreditation::domain::{
    self as accreditation, Declaration, Lapse, Training, format_date, parse_course, parse_date,
};
use crate::accreditation::store::{self as accreditation_store, Recorder};
use crate::clock::to_millis;
use crate::projects::domain::{Membership, Project};
use crate::web::AppState;
use crate::web::auth::{CSRF_KEY, SIGNED_IN_AT_KEY, STAGE_KEY, SignedIn, csrf_token, session_state};
use crate::web::error::{AppError, ValidForm, parse_id};
use crate::web::pages::Chrome;
use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::sync::OnceLock;
use tower_sessions::Session;

/// The routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/signin", get(signin_page).post(signin))
        .route("/signin/code", get(code_page).post(code))
        .route("/signin/enrol", get(enrol_page).post(enrol))
        .route("/signin/password", get(new_password_page).post(new_password))
        .route("/account/password", get(change_password_page).post(change_password))
        .route("/signout", post(signout))
        .route("/language", post(switch_language))
        .route("/admin/people", get(people_page).post(create_person))
        .route("/admin/people/new", get(new_person_page))
        .route("/admin/people/{id}", get(person_page))
        .route("/admin/people/{id}/roles", post(set_roles))
        .route("/admin/people/{id}/email", post(set_email))
        .route("/admin/people/{id}/training", post(add_training))
        .route("/admin/people/{id}/declaration", post(add_declaration))
        .route("/admin/people/{id}/reset-password", post(reset_password))
        .route("/admin/people/{id}/reset-mfa", post(reset_mfa))
}

fn html(t: impl Template) -> Result<Response, AppError> {
    Ok(Html(t.render()?).into_response())
}

fn throttle_policy(state: &AppState) -> ThrottlePolicy {
    ThrottlePolicy {
        max_failures: i64::from(state.config.signin_max_failures),
        lockout_ms: i64::try_from(state.config.signin_lockout.as_millis()).unwrap_or(i64::MAX),
    }
}

fn unix_seconds(state: &AppState) -> u64 {
    u64::try_from(state.clock.now().unix_timestamp()).unwrap_or(0)
}

/// An anonymous page's header: just the CSRF token.
async fn anonymous_chrome(session: &Session) -> Result<Chrome, AppError> {
    Ok(Chrome { csrf: csrf_token(session).await?, ..Chrome::default() })
}

fn minutes(ms: i64) -> i64 {
    (ms + 59_999) / 60_000
}

/// Message `id` of the catalogue in the request's language, for texts a handler writes itself
/// (form errors, the reasons on error pages).
fn say(id: &str) -> String {
    Chrome::default().t(id)
}

/// The error page of a locked account (after too many failures).
fn locked_for_a_while() -> AppError {
    AppError::TooManyAttempts(crate::says!("accounts-locked"))
}

// ----- Sign-in: password -----

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage {
    chrome: Chrome,
    error: Option<String>,
    username: String,
    /// Whether local accounts may sign in here.
    local: bool,
    /// Institutions' sign-in services: short name and label.
    providers: Vec<(String, String)>,
}

async fn signin_page(State(state): State<AppState>, session: Session) -> Result<Response, AppError> {
    html(SigninPage {
        chrome: anonymous_chrome(&session).await?,
        error: None,
        username: String::new(),
        local: state.config.local_signin,
        providers: state.oidc.offered(),
    })
}

#[derive(Deserialize)]
struct SigninForm {
    username: String,
    password: String,
}

async fn signin_again(state: &AppState, session: &Session, username: String) -> Result<Response, AppError> {
    let page = SigninPage {
        chrome: anonymous_chrome(session).await?,
        error: Some(say("accounts-wrong-credentials")),
        username,
        local: true,
        providers: state.oidc.offered(),
    };
    let mut response = html(page)?;
    *response.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
    Ok(response)
}

fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(super::domain::dummy_hash)
}

async fn signin(
    State(state): State<AppState>,
    session: Session,
    ValidForm(form): ValidForm<SigninForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    if !state.config.local_signin {
        return Err(AppError::Forbidden(crate::says!("accounts-local-off")));
    }
    let Ok(username) = Username::parse(&form.username) else {
        store::record_malformed_username(&state.db, now).await?;
        return signin_again(&state, &session, String::new()).await;
    };
    let auth = store::auth_by_username(&state.db, &username).await?;
    let person = auth.as_ref().map(|a| a.id);
    if let Some(left) = store::throttle(&state.db, &username).await?.locked_for(to_millis(now)) {
        store::record_locked_attempt(&state.db, now, &username, person).await?;
        return Err(AppError::TooManyAttempts(crate::says!("accounts-locked-more-minutes", minutes = minutes(left))));
    }
    let password_ok = match auth.as_ref().and_then(|a| a.password_hash.as_deref()) {
        Some(hash) => verify_password(hash, &form.password),
        None => {
            // Same work for an unknown name as for a wrong password.
            let _ = verify_password(dummy_hash(), &form.password);
            false
        }
    };
    let auth = match auth {
        Some(a) if password_ok && a.active => a,
        Some(a) if password_ok => {
            store::record_failure(
                &state.db,
                now,
                &username,
                Some(a.id),
                "signin.password",
                "account inactive",
                throttle_policy(&state),
            )
            .await?;
            return signin_again(&state, &session, username.as_str().into()).await;
        }
        _ => {
            let reason = if person.is_some() { "wrong password" } else { "unknown username" };
            let locked = store::record_failure(
                &state.db,
                now,
                &username,
                person,
                "signin.password",
                reason,
                throttle_policy(&state),
            )
            .await?;
            if locked {
                let lockout = i64::try_from(state.config.signin_lockout.as_millis()).unwrap_or(0);
                return Err(AppError::TooManyAttempts(crate::says!(
                    "accounts-locked-minutes",
                    minutes = minutes(lockout)
                )));
            }
            return signin_again(&state, &session, username.as_str().into()).await;
        }
    };
    store::record_password_ok(&state.db, now, auth.id).await?;
    // A new session id at every change of privilege (session fixation), and nothing carried
    // over from whoever used this browser before (a half-done enrolment's secret, a stage).
    crate::i18n::clear_keeping_language(&session).await?;
    session.cycle_id().await?;
    session.insert(PERSON_KEY, auth.id).await?;
    session.insert("username", username.as_str()).await?;
    let stage = if auth.totp_enrolled { Stage::NeedsCode } else { Stage::NeedsEnrolment };
    session.insert(STAGE_KEY, stage.as_str()).await?;
    Ok(Redirect::to(match stage {
        Stage::NeedsEnrolment => "/signin/enrol",
        _ => "/signin/code",
    })
    .into_response())
}

/// The person and username of a session that passed the password step and is at `stage`.
struct Pending {
    person_id: i64,
    username: Username,
    session: Session,
}

impl Pending {
    fn expect(self, stage: Stage, stage_found: Option<Stage>) -> Result<Self, AppError> {
        if stage_found == Some(stage) { Ok(self) } else { Err(AppError::SignInRequired) }
    }
}

struct PendingAt(Pending, Option<Stage>);

impl FromRequestParts<AppState> for PendingAt {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let s = session_state(parts, state).await?;
        let username = s.session.get::<String>("username").await?;
        match (s.person_id, username.and_then(|u| Username::parse(&u).ok())) {
            (Some(person_id), Some(username)) => {
                Ok(PendingAt(Pending { person_id, username, session: s.session }, s.stage))
            }
            _ => Err(AppError::SignInRequired),
        }
    }
}

/// Marks the session as fully signed in, with a fresh id and a fresh CSRF token.
pub(crate) async fn finish_signin(state: &AppState, session: &Session) -> Result<(), AppError> {
    session.cycle_id().await?;
    // The person's own choice of language, made earlier, wins over the browser's.
    if let Some(person) = session.get::<i64>(PERSON_KEY).await?
        && let Some(lang) = store::language(&state.db, person).await?
    {
        session.insert(crate::i18n::LANG_KEY, lang.code()).await?;
    }
    session.insert(STAGE_KEY, Stage::SignedIn.as_str()).await?;
    session.insert(SIGNED_IN_AT_KEY, to_millis(state.clock.now())).await?;
    session.insert(CSRF_KEY, hex::encode(rand::random::<[u8; 32]>())).await?;
    Ok(())
}

/// After the second factor: a temporary password must be replaced first (unless the first
/// factor was an institution's sign-in, which used no password of ours); otherwise the
/// person is signed in.
async fn after_second_factor(state: &AppState, session: &Session, must_change: bool) -> Result<Response, AppError> {
    let by_institution = session.get::<String>(crate::oidc::SIGNED_IN_BY_KEY).await?.is_some();
    if must_change && !by_institution {
        session.cycle_id().await?;
        session.insert(STAGE_KEY, Stage::NeedsNewPassword.as_str()).await?;
        return Ok(Redirect::to("/signin/password").into_response());
    }
    finish_signin(state, session).await?;
    Ok(Redirect::to("/").into_response())
}

/// Records a refused code; ends the session when the account gets locked.
async fn code_refused(state: &AppState, p: &Pending, why: CodeRejection) -> Result<Option<AppError>, AppError> {
    let locked = store::record_failure(
        &state.db,
        state.clock.now(),
        &p.username,
        Some(p.person_id),
        "signin.code",
        why.as_str(),
        throttle_policy(state),
    )
    .await?;
    if locked {
        p.session.flush().await?;
        return Ok(Some(locked_for_a_while()));
    }
    Ok(None)
}

async fn refuse_if_locked(state: &AppState, p: &Pending) -> Result<(), AppError> {
    let now = state.clock.now();
    if store::throttle(&state.db, &p.username).await?.locked_for(to_millis(now)).is_some() {
        store::record_locked_attempt(&state.db, now, &p.username, Some(p.person_id)).await?;
        p.session.flush().await?;
        return Err(locked_for_a_while());
    }
    Ok(())
}

// ----- Sign-in: one-time code -----

#[derive(Template)]
#[template(path = "code.html")]
struct CodePage {
    chrome: Chrome,
    error: Option<String>,
}

async fn code_page(PendingAt(p, stage): PendingAt) -> Result<Response, AppError> {
    let p = p.expect(Stage::NeedsCode, stage)?;
    html(CodePage { chrome: anonymous_chrome(&p.session).await?, error: None })
}

#[derive(Deserialize)]
struct CodeForm {
    code: String,
}

async fn code(
    State(state): State<AppState>,
    PendingAt(p, stage): PendingAt,
    ValidForm(form): ValidForm<CodeForm>,
) -> Result<Response, AppError> {
    let p = p.expect(Stage::NeedsCode, stage)?;
    refuse_if_locked(&state, &p).await?;
    let auth = store::auth_by_id(&state.db, p.person_id).await?.ok_or(AppError::SignInRequired)?;
    let secret = auth.totp_secret.as_deref().and_then(TotpSecret::from_base32).ok_or(AppError::SignInRequired)?;
    let result = secret.check(&form.code, unix_seconds(&state), auth.totp_last_step);
    let result = match result {
        Ok(step) if store::accept_code(&state.db, state.clock.now(), p.person_id, &p.username, step).await? => Ok(()),
        Ok(_) => Err(CodeRejection::Replayed),
        Err(why) => Err(why),
    };
    match result {
        Ok(()) => after_second_factor(&state, &p.session, auth.password_must_change).await,
        Err(why) => {
            if let Some(locked) = code_refused(&state, &p, why).await? {
                return Err(locked);
            }
            let chrome = anonymous_chrome(&p.session).await?;
            let message = match why {
                CodeRejection::Replayed => chrome.t("code-replayed"),
                _ => chrome.t("code-wrong"),
            };
            let page = CodePage { chrome, error: Some(message) };
            let mut response = html(page)?;
            *response.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            Ok(response)
        }
    }
}

// ----- Sign-in: enrolment of an authenticator -----

#[derive(Template)]
#[template(path = "enrol.html")]
struct EnrolPage {
    chrome: Chrome,
    error: Option<String>,
    secret: String,
    qr_svg: String,
}

const ENROL_SECRET_KEY: &str = "enrol_secret";

fn qr_svg(url: &str) -> String {
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).quiet_zone(true).build(),
        Err(_) => String::new(),
    }
}

async fn enrol_page_for(p: &Pending, error: Option<String>) -> Result<EnrolPage, AppError> {
    let secret = match p.session.get::<String>(ENROL_SECRET_KEY).await?.and_then(|s| TotpSecret::from_base32(&s)) {
        Some(s) => s,
        None => {
            let s = TotpSecret::generate();
            p.session.insert(ENROL_SECRET_KEY, s.to_base32()).await?;
            s
        }
    };
    let url = secret.otpauth_url(p.username.as_str()).unwrap_or_default();
    Ok(EnrolPage {
        chrome: anonymous_chrome(&p.session).await?,
        error,
        secret: secret.to_base32(),
        qr_svg: qr_svg(&url),
    })
}

async fn enrol_page(PendingAt(p, stage): PendingAt) -> Result<Response, AppError> {
    let p = p.expect(Stage::NeedsEnrolment, stage)?;
    html(enrol_page_for(&p, None).await?)
}

async fn enrol(
    State(state): State<AppState>,
    PendingAt(p, stage): PendingAt,
    ValidForm(form): ValidForm<CodeForm>,
) -> Result<Response, AppError> {
    let p = p.expect(Stage::NeedsEnrolment, stage)?;
    refuse_if_locked(&state, &p).await?;
    let secret = p
        .session
        .get::<String>(ENROL_SECRET_KEY)
        .await?
        .and_then(|s| TotpSecret::from_base32(&s))
        .ok_or_else(|| AppError::BadRequest(crate::says!("enrol-expired")))?;
    match secret.check(&form.code, unix_seconds(&state), 0) {
        Ok(step) => {
            store::complete_enrolment(
                &state.db,
                state.clock.now(),
                p.person_id,
                &p.username,
                &secret.to_base32(),
                step,
            )
            .await?;
            p.session.remove_value(ENROL_SECRET_KEY).await?;
            let must_change = store::auth_by_id(&state.db, p.person_id).await?.is_some_and(|a| a.password_must_change);
            after_second_factor(&state, &p.session, must_change).await
        }
        Err(why) => {
            if let Some(locked) = code_refused(&state, &p, why).await? {
                return Err(locked);
            }
            let page = enrol_page_for(&p, Some(say("code-wrong"))).await?;
            let mut response = html(page)?;
            *response.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            Ok(response)
        }
    }
}

// ----- Choosing one's own password -----

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    chrome: Chrome,
    error: Option<String>,
    action: &'static str,
    current_needed: bool,
}

#[derive(Deserialize)]
struct PasswordForm {
    current_password: Option<String>,
    new_password: String,
    confirm_password: String,
}

/// Checks a new password against the rules and the current hash; returns its hash.
fn new_password_hash(form: &PasswordForm, current_hash: Option<&str>) -> Result<String, crate::i18n::Says> {
    let new = NewPassword::parse(&form.new_password)?;
    if form.new_password != form.confirm_password {
        return Err(crate::says!("password-differ"));
    }
    if current_hash.is_some_and(|h| verify_password(h, &form.new_password)) {
        return Err(crate::says!("password-same"));
    }
    new.hash().map_err(|e| {
        tracing::error!(error.cause = %e, "a password could not be hashed");
        crate::says!("password-not-set")
    })
}

async fn password_form(
    chrome: Chrome,
    error: Option<String>,
    action: &'static str,
    current_needed: bool,
) -> Result<Response, AppError> {
    let mut response = html(PasswordPage { chrome, error: error.clone(), action, current_needed })?;
    if error.is_some() {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

async fn new_password_page(PendingAt(p, stage): PendingAt) -> Result<Response, AppError> {
    let p = p.expect(Stage::NeedsNewPassword, stage)?;
    password_form(anonymous_chrome(&p.session).await?, None, "/signin/password", false).await
}

async fn new_password(
    State(state): State<AppState>,
    PendingAt(p, stage): PendingAt,
    ValidForm(form): ValidForm<PasswordForm>,
) -> Result<Response, AppError> {
    let p = p.expect(Stage::NeedsNewPassword, stage)?;
    let auth = store::auth_by_id(&state.db, p.person_id).await?.ok_or(AppError::SignInRequired)?;
    match new_password_hash(&form, auth.password_hash.as_deref()) {
        Ok(hash) => {
            store::set_own_password(&state.db, state.clock.now(), p.person_id, hash).await?;
            finish_signin(&state, &p.session).await?;
            Ok(Redirect::to("/").into_response())
        }
        Err(e) => {
            let chrome = anonymous_chrome(&p.session).await?;
            let error = chrome.says(&e);
            password_form(chrome, Some(error), "/signin/password", false).await
        }
    }
}

async fn change_password_page(me: SignedIn) -> Result<Response, AppError> {
    password_form(me.chrome().await?, None, "/account/password", true).await
}

async fn change_password(
    State(state): State<AppState>,
    me: SignedIn,
    ValidForm(form): ValidForm<PasswordForm>,
) -> Result<Response, AppError> {
    let auth = store::auth_by_id(&state.db, me.person_id).await?.ok_or(AppError::SignInRequired)?;
    let current = form.current_password.as_deref().unwrap_or_default();
    let current_ok = auth.password_hash.as_deref().is_some_and(|h| verify_password(h, current));
    if !current_ok {
        let username = Username::parse(&me.username).map_err(|e| AppError::Internal(crate::i18n::en(&e)))?;
        let locked = store::record_failure(
            &state.db,
            state.clock.now(),
            &username,
            Some(me.person_id),
            "person.password_change",
            "wrong current password",
            throttle_policy(&state),
        )
        .await?;
        if locked {
            me.session.flush().await?;
            return Err(locked_for_a_while());
        }
        let chrome = me.chrome().await?;
        let error = chrome.t("password-current-wrong");
        return password_form(chrome, Some(error), "/account/password", true).await;
    }
    match new_password_hash(&form, auth.password_hash.as_deref()) {
        Ok(hash) => {
            store::set_own_password(&state.db, state.clock.now(), me.person_id, hash).await?;
            // Every other session ended with the change; this one continues under a new id.
            me.session.cycle_id().await?;
            Ok(Redirect::to("/").into_response())
        }
        Err(e) => {
            let chrome = me.chrome().await?;
            let error = chrome.says(&e);
            password_form(chrome, Some(error), "/account/password", true).await
        }
    }
}

/// Ends the session; one signed in through an institution's provider is sent on to end the
/// provider's session too, when the provider offers that (RP-initiated logout).
async fn signout(State(state): State<AppState>, session: Session) -> Result<Response, AppError> {
    if let Some(person) = session.get::<i64>(PERSON_KEY).await? {
        store::record_signout(&state.db, state.clock.now(), person).await?;
    }
    let provider = session.get::<String>(crate::oidc::SIGNED_IN_BY_KEY).await?;
    let id_token = session.get::<String>(crate::oidc::ID_TOKEN_KEY).await?;
    session.flush().await?;
    if let Some(provider) = provider
        && let Some(url) = state.oidc.logout_url(&provider, id_token.as_deref()).await
    {
        return Ok(Redirect::to(&url).into_response());
    }
    Ok(Redirect::to("/signin").into_response())
}

/// The language switch in every page's header.
#[derive(Deserialize)]
struct LanguageForm {
    language: String,
}

/// Changes the pages' language: for this session, and for a signed-in person also from their
/// next sign-in on (recorded and audited). Goes back to the page the switch was on.
async fn switch_language(
    State(state): State<AppState>,
    session: Session,
    headers: axum::http::HeaderMap,
    ValidForm(form): ValidForm<LanguageForm>,
) -> Result<Response, AppError> {
    let Some(lang) = crate::i18n::Lang::parse(&form.language) else {
        return Err(AppError::BadRequest(crate::says!("no-such-language", value = form.language)));
    };
    let signed_in = session.get::<String>(STAGE_KEY).await?.as_deref() == Some(Stage::SignedIn.as_str());
    if signed_in && let Some(person) = session.get::<i64>(PERSON_KEY).await? {
        store::set_language(&state.db, state.clock.now(), person, Some(lang)).await?;
    }
    session.insert(crate::i18n::LANG_KEY, lang.code()).await?;
    Ok(Redirect::to(&page_sent_from(&headers)).into_response())
}

/// The local path (and query) of the page a form was sent from, or `/`: never another site.
fn page_sent_from(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| url::Url::parse(r).ok())
        .map(|u| match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        })
        .filter(|p| p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\"))
        .unwrap_or_else(|| "/".to_string())
}

// ----- Home -----

/// Why a person's accreditation is not valid, as pages show it: the reason's code (a variant
/// of the catalogue's `accounts-lapse`) and the day training expired, when that is the reason.
struct Lapsed {
    why: &'static str,
    on: String,
}

/// Accreditation on `today` as pages show it: the last day it is valid, or why it is not.
fn standing(training: &[Training], declarations: &[Declaration], today: time::Date) -> Result<String, Lapsed> {
    accreditation::status(training, declarations, today).map(|v| format_date(v.until)).map_err(|lapse| match lapse {
        Lapse::NoTraining => Lapsed { why: "no_training", on: String::new() },
        Lapse::TrainingExpired { on } => Lapsed { why: "expired", on: format_date(on) },
        Lapse::TrainingNotYetCompleted => Lapsed { why: "not_yet_completed", on: String::new() },
        Lapse::NoDeclaration => Lapsed { why: "no_declaration", on: String::new() },
    })
}

/// A project row on the home page.
struct ProjectRow {
    project: Project,
    /// The person's project roles active today (stored names); none when their membership ended.
    roles: Vec<&'static str>,
    usable: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    name: String,
    /// Platform roles (stored names).
    roles: Vec<&'static str>,
    accreditation: Result<String, Lapsed>,
    training: Vec<Training>,
    declarations: Vec<Declaration>,
    my_projects: Vec<ProjectRow>,
    all_projects: Option<Vec<Project>>,
    is_admin: bool,
    is_custodian: bool,
    notifications: Vec<(String, String)>,
}

async fn home(State(state): State<AppState>, me: SignedIn) -> Result<Response, AppError> {
    let today = state.clock.now().date();
    let (training, declarations) = accreditation_store::of_person(&state.db, me.person_id).await?;
    let accreditation = standing(&training, &declarations, today);
    let my_projects = crate::projects::store::of_person(&state.db, me.person_id)
        .await?
        .into_iter()
        .map(|(project, memberships): (Project, Vec<Membership>)| {
            let active: Vec<&Membership> = memberships.iter().filter(|m| m.active_on(today)).collect();
            let roles = active.iter().map(|m| m.role.as_str()).collect();
            let usable = !active.is_empty()
                && project.status == crate::projects::domain::Status::Approved
                && project.in_date(today);
            ProjectRow { project, roles, usable }
        })
        .collect();
    let oversees = me
        .roles
        .iter()
        .any(|r| matches!(r, PlatformRole::Custodian | PlatformRole::BoardMember | PlatformRole::Administrator));
    let all_projects = if oversees { Some(crate::projects::store::all(&state.db).await?) } else { None };
    let chrome = me.chrome().await?;
    html(HomePage {
        name: me.display_name.clone(),
        roles: me.roles.iter().map(|r| r.as_str()).collect(),
        accreditation,
        training,
        declarations,
        my_projects,
        all_projects,
        is_admin: me.roles.contains(&PlatformRole::Administrator),
        is_custodian: me.roles.contains(&PlatformRole::Custodian),
        notifications: crate::notifications::latest(&state.db, me.person_id, 10)
            .await?
            .into_iter()
            .map(|(at, m)| (format_date(at.date()), chrome.says(&m)))
            .collect(),
        chrome,
    })
}

// ----- Administration -----

/// A signed-in administrator, authorised (and audited) for managing people.
type Admin = Platform<ManagePeople>;

struct PersonRow {
    person: store::Person,
    accreditation: Result<String, Lapsed>,
}

#[derive(Template)]
#[template(path = "admin_people.html")]
struct PeoplePage {
    chrome: Chrome,
    people: Vec<PersonRow>,
}

async fn people_page(State(state): State<AppState>, admin: Admin) -> Result<Response, AppError> {
    let today = state.clock.now().date();
    let mut rows = Vec::new();
    for person in store::people(&state.db).await? {
        let (training, declarations) = accreditation_store::of_person(&state.db, person.id).await?;
        let accreditation = standing(&training, &declarations, today);
        rows.push(PersonRow { person, accreditation });
    }
    html(PeoplePage { chrome: admin.me.chrome().await?, people: rows })
}

#[derive(Template)]
#[template(path = "admin_new_person.html")]
struct NewPersonPage {
    chrome: Chrome,
    /// Every platform role (stored names), for the checkboxes.
    roles: Vec<&'static str>,
}

fn role_choices() -> Vec<&'static str> {
    PlatformRole::ALL.iter().map(|r| r.as_str()).collect()
}

async fn new_person_page(admin: Admin) -> Result<Response, AppError> {
    html(NewPersonPage { chrome: admin.me.chrome().await?, roles: role_choices() })
}

/// Role checkboxes: each present field is a role held.
#[derive(Deserialize, Default)]
struct RoleFields {
    role_administrator: Option<String>,
    role_custodian: Option<String>,
    role_board_member: Option<String>,
    role_researcher: Option<String>,
}

impl RoleFields {
    fn roles(&self) -> Vec<PlatformRole> {
        let mut r = Vec::new();
        for (field, role) in [
            (&self.role_administrator, PlatformRole::Administrator),
            (&self.role_custodian, PlatformRole::Custodian),
            (&self.role_board_member, PlatformRole::BoardMember),
            (&self.role_researcher, PlatformRole::Researcher),
        ] {
            if field.is_some() {
                r.push(role);
            }
        }
        r
    }
}

#[derive(Deserialize)]
struct NewPersonForm {
    username: String,
    display_name: String,
    #[serde(flatten)]
    roles: RoleFields,
}

#[derive(Template)]
#[template(path = "admin_secret.html")]
struct SecretPage {
    chrome: Chrome,
    person_id: i64,
    username: String,
    /// The heading's message id.
    what: &'static str,
    password: String,
}

async fn create_person(
    State(state): State<AppState>,
    admin: Admin,
    ValidForm(form): ValidForm<NewPersonForm>,
) -> Result<Response, AppError> {
    let username = Username::parse(&form.username).map_err(AppError::Invalid)?;
    let display_name = DisplayName::parse(&form.display_name).map_err(AppError::Invalid)?;
    let password = NewPassword::generate();
    let hash = password.hash().map_err(AppError::Internal)?;
    let roles = form.roles.roles();
    let id = store::create_person(
        &state.db,
        state.clock.now(),
        Creator::Administrator(&admin.access),
        NewPerson {
            username: &username,
            display_name: &display_name,
            password_hash: hash,
            roles: &roles,
            totp_secret: None,
            password_is_temporary: true,
        },
    )
    .await?;
    html(SecretPage {
        chrome: admin.me.chrome().await?,
        person_id: id,
        username: username.as_str().into(),
        what: "admin-secret-created",
        password: password.reveal().into(),
    })
}

#[derive(Template)]
#[template(path = "admin_person.html")]
struct PersonPage {
    chrome: Chrome,
    email: String,
    person: store::Person,
    /// Every platform role (stored name) and whether the person holds it.
    roles: Vec<(&'static str, bool)>,
    accreditation: Result<String, Lapsed>,
    training: Vec<Training>,
    declarations: Vec<Declaration>,
    today: String,
}

async fn person_page(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let person = store::person(&state.db, id).await?;
    let today = state.clock.now().date();
    let (training, declarations) = accreditation_store::of_person(&state.db, id).await?;
    let accreditation = standing(&training, &declarations, today);
    let roles = PlatformRole::ALL.iter().map(|r| (r.as_str(), person.roles.contains(r))).collect();
    html(PersonPage {
        chrome: admin.me.chrome().await?,
        email: store::email_of(&state.db, id).await?.unwrap_or_default(),
        person,
        roles,
        accreditation,
        training,
        declarations,
        today: format_date(today),
    })
}

fn back_to(id: i64) -> Response {
    Redirect::to(&format!("/admin/people/{id}")).into_response()
}

#[derive(Deserialize)]
struct EmailForm {
    #[serde(default)]
    email: String,
}

async fn set_email(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    ValidForm(form): ValidForm<EmailForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    store::set_email(&state.db, state.clock.now(), &admin.access, id, &form.email).await?;
    Ok(back_to(id))
}

async fn set_roles(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    ValidForm(form): ValidForm<RoleFields>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    store::set_roles(&state.db, state.clock.now(), &admin.access, id, &form.roles()).await?;
    Ok(back_to(id))
}

#[derive(Deserialize)]
struct TrainingForm {
    course: String,
    completed_on: String,
    expires_on: String,
}

async fn add_training(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    ValidForm(form): ValidForm<TrainingForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let training = Training {
        course: parse_course(&form.course).map_err(AppError::Invalid)?,
        completed_on: parse_date(&form.completed_on).map_err(AppError::Invalid)?,
        expires_on: parse_date(&form.expires_on).map_err(AppError::Invalid)?,
    };
    accreditation::check_training_dates(training.completed_on, training.expires_on).map_err(AppError::Invalid)?;
    accreditation_store::record_training(
        &state.db,
        state.clock.now(),
        Recorder::Administrator(&admin.access),
        id,
        &training,
    )
    .await?;
    Ok(back_to(id))
}

#[derive(Deserialize)]
struct DeclarationForm {
    version: String,
    signed_on: String,
}

async fn add_declaration(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
    ValidForm(form): ValidForm<DeclarationForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let signed_on = parse_date(&form.signed_on).map_err(AppError::Invalid)?;
    if signed_on > state.clock.now().date() {
        return Err(AppError::Invalid(crate::says!("admin-person-declaration-future")));
    }
    accreditation_store::record_declaration(
        &state.db,
        state.clock.now(),
        Recorder::Administrator(&admin.access),
        id,
        &form.version,
        signed_on,
    )
    .await?;
    Ok(back_to(id))
}

async fn reset_password(
    State(state): State<AppState>,
    admin: Admin,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let password = NewPassword::generate();
    let hash = password.hash().map_err(AppError::Internal)?;
    store::reset(&state.db, state.clock.now(), &admin.access, id, Reset::Password, Some(hash)).await?;
    let person = store::person(&state.db, id).await?;
    html(SecretPage {
        chrome: admin.me.chrome().await?,
        person_id: id,
        username: person.username,
        what: "admin-secret-reset",
        password: password.reveal().into(),
    })
}

async fn reset_mfa(State(state): State<AppState>, admin: Admin, Path(id): Path<String>) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    store::reset(&state.db, state.clock.now(), &admin.access, id, Reset::Mfa, None).await?;
    Ok(back_to(id))
}
