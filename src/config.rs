//! Configuration: `config.toml` with named profiles, the settings of PROTOCOL 2,
//! and command-line flags that override both. Registry tags never lower these.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;

use crate::review::metrics::Better;
use crate::review::risk::{ROLES, Risk, RiskSettings};
use crate::trust::checklist::{ChecklistFile, Checklists};
use crate::trust::lifetime::Lifetimes;

pub const DEFAULT_EVIDENCE_FULL_BYTES: u64 = 256 * 1024 * 1024;

/// The profile modelgate defines itself (src/demo/config.rs): the demo
/// registry with its roster. `config.toml` may not define a profile of this name.
pub const DEMO_PROFILE: &str = "demo";

/// Settings that may sit at the top level of `config.toml` or in a profile.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    pub registry: Option<String>,
    pub db: Option<PathBuf>,
    pub uri: Option<String>,
    pub roster: Option<PathBuf>,
    pub identity: Option<String>,
    pub key_file: Option<PathBuf>,
    pub policy: Option<PathBuf>,
    pub registry_id: Option<String>,
    pub production_alias: Option<String>,
    pub risk_floor: Option<BTreeMap<String, String>>,
    pub roles_by_risk: Option<BTreeMap<String, Vec<String>>>,
    pub sla_hours_by_risk: Option<BTreeMap<String, f64>>,
    pub evidence_full_bytes: Option<u64>,
    pub metric_direction: Option<BTreeMap<String, Better>>,
    pub readonly: Option<bool>,
    /// The console's look; a profile overrides it field by field.
    pub theme: Option<ThemeSettings>,
    /// The console's keys: command name -> key or keys (see docs/tui.md).
    pub keys: Option<BTreeMap<String, KeyList>>,
    /// `[mlflow]`: the MLflow client's timeouts, retries, concurrency, page size.
    pub mlflow: Option<crate::registry::mlflow::MlflowSettings>,
    /// Why a reject or request-changes is signed (PROTOCOL 13).
    pub decision_categories: Option<Vec<String>>,
    /// `[[checklist]]` tables (PROTOCOL 13).
    pub checklist: Option<Vec<ChecklistFile>>,
    /// Tiers where a pipeline's approval stands in for a validator (PROTOCOL 14).
    pub automation_risks: Option<Vec<String>>,
    /// Days an approval lasts by tier, 0 for never (PROTOCOL 15); fractions
    /// of a day are allowed.
    pub approval_valid_days_by_risk: Option<BTreeMap<String, f64>>,
    /// Days before expiry from which a renewal is due.
    pub renewal_window_days: Option<f64>,
    /// Keep the records whose signatures verified in the user's cache, so
    /// that the next command skips their cryptography (default true).
    pub verification_cache: Option<bool>,
}

/// `[theme]`: `mode` is "dark" or "light"; `accent` a colour name or `#rrggbb`;
/// `production = true` draws a red frame, for a production registry's profile.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThemeSettings {
    pub mode: Option<String>,
    pub accent: Option<String>,
    pub production: Option<bool>,
}

/// One key (`"q"`) or several (`["q", "ctrl-c"]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    pub fn keys(&self) -> Vec<String> {
        match self {
            KeyList::One(k) => vec![k.clone()],
            KeyList::Many(k) => k.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub default_profile: Option<String>,
    #[serde(flatten)]
    pub settings: FileSettings,
    #[serde(default)]
    pub profiles: BTreeMap<String, FileSettings>,
}

/// What the command line says; every field overrides the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub profile: Option<String>,
    pub registry: Option<String>,
    pub db: Option<PathBuf>,
    pub uri: Option<String>,
    pub roster: Option<PathBuf>,
    pub identity: Option<String>,
    pub key_file: Option<PathBuf>,
    pub policy: Option<PathBuf>,
    pub readonly: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryKind {
    Embedded,
    Mlflow,
}

/// The resolved configuration every command works from.
#[derive(Debug, Clone)]
pub struct Config {
    pub source: Option<PathBuf>,
    pub profile: Option<String>,
    pub registry: RegistryKind,
    pub db: PathBuf,
    pub uri: Option<String>,
    pub roster: Option<PathBuf>,
    pub identity: Option<String>,
    pub key_file: Option<PathBuf>,
    pub policy: Option<PathBuf>,
    pub registry_id: Option<String>,
    pub production_alias: String,
    pub risk: RiskSettings,
    pub evidence_full_bytes: u64,
    pub metric_direction: BTreeMap<String, Better>,
    pub readonly: bool,
    pub theme: ThemeSettings,
    pub keys: BTreeMap<String, Vec<String>>,
    pub mlflow: crate::registry::mlflow::MlflowSettings,
    /// `decision_categories` (PROTOCOL 13), in configured order.
    pub decision_categories: Vec<String>,
    pub checklists: Checklists,
    /// `automation_risks` (PROTOCOL 14): `low` and `medium` at most.
    pub automation_risks: Vec<Risk>,
    /// `approval_valid_days_by_risk` and `renewal_window_days` (PROTOCOL 15).
    pub lifetimes: Lifetimes,
    /// Where client state (the local checkpoint) is kept; `None` keeps none,
    /// as in the in-memory fixtures of pictures and benches.
    pub state_dir: Option<PathBuf>,
    /// The file of records whose cryptography passed (`trust::verified`);
    /// `None` with `verification_cache = false` or no home directory.
    pub verification_cache: Option<PathBuf>,
    /// Resolved from the built-in demo profile (`resolve_demo`): the registry
    /// must be one the demo created, and demo personas may sign on it.
    pub demo: bool,
}

/// `$XDG_CONFIG_HOME/modelgate/config.toml`, or `MODELGATE_CONFIG`.
pub fn config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("MODELGATE_CONFIG") {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "modelgate").map(|d| d.config_dir().join("config.toml"))
}

/// `$XDG_DATA_HOME/modelgate`: the embedded registry, the demo, client state.
pub fn data_dir() -> Result<PathBuf> {
    directories::ProjectDirs::from("", "", "modelgate")
        .map(|d| d.data_dir().to_path_buf())
        .ok_or_else(|| anyhow!("cannot find a home directory for modelgate's data; pass --db PATH"))
}

/// `$XDG_STATE_HOME/modelgate` (the data directory where the platform has no
/// state directory): the local checkpoints.
pub fn state_dir() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "modelgate")?;
    Some(
        dirs.state_dir()
            .unwrap_or_else(|| dirs.data_dir())
            .to_path_buf(),
    )
}

/// `$XDG_CACHE_HOME/modelgate/verified-records`.
pub fn verification_cache_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "modelgate")
        .map(|d| d.cache_dir().join("verified-records"))
}

pub fn default_db() -> Result<PathBuf> {
    Ok(data_dir()?.join("registry.db"))
}

pub fn default_demo_db() -> Result<PathBuf> {
    Ok(data_dir()?.join("demo.db"))
}

/// Reads the config file; a missing file is an empty config, a broken one an error.
pub fn read_file(path: &Path) -> Result<Option<ConfigFile>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the config file {}", path.display()));
        }
    };
    let file: ConfigFile = toml::from_str(&text)
        .map_err(|e| anyhow!("the config file {} is not valid: {e}", path.display()))?;
    Ok(Some(file))
}

/// The config file from its usual place, when there is one.
pub fn read_default() -> Result<Option<(PathBuf, ConfigFile)>> {
    match config_path() {
        Some(p) => Ok(read_file(&p)?.map(|f| (p, f))),
        None => Ok(None),
    }
}

/// The profile the flags or the file's `default_profile` select.
pub fn selected_profile(file: Option<&ConfigFile>, over: &Overrides) -> Option<String> {
    over.profile
        .clone()
        .or_else(|| file.and_then(|f| f.default_profile.clone()))
}

/// Refuses a file that defines a profile of the built-in demo's name.
fn refuse_reserved(source: Option<&Path>, file: &ConfigFile) -> Result<()> {
    if file.profiles.contains_key(DEMO_PROFILE) {
        bail!(
            "{} defines a profile named {DEMO_PROFILE:?}, a name modelgate keeps for its built-in demo profile (the demo registry and its roster); rename that profile (and default_profile, if it names it)",
            source
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "the config".into())
        );
    }
    Ok(())
}

/// Later layers override earlier ones, field by field.
fn merge(base: &mut FileSettings, over: &FileSettings) {
    macro_rules! take {
        ($($f:ident),*) => { $( if over.$f.is_some() { base.$f = over.$f.clone(); } )* };
    }
    take!(
        registry,
        db,
        uri,
        roster,
        identity,
        key_file,
        policy,
        registry_id,
        production_alias,
        risk_floor,
        roles_by_risk,
        sla_hours_by_risk,
        evidence_full_bytes,
        metric_direction,
        readonly,
        decision_categories,
        checklist,
        automation_risks,
        approval_valid_days_by_risk,
        renewal_window_days,
        verification_cache
    );
    if let Some(m) = &over.mlflow {
        base.mlflow.get_or_insert_with(Default::default).merge(m);
    }
    // A profile's theme changes only the fields it names (an accent, say).
    if let Some(t) = &over.theme {
        let b = base.theme.get_or_insert_with(Default::default);
        b.mode = t.mode.clone().or(b.mode.take());
        b.accent = t.accent.clone().or(b.accent.take());
        b.production = t.production.or(b.production);
    }
    if let Some(k) = &over.keys {
        base.keys
            .get_or_insert_with(Default::default)
            .extend(k.clone());
    }
}

fn parse_risk(what: &str, s: &str) -> Result<Risk> {
    Risk::parse(s).ok_or_else(|| anyhow!("{what}: {s:?} is not low, medium, high or critical"))
}

fn risk_settings(s: &FileSettings) -> Result<RiskSettings> {
    let mut r = RiskSettings::default();
    for (glob, risk) in s.risk_floor.iter().flatten() {
        let pattern = glob::Pattern::new(glob)
            .map_err(|e| anyhow!("risk_floor: {glob:?} is not a glob: {e}"))?;
        r.risk_floor
            .push((pattern, parse_risk("risk_floor", risk)?));
    }
    // Specific patterns first: a longer literal prefix wins over `*`.
    r.risk_floor
        .sort_by_key(|(p, _)| std::cmp::Reverse(p.as_str().len()));
    for (tier, roles) in s.roles_by_risk.iter().flatten() {
        let tier = parse_risk("roles_by_risk", tier)?;
        if roles.is_empty() {
            bail!("roles_by_risk.{tier}: at least one role is required");
        }
        if let Some(bad) = roles.iter().find(|r| !ROLES.contains(&r.as_str())) {
            bail!(
                "roles_by_risk.{tier}: unknown role {bad:?} (roles: {})",
                ROLES.join(", ")
            );
        }
        r.roles_by_risk.insert(tier, roles.clone());
    }
    for (tier, hours) in s.sla_hours_by_risk.iter().flatten() {
        let tier = parse_risk("sla_hours_by_risk", tier)?;
        if !(hours.is_finite() && *hours > 0.0) {
            bail!("sla_hours_by_risk.{tier}: {hours} is not a positive number of hours");
        }
        r.sla_hours_by_risk.insert(tier, *hours);
    }
    Ok(r)
}

/// `approval_valid_days_by_risk` over the defaults, and the renewal window,
/// which must be shorter than every lifetime it applies to.
fn lifetimes(s: &FileSettings) -> std::result::Result<Lifetimes, String> {
    let secs = |what: &str, days: f64| -> std::result::Result<i64, String> {
        if !(days.is_finite() && (0.0..=36_500.0).contains(&days)) {
            return Err(format!(
                "{what}: {days} is not a number of days from 0 to 36500"
            ));
        }
        Ok((days * crate::trust::lifetime::DAY as f64).round() as i64)
    };
    let mut l = Lifetimes::default();
    for (tier, days) in s.approval_valid_days_by_risk.iter().flatten() {
        let risk = Risk::parse(tier).ok_or_else(|| {
            format!("approval_valid_days_by_risk: {tier:?} is not low, medium, high or critical")
        })?;
        l.valid.insert(
            risk,
            secs(&format!("approval_valid_days_by_risk.{risk}"), *days)?,
        );
    }
    if let Some(w) = s.renewal_window_days {
        l.window = secs("renewal_window_days", w)?;
    }
    let days = |s: i64| s as f64 / crate::trust::lifetime::DAY as f64;
    if let Some((risk, valid)) = l.valid.iter().find(|(_, v)| **v > 0 && **v <= l.window) {
        return Err(format!(
            "renewal_window_days ({}) must be shorter than approval_valid_days_by_risk.{risk} ({}): a renewal would be due as soon as the approval is signed",
            days(l.window),
            days(*valid)
        ));
    }
    Ok(l)
}

/// `automation_risks`: a pipeline never approves above medium (PROTOCOL 14).
fn automation_risks(list: &[String]) -> std::result::Result<Vec<Risk>, String> {
    let mut out = Vec::new();
    for r in list {
        match Risk::parse(r) {
            Some(risk @ (Risk::Low | Risk::Medium)) => {
                if !out.contains(&risk) {
                    out.push(risk);
                }
            }
            Some(risk) => {
                return Err(format!(
                    "automation_risks lists {risk}: approvals by automation are allowed at low and medium risk only"
                ));
            }
            None => return Err(format!("automation_risks: {r:?} is not low or medium")),
        }
    }
    Ok(out)
}

impl Config {
    /// File (if any), then the chosen profile, then the flags.
    pub fn resolve(file: Option<(PathBuf, ConfigFile)>, over: &Overrides) -> Result<Config> {
        let (source, file) = match file {
            Some((p, f)) => (Some(p), f),
            None => (None, ConfigFile::default()),
        };
        let mut s = file.settings.clone();
        let profile = selected_profile(Some(&file), over);
        if let Some(name) = &profile {
            if name == DEMO_PROFILE {
                refuse_reserved(source.as_deref(), &file)?;
                bail!(
                    "the {DEMO_PROFILE} profile is built in: resolve it with `Config::resolve_demo`"
                );
            }
            let p = file.profiles.get(name).ok_or_else(|| {
                let known: Vec<_> = file.profiles.keys().map(String::as_str).collect();
                anyhow!(
                    "no profile {name:?} in {}; known profiles: {}",
                    source
                        .as_deref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "the config".into()),
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                )
            })?;
            merge(&mut s, p);
        }
        Self::finish(s, source, profile, over, false)
    }

    /// The built-in demo profile: `demo` (the demo's own settings, parsed from
    /// its TOML) stands for the whole file, of which only the console's look
    /// and keys and the MLflow client settings are kept; then the flags. A
    /// file defining a profile named `demo` is refused (the name is reserved).
    pub fn resolve_demo(
        demo: &FileSettings,
        file: Option<(PathBuf, ConfigFile)>,
        over: &Overrides,
    ) -> Result<Config> {
        let (source, file) = match file {
            Some((p, f)) => (Some(p), f),
            None => (None, ConfigFile::default()),
        };
        refuse_reserved(source.as_deref(), &file)?;
        let mut s = demo.clone();
        let kept = FileSettings {
            theme: file.settings.theme.clone(),
            keys: file.settings.keys.clone(),
            mlflow: file.settings.mlflow.clone(),
            ..Default::default()
        };
        merge(&mut s, &kept);
        Self::finish(s, source, Some(DEMO_PROFILE.to_owned()), over, true)
    }

    /// The merged settings with the flags on top, checked and resolved.
    fn finish(
        mut s: FileSettings,
        source: Option<PathBuf>,
        profile: Option<String>,
        over: &Overrides,
        demo: bool,
    ) -> Result<Config> {
        let flags = FileSettings {
            registry: over.registry.clone(),
            db: over.db.clone(),
            uri: over.uri.clone(),
            roster: over.roster.clone(),
            identity: over.identity.clone(),
            key_file: over.key_file.clone(),
            policy: over.policy.clone(),
            readonly: over.readonly.then_some(true),
            ..Default::default()
        };
        merge(&mut s, &flags);

        // --db alone means the embedded registry; --uri alone means MLflow.
        let registry = match s.registry.as_deref() {
            Some("embedded") | Some("local") | Some("sqlite") => RegistryKind::Embedded,
            Some("mlflow") => RegistryKind::Mlflow,
            Some(other) => bail!("registry {other:?} is unknown; use \"embedded\" or \"mlflow\""),
            None if over.uri.is_some() && over.db.is_none() => RegistryKind::Mlflow,
            None => RegistryKind::Embedded,
        };
        let uri = s
            .uri
            .clone()
            .or_else(|| std::env::var("MLFLOW_TRACKING_URI").ok());
        let production_alias = s
            .production_alias
            .clone()
            .unwrap_or_else(|| "champion".to_owned());
        if production_alias.trim().is_empty() {
            bail!("production_alias must not be empty");
        }
        let named = |what: String| match &source {
            Some(p) => anyhow!("the config file {}: {what}", p.display()),
            None => anyhow!("the configuration: {what}"),
        };
        let decision_categories = match &s.decision_categories {
            Some(list) => {
                crate::trust::category::check_list(list).map_err(named)?;
                list.clone()
            }
            None => crate::trust::category::defaults(),
        };
        let checklists = Checklists::new(s.checklist.as_deref().unwrap_or_default())
            .map_err(|e| named(e.to_string()))?;
        let automation_risks =
            automation_risks(s.automation_risks.as_deref().unwrap_or_default()).map_err(named)?;
        let lifetimes = lifetimes(&s).map_err(named)?;
        Ok(Config {
            lifetimes,
            decision_categories,
            checklists,
            automation_risks,
            source,
            profile,
            registry,
            db: match &s.db {
                Some(p) => p.clone(),
                None => default_db()?,
            },
            uri,
            roster: s.roster.clone(),
            identity: s.identity.clone(),
            key_file: s.key_file.clone(),
            policy: s.policy.clone(),
            registry_id: s.registry_id.clone(),
            production_alias,
            risk: risk_settings(&s)?,
            evidence_full_bytes: s.evidence_full_bytes.unwrap_or(DEFAULT_EVIDENCE_FULL_BYTES),
            metric_direction: s.metric_direction.clone().unwrap_or_default(),
            readonly: s.readonly.unwrap_or(false),
            theme: match &s.theme {
                Some(t) if !matches!(t.mode.as_deref(), None | Some("dark") | Some("light")) => {
                    bail!(
                        "theme.mode {:?} is unknown; use \"dark\" or \"light\"",
                        t.mode.as_deref().unwrap_or_default()
                    )
                }
                t => t.clone().unwrap_or_default(),
            },
            keys: s
                .keys
                .iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.keys()))
                .collect(),
            mlflow: s.mlflow.clone().unwrap_or_default().checked()?,
            state_dir: state_dir(),
            verification_cache: match s.verification_cache {
                Some(false) => None,
                _ => verification_cache_path(),
            },
            demo,
        })
    }

    /// `<state dir>/checkpoints/<registry>.jsonl`, the local checkpoint of
    /// one registry (PROTOCOL 12).
    pub fn checkpoint_path(&self, registry_id: &str) -> Option<PathBuf> {
        self.state_dir.as_ref().map(|d| {
            d.join("checkpoints")
                .join(crate::trust::checkpoint::file_name(registry_id))
        })
    }

    /// Reads the config file from its usual place and resolves it with the flags.
    pub fn load(over: &Overrides) -> Result<Config> {
        Self::resolve(read_default()?, over)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ConfigFile {
        toml::from_str(text).unwrap()
    }

    const SAMPLE: &str = r#"
default_profile = "team"
production_alias = "prod"
[risk_floor]
"fraud-*" = "high"
"*" = "medium"
[sla_hours_by_risk]
critical = 12
[metric_direction]
coverage_gap = "lower"
[profiles.team]
registry = "mlflow"
uri = "http://127.0.0.1:5000"
identity = "alice@example.com"
[profiles.local]
db = "/tmp/x.db"
production_alias = "live"
"#;

    #[test]
    fn profile_then_flags() {
        let f = parse(SAMPLE);
        let c = Config::resolve(Some(("c.toml".into(), f.clone())), &Overrides::default()).unwrap();
        assert_eq!(c.registry, RegistryKind::Mlflow);
        assert_eq!(c.uri.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(c.production_alias, "prod");
        assert_eq!(c.risk.sla_hours_by_risk[&Risk::Critical], 12.0);
        assert_eq!(c.metric_direction["coverage_gap"], Better::Lower);
        let e = c.risk.effective("fraud-scorer", &Default::default());
        assert_eq!(e.risk, Risk::High, "the specific glob wins");
        assert_eq!(
            c.risk.effective("churn", &Default::default()).risk,
            Risk::Medium
        );

        let over = Overrides {
            profile: Some("local".into()),
            ..Default::default()
        };
        let c = Config::resolve(Some(("c.toml".into(), f.clone())), &over).unwrap();
        assert_eq!(
            (c.registry, c.production_alias.as_str()),
            (RegistryKind::Embedded, "live")
        );
        assert_eq!(c.db, PathBuf::from("/tmp/x.db"));

        let over = Overrides {
            profile: Some("local".into()),
            db: Some("/y.db".into()),
            ..Default::default()
        };
        assert_eq!(
            Config::resolve(Some(("c.toml".into(), f)), &over)
                .unwrap()
                .db,
            PathBuf::from("/y.db")
        );
    }

    #[test]
    fn approval_lifetimes_override_the_defaults_and_a_long_window_is_refused() {
        let resolve = |text: &str| {
            Config::resolve(Some(("c.toml".into(), parse(text))), &Overrides::default())
        };
        let c =
            resolve("renewal_window_days = 7\n[approval_valid_days_by_risk]\nlow = 30\nhigh = 0\n")
                .unwrap();
        assert_eq!(c.lifetimes.valid_secs(Risk::Low), Some(30 * 86_400));
        assert_eq!(c.lifetimes.valid_secs(Risk::High), None, "0 is never");
        assert_eq!(c.lifetimes.valid_secs(Risk::Critical), Some(90 * 86_400));
        assert_eq!(c.lifetimes.window_secs(), 7 * 86_400);
        let e = resolve("renewal_window_days = 30\n[approval_valid_days_by_risk]\nlow = 30\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("c.toml") && e.contains("renewal_window_days (30)"),
            "{e}"
        );
        let half =
            resolve("renewal_window_days = 0.25\n[approval_valid_days_by_risk]\nlow = 0.75\n")
                .unwrap();
        assert_eq!(half.lifetimes.valid_secs(Risk::Low), Some(18 * 3600));
        assert_eq!(half.lifetimes.window_secs(), 6 * 3600);
        let e = resolve("renewal_window_days = -1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a number of days"), "{e}");
        let e = resolve("[approval_valid_days_by_risk]\nextreme = 3\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"extreme\" is not low"), "{e}");
    }

    #[test]
    fn profile_theme_and_keys_merge_field_by_field() {
        let f = parse(
            r#"
default_profile = "prod"
keys = { quit = "q", down = ["j", "down"] }
[theme]
mode = "light"
accent = "cyan"
[profiles.prod]
theme = { accent = "red", production = true }
keys = { quit = ["ctrl-q"] }
"#,
        );
        let c = Config::resolve(Some(("c.toml".into(), f)), &Overrides::default()).unwrap();
        assert_eq!(
            c.theme,
            ThemeSettings {
                mode: Some("light".into()),
                accent: Some("red".into()),
                production: Some(true)
            }
        );
        assert_eq!(c.keys["quit"], ["ctrl-q"]);
        assert_eq!(c.keys["down"], ["j", "down"]);
        let bad = parse("[theme]\nmode = \"neon\"");
        let err = Config::resolve(Some(("c.toml".into(), bad)), &Overrides::default()).unwrap_err();
        assert!(err.to_string().contains("theme.mode"), "{err}");
    }

    #[test]
    fn structured_decisions_settings_resolve_with_their_defaults() {
        let c = Config::resolve(None, &Overrides::default()).unwrap();
        assert_eq!(c.decision_categories, crate::trust::category::defaults());
        assert!(c.checklists.is_empty() && c.automation_risks.is_empty());
        let f = parse(
            "automation_risks = [\"low\"]\ndecision_categories = [\"data\", \"other\"]\n[[checklist]]\nid = \"v1\"\nroles = [\"validator\"]\nrisks = [\"medium\"]\nitems = [{ id = \"m\", text = \"Metrics\" }]\n[profiles.p]\nautomation_risks = [\"low\", \"medium\"]\n",
        );
        let c = Config::resolve(Some(("c.toml".into(), f.clone())), &Overrides::default()).unwrap();
        assert_eq!(c.automation_risks, [Risk::Low]);
        assert_eq!(c.decision_categories, ["data", "other"]);
        assert_eq!(
            c.checklists
                .applicable("validator", Risk::Medium)
                .unwrap()
                .id,
            "v1"
        );
        let over = Overrides {
            profile: Some("p".into()),
            ..Default::default()
        };
        let c = Config::resolve(Some(("c.toml".into(), f)), &over).unwrap();
        assert_eq!(c.automation_risks, [Risk::Low, Risk::Medium]);
        assert!(
            toml::from_str::<ConfigFile>(
                "[[checklist]]\nid = \"a\"\nroles = []\nrisks = []\nitems = []\nowner = 1"
            )
            .is_err(),
            "unknown keys in a checklist are refused"
        );
    }

    #[test]
    fn bad_settings_are_named() {
        for (text, want) in [
            ("[risk_floor]\n\"x\" = \"severe\"", "risk_floor"),
            ("[roles_by_risk]\nhigh = [\"boss\"]", "unknown role"),
            ("[sla_hours_by_risk]\nlow = -1", "positive"),
            ("registry = \"s3\"", "unknown"),
        ] {
            let err = Config::resolve(Some(("c.toml".into(), parse(text))), &Overrides::default())
                .unwrap_err();
            assert!(err.to_string().contains(want), "{text}: {err}");
        }
        for (text, want) in [
            (
                "automation_risks = [\"low\", \"high\"]",
                "the config file c.toml: automation_risks lists high: approvals by automation are allowed at low and medium risk only",
            ),
            ("automation_risks = [\"lowest\"]", "not low or medium"),
            ("decision_categories = []", "decision_categories is empty"),
            (
                "[[checklist]]\nid = \"a\"\nroles = [\"validator\"]\nrisks = [\"low\"]\nitems = [{ id = \"x\", text = \"X\" }, { id = \"x\", text = \"Y\" }]",
                "the config file c.toml: checklist[0] (id \"a\"): items[1]: the item id \"x\" is used twice",
            ),
        ] {
            let err = Config::resolve(Some(("c.toml".into(), parse(text))), &Overrides::default())
                .unwrap_err();
            assert!(err.to_string().contains(want), "{text}: {err}");
        }
        let err = Config::resolve(
            None,
            &Overrides {
                profile: Some("nope".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(err.to_string().contains("no profile \"nope\""), "{err}");
        assert!(
            toml::from_str::<ConfigFile>("colour = 1").is_err(),
            "unknown keys are refused"
        );
    }
}
