//! `type = "rspamd"`: for sites that run rspamd and want to keep it. The message goes to
//! rspamd's normal worker over its HTTP protocol (`POST /checkv2`) with what rspamd would
//! learn from its milter: `From`, one `Rcpt` per recipient, `IP`, `Helo`, `Hostname`,
//! `Queue-Id`, and `User` when configured. rspamd's score, action and symbols (with their
//! scores) become one finding; its action maps onto ours:
//!
//! | rspamd action | finding |
//! |---|---|
//! | `reject` | tag `spam`, asks for `reject` |
//! | `soft reject` | asks for `tempfail` (Postfix keeps the message and retries) |
//! | `rewrite subject`, `add header` | tag `spam` (the policy's `spam` action, tag by default) |
//! | `greylist`, `no action` | nothing but the score and symbols |
//!
//! Greylisting is meaningless after the queue (the message is already ours), hence
//! ignored. The reply parser is pure ([`parse_reply`]).

use super::{ProcessorError, excerpt};
use crate::message::Scanned;
use postwarden_core::config::RspamdConfig;
use postwarden_core::{Action, Finding, Tag};
use serde::Deserialize;
use std::collections::BTreeMap;

const NAME: &str = "rspamd";
/// Symbols named in the finding's reason, highest scores first.
const MAX_SYMBOLS: usize = 20;

pub struct Rspamd {
    pub(crate) config: RspamdConfig,
    client: reqwest::Client,
    endpoint: String,
}

/// rspamd's action for a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RspamdAction {
    NoAction,
    Greylist,
    AddHeader,
    RewriteSubject,
    SoftReject,
    Reject,
}

impl RspamdAction {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "no action" => Self::NoAction,
            "greylist" => Self::Greylist,
            "add header" => Self::AddHeader,
            "rewrite subject" => Self::RewriteSubject,
            "soft reject" => Self::SoftReject,
            "reject" => Self::Reject,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoAction => "no action",
            Self::Greylist => "greylist",
            Self::AddHeader => "add header",
            Self::RewriteSubject => "rewrite subject",
            Self::SoftReject => "soft reject",
            Self::Reject => "reject",
        }
    }
}

/// What rspamd said about a message.
#[derive(Debug, Clone, PartialEq)]
pub struct RspamdVerdict {
    pub action: RspamdAction,
    pub score: f64,
    pub required_score: f64,
    /// Symbol names and their scores, highest first.
    pub symbols: Vec<(String, f64)>,
}

#[derive(Deserialize)]
struct Reply {
    action: String,
    score: f64,
    #[serde(default)]
    required_score: f64,
    #[serde(default)]
    symbols: BTreeMap<String, Symbol>,
}

#[derive(Deserialize)]
struct Symbol {
    #[serde(default)]
    score: f64,
}

/// Parses the JSON of `/checkv2`.
pub fn parse_reply(body: &[u8]) -> Result<RspamdVerdict, String> {
    let reply: Reply = serde_json::from_slice(body).map_err(|e| {
        format!(
            "not an rspamd reply ({e}): `{}`",
            excerpt(&String::from_utf8_lossy(body))
        )
    })?;
    let action = RspamdAction::parse(&reply.action)
        .ok_or_else(|| format!("unknown rspamd action `{}`", excerpt(&reply.action)))?;
    let mut symbols: Vec<(String, f64)> = reply
        .symbols
        .into_iter()
        .map(|(name, symbol)| (name, symbol.score))
        .collect();
    symbols.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(RspamdVerdict {
        action,
        score: reply.score,
        required_score: reply.required_score,
        symbols,
    })
}

impl RspamdVerdict {
    /// The finding this verdict makes (see the module's table).
    pub fn finding(&self) -> Finding {
        let (tags, action) = match self.action {
            RspamdAction::Reject => (vec![Tag::Spam], Some(Action::Reject)),
            RspamdAction::SoftReject => (Vec::new(), Some(Action::Tempfail)),
            RspamdAction::AddHeader | RspamdAction::RewriteSubject => (vec![Tag::Spam], None),
            RspamdAction::Greylist | RspamdAction::NoAction => (Vec::new(), None),
        };
        let symbols: Vec<String> = self
            .symbols
            .iter()
            .take(MAX_SYMBOLS)
            .map(|(name, score)| format!("{name}({score:.2})"))
            .collect();
        Finding {
            processor: NAME.into(),
            score: self.score,
            tags,
            reason: format!(
                "{}, score {:.2} / {:.2}: {}",
                self.action.as_str(),
                self.score,
                self.required_score,
                symbols.join(",")
            ),
            recipients: Vec::new(),
            action,
        }
    }
}

impl Rspamd {
    pub fn new(config: RspamdConfig) -> Result<Self, String> {
        let client = postwarden_core::http::client(Some(config.timeout))
            .map_err(|e| format!("filter.processors (rspamd): {e}"))?;
        let endpoint = format!("{}/checkv2", config.url.trim_end_matches('/'));
        Ok(Self {
            config,
            client,
            endpoint,
        })
    }

    pub async fn run(&self, message: &Scanned) -> Result<Vec<Finding>, ProcessorError> {
        if message.bytes.len() > self.config.max_size {
            return Ok(vec![super::too_large(NAME, self.config.max_size)]);
        }
        Ok(vec![self.check(message).await?.finding()])
    }

    /// One `/checkv2` request.
    pub async fn check(&self, message: &Scanned) -> Result<RspamdVerdict, ProcessorError> {
        let error = |detail: String| ProcessorError::new(NAME, detail);
        let envelope = &message.envelope;
        // Header values from outside: no CR or LF may reach the request.
        let clean = |v: &str| v.replace(['\r', '\n'], "");
        let mut request = self
            .client
            .post(&self.endpoint)
            .header("From", clean(&envelope.mail_from));
        for recipient in &envelope.recipients {
            request = request.header("Rcpt", clean(recipient));
        }
        if let Some(ip) = message.client_ip() {
            request = request.header("IP", ip.to_string());
        }
        if let Some(helo) = message.helo() {
            request = request.header("Helo", clean(&helo));
        }
        if let Some(name) = message.client_name() {
            request = request.header("Hostname", clean(&name));
        }
        if let Some(queue_id) = &message.queue_id {
            request = request.header("Queue-Id", clean(queue_id));
        }
        if let Some(user) = &self.config.user {
            request = request.header("User", clean(user));
        }
        if let Some(password) = &self.config.password {
            request = request.header("Password", password.expose());
        }
        let response = request
            .body(message.bytes.clone())
            .send()
            .await
            .map_err(|e| error(format!("{}: {}", self.config.url, without_url(&e))))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| error(format!("{}: {}", self.config.url, without_url(&e))))?;
        if !status.is_success() {
            return Err(error(format!(
                "{} answered {status}: `{}`",
                self.config.url,
                excerpt(&String::from_utf8_lossy(&body))
            )));
        }
        parse_reply(&body).map_err(error)
    }
}

/// reqwest's error text without the URL it repeats.
fn without_url(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "no answer in time".into();
    }
    if error.is_connect() {
        return "connection refused or unreachable".into();
    }
    error.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_reject_asks_for_reject_and_names_its_symbols() {
        let body = br#"{"is_skipped":false,"score":1001.5,"required_score":15.0,"action":"reject",
            "symbols":{"GTUBE":{"name":"GTUBE","score":1000.0,"metric_score":0.0},
                       "MISSING_DATE":{"name":"MISSING_DATE","score":1.5}},
            "messages":{"smtp_message":"Gtube pattern"},"message-id":"x@y"}"#;
        let verdict = parse_reply(body).unwrap();
        assert_eq!(verdict.action, RspamdAction::Reject);
        let finding = verdict.finding();
        assert_eq!(finding.action, Some(Action::Reject));
        assert_eq!(finding.tags, vec![Tag::Spam]);
        assert_eq!(
            finding.reason,
            "reject, score 1001.50 / 15.00: GTUBE(1000.00),MISSING_DATE(1.50)"
        );
    }

    #[test]
    fn clean_mail_and_greylisting_ask_for_nothing() {
        for action in ["no action", "greylist"] {
            let body = format!(
                r#"{{"score":1.0,"required_score":15,"action":"{action}","symbols":{{}}}}"#
            );
            let finding = parse_reply(body.as_bytes()).unwrap().finding();
            assert_eq!((finding.action, finding.tags), (None, vec![]), "{action}");
        }
        let soft = parse_reply(br#"{"score":9,"action":"soft reject"}"#).unwrap();
        assert_eq!(soft.finding().action, Some(Action::Tempfail));
        let header = parse_reply(br#"{"score":9,"action":"add header"}"#).unwrap();
        assert_eq!(header.finding().tags, vec![Tag::Spam]);
    }

    #[test]
    fn garbage_is_an_error_that_quotes_it() {
        let error = parse_reply(b"<html>502 Bad Gateway</html>").unwrap_err();
        assert!(error.starts_with("not an rspamd reply"), "{error}");
        assert!(error.contains("502 Bad Gateway"), "{error}");
        let unknown = parse_reply(br#"{"score":1,"action":"explode"}"#).unwrap_err();
        assert_eq!(unknown, "unknown rspamd action `explode`");
    }

    proptest! {
        #[test]
        fn any_bytes_parse_or_fail_without_panicking(body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_reply(&body);
        }
    }
}
