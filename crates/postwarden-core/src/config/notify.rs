//! The notification keys: `[channels.NAME]`, `[[rules]]`, `[limits]` and `[notify]`.
//!
//! A channel is where notifications go (`clicksend`, `email`, `webhook`); a rule routes
//! matching events to receivers (a channel and its recipients) with grouping timers; limits
//! keep a receiver from being flooded. Matchers stay raw TOML here: the notification engine
//! compiles them (regexes, comparisons) and names the rule when one is wrong.

use super::{ConfigError, duration};
use crate::Secret;
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// `[notify]`: how the dispatcher works.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifyConfig {
    /// Templates that override or add to the built-in ones (`NAME.txt`, `NAME.html`).
    pub templates_dir: Option<PathBuf>,
    /// How often the dispatcher loop looks for work.
    #[serde(deserialize_with = "duration")]
    pub interval: Duration,
    /// How long a dispatcher owns a notification it is sending; after that (a crash) another
    /// dispatcher checks with the provider and sends it if it never arrived.
    #[serde(deserialize_with = "duration")]
    pub claim_timeout: Duration,
    /// First retry delay after a retryable failure; doubles (with jitter) up to `retry_max`.
    #[serde(deserialize_with = "duration")]
    pub retry_initial: Duration,
    #[serde(deserialize_with = "duration")]
    pub retry_max: Duration,
    /// A notification still failing this long after it was made is given up (recorded as failed).
    #[serde(deserialize_with = "duration")]
    pub retry_deadline: Duration,
    /// Longest text taken from an event field into a template (longer is cut with `…`).
    pub max_value_length: usize,
    /// Notifications one dispatcher claims at a time (and ClickSend gets per request).
    pub batch_size: u32,
    /// Events older than this when the router first sees them (say, stored while no
    /// dispatcher ran) are not notified about: no page for last month's virus.
    #[serde(deserialize_with = "duration")]
    pub max_event_age: Duration,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            templates_dir: None,
            interval: Duration::from_secs(5),
            claim_timeout: Duration::from_secs(300),
            retry_initial: Duration::from_secs(10),
            retry_max: Duration::from_secs(600),
            retry_deadline: Duration::from_secs(6 * 3600),
            max_value_length: 256,
            batch_size: 1000,
            max_event_age: Duration::from_secs(24 * 3600),
        }
    }
}

/// `[limits]` (and a channel's own `limits`): per receiver (channel and recipient).
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Most notifications in any sliding hour; 0: no limit.
    pub max_per_hour: u32,
    /// Least time between two notifications.
    #[serde(deserialize_with = "duration")]
    pub cooldown: Duration,
    /// The same text again within this window is suppressed as a duplicate.
    #[serde(deserialize_with = "duration")]
    pub duplicate_window: Duration,
}

impl LimitsConfig {
    /// Whether any limit is set (none: the dispatcher skips the bookkeeping).
    pub fn any(&self) -> bool {
        self.max_per_hour > 0 || !self.cooldown.is_zero() || !self.duplicate_window.is_zero()
    }
}

/// `[channels.NAME]`: one place notifications go, by `type`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum ChannelConfig {
    Clicksend(ClickSendConfig),
    Email(EmailConfig),
    Webhook(WebhookChannelConfig),
}

impl ChannelConfig {
    /// The channel's secrets that are set, by key.
    pub fn secrets(&self) -> Vec<(&'static str, &Secret)> {
        let keys: [(&'static str, Option<&Secret>); 2] = match self {
            ChannelConfig::Clicksend(c) => [("api_key", c.api_key.as_ref()), ("", None)],
            ChannelConfig::Email(c) => [
                ("password", c.password.as_ref()),
                ("sign_key_passphrase", c.sign_key_passphrase.as_ref()),
            ],
            ChannelConfig::Webhook(c) => [("secret", c.secret.as_ref()), ("", None)],
        };
        keys.into_iter()
            .filter_map(|(key, secret)| secret.map(|s| (key, s)))
            .collect()
    }

    /// The channel's `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            ChannelConfig::Clicksend(_) => "clicksend",
            ChannelConfig::Email(_) => "email",
            ChannelConfig::Webhook(_) => "webhook",
        }
    }

    /// The format a receiver of this channel gets when none is named.
    pub fn default_format(&self) -> &'static str {
        match self {
            ChannelConfig::Clicksend(_) => "sms",
            ChannelConfig::Email(_) => "text",
            ChannelConfig::Webhook(_) => "json",
        }
    }

    /// The channel's own limits, if it sets any.
    pub fn limits(&self) -> Option<LimitsConfig> {
        match self {
            ChannelConfig::Clicksend(c) => c.limits,
            ChannelConfig::Email(c) => c.limits,
            ChannelConfig::Webhook(c) => c.limits,
        }
    }
}

/// `type = "clicksend"`: SMS through ClickSend's REST v3 API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClickSendConfig {
    /// The API username (ClickSend dashboard → API Credentials).
    pub username: String,
    /// The API key: inline, `{ env = … }` or `{ file = … }`; or use `api_key_file` / `api_key_env`.
    pub api_key: Option<Secret>,
    pub api_key_file: Option<PathBuf>,
    pub api_key_env: Option<String>,
    #[serde(default = "clicksend_api_base")]
    pub api_base: String,
    /// Sender ID or number shown to the recipient; unset: ClickSend's shared number.
    pub from: Option<String>,
    /// Most parts one SMS may take (cost control): longer text is cut to fit.
    #[serde(default = "three")]
    pub max_parts: u32,
    #[serde(default = "thirty_seconds", deserialize_with = "duration")]
    pub timeout: Duration,
    pub limits: Option<LimitsConfig>,
    /// After a crash, when ClickSend's history cannot say whether the message in flight was
    /// accepted (a subaccount without the history permission gets 403): `resend` it (the
    /// default: a possible duplicate beats a lost page) or `hold` it as `unknown` for an
    /// operator (`notify log` lists it).
    #[serde(default)]
    pub on_unknown: OnUnknown,
}

/// What to do with a message whose earlier attempt may or may not have gone out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnUnknown {
    /// Send it again: at worst a duplicate.
    #[default]
    Resend,
    /// Record it `unknown` and send nothing.
    Hold,
}

fn clicksend_api_base() -> String {
    "https://rest.clicksend.com".into()
}

fn three() -> u32 {
    3
}

fn thirty_seconds() -> Duration {
    Duration::from_secs(30)
}

impl ClickSendConfig {
    /// The API key from whichever of `api_key`, `api_key_file`, `api_key_env` is set.
    pub fn api_key(&self) -> Result<Secret, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            key: "channels.*.api_key",
            message,
        };
        match (&self.api_key, &self.api_key_file, &self.api_key_env) {
            (Some(key), None, None) => Ok(key.clone()),
            (None, Some(file), None) => std::fs::read_to_string(file)
                .map(|s| Secret::new(s.trim_end_matches(['\r', '\n'])))
                .map_err(|e| invalid(format!("cannot read {}: {e}", file.display()))),
            (None, None, Some(var)) => std::env::var(var)
                .map(Secret::new)
                .map_err(|_| invalid(format!("environment variable `{var}` is not set"))),
            (None, None, None) => Err(invalid(
                "set one of api_key, api_key_file or api_key_env".into(),
            )),
            _ => Err(invalid(
                "set only one of api_key, api_key_file and api_key_env".into(),
            )),
        }
    }
}

/// How the e-mail channel secures its SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain SMTP (a local relay).
    None,
    /// STARTTLS when the server offers it.
    Opportunistic,
    /// STARTTLS, required.
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// Where the CSV of a notification's events goes in an e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CsvPlacement {
    Attached,
    Inline,
    None,
}

/// `type = "email"`: SMTP delivery, optionally signed (and encrypted) with OpenPGP.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailConfig {
    /// `host:port` of the SMTP server.
    pub smtp: String,
    #[serde(default = "opportunistic")]
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// The From address (also the envelope sender).
    pub from: String,
    /// ASCII-armored secret key: when set, every mail is PGP/MIME signed (RFC 3156).
    pub sign_key_file: Option<PathBuf>,
    pub sign_key_passphrase: Option<Secret>,
    /// Directory of recipients' public keys (`ADDRESS.asc`): mail to a recipient with a key
    /// there is encrypted to it.
    pub encrypt_keys_dir: Option<PathBuf>,
    /// Where the events' CSV goes when the format is `csv`.
    #[serde(default = "attached")]
    pub csv: CsvPlacement,
    /// Mails sent at once.
    #[serde(default = "eight")]
    pub concurrency: usize,
    #[serde(default = "thirty_seconds", deserialize_with = "duration")]
    pub timeout: Duration,
    pub limits: Option<LimitsConfig>,
}

fn opportunistic() -> SmtpSecurity {
    SmtpSecurity::Opportunistic
}

fn attached() -> CsvPlacement {
    CsvPlacement::Attached
}

fn eight() -> usize {
    8
}

/// `type = "webhook"`: a JSON POST, signed with HMAC-SHA256 when a secret is set.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookChannelConfig {
    pub url: String,
    /// Key of the `X-Postwarden-Signature: sha256=…` header (HMAC of `timestamp.body`).
    pub secret: Option<Secret>,
    #[serde(default = "ten_seconds", deserialize_with = "duration")]
    pub timeout: Duration,
    pub limits: Option<LimitsConfig>,
}

fn ten_seconds() -> Duration {
    Duration::from_secs(10)
}

/// `[[rules]]`: which events go to whom, and how they are grouped.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Shown in the audit log; default `rule N`.
    pub name: Option<String>,
    /// `kind` (glob), `severity` (`"warning"` or `">= warning"`), and attribute matchers:
    /// `score = ">= 80"`, `user = "=~ ^admin"`, `"source.asn" = 64500`.
    #[serde(rename = "match", default)]
    pub matcher: toml::Table,
    pub receivers: Vec<ReceiverConfig>,
    /// Template for every receiver that names none (default: the format's built-in).
    pub template: Option<String>,
    pub format: Option<String>,
    /// Event fields whose values split notifications into groups (default: none, one group).
    #[serde(default)]
    pub group_by: Vec<String>,
    /// Wait after a group's first event before its first notification.
    #[serde(default = "thirty_seconds", deserialize_with = "duration")]
    pub group_wait: Duration,
    /// Least time between two notifications of one group.
    #[serde(default = "five_minutes", deserialize_with = "duration")]
    pub group_interval: Duration,
    /// An unchanged group is not sent again before this.
    #[serde(default = "four_hours", deserialize_with = "duration")]
    pub repeat_interval: Duration,
    /// Also notify when an alert resolves (`attributes.status = "resolved"`).
    #[serde(default)]
    pub send_resolved: bool,
}

fn five_minutes() -> Duration {
    Duration::from_secs(300)
}

fn four_hours() -> Duration {
    Duration::from_secs(4 * 3600)
}

/// One receiver of a rule: a channel and the recipients on it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiverConfig {
    pub channel: String,
    #[serde(deserialize_with = "one_or_many")]
    pub to: Vec<String>,
    pub template: Option<String>,
    pub format: Option<String>,
}

fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

/// Checks that rules name channels that exist and have recipients.
/// The keys an error about receivers names: the list, a receiver's channel, its `to`.
pub(super) type ReceiverKeys = [&'static str; 3];
const RULE_KEYS: ReceiverKeys = [
    "rules.receivers",
    "rules.receivers.channel",
    "rules.receivers.to",
];

/// Every receiver of `owner` (a rule or a report, as errors name it) sends to a configured
/// channel and someone on it.
pub(super) fn check_receivers(
    owner: &str,
    receivers: &[ReceiverConfig],
    channels: &BTreeMap<String, ChannelConfig>,
    [list, channel, to]: ReceiverKeys,
) -> Result<(), ConfigError> {
    let invalid = |key, message: String| Err(ConfigError::Invalid { key, message });
    if receivers.is_empty() {
        return invalid(list, format!("{owner} has no receivers"));
    }
    for receiver in receivers {
        if !channels.contains_key(&receiver.channel) {
            return invalid(
                channel,
                format!(
                    "{owner} sends to channel `{}`, which no [channels.{}] defines",
                    receiver.channel, receiver.channel
                ),
            );
        }
        if receiver.to.is_empty() {
            return invalid(to, format!("{owner} has a receiver with no `to`"));
        }
    }
    Ok(())
}

pub(super) fn validate(
    channels: &BTreeMap<String, ChannelConfig>,
    rules: &[RuleConfig],
    notify: &NotifyConfig,
) -> Result<(), ConfigError> {
    let invalid = |key, message: String| Err(ConfigError::Invalid { key, message });
    for (i, rule) in rules.iter().enumerate() {
        let name = rule
            .name
            .clone()
            .unwrap_or_else(|| format!("rule {}", i + 1));
        check_receivers(&name, &rule.receivers, channels, RULE_KEYS)?;
    }
    for (name, channel) in channels {
        match channel {
            ChannelConfig::Clicksend(c) if c.max_parts == 0 => {
                return invalid(
                    "channels.*.max_parts",
                    format!("channel `{name}`: must be at least 1"),
                );
            }
            ChannelConfig::Email(c) if c.concurrency == 0 => {
                return invalid(
                    "channels.*.concurrency",
                    format!("channel `{name}`: must be at least 1"),
                );
            }
            _ => {}
        }
    }
    if notify.batch_size == 0 {
        return invalid("notify.batch_size", "must be at least 1".into());
    }
    if notify.claim_timeout.is_zero() {
        return invalid("notify.claim_timeout", "must be longer than 0".into());
    }
    Ok(())
}
