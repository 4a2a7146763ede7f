//! The message as the processors see it: the envelope, the raw bytes, and what
//! mail-parser could read of the headers and MIME structure (malformed MIME yields what
//! parses; nothing here fails).

use crate::evidence::{AuthResults, PhishingScores};
use mail_parser::{MessageParser, MimeHeaders};
use postwarden_smtp::server::Envelope;
use std::sync::OnceLock;

/// One message under scan.
#[derive(Debug, Clone)]
pub struct Scanned {
    pub envelope: Envelope,
    /// The message, CRLF line ends.
    pub bytes: Vec<u8>,
    pub subject: Option<String>,
    /// Raw header fields in order (name, unfolded value).
    pub headers: Vec<(String, String)>,
    /// The MIME parts, parsed on first use (most processors never need them).
    attachments: OnceLock<Vec<Attachment>>,
    /// Postfix's queue id, from its own Received header (`… (Postfix) with ESMTP id ABC`).
    pub queue_id: Option<String>,
    /// What the `auth` processor found (set once, by it).
    auth: OnceLock<AuthResults>,
    /// The `phishing` processor's scores (set once, by it).
    phishing: OnceLock<PhishingScores>,
}

/// An attachment: a MIME part with a file name or a non-inline disposition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: Option<String>,
    pub content_type: String,
    pub size: usize,
}

impl Scanned {
    pub fn new(envelope: Envelope, bytes: Vec<u8>) -> Self {
        let headers = header_fields(&bytes);
        // Only the header section: decoding the body is left to what needs it.
        let subject = MessageParser::default()
            .parse_headers(&bytes)
            .and_then(|m| m.subject().map(str::to_string));
        let queue_id = headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("Received"))
            .and_then(|(_, value)| postfix_queue_id(value));
        Self {
            envelope,
            bytes,
            subject,
            headers,
            attachments: OnceLock::new(),
            queue_id,
            auth: OnceLock::new(),
            phishing: OnceLock::new(),
        }
    }

    /// The authentication results, when an `auth` processor ran before.
    pub fn auth(&self) -> Option<&AuthResults> {
        self.auth.get()
    }

    pub(crate) fn set_auth(&self, results: AuthResults) {
        let _ = self.auth.set(results);
    }

    /// The phishing and BEC scores, when a `phishing` processor ran.
    pub fn phishing(&self) -> Option<&PhishingScores> {
        self.phishing.get()
    }

    pub(crate) fn set_phishing(&self, scores: PhishingScores) {
        let _ = self.phishing.set(scores);
    }

    /// The original client's HELO name (from XFORWARD).
    pub fn helo(&self) -> Option<String> {
        self.envelope.xforward("HELO").filter(|h| !h.is_empty())
    }

    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The attachments: MIME parts with a file name or an attachment disposition.
    pub fn attachments(&self) -> &[Attachment] {
        self.attachments.get_or_init(|| {
            let Some(parsed) = MessageParser::default().parse(&self.bytes) else {
                return Vec::new();
            };
            parsed
                .attachments()
                .map(|part| Attachment {
                    name: part.attachment_name().map(str::to_string),
                    content_type: part
                        .content_type()
                        .map(|t| match &t.c_subtype {
                            Some(sub) => format!("{}/{}", t.c_type, sub),
                            None => t.c_type.to_string(),
                        })
                        .unwrap_or_else(|| "application/octet-stream".into()),
                    size: part.len(),
                })
                .collect()
        })
    }

    /// The original client's address and name (from XFORWARD).
    pub fn client_ip(&self) -> Option<std::net::IpAddr> {
        let addr = self.envelope.xforward("ADDR")?;
        addr.strip_prefix("IPv6:").unwrap_or(&addr).parse().ok()
    }

    pub fn client_name(&self) -> Option<String> {
        self.envelope.xforward("NAME")
    }
}

/// The header section's fields (name, value with folding removed), stopping at the first
/// empty line; lines that are not fields are skipped.
pub fn header_fields(message: &[u8]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in message.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(line);
        if line[0] == b' ' || line[0] == b'\t' {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(text.trim());
            }
        } else if let Some((name, value)) = text.split_once(':') {
            fields.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    fields
}

/// `ABC123` out of `from mx (mx [192.0.2.1]) by host (Postfix) with ESMTP id ABC123 for …`.
fn postfix_queue_id(received: &str) -> Option<String> {
    let after = received.split_once("(Postfix)")?.1;
    let mut words = after.split_whitespace();
    while let Some(word) = words.next() {
        if word == "id" {
            let id = words.next()?.trim_end_matches(';');
            return id
                .chars()
                .all(|c| c.is_ascii_alphanumeric())
                .then(|| id.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_unfolded_and_queue_id_found() {
        let message = b"Received: from a (a [192.0.2.1])\r\n\tby mx (Postfix) with ESMTP id 4Xk2Lm0abc\r\n\tfor <u@x.example>; Sun, 22 Nov 2026\r\nSubject: hi\r\n there\r\n\r\nbody: not a header\r\n";
        let scanned = Scanned::new(Envelope::default(), message.to_vec());
        assert_eq!(scanned.headers[1], ("Subject".into(), "hi there".into()));
        assert_eq!(scanned.headers.len(), 2);
        assert_eq!(scanned.queue_id.as_deref(), Some("4Xk2Lm0abc"));
    }

    #[test]
    fn encoded_subject_is_decoded() {
        let message = b"Subject: =?UTF-8?B?R3LDvMOfZQ==?=\r\n\r\nbody\r\n";
        let scanned = Scanned::new(Envelope::default(), message.to_vec());
        assert_eq!(scanned.subject.as_deref(), Some("Grüße"));
    }

    #[test]
    fn attachments_listed_and_garbage_survives() {
        let message = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/x-msdownload\r\nContent-Disposition: attachment; filename=\"invoice.pdf.exe\"\r\n\r\nMZ\r\n--b--\r\n";
        let scanned = Scanned::new(Envelope::default(), message.to_vec());
        assert_eq!(scanned.attachments().len(), 1);
        assert_eq!(
            scanned.attachments()[0].name.as_deref(),
            Some("invoice.pdf.exe")
        );
        let garbage = Scanned::new(Envelope::default(), b"\xff\xfe\x00--b\r\n\r\n".to_vec());
        assert!(garbage.attachments().is_empty());
    }
}
