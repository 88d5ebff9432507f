//! In-app notifications: what a person should know without asking (an accreditation about
//! to end, a project suspended or closed). Each has a key, so a sweep that runs every minute
//! tells each thing once. Email, when SMTP is configured, is still to come.

use crate::clock::{from_millis, to_millis};
use crate::db::{Db, StoreError, WriteTx};
use time::OffsetDateTime;

/// Tells `person` `message` once (a second call with the same `key` does nothing), inside the
/// caller's transaction.
pub async fn notify(
    tx: &mut WriteTx,
    now: OffsetDateTime,
    person: i64,
    key: &str,
    message: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO notifications (person_id, dedupe_key, message, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(person)
    .bind(key)
    .bind(message)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A person's newest notifications: when, and what.
pub async fn latest(db: &Db, person: i64, limit: i64) -> Result<Vec<(OffsetDateTime, String)>, StoreError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT created_at, message FROM notifications WHERE person_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(person)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(at, m)| (from_millis(at), m)).collect())
}

/// Everyone who is or was a member of `project`.
pub async fn members(tx: &mut WriteTx, project: i64) -> Result<Vec<i64>, StoreError> {
    Ok(sqlx::query_scalar("SELECT DISTINCT person_id FROM project_members WHERE project_id = $1")
        .bind(project)
        .fetch_all(&mut **tx)
        .await?)
}

/// Tells everyone holding platform role `role` (for example `board_member`) `message` once
/// per `key`, inside the caller's transaction.
pub async fn notify_role(
    tx: &mut WriteTx,
    now: OffsetDateTime,
    role: &str,
    key: &str,
    message: &str,
) -> Result<(), StoreError> {
    let people: Vec<i64> = sqlx::query_scalar("SELECT person_id FROM platform_roles WHERE role = $1")
        .bind(role)
        .fetch_all(&mut **tx)
        .await?;
    for person in people {
        notify(tx, now, person, &format!("{key}:{person}"), message).await?;
    }
    Ok(())
}
