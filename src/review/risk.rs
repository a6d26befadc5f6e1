//! Risk tiers and what they imply: required roles and SLA hours (PROTOCOL 2, 3).
//! Registry tags may only make things stricter than the configuration.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::registry::Tags;

pub const TAG_RISK: &str = "modelgate.risk";
pub const TAG_REQUIRED_ROLES: &str = "modelgate.required_roles";
pub const TAG_SLA_HOURS: &str = "modelgate.sla_hours";

/// The people's roles (PROTOCOL 8): what tiers require and checklists ask.
pub const ROLES: [&str; 5] = ["owner", "validator", "domain", "compliance", "sre"];

/// The machines' roles (PROTOCOL 8): a monitoring job and a pipeline. An id
/// holding one holds no human role, and neither is ever a required role.
pub const MACHINE_ROLES: [&str; 2] = ["monitor", "automation"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Low,
    Medium,
    High,
    Critical,
}

impl Risk {
    pub const ALL: [Risk; 4] = [Risk::Low, Risk::Medium, Risk::High, Risk::Critical];

    pub fn parse(s: &str) -> Option<Risk> {
        match s.trim() {
            "low" => Some(Risk::Low),
            "medium" => Some(Risk::Medium),
            "high" => Some(Risk::High),
            "critical" => Some(Risk::Critical),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }

    /// Default roles of the tier (PROTOCOL 2).
    pub fn default_roles(self) -> Vec<String> {
        let roles: &[&str] = match self {
            Risk::Low | Risk::Medium => &["validator"],
            Risk::High => &["validator", "domain"],
            Risk::Critical => &["validator", "domain", "compliance"],
        };
        roles.iter().map(|r| (*r).to_owned()).collect()
    }

    /// Default SLA hours of the tier (PROTOCOL 2).
    pub fn default_sla_hours(self) -> f64 {
        match self {
            Risk::Critical => 24.0,
            Risk::High => 48.0,
            Risk::Medium => 72.0,
            Risk::Low => 120.0,
        }
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The settings of PROTOCOL 2 that decide risk, roles and SLA. Kept outside the
/// registry; `crate::config` fills it from `config.toml`.
#[derive(Debug, Clone)]
pub struct RiskSettings {
    /// (model-name glob, floor), first match wins.
    pub risk_floor: Vec<(glob::Pattern, Risk)>,
    pub roles_by_risk: BTreeMap<Risk, Vec<String>>,
    pub sla_hours_by_risk: BTreeMap<Risk, f64>,
}

impl Default for RiskSettings {
    fn default() -> Self {
        RiskSettings {
            risk_floor: Vec::new(),
            roles_by_risk: Risk::ALL.iter().map(|r| (*r, r.default_roles())).collect(),
            sla_hours_by_risk: Risk::ALL
                .iter()
                .map(|r| (*r, r.default_sla_hours()))
                .collect(),
        }
    }
}

/// What the settings and a model's tags make of one model.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    pub risk: Risk,
    pub required_roles: Vec<String>,
    pub sla_hours: f64,
    /// Tag values that could not be used, said plainly (shown with the review).
    pub problems: Vec<String>,
}

impl RiskSettings {
    /// The configured floor of a model's risk, before its tags.
    pub fn floor(&self, model: &str) -> Risk {
        self.risk_floor
            .iter()
            .find(|(pattern, _)| pattern.matches(model))
            .map(|(_, risk)| *risk)
            .unwrap_or(Risk::Low)
    }

    /// Effective risk, roles and SLA of a model from the settings and its tags.
    pub fn effective(&self, model: &str, tags: &Tags) -> Effective {
        let mut problems = Vec::new();
        let floor = self.floor(model);
        let tagged = match tags.get(TAG_RISK) {
            None => Risk::Low,
            Some(v) => Risk::parse(v).unwrap_or_else(|| {
                problems.push(format!(
                    "model {model}: {TAG_RISK} = {v:?} is not low, medium, high or critical; treated as critical"
                ));
                Risk::Critical
            }),
        };
        let risk = floor.max(tagged);

        let mut required_roles = self
            .roles_by_risk
            .get(&risk)
            .cloned()
            .unwrap_or_else(|| risk.default_roles());
        if let Some(extra) = tags.get(TAG_REQUIRED_ROLES) {
            for role in extra.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                if !ROLES.contains(&role) {
                    problems.push(format!(
                        "model {model}: {TAG_REQUIRED_ROLES} names the unknown role {role:?}; it is required all the same"
                    ));
                }
                if !required_roles.iter().any(|r| r == role) {
                    required_roles.push(role.to_owned());
                }
            }
        }
        required_roles.sort();

        let tier_hours = self
            .sla_hours_by_risk
            .get(&risk)
            .copied()
            .unwrap_or_else(|| risk.default_sla_hours());
        let sla_hours = match tags.get(TAG_SLA_HOURS) {
            None => tier_hours,
            Some(v) => match v.trim().parse::<f64>() {
                Ok(h) if h.is_finite() && h > 0.0 => h.min(tier_hours),
                _ => {
                    problems.push(format!(
                        "model {model}: {TAG_SLA_HOURS} = {v:?} is not a positive number of hours; the tier's {tier_hours} h apply"
                    ));
                    tier_hours
                }
            },
        };
        Effective {
            risk,
            required_roles,
            sla_hours,
            problems,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_follow_the_protocol() {
        let s = RiskSettings::default();
        let e = s.effective("m", &tags(&[(TAG_RISK, "critical")]));
        assert_eq!(e.risk, Risk::Critical);
        assert_eq!(e.required_roles, ["compliance", "domain", "validator"]);
        assert_eq!(e.sla_hours, 24.0);
        assert!(e.problems.is_empty());
        let e = s.effective("m", &Tags::new());
        assert_eq!((e.risk, e.sla_hours), (Risk::Low, 120.0));
    }

    #[test]
    fn unknown_risk_counts_as_critical_and_is_reported() {
        let e = RiskSettings::default().effective("m", &tags(&[(TAG_RISK, "meh")]));
        assert_eq!(e.risk, Risk::Critical);
        assert!(
            e.problems[0].contains("treated as critical"),
            "{:?}",
            e.problems
        );
    }

    #[test]
    fn tags_only_make_things_stricter() {
        let mut s = RiskSettings::default();
        s.risk_floor
            .push((glob::Pattern::new("fraud-*").unwrap(), Risk::High));
        let e = s.effective(
            "fraud-scorer",
            &tags(&[
                (TAG_RISK, "low"),
                (TAG_SLA_HOURS, "500"),
                (TAG_REQUIRED_ROLES, "compliance, validator"),
            ]),
        );
        assert_eq!(e.risk, Risk::High, "the floor wins over a lower tag");
        assert_eq!(e.sla_hours, 48.0, "a tag never lengthens the SLA");
        assert_eq!(e.required_roles, ["compliance", "domain", "validator"]);
        let e = s.effective("churn", &tags(&[(TAG_SLA_HOURS, "6")]));
        assert_eq!(e.sla_hours, 6.0, "a tag may shorten it");
    }

    #[test]
    fn bad_sla_tag_is_reported_and_ignored() {
        for bad in ["-3", "NaN", "soon", "0"] {
            let e = RiskSettings::default().effective("m", &tags(&[(TAG_SLA_HOURS, bad)]));
            assert_eq!(e.sla_hours, 120.0);
            assert_eq!(e.problems.len(), 1, "{bad}");
        }
    }
}
