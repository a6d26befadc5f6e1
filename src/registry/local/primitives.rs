//! The `Registry` primitives (PROTOCOL 1) on the embedded registry.

use async_trait::async_trait;
use rusqlite::params;

use super::LocalRegistry;
use super::error::not_found;
use super::reads::{
    join_path, list_files, load_models, load_runs, load_versions, metric_history, model_dir,
    model_id, read_file, run_pk, version_id,
};
use super::schema::SEARCH_INDEX_MAX_CHARS;
use super::validate::{
    MAX_MODEL_TAG_VALUE_CHARS, MAX_VERSION_TAG_VALUE_CHARS, check_alias, check_key, check_value,
    parse_version,
};
use super::writes::upsert_pair;
use crate::registry::{
    FileInfo, Metric, ModelVersion, RegisteredModel, Registry, Result, Run, check_dir_path,
};

#[async_trait]
impl Registry for LocalRegistry {
    fn registry_id(&self) -> &str {
        &self.registry_id
    }

    fn describe(&self) -> String {
        self.label.clone()
    }

    async fn list_registered_models(&self) -> Result<Vec<RegisteredModel>> {
        self.read(|c| load_models(c, "1", &[])).await
    }

    async fn get_registered_model(&self, name: &str) -> Result<RegisteredModel> {
        let name = name.to_owned();
        self.read(move |c| {
            load_models(c, "m.name = ?1", &[&name])?
                .pop()
                .ok_or_else(|| not_found(format!("registered model {name}")))
        })
        .await
    }

    async fn list_versions(&self, name: &str) -> Result<Vec<ModelVersion>> {
        let name = name.to_owned();
        self.read(move |c| {
            model_id(c, &name)?;
            load_versions(c, "m.name = ?1", &[&name])
        })
        .await
    }

    async fn search_versions_by_tag(&self, key: &str, value: &str) -> Result<Vec<ModelVersion>> {
        let (key, value) = (key.to_owned(), value.to_owned());
        // The partial index serves only queries that repeat its condition.
        let indexed = match value.chars().count() <= SEARCH_INDEX_MAX_CHARS {
            true => format!("AND length(value) <= {SEARCH_INDEX_MAX_CHARS}"),
            false => String::new(),
        };
        let filter = format!(
            "v.version_id IN (SELECT version_id FROM version_tags \
             WHERE key = ?1 AND value = ?2 {indexed})"
        );
        self.read(move |c| load_versions(c, &filter, &[&key, &value]))
            .await
    }

    async fn get_version(&self, name: &str, version: &str) -> Result<ModelVersion> {
        let (name, version) = (name.to_owned(), version.to_owned());
        self.read(move |c| {
            let number = parse_version(&version)?;
            load_versions(c, "m.name = ?1 AND v.version = ?2", &[&name, &number])?
                .pop()
                .ok_or_else(|| not_found(format!("model version {name}/{version}")))
        })
        .await
    }

    async fn get_runs(&self, run_ids: &[String]) -> Result<Vec<Run>> {
        let ids = run_ids.to_vec();
        self.read(move |c| load_runs(c, &ids)).await
    }

    async fn metric_history(&self, run_id: &str, key: &str) -> Result<Vec<Metric>> {
        let (run_id, key) = (run_id.to_owned(), key.to_owned());
        self.read(move |c| metric_history(c, run_pk(c, &run_id)?, &key))
            .await
    }

    async fn list_run_artifacts(&self, run_id: &str, path: &str) -> Result<Vec<FileInfo>> {
        let (run_id, path) = (run_id.to_owned(), path.to_owned());
        self.read(move |c| {
            let dir = check_dir_path(&path)?;
            list_files(c, run_pk(c, &run_id)?, dir)
        })
        .await
    }

    async fn read_run_artifact(&self, run_id: &str, path: &str, max_bytes: u64) -> Result<Vec<u8>> {
        let (run_id, path) = (run_id.to_owned(), path.to_owned());
        self.read(move |c| {
            crate::registry::check_artifact_path(&path)?;
            let what = || format!("artifact {path} of run {run_id}");
            read_file(c, run_pk(c, &run_id)?, &path, max_bytes, what)
        })
        .await
    }

    async fn list_model_files(&self, name: &str, version: &str) -> Result<Vec<FileInfo>> {
        let (name, version) = (name.to_owned(), version.to_owned());
        self.read(move |c| {
            let (run, dir) = model_dir(c, &name, &version)?;
            list_files(c, run, &dir)
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
        let (name, version, path) = (name.to_owned(), version.to_owned(), path.to_owned());
        self.read(move |c| {
            crate::registry::check_artifact_path(&path)?;
            let (run, dir) = model_dir(c, &name, &version)?;
            let full = join_path(&dir, &path);
            let what = || format!("file {path} of model version {name}/{version}");
            read_file(c, run, &full, max_bytes, what)
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
        check_key("tag", key)?;
        check_value("tag", key, value, MAX_VERSION_TAG_VALUE_CHARS)?;
        let (name, version) = (name.to_owned(), version.to_owned());
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |c| {
            let id = version_id(c, &name, &version)?;
            upsert_pair(c, "version_tags", "version_id", id, &key, &value)
        })
        .await
    }

    async fn delete_version_tag(&self, name: &str, version: &str, key: &str) -> Result<()> {
        check_key("tag", key)?;
        let (name, version, key) = (name.to_owned(), version.to_owned(), key.to_owned());
        self.write(move |c| {
            let id = version_id(c, &name, &version)?;
            let sql = "DELETE FROM version_tags WHERE version_id = ?1 AND key = ?2";
            if c.execute(sql, params![id, key])? == 0 {
                return Err(not_found(format!(
                    "tag {key} of model version {name}/{version}"
                )));
            }
            Ok(())
        })
        .await
    }

    async fn set_model_tag(&self, name: &str, key: &str, value: &str) -> Result<()> {
        check_key("tag", key)?;
        check_value("tag", key, value, MAX_MODEL_TAG_VALUE_CHARS)?;
        let (name, key, value) = (name.to_owned(), key.to_owned(), value.to_owned());
        self.write(move |c| {
            let id = model_id(c, &name)?;
            upsert_pair(c, "model_tags", "model_id", id, &key, &value)
        })
        .await
    }

    async fn delete_model_tag(&self, name: &str, key: &str) -> Result<()> {
        check_key("tag", key)?;
        let (name, key) = (name.to_owned(), key.to_owned());
        self.write(move |c| {
            let id = model_id(c, &name)?;
            let sql = "DELETE FROM model_tags WHERE model_id = ?1 AND key = ?2";
            if c.execute(sql, params![id, key])? == 0 {
                return Err(not_found(format!("tag {key} of registered model {name}")));
            }
            Ok(())
        })
        .await
    }

    async fn set_alias(&self, name: &str, alias: &str, version: &str) -> Result<()> {
        check_alias(alias)?;
        let (name, alias, version) = (name.to_owned(), alias.to_owned(), version.to_owned());
        self.write(move |c| {
            let model = model_id(c, &name)?;
            let version = version_id(c, &name, &version)?;
            c.execute(
                "INSERT INTO aliases (model_id, alias, version_id) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (model_id, alias) DO UPDATE SET version_id = excluded.version_id",
                params![model, alias, version],
            )?;
            Ok(())
        })
        .await
    }

    async fn delete_alias(&self, name: &str, alias: &str) -> Result<()> {
        check_alias(alias)?;
        let (name, alias) = (name.to_owned(), alias.to_owned());
        self.write(move |c| {
            let model = model_id(c, &name)?;
            let sql = "DELETE FROM aliases WHERE model_id = ?1 AND alias = ?2";
            if c.execute(sql, params![model, alias])? == 0 {
                return Err(not_found(format!(
                    "alias {alias} of registered model {name}"
                )));
            }
            Ok(())
        })
        .await
    }
}
