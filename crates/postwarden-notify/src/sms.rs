//! SMS text rules: E.164 numbers, GSM-7 and UCS-2 segment counting, and cutting a text to
//! a number of parts (cost control).
//!
//! A text that fits the GSM 03.38 alphabet is sent as GSM-7: 160 septets in one part, 153
//! per part when concatenated, with the extension characters (`^{}\[~]|€` and form feed)
//! taking two septets. Any other character makes the whole text UCS-2: 70 UTF-16 units in
//! one part, 67 per part when concatenated.

/// The GSM 03.38 basic character set (one septet each).
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table (escape + one septet: two each).
const GSM_EXTENSION: &str = "^{}\\[~]|€\u{c}";

/// How a text is encoded and how many parts it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments {
    pub ucs2: bool,
    /// Septets (GSM-7) or UTF-16 units (UCS-2).
    pub units: usize,
    pub parts: usize,
}

/// Whether `number` is an E.164 number: `+`, a non-zero digit, 8 to 15 digits in all.
pub fn is_e164(number: &str) -> bool {
    let Some(digits) = number.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// The number in E.164 form, accepting the spaces, dots, dashes and brackets people write
/// (`+1 (234) 567-8901`); `None` when it is not one.
pub fn normalize_e164(number: &str) -> Option<String> {
    let cleaned: String = number
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    is_e164(&cleaned).then_some(cleaned)
}

fn septets(c: char) -> Option<usize> {
    if GSM_BASIC.contains(c) {
        Some(1)
    } else if GSM_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The encoding and parts of `text`. Concatenated parts never split a character (an
/// escape pair in GSM-7, a surrogate pair in UCS-2), so a part may hold one unit less.
pub fn segments(text: &str) -> Segments {
    let gsm: Option<Vec<usize>> = text.chars().map(septets).collect();
    let (ucs2, widths, single, multi) = match gsm {
        Some(widths) => (false, widths, 160, 153),
        None => (true, text.chars().map(char::len_utf16).collect(), 70, 67),
    };
    let units = widths.iter().sum();
    let parts = if units <= single {
        1
    } else {
        pack(&widths, multi)
    };
    Segments { ucs2, units, parts }
}

/// Parts of at most `per_part` units needed for characters of `widths`, none split.
fn pack(widths: &[usize], per_part: usize) -> usize {
    let mut parts = 1;
    let mut used = 0;
    for &width in widths {
        if used + width > per_part {
            parts += 1;
            used = 0;
        }
        used += width;
    }
    parts
}

/// `text` cut (with `…` where allowed by the encoding, else `...`) so it takes at most
/// `max_parts` parts.
pub fn fit(text: &str, max_parts: usize) -> String {
    cut_before(text, "", max_parts)
}

/// Like [`fit`], but a text that ends in `tail` (the `[ticket]` of every SMS) keeps it: the
/// cut is made before it. An SMS about a long error would otherwise lose its ticket number —
/// the one thing the on-call person needs to quote.
pub fn fit_keeping(text: &str, tail: &str, max_parts: usize) -> String {
    let text = text.trim_end();
    match text.strip_suffix(tail).filter(|_| !tail.is_empty()) {
        Some(head) => cut_before(head, tail, max_parts),
        None => fit(text, max_parts),
    }
}

/// `head` then `tail`, `head` cut (with an ellipsis) until the whole takes at most
/// `max_parts` parts.
fn cut_before(head: &str, tail: &str, max_parts: usize) -> String {
    let whole = format!("{head}{tail}");
    if segments(&whole).parts <= max_parts {
        return whole;
    }
    let ellipsis = if segments(&whole).ucs2 { "…" } else { "..." };
    let joint = if tail.is_empty() { "" } else { " " };
    // No part holds more than 160 characters: start from at most that many.
    let mut cut: String = head.chars().take(max_parts * 160).collect();
    while !cut.is_empty() {
        cut.pop();
        let candidate = format!("{}{ellipsis}{joint}{tail}", cut.trim_end());
        if segments(&candidate).parts <= max_parts {
            return candidate;
        }
    }
    if tail.is_empty() {
        ellipsis.to_owned()
    } else {
        fit(tail, max_parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_long_text_keeps_its_ticket() {
        let text = format!(
            "CRITICAL database unreachable: {} [20261204-D1234567]",
            "connection refused ".repeat(40)
        );
        let fitted = fit_keeping(&text, "[20261204-D1234567]", 1);
        assert!(fitted.ends_with("... [20261204-D1234567]"), "{fitted}");
        assert_eq!(segments(&fitted).parts, 1);
        assert_eq!(fit_keeping("short [T]", "[T]", 1), "short [T]");
        assert_eq!(fit_keeping("no ticket here", "[T]", 1), "no ticket here");
    }

    #[test]
    fn numbers() {
        assert!(is_e164("+12345678901"));
        assert!(!is_e164("12345678901"));
        assert!(!is_e164("+0123456789"));
        assert!(!is_e164("+1234"));
        assert!(!is_e164("+1234567890123456"));
        assert_eq!(
            normalize_e164("+1 (234) 567-8901").as_deref(),
            Some("+12345678901")
        );
        assert_eq!(normalize_e164("+1 234 x"), None);
    }

    #[test]
    fn gsm_and_ucs2_parts() {
        assert_eq!(segments(&"a".repeat(160)).parts, 1);
        assert_eq!(segments(&"a".repeat(161)).parts, 2);
        assert_eq!(segments(&"a".repeat(306)).parts, 2);
        assert_eq!(segments(&"a".repeat(307)).parts, 3);
        // Extension characters take two septets.
        assert_eq!(segments(&"€".repeat(80)).units, 160);
        assert_eq!(segments(&"€".repeat(81)).parts, 2);
        // One character outside GSM-7 turns the text into UCS-2.
        let s = segments(&format!("{}✓", "a".repeat(69)));
        assert!(s.ucs2);
        assert_eq!(s.parts, 1);
        assert_eq!(segments(&format!("{}✓", "a".repeat(70))).parts, 2);
        // Emoji take two UTF-16 units.
        assert_eq!(segments("😀").units, 2);
        // A part never ends in half a character: 152 septets and a '€' (2) make 154 > 153.
        assert_eq!(
            segments(&format!("{}€{}", "a".repeat(152), "a".repeat(152))).parts,
            3
        );
        assert_eq!(
            segments(&format!("{}😀{}", "a".repeat(66), "a".repeat(66))).parts,
            3
        );
    }

    #[test]
    fn fit_cuts_to_parts() {
        let long = "x".repeat(1000);
        let cut = fit(&long, 2);
        assert_eq!(segments(&cut).parts, 2);
        assert!(cut.ends_with("..."));
        assert_eq!(fit("short", 1), "short");
    }

    proptest! {
        #[test]
                fn fit_never_exceeds(text in any::<String>(), max in 1usize..4) {
            prop_assert!(segments(&fit(&text, max)).parts <= max);
        }

        #[test]
        fn fit_keeping_never_exceeds_and_keeps_the_ticket(
            text in any::<String>(),
            max in 1usize..4,
            n in 0u32..10_000_000,
        ) {
            let tail = format!("[20261204-D{n:07}]");
            let fitted = fit_keeping(&format!("{text} {tail}"), &tail, max);
            prop_assert!(segments(&fitted).parts <= max);
            prop_assert!(fitted.ends_with(&tail), "{}", fitted);
        }
    }
}
