//! Signed decisions through the real binary on a demo registry: what is
//! written, what is refused (with nothing written), and the derived state.

mod signing;

use serde_json::Value;
use signing::{Demo, demo};

impl Demo {
    fn ok(&self, who: &str, args: &[&str]) -> Value {
        let mut with_json = args.to_vec();
        with_json.push("--json");
        serde_json::from_str(&self.stdout(Some(who), &with_json)).unwrap()
    }

    fn refused(&self, who: &str, args: &[&str]) -> String {
        let before = self.tags();
        let err = self.refusal(who, args);
        assert!(err.contains("nothing was written"), "{err}");
        assert_eq!(self.tags(), before, "a refusal must not write");
        err
    }

    /// Every version tag in the registry, to prove that nothing was written.
    fn tags(&self) -> Vec<(i64, String, String)> {
        let c = rusqlite::Connection::open(&self.db).unwrap();
        let mut st = c
            .prepare("SELECT version_id, key, value FROM version_tags ORDER BY 1, 2")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    fn show(&self, model: &str, version: &str) -> Value {
        let out = self
            .cmd(None)
            .args(["show", model, version, "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn state(d: &Value) -> &str {
    d["state"].as_str().unwrap()
}

#[test]
fn submit_then_approve_reaches_approved_and_a_retry_writes_nothing() {
    let d = demo();
    // Low risk, clean evidence: the default policy does not deny it.
    let (m, v) = ("product-recommender", "7");
    let s = d.ok("ana.owner", &["submit", m, v]);
    assert_eq!(s["written"], true);
    assert_eq!(s["state"], "pending");
    let a = d.ok("ben.validator", &["approve", m, v]);
    assert_eq!(a["state"], "approved", "{a}");
    let again = d.ok("ben.validator", &["approve", m, v]);
    assert_eq!(again["written"], false, "a retry writes no second record");
    assert_eq!(again["id"], a["id"]);
    let shown = d.show(m, v);
    assert_eq!(state(&shown), "approved");
    let records = shown["records"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert!(records.iter().all(|r| r["valid"] == true), "{records:?}");
    // The review tag follows the derived state: it left the pending queue.
    let q = d.cmd(None).args(["queue", "--json"]).output().unwrap();
    let q: Value = serde_json::from_slice(&q.stdout).unwrap();
    assert!(
        !q.as_array()
            .unwrap()
            .iter()
            .any(|i| i["model"] == m && i["version"] == v)
    );
    // A decided version takes no more decisions until a new submit.
    assert!(
        d.refused("chloe.validator", &["reject", m, v, "--reason", "late"])
            .contains("not pending")
    );
}

#[test]
fn refusals_write_nothing() {
    let d = demo();
    let (m, v) = ("product-recommender", "7");
    // Not in the roster, wrong role, missing reason, changed evidence.
    let out = d
        .cmd(None)
        .args(["approve", m, v, "--identity", "mallory@evil", "--key-file"])
        .arg(modelgate::demo::key_path(
            d.roster.parent().unwrap(),
            "ben.validator@demo.modelgate",
        ))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in the roster"));
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

#[test]
fn a_run_author_cannot_approve() {
    let d = demo();
    // churn-predictor 5 was logged by chloe (validator): she is an author.
    let err = d.refused("chloe.validator", &["approve", "churn-predictor", "5"]);
    assert!(err.contains("author"), "{err}");
}

#[test]
fn reject_and_request_changes_need_reasons_and_decide_the_state() {
    let d = demo();
    let (m, v) = ("product-recommender", "7");
    d.ok("ana.owner", &["submit", m, v]);
    let r = d.ok(
        "ben.validator",
        &[
            "request-changes",
            m,
            v,
            "--reason",
            "add the model card section on drift",
        ],
    );
    assert_eq!(r["state"], "changes_requested");
    assert_eq!(state(&d.show(m, v)), "changes_requested");
}

#[test]
fn concurrent_deciders_both_land() {
    let d = demo();
    let (m, v) = ("fraud-detector", "7");
    d.ok("ana.owner", &["submit", m, v]);
    let spawn = |who: &str| {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("modelgate"));
        let id = format!("{who}@demo.modelgate");
        c.env("XDG_STATE_HOME", d.home.join("state"))
            .arg("--db")
            .arg(&d.db)
            .arg("--roster")
            .arg(&d.roster)
            .args(["--identity", &id, "--key-file"])
            .arg(modelgate::demo::key_path(d.roster.parent().unwrap(), &id))
            .args(["comment", m, v, "--reason", &format!("looked at it, {who}")]);
        c.spawn().unwrap()
    };
    let (a, b) = (spawn("ben.validator"), spawn("dev.domain"));
    assert!(a.wait_with_output().unwrap().status.success());
    assert!(b.wait_with_output().unwrap().status.success());
    let records = d.show(m, v)["records"].as_array().unwrap().clone();
    assert_eq!(records.len(), 3, "submit and both comments");
    assert!(records.iter().all(|r| r["valid"] == true));
}
