//! The headers the filter adds to a relayed message: the `X-Postwarden-*` trace, the
//! `auth` processor's `Authentication-Results` (RFC 8601), and for tagged mail
//! `X-Spam-Flag`, `X-Spam-Score` and an optional subject prefix.
//!
//! An incoming `Authentication-Results` that claims our authserv-id is removed (RFC 8601
//! §5): downstream (Sieve, the mail client) believes headers with our name.
//!
//! Headers of those names that arrive with the message are removed first (a spammer
//! could otherwise pre-tag a message as clean). Everything written into a header from
//! outside — processor reasons, spamd rule names, webhook text — goes through
//! [`header_safe`]: no CR, LF or other control characters, and a capped length.

use postwarden_core::{Action, Finding};

/// Longest value we write into one header (characters), before folding.
const MAX_VALUE: usize = 900;
/// Fold header lines near this length.
const FOLD_AT: usize = 76;

/// `text` with control characters replaced by spaces, runs of spaces collapsed and at
/// most `max` characters kept.
pub fn header_safe(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    let mut kept = 0;
    for c in text.chars().map(|c| if c.is_control() { ' ' } else { c }) {
        if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        if kept == max {
            break;
        }
        out.push(c);
        kept += 1;
    }
    out.truncate(out.trim_end().len());
    out
}

/// What to add to one copy of a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Marking<'a> {
    pub id: &'a str,
    pub action: Action,
    pub score: f64,
    /// The findings that concern the copy's recipients.
    pub findings: &'a [&'a Finding],
    /// Prefix for the Subject of tagged mail.
    pub subject_prefix: Option<&'a str>,
    /// Our authserv-id: incoming `Authentication-Results` claiming it are removed.
    pub authserv_id: Option<&'a str>,
    /// The `Authentication-Results` value to add (from mail-auth, folded with CRLF TAB).
    pub authentication_results: Option<&'a str>,
}

/// Names of headers we own: removed from incoming mail, then written by us.
fn is_ours(name: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with(b"x-postwarden-")
        || matches!(
            lower.as_slice(),
            b"x-spam-flag" | b"x-spam-score" | b"x-spam-status"
        )
}

/// The message with our headers on top, spoofed copies removed, and the subject prefixed
/// when the action is `tag`.
pub fn mark(message: &[u8], marking: &Marking<'_>) -> Vec<u8> {
    let (head, body) = split_header(message);
    let mut out = Vec::with_capacity(message.len() + 512);
    for (name, value) in additions(marking) {
        if name == AUTHENTICATION_RESULTS {
            // Already folded, one result per line.
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        } else {
            push_header(&mut out, name, &value);
        }
    }
    let tagged = marking.action == Action::Tag;
    let prefix = marking
        .subject_prefix
        .filter(|_| tagged)
        .map(|p| header_safe(p, 64));
    let mut subject_seen = false;
    for field in fields(head) {
        let name = field.split(|&b| b == b':').next().unwrap_or_default();
        if is_ours(name.trim_ascii()) {
            continue;
        }
        if let Some(id) = marking.authserv_id
            && name
                .trim_ascii()
                .eq_ignore_ascii_case(b"authentication-results")
            && crate::processors::auth::claims_authserv_id(
                &String::from_utf8_lossy(field.get(name.len() + 1..).unwrap_or_default())
                    .replace(['\r', '\n'], ""),
                id,
            )
        {
            continue;
        }
        match &prefix {
            Some(prefix) if !subject_seen && name.trim_ascii().eq_ignore_ascii_case(b"subject") => {
                subject_seen = true;
                let colon = name.len() + 1;
                out.extend_from_slice(&field[..colon]);
                out.push(b' ');
                out.extend_from_slice(prefix.as_bytes());
                out.push(b' ');
                out.extend_from_slice(field[colon..].trim_ascii_start());
            }
            _ => out.extend_from_slice(field),
        }
    }
    if let Some(prefix) = prefix.filter(|_| !subject_seen) {
        push_header(&mut out, "Subject", &prefix);
    }
    out.extend_from_slice(body);
    out
}

/// The headers [`mark`] would add, as (name, value) with values made safe and unfolded:
/// for the milter, which asks the MTA to add them instead of rewriting the message.
pub fn additions(marking: &Marking<'_>) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("X-Postwarden-Id", header_safe(marking.id, MAX_VALUE)),
        (
            "X-Postwarden-Verdict",
            format!("{} score={:.1}", marking.action.as_str(), marking.score),
        ),
    ];
    if !marking.findings.is_empty() {
        let findings: Vec<String> = marking
            .findings
            .iter()
            .map(|f| format!("{}={:.1} ({})", f.processor, f.score, f.reason))
            .collect();
        out.push((
            "X-Postwarden-Findings",
            header_safe(&findings.join("; "), MAX_VALUE),
        ));
    }
    if let Some(results) = marking.authentication_results {
        let lines: Vec<String> = results
            .split("\r\n")
            .map(|line| header_safe(line, MAX_VALUE))
            .filter(|line| !line.is_empty())
            .collect();
        out.push((AUTHENTICATION_RESULTS, lines.join("\r\n\t")));
    }
    if marking.action == Action::Tag {
        out.push(("X-Spam-Flag", "YES".to_string()));
        out.push(("X-Spam-Score", format!("{:.1}", marking.score)));
    }
    out
}

/// The incoming headers [`mark`] would remove (ours, and `Authentication-Results` claiming
/// our authserv-id), as (name, 1-based index among the headers of that name): the milter
/// deletes them by that index.
pub fn removals(headers: &[(String, String)], authserv_id: Option<&str>) -> Vec<(String, u32)> {
    let mut seen: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        let index = seen.entry(lower.clone()).or_insert(0);
        *index += 1;
        let claims = lower == "authentication-results"
            && authserv_id.is_some_and(|id| crate::processors::auth::claims_authserv_id(value, id));
        if is_ours(name.as_bytes()) || claims {
            out.push((name.clone(), *index));
        }
    }
    out
}

/// Splits at the empty line: (header section with its final CRLF, the rest from the empty
/// line on). A message with no empty line is all header.
fn split_header(message: &[u8]) -> (&[u8], &[u8]) {
    if message.starts_with(b"\r\n") {
        return (&[], message);
    }
    match message.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(at) => message.split_at(at + 2),
        None => (message, &[]),
    }
}

/// Header fields with their continuation lines, each with its CRLFs.
fn fields(head: &[u8]) -> Vec<&[u8]> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at < head.len() {
        let end = memchr::memchr(b'\n', &head[at..]).map_or(head.len(), |lf| at + lf + 1);
        // The field goes on while the next line starts with white space.
        let continued = matches!(head.get(end), Some(b' ' | b'\t'));
        if !continued {
            fields.push(&head[start..end]);
            start = end;
        }
        at = end;
    }
    if start < head.len() {
        fields.push(&head[start..]);
    }
    fields
}

/// Folded by [`additions`] itself (CRLF and a tab between results, each line made safe), so
/// nothing but those folds can break the header.
const AUTHENTICATION_RESULTS: &str = "Authentication-Results";

/// Writes `name: value`, value made safe and folded at spaces near [`FOLD_AT`].
fn push_header(out: &mut Vec<u8>, name: &str, value: &str) {
    let value = header_safe(value, MAX_VALUE);
    let mut line_length = name.len() + 2;
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b":");
    for word in value.split(' ') {
        if line_length + word.len() + 1 > FOLD_AT && line_length > name.len() + 2 {
            out.extend_from_slice(b"\r\n\t");
            line_length = 1;
        } else {
            out.push(b' ');
            line_length += 1;
        }
        out.extend_from_slice(word.as_bytes());
        line_length += word.len();
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use postwarden_core::Tag;

    fn marking<'a>(
        action: Action,
        findings: &'a [&'a Finding],
        prefix: Option<&'a str>,
    ) -> Marking<'a> {
        Marking {
            id: "abc123",
            action,
            score: 7.5,
            findings,
            subject_prefix: prefix,
            authserv_id: Some("mx.example.org"),
            authentication_results: None,
        }
    }

    #[test]
    fn our_authentication_results_replace_forged_ones_and_others_stay() {
        let message = b"Authentication-Results: MX.example.org;\r\n\tdkim=pass header.d=bank.example\r\nAuthentication-Results: relay.example.net; spf=pass\r\nSubject: hi\r\n\r\nbody\r\n";
        let mut m = marking(Action::Pass, &[], None);
        let ours = "mx.example.org;\r\n\tspf=fail smtp.mailfrom=a@bank.example;\r\n\tdmarc=fail\r\nBcc: x@y";
        m.authentication_results = Some(ours);
        let out = String::from_utf8(mark(message, &m)).unwrap();
        assert!(
            out.contains("Authentication-Results: mx.example.org;\r\n\tspf=fail smtp.mailfrom=a@bank.example;\r\n\tdmarc=fail\r\n\tBcc: x@y\r\n"),
            "{out}"
        );
        assert!(!out.contains("dkim=pass header.d=bank.example"), "{out}");
        assert!(
            out.contains("Authentication-Results: relay.example.net; spf=pass\r\n"),
            "{out}"
        );
        assert_eq!(out.matches("\r\nBcc:").count(), 0, "{out}");
    }

    #[test]
    fn tag_adds_flag_score_and_prefix_and_drops_spoofed_headers() {
        let message = b"X-Spam-Flag: NO\r\nSubject: hello\r\n world\r\nX-Postwarden-Verdict: pass\r\n\tfolded\r\nFrom: a@b.example\r\n\r\nX-Spam-Flag: body stays\r\n";
        let finding = Finding {
            processor: "spamassassin".into(),
            score: 7.5,
            tags: vec![Tag::Spam],
            reason: "evil\r\nBcc: injected@x.example".into(),
            recipients: vec![],
            action: None,
        };
        let findings = [&finding];
        let out = String::from_utf8(mark(
            message,
            &marking(Action::Tag, &findings, Some("***SPAM***")),
        ))
        .unwrap();
        assert!(out.contains("X-Spam-Flag: YES\r\n"), "{out}");
        assert_eq!(
            out.matches("X-Spam-Flag").count(),
            2,
            "ours and the body's: {out}"
        );
        assert!(
            out.contains("Subject: ***SPAM*** hello\r\n world\r\n"),
            "{out}"
        );
        assert!(!out.contains("X-Postwarden-Verdict: pass"), "{out}");
        assert!(!out.contains("\r\nBcc:"), "no header injection: {out}");
        assert!(
            out.ends_with("From: a@b.example\r\n\r\nX-Spam-Flag: body stays\r\n"),
            "{out}"
        );
    }

    #[test]
    fn pass_adds_only_the_trace() {
        let message = b"Subject: hi\r\n\r\n.\r\n";
        let out =
            String::from_utf8(mark(message, &marking(Action::Pass, &[], Some("[SPAM]")))).unwrap();
        assert_eq!(
            out,
            "X-Postwarden-Id: abc123\r\nX-Postwarden-Verdict: pass score=7.5\r\nSubject: hi\r\n\r\n.\r\n"
        );
    }

    #[test]
    fn header_safe_strips_collapses_and_caps() {
        assert_eq!(header_safe("  a\r\n\tb\x00  c  ", 100), "a b c");
        assert_eq!(header_safe("äöü ß", 4), "äöü");
        assert_eq!(header_safe("\r\n", 10), "");
    }

    #[test]
    fn long_values_are_folded_and_capped() {
        let mut out = Vec::new();
        push_header(&mut out, "X-Postwarden-Findings", &"word ".repeat(1000));
        let text = String::from_utf8(out).unwrap();
        assert!(text.lines().all(|l| l.len() <= 80), "{text}");
        assert!(text.len() < MAX_VALUE + 100);
    }
}
