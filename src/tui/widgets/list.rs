//! The selection and the window of a list taller than the screen. Every list
//! screen keeps one; the page size comes from `layout`.

use std::ops::Range;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListState {
    /// The selected row.
    pub selected: usize,
    /// The first row in the window.
    pub offset: usize,
}

impl ListState {
    /// Moves the selection `by` rows, staying within `n` rows.
    pub fn step(&mut self, by: isize, n: usize) {
        self.selected = (self.selected as isize + by).clamp(0, (n as isize - 1).max(0)) as usize;
    }

    /// Keeps the selection within `n` rows.
    pub fn clamp(&mut self, n: usize) {
        self.selected = self.selected.min(n.saturating_sub(1));
    }

    /// Scrolls a window of `page` rows just enough to show the selection.
    pub fn follow(&mut self, page: usize) {
        let h = page.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + h {
            self.offset = self.selected + 1 - h;
        }
    }

    /// No blank rows below the last of `n` when more than a `page` remain.
    pub fn fit(&mut self, n: usize, page: usize) {
        self.offset = self.offset.min(n.saturating_sub(page.max(1)));
    }

    /// The rows of `n` in a window of `page` rows.
    pub fn window(&self, n: usize, page: usize) -> Range<usize> {
        self.offset.min(n)..(self.offset + page).min(n)
    }

    /// The row of `n` on line `line` of the window, if there is one.
    pub fn row_at(&self, line: usize, n: usize) -> Option<usize> {
        Some(self.offset + line).filter(|i| *i < n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_follows_the_selection_and_stays_full() {
        let mut l = ListState::default();
        l.step(25, 100);
        l.follow(10);
        assert_eq!((l.selected, l.offset), (25, 16));
        l.step(isize::MAX / 2, 100);
        l.follow(10);
        assert_eq!((l.selected, l.offset), (99, 90));
        l.clamp(5);
        l.follow(10);
        l.fit(5, 10);
        assert_eq!((l.selected, l.offset), (4, 0));
        l.step(-3, 0);
        assert_eq!(l.selected, 0, "an empty list selects its first row");
        assert_eq!(l.window(5, 10), 0..5);
        assert_eq!(l.row_at(4, 5), Some(4));
        assert_eq!(l.row_at(5, 5), None);
    }
}
