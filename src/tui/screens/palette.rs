//! `:`: the command palette, with completion.

use crossterm::event::{KeyCode, KeyEvent};

use crate::tui::widgets::input::{self, Edit};

/// The commands of the `:` palette; `as` is listed in the demo only.
pub const PALETTE: [(&str, &str); 6] = [
    ("queue", "the review queue"),
    ("audit", "every signed record, verification, export"),
    ("deploy", "production aliases, rollbacks, ratification"),
    ("stats", "the approval process in numbers, by period"),
    (
        "as",
        "act as a demo persona: :as NAME (:as alone lists them)",
    ),
    ("quit", "leave modelgate"),
];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Palette {
    pub input: String,
    pub selected: usize,
    /// On the demo registry: `:as` is offered.
    pub demo: bool,
}

/// A command line's name and the rest: `("as", "ben")` for `:as ben`.
pub fn split(typed: &str) -> (&str, &str) {
    let typed = typed.trim().trim_start_matches(':').trim();
    match typed.split_once(char::is_whitespace) {
        Some((name, rest)) => (name, rest.trim()),
        None => (typed, ""),
    }
}

/// Palette entries whose name starts with the first word typed.
pub fn matches(input: &str, demo: bool) -> Vec<(&'static str, &'static str)> {
    let (typed, _) = split(input);
    PALETTE
        .into_iter()
        .filter(|(name, _)| name.starts_with(typed) && (demo || *name != "as"))
        .collect()
}

/// What a key in the palette asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaletteKey {
    Stay,
    Close,
    /// Run the command of this name (perhaps no command at all).
    Run(String),
}

impl Palette {
    pub fn on_key(&mut self, k: &KeyEvent) -> PaletteKey {
        match k.code {
            KeyCode::Tab => {
                // Completion: the selected match.
                let m = matches(&self.input, self.demo);
                if let Some((n, _)) = m.get(self.selected.min(m.len().saturating_sub(1))) {
                    self.input = (*n).to_owned();
                    self.selected = 0;
                }
            }
            KeyCode::Down => self.selected += 1,
            KeyCode::Up => self.selected = self.selected.saturating_sub(1),
            _ => match input::edit(&mut self.input, k, usize::MAX) {
                Edit::Cancel => return PaletteKey::Close,
                Edit::Submit => {
                    let m = matches(&self.input, self.demo);
                    let (typed, arg) = split(&self.input);
                    let name = if m.iter().any(|(n, _)| *n == typed) {
                        typed
                    } else {
                        m.get(self.selected).map_or(typed, |(n, _)| *n)
                    };
                    return PaletteKey::Run(format!("{name} {arg}").trim_end().to_owned());
                }
                Edit::Changed => self.selected = 0,
                Edit::Ignored => {}
            },
        }
        self.selected = self
            .selected
            .min(matches(&self.input, self.demo).len().saturating_sub(1));
        PaletteKey::Stay
    }
}
