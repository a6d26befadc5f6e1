//! The embedded SQLite registry: file safety, protocol primitives, MLflow-like
//! validation, batching and concurrent writers.

use std::path::{Path, PathBuf};

use modelgate::registry::local::{LocalRegistry, SCHEMA_VERSION};
use modelgate::registry::{FileInfo, Metric, Registry, RegistryError, RegistryWriter, Tags};
use rusqlite::Connection;
use tempfile::TempDir;

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn registry_path(dir: &TempDir) -> PathBuf {
    dir.path().join("registry.db")
}

fn new_registry() -> (TempDir, LocalRegistry) {
    let dir = TempDir::new().unwrap();
    let registry = LocalRegistry::create(&registry_path(&dir)).unwrap();
    (dir, registry)
}

/// The SQLite side files that must not appear next to a refused file.
fn side_files(path: &Path) -> Vec<PathBuf> {
    ["-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{}{suffix}", path.display())))
        .filter(|p| p.exists())
        .collect()
}

fn metric(key: &str, value: f64, timestamp: i64, step: i64) -> Metric {
    Metric {
        key: key.to_string(),
        value,
        timestamp,
        step,
    }
}

/// A model with one version whose source is `runs:/<run>/model`.
async fn model_with_version(registry: &LocalRegistry, name: &str) -> String {
    registry
        .ensure_registered_model(name, Some("test model"), &Tags::new())
        .await
        .unwrap();
    let run = registry
        .create_run("exp", 1_700_000_000_000, &tags(&[("mlflow.user", "ana")]))
        .await
        .unwrap();
    registry
        .create_model_version(
            name,
            &format!("runs:/{run}/model"),
            &run,
            None,
            &Tags::new(),
        )
        .await
        .unwrap();
    run
}

fn assert_corrupt(result: Result<LocalRegistry, RegistryError>, path: &Path, needle: &str) {
    match result {
        Err(RegistryError::CorruptStore { path: p, message }) => {
            assert_eq!(p, path.display().to_string());
            assert!(
                message.contains(needle),
                "message {message:?} lacks {needle:?}"
            );
        }
        other => panic!("expected CorruptStore containing {needle:?}, got {other:?}"),
    }
}

fn assert_invalid<T: std::fmt::Debug>(result: Result<T, RegistryError>) {
    assert!(
        matches!(result, Err(RegistryError::InvalidRequest { .. })),
        "expected InvalidRequest, got {result:?}"
    );
}

fn assert_not_found<T: std::fmt::Debug>(result: Result<T, RegistryError>, what: &str) {
    match result {
        Err(RegistryError::NotFound { what: w }) => {
            assert!(w.contains(what), "{w:?} lacks {what:?}")
        }
        other => panic!("expected NotFound for {what:?}, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------

#[tokio::test]
async fn create_then_open_keeps_the_registry_id_and_data() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("nested/deeper/registry.db");
    let created = LocalRegistry::create(&path).unwrap();
    let id = created.registry_id().to_string();
    let hex = id.strip_prefix("local:").expect("local: prefix");
    assert_eq!(hex.len(), 32);
    assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(created.describe(), path.display().to_string());
    created
        .ensure_registered_model("m", None, &tags(&[("team", "risk")]))
        .await
        .unwrap();
    drop(created);
    assert_eq!(
        side_files(&path),
        Vec::<PathBuf>::new(),
        "WAL files left after close"
    );

    let reopened = LocalRegistry::open(&path).unwrap();
    assert_eq!(reopened.registry_id(), id);
    let model = reopened.get_registered_model("m").await.unwrap();
    assert_eq!(model.tags, tags(&[("team", "risk")]));
    let again = LocalRegistry::open_or_create(&path).unwrap();
    assert_eq!(again.registry_id(), id);

    // A second registry gets its own id.
    let (_other_dir, other) = new_registry();
    assert_ne!(other.registry_id(), id);
}

#[tokio::test]
async fn create_refuses_an_existing_file_and_open_a_missing_one() {
    let (dir, registry) = new_registry();
    let path = registry_path(&dir);
    let before = std::fs::read(&path).unwrap();
    let err = LocalRegistry::create(&path).unwrap_err();
    assert!(matches!(err, RegistryError::Conflict { .. }), "{err:?}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    drop(registry);

    let missing = dir.path().join("missing.db");
    let err = LocalRegistry::open(&missing).unwrap_err();
    assert!(matches!(err, RegistryError::MissingFile { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("modelgate demo") && text.contains("modelgate register"),
        "{text}"
    );
    assert!(!missing.exists(), "open must not create the file");

    let created = LocalRegistry::open_or_create(&missing).unwrap();
    assert!(created.registry_id().starts_with("local:"));
    assert!(missing.exists());
    // No temporary file is left in the directory.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("creating"))
        .collect();
    assert_eq!(names, Vec::<String>::new());
}

#[test]
fn a_text_file_is_refused_and_left_untouched() {
    let dir = TempDir::new().unwrap();
    for (name, content) in [
        ("short.txt", "hello\n".to_string()),
        ("long.txt", "not a database at all\n".repeat(40)),
        ("empty.txt", String::new()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &content).unwrap();
        let needle = if content.is_empty() {
            "empty file"
        } else {
            "not a SQLite database"
        };
        assert_corrupt(LocalRegistry::open(&path), &path, needle);
        assert_corrupt(LocalRegistry::open_or_create(&path), &path, needle);
        assert!(LocalRegistry::create(&path).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), content.as_bytes());
        assert_eq!(side_files(&path), Vec::<PathBuf>::new());
    }
}

#[test]
fn a_foreign_sqlite_database_is_refused_and_left_untouched() {
    let dir = TempDir::new().unwrap();
    // Rollback-journal and WAL databases: switching either's journal mode would
    // change its header, so the byte comparison catches any write.
    for mode in ["DELETE", "WAL"] {
        let path = dir.path().join(format!("app-{mode}.sqlite"));
        {
            let conn = Connection::open(&path).unwrap();
            conn.query_row(&format!("PRAGMA journal_mode = {mode}"), [], |_| Ok(()))
                .unwrap();
            conn.execute_batch(
                "CREATE TABLE meta (key TEXT, value TEXT);
                 INSERT INTO meta VALUES ('registry_id', 'local:0123');",
            )
            .unwrap();
        }
        let before = std::fs::read(&path).unwrap();
        for result in [
            LocalRegistry::open(&path),
            LocalRegistry::open_or_create(&path),
        ] {
            assert_corrupt(result, &path, "not a modelgate registry");
        }
        assert_eq!(std::fs::read(&path).unwrap(), before);
        assert_eq!(side_files(&path), Vec::<PathBuf>::new());
    }
}

#[test]
fn a_registry_from_a_newer_modelgate_is_refused_and_left_untouched() {
    let (dir, registry) = new_registry();
    drop(registry);
    let path = registry_path(&dir);
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1))
            .unwrap();
    }
    assert_eq!(side_files(&path), Vec::<PathBuf>::new());
    let before = std::fs::read(&path).unwrap();
    assert_corrupt(
        LocalRegistry::open(&path),
        &path,
        "created by a newer modelgate",
    );
    let message = LocalRegistry::open(&path).unwrap_err().to_string();
    assert!(message.contains("upgrade"), "{message}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(side_files(&path), Vec::<PathBuf>::new());
}

// ---------------------------------------------------------------------------
// Tags and aliases
// ---------------------------------------------------------------------------

#[tokio::test]
async fn version_tags_set_overwrite_delete_and_not_found() {
    let (_dir, registry) = new_registry();
    model_with_version(&registry, "fraud-scorer").await;

    registry
        .set_version_tag("fraud-scorer", "1", "modelgate.review", "pending")
        .await
        .unwrap();
    registry
        .set_version_tag("fraud-scorer", "1", "modelgate.review", "approved")
        .await
        .unwrap();
    let version = registry.get_version("fraud-scorer", "1").await.unwrap();
    assert_eq!(version.tags, tags(&[("modelgate.review", "approved")]));

    registry
        .delete_version_tag("fraud-scorer", "1", "modelgate.review")
        .await
        .unwrap();
    assert!(
        registry
            .get_version("fraud-scorer", "1")
            .await
            .unwrap()
            .tags
            .is_empty()
    );
    assert_not_found(
        registry
            .delete_version_tag("fraud-scorer", "1", "modelgate.review")
            .await,
        "modelgate.review",
    );
    assert_not_found(
        registry
            .set_version_tag("fraud-scorer", "7", "k", "v")
            .await,
        "model version fraud-scorer/7",
    );
    assert_not_found(
        registry.delete_version_tag("fraud-scorer", "7", "k").await,
        "model version fraud-scorer/7",
    );
    assert_not_found(
        registry.set_version_tag("nope", "1", "k", "v").await,
        "model version nope/1",
    );
    assert_not_found(
        registry.get_version("fraud-scorer", "2").await,
        "model version fraud-scorer/2",
    );
    assert_invalid(registry.get_version("fraud-scorer", "one").await);
    assert_invalid(
        registry
            .set_version_tag("fraud-scorer", "-1", "k", "v")
            .await,
    );
}

#[tokio::test]
async fn model_tags_and_aliases() {
    let (_dir, registry) = new_registry();
    model_with_version(&registry, "fraud-scorer").await;
    let run = registry.create_run("exp", 0, &Tags::new()).await.unwrap();
    let source = format!("runs:/{run}/model");
    let v2 = registry
        .create_model_version("fraud-scorer", &source, &run, Some("second"), &Tags::new())
        .await
        .unwrap();
    assert_eq!(v2, "2");

    registry
        .set_model_tag("fraud-scorer", "modelgate.risk", "high")
        .await
        .unwrap();
    registry
        .set_alias("fraud-scorer", "champion", "1")
        .await
        .unwrap();
    registry
        .set_alias("fraud-scorer", "challenger", "2")
        .await
        .unwrap();
    registry
        .set_alias("fraud-scorer", "champion", "2")
        .await
        .unwrap();
    let model = registry.get_registered_model("fraud-scorer").await.unwrap();
    assert_eq!(model.tags, tags(&[("modelgate.risk", "high")]));
    assert_eq!(
        model.aliases,
        tags(&[("champion", "2"), ("challenger", "2")])
    );
    assert_eq!(model.description.as_deref(), Some("test model"));

    assert_not_found(
        registry.set_alias("fraud-scorer", "champion", "9").await,
        "fraud-scorer/9",
    );
    assert_not_found(registry.set_alias("ghost", "champion", "1").await, "ghost");
    assert_not_found(
        registry.set_model_tag("ghost", "k", "v").await,
        "registered model ghost",
    );
    assert_not_found(
        registry.delete_model_tag("fraud-scorer", "absent").await,
        "absent",
    );
    assert_invalid(registry.set_alias("fraud-scorer", "latest", "1").await);
    assert_invalid(registry.set_alias("fraud-scorer", "v3", "1").await);
    assert_invalid(registry.set_alias("fraud-scorer", "has space", "1").await);

    registry
        .delete_alias("fraud-scorer", "champion")
        .await
        .unwrap();
    registry
        .delete_model_tag("fraud-scorer", "modelgate.risk")
        .await
        .unwrap();
    assert_not_found(
        registry.delete_alias("fraud-scorer", "champion").await,
        "champion",
    );
    let model = registry.get_registered_model("fraud-scorer").await.unwrap();
    assert_eq!(model.aliases, tags(&[("challenger", "2")]));
    assert!(model.tags.is_empty());

    // ensure_registered_model merges tags and keeps the description unless given.
    registry
        .ensure_registered_model("fraud-scorer", None, &tags(&[("team", "fraud")]))
        .await
        .unwrap();
    let model = registry.get_registered_model("fraud-scorer").await.unwrap();
    assert_eq!(model.description.as_deref(), Some("test model"));
    assert_eq!(model.tags, tags(&[("team", "fraud")]));
    let all = registry.list_registered_models().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0], model);
}

#[tokio::test]
async fn tag_keys_and_values_follow_mlflow_limits() {
    let (_dir, registry) = new_registry();
    model_with_version(&registry, "m").await;

    let longest = "k".repeat(250);
    registry
        .set_version_tag("m", "1", &longest, "v")
        .await
        .unwrap();
    assert_invalid(
        registry
            .set_version_tag("m", "1", &"k".repeat(251), "v")
            .await,
    );
    for key in [
        "", "bad key!", "grüße", "a//b", "../x", "/x", "./x", "x/.", "a\\b", "x/",
    ] {
        assert_invalid(registry.set_version_tag("m", "1", key, "v").await);
        assert_invalid(registry.set_model_tag("m", key, "v").await);
    }
    registry
        .set_version_tag("m", "1", "ok/key-with.all: chars_09", "v")
        .await
        .unwrap();

    // Version tag values may hold 100,000 characters (multi-byte ones count once).
    let big = "é".repeat(100_000);
    registry
        .set_version_tag("m", "1", "big", &big)
        .await
        .unwrap();
    assert_eq!(
        registry.get_version("m", "1").await.unwrap().tags["big"],
        big
    );
    assert_invalid(
        registry
            .set_version_tag("m", "1", "big", &"x".repeat(100_001))
            .await,
    );
    assert_eq!(
        registry.get_version("m", "1").await.unwrap().tags["big"],
        big
    );

    // Registered-model tag values only 5,000.
    registry
        .set_model_tag("m", "note", &"x".repeat(5_000))
        .await
        .unwrap();
    assert_invalid(
        registry
            .set_model_tag("m", "note", &"x".repeat(5_001))
            .await,
    );
    assert_invalid(
        registry
            .ensure_registered_model("m", None, &tags(&[("note", &"x".repeat(5_001))]))
            .await,
    );
    assert_eq!(
        registry.get_registered_model("m").await.unwrap().tags["note"].len(),
        5_000
    );
}

// ---------------------------------------------------------------------------
// Runs and metrics
// ---------------------------------------------------------------------------

#[tokio::test]
async fn non_finite_metrics_round_trip_exactly() {
    let (_dir, registry) = new_registry();
    let run = registry.create_run("exp", 0, &Tags::new()).await.unwrap();
    let values = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        0.1,
        f64::MIN_POSITIVE,
    ];
    let metrics: Vec<Metric> = values
        .iter()
        .enumerate()
        .map(|(i, &v)| metric(&format!("m{i}"), v, 1_000, 0))
        .collect();
    registry.log_metrics(&run, &metrics).await.unwrap();

    let loaded = registry.get_runs(std::slice::from_ref(&run)).await.unwrap();
    for (i, value) in values.iter().enumerate() {
        let got = loaded[0].metrics[&format!("m{i}")];
        assert_eq!(
            got.to_bits(),
            value.to_bits(),
            "metric m{i}: {got} != {value}"
        );
        let history = registry
            .metric_history(&run, &format!("m{i}"))
            .await
            .unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].value.to_bits(), value.to_bits());
    }
}

#[tokio::test]
async fn latest_metric_is_highest_step_then_latest_timestamp() {
    let (_dir, registry) = new_registry();
    let run = registry.create_run("exp", 0, &Tags::new()).await.unwrap();
    let batch = [
        metric("auc", 0.80, 300, 2), // highest step, logged first
        metric("auc", 0.70, 900, 1), // later timestamp, lower step
        metric("auc", 0.60, 100, 1),
        metric("auc", 0.75, 200, 2), // same step, older: not latest
    ];
    registry.log_metrics(&run, &batch).await.unwrap();
    let latest = |runs: Vec<modelgate::registry::Run>| runs[0].metrics["auc"];
    assert_eq!(
        latest(registry.get_runs(std::slice::from_ref(&run)).await.unwrap()),
        0.80
    );

    registry
        .log_metrics(&run, &[metric("auc", f64::NAN, 301, 2)])
        .await
        .unwrap();
    assert!(latest(registry.get_runs(std::slice::from_ref(&run)).await.unwrap()).is_nan());

    let history = registry.metric_history(&run, "auc").await.unwrap();
    let order: Vec<(i64, i64)> = history.iter().map(|m| (m.step, m.timestamp)).collect();
    assert_eq!(order, [(1, 100), (1, 900), (2, 200), (2, 300), (2, 301)]);
    assert!(history.iter().all(|m| m.key == "auc"));
    assert!(
        registry
            .metric_history(&run, "absent")
            .await
            .unwrap()
            .is_empty()
    );
    assert_not_found(registry.metric_history("nope", "auc").await, "run nope");
    assert_not_found(registry.log_metrics("nope", &batch).await, "run nope");
    assert_invalid(
        registry
            .log_metrics(&run, &[metric("bad key!", 1.0, 0, 0)])
            .await,
    );
}

#[tokio::test]
async fn runs_carry_params_tags_and_artifact_uri() {
    let (_dir, registry) = new_registry();
    let run = registry
        .create_run("fraud", 42, &tags(&[("mlflow.user", "ana")]))
        .await
        .unwrap();
    assert_eq!(run.len(), 32);
    assert!(run.bytes().all(|b| b.is_ascii_hexdigit()));
    registry
        .log_params(&run, &tags(&[("lr", "0.1"), ("depth", "6")]))
        .await
        .unwrap();
    registry
        .log_params(&run, &tags(&[("lr", "0.1")]))
        .await
        .unwrap();
    let err = registry
        .log_params(&run, &tags(&[("lr", "0.2")]))
        .await
        .unwrap_err();
    assert!(matches!(err, RegistryError::Conflict { .. }), "{err:?}");

    let other = registry
        .create_run("fraud", 43, &Tags::new())
        .await
        .unwrap();
    let runs = registry
        .get_runs(&[run.clone(), other.clone()])
        .await
        .unwrap();
    assert_eq!(runs[0].run_id, run);
    assert_eq!(runs[0].user(), Some("ana"));
    assert_eq!(runs[0].params, tags(&[("lr", "0.1"), ("depth", "6")]));
    assert_eq!(
        runs[0].artifact_uri,
        format!("modelgate-local:/{run}/artifacts")
    );
    assert_eq!(
        runs[0].experiment_id, runs[1].experiment_id,
        "same experiment"
    );
    let third = registry.create_run("other", 0, &Tags::new()).await.unwrap();
    let third = registry.get_runs(&[third]).await.unwrap();
    assert_ne!(third[0].experiment_id, runs[0].experiment_id);
}

#[tokio::test]
async fn get_runs_batches_many_ids_and_skips_unknown_ones() {
    let (_dir, registry) = new_registry();
    let mut ids = Vec::new();
    for i in 0..700 {
        let run = registry
            .create_run("exp", i, &tags(&[("index", &i.to_string())]))
            .await
            .unwrap();
        ids.push(run);
    }
    registry
        .log_metrics(&ids[650], &[metric("auc", 0.9, 0, 0)])
        .await
        .unwrap();
    // 1,200 ids: the 700 real ones in reverse, 499 unknown ones, one duplicate.
    let mut asked: Vec<String> = ids.iter().rev().cloned().collect();
    for i in 0..499 {
        asked.insert(i * 2, format!("{:032x}", i));
    }
    asked.push(ids[3].clone());
    assert_eq!(asked.len(), 1_200);

    let runs = registry.get_runs(&asked).await.unwrap();
    assert_eq!(runs.len(), 700);
    let expected: Vec<&String> = ids.iter().rev().collect();
    let got: Vec<&String> = runs.iter().map(|r| &r.run_id).collect();
    assert_eq!(got, expected, "order of the request, each run once");
    let r650 = runs.iter().find(|r| r.run_id == ids[650]).unwrap();
    assert_eq!(r650.tags["index"], "650");
    assert_eq!(r650.metrics["auc"], 0.9);
    assert!(registry.get_runs(&[]).await.unwrap().is_empty());
}

// ---------------------------------------------------------------------------
// Artifacts and model files
// ---------------------------------------------------------------------------

async fn run_with_artifacts(registry: &LocalRegistry) -> String {
    let run = registry.create_run("exp", 0, &Tags::new()).await.unwrap();
    let files: [(&str, &[u8]); 5] = [
        ("model/MLmodel", b"flavors: {}\n"),
        ("model/data/weights.bin", &[0u8, 1, 2, 3, 255]),
        ("model0.txt", b"sibling, not below model/"),
        ("modelgate/fairness.json", b"{\"assessments\": []}"),
        ("modelx/file", b"x"),
    ];
    for (path, bytes) in files {
        registry.upload_artifact(&run, path, bytes).await.unwrap();
    }
    run
}

fn listing(files: &[FileInfo]) -> Vec<(&str, u64)> {
    files.iter().map(|f| (f.path.as_str(), f.size)).collect()
}

#[tokio::test]
async fn run_artifacts_by_path_with_nested_listing_and_limits() {
    let (_dir, registry) = new_registry();
    let run = run_with_artifacts(&registry).await;

    let all = registry.list_run_artifacts(&run, "").await.unwrap();
    assert_eq!(
        listing(&all),
        [
            ("model/MLmodel", 12),
            ("model/data/weights.bin", 5),
            ("model0.txt", 25),
            ("modelgate/fairness.json", 19),
            ("modelx/file", 1),
        ]
    );
    let model = registry.list_run_artifacts(&run, "model").await.unwrap();
    assert_eq!(listing(&model), [("MLmodel", 12), ("data/weights.bin", 5)]);
    assert_eq!(
        registry.list_run_artifacts(&run, "model/").await.unwrap(),
        model
    );
    assert_eq!(
        listing(
            &registry
                .list_run_artifacts(&run, "model/data")
                .await
                .unwrap()
        ),
        [("weights.bin", 5)]
    );
    assert!(
        registry
            .list_run_artifacts(&run, "mod")
            .await
            .unwrap()
            .is_empty()
    );

    let bytes = registry
        .read_run_artifact(&run, "model/data/weights.bin", 5)
        .await
        .unwrap();
    assert_eq!(bytes, [0u8, 1, 2, 3, 255]);
    match registry
        .read_run_artifact(&run, "model/data/weights.bin", 4)
        .await
    {
        Err(RegistryError::TooLarge { size, limit, what }) => {
            assert_eq!((size, limit), (5, 4));
            assert!(what.contains("model/data/weights.bin"), "{what}");
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    registry
        .upload_artifact(&run, "model/MLmodel", b"replaced")
        .await
        .unwrap();
    assert_eq!(
        registry
            .read_run_artifact(&run, "model/MLmodel", 100)
            .await
            .unwrap(),
        b"replaced"
    );
    assert_not_found(
        registry.read_run_artifact(&run, "model/absent", 100).await,
        "model/absent",
    );
    assert_not_found(registry.list_run_artifacts("nope", "").await, "run nope");
    assert_not_found(registry.upload_artifact("nope", "a", b"").await, "run nope");
}

#[tokio::test]
async fn artifact_paths_that_escape_are_rejected() {
    let (_dir, registry) = new_registry();
    let run = run_with_artifacts(&registry).await;
    for path in [
        "../secret",
        "/etc/passwd",
        "model/../../x",
        "a\\b",
        "a//b",
        "./a",
        "model/.",
        "",
    ] {
        assert_invalid(registry.read_run_artifact(&run, path, 100).await);
        assert_invalid(registry.upload_artifact(&run, path, b"x").await);
    }
    for dir in ["..", "/model", "model/../..", "a\\b", "a//b"] {
        assert_invalid(registry.list_run_artifacts(&run, dir).await);
    }
    assert_eq!(
        registry.list_run_artifacts(&run, "").await.unwrap().len(),
        5
    );
}

#[tokio::test]
async fn model_files_resolve_through_the_runs_source() {
    let (_dir, registry) = new_registry();
    let run = run_with_artifacts(&registry).await;
    registry
        .ensure_registered_model("m", None, &Tags::new())
        .await
        .unwrap();
    let source = format!("runs:/{run}/model");
    registry
        .create_model_version("m", &source, &run, None, &Tags::new())
        .await
        .unwrap();

    let files = registry.list_model_files("m", "1").await.unwrap();
    assert_eq!(listing(&files), [("MLmodel", 12), ("data/weights.bin", 5)]);
    assert_eq!(
        registry
            .read_model_file("m", "1", "MLmodel", 100)
            .await
            .unwrap(),
        b"flavors: {}\n"
    );
    assert!(matches!(
        registry.read_model_file("m", "1", "MLmodel", 3).await,
        Err(RegistryError::TooLarge {
            size: 12,
            limit: 3,
            ..
        })
    ));
    assert_invalid(
        registry
            .read_model_file("m", "1", "../model0.txt", 100)
            .await,
    );
    assert_not_found(
        registry.read_model_file("m", "1", "absent", 100).await,
        "absent",
    );
    assert_not_found(
        registry.list_model_files("m", "5").await,
        "model version m/5",
    );

    // The whole run as the model directory.
    let root = format!("runs:/{run}");
    registry
        .create_model_version("m", &root, &run, None, &Tags::new())
        .await
        .unwrap();
    assert_eq!(registry.list_model_files("m", "2").await.unwrap().len(), 5);

    registry
        .create_model_version("m", "s3://bucket/model", "", None, &Tags::new())
        .await
        .unwrap();
    match registry.list_model_files("m", "3").await {
        Err(RegistryError::InvalidRequest { message }) => {
            assert!(message.contains("runs:/"), "{message}")
        }
        other => panic!("expected InvalidRequest, got {other:?}"),
    }
    assert_eq!(registry.get_version("m", "3").await.unwrap().run_id, None);
    let ghost = format!("runs:/{}/model", "0".repeat(32));
    registry
        .create_model_version("m", &ghost, "", None, &Tags::new())
        .await
        .unwrap();
    assert_not_found(registry.list_model_files("m", "4").await, "run 0000");
}

// ---------------------------------------------------------------------------
// Versions and search
// ---------------------------------------------------------------------------

#[tokio::test]
async fn versions_are_numbered_per_model_and_listed_in_numeric_order() {
    let (_dir, registry) = new_registry();
    let run = model_with_version(&registry, "a").await;
    registry
        .ensure_registered_model("b", None, &Tags::new())
        .await
        .unwrap();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    for _ in 0..10 {
        registry
            .create_model_version("a", &format!("runs:/{run}/model"), &run, None, &Tags::new())
            .await
            .unwrap();
    }
    let first_b = registry
        .create_model_version(
            "b",
            &format!("runs:/{run}/model"),
            &run,
            Some("d"),
            &Tags::new(),
        )
        .await
        .unwrap();
    assert_eq!(first_b, "1");

    let versions = registry.list_versions("a").await.unwrap();
    let numbers: Vec<&str> = versions.iter().map(|v| v.version.as_str()).collect();
    assert_eq!(
        numbers,
        ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11"]
    );
    assert!(versions[10].creation_timestamp >= before);
    assert_eq!(versions[10].run_id.as_deref(), Some(run.as_str()));
    assert_eq!(versions[10].source, format!("runs:/{run}/model"));
    assert_not_found(
        registry.list_versions("ghost").await,
        "registered model ghost",
    );
    assert_not_found(
        registry
            .create_model_version("ghost", "runs:/x/y", "", None, &Tags::new())
            .await,
        "registered model ghost",
    );
}

#[tokio::test]
async fn search_by_tag_finds_matching_versions_of_all_models() {
    let (_dir, registry) = new_registry();
    let run = model_with_version(&registry, "alpha").await;
    model_with_version(&registry, "beta").await;
    let source = format!("runs:/{run}/model");
    for name in ["alpha", "beta"] {
        let pending = tags(&[
            ("modelgate.review", "pending"),
            ("modelgate.submitted_by", "ana"),
        ]);
        registry
            .create_model_version(name, &source, &run, None, &pending)
            .await
            .unwrap();
    }
    registry
        .set_version_tag("alpha", "1", "modelgate.review", "approved")
        .await
        .unwrap();
    registry
        .set_version_tag("beta", "1", "other", "pending")
        .await
        .unwrap();

    let found = registry
        .search_versions_by_tag("modelgate.review", "pending")
        .await
        .unwrap();
    let keys: Vec<(&str, &str)> = found
        .iter()
        .map(|v| (v.name.as_str(), v.version.as_str()))
        .collect();
    assert_eq!(keys, [("alpha", "2"), ("beta", "2")]);
    assert_eq!(found[0].tags["modelgate.submitted_by"], "ana");
    assert_eq!(found[0].tags.len(), 2, "every tag of a match is loaded");

    let approved = registry
        .search_versions_by_tag("modelgate.review", "approved")
        .await
        .unwrap();
    assert_eq!(approved.len(), 1);
    assert_eq!(
        (approved[0].name.as_str(), approved[0].version.as_str()),
        ("alpha", "1")
    );
    assert!(
        registry
            .search_versions_by_tag("modelgate.review", "Pending")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        registry
            .search_versions_by_tag("absent", "pending")
            .await
            .unwrap()
            .is_empty()
    );
}

// ---------------------------------------------------------------------------
// Concurrency and speed
// ---------------------------------------------------------------------------

#[test]
fn two_handles_on_one_file_write_concurrently() {
    let (dir, registry) = new_registry();
    let path = registry_path(&dir);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(model_with_version(&registry, "shared"));

    let writers: Vec<_> = (0..2)
        .map(|w| {
            let path = path.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .build()
                    .unwrap();
                let handle = LocalRegistry::open(&path).unwrap();
                runtime.block_on(async {
                    for i in 0..40 {
                        let key = format!("writer{w}.tag{i}");
                        handle
                            .set_version_tag("shared", "1", &key, "x")
                            .await
                            .unwrap();
                        handle
                            .create_model_version("shared", "runs:/r/model", "", None, &Tags::new())
                            .await
                            .unwrap();
                    }
                });
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }

    runtime.block_on(async {
        let version = registry.get_version("shared", "1").await.unwrap();
        assert_eq!(version.tags.len(), 80);
        let numbers: Vec<String> = registry
            .list_versions("shared")
            .await
            .unwrap()
            .into_iter()
            .map(|v| v.version)
            .collect();
        let expected: Vec<String> = (1..=81).map(|n| n.to_string()).collect();
        assert_eq!(
            numbers, expected,
            "every version created once, without gaps"
        );
    });
}

/// The queue path: every pending version with tags, then all their runs, across
/// several batches (runs are fetched 500 ids at a time). Speed is measured by
/// `bench/queue_10k.sh`, never asserted in a test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_path_loads_every_pending_version_with_its_run() {
    let (_dir, registry) = new_registry();
    build_large_registry(&registry, 1_200).await;

    let pending = registry
        .search_versions_by_tag("modelgate.review", "pending")
        .await
        .unwrap();
    let run_ids: Vec<String> = pending.iter().filter_map(|v| v.run_id.clone()).collect();
    let runs = registry.get_runs(&run_ids).await.unwrap();

    assert_eq!(pending.len(), 1_200);
    assert_eq!(runs.len(), 1_200);
    assert!(pending.iter().all(|v| v.tags.len() == 3));
    assert!(
        runs.iter()
            .all(|r| r.metrics.len() == 4 && r.params.len() == 3 && r.tags.len() == 2)
    );
}

async fn build_large_registry(registry: &LocalRegistry, versions: usize) {
    for m in 0..10 {
        registry
            .ensure_registered_model(&format!("model-{m}"), None, &Tags::new())
            .await
            .unwrap();
    }
    let metrics = [
        metric("auc", 0.9, 1, 0),
        metric("loss", 0.1, 1, 0),
        metric("f1", 0.8, 1, 0),
        metric("latency_ms", 12.0, 1, 0),
    ];
    let params = tags(&[("lr", "0.1"), ("depth", "6"), ("seed", "7")]);
    // A signed submit record of realistic size rides along on every version.
    let record = format!(
        "{{\"action\":\"submit\",\"sig\":\"{}\"}}",
        "A".repeat(1_500)
    );
    let version_tags = tags(&[
        ("modelgate.review", "pending"),
        ("modelgate.submitted_by", "ana"),
        (&format!("modelgate.record.{}", "ab".repeat(32)), &record),
    ]);
    for i in 0..versions {
        let run = registry
            .create_run(
                "exp",
                0,
                &tags(&[("mlflow.user", "ana"), ("i", &i.to_string())]),
            )
            .await
            .unwrap();
        registry.log_metrics(&run, &metrics).await.unwrap();
        registry.log_params(&run, &params).await.unwrap();
        let source = format!("runs:/{run}/model");
        registry
            .create_model_version(
                &format!("model-{}", i % 10),
                &source,
                &run,
                None,
                &version_tags,
            )
            .await
            .unwrap();
    }
}
