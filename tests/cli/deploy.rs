//! Deployments through the real binary on both registries (PROTOCOL 11):
//! promote, rollback, ratify, `check` exit codes, what audit verify flags, and
//! a failed alias move retried without a second record.

use serde_json::Value;

use crate::on_both;
use crate::signing;
use crate::signing::{Backend, Demo, demo};
use crate::support;
use crate::support::proxy::{Fault, Proxy};

const M: &str = "product-recommender";

/// What these tests ask of a demo: a trait, since the decision tests in this
/// binary give `Demo` an `ok` and a `refused` of their own.
trait Deploy {
    fn ok(&self, who: &str, args: &[&str]) -> String;
    /// A refusal (exit 1) that wrote nothing.
    fn refused(&self, who: &str, args: &[&str]) -> String;
}

impl Deploy for Demo {
    fn ok(&self, who: &str, args: &[&str]) -> String {
        self.stdout(Some(who), args)
    }

    fn refused(&self, who: &str, args: &[&str]) -> String {
        let before = self.everything();
        let err = self.refusal(who, args);
        assert_eq!(self.everything(), before, "a refusal must not write");
        err
    }
}

impl Demo {
    fn champion(&self, m: &str) -> String {
        self.aliases(m).get("champion").cloned().unwrap_or_default()
    }

    /// Adds a version with good metrics, submits and approves it.
    fn approved_version(&self, m: &str) -> String {
        let v = self.new_version(m, &[("ndcg_at_10", 0.5), ("latency_p95_ms", 20.0)]);
        self.ok("ana.owner", &["submit", m, &v]);
        self.ok("ben.validator", &["approve", m, &v]);
        assert_eq!(self.check(m, &v), 0);
        v
    }

    fn rollback_records(&self, m: &str) -> Vec<Value> {
        self.json(None, &["audit", "--model", m, "--action", "rollback"])
            .as_array()
            .unwrap()
            .clone()
    }
}

fn rollback_args<'a>(m: &'a str, to: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "rollback",
        m,
        "--to",
        to,
        "--reason",
        "p99 latency alarm",
        "--incident",
        "INC-42",
    ];
    args.extend_from_slice(extra);
    args
}

on_both!(
    promote_rollback_ratify_and_check,
    an_alias_moved_by_hand_is_reported_and_a_tampered_approval_cannot_ship,
    a_failed_alias_move_is_retried_with_the_same_record,
);

fn promote_rollback_ratify_and_check(b: Backend) {
    let d = demo(b);
    let m = &d.m(M);
    // check: pending is 1; approved is 0.
    assert_eq!(d.check(m, "7"), 1);
    d.ok("ana.owner", &["submit", m, "7"]);
    d.ok("ben.validator", &["approve", m, "7"]);
    assert_eq!(d.check(m, "7"), 0);
    let checked = d.json(None, &["check", m, "7"]);
    assert_eq!(checked["state"], "approved", "{checked}");
    // Promote needs an approved version and the owner or sre role.
    assert!(
        d.refused("ana.owner", &["promote", m, "6"])
            .contains("not approved")
    );
    assert!(
        d.refused("ben.validator", &["promote", m, "7"])
            .contains("owner or sre")
    );
    d.ok("ana.owner", &["promote", m, "7"]);
    assert_eq!(d.champion(m), "7");
    let v8 = d.approved_version(m);
    d.ok("fay.sre", &["promote", m, &v8]);
    assert_eq!(d.champion(m), v8);

    // Rollback: --confirm, the sre role, an earlier approved target.
    assert!(
        d.refused("fay.sre", &rollback_args(m, "7", &[]))
            .contains("--confirm")
    );
    assert!(
        d.refused("fay.sre", &rollback_args(m, "7", &["--confirm", "other"]))
            .contains("--confirm")
    );
    assert!(
        d.refused("ben.validator", &rollback_args(m, "7", &["--confirm", m]))
            .contains("sre")
    );
    assert!(
        d.refused("fay.sre", &rollback_args(m, "2", &["--confirm", m]))
            .contains("--break-glass"),
        "legacy 2 (approved before modelgate, no records) is not approved"
    );
    assert!(
        d.refused(
            "fay.sre",
            &rollback_args(m, "2", &["--confirm", m, "--break-glass"])
        )
        .contains("never did"),
        "2 never held it by a record"
    );
    let before = d.everything();
    let dry = d.ok("fay.sre", &rollback_args(m, "7", &["--dry-run"]));
    assert!(dry.contains("dry run"), "{dry}");
    assert_eq!(d.everything(), before, "a dry run writes nothing");
    let out = d.ok("fay.sre", &rollback_args(m, "7", &["--confirm", m]));
    assert_eq!(d.champion(m), "7", "{out}");
    let (code, found) = d.verify(m);
    assert_eq!(code, 1, "{found}");
    assert!(found.contains("waiting for ratification"), "{found}");

    // Ratify: a second person only.
    let rolls = d.rollback_records(m);
    assert_eq!(rolls.len(), 1);
    let id = rolls[0]["id"].as_str().unwrap().to_owned();
    // `audit` flags it on the record, which stays valid.
    assert_eq!(rolls[0]["valid"], true);
    assert!(
        rolls[0]["findings"]
            .to_string()
            .contains("waiting for ratification"),
        "{}",
        rolls[0]
    );
    assert!(
        d.refused("fay.sre", &["ratify", m, "--record", &id])
            .contains("second person")
    );
    assert!(
        d.refused("ben.validator", &["ratify", m, "--record", &id])
            .contains("sre or compliance")
    );
    d.ok("gus.sre", &["ratify", m, "--record", &id]);
    let (_, found) = d.verify(m);
    assert!(!found.contains("waiting for ratification"), "{found}");
    assert_eq!(d.rollback_records(m)[0]["findings"], serde_json::json!([]));

    // Break glass: back to a version that held the alias by a record, though
    // it is no longer approved (its approval revoked after the fact).
    d.ok("fay.sre", &["promote", m, &v8]);
    d.ok(
        "ben.validator",
        &[
            "revoke",
            m,
            "7",
            "--reason",
            "approved on a stale dashboard",
        ],
    );
    assert_eq!(d.check(m, "7"), 1);
    assert!(
        d.refused("fay.sre", &rollback_args(m, "7", &["--confirm", m]))
            .contains("--break-glass")
    );
    d.ok(
        "fay.sre",
        &rollback_args(m, "7", &["--confirm", m, "--break-glass"]),
    );
    assert_eq!(d.champion(m), "7");
    let (code, found) = d.verify(m);
    assert_eq!(code, 1, "{found}");
    assert!(found.contains("break-glass"), "{found}");
    let flagged = d.rollback_records(m);
    assert!(
        flagged
            .iter()
            .any(|r| r["findings"].to_string().contains("break-glass")),
        "{flagged:?}"
    );
}

fn an_alias_moved_by_hand_is_reported_and_a_tampered_approval_cannot_ship(b: Backend) {
    let d = demo(b);
    let m = &d.m(M);
    d.ok("ana.owner", &["submit", m, "7"]);
    d.ok("ben.validator", &["approve", m, "7"]);
    d.ok("ana.owner", &["promote", m, "7"]);
    let (_, found) = d.verify(m);
    assert!(
        !found.contains("no valid promote or rollback record explains"),
        "{found}"
    );
    // Someone moves the alias straight in the registry.
    d.set_alias(m, "champion", "6");
    let (code, found) = d.verify(m);
    assert_eq!(code, 1, "{found}");
    assert!(
        found.contains("no valid promote or rollback record explains it"),
        "{found}"
    );
    assert!(
        found.contains("\"6\" \"policy\" \"holds a production alias but is pending"),
        "{found}"
    );
    // The queue's header says so too (for people; --json is the queue alone).
    let q = d.stdout(None, &["queue"]);
    assert!(
        q.contains("⚑ deploy:") && q.contains("unexplained alias"),
        "{q}"
    );
    // A tampered approval: check cannot tell (exit 2), never 0.
    let (key, value) = d.record_with(m, "7", "\"action\":\"approve\"");
    d.set_tag(
        m,
        "7",
        &key,
        &value.replace("\"role\":\"validator\"", "\"role\":\"domain\""),
    );
    assert_eq!(d.check(m, "7"), 2);
    let checked = d
        .cmd(None)
        .args(["check", m, "7", "--json"])
        .output()
        .unwrap();
    let checked: Value = serde_json::from_slice(&checked.stdout).unwrap();
    assert!(
        checked["reasons"][0].as_str().unwrap().contains("invalid"),
        "{checked}"
    );
    // A rejected version is 1.
    d.ok("ana.owner", &["submit", m, "6"]);
    d.ok(
        "ben.validator",
        &[
            "reject",
            m,
            "6",
            "--reason",
            "HIGH modelscan finding",
            "--category",
            "security",
        ],
    );
    assert_eq!(d.check(m, "6"), 1);
}

/// The alias write fails once (a 403 from a proxy in front of MLflow; a
/// trigger in the embedded registry): the record stays, the command says to
/// run it again, and the retry reuses that record.
fn a_failed_alias_move_is_retried_with_the_same_record(b: Backend) {
    let d = demo(b);
    let m = &d.m(M);
    d.ok("ana.owner", &["submit", m, "7"]);
    d.ok("ben.validator", &["approve", m, "7"]);
    d.ok("ana.owner", &["promote", m, "7"]);
    let v8 = d.approved_version(m);
    d.ok("fay.sre", &["promote", m, &v8]);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let proxy = match b {
        Backend::Mlflow => {
            let p = rt.block_on(Proxy::start(&support::mlflow_uri()));
            p.fail(
                Some("POST"),
                "registered-models/alias",
                Fault::Status(403),
                1,
            );
            Some(p)
        }
        Backend::Local => {
            d.sql(
                "CREATE TRIGGER fail_alias BEFORE UPDATE ON aliases BEGIN SELECT RAISE(ABORT, 'injected alias failure'); END",
            );
            None
        }
    };
    let rollback = || {
        let mut c = d.cmd(Some("fay.sre"));
        if let Some(p) = &proxy {
            c.args(["--uri", &p.uri]);
        }
        c.args(rollback_args(m, "7", &["--confirm", m, "--json"]))
            .output()
            .unwrap()
    };
    let failed = rollback();
    let err = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success(), "the alias write was broken");
    assert!(err.contains("run the same command again"), "{err}");
    assert_eq!(d.champion(m), v8, "the alias did not move");
    let rolls = d.rollback_records(m);
    assert_eq!(rolls.len(), 1, "the record is written first");
    if b == Backend::Local {
        d.sql("DROP TRIGGER fail_alias");
    }
    let retried = rollback();
    signing::succeeded(&retried, "the retried rollback");
    let r: Value = serde_json::from_slice(&retried.stdout).unwrap();
    assert_eq!(r["written"], false, "{r}");
    assert_eq!(r["id"], rolls[0]["id"]);
    assert_eq!(d.champion(m), "7");
    assert_eq!(d.rollback_records(m).len(), 1, "no second record");
    if let Some(p) = &proxy {
        assert_eq!(p.hits("registered-models/alias"), 2, "{:?}", p.seen());
    }
}

on_both!(
    a_deleted_reject_blocks_every_decision_and_check,
    a_missing_parent_fails_check_even_when_approved,
    a_record_the_checkpoint_saw_and_that_is_gone_fails_closed,
);

impl Demo {
    /// A decision refused for an integrity finding: exit 1, the finding and
    /// what to do named, nothing written.
    fn refused_for_integrity(&self, who: &str, args: &[&str], finding: &str) {
        let before = self.everything();
        let err = self.refusal(who, args);
        assert!(err.contains("integrity findings"), "{err}");
        assert!(err.contains(finding), "{err}");
        assert!(err.contains("audit verify"), "{err}");
        assert!(err.contains("nothing was written"), "{err}");
        assert_eq!(self.everything(), before, "a refusal must not write");
    }

    fn check_json(&self, m: &str, v: &str) -> (i32, Value) {
        self.code_json(None, &["check", m, v, "--json"])
    }
}

/// PROTOCOL 11: a reject deleted behind modelgate's back (a later record
/// names it as a parent). `show` and `audit verify` see it; the gate and
/// every decision must too.
fn a_deleted_reject_blocks_every_decision_and_check(b: Backend) {
    let d = demo(b);
    let m = &d.m(M);
    d.ok("ana.owner", &["submit", m, "7"]);
    d.ok(
        "chloe.validator",
        &[
            "reject",
            m,
            "7",
            "--reason",
            "leaks labels",
            "--category",
            "data",
        ],
    );
    d.ok("dev.domain", &["comment", m, "7", "--reason", "agreed"]);
    let (key, _) = d.record_with(m, "7", "\"action\":\"reject\"");
    d.delete_tag(m, "7", &key);
    let (code, found) = d.verify(m);
    assert_eq!(code, 2, "{found}");
    assert!(found.contains("not on this version"), "{found}");
    let finding = "which is not on this version";
    d.refused_for_integrity("ben.validator", &["approve", m, "7"], finding);
    d.refused_for_integrity(
        "dev.domain",
        &["comment", m, "7", "--reason", "covering it up"],
        finding,
    );
    d.refused_for_integrity("ana.owner", &["submit", m, "7"], finding);
    let (code, out) = d.check_json(m, "7");
    assert_eq!(code, 2, "{out}");
    assert_eq!(out["approved"], false);
    assert!(out["reasons"].to_string().contains(finding), "{out}");
}

/// The derived state is `approved` (low risk, its approval valid), but the
/// submit it names as parent is gone: `check` exits 2 and nothing is
/// promoted.
fn a_missing_parent_fails_check_even_when_approved(b: Backend) {
    let (d, m) = signing::approved_demo(b);
    let (key, _) = d.record_with(&m, "7", "\"action\":\"submit\"");
    d.delete_tag(&m, "7", &key);
    assert_eq!(d.show(&m, "7")["state"], "approved");
    let (code, out) = d.check_json(&m, "7");
    assert_eq!(code, 2, "{out}");
    assert_eq!(
        out["approved"], false,
        "a pipeline reading `approved` must not ship"
    );
    let text = d.cmd(None).args(["check", &m, "7"]).output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("cannot tell"), "{text}");
    assert!(!text.contains("may ship"), "{text}");
    d.refused_for_integrity("ana.owner", &["promote", &m, "7"], "not on this version");
    assert_ne!(d.champion(&m), "7");
}

/// The newest record (the approval) deleted: nothing names it, but the
/// local checkpoint saw it.
fn a_record_the_checkpoint_saw_and_that_is_gone_fails_closed(b: Backend) {
    let (d, m) = signing::approved_demo(b);
    d.show(&m, "7");
    let (key, _) = d.record_with(&m, "7", "\"action\":\"approve\"");
    d.delete_tag(&m, "7", &key);
    assert_eq!(d.show(&m, "7")["state"], "pending");
    let (code, out) = d.check_json(&m, "7");
    assert_eq!(code, 2, "pending, but tampered: {out}");
    d.refused_for_integrity("ben.validator", &["approve", &m, "7"], "is gone");
}
