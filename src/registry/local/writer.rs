//! `RegistryWriter` on the embedded registry: models, runs, metrics, params,
//! artifacts and versions.

use async_trait::async_trait;
use rusqlite::params;

use super::error::invalid;
use super::reads::{model_id, run_pk};
use super::validate::{
    MAX_MODEL_TAG_VALUE_CHARS, MAX_PARAM_VALUE_CHARS, MAX_RUN_TAG_VALUE_CHARS,
    MAX_VERSION_TAG_VALUE_CHARS, check_key, check_model_name, check_tags, check_value,
};
use super::writes::{insert_metric, insert_param, upsert_pair};
use super::{LocalRegistry, now_ms, random_hex};
use crate::registry::{Metric, RegistryWriter, Result, Tags};

#[async_trait]
impl RegistryWriter for LocalRegistry {
    async fn ensure_registered_model(
        &self,
        name: &str,
        description: Option<&str>,
        tags: &Tags,
    ) -> Result<()> {
        check_model_name(name)?;
        check_tags(tags, MAX_MODEL_TAG_VALUE_CHARS)?;
        let (name, description, tags) = (
            name.to_owned(),
            description.map(str::to_owned),
            tags.clone(),
        );
        self.write(move |c| {
            c.execute(
                "INSERT INTO registered_models (name, description, creation_timestamp) \
                 VALUES (?1, ?2, ?3) ON CONFLICT (name) \
                 DO UPDATE SET description = coalesce(excluded.description, description)",
                params![name, description, now_ms()],
            )?;
            let id = model_id(c, &name)?;
            for (key, value) in &tags {
                upsert_pair(c, "model_tags", "model_id", id, key, value)?;
            }
            Ok(())
        })
        .await
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
        check_tags(tags, MAX_RUN_TAG_VALUE_CHARS)?;
        let run_id = random_hex(16)?;
        let (experiment, tags, id) = (experiment.to_owned(), tags.clone(), run_id.clone());
        self.write(move |c| {
            c.execute(
                "INSERT INTO experiments (name, creation_time) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO NOTHING",
                params![experiment, now_ms()],
            )?;
            let experiment_id: i64 = c.query_row(
                "SELECT experiment_id FROM experiments WHERE name = ?1",
                [&experiment],
                |r| r.get(0),
            )?;
            c.execute(
                "INSERT INTO runs (run_id, experiment_id, start_time, artifact_uri) \
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    id,
                    experiment_id,
                    start_time_ms,
                    format!("modelgate-local:/{id}/artifacts")
                ],
            )?;
            let pk = c.last_insert_rowid();
            for (key, value) in &tags {
                upsert_pair(c, "run_tags", "run_pk", pk, key, value)?;
            }
            Ok(id)
        })
        .await
    }

    async fn log_metrics(&self, run_id: &str, metrics: &[Metric]) -> Result<()> {
        for metric in metrics {
            check_key("metric", &metric.key)?;
        }
        let (run_id, metrics) = (run_id.to_owned(), metrics.to_vec());
        self.write(move |c| {
            let pk = run_pk(c, &run_id)?;
            metrics.iter().try_for_each(|m| insert_metric(c, pk, m))
        })
        .await
    }

    async fn log_params(&self, run_id: &str, params: &Tags) -> Result<()> {
        for (key, value) in params {
            check_key("param", key)?;
            check_value("param", key, value, MAX_PARAM_VALUE_CHARS)?;
        }
        let (run_id, params) = (run_id.to_owned(), params.clone());
        self.write(move |c| {
            let pk = run_pk(c, &run_id)?;
            params
                .iter()
                .try_for_each(|(key, value)| insert_param(c, pk, &run_id, key, value))
        })
        .await
    }

    async fn upload_artifact(&self, run_id: &str, path: &str, bytes: &[u8]) -> Result<()> {
        crate::registry::check_artifact_path(path)?;
        let (run_id, path, bytes) = (run_id.to_owned(), path.to_owned(), bytes.to_vec());
        self.write(move |c| {
            let pk = run_pk(c, &run_id)?;
            c.execute(
                "INSERT INTO artifacts (run_pk, path, bytes) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (run_pk, path) DO UPDATE SET bytes = excluded.bytes",
                params![pk, path, bytes],
            )?;
            Ok(())
        })
        .await
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
        check_tags(tags, MAX_VERSION_TAG_VALUE_CHARS)?;
        let name = name.to_owned();
        let (source, description, tags) = (
            source.to_owned(),
            description.map(str::to_owned),
            tags.clone(),
        );
        let run_id = Some(run_id.to_owned()).filter(|r| !r.is_empty());
        self.write(move |c| {
            let model = model_id(c, &name)?;
            let next: i64 = c.query_row(
                "SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE model_id = ?1",
                [model],
                |r| r.get(0),
            )?;
            c.execute(
                "INSERT INTO model_versions \
                 (model_id, version, creation_timestamp, source, run_id, description) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![model, next, now_ms(), source, run_id, description],
            )?;
            let id = c.last_insert_rowid();
            for (key, value) in &tags {
                upsert_pair(c, "version_tags", "version_id", id, key, value)?;
            }
            Ok(next.to_string())
        })
        .await
    }
}
