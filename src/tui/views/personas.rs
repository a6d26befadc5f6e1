//! The demo's persona picker: one row per person of the demo roster with
//! their roles and what those let them sign.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::put_line;
use crate::tui::app::App;
use crate::tui::clean::pad;
use crate::tui::keymap::Command;
use crate::tui::layout::areas;

pub fn render(app: &App, buf: &mut Buffer, area: Rect) {
    let t = &app.theme;
    let body = areas(area).body;
    let Some(p) = &app.personas else {
        return;
    };
    let key = |c: Command| app.keymap.label(c);
    let lines = [
        Line::from(Span::styled(
            "  Who are you in this demo? Each persona signs with its own key from the demo roster.",
            t.bold(),
        )),
        Line::from(Span::styled(
            "  The roster and keys are public demo material: they are accepted on the demo registry only.",
            t.dim(),
        )),
        Line::default(),
        Line::from(Span::styled(
            format!(
                "  {} {} {} CAN SIGN",
                pad("NAME", 16),
                pad("ID", 32),
                pad("ROLES", 12)
            ),
            t.heading(),
        )),
    ];
    let mut y = body.y;
    for l in &lines {
        put_line(buf, body, y, l);
        y += 1;
    }
    for (i, who) in p.all.iter().enumerate() {
        let selected = i == p.list.selected;
        let acting = p.acting == Some(i);
        let mut line = Line::from(vec![
            Span::raw(if selected { "▶ " } else { "  " }),
            Span::styled(pad(&who.name, 16), t.bold()),
            Span::raw(format!(
                " {} {} ",
                pad(&who.id, 32),
                pad(&who.roles.join(", "), 12)
            )),
            Span::raw(who.can()),
            Span::styled(if acting { "  ● acting" } else { "" }, t.good()),
        ]);
        if selected {
            line = line.patch_style(t.selected());
            line.spans
                .push(Span::styled(" ".repeat(body.width as usize), t.selected()));
        }
        put_line(buf, body, y, &line);
        y += 1;
    }
    let how = format!(
        "  {} acts as the selected persona · {} browses read-only · :as NAME switches at any time",
        key(Command::Pick),
        key(Command::Back)
    );
    put_line(buf, body, y + 1, &Line::from(Span::styled(how, t.dim())));
}
