//! Sanitising untrusted text before it reaches a terminal.
//!
//! Registry text (names, descriptions, tags, metric names, report fields, error
//! bodies) is untrusted. C0 controls other than newline and tab, DEL, C1 controls
//! and ESC become visible caret notation; bidi overrides and isolates are
//! stripped. JSON output does not use this: serde escapes control characters.

use std::borrow::Cow;

/// Bidi embedding, override and isolate controls, plus the implicit marks:
/// they reorder what a reader sees without being visible themselves.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

fn needs_work(c: char) -> bool {
    (c < ' ' && c != '\n' && c != '\t') || ('\u{7f}'..='\u{9f}').contains(&c) || is_bidi_control(c)
}

fn push_visible(out: &mut String, c: char) {
    match c {
        '\n' | '\t' => out.push(c),
        // C0 and DEL: ^@ .. ^_, ^?
        '\0'..='\u{1f}' | '\u{7f}' => {
            out.push('^');
            out.push(char::from((c as u8) ^ 0x40));
        }
        // C1 is the 8-bit form of ESC followed by a letter: show it that way.
        '\u{80}'..='\u{9f}' => {
            out.push_str("^[");
            out.push(char::from((c as u32 - 0x40) as u8));
        }
        _ if is_bidi_control(c) => {}
        _ => out.push(c),
    }
}

/// Multi-line text: keeps newlines and tabs, neutralises everything else.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_work) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

/// One-line text for table cells and headers: newlines and tabs become spaces too.
pub fn sanitize_line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| needs_work(c) || c == '\n' || c == '\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' | '\t' => out.push(' '),
            _ => push_visible(&mut out, c),
        }
    }
    Cow::Owned(out)
}

/// Cuts a string to at most `max` characters, marking the cut with an ellipsis.
pub fn truncate_chars(s: &str, max: usize) -> Cow<'_, str> {
    if s.chars().count() <= max {
        return Cow::Borrowed(s);
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    Cow::Owned(out)
}

/// The first 12 characters of a record id, safe to print: an id taken from a
/// tag key is text from outside and may hold anything.
pub fn short_id(id: &str) -> String {
    let head: String = id.chars().take(12).collect();
    sanitize_line(&head).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_become_caret_notation() {
        assert_eq!(sanitize("a\x1b[31mred\x1b[0m"), "a^[[31mred^[[0m");
        assert_eq!(sanitize("bell\x07 del\x7f"), "bell^G del^?");
        assert_eq!(sanitize("csi\u{9b}2J"), "csi^[[2J");
        assert_eq!(sanitize("cr\rlf\n\ttab"), "cr^Mlf\n\ttab");
    }

    #[test]
    fn bidi_controls_are_stripped() {
        assert_eq!(
            sanitize("safe\u{202E}gpj.exe\u{2066}x\u{2069}"),
            "safegpj.exex"
        );
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(sanitize("fraud-scorer v7 ✓ 表"), Cow::Borrowed(_)));
    }

    #[test]
    fn line_form_folds_newlines() {
        assert_eq!(sanitize_line("a\nb\tc\x1b"), "a b c^[");
    }

    #[test]
    fn truncation_counts_chars() {
        assert_eq!(truncate_chars("abcdef", 4), "abc…");
        assert_eq!(truncate_chars("abc", 4), "abc");
    }

    proptest! {
        #[test]
        fn sanitized_never_holds_controls(s in any::<String>()) {
            let out = sanitize(&s);
            for c in out.chars() {
                prop_assert!(!(c < ' ' && c != '\n' && c != '\t'), "control {:?}", c);
                prop_assert!(!('\u{7f}'..='\u{9f}').contains(&c), "C1 or DEL {:?}", c);
                prop_assert!(!is_bidi_control(c), "bidi {:?}", c);
            }
            let line = sanitize_line(&s);
            prop_assert!(line.bytes().all(|b| b >= 0x20 && b != 0x7f));
        }

        #[test]
        fn printable_text_is_unchanged(s in "[a-zA-Z0-9 .,:;!?é表😀-]*") {
            prop_assert_eq!(sanitize(&s), s.as_str());
        }
    }
}
