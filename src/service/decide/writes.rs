//! The writes of one decision, driven to completion (PROTOCOL 4, 6, 9): every
//! tag write is idempotent (same key, same value), so a lost answer, a 500
//! after the write was applied, or two clients creating the same tag at once
//! is settled by reading the tag back. The review tag is then rewritten from
//! the state derived from every record until a read confirms it.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::{EVIDENCE_TAG_PREFIX, Outcome, Refused, VERSION_TAG_MAX};
use crate::review::evidence::canonical_json;

use crate::registry::RegistryError;
use crate::review::state::{ReviewState, TAG_REVIEW};
use crate::service::ReviewService;
use crate::trust::record::{Action, Checked};
use crate::trust::state::{Context, Derived};
use crate::trust::summary;

/// Tries per tag write, each followed by a read back when it fails.
const TAG_ATTEMPTS: u32 = 4;
/// Rounds of read, derive, rewrite for the review tag. Each round that
/// rewrites it follows a decision landing in between; two clients converge
/// on the same derived state, so a few rounds are enough.
const SETTLE_ROUNDS: u32 = 8;

/// What happened to one of a decision's writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Write {
    /// Written by this call (read back when the answer was lost or an error).
    Written,
    /// Already there with the right value: nothing written.
    Present,
    /// Not written: a write before it failed, or it failed and reads back absent.
    NotWritten,
    /// The write failed and could not be read back: it may or may not be there.
    Unknown,
    /// The evidence document is over the tag size limit (PROTOCOL 7).
    TooLarge,
}

impl Write {
    pub fn as_str(self) -> &'static str {
        match self {
            Write::Written => "written now",
            Write::Present => "already present",
            Write::NotWritten => "not written",
            Write::Unknown => "unknown (could not be read back)",
            Write::TooLarge => "not stored (over the tag size limit)",
        }
    }
}

/// The three writes of a decision, in the order they are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Writes {
    pub evidence_tag: Write,
    pub record: Write,
    pub review_tag: Write,
}

impl Default for Writes {
    fn default() -> Self {
        Writes {
            evidence_tag: Write::NotWritten,
            record: Write::NotWritten,
            review_tag: Write::NotWritten,
        }
    }
}

impl Writes {
    /// `evidence tag: written now; record: already present; review tag: ...`.
    pub fn describe(&self) -> String {
        format!(
            "evidence tag: {}; record: {}; review tag: {}",
            self.evidence_tag.as_str(),
            self.record.as_str(),
            self.review_tag.as_str()
        )
    }

    /// Something of this decision may be in the registry.
    pub fn any(&self) -> bool {
        [self.evidence_tag, self.record, self.review_tag]
            .iter()
            .any(|w| matches!(w, Write::Written | Write::Present | Write::Unknown))
    }
}

/// A decision signed but not carried to its end: what is in the registry,
/// what failed, and that running the same command again finishes it.
#[derive(Debug, Clone, Serialize)]
pub struct Unfinished {
    pub complete: bool,
    pub action: Action,
    pub model: String,
    pub version: String,
    /// The signed record's id.
    pub id: String,
    pub writes: Writes,
    pub error: String,
}

impl Unfinished {
    /// The refusal of a decision on `model` `version` whose record `id` is
    /// signed, after `writes`, with the `error` that stopped it.
    pub fn refused(
        action: Action,
        model: &str,
        version: &str,
        id: &str,
        writes: Writes,
        error: String,
    ) -> Refused {
        Refused::Unfinished(Box::new(Unfinished {
            complete: false,
            action,
            model: model.to_owned(),
            version: version.to_owned(),
            id: id.to_owned(),
            writes,
            error,
        }))
    }
}

/// A failed write, and whether a read back showed it absent.
pub struct TagFailure {
    pub error: RegistryError,
    /// `Write::NotWritten` when read back absent, `Write::Unknown` when the
    /// read failed too.
    pub write: Write,
}

/// Errors worth another try: the server or the network, or a 400 that is a
/// database constraint race (MLflow answers two concurrent creates of one
/// tag with a raw `IntegrityError`).
fn retryable(e: &RegistryError) -> bool {
    matches!(
        e,
        RegistryError::Unavailable { .. }
            | RegistryError::Conflict { .. }
            | RegistryError::InvalidRequest { .. }
            | RegistryError::InvalidResponse { .. }
    )
}

impl ReviewService {
    /// Sets a version tag so that afterwards it holds `value`: an error is
    /// success when the tag reads back with this value.
    pub(crate) async fn put_tag(
        &self,
        model: &str,
        version: &str,
        key: &str,
        value: &str,
    ) -> Result<(), TagFailure> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let error = match self
                .registry
                .set_version_tag(model, version, key, value)
                .await
            {
                Ok(()) => return Ok(()),
                Err(e) => e,
            };
            let read = self.registry.get_version(model, version).await;
            if let Ok(v) = &read
                && v.tags.get(key).map(String::as_str) == Some(value)
            {
                return Ok(());
            }
            if attempt >= TAG_ATTEMPTS || !retryable(&error) {
                let write = if read.is_ok() {
                    Write::NotWritten
                } else {
                    Write::Unknown
                };
                return Err(TagFailure { error, write });
            }
            tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
        }
    }

    /// Reads the version, derives its state from every record, and rewrites
    /// the review tag while it differs; the state of the last read and
    /// whether this call wrote the tag.
    pub(crate) async fn settle_review_tag(
        &self,
        model: &str,
        version: &str,
        ctx: &Context<'_>,
    ) -> Result<Settled, TagFailure> {
        let mut wrote = false;
        for _ in 0..SETTLE_ROUNDS {
            let v = self
                .registry
                .get_version(model, version)
                .await
                .map_err(|error| TagFailure {
                    error,
                    write: if wrote {
                        Write::Unknown
                    } else {
                        Write::NotWritten
                    },
                })?;
            let checked = self.check_records(&v);
            let derived = summary::derive(&checked, ctx);
            if v.tags.get(TAG_REVIEW).map(String::as_str) == Some(derived.state.as_str()) {
                return Ok(Settled {
                    state: derived.state,
                    wrote,
                    checked,
                    derived,
                });
            }
            self.put_tag(model, version, TAG_REVIEW, derived.state.as_str())
                .await?;
            wrote = true;
        }
        Err(TagFailure {
            error: RegistryError::Conflict {
                what: format!(
                    "the review tag of {model} version {version} kept changing ({SETTLE_ROUNDS} rounds of other decisions landing at once)"
                ),
            },
            write: Write::Unknown,
        })
    }
}

impl ReviewService {
    /// The evidence document as a tag, unless it is already there or too large.
    pub(super) async fn store_evidence(
        &self,
        model: &str,
        version: &str,
        detail: &crate::review::detail::ReviewDetail,
        evidence: &str,
        v: &crate::registry::ModelVersion,
    ) -> Result<Write, TagFailure> {
        let text = detail
            .evidence_document
            .as_ref()
            .and_then(|doc| canonical_json(doc).ok())
            .and_then(|b| String::from_utf8(b).ok());
        let Some(text) = text.filter(|t| t.chars().count() <= VERSION_TAG_MAX) else {
            return Ok(Write::TooLarge);
        };
        let key = format!(
            "{EVIDENCE_TAG_PREFIX}{}",
            evidence.trim_start_matches("sha256:")
        );
        if v.tags.get(&key) == Some(&text) {
            return Ok(Write::Present);
        }
        self.put_tag(model, version, &key, &text).await?;
        Ok(Write::Written)
    }

    /// With the record stored: the evidence tag of a retry, then the review
    /// tag settled on the state derived from every record.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn finish(
        &self,
        model: &str,
        version: &str,
        action: Action,
        actor: &str,
        record: Checked,
        detail: &crate::review::detail::ReviewDetail,
        v: &crate::registry::ModelVersion,
        ctx: &Context<'_>,
        mut writes: Writes,
    ) -> Result<Outcome, Refused> {
        let unfinished = |writes: Writes, error: String| {
            Unfinished::refused(action, model, version, &record.id, writes, error)
        };
        let field = |k: &str| {
            record
                .fields
                .as_ref()
                .and_then(|f| f.get(k))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let signed_on = field("evidence");
        if writes.record == Write::Present && writes.evidence_tag == Write::NotWritten {
            // A retry: the evidence tag, as a first attempt would have written it.
            let current = ctx.evidence.unwrap_or_default();
            let own = signed_on.as_deref().unwrap_or(current);
            writes.evidence_tag = if own == current {
                match self
                    .store_evidence(model, version, detail, current, v)
                    .await
                {
                    Ok(w) => w,
                    Err(f) => {
                        writes.evidence_tag = f.write;
                        return Err(unfinished(
                            writes,
                            format!(
                                "the {action} record {} is stored, but writing its evidence tag failed: {}; run the same command again",
                                record.id, f.error
                            ),
                        ));
                    }
                }
            } else {
                let key = format!("{EVIDENCE_TAG_PREFIX}{}", own.trim_start_matches("sha256:"));
                if v.tags.contains_key(&key) {
                    Write::Present
                } else {
                    Write::NotWritten
                }
            };
        }
        let settled = match self.settle_review_tag(model, version, ctx).await {
            Ok(s) => s,
            Err(f) => {
                writes.review_tag = f.write;
                return Err(unfinished(
                    writes,
                    format!(
                        "the {action} record {} is stored, but the review tag could not be brought to the derived state: {}; run the same command again to finish",
                        record.id, f.error
                    ),
                ));
            }
        };
        writes.review_tag = if settled.wrote {
            Write::Written
        } else {
            Write::Present
        };
        let since = settled.derived.submitted_at.clone().unwrap_or_default();
        let also_recorded = settled
            .checked
            .iter()
            .filter(|c| c.valid() && c.id != record.id)
            .filter(|c| c.actor() == Some(actor) && c.action() == Some(action))
            .filter(|c| c.at().is_some_and(|at| at >= since.as_str()))
            .filter(|c| {
                c.fields
                    .as_ref()
                    .and_then(|f| f.get("evidence"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    == signed_on
            })
            .filter(|_| !matches!(action, Action::Comment | Action::Checkpoint))
            .map(|c| c.id.clone())
            .collect();
        Ok(Outcome {
            id: record.id.clone(),
            action,
            written: false,
            writes,
            state: settled.state,
            record: record.fields.clone().unwrap_or_default(),
            also_recorded,
        })
    }
}

/// The review tag confirmed equal to the derived state.
pub struct Settled {
    pub state: ReviewState,
    pub wrote: bool,
    pub checked: Vec<Checked>,
    pub derived: Derived,
}
