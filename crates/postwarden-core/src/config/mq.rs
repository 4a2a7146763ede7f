//! `[mq]`: the RabbitMQ broker that carries per-user processing requests to each user's own
//! worker and their replies back (docs/mq.md).
//!
//! The URL's credentials are the node's: they declare the topology and publish requests.
//! Each worker gets credentials of its own from `postwarden users route`, which may consume
//! only that user's queue and publish only replies.

use super::{ConfigError, duration};
use crate::Secret;
use serde::Deserialize;
use std::time::Duration;

/// `[mq]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MqConfig {
    /// `amqp://user:password@host:5672/vhost` (`%2f` is the default vhost `/`), or
    /// `amqps://…` for TLS. Unset: no per-user processing.
    pub url: Option<Secret>,
    /// RabbitMQ's management HTTP API (`http://user:password@host:15672`): routes provision
    /// broker users through it. Unset: through `rabbitmqctl` on this machine.
    pub management_url: Option<Secret>,
    /// The `rabbitmqctl` program used when `management_url` is unset.
    pub rabbitmqctl: String,
    /// This node's name among the nodes sharing the broker: its replies come back to a
    /// queue of this name. Default: the host name.
    pub node: Option<String>,
    /// How often a request may be delivered to a worker before it is dead-lettered
    /// (RabbitMQ 3.10 quorum queues have no default limit).
    pub delivery_limit: u32,
    /// A route's timeout when `users route` is given none.
    #[serde(deserialize_with = "duration")]
    pub default_timeout: Duration,
    /// Longest a connection attempt may take; the node retries in the background.
    #[serde(deserialize_with = "duration")]
    pub connect_timeout: Duration,
}

impl Default for MqConfig {
    fn default() -> Self {
        Self {
            url: None,
            management_url: None,
            rabbitmqctl: "rabbitmqctl".into(),
            node: None,
            delivery_limit: 5,
            default_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl MqConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key, message: String| Err(ConfigError::Invalid { key, message });
        if let Some(url) = &self.url {
            let scheme = url.expose().split("://").next().unwrap_or_default();
            if !matches!(scheme, "amqp" | "amqps") {
                return invalid(
                    "mq.url",
                    format!("unsupported scheme `{scheme}`; use amqp:// or amqps://"),
                );
            }
        }
        if let Some(url) = &self.management_url {
            let scheme = url.expose().split("://").next().unwrap_or_default();
            if !matches!(scheme, "http" | "https") {
                return invalid(
                    "mq.management_url",
                    format!("unsupported scheme `{scheme}`; use http:// or https://"),
                );
            }
        }
        if self.delivery_limit == 0 {
            return invalid("mq.delivery_limit", "must be at least 1".into());
        }
        if let Some(node) = &self.node
            && (node.is_empty()
                || !node
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        {
            return invalid(
                "mq.node",
                format!("`{node}`: use letters, digits, `-`, `_` and `.`"),
            );
        }
        Ok(())
    }

    /// This node's name: `node`, or the host name (made safe for a queue name).
    pub fn node_name(&self) -> String {
        if let Some(node) = &self.node {
            return node.clone();
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .unwrap_or_else(|_| "localhost".into());
        let safe: String = host
            .trim()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if safe.is_empty() {
            "localhost".into()
        } else {
            safe
        }
    }
}
