//! The askama page structs. Templates live in the workspace's `templates/` folder; every page
//! gets a [`Chrome`] for its header (person, navigation, the CSRF token of the sign-out form).

use askama::Template;

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
