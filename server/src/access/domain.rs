//! The access decision (law 2) as a function of facts. No I/O: the caller loads the facts and
//! passes today's date; the casbin policy is pure.
//!
//! Access needs all of: a signed-in person with MFA, an active account, valid accreditation,
//! membership of the project, a project that is approved and in date, and a policy that
//! allows the action. The first unmet condition is the denial's reason.

use crate::accreditation::domain::{self as accreditation, Declaration, Lapse, Training};
use crate::projects::domain::{Membership, Project, Status};
use policy::{AccessPolicy, Grant, Request};
use time::Date;

/// What a person wants to do in a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProjectAction {
    /// See the project page.
    ViewProject,
    /// Open the workspace and query the extract.
    QueryWorkspace,
    /// Save outputs and ask for their release.
    RequestRelease,
}

impl ProjectAction {
    /// The casbin object and action.
    pub fn policy_terms(self) -> (&'static str, &'static str) {
        match self {
            ProjectAction::ViewProject => ("project", "view"),
            ProjectAction::QueryWorkspace => ("workspace", "query"),
            ProjectAction::RequestRelease => ("output", "request_release"),
        }
    }

    /// Audited name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectAction::ViewProject => "project.view",
            ProjectAction::QueryWorkspace => "workspace.query",
            ProjectAction::RequestRelease => "output.request_release",
        }
    }
}

/// A platform-wide action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlatformAction {
    /// Create people, set roles, record accreditation, reset credentials.
    ManagePeople,
    /// Ingest datasets and edit their dictionary.
    ManageDatasets,
    /// Review outputs and set the gate's parameters.
    ReviewOutputs,
    /// Suspend a project, lift a suspension, close it.
    SuspendProjects,
    /// Declare conflicts and vote on applications (the ethics board).
    ReviewApplications,
    /// Read the audit log and verify its chain.
    ViewAudit,
    /// See the workspace runners' health.
    ViewRunners,
}

impl PlatformAction {
    /// The casbin object and action.
    pub fn policy_terms(self) -> (&'static str, &'static str) {
        match self {
            PlatformAction::ManagePeople => ("people", "manage"),
            PlatformAction::ManageDatasets => ("datasets", "manage"),
            PlatformAction::ReviewOutputs => ("outputs", "review"),
            PlatformAction::SuspendProjects => ("projects", "suspend"),
            PlatformAction::ReviewApplications => ("applications", "review"),
            PlatformAction::ViewAudit => ("audit", "view"),
            PlatformAction::ViewRunners => ("runners", "view"),
        }
    }

    /// Audited name.
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformAction::ManagePeople => "people.manage",
            PlatformAction::ManageDatasets => "datasets.manage",
            PlatformAction::ReviewOutputs => "outputs.review",
            PlatformAction::SuspendProjects => "projects.suspend",
            PlatformAction::ReviewApplications => "applications.review",
            PlatformAction::ViewAudit => "audit.view",
            PlatformAction::ViewRunners => "runners.view",
        }
    }
}

/// Why access was denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// The second factor has not been given in this session.
    MfaIncomplete,
    /// The account is deactivated.
    AccountInactive,
    /// Accreditation is not valid.
    Accreditation(Lapse),
    /// No such project.
    NoSuchProject,
    /// The project is not approved (draft, suspended or closed).
    ProjectNotApproved(Status),
    /// The project's approved dates have not started.
    ProjectNotStarted(Date),
    /// The project's approved dates have ended.
    ProjectEnded(Date),
    /// Not a member of the project.
    NotMember,
    /// Was a member; the membership has ended (or not started).
    MembershipNotActive,
    /// The policy does not allow this action to the person's roles.
    NotPermitted,
    /// The policy engine failed (a bug; access is denied).
    PolicyError,
}

impl Denial {
    /// A stable code for the audit log.
    pub fn code(&self) -> &'static str {
        match self {
            Denial::MfaIncomplete => "mfa_incomplete",
            Denial::AccountInactive => "account_inactive",
            Denial::Accreditation(lapse) => lapse.code(),
            Denial::NoSuchProject => "no_such_project",
            Denial::ProjectNotApproved(_) => "project_not_approved",
            Denial::ProjectNotStarted(_) => "project_not_started",
            Denial::ProjectEnded(_) => "project_ended",
            Denial::NotMember => "not_member",
            Denial::MembershipNotActive => "membership_not_active",
            Denial::NotPermitted => "not_permitted",
            Denial::PolicyError => "policy_error",
        }
    }
}

impl Denial {
    /// The denial in the reader's words.
    pub fn says(&self) -> crate::i18n::Says {
        use crate::accreditation::domain::format_date;
        use crate::i18n::Says;
        match self {
            Denial::MfaIncomplete => crate::says!("denial-mfa"),
            Denial::AccountInactive => crate::says!("denial-inactive"),
            Denial::Accreditation(lapse) => Says { id: "denial-accreditation".into(), ..lapse.says() },
            Denial::NoSuchProject => crate::says!("denial-no-project"),
            Denial::ProjectNotApproved(s) => crate::says!("denial-not-approved", status = s.as_str()),
            Denial::ProjectNotStarted(d) => crate::says!("denial-not-started", on = format_date(*d)),
            Denial::ProjectEnded(d) => crate::says!("denial-ended", on = format_date(*d)),
            Denial::NotMember => crate::says!("denial-not-member"),
            Denial::MembershipNotActive => crate::says!("denial-membership-inactive"),
            Denial::NotPermitted => crate::says!("denial-not-permitted"),
            Denial::PolicyError => crate::says!("denial-policy-error"),
        }
    }
}

crate::english_display!(Denial);

/// Everything the decision needs about one person and one project.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The person.
    pub person_id: i64,
    /// Whether this session completed MFA.
    pub mfa: bool,
    /// Whether the account is active.
    pub active: bool,
    /// Training records.
    pub training: Vec<Training>,
    /// Declarations.
    pub declarations: Vec<Declaration>,
    /// The project, if it exists.
    pub project: Option<Project>,
    /// The person's memberships of the project.
    pub memberships: Vec<Membership>,
}

/// Conditions about the person, shared by project and platform decisions.
fn person_checks(mfa: bool, active: bool) -> Result<(), Denial> {
    if !mfa {
        return Err(Denial::MfaIncomplete);
    }
    if !active {
        return Err(Denial::AccountInactive);
    }
    Ok(())
}

/// The access decision for a project. `Ok` means every condition of law 2 holds.
pub async fn decide(facts: &Facts, action: ProjectAction, today: Date, policy: &AccessPolicy) -> Result<(), Denial> {
    person_checks(facts.mfa, facts.active)?;
    accreditation::status(&facts.training, &facts.declarations, today).map_err(Denial::Accreditation)?;
    let project = facts.project.as_ref().ok_or(Denial::NoSuchProject)?;
    if project.status != Status::Approved {
        return Err(Denial::ProjectNotApproved(project.status));
    }
    if today < project.starts_on {
        return Err(Denial::ProjectNotStarted(project.starts_on));
    }
    if today > project.ends_on {
        return Err(Denial::ProjectEnded(project.ends_on));
    }
    if facts.memberships.is_empty() {
        return Err(Denial::NotMember);
    }
    let subject = format!("person:{}", facts.person_id);
    let domain = format!("project:{}", project.id);
    let grants: Vec<Grant> = facts
        .memberships
        .iter()
        .filter(|m| m.active_on(today))
        .map(|m| Grant { subject: subject.clone(), role: m.role.as_str().to_string(), domain: domain.clone() })
        .collect();
    if grants.is_empty() {
        return Err(Denial::MembershipNotActive);
    }
    let (object, act) = action.policy_terms();
    let request = Request { subject: &subject, domain: &domain, object, action: act };
    match policy.allows(&grants, &request).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Denial::NotPermitted),
        Err(_) => Err(Denial::PolicyError),
    }
}

/// The access decision for a platform-wide action: MFA, an active account, and a platform role
/// the policy allows. (Administrators need no research accreditation to manage people.)
pub async fn decide_platform(
    person_id: i64,
    mfa: bool,
    active: bool,
    roles: &[crate::accounts::domain::PlatformRole],
    action: PlatformAction,
    policy: &AccessPolicy,
) -> Result<(), Denial> {
    person_checks(mfa, active)?;
    let subject = format!("person:{person_id}");
    let grants: Vec<Grant> = roles
        .iter()
        .map(|r| Grant {
            subject: subject.clone(),
            role: r.as_str().to_string(),
            domain: policy::access::PLATFORM_DOMAIN.to_string(),
        })
        .collect();
    let (object, act) = action.policy_terms();
    let request = Request { subject: &subject, domain: policy::access::PLATFORM_DOMAIN, object, action: act };
    match policy.allows(&grants, &request).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(Denial::NotPermitted),
        Err(_) => Err(Denial::PolicyError),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::domain::PlatformRole;
    use crate::projects::domain::ProjectRole;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 24);

    fn allowed_facts() -> Facts {
        Facts {
            person_id: 5,
            mfa: true,
            active: true,
            training: vec![Training {
                course: "Safe researcher".into(),
                completed_on: date!(2026 - 01 - 10),
                expires_on: date!(2027 - 01 - 10),
            }],
            declarations: vec![Declaration { version: "2026-1".into(), signed_on: date!(2026 - 01 - 10) }],
            project: Some(Project {
                id: 7,
                title: "P".into(),
                status: Status::Approved,
                starts_on: date!(2026 - 01 - 01),
                ends_on: date!(2027 - 12 - 31),
            }),
            memberships: vec![Membership {
                role: ProjectRole::Analyst,
                starts_on: date!(2026 - 01 - 01),
                ends_on: None,
            }],
        }
    }

    async fn check(change: impl FnOnce(&mut Facts), action: ProjectAction, expected: Result<(), Denial>) {
        let mut facts = allowed_facts();
        change(&mut facts);
        assert_eq!(decide(&facts, action, TODAY, &AccessPolicy).await, expected);
    }

    #[tokio::test]
    async fn every_condition_of_law_2_is_needed() {
        use ProjectAction::*;
        check(|_| {}, QueryWorkspace, Ok(())).await;
        check(|_| {}, ViewProject, Ok(())).await;
        check(|f| f.mfa = false, ViewProject, Err(Denial::MfaIncomplete)).await;
        check(|f| f.active = false, ViewProject, Err(Denial::AccountInactive)).await;
        check(|f| f.training.clear(), ViewProject, Err(Denial::Accreditation(Lapse::NoTraining))).await;
        check(
            |f| f.training[0].expires_on = TODAY,
            QueryWorkspace,
            Err(Denial::Accreditation(Lapse::TrainingExpired { on: TODAY })),
        )
        .await;
        check(|f| f.declarations.clear(), QueryWorkspace, Err(Denial::Accreditation(Lapse::NoDeclaration))).await;
        check(|f| f.project = None, ViewProject, Err(Denial::NoSuchProject)).await;
        for status in [Status::Draft, Status::Suspended, Status::Closed] {
            check(
                |f| f.project.as_mut().unwrap().status = status,
                QueryWorkspace,
                Err(Denial::ProjectNotApproved(status)),
            )
            .await;
        }
        check(
            |f| f.project.as_mut().unwrap().starts_on = date!(2026 - 11 - 25),
            QueryWorkspace,
            Err(Denial::ProjectNotStarted(date!(2026 - 11 - 25))),
        )
        .await;
        check(
            |f| f.project.as_mut().unwrap().ends_on = date!(2026 - 11 - 23),
            QueryWorkspace,
            Err(Denial::ProjectEnded(date!(2026 - 11 - 23))),
        )
        .await;
        // The last approved day still counts.
        check(|f| f.project.as_mut().unwrap().ends_on = TODAY, QueryWorkspace, Ok(())).await;
        check(|f| f.memberships.clear(), ViewProject, Err(Denial::NotMember)).await;
        check(
            |f| f.memberships[0].ends_on = Some(date!(2026 - 11 - 23)),
            ViewProject,
            Err(Denial::MembershipNotActive),
        )
        .await;
        check(|f| f.memberships[0].starts_on = date!(2026 - 11 - 25), ViewProject, Err(Denial::MembershipNotActive))
            .await;
        check(|f| f.memberships[0].role = ProjectRole::Observer, QueryWorkspace, Err(Denial::NotPermitted)).await;
        check(|f| f.memberships[0].role = ProjectRole::Observer, ViewProject, Ok(())).await;
        // An ended analyst role beside an active observer role: the observer may only view.
        check(
            |f| {
                f.memberships[0].ends_on = Some(date!(2026 - 06 - 01));
                f.memberships.push(Membership {
                    role: ProjectRole::Observer,
                    starts_on: date!(2026 - 06 - 02),
                    ends_on: None,
                });
            },
            QueryWorkspace,
            Err(Denial::NotPermitted),
        )
        .await;
    }

    #[tokio::test]
    async fn platform_actions_need_the_platform_role() {
        let p = &AccessPolicy;
        let admin = [PlatformRole::Administrator];
        assert_eq!(decide_platform(1, true, true, &admin, PlatformAction::ManagePeople, p).await, Ok(()));
        assert_eq!(
            decide_platform(1, false, true, &admin, PlatformAction::ManagePeople, p).await,
            Err(Denial::MfaIncomplete)
        );
        assert_eq!(
            decide_platform(1, true, false, &admin, PlatformAction::ManagePeople, p).await,
            Err(Denial::AccountInactive)
        );
        let others = [PlatformRole::Custodian, PlatformRole::BoardMember, PlatformRole::Researcher];
        assert_eq!(
            decide_platform(1, true, true, &others, PlatformAction::ManagePeople, p).await,
            Err(Denial::NotPermitted)
        );
    }
}
