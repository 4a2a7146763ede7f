//! The event: the one record every job writes to the store and the notifier reads back.
//!
//! An event says what was noticed (`kind`, e.g. `auth.bruteforce`), how bad it is
//! ([`Severity`]), who noticed it (`source`, e.g. `logs`), and whom it concerns (the
//! subject fields). Anything else goes in `attributes`, a JSON object.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// How urgent an event is, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Notice,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Notice => "notice",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Info, Self::Notice, Self::Warning, Self::Critical]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// Something a job noticed, as stored in the `events` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub time: DateTime<Utc>,
    /// Dotted kind such as `auth.bruteforce` or `mail.virus`.
    pub kind: String,
    pub severity: Severity,
    /// The job that noticed it: `logs`, `filter`, `health`, `notify`, `external`.
    pub source: String,
    /// The mail server the event is about (syslog host name), when known.
    pub host: Option<String>,
    pub ip: Option<IpAddr>,
    pub user: Option<String>,
    pub sender: Option<String>,
    pub recipient: Option<String>,
    /// One human-readable line.
    pub summary: String,
    /// Everything else, as a JSON object.
    pub attributes: serde_json::Value,
}

impl Event {
    /// A new event with no subject fields and empty attributes.
    pub fn new(
        time: DateTime<Utc>,
        kind: impl Into<String>,
        severity: Severity,
        source: impl Into<String>,
        summary: impl Into<String>,
    ) -> Self {
        Self {
            time,
            kind: kind.into(),
            severity,
            source: source.into(),
            host: None,
            ip: None,
            user: None,
            sender: None,
            recipient: None,
            summary: summary.into(),
            attributes: serde_json::Value::Object(Default::default()),
        }
    }
}
