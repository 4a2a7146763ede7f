//! Non-delivery reports (RFC 3464 `multipart/report`) for recipients refused while others
//! of the same message are accepted. SMTP gives one answer per message after DATA, so
//! Postfix cannot be told "554 for these two only"; like amavisd-new, we accept the message
//! and tell the sender ourselves which recipients did not get it, and why.
//!
//! Everything from outside (addresses, reasons, the original header section) is only
//! placed where it cannot add header fields: addresses and reasons pass through
//! [`header_safe`], the original headers go into their own `text/rfc822-headers` part.

use crate::headers::header_safe;
use chrono::{DateTime, Utc};

/// One refused recipient and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub recipient: String,
    pub reason: String,
}

/// The report to send to `sender` (from the null sender) about `refused`, for message
/// `id` whose bytes are `original`.
pub fn report(
    hostname: &str,
    id: &str,
    sender: &str,
    refused: &[Refused],
    original: &[u8],
    now: DateTime<Utc>,
) -> Vec<u8> {
    let host = header_safe(hostname, 200);
    let boundary = format!("{id}/{host}");
    let date = now.to_rfc2822();
    let mut text = format!(
        "From: Mail Delivery System <MAILER-DAEMON@{host}>\r\n\
         To: <{sender}>\r\n\
         Subject: Undelivered Mail Returned to Sender\r\n\
         Date: {date}\r\n\
         Message-ID: <{id}.dsn@{host}>\r\n\
         Auto-Submitted: auto-replied\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\n\
         \r\n\
         --{boundary}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         This is the mail system at host {host}.\r\n\
         \r\n\
         Your message could not be delivered to the following recipients.\r\n\
         The other recipients of the message received it.\r\n\
         \r\n",
        sender = header_safe(sender, 320),
    );
    for r in refused {
        text.push_str(&format!(
            "<{}>: {} (ref {id})\r\n",
            header_safe(&r.recipient, 320),
            header_safe(&r.reason, 300)
        ));
    }
    text.push_str(&format!(
        "\r\n--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n\
         Reporting-MTA: dns; {host}\r\nX-Postwarden-Id: {id}\r\nArrival-Date: {date}\r\n"
    ));
    for r in refused {
        text.push_str(&format!(
            "\r\nFinal-Recipient: rfc822; {}\r\nAction: failed\r\nStatus: 5.7.1\r\n\
             Diagnostic-Code: smtp; 554 5.7.1 Rejected: {}\r\n",
            header_safe(&r.recipient, 320),
            header_safe(&r.reason, 300)
        ));
    }
    text.push_str(&format!(
        "\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
    ));
    let mut out = text.into_bytes();
    out.extend_from_slice(header_section(original));
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

/// The header section of `message`, up to and including its last CRLF.
fn header_section(message: &[u8]) -> &[u8] {
    match message.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(at) => &message[..at + 2],
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn report_lists_refused_recipients_without_injection() {
        let refused = [Refused {
            recipient: "old@rcpt.example".into(),
            reason: "blocked: recipient on the block list\r\nBcc: evil@x.example".into(),
        }];
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
        let report = report(
            "mx.test",
            "abc",
            "s@sender.example",
            &refused,
            b"Subject: hi\r\nFrom: s@sender.example\r\n\r\nbody\r\n",
            now,
        );
        let text = String::from_utf8(report).unwrap();
        assert!(
            text.starts_with(
                "From: Mail Delivery System <MAILER-DAEMON@mx.test>\r\nTo: <s@sender.example>\r\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "Final-Recipient: rfc822; old@rcpt.example\r\nAction: failed\r\nStatus: 5.7.1\r\n"
            ),
            "{text}"
        );
        assert!(!text.contains("\r\nBcc:"), "no header injection: {text}");
        assert!(text.contains("text/rfc822-headers\r\n\r\nSubject: hi\r\nFrom: s@sender.example\r\n\r\n--abc/mx.test--\r\n"), "{text}");
        assert!(!text.contains("body"), "only the original headers go back");
        let parsed = mail_parser::MessageParser::default()
            .parse(text.as_bytes())
            .unwrap();
        assert_eq!(parsed.parts.len(), 4, "a multipart with three parts");
    }
}
