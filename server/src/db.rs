//! The database: one pool for SQLite or PostgreSQL, the embedded migrations of each, and the
//! one way to start a transaction that changes state.
//!
//! Domain code is written once against sqlx's `Any` driver, with `$1` placeholders (both
//! engines accept them) and portable types: integers, text, booleans. Every state change goes
//! through [`Db::begin_write`], which serialises writers so that the audit chain (law 5) can
//! be extended inside the same transaction as the change it records (law 6).

use crate::config::{Backend, DatabaseUrl};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Executor, SqlSafeStr, Transaction};
use std::time::Duration;

/// A database failure, in words that never include SQL or connection secrets.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database could not be reached or opened.
    #[error("the database {url} cannot be reached: {reason}")]
    Unreachable { url: String, reason: String },
    /// A migration failed.
    #[error("migrating the database failed: {0}")]
    Migrate(String),
    /// Any other database error (logged by the caller, never shown to users).
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

/// A migration shipped in the binary: version, description, up and down SQL.
struct Embedded {
    version: i64,
    description: &'static str,
    up: &'static str,
    down: &'static str,
}

/// The migrations of one engine, from their file names under `migrations/ENGINE/`.
macro_rules! migrations {
    ($engine:literal: $($version:literal $name:literal),* $(,)?) => {
        &[$(Embedded {
            version: $version,
            description: $name,
            up: include_str!(concat!("../../migrations/", $engine, "/", $name, ".up.sql")),
            down: include_str!(concat!("../../migrations/", $engine, "/", $name, ".down.sql")),
        }),*]
    };
}

const SQLITE_MIGRATIONS: &[Embedded] = migrations!("sqlite": 1 "0001_foundation", 2 "0002_password_must_change", 3 "0003_datasets", 4 "0004_extracts", 5 "0005_outputs", 6 "0006_register", 7 "0007_applications", 8 "0008_notifications", 9 "0009_archive", 10 "0010_email", 11 "0011_identities", 12 "0012_language", 13 "0013_query_history");

const POSTGRES_MIGRATIONS: &[Embedded] = migrations!("postgres": 1 "0001_foundation", 2 "0002_password_must_change", 3 "0003_datasets", 4 "0004_extracts", 5 "0005_outputs", 6 "0006_register", 7 "0007_applications", 8 "0008_notifications", 9 "0009_archive", 10 "0010_email", 11 "0011_identities", 12 "0012_language", 13 "0013_query_history");

fn migrator(backend: Backend) -> Migrator {
    let embedded = match backend {
        Backend::Sqlite => SQLITE_MIGRATIONS,
        Backend::Postgres => POSTGRES_MIGRATIONS,
    };
    let mut migrations = Vec::new();
    for m in embedded {
        migrations.push(Migration::new(
            m.version,
            m.description.into(),
            MigrationType::ReversibleUp,
            m.up.into_sql_str(),
            false,
        ));
        migrations.push(Migration::new(
            m.version,
            m.description.into(),
            MigrationType::ReversibleDown,
            m.down.into_sql_str(),
            false,
        ));
    }
    Migrator::with_migrations(migrations)
}

/// The highest migration version this binary knows.
fn latest_version(backend: Backend) -> i64 {
    let embedded = match backend {
        Backend::Sqlite => SQLITE_MIGRATIONS,
        Backend::Postgres => POSTGRES_MIGRATIONS,
    };
    embedded.iter().map(|m| m.version).max().unwrap_or(0)
}

/// A connection pool with its engine.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

/// A transaction that may change state. Only [`Db::begin_write`] makes one.
pub type WriteTx = Transaction<'static, Any>;

impl Db {
    /// Connects, failing within a few seconds when the database is down.
    pub async fn connect(url: &DatabaseUrl) -> Result<Db, DbError> {
        install_default_drivers();
        let backend = url.backend();
        let pool = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 10,
            })
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers proceed while one writer holds the write lock.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                    }
                    Ok(())
                })
            })
            .connect(url.expose())
            .await
            .map_err(|e| DbError::Unreachable { url: url.redacted(), reason: describe(&e) })?;
        Ok(Db { pool, backend })
    }

    /// The engine.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), DbError> {
        migrator(self.backend).run(&self.pool).await.map_err(|e| DbError::Migrate(e.to_string()))
    }

    /// Reverts every migration (tests only: proves each down migration works).
    pub async fn undo_all_migrations(&self) -> Result<(), DbError> {
        migrator(self.backend).undo(&self.pool, 0).await.map_err(|e| DbError::Migrate(e.to_string()))
    }

    /// Whether every migration of this binary has been applied successfully.
    pub async fn migrations_current(&self) -> Result<bool, DbError> {
        let applied: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&self.pool)
            .await
            .or_else(|e| match e {
                // No migrations table yet: nothing applied.
                sqlx::Error::Database(_) => Ok(None),
                other => Err(other),
            })?;
        Ok(applied == Some(latest_version(self.backend)))
    }

    /// Starts a transaction that changes state. Writers are serialised (SQLite: `BEGIN
    /// IMMEDIATE`; PostgreSQL: a transaction-scoped advisory lock) so that the audit chain
    /// grows one entry at a time, in commit order.
    pub async fn begin_write(&self) -> Result<WriteTx, DbError> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock(7011)").execute(&mut *tx).await?;
                Ok(tx)
            }
        }
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A short description of a connection error, without the URL or any secret.
fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => io.kind().to_string(),
        sqlx::Error::PoolTimedOut => "timed out".into(),
        sqlx::Error::Tls(_) => "TLS negotiation failed".into(),
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::Configuration(_) => "the URL is not usable".into(),
        _ => "connection failed".into(),
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Fresh databases of both engines for the storage tests.

    use super::*;

    /// A fresh, migrated SQLite database in a temporary folder.
    pub async fn sqlite() -> (Db, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("tre-db-test-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = Db::connect(&DatabaseUrl::sqlite_in(&dir)).await.unwrap();
        db.migrate().await.unwrap();
        (db, dir)
    }

    /// A fresh, migrated PostgreSQL database on the server named by `TRE_TEST_POSTGRES_URL`.
    /// The test command starts that server; without it the storage tests fail rather than
    /// pass without having run.
    pub async fn postgres() -> Db {
        let admin_url = std::env::var("TRE_TEST_POSTGRES_URL").expect(
            "TRE_TEST_POSTGRES_URL is not set: run the storage tests through scripts/test.sh, \
             which starts PostgreSQL",
        );
        let name = format!("tre_test_{}", rand::random::<u32>());
        let admin = Db::connect(&DatabaseUrl::parse(&admin_url).unwrap()).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(admin.pool()).await.unwrap();
        admin.close().await;
        let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
        let db = Db::connect(&DatabaseUrl::parse(&format!("{base}/{name}")).unwrap()).await.unwrap();
        db.migrate().await.unwrap();
        db
    }

    /// Both engines, each fresh.
    pub async fn both() -> Vec<Db> {
        vec![sqlite().await.0, postgres().await]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn migrations_run_up_down_and_up_again_on_both_engines() {
        for db in testing::both().await {
            assert!(db.migrations_current().await.unwrap(), "{:?}", db.backend());
            db.undo_all_migrations().await.unwrap();
            assert!(!db.migrations_current().await.unwrap());
            let tables: i64 = match db.backend() {
                Backend::Sqlite => {
                    sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'people'")
                }
                Backend::Postgres => {
                    sqlx::query_scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_name = 'people'")
                }
            }
            .fetch_one(db.pool())
            .await
            .unwrap();
            assert_eq!(tables, 0, "down migration left the people table on {:?}", db.backend());
            db.migrate().await.unwrap();
            assert!(db.migrations_current().await.unwrap());
        }
    }

    #[tokio::test]
    async fn an_unreachable_database_is_a_clear_error() {
        // Port 9 (discard) on loopback: nothing listens there in these tests.
        let url = DatabaseUrl::parse("postgres://tre:secret@127.0.0.1:9/tre").unwrap();
        let err = Db::connect(&url).await.expect_err("nothing listens there").to_string();
        assert!(err.contains("cannot be reached"), "{err}");
        assert!(!err.contains("secret"), "{err}");
    }
}

/// An error of a store function: a broken rule the user can act on, a missing object, or a
/// database failure (logged, never shown).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A rule was broken; the message says which, in the reader's language.
    #[error("{}", crate::i18n::en(.0))]
    Rule(crate::i18n::Says),
    /// The database holds something the code cannot read (a broken invariant, not the user's
    /// doing): an internal error.
    #[error("the database holds invalid data: {0}")]
    Corrupt(String),
    /// The object does not exist.
    #[error("not found")]
    NotFound,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::Db(DbError::Sqlx(e))
    }
}
