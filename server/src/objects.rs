//! The object store: where datasets and extracts live, a local folder by default and S3 in
//! production. Everything the platform stores goes through [`Objects`], and DataFusion reads
//! the same store under the URL [`Objects::URL`], so paths never name the machine's folders
//! or the bucket.
//!
//! Credentials come from the configuration (the secret key from the environment) and never
//! appear in `Debug` output, logs or errors.

use futures_util::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use std::path::PathBuf;
use std::sync::Arc;

/// Where objects are kept.
#[derive(Clone, PartialEq, Eq)]
pub enum ObjectsConfig {
    /// A local folder (created when missing).
    Local {
        /// The folder.
        root: PathBuf,
    },
    /// An S3-compatible bucket.
    S3(S3Config),
}

/// An S3-compatible bucket. `Debug` hides the secret key.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Config {
    /// Endpoint URL; `None` for AWS itself.
    pub endpoint: Option<String>,
    /// Bucket.
    pub bucket: String,
    /// Region.
    pub region: String,
    /// Key prefix inside the bucket ("" for the whole bucket).
    pub prefix: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Whether plain http is allowed (test servers on loopback).
    pub allow_http: bool,
    /// Path-style addressing (most S3-compatible servers need it).
    pub path_style: bool,
}

impl std::fmt::Debug for ObjectsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl ObjectsConfig {
    /// A description safe for logs: no secret.
    pub fn describe(&self) -> String {
        match self {
            ObjectsConfig::Local { root } => format!("local folder {}", root.display()),
            ObjectsConfig::S3(s) => format!(
                "S3 bucket {} at {} (prefix {:?}, key id {})",
                s.bucket,
                s.endpoint.as_deref().unwrap_or("AWS"),
                s.prefix,
                s.access_key_id
            ),
        }
    }
}

/// Why the object store failed, in words without secrets, paths of the machine, or data.
#[derive(Debug, thiserror::Error)]
pub enum ObjectsError {
    /// The store could not be set up from its configuration.
    #[error("the object store ({store}) cannot be used: {reason}")]
    Setup {
        /// Which store.
        store: String,
        /// Why.
        reason: String,
    },
    /// The store refused or failed an operation.
    #[error("the object store ({store}) failed: {reason}")]
    Failed {
        /// Which store.
        store: String,
        /// Why, as object_store's kind of error.
        reason: String,
    },
}

/// The platform's object store.
#[derive(Clone)]
pub struct Objects {
    store: Arc<dyn ObjectStore>,
    /// Key prefix inside the bucket, applied here rather than with object_store's PrefixStore,
    /// whose `head` (in 0.13) returns locations with the prefix still on, which DataFusion then
    /// fails to match.
    prefix: String,
    described: String,
}

impl std::fmt::Debug for Objects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Objects({})", self.described)
    }
}

/// A short, secret-free reason for an object_store error.
fn reason(e: &object_store::Error) -> String {
    match e {
        object_store::Error::NotFound { .. } => "not found".into(),
        object_store::Error::AlreadyExists { .. } => "already exists".into(),
        object_store::Error::Precondition { .. } => "precondition failed".into(),
        object_store::Error::PermissionDenied { .. } => "permission denied".into(),
        object_store::Error::Unauthenticated { .. } => "credentials refused".into(),
        object_store::Error::NotSupported { .. } | object_store::Error::NotImplemented { .. } => "not supported".into(),
        _ => {
            // Generic errors carry the server's message; keep only its first clause, which
            // names the failure (connection refused, timed out) without URLs or keys.
            let text = e.to_string();
            let lower = text.to_lowercase();
            if lower.contains("connect") || lower.contains("connection") {
                "the server cannot be reached".into()
            } else if lower.contains("timed out") || lower.contains("timeout") {
                "timed out".into()
            } else if lower.contains("403") || lower.contains("forbidden") || lower.contains("accessdenied") {
                "credentials refused".into()
            } else if lower.contains("nosuchbucket") || lower.contains("404") {
                "bucket not found".into()
            } else {
                "request failed".into()
            }
        }
    }
}

impl Objects {
    /// The URL under which DataFusion reads this store.
    pub const URL: &'static str = "tre://objects/";

    /// Sets up the store (creating a local folder when needed). Does not contact S3: see
    /// [`Objects::check`].
    pub fn open(config: &ObjectsConfig) -> Result<Objects, ObjectsError> {
        let described = config.describe();
        let setup = |reason: String| ObjectsError::Setup { store: described.clone(), reason };
        let store: Arc<dyn ObjectStore> = match config {
            ObjectsConfig::Local { root } => {
                std::fs::create_dir_all(root).map_err(|e| setup(e.kind().to_string()))?;
                Arc::new(LocalFileSystem::new_with_prefix(root).map_err(|e| setup(reason(&e)))?)
            }
            ObjectsConfig::S3(s) => {
                let mut b = AmazonS3Builder::new()
                    .with_bucket_name(&s.bucket)
                    .with_region(&s.region)
                    .with_access_key_id(&s.access_key_id)
                    .with_secret_access_key(&s.secret_access_key)
                    .with_virtual_hosted_style_request(!s.path_style)
                    // A store that is down fails within seconds, not after minutes of retries.
                    .with_retry(object_store::RetryConfig {
                        max_retries: 3,
                        retry_timeout: std::time::Duration::from_secs(10),
                        ..Default::default()
                    })
                    // Client options replace any set before, so plain http is allowed here.
                    .with_client_options(
                        object_store::ClientOptions::new()
                            .with_allow_http(s.allow_http)
                            .with_connect_timeout(std::time::Duration::from_secs(5)),
                    );
                if let Some(endpoint) = &s.endpoint {
                    b = b.with_endpoint(endpoint);
                }
                Arc::new(b.build().map_err(|e| setup(reason(&e)))?)
            }
        };
        let prefix = match config {
            ObjectsConfig::S3(s) => s.prefix.trim_matches('/').to_string(),
            ObjectsConfig::Local { .. } => String::new(),
        };
        Ok(Objects { store, prefix, described })
    }

    /// The store, for DataFusion and for writers: keys in it are [`Objects::full`] keys.
    pub fn store(&self) -> Arc<dyn ObjectStore> {
        self.store.clone()
    }

    /// The key in the underlying store of a platform key (the bucket prefix added).
    pub fn full(&self, key: &ObjectPath) -> ObjectPath {
        if self.prefix.is_empty() {
            key.clone()
        } else {
            ObjectPath::from_iter(ObjectPath::from(self.prefix.as_str()).parts().chain(key.parts()))
        }
    }

    /// The URL DataFusion reads a platform key at.
    pub fn url_of(&self, key: &str) -> String {
        format!("{}{}", Self::URL, self.full(&ObjectPath::from(key)))
    }

    /// The platform key of a key in the underlying store (the bucket prefix removed).
    fn relative(&self, key: ObjectPath) -> ObjectPath {
        if self.prefix.is_empty() {
            return key;
        }
        let prefix = ObjectPath::from(self.prefix.as_str());
        let stripped: Option<ObjectPath> = key.prefix_match(&prefix).map(|rest| rest.collect());
        stripped.unwrap_or(key)
    }

    /// A description safe for logs and messages.
    pub fn describe(&self) -> &str {
        &self.described
    }

    fn failed(&self, e: &object_store::Error) -> ObjectsError {
        ObjectsError::Failed { store: self.described.clone(), reason: reason(e) }
    }

    /// Proves the store answers and accepts writes: writes, reads back and deletes a probe.
    pub async fn check(&self) -> Result<(), ObjectsError> {
        let probe = self.full(&ObjectPath::from(format!("health/probe-{}", hex::encode(rand::random::<[u8; 8]>()))));
        self.store.put(&probe, "ok".into()).await.map_err(|e| self.failed(&e))?;
        let back =
            self.store.get(&probe).await.map_err(|e| self.failed(&e))?.bytes().await.map_err(|e| self.failed(&e))?;
        self.store.delete(&probe).await.map_err(|e| self.failed(&e))?;
        if back.as_ref() != b"ok" {
            return Err(ObjectsError::Failed {
                store: self.described.clone(),
                reason: "read back different bytes".into(),
            });
        }
        Ok(())
    }

    /// Writes bytes at `path`.
    pub async fn put(&self, path: &ObjectPath, bytes: Vec<u8>) -> Result<(), ObjectsError> {
        self.store.put(&self.full(path), bytes.into()).await.map(|_| ()).map_err(|e| self.failed(&e))
    }

    /// Reads the object at `path`.
    pub async fn get(&self, path: &ObjectPath) -> Result<Vec<u8>, ObjectsError> {
        let result = self.store.get(&self.full(path)).await.map_err(|e| self.failed(&e))?;
        Ok(result.bytes().await.map_err(|e| self.failed(&e))?.to_vec())
    }

    /// Moves an object (atomic on a local folder; copy and delete on S3).
    pub async fn rename(&self, from: &ObjectPath, to: &ObjectPath) -> Result<(), ObjectsError> {
        self.store.rename(&self.full(from), &self.full(to)).await.map_err(|e| self.failed(&e))
    }

    /// Every object under `prefix`.
    pub async fn list(&self, prefix: &ObjectPath) -> Result<Vec<object_store::ObjectMeta>, ObjectsError> {
        let listed: Vec<object_store::ObjectMeta> =
            self.store.list(Some(&self.full(prefix))).try_collect().await.map_err(|e| self.failed(&e))?;
        Ok(listed.into_iter().map(|m| object_store::ObjectMeta { location: self.relative(m.location), ..m }).collect())
    }

    /// Deletes every object under `prefix`; returns how many.
    pub async fn delete_prefix(&self, prefix: &ObjectPath) -> Result<usize, ObjectsError> {
        let objects = self.list(prefix).await?;
        for o in &objects {
            match self.store.delete(&self.full(&o.location)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(self.failed(&e)),
            }
        }
        Ok(objects.len())
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Fresh stores of both kinds for tests: a temporary folder, and a fresh prefix in the S3
    //! bucket that the test command starts (SeaweedFS on loopback).

    use super::*;

    /// A fresh local store.
    pub fn local() -> Objects {
        let root = std::env::temp_dir().join(format!("tre-objects-{}", rand::random::<u64>()));
        Objects::open(&ObjectsConfig::Local { root }).unwrap()
    }

    /// The S3 configuration of the test server, with a fresh prefix.
    pub fn s3_config() -> S3Config {
        let var = |k: &str| {
            std::env::var(k).unwrap_or_else(|_| {
                panic!("{k} is not set: run the tests through scripts/test.sh, which starts an S3 server")
            })
        };
        S3Config {
            endpoint: Some(var("TRE_TEST_S3_ENDPOINT")),
            bucket: var("TRE_TEST_S3_BUCKET"),
            region: "us-east-1".into(),
            prefix: format!("test-{}", rand::random::<u64>()),
            access_key_id: var("TRE_TEST_S3_ACCESS_KEY_ID"),
            secret_access_key: var("TRE_TEST_S3_SECRET_ACCESS_KEY"),
            allow_http: true,
            path_style: true,
        }
    }

    /// A fresh S3 store.
    pub fn s3() -> Objects {
        Objects::open(&ObjectsConfig::S3(s3_config())).unwrap()
    }

    /// Both kinds.
    pub fn both() -> Vec<Objects> {
        vec![local(), s3()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn both_stores_write_read_rename_list_and_delete() {
        for objects in testing::both() {
            objects.check().await.unwrap();
            let a = ObjectPath::from("staging/x/a.parquet");
            let b = ObjectPath::from("datasets/1/v1/a.parquet");
            objects.put(&a, b"abc".to_vec()).await.unwrap();
            objects.rename(&a, &b).await.unwrap();
            assert_eq!(objects.get(&b).await.unwrap(), b"abc");

            assert!(objects.get(&a).await.is_err(), "{}", objects.describe());
            assert_eq!(objects.list(&ObjectPath::from("datasets")).await.unwrap().len(), 1);
            assert_eq!(objects.delete_prefix(&ObjectPath::from("datasets")).await.unwrap(), 1);
            assert!(objects.list(&ObjectPath::from("datasets")).await.unwrap().is_empty());
        }
    }

    #[tokio::test]
    async fn a_store_that_is_down_or_refuses_credentials_is_a_clear_error() {
        let mut config = testing::s3_config();
        config.secret_access_key = "wrong-secret-key".into();
        let err = Objects::open(&ObjectsConfig::S3(config.clone())).unwrap().check().await.unwrap_err().to_string();
        assert!(err.contains("credentials refused") || err.contains("permission denied"), "{err}");
        assert!(!err.contains("wrong-secret-key"), "{err}");
        config.endpoint = Some("http://127.0.0.1:9".into());
        config.secret_access_key = "another-secret".into();
        let err = Objects::open(&ObjectsConfig::S3(config)).unwrap().check().await.unwrap_err().to_string();
        assert!(err.contains("failed"), "{err}");
        assert!(!err.contains("another-secret"), "{err}");
    }

    #[test]
    fn descriptions_hide_the_secret() {
        let config = ObjectsConfig::S3(S3Config {
            endpoint: None,
            bucket: "b".into(),
            region: "ap-northeast-1".into(),
            prefix: String::new(),
            access_key_id: "AKIA".into(),
            secret_access_key: "s3cr3t".into(),
            allow_http: false,
            path_style: false,
        });
        assert!(!format!("{config:?}").contains("s3cr3t"));
        assert!(!Objects::open(&config).unwrap().describe().contains("s3cr3t"));
    }
}
