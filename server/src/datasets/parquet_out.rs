//! Writing Parquet into the object store, hashing the bytes on their way out, so that what a
//! catalogue or manifest records as a table's SHA-256 is exactly what was stored. Shared by
//! ingest and extract builds.

use crate::objects::{Objects, ObjectsError};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use object_store::buffered::BufWriter;
use object_store::path::Path as ObjectPath;
use parquet::arrow::AsyncArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::SortingColumn;
use parquet::file::properties::WriterProperties;
use sha2::{Digest, Sha256};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::AsyncWrite;

/// An `AsyncWrite` that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: AsyncWrite + Unpin> AsyncWrite for Hashing<W> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                this.hasher.update(&buf[..n]);
                this.bytes += n as u64;
                Poll::Ready(Ok(n))
            }
            other => other,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// Bytes stored.
    pub bytes: u64,
    /// Their SHA-256, hex.
    pub sha256: String,
}

/// A zstd Parquet file being written to the object store.
pub struct ParquetOut {
    writer: AsyncArrowWriter<Hashing<BufWriter>>,
    store: String,
}

/// A Parquet error's kind, without anything the data could have put in it.
fn failed(store: &str, e: &parquet::errors::ParquetError) -> ObjectsError {
    let reason = match e {
        parquet::errors::ParquetError::External(inner) if inner.to_string().to_lowercase().contains("connect") => {
            "the server cannot be reached"
        }
        _ => "write failed",
    };
    ObjectsError::Failed { store: store.to_string(), reason: reason.into() }
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
        let store = objects.describe().to_string();
        let mut props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).map_err(|e| failed(&store, &e))?));
        if !sorted_by.is_empty() {
            props = props.set_sorting_columns(Some(
                sorted_by
                    .iter()
                    .map(|i| SortingColumn { column_idx: *i as i32, descending: false, nulls_first: false })
                    .collect(),
            ));
        }
        let sink =
            Hashing { inner: BufWriter::new(objects.store(), objects.full(key)), hasher: Sha256::new(), bytes: 0 };
        let writer = AsyncArrowWriter::try_new(sink, schema, Some(props.build())).map_err(|e| failed(&store, &e))?;
        Ok(ParquetOut { writer, store })
    }

    /// Appends a batch.
    pub async fn write(&mut self, batch: &RecordBatch) -> Result<(), ObjectsError> {
        self.writer.write(batch).await.map_err(|e| failed(&self.store, &e))
    }

    /// Writes the footer, completes the upload, and returns the size and hash of the file.
    pub async fn finish(mut self) -> Result<Written, ObjectsError> {
        self.writer.finish().await.map_err(|e| failed(&self.store, &e))?;
        let sink = self.writer.into_inner();
        Ok(Written { bytes: sink.bytes, sha256: hex::encode(sink.hasher.finalize()) })
    }
}
