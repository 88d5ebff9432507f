//! The catalogue in the database: datasets, versions, tables, columns and the dictionary.
//! Committing a version and editing the dictionary are each one audited transaction.

use super::domain::{ColumnClass, DatasetName};
use super::ingest::WrittenTable;
use crate::access::PlatformAccess;
use crate::audit::store::append;
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::clock::to_millis;
use crate::db::{Db, StoreError};
use serde_json::json;
use time::OffsetDateTime;

/// A dataset in the catalogue.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// What it holds.
    pub description: String,
    /// The column that identifies persons in its tables.
    pub person_column: String,
    /// The newest version number.
    pub latest_version: Option<i64>,
}

/// A version of a dataset.
#[derive(Debug, Clone)]
pub struct Version {
    /// Id.
    pub id: i64,
    /// The dataset.
    pub dataset_id: i64,
    /// Version number, from 1.
    pub version: i64,
    /// Object-store prefix of its tables.
    pub prefix: String,
    /// When it was committed (ms).
    pub created_at: i64,
    /// Its tables.
    pub tables: Vec<Table>,
}

/// A table of a version.
#[derive(Debug, Clone)]
pub struct Table {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The file it came from.
    pub source_file: String,
    /// Object key.
    pub object_key: String,
    /// Rows.
    pub rows: i64,
    /// Distinct persons, when it has the person column.
    pub persons: Option<i64>,
    /// SHA-256 of the Parquet file.
    pub sha256: String,
    /// Columns with their dictionary entries.
    pub columns: Vec<Column>,
}

/// A column with its dictionary entry.
#[derive(Debug, Clone)]
pub struct Column {
    /// Position, from 0.
    pub position: i64,
    /// Name.
    pub name: String,
    /// Type.
    pub data_type: String,
    /// Whether it may be missing.
    pub nullable: bool,
    /// The custodian's description.
    pub description: String,
    /// Whether it identifies the person.
    pub is_person: bool,
    /// Its class.
    pub class: ColumnClass,
}

/// Who commits a version: a custodian through the portal or the command line, or the demo seed.
#[derive(Debug, Clone, Copy)]
pub enum Committer<'a> {
    /// A custodian, authorised for managing datasets.
    Custodian(&'a PlatformAccess),
    /// The demo seed, recorded as the demo custodian.
    Seed {
        /// The demo custodian's id.
        custodian: i64,
    },
}

impl Committer<'_> {
    /// The person recorded as acting.
    pub fn person(&self) -> i64 {
        match self {
            Committer::Custodian(a) => a.person_id(),
            Committer::Seed { custodian } => *custodian,
        }
    }
}

/// A written version to record.
#[derive(Debug, Clone, Copy)]
pub struct NewVersion<'a> {
    /// The dataset.
    pub dataset: &'a DatasetName,
    /// Its description, used when the dataset is created.
    pub description: &'a str,
    /// The column that identifies persons.
    pub person_column: &'a str,
    /// Object-store prefix of the version's tables.
    pub prefix: &'a str,
    /// The tables written.
    pub tables: &'a [WrittenTable],
}

/// Commits a written version: the dataset (created on first ingest), the version, its tables
/// and columns, and the audit entry, in one transaction. Dictionary entries of the previous
/// version carry over to columns of the same table and name. Returns the version number.
pub async fn commit_version(
    db: &Db,
    now: OffsetDateTime,
    by: Committer<'_>,
    new: NewVersion<'_>,
) -> Result<i64, StoreError> {
    let NewVersion { dataset, description, person_column, prefix, tables } = new;
    let mut tx = db.begin_write().await?;
    let existing: Option<(i64, String)> = sqlx::query_as("SELECT id, person_column FROM datasets WHERE name = $1")
        .bind(dataset.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    let dataset_id = match existing {
        Some((id, column)) if column == person_column => id,
        Some((_, column)) => {
            return Err(StoreError::Rule(crate::says!(
                "ds-person-column-differs",
                dataset = dataset.as_str(),
                column = column
            )));
        }
        None => {
            sqlx::query_scalar(
                "INSERT INTO datasets (name, description, person_column, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(dataset.as_str())
            .bind(description)
            .bind(person_column)
            .bind(by.person())
            .bind(to_millis(now))
            .fetch_one(&mut *tx)
            .await?
        }
    };
    let previous: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM dataset_versions WHERE dataset_id = $1")
        .bind(dataset_id)
        .fetch_one(&mut *tx)
        .await?;
    let version = previous.unwrap_or(0) + 1;
    let version_id: i64 = sqlx::query_scalar(
        "INSERT INTO dataset_versions (dataset_id, version, prefix, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(dataset_id)
    .bind(version)
    .bind(prefix)
    .bind(by.person())
    .bind(to_millis(now))
    .fetch_one(&mut *tx)
    .await?;
    for t in tables {
        let table_id: i64 = sqlx::query_scalar(
            "INSERT INTO dataset_tables (version_id, name, source_file, object_key, row_count, person_count, byte_count, sha256)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(version_id)
        .bind(t.table.as_str())
        .bind(&t.source_file)
        .bind(&t.object_key)
        .bind(i64::try_from(t.rows).unwrap_or(i64::MAX))
        .bind(t.persons.map(|p| i64::try_from(p).unwrap_or(i64::MAX)))
        .bind(i64::try_from(t.bytes).unwrap_or(i64::MAX))
        .bind(&t.sha256)
        .fetch_one(&mut *tx)
        .await?;
        for (position, c) in t.columns.iter().enumerate() {
            let carried: Option<(String, String)> = match previous {
                Some(prev) => {
                    sqlx::query_as(
                        "SELECT c.description, c.class FROM dataset_columns c
                         JOIN dataset_tables t ON t.id = c.table_id
                         JOIN dataset_versions v ON v.id = t.version_id
                         WHERE v.dataset_id = $1 AND v.version = $2 AND t.name = $3 AND c.name = $4",
                    )
                    .bind(dataset_id)
                    .bind(prev)
                    .bind(t.table.as_str())
                    .bind(&c.name)
                    .fetch_optional(&mut *tx)
                    .await?
                }
                None => None,
            };
            let is_person = c.name == person_column;
            let (description, class) = carried.unwrap_or_else(|| {
                let class = if is_person { ColumnClass::Identifier } else { ColumnClass::Other };
                (String::new(), class.as_str().to_string())
            });
            sqlx::query(
                "INSERT INTO dataset_columns (table_id, position, name, data_type, nullable, description, is_person, class)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(table_id)
            .bind(position as i64)
            .bind(&c.name)
            .bind(&c.data_type)
            .bind(i64::from(c.nullable))
            .bind(description)
            .bind(i64::from(is_person))
            .bind(class)
            .execute(&mut *tx)
            .await?;
        }
    }
    let hashes: serde_json::Map<String, serde_json::Value> =
        tables.iter().map(|t| (t.table.as_str().to_string(), json!({"sha256": t.sha256, "rows": t.rows}))).collect();
    append(
        &mut tx,
        now,
        &AuditEvent::new(
            Actor::Person(by.person()),
            "dataset.ingest",
            format!("dataset:{dataset_id}"),
            Outcome::Success,
        )
        .with_details(json!({"dataset": dataset.as_str(), "version": version, "tables": hashes})),
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// Every dataset with its newest version.
pub async fn datasets(db: &Db) -> Result<Vec<Dataset>, StoreError> {
    let rows: Vec<(i64, String, String, String, Option<i64>)> = sqlx::query_as(
        "SELECT d.id, d.name, d.description, d.person_column, (SELECT MAX(version) FROM dataset_versions v WHERE v.dataset_id = d.id)
         FROM datasets d ORDER BY d.name",
    )
    .fetch_all(db.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, description, person_column, latest_version)| Dataset {
            id,
            name,
            description,
            person_column,
            latest_version,
        })
        .collect())
}

/// One dataset.
pub async fn dataset(db: &Db, id: i64) -> Result<Dataset, StoreError> {
    datasets(db).await?.into_iter().find(|d| d.id == id).ok_or(StoreError::NotFound)
}

/// The version numbers of a dataset, newest first, with their commit times.
pub async fn versions(db: &Db, dataset_id: i64) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(sqlx::query_as("SELECT version, created_at FROM dataset_versions WHERE dataset_id = $1 ORDER BY version DESC")
        .bind(dataset_id)
        .fetch_all(db.pool())
        .await?)
}

/// id, name, source file, object key, rows, persons, sha256.
type TableRow = (i64, String, String, String, i64, Option<i64>, String);
/// position, name, type, nullable, description, is person, class.
type ColumnRow = (i64, String, String, i64, String, i64, String);

/// One version with its tables and columns.
pub async fn version(db: &Db, dataset_id: i64, number: i64) -> Result<Version, StoreError> {
    let row: Option<(i64, String, i64)> =
        sqlx::query_as("SELECT id, prefix, created_at FROM dataset_versions WHERE dataset_id = $1 AND version = $2")
            .bind(dataset_id)
            .bind(number)
            .fetch_optional(db.pool())
            .await?;
    let (id, prefix, created_at) = row.ok_or(StoreError::NotFound)?;
    let tables: Vec<TableRow> = sqlx::query_as(
        "SELECT id, name, source_file, object_key, row_count, person_count, sha256 FROM dataset_tables WHERE version_id = $1 ORDER BY name",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::new();
    for (table_id, name, source_file, object_key, rows, persons, sha256) in tables {
        let columns: Vec<ColumnRow> = sqlx::query_as(
            "SELECT position, name, data_type, nullable, description, is_person, class FROM dataset_columns
             WHERE table_id = $1 ORDER BY position",
        )
        .bind(table_id)
        .fetch_all(db.pool())
        .await?;
        out.push(Table {
            id: table_id,
            name,
            source_file,
            object_key,
            rows,
            persons,
            sha256,
            columns: columns
                .into_iter()
                .map(|(position, name, data_type, nullable, description, is_person, class)| Column {
                    position,
                    name,
                    data_type,
                    nullable: nullable != 0,
                    description,
                    is_person: is_person != 0,
                    class: ColumnClass::parse(&class).unwrap_or(ColumnClass::Other),
                })
                .collect(),
        });
    }
    Ok(Version { id, dataset_id, version: number, prefix, created_at, tables: out })
}

/// Names another column as the one that identifies persons, for every version of a dataset,
/// with the persons counted again (`counts`: every table of every version). Refused once an
/// extract has been built from the dataset, since its pseudonyms stand for the old column.
/// The new column is classed as an identifier. One audited transaction.
pub async fn set_person_column(
    db: &Db,
    now: OffsetDateTime,
    custodian: &PlatformAccess,
    dataset_id: i64,
    column: &str,
    counts: &[(i64, Option<u64>)],
) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    let old: Option<String> = sqlx::query_scalar("SELECT person_column FROM datasets WHERE id = $1")
        .bind(dataset_id)
        .fetch_optional(&mut *tx)
        .await?;
    let old = old.ok_or(StoreError::NotFound)?;
    let extracts: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM extracts e JOIN dataset_versions v ON v.id = e.dataset_version_id WHERE v.dataset_id = $1",
    )
    .bind(dataset_id)
    .fetch_one(&mut *tx)
    .await?;
    if extracts > 0 {
        return Err(StoreError::Rule(crate::says!("ds-person-column-used")));
    }
    let mut tables: Vec<i64> = sqlx::query_scalar(
        "SELECT t.id FROM dataset_tables t JOIN dataset_versions v ON v.id = t.version_id WHERE v.dataset_id = $1",
    )
    .bind(dataset_id)
    .fetch_all(&mut *tx)
    .await?;
    let mut counted: Vec<i64> = counts.iter().map(|(t, _)| *t).collect();
    tables.sort_unstable();
    counted.sort_unstable();
    if tables != counted {
        return Err(StoreError::Rule(crate::says!("ds-version-arrived")));
    }
    sqlx::query("UPDATE datasets SET person_column = $1 WHERE id = $2")
        .bind(column)
        .bind(dataset_id)
        .execute(&mut *tx)
        .await?;
    for (table, persons) in counts {
        sqlx::query("UPDATE dataset_tables SET person_count = $1 WHERE id = $2")
            .bind(persons.map(|p| i64::try_from(p).unwrap_or(i64::MAX)))
            .bind(table)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE dataset_columns SET is_person = CASE WHEN name = $1 THEN 1 ELSE 0 END WHERE table_id = $2")
            .bind(column)
            .bind(table)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE dataset_columns SET class = $1 WHERE table_id = $2 AND name = $3")
            .bind(ColumnClass::Identifier.as_str())
            .bind(table)
            .bind(column)
            .execute(&mut *tx)
            .await?;
    }
    append(
        &mut tx,
        now,
        &AuditEvent::new(
            Actor::Person(custodian.person_id()),
            "dataset.person_column",
            format!("dataset:{dataset_id}"),
            Outcome::Success,
        )
        .with_details(json!({
            "column": {"old": old, "new": column},
            "persons": counts.iter().map(|(t, p)| json!({"table": t, "persons": p})).collect::<Vec<_>>(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Edits one column's dictionary entry (description and class), audited with the old and new
/// values.
pub async fn edit_column(
    db: &Db,
    now: OffsetDateTime,
    custodian: &PlatformAccess,
    table_id: i64,
    position: i64,
    description: &str,
    class: ColumnClass,
) -> Result<(), StoreError> {
    let mut tx = db.begin_write().await?;
    let old: Option<(String, String, String)> =
        sqlx::query_as("SELECT name, description, class FROM dataset_columns WHERE table_id = $1 AND position = $2")
            .bind(table_id)
            .bind(position)
            .fetch_optional(&mut *tx)
            .await?;
    let (name, old_description, old_class) = old.ok_or(StoreError::NotFound)?;
    sqlx::query("UPDATE dataset_columns SET description = $1, class = $2 WHERE table_id = $3 AND position = $4")
        .bind(description)
        .bind(class.as_str())
        .bind(table_id)
        .bind(position)
        .execute(&mut *tx)
        .await?;
    append(
        &mut tx,
        now,
        &AuditEvent::new(
            Actor::Person(custodian.person_id()),
            "dataset.dictionary",
            format!("table:{table_id}"),
            Outcome::Success,
        )
        .with_details(json!({
            "column": name,
            "description": {"old": old_description, "new": description},
            "class": {"old": old_class, "new": class.as_str()},
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
