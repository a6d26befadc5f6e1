//! What a decision adds to its record beyond the protocol-1 fields: a
//! category, checklist answers, and the limits on approvals by automation,
//! checked against the configuration before anything is signed.

use serde_json::{Map, Value, json};

use super::{Decision, Refused, refuse};
use crate::review::gates::GateResult;
use crate::review::risk::Risk;
use crate::service::ReviewService;

impl ReviewService {
    /// The decision's category and checklist answers, checked against the
    /// configuration (PROTOCOL 13), and what an approval by automation needs
    /// (PROTOCOL 14): the record fields they add, or why nothing is signed.
    pub(super) fn structured(
        &self,
        model: &str,
        version: &str,
        d: &Decision,
        role: &str,
        risk: &Risk,
        gates: &GateResult,
    ) -> Result<Map<String, Value>, Refused> {
        let (action, risk) = (d.action, *risk);
        let mut out = Map::new();
        let categories = &self.config.decision_categories;
        let category = d
            .category
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty());
        match category {
            None if action.carries_category() => {
                return refuse(format!(
                    "{action} needs a category (--category C), one of: {}",
                    categories.join(", ")
                ));
            }
            Some(c) if !action.carries_category() => {
                return refuse(format!(
                    "{action} carries no category (only reject and request-changes do); drop --category {c}"
                ));
            }
            Some(c) if !categories.iter().any(|x| x == c) => {
                return refuse(format!(
                    "{c:?} is not a decision category; use one of: {}",
                    categories.join(", ")
                ));
            }
            Some(c) => {
                out.insert("category".into(), json!(c));
            }
            None => {}
        }
        let checklist = action
            .answers_checklist()
            .then(|| self.config.checklists.applicable(role, risk))
            .flatten();
        match checklist {
            Some(c) => {
                c.check_answers(action, &d.answers).map_err(|p| {
                    Refused::Rule(format!(
                        "{p}. Checklist {} applies to {role} at {risk} risk (`modelgate checklist show --role {role} --risk {risk}`); nothing was signed",
                        c.id
                    ))
                })?;
                out.insert("checklist".into(), c.record_value(&d.answers));
            }
            None if !d.answers.is_empty() => {
                return refuse(format!(
                    "no checklist applies to {action} as {role} at {risk} risk, so there is nothing to answer; drop the answers (`modelgate checklist show` lists the checklists)"
                ));
            }
            None => {}
        }
        if role == "automation" {
            let listed = &self.config.automation_risks;
            if risk > Risk::Medium || !listed.contains(&risk) {
                let tiers: Vec<&str> = listed.iter().map(|r| r.as_str()).collect();
                return refuse(format!(
                    "{model} version {version} is {risk} risk, and approvals by automation are allowed only at the tiers in automation_risks ({}); a person approves it",
                    if tiers.is_empty() {
                        "none configured".to_owned()
                    } else {
                        tiers.join(", ")
                    }
                ));
            }
            if !gates.deny.is_empty() || !gates.warn.is_empty() || gates.error.is_some() {
                return refuse(format!(
                    "an approval by automation needs gates with no deny, warn or error, and {model} version {version} has {} deny, {} warn{}; a person approves it",
                    gates.deny.len(),
                    gates.warn.len(),
                    if gates.error.is_some() {
                        " and an error"
                    } else {
                        ""
                    }
                ));
            }
        }
        Ok(out)
    }
}
