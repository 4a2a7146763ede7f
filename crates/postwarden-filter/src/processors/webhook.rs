//! `type = "webhook"`: a remote processor (SendSwitch's idea). The message's envelope,
//! header fields and, with `include_message`, its bytes (base64) are POSTed as JSON to
//! `url`. With a `secret`, `X-Postwarden-Signature: sha256=<hex>` is the HMAC-SHA256 of
//! `<X-Postwarden-Timestamp>.<body>`, so the receiver can check origin and freshness.
//!
//! The reply, parsed by the pure [`parse_reply`]:
//! `{"findings": [{"score": 5.0, "tags": ["spam"], "reason": "…", "recipients": […]}],
//!   "action": "quarantine"}` — both keys optional. An `action` makes the verdict at least
//! that strong (it can never weaken it: a webhook cannot let a virus through).

use super::ProcessorError;
use crate::message::Scanned;
use base64::Engine;
use postwarden_core::config::WebhookConfig;
use postwarden_core::http::sign_webhook;
use postwarden_core::{Action, Finding, Tag};
use serde::{Deserialize, Serialize};

const NAME: &str = "webhook";
/// Largest reply body read.
const MAX_REPLY: usize = 1 << 20;
/// Most findings taken from one reply, and longest reason (characters).
const MAX_FINDINGS: usize = 100;
const MAX_REASON: usize = 500;

pub struct Webhook {
    pub(crate) config: WebhookConfig,
    client: reqwest::Client,
}

#[derive(Serialize)]
struct Request<'a> {
    mail_from: &'a str,
    recipients: &'a [String],
    helo: &'a str,
    client_ip: Option<String>,
    client_name: Option<String>,
    subject: Option<&'a str>,
    size: usize,
    headers: &'a [(String, String)],
    #[serde(skip_serializing_if = "Option::is_none")]
    message_base64: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reply {
    #[serde(default)]
    findings: Vec<ReplyFinding>,
    #[serde(default)]
    action: Option<Action>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyFinding {
    #[serde(default)]
    score: f64,
    #[serde(default)]
    tags: Vec<Tag>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    recipients: Vec<String>,
}

impl Webhook {
    pub fn new(config: WebhookConfig) -> Result<Self, String> {
        let client = postwarden_core::http::client(Some(config.timeout))
            .map_err(|e| format!("filter.processors (webhook): {e}"))?;
        Ok(Self { config, client })
    }

    pub async fn run(&self, message: &Scanned) -> Result<Vec<Finding>, ProcessorError> {
        let error = |detail: String| ProcessorError::new(NAME, detail);
        let envelope = &message.envelope;
        let include = self.config.include_message && message.bytes.len() <= self.config.max_size;
        let body = serde_json::to_vec(&Request {
            mail_from: &envelope.mail_from,
            recipients: &envelope.recipients,
            helo: &envelope.helo,
            client_ip: message.client_ip().map(|ip| ip.to_string()),
            client_name: message.client_name(),
            subject: message.subject.as_deref(),
            size: message.bytes.len(),
            headers: &message.headers,
            message_base64: include
                .then(|| base64::engine::general_purpose::STANDARD.encode(&message.bytes)),
        })
        .map_err(|e| error(format!("encoding the request: {e}")))?;
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let mut request = self
            .client
            .post(&self.config.url)
            .header("Content-Type", "application/json")
            .header("X-Postwarden-Timestamp", &timestamp);
        if let Some(secret) = &self.config.secret {
            request = request.header(
                "X-Postwarden-Signature",
                sign_webhook(secret.expose(), &timestamp, &body),
            );
        }
        let mut response = request
            .body(body)
            .send()
            .await
            .map_err(|e| error(format!("{}: {e}", self.config.url)))?;
        if !response.status().is_success() {
            return Err(error(format!(
                "{} answered {}",
                self.config.url,
                response.status()
            )));
        }
        let mut reply = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| error(e.to_string()))? {
            reply.extend_from_slice(&chunk);
            if reply.len() > MAX_REPLY {
                return Err(error(format!("reply over {MAX_REPLY} octets")));
            }
        }
        parse_reply(&reply).map_err(error)
    }
}

/// The findings a webhook's JSON reply adds (its `action` as one more finding).
pub fn parse_reply(reply: &[u8]) -> Result<Vec<Finding>, String> {
    if reply.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let reply: Reply = serde_json::from_slice(reply)
        .map_err(|e| format!("reply is not the expected JSON: {e}"))?;
    let mut findings: Vec<Finding> = reply
        .findings
        .into_iter()
        .take(MAX_FINDINGS)
        .filter(|f| f.score.is_finite())
        .map(|f| Finding {
            processor: NAME.into(),
            score: f.score,
            tags: f.tags,
            reason: f.reason.chars().take(MAX_REASON).collect(),
            recipients: f.recipients,
            action: None,
        })
        .collect();
    if let Some(action) = reply.action {
        findings.push(Finding {
            processor: NAME.into(),
            score: 0.0,
            tags: Vec::new(),
            reason: format!("webhook asked for {}", action.as_str()),
            recipients: Vec::new(),
            action: Some(action),
        });
    }
    Ok(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_with_findings_and_action() {
        let findings = parse_reply(
            br#"{"findings":[{"score":7.5,"tags":["spam"],"reason":"looks like phishing","recipients":["a@x.example"]}],"action":"quarantine"}"#,
        )
        .unwrap();
        assert_eq!(findings.len(), 2);
        assert_eq!(
            (findings[0].score, findings[0].tags.clone()),
            (7.5, vec![Tag::Spam])
        );
        assert_eq!(findings[0].recipients, ["a@x.example"]);
        assert_eq!(findings[1].action, Some(Action::Quarantine));
    }

    #[test]
    fn empty_or_bad_replies() {
        assert!(parse_reply(b"").unwrap().is_empty());
        assert!(parse_reply(b"{}").unwrap().is_empty());
        assert!(
            parse_reply(br#"{"action":"explode"}"#)
                .unwrap_err()
                .contains("JSON")
        );
        assert!(parse_reply(br#"{"findings":[{"tags":["nope"]}]}"#).is_err());
        assert!(
            parse_reply(br#"{"verdict":"spam"}"#).is_err(),
            "unknown keys are refused"
        );
        assert!(parse_reply(b"<html>").is_err());
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let _ = parse_reply(&bytes);
        }
    }
}
