//! `modelgate stats` and `modelgate metrics` through the real binary on both
//! registries: figures that move with the records signed, invalid records
//! left out and counted, bad periods and globs refused, and the metrics file
//! written atomically. (The exporter's own tests: serve.rs.)

use serde_json::Value;

use crate::on_both;
use crate::signing::{Backend, Demo, demo};

on_both!(
    figures_follow_the_records_and_leave_invalid_ones_out,
    bad_periods_risks_and_globs_are_refused_by_name,
);

/// `stats --json` on this demo's models only (the MLflow server is shared).
fn stats(d: &Demo, extra: &[&str]) -> Value {
    let glob = format!("{}*", d.m(""));
    let mut args = vec!["stats", "--model", glob.as_str()];
    args.extend_from_slice(extra);
    d.json(None, &args)
}

fn n(v: &Value, path: &[&str]) -> u64 {
    path.iter().fold(v, |v, k| &v[*k]).as_u64().unwrap_or(0)
}

fn figures_follow_the_records_and_leave_invalid_ones_out(b: Backend) {
    let d = demo(b);
    let m = d.m("product-recommender");
    let before = stats(&d, &[]);
    assert_eq!(before["invalid_records"], 0, "{before}");
    let latency = n(&before, &["latency", "overall", "count"]);
    assert!(latency > 0, "the demo's history has approvals: {before}");
    assert!(n(&before, &["coverage", "production"]) > 0, "{before}");

    // A submit and an approve by the validator: one more of each.
    d.stdout(Some("ana.owner"), &["submit", &m, "7"]);
    d.stdout(Some("ben.validator"), &["approve", &m, "7"]);
    let after = stats(&d, &[]);
    let ben = "ben.validator@demo.modelgate";
    assert_eq!(
        n(&after, &["load", "decisions_by_actor", ben]),
        n(&before, &["load", "decisions_by_actor", ben]) + 1
    );
    assert_eq!(
        n(&after, &["decisions", "by_action", "approve", "none"]),
        n(&before, &["decisions", "by_action", "approve", "none"]) + 1
    );
    assert_eq!(
        n(&after, &["gates", "pass", "whole"]),
        n(&before, &["gates", "pass", "whole"]) + 1
    );
    assert_eq!(n(&after, &["latency", "overall", "count"]), latency + 1);
    assert_eq!(n(&after, &["records"]), n(&before, &["records"]) + 2);

    // A reject whose signature is not the actor's: counted as invalid, in no figure.
    let (key, value) = d.record_with(&m, "7", "\"action\":\"approve\"");
    let forged_value = value.replace("\"action\":\"approve\"", "\"action\":\"reject\"");
    let forged_key = format!("{key}0");
    d.set_tag(&m, "7", &forged_key, &forged_value);
    let tampered = stats(&d, &[]);
    assert_eq!(tampered["invalid_records"], 1, "{tampered}");
    assert_eq!(tampered["records"], after["records"]);
    assert_eq!(
        tampered["decisions"]["by_category"],
        after["decisions"]["by_category"]
    );

    // A period that starts in the future counts no event but still reads every version.
    let future = stats(&d, &["--since", "2099-01-01"]);
    assert_eq!(n(&future, &["latency", "overall", "count"]), 0);
    assert_eq!(n(&future, &["gates", "pass", "whole"]), 0);
    assert_eq!(future["versions"], tampered["versions"]);
    assert_eq!(future["period"]["since"], "2099-01-01T00:00:00Z");

    // One tier only.
    let low = stats(&d, &["--risk", "low"]);
    assert!(n(&low, &["versions"]) < n(&tampered, &["versions"]));
    let by_risk = low["latency"]["by_risk"].as_object().unwrap();
    assert!(by_risk.keys().all(|k| k == "low"), "{low}");

    // The text form says the same, and names the invalid record.
    let glob = format!("{}*", d.m(""));
    let text = d.stdout(None, &["stats", "--model", &glob]);
    assert!(
        text.contains("1 invalid (left out of every figure)"),
        "{text}"
    );
    assert!(text.contains("approval latency"), "{text}");

    // metrics --out: the file appears whole, with no temporary left beside it.
    // (On the embedded registry only: metrics covers every model, and the
    // MLflow server is shared with other tests.)
    if b != Backend::Local {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("modelgate.prom");
    d.stdout(None, &["metrics", "--out", file.to_str().unwrap()]);
    let prom = std::fs::read_to_string(&file).unwrap();
    assert!(prom.contains("modelgate_up 1\n"), "{prom}");
    assert!(prom.contains("# TYPE modelgate_approval_latency_seconds histogram"));
    assert!(prom.contains("modelgate_invalid_records 1\n"), "{prom}");
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["modelgate.prom"]);
}

fn bad_periods_risks_and_globs_are_refused_by_name(b: Backend) {
    let d = demo(b);
    let run = |args: &[&str]| {
        let out = d.cmd(None).args(args).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for (args, says) in [
        (
            vec!["stats", "--since", "yesterday"],
            "--since \"yesterday\"",
        ),
        (vec!["stats", "--until", "3x"], "--until \"3x\""),
        (
            vec!["stats", "--since", "2026-12-01", "--until", "2026-11-01"],
            "is not before --until",
        ),
        (
            vec!["stats", "--model", "[oops"],
            "--model \"[oops\" is not a glob",
        ),
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?} printed figures: {out}");
    }
    let (code, _, err) = run(&["stats", "--risk", "extreme"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a risk tier"), "{err}");
    // A directory that does not exist: nothing written, the cause named.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("missing").join("m.prom");
    let (code, _, err) = run(&["metrics", "--out", file.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("cannot write") && err.contains("missing"),
        "{err}"
    );
    assert!(!file.exists());
}
