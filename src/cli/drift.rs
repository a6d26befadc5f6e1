//! `modelgate drift MODEL VERSION --report FILE`: a monitoring job's drift
//! report on a version, judged by the configured bundle's `modelgate.drift`
//! package (PROTOCOL 16). With `--apply` and drift, a signed `reopen`.
//!
//! Exit codes: 0 no drift, 1 drift, 2 no verdict (the report cannot be read,
//! a method is unknown, the policy or the review fails; nothing is written).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::output::{Cell, Out, Paint, table};
use crate::config::Config;
use crate::service::ReviewService;
use crate::service::decide::{Outcome, Refused, Signer};
use crate::service::drift::DriftVerdict;
use crate::text::{sanitize, sanitize_line};
use crate::trust::record::Action;

#[derive(Debug, Args)]
pub struct DriftArgs {
    pub model: String,
    pub version: String,
    /// The drift report: an Evidently 0.7 snapshot or modelgate's own JSON.
    #[arg(long, value_name = "FILE")]
    pub report: PathBuf,
    /// With drift, sign a `reopen` (trigger drift) with your identity and key.
    #[arg(long)]
    pub apply: bool,
    /// Print JSON for scripts.
    #[arg(long)]
    pub json: bool,
}

/// Exit code when no verdict can be given.
const NO_VERDICT: u8 = 2;

/// `--json`: the verdict and what it rests on.
#[derive(Serialize)]
struct JsonVerdict<'a> {
    verdict: &'static str,
    model: &'a str,
    version: &'a str,
    risk: crate::review::risk::Risk,
    share_drifted: f64,
    drifted: &'a [String],
    features: &'a std::collections::BTreeMap<String, crate::review::reports::DriftFeature>,
    window: Option<&'a crate::review::reports::DriftWindow>,
    format: &'static str,
    critical_columns: &'a [String],
    deny: &'a [String],
    warn: &'a [String],
    notes: &'a [String],
    report_digest: &'a str,
    policy: &'a str,
    /// `--apply`: the reopen signed (or found already signed); null otherwise.
    applied: Option<serde_json::Value>,
}

pub async fn run(args: DriftArgs, config: &Config, out: &mut Out) -> Result<ExitCode> {
    if args.apply && config.readonly {
        return no_verdict(
            "--readonly is set: --apply signs a reopen record",
            &args,
            out,
        );
    }
    let signer = if args.apply {
        match super::decide::signer(config) {
            Ok(s) => Some(s),
            Err(e) => {
                return no_verdict(&format!("--apply needs a signing key: {e:#}"), &args, out);
            }
        }
    } else {
        None
    };
    // The same reading, and limit, as `modelgate reopen --report`.
    let bytes = match super::reopen::read_report(&args.report) {
        Ok(b) => b,
        Err(e) => return no_verdict(&format!("{e:#}"), &args, out),
    };
    let service = match super::open_service(config).await {
        Ok(s) => s,
        Err(e) => return no_verdict(&format!("{e:#}"), &args, out),
    };
    let file = args.report.display().to_string();
    let verdict = match service
        .drift(&args.model, &args.version, &file, &bytes, super::now_ms())
        .await
    {
        Ok(v) => v,
        Err(e) => return no_verdict(&e.to_string(), &args, out),
    };
    let applied = match (&signer, verdict.drifted()) {
        (Some(signer), true) => match apply(&service, &verdict, signer, &args).await {
            Ok(o) => Some((o, signer)),
            Err(e) => {
                // The verdict stands; what failed is the reopen, said on
                // stderr (and in `applied` for scripts).
                if args.json {
                    let why = match &e {
                        Refused::Unfinished(u) => serde_json::to_value(u)?,
                        other => serde_json::json!({"error": other.to_string()}),
                    };
                    out.json(&json_verdict(&verdict, Some(why)))?;
                } else {
                    print(&verdict, out)?;
                }
                out.flush()?;
                return super::decide::failed(e, false, out);
            }
        },
        _ => None,
    };
    if args.json {
        let outcome = applied
            .as_ref()
            .map(|(o, _)| serde_json::to_value(o))
            .transpose()?;
        out.json(&json_verdict(&verdict, outcome))?;
    } else {
        print(&verdict, out)?;
        if args.apply && !verdict.drifted() {
            out.line("  --apply: no drift, nothing to reopen; nothing was written")?;
        }
        if let Some((o, signer)) = &applied {
            let lines =
                super::decide::outcome_lines(Action::Reopen, &args.model, &args.version, signer, o);
            for line in lines {
                out.line(&format!("  {line}"))?;
            }
        }
    }
    out.flush()?;
    Ok(if verdict.drifted() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The reopen `--apply` signs: trigger drift, the deny messages as the
/// reason, the report's digest and summary. The decide service finds a
/// reopen already signed for the same report in the round and writes nothing.
async fn apply(
    service: &ReviewService,
    verdict: &DriftVerdict,
    signer: &Signer,
    args: &DriftArgs,
) -> Result<Outcome, Refused> {
    service
        .decide(
            &args.model,
            &args.version,
            &verdict.reopen(),
            signer,
            super::now_ms(),
        )
        .await
}

fn json_verdict(v: &DriftVerdict, applied: Option<serde_json::Value>) -> JsonVerdict<'_> {
    JsonVerdict {
        verdict: v.verdict,
        model: &v.model,
        version: &v.version,
        risk: v.risk,
        share_drifted: v.share_drifted,
        drifted: &v.report.drifted,
        features: &v.report.features,
        window: v.report.window.as_ref(),
        format: v.report.format.as_str(),
        critical_columns: &v.critical_columns,
        deny: &v.deny,
        warn: &v.warn,
        notes: &v.report.notes,
        report_digest: &v.report_digest,
        policy: &v.policy,
        applied,
    }
}

/// The verdict, each drifted column with method, score and threshold, the
/// deny messages. Report text is untrusted: every piece is sanitised.
fn print(v: &DriftVerdict, out: &mut Out) -> std::io::Result<()> {
    let r = &v.report;
    let head = format!(
        "{} version {}   risk {}   {}",
        sanitize_line(&v.model),
        sanitize_line(&v.version),
        v.risk,
        if v.drifted() {
            format!(
                "✖ drift: {} of {} columns drifted ({:.1}%)",
                r.drifted.len(),
                r.features.len(),
                v.share_drifted * 100.0
            )
        } else {
            format!(
                "● no drift: {} of {} columns drifted ({:.1}%)",
                r.drifted.len(),
                r.features.len(),
                v.share_drifted * 100.0
            )
        }
    );
    let paint = if v.drifted() {
        Paint::Red
    } else {
        Paint::Green
    };
    let l = out.paint(&head, paint);
    out.line(&l)?;
    if !r.drifted.is_empty() {
        let rows = r
            .drifted
            .iter()
            .filter_map(|name| r.features.get(name).map(|f| (name, f)))
            .map(|(name, f)| {
                vec![
                    Cell::new(&format!("  {name}")),
                    Cell::new(&f.method),
                    Cell::new(&number(f.score)),
                    Cell::new(&f.threshold.to_string()),
                ]
            })
            .collect();
        table(out, &["  drifted", "method", "score", "threshold"], rows)?;
    }
    for d in &v.deny {
        let l = out.paint(&format!("  ✖ deny  {}", sanitize_line(d)), Paint::Red);
        out.line(&l)?;
    }
    for w in &v.warn {
        let l = out.paint(&format!("  ▲ warn  {}", sanitize_line(w)), Paint::Yellow);
        out.line(&l)?;
    }
    for n in &r.notes {
        out.line(&format!("  note: {}", sanitize_line(n)))?;
    }
    if let Some(w) = &r.window {
        out.line(&format!(
            "  window {} .. {}",
            sanitize_line(&w.start),
            sanitize_line(&w.end)
        ))?;
    }
    out.line(&format!(
        "  report {} ({})   policy {}",
        v.report_digest,
        r.format.as_str(),
        v.policy
    ))
}

/// A score for people: four decimals, or three significant digits in
/// exponent form when smaller (a p-value of 5e-11 is not "0.0000").
fn number(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-3 {
        return format!("{x:.2e}");
    }
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0');
    s.strip_suffix('.').unwrap_or(s).to_owned()
}

fn no_verdict(message: &str, args: &DriftArgs, out: &mut Out) -> Result<ExitCode> {
    if args.json {
        out.json(&serde_json::json!({"verdict": null, "error": message}))?;
        out.flush()?;
    }
    eprintln!(
        "error: {}\nno drift verdict; nothing was written",
        sanitize(message)
    );
    Ok(ExitCode::from(NO_VERDICT))
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn scores_read_short_and_keep_tiny_p_values() {
        assert_eq!(number(5.192824619177708e-11), "5.19e-11");
        assert_eq!(number(0.021397690647543093), "0.0214");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(12.0), "12");
    }
}
