//! Fills an embedded registry with many pending reviews, for benchmarks:
//! `cargo run --release --example populate -- DB MODELS VERSIONS_PER_MODEL [--signed]`.
//! Every version is pending, has a run with five metrics and an MLmodel; every
//! model has a champion (its version 1), so the queue carries metric diffs.
//! With `--signed`, every pending version also gets a signed submit (through
//! the same path as `modelgate submit`), with the demo roster written to
//! `<DB dir>/roster/`, so that the queue checks a record per version.

#![allow(clippy::unwrap_used)] // a test that meets the unexpected should stop there

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use modelgate::registry::local::LocalRegistry;
use modelgate::registry::{Metric, Registry, RegistryWriter, Tags};

const MLMODEL: &str = "signature:\n  inputs: '[{\"type\": \"double\", \"name\": \"a\", \"required\": true}, {\"type\": \"long\", \"name\": \"b\", \"required\": true}]'\n  outputs: '[{\"type\": \"double\", \"required\": true}]'\n";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (args, signed) = match args.split_last() {
        Some((last, rest)) if last == "--signed" => (rest.to_vec(), true),
        _ => (args, false),
    };
    let [db, models, per_model] = args.as_slice() else {
        bail!("usage: populate DB MODELS VERSIONS_PER_MODEL [--signed]");
    };
    let models: usize = models.parse().context("MODELS")?;
    let per_model: usize = per_model.parse().context("VERSIONS_PER_MODEL")?;
    let reg = LocalRegistry::create(&PathBuf::from(db))?;
    let now = chrono::Utc::now().timestamp_millis();
    let risks = ["low", "medium", "high", "critical"];
    for m in 0..models {
        let name = format!("model-{m:04}");
        let model_tags = Tags::from([("modelgate.risk".to_owned(), risks[m % 4].to_owned())]);
        reg.ensure_registered_model(&name, None, &model_tags)
            .await?;
        // Version 1 is the champion; the others wait for review.
        for v in 0..=per_model {
            let run = reg
                .create_run(
                    &name,
                    now,
                    &Tags::from([("mlflow.user".to_owned(), "bench".to_owned())]),
                )
                .await?;
            let metrics: Vec<Metric> = ["auc", "precision", "recall", "log_loss", "latency_p95_ms"]
                .iter()
                .enumerate()
                .map(|(k, key)| Metric {
                    key: (*key).to_owned(),
                    value: 0.5 + ((m * 7 + v * 13 + k * 3) % 100) as f64 / 1000.0,
                    timestamp: now,
                    step: 0,
                })
                .collect();
            reg.log_metrics(&run, &metrics).await?;
            reg.upload_artifact(&run, "model/MLmodel", MLMODEL.as_bytes())
                .await?;
            let mut tags = Tags::new();
            if v > 0 {
                let submitted = now - ((m * 131 + v * 977) % (100 * 3600)) as i64 * 1000;
                let at = chrono::DateTime::from_timestamp_millis(submitted).context("time")?;
                tags.insert("modelgate.review".into(), "pending".into());
                tags.insert(
                    "modelgate.submitted_at".into(),
                    at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                );
                tags.insert("modelgate.submitted_by".into(), "owner@bench".into());
            }
            let version = reg
                .create_model_version(&name, &format!("runs:/{run}/model"), &run, None, &tags)
                .await?;
            if v == 0 {
                reg.set_alias(&name, "champion", &version).await?;
            }
        }
    }
    if signed {
        sign_submissions(reg, &PathBuf::from(db), models, per_model, now).await?;
    }
    println!(
        "{db}: {models} models, {} pending versions{}",
        models * per_model,
        if signed {
            ", each with a signed submit"
        } else {
            ""
        }
    );
    Ok(())
}

/// A signed submit on every pending version, by a demo owner.
async fn sign_submissions(
    reg: LocalRegistry,
    db: &std::path::Path,
    models: usize,
    per_model: usize,
    now: i64,
) -> Result<()> {
    let dir = db.parent().context("DB has no directory")?.join("roster");
    let roster = modelgate::demo::write_roster(&dir, 7)?;
    let who = "ana.owner@demo.modelgate";
    let key = modelgate::trust::keys::load_key_file(&modelgate::demo::key_path(&dir, who))
        .map_err(anyhow::Error::msg)?;
    let signer = modelgate::service::decide::Signer::new(who.into(), key);
    let mut config = modelgate::config::Config::resolve(None, &Default::default())?;
    config.roster = Some(roster);
    let service = modelgate::service::ReviewService::new(std::sync::Arc::new(reg), config);
    let submit =
        modelgate::service::decide::Decision::new(modelgate::trust::record::Action::Submit);
    for m in 0..models {
        for v in 2..=per_model + 1 {
            service
                .decide(
                    &format!("model-{m:04}"),
                    &v.to_string(),
                    &submit,
                    &signer,
                    now,
                )
                .await
                .map_err(|e| anyhow::anyhow!("model-{m:04} {v}: {e}"))?;
        }
    }
    Ok(())
}
