//! Shared by the MLflow and conformance tests: where the real servers are, a
//! name-prefixing wrapper so tests share one server without colliding, the demo
//! fixture, and the fault-injecting proxy (`proxy`).
#![allow(dead_code)]

pub mod proxy;
pub mod tls;

use std::sync::OnceLock;
use std::time::Duration;

use async_trait::async_trait;
use modelgate::demo::{DemoOptions, populate};
use modelgate::registry::local::LocalRegistry;
use modelgate::registry::mlflow::auth::Credentials;
use modelgate::registry::mlflow::{MlflowOptions, MlflowRegistry};
use modelgate::registry::{
    FileInfo, Metric, ModelVersion, RegisteredModel, Registry, RegistryWriter, Result, Run, Tags,
};
use serde_json::Value;

/// "Now" of the demo fixture: fixed, so both registries get the same content.
pub const DEMO_NOW_MS: i64 = 1_790_000_000_000;
pub const DEMO_SEED: u64 = 7;

fn env_or_panic(var: &str) -> String {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => v,
        _ => panic!(
            "{var} is not set: the MLflow tests need a real `mlflow server`. Run them through scripts/test, which installs MLflow 3.17.2 into a virtualenv, starts the servers and sets {var}; they never skip"
        ),
    }
}

/// The open test server (`scripts/test` starts it).
pub fn mlflow_uri() -> String {
    env_or_panic("MODELGATE_TEST_MLFLOW_URI")
}

/// The server running MLflow's basic-auth app.
pub fn mlflow_auth_uri() -> String {
    env_or_panic("MODELGATE_TEST_MLFLOW_AUTH_URI")
}

/// `(user, password)` of the auth server's admin.
pub fn mlflow_admin() -> (String, String) {
    let both = env_or_panic("MODELGATE_TEST_MLFLOW_ADMIN");
    let (u, p) = both
        .split_once(':')
        .unwrap_or_else(|| panic!("MODELGATE_TEST_MLFLOW_ADMIN is not user:password"));
    (u.to_owned(), p.to_owned())
}

/// A plain HTTP client for what a test does beside modelgate (the crate builds
/// reqwest without a default TLS provider).
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A name prefix no other test (or earlier run on the same server) uses.
pub fn unique_prefix(tag: &str) -> String {
    let mut b = [0u8; 4];
    getrandom::fill(&mut b).unwrap();
    format!("t{}-{tag}-{}-", std::process::id(), hex::encode(b))
}

/// Options for a test client: small pages (so pagination is exercised), short
/// timeouts and backoff (so fault tests are quick).
pub fn test_options(uri: &str) -> MlflowOptions {
    let mut o = MlflowOptions::new(uri);
    o.registry_id = Some("mlflow-test".into());
    o.page_size = 3;
    o.http.attempts = 3;
    o.http.read_timeout = Duration::from_secs(3);
    o.http.connect_timeout = Duration::from_secs(3);
    o.http.backoff = Duration::from_millis(20);
    o.http.max_backoff = Duration::from_millis(100);
    o.credentials = Credentials::None;
    o
}

pub fn mlflow_registry(uri: &str) -> MlflowRegistry {
    MlflowRegistry::new(test_options(uri)).unwrap()
}

/// A registry seen through a name prefix: models and experiments are created
/// as `<prefix><name>`, and only prefixed models are seen, prefix removed.
pub struct Prefixed<R> {
    pub inner: R,
    pub prefix: String,
}

impl<R> Prefixed<R> {
    pub fn new(inner: R, prefix: &str) -> Self {
        Prefixed {
            inner,
            prefix: prefix.to_owned(),
        }
    }

    fn p(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn strip(&self, name: &str) -> Option<String> {
        name.strip_prefix(&self.prefix).map(str::to_owned)
    }

    fn version(&self, mut v: ModelVersion) -> Option<ModelVersion> {
        v.name = self.strip(&v.name)?;
        Some(v)
    }
}

#[async_trait]
impl<R: Registry> Registry for Prefixed<R> {
    fn registry_id(&self) -> &str {
        self.inner.registry_id()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn list_registered_models(&self) -> Result<Vec<RegisteredModel>> {
        Ok(self
            .inner
            .list_registered_models()
            .await?
            .into_iter()
            .filter_map(|mut m| {
                m.name = self.strip(&m.name)?;
                Some(m)
            })
            .collect())
    }
    async fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        let mut m = self.inner.get_registered_model(&self.p(name)).await?;
        m.name = name.to_owned();
        Ok(m)
    }
    async fn list_versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        let all = self.inner.list_versions(&self.p(name)).await?;
        Ok(all.into_iter().filter_map(|v| self.version(v)).collect())
    }
    async fn search_versions_by_tag(&self, key: &str, value: &str) -> Result<Vec<ModelVersion>> {
        let all = self.inner.search_versions_by_tag(key, value).await?;
        Ok(all.into_iter().filter_map(|v| self.version(v)).collect())
    }
    async fn get_version(&self, name: &str, version: &str) -> Result<ModelVersion> {
        let mut v = self.inner.get_version(&self.p(name), version).await?;
        v.name = name.to_owned();
        Ok(v)
    }
    async fn get_runs(&self, run_ids: &[String]) -> Result<Vec<Run>> {
        self.inner.get_runs(run_ids).await
    }
    async fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>> {
        self.inner.metric_history(run_id, key).await
    }
    async fn list_run_artifacts(&self, run_id: &str, path: &str) -> Result<Vec<FileInfo>> {
        self.inner.list_run_artifacts(run_id, path).await
    }
    async fn read_run_artifact(&self, run_id: &str, path: &str, max: u64) -> Result<Vec<u8>> {
        self.inner.read_run_artifact(run_id, path, max).await
    }
    async fn list_model_files(&self, name: &str, version: &str) -> Result<Vec<FileInfo>> {
        self.inner.list_model_files(&self.p(name), version).await
    }
    async fn read_model_file(
        &self,
        name: &str,
        version: &str,
        path: &str,
        max: u64,
    ) -> Result<Vec<u8>> {
        self.inner
            .read_model_file(&self.p(name), version, path, max)
            .await
    }
    async fn set_version_tag(&self, name: &str, version: &str, k: &str, v: &str) -> Result<()> {
        self.inner
            .set_version_tag(&self.p(name), version, k, v)
            .await
    }
    async fn delete_version_tag(&self, name: &str, version: &str, key: &str) -> Result<()> {
        self.inner
            .delete_version_tag(&self.p(name), version, key)
            .await
    }
    async fn set_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        self.inner.set_model_tag(&self.p(name), key, value).await
    }
    async fn delete_model_tag(&self, name: &str, key: &str) -> Result<()> {
        self.inner.delete_model_tag(&self.p(name), key).await
    }
    async fn set_alias(&self, name: &str, alias: &str, version: &str) -> Result<()> {
        self.inner.set_alias(&self.p(name), alias, version).await
    }
    async fn delete_alias(&self, name: &str, alias: &str) -> Result<()> {
        self.inner.delete_alias(&self.p(name), alias).await
    }
}

#[async_trait]
impl<R: RegistryWriter> RegistryWriter for Prefixed<R> {
    async fn ensure_registered_model(
        &self,
        name: &str,
        description: Option<&str>,
        tags: &Tags,
    ) -> Result<()> {
        self.inner
            .ensure_registered_model(&self.p(name), description, tags)
            .await
    }
    async fn create_run(&self, experiment: &str, start: i64, tags: &Tags) -> Result<String> {
        self.inner
            .create_run(&self.p(experiment), start, tags)
            .await
    }
    async fn log_metrics(&self, run_id: &str, metrics: &[Metric]) -> Result<()> {
        self.inner.log_metrics(run_id, metrics).await
    }
    async fn log_params(&self, run_id: &str, params: &Tags) -> Result<()> {
        self.inner.log_params(run_id, params).await
    }
    async fn upload_artifact(&self, run_id: &str, path: &str, bytes: &[u8]) -> Result<()> {
        self.inner.upload_artifact(run_id, path, bytes).await
    }
    async fn create_model_version(
        &self,
        name: &str,
        source: &str,
        run_id: &str,
        description: Option<&str>,
        tags: &Tags,
    ) -> Result<String> {
        self.inner
            .create_model_version(&self.p(name), source, run_id, description, tags)
            .await
    }
}

pub fn demo_options() -> DemoOptions {
    DemoOptions {
        seed: DEMO_SEED,
        now_ms: DEMO_NOW_MS,
    }
}

/// The demo dataset written once per test binary into the MLflow server under a
/// fresh prefix, on a runtime of its own (clients are bound to their runtime).
/// Returns the prefix.
pub fn mlflow_demo_prefix() -> String {
    static PREFIX: OnceLock<String> = OnceLock::new();
    PREFIX
        .get_or_init(|| {
            let uri = mlflow_uri();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    let prefix = unique_prefix("demo");
                    let mut opts = test_options(&uri);
                    opts.page_size = 1000;
                    let reg = Prefixed::new(MlflowRegistry::new(opts).unwrap(), &prefix);
                    populate(&reg, &demo_options())
                        .await
                        .unwrap_or_else(|e| panic!("writing the demo into MLflow: {e:#}"));
                    prefix
                })
            })
            .join()
            .unwrap()
        })
        .clone()
}

/// A fresh embedded registry with the demo under `prefix` (same names as MLflow's).
pub async fn local_demo(dir: &tempfile::TempDir, prefix: &str) -> Prefixed<LocalRegistry> {
    let reg = LocalRegistry::create(&dir.path().join("demo.db")).unwrap();
    let reg = Prefixed::new(reg, prefix);
    populate(&reg, &demo_options()).await.unwrap();
    reg
}

/// Replaces what legitimately differs between registries (run ids, sources,
/// the digest over them) so that the rest can be compared exactly.
pub fn normalise(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for key in ["source", "run_id", "evidence"] {
                if let Some(x) = map.get_mut(key)
                    && !x.is_null()
                    && !x.is_object()
                {
                    *x = Value::String(format!("<{key}>"));
                }
            }
            for x in map.values_mut() {
                normalise(x);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalise),
        Value::String(s) => {
            // Run ids inside messages (a missing run, say).
            if let Some(at) = s.find("runs:/") {
                s.truncate(at);
                s.push_str("runs:/<id>");
            }
        }
        _ => {}
    }
}

/// A readable first difference between two JSON values.
pub fn first_difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for k in x.keys().chain(y.keys()) {
                let p = format!("{path}.{k}");
                match (x.get(k), y.get(k)) {
                    (Some(l), Some(r)) => {
                        if let Some(d) = first_difference(l, r, &p) {
                            return Some(d);
                        }
                    }
                    (l, r) => return Some(format!("{p}: {l:?} vs {r:?}")),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path}: {} items vs {}", x.len(), y.len()));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (l, r))| first_difference(l, r, &format!("{path}[{i}]")))
        }
        _ if a == b => None,
        _ => Some(format!("{path}: {a} vs {b}")),
    }
}
