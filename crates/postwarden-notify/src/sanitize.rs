//! Making text from outside (sender addresses, subjects, user names from logs) safe for
//! where a notification puts it: one-line values for headers and SMS, capped lengths, and
//! CSV cells that a spreadsheet will not run as a formula.
//!
//! Templates are trusted; the values they interpolate are not. The template engine passes
//! every interpolated value through [`value`], so a CR/LF in a user name can neither start a
//! new mail header nor a new line of an SMS.

/// One line of at most `max_chars` characters: control characters (CR, LF, NUL, ESC, …,
/// and Unicode line/paragraph separators) become spaces, runs of spaces collapse, and
/// anything longer is cut with `…`.
pub fn value(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    let mut count = 0;
    let mut last_space = false;
    for c in text.chars() {
        let c = if is_breaking(c) { ' ' } else { c };
        if c == ' ' && last_space {
            continue;
        }
        if count == max_chars {
            out.pop_if_space();
            out.push('…');
            return out;
        }
        last_space = c == ' ';
        out.push(c);
        count += 1;
    }
    out
}

/// A header value (the subject): one line of at most `max_chars`, trimmed.
pub fn header(text: &str, max_chars: usize) -> String {
    value(text.trim(), max_chars).trim().to_owned()
}

/// A CSV cell that spreadsheets show as text: a leading `=`, `+`, `-`, `@`, tab or CR would
/// make Excel or LibreOffice evaluate it, so such a cell gets a leading `'`.
pub fn csv_cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

fn is_breaking(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}')
}

trait PopIfSpace {
    fn pop_if_space(&mut self);
}

impl PopIfSpace for String {
    fn pop_if_space(&mut self) {
        if self.ends_with(' ') {
            self.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn line_breaks_cannot_start_a_header() {
        assert_eq!(
            value("admin\r\nBcc: victim@example.org", 100),
            "admin Bcc: victim@example.org"
        );
        assert_eq!(value("a\u{2028}b\x1b[31mc", 100), "a b [31mc");
    }

    #[test]
    fn long_values_are_cut() {
        assert_eq!(value("abcdefgh", 4), "abcd…");
        assert_eq!(value("abc defgh", 4), "abc…");
        assert_eq!(value("abcd", 4), "abcd");
    }

    #[test]
    fn formulas_become_text() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("203.0.113.7"), "203.0.113.7");
    }

    proptest! {
        #[test]
        fn values_are_one_short_line(text in any::<String>(), max in 1usize..300) {
            let v = value(&text, max);
            prop_assert!(!v.chars().any(is_breaking));
            prop_assert!(v.chars().count() <= max + 1);
            let h = header(&text, max);
            prop_assert!(!h.contains('\n') && !h.contains('\r'));
        }
    }
}
