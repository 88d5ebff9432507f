//! The extractor that puts law 2 in front of every project route: a handler that takes
//! `Authorised<A>` runs only after the access decision for action `A` on the project in the
//! path allowed it, and that decision is audited either way.

use super::store::{authorise_platform, authorise_project};
use super::{PlatformAccess, PlatformAction, ProjectAccess, ProjectAction};
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::web::AppState;
use crate::web::auth::{SignedIn, session_state};
use crate::web::error::{AppError, parse_id};
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use std::collections::HashMap;
use std::marker::PhantomData;

/// An action a route needs, as a type.
pub trait Needs: Send + Sync {
    /// The action.
    const ACTION: ProjectAction;
}

/// Viewing the project page.
pub struct View;
impl Needs for View {
    const ACTION: ProjectAction = ProjectAction::ViewProject;
}

/// Using the workspace.
pub struct Query;
impl Needs for Query {
    const ACTION: ProjectAction = ProjectAction::QueryWorkspace;
}

/// Saving outputs and asking for their release.
pub struct Release;
impl Needs for Release {
    const ACTION: ProjectAction = ProjectAction::RequestRelease;
}

/// A request allowed to take action `A` in the project named by the path's `project_id`.
pub struct Authorised<A: Needs> {
    /// The capability.
    pub access: ProjectAccess,
    /// The person.
    pub me: SignedIn,
    _action: PhantomData<A>,
}

impl<A: Needs> FromRequestParts<AppState> for Authorised<A> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Path(params) =
            Path::<HashMap<String, String>>::from_request_parts(parts, state).await.map_err(|_| AppError::NotFound)?;
        let project_id = parse_id(params.get("project_id").ok_or(AppError::NotFound)?)?;
        let s = session_state(parts, state).await?;
        let Some(person_id) = s.person_id else {
            let event =
                AuditEvent::new(Actor::Anonymous, "access.decision", format!("project:{project_id}"), Outcome::Denied)
                    .with_details(serde_json::json!({"action": A::ACTION.as_str(), "reason": "not_signed_in"}));
            crate::audit::store::record(&state.db, state.clock.now(), &event)
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            return Err(AppError::SignInRequired);
        };
        let access = authorise_project(
            &state.db,
            state.clock.as_ref(),
            &state.policy,
            person_id,
            s.mfa(),
            project_id,
            A::ACTION,
        )
        .await?;
        // The decision saw MFA complete, so this cannot refuse for want of it; it loads the header data.
        let me = SignedIn::from_request_parts(parts, state).await?;
        Ok(Authorised { access, me, _action: PhantomData })
    }
}

/// A platform-wide action a route needs, as a type.
pub trait NeedsPlatform: Send + Sync {
    /// The action.
    const ACTION: PlatformAction;
}

/// Managing people (administrators).
pub struct ManagePeople;
impl NeedsPlatform for ManagePeople {
    const ACTION: PlatformAction = PlatformAction::ManagePeople;
}

/// Managing datasets (custodians).
pub struct ManageDatasets;
impl NeedsPlatform for ManageDatasets {
    const ACTION: PlatformAction = PlatformAction::ManageDatasets;
}

/// Reviewing outputs (custodians).
pub struct ReviewOutputs;
impl NeedsPlatform for ReviewOutputs {
    const ACTION: PlatformAction = PlatformAction::ReviewOutputs;
}

/// Suspending and closing projects (custodians, board members).
pub struct SuspendProjects;
impl NeedsPlatform for SuspendProjects {
    const ACTION: PlatformAction = PlatformAction::SuspendProjects;
}

/// Reviewing applications (the ethics board).
pub struct ReviewApplications;
impl NeedsPlatform for ReviewApplications {
    const ACTION: PlatformAction = PlatformAction::ReviewApplications;
}

/// Reading the audit log (administrators).
pub struct ViewAudit;
impl NeedsPlatform for ViewAudit {
    const ACTION: PlatformAction = PlatformAction::ViewAudit;
}

/// Seeing the workspace runners' health (administrators).
pub struct ViewRunners;
impl NeedsPlatform for ViewRunners {
    const ACTION: PlatformAction = PlatformAction::ViewRunners;
}

/// A signed-in person allowed to take platform action `A`; the decision is audited either way.
pub struct Platform<A: NeedsPlatform> {
    /// The capability.
    pub access: PlatformAccess,
    /// The person.
    pub me: SignedIn,
    _action: PhantomData<A>,
}

impl<A: NeedsPlatform> FromRequestParts<AppState> for Platform<A> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let me = SignedIn::from_request_parts(parts, state).await?;
        let access =
            authorise_platform(&state.db, state.clock.as_ref(), &state.policy, me.person_id, true, A::ACTION).await?;
        Ok(Platform { access, me, _action: PhantomData })
    }
}
