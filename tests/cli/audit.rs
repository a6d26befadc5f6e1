//! Audit through the real binary on both registries: listing, verify exit
//! codes against tampering and deletion, and the ssh-keygen export checked by
//! the real ssh-keygen.

use serde_json::Value;

use crate::on_both;
use crate::signing;
use crate::signing::{Backend, approved_demo, succeeded};

on_both!(
    audit_lists_records_with_validity,
    verify_reports_policy_findings_with_exit_1,
    a_tampered_record_is_an_integrity_failure,
    a_deleted_newest_record_is_caught_by_the_checkpoint,
    ssh_keygen_export_verifies_with_openssh_only,
    a_signed_checkpoint_catches_a_deleted_record_without_any_local_state,
    verify_sh_checks_each_record_against_its_actor_and_modelgates_verdict,
);

/// The items of an `audit --json` listing on version 7.
fn on_v7(list: &Value) -> Vec<&Value> {
    list.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["version"] == "7")
        .collect()
}

fn audit_lists_records_with_validity(b: Backend) {
    let (d, m) = approved_demo(b);
    let all = d.json(None, &["audit", "--model", &m]);
    // Version 7's two, and the signed history of the champion (5) and the
    // version before it (3): submit, approve, promote each.
    let n = all.as_array().unwrap().len();
    assert_eq!(n, 8, "{all}");
    assert_eq!(on_v7(&all).len(), 2);
    for r in all.as_array().unwrap() {
        for k in [
            "id", "model", "version", "action", "actor", "role", "at", "valid", "findings",
            "record",
        ] {
            assert!(r.get(k).is_some(), "{k} missing: {r}");
        }
        assert_eq!(r["valid"], true, "{r}");
        assert_eq!(r["model"], m.as_str());
        assert_eq!(r["id"].as_str().unwrap().len(), 64);
    }
    let only = d.json(None, &["audit", "--model", &m, "--action", "approve"]);
    let only = on_v7(&only);
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["actor"], "ben.validator@demo.modelgate");
    let by_actor = d.json(
        None,
        &[
            "audit",
            "--model",
            &m,
            "--actor",
            "ben.validator@demo.modelgate",
        ],
    );
    assert!(
        by_actor
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["actor"] == "ben.validator@demo.modelgate" && r["action"] == "approve"),
        "{by_actor}"
    );
    let csv = d.stdout(None, &["audit", "export", "--model", &m, "--format", "csv"]);
    assert_eq!(csv.lines().count(), n + 1, "a header and a row each: {csv}");
    let jsonl = d.stdout(
        None,
        &["audit", "export", "--model", &m, "--format", "jsonl"],
    );
    assert_eq!(jsonl.lines().count(), n, "{jsonl}");
}

fn verify_reports_policy_findings_with_exit_1(b: Backend) {
    let (d, _) = approved_demo(b);
    // The demo's other pending reviews were submitted by tag only.
    let m = d.m("fraud-detector");
    let (code, v) = d.code_json(None, &["audit", "verify", "--model", &m, "--json"]);
    let found = signing::findings(&v);
    assert_eq!(code, 1, "{found}");
    assert!(found.contains("unsigned submission"), "{found}");
    assert!(
        !v["legacy"].as_array().unwrap().is_empty(),
        "versions approved before modelgate are listed"
    );
    assert!(v["note"].as_str().unwrap().contains("checkpoint"));
}

fn a_tampered_record_is_an_integrity_failure(b: Backend) {
    let (d, m) = approved_demo(b);
    // Whitespace only: the value is no longer canonical.
    let (key, value) = d.record_with(&m, "7", "\"action\":\"approve\"");
    let spaced = value.replace("\"action\":\"approve\"", "\"action\": \"approve\"");
    d.set_tag(&m, "7", &key, &spaced);
    let (code, found) = d.verify(&m);
    assert_eq!(code, 2, "{found}");
    assert!(found.contains("canonical"), "{found}");
    // The approval no longer counts anywhere.
    assert_eq!(d.show(&m, "7")["state"], "pending");
    assert_eq!(d.check(&m, "7"), 2);
}

fn a_deleted_newest_record_is_caught_by_the_checkpoint(b: Backend) {
    let (d, m) = approved_demo(b);
    // A read (verify, show) records every id in the local checkpoint.
    let (first, found) = d.verify(&m);
    assert_eq!(first, 1, "{found}");
    let (key, _) = d.record_with(&m, "7", "\"action\":\"approve\"");
    d.delete_tag(&m, "7", &key);
    let (code, found) = d.verify(&m);
    assert_eq!(code, 2, "{found}");
    assert!(found.contains("gone from the registry"), "{found}");
    // A fresh client (no checkpoint) cannot tell, and says so.
    let fresh = d
        .cmd(None)
        .env("XDG_STATE_HOME", d.home.join("other-state"))
        .args(["audit", "verify", "--model", &m, "--json"])
        .output()
        .unwrap();
    assert_eq!(fresh.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&fresh.stdout).unwrap();
    assert!(v["note"].as_str().unwrap().contains("checkpoint"));
}

/// Runs `audit export --ssh-keygen DIR` on the model and then DIR/verify.sh
/// (from another directory); the script's exit code and output.
fn export_and_verify(d: &signing::Demo, m: &str, dir: &std::path::Path) -> (i32, String) {
    let out = d
        .cmd(None)
        .args(["audit", "export", "--model", m, "--ssh-keygen"])
        .arg(dir)
        .output()
        .unwrap();
    succeeded(&out, "audit export --ssh-keygen");
    let run = std::process::Command::new(dir.join("verify.sh"))
        .current_dir(&d.home)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    (run.status.code().unwrap_or(-1), text)
}

fn ssh_keygen_export_verifies_with_openssh_only(b: Backend) {
    let (d, m) = approved_demo(b);
    let out_dir = d.home.join("export");
    let (code, text) = export_and_verify(&d, &m, &out_dir);
    assert_eq!(code, 0, "{text}");
    let records = d.json(None, &["audit", "--model", &m]);
    let valid = records
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["valid"] == true)
        .count();
    assert_eq!(valid, 8);
    assert_eq!(text.matches("ok   ").count(), valid, "{text}");
    let names: Vec<String> = std::fs::read_dir(out_dir.join("records"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // Tampering with an exported record fails the script.
    let rec = out_dir
        .join("records")
        .join(names.iter().find(|n| n.ends_with(".json")).unwrap());
    let mut bytes = std::fs::read(&rec).unwrap();
    bytes.push(b' ');
    std::fs::write(&rec, bytes).unwrap();
    let run = std::process::Command::new(out_dir.join("verify.sh"))
        .output()
        .unwrap();
    assert!(!run.status.success());

    // A record tag that is not a record id, written behind modelgate's back:
    // through the registry's API everywhere, and on the embedded registry with
    // the shell and path characters that API refuses. modelgate finds them
    // invalid, so the script fails on them, by a name computed from the key.
    d.set_tag(&m, "7", "modelgate.record.x y:z/w", "{}");
    if b == Backend::Local {
        d.sql(
            "INSERT INTO version_tags (version_id, key, value) SELECT version_id, 'modelgate.record.../../$(touch pwned)', '{}' \
             FROM version_tags LIMIT 1",
        );
    }
    let out_dir = d.home.join("export-2");
    let (code, text) = export_and_verify(&d, &m, &out_dir);
    assert_eq!(code, 1, "{text}");
    // (The hostile key lands on some version of some model: maybe not this one.)
    assert!(
        text.matches("modelgate found this record invalid").count() >= 1,
        "{text}"
    );
    assert!(text.contains("FAIL key-"), "{text}");
    assert_eq!(text.matches("ok   ").count(), valid, "{text}");
    assert!(!text.contains("x y:z") && !text.contains("touch"), "{text}");
    assert!(!d.home.join("pwned").exists() && !out_dir.join("pwned").exists());
    let script = std::fs::read_to_string(out_dir.join("verify.sh")).unwrap();
    assert!(!script.contains("x y:z") && !script.contains("touch"));
    let names: Vec<String> = std::fs::read_dir(out_dir.join("records"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| n
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == '.' || c.is_ascii_lowercase())),
        "{names:?}"
    );
}

fn verify_sh_checks_each_record_against_its_actor_and_modelgates_verdict(b: Backend) {
    let (d, m) = approved_demo(b);
    let id = |key: &str| key.trim_start_matches("modelgate.record.").to_owned();
    // Signed with Ben's key, claiming to be Chloe: ssh-keygen finds "a
    // principal" for it, but not Chloe.
    let as_chloe = id(&d.forge(
        &m,
        "7",
        "ben.validator",
        serde_json::json!({"action": "comment", "actor": "chloe.validator@demo.modelgate",
            "reason": "looks fine", "evidence": null, "gates": null, "risk": null, "required_roles": null}),
    ));
    // Signatures that verify, on records modelgate finds invalid: a role Ben
    // does not hold, a field outside the protocol, a sha256 signature.
    let comment = |extra: Value| {
        let mut f = serde_json::json!({"action": "comment", "reason": "noted",
            "evidence": null, "gates": null, "risk": null, "required_roles": null});
        f.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        f
    };
    let wrong_role = id(&d.forge(
        &m,
        "7",
        "ben.validator",
        comment(serde_json::json!({"role": "domain"})),
    ));
    let extra_field = id(&d.forge(
        &m,
        "7",
        "ben.validator",
        comment(serde_json::json!({"note": "not in the protocol"})),
    ));
    let sha256 = id(&d.forge_with_ssh_keygen(
        &m,
        "7",
        "ben.validator",
        "sha256",
        comment(serde_json::json!({})),
    ));
    // The same through ssh-keygen with sha512 is a valid record.
    let good = id(&d.forge_with_ssh_keygen(
        &m,
        "7",
        "ben.validator",
        "sha512",
        comment(serde_json::json!({"reason": "signed by ssh-keygen"})),
    ));
    let records = d.json(None, &["audit", "--model", &m]);
    let verdict = |rid: &str| {
        records
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == rid)
            .unwrap_or_else(|| panic!("{rid} not listed"))["findings"]
            .to_string()
    };
    assert!(
        verdict(&as_chloe).contains("is not a key of chloe"),
        "{}",
        verdict(&as_chloe)
    );
    assert!(verdict(&wrong_role).contains("role domain"));
    assert!(verdict(&extra_field).contains("not part of protocol"));
    assert!(verdict(&sha256).contains("sha512"), "{}", verdict(&sha256));
    assert_eq!(verdict(&good), "[]");

    let dir = d.home.join("export");
    let (code, text) = export_and_verify(&d, &m, &dir);
    assert_eq!(code, 1, "{text}");
    for bad in [&as_chloe, &wrong_role, &extra_field, &sha256] {
        assert!(
            text.contains(&format!("FAIL {bad}: modelgate found this record invalid")),
            "{bad}: {text}"
        );
        assert!(!text.contains(&format!("ok   {bad}")), "{text}");
    }
    assert!(
        text.contains(&format!(
            "FAIL {as_chloe}: the signature does not verify as its actor's"
        )),
        "{text}"
    );
    assert!(text.contains(&format!("ok   {good}")), "{text}");
    assert_eq!(text.matches("ok   ").count(), 9, "{text}");
    let verdicts = std::fs::read_to_string(dir.join("verdicts")).unwrap();
    assert!(verdicts.contains(&format!("{sha256} invalid")));
    assert!(verdicts.contains(&format!("{good} valid")));
    // Without modelgate's verdicts the script refuses to say anything is fine.
    std::fs::remove_file(dir.join("verdicts")).unwrap();
    let run = std::process::Command::new(dir.join("verify.sh"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
}

fn a_signed_checkpoint_catches_a_deleted_record_without_any_local_state(b: Backend) {
    let (d, m) = approved_demo(b);
    d.stdout(
        Some("eli.compliance"),
        &["audit", "checkpoint", "--model", &m],
    );
    let (key, _) = d.record_with(&m, "7", "\"action\":\"submit\"");
    d.delete_tag(&m, "7", &key);
    // A client that never saw the records: only the signed checkpoint knows.
    let out = d
        .cmd(None)
        .env("XDG_STATE_HOME", d.home.join("fresh"))
        .args(["audit", "verify", "--model", &m, "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let found = signing::findings(&v);
    assert_eq!(out.status.code(), Some(2), "{found}");
    assert!(found.contains("checkpoint covered 2"), "{found}");
}
