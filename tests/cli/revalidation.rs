//! `modelgate revalidate` through the real binary on both registries
//! (PROTOCOL 15): renewals due, expiries, a stricter policy, changed
//! evidence and a roster that took a role away are each found and, with
//! `--apply`, recorded once as a `reopen` by a monitor identity; `audit
//! verify` flags the production alias on such versions; every refusal
//! writes nothing. Time moves by running the binary under `faketime`
//! (scripts/test installs it): once a run has signed in the future, every
//! later command of that test runs at the same offset.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::on_both;
use crate::signing::{Backend, Demo, approved_demo};

const MONITOR: &str = "mona.monitor";
/// Approvals at low risk (product-recommender's tier) last 30 days, with a
/// renewal window of 7; the demo's automated approval counts (as in the demo).
const SETTINGS: &str = "automation_risks = [\"low\"]\nrenewal_window_days = 7\n[approval_valid_days_by_risk]\nlow = 30\n";
/// Inside the renewal window of an approval signed today, and past its end.
const IN_WINDOW: &str = "+25d";
const EXPIRED: &str = "+31d";

/// Adds settings to the end of this demo's config file (the MLflow demo has
/// one of top-level keys only, so keys added after it stay top-level).
fn configure(d: &Demo, extra: &str) {
    let path = d.home.join("config/modelgate/config.toml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let before = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, format!("{before}\n{extra}\n")).unwrap();
}

/// Adds a monitoring job's identity (role `monitor`) with a key of its own
/// to the demo's roster, its key file where `Demo::key` finds it.
fn add_monitor(d: &Demo) {
    add_monitor_to(d, &d.roster);
}

fn add_monitor_to(d: &Demo, roster: &Path) {
    let id = format!("{MONITOR}@demo.modelgate");
    let pair = ssh_key::private::Ed25519Keypair::from_seed(&[77; 32]);
    let key = ssh_key::PrivateKey::new(ssh_key::private::KeypairData::from(pair), &id).unwrap();
    let path = d.key(MONITOR);
    if !path.exists() {
        modelgate::trust::keys::write_key_file(&path, &key).unwrap();
    }
    let public = key.public_key().to_openssh().unwrap();
    let text = std::fs::read_to_string(roster).unwrap();
    std::fs::write(
        roster,
        format!(
            "{text}\n[[reviewer]]\nid = \"{id}\"\nname = \"Mona (monitoring job)\"\nroles = [\"monitor\"]\nmlflow_users = []\nkeys = [{{ key = \"{public}\", valid_after = \"2020-01-01T00:00:00Z\" }}]\n"
        ),
    )
    .unwrap();
}

/// The binary as `who` on `roster`, under `faketime` at `offset` from now
/// (`+0d` for now).
fn run(d: &Demo, offset: &str, who: Option<&str>, roster: &Path, args: &[&str]) -> Output {
    let plain = d.std_cmd_with(who, roster);
    let mut c = std::process::Command::new("faketime");
    c.arg("-f").arg(offset).arg(plain.get_program());
    c.args(plain.get_args()).args(args);
    for (k, v) in plain.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.output()
        .expect("faketime must be installed (apt-get install -y faketime; scripts/test does it)")
}

/// `revalidate --model M --json [extra]` at `offset` as `who`: exit code and entries.
fn revalidate(
    d: &Demo,
    offset: &str,
    who: Option<&str>,
    m: &str,
    extra: &[&str],
) -> (i32, Vec<Value>) {
    revalidate_with(d, offset, who, &d.roster, m, extra)
}

fn revalidate_with(
    d: &Demo,
    offset: &str,
    who: Option<&str>,
    roster: &Path,
    m: &str,
    extra: &[&str],
) -> (i32, Vec<Value>) {
    let mut args = vec!["revalidate", "--model", m, "--json"];
    args.extend_from_slice(extra);
    let out = run(d, offset, who, roster, &args);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.code().unwrap_or(-1),
        v.as_array().unwrap().clone(),
    )
}

/// The entry of `version` in a `revalidate --json` list.
fn entry<'a>(list: &'a [Value], version: &str) -> &'a Value {
    list.iter()
        .find(|e| e["version"] == version)
        .unwrap_or_else(|| panic!("no version {version} in {list:?}"))
}

/// `kind: detail` of each finding of an entry, one a line.
fn kinds(e: &Value) -> Vec<String> {
    e["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap().to_owned())
        .collect()
}

fn detail_of(e: &Value, kind: &str) -> String {
    e["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} finding in {e}"))["detail"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The reopen records on a version, as fields with their `id` added.
fn reopens(d: &Demo, m: &str, v: &str) -> Vec<Value> {
    d.records(m, v)
        .into_iter()
        .map(|(k, v)| {
            let mut r = serde_json::from_str::<Value>(&v).unwrap();
            r["id"] = Value::String(k.trim_start_matches("modelgate.record.").to_owned());
            r
        })
        .filter(|r| r["action"] == "reopen")
        .collect()
}

fn review_tag(d: &Demo, m: &str, v: &str) -> String {
    let all = d.everything();
    let prefix = format!("{m} {v} modelgate.review=");
    all.iter()
        .find_map(|t| t.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no review tag on {m} {v}"))
        .to_owned()
}

/// `audit verify --model M --json` at `offset`: exit code and findings as
/// `version severity message` lines.
fn verify_at(d: &Demo, offset: &str, m: &str) -> (i32, String) {
    let out = run(
        d,
        offset,
        None,
        &d.roster,
        &["audit", "verify", "--model", m, "--json"],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        out.status.code().unwrap_or(-1),
        crate::signing::findings(&v),
    )
}

/// The production version of product-recommender in the demo.
fn champion(d: &Demo, m: &str) -> String {
    d.aliases(m)
        .get("champion")
        .cloned()
        .expect("the demo deploys it")
}

/// An approved product-recommender 7 with the settings above and a monitor
/// in the roster.
fn setup(b: Backend) -> (Demo, String) {
    let (d, m) = approved_demo(b);
    configure(&d, SETTINGS);
    add_monitor(&d);
    (d, m)
}

on_both!(
    renewal_due_then_expired_then_recorded_once,
    a_stricter_policy_is_found_and_recorded,
    changed_evidence_names_what_changed,
    a_role_taken_away_is_found_with_whose_approval,
    a_stale_tag_is_set_without_a_reopen,
    a_version_that_cannot_be_told_is_named_and_the_rest_go_on,
    apply_without_a_usable_identity_writes_nothing,
    reopen_by_an_owner_or_automation_or_for_an_unknown_trigger_is_refused,
);

fn renewal_due_then_expired_then_recorded_once(b: Backend) {
    let (d, m) = setup(b);
    let prod = champion(&d, &m);

    // Today: nothing due anywhere on the model.
    let (code, list) = revalidate(&d, "+0d", None, &m, &[]);
    assert_eq!(code, 0, "{list:?}");
    let e = entry(&list, "7");
    assert_eq!(e["model"], m.as_str());
    assert_eq!(e["state"], "approved");
    assert_eq!(kinds(e), ["ok"]);
    assert!(detail_of(e, "ok").starts_with("approved until "), "{e}");
    assert_eq!(e["written"], serde_json::json!([]));
    assert!(
        list.iter().any(|e| e["version"] == prod.as_str()),
        "the production version is read: {list:?}"
    );

    // Inside the renewal window: still approved, a renewal is due (exit 1).
    let (code, list) = revalidate(&d, IN_WINDOW, None, &m, &[]);
    assert_eq!(code, 1, "{list:?}");
    let e = entry(&list, "7");
    assert_eq!(e["state"], "approved");
    assert_eq!(kinds(e), ["renewal_due"]);
    assert!(
        detail_of(e, "renewal_due").starts_with("renewal due by "),
        "{e}"
    );
    // The production version is in its window too: audit verify flags it.
    let (code, found) = verify_at(&d, IN_WINDOW, &m);
    assert_eq!(code, 1, "{found}");
    assert!(
        found.contains(&format!(
            "\"{prod}\" \"policy\" \"holds champion and its approval expires at"
        )),
        "{found}"
    );
    // Without --apply nothing is written, however much is found.
    let before = d.everything();
    let (code, list) = revalidate(&d, EXPIRED, None, &m, &[]);
    assert_eq!(code, 1);
    let e = entry(&list, "7");
    assert_eq!(e["state"], "revalidation");
    assert_eq!(kinds(e), ["expired", "tag"]);
    assert!(
        detail_of(e, "expired").starts_with("the approval expired at "),
        "{e}"
    );
    assert_eq!(d.everything(), before, "revalidate without --apply writes");
    // Text output says the same, and what --apply would do.
    let out = run(&d, EXPIRED, None, &d.roster, &["revalidate", "--model", &m]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("version 7: revalidation"), "{text}");
    assert!(
        text.contains("  expired: the approval expired at"),
        "{text}"
    );
    assert!(text.contains("run with --apply"), "{text}");

    // --apply: one periodic reopen on each expired version, by the monitor.
    let (code, list) = revalidate(&d, EXPIRED, Some(MONITOR), &m, &["--apply"]);
    assert_eq!(code, 1, "{list:?}");
    let e = entry(&list, "7");
    assert_eq!(e["written"].as_array().unwrap().len(), 1, "{e}");
    assert_eq!(e["state"], "revalidation");
    let r = reopens(&d, &m, "7");
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(e["written"][0], r[0]["id"], "written names the record");
    assert_eq!(r[0]["trigger"], "periodic");
    assert_eq!(r[0]["actor"], "mona.monitor@demo.modelgate");
    assert_eq!(r[0]["role"], "monitor");
    assert!(
        r[0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("modelgate revalidate: the approval expired at "),
        "{}",
        r[0]["reason"]
    );
    assert_eq!(review_tag(&d, &m, "7"), "revalidation");
    assert_eq!(
        reopens(&d, &m, &prod).len(),
        1,
        "the production version too"
    );

    // A second run writes nothing: every trigger is recorded in its cycle.
    let before = d.everything();
    let (code, list) = revalidate(&d, EXPIRED, Some(MONITOR), &m, &["--apply"]);
    assert_eq!(code, 1);
    assert!(
        list.iter().all(|e| e["written"] == serde_json::json!([])),
        "{list:?}"
    );
    assert_eq!(d.everything(), before, "a second --apply writes nothing");
    let e = entry(&list, "7");
    assert_eq!(kinds(e), ["expired"]);
    assert!(
        detail_of(e, "expired").contains("(recorded by reopen "),
        "{e}"
    );

    // The deployed version in revalidation is flagged by audit verify (exit 1).
    let (code, found) = verify_at(&d, EXPIRED, &m);
    assert_eq!(code, 1, "{found}");
    assert!(
        found.contains(&format!(
            "\"{prod}\" \"policy\" \"holds champion but is in revalidation (periodic)"
        )),
        "{found}"
    );
    let check = run(&d, EXPIRED, None, &d.roster, &["check", &m, "7"]);
    assert_eq!(check.status.code(), Some(1));
}

/// The default bundle with one more deny, for every review.
fn stricter_policy(d: &Demo) -> PathBuf {
    let dir = d.home.join("stricter-policy");
    d.stdout(None, &["policy", "export", dir.to_str().unwrap()]);
    let main = dir.join("modelgate.rego");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        format!("{text}\ndeny contains \"stricter: every model is re-validated under policy v2\" if true\n"),
    )
    .unwrap();
    dir
}

fn a_stricter_policy_is_found_and_recorded(b: Backend) {
    let (d, m) = setup(b);
    let policy = stricter_policy(&d);
    let p = policy.to_str().unwrap();
    let (code, list) = revalidate(&d, "+0d", None, &m, &["--policy", p]);
    assert_eq!(code, 1, "{list:?}");
    let e = entry(&list, "7");
    assert_eq!(e["state"], "revalidation");
    let why = detail_of(e, "policy");
    assert!(
        why.contains("now denies: \"stricter: every model is re-validated under policy v2\""),
        "{why}"
    );
    let (code, list) = revalidate(&d, "+0d", Some(MONITOR), &m, &["--policy", p, "--apply"]);
    assert_eq!(code, 1);
    assert_eq!(entry(&list, "7")["written"].as_array().unwrap().len(), 1);
    let r = reopens(&d, &m, "7");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["trigger"], "policy");
    assert!(
        r[0]["reason"]
            .as_str()
            .unwrap()
            .contains("stricter: every model is re-validated"),
        "{}",
        r[0]["reason"]
    );
    let before = d.everything();
    let (_, list) = revalidate(&d, "+0d", Some(MONITOR), &m, &["--policy", p, "--apply"]);
    assert_eq!(entry(&list, "7")["written"], serde_json::json!([]));
    assert_eq!(d.everything(), before);
}

fn changed_evidence_names_what_changed(b: Backend) {
    let (d, m) = setup(b);
    d.log_metric(&m, "7", "ndcg_at_10", 0.01);
    let (code, list) = revalidate(&d, "+0d", None, &m, &[]);
    assert_eq!(code, 1, "{list:?}");
    let e = entry(&list, "7");
    assert_eq!(e["state"], "revalidation");
    let why = detail_of(e, "evidence");
    assert!(
        why.starts_with("the evidence changed from sha256:"),
        "{why}"
    );
    assert!(why.contains("metric ndcg_at_10 "), "{why}");
    assert!(why.contains("-> 0.01"), "{why}");
    let (_, list) = revalidate(&d, "+0d", Some(MONITOR), &m, &["--apply"]);
    assert_eq!(entry(&list, "7")["written"].as_array().unwrap().len(), 1);
    let r = reopens(&d, &m, "7");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["trigger"], "evidence");
    assert!(
        r[0]["reason"]
            .as_str()
            .unwrap()
            .contains("metric ndcg_at_10"),
        "{}",
        r[0]["reason"]
    );
    let before = d.everything();
    revalidate(&d, "+0d", Some(MONITOR), &m, &["--apply"]);
    assert_eq!(d.everything(), before, "a second --apply writes nothing");
}

fn a_role_taken_away_is_found_with_whose_approval(b: Backend) {
    let (d, m) = setup(b);
    let ben = "ben.validator@demo.modelgate";
    let text = std::fs::read_to_string(&d.roster).unwrap();
    let blocks: Vec<String> = text
        .split("[[reviewer]]")
        .map(|blk| {
            if blk.contains(&format!("id = \"{ben}\"")) {
                blk.replacen("roles = [\"validator\"]", "roles = [\"domain\"]", 1)
            } else {
                blk.to_owned()
            }
        })
        .collect();
    let demoted = d.home.join("roster-demoted.toml");
    std::fs::write(&demoted, blocks.join("[[reviewer]]")).unwrap();
    assert_ne!(std::fs::read_to_string(&demoted).unwrap(), text);

    let (code, list) = revalidate_with(&d, "+0d", None, &demoted, &m, &[]);
    assert_eq!(code, 1, "{list:?}");
    let e = entry(&list, "7");
    assert_eq!(e["state"], "revalidation");
    let why = detail_of(e, "roster");
    assert!(
        why.contains(&format!(
            "the roster no longer backs the approval by {ben} as validator"
        )),
        "{why}"
    );
    assert!(why.contains("does not give"), "{why}");
    let (_, list) = revalidate_with(&d, "+0d", Some(MONITOR), &demoted, &m, &["--apply"]);
    assert_eq!(entry(&list, "7")["written"].as_array().unwrap().len(), 1);
    let r = reopens(&d, &m, "7");
    assert_eq!(r.len(), 1);
    assert_eq!(r[0]["trigger"], "roster");
    assert!(
        r[0]["reason"].as_str().unwrap().contains(ben),
        "{}",
        r[0]["reason"]
    );
    let before = d.everything();
    revalidate_with(&d, "+0d", Some(MONITOR), &demoted, &m, &["--apply"]);
    assert_eq!(d.everything(), before, "a second --apply writes nothing");
}

fn a_stale_tag_is_set_without_a_reopen(b: Backend) {
    let (d, m) = setup(b);
    // Someone set the index by hand: the records still say approved.
    d.set_tag(&m, "7", "modelgate.review", "revalidation");
    let (code, list) = revalidate(&d, "+0d", None, &m, &[]);
    assert_eq!(code, 0, "a stale tag alone is nothing due: {list:?}");
    let e = entry(&list, "7");
    assert_eq!(e["state"], "approved");
    assert_eq!(kinds(e), ["ok", "tag"]);
    assert_eq!(
        detail_of(e, "tag"),
        "modelgate.review says \"revalidation\" but the derived state is approved"
    );
    let (code, list) = revalidate(&d, "+0d", Some(MONITOR), &m, &["--apply"]);
    assert_eq!(code, 0);
    let e = entry(&list, "7");
    assert_eq!(e["written"], serde_json::json!([]));
    assert!(detail_of(e, "tag").ends_with("; set to approved"), "{e}");
    assert_eq!(review_tag(&d, &m, "7"), "approved");
    assert!(reopens(&d, &m, "7").is_empty());
}

fn a_version_that_cannot_be_told_is_named_and_the_rest_go_on(b: Backend) {
    let (d, m) = setup(b);
    d.log_metric(&m, "7", "ndcg_at_10", 0.01);
    // A record edited behind modelgate's back on the production version.
    let prod = champion(&d, &m);
    let (key, value) = d.record_with(&m, &prod, "\"action\":\"promote\"");
    d.set_tag(
        &m,
        &prod,
        &key,
        &value.replace("\"v\":1", "\"v\":1,\"x\":1"),
    );
    let before = d.everything();
    let (code, list) = revalidate(&d, "+0d", Some(MONITOR), &m, &["--apply"]);
    assert_eq!(code, 2, "{list:?}");
    let p = entry(&list, &prod);
    assert_eq!(kinds(p), ["unreadable"]);
    assert!(
        detail_of(p, "unreadable").contains("integrity findings"),
        "{p}"
    );
    assert_eq!(p["written"], serde_json::json!([]));
    // The others were still re-examined, and what they need recorded.
    let e = entry(&list, "7");
    assert_eq!(kinds(e), ["evidence", "tag"]);
    assert_eq!(e["written"].as_array().unwrap().len(), 1);
    let after = d.everything();
    let changed: Vec<&String> = after.iter().filter(|t| !before.contains(t)).collect();
    assert!(
        changed.iter().all(|t| t.starts_with(&format!("{m} 7 "))),
        "only version 7 was written to: {changed:?}"
    );
}

fn apply_without_a_usable_identity_writes_nothing(b: Backend) {
    let (d, m) = setup(b);
    let before = d.everything();
    let refused = |who: Option<&str>, want: &str| {
        let out = run(
            &d,
            EXPIRED,
            who,
            &d.roster,
            &["revalidate", "--model", &m, "--apply"],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(want), "{err}");
        assert!(err.contains("nothing was written"), "{err}");
        assert!(out.stdout.is_empty(), "nothing is reported either");
        assert_eq!(d.everything(), before, "{who:?}: a refusal must not write");
    };
    refused(None, "who are you?");
    refused(
        Some("ana.owner"),
        "holds none of the roles that sign a reopen",
    );
    refused(
        Some("ci.automation"),
        "holds none of the roles that sign a reopen",
    );
    // A key that is not the identity's.
    let mut c = d.std_cmd(None);
    c.args(["--identity", "mona.monitor@demo.modelgate", "--key-file"])
        .arg(d.key("ben.validator"))
        .args(["revalidate", "--model", &m, "--apply"]);
    let out = c.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("is not a key of mona.monitor"), "{err}");
    assert_eq!(d.everything(), before);
    // --readonly refuses --apply before anything else.
    let out = d
        .cmd(Some(MONITOR))
        .args(["--readonly", "revalidate", "--model", &m, "--apply"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--readonly"));
    // A bad glob is no verdict either.
    let out = d
        .cmd(None)
        .args(["revalidate", "--model", "[x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a glob"));
    assert_eq!(d.everything(), before);
}

fn reopen_by_an_owner_or_automation_or_for_an_unknown_trigger_is_refused(b: Backend) {
    let (d, m) = setup(b);
    let before = d.everything();
    let args = [
        "reopen",
        &m,
        "7",
        "--trigger",
        "drift",
        "--reason",
        "psi 0.4 on amount",
    ];
    for who in ["ana.owner", "ci.automation"] {
        let err = d.refusal(who, &args);
        assert!(err.contains("nothing was written"), "{who}: {err}");
        assert!(err.contains("reopen needs the role"), "{who}: {err}");
        assert_eq!(d.everything(), before, "{who}: a refusal must not write");
    }
    // Asking for the machine role outright is refused too.
    let mut with_role = args.to_vec();
    with_role.extend(["--role", "automation"]);
    let err = d.refusal("ci.automation", &with_role);
    assert!(err.contains("the automation role signs only"), "{err}");
    assert_eq!(d.everything(), before);
    // An unknown trigger is refused before anything is read.
    let out = d
        .cmd(Some(MONITOR))
        .args([
            "reopen",
            &m,
            "7",
            "--trigger",
            "gut-feeling",
            "--reason",
            "x",
        ])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("\"gut-feeling\" is not a trigger; use one of drift,"),
        "{err}"
    );
    assert_eq!(d.everything(), before);
    // The monitor may: one record, and the same reopen again writes nothing.
    let o = d.json(Some(MONITOR), &args);
    assert_eq!(o["state"], "revalidation", "{o}");
    let after = d.everything();
    d.json(Some(MONITOR), &args);
    assert_eq!(d.everything(), after);
    assert_eq!(reopens(&d, &m, "7").len(), 1);
}
