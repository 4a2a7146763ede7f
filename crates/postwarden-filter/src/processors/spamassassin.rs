//! `type = "spamassassin"`: asks SpamAssassin's spamd over the SPAMC/1.5 protocol
//! (`SYMBOLS`, with a `User` header for per-user preferences). Messages above `max_size`
//! are not sent, as spamc does. The reply parser is pure.

use super::{ProcessorError, connect, excerpt};
use crate::message::Scanned;
use postwarden_core::config::SpamassassinConfig;
use postwarden_core::{Finding, Tag};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NAME: &str = "spamassassin";

pub struct Spamassassin {
    pub(crate) config: SpamassassinConfig,
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
            return Ok(vec![Finding {
                processor: NAME.into(),
                score: 0.0,
                tags: vec![Tag::Skipped],
                reason: format!(
                    "not scanned: larger than max_size ({} octets)",
                    self.config.max_size
                ),
                recipients: Vec::new(),
                action: None,
            }]);
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

    /// One SYMBOLS request.
    pub async fn check(&self, message: &[u8]) -> Result<SpamdVerdict, ProcessorError> {
        let error =
            |e: std::io::Error| ProcessorError::new(NAME, format!("{}: {e}", self.config.address));
        let (mut read, mut write) = connect(&self.config.address, self.config.timeout)
            .await
            .map_err(error)?;
        let mut request = format!("SYMBOLS SPAMC/1.5\r\nContent-length: {}\r\n", message.len());
        if let Some(user) = &self.config.user {
            request.push_str(&format!("User: {}\r\n", user.replace(['\r', '\n'], "")));
        }
        request.push_str("\r\n");
        write.write_all(request.as_bytes()).await.map_err(error)?;
        write.write_all(message).await.map_err(error)?;
        write.shutdown().await.map_err(error)?;
        let mut reply = Vec::new();
        read.read_to_end(&mut reply).await.map_err(error)?;
        parse_reply(&reply).map_err(|detail| ProcessorError::new(NAME, detail))
    }
}

/// Parses spamd's reply to SYMBOLS: `SPAMD/1.1 0 EX_OK`, headers (`Spam: True ; 15.0 /
/// 5.0`), an empty line, then the comma-separated rule names.
pub fn parse_reply(reply: &[u8]) -> Result<SpamdVerdict, String> {
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
    let symbols = body
        .trim()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    Ok(SpamdVerdict {
        spam,
        score,
        threshold,
        symbols,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spam_reply_parsed() {
        let v = parse_reply(b"SPAMD/1.1 0 EX_OK\r\nContent-length: 21\r\nSpam: True ; 1000.0 / 5.0\r\n\r\nGTUBE,NO_RECEIVED\r\n").unwrap();
        assert!(v.spam);
        assert_eq!((v.score, v.threshold), (1000.0, 5.0));
        assert_eq!(v.symbols, ["GTUBE", "NO_RECEIVED"]);
    }

    #[test]
    fn errors_are_named() {
        assert!(
            parse_reply(b"SPAMD/1.0 76 Bad header line")
                .unwrap_err()
                .contains("error")
        );
        assert!(
            parse_reply(b"HTTP/1.1 200 OK\r\n\r\n")
                .unwrap_err()
                .contains("not a spamd")
        );
        assert!(parse_reply(b"SPAMD/1.1 0 EX_OK\r\nSpam: maybe ; x / y\r\n\r\n").is_err());
        assert!(parse_reply(b"").is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = parse_reply(&bytes);
        }
    }
}
