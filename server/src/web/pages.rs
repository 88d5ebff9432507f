//! The askama page structs. Templates live in the workspace's `templates/` folder; every page
//! gets a [`Chrome`] for its header (person, navigation, the CSRF token of the sign-out form).

use crate::i18n::{self, Arg, Lang};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// A rendered page: 422 Unprocessable Entity when it shows a problem with what was sent (the
/// form comes back with the reason), 200 otherwise.
pub fn shown(page: &impl Template, problem: bool) -> Result<Response, super::error::AppError> {
    let code = if problem { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((code, Html(page.render()?)).into_response())
}

/// What the header of every page needs, and the page's language.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// The page's language (the request's, see [`crate::i18n`]).
    pub lang: Lang,
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

impl Default for Chrome {
    /// The header of a page for no one, in the request's language.
    fn default() -> Self {
        Chrome {
            lang: i18n::current(),
            csrf: String::new(),
            person: None,
            is_admin: false,
            is_custodian: false,
            is_board: false,
            idle_seconds: 0,
        }
    }
}

impl Chrome {
    /// A message built away from the page (a rule, a refusal, a notification).
    pub fn says(&self, s: &i18n::Says) -> String {
        i18n::says(self.lang, s)
    }

    /// Message `id` of the catalogue.
    pub fn t(&self, id: &str) -> String {
        i18n::text(self.lang, id, None)
    }

    /// Message `id` with one argument.
    pub fn t1(&self, id: &str, name: &str, value: impl Arg) -> String {
        i18n::text(self.lang, id, Some(&i18n::args(&[(name, &value)])))
    }

    /// Message `id` with two arguments.
    pub fn t2(&self, id: &str, n1: &str, v1: impl Arg, n2: &str, v2: impl Arg) -> String {
        i18n::text(self.lang, id, Some(&i18n::args(&[(n1, &v1), (n2, &v2)])))
    }

    /// Message `id` with three arguments.
    #[allow(clippy::too_many_arguments, reason = "three name and value pairs, as the message names them")]
    pub fn t3(&self, id: &str, n1: &str, v1: impl Arg, n2: &str, v2: impl Arg, n3: &str, v3: impl Arg) -> String {
        i18n::text(self.lang, id, Some(&i18n::args(&[(n1, &v1), (n2, &v2), (n3, &v3)])))
    }

    /// A day or time (ISO 8601, as a `time::Date` or text) written the language's way.
    pub fn date(&self, iso: impl std::fmt::Display) -> String {
        i18n::date(self.lang, &iso.to_string())
    }

    /// A whole number with the language's grouping.
    pub fn num(&self, n: impl i18n::Whole) -> String {
        i18n::number(self.lang, n.whole())
    }

    /// The language's tag, for `<html lang>`.
    pub fn lang_code(&self) -> &'static str {
        self.lang.code()
    }

    /// The languages the switch offers: tag, own name, whether it is the page's.
    pub fn languages(&self) -> Vec<(&'static str, &'static str, bool)> {
        Lang::ALL.iter().map(|l| (l.code(), l.own_name(), *l == self.lang)).collect()
    }
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
