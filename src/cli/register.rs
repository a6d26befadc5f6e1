//! `modelgate register`: adds a version (run, metrics, artifacts, tags) to the
//! embedded registry. Every input file is read and checked before anything is written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;

use super::output::Out;
use crate::config::{Config, RegistryKind};
use crate::num::Num;
use crate::registry::local::LocalRegistry;
use crate::registry::{Metric, RegistryWriter, Tags};

#[derive(Debug, Args)]
pub struct RegisterArgs {
    /// Registered model name (created when missing).
    pub model: String,
    /// JSON object of metrics: {"auc": 0.93, "loss": "NaN", "acc": [0.8, 0.85, 0.9]} (a list is a history by step).
    #[arg(long, value_name = "FILE.json")]
    pub run_metrics: PathBuf,
    /// The model's MLmodel file (stored as model/MLmodel).
    #[arg(long, value_name = "FILE")]
    pub mlmodel: Option<PathBuf>,
    /// A run artifact, e.g. modelgate/fairness.json=report.json or model/model.pkl=model.pkl.
    #[arg(long = "artifact", value_name = "RUNPATH=FILE")]
    pub artifacts: Vec<String>,
    /// A tag on the new version, e.g. modelgate.review=pending.
    #[arg(long = "tag", value_name = "K=V")]
    pub tags: Vec<String>,
    /// A tag on the registered model, e.g. modelgate.risk=high.
    #[arg(long = "model-tag", value_name = "K=V")]
    pub model_tags: Vec<String>,
    /// A run parameter.
    #[arg(long = "param", value_name = "K=V")]
    pub params: Vec<String>,
    /// The run's author (run tag mlflow.user).
    #[arg(long)]
    pub user: Option<String>,
    /// The version's description.
    #[arg(long)]
    pub description: Option<String>,
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

fn split_pair<'a>(what: &str, s: &'a str) -> Result<(&'a str, &'a str)> {
    s.split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| anyhow!("{what} {s:?} must have the form KEY=VALUE"))
}

fn pairs(what: &str, list: &[String]) -> Result<Tags> {
    list.iter()
        .map(|s| split_pair(what, s).map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

/// Metrics as `name -> history`; a single value is a history of one step.
pub fn parse_metrics(path: &Path, text: &str) -> Result<BTreeMap<String, Vec<f64>>> {
    let value: BTreeMap<String, serde_json::Value> = serde_json::from_str(text).map_err(|e| {
        anyhow!(
            "{}: expected a JSON object of metric values: {e}",
            path.display()
        )
    })?;
    let one = |name: &str, v: &serde_json::Value| -> Result<f64> {
        serde_json::from_value::<Num>(v.clone()).map(|n| n.0).map_err(|_| {
            anyhow!("{}: metric {name:?} must be a number or \"NaN\"/\"Infinity\"/\"-Infinity\", got {v}", path.display())
        })
    };
    value
        .iter()
        .map(|(name, v)| {
            let history = match v {
                serde_json::Value::Array(items) if items.is_empty() => {
                    bail!("{}: metric {name:?} has an empty history", path.display())
                }
                serde_json::Value::Array(items) => {
                    items.iter().map(|x| one(name, x)).collect::<Result<_>>()?
                }
                other => vec![one(name, other)?],
            };
            Ok((name.clone(), history))
        })
        .collect()
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

pub async fn run(args: RegisterArgs, config: &Config, out: &mut Out) -> Result<ExitCode> {
    if config.readonly {
        bail!("--readonly is set: register writes to the registry");
    }
    if config.registry != RegistryKind::Embedded {
        bail!(
            "register writes to the embedded registry only; MLflow users log versions with MLflow itself"
        );
    }
    // Read and check every input first, so a bad file writes nothing.
    let metrics_text = String::from_utf8(read(&args.run_metrics)?)
        .map_err(|_| anyhow!("{}: not UTF-8 text", args.run_metrics.display()))?;
    let metrics = parse_metrics(&args.run_metrics, &metrics_text)?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    if let Some(m) = &args.mlmodel {
        files.push(("model/MLmodel".into(), read(m)?));
    }
    for a in &args.artifacts {
        let (path, file) = split_pair("--artifact", a)?;
        files.push((path.to_owned(), read(Path::new(file))?));
    }
    let tags = pairs("--tag", &args.tags)?;
    let model_tags = pairs("--model-tag", &args.model_tags)?;
    let params = pairs("--param", &args.params)?;

    let reg = LocalRegistry::open_or_create(&config.db)?;
    let now = super::now_ms();
    let mut run_tags = Tags::new();
    if let Some(u) = &args.user {
        run_tags.insert("mlflow.user".into(), u.clone());
    }
    reg.ensure_registered_model(&args.model, None, &model_tags)
        .await?;
    let run_id = reg.create_run(&args.model, now, &run_tags).await?;
    let logged: Vec<Metric> = metrics
        .iter()
        .flat_map(|(key, hist)| {
            hist.iter().enumerate().map(move |(step, value)| Metric {
                key: key.clone(),
                value: *value,
                timestamp: now,
                step: step as i64,
            })
        })
        .collect();
    reg.log_metrics(&run_id, &logged).await?;
    reg.log_params(&run_id, &params).await?;
    for (path, bytes) in &files {
        reg.upload_artifact(&run_id, path, bytes).await?;
    }
    let source = format!("runs:/{run_id}/model");
    let version = reg
        .create_model_version(
            &args.model,
            &source,
            &run_id,
            args.description.as_deref(),
            &tags,
        )
        .await?;
    if args.json {
        out.json(&serde_json::json!({"model": args.model, "version": version, "run_id": run_id, "source": source}))?;
    } else {
        out.line(&format!(
            "registered {} version {version} (run {run_id}) in {}",
            crate::text::sanitize_line(&args.model),
            config.db.display()
        ))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_files() {
        let m = parse_metrics(
            Path::new("m.json"),
            r#"{"auc": 0.9, "loss": "NaN", "acc": [0.1, 0.2]}"#,
        )
        .unwrap();
        assert_eq!(m["auc"], [0.9]);
        assert!(m["loss"][0].is_nan());
        assert_eq!(m["acc"], [0.1, 0.2]);
        for bad in [
            r#"[1]"#,
            r#"{"auc": "high"}"#,
            r#"{"auc": []}"#,
            r#"{"auc": {"x": 1}}"#,
            "{",
        ] {
            let e = parse_metrics(Path::new("m.json"), bad)
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("m.json:"), "{bad}: {e}");
        }
    }

    #[test]
    fn pairs_need_a_key() {
        assert!(pairs("--tag", &["=v".into()]).is_err());
        assert_eq!(pairs("--tag", &["a=b=c".into()]).unwrap()["a"], "b=c");
    }
}
