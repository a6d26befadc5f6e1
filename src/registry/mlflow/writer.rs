//! `RegistryWriter` for `demo --mlflow`: models, runs, metrics, params,
//! artifact uploads and versions over REST.

use async_trait::async_trait;
use reqwest::Method;
use serde_json::json;

use super::artifacts::proxy_path;
use super::client::Retry;
use super::wire::*;
use super::{MlflowRegistry, invalid, lock};
use crate::registry::{Metric, Registry, RegistryError, RegistryWriter, Result, Tags};

/// MLflow's `runs/log-batch` limits.
const METRIC_BATCH: usize = 1000;
const PARAM_BATCH: usize = 100;

impl MlflowRegistry {
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
            .call::<serde::de::IgnoredAny>(
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
                    self.call::<serde::de::IgnoredAny>(
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
            self.call::<serde::de::IgnoredAny>(
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
            self.call::<serde::de::IgnoredAny>(
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
        let (url, what) = self.run_artifact(run_id, path).await?;
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
