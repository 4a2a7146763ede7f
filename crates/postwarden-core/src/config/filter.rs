//! `[filter]`: the after-queue content filter — where it listens, where it relays, its
//! processors and the policy that turns their findings into a verdict per recipient.

use super::{ConfigError, duration};
use crate::Secret;
use crate::verdict::Action;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// `[filter]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilterConfig {
    /// Run the filter inside `postwarden run`.
    pub enabled: bool,
    /// Where Postfix's `content_filter` delivers.
    pub listen: String,
    /// Postfix's re-injection smtpd (`host:port`), which gets every accepted message.
    pub next_hop: String,
    /// Largest message accepted, in octets (announced in EHLO's SIZE; refused at MAIL FROM).
    pub max_message_size: usize,
    /// Most recipients per message (RFC 5321 asks for at least 100; Postfix sends up to
    /// `default_destination_recipient_limit`, 50).
    pub max_recipients: usize,
    /// Most SMTP sessions at once; one more is told 421 and Postfix retries.
    pub max_sessions: usize,
    /// `normalize` (Postfix 3.9's default) or `reject` a line that ends in a bare LF.
    pub bare_newline: BareNewlineMode,
    /// Name in the greeting and in the EHLO to the next hop; defaults to the host name.
    pub hostname: Option<String>,
    /// Longest wait for a command from Postfix.
    #[serde(deserialize_with = "duration")]
    pub command_timeout: Duration,
    /// Longest wait for the next block of DATA.
    #[serde(deserialize_with = "duration")]
    pub data_timeout: Duration,
    /// Longest wait for the next hop to accept a connection / answer a command.
    #[serde(deserialize_with = "duration")]
    pub relay_timeout: Duration,
    /// Directory for quarantined messages; defaults to `<data_dir>/quarantine`.
    pub quarantine_dir: Option<std::path::PathBuf>,
    /// Processors, run in this order; each adds findings.
    pub processors: Vec<ProcessorConfig>,
    /// Our name in the `Authentication-Results` header the `auth` processor adds (RFC
    /// 8601's authserv-id); incoming headers that claim it are removed. Defaults to
    /// `hostname`.
    pub authserv_id: Option<String>,
    pub policy: PolicyConfig,
}

impl Default for FilterConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            listen: "127.0.0.1:10024".into(),
            next_hop: "127.0.0.1:10025".into(),
            max_message_size: 10_240_000,
            max_recipients: 1000,
            max_sessions: 64,
            bare_newline: BareNewlineMode::Normalize,
            hostname: None,
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(180),
            relay_timeout: Duration::from_secs(60),
            quarantine_dir: None,
            processors: Vec::new(),
            authserv_id: None,
            policy: PolicyConfig::default(),
        }
    }
}

impl FilterConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, message: &str| {
            Err(ConfigError::Invalid {
                key,
                message: message.into(),
            })
        };
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return invalid(
                "filter.listen",
                "expected an address and port such as 127.0.0.1:10024",
            );
        }
        if !self.next_hop.contains(':') {
            return invalid(
                "filter.next_hop",
                "expected host:port such as 127.0.0.1:10025",
            );
        }
        for (key, value) in [
            ("filter.max_message_size", self.max_message_size),
            ("filter.max_recipients", self.max_recipients),
            ("filter.max_sessions", self.max_sessions),
        ] {
            if value == 0 {
                return invalid(key, "must be at least 1");
            }
        }
        for processor in &self.processors {
            let address = match processor {
                ProcessorConfig::Spamassassin(c) => &c.address,
                ProcessorConfig::Clamav(c) => &c.address,
                ProcessorConfig::Webhook(WebhookConfig { url, .. })
                | ProcessorConfig::Rspamd(RspamdConfig { url, .. }) => {
                    if !(url.starts_with("http://") || url.starts_with("https://")) {
                        return invalid(
                            "filter.processors.url",
                            "expected an http:// or https:// URL",
                        );
                    }
                    continue;
                }
                ProcessorConfig::Phishing(c) => {
                    c.validate()?;
                    continue;
                }
                ProcessorConfig::Lists(_)
                | ProcessorConfig::Attachments(_)
                | ProcessorConfig::Auth(_) => continue,
            };
            if !address.starts_with("unix:") && !address.contains(':') {
                return invalid(
                    "filter.processors.address",
                    "expected host:port or unix:/path/to/socket",
                );
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BareNewlineMode {
    Normalize,
    Reject,
}

/// What a processor failure (unreachable, timeout, garbage reply) does to the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// Answer 4xx: Postfix keeps the message and retries later.
    #[default]
    Tempfail,
    /// Go on without this processor's findings (and note that in the trace header).
    Skip,
}

/// `[[filter.processors]]`: one processor, chosen by `type`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum ProcessorConfig {
    Lists(ListsConfig),
    Spamassassin(SpamassassinConfig),
    Clamav(ClamavConfig),
    Attachments(AttachmentsConfig),
    Webhook(WebhookConfig),
    Auth(AuthCheckConfig),
    Phishing(PhishingConfig),
    Rspamd(RspamdConfig),
}

impl ProcessorConfig {
    /// The `type` as written in the configuration.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Lists(_) => "lists",
            Self::Spamassassin(_) => "spamassassin",
            Self::Clamav(_) => "clamav",
            Self::Attachments(_) => "attachments",
            Self::Webhook(_) => "webhook",
            Self::Auth(_) => "auth",
            Self::Phishing(_) => "phishing",
            Self::Rspamd(_) => "rspamd",
        }
    }
}

/// `type = "lists"`: allow and block lists. Each entry is an address (`user@example.com`),
/// a domain (`@example.com` or `example.com`, matching subdomains too for senders), an IP
/// or CIDR (`192.0.2.0/24`, matched against the original client from XFORWARD), or a
/// header regex (`header:Subject:(?i)viagra`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListsConfig {
    pub allow_senders: Vec<String>,
    pub block_senders: Vec<String>,
    pub allow_recipients: Vec<String>,
    pub block_recipients: Vec<String>,
    pub allow_clients: Vec<String>,
    pub block_clients: Vec<String>,
    /// `"Header-Name:regex"`: block when a header of that name matches.
    pub block_headers: Vec<String>,
    /// Also use the entries in the store's `list_entries` table (edited by the web UI).
    pub from_store: bool,
    #[serde(default)]
    pub on_error: OnError,
}

/// `type = "spamassassin"`: SpamAssassin's spamd, over the SPAMC/1.5 protocol.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SpamassassinConfig {
    /// `host:port` or `unix:/path/to/socket`.
    pub address: String,
    /// `User` sent to spamd for per-user preferences; unset: spamd's default user.
    pub user: Option<String>,
    /// `symbols` (rule names) or `report` (rule names with their points).
    pub mode: SpamdMode,
    /// Messages larger than this are not sent to spamd (spamc's default is 500 KB).
    pub max_size: usize,
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    pub on_error: OnError,
}

impl Default for SpamassassinConfig {
    fn default() -> Self {
        Self {
            address: "127.0.0.1:783".into(),
            user: None,
            mode: SpamdMode::Symbols,
            max_size: 500 * 1024,
            timeout: Duration::from_secs(30),
            on_error: OnError::Tempfail,
        }
    }
}

/// The spamd request: `SYMBOLS` or `REPORT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpamdMode {
    Symbols,
    Report,
}

/// `type = "clamav"`: ClamAV's clamd, with zINSTREAM.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClamavConfig {
    /// `host:port` or `unix:/path/to/socket`.
    pub address: String,
    /// Bytes per INSTREAM chunk.
    pub chunk_size: usize,
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    pub on_error: OnError,
}

impl Default for ClamavConfig {
    fn default() -> Self {
        Self {
            address: "127.0.0.1:3310".into(),
            chunk_size: 64 * 1024,
            timeout: Duration::from_secs(60),
            on_error: OnError::Tempfail,
        }
    }
}

/// `type = "attachments"`: block attachments by file name extension (the last one, so
/// `invoice.pdf.exe` is caught, and reported as a double extension), MIME type and size.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttachmentsConfig {
    /// Extensions (without the dot, any case) that block a message.
    pub block_extensions: Vec<String>,
    /// MIME types (`application/x-msdownload`) that block a message.
    pub block_types: Vec<String>,
    /// Largest single attachment in octets; 0 means no limit.
    pub max_size: usize,
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        let extensions = [
            "exe", "scr", "com", "pif", "bat", "cmd", "vbs", "vbe", "js", "jse", "wsf", "wsh",
            "hta", "cpl", "msi", "msp", "jar", "ps1", "lnk", "iso", "img",
        ];
        Self {
            block_extensions: extensions.map(String::from).to_vec(),
            block_types: vec![
                "application/x-msdownload".into(),
                "application/x-dosexec".into(),
                "application/x-ms-installer".into(),
            ],
            max_size: 0,
        }
    }
}

/// `type = "webhook"`: POSTs the envelope and headers (optionally the message) as JSON to
/// `url`, signed with HMAC-SHA256; the JSON reply may add findings or set an action.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    pub url: String,
    /// Key for the `X-Postwarden-Signature` header (`sha256=` HMAC of `timestamp.body`).
    pub secret: Option<Secret>,
    /// Also send the whole message, base64-encoded, when it is at most `max_size` octets.
    pub include_message: bool,
    pub max_size: usize,
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    pub on_error: OnError,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            secret: None,
            include_message: false,
            max_size: 1024 * 1024,
            timeout: Duration::from_secs(10),
            on_error: OnError::Tempfail,
        }
    }
}

/// `type = "auth"`: SPF, DKIM, DMARC and ARC with mail-auth, through the resolver of
/// `[dns]`. Adds the `Authentication-Results` header and findings the policy reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthCheckConfig {
    /// ARC sealers (domains, `d=` of the newest ARC-Seal) whose passing chain stands in for
    /// a DMARC failure that forwarding caused (mailing lists, forwarders you trust).
    pub trusted_arc_sealers: Vec<String>,
    /// Longest the checks of one message may take in all (each DNS query has `[dns]
    /// timeout`; a query that times out is a temporary error, never a failure).
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    pub on_error: OnError,
}

impl Default for AuthCheckConfig {
    fn default() -> Self {
        Self {
            trusted_arc_sealers: Vec::new(),
            timeout: Duration::from_secs(10),
            on_error: OnError::Tempfail,
        }
    }
}

/// `type = "phishing"`: the `phishing` and `bec` scores (0 to 1) from weighted findings,
/// each with its reason.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PhishingConfig {
    /// People whose names impostors use: `"Jane Doe <ceo@example.org>"` (the users in the
    /// store count too, by display name).
    pub vips: Vec<String>,
    /// Our domains: mail that claims them must authenticate; look-alikes of them are suspect.
    pub own_domains: Vec<String>,
    /// Brands' registered domains whose look-alikes are suspect, besides the shipped list.
    pub brands: Vec<String>,
    /// Free-mail domains besides the shipped list.
    pub free_mail: Vec<String>,
    /// Wording besides the shipped lists (English, German, French, Spanish).
    pub credential_phrases: Vec<String>,
    pub payment_phrases: Vec<String>,
    pub urgency_phrases: Vec<String>,
    /// Scores at or above this tag the message `phishing` / `bec` (the policy acts on the
    /// tags) and write `mail.phishing` / `mail.bec` events.
    pub threshold: f64,
    /// Weights by finding name, over the built-in ones (`vip_display_name = 0.7`).
    pub weights: BTreeMap<String, f64>,
    /// Look up whether the sender has written to the recipient before (the store's history).
    pub history: bool,
}

impl Default for PhishingConfig {
    fn default() -> Self {
        Self {
            vips: Vec::new(),
            own_domains: Vec::new(),
            brands: Vec::new(),
            free_mail: Vec::new(),
            credential_phrases: Vec::new(),
            payment_phrases: Vec::new(),
            urgency_phrases: Vec::new(),
            threshold: 0.8,
            weights: BTreeMap::new(),
            history: true,
        }
    }
}

impl PhishingConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, message: String| Err(ConfigError::Invalid { key, message });
        if !(0.0..=1.0).contains(&self.threshold) {
            return invalid(
                "filter.processors.threshold",
                format!("{} is not between 0 and 1", self.threshold),
            );
        }
        for (name, weight) in &self.weights {
            if !(0.0..=1.0).contains(weight) {
                return invalid(
                    "filter.processors.weights",
                    format!("`{name}` = {weight} is not between 0 and 1"),
                );
            }
        }
        for vip in &self.vips {
            if !vip.contains('@') {
                return invalid(
                    "filter.processors.vips",
                    format!("`{vip}`: expected \"Name <address>\""),
                );
            }
        }
        Ok(())
    }
}

/// `type = "rspamd"`: rspamd's HTTP protocol (`POST /checkv2` on its normal worker).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RspamdConfig {
    /// The normal worker, e.g. `http://127.0.0.1:11333`.
    pub url: String,
    /// Sent as the `Password` header (only for a worker that asks for one).
    pub password: Option<Secret>,
    /// Sent as the `User` header (rspamd's per-user settings), like an authenticated user.
    pub user: Option<String>,
    /// Messages larger than this are not sent.
    pub max_size: usize,
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    pub on_error: OnError,
}

impl Default for RspamdConfig {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:11333".into(),
            password: None,
            user: None,
            max_size: 20 * 1024 * 1024,
            timeout: Duration::from_secs(20),
            on_error: OnError::Tempfail,
        }
    }
}

/// `[filter.policy]`: from findings to a verdict per recipient. Built-in defaults (a
/// virus is rejected, spam by spamd's own verdict is tagged, a block-list hit is
/// rejected, everything else passes with the trace header) are the base that the keys
/// of this section, then `domains."example.org"`, then `recipients."a@example.org"`
/// override one key at a time.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(try_from = "toml::Table")]
pub struct PolicyConfig {
    /// The section's own keys, over the built-in defaults.
    pub rules: PolicyRules,
    /// Per-domain settings, over `rules`.
    pub domains: BTreeMap<String, PolicyRules>,
    /// Per-recipient settings, over the domain's.
    pub recipients: BTreeMap<String, PolicyRules>,
}

impl PolicyConfig {
    /// The built-in defaults every configuration starts from.
    pub fn builtin() -> PolicyRules {
        PolicyRules {
            virus: Some(Action::Reject),
            spam: Some(Action::Tag),
            blocked: Some(Action::Reject),
            dmarc_reject: Some(Action::Reject),
            dmarc_quarantine: Some(Action::Quarantine),
            phishing: Some(Action::Quarantine),
            bec: Some(Action::Quarantine),
            ..PolicyRules::default()
        }
    }
}

impl TryFrom<toml::Table> for PolicyConfig {
    type Error = String;

    /// `domains` and `recipients` are tables of rules; every other key is a rule (serde's
    /// `flatten` cannot be combined with `deny_unknown_fields`, hence by hand).
    fn try_from(mut table: toml::Table) -> Result<Self, String> {
        let mut overrides = |key: &str| -> Result<BTreeMap<String, PolicyRules>, String> {
            match table.remove(key) {
                None => Ok(BTreeMap::new()),
                Some(value) => value
                    .try_into()
                    .map_err(|e| format!("filter.policy.{key}: {e}")),
            }
        };
        let domains = overrides("domains")?;
        let recipients = overrides("recipients")?;
        let rules = toml::Value::Table(table)
            .try_into()
            .map_err(|e| format!("filter.policy: {e}"))?;
        Ok(Self {
            rules,
            domains,
            recipients,
        })
    }
}

/// The settings one level (defaults, a domain, a recipient) may set; unset keys inherit.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRules {
    /// What to do with a message a virus scanner flagged.
    pub virus: Option<Action>,
    /// What to do with spam (spamd's verdict, or a score at or above `spam_score`).
    pub spam: Option<Action>,
    /// What to do with a block-list hit.
    pub blocked: Option<Action>,
    /// What to do when DMARC fails and the From domain publishes `p=reject` (default
    /// `reject`). Allow lists do not override it: a spoofed sender is what DMARC catches.
    pub dmarc_reject: Option<Action>,
    /// The same for `p=quarantine` (default `quarantine`).
    pub dmarc_quarantine: Option<Action>,
    /// What to do when the phishing score reaches the `phishing` processor's threshold
    /// (default `quarantine`; allow lists do not override it).
    pub phishing: Option<Action>,
    /// The same for the business e-mail compromise score (default `quarantine`).
    pub bec: Option<Action>,
    /// Total score from which a message is spam regardless of spamd's own verdict.
    pub spam_score: Option<f64>,
    /// Total score from which spam is quarantined instead of `spam`'s action.
    pub quarantine_score: Option<f64>,
    /// Total score from which spam is rejected.
    pub reject_score: Option<f64>,
    /// Prefix added to the Subject of tagged mail, e.g. `"***SPAM*** "`.
    pub subject_prefix: Option<String>,
    /// Where `forward` sends the message instead of to the recipient.
    #[serde(default)]
    pub forward_to: Vec<String>,
}
