//! Server-side sessions: tower-sessions keeps the cookie and the session id; this store keeps
//! the records in our database, so that an administrator's reset can end a person's sessions,
//! and so that expiry is judged by the platform's one clock.

use crate::clock::{Clock, from_millis, to_millis};
use crate::db::Db;
use async_trait::async_trait;
use std::sync::Arc;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// The session-data key holding the signed-in person's id.
pub const PERSON_KEY: &str = "person_id";

/// Sessions in the `sessions` table.
#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

impl DbSessionStore {
    /// A store over `db`, judging expiry by `clock`.
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

fn backend_error(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A new id is drawn until it is free; collisions of 128-bit ids are only theoretical,
        // but the insert must never overwrite another person's session.
        loop {
            let data = serde_json::to_string(&record.data).map_err(backend_error)?;
            let person = record.data.get(PERSON_KEY).and_then(|v| v.as_i64());
            let inserted = sqlx::query(
                "INSERT INTO sessions (id, person_id, data, expires_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(record.id.to_string())
            .bind(person)
            .bind(data)
            .bind(to_millis(record.expiry_date + self.clock.offset()))
            .execute(self.db.pool())
            .await
            .map_err(backend_error)?;
            if inserted.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data).map_err(backend_error)?;
        let person = record.data.get(PERSON_KEY).and_then(|v| v.as_i64());
        sqlx::query(
            "INSERT INTO sessions (id, person_id, data, expires_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (id) DO UPDATE SET person_id = excluded.person_id, data = excluded.data,
             expires_at = excluded.expires_at",
        )
        .bind(record.id.to_string())
        .bind(person)
        .bind(data)
        .bind(to_millis(record.expiry_date + self.clock.offset()))
        .execute(self.db.pool())
        .await
        .map_err(backend_error)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let row: Option<(String, i64)> =
            sqlx::query_as("SELECT data, expires_at FROM sessions WHERE id = $1 AND expires_at > $2")
                .bind(id.to_string())
                .bind(to_millis(self.clock.now()))
                .fetch_optional(self.db.pool())
                .await
                .map_err(backend_error)?;
        match row {
            Some((data, expires_at)) => Ok(Some(Record {
                id: *id,
                data: serde_json::from_str(&data).map_err(backend_error)?,
                expiry_date: from_millis(expires_at) - self.clock.offset(),
            })),
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id.to_string())
            .execute(self.db.pool())
            .await
            .map_err(backend_error)?;
        Ok(())
    }
}
