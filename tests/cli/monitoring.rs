//! Monitoring reports through the real binary (PROTOCOL 16): `modelgate
//! drift` on the demo's deployed product-recommender 7 (low risk: the share
//! limit is 50%) with the real Evidently 0.7 snapshots kept in
//! `tests/fixtures/samples/evidently/`, modelgate's own format, and hostile
//! reports. Every exit code, the `--json` shape, nothing written without
//! `--apply`; with it, one signed reopen per report on both registries.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::on_both;
use crate::signing::{Backend, Demo, approved_demo, demo};

const M: &str = "product-recommender";
const V: &str = "7";

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/samples/evidently")
        .join(name)
}

/// Runs `drift M V --report FILE` with `extra`: (code, stdout, stderr).
fn drift(d: &Demo, who: Option<&str>, report: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = d
        .cmd(who)
        .args(["drift", &d.m(M), V, "--report"])
        .arg(report)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn drift_json(d: &Demo, report: &Path) -> (i32, Value) {
    let (code, out, err) = drift(d, None, report, &["--json"]);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}{err}"));
    (code, v)
}

/// Control characters that would act on a terminal (newlines excepted).
fn raw_controls(s: &str) -> Vec<char> {
    s.chars().filter(|c| c.is_control() && *c != '\n').collect()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn own(features: Value) -> Vec<u8> {
    serde_json::json!({
        "kind": "drift",
        "window": {"start": "2026-11-01T00:00:00Z", "end": "2026-11-08T00:00:00Z"},
        "features": features,
    })
    .to_string()
    .into_bytes()
}

on_both!(
    apply_signs_one_reopen_and_a_retry_writes_nothing,
    apply_without_drift_writes_nothing,
);

fn digest_of(path: &Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(path).unwrap();
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(&bytes)))
}

/// The reopen records of a version, parsed.
fn reopens(d: &Demo, m: &str) -> Vec<Value> {
    d.records(m, V)
        .into_iter()
        .map(|(_, v)| serde_json::from_str::<Value>(&v).unwrap())
        .filter(|r| r["action"] == "reopen")
        .collect()
}

fn apply_signs_one_reopen_and_a_retry_writes_nothing(b: Backend) {
    let (d, m) = approved_demo(b);
    let audit_before = d.verify(&m);
    let report = sample("drift_ks_small_with_tests.json");
    let (code, out, err) = drift(&d, Some("fay.sre"), &report, &["--apply"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("reopen"), "{out}");
    let records = reopens(&d, &m);
    assert_eq!(records.len(), 1, "{records:?}");
    let r = &records[0];
    assert_eq!(r["trigger"], "drift");
    assert_eq!(r["actor"], "fay.sre@demo.modelgate");
    assert_eq!(r["role"], "sre");
    assert!(
        r["reason"].as_str().unwrap().starts_with(
            "drift: 50% of columns drifted (2 of 4: merchant_category, transaction_amount)"
        ),
        "{r}"
    );
    assert_eq!(r["report"]["kind"], "drift");
    assert_eq!(r["report"]["digest"], digest_of(&report));
    let summary = &r["report"]["summary"];
    assert_eq!(summary["share_drifted"], 0.5);
    assert_eq!(summary["columns"], 4);
    assert_eq!(summary["left_out"], 0);
    assert_eq!(summary["drifted"][0]["column"], "merchant_category");
    assert_eq!(summary["drifted"][0]["method"], "chi-square p_value");
    assert_eq!(summary["drifted"][0]["threshold"], 0.05);
    assert_eq!(summary["drifted"][1]["column"], "transaction_amount");
    // The approval no longer counts: the version is in revalidation.
    assert_eq!(d.show(&m, V)["state"], "revalidation");
    assert_eq!(d.check(&m, V), 1);

    // The same report again (a retry, or the next cron run): nothing new.
    let before = d.everything();
    let (code, out, err) = drift(&d, Some("fay.sre"), &report, &["--apply", "--json"]);
    assert_eq!(code, 1, "{out}{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["verdict"], "drift");
    assert_eq!(v["applied"]["written"], false, "{v}");
    assert_eq!(v["applied"]["action"], "reopen", "{v}");
    assert_eq!(d.everything(), before, "a second --apply writes nothing");
    assert_eq!(reopens(&d, &m).len(), 1);
    // The reopen is a valid record: the audit finds nothing new.
    assert_eq!(d.verify(&m), audit_before);
}

fn apply_without_drift_writes_nothing(b: Backend) {
    let (d, m) = approved_demo(b);
    let before = d.everything();
    let (code, out, err) = drift(
        &d,
        Some("fay.sre"),
        &sample("nodrift_wasserstein.json"),
        &["--apply"],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("nothing to reopen; nothing was written"),
        "{out}"
    );
    assert_eq!(d.everything(), before);
    assert_eq!(d.check(&m, V), 0);
}

#[test]
fn evidently_snapshots_give_each_verdict_and_write_nothing() {
    let d = demo(Backend::Local);
    let before = d.everything();

    // Half the columns drifted (K-S and chi-square p-values below 0.05): at
    // the low tier's limit of 50%, which is inclusive.
    let (code, out, err) = drift(&d, None, &sample("drift_ks_small_with_tests.json"), &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("drift: 2 of 4 columns drifted (50.0%)"),
        "{out}"
    );
    for want in [
        "transaction_amount",
        "merchant_category",
        "K-S p_value",
        "chi-square p_value",
        "0.05",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }
    assert!(
        out.contains("drift: 50% of columns drifted (2 of 4: merchant_category, transaction_amount), at or above the limit of 50% for low risk"),
        "{out}"
    );
    assert!(!out.contains("card_age_days"), "not drifted: {out}");

    // One of four (25%) is under the low tier's limit.
    let (code, out, err) = drift(&d, None, &sample("drift_wasserstein.json"), &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("no drift: 1 of 4 columns drifted (25.0%)"),
        "{out}"
    );
    assert!(out.contains("Wasserstein distance (normed)"), "{out}");

    let (code, out, err) = drift(&d, None, &sample("nodrift_wasserstein.json"), &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("no drift: 0 of 4 columns drifted"), "{out}");

    let (code, v) = drift_json(&d, &sample("drift_psi_with_tests.json"));
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["verdict"], "no_drift");
    assert_eq!(v["share_drifted"], 0.25);
    assert_eq!(v["drifted"], serde_json::json!(["transaction_amount"]));
    assert_eq!(v["features"]["transaction_amount"]["method"], "psi");
    assert_eq!(v["features"]["transaction_amount"]["kind"], "distance");
    assert_eq!(v["features"]["merchant_category"]["drifted"], false);
    assert_eq!(v["deny"], serde_json::json!([]));
    assert_eq!(v["format"], "evidently-0.7");
    assert_eq!(v["risk"], "low");
    assert_eq!(
        v["report_digest"],
        digest_of(&sample("drift_psi_with_tests.json"))
    );
    assert!(v["policy"].as_str().unwrap().starts_with("sha256:"), "{v}");
    assert_eq!(v["applied"], Value::Null);

    assert_eq!(
        d.everything(),
        before,
        "drift without --apply writes nothing"
    );
}

#[test]
fn critical_columns_from_the_model_tag_deny_alone() {
    let d = demo(Backend::Local);
    let m = d.m(M);
    // 25% is under the low tier's limit; the tag makes the one column enough.
    d.set_model_tag(
        &m,
        "modelgate.drift.critical_columns",
        " hour_of_day, transaction_amount ,",
    );
    let (code, v) = drift_json(&d, &sample("drift_wasserstein.json"));
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["verdict"], "drift");
    assert_eq!(
        v["critical_columns"],
        serde_json::json!(["hour_of_day", "transaction_amount"])
    );
    let deny = v["deny"].as_array().unwrap();
    assert_eq!(deny.len(), 1, "{v}");
    assert!(
        deny[0].as_str().unwrap().starts_with(
            "drift: critical column transaction_amount drifted (Wasserstein distance (normed) 0.837"
        ),
        "{v}"
    );
    // A critical column that did not drift (hour_of_day) denies nothing.
    let (code, _) = drift_json(&d, &sample("nodrift_wasserstein.json"));
    assert_eq!(code, 0);
}

#[test]
fn reports_without_a_verdict_exit_2_and_say_why() {
    let d = demo(Backend::Local);
    let dir = tempfile::TempDir::new().unwrap();
    let before = d.everything();
    let whole = std::fs::read(sample("drift_wasserstein.json")).unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (
            write(dir.path(), "truncated.json", &whole[..whole.len() / 2]),
            "EOF",
        ),
        (
            write(
                dir.path(),
                "unknown.json",
                &own(serde_json::json!({
                    "review_text": {"method": "Absolute text content drift", "score": 0.9, "threshold": 0.55, "drifted": false},
                })),
            ),
            "column review_text uses drift method \"Absolute text content drift\"",
        ),
        (
            write(
                dir.path(),
                "nan.json",
                br#"{"metrics": [{"config": {"type": "evidently:metric_v2:ValueDrift", "column": "amount", "method": "psi", "threshold": 0.1}, "value": NaN}]}"#,
            ),
            "not a finite number",
        ),
        (dir.path().join("missing.json"), "cannot read the report"),
    ];
    for (path, want) in &cases {
        let (code, out, err) = drift(&d, None, path, &[]);
        assert_eq!(code, 2, "{}: {out}{err}", path.display());
        assert!(err.contains(want), "{}: {err}", path.display());
        assert!(
            err.contains("no drift verdict; nothing was written"),
            "{err}"
        );
        let (code, v) = drift_json(&d, path);
        assert_eq!(code, 2);
        assert_eq!(v["verdict"], Value::Null, "{v}");
        assert!(v["error"].as_str().unwrap().contains(want), "{v}");
    }

    // Over the 16 MiB limit: refused by its size, before it is read.
    let big = dir.path().join("big.json");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(16 * 1024 * 1024 + 1).unwrap();
    let (code, _, err) = drift(&d, None, &big, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is over 16 MiB"), "{err}");

    // A version that does not exist, and a bundle without a drift package.
    let (code, _, err) = {
        let out = d
            .cmd(None)
            .args(["drift", &d.m(M), "999", "--report"])
            .arg(sample("drift_wasserstein.json"))
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::new(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    assert_eq!(code, 2, "{err}");
    let bundle = dir.path().join("bundle");
    std::fs::create_dir_all(&bundle).unwrap();
    std::fs::write(bundle.join("data.json"), "{}").unwrap();
    std::fs::write(
        bundle.join("gate.rego"),
        "package modelgate\n\nimport rego.v1\n\ndeny contains \"never\" if false\n",
    )
    .unwrap();
    let policy = bundle.to_str().unwrap();
    let (code, _, err) = drift(
        &d,
        None,
        &sample("drift_ks_small_with_tests.json"),
        &["--policy", policy],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("has no package modelgate.drift"), "{err}");

    // Settings a bundle lacks fail closed, never "no drift".
    std::fs::write(
        bundle.join("drift.rego"),
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/policies/modelgate/drift.rego"),
        )
        .unwrap(),
    )
    .unwrap();
    std::fs::write(
        bundle.join("lib.rego"),
        std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/policies/modelgate/lib.rego"),
        )
        .unwrap(),
    )
    .unwrap();
    let (code, _, err) = drift(
        &d,
        None,
        &sample("nodrift_wasserstein.json"),
        &["--policy", policy],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("thresholds.drift.max_share_by_risk"), "{err}");

    assert_eq!(d.everything(), before, "no verdict writes nothing");
}

#[test]
fn hostile_column_names_never_reach_the_terminal_raw() {
    let d = demo(Backend::Local);
    let dir = tempfile::TempDir::new().unwrap();
    let evil = "amount\x1b]0;pwned\x07\x1b[2J\r\x08\u{202e}";
    let report = write(
        dir.path(),
        "evil.json",
        &own(serde_json::json!({
            evil: {"method": "psi\x1b[31m", "score": 0.9, "threshold": 0.1, "drifted": true},
            "age": {"method": "ks", "score": 0.5, "threshold": 0.05, "drifted": false},
        })),
    );
    // The method with an escape in it is unknown: no verdict, and the
    // message quoting it is sanitised too.
    let (code, out, err) = drift(&d, None, &report, &[]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(raw_controls(&out).is_empty(), "{out:?}");
    assert!(raw_controls(&err).is_empty(), "{err:?}");

    let report = write(
        dir.path(),
        "evil2.json",
        &own(serde_json::json!({
            evil: {"method": "psi", "score": 0.9, "threshold": 0.1, "drifted": true},
            "age": {"method": "ks", "score": 0.5, "threshold": 0.05, "drifted": false},
        })),
    );
    let (code, out, err) = drift(&d, None, &report, &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(raw_controls(&out).is_empty(), "{out:?}");
    assert!(raw_controls(&err).is_empty(), "{err:?}");
    assert!(
        !out.contains('\u{202e}'),
        "bidi controls are removed: {out:?}"
    );
    assert!(out.contains("amount^[]0;pwned"), "{out:?}");
    // JSON keeps the data as it was.
    let (_, v) = drift_json(&d, &report);
    assert_eq!(v["drifted"][0], evil);
}

#[test]
fn apply_that_cannot_sign_writes_nothing() {
    let d = demo(Backend::Local);
    let m = d.m(M);
    // Version 6, withdrawn by its submitter, has no approval to reopen: the
    // verdict is still drift, the refusal is said, nothing is written.
    d.stdout(Some("ana.owner"), &["withdraw", &m, "6"]);
    let before = d.everything();
    let out = d
        .cmd(Some("fay.sre"))
        .args(["drift", &m, "6", "--apply", "--json", "--report"])
        .arg(sample("drift_ks_small_with_tests.json"))
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["verdict"], "drift");
    assert!(
        v["applied"]["error"]
            .as_str()
            .unwrap()
            .contains("no approval to reopen"),
        "{v}"
    );
    assert!(
        stderr.contains("refused") && stderr.contains("nothing was written"),
        "{stderr}"
    );
    assert_eq!(d.everything(), before);

    let (code, _, err) = drift(
        &d,
        None,
        &sample("drift_ks_small_with_tests.json"),
        &[
            "--apply",
            "--identity",
            "fay.sre@demo.modelgate",
            "--key-file",
            "/nonexistent/key",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--apply needs a signing key"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    let (code, _, err) = drift(
        &d,
        None,
        &sample("drift_ks_small_with_tests.json"),
        &["--apply"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--identity"), "{err}");
    assert_eq!(d.everything(), before);
}
