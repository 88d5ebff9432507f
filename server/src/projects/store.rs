//! Reading projects and memberships; creating the demo project.

use super::domain::{Membership, Project, ProjectRole, Status};
use crate::accreditation::domain::{format_date, parse_date};
use crate::audit::store::append;
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::clock::to_millis;
use crate::db::{Db, StoreError};
use serde_json::json;
use time::{Date, OffsetDateTime};

/// A project as stored: id, title, status, start and end dates.
pub type ProjectRow = (i64, String, String, String, String);

/// A project from its stored row.
pub fn project_from(row: ProjectRow) -> Result<Project, StoreError> {
    let (id, title, status, starts_on, ends_on) = row;
    let bad = |what: &str| StoreError::Corrupt(format!("project {id} has an invalid {what}"));
    Ok(Project {
        id,
        title,
        status: Status::parse(&status).ok_or_else(|| bad("status"))?,
        starts_on: parse_date(&starts_on).map_err(|_| bad("start date"))?,
        ends_on: parse_date(&ends_on).map_err(|_| bad("end date"))?,
    })
}

/// One project, if it exists.
pub async fn project(db: &Db, id: i64) -> Result<Option<Project>, StoreError> {
    let row: Option<ProjectRow> =
        sqlx::query_as("SELECT id, title, status, starts_on, ends_on FROM projects WHERE id = $1")
            .bind(id)
            .fetch_optional(db.pool())
            .await?;
    row.map(project_from).transpose()
}

/// Every project, newest first.
pub async fn all(db: &Db) -> Result<Vec<Project>, StoreError> {
    let rows: Vec<ProjectRow> =
        sqlx::query_as("SELECT id, title, status, starts_on, ends_on FROM projects ORDER BY id DESC")
            .fetch_all(db.pool())
            .await?;
    rows.into_iter().map(project_from).collect()
}

/// A person's memberships of one project.
pub async fn memberships(db: &Db, project: i64, person: i64) -> Result<Vec<Membership>, StoreError> {
    let rows: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT role, starts_on, ends_on FROM project_members WHERE project_id = $1 AND person_id = $2")
            .bind(project)
            .bind(person)
            .fetch_all(db.pool())
            .await?;
    rows.into_iter()
        .map(|(role, s, e)| {
            let bad = || StoreError::Corrupt("a membership has invalid data".into());
            Ok(Membership {
                role: ProjectRole::parse(&role).ok_or_else(bad)?,
                starts_on: parse_date(&s).map_err(|_| bad())?,
                ends_on: e.map(|e| parse_date(&e)).transpose().map_err(|_| bad())?,
            })
        })
        .collect()
}

/// The projects a person is or was a member of, with their roles there.
pub async fn of_person(db: &Db, person: i64) -> Result<Vec<(Project, Vec<Membership>)>, StoreError> {
    let ids: Vec<(i64,)> =
        sqlx::query_as("SELECT DISTINCT project_id FROM project_members WHERE person_id = $1 ORDER BY project_id DESC")
            .bind(person)
            .fetch_all(db.pool())
            .await?;
    let mut out = Vec::new();
    for (id,) in ids {
        if let Some(p) = project(db, id).await? {
            out.push((p, memberships(db, id, person).await?));
        }
    }
    Ok(out)
}

/// Creates an approved project with one member, and its key (sealed under the master key): only
/// the demo seed and tests do this; projects of a real installation come through applications
/// and the board (projects issue), whose approval creates the key the same way.
pub async fn create_demo_project(
    db: &Db,
    master: &crate::keys::MasterKey,
    now: OffsetDateTime,
    title: &str,
    starts_on: Date,
    ends_on: Date,
    member: (i64, ProjectRole),
) -> Result<i64, StoreError> {
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO projects (title, status, starts_on, ends_on, created_at, lay_summary, organisation) \
         VALUES ($1, 'approved', $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(title)
    .bind(format_date(starts_on))
    .bind(format_date(ends_on))
    .bind(to_millis(now))
    .bind(
        "How are medicines for type 2 diabetes used in practice, and by whom? Counts and costs of \
         prescriptions by drug, age band, sex and region, from synthetic records.",
    )
    .bind("Demo hospital research office")
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO project_members (project_id, person_id, role, starts_on) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(member.0)
        .bind(member.1.as_str())
        .bind(format_date(starts_on))
        .execute(&mut *tx)
        .await?;
    crate::extracts::store::ensure_project_key(&mut tx, master, id, now).await?;
    append(
        &mut tx,
        now,
        &AuditEvent::new(Actor::System, "project.create_demo", format!("project:{id}"), Outcome::Success)
            .with_details(json!({"title": title, "member": member.0, "role": member.1.as_str()})),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
