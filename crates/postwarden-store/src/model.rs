//! The plain data the store takes and returns: log records, traffic counts, file positions
//! and report summaries.
//!
//! These are owned, `Clone` structs with public fields so that callers build them with
//! struct literals; the store converts them to rows (times as microseconds since the epoch,
//! IP addresses as text) and back.

use chrono::{DateTime, Utc};
use postwarden_core::Event;
use std::net::IpAddr;

/// An event as read back from the store, with its row id.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub id: i64,
    pub event: Event,
}

/// How far the log reader got in one log file, saved with the records it read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    pub path: String,
    pub device: u64,
    pub inode: u64,
    /// Byte offset just after the last line committed.
    pub offset: u64,
    /// A hash (or the bytes) of the file's first line, to recognise a rotated file.
    pub fingerprint: Vec<u8>,
    pub updated: DateTime<Utc>,
}

/// Everything one read of a log produced, committed in one transaction by
/// [`Store::commit_log_batch`](crate::Store::commit_log_batch).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogBatch {
    pub records: Vec<LogRecordRow>,
    pub traffic: Vec<TrafficCount>,
    pub events: Vec<Event>,
    /// Where a log file was read up to (a batch has this or `journal_state`).
    pub file_state: Option<FileState>,
    /// Where the journal was read up to.
    pub journal_state: Option<JournalState>,
}

/// What an `auth_counts` row counts, per hour: the totals, or the failures by one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AuthDimension {
    /// Failed authentications (key `""`).
    Failed,
    /// Successful authentications (key `""`).
    Succeeded,
    /// Failures by client address.
    Ip,
    /// Failures by SASL login.
    User,
    /// Failures by the client's country.
    Country,
    /// Failures by the client's network (AS number).
    Asn,
    /// Failures by the outcome of the client's reverse DNS.
    RdnsStatus,
}

impl AuthDimension {
    pub const ALL: [AuthDimension; 7] = [
        AuthDimension::Failed,
        AuthDimension::Succeeded,
        AuthDimension::Ip,
        AuthDimension::User,
        AuthDimension::Country,
        AuthDimension::Asn,
        AuthDimension::RdnsStatus,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthDimension::Failed => "failed",
            AuthDimension::Succeeded => "succeeded",
            AuthDimension::Ip => "ip",
            AuthDimension::User => "user",
            AuthDimension::Country => "country",
            AuthDimension::Asn => "asn",
            AuthDimension::RdnsStatus => "rdns_status",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.as_str() == name)
    }
}

/// The position in a systemd journal: the cursor of the last entry committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalState {
    /// Which journal (`journal:system`, `journal:/path`).
    pub source: String,
    pub cursor: String,
    pub updated: DateTime<Utc>,
}

/// One classified log line worth keeping: an authentication attempt, a rejection, abuse.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogRecordRow {
    pub time: DateTime<Utc>,
    pub host: String,
    pub service: String,
    /// `auth_failed`, `auth_success`, or another record kind of the log reader.
    pub kind: String,
    pub abusive: bool,
    pub ip: Option<IpAddr>,
    pub client_name: Option<String>,
    pub user: Option<String>,
    /// The reason class or SASL reason.
    pub reason: Option<String>,
    /// Enrichment of `ip`. Stored once per address in `ip_info` (the latest answer);
    /// records read back carry the address's current enrichment.
    pub country: Option<String>,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
    pub rdns: Option<String>,
    pub rdns_status: Option<String>,
}

/// A number to add to the hourly traffic counter `(hour, host, metric, key)`.
///
/// Metrics: `received`, `delivered`, `deferred`, `bounced`, `expired`, `rejected` (with
/// `key` empty or a reason; the report's total sums all keys), `sender_domain` and
/// `recipient_domain` (with `key` the domain). `host` and `key` are cut to 255 characters
/// and `metric` to 32 on insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficCount {
    /// Unix hour: seconds since the epoch divided by 3600.
    pub hour: i64,
    pub host: String,
    pub metric: String,
    pub key: String,
    pub count: i64,
}

/// One line of the top-IP table in [`AuthSummary`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TopIp {
    pub ip: IpAddr,
    pub count: i64,
    pub rdns: Option<String>,
    pub country: Option<String>,
}

/// One line of the top-AS table in [`AuthSummary`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TopAsn {
    pub asn: u32,
    pub org: Option<String>,
    pub count: i64,
}

/// Authentication failures since a time (rows of kind `auth_failed`), and successes.
///
/// Top lists are ordered by count (descending), then by key; `per_hour` by hour.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct AuthSummary {
    pub total_failures: i64,
    pub unique_ips: i64,
    pub top_ips: Vec<TopIp>,
    pub top_users: Vec<(String, i64)>,
    pub top_countries: Vec<(String, i64)>,
    pub top_asns: Vec<TopAsn>,
    /// (unix hour, failures) for every hour that has any.
    pub per_hour: Vec<(i64, i64)>,
    /// (rdns status, failures) for failures whose status is known.
    pub rdns_status: Vec<(String, i64)>,
    pub successes: i64,
}

/// Traffic counters since the start of the hour containing a time.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TrafficSummary {
    pub received: i64,
    pub delivered: i64,
    pub deferred: i64,
    pub bounced: i64,
    pub expired: i64,
    pub rejected: i64,
    /// (reason, count) for metric `rejected`; the empty reason is listed as `""`.
    pub rejected_by_reason: Vec<(String, i64)>,
    pub top_sender_domains: Vec<(String, i64)>,
    pub top_recipient_domains: Vec<(String, i64)>,
    /// (unix hour, received, delivered, rejected) for every hour that has any counter.
    pub per_hour: Vec<(i64, i64, i64, i64)>,
}

/// What the content filter did since a time (the daily report's numbers).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FilterSummary {
    /// Messages the filter handled.
    pub processed: i64,
    /// Messages with a finding of each kind, and messages acted on.
    pub virus: i64,
    pub spam: i64,
    pub blocked: i64,
    pub quarantined: i64,
    pub rejected: i64,
    /// The most frequent virus and blocking findings: (`processor: reason`, messages).
    pub top_threats: Vec<(String, i64)>,
    /// Quarantine entries made in the period, and how many of them were released since.
    pub quarantine_held: i64,
    pub quarantine_released: i64,
    /// Quarantine entries by reason.
    pub quarantine_by_reason: Vec<(String, i64)>,
}
