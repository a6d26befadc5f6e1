//! One review in full as a value: the queue's summary plus metrics, schema,
//! reports, records and the evidence digest. `crate::service` builds it from a
//! registry; the policy input, the CLI and the console read it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::evidence::{EvidenceDoc, FilesMode, SchemaStrings};
use super::queue::QueueItem;
use super::reports::{
    Explainability, Fairness, ImportanceRow, ImportanceShift, ModelCard, Report, SecurityScan,
};
use super::schema::{self, Signature};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartStatus {
    Present,
    Absent,
    Error,
}

/// The schema part: status, the diff against the baseline (null without one),
/// and the raw signature strings of both sides for a text diff.
#[derive(Debug, Clone, Serialize)]
pub struct SchemaView {
    pub status: PartStatus,
    pub error: Option<String>,
    pub inputs: Option<schema::SideDiff>,
    pub outputs: Option<schema::SideDiff>,
    pub candidate: Option<SchemaStrings>,
    pub baseline: Option<SchemaStrings>,
    /// The parsed signatures, for the policy input's column details.
    #[serde(skip)]
    pub candidate_signature: Option<Signature>,
    #[serde(skip)]
    pub baseline_signature: Option<Signature>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewDetail {
    #[serde(flatten)]
    pub summary: QueueItem,
    pub description: Option<String>,
    pub model_description: Option<String>,
    pub source: String,
    pub run_id: Option<String>,
    pub run_user: Option<String>,
    pub params: BTreeMap<String, String>,
    pub schema: SchemaView,
    pub explainability: Report<Explainability>,
    /// Feature importance against the baseline's, when both have a report.
    pub explainability_shift: Option<ImportanceView>,
    pub fairness: Report<Fairness>,
    pub security: Report<SecurityScan>,
    pub model_card: Report<ModelCard>,
    /// The version's signed records, each a `RecordView` (id, action, actor,
    /// role, at, valid, findings, record).
    pub records: Vec<serde_json::Value>,
    /// Why the derived state is what it is (what is missing, what did not count).
    pub state_reasons: Vec<String>,
    /// Triggers and the approval's lifetime (PROTOCOL 15); null for a
    /// version never approved in its round and not reopened.
    pub revalidation: Option<crate::review::revalidation::Revalidation>,
    /// The version's tags, for the trust layer.
    #[serde(skip)]
    pub version_tags: crate::registry::Tags,
    /// `sha256:<hex>` of the evidence document (PROTOCOL 7), null when it cannot be computed.
    pub evidence: Option<String>,
    pub evidence_files_mode: Option<FilesMode>,
    pub evidence_document: Option<EvidenceDoc>,
    /// The entries of `problems` that only the evidence digest raised (the
    /// policy input leaves them out: the queue does not compute the digest).
    #[serde(skip)]
    pub evidence_problems: Vec<String>,
}

/// Candidate and baseline feature importance side by side.
#[derive(Debug, Clone, Serialize)]
pub struct ImportanceView {
    pub rows: Vec<ImportanceRow>,
    pub largest_shift: Option<ImportanceShift>,
}
