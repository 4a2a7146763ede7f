//! `[web]`, `[web.send]`, `[web.digest]` and `[auth.ldap]`: the web console and HTTP API,
//! the SMTP API's submission, the quarantine digest, and where passwords are checked.
//!
//! The console listens on loopback over plain HTTP by default: put it behind a reverse
//! proxy that terminates TLS, or set `tls_cert` and `tls_key` to serve HTTPS itself.

use super::{ConfigError, duration};
use crate::Secret;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// `[web]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    /// Where the console and `/api/v1` answer.
    pub listen: String,
    /// The address users reach the console at (links in the digest point here); an
    /// `https://` URL makes session cookies `Secure`.
    pub public_url: String,
    /// PEM certificate chain and key: serve HTTPS (rustls) instead of plain HTTP.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// A session unused this long ends.
    #[serde(deserialize_with = "duration")]
    pub session_idle: Duration,
    /// A session ends this long after sign-in, used or not.
    #[serde(deserialize_with = "duration")]
    pub session_max: Duration,
    /// Longest lifetime of an API token (`users token --expires` asks within it).
    #[serde(deserialize_with = "duration")]
    pub token_max: Duration,
    /// How long a verified API token is trusted before the store is read again. Revoking a
    /// token, or disabling, changing or removing its user, on this machine (the console,
    /// or `postwarden users …` with the same data directory) takes effect at once; done on
    /// another node it takes effect within this time. `0s` reads the store on every
    /// request.
    #[serde(deserialize_with = "duration")]
    pub token_cache: Duration,
    /// Failed sign-ins allowed per account and per client address within `throttle_window`.
    pub throttle_account: u32,
    pub throttle_ip: u32,
    #[serde(deserialize_with = "duration")]
    pub throttle_window: Duration,
    pub send: WebSendConfig,
    pub digest: DigestConfig,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            tls_cert: None,
            tls_key: None,
            session_idle: Duration::from_secs(8 * 3600),
            session_max: Duration::from_secs(7 * 24 * 3600),
            token_max: Duration::from_secs(365 * 24 * 3600),
            token_cache: Duration::from_secs(5),
            throttle_account: 5,
            throttle_ip: 20,
            throttle_window: Duration::from_secs(15 * 60),
            send: WebSendConfig::default(),
            digest: DigestConfig::default(),
        }
    }
}

/// `[web.send]`: `POST /api/v1/send` submits here.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebSendConfig {
    /// The SMTP server messages are submitted to (the local Postfix, so its policies,
    /// signing and the filter apply).
    pub smtp: String,
    /// Messages one user may send per hour.
    pub max_per_hour: u32,
    /// Largest accepted request body (the message with its base64 attachments).
    pub max_request_bytes: usize,
    /// Longest an SMTP submission may take.
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
}

impl Default for WebSendConfig {
    fn default() -> Self {
        Self {
            smtp: "127.0.0.1:25".into(),
            max_per_hour: 100,
            max_request_bytes: 10 * 1024 * 1024,
            timeout: Duration::from_secs(30),
        }
    }
}

/// `[web.digest]`: the quarantine digest mailed to users.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DigestConfig {
    /// Send digests at all.
    pub enabled: bool,
    /// Local time of day (`HH:MM`) in `timezone`.
    pub at: String,
    pub timezone: String,
    /// The notification channel (an `email` channel) digests go through.
    pub channel: Option<String>,
    /// How long a release link in a digest works.
    #[serde(deserialize_with = "duration")]
    pub link_valid: Duration,
}

impl Default for DigestConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            at: "08:00".into(),
            timezone: "UTC".into(),
            channel: None,
            link_valid: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// `[auth]`: where passwords are checked besides the local hashes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub ldap: Option<LdapConfig>,
}

/// `[auth.ldap]`: sign-in against a directory. Either `bind_dn` (a template with
/// `{user}`, the local part, or `{address}`) or search-then-bind: `base_dn` + `filter`
/// with a service account (`service_dn`, `service_password`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LdapConfig {
    /// `ldap://host:389` or `ldaps://host:636`.
    pub url: String,
    /// Upgrade `ldap://` with StartTLS.
    #[serde(default)]
    pub starttls: bool,
    /// A CA certificate (PEM) to trust instead of the system's.
    pub ca_file: Option<PathBuf>,
    /// `uid={user},ou=people,dc=example,dc=org`
    pub bind_dn: Option<String>,
    pub base_dn: Option<String>,
    /// `(mail={address})` by default.
    #[serde(default = "default_filter")]
    pub filter: String,
    pub service_dn: Option<String>,
    pub service_password: Option<Secret>,
    /// Members of this group (a DN, matched on the group's `member` attribute) are admins.
    pub admin_group: Option<String>,
    /// Longest an LDAP operation may take.
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
}

fn default_filter() -> String {
    "(mail={address})".into()
}

fn default_timeout() -> Duration {
    Duration::from_secs(5)
}

impl WebConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, message: String| Err(ConfigError::Invalid { key, message });
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return invalid(
                "web.listen",
                format!(
                    "`{}` is not an address:port like 127.0.0.1:8080",
                    self.listen
                ),
            );
        }
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            return invalid(
                "web.public_url",
                format!("`{}` must start with http:// or https://", self.public_url),
            );
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return invalid(
                "web.tls_cert",
                "set both tls_cert and tls_key, or neither".into(),
            );
        }
        if self
            .send
            .smtp
            .rsplit_once(':')
            .is_none_or(|(_, p)| p.parse::<u16>().is_err())
        {
            return invalid(
                "web.send.smtp",
                format!("`{}` is not a host:port like 127.0.0.1:25", self.send.smtp),
            );
        }
        if super::reports::daily(&self.digest.at).is_none() {
            return invalid(
                "web.digest.at",
                format!("`{}` is not a time of day (HH:MM)", self.digest.at),
            );
        }
        if self.digest.timezone.parse::<chrono_tz::Tz>().is_err() {
            return invalid(
                "web.digest.timezone",
                format!("`{}` is not an IANA time zone", self.digest.timezone),
            );
        }
        Ok(())
    }
}

impl AuthConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        let Some(ldap) = &self.ldap else {
            return Ok(());
        };
        let invalid = |key, message: String| Err(ConfigError::Invalid { key, message });
        if !(ldap.url.starts_with("ldap://") || ldap.url.starts_with("ldaps://")) {
            return invalid(
                "auth.ldap.url",
                format!("`{}` must start with ldap:// or ldaps://", ldap.url),
            );
        }
        match (&ldap.bind_dn, &ldap.base_dn) {
            (Some(template), None)
                if template.contains("{user}") || template.contains("{address}") => {}
            (Some(_), None) => {
                return invalid(
                    "auth.ldap.bind_dn",
                    "must contain {user} or {address}".into(),
                );
            }
            (None, Some(_)) => {
                if ldap.service_dn.is_none() || ldap.service_password.is_none() {
                    return invalid(
                        "auth.ldap.service_dn",
                        "search-then-bind (base_dn) needs service_dn and service_password".into(),
                    );
                }
                if !ldap.filter.contains("{address}") && !ldap.filter.contains("{user}") {
                    return invalid(
                        "auth.ldap.filter",
                        "must contain {address} or {user}".into(),
                    );
                }
            }
            _ => {
                return invalid(
                    "auth.ldap.bind_dn",
                    "set exactly one of bind_dn (direct bind) and base_dn (search, then bind)"
                        .into(),
                );
            }
        }
        Ok(())
    }
}
