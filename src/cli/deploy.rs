//! `modelgate check`, `promote`, `rollback`, `ratify`: deployments (PROTOCOL 11).

use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;

use super::output::Out;
use crate::config::Config;
use crate::service::decide::Decision;
use crate::text::sanitize_line;
use crate::trust::record::Action;

#[derive(Debug, Args)]
pub struct CheckArgs {
    pub model: String,
    pub version: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct PromoteArgs {
    pub model: String,
    pub version: String,
    /// The alias to move (default: the production alias, `champion`).
    #[arg(long)]
    pub alias: Option<String>,
    #[arg(long)]
    pub role: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    pub model: String,
    /// The earlier version to move the alias back to.
    #[arg(long = "to", value_name = "VERSION")]
    pub to: String,
    #[arg(long)]
    pub reason: String,
    #[arg(long, value_name = "ID")]
    pub incident: String,
    #[arg(long)]
    pub alias: Option<String>,
    /// Allow a target that is not approved but once held the alias.
    #[arg(long)]
    pub break_glass: bool,
    /// Print what would happen and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Repeat the model's name: a rollback never runs by accident.
    #[arg(long, value_name = "MODEL")]
    pub confirm: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RatifyArgs {
    pub model: String,
    /// The rollback record's id (or a unique prefix of at least 8 characters).
    #[arg(long = "record", value_name = "ID")]
    pub record: String,
    #[arg(long)]
    pub role: Option<String>,
    #[arg(long)]
    pub json: bool,
}

fn refused(why: &str) -> ExitCode {
    eprintln!("refused: {}", crate::text::sanitize(why));
    ExitCode::from(1)
}

pub async fn check(a: CheckArgs, config: &Config, out: &mut Out) -> Result<ExitCode> {
    let service = match super::open_service(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot tell: {}", crate::text::sanitize(&format!("{e:#}")));
            return Ok(ExitCode::from(2));
        }
    };
    let o = service.check(&a.model, &a.version, super::now_ms()).await;
    if a.json {
        out.json(&o)?;
    } else {
        let state = o.state.map(|s| s.as_str()).unwrap_or("unknown");
        let verdict = match o.exit_code {
            0 => "may ship",
            1 => "must not ship",
            _ => "cannot tell",
        };
        out.line(&format!(
            "{} version {}: {state}: {verdict}",
            sanitize_line(&a.model),
            sanitize_line(&a.version)
        ))?;
        for r in &o.reasons {
            out.line(&format!("  {}", sanitize_line(r)))?;
        }
    }
    out.flush()?;
    Ok(ExitCode::from(o.exit_code))
}

pub async fn promote(a: PromoteArgs, config: &Config, out: &mut Out) -> Result<ExitCode> {
    if config.readonly {
        bail!("--readonly is set: promote moves an alias");
    }
    let d = Decision {
        role: a.role.clone(),
        alias: a.alias.clone(),
        ..Decision::new(Action::Promote)
    };
    deploy(&a.model, &a.version, d, a.json, config, out).await
}

pub async fn rollback(a: RollbackArgs, config: &Config, out: &mut Out) -> Result<ExitCode> {
    if config.readonly {
        bail!("--readonly is set: rollback moves an alias");
    }
    if !a.dry_run && a.confirm.as_deref() != Some(a.model.as_str()) {
        return Ok(refused(&format!(
            "a rollback needs --confirm {} (the model's name again); nothing was done",
            a.model
        )));
    }
    let d = Decision {
        role: Some("sre".into()),
        reason: Some(a.reason.clone()),
        alias: a.alias.clone(),
        incident: Some(a.incident.clone()),
        break_glass: a.break_glass,
        ..Decision::new(Action::Rollback)
    };
    if a.dry_run {
        let service = super::open_service(config).await?;
        let alias = a
            .alias
            .clone()
            .unwrap_or_else(|| config.production_alias.clone());
        let holder = service.alias_holder(&a.model, &alias).await?;
        let detail = service.show(&a.model, &a.to, super::now_ms()).await?;
        out.line(&format!(
            "dry run: would sign a rollback record on {} version {} (state {}) and move {alias} from {} to {}{}; nothing written",
            sanitize_line(&a.model),
            sanitize_line(&a.to),
            detail.summary.state.as_str(),
            sanitize_line(holder.as_deref().unwrap_or("nothing")),
            sanitize_line(&a.to),
            if a.break_glass { " (break glass)" } else { "" }
        ))?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    deploy(&a.model, &a.to, d, a.json, config, out).await
}

pub async fn ratify(a: RatifyArgs, config: &Config, out: &mut Out) -> Result<ExitCode> {
    if config.readonly {
        bail!("--readonly is set: ratify writes a signed record");
    }
    let signer = super::decide::signer(config)?;
    let service = super::open_service(config).await?;
    // The rollback record lives on the version the alias moved to.
    let Some(version) = service.rollback_version(&a.model, &a.record).await? else {
        return Ok(refused(&format!(
            "no rollback record {} on any version of {}",
            a.record, a.model
        )));
    };
    let d = Decision {
        role: a.role.clone(),
        ratifies: Some(a.record.clone()),
        ..Decision::new(Action::Ratify)
    };
    match service
        .decide(&a.model, &version, &d, &signer, super::now_ms())
        .await
    {
        Ok(o) => {
            if a.json {
                out.json(&o)?;
            } else {
                out.line(&format!(
                    "ratified: record {} on {} version {}{}",
                    o.id,
                    sanitize_line(&a.model),
                    sanitize_line(&version),
                    if o.written { "" } else { " (already recorded)" }
                ))?;
                out.line(&format!("  {}", o.writes.describe()))?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => super::decide::failed(e, a.json, out),
    }
}

async fn deploy(
    model: &str,
    version: &str,
    d: Decision,
    json: bool,
    config: &Config,
    out: &mut Out,
) -> Result<ExitCode> {
    let signer = super::decide::signer(config)?;
    let service = super::open_service(config).await?;
    match service
        .deploy(model, version, &d, &signer, super::now_ms())
        .await
    {
        Ok(r) => {
            if json {
                out.json(&r)?;
            } else {
                out.line(&format!(
                    "{}: {} now points at {} version {} (record {}{})",
                    d.action,
                    sanitize_line(&r.alias),
                    sanitize_line(model),
                    sanitize_line(version),
                    r.record.id,
                    if r.record.written { "" } else { ", reused" }
                ))?;
                out.line(&format!("  {}", r.record.writes.describe()))?;
                if d.action == Action::Rollback {
                    out.line("a second sre or compliance holder must ratify it: modelgate ratify MODEL --record ID")?;
                }
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => super::decide::failed(e, json, out),
    }
}
