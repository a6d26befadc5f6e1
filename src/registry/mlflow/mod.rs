//! The MLflow Model Registry over REST API 2.0 (MLflow 3.x): every primitive of
//! PROTOCOL 1, and `RegistryWriter` for `demo --mlflow`.
//!
//! Few calls: one search per page for models and versions (tags and aliases
//! come with them), runs fetched 100 at a time with `runs/search`, artifacts
//! only when a view needs them. What cannot change (a version's model
//! directory, a run's artifact root) is remembered for the life of the handle.

mod artifacts;
pub mod auth;
mod body;
pub mod client;
mod failure;
mod paging;
mod redirect;
mod settings;
mod tls;
pub mod wire;
mod writer;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use futures_util::{StreamExt, stream};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde_json::json;

use self::artifacts::{join, proxy_path};
use self::auth::Credentials;
use self::client::{Http, Kind, Retry};
use self::paging::Pager;
pub use self::settings::{
    MlflowOptions, MlflowSettings, parse_uri, redact_userinfo, registry_id_for,
};
use self::wire::*;
use super::{
    FileInfo, Metric, ModelVersion, RegisteredModel, Registry, RegistryError, Result, Run,
    check_dir_path,
};

/// `registered-models/search` refuses pages over 1,000 models.
const MAX_MODEL_PAGE: u32 = 1000;
/// Run ids per `runs/search` call (measured against MLflow 3.17.2: 100 ids a call).
const RUN_BATCH: usize = 100;

/// An MLflow tracking server's model registry.
pub struct MlflowRegistry {
    http: Http,
    registry_id: String,
    page_size: u32,
    max_pages: u32,
    /// The artifact proxy path of each version's model directory.
    model_dirs: Mutex<HashMap<crate::registry::VersionKey, String>>,
    /// run id -> the artifact proxy path of its artifact root.
    run_roots: Mutex<HashMap<String, String>>,
    /// experiment name -> id, for the writer.
    experiments: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for MlflowRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MlflowRegistry")
            .field("http", &self.http)
            .field("registry_id", &self.registry_id)
            .finish_non_exhaustive()
    }
}

impl MlflowRegistry {
    pub fn new(opts: MlflowOptions) -> Result<Self> {
        let (base, from_uri) = parse_uri(&opts.uri)?;
        let credentials = match opts.credentials {
            Credentials::None => from_uri,
            given => given,
        };
        let registry_id = opts
            .registry_id
            .clone()
            .unwrap_or_else(|| registry_id_for(&base));
        Ok(MlflowRegistry {
            http: Http::new(base, credentials, opts.http)?,
            registry_id,
            page_size: opts.page_size.max(1),
            max_pages: opts.max_pages.max(1),
            model_dirs: Mutex::new(HashMap::new()),
            run_roots: Mutex::new(HashMap::new()),
            experiments: Mutex::new(HashMap::new()),
        })
    }

    /// One cheap authenticated call: does the server answer, and accept us?
    pub async fn check_access(&self) -> Result<()> {
        let mut url = self.http.api("registered-models/search")?;
        url.query_pairs_mut().append_pair("max_results", "1");
        self.get::<SearchRegisteredModels>(url, "the registered model list")
            .await
            .map(|_| ())
    }

    async fn get<T: DeserializeOwned>(&self, url: Url, what: &str) -> Result<T> {
        self.http
            .json(Method::GET, url, None, Retry::Always, what)
            .await
    }

    /// A GET of one page of at most `page_max` entries.
    async fn get_page<T: DeserializeOwned>(
        &self,
        url: Url,
        what: &str,
        page_max: usize,
    ) -> Result<T> {
        self.http
            .json_page(Method::GET, url, None, Retry::Always, what, page_max)
            .await
    }

    /// Runs `f` as one read operation, under one deadline.
    async fn read<T>(&self, f: impl Future<Output = Result<T>>) -> Result<T> {
        self.http.operation(Kind::Read, f).await
    }

    /// Runs `f` as one write operation, under one deadline.
    async fn write_op<T>(&self, f: impl Future<Output = Result<T>>) -> Result<T> {
        self.http.operation(Kind::Write, f).await
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        endpoint: &str,
        body: serde_json::Value,
        retry: Retry,
        what: &str,
    ) -> Result<T> {
        let url = self.http.api(endpoint)?;
        self.http.json(method, url, Some(&body), retry, what).await
    }

    /// A tag or alias write: idempotent, so retried whatever fails; the
    /// answer carries nothing modelgate reads.
    async fn write(
        &self,
        method: Method,
        endpoint: &str,
        body: serde_json::Value,
        what: &str,
    ) -> Result<()> {
        let answer =
            self.call::<serde::de::IgnoredAny>(method, endpoint, body, Retry::Always, what);
        self.write_op(answer).await.map(|_| ())
    }

    /// A POST search (a read) of one page of at most `page_max` entries.
    async fn post_page<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        body: serde_json::Value,
        what: &str,
        page_max: usize,
    ) -> Result<T> {
        let url = self.http.api(endpoint)?;
        self.http
            .json_page(
                Method::POST,
                url,
                Some(&body),
                Retry::Always,
                what,
                page_max,
            )
            .await
    }

    fn endpoint(&self, endpoint: &str, query: &[(&str, &str)]) -> Result<Url> {
        let mut url = self.http.api(endpoint)?;
        if !query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        Ok(url)
    }

    // -- versions -----------------------------------------------------------

    /// Every page of a version search, prompts left out, sorted by name and number.
    async fn search_versions(
        &self,
        filter: &str,
        keep: impl Fn(&ModelVersionWire) -> bool,
    ) -> Result<Vec<ModelVersion>> {
        let mut out = Vec::new();
        let what = "the model version search";
        let mut pager = Pager::new(what, self.max_pages);
        let page = self.page_size.to_string();
        loop {
            let mut query = vec![("filter", filter), ("max_results", page.as_str())];
            if let Some(t) = pager.token() {
                query.push(("page_token", t));
            }
            let url = self.endpoint("model-versions/search", &query)?;
            let res: SearchModelVersions =
                self.get_page(url, what, self.page_size as usize).await?;
            let n = res.model_versions.len();
            out.extend(
                res.model_versions
                    .into_iter()
                    .filter(|v| !v.is_prompt() && keep(v))
                    .map(ModelVersionWire::into_version),
            );
            if !pager.advance(n, res.next_page_token)? {
                break;
            }
        }
        sort_versions(&mut out);
        // MLflow pages by offset: a version written by someone else between two
        // pages shifts the rest, and one can come back twice. Keep it once.
        out.dedup_by(|a, b| a.name == b.name && a.version == b.version);
        Ok(out)
    }

    // -- runs ---------------------------------------------------------------

    /// Every experiment id, deleted ones included (their runs may back versions).
    async fn experiment_ids(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        let what = "the experiment list";
        let mut pager = Pager::new(what, self.max_pages);
        let page = self.page_size.clamp(1, 1000);
        loop {
            let mut body = json!({"max_results": page, "view_type": "ALL"});
            if let Some(t) = pager.token() {
                body["page_token"] = json!(t);
            }
            let res: SearchExperiments = self
                .post_page("experiments/search", body, what, page as usize)
                .await?;
            let n = res.experiments.len();
            ids.extend(res.experiments.into_iter().map(|e| e.experiment_id));
            if !pager.advance(n, res.next_page_token)? {
                break;
            }
        }
        Ok(ids)
    }

    /// Up to 100 runs by id in one `runs/search` (more pages if the server cuts).
    async fn search_runs(&self, experiments: &[String], ids: &[String]) -> Result<Vec<Run>> {
        let list = ids
            .iter()
            .map(|id| format!("'{id}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let filter = format!("attributes.run_id IN ({list})");
        let mut runs = Vec::new();
        let what = "the run search";
        let mut pager = Pager::new(what, self.max_pages);
        let page = ids.len().max(1);
        loop {
            let mut body = json!({
                "experiment_ids": experiments,
                "filter": filter,
                "run_view_type": "ALL",
                "max_results": page,
            });
            if let Some(t) = pager.token() {
                body["page_token"] = json!(t);
            }
            let res: SearchRuns = self.post_page("runs/search", body, what, page).await?;
            let n = res.runs.len();
            runs.extend(res.runs.into_iter().filter_map(RunWire::into_run));
            if !pager.advance(n, res.next_page_token)? {
                break;
            }
        }
        Ok(runs)
    }

    async fn get_run(&self, run_id: &str) -> Result<Option<Run>> {
        let url = self.endpoint("runs/get", &[("run_id", run_id)])?;
        match self.get::<GetRun>(url, &format!("run {run_id}")).await {
            Ok(r) => Ok(r.run.into_run()),
            Err(RegistryError::NotFound { .. }) => Ok(None),
            // An id MLflow cannot even parse is simply not there.
            Err(RegistryError::InvalidRequest { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn remember_roots(&self, runs: &[Run]) {
        let mut roots = lock(&self.run_roots);
        for r in runs {
            if let Some(root) = proxy_path(&r.artifact_uri) {
                roots.insert(r.run_id.clone(), root);
            }
        }
    }
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The maps are caches: a poisoned one is still consistent (single inserts).
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn sort_versions(v: &mut [ModelVersion]) {
    v.sort_by(|a, b| {
        (
            a.name.as_str(),
            a.version.parse::<u64>().unwrap_or(u64::MAX),
            &a.version,
        )
            .cmp(&(
                b.name.as_str(),
                b.version.parse::<u64>().unwrap_or(u64::MAX),
                &b.version,
            ))
    });
}

/// `<lhs> = '<value>'` in MLflow's filter grammar, which has no escape for a
/// quote: a value with `'` is put in double quotes, one with both kinds is
/// matched with LIKE (quotes as `_`) and the caller re-checks equality.
fn equals_filter(lhs: &str, value: &str) -> String {
    if !value.contains('\'') {
        format!("{lhs} = '{value}'")
    } else if !value.contains('"') {
        format!("{lhs} = \"{value}\"")
    } else {
        format!("{lhs} LIKE '{}'", value.replace(['\'', '"'], "_"))
    }
}

/// A run id that can stand in a filter literal as is.
fn plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

pub(super) fn invalid(message: impl Into<String>) -> RegistryError {
    RegistryError::InvalidRequest {
        message: message.into(),
    }
}

pub(super) fn parse_version(version: &str) -> Result<u64> {
    let digits = !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit());
    digits
        .then(|| version.parse::<u64>().ok())
        .flatten()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            invalid(format!(
                "model version `{}` is not a decimal number",
                crate::text::sanitize_line(version)
            ))
        })
}

/// A tag key as it can stand between backticks in a filter.
fn check_filter_key(key: &str) -> Result<()> {
    if key.is_empty() || key.contains('`') {
        return Err(invalid(format!(
            "tag key `{}` cannot be searched for",
            crate::text::sanitize_line(key)
        )));
    }
    Ok(())
}

#[async_trait]
impl Registry for MlflowRegistry {
    fn registry_id(&self) -> &str {
        &self.registry_id
    }

    fn describe(&self) -> String {
        self.http.describe()
    }

    async fn list_registered_models(&self) -> Result<Vec<RegisteredModel>> {
        self.read(async {
            let mut out = Vec::new();
            let what = "the registered model list";
            let mut pager = Pager::new(what, self.max_pages);
            let size = self.page_size.min(MAX_MODEL_PAGE);
            let page = size.to_string();
            loop {
                let mut query = vec![("max_results", page.as_str())];
                if let Some(t) = pager.token() {
                    query.push(("page_token", t));
                }
                let url = self.endpoint("registered-models/search", &query)?;
                let res: SearchRegisteredModels = self.get_page(url, what, size as usize).await?;
                let n = res.registered_models.len();
                out.extend(
                    res.registered_models
                        .into_iter()
                        .filter(|m| !m.is_prompt())
                        .map(RegisteredModelWire::into_model),
                );
                if !pager.advance(n, res.next_page_token)? {
                    break;
                }
            }
            out.sort_by(|a, b| a.name.cmp(&b.name));
            // Offset pages can repeat a model created between two pages.
            out.dedup_by(|a, b| a.name == b.name);
            Ok(out)
        })
        .await
    }

    async fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        self.read(async {
            let url = self.endpoint("registered-models/get", &[("name", name)])?;
            let what = format!("registered model {name}");
            let res: GetRegisteredModel = self.get(url, &what).await?;
            Ok(res.registered_model.into_model())
        })
        .await
    }

    async fn list_versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        self.read(async {
            let filter = equals_filter("name", name);
            let versions = self.search_versions(&filter, |v| v.name == name).await?;
            if versions.is_empty() {
                // No versions, or no such model: only the model itself can tell.
                self.get_registered_model(name).await?;
            }
            Ok(versions)
        })
        .await
    }

    async fn search_versions_by_tag(&self, key: &str, value: &str) -> Result<Vec<ModelVersion>> {
        self.read(async {
            check_filter_key(key)?;
            let filter = equals_filter(&format!("tags.`{key}`"), value);
            self.search_versions(&filter, |v| {
                v.tags.iter().any(|t| t.key == key && t.value == value)
            })
            .await
        })
        .await
    }

    async fn get_version(&self, name: &str, version: &str) -> Result<ModelVersion> {
        self.read(async {
            parse_version(version)?;
            let url = self.endpoint(
                "model-versions/get",
                &[("name", name), ("version", version)],
            )?;
            let what = format!("model version {name}/{version}");
            let res: GetModelVersion = self.get(url, &what).await?;
            Ok(res.model_version.into_version())
        })
        .await
    }

    async fn get_runs(&self, run_ids: &[String]) -> Result<Vec<Run>> {
        self.read(async {
            let mut seen = HashSet::new();
            let unique: Vec<&str> = run_ids
                .iter()
                .map(String::as_str)
                .filter(|id| seen.insert(*id))
                .collect();
            if unique.is_empty() {
                return Ok(Vec::new());
            }
            let searchable: Vec<&str> = unique.iter().copied().filter(|id| plain_id(id)).collect();
            let mut found: HashMap<String, Run> = HashMap::new();
            if !searchable.is_empty() {
                let experiments = self.experiment_ids().await?;
                let chunks: Vec<Vec<String>> = searchable
                    .chunks(RUN_BATCH)
                    .map(|c| c.iter().map(|id| (*id).to_owned()).collect())
                    .collect();
                let experiments = &experiments;
                // Owned chunks: a closure over borrowed slices is not Send enough here.
                let batches: Vec<Result<Vec<Run>>> = stream::iter(chunks)
                    .map(|chunk| async move { self.search_runs(experiments, &chunk).await })
                    .buffer_unordered(self.http.options().concurrency.max(1))
                    .collect()
                    .await;
                for batch in batches {
                    match batch {
                        Ok(runs) => found.extend(runs.into_iter().map(|r| (r.run_id.clone(), r))),
                        // A server that refuses the batch search: single calls below.
                        Err(
                            RegistryError::InvalidRequest { .. }
                            | RegistryError::InvalidResponse { .. },
                        ) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            // Runs the search did not return (a refused batch, an odd id, a run
            // outside the listed experiments) are asked for one by one.
            let missing: Vec<String> = unique
                .iter()
                .filter(|id| !found.contains_key(**id))
                .map(|id| (*id).to_owned())
                .collect();
            let singles: Vec<Result<Option<Run>>> = stream::iter(missing)
                .map(|id| async move { self.get_run(&id).await })
                .buffer_unordered(self.http.options().concurrency.max(1))
                .collect()
                .await;
            for r in singles {
                if let Some(run) = r? {
                    found.insert(run.run_id.clone(), run);
                }
            }
            let runs: Vec<Run> = unique.iter().filter_map(|id| found.remove(*id)).collect();
            self.remember_roots(&runs);
            Ok(runs)
        })
        .await
    }

    async fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>> {
        self.read(async {
            let mut out = Vec::new();
            let page = self.page_size.to_string();
            let what = format!("run {run_id}");
            let mut pager = Pager::new(&what, self.max_pages);
            loop {
                let mut query = vec![
                    ("run_id", run_id),
                    ("metric_key", key),
                    ("max_results", page.as_str()),
                ];
                if let Some(t) = pager.token() {
                    query.push(("page_token", t));
                }
                let url = self.endpoint("metrics/get-history", &query)?;
                let res: MetricHistory = self.get_page(url, &what, self.page_size as usize).await?;
                let n = res.metrics.len();
                out.extend(res.metrics.into_iter().map(MetricWire::into_metric));
                if !pager.advance(n, res.next_page_token)? {
                    break;
                }
            }
            out.sort_by_key(|m| (m.step, m.timestamp));
            Ok(out)
        })
        .await
    }

    async fn list_run_artifacts(&self, run_id: &str, path: &str) -> Result<Vec<FileInfo>> {
        self.read(async {
            let dir = check_dir_path(path)?;
            let root = self.run_root(run_id).await?;
            let what = format!("artifacts {dir} of run {run_id}");
            self.list_tree(&join(&root, dir), &what).await
        })
        .await
    }

    async fn read_run_artifact(&self, run_id: &str, path: &str, max_bytes: u64) -> Result<Vec<u8>> {
        self.read(async {
            let (url, what) = self.run_artifact(run_id, path).await?;
            self.http.download(url, max_bytes, &what).await
        })
        .await
    }

    async fn list_model_files(&self, name: &str, version: &str) -> Result<Vec<FileInfo>> {
        self.read(async {
            let dir = self.model_dir(name, version).await?;
            let what = format!("the model directory of model version {name}/{version}");
            self.list_tree(&dir, &what).await
        })
        .await
    }

    async fn read_model_file(
        &self,
        name: &str,
        version: &str,
        path: &str,
        max_bytes: u64,
    ) -> Result<Vec<u8>> {
        self.read(async {
            crate::registry::check_artifact_path(path)?;
            let dir = self.model_dir(name, version).await?;
            let url = self.http.artifact(&join(&dir, path))?;
            let what = format!("file {path} of model version {name}/{version}");
            self.http.download(url, max_bytes, &what).await
        })
        .await
    }

    async fn set_version_tag(
        &self,
        name: &str,
        version: &str,
        key: &str,
        value: &str,
    ) -> Result<()> {
        self.write_op(async {
            parse_version(version)?;
            let body = json!({"name": name, "version": version, "key": key, "value": value});
            let what = format!("model version {name}/{version}");
            self.write(Method::POST, "model-versions/set-tag", body, &what)
                .await
        })
        .await
    }

    async fn delete_version_tag(&self, name: &str, version: &str, key: &str) -> Result<()> {
        self.write_op(async {
            // MLflow deletes a missing tag silently; the embedded registry (and a
            // caller that expects the tag) gets NotFound.
            if !self
                .get_version(name, version)
                .await?
                .tags
                .contains_key(key)
            {
                return Err(RegistryError::not_found(format!(
                    "tag {key} of model version {name}/{version}"
                )));
            }
            let body = json!({"name": name, "version": version, "key": key});
            let what = format!("model version {name}/{version}");
            self.write(Method::DELETE, "model-versions/delete-tag", body, &what)
                .await
        })
        .await
    }

    async fn set_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        self.write_op(async {
            let body = json!({"name": name, "key": key, "value": value});
            let what = format!("registered model {name}");
            self.write(Method::POST, "registered-models/set-tag", body, &what)
                .await
        })
        .await
    }

    async fn delete_model_tag(&self, name: &str, key: &str) -> Result<()> {
        self.write_op(async {
            if !self
                .get_registered_model(name)
                .await?
                .tags
                .contains_key(key)
            {
                return Err(RegistryError::not_found(format!(
                    "tag {key} of registered model {name}"
                )));
            }
            let body = json!({"name": name, "key": key});
            let what = format!("registered model {name}");
            self.write(Method::DELETE, "registered-models/delete-tag", body, &what)
                .await
        })
        .await
    }

    async fn set_alias(&self, name: &str, alias: &str, version: &str) -> Result<()> {
        self.write_op(async {
            parse_version(version)?;
            let body = json!({"name": name, "alias": alias, "version": version});
            let what = format!("model version {name}/{version}");
            self.write(Method::POST, "registered-models/alias", body, &what)
                .await
        })
        .await
    }

    async fn delete_alias(&self, name: &str, alias: &str) -> Result<()> {
        self.write_op(async {
            if !self
                .get_registered_model(name)
                .await?
                .aliases
                .contains_key(alias)
            {
                return Err(RegistryError::not_found(format!(
                    "alias {alias} of registered model {name}"
                )));
            }
            let body = json!({"name": name, "alias": alias});
            let what = format!("registered model {name}");
            self.write(Method::DELETE, "registered-models/alias", body, &what)
                .await
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::artifacts::{entry_name, not_proxied};
    use super::*;

    #[test]
    fn a_bad_ca_bundle_names_the_variable() {
        let dir = std::env::temp_dir().join(format!("modelgate-ca-{}", std::process::id()));
        std::fs::write(&dir, "not a certificate").unwrap();
        for path in [dir.clone(), dir.with_extension("absent")] {
            let mut o = MlflowOptions::new("https://127.0.0.1:1");
            o.http.ca_cert = Some(path);
            let err = MlflowRegistry::new(o).unwrap_err().to_string();
            assert!(err.contains("MLFLOW_TRACKING_SERVER_CERT_PATH"), "{err}");
        }
        let _ = std::fs::remove_file(dir);
    }

    #[test]
    fn artifact_uris_map_to_proxy_paths() {
        assert_eq!(
            proxy_path("mlflow-artifacts:/2/models/m-1/artifacts").as_deref(),
            Some("2/models/m-1/artifacts")
        );
        assert_eq!(
            proxy_path("mlflow-artifacts://host:5000/1/abc/artifacts/").as_deref(),
            Some("1/abc/artifacts")
        );
        assert_eq!(proxy_path("s3://bucket/1/abc/artifacts"), None);
        let e = not_proxied("s3://bucket/x", "run 1").to_string();
        assert!(e.contains("--serve-artifacts"), "{e}");
    }

    #[test]
    fn filters_quote_what_mlflow_can_quote() {
        assert_eq!(equals_filter("name", "m"), "name = 'm'");
        assert_eq!(equals_filter("name", "it's"), "name = \"it's\"");
        assert_eq!(equals_filter("name", "a'\"b"), "name LIKE 'a__b'");
        assert!(plain_id("0a1b-2c_3"));
        assert!(!plain_id("x') OR ('1"));
    }

    #[test]
    fn listing_entries_are_plain_names() {
        assert_eq!(
            entry_name("MLmodel", "1/r/artifacts/model").as_deref(),
            Some("MLmodel")
        );
        assert_eq!(
            entry_name("1/r/artifacts/model/data", "1/r/artifacts/model").as_deref(),
            Some("data")
        );
        assert_eq!(entry_name("../x", "d"), None);
        assert_eq!(entry_name("..", "d"), None);
        assert_eq!(entry_name("", "d"), None);
    }
}
