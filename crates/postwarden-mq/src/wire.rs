//! The wire format between the filter and a user's worker, version 1 (docs/mq.md): JSON
//! bodies so that a worker can be written in any language. Pure: no I/O here.
//!
//! A request carries the message (base64), the envelope with **only that user's
//! recipients**, the site's findings that concern them, and the deadline. A reply carries an
//! action, tags, findings and a reason. The AMQP properties carry the rest: the
//! `correlation_id` that pairs them, `reply_to`, the `expiration` (the deadline), and on a
//! reply the `user_id` that RabbitMQ checks against the worker's own login.
//!
//! Decoding a reply is where input from outside enters the filter: it is bounded, every
//! field is checked, and an error names the field.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use postwarden_core::{Action, Finding, Tag};
use serde::{Deserialize, Serialize};

/// The version this build speaks.
pub const VERSION: u32 = 1;
/// The AMQP `type` of a request.
pub const REQUEST_TYPE: &str = "postwarden.request.v1";
/// The AMQP `type` of a reply.
pub const REPLY_TYPE: &str = "postwarden.reply.v1";
/// The largest reply accepted (a reply is a verdict, not a message).
pub const MAX_REPLY_BYTES: usize = 256 * 1024;
/// At most this many findings, tags and forward addresses in a reply.
const MAX_ITEMS: usize = 100;
/// At most this long, each reason and tag.
const MAX_TEXT: usize = 1000;

/// The envelope, as the filter received it from Postfix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// The envelope sender (empty for a bounce).
    pub mail_from: String,
    /// This user's recipients only.
    pub recipients: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<String>,
}

/// A request to a user's worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub version: u32,
    /// The request's id, also its AMQP `correlation_id`.
    pub id: String,
    /// The message's reference in postwarden (`mail status REF`, the console).
    #[serde(rename = "ref")]
    pub reference: String,
    /// The route's owner.
    pub user: String,
    /// After this the filter has moved on; a reply that arrives later changes nothing.
    pub deadline: DateTime<Utc>,
    pub envelope: Envelope,
    /// What the site's processors found that concerns this user's recipients.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// The site's action per recipient, as decided before the request.
    #[serde(default)]
    pub site_actions: Vec<(String, Action)>,
    /// The message as received (RFC 5322), base64.
    pub message: String,
}

impl Request {
    /// The message's bytes.
    pub fn message_bytes(&self) -> Result<Vec<u8>, WireError> {
        STANDARD
            .decode(self.message.as_bytes())
            .map_err(|e| WireError::field("message", format!("not base64: {e}")))
    }

    /// Sets the message from its bytes.
    pub fn encode_message(bytes: &[u8]) -> String {
        STANDARD.encode(bytes)
    }

    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain data into a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a request (the worker's side), checking the version.
    pub fn from_json(bytes: &[u8]) -> Result<Self, WireError> {
        let request: Request = decode(bytes)?;
        if request.version != VERSION {
            return Err(WireError::field(
                "version",
                format!("version {} is not spoken here (1 is)", request.version),
            ));
        }
        Ok(request)
    }
}

/// What a worker may ask for its user's copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplyAction {
    /// Deliver as the site decided.
    Pass,
    /// Deliver marked (`X-Spam-Flag`, the subject prefix).
    Tag,
    /// Deliver to `forward_to` instead.
    Forward,
    /// Keep the copy in the quarantine.
    Quarantine,
    /// Hold the copy until the worker, the API or the console decides (SendSwitch's PENDING).
    Delay,
    /// Drop the copy (recorded).
    Discard,
    /// Refuse the copy (the sender gets a report).
    Reject,
    /// Ask Postfix to try the whole message again later.
    Tempfail,
}

impl ReplyAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ReplyAction::Pass => "pass",
            ReplyAction::Tag => "tag",
            ReplyAction::Forward => "forward",
            ReplyAction::Quarantine => "quarantine",
            ReplyAction::Delay => "delay",
            ReplyAction::Discard => "discard",
            ReplyAction::Reject => "reject",
            ReplyAction::Tempfail => "tempfail",
        }
    }

    /// The filter's action for it; a delayed copy is held in the quarantine.
    pub fn action(self) -> Action {
        match self {
            ReplyAction::Pass => Action::Pass,
            ReplyAction::Tag => Action::Tag,
            ReplyAction::Forward => Action::Forward,
            ReplyAction::Quarantine | ReplyAction::Delay => Action::Quarantine,
            ReplyAction::Discard => Action::Discard,
            ReplyAction::Reject => Action::Reject,
            ReplyAction::Tempfail => Action::Tempfail,
        }
    }
}

/// A finding as a worker reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyFinding {
    /// The worker's processor that found it.
    pub processor: String,
    #[serde(default)]
    pub score: f64,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub reason: String,
}

/// A worker's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    pub version: u32,
    pub action: ReplyAction,
    /// Free-form labels for the user's own use (shown in the console and `mail status`).
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub findings: Vec<ReplyFinding>,
    /// One line: why.
    #[serde(default)]
    pub reason: String,
    /// For `forward`: where the copy goes instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forward_to: Vec<String>,
    /// For `tag`: a subject prefix for this copy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_prefix: Option<String>,
    /// For `delay`: how long the copy may stay held before the route's `on_timeout`
    /// applies (capped by the filter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_seconds: Option<u64>,
}

impl Reply {
    /// A reply with just an action.
    pub fn new(action: ReplyAction, reason: impl Into<String>) -> Self {
        Self {
            version: VERSION,
            action,
            tags: Vec::new(),
            findings: Vec::new(),
            reason: reason.into(),
            forward_to: Vec::new(),
            subject_prefix: None,
            hold_seconds: None,
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads and checks a reply: size, version, lengths, and that what an action needs is
    /// there (`forward` needs addresses).
    pub fn from_json(bytes: &[u8]) -> Result<Self, WireError> {
        if bytes.len() > MAX_REPLY_BYTES {
            return Err(WireError::TooLarge(bytes.len()));
        }
        let reply: Reply = decode(bytes)?;
        if reply.version != VERSION {
            return Err(WireError::field(
                "version",
                format!("version {} is not spoken here (1 is)", reply.version),
            ));
        }
        if reply.findings.len() > MAX_ITEMS {
            return Err(WireError::field(
                "findings",
                format!("more than {MAX_ITEMS}"),
            ));
        }
        if reply.tags.len() > MAX_ITEMS {
            return Err(WireError::field("tags", format!("more than {MAX_ITEMS}")));
        }
        if reply.forward_to.len() > MAX_ITEMS {
            return Err(WireError::field(
                "forward_to",
                format!("more than {MAX_ITEMS}"),
            ));
        }
        let long = |s: &str| s.len() > MAX_TEXT;
        if long(&reply.reason) {
            return Err(WireError::field(
                "reason",
                format!("longer than {MAX_TEXT} bytes"),
            ));
        }
        if reply.tags.iter().any(|t| long(t) || t.is_empty()) {
            return Err(WireError::field("tags", "empty or too long tag".into()));
        }
        for finding in &reply.findings {
            if !finding.score.is_finite() {
                return Err(WireError::field(
                    "findings.score",
                    "not a finite number".into(),
                ));
            }
            if long(&finding.reason) || long(&finding.processor) || finding.processor.is_empty() {
                return Err(WireError::field(
                    "findings",
                    "empty processor, or processor or reason too long".into(),
                ));
            }
        }
        if reply.action == ReplyAction::Forward && reply.forward_to.is_empty() {
            return Err(WireError::field(
                "forward_to",
                "`forward` needs at least one address".into(),
            ));
        }
        for address in &reply.forward_to {
            if !postwarden_core::users::is_address(address) {
                return Err(WireError::field(
                    "forward_to",
                    format!("`{}` is not an address", clip(address)),
                ));
            }
        }
        if let Some(prefix) = &reply.subject_prefix
            && (long(prefix) || prefix.chars().any(char::is_control))
        {
            return Err(WireError::field(
                "subject_prefix",
                "too long or holds control characters".into(),
            ));
        }
        Ok(reply)
    }
}

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error(&mut de)
}

/// serde_json's error with the path of the field at fault.
fn serde_path_to_error<T: serde::de::DeserializeOwned>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'_>>,
) -> Result<T, WireError> {
    let value = T::deserialize(&mut *de).map_err(|e| WireError::Json(e.to_string()))?;
    de.end().map_err(|e| WireError::Json(e.to_string()))?;
    Ok(value)
}

fn clip(text: &str) -> String {
    text.chars().take(80).collect()
}

/// Why a request or reply is not one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WireError {
    #[error("{0} bytes is larger than a reply may be ({MAX_REPLY_BYTES})")]
    TooLarge(usize),
    #[error("not valid JSON for this message: {0}")]
    Json(String),
    #[error("`{field}`: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
}

impl WireError {
    fn field(field: &'static str, message: String) -> Self {
        WireError::Field { field, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn request() -> Request {
        Request {
            version: VERSION,
            id: "r1".into(),
            reference: "m1".into(),
            user: "alice@example.org".into(),
            deadline: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            envelope: Envelope {
                mail_from: "bob@example.net".into(),
                recipients: vec!["alice@example.org".into()],
                client_address: Some("192.0.2.1".into()),
                client_name: None,
                helo: None,
                queue_id: Some("4Qx1".into()),
            },
            findings: Vec::new(),
            site_actions: vec![("alice@example.org".into(), Action::Pass)],
            message: Request::encode_message(b"Subject: hi\r\n\r\nbody\r\n"),
        }
    }

    #[test]
    fn a_request_reads_back_as_written() {
        let request = request();
        assert_eq!(Request::from_json(&request.to_json()).unwrap(), request);
        assert_eq!(
            request.message_bytes().unwrap(),
            b"Subject: hi\r\n\r\nbody\r\n"
        );
    }

    #[test]
    fn the_smallest_reply_is_a_version_and_an_action() {
        let reply = Reply::from_json(br#"{"version":1,"action":"reject"}"#).unwrap();
        assert_eq!(reply.action, ReplyAction::Reject);
        assert_eq!(reply.action.action(), Action::Reject);
    }

    #[test]
    fn a_bad_reply_names_what_is_wrong() {
        let cases: &[(&[u8], &str)] = &[
            (b"garbage", "not valid JSON"),
            (br#"{"version":2,"action":"pass"}"#, "`version`"),
            (br#"{"version":1,"action":"explode"}"#, "unknown variant"),
            (
                br#"{"version":1,"action":"pass","extra":1}"#,
                "unknown field",
            ),
            (br#"{"version":1,"action":"forward"}"#, "`forward_to`"),
            (
                br#"{"version":1,"action":"forward","forward_to":["not an address"]}"#,
                "`forward_to`",
            ),
            (
                br#"{"version":1,"action":"tag","subject_prefix":"a\r\nBcc: x@y"}"#,
                "`subject_prefix`",
            ),
            (
                br#"{"version":1,"action":"pass"} trailing"#,
                "not valid JSON",
            ),
        ];
        for (bytes, expected) in cases {
            let error = Reply::from_json(bytes).unwrap_err().to_string();
            assert!(
                error.contains(expected),
                "{}: {error}",
                String::from_utf8_lossy(bytes)
            );
        }
        let huge = vec![b' '; MAX_REPLY_BYTES + 1];
        assert_eq!(
            Reply::from_json(&huge),
            Err(WireError::TooLarge(MAX_REPLY_BYTES + 1))
        );
    }

    proptest! {
        #[test]
        fn decoding_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Reply::from_json(&bytes);
            let _ = Request::from_json(&bytes);
        }

        #[test]
        fn a_reply_reads_back_as_written(
            action in prop_oneof![
                Just(ReplyAction::Pass), Just(ReplyAction::Tag), Just(ReplyAction::Quarantine),
                Just(ReplyAction::Delay), Just(ReplyAction::Discard), Just(ReplyAction::Reject),
                Just(ReplyAction::Tempfail)
            ],
            reason in "[ -~]{0,60}",
            tags in proptest::collection::vec("[a-z]{1,10}", 0..5),
            score in (-10_000i32..10_000).prop_map(|n| f64::from(n) / 100.0),
        ) {
            let mut reply = Reply::new(action, reason);
            reply.tags = tags;
            reply.findings.push(ReplyFinding {
                processor: "mine".into(), score, tags: vec![Tag::Spam], reason: "r".into(),
            });
            prop_assert_eq!(Reply::from_json(&reply.to_json()).unwrap(), reply);
        }
    }
}
