//! Ingest: a CSV or Parquet file, or a folder of them (one per table), becomes a new immutable
//! dataset version in the object store, with its catalogue rows, atomically.
//!
//! Each file is streamed through DataFusion into Parquet under a staging prefix, hashing the
//! bytes as they are written and counting rows and distinct persons on the way, so a file
//! bigger than memory is fine. Only when every table is written are they moved under the
//! version's prefix and the version committed in one database transaction; any failure
//! removes what was written, and the version does not exist.
//!
//! Errors name the file, the line and the column, never a value from the data.

use super::domain::{DatasetName, TableName};
use crate::objects::{Objects, ObjectsError};
use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Int64Type, SchemaRef};
use datafusion::prelude::{CsvReadOptions, ParquetReadOptions, SessionContext};
use futures_util::StreamExt;
use object_store::path::Path as ObjectPath;
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

/// Why an ingest failed, in words a custodian can act on.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Something about the input files.
    #[error("{}", crate::i18n::en(.0))]
    Input(crate::i18n::Says),
    /// The object store failed.
    #[error(transparent)]
    Objects(#[from] ObjectsError),
}

/// The input format of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header line.
    Csv,
    /// Apache Parquet.
    Parquet,
}

/// One file to ingest as one table.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The file.
    pub path: PathBuf,
    /// The table it becomes.
    pub table: TableName,
    /// Its format.
    pub format: Format,
}

impl SourceFile {
    fn name(&self) -> String {
        self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }
}

/// The files of a source: the file itself, or every `.csv` and `.parquet` file in a folder.
pub fn discover(source: &Path) -> Result<Vec<SourceFile>, IngestError> {
    let input = IngestError::Input;
    let source_name = source.display().to_string();
    let meta = std::fs::metadata(source)
        .map_err(|e| input(crate::says!("ingest-unreadable", file = source_name, problem = e.kind())))?;
    let paths: Vec<PathBuf> = if meta.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(source)
            .map_err(|e| input(crate::says!("ingest-unlistable", file = source_name, problem = e.kind())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| format_of(p).is_some())
            .collect();
        v.sort();
        if v.is_empty() {
            return Err(input(crate::says!("ingest-empty-folder", file = source_name)));
        }
        v
    } else {
        vec![source.to_path_buf()]
    };
    let mut files: Vec<SourceFile> = Vec::new();
    let mut names = HashSet::new();
    for path in paths {
        let file = path.display().to_string();
        let format = format_of(&path).ok_or_else(|| input(crate::says!("ingest-wrong-format", file = file)))?;
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let table = TableName::parse(&stem).map_err(|_| input(crate::says!("ingest-bad-table-name", file = file)))?;
        if !names.insert(table.clone()) {
            return Err(input(crate::says!("ingest-second-file", file = file, table = table.as_str())));
        }
        files.push(SourceFile { path, table, format });
    }
    files.sort_by(|a, b| a.table.cmp(&b.table));
    Ok(files)
}

fn format_of(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()?.to_lowercase().as_str() {
        "csv" => Some(Format::Csv),
        "parquet" => Some(Format::Parquet),
        _ => None,
    }
}

/// A column as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenColumn {
    /// Name.
    pub name: String,
    /// Arrow type, as text.
    pub data_type: String,
    /// Whether it may be missing.
    pub nullable: bool,
}

/// A table as written to the object store.
#[derive(Debug, Clone)]
pub struct WrittenTable {
    /// Its name.
    pub table: TableName,
    /// The source file's name (not its path).
    pub source_file: String,
    /// Where it is, relative to the store.
    pub object_key: String,
    /// Rows.
    pub rows: u64,
    /// Distinct persons, when the table has the person column.
    pub persons: Option<u64>,
    /// Bytes written.
    pub bytes: u64,
    /// SHA-256 of the bytes written.
    pub sha256: String,
    /// Columns in order.
    pub columns: Vec<WrittenColumn>,
}

/// Reads the header line of a CSV file to catch what schema inference would hide: an empty
/// file, and duplicate or empty column names.
fn check_csv_header(file: &SourceFile) -> Result<Vec<String>, IngestError> {
    let name = file.name();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(&file.path)
        .map_err(|e| IngestError::Input(crate::says!("ingest-unreadable", file = name, problem = e)))?;
    let header =
        reader.headers().map_err(|_| IngestError::Input(crate::says!("ingest-header-unreadable", file = name)))?;
    if header.is_empty() || (header.len() == 1 && header[0].trim().is_empty()) {
        return Err(IngestError::Input(crate::says!("ingest-empty-file", file = name)));
    }
    let mut seen = HashSet::new();
    let mut names = Vec::new();
    for (i, h) in header.iter().enumerate() {
        let h = h.trim();
        if h.is_empty() {
            return Err(IngestError::Input(crate::says!("ingest-unnamed-column", file = name, column = i + 1)));
        }
        if !seen.insert(h.to_lowercase()) {
            return Err(IngestError::Input(crate::says!("ingest-header-column-twice", file = name, column = h)));
        }
        names.push(h.to_string());
    }
    if reader.records().next().is_none() {
        return Err(IngestError::Input(crate::says!("ingest-header-only", file = name)));
    }
    Ok(names)
}

/// Turns a DataFusion or Arrow error from reading `file` into a message that names the file,
/// the line and the column, and never quotes a value (Arrow's CSV errors quote the value and
/// the whole row).
fn describe_read_error(file: &SourceFile, columns: &[String], e: &dyn std::fmt::Display) -> IngestError {
    let text = e.to_string();
    let name = file.name();
    let number_after = |marker: &str| -> Option<usize> {
        let start = text.find(marker)? + marker.len();
        let digits: String = text[start..].chars().take_while(|c| c.is_ascii_digit()).collect();
        digits.parse().ok()
    };
    if text.contains("Error while parsing value") {
        let column = number_after("for column ").and_then(|c| columns.get(c)).cloned().unwrap_or_else(|| "?".into());
        let expected = text
            .split("as type '")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or("the inferred type")
            .to_string();
        // Arrow counts data rows from 1; the file's line adds the header.
        let line = number_after("at line ").map(|l| (l + 1).to_string()).unwrap_or_else(|| "?".into());
        return IngestError::Input(crate::says!(
            "ingest-value-type",
            file = name,
            line = line,
            column = column,
            expected = expected
        ));
    }
    if text.contains("incorrect number of fields") || text.contains("unequal lengths") {
        let line = number_after("for line ")
            .or_else(|| number_after("at line "))
            .map(|l| l.to_string())
            .unwrap_or_else(|| "?".into());
        return IngestError::Input(crate::says!("ingest-field-count", file = name, line = line));
    }
    if file.format == Format::Parquet {
        return IngestError::Input(crate::says!("ingest-not-parquet", file = name));
    }
    IngestError::Input(crate::says!("ingest-not-csv", file = name))
}

/// Distinct persons, counted by a 64-bit hash of each identifier (exact in practice: a
/// collision among a few million ids has a chance below one in a million).
#[derive(Default)]
struct Persons(HashSet<u64>);

impl Persons {
    /// Adds the batch's person ids; `Err(row)` gives the first row (0-based within the batch)
    /// whose id is missing.
    fn add(&mut self, column: &dyn Array) -> Result<(), usize> {
        if column.null_count() > 0 {
            return Err((0..column.len()).find(|i| column.is_null(*i)).unwrap_or(0));
        }
        fn hash(v: impl Hash) -> u64 {
            let mut h = DefaultHasher::new();
            v.hash(&mut h);
            h.finish()
        }
        match column.data_type() {
            DataType::Utf8 => self.0.extend(column.as_string::<i32>().iter().flatten().map(hash)),
            DataType::LargeUtf8 => self.0.extend(column.as_string::<i64>().iter().flatten().map(hash)),
            DataType::Utf8View => self.0.extend(column.as_string_view().iter().flatten().map(hash)),
            _ => {
                if let Ok(ints) = arrow::compute::cast(column, &DataType::Int64) {
                    // Rows of one person usually come together: hash each run once.
                    let mut last = None;
                    for v in ints.as_primitive::<Int64Type>().iter().flatten() {
                        if last != Some(v) {
                            self.0.insert(hash(v));
                            last = Some(v);
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

fn person_type_ok(t: &DataType) -> bool {
    t.is_integer() || matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// Counts distinct persons by `column` in each table of a stored version that has the column:
/// `(table id, persons)`, `None` for tables without it. Used when a custodian names another
/// person column after ingest. Errors name the table and column, never a value.
pub async fn count_persons(
    objects: &Objects,
    version: &super::store::Version,
    column: &str,
) -> Result<Vec<(i64, Option<u64>)>, IngestError> {
    use datafusion::functions_aggregate::count::{count, count_distinct};
    use datafusion::logical_expr::ident;
    let ctx = SessionContext::new_with_config(super::engine_config());
    let url = url::Url::parse(Objects::URL).map_err(|_| IngestError::Input(crate::says!("ingest-store-url")))?;
    ctx.register_object_store(&url, objects.store());
    let mut out = Vec::new();
    for t in &version.tables {
        let Some(c) = t.columns.iter().find(|c| c.name == column) else {
            out.push((t.id, None));
            continue;
        };
        let is_text = matches!(c.data_type.as_str(), "Utf8" | "LargeUtf8" | "Utf8View");
        if !is_text
            && !matches!(
                c.data_type.as_str(),
                "Int8" | "Int16" | "Int32" | "Int64" | "UInt8" | "UInt16" | "UInt32" | "UInt64"
            )
        {
            return Err(IngestError::Input(crate::says!(
                "ingest-table-person-type",
                table = t.name,
                column = column,
                found = c.data_type
            )));
        }
        let counted = ctx
            .read_parquet(objects.url_of(&t.object_key), ParquetReadOptions::default())
            .await
            .and_then(|f| {
                f.aggregate(
                    vec![],
                    vec![count_distinct(ident(column)).alias("persons"), count(ident(column)).alias("present")],
                )
            })
            .map_err(|_| IngestError::Input(crate::says!("ingest-table-unreadable", table = t.name)))?
            .collect()
            .await
            .map_err(|_| IngestError::Input(crate::says!("ingest-table-unreadable", table = t.name)))?;
        let value = |name: &str| -> Option<u64> {
            let batch = counted.first()?;
            let ints = arrow::compute::cast(batch.column_by_name(name)?, &DataType::Int64).ok()?;
            u64::try_from(ints.as_primitive::<Int64Type>().value(0)).ok()
        };
        let (Some(persons), Some(present)) = (value("persons"), value("present")) else {
            return Err(IngestError::Input(crate::says!("ingest-persons-uncountable", table = t.name)));
        };
        if present < t.rows as u64 {
            return Err(IngestError::Input(crate::says!(
                "ingest-person-missing-rows",
                table = t.name,
                column = column,
                count = t.rows as u64 - present
            )));
        }
        out.push((t.id, Some(persons)));
    }
    if out.iter().all(|(_, p)| p.is_none()) {
        return Err(IngestError::Input(crate::says!(
            "ingest-no-such-column",
            version = version.version,
            column = column
        )));
    }
    Ok(out)
}

/// Streams one file into Parquet at `key`.
pub async fn write_table(
    objects: &Objects,
    file: &SourceFile,
    key: &ObjectPath,
    person_column: &str,
    mut progress: impl FnMut(u64),
) -> Result<WrittenTable, IngestError> {
    let name = file.name();
    let header = match file.format {
        Format::Csv => check_csv_header(file)?,
        Format::Parquet => Vec::new(),
    };
    let ctx = SessionContext::new_with_config(super::engine_config());
    let path = file.path.to_string_lossy().into_owned();
    let df = match file.format {
        Format::Csv => {
            ctx.read_csv(
                &path,
                CsvReadOptions::new().has_header(true).schema_infer_max_records(10_000).file_extension(".csv"),
            )
            .await
        }
        Format::Parquet => ctx.read_parquet(&path, ParquetReadOptions::default().file_extension(".parquet")).await,
    }
    .map_err(|e| describe_read_error(file, &header, &e))?;
    let schema: SchemaRef = df.schema().inner().clone();
    let columns: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
    if columns.is_empty() {
        return Err(IngestError::Input(crate::says!("ingest-no-columns", file = name)));
    }
    let mut seen = HashSet::new();
    for c in &columns {
        if !seen.insert(c.to_lowercase()) {
            return Err(IngestError::Input(crate::says!("ingest-column-twice", file = name, column = c)));
        }
    }
    let person_index = columns.iter().position(|c| c == person_column);
    if let Some(i) = person_index
        && !person_type_ok(schema.field(i).data_type())
    {
        return Err(IngestError::Input(crate::says!(
            "ingest-person-type",
            file = name,
            column = person_column,
            found = schema.field(i).data_type()
        )));
    }

    let mut out = super::parquet_out::ParquetOut::create(objects, key, schema.clone(), &[])?;
    let mut stream = df.execute_stream().await.map_err(|e| describe_read_error(file, &columns, &e))?;
    let mut rows = 0u64;
    let mut persons = Persons::default();
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| describe_read_error(file, &columns, &e))?;
        if let Some(i) = person_index
            && let Err(row) = persons.add(batch.column(i).as_ref())
        {
            let (unit, at) = match file.format {
                Format::Csv => ("line", rows + row as u64 + 2),
                Format::Parquet => ("row", rows + row as u64 + 1),
            };
            return Err(IngestError::Input(crate::says!(
                "ingest-person-missing",
                file = name,
                unit = unit,
                at = at,
                column = person_column
            )));
        }
        rows += batch.num_rows() as u64;
        out.write(&batch).await?;
        progress(rows);
    }
    if rows == 0 {
        return Err(IngestError::Input(crate::says!("ingest-no-rows", file = name)));
    }
    let written = out.finish().await?;
    Ok(WrittenTable {
        table: file.table.clone(),
        source_file: name,
        object_key: key.to_string(),
        rows,
        persons: person_index.map(|_| persons.0.len() as u64),
        bytes: written.bytes,
        sha256: written.sha256,
        columns: schema
            .fields()
            .iter()
            .map(|f| WrittenColumn {
                name: f.name().clone(),
                data_type: f.data_type().to_string(),
                nullable: f.is_nullable(),
            })
            .collect(),
    })
}

/// Writes every file of an ingest under `staging/<id>/`, then moves them under
/// `datasets/<name>/<id>/`. On any failure, removes whatever was written. Returns the final
/// prefix and the tables.
pub async fn write_all(
    objects: &Objects,
    dataset: &DatasetName,
    files: &[SourceFile],
    person_column: &str,
    progress: impl Fn(&str, u64),
) -> Result<(String, Vec<WrittenTable>), IngestError> {
    let id = hex::encode(rand::random::<[u8; 12]>());
    let staging = ObjectPath::from(format!("staging/{id}"));
    let prefix = format!("datasets/{}/{id}", dataset.as_str());
    let result = async {
        let mut written = Vec::new();
        for file in files {
            let key = ObjectPath::from(format!("staging/{id}/{}.parquet", file.table.as_str()));
            written.push(
                write_table(objects, file, &key, person_column, |rows| progress(file.table.as_str(), rows)).await?,
            );
        }
        if !written.iter().any(|t| t.persons.is_some()) {
            return Err(IngestError::Input(crate::says!("ingest-no-person-column", column = person_column)));
        }
        for t in &mut written {
            let to = ObjectPath::from(format!("{prefix}/{}.parquet", t.table.as_str()));
            objects.rename(&ObjectPath::from(t.object_key.as_str()), &to).await?;
            t.object_key = to.to_string();
        }
        Ok(written)
    }
    .await;
    match result {
        Ok(written) => Ok((prefix, written)),
        Err(e) => {
            // Nothing of a failed ingest stays behind.
            let _ = objects.delete_prefix(&staging).await;
            let _ = objects.delete_prefix(&ObjectPath::from(prefix.as_str())).await;
            Err(e)
        }
    }
}

/// What a custodian asks to ingest.
#[derive(Debug, Clone)]
pub struct Request {
    /// The dataset (created on its first ingest).
    pub dataset: DatasetName,
    /// Its description (used when the dataset is created).
    pub description: String,
    /// The column that identifies persons.
    pub person_column: String,
    /// A file, or a folder of files (one per table).
    pub source: PathBuf,
}

/// Ingests a new version: writes every table, then commits the version with its catalogue
/// rows and audit entry in one transaction. Returns the version number and the tables. A
/// failure at any step leaves no version and no objects behind.
pub async fn ingest(
    db: &crate::db::Db,
    objects: &Objects,
    now: time::OffsetDateTime,
    by: super::store::Committer<'_>,
    request: &Request,
    progress: impl Fn(&str, u64),
) -> Result<(i64, Vec<WrittenTable>), IngestError> {
    let person_column = request.person_column.trim();
    if person_column.is_empty() {
        return Err(IngestError::Input(crate::says!("ingest-person-column-needed")));
    }
    let files = discover(&request.source)?;
    let (prefix, tables) = write_all(objects, &request.dataset, &files, person_column, progress).await?;
    let new = super::store::NewVersion {
        dataset: &request.dataset,
        description: request.description.trim(),
        person_column,
        prefix: &prefix,
        tables: &tables,
    };
    let committed = super::store::commit_version(db, now, by, new).await;
    match committed {
        Ok(version) => Ok((version, tables)),
        Err(e) => {
            let _ = objects.delete_prefix(&ObjectPath::from(prefix.as_str())).await;
            Err(match e {
                crate::db::StoreError::Rule(m) => IngestError::Input(m),
                other => IngestError::Input(crate::says!("ingest-not-recorded", problem = other)),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datasets::store::{self, Committer};
    use crate::db::testing as dbs;
    use crate::objects::testing as stores;
    use sha2::Digest;

    fn now() -> time::OffsetDateTime {
        time::OffsetDateTime::from_unix_timestamp(1_790_000_000).unwrap()
    }

    /// A person to act as custodian.
    async fn custodian(db: &crate::db::Db) -> i64 {
        crate::accounts::store::testing::person(db, "kenji", crate::accounts::domain::PlatformRole::Custodian).await
    }

    /// Kenji (the custodian), authorised to manage datasets.
    async fn kenji_manages_datasets(db: &crate::db::Db) -> crate::access::PlatformAccess {
        crate::access::store::authorise_command_line_operator(
            db,
            &crate::clock::SystemClock,
            &policy::AccessPolicy,
            &crate::accounts::domain::Username::parse("kenji").unwrap(),
            crate::access::PlatformAction::ManageDatasets,
        )
        .await
        .unwrap()
    }

    fn folder(files: &[(&str, &str)]) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tre-ingest-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        dir
    }

    fn request(source: PathBuf) -> Request {
        Request {
            dataset: DatasetName::parse("claims").unwrap(),
            description: "Test claims".into(),
            person_column: "person_id".into(),
            source,
        }
    }

    async fn nothing_left(db: &crate::db::Db, objects: &Objects) {
        assert!(objects.list(&ObjectPath::from("staging")).await.unwrap().is_empty(), "staging objects left behind");
        assert!(objects.list(&ObjectPath::from("datasets")).await.unwrap().is_empty(), "dataset objects left behind");
        let versions: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM dataset_versions").fetch_one(db.pool()).await.unwrap();
        assert_eq!(versions, 0);
    }

    #[tokio::test]
    async fn a_folder_becomes_a_version_on_every_engine_and_store() {
        let synthetic = std::env::temp_dir().join(format!("tre-ingest-synth-{}", rand::random::<u64>()));
        crate::datasets::synthetic::generate(
            &crate::datasets::synthetic::Options { persons: 300, seed: 5, out: synthetic.clone() },
            |_| {},
        )
        .unwrap();
        for db in dbs::both().await {
            for objects in stores::both() {
                let audited_before: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM audit_log WHERE action IN ('dataset.ingest', 'dataset.dictionary')",
                )
                .fetch_one(db.pool())
                .await
                .unwrap();
                let who = custodian(&db).await;
                let (version, tables) = ingest(
                    &db,
                    &objects,
                    now(),
                    Committer::Seed { custodian: who },
                    &request(synthetic.clone()),
                    |_, _| {},
                )
                .await
                .unwrap();
                assert_eq!(version, 1);
                assert_eq!(tables.len(), 6);
                let person = tables.iter().find(|t| t.table.as_str() == "person").unwrap();
                assert_eq!((person.rows, person.persons), (300, Some(300)));
                let drugs = tables.iter().find(|t| t.table.as_str() == "drug_exposure").unwrap();
                assert!(drugs.persons.unwrap() <= 300 && drugs.rows > 300);
                // What was hashed is what is stored.
                let bytes = objects.get(&ObjectPath::from(drugs.object_key.as_str())).await.unwrap();
                assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), drugs.sha256);
                assert!(objects.list(&ObjectPath::from("staging")).await.unwrap().is_empty());

                // The dictionary: the person column is marked; edits carry into the next version.
                let datasets = store::datasets(&db).await.unwrap();
                let v1 = store::version(&db, datasets[0].id, 1).await.unwrap();
                let drug_table = v1.tables.iter().find(|t| t.name == "drug_exposure").unwrap();
                assert!(drug_table.columns.iter().any(|c| c.name == "person_id" && c.is_person));
                let admin = kenji_manages_datasets(&db).await;
                let cost = drug_table.columns.iter().find(|c| c.name == "cost").unwrap();
                store::edit_column(
                    &db,
                    now(),
                    &admin,
                    drug_table.id,
                    cost.position,
                    "Cost in yen",
                    super::super::domain::ColumnClass::Sensitive,
                )
                .await
                .unwrap();
                let (version, _) = ingest(
                    &db,
                    &objects,
                    now(),
                    Committer::Seed { custodian: who },
                    &request(synthetic.clone()),
                    |_, _| {},
                )
                .await
                .unwrap();
                assert_eq!(version, 2);
                let v2 = store::version(&db, datasets[0].id, 2).await.unwrap();
                let cost2 = v2
                    .tables
                    .iter()
                    .find(|t| t.name == "drug_exposure")
                    .unwrap()
                    .columns
                    .iter()
                    .find(|c| c.name == "cost")
                    .unwrap()
                    .clone();
                assert_eq!(cost2.description, "Cost in yen");
                assert_eq!(cost2.class, super::super::domain::ColumnClass::Sensitive);
                let audited: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM audit_log WHERE action IN ('dataset.ingest', 'dataset.dictionary')",
                )
                .fetch_one(db.pool())
                .await
                .unwrap();
                assert_eq!(audited - audited_before, 3);
                // Fresh catalogue per store: clean up for the next store on this database.
                for t in ["dataset_columns", "dataset_tables", "dataset_versions", "datasets"] {
                    sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {t}"))).execute(db.pool()).await.unwrap();
                }
                sqlx::query("DELETE FROM platform_roles").execute(db.pool()).await.unwrap();
                sqlx::query("DELETE FROM people").execute(db.pool()).await.unwrap();
            }
        }
        std::fs::remove_dir_all(synthetic).unwrap();
    }

    /// Each bad input: the error names what it must, quotes no value, and leaves nothing.
    async fn refused(files: &[(&str, &str)], expected: &[&str], not_expected: &[&str]) {
        for db in dbs::both().await {
            for objects in stores::both() {
                let who = custodian(&db).await;
                let dir = folder(files);
                let err =
                    ingest(&db, &objects, now(), Committer::Seed { custodian: who }, &request(dir.clone()), |_, _| {})
                        .await
                        .expect_err("should be refused")
                        .to_string();
                for e in expected {
                    assert!(err.contains(e), "{err:?} lacks {e:?}");
                }
                for n in not_expected {
                    assert!(!err.contains(n), "{err:?} quotes {n:?}");
                }
                nothing_left(&db, &objects).await;
                std::fs::remove_dir_all(dir).unwrap();
                sqlx::query("DELETE FROM platform_roles").execute(db.pool()).await.unwrap();
                sqlx::query("DELETE FROM people").execute(db.pool()).await.unwrap();
            }
        }
    }

    #[tokio::test]
    async fn a_malformed_line_is_named() {
        refused(
            &[("person.csv", "person_id,sex\n1,F\n2,M,SECRETVALUE\n3,F\n")],
            &["person.csv", "line 3", "number of fields"],
            &["SECRETVALUE"],
        )
        .await;
    }

    #[tokio::test]
    async fn a_type_conflict_is_named_without_its_value() {
        let mut text = String::from("person_id,age\n");
        for i in 1..=10_100 {
            text.push_str(&format!(
                "{i},{}\n",
                if i == 10_050 { "SECRET42".to_string() } else { (i % 90).to_string() }
            ));
        }
        refused(&[("person.csv", &text)], &["person.csv", "line 10051", "column age", "Int64"], &["SECRET42"]).await;
    }

    #[tokio::test]
    async fn missing_person_ids_and_missing_person_columns_are_refused() {
        refused(
            &[("person.csv", "person_id,sex\n1,F\n,M\n")],
            &["person.csv", "line 3", "person identifier is missing"],
            &[],
        )
        .await;
        refused(&[("codes.csv", "code,label\nE11,diabetes\n")], &["No table has the person column"], &[]).await;
    }

    #[tokio::test]
    async fn empty_files_and_duplicate_columns_are_refused() {
        refused(&[("person.csv", "")], &["person.csv", "empty"], &[]).await;
        refused(&[("person.csv", "person_id,sex\n")], &["person.csv", "no rows"], &[]).await;
        refused(&[("person.csv", "person_id,sex,Sex\n1,F,F\n")], &["person.csv", "line 1", "appears twice"], &[]).await;
        refused(&[("person.parquet", "this is not parquet")], &["person.parquet", "not a readable Parquet file"], &[])
            .await;
        // A good table beside a bad one: the good one is not kept either.
        refused(
            &[("a_person.csv", "person_id,sex\n1,F\n"), ("b_visit.csv", "person_id,day\n1,2\n1\n")],
            &["b_visit.csv", "line 3"],
            &[],
        )
        .await;
    }

    #[test]
    fn sources_are_discovered_and_named() {
        let dir = folder(&[("Person.csv", "a\n1\n"), ("notes.txt", "x"), ("drug_exposure.parquet", "")]);
        let files = discover(&dir).unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.table.as_str()).collect();
        assert_eq!(names, ["drug_exposure", "person"]);
        assert!(discover(&dir.join("missing")).unwrap_err().to_string().contains("cannot be read"));
        let clash = folder(&[("person.csv", "a\n1\n"), ("person.parquet", "")]);
        assert!(discover(&clash).unwrap_err().to_string().contains("second file"));
        let bad = folder(&[("drug-exposure.csv", "a\n1\n")]);
        assert!(discover(&bad).unwrap_err().to_string().contains("cannot name a table"));
        for d in [dir, clash, bad] {
            std::fs::remove_dir_all(d).unwrap();
        }
    }

    #[tokio::test]
    async fn custodians_name_another_person_column_and_persons_are_counted_again() {
        let mut visits = String::from("patient,person_id,score\n");
        for i in 0..40 {
            visits.push_str(&format!("P{},{},{}.5\n", i % 7, i % 13, i));
        }
        let source = folder(&[("visit.csv", &visits), ("lab.csv", "person_id,value\n1,2\n2,3\n")]);
        for db in dbs::both().await {
            let objects = stores::local();
            let who = custodian(&db).await;
            let request = Request {
                dataset: DatasetName::parse("visits").unwrap(),
                description: String::new(),
                person_column: "person_id".into(),
                source: source.clone(),
            };
            ingest(&db, &objects, now(), Committer::Seed { custodian: who }, &request, |_, _| {}).await.unwrap();
            let id = store::datasets(&db).await.unwrap()[0].id;
            let v1 = store::version(&db, id, 1).await.unwrap();
            let table = |v: &store::Version, name: &str| v.tables.iter().find(|t| t.name == name).unwrap().clone();
            assert_eq!(table(&v1, "visit").persons, Some(13));

            // Types that cannot identify persons, and columns in no table, are refused.
            let err = count_persons(&objects, &v1, "score").await.unwrap_err().to_string();
            assert!(err.contains("Table visit, column score") && err.contains("whole numbers or text"), "{err}");
            let err = count_persons(&objects, &v1, "nobody").await.unwrap_err().to_string();
            assert!(err.contains("No table of version 1"), "{err}");

            let counts = count_persons(&objects, &v1, "patient").await.unwrap();
            let lab = table(&v1, "lab").id;
            assert!(counts.contains(&(lab, None)));
            assert!(counts.contains(&(table(&v1, "visit").id, Some(7))));
            let operator = kenji_manages_datasets(&db).await;
            // Counts that miss a table (a version that arrived meanwhile) are refused.
            let err = store::set_person_column(&db, now(), &operator, id, "patient", &counts[..1]).await.unwrap_err();
            assert!(err.to_string().contains("try again"), "{err}");
            store::set_person_column(&db, now(), &operator, id, "patient", &counts).await.unwrap();
            assert_eq!(store::dataset(&db, id).await.unwrap().person_column, "patient");
            let v1 = store::version(&db, id, 1).await.unwrap();
            let visit = table(&v1, "visit");
            assert_eq!(visit.persons, Some(7));
            assert_eq!(table(&v1, "lab").persons, None);
            let marked: Vec<&str> = visit.columns.iter().filter(|c| c.is_person).map(|c| c.name.as_str()).collect();
            assert_eq!(marked, ["patient"]);
            let patient = visit.columns.iter().find(|c| c.name == "patient").unwrap();
            assert_eq!(patient.class, crate::datasets::domain::ColumnClass::Identifier);
            let audited: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'dataset.person_column'")
                    .fetch_one(db.pool())
                    .await
                    .unwrap();
            assert_eq!(audited, 1);
        }
        std::fs::remove_dir_all(source).unwrap();
    }
}
