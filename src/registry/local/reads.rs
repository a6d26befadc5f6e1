//! Queries that load models, versions, runs, metrics and artifacts in few
//! statements.

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension, ToSql, params, params_from_iter};

use super::error::{Fail, Res, invalid, not_found};
use super::validate::parse_version;
use super::{from_bits, placeholders};
use crate::registry::{
    FileInfo, Metric, ModelVersion, RegisteredModel, RegistryError, Run, Tags, check_dir_path,
};

/// `IN (...)` lists are cut into chunks of this many ids.
const IN_CHUNK: usize = 500;

pub(super) fn model_id(c: &Connection, name: &str) -> Res<i64> {
    c.prepare_cached("SELECT model_id FROM registered_models WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?
        .ok_or_else(|| not_found(format!("registered model {name}")))
}

pub(super) fn version_id(c: &Connection, name: &str, version: &str) -> Res<i64> {
    let number = parse_version(version)?;
    c.prepare_cached(
        "SELECT v.version_id FROM model_versions v \
         JOIN registered_models m ON m.model_id = v.model_id \
         WHERE m.name = ?1 AND v.version = ?2",
    )?
    .query_row(params![name, number], |r| r.get(0))
    .optional()?
    .ok_or_else(|| not_found(format!("model version {name}/{version}")))
}

pub(super) fn run_pk(c: &Connection, run_id: &str) -> Res<i64> {
    c.prepare_cached("SELECT run_pk FROM runs WHERE run_id = ?1")?
        .query_row([run_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| not_found(format!("run {run_id}")))
}

/// Every model (or the one `filter` selects) with tags and aliases: three queries.
pub(super) fn load_models(
    c: &Connection,
    filter: &str,
    args: &[&dyn ToSql],
) -> Res<Vec<RegisteredModel>> {
    let mut models = Vec::new();
    let mut index = HashMap::new();
    let sql = format!(
        "SELECT m.model_id, m.name, m.description FROM registered_models m \
         WHERE {filter} ORDER BY m.name"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows = stmt.query(args)?;
    while let Some(row) = rows.next()? {
        index.insert(row.get::<_, i64>(0)?, models.len());
        models.push(RegisteredModel {
            name: row.get(1)?,
            description: row.get(2)?,
            ..RegisteredModel::default()
        });
    }
    let tags = format!(
        "SELECT t.model_id, t.key, t.value FROM registered_models m \
         JOIN model_tags t ON t.model_id = m.model_id WHERE {filter}"
    );
    query_pairs(c, &tags, args, |id, key, value: String| {
        if let Some(model) = index.get(&id).and_then(|&i| models.get_mut(i)) {
            model.tags.insert(key, value);
        }
    })?;
    let aliases = format!(
        "SELECT a.model_id, a.alias, v.version FROM registered_models m \
         JOIN aliases a ON a.model_id = m.model_id \
         JOIN model_versions v ON v.version_id = a.version_id WHERE {filter}"
    );
    query_pairs(c, &aliases, args, |id, alias, version: i64| {
        if let Some(model) = index.get(&id).and_then(|&i| models.get_mut(i)) {
            model.aliases.insert(alias, version.to_string());
        }
    })?;
    Ok(models)
}

/// The versions `filter` selects, ordered by model name and version, with their
/// tags loaded by one more query (never one query per version).
pub(super) fn load_versions(
    c: &Connection,
    filter: &str,
    args: &[&dyn ToSql],
) -> Res<Vec<ModelVersion>> {
    let mut versions = Vec::new();
    let mut index = HashMap::new();
    let sql = format!(
        "SELECT v.version_id, m.name, v.version, v.creation_timestamp, v.source, v.run_id, \
         v.description FROM model_versions v \
         JOIN registered_models m ON m.model_id = v.model_id \
         WHERE {filter} ORDER BY m.name, v.version"
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows = stmt.query(args)?;
    while let Some(row) = rows.next()? {
        index.insert(row.get::<_, i64>(0)?, versions.len());
        versions.push(ModelVersion {
            name: row.get(1)?,
            version: row.get::<_, i64>(2)?.to_string(),
            creation_timestamp: row.get(3)?,
            source: row.get(4)?,
            run_id: row.get(5)?,
            description: row.get(6)?,
            tags: Tags::new(),
        });
    }
    let tags = format!(
        "SELECT t.version_id, t.key, t.value FROM version_tags t WHERE t.version_id IN \
         (SELECT v.version_id FROM model_versions v \
          JOIN registered_models m ON m.model_id = v.model_id WHERE {filter})"
    );
    query_pairs(c, &tags, args, |id, key, value: String| {
        if let Some(version) = index.get(&id).and_then(|&i| versions.get_mut(i)) {
            version.tags.insert(key, value);
        }
    })?;
    Ok(versions)
}

/// Runs `sql`, whose rows are (owner id, key, value), and hands each row to `f`.
fn query_pairs<V: rusqlite::types::FromSql>(
    c: &Connection,
    sql: &str,
    args: impl rusqlite::Params,
    mut f: impl FnMut(i64, String, V),
) -> Res<()> {
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows = stmt.query(args)?;
    while let Some(row) = rows.next()? {
        f(row.get(0)?, row.get(1)?, row.get(2)?);
    }
    Ok(())
}

/// Runs in the order asked for, each once; unknown ids are left out.
pub(super) fn load_runs(c: &Connection, ids: &[String]) -> Res<Vec<Run>> {
    let mut seen = HashSet::new();
    let unique: Vec<&str> = ids
        .iter()
        .map(String::as_str)
        .filter(|id| seen.insert(*id))
        .collect();
    let mut runs = Vec::with_capacity(unique.len());
    for chunk in unique.chunks(IN_CHUNK) {
        let mut found = load_run_chunk(c, chunk)?;
        runs.extend(chunk.iter().filter_map(|id| found.remove(*id)));
    }
    Ok(runs)
}

/// One chunk of runs: four queries whatever the chunk size. Children are selected
/// by the integer `run_pk`, which is much cheaper than joining on the text id.
fn load_run_chunk(c: &Connection, ids: &[&str]) -> Res<HashMap<String, Run>> {
    let sql = format!(
        "SELECT run_pk, run_id, experiment_id, artifact_uri FROM runs WHERE run_id IN ({})",
        placeholders(ids.len())
    );
    let mut by_pk = HashMap::with_capacity(ids.len());
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(ids))?;
    while let Some(row) = rows.next()? {
        let run = Run {
            run_id: row.get(1)?,
            experiment_id: row.get::<_, i64>(2)?.to_string(),
            artifact_uri: row.get(3)?,
            ..Run::default()
        };
        by_pk.insert(row.get::<_, i64>(0)?, run);
    }
    if by_pk.is_empty() {
        return Ok(HashMap::new());
    }
    let pks: Vec<i64> = by_pk.keys().copied().collect();
    let marks = placeholders(pks.len());
    let children = |table: &str, column: &str| {
        format!("SELECT run_pk, key, {column} FROM {table} WHERE run_pk IN ({marks})")
    };
    query_pairs(
        c,
        &children("run_tags", "value"),
        params_from_iter(&pks),
        |pk, k, v| {
            if let Some(run) = by_pk.get_mut(&pk) {
                run.tags.insert(k, v);
            }
        },
    )?;
    query_pairs(
        c,
        &children("run_params", "value"),
        params_from_iter(&pks),
        |pk, k, v| {
            if let Some(run) = by_pk.get_mut(&pk) {
                run.params.insert(k, v);
            }
        },
    )?;
    let latest = children("latest_metrics", "value_bits");
    query_pairs(c, &latest, params_from_iter(&pks), |pk, k, bits| {
        if let Some(run) = by_pk.get_mut(&pk) {
            run.metrics.insert(k, from_bits(bits));
        }
    })?;
    Ok(by_pk.into_values().map(|r| (r.run_id.clone(), r)).collect())
}

pub(super) fn metric_history(c: &Connection, run: i64, key: &str) -> Res<Vec<Metric>> {
    let mut stmt = c.prepare_cached(
        "SELECT step, timestamp, value_bits FROM metrics WHERE run_pk = ?1 AND key = ?2 \
         ORDER BY step, timestamp",
    )?;
    let rows = stmt.query_map(params![run, key], |r| {
        Ok(Metric {
            key: key.to_owned(),
            step: r.get(0)?,
            timestamp: r.get(1)?,
            value: from_bits(r.get(2)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every artifact below `dir` ("" = all), with paths relative to it.
pub(super) fn list_files(c: &Connection, run: i64, dir: &str) -> Res<Vec<FileInfo>> {
    // Paths below `dir/` sort from `dir/` up to `dir0` ('0' follows '/').
    let (prefix, end) = match dir {
        "" => (String::new(), None),
        _ => (format!("{dir}/"), Some(format!("{dir}0"))),
    };
    let mut stmt = c.prepare_cached(
        "SELECT path, length(bytes) FROM artifacts \
         WHERE run_pk = ?1 AND path >= ?2 AND (?3 IS NULL OR path < ?3) ORDER BY path",
    )?;
    let rows = stmt.query_map(params![run, prefix, end], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
    })?;
    let mut files = Vec::new();
    for row in rows {
        let (path, size) = row?;
        files.push(FileInfo {
            path: path.get(prefix.len()..).unwrap_or_default().to_owned(),
            size: u64::try_from(size).unwrap_or(0),
        });
    }
    Ok(files)
}

/// One artifact; its size is checked before the blob is loaded.
pub(super) fn read_file(
    c: &Connection,
    run: i64,
    path: &str,
    max_bytes: u64,
    what: impl Fn() -> String,
) -> Res<Vec<u8>> {
    let found: Option<(i64, i64)> = c
        .prepare_cached(
            "SELECT artifact_id, length(bytes) FROM artifacts WHERE run_pk = ?1 AND path = ?2",
        )?
        .query_row(params![run, path], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (id, size) = found.ok_or_else(|| not_found::<Fail>(what()))?;
    let size = u64::try_from(size).unwrap_or(0);
    if size > max_bytes {
        return Err(Fail::Registry(RegistryError::TooLarge {
            what: what(),
            size,
            limit: max_bytes,
        }));
    }
    let bytes = c
        .prepare_cached("SELECT bytes FROM artifacts WHERE artifact_id = ?1")?
        .query_row([id], |r| r.get(0))?;
    Ok(bytes)
}

/// The run and artifact directory that a version's `runs:/<run_id>/<path>` source names.
pub(super) fn model_dir(c: &Connection, name: &str, version: &str) -> Res<(i64, String)> {
    let id = version_id(c, name, version)?;
    let source: String = c
        .prepare_cached("SELECT source FROM model_versions WHERE version_id = ?1")?
        .query_row([id], |r| r.get(0))?;
    let Some(rest) = source.strip_prefix("runs:/") else {
        return Err(invalid(format!(
            "model version {name}/{version} has source `{source}`; the embedded registry only knows `runs:/<run_id>/<path>` sources"
        )));
    };
    let (run_id, path) = rest.split_once('/').unwrap_or((rest, ""));
    let dir = check_dir_path(path).map_err(|_| {
        invalid::<Fail>(format!(
            "model version {name}/{version} has source `{source}`, whose path is not a plain relative path"
        ))
    })?;
    let run = match run_pk(c, run_id) {
        Err(Fail::Registry(RegistryError::NotFound { .. })) => {
            let what = format!("run {run_id} (the source of model version {name}/{version})");
            return Err(not_found(what));
        }
        other => other?,
    };
    Ok((run, dir.to_owned()))
}

pub(super) fn join_path(dir: &str, path: &str) -> String {
    if dir.is_empty() {
        path.to_owned()
    } else {
        format!("{dir}/{path}")
    }
}
