//! `modelgate login`, and opening an MLflow server with the credentials MLflow
//! users already have: `MLFLOW_TRACKING_TOKEN`, `MLFLOW_TRACKING_USERNAME` /
//! `MLFLOW_TRACKING_PASSWORD`, or the token `login` stored in the OS keyring.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::output::Out;
use crate::config::Config;
use crate::registry::RegistryError;
use crate::registry::mlflow::auth::{self, Credentials, Secret};
use crate::registry::mlflow::{MlflowOptions, MlflowRegistry, parse_uri, registry_id_for};

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Store the token without checking it against the server first.
    #[arg(long)]
    pub no_verify: bool,
}

/// The tracking URI: `--uri`, the profile's `uri`, else `MLFLOW_TRACKING_URI`.
fn tracking_uri(config: &Config, given: Option<&str>) -> Result<String> {
    match given.map(str::to_owned).or_else(|| config.uri.clone()) {
        Some(u) if !u.trim().is_empty() => Ok(u),
        _ => bail!(
            "no MLflow server given; pass --uri URL, set `uri` in the profile, or set MLFLOW_TRACKING_URI"
        ),
    }
}

/// The keyring entry of a server: its normalised URI, so that `http://h:5000/`
/// and `http://h:5000` share one token.
fn keyring_key(uri: &str) -> Result<String> {
    Ok(registry_id_for(&parse_uri(uri)?.0))
}

/// Opens the MLflow server of `config` (or `uri`), with credentials from the
/// environment or the keyring, and the `[mlflow]` settings.
pub async fn open_mlflow(config: &Config, uri: Option<&str>) -> Result<MlflowRegistry> {
    let uri = tracking_uri(config, uri)?;
    let mut opts = MlflowOptions::new(uri.clone()).with_env();
    config.mlflow.apply(&mut opts);
    opts.registry_id = config.registry_id.clone();
    if opts.credentials.is_none()
        && let Ok(key) = keyring_key(&uri)
        && let Some(token) = auth::stored_token(&key).await
    {
        opts.credentials = Credentials::Bearer(token);
        opts.http.credential_source = auth::CredentialSource::Keyring;
    }
    let registry = MlflowRegistry::new(opts)?;
    static WARNED: std::sync::Once = std::sync::Once::new();
    if config.registry_id.is_none() {
        use crate::registry::Registry;
        // PROTOCOL 2: every client must bind records to the same id.
        WARNED.call_once(|| {
            eprintln!(
                "warning: registry_id is not set; using `{}` (derived from the URI). Set registry_id in config.toml so that every client agrees on it.",
                crate::text::sanitize_line(registry.registry_id())
            )
        });
    }
    Ok(registry)
}

/// Reads the token: without echo on a terminal, else one line of standard input.
fn read_token(shown: &str) -> Result<Secret> {
    let stdin = std::io::stdin();
    let token = if stdin.is_terminal() {
        rpassword::prompt_password(format!(
            "MLflow token for {}: ",
            crate::text::sanitize_line(shown)
        ))
        .context("cannot read the token from the terminal")?
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the token from standard input")?;
        line
    };
    let token = token.trim();
    if token.is_empty() {
        bail!("no token given; type or pipe one (`echo \"$TOKEN\" | modelgate login --uri URL`)");
    }
    Ok(Secret::new(token))
}

pub async fn run(args: LoginArgs, config: &Config, out: &mut Out) -> Result<ExitCode> {
    let uri = tracking_uri(config, None)?;
    let (base, _) = parse_uri(&uri)?;
    let shown = base.as_str().trim_end_matches('/').to_owned();
    let key = registry_id_for(&base);
    // Say so before asking for a secret that cannot be kept.
    if let Err(why) = auth::keyring_available().await {
        bail!(
            "no OS keyring is available here ({why}), so modelgate cannot store a token; on a headless machine set MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, in the environment instead"
        );
    }
    let token = read_token(&shown)?;
    if !args.no_verify {
        // The TLS variables apply; the credentials are the token being stored.
        let mut opts = MlflowOptions::new(uri.clone()).with_env();
        config.mlflow.apply(&mut opts);
        opts.credentials = Credentials::Bearer(token.clone());
        opts.http.credential_source = auth::CredentialSource::Explicit;
        opts.registry_id = Some(key.clone());
        match MlflowRegistry::new(opts)?.check_access().await {
            Ok(()) => {}
            Err(RegistryError::Unauthorized { .. }) => bail!(
                "{shown} refused the token (HTTP 401/403); nothing was stored. Check the token, or pass --no-verify to store it anyway"
            ),
            Err(e) => {
                return Err(e).context(format!(
                    "cannot check the token against {shown}; nothing was stored (--no-verify stores it unchecked)"
                ));
            }
        }
    }
    if let Err(why) = auth::store_token(&key, &token).await {
        bail!(
            "the OS keyring refused the token ({why}); set MLFLOW_TRACKING_TOKEN in the environment instead"
        );
    }
    out.line(&format!(
        "Stored the token for {shown} in the OS keyring. modelgate uses it when MLFLOW_TRACKING_TOKEN and MLFLOW_TRACKING_USERNAME are not set."
    ))?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
