//! Fills an embedded registry with approved versions carrying signed
//! records, for the revalidation and renewal benchmarks:
//! `cargo run --release --example populate_approved -- DB MODELS APPROVED_PER_MODEL PENDING_PER_MODEL [DAYS_AGO]`.
//!
//! Every model is low risk and has a champion (its version 1, approved too).
//! Each approved version has a run with five metrics and an MLmodel, a
//! signed `submit` by a demo owner and a signed `approve` by a demo validator
//! on its real evidence and gate results (read with `show`, as a decision
//! reads them), signed `DAYS_AGO` days before now (default 0: now), and the tag
//! `modelgate.review = approved`; with `MODELGATE_BENCH_COMMENTS=N`, N signed
//! comments follow each approve. Records are signed through the library
//! rather than `decide`, which would cost a full review per record. Pending
//! versions carry tags only, as in `populate`. The demo roster goes to
//! `<DB dir>/roster/`.

#![allow(clippy::unwrap_used)] // a generator that meets the unexpected should stop there

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use modelgate::registry::local::LocalRegistry;
use modelgate::registry::{Metric, Registry, RegistryWriter, Tags};
use modelgate::review::gates::ItemGates;
use modelgate::trust::record::{Fields, sign};
use serde_json::json;

const MLMODEL: &str = "signature:\n  inputs: '[{\"type\": \"double\", \"name\": \"a\", \"required\": true}, {\"type\": \"long\", \"name\": \"b\", \"required\": true}]'\n  outputs: '[{\"type\": \"double\", \"required\": true}]'\n";
const OWNER: &str = "ana.owner@demo.modelgate";
const VALIDATOR: &str = "ben.validator@demo.modelgate";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (db, models, approved, pending, days_ago) = match args.as_slice() {
        [db, m, a, p] => (db, m, a, p, "0"),
        [db, m, a, p, d] => (db, m, a, p, d.as_str()),
        _ => bail!(
            "usage: populate_approved DB MODELS APPROVED_PER_MODEL PENDING_PER_MODEL [DAYS_AGO]"
        ),
    };
    let models: usize = models.parse().context("MODELS")?;
    let approved: usize = approved.parse().context("APPROVED_PER_MODEL")?;
    let pending: usize = pending.parse().context("PENDING_PER_MODEL")?;
    let days_ago: i64 = days_ago.parse().context("DAYS_AGO")?;
    // Signed comments after each approve, for benchmarks that want more records.
    let comments: usize = match std::env::var("MODELGATE_BENCH_COMMENTS") {
        Ok(n) => n.parse().context("MODELGATE_BENCH_COMMENTS")?,
        Err(_) => 0,
    };
    let db = PathBuf::from(db);
    let reg = Arc::new(LocalRegistry::create(&db)?);
    let now = chrono::Utc::now().timestamp_millis();
    let signed_at = chrono::DateTime::from_timestamp_millis(now - days_ago * 86_400_000)
        .context("time")?
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();

    let dir = db.parent().context("DB has no directory")?.join("roster");
    let roster_path = modelgate::demo::write_roster(&dir, 7)?;
    let key = |who: &str| {
        modelgate::trust::keys::load_key_file(&modelgate::demo::key_path(&dir, who))
            .map_err(anyhow::Error::msg)
    };
    let (owner_key, validator_key) = (key(OWNER)?, key(VALIDATOR)?);
    let mut config = modelgate::config::Config::resolve(None, &Default::default())?;
    config.roster = Some(roster_path.clone());
    config.state_dir = None;
    let roster_digest = modelgate::review::evidence::sha256_tagged(&std::fs::read(&roster_path)?);
    let service = modelgate::service::ReviewService::new(reg.clone(), config);
    let registry_id = service.registry_id();

    let mut records = 0usize;
    for m in 0..models {
        let name = format!("model-{m:04}");
        let model_tags = Tags::from([("modelgate.risk".to_owned(), "low".to_owned())]);
        reg.ensure_registered_model(&name, None, &model_tags)
            .await?;
        for v in 0..approved + pending {
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
            if v >= approved {
                tags.insert("modelgate.review".into(), "pending".into());
                tags.insert("modelgate.submitted_at".into(), signed_at.clone());
                tags.insert("modelgate.submitted_by".into(), "owner@bench".into());
            }
            let version = reg
                .create_model_version(&name, &format!("runs:/{run}/model"), &run, None, &tags)
                .await?;
            if v == 0 {
                reg.set_alias(&name, "champion", &version).await?;
            }
            if v >= approved {
                continue;
            }
            // The evidence and gates a decision would sign, read as it reads them.
            let detail = service.show(&name, &version, now).await?;
            let evidence = detail.evidence.clone().context("no evidence digest")?;
            let Some(ItemGates::Report(gates)) = &detail.summary.gates else {
                bail!("{name} {version}: no gate report");
            };
            let base = |action: &str, actor: &str, role: &str, key: &ssh_key::PrivateKey| {
                let mut nonce = [0u8; 16];
                getrandom::fill(&mut nonce).unwrap();
                json!({
                    "v": 1, "action": action, "registry": registry_id, "model": name,
                    "version": version, "actor": actor, "role": role, "at": signed_at,
                    "nonce": hex::encode(nonce), "roster": roster_digest,
                    "key": modelgate::trust::keys::fingerprint(key), "evidence": evidence,
                    "gates": gates.result, "risk": detail.summary.risk.as_str(),
                    "required_roles": detail.summary.required_roles,
                })
            };
            let mut submit = base("submit", OWNER, "owner", &owner_key);
            submit["parents"] = json!([]);
            submit["baseline"] = json!(detail.summary.baseline);
            submit["run_user"] = json!(detail.run_user);
            let submit = sign(object(submit), &owner_key).map_err(anyhow::Error::msg)?;
            let mut approve = base("approve", VALIDATOR, "validator", &validator_key);
            approve["parents"] = json!([submit.id]);
            let approve = sign(object(approve), &validator_key).map_err(anyhow::Error::msg)?;
            let mut signed = vec![submit, approve];
            for c in 0..comments {
                let mut comment = base("comment", VALIDATOR, "validator", &validator_key);
                for k in ["evidence", "gates", "risk", "required_roles"] {
                    comment.as_object_mut().map(|o| o.remove(k));
                }
                comment["reason"] = json!(format!("note {c}"));
                comment["parents"] = json!([signed.last().map(|r| r.id.clone())]);
                signed.push(sign(object(comment), &validator_key).map_err(anyhow::Error::msg)?);
            }
            for s in &signed {
                reg.set_version_tag(&name, &version, &s.tag_key, &s.tag_value)
                    .await?;
            }
            reg.set_version_tag(&name, &version, "modelgate.review", "approved")
                .await?;
            records += signed.len();
        }
    }
    println!(
        "{}: {models} models, {} approved versions ({records} signed records, signed {signed_at}), {} pending versions; roster {}",
        db.display(),
        models * approved,
        models * pending,
        roster_path.display()
    );
    Ok(())
}

fn object(v: serde_json::Value) -> Fields {
    v.as_object().cloned().unwrap()
}
