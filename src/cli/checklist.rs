//! `modelgate checklist show`: the configured checklists (PROTOCOL 13), which
//! role answers which at what risk, their items and digests.

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use serde_json::json;

use super::output::Out;
use crate::config::Config;
use crate::review::risk::{ROLES, Risk};
use crate::trust::checklist::Checklist;

#[derive(Debug, Subcommand)]
pub enum ChecklistCommand {
    /// Print the checklists that apply (all, or those of --role and --risk) and their digests.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Only the checklist this role answers.
    #[arg(long, value_name = "ROLE")]
    pub role: Option<String>,
    /// Only the checklists that apply at this effective risk.
    #[arg(long, value_name = "TIER")]
    pub risk: Option<String>,
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cmd: ChecklistCommand, config: &Config, out: &mut Out) -> Result<ExitCode> {
    let ChecklistCommand::Show(a) = cmd;
    if let Some(r) = &a.role
        && !ROLES.contains(&r.as_str())
    {
        bail!(
            "--role {}: not a reviewer role (roles: {})",
            crate::text::sanitize_line(r),
            ROLES.join(", ")
        );
    }
    let risk = match &a.risk {
        Some(r) => Some(Risk::parse(r).ok_or_else(|| {
            anyhow::anyhow!(
                "--risk {}: use low, medium, high or critical",
                crate::text::sanitize_line(r)
            )
        })?),
        None => None,
    };
    let shown: Vec<&Checklist> = config
        .checklists
        .all()
        .iter()
        .filter(|c| a.role.as_ref().is_none_or(|r| c.roles.contains(r)))
        .filter(|c| risk.is_none_or(|r| c.risks.contains(&r)))
        .collect();
    if a.json {
        out.json(&json!({
            "checklists": shown,
            "decision_categories": config.decision_categories,
        }))?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    let scope = match (&a.role, risk) {
        (Some(r), Some(t)) => format!(" for {r} at {t} risk"),
        (Some(r), None) => format!(" for {r}"),
        (None, Some(t)) => format!(" at {t} risk"),
        (None, None) => String::new(),
    };
    if shown.is_empty() {
        out.line(&format!(
            "No checklist applies{scope}. Checklists are [[checklist]] tables in config.toml (docs/config.md)."
        ))?;
    }
    for c in shown {
        let risks: Vec<&str> = c.risks.iter().map(|r| r.as_str()).collect();
        out.line(&format!(
            "{}  {}  (answered by {} at {} risk)",
            c.id,
            c.digest,
            c.roles.join(", "),
            risks.join(", ")
        ))?;
        for it in &c.items {
            let na = if it.allow_na { "  (n/a allowed)" } else { "" };
            out.line(&format!(
                "  {:<20} {}{na}",
                it.id,
                crate::text::sanitize_line(&it.text)
            ))?;
        }
        out.line("")?;
    }
    out.line(&format!(
        "Decision categories (reject, request-changes): {}",
        config.decision_categories.join(", ")
    ))?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
