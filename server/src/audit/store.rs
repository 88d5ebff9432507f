//! Writing and verifying the audit chain in the database.
//!
//! [`append`] must be called inside a transaction from [`Db::begin_write`], which serialises
//! writers: the new entry links to the newest committed one.

use super::AuditEvent;
use super::domain::{Break, ChainVerifier, Entry, GENESIS, canonical_details, entry_hash};
use crate::clock::to_millis;
use crate::db::{Db, WriteTx};
use futures_util::TryStreamExt;
use sqlx::Row;
use time::OffsetDateTime;

/// Appends one entry to the chain, inside the caller's write transaction.
pub async fn append(tx: &mut WriteTx, now: OffsetDateTime, event: &AuditEvent) -> Result<i64, sqlx::Error> {
    let last =
        sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetch_optional(&mut **tx).await?;
    let (seq, prev_hash) = match last {
        Some(row) => (row.try_get::<i64, _>("seq")? + 1, row.try_get::<String, _>("hash")?),
        None => (1, GENESIS.to_string()),
    };
    let at = to_millis(now);
    let actor = event.actor.encode();
    let outcome = event.outcome.as_str();
    let details = canonical_details(&event.details);
    let hash = entry_hash(&prev_hash, seq, at, &actor, event.action, &event.object, outcome, &details);
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, object, outcome, details, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(seq)
    .bind(at)
    .bind(actor)
    .bind(event.action)
    .bind(&event.object)
    .bind(outcome)
    .bind(details)
    .bind(prev_hash)
    .bind(hash)
    .execute(&mut **tx)
    .await?;
    Ok(seq)
}

/// Records one event in a transaction of its own (for events with no other state change,
/// such as an access decision).
pub async fn record(db: &Db, now: OffsetDateTime, event: &AuditEvent) -> Result<i64, crate::db::DbError> {
    let mut tx = db.begin_write().await?;
    let seq = append(&mut tx, now, event).await?;
    tx.commit().await?;
    Ok(seq)
}

/// The result of walking the whole chain.
#[derive(Debug)]
pub struct Verified {
    /// Entries checked.
    pub entries: i64,
    /// The newest entry's hash: record it elsewhere to detect a truncated tail later.
    pub head: String,
}

/// Why verification did not complete.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The chain is broken.
    #[error(transparent)]
    Broken(#[from] Break),
    /// The database could not be read.
    #[error("reading the audit log failed: {0}")]
    Read(#[from] sqlx::Error),
}

/// Walks the chain from the first entry, streaming, and stops at the first broken entry.
pub async fn verify(db: &Db) -> Result<Verified, VerifyError> {
    let mut verifier = ChainVerifier::default();
    let mut rows = sqlx::query(
        "SELECT seq, at, actor, action, object, outcome, details, prev_hash, hash
         FROM audit_log ORDER BY seq",
    )
    .fetch(db.pool());
    while let Some(row) = rows.try_next().await? {
        let entry = Entry {
            seq: row.try_get("seq")?,
            at: row.try_get("at")?,
            actor: row.try_get("actor")?,
            action: row.try_get("action")?,
            object: row.try_get("object")?,
            outcome: row.try_get("outcome")?,
            details: row.try_get("details")?,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        };
        verifier.push(&entry)?;
    }
    Ok(Verified { entries: verifier.verified(), head: verifier.head().to_string() })
}

/// Records a refused step (`event`, denied) in its own transaction, so that a refusal writes
/// nothing but its audit entry, and returns the refusal's words as a rule error.
pub async fn refusal(
    db: &Db,
    now: OffsetDateTime,
    event: AuditEvent,
    message: crate::i18n::Says,
) -> crate::db::StoreError {
    match record(db, now, &event).await {
        Ok(_) => crate::db::StoreError::Rule(message),
        Err(e) => crate::db::StoreError::Db(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, Outcome};
    use crate::config::Backend;
    use crate::db::testing;

    async fn seed(db: &Db, n: usize) {
        let now = OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap();
        for i in 0..n {
            let e = AuditEvent::new(Actor::Person(1), "test.event", format!("project:{i}"), Outcome::Success)
                .with_details(serde_json::json!({"i": i}));
            record(db, now, &e).await.unwrap();
        }
    }

    async fn drop_guards(db: &Db) {
        let statements: &[&'static str] = match db.backend() {
            Backend::Sqlite => &["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"],
            Backend::Postgres => &["ALTER TABLE audit_log DISABLE TRIGGER USER"],
        };
        for s in statements {
            sqlx::query(*s).execute(db.pool()).await.unwrap();
        }
    }

    #[tokio::test]
    async fn the_database_refuses_updates_and_deletes() {
        for db in testing::both().await {
            seed(&db, 3).await;
            let update = sqlx::query("UPDATE audit_log SET actor = 'person:9' WHERE seq = 2").execute(db.pool()).await;
            assert!(update.is_err(), "{:?} allowed an UPDATE", db.backend());
            let delete = sqlx::query("DELETE FROM audit_log WHERE seq = 3").execute(db.pool()).await;
            assert!(delete.is_err(), "{:?} allowed a DELETE", db.backend());
            if db.backend() == Backend::Postgres {
                let truncate = sqlx::query("TRUNCATE audit_log").execute(db.pool()).await;
                assert!(truncate.is_err(), "PostgreSQL allowed a TRUNCATE");
            }
            assert_eq!(verify(&db).await.unwrap().entries, 3);
        }
    }

    #[tokio::test]
    async fn tampering_past_the_guards_is_caught_at_the_first_broken_entry() {
        for db in testing::both().await {
            seed(&db, 5).await;
            drop_guards(&db).await;
            sqlx::query("UPDATE audit_log SET details = '{\"i\":99}' WHERE seq = 3").execute(db.pool()).await.unwrap();
            let err = verify(&db).await.expect_err("tampered");
            assert!(matches!(err, VerifyError::Broken(Break { seq: 3, .. })), "{err}");
        }
        for db in testing::both().await {
            seed(&db, 5).await;
            drop_guards(&db).await;
            sqlx::query("DELETE FROM audit_log WHERE seq = 2").execute(db.pool()).await.unwrap();
            let err = verify(&db).await.expect_err("deleted");
            assert!(matches!(err, VerifyError::Broken(Break { seq: 2, .. })), "{err}");
        }
        for db in testing::both().await {
            seed(&db, 5).await;
            drop_guards(&db).await;
            // Swap entries 2 and 4 by renumbering through a free number.
            for s in [
                "UPDATE audit_log SET seq = 100 WHERE seq = 2",
                "UPDATE audit_log SET seq = 2 WHERE seq = 4",
                "UPDATE audit_log SET seq = 4 WHERE seq = 100",
            ] {
                sqlx::query(s).execute(db.pool()).await.unwrap();
            }
            let err = verify(&db).await.expect_err("reordered");
            assert!(matches!(err, VerifyError::Broken(Break { seq: 2, .. })), "{err}");
        }
    }

    #[tokio::test]
    async fn concurrent_writers_keep_one_chain() {
        for db in testing::both().await {
            let mut tasks = Vec::new();
            for t in 0..8 {
                let db = db.clone();
                tasks.push(tokio::spawn(async move {
                    let now = OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap();
                    for i in 0..10 {
                        let e =
                            AuditEvent::new(Actor::Person(t), "test.concurrent", format!("n:{i}"), Outcome::Success);
                        record(&db, now, &e).await.unwrap();
                    }
                }));
            }
            for t in tasks {
                t.await.unwrap();
            }
            let v = verify(&db).await.unwrap();
            assert_eq!(v.entries, 80, "{:?}", db.backend());
        }
    }
}

/// What an administrator looks for in the audit log; empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The actor as stored: `person:7`, `anonymous`, `system`.
    pub actor: String,
    /// The action or its start: `signin` matches `signin.password` and `signin.oidc`.
    pub action: String,
    /// The object, exactly: `project:3`, `identity:2000001`.
    pub object: String,
    /// From this instant (ms), inclusive.
    pub from_ms: i64,
    /// Before this instant (ms).
    pub until_ms: i64,
    /// Only entries older than this sequence number (the next page).
    pub before_seq: i64,
}

/// An entry as pages show it.
pub type Shown = (i64, i64, String, String, String, String, String);

/// The newest `limit` entries matching `filter`, newest first.
pub async fn search(db: &Db, filter: &Filter, limit: i64) -> Result<Vec<Shown>, sqlx::Error> {
    sqlx::query_as(
        "SELECT seq, at, actor, action, object, outcome, details FROM audit_log \
         WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action = $2 OR action LIKE $3) \
         AND ($4 = '' OR object = $4) AND at >= $5 AND at < $6 AND seq < $7 \
         ORDER BY seq DESC LIMIT $8",
    )
    .bind(&filter.actor)
    .bind(&filter.action)
    .bind(format!("{}.%", filter.action.replace(['%', '_'], "")))
    .bind(&filter.object)
    .bind(filter.from_ms)
    .bind(filter.until_ms)
    .bind(filter.before_seq)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}
