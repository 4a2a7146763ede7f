//! `worker.toml`: the broker, the user's queue, and the user's processors, in order.
//!
//! ```toml
//! [worker]
//! broker = "amqp://postwarden-worker-7:…@127.0.0.1:5672/%2f"   # from `users route`
//! queue = "postwarden.user.7"
//! prefetch = 10
//!
//! [[worker.processors]]
//! type = "lists"
//! block_senders = ["@pushy.example"]
//! ```
//!
//! The processors are the filter's (`lists`, `attachments`, `spamassassin`, `clamav`,
//! `webhook`) and the worker's own (`forward`, `delay`, `tag`, `command`). Unknown keys are
//! errors that name the key.

use postwarden_core::Secret;
use postwarden_core::config::{PolicyConfig, ProcessorConfig};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// The whole file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerFile {
    pub worker: WorkerConfig,
}

/// `[worker]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    /// `amqp(s)://user:password@host:port/vhost`, as `users route` printed it.
    pub broker: Secret,
    /// The user's queue, as `users route` printed it.
    pub queue: String,
    /// Requests worked on at once (the broker hands out no more unacknowledged ones).
    #[serde(default = "default_prefetch")]
    pub prefetch: u16,
    /// Serve Prometheus metrics at `GET /metrics` here.
    #[serde(default)]
    pub metrics_listen: Option<String>,
    /// How the filter-type processors' findings become an action (as `[filter.policy]`).
    #[serde(default)]
    pub policy: PolicyConfig,
    /// The user's processors, run in order on every request.
    #[serde(default)]
    pub processors: Vec<WorkerProcessorConfig>,
}

fn default_prefetch() -> u16 {
    10
}

/// One `[[worker.processors]]`: one of the filter's, or one of the worker's own.
#[derive(Debug, Clone)]
pub enum WorkerProcessorConfig {
    Filter(ProcessorConfig),
    Own(OwnProcessorConfig),
}

impl<'de> Deserialize<'de> for WorkerProcessorConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = toml::Value::deserialize(deserializer)?;
        let kind = value
            .get("type")
            .and_then(toml::Value::as_str)
            .ok_or_else(|| serde::de::Error::custom("a processor needs `type`"))?;
        let own = matches!(kind, "forward" | "delay" | "tag" | "command");
        if own {
            OwnProcessorConfig::deserialize(value)
                .map(WorkerProcessorConfig::Own)
                .map_err(serde::de::Error::custom)
        } else {
            ProcessorConfig::deserialize(value)
                .map(WorkerProcessorConfig::Filter)
                .map_err(serde::de::Error::custom)
        }
    }
}

/// The worker's own processors.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase", deny_unknown_fields)]
pub enum OwnProcessorConfig {
    /// Deliver the copy to `to` instead (for mail from `senders`, or all mail).
    Forward {
        to: Vec<String>,
        #[serde(default)]
        senders: Vec<String>,
    },
    /// Hold the copy until decided (for mail from `senders`, or all mail), at most `hold`.
    Delay {
        #[serde(default)]
        senders: Vec<String>,
        #[serde(default, with = "humantime_serde_opt")]
        hold: Option<Duration>,
    },
    /// Tag the copy: labels, and optionally a subject prefix.
    Tag {
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default)]
        subject_prefix: Option<String>,
        #[serde(default)]
        senders: Vec<String>,
    },
    /// Runs `program` with `args` (no shell), the message on its standard input; its
    /// standard output is a reply (`{"action": "…", "reason": "…"}`, docs/mq.md).
    Command {
        program: PathBuf,
        #[serde(default)]
        args: Vec<String>,
        #[serde(default = "default_command_timeout", with = "humantime_serde")]
        timeout: Duration,
    },
}

fn default_command_timeout() -> Duration {
    Duration::from_secs(10)
}

mod humantime_serde {
    use serde::Deserialize;
    use std::time::Duration;

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

mod humantime_serde_opt {
    use serde::Deserialize;
    use std::time::Duration;

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text)
            .map(Some)
            .map_err(serde::de::Error::custom)
    }
}

/// Why a worker file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum WorkerConfigError {
    #[error("{0}")]
    Toml(#[from] toml::de::Error),
    #[error("`{key}`: {message}")]
    Invalid { key: &'static str, message: String },
}

impl WorkerFile {
    pub fn from_toml(text: &str) -> Result<Self, WorkerConfigError> {
        let file: WorkerFile = toml::from_str(text)?;
        let worker = &file.worker;
        let scheme = worker
            .broker
            .expose()
            .split("://")
            .next()
            .unwrap_or_default();
        if !matches!(scheme, "amqp" | "amqps") {
            return Err(WorkerConfigError::Invalid {
                key: "worker.broker",
                message: format!("unsupported scheme `{scheme}`; use amqp:// or amqps://"),
            });
        }
        if worker.queue.is_empty() {
            return Err(WorkerConfigError::Invalid {
                key: "worker.queue",
                message: "empty".into(),
            });
        }
        if worker.prefetch == 0 {
            return Err(WorkerConfigError::Invalid {
                key: "worker.prefetch",
                message: "must be at least 1".into(),
            });
        }
        for processor in &worker.processors {
            if let WorkerProcessorConfig::Own(OwnProcessorConfig::Forward { to, .. }) = processor
                && (to.is_empty() || !to.iter().all(|a| postwarden_core::users::is_address(a)))
            {
                return Err(WorkerConfigError::Invalid {
                    key: "worker.processors.to",
                    message: "`forward` needs one or more addresses".into(),
                });
            }
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contracts_worker_reads() {
        let file = WorkerFile::from_toml(
            "[worker]\nbroker = \"amqp://u:p@127.0.0.1:5672/%2f\"\nqueue = \"q\"\n\
             [[worker.processors]]\ntype = \"lists\"\nblock_senders = [\"@spam.example\"]\n\
             [[worker.processors]]\ntype = \"tag\"\ntags = [\"newsletter\"]\n\
             [[worker.processors]]\ntype = \"command\"\nprogram = \"/bin/true\"\ntimeout = \"2s\"\n",
        )
        .unwrap();
        assert_eq!(file.worker.processors.len(), 3);
        assert_eq!(file.worker.prefetch, 10);
        assert!(matches!(
            file.worker.processors[2],
            WorkerProcessorConfig::Own(OwnProcessorConfig::Command { timeout, .. })
                if timeout == Duration::from_secs(2)
        ));
    }

    #[test]
    fn a_typo_names_the_key() {
        let error = WorkerFile::from_toml(
            "[worker]\nbroker = \"amqp://h\"\nqueue = \"q\"\n\
             [[worker.processors]]\ntype = \"lists\"\nblock_sender = [\"x\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("block_sender"), "{error}");
        let error = WorkerFile::from_toml("[worker]\nbroker = \"http://h\"\nqueue = \"q\"\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("worker.broker"), "{error}");
    }
}
