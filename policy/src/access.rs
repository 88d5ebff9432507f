//! The casbin half of law 2: whether a person's roles allow an action on an object in a domain.
//!
//! The model and base policy are compiled into the binary; role assignments are passed in by
//! the caller at each decision (the server reads them from its database). Nothing here reads a
//! file or keeps state between decisions, so two decisions never influence each other.

use casbin::{CoreApi, DefaultModel, Enforcer, StringAdapter};

/// The casbin model: RBAC with domains.
pub const MODEL: &str = include_str!("../model/access_model.conf");
/// The permissions of each role.
pub const BASE_POLICY: &str = include_str!("../model/base_policy.csv");

/// The domain of platform-wide roles.
pub const PLATFORM_DOMAIN: &str = "platform";

/// Errors of the policy engine itself (never a denial: a denial is `Ok(false)`).
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The model or base policy could not be loaded: a bug in this crate's files.
    #[error("the access model could not be loaded: {0}")]
    Model(String),
    /// A name would not be a single casbin token.
    #[error("invalid name in an access request: {0:?}")]
    InvalidName(String),
}

/// One role held by a subject in a domain ("person:3 is analyst in project:7").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The subject, e.g. `person:3`.
    pub subject: String,
    /// The role, e.g. `analyst`.
    pub role: String,
    /// The domain, e.g. `project:7` or `platform`.
    pub domain: String,
}

/// One access request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<'a> {
    /// The subject asking, e.g. `person:3`.
    pub subject: &'a str,
    /// The domain, e.g. `project:7`.
    pub domain: &'a str,
    /// The object, e.g. `workspace`.
    pub object: &'a str,
    /// The action, e.g. `query`.
    pub action: &'a str,
}

/// The access policy: the model and base policy, ready to judge requests.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccessPolicy;

/// A name used in a request or grant must be one plain token: no separators that casbin's
/// policy text would split on, no matcher syntax, and no `*` (patterns belong to the base
/// policy only; a role held "in project:*" must not match every project).
fn check_name(name: &str) -> Result<(), PolicyError> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-'));
    if ok { Ok(()) } else { Err(PolicyError::InvalidName(name.to_string())) }
}

impl AccessPolicy {
    /// Decides one request given the subject's grants. Returns `Ok(true)` when some role of the
    /// subject in the request's domain allows the action on the object.
    pub async fn allows(&self, grants: &[Grant], request: &Request<'_>) -> Result<bool, PolicyError> {
        for name in [request.subject, request.domain, request.object, request.action] {
            check_name(name)?;
        }
        let mut text = String::from(BASE_POLICY);
        text.push('\n');
        for g in grants {
            for name in [&g.subject, &g.role, &g.domain] {
                check_name(name)?;
            }
            text.push_str(&format!("g, {}, {}, {}\n", g.subject, g.role, g.domain));
        }
        let model = DefaultModel::from_str(MODEL).await.map_err(|e| PolicyError::Model(e.to_string()))?;
        let enforcer =
            Enforcer::new(model, StringAdapter::new(text)).await.map_err(|e| PolicyError::Model(e.to_string()))?;
        enforcer
            .enforce((request.subject, request.domain, request.object, request.action))
            .map_err(|e| PolicyError::Model(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(subject: &str, role: &str, domain: &str) -> Grant {
        Grant { subject: subject.into(), role: role.into(), domain: domain.into() }
    }

    async fn check(grants: &[Grant], req: (&str, &str, &str, &str), expected: bool) {
        let request = Request { subject: req.0, domain: req.1, object: req.2, action: req.3 };
        let got = AccessPolicy.allows(grants, &request).await.expect("policy loads");
        assert_eq!(got, expected, "{req:?} with {grants:?}");
    }

    #[tokio::test]
    async fn project_roles_are_scoped_to_their_project() {
        let g = [grant("person:1", "analyst", "project:7")];
        check(&g, ("person:1", "project:7", "workspace", "query"), true).await;
        check(&g, ("person:1", "project:8", "workspace", "query"), false).await;
        check(&g, ("person:2", "project:7", "workspace", "query"), false).await;
        check(&g, ("person:1", "project:7", "project", "manage_team"), false).await;
        check(&g, ("person:1", "platform", "people", "manage"), false).await;
    }

    #[tokio::test]
    async fn observers_view_but_do_not_query() {
        let g = [grant("person:1", "observer", "project:7")];
        check(&g, ("person:1", "project:7", "project", "view"), true).await;
        check(&g, ("person:1", "project:7", "workspace", "query"), false).await;
    }

    #[tokio::test]
    async fn platform_roles_do_not_reach_into_projects() {
        let g = [grant("person:1", "administrator", "platform"), grant("person:1", "custodian", "platform")];
        check(&g, ("person:1", "platform", "people", "manage"), true).await;
        check(&g, ("person:1", "project:7", "workspace", "query"), false).await;
        check(&g, ("person:1", "project:7", "project", "view"), false).await;
    }

    #[tokio::test]
    async fn patterns_are_refused_outside_the_base_policy() {
        // A role held "in project:*" would match every project: refused, as is a request for
        // the pattern domain itself.
        let g = [grant("person:1", "analyst", "project:*")];
        let request = Request { subject: "person:1", domain: "project:7", object: "workspace", action: "query" };
        assert!(AccessPolicy.allows(&g, &request).await.is_err());
        let g = [grant("person:1", "analyst", "project:7")];
        let request = Request { subject: "person:1", domain: "project:*", object: "workspace", action: "query" };
        assert!(AccessPolicy.allows(&g, &request).await.is_err());
    }

    #[tokio::test]
    async fn names_that_could_inject_policy_are_refused() {
        let g = [grant("person:1, analyst, project:7\np", "analyst", "project:7")];
        let request = Request { subject: "person:1", domain: "project:7", object: "workspace", action: "query" };
        assert!(AccessPolicy.allows(&g, &request).await.is_err());
        let request = Request { subject: "person:1 ", domain: "project:7", object: "workspace", action: "query" };
        assert!(AccessPolicy.allows(&[], &request).await.is_err());
    }
}
