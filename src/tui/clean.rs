//! Registry text made safe for a cell grid. `crate::text` neutralises control
//! and bidi characters; here we also drop the invisible joiners and selectors
//! whose width terminals disagree on (a ZWJ family emoji is 2 cells in one
//! terminal and 6 in another), so our idea of a line's width stays the
//! terminal's, and cap what one piece of text may cost to lay out.

use unicode_width::UnicodeWidthChar;

use crate::text::sanitize_line;

/// Text longer than this is cut before layout (`show --json` has it whole).
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

fn ambiguous_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200D}' // zero width space, non-joiner, joiner
        | '\u{2060}'..='\u{2064}' // word joiner, invisible operators
        | '\u{FE00}'..='\u{FE0F}' // variation selectors
        | '\u{FEFF}' // BOM / zero width no-break space
        | '\u{00AD}' // soft hyphen
        | '\u{E0000}'..='\u{E007F}' // tags
    )
}

/// One line of untrusted text: no controls, no bidi, no ambiguous invisibles.
pub fn line(s: &str) -> String {
    let safe = sanitize_line(s);
    if safe.chars().any(ambiguous_invisible) {
        safe.chars().filter(|c| !ambiguous_invisible(*c)).collect()
    } else {
        safe.into_owned()
    }
}

/// Multi-line untrusted text as lines, cut at `MAX_TEXT_BYTES` with a note.
pub fn lines(s: &str) -> Vec<String> {
    let (body, cut) = if s.len() > MAX_TEXT_BYTES {
        let mut end = MAX_TEXT_BYTES;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        (&s[..end], Some(s.len()))
    } else {
        (s, None)
    };
    let mut out: Vec<String> = body.lines().map(line).collect();
    if let Some(total) = cut {
        out.push(format!(
            "… cut here: the text is {total} bytes; `modelgate show --json` has all of it"
        ));
    }
    out
}

/// Display width in cells, as ratatui measures it.
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// The longest prefix of `s` that fits in `max` cells.
pub fn fit(s: &str, max: usize) -> &str {
    let mut w = 0;
    for (i, c) in s.char_indices() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max {
            return &s[..i];
        }
        w += cw;
    }
    s
}

/// `s` cut to `max` cells with `…` when it does not fit.
pub fn ellipsize(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_owned();
    }
    if max == 0 {
        return String::new();
    }
    format!("{}…", fit(s, max - 1))
}

/// Spaces to `w` cells (for padding cells of a styled row).
pub fn pad(s: &str, w: usize) -> String {
    let cut = ellipsize(s, w);
    let n = w.saturating_sub(width(&cut));
    format!("{cut}{}", " ".repeat(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_loses_its_teeth() {
        assert_eq!(line("a\x1b[2Jb\u{202E}c\nd"), "a^[[2Jbc d");
        assert_eq!(line("👨\u{200D}👩\u{200D}👧 ok\u{FE0F}"), "👨👩👧 ok");
        let big = "x".repeat(MAX_TEXT_BYTES * 2);
        let l = lines(&big);
        assert_eq!(l.len(), 2);
        assert!(l[1].contains(&format!("{} bytes", big.len())));
    }

    #[test]
    fn widths_count_wide_characters() {
        assert_eq!(width("表表"), 4);
        assert_eq!(fit("表表表", 5), "表表");
        assert_eq!(ellipsize("fraud-scorer", 6), "fraud…");
        assert_eq!(ellipsize("表表表", 4), "表…");
        assert_eq!(ellipsize("ok", 4), "ok");
    }
}
