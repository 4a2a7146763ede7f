//! `type = "spamassassin"`: asks SpamAssassin's spamd over the SPAMC/1.5 protocol
//! (`SYMBOLS`, or `REPORT` for the rules' points too; a `User` header for per-user
//! preferences). Messages above `max_size`
//! are not sent, as spamc does. The reply parser is pure.

use super::{ProcessorError, connect, excerpt};
use crate::message::Scanned;
use postwarden_core::config::{SpamassassinConfig, SpamdMode};
use postwarden_core::{Finding, Tag};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NAME: &str = "spamassassin";

pub struct Spamassassin {
    pub(crate) config: SpamassassinConfig,
}

/// Sends `PING` and expects `SPAMD/1.x 0 PONG`.
pub async fn ping(address: &str, timeout: Duration) -> Result<(), ProcessorError> {
    super::ping(NAME, address, timeout, b"PING SPAMC/1.5\r\n\r\n", |reply| {
        let line = String::from_utf8_lossy(reply);
        let mut words = line.split_whitespace();
        matches!(
            (words.next(), words.next(), words.next()),
            (Some(v), Some("0"), Some("PONG")) if v.starts_with("SPAMD/")
        )
    })
    .await
}

/// What spamd said about a message.
#[derive(Debug, Clone, PartialEq)]
pub struct SpamdVerdict {
    pub spam: bool,
    pub score: f64,
    pub threshold: f64,
    pub symbols: Vec<String>,
}

impl Spamassassin {
    pub fn new(config: SpamassassinConfig) -> Self {
        Self { config }
    }

    pub async fn run(&self, message: &Scanned) -> Result<Vec<Finding>, ProcessorError> {
        if message.bytes.len() > self.config.max_size {
            return Ok(vec![super::too_large(NAME, self.config.max_size)]);
        }
        let verdict = self.check(&message.bytes).await?;
        Ok(vec![Finding {
            processor: NAME.into(),
            score: verdict.score,
            tags: if verdict.spam {
                vec![Tag::Spam]
            } else {
                Vec::new()
            },
            reason: format!(
                "score {:.1} / {:.1}: {}",
                verdict.score,
                verdict.threshold,
                verdict.symbols.join(",")
            ),
            recipients: Vec::new(),
            action: None,
        }])
    }

    /// One SYMBOLS or REPORT request.
    pub async fn check(&self, message: &[u8]) -> Result<SpamdVerdict, ProcessorError> {
        let error =
            |e: std::io::Error| ProcessorError::new(NAME, format!("{}: {e}", self.config.address));
        let (mut read, mut write) = connect(&self.config.address, self.config.timeout)
            .await
            .map_err(error)?;
        let verb = match self.config.mode {
            SpamdMode::Symbols => "SYMBOLS",
            SpamdMode::Report => "REPORT",
        };
        let mut request = format!("{verb} SPAMC/1.5\r\nContent-length: {}\r\n", message.len());
        if let Some(user) = &self.config.user {
            request.push_str(&format!("User: {}\r\n", user.replace(['\r', '\n'], "")));
        }
        request.push_str("\r\n");
        write.write_all(request.as_bytes()).await.map_err(error)?;
        write.write_all(message).await.map_err(error)?;
        write.shutdown().await.map_err(error)?;
        let mut reply = Vec::new();
        read.read_to_end(&mut reply).await.map_err(error)?;
        parse_reply(&reply, self.config.mode).map_err(|detail| ProcessorError::new(NAME, detail))
    }
}

/// Parses spamd's reply: `SPAMD/1.1 0 EX_OK`, headers (`Spam: True ; 15.0 / 5.0`), an
/// empty line, then for SYMBOLS the comma-separated rule names, for REPORT a text report
/// whose table rows (`1000 GTUBE  BODY: …`) give each rule with its points (`GTUBE=1000`).
pub fn parse_reply(reply: &[u8], mode: SpamdMode) -> Result<SpamdVerdict, String> {
    let text = String::from_utf8_lossy(reply);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    let mut words = status.split_whitespace();
    if !words.next().is_some_and(|w| w.starts_with("SPAMD/")) {
        return Err(format!("not a spamd reply: `{}`", excerpt(status)));
    }
    if words.next() != Some("0") {
        return Err(format!("spamd reported an error: `{}`", excerpt(status)));
    }
    let spam_header = lines
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("Spam"))
        .map(|(_, value)| value.trim())
        .ok_or("spamd's reply has no Spam header")?;
    // `True ; 15.0 / 5.0`
    let (flag, scores) = spam_header
        .split_once(';')
        .ok_or_else(|| format!("malformed Spam header `{}`", excerpt(spam_header)))?;
    let (score, threshold) = scores
        .split_once('/')
        .and_then(|(s, t)| Some((s.trim().parse().ok()?, t.trim().parse().ok()?)))
        .ok_or_else(|| format!("malformed scores in Spam header `{}`", excerpt(spam_header)))?;
    let spam = match flag.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" => true,
        "false" | "no" => false,
        other => return Err(format!("malformed Spam flag `{}`", excerpt(other))),
    };
    let symbols = match mode {
        SpamdMode::Symbols => body
            .trim()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        SpamdMode::Report => report_rules(body),
    };
    Ok(SpamdVerdict {
        spam,
        score,
        threshold,
        symbols,
    })
}

/// `RULE=points` for each row of a REPORT's table (rows start with the points; wrapped
/// descriptions do not).
fn report_rules(report: &str) -> Vec<String> {
    report
        .lines()
        .skip_while(|line| !line.starts_with("----"))
        .skip(1)
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let points: f64 = words.next()?.parse().ok()?;
            let rule = words.next()?;
            Some(format!("{rule}={points}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spam_reply_parsed() {
        let v = parse_reply(b"SPAMD/1.1 0 EX_OK\r\nContent-length: 21\r\nSpam: True ; 1000.0 / 5.0\r\n\r\nGTUBE,NO_RECEIVED\r\n", SpamdMode::Symbols).unwrap();
        assert!(v.spam);
        assert_eq!((v.score, v.threshold), (1000.0, 5.0));
        assert_eq!(v.symbols, ["GTUBE", "NO_RECEIVED"]);
    }

    #[test]
    fn report_rows_give_rules_with_points() {
        let reply = b"SPAMD/1.1 0 EX_OK\r\nSpam: True ; 1001.5 / 5.0\r\n\r\nSpam detection software...\n\nContent analysis details:   (1001.5 points, 5.0 required)\n\n pts rule name              description\n---- ---------------------- --------------------------------------------------\n1000 GTUBE                  BODY: Generic Test for Unsolicited Bulk Email\n 1.5 MISSING_DATE           Missing Date: header\n                            (continued description)\n-0.0 NO_RELAYS              Informational: message was not relayed via SMTP\n";
        let v = parse_reply(reply, SpamdMode::Report).unwrap();
        assert_eq!(
            v.symbols,
            ["GTUBE=1000", "MISSING_DATE=1.5", "NO_RELAYS=-0"]
        );
    }

    #[test]
    fn errors_are_named() {
        assert!(
            parse_reply(b"SPAMD/1.0 76 Bad header line", SpamdMode::Symbols)
                .unwrap_err()
                .contains("error")
        );
        assert!(
            parse_reply(b"HTTP/1.1 200 OK\r\n\r\n", SpamdMode::Symbols)
                .unwrap_err()
                .contains("not a spamd")
        );
        assert!(
            parse_reply(
                b"SPAMD/1.1 0 EX_OK\r\nSpam: maybe ; x / y\r\n\r\n",
                SpamdMode::Symbols
            )
            .is_err()
        );
        assert!(parse_reply(b"", SpamdMode::Symbols).is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = parse_reply(&bytes, SpamdMode::Symbols);
            let _ = parse_reply(&bytes, SpamdMode::Report);
        }
    }
}
