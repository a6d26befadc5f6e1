//! `:`: the command palette, with completion.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::app::{App, Palette};
use crate::tui::clean;

pub fn render(app: &App, p: &Palette, f: &mut Frame<'_>, area: Rect) {
    let t = &app.theme;
    let matches = app.palette_matches(&p.input);
    let h = (matches.len() as u16 + 3).max(4);
    let w = area.width.saturating_sub(4).min(64);
    let rect = Rect::new(
        area.x + 2,
        area.y + area.height.saturating_sub(h + 2),
        w,
        h.min(area.height.saturating_sub(2)),
    );
    let mut lines = vec![Line::from(vec![
        Span::styled(":", t.key()),
        Span::raw(clean::line(&p.input)),
        Span::styled("▏", t.key()),
    ])];
    if matches.is_empty() {
        lines.push(Line::from(Span::styled("  no such command", t.dim())));
    }
    for (i, (name, what)) in matches.iter().enumerate() {
        let selected = i == p.selected;
        let line = Line::from(vec![
            Span::raw(if selected { "▶ " } else { "  " }),
            Span::styled(format!(":{name:<8}"), t.bold()),
            Span::styled(format!(" {what}"), t.dim()),
        ]);
        lines.push(if selected {
            line.patch_style(t.selected())
        } else {
            line
        });
    }
    f.render_widget(Clear, rect);
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(t.frame())
                .title(Span::styled(" command ", t.title()))
                .title_bottom(Span::styled(
                    " tab completes · enter runs · esc closes ",
                    t.dim(),
                )),
        ),
        rect,
    );
}
