//! `type = "clamav"`: asks ClamAV's clamd with zINSTREAM (length-prefixed chunks, a zero
//! length to finish). A message over clamd's `StreamMaxLength` is reported as not scanned
//! rather than as a failure: retrying it would never succeed. The reply parser is pure.

use super::{ProcessorError, connect, excerpt};
use crate::message::Scanned;
use postwarden_core::config::ClamavConfig;
use postwarden_core::{Finding, Tag};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const NAME: &str = "clamav";

pub struct Clamav {
    pub(crate) config: ClamavConfig,
}

/// What clamd said about a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClamdVerdict {
    Clean,
    Infected(String),
    /// The stream exceeded clamd's `StreamMaxLength`.
    TooLarge,
}

impl Clamav {
    pub fn new(config: ClamavConfig) -> Self {
        Self { config }
    }

    pub async fn run(&self, message: &Scanned) -> Result<Vec<Finding>, ProcessorError> {
        let finding = |score, tags, reason: String| Finding {
            processor: NAME.into(),
            score,
            tags,
            reason,
            recipients: Vec::new(),
            action: None,
        };
        Ok(match self.scan(&message.bytes).await? {
            ClamdVerdict::Clean => Vec::new(),
            ClamdVerdict::Infected(name) => vec![finding(100.0, vec![Tag::Virus], name)],
            ClamdVerdict::TooLarge => vec![finding(
                0.0,
                vec![Tag::Skipped],
                "not scanned: larger than clamd's StreamMaxLength".into(),
            )],
        })
    }

    /// One zINSTREAM scan.
    pub async fn scan(&self, bytes: &[u8]) -> Result<ClamdVerdict, ProcessorError> {
        let error =
            |e: std::io::Error| ProcessorError::new(NAME, format!("{}: {e}", self.config.address));
        let (mut read, mut write) = connect(&self.config.address, self.config.timeout)
            .await
            .map_err(error)?;
        let sent = async {
            write.write_all(b"zINSTREAM\0").await?;
            for chunk in bytes.chunks(self.config.chunk_size.max(1)) {
                write.write_all(&(chunk.len() as u32).to_be_bytes()).await?;
                write.write_all(chunk).await?;
            }
            write.write_all(&0u32.to_be_bytes()).await?;
            write.flush().await
        }
        .await;
        // clamd answers and closes as soon as the stream is too long, so a failed write
        // may still have a reply waiting.
        let mut reply = Vec::new();
        let read_result = read.read_to_end(&mut reply).await;
        if reply.is_empty() {
            sent.map_err(error)?;
            read_result.map_err(error)?;
        }
        parse_reply(&reply).map_err(|detail| ProcessorError::new(NAME, detail))
    }
}

/// Sends `zPING` and expects `PONG`.
pub async fn ping(address: &str, timeout: Duration) -> Result<(), ProcessorError> {
    super::ping(NAME, address, timeout, b"zPING\0", |reply| {
        reply.strip_suffix(b"\0").unwrap_or(reply) == b"PONG"
    })
    .await
}

/// Parses clamd's reply to a stream scan: `stream: OK`, `stream: NAME FOUND`,
/// `INSTREAM size limit exceeded. ERROR`, or another `… ERROR`.
pub fn parse_reply(reply: &[u8]) -> Result<ClamdVerdict, String> {
    let text = String::from_utf8_lossy(reply);
    let text = text.trim_end_matches(['\0', '\n', '\r']).trim();
    if text.starts_with("INSTREAM size limit exceeded") {
        return Ok(ClamdVerdict::TooLarge);
    }
    if let Some(error) = text.strip_suffix(" ERROR") {
        return Err(format!("clamd reported an error: {}", excerpt(error)));
    }
    let result = text
        .strip_prefix("stream:")
        .ok_or_else(|| format!("not a clamd reply: `{}`", excerpt(text)))?;
    let result = result.trim();
    if result == "OK" {
        return Ok(ClamdVerdict::Clean);
    }
    match result.strip_suffix(" FOUND") {
        Some(name) if !name.trim().is_empty() => {
            Ok(ClamdVerdict::Infected(name.trim().to_string()))
        }
        _ => Err(format!("unexpected clamd reply: `{}`", excerpt(text))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies() {
        assert_eq!(parse_reply(b"stream: OK\0").unwrap(), ClamdVerdict::Clean);
        assert_eq!(
            parse_reply(b"stream: Eicar-Test-Signature FOUND\0").unwrap(),
            ClamdVerdict::Infected("Eicar-Test-Signature".into())
        );
        assert_eq!(
            parse_reply(b"INSTREAM size limit exceeded. ERROR\0").unwrap(),
            ClamdVerdict::TooLarge
        );
        assert!(
            parse_reply(b"Can't allocate memory ERROR\0")
                .unwrap_err()
                .contains("error")
        );
        assert!(parse_reply(b"stream: FOUND\0").is_err());
        assert!(parse_reply(b"").is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = parse_reply(&bytes);
        }
    }
}
