//! What a version's checked records come to: the derived state, the queue's
//! and the review's view of it, the evidence the queue assumes, and findings
//! about author tags rewritten behind modelgate's back (PROTOCOL 9). Pure.

use serde_json::Value;

use super::action::Action;
use super::checkpoint::Checkpoint;
use super::record::Checked;
use super::state::{self, Context, Derived, Rec};
use crate::review::queue::{Approval, Trust};

/// The tag whose values say who submitted a version without a signed submit.
pub const SUBMITTED_BY: &str = crate::review::state::TAG_SUBMITTED_BY;
/// The run tag naming the run's author.
pub const RUN_USER: &str = "mlflow.user";
/// Starts every finding about a rewritten author tag (`audit verify` picks them up).
pub const AUTHOR_TAG_CHANGED: &str = "an author tag changed";

/// The derived state of a version from its checked records.
pub fn derive(checked: &[Checked], ctx: &Context<'_>) -> Derived {
    let recs: Vec<Rec<'_>> = checked.iter().filter_map(Rec::from_checked).collect();
    state::derive(&recs, ctx)
}

fn ms(at: Option<&str>) -> Option<i64> {
    at.and_then(super::record::parse_at)
        .map(|t| t.timestamp_millis())
}

/// The value of `"key":"..."` in a record's canonical JSON, found without
/// parsing it. Inside a JSON string a quote is escaped, so `"key":"` only
/// matches a key: a top-level one, since records nest no such keys.
fn field<'a>(value: &'a str, key: &str) -> Option<&'a str> {
    let start = value.find(&format!("\"{key}\":\""))? + key.len() + 4;
    let rest = &value[start..];
    rest.find('"').map(|end| &rest[..end])
}

/// Whether a version's records, read without checking them, leave room for a
/// renewal to be due (or the approval to have expired) by `now`: only then
/// must the queue check them. Conservative: the earliest approve bounds the
/// expiry from below, and the lifetime is the shortest of the tiers from
/// `risk` (the model's, from configuration and tags) to the highest `risk`
/// any record names: the effective risk lies between. A forged record can
/// only make a version look due (an earlier time, another tier), never hide one.
pub fn renewal_possible(
    tags: &crate::registry::Tags,
    lifetimes: &super::lifetime::Lifetimes,
    risk: crate::review::risk::Risk,
    now: i64,
) -> bool {
    let records: Vec<&str> = tags
        .iter()
        .filter(|(k, _)| k.starts_with(super::record::TAG_PREFIX))
        .map(|(_, v)| v.as_str())
        .collect();
    let highest = records
        .iter()
        .filter_map(|v| field(v, "risk").and_then(crate::review::risk::Risk::parse))
        .fold(risk, std::cmp::max);
    let Some(shortest) = crate::review::risk::Risk::ALL
        .into_iter()
        .filter(|r| (risk..=highest).contains(r))
        .filter_map(|r| lifetimes.valid_secs(r))
        .min()
    else {
        return false;
    };
    let earliest = records
        .iter()
        .filter(|v| v.contains("\"action\":\"approve\""))
        .filter_map(|v| field(v, "at").and_then(super::record::parse_at))
        .map(|t| t.timestamp())
        .min();
    // No approve at all: an approval from before modelgate, which never expires.
    earliest.is_some_and(|at| at + shortest - lifetimes.window_secs() <= now)
}

/// The queue's and the review's view of what the records decided.
pub fn trust_of(d: &Derived, verified: bool) -> Trust {
    // Two approvals by one person (signed at the same moment by two
    // processes) count once, so they show once.
    let mut seen = std::collections::HashSet::new();
    Trust {
        state: d.state,
        approvals: d
            .approvals
            .iter()
            .filter(|a| !a.revoked && !a.by_author && !a.before_reopen)
            .filter(|a| seen.insert((a.actor.clone(), a.stale)))
            .map(|a| Approval {
                actor: a.actor.clone(),
                role: a.role.clone(),
                at: a.at.clone(),
                verified: verified && !a.stale,
            })
            .collect(),
        submitted_ms: ms(d.submitted_at.as_deref()),
        submitted_by: d.signed_submission.then(|| d.submitter.clone()).flatten(),
        decided_ms: ms(d.decided_at.as_deref()),
        triggers: d.triggers.iter().map(|t| t.trigger.to_string()).collect(),
        reopened_ms: d.triggers.iter().filter_map(|t| ms(t.at.as_deref())).min(),
        renewal_ms: d
            .lifetime
            .as_ref()
            .and_then(|l| Some((ms(l.renewal_from.as_deref())?, ms(l.expires_at.as_deref())?))),
        renewal_due: d.state == crate::review::state::ReviewState::Approved
            && d.lifetime.as_ref().is_some_and(|l| l.renewal_due),
    }
}

/// The evidence the newest signed submit (else the newest decision) was made on:
/// what the queue assumes current, without re-reading the model files.
pub fn assumed_evidence(checked: &[Checked]) -> Option<&str> {
    let valid = || checked.iter().filter(|c| c.valid());
    let newest = |action: Option<Action>| {
        valid()
            .filter(|c| action.is_none_or(|a| c.action() == Some(a)))
            .filter_map(|c| {
                Some((
                    c.at()?,
                    c.id.as_str(),
                    c.fields.as_ref()?.get("evidence")?.as_str()?,
                ))
            })
            .max()
            .map(|(_, _, e)| e)
    };
    newest(Some(Action::Submit)).or_else(|| newest(None))
}

/// Author tags rewritten behind modelgate's back (PROTOCOL 9): a run's
/// `mlflow.user` that differs from what a checkpoint saw or a signed submit
/// recorded, and a `modelgate.submitted_by` that changed on a version with
/// decisions (while no signed submit names the submitter). The earlier
/// values still count as authors; these findings say why.
pub fn author_tag_findings(
    model: &str,
    version: &str,
    submitted_by: Option<&str>,
    run_user: Option<&str>,
    checked: &[Checked],
    seen: &[&Checkpoint],
) -> Vec<String> {
    let valid = || checked.iter().filter(|c| c.valid());
    let signed = valid().any(|c| c.action() == Some(Action::Submit));
    let decided = valid().any(|c| {
        matches!(
            c.action(),
            Some(Action::Approve | Action::Reject | Action::RequestChanges | Action::Override)
        )
    });
    let now = |x: Option<&str>| x.map_or("unset".to_owned(), |x| format!("{x:?}"));
    let mut out = Vec::new();
    let values = |tag: &str| {
        let mut vs: Vec<&str> = seen
            .iter()
            .flat_map(|cp| cp.tag_values(model, version, tag))
            .map(|(v, _)| v)
            .collect();
        vs.sort();
        vs.dedup();
        vs
    };
    if !signed && decided {
        for old in values(SUBMITTED_BY)
            .into_iter()
            .filter(|v| Some(*v) != submitted_by)
        {
            out.push(format!(
                "{AUTHOR_TAG_CHANGED}: modelgate.submitted_by is {} but was {old:?} on this version, which has decisions; {old:?} still counts as an author",
                now(submitted_by)
            ));
        }
    }
    for old in values(RUN_USER)
        .into_iter()
        .filter(|v| Some(*v) != run_user)
    {
        out.push(format!(
            "{AUTHOR_TAG_CHANGED}: the run's mlflow.user is {} but was {old:?}; whoever {old:?} maps to in the roster still counts as an author",
            now(run_user)
        ));
    }
    for c in valid().filter(|c| c.action() == Some(Action::Submit)) {
        let recorded = c
            .fields
            .as_ref()
            .and_then(|f| f.get("run_user"))
            .and_then(Value::as_str);
        if c.fields
            .as_ref()
            .is_some_and(|f| !f.contains_key("run_user"))
        {
            // Signed before protocol 1.1: valid, but it binds no run author.
            out.push(format!(
                "the signed submit {} records no run_user (signed before protocol 1.1): the run's author rests on the mlflow.user tag and what checkpoints saw",
                &c.id[..c.id.len().min(12)]
            ));
        }
        if let Some(r) = recorded
            && Some(r) != run_user
        {
            out.push(format!(
                "{AUTHOR_TAG_CHANGED}: the run's mlflow.user is {} but the signed submit {} recorded {r:?}; whoever {r:?} maps to in the roster still counts as an author",
                now(run_user),
                &c.id[..c.id.len().min(12)]
            ));
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod renewal_tests {
    use super::*;
    use crate::review::risk::Risk;
    use crate::trust::lifetime::{DAY, Lifetimes};

    fn tags(records: &[&str]) -> crate::registry::Tags {
        records
            .iter()
            .enumerate()
            .map(|(i, r)| {
                (
                    format!("{}{i:064}", super::super::record::TAG_PREFIX),
                    r.to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn only_versions_whose_approvals_may_be_due_are_checked() {
        let l = Lifetimes::default();
        let t0 = 1_767_225_600; // 2026-01-01
        let approve = r#"{"action":"approve","at":"2026-01-01T00:00:00Z","reason":"\"at\":\"1999-01-01T00:00:00Z\"","risk":"medium"}"#;
        let medium = tags(&[approve]);
        assert!(!renewal_possible(&medium, &l, Risk::Low, t0 + 300 * DAY));
        assert!(renewal_possible(&medium, &l, Risk::Low, t0 + 351 * DAY));
        // A critical model's lifetime is critical's; low risk never expires.
        assert!(renewal_possible(&medium, &l, Risk::Critical, t0 + 80 * DAY));
        let low = tags(&[&approve.replace("medium", "low")]);
        assert!(!renewal_possible(&low, &l, Risk::Low, t0 + 9000 * DAY));
        assert!(!renewal_possible(
            &tags(&[]),
            &l,
            Risk::Critical,
            t0 + 9000 * DAY
        ));
    }
}
