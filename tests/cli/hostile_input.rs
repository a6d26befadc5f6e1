//! Registry content written by someone hostile, through the real binary on
//! both registries: escape sequences in a record's fields, a record tag key
//! that is not ASCII, bad baseline tags, and a policy bundle whose function
//! calls itself. Each must be reported where it is, never crash the tool,
//! reach the terminal raw, or break the rest of the queue.

use serde_json::Value;

use crate::on_both;
use crate::signing::{Backend, Demo, demo, succeeded};
use crate::support;

const M: &str = "product-recommender";
const V: &str = "7";

on_both!(
    escape_sequences_in_records_never_reach_the_terminal,
    a_non_ascii_record_key_is_a_finding_not_a_panic,
    a_bad_baseline_tag_is_a_problem_on_its_review_only,
    a_recursive_policy_gives_no_verdict_and_no_crash,
);

/// Control characters that would act on a terminal (newlines excepted).
fn raw_controls(s: &str) -> Vec<char> {
    s.chars().filter(|c| c.is_control() && *c != '\n').collect()
}

/// How many of the queue's items are this demo's (the MLflow server is shared).
fn mine(d: &Demo, queue: &Value) -> usize {
    let prefix = d.m("");
    queue
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["model"].as_str().is_some_and(|m| m.starts_with(&prefix)))
        .count()
}

/// Runs `args`, whatever its exit code, and returns (code, stdout, stderr).
fn run(d: &Demo, args: &[&str]) -> (i32, String, String) {
    let out = d.cmd(None).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn escape_sequences_in_records_never_reach_the_terminal(b: Backend) {
    let d = demo(b);
    let m = d.m(M);
    // OSC 0 retitles the window, OSC 52 sets the clipboard, CSI 2J clears the
    // screen; CR and BS rewrite what is on the line.
    let evil = "2026-01-01T00:00:00Z\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\x1b[2J\r\x08";
    let record = serde_json::json!({
        "v": 1,
        "action": "comment",
        "registry": "x",
        "model": m,
        "version": V,
        "actor": "eve\x1b[31m@example.com",
        "role": "validator\x07",
        "at": evil,
        "nonce": "00",
        "parents": [],
        "roster": "sha256:00",
        "key": "SHA256:x",
        "reason": "look\x1b]52;c;ZXZpbA==\x07",
        "sig": "x",
    });
    d.set_tag(
        &m,
        V,
        &format!("modelgate.record.{}", "ab".repeat(32)),
        &record.to_string(),
    );
    for args in [
        vec!["show", &m, V],
        vec!["audit", "--model", &m],
        vec!["audit", "verify", "--model", &m],
        vec!["audit", "export", "--model", &m, "--format", "csv"],
        vec!["queue"],
    ] {
        let (code, out, err) = run(&d, &args);
        assert!(code != 101, "{args:?} panicked: {err}");
        assert_eq!(raw_controls(&out), Vec::<char>::new(), "{args:?}: {out:?}");
        assert_eq!(raw_controls(&err), Vec::<char>::new(), "{args:?}: {err:?}");
    }
    // The record is there and reported as invalid, in caret notation.
    let (_, out, _) = run(&d, &["show", &m, V]);
    assert!(out.contains("^[]0;pwned^G"), "{out}");
    let (code, out, _) = run(&d, &["audit", "verify", "--model", &m]);
    assert_eq!(code, 2, "an invalid record is an integrity finding: {out}");
    // Through --out, the CSV file is defused the same way.
    let file = d.home.join("records.csv");
    let (code, _, err) = run(
        &d,
        &[
            "audit",
            "export",
            "--model",
            &m,
            "--format",
            "csv",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(&file).unwrap();
    assert!(csv.contains("eve^[[31m@example.com"), "{csv}");
    assert!(
        !csv.contains(['\x1b', '\x07', '\r', '\x08']),
        "no control character in the file: {csv:?}"
    );
}

fn a_non_ascii_record_key_is_a_finding_not_a_panic(b: Backend) {
    let d = demo(b);
    let m = d.m(M);
    // MLflow accepts any word character in a tag key; a byte slice of the
    // first twelve bytes of this id would cut a letter in two.
    let key = format!("modelgate.record.a{}", "é".repeat(20));
    match b {
        Backend::Mlflow => d.set_tag(&m, V, &key, "{}"),
        // The embedded registry refuses such keys through its API: write the
        // row underneath it, as another client or a damaged file would.
        Backend::Local => {
            let n = d.sql(&format!(
                "INSERT INTO version_tags (version_id, key, value) SELECT v.version_id, '{key}', '{{}}' \
                 FROM model_versions v JOIN registered_models m ON m.model_id = v.model_id \
                 WHERE m.name = '{m}' AND v.version = {V}"
            ));
            assert_eq!(n, 1);
        }
    }
    for args in [
        vec!["show", &m, V],
        vec!["audit", "--model", &m],
        vec!["audit", "verify", "--model", &m],
        vec!["check", &m, V],
    ] {
        let (code, out, err) = run(&d, &args);
        assert!(code != 101, "{args:?} panicked: {err}");
        assert_eq!(raw_controls(&out), Vec::<char>::new(), "{args:?}");
    }
    let show = d.show(&m, V);
    let records = show["records"].as_array().unwrap();
    let bad = records
        .iter()
        .find(|r| r["id"].as_str().is_some_and(|id| id.contains('é')))
        .unwrap_or_else(|| panic!("the malformed record is listed: {show}"));
    assert_eq!(bad["valid"], false);
    assert!(bad["findings"].to_string().contains("tag key"), "{bad}");
    let (code, out) = d.verify(&m);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains(&format!("\"{V}\" \"integrity\"")), "{out}");
}

fn a_bad_baseline_tag_is_a_problem_on_its_review_only(b: Backend) {
    let d = demo(b);
    let m = d.m(M);
    let n = mine(&d, &d.json(None, &["queue"]));
    for bad in ["abc", "-1", "1.0", "01", "99999999999999999999", " "] {
        d.set_tag(&m, V, "modelgate.baseline", bad);
        let q = d.json(None, &["queue"]);
        assert_eq!(
            mine(&d, &q),
            n,
            "baseline {bad:?}: every review still loads"
        );
        let items = q.as_array().unwrap();
        let item = items
            .iter()
            .find(|i| i["model"] == m.as_str() && i["version"] == V)
            .unwrap();
        if bad.trim().is_empty() {
            continue;
        }
        assert!(
            item["problems"]
                .to_string()
                .contains("is not a version number"),
            "baseline {bad:?}: {item}"
        );
        // The production alias decides instead, as without the tag.
        assert_ne!(item["baseline"], Value::String(bad.to_owned()));
        d.stdout(None, &["queue"]);
        d.stdout(None, &["show", &m, V]);
    }
}

fn a_recursive_policy_gives_no_verdict_and_no_crash(b: Backend) {
    let d = demo(b);
    let m = d.m(M);
    let bundle = d.home.join("recursive-policy");
    std::fs::create_dir_all(&bundle).unwrap();
    std::fs::write(bundle.join("data.json"), "{}").unwrap();
    std::fs::write(
        bundle.join("modelgate.rego"),
        "package modelgate\n\nf(x) := f(x)\n\ndeny contains \"never\" if f(1)\n",
    )
    .unwrap();
    let with = |args: &[&str]| {
        let out = d
            .cmd(None)
            .arg("--policy")
            .arg(&bundle)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (code, out) = with(&["gate", &m, V]);
    assert_eq!(code, 2, "no verdict: {out}");
    assert!(out.contains("recursion is not allowed"), "{out}");
    let (code, out) = with(&["queue", "--gates", "--json"]);
    assert_eq!(code, 0, "{out}");
    let q: Value = serde_json::from_str(&out).unwrap();
    let item = q
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["model"] == m.as_str() && i["version"] == V)
        .unwrap();
    assert!(item["gates"].to_string().contains("error"), "{item}");
    let (code, out) = with(&["check", &m, V]);
    assert!(code == 1 || code == 2, "check: {code} {out}");
    // Signing under it is refused like under any broken policy.
    let out = d
        .cmd(Some("ana.owner"))
        .arg("--policy")
        .arg(&bundle)
        .args(["submit", &m, V])
        .output()
        .unwrap();
    assert!(out.status.code() != Some(134) && out.status.code().is_some());
    succeeded(&d.cmd(None).args(["queue"]).output().unwrap(), "queue");
}

/// A server that answers 500 for one version, read only as another review's
/// baseline: the queue still loads, and that review carries the problem.
#[test]
fn a_baseline_that_cannot_be_read_sinks_only_its_review_on_mlflow() {
    let d = demo(Backend::Mlflow);
    let m = d.m(M);
    let baseline = d.show(&m, V)["baseline"]
        .as_str()
        .expect("the review has a baseline")
        .to_owned();
    let n = mine(&d, &d.json(None, &["queue"]));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let proxy = rt.block_on(support::proxy::Proxy::start(&support::mlflow_uri()));
    proxy.fail(
        Some("GET"),
        &format!("model-versions/get?name={m}&version={baseline}"),
        support::proxy::Fault::Status(500),
        1000,
    );
    for args in [&["queue", "--json"][..], &["show", &m, V, "--json"]] {
        let out = d
            .cmd(None)
            .args(["--uri", &proxy.uri])
            .args(args)
            .output()
            .unwrap();
        succeeded(&out, &format!("{args:?} through a failing server"));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        let item = if args[0] == "queue" {
            assert_eq!(mine(&d, &v), n, "every review loads");
            let items = v.as_array().unwrap();
            items
                .iter()
                .find(|i| i["model"] == m.as_str() && i["version"] == V)
                .unwrap()
                .clone()
        } else {
            v.clone()
        };
        assert!(
            item["problems"].to_string().contains("could not be read"),
            "{args:?}: {item}"
        );
    }
    assert!(proxy.hits("model-versions/get") > 0, "the fault was hit");
}

mod any_tag {
    //! Any tag key and value a registry can hold, through the checks and the
    //! text every front end prints: never a panic, never a raw control
    //! character on a terminal.
    use modelgate::registry::{ModelVersion, Tags};
    use modelgate::review::queue::{baseline_of, is_version_number};
    use modelgate::text::{sanitize_line, short_id};
    use modelgate::trust::audit::{check_all, record_tags, version_findings};
    use modelgate::trust::roster::Roster;
    use proptest::prelude::*;

    fn roster() -> Roster {
        let toml = modelgate::demo::roster_toml(7).unwrap();
        Roster::parse("demo", toml.as_bytes()).unwrap()
    }

    /// Text with control characters, escapes, non-ASCII letters and JSON.
    fn nasty() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[a-f0-9é\\x1b\\x07\\r\\x08\\u{202e}\\u{9b}]{0,80}",
            Just("{}".to_owned()),
            r#"\{"v":1,"action":"(comment|approve|\x1b]0;x\x07)","at":"[^"]{0,20}"\}"#,
        ]
    }

    fn no_controls(s: &str) -> bool {
        !s.chars().any(|c| c.is_control() && c != '\n')
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn record_tags_never_panic_and_print_clean(
            suffix in nasty(), value in nasty(), baseline in nasty()
        ) {
            let mut tags = Tags::new();
            tags.insert(format!("modelgate.record.{suffix}"), value.clone());
            tags.insert("modelgate.baseline".into(), baseline.clone());
            let found = record_tags("m", "1", &tags);
            let checked = check_all(&found, "r", &roster());
            prop_assert_eq!(checked.len(), 1);
            let c = &checked[0];
            prop_assert!(no_controls(&short_id(&c.id)));
            for f in &c.findings {
                prop_assert!(no_controls(&sanitize_line(f)));
            }
            for f in version_findings("m", "1", &checked, None, 0) {
                prop_assert!(no_controls(&sanitize_line(&f.message)));
            }
            let v = ModelVersion {
                name: "m".into(),
                version: "1".into(),
                tags,
                ..Default::default()
            };
            if let Some(b) = baseline_of(&v, None, "champion") {
                prop_assert!(is_version_number(&b), "{:?}", b);
            }
        }
    }
}
