//! Law 7 over time: when a project's approval ends or is suspended, every access stops at once.
//!
//! The access decision refuses at every request already; this module makes the rest happen
//! without waiting for a request: [`sweep`] closes approved projects past their end date,
//! stops the runner of every project that is not open, and stops its open release requests.
//! [`set_status`] is the custodians' and board's suspend, lift and close, which acts the same
//! way at once. The background job runs a sweep every `lifecycle.check_seconds` (default 60),
//! reading the one clock, so tests can move time.

use super::domain::Status;
use super::store;
use crate::access::store::would_allow;
use crate::audit::store::append;
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::clock::Clock;
use crate::db::{Db, StoreError};
use crate::workspaces::Supervisor;
use policy::AccessPolicy;
use serde_json::json;
use std::sync::Arc;
use time::OffsetDateTime;

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Projects closed because their end date passed.
    pub closed: Vec<i64>,
    /// Projects whose runner was stopped.
    pub runners_stopped: Vec<i64>,
    /// Release requests stopped.
    pub outputs_stopped: u64,
}

/// Stops `project`'s runner, if one runs, and audits why. Returns whether one ran.
pub async fn stop_runner(
    db: &Db,
    workspaces: &Supervisor,
    now: OffsetDateTime,
    project: i64,
    reason: &str,
) -> Result<bool, StoreError> {
    if !workspaces.running().await.contains(&project) {
        return Ok(false);
    }
    workspaces.stop_project(project).await;
    let event = AuditEvent::new(Actor::System, "workspace.stop", format!("project:{project}"), Outcome::Success)
        .with_details(json!({"reason": reason}));
    crate::audit::store::record(db, now, &event).await?;
    Ok(true)
}

/// One pass over every project (see the module's words), then over people: release requests
/// of requesters who lost access stop, a runner none of whose members has access stops, and
/// accreditations ending within 30 and 7 days are reminded.
pub async fn sweep(
    db: &Db,
    policy: &AccessPolicy,
    workspaces: &Supervisor,
    now: OffsetDateTime,
) -> Result<Swept, StoreError> {
    let today = now.date();
    let mut swept = Swept::default();
    let open_requests: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT project_id FROM outputs WHERE state IN ('draft', 'submitted', 'changes_requested')",
    )
    .fetch_all(db.pool())
    .await?;
    let running = workspaces.running().await;
    for project in store::all(db).await? {
        if project.past_end(today) {
            let reason = "its approved end date passed";
            swept.outputs_stopped += set_status(db, now, Actor::System, project.id, Status::Closed, reason).await?;
            if stop_runner(db, workspaces, now, project.id, "the project is closed").await? {
                swept.runners_stopped.push(project.id);
            }
            workspaces.forget_project(project.id).await;
            swept.closed.push(project.id);
            continue;
        } else if project.open_on(today) {
            continue;
        }
        let reason = match project.status {
            Status::Approved if today < project.starts_on => "its approval has not started",
            Status::Approved | Status::Closed => "the project is closed",
            Status::Suspended => "the project is suspended",
            Status::Draft => "the project is not approved",
        };
        if open_requests.contains(&project.id) {
            let mut tx = db.begin_write().await?;
            swept.outputs_stopped += crate::outputs::store::stop_outputs(&mut tx, now, project.id, reason).await?;
            tx.commit().await?;
        }
        if running.contains(&project.id) && stop_runner(db, workspaces, now, project.id, reason).await? {
            swept.runners_stopped.push(project.id);
        }
    }
    swept.outputs_stopped += stop_requests_of_the_lapsed(db, policy, now).await?;
    for project in workspaces.running().await {
        if let Some(lapses) = why_nobody_may_query(db, policy, project, today).await? {
            let reason = format!("no member of the project has access any more ({lapses})");
            if stop_runner(db, workspaces, now, project, &reason).await? {
                swept.runners_stopped.push(project);
            }
        }
    }
    remind_accreditations(db, now).await?;
    Ok(swept)
}

/// Stops each open release request whose requester may no longer ask for releases in its
/// project (membership ended, accreditation lapsed, account deactivated). Returns how many.
async fn stop_requests_of_the_lapsed(db: &Db, policy: &AccessPolicy, now: OffsetDateTime) -> Result<u64, StoreError> {
    let open: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT id, project_id, requested_by FROM outputs WHERE state IN ('draft', 'submitted', 'changes_requested')",
    )
    .fetch_all(db.pool())
    .await?;
    let mut stopped = 0;
    for (output, project, requester) in open {
        let action = crate::access::ProjectAction::RequestRelease;
        if let Err(denial) = would_allow(db, policy, requester, project, action, now.date()).await? {
            let mut tx = db.begin_write().await?;
            stopped += crate::outputs::store::stop_output(&mut tx, now, output, project, denial.code()).await?;
            tx.commit().await?;
        }
    }
    Ok(stopped)
}

/// `None` when some member of `project` may use its workspace today; otherwise why each member
/// may not, as the access decision's reason codes ("person 4: training_expired, ...").
async fn why_nobody_may_query(
    db: &Db,
    policy: &AccessPolicy,
    project: i64,
    today: time::Date,
) -> Result<Option<String>, StoreError> {
    let members: Vec<i64> =
        sqlx::query_scalar("SELECT DISTINCT person_id FROM project_members WHERE project_id = $1 ORDER BY person_id")
            .bind(project)
            .fetch_all(db.pool())
            .await?;
    let mut lapses = Vec::new();
    for person in members {
        let action = crate::access::ProjectAction::QueryWorkspace;
        match would_allow(db, policy, person, project, action, today).await? {
            Ok(()) => return Ok(None),
            Err(denial) => lapses.push(format!("person {person}: {}", denial.code())),
        }
    }
    Ok(Some(if lapses.is_empty() { "it has no members".to_string() } else { lapses.join(", ") }))
}

/// Reminds each accredited person 30 and 7 days before their accreditation ends (once each).
async fn remind_accreditations(db: &Db, now: OffsetDateTime) -> Result<(), StoreError> {
    use crate::accreditation::domain::{format_date, status};
    let today = now.date();
    let mut due = Vec::new();
    for person in crate::accounts::store::people(db).await? {
        let (training, declarations) = crate::accreditation::store::of_person(db, person.id).await?;
        let Ok(valid) = status(&training, &declarations, today) else { continue };
        let left = (valid.until - today).whole_days();
        for days in [30, 7] {
            if left <= days {
                let until = format_date(valid.until);
                let message = crate::says!("notify-accreditation-ends", until = until, days = left);
                due.push((person.id, format!("accreditation:{}:{until}:{days}", person.id), message));
            }
        }
    }
    if due.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin_write().await?;
    for (person, key, message) in &due {
        crate::notifications::notify(&mut tx, now, *person, key, message).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sets `project`'s status (suspend, lift a suspension, close) with the reason, audited in the
/// same transaction; a project that is no longer approved has its open release requests
/// stopped in it too. Returns how many requests stopped. The caller stops the runner.
pub async fn set_status(
    db: &Db,
    now: OffsetDateTime,
    actor: Actor,
    project: i64,
    status: Status,
    reason: &str,
) -> Result<u64, StoreError> {
    let mut tx = db.begin_write().await?;
    let current: Option<String> =
        sqlx::query_scalar("SELECT status FROM projects WHERE id = $1").bind(project).fetch_optional(&mut *tx).await?;
    let current = current.and_then(|s| Status::parse(&s)).ok_or(StoreError::NotFound)?;
    let allowed = matches!(
        (current, status),
        (Status::Approved, Status::Suspended)
            | (Status::Suspended, Status::Approved)
            | (Status::Approved | Status::Suspended, Status::Closed)
    );
    if !allowed {
        return Err(StoreError::Rule(crate::says!(
            "project-bad-transition",
            status = current.as_str(),
            to = status.as_str()
        )));
    }
    sqlx::query("UPDATE projects SET status = $1 WHERE id = $2")
        .bind(status.as_str())
        .bind(project)
        .execute(&mut *tx)
        .await?;
    let action = match status {
        Status::Suspended => "project.suspend",
        Status::Approved => "project.lift_suspension",
        _ => "project.close",
    };
    let event = AuditEvent::new(actor.clone(), action, format!("project:{project}"), Outcome::Success)
        .with_details(json!({"from": current.as_str(), "to": status.as_str(), "reason": reason}));
    append(&mut tx, now, &event).await?;
    let title: String =
        sqlx::query_scalar("SELECT title FROM projects WHERE id = $1").bind(project).fetch_one(&mut *tx).await?;
    let message = crate::says!("notify-project-status", title = title, status = status.as_str(), reason = reason);
    let key = format!("project:{project}:{}:{}", status.as_str(), crate::clock::to_millis(now));
    for member in crate::notifications::members(&mut tx, project).await? {
        crate::notifications::notify(&mut tx, now, member, &format!("{key}:{member}"), &message).await?;
    }
    if status == Status::Closed {
        let archived =
            sqlx::query("UPDATE extracts SET archived_at = $1 WHERE project_id = $2 AND archived_at IS NULL")
                .bind(crate::clock::to_millis(now))
                .bind(project)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if archived > 0 {
            let event = AuditEvent::new(actor, "extract.archive", format!("project:{project}"), Outcome::Success)
                .with_details(json!({"extracts": archived}));
            append(&mut tx, now, &event).await?;
        }
    }
    let stopped = if status == Status::Approved {
        0
    } else {
        crate::outputs::store::stop_outputs(&mut tx, now, project, reason).await?
    };
    tx.commit().await?;
    Ok(stopped)
}

/// Sweeps every `every`, for as long as the server runs.
pub fn spawn(
    db: Db,
    clock: Arc<dyn Clock>,
    policy: AccessPolicy,
    workspaces: Arc<Supervisor>,
    every: std::time::Duration,
) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match sweep(&db, &policy, &workspaces, clock.now()).await {
                Ok(s) if s != Swept::default() => tracing::info!(?s, "project lifecycle: access stopped"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error.cause = %e, "project lifecycle sweep failed"),
            }
        }
    });
}
