//! Building an extract with DataFusion: the protocol's tables, columns, filters and cohort,
//! person identifiers replaced by the project's pseudonyms, dates and timestamps shifted per person, years of
//! birth banded, rows sorted by pseudonym, written as Parquet with the sort order recorded.
//!
//! The project key lives only in the two functions registered for the build
//! (`tre_pseudonym`, `tre_date_shift`); it is never written anywhere. Errors say what went
//! wrong in the custodian's words and never quote a data value.

use super::domain::{Protocol, check_filter};
use crate::datasets::parquet_out::ParquetOut;
use crate::datasets::store::{Column, Version};
use crate::keys::ProjectKey;
use crate::objects::{Objects, ObjectsError};
use arrow::array::{Array, ArrayRef, AsArray, Int64Array};
use arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{DFSchema, JoinType};
use datafusion::execution::FunctionRegistry;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::functions_aggregate::count::count_distinct;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, cast, ident, lit,
};
use datafusion::prelude::{DataFrame, ParquetReadOptions, SessionContext};
use futures_util::StreamExt;
use object_store::path::Path as ObjectPath;
use std::sync::Arc;

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// The protocol does not fit the dataset, or the project cannot have an extract.
    #[error("{}", crate::i18n::en(.0))]
    Protocol(crate::i18n::Says),
    /// The object store failed.
    #[error(transparent)]
    Objects(#[from] ObjectsError),
    /// The engine failed at a step of the build, named here (the cause is logged; no value
    /// is shown).
    #[error("the extract could not be built: {0} failed")]
    Engine(String),
}

/// DataFusion errors can quote values (casts, parsing); keep only what kind of step failed.
fn engine(step: &str, e: &datafusion::error::DataFusionError) -> ExtractError {
    tracing::warn!(extract.step = step, error.kind = %error_kind(e), "extract build failed");
    ExtractError::Engine(step.to_string())
}

fn error_kind(e: &datafusion::error::DataFusionError) -> &'static str {
    use datafusion::error::DataFusionError as E;
    match e {
        E::ArrowError(..) => "arrow",
        E::ParquetError(_) => "parquet",
        E::ObjectStore(_) => "object store",
        E::IoError(_) => "io",
        E::SQL(..) => "sql",
        E::Plan(_) => "plan",
        E::SchemaError(..) => "schema",
        E::ResourcesExhausted(_) => "resources exhausted",
        E::Execution(_) => "execution",
        _ => "other",
    }
}

/// Applies `f` to the bytes each person identifier is keyed by (its decimal text for integers,
/// its text for text, so an id means the same in every table whatever its type there), once per
/// run of equal identifiers: rows of one person usually come together.
fn per_person<T: Copy>(array: &ArrayRef, mut f: impl FnMut(&[u8]) -> T) -> datafusion::error::Result<Vec<Option<T>>> {
    let mut out = Vec::with_capacity(array.len());
    match array.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = arrow::compute::cast(array, &DataType::Utf8)?;
            let mut last: Option<(&str, T)> = None;
            for v in text.as_string::<i32>().iter() {
                out.push(v.map(|v| match last {
                    Some((prev, t)) if prev == v => t,
                    _ => {
                        let t = f(v.as_bytes());
                        last = Some((v, t));
                        t
                    }
                }));
            }
        }
        _ => {
            let ints = arrow::compute::cast(array, &DataType::Int64)?;
            let mut last: Option<(i64, T)> = None;
            let mut buf = String::with_capacity(20);
            for v in ints.as_primitive::<Int64Type>().iter() {
                out.push(v.map(|n| match last {
                    Some((prev, t)) if prev == n => t,
                    _ => {
                        use std::fmt::Write;
                        buf.clear();
                        let _ = write!(buf, "{n}");
                        let t = f(buf.as_bytes());
                        last = Some((n, t));
                        t
                    }
                }));
            }
        }
    }
    Ok(out)
}

/// `tre_pseudonym(person)`: the project's pseudonym of a person identifier.
#[derive(PartialEq, Eq, Hash)]
struct Pseudonym {
    key: ProjectKey,
    signature: Signature,
}

impl std::fmt::Debug for Pseudonym {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tre_pseudonym")
    }
}

impl ScalarUDFImpl for Pseudonym {
    fn name(&self) -> &str {
        "tre_pseudonym"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue> {
        let array = args.args[0].to_array(args.number_rows)?;
        let out = per_person(&array, |raw| self.key.pseudonym(raw))?;
        Ok(ColumnarValue::Array(Arc::new(Int64Array::from(out))))
    }
}

/// `tre_date_shift(person, date)`: the date moved by the person's own shift.
#[derive(PartialEq, Eq, Hash)]
struct DateShift {
    key: ProjectKey,
    max_days: u32,
    signature: Signature,
}

impl std::fmt::Debug for DateShift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("tre_date_shift")
    }
}

impl ScalarUDFImpl for DateShift {
    fn name(&self) -> &str {
        "tre_date_shift"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, args: &[DataType]) -> datafusion::error::Result<DataType> {
        Ok(args.get(1).cloned().unwrap_or(DataType::Date32))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> datafusion::error::Result<ColumnarValue> {
        let persons = args.args[0].to_array(args.number_rows)?;
        let dates = args.args[1].to_array(args.number_rows)?;
        let Some(per_day) = units_per_day(dates.data_type()) else {
            return Err(datafusion::error::DataFusionError::Plan("tre_date_shift takes a date or a timestamp".into()));
        };
        // Dates and timestamps are whole numbers of days, milliseconds, ... since 1970: shift the
        // number, keep the type (and the time of day, and the time zone).
        let raw = arrow::compute::cast(&dates, &DataType::Int64)?;
        let shifts = per_person(&persons, |raw| self.key.date_shift(raw, self.max_days))?;
        let moved: Int64Array = raw
            .as_primitive::<Int64Type>()
            .iter()
            .zip(shifts)
            .map(|(d, s)| d.map(|d| d.saturating_add(i64::from(s.unwrap_or(0)).saturating_mul(per_day))))
            .collect();
        let moved: ArrayRef = Arc::new(moved);
        Ok(ColumnarValue::Array(arrow::compute::cast(&moved, dates.data_type())?))
    }
}

/// How many of a date or timestamp type's units make a day; `None` for other types.
fn units_per_day(t: &DataType) -> Option<i64> {
    use arrow::datatypes::TimeUnit;
    match t {
        DataType::Date32 => Some(1),
        DataType::Date64 => Some(86_400_000),
        DataType::Timestamp(TimeUnit::Second, _) => Some(86_400),
        DataType::Timestamp(TimeUnit::Millisecond, _) => Some(86_400_000),
        DataType::Timestamp(TimeUnit::Microsecond, _) => Some(86_400_000_000),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => Some(86_400_000_000_000),
        _ => None,
    }
}

/// A table as built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltTable {
    /// Name.
    pub name: String,
    /// Object key.
    pub object_key: String,
    /// Columns kept, in order.
    pub columns: Vec<String>,
    /// Rows.
    pub rows: u64,
    /// Distinct pseudonyms, when the table has persons.
    pub persons: Option<u64>,
    /// SHA-256 of the file.
    pub sha256: String,
    /// The person column (sorted by), when the table has persons.
    pub person_column: Option<String>,
}

/// What a build would keep of each table, shown to the custodian before confirming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablePreview {
    /// Table.
    pub name: String,
    /// Columns kept.
    pub kept: Vec<String>,
    /// Columns dropped.
    pub dropped: Vec<String>,
    /// Rows in the dataset.
    pub rows_before: u64,
    /// Rows kept.
    pub rows_after: u64,
    /// Persons in the dataset table.
    pub persons_before: Option<u64>,
    /// Persons kept.
    pub persons_after: Option<u64>,
}

/// The plan of one table: its frame and what it keeps.
struct Planned {
    name: String,
    frame: DataFrame,
    columns: Vec<String>,
    person: Option<String>,
}

/// A DataFusion session that reads the object store, with the project's functions, a memory
/// limit, and spilling to the temporary folder.
fn session(objects: &Objects, key: &ProjectKey, date_shift_days: u32) -> Result<SessionContext, ExtractError> {
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_limit(1 << 30, 1.0)
        .build_arc()
        .map_err(|e| engine("setting up the engine", &e))?;
    let ctx = SessionContext::new_with_config_rt(crate::datasets::engine_config(), runtime);
    let url = url::Url::parse(Objects::URL).map_err(|_| ExtractError::Engine("reading the store URL".into()))?;
    ctx.register_object_store(&url, objects.store());
    ctx.register_udf(ScalarUDF::from(Pseudonym {
        key: key.clone(),
        signature: Signature::any(1, Volatility::Immutable),
    }));
    ctx.register_udf(ScalarUDF::from(DateShift {
        key: key.clone(),
        max_days: date_shift_days,
        signature: Signature::any(2, Volatility::Immutable),
    }));
    Ok(ctx)
}

async fn parse_filter(ctx: &SessionContext, frame: &DataFrame, table: &str, sql: &str) -> Result<Expr, ExtractError> {
    let schema: &DFSchema = frame.schema();
    let expr = ctx
        .parse_sql_expr(sql, schema)
        .map_err(|_| ExtractError::Protocol(crate::says!("extract-filter-unparsed", table = table, filter = sql)))?;
    check_filter(table, &expr).map_err(ExtractError::Protocol)?;
    Ok(expr)
}

/// Plans every table of the protocol against the version's catalogue.
async fn plan(
    ctx: &SessionContext,
    objects: &Objects,
    version: &Version,
    person_column: &str,
    protocol: &Protocol,
) -> Result<Vec<Planned>, ExtractError> {
    protocol.check_shape().map_err(ExtractError::Protocol)?;
    for t in &version.tables {
        let path = objects.url_of(&t.object_key);
        ctx.register_parquet(t.name.as_str(), &path, ParquetReadOptions::default())
            .await
            .map_err(|e| engine("reading the dataset", &e))?;
    }
    let table = |name: &str| {
        version
            .tables
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| ExtractError::Protocol(crate::says!("extract-unknown-table", table = name)))
    };
    let cohort = match &protocol.cohort {
        Some(c) => {
            let t = table(&c.table)?;
            if !t.columns.iter().any(|col| col.name == person_column) {
                return Err(ExtractError::Protocol(crate::says!("extract-cohort-no-person", table = c.table)));
            }
            let frame = ctx.table(t.name.as_str()).await.map_err(|e| engine("reading the cohort table", &e))?;
            let expr = parse_filter(ctx, &frame, &c.table, &c.filter).await?;
            let frame = frame
                .filter(expr)
                .and_then(|f| f.select(vec![ident(person_column).alias("tre_cohort_person")]))
                .and_then(|f| f.distinct())
                .map_err(|e| engine("planning the cohort", &e))?;
            Some(frame)
        }
        None => None,
    };
    let mut planned = Vec::new();
    for selection in &protocol.tables {
        let t = table(&selection.table)?;
        let known = |c: &str| t.columns.iter().find(|col| col.name == c);
        for c in &selection.columns {
            if known(c).is_none() {
                return Err(ExtractError::Protocol(crate::says!("extract-unknown-column", table = t.name, column = c)));
            }
        }
        let person = known(person_column).map(|c| c.name.clone());
        let mut frame = ctx.table(t.name.as_str()).await.map_err(|e| engine("reading the dataset", &e))?;
        if let Some(sql) = &selection.filter {
            let expr = parse_filter(ctx, &frame, &t.name, sql).await?;
            frame = frame.filter(expr).map_err(|e| engine("planning a filter", &e))?;
        }
        if let (Some(cohort), Some(p)) = (&cohort, &person) {
            frame = frame
                .join(cohort.clone(), JoinType::LeftSemi, &[p.as_str()], &["tre_cohort_person"], None)
                .map_err(|e| engine("planning the cohort", &e))?;
        }
        // Rare values of the chosen text columns, counted in persons over the rows kept.
        let mut rare: std::collections::HashMap<String, Vec<Expr>> = std::collections::HashMap::new();
        for r in protocol.rare_categories.iter().filter(|r| r.table == t.name) {
            let column = known(&r.column).ok_or_else(|| {
                ExtractError::Protocol(crate::says!("extract-unknown-column", table = t.name, column = r.column))
            })?;
            if !column.data_type.starts_with("Utf8") {
                return Err(ExtractError::Protocol(crate::says!(
                    "extract-rare-text",
                    table = t.name,
                    column = r.column,
                    found = column.data_type
                )));
            }
            let Some(p) = &person else {
                return Err(ExtractError::Protocol(crate::says!("extract-rare-persons", table = t.name)));
            };
            let counts = frame
                .clone()
                .aggregate(vec![ident(r.column.as_str())], vec![count_distinct(ident(p.as_str())).alias("tre_persons")])
                .and_then(|f| f.filter(ident("tre_persons").lt(lit(r.min_persons as i64))))
                .map_err(|e| engine("counting categories", &e))?
                .collect()
                .await
                .map_err(|e| engine("counting categories", &e))?;
            let mut values = Vec::new();
            for b in &counts {
                let text = arrow::compute::cast(b.column(0), &DataType::Utf8)
                    .map_err(|_| ExtractError::Engine("counting categories".into()))?;
                values.extend(text.as_string::<i32>().iter().flatten().map(|v| lit(v.to_string())));
            }
            rare.insert(r.column.clone(), values);
        }
        // The person column is always kept (as pseudonyms), first.
        let mut columns: Vec<&Column> = Vec::new();
        if let Some(p) = &person
            && let Some(c) = known(p)
        {
            columns.push(c);
        }
        for c in &selection.columns {
            if Some(c) != person.as_ref()
                && let Some(col) = known(c)
            {
                columns.push(col);
            }
        }
        let dated = |name: &str| {
            frame.schema().field_with_unqualified_name(name).is_ok_and(|f| units_per_day(f.data_type()).is_some())
        };
        let exprs: Vec<Expr> = columns
            .iter()
            .map(|c| {
                let name = c.name.as_str();
                if Some(name) == person.as_deref() {
                    ctx.udf("tre_pseudonym").map(|f| f.call(vec![ident(name)]).alias(name))
                } else if protocol.date_shift_days > 0 && dated(name) && person.is_some() {
                    let p = person.clone().unwrap_or_default();
                    ctx.udf("tre_date_shift").map(|f| f.call(vec![ident(p), ident(name)]).alias(name))
                } else if let Some(values) = rare.get(name).filter(|v| !v.is_empty()) {
                    Ok(datafusion::logical_expr::when(ident(name).in_list(values.clone(), false), lit("other"))
                        .otherwise(ident(name))?
                        .alias(name))
                } else if protocol.birth_year_bands && name == "year_of_birth" && c.data_type.starts_with("Int") {
                    Ok(cast((ident(name) / lit(5)) * lit(5), DataType::Int64).alias(name))
                } else {
                    Ok(ident(name))
                }
            })
            .collect::<datafusion::error::Result<_>>()
            .map_err(|e| engine("planning the columns", &e))?;
        frame = frame.select(exprs).map_err(|e| engine("planning the columns", &e))?;
        if let Some(p) = &person {
            frame =
                frame.sort(vec![ident(p.as_str()).sort(true, false)]).map_err(|e| engine("planning the sort", &e))?;
        }
        planned.push(Planned {
            name: t.name.clone(),
            frame,
            columns: columns.iter().map(|c| c.name.clone()).collect(),
            person,
        });
    }
    Ok(planned)
}

/// Fails the build if two different person identifiers of the chosen tables share a
/// pseudonym in this project.
async fn check_collisions(
    ctx: &SessionContext,
    protocol: &Protocol,
    person_column: &str,
    version: &Version,
) -> Result<(), ExtractError> {
    let mut union: Option<DataFrame> = None;
    for selection in &protocol.tables {
        let Some(t) = version.tables.iter().find(|t| t.name == selection.table) else { continue };
        if !t.columns.iter().any(|c| c.name == person_column) {
            continue;
        }
        let ids = ctx
            .table(t.name.as_str())
            .await
            .and_then(|f| f.select(vec![cast(ident(person_column), DataType::Utf8).alias("p")]))
            .and_then(|f| f.distinct())
            .map_err(|e| engine("checking pseudonyms", &e))?;
        union = Some(match union {
            Some(u) => u.union_distinct(ids).map_err(|e| engine("checking pseudonyms", &e))?,
            None => ids,
        });
    }
    let Some(all) = union else { return Ok(()) };
    let pseudonym = ctx.udf("tre_pseudonym").map_err(|e| engine("checking pseudonyms", &e))?;
    let counts = all
        .aggregate(
            vec![],
            vec![
                count_distinct(ident("p")).alias("raw"),
                count_distinct(pseudonym.call(vec![ident("p")])).alias("pseudo"),
            ],
        )
        .map_err(|e| engine("checking pseudonyms", &e))?
        .collect()
        .await
        .map_err(|e| engine("checking pseudonyms", &e))?;
    let value = |name: &str| -> Option<i64> {
        let batch = counts.first()?;
        let col = batch.column_by_name(name)?;
        let ints = arrow::compute::cast(col, &DataType::Int64).ok()?;
        Some(ints.as_primitive::<Int64Type>().value(0))
    };
    match (value("raw"), value("pseudo")) {
        (Some(raw), Some(pseudo)) if raw == pseudo => Ok(()),
        (Some(_), Some(_)) => Err(ExtractError::Protocol(crate::says!("extract-pseudonym-collision"))),
        _ => Err(ExtractError::Engine("checking pseudonyms".into())),
    }
}

/// What the protocol would keep, without writing anything.
pub async fn preview(
    objects: &Objects,
    key: &ProjectKey,
    version: &Version,
    person_column: &str,
    protocol: &Protocol,
) -> Result<Vec<TablePreview>, ExtractError> {
    let ctx = session(objects, key, protocol.date_shift_days)?;
    let planned = plan(&ctx, objects, version, person_column, protocol).await?;
    let mut out = Vec::new();
    for p in planned {
        let t = version
            .tables
            .iter()
            .find(|t| t.name == p.name)
            .ok_or_else(|| ExtractError::Engine("writing the tables".into()))?;
        let rows_after = p.frame.clone().count().await.map_err(|e| engine("counting rows", &e))? as u64;
        let persons_after = match &p.person {
            Some(col) => {
                let batches = p
                    .frame
                    .clone()
                    .aggregate(vec![], vec![count_distinct(ident(col.as_str())).alias("n")])
                    .map_err(|e| engine("counting persons", &e))?
                    .collect()
                    .await
                    .map_err(|e| engine("counting persons", &e))?;
                batches.first().and_then(|b| b.column_by_name("n")).and_then(|c| {
                    arrow::compute::cast(c, &DataType::Int64)
                        .ok()
                        .map(|a| a.as_primitive::<Int64Type>().value(0) as u64)
                })
            }
            None => None,
        };
        out.push(TablePreview {
            name: p.name.clone(),
            dropped: t.columns.iter().filter(|c| !p.columns.contains(&c.name)).map(|c| c.name.clone()).collect(),
            kept: p.columns,
            rows_before: t.rows as u64,
            rows_after,
            persons_before: t.persons.map(|n| n as u64),
            persons_after,
        });
    }
    Ok(out)
}

/// Builds every table of the protocol under `prefix`. On failure the caller removes the prefix.
pub async fn write_tables(
    objects: &Objects,
    key: &ProjectKey,
    version: &Version,
    person_column: &str,
    protocol: &Protocol,
    prefix: &str,
) -> Result<Vec<BuiltTable>, ExtractError> {
    let ctx = session(objects, key, protocol.date_shift_days)?;
    let planned = plan(&ctx, objects, version, person_column, protocol).await?;
    check_collisions(&ctx, protocol, person_column, version).await?;
    let mut built = Vec::new();
    for p in planned {
        let object_key = format!("{prefix}/{}.parquet", p.name);
        let schema = p.frame.schema().inner().clone();
        let person_index = p.person.as_ref().and_then(|c| schema.index_of(c).ok());
        let sorted_by: Vec<usize> = person_index.into_iter().collect();
        let mut out = ParquetOut::create(objects, &ObjectPath::from(object_key.as_str()), schema, &sorted_by)?;
        let mut stream = p.frame.execute_stream().await.map_err(|e| engine("building a table", &e))?;
        // Rows come sorted by pseudonym: each new value is a new person.
        let (mut rows, mut persons, mut last) = (0u64, 0u64, None);
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| engine("building a table", &e))?;
            if let Some(i) = person_index {
                for p in batch.column(i).as_primitive::<Int64Type>().iter().flatten() {
                    if last != Some(p) {
                        persons += 1;
                        last = Some(p);
                    }
                }
            }
            rows += batch.num_rows() as u64;
            out.write(&batch).await?;
        }
        let written = out.finish().await?;
        built.push(BuiltTable {
            name: p.name,
            object_key,
            columns: p.columns,
            rows,
            persons: person_index.map(|_| persons),
            sha256: written.sha256,
            person_column: p.person,
        });
    }
    Ok(built)
}
