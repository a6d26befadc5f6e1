//! Schema diff and `MLmodel` parsing at 5,000 columns: the diff must stay
//! well under 5 ms so the review screen never waits on it.

#![allow(clippy::unwrap_used)] // a test that meets the unexpected should stop there

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use modelgate::review::schema::{Spec, SpecType, diff, parse_mlmodel};

const COLUMNS: usize = 5_000;

fn column(name: String, ty: &str, required: bool) -> Spec {
    Spec {
        name: Some(name),
        ty: SpecType::Scalar(ty.to_owned()),
        required,
    }
}

/// A baseline of 5,000 columns and a candidate where 5% change type, 1% turn
/// optional, 2% are dropped and 100 are new.
fn signatures() -> (Vec<Spec>, Vec<Spec>) {
    let types = ["long", "double", "string", "integer", "datetime"];
    let baseline: Vec<Spec> = (0..COLUMNS)
        .map(|i| column(format!("feature_{i:05}"), types[i % types.len()], true))
        .collect();
    let mut candidate: Vec<Spec> = baseline
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 50 != 7)
        .map(|(i, spec)| {
            let mut spec = spec.clone();
            if i % 20 == 3 {
                spec.ty = SpecType::Array(Box::new(spec.ty));
            }
            spec.required = i % 100 != 11;
            spec
        })
        .collect();
    candidate.extend((0..100).map(|i| column(format!("new_{i:03}"), "double", true)));
    (candidate, baseline)
}

/// An `MLmodel` with a 5,000-column input signature, as YAML serializes it.
fn mlmodel(specs: &[Spec]) -> String {
    let inputs: Vec<serde_json::Value> = specs
        .iter()
        .map(|s| serde_json::json!({"type": s.type_name(), "name": s.name, "required": s.required}))
        .collect();
    let doc = serde_json::json!({
        "flavors": {"python_function": {"loader_module": "mlflow.sklearn"}},
        "mlflow_version": "3.17.2",
        "signature": {
            "inputs": serde_json::Value::Array(inputs).to_string(),
            "outputs": r#"[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]"#,
            "params": null,
        },
    });
    serde_norway::to_string(&doc).unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let (candidate, baseline) = signatures();
    let d = diff(Some(&candidate), Some(&baseline));
    assert_eq!(
        (d.added.len(), d.removed.len(), d.changed.len()),
        (100, 100, 300),
        "the bench data changed shape"
    );
    c.bench_function("schema diff 5000 columns", |b| {
        b.iter(|| diff(black_box(Some(&candidate)), black_box(Some(&baseline))))
    });

    let text = mlmodel(&baseline);
    assert!(parse_mlmodel(text.as_bytes()).is_ok());
    c.bench_function("parse MLmodel 5000 columns", |b| {
        b.iter(|| parse_mlmodel(black_box(text.as_bytes())))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
