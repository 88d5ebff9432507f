//! The administrators' audit page: the log filtered by actor, action, object and time, newest
//! first, a hundred entries a page, and the chain verified from the page. Reading it is itself
//! an audited access decision (`audit.view`).

use super::store::{self, Filter};
use crate::access::extract::{Platform, ViewAudit};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::pages::{Chrome, shown};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use std::collections::HashMap;

/// The routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/audit", get(audit_page))
}

/// Entries on a page.
const PAGE: i64 = 100;

#[derive(Deserialize, Default)]
struct AuditQuery {
    actor: Option<String>,
    action: Option<String>,
    object: Option<String>,
    from: Option<String>,
    until: Option<String>,
    before: Option<String>,
    verify: Option<String>,
}

/// An entry as shown.
struct Row {
    seq: i64,
    at: String,
    actor: String,
    action: String,
    object: String,
    outcome: String,
    details: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    chrome: Chrome,
    actor: String,
    action: String,
    object: String,
    from: String,
    until: String,
    rows: Vec<Row>,
    /// The query string of the next (older) page, if there is one.
    older: Option<String>,
    error: Option<String>,
    /// The verification's outcome: (intact, words).
    verified: Option<(bool, String)>,
}

fn millis_of_day(text: &str, next_day: bool) -> Result<Option<i64>, crate::i18n::Says> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let day = crate::accreditation::domain::parse_date(text)?;
    let day = if next_day { day.next_day().unwrap_or(day) } else { day };
    Ok(Some(crate::clock::to_millis(day.midnight().assume_utc())))
}

async fn audit_page(
    State(state): State<AppState>,
    admin: Platform<ViewAudit>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let chrome = admin.me.chrome().await?;
    let text = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_string();
    let (actor, action, object, from, until) =
        (text(&q.actor), text(&q.action), text(&q.object), text(&q.from), text(&q.until));
    let people = crate::accounts::store::people(&state.db).await?;
    let names: HashMap<String, String> =
        people.iter().map(|p| (format!("person:{}", p.id), p.username.clone())).collect();
    let mut error = None;
    // The actor is given as a username (or system, anonymous, person:N).
    let stored_actor = match actor.as_str() {
        "" | "system" | "anonymous" => actor.clone(),
        a if a.starts_with("person:") => a.to_string(),
        name => match people.iter().find(|p| p.username == name) {
            Some(p) => format!("person:{}", p.id),
            None => {
                error = Some(chrome.t1("admin-nobody-called", "name", name));
                String::new()
            }
        },
    };
    let from_ms = millis_of_day(&from, false).unwrap_or_else(|e| {
        error = Some(chrome.says(&e));
        None
    });
    let until_ms = millis_of_day(&until, true).unwrap_or_else(|e| {
        error = Some(chrome.says(&e));
        None
    });
    let before_seq = q.before.as_deref().and_then(|b| b.parse::<i64>().ok()).unwrap_or(i64::MAX);
    let filter = Filter {
        actor: stored_actor,
        action: action.clone(),
        object: object.clone(),
        from_ms: from_ms.unwrap_or(i64::MIN),
        until_ms: until_ms.unwrap_or(i64::MAX),
        before_seq,
    };
    let found = if error.is_some() {
        Vec::new()
    } else {
        store::search(&state.db, &filter, PAGE).await.map_err(|e| AppError::Internal(e.to_string()))?
    };
    let older = (found.len() as i64 == PAGE).then(|| {
        let last = found.last().map(|r| r.0).unwrap_or(0);
        let pairs = [("actor", &actor), ("action", &action), ("object", &object), ("from", &from), ("until", &until)];
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            query.append_pair(k, v);
        }
        query.append_pair("before", &last.to_string());
        query.finish()
    });
    let rows = found
        .into_iter()
        .map(|(seq, at, actor, action, object, outcome, details)| Row {
            seq,
            at: crate::clock::from_millis(at)
                .format(time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC"))
                .unwrap_or_default(),
            actor: names.get(&actor).cloned().unwrap_or(actor),
            action,
            object,
            outcome,
            details,
        })
        .collect();
    let verified = match q.verify.as_deref() {
        Some("1") => Some(match store::verify(&state.db).await {
            Ok(v) => (true, chrome.t2("admin-audit-verified", "entries", chrome.num(v.entries), "hash", &v.head)),
            Err(e) => (false, chrome.t1("admin-audit-broken", "reason", e.to_string())),
        }),
        _ => None,
    };
    let problem = error.is_some();
    let page = AuditPage { chrome, actor, action, object, from, until, rows, older, error, verified };
    shown(&page, problem)
}
