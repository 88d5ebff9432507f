//! Writing Parquet into the object store, hashing the bytes on their way out, so that what a
//! catalogue or manifest records as a table's SHA-256 is exactly what was stored. Shared by
//! ingest and extract builds.
//!
//! Encoding is the costly part of a write, so it runs in parallel, as DataFusion's own Parquet
//! sink does: each column of a row group is encoded by its own task, a finished row group is
//! closed on another task while the next one fills, and one assembler task appends the row
//! groups in order and streams the bytes, through the hash, to the store. Memory stays bounded:
//! the channels between the stages are short, so at most two row groups are in flight.
//!
//! A writer dropped without [`ParquetOut::finish`] aborts its upload: no object appears.

use crate::objects::{Objects, ObjectsError};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{
    ArrowColumnChunk, ArrowColumnWriter, ArrowLeafColumn, ArrowRowGroupWriterFactory, compute_leaves,
};
use parquet::basic::{Compression, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::{DEFAULT_MAX_ROW_GROUP_ROW_COUNT, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Encoded bytes waiting to be sent to the store: the file writer appends here, the assembler
/// drains it.
#[derive(Clone, Default)]
struct Pending(Arc<Mutex<Vec<u8>>>);

impl Pending {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn len(&self) -> usize {
        self.0.lock().map(|b| b.len()).unwrap_or(0)
    }
}

impl std::io::Write for Pending {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Bytes are sent to the store once this many are pending.
const FLUSH_BYTES: usize = 8 << 20;

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Bytes stored.
    pub bytes: u64,
    /// Their SHA-256, hex.
    pub sha256: String,
}

/// A Parquet error's kind, without anything the data could have put in it.
fn failed(store: &str, e: &ParquetError) -> ObjectsError {
    let reason = match e {
        ParquetError::External(inner) if inner.to_string().to_lowercase().contains("connect") => {
            "the server cannot be reached"
        }
        _ => "write failed",
    };
    ObjectsError::Failed { store: store.to_string(), reason: reason.into() }
}

fn upload_failed(store: &str, e: &std::io::Error) -> ObjectsError {
    let reason =
        if e.to_string().to_lowercase().contains("connect") { "the server cannot be reached" } else { "write failed" };
    ObjectsError::Failed { store: store.to_string(), reason: reason.into() }
}

/// A row group being filled: one encoding task per leaf column, fed through its channel.
struct Group {
    senders: Vec<mpsc::Sender<ArrowLeafColumn>>,
    tasks: Vec<JoinHandle<Result<ArrowColumnWriter, ParquetError>>>,
    rows: usize,
}

impl Group {
    fn start(factory: &ArrowRowGroupWriterFactory, index: usize) -> Result<Group, ParquetError> {
        let mut senders = Vec::new();
        let mut tasks = Vec::new();
        for mut writer in factory.create_column_writers(index)? {
            let (tx, mut rx) = mpsc::channel::<ArrowLeafColumn>(2);
            senders.push(tx);
            tasks.push(tokio::spawn(async move {
                while let Some(leaf) = rx.recv().await {
                    writer.write(&leaf)?;
                }
                Ok(writer)
            }));
        }
        Ok(Group { senders, tasks, rows: 0 })
    }

    /// Closes the group's channels and returns a task that finishes its column chunks.
    fn close(self) -> JoinHandle<Result<Vec<ArrowColumnChunk>, ParquetError>> {
        drop(self.senders);
        let tasks = self.tasks;
        tokio::spawn(async move {
            let mut chunks = Vec::with_capacity(tasks.len());
            for task in tasks {
                let writer = task.await.map_err(|e| ParquetError::General(format!("encoding task: {e}")))??;
                chunks.push(writer.close()?);
            }
            Ok(chunks)
        })
    }
}

/// What the assembler receives: the next row group, or the word that the file is complete.
enum Step {
    Group(JoinHandle<Result<Vec<ArrowColumnChunk>, ParquetError>>),
    Finish,
}

/// Appends row groups in order and streams the file, hashed, to the store. Without a
/// `Finish`, the upload is aborted.
async fn assemble(
    mut file: SerializedFileWriter<Pending>,
    pending: Pending,
    mut sink: BufWriter,
    mut steps: mpsc::Receiver<Step>,
    store: String,
) -> Result<Written, ObjectsError> {
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let mut finished = false;
    let result: Result<(), ObjectsError> = async {
        while let Some(step) = steps.recv().await {
            let task = match step {
                Step::Group(task) => task,
                Step::Finish => {
                    finished = true;
                    break;
                }
            };
            let chunks = task.await.map_err(|_| ObjectsError::Failed {
                store: store.clone(),
                reason: "an encoding task stopped".into(),
            })?;
            let chunks = chunks.map_err(|e| failed(&store, &e))?;
            let mut group = file.next_row_group().map_err(|e| failed(&store, &e))?;
            for chunk in chunks {
                chunk.append_to_row_group(&mut group).map_err(|e| failed(&store, &e))?;
            }
            group.close().map_err(|e| failed(&store, &e))?;
            if pending.len() >= FLUSH_BYTES {
                let out = pending.take();
                hasher.update(&out);
                bytes += out.len() as u64;
                sink.write_all(&out).await.map_err(|e| upload_failed(&store, &e))?;
            }
        }
        if !finished {
            return Err(ObjectsError::Failed { store: store.clone(), reason: "the write was abandoned".into() });
        }
        file.close().map_err(|e| failed(&store, &e))?;
        let out = pending.take();
        hasher.update(&out);
        bytes += out.len() as u64;
        sink.write_all(&out).await.map_err(|e| upload_failed(&store, &e))?;
        sink.shutdown().await.map_err(|e| upload_failed(&store, &e))?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => Ok(Written { bytes, sha256: hex::encode(hasher.finalize()) }),
        Err(e) => {
            let _ = sink.abort().await;
            Err(e)
        }
    }
}

/// A zstd Parquet file being written to the object store.
pub struct ParquetOut {
    schema: SchemaRef,
    factory: ArrowRowGroupWriterFactory,
    max_rows: usize,
    group: Option<Group>,
    index: usize,
    steps: mpsc::Sender<Step>,
    assembler: Option<JoinHandle<Result<Written, ObjectsError>>>,
    store: String,
}

impl ParquetOut {
    /// Starts a file at `key`. `sorted_by` records, in the file's metadata, the columns the rows
    /// are sorted by (ascending, nulls last), for readers that can use it.
    pub fn create(
        objects: &Objects,
        key: &ObjectPath,
        schema: SchemaRef,
        sorted_by: &[usize],
    ) -> Result<Self, ObjectsError> {
        Self::with_row_groups(objects, key, schema, sorted_by, DEFAULT_MAX_ROW_GROUP_ROW_COUNT)
    }

    fn with_row_groups(
        objects: &Objects,
        key: &ObjectPath,
        schema: SchemaRef,
        sorted_by: &[usize],
        row_group_rows: usize,
    ) -> Result<Self, ObjectsError> {
        let store = objects.describe().to_string();
        let mut props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(row_group_rows.max(1)))
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).map_err(|e| failed(&store, &e))?));
        if !sorted_by.is_empty() {
            props = props.set_sorting_columns(Some(
                sorted_by
                    .iter()
                    .map(|i| SortingColumn { column_idx: *i as i32, descending: false, nulls_first: false })
                    .collect(),
            ));
        }
        let props = props.build();
        let max_rows = props.max_row_group_row_count().unwrap_or(DEFAULT_MAX_ROW_GROUP_ROW_COUNT).max(1);
        let pending = Pending::default();
        let (file, factory) = ArrowWriter::try_new(pending.clone(), schema.clone(), Some(props))
            .and_then(|w| w.into_serialized_writer())
            .map_err(|e| failed(&store, &e))?;
        let group = Group::start(&factory, 0).map_err(|e| failed(&store, &e))?;
        let sink = BufWriter::new(objects.store(), objects.full(key));
        let (steps, receiver) = mpsc::channel(1);
        let assembler = tokio::spawn(assemble(file, pending, sink, receiver, store.clone()));
        Ok(ParquetOut {
            schema,
            factory,
            max_rows,
            group: Some(group),
            index: 0,
            steps,
            assembler: Some(assembler),
            store,
        })
    }

    /// The assembler's own error, when it has stopped early; otherwise a generic one.
    async fn stopped(&mut self) -> ObjectsError {
        match self.assembler.take() {
            Some(task) => match task.await {
                Ok(Err(e)) => e,
                _ => ObjectsError::Failed { store: self.store.clone(), reason: "write failed".into() },
            },
            None => ObjectsError::Failed { store: self.store.clone(), reason: "write failed".into() },
        }
    }

    /// Hands the current row group to the assembler and starts the next.
    async fn rotate(&mut self) -> Result<(), ObjectsError> {
        let Some(group) = self.group.take() else { return Ok(()) };
        self.index += 1;
        self.group = Some(Group::start(&self.factory, self.index).map_err(|e| failed(&self.store, &e))?);
        if self.steps.send(Step::Group(group.close())).await.is_err() {
            return Err(self.stopped().await);
        }
        Ok(())
    }

    /// Appends a batch.
    pub async fn write(&mut self, batch: &RecordBatch) -> Result<(), ObjectsError> {
        let mut batch = batch.clone();
        while batch.num_rows() > 0 {
            let Some(group) = self.group.as_mut() else {
                return Err(ObjectsError::Failed { store: self.store.clone(), reason: "write failed".into() });
            };
            let room = self.max_rows - group.rows;
            let part = batch.slice(0, room.min(batch.num_rows()));
            batch = batch.slice(part.num_rows(), batch.num_rows() - part.num_rows());
            let mut next = 0;
            let mut broken = false;
            for (array, field) in part.columns().iter().zip(self.schema.fields()) {
                for leaf in compute_leaves(field, array).map_err(|e| failed(&self.store, &e))? {
                    if group.senders[next].send(leaf).await.is_err() {
                        broken = true;
                    }
                    next += 1;
                }
            }
            group.rows += part.num_rows();
            if broken {
                // An encoding task failed: its error comes out of the row group's close.
                let group = self.group.take();
                let error = match group {
                    Some(g) => match g.close().await {
                        Ok(Err(e)) => failed(&self.store, &e),
                        _ => ObjectsError::Failed { store: self.store.clone(), reason: "write failed".into() },
                    },
                    None => ObjectsError::Failed { store: self.store.clone(), reason: "write failed".into() },
                };
                return Err(error);
            }
            if group.rows >= self.max_rows {
                self.rotate().await?;
            }
        }
        Ok(())
    }

    /// Writes the last row group and the footer, completes the upload, and returns the size and
    /// hash of the file.
    pub async fn finish(mut self) -> Result<Written, ObjectsError> {
        if let Some(group) = self.group.take()
            && group.rows > 0
            && self.steps.send(Step::Group(group.close())).await.is_err()
        {
            return Err(self.stopped().await);
        }
        if self.steps.send(Step::Finish).await.is_err() {
            return Err(self.stopped().await);
        }
        match self.assembler.take() {
            Some(task) => task
                .await
                .map_err(|_| ObjectsError::Failed { store: self.store.clone(), reason: "the writer stopped".into() })?,
            None => Err(ObjectsError::Failed { store: self.store.clone(), reason: "write failed".into() }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objects::testing as stores;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use parquet::file::reader::{FileReader, SerializedFileReader};

    fn batch(schema: &SchemaRef, from: i64, n: i64) -> RecordBatch {
        let ids: Int64Array = (from..from + n).collect();
        let names: StringArray =
            (from..from + n).map(|i| if i % 7 == 0 { None } else { Some(format!("n{i}")) }).collect();
        RecordBatch::try_new(schema.clone(), vec![Arc::new(ids), Arc::new(names)]).unwrap()
    }

    #[tokio::test]
    async fn row_groups_encoded_in_parallel_come_back_in_order_with_the_hash_of_the_stored_bytes() {
        let schema: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        for objects in stores::both() {
            let key = ObjectPath::from("out/t.parquet");
            let mut out = ParquetOut::with_row_groups(&objects, &key, schema.clone(), &[0], 1000).unwrap();
            // Batches that straddle row groups.
            for (from, n) in [(0, 700), (700, 900), (1600, 1), (1601, 1399), (3000, 45)] {
                out.write(&batch(&schema, from, n)).await.unwrap();
            }
            let written = out.finish().await.unwrap();
            let bytes = objects.get(&key).await.unwrap();
            assert_eq!(written.bytes, bytes.len() as u64);
            assert_eq!(written.sha256, hex::encode(Sha256::digest(&bytes)));

            let reader = SerializedFileReader::new(bytes::Bytes::from(bytes.clone())).unwrap();
            let groups: Vec<i64> = reader.metadata().row_groups().iter().map(|g| g.num_rows()).collect();
            assert_eq!(groups, vec![1000, 1000, 1000, 45]);
            let sorting = reader.metadata().row_group(0).sorting_columns().cloned().unwrap();
            assert_eq!(sorting[0].column_idx, 0);

            let rows = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(bytes::Bytes::from(bytes), 512)
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            let all = arrow::compute::concat_batches(&rows[0].schema(), &rows).unwrap();
            assert_eq!(all, batch(&schema, 0, 3045));
        }
    }

    #[tokio::test]
    async fn a_writer_dropped_before_finish_leaves_no_object() {
        let schema: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        for objects in stores::both() {
            let key = ObjectPath::from("out/abandoned.parquet");
            let mut out = ParquetOut::with_row_groups(&objects, &key, schema.clone(), &[], 100).unwrap();
            out.write(&batch(&schema, 0, 1000)).await.unwrap();
            drop(out);
            // The assembler sees its channel close without the word to finish, and aborts (had it
            // taken the close for a finish, the file would now be stored).
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            assert!(objects.list(&ObjectPath::from("out")).await.unwrap().is_empty());
        }
    }
}
