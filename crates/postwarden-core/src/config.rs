//! The configuration file, `postwarden.toml`: every key, its default and what it means.
//!
//! Every struct denies unknown keys, so a typo is an error that names the key and its line
//! rather than a setting silently ignored. Every key has a default, so an empty file is a
//! valid configuration. `postwarden.example.toml` at the repository root documents the
//! same keys and is parsed by a test.

use crate::Secret;

mod filter;
mod health;
mod mq;
mod notify;
mod reports;
mod web;
pub use filter::*;
pub use health::*;
pub use mq::*;
pub use notify::*;
pub use reports::*;
use serde::{Deserialize, Deserializer};
use std::path::PathBuf;
use std::time::Duration;
pub use web::*;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Directory for state: the embedded SQLite database and the geo index cache.
    pub data_dir: PathBuf,
    pub database: DatabaseConfig,
    pub logs: LogsConfig,
    pub geo: GeoConfig,
    pub rdns: RdnsConfig,
    pub detect: DetectConfig,
    pub report: ReportConfig,
    pub filter: FilterConfig,
    pub notify: NotifyConfig,
    pub health: HealthConfig,
    pub run: RunConfig,
    pub metrics: MetricsConfig,
    /// Scheduled reports, by name (`[reports.daily]`).
    pub reports: std::collections::BTreeMap<String, ScheduledReportConfig>,
    /// Where notifications go, by name.
    pub channels: std::collections::BTreeMap<String, ChannelConfig>,
    /// Which events go to which channels.
    pub rules: Vec<RuleConfig>,
    /// Default limits for every receiver (a channel's own `limits` replace them).
    pub limits: LimitsConfig,
    /// The web console and HTTP API.
    pub web: WebConfig,
    /// Where passwords are checked besides local hashes.
    pub auth: AuthConfig,
    /// The broker for per-user processing.
    pub mq: MqConfig,
    /// The resolver of the `auth` processor (SPF, DKIM, DMARC, ARC).
    pub dns: DnsConfig,
    /// The milter mode of the filter (before the queue).
    pub milter: MilterConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("/var/lib/postwarden"),
            database: DatabaseConfig::default(),
            logs: LogsConfig::default(),
            geo: GeoConfig::default(),
            rdns: RdnsConfig::default(),
            detect: DetectConfig::default(),
            report: ReportConfig::default(),
            filter: FilterConfig::default(),
            notify: NotifyConfig::default(),
            health: HealthConfig::default(),
            run: RunConfig::default(),
            metrics: MetricsConfig::default(),
            reports: Default::default(),
            channels: Default::default(),
            rules: Vec::new(),
            limits: LimitsConfig::default(),
            web: WebConfig::default(),
            auth: AuthConfig::default(),
            mq: MqConfig::default(),
            dns: DnsConfig::default(),
            milter: MilterConfig::default(),
        }
    }
}

/// A configuration that could not be used, with the key at fault in the message.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Toml(#[from] toml::de::Error),
    #[error("`{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

impl Config {
    /// Parses and validates the text of a configuration file.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Config = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, message: String| Err(ConfigError::Invalid { key, message });
        if !self.milter.listen.starts_with("unix:")
            && self.milter.listen.parse::<std::net::SocketAddr>().is_err()
        {
            return invalid(
                "milter.listen",
                format!(
                    "`{}`: expected host:port such as 127.0.0.1:11332, or unix:/path",
                    self.milter.listen
                ),
            );
        }
        if let Some(mode) = &self.milter.socket_mode
            && u32::from_str_radix(mode, 8).is_err()
        {
            return invalid(
                "milter.socket_mode",
                format!("`{mode}`: expected octal permissions such as \"0660\""),
            );
        }
        if let Some(url) = &self.database.url {
            let scheme = url.expose().split(':').next().unwrap_or_default();
            if !matches!(
                scheme,
                "sqlite" | "postgres" | "postgresql" | "mysql" | "mariadb"
            ) {
                return invalid(
                    "database.url",
                    format!("unsupported scheme `{scheme}:`; use sqlite:, postgres: or mysql:"),
                );
            }
        }
        if self.database.max_connections == 0 {
            return invalid("database.max_connections", "must be at least 1".into());
        }
        for (i, rule) in self.detect.rules.iter().enumerate() {
            if rule.threshold == 0 {
                return invalid(
                    "detect.rules.threshold",
                    format!("rule {} (`{}`) has threshold 0", i + 1, rule.name),
                );
            }
            if rule.window.is_zero() {
                return invalid(
                    "detect.rules.window",
                    format!("rule {} (`{}`) has an empty window", i + 1, rule.name),
                );
            }
        }
        if self.rdns.concurrency == 0 {
            return invalid("rdns.concurrency", "must be at least 1".into());
        }
        self.filter.validate()?;
        self.health.validate()?;
        self.web.validate()?;
        self.auth.validate()?;
        self.mq.validate()?;
        for component in &self.run.components {
            if !RunConfig::COMPONENTS.contains(&component.as_str()) {
                return invalid(
                    "run.components",
                    format!(
                        "unknown component `{component}`; known: {}",
                        RunConfig::COMPONENTS.join(", ")
                    ),
                );
            }
        }
        if self.run.components.iter().any(|c| c == "logs") && self.logs.files.is_empty() {
            return invalid(
                "run.components",
                "the `logs` component needs `logs.files`".into(),
            );
        }
        for (name, report) in &self.reports {
            report.schedule(name)?;
            report.validate_receivers(name, &self.channels)?;
        }
        notify::validate(&self.channels, &self.rules, &self.notify)
    }

    /// The keys whose secret is written in the configuration file itself (a database URL
    /// counts when it holds a password): such a file must be readable by its owner only.
    pub fn inline_secrets(&self) -> Vec<String> {
        let mut keys = Vec::new();
        if let Some(url) = &self.database.url
            && url.is_inline()
            && url_has_password(url.expose())
        {
            keys.push("database.url".to_owned());
        }
        for (name, channel) in &self.channels {
            for (key, secret) in channel.secrets() {
                if secret.is_inline() {
                    keys.push(format!("channels.{name}.{key}"));
                }
            }
        }
        if let Some(ldap) = &self.auth.ldap
            && ldap
                .service_password
                .as_ref()
                .is_some_and(Secret::is_inline)
        {
            keys.push("auth.ldap.service_password".to_owned());
        }
        for (key, url) in [
            ("mq.url", &self.mq.url),
            ("mq.management_url", &self.mq.management_url),
        ] {
            // RabbitMQ's built-in `guest:guest` (usable from loopback only) is no secret.
            if let Some(url) = url
                && url.is_inline()
                && url_has_password(url.expose())
                && !url.expose().contains("://guest:guest@")
            {
                keys.push(key.to_owned());
            }
        }
        for processor in &self.filter.processors {
            if let ProcessorConfig::Webhook(webhook) = processor
                && webhook.secret.as_ref().is_some_and(Secret::is_inline)
            {
                keys.push("filter.processors.secret".to_owned());
            }
        }
        keys
    }

    /// `filter.quarantine_dir`, by default `<data_dir>/quarantine`.
    pub fn quarantine_dir(&self) -> PathBuf {
        self.filter
            .quarantine_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("quarantine"))
    }

    /// The database URL to use: the configured one, or SQLite in `data_dir`.
    pub fn database_url(&self) -> Secret {
        match &self.database.url {
            Some(url) => url.clone(),
            None => Secret::new(format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("postwarden.db").display()
            )),
        }
    }
}

/// Whether `scheme://user:password@host/…` carries a password.
fn url_has_password(url: &str) -> bool {
    let rest = url.split_once("://").map_or("", |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    authority
        .rsplit_once('@')
        .is_some_and(|(user_info, _)| user_info.contains(':'))
}

/// `[database]`: where events and state are stored.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH?mode=rwc`, `postgres://…` or `mysql://…`; unset means SQLite in `data_dir`.
    pub url: Option<Secret>,
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 8,
        }
    }
}

/// `[logs]`: the Postfix log files to follow.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogsConfig {
    /// Where Postfix's log is read from: its log files, or the systemd journal.
    pub source: LogSource,
    /// Log files read by `logs scan` and `logs follow` when none are given on the command line.
    pub files: Vec<PathBuf>,
    /// `source = "journal"`: a journal directory or file (a copied journal); unset, the
    /// system's journal.
    pub journal_path: Option<PathBuf>,
    /// `source = "journal"`: journalctl matches choosing Postfix's entries (the mail
    /// facility by default; `_SYSTEMD_UNIT=postfix@-.service` or
    /// `SYSLOG_IDENTIFIER=postfix/smtpd` …).
    pub journal_matches: Vec<String>,
    /// The journalctl program.
    pub journalctl: String,
    /// Time zone of traditional syslog timestamps: `local`, `UTC` or an IANA name.
    pub timezone: String,
    /// How often `logs follow` polls when file notifications are unavailable.
    #[serde(deserialize_with = "duration")]
    pub poll_interval: Duration,
    /// Read rotated gzip files (`mail.log.2.gz`) on the first scan of a log.
    pub backfill_rotated: bool,
}

impl Default for LogsConfig {
    fn default() -> Self {
        Self {
            source: LogSource::Files,
            files: vec![PathBuf::from("/var/log/mail.log")],
            journal_path: None,
            journal_matches: vec!["SYSLOG_FACILITY=2".into()],
            journalctl: "journalctl".into(),
            timezone: "local".into(),
            poll_interval: Duration::from_millis(250),
            backfill_rotated: true,
        }
    }
}

/// Where `[logs]` reads Postfix's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogSource {
    /// `logs.files` (and their rotated copies).
    Files,
    /// The systemd journal (`logs.journal_path`, `logs.journal_matches`).
    Journal,
}

/// `[geo]`: country and ASN databases for client IPs.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GeoConfig {
    /// Country sources: sapics ip-location-db CSV files (`*-country-ipv4.csv`, the `-num`
    /// forms too) or MaxMind `.mmdb` files.
    pub country: Vec<PathBuf>,
    /// ASN sources: sapics `asn-ipv4.csv` / `asn-ipv6.csv` (or `-num`) or `.mmdb` files.
    pub asn: Vec<PathBuf>,
    /// URLs (or local paths) that `postwarden geo update` downloads into `country` / `asn`.
    pub country_url: Vec<String>,
    pub asn_url: Vec<String>,
    /// Longest a single download in `geo update` may take.
    #[serde(deserialize_with = "duration")]
    pub update_timeout: Duration,
}

impl Default for GeoConfig {
    fn default() -> Self {
        Self {
            country: Vec::new(),
            asn: Vec::new(),
            country_url: Vec::new(),
            asn_url: Vec::new(),
            update_timeout: Duration::from_secs(120),
        }
    }
}

/// `[milter]`: the filter's processors and policy before the queue, as a milter Postfix
/// calls from `smtpd_milters`; verdicts become replies in the sender's own session.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MilterConfig {
    /// `host:port` or `unix:/path/to/socket`.
    pub listen: String,
    /// Permissions of a unix socket (octal, e.g. `"0660"`): Postfix's smtpd must reach it.
    pub socket_mode: Option<String>,
    /// Largest message kept for the processors, in octets; larger ones are refused (552).
    pub max_message_size: usize,
    /// A client silent this long is dropped (longer than Postfix's `smtpd_timeout`, 300 s
    /// by default, for the milter connection idles while the SMTP client does).
    #[serde(deserialize_with = "duration")]
    pub idle_timeout: Duration,
}

impl Default for MilterConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:11332".into(),
            socket_mode: None,
            max_message_size: 10_240_000,
            idle_timeout: Duration::from_secs(600),
        }
    }
}

/// `[dns]`: the resolver the `auth` processor asks (SPF, DKIM keys, DMARC policies).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DnsConfig {
    /// DNS servers to ask (`"127.0.0.1:53"`), UDP then TCP; empty means those of
    /// `/etc/resolv.conf`. A validating local resolver (unbound) is what a mail server wants.
    pub nameservers: Vec<std::net::SocketAddr>,
    /// Longest wait for one answer; a query that gets none is a temporary error.
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    /// Tries per query.
    pub attempts: usize,
    /// Answers kept (per record type), each for its TTL.
    pub cache_size: usize,
}

impl Default for DnsConfig {
    fn default() -> Self {
        Self {
            nameservers: Vec::new(),
            timeout: Duration::from_secs(3),
            attempts: 2,
            cache_size: 16_384,
        }
    }
}

/// `[rdns]`: reverse DNS of client IPs.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RdnsConfig {
    pub enabled: bool,
    /// DNS servers to ask (`"127.0.0.1:53"`); empty means those of `/etc/resolv.conf`.
    pub nameservers: Vec<std::net::SocketAddr>,
    /// Longest one PTR (and forward-confirmation) lookup may take.
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    /// Most lookups in flight at once.
    pub concurrency: usize,
    /// Entries kept in the cache.
    pub cache_size: usize,
    /// How long an answer (or a failure) stays cached.
    #[serde(deserialize_with = "duration")]
    pub cache_ttl: Duration,
}

impl Default for RdnsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            nameservers: Vec::new(),
            timeout: Duration::from_secs(2),
            concurrency: 32,
            cache_size: 65_536,
            cache_ttl: Duration::from_secs(3600),
        }
    }
}

/// `[detect]`: sliding-window thresholds that turn abusive lines into events.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectConfig {
    pub rules: Vec<DetectRule>,
    /// Usernames no real user has; one attempt against them is an `auth.honeypot` event.
    pub honeypot_users: Vec<String>,
}

impl Default for DetectConfig {
    fn default() -> Self {
        let rule = |name: &str, key, threshold, minutes: u64| DetectRule {
            name: name.into(),
            key,
            threshold,
            window: Duration::from_secs(minutes * 60),
            only_auth: true,
        };
        Self {
            rules: vec![
                rule("ip", DetectKey::Ip, 5, 10),
                rule("net24", DetectKey::Net24, 20, 10),
                rule("net64", DetectKey::Net64, 20, 10),
                rule("asn", DetectKey::Asn, 100, 60),
                rule("user", DetectKey::User, 30, 60),
            ],
            honeypot_users: Vec::new(),
        }
    }
}

/// One threshold: `threshold` abusive lines sharing `key` within `window` raise an event.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectRule {
    /// Name carried in the event (`auth.bruteforce` with `rule = NAME`).
    pub name: String,
    pub key: DetectKey,
    pub threshold: u32,
    #[serde(deserialize_with = "duration")]
    pub window: Duration,
    /// Count only authentication failures (true) or every abusive line (false).
    #[serde(default = "yes")]
    pub only_auth: bool,
}

fn yes() -> bool {
    true
}

/// What a detection rule groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DetectKey {
    Ip,
    Net24,
    Net64,
    Asn,
    User,
}

/// `[metrics]`: the Prometheus endpoint of `postwarden run`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Where `GET /metrics` answers (e.g. `127.0.0.1:9187`); none when unset.
    pub listen: Option<String>,
}

/// `[run]`: what `postwarden run` starts.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunConfig {
    /// The components to run: `health` (probes and their alerts), `notify` (the
    /// dispatcher), `reports` (the scheduled `[reports.*]`), `logs` (follows `logs.files`
    /// as `logs follow` does), `filter` (the content filter on `filter.listen`), `web` (the
    /// console and HTTP API on `web.listen`, with the quarantine digest), `milter` (the
    /// filter before the queue on `milter.listen`).
    pub components: Vec<String>,
    /// How long a shutdown or reload waits for components to finish (SMTP sessions in flight).
    #[serde(deserialize_with = "duration")]
    pub shutdown_timeout: Duration,
}

impl RunConfig {
    pub const COMPONENTS: [&'static str; 7] = [
        "health", "notify", "reports", "logs", "filter", "web", "milter",
    ];
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            components: vec!["health".into(), "notify".into(), "reports".into()],
            shutdown_timeout: Duration::from_secs(30),
        }
    }
}

/// `[report]`: defaults for `postwarden report`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReportConfig {
    /// Rows in each top-N table.
    pub top: usize,
    /// Name printed in report headings; defaults to the machine's host name.
    pub server_name: Option<String>,
}

impl Default for ReportConfig {
    fn default() -> Self {
        Self {
            top: 10,
            server_name: None,
        }
    }
}

/// Reads a duration written as `"10m"`, `"1h 30m"` or `"250ms"`.
fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    humantime::parse_duration(&text).map_err(|e| {
        serde::de::Error::custom(format!("`{text}` is not a duration like \"10m\": {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_secrets_are_named_and_others_are_not() {
        let config = Config::from_toml(
            "[database]\nurl = \"postgres://warden:pw@db.example/mail\"\n\
             [channels.sms]\ntype = \"clicksend\"\nusername = \"u\"\napi_key = \"k\"\n\
             [channels.hook]\ntype = \"webhook\"\nurl = \"https://hooks.example/x\"\n\
             secret = { file = \"/dev/null\" }\n",
        )
        .unwrap();
        assert_eq!(
            config.inline_secrets(),
            ["database.url", "channels.sms.api_key"]
        );
        let no_password = Config::from_toml(
            "[database]\nurl = \"postgres://postgres@127.0.0.1:5432/test?sslmode=disable\"\n",
        )
        .unwrap();
        assert!(no_password.inline_secrets().is_empty());
        assert!(url_has_password("mysql://root:x@h/db"));
        assert!(!url_has_password("mysql://root@h/db?password_hint=a:b"));
        assert!(!url_has_password("sqlite:///var/lib/a:b@c.db"));
    }

    #[test]
    fn empty_file_is_all_defaults() {
        let c = Config::from_toml("").unwrap();
        assert_eq!(c.detect.rules.len(), 5);
        assert!(c.database_url().expose().starts_with("sqlite://"));
    }

    #[test]
    fn unknown_key_is_named() {
        let err = Config::from_toml("[logs]\nfilez = []\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("filez"), "{err}");
    }

    #[test]
    fn bad_duration_names_the_value() {
        let err = Config::from_toml("[rdns]\ntimeout = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("soon") && err.contains("timeout"), "{err}");
    }

    #[test]
    fn bad_scheme_names_the_key() {
        let err = Config::from_toml("[database]\nurl = \"oracle://x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("database.url"), "{err}");
    }

    #[test]
    fn example_file_parses_and_sets_every_section() {
        let text = include_str!("../../../postwarden.example.toml");
        let c = Config::from_toml(text).unwrap();
        assert!(!c.detect.rules.is_empty());
        let value: toml::Table = toml::from_str(text).unwrap();
        for section in [
            "database", "logs", "geo", "rdns", "detect", "report", "filter",
        ] {
            assert!(value.contains_key(section), "example lacks [{section}]");
        }
    }
}
