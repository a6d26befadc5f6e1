//! `modelgate audit`, `audit verify`, `audit checkpoint`, `audit export`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};

use super::output::{Cell, Out, Paint, table};
use crate::config::Config;
use crate::service::audit::AuditFilter;
use crate::service::records::RecordView;
use crate::text::sanitize_line;
use crate::trust::record;

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    /// Only this model.
    #[arg(long)]
    pub model: Option<String>,
    /// Only records by this roster id.
    #[arg(long)]
    pub actor: Option<String>,
    /// Only this action (approve, reject, ...).
    #[arg(long)]
    pub action: Option<String>,
    /// Only rejects and change requests of this category (`uncategorized`: those without one).
    #[arg(long, value_name = "C")]
    pub category: Option<String>,
    /// Only records claiming this time or later (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every record of every version; exit 0 clean, 1 policy findings, 2 integrity findings.
    Verify(VerifyArgs),
    /// Export records for auditors: JSON lines, CSV, or files `ssh-keygen -Y verify` checks.
    Export(ExportArgs),
    /// Sign a `checkpoint` record on every version with records, covering them all.
    Checkpoint(CheckpointArgs),
}

#[derive(Debug, Args)]
pub struct CheckpointArgs {
    #[arg(long)]
    pub model: Option<String>,
    /// The role to sign in (default: one you hold).
    #[arg(long)]
    pub role: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[arg(long)]
    pub model: Option<String>,
    /// A checkpoint kept elsewhere (a CI artifact): records it lists must still exist.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Legacy versions (approved before modelgate) count as findings too.
    #[arg(long)]
    pub strict: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub format: Format,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write records, signatures, allowed_signers, evidence and verify.sh into DIR.
    #[arg(long = "ssh-keygen", value_name = "DIR", conflicts_with_all = ["out"])]
    pub ssh_keygen: Option<PathBuf>,
    #[arg(long)]
    pub model: Option<String>,
}

pub async fn run(args: AuditArgs, config: &Config, out: &mut Out) -> Result<ExitCode> {
    let service = super::open_service(config).await?;
    match args.command {
        None => {
            let filter = AuditFilter {
                model: args.model,
                actor: args.actor,
                action: args.action,
                category: args.category,
                since: args.since,
            };
            let records = service.audit_records(&filter, super::now_ms()).await?;
            if args.json {
                out.json(&records)?;
            } else {
                print_records(&records, out)?;
            }
        }
        Some(AuditCommand::Verify(v)) => {
            let report = service
                .verify(
                    v.model.as_deref(),
                    v.checkpoint.as_deref(),
                    v.strict,
                    super::now_ms(),
                )
                .await?;
            if v.json {
                out.json(&report)?;
            } else {
                out.line(&format!(
                    "registry {}: {} versions, {} records, {} invalid, {} legacy",
                    sanitize_line(&report.registry),
                    report.versions,
                    report.records,
                    report.invalid,
                    report.legacy.len()
                ))?;
                for f in &report.findings {
                    let (glyph, paint) = match f.severity {
                        crate::trust::audit::Severity::Integrity => ("✖ integrity", Paint::Red),
                        crate::trust::audit::Severity::Policy => ("▲ policy", Paint::Yellow),
                        crate::trust::audit::Severity::Info => ("· info", Paint::Dim),
                    };
                    let at = if f.model.is_empty() {
                        String::new()
                    } else {
                        format!("{} version {}: ", f.model, f.version)
                    };
                    let rec = f
                        .record
                        .as_deref()
                        .map(|r| format!("record {}: ", crate::text::short_id(r)))
                        .unwrap_or_default();
                    let line = out.paint(
                        &format!(
                            "{glyph}  {}",
                            sanitize_line(&format!("{at}{rec}{}", f.message))
                        ),
                        paint,
                    );
                    out.line(&line)?;
                }
                out.line(&report.note)?;
                out.line(&format!("exit {}", report.exit_code))?;
            }
            out.flush()?;
            return Ok(ExitCode::from(report.exit_code));
        }
        Some(AuditCommand::Checkpoint(c)) => {
            if config.readonly {
                bail!("--readonly is set: audit checkpoint writes signed records");
            }
            let signer = super::decide::signer(config)?;
            let scanned = service.scan(c.model.as_deref()).await?;
            let decision = crate::service::decide::Decision {
                role: c.role.clone(),
                ..crate::service::decide::Decision::new(crate::trust::record::Action::Checkpoint)
            };
            let mut n = 0;
            for (v, _) in scanned
                .versions
                .iter()
                .filter(|(_, ch)| ch.iter().any(|x| x.valid()))
            {
                let o = service
                    .decide(&v.name, &v.version, &decision, &signer, super::now_ms())
                    .await
                    .map_err(|e| anyhow!("{} version {}: {e}", v.name, v.version))?;
                out.line(&format!(
                    "{} version {}: checkpoint {}",
                    sanitize_line(&v.name),
                    sanitize_line(&v.version),
                    o.id
                ))?;
                n += 1;
            }
            out.line(&format!("{n} checkpoint records signed"))?;
        }
        Some(AuditCommand::Export(e)) => {
            let records = service
                .audit_records(
                    &AuditFilter {
                        model: e.model.clone(),
                        ..Default::default()
                    },
                    super::now_ms(),
                )
                .await?;
            match &e.ssh_keygen {
                Some(dir) => {
                    let roster = super::keys::load_roster(config)?;
                    let scanned = service.scan(e.model.as_deref()).await?;
                    let n = export_ssh_keygen(dir, &records, &roster, &scanned)?;
                    let invalid = records.iter().filter(|r| !r.valid).count();
                    out.line(&format!(
                        "{n} records exported ({invalid} of them invalid by modelgate's verdict) to {}; run {}/verify.sh",
                        dir.display(),
                        dir.display()
                    ))?;
                }
                None => {
                    let text = match e.format {
                        Format::Jsonl => jsonl(&records)?,
                        Format::Csv => csv(&records),
                    };
                    match &e.out {
                        Some(p) => std::fs::write(p, text)
                            .with_context(|| format!("cannot write {}", p.display()))?,
                        None => out.line(text.trim_end())?,
                    }
                }
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn print_records(records: &[RecordView], out: &mut Out) -> Result<()> {
    if records.is_empty() {
        out.line("No signed records match.")?;
        return Ok(());
    }
    let rows = records
        .iter()
        .map(|r| {
            let valid = if r.valid {
                Cell::painted("✓ valid", Paint::Green)
            } else {
                Cell::painted("✖ invalid", Paint::Red)
            };
            vec![
                valid,
                Cell::new(r.at.as_deref().unwrap_or("?")),
                Cell::new(&r.model),
                Cell::new(&r.version),
                Cell::new(r.action.as_deref().unwrap_or("?")),
                Cell::new(r.actor.as_deref().unwrap_or("?")),
                Cell::new(r.role.as_deref().unwrap_or("?")),
                Cell::new(&crate::text::short_id(&r.id)),
                Cell::new(&r.decision_notes().join("; ")),
                Cell::new(&r.findings.join("; ")),
            ]
        })
        .collect();
    table(
        out,
        &[
            "VALID", "AT", "MODEL", "VER", "ACTION", "ACTOR", "ROLE", "ID", "DECISION", "FINDINGS",
        ],
        rows,
    )?;
    Ok(())
}

fn jsonl(records: &[RecordView]) -> Result<String> {
    let mut s = String::new();
    for r in records {
        s.push_str(&serde_json::to_string(r)?);
        s.push('\n');
    }
    Ok(s)
}

/// RFC 4180 quoting of registry text, defused as OWASP's CSV-injection
/// guidance says: control characters (ESC, BEL, CR, BS, tab, newline, ...)
/// never reach the file or a terminal showing it, and a cell that would start
/// with `=`, `+`, `-` or `@` (after any blanks) gets a leading `'` so that a
/// spreadsheet shows it as text instead of running it as a formula.
fn csv_cell(s: &str) -> String {
    let clean = crate::text::sanitize_line(s);
    let s = if clean.trim_start().starts_with(['=', '+', '-', '@']) {
        format!("'{clean}")
    } else {
        clean.into_owned()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn csv(records: &[RecordView]) -> String {
    let mut s =
        String::from("id,model,version,action,actor,role,at,valid,category,checklist,findings\n");
    for r in records {
        let checklist = r
            .checklist
            .as_ref()
            .map(|c| format!("{} {}", c.id, c.answers_text()))
            .unwrap_or_default();
        let cells = [
            r.id.as_str(),
            &r.model,
            &r.version,
            r.action.as_deref().unwrap_or(""),
            r.actor.as_deref().unwrap_or(""),
            r.role.as_deref().unwrap_or(""),
            r.at.as_deref().unwrap_or(""),
            if r.valid { "true" } else { "false" },
            r.category.as_deref().unwrap_or(""),
            &checklist,
            &r.findings.join("; "),
        ];
        s.push_str(
            &cells
                .iter()
                .map(|c| csv_cell(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        s.push('\n');
    }
    s
}

const VERIFY_SH: &str = r#"#!/bin/sh
# Verifies every exported modelgate record with OpenSSH and coreutils only
# (PROTOCOL 12): each file's name is the SHA-256 of its signed bytes, and its
# signature verifies for the record's own actor in allowed_signers, in
# namespace modelgate, at the time the record claims. verdicts holds
# modelgate's own verdict on every record (verdicts.jsonl says why): a record
# modelgate found invalid fails here too, whatever ssh-keygen says of it.
# This script holds no text taken from records, and prints none.
set -u
cd "$(dirname "$0")" || exit 2
fail=0
count=0
[ -f verdicts ] || { echo "FAIL verdicts: the file is missing"; exit 2; }
while read -r name verdict rest; do
  case "$name" in
    ''|*[!0-9a-z-]*) echo "FAIL verdicts: a malformed line"; fail=1; continue ;;
  esac
  count=$((count + 1))
  f="records/$name.json"
  case "$verdict" in
    valid) ;;
    invalid) echo "FAIL $name: modelgate found this record invalid (see verdicts.jsonl)"; fail=1 ;;
    *) echo "FAIL $name: no verdict"; fail=1 ;;
  esac
  if [ ! -e "$f" ]; then
    if [ "$verdict" = valid ]; then echo "FAIL $name: the record file is missing"; fail=1; fi
    continue
  fi
  sum=$(sha256sum "$f" | cut -d ' ' -f 1)
  if [ "$sum" != "$name" ]; then echo "FAIL $name: content does not match its name"; fail=1; continue; fi
  actor=$(cat "records/$name.actor" 2>/dev/null)
  when=$(cat "records/$name.time" 2>/dev/null)
  if [ -z "$actor" ] || [ -z "$when" ]; then echo "FAIL $name: its actor or time is missing"; fail=1; continue; fi
  if ssh-keygen -Y verify -f allowed_signers -I "$actor" -n modelgate -s "$f.sig" -Overify-time="$when" < "$f" >/dev/null 2>&1; then
    if [ "$verdict" = valid ]; then echo "ok   $name"; fi
  else
    echo "FAIL $name: the signature does not verify as its actor's"; fail=1
  fi
done < verdicts
for f in records/*.json; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .json)
  case "$name" in
    ''|*[!0-9a-f]*) echo "FAIL records: a file that modelgate did not write"; fail=1; continue ;;
  esac
  if ! grep -q -F -x -e "$name valid" -e "$name invalid" verdicts; then
    echo "FAIL $name: a record with no verdict from modelgate"; fail=1
  fi
done
echo "$count records checked"
exit $fail
"#;

/// The name a record goes by in the export: its id when that is a record id,
/// else `key-` and the SHA-256 of the tag key's tail (never tag text).
fn export_name(id: &str) -> String {
    let is_id = id.len() == 64
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if is_id {
        id.to_owned()
    } else {
        format!("key-{}", record::hex_sha256(id.as_bytes()))
    }
}

/// Writes the ssh-keygen bundle; returns how many records have a verdict.
/// Every file name is computed here (a record's hash, an evidence digest's
/// hex), never taken from tag text. Every record gets modelgate's verdict;
/// only records whose content matches their id, with a signature, a time
/// and a plain actor, get files for ssh-keygen.
fn export_ssh_keygen(
    dir: &Path,
    records: &[RecordView],
    roster: &crate::trust::roster::Roster,
    scanned: &crate::service::audit::Scanned,
) -> Result<usize> {
    let recdir = dir.join("records");
    let evdir = dir.join("evidence");
    std::fs::create_dir_all(&recdir)
        .with_context(|| format!("cannot create {}", recdir.display()))?;
    std::fs::create_dir_all(&evdir)
        .with_context(|| format!("cannot create {}", evdir.display()))?;
    std::fs::write(
        dir.join("allowed_signers"),
        roster.allowed_signers().map_err(|e| anyhow!(e))?,
    )?;
    let mut verdicts = String::new();
    let mut reasons = String::new();
    for r in records {
        let name = export_name(&r.id);
        verdicts.push_str(&format!(
            "{name} {}\n",
            if r.valid { "valid" } else { "invalid" }
        ));
        reasons.push_str(&serde_json::to_string(&serde_json::json!({
            "name": name, "id": r.id, "model": r.model, "version": r.version,
            "valid": r.valid, "findings": r.findings,
        }))?);
        reasons.push('\n');
        let Some(fields) = &r.record else { continue };
        let Ok(bytes) = record::signed_bytes(fields) else {
            continue;
        };
        if record::hex_sha256(&bytes) != name {
            continue;
        }
        let (Some(sig), Some(at), Some(actor)) = (
            fields.get("sig").and_then(|s| s.as_str()),
            r.at.as_deref().and_then(record::parse_at),
            r.actor
                .as_deref()
                .filter(|a| crate::trust::roster::is_plain_id(a)),
        ) else {
            continue;
        };
        std::fs::write(recdir.join(format!("{name}.json")), &bytes)?;
        std::fs::write(recdir.join(format!("{name}.json.sig")), sig)?;
        std::fs::write(
            recdir.join(format!("{name}.time")),
            at.format("%Y%m%d%H%M%S").to_string(),
        )?;
        std::fs::write(recdir.join(format!("{name}.actor")), actor)?;
    }
    std::fs::write(dir.join("verdicts"), verdicts)?;
    std::fs::write(dir.join("verdicts.jsonl"), reasons)?;
    for (v, _) in &scanned.versions {
        for (k, value) in v
            .tags
            .iter()
            .filter(|(k, _)| k.starts_with("modelgate.evidence."))
        {
            let hex = record::hex_sha256(value.as_bytes());
            if k.trim_start_matches("modelgate.evidence.") == hex {
                std::fs::write(evdir.join(format!("{hex}.json")), value)?;
            }
        }
    }
    let script = dir.join("verify.sh");
    std::fs::write(&script, VERIFY_SH)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(records.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_cell("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_cell("=SUM(A1)"), "\"'=SUM(A1)\"");
        assert_eq!(csv_cell("line\nbreak"), "\"line break\"");
        assert_eq!(
            csv_cell("\t=1"),
            "\"' =1\"",
            "a tab is a blank, then a formula"
        );
        assert_eq!(csv_cell("\tx=1"), "\" x=1\"");
        assert_eq!(csv_cell("\r=1"), "\"^M=1\"");
        assert_eq!(csv_cell(" @SUM(A1)"), "\"' @SUM(A1)\"");
        assert_eq!(csv_cell("+1"), "\"'+1\"");
        assert_eq!(csv_cell("-1"), "\"'-1\"");
        let evil = csv_cell("a\x1b]0;t\x07\x08\x1b[2J");
        assert!(!evil.contains(['\x1b', '\x07', '\x08']), "{evil}");
    }
}
