//! The actions a record may carry (PROTOCOL 6), and the rules that depend on
//! the action alone. Records keep the action as text; this type is what the
//! code compares, so its strings are exactly the protocol's.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Submit,
    Approve,
    Reject,
    RequestChanges,
    Comment,
    Revoke,
    Withdraw,
    Override,
    Promote,
    Rollback,
    Ratify,
    Checkpoint,
    Reopen,
}

/// An action outside protocol version 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a known action")]
pub struct UnknownAction(pub String);

impl Action {
    pub const ALL: [Action; 13] = [
        Action::Submit,
        Action::Approve,
        Action::Reject,
        Action::RequestChanges,
        Action::Comment,
        Action::Revoke,
        Action::Withdraw,
        Action::Override,
        Action::Promote,
        Action::Rollback,
        Action::Ratify,
        Action::Checkpoint,
        Action::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::RequestChanges => "request_changes",
            Action::Comment => "comment",
            Action::Revoke => "revoke",
            Action::Withdraw => "withdraw",
            Action::Override => "override",
            Action::Promote => "promote",
            Action::Rollback => "rollback",
            Action::Ratify => "ratify",
            Action::Checkpoint => "checkpoint",
            Action::Reopen => "reopen",
        }
    }

    /// The action named exactly `s`; `None` for anything else (a later
    /// protocol's action included).
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// A record of this action is invalid without a non-empty reason.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Action::Reject
                | Action::RequestChanges
                | Action::Revoke
                | Action::Override
                | Action::Rollback
                | Action::Reopen
        )
    }

    /// A record of this action carries evidence, gates, risk and required roles.
    pub fn carries_evidence(self) -> bool {
        matches!(
            self,
            Action::Submit
                | Action::Approve
                | Action::Reject
                | Action::RequestChanges
                | Action::Override
                | Action::Promote
        )
    }

    /// A move of an alias.
    pub fn moves_alias(self) -> bool {
        matches!(self, Action::Promote | Action::Rollback)
    }

    /// `reject` and `request_changes` carry a decision category (PROTOCOL 13).
    pub fn carries_category(self) -> bool {
        matches!(self, Action::Reject | Action::RequestChanges)
    }

    /// The actions that answer a checklist where one applies (PROTOCOL 13).
    pub fn answers_checklist(self) -> bool {
        matches!(
            self,
            Action::Approve | Action::Reject | Action::RequestChanges | Action::Override
        )
    }

    /// Whether a record of this action may be signed in `role`: the action's
    /// own roles, and what the machine roles may sign (PROTOCOL 8): a
    /// `monitor` comments, checkpoints and reopens (PROTOCOL 15), an
    /// `automation` identity also approves (PROTOCOL 14). `Err` says why not.
    pub fn signable_as(self, role: &str) -> Result<(), String> {
        let machine: Option<&[Action]> = match role {
            "monitor" => Some(&[Action::Comment, Action::Checkpoint, Action::Reopen]),
            "automation" => Some(&[Action::Approve, Action::Comment, Action::Checkpoint]),
            _ => None,
        };
        if let Some(may) = machine {
            return if may.contains(&self) {
                Ok(())
            } else {
                let names: Vec<&str> = may.iter().map(|a| a.as_str()).collect();
                Err(format!(
                    "the {role} role signs only {}, not {self}",
                    names.join(", ")
                ))
            };
        }
        match self.allowed_roles() {
            Some(allowed) if !allowed.contains(&role) => Err(format!(
                "{self} must be signed as {}, not {role}",
                allowed.join(" or ")
            )),
            _ => Ok(()),
        }
    }

    /// The roles this action may be signed in; `None` means any roster role.
    pub fn allowed_roles(self) -> Option<&'static [&'static str]> {
        match self {
            Action::Submit => Some(&["owner"]),
            Action::Promote => Some(&["owner", "sre"]),
            Action::Rollback => Some(&["sre"]),
            Action::Ratify => Some(&["sre", "compliance"]),
            Action::Override => Some(&["compliance"]),
            Action::Reopen => Some(&["monitor", "validator", "domain", "compliance", "sre"]),
            _ => None,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = UnknownAction;

    fn from_str(s: &str) -> Result<Action, UnknownAction> {
        Action::parse(s).ok_or_else(|| UnknownAction(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_its_protocol_string_in_text_and_json() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
            assert_eq!(a.to_string(), a.as_str());
            assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
            let back: Action = serde_json::from_value(a.as_str().into()).unwrap();
            assert_eq!(back, a);
        }
        assert_eq!(Action::RequestChanges.as_str(), "request_changes");
        assert_eq!(Action::parse("reopen"), Some(Action::Reopen));
        assert_eq!(Action::parse("Approve"), None);
        assert_eq!(
            "reopened".parse::<Action>().unwrap_err().to_string(),
            "\"reopened\" is not a known action"
        );
    }

    #[test]
    fn machine_roles_sign_only_what_the_protocol_lets_them() {
        assert!(Action::Approve.signable_as("automation").is_ok());
        assert!(Action::Comment.signable_as("monitor").is_ok());
        let e = Action::Approve.signable_as("monitor").unwrap_err();
        assert_eq!(
            e,
            "the monitor role signs only comment, checkpoint, reopen, not approve"
        );
        assert!(Action::Reopen.signable_as("monitor").is_ok());
        assert!(Action::Reopen.signable_as("sre").is_ok());
        assert!(Action::Reopen.signable_as("owner").is_err());
        assert!(Action::Reopen.signable_as("automation").is_err());
        assert!(Action::Reject.signable_as("automation").is_err());
        assert!(Action::Promote.signable_as("automation").is_err());
        assert!(Action::Reject.signable_as("validator").is_ok());
        assert_eq!(
            Action::Override.signable_as("validator").unwrap_err(),
            "override must be signed as compliance, not validator"
        );
    }
}
