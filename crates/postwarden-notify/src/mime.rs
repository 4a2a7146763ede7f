//! Building notification e-mails: a text part, an optional HTML alternative, the events'
//! CSV attached or inline, RFC 2047 subjects, and the byte-exact content entity that
//! PGP/MIME signs.
//!
//! This is the one place MIME is assembled: the PGP/MIME `multipart/signed` and
//! `multipart/encrypted` wrappers (pgp.rs) use the same [`multipart`] and [`boundary`]. It
//! is not lettre's builder because a signature covers exact bytes: lettre picks encodings
//! and boundaries itself and re-renders parts, while RFC 3156 needs the signed entity
//! written once and then carried verbatim.
//!
//! Parts are 7-bit when their text allows it (ASCII, short lines, no trailing white space,
//! no line starting with `From `) and base64 otherwise, so a signed part reaches the
//! recipient byte for byte: RFC 3156 requires signed data to survive any mail transport.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// Where the CSV goes.
pub use postwarden_core::config::CsvPlacement;

/// What one notification e-mail says.
#[derive(Debug, Clone)]
pub struct Mail<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub message_id: &'a str,
    pub ticket: &'a str,
    pub date: DateTime<Utc>,
    pub text: &'a str,
    pub html: Option<&'a str>,
    pub csv: Option<&'a str>,
    pub csv_placement: CsvPlacement,
}

/// The top-level headers (ending in the blank line's CRLF is left to the entity).
pub fn headers(mail: &Mail<'_>) -> String {
    format!(
        "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: {}\r\nMIME-Version: 1.0\r\n\
         Auto-Submitted: auto-generated\r\nX-Postwarden-Ticket: {}\r\n",
        mail.from,
        mail.to,
        encode_header(mail.subject),
        mail.date.to_rfc2822(),
        mail.message_id,
        mail.ticket,
    )
}

/// The content entity: its own `Content-*` headers, a blank line, its body (CRLF lines).
pub fn entity(mail: &Mail<'_>) -> Vec<u8> {
    let mut text = mail.text.to_owned();
    if let (Some(csv), CsvPlacement::Inline) = (mail.csv, mail.csv_placement) {
        text.push_str("\n\n");
        text.push_str(csv);
    }
    let mut body = leaf("text/plain; charset=utf-8", &text, None);
    if let Some(html) = mail.html {
        let html = leaf("text/html; charset=utf-8", html, None);
        body = multipart("alternative", None, None, &[&body, &html]);
    }
    if let (Some(csv), CsvPlacement::Attached) = (mail.csv, mail.csv_placement) {
        let attachment = leaf(
            "text/csv; charset=utf-8; name=\"events.csv\"",
            csv,
            Some("attachment; filename=\"events.csv\""),
        );
        body = multipart("mixed", None, None, &[&body, &attachment]);
    }
    body
}

/// A whole message: headers and entity.
pub fn message(headers: &str, entity: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(headers.len() + entity.len());
    out.extend_from_slice(headers.as_bytes());
    out.extend_from_slice(entity);
    out
}

/// Text with every line ending turned into CRLF (and a final one added).
pub fn crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 32 + 2);
    for line in text.lines() {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out
}

fn seven_bit_safe(text: &str) -> bool {
    text.is_ascii()
        && text.lines().all(|line| {
            line.len() <= 900
                && !line.ends_with([' ', '\t'])
                && !line.starts_with("From ")
                && !line
                    .chars()
                    .any(|c| c.is_ascii_control() && c != '\t' && c != '\r')
        })
}

fn leaf(content_type: &str, text: &str, disposition: Option<&str>) -> Vec<u8> {
    let mut out = format!("Content-Type: {content_type}\r\n");
    if let Some(disposition) = disposition {
        out.push_str(&format!("Content-Disposition: {disposition}\r\n"));
    }
    // Attachments always go base64: their line ends then arrive exactly as written.
    if disposition.is_none() && seven_bit_safe(text) {
        out.push_str("Content-Transfer-Encoding: 7bit\r\n\r\n");
        out.push_str(&crlf(text));
    } else {
        out.push_str("Content-Transfer-Encoding: base64\r\n\r\n");
        out.push_str(&base64_lines(text.as_bytes()));
    }
    out.into_bytes()
}

/// Base64 in lines of 76 characters, each ending in CRLF.
pub fn base64_lines(bytes: &[u8]) -> String {
    let encoded = STANDARD.encode(bytes);
    let mut out = String::with_capacity(encoded.len() + encoded.len() / 38 + 2);
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// A boundary that occurs in none of `parts`: `=_pw`, a counter and a hash of the parts
/// (`=_` cannot occur in quoted-printable or base64 text; the same parts give the same
/// boundary, so a message is reproducible).
pub(crate) fn boundary(parts: &[&[u8]]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part);
    }
    let digest = crate::directive::hex(&hash.finalize());
    (0..)
        .map(|n| format!("=_pw{n}_{}", &digest[..24]))
        .find(|b| !parts.iter().any(|p| contains(p, b.as_bytes())))
        .unwrap_or_default()
}

/// Whether `needle` occurs in `haystack`.
pub(crate) fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A multipart entity: `Content-Type: multipart/SUBTYPE; boundary="…"` (with `params`
/// folded onto a second line), a blank line, an optional preamble, then every part verbatim
/// between delimiters, and the closing delimiter.
///
/// Each part is followed by a CRLF of its own before the next delimiter: RFC 2046 gives
/// the CRLF in front of a delimiter to the delimiter, so a part's last line end stays part
/// of its content — what a PGP signature covers arrives byte for byte.
pub(crate) fn multipart(
    subtype: &str,
    params: Option<&str>,
    preamble: Option<&str>,
    parts: &[&[u8]],
) -> Vec<u8> {
    let b = boundary(parts);
    let mut out = format!("Content-Type: multipart/{subtype}; boundary=\"{b}\"");
    if let Some(params) = params {
        out.push_str(";\r\n ");
        out.push_str(params);
    }
    out.push_str("\r\n\r\n");
    if let Some(preamble) = preamble {
        out.push_str(preamble);
        out.push_str("\r\n");
    }
    let mut out = out.into_bytes();
    for part in parts {
        out.extend_from_slice(format!("--{b}\r\n").as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{b}--\r\n").as_bytes());
    out
}

/// A body part: its header fields (name, value), a blank line, the body as given.
pub(crate) fn part(fields: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 128);
    for (name, value) in fields {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// A header value as is when it is printable ASCII, else as RFC 2047 encoded words
/// (UTF-8, base64), folded.
pub fn encode_header(value: &str) -> String {
    if value.chars().all(|c| c.is_ascii() && !c.is_ascii_control()) {
        return value.to_owned();
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in value.chars() {
        if chunk.len() + c.len_utf8() > 45 {
            words.push(std::mem::take(&mut chunk));
        }
        if !c.is_control() {
            chunk.push(c);
        }
    }
    words.push(chunk);
    words
        .iter()
        .map(|w| format!("=?utf-8?B?{}?=", STANDARD.encode(w.as_bytes())))
        .collect::<Vec<_>>()
        .join("\r\n ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail<'a>(text: &'a str, csv: Option<&'a str>, placement: CsvPlacement) -> Mail<'a> {
        Mail {
            from: "postwarden@example.org",
            to: "abuse@example.net",
            subject: "Abuse report ✓",
            message_id: "<20261121-10000001@example.org>",
            ticket: "20261121-10000001",
            date: Utc::now(),
            text,
            html: None,
            csv,
            csv_placement: placement,
        }
    }

    #[test]
    fn parts_and_encodings() {
        let m = mail("hello\nworld", Some("a,b\n1,2\n"), CsvPlacement::Attached);
        let e = String::from_utf8(entity(&m)).unwrap();
        assert!(e.starts_with("Content-Type: multipart/mixed; boundary=\"=_pw0_"));
        assert!(e.contains("Content-Transfer-Encoding: 7bit\r\n\r\nhello\r\nworld\r\n"));
        assert!(e.contains("filename=\"events.csv\""));
        let inline =
            String::from_utf8(entity(&mail("x", Some("a,b"), CsvPlacement::Inline))).unwrap();
        assert!(inline.starts_with("Content-Type: text/plain"));
        assert!(inline.contains("x\r\n\r\na,b"));
        let utf8 = String::from_utf8(entity(&mail("grüße", None, CsvPlacement::None))).unwrap();
        assert!(utf8.contains("base64\r\n\r\nZ3LDvMOfZQ==\r\n"));
        let from = String::from_utf8(entity(&mail("From here", None, CsvPlacement::None))).unwrap();
        assert!(from.contains("base64"));
    }

    #[test]
    fn subjects_are_encoded_words() {
        assert_eq!(encode_header("plain"), "plain");
        let encoded = encode_header(&"ü".repeat(40));
        assert!(encoded.lines().all(|l| l.trim().len() <= 76));
        assert!(encoded.starts_with("=?utf-8?B?"));
        let h = headers(&mail("x", None, CsvPlacement::None));
        assert!(h.contains("Subject: =?utf-8?B?"));
        assert!(h.contains("Message-ID: <20261121-10000001@example.org>\r\n"));
    }

    #[test]
    fn boundaries_avoid_the_content_and_parts_keep_their_last_line_end() {
        let first = boundary(&[b"x"]);
        let tricky = format!("--{first}\r\n");
        let second = boundary(&[tricky.as_bytes()]);
        assert!(!tricky.contains(&second));
        let entity: &[u8] = b"Content-Type: text/plain\r\n\r\nhello\r\n";
        let out = multipart(
            "signed",
            Some("micalg=pgp-sha256"),
            Some("preamble"),
            &[entity],
        );
        let text = String::from_utf8(out).unwrap();
        let b = text.split('"').nth(1).unwrap();
        assert!(text.starts_with(&format!(
            "Content-Type: multipart/signed; boundary=\"{b}\";\r\n micalg=pgp-sha256\r\n\r\npreamble\r\n--{b}\r\n"
        )));
        let start = text.find(&format!("--{b}\r\n")).unwrap() + b.len() + 4;
        let end = text.find(&format!("\r\n--{b}--\r\n")).unwrap();
        assert_eq!(&text.as_bytes()[start..end], entity);
    }

    #[test]
    fn crlf_line_ends() {
        assert_eq!(crlf("a\nb\r\nc"), "a\r\nb\r\nc\r\n");
    }
}
