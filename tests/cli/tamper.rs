//! The properties that make records trustworthy, each broken on purpose on
//! both registries (PROTOCOL 6 to 12): a forged signature, a key the roster
//! does not list or no longer trusts, a role not held, a record copied to
//! another version or registry, stale evidence, a signer's own permissive
//! policy, a corrupt report, a future-dated record, and rosters that must be
//! refused. Each must keep a version from counting as approved, or be reported.

use std::path::{Path, PathBuf};

use modelgate::trust::keys::load_key_file;
use modelgate::trust::record::sign;
use modelgate::trust::verified;
use serde_json::{Map, Value};

use crate::on_both;
use crate::signing;
use crate::signing::{Backend, Demo, approved_demo as approved, demo, succeeded};

const M: &str = "product-recommender";

/// The roster with one reviewer's block edited (`from` replaced by `to`).
fn roster_edit(d: &Demo, id: &str, from: &str, to: &str) -> PathBuf {
    let text = std::fs::read_to_string(&d.roster).unwrap();
    let marker = format!("id = \"{id}\"");
    let blocks: Vec<String> = text
        .split("[[reviewer]]")
        .map(|b| {
            if b.contains(&marker) {
                assert!(b.contains(from), "{from} not in {b}");
                b.replacen(from, to, 1)
            } else {
                b.to_owned()
            }
        })
        .collect();
    let path = d
        .home
        .join(format!("roster-{}.toml", blocks.len() + to.len()));
    std::fs::write(&path, blocks.join("[[reviewer]]")).unwrap();
    path
}

/// The fields of a record tag value.
fn fields(value: &str) -> Map<String, Value> {
    serde_json::from_str(value).unwrap()
}

/// `check`'s exit code and `show`'s state, read with another roster.
fn with_roster(d: &Demo, roster: &Path, m: &str) -> (i32, Value) {
    let check = d
        .cmd_with(None, roster)
        .args(["check", m, "7"])
        .output()
        .unwrap();
    let show = d
        .cmd_with(None, roster)
        .args(["show", m, "7", "--json"])
        .output()
        .unwrap();
    (
        check.status.code().unwrap(),
        serde_json::from_slice(&show.stdout).unwrap(),
    )
}

/// The findings of the version's approve record in `show --json`.
fn approve_findings(show: &Value) -> String {
    let rec = show["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "approve")
        .unwrap_or_else(|| panic!("no approve record: {show}"));
    assert_eq!(rec["valid"], false, "{rec}");
    rec["findings"].to_string()
}

on_both!(
    a_forged_signature_is_invalid,
    the_verification_cache_vouches_for_no_audit,
    a_key_the_roster_does_not_list_signs_nothing_that_counts,
    a_key_outside_its_window_or_a_role_not_held_does_not_count,
    a_record_copied_to_another_version_or_registry_is_invalid,
    an_approval_on_stale_evidence_does_not_count,
    a_signers_permissive_policy_does_not_help,
    a_corrupt_report_on_a_low_risk_model_is_still_denied,
    a_future_dated_record_is_reported,
    rosters_with_a_shared_key_or_a_wildcard_id_are_refused,
    a_lowered_risk_tag_does_not_silence_a_signed_reject,
    a_rewritten_run_user_does_not_make_an_author_a_reviewer,
    a_swapped_submitted_by_tag_keeps_the_earlier_submitter_an_author,
    a_leaked_key_cannot_sign_backdated_records,
    one_revoke_cancels_every_racing_approval_of_its_signer,
);

fn a_forged_signature_is_invalid(b: Backend) {
    let (d, m) = approved(b);
    // The same signed bytes (so the same tag key), signed by chloe's key while
    // the record names ben's.
    let (key, value) = d.record_with(&m, "7", "\"action\":\"approve\"");
    let mut f = fields(&value);
    f.remove("sig");
    let chloe = load_key_file(&d.key("chloe.validator")).unwrap();
    let forged = sign(f, &chloe).unwrap();
    assert_eq!(forged.tag_key, key);
    assert_ne!(forged.tag_value, value);
    d.set_tag(&m, "7", &key, &forged.tag_value);
    assert_eq!(d.check(&m, "7"), 2);
    let show = d.show(&m, "7");
    assert_eq!(show["state"], "pending");
    assert!(approve_findings(&show).contains("signature does not verify"));
    let (code, found) = d.verify(&m);
    assert_eq!(code, 2, "{found}");
}

/// The cache of verified records (in the user's cache directory) is as
/// trusted as the roster beside it: a forged entry there makes the console's
/// commands count a forged record, and `audit verify`, which checks every
/// signature itself, still finds it.
fn the_verification_cache_vouches_for_no_audit(b: Backend) {
    let (d, m) = approved(b);
    let cache = d.home.join("cache/modelgate/verified-records");
    assert!(
        cache.is_file(),
        "the commands so far kept what they verified"
    );
    let (key, value) = d.record_with(&m, "7", "\"action\":\"approve\"");
    let mut f = fields(&value);
    f.remove("sig");
    let ben = f["key"].as_str().unwrap().to_owned();
    let chloe = load_key_file(&d.key("chloe.validator")).unwrap();
    let forged = sign(f, &chloe).unwrap();
    d.set_tag(&m, "7", &key, &forged.tag_value);
    assert_eq!(d.show(&m, "7")["state"], "pending", "checked in full");
    let lie = verified::entry(&key, &forged.tag_value, &ben);
    std::fs::write(&cache, verified::file_of([lie].iter())).unwrap();
    assert_eq!(d.show(&m, "7")["state"], "approved", "the cache vouched");
    let (code, found) = d.verify(&m);
    assert_eq!(code, 2, "{found}");
    assert!(found.contains("signature does not verify"), "{found}");
    // A damaged cache is said, and the records are verified in full.
    std::fs::write(&cache, "not a cache").unwrap();
    let out = d
        .cmd(None)
        .args(["show", &m, "7", "--json"])
        .output()
        .unwrap();
    succeeded(&out, "show with a damaged cache");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a verification cache"));
    let show: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(show["state"], "pending");
}

fn a_key_the_roster_does_not_list_signs_nothing_that_counts(b: Backend) {
    let d = demo(b);
    let m = d.m(M);
    d.stdout(Some("ana.owner"), &["submit", &m, "7"]);
    // Mallory has her own key and a roster of her own that lists it.
    let key = d.home.join("mallory.key");
    d.stdout(None, &["keys", "init", "--key-file", key.to_str().unwrap()]);
    let public = d.stdout(None, &["keys", "show", "--key-file", key.to_str().unwrap()]);
    let line = public
        .lines()
        .find(|l| l.starts_with("ssh-ed25519 "))
        .unwrap_or_else(|| panic!("{public}"))
        .trim();
    let hers = d.home.join("mallory-roster.toml");
    let mut text = std::fs::read_to_string(&d.roster).unwrap();
    text.push_str(&format!(
        "\n[[reviewer]]\nid = \"mallory@evil\"\nname = \"M\"\nroles = [\"validator\"]\nkeys = [{{ key = \"{line}\" }}]\n"
    ));
    std::fs::write(&hers, text).unwrap();
    let out = d
        .cmd_with(None, &hers)
        .args(["--identity", "mallory@evil", "--key-file"])
        .arg(&key)
        .args(["approve", &m, "7"])
        .output()
        .unwrap();
    succeeded(&out, "mallory's approval under her roster");
    // Read with the real roster, her approval is invalid and counts for nothing.
    let show = d.show(&m, "7");
    assert_eq!(show["state"], "pending");
    let found = approve_findings(&show);
    assert!(
        found.contains("not in the roster") || found.contains("roster does not list"),
        "{found}"
    );
    assert_eq!(d.check(&m, "7"), 2);
    let (code, found) = d.verify(&m);
    assert_eq!(code, 2, "{found}");
}

fn a_key_outside_its_window_or_a_role_not_held_does_not_count(b: Backend) {
    let (d, m) = approved(b);
    let ben = "ben.validator@demo.modelgate";
    // Ben's key leaked in 2021: records claiming later times are not his.
    let leaked = roster_edit(
        &d,
        ben,
        "valid_after = \"2020-01-01T00:00:00Z\" }",
        "valid_after = \"2020-01-01T00:00:00Z\", valid_before = \"2021-01-01T00:00:00Z\" }",
    );
    let (code, show) = with_roster(&d, &leaked, &m);
    assert_eq!(code, 2);
    assert_eq!(show["state"], "pending");
    let found = approve_findings(&show);
    assert!(found.contains("is not valid at"), "{found}");
    // Ben is no longer a validator: his validator approval lapsed. That is
    // no tampering, but the approval it made is to be re-examined.
    let demoted = roster_edit(&d, ben, "roles = [\"validator\"]", "roles = [\"domain\"]");
    let (code, show) = with_roster(&d, &demoted, &m);
    assert_eq!(code, 1);
    assert_eq!(show["state"], "revalidation");
    assert_eq!(show["revalidation"]["triggers"][0]["trigger"], "roster");
    let found = approve_findings(&show);
    assert!(found.contains("role"), "{found}");
    // With the roster it was signed under, it still counts.
    assert_eq!(d.check(&m, "7"), 0);
}

fn a_record_copied_to_another_version_or_registry_is_invalid(b: Backend) {
    let (d, m) = approved(b);
    let (key, value) = d.record_with(&m, "7", "\"action\":\"approve\"");
    // Onto version 6 of the same model: it belongs to 7.
    d.stdout(Some("ana.owner"), &["submit", &m, "6"]);
    d.set_tag(&m, "6", &key, &value);
    let show = d.show(&m, "6");
    assert_eq!(show["state"], "pending");
    let found = approve_findings(&show);
    assert!(found.contains("version"), "{found}");
    assert_eq!(d.check(&m, "6"), 2);
    // Onto the same model and version of another registry: it names this one.
    let twin = d.twin();
    let (submit_key, submit) = d.record_with(&m, "7", "\"action\":\"submit\"");
    twin.set_tag(&m, "7", &submit_key, &submit);
    twin.set_tag(&m, "7", &key, &value);
    let show = twin.show(&m, "7");
    assert_eq!(show["state"], "pending");
    let found = approve_findings(&show);
    assert!(found.contains("registry"), "{found}");
    assert_eq!(twin.check(&m, "7"), 2);
}

fn an_approval_on_stale_evidence_does_not_count(b: Backend) {
    let (d, m) = approved(b);
    // A new metric value logged after the approval changes the evidence.
    d.log_metric(&m, "7", "ndcg_at_10", 0.01);
    let show = d.show(&m, "7");
    // It was approved: the changed evidence sends it back for revalidation.
    assert_eq!(show["state"], "revalidation", "{show}");
    let triggers = &show["revalidation"]["triggers"];
    assert_eq!(triggers[0]["trigger"], "evidence", "{triggers}");
    assert_eq!(triggers[0]["record"], serde_json::Value::Null);
    assert_eq!(d.check(&m, "7"), 1);
    let (code, found) = d.verify(&m);
    assert_eq!(code, 1, "{found}");
    assert!(found.contains("stale"), "{found}");
}

/// A low-risk version whose scan report has a critical finding: the default
/// policy denies it.
fn scanned_version(d: &Demo, m: &str, report: &[u8]) -> String {
    d.new_version_with(
        m,
        &[("ndcg_at_10", 0.5), ("latency_p95_ms", 20.0)],
        &[("modelgate/security_scan.json", report)],
    )
}

fn a_signers_permissive_policy_does_not_help(b: Backend) {
    let d = demo(b);
    let m = d.m(M);
    let report = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/samples/modelscan/critical_issue.json"
    ))
    .expect("tests/fixtures/samples/modelscan/critical_issue.json");
    let v = scanned_version(&d, &m, &report);
    let empty = d.home.join("empty-policy");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(empty.join("modelgate.rego"), "package modelgate\n").unwrap();
    let with_empty = |who: &str, args: &[&str]| {
        let out = d
            .cmd(Some(who))
            .arg("--policy")
            .arg(&empty)
            .args(args)
            .args(["--json"])
            .output()
            .unwrap();
        succeeded(&out, &format!("{args:?}"));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    with_empty("ana.owner", &["submit", &m, &v]);
    let a = with_empty("ben.validator", &["approve", &m, &v]);
    // Under the signer's empty policy the record says: no deny.
    assert_eq!(a["record"]["gates"]["deny"], Value::Array(vec![]), "{a}");
    // Under the configured (default) policy it is still denied.
    let show = d.show(&m, &v);
    assert_eq!(show["state"], "pending", "{show}");
    assert_eq!(d.check(&m, &v), 1);
}

fn a_corrupt_report_on_a_low_risk_model_is_still_denied(b: Backend) {
    let d = demo(b);
    let m = d.m(M);
    let v = scanned_version(&d, &m, b"{\"summary\": {\"total_issues\": 0, ");
    d.stdout(Some("ana.owner"), &["submit", &m, &v]);
    d.stdout(Some("ben.validator"), &["approve", &m, &v]);
    let show = d.show(&m, &v);
    assert_eq!(show["state"], "pending", "{show}");
    assert_eq!(d.check(&m, &v), 1);
    let gate = d.cmd(None).args(["gate", &m, &v]).output().unwrap();
    assert_eq!(gate.status.code(), Some(1), "the gate denies");
}

fn a_future_dated_record_is_reported(b: Backend) {
    let d = demo(b);
    let m = d.m(M);
    d.stdout(
        Some("dev.domain"),
        &["comment", &m, "7", "--reason", "looks fine"],
    );
    let (_, value) = d.record_with(&m, "7", "\"action\":\"comment\"");
    let mut f = fields(&value);
    f.remove("sig");
    let tomorrow = chrono::Utc::now() + chrono::Duration::days(1);
    f.insert(
        "at".into(),
        Value::String(tomorrow.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
    );
    f.insert("nonce".into(), Value::String("ab".repeat(16)));
    let dev = load_key_file(&d.key("dev.domain")).unwrap();
    let signed = sign(f, &dev).unwrap();
    d.set_tag(&m, "7", &signed.tag_key, &signed.tag_value);
    let (code, found) = d.verify(&m);
    assert_eq!(code, 1, "{found}");
    assert!(found.contains("future"), "{found}");
}

fn rosters_with_a_shared_key_or_a_wildcard_id_are_refused(b: Backend) {
    let d = demo(b);
    let m = d.m(M);
    let text = std::fs::read_to_string(&d.roster).unwrap();
    // Chloe's entry carrying ben's key.
    let ben_key = text
        .split("[[reviewer]]")
        .find(|b| b.contains("id = \"ben.validator@demo.modelgate\""))
        .and_then(|b| b.split("key = \"").nth(1))
        .and_then(|k| k.split('"').next())
        .unwrap()
        .to_owned();
    let shared = text.replacen(
        "id = \"chloe.validator@demo.modelgate\"",
        "id = \"chloe.validator@demo.modelgate\"\n# shares ben's key\n",
        1,
    ) + &format!(
        "\n[[reviewer]]\nid = \"x@demo.modelgate\"\nname = \"X\"\nroles = [\"validator\"]\nkeys = [{{ key = \"{ben_key}\" }}]\n"
    );
    let wildcard = text.clone()
        + "\n[[reviewer]]\nid = \"*\"\nname = \"Anyone\"\nroles = [\"compliance\"]\nkeys = []\n";
    for (name, bad, says) in [("shared", shared, "key"), ("wildcard", wildcard, "*")] {
        let path = d.home.join(format!("{name}.toml"));
        std::fs::write(&path, bad).unwrap();
        let before = d.everything();
        let out = d
            .cmd_with(Some("ben.validator"), &path)
            .args(["approve", &m, "7"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}: {err}");
        assert!(
            err.contains("roster") && err.contains(says),
            "{name}: {err}"
        );
        assert_eq!(d.everything(), before);
        let out = d
            .cmd_with(None, &path)
            .args(["roster", "allowed-signers"])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{name}");
    }
}

/// `check`'s exit code from a client with no local state (no checkpoint).
fn fresh_check(d: &Demo, m: &str, version: &str) -> i32 {
    d.cmd(None)
        .env("XDG_STATE_HOME", d.home.join("fresh-state"))
        .args(["check", m, version])
        .output()
        .unwrap()
        .status
        .code()
        .unwrap()
}

fn a_lowered_risk_tag_does_not_silence_a_signed_reject(b: Backend) {
    let d = demo(b);
    // High by its modelgate.risk tag alone: no configured floor.
    let m = d.m("claims-triage");
    d.stdout(Some("kai.owner"), &["submit", &m, "5"]);
    d.stdout(
        Some("dev.domain"),
        &[
            "reject",
            &m,
            "5",
            "--reason",
            "fails the domain review",
            "--category",
            "performance",
        ],
    );
    // Lowering the tag would drop domain from the required roles.
    d.set_model_tag(&m, "modelgate.risk", "low");
    let refused = d.refusal("ben.validator", &["approve", &m, "5"]);
    assert!(refused.contains("rejected"), "{refused}");
    // An approval signed elsewhere on what the lowered tag says, and the
    // review tag set by hand, change nothing.
    d.forge(
        &m,
        "5",
        "ben.validator",
        serde_json::json!({"risk": "low", "required_roles": ["validator"]}),
    );
    d.set_tag(&m, "5", "modelgate.review", "approved");
    let show = d.show(&m, "5");
    assert_eq!(show["state"], "rejected", "{}", show["state_reasons"]);
    assert_eq!(show["risk"], "high");
    assert_eq!(
        show["required_roles"],
        serde_json::json!(["domain", "validator"])
    );
    assert_eq!(d.check(&m, "5"), 1);
    assert_eq!(fresh_check(&d, &m, "5"), 1);
    let (code, found) = d.verify(&m);
    assert_eq!(code, 1, "{found}");
    assert!(found.contains("derived state is rejected"), "{found}");
}

fn a_rewritten_run_user_does_not_make_an_author_a_reviewer(b: Backend) {
    let d = demo(b);
    let m = d.m(M);
    // Ben, a validator, logged the run.
    d.set_run_user(&m, "7", "ben.okafor");
    d.stdout(Some("ana.owner"), &["submit", &m, "7"]);
    let (_, submit) = d.record_with(&m, "7", "\"action\":\"submit\"");
    assert!(submit.contains("\"run_user\":\"ben.okafor\""), "{submit}");
    assert!(
        d.refusal("ben.validator", &["approve", &m, "7"])
            .contains("author")
    );
    // The run tag rewritten: Ben is still its author.
    d.set_run_user(&m, "7", "build-bot");
    assert!(
        d.refusal("ben.validator", &["approve", &m, "7"])
            .contains("author")
    );
    d.forge(&m, "7", "ben.validator", serde_json::json!({}));
    let show = d.show(&m, "7");
    assert_eq!(show["state"], "pending");
    assert!(
        show["state_reasons"]
            .to_string()
            .contains("signed by an author"),
        "{}",
        show["state_reasons"]
    );
    assert!(
        show["problems"]
            .to_string()
            .contains("an author tag changed"),
        "{}",
        show["problems"]
    );
    assert_eq!(d.check(&m, "7"), 1);
    // A client that never saw the old tag: the signed submit's run_user binds.
    assert_eq!(fresh_check(&d, &m, "7"), 1);
    let (code, found) = d.verify(&m);
    assert_eq!(code, 1, "{found}");
    assert!(found.contains("recorded \\\"ben.okafor\\\""), "{found}");
    // Someone who is not an author approves, and it counts.
    d.stdout(Some("chloe.validator"), &["approve", &m, "7"]);
    assert_eq!(d.check(&m, "7"), 0);
}

fn a_swapped_submitted_by_tag_keeps_the_earlier_submitter_an_author(b: Backend) {
    let d = demo(b);
    let m = d.m(M);
    // Low risk, no signed submit: the submitter is known from the tag only.
    d.set_tag(
        &m,
        "7",
        "modelgate.submitted_by",
        "ben.validator@demo.modelgate",
    );
    assert!(
        d.refusal("ben.validator", &["approve", &m, "7"])
            .contains("author")
    );
    d.set_tag(&m, "7", "modelgate.submitted_by", "build-bot");
    assert!(
        d.refusal("ben.validator", &["approve", &m, "7"])
            .contains("author")
    );
    d.forge(&m, "7", "ben.validator", serde_json::json!({}));
    let show = d.show(&m, "7");
    assert_eq!(show["state"], "pending", "{}", show["state_reasons"]);
    let problems = show["problems"].to_string();
    assert!(
        problems.contains("modelgate.submitted_by is \\\"build-bot\\\" but was \\\"ben.validator@demo.modelgate\\\""),
        "{problems}"
    );
    assert_eq!(d.check(&m, "7"), 1);
    let (code, found) = d.verify(&m);
    assert_eq!(code, 1, "{found}");
    assert!(found.contains("an author tag changed"), "{found}");
    assert!(found.contains("unsigned submission"), "{found}");
}

fn a_leaked_key_cannot_sign_backdated_records(b: Backend) {
    let d = demo(b);
    let m = d.m(M);
    d.stdout(Some("ana.owner"), &["submit", &m, "7"]);
    let now = chrono::Utc::now();
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    // After the demo's own history (signed up to an hour ago), before now.
    let closed = now - chrono::Duration::minutes(20);
    let after = "valid_after = \"2020-01-01T00:00:00Z\"";
    let roster = roster_edit(
        &d,
        "ben.validator@demo.modelgate",
        after,
        &format!("{after}, valid_before = \"{}\"", fmt(closed)),
    );
    // Whoever holds Ben's leaked key signs now, claiming a time inside the window.
    let claimed = now - chrono::Duration::minutes(30);
    let key = d.forge(
        &m,
        "7",
        "ben.validator",
        serde_json::json!({"at": fmt(claimed)}),
    );
    let (code, show) = with_roster(&d, &roster, &m);
    assert_eq!(code, 2);
    assert_eq!(show["state"], "pending");
    assert!(
        approve_findings(&show)
            .contains("signed by a key past its valid_before, and nothing shows it is older"),
        "{show}"
    );
    let verify = |extra: &[&str]| {
        let out = d
            .cmd_with(None, &roster)
            .args(["audit", "verify", "--model", &m, "--json"])
            .args(extra)
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code().unwrap(), signing::findings(&v))
    };
    let (code, found) = verify(&[]);
    assert_eq!(code, 2, "{found}");
    assert!(found.contains("past its valid_before"), "{found}");
    // A checkpoint kept elsewhere that saw the record before the key was
    // closed shows it is older: then it counts.
    // (It saw the model's earlier history then too.)
    let id = key.trim_start_matches("modelgate.record.");
    let seen = (claimed + chrono::Duration::minutes(2)).timestamp_millis();
    let mut lines = String::new();
    for r in d.json(None, &["audit", "--model", &m]).as_array().unwrap() {
        let line = serde_json::json!({
            "model": m, "version": r["version"], "id": r["id"], "first_seen_ms": seen,
        });
        lines.push_str(&format!("{line}\n"));
    }
    assert!(lines.contains(id));
    let cp = d.home.join("ci-checkpoint.jsonl");
    std::fs::write(&cp, lines).unwrap();
    let (code, found) = verify(&["--checkpoint", cp.to_str().unwrap()]);
    assert!(!found.contains("past its valid_before"), "{found}");
    assert_eq!(code, 1, "the review tag still says pending: {found}");
    assert!(found.contains("derived state is approved"), "{found}");
}

fn one_revoke_cancels_every_racing_approval_of_its_signer(b: Backend) {
    let d = demo(b);
    let m = d.m(M);
    d.stdout(Some("ana.owner"), &["submit", &m, "7"]);
    // Two approvals by Ben that raced: each saw only the submit.
    let first = d.forge(&m, "7", "ben.validator", serde_json::json!({}));
    let (_, value) = d
        .records(&m, "7")
        .into_iter()
        .find(|(k, _)| k == &first)
        .unwrap();
    let parents = fields(&value)["parents"].clone();
    d.forge(
        &m,
        "7",
        "ben.validator",
        serde_json::json!({"parents": parents}),
    );
    assert_eq!(d.check(&m, "7"), 0);
    // The revoke names one of them; both stop counting.
    d.stdout(
        Some("ben.validator"),
        &["revoke", &m, "7", "--reason", "signed on the wrong build"],
    );
    let show = d.show(&m, "7");
    assert_eq!(show["state"], "pending", "{}", show["state_reasons"]);
    let reasons = show["state_reasons"].to_string();
    assert_eq!(
        reasons.matches("revoked by its signer").count(),
        2,
        "{reasons}"
    );
    assert_eq!(d.check(&m, "7"), 1);
}
