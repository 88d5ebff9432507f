//! Project keys and extracts in the database, and the whole build: plan, write, manifest,
//! commit. A build is recorded in one transaction with its audit entry, or leaves nothing.

use super::build::{BuiltTable, ExtractError, TablePreview, preview, write_tables};
use super::domain::Protocol;
use crate::audit::store::append;
use crate::audit::{Actor, AuditEvent, Outcome};
use crate::clock::to_millis;
use crate::datasets::store::{self as datasets, Committer};
use crate::db::{Db, StoreError, WriteTx};
use crate::keys::{MasterKey, ProjectKey};
use crate::objects::Objects;
use crate::projects::domain::Status;
use object_store::path::Path as ObjectPath;
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

/// Gives a project its key, sealed under the master key, inside the caller's transaction (the
/// approval). Does nothing if it has one.
pub async fn ensure_project_key(
    tx: &mut WriteTx,
    master: &MasterKey,
    project_id: i64,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    let exists: Option<(i64,)> = sqlx::query_as("SELECT project_id FROM project_keys WHERE project_id = $1")
        .bind(project_id)
        .fetch_optional(&mut **tx)
        .await?;
    if exists.is_some() {
        return Ok(());
    }
    let (nonce, sealed) = master.seal(project_id, &ProjectKey::generate());
    sqlx::query("INSERT INTO project_keys (project_id, nonce, sealed, created_at) VALUES ($1, $2, $3, $4)")
        .bind(project_id)
        .bind(nonce)
        .bind(sealed)
        .bind(to_millis(now))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A project's key, opened.
pub async fn project_key(db: &Db, master: &MasterKey, project_id: i64) -> Result<ProjectKey, ExtractError> {
    let row: Option<(String, String)> = sqlx::query_as("SELECT nonce, sealed FROM project_keys WHERE project_id = $1")
        .bind(project_id)
        .fetch_optional(db.pool())
        .await
        .map_err(|e| {
            tracing::error!(error.cause = %StoreError::from(e), "an extract build could not read the project key");
            ExtractError::Engine("reading the project key".into())
        })?;
    let (nonce, sealed) =
        row.ok_or_else(|| ExtractError::Protocol(crate::says!("extract-no-key", project = project_id)))?;
    master.open(project_id, &nonce, &sealed).map_err(|e| {
        tracing::error!(error.cause = %e, "a project key could not be opened");
        ExtractError::Engine("opening the project key".into())
    })
}

/// An extract as recorded.
#[derive(Debug, Clone)]
pub struct Extract {
    /// Id.
    pub id: i64,
    /// The project.
    pub project_id: i64,
    /// Version within the project, from 1.
    pub version: i64,
    /// Object-store prefix.
    pub prefix: String,
    /// SHA-256 of the manifest.
    pub manifest_sha256: String,
    /// The protocol it was built from (canonical JSON).
    pub protocol: String,
    /// Its tables.
    pub tables: Vec<ExtractTable>,
}

/// One table of an extract: name, object key, rows, persons, sha256, person column.
pub type ExtractTable = (String, String, i64, Option<i64>, String, Option<String>);

/// The newest extract of a project (none once the project is closed: its extracts are archived).
pub async fn latest(db: &Db, project_id: i64) -> Result<Option<Extract>, StoreError> {
    let row: Option<(i64, i64, String, String, String)> = sqlx::query_as(
        "SELECT id, version, prefix, manifest_sha256, protocol FROM extracts WHERE project_id = $1 AND archived_at IS NULL \
         ORDER BY version DESC LIMIT 1",
    )
    .bind(project_id)
    .fetch_optional(db.pool())
    .await?;
    let Some((id, version, prefix, manifest_sha256, protocol)) = row else { return Ok(None) };
    let tables = sqlx::query_as(
        "SELECT name, object_key, row_count, person_count, sha256, person_column FROM extract_tables WHERE extract_id = $1 ORDER BY name",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    Ok(Some(Extract { id, project_id, version, prefix, manifest_sha256, protocol, tables }))
}

/// What a build needs to know about the project and the dataset.
struct Context {
    key: ProjectKey,
    version: datasets::Version,
    person_column: String,
}

async fn context(
    db: &Db,
    master: &MasterKey,
    now: OffsetDateTime,
    project_id: i64,
    protocol: &Protocol,
) -> Result<Context, ExtractError> {
    let store = |e: StoreError| {
        tracing::error!(error.cause = %e, "an extract build could not read the catalogue");
        ExtractError::Engine("reading the catalogue".into())
    };
    let project = crate::projects::store::project(db, project_id)
        .await
        .map_err(store)?
        .ok_or_else(|| ExtractError::Protocol(crate::says!("extract-no-project", project = project_id)))?;
    if project.status != Status::Approved || !project.in_date(now.date()) {
        return Err(ExtractError::Protocol(crate::says!(
            "extract-project-not-open",
            project = project_id,
            status = project.status.as_str(),
            in_date = project.in_date(now.date())
        )));
    }
    let key = project_key(db, master, project_id).await?;
    let dataset = datasets::datasets(db)
        .await
        .map_err(store)?
        .into_iter()
        .find(|d| d.name == protocol.dataset)
        .ok_or_else(|| ExtractError::Protocol(crate::says!("extract-no-dataset", dataset = protocol.dataset)))?;
    let version = datasets::version(db, dataset.id, protocol.version).await.map_err(|e| match e {
        StoreError::NotFound => ExtractError::Protocol(crate::says!(
            "extract-no-version",
            dataset = protocol.dataset,
            version = protocol.version
        )),
        other => store(other),
    })?;
    Ok(Context { key, version, person_column: dataset.person_column })
}

/// What the build would keep, for the custodian to see before confirming.
pub async fn preview_build(
    db: &Db,
    objects: &Objects,
    master: &MasterKey,
    now: OffsetDateTime,
    project_id: i64,
    protocol: &Protocol,
) -> Result<Vec<TablePreview>, ExtractError> {
    let c = context(db, master, now, project_id, protocol).await?;
    preview(objects, &c.key, &c.version, &c.person_column, protocol).await
}

/// Builds and records a new extract of the project. Returns its version and tables.
pub async fn build(
    db: &Db,
    objects: &Objects,
    master: &MasterKey,
    now: OffsetDateTime,
    by: Committer<'_>,
    project_id: i64,
    protocol: &Protocol,
) -> Result<(i64, Vec<BuiltTable>), ExtractError> {
    let c = context(db, master, now, project_id, protocol).await?;
    let prefix = format!("extracts/project-{project_id}/{}", hex::encode(rand::random::<[u8; 12]>()));
    let result = async {
        let tables = write_tables(objects, &c.key, &c.version, &c.person_column, protocol, &prefix).await?;
        let manifest = json!({
            "format": "tre-extract-manifest/1",
            "project": project_id,
            "dataset": {
                "name": protocol.dataset,
                "version": protocol.version,
                "tables": c.version.tables.iter().map(|t| json!({"name": t.name, "sha256": t.sha256})).collect::<Vec<_>>(),
            },
            "protocol": protocol,
            "protocol_sha256": protocol.sha256(),
            "pseudonyms": "HMAC-SHA-256 with the project's key, first 63 bits",
            "tables": tables.iter().map(|t| json!({
                "name": t.name,
                "columns": t.columns,
                "rows": t.rows,
                "persons": t.persons,
                "sha256": t.sha256,
                "sorted_by": t.person_column,
            })).collect::<Vec<_>>(),
            "built_at": to_millis(now),
        });
        let text = serde_json::to_vec_pretty(&manifest).map_err(|e| ExtractError::Engine(e.to_string()))?;
        let manifest_sha256 = hex::encode(Sha256::digest(&text));
        objects.put(&ObjectPath::from(format!("{prefix}/manifest.json")), text).await?;
        let version = commit(db, now, by, project_id, &c.version, protocol, &prefix, &manifest_sha256, &tables)
            .await
            .map_err(|e| match e {
                StoreError::Rule(m) => ExtractError::Protocol(m),
                other => {
                    tracing::error!(error.cause = %other, "an extract could not be recorded");
                    ExtractError::Engine("recording the extract".into())
                }
            })?;
        Ok((version, tables))
    }
    .await;
    if result.is_err() {
        let _ = objects.delete_prefix(&ObjectPath::from(prefix.as_str())).await;
    }
    result
}

#[allow(clippy::too_many_arguments, reason = "one transaction's worth of facts, each named")]
async fn commit(
    db: &Db,
    now: OffsetDateTime,
    by: Committer<'_>,
    project_id: i64,
    version: &datasets::Version,
    protocol: &Protocol,
    prefix: &str,
    manifest_sha256: &str,
    tables: &[BuiltTable],
) -> Result<i64, StoreError> {
    let mut tx = db.begin_write().await?;
    let previous: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM extracts WHERE project_id = $1")
        .bind(project_id)
        .fetch_one(&mut *tx)
        .await?;
    let number = previous.unwrap_or(0) + 1;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO extracts (project_id, version, dataset_version_id, protocol, protocol_sha256, prefix, manifest_sha256, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(project_id)
    .bind(number)
    .bind(version.id)
    .bind(protocol.canonical())
    .bind(protocol.sha256())
    .bind(prefix)
    .bind(manifest_sha256)
    .bind(by.person())
    .bind(to_millis(now))
    .fetch_one(&mut *tx)
    .await?;
    for t in tables {
        sqlx::query(
            "INSERT INTO extract_tables (extract_id, name, object_key, row_count, person_count, sha256, person_column)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(&t.name)
        .bind(&t.object_key)
        .bind(t.rows as i64)
        .bind(t.persons.map(|p| p as i64))
        .bind(&t.sha256)
        .bind(&t.person_column)
        .execute(&mut *tx)
        .await?;
    }
    let hashes: serde_json::Map<String, serde_json::Value> =
        tables.iter().map(|t| (t.name.clone(), json!({"sha256": t.sha256, "rows": t.rows}))).collect();
    append(
        &mut tx,
        now,
        &AuditEvent::new(
            Actor::Person(by.person()),
            "extract.build",
            format!("project:{project_id}"),
            Outcome::Success,
        )
        .with_details(json!({
            "extract": number,
            "dataset_version": version.id,
            "protocol_sha256": protocol.sha256(),
            "manifest_sha256": manifest_sha256,
            "tables": hashes,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::ingest;
    use crate::extracts::domain::{Cohort, TableSelection};
    use crate::keys::MasterKey;
    use crate::projects::domain::ProjectRole;
    use arrow::array::AsArray;
    use arrow::datatypes::{Date32Type, Int64Type};
    use arrow::record_batch::RecordBatch;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use std::collections::{HashMap, HashSet};

    fn now() -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap()
    }

    fn master() -> MasterKey {
        MasterKey::load(&crate::keys::MasterKeySource::Env("11".repeat(32))).unwrap()
    }

    async fn read(objects: &Objects, key: &str) -> (Vec<RecordBatch>, Vec<u8>) {
        let bytes = objects.get(&ObjectPath::from(key)).await.unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes.clone())).unwrap();
        let sorting = reader.metadata().row_group(0).sorting_columns().cloned();
        assert_eq!(sorting.map(|s| s[0].column_idx), Some(0), "{key}: the sort order is recorded");
        (reader.build().unwrap().map(|b| b.unwrap()).collect(), bytes)
    }

    fn ints(batches: &[RecordBatch], column: &str) -> Vec<i64> {
        batches
            .iter()
            .flat_map(|b| {
                let c = arrow::compute::cast(b.column_by_name(column).unwrap(), &arrow::datatypes::DataType::Int64)
                    .unwrap();
                c.as_primitive::<Int64Type>().iter().flatten().collect::<Vec<_>>()
            })
            .collect()
    }

    fn protocol() -> Protocol {
        let t = |table: &str, columns: &[&str], filter: Option<&str>| TableSelection {
            table: table.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            filter: filter.map(String::from),
        };
        Protocol {
            dataset: "omop".into(),
            version: 1,
            tables: vec![
                t("person", &["sex", "year_of_birth"], None),
                t("drug_exposure", &["drug_exposure_start_date", "drug_code", "cost"], Some("drug_code LIKE 'A10%'")),
            ],
            cohort: Some(Cohort { table: "condition_occurrence".into(), filter: "condition_code = 'E11.9'".into() }),
            date_shift_days: 30,
            birth_year_bands: true,
            rare_categories: vec![crate::extracts::domain::RareCategories {
                table: "drug_exposure".into(),
                column: "drug_code".into(),
                min_persons: 10,
            }],
        }
    }

    /// The raw source tables, read back from the synthetic files.
    fn source(dir: &std::path::Path, table: &str) -> Vec<RecordBatch> {
        let file = std::fs::File::open(dir.join(format!("{table}.parquet"))).unwrap();
        ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap().map(|b| b.unwrap()).collect()
    }

    #[tokio::test]
    async fn extracts_keep_only_the_protocol_under_the_projects_own_pseudonyms() {
        let synthetic = std::env::temp_dir().join(format!("tre-extract-synth-{}", rand::random::<u64>()));
        crate::datasets::synthetic::generate(
            &crate::datasets::synthetic::Options { persons: 400, seed: 11, out: synthetic.clone() },
            |_| {},
        )
        .unwrap();
        // Raw facts to compare against.
        let raw_persons: HashSet<i64> = ints(&source(&synthetic, "person"), "person_id").into_iter().collect();
        let conditions = source(&synthetic, "condition_occurrence");
        let mut diabetic = HashSet::new();
        for b in &conditions {
            let p = b.column_by_name("person_id").unwrap().as_primitive::<Int64Type>();
            let c = b.column_by_name("condition_code").unwrap().as_string::<i32>();
            for i in 0..b.num_rows() {
                if c.value(i) == "E11.9" {
                    diabetic.insert(p.value(i));
                }
            }
        }
        let master = master();
        // A fresh database for each store, so version 1 is this store's ingest.
        for objects in crate::objects::testing::both() {
            for db in crate::db::testing::both().await {
                let custodian = crate::accounts::store::testing::person(
                    &db,
                    "custodian",
                    crate::accounts::domain::PlatformRole::Custodian,
                )
                .await;
                let by = Committer::Seed { custodian };
                let request = ingest::Request {
                    dataset: crate::datasets::domain::DatasetName::parse("omop").unwrap(),
                    description: String::new(),
                    person_column: "person_id".into(),
                    source: synthetic.clone(),
                };
                ingest::ingest(&db, &objects, now(), by, &request, |_, _| {}).await.unwrap();
                let today = now().date();
                let mut projects = Vec::new();
                for title in ["A", "B"] {
                    let id = crate::projects::store::create_demo_project(
                        &db,
                        &master,
                        now(),
                        title,
                        today - time::Duration::days(1),
                        today + time::Duration::days(100),
                        (custodian, ProjectRole::Analyst),
                    )
                    .await
                    .unwrap();
                    projects.push(id);
                }

                // The preview shows the difference from the dataset.
                let preview = preview_build(&db, &objects, &master, now(), projects[0], &protocol()).await.unwrap();
                let person_preview = preview.iter().find(|t| t.name == "person").unwrap();
                assert_eq!(person_preview.persons_before, Some(400));
                assert_eq!(person_preview.persons_after, Some(diabetic.len() as u64));
                assert!(person_preview.dropped.contains(&"region".to_string()));

                let mut pseudonyms = Vec::new();
                for project in &projects {
                    let (version, tables) =
                        build(&db, &objects, &master, now(), by, *project, &protocol()).await.unwrap();
                    assert_eq!(version, 1);
                    let person = tables.iter().find(|t| t.name == "person").unwrap();
                    assert_eq!(person.persons, Some(diabetic.len() as u64), "only the cohort");
                    let (batches, bytes) = read(&objects, &person.object_key).await;
                    let ids = ints(&batches, "person_id");
                    assert!(ids.windows(2).all(|w| w[0] <= w[1]), "sorted by pseudonym");
                    assert!(ids.iter().all(|p| !raw_persons.contains(p)), "no raw person id survives");
                    assert_eq!(
                        batches[0].schema().fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>(),
                        ["person_id", "sex", "year_of_birth"]
                    );
                    assert!(ints(&batches, "year_of_birth").iter().all(|y| y % 5 == 0), "birth years banded");
                    // The key is nowhere in what was written.
                    let key = project_key(&db, &master, *project).await.unwrap();
                    assert!(!bytes.windows(8).any(|w| format!("{key:?}").as_bytes().starts_with(w)));
                    let drugs = tables.iter().find(|t| t.name == "drug_exposure").unwrap();
                    let (drug_batches, _) = read(&objects, &drugs.object_key).await;
                    let mut persons_per_code: HashMap<String, HashSet<i64>> = HashMap::new();
                    for b in &drug_batches {
                        let codes = b.column_by_name("drug_code").unwrap().as_string::<i32>();
                        let ps = b.column_by_name("person_id").unwrap().as_primitive::<Int64Type>();
                        for i in 0..b.num_rows() {
                            persons_per_code.entry(codes.value(i).to_string()).or_default().insert(ps.value(i));
                        }
                    }
                    for (code, persons) in &persons_per_code {
                        assert!(code.starts_with("A10") || code == "other", "row filter applied: {code}");
                        assert!(
                            code == "other" || persons.len() >= 10,
                            "{code} held by {} persons kept",
                            persons.len()
                        );
                    }
                    // Dates move by the person's own shift, within 30 days, the same for all their rows.
                    let raw_drugs = source(&synthetic, "drug_exposure");
                    let mut raw_dates: HashMap<i64, Vec<i32>> = HashMap::new();
                    for b in &raw_drugs {
                        let p = b.column_by_name("person_id").unwrap().as_primitive::<Int64Type>();
                        let d = b.column_by_name("drug_exposure_start_date").unwrap().as_primitive::<Date32Type>();
                        let c = b.column_by_name("drug_code").unwrap().as_string::<i32>();
                        for i in 0..b.num_rows() {
                            if diabetic.contains(&p.value(i)) && c.value(i).starts_with("A10") {
                                raw_dates
                                    .entry(key.pseudonym(p.value(i).to_string().as_bytes()))
                                    .or_default()
                                    .push(d.value(i));
                            }
                        }
                    }
                    let mut shifted: HashMap<i64, Vec<i32>> = HashMap::new();
                    for b in &drug_batches {
                        let p = b.column_by_name("person_id").unwrap().as_primitive::<Int64Type>();
                        let d = b.column_by_name("drug_exposure_start_date").unwrap().as_primitive::<Date32Type>();
                        for i in 0..b.num_rows() {
                            shifted.entry(p.value(i)).or_default().push(d.value(i));
                        }
                    }
                    assert_eq!(raw_dates.len(), shifted.len());
                    for (p, mut raw) in raw_dates {
                        let mut moved = shifted.remove(&p).expect("same persons");
                        raw.sort_unstable();
                        moved.sort_unstable();
                        let shift = moved[0] - raw[0];
                        assert!((-30..=30).contains(&shift));
                        assert!(raw.iter().zip(&moved).all(|(r, m)| m - r == shift), "intervals within a person kept");
                    }
                    pseudonyms.push(ids.into_iter().collect::<HashSet<i64>>());
                    // The manifest names the hashes of what was written.
                    let extract = latest(&db, *project).await.unwrap().unwrap();
                    let manifest =
                        objects.get(&ObjectPath::from(format!("{}/manifest.json", extract.prefix))).await.unwrap();
                    assert_eq!(hex::encode(Sha256::digest(&manifest)), extract.manifest_sha256);
                    let manifest: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
                    assert_eq!(manifest["protocol_sha256"], protocol().sha256());
                }
                // Law 4: the same persons, no shared identifier between the two projects.
                assert_eq!(pseudonyms[0].len(), pseudonyms[1].len());
                assert!(pseudonyms[0].is_disjoint(&pseudonyms[1]), "two projects share a person id");
                let builds: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'extract.build'")
                    .fetch_one(db.pool())
                    .await
                    .unwrap();
                assert!(builds >= 2);

                // Bad protocols are refused and leave nothing behind.
                let before = objects.list(&ObjectPath::from("extracts")).await.unwrap().len();
                let mut bad = protocol();
                bad.tables[0].columns.push("no_such_column".into());
                let err = build(&db, &objects, &master, now(), by, projects[0], &bad).await.unwrap_err().to_string();
                assert!(err.contains("no column no_such_column"), "{err}");
                let mut bad = protocol();
                bad.tables[1].filter = Some("random() < 0.5".into());
                let err = build(&db, &objects, &master, now(), by, projects[0], &bad).await.unwrap_err().to_string();
                assert!(err.contains("not allowed"), "{err}");
                let mut bad = protocol();
                bad.version = 9;
                assert!(build(&db, &objects, &master, now(), by, projects[0], &bad).await.is_err());
                assert_eq!(objects.list(&ObjectPath::from("extracts")).await.unwrap().len(), before);
                // A suspended project gets no extract.
                sqlx::query("UPDATE projects SET status = 'suspended' WHERE id = $1")
                    .bind(projects[1])
                    .execute(db.pool())
                    .await
                    .unwrap();
                let err =
                    build(&db, &objects, &master, now(), by, projects[1], &protocol()).await.unwrap_err().to_string();
                assert!(err.contains("suspended"), "{err}");
                // Another master key cannot open the project key.
                let other = MasterKey::load(&crate::keys::MasterKeySource::Env("22".repeat(32))).unwrap();
                assert!(project_key(&db, &other, projects[0]).await.is_err());
            }
        }
        std::fs::remove_dir_all(synthetic).unwrap();
    }

    #[tokio::test]
    async fn timestamps_move_with_the_persons_dates_and_keep_their_time_of_day() {
        let dir = std::env::temp_dir().join(format!("tre-extract-ts-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut csv = String::from("person_id,admitted_at,discharged_on\n");
        for p in 1..=40 {
            for v in 0..3 {
                csv.push_str(&format!("{p},2024-03-{:02}T{:02}:15:30,2024-04-{:02}\n", 1 + v * 5, 8 + v, 2 + v * 5));
            }
        }
        std::fs::write(dir.join("visit.csv"), csv).unwrap();
        let (db, _folder) = crate::db::testing::sqlite().await;
        let objects = crate::objects::testing::local();
        let master = master();
        let custodian =
            crate::accounts::store::testing::person(&db, "custodian", crate::accounts::domain::PlatformRole::Custodian)
                .await;
        let by = Committer::Seed { custodian };
        let request = ingest::Request {
            dataset: crate::datasets::domain::DatasetName::parse("visits").unwrap(),
            description: String::new(),
            person_column: "person_id".into(),
            source: dir.clone(),
        };
        let (_, tables) = ingest::ingest(&db, &objects, now(), by, &request, |_, _| {}).await.unwrap();
        assert!(tables[0].columns[1].data_type.starts_with("Timestamp"), "{:?}", tables[0].columns);
        let today = now().date();
        let project = crate::projects::store::create_demo_project(
            &db,
            &master,
            now(),
            "T",
            today - time::Duration::days(1),
            today + time::Duration::days(100),
            (custodian, ProjectRole::Analyst),
        )
        .await
        .unwrap();
        let protocol = Protocol {
            dataset: "visits".into(),
            version: 1,
            tables: vec![TableSelection {
                table: "visit".into(),
                columns: vec!["admitted_at".into(), "discharged_on".into()],
                filter: None,
            }],
            cohort: None,
            date_shift_days: 20,
            birth_year_bands: false,
            rare_categories: vec![],
        };
        let (_, built) = build(&db, &objects, &master, now(), by, project, &protocol).await.unwrap();
        let (batches, _) = read(&objects, &built[0].object_key).await;
        let mut shifts: HashMap<i64, HashSet<i64>> = HashMap::new();
        let mut moved = 0;
        for b in &batches {
            let p = b.column_by_name("person_id").unwrap().as_primitive::<Int64Type>();
            let at = b.column_by_name("admitted_at").unwrap();
            let unit = match at.data_type() {
                arrow::datatypes::DataType::Timestamp(u, _) => match u {
                    arrow::datatypes::TimeUnit::Second => 1,
                    arrow::datatypes::TimeUnit::Millisecond => 1_000,
                    arrow::datatypes::TimeUnit::Microsecond => 1_000_000,
                    arrow::datatypes::TimeUnit::Nanosecond => 1_000_000_000,
                },
                other => panic!("the timestamp became {other}"),
            };
            let at = arrow::compute::cast(at, &arrow::datatypes::DataType::Int64).unwrap();
            let at = at.as_primitive::<Int64Type>();
            let on = b.column_by_name("discharged_on").unwrap().as_primitive::<Date32Type>();
            let base_at = OffsetDateTime::parse("2024-03-01T00:00:00Z", &time::format_description::well_known::Rfc3339)
                .unwrap()
                .unix_timestamp();
            let base_on = (time::Date::from_calendar_date(2024, time::Month::April, 2).unwrap().to_julian_day()
                - time::Date::from_calendar_date(1970, time::Month::January, 1).unwrap().to_julian_day())
                as i64;
            for i in 0..b.num_rows() {
                let seconds = at.value(i) / unit - base_at;
                // Visits are 5 days apart and start at 08:15:30, 09:15:30, 10:15:30.
                let within_day = seconds.rem_euclid(86_400);
                assert_eq!(within_day % 3600, 15 * 60 + 30, "the time of day is kept");
                let visit = within_day / 3600 - 8;
                let at_shift = seconds.div_euclid(86_400) - visit * 5;
                let on_shift = on.value(i) as i64 - base_on - visit * 5;
                assert_eq!(at_shift, on_shift, "a person's timestamps and dates move together");
                assert!((-20..=20).contains(&at_shift));
                moved += (at_shift != 0) as usize;
                shifts.entry(p.value(i)).or_default().insert(at_shift);
            }
        }
        assert_eq!(shifts.len(), 40);
        assert!(shifts.values().all(|s| s.len() == 1), "one shift per person");
        assert!(moved > 0);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
