//! The queue screen. Only the rows in the window are laid out: 100,000
//! reviews cost what 50 do.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::put_line;
use crate::tui::app::App;
use crate::tui::clean::{self, pad};
use crate::tui::keymap::Command;
use crate::tui::layout::{areas, queue_list_area};
use crate::tui::list::{self, StateFilter};
use crate::tui::load::Load;

/// One column: title, width, and whether it stretches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub id: Col,
    pub width: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Sla,
    Risk,
    Model,
    Version,
    Submitter,
    Age,
    Kind,
    State,
    Approvals,
    Gates,
    Problems,
}

impl Col {
    fn title(self) -> &'static str {
        match self {
            Col::Sla => "SLA",
            Col::Risk => "RISK",
            Col::Model => "MODEL",
            Col::Version => "VER",
            Col::Submitter => "SUBMITTER",
            Col::Age => "AGE",
            Col::Kind => "KIND",
            Col::State => "STATE",
            Col::Approvals => "APPR",
            Col::Gates => "GATES",
            Col::Problems => "!",
        }
    }
}

/// Width of the selection marker before every row.
const MARK: u16 = 2;

/// The columns that fit `width`, widest terminals getting every one.
/// `state`: the STATE column is shown (every state is loaded); in the open
/// queue a row's kind already says its state (a review is pending, a
/// revalidation in revalidation, a renewal approved).
/// `kind`: the KIND column's width, as the rows loaded want it.
pub fn columns(width: u16, state: bool, kind: u16) -> Vec<Column> {
    let c = |id, width| Column { id, width };
    let wide = width >= 100;
    // `○ unscheduled` is the widest SLA cell.
    let mut cols = vec![
        c(Col::Sla, 13),
        c(Col::Risk, 8),
        c(Col::Model, 0),
        c(Col::Version, if wide { 5 } else { 4 }),
    ];
    if width >= 110 {
        cols.push(c(Col::Submitter, 0));
    }
    if wide {
        cols.push(c(Col::Age, 5));
    }
    // `↻ revalidation` and a trigger with `+N`; only the kind where the
    // state takes the room on a narrow terminal.
    let kind = kind.min(list::KIND_MAX as u16);
    cols.push(c(
        Col::Kind,
        if state && width < 120 {
            kind.min(14)
        } else {
            kind
        },
    ));
    if state {
        cols.push(c(Col::State, 10));
    }
    cols.push(c(Col::Approvals, if wide { 7 } else { 6 }));
    if width >= 90 {
        cols.push(c(Col::Gates, 7));
        cols.push(c(Col::Problems, 3));
    }
    let gaps = cols.len() as u16 - 1;
    let fixed: u16 = cols.iter().map(|c| c.width).sum::<u16>() + gaps + MARK;
    let flex: Vec<usize> = cols
        .iter()
        .enumerate()
        .filter(|(_, c)| c.width == 0)
        .map(|(i, _)| i)
        .collect();
    let spare = width.saturating_sub(fixed);
    // Model gets 60% of what is left, the submitter the rest.
    let shares: Vec<u16> = match flex.len() {
        1 => vec![spare],
        _ => vec![spare * 3 / 5, spare - spare * 3 / 5],
    };
    for (i, s) in flex.into_iter().zip(shares) {
        cols[i].width = s.max(6);
    }
    cols
}

fn cell_text(app: &App, row: &list::Row, col: Column) -> (String, Style) {
    let t = &app.theme;
    let it = &row.item;
    match col.id {
        Col::Sla => {
            let (state, secs) = row.live_sla(app.now_ms);
            let when = match state {
                crate::review::sla::SlaState::Unscheduled => "unscheduled".to_owned(),
                _ => list::countdown(secs),
            };
            (format!("{} {when}", state.glyph()), t.sla(state))
        }
        Col::Kind => (
            list::kind_text(it, col.width as usize),
            match it.kind {
                crate::review::queue::Kind::Review => t.text(),
                _ => t.warn(),
            },
        ),
        Col::Risk => (
            it.risk.as_str().to_owned(),
            if it.risk >= crate::review::risk::Risk::High {
                t.bold()
            } else {
                t.text()
            },
        ),
        Col::Model => (clean::line(&it.model), t.text()),
        Col::Version => (clean::line(&it.version), t.text()),
        Col::Submitter => (
            clean::line(it.submitted_by.as_deref().unwrap_or("(unknown)")),
            t.dim(),
        ),
        Col::Age => (list::age(row.submitted_ms, app.now_ms), t.dim()),
        Col::State => (it.state.as_str().to_owned(), t.text()),
        Col::Approvals => (list::approvals(it), t.text()),
        Col::Gates => {
            let g = list::gate_summary(it.gates.as_ref());
            let style = if g.starts_with('✖') || g.starts_with('!') {
                t.bad()
            } else if g.starts_with('▲') {
                t.warn()
            } else if g.starts_with('✓') {
                t.good()
            } else {
                t.dim()
            };
            (g, style)
        }
        Col::Problems => {
            if it.problems.is_empty() {
                (String::new(), t.text())
            } else {
                (format!("⚠{}", it.problems.len()), t.warn())
            }
        }
    }
}

/// The second header line: what narrows and orders the queue.
fn summary(app: &App) -> Line<'static> {
    let t = &app.theme;
    let q = &app.queue;
    let mut spans = vec![Span::styled("filter ", t.dim())];
    if q.filter.editing {
        spans.push(Span::styled(
            format!("/{}▏", clean::line(&q.filter.text)),
            t.heading(),
        ));
    } else if q.filter.text.is_empty() {
        spans.push(Span::styled(
            format!("({} to filter)", app.keymap.label(Command::Filter)),
            t.dim(),
        ));
    } else {
        spans.push(Span::styled(
            format!("/{}", clean::line(&q.filter.text)),
            t.bold(),
        ));
    }
    let toggles = [
        ("sort", q.sort.as_str().to_owned()),
        (
            "risk",
            q.risk.map_or("all".to_owned(), |r| r.as_str().to_owned()),
        ),
        (
            "kind",
            q.kind.map_or("all".to_owned(), |k| k.as_str().to_owned()),
        ),
        ("state", q.state.label().to_owned()),
        ("mine", if q.mine { "on" } else { "off" }.to_owned()),
    ];
    for (k, v) in toggles {
        spans.push(Span::styled(format!("   {k} "), t.dim()));
        spans.push(Span::styled(v, t.bold()));
    }
    spans.push(Span::styled(
        format!("   {} of {} shown", q.visible.len(), q.in_state),
        t.dim(),
    ));
    Line::from(spans)
}

/// Why the list is empty, in words a reviewer can act on.
pub fn empty_reason(app: &App) -> String {
    let q = &app.queue;
    if let Load::Failed(e) = &q.answer {
        return format!(
            "The queue could not be loaded: {}. {} retries.",
            clean::line(e),
            app.keymap.label(Command::Reload)
        );
    }
    if q.answer.is_loading() {
        return "Loading the queue from the registry…".into();
    }
    if q.rows.is_empty() {
        return "No reviews are waiting. A version enters the queue when it is submitted, reopened (revalidation) or its approval's renewal window begins.".into();
    }
    let mut why = Vec::new();
    if !q.filter.text.is_empty() {
        why.push(format!("filter \"{}\"", clean::line(&q.filter.text)));
    }
    if let Some(r) = q.risk {
        why.push(format!("risk {}", r.as_str()));
    }
    if let Some(k) = q.kind {
        why.push(format!("kind {}", k.as_str()));
    }
    if q.state != StateFilter::Open {
        why.push(format!("state {}", q.state.label()));
    }
    if q.mine {
        why.push("mine (reviews that need a role you hold and that you did not author)".into());
    }
    if why.is_empty() {
        return format!(
            "Nothing open. Press {} to see reviews in other states.",
            app.keymap.label(Command::State)
        );
    }
    format!(
        "No review matches {}. esc clears the filter; {}, {}, {} and {} change the toggles.",
        why.join(", "),
        app.keymap.label(Command::Risk),
        app.keymap.label(Command::Kind),
        app.keymap.label(Command::State),
        app.keymap.label(Command::Mine)
    )
}

pub fn render(app: &App, buf: &mut Buffer, area: Rect) {
    let a = areas(area);
    let t = &app.theme;
    if a.header.height > 1 {
        put_line(buf, a.header, a.header.y + 1, &summary(app));
    }
    if a.body.height == 0 {
        return;
    }
    let cols = columns(
        a.body.width,
        app.queue.state != StateFilter::Open,
        app.queue.kind_width as u16,
    );
    // Column titles.
    let mut spans = vec![Span::raw(" ".repeat(MARK as usize))];
    for (i, c) in cols.iter().enumerate() {
        if i > 0 {
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(pad(c.id.title(), c.width as usize), t.dim()));
    }
    put_line(buf, a.body, a.body.y, &Line::from(spans));

    let list = queue_list_area(area);
    let q = &app.queue;
    if q.visible.is_empty() {
        let failed = matches!(q.answer, Load::Failed(_));
        let style = if failed { t.error() } else { t.text() };
        let mut msg = empty_reason(app);
        if q.answer.is_loading() {
            msg = format!(
                "{} {msg}",
                ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"][app.spinner % 10]
            );
        }
        let y = list.y + list.height.min(2) / 2;
        let line = Line::from(Span::styled(format!("  {msg}"), style));
        if failed {
            // An error is read in full: wrapped over the list, never cut at
            // the window's width.
            let rest = Rect {
                y,
                height: list.height.saturating_sub(y - list.y),
                ..list
            };
            Paragraph::new(line)
                .wrap(Wrap { trim: false })
                .render(rest, buf);
        } else {
            put_line(buf, list, y, &line);
        }
        return;
    }
    for (line_no, vis) in q
        .list
        .window(q.visible.len(), list.height as usize)
        .enumerate()
    {
        let Some(row) = q.rows.get(q.visible[vis] as usize) else {
            continue;
        };
        let y = list.y + line_no as u16;
        let selected = vis == q.list.selected;
        let mut spans = vec![Span::raw(if selected { "▶ " } else { "  " })];
        for (i, c) in cols.iter().enumerate() {
            if i > 0 {
                spans.push(Span::raw(" "));
            }
            let (text, style) = cell_text(app, row, *c);
            spans.push(Span::styled(pad(&text, c.width as usize), style));
        }
        let line = Line::from(spans);
        if selected {
            // Selection keeps each cell's colour and adds the highlight.
            let row_area = Rect::new(list.x, y, list.width, 1);
            buf.set_style(row_area, t.selected());
            put_line(buf, list, y, &line.patch_style(t.selected()));
        } else {
            put_line(buf, list, y, &line);
        }
    }
    // Where in a long list the window is.
    if q.visible.len() > list.height as usize && list.width > 12 {
        let text = format!(" {}/{} ", q.list.selected + 1, q.visible.len());
        let x = list.x + list.width.saturating_sub(clean::width(&text) as u16);
        buf.set_string(x, a.body.y, text, t.dim());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_fill_the_width_and_drop_the_least_needed() {
        for w in [80u16, 90, 100, 120, 200] {
            for state in [false, true] {
                let cols = columns(w, state, 24);
                let used: u16 =
                    cols.iter().map(|c| c.width).sum::<u16>() + cols.len() as u16 - 1 + MARK;
                assert!(used <= w, "{w}: {used}");
                assert!(used + 2 >= w, "{w}: {used} leaves room unused");
                let model = cols.iter().find(|c| c.id == Col::Model).unwrap();
                assert!(model.width >= 12, "{w} {state}: model {}", model.width);
                assert!(cols.iter().any(|c| c.id == Col::Kind));
                assert_eq!(cols.iter().any(|c| c.id == Col::State), state);
            }
        }
        assert!(!columns(80, false, 8).iter().any(|c| c.id == Col::Submitter));
        assert!(
            columns(120, false, 8)
                .iter()
                .any(|c| c.id == Col::Submitter)
        );
        let kind = |k| {
            columns(120, false, k)
                .iter()
                .find(|c| c.id == Col::Kind)
                .unwrap()
                .width
        };
        assert_eq!(
            (kind(8), kind(40)),
            (8, 24),
            "as wide as the rows want, at most 24"
        );
    }
}
