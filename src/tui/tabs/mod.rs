//! The review's tabs as lines, laid out for a width when the data or
//! the terminal changes, so that a frame only copies the visible window.
//! Pure: `update` lays them out, `view` draws them; one file per tab, the
//! formatting they share here.

mod explainability;
mod fairness;
mod metrics;
pub mod monitoring;
mod overview;
pub mod records;
mod schema;
mod security;

use std::sync::Arc;

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::num::Num;
use crate::review::detail::ReviewDetail;
use crate::review::reports::{FairnessThresholds, Report};
use crate::service::history::MetricHistory;
use crate::tui::clean;
use crate::tui::highlight::Prepared;
use crate::tui::load::Load;
use crate::tui::theme::Theme;

pub use explainability::bar;
pub use metrics::sparkline;

pub type Doc = Vec<Line<'static>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Overview,
    Metrics,
    Schema,
    Explainability,
    Fairness,
    Security,
    Records,
    /// Reopen records and the drift reports behind them (PROTOCOL 15, 16).
    Monitoring,
}

impl Tab {
    pub const ALL: [Tab; 8] = [
        Tab::Overview,
        Tab::Metrics,
        Tab::Schema,
        Tab::Explainability,
        Tab::Fairness,
        Tab::Security,
        Tab::Records,
        Tab::Monitoring,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Metrics => "Metrics",
            Tab::Schema => "Schema",
            Tab::Explainability => "Explainability",
            Tab::Fairness => "Fairness",
            Tab::Security => "Security",
            Tab::Records => "Records",
            Tab::Monitoring => "Monitoring",
        }
    }

    /// The title where every full one does not fit the tab bar.
    pub fn short_title(self) -> &'static str {
        match self {
            Tab::Explainability => "Explain",
            Tab::Monitoring => "Monitor",
            t => t.title(),
        }
    }

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    pub fn step(self, by: isize) -> Tab {
        let n = Tab::ALL.len() as isize;
        Tab::ALL[(self.index() as isize + by).rem_euclid(n) as usize]
    }
}

/// What the tabs are made from: a review as loaded so far.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    pub detail: &'a Load<Arc<ReviewDetail>>,
    pub prepared: Option<&'a Prepared>,
    pub history: &'a Load<Vec<MetricHistory>>,
}

pub(super) fn num(v: Option<Num>) -> String {
    match v {
        None => "-".into(),
        Some(Num(x)) if x.is_finite() => format!("{x:.4}"),
        Some(Num(x)) => Num::non_finite_str(x).unwrap_or("?").to_owned(),
    }
}

pub(super) fn signed(v: Option<Num>) -> String {
    match v {
        None => "-".into(),
        Some(Num(x)) if x.is_finite() => format!("{x:+.4}"),
        Some(Num(x)) => Num::non_finite_str(x).unwrap_or("?").to_owned(),
    }
}

pub(super) fn pct(v: Option<Num>) -> String {
    match v {
        Some(Num(x)) if x.is_finite() => format!("{:+.2}%", x * 100.0),
        Some(_) => "NaN".into(),
        None => "-".into(),
    }
}

/// Wraps a styled line at `width` cells, breaking at a space when one is
/// near the end. Registry text is already clean here.
pub fn wrap(line: Line<'static>, width: usize, indent: usize) -> Doc {
    let width = width.max(indent + 8);
    let cells: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|s| s.content.chars().map(move |c| (c, s.style)))
        .collect();
    if clean::width(&line.to_string()) <= width {
        return vec![line];
    }
    let mut out = Vec::new();
    let mut start = 0;
    let mut first = true;
    while start < cells.len() {
        let room = if first { width } else { width - indent };
        let mut w = 0;
        let mut end = start;
        let mut last_space = None;
        while end < cells.len() {
            let cw = unicode_width::UnicodeWidthChar::width(cells[end].0).unwrap_or(0);
            if w + cw > room {
                break;
            }
            if cells[end].0 == ' ' {
                last_space = Some(end);
            }
            w += cw;
            end += 1;
        }
        if end < cells.len()
            && let Some(s) = last_space.filter(|s| *s > start + room / 2)
        {
            end = s + 1;
        }
        if end == start {
            end = start + 1;
        }
        let mut spans: Vec<Span<'static>> = Vec::new();
        if !first {
            spans.push(Span::raw(" ".repeat(indent)));
        }
        let mut run = String::new();
        let mut style = cells[start].1;
        for (c, st) in &cells[start..end] {
            if *st != style {
                spans.push(Span::styled(std::mem::take(&mut run), style));
                style = *st;
            }
            run.push(*c);
        }
        spans.push(Span::styled(run, style));
        out.push(Line::from(spans));
        start = end;
        first = false;
    }
    out
}

pub(super) fn heading(t: &Theme, text: &str) -> Line<'static> {
    Line::from(Span::styled(text.to_owned(), t.heading()))
}

pub(super) fn report_state<T>(t: &Theme, r: &Report<T>, file: &str) -> Option<Line<'static>> {
    match r {
        Report::Present(_) => None,
        Report::Absent { note: None } => Some(Line::from(Span::styled(
            format!("  absent: the run's artifacts hold no {file}"),
            t.dim(),
        ))),
        Report::Absent { note: Some(n) } => Some(Line::from(Span::styled(
            format!("  absent: {}", clean::line(n)),
            t.warn(),
        ))),
        Report::Error { error } => Some(Line::from(Span::styled(
            format!("  ✖ error: {}", clean::line(error)),
            t.error(),
        ))),
    }
}

/// Every tab's lines for a review at `width` cells.
pub fn build_docs(r: Sources<'_>, t: &Theme, f: &FairnessThresholds, width: u16) -> Vec<Doc> {
    let width = width as usize;
    let d = match r.detail {
        Load::Loading => {
            return Tab::ALL
                .iter()
                .map(|_| vec![Line::from("  Loading the review from the registry…")])
                .collect();
        }
        Load::Failed(e) => {
            let msg = Line::from(Span::styled(
                format!("  ✖ The review could not be loaded: {}", clean::line(e)),
                t.error(),
            ));
            return Tab::ALL
                .iter()
                .map(|_| wrap(msg.clone(), width, 4))
                .collect();
        }
        Load::Ready(d) => d,
    };
    Tab::ALL
        .iter()
        .map(|tab| match tab {
            Tab::Overview => overview::doc(r, d, t, width),
            Tab::Metrics => metrics::doc(r, d, t),
            Tab::Schema => schema::doc(r, d, t, width),
            Tab::Explainability => explainability::doc(d, t, width),
            Tab::Fairness => fairness::doc(d, t, f),
            Tab::Security => security::doc(d, t, width),
            Tab::Records => records::doc(d, t, width),
            Tab::Monitoring => monitoring::doc(d, t, width),
        })
        .collect()
}

pub(super) fn field(t: &Theme, k: &str, v: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("  {k:<11}"), t.dim()),
        Span::raw(v),
    ])
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparkline_and_bars() {
        assert_eq!(
            sparkline(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], 8),
            "▁▂▃▄▅▆▇█"
        );
        assert_eq!(sparkline(&[5.0, 5.0], 8), "▄▄");
        assert_eq!(sparkline(&[1.0, f64::NAN, 2.0], 8), "▁█");
        assert_eq!(
            sparkline(&(0..100).map(f64::from).collect::<Vec<_>>(), 10)
                .chars()
                .count(),
            10
        );
        assert_eq!(bar(1.0, 1.0, 4), "████");
        assert_eq!(bar(0.5, 1.0, 3), "█▌");
        assert_eq!(bar(f64::NAN, 1.0, 3), "");
    }

    #[test]
    fn wrapping_keeps_width_and_styles() {
        let t = Theme::default();
        let l = Line::from(vec![
            Span::raw("alpha beta gamma "),
            Span::styled("delta epsilon zeta", t.bad()),
        ]);
        let w = wrap(l, 16, 2);
        assert!(w.len() >= 3, "{w:?}");
        for line in &w {
            assert!(clean::width(&line.to_string()) <= 16, "{line:?}");
        }
        assert!(w.iter().any(|l| l.spans.iter().any(|s| s.style == t.bad())));
        let wide = wrap(Line::from("表".repeat(20)), 9, 0);
        assert!(wide.iter().all(|l| clean::width(&l.to_string()) <= 9));
    }
}
