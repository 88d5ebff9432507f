//! Law 2: the one access decision for every request that touches a project, and the
//! capabilities it hands out.
//!
//! A handler that touches project data takes an [`extract::Authorised`] argument; the only
//! way to build one is [`store::authorise_project`], which runs [`domain::decide`] and audits
//! the decision, allowed or denied. Platform-wide actions (managing people) go through
//! [`store::authorise_platform`] in the same way.

pub mod domain;
pub mod extract;
pub mod store;

pub use domain::{Denial, PlatformAction, ProjectAction};

/// Proof that a person may take one action in one project, now. Only this module makes one.
#[derive(Debug, Clone)]
pub struct ProjectAccess {
    person_id: i64,
    project_id: i64,
    action: ProjectAction,
}

impl ProjectAccess {
    /// The person allowed.
    pub fn person_id(&self) -> i64 {
        self.person_id
    }

    /// The project.
    pub fn project_id(&self) -> i64 {
        self.project_id
    }

    /// The action allowed.
    pub fn action(&self) -> ProjectAction {
        self.action
    }
}

/// Proof that a person may take one platform-wide action, now. Only this module makes one.
#[derive(Debug, Clone)]
pub struct PlatformAccess {
    person_id: i64,
    action: PlatformAction,
}

impl PlatformAccess {
    /// The person allowed.
    pub fn person_id(&self) -> i64 {
        self.person_id
    }

    /// The action allowed.
    pub fn action(&self) -> PlatformAction {
        self.action
    }
}
