//! `:audit`: every signed record, filtered by words, the verification of the
//! whole registry, and the JSONL export.

use std::sync::Arc;

use super::Status;
use crate::service::audit::VerifyReport;
use crate::service::records::RecordView;
use crate::tui::action::{AuditData, Effect, Exported};
use crate::tui::load::Load;
use crate::tui::widgets::input::{Filter, FilterKey};
use crate::tui::widgets::list::ListState;

#[derive(Debug, Clone, Default)]
pub struct AuditView {
    /// `None` until the screen is first opened.
    pub data: Option<Load<Arc<AuditData>>>,
    pub filter: Filter,
    /// Indices into the records, filtered.
    pub visible: Vec<usize>,
    pub list: ListState,
    pub verify: Option<Load<Arc<VerifyReport>>>,
    pub exporting: bool,
}

impl AuditView {
    pub fn records(&self) -> &[RecordView] {
        match &self.data {
            Some(Load::Ready(d)) => &d.records,
            _ => &[],
        }
    }

    pub fn selected_record(&self) -> Option<&RecordView> {
        self.visible
            .get(self.list.selected)
            .and_then(|i| self.records().get(*i))
    }

    pub fn busy(&self) -> bool {
        self.exporting
            || matches!(self.data, Some(Load::Loading))
            || matches!(self.verify, Some(Load::Loading))
    }

    pub fn reload(&mut self) -> Vec<Effect> {
        self.data = Some(Load::Loading);
        vec![Effect::LoadAudit]
    }

    /// `model:M actor:A action:X` narrow exactly; other words must appear anywhere.
    pub fn refilter(&mut self) {
        let words: Vec<String> = self
            .filter
            .text
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let visible: Vec<usize> = self
            .records()
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                let opt = |o: &Option<String>| o.clone().unwrap_or_default().to_lowercase();
                words.iter().all(|w| {
                    if let Some(m) = w.strip_prefix("model:") {
                        r.model.to_lowercase() == m
                    } else if let Some(a) = w.strip_prefix("actor:") {
                        opt(&r.actor) == a
                    } else if let Some(a) = w.strip_prefix("action:") {
                        opt(&r.action) == a
                    } else {
                        let valid = if r.valid { "valid" } else { "invalid" };
                        [
                            r.model.to_lowercase(),
                            r.version.clone(),
                            opt(&r.actor),
                            opt(&r.action),
                            opt(&r.role),
                            r.id.clone(),
                            valid.into(),
                        ]
                        .iter()
                        .any(|f| f.contains(w.as_str()))
                    }
                })
            })
            .map(|(i, _)| i)
            .collect();
        self.visible = visible;
        self.list.clamp(self.visible.len());
    }

    /// Moves the selection; the window of `page` rows follows it.
    pub fn step(&mut self, by: isize, page: usize) {
        self.list.step(by, self.visible.len());
        self.list.follow(page);
    }

    /// A key while the filter has the keyboard; `false`: not the filter's.
    pub fn filter_key(&mut self, k: &crossterm::event::KeyEvent, page: usize) -> bool {
        match self.filter.key(k) {
            FilterKey::Changed => {
                self.refilter();
                self.list.offset = 0;
            }
            FilterKey::Move(by) => self.step(by, page),
            FilterKey::Pass => return false,
        }
        true
    }

    /// The filter is cleared by Back; `false` when there was none.
    pub fn clear_filter(&mut self) -> bool {
        if self.filter.text.is_empty() {
            return false;
        }
        self.filter.text.clear();
        self.refilter();
        true
    }

    /// The records' answer; `Some`: what the status line says.
    pub fn loaded(&mut self, result: Result<Arc<AuditData>, String>) -> Option<Status> {
        match result {
            Ok(d) => {
                self.data = Some(Load::Ready(d));
                self.refilter();
                None
            }
            Err(e) => {
                let s = Status::error(format!("✖ The records could not be loaded: {e}"));
                self.data = Some(Load::Failed(e));
                Some(s)
            }
        }
    }

    /// Verification in the background, unless it already runs.
    pub fn verify(&mut self) -> (Vec<Effect>, Status) {
        if matches!(self.verify, Some(Load::Loading)) {
            return (vec![], Status::info("Verification is already running."));
        }
        self.verify = Some(Load::Loading);
        (
            vec![Effect::Verify],
            Status::info("Verifying every record in the background…"),
        )
    }

    pub fn verified(&mut self, result: Result<Arc<VerifyReport>, String>) -> Status {
        match result {
            Ok(r) => {
                let s = Status::info(format!(
                    "Verification done: exit {}, {} findings over {} records.",
                    r.exit_code,
                    r.findings.len(),
                    r.records
                ));
                self.verify = Some(Load::Ready(r));
                s
            }
            Err(e) => {
                let s = Status::error(format!("✖ Verification failed: {e}"));
                self.verify = Some(Load::Failed(e));
                s
            }
        }
    }

    /// Every record as JSONL into a file named by the time `now_ms`.
    pub fn export(&mut self, now_ms: i64) -> Vec<Effect> {
        let stamp = chrono::DateTime::from_timestamp_millis(now_ms)
            .unwrap_or_default()
            .format("%Y%m%dT%H%M%SZ");
        self.exporting = true;
        vec![Effect::ExportAudit {
            path: std::path::PathBuf::from(format!("modelgate-audit-{stamp}.jsonl")),
        }]
    }

    pub fn exported(&mut self, result: Result<Exported, String>) -> Status {
        self.exporting = false;
        match result {
            Ok(x) => Status::info(format!(
                "✓ {} records written to {} (audit export --format jsonl)",
                x.records,
                x.path.display()
            )),
            Err(e) => Status::error(format!("✖ Export failed: {e}")),
        }
    }
}
