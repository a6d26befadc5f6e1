//! The audit and deploy screens of later issues: what they will hold, said plainly.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::put_line;
use crate::tui::app::{App, Screen};

pub fn text(screen: Screen) -> &'static [&'static str] {
    match screen {
        Screen::Audit => &[
            "Audit — not built yet.",
            "",
            "This screen will verify every signed record of every version: invalid records,",
            "missing parents, stale or unverified approvals, unsigned submissions, aliases no",
            "record explains, and unratified rollbacks, against the local checkpoint.",
            "It comes with the signed-decisions work; nothing here is checked yet.",
        ],
        Screen::Deploy => &[
            "Deploy — not built yet.",
            "",
            "This screen will promote approved versions to the production alias, roll back",
            "with an incident id, and ratify rollbacks, each as a signed record.",
            "It comes with the deployments work; nothing can be promoted from here yet.",
        ],
        _ => &[],
    }
}

pub fn render(app: &App, buf: &mut Buffer, body: Rect) {
    let t = &app.theme;
    for (i, l) in text(app.screen()).iter().enumerate() {
        let style = if i == 0 { t.heading() } else { t.text() };
        put_line(
            buf,
            body,
            body.y + 1 + i as u16,
            &Line::from(Span::styled(format!("  {l}"), style)),
        );
    }
    put_line(
        buf,
        body,
        body.y + 3 + text(app.screen()).len() as u16,
        &Line::from(Span::styled("  esc goes back to where you were.", t.dim())),
    );
}
