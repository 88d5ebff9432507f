//! Identities from OpenID providers and the persons administrators linked them to.
//!
//! An identity is its issuer and subject. The first sign-in creates it *pending*: no access.
//! Only an administrator links it to a person (the email claim is shown to help them, never
//! used to link on its own); they can unlink it (pending again) or block it. Every change is
//! one transaction with its audit entry.

use crate::audit::store::append;
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::clock::{from_millis, to_millis};
use crate::db::{Db, StoreError};
use serde_json::json;
use time::OffsetDateTime;

/// Where an identity stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Seen, not linked: no access.
    Pending,
    /// Linked to a person: signs them in.
    Linked,
    /// Refused for good (until an administrator links it again).
    Blocked,
}

impl State {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Linked => "linked",
            State::Blocked => "blocked",
        }
    }

    fn parse(s: &str) -> Option<State> {
        [State::Pending, State::Linked, State::Blocked].into_iter().find(|x| x.as_str() == s)
    }
}

/// An identity as stored.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Id.
    pub id: i64,
    /// The provider's short name.
    pub provider: String,
    /// Issuer.
    pub issuer: String,
    /// Subject.
    pub subject: String,
    /// The email claim last seen.
    pub email: String,
    /// The name claim last seen.
    pub name: String,
    /// State.
    pub state: State,
    /// The linked person and their username.
    pub person: Option<(i64, String)>,
    /// Last sign-in attempt.
    pub last_seen: OffsetDateTime,
}

impl Identity {
    /// The day of the last sign-in, for pages.
    pub fn last_seen_day(&self) -> String {
        crate::accreditation::domain::format_date(self.last_seen.date())
    }
}

type Row = (i64, String, String, String, Option<String>, Option<String>, String, Option<i64>, Option<String>, i64);

macro_rules! select_identities {
    ($rest:literal) => {
        concat!(
            "SELECT i.id, i.provider, i.issuer, i.subject, i.email, i.name, i.state, i.person_id, p.username, \
             i.last_seen FROM identities i LEFT JOIN people p ON p.id = i.person_id ",
            $rest
        )
    };
}

fn identity_of(r: Row) -> Result<Identity, StoreError> {
    Ok(Identity {
        id: r.0,
        provider: r.1,
        issuer: r.2,
        subject: r.3,
        email: r.4.unwrap_or_default(),
        name: r.5.unwrap_or_default(),
        state: State::parse(&r.6).ok_or_else(|| StoreError::Corrupt(format!("unknown identity state {}", r.6)))?,
        person: r.7.zip(r.8),
        last_seen: from_millis(r.9),
    })
}

/// Every identity, pending first, then by last sign-in.
pub async fn all(db: &Db) -> Result<Vec<Identity>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(select_identities!(
        "ORDER BY CASE i.state WHEN 'pending' THEN 0 WHEN 'linked' THEN 1 ELSE 2 END, i.last_seen DESC, i.id"
    ))
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(identity_of).collect()
}

/// One identity.
pub async fn identity(db: &Db, id: i64) -> Result<Identity, StoreError> {
    let row: Option<Row> =
        sqlx::query_as(select_identities!("WHERE i.id = $1")).bind(id).fetch_optional(db.pool()).await?;
    row.map(identity_of).transpose()?.ok_or(StoreError::NotFound)
}

/// Records a verified sign-in of (`issuer`, `subject`): a new identity is created pending
/// (audited as `identity.create`); a known one has its claims and time updated. Returns it.
pub async fn seen(
    db: &Db,
    now: OffsetDateTime,
    provider: &str,
    issuer: &str,
    subject: &str,
    email: Option<&str>,
    name: Option<&str>,
) -> Result<Identity, StoreError> {
    let mut tx = db.begin_write().await?;
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM identities WHERE issuer = $1 AND subject = $2")
        .bind(issuer)
        .bind(subject)
        .fetch_optional(&mut *tx)
        .await?;
    let id = match existing {
        Some(id) => {
            sqlx::query("UPDATE identities SET email = $1, name = $2, last_seen = $3 WHERE id = $4")
                .bind(email)
                .bind(name)
                .bind(to_millis(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            id
        }
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO identities (provider, issuer, subject, email, name, state, first_seen, last_seen) \
                 VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) RETURNING id",
            )
            .bind(provider)
            .bind(issuer)
            .bind(subject)
            .bind(email)
            .bind(name)
            .bind(to_millis(now))
            .fetch_one(&mut *tx)
            .await?;
            let event =
                AuditEvent::new(Actor::Anonymous, "identity.create", format!("identity:{id}"), Outcome::Success)
                    .with_details(json!({"provider": provider, "issuer": issuer, "subject": subject}));
            append(&mut tx, now, &event).await?;
            let who = [name, email].into_iter().flatten().collect::<Vec<_>>().join(", ");
            let message = crate::says!("notify-new-identity", provider = provider, who = who);
            crate::notifications::notify_role(&mut tx, now, "administrator", &format!("identity:{id}"), &message)
                .await?;
            id
        }
    };
    tx.commit().await?;
    identity(db, id).await
}

/// What an administrator does to an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Link to a person.
    Link(i64),
    /// Back to pending.
    Unlink,
    /// Refuse its sign-ins.
    Block,
}

/// Applies `change` to identity `id` on behalf of administrator `admin`, audited.
pub async fn change(db: &Db, now: OffsetDateTime, admin: i64, id: i64, change: Change) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    let current: Option<(String, Option<i64>)> =
        sqlx::query_as("SELECT state, person_id FROM identities WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let (current, linked_to) = current.ok_or(StoreError::NotFound)?;
    let (state, person, action) = match change {
        Change::Link(person) => {
            let active: Option<i64> = sqlx::query_scalar("SELECT active FROM people WHERE id = $1")
                .bind(person)
                .fetch_optional(&mut *tx)
                .await?;
            if active != Some(1) {
                return Err(StoreError::Rule(crate::says!("oidc-no-active-person")));
            }
            (State::Linked, Some(person), "identity.link")
        }
        Change::Unlink => (State::Pending, None, "identity.unlink"),
        Change::Block => (State::Blocked, linked_to, "identity.block"),
    };
    sqlx::query("UPDATE identities SET state = $1, person_id = $2 WHERE id = $3")
        .bind(state.as_str())
        .bind(person)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let event = AuditEvent::new(Actor::Person(admin), action, format!("identity:{id}"), Outcome::Success)
        .with_details(json!({"from": current, "to": state.as_str(), "person": person, "was": linked_to}));
    append(&mut tx, now, &event).await?;
    tx.commit().await?;
    Ok(())
}
