//! `?`: the keys of the current screen, generated from the key map.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::centered;
use crate::tui::app::App;
use crate::tui::keymap::Context;

/// The help text of a screen: key map rows, then the keys of text input and the mouse.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let t = &app.theme;
    let ctx = app.context();
    let rows = app.keymap.help(ctx, app.readonly);
    let kw = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(4);
    let mut out: Vec<Line<'static>> = rows
        .into_iter()
        .map(|(k, d)| {
            Line::from(vec![
                Span::styled(format!(" {k:<kw$} "), t.key()),
                Span::raw(d),
            ])
        })
        .collect();
    out.push(Line::default());
    let extra: &[&str] = match ctx {
        Context::Queue => &[
            " While filtering: type to narrow, enter keeps the filter, esc clears it,",
            " ↑/↓ move. Words match model, submitter, risk, state, kind and trigger.",
            " KIND: ◇ review  ↻ revalidation (its first trigger, +N more)  ◷ renewal.",
            " SLA: ● on track  ▲ at risk  ✖ breached  ■ stopped  ○ unscheduled (a",
            " revalidation no reopen has recorded yet). APPR: approvals/roles,",
            " ? when some are unverified. GATES: ✖ deny ▲ warn ✓ pass – not evaluated.",
            " Mouse: wheel scrolls, click selects, click the selected row to open it.",
        ],
        Context::Review => &[
            " Decisions open a dialog: focus starts on Cancel, tab moves, enter on",
            " Sign signs in the background with the evidence digest shown. In it: ←/→",
            " cycle the role, ↑/↓ choose a reject's or request-changes' category, space",
            " answers the focused checklist item (yes, no, n/a where allowed), ↑/↓ move",
            " between items; Sign stays disabled, saying why, until both are complete.",
            " Reopen: ←/→ pick the trigger, give the reason; the approval is re-examined.",
            " Mouse: wheel scrolls the tab, click a tab to show it.",
            " ▲ improved ▼ regressed follow each metric's direction.",
        ],
        Context::Audit => &[
            " ✓ valid  ✖ invalid (the reason is in the detail pane). Filter words match",
            " model, version, actor, action, role, id, valid/invalid; model:M actor:A",
            " action:X narrow exactly. Deleting the newest records of a version is",
            " detectable only against a checkpoint.",
        ],
        Context::Deploy => &[
            " ⚑ an alias position no record explains  ▲ unratified  ✖ overdue (24h)",
            " or break-glass. Rollback: pick an earlier approved version, reason,",
            " incident, type the model's name; focus starts on Cancel. ↻ revalidation:",
            " the holder's approval is reopened; ◷ renewal: its renewal window began.",
            " Reopen signs a reopen on the holder: a trigger and a reason.",
        ],
        Context::Personas => &[
            " The demo's people and their public demo keys: pick one to sign as them.",
            " esc browses read-only. :as NAME switches at any time (the demo only).",
        ],
        Context::Stats => &[
            " Figures from valid records only: invalid records are left out of every",
            " one (the records line counts them). Every chart carries its numbers;",
            " gauges read part/whole (NN%), \"none to count\" when there is no whole.",
            " Latency is submission to quorum, p50 then p90 per ISO week of approval.",
            " `modelgate stats` prints the same figures, --json for scripts.",
        ],
    };
    out.extend(extra.iter().map(|l| Line::from(Span::styled(*l, t.dim()))));
    if app.readonly {
        out.push(Line::from(Span::styled(
            " --readonly: every action that writes is hidden.",
            t.warn(),
        )));
    }
    out
}

pub fn render(app: &App, f: &mut Frame<'_>, area: Rect) {
    let t = &app.theme;
    let body = lines(app);
    let h = body.len() as u16 + 2;
    let rect = centered(area, 84, h);
    let title = match app.context() {
        Context::Queue => " Keys · queue ",
        Context::Review => " Keys · review ",
        Context::Audit => " Keys · audit ",
        Context::Deploy => " Keys · deploy ",
        Context::Personas => " Keys · demo personas ",
        Context::Stats => " Keys · stats ",
    };
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(body).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.frame())
                .title(Span::styled(title, t.title()))
                .title_bottom(Span::styled(" any key closes ", t.dim())),
        ),
        rect,
    );
}
