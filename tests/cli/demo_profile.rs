//! The built-in demo profile and its personas through the real binary:
//! `--profile demo` on the demo registry without other flags, `--as NAME`
//! signing with a persona's key, and both refused anywhere else, writing
//! nothing.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

use crate::hermetic;

fn mg(dir: &Path) -> Command {
    hermetic::assert_modelgate(dir)
}

/// Where the demo lands under the test's XDG data directory.
fn demo_db(dir: &Path) -> PathBuf {
    dir.join("data/modelgate/demo.db")
}

fn make_demo(dir: &Path) {
    mg(dir).args(["demo", "--no-open"]).assert().success();
}

fn run(c: &mut Command) -> (bool, String, String) {
    let out = c.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn queue(dir: &Path) -> Vec<Value> {
    let (ok, out, err) = run(mg(dir).args(["--profile", "demo", "queue", "--json"]));
    assert!(ok, "{err}");
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

/// `audit verify` on the demo: exit 1 at most (the demo's pending versions
/// carry unsigned submissions, a policy finding), every record valid.
fn verify_has_no_integrity_finding(dir: &Path) {
    let out = mg(dir)
        .args(["--profile", "demo", "audit", "verify"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{text}");
    assert!(text.contains(" 0 invalid"), "{text}");
}

#[test]
fn the_demo_profile_opens_the_demo_registry_without_other_flags() {
    let dir = TempDir::new().unwrap();
    let (ok, _, err) = run(mg(dir.path()).args(["--profile", "demo", "queue"]));
    assert!(!ok);
    assert!(err.contains("run `modelgate demo` first"), "{err}");
    make_demo(dir.path());
    let items = queue(dir.path());
    assert!(items.len() >= 10, "{}", items.len());
    assert!(items.iter().any(|i| i["risk"] == "low"));
    verify_has_no_integrity_finding(dir.path());
    // The demo's own settings: a checklist per reviewing role from medium risk.
    let (ok, out, err) = run(mg(dir.path()).args(["--profile", "demo", "checklist", "show"]));
    assert!(ok, "{err}");
    for id in ["validation-v1", "domain-v1", "compliance-v1"] {
        assert!(out.contains(id), "{out}");
    }
    // The profile is built in: nothing was written into the config directory.
    assert!(!dir.path().join("config/modelgate/config.toml").exists());
}

#[test]
fn a_profile_named_demo_in_config_toml_is_refused() {
    let dir = TempDir::new().unwrap();
    make_demo(dir.path());
    let conf = dir.path().join("config/modelgate");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::write(
        conf.join("config.toml"),
        "[profiles.demo]\ndb = \"/x.db\"\n",
    )
    .unwrap();
    let (ok, _, err) = run(mg(dir.path()).args(["--profile", "demo", "queue"]));
    assert!(!ok);
    assert!(err.contains("rename that profile"), "{err}");
}

#[test]
fn as_is_refused_outside_the_demo_and_writes_nothing() {
    let dir = TempDir::new().unwrap();
    make_demo(dir.path());
    let db = demo_db(dir.path());
    let item = &queue(dir.path())[0];
    let (model, version) = (
        item["model"].as_str().unwrap(),
        item["version"].as_str().unwrap(),
    );
    let before = std::fs::read(&db).unwrap();
    // The demo's own file, but opened as any registry: not the demo profile.
    let (ok, _, err) = run(mg(dir.path())
        .args(["--as", "ben", "--db"])
        .arg(&db)
        .args(["approve", model, version]));
    assert!(!ok);
    assert!(
        err.contains("--as picks a demo persona; it works only on the demo registry"),
        "{err}"
    );
    assert!(
        err.contains("set identity and key_file in config.toml"),
        "{err}"
    );
    // A registry the demo did not create is never taken for the demo.
    let plain = dir.path().join("team.db");
    modelgate::registry::local::LocalRegistry::create(&plain).unwrap();
    let plain_before = std::fs::read(&plain).unwrap();
    let (ok, _, err) = run(mg(dir.path())
        .args(["--profile", "demo", "--as", "ben", "--db"])
        .arg(&plain)
        .args(["approve", model, version]));
    assert!(!ok);
    assert!(err.contains("carries no demo marker"), "{err}");
    assert_eq!(std::fs::read(&plain).unwrap(), plain_before);
    assert_eq!(std::fs::read(&db).unwrap(), before, "nothing written");
}

#[test]
fn an_unknown_persona_is_refused_with_the_list() {
    let dir = TempDir::new().unwrap();
    make_demo(dir.path());
    let (ok, _, err) = run(mg(dir.path()).args(["--profile", "demo", "--as", "nobody", "queue"]));
    assert!(!ok);
    assert!(err.contains("\"nobody\" is not a demo persona"), "{err}");
    for who in [
        "ana (owner)",
        "ben (validator)",
        "eli (compliance)",
        "fay (sre)",
    ] {
        assert!(err.contains(who), "{who}: {err}");
    }
}

#[test]
fn a_persona_approves_with_its_demo_key() {
    let dir = TempDir::new().unwrap();
    make_demo(dir.path());
    let item = queue(dir.path())
        .into_iter()
        .find(|i| {
            // Low risk: no checklist applies (the demo's start at medium).
            i["risk"] == "low"
                && i["required_roles"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|r| r == "validator")
                && i["run_user"] != "ben.okafor"
                && i["submitted_by"] != "ben.validator@demo.modelgate"
        })
        .unwrap();
    let (model, version) = (
        item["model"].as_str().unwrap(),
        item["version"].as_str().unwrap(),
    );
    let (ok, out, err) = run(mg(dir.path()).args([
        "--profile",
        "demo",
        "--as",
        "ben",
        "approve",
        model,
        version,
        "--json",
    ]));
    assert!(ok, "{err}");
    let o: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(o["written"], true, "{o}");
    assert_eq!(o["record"]["actor"], "ben.validator@demo.modelgate", "{o}");
    // `demo --as` takes the persona too; `--identity` with `--as` is refused.
    let (ok, _, err) = run(mg(dir.path()).args([
        "--profile",
        "demo",
        "--as",
        "ben",
        "--identity",
        "x@y",
        "queue",
    ]));
    assert!(!ok && err.contains("give one of them"), "{err}");
    verify_has_no_integrity_finding(dir.path());
}
