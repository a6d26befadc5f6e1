//! Checklists (PROTOCOL 13): what a reviewer in a role answers at a risk
//! tier, the digest that names a checklist's exact wording, and how a
//! record's answers stand against the configured checklists. Pure.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::action::Action;
use crate::review::risk::{ROLES, Risk};

const ID_MAX: usize = 64;

/// One answer to one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Answer {
    #[serde(rename = "yes")]
    Yes,
    #[serde(rename = "no")]
    No,
    #[serde(rename = "n/a")]
    NotApplicable,
}

impl Answer {
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::NotApplicable => "n/a",
        }
    }

    pub fn parse(s: &str) -> Option<Answer> {
        match s.trim() {
            "yes" => Some(Answer::Yes),
            "no" => Some(Answer::No),
            "n/a" => Some(Answer::NotApplicable),
            _ => None,
        }
    }

    /// The next answer in the console's cycle: yes, no, then n/a where the
    /// item allows it.
    pub fn next(current: Option<Answer>, allow_na: bool) -> Answer {
        match current {
            None => Answer::Yes,
            Some(Answer::Yes) => Answer::No,
            Some(Answer::No) if allow_na => Answer::NotApplicable,
            Some(Answer::No) | Some(Answer::NotApplicable) => Answer::Yes,
        }
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `[[checklist]]` table as written in the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistFile {
    pub id: String,
    pub roles: Vec<String>,
    pub risks: Vec<String>,
    pub items: Vec<ItemFile>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemFile {
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub allow_na: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub id: String,
    pub text: String,
    pub allow_na: bool,
}

/// A checked checklist and its digest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checklist {
    pub id: String,
    pub roles: Vec<String>,
    pub risks: Vec<Risk>,
    pub items: Vec<Item>,
    /// `sha256:` + hex SHA-256 of the JCS of the table read as JSON.
    pub digest: String,
}

/// Why the configured checklists were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("checklist[{index}]{}: {reason}", .id.as_deref().map(|i| format!(" (id {i:?})")).unwrap_or_default())]
pub struct ChecklistError {
    /// Position of the table in the file, from 0.
    pub index: usize,
    pub id: Option<String>,
    pub reason: String,
}

/// Item and checklist ids: `[a-z0-9_-]`, 1 to 64 characters (PROTOCOL 13).
pub fn plain_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= ID_MAX
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

impl Checklist {
    /// Checks one table; `index` names it in errors.
    pub fn from_file(index: usize, f: &ChecklistFile) -> Result<Checklist, ChecklistError> {
        let err = |reason: String| ChecklistError {
            index,
            id: (!f.id.is_empty()).then(|| f.id.clone()),
            reason,
        };
        if !plain_id(&f.id) {
            return Err(err(format!(
                "id {:?} is not plain: use 1 to {ID_MAX} of a-z, 0-9, _ and -",
                f.id
            )));
        }
        if f.roles.is_empty() {
            return Err(err("roles is empty: name who answers it".into()));
        }
        for r in &f.roles {
            if !ROLES.contains(&r.as_str()) {
                return Err(err(format!(
                    "role {r:?} is not a reviewer role (roles: {})",
                    ROLES.join(", ")
                )));
            }
        }
        if f.risks.is_empty() {
            return Err(err("risks is empty: name the tiers it applies at".into()));
        }
        let mut risks = Vec::new();
        for r in &f.risks {
            match Risk::parse(r) {
                Some(risk) if r.trim() == r => risks.push(risk),
                _ => {
                    return Err(err(format!(
                        "risk {r:?} is not low, medium, high or critical"
                    )));
                }
            }
        }
        if f.items.is_empty() {
            return Err(err(
                "items is empty: a checklist asks at least one thing".into()
            ));
        }
        let mut items: Vec<Item> = Vec::new();
        for (i, it) in f.items.iter().enumerate() {
            if !plain_id(&it.id) {
                return Err(err(format!(
                    "items[{i}]: id {:?} is not plain: use 1 to {ID_MAX} of a-z, 0-9, _ and -",
                    it.id
                )));
            }
            if items.iter().any(|x| x.id == it.id) {
                return Err(err(format!(
                    "items[{i}]: the item id {:?} is used twice",
                    it.id
                )));
            }
            if it.text.trim().is_empty() {
                return Err(err(format!("items[{i}] ({}): text is empty", it.id)));
            }
            items.push(Item {
                id: it.id.clone(),
                text: it.text.clone(),
                allow_na: it.allow_na,
            });
        }
        let table = json!({
            "id": f.id,
            "roles": f.roles,
            "risks": f.risks,
            "items": items.iter().map(|i| json!({"id": i.id, "text": i.text, "allow_na": i.allow_na})).collect::<Vec<_>>(),
        });
        let canon = super::jcs::value(&table).map_err(err)?;
        Ok(Checklist {
            id: f.id.clone(),
            roles: f.roles.clone(),
            risks,
            items,
            digest: format!("sha256:{}", hex::encode(Sha256::digest(canon.as_bytes()))),
        })
    }

    pub fn applies(&self, role: &str, risk: Risk) -> bool {
        self.roles.iter().any(|r| r == role) && self.risks.contains(&risk)
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }

    /// Whether `answers` complete this checklist for `action`: every item
    /// answered, no other item, `n/a` only where allowed, and for an
    /// `approve` no `no`. The first problem found, naming the item.
    pub fn check_answers(
        &self,
        action: Action,
        answers: &BTreeMap<String, Answer>,
    ) -> Result<(), AnswerProblem> {
        if let Some(unknown) = answers.keys().find(|k| self.item(k).is_none()) {
            return Err(AnswerProblem::Unknown {
                checklist: self.id.clone(),
                item: unknown.clone(),
                known: self.items.iter().map(|i| i.id.clone()).collect(),
            });
        }
        for it in &self.items {
            match answers.get(&it.id) {
                None => return Err(AnswerProblem::Missing(it.clone())),
                Some(Answer::NotApplicable) if !it.allow_na => {
                    return Err(AnswerProblem::NotApplicableRefused(it.clone()));
                }
                Some(Answer::No) if action == Action::Approve => {
                    return Err(AnswerProblem::NoOnApprove(it.clone()));
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// The record's `checklist` field for these answers.
    pub fn record_value(&self, answers: &BTreeMap<String, Answer>) -> Value {
        json!({"id": self.id, "digest": self.digest, "answers": answers})
    }
}

/// What is wrong with a set of answers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AnswerProblem {
    #[error("checklist item {} is not answered: {:?} (--answer {}=yes|no{})", .0.id, .0.text, .0.id, if .0.allow_na { "|n/a" } else { "" })]
    Missing(Item),
    #[error("checklist {checklist} has no item {item:?}; its items: {}", known.join(", "))]
    Unknown {
        checklist: String,
        item: String,
        known: Vec<String>,
    },
    #[error("checklist item {} cannot be answered n/a: {:?}", .0.id, .0.text)]
    NotApplicableRefused(Item),
    #[error("an approve needs yes to checklist item {}: {:?}; answered no, so reject or request changes instead", .0.id, .0.text)]
    NoOnApprove(Item),
}

/// The configured checklists: at most one applies to a role and a risk.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Checklists(Vec<Checklist>);

static NONE: Checklists = Checklists(Vec::new());

impl Checklists {
    /// No checklist configured.
    pub fn none() -> &'static Checklists {
        &NONE
    }

    /// Checks every table, then that ids are distinct and none overlap.
    pub fn new(files: &[ChecklistFile]) -> Result<Checklists, ChecklistError> {
        let mut out: Vec<Checklist> = Vec::new();
        for (index, f) in files.iter().enumerate() {
            let c = Checklist::from_file(index, f)?;
            let err = |reason: String| ChecklistError {
                index,
                id: Some(c.id.clone()),
                reason,
            };
            if out.iter().any(|o| o.id == c.id) {
                return Err(err("the id is used by an earlier checklist".into()));
            }
            for o in &out {
                let role = c.roles.iter().find(|r| o.roles.contains(r));
                let risk = c.risks.iter().find(|r| o.risks.contains(r));
                if let (Some(role), Some(risk)) = (role, risk) {
                    return Err(err(format!(
                        "it overlaps checklist {:?}: both apply to {role} at {risk} risk, and at most one may",
                        o.id
                    )));
                }
            }
            out.push(c);
        }
        Ok(Checklists(out))
    }

    pub fn all(&self) -> &[Checklist] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The checklist a decision in `role` at `risk` answers, if any.
    pub fn applicable(&self, role: &str, risk: Risk) -> Option<&Checklist> {
        self.0.iter().find(|c| c.applies(role, risk))
    }

    /// How a valid record's answers stand against the configuration: read
    /// with the role and the risk the record itself carries.
    pub fn standing(&self, fields: &serde_json::Map<String, Value>) -> Standing {
        let s = |k: &str| fields.get(k).and_then(Value::as_str);
        let action = s("action").and_then(Action::parse);
        let answered = fields.get("checklist").and_then(Answered::parse);
        let applies = match (s("role"), s("risk").and_then(Risk::parse)) {
            (Some(role), Some(risk)) if action.is_some_and(Action::answers_checklist) => {
                self.applicable(role, risk)
            }
            _ => None,
        };
        match (applies, answered) {
            (None, None) => Standing::NotAsked,
            (Some(c), None) => Standing::Unanswered {
                checklist: c.id.clone(),
            },
            (c, Some(a)) => {
                let Some(c) = c.filter(|c| c.id == a.id && c.digest == a.digest) else {
                    return Standing::Older(a);
                };
                let answers: Option<BTreeMap<String, Answer>> = a
                    .answers
                    .iter()
                    .map(|(k, v)| Some((k.clone(), Answer::parse(v)?)))
                    .collect();
                match answers.map(|ans| c.check_answers(action.unwrap_or(Action::Comment), &ans)) {
                    Some(Ok(())) => Standing::Current(a),
                    Some(Err(p)) => Standing::Incomplete(a, p.to_string()),
                    None => Standing::Incomplete(a, "an answer is not yes, no or n/a".into()),
                }
            }
        }
    }
}

/// A record's `checklist` field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Answered {
    pub id: String,
    pub digest: String,
    /// Item id -> `yes`, `no` or `n/a`, in item-id order.
    pub answers: BTreeMap<String, String>,
}

impl Answered {
    pub fn parse(v: &Value) -> Option<Answered> {
        Some(Answered {
            id: v.get("id")?.as_str()?.to_owned(),
            digest: v.get("digest")?.as_str()?.to_owned(),
            answers: v
                .get("answers")?
                .as_object()?
                .iter()
                .map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect::<Option<_>>()?,
        })
    }
}

/// How a record's answers stand against the configured checklists.
#[derive(Debug, Clone, PartialEq)]
pub enum Standing {
    /// No checklist applies and none was answered.
    NotAsked,
    /// The configured checklist, answered completely.
    Current(Answered),
    /// A checklist that is not the configured one now (it changed since, or
    /// none applies any more): the record counts and says so.
    Older(Answered),
    /// The configured checklist, answered with a gap or an answer it does
    /// not accept.
    Incomplete(Answered, String),
    /// A checklist applies and the record answers none.
    Unanswered { checklist: String },
}

impl Standing {
    /// Why an approval with this standing does not count, if it does not.
    pub fn refusal(&self) -> Option<String> {
        match self {
            Standing::Incomplete(a, why) => Some(format!(
                "its answers to checklist {} fall short: {why}",
                a.id
            )),
            Standing::Unanswered { checklist } => Some(format!(
                "it answers no checklist, and checklist {checklist} applies to its role and risk"
            )),
            _ => None,
        }
    }

    pub fn answered(&self) -> Option<&Answered> {
        match self {
            Standing::Current(a) | Standing::Older(a) | Standing::Incomplete(a, _) => Some(a),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
