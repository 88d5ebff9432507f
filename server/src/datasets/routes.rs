//! The catalogue pages (every signed-in person: datasets, versions, tables, columns with the
//! dictionary; counts rounded; never a data value) and the custodians' dictionary editing.

use super::domain::{ColumnClass, parse_description, rounded_count};
use super::store;
use crate::access::extract::{ManageDatasets, Platform};
use crate::accounts::domain::PlatformRole;
use crate::web::AppState;
use crate::web::auth::SignedIn;
use crate::web::error::{AppError, ValidForm, parse_id};
use crate::web::pages::Chrome;
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

/// The routes of this area.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/datasets", get(catalogue))
        .route(
            "/datasets/upload",
            get(upload_page)
                .post(upload)
                // Uploads stream to disk; a dataset table may be large.
                .layer(axum::extract::DefaultBodyLimit::max(8 * 1024 * 1024 * 1024)),
        )
        .route("/datasets/{id}", get(latest))
        .route("/datasets/{id}/versions/{version}", get(version_page))
        .route("/datasets/{id}/versions/{version}/tables/{table}/columns/{position}", post(edit_column))
        .route("/datasets/{id}/person-column", post(set_person_column))
}

struct DatasetRow {
    dataset: store::Dataset,
}

#[derive(Template)]
#[template(path = "datasets.html")]
struct CataloguePage {
    chrome: Chrome,
    datasets: Vec<DatasetRow>,
    can_ingest: bool,
}

async fn catalogue(State(state): State<AppState>, me: SignedIn) -> Result<Response, AppError> {
    let datasets = store::datasets(&state.db).await?.into_iter().map(|dataset| DatasetRow { dataset }).collect();
    let can_ingest = me.roles.contains(&PlatformRole::Custodian);
    Ok(Html(CataloguePage { chrome: me.chrome().await?, datasets, can_ingest }.render()?).into_response())
}

async fn latest(State(state): State<AppState>, _me: SignedIn, Path(id): Path<String>) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let dataset = store::dataset(&state.db, id).await?;
    let latest = dataset.latest_version.ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&format!("/datasets/{id}/versions/{latest}")).into_response())
}

/// A count as the catalogue shows it, rounded (see [`rounded_count`]), in the page's language:
/// "fewer than 10" or "about 1,200".
fn count_text(chrome: &Chrome, n: i64) -> String {
    if n < 10 {
        return chrome.t("ds-count-fewer-than-10");
    }
    let rounded = rounded_count(n);
    // `rounded_count` words it in English; only its number is kept.
    let number = rounded.strip_prefix("about ").unwrap_or(&rounded);
    chrome.t1("ds-count-about", "count", number)
}

/// A table as shown: counts rounded.
struct TableView {
    table: store::Table,
    rows: String,
    persons: String,
}

#[derive(Template)]
#[template(path = "dataset_version.html")]
struct VersionPage {
    chrome: Chrome,
    dataset: store::Dataset,
    version: store::Version,
    versions: Vec<i64>,
    tables: Vec<TableView>,
    can_edit: bool,
    /// The column classes' stored forms (the template words them).
    classes: Vec<&'static str>,
    /// Columns that could identify persons (whole numbers or text), for the custodian's choice.
    person_candidates: Vec<String>,
}

async fn version_page(
    State(state): State<AppState>,
    me: SignedIn,
    Path((id, number)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let number = parse_id(&number)?;
    let dataset = store::dataset(&state.db, id).await?;
    let version = store::version(&state.db, id, number).await?;
    let versions = store::versions(&state.db, id).await?.into_iter().map(|(v, _)| v).collect();
    let chrome = me.chrome().await?;
    let tables = version
        .tables
        .iter()
        .map(|t| TableView {
            table: t.clone(),
            rows: count_text(&chrome, t.rows),
            persons: t.persons.map(|n| count_text(&chrome, n)).unwrap_or_else(|| chrome.t("ds-no-persons")),
        })
        .collect();
    let can_edit = me.roles.contains(&PlatformRole::Custodian);
    let classes = ColumnClass::ALL.iter().map(|c| c.as_str()).collect();
    let mut person_candidates: Vec<String> = version
        .tables
        .iter()
        .flat_map(|t| t.columns.iter())
        .filter(|c| c.data_type.starts_with("Int") || c.data_type.starts_with("UInt") || c.data_type.contains("Utf8"))
        .map(|c| c.name.clone())
        .collect();
    person_candidates.sort();
    person_candidates.dedup();
    let page = VersionPage { chrome, dataset, version, versions, tables, can_edit, classes, person_candidates };
    Ok(Html(page.render()?).into_response())
}

/// A custodian, authorised (and audited) for managing datasets.
type Custodian = Platform<ManageDatasets>;

#[derive(Deserialize)]
struct ColumnForm {
    description: String,
    class: String,
}

async fn edit_column(
    State(state): State<AppState>,
    custodian: Custodian,
    Path((id, number, table, position)): Path<(String, String, String, String)>,
    ValidForm(form): ValidForm<ColumnForm>,
) -> Result<Response, AppError> {
    let (id, number, table) = (parse_id(&id)?, parse_id(&number)?, parse_id(&table)?);
    let position: i64 = position.parse().map_err(|_| AppError::NotFound)?;
    // The table must belong to the version in the path.
    let version = store::version(&state.db, id, number).await?;
    if !version.tables.iter().any(|t| t.id == table) {
        return Err(AppError::NotFound);
    }
    let description = parse_description(&form.description).map_err(AppError::Invalid)?;
    let Some(class) = ColumnClass::parse(&form.class) else {
        return Err(AppError::Invalid(crate::says!("ds-unknown-class")));
    };
    store::edit_column(&state.db, state.clock.now(), &custodian.access, table, position, &description, class).await?;
    Ok(Redirect::to(&format!("/datasets/{id}/versions/{number}#table-{table}")).into_response())
}

#[derive(Deserialize)]
struct PersonColumnForm {
    column: String,
}

/// Names another person column: persons are counted again in every version, then recorded.
async fn set_person_column(
    State(state): State<AppState>,
    custodian: Custodian,
    Path(id): Path<String>,
    ValidForm(form): ValidForm<PersonColumnForm>,
) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let dataset = store::dataset(&state.db, id).await?;
    let column = form.column.trim();
    if column == dataset.person_column {
        return Ok(Redirect::to(&format!("/datasets/{id}")).into_response());
    }
    let mut counts = Vec::new();
    for (number, _) in store::versions(&state.db, id).await? {
        let version = store::version(&state.db, id, number).await?;
        let counted = match super::ingest::count_persons(&state.objects, &version, column).await {
            Ok(counted) => counted,
            Err(super::ingest::IngestError::Input(m)) => {
                let problem = custodian.me.chrome().await?.says(&m);
                return Err(AppError::Invalid(crate::says!(
                    "ds-person-column-version-problem",
                    version = number,
                    problem = problem
                )));
            }
            Err(other) => return Err(AppError::Internal(other.to_string())),
        };
        counts.extend(counted);
    }
    store::set_person_column(&state.db, state.clock.now(), &custodian.access, id, column, &counts).await?;
    Ok(Redirect::to(&format!("/datasets/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "dataset_upload.html")]
struct UploadPage {
    chrome: Chrome,
    error: Option<String>,
    done: Option<String>,
}

async fn upload_page(custodian: Custodian) -> Result<Response, AppError> {
    Ok(Html(UploadPage { chrome: custodian.me.chrome().await?, error: None, done: None }.render()?).into_response())
}

/// Receives files (one per table) and form fields, streams the files to a private folder of
/// the data folder, ingests them as a new version, and removes the folder.
async fn upload(
    State(state): State<AppState>,
    custodian: Custodian,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let chrome = custodian.me.chrome().await?;
    let folder = state.config.data_dir.join("uploads").join(hex::encode(rand::random::<[u8; 12]>()));
    let result = receive(&chrome, &mut multipart, &folder).await;
    let outcome = match result {
        Ok(fields) => {
            let request = super::domain::DatasetName::parse(fields.get("name").map(String::as_str).unwrap_or_default())
                .map(|dataset| super::ingest::Request {
                    dataset,
                    description: fields.get("description").cloned().unwrap_or_default(),
                    person_column: fields.get("person_column").cloned().unwrap_or_default(),
                    source: folder.clone(),
                });
            match request {
                Ok(request) => super::ingest::ingest(
                    &state.db,
                    &state.objects,
                    state.clock.now(),
                    super::store::Committer::Custodian(&custodian.access),
                    &request,
                    |_, _| {},
                )
                .await
                .map(|(version, tables)| {
                    let dataset = request.dataset.as_str();
                    let version = chrome.t2("ds-upload-dataset-version", "dataset", dataset, "version", version);
                    chrome.t2("ds-upload-done", "version", version, "tables", tables.len())
                })
                .map_err(|e| match e {
                    super::ingest::IngestError::Input(m) => chrome.says(&m),
                    other => {
                        tracing::error!(error.cause = %other, "an upload could not be ingested");
                        chrome.t("ds-upload-not-stored")
                    }
                }),
                Err(e) => Err(chrome.says(&e)),
            }
        }
        Err(e) => Err(e),
    };
    let _ = tokio::fs::remove_dir_all(&folder).await;
    match outcome {
        Ok(done) => Ok(Html(UploadPage { chrome, error: None, done: Some(done) }.render()?).into_response()),
        Err(e) => {
            let body = UploadPage { chrome, error: Some(e), done: None }.render()?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, Html(body)).into_response())
        }
    }
}

/// Reads the upload's fields; files go to `folder` under their own (checked) names. Problems
/// are worded in `chrome`'s language.
async fn receive(
    chrome: &Chrome,
    multipart: &mut axum::extract::Multipart,
    folder: &std::path::Path,
) -> Result<std::collections::HashMap<String, String>, String> {
    use tokio::io::AsyncWriteExt;
    tokio::fs::create_dir_all(folder).await.map_err(|_| chrome.t("ds-upload-not-stored"))?;
    let mut fields = std::collections::HashMap::new();
    let mut files = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(|_| chrome.t("ds-upload-malformed"))? {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            Some(file_name) if name == "files" => {
                if file_name.is_empty() {
                    continue;
                }
                // Only the base name counts, and it must name a table and a format.
                let base = std::path::Path::new(&file_name)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let stem = std::path::Path::new(&base)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let extension = std::path::Path::new(&base)
                    .extension()
                    .map(|s| s.to_string_lossy().to_lowercase())
                    .unwrap_or_default();
                if !matches!(extension.as_str(), "csv" | "parquet") {
                    return Err(chrome.t1("ds-upload-wrong-format", "file", base.as_str()));
                }
                let table = super::domain::TableName::parse(&stem).map_err(|e| {
                    chrome.t2("ds-upload-bad-file-name", "file", base.as_str(), "problem", chrome.says(&e))
                })?;
                let path = folder.join(format!("{}.{extension}", table.as_str()));
                let mut out = tokio::fs::File::create(&path).await.map_err(|_| chrome.t("ds-upload-not-stored"))?;
                while let Some(chunk) =
                    field.chunk().await.map_err(|_| chrome.t1("ds-upload-interrupted", "file", base.as_str()))?
                {
                    out.write_all(&chunk).await.map_err(|_| chrome.t("ds-upload-not-stored"))?;
                }
                out.flush().await.map_err(|_| chrome.t("ds-upload-not-stored"))?;
                files += 1;
            }
            _ => {
                let value = field.text().await.map_err(|_| chrome.t("ds-upload-malformed"))?;
                fields.insert(name, value);
            }
        }
    }
    if files == 0 {
        return Err(chrome.t("ds-upload-no-file"));
    }
    Ok(fields)
}
