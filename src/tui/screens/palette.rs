//! `:`: the command palette, with completion.

use crossterm::event::{KeyCode, KeyEvent};

use crate::tui::widgets::input::{self, Edit};

/// The commands of the `:` palette.
pub const PALETTE: [(&str, &str); 4] = [
    ("queue", "the review queue"),
    ("audit", "every signed record, verification, export"),
    ("deploy", "production aliases, rollbacks, ratification"),
    ("quit", "leave modelgate"),
];

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Palette {
    pub input: String,
    pub selected: usize,
}

/// Palette entries matching what is typed.
pub fn matches(input: &str) -> Vec<(&'static str, &'static str)> {
    let typed = input.trim().trim_start_matches(':');
    PALETTE
        .into_iter()
        .filter(|(name, _)| name.starts_with(typed))
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
                let m = matches(&self.input);
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
                    let m = matches(&self.input);
                    let typed = self.input.trim().trim_start_matches(':').to_owned();
                    let name = if m.iter().any(|(n, _)| *n == typed) {
                        typed
                    } else {
                        m.get(self.selected)
                            .map(|(n, _)| (*n).to_owned())
                            .unwrap_or(typed)
                    };
                    return PaletteKey::Run(name);
                }
                Edit::Changed => self.selected = 0,
                Edit::Ignored => {}
            },
        }
        self.selected = self
            .selected
            .min(matches(&self.input).len().saturating_sub(1));
        PaletteKey::Stay
    }
}
