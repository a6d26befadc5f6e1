//! A decision's writes broken on purpose, through the real binary: on MLflow
//! by the fault proxy (a write applied but answered 500, a timeout after the
//! write, a 400 for a tag another client created at the same moment, a write
//! refused), on the embedded registry by a SQLite trigger that aborts one
//! kind of write until it is dropped. Every answer says exactly what is
//! stored; a retry finishes the decision without a second record.

use std::process::Output;
use std::time::Duration;

use serde_json::Value;

use crate::on_both;
use crate::signing;
use crate::signing::{Backend, Demo, demo};
use crate::support;
use crate::support::proxy::{Fault, Proxy};

const M: &str = "product-recommender";

/// A demo with a pending version, and a way to break its writes.
struct Faulty {
    d: Demo,
    m: String,
    v: String,
    /// Runs the proxy; dropped with the test.
    _rt: tokio::runtime::Runtime,
    proxy: Option<Proxy>,
}

fn faulty(b: Backend, mlflow_settings: &str) -> Faulty {
    let d = demo(b);
    let m = d.m(M);
    let v = d.new_version(&m, &[("ndcg_at_10", 0.5), ("latency_p95_ms", 20.0)]);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let proxy = (b == Backend::Mlflow).then(|| rt.block_on(Proxy::start(&support::mlflow_uri())));
    if b == Backend::Mlflow {
        // Few, short client retries: each broken write costs little time.
        let config = d.home.join("config/modelgate/config.toml");
        let mut text = std::fs::read_to_string(&config).unwrap();
        text.push_str(&format!("\n[mlflow]\nattempts = 2\n{mlflow_settings}\n"));
        std::fs::write(&config, text).unwrap();
    }
    Faulty {
        d,
        m,
        v,
        _rt: rt,
        proxy,
    }
}

impl Faulty {
    /// `ACTION MODEL VERSION ARGS...` as `who`, through the proxy on MLflow.
    fn run(&self, who: &str, action: &str, args: &[&str]) -> Output {
        let mut c = self.d.std_cmd(Some(who));
        if let Some(p) = &self.proxy {
            c.args(["--uri", &p.uri]);
        }
        c.args([action, &self.m, &self.v])
            .args(args)
            .output()
            .unwrap()
    }

    fn approve_json(&self) -> (i32, Value, String) {
        let out = self.run("ben.validator", "approve", &["--json"]);
        let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (
            out.status.code().unwrap_or(-1),
            json,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Breaks set-tag requests whose body names `key` (MLflow), or writes
    /// of tags whose key matches the SQL pattern `like` (embedded).
    fn break_tag(&self, key: &str, like: &str, fault: Fault) {
        match &self.proxy {
            Some(p) => p.fail_body("POST", "model-versions/set-tag", key, fault, 1000),
            None => {
                for (n, when) in [(1, "INSERT"), (2, "UPDATE")] {
                    self.d.sql(&format!(
                        "CREATE TRIGGER fault_{n} BEFORE {when} ON version_tags WHEN NEW.key LIKE '{like}' \
                         BEGIN SELECT RAISE(ABORT, 'injected tag write failure'); END"
                    ));
                }
            }
        }
    }

    /// The proxy broke at least one request (MLflow).
    fn assert_injected(&self) {
        if let Some(p) = &self.proxy {
            assert!(
                p.seen().iter().any(|s| s.fault.is_some()),
                "no fault was injected: {:?}",
                p.seen()
            );
        }
    }

    fn repair(&self) {
        match &self.proxy {
            Some(p) => p.clear(),
            None => {
                self.d.sql("DROP TRIGGER fault_1");
                self.d.sql("DROP TRIGGER fault_2");
            }
        }
    }

    fn review_tag(&self) -> Option<String> {
        let prefix = format!("{} {} modelgate.review=", self.m, self.v);
        self.d
            .everything()
            .into_iter()
            .find_map(|t| t.strip_prefix(&prefix).map(str::to_owned))
    }

    fn approves(&self) -> usize {
        self.d
            .records(&self.m, &self.v)
            .iter()
            .filter(|(_, v)| v.contains("\"action\":\"approve\""))
            .count()
    }
}

on_both!(
    a_failed_review_tag_write_is_reported_and_the_retry_finishes_it,
    a_failed_record_write_stores_no_record_and_the_retry_signs_it,
);

fn a_failed_review_tag_write_is_reported_and_the_retry_finishes_it(b: Backend) {
    let f = faulty(b, "");
    f.break_tag(
        "\"key\":\"modelgate.review\"",
        "modelgate.review",
        Fault::Status(500),
    );
    let (code, json, err) = f.approve_json();
    assert_eq!(code, 1, "{json} {err}");
    assert_eq!(json["complete"], false, "{json}");
    assert_eq!(json["writes"]["record"], "written", "{json}");
    assert_eq!(json["writes"]["review_tag"], "not_written", "{json}");
    assert!(err.contains("run the same command again"), "{err}");
    assert!(err.contains("record: written now"), "{err}");
    assert!(!err.contains("nothing was written"), "{err}");
    f.assert_injected();
    let id = json["id"].as_str().unwrap().to_owned();
    assert_eq!(f.approves(), 1);
    assert_eq!(f.d.show(&f.m, &f.v)["state"], "approved");
    assert_eq!(
        f.review_tag().as_deref(),
        Some("pending"),
        "the write was broken"
    );

    f.repair();
    let out = f.run("ben.validator", "approve", &[]);
    signing::succeeded(&out, "the retried approve");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("already recorded as {id}")),
        "{text}"
    );
    assert!(text.contains("finished what was missing"), "{text}");
    assert!(text.contains("review tag: written now"), "{text}");
    assert!(text.contains("state approved"), "{text}");
    assert_eq!(f.approves(), 1, "no second record");
    assert_eq!(f.review_tag().as_deref(), Some("approved"));
    // Once complete, the same command writes nothing at all.
    let (code, again, _) = f.approve_json();
    assert_eq!(code, 0);
    assert_eq!(again["written"], false);
    assert_eq!(
        again["writes"],
        serde_json::json!({"evidence_tag": "present", "record": "present", "review_tag": "present"})
    );
}

fn a_failed_record_write_stores_no_record_and_the_retry_signs_it(b: Backend) {
    let f = faulty(b, "");
    f.break_tag(
        "modelgate.record.",
        "modelgate.record.%",
        Fault::Status(500),
    );
    let (code, json, err) = f.approve_json();
    assert_eq!(code, 1, "{json} {err}");
    assert_eq!(json["writes"]["evidence_tag"], "written", "{json}");
    assert_eq!(json["writes"]["record"], "not_written", "{json}");
    assert!(err.contains("not stored"), "{err}");
    f.assert_injected();
    assert_eq!(f.approves(), 0);
    assert_eq!(f.review_tag().as_deref(), Some("pending"));

    f.repair();
    let (code, json, err) = f.approve_json();
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["written"], true);
    assert_eq!(
        json["writes"],
        serde_json::json!({"evidence_tag": "present", "record": "written", "review_tag": "written"})
    );
    assert_eq!(json["state"], "approved");
    assert_eq!(f.approves(), 1);
    assert_eq!(f.review_tag().as_deref(), Some("approved"));
}

/// The record reaches MLflow on every try, and every answer is a 500: the
/// read back shows it stored, so the decision completes at once.
#[test]
fn a_record_write_applied_but_answered_500_completes() {
    let f = faulty(Backend::Mlflow, "");
    f.break_tag("modelgate.record.", "", Fault::StatusAfterForward(500));
    let (code, json, err) = f.approve_json();
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["writes"]["record"], "written", "{json}");
    assert_eq!(json["state"], "approved");
    assert_eq!(f.approves(), 1);
    assert_eq!(f.review_tag().as_deref(), Some("approved"));
    f.assert_injected();
}

/// The record reaches MLflow and the answer never comes (past the client's
/// read timeout): the read back shows it stored.
#[test]
fn a_timeout_after_the_record_write_completes() {
    let f = faulty(Backend::Mlflow, "read_timeout_seconds = 1");
    f.break_tag(
        "modelgate.record.",
        "",
        Fault::DelayAfterForward(Duration::from_secs(3)),
    );
    let (code, json, err) = f.approve_json();
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["writes"]["record"], "written", "{json}");
    assert_eq!(f.approves(), 1, "one record, however often it was sent");
    f.assert_injected();
    assert_eq!(f.review_tag().as_deref(), Some("approved"));
}

/// Two clients creating the same evidence tag at once: MLflow answers the
/// second with a 400 (a raw database constraint error). The same key with
/// the same content reads back: that is success, not a lost decision.
#[test]
fn an_evidence_tag_created_at_the_same_moment_is_success() {
    let f = faulty(Backend::Mlflow, "");
    f.break_tag("modelgate.evidence.", "", Fault::StatusAfterForward(400));
    let (code, json, err) = f.approve_json();
    assert_eq!(code, 0, "{err}");
    assert_eq!(json["writes"]["evidence_tag"], "written", "{json}");
    assert_eq!(f.approves(), 1);
    f.assert_injected();
}
