//! Revalidation (PROTOCOL 9.5, 15): why an approval is re-examined (the
//! `trigger` of a `reopen` record, or one derived without a record) and the
//! approval's lifetime, as reviews show them.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Drift,
    Performance,
    Incident,
    Schema,
    Vulnerability,
    Policy,
    Evidence,
    /// PROTOCOL 6 omits it from the `trigger` list, 9.5 and 15 use it: a
    /// reopen may record it, and it is derived when an approval lapsed.
    Roster,
    Periodic,
    Other,
}

impl Trigger {
    pub const ALL: [Trigger; 10] = [
        Trigger::Drift,
        Trigger::Performance,
        Trigger::Incident,
        Trigger::Schema,
        Trigger::Vulnerability,
        Trigger::Policy,
        Trigger::Evidence,
        Trigger::Roster,
        Trigger::Periodic,
        Trigger::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Drift => "drift",
            Trigger::Performance => "performance",
            Trigger::Incident => "incident",
            Trigger::Schema => "schema",
            Trigger::Vulnerability => "vulnerability",
            Trigger::Policy => "policy",
            Trigger::Evidence => "evidence",
            Trigger::Roster => "roster",
            Trigger::Periodic => "periodic",
            Trigger::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Trigger> {
        Trigger::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The triggers that take effect without a record (PROTOCOL 15); a
    /// revalidation with only these has no deadline until a reopen records it.
    pub fn implicit(self) -> bool {
        matches!(
            self,
            Trigger::Policy | Trigger::Evidence | Trigger::Roster | Trigger::Periodic
        )
    }

    /// Every trigger's name, for error messages.
    pub fn names() -> String {
        Trigger::ALL.map(Trigger::as_str).join(", ")
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Trigger {
    type Err = String;

    fn from_str(s: &str) -> Result<Trigger, String> {
        Trigger::parse(s)
            .ok_or_else(|| format!("{s:?} is not a trigger; use one of {}", Trigger::names()))
    }
}

/// One reason a version is in revalidation: a reopen record, or a trigger
/// derived without one (then `at`, `by` and `record` are null).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerFound {
    pub trigger: Trigger,
    pub at: Option<String>,
    pub by: Option<String>,
    pub reason: Option<String>,
    pub report: Option<Value>,
    pub record: Option<String>,
}

/// The lifetime of the approval that stands, or of the one that ended.
/// Times are RFC 3339.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LifetimeView {
    /// When the quorum (or the latest renewal) completed.
    pub approved_at: String,
    /// When it expires; `None` for never.
    pub expires_at: Option<String>,
    /// From when a renewal is due; `None` for never.
    pub renewal_from: Option<String>,
    /// Now is inside the renewal window (still approved).
    pub renewal_due: bool,
    /// Now is past the expiry.
    pub expired: bool,
}

/// What `show --json` says under `revalidation`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Revalidation {
    pub triggers: Vec<TriggerFound>,
    pub approved_at: Option<String>,
    pub expires_at: Option<String>,
    pub renewal_from: Option<String>,
}

impl Revalidation {
    pub fn new(triggers: &[TriggerFound], life: Option<&LifetimeView>) -> Revalidation {
        Revalidation {
            triggers: triggers.to_vec(),
            approved_at: life.map(|l| l.approved_at.clone()),
            expires_at: life.and_then(|l| l.expires_at.clone()),
            renewal_from: life.and_then(|l| l.renewal_from.clone()),
        }
    }

    /// `drift (reopened by x at t), periodic`: for one line of text.
    pub fn triggers_text(&self) -> String {
        self.triggers
            .iter()
            .map(|t| match (&t.by, &t.at) {
                (Some(by), Some(at)) => format!("{} (reopened by {by} at {at})", t.trigger),
                _ => t.trigger.to_string(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_are_their_protocol_strings() {
        for t in Trigger::ALL {
            assert_eq!(Trigger::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        assert!(
            "Drift"
                .parse::<Trigger>()
                .unwrap_err()
                .contains("use one of drift,")
        );
        let implicit: Vec<_> = Trigger::ALL.into_iter().filter(|t| t.implicit()).collect();
        assert_eq!(
            implicit,
            [
                Trigger::Policy,
                Trigger::Evidence,
                Trigger::Roster,
                Trigger::Periodic
            ]
        );
    }
}
