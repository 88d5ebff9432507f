//! Outputs, their versions, votes and releases in the database. Every change is one
//! transaction with its audit entry; a refused vote changes nothing and is audited as denied.

use super::domain::{self, Ballot, Mitigation, Policy, State, Vote};
use crate::audit::store::{append, refusal as refuse};
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::clock::{from_millis, to_millis};
use crate::db::{Db, StoreError, WriteTx};
use crate::ledger::Ledger;
use policy::sdc::{Params, Status};
use roaring::RoaringBitmap;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// An output (a release request).
#[derive(Debug, Clone)]
pub struct Output {
    /// Id.
    pub id: i64,
    /// Its project.
    pub project_id: i64,
    /// Title.
    pub title: String,
    /// Who asked for it.
    pub requested_by: i64,
    /// Their name.
    pub requester: String,
    /// Where it stands.
    pub state: State,
    /// Its current version.
    pub version: i64,
    /// When it was saved first.
    pub created_at: OffsetDateTime,
}

/// One version of an output, as the gate judged it.
#[derive(Debug, Clone)]
pub struct Version {
    /// Number, from 1.
    pub version: i64,
    /// The query.
    pub sql: String,
    /// The query's SHA-256.
    pub sql_sha256: String,
    /// The extract it ran over.
    pub extract_id: i64,
    /// What it is for.
    pub purpose: String,
    /// What each column means.
    pub columns_note: String,
    /// The analyst's note on disclosure control.
    pub sdc_note: String,
    /// Suppression and rounding asked for.
    pub mitigation: Mitigation,
    /// Which parameters judged it.
    pub params_version: String,
    /// The gate's status.
    pub status: Status,
    /// The gate's judgement (JSON, as `tre gate check` prints it).
    pub judgement: Value,
    /// The table as it would be released.
    pub csv: String,
    /// Its SHA-256.
    pub csv_sha256: String,
    /// When.
    pub created_at: OffsetDateTime,
}

/// A custodian's vote.
#[derive(Debug, Clone)]
pub struct Cast {
    /// Who.
    pub custodian_id: i64,
    /// Their name.
    pub name: String,
    /// How.
    pub vote: Vote,
    /// Why.
    pub comment: String,
    /// When.
    pub at: OffsetDateTime,
}

/// A release.
#[derive(Debug, Clone)]
pub struct Release {
    /// Id (also its number in the project's ledger).
    pub id: i64,
    /// The version released.
    pub version: i64,
    /// The released table.
    pub csv: String,
    /// Its SHA-256.
    pub csv_sha256: String,
    /// The manifest (JSON).
    pub manifest: String,
    /// When.
    pub released_at: OffsetDateTime,
}

/// What the analyst writes about an output.
#[derive(Debug, Clone)]
pub struct Notes {
    /// What it is for.
    pub purpose: String,
    /// What each column means.
    pub columns_note: String,
    /// The analyst's note on disclosure control.
    pub sdc_note: String,
}

/// A version judged by the gate, ready to store (and, when approved, to release).
#[derive(Debug, Clone)]
pub struct Judged {
    /// The query.
    pub sql: String,
    /// The extract it ran over.
    pub extract_id: i64,
    /// Suppression and rounding applied.
    pub mitigation: Mitigation,
    /// The parameters.
    pub params: Params,
    /// Their version.
    pub params_version: String,
    /// The status.
    pub status: Status,
    /// The judgement as JSON.
    pub judgement: Value,
    /// The table as it would be released.
    pub csv: String,
    /// The cells to record in the ledger: label, persons in ledger ids, value.
    pub released: Vec<(String, RoaringBitmap, Option<f64>)>,
    /// Releases in the project's ledger when it was checked.
    pub ledger_releases: i64,
    /// Persons the ledger knew then; `released` numbers new persons after them, in the
    /// order of `new_persons` (their pseudonyms).
    pub ledger_known: usize,
    /// Pseudonyms of persons the ledger had not seen.
    pub new_persons: Vec<i64>,
}

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Whether two tables hold the same rows, in any order.
fn same_table(a: &str, b: &str) -> bool {
    match (crate::gate::table_digest(a), crate::gate::table_digest(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

type OutputRow = (i64, i64, String, i64, String, String, i64, i64);

/// The select of an output with its requester's name, then `$rest`.
macro_rules! select_outputs {
    ($extra:literal, $rest:literal) => {
        concat!(
            "SELECT o.id, o.project_id, o.title, o.requested_by, p.display_name, o.state, o.version, o.created_at",
            $extra,
            " FROM outputs o JOIN people p ON p.id = o.requested_by ",
            $rest
        )
    };
}

fn output_of(r: OutputRow) -> Result<Output, StoreError> {
    Ok(Output {
        id: r.0,
        project_id: r.1,
        title: r.2,
        requested_by: r.3,
        requester: r.4,
        state: State::parse(&r.5).ok_or_else(|| StoreError::Corrupt(format!("unknown output state {}", r.5)))?,
        version: r.6,
        created_at: from_millis(r.7),
    })
}

/// One output.
pub async fn output(db: &Db, id: i64) -> Result<Option<Output>, StoreError> {
    let row: Option<OutputRow> =
        sqlx::query_as(select_outputs!("", "WHERE o.id = $1")).bind(id).fetch_optional(db.pool()).await?;
    row.map(output_of).transpose()
}

/// A project's outputs, newest first.
/// Each with the custodians' votes on its current version that carry a comment.
pub async fn of_project(db: &Db, project: i64) -> Result<Vec<(Output, Vec<Cast>)>, StoreError> {
    let rows: Vec<OutputRow> = sqlx::query_as(select_outputs!("", "WHERE o.project_id = $1 ORDER BY o.id DESC"))
        .bind(project)
        .fetch_all(db.pool())
        .await?;
    let commented: Vec<(i64, i64, String, String, String, i64)> = sqlx::query_as(
        "SELECT v.output_id, v.custodian_id, p.display_name, v.vote, v.comment, v.created_at FROM output_votes v \
         JOIN outputs o ON o.id = v.output_id AND o.version = v.version JOIN people p ON p.id = v.custodian_id \
         WHERE o.project_id = $1 AND v.comment <> '' ORDER BY v.created_at, v.custodian_id",
    )
    .bind(project)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            let output = output_of(r)?;
            let comments = commented
                .iter()
                .filter(|c| c.0 == output.id)
                .filter_map(|c| {
                    Some(Cast {
                        custodian_id: c.1,
                        name: c.2.clone(),
                        vote: Vote::parse(&c.3)?,
                        comment: c.4.clone(),
                        at: from_millis(c.5),
                    })
                })
                .collect();
            Ok((output, comments))
        })
        .collect()
}

/// Outputs waiting for custodians, oldest first, with their project's title.
pub async fn queue(db: &Db) -> Result<Vec<(Output, String, Status, Value)>, StoreError> {
    type QueueRow = (i64, i64, String, i64, String, String, i64, i64, String, String, String);
    let rows: Vec<QueueRow> = sqlx::query_as(select_outputs!(
        ", pr.title, v.status, v.judgement",
        "JOIN projects pr ON pr.id = o.project_id \
         JOIN output_versions v ON v.output_id = o.id AND v.version = o.version \
         WHERE o.state = 'submitted' ORDER BY o.updated_at, o.id"
    ))
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            let status = Status::parse(&r.9).unwrap_or(Status::Refused);
            let judgement =
                serde_json::from_str(&r.10).map_err(|e| StoreError::Corrupt(format!("a judgement: {e}")))?;
            Ok((output_of((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7))?, r.8, status, judgement))
        })
        .collect()
}

type VersionRow =
    (i64, String, String, i64, String, String, String, String, String, String, String, String, String, i64);

/// An output's versions, newest first.
pub async fn versions(db: &Db, output: i64) -> Result<Vec<Version>, StoreError> {
    let rows: Vec<VersionRow> = sqlx::query_as(
        "SELECT version, sql_text, sql_sha256, extract_id, purpose, columns_note, sdc_note, mitigation, params_version, \
         status, judgement, csv, csv_sha256, created_at FROM output_versions WHERE output_id = $1 ORDER BY version DESC",
    )
    .bind(output)
    .fetch_all(db.pool())
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Version {
                version: r.0,
                sql: r.1,
                sql_sha256: r.2,
                extract_id: r.3,
                purpose: r.4,
                columns_note: r.5,
                sdc_note: r.6,
                mitigation: Mitigation::parse(&r.7).unwrap_or(Mitigation::None),
                params_version: r.8,
                status: Status::parse(&r.9).unwrap_or(Status::Refused),
                judgement: serde_json::from_str(&r.10)
                    .map_err(|e| StoreError::Corrupt(format!("a stored judgement: {e}")))?,
                csv: r.11,
                csv_sha256: r.12,
                created_at: from_millis(r.13),
            })
        })
        .collect()
}

/// A vote as stored: custodian, name, vote, comment, when.
type VoteRow = (i64, String, String, String, i64);

/// The votes on one version of an output, in order.
const VOTES: &str = "SELECT v.custodian_id, p.display_name, v.vote, v.comment, v.created_at FROM output_votes v \
     JOIN people p ON p.id = v.custodian_id WHERE v.output_id = $1 AND v.version = $2 ORDER BY v.created_at, v.custodian_id";

/// The votes on one version of an output, in order.
pub async fn votes(db: &Db, output: i64, version: i64) -> Result<Vec<Cast>, StoreError> {
    let rows: Vec<VoteRow> = sqlx::query_as(VOTES).bind(output).bind(version).fetch_all(db.pool()).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Cast { custodian_id: r.0, name: r.1, vote: Vote::parse(&r.2)?, comment: r.3, at: from_millis(r.4) })
        })
        .collect())
}

/// An output's release, if it has one.
pub async fn release(db: &Db, output: i64) -> Result<Option<Release>, StoreError> {
    let row: Option<(i64, i64, String, String, String, i64)> =
        sqlx::query_as("SELECT id, version, csv, csv_sha256, manifest, released_at FROM releases WHERE output_id = $1")
            .bind(output)
            .fetch_optional(db.pool())
            .await?;
    Ok(row.map(|r| Release {
        id: r.0,
        version: r.1,
        csv: r.2,
        csv_sha256: r.3,
        manifest: r.4,
        released_at: from_millis(r.5),
    }))
}

/// The project's ledger of released cells, indexed for `threshold`, and how many releases
/// it holds. A corrupt ledger is an error: nothing is judged against half a ledger.
pub async fn ledger(db: &Db, project: i64, threshold: u64) -> Result<(Ledger, i64), StoreError> {
    let row: Option<(i64, String)> = sqlx::query_as("SELECT releases, body FROM ledgers WHERE project_id = $1")
        .bind(project)
        .fetch_optional(db.pool())
        .await?;
    match row {
        None => Ok((Ledger::in_memory(threshold), 0)),
        Some((releases, body)) => {
            let ledger = Ledger::from_bytes(body.as_bytes(), &format!("the ledger of project {project}"), threshold)
                .map_err(StoreError::Corrupt)?;
            Ok((ledger, releases))
        }
    }
}

/// The gate's parameters for `project`: the newest version set for the project, else for the
/// dataset of its current extract, else for the platform, else the defaults. Returns them with
/// their version's name ("project:7 v2", "defaults").
pub async fn params_for(db: &Db, project: i64) -> Result<(Params, String), StoreError> {
    let dataset: Option<(String,)> = sqlx::query_as(
        "SELECT d.name FROM extracts e JOIN dataset_versions dv ON dv.id = e.dataset_version_id \
         JOIN datasets d ON d.id = dv.dataset_id WHERE e.project_id = $1 ORDER BY e.version DESC LIMIT 1",
    )
    .bind(project)
    .fetch_optional(db.pool())
    .await?;
    let mut scopes = vec![format!("project:{project}")];
    if let Some((name,)) = dataset {
        scopes.push(format!("dataset:{name}"));
    }
    scopes.push("platform".into());
    for scope in scopes {
        let row: Option<(i64, String)> =
            sqlx::query_as("SELECT version, params FROM gate_params WHERE scope = $1 ORDER BY version DESC LIMIT 1")
                .bind(&scope)
                .fetch_optional(db.pool())
                .await?;
        if let Some((version, text)) = row {
            let params = crate::gate::read_params(&text).map_err(StoreError::Corrupt)?;
            return Ok((params, format!("{scope} v{version}")));
        }
    }
    Ok((Params::default(), "defaults".into()))
}

/// The versions of the parameters set for `scope`, newest first: version, JSON, reason, by whom, when.
pub async fn params_history(db: &Db, scope: &str) -> Result<Vec<(i64, String, String, String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT g.version, g.params, g.reason, p.display_name, g.set_at FROM gate_params g \
         JOIN people p ON p.id = g.set_by WHERE g.scope = $1 ORDER BY g.version DESC",
    )
    .bind(scope)
    .fetch_all(db.pool())
    .await?)
}

/// Sets a new version of the parameters for `scope` (`platform`, `dataset:NAME` or
/// `project:ID`) from their JSON, with the custodian's reason. Audited, refusals too.
pub async fn set_params(
    db: &Db,
    now: OffsetDateTime,
    custodian: i64,
    scope: &str,
    params: &str,
    reason: &str,
) -> Result<i64, StoreError> {
    let checked = crate::gate::read_params(params)
        .map_err(|e| crate::says!("gate-params-invalid", problem = e))
        .and_then(|p| Ok((p, domain::check_text("reason", reason, true, 2000)?)))
        .and_then(|(p, r)| {
            Ok((serde_json::to_string(&p).map_err(|e| crate::says!("gate-params-invalid", problem = e))?, r))
        });
    let (text, reason) = match checked {
        Ok(x) => x,
        Err(message) => {
            let event = AuditEvent::new(Actor::Person(custodian), "gate.params_set", scope, Outcome::Denied)
                .with_details(json!({"reason": crate::i18n::en(&message)}));
            return Err(refuse(db, now, event, message).await);
        }
    };
    let mut tx = db.begin_write().await?;
    let (last,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(version) FROM gate_params WHERE scope = $1").bind(scope).fetch_one(&mut *tx).await?;
    let version = last.unwrap_or(0) + 1;
    sqlx::query(
        "INSERT INTO gate_params (scope, version, params, reason, set_by, set_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(scope)
    .bind(version)
    .bind(&text)
    .bind(&reason)
    .bind(custodian)
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await?;
    let details = json!({"scope": scope, "version": version, "params": serde_json::from_str::<Value>(&text).unwrap_or(Value::Null), "reason": reason});
    append(
        &mut tx,
        now,
        &AuditEvent::new(Actor::Person(custodian), "gate.params_set", scope, Outcome::Success).with_details(details),
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

async fn insert_version(
    tx: &mut WriteTx,
    now: OffsetDateTime,
    output: i64,
    version: i64,
    person: i64,
    notes: &Notes,
    judged: &Judged,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO output_versions (output_id, version, sql_text, sql_sha256, extract_id, purpose, columns_note, \
         sdc_note, mitigation, params, params_version, status, judgement, csv, csv_sha256, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(output)
    .bind(version)
    .bind(&judged.sql)
    .bind(sha256(&judged.sql))
    .bind(judged.extract_id)
    .bind(&notes.purpose)
    .bind(&notes.columns_note)
    .bind(&notes.sdc_note)
    .bind(judged.mitigation.as_str())
    .bind(serde_json::to_string(&judged.params).map_err(|e| StoreError::Corrupt(e.to_string()))?)
    .bind(&judged.params_version)
    .bind(judged.status.name())
    .bind(judged.judgement.to_string())
    .bind(&judged.csv)
    .bind(sha256(&judged.csv))
    .bind(person)
    .bind(to_millis(now))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn version_details(output: i64, version: i64, judged: &Judged) -> Value {
    json!({"output": output, "version": version, "sql_sha256": sha256(&judged.sql), "extract": judged.extract_id,
           "status": judged.status.name(), "mitigation": judged.mitigation.as_str(), "params": judged.params_version})
}

/// Saves a judged result as a new output of `project` (a draft).
pub async fn create(
    db: &Db,
    now: OffsetDateTime,
    project: i64,
    person: i64,
    title: &str,
    notes: &Notes,
    judged: &Judged,
) -> Result<i64, StoreError> {
    let mut tx = db.begin_write().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO outputs (project_id, title, requested_by, state, version, created_at, updated_at) \
         VALUES ($1, $2, $3, 'draft', 1, $4, $4) RETURNING id",
    )
    .bind(project)
    .bind(title)
    .bind(person)
    .bind(to_millis(now))
    .fetch_one(&mut *tx)
    .await?;
    insert_version(&mut tx, now, id, 1, person, notes, judged).await?;
    let event = AuditEvent::new(Actor::Person(person), "output.create", format!("project:{project}"), Outcome::Success)
        .with_details(version_details(id, 1, judged));
    append(&mut tx, now, &event).await?;
    tx.commit().await?;
    Ok(id)
}

/// Reads an output's state and requester inside a transaction, checking it belongs to `project`.
async fn locked(tx: &mut WriteTx, project: i64, output: i64) -> Result<(State, i64, i64), StoreError> {
    let row: Option<(i64, String, i64, i64)> =
        sqlx::query_as("SELECT project_id, state, requested_by, version FROM outputs WHERE id = $1")
            .bind(output)
            .fetch_optional(&mut **tx)
            .await?;
    let Some((p, state, requester, version)) = row else { return Err(StoreError::NotFound) };
    if p != project {
        return Err(StoreError::NotFound);
    }
    let state = State::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("unknown output state {state}")))?;
    Ok((state, requester, version))
}

/// Moves an output to `state`.
async fn set_state(tx: &mut WriteTx, now: OffsetDateTime, output: i64, state: State) -> Result<(), StoreError> {
    sqlx::query("UPDATE outputs SET state = $1, updated_at = $2 WHERE id = $3")
        .bind(state.as_str())
        .bind(to_millis(now))
        .bind(output)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A new version of an output (another query, notes, suppression or rounding); asked for
/// again only when the analyst says so. Votes on earlier versions stay with them.
pub async fn revise(
    db: &Db,
    now: OffsetDateTime,
    project: i64,
    output: i64,
    person: i64,
    notes: &Notes,
    judged: &Judged,
) -> Result<i64, StoreError> {
    let mut tx = db.begin_write().await?;
    let (state, _, version) = locked(&mut tx, project, output).await?;
    if !state.may_revise() {
        drop(tx);
        let event =
            AuditEvent::new(Actor::Person(person), "output.revise", format!("output:{output}"), Outcome::Denied)
                .with_details(json!({"reason": "state", "state": state.as_str()}));
        return Err(refuse(db, now, event, crate::says!("out-not-revisable", state = state.as_str())).await);
    }
    let next = version + 1;
    insert_version(&mut tx, now, output, next, person, notes, judged).await?;
    sqlx::query("UPDATE outputs SET version = $1, state = 'draft', updated_at = $2 WHERE id = $3")
        .bind(next)
        .bind(to_millis(now))
        .bind(output)
        .execute(&mut *tx)
        .await?;
    let event = AuditEvent::new(Actor::Person(person), "output.revise", format!("project:{project}"), Outcome::Success)
        .with_details(version_details(output, next, judged));
    append(&mut tx, now, &event).await?;
    tx.commit().await?;
    Ok(next)
}

/// The analyst asks for release of the current version (only one the gate passes or sends
/// to review), or withdraws the output.
pub async fn submit_or_withdraw(
    db: &Db,
    now: OffsetDateTime,
    project: i64,
    output: i64,
    person: i64,
    withdraw: bool,
) -> Result<(), StoreError> {
    let action = if withdraw { "output.withdraw" } else { "output.submit" };
    let mut tx = db.begin_write().await?;
    let (state, _, version) = locked(&mut tx, project, output).await?;
    let (status,): (String,) =
        sqlx::query_as("SELECT status FROM output_versions WHERE output_id = $1 AND version = $2")
            .bind(output)
            .bind(version)
            .fetch_one(&mut *tx)
            .await?;
    let status = Status::parse(&status).unwrap_or(Status::Refused);
    let allowed = if withdraw {
        if state.is_final() { Err(crate::says!("out-not-withdrawable", state = state.as_str())) } else { Ok(()) }
    } else {
        domain::may_submit(state, status)
    };
    if let Err(message) = allowed {
        drop(tx);
        let event = AuditEvent::new(Actor::Person(person), action, format!("output:{output}"), Outcome::Denied)
            .with_details(json!({"state": state.as_str(), "status": status.name(), "version": version}));
        return Err(refuse(db, now, event, message).await);
    }
    let next = if withdraw { State::Withdrawn } else { State::Submitted };
    set_state(&mut tx, now, output, next).await?;
    if !withdraw {
        let title: String =
            sqlx::query_scalar("SELECT title FROM outputs WHERE id = $1").bind(output).fetch_one(&mut *tx).await?;
        let message = crate::says!("notify-output-waits", title = title, version = version);
        let key = format!("output:{output}:{version}");
        crate::notifications::notify_role(&mut tx, now, "custodian", &key, &message).await?;
    }
    let event = AuditEvent::new(Actor::Person(person), action, format!("project:{project}"), Outcome::Success)
        .with_details(json!({"output": output, "version": version, "status": status.name()}));
    append(&mut tx, now, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// A custodian's vote on the current version of `output`. The approval that reaches the
/// policy's number writes, in the same transaction, the release (the table and its manifest)
/// and the ledger entry; it needs `release`, the version judged again just now, which must
/// give the same table and have been checked against the ledger as it stands.
#[allow(clippy::too_many_arguments)]
pub async fn vote(
    db: &Db,
    now: OffsetDateTime,
    output: i64,
    custodian: i64,
    vote: Vote,
    comment: &str,
    policy: Policy,
    release: Option<&Judged>,
) -> Result<State, StoreError> {
    let comment = domain::check_text("comment", comment, false, 4000).map_err(StoreError::Rule)?;
    let mut tx = db.begin_write().await?;
    let row: Option<(i64, String, i64, i64, String)> =
        sqlx::query_as("SELECT project_id, state, requested_by, version, title FROM outputs WHERE id = $1")
            .bind(output)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((project, state, requester, version, title)) = row else { return Err(StoreError::NotFound) };
    let state = State::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("unknown output state {state}")))?;
    if !state.is_final() && !project_is_open(&mut tx, project, now).await? {
        stop_outputs(&mut tx, now, project, "the project's access has ended").await?;
        tx.commit().await?;
        let message = crate::says!("out-project-not-open");
        let event =
            AuditEvent::new(Actor::Person(custodian), "output.vote", format!("output:{output}"), Outcome::Denied)
                .with_details(json!({"vote": vote.as_str(), "version": version, "reason": "project_not_open"}));
        return Err(refuse(db, now, event, message).await);
    }
    let members: Vec<i64> = sqlx::query_scalar("SELECT DISTINCT person_id FROM project_members WHERE project_id = $1")
        .bind(project)
        .fetch_all(&mut *tx)
        .await?;
    let cast: Vec<(i64, String)> =
        sqlx::query_as("SELECT custodian_id, vote FROM output_votes WHERE output_id = $1 AND version = $2")
            .bind(output)
            .bind(version)
            .fetch_all(&mut *tx)
            .await?;
    let cast: Vec<(i64, Vote)> = cast.into_iter().filter_map(|(who, v)| Some((who, Vote::parse(&v)?))).collect();
    let ballot = Ballot { state, requester, members: &members, votes: &cast };
    let denied = |reason: &str, message: crate::i18n::Says| {
        let event =
            AuditEvent::new(Actor::Person(custodian), "output.vote", format!("output:{output}"), Outcome::Denied)
                .with_details(json!({"vote": vote.as_str(), "version": version, "reason": reason}));
        (event, message)
    };
    let next = match domain::cast(&ballot, custodian, vote, &comment, policy) {
        Ok(next) => next,
        Err(refusal) => {
            drop(tx);
            let (event, message) = denied(refusal.code(), refusal.says());
            return Err(refuse(db, now, event, message).await);
        }
    };
    let stored: (String, i64) =
        sqlx::query_as("SELECT csv, extract_id FROM output_versions WHERE output_id = $1 AND version = $2")
            .bind(output)
            .bind(version)
            .fetch_one(&mut *tx)
            .await?;
    let (releases, body): (i64, Option<String>) =
        match sqlx::query_as::<_, (i64, String)>("SELECT releases, body FROM ledgers WHERE project_id = $1")
            .bind(project)
            .fetch_optional(&mut *tx)
            .await?
        {
            Some((n, body)) => (n, Some(body)),
            None => (0, None),
        };
    let material = if next == State::Released {
        let problem = match release {
            None => Some(("not_judged", crate::says!("out-release-not-judged"))),
            Some(j) if !same_table(&j.csv, &stored.0) || j.extract_id != stored.1 => {
                Some(("changed", crate::says!("out-release-changed")))
            }
            Some(j) if j.ledger_releases != releases => {
                Some(("ledger_moved", crate::says!("out-release-ledger-moved")))
            }
            Some(j) if !j.status.may_be_released() => {
                Some(("gate", crate::says!("out-release-gate", status = j.status.name())))
            }
            Some(_) => None,
        };
        if let Some((reason, message)) = problem {
            drop(tx);
            let (event, message) = denied(reason, message);
            return Err(refuse(db, now, event, message).await);
        }
        release
    } else {
        None
    };
    sqlx::query(
        "INSERT INTO output_votes (output_id, version, custodian_id, vote, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(output)
    .bind(version)
    .bind(custodian)
    .bind(vote.as_str())
    .bind(&comment)
    .bind(to_millis(now))
    .execute(&mut *tx)
    .await?;
    set_state(&mut tx, now, output, next).await?;
    if next != State::Submitted {
        let message = if comment.is_empty() {
            crate::says!("notify-output-decided", title = title, state = next.as_str())
        } else {
            crate::says!("notify-output-decided-comment", title = title, state = next.as_str(), comment = comment)
        };
        crate::notifications::notify(
            &mut tx,
            now,
            requester,
            &format!("output:{output}:{version}:{}", next.as_str()),
            &message,
        )
        .await?;
    }
    let event =
        AuditEvent::new(Actor::Person(custodian), "output.vote", format!("project:{project}"), Outcome::Success)
            .with_details(json!({"output": output, "version": version, "vote": vote.as_str(), "state": next.as_str()}));
    append(&mut tx, now, &event).await?;
    if let Some(judged) = material {
        // The table released is the one the custodians reviewed (the rerun gave the same rows).
        let judged = Judged { csv: stored.0, ..judged.clone() };
        write_release(&mut tx, now, project, output, version, &title, &judged, body, releases).await?;
    }
    tx.commit().await?;
    Ok(next)
}

/// Whether `project` is approved and today is within its dates.
async fn project_is_open(tx: &mut WriteTx, project: i64, now: OffsetDateTime) -> Result<bool, StoreError> {
    let row: Option<(i64, String, String, String, String)> =
        sqlx::query_as("SELECT id, title, status, starts_on, ends_on FROM projects WHERE id = $1")
            .bind(project)
            .fetch_optional(&mut **tx)
            .await?;
    match row {
        Some(row) => Ok(crate::projects::store::project_from(row)?.open_on(now.date())),
        None => Ok(false),
    }
}

/// Stops every open release request of `project` (law 7: its access ended), inside the
/// caller's transaction, with an audit entry naming `reason`. Returns how many stopped.
pub async fn stop_outputs(
    tx: &mut WriteTx,
    now: OffsetDateTime,
    project: i64,
    reason: &str,
) -> Result<u64, StoreError> {
    stop(tx, now, project, None, reason).await
}

/// Stops one open release request (its requester lost access: law 7), inside the caller's
/// transaction, audited with `reason`. Returns 1 if it stopped, 0 if it was not open.
pub async fn stop_output(
    tx: &mut WriteTx,
    now: OffsetDateTime,
    output: i64,
    project: i64,
    reason: &str,
) -> Result<u64, StoreError> {
    stop(tx, now, project, Some(output), reason).await
}

async fn stop(
    tx: &mut WriteTx,
    now: OffsetDateTime,
    project: i64,
    only: Option<i64>,
    reason: &str,
) -> Result<u64, StoreError> {
    let query = match only {
        None => sqlx::query(
            "UPDATE outputs SET state = 'stopped', updated_at = $1 WHERE project_id = $2 AND id <> $3 \
             AND state IN ('draft', 'submitted', 'changes_requested')",
        ),
        Some(_) => sqlx::query(
            "UPDATE outputs SET state = 'stopped', updated_at = $1 WHERE project_id = $2 AND id = $3 \
             AND state IN ('draft', 'submitted', 'changes_requested')",
        ),
    };
    // Ids start at 1, so "id <> 0" is every output of the project.
    let stopped =
        query.bind(to_millis(now)).bind(project).bind(only.unwrap_or(0)).execute(&mut **tx).await?.rows_affected();
    if stopped > 0 {
        let event = AuditEvent::new(Actor::System, "output.stop", format!("project:{project}"), Outcome::Success)
            .with_details(json!({"outputs": stopped, "output": only, "reason": reason}));
        append(tx, now, &event).await?;
    }
    Ok(stopped)
}

/// The release inside the approving vote's transaction: table, manifest, ledger entry, audit.
#[allow(clippy::too_many_arguments)]
async fn write_release(
    tx: &mut WriteTx,
    now: OffsetDateTime,
    project: i64,
    output: i64,
    version: i64,
    title: &str,
    judged: &Judged,
    ledger_body: Option<String>,
    releases: i64,
) -> Result<(), StoreError> {
    let reviewers: Vec<VoteRow> = sqlx::query_as(VOTES).bind(output).bind(version).fetch_all(&mut **tx).await?;
    let extract: (i64, String) = sqlx::query_as("SELECT version, manifest_sha256 FROM extracts WHERE id = $1")
        .bind(judged.extract_id)
        .fetch_one(&mut **tx)
        .await?;
    let csv_sha256 = sha256(&judged.csv);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO releases (output_id, version, project_id, csv, csv_sha256, manifest, released_at) \
         VALUES ($1, $2, $3, $4, $5, '', $6) RETURNING id",
    )
    .bind(output)
    .bind(version)
    .bind(project)
    .bind(&judged.csv)
    .bind(&csv_sha256)
    .bind(to_millis(now))
    .fetch_one(&mut **tx)
    .await?;
    let manifest = manifest(id, project, output, version, title, judged, extract, &csv_sha256, &reviewers, now);
    sqlx::query("UPDATE releases SET manifest = $1 WHERE id = $2")
        .bind(manifest.to_string())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let name = format!("the ledger of project {project}");
    let mut ledger = match &ledger_body {
        Some(body) => {
            Ledger::from_bytes(body.as_bytes(), &name, judged.params.threshold).map_err(StoreError::Corrupt)?
        }
        None => Ledger::in_memory(judged.params.threshold),
    };
    // The judgement's person ids were taken from this ledger as it stood (the vote checked
    // that no release came between), so its new persons extend the registry in their order.
    if ledger.known() != judged.ledger_known {
        return Err(StoreError::Rule(crate::says!("out-ledger-changed")));
    }
    ledger.ids_of(judged.new_persons.iter().copied());
    ledger.record_as(id as u64, judged.released.clone()).map_err(StoreError::Corrupt)?;
    let body = String::from_utf8(ledger.to_bytes().map_err(StoreError::Corrupt)?)
        .map_err(|_| StoreError::Corrupt("the ledger is not text".into()))?;
    sqlx::query(
        "INSERT INTO ledgers (project_id, releases, body) VALUES ($1, $2, $3) \
         ON CONFLICT (project_id) DO UPDATE SET releases = excluded.releases, body = excluded.body",
    )
    .bind(project)
    .bind(releases + 1)
    .bind(body)
    .execute(&mut **tx)
    .await?;
    let event = AuditEvent::new(Actor::System, "output.release", format!("project:{project}"), Outcome::Success)
        .with_details(json!({"output": output, "version": version, "release": id, "csv_sha256": csv_sha256,
                             "cells": judged.released.len()}));
    append(tx, now, &event).await?;
    Ok(())
}

/// The release's manifest, in the spirit of the Five Safes RO-Crate: what was released
/// (the table's hash), from what (the query's hash, the extract's version and manifest hash,
/// the parameters' version), each cell's verdict (rule names only: a suppressed cell's
/// details would say what it hides), and who approved it when.
#[allow(clippy::too_many_arguments)]
fn manifest(
    id: i64,
    project: i64,
    output: i64,
    version: i64,
    title: &str,
    judged: &Judged,
    extract: (i64, String),
    csv_sha256: &str,
    reviewers: &[VoteRow],
    now: OffsetDateTime,
) -> Value {
    let cells: Vec<Value> = judged.judgement["cells"]
        .as_array()
        .map(|cells| {
            cells
                .iter()
                .map(|c| {
                    let rules: Vec<&Value> =
                        c["rules"].as_array().map(|r| r.iter().map(|f| &f["rule"]).collect()).unwrap_or_default();
                    json!({"group": c["group"], "column": c["column"], "statistic": c["statistic"],
                           "verdict": if c["suppressed"].as_bool() == Some(true) { "suppressed" } else { "published" },
                           "rules": rules})
                })
                .collect()
        })
        .unwrap_or_default();
    let time = |t: OffsetDateTime| t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    json!({
        "@context": "https://w3id.org/ro/crate/1.1/context",
        "@type": "Release",
        "release": id,
        "project": project,
        "output": output,
        "version": version,
        "title": title,
        "released_at": time(now),
        "files": [{"name": format!("release-{id}.csv"), "sha256": csv_sha256}],
        "query": {"sha256": sha256(&judged.sql)},
        "extract": {"id": judged.extract_id, "version": extract.0, "manifest_sha256": extract.1},
        "parameters": {"version": judged.params_version, "values": judged.params},
        "gate": {"status": judged.status.name(), "mitigation": judged.mitigation.as_str()},
        "cells": cells,
        "reviewers": reviewers.iter().map(|(who, name, vote, comment, at)| json!({
            "person": who, "name": name, "vote": vote, "comment": comment, "at": time(from_millis(*at)),
        })).collect::<Vec<_>>(),
    })
}
