//! Channels: where notifications go. One file per `type`: [`clicksend`] (SMS), [`email`]
//! (SMTP, optionally OpenPGP-signed) and [`webhook`] (signed JSON POST).
//!
//! A send answers, per notification, [`Delivered`] or a [`SendError`] that says whether
//! trying again may help (Alertmanager's model): the dispatcher retries the retryable ones
//! with backoff and records the permanent ones as failed.

pub mod clicksend;
pub mod email;
pub mod webhook;

use chrono::{DateTime, Utc};
use postwarden_core::Config;
use postwarden_core::config::ChannelConfig;
use std::collections::BTreeMap;

/// One notification as a channel sends it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The ticket number: ClickSend's `custom_string`, part of the Message-ID, the webhook's
    /// idempotency key.
    pub ticket: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    pub csv: Option<String>,
    pub format: String,
    pub created: DateTime<Utc>,
    /// A dispatcher claimed it before and never finished: the provider may have it already.
    pub recovering: bool,
}

/// What the provider said about a message it accepted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Delivered {
    pub provider_id: Option<String>,
    pub parts: Option<i64>,
    pub price: Option<String>,
    /// Sent again although an earlier attempt may have gone out: why (the audit's message).
    pub note: Option<String>,
}

/// Why a send failed, and whether trying again may help.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    #[error("{code}: {message} (will retry)")]
    Retryable { code: String, message: String },
    #[error("{code}: {message}")]
    Permanent { code: String, message: String },
    /// Whether the provider took an earlier, crashed attempt cannot be known (its history
    /// is refused): not a failure — the message may have gone out.
    #[error("{code}: {message} (outcome unknown)")]
    Unknown { code: String, message: String },
}

impl SendError {
    pub fn retryable(code: impl Into<String>, message: impl Into<String>) -> Self {
        SendError::Retryable {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn permanent(code: impl Into<String>, message: impl Into<String>) -> Self {
        SendError::Permanent {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn code(&self) -> &str {
        match self {
            SendError::Retryable { code, .. }
            | SendError::Permanent { code, .. }
            | SendError::Unknown { code, .. } => code,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            SendError::Retryable { message, .. }
            | SendError::Permanent { message, .. }
            | SendError::Unknown { message, .. } => message,
        }
    }
}

/// Builds every configured channel and checks that each receiver of every rule is one its
/// channel can send to.
pub fn build_all(config: &Config, hostname: &str) -> Result<BTreeMap<String, Channel>, String> {
    let mut channels = BTreeMap::new();
    for (name, channel) in &config.channels {
        channels.insert(name.clone(), Channel::build(name, channel, hostname)?);
    }
    for rule in &config.rules {
        for receiver in &rule.receivers {
            for to in &receiver.to {
                if let Some(channel) = channels.get(&receiver.channel) {
                    channel.accepts(to).map_err(|e| {
                        format!("rules: receiver of channel `{}`: {e}", receiver.channel)
                    })?;
                }
            }
        }
    }
    Ok(channels)
}

/// A configured channel, ready to send.
#[derive(Debug)]
pub enum Channel {
    ClickSend(clicksend::ClickSend),
    Email(Box<email::Email>),
    Webhook(webhook::Webhook),
}

impl Channel {
    /// Builds channel `name` from its configuration (reads keys, builds clients).
    pub fn build(name: &str, config: &ChannelConfig, hostname: &str) -> Result<Channel, String> {
        let built = match config {
            ChannelConfig::Clicksend(c) => clicksend::ClickSend::new(c).map(Channel::ClickSend),
            ChannelConfig::Email(c) => {
                email::Email::new(c, hostname).map(|e| Channel::Email(Box::new(e)))
            }
            ChannelConfig::Webhook(c) => webhook::Webhook::new(c).map(Channel::Webhook),
        };
        built.map_err(|e| format!("channel `{name}` ({}): {e}", config.kind()))
    }

    /// The format its notifications have when none is named.
    pub fn default_format(&self) -> &'static str {
        match self {
            Channel::ClickSend(_) => "sms",
            Channel::Email(_) => "text",
            Channel::Webhook(_) => "json",
        }
    }

    /// Sends a batch; one result per notification, in order.
    pub async fn send(&self, batch: &[Outgoing]) -> Vec<Result<Delivered, SendError>> {
        match self {
            Channel::ClickSend(c) => c.send(batch).await,
            Channel::Email(c) => c.send(batch).await,
            Channel::Webhook(c) => c.send(batch).await,
        }
    }

    /// Checks that the channel works without sending (credentials, connection); a line
    /// describing what was found (ClickSend: the balance).
    pub async fn check(&self) -> Result<String, SendError> {
        match self {
            Channel::ClickSend(c) => c.check().await,
            Channel::Email(c) => c.check().await,
            Channel::Webhook(c) => c.check().await,
        }
    }

    /// Whether a recipient is one this channel can send to (ClickSend: an E.164 number).
    pub fn accepts(&self, recipient: &str) -> Result<(), String> {
        match self {
            Channel::ClickSend(_) => {
                crate::sms::is_e164(recipient).then_some(()).ok_or_else(|| {
                    format!("`{recipient}` is not an E.164 number (+ and 8 to 15 digits)")
                })
            }
            Channel::Email(_) => recipient
                .parse::<lettre::Address>()
                .map(|_| ())
                .map_err(|e| format!("`{recipient}` is not an e-mail address: {e}")),
            Channel::Webhook(_) => Ok(()),
        }
    }
}
