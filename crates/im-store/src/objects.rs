//! The object store that holds the bytes of shared files: a local directory (the default, so a
//! fresh install needs nothing else) or any S3-compatible store. Objects are written as they
//! arrive (a multipart upload past the first part) and read as a stream.

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::ObjectStore;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

/// Where shared files go, and the bounds on them. `[files]` in the configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilesConfig {
    /// `local` (a directory) or `s3` (any S3-compatible store, see `s3`).
    pub backend: Backend,
    /// The directory of the `local` backend; created on start.
    pub dir: String,
    pub s3: S3Config,
    /// Largest file, in bytes; past it an upload answers 413.
    pub max_file_bytes: u64,
    /// Files one group may hold.
    pub max_files_per_group: i64,
    /// Uploads running at once over the whole server; past it, 429 `reach_limit`.
    pub max_concurrent_uploads: usize,
    /// Seconds a whole upload may take (a slow client past it gets 408). Between two chunks the
    /// server-wide body timeout (`guards.body_timeout_secs`) applies too.
    pub upload_timeout_secs: u64,
    /// Bytes of one upload held in memory before they are written out (the `local` backend;
    /// S3 parts are at least 5 MiB, the smallest part S3 accepts).
    pub local_part_bytes: usize,
    /// The start-up sweep removes objects without a row only when older than this (seconds),
    /// so that uploads in flight on other instances are left alone.
    pub sweep_grace_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Local,
    S3,
}

/// An S3-compatible store. Unset fields fall back to the usual `AWS_*` environment variables
/// (`AWS_ENDPOINT`, `AWS_ACCESS_KEY_ID`, …).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct S3Config {
    /// E.g. `http://127.0.0.1:9000` for a MinIO or other self-hosted store; unset means AWS.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    pub bucket: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_access_key: Option<String>,
    /// Path-style requests (`endpoint/bucket/key`), which most self-hosted stores need.
    pub path_style: bool,
}

impl Default for FilesConfig {
    fn default() -> Self {
        Self {
            backend: Backend::Local,
            dir: "imserver-data/files".into(),
            s3: S3Config {
                path_style: true,
                ..S3Config::default()
            },
            max_file_bytes: 10 * 1024 * 1024,
            max_files_per_group: 10_000,
            max_concurrent_uploads: 16,
            upload_timeout_secs: 300,
            local_part_bytes: 256 * 1024,
            sweep_grace_secs: 3600,
        }
    }
}

/// The smallest part S3 accepts (but the last).
const S3_PART_BYTES: usize = 5 * 1024 * 1024;

pub type ObjectError = object_store::Error;

/// The store, shared by every worker.
#[derive(Clone)]
pub struct Objects {
    store: Arc<dyn ObjectStore>,
    part_bytes: usize,
}

/// Where a file's bytes live: `group-files/{app}/{group}/{file}`.
pub fn key(app: Uuid, group_id: i64, file_id: Uuid) -> String {
    format!("group-files/{app}/{group_id}/{file_id}")
}

/// The (app, group, file) of a key made by [`key`]; `None` for anything else.
pub fn parse_key(key: &str) -> Option<(Uuid, i64, Uuid)> {
    let mut parts = key.strip_prefix("group-files/")?.split('/');
    let app = parts.next()?.parse().ok()?;
    let group = parts.next()?.parse().ok()?;
    let file = parts.next()?.parse().ok()?;
    parts.next().is_none().then_some((app, group, file))
}

impl Objects {
    /// Opens the configured store (creating the local directory).
    pub fn open(cfg: &FilesConfig) -> Result<Self, String> {
        match cfg.backend {
            Backend::Local => {
                std::fs::create_dir_all(&cfg.dir)
                    .map_err(|e| format!("cannot create files.dir {}: {e}", cfg.dir))?;
                let fs = LocalFileSystem::new_with_prefix(&cfg.dir)
                    .map_err(|e| format!("files.dir {}: {e}", cfg.dir))?
                    .with_automatic_cleanup(true);
                Ok(Self {
                    store: Arc::new(fs),
                    part_bytes: cfg.local_part_bytes.max(4096),
                })
            }
            Backend::S3 => {
                let s3 = &cfg.s3;
                let mut b =
                    AmazonS3Builder::from_env().with_virtual_hosted_style_request(!s3.path_style);
                if !s3.bucket.is_empty() {
                    b = b.with_bucket_name(&s3.bucket);
                }
                if let Some(e) = &s3.endpoint {
                    b = b.with_endpoint(e).with_allow_http(e.starts_with("http://"));
                }
                if let Some(r) = &s3.region {
                    b = b.with_region(r);
                }
                if let Some(k) = &s3.access_key_id {
                    b = b.with_access_key_id(k);
                }
                if let Some(k) = &s3.secret_access_key {
                    b = b.with_secret_access_key(k);
                }
                let store = b.build().map_err(|e| format!("files.s3: {e}"))?;
                Ok(Self {
                    store: Arc::new(store),
                    part_bytes: S3_PART_BYTES,
                })
            }
        }
    }

    /// The most one upload holds in memory: the part being filled and the one being written.
    pub fn upload_memory(&self) -> usize {
        self.part_bytes.saturating_mul(2)
    }

    /// A writer for a new object at `key`.
    pub fn writer(&self, key: &str) -> ObjectWriter {
        ObjectWriter {
            inner: BufWriter::with_capacity(self.store.clone(), Path::from(key), self.part_bytes)
                .with_max_concurrency(1),
            store: self.store.clone(),
            key: Path::from(key),
            state: WriterState::Open,
        }
    }

    /// The object's size and its bytes as a stream; `Ok(None)` when there is no such object.
    pub async fn read(
        &self,
        key: &str,
    ) -> Result<Option<(u64, BoxStream<'static, Result<Bytes, ObjectError>>)>, ObjectError> {
        match self.store.get(&Path::from(key)).await {
            Ok(got) => {
                let size = got.meta.size;
                Ok(Some((size, got.into_stream())))
            }
            Err(ObjectError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Removes objects; those already gone count as removed.
    pub async fn remove(&self, keys: &[String]) -> Result<(), ObjectError> {
        let paths = futures_util::stream::iter(keys.iter().map(|k| Ok(Path::from(k.as_str()))));
        let mut results = self.store.delete_stream(paths.boxed());
        while let Some(r) = results.next().await {
            match r {
                Ok(_) | Err(ObjectError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Every shared-file object, with its age in seconds.
    pub fn list(&self) -> BoxStream<'_, Result<(String, i64), ObjectError>> {
        let now = chrono::Utc::now();
        self.store
            .list(Some(&Path::from("group-files")))
            .map_ok(move |m| {
                (
                    m.location.to_string(),
                    (now - m.last_modified).num_seconds(),
                )
            })
            .boxed()
    }

    /// Whether an object exists (for checks and tests).
    pub async fn exists(&self, key: &str) -> Result<bool, ObjectError> {
        match self.store.head(&Path::from(key)).await {
            Ok(_) => Ok(true),
            Err(ObjectError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

enum WriterState {
    Open,
    Finished,
    Aborted,
}

/// One object being written. Either [`finish`](Self::finish)ed or [`discard`](Self::discard)ed.
pub struct ObjectWriter {
    inner: BufWriter,
    store: Arc<dyn ObjectStore>,
    key: Path,
    state: WriterState,
}

impl ObjectWriter {
    pub async fn put(&mut self, bytes: Bytes) -> Result<(), ObjectError> {
        self.inner.put(bytes).await
    }

    /// Completes the object.
    pub async fn finish(&mut self) -> Result<(), ObjectError> {
        self.state = WriterState::Finished;
        self.inner
            .shutdown()
            .await
            .map_err(|e| ObjectError::Generic {
                store: "writer",
                source: Box::new(e),
            })
    }

    /// Removes whatever was written: an unfinished upload is aborted, a finished object deleted.
    pub async fn discard(&mut self) {
        let done = match self.state {
            WriterState::Open => self.inner.abort().await,
            WriterState::Finished => match self.store.delete(&self.key).await {
                Err(ObjectError::NotFound { .. }) => Ok(()),
                other => other,
            },
            WriterState::Aborted => Ok(()),
        };
        self.state = WriterState::Aborted;
        if let Err(e) = done {
            tracing::warn!(key = %self.key, error = %e, "could not remove a discarded upload; the sweep will");
        }
    }
}
