//! The command line against real embedded registries: the demo, `queue`, `show`,
//! `register`, and every bad input they must refuse with a clear message.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

use crate::hermetic;

/// The binary with this test's own HOME and XDG directories.
fn mg(dir: &Path) -> Command {
    hermetic::assert_modelgate(dir)
}

fn demo(dir: &TempDir) -> PathBuf {
    let db = dir.path().join("demo.db");
    mg(dir.path())
        .args(["demo", "--no-open", "--db"])
        .arg(&db)
        .assert()
        .success();
    db
}

fn json(out: &[u8]) -> Value {
    serde_json::from_slice(out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(out)))
}

fn stdout(c: &mut Command) -> Vec<u8> {
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn stderr_of_failure(c: &mut Command) -> String {
    let out = c.output().unwrap();
    assert!(
        !out.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn demo_queue_is_sorted_and_covers_every_sla_state() {
    let dir = TempDir::new().unwrap();
    let db = demo(&dir);
    // Global flags after the subcommand, too.
    let q = json(&stdout(
        mg(dir.path()).args(["queue", "--json", "--db"]).arg(&db),
    ));
    let items = q.as_array().unwrap();
    assert!(items.len() >= 10, "{}", items.len());
    let remaining: Vec<i64> = items
        .iter()
        .map(|i| i["remaining_seconds"].as_i64().unwrap())
        .collect();
    let mut sorted = remaining.clone();
    sorted.sort();
    assert_eq!(remaining, sorted);
    for state in ["on_track", "at_risk", "breached"] {
        assert!(items.iter().any(|i| i["sla_state"] == state), "no {state}");
    }
    for i in items {
        for k in [
            "model",
            "version",
            "risk",
            "state",
            "submitted_at",
            "deadline",
            "baseline",
            "required_roles",
            "approvals",
            "metrics",
            "gates",
        ] {
            assert!(i.get(k).is_some(), "{k} missing in {i}");
        }
        assert!(i["version"].is_string());
        assert!(i["gates"].is_null());
    }
}

#[test]
fn show_json_has_every_part_and_a_digest() {
    let dir = TempDir::new().unwrap();
    let db = demo(&dir);
    let q = json(&stdout(
        mg(dir.path())
            .arg("--db")
            .arg(&db)
            .args(["queue", "--json"]),
    ));
    for item in q.as_array().unwrap() {
        let (m, v) = (
            item["model"].as_str().unwrap(),
            item["version"].as_str().unwrap(),
        );
        let d = json(&stdout(
            mg(dir.path())
                .arg("--db")
                .arg(&db)
                .args(["show", m, v, "--json"]),
        ));
        for k in [
            "description",
            "source",
            "run_id",
            "baseline",
            "metrics",
            "schema",
            "explainability",
            "fairness",
            "security",
            "model_card",
            "records",
            "evidence",
        ] {
            assert!(d.get(k).is_some(), "{m} {v}: {k} missing");
        }
        let ev = d["evidence"]
            .as_str()
            .unwrap_or_else(|| panic!("{m} {v}: no evidence digest: {}", d["problems"]));
        assert!(ev.starts_with("sha256:") && ev.len() == 71);
        // Same evidence twice: the digest is a pure function of the registry content.
        let again = json(&stdout(
            mg(dir.path())
                .arg("--db")
                .arg(&db)
                .args(["show", m, v, "--json"]),
        ));
        assert_eq!(again["evidence"], d["evidence"]);
    }
}

#[test]
fn human_output_is_sanitised_and_plain_in_pipes() {
    let dir = TempDir::new().unwrap();
    let db = demo(&dir);
    let q = json(&stdout(
        mg(dir.path())
            .arg("--db")
            .arg(&db)
            .args(["queue", "--all", "--json"]),
    ));
    let mut saw_escape = false;
    for item in q.as_array().unwrap() {
        let (m, v) = (
            item["model"].as_str().unwrap(),
            item["version"].as_str().unwrap(),
        );
        let d = json(&stdout(
            mg(dir.path())
                .arg("--db")
                .arg(&db)
                .args(["show", m, v, "--json"]),
        ));
        let raw = format!(
            "{}{}",
            d["description"].as_str().unwrap_or(""),
            d["model_description"].as_str().unwrap_or("")
        );
        saw_escape |= raw.contains('\x1b');
        let human = stdout(mg(dir.path()).arg("--db").arg(&db).args(["show", m, v]));
        assert!(
            !human
                .iter()
                .any(|b| *b < 0x20 && *b != b'\n' && *b != b'\t'),
            "{m} {v}: control bytes in human output"
        );
        assert!(
            !String::from_utf8_lossy(&human).contains('\u{202e}'),
            "{m} {v}: bidi override"
        );
    }
    assert!(
        saw_escape,
        "the demo should carry a hostile description, kept raw in JSON"
    );
    let plain = stdout(mg(dir.path()).arg("--db").arg(&db).arg("queue"));
    assert!(!plain.contains(&0x1b), "no colour in a pipe");
    let coloured = stdout(
        mg(dir.path())
            .arg("--db")
            .arg(&db)
            .args(["queue", "--color", "always"]),
    );
    assert!(coloured.contains(&0x1b), "--color always colours");
}

#[test]
fn foreign_and_corrupt_files_are_refused_and_untouched() {
    let dir = TempDir::new().unwrap();
    let text = dir.path().join("notes.db");
    std::fs::write(&text, b"just some text, not a database\n").unwrap();
    let err = stderr_of_failure(mg(dir.path()).arg("--db").arg(&text).arg("queue"));
    assert!(err.contains("notes.db"), "{err}");
    assert_eq!(
        std::fs::read(&text).unwrap(),
        b"just some text, not a database\n"
    );

    let foreign = dir.path().join("foreign.db");
    {
        let c = rusqlite::Connection::open(&foreign).unwrap();
        c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
    }
    let before = std::fs::read(&foreign).unwrap();
    let err = stderr_of_failure(
        mg(dir.path())
            .arg("--db")
            .arg(&foreign)
            .args(["show", "m", "1"]),
    );
    assert!(
        err.contains("foreign.db") && err.contains("not a modelgate registry"),
        "{err}"
    );
    assert_eq!(std::fs::read(&foreign).unwrap(), before);
    // --reset refuses to delete a file that is not a modelgate registry.
    stderr_of_failure(
        mg(dir.path())
            .args(["demo", "--no-open", "--reset", "--db"])
            .arg(&foreign),
    );
    assert_eq!(std::fs::read(&foreign).unwrap(), before);
}

#[test]
fn unknown_version_is_a_clear_error() {
    let dir = TempDir::new().unwrap();
    let db = demo(&dir);
    let err =
        stderr_of_failure(
            mg(dir.path())
                .arg("--db")
                .arg(&db)
                .args(["show", "no-such-model", "3"]),
        );
    assert!(err.contains("no-such-model"), "{err}");
}

/// Writes a file into the temp dir and returns its path as a string.
fn file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

fn register(dir: &Path, db: &Path, model: &str, extra: &[&str]) -> Value {
    let metrics = file(
        dir,
        "metrics.json",
        br#"{"auc": 0.91, "log_loss": [0.4, 0.3]}"#,
    );
    let mut c = mg(dir);
    c.arg("--db")
        .arg(db)
        .args(["register", model, "--run-metrics", &metrics, "--json"])
        .args(extra);
    json(&stdout(&mut c))
}

fn show(dir: &Path, db: &Path, model: &str, version: &str) -> Value {
    json(&stdout(
        mg(dir)
            .arg("--db")
            .arg(db)
            .args(["show", model, version, "--json"]),
    ))
}

fn problems(d: &Value) -> String {
    d["problems"].to_string()
}

#[test]
fn register_then_review_with_every_bad_input() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let db = d.join("reg.db");
    let good_mlmodel = file(
        d,
        "MLmodel",
        include_bytes!("../fixtures/samples/mlflow/MLmodel.columns"),
    );
    let base = register(
        d,
        &db,
        "churn",
        &[
            "--mlmodel",
            &good_mlmodel,
            "--model-tag",
            "modelgate.risk=banana",
        ],
    );
    assert_eq!(base["version"], "1");
    stdout(mg(d).arg("--db").arg(&db).args(["show", "churn", "1"]));

    // Every broken part at once: the review still shows, each error names its file.
    let bad_mlmodel = file(d, "MLmodel.bad", b"signature:\n  inputs: '[{\"type\": \"long\", \"name\": \"a\"}, {\"type\": \"long\", \"name\": \"a\"}]'\n");
    let truncated = file(d, "fair.json", b"{\"assessments\": [");
    let wrong_type = file(
        d,
        "expl.json",
        br#"{"method": "shap", "global_importance": {"a": "high"}}"#,
    );
    let big = file(d, "scan.json", &vec![b' '; 10 * 1024 * 1024 + 1]);
    let nan_metrics = file(d, "nan.json", br#"{"auc": "NaN", "log_loss": "Infinity"}"#);
    let mut c = mg(d);
    c.arg("--db").arg(&db).args([
        "register",
        "churn",
        "--run-metrics",
        &nan_metrics,
        "--mlmodel",
        &bad_mlmodel,
        "--artifact",
        &format!("modelgate/fairness.json={truncated}"),
        "--artifact",
        &format!("modelgate/explainability.json={wrong_type}"),
        "--artifact",
        &format!("modelgate/security_scan.json={big}"),
        "--tag",
        "modelgate.review=pending",
        "--tag",
        "modelgate.submitted_at=last tuesday",
        "--json",
    ]);
    let v2 = json(&stdout(&mut c));
    assert_eq!(v2["version"], "2");
    let s = show(d, &db, "churn", "2");
    assert_eq!(
        s["risk"], "critical",
        "an unknown risk tier counts as critical"
    );
    assert_eq!(s["schema"]["status"], "error");
    assert_eq!(s["fairness"]["status"], "error");
    assert_eq!(s["explainability"]["status"], "error");
    assert_eq!(s["security"]["status"], "error");
    assert_eq!(s["model_card"]["status"], "absent");
    assert_eq!(
        s["metrics"].as_array().unwrap().len(),
        2,
        "metrics still shown"
    );
    let auc = s["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "auc")
        .unwrap();
    assert_eq!(auc["candidate"], "NaN");
    let p = problems(&s);
    for needle in [
        "modelgate.risk",
        "banana",
        "submitted_at",
        "MLmodel",
        "twice",
        "modelgate/fairness.json",
        "modelgate/explainability.json",
        "modelgate/security_scan.json",
        "10 MiB",
    ] {
        assert!(p.contains(needle), "problems lack {needle}: {p}");
    }
    assert!(
        p.contains("churn version 2"),
        "problems name model and version: {p}"
    );
    // The human view shows the same, and does not fail.
    let human = String::from_utf8(stdout(
        mg(d).arg("--db").arg(&db).args(["show", "churn", "2"]),
    ))
    .unwrap();
    assert!(human.contains("modelgate/fairness.json"), "{human}");
    // The queue still lists it, with its problems.
    let q = json(&stdout(
        mg(d).arg("--db").arg(&db).args(["queue", "--json"]),
    ));
    assert_eq!(q.as_array().unwrap().len(), 1);
}

#[test]
fn register_refuses_bad_files_and_writes_nothing() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let db = d.join("reg.db");
    register(d, &db, "churn", &[]);
    let bad = file(d, "bad.json", br#"{"auc": "great"}"#);
    let err = stderr_of_failure(mg(d).arg("--db").arg(&db).args([
        "register",
        "churn",
        "--run-metrics",
        &bad,
    ]));
    assert!(err.contains("bad.json") && err.contains("auc"), "{err}");
    let missing = d.join("nope.json");
    let err = stderr_of_failure(
        mg(d)
            .arg("--db")
            .arg(&db)
            .args([
                "register",
                "churn",
                "--run-metrics",
                &bad.replace("bad", "metrics"),
                "--artifact",
            ])
            .arg(format!("modelgate/x.json={}", missing.display())),
    );
    assert!(err.contains("nope.json"), "{err}");
    // Still one version only.
    stderr_of_failure(mg(d).arg("--db").arg(&db).args(["show", "churn", "2"]));
}

#[test]
fn version_whose_run_is_gone_still_shows() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let db = d.join("reg.db");
    let v = register(d, &db, "churn", &["--tag", "modelgate.review=pending"]);
    let run_id = v["run_id"].as_str().unwrap().to_owned();
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        // As if someone deleted the run behind the registry's back.
        c.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        let n = c
            .execute("DELETE FROM runs WHERE run_id = ?1", [&run_id])
            .unwrap();
        assert_eq!(n, 1);
    }
    let s = show(d, &db, "churn", "1");
    assert!(problems(&s).contains("is gone"), "{}", problems(&s));
    assert_eq!(
        s["fairness"]["status"], "error",
        "a missing run is never 'absent'"
    );
    let q = json(&stdout(
        mg(d).arg("--db").arg(&db).args(["queue", "--json"]),
    ));
    assert_eq!(q.as_array().unwrap().len(), 1);
}
