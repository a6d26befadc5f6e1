//! `modelgate submit|approve|reject|request-changes|comment|withdraw|revoke|override`:
//! one signed record each (PROTOCOL 6).

use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use clap::Args;

use super::output::Out;
use crate::config::Config;
use crate::service::decide::{Decision, Refused, Signer};
use crate::text::sanitize_line;
use crate::trust::keys;

#[derive(Debug, Args)]
pub struct DecideArgs {
    pub model: String,
    pub version: String,
    /// The role to sign in (default: the one the action implies, or a required role you hold).
    #[arg(long)]
    pub role: Option<String>,
    /// Why; required for reject, request-changes and revoke.
    #[arg(long)]
    pub reason: Option<String>,
    /// The evidence digest you reviewed (`show` prints it); signing refuses if it changed.
    #[arg(long, value_name = "sha256:HEX")]
    pub evidence: Option<String>,
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct OverrideArgs {
    #[command(flatten)]
    pub decide: DecideArgs,
    /// A deny message to waive, exactly as `gate` prints it (repeat for several).
    #[arg(long = "waive", value_name = "MSG", required = true)]
    pub waive: Vec<String>,
}

/// The signer from `--identity` and `--key-file` (or config).
pub fn signer(config: &Config) -> Result<Signer> {
    let identity = config.identity.clone().ok_or_else(|| {
        anyhow!("who are you? pass --identity ID (your roster id) or set identity in config.toml")
    })?;
    let key = keys::load_signing_key(Some(&identity), config.key_file.as_deref())
        .map_err(|e| anyhow!(e))?;
    Ok(Signer::new(identity, key))
}

pub async fn run(
    action: &str,
    args: DecideArgs,
    waives: Vec<String>,
    config: &Config,
    out: &mut Out,
) -> Result<ExitCode> {
    if config.readonly {
        bail!("--readonly is set: {action} writes a signed record");
    }
    let signer = signer(config)?;
    let service = super::open_service(config).await?;
    let decision = Decision {
        action: action.to_owned(),
        role: args.role.clone(),
        reason: args.reason.clone(),
        waives,
        expected_evidence: args.evidence.clone(),
        ..Default::default()
    };
    match service
        .decide(
            &args.model,
            &args.version,
            &decision,
            &signer,
            super::now_ms(),
        )
        .await
    {
        Ok(o) => {
            if args.json {
                out.json(&o)?;
            } else if o.written {
                out.line(&format!(
                    "{} {} version {}: record {} signed by {}; state {}",
                    action,
                    sanitize_line(&args.model),
                    sanitize_line(&args.version),
                    o.id,
                    sanitize_line(&signer.identity),
                    o.state.as_str()
                ))?;
            } else {
                out.line(&format!(
                    "already recorded as {} (nothing written); state {}",
                    o.id,
                    o.state.as_str()
                ))?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Err(Refused::Rule(why)) => {
            eprintln!("refused: {}", crate::text::sanitize(&why));
            eprintln!("nothing was written");
            Ok(ExitCode::from(1))
        }
        Err(Refused::Registry(e)) => Err(e.into()),
    }
}
