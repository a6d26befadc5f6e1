//! Deployments as values (PROTOCOL 11): the production alias's moves from
//! valid `promote` and `rollback` records, rollbacks waiting for a `ratify`,
//! each model's deployment and the queue header's flags. Pure: records and
//! states in, values out; `crate::service::deploy` reads the registry.

use serde::Serialize;

use super::action::Action;
use super::audit::Finding;
use super::record::Checked;
use crate::registry::ModelVersion;
use crate::review::state::ReviewState;

/// `record 1a2b...: names parent ..., which is not on this version: deleted?`
pub fn describe_finding(f: &Finding) -> String {
    match &f.record {
        Some(r) => format!("record {r}: {}", f.message),
        None => f.message.clone(),
    }
}

/// Findings joined for one line of text.
pub fn describe_findings(fs: &[Finding]) -> String {
    fs.iter()
        .map(describe_finding)
        .collect::<Vec<_>>()
        .join("; ")
}

/// One move of the production alias, from a valid `promote` or `rollback` record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AliasMove {
    pub id: String,
    pub action: Action,
    pub version: String,
    pub from_version: Option<String>,
    pub actor: String,
    pub at: String,
    pub incident: Option<String>,
    pub reason: Option<String>,
    pub break_glass: bool,
    /// `rollback`: a valid `ratify` on its version names it.
    pub ratified: bool,
}

/// A rollback still waiting for a second person.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waiting {
    pub id: String,
    pub version: String,
    pub actor: String,
    /// When this client first saw the record (the local checkpoint), else now.
    pub first_seen_ms: i64,
    pub overdue: bool,
    pub break_glass: bool,
}

/// One model's production alias as the console's `:deploy` screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelDeployment {
    pub model: String,
    pub alias: String,
    pub holder: Option<String>,
    /// The derived state of the holder (records checked; evidence assumed, as in the queue).
    pub holder_state: Option<ReviewState>,
    /// Alias moves, oldest first.
    pub history: Vec<AliasMove>,
    /// The holder is not where the newest valid move put the alias.
    pub unexplained: bool,
    pub waiting: Vec<Waiting>,
    /// Versions earlier than the holder whose derived state is `approved`, newest first.
    pub rollback_targets: Vec<String>,
}

/// Counts for the queue header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DeployFlags {
    pub unratified: usize,
    pub overdue: usize,
    pub break_glass: usize,
    pub unexplained: usize,
    /// Production aliases on versions in revalidation, and on versions whose
    /// renewal is due (PROTOCOL 11, 15).
    pub revalidation: usize,
    pub renewal: usize,
}

impl DeployFlags {
    pub fn total(&self) -> usize {
        self.unratified + self.break_glass + self.unexplained + self.revalidation + self.renewal
    }

    /// `1 unratified, 2 unexplained alias`: the queue header's words, `None`
    /// when nothing is flagged.
    pub fn summary(&self) -> Option<String> {
        let parts: Vec<String> = [
            (self.unratified, "unratified"),
            (self.overdue, "overdue"),
            (self.break_glass, "break-glass"),
            (self.unexplained, "unexplained alias"),
            (self.revalidation, "in revalidation"),
            (self.renewal, "renewal due"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DeploymentStatus {
    pub models: Vec<ModelDeployment>,
    pub flags: DeployFlags,
}

const DAY_MS: i64 = 24 * 3600 * 1000;

fn field(c: &Checked, k: &str) -> Option<String> {
    c.fields
        .as_ref()
        .and_then(|f| f.get(k))
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

/// Pure: the alias moves of one model from its versions' checked records.
pub fn alias_moves(versions: &[(&ModelVersion, &[Checked])], alias: &str) -> Vec<AliasMove> {
    let ratified: std::collections::HashSet<String> = versions
        .iter()
        .flat_map(|(_, cs)| cs.iter())
        .filter(|c| c.valid() && c.action() == Some(Action::Ratify))
        .filter_map(|c| field(c, "ratifies"))
        .collect();
    let mut out: Vec<AliasMove> = versions
        .iter()
        .flat_map(|(v, cs)| cs.iter().map(move |c| (v, c)))
        .filter(|(_, c)| c.valid() && c.action().is_some_and(Action::moves_alias))
        .filter(|(_, c)| field(c, "alias").as_deref() == Some(alias))
        .filter_map(|(v, c)| {
            Some(AliasMove {
                id: c.id.clone(),
                action: c.action()?,
                version: v.version.clone(),
                from_version: field(c, "from_version"),
                actor: c.actor().unwrap_or_default().to_owned(),
                at: c.at().unwrap_or_default().to_owned(),
                incident: field(c, "incident"),
                reason: field(c, "reason"),
                break_glass: c
                    .fields
                    .as_ref()
                    .and_then(|f| f.get("break_glass"))
                    .and_then(|b| b.as_bool())
                    == Some(true),
                ratified: ratified.contains(&c.id),
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.at, &a.id).cmp(&(&b.at, &b.id)));
    chain_ties(out)
}

/// Record times have one-second resolution, so moves signed within the same
/// second tie. Within a tie, the next move is the one that starts where the
/// previous move left the alias, else one that no other tied move leads to
/// (the start of the chain), else the lower id: 6 -> 7 -> 8 -> 7 keeps its order.
fn chain_ties(sorted: Vec<AliasMove>) -> Vec<AliasMove> {
    let mut out: Vec<AliasMove> = Vec::with_capacity(sorted.len());
    let mut rest = sorted.into_iter().peekable();
    while let Some(first) = rest.next() {
        let mut group = vec![first];
        while let Some(next) = rest.next_if(|m| m.at == group[0].at) {
            group.push(next);
        }
        while !group.is_empty() {
            let at = out.last().map(|m: &AliasMove| m.version.clone());
            let starts_chain = |m: &AliasMove| {
                m.from_version
                    .as_ref()
                    .is_none_or(|f| !group.iter().any(|o| &o.version == f))
            };
            let pick = group
                .iter()
                .position(|m| at.is_some() && m.from_version == at)
                .or_else(|| group.iter().position(starts_chain))
                .unwrap_or(0);
            out.push(group.remove(pick));
        }
    }
    out
}

/// Pure: one model's deployment from its alias holder, moves, version states
/// and when each rollback was first seen.
pub fn model_deployment(
    model: &str,
    alias: &str,
    holder: Option<&str>,
    history: Vec<AliasMove>,
    states: &[(String, ReviewState)],
    first_seen: impl Fn(&str, &str) -> Option<i64>,
    now_ms: i64,
) -> ModelDeployment {
    let num = |v: &str| v.parse::<u64>().ok();
    let unexplained = holder.is_some_and(|h| history.last().is_none_or(|m| m.version != h));
    let waiting = history
        .iter()
        .filter(|m| m.action == Action::Rollback && !m.ratified)
        .map(|m| {
            let first = first_seen(&m.version, &m.id).unwrap_or(now_ms);
            Waiting {
                id: m.id.clone(),
                version: m.version.clone(),
                actor: m.actor.clone(),
                first_seen_ms: first,
                overdue: now_ms - first > DAY_MS,
                break_glass: m.break_glass,
            }
        })
        .collect();
    let holder_n = holder.and_then(num);
    let mut rollback_targets: Vec<(u64, String)> = states
        .iter()
        .filter(|(_, s)| *s == ReviewState::Approved)
        .filter_map(|(v, _)| Some((num(v)?, v.clone())))
        .filter(|(n, _)| holder_n.is_some_and(|h| *n < h))
        .collect();
    rollback_targets.sort_by_key(|t| std::cmp::Reverse(t.0));
    ModelDeployment {
        model: model.to_owned(),
        alias: alias.to_owned(),
        holder: holder.map(str::to_owned),
        holder_state: holder.and_then(|h| states.iter().find(|(v, _)| v == h).map(|(_, s)| *s)),
        history,
        unexplained,
        waiting,
        rollback_targets: rollback_targets.into_iter().map(|(_, v)| v).collect(),
    }
}

/// Pure: the header's counts over every model.
pub fn flags_of(models: &[ModelDeployment]) -> DeployFlags {
    let mut f = DeployFlags::default();
    for m in models {
        f.unexplained += usize::from(m.unexplained);
        f.unratified += m.waiting.len();
        f.overdue += m.waiting.iter().filter(|w| w.overdue).count();
        f.break_glass += m.history.iter().filter(|h| h.break_glass).count();
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mv(action: &str, version: &str, at: &str, ratified: bool) -> AliasMove {
        AliasMove {
            id: format!("{action}{version}"),
            action: action.parse().unwrap(),
            version: version.into(),
            from_version: None,
            actor: "fay".into(),
            at: at.into(),
            incident: None,
            reason: None,
            break_glass: false,
            ratified,
        }
    }

    #[test]
    fn flags_summarise_in_header_words() {
        assert_eq!(DeployFlags::default().summary(), None);
        let f = DeployFlags {
            unratified: 2,
            overdue: 1,
            break_glass: 0,
            unexplained: 1,
            revalidation: 1,
            renewal: 2,
        };
        assert_eq!(
            f.summary().as_deref(),
            Some("2 unratified, 1 overdue, 1 unexplained alias, 1 in revalidation, 2 renewal due")
        );
    }

    #[test]
    fn moves_in_the_same_second_follow_the_chain() {
        let at = "2026-01-01T00:00:00Z";
        let mut a = mv("promote", "8", at, false);
        a.id = "b".into();
        a.from_version = Some("7".into());
        let mut b = mv("rollback", "7", at, false);
        b.id = "a".into();
        b.from_version = Some("8".into());
        let mut first = mv("promote", "7", "2025-12-31T23:59:59Z", false);
        first.from_version = Some("6".into());
        let versions = |ms: Vec<AliasMove>| -> Vec<String> {
            chain_ties(ms).into_iter().map(|m| m.version).collect()
        };
        assert_eq!(
            versions(vec![first.clone(), b.clone(), a.clone()]),
            ["7", "8", "7"],
            "8 left from 7, then 7 came back from 8"
        );
        // All three in one second, the return to 7 sorting first by id.
        let mut same = first;
        same.at = at.into();
        same.id = "c".into();
        let ids: Vec<String> = chain_ties(vec![b.clone(), a.clone(), same])
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, ["c", "b", "a"], "6 -> 7 starts the chain");
        // A cycle with no start: the lower id first.
        let order: Vec<String> = chain_ties(vec![b, a]).into_iter().map(|m| m.id).collect();
        assert_eq!(order, ["a", "b"]);
    }

    #[test]
    fn holder_not_at_the_newest_move_is_unexplained() {
        let h = vec![mv("promote", "3", "2026-01-01T00:00:00Z", false)];
        let d = model_deployment("m", "production", Some("4"), h.clone(), &[], |_, _| None, 0);
        assert!(d.unexplained);
        let d = model_deployment("m", "production", Some("3"), h, &[], |_, _| None, 0);
        assert!(!d.unexplained);
        let d = model_deployment("m", "production", Some("3"), vec![], &[], |_, _| None, 0);
        assert!(d.unexplained, "no record at all explains a holder");
    }

    #[test]
    fn unratified_rollbacks_wait_and_turn_overdue_after_a_day() {
        let h = vec![
            mv("promote", "3", "2026-01-01T00:00:00Z", false),
            mv("rollback", "2", "2026-01-02T00:00:00Z", false),
            mv("rollback", "1", "2026-01-03T00:00:00Z", true),
        ];
        let now = 10 * DAY_MS;
        let first = |_: &str, id: &str| (id == "rollback2").then_some(now - DAY_MS - 1);
        let d = model_deployment("m", "production", Some("1"), h, &[], first, now);
        assert_eq!(d.waiting.len(), 1, "the ratified one does not wait");
        assert_eq!(d.waiting[0].version, "2");
        assert!(d.waiting[0].overdue);
        let h = vec![mv("rollback", "2", "2026-01-02T00:00:00Z", false)];
        let d = model_deployment("m", "production", Some("2"), h, &[], |_, _| None, now);
        assert!(!d.waiting[0].overdue, "first seen now: not overdue");
        let f = flags_of(&[d]);
        assert_eq!((f.unratified, f.overdue, f.unexplained), (1, 0, 0));
    }

    #[test]
    fn rollback_targets_are_earlier_approved_versions_newest_first() {
        let states = vec![
            ("1".to_owned(), ReviewState::Approved),
            ("2".to_owned(), ReviewState::Rejected),
            ("3".to_owned(), ReviewState::Approved),
            ("5".to_owned(), ReviewState::Approved),
            ("4".to_owned(), ReviewState::Approved),
        ];
        let d = model_deployment("m", "p", Some("4"), vec![], &states, |_, _| None, 0);
        assert_eq!(d.rollback_targets, vec!["3", "1"]);
        assert_eq!(d.holder_state, Some(ReviewState::Approved));
    }
}
