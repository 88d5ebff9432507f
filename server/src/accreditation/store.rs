//! Storage of training records and declarations.

use super::domain::{Declaration, Training, format_date, parse_date};
use crate::access::PlatformAccess;
use crate::audit::store::append;
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::clock::to_millis;
use crate::db::{Db, StoreError};
use serde_json::json;
use time::{Date, OffsetDateTime};

/// A person's training records and declarations.
pub async fn of_person(db: &Db, person: i64) -> Result<(Vec<Training>, Vec<Declaration>), StoreError> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT course, completed_on, expires_on FROM training_records WHERE person_id = $1 ORDER BY completed_on DESC",
    )
    .bind(person)
    .fetch_all(db.pool())
    .await?;
    let training = rows
        .into_iter()
        .filter_map(|(course, c, e)| {
            Some(Training { course, completed_on: parse_date(&c).ok()?, expires_on: parse_date(&e).ok()? })
        })
        .collect();
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT version, signed_on FROM declarations WHERE person_id = $1 ORDER BY signed_on DESC")
            .bind(person)
            .fetch_all(db.pool())
            .await?;
    let declarations = rows
        .into_iter()
        .filter_map(|(version, s)| Some(Declaration { version, signed_on: parse_date(&s).ok()? }))
        .collect();
    Ok((training, declarations))
}

/// Who records accreditation: an administrator, or the demo seed.
#[derive(Debug, Clone, Copy)]
pub enum Recorder<'a> {
    /// An administrator through the portal.
    Administrator(&'a PlatformAccess),
    /// The demo seed, recorded as done by the demo administrator.
    Seed {
        /// The demo administrator's id.
        admin: i64,
    },
}

impl Recorder<'_> {
    fn person(&self) -> i64 {
        match self {
            Recorder::Administrator(a) => a.person_id(),
            Recorder::Seed { admin } => *admin,
        }
    }
}

async fn person_exists(tx: &mut crate::db::WriteTx, person: i64) -> Result<(), StoreError> {
    let exists: Option<(i64,)> =
        sqlx::query_as("SELECT id FROM people WHERE id = $1").bind(person).fetch_optional(&mut **tx).await?;
    exists.map(|_| ()).ok_or(StoreError::NotFound)
}

/// Records completed training.
pub async fn record_training(
    db: &Db,
    now: OffsetDateTime,
    by: Recorder<'_>,
    person: i64,
    training: &Training,
) -> Result<(), StoreError> {
    super::domain::check_training_dates(training.completed_on, training.expires_on).map_err(StoreError::Rule)?;
    let mut tx = db.begin_write().await?;
    person_exists(&mut tx, person).await?;
    sqlx::query(
        "INSERT INTO training_records (person_id, course, completed_on, expires_on, recorded_by, recorded_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(person)
    .bind(&training.course)
    .bind(format_date(training.completed_on))
    .bind(format_date(training.expires_on))
    .bind(by.person())
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await?;
    append(
        &mut tx,
        now,
        &AuditEvent::new(
            Actor::Person(by.person()),
            "accreditation.training",
            format!("person:{person}"),
            Outcome::Success,
        )
        .with_details(json!({
            "course": training.course,
            "completed_on": format_date(training.completed_on),
            "expires_on": format_date(training.expires_on),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records a signed declaration.
pub async fn record_declaration(
    db: &Db,
    now: OffsetDateTime,
    by: Recorder<'_>,
    person: i64,
    version: &str,
    signed_on: Date,
) -> Result<(), StoreError> {
    let version = version.trim();
    if version.is_empty() || version.len() > 40 || version.chars().any(char::is_control) {
        return Err(StoreError::Rule(crate::says!("invalid-declaration-version")));
    }
    let mut tx = db.begin_write().await?;
    person_exists(&mut tx, person).await?;
    sqlx::query(
        "INSERT INTO declarations (person_id, version, signed_on, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(person)
    .bind(version)
    .bind(format_date(signed_on))
    .bind(by.person())
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await?;
    append(
        &mut tx,
        now,
        &AuditEvent::new(
            Actor::Person(by.person()),
            "accreditation.declaration",
            format!("person:{person}"),
            Outcome::Success,
        )
        .with_details(json!({"version": version, "signed_on": format_date(signed_on)})),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
