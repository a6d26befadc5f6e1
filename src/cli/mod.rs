//! The command line: global flags, subcommands, exit codes. One file per command.

mod audit;
mod checklist;
mod console;
mod decide;
mod demo;
mod deploy;
mod drift;
mod gate;
mod keys;
mod login;
pub mod output;
mod policy;
mod queue;
mod register;
mod reopen;
mod revalidate;
mod serve;
mod show;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{self, Config, Overrides, RegistryKind};
use crate::registry::Registry;
use crate::registry::local::LocalRegistry;
use crate::service::ReviewService;
use crate::trust::record::Action;
use output::Out;

#[derive(Debug, Parser)]
#[command(
    name = "modelgate",
    version,
    about = "Terminal review console for ML model approvals"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags accepted before or after the subcommand.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Registry kind: embedded (SQLite file) or mlflow.
    #[arg(long, global = true, value_name = "KIND")]
    pub registry: Option<String>,
    /// Embedded registry file.
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// MLflow tracking URI (default: MLFLOW_TRACKING_URI).
    #[arg(long, global = true, value_name = "URL")]
    pub uri: Option<String>,
    /// Profile from config.toml.
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Roster file of reviewers and their keys.
    #[arg(long, global = true, value_name = "FILE")]
    pub roster: Option<PathBuf>,
    /// Who you are in the roster.
    #[arg(long, global = true, value_name = "ID")]
    pub identity: Option<String>,
    /// OpenSSH Ed25519 private key file to sign with.
    #[arg(long, global = true, value_name = "PATH", env = "MODELGATE_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// Policy bundle directory.
    #[arg(long, global = true, value_name = "DIR")]
    pub policy: Option<PathBuf>,
    /// Act as a demo persona (ben, eli, fay, ...; `modelgate demo --as NAME`,
    /// `--profile demo --as NAME`): the demo registry only.
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub persona: Option<String>,
    /// Hide and refuse every action that writes.
    #[arg(long, global = true)]
    pub readonly: bool,
    /// Colour in human output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Draw the console's first frame and exit (the startup benchmark).
    #[arg(long, global = true, hide = true)]
    pub exit_after_first_frame: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a demo registry and open the review console on it.
    Demo(demo::DemoArgs),
    /// List reviews, sorted by SLA deadline.
    Queue(queue::QueueArgs),
    /// Show one review: metrics, schema, reports, evidence.
    Show(show::ShowArgs),
    /// Add a model version to the embedded registry.
    Register(register::RegisterArgs),
    /// Store an MLflow token in the OS keyring (--uri URL; the token is read from stdin).
    Login(login::LoginArgs),
    /// Evaluate the policy gates on one review: exit 0 pass, 1 deny, 2 no verdict.
    Gate(gate::GateArgs),
    /// Policy authoring: the input document, the bundle's tests, the default bundle.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Signing keys: make one, or show its public half for the roster.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// The roster of reviewers: export it for OpenSSH.
    #[command(subcommand)]
    Roster(keys::RosterCommand),
    /// Ask for review: a signed submit (role owner) opens a new review round.
    Submit(decide::DecideArgs),
    /// Approve a pending review in one of your roles.
    Approve(decide::DecideArgs),
    /// Reject a pending review (--reason required).
    Reject(decide::DecideArgs),
    /// Ask for changes to a pending review (--reason required).
    RequestChanges(decide::DecideArgs),
    /// Sign a comment on a review.
    Comment(decide::DecideArgs),
    /// Withdraw your own submission.
    Withdraw(decide::DecideArgs),
    /// Cancel your own approval (--reason required).
    Revoke(decide::DecideArgs),
    /// Waive named policy denies (role compliance; --waive MSG and --reason required).
    Override(decide::OverrideArgs),
    /// Reopen an approval for revalidation (--trigger T and --reason required).
    Reopen(reopen::ReopenArgs),
    /// Re-examine every approval (a scheduled job): exit 0 nothing due, 1 due or triggered, 2 cannot tell.
    Revalidate(revalidate::RevalidateArgs),
    /// The configured checklists and decision categories (PROTOCOL 13).
    #[command(subcommand)]
    Checklist(checklist::ChecklistCommand),
    /// Every signed record with its validity; `audit verify` checks integrity.
    Audit(audit::AuditArgs),
    /// May this version ship? Exit 0 approved, 1 not approved, 2 cannot tell.
    Check(deploy::CheckArgs),
    /// Move the production alias to an approved version (role owner or sre).
    Promote(deploy::PromoteArgs),
    /// Emergency: move the production alias back to an earlier version (role sre).
    Rollback(deploy::RollbackArgs),
    /// Ratify someone else's rollback (role sre or compliance).
    Ratify(deploy::RatifyArgs),
    /// Judge a monitoring job's drift report: exit 0 no drift, 1 drift, 2 no verdict (--apply reopens).
    Drift(drift::DriftArgs),
    /// The approval process in numbers: latency, gates, categories, rollbacks, audit, coverage, SLA.
    Stats(stats::StatsArgs),
    /// The figures in Prometheus's text format (--out FILE writes atomically).
    Metrics(stats::MetricsArgs),
    /// Serve the metrics over HTTP for Prometheus (/metrics, /healthz), refreshed in the background.
    Serve(serve::ServeArgs),
}

impl GlobalArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            profile: self.profile.clone(),
            registry: self.registry.clone(),
            db: self.db.clone(),
            uri: self.uri.clone(),
            roster: self.roster.clone(),
            identity: self.identity.clone(),
            key_file: self.key_file.clone(),
            policy: self.policy.clone(),
            readonly: self.readonly,
        }
    }
}

/// Opens the configured registry for reading and review.
pub async fn open_registry(config: &Config) -> Result<Arc<dyn Registry>> {
    match config.registry {
        RegistryKind::Embedded => {
            let reg = LocalRegistry::open(&config.db)?;
            Ok(Arc::new(reg))
        }
        RegistryKind::Mlflow => Ok(Arc::new(login::open_mlflow(config, None).await?)),
    }
}

pub async fn open_service(config: &Config) -> Result<ReviewService> {
    Ok(ReviewService::new(
        open_registry(config).await?,
        config.clone(),
    ))
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The configuration a command works from: the built-in demo profile for
/// `modelgate demo` and `--profile demo` (src/demo/config.rs), otherwise
/// config.toml with the flags; then the persona `--as` names, if any.
fn configure(cli: &Cli, over: &Overrides) -> Result<Config> {
    let file = config::read_default()?;
    let demo_command = matches!(&cli.command, Some(Command::Demo(_)));
    let profile = config::selected_profile(file.as_ref().map(|(_, f)| f), over);
    let mut config = if demo_command || profile.as_deref() == Some(config::DEMO_PROFILE) {
        crate::demo::config::resolve(file, over)?
    } else {
        Config::resolve(file, over)?
    };
    // `modelgate demo` creates the file (and checks one it reuses).
    if config.demo && !demo_command {
        check_demo_registry(&config.db)?;
    }
    if let Some(name) = &cli.global.persona {
        let on_mlflow = matches!(&cli.command, Some(Command::Demo(a)) if a.mlflow.is_some());
        if !config.demo || on_mlflow {
            anyhow::bail!(
                "--as picks a demo persona; it works only on the demo registry (`modelgate demo --as NAME`, `modelgate --profile demo --as NAME ...`). On this registry, set identity and key_file in config.toml (or pass --identity and --key-file)"
            );
        }
        if over.identity.is_some() {
            anyhow::bail!("--as and --identity both say who you are: give one of them");
        }
        let persona = crate::demo::personas::find(name, &crate::demo::roster_dir(&config.db))
            .map_err(anyhow::Error::msg)?;
        config.identity = Some(persona.id);
        config.key_file = Some(persona.key_file);
    }
    Ok(config)
}

/// The demo profile works only on a registry `modelgate demo` created: its
/// marker (`demo::config::PURPOSE`), written at creation, says so. Checked
/// before anything reads a key or writes.
fn check_demo_registry(db: &std::path::Path) -> Result<()> {
    if !db.exists() {
        anyhow::bail!(
            "there is no demo registry at {} yet: run `modelgate demo` first (it creates one)",
            db.display()
        );
    }
    if LocalRegistry::open(db)?.purpose() != Some(crate::demo::config::PURPOSE) {
        anyhow::bail!(
            "{} is not a registry `modelgate demo` created (it carries no demo marker): the demo profile and --as work only on the demo registry; `modelgate demo --reset` recreates the demo",
            db.display()
        );
    }
    Ok(())
}

async fn run(cli: Cli, out: &mut Out) -> Result<ExitCode> {
    let over = cli.global.overrides();
    console::set_exit_after_first_frame(cli.global.exit_after_first_frame);
    let config = configure(&cli, &over)?;
    // `audit` is the integrity check: it verifies every signature itself.
    let from_scratch = matches!(&cli.command, Some(Command::Audit(_)));
    if let (Some(path), false) = (&config.verification_cache, from_scratch)
        && let Err(e) = crate::trust::verified::load(path)
    {
        eprintln!("modelgate: {e}; records are verified in full");
    }
    let cache = config.verification_cache.clone();
    let code = run_command(cli, config, out).await;
    if let Some(path) = &cache {
        save_verified(path);
    }
    code
}

/// Keeps what this process verified for the next one; a cache that cannot
/// be written costs time only, and says so.
pub(crate) fn save_verified(path: &std::path::Path) {
    if let Err(e) = crate::trust::verified::save(path) {
        eprintln!("modelgate: the verification cache was not kept: {e}");
    }
}

async fn run_command(cli: Cli, config: Config, out: &mut Out) -> Result<ExitCode> {
    use crate::registry::mlflow::client::{Kind, command};
    // A command's MLflow requests share one deadline ([mlflow]
    // read_deadline_seconds, or write_deadline_seconds for commands that
    // sign): a slow server costs the command that long at most. The console
    // and the commands that fill a registry (demo, register) keep one
    // deadline per operation.
    let kind = match &cli.command {
        Some(Command::Queue(_) | Command::Show(_) | Command::Gate(_))
        | Some(Command::Audit(_) | Command::Check(_)) => Some(Kind::Read),
        Some(Command::Stats(_) | Command::Metrics(_)) => Some(Kind::Read),
        Some(Command::Drift(a)) if !a.apply => Some(Kind::Read),
        Some(
            Command::Submit(_)
            | Command::Approve(_)
            | Command::Reject(_)
            | Command::RequestChanges(_)
            | Command::Comment(_)
            | Command::Withdraw(_)
            | Command::Revoke(_)
            | Command::Override(_)
            | Command::Reopen(_)
            | Command::Promote(_)
            | Command::Rollback(_)
            | Command::Ratify(_)
            | Command::Drift(_),
        ) => Some(Kind::Write),
        _ => None,
    };
    match kind {
        Some(kind) => {
            let budget = config.mlflow.command_deadline(kind);
            command(kind, budget, dispatch(cli, config, out)).await
        }
        None => dispatch(cli, config, out).await,
    }
}

async fn dispatch(cli: Cli, config: Config, out: &mut Out) -> Result<ExitCode> {
    match cli.command {
        Some(Command::Demo(a)) => demo::run(a, &config, out).await,
        Some(Command::Queue(a)) => queue::run(a, &config, out).await,
        Some(Command::Show(a)) => show::run(a, &config, out).await,
        Some(Command::Register(a)) => register::run(a, &config, out).await,
        Some(Command::Login(a)) => login::run(a, &config, out).await,
        Some(Command::Gate(a)) => gate::run(a, &config, out).await,
        Some(Command::Policy(c)) => policy::run(c, &config, out).await,
        Some(Command::Keys(c)) => keys::run(c, &config, out).await,
        Some(Command::Roster(c)) => keys::run_roster(c, &config, out).await,
        Some(Command::Submit(a)) => decide::run(Action::Submit, a, Vec::new(), &config, out).await,
        Some(Command::Approve(a)) => {
            decide::run(Action::Approve, a, Vec::new(), &config, out).await
        }
        Some(Command::Reject(a)) => decide::run(Action::Reject, a, Vec::new(), &config, out).await,
        Some(Command::RequestChanges(a)) => {
            decide::run(Action::RequestChanges, a, Vec::new(), &config, out).await
        }
        Some(Command::Comment(a)) => {
            decide::run(Action::Comment, a, Vec::new(), &config, out).await
        }
        Some(Command::Withdraw(a)) => {
            decide::run(Action::Withdraw, a, Vec::new(), &config, out).await
        }
        Some(Command::Revoke(a)) => decide::run(Action::Revoke, a, Vec::new(), &config, out).await,
        Some(Command::Override(a)) => {
            decide::run(Action::Override, a.decide, a.waive, &config, out).await
        }
        Some(Command::Reopen(a)) => reopen::run(a, &config, out).await,
        // No command deadline: a batch job over every approved version; each
        // registry operation keeps its own.
        Some(Command::Revalidate(a)) => revalidate::run(a, &config, out).await,
        Some(Command::Checklist(c)) => checklist::run(c, &config, out).await,
        Some(Command::Audit(a)) => audit::run(a, &config, out).await,
        Some(Command::Check(a)) => deploy::check(a, &config, out).await,
        Some(Command::Promote(a)) => deploy::promote(a, &config, out).await,
        Some(Command::Rollback(a)) => deploy::rollback(a, &config, out).await,
        Some(Command::Ratify(a)) => deploy::ratify(a, &config, out).await,
        Some(Command::Drift(a)) => drift::run(a, &config, out).await,
        Some(Command::Stats(a)) => stats::run(a, &config, out).await,
        Some(Command::Metrics(a)) => stats::metrics(a, &config, out).await,
        // No command deadline: it runs until stopped; each refresh keeps a read's.
        Some(Command::Serve(a)) => serve::run(a, &config).await,
        // The console on a terminal; the queue as text for scripts and pipes.
        None => console::open(&config, out).await,
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut out = Out::stdout(cli.global.color);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        // The console's effects run on workers while its loop keeps the main thread.
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime");
    let result = runtime.and_then(|rt| rt.block_on(run(cli, &mut out)));
    match result {
        Ok(code) => code,
        // A closed pipe (`modelgate queue | head`) is the reader's choice, not a failure.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            // Errors may quote registry text: sanitise before the terminal sees it.
            eprintln!("error: {}", crate::text::sanitize(&format!("{e:#}")));
            ExitCode::from(1)
        }
    }
}
