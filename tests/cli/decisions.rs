//! Signed decisions through the real binary on a demo registry, embedded and
//! MLflow: what is written, what is refused (with nothing written), and the
//! derived state.

use serde_json::Value;

use crate::on_both;
use crate::signing::{Backend, Demo, demo};

/// What these tests ask of a demo: a trait, since the deployment tests in this
/// binary give `Demo` an `ok` and a `refused` of their own.
trait Decide {
    fn ok(&self, who: &str, args: &[&str]) -> Value;
    fn refused(&self, who: &str, args: &[&str]) -> String;
}

impl Decide for Demo {
    fn ok(&self, who: &str, args: &[&str]) -> Value {
        self.json(Some(who), args)
    }

    fn refused(&self, who: &str, args: &[&str]) -> String {
        let before = self.everything();
        let err = self.refusal(who, args);
        assert!(err.contains("nothing was written"), "{err}");
        assert_eq!(self.everything(), before, "a refusal must not write");
        err
    }
}

fn state(d: &Value) -> &str {
    d["state"].as_str().unwrap()
}

on_both!(
    submit_then_approve_reaches_approved_and_a_retry_writes_nothing,
    refusals_write_nothing,
    a_run_author_cannot_approve,
    reject_and_request_changes_need_reasons_and_decide_the_state,
    concurrent_deciders_both_land,
    a_second_approve_by_the_same_person_is_the_first_one,
);

fn submit_then_approve_reaches_approved_and_a_retry_writes_nothing(b: Backend) {
    let d = demo(b);
    // Low risk, clean evidence: the default policy does not deny it.
    let (m, v) = (&d.m("product-recommender"), "7");
    let s = d.ok("ana.owner", &["submit", m, v]);
    assert_eq!(s["written"], true);
    assert_eq!(s["state"], "pending");
    let a = d.ok("ben.validator", &["approve", m, v]);
    assert_eq!(a["state"], "approved", "{a}");
    let before = d.everything();
    let again = d.ok("ben.validator", &["approve", m, v]);
    assert_eq!(again["written"], false, "a retry writes no second record");
    assert_eq!(again["id"], a["id"]);
    assert_eq!(d.everything(), before);
    let shown = d.show(m, v);
    assert_eq!(state(&shown), "approved");
    let records = shown["records"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r["valid"] == true), "{records:?}");
    // The record and its evidence document are tags on the version.
    assert_eq!(d.records(m, v).len(), 2);
    let tags = d.everything();
    assert!(
        tags.iter()
            .any(|t| t.contains(&format!("{m} 7 modelgate.evidence."))),
        "the evidence document is stored"
    );
    assert!(tags.contains(&format!("{m} 7 modelgate.review=approved")));
    // The review tag follows the derived state: it left the pending queue.
    let q = d.json(None, &["queue"]);
    assert!(
        !q.as_array()
            .unwrap()
            .iter()
            .any(|i| i["model"] == m.as_str() && i["version"] == v)
    );
    // A decided version takes no more decisions until a new submit.
    assert!(
        d.refused(
            "chloe.validator",
            &["reject", m, v, "--reason", "late", "--category", "other"]
        )
        .contains("not pending")
    );
}

fn refusals_write_nothing(b: Backend) {
    let d = demo(b);
    let (m, v) = (&d.m("product-recommender"), "7");
    // Not in the roster, wrong role, missing reason, changed evidence.
    let before = d.everything();
    let out = d
        .cmd(None)
        .args(["approve", m, v, "--identity", "mallory@evil", "--key-file"])
        .arg(d.key("ben.validator"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in the roster"));
    assert_eq!(d.everything(), before);
    assert!(
        d.refused("ben.validator", &["approve", m, v, "--role", "compliance"])
            .contains("does not give")
    );
    assert!(
        d.refused("ben.validator", &["reject", m, v])
            .contains("needs a reason")
    );
    let stale = format!("sha256:{}", "0".repeat(64));
    assert!(
        d.refused("ben.validator", &["approve", m, v, "--evidence", &stale])
            .contains("evidence changed")
    );
    assert!(
        d.refused("ben.validator", &["submit", m, v])
            .contains("owner")
    );
    // The submitter cannot approve their own submission.
    d.ok("ana.owner", &["submit", m, v]);
    let err = d.refused("ana.owner", &["approve", m, v, "--role", "owner"]);
    assert!(
        err.contains("author") || err.contains("does not give"),
        "{err}"
    );
}

fn a_run_author_cannot_approve(b: Backend) {
    let d = demo(b);
    // churn-predictor 5 was logged by chloe (validator): she is an author.
    let m = &d.m("churn-predictor");
    let err = d.refused("chloe.validator", &["approve", m, "5"]);
    assert!(err.contains("author"), "{err}");
}

fn reject_and_request_changes_need_reasons_and_decide_the_state(b: Backend) {
    let d = demo(b);
    let (m, v) = (&d.m("product-recommender"), "7");
    d.ok("ana.owner", &["submit", m, v]);
    let r = d.ok(
        "ben.validator",
        &[
            "request-changes",
            m,
            v,
            "--reason",
            "add the model card section on drift",
            "--category",
            "documentation",
        ],
    );
    assert_eq!(r["state"], "changes_requested");
    assert_eq!(state(&d.show(m, v)), "changes_requested");
    assert_eq!(d.check(m, v), 1);
}

fn concurrent_deciders_both_land(b: Backend) {
    let d = demo(b);
    let (m, v) = (&d.m("fraud-detector"), "7");
    d.ok("ana.owner", &["submit", m, v]);
    let spawn = |who: &str| {
        let mut c = d.std_cmd(Some(who));
        c.args(["comment", m, v, "--reason", &format!("looked at it, {who}")]);
        c.spawn().unwrap()
    };
    let (a, b) = (spawn("ben.validator"), spawn("dev.domain"));
    assert!(a.wait_with_output().unwrap().status.success());
    assert!(b.wait_with_output().unwrap().status.success());
    let records = d.show(m, v)["records"].as_array().unwrap().clone();
    assert_eq!(records.len(), 3, "submit and both comments");
    assert!(records.iter().all(|r| r["valid"] == true));
    assert_eq!(d.records(m, v).len(), 3);
}

/// One standing approval per person and round: approving again on the same
/// evidence, in other words, is recognised as the first approval and writes
/// nothing (PROTOCOL 9: one actor counts once).
fn a_second_approve_by_the_same_person_is_the_first_one(b: Backend) {
    let d = demo(b);
    // High risk: validator and domain, so one approval leaves it pending.
    let m = &d.m("dynamic-pricing");
    let v = &d.new_version(m, &[("mape", 0.1)]);
    d.ok("ana.owner", &["submit", m, v]);
    let first = d.ok("ben.validator", &["approve", m, v]);
    assert_eq!(first["state"], "pending", "{first}");
    let before = d.everything();
    let again = d.ok(
        "ben.validator",
        &["approve", m, v, "--reason", "looked again"],
    );
    assert_eq!(again["written"], false, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(
        again["writes"],
        serde_json::json!({"evidence_tag": "present", "record": "present", "review_tag": "present"})
    );
    assert_eq!(d.everything(), before, "nothing written");
    let approves = d
        .records(m, v)
        .iter()
        .filter(|(_, val)| val.contains("\"action\":\"approve\""))
        .count();
    assert_eq!(approves, 1);
}
