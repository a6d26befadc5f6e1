//! One review in full: the queue's summary plus metrics, schema, reports and the
//! evidence digest. A part that cannot be read is an `error` with its cause; the
//! rest of the review is still shown.

use crate::review::detail::{ImportanceView, PartStatus, ReviewDetail, SchemaView};
use std::collections::BTreeMap;

use super::ReviewService;
use crate::num::Num;
use crate::registry::{
    FileInfo, ModelVersion, RegisteredModel, Registry, RegistryError, Result, Run,
};
use crate::review::evidence::{self, EvidenceDoc, SchemaStrings};
use crate::review::queue::{self, QueueItem, ReviewInput};
use crate::review::reports::{
    self, Explainability, Fairness, ModelCard, REPORT_MAX_BYTES, Report, SecurityScan,
};
use crate::review::schema::{self, SchemaDiff, Signature};
// The console names the detail values here.

/// Where the reports of PROTOCOL 5 live in a run's artifacts.
pub const REPORT_DIR: &str = "modelgate";
pub const EXPLAINABILITY: &str = "modelgate/explainability.json";
pub const FAIRNESS: &str = "modelgate/fairness.json";
pub const SECURITY: &str = "modelgate/security_scan.json";
pub const MODEL_CARD: &str = "modelgate/model_card.md";

/// What one review is built from, already fetched.
#[derive(Clone, Copy)]
pub(crate) struct Parts<'a> {
    pub version: &'a ModelVersion,
    pub model: Option<&'a RegisteredModel>,
    /// The baseline version, when there is one and it exists.
    pub baseline: Option<&'a ModelVersion>,
    pub run: Option<&'a Run>,
    pub baseline_run: Option<&'a Run>,
}

/// Whether [`ReviewService::detail`] computes the evidence digest, which
/// hashes every model file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    Compute,
    Skip,
}

/// Prefixes a part's error with the model and version it belongs to.
fn at(v: &ModelVersion, what: &str, e: impl std::fmt::Display) -> String {
    format!("model {} version {}: {what}: {e}", v.name, v.version)
}

async fn read_mlmodel(reg: &dyn Registry, v: &ModelVersion) -> Result<Option<Vec<u8>>> {
    match reg
        .read_model_file(&v.name, &v.version, "MLmodel", REPORT_MAX_BYTES)
        .await
    {
        Ok(b) => Ok(Some(b)),
        Err(RegistryError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The signature of one version, `Ok(None)` when it has no `MLmodel`.
async fn signature(reg: &dyn Registry, v: &ModelVersion) -> Result<Option<Signature>, String> {
    match read_mlmodel(reg, v).await {
        Ok(None) => Ok(None),
        Ok(Some(bytes)) => schema::parse_mlmodel(&bytes)
            .map(Some)
            .map_err(|e| at(v, "model/MLmodel", e)),
        Err(e) => Err(at(v, "model/MLmodel", e)),
    }
}

fn strings(s: &Signature) -> SchemaStrings {
    SchemaStrings {
        inputs: s.inputs.clone(),
        outputs: s.outputs.clone(),
    }
}

fn schema_view(
    cand: Result<Option<Signature>, String>,
    base: Option<Result<Option<Signature>, String>>,
) -> SchemaView {
    let mut view = SchemaView {
        status: PartStatus::Absent,
        error: None,
        inputs: None,
        outputs: None,
        candidate: None,
        baseline: None,
        candidate_signature: None,
        baseline_signature: None,
    };
    let cand = match cand {
        Err(e) => {
            view.status = PartStatus::Error;
            view.error = Some(e);
            return view;
        }
        Ok(None) => return view,
        Ok(Some(c)) => c,
    };
    view.status = PartStatus::Present;
    view.candidate = Some(strings(&cand));
    match base {
        None => {}
        Some(Err(e)) => {
            view.status = PartStatus::Error;
            view.error = Some(e);
        }
        Some(Ok(b)) => {
            let b = b.unwrap_or_default();
            let SchemaDiff { inputs, outputs } = schema::schema_diff(&cand, &b);
            view.inputs = Some(inputs);
            view.outputs = Some(outputs);
            view.baseline = Some(strings(&b));
            view.baseline_signature = Some(b);
        }
    }
    view.candidate_signature = Some(cand);
    view
}

/// One report file of a run: `Ok(None)` when absent.
async fn read_report(
    reg: &dyn Registry,
    run: &str,
    listing: &[FileInfo],
    path: &str,
) -> Result<Option<Vec<u8>>> {
    let name = path.trim_start_matches("modelgate/");
    if !listing.iter().any(|f| f.path == name) {
        return Ok(None);
    }
    reg.read_run_artifact(run, path, REPORT_MAX_BYTES)
        .await
        .map(Some)
}

/// A report read failure, said in the report's terms.
fn report_read_error(v: &ModelVersion, path: &str, e: RegistryError) -> String {
    match e {
        RegistryError::TooLarge { size, .. } => {
            format!(
                "model {} version {}: {path} is {size} bytes, over the 10 MiB limit for reports",
                v.name, v.version
            )
        }
        e => at(v, path, e),
    }
}

impl ReviewService {
    /// One review in full, with the gates of the configured policy bundle.
    /// Fails only when the version itself cannot be read.
    pub async fn show(&self, name: &str, version: &str, now_ms: i64) -> Result<ReviewDetail> {
        let mut detail = self
            .detail(name, version, now_ms, Evidence::Compute)
            .await?;
        let report = self.gates().evaluate(&detail);
        self.apply_trust(&mut detail, &report.result, now_ms);
        detail.summary.gates = Some(crate::review::gates::ItemGates::Report(report));
        Ok(detail)
    }

    /// One review without gates; with [`Evidence::Skip`] without the digest.
    pub async fn detail(
        &self,
        name: &str,
        version: &str,
        now_ms: i64,
        evidence: Evidence,
    ) -> Result<ReviewDetail> {
        let reg = self.registry.as_ref();
        let v = reg.get_version(name, version).await?;
        let model: Option<RegisteredModel> = match reg.get_registered_model(name).await {
            Ok(m) => Some(m),
            Err(RegistryError::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        let baseline_no = self.baseline_of(&v, model.as_ref());
        let mut load_problems = Vec::new();
        let baseline_v = match &baseline_no {
            None => None,
            Some(b) => match reg.get_version(name, b).await {
                Ok(bv) => Some(bv),
                Err(RegistryError::NotFound { .. }) => None,
                // Only the version itself failing fails `show`.
                Err(e) => {
                    load_problems.push(format!(
                        "model {name} version {b}, the baseline, could not be read ({e}); metrics show no baseline"
                    ));
                    None
                }
            },
        };
        let ids: Vec<String> = [
            v.run_id.clone(),
            baseline_v.as_ref().and_then(|b| b.run_id.clone()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let runs: BTreeMap<String, Run> = reg
            .get_runs(&ids)
            .await?
            .into_iter()
            .map(|r| (r.run_id.clone(), r))
            .collect();
        let parts = Parts {
            version: &v,
            model: model.as_ref(),
            baseline: baseline_v.as_ref(),
            run: v.run_id.as_ref().and_then(|id| runs.get(id)),
            baseline_run: baseline_v
                .as_ref()
                .and_then(|b| b.run_id.as_ref())
                .and_then(|id| runs.get(id)),
        };
        let input = ReviewInput {
            version: &v,
            model: parts.model,
            run: parts.run,
            baseline: baseline_no.clone(),
            baseline_run: parts.baseline_run,
            trust: self.queue_trust(&v, parts.model, parts.run, now_ms),
            load_problems,
        };
        let summary = queue::build_item(&input, &self.queue_settings(), now_ms);
        Ok(self.assemble(parts, summary, evidence).await)
    }

    /// The rest of a review around its queue summary: schema, reports and,
    /// with [`Evidence::Compute`], the evidence digest. The queue calls this
    /// with what it already fetched.
    pub(crate) async fn assemble(
        &self,
        p: Parts<'_>,
        mut summary: QueueItem,
        evidence: Evidence,
    ) -> ReviewDetail {
        let reg = self.registry.as_ref();
        let v = p.version;
        let run = p.run;
        if let (Some(b), None) = (&summary.baseline, p.baseline) {
            summary.problems.push(format!(
                "model {} version {}: its baseline version {b} does not exist",
                v.name, v.version
            ));
        }
        let cand_sig = signature(reg, v).await;
        let base_sig = match p.baseline {
            Some(bv) => Some(signature(reg, bv).await),
            None => None,
        };
        let model_files = reg
            .list_model_files(&v.name, &v.version)
            .await
            .map_err(|e| at(v, "model directory", e));

        let reports = self
            .reports(
                v,
                run,
                p.baseline.zip(p.baseline_run),
                model_files.as_ref().ok(),
            )
            .await;
        let mut evidence_problems = Vec::new();
        let (evidence_digest, evidence_files_mode, evidence_document) = match evidence {
            Evidence::Skip => (None, None, None),
            Evidence::Compute => {
                let doc = match &model_files {
                    Err(e) => Err(e.clone()),
                    Ok(files) => {
                        self.evidence(
                            v,
                            run,
                            files,
                            cand_sig.as_ref().ok().and_then(|s| s.as_ref()),
                        )
                        .await
                    }
                };
                match doc {
                    Ok(doc) => match doc.digest() {
                        Ok(d) => (Some(d), Some(doc.files_mode), Some(doc)),
                        Err(e) => {
                            evidence_problems.push(at(v, "evidence", e));
                            (None, None, None)
                        }
                    },
                    Err(e) => {
                        evidence_problems
                            .push(format!("{e}; the evidence digest cannot be computed"));
                        (None, None, None)
                    }
                }
            }
        };
        summary.problems.extend(evidence_problems.iter().cloned());
        let schema = schema_view(cand_sig, base_sig);
        for err in [schema.error.as_ref()].into_iter().flatten() {
            summary.problems.push(err.clone());
        }
        summary.problems.extend(reports.problems);
        ReviewDetail {
            summary,
            description: v.description.clone(),
            model_description: p.model.and_then(|m| m.description.clone()),
            source: v.source.clone(),
            run_id: v.run_id.clone(),
            run_user: run.and_then(|r| r.user().map(str::to_owned)),
            params: run.map(|r| r.params.clone()).unwrap_or_default(),
            schema,
            explainability: reports.explainability,
            explainability_shift: reports.shift,
            fairness: reports.fairness,
            security: reports.security,
            model_card: reports.model_card,
            records: Vec::new(),
            state_reasons: Vec::new(),
            revalidation: None,
            version_tags: v.tags.clone(),
            evidence: evidence_digest,
            evidence_files_mode,
            evidence_document,
            evidence_problems,
        }
    }

    /// The four reports of PROTOCOL 5 from the candidate's run, and the
    /// baseline's explainability for the importance comparison.
    async fn reports(
        &self,
        v: &ModelVersion,
        run: Option<&Run>,
        baseline: Option<(&ModelVersion, &Run)>,
        model_files: Option<&Vec<FileInfo>>,
    ) -> Reports {
        let reg = self.registry.as_ref();
        let Some(run) = run else {
            let e = queue::missing_run(v);
            return Reports::all_error(&e);
        };
        let listing = match reg.list_run_artifacts(&run.run_id, REPORT_DIR).await {
            Ok(l) => l,
            Err(RegistryError::NotFound { .. }) => Vec::new(),
            Err(e) => return Reports::all_error(&at(v, "run artifacts modelgate/", e)),
        };
        let mut problems = Vec::new();
        let read = async |path: &str| match read_report(reg, &run.run_id, &listing, path).await {
            Ok(b) => Ok(b),
            Err(e) => Err(report_read_error(v, path, e)),
        };
        let files: Vec<String> = model_files
            .map(|f| f.iter().map(|f| f.path.clone()).collect())
            .unwrap_or_default();
        let explainability = report_status(read(EXPLAINABILITY).await, |b| {
            reports::parse_explainability(EXPLAINABILITY, b)
        });
        let fairness = report_status(read(FAIRNESS).await, |b| {
            reports::parse_fairness(FAIRNESS, b)
        });
        let security = report_status(read(SECURITY).await, |b| {
            reports::parse_security(SECURITY, b, &files)
        });
        let model_card = report_status(read(MODEL_CARD).await, |b| {
            reports::parse_model_card(MODEL_CARD, b)
        });
        let shift = match (baseline, explainability.present()) {
            (Some((bv, brun)), Some(cand)) => {
                let blist = reg
                    .list_run_artifacts(&brun.run_id, REPORT_DIR)
                    .await
                    .unwrap_or_default();
                match read_report(reg, &brun.run_id, &blist, EXPLAINABILITY).await {
                    Ok(Some(bytes)) => reports::parse_explainability(EXPLAINABILITY, &bytes)
                        .present()
                        .map(|base| ImportanceView {
                            rows: reports::compare_importance(cand, Some(base)),
                            largest_shift: reports::largest_shift(cand, base),
                        }),
                    Ok(None) => None,
                    Err(e) => {
                        problems.push(report_read_error(bv, EXPLAINABILITY, e));
                        None
                    }
                }
            }
            _ => None,
        };
        for e in [
            explainability.error_message(),
            fairness.error_message(),
            security.error_message(),
            model_card.error_message(),
        ]
        .into_iter()
        .flatten()
        {
            problems.push(if e.starts_with("model ") {
                e.to_owned()
            } else {
                format!("model {} version {}: {e}", v.name, v.version)
            });
        }
        Reports {
            explainability,
            shift,
            fairness,
            security,
            model_card,
            problems,
        }
    }

    /// The evidence document of PROTOCOL 7 for the candidate.
    async fn evidence(
        &self,
        v: &ModelVersion,
        run: Option<&Run>,
        model_files: &[FileInfo],
        sig: Option<&Signature>,
    ) -> std::result::Result<EvidenceDoc, String> {
        let reg = self.registry.as_ref();
        let total: u64 = model_files.iter().map(|f| f.size).sum();
        let mode = evidence::files_mode(total, self.config.evidence_full_bytes);
        let mut files = BTreeMap::new();
        for f in model_files {
            let entry = if evidence::hashes_content(mode, &f.path) {
                let bytes = reg
                    .read_model_file(
                        &v.name,
                        &v.version,
                        &f.path,
                        self.config.evidence_full_bytes.max(f.size),
                    )
                    .await
                    .map_err(|e| at(v, &format!("model/{}", f.path), e))?;
                evidence::sha256_tagged(&bytes)
            } else {
                format!("size:{}", f.size)
            };
            files.insert(format!("model/{}", f.path), entry);
        }
        if let Some(run) = run {
            let listing = match reg.list_run_artifacts(&run.run_id, REPORT_DIR).await {
                Ok(l) => l,
                Err(RegistryError::NotFound { .. }) => Vec::new(),
                Err(e) => return Err(at(v, "run artifacts modelgate/", e)),
            };
            for f in listing {
                let path = format!("{REPORT_DIR}/{}", f.path);
                let bytes = reg
                    .read_run_artifact(
                        &run.run_id,
                        &path,
                        self.config.evidence_full_bytes.max(f.size),
                    )
                    .await
                    .map_err(|e| at(v, &path, e))?;
                files.insert(format!("run/{path}"), evidence::sha256_tagged(&bytes));
            }
        }
        Ok(EvidenceDoc {
            model: v.name.clone(),
            version: v.version.clone(),
            source: v.source.clone(),
            run_id: v.run_id.clone(),
            metrics: run
                .map(|r| {
                    r.metrics
                        .iter()
                        .map(|(k, x)| (k.clone(), Num(*x)))
                        .collect()
                })
                .unwrap_or_default(),
            schema: sig.map(strings).unwrap_or(SchemaStrings {
                inputs: None,
                outputs: None,
            }),
            files,
            files_mode: mode,
        })
    }
}

struct Reports {
    explainability: Report<Explainability>,
    shift: Option<ImportanceView>,
    fairness: Report<Fairness>,
    security: Report<SecurityScan>,
    model_card: Report<ModelCard>,
    problems: Vec<String>,
}

impl Reports {
    fn all_error(e: &str) -> Reports {
        Reports {
            explainability: Report::error(e),
            shift: None,
            fairness: Report::error(e),
            security: Report::error(e),
            model_card: Report::error(e),
            problems: vec![e.to_owned()],
        }
    }
}

/// Absent, read error or parsed: never lets an error pass as absent.
fn report_status<T>(
    read: std::result::Result<Option<Vec<u8>>, String>,
    parse: impl FnOnce(&[u8]) -> Report<T>,
) -> Report<T> {
    match read {
        Ok(None) => Report::absent(),
        Ok(Some(bytes)) => parse(&bytes),
        Err(e) => Report::error(e),
    }
}
