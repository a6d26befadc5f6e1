//! The JSON of MLflow's REST API 2.0 (MLflow 3.x), as far as modelgate reads it.
//!
//! Every field the server may leave out has a default: MLflow omits empty lists
//! and empty strings, and older servers lack newer fields. 64-bit integers are
//! accepted as numbers or strings (protobuf's JSON mapping writes them as strings).
//!
//! Answers are parsed into these types directly, never through a generic
//! `serde_json::Value` tree, and every list is a `List`: `parse_bounded` caps
//! the entries of the page itself and of all lists together, so a huge answer
//! under the byte cap cannot take many times its size in memory.

use std::cell::Cell;

use serde::{Deserialize, Deserializer};

use crate::num::Num;
use crate::registry::{Metric, ModelVersion, RegisteredModel, Run, Tags};

/// The tag MLflow 3 puts on prompts, which live in the model registry too.
pub const PROMPT_TAG: &str = "mlflow.prompt.is_prompt";

/// Entries left for the answer being parsed on this thread (`parse_bounded`),
/// and the most one page may hold.
#[derive(Clone, Copy)]
struct Budget {
    items_left: usize,
    page_max: usize,
}

thread_local! {
    static BUDGET: Cell<Option<Budget>> = const { Cell::new(None) };
}

/// Parses `reader` as `T`, failing once a page (`Page`) holds more than
/// `page_max` entries or all lists together more than `max_items`.
pub fn parse_bounded<T: serde::de::DeserializeOwned>(
    reader: impl std::io::Read,
    page_max: usize,
    max_items: usize,
) -> serde_json::Result<T> {
    struct Reset(Option<Budget>);
    impl Drop for Reset {
        fn drop(&mut self) {
            BUDGET.with(|b| b.set(self.0));
        }
    }
    let _reset = Reset(BUDGET.with(|b| {
        b.replace(Some(Budget {
            items_left: max_items,
            page_max,
        }))
    }));
    // serde_json reads a plain reader byte by byte; a buffer keeps that cheap.
    serde_json::from_reader(std::io::BufReader::with_capacity(64 * 1024, reader))
}

/// Takes one entry from the budget; `page` says it is an entry of the page.
fn take_item<E: serde::de::Error>(count: usize, page: bool) -> Result<(), E> {
    BUDGET.with(|b| match b.get() {
        None => Ok(()),
        Some(mut budget) => {
            if page && count > budget.page_max {
                return Err(E::custom(format!(
                    "more than {} entries on one page, the most modelgate asked for",
                    budget.page_max
                )));
            }
            if budget.items_left == 0 {
                return Err(E::custom(
                    "more entries in one answer than modelgate reads (1,000,000)",
                ));
            }
            budget.items_left -= 1;
            b.set(Some(budget));
            Ok(())
        }
    })
}

macro_rules! bounded_list {
    ($name:ident, $page:expr, $doc:literal) => {
        #[doc = $doc]
        #[derive(Debug)]
        pub struct $name<T>(pub Vec<T>);

        impl<T> Default for $name<T> {
            fn default() -> Self {
                $name(Vec::new())
            }
        }

        impl<T> std::ops::Deref for $name<T> {
            type Target = Vec<T>;
            fn deref(&self) -> &Vec<T> {
                &self.0
            }
        }

        impl<T> IntoIterator for $name<T> {
            type Item = T;
            type IntoIter = std::vec::IntoIter<T>;
            fn into_iter(self) -> Self::IntoIter {
                self.0.into_iter()
            }
        }

        impl<'de, T: Deserialize<'de>> Deserialize<'de> for $name<T> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Visit<T>(std::marker::PhantomData<T>);
                impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visit<T> {
                    type Value = Vec<T>;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a list")
                    }
                    fn visit_seq<A: serde::de::SeqAccess<'de>>(
                        self,
                        mut seq: A,
                    ) -> Result<Vec<T>, A::Error> {
                        let mut out = Vec::new();
                        while let Some(v) = seq.next_element()? {
                            take_item::<A::Error>(out.len() + 1, $page)?;
                            out.push(v);
                        }
                        Ok(out)
                    }
                }
                d.deserialize_seq(Visit(std::marker::PhantomData))
                    .map($name)
            }
        }
    };
}

bounded_list!(
    List,
    false,
    "A list inside an answer, counted against the answer's budget."
);
bounded_list!(
    Page,
    true,
    "The list a paginated answer pages through: at most the page size."
);

#[derive(Debug, Deserialize)]
pub struct KeyValue {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

fn tags(pairs: List<KeyValue>) -> Tags {
    pairs.into_iter().map(|kv| (kv.key, kv.value)).collect()
}

/// MLflow sends "" for a missing description or run id.
fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// An int64 as a JSON number or a decimal string.
fn int64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        N(i64),
        S(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::N(n)) => Ok(Some(n)),
        Some(Raw::S(s)) => s
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("`{s}` is not an integer"))),
    }
}

#[derive(Debug, Deserialize)]
pub struct Alias {
    pub alias: String,
    pub version: String,
}

#[derive(Debug, Deserialize)]
pub struct RegisteredModelWire {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: List<KeyValue>,
    #[serde(default)]
    pub aliases: List<Alias>,
}

impl RegisteredModelWire {
    pub fn is_prompt(&self) -> bool {
        self.tags
            .iter()
            .any(|t| t.key == PROMPT_TAG && t.value.eq_ignore_ascii_case("true"))
    }

    pub fn into_model(self) -> RegisteredModel {
        RegisteredModel {
            name: self.name,
            description: non_empty(self.description),
            tags: tags(self.tags),
            aliases: self
                .aliases
                .into_iter()
                .map(|a| (a.alias, a.version))
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ModelVersionWire {
    pub name: String,
    pub version: String,
    #[serde(default, deserialize_with = "int64")]
    pub creation_timestamp: Option<i64>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub tags: List<KeyValue>,
}

impl ModelVersionWire {
    pub fn is_prompt(&self) -> bool {
        self.tags.iter().any(|t| t.key == PROMPT_TAG)
    }

    pub fn into_version(self) -> ModelVersion {
        ModelVersion {
            name: self.name,
            version: self.version,
            creation_timestamp: self.creation_timestamp.unwrap_or(0),
            source: self.source.unwrap_or_default(),
            run_id: non_empty(self.run_id),
            description: non_empty(self.description),
            tags: tags(self.tags),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct SearchRegisteredModels {
    #[serde(default)]
    pub registered_models: Page<RegisteredModelWire>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct GetRegisteredModel {
    pub registered_model: RegisteredModelWire,
}

#[derive(Debug, Deserialize)]
pub struct SearchModelVersions {
    #[serde(default)]
    pub model_versions: Page<ModelVersionWire>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct GetModelVersion {
    pub model_version: ModelVersionWire,
}

#[derive(Debug, Deserialize)]
pub struct DownloadUri {
    pub artifact_uri: String,
}

#[derive(Debug, Deserialize)]
pub struct MetricWire {
    pub key: String,
    /// NaN and the infinities arrive as strings (PROTOCOL 1).
    pub value: Num,
    #[serde(default, deserialize_with = "int64")]
    pub timestamp: Option<i64>,
    #[serde(default, deserialize_with = "int64")]
    pub step: Option<i64>,
}

impl MetricWire {
    pub fn into_metric(self) -> Metric {
        Metric {
            key: self.key,
            value: self.value.0,
            timestamp: self.timestamp.unwrap_or(0),
            step: self.step.unwrap_or(0),
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct RunInfo {
    #[serde(default)]
    pub run_id: Option<String>,
    /// The pre-2.0 name of `run_id`, still sent by MLflow 3.
    #[serde(default)]
    pub run_uuid: Option<String>,
    #[serde(default)]
    pub experiment_id: Option<String>,
    #[serde(default)]
    pub artifact_uri: Option<String>,
}

impl RunInfo {
    pub fn id(&self) -> Option<&str> {
        self.run_id
            .as_deref()
            .or(self.run_uuid.as_deref())
            .filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RunData {
    #[serde(default)]
    pub metrics: List<MetricWire>,
    #[serde(default)]
    pub params: List<KeyValue>,
    #[serde(default)]
    pub tags: List<KeyValue>,
}

#[derive(Debug, Deserialize)]
pub struct RunWire {
    pub info: RunInfo,
    #[serde(default)]
    pub data: RunData,
}

impl RunWire {
    /// `None` for a run without an id (a malformed answer).
    pub fn into_run(self) -> Option<Run> {
        let run_id = self.info.id()?.to_owned();
        let mut latest: std::collections::BTreeMap<String, f64> = Default::default();
        // runs/get and runs/search already send the latest value of each metric.
        for m in self.data.metrics {
            latest.insert(m.key, m.value.0);
        }
        Some(Run {
            run_id,
            experiment_id: self.info.experiment_id.unwrap_or_default(),
            artifact_uri: self.info.artifact_uri.unwrap_or_default(),
            metrics: latest,
            params: tags(self.data.params),
            tags: tags(self.data.tags),
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct GetRun {
    pub run: RunWire,
}

#[derive(Debug, Deserialize)]
pub struct SearchRuns {
    #[serde(default)]
    pub runs: Page<RunWire>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct MetricHistory {
    #[serde(default)]
    pub metrics: Page<MetricWire>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ArtifactFile {
    pub path: String,
    #[serde(default)]
    pub is_dir: bool,
    #[serde(default, deserialize_with = "int64")]
    pub file_size: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct ArtifactList {
    #[serde(default)]
    pub files: Page<ArtifactFile>,
}

#[derive(Debug, Deserialize)]
pub struct Experiment {
    pub experiment_id: String,
    #[serde(default)]
    pub lifecycle_stage: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct GetExperiment {
    pub experiment: Experiment,
}

#[derive(Debug, Deserialize)]
pub struct CreateExperiment {
    pub experiment_id: String,
}

#[derive(Debug, Deserialize)]
pub struct SearchExperiments {
    #[serde(default)]
    pub experiments: Page<Experiment>,
    #[serde(default)]
    pub next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct CreateModelVersion {
    pub model_version: ModelVersionWire,
}

/// MLflow's error body: `{"error_code": "...", "message": "..."}`.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    /// FastAPI routes (the artifact proxy) answer `{"detail": "..."}`.
    #[serde(default)]
    pub detail: Option<serde_json::Value>,
}

impl ErrorBody {
    /// What the server said, if it said anything.
    pub fn said(&self) -> Option<String> {
        match (&self.error_code, &self.message, &self.detail) {
            (Some(c), Some(m), _) => Some(format!("{c}: {m}")),
            (None, Some(m), _) => Some(m.clone()),
            (Some(c), None, _) => Some(c.clone()),
            (None, None, Some(serde_json::Value::String(d))) => Some(d.clone()),
            (None, None, Some(d)) => Some(d.to_string()),
            (None, None, None) => None,
        }
    }
}

/// `KeyValue` pairs as MLflow's request bodies want them.
pub fn key_values(tags: &Tags) -> Vec<serde_json::Value> {
    tags.iter()
        .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
        .collect()
}

/// A metric value for a request: non-finite values as MLflow's strings.
pub fn metric_value(v: f64) -> serde_json::Value {
    Num::to_json(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_metrics_and_string_integers_parse() {
        let run: GetRun = serde_json::from_str(
            r#"{"run": {"info": {"run_uuid": "abc", "experiment_id": "1"},
                "data": {"metrics": [
                  {"key": "a", "value": "NaN", "timestamp": "5", "step": 2},
                  {"key": "b", "value": "-Infinity"},
                  {"key": "c", "value": 0.25}]}}}"#,
        )
        .unwrap();
        let run = run.run.into_run().unwrap();
        assert_eq!(run.run_id, "abc");
        assert!(run.metrics["a"].is_nan());
        assert_eq!(run.metrics["b"], f64::NEG_INFINITY);
        assert_eq!(run.metrics["c"], 0.25);
        assert!(serde_json::from_str::<MetricWire>(r#"{"key": "x", "value": "lots"}"#).is_err());
    }

    #[test]
    fn empty_strings_are_absent_and_prompts_are_recognised() {
        let v: ModelVersionWire = serde_json::from_str(
            r#"{"name": "p", "version": "1", "description": "", "run_id": "",
                "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}]}"#,
        )
        .unwrap();
        assert!(v.is_prompt());
        let v = v.into_version();
        assert_eq!((v.description, v.run_id), (None, None));
        let m: RegisteredModelWire = serde_json::from_str(
            r#"{"name": "m", "aliases": [{"alias": "champion", "version": "3"}]}"#,
        )
        .unwrap();
        assert!(!m.is_prompt());
        assert_eq!(m.into_model().aliases["champion"], "3");
    }
}
