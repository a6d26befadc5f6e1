//! `modelgate revalidate`: the scheduled job that re-examines every approval
//! (PROTOCOL 15) and, with `--apply`, records what it found as `reopen`s.
//! Exit 0 nothing due, 1 something due or triggered, 2 could not tell.

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::output::{Out, Paint};
use crate::config::Config;
use crate::service::revalidate::Report;
use crate::text::{sanitize, sanitize_line};

#[derive(Debug, Args)]
pub struct RevalidateArgs {
    /// Only models whose name matches this glob (`fraud-*`).
    #[arg(long, value_name = "GLOB")]
    pub model: Option<String>,
    /// Sign one reopen per new trigger (as the configured identity, a
    /// monitor) and set each review tag to the derived state.
    #[arg(long)]
    pub apply: bool,
    /// Print JSON for scripts: one entry per version.
    #[arg(long)]
    pub json: bool,
}

/// Says why nothing could be told, and exits 2.
fn cannot_tell(why: impl std::fmt::Display) -> Result<ExitCode> {
    eprintln!("cannot tell: {}", sanitize(&why.to_string()));
    Ok(ExitCode::from(2))
}

/// `--apply` cannot sign: says why, that nothing was written, and exits 2.
fn cannot_apply(why: impl std::fmt::Display) -> Result<ExitCode> {
    eprintln!("error: --apply: {}", sanitize(&why.to_string()));
    eprintln!("nothing was written");
    Ok(ExitCode::from(2))
}

pub async fn run(a: RevalidateArgs, config: &Config, out: &mut Out) -> Result<ExitCode> {
    let pattern = match a.model.as_deref().map(glob::Pattern::new).transpose() {
        Ok(p) => p,
        Err(e) => {
            return cannot_tell(format!(
                "--model {}: not a glob ({e}); write a model name or a pattern such as 'fraud-*'",
                sanitize_line(a.model.as_deref().unwrap_or(""))
            ));
        }
    };
    // Everything that could stop --apply is checked before anything is read.
    let signer = if a.apply {
        if config.readonly {
            return cannot_apply("--readonly is set, and --apply signs reopen records");
        }
        match super::decide::signer(config) {
            Ok(s) => Some(s),
            Err(e) => {
                return cannot_apply(format!("it signs reopen records: {e:#}"));
            }
        }
    } else {
        None
    };
    let service = match super::open_service(config).await {
        Ok(s) => s,
        Err(e) => return cannot_tell(format!("{e:#}")),
    };
    if let Err(why) = service.roster() {
        return cannot_tell(why);
    }
    let now = super::now_ms();
    if let Some(problem) = signer
        .as_ref()
        .and_then(|s| service.reopen_signer_problem(s, now))
    {
        return cannot_apply(problem);
    }
    let report = match service
        .revalidate(pattern.as_ref(), signer.as_ref(), now)
        .await
    {
        Ok(r) => r,
        Err(e) => return cannot_tell(format!("the versions to re-examine cannot be listed: {e}")),
    };
    if a.json {
        out.json(&report.versions)?;
    } else {
        print(&report, a.apply, out)?;
    }
    out.flush()?;
    Ok(ExitCode::from(report.exit_code))
}

fn print(report: &Report, applied: bool, out: &mut Out) -> std::io::Result<()> {
    for v in &report.versions {
        let state = v.state.map_or("unknown", |s| s.as_str());
        let head = format!(
            "{} version {}: {state}",
            sanitize_line(&v.model),
            sanitize_line(&v.version)
        );
        let paint = match v.exit_code() {
            0 => Paint::Green,
            1 => Paint::Yellow,
            _ => Paint::Red,
        };
        out.line(&out.paint(&head, paint))?;
        for f in &v.findings {
            out.line(&format!(
                "  {}: {}",
                f.kind.as_str().replace('_', " "),
                sanitize_line(&f.detail)
            ))?;
        }
        for id in &v.written {
            out.line(&format!("  written: reopen {}", crate::text::short_id(id)))?;
        }
    }
    let count = |code: u8| {
        report
            .versions
            .iter()
            .filter(|v| v.exit_code() == code)
            .count()
    };
    let written: usize = report.versions.iter().map(|v| v.written.len()).sum();
    let unrecorded: usize = report.versions.iter().map(|v| v.unrecorded.len()).sum();
    let mut summary = format!(
        "{} version(s): {} nothing due, {} due or triggered, {} could not be told",
        report.versions.len(),
        count(0),
        count(1),
        count(2)
    );
    if applied {
        summary.push_str(&format!("; {written} reopen(s) written"));
    } else if unrecorded > 0 {
        summary.push_str(&format!(
            "; {unrecorded} trigger(s) not yet recorded: run with --apply (as a monitor identity) to record them"
        ));
    }
    out.line(&summary)
}
