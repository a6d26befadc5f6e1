//! Invariants of the catalog that hold for every seed; the registry round
//! trip is tested in `tests/cli/demo_data.rs`.

use super::catalog::{MODELS, ModelSpec, Review};
use super::content::{self, VersionPlan};
use crate::registry::Registry;

const NOW_MS: i64 = 1_795_000_000_000;
const HOUR_MS: f64 = 3_600_000.0;

fn plans(model: &ModelSpec, seed: u64) -> Vec<VersionPlan> {
    (1..=model.versions.len())
        .map(|n| content::plan_version(model, n, seed, NOW_MS).unwrap())
        .collect()
}

fn submitted_ms(plan: &VersionPlan) -> Option<i64> {
    let at = plan.tags.get("modelgate.submitted_at")?;
    Some(
        chrono::DateTime::parse_from_rfc3339(at)
            .unwrap()
            .timestamp_millis(),
    )
}

#[test]
fn sla_states_keep_an_hour_from_every_boundary() {
    for seed in [0, 1, 42, u64::MAX] {
        let mut states = [0usize; 3];
        for model in MODELS {
            let sla = model.sla_hours();
            for plan in plans(model, seed) {
                let Some(at) = submitted_ms(&plan) else {
                    continue;
                };
                let elapsed = (NOW_MS - at) as f64 / HOUR_MS;
                let left = sla - elapsed;
                // Distance to the nearest boundary: 25% of the SLA left, or none.
                let margin = (left - 0.25 * sla).abs().min(left.abs());
                assert!(
                    margin >= 1.0,
                    "{} seed {seed}: {elapsed:.2}h of {sla}h",
                    model.name
                );
                let state = if left > 0.25 * sla {
                    0
                } else if left >= 0.0 {
                    1
                } else {
                    2
                };
                states[state] += 1;
            }
        }
        assert!(states.iter().all(|n| *n >= 2), "seed {seed}: {states:?}");
        assert!(states.iter().sum::<usize>() >= 10);
    }
}

#[test]
fn runs_follow_version_order_and_precede_submission() {
    for model in MODELS {
        let plans = plans(model, 9);
        for pair in plans.windows(2) {
            assert!(pair[0].start_ms < pair[1].start_ms, "{}", model.name);
        }
        for plan in &plans {
            assert!(plan.start_ms < NOW_MS);
            if let Some(at) = submitted_ms(plan) {
                assert!(plan.start_ms < at, "{}", model.name);
            }
            let last = plan.metrics.iter().map(|m| m.timestamp).max().unwrap();
            assert!(last < submitted_ms(plan).unwrap_or(NOW_MS));
        }
    }
}

#[test]
fn mlmodel_signature_survives_yaml_folding() {
    for model in MODELS {
        for plan in plans(model, 3) {
            let (_, bytes) = plan
                .artifacts
                .iter()
                .find(|(p, _)| p == "model/MLmodel")
                .unwrap();
            let doc: serde_json::Value = serde_norway::from_slice(bytes).unwrap();
            for side in ["inputs", "outputs"] {
                let text = doc["signature"][side].as_str().unwrap();
                let cols: serde_json::Value = serde_json::from_str(text).unwrap();
                assert!(!cols.as_array().unwrap().is_empty());
                assert!(!text.contains('\n'));
            }
            let model_file = doc["flavors"]["python_function"]["model_path"]
                .as_str()
                .unwrap();
            assert!(
                plan.artifacts
                    .iter()
                    .any(|(p, _)| *p == format!("model/{model_file}"))
            );
        }
    }
}

#[test]
fn champions_are_earlier_non_pending_versions() {
    for model in MODELS {
        let Some(champion) = model.champion else {
            continue;
        };
        let spec = &model.versions[champion - 1];
        assert!(
            !matches!(spec.review, Review::Pending { .. }),
            "{}",
            model.name
        );
        let last_pending = model
            .versions
            .iter()
            .rposition(|v| matches!(v.review, Review::Pending { .. }));
        assert!(
            last_pending.is_none_or(|p| p + 1 > champion),
            "{}",
            model.name
        );
    }
    assert!(MODELS.iter().filter(|m| m.champion.is_some()).count() * 4 >= MODELS.len() * 3);
}

#[test]
fn seeds_change_bytes_not_cases() {
    let model = &MODELS[0];
    let a = plans(model, 1);
    let b = plans(model, 2);
    assert_ne!(a[0].artifacts, b[0].artifacts);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            x.tags.keys().collect::<Vec<_>>(),
            y.tags.keys().collect::<Vec<_>>()
        );
        assert_eq!(
            x.artifacts.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            y.artifacts.iter().map(|(p, _)| p).collect::<Vec<_>>()
        );
    }
}

/// The demo's signed history (seed 7, the fixed clock) as `model version id
/// sha256(tag value)` lines: the canonical bytes of every record, pinned so a
/// change to how records are built cannot change what is signed.
/// `MODELGATE_WRITE_RECORD_IDS=1` rewrites the fixture.
#[tokio::test(flavor = "multi_thread")]
async fn the_signed_history_keeps_its_record_ids_and_bytes() {
    // The console's fixed seed and clock.
    let (registry, _service) = super::in_memory(7, 1_772_443_800_000).await.unwrap();
    let mut lines = Vec::new();
    for model in super::model_names() {
        for v in registry.list_versions(&model).await.unwrap() {
            for (key, value) in &v.tags {
                if let Some(id) = key.strip_prefix(crate::trust::record::TAG_PREFIX) {
                    let bytes = crate::trust::record::hex_sha256(value.as_bytes());
                    lines.push(format!("{model} {} {id} {bytes}", v.version));
                }
            }
        }
    }
    lines.sort();
    let got = lines.join("\n") + "\n";
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/demo_record_ids.txt"
    );
    if std::env::var_os("MODELGATE_WRITE_RECORD_IDS").is_some() {
        std::fs::write(path, &got).unwrap();
    }
    assert!(lines.len() > 20, "{} records", lines.len());
    assert_eq!(got, std::fs::read_to_string(path).unwrap());
}
