//! Storage of people, platform roles, sign-in state and throttling. Each state change is one
//! transaction that writes its audit entry inside it.

use super::domain::{DisplayName, PlatformRole, Throttle, ThrottlePolicy, Username};
use crate::access::PlatformAccess;
use crate::audit::store::append;
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::clock::to_millis;
use crate::db::{Db, StoreError};
use serde_json::json;
use sqlx::Row;
use time::OffsetDateTime;

/// What signing in needs to know about a person.
#[derive(Debug, Clone)]
pub struct PersonAuth {
    /// Id.
    pub id: i64,
    /// argon2id hash; `None` for accounts without a local password.
    pub password_hash: Option<String>,
    /// Base32 TOTP secret once enrolled.
    pub totp_secret: Option<String>,
    /// Whether enrolment finished.
    pub totp_enrolled: bool,
    /// The last accepted TOTP step (codes of this step or earlier are replays).
    pub totp_last_step: i64,
    /// Whether the account may sign in.
    pub active: bool,
    /// Whether the password is temporary and must be replaced at this sign-in.
    pub password_must_change: bool,
}

fn auth_from_row(row: &sqlx::any::AnyRow) -> Result<PersonAuth, sqlx::Error> {
    Ok(PersonAuth {
        id: row.try_get("id")?,
        password_hash: row.try_get("password_hash")?,
        totp_secret: row.try_get("totp_secret")?,
        totp_enrolled: row.try_get::<i64, _>("totp_enrolled")? != 0,
        totp_last_step: row.try_get("totp_last_step")?,
        active: row.try_get::<i64, _>("active")? != 0,
        password_must_change: row.try_get::<i64, _>("password_must_change")? != 0,
    })
}

const AUTH_COLUMNS: &str =
    "id, password_hash, totp_secret, totp_enrolled, totp_last_step, active, password_must_change";

/// The sign-in facts of the person with this username.
pub async fn auth_by_username(db: &Db, username: &Username) -> Result<Option<PersonAuth>, StoreError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {AUTH_COLUMNS} FROM people WHERE username = $1"));
    let row = sqlx::query(sql).bind(username.as_str()).fetch_optional(db.pool()).await?;
    Ok(row.as_ref().map(auth_from_row).transpose()?)
}

/// The sign-in facts of the person with this id.
pub async fn auth_by_id(db: &Db, id: i64) -> Result<Option<PersonAuth>, StoreError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {AUTH_COLUMNS} FROM people WHERE id = $1"));
    let row = sqlx::query(sql).bind(id).fetch_optional(db.pool()).await?;
    Ok(row.as_ref().map(auth_from_row).transpose()?)
}

/// The throttling state of a username (known or not).
pub async fn throttle(db: &Db, username: &Username) -> Result<Throttle, StoreError> {
    let row: Option<(i64, i64, i64)> =
        sqlx::query_as("SELECT failures, last_failure_at, locked_until FROM signin_throttle WHERE username = $1")
            .bind(username.as_str())
            .fetch_optional(db.pool())
            .await?;
    Ok(row
        .map(|(failures, last_failure_at, locked_until)| Throttle { failures, last_failure_at, locked_until })
        .unwrap_or_default())
}

fn actor_of(person: Option<i64>) -> Actor {
    person.map(Actor::Person).unwrap_or(Actor::Anonymous)
}

/// Records a failed password or code for `username`: one more failure, a lockout when the
/// limit is reached, and the audit entries, in one transaction. Returns whether a lockout
/// started.
pub async fn record_failure(
    db: &Db,
    now: OffsetDateTime,
    username: &Username,
    person: Option<i64>,
    action: &'static str,
    reason: &str,
    policy: ThrottlePolicy,
) -> Result<bool, StoreError> {
    let now_ms = to_millis(now);
    let mut tx = db.begin_write().await?;
    let row: Option<(i64, i64, i64)> =
        sqlx::query_as("SELECT failures, last_failure_at, locked_until FROM signin_throttle WHERE username = $1")
            .bind(username.as_str())
            .fetch_optional(&mut *tx)
            .await?;
    let current = row
        .map(|(failures, last_failure_at, locked_until)| Throttle { failures, last_failure_at, locked_until })
        .unwrap_or_default();
    let (next, locked) = current.after_failure(now_ms, policy);
    sqlx::query(
        "INSERT INTO signin_throttle (username, failures, last_failure_at, locked_until)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (username) DO UPDATE SET failures = excluded.failures,
         last_failure_at = excluded.last_failure_at, locked_until = excluded.locked_until",
    )
    .bind(username.as_str())
    .bind(next.failures)
    .bind(next.last_failure_at)
    .bind(next.locked_until)
    .execute(&mut *tx)
    .await?;
    let event = AuditEvent::new(actor_of(person), action, format!("username:{}", username.as_str()), Outcome::Denied)
        .with_details(json!({"reason": reason, "failures": next.failures}));
    append(&mut tx, now, &event).await?;
    if locked {
        let event = AuditEvent::new(
            actor_of(person),
            "signin.lockout",
            format!("username:{}", username.as_str()),
            Outcome::Denied,
        )
        .with_details(json!({"failures": next.failures, "locked_until": next.locked_until}));
        append(&mut tx, now, &event).await?;
    }
    tx.commit().await?;
    Ok(locked)
}

/// Records an attempt refused because the username is locked.
pub async fn record_locked_attempt(
    db: &Db,
    now: OffsetDateTime,
    username: &Username,
    person: Option<i64>,
) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    let event = AuditEvent::new(
        actor_of(person),
        "signin.password",
        format!("username:{}", username.as_str()),
        Outcome::Denied,
    )
    .with_details(json!({"reason": "temporarily locked after repeated failures"}));
    append(&mut tx, now, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// Records an accepted password (the first factor).
pub async fn record_password_ok(db: &Db, now: OffsetDateTime, person: i64) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    append(
        &mut tx,
        now,
        &AuditEvent::new(Actor::Person(person), "signin.password", format!("person:{person}"), Outcome::Success),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Marks TOTP `step` as used by `person` and completes the sign-in, unless that step (or a
/// later one) was already used: then nothing changes and `false` is returned. The check and
/// the update are one statement, so two concurrent uses of one code cannot both succeed.
pub async fn accept_code(
    db: &Db,
    now: OffsetDateTime,
    person: i64,
    username: &Username,
    step: i64,
) -> Result<bool, StoreError> {
    let mut tx = db.begin_write().await?;
    let updated = sqlx::query("UPDATE people SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1")
        .bind(step)
        .bind(person)
        .execute(&mut *tx)
        .await?;
    if updated.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM signin_throttle WHERE username = $1").bind(username.as_str()).execute(&mut *tx).await?;
    append(
        &mut tx,
        now,
        &AuditEvent::new(Actor::Person(person), "signin.complete", format!("person:{person}"), Outcome::Success)
            .with_details(json!({"mfa": "totp"})),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Stores a confirmed TOTP secret for `person` and completes the sign-in.
pub async fn complete_enrolment(
    db: &Db,
    now: OffsetDateTime,
    person: i64,
    username: &Username,
    secret_base32: &str,
    step: i64,
) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    let updated = sqlx::query(
        "UPDATE people SET totp_secret = $1, totp_enrolled = 1, totp_last_step = $2
         WHERE id = $3 AND totp_enrolled = 0",
    )
    .bind(secret_base32)
    .bind(step)
    .bind(person)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::Rule(crate::says!("account-has-authenticator")));
    }
    sqlx::query("DELETE FROM signin_throttle WHERE username = $1").bind(username.as_str()).execute(&mut *tx).await?;
    append(
        &mut tx,
        now,
        &AuditEvent::new(Actor::Person(person), "mfa.enrol", format!("person:{person}"), Outcome::Success),
    )
    .await?;
    append(
        &mut tx,
        now,
        &AuditEvent::new(Actor::Person(person), "signin.complete", format!("person:{person}"), Outcome::Success)
            .with_details(json!({"mfa": "totp"})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The language a person chose for the pages, if any.
pub async fn language(db: &Db, person: i64) -> Result<Option<crate::i18n::Lang>, StoreError> {
    let row: Option<(Option<String>,)> =
        sqlx::query_as("SELECT language FROM people WHERE id = $1").bind(person).fetch_optional(db.pool()).await?;
    let (tag,) = row.ok_or(StoreError::NotFound)?;
    Ok(tag.as_deref().and_then(crate::i18n::Lang::parse))
}

/// Records the language a person chose (`None`: follow the browser).
pub async fn set_language(
    db: &Db,
    now: OffsetDateTime,
    person: i64,
    lang: Option<crate::i18n::Lang>,
) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    let tag = lang.map(crate::i18n::Lang::code);
    let changed = sqlx::query("UPDATE people SET language = $1 WHERE id = $2")
        .bind(tag)
        .bind(person)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    append(
        &mut tx,
        now,
        &AuditEvent::new(Actor::Person(person), "account.language", format!("person:{person}"), Outcome::Success)
            .with_details(json!({ "language": tag })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records a sign-out.
pub async fn record_signout(db: &Db, now: OffsetDateTime, person: i64) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    append(
        &mut tx,
        now,
        &AuditEvent::new(Actor::Person(person), "signout", format!("person:{person}"), Outcome::Success),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A person as listed for administrators and shown in the page header.
#[derive(Debug, Clone)]
pub struct Person {
    /// Id.
    pub id: i64,
    /// Username.
    pub username: String,
    /// Name.
    pub display_name: String,
    /// Platform roles.
    pub roles: Vec<PlatformRole>,
    /// Whether an authenticator is enrolled.
    pub mfa_enrolled: bool,
    /// Whether the account may sign in.
    pub active: bool,
}

/// The platform roles of a person.
pub async fn roles_of(db: &Db, person: i64) -> Result<Vec<PlatformRole>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT role FROM platform_roles WHERE person_id = $1")
        .bind(person)
        .fetch_all(db.pool())
        .await?;
    let mut roles: Vec<PlatformRole> = rows.iter().filter_map(|(r,)| PlatformRole::parse(r)).collect();
    roles.sort();
    Ok(roles)
}

/// One person.
pub async fn person(db: &Db, id: i64) -> Result<Person, StoreError> {
    let row: Option<(i64, String, String, i64, i64)> =
        sqlx::query_as("SELECT id, username, display_name, totp_enrolled, active FROM people WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    let (id, username, display_name, mfa_enrolled, active) = row.ok_or(StoreError::NotFound)?;
    Ok(Person {
        id,
        username,
        display_name,
        roles: roles_of(db, id).await?,
        mfa_enrolled: mfa_enrolled != 0,
        active: active != 0,
    })
}

/// Everyone, by username.
pub async fn people(db: &Db) -> Result<Vec<Person>, StoreError> {
    let rows: Vec<(i64, String, String, i64, i64)> =
        sqlx::query_as("SELECT id, username, display_name, totp_enrolled, active FROM people ORDER BY username")
            .fetch_all(db.pool())
            .await?;
    let roles: Vec<(i64, String)> =
        sqlx::query_as("SELECT person_id, role FROM platform_roles").fetch_all(db.pool()).await?;
    Ok(rows
        .into_iter()
        .map(|(id, username, display_name, mfa_enrolled, active)| {
            let mut r: Vec<PlatformRole> =
                roles.iter().filter(|(p, _)| *p == id).filter_map(|(_, name)| PlatformRole::parse(name)).collect();
            r.sort();
            Person { id, username, display_name, roles: r, mfa_enrolled: mfa_enrolled != 0, active: active != 0 }
        })
        .collect())
}

/// Whether anyone exists yet (a fresh installation has nobody).
pub async fn anyone_exists(db: &Db) -> Result<bool, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM people").fetch_one(db.pool()).await?;
    Ok(n > 0)
}

/// Who is creating a person: an administrator (checked by the caller holding the capability),
/// or the platform itself when it bootstraps an installation.
#[derive(Debug, Clone, Copy)]
pub enum Creator<'a> {
    /// An administrator acting through the portal.
    Administrator(&'a PlatformAccess),
    /// `tre admin create-administrator` or the demo seed, run by whoever operates the server.
    Bootstrap,
}

impl Creator<'_> {
    fn actor(&self) -> Actor {
        match self {
            Creator::Administrator(a) => Actor::Person(a.person_id()),
            Creator::Bootstrap => Actor::System,
        }
    }
}

/// A new person to create.
#[derive(Debug)]
pub struct NewPerson<'a> {
    /// Username.
    pub username: &'a Username,
    /// Name.
    pub display_name: &'a DisplayName,
    /// argon2id hash of the temporary password.
    pub password_hash: String,
    /// Roles.
    pub roles: &'a [PlatformRole],
    /// A TOTP secret already confirmed out of band (the demo seed); `None`: enrol at first sign-in.
    pub totp_secret: Option<String>,
    /// Whether the password is temporary (given by an administrator) and must be replaced at
    /// the first sign-in.
    pub password_is_temporary: bool,
}

/// Creates a person with roles, audited.
pub async fn create_person(
    db: &Db,
    now: OffsetDateTime,
    by: Creator<'_>,
    new: NewPerson<'_>,
) -> Result<i64, StoreError> {
    let mut tx = db.begin_write().await?;
    let taken: Option<(i64,)> = sqlx::query_as("SELECT id FROM people WHERE username = $1")
        .bind(new.username.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(StoreError::Rule(crate::says!("username-taken", username = new.username.as_str())));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO people (username, display_name, password_hash, totp_secret, totp_enrolled, password_must_change, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(new.username.as_str())
    .bind(new.display_name.as_str())
    .bind(&new.password_hash)
    .bind(&new.totp_secret)
    .bind(i64::from(new.totp_secret.is_some()))
    .bind(i64::from(new.password_is_temporary))
    .bind(to_millis(now))
    .fetch_one(&mut *tx)
    .await?;
    for role in new.roles {
        sqlx::query("INSERT INTO platform_roles (person_id, role, granted_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(role.as_str())
            .bind(to_millis(now))
            .execute(&mut *tx)
            .await?;
    }
    let roles: Vec<&str> = new.roles.iter().map(|r| r.as_str()).collect();
    append(
        &mut tx,
        now,
        &AuditEvent::new(by.actor(), "person.create", format!("person:{id}"), Outcome::Success)
            .with_details(json!({"username": new.username.as_str(), "roles": roles})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Replaces a person's platform roles.
pub async fn set_roles(
    db: &Db,
    now: OffsetDateTime,
    admin: &PlatformAccess,
    person: i64,
    roles: &[PlatformRole],
) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    let exists: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM people WHERE id = $1").bind(person).fetch_optional(&mut *tx).await?;
    if exists.is_none() {
        return Err(StoreError::NotFound);
    }
    if person == admin.person_id() && !roles.contains(&PlatformRole::Administrator) {
        return Err(StoreError::Rule(crate::says!("own-admin-role")));
    }
    sqlx::query("DELETE FROM platform_roles WHERE person_id = $1").bind(person).execute(&mut *tx).await?;
    for role in roles {
        sqlx::query("INSERT INTO platform_roles (person_id, role, granted_at) VALUES ($1, $2, $3)")
            .bind(person)
            .bind(role.as_str())
            .bind(to_millis(now))
            .execute(&mut *tx)
            .await?;
    }
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    append(
        &mut tx,
        now,
        &AuditEvent::new(
            Actor::Person(admin.person_id()),
            "person.roles",
            format!("person:{person}"),
            Outcome::Success,
        )
        .with_details(json!({"roles": names})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A person's email address, if one is recorded.
pub async fn email_of(db: &Db, person: i64) -> Result<Option<String>, StoreError> {
    let email: Option<Option<String>> =
        sqlx::query_scalar("SELECT email FROM people WHERE id = $1").bind(person).fetch_optional(db.pool()).await?;
    Ok(email.flatten())
}

/// Records (or, with an empty text, removes) the address a person's notifications are also
/// emailed to. Audited.
pub async fn set_email(
    db: &Db,
    now: OffsetDateTime,
    admin: &PlatformAccess,
    person: i64,
    email: &str,
) -> Result<(), StoreError> {
    let email = email.trim();
    let value = if email.is_empty() {
        None
    } else if email.len() <= 254 && email.parse::<lettre::Address>().is_ok() {
        Some(email.to_string())
    } else {
        return Err(StoreError::Rule(crate::says!("invalid-email", value = email)));
    };
    let mut tx = db.begin_write().await?;
    let updated =
        sqlx::query("UPDATE people SET email = $1 WHERE id = $2").bind(&value).bind(person).execute(&mut *tx).await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    let event =
        AuditEvent::new(Actor::Person(admin.person_id()), "person.email", format!("person:{person}"), Outcome::Success)
            .with_details(json!({"set": value.is_some()}));
    append(&mut tx, now, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// What an administrator resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reset {
    /// A new temporary password (given as its hash).
    Password,
    /// The authenticator: the person enrols a new one at the next sign-in.
    Mfa,
}

/// Resets a person's password or authenticator and ends all their sessions.
pub async fn reset(
    db: &Db,
    now: OffsetDateTime,
    admin: &PlatformAccess,
    person: i64,
    what: Reset,
    new_hash: Option<String>,
) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    let result = match (what, new_hash) {
        (Reset::Password, Some(hash)) => {
            sqlx::query("UPDATE people SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(person)
                .execute(&mut *tx)
                .await?
        }
        (Reset::Mfa, _) => {
            sqlx::query("UPDATE people SET totp_secret = NULL, totp_enrolled = 0 WHERE id = $1")
                .bind(person)
                .execute(&mut *tx)
                .await?
        }
        (Reset::Password, None) => return Err(StoreError::Rule(crate::says!("reset-needs-password"))),
    };
    if result.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    let ended = sqlx::query("DELETE FROM sessions WHERE person_id = $1").bind(person).execute(&mut *tx).await?;
    let action = match what {
        Reset::Password => "person.reset_password",
        Reset::Mfa => "person.reset_mfa",
    };
    append(
        &mut tx,
        now,
        &AuditEvent::new(Actor::Person(admin.person_id()), action, format!("person:{person}"), Outcome::Success)
            .with_details(json!({"sessions_ended": ended.rows_affected()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a person's own new password (after a temporary one, or from their account page) and
/// ends every session of theirs; the caller gives the current session a new id.
pub async fn set_own_password(db: &Db, now: OffsetDateTime, person: i64, hash: String) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    let updated = sqlx::query("UPDATE people SET password_hash = $1, password_must_change = 0 WHERE id = $2")
        .bind(hash)
        .bind(person)
        .execute(&mut *tx)
        .await?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    let ended = sqlx::query("DELETE FROM sessions WHERE person_id = $1").bind(person).execute(&mut *tx).await?;
    append(
        &mut tx,
        now,
        &AuditEvent::new(Actor::Person(person), "person.password_change", format!("person:{person}"), Outcome::Success)
            .with_details(json!({"sessions_ended": ended.rows_affected()})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes session records past their expiry (housekeeping; sessions past expiry are already
/// refused when loaded). Returns how many were deleted.
pub async fn delete_expired_sessions(db: &Db, now: OffsetDateTime) -> Result<u64, StoreError> {
    let done =
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(to_millis(now)).execute(db.pool()).await?;
    Ok(done.rows_affected())
}

/// Records a sign-in attempt with a username that is not even well-formed (nothing to
/// throttle, but the attempt is audited).
pub async fn record_malformed_username(db: &Db, now: OffsetDateTime) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    append(
        &mut tx,
        now,
        &AuditEvent::new(Actor::Anonymous, "signin.password", "username:(malformed)", Outcome::Denied)
            .with_details(json!({"reason": "malformed username"})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod testing {
    //! People for other modules' storage tests.

    use super::*;

    /// Creates an active person with one platform role; returns the id.
    pub async fn person(db: &Db, username: &str, role: PlatformRole) -> i64 {
        let now = OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap();
        create_person(
            db,
            now,
            Creator::Bootstrap,
            NewPerson {
                username: &Username::parse(username).unwrap(),
                display_name: &DisplayName::parse(username).unwrap(),
                password_hash: "x".into(),
                roles: &[role],
                totp_secret: None,
                password_is_temporary: false,
            },
        )
        .await
        .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap()
    }

    async fn make(db: &Db, name: &str) -> i64 {
        let username = Username::parse(name).unwrap();
        let display = DisplayName::parse(name).unwrap();
        create_person(
            db,
            now(),
            Creator::Bootstrap,
            NewPerson {
                username: &username,
                display_name: &display,
                password_hash: "x".into(),
                roles: &[PlatformRole::Researcher],
                totp_secret: None,
                password_is_temporary: true,
            },
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_taken_username_is_refused_and_nothing_is_written() {
        for db in testing::both().await {
            make(&db, "alice").await;
            let username = Username::parse("Alice").unwrap();
            let display = DisplayName::parse("Another Alice").unwrap();
            let err = create_person(
                &db,
                now(),
                Creator::Bootstrap,
                NewPerson {
                    username: &username,
                    display_name: &display,
                    password_hash: "x".into(),
                    roles: &[],
                    totp_secret: None,
                    password_is_temporary: true,
                },
            )
            .await
            .expect_err("taken");
            assert!(matches!(err, StoreError::Rule(_)));
            assert_eq!(people(&db).await.unwrap().len(), 1);
            assert_eq!(crate::audit::store::verify(&db).await.unwrap().entries, 1);
        }
    }

    #[tokio::test]
    async fn a_code_step_is_accepted_once_even_when_raced() {
        for db in testing::both().await {
            let id = make(&db, "bob").await;
            let username = Username::parse("bob").unwrap();
            let mut tasks = Vec::new();
            for _ in 0..6 {
                let db = db.clone();
                let username = username.clone();
                tasks.push(tokio::spawn(async move { accept_code(&db, now(), id, &username, 100).await.unwrap() }));
            }
            let mut accepted = 0;
            for t in tasks {
                accepted += usize::from(t.await.unwrap());
            }
            assert_eq!(accepted, 1, "{:?}", db.backend());
            assert!(!accept_code(&db, now(), id, &username, 99).await.unwrap());
            assert!(accept_code(&db, now(), id, &username, 101).await.unwrap());
        }
    }

    #[tokio::test]
    async fn failures_lock_the_username_and_are_audited() {
        for db in testing::both().await {
            let username = Username::parse("nobody").unwrap();
            let policy = ThrottlePolicy { max_failures: 3, lockout_ms: 60_000 };
            let mut locked = false;
            for _ in 0..3 {
                locked = record_failure(&db, now(), &username, None, "signin.password", "unknown username", policy)
                    .await
                    .unwrap();
            }
            assert!(locked);
            let t = throttle(&db, &username).await.unwrap();
            assert!(t.locked_for(to_millis(now())).is_some());
            let lockouts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'signin.lockout'")
                .fetch_one(db.pool())
                .await
                .unwrap();
            assert_eq!(lockouts, 1);
        }
    }
}
