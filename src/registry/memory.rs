//! A deterministic in-memory registry for the console's snapshots, screenshots,
//! benches and unit tests. The embedded registry draws run ids at random and stamps
//! versions with the wall clock; pictures of the demo must not change from one
//! run to the next, so this one numbers runs and takes "now" as a parameter.
//! It follows the `Registry` contract as far as the console and the demo use it.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{
    FileInfo, Metric, ModelVersion, RegisteredModel, Registry, RegistryError, RegistryWriter,
    Result, Run, Tags,
};

#[derive(Default)]
struct Store {
    models: BTreeMap<String, RegisteredModel>,
    /// (model, version number) -> version.
    versions: BTreeMap<(String, u64), ModelVersion>,
    runs: BTreeMap<String, StoredRun>,
}

#[derive(Default)]
struct StoredRun {
    run: Run,
    history: Vec<Metric>,
    artifacts: BTreeMap<String, Vec<u8>>,
}

pub struct MemoryRegistry {
    label: String,
    now_ms: i64,
    store: Mutex<Store>,
}

fn poisoned() -> RegistryError {
    RegistryError::Unavailable {
        message: "the in-memory registry is unusable after a panic".into(),
    }
}

impl MemoryRegistry {
    /// `label` is what the console shows as the registry; `now_ms` stamps new versions.
    pub fn new(label: &str, now_ms: i64) -> Self {
        MemoryRegistry {
            label: label.to_owned(),
            now_ms,
            store: Mutex::new(Store::default()),
        }
    }

    fn lock(&self) -> Result<MutexGuard<'_, Store>> {
        self.store.lock().map_err(|_| poisoned())
    }
}

/// `runs:/<run>/<dir>` -> (run, dir).
fn model_dir(v: &ModelVersion) -> Result<(String, String)> {
    let rest = v.source.strip_prefix("runs:/").ok_or_else(|| {
        RegistryError::not_found(format!("model directory of {}/{}", v.name, v.version))
    })?;
    let (run, dir) = rest.split_once('/').unwrap_or((rest, ""));
    Ok((run.to_owned(), dir.trim_end_matches('/').to_owned()))
}

fn list_below(artifacts: &BTreeMap<String, Vec<u8>>, dir: &str) -> Vec<FileInfo> {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    artifacts
        .iter()
        .filter_map(|(p, b)| {
            p.strip_prefix(&prefix).map(|rel| FileInfo {
                path: rel.to_owned(),
                size: b.len() as u64,
            })
        })
        .collect()
}

fn read_limited(bytes: Option<&Vec<u8>>, what: String, max: u64) -> Result<Vec<u8>> {
    let b = bytes.ok_or_else(|| RegistryError::not_found(what.clone()))?;
    if b.len() as u64 > max {
        return Err(RegistryError::TooLarge {
            what,
            size: b.len() as u64,
            limit: max,
        });
    }
    Ok(b.clone())
}

impl Store {
    fn version(&self, name: &str, version: &str) -> Result<&ModelVersion> {
        version
            .parse::<u64>()
            .ok()
            .and_then(|n| self.versions.get(&(name.to_owned(), n)))
            .ok_or_else(|| RegistryError::not_found(format!("model version {name}/{version}")))
    }

    fn run(&self, id: &str) -> Result<&StoredRun> {
        self.runs
            .get(id)
            .ok_or_else(|| RegistryError::not_found(format!("run {id}")))
    }
}

#[async_trait]
impl Registry for MemoryRegistry {
    fn registry_id(&self) -> &str {
        "memory:demo"
    }

    fn describe(&self) -> String {
        self.label.clone()
    }

    async fn list_registered_models(&self) -> Result<Vec<RegisteredModel>> {
        Ok(self.lock()?.models.values().cloned().collect())
    }

    async fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        self.lock()?
            .models
            .get(name)
            .cloned()
            .ok_or_else(|| RegistryError::not_found(format!("registered model {name}")))
    }

    async fn list_versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        let s = self.lock()?;
        if !s.models.contains_key(name) {
            return Err(RegistryError::not_found(format!("registered model {name}")));
        }
        Ok(s.versions
            .iter()
            .filter(|((m, _), _)| m == name)
            .map(|(_, v)| v.clone())
            .collect())
    }

    async fn search_versions_by_tag(&self, key: &str, value: &str) -> Result<Vec<ModelVersion>> {
        Ok(self
            .lock()?
            .versions
            .values()
            .filter(|v| v.tags.get(key).is_some_and(|t| t == value))
            .cloned()
            .collect())
    }

    async fn get_version(&self, name: &str, version: &str) -> Result<ModelVersion> {
        self.lock()?.version(name, version).cloned()
    }

    async fn get_runs(&self, run_ids: &[String]) -> Result<Vec<Run>> {
        let s = self.lock()?;
        Ok(run_ids
            .iter()
            .filter_map(|id| s.runs.get(id).map(|r| r.run.clone()))
            .collect())
    }

    async fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>> {
        let s = self.lock()?;
        let mut h: Vec<Metric> = s
            .run(run_id)?
            .history
            .iter()
            .filter(|m| m.key == key)
            .cloned()
            .collect();
        h.sort_by_key(|m| (m.step, m.timestamp));
        Ok(h)
    }

    async fn list_run_artifacts(&self, run_id: &str, path: &str) -> Result<Vec<FileInfo>> {
        let s = self.lock()?;
        Ok(list_below(
            &s.run(run_id)?.artifacts,
            path.trim_end_matches('/'),
        ))
    }

    async fn read_run_artifact(&self, run_id: &str, path: &str, max_bytes: u64) -> Result<Vec<u8>> {
        let s = self.lock()?;
        read_limited(
            s.run(run_id)?.artifacts.get(path),
            format!("artifact {path} of run {run_id}"),
            max_bytes,
        )
    }

    async fn list_model_files(&self, name: &str, version: &str) -> Result<Vec<FileInfo>> {
        let s = self.lock()?;
        let (run, dir) = model_dir(s.version(name, version)?)?;
        Ok(list_below(&s.run(&run)?.artifacts, &dir))
    }

    async fn read_model_file(
        &self,
        name: &str,
        version: &str,
        path: &str,
        max_bytes: u64,
    ) -> Result<Vec<u8>> {
        let s = self.lock()?;
        let (run, dir) = model_dir(s.version(name, version)?)?;
        let full = if dir.is_empty() {
            path.to_owned()
        } else {
            format!("{dir}/{path}")
        };
        read_limited(
            s.run(&run)?.artifacts.get(&full),
            format!("file {path} of model version {name}/{version}"),
            max_bytes,
        )
    }

    async fn set_version_tag(
        &self,
        name: &str,
        version: &str,
        key: &str,
        value: &str,
    ) -> Result<()> {
        let mut s = self.lock()?;
        let n = s
            .version(name, version)?
            .version
            .parse::<u64>()
            .unwrap_or(0);
        if let Some(v) = s.versions.get_mut(&(name.to_owned(), n)) {
            v.tags.insert(key.to_owned(), value.to_owned());
        }
        Ok(())
    }

    async fn delete_version_tag(&self, name: &str, version: &str, key: &str) -> Result<()> {
        let mut s = self.lock()?;
        let n = s
            .version(name, version)?
            .version
            .parse::<u64>()
            .unwrap_or(0);
        match s
            .versions
            .get_mut(&(name.to_owned(), n))
            .and_then(|v| v.tags.remove(key))
        {
            Some(_) => Ok(()),
            None => Err(RegistryError::not_found(format!(
                "tag {key} of model version {name}/{version}"
            ))),
        }
    }

    async fn set_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        let mut s = self.lock()?;
        let m = s
            .models
            .get_mut(name)
            .ok_or_else(|| RegistryError::not_found(format!("registered model {name}")))?;
        m.tags.insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    async fn delete_model_tag(&self, name: &str, key: &str) -> Result<()> {
        let mut s = self.lock()?;
        s.models
            .get_mut(name)
            .and_then(|m| m.tags.remove(key))
            .map(|_| ())
            .ok_or_else(|| RegistryError::not_found(format!("tag {key} of model {name}")))
    }

    async fn set_alias(&self, name: &str, alias: &str, version: &str) -> Result<()> {
        let mut s = self.lock()?;
        s.version(name, version)?;
        if let Some(m) = s.models.get_mut(name) {
            m.aliases.insert(alias.to_owned(), version.to_owned());
        }
        Ok(())
    }

    async fn delete_alias(&self, name: &str, alias: &str) -> Result<()> {
        let mut s = self.lock()?;
        s.models
            .get_mut(name)
            .and_then(|m| m.aliases.remove(alias))
            .map(|_| ())
            .ok_or_else(|| RegistryError::not_found(format!("alias {alias} of model {name}")))
    }
}

#[async_trait]
impl RegistryWriter for MemoryRegistry {
    async fn ensure_registered_model(
        &self,
        name: &str,
        description: Option<&str>,
        tags: &Tags,
    ) -> Result<()> {
        let mut s = self.lock()?;
        let m = s
            .models
            .entry(name.to_owned())
            .or_insert_with(|| RegisteredModel {
                name: name.to_owned(),
                ..Default::default()
            });
        if let Some(d) = description {
            m.description = Some(d.to_owned());
        }
        m.tags.extend(tags.clone());
        Ok(())
    }

    async fn create_run(
        &self,
        experiment: &str,
        _start_time_ms: i64,
        tags: &Tags,
    ) -> Result<String> {
        let mut s = self.lock()?;
        // Numbered, so that every picture of the demo names the same runs.
        let id = format!("{:032x}", s.runs.len() + 1);
        s.runs.insert(
            id.clone(),
            StoredRun {
                run: Run {
                    run_id: id.clone(),
                    experiment_id: experiment.to_owned(),
                    artifact_uri: format!("memory:/{id}/artifacts"),
                    tags: tags.clone(),
                    ..Default::default()
                },
                ..Default::default()
            },
        );
        Ok(id)
    }

    async fn log_metrics(&self, run_id: &str, metrics: &[Metric]) -> Result<()> {
        let mut s = self.lock()?;
        let r = s
            .runs
            .get_mut(run_id)
            .ok_or_else(|| RegistryError::not_found(format!("run {run_id}")))?;
        r.history.extend(metrics.iter().cloned());
        // Latest value: highest step, then latest timestamp (as the embedded registry).
        let mut latest: BTreeMap<String, (i64, i64, f64)> = BTreeMap::new();
        for m in &r.history {
            let e = latest
                .entry(m.key.clone())
                .or_insert((m.step, m.timestamp, m.value));
            if (m.step, m.timestamp) >= (e.0, e.1) {
                *e = (m.step, m.timestamp, m.value);
            }
        }
        r.run.metrics = latest.into_iter().map(|(k, v)| (k, v.2)).collect();
        Ok(())
    }

    async fn log_params(&self, run_id: &str, params: &Tags) -> Result<()> {
        let mut s = self.lock()?;
        let r = s
            .runs
            .get_mut(run_id)
            .ok_or_else(|| RegistryError::not_found(format!("run {run_id}")))?;
        r.run.params.extend(params.clone());
        Ok(())
    }

    async fn upload_artifact(&self, run_id: &str, path: &str, bytes: &[u8]) -> Result<()> {
        let mut s = self.lock()?;
        let r = s
            .runs
            .get_mut(run_id)
            .ok_or_else(|| RegistryError::not_found(format!("run {run_id}")))?;
        r.artifacts.insert(path.to_owned(), bytes.to_vec());
        Ok(())
    }

    async fn create_model_version(
        &self,
        name: &str,
        source: &str,
        run_id: &str,
        description: Option<&str>,
        tags: &Tags,
    ) -> Result<String> {
        let mut s = self.lock()?;
        if !s.models.contains_key(name) {
            return Err(RegistryError::not_found(format!("registered model {name}")));
        }
        let next = s
            .versions
            .keys()
            .filter(|(m, _)| m == name)
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0)
            + 1;
        s.versions.insert(
            (name.to_owned(), next),
            ModelVersion {
                name: name.to_owned(),
                version: next.to_string(),
                creation_timestamp: self.now_ms,
                source: source.to_owned(),
                run_id: Some(run_id.to_owned()).filter(|r| !r.is_empty()),
                description: description.map(str::to_owned),
                tags: tags.clone(),
            },
        );
        Ok(next.to_string())
    }
}
