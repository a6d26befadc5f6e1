//! The built-in `demo` profile (`modelgate --profile demo ...`, and what
//! `modelgate demo` opens): the demo registry in the data directory, the demo
//! roster beside it, and the demo's own settings below, parsed by the same
//! `FileSettings` deserializer as `config.toml`. It is never written into the
//! user's config file.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};

use super::ROSTER_FILE;
use crate::config::{self, Config, ConfigFile, FileSettings, Overrides};

/// What the demo writes into its registry's meta table at creation
/// (`LocalRegistry::create_for`): only such a file is taken for the demo.
pub const PURPOSE: &str = "modelgate-demo";

/// The demo's settings, as `config.toml` would write them. The registry and
/// roster paths depend on the data directory and are set in `resolve`.
pub const SETTINGS: &str = r#"
registry = "embedded"
production_alias = "champion"

# The CI pipeline (ci.automation@demo.modelgate) may stand in for the
# validator on low-risk versions whose gates are quiet (PROTOCOL 14).
automation_risks = ["low"]

# Approvals in the demo last hours, not months, so that a renewal due and an
# expired approval show within a day (PROTOCOL 15); high and critical keep
# their defaults. `0.75` is 18 hours; the window, 6 hours, applies to all.
renewal_window_days = 0.25

[approval_valid_days_by_risk]
low = 0.75
medium = 0.75
high = 180
critical = 90

# PROTOCOL 2's defaults, spelled out: what the demo's reviews are built for.
[roles_by_risk]
low = ["validator"]
medium = ["validator"]
high = ["validator", "domain"]
critical = ["validator", "domain", "compliance"]

[sla_hours_by_risk]
low = 120
medium = 72
high = 48
critical = 24

# What each reviewer answers at medium risk and above (PROTOCOL 13); the
# item an answer of `no` names is where a reject or request for changes lands.
[[checklist]]
id = "validation-v1"
roles = ["validator"]
risks = ["medium", "high", "critical"]
items = [
  { id = "metrics", text = "Metrics reviewed against the baseline; every regression understood" },
  { id = "schema", text = "Input and output schema changes checked with the consumers" },
  { id = "fairness", text = "Fairness report reviewed for every sensitive feature", allow_na = true },
  { id = "security", text = "Security scan clean, and every model file scanned" },
  { id = "card", text = "Model card current: intended use, limits, training data" },
]

[[checklist]]
id = "domain-v1"
roles = ["domain"]
risks = ["medium", "high", "critical"]
items = [
  { id = "business", text = "Business metrics and thresholds fit the product's operating point" },
  { id = "segments", text = "Checked on the segments the business cares about" },
  { id = "drift", text = "Feature shift and importance changes make sense for the domain", allow_na = true },
  { id = "rollout", text = "Rollout and fallback agreed with the owning team", allow_na = true },
]

[[checklist]]
id = "compliance-v1"
roles = ["compliance"]
risks = ["medium", "high", "critical"]
items = [
  { id = "policy", text = "Policy gates reviewed; every deny fixed or waived with a reason" },
  { id = "fairness", text = "Anti-discrimination obligations met for the affected people", allow_na = true },
  { id = "lineage", text = "Training data lineage and consent documented" },
  { id = "audit", text = "The record is complete enough for an external audit" },
]
"#;

/// `SETTINGS` parsed.
pub fn settings() -> Result<FileSettings> {
    toml::from_str(SETTINGS).map_err(|e| anyhow!("the demo's built-in settings are not valid: {e}"))
}

/// The roster and demo keys live beside the registry file: `<stem>-roster/`.
pub fn roster_dir(db: &Path) -> PathBuf {
    let stem = db
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "demo".into());
    db.with_file_name(format!("{stem}-roster"))
}

/// The demo configuration: the demo registry (`config::default_demo_db`, or
/// `--db`) with the roster beside it, the demo's settings, and of the user's
/// file only what `Config::resolve_demo` keeps. `--uri` and `--registry`
/// are refused: the demo profile is the embedded demo registry.
pub fn resolve(file: Option<(PathBuf, ConfigFile)>, over: &Overrides) -> Result<Config> {
    if over.uri.is_some() || over.registry.is_some() {
        bail!(
            "the {} profile is the embedded demo registry; drop --uri and --registry (a demo on an MLflow server: `modelgate demo --mlflow URL`)",
            config::DEMO_PROFILE
        );
    }
    let mut s = settings()?;
    let db = match &over.db {
        Some(p) => p.clone(),
        None => config::default_demo_db()?,
    };
    s.roster = Some(roster_dir(&db).join(ROSTER_FILE));
    s.db = Some(db);
    Config::resolve_demo(&s, file, over)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RegistryKind;

    fn file(text: &str) -> Option<(PathBuf, ConfigFile)> {
        Some(("c.toml".into(), toml::from_str(text).unwrap()))
    }

    #[test]
    fn the_settings_parse_with_a_fresh_installs_roles_and_slas() {
        let over = Overrides {
            db: Some("/d/demo.db".into()),
            ..Default::default()
        };
        let demo = resolve(None, &over).unwrap();
        let fresh = Config::resolve(None, &Overrides::default()).unwrap();
        assert!(demo.demo && !fresh.demo);
        assert_eq!(demo.registry, RegistryKind::Embedded);
        assert_eq!(demo.db, PathBuf::from("/d/demo.db"));
        assert_eq!(
            demo.roster,
            Some(PathBuf::from("/d/demo-roster/roster.toml"))
        );
        assert_eq!(demo.risk.roles_by_risk, fresh.risk.roles_by_risk);
        assert_eq!(demo.risk.sla_hours_by_risk, fresh.risk.sla_hours_by_risk);
        assert_eq!(demo.production_alias, super::super::PRODUCTION_ALIAS);
        use crate::review::risk::Risk;
        assert_eq!(demo.automation_risks, [Risk::Low]);
        for role in ["validator", "domain", "compliance"] {
            assert!(demo.checklists.applicable(role, Risk::Low).is_none());
            for risk in [Risk::Medium, Risk::High, Risk::Critical] {
                let c = demo.checklists.applicable(role, risk).unwrap();
                assert!((3..=5).contains(&c.items.len()), "{}", c.id);
                assert!(c.items.iter().any(|i| i.allow_na), "{}", c.id);
            }
        }
    }

    #[test]
    fn of_the_users_file_only_look_keys_and_mlflow_client_settings_are_kept() {
        let f = file(
            r#"
identity = "me@corp"
registry = "mlflow"
uri = "https://mlflow.corp"
production_alias = "live"
keys = { quit = "Q" }
[theme]
accent = "red"
[roles_by_risk]
low = ["compliance"]
"#,
        );
        let over = Overrides {
            db: Some("/d/demo.db".into()),
            ..Default::default()
        };
        let c = resolve(f, &over).unwrap();
        assert_eq!(c.registry, RegistryKind::Embedded);
        assert_eq!(c.identity, None);
        assert_eq!(c.production_alias, "champion");
        assert_eq!(c.keys["quit"], ["Q"]);
        assert_eq!(c.theme.accent.as_deref(), Some("red"));
        assert_eq!(
            c.risk.roles_by_risk[&crate::review::risk::Risk::Low],
            ["validator"]
        );
    }

    #[test]
    fn a_users_profile_named_demo_is_refused_and_so_are_other_registries() {
        let f = "[profiles.demo]\ndb = \"/x.db\"\n";
        let err = resolve(file(f), &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("rename that profile"), "{err}");
        let over = Overrides {
            profile: Some("demo".into()),
            ..Default::default()
        };
        let err = Config::resolve(file(f), &over).unwrap_err();
        assert!(err.to_string().contains("rename that profile"), "{err}");
        let over = Overrides {
            uri: Some("http://127.0.0.1:5000".into()),
            ..Default::default()
        };
        let err = resolve(None, &over).unwrap_err();
        assert!(err.to_string().contains("embedded demo registry"), "{err}");
    }
}
