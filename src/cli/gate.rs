//! `modelgate gate MODEL VERSION`: the policy gates of one review, the call a
//! CI pipeline makes right after registering a version.
//!
//! Exit codes: 0 nothing denies (warnings allowed), 1 something denies, 2 no
//! verdict (the bundle or the evaluation failed, or the review cannot be read).

use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use super::output::{Out, Paint};
use crate::config::Config;
use crate::review::gates::{GateReport, Level};
use crate::service::show::Evidence;
use crate::text::sanitize_line;

#[derive(Debug, Args)]
pub struct GateArgs {
    pub model: String,
    pub version: String,
    /// Print JSON for scripts: the gate result with every message.
    #[arg(long)]
    pub json: bool,
}

/// Exit code when no verdict can be given.
const NO_VERDICT: u8 = 2;

pub async fn run(args: GateArgs, config: &Config, out: &mut Out) -> Result<ExitCode> {
    let service = match super::open_service(config).await {
        Ok(s) => s,
        Err(e) => return no_verdict(&format!("{e:#}")),
    };
    let gates = service.gates();
    if let Some(e) = gates.error() {
        // Before reading the review: a broken bundle is the author's to fix.
        let report = GateReport::failed(gates.digest(), gates.source(), e.to_owned());
        if args.json {
            out.json(&report)?;
            out.flush()?;
        }
        return no_verdict(e);
    }
    let detail = match service
        .detail(&args.model, &args.version, super::now_ms(), Evidence::Skip)
        .await
    {
        Ok(d) => d,
        Err(e) => return no_verdict(&format!("{e:#}")),
    };
    let report = gates.evaluate(&detail);
    if args.json {
        out.json(&report)?;
    } else {
        let title = format!(
            "{} version {}",
            sanitize_line(&detail.summary.model),
            sanitize_line(&detail.summary.version)
        );
        let verdict = verdict(&report);
        let line = format!("{title}   risk {}   {verdict}", detail.summary.risk);
        let paint = if report.result.passes() {
            Paint::Green
        } else {
            Paint::Red
        };
        let l = out.paint(&line, paint);
        out.line(&l)?;
        print_report(&report, "", out)?;
    }
    out.flush()?;
    if let Some(e) = &report.result.error {
        return no_verdict(e);
    }
    Ok(if report.result.deny.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn no_verdict(message: &str) -> Result<ExitCode> {
    eprintln!(
        "error: {}\nno gate verdict: this counts as a deny",
        crate::text::sanitize(message)
    );
    Ok(ExitCode::from(NO_VERDICT))
}

/// `✖ 2 deny, ▲ 1 warn`, `● pass`, `✖ error`.
pub fn verdict(r: &GateReport) -> String {
    let (d, w) = (r.result.deny.len(), r.result.warn.len());
    if r.result.error.is_some() {
        "✖ error (counts as a deny)".to_owned()
    } else if d > 0 {
        format!("✖ {d} deny, {w} warn")
    } else if w > 0 {
        format!("▲ pass with {w} warn")
    } else {
        "● pass".to_owned()
    }
}

/// Every message with its rule and the values it looked at; the policy's
/// digest and source. Policy messages quote registry text: all sanitised.
pub fn print_report(r: &GateReport, indent: &str, out: &mut Out) -> std::io::Result<()> {
    out.line(&format!(
        "{indent}policy {} from {}",
        r.result.policy,
        sanitize_line(&r.source)
    ))?;
    if let Some(e) = &r.result.error {
        let l = out.paint(
            &format!(
                "{indent}✖ error: {} (the gates fail closed: this counts as a deny)",
                sanitize_line(e)
            ),
            Paint::Red,
        );
        out.line(&l)?;
    }
    if r.messages.is_empty() && r.result.error.is_none() {
        let l = out.paint(&format!("{indent}● nothing denies or warns"), Paint::Green);
        out.line(&l)?;
    }
    for m in &r.messages {
        let (glyph, paint) = match m.level {
            Level::Deny => ("✖ deny", Paint::Red),
            Level::Warn => ("▲ warn", Paint::Yellow),
        };
        let l = out.paint(
            &format!("{indent}{glyph}  {}", sanitize_line(&m.message)),
            paint,
        );
        out.line(&l)?;
        let rules: Vec<String> = m
            .rules
            .iter()
            .map(|r| format!("{} ({})", r.rule, r.files.join(", ")))
            .collect();
        out.line(&format!(
            "{indent}        rule {}",
            sanitize_line(&rules.join("; "))
        ))?;
        for (path, value) in &m.looked_at {
            out.line(&format!(
                "{indent}        {} = {}",
                sanitize_line(path),
                sanitize_line(&value.to_string())
            ))?;
        }
    }
    Ok(())
}
