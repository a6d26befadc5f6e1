//! Deployments (PROTOCOL 11): promote, rollback and ratify move or bless the
//! production alias: the signed record first, then the alias, then a read back.
//! `check` is what a deployment pipeline asks before it ships a version.

use serde::Serialize;

use super::ReviewService;
use super::decide::{Decision, Outcome, Refused, Signer};
use crate::review::state::ReviewState;

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
        let alias = d
            .alias
            .clone()
            .unwrap_or_else(|| self.config.production_alias.clone());
        let record = self.decide(model, version, d, signer, now_ms).await?;
        if let Err(e) = self.registry.set_alias(model, &alias, version).await {
            return Err(Refused::Rule(format!(
                "the {} record {} is written, but moving {alias} to version {version} failed: {e}; run the same command again: it reuses the record",
                d.action, record.id
            )));
        }
        let now = self.registry.get_registered_model(model).await?;
        let moved = now.aliases.get(&alias).map(String::as_str) == Some(version);
        if !moved {
            return Err(Refused::Rule(format!(
                "the {} record {} is written, but {alias} reads back as {:?}, not version {version}; run the same command again",
                d.action,
                record.id,
                now.aliases.get(&alias)
            )));
        }
        Ok(Deployed {
            record,
            alias,
            version: version.to_owned(),
            alias_moved: moved,
        })
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
        let invalid: Vec<String> = detail
            .records
            .iter()
            .filter(|r| r.get("valid").and_then(|v| v.as_bool()) != Some(true))
            .map(|r| {
                let id = r.get("id").and_then(|v| v.as_str()).unwrap_or("?");
                let f: Vec<&str> = r
                    .get("findings")
                    .and_then(|f| f.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f.as_str())
                    .collect();
                format!("record {id} is invalid: {}", f.join("; "))
            })
            .collect();
        out.state = Some(detail.summary.state);
        out.approved = detail.summary.state == ReviewState::Approved;
        if !invalid.is_empty() {
            out.reasons.extend(invalid);
            out.reasons.push("cannot tell: the version carries invalid records (tampered or forged?); run `modelgate audit verify`".into());
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
