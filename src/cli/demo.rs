//! `modelgate demo`: a demo registry with a queue worth looking at.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, bail};
use clap::Args;

use super::output::Out;
use crate::config::{self, Config, RegistryKind};
use crate::demo::config::PURPOSE;
use crate::demo::{DemoOptions, model_names, populate, roster_dir, sign_history, write_roster};
use crate::registry::Registry;
use crate::registry::local::LocalRegistry;
use crate::service::ReviewService;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Only create the demo registry; do not open the console.
    #[arg(long)]
    pub no_open: bool,
    /// Delete and recreate the demo registry (times are relative to now).
    #[arg(long)]
    pub reset: bool,
    /// Seed of the demo content.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Write the demo into this MLflow tracking server instead of a file.
    #[arg(long, value_name = "URL", conflicts_with_all = ["reset", "db"])]
    pub mlflow: Option<String>,
}

/// Removes a demo registry, but only one that is a modelgate registry.
fn remove_registry(db: &Path) -> Result<()> {
    LocalRegistry::open(db)?;
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db.display()));
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => bail!("cannot remove {}: {e}", p.display()),
        }
    }
    Ok(())
}

/// `config` is the built-in demo profile (`demo::config::resolve`): its
/// registry file is the one created here, and the console opens on it.
pub async fn run(args: DemoArgs, config: &Config, out: &mut Out) -> Result<ExitCode> {
    if let Some(url) = &args.mlflow {
        return run_mlflow(&args, url, config, out).await;
    }
    let db = config.db.clone();
    if args.reset && db.exists() {
        remove_registry(&db)?;
    }
    if db.exists() {
        // Reuse it: refuses a file that is not a modelgate registry, untouched.
        let reg = LocalRegistry::open(&db)?;
        if reg.purpose() != Some(PURPOSE) {
            bail!(
                "{} is a modelgate registry without the demo's marker (an older demo, or not a demo at all); `modelgate demo --reset` recreates the demo there",
                db.display()
            );
        }
        out.line(&format!(
            "Demo registry {} exists; `modelgate demo --reset` recreates it.",
            db.display()
        ))?;
    } else {
        let reg = LocalRegistry::create_for(&db, Some(PURPOSE))?;
        let summary = populate(
            &reg,
            &DemoOptions {
                seed: args.seed,
                now_ms: super::now_ms(),
            },
        )
        .await?;
        let roster = write_roster(&roster_dir(&db), args.seed)?;
        out.line(&format!(
            "Demo registry {}: {} models, {} versions, {} pending reviews.\nDemo roster {}",
            db.display(),
            summary.models,
            summary.versions,
            summary.pending,
            roster.display()
        ))?;
        sign(Arc::new(reg), config, &roster, args.seed, out).await?;
    }
    if args.no_open {
        let at = if db == config::default_demo_db()? {
            String::new()
        } else {
            format!(" --db {}", db.display())
        };
        out.line(&format!(
            "Try: modelgate --profile demo{at} queue, or act in it: modelgate demo{at} --as ben"
        ))?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    out.line("")?;
    super::console::open(config, out).await
}

/// `demo --mlflow URL`: the same dataset written into an MLflow server over REST
/// (experiments, runs, metrics with history, artifacts, versions, tags, aliases).
async fn run_mlflow(
    args: &DemoArgs,
    url: &str,
    config: &Config,
    out: &mut Out,
) -> Result<ExitCode> {
    let mut demo_config = config.clone();
    demo_config.registry = RegistryKind::Mlflow;
    demo_config.uri = Some(url.to_owned());
    // Not the embedded demo registry: no marker to check, no personas.
    demo_config.demo = false;
    let reg = super::login::open_mlflow(&demo_config, Some(url)).await?;
    let summary = populate(
        &reg,
        &DemoOptions {
            seed: args.seed,
            now_ms: super::now_ms(),
        },
    )
    .await?;
    let roster = write_roster(&config::data_dir()?.join("demo-mlflow-roster"), args.seed)?;
    let shown = crate::registry::Registry::describe(&reg);
    out.line(&format!(
        "Demo written to {shown}: {} models, {} versions, {} pending reviews.\nDemo roster {}",
        summary.models,
        summary.versions,
        summary.pending,
        roster.display()
    ))?;
    sign(Arc::new(reg), &demo_config, &roster, args.seed, out).await?;
    if args.no_open {
        out.line(&format!("Try: modelgate --uri {shown} queue"))?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    out.line("")?;
    demo_config.roster = Some(roster);
    super::console::open(&demo_config, out).await
}

/// Signs the demo's production history with the demo roster. A failure (a
/// configured policy that denies a demo champion, say) is reported and the
/// demo stays usable without it.
async fn sign(
    registry: Arc<dyn Registry>,
    config: &Config,
    roster: &Path,
    seed: u64,
    out: &mut Out,
) -> Result<()> {
    let mut config = config.clone();
    config.roster = Some(roster.to_owned());
    let service = ReviewService::new(registry.clone(), config);
    // Over HTTP this takes a while (about 10 s on a local MLflow server).
    out.line("Signing the history of the production versions with the demo keys…")?;
    out.flush()?;
    match sign_history(
        &service,
        registry.as_ref(),
        &model_names(),
        seed,
        super::now_ms(),
    )
    .await
    {
        Ok(h) => {
            for why in &h.skipped {
                eprintln!(
                    "warning: a demo production version carries no signed history: {}",
                    crate::text::sanitize_line(why)
                );
            }
            Ok(out.line(&format!(
                "Signed history: {} versions submitted, approved and promoted, the production ones last; {} past rejections and requests for changes with their categories ({} records).",
                h.promoted, h.decided, h.records
            ))?)
        }
        Err(e) => {
            eprintln!(
                "warning: the demo's production versions carry no signed history: {}",
                crate::text::sanitize_line(&format!("{e:#}"))
            );
            Ok(())
        }
    }
}
