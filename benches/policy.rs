//! Policy gates: the default bundle on one review from a cold start
//! (bundle read, engine built, modules parsed and prepared; target at most
//! 5 ms), and with the prepared engine reused (target at most 1 ms a review,
//! so a queue of 1,000 reviews takes at most 1 s on one core). Inputs are the
//! bundle's own fixtures: real input documents of demo reviews.

#![allow(clippy::unwrap_used)] // a test that meets the unexpected should stop there

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use modelgate::policy::{Bundle, Policy};
use serde_json::Value;

fn fixtures() -> serde_json::Map<String, Value> {
    let text = include_str!("../assets/policies/fixtures/data.json");
    match serde_json::from_str(text) {
        Ok(Value::Object(m)) => m,
        _ => panic!("fixtures/data.json is not an object"),
    }
}

fn wide(columns: usize) -> Value {
    let mut doc = fixtures()["critical_removed_column"].clone();
    let cols: Vec<Value> = (0..columns)
        .map(|i| serde_json::json!({"name": format!("f{i}"), "type": "double", "required": true}))
        .collect();
    doc["schema"]["candidate"]["inputs"] = Value::Array(cols.clone());
    doc["schema"]["inputs"]["removed"] = Value::Array(cols);
    doc
}

fn bench(c: &mut Criterion) {
    // As the binary's main does (see src/main.rs): with RUST_BACKTRACE=1 in
    // the environment, regorus's parser would capture a stack trace for every
    // error it backtracks through. MODELGATE_BENCH_BACKTRACES=1 keeps them, to
    // measure that case.
    if std::env::var_os("MODELGATE_BENCH_BACKTRACES").is_none() {
        // SAFETY: before any benchmark runs; criterion has started no thread.
        #[allow(unsafe_code)]
        unsafe {
            std::env::set_var("RUST_LIB_BACKTRACE", "0")
        };
    }
    let fx = fixtures();
    let review = fx["critical_removed_column"].clone();
    let clean = fx["clean_high"].clone();

    c.bench_function("policy: cold start, one review (<= 5 ms)", |b| {
        b.iter(|| {
            let bundle = Bundle::embedded();
            let policy = Policy::prepare(&bundle).unwrap();
            black_box(policy.evaluate(review.clone()))
        })
    });

    let policy = Policy::prepare(&Bundle::embedded()).unwrap();
    c.bench_function("policy: prepared, one denied review (<= 1 ms)", |b| {
        b.iter(|| black_box(policy.evaluate(review.clone())))
    });
    c.bench_function("policy: prepared, one clean review (<= 1 ms)", |b| {
        b.iter(|| black_box(policy.evaluate(clean.clone())))
    });

    let queue: Vec<Value> = fx.values().cycle().take(1_000).cloned().collect();
    let mut g = c.benchmark_group("policy: prepared");
    g.sample_size(10);
    g.bench_function("queue of 1,000 reviews (<= 1 s)", |b| {
        b.iter(|| {
            for r in &queue {
                black_box(policy.evaluate(r.clone()));
            }
        })
    });
    let wide = wide(10_000);
    g.bench_function("10,000 removed input columns", |b| {
        b.iter(|| black_box(policy.evaluate(wide.clone())))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
