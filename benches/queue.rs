//! Queue derivation: SLA and sort of 100,000 versions (target: at most 50 ms),
//! and the whole item build with metric diffs for the same queue.

#![allow(clippy::unwrap_used)] // a test that meets the unexpected should stop there

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use modelgate::registry::{ModelVersion, RegisteredModel, Run, Tags};
use modelgate::review::queue::{self, QueueSettings, ReviewInput, Trust};
use modelgate::review::risk::RiskSettings;
use modelgate::review::sla;

const N: usize = 100_000;
const H: i64 = 3_600_000;

struct Fixture {
    models: Vec<RegisteredModel>,
    versions: Vec<ModelVersion>,
    runs: Vec<Run>,
}

fn fixture() -> Fixture {
    let risks = ["low", "medium", "high", "critical"];
    let models: Vec<RegisteredModel> = (0..500)
        .map(|m| RegisteredModel {
            name: format!("model-{m:03}"),
            tags: Tags::from([("modelgate.risk".to_owned(), risks[m % 4].to_owned())]),
            aliases: BTreeMap::from([("champion".to_owned(), "1".to_owned())]),
            ..Default::default()
        })
        .collect();
    let versions: Vec<ModelVersion> = (0..N)
        .map(|i| ModelVersion {
            name: format!("model-{:03}", i % 500),
            version: format!("{}", i / 500 + 2),
            creation_timestamp: (i as i64 * 7919) % (200 * H),
            run_id: Some(format!("run{i}")),
            tags: Tags::from([("modelgate.review".to_owned(), "pending".to_owned())]),
            ..Default::default()
        })
        .collect();
    let runs: Vec<Run> = (0..N)
        .map(|i| Run {
            run_id: format!("run{i}"),
            metrics: ["auc", "log_loss", "precision", "recall", "latency_p95_ms"]
                .iter()
                .enumerate()
                .map(|(k, n)| {
                    (
                        (*n).to_owned(),
                        0.5 + ((i * 31 + k * 17) % 100) as f64 / 1000.0,
                    )
                })
                .collect(),
            ..Default::default()
        })
        .collect();
    Fixture {
        models,
        versions,
        runs,
    }
}

fn bench(c: &mut Criterion) {
    let f = fixture();
    let rs = RiskSettings::default();
    let dirs = BTreeMap::new();
    let settings = QueueSettings {
        risk: &rs,
        production_alias: "champion",
        metric_direction: &dirs,
    };
    let now = 150 * H;

    c.bench_function("queue: SLA and sort of 100k versions", |b| {
        let effective: Vec<_> = f
            .versions
            .iter()
            .map(|v| rs.effective(&v.name, &f.models[0].tags))
            .collect();
        b.iter(|| {
            let mut rows: Vec<(i64, sla::Sla, usize)> = f
                .versions
                .iter()
                .zip(&effective)
                .enumerate()
                .map(|(i, (v, e))| {
                    let s = sla::compute(v.creation_timestamp, e.sla_hours, now);
                    (s.deadline_ms, s, i)
                })
                .collect();
            rows.sort_unstable_by_key(|r| (r.0, r.2));
            black_box(rows)
        })
    });

    c.bench_function(
        "queue: full build of 100k items (risk, SLA, 5 metric diffs each, sort)",
        |b| {
            let inputs: Vec<ReviewInput<'_>> = f
                .versions
                .iter()
                .enumerate()
                .map(|(i, v)| ReviewInput {
                    version: v,
                    model: Some(&f.models[i % 500]),
                    run: Some(&f.runs[i]),
                    baseline: Some("1".to_owned()),
                    baseline_run: Some(&f.runs[(i + 1) % N]),
                    trust: Trust::default(),
                    load_problems: Vec::new(),
                })
                .collect();
            b.iter(|| black_box(queue::build(&inputs, &settings, now)))
        },
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
