//! One line of typed text (filters, the palette, dialog fields). The cursor
//! is always at the end: drawn as `▏` after the text.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key did to a line being typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    /// The text may have changed (typed or erased).
    Changed,
    /// Enter.
    Submit,
    /// Esc.
    Cancel,
    /// Not a key of text input.
    Ignored,
}

/// Applies `k` to `text`, which keeps at most `max_chars` characters.
pub fn edit(text: &mut String, k: &KeyEvent, max_chars: usize) -> Edit {
    let plain = !k
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    match k.code {
        KeyCode::Esc => Edit::Cancel,
        KeyCode::Enter => Edit::Submit,
        KeyCode::Backspace => {
            text.pop();
            Edit::Changed
        }
        KeyCode::Char(c) if plain => {
            if text.chars().count() < max_chars {
                text.push(c);
            }
            Edit::Changed
        }
        _ => Edit::Ignored,
    }
}

/// A `/` filter: its words, and whether it has the keyboard.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub text: String,
    pub editing: bool,
}

/// What a key did to a filter being edited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterKey {
    /// The words changed, or editing ended (Esc also clears them).
    Changed,
    /// Arrows still move through the rows being filtered.
    Move(isize),
    /// Not the filter's: the screen's key map has it.
    Pass,
}

impl Filter {
    pub fn key(&mut self, k: &KeyEvent) -> FilterKey {
        match k.code {
            KeyCode::Up => return FilterKey::Move(-1),
            KeyCode::Down => return FilterKey::Move(1),
            _ => {}
        }
        match edit(&mut self.text, k, usize::MAX) {
            Edit::Cancel => {
                self.editing = false;
                self.text.clear();
            }
            Edit::Submit => self.editing = false,
            Edit::Changed => {}
            Edit::Ignored => return FilterKey::Pass,
        }
        FilterKey::Changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_erasing_and_the_limit() {
        let mut s = String::new();
        assert_eq!(edit(&mut s, &k(KeyCode::Char('a')), 2), Edit::Changed);
        edit(&mut s, &k(KeyCode::Char('b')), 2);
        edit(&mut s, &k(KeyCode::Char('c')), 2);
        assert_eq!(s, "ab");
        edit(&mut s, &k(KeyCode::Backspace), 2);
        assert_eq!(s, "a");
        let ctrl = KeyEvent::new(KeyCode::Char('x'), KeyModifiers::CONTROL);
        assert_eq!(edit(&mut s, &ctrl, 2), Edit::Ignored);
        assert_eq!(edit(&mut s, &k(KeyCode::Left), 2), Edit::Ignored);
    }

    #[test]
    fn a_filter_ends_with_enter_and_clears_with_esc() {
        let mut f = Filter {
            text: "ab".into(),
            editing: true,
        };
        assert_eq!(f.key(&k(KeyCode::Down)), FilterKey::Move(1));
        assert_eq!(f.key(&k(KeyCode::F(5))), FilterKey::Pass);
        assert_eq!(f.key(&k(KeyCode::Enter)), FilterKey::Changed);
        assert_eq!((f.text.as_str(), f.editing), ("ab", false));
        f.editing = true;
        f.key(&k(KeyCode::Esc));
        assert_eq!((f.text.as_str(), f.editing), ("", false));
    }
}
