//! Directives (IntelMQ mailgen's model): "send this event to this recipient on this channel
//! with this template, aggregated by these keys". Rules make them; external events may carry
//! their own, read by `postwarden events ingest` from JSON lines.
//!
//! A directive's group is its channel, recipient, template, format and the values of its
//! aggregate keys: directives of one group go out as one notification.

use crate::fields::{field, micros, text_of};
use chrono::{DateTime, Utc};
use postwarden_core::{Event, Severity};
use postwarden_store::NewDirective;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// A group's timers (Alertmanager's semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// From a group's first event to its first notification.
    pub wait: Duration,
    /// Least time between two notifications of a group.
    pub interval: Duration,
    /// An unchanged group is not sent again before this.
    pub repeat: Duration,
}

/// A directive before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct DirectiveSpec {
    pub rule: String,
    pub channel: String,
    pub recipient: String,
    pub template: String,
    pub format: String,
    pub labels: BTreeMap<String, String>,
    pub timers: Timers,
}

impl DirectiveSpec {
    /// The key shared by every directive that goes out in the same notification: one
    /// group per rule (as Alertmanager's routes), receiver, template, format and labels.
    pub fn group_key(&self) -> String {
        let mut hash = Sha256::new();
        for part in [
            &self.rule,
            &self.channel,
            &self.recipient,
            &self.template,
            &self.format,
        ] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        for (key, value) in &self.labels {
            hash.update(key.as_bytes());
            hash.update([1]);
            hash.update(value.as_bytes());
            hash.update([0]);
        }
        hex(&hash.finalize())
    }

    /// The row for the store.
    pub fn into_new(self, created: DateTime<Utc>) -> NewDirective {
        NewDirective {
            created,
            group_key: self.group_key(),
            labels: serde_json::to_string(&self.labels).unwrap_or_else(|_| "{}".into()),
            rule: self.rule,
            channel: self.channel,
            recipient: self.recipient,
            template: self.template,
            format: self.format,
            group_wait_us: micros(self.timers.wait),
            group_interval_us: micros(self.timers.interval),
            repeat_interval_us: micros(self.timers.repeat),
        }
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One line of an `events ingest` file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IngestLine {
    kind: String,
    time: Option<DateTime<Utc>>,
    #[serde(default = "info")]
    severity: String,
    #[serde(default = "external")]
    source: String,
    summary: Option<String>,
    host: Option<String>,
    ip: Option<IpAddr>,
    user: Option<String>,
    sender: Option<String>,
    recipient: Option<String>,
    #[serde(default)]
    attributes: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    directives: Vec<IngestDirective>,
}

fn info() -> String {
    "info".into()
}

fn external() -> String {
    "external".into()
}

/// A directive carried by an ingested event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IngestDirective {
    channel: String,
    recipient: String,
    template: Option<String>,
    format: Option<String>,
    #[serde(default)]
    aggregate: Vec<String>,
    /// Least time between two notifications of the aggregate (`"1h"`); default: none.
    interval: Option<String>,
}

/// What the ingester needs to know about a channel: whether it exists and its default format.
pub trait ChannelLookup {
    fn default_format(&self, channel: &str) -> Option<&'static str>;
}

impl ChannelLookup for BTreeMap<String, postwarden_core::config::ChannelConfig> {
    fn default_format(&self, channel: &str) -> Option<&'static str> {
        self.get(channel).map(|c| c.default_format())
    }
}

/// Parses one JSON line into an event and its directives, or says what is wrong with it.
pub fn parse_ingest_line(
    line: &str,
    channels: &dyn ChannelLookup,
    now: DateTime<Utc>,
) -> Result<(Event, Vec<DirectiveSpec>), String> {
    let parsed: IngestLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let severity = Severity::parse(&parsed.severity).ok_or_else(|| {
        format!(
            "unknown severity `{}`; use info, notice, warning or critical",
            parsed.severity
        )
    })?;
    if parsed.kind.is_empty() {
        return Err("`kind` is empty".into());
    }
    let mut event = Event::new(
        parsed.time.unwrap_or(now),
        parsed.kind.clone(),
        severity,
        parsed.source,
        parsed.summary.unwrap_or(parsed.kind),
    );
    event.host = parsed.host;
    event.ip = parsed.ip;
    event.user = parsed.user;
    event.sender = parsed.sender;
    event.recipient = parsed.recipient;
    event.attributes = serde_json::Value::Object(parsed.attributes);
    let directives = parsed
        .directives
        .into_iter()
        .map(|d| directive_of(d, &event, channels))
        .collect::<Result<_, _>>()?;
    Ok((event, directives))
}

fn directive_of(
    d: IngestDirective,
    event: &Event,
    channels: &dyn ChannelLookup,
) -> Result<DirectiveSpec, String> {
    let default_format = channels.default_format(&d.channel).ok_or_else(|| {
        format!(
            "directive names channel `{}`, which is not configured",
            d.channel
        )
    })?;
    let interval = match &d.interval {
        Some(text) => humantime::parse_duration(text)
            .map_err(|e| format!("directive interval `{text}`: {e}"))?,
        None => Duration::ZERO,
    };
    let format = d.format.unwrap_or_else(|| default_format.into());
    let template = d
        .template
        .unwrap_or_else(|| crate::template::default_for(&format).into());
    let labels = d
        .aggregate
        .iter()
        .map(|key| {
            (
                key.clone(),
                field(event, key).map(text_of).unwrap_or_default(),
            )
        })
        .collect();
    Ok(DirectiveSpec {
        rule: "event".into(),
        channel: d.channel,
        recipient: d.recipient,
        template,
        format,
        labels,
        timers: Timers {
            wait: Duration::ZERO,
            interval,
            repeat: interval,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    struct OneChannel;
    impl ChannelLookup for OneChannel {
        fn default_format(&self, channel: &str) -> Option<&'static str> {
            (channel == "ops_mail").then_some("text")
        }
    }

    const LINE: &str = r#"{"kind":"abuse.bruteforce","time":"2026-11-21T10:00:00Z","severity":"warning",
 "attributes":{"source.ip":"203.0.113.7","source.asn":64500,"user":"admin"},
 "directives":[{"channel":"ops_mail","recipient":"abuse@as64500.example","template":"abuse_report",
                "format":"csv","aggregate":["source.asn"],"interval":"1h"}]}"#;

    #[test]
    fn the_contract_line_parses() {
        let line = LINE.replace('\n', "");
        let (event, directives) = parse_ingest_line(&line, &OneChannel, Utc::now()).unwrap();
        assert_eq!(event.kind, "abuse.bruteforce");
        assert_eq!(event.severity, Severity::Warning);
        assert_eq!(directives.len(), 1);
        let d = &directives[0];
        assert_eq!(d.labels["source.asn"], "64500");
        assert_eq!(d.timers.interval, Duration::from_secs(3600));
        assert_eq!(d.template, "abuse_report");
        let mut other = d.clone();
        other.labels.insert("source.asn".into(), "64501".into());
        assert_ne!(d.group_key(), other.group_key());
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let unknown = r#"{"kind":"x","directives":[{"channel":"nope","recipient":"a"}]}"#;
        assert!(
            parse_ingest_line(unknown, &OneChannel, Utc::now())
                .unwrap_err()
                .contains("channel `nope`")
        );
        let severity = r#"{"kind":"x","severity":"loud"}"#;
        assert!(
            parse_ingest_line(severity, &OneChannel, Utc::now())
                .unwrap_err()
                .contains("unknown severity `loud`")
        );
        assert!(parse_ingest_line("{", &OneChannel, Utc::now()).is_err());
    }

    proptest::proptest! {
        #[test]
        fn any_line_parses_or_says_why(line in ".{0,300}") {
            if let Err(message) = parse_ingest_line(&line, &OneChannel, Utc::now()) {
                proptest::prop_assert!(!message.is_empty());
            }
        }

        #[test]
        fn any_attribute_values_survive(asn in proptest::prelude::any::<i64>(), user in ".{0,40}") {
            let line = serde_json::json!({
                "kind": "abuse.x",
                "attributes": {"source.asn": asn, "user": user},
                "directives": [{"channel": "ops_mail", "recipient": "a@b", "aggregate": ["source.asn", "user"]}],
            })
            .to_string();
            let (_, directives) = parse_ingest_line(&line, &OneChannel, Utc::now()).unwrap();
            proptest::prop_assert_eq!(&directives[0].labels["source.asn"], &asn.to_string());
            proptest::prop_assert_eq!(&directives[0].labels["user"], &user);
        }
    }
}
