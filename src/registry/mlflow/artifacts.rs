//! Artifacts through the server's proxy: a version's model directory, a run's
//! artifact root, and the walk of a directory tree, bounded in depth and in
//! listing requests so that a hostile listing cannot keep `show` busy.

use reqwest::Url;

use super::client::check_proxy_path;
use super::wire::*;
use super::{MlflowRegistry, lock, parse_version};
use crate::registry::{FileInfo, RegistryError, Result, check_dir_path};

/// A model directory with more entries than this is refused, not listed forever.
pub(super) const MAX_LISTED_FILES: usize = 100_000;
/// Directory levels below the root a walk goes down (MLflow model directories
/// are a few levels deep).
pub(super) const MAX_WALK_DEPTH: usize = 16;
/// Directories one walk lists, one request each.
pub(super) const MAX_WALK_LISTINGS: usize = 1000;

impl MlflowRegistry {
    /// The artifact proxy path of a run's artifact root.
    pub(super) async fn run_root(&self, run_id: &str) -> Result<String> {
        if let Some(root) = lock(&self.run_roots).get(run_id) {
            return Ok(root.clone());
        }
        let url = self.endpoint("runs/get", &[("run_id", run_id)])?;
        let what = format!("run {run_id}");
        let run: GetRun = self.get(url, &what).await?;
        let uri = run.run.info.artifact_uri.unwrap_or_default();
        let root = proxied(&uri, &what)?;
        lock(&self.run_roots).insert(run_id.to_owned(), root.clone());
        Ok(root)
    }

    /// The URL of artifact `path` of run `run_id` (checked first), and the
    /// words errors name it by.
    pub(super) async fn run_artifact(&self, run_id: &str, path: &str) -> Result<(Url, String)> {
        crate::registry::check_artifact_path(path)?;
        let root = self.run_root(run_id).await?;
        let url = self.http.artifact(&join(&root, path))?;
        Ok((url, format!("artifact {path} of run {run_id}")))
    }

    /// The artifact proxy path of a version's model directory, found through
    /// `get-download-uri` (PROTOCOL 1: `runs:/` answers are resolved here).
    pub(super) async fn model_dir(&self, name: &str, version: &str) -> Result<String> {
        parse_version(version)?;
        let key = crate::registry::VersionKey::new(name, version);
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
                    crate::text::sanitize(&super::redact_userinfo(&uri))
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
            proxied(&uri, &what)?
        };
        lock(&self.model_dirs).insert(key, dir.clone());
        Ok(dir)
    }

    /// Every file below the proxy path `root`, recursively, paths relative to it.
    pub(super) async fn list_tree(&self, root: &str, what: &str) -> Result<Vec<FileInfo>> {
        let mut files = Vec::new();
        // Breadth first: a wide tree reaches the listing limit, a deep one the depth limit.
        let mut dirs = std::collections::VecDeque::from([String::new()]);
        let mut listed = 0;
        while let Some(rel) = dirs.pop_front() {
            let depth = rel.split('/').filter(|s| !s.is_empty()).count();
            if depth > MAX_WALK_DEPTH {
                return Err(RegistryError::InvalidResponse {
                    message: format!(
                        "{what}: the directory tree is more than {MAX_WALK_DEPTH} levels deep (at `{}`); modelgate stopped walking it",
                        self.http.quote(&crate::text::truncate_chars(&rel, 120))
                    ),
                });
            }
            listed += 1;
            if listed > MAX_WALK_LISTINGS {
                return Err(RegistryError::InvalidResponse {
                    message: format!(
                        "{what}: the directory tree has more than {MAX_WALK_LISTINGS} directories; modelgate stopped walking it after {MAX_WALK_LISTINGS} listings"
                    ),
                });
            }
            let dir = join(root, &rel);
            let url = self.http.artifact_listing(&dir)?;
            let list: ArtifactList = self.get_page(url, what, MAX_LISTED_FILES).await?;
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
                    dirs.push_back(path);
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
}

/// The proxy path of an artifact URI the server gave, refusing one that
/// would leave the artifact store (`mlflow-artifacts:/../..`).
fn proxied(uri: &str, what: &str) -> Result<String> {
    let path = proxy_path(uri).ok_or_else(|| not_proxied(uri, what))?;
    check_proxy_path(&path).map_err(|_| RegistryError::InvalidResponse {
        message: format!(
            "{what}: the server gave the artifact location `{}`, whose path has `.`, `..` or empty segments; modelgate neither lists nor reads it",
            crate::text::truncate_chars(&crate::text::sanitize_line(&super::redact_userinfo(uri)), 120)
        ),
    })?;
    Ok(path)
}

/// `mlflow-artifacts:/<path>` or `mlflow-artifacts://<authority>/<path>` -> `<path>`.
pub(super) fn proxy_path(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("mlflow-artifacts:")?;
    let rest = match rest.strip_prefix("//") {
        Some(r) => r.split_once('/').map(|(_, p)| p).unwrap_or(""),
        None => rest,
    };
    Some(rest.trim_matches('/').to_owned())
}

/// The server keeps artifacts where modelgate cannot reach them through it.
pub(super) fn not_proxied(uri: &str, what: &str) -> RegistryError {
    RegistryError::InvalidRequest {
        message: format!(
            "{what}: the artifacts live at `{}`, which the MLflow server does not proxy; modelgate reads artifacts only through the server, so start it with `--serve-artifacts --artifacts-destination <location>` (the default since MLflow 2 unless `--default-artifact-root` or `--no-serve-artifacts` is given) and log new runs to it",
            crate::text::sanitize(&super::redact_userinfo(uri))
        ),
    }
}

/// A listing entry's name relative to the listed directory (the proxy sends
/// base names; other servers send paths from the root).
pub(super) fn entry_name(path: &str, dir: &str) -> Option<String> {
    let prefix = format!("{}/", dir.trim_end_matches('/'));
    let name = path.strip_prefix(&prefix).unwrap_or(path);
    let name = name.trim_end_matches('/');
    (!name.is_empty() && !name.contains('/') && name != "." && name != "..")
        .then(|| name.to_owned())
}

pub(super) fn join(dir: &str, path: &str) -> String {
    match (dir.is_empty(), path.is_empty()) {
        (true, _) => path.to_owned(),
        (_, true) => dir.to_owned(),
        _ => format!("{dir}/{path}"),
    }
}
