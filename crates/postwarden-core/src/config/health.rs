//! The health keys: `[health]` (how often probes run, when a failure becomes an alert) and
//! one `[health.PROBE]` table per probe. A probe runs when its table is present; the
//! `database` probe always runs (the store is always there).

use super::{ConfigError, duration};
use serde::{Deserialize, Deserializer};
use std::path::PathBuf;
use std::time::Duration;

/// `[health]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HealthConfig {
    /// How often every probe runs.
    #[serde(deserialize_with = "duration")]
    pub interval: Duration,
    /// Consecutive failures before a probe's alert fires (1: the first one).
    pub failures_before_alert: u32,
    /// A probe still failing is alerted again this often.
    #[serde(deserialize_with = "duration")]
    pub repeat_interval: Duration,
    /// Longest a probe may take (a connection, a command) before it counts as failed.
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    pub postfix: Option<PostfixProbeConfig>,
    pub queue: Option<QueueProbeConfig>,
    pub disk: Option<DiskProbeConfig>,
    pub spamd: Option<AddressProbeConfig>,
    pub clamd: Option<AddressProbeConfig>,
    pub smtp: Option<SmtpProbeConfig>,
    pub tls_cert: Option<TlsCertProbeConfig>,
    pub log_freshness: Option<LogFreshnessProbeConfig>,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(30),
            failures_before_alert: 1,
            repeat_interval: Duration::from_secs(4 * 3600),
            timeout: Duration::from_secs(10),
            postfix: None,
            queue: None,
            disk: None,
            spamd: None,
            clamd: None,
            smtp: None,
            tls_cert: None,
            log_freshness: None,
        }
    }
}

impl HealthConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, message: &str| {
            Err(ConfigError::Invalid {
                key,
                message: message.into(),
            })
        };
        if self.interval.is_zero() {
            return invalid("health.interval", "must be longer than 0 s");
        }
        if self.failures_before_alert == 0 {
            return invalid("health.failures_before_alert", "must be at least 1");
        }
        if let Some(disk) = &self.disk {
            if !(0.0..=100.0).contains(&disk.max_used_percent) {
                return invalid("health.disk.max_used_percent", "must be between 0 and 100");
            }
            if !(0.0..=100.0).contains(&disk.min_free_inodes_percent) {
                return invalid(
                    "health.disk.min_free_inodes_percent",
                    "must be between 0 and 100",
                );
            }
        }
        Ok(())
    }
}

/// `[health.postfix]`: is the instance's master process running (`postfix -c DIR status`)?
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostfixProbeConfig {
    /// The instance's configuration directory.
    pub config_dir: PathBuf,
}

impl Default for PostfixProbeConfig {
    fn default() -> Self {
        Self {
            config_dir: PathBuf::from("/etc/postfix"),
        }
    }
}

/// `[health.queue]`: messages per queue from `postqueue -j`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueProbeConfig {
    /// The instance's configuration directory (defaults to `health.postfix.config_dir`,
    /// then `/etc/postfix`).
    pub config_dir: Option<PathBuf>,
    /// More messages than this in the active, deferred and hold queues together fails.
    pub max_messages: u64,
    /// A message older than this in the queue fails (unset: age is only reported).
    #[serde(deserialize_with = "optional_duration")]
    pub max_age: Option<Duration>,
}

impl Default for QueueProbeConfig {
    fn default() -> Self {
        Self {
            config_dir: None,
            max_messages: 50,
            max_age: None,
        }
    }
}

/// `[health.disk]`: used space and free inodes of each path's file system.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiskProbeConfig {
    pub paths: Vec<PathBuf>,
    /// More space used than this fails.
    pub max_used_percent: f64,
    /// Fewer free inodes than this fails.
    pub min_free_inodes_percent: f64,
}

impl Default for DiskProbeConfig {
    fn default() -> Self {
        Self {
            paths: vec![PathBuf::from("/"), PathBuf::from("/var")],
            max_used_percent: 90.0,
            min_free_inodes_percent: 5.0,
        }
    }
}

/// `[health.spamd]`, `[health.clamd]`: the daemon answers PING.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressProbeConfig {
    /// `host:port` or `unix:/path`.
    pub address: String,
}

/// `[health.smtp]`: each address answers with a 220 banner (e.g. the re-injection service).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpProbeConfig {
    pub addresses: Vec<String>,
}

/// `[health.tls_cert]`: days until each certificate file expires.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsCertProbeConfig {
    /// PEM files; the first certificate of each is checked.
    pub files: Vec<PathBuf>,
    /// Fewer days left than this fails.
    #[serde(default = "default_min_days")]
    pub min_days: i64,
}

fn default_min_days() -> i64 {
    14
}

/// `[health.log_freshness]`: Postfix runs but its log stopped growing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogFreshnessProbeConfig {
    pub path: PathBuf,
    /// No write for longer than this fails.
    #[serde(deserialize_with = "duration", default = "default_max_silence")]
    pub max_silence: Duration,
}

fn default_max_silence() -> Duration {
    Duration::from_secs(3600)
}

fn optional_duration<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    duration(deserializer).map(Some)
}
