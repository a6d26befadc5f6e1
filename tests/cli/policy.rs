//! Policy gates through the real binary: `gate`, `queue --gates`, `show`,
//! `policy input|test|export`, on the demo registry and on hand-made ones,
//! with every bad bundle and bad input they must refuse or fail closed on.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

use crate::hermetic;

/// The binary with this test's own HOME and XDG directories.
fn mg(dir: &Path) -> Command {
    hermetic::assert_modelgate(dir)
}

/// One demo registry shared by the read-only tests (the demo takes a moment).
fn demo() -> &'static (TempDir, PathBuf) {
    static DEMO: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    DEMO.get_or_init(|| {
        let dir = TempDir::new().unwrap();
        let db = dir.path().join("demo.db");
        mg(dir.path())
            .args(["demo", "--no-open", "--db"])
            .arg(&db)
            .assert()
            .success();
        (dir, db)
    })
}

fn on_demo(args: &[&str]) -> Command {
    let (dir, db) = demo();
    let mut c = mg(dir.path());
    c.arg("--db").arg(db).args(args);
    c
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(c: &mut Command) -> Run {
    let out = c.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn ok_json(c: &mut Command) -> Value {
    let r = run(c);
    assert_eq!(r.code, 0, "failed: {}", r.stderr);
    json(&r.stdout)
}

/// The JSON of a `gate` that denies (exit 1).
fn denied_json(c: &mut Command) -> Value {
    let r = run(c);
    assert_eq!(r.code, 1, "should deny: {}{}", r.stdout, r.stderr);
    json(&r.stdout)
}

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/policies")
}

/// A copy of the default bundle with `edits` applied (path, content or None to delete).
fn bundle_with(dir: &Path, edits: &[(&str, Option<&str>)]) -> PathBuf {
    let b = dir.join("bundle");
    let r = run(mg(dir).args(["policy", "export"]).arg(&b));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for (path, content) in edits {
        match content {
            Some(c) => std::fs::write(b.join(path), c).unwrap(),
            None => std::fs::remove_file(b.join(path)).unwrap(),
        }
    }
    b
}

fn deny_of(v: &Value) -> Vec<String> {
    v["deny"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn demo_reviews_get_sensible_gates() {
    let q = ok_json(&mut on_demo(&["queue", "--json", "--gates"]));
    let items = q.as_array().unwrap();
    assert!(items.len() >= 10);
    let gates = |model: &str, version: &str| -> &Value {
        let i = items
            .iter()
            .find(|i| i["model"] == model && i["version"] == version)
            .unwrap_or_else(|| panic!("{model} {version} not in the queue"));
        &i["gates"]
    };
    for i in items {
        let g = &i["gates"];
        assert!(g["deny"].is_u64() && g["warn"].is_u64(), "{i}");
        assert!(g["error"].is_null(), "{i}");
        assert_eq!(g.as_object().unwrap().len(), 3, "exactly deny, warn, error");
    }
    // The fairness breach, the HIGH modelscan issue on a low-risk model, the
    // not-scanned scan on a high-risk one, the removed required column on a
    // critical one: each denies.
    assert_eq!(gates("credit-risk-pd", "6")["deny"], 2);
    assert_eq!(gates("product-recommender", "6")["deny"], 1);
    assert!(gates("dynamic-pricing", "6")["deny"].as_u64().unwrap() >= 1);
    assert!(gates("fraud-detector", "6")["deny"].as_u64().unwrap() >= 1);
    // A medium review with a NaN metric and missing reports only warns.
    assert_eq!(gates("demand-forecast", "5")["deny"], 0);
    assert!(gates("demand-forecast", "5")["warn"].as_u64().unwrap() >= 1);
    // A complete high-risk review passes.
    assert_eq!(gates("claims-triage", "5")["deny"], 0);

    let fair = denied_json(&mut on_demo(&["gate", "credit-risk-pd", "6", "--json"]));
    assert!(
        deny_of(&fair)
            .iter()
            .any(|m| m.starts_with("fairness: disparate_impact_ratio for age_band")),
        "{fair}"
    );
    let scan = run(&mut on_demo(&[
        "gate",
        "product-recommender",
        "6",
        "--json",
    ]));
    assert!(
        json(&scan.stdout)["deny"][0]
            .as_str()
            .unwrap()
            .contains("HIGH issue")
    );
    let scan = json(&run(&mut on_demo(&["gate", "dynamic-pricing", "6", "--json"])).stdout);
    assert!(
        deny_of(&scan).iter().any(|m| m.contains("scanned no file")),
        "{scan}"
    );
    let crit = json(&run(&mut on_demo(&["gate", "fraud-detector", "6", "--json"])).stdout);
    assert!(
        deny_of(&crit)
            .iter()
            .any(|m| m.starts_with("schema: required input column device_risk_score")),
        "{crit}"
    );

    // The human table has the column.
    let human = run(&mut on_demo(&["queue", "--gates"]));
    assert_eq!(human.code, 0);
    assert!(human.stdout.contains("GATES"), "{}", human.stdout);
    assert!(human.stdout.contains("✖ 2"), "{}", human.stdout);
    assert!(human.stdout.contains("● pass"), "{}", human.stdout);
    assert!(!run(&mut on_demo(&["queue"])).stdout.contains("GATES"));
}

#[test]
fn gate_exit_codes_and_json() {
    let deny = run(&mut on_demo(&["gate", "fraud-detector", "6"]));
    assert_eq!(deny.code, 1, "{}", deny.stderr);
    assert!(deny.stdout.contains("✖ deny"), "{}", deny.stdout);
    assert!(
        deny.stdout.contains("rule modelgate.schema.deny"),
        "{}",
        deny.stdout
    );
    assert!(
        deny.stdout.contains(
            "input.schema.inputs.removed[_] (required) = [{\"name\":\"device_risk_score\""
        ),
        "{}",
        deny.stdout
    );

    let pass = run(&mut on_demo(&["gate", "claims-triage", "5"]));
    assert_eq!(pass.code, 0, "{} {}", pass.stdout, pass.stderr);
    assert!(pass.stdout.contains("● pass"));

    // Warnings alone pass.
    let warn = run(&mut on_demo(&["gate", "demand-forecast", "5", "--json"]));
    assert_eq!(warn.code, 0);
    let w = json(&warn.stdout);
    assert!(!w["warn"].as_array().unwrap().is_empty());

    let missing = run(&mut on_demo(&["gate", "fraud-detector", "99"]));
    assert_eq!(missing.code, 2, "no verdict is not a deny verdict");
    assert!(missing.stderr.contains("99"), "{}", missing.stderr);

    let full = json(&run(&mut on_demo(&["gate", "fraud-detector", "6", "--json"])).stdout);
    assert!(full["policy"].as_str().unwrap().starts_with("sha256:"));
    assert!(full["error"].is_null());
    let messages = full["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        deny_of(&full).len() + full["warn"].as_array().unwrap().len()
    );
    for m in messages {
        assert!(
            m["rules"][0]["rule"]
                .as_str()
                .unwrap()
                .starts_with("modelgate.")
        );
        assert!(
            m["rules"][0]["files"][0]
                .as_str()
                .unwrap()
                .ends_with(".rego")
        );
        assert!(!m["looked_at"].as_object().unwrap().is_empty(), "{m}");
    }
}

#[test]
fn show_carries_the_full_gate_result() {
    let s = ok_json(&mut on_demo(&["show", "credit-risk-pd", "6", "--json"]));
    let g = &s["gates"];
    for k in ["policy", "deny", "warn", "error", "source", "messages"] {
        assert!(g.get(k).is_some(), "gates.{k} missing: {g}");
    }
    let m = &g["messages"][0];
    assert_eq!(m["rules"][0]["rule"], "modelgate.fairness.deny");
    assert_eq!(m["rules"][0]["files"][0], "modelgate/fairness.rego");
    assert!(
        m["looked_at"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.starts_with("input.fairness.assessments[0].summary.")),
        "{m}"
    );
    let human = run(&mut on_demo(&["show", "credit-risk-pd", "6"]));
    assert_eq!(human.code, 0);
    assert!(
        human.stdout.contains("Gates   ✖ 2 deny"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains("rule modelgate.fairness.deny"));
    // The queue summary agrees with show.
    let g2 = denied_json(&mut on_demo(&["gate", "credit-risk-pd", "6", "--json"]));
    assert_eq!(g["deny"], g2["deny"]);
    assert_eq!(g["policy"], g2["policy"]);
}

#[test]
fn policy_input_is_the_documented_document_and_the_fixtures_match_it() {
    let i = ok_json(&mut on_demo(&["policy", "input", "demand-forecast", "5"]));
    assert_eq!(i["input_version"], 1);
    assert_eq!(i["metrics"]["mape"]["candidate"], "NaN", "NaN is a string");
    assert_eq!(i["risk"], "medium");
    let fixtures: Value =
        serde_json::from_slice(&std::fs::read(assets().join("fixtures/data.json")).unwrap())
            .unwrap();
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    for (name, fx) in fixtures.as_object().unwrap() {
        assert_eq!(
            keys(fx),
            keys(&i),
            "fixture {name} drifted from the input document"
        );
        assert_eq!(
            keys(&fx["schema"]),
            keys(&i["schema"]),
            "fixture {name}: schema"
        );
    }
    // The same review gives the same document.
    let again = ok_json(&mut on_demo(&["policy", "input", "demand-forecast", "5"]));
    assert_eq!(i, again);
}

#[test]
fn policy_test_export_and_digest() {
    let r = run(mg(Path::new("/nonexistent")).args(["policy", "test"]));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(" 0 failed"), "{}", r.stdout);
    assert!(
        r.stdout.contains("✔ pass  modelgate.fairness.test_"),
        "{}",
        r.stdout
    );

    let dir = TempDir::new().unwrap();
    let b = bundle_with(dir.path(), &[]);
    let t = json(&run(mg(dir.path()).args(["policy", "test", "--json"]).arg(&b)).stdout);
    assert_eq!(t["failed"], 0);
    let embedded = json(&run(mg(dir.path()).args(["policy", "test", "--json"])).stdout);
    assert_eq!(
        t["policy"], embedded["policy"],
        "the exported bundle has the embedded digest"
    );
    let refuse = run(mg(dir.path()).args(["policy", "export"]).arg(&b));
    assert_ne!(refuse.code, 0, "export never overwrites");

    // A failing test exits 1 and is named.
    std::fs::write(
        b.join("modelgate/extra_test.rego"),
        "package modelgate\n\ntest_wrong if {\n\tcount(deny) == 99 with input as data.fixtures.clean_high\n}\n",
    )
    .unwrap();
    let f = run(mg(dir.path()).args(["policy", "test"]).arg(&b));
    assert_eq!(f.code, 1);
    assert!(
        f.stdout.contains("✖ FAIL  modelgate.test_wrong"),
        "{}",
        f.stdout
    );
    assert!(f.stdout.contains(" 1 failed"));
    // The digest moved with the new file.
    let t2 = json(&run(mg(dir.path()).args(["policy", "test", "--json"]).arg(&b)).stdout);
    assert_ne!(t2["policy"], t["policy"]);

    // A bundle that does not load exits 2.
    std::fs::write(
        b.join("modelgate/broken.rego"),
        "package modelgate.broken\n\ndeny contains if {\n",
    )
    .unwrap();
    let e = run(mg(dir.path()).args(["policy", "test"]).arg(&b));
    assert_eq!(e.code, 2);
    assert!(e.stderr.contains("modelgate/broken.rego:3"), "{}", e.stderr);
}

#[test]
fn syntax_error_in_a_bundle_fails_closed_everywhere() {
    let dir = TempDir::new().unwrap();
    let b = bundle_with(
        dir.path(),
        &[(
            "modelgate/fairness.rego",
            Some("package modelgate.fairness\n\ndeny contains msg if {\n\tmsg := \n}\n"),
        )],
    );
    let g = run(on_demo(&["gate", "claims-triage", "5", "--policy"]).arg(&b));
    assert_eq!(g.code, 2);
    assert!(
        g.stderr.contains("modelgate/fairness.rego:4"),
        "{}",
        g.stderr
    );
    assert!(
        g.stderr.contains("rule modelgate.fairness.deny"),
        "{}",
        g.stderr
    );
    assert!(g.stderr.contains("counts as a deny"), "{}", g.stderr);

    // show: the gates carry the error, the rest of the review is all there.
    let s = ok_json(on_demo(&["show", "claims-triage", "5", "--json", "--policy"]).arg(&b));
    assert!(
        s["gates"]["error"]
            .as_str()
            .unwrap()
            .contains("does not parse")
    );
    assert!(
        s["gates"]["policy"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(!s["metrics"].as_array().unwrap().is_empty());
    assert_eq!(s["fairness"]["status"], "present");
    assert!(s["evidence"].as_str().unwrap().starts_with("sha256:"));
    let human = run(on_demo(&["show", "claims-triage", "5", "--policy"]).arg(&b));
    assert_eq!(human.code, 0);
    assert!(human.stdout.contains("✖ error"), "{}", human.stdout);
    assert!(human.stdout.contains("Metrics"));

    // queue: every review counts one deny with the error.
    let q = ok_json(on_demo(&["queue", "--json", "--gates", "--policy"]).arg(&b));
    for i in q.as_array().unwrap() {
        assert_eq!(i["gates"]["deny"], 1, "{i}");
        assert!(
            i["gates"]["error"]
                .as_str()
                .unwrap()
                .contains("fairness.rego")
        );
    }
}

#[test]
fn non_string_message_and_missing_data_file_fail_closed() {
    let dir = TempDir::new().unwrap();
    let b = bundle_with(
        dir.path(),
        &[(
            "modelgate/security.rego",
            Some("package modelgate.security\n\ndeny contains 7 if true\n"),
        )],
    );
    let g = run(on_demo(&["gate", "claims-triage", "5", "--json", "--policy"]).arg(&b));
    assert_eq!(g.code, 2);
    let e = json(&g.stdout)["error"].as_str().unwrap().to_owned();
    assert!(
        e.contains("rule modelgate.security.deny (modelgate/security.rego)"),
        "{e}"
    );
    assert!(e.contains("not a string: 7"), "{e}");

    let dir = TempDir::new().unwrap();
    let b = bundle_with(dir.path(), &[("data.json", None)]);
    let g = run(on_demo(&["gate", "claims-triage", "5", "--policy"]).arg(&b));
    assert_eq!(g.code, 2);
    assert!(g.stderr.contains("data.json is missing"), "{}", g.stderr);
    let s = ok_json(on_demo(&["show", "claims-triage", "5", "--json", "--policy"]).arg(&b));
    assert!(s["gates"]["error"].as_str().unwrap().contains("data.json"));

    let missing_dir = run(&mut on_demo(&[
        "gate",
        "claims-triage",
        "5",
        "--policy",
        "/nonexistent/bundle",
    ]));
    assert_eq!(missing_dir.code, 2);
    assert!(
        missing_dir.stderr.contains("/nonexistent/bundle"),
        "{}",
        missing_dir.stderr
    );
}

#[test]
fn the_profile_policy_setting_is_used() {
    let dir = TempDir::new().unwrap();
    let b = bundle_with(
        dir.path(),
        &[(
            "data.json",
            Some(
                &std::fs::read_to_string(assets().join("data.json"))
                    .unwrap()
                    .replace("0.8", "0.5"),
            ),
        )],
    );
    let cfg = dir.path().join("config/modelgate");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("config.toml"),
        format!("[profiles.lenient]\npolicy = {:?}\n", b.to_str().unwrap()),
    )
    .unwrap();
    let (_, db) = demo();
    let with_profile = ok_json(mg(dir.path()).arg("--db").arg(db).args([
        "--profile",
        "lenient",
        "show",
        "credit-risk-pd",
        "6",
        "--json",
    ]));
    let g = &with_profile["gates"];
    assert_eq!(g["source"], b.to_str().unwrap());
    let deny = deny_of(g);
    assert!(
        !deny.iter().any(|m| m.contains("disparate_impact_ratio")),
        "{deny:?}"
    );
    assert!(
        deny.iter()
            .any(|m| m.contains("demographic_parity_difference")),
        "{deny:?}"
    );
}

fn file(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn hand_made_reviews_with_bad_evidence() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let db = d.join("reg.db");
    let reg = |model: &str, args: &[&str]| {
        let r = run(mg(d)
            .arg("--db")
            .arg(&db)
            .args(["register", model])
            .args(args));
        assert_eq!(r.code, 0, "{}", r.stderr);
    };
    // A 10,000-column baseline, and a candidate that drops a required column
    // and carries NaN metrics and a corrupt fairness report, at low risk.
    let cols = |n: usize| -> String {
        let specs: Vec<String> = (0..n)
            .map(|i| format!("{{\"type\": \"double\", \"name\": \"c{i}\"}}"))
            .collect();
        format!("signature:\n  inputs: '[{}]'\n", specs.join(", "))
    };
    let wide = file(d, "MLmodel.wide", cols(10_000).as_bytes());
    let narrower = file(d, "MLmodel.narrow", cols(9_999).as_bytes());
    let metrics = file(d, "m.json", br#"{"auc": 0.9, "log_loss": 0.3}"#);
    let nan = file(d, "nan.json", br#"{"auc": "NaN", "log_loss": 0.3}"#);
    let corrupt = file(d, "fair.json", b"{\"assessments\": [");
    reg(
        "wide",
        &[
            "--run-metrics",
            &metrics,
            "--mlmodel",
            &wide,
            "--model-tag",
            "modelgate.risk=low",
        ],
    );
    reg(
        "wide",
        &[
            "--run-metrics",
            &nan,
            "--mlmodel",
            &narrower,
            "--artifact",
            &format!("modelgate/fairness.json={corrupt}"),
            "--tag",
            "modelgate.review=pending",
            "--tag",
            "modelgate.baseline=1",
        ],
    );
    let input = ok_json(
        mg(d)
            .arg("--db")
            .arg(&db)
            .args(["policy", "input", "wide", "2"]),
    );
    assert_eq!(
        input["schema"]["candidate"]["inputs"]
            .as_array()
            .unwrap()
            .len(),
        9_999
    );
    assert_eq!(input["schema"]["inputs"]["removed"][0]["name"], "c9999");
    assert_eq!(input["metrics"]["auc"]["candidate"], "NaN");

    let g = run(mg(d)
        .arg("--db")
        .arg(&db)
        .args(["gate", "wide", "2", "--json"]));
    assert_eq!(g.code, 1, "{}", g.stderr);
    let r = json(&g.stdout);
    assert!(r["error"].is_null(), "{r}");
    assert_eq!(
        deny_of(&r),
        ["broken evidence: fairness cannot be read (modelgate/fairness.json)"],
        "a corrupt report denies even at low risk; the rest only warns at low risk"
    );
    let warn: Vec<&str> = r["warn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warn.iter().any(|w| w.starts_with("regression: auc is NaN")),
        "{warn:?}"
    );
    assert!(
        warn.iter()
            .any(|w| w.starts_with("schema: required input column c9999")),
        "{warn:?}"
    );
    assert!(
        warn.iter()
            .any(|w| w.starts_with("security: no modelscan report")),
        "{warn:?}"
    );

    // Messages quote registry text: the human view sanitises it.
    reg(
        "evil\u{1b}[31m",
        &[
            "--run-metrics",
            &metrics,
            "--model-tag",
            "modelgate.risk=high",
            "--tag",
            "modelgate.review=pending",
        ],
    );
    let h = run(mg(d)
        .arg("--db")
        .arg(&db)
        .args(["gate", "evil\u{1b}[31m", "1"]));
    assert_eq!(h.code, 1);
    assert!(!h.stdout.contains('\u{1b}'), "{}", h.stdout);
}
