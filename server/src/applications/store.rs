//! Applications, declarations, votes and decisions in the database. Every change is one
//! transaction with its audit entry; refusals write nothing but their audit entry. The vote
//! that decides approval creates the project, its team and its key in the same transaction.

use super::domain::{self, Body, Outcome, Policy, State, Vote};
use crate::accreditation::domain::format_date;
use crate::audit::store::append;
use crate::audit::{Actor, AuditEvent, Outcome as Audited};
use crate::clock::{from_millis, to_millis};
use crate::db::{Db, StoreError, WriteTx};
use serde_json::json;
use time::OffsetDateTime;

/// An application with its current draft.
#[derive(Debug, Clone)]
pub struct Application {
    /// Id.
    pub id: i64,
    /// Who applies (the principal investigator).
    pub applicant_id: i64,
    /// Their name.
    pub applicant: String,
    /// Where it stands.
    pub state: State,
    /// The newest submitted version (0: never submitted).
    pub version: i64,
    /// The text being written (equal to the newest version once submitted).
    pub draft: Body,
    /// The project made of it, once approved.
    pub project_id: Option<i64>,
    /// Last change.
    pub updated_at: OffsetDateTime,
}

/// A vote as shown: member, name, vote, comment.
pub type Cast = (i64, String, Vote, String);

/// A declaration as shown: member, name, conflicted, note.
pub type Declaration = (i64, String, bool, String);

type Row = (i64, i64, String, String, i64, String, Option<i64>, i64);

fn application_of(r: Row) -> Result<Application, StoreError> {
    Ok(Application {
        id: r.0,
        applicant_id: r.1,
        applicant: r.2,
        state: State::parse(&r.3).ok_or_else(|| StoreError::Corrupt(format!("unknown application state {}", r.3)))?,
        version: r.4,
        draft: serde_json::from_str(&r.5).map_err(|e| StoreError::Corrupt(format!("a stored application: {e}")))?,
        project_id: r.6,
        updated_at: from_millis(r.7),
    })
}

macro_rules! select_applications {
    ($rest:literal) => {
        concat!(
            "SELECT a.id, a.applicant_id, p.display_name, a.state, a.version, a.draft, a.project_id, a.updated_at \
             FROM applications a JOIN people p ON p.id = a.applicant_id ",
            $rest
        )
    };
}

/// One application.
pub async fn application(db: &Db, id: i64) -> Result<Option<Application>, StoreError> {
    let row: Option<Row> =
        sqlx::query_as(select_applications!("WHERE a.id = $1")).bind(id).fetch_optional(db.pool()).await?;
    row.map(application_of).transpose()
}

/// A person's applications, newest first.
pub async fn of_applicant(db: &Db, person: i64) -> Result<Vec<Application>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(select_applications!("WHERE a.applicant_id = $1 ORDER BY a.id DESC"))
        .bind(person)
        .fetch_all(db.pool())
        .await?;
    rows.into_iter().map(application_of).collect()
}

/// Applications with the board, oldest first.
pub async fn queue(db: &Db) -> Result<Vec<Application>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(select_applications!(
        "WHERE a.state IN ('submitted', 'amendment_submitted') ORDER BY a.updated_at, a.id"
    ))
    .fetch_all(db.pool())
    .await?;
    rows.into_iter().map(application_of).collect()
}

/// The votes on one version.
pub async fn votes(db: &Db, id: i64, version: i64) -> Result<Vec<Cast>, StoreError> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT v.member_id, p.display_name, v.vote, v.comment FROM board_votes v JOIN people p ON p.id = v.member_id \
         WHERE v.application_id = $1 AND v.version = $2 ORDER BY v.created_at, v.member_id",
    )
    .bind(id)
    .bind(version)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().filter_map(|(m, n, v, c)| Some((m, n, Vote::parse(&v)?, c))).collect())
}

/// The board's conflict declarations on an application.
pub async fn declarations(db: &Db, id: i64) -> Result<Vec<Declaration>, StoreError> {
    let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
        "SELECT d.member_id, p.display_name, d.conflicted, d.note FROM board_declarations d \
         JOIN people p ON p.id = d.member_id WHERE d.application_id = $1 ORDER BY d.declared_at, d.member_id",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(m, n, c, note)| (m, n, c != 0, note)).collect())
}

/// The decisions so far: version, outcome, conditions.
pub async fn decisions(db: &Db, id: i64) -> Result<Vec<(i64, String, Vec<String>)>, StoreError> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT version, outcome, conditions FROM board_decisions WHERE application_id = $1 ORDER BY version",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.into_iter().map(|(v, o, c)| (v, o, serde_json::from_str(&c).unwrap_or_default())).collect())
}

/// The body of submitted version `version` of application `id`, if there is one.
pub async fn version_body(db: &Db, id: i64, version: i64) -> Result<Option<Body>, StoreError> {
    let body: Option<String> =
        sqlx::query_scalar("SELECT body FROM application_versions WHERE application_id = $1 AND version = $2")
            .bind(id)
            .bind(version)
            .fetch_optional(db.pool())
            .await?;
    body.map(|b| serde_json::from_str(&b).map_err(|e| StoreError::Corrupt(format!("an application version: {e}"))))
        .transpose()
}

/// Records a refused step in its own transaction and returns the refusal.
async fn refuse(
    db: &Db,
    now: OffsetDateTime,
    actor: i64,
    action: &'static str,
    id: i64,
    reason: &str,
    message: crate::i18n::Says,
) -> StoreError {
    let event = AuditEvent::new(Actor::Person(actor), action, format!("application:{id}"), Audited::Denied)
        .with_details(json!({"reason": reason}));
    crate::audit::store::refusal(db, now, event, message).await
}

fn text(body: &Body) -> Result<String, StoreError> {
    serde_json::to_string(body).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Saves a draft: a new application (`id` None) or the applicant's edit of one that is a draft
/// or has changes requested. Returns its id.
pub async fn save(db: &Db, now: OffsetDateTime, person: i64, id: Option<i64>, body: &Body) -> Result<i64, StoreError> {
    if body.title.trim().is_empty() || body.title.chars().count() > 200 {
        return Err(StoreError::Rule(crate::says!("app-title-needed")));
    }
    let mut tx = db.begin_write().await?;
    let id = match id {
        None => {
            sqlx::query_scalar(
                "INSERT INTO applications (applicant_id, state, version, draft, created_at, updated_at) \
                 VALUES ($1, 'draft', 0, $2, $3, $3) RETURNING id",
            )
            .bind(person)
            .bind(text(body)?)
            .bind(to_millis(now))
            .fetch_one(&mut *tx)
            .await?
        }
        Some(id) => {
            let (state, _) = mine(&mut tx, id, person).await?;
            if !state.editable() {
                drop(tx);
                let message = crate::says!("app-not-editable", state = state.as_str());
                return Err(refuse(db, now, person, "application.save", id, "state", message).await);
            }
            // Editing an approved application starts an amendment; the project stays as it is.
            // (Submitting one for a closed project is refused.)
            let next = if state == State::Approved { State::Amending } else { state };
            sqlx::query("UPDATE applications SET draft = $1, state = $2, updated_at = $3 WHERE id = $4")
                .bind(text(body)?)
                .bind(next.as_str())
                .bind(to_millis(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            id
        }
    };
    let event =
        AuditEvent::new(Actor::Person(person), "application.save", format!("application:{id}"), Audited::Success)
            .with_details(json!({"title": body.title}));
    append(&mut tx, now, &event).await?;
    tx.commit().await?;
    Ok(id)
}

/// The application's state and version, if `person` is its applicant.
async fn mine(tx: &mut WriteTx, id: i64, person: i64) -> Result<(State, i64), StoreError> {
    let row: Option<(i64, String, i64)> =
        sqlx::query_as("SELECT applicant_id, state, version FROM applications WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    match row {
        Some((applicant, state, version)) if applicant == person => {
            Ok((State::parse(&state).ok_or(StoreError::NotFound)?, version))
        }
        _ => Err(StoreError::NotFound),
    }
}

/// What the application asks for that the catalogue lacks (a dataset, a table of its newest
/// version, a column), in words; None when everything exists.
async fn unknown_data(tx: &mut WriteTx, body: &Body) -> Result<Option<crate::i18n::Says>, StoreError> {
    let mut known: Vec<(String, String)> = Vec::new();
    for dataset in &body.datasets {
        let columns: Vec<(String, String)> = sqlx::query_as(
            "SELECT t.name, c.name FROM datasets d JOIN dataset_versions v ON v.dataset_id = d.id \
             JOIN dataset_tables t ON t.version_id = v.id JOIN dataset_columns c ON c.table_id = t.id \
             WHERE d.name = $1 AND v.version = (SELECT MAX(v2.version) FROM dataset_versions v2 WHERE v2.dataset_id = d.id)",
        )
        .bind(dataset)
        .fetch_all(&mut **tx)
        .await?;
        if columns.is_empty() {
            return Ok(Some(crate::says!("app-unknown-dataset", dataset = dataset)));
        }
        known.extend(columns);
    }
    for (table, columns) in domain::requested_columns(&body.data_request) {
        if !known.iter().any(|(t, _)| *t == table) {
            return Ok(Some(crate::says!("app-unknown-table", table = table)));
        }
        for column in columns {
            if !known.iter().any(|(t, c)| *t == table && *c == column) {
                return Ok(Some(crate::says!("app-unknown-column", table = table, column = column)));
            }
        }
    }
    Ok(None)
}

/// Usernames of the team that are not people of the platform.
async fn unknown_people(tx: &mut WriteTx, team: &[String]) -> Result<Vec<String>, StoreError> {
    let mut unknown = Vec::new();
    for name in team {
        let found: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE username = $1")
            .bind(name)
            .fetch_optional(&mut **tx)
            .await?;
        if found.is_none() {
            unknown.push(name.clone());
        }
    }
    Ok(unknown)
}

/// Submits the draft as a new frozen version. The applicant must be accredited today
/// (`accredited`), and the application complete with a team of known people.
pub async fn submit(
    db: &Db,
    now: OffsetDateTime,
    person: i64,
    id: i64,
    accredited: Result<(), crate::accreditation::domain::Lapse>,
) -> Result<i64, StoreError> {
    let mut tx = db.begin_write().await?;
    let (state, version) = mine(&mut tx, id, person).await?;
    let draft: String =
        sqlx::query_scalar("SELECT draft FROM applications WHERE id = $1").bind(id).fetch_one(&mut *tx).await?;
    let body: Body = serde_json::from_str(&draft).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let unknown = unknown_people(&mut tx, &body.team).await?;
    let data = unknown_data(&mut tx, &body).await?;
    let project_closed = match state.amends() {
        true => {
            let status: Option<String> = sqlx::query_scalar(
                "SELECT p.status FROM applications a JOIN projects p ON p.id = a.project_id WHERE a.id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            status.is_none_or(|s| s == "closed")
        }
        false => false,
    };
    let problem = if !state.editable() {
        Some(("state", crate::says!("app-not-submittable", state = state.as_str())))
    } else if let Err(lapse) = accredited {
        Some(("not_accredited", crate::i18n::Says { id: "app-not-accredited".into(), ..lapse.says() }))
    } else if project_closed {
        Some(("project_closed", crate::says!("app-project-closed")))
    } else if let Err(e) = domain::check_on(&body, now.date()) {
        Some(("incomplete", e))
    } else if let Some(e) = data {
        Some(("unknown_data", e))
    } else if !unknown.is_empty() {
        Some(("unknown_team", crate::says!("app-unknown-team", people = unknown.join(", "))))
    } else {
        None
    };
    if let Some((reason, message)) = problem {
        drop(tx);
        return Err(refuse(db, now, person, "application.submit", id, reason, message).await);
    }
    let next = version + 1;
    let submitted = if state.amends() { State::AmendmentSubmitted } else { State::Submitted };
    sqlx::query(
        "INSERT INTO application_versions (application_id, version, body, submitted_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(next)
    .bind(&draft)
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE applications SET state = $1, version = $2, updated_at = $3 WHERE id = $4")
        .bind(submitted.as_str())
        .bind(next)
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let event =
        AuditEvent::new(Actor::Person(person), "application.submit", format!("application:{id}"), Audited::Success)
            .with_details(json!({"version": next, "amendment": state.amends()}));
    append(&mut tx, now, &event).await?;
    let message =
        crate::says!("notify-application-waits", amendment = state.amends(), title = body.title, version = next);
    crate::notifications::notify_role(&mut tx, now, "board_member", &format!("application:{id}:{next}"), &message)
        .await?;
    tx.commit().await?;
    Ok(next)
}

/// A board member's declaration of a conflict of interest (once per application).
pub async fn declare(
    db: &Db,
    now: OffsetDateTime,
    member: i64,
    id: i64,
    conflicted: bool,
    note: &str,
) -> Result<(), StoreError> {
    let note = note.trim();
    if note.chars().count() > 2000 {
        return Err(StoreError::Rule(crate::says!("app-note-too-long", max = 2000)));
    }
    let mut tx = db.begin_write().await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM applications WHERE id = $1 AND state <> 'draft'")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Err(StoreError::NotFound);
    }
    let declared: Option<i64> =
        sqlx::query_scalar("SELECT member_id FROM board_declarations WHERE application_id = $1 AND member_id = $2")
            .bind(id)
            .bind(member)
            .fetch_optional(&mut *tx)
            .await?;
    if declared.is_some() {
        drop(tx);
        let message = crate::says!("app-declared-already");
        return Err(refuse(db, now, member, "application.declare", id, "already_declared", message).await);
    }
    sqlx::query(
        "INSERT INTO board_declarations (application_id, member_id, conflicted, note, declared_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(member)
    .bind(i64::from(conflicted))
    .bind(note)
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await?;
    let event =
        AuditEvent::new(Actor::Person(member), "application.declare", format!("application:{id}"), Audited::Success)
            .with_details(json!({"conflicted": conflicted}));
    append(&mut tx, now, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// A board member's vote on the current version; the vote reaching the quorum records the
/// decision and, for an approval, creates the project with the applicant as principal
/// investigator and the team as analysts (each still needs valid accreditation for access).
#[allow(clippy::too_many_arguments)]
pub async fn vote(
    db: &Db,
    master: &crate::keys::MasterKey,
    now: OffsetDateTime,
    member: i64,
    id: i64,
    vote: Vote,
    comment: &str,
    policy: Policy,
) -> Result<State, StoreError> {
    let comment = comment.trim().to_string();
    if comment.chars().count() > 4000 {
        return Err(StoreError::Rule(crate::says!("app-comment-too-long", max = 4000)));
    }
    let mut tx = db.begin_write().await?;
    let row: Option<(i64, String, i64)> =
        sqlx::query_as("SELECT applicant_id, state, version FROM applications WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((applicant, state, version)) = row else { return Err(StoreError::NotFound) };
    let state = State::parse(&state).ok_or(StoreError::NotFound)?;
    let body: Body = match sqlx::query_scalar::<_, String>(
        "SELECT body FROM application_versions WHERE application_id = $1 AND version = $2",
    )
    .bind(id)
    .bind(version)
    .fetch_optional(&mut *tx)
    .await?
    {
        Some(text) => serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        None => Body::default(),
    };
    let username: String =
        sqlx::query_scalar("SELECT username FROM people WHERE id = $1").bind(member).fetch_one(&mut *tx).await?;
    let on_team = member == applicant || body.team.contains(&username);
    let conflicted: Option<i64> =
        sqlx::query_scalar("SELECT conflicted FROM board_declarations WHERE application_id = $1 AND member_id = $2")
            .bind(id)
            .bind(member)
            .fetch_optional(&mut *tx)
            .await?;
    let cast: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT member_id, vote, comment FROM board_votes WHERE application_id = $1 AND version = $2")
            .bind(id)
            .bind(version)
            .fetch_all(&mut *tx)
            .await?;
    let voted = cast.iter().any(|(m, _, _)| *m == member);
    if let Err(refusal) = domain::may_vote(state, conflicted.map(|c| c != 0), on_team, voted, vote, &comment) {
        drop(tx);
        return Err(refuse(db, now, member, "application.vote", id, refusal.code(), refusal.says()).await);
    }
    sqlx::query(
        "INSERT INTO board_votes (application_id, version, member_id, vote, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(version)
    .bind(member)
    .bind(vote.as_str())
    .bind(&comment)
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await?;
    let event =
        AuditEvent::new(Actor::Person(member), "application.vote", format!("application:{id}"), Audited::Success)
            .with_details(json!({"version": version, "vote": vote.as_str()}));
    append(&mut tx, now, &event).await?;
    let mut all: Vec<(Vote, String)> = cast.into_iter().filter_map(|(_, v, c)| Some((Vote::parse(&v)?, c))).collect();
    all.push((vote, comment));
    let next = match domain::decide(&all, policy) {
        None => state,
        Some(outcome) if state == State::AmendmentSubmitted => amend(&mut tx, now, id, version, &body, outcome).await?,
        Some(outcome) => decide(&mut tx, master, now, id, version, applicant, &body, outcome).await?,
    };
    tx.commit().await?;
    Ok(next)
}

/// Records the board's decision; an approval makes the project.
#[allow(clippy::too_many_arguments)]
async fn decide(
    tx: &mut WriteTx,
    master: &crate::keys::MasterKey,
    now: OffsetDateTime,
    id: i64,
    version: i64,
    applicant: i64,
    body: &Body,
    outcome: Outcome,
) -> Result<State, StoreError> {
    let (state, name, conditions) = match &outcome {
        Outcome::Approved(c) => (State::Approved, "approved", c.clone()),
        Outcome::Rejected => (State::Rejected, "rejected", vec![]),
        Outcome::ChangesRequested => (State::ChangesRequested, "changes_requested", vec![]),
    };
    record_decision(tx, now, id, version, name, &conditions, &body.ends_on).await?;
    let mut project = None;
    if state == State::Approved {
        let (starts, ends) = domain::check(body).map_err(StoreError::Rule)?;
        let pid: i64 = sqlx::query_scalar(
            "INSERT INTO projects (title, status, starts_on, ends_on, created_at, lay_summary, organisation) \
             VALUES ($1, 'approved', $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&body.title)
        .bind(format_date(starts))
        .bind(format_date(ends))
        .bind(to_millis(now))
        .bind(&body.lay_summary)
        .bind(&body.organisation)
        .fetch_one(&mut **tx)
        .await?;
        let mut team = vec![(applicant, "principal_investigator")];
        for name in &body.team {
            let person: Option<i64> = sqlx::query_scalar("SELECT id FROM people WHERE username = $1")
                .bind(name)
                .fetch_optional(&mut **tx)
                .await?;
            if let Some(p) = person.filter(|p| *p != applicant) {
                team.push((p, "analyst"));
            }
        }
        for (person, role) in &team {
            sqlx::query("INSERT INTO project_members (project_id, person_id, role, starts_on) VALUES ($1, $2, $3, $4)")
                .bind(pid)
                .bind(person)
                .bind(role)
                .bind(format_date(starts))
                .execute(&mut **tx)
                .await?;
        }
        crate::extracts::store::ensure_project_key(tx, master, pid, now).await?;
        sqlx::query("UPDATE applications SET project_id = $1 WHERE id = $2")
            .bind(pid)
            .bind(id)
            .execute(&mut **tx)
            .await?;
        let event = AuditEvent::new(Actor::System, "project.create", format!("project:{pid}"), Audited::Success)
            .with_details(json!({"application": id, "version": version, "members": team.len()}));
        append(tx, now, &event).await?;
        project = Some(pid);
    }
    set_state(tx, now, id, state).await?;
    let message = crate::says!("notify-application-decided", title = body.title, state = state.as_str());
    crate::notifications::notify(tx, now, applicant, &format!("application:{id}:{version}:decided"), &message).await?;
    let event = AuditEvent::new(Actor::System, "application.decide", format!("application:{id}"), Audited::Success)
        .with_details(json!({"version": version, "outcome": name, "conditions": conditions, "project": project}));
    append(tx, now, &event).await?;
    Ok(state)
}

/// The body the board last approved (the first approval or an approved amendment).
async fn approved_body(tx: &mut WriteTx, id: i64) -> Result<String, StoreError> {
    let body: Option<String> = sqlx::query_scalar(
        "SELECT v.body FROM application_versions v JOIN board_decisions d \
         ON d.application_id = v.application_id AND d.version = v.version \
         WHERE v.application_id = $1 AND d.outcome IN ('approved', 'amendment_approved') \
         ORDER BY v.version DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    body.ok_or_else(|| StoreError::Rule(crate::says!("app-no-approved-version")))
}

/// Puts the approved text back as the application's text, ending an amendment that was
/// rejected or withdrawn.
async fn restore_approved(tx: &mut WriteTx, now: OffsetDateTime, id: i64) -> Result<(), StoreError> {
    let body = approved_body(tx, id).await?;
    sqlx::query("UPDATE applications SET draft = $1, state = 'approved', updated_at = $2 WHERE id = $3")
        .bind(body)
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records the board's decision on an amendment: approved, the project takes the amended
/// title, summary, organisation, end date and team (new members join as analysts today,
/// analysts left out end yesterday, so their access stops now); rejected, nothing changes and
/// the approved text is the application's again. Changes requested: back to the applicant.
/// The applicant, and each member who joins or leaves, is told.
async fn amend(
    tx: &mut WriteTx,
    now: OffsetDateTime,
    id: i64,
    version: i64,
    body: &Body,
    outcome: Outcome,
) -> Result<State, StoreError> {
    let (next, name, conditions) = match &outcome {
        Outcome::Approved(c) => (State::Approved, "amendment_approved", c.clone()),
        Outcome::Rejected => (State::Approved, "amendment_rejected", vec![]),
        Outcome::ChangesRequested => (State::Amending, "changes_requested", vec![]),
    };
    record_decision(tx, now, id, version, name, &conditions, &body.ends_on).await?;
    let project: Option<i64> =
        sqlx::query_scalar("SELECT project_id FROM applications WHERE id = $1").bind(id).fetch_one(&mut **tx).await?;
    let mut changes = json!(null);
    if let (Outcome::Approved(_), Some(project)) = (&outcome, project) {
        let (_, ends) = domain::check(body).map_err(StoreError::Rule)?;
        let today = now.date();
        sqlx::query("UPDATE projects SET title = $1, lay_summary = $2, organisation = $3, ends_on = $4 WHERE id = $5")
            .bind(&body.title)
            .bind(&body.lay_summary)
            .bind(&body.organisation)
            .bind(format_date(ends))
            .bind(project)
            .execute(&mut **tx)
            .await?;
        let current: Vec<String> = sqlx::query_scalar(
            "SELECT p.username FROM project_members m JOIN people p ON p.id = m.person_id \
             WHERE m.project_id = $1 AND m.role = 'analyst' AND (m.ends_on IS NULL OR m.ends_on >= $2)",
        )
        .bind(project)
        .bind(format_date(today))
        .fetch_all(&mut **tx)
        .await?;
        let (added, ended) = domain::team_change(&current, &body.team);
        for name in &added {
            sqlx::query(
                "INSERT INTO project_members (project_id, person_id, role, starts_on) \
                 SELECT $1, id, 'analyst', $2 FROM people WHERE username = $3 \
                 ON CONFLICT (project_id, person_id, role) DO UPDATE SET starts_on = excluded.starts_on, ends_on = NULL",
            )
            .bind(project)
            .bind(format_date(today))
            .bind(name)
            .execute(&mut **tx)
            .await?;
        }
        for name in &ended {
            sqlx::query(
                "UPDATE project_members SET ends_on = $1 WHERE project_id = $2 AND role = 'analyst' \
                 AND person_id = (SELECT id FROM people WHERE username = $3)",
            )
            .bind(format_date(today - time::Duration::days(1)))
            .bind(project)
            .bind(name)
            .execute(&mut **tx)
            .await?;
        }
        changes = json!({"added": added, "ended": ended, "ends_on": format_date(ends)});
        let event = AuditEvent::new(Actor::System, "project.amend", format!("project:{project}"), Audited::Success)
            .with_details(json!({"application": id, "version": version, "changes": changes}));
        append(tx, now, &event).await?;
        for (names, joined) in [(added, true), (ended, false)] {
            for name in names {
                let person: i64 = sqlx::query_scalar("SELECT id FROM people WHERE username = $1")
                    .bind(&name)
                    .fetch_one(&mut **tx)
                    .await?;
                let message = crate::says!("notify-membership", joined = joined, title = body.title);
                let key = format!("application:{id}:{version}:member:{person}");
                crate::notifications::notify(tx, now, person, &key, &message).await?;
            }
        }
    }
    if matches!(outcome, Outcome::Rejected) {
        restore_approved(tx, now, id).await?;
    } else {
        set_state(tx, now, id, next).await?;
    }
    let (applicant, title): (i64, String) = sqlx::query_as(
        "SELECT a.applicant_id, p.title FROM applications a JOIN projects p ON p.id = a.project_id WHERE a.id = $1",
    )
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    let said = match outcome {
        Outcome::Approved(_) => "approved",
        Outcome::Rejected => "rejected",
        Outcome::ChangesRequested => "changes_requested",
    };
    let message = crate::says!("notify-amendment-decided", title = title, outcome = said);
    crate::notifications::notify(tx, now, applicant, &format!("application:{id}:{version}:decided"), &message).await?;
    let event = AuditEvent::new(Actor::System, "application.decide", format!("application:{id}"), Audited::Success)
        .with_details(json!({"version": version, "outcome": name, "conditions": conditions, "changes": changes}));
    append(tx, now, &event).await?;
    Ok(next)
}

/// Records a decision of the board on a version.
async fn record_decision(
    tx: &mut WriteTx,
    now: OffsetDateTime,
    id: i64,
    version: i64,
    outcome: &str,
    conditions: &[String],
    ends_on: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO board_decisions (application_id, version, outcome, conditions, decided_at, ends_on) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(version)
    .bind(outcome)
    .bind(json!(conditions).to_string())
    .bind(to_millis(now))
    .bind(ends_on)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Moves an application to `state`.
async fn set_state(tx: &mut WriteTx, now: OffsetDateTime, id: i64, state: State) -> Result<(), StoreError> {
    sqlx::query("UPDATE applications SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(state.as_str())
        .bind(to_millis(now))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The applicant withdraws an application that is not decided, or an amendment (being written
/// or with the board): the application is approved as before, with its approved text.
pub async fn withdraw(db: &Db, now: OffsetDateTime, person: i64, id: i64) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    let (state, _) = mine(&mut tx, id, person).await?;
    let amendment = matches!(state, State::Amending | State::AmendmentSubmitted);
    if amendment {
        restore_approved(&mut tx, now, id).await?;
    } else if matches!(state, State::Draft | State::Submitted | State::ChangesRequested) {
        sqlx::query("UPDATE applications SET state = 'withdrawn', updated_at = $1 WHERE id = $2")
            .bind(to_millis(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
    } else {
        drop(tx);
        let message = crate::says!("app-not-withdrawable", state = state.as_str());
        return Err(refuse(db, now, person, "application.withdraw", id, "state", message).await);
    }
    let event =
        AuditEvent::new(Actor::Person(person), "application.withdraw", format!("application:{id}"), Audited::Success)
            .with_details(json!({"amendment": amendment}));
    append(&mut tx, now, &event).await?;
    tx.commit().await?;
    Ok(())
}
