//! `modelgate reopen`: a signed `reopen` that starts a new approval cycle
//! (PROTOCOL 15), with the report behind it when there is one (PROTOCOL 16).

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use clap::Args;
use serde_json::json;

use super::output::Out;
use crate::config::Config;
use crate::review::revalidation::Trigger;
use crate::service::decide::Decision;
use crate::trust::record::{Action, hex_sha256};

/// The largest report a reopen reads to take its digest.
pub const REPORT_MAX_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Args)]
pub struct ReopenArgs {
    pub model: String,
    pub version: String,
    /// Why: drift, performance, incident, schema, vulnerability, policy,
    /// evidence, roster, periodic or other.
    #[arg(long, value_name = "T")]
    pub trigger: String,
    /// What was found; required.
    #[arg(long)]
    pub reason: String,
    /// The report that shows it: its SHA-256 is recorded.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// The role to sign in (default: the first of monitor, validator, domain,
    /// compliance, sre that you hold).
    #[arg(long)]
    pub role: Option<String>,
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

/// The bytes of a report file, refused past `REPORT_MAX_BYTES`.
pub fn read_report(path: &std::path::Path) -> Result<Vec<u8>> {
    let shown = path.display();
    let file =
        std::fs::File::open(path).map_err(|e| anyhow!("cannot read the report {shown}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(REPORT_MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| anyhow!("cannot read the report {shown}: {e}"))?;
    if bytes.len() as u64 > REPORT_MAX_BYTES {
        bail!(
            "the report {shown} is over {} MiB; give a summary report or a smaller file",
            REPORT_MAX_BYTES / (1024 * 1024)
        );
    }
    Ok(bytes)
}

pub async fn run(a: ReopenArgs, config: &Config, out: &mut Out) -> Result<ExitCode> {
    let trigger: Trigger = a.trigger.parse().map_err(|e: String| anyhow!(e))?;
    if a.reason.trim().is_empty() {
        bail!("reopen needs a reason (--reason TEXT): say what was found");
    }
    let report = match &a.report {
        Some(path) => {
            let bytes = read_report(path)?;
            let name = path
                .file_name()
                .map(|n| crate::text::sanitize_line(&n.to_string_lossy()).into_owned())
                .unwrap_or_default();
            Some(json!({
                "kind": trigger.as_str(),
                "digest": format!("sha256:{}", hex_sha256(&bytes)),
                "summary": {"file": name, "bytes": bytes.len()},
            }))
        }
        None => None,
    };
    let decision = Decision {
        role: a.role.clone(),
        reason: Some(a.reason.clone()),
        trigger: Some(trigger),
        report,
        ..Decision::new(Action::Reopen)
    };
    super::decide::sign(&a.model, &a.version, &decision, a.json, config, out).await
}
