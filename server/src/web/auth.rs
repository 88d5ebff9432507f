//! Who is asking: the session's person and sign-in stage, and the `SignedIn` extractor that
//! only yields a person who completed both factors within the session's lifetime.

use super::AppState;
use super::error::AppError;
use super::pages::Chrome;
use crate::accounts::domain::{PlatformRole, Stage};
use crate::accounts::session::PERSON_KEY;
use crate::accounts::store as accounts;
use crate::clock::to_millis;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tower_sessions::Session;

/// Session key of the sign-in stage.
pub const STAGE_KEY: &str = "stage";
/// Session key of the time both factors were completed (ms).
pub const SIGNED_IN_AT_KEY: &str = "signed_in_at";
/// Session key of the CSRF token.
pub const CSRF_KEY: &str = "csrf";

/// The session as found on a request.
#[derive(Debug, Clone)]
pub struct SessionState {
    /// The session itself.
    pub session: Session,
    /// The person, once the password was accepted.
    pub person_id: Option<i64>,
    /// Where signing in stands.
    pub stage: Option<Stage>,
}

impl SessionState {
    /// Whether both factors were completed.
    pub fn mfa(&self) -> bool {
        self.stage == Some(Stage::SignedIn)
    }
}

/// The session's CSRF token, created on first use.
pub async fn csrf_token(session: &Session) -> Result<String, AppError> {
    if let Some(t) = session.get::<String>(CSRF_KEY).await? {
        return Ok(t);
    }
    let t = hex::encode(rand::random::<[u8; 32]>());
    session.insert(CSRF_KEY, &t).await?;
    Ok(t)
}

/// Reads the session, ending it if it outlived its maximum lifetime.
pub async fn session_state(parts: &mut Parts, state: &AppState) -> Result<SessionState, AppError> {
    let session = Session::from_request_parts(parts, state)
        .await
        .map_err(|_| AppError::Internal("session layer missing".into()))?;
    let person_id = session.get::<i64>(PERSON_KEY).await?;
    let stage = session.get::<String>(STAGE_KEY).await?.as_deref().and_then(Stage::parse);
    if let Some(at) = session.get::<i64>(SIGNED_IN_AT_KEY).await? {
        let max = i64::try_from(state.config.session_max.as_millis()).unwrap_or(i64::MAX);
        if to_millis(state.clock.now()) - at > max {
            session.flush().await?;
            return Ok(SessionState { session: Session::clone(&session), person_id: None, stage: None });
        }
    }
    Ok(SessionState { session, person_id, stage })
}

/// A person signed in with both factors, on an active account.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The person.
    pub person_id: i64,
    /// Their platform roles, read at this request (role changes apply at once).
    pub roles: Vec<PlatformRole>,
    /// Username and name, for the page header.
    pub username: String,
    /// Name.
    pub display_name: String,
    /// The session.
    pub session: Session,
    /// Seconds without use after which the session ends.
    pub idle_seconds: u64,
}

impl SignedIn {
    /// The page header for this person.
    pub async fn chrome(&self) -> Result<Chrome, AppError> {
        Ok(Chrome {
            csrf: csrf_token(&self.session).await?,
            person: Some(self.display_name.clone()),
            is_admin: self.roles.contains(&PlatformRole::Administrator),
            is_custodian: self.roles.contains(&PlatformRole::Custodian),
            is_board: self.roles.contains(&PlatformRole::BoardMember),
            idle_seconds: self.idle_seconds,
            ..Chrome::default()
        })
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let s = session_state(parts, state).await?;
        let (Some(person_id), true) = (s.person_id, s.mfa()) else {
            return Err(AppError::SignInRequired);
        };
        let person = match accounts::person(&state.db, person_id).await {
            Ok(p) if p.active => p,
            Ok(_) | Err(crate::db::StoreError::NotFound) => {
                s.session.flush().await?;
                return Err(AppError::SignInRequired);
            }
            Err(e) => return Err(e.into()),
        };
        Ok(SignedIn {
            person_id,
            roles: person.roles,
            username: person.username,
            display_name: person.display_name,
            session: s.session,
            idle_seconds: state.config.session_idle.as_secs(),
        })
    }
}
