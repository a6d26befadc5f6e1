//! A demo registry with its roster and keys, driven through the real binary,
//! on either registry: the embedded one (made by `modelgate demo`) or the real
//! MLflow server (the demo written under a name prefix of its own, so tests
//! share the server without seeing each other). Shared by the decision, audit,
//! deployment and tamper tests; `on_both!` runs a test body on each registry.
//!
//! What a test does behind modelgate's back (editing a record, moving an alias,
//! logging a metric) goes through the registry's own API, never the CLI.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use assert_cmd::Command;
use modelgate::demo::{DemoOptions, populate, write_roster};
use modelgate::registry::local::LocalRegistry;
use modelgate::registry::mlflow::MlflowRegistry;
use modelgate::registry::{Metric, RegistryWriter};
use tempfile::TempDir;
use tokio::runtime::Runtime;

use crate::support::{Prefixed, mlflow_uri, test_options, unique_prefix};

/// The registry id every MLflow test client is configured with.
pub const MLFLOW_REGISTRY_ID: &str = "mlflow-test";
const SEED: u64 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Local,
    Mlflow,
}

/// Runs each named `fn(Backend)` as two tests, `<name>::local` and
/// `<name>::mlflow`.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn local() {
                super::$name($crate::signing::Backend::Local)
            }
            #[test]
            fn mlflow() {
                super::$name($crate::signing::Backend::Mlflow)
            }
        }
    )*};
}

pub struct Demo {
    _dir: TempDir,
    pub backend: Backend,
    pub home: PathBuf,
    pub roster: PathBuf,
    /// The embedded registry file (Local only).
    pub db: PathBuf,
    /// What the CLI sees of this demo's model names: `<prefix><name>`.
    prefix: String,
    rt: Runtime,
    reg: Box<dyn RegistryWriter>,
}

/// A fresh demo on `backend`, with its own config, data and state directories.
pub fn demo(backend: Backend) -> Demo {
    let dir = TempDir::new().unwrap();
    let home = dir.path().to_path_buf();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = home.join("demo.db");
    let (roster, prefix, reg): (PathBuf, String, Box<dyn RegistryWriter>) = match backend {
        Backend::Local => {
            let out = base_cmd(&home)
                .arg("--db")
                .arg(&db)
                .args(["demo", "--no-open", "--seed", &SEED.to_string()])
                .output()
                .unwrap();
            succeeded(&out, "modelgate demo");
            let reg = LocalRegistry::open(&db).unwrap();
            (
                home.join("demo-roster/roster.toml"),
                String::new(),
                Box::new(reg),
            )
        }
        Backend::Mlflow => {
            let uri = mlflow_uri();
            let prefix = unique_prefix("sig");
            let mut opts = test_options(&uri);
            opts.registry_id = Some(MLFLOW_REGISTRY_ID.into());
            opts.page_size = 1000;
            rt.block_on(async {
                let writer = Prefixed::new(MlflowRegistry::new(opts.clone()).unwrap(), &prefix);
                let now_ms = chrono::Utc::now().timestamp_millis();
                populate(&writer, &DemoOptions { seed: SEED, now_ms })
                    .await
                    .unwrap_or_else(|e| panic!("writing the demo into MLflow: {e:#}"));
            });
            let roster = write_roster(&home.join("demo-roster"), SEED).unwrap();
            // The production version's signed history, as `modelgate demo`
            // signs it; only for the model these tests deploy, since signing
            // all seven over HTTP costs ten seconds a test.
            rt.block_on(async {
                let mut config = modelgate::config::Config::resolve(
                    None,
                    &modelgate::config::Overrides::default(),
                )
                .unwrap();
                config.registry_id = Some(MLFLOW_REGISTRY_ID.into());
                config.state_dir = Some(home.join("state"));
                config.roster = Some(roster.clone());
                let registry = std::sync::Arc::new(MlflowRegistry::new(opts.clone()).unwrap());
                let service = modelgate::service::ReviewService::new(registry.clone(), config);
                let names = [format!("{prefix}product-recommender")];
                let now_ms = chrono::Utc::now().timestamp_millis();
                let h = modelgate::demo::sign_history(
                    &service,
                    registry.as_ref(),
                    &names,
                    SEED,
                    now_ms,
                )
                .await
                .unwrap();
                assert!(h.skipped.is_empty(), "{:?}", h.skipped);
            });
            let config = home.join("config/modelgate/config.toml");
            std::fs::create_dir_all(config.parent().unwrap()).unwrap();
            std::fs::write(
                &config,
                format!(
                    "registry = \"mlflow\"\nuri = \"{uri}\"\nregistry_id = \"{MLFLOW_REGISTRY_ID}\"\n"
                ),
            )
            .unwrap();
            (roster, prefix, Box::new(MlflowRegistry::new(opts).unwrap()))
        }
    };
    Demo {
        _dir: dir,
        backend,
        home,
        roster,
        db,
        prefix,
        rt,
        reg,
    }
}

/// The binary with this test's directories and nothing from the caller's
/// environment that would change what it reads or signs with.
pub fn base_cmd(home: &std::path::Path) -> std::process::Command {
    crate::hermetic::modelgate(home)
}

impl Demo {
    /// A demo model's name as the CLI and the registry see it.
    pub fn m(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    /// The key file of a demo identity (without its `@demo.modelgate`).
    pub fn key(&self, who: &str) -> PathBuf {
        modelgate::demo::key_path(
            self.roster.parent().unwrap(),
            &format!("{who}@demo.modelgate"),
        )
    }

    /// The binary on this registry and roster, signing as `who` (a demo
    /// identity without its `@demo.modelgate`) when given.
    pub fn std_cmd(&self, who: Option<&str>) -> std::process::Command {
        self.std_cmd_with(who, &self.roster)
    }

    /// `std_cmd` reading another roster file.
    pub fn std_cmd_with(
        &self,
        who: Option<&str>,
        roster: &std::path::Path,
    ) -> std::process::Command {
        let mut c = base_cmd(&self.home);
        if self.backend == Backend::Local {
            c.arg("--db").arg(&self.db);
        }
        c.arg("--roster").arg(roster);
        if let Some(who) = who {
            c.arg("--identity")
                .arg(format!("{who}@demo.modelgate"))
                .arg("--key-file")
                .arg(self.key(who));
        }
        c
    }

    pub fn cmd(&self, who: Option<&str>) -> Command {
        Command::from_std(self.std_cmd(who))
    }

    /// `cmd` reading another roster file.
    pub fn cmd_with(&self, who: Option<&str>, roster: &std::path::Path) -> Command {
        Command::from_std(self.std_cmd_with(who, roster))
    }

    /// Runs a command that must succeed; its stdout.
    pub fn stdout(&self, who: Option<&str>, args: &[&str]) -> String {
        let out = self.cmd(who).args(args).output().unwrap();
        succeeded(&out, &format!("{args:?}"));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs a command with `--json` that must succeed; its output.
    pub fn json(&self, who: Option<&str>, args: &[&str]) -> serde_json::Value {
        let mut with_json = args.to_vec();
        with_json.push("--json");
        let out = self.stdout(who, &with_json);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
    }

    /// Runs a command that must be refused (exit 1); its stderr.
    pub fn refusal(&self, who: &str, args: &[&str]) -> String {
        let out = self.cmd(Some(who)).args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{args:?} should be refused: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// The exit code of a command and its stdout parsed as JSON.
    pub fn code_json(&self, who: Option<&str>, args: &[&str]) -> (i32, serde_json::Value) {
        let out = self.cmd(who).args(args).output().unwrap();
        let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "{args:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap_or(-1), v)
    }

    /// `show MODEL VERSION --json`.
    pub fn show(&self, model: &str, version: &str) -> serde_json::Value {
        self.json(None, &["show", model, version])
    }

    /// `check MODEL VERSION`'s exit code.
    pub fn check(&self, model: &str, version: &str) -> i32 {
        let out = self
            .cmd(None)
            .args(["check", model, version])
            .output()
            .unwrap();
        out.status.code().unwrap_or(-1)
    }

    /// `audit verify --model MODEL --json`: exit code and findings as
    /// `version severity message` lines. Scoped to one model: other tests
    /// share the MLflow server.
    pub fn verify(&self, model: &str) -> (i32, String) {
        let (code, v) = self.code_json(None, &["audit", "verify", "--model", model, "--json"]);
        (code, findings(&v))
    }

    fn block<T>(&self, f: impl std::future::Future<Output = T>) -> T {
        self.rt.block_on(f)
    }

    /// Every tag on every version of this demo's models, and every alias, to
    /// prove that nothing was written.
    pub fn everything(&self) -> Vec<String> {
        let mut all = Vec::new();
        for model in self.models() {
            let m = self.block(self.reg.get_registered_model(&model)).unwrap();
            for (a, v) in &m.aliases {
                all.push(format!("{model} @{a} {v}"));
            }
            for v in self.block(self.reg.list_versions(&model)).unwrap() {
                for (k, val) in &v.tags {
                    all.push(format!("{model} {} {k}={val}", v.version));
                }
            }
        }
        all.sort();
        all
    }

    fn models(&self) -> Vec<String> {
        self.block(self.reg.list_registered_models())
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .filter(|n| n.starts_with(&self.prefix))
            .collect()
    }

    /// `(tag key, value)` of each record on a version.
    pub fn records(&self, model: &str, version: &str) -> Vec<(String, String)> {
        let v = self.block(self.reg.get_version(model, version)).unwrap();
        v.tags
            .into_iter()
            .filter(|(k, _)| k.starts_with("modelgate.record."))
            .collect()
    }

    /// The record tag on a version whose value contains `needle`.
    pub fn record_with(&self, model: &str, version: &str, needle: &str) -> (String, String) {
        let found: Vec<_> = self
            .records(model, version)
            .into_iter()
            .filter(|(_, v)| v.contains(needle))
            .collect();
        assert_eq!(found.len(), 1, "one record with {needle}: {found:?}");
        found.into_iter().next().unwrap()
    }

    pub fn set_tag(&self, model: &str, version: &str, key: &str, value: &str) {
        self.block(self.reg.set_version_tag(model, version, key, value))
            .unwrap();
    }

    pub fn delete_tag(&self, model: &str, version: &str, key: &str) {
        self.block(self.reg.delete_version_tag(model, version, key))
            .unwrap();
    }

    pub fn set_alias(&self, model: &str, alias: &str, version: &str) {
        self.block(self.reg.set_alias(model, alias, version))
            .unwrap();
    }

    pub fn aliases(&self, model: &str) -> BTreeMap<String, String> {
        self.block(self.reg.get_registered_model(model))
            .unwrap()
            .aliases
    }

    /// Logs a new value of a metric to the version's run: its evidence changes.
    pub fn log_metric(&self, model: &str, version: &str, key: &str, value: f64) {
        let v = self.block(self.reg.get_version(model, version)).unwrap();
        let run = v.run_id.expect("a demo version has a run");
        let metric = Metric {
            key: key.into(),
            value,
            timestamp: chrono::Utc::now().timestamp_millis(),
            step: 1_000_000,
        };
        self.block(self.reg.log_metrics(&run, &[metric])).unwrap();
    }

    /// One SQL statement on the registry file (Local only): for what the
    /// registry API refuses to write, such as a hostile tag key.
    pub fn sql(&self, q: &str) -> usize {
        assert_eq!(self.backend, Backend::Local);
        rusqlite::Connection::open(&self.db)
            .unwrap()
            .execute(q, [])
            .unwrap()
    }
}

/// Asserts that a command succeeded, showing its stderr when it did not.
pub fn succeeded(out: &std::process::Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A demo whose product-recommender 7 is submitted and approved (low risk:
/// one validator); the model's name as the CLI sees it.
pub fn approved_demo(b: Backend) -> (Demo, String) {
    let d = demo(b);
    let m = d.m("product-recommender");
    d.stdout(Some("ana.owner"), &["submit", &m, "7"]);
    d.stdout(Some("ben.validator"), &["approve", &m, "7"]);
    assert_eq!(d.check(&m, "7"), 0);
    (d, m)
}

/// Findings of an `audit verify --json` as `version severity message` lines.
pub fn findings(v: &serde_json::Value) -> String {
    v["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in {v}"))
        .iter()
        .map(|f| format!("{} {} {}", f["version"], f["severity"], f["message"]))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Demo {
    /// Adds a version to `model` behind modelgate's back (a run with these
    /// metrics, tagged `modelgate.review=pending`); its version number.
    pub fn new_version(&self, model: &str, metrics: &[(&str, f64)]) -> String {
        self.new_version_with(model, metrics, &[])
    }

    /// `new_version` with run artifacts (`modelgate/security_scan.json`, say).
    pub fn new_version_with(
        &self,
        model: &str,
        metrics: &[(&str, f64)],
        artifacts: &[(&str, &[u8])],
    ) -> String {
        let now = chrono::Utc::now().timestamp_millis();
        let run = self
            .block(self.reg.create_run(model, now, &Default::default()))
            .unwrap();
        for (path, bytes) in artifacts {
            self.block(self.reg.upload_artifact(&run, path, bytes))
                .unwrap();
        }
        let metrics: Vec<Metric> = metrics
            .iter()
            .map(|(k, v)| Metric {
                key: (*k).into(),
                value: *v,
                timestamp: now,
                step: 0,
            })
            .collect();
        self.block(self.reg.log_metrics(&run, &metrics)).unwrap();
        let tags = [("modelgate.review".to_owned(), "pending".to_owned())]
            .into_iter()
            .collect();
        self.block(self.reg.create_model_version(
            model,
            &format!("runs:/{run}/model"),
            &run,
            None,
            &tags,
        ))
        .unwrap()
    }
}

impl Demo {
    /// Another registry, embedded, with the same demo under the same model
    /// names and this demo's roster: where a copied record does not belong.
    pub fn twin(&self) -> Demo {
        let dir = TempDir::new().unwrap();
        let home = dir.path().to_path_buf();
        let db = home.join("twin.db");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let reg = Prefixed::new(LocalRegistry::create(&db).unwrap(), &self.prefix);
            let now_ms = chrono::Utc::now().timestamp_millis();
            populate(&reg, &DemoOptions { seed: SEED, now_ms })
                .await
                .unwrap();
        });
        let reg = LocalRegistry::open(&db).unwrap();
        Demo {
            _dir: dir,
            backend: Backend::Local,
            home,
            roster: self.roster.clone(),
            db,
            prefix: self.prefix.clone(),
            rt,
            reg: Box::new(reg),
        }
    }
}

impl Demo {
    /// Sets a registered-model tag (`modelgate.risk`, say) through the registry API.
    pub fn set_model_tag(&self, model: &str, key: &str, value: &str) {
        self.block(self.reg.set_model_tag(model, key, value))
            .unwrap();
    }

    /// Rewrites the `mlflow.user` tag of a version's run, as anyone who can
    /// write run tags can: `runs/set-tag` on MLflow, the run's tag row in the
    /// embedded registry (whose API writes no run tags after creation).
    pub fn set_run_user(&self, model: &str, version: &str, user: &str) {
        let v = self.block(self.reg.get_version(model, version)).unwrap();
        let run = v.run_id.expect("a demo version has a run");
        match self.backend {
            Backend::Local => {
                let n = rusqlite::Connection::open(&self.db)
                    .unwrap()
                    .execute(
                        "INSERT INTO run_tags (run_pk, key, value) SELECT run_pk, 'mlflow.user', ?2 \
                         FROM runs WHERE run_id = ?1 \
                         ON CONFLICT (run_pk, key) DO UPDATE SET value = excluded.value",
                        rusqlite::params![run, user],
                    )
                    .unwrap();
                assert_eq!(n, 1, "run {run} not found");
            }
            Backend::Mlflow => {
                let url = format!("{}/api/2.0/mlflow/runs/set-tag", mlflow_uri());
                let body = serde_json::json!({"run_id": run, "key": "mlflow.user", "value": user});
                let status = self.block(async {
                    crate::support::http()
                        .post(url)
                        .header("content-type", "application/json")
                        .body(body.to_string())
                        .send()
                        .await
                        .unwrap()
                        .status()
                });
                assert!(status.is_success(), "runs/set-tag: {status}");
            }
        }
    }

    /// The registry id records on this demo are bound to.
    pub fn registry_id(&self) -> String {
        match self.backend {
            Backend::Mlflow => MLFLOW_REGISTRY_ID.into(),
            Backend::Local => {
                let all = self.json(None, &["audit"]);
                all.as_array()
                    .and_then(|a| a.iter().find_map(|r| r["record"]["registry"].as_str()))
                    .expect("the demo's signed history names its registry")
                    .to_owned()
            }
        }
    }

    /// Signs a record behind modelgate's back with `signer`'s key (a demo
    /// identity without its `@demo.modelgate`) and writes it to the version
    /// through the registry API: the fields a decision on the current
    /// evidence would carry, with `over` replacing or adding fields (`actor`
    /// defaults to the signer). Its tag key.
    pub fn forge(
        &self,
        model: &str,
        version: &str,
        signer: &str,
        over: serde_json::Value,
    ) -> String {
        let f = self.forged_fields(model, version, signer, over);
        let key = modelgate::trust::keys::load_key_file(&self.key(signer)).unwrap();
        let signed = modelgate::trust::record::sign(f, &key).unwrap();
        self.set_tag(model, version, &signed.tag_key, &signed.tag_value);
        signed.tag_key
    }

    /// `forge`, signed by the real `ssh-keygen -Y sign` with `signer`'s key
    /// file and hash `hashalg` (`sha512` or `sha256`).
    pub fn forge_with_ssh_keygen(
        &self,
        model: &str,
        version: &str,
        signer: &str,
        hashalg: &str,
        over: serde_json::Value,
    ) -> String {
        let mut f = self.forged_fields(model, version, signer, over);
        let bytes = modelgate::trust::record::signed_bytes(&f).unwrap();
        let id = modelgate::trust::record::hex_sha256(&bytes);
        let dir = TempDir::new().unwrap();
        let data = dir.path().join("record.json");
        std::fs::write(&data, &bytes).unwrap();
        let out = std::process::Command::new("ssh-keygen")
            .args(["-Y", "sign", "-n", "modelgate", "-O"])
            .arg(format!("hashalg={hashalg}"))
            .arg("-f")
            .arg(self.key(signer))
            .arg(&data)
            .output()
            .expect("ssh-keygen must be installed (openssh-client)");
        succeeded(&out, "ssh-keygen -Y sign");
        let sig = std::fs::read_to_string(dir.path().join("record.json.sig")).unwrap();
        f.insert("sig".into(), serde_json::Value::String(sig));
        let value = modelgate::trust::jcs::object_without(&f, None).unwrap();
        let key = format!("modelgate.record.{id}");
        self.set_tag(model, version, &key, &value);
        key
    }

    /// The fields `forge` signs.
    fn forged_fields(
        &self,
        model: &str,
        version: &str,
        signer: &str,
        over: serde_json::Value,
    ) -> serde_json::Map<String, serde_json::Value> {
        use modelgate::trust::keys::{fingerprint, load_key_file};
        let show = self.show(model, version);
        let key = load_key_file(&self.key(signer)).unwrap();
        let roster = std::fs::read(&self.roster).unwrap();
        let gates = &show["gates"];
        let recs: Vec<serde_json::Value> = show["records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["valid"] == true)
            .cloned()
            .collect();
        let named: Vec<&str> = recs
            .iter()
            .flat_map(|r| r["record"]["parents"].as_array().unwrap().iter())
            .filter_map(|p| p.as_str())
            .collect();
        let mut parents: Vec<&str> = recs
            .iter()
            .filter_map(|r| r["id"].as_str())
            .filter(|id| !named.contains(id))
            .collect();
        parents.sort();
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).unwrap();
        let mut f = serde_json::json!({
            "v": 1, "action": "approve", "registry": self.registry_id(), "model": model,
            "version": version, "actor": format!("{signer}@demo.modelgate"), "role": "validator",
            "at": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            "nonce": hex::encode(nonce), "parents": parents,
            "roster": modelgate::review::evidence::sha256_tagged(&roster),
            "key": fingerprint(&key), "evidence": show["evidence"],
            "gates": {"policy": gates["policy"], "deny": gates["deny"], "warn": gates["warn"], "error": gates["error"]},
            "risk": show["risk"], "required_roles": show["required_roles"],
        });
        for (k, v) in over.as_object().unwrap() {
            if v.is_null() && k != "baseline" && k != "run_user" {
                f.as_object_mut().unwrap().remove(k);
            } else {
                f[k] = v.clone();
            }
        }
        f.as_object().unwrap().clone()
    }
}
