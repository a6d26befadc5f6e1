//! The registry boundary: the primitives of PROTOCOL section 1, and nothing more.
//!
//! Two implementations: the embedded SQLite registry (`local`) and the MLflow
//! REST client (`mlflow`). Everything above this module is registry-agnostic.

pub mod local;
#[cfg(any(test, feature = "testing"))]
pub mod memory;
pub mod mlflow;
mod version_key;

pub use version_key::VersionKey;

use std::collections::BTreeMap;

use async_trait::async_trait;

/// Tag or param map; sorted so that output and digests are stable.
pub type Tags = BTreeMap<String, String>;

/// A registered model with its tags and aliases (alias -> version).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RegisteredModel {
    pub name: String,
    pub description: Option<String>,
    pub tags: Tags,
    pub aliases: BTreeMap<String, String>,
}

/// One version of a registered model. `version` is a decimal string.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelVersion {
    pub name: String,
    pub version: String,
    /// Milliseconds since the Unix epoch.
    pub creation_timestamp: i64,
    pub source: String,
    pub run_id: Option<String>,
    pub description: Option<String>,
    pub tags: Tags,
}

/// One logged metric value. Values may be NaN or infinite.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub key: String,
    pub value: f64,
    /// Milliseconds since the Unix epoch.
    pub timestamp: i64,
    pub step: i64,
}

/// A run: latest metric values, params, tags.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Run {
    pub run_id: String,
    pub experiment_id: String,
    pub artifact_uri: String,
    /// Latest value of each metric (highest step, then latest timestamp).
    pub metrics: BTreeMap<String, f64>,
    pub params: Tags,
    pub tags: Tags,
}

impl Run {
    /// The run author as MLflow records it (`mlflow.user`).
    pub fn user(&self) -> Option<&str> {
        self.tags.get("mlflow.user").map(String::as_str)
    }
}

/// A file below an artifact root; `path` is relative to the listed directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub path: String,
    pub size: u64,
}

/// What can go wrong talking to a registry. Every message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{what} not found; check the name and version (`modelgate queue --all` lists reviews)")]
    NotFound { what: String },
    #[error(
        "the registry file {path} does not exist; run `modelgate demo` or `modelgate register` to create one, or pass --db PATH"
    )]
    MissingFile { path: String },
    #[error("conflict: {what}; read the current state and try again")]
    Conflict { what: String },
    #[error(
        "the registry refused the credentials: {message}; set MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD, or run `modelgate login`"
    )]
    Unauthorized { message: String },
    #[error(
        "the registry is unavailable: {message}; check that it runs and is reachable, then retry"
    )]
    Unavailable { message: String },
    #[error("the registry sent a response modelgate cannot read: {message}")]
    InvalidResponse { message: String },
    #[error("{path}: {message}")]
    CorruptStore { path: String, message: String },
    #[error("{what} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge { what: String, size: u64, limit: u64 },
    #[error("invalid request: {message}")]
    InvalidRequest { message: String },
}

impl RegistryError {
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound { what: what.into() }
    }
}

pub type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// An artifact file path: relative, `/`-separated, no `.`/`..`/empty segments.
/// One rule for both backends, so they refuse the same paths.
pub fn check_artifact_path(path: &str) -> Result<()> {
    let problem = if path.is_empty() {
        "is empty"
    } else if path.starts_with('/') {
        "is absolute"
    } else if path.contains('\\') {
        "contains a backslash (use `/`)"
    } else if path.contains('\0') {
        "contains a NUL character"
    } else if path.split('/').any(|s| s.is_empty()) {
        "has an empty segment"
    } else if path.split('/').any(|s| s == "." || s == "..") {
        "has a `.` or `..` segment"
    } else {
        return Ok(());
    };
    Err(RegistryError::InvalidRequest {
        message: format!(
            "artifact path `{}` {problem}; use a relative path such as `model/MLmodel`",
            crate::text::truncate_chars(&crate::text::sanitize_line(path), 80)
        ),
    })
}

/// An artifact directory: "" for the root, one trailing `/` tolerated.
pub(crate) fn check_dir_path(path: &str) -> Result<&str> {
    let dir = path.strip_suffix('/').unwrap_or(path);
    if !dir.is_empty() {
        check_artifact_path(dir)?;
    }
    Ok(dir)
}

/// The read and tag/alias primitives every registry offers (PROTOCOL 1).
#[async_trait]
pub trait Registry: Send + Sync {
    /// The registry id records are bound to (PROTOCOL 2).
    fn registry_id(&self) -> &str;
    /// A short human label: the file path or the server URI (never a secret).
    fn describe(&self) -> String;

    async fn list_registered_models(&self) -> Result<Vec<RegisteredModel>>;
    async fn get_registered_model(&self, name: &str) -> Result<RegisteredModel>;
    /// Every version of one model, in ascending version order.
    async fn list_versions(&self, name: &str) -> Result<Vec<ModelVersion>>;
    /// Every version (of any model) whose tag `key` equals `value`.
    async fn search_versions_by_tag(&self, key: &str, value: &str) -> Result<Vec<ModelVersion>>;
    async fn get_version(&self, name: &str, version: &str) -> Result<ModelVersion>;
    /// Many runs at once; ids that do not exist are simply absent from the result.
    async fn get_runs(&self, run_ids: &[String]) -> Result<Vec<Run>>;
    /// One metric's history, in step then timestamp order.
    async fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>>;
    /// Every file below `path` of the run's artifacts, recursively, paths relative to `path`.
    async fn list_run_artifacts(&self, run_id: &str, path: &str) -> Result<Vec<FileInfo>>;
    /// One run artifact; `TooLarge` past `max_bytes`.
    async fn read_run_artifact(&self, run_id: &str, path: &str, max_bytes: u64) -> Result<Vec<u8>>;
    /// Every file of the version's model directory, recursively, paths relative to it.
    async fn list_model_files(&self, name: &str, version: &str) -> Result<Vec<FileInfo>>;
    /// One file of the version's model directory; `TooLarge` past `max_bytes`.
    async fn read_model_file(
        &self,
        name: &str,
        version: &str,
        path: &str,
        max_bytes: u64,
    ) -> Result<Vec<u8>>;

    async fn set_version_tag(
        &self,
        name: &str,
        version: &str,
        key: &str,
        value: &str,
    ) -> Result<()>;
    async fn delete_version_tag(&self, name: &str, version: &str, key: &str) -> Result<()>;
    async fn set_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()>;
    async fn delete_model_tag(&self, name: &str, key: &str) -> Result<()>;
    async fn set_alias(&self, name: &str, alias: &str, version: &str) -> Result<()>;
    async fn delete_alias(&self, name: &str, alias: &str) -> Result<()>;
}

/// What `register` and the demo generator need to create content. Not part of the
/// protocol: the MLflow backend implements it over its REST API for `demo --mlflow`.
#[async_trait]
pub trait RegistryWriter: Registry {
    /// Creates the model, or updates its description and merges tags if it exists.
    async fn ensure_registered_model(
        &self,
        name: &str,
        description: Option<&str>,
        tags: &Tags,
    ) -> Result<()>;
    /// Creates a run in the named experiment (created when missing); returns its id.
    async fn create_run(&self, experiment: &str, start_time_ms: i64, tags: &Tags)
    -> Result<String>;
    async fn log_metrics(&self, run_id: &str, metrics: &[Metric]) -> Result<()>;
    async fn log_params(&self, run_id: &str, params: &Tags) -> Result<()>;
    /// Stores one artifact file of the run at a relative path (`model/MLmodel`, `modelgate/fairness.json`).
    async fn upload_artifact(&self, run_id: &str, path: &str, bytes: &[u8]) -> Result<()>;
    /// Creates the next version of `name` from `source` (`runs:/<run>/<path>`); returns the version.
    async fn create_model_version(
        &self,
        name: &str,
        source: &str,
        run_id: &str,
        description: Option<&str>,
        tags: &Tags,
    ) -> Result<String>;
}
