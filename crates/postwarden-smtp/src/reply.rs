//! SMTP replies: the ones the filter sends (with RFC 3463 enhanced status codes) and the
//! ones the next hop sends back, parsed from bytes (single or multi-line, RFC 5321 §4.2).

use std::fmt;

/// One reply: a code and its lines of text (the enhanced status code, if any, is the
/// start of the first line's text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl Reply {
    /// A one-line reply `code enhanced text` (`enhanced` may be empty).
    pub fn new(code: u16, enhanced: &str, text: &str) -> Self {
        let line = if enhanced.is_empty() {
            text.to_string()
        } else {
            format!("{enhanced} {text}")
        };
        Self {
            code,
            lines: vec![line],
        }
    }

    /// A multi-line reply (EHLO's).
    pub fn multiline(code: u16, lines: Vec<String>) -> Self {
        Self { code, lines }
    }

    pub fn is_positive(&self) -> bool {
        (200..400).contains(&self.code)
    }

    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }

    pub fn is_permanent(&self) -> bool {
        self.code >= 500
    }

    /// All lines joined by spaces: what to quote in a log line or an error.
    pub fn text(&self) -> String {
        self.lines.join(" ")
    }

    /// The wire form: `250-first\r\n250 last\r\n`.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.lines.iter().map(|l| l.len() + 6).sum());
        let last = self.lines.len().saturating_sub(1);
        for (i, line) in self.lines.iter().enumerate() {
            let separator = if i == last { ' ' } else { '-' };
            out.extend_from_slice(format!("{}{separator}{line}\r\n", self.code).as_bytes());
        }
        if self.lines.is_empty() {
            out.extend_from_slice(format!("{}\r\n", self.code).as_bytes());
        }
        out
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.text())
    }
}

/// A reply that does not follow RFC 5321's grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed SMTP reply line `{line}`")]
pub struct MalformedReply {
    pub line: String,
}

/// Accumulates reply lines until a reply is complete.
#[derive(Debug, Default)]
pub struct ReplyParser {
    code: Option<u16>,
    lines: Vec<String>,
}

impl ReplyParser {
    /// Feeds one line (CRLF or LF removed). Returns the reply when this line was its last.
    pub fn line(&mut self, line: &[u8]) -> Result<Option<Reply>, MalformedReply> {
        let malformed = || MalformedReply {
            line: String::from_utf8_lossy(&line[..line.len().min(200)]).into_owned(),
        };
        let code = line
            .get(..3)
            .filter(|digits| {
                digits.iter().all(u8::is_ascii_digit) && (b'2'..=b'5').contains(&digits[0])
            })
            .map(|d| {
                u16::from(d[0] - b'0') * 100 + u16::from(d[1] - b'0') * 10 + u16::from(d[2] - b'0')
            })
            .ok_or_else(malformed)?;
        if self.code.is_some_and(|c| c != code) {
            return Err(malformed());
        }
        let (last, text) = match line.get(3) {
            None => (true, &[][..]),
            Some(b' ') => (true, &line[4..]),
            Some(b'-') => (false, &line[4..]),
            Some(_) => return Err(malformed()),
        };
        self.code = Some(code);
        self.lines.push(String::from_utf8_lossy(text).into_owned());
        if !last {
            return Ok(None);
        }
        self.code = None;
        Ok(Some(Reply {
            code,
            lines: std::mem::take(&mut self.lines),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiline_round_trip() {
        let reply = Reply::multiline(
            250,
            vec!["mx.example".into(), "PIPELINING".into(), "SIZE 100".into()],
        );
        let wire = reply.to_wire();
        assert_eq!(
            wire,
            b"250-mx.example\r\n250-PIPELINING\r\n250 SIZE 100\r\n"
        );
        let mut parser = ReplyParser::default();
        let mut parsed = None;
        for line in wire.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            parsed = parser.line(line.strip_suffix(b"\r").unwrap()).unwrap();
        }
        assert_eq!(parsed, Some(reply));
    }

    #[test]
    fn malformed_lines_are_errors() {
        for bad in [&b"hello"[..], b"25", b"250x", b"650 six", b"2a0 x"] {
            assert!(ReplyParser::default().line(bad).is_err(), "{bad:?}");
        }
        let mut parser = ReplyParser::default();
        parser.line(b"250-a").unwrap();
        assert!(parser.line(b"251 b").is_err(), "codes must agree");
    }

    #[test]
    fn classes() {
        assert!(Reply::new(250, "2.0.0", "Ok").is_positive());
        assert!(Reply::new(451, "4.3.0", "later").is_transient());
        assert!(Reply::new(554, "5.7.1", "no").is_permanent());
        assert_eq!(Reply::new(250, "2.0.0", "Ok").to_string(), "250 2.0.0 Ok");
    }
}
