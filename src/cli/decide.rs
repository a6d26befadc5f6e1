//! `modelgate submit|approve|reject|request-changes|comment|withdraw|revoke|override`:
//! one signed record each (PROTOCOL 6).

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use clap::Args;

use super::output::Out;
use crate::config::Config;
use crate::service::decide::{Decision, Outcome, Refused, Signer, Write};
use crate::text::sanitize_line;
use crate::trust::checklist::Answer;
use crate::trust::keys;
use crate::trust::record::Action;

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
    /// Why, as one of `decision_categories`; required for reject and request-changes.
    #[arg(long, value_name = "C")]
    pub category: Option<String>,
    /// An answer to the checklist that applies (repeat for each item; `modelgate checklist show`).
    #[arg(long = "answer", value_name = "ITEM=yes|no|n/a")]
    pub answer: Vec<String>,
    /// Checklist answers from a JSON object, item -> "yes", "no" or "n/a".
    #[arg(long, value_name = "FILE")]
    pub answers: Option<std::path::PathBuf>,
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

impl DecideArgs {
    /// `--answers FILE` and every `--answer`, one answer per item.
    pub fn checklist_answers(&self) -> Result<BTreeMap<String, Answer>> {
        let mut out: BTreeMap<String, Answer> = BTreeMap::new();
        let mut put = |item: &str, answer: Answer, from: &str| -> Result<()> {
            match out.insert(item.to_owned(), answer) {
                Some(before) if before != answer => bail!(
                    "checklist item {item} is answered twice, {before} and {answer} ({from}); give one answer"
                ),
                _ => Ok(()),
            }
        };
        if let Some(path) = &self.answers {
            let shown = path.display();
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow!("cannot read the answers file {shown}: {e}"))?;
            let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                anyhow!("the answers file {shown} is not JSON: {e}; write an object such as {{\"metrics\": \"yes\"}}")
            })?;
            let Some(map) = value.as_object() else {
                bail!(
                    "the answers file {shown} is not a JSON object of item -> \"yes\", \"no\" or \"n/a\""
                );
            };
            for (item, v) in map {
                let answer = v.as_str().and_then(Answer::parse).ok_or_else(|| {
                    anyhow!(
                        "the answers file {shown}: item {}: the answer must be \"yes\", \"no\" or \"n/a\", not {}",
                        sanitize_line(item),
                        sanitize_line(&v.to_string())
                    )
                })?;
                put(item, answer, &format!("in {shown}"))?;
            }
        }
        for a in &self.answer {
            let Some((item, value)) = a.split_once('=') else {
                bail!(
                    "--answer {}: write ITEM=yes, ITEM=no or ITEM=n/a",
                    sanitize_line(a)
                );
            };
            let answer = Answer::parse(value).ok_or_else(|| {
                anyhow!(
                    "--answer {}: the answer must be yes, no or n/a",
                    sanitize_line(a)
                )
            })?;
            put(item.trim(), answer, "with --answer")?;
        }
        Ok(out)
    }
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
    action: Action,
    args: DecideArgs,
    waives: Vec<String>,
    config: &Config,
    out: &mut Out,
) -> Result<ExitCode> {
    let answers = args.checklist_answers()?;
    let decision = Decision {
        role: args.role.clone(),
        reason: args.reason.clone(),
        waives,
        expected_evidence: args.evidence.clone(),
        category: args.category.clone(),
        answers,
        ..Decision::new(action)
    };
    sign(
        &args.model,
        &args.version,
        &decision,
        args.json,
        config,
        out,
    )
    .await
}

/// Signs `decision` on a version as the configured identity and prints what
/// was written: every signing command's last step.
pub async fn sign(
    model: &str,
    version: &str,
    decision: &Decision,
    json: bool,
    config: &Config,
    out: &mut Out,
) -> Result<ExitCode> {
    let action = decision.action;
    if config.readonly {
        bail!("--readonly is set: {action} writes a signed record");
    }
    let signer = signer(config)?;
    let service = super::open_service(config).await?;
    match service
        .decide(model, version, decision, &signer, super::now_ms())
        .await
    {
        Ok(o) => {
            if json {
                out.json(&o)?;
            } else {
                for line in outcome_lines(action, model, version, &signer, &o) {
                    out.line(&line)?;
                }
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => failed(e, json, out),
    }
}

/// What a decision wrote, for people: the record, each write, the state.
pub fn outcome_lines(
    action: Action,
    model: &str,
    version: &str,
    signer: &Signer,
    o: &Outcome,
) -> Vec<String> {
    let mut lines = vec![if o.written {
        format!(
            "{} {} version {}: record {} signed by {}; state {}",
            action,
            sanitize_line(model),
            sanitize_line(version),
            o.id,
            sanitize_line(&signer.identity),
            o.state.as_str()
        )
    } else if [o.writes.evidence_tag, o.writes.review_tag].contains(&Write::Written) {
        format!(
            "already recorded as {} (no second record); finished what was missing; state {}",
            o.id,
            o.state.as_str()
        )
    } else {
        format!(
            "already recorded as {} (nothing written); state {}",
            o.id,
            o.state.as_str()
        )
    }];
    lines.push(format!("  {}", o.writes.describe()));
    if !o.also_recorded.is_empty() {
        lines.push(format!(
            "  note: {} also signed {} as {} at the same moment (another process); it counts once",
            sanitize_line(&signer.identity),
            action,
            o.also_recorded.join(", ")
        ));
    }
    lines
}

/// A refusal (exit 1, nothing written), a decision left unfinished (exit 1,
/// saying what is stored and to run it again), or a registry error.
pub fn failed(e: Refused, json: bool, out: &mut Out) -> Result<ExitCode> {
    match e {
        Refused::Rule(why) => {
            eprintln!("refused: {}", crate::text::sanitize(&why));
            eprintln!("nothing was written");
            Ok(ExitCode::from(1))
        }
        Refused::Unfinished(u) => {
            if json {
                out.json(&u)?;
                out.flush()?;
            }
            eprintln!(
                "error: {} on {} version {} is not complete: {}",
                u.action,
                sanitize_line(&u.model),
                sanitize_line(&u.version),
                crate::text::sanitize(&u.error)
            );
            eprintln!("  {}", u.writes.describe());
            Ok(ExitCode::from(1))
        }
        Refused::Registry(e) => Err(anyhow::Error::from(e).context("nothing was written")),
    }
}
