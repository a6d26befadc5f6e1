//! One review: its detail, highlighted parts and metric histories as they
//! arrive, the tab shown, each tab's scroll, and the tabs laid out as lines
//! (`tabs::build_docs`) whenever the data or the width changes.

use std::collections::BTreeMap;
use std::sync::Arc;

use ratatui::layout::Rect;
use ratatui::text::Line;

use super::dialog::{self, Asks, SignDialog, Signing, Structured};
use crate::review::detail::ReviewDetail;
use crate::review::reports::FairnessThresholds;
use crate::service::history::MetricHistory;
use crate::trust::record::Action;
use crate::tui::action::{Effect, Identity, ReviewKey};
use crate::tui::highlight::{HighlightStyle, Prepared};
use crate::tui::layout;
use crate::tui::load::Load;
use crate::tui::tabs::{self, Sources};
use crate::tui::theme::Theme;

pub use crate::tui::tabs::Tab;

#[derive(Debug, Clone)]
pub struct ReviewView {
    pub key: ReviewKey,
    pub detail: Load<Arc<ReviewDetail>>,
    pub prepared: Option<Box<Prepared>>,
    pub history: Load<Vec<MetricHistory>>,
    pub tab: Tab,
    pub scroll: [usize; Tab::ALL.len()],
    /// Each tab's lines, laid out for `doc_width` when data or size changes,
    /// so a frame only copies the visible window.
    pub docs: Vec<Vec<Line<'static>>>,
    pub doc_width: u16,
}

impl ReviewView {
    /// A review about to be loaded.
    pub fn new(key: ReviewKey) -> ReviewView {
        ReviewView {
            key,
            detail: Load::Loading,
            prepared: None,
            history: Load::Loading,
            tab: Tab::Overview,
            scroll: [0; Tab::ALL.len()],
            docs: Vec::new(),
            doc_width: 0,
        }
    }

    /// Forgets what was loaded and asks for it again.
    pub fn reload(&mut self, style: HighlightStyle) -> Effect {
        self.detail = Load::Loading;
        self.prepared = None;
        self.history = Load::Loading;
        Effect::LoadReview {
            key: self.key.clone(),
            style,
        }
    }

    /// Whether part of the review is still coming.
    pub fn busy(&self) -> bool {
        self.detail.is_loading()
            || self.history.is_loading()
            || (matches!(self.detail, Load::Ready(_)) && self.prepared.is_none())
    }

    /// Lays the tabs out again for the terminal `area` (new data, new width).
    pub fn rebuild(&mut self, theme: &Theme, fairness: &FairnessThresholds, area: Rect) {
        let content = layout::review_content_area(area);
        self.doc_width = content.width;
        let sources = Sources {
            detail: &self.detail,
            prepared: self.prepared.as_deref(),
            history: &self.history,
        };
        self.docs = tabs::build_docs(sources, theme, fairness, content.width);
        let h = content.height as usize;
        for (i, doc) in self.docs.iter().enumerate() {
            self.scroll[i] = self.scroll[i].min(doc.len().saturating_sub(h));
        }
    }

    /// Scrolls the tab shown by `by` lines in a window of `page`.
    pub fn scroll(&mut self, by: isize, page: usize) {
        let i = self.tab.index();
        let len = self.docs.get(i).map_or(0, Vec::len);
        let max = len.saturating_sub(page) as isize;
        self.scroll[i] = (self.scroll[i] as isize + by).clamp(0, max.max(0)) as usize;
    }

    /// A click on the tab bar of the terminal `area`.
    pub fn click(&mut self, area: Rect, column: u16, row: u16) {
        let bar = layout::review_tabs_area(area);
        if row == bar.y
            && let Some(t) = layout::tab_at(bar, column)
        {
            self.tab = t;
        }
    }

    /// The detail's answer; `Err`: the words of the failure, for the status line.
    pub fn loaded(
        &mut self,
        result: Result<Arc<ReviewDetail>, String>,
    ) -> Result<Vec<Effect>, String> {
        let d = match result {
            Ok(d) => d,
            Err(e) => {
                self.history = Load::Ready(Vec::new());
                self.prepared = Some(Box::default());
                self.detail = Load::Failed(e.clone());
                return Err(e);
            }
        };
        let metrics: Vec<String> = d
            .summary
            .metrics
            .iter()
            .filter(|m| m.candidate.is_some())
            .map(|m| m.name.clone())
            .collect();
        let mut effects = vec![];
        match (&d.run_id, metrics.is_empty()) {
            (Some(run_id), false) => effects.push(Effect::LoadHistory {
                key: self.key.clone(),
                run_id: run_id.clone(),
                metrics,
            }),
            _ => self.history = Load::Ready(Vec::new()),
        }
        self.detail = Load::Ready(d);
        Ok(effects)
    }

    /// How often each category was chosen on this version, from its records.
    pub fn categories_used(&self) -> BTreeMap<String, usize> {
        let Load::Ready(d) = &self.detail else {
            return BTreeMap::new();
        };
        dialog::counts(
            d.records
                .iter()
                .map(|r| r.get("category").and_then(serde_json::Value::as_str)),
        )
    }

    /// The dialog of a decision on this review, or why there is none yet;
    /// categories are offered the most `used` first.
    pub fn decision(
        &self,
        action: Action,
        signing: &Signing,
        identity: &Identity,
        asks: &Asks,
        used: &BTreeMap<String, usize>,
    ) -> Result<SignDialog, &'static str> {
        let Load::Ready(detail) = &self.detail else {
            return Err("The review is still loading; nothing to sign yet.");
        };
        let gates = match &detail.summary.gates {
            Some(crate::review::gates::ItemGates::Report(g)) => Some(g.result.clone()),
            _ => None,
        };
        let covered: Vec<String> = detail
            .summary
            .approvals
            .iter()
            .map(|a| a.role.clone())
            .collect();
        let open_roles: Vec<String> = detail
            .summary
            .required_roles
            .iter()
            .filter(|r| !covered.contains(r))
            .cloned()
            .collect();
        let d = SignDialog {
            model: self.key.model.clone(),
            version: self.key.version.clone(),
            roles: open_roles,
            evidence: detail.evidence.clone(),
            waives: if action == Action::Override {
                gates.as_ref().map(|g| g.deny.clone()).unwrap_or_default()
            } else {
                Vec::new()
            },
            gates,
            structured: Structured::new(action, detail.summary.risk, asks, used),
            ..SignDialog::new(action)
        };
        Ok(dialog::prepare(d, signing, identity))
    }
}
