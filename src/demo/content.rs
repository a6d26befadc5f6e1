//! Builds everything one demo version consists of (run, metrics, artifacts,
//! tags) as plain data, without touching a registry, so it can be checked alone.

use anyhow::Context;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::catalog::{Col, Format, Kind, MetricSpec, ModelSpec, Review, Scan, Schema, VersionSpec};
use super::rng::Rng;
use crate::registry::{Metric, Tags};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Steps of every metric history: enough for a sparkline.
const HISTORY_STEPS: i64 = 10;
const MLFLOW_VERSION: &str = "3.17.2";
const SKLEARN_VERSION: &str = "1.9.1";
const PYTHON_VERSION: &str = "3.11.7";

/// Everything `populate` writes for one version.
#[derive(Debug, Clone)]
pub(crate) struct VersionPlan {
    pub experiment: String,
    pub start_ms: i64,
    pub run_tags: Tags,
    pub params: Tags,
    pub metrics: Vec<Metric>,
    /// Run-relative path (`model/MLmodel`, `modelgate/fairness.json`) and bytes.
    pub artifacts: Vec<(String, Vec<u8>)>,
    pub description: Option<String>,
    pub tags: Tags,
}

/// An input column of one version.
#[derive(Debug, Clone, PartialEq)]
struct Input {
    name: &'static str,
    ty: &'static str,
    required: bool,
    importance: f64,
}

pub(crate) fn plan_version(
    model: &ModelSpec,
    number: usize,
    seed: u64,
    now_ms: i64,
) -> anyhow::Result<VersionPlan> {
    let spec = model
        .versions
        .get(number.wrapping_sub(1))
        .with_context(|| format!("{} has no version {number} in the demo catalog", model.name))?;
    let label = format!("{}/{number}", model.name);
    let mut rng = |purpose: &str| Rng::for_label(seed, &format!("{label}/{purpose}"));
    let (start_ms, submitted_ms) = timing(spec, now_ms, &mut rng("time"));
    let inputs = inputs(model, spec);
    let metrics = metrics(model, spec, start_ms, &mut rng("metrics"));
    let mut artifacts = model_dir(model, spec, &inputs, start_ms, &mut rng("model"))?;
    let report = Report {
        model,
        number,
        spec,
        inputs: &inputs,
        metrics: &metrics,
        start_ms,
    };
    artifacts.extend(report.files(&mut rng)?);
    Ok(VersionPlan {
        experiment: model.name.to_owned(),
        start_ms,
        run_tags: run_tags(model, spec, &mut rng("run")),
        params: params(model, &inputs, &mut rng("params")),
        metrics,
        artifacts,
        description: Some(spec.description.to_owned()).filter(|d| !d.is_empty()),
        tags: version_tags(spec, submitted_ms)?,
    })
}

/// Run start and, for pending versions, submission time. Jitter stays well
/// inside the SLA margins chosen in the catalog.
fn timing(spec: &VersionSpec, now_ms: i64, rng: &mut Rng) -> (i64, Option<i64>) {
    match spec.review {
        Review::Pending { hours_ago, .. } => {
            let submitted = now_ms - hours_ms(hours_ago) - minutes_ms(rng.below(45));
            (
                submitted - 6 * HOUR_MS - minutes_ms(rng.below(60)),
                Some(submitted),
            )
        }
        _ => (
            now_ms - (spec.days_ago * DAY_MS as f64) as i64 - minutes_ms(rng.below(180)),
            None,
        ),
    }
}

fn hours_ms(hours: f64) -> i64 {
    (hours * HOUR_MS as f64) as i64
}

fn minutes_ms(minutes: u64) -> i64 {
    minutes as i64 * 60_000
}

fn datetime(ms: i64) -> anyhow::Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
        .with_context(|| format!("demo time {ms} ms is out of range"))
}

/// Python's `datetime.isoformat(sep)` of a naive UTC time, with random
/// microseconds as a real producer would have them.
fn python_time(ms: i64, sep: char, rng: &mut Rng) -> anyhow::Result<String> {
    let seconds = datetime(ms)?
        .format(&format!("%Y-%m-%d{sep}%H:%M:%S"))
        .to_string();
    Ok(format!("{seconds}.{:06}", rng.below(1_000_000)))
}

/// RFC 3339 UTC with seconds, as PROTOCOL 4 asks for `modelgate.submitted_at`.
fn rfc3339(ms: i64) -> anyhow::Result<String> {
    Ok(datetime(ms)?.to_rfc3339_opts(SecondsFormat::Secs, true))
}

fn version_tags(spec: &VersionSpec, submitted_ms: Option<i64>) -> anyhow::Result<Tags> {
    let mut tags = Tags::new();
    match (spec.review, submitted_ms) {
        (Review::Pending { by, .. }, Some(at)) => {
            tags.insert("modelgate.review".into(), "pending".into());
            tags.insert("modelgate.submitted_at".into(), rfc3339(at)?);
            tags.insert("modelgate.submitted_by".into(), by.into());
        }
        (Review::Tagged(state), _) => {
            tags.insert("modelgate.review".into(), state.into());
        }
        _ => {}
    }
    Ok(tags)
}

/// The version's input columns: the champion's, changed as the catalog says.
fn inputs(model: &ModelSpec, spec: &VersionSpec) -> Vec<Input> {
    let base = |c: &Col| Input {
        name: c.name,
        ty: c.ty,
        required: true,
        importance: c.importance,
    };
    let mut cols: Vec<Input> = model.inputs.iter().map(base).collect();
    match spec.schema {
        Schema::Same => {}
        Schema::Drop(name) => cols.retain(|c| c.name != name),
        Schema::Retype(name, ty) => cols
            .iter_mut()
            .filter(|c| c.name == name)
            .for_each(|c| c.ty = ty),
        Schema::AddOptional(name, ty, importance) => cols.push(Input {
            name,
            ty,
            required: false,
            importance,
        }),
    }
    cols
}

const ADJECTIVES: &[&str] = &[
    "amber", "brisk", "calm", "daring", "eager", "gentle", "lucid", "mellow", "nimble", "quiet",
    "sturdy", "witty",
];
const ANIMALS: &[&str] = &[
    "badger", "crane", "finch", "gecko", "heron", "lynx", "marten", "otter", "puffin", "stoat",
    "wren", "yak",
];

fn run_tags(model: &ModelSpec, spec: &VersionSpec, rng: &mut Rng) -> Tags {
    // MLflow names runs adjective-animal-number when the user does not.
    let run_name = format!(
        "{}-{}-{}",
        rng.pick(ADJECTIVES),
        rng.pick(ANIMALS),
        100 + rng.below(900)
    );
    let mut tags = Tags::new();
    tags.insert("mlflow.user".into(), spec.author.into());
    tags.insert("mlflow.runName".into(), run_name);
    tags.insert("mlflow.source.name".into(), model.train_script.into());
    tags.insert("mlflow.source.type".into(), "JOB".into());
    tags.insert("mlflow.source.git.commit".into(), rng.hex(20));
    tags
}

fn params(model: &ModelSpec, inputs: &[Input], rng: &mut Rng) -> Tags {
    let mut params: Tags = model
        .params
        .iter()
        .map(|(k, choices)| ((*k).to_owned(), rng.pick(choices).to_owned()))
        .collect();
    params.insert("estimator".into(), short_class(model.estimator).into());
    params.insert("n_features".into(), inputs.len().to_string());
    params
}

fn short_class(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

fn round(v: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (v * scale).round() / scale
}

fn value_at(m: &MetricSpec, quality: f64) -> f64 {
    round(m.worst + (m.best - m.worst) * quality, m.decimals)
}

/// The final quality of one metric: the override, else the version's with jitter.
fn final_quality(spec: &VersionSpec, metric: &str, rng: &mut Rng) -> f64 {
    let jitter = rng.jitter(0.02);
    match spec.overrides.iter().find(|(name, _)| *name == metric) {
        Some((_, q)) => *q,
        None => spec.quality + jitter,
    }
}

fn metrics(model: &ModelSpec, spec: &VersionSpec, start_ms: i64, rng: &mut Rng) -> Vec<Metric> {
    model
        .metrics
        .iter()
        .flat_map(|m| history(m, spec, start_ms, rng))
        .collect()
}

/// A training curve that converges on the final value, or benchmark rounds
/// scattered around it. The last step holds the final (latest) value.
fn history(m: &MetricSpec, spec: &VersionSpec, start_ms: i64, rng: &mut Rng) -> Vec<Metric> {
    let q = final_quality(spec, m.name, rng);
    // A NaN final value (MAPE over zero demand) still has a finite curve before it.
    let curve_q = if q.is_nan() { spec.quality } else { q };
    let last = HISTORY_STEPS - 1;
    let final_value = if q.is_nan() { f64::NAN } else { value_at(m, q) };
    (0..HISTORY_STEPS)
        .map(|step| {
            let value = if step == last {
                final_value
            } else {
                match m.kind {
                    Kind::Trained => {
                        let remaining = 1.0 - step as f64 / last as f64;
                        value_at(m, curve_q - 0.6 * remaining * remaining + rng.jitter(0.01))
                    }
                    Kind::Measured => {
                        round(value_at(m, curve_q) * (1.0 + rng.jitter(0.06)), m.decimals)
                    }
                }
            };
            let timestamp = match m.kind {
                Kind::Trained => start_ms + (step + 1) * 120_000,
                Kind::Measured => {
                    start_ms + (step + 1) * 120_000 + HISTORY_STEPS * 120_000 + step * 10_000
                }
            };
            Metric {
                key: m.name.to_owned(),
                value,
                timestamp,
                step,
            }
        })
        .collect()
}

/// Latest value of each metric, as the registry will report it.
pub(crate) fn latest(metrics: &[Metric]) -> impl Iterator<Item = &Metric> {
    metrics.iter().filter(|m| m.step == HISTORY_STEPS - 1)
}

// ---------------------------------------------------------------- model dir

/// Python's `json.dumps` layout, which MLflow uses for signatures.
fn signature_inputs(inputs: &[Input]) -> String {
    let cols: Vec<String> = inputs
        .iter()
        .map(|c| {
            format!(
                r#"{{"type": "{}", "name": "{}", "required": {}}}"#,
                c.ty, c.name, c.required
            )
        })
        .collect();
    format!("[{}]", cols.join(", "))
}

/// A single-quoted YAML scalar folded at spaces near 80 columns, the way
/// PyYAML writes long signatures (readers must unfold it).
fn yaml_folded(key_prefix: &str, value: &str) -> String {
    let escaped = value.replace('\'', "''");
    let mut out = format!("{key_prefix}'");
    let mut line_len = out.len();
    for (i, word) in escaped.split(' ').enumerate() {
        if i > 0 {
            if line_len + 1 + word.len() > 80 {
                out.push_str("\n    ");
                line_len = 4;
            } else {
                out.push(' ');
                line_len += 1;
            }
        }
        out.push_str(word);
        line_len += word.len();
    }
    out.push_str("'\n");
    out
}

fn mlmodel(model: &ModelSpec, inputs: &[Input], size: usize, uuid: &str, created: &str) -> String {
    let file = model.format.file_name();
    let sklearn = match model.format {
        Format::Pickle => {
            format!("    pickled_model: {file}\n    serialization_format: cloudpickle\n")
        }
        Format::Skops => format!(
            "    pickled_model: {file}\n    serialization_format: skops\n    skops_trusted_types:\n    - sklearn.tree._tree.Tree\n"
        ),
    };
    format!(
        "flavors:\n  python_function:\n    env:\n      conda: conda.yaml\n      virtualenv: python_env.yaml\n    loader_module: mlflow.sklearn\n    model_path: {file}\n    predict_fn: predict\n    python_version: {PYTHON_VERSION}\n  sklearn:\n    code: null\n{sklearn}    sklearn_version: {SKLEARN_VERSION}\nis_signature_from_type_hint: false\nmlflow_version: {MLFLOW_VERSION}\nmodel_id: null\nmodel_size_bytes: {size}\nmodel_uuid: {uuid}\nprompts: null\nsignature:\n{inputs}{outputs}  params: null\ntype_hint_from_example: false\nutc_time_created: '{created}'\n",
        inputs = yaml_folded("  inputs: ", &signature_inputs(inputs)),
        outputs = yaml_folded("  outputs: ", model.outputs),
    )
}

fn requirements(model: &ModelSpec) -> String {
    let serializer = match model.format {
        Format::Pickle => "cloudpickle==3.1.1",
        Format::Skops => "skops==0.13.0",
    };
    format!(
        "mlflow=={MLFLOW_VERSION}\n{serializer}\nnumpy==2.3.4\npandas==2.3.3\nscikit-learn=={SKLEARN_VERSION}\nscipy==1.16.3\n"
    )
}

fn conda_yaml(requirements: &str) -> String {
    let pip: String = requirements.lines().map(|l| format!("  - {l}\n")).collect();
    format!(
        "channels:\n- conda-forge\ndependencies:\n- python={PYTHON_VERSION}\n- pip<=25.2\n- pip:\n{pip}name: mlflow-env\n"
    )
}

fn python_env_yaml() -> String {
    format!(
        "python: {PYTHON_VERSION}\nbuild_dependencies:\n- pip==25.2\n- setuptools==80.9.0\n- wheel==0.45.1\ndependencies:\n- -r requirements.txt\n"
    )
}

/// Pickle opcodes that push `module.name` as a global (SHORT_BINUNICODE x2, STACK_GLOBAL).
fn pickle_global(out: &mut Vec<u8>, module: &str, name: &str) {
    for part in [module, name] {
        out.push(0x8c);
        out.push(u8::try_from(part.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(part.as_bytes());
        out.push(0x94);
    }
    out.push(0x93);
}

/// A few KB that look like the serialised estimator; the body is noise. The
/// HIGH-severity case embeds the `requests.api.get` global modelscan flags.
fn model_bytes(model: &ModelSpec, spec: &VersionSpec, rng: &mut Rng) -> Vec<u8> {
    let mut body = vec![0u8; 2048 + rng.below(4096) as usize];
    rng.fill(&mut body);
    let (module, class) = model
        .estimator
        .rsplit_once('.')
        .unwrap_or(("sklearn", model.estimator));
    let mut out = Vec::with_capacity(body.len() + 128);
    match model.format {
        Format::Pickle => {
            out.extend_from_slice(&[0x80, 0x05, 0x95]);
            out.extend_from_slice(&(body.len() as u64 + 96).to_le_bytes());
            if spec.scan == Scan::RanWithHigh {
                pickle_global(&mut out, "requests.api", "get");
            }
            pickle_global(&mut out, module, class);
            out.extend_from_slice(&body);
            out.push(b'.');
        }
        Format::Skops => {
            out.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x08\x00");
            out.extend_from_slice(b"schema.json");
            out.extend_from_slice(
                format!(r#"{{"__class__": "{class}", "__module__": "{module}", "protocol": 2}}"#)
                    .as_bytes(),
            );
            out.extend_from_slice(&body);
        }
    }
    out
}

/// The files of `model/` in the run artifacts (the version's model directory).
fn model_dir(
    model: &ModelSpec,
    spec: &VersionSpec,
    inputs: &[Input],
    start_ms: i64,
    rng: &mut Rng,
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let reqs = requirements(model);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (
            model.format.file_name().to_owned(),
            model_bytes(model, spec, rng),
        ),
        ("conda.yaml".to_owned(), conda_yaml(&reqs).into_bytes()),
        ("python_env.yaml".to_owned(), python_env_yaml().into_bytes()),
        ("requirements.txt".to_owned(), reqs.into_bytes()),
    ];
    let size: usize = files.iter().map(|(_, b)| b.len()).sum();
    let created = python_time(start_ms + 25 * 60_000, ' ', rng)?;
    files.push((
        "MLmodel".to_owned(),
        mlmodel(model, inputs, size, &rng.hex(16), &created).into_bytes(),
    ));
    Ok(files
        .into_iter()
        .map(|(name, bytes)| (format!("model/{name}"), bytes))
        .collect())
}

// ---------------------------------------------------------------- reports

/// What the reports of one version are written from.
struct Report<'a> {
    model: &'a ModelSpec,
    number: usize,
    spec: &'a VersionSpec,
    inputs: &'a [Input],
    metrics: &'a [Metric],
    start_ms: i64,
}

impl Report<'_> {
    /// The `modelgate/` files the catalog gives this version.
    fn files(&self, rng: &mut impl FnMut(&str) -> Rng) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
        let (model, spec) = (self.model, self.spec);
        let mut out = Vec::new();
        let mut push = |name: &str, value: &Value| -> anyhow::Result<()> {
            let text = serde_json::to_string_pretty(value).context("serialising a demo report")?;
            out.push((format!("modelgate/{name}"), text.into_bytes()));
            Ok(())
        };
        if spec.explain && self.inputs.iter().any(|c| c.importance > 0.0) {
            push(
                "explainability.json",
                &explainability(spec, self.inputs, &mut rng("shap")),
            )?;
        }
        if let (true, Some(fairness)) = (spec.fairness, model.fairness) {
            push(
                "fairness.json",
                &fairness_report(&fairness, spec, &mut rng("fairness")),
            )?;
        }
        if spec.scan != Scan::Absent {
            push(
                "security_scan.json",
                &security_scan(model, spec, self.start_ms, &mut rng("scan"))?,
            )?;
        }
        if spec.card {
            out.push((
                "modelgate/model_card.md".to_owned(),
                self.model_card().into_bytes(),
            ));
        }
        Ok(out)
    }

    /// A Markdown model card with a heading, tables and a fenced code block.
    fn model_card(&self) -> String {
        let (model, spec) = (self.model, self.spec);
        // Cards are rendered as Markdown; keep the hostile description out of them.
        let change = if spec
            .description
            .chars()
            .any(|c| c.is_control() || ('\u{202A}'..='\u{202E}').contains(&c))
        {
            "Retrained on the latest cohort."
        } else {
            spec.description
        };
        let metric_rows: String = latest(self.metrics)
            .map(|m| format!("| `{}` | {} |\n", m.key, format_metric(m.value)))
            .collect();
        let input_rows: String = self
            .inputs
            .iter()
            .map(|c| {
                format!(
                    "| `{}` | {} | {} |\n",
                    c.name,
                    c.ty,
                    if c.required { "yes" } else { "no" }
                )
            })
            .collect();
        let limitations: String = model
            .limitations
            .iter()
            .map(|l| format!("- {l}\n"))
            .collect();
        format!(
            "# {name}, version {number}\n\n{description}\n\n## What changed\n\n{change}\n\n## Training\n\n\
             | | |\n|---|---|\n| Estimator | `{estimator}` |\n| Data | {dataset} |\n| Trained by | {author} |\n\n\
             ## Evaluation (holdout)\n\n| metric | value |\n|---|---:|\n{metric_rows}\n\
             ## Inputs\n\n| column | type | required |\n|---|---|---|\n{input_rows}\n\
             ## Usage\n\n```python\nimport mlflow\n\nmodel = mlflow.pyfunc.load_model(\"models:/{name}/{number}\")\npredictions = model.predict(features)\n```\n\n\
             ## Limitations\n\n{limitations}",
            name = model.name,
            number = self.number,
            description = model.description,
            estimator = short_class(model.estimator),
            dataset = model.dataset,
            author = spec.author,
        )
    }
}

/// Mean |SHAP| per feature; `new_top_feature` overtakes the former leader.
fn explainability(spec: &VersionSpec, inputs: &[Input], rng: &mut Rng) -> Value {
    let mut values: Vec<(&str, f64)> = inputs
        .iter()
        .filter(|c| c.importance > 0.0)
        .map(|c| (c.name, c.importance * (1.0 + rng.jitter(0.04))))
        .collect();
    if let Some(top) = spec.new_top_feature {
        let leader = values.iter().map(|(_, v)| *v).fold(0.0, f64::max);
        for (name, v) in values.iter_mut() {
            if *name == top {
                *v = leader * 1.3;
            } else if *v == leader {
                *v = leader * 0.4;
            }
        }
    }
    let importance: Map<String, Value> = values
        .into_iter()
        .map(|(k, v)| (k.to_owned(), json!(round(v, 6))))
        .collect();
    json!({
        "method": "shap",
        "global_importance": importance,
        "notes": "mean |SHAP| on 2000 holdout rows, TreeExplainer",
    })
}

/// fairlearn's `MetricFrame.by_group` per sensitive feature, with summaries
/// computed from the groups so the numbers agree with each other.
fn fairness_report(f: &super::catalog::Fairness, spec: &VersionSpec, rng: &mut Rng) -> Value {
    let assessments: Vec<Value> = f
        .features
        .iter()
        .map(|s| {
            let mut sel = Map::new();
            let mut tpr = Map::new();
            let mut fpr = Map::new();
            let (mut sel_v, mut tpr_v, mut fpr_v) = (Vec::new(), Vec::new(), Vec::new());
            for (group, rate) in s.groups {
                let disadvantaged = spec.disadvantaged == Some((s.feature, *group));
                let rate = rate * (1.0 + rng.jitter(0.02)) * if disadvantaged { 0.72 } else { 1.0 };
                let t = (f.tpr + rng.jitter(0.03)).clamp(0.0, 1.0);
                let p = (f.fpr * (1.0 + rng.jitter(0.15))).clamp(0.0, 1.0);
                sel.insert((*group).to_owned(), json!(rate));
                tpr.insert((*group).to_owned(), json!(t));
                fpr.insert((*group).to_owned(), json!(p));
                sel_v.push(rate);
                tpr_v.push(t);
                fpr_v.push(p);
            }
            let (lo, hi) = min_max(&sel_v);
            let eod = spread(&tpr_v).max(spread(&fpr_v));
            json!({
                "sensitive_feature": s.feature,
                "by_group": {
                    "selection_rate": sel,
                    "true_positive_rate": tpr,
                    "false_positive_rate": fpr,
                },
                "summary": {
                    "demographic_parity_difference": hi - lo,
                    "equalized_odds_difference": eod,
                    "disparate_impact_ratio": if hi > 0.0 { lo / hi } else { 1.0 },
                },
            })
        })
        .collect();
    json!({ "assessments": assessments })
}

fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        })
}

fn spread(values: &[f64]) -> f64 {
    let (lo, hi) = min_max(values);
    if values.is_empty() { 0.0 } else { hi - lo }
}

fn skipped(source: &str) -> Value {
    json!({"category": "SCAN_NOT_SUPPORTED", "description": "Model Scan did not scan file", "source": source})
}

/// A modelscan 0.8.8 JSON report over the model directory. modelscan reads
/// pickles but skips skops archives, so a skops model is "not scanned".
fn security_scan(
    model: &ModelSpec,
    spec: &VersionSpec,
    start_ms: i64,
    rng: &mut Rng,
) -> anyhow::Result<Value> {
    let file = model.format.file_name();
    let mut skipped_files: Vec<Value> = [
        "requirements.txt",
        "MLmodel",
        "python_env.yaml",
        "conda.yaml",
    ]
    .iter()
    .map(|s| skipped(s))
    .collect();
    let scanned = match model.format {
        Format::Pickle => json!({"total_scanned": 1, "scanned_files": [file]}),
        Format::Skops => {
            skipped_files.push(skipped(&format!("{file}:schema.json")));
            for _ in 0..2 {
                skipped_files.push(skipped(&format!(
                    "{file}:{}.npy",
                    140_000_000_000_000 + rng.below(1_000_000_000_000)
                )));
            }
            json!({"total_scanned": 0})
        }
    };
    let issues: Vec<Value> = if spec.scan == Scan::RanWithHigh {
        vec![json!({
            "description": "Use of unsafe operator 'get' from module 'requests.api'",
            "operator": "get",
            "module": "requests.api",
            "source": file,
            "scanner": "modelscan.scanners.PickleUnsafeOpScan",
            "severity": "HIGH",
        })]
    } else {
        Vec::new()
    };
    let timestamp = python_time(start_ms + 40 * 60_000, 'T', rng)?;
    Ok(json!({
        "summary": {
            "total_issues_by_severity": {"LOW": 0, "MEDIUM": 0, "HIGH": issues.len(), "CRITICAL": 0},
            "total_issues": issues.len(),
            "input_path": "model",
            "absolute_path": format!("/builds/ml-platform/{}/model", model.name),
            "modelscan_version": "0.8.8",
            "timestamp": timestamp,
            "scanned": scanned,
            "skipped": {"total_skipped": skipped_files.len(), "skipped_files": skipped_files},
        },
        "issues": issues,
        "errors": [],
    }))
}

fn format_metric(v: f64) -> String {
    if v.is_nan() {
        "NaN (undefined)".to_owned()
    } else {
        v.to_string()
    }
}
