//! One conformance suite for both registries: the embedded SQLite registry and
//! a real `mlflow server` (started by scripts/test). The same fixture gives the
//! same `queue` and `show` JSON, ids and timestamps aside, and every primitive
//! behaves the same (tags, aliases, search, pagination, NaN, artifacts, limits,
//! errors).

use std::collections::HashSet;
use std::sync::Arc;

use modelgate::config::{Config, Overrides};
use modelgate::registry::local::LocalRegistry;
use modelgate::registry::{Metric, Registry, RegistryError, RegistryWriter, Tags};
use modelgate::service::ReviewService;
use serde_json::Value;
use tempfile::TempDir;

use crate::support::*;

fn config() -> Config {
    let mut c = Config::resolve(None, &Overrides::default()).unwrap();
    c.registry_id = Some("conformance".into());
    // In-process services keep no checkpoint: nothing outside the test is read or written.
    c.state_dir = None;
    c
}

/// Versions without a `modelgate.submitted_at` tag: their submission time is
/// the creation timestamp, which each registry sets itself.
async fn untagged_submissions(reg: &dyn Registry) -> HashSet<(String, String)> {
    let mut out = HashSet::new();
    for m in reg.list_registered_models().await.unwrap() {
        for v in reg.list_versions(&m.name).await.unwrap() {
            if !v.tags.contains_key("modelgate.submitted_at") {
                out.insert((v.name, v.version));
            }
        }
    }
    out
}

/// Blanks what follows from a creation timestamp in one queue item or review.
fn blank_creation_times(item: &mut Value, untagged: &HashSet<(String, String)>) {
    let key = (
        item["model"].as_str().unwrap_or_default().to_owned(),
        item["version"].as_str().unwrap_or_default().to_owned(),
    );
    if untagged.contains(&key) {
        for field in ["submitted_at", "deadline", "remaining_seconds", "sla_state"] {
            item[field] = Value::String("<created>".into());
        }
    }
}

async fn queue_json(
    reg: Arc<dyn Registry>,
    all: bool,
    untagged: &HashSet<(String, String)>,
) -> Value {
    let svc = ReviewService::new(reg, config());
    let q = svc.queue(all, DEMO_NOW_MS).await.unwrap();
    let mut v = serde_json::to_value(&q.items).unwrap();
    normalise(&mut v);
    for item in v.as_array_mut().into_iter().flatten() {
        blank_creation_times(item, untagged);
    }
    v
}

fn assert_same(what: &str, embedded: &Value, mlflow: &Value) {
    if let Some(diff) = first_difference(embedded, mlflow, what) {
        panic!("embedded and MLflow differ at {diff}");
    }
}

#[tokio::test]
async fn the_demo_queue_is_the_same_on_both_registries() {
    let prefix = mlflow_demo_prefix();
    let dir = TempDir::new().unwrap();
    let local: Arc<dyn Registry> = Arc::new(local_demo(&dir, &prefix).await);
    let mlflow: Arc<dyn Registry> =
        Arc::new(Prefixed::new(mlflow_registry(&mlflow_uri()), &prefix));
    let untagged = untagged_submissions(local.as_ref()).await;
    for all in [false, true] {
        let a = queue_json(local.clone(), all, &untagged).await;
        let b = queue_json(mlflow.clone(), all, &untagged).await;
        let n = a.as_array().map(Vec::len).unwrap_or(0);
        assert!(n >= 10, "the demo queue has {n} items");
        assert_same(&format!("queue(all={all})"), &a, &b);
    }
}

#[tokio::test]
async fn every_demo_review_shows_the_same_on_both_registries() {
    let prefix = mlflow_demo_prefix();
    let dir = TempDir::new().unwrap();
    let local: Arc<dyn Registry> = Arc::new(local_demo(&dir, &prefix).await);
    let mlflow: Arc<dyn Registry> =
        Arc::new(Prefixed::new(mlflow_registry(&mlflow_uri()), &prefix));
    let models = local.list_registered_models().await.unwrap();
    let mut names: Vec<String> = models.iter().map(|m| m.name.clone()).collect();
    let from_mlflow: Vec<String> = mlflow
        .list_registered_models()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, from_mlflow);
    names.sort();
    let local_svc = ReviewService::new(local.clone(), config());
    let mlflow_svc = ReviewService::new(mlflow.clone(), config());
    let untagged = untagged_submissions(local.as_ref()).await;
    let mut shown = 0;
    for name in &names {
        let versions = local.list_versions(name).await.unwrap();
        let numbers: Vec<&str> = versions.iter().map(|v| v.version.as_str()).collect();
        let other = mlflow.list_versions(name).await.unwrap();
        let other: Vec<&str> = other.iter().map(|v| v.version.as_str()).collect();
        assert_eq!(numbers, other, "versions of {name}");
        for v in &versions {
            let mut a =
                serde_json::to_value(local_svc.show(name, &v.version, DEMO_NOW_MS).await.unwrap())
                    .unwrap();
            let mut b = serde_json::to_value(
                mlflow_svc
                    .show(name, &v.version, DEMO_NOW_MS)
                    .await
                    .unwrap(),
            )
            .unwrap();
            // The digests cover source and run id, which differ by construction.
            assert!(a["evidence"].as_str().unwrap().starts_with("sha256:"));
            assert!(b["evidence"].as_str().unwrap().starts_with("sha256:"));
            for x in [&mut a, &mut b] {
                normalise(x);
                blank_creation_times(x, &untagged);
            }
            assert_same(&format!("show {name} {}", v.version), &a, &b);
            shown += 1;
        }
    }
    assert!(shown >= 40, "only {shown} versions shown");
}

// ---------------------------------------------------------------------------
// Primitive-level conformance: one generic check, run on both registries.
// ---------------------------------------------------------------------------

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn expect_not_found<T: std::fmt::Debug>(r: Result<T, RegistryError>, what: &str) {
    match r {
        Err(RegistryError::NotFound { what: w }) => {
            assert!(w.contains(what), "{w:?} lacks {what:?}")
        }
        other => panic!("expected NotFound for {what}, got {other:?}"),
    }
}

fn expect_invalid<T: std::fmt::Debug>(r: Result<T, RegistryError>) {
    assert!(
        matches!(r, Err(RegistryError::InvalidRequest { .. })),
        "expected InvalidRequest, got {r:?}"
    );
}

/// A model with one run holding nested artifacts, and `n` versions on it.
async fn model_with_versions<R: RegistryWriter>(reg: &R, name: &str, n: usize) -> String {
    reg.ensure_registered_model(name, Some("conformance model"), &tags(&[("team", "qa")]))
        .await
        .unwrap();
    let run = reg
        .create_run(name, 1_000, &tags(&[("mlflow.user", "ana")]))
        .await
        .unwrap();
    let files: [(&str, &[u8]); 5] = [
        ("model/MLmodel", b"flavors: {}\n"),
        ("model/data/weights.bin", &[0u8, 1, 2, 3, 255]),
        ("model/data/deeper/x.txt", b"deep"),
        ("model0.txt", b"sibling, not below model/"),
        ("modelgate/fairness.json", b"{\"assessments\": []}"),
    ];
    for (path, bytes) in files {
        reg.upload_artifact(&run, path, bytes).await.unwrap();
    }
    for _ in 0..n {
        reg.create_model_version(
            name,
            &format!("runs:/{run}/model"),
            &run,
            None,
            &Tags::new(),
        )
        .await
        .unwrap();
    }
    run
}

async fn check_tags_and_aliases<R: RegistryWriter>(reg: &R) {
    model_with_versions(reg, "tagged", 2).await;
    reg.set_version_tag("tagged", "1", "modelgate.review", "pending")
        .await
        .unwrap();
    reg.set_version_tag("tagged", "1", "modelgate.review", "approved")
        .await
        .unwrap();
    let v = reg.get_version("tagged", "1").await.unwrap();
    assert_eq!(v.tags, tags(&[("modelgate.review", "approved")]));
    assert_eq!((v.description, v.run_id.is_some()), (None, true));
    reg.delete_version_tag("tagged", "1", "modelgate.review")
        .await
        .unwrap();
    assert!(
        reg.get_version("tagged", "1")
            .await
            .unwrap()
            .tags
            .is_empty()
    );
    expect_not_found(
        reg.delete_version_tag("tagged", "1", "modelgate.review")
            .await,
        "modelgate.review",
    );
    expect_not_found(
        reg.set_version_tag("tagged", "9", "k", "v").await,
        "tagged/9",
    );
    expect_not_found(reg.get_version("tagged", "9").await, "tagged/9");
    expect_not_found(reg.get_registered_model("ghost").await, "ghost");
    expect_not_found(reg.list_versions("ghost").await, "ghost");
    expect_invalid(reg.get_version("tagged", "one").await);
    // A long version tag value (records live there, PROTOCOL 1).
    let long = "é".repeat(100_000);
    reg.set_version_tag("tagged", "2", "modelgate.record.ab", &long)
        .await
        .unwrap();
    assert_eq!(
        reg.get_version("tagged", "2").await.unwrap().tags["modelgate.record.ab"],
        long
    );
    expect_invalid(reg.set_version_tag("tagged", "2", "bad key!", "v").await);
    expect_invalid(
        reg.set_version_tag("tagged", "2", &"k".repeat(251), "v")
            .await,
    );

    reg.set_model_tag("tagged", "modelgate.risk", "high")
        .await
        .unwrap();
    reg.set_alias("tagged", "champion", "1").await.unwrap();
    reg.set_alias("tagged", "challenger", "2").await.unwrap();
    reg.set_alias("tagged", "champion", "2").await.unwrap();
    let m = reg.get_registered_model("tagged").await.unwrap();
    assert_eq!(m.tags, tags(&[("modelgate.risk", "high"), ("team", "qa")]));
    assert_eq!(m.aliases, tags(&[("challenger", "2"), ("champion", "2")]));
    assert_eq!(m.description.as_deref(), Some("conformance model"));
    expect_not_found(reg.set_alias("tagged", "champion", "9").await, "tagged/9");
    expect_invalid(reg.set_alias("tagged", "latest", "1").await);
    expect_invalid(reg.set_alias("tagged", "has space", "1").await);
    reg.delete_alias("tagged", "champion").await.unwrap();
    expect_not_found(reg.delete_alias("tagged", "champion").await, "champion");
    reg.delete_model_tag("tagged", "modelgate.risk")
        .await
        .unwrap();
    expect_not_found(reg.delete_model_tag("tagged", "absent").await, "absent");
    let m = reg.get_registered_model("tagged").await.unwrap();
    assert_eq!(m.aliases, tags(&[("challenger", "2")]));
    assert_eq!(m.tags, tags(&[("team", "qa")]));
    // Creating again merges tags and keeps the description.
    reg.ensure_registered_model("tagged", None, &tags(&[("tier", "gold")]))
        .await
        .unwrap();
    let m = reg.get_registered_model("tagged").await.unwrap();
    assert_eq!(m.tags, tags(&[("team", "qa"), ("tier", "gold")]));
    assert_eq!(m.description.as_deref(), Some("conformance model"));
}

async fn check_search_and_pagination<R: RegistryWriter>(reg: &R) {
    // More versions than one page of the MLflow test client (3 per page).
    model_with_versions(reg, "paged", 11).await;
    model_with_versions(reg, "other", 2).await;
    let all = reg.list_versions("paged").await.unwrap();
    let numbers: Vec<&str> = all.iter().map(|v| v.version.as_str()).collect();
    assert_eq!(
        numbers,
        ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"]
    );
    for v in ["2", "5", "10", "11"] {
        reg.set_version_tag("paged", v, "modelgate.review", "pending")
            .await
            .unwrap();
    }
    reg.set_version_tag("paged", "3", "modelgate.review", "pending-not")
        .await
        .unwrap();
    reg.set_version_tag("other", "1", "modelgate.review", "pending")
        .await
        .unwrap();
    let found: Vec<(String, String)> = reg
        .search_versions_by_tag("modelgate.review", "pending")
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.name, v.version))
        .collect();
    let want: Vec<(String, String)> = [
        ("other", "1"),
        ("paged", "2"),
        ("paged", "5"),
        ("paged", "10"),
        ("paged", "11"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(found, want);
    // A value with a quote (MLflow's filter grammar has no escape for it).
    reg.set_version_tag("paged", "4", "note", "it's fine")
        .await
        .unwrap();
    let quoted = reg
        .search_versions_by_tag("note", "it's fine")
        .await
        .unwrap();
    assert_eq!(quoted.len(), 1);
    assert_eq!(quoted[0].version, "4");
    // Many models: the model listing pages too.
    let names: Vec<String> = reg
        .list_registered_models()
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, ["other", "paged"]);
}

async fn check_runs_and_metrics<R: RegistryWriter>(reg: &R) {
    let run = reg
        .create_run("metrics", 5, &tags(&[("mlflow.user", "ana")]))
        .await
        .unwrap();
    let m = |key: &str, value: f64, timestamp: i64, step: i64| Metric {
        key: key.into(),
        value,
        timestamp,
        step,
    };
    reg.log_metrics(
        &run,
        &[
            m("auc", 0.5, 10, 0),
            m("auc", 0.9, 30, 2),
            m("auc", 0.7, 20, 1),
            m("drift", f64::NAN, 10, 0),
            m("loss", 0.25, 10, 0),
        ],
    )
    .await
    .unwrap();
    reg.log_params(&run, &tags(&[("lr", "0.1"), ("depth", "6")]))
        .await
        .unwrap();
    let other = reg.create_run("metrics", 6, &Tags::new()).await.unwrap();
    let ids = vec![
        other.clone(),
        "0123456789abcdef0123456789abcdef".to_owned(),
        run.clone(),
        run.clone(),
    ];
    let runs = reg.get_runs(&ids).await.unwrap();
    let got: Vec<&str> = runs.iter().map(|r| r.run_id.as_str()).collect();
    assert_eq!(
        got,
        [other.as_str(), run.as_str()],
        "asked order, unknown ids left out"
    );
    let r = &runs[1];
    assert_eq!(r.metrics["auc"], 0.9, "latest is the highest step");
    assert!(r.metrics["drift"].is_nan(), "NaN survives the round trip");
    assert_eq!(r.metrics["loss"], 0.25);
    assert_eq!(r.params, tags(&[("depth", "6"), ("lr", "0.1")]));
    assert_eq!(r.user(), Some("ana"));
    assert!(!r.artifact_uri.is_empty());
    let history = reg.metric_history(&run, "auc").await.unwrap();
    let h: Vec<(i64, f64)> = history.iter().map(|m| (m.step, m.value)).collect();
    assert_eq!(h, [(0, 0.5), (1, 0.7), (2, 0.9)]);
    let nan = reg.metric_history(&run, "drift").await.unwrap();
    assert!(nan.len() == 1 && nan[0].value.is_nan());
    assert!(reg.metric_history(&run, "absent").await.unwrap().is_empty());
    assert!(reg.get_runs(&[]).await.unwrap().is_empty());
}

async fn check_artifacts<R: RegistryWriter>(reg: &R) {
    let run = model_with_versions(reg, "files", 1).await;
    let listing = |files: Vec<modelgate::registry::FileInfo>| -> Vec<(String, u64)> {
        files.into_iter().map(|f| (f.path, f.size)).collect()
    };
    let own = |pairs: &[(&str, u64)]| -> Vec<(String, u64)> {
        pairs.iter().map(|(p, s)| ((*p).to_owned(), *s)).collect()
    };
    assert_eq!(
        listing(reg.list_run_artifacts(&run, "").await.unwrap()),
        own(&[
            ("model/MLmodel", 12),
            ("model/data/deeper/x.txt", 4),
            ("model/data/weights.bin", 5),
            ("model0.txt", 25),
            ("modelgate/fairness.json", 19),
        ])
    );
    let model = reg.list_run_artifacts(&run, "model").await.unwrap();
    assert_eq!(
        listing(model.clone()),
        own(&[
            ("MLmodel", 12),
            ("data/deeper/x.txt", 4),
            ("data/weights.bin", 5)
        ])
    );
    assert_eq!(reg.list_run_artifacts(&run, "model/").await.unwrap(), model);
    assert!(
        reg.list_run_artifacts(&run, "absent")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        reg.read_run_artifact(&run, "model/data/weights.bin", 5)
            .await
            .unwrap(),
        [0u8, 1, 2, 3, 255]
    );
    match reg
        .read_run_artifact(&run, "model/data/weights.bin", 4)
        .await
    {
        Err(RegistryError::TooLarge { size, limit, what }) => {
            assert_eq!((size, limit), (5, 4));
            assert!(what.contains("model/data/weights.bin"), "{what}");
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    expect_not_found(
        reg.read_run_artifact(&run, "model/absent", 100).await,
        "model/absent",
    );
    expect_not_found(
        reg.list_run_artifacts("0123456789abcdef0123456789abcdef", "")
            .await,
        "run 0123456789abcdef0123456789abcdef",
    );
    for bad in ["../secret", "/etc/passwd", "model/../../x", "a//b", ""] {
        expect_invalid(reg.read_run_artifact(&run, bad, 100).await);
        expect_invalid(reg.upload_artifact(&run, bad, b"x").await);
    }
    // The model directory, through the version's `runs:/<run>/model` source.
    assert_eq!(
        listing(reg.list_model_files("files", "1").await.unwrap()),
        listing(model)
    );
    assert_eq!(
        reg.read_model_file("files", "1", "MLmodel", 100)
            .await
            .unwrap(),
        b"flavors: {}\n"
    );
    assert!(matches!(
        reg.read_model_file("files", "1", "MLmodel", 3).await,
        Err(RegistryError::TooLarge {
            size: 12,
            limit: 3,
            ..
        })
    ));
    expect_not_found(
        reg.read_model_file("files", "1", "absent", 100).await,
        "absent",
    );
    expect_not_found(reg.list_model_files("files", "5").await, "files/5");
    expect_invalid(
        reg.read_model_file("files", "1", "../model0.txt", 100)
            .await,
    );
    // Overwriting an artifact replaces it.
    reg.upload_artifact(&run, "model0.txt", b"replaced")
        .await
        .unwrap();
    assert_eq!(
        reg.read_run_artifact(&run, "model0.txt", 100)
            .await
            .unwrap(),
        b"replaced"
    );
}

fn local() -> (TempDir, Prefixed<LocalRegistry>) {
    let dir = TempDir::new().unwrap();
    let reg = LocalRegistry::create(&dir.path().join("r.db")).unwrap();
    (dir, Prefixed::new(reg, ""))
}

fn mlflow(tag: &str) -> Prefixed<modelgate::registry::mlflow::MlflowRegistry> {
    Prefixed::new(mlflow_registry(&mlflow_uri()), &unique_prefix(tag))
}

#[tokio::test]
async fn embedded_tags_and_aliases() {
    let (_d, reg) = local();
    check_tags_and_aliases(&reg).await;
}

#[tokio::test]
async fn mlflow_tags_and_aliases() {
    check_tags_and_aliases(&mlflow("tags")).await;
}

#[tokio::test]
async fn embedded_search_and_pagination() {
    let (_d, reg) = local();
    check_search_and_pagination(&reg).await;
}

#[tokio::test]
async fn mlflow_search_and_pagination() {
    check_search_and_pagination(&mlflow("search")).await;
}

#[tokio::test]
async fn embedded_runs_and_metrics() {
    let (_d, reg) = local();
    check_runs_and_metrics(&reg).await;
}

#[tokio::test]
async fn mlflow_runs_and_metrics() {
    check_runs_and_metrics(&mlflow("runs")).await;
}

#[tokio::test]
async fn embedded_artifacts() {
    let (_d, reg) = local();
    check_artifacts(&reg).await;
}

#[tokio::test]
async fn mlflow_artifacts() {
    check_artifacts(&mlflow("files")).await;
}
