//! Deployments (PROTOCOL 11): promote, rollback and ratify move or bless the
//! production alias: the signed record first, then the alias, then a read back.
//! `check` is what a deployment pipeline asks before it ships a version.

use serde::Serialize;

use super::ReviewService;
use super::decide::{Decision, Outcome, Refused, Signer, Unfinished};
use crate::review::state::ReviewState;
use crate::trust::audit::{self, Finding, Severity};
use crate::trust::record::{Action, Checked};

#[derive(Debug, Clone, Serialize)]
pub struct Deployed {
    #[serde(flatten)]
    pub record: Outcome,
    pub alias: String,
    pub version: String,
    /// The alias now points at `version` (read back from the registry).
    pub alias_moved: bool,
}

/// `modelgate check`: 0 approved, 1 anything else, 2 cannot tell.
#[derive(Debug, Clone, Serialize)]
pub struct CheckOutcome {
    pub model: String,
    pub version: String,
    pub state: Option<ReviewState>,
    pub approved: bool,
    pub exit_code: u8,
    pub reasons: Vec<String>,
}

impl ReviewService {
    /// Signs a promote or rollback record (or reuses the one a failed attempt
    /// wrote), then moves the alias and reads it back.
    pub async fn deploy(
        &self,
        model: &str,
        version: &str,
        d: &Decision,
        signer: &Signer,
        now_ms: i64,
    ) -> Result<Deployed, Refused> {
        let alias = self.alias_of(d);
        let record = self.decide(model, version, d, signer, now_ms).await?;
        // The alias write is idempotent too: an error is success when the
        // alias reads back on the version (the answer was lost).
        let set = self.registry.set_alias(model, &alias, version).await;
        let now = self.registry.get_registered_model(model).await;
        let holder = now
            .as_ref()
            .ok()
            .and_then(|m| m.aliases.get(&alias).cloned());
        let moved = holder.as_deref() == Some(version);
        if !moved {
            let why = match (&set, &now) {
                (Err(e), _) => format!("moving {alias} to version {version} failed: {e}"),
                (Ok(()), Err(e)) => format!("{alias} cannot be read back: {e}"),
                (Ok(()), Ok(_)) => {
                    format!("{alias} reads back as {holder:?}, not version {version}")
                }
            };
            return Err(Refused::Unfinished(Box::new(Unfinished {
                complete: false,
                action: d.action,
                model: model.to_owned(),
                version: version.to_owned(),
                id: record.id.clone(),
                writes: record.writes,
                error: format!(
                    "the {} record {} is written, but {why}; run the same command again: it reuses the record",
                    d.action, record.id
                ),
            })));
        }
        Ok(Deployed {
            record,
            alias,
            version: version.to_owned(),
            alias_moved: moved,
        })
    }

    /// Integrity findings on one version (PROTOCOL 11, 12): invalid records,
    /// missing parents, checkpoint coverage, and records the local checkpoint
    /// saw that are gone. The same computation `audit verify` makes.
    pub fn integrity_findings(
        &self,
        model: &str,
        version: &str,
        checked: &[Checked],
        now_ms: i64,
    ) -> Vec<Finding> {
        let cp = match self.checkpoint_path() {
            None => None,
            Some(p) => match crate::trust::checkpoint::Checkpoint::load(&p) {
                Ok(cp) => Some(cp),
                Err(e) => {
                    return vec![Finding {
                        severity: Severity::Integrity,
                        model: model.to_owned(),
                        version: version.to_owned(),
                        record: None,
                        message: format!(
                            "the local checkpoint cannot be read, so deleted records cannot be ruled out: {e}"
                        ),
                    }];
                }
            },
        };
        audit::version_findings(model, version, checked, cp.as_ref(), now_ms)
            .into_iter()
            .filter(|f| f.severity == Severity::Integrity)
            .collect()
    }

    /// The deployment gate: approved by the derived state, and nothing that
    /// makes the answer uncertain (invalid records, unreadable evidence).
    pub async fn check(&self, model: &str, version: &str, now_ms: i64) -> CheckOutcome {
        let mut out = CheckOutcome {
            model: model.to_owned(),
            version: version.to_owned(),
            state: None,
            approved: false,
            exit_code: 2,
            reasons: Vec::new(),
        };
        let detail = match self.show(model, version, now_ms).await {
            Ok(d) => d,
            Err(e) => {
                out.reasons.push(format!("cannot tell: {e}"));
                return out;
            }
        };
        if let Err(why) = self.roster() {
            out.reasons.push(format!("cannot tell: {why}"));
            return out;
        }
        out.state = Some(detail.summary.state);
        out.approved = detail.summary.state == ReviewState::Approved;
        // PROTOCOL 11: any integrity finding fails closed, whatever the state.
        let v = crate::registry::ModelVersion {
            name: model.to_owned(),
            version: version.to_owned(),
            tags: detail.version_tags.clone(),
            ..Default::default()
        };
        let integrity = self.integrity_findings(model, version, &self.check_records(&v), now_ms);
        if !integrity.is_empty() {
            // A pipeline reading `approved` alone must not ship either.
            out.approved = false;
            out.reasons.extend(integrity.iter().map(describe_finding));
            out.reasons.push("cannot tell: the version has integrity findings (tampered, forged or deleted records?); run `modelgate audit verify`".into());
            return out;
        }
        if detail.evidence.is_none() {
            out.reasons
                .push("cannot tell: the evidence cannot be computed".into());
            out.reasons.extend(detail.summary.problems);
            return out;
        }
        out.exit_code = if out.approved { 0 } else { 1 };
        out.reasons.extend(detail.state_reasons);
        out
    }
}

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
}

impl DeployFlags {
    pub fn total(&self) -> usize {
        self.unratified + self.break_glass + self.unexplained
    }

    /// `1 unratified, 2 unexplained alias`: the queue header's words, `None`
    /// when nothing is flagged.
    pub fn summary(&self) -> Option<String> {
        let parts: Vec<String> = [
            (self.unratified, "unratified"),
            (self.overdue, "overdue"),
            (self.break_glass, "break-glass"),
            (self.unexplained, "unexplained alias"),
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

fn field(c: &crate::trust::record::Checked, k: &str) -> Option<String> {
    c.fields
        .as_ref()
        .and_then(|f| f.get(k))
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

/// Pure: the alias moves of one model from its versions' checked records.
pub fn alias_moves(
    versions: &[(
        &crate::registry::ModelVersion,
        &[crate::trust::record::Checked],
    )],
    alias: &str,
) -> Vec<AliasMove> {
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

impl ReviewService {
    /// Every model's production alias, its holder and state, the alias
    /// history, unexplained positions and rollbacks waiting for ratification.
    /// Reads the local checkpoint for first sightings but never writes it.
    pub async fn deployment_status(
        &self,
        now_ms: i64,
    ) -> crate::registry::Result<DeploymentStatus> {
        let scanned = self.scan(None).await?;
        let alias = self.config.production_alias.clone();
        let cp = self
            .checkpoint_path()
            .and_then(|p| crate::trust::checkpoint::Checkpoint::load(&p).ok())
            .unwrap_or_default();
        let run_ids: Vec<String> = {
            let mut ids: Vec<String> = scanned
                .versions
                .iter()
                .filter(|(_, c)| !c.is_empty())
                .filter_map(|(v, _)| v.run_id.clone())
                .collect();
            ids.sort();
            ids.dedup();
            ids
        };
        let runs = if run_ids.is_empty() {
            Vec::new()
        } else {
            self.registry.get_runs(&run_ids).await?
        };
        let models = self.registry.list_registered_models().await?;
        let mut out = Vec::new();
        for (name, aliases) in &scanned.aliases {
            let mine: Vec<_> = scanned
                .versions
                .iter()
                .filter(|(v, _)| &v.name == name)
                .collect();
            let pairs: Vec<_> = mine.iter().map(|(v, c)| (v, c.as_slice())).collect();
            let history = alias_moves(&pairs, &alias);
            let holder = aliases.get(&alias).map(String::as_str);
            if holder.is_none() && history.is_empty() {
                continue;
            }
            let model = models.iter().find(|m| &m.name == name);
            let states: Vec<(String, ReviewState)> = mine
                .iter()
                .map(|(v, checked)| {
                    let run = v
                        .run_id
                        .as_ref()
                        .and_then(|id| runs.iter().find(|r| &r.run_id == id));
                    let trust = self.queue_trust_with(v, model, run, checked);
                    (v.version.clone(), trust.state)
                })
                .collect();
            out.push(model_deployment(
                name,
                &alias,
                holder,
                history,
                &states,
                |version, id| cp.first_seen(name, version, id),
                now_ms,
            ));
        }
        let flags = flags_of(&out);
        Ok(DeploymentStatus { models: out, flags })
    }
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
        };
        assert_eq!(
            f.summary().as_deref(),
            Some("2 unratified, 1 overdue, 1 unexplained alias")
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
