//! The demo dataset in a real embedded registry: counts, determinism, the
//! evidence cases the walkthrough relies on, and the roster.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use modelgate::demo::{self, DemoOptions, DemoSummary};
use modelgate::registry::local::LocalRegistry;
use modelgate::registry::{ModelVersion, RegisteredModel, Registry, Run};
use serde_json::Value;

/// 2026-11-18T17:46:40Z, with a sub-second part like a real clock.
const NOW_MS: i64 = 1_795_024_000_123;
const SEED: u64 = 42;
const MAX_BYTES: u64 = 10 << 20;
const HOUR_MS: f64 = 3_600_000.0;

async fn populated(dir: &Path, file: &str, seed: u64) -> (LocalRegistry, DemoSummary) {
    let registry = LocalRegistry::create(&dir.join(file)).unwrap();
    let summary = demo::populate(
        &registry,
        &DemoOptions {
            seed,
            now_ms: NOW_MS,
        },
    )
    .await
    .unwrap();
    (registry, summary)
}

/// One version with its model and run, as a reviewer's tools would load it.
struct Loaded {
    model: RegisteredModel,
    version: ModelVersion,
    run: Run,
}

impl Loaded {
    fn is_pending(&self) -> bool {
        self.version
            .tags
            .get("modelgate.review")
            .map(String::as_str)
            == Some("pending")
    }

    fn champion(&self) -> Option<&str> {
        self.model.aliases.get("champion").map(String::as_str)
    }
}

async fn load(r: &LocalRegistry) -> Vec<Loaded> {
    let mut out = Vec::new();
    for model in r.list_registered_models().await.unwrap() {
        for version in r.list_versions(&model.name).await.unwrap() {
            let run_id = version.run_id.clone().unwrap();
            let run = r.get_runs(&[run_id]).await.unwrap().pop().unwrap();
            out.push(Loaded {
                model: model.clone(),
                version,
                run,
            });
        }
    }
    out
}

fn find<'a>(all: &'a [Loaded], model: &str, version: &str) -> &'a Loaded {
    all.iter()
        .find(|l| l.model.name == model && l.version.version == version)
        .unwrap()
}

async fn report(r: &LocalRegistry, l: &Loaded, name: &str) -> Option<Value> {
    let bytes = r
        .read_run_artifact(&l.run.run_id, &format!("modelgate/{name}"), MAX_BYTES)
        .await
        .ok()?;
    Some(serde_json::from_slice(&bytes).unwrap())
}

async fn mlmodel(r: &LocalRegistry, l: &Loaded) -> serde_json::Value {
    let bytes = r
        .read_model_file(&l.model.name, &l.version.version, "MLmodel", MAX_BYTES)
        .await
        .unwrap();
    serde_norway::from_slice(&bytes).unwrap()
}

/// name -> (type, required) of the version's signature inputs.
async fn inputs(r: &LocalRegistry, l: &Loaded) -> BTreeMap<String, (String, bool)> {
    let doc = mlmodel(r, l).await;
    let cols: Vec<Value> =
        serde_json::from_str(doc["signature"]["inputs"].as_str().unwrap()).unwrap();
    cols.iter()
        .map(|c| {
            let name = c["name"].as_str().unwrap().to_owned();
            (
                name,
                (
                    c["type"].as_str().unwrap().to_owned(),
                    c["required"].as_bool().unwrap(),
                ),
            )
        })
        .collect()
}

/// PROTOCOL 5's default direction rule.
fn lower_is_better(name: &str) -> bool {
    [
        "loss", "error", "latency", "rmse", "mae", "mse", "mape", "fpr", "fnr", "cost",
    ]
    .iter()
    .any(|w| name.contains(w))
        || name.ends_with("_ms")
        || name.ends_with("_seconds")
}

fn tier_sla_hours(risk: &str) -> f64 {
    match risk {
        "critical" => 24.0,
        "high" => 48.0,
        "medium" => 72.0,
        "low" => 120.0,
        other => panic!("unknown risk {other}"),
    }
}

/// Everything observable, with run ids and registry timestamps left out.
async fn snapshot(r: &LocalRegistry) -> Vec<String> {
    let mut lines = Vec::new();
    for l in load(r).await {
        let (m, v, run) = (&l.model, &l.version, &l.run);
        lines.push(format!(
            "model {} {:?} {:?} {:?}",
            m.name, m.description, m.tags, m.aliases
        ));
        let source = v.source.replace(&run.run_id, "<run>");
        lines.push(format!(
            "version {}/{} {source} {:?} {:?}",
            m.name, v.version, v.description, v.tags
        ));
        let metrics: BTreeMap<_, _> = run.metrics.iter().map(|(k, x)| (k, x.to_bits())).collect();
        lines.push(format!("run {:?} {:?} {metrics:?}", run.params, run.tags));
        for key in run.metrics.keys() {
            for p in r.metric_history(&run.run_id, key).await.unwrap() {
                lines.push(format!(
                    "history {key} {} {} {}",
                    p.step,
                    p.timestamp,
                    p.value.to_bits()
                ));
            }
        }
        for f in r.list_run_artifacts(&run.run_id, "").await.unwrap() {
            let bytes = r
                .read_run_artifact(&run.run_id, &f.path, MAX_BYTES)
                .await
                .unwrap();
            lines.push(format!(
                "artifact {} {} {}",
                f.path,
                f.size,
                hex::encode(bytes)
            ));
        }
    }
    lines
}

#[tokio::test]
async fn counts_tiers_and_aliases() {
    let dir = tempfile::tempdir().unwrap();
    let (r, summary) = populated(dir.path(), "demo.db", SEED).await;
    assert!(
        summary.models >= 6 && summary.versions >= 40 && summary.pending >= 10,
        "{summary:?}"
    );

    let models = r.list_registered_models().await.unwrap();
    assert_eq!(models.len(), summary.models);
    let all = load(&r).await;
    assert_eq!(all.len(), summary.versions);
    let pending = r
        .search_versions_by_tag("modelgate.review", "pending")
        .await
        .unwrap();
    assert_eq!(pending.len(), summary.pending);

    let tiers: BTreeSet<&str> = models
        .iter()
        .filter_map(|m| m.tags.get("modelgate.risk"))
        .map(String::as_str)
        .collect();
    assert_eq!(tiers, BTreeSet::from(["critical", "high", "low", "medium"]));
    assert!(models.iter().any(|m| {
        let sla: Option<f64> = m
            .tags
            .get("modelgate.sla_hours")
            .and_then(|h| h.parse().ok());
        sla.is_some_and(|h| h < tier_sla_hours(&m.tags["modelgate.risk"]))
    }));
    assert!(models.iter().any(|m| {
        m.tags
            .get("modelgate.required_roles")
            .is_some_and(|r| r == "domain")
    }));

    let with_champion: Vec<_> = models
        .iter()
        .filter(|m| m.aliases.contains_key("champion"))
        .collect();
    assert!(
        with_champion.len() * 4 >= models.len() * 3,
        "most models have a champion"
    );
    for m in with_champion {
        let champion = find(&all, &m.name, &m.aliases["champion"]);
        assert!(
            !champion.is_pending(),
            "{}: the champion is an earlier, reviewed version",
            m.name
        );
        let newest = all.iter().filter(|l| l.model.name == m.name).count();
        assert!(champion.version.version.parse::<usize>().unwrap() < newest);
    }

    // A second run would append versions: it is refused.
    let again = demo::populate(
        &r,
        &DemoOptions {
            seed: SEED,
            now_ms: NOW_MS,
        },
    )
    .await;
    assert!(again.unwrap_err().to_string().contains("already holds"));
}

#[tokio::test]
async fn every_version_has_a_run_model_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let (r, _) = populated(dir.path(), "demo.db", SEED).await;
    let users: BTreeSet<&str> = demo::IDENTITIES
        .iter()
        .flat_map(|i| i.mlflow_users.iter().copied())
        .collect();
    let mut runs = BTreeSet::new();
    let mut cards = 0;
    let all = load(&r).await;
    for l in &all {
        let what = format!("{}/{}", l.model.name, l.version.version);
        assert!(runs.insert(l.run.run_id.clone()), "{what}: own run");
        assert_eq!(l.version.source, format!("runs:/{}/model", l.run.run_id));
        assert!(
            users.contains(l.run.user().unwrap()),
            "{what}: run author is on the roster"
        );
        assert!(
            !l.run.params.is_empty() && l.run.metrics.len() >= 4,
            "{what}"
        );
        for key in l.run.metrics.keys() {
            let history = r.metric_history(&l.run.run_id, key).await.unwrap();
            assert!(history.len() >= 5, "{what} {key}");
        }

        let files: BTreeMap<String, u64> = r
            .list_model_files(&l.model.name, &l.version.version)
            .await
            .unwrap()
            .into_iter()
            .map(|f| (f.path, f.size))
            .collect();
        let model_file = mlmodel(&r, l).await["flavors"]["python_function"]["model_path"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(files.contains_key("MLmodel"), "{what}");
        assert!(
            (2048..16_384).contains(&files[&model_file]),
            "{what}: a few KB of model"
        );

        if let Ok(card) = r
            .read_run_artifact(&l.run.run_id, "modelgate/model_card.md", MAX_BYTES)
            .await
        {
            let card = String::from_utf8(card).unwrap();
            assert!(
                card.starts_with("# ") && card.contains("|---") && card.contains("```python"),
                "{what}"
            );
            cards += 1;
        }
    }
    assert!(cards * 2 > all.len(), "most versions have a model card");
    assert!(cards < all.len(), "some lack one");
}

#[tokio::test]
async fn pending_reviews_cover_every_sla_state() {
    let dir = tempfile::tempdir().unwrap();
    let (r, _) = populated(dir.path(), "demo.db", SEED).await;
    let owners: BTreeSet<&str> = demo::IDENTITIES
        .iter()
        .filter(|i| i.roles.contains(&"owner"))
        .map(|i| i.id)
        .collect();
    let mut states: BTreeMap<&str, usize> = BTreeMap::new();
    for l in load(&r).await.iter().filter(|l| l.is_pending()) {
        let at = &l.version.tags["modelgate.submitted_at"];
        assert!(
            at.len() == 20 && at.ends_with('Z'),
            "RFC 3339 UTC seconds: {at}"
        );
        let at_ms = chrono::DateTime::parse_from_rfc3339(at)
            .unwrap()
            .timestamp_millis();
        assert!(owners.contains(l.version.tags["modelgate.submitted_by"].as_str()));

        let tier = tier_sla_hours(&l.model.tags["modelgate.risk"]);
        let tagged: Option<f64> = l
            .model
            .tags
            .get("modelgate.sla_hours")
            .and_then(|h| h.parse().ok());
        let sla = tagged.map_or(tier, |h| h.min(tier));
        let left = sla - (NOW_MS - at_ms) as f64 / HOUR_MS;
        let margin = (left - 0.25 * sla).abs().min(left.abs());
        assert!(
            margin >= 1.0,
            "{} {}: {left:.2}h left of {sla}h",
            l.model.name,
            l.version.version
        );
        let state = if left > 0.25 * sla {
            "on_track"
        } else if left >= 0.0 {
            "at_risk"
        } else {
            "breached"
        };
        *states.entry(state).or_default() += 1;
    }
    assert_eq!(states.len(), 3, "{states:?}");
    assert!(states.values().all(|n| *n >= 2), "{states:?}");
}

#[tokio::test]
async fn same_seed_same_content() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = populated(dir.path(), "a.db", SEED).await;
    let (b, _) = populated(dir.path(), "b.db", SEED).await;
    let (c, _) = populated(dir.path(), "c.db", SEED + 1).await;
    let (sa, sb, sc) = (snapshot(&a).await, snapshot(&b).await, snapshot(&c).await);
    assert!(sa.len() > 500);
    for (x, y) in sa.iter().zip(&sb) {
        assert_eq!(x, y);
    }
    assert_eq!(sa.len(), sb.len());
    assert_ne!(sa, sc, "the seed changes the content");
}

#[tokio::test]
async fn evidence_cases_exist() {
    let dir = tempfile::tempdir().unwrap();
    let (r, _) = populated(dir.path(), "demo.db", SEED).await;
    let all = load(&r).await;

    // Hostile text to sanitise.
    let texts = all
        .iter()
        .flat_map(|l| {
            [
                l.model.description.as_deref(),
                l.version.description.as_deref(),
            ]
        })
        .flatten();
    assert!(
        texts
            .clone()
            .any(|d| d.contains("\x1b]0;") && d.contains("\x1b[2J") && d.contains('\u{202E}'))
    );
    assert_eq!(
        texts.filter(|d| d.contains('\x1b')).count(),
        1,
        "the other descriptions are friendly"
    );

    // A NaN latest metric.
    assert!(
        all.iter()
            .any(|l| l.run.metrics.values().any(|v| v.is_nan()))
    );

    let mut fairness = Vec::new();
    let (mut high, mut not_scanned, mut clean) = (0, 0, 0);
    for l in &all {
        if let Some(f) = report(&r, l, "fairness.json").await {
            for a in f["assessments"].as_array().unwrap() {
                assert!(a["by_group"]["selection_rate"].as_object().unwrap().len() >= 2);
                fairness.push((
                    l.is_pending(),
                    a["summary"]["disparate_impact_ratio"].as_f64().unwrap(),
                ));
            }
        }
        if let Some(scan) = report(&r, l, "security_scan.json").await {
            assert_eq!(scan["summary"]["modelscan_version"], "0.8.8");
            let issues = scan["issues"].as_array().unwrap();
            let scanned = &scan["summary"]["scanned"];
            if issues.iter().any(|i| i["severity"] == "HIGH") {
                high += 1;
            } else if scanned["total_scanned"] == 0 {
                not_scanned += 1;
            } else {
                let model_file =
                    mlmodel(&r, l).await["flavors"]["python_function"]["model_path"].clone();
                assert!(
                    scanned["scanned_files"]
                        .as_array()
                        .unwrap()
                        .contains(&model_file),
                    "clean scans cover the model"
                );
                clean += 1;
            }
        }
    }
    assert_eq!(
        fairness.iter().filter(|(_, di)| *di < 0.8).count(),
        1,
        "{fairness:?}"
    );
    assert!(fairness.iter().any(|(pending, di)| *pending && *di < 0.8));
    assert!(
        high >= 1 && not_scanned >= 1 && clean >= 10,
        "{high} {not_scanned} {clean}"
    );

    // Pending reviews against their champion.
    let (mut removed, mut retyped, mut added, mut top_changed) = (false, false, false, false);
    let mut moves = BTreeSet::new();
    for l in all.iter().filter(|l| l.is_pending()) {
        let Some(champion) = l.champion().map(|v| find(&all, &l.model.name, v)) else {
            continue;
        };
        let (new, old) = (inputs(&r, l).await, inputs(&r, champion).await);
        removed |= old.iter().any(|(k, (_, req))| *req && !new.contains_key(k));
        retyped |= old.iter().any(|(k, (t, _))| {
            new.get(k)
                .is_some_and(|(n, _)| n != t && t == "long" && n == "double")
        });
        added |= new.iter().any(|(k, (_, req))| !req && !old.contains_key(k));

        for (key, value) in &l.run.metrics {
            let Some(base) = champion.run.metrics.get(key) else {
                continue;
            };
            if value.is_nan() || value == base {
                continue;
            }
            let better = (value < base) == lower_is_better(key);
            moves.insert((lower_is_better(key), better));
        }

        let top = |e: &Value| {
            let m = e["global_importance"].as_object().unwrap();
            m.iter()
                .max_by(|a, b| a.1.as_f64().unwrap().total_cmp(&b.1.as_f64().unwrap()))
                .unwrap()
                .0
                .clone()
        };
        if let (Some(a), Some(b)) = (
            report(&r, l, "explainability.json").await,
            report(&r, champion, "explainability.json").await,
        ) {
            top_changed |= top(&a) != top(&b);
        }
    }
    assert!(
        removed && retyped && added && top_changed,
        "{removed} {retyped} {added} {top_changed}"
    );
    assert_eq!(
        moves.len(),
        4,
        "improvements and regressions in both directions: {moves:?}"
    );
    assert!(
        all.iter().any(|l| l.is_pending() && l.champion().is_none()),
        "a first release without a baseline"
    );
}

#[test]
fn roster_is_valid_and_matches_its_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = demo::write_roster(&dir.path().join("demo"), SEED).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.lines().next().unwrap().starts_with('#') && text.contains("DEMO ONLY"));
    let roster: toml::Table = toml::from_str(&text).unwrap();
    let reviewers = roster["reviewer"].as_array().unwrap();

    let mut roles = BTreeMap::<String, usize>::new();
    let mut ids = BTreeSet::new();
    for r in reviewers {
        let id = r["id"].as_str().unwrap();
        assert!(ids.insert(id.to_owned()));
        assert!(
            id.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._+-@".contains(c)),
            "plain id {id}"
        );
        assert!(
            !r["name"].as_str().unwrap().is_empty()
                && !r["mlflow_users"].as_array().unwrap().is_empty()
        );
        for role in r["roles"].as_array().unwrap() {
            *roles.entry(role.as_str().unwrap().to_owned()).or_default() += 1;
        }
        let keys = r["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 1);
        let public = keys[0]["key"].as_str().unwrap();
        assert!(public.starts_with("ssh-ed25519 ") && !public.contains('\n'));
        assert!(keys[0]["valid_after"].as_str().unwrap() < "2026-01-01");

        let key_file = demo::key_path(path.parent().unwrap(), id);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let private = ssh_key::PrivateKey::from_openssh(std::fs::read(&key_file).unwrap()).unwrap();
        assert_eq!(private.public_key().to_openssh().unwrap(), public);
    }
    // Every human role, two of those a second person must check, the CI
    // pipeline (PROTOCOL 14) and the drift monitor (PROTOCOL 15).
    let expected: BTreeMap<String, usize> = [
        ("automation", 1),
        ("compliance", 1),
        ("domain", 1),
        ("monitor", 1),
        ("owner", 2),
        ("sre", 2),
        ("validator", 2),
    ]
    .map(|(k, n)| (k.to_owned(), n))
    .into();
    assert_eq!(roles, expected);

    // Same seed, same roster; another seed, other keys.
    let again = demo::write_roster(&dir.path().join("demo"), SEED).unwrap();
    assert_eq!(std::fs::read_to_string(again).unwrap(), text);
    let other = demo::write_roster(&dir.path().join("other"), SEED + 1).unwrap();
    assert_ne!(std::fs::read_to_string(other).unwrap(), text);
}

/// The demo roster passes the same load-time checks as any roster (PROTOCOL 8).
#[test]
fn demo_roster_passes_the_roster_checks() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = demo::write_roster(dir.path(), 7).unwrap();
    let roster = modelgate::trust::roster::Roster::load(&path).unwrap();
    for role in modelgate::review::risk::ROLES {
        assert!(
            roster.reviewers.values().any(|r| r.has_role(role)),
            "no {role}"
        );
    }
    assert!(
        roster
            .reviewers
            .values()
            .filter(|r| r.has_role("sre"))
            .count()
            >= 2,
        "ratification needs two sre"
    );
    assert!(roster.allowed_signers().unwrap().lines().count() >= roster.reviewers.len());
}
