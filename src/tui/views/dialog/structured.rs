//! The signing dialog's category list and checklist (PROTOCOL 13): the
//! categories in the order offered, the chosen one marked; one line per
//! checklist item with its answer, wrapped under its text.

use ratatui::text::{Line, Span};

use super::label;
use crate::trust::checklist::Answer;
use crate::tui::app::{Field, SignDialog};
use crate::tui::clean::{self, pad};
use crate::tui::tabs::wrap;
use crate::tui::theme::Theme;

/// Below this width the item ids are left out: the text says more.
const ID_WIDTH_FROM: usize = 60;

pub(super) fn lines(t: &Theme, d: &SignDialog, width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let focus = d.focus();
    let s = &d.structured;
    if !s.categories.is_empty() {
        let mut spans = vec![label(t, focus == Field::Category, "category")];
        for (i, c) in s.categories.iter().enumerate() {
            let c = clean::line(c);
            spans.push(if s.category == Some(i) {
                let style = if focus == Field::Category {
                    t.selected()
                } else {
                    t.bold()
                };
                Span::styled(format!("[{c}]"), style)
            } else {
                Span::styled(format!(" {c} "), t.text())
            });
        }
        if s.category.is_none() {
            spans.push(Span::styled("  required", t.dim()));
        }
        out.extend(wrap(Line::from(spans), width, 12));
    }
    let Some(c) = d.checklist() else {
        return out;
    };
    out.push(Line::default());
    let head = Line::from(vec![
        Span::styled("  checklist ", t.dim()),
        Span::styled(clean::line(&c.id), t.bold()),
        Span::styled(
            format!(
                "  {} at {} risk",
                clean::line(d.role().unwrap_or("")),
                s.risk.map_or("?", |r| r.as_str())
            ),
            t.dim(),
        ),
    ]);
    out.extend(wrap(head, width, 12));
    let ids = width >= ID_WIDTH_FROM;
    let idw = c
        .items
        .iter()
        .map(|i| clean::width(&i.id))
        .max()
        .unwrap_or(0)
        .min(16);
    for (n, item) in c.items.iter().enumerate() {
        let on = focus == Field::Item(n);
        let answer = s.answer(d.role(), &item.id);
        let (mark, style) = match answer {
            Some(Answer::Yes) => ("yes", t.good()),
            Some(Answer::No) => (" no", t.bad()),
            Some(Answer::NotApplicable) => ("n/a", t.dim()),
            None => (" · ", t.warn()),
        };
        let mut spans = vec![
            Span::styled(
                if on { "▶ " } else { "  " },
                if on { t.selected() } else { t.dim() },
            ),
            Span::styled(format!("[{mark}]"), if on { t.selected() } else { style }),
            Span::raw(" "),
        ];
        let mut indent = 8;
        if ids {
            spans.push(Span::styled(
                format!("{}  ", pad(&clean::line(&item.id), idw)),
                t.dim(),
            ));
            indent += idw + 2;
        }
        spans.push(Span::raw(clean::line(&item.text)));
        if item.allow_na {
            spans.push(Span::styled("  (n/a allowed)", t.dim()));
        }
        out.extend(wrap(Line::from(spans), width, indent));
    }
    out
}
