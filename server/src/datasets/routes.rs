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
        .route("/datasets/{id}", get(latest))
        .route("/datasets/{id}/versions/{version}", get(version_page))
        .route("/datasets/{id}/versions/{version}/tables/{table}/columns/{position}", post(edit_column))
}

struct DatasetRow {
    dataset: store::Dataset,
}

#[derive(Template)]
#[template(path = "datasets.html")]
struct CataloguePage {
    chrome: Chrome,
    datasets: Vec<DatasetRow>,
}

async fn catalogue(State(state): State<AppState>, me: SignedIn) -> Result<Response, AppError> {
    let datasets = store::datasets(&state.db).await?.into_iter().map(|dataset| DatasetRow { dataset }).collect();
    Ok(Html(CataloguePage { chrome: me.chrome().await?, datasets }.render()?).into_response())
}

async fn latest(State(state): State<AppState>, _me: SignedIn, Path(id): Path<String>) -> Result<Response, AppError> {
    let id = parse_id(&id)?;
    let dataset = store::dataset(&state.db, id).await?;
    let latest = dataset.latest_version.ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&format!("/datasets/{id}/versions/{latest}")).into_response())
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
    classes: Vec<(&'static str, &'static str)>,
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
    let tables = version
        .tables
        .iter()
        .map(|t| TableView {
            table: t.clone(),
            rows: rounded_count(t.rows),
            persons: t.persons.map(rounded_count).unwrap_or_else(|| "no persons".into()),
        })
        .collect();
    let can_edit = me.roles.contains(&PlatformRole::Custodian);
    let classes = ColumnClass::ALL.iter().map(|c| (c.as_str(), c.label())).collect();
    let page = VersionPage { chrome: me.chrome().await?, dataset, version, versions, tables, can_edit, classes };
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
    let class = ColumnClass::parse(&form.class).ok_or_else(|| AppError::Invalid("unknown column class".into()))?;
    store::edit_column(&state.db, state.clock.now(), &custodian.access, table, position, &description, class).await?;
    Ok(Redirect::to(&format!("/datasets/{id}/versions/{number}#table-{table}")).into_response())
}
