//! `modelgate keys init|show` and `modelgate roster allowed-signers`.

use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use clap::{Args, Subcommand};

use super::output::Out;
use crate::config::Config;
use crate::trust::keys;
use crate::trust::roster::Roster;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new Ed25519 signing key (kept in the file named by --key-file).
    Init(KeysArgs),
    /// Print the public key and its fingerprint, ready for the roster.
    Show(KeysArgs),
}

#[derive(Debug, Args)]
pub struct KeysArgs {
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RosterCommand {
    /// Print the roster as an OpenSSH allowed_signers file (for `ssh-keygen -Y verify`).
    AllowedSigners,
}

fn print_key(key: &ssh_key::PrivateKey, config: &Config, json: bool, out: &mut Out) -> Result<()> {
    let public = keys::public_line(key).map_err(|e| anyhow!(e))?;
    let fingerprint = keys::fingerprint(key);
    if json {
        out.json(&serde_json::json!({"public_key": public, "fingerprint": fingerprint}))?;
    } else {
        out.line(&public)?;
        out.line(&fingerprint)?;
        out.line("")?;
        out.line("Roster entry (add it to the roster kept outside the registry):")?;
        let id = config.identity.as_deref().unwrap_or("you@example.com");
        out.line(&format!(
            "[[reviewer]]\nid = \"{}\"\nroles = [\"validator\"]\nkeys = [{{ key = \"{public}\", valid_after = \"{}\" }}]",
            crate::text::sanitize_line(id),
            chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
        ))?;
    }
    Ok(())
}

pub async fn run(cmd: KeysCommand, config: &Config, out: &mut Out) -> Result<ExitCode> {
    match cmd {
        KeysCommand::Init(a) => {
            if config.readonly {
                bail!("--readonly is set: keys init writes a key");
            }
            let key = keys::generate().map_err(|e| anyhow!(e))?;
            match (&config.key_file, &config.identity) {
                (Some(path), _) => {
                    keys::write_key_file(path, &key).map_err(|e| anyhow!(e))?;
                    if !a.json {
                        out.line(&format!(
                            "New Ed25519 key in {} (mode 0600).",
                            path.display()
                        ))?;
                    }
                }
                (None, Some(id)) => {
                    keys::store_in_keyring(id, &key).map_err(|e| anyhow!(e))?;
                    if !a.json {
                        out.line(&format!(
                            "New Ed25519 key for {} in the OS keyring.",
                            crate::text::sanitize_line(id)
                        ))?;
                    }
                }
                (None, None) => bail!(
                    "say where the key goes: --identity ID keeps it in the OS keyring, --key-file PATH in a file readable only by you"
                ),
            }
            print_key(&key, config, a.json, out)?;
        }
        KeysCommand::Show(a) => {
            let key =
                keys::load_signing_key(config.identity.as_deref(), config.key_file.as_deref())
                    .map_err(|e| anyhow!(e))?;
            print_key(&key, config, a.json, out)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

pub fn load_roster(config: &Config) -> Result<Roster> {
    let path = config.roster.as_deref().ok_or_else(|| {
        anyhow!("no roster: pass --roster FILE or set roster in config.toml (the demo's is demo-roster/roster.toml beside demo.db)")
    })?;
    Roster::load(path).map_err(|e| anyhow!(e))
}

pub async fn run_roster(cmd: RosterCommand, config: &Config, out: &mut Out) -> Result<ExitCode> {
    match cmd {
        RosterCommand::AllowedSigners => {
            let roster = load_roster(config)?;
            let text = roster.allowed_signers().map_err(|e| anyhow!(e))?;
            out.line(text.trim_end())?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
