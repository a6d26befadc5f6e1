//! The MLflow Model Registry over REST API 2.0 (MLflow 3.x): every primitive of
//! PROTOCOL 1, and `RegistryWriter` for `demo --mlflow`.
//!
//! Few calls: one search per page for models and versions (tags and aliases
//! come with them), runs fetched 100 at a time with `runs/search`, artifacts
//! only when a view needs them. What cannot change (a version's model
//! directory, a run's artifact root) is remembered for the life of the handle.

pub mod auth;
pub mod client;
pub mod wire;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use async_trait::async_trait;
use futures_util::{StreamExt, stream};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde_json::json;

use self::auth::Credentials;
use self::client::{Http, HttpOptions, Retry};
use self::wire::*;
use super::{
    FileInfo, Metric, ModelVersion, RegisteredModel, Registry, RegistryError, RegistryWriter,
    Result, Run, Tags,
};

/// `registered-models/search` refuses pages over 1,000 models.
const MAX_MODEL_PAGE: u32 = 1000;
/// Run ids per `runs/search` call (the measurement: 100 ids a call).
const RUN_BATCH: usize = 100;
/// MLflow's `runs/log-batch` limits.
const METRIC_BATCH: usize = 1000;
const PARAM_BATCH: usize = 100;
/// A model directory with more entries than this is refused, not listed forever.
const MAX_LISTED_FILES: usize = 100_000;

/// Everything needed to talk to one server.
#[derive(Debug, Clone)]
pub struct MlflowOptions {
    /// The tracking URI (`http(s)://host:port[/path]`).
    pub uri: String,
    /// The configured `registry_id`; `None` derives it from the URI (PROTOCOL 2).
    pub registry_id: Option<String>,
    pub credentials: Credentials,
    pub http: HttpOptions,
    /// Results per page of every paginated search.
    pub page_size: u32,
}

impl MlflowOptions {
    pub fn new(uri: impl Into<String>) -> Self {
        MlflowOptions {
            uri: uri.into(),
            registry_id: None,
            credentials: Credentials::None,
            http: HttpOptions::default(),
            page_size: 1000,
        }
    }

    /// Adds what MLflow users set in the environment: credentials (unless
    /// already given), `MLFLOW_TRACKING_INSECURE_TLS`, `MLFLOW_TRACKING_SERVER_CERT_PATH`.
    pub fn with_env(mut self) -> Self {
        if self.credentials.is_none() {
            self.credentials = Credentials::from_env();
        }
        if let Ok(v) = std::env::var("MLFLOW_TRACKING_INSECURE_TLS") {
            self.http.insecure_tls = matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1");
        }
        if let Some(p) =
            std::env::var_os("MLFLOW_TRACKING_SERVER_CERT_PATH").filter(|p| !p.is_empty())
        {
            self.http.ca_cert = Some(p.into());
        }
        self
    }
}

/// `[mlflow]` in config.toml (top level or a profile; a profile overrides field by field).
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlflowSettings {
    /// Requests in flight at once (default 16).
    pub concurrency: Option<usize>,
    /// Tries per request, the first included (default 5).
    pub attempts: Option<u32>,
    pub connect_timeout_seconds: Option<f64>,
    /// Longest silence while waiting for or reading an answer (default 60).
    pub read_timeout_seconds: Option<f64>,
    /// Results per page of searches (default 1000).
    pub page_size: Option<u32>,
    /// Cap on one JSON answer in MiB (default 256).
    pub max_response_mib: Option<u64>,
}

impl MlflowSettings {
    pub fn merge(&mut self, over: &MlflowSettings) {
        macro_rules! take {
            ($($f:ident),*) => { $( if over.$f.is_some() { self.$f = over.$f; } )* };
        }
        take!(
            concurrency,
            attempts,
            connect_timeout_seconds,
            read_timeout_seconds,
            page_size,
            max_response_mib
        );
    }

    /// Refuses values that would make the client useless (zero, negative, NaN).
    pub fn checked(self) -> anyhow::Result<Self> {
        let positive_int = |name: &str, v: Option<u64>| match v {
            Some(0) => Err(anyhow::anyhow!("mlflow.{name} must be at least 1")),
            _ => Ok(()),
        };
        positive_int("concurrency", self.concurrency.map(|v| v as u64))?;
        positive_int("attempts", self.attempts.map(u64::from))?;
        positive_int("page_size", self.page_size.map(u64::from))?;
        positive_int("max_response_mib", self.max_response_mib)?;
        for (name, v) in [
            ("connect_timeout_seconds", self.connect_timeout_seconds),
            ("read_timeout_seconds", self.read_timeout_seconds),
        ] {
            if let Some(v) = v
                && !(v.is_finite() && v > 0.0 && v <= 86_400.0)
            {
                anyhow::bail!("mlflow.{name}: {v} is not a number of seconds between 0 and 86400");
            }
        }
        Ok(self)
    }

    pub fn apply(&self, opts: &mut MlflowOptions) {
        let secs = std::time::Duration::from_secs_f64;
        if let Some(v) = self.concurrency {
            opts.http.concurrency = v;
        }
        if let Some(v) = self.attempts {
            opts.http.attempts = v;
        }
        if let Some(v) = self.connect_timeout_seconds {
            opts.http.connect_timeout = secs(v);
        }
        if let Some(v) = self.read_timeout_seconds {
            opts.http.read_timeout = secs(v);
        }
        if let Some(v) = self.page_size {
            opts.page_size = v;
        }
        if let Some(v) = self.max_response_mib {
            opts.http.max_response_bytes = v.saturating_mul(1024 * 1024);
        }
    }
}

/// The server URL without user info, query or fragment, its path ending in `/`,
/// and the credentials user info held (`http://user:pass@host`).
pub fn parse_uri(uri: &str) -> Result<(Url, Credentials)> {
    let mut url = Url::parse(uri.trim()).map_err(|e| RegistryError::InvalidRequest {
        message: format!(
            "the MLflow URI `{}` is not a URL ({e}); use http(s)://host:port",
            crate::text::sanitize(&redact_userinfo(uri))
        ),
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(RegistryError::InvalidRequest {
            message: format!(
                "the MLflow URI `{}` is not an http(s) server address; modelgate talks to `mlflow server` over REST (databricks, file and sqlite URIs are not supported)",
                crate::text::sanitize(&redact_userinfo(uri))
            ),
        });
    }
    let creds = match (url.username(), url.password()) {
        ("", _) => Credentials::None,
        (user, pass) => Credentials::Basic {
            username: percent_decode(user),
            password: auth::Secret::new(percent_decode(pass.unwrap_or_default())),
        },
    };
    // Neither can fail for an http(s) URL with a host.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok((url, creds))
}

/// PROTOCOL 2: the URI's scheme, host, port and path in lower case.
pub fn registry_id_for(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let port = url
        .port_or_known_default()
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
    let path = url.path().trim_end_matches('/');
    format!("{}://{host}{port}{path}", url.scheme()).to_lowercase()
}

fn redact_userinfo(uri: &str) -> String {
    match Url::parse(uri) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Ok(_) => uri.to_owned(),
        Err(_) => match uri.rsplit_once('@') {
            Some((_, host)) => format!("<redacted>@{host}"),
            None => uri.to_owned(),
        },
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(h) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(h, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// An MLflow tracking server's model registry.
pub struct MlflowRegistry {
    http: Http,
    registry_id: String,
    page_size: u32,
    /// (model, version) -> the artifact proxy path of its model directory.
    model_dirs: Mutex<HashMap<(String, String), String>>,
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
        self.call::<serde_json::Value>(method, endpoint, body, Retry::Always, what)
            .await
            .map(|_| ())
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
        let mut token: Option<String> = None;
        let page = self.page_size.to_string();
        loop {
            let mut query = vec![("filter", filter), ("max_results", page.as_str())];
            if let Some(t) = &token {
                query.push(("page_token", t));
            }
            let url = self.endpoint("model-versions/search", &query)?;
            let res: SearchModelVersions = self.get(url, "the model version search").await?;
            out.extend(
                res.model_versions
                    .into_iter()
                    .filter(|v| !v.is_prompt() && keep(v))
                    .map(ModelVersionWire::into_version),
            );
            match res.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) if Some(&t) != token.as_ref() => token = Some(t),
                _ => break,
            }
        }
        sort_versions(&mut out);
        // MLflow pages by offset: a version written by someone else between two
        // pages shifts the rest, and one can come back twice. Keep it once.
        out.dedup_by(|a, b| a.name == b.name && a.version == b.version);
        Ok(out)
    }

    // -- artifacts ----------------------------------------------------------

    /// The artifact proxy path of a run's artifact root.
    async fn run_root(&self, run_id: &str) -> Result<String> {
        if let Some(root) = lock(&self.run_roots).get(run_id) {
            return Ok(root.clone());
        }
        let url = self.endpoint("runs/get", &[("run_id", run_id)])?;
        let what = format!("run {run_id}");
        let run: GetRun = self.get(url, &what).await?;
        let uri = run.run.info.artifact_uri.unwrap_or_default();
        let root = proxy_path(&uri).ok_or_else(|| not_proxied(&uri, &what))?;
        lock(&self.run_roots).insert(run_id.to_owned(), root.clone());
        Ok(root)
    }

    /// The artifact proxy path of a version's model directory, found through
    /// `get-download-uri` (PROTOCOL 1: `runs:/` answers are resolved here).
    async fn model_dir(&self, name: &str, version: &str) -> Result<String> {
        parse_version(version)?;
        let key = (name.to_owned(), version.to_owned());
        if let Some(dir) = lock(&self.model_dirs).get(&key) {
            return Ok(dir.clone());
        }
        let what = format!("model version {name}/{version}");
        let url = self.endpoint(
            "model-versions/get-download-uri",
            &[("name", name), ("version", version)],
        )?;
        let uri = self.get::<DownloadUri>(url, &what).await?.artifact_uri;
        let dir = if let Some(rest) = uri.strip_prefix("runs:/") {
            let (run_id, path) = rest.split_once('/').unwrap_or((rest, ""));
            let dir = check_dir_path(path).map_err(|_| RegistryError::InvalidRequest {
                message: format!(
                    "{what} has the model directory `{}`, whose path is not a plain relative path",
                    crate::text::sanitize(&uri)
                ),
            })?;
            let root = match self.run_root(run_id).await {
                Err(RegistryError::NotFound { .. }) => {
                    return Err(RegistryError::not_found(format!(
                        "run {run_id} (the source of {what})"
                    )));
                }
                other => other?,
            };
            join(&root, dir)
        } else {
            proxy_path(&uri).ok_or_else(|| not_proxied(&uri, &what))?
        };
        lock(&self.model_dirs).insert(key, dir.clone());
        Ok(dir)
    }

    /// Every file below the proxy path `root`, recursively, paths relative to it.
    async fn list_tree(&self, root: &str, what: &str) -> Result<Vec<FileInfo>> {
        let mut files = Vec::new();
        let mut dirs = vec![String::new()];
        while let Some(rel) = dirs.pop() {
            let dir = join(root, &rel);
            let url = self.http.artifact_listing(&dir)?;
            let list: ArtifactList = self.get(url, what).await?;
            for f in list.files {
                let name =
                    entry_name(&f.path, &dir).ok_or_else(|| RegistryError::InvalidResponse {
                        message: format!(
                            "{what}: the server listed `{}`, which is not a plain file name",
                            self.http.quote(&f.path)
                        ),
                    })?;
                let path = join(&rel, &name);
                if f.is_dir {
                    dirs.push(path);
                } else {
                    let size = u64::try_from(f.file_size.unwrap_or(0)).unwrap_or(0);
                    files.push(FileInfo { path, size });
                }
            }
            if files.len() + dirs.len() > MAX_LISTED_FILES {
                return Err(RegistryError::TooLarge {
                    what: format!("{what} (number of files)"),
                    size: (files.len() + dirs.len()) as u64,
                    limit: MAX_LISTED_FILES as u64,
                });
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    // -- runs ---------------------------------------------------------------

    /// Every experiment id, deleted ones included (their runs may back versions).
    async fn experiment_ids(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut body =
                json!({"max_results": self.page_size.clamp(1, 1000), "view_type": "ALL"});
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let res: SearchExperiments = self
                .call(
                    Method::POST,
                    "experiments/search",
                    body,
                    Retry::Always,
                    "the experiment list",
                )
                .await?;
            ids.extend(res.experiments.into_iter().map(|e| e.experiment_id));
            match res.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) if Some(&t) != token.as_ref() => token = Some(t),
                _ => break,
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
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({
                "experiment_ids": experiments,
                "filter": filter,
                "run_view_type": "ALL",
                "max_results": ids.len().max(1),
            });
            if let Some(t) = &token {
                body["page_token"] = json!(t);
            }
            let res: SearchRuns = self
                .call(
                    Method::POST,
                    "runs/search",
                    body,
                    Retry::Always,
                    "the run search",
                )
                .await?;
            runs.extend(res.runs.into_iter().filter_map(RunWire::into_run));
            match res.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) if Some(&t) != token.as_ref() => token = Some(t),
                _ => break,
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

    // -- writer helpers -----------------------------------------------------

    async fn experiment_id(&self, name: &str) -> Result<String> {
        if let Some(id) = lock(&self.experiments).get(name) {
            return Ok(id.clone());
        }
        let what = format!("experiment {name}");
        let by_name = async || {
            let url = self.endpoint("experiments/get-by-name", &[("experiment_name", name)])?;
            self.get::<GetExperiment>(url, &what).await
        };
        let id = match by_name().await {
            Ok(e) => live_experiment(e.experiment, name)?,
            Err(RegistryError::NotFound { .. }) => {
                match self
                    .call::<CreateExperiment>(
                        Method::POST,
                        "experiments/create",
                        json!({ "name": name }),
                        // A retry that finds it created takes the `Conflict` path below.
                        Retry::Always,
                        &what,
                    )
                    .await
                {
                    Ok(c) => c.experiment_id,
                    Err(RegistryError::Conflict { .. }) => {
                        live_experiment(by_name().await?.experiment, name)?
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        };
        lock(&self.experiments).insert(name.to_owned(), id.clone());
        Ok(id)
    }
}

fn live_experiment(e: Experiment, name: &str) -> Result<String> {
    if e.lifecycle_stage.as_deref() == Some("deleted") {
        return Err(RegistryError::InvalidRequest {
            message: format!(
                "experiment {name} is deleted in MLflow; restore it (`mlflow experiments restore --experiment-id {}`) or use another name",
                e.experiment_id
            ),
        });
    }
    Ok(e.experiment_id)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The maps are caches: a poisoned one is still consistent (single inserts).
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `mlflow-artifacts:/<path>` or `mlflow-artifacts://<authority>/<path>` -> `<path>`.
fn proxy_path(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("mlflow-artifacts:")?;
    let rest = match rest.strip_prefix("//") {
        Some(r) => r.split_once('/').map(|(_, p)| p).unwrap_or(""),
        None => rest,
    };
    Some(rest.trim_matches('/').to_owned())
}

/// The server keeps artifacts where modelgate cannot reach them through it.
fn not_proxied(uri: &str, what: &str) -> RegistryError {
    RegistryError::InvalidRequest {
        message: format!(
            "{what}: the artifacts live at `{}`, which the MLflow server does not proxy; modelgate reads artifacts only through the server, so start it with `--serve-artifacts --artifacts-destination <location>` (the default since MLflow 2 unless `--default-artifact-root` or `--no-serve-artifacts` is given) and log new runs to it",
            crate::text::sanitize(uri)
        ),
    }
}

/// A listing entry's name relative to the listed directory (the proxy sends
/// base names; other servers send paths from the root).
fn entry_name(path: &str, dir: &str) -> Option<String> {
    let prefix = format!("{}/", dir.trim_end_matches('/'));
    let name = path.strip_prefix(&prefix).unwrap_or(path);
    let name = name.trim_end_matches('/');
    (!name.is_empty() && !name.contains('/') && name != "." && name != "..")
        .then(|| name.to_owned())
}

fn join(dir: &str, path: &str) -> String {
    match (dir.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (_, true) => dir.to_owned(),
        _ => format!("{dir}/{path}"),
    }
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

fn invalid(message: impl Into<String>) -> RegistryError {
    RegistryError::InvalidRequest {
        message: message.into(),
    }
}

fn parse_version(version: &str) -> Result<u64> {
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

/// An artifact directory: "" for the root, one trailing `/` tolerated.
fn check_dir_path(path: &str) -> Result<&str> {
    let dir = path.strip_suffix('/').unwrap_or(path);
    if !dir.is_empty() {
        crate::registry::check_artifact_path(dir)?;
    }
    Ok(dir)
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
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let page = self.page_size.min(MAX_MODEL_PAGE).to_string();
        loop {
            let mut query = vec![("max_results", page.as_str())];
            if let Some(t) = &token {
                query.push(("page_token", t));
            }
            let url = self.endpoint("registered-models/search", &query)?;
            let res: SearchRegisteredModels = self.get(url, "the registered model list").await?;
            out.extend(
                res.registered_models
                    .into_iter()
                    .filter(|m| !m.is_prompt())
                    .map(RegisteredModelWire::into_model),
            );
            match res.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) if Some(&t) != token.as_ref() => token = Some(t),
                _ => break,
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        // Offset pages can repeat a model created between two pages.
        out.dedup_by(|a, b| a.name == b.name);
        Ok(out)
    }

    async fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        let url = self.endpoint("registered-models/get", &[("name", name)])?;
        let what = format!("registered model {name}");
        let res: GetRegisteredModel = self.get(url, &what).await?;
        Ok(res.registered_model.into_model())
    }

    async fn list_versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        let filter = equals_filter("name", name);
        let versions = self.search_versions(&filter, |v| v.name == name).await?;
        if versions.is_empty() {
            // No versions, or no such model: only the model itself can tell.
            self.get_registered_model(name).await?;
        }
        Ok(versions)
    }

    async fn search_versions_by_tag(&self, key: &str, value: &str) -> Result<Vec<ModelVersion>> {
        check_filter_key(key)?;
        let filter = equals_filter(&format!("tags.`{key}`"), value);
        self.search_versions(&filter, |v| {
            v.tags.iter().any(|t| t.key == key && t.value == value)
        })
        .await
    }

    async fn get_version(&self, name: &str, version: &str) -> Result<ModelVersion> {
        parse_version(version)?;
        let url = self.endpoint(
            "model-versions/get",
            &[("name", name), ("version", version)],
        )?;
        let what = format!("model version {name}/{version}");
        let res: GetModelVersion = self.get(url, &what).await?;
        Ok(res.model_version.into_version())
    }

    async fn get_runs(&self, run_ids: &[String]) -> Result<Vec<Run>> {
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
    }

    async fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let page = self.page_size.to_string();
        let what = format!("run {run_id}");
        loop {
            let mut query = vec![
                ("run_id", run_id),
                ("metric_key", key),
                ("max_results", page.as_str()),
            ];
            if let Some(t) = &token {
                query.push(("page_token", t));
            }
            let url = self.endpoint("metrics/get-history", &query)?;
            let res: MetricHistory = self.get(url, &what).await?;
            out.extend(res.metrics.into_iter().map(MetricWire::into_metric));
            match res.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) if Some(&t) != token.as_ref() => token = Some(t),
                _ => break,
            }
        }
        out.sort_by_key(|m| (m.step, m.timestamp));
        Ok(out)
    }

    async fn list_run_artifacts(&self, run_id: &str, path: &str) -> Result<Vec<FileInfo>> {
        let dir = check_dir_path(path)?;
        let root = self.run_root(run_id).await?;
        let what = format!("artifacts {dir} of run {run_id}");
        self.list_tree(&join(&root, dir), &what).await
    }

    async fn read_run_artifact(&self, run_id: &str, path: &str, max_bytes: u64) -> Result<Vec<u8>> {
        crate::registry::check_artifact_path(path)?;
        let root = self.run_root(run_id).await?;
        let url = self.http.artifact(&join(&root, path))?;
        let what = format!("artifact {path} of run {run_id}");
        self.http.download(url, max_bytes, &what).await
    }

    async fn list_model_files(&self, name: &str, version: &str) -> Result<Vec<FileInfo>> {
        let dir = self.model_dir(name, version).await?;
        let what = format!("the model directory of model version {name}/{version}");
        self.list_tree(&dir, &what).await
    }

    async fn read_model_file(
        &self,
        name: &str,
        version: &str,
        path: &str,
        max_bytes: u64,
    ) -> Result<Vec<u8>> {
        crate::registry::check_artifact_path(path)?;
        let dir = self.model_dir(name, version).await?;
        let url = self.http.artifact(&join(&dir, path))?;
        let what = format!("file {path} of model version {name}/{version}");
        self.http.download(url, max_bytes, &what).await
    }

    async fn set_version_tag(
        &self,
        name: &str,
        version: &str,
        key: &str,
        value: &str,
    ) -> Result<()> {
        parse_version(version)?;
        let body = json!({"name": name, "version": version, "key": key, "value": value});
        let what = format!("model version {name}/{version}");
        self.write(Method::POST, "model-versions/set-tag", body, &what)
            .await
    }

    async fn delete_version_tag(&self, name: &str, version: &str, key: &str) -> Result<()> {
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
    }

    async fn set_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        let body = json!({"name": name, "key": key, "value": value});
        let what = format!("registered model {name}");
        self.write(Method::POST, "registered-models/set-tag", body, &what)
            .await
    }

    async fn delete_model_tag(&self, name: &str, key: &str) -> Result<()> {
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
    }

    async fn set_alias(&self, name: &str, alias: &str, version: &str) -> Result<()> {
        parse_version(version)?;
        let body = json!({"name": name, "alias": alias, "version": version});
        let what = format!("model version {name}/{version}");
        self.write(Method::POST, "registered-models/alias", body, &what)
            .await
    }

    async fn delete_alias(&self, name: &str, alias: &str) -> Result<()> {
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
    }
}

#[async_trait]
impl RegistryWriter for MlflowRegistry {
    async fn ensure_registered_model(
        &self,
        name: &str,
        description: Option<&str>,
        tags: &Tags,
    ) -> Result<()> {
        let mut body = json!({"name": name, "tags": key_values(tags)});
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        let what = format!("registered model {name}");
        // Retrying is safe: a create that went through before comes back as a conflict.
        match self
            .call::<serde_json::Value>(
                Method::POST,
                "registered-models/create",
                body,
                Retry::Always,
                &what,
            )
            .await
        {
            Ok(_) => Ok(()),
            Err(RegistryError::Conflict { .. }) => {
                if let Some(d) = description {
                    self.call::<serde_json::Value>(
                        Method::PATCH,
                        "registered-models/update",
                        json!({"name": name, "description": d}),
                        Retry::Always,
                        &what,
                    )
                    .await?;
                }
                for (k, v) in tags {
                    self.set_model_tag(name, k, v).await?;
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    async fn create_run(
        &self,
        experiment: &str,
        start_time_ms: i64,
        tags: &Tags,
    ) -> Result<String> {
        if experiment.is_empty() {
            return Err(invalid("an experiment name cannot be empty"));
        }
        let experiment_id = self.experiment_id(experiment).await?;
        let body = json!({
            "experiment_id": experiment_id,
            "start_time": start_time_ms,
            "tags": key_values(tags),
        });
        let what = format!("a run in experiment {experiment}");
        let res: GetRun = self
            .call(Method::POST, "runs/create", body, Retry::Unsent, &what)
            .await?;
        let uri = res.run.info.artifact_uri.clone().unwrap_or_default();
        let run_id = res
            .run
            .info
            .id()
            .ok_or_else(|| RegistryError::InvalidResponse {
                message: format!("{what}: the server created a run without an id"),
            })?
            .to_owned();
        if let Some(root) = proxy_path(&uri) {
            lock(&self.run_roots).insert(run_id.clone(), root);
        }
        Ok(run_id)
    }

    async fn log_metrics(&self, run_id: &str, metrics: &[Metric]) -> Result<()> {
        let what = format!("run {run_id}");
        for chunk in metrics.chunks(METRIC_BATCH) {
            let list: Vec<serde_json::Value> = chunk
                .iter()
                .map(|m| {
                    json!({"key": m.key, "value": metric_value(m.value),
                           "timestamp": m.timestamp, "step": m.step})
                })
                .collect();
            // MLflow keeps one copy of an identical metric point: a retry adds nothing.
            self.call::<serde_json::Value>(
                Method::POST,
                "runs/log-batch",
                json!({"run_id": run_id, "metrics": list}),
                Retry::Always,
                &what,
            )
            .await?;
        }
        Ok(())
    }

    async fn log_params(&self, run_id: &str, params: &Tags) -> Result<()> {
        let what = format!("run {run_id}");
        let all: Vec<serde_json::Value> = key_values(params);
        for chunk in all.chunks(PARAM_BATCH) {
            self.call::<serde_json::Value>(
                Method::POST,
                "runs/log-batch",
                json!({"run_id": run_id, "params": chunk}),
                Retry::Always,
                &what,
            )
            .await?;
        }
        Ok(())
    }

    async fn upload_artifact(&self, run_id: &str, path: &str, bytes: &[u8]) -> Result<()> {
        crate::registry::check_artifact_path(path)?;
        let root = self.run_root(run_id).await?;
        let url = self.http.artifact(&join(&root, path))?;
        let what = format!("artifact {path} of run {run_id}");
        self.http.upload(url, bytes.to_vec(), &what).await
    }

    async fn create_model_version(
        &self,
        name: &str,
        source: &str,
        run_id: &str,
        description: Option<&str>,
        tags: &Tags,
    ) -> Result<String> {
        if source.is_empty() {
            return Err(invalid("a model version needs a source"));
        }
        let mut body = json!({"name": name, "source": source, "tags": key_values(tags)});
        if !run_id.is_empty() {
            body["run_id"] = json!(run_id);
        }
        if let Some(d) = description {
            body["description"] = json!(d);
        }
        let what = format!("registered model {name}");
        // Not idempotent: sent again only when it surely never arrived.
        let res: CreateModelVersion = self
            .call(
                Method::POST,
                "model-versions/create",
                body,
                Retry::Unsent,
                &what,
            )
            .await?;
        Ok(res.model_version.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_id_is_scheme_host_port_and_path_in_lower_case() {
        let id = |u: &str| registry_id_for(&parse_uri(u).unwrap().0);
        assert_eq!(id("http://127.0.0.1:5000"), "http://127.0.0.1:5000");
        assert_eq!(
            id("HTTPS://Ana:pw@MLflow.Example.com/Team/?x=1#f"),
            "https://mlflow.example.com:443/team"
        );
        assert_eq!(id("http://h/"), id("http://h:80"));
        assert!(parse_uri("file:///tmp/mlruns").is_err());
        assert!(parse_uri("databricks").is_err());
    }

    #[test]
    fn user_info_becomes_basic_credentials_and_leaves_the_url() {
        let (url, creds) = parse_uri("http://ana:p%40ss@host:5000/x").unwrap();
        assert_eq!(url.as_str(), "http://host:5000/x/");
        match creds {
            Credentials::Basic { username, password } => {
                assert_eq!((username.as_str(), password.expose()), ("ana", "p@ss"))
            }
            other => panic!("{other:?}"),
        }
        let err = parse_uri("ftp://ana:hunter22@host")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("hunter22"), "{err}");
    }

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
