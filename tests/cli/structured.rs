//! Structured decisions through the real binary on both registries
//! (PROTOCOL 13, 14): checklist answers, decision categories and approvals
//! by automation are required, recorded, shown and verified, and every
//! refusal writes nothing.

use std::path::PathBuf;

use serde_json::Value;

use crate::on_both;
use crate::signing::{Backend, Demo, demo, succeeded};

const CHECKLIST: &str = r#"
[[checklist]]
id = "validation-v1"
roles = ["validator"]
risks = ["low", "medium"]
items = [
  { id = "metrics", text = "Metrics reviewed against the baseline" },
  { id = "fairness", text = "Fairness report reviewed for every sensitive feature", allow_na = true },
]
"#;

/// Adds settings to the end of this demo's config file (the MLflow demo has
/// one of top-level keys only, so a key added after it stays top-level).
fn configure(d: &Demo, extra: &str) {
    let path = d.home.join("config/modelgate/config.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let before = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, format!("{before}\n{extra}\n")).unwrap();
}

/// A refusal that names what it must and writes nothing.
fn refused(d: &Demo, who: &str, args: &[&str], want: &str) -> String {
    let before = d.everything();
    let err = d.refusal(who, args);
    assert!(err.contains(want), "{args:?}: {err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(d.everything(), before, "{args:?}: a refusal must not write");
    err
}

/// The approve among the records `show --json` printed.
fn approve_record(shown: &Value) -> Value {
    let records = shown["records"].as_array().unwrap();
    let found = records.iter().find(|r| r["action"] == "approve");
    found
        .unwrap_or_else(|| panic!("no approve: {shown}"))
        .clone()
}

/// Every record of `model` exported and checked by the real `ssh-keygen -Y verify`.
fn verified_by_ssh_keygen(d: &Demo, model: &str) {
    let dir = tempfile::TempDir::new().unwrap();
    let pack = dir.path().join("pack");
    let out = d
        .cmd(None)
        .args(["audit", "export", "--model", model, "--ssh-keygen"])
        .arg(&pack)
        .output()
        .unwrap();
    succeeded(&out, "audit export --ssh-keygen");
    let out = std::process::Command::new("sh")
        .arg(pack.join("verify.sh"))
        .current_dir(&pack)
        .output()
        .unwrap();
    succeeded(&out, "verify.sh (ssh-keygen -Y verify)");
}

on_both!(
    checklist_answers_are_required_recorded_and_shown,
    categories_are_required_recorded_and_filtered,
    automation_approves_only_a_listed_tier_with_quiet_gates,
);

fn checklist_answers_are_required_recorded_and_shown(b: Backend) {
    let d = demo(b);
    configure(&d, CHECKLIST);
    let (m, v) = (&d.m("product-recommender"), "7");
    d.json(Some("ana.owner"), &["submit", m, v]);
    let err = refused(
        &d,
        "ben.validator",
        &["approve", m, v],
        "checklist item metrics is not answered: \"Metrics reviewed against the baseline\"",
    );
    assert!(err.contains("validation-v1"), "{err}");
    refused(
        &d,
        "ben.validator",
        &["approve", m, v, "--answer", "metrics=yes"],
        "fairness is not answered",
    );
    refused(
        &d,
        "ben.validator",
        &[
            "approve",
            m,
            v,
            "--answer",
            "metrics=no",
            "--answer",
            "fairness=yes",
        ],
        "an approve needs yes to checklist item metrics",
    );
    refused(
        &d,
        "ben.validator",
        &[
            "approve",
            m,
            v,
            "--answer",
            "metrics=n/a",
            "--answer",
            "fairness=yes",
        ],
        "metrics cannot be answered n/a",
    );
    refused(
        &d,
        "ben.validator",
        &[
            "approve",
            m,
            v,
            "--answer",
            "metrics=yes",
            "--answer",
            "fairness=yes",
            "--answer",
            "cost=yes",
        ],
        "has no item \"cost\"",
    );
    // Bad answer syntax is refused before anything is read or written.
    let before = d.everything();
    let err = d.refusal(
        "ben.validator",
        &["approve", m, v, "--answer", "metrics=maybe"],
    );
    assert!(err.contains("yes, no or n/a"), "{err}");
    assert_eq!(d.everything(), before);

    let file: PathBuf = d.home.join("answers.json");
    std::fs::write(&file, r#"{"metrics": "yes", "fairness": "n/a"}"#).unwrap();
    let a = d.json(
        Some("ben.validator"),
        &["approve", m, v, "--answers", file.to_str().unwrap()],
    );
    assert_eq!(a["state"], "approved", "{a}");
    let answers = &a["record"]["checklist"];
    assert_eq!(answers["id"], "validation-v1");
    assert_eq!(answers["answers"]["fairness"], "n/a");
    let digest = answers["digest"].as_str().unwrap().to_owned();
    let listed = d.json(
        None,
        &["checklist", "show", "--role", "validator", "--risk", "low"],
    );
    assert_eq!(listed["checklists"][0]["digest"], digest.as_str());

    // show, audit and audit --json carry the answers.
    let shown = d.show(m, v);
    let rec = approve_record(&shown);
    assert_eq!(rec["checklist"]["answers"]["metrics"], "yes");
    assert_eq!(rec["checklist"]["older"], false);
    let text = d.stdout(None, &["show", m, v]);
    assert!(
        text.contains("checklist validation-v1: fairness=n/a metrics=yes"),
        "{text}"
    );
    let audit = d.json(None, &["audit", "--model", m, "--action", "approve"]);
    assert!(
        audit
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["checklist"]["digest"] == digest.as_str()),
        "{audit}"
    );
    let text = d.stdout(None, &["audit", "--model", m]);
    assert!(text.contains("checklist validation-v1"), "{text}");
    verified_by_ssh_keygen(&d, m);

    // The checklist changes: the approval answered an older one and still counts.
    let path = d.home.join("config/modelgate/config.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        config.replace(
            "against the baseline",
            "against the baseline and the champion",
        ),
    )
    .unwrap();
    let shown = d.show(m, v);
    assert_eq!(shown["state"], "approved", "{shown}");
    let rec = approve_record(&shown);
    assert_eq!(rec["checklist"]["older"], true);
    let text = d.stdout(None, &["show", m, v]);
    assert!(text.contains("(answered an older checklist)"), "{text}");
    assert_eq!(d.check(m, v), 0);
}

fn categories_are_required_recorded_and_filtered(b: Backend) {
    let d = demo(b);
    let (m, v) = (&d.m("product-recommender"), "7");
    d.json(Some("ana.owner"), &["submit", m, v]);
    let err = refused(
        &d,
        "ben.validator",
        &["reject", m, v, "--reason", "drops the holiday uplift"],
        "reject needs a category (--category C), one of: performance, fairness, explainability, schema, security, data, documentation, reproducibility, cost, operational, other",
    );
    assert!(err.contains("--category"), "{err}");
    refused(
        &d,
        "ben.validator",
        &["reject", m, v, "--reason", "r", "--category", "vibes"],
        "\"vibes\" is not a decision category; use one of: performance",
    );
    refused(
        &d,
        "ben.validator",
        &["comment", m, v, "--reason", "r", "--category", "data"],
        "comment carries no category",
    );
    let r = d.json(
        Some("ben.validator"),
        &[
            "request-changes",
            m,
            v,
            "--reason",
            "add the holiday weeks to the evaluation",
            "--category",
            "data",
        ],
    );
    assert_eq!(r["state"], "changes_requested", "{r}");
    assert_eq!(r["record"]["category"], "data");
    let by = |c: &str| d.json(None, &["audit", "--model", m, "--category", c]);
    let data = by("data");
    assert_eq!(data.as_array().unwrap().len(), 1, "{data}");
    assert_eq!(data[0]["action"], "request_changes");
    assert_eq!(data[0]["category"], "data");
    assert!(by("fairness").as_array().unwrap().is_empty());
    assert!(by("uncategorized").as_array().unwrap().is_empty());
    let text = d.stdout(None, &["audit", "--model", m, "--category", "data"]);
    assert!(text.contains("category data"), "{text}");

    // A record from a version-1 client has no category: it counts as
    // uncategorized, and still stands.
    let (m2, v2) = (&d.m("support-ticket-router"), "4");
    d.json(Some("kai.owner"), &["submit", m2, v2]);
    d.forge(
        m2,
        v2,
        "ben.validator",
        serde_json::json!({"action": "reject", "role": "validator", "reason": "old client"}),
    );
    let shown = d.show(m2, v2);
    assert_eq!(shown["state"], "rejected", "{shown}");
    let un = d.json(
        None,
        &["audit", "--model", m2, "--category", "uncategorized"],
    );
    assert_eq!(un.as_array().unwrap().len(), 1, "{un}");
    assert_eq!(un[0]["valid"], true, "{un}");
    verified_by_ssh_keygen(&d, m);
}

/// A roster with the demo's people and a pipeline identity of its own.
fn roster_with_pipeline(d: &Demo) -> (PathBuf, PathBuf) {
    let key = modelgate::trust::keys::generate().unwrap();
    let key_file = d.home.join("pipeline.key");
    modelgate::trust::keys::write_key_file(&key_file, &key).unwrap();
    let public = modelgate::trust::keys::public_line(&key).unwrap();
    let roster = d.home.join("roster-with-pipeline.toml");
    let demo = std::fs::read_to_string(&d.roster).unwrap();
    std::fs::write(
        &roster,
        format!(
            "{demo}\n[[reviewer]]\nid = \"pipeline@ci.test\"\nname = \"Release pipeline\"\nroles = [\"automation\"]\nkeys = [{{ key = \"{public}\", valid_after = \"2020-01-01T00:00:00Z\" }}]\n"
        ),
    )
    .unwrap();
    (roster, key_file)
}

fn automation_approves_only_a_listed_tier_with_quiet_gates(b: Backend) {
    let d = demo(b);
    let (roster, key_file) = roster_with_pipeline(&d);
    let pipeline = |args: &[&str]| {
        let mut c = d.std_cmd_with(None, &roster);
        c.args(["--identity", "pipeline@ci.test", "--key-file"])
            .arg(&key_file)
            .args(args);
        c.output().unwrap()
    };
    let refused_for_pipeline = |args: &[&str], want: &str| {
        let before = d.everything();
        let out = pipeline(args);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert!(err.contains("nothing was written"), "{err}");
        assert_eq!(d.everything(), before, "{args:?}: a refusal must not write");
    };
    let (m, v) = (&d.m("product-recommender"), "7");
    let submit = d
        .cmd_with(Some("ana.owner"), &roster)
        .args(["submit", m, v])
        .output()
        .unwrap();
    succeeded(&submit, "submit");
    // No tier is listed yet.
    refused_for_pipeline(
        &["approve", m, v],
        "approvals by automation are allowed only at the tiers in automation_risks (none configured)",
    );
    configure(&d, "automation_risks = [\"low\"]");
    // A pipeline signs nothing but approvals, comments and checkpoints.
    refused_for_pipeline(
        &["reject", m, v, "--reason", "r", "--category", "data"],
        "the automation role signs only approve, comment, checkpoint, not reject",
    );
    // A medium-risk review stays with people.
    let (mm, mv) = (&d.m("demand-forecast"), "4");
    refused_for_pipeline(&["approve", mm, mv], "is medium risk");

    let out = pipeline(&["approve", m, v, "--role", "automation", "--json"]);
    succeeded(&out, "approve by automation");
    let a: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(a["state"], "approved", "{a}");
    assert_eq!(a["record"]["role"], "automation");
    let show = |text: bool| {
        let mut c = d.cmd_with(None, &roster);
        c.args(["show", m, v]);
        if !text {
            c.arg("--json");
        }
        let out = c.output().unwrap();
        succeeded(&out, "show");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let shown: Value = serde_json::from_str(&show(false)).unwrap();
    let rec = approve_record(&shown);
    assert_eq!(rec["automated"], true, "{rec}");
    let text = show(true);
    assert!(
        text.contains("pipeline@ci.test as automation (automated)"),
        "{text}"
    );

    // Raising the risk tag makes the automated approval stop counting.
    d.set_model_tag(m, "modelgate.risk", "medium");
    let shown: Value = serde_json::from_str(&show(false)).unwrap();
    assert_eq!(shown["state"], "pending", "{shown}");
    let reasons = shown["state_reasons"].to_string();
    assert!(
        reasons.contains("does not count at medium risk"),
        "{reasons}"
    );
}

#[test]
fn a_bad_checklist_is_refused_at_load_naming_the_file_and_the_table() {
    let d = demo(Backend::Local);
    configure(
        &d,
        &CHECKLIST.replace(
            "roles = [\"validator\"]",
            "roles = [\"validator\"]\ncolour = \"red\"",
        ),
    );
    let out = d.cmd(None).args(["queue"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("config.toml") && err.contains("unknown field `colour`"),
        "{err}"
    );
    let path = d.home.join("config/modelgate/config.toml");
    let overlapping = format!(
        "{CHECKLIST}\n[[checklist]]\nid = \"second\"\nroles = [\"validator\"]\nrisks = [\"medium\"]\nitems = [{{ id = \"x\", text = \"X\" }}]\n"
    );
    std::fs::write(&path, overlapping).unwrap();
    let out = d.cmd(None).args(["queue"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("the config file {}: checklist[1] (id \"second\"): it overlaps checklist \"validation-v1\": both apply to validator at medium risk", path.display())),
        "{err}"
    );
    std::fs::write(&path, "automation_risks = [\"critical\"]\n").unwrap();
    let out = d.cmd(None).args(["queue"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("automation_risks lists critical"), "{err}");

    // `checklist show` lists what applies, with the digest records carry.
    std::fs::write(&path, CHECKLIST).unwrap();
    let text = d.stdout(None, &["checklist", "show", "--role", "validator"]);
    assert!(text.starts_with("validation-v1  sha256:"), "{text}");
    assert!(
        text.contains("fairness") && text.contains("(n/a allowed)"),
        "{text}"
    );
    let none = d.stdout(None, &["checklist", "show", "--role", "domain"]);
    assert!(
        none.starts_with("No checklist applies for domain."),
        "{none}"
    );
    let out = d
        .cmd(None)
        .args(["checklist", "show", "--risk", "severe"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--risk severe"));
}
