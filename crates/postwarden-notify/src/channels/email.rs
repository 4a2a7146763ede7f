//! `type = "email"`: notifications as e-mail over SMTP (plain, STARTTLS or TLS, with
//! authentication), built by [`crate::mime`], PGP/MIME-signed with the configured key and
//! encrypted to a recipient whose public key is in `encrypt_keys_dir`.
//!
//! The Message-ID is `<TICKET@from-domain>`: the same notification always has the same
//! Message-ID, which is its idempotency key (after a crash a mail may be sent again, and
//! the receiving side sees it is the same message). SMTP 5xx answers are permanent, 4xx
//! answers and connection failures are retried.

use super::{Delivered, Outgoing, SendError};
use crate::mime::{self, CsvPlacement, Mail};
use crate::pgp::{Signer, encrypt_entity};
use futures_util::StreamExt;
use lettre::address::Envelope;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use postwarden_core::config::{EmailConfig, SmtpSecurity};
use std::path::PathBuf;

/// A configured SMTP channel.
pub struct Email {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Address,
    signer: Option<Signer>,
    encrypt_keys_dir: Option<PathBuf>,
    csv: CsvPlacement,
    concurrency: usize,
    smtp: String,
}

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Email")
            .field("smtp", &self.smtp)
            .field("from", &self.from)
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}

impl Email {
    pub fn new(config: &EmailConfig, _hostname: &str) -> Result<Email, String> {
        let from: Address = config
            .from
            .parse()
            .map_err(|e| format!("`from` = `{}` is not an address: {e}", config.from))?;
        let signer = match &config.sign_key_file {
            Some(path) => Some(
                Signer::from_file(
                    path,
                    config.sign_key_passphrase.as_ref().map(|p| p.expose()),
                )
                .map_err(|e| e.to_string())?,
            ),
            None => None,
        };
        Ok(Email {
            transport: transport(config)?,
            from,
            signer,
            encrypt_keys_dir: config.encrypt_keys_dir.clone(),
            csv: config.csv,
            concurrency: config.concurrency,
            smtp: config.smtp.clone(),
        })
    }

    /// Sends the batch, `concurrency` mails at a time.
    pub async fn send(&self, batch: &[Outgoing]) -> Vec<Result<Delivered, SendError>> {
        futures_util::stream::iter(batch)
            .map(|message| self.send_one(message))
            .buffered(self.concurrency)
            .collect()
            .await
    }

    /// The bytes of the mail for `message`.
    pub fn build(&self, message: &Outgoing) -> Result<Vec<u8>, SendError> {
        let message_id = format!("<{}@{}>", message.ticket, self.from.domain());
        let mail = Mail {
            from: self.from.as_ref(),
            to: &message.recipient,
            subject: &message.subject,
            message_id: &message_id,
            ticket: &message.ticket,
            date: message.created,
            text: &message.body,
            html: message.html.as_deref(),
            csv: message.csv.as_deref(),
            csv_placement: self.csv,
        };
        let mut entity = mime::entity(&mail);
        let pgp_error = |e: crate::pgp::PgpError| SendError::permanent("PGP", e.to_string());
        match self.recipient_key(&message.recipient)? {
            Some(key) => {
                entity = encrypt_entity(&entity, &key, self.signer.as_ref()).map_err(pgp_error)?;
            }
            None => {
                if let Some(signer) = &self.signer {
                    entity = signer.sign_entity(&entity).map_err(pgp_error)?;
                }
            }
        }
        Ok(mime::message(&mime::headers(&mail), &entity))
    }

    fn recipient_key(&self, recipient: &str) -> Result<Option<String>, SendError> {
        let Some(dir) = &self.encrypt_keys_dir else {
            return Ok(None);
        };
        let path = dir.join(format!("{}.asc", recipient.to_lowercase()));
        match std::fs::read_to_string(&path) {
            Ok(key) => Ok(Some(key)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(SendError::retryable(
                "KEY",
                format!("cannot read {}: {e}", path.display()),
            )),
        }
    }

    async fn send_one(&self, message: &Outgoing) -> Result<Delivered, SendError> {
        let to: Address = message.recipient.parse().map_err(|e| {
            SendError::permanent("ADDRESS", format!("`{}`: {e}", message.recipient))
        })?;
        let bytes = self.build(message)?;
        let envelope = Envelope::new(Some(self.from.clone()), vec![to])
            .map_err(|e| SendError::permanent("ADDRESS", e.to_string()))?;
        let response = self
            .transport
            .send_raw(&envelope, &bytes)
            .await
            .map_err(smtp_error)?;
        let queued = response.message().collect::<Vec<_>>().join(" ");
        Ok(Delivered {
            provider_id: Some(format!("<{}@{}>", message.ticket, self.from.domain())).map(|id| {
                if queued.is_empty() {
                    id
                } else {
                    format!("{id} ({queued})")
                }
            }),
            parts: None,
            price: None,
        })
    }

    /// Connects, greets and quits.
    pub async fn check(&self) -> Result<String, SendError> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(format!("SMTP server {} answers", self.smtp)),
            Ok(false) => Err(SendError::retryable(
                "SMTP",
                format!("{} did not answer NOOP", self.smtp),
            )),
            Err(e) => Err(smtp_error(e)),
        }
    }
}

fn transport(config: &EmailConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    let (host, port) = config
        .smtp
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.trim_matches(['[', ']']), p.parse::<u16>().ok()?)))
        .ok_or_else(|| format!("`smtp` = `{}`: write host:port", config.smtp))?;
    postwarden_core::http::ensure_crypto_provider();
    let tls = || TlsParameters::new(host.to_owned()).map_err(|e| format!("TLS for {host}: {e}"));
    let security = match config.security {
        SmtpSecurity::None => Tls::None,
        SmtpSecurity::Opportunistic => Tls::Opportunistic(tls()?),
        SmtpSecurity::Starttls => Tls::Required(tls()?),
        SmtpSecurity::Tls => Tls::Wrapper(tls()?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(port)
        .tls(security)
        .timeout(Some(config.timeout))
        .pool_config(PoolConfig::new().max_size(config.concurrency as u32));
    if let Some(username) = &config.username {
        let password = config
            .password
            .as_ref()
            .map(|p| p.expose().to_owned())
            .unwrap_or_default();
        builder = builder.credentials(Credentials::new(username.clone(), password));
    }
    Ok(builder.build())
}

fn smtp_error(e: lettre::transport::smtp::Error) -> SendError {
    let code = e.status().map(|c| c.to_string()).unwrap_or_else(|| {
        if e.is_timeout() {
            "TIMEOUT".into()
        } else {
            "SMTP".into()
        }
    });
    if e.is_permanent() {
        SendError::permanent(code, e.to_string())
    } else {
        SendError::retryable(code, e.to_string())
    }
}
