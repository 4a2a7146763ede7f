//! Processors: each looks at a message and adds [`Finding`]s; none decides. One file per
//! processor, named after its `type` in `[[filter.processors]]`.

pub mod attachments;
pub mod auth;
pub mod clamav;
pub mod lists;
pub mod phishing;
pub mod rspamd;
pub mod spamassassin;
pub mod webhook;

use crate::dns::Dns;
use crate::message::Scanned;
use postwarden_core::Finding;
use postwarden_core::config::{DnsConfig, OnError, ProcessorConfig};
use postwarden_store::Store;
use std::io;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A processor that could not give an answer: unreachable, too slow, or making no sense.
#[derive(Debug, thiserror::Error)]
#[error("{processor}: {detail}")]
pub struct ProcessorError {
    pub processor: &'static str,
    pub detail: String,
}

impl ProcessorError {
    pub(crate) fn new(processor: &'static str, detail: impl Into<String>) -> Self {
        Self {
            processor,
            detail: detail.into(),
        }
    }
}

/// A configured processor, ready to run.
pub enum Processor {
    Lists(Box<lists::Lists>),
    Spamassassin(spamassassin::Spamassassin),
    Clamav(clamav::Clamav),
    Attachments(attachments::Attachments),
    Webhook(webhook::Webhook),
    Auth(auth::Auth),
    Phishing(Box<phishing::Phishing>),
    Rspamd(rspamd::Rspamd),
}

/// What processors are built with besides their own section.
#[derive(Clone, Copy)]
pub struct Environment<'a> {
    /// The lists' stored entries, the users (phishing's internal names), the history.
    pub store: Option<&'a Store>,
    /// `[dns]`, for `auth`.
    pub dns: &'a DnsConfig,
    /// `[filter] authserv_id`, for `auth`'s `Authentication-Results`.
    pub authserv_id: &'a str,
}

impl Processor {
    /// Builds the processor `config` describes, without store or resolver settings (the
    /// worker's processors).
    pub async fn build(config: &ProcessorConfig, store: Option<&Store>) -> Result<Self, String> {
        let dns = DnsConfig::default();
        Self::build_in(
            config,
            Environment {
                store,
                dns: &dns,
                authserv_id: "localhost",
            },
        )
        .await
    }

    /// Builds the processor `config` describes in `env`.
    pub async fn build_in(config: &ProcessorConfig, env: Environment<'_>) -> Result<Self, String> {
        let store = env.store;
        Ok(match config {
            ProcessorConfig::Lists(c) => {
                Self::Lists(Box::new(lists::Lists::build(c, store).await?))
            }
            ProcessorConfig::Spamassassin(c) => {
                Self::Spamassassin(spamassassin::Spamassassin::new(c.clone()))
            }
            ProcessorConfig::Clamav(c) => Self::Clamav(clamav::Clamav::new(c.clone())),
            ProcessorConfig::Attachments(c) => Self::Attachments(attachments::Attachments::new(c)),
            ProcessorConfig::Webhook(c) => Self::Webhook(webhook::Webhook::new(c.clone())?),
            ProcessorConfig::Auth(c) => {
                let dns = Dns::new(env.dns).map_err(|e| e.to_string())?;
                Self::Auth(auth::Auth::new(c.clone(), Arc::new(dns), env.authserv_id))
            }
            ProcessorConfig::Phishing(c) => {
                Self::Phishing(Box::new(phishing::Phishing::build(c, store).await?))
            }
            ProcessorConfig::Rspamd(c) => Self::Rspamd(rspamd::Rspamd::new(c.clone())?),
        })
    }

    pub fn name(&self) -> &'static str {
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

    pub fn on_error(&self) -> OnError {
        match self {
            Self::Lists(p) => p.on_error(),
            Self::Spamassassin(p) => p.config.on_error,
            Self::Clamav(p) => p.config.on_error,
            Self::Webhook(p) => p.config.on_error,
            Self::Auth(p) => p.config.on_error,
            Self::Rspamd(p) => p.config.on_error,
            // They cannot fail (phishing's history lookup failing only leaves that out).
            Self::Attachments(_) | Self::Phishing(_) => OnError::Tempfail,
        }
    }

    /// Runs the processor; those that talk to a daemon within their timeout.
    pub async fn run(&self, message: &Scanned) -> Result<Vec<Finding>, ProcessorError> {
        match self {
            Self::Lists(p) => p.run(message).await,
            Self::Attachments(p) => Ok(p.run(message)),
            Self::Spamassassin(p) => within(p.config.timeout, self.name(), p.run(message)).await,
            Self::Clamav(p) => within(p.config.timeout, self.name(), p.run(message)).await,
            Self::Webhook(p) => within(p.config.timeout, self.name(), p.run(message)).await,
            Self::Auth(p) => within(p.config.timeout, self.name(), p.run(message)).await,
            Self::Rspamd(p) => within(p.config.timeout, self.name(), p.run(message)).await,
            Self::Phishing(p) => Ok(p.run(message).await),
        }
    }
}

/// `work`, or an error naming `processor` if it takes longer than `timeout`.
async fn within(
    timeout: Duration,
    processor: &'static str,
    work: impl Future<Output = Result<Vec<Finding>, ProcessorError>>,
) -> Result<Vec<Finding>, ProcessorError> {
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| ProcessorError::new(processor, format!("no answer within {timeout:?}")))?
}

/// Sends `request` to the daemon at `address` and checks its whole answer with `is_pong`
/// (the daemons' PING, for health probes and `notify test`).
pub(crate) async fn ping(
    processor: &'static str,
    address: &str,
    timeout: Duration,
    request: &[u8],
    is_pong: impl Fn(&[u8]) -> bool,
) -> Result<(), ProcessorError> {
    let error = |e: io::Error| ProcessorError::new(processor, format!("{address}: {e}"));
    let (mut read, mut write) = connect(address, timeout).await.map_err(error)?;
    write.write_all(request).await.map_err(error)?;
    let mut reply = Vec::new();
    tokio::time::timeout(timeout, read.read_to_end(&mut reply))
        .await
        .map_err(|_| ProcessorError::new(processor, "PING timed out"))?
        .map_err(error)?;
    if is_pong(&reply) {
        Ok(())
    } else {
        Err(ProcessorError::new(
            processor,
            format!(
                "PING answered `{}`",
                String::from_utf8_lossy(&reply).trim_end()
            ),
        ))
    }
}

/// Both halves of a connection to a daemon, TCP or unix socket.
pub(crate) type Halves = (
    Box<dyn AsyncRead + Unpin + Send>,
    Box<dyn AsyncWrite + Unpin + Send>,
);

/// Connects to `host:port` or `unix:/path`.
pub(crate) async fn connect(address: &str, timeout: Duration) -> io::Result<Halves> {
    let connecting = async {
        if let Some(path) = address.strip_prefix("unix:") {
            let (read, write) = tokio::net::UnixStream::connect(path).await?.into_split();
            Ok::<Halves, io::Error>((Box::new(read), Box::new(write)))
        } else {
            let (read, write) = tokio::net::TcpStream::connect(address).await?.into_split();
            Ok::<Halves, io::Error>((Box::new(read), Box::new(write)))
        }
    };
    tokio::time::timeout(timeout, connecting)
        .await
        .map_err(|_| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("connecting to {address} timed out"),
            )
        })?
}

/// The finding of a processor that left a message out as larger than its `max_size` (as
/// spamc does: daemons are slow on, and spam is rarely, that big).
pub(crate) fn too_large(processor: &'static str, max_size: usize) -> Finding {
    Finding {
        processor: processor.into(),
        score: 0.0,
        tags: vec![postwarden_core::Tag::Skipped],
        reason: format!("not scanned: larger than max_size ({max_size} octets)"),
        recipients: Vec::new(),
        action: None,
    }
}

/// At most the first 120 characters of a peer's text, for error messages.
pub(crate) fn excerpt(text: &str) -> &str {
    let end = text.char_indices().nth(120).map_or(text.len(), |(i, _)| i);
    &text[..end]
}
