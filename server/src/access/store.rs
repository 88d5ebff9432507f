//! Loads the facts of an access decision, decides, and audits the decision (law 2, law 5).
//! Fails closed: when the decision cannot be recorded, access is not granted.

use super::domain::{self, Denial, Facts, PlatformAction, ProjectAction};
use super::{PlatformAccess, ProjectAccess};
use crate::accounts::store as accounts;
use crate::accreditation::store as accreditation;
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::clock::Clock;
use crate::db::{Db, StoreError};
use crate::projects::store as projects;
use policy::AccessPolicy;
use serde_json::json;

/// The outcome of an authorisation attempt.
#[derive(Debug, thiserror::Error)]
pub enum AuthoriseError {
    /// Denied, and the denial is audited.
    #[error("{0}")]
    Denied(Denial),
    /// The facts could not be read or the decision not recorded.
    #[error(transparent)]
    Store(#[from] StoreError),
}

async fn audit_decision(
    db: &Db,
    clock: &dyn Clock,
    person_id: i64,
    object: String,
    action: &'static str,
    result: &Result<(), Denial>,
) -> Result<(), StoreError> {
    let event = match result {
        Ok(()) => AuditEvent::new(Actor::Person(person_id), "access.decision", object, Outcome::Success)
            .with_details(json!({"action": action})),
        Err(denial) => AuditEvent::new(Actor::Person(person_id), "access.decision", object, Outcome::Denied)
            .with_details(json!({"action": action, "reason": denial.code(), "message": denial.to_string()})),
    };
    crate::audit::store::record(db, clock.now(), &event).await?;
    Ok(())
}

async fn facts_of(db: &Db, person_id: i64, mfa: bool, project_id: i64) -> Result<Facts, StoreError> {
    let auth = accounts::auth_by_id(db, person_id).await?;
    let (training, declarations) = accreditation::of_person(db, person_id).await?;
    Ok(Facts {
        person_id,
        mfa,
        active: auth.as_ref().is_some_and(|a| a.active),
        training,
        declarations,
        project: projects::project(db, project_id).await?,
        memberships: projects::memberships(db, project_id, person_id).await?,
    })
}

/// Whether `person_id` would be allowed `action` in `project_id` on `today` if they asked now
/// (signed in with MFA): the background checks of law 7, which audit their own cuts. Not a
/// capability: nothing is granted by it.
pub async fn would_allow(
    db: &Db,
    policy: &AccessPolicy,
    person_id: i64,
    project_id: i64,
    action: ProjectAction,
    today: time::Date,
) -> Result<Result<(), Denial>, StoreError> {
    let facts = facts_of(db, person_id, true, project_id).await?;
    Ok(domain::decide(&facts, action, today, policy).await)
}

/// Decides whether `person_id` (whose session has or has not completed MFA) may take `action`
/// in `project_id` now, records the decision, and returns the capability when allowed.
pub async fn authorise_project(
    db: &Db,
    clock: &dyn Clock,
    policy: &AccessPolicy,
    person_id: i64,
    mfa: bool,
    project_id: i64,
    action: ProjectAction,
) -> Result<ProjectAccess, AuthoriseError> {
    let facts = facts_of(db, person_id, mfa, project_id).await?;
    let today = clock.now().date();
    let result = domain::decide(&facts, action, today, policy).await;
    audit_decision(db, clock, person_id, format!("project:{project_id}"), action.as_str(), &result).await?;
    result.map_err(AuthoriseError::Denied)?;
    Ok(ProjectAccess { person_id, project_id, action })
}

/// Decides a platform-wide action, records the decision, and returns the capability when allowed.
pub async fn authorise_platform(
    db: &Db,
    clock: &dyn Clock,
    policy: &AccessPolicy,
    person_id: i64,
    mfa: bool,
    action: PlatformAction,
) -> Result<PlatformAccess, AuthoriseError> {
    let auth = accounts::auth_by_id(db, person_id).await?;
    let roles = accounts::roles_of(db, person_id).await?;
    let active = auth.as_ref().is_some_and(|a| a.active);
    let result = domain::decide_platform(person_id, mfa, active, &roles, action, policy).await;
    audit_decision(db, clock, person_id, "platform".to_string(), action.as_str(), &result).await?;
    result.map_err(AuthoriseError::Denied)?;
    Ok(PlatformAccess { person_id, action })
}

/// The command line's authorisation: `tre dataset ingest --custodian NAME` and the like are run
/// by whoever operates the server, who already holds the database and object-store
/// credentials, so no session or MFA stands behind them. The named person must still be
/// active and hold a role that allows the action; the decision is audited as made on the
/// command line. The name stands out in a search on purpose.
pub async fn authorise_command_line_operator(
    db: &Db,
    clock: &dyn Clock,
    policy: &AccessPolicy,
    username: &crate::accounts::domain::Username,
    action: PlatformAction,
) -> Result<PlatformAccess, AuthoriseError> {
    let auth = accounts::auth_by_username(db, username).await?.ok_or_else(|| {
        AuthoriseError::Store(StoreError::Rule(crate::says!("nobody-called", username = username.as_str())))
    })?;
    let roles = accounts::roles_of(db, auth.id).await?;
    let result = domain::decide_platform(auth.id, true, auth.active, &roles, action, policy).await;
    let event = match &result {
        Ok(()) => AuditEvent::new(Actor::Person(auth.id), "access.decision", "platform", Outcome::Success)
            .with_details(json!({"action": action.as_str(), "channel": "command line"})),
        Err(denial) => AuditEvent::new(Actor::Person(auth.id), "access.decision", "platform", Outcome::Denied)
            .with_details(json!({"action": action.as_str(), "channel": "command line", "reason": denial.code()})),
    };
    crate::audit::store::record(db, clock.now(), &event).await.map_err(StoreError::from)?;
    result.map_err(AuthoriseError::Denied)?;
    Ok(PlatformAccess { person_id: auth.id, action })
}
