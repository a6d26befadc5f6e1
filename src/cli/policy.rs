//! `modelgate policy input|test|export`: for policy authors.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Subcommand;

use super::output::{Out, Paint};
use crate::config::Config;
use crate::policy::bundle::{Bundle, EMBEDDED};
use crate::policy::engine::{self, TestResult};
use crate::policy::input;
use crate::service::show::Evidence;
use crate::text::sanitize_line;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the exact input document a policy sees for one review.
    Input { model: String, version: String },
    /// Run a bundle's Rego tests (`test_` rules) with its fixtures; exit 1
    /// when one fails, 2 when the bundle cannot be loaded.
    Test {
        /// Bundle directory (default: --policy, the profile's `policy`, else
        /// the default bundle).
        dir: Option<PathBuf>,
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Write the default bundle into a new directory, to start your own.
    Export {
        /// A directory that does not exist yet, or an empty one.
        dir: PathBuf,
    },
}

pub async fn run(cmd: PolicyCommand, config: &Config, out: &mut Out) -> Result<ExitCode> {
    match cmd {
        PolicyCommand::Input { model, version } => {
            let service = super::open_service(config).await?;
            let detail = service
                .detail(&model, &version, super::now_ms(), Evidence::Skip)
                .await?;
            out.json(&input::build(&detail))?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Test { dir, json } => test(dir.or(config.policy.clone()), json, out),
        PolicyCommand::Export { dir } => export(&dir, out),
    }
}

fn test(dir: Option<PathBuf>, json: bool, out: &mut Out) -> Result<ExitCode> {
    let loaded = Bundle::load(dir.as_deref())
        .map_err(|e| e.to_string())
        .and_then(|b| {
            let outcomes = engine::run_tests(&b)?;
            Ok((b, outcomes))
        });
    let (bundle, outcomes) = match loaded {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {}", crate::text::sanitize(&e));
            return Ok(ExitCode::from(2));
        }
    };
    let failed = outcomes
        .iter()
        .filter(|o| o.result != TestResult::Pass)
        .count();
    if json {
        out.json(&serde_json::json!({
            "policy": bundle.digest(),
            "source": bundle.describe(),
            "tests": outcomes,
            "passed": outcomes.len() - failed,
            "failed": failed,
        }))?;
    } else {
        out.line(&format!(
            "policy {} from {}",
            bundle.digest(),
            sanitize_line(&bundle.describe())
        ))?;
        for o in &outcomes {
            let (text, paint) = match &o.result {
                TestResult::Pass => ("✔ pass ".to_owned(), Paint::Green),
                TestResult::Fail => ("✖ FAIL ".to_owned(), Paint::Red),
                TestResult::Error { .. } => ("✖ ERROR".to_owned(), Paint::Red),
            };
            let l = out.paint(
                &format!(
                    "{text} {} ({})",
                    sanitize_line(&o.test),
                    sanitize_line(&o.file)
                ),
                paint,
            );
            out.line(&l)?;
            if let TestResult::Error { error } = &o.result {
                out.line(&format!("         {}", sanitize_line(error)))?;
            }
            if o.result != TestResult::Pass {
                for p in &o.output {
                    out.line(&format!("         print: {}", sanitize_line(p)))?;
                }
            }
        }
        out.line(&format!(
            "{} passed, {failed} failed",
            outcomes.len() - failed
        ))?;
    }
    out.flush()?;
    if outcomes.is_empty() {
        eprintln!("error: the bundle has no test_ rules");
        return Ok(ExitCode::from(1));
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn export(dir: &std::path::Path, out: &mut Out) -> Result<ExitCode> {
    if dir.exists() {
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if entries.next().is_some() {
            bail!(
                "{} is not empty; export into a new directory so no file is overwritten",
                dir.display()
            );
        }
    }
    for (path, bytes) in EMBEDDED {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, bytes)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    out.line(&format!(
        "wrote the default bundle ({} files, {}) to {}",
        EMBEDDED.len(),
        Bundle::embedded().digest(),
        dir.display()
    ))?;
    out.line("use it with --policy DIR or `policy = \"DIR\"` in config.toml; check it with `modelgate policy test DIR`")?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
