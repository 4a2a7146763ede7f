//! `type = "email"`: notifications as e-mail over SMTP (plain, STARTTLS or TLS, with
//! authentication), built by [`crate::mime`], PGP/MIME-signed with the configured key and
//! encrypted to a recipient whose public key is in `encrypt_keys_dir`.
//!
//! Connections are kept open and reused (at most `concurrency`), with TCP_NODELAY: the
//! message and its final `.` go out as separate writes, which Nagle's algorithm and the
//! server's delayed ACK would otherwise hold back 40 ms each.
//!
//! The Message-ID is `<TICKET@from-domain>`: the same notification always has the same
//! Message-ID, which is its idempotency key (after a crash a mail may be sent again, and
//! the receiving side sees it is the same message). SMTP 5xx answers are permanent, 4xx
//! answers and connection failures are retried.

use super::{Delivered, Outgoing, SendError};
use crate::mime::{self, CsvPlacement, Mail};
use crate::pgp::{Signer, encrypt_entity};
use futures_util::StreamExt;
use lettre::Address;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use postwarden_core::config::{EmailConfig, SmtpSecurity};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::Mutex;

/// A configured SMTP channel.
pub struct Email {
    server: Server,
    idle: Mutex<Vec<AsyncSmtpConnection>>,
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
    pub fn new(config: &EmailConfig, hostname: &str) -> Result<Email, String> {
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
            server: Server::new(config, hostname)?,
            idle: Mutex::new(Vec::new()),
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
        let key = self.recipient_key(&message.recipient)?;
        // Headers travel in clear: an encrypted mail's subject says only that it is one,
        // and the text inside starts with the real subject.
        let hidden_subject = format!("[postwarden] encrypted notification {}", message.ticket);
        let inner_text = format!("Subject: {}\n\n{}", message.subject, message.body);
        let (subject, text) = match key {
            Some(_) => (hidden_subject.as_str(), inner_text.as_str()),
            None => (message.subject.as_str(), message.body.as_str()),
        };
        let mail = Mail {
            from: self.from.as_ref(),
            to: &message.recipient,
            subject,
            message_id: &message_id,
            ticket: &message.ticket,
            date: message.created,
            text,
            html: message.html.as_deref(),
            csv: message.csv.as_deref(),
            csv_placement: self.csv,
        };
        let mut entity = mime::entity(&mail);
        let pgp_error = |e: crate::pgp::PgpError| SendError::permanent("PGP", e.to_string());
        match key {
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
        // The address names a file in the directory: nothing that could leave it.
        if recipient.contains(['/', '\\', '\0']) || recipient.starts_with('.') {
            return Ok(None);
        }
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
        let mut connection = self.connection().await?;
        let response = connection.send(&envelope, &bytes).await;
        if !connection.has_broken() {
            self.idle.lock().await.push(connection);
        }
        let response = response.map_err(smtp_error)?;
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
            note: None,
        })
    }

    /// An idle connection, or a new one.
    async fn connection(&self) -> Result<AsyncSmtpConnection, SendError> {
        if let Some(connection) = self.idle.lock().await.pop() {
            return Ok(connection);
        }
        self.server.connect().await
    }

    /// Connects, greets (and authenticates) and quits.
    pub async fn check(&self) -> Result<String, SendError> {
        let mut connection = self.server.connect().await?;
        let encrypted = connection.is_encrypted();
        connection.quit().await.map_err(smtp_error)?;
        Ok(format!(
            "SMTP server {} answers{}",
            self.smtp,
            if encrypted { " (TLS)" } else { "" }
        ))
    }
}

/// Where and how to connect.
struct Server {
    host: String,
    port: u16,
    security: SmtpSecurity,
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
}

impl Server {
    fn new(config: &EmailConfig, hostname: &str) -> Result<Server, String> {
        let (host, port) = config
            .smtp
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h.trim_matches(['[', ']']), p.parse::<u16>().ok()?)))
            .ok_or_else(|| format!("`smtp` = `{}`: write host:port", config.smtp))?;
        postwarden_core::http::ensure_crypto_provider();
        let tls = match config.security {
            SmtpSecurity::None => None,
            _ => Some(
                TlsParameters::new(host.to_owned()).map_err(|e| format!("TLS for {host}: {e}"))?,
            ),
        };
        let credentials = config.username.as_ref().map(|username| {
            let password = config.password.as_ref().map(|p| p.expose().to_owned());
            Credentials::new(username.clone(), password.unwrap_or_default())
        });
        Ok(Server {
            host: host.to_owned(),
            port,
            security: config.security,
            tls,
            credentials,
            hello: ClientId::Domain(hostname.to_owned()),
            timeout: config.timeout,
        })
    }

    /// A new connection: TCP (TCP_NODELAY), greeting, STARTTLS or TLS as configured,
    /// authentication.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let mut connection = if self.security == SmtpSecurity::Tls {
            AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                Some(self.timeout),
                &self.hello,
                self.tls.clone(),
                None,
            )
            .await
            .map_err(smtp_error)?
        } else {
            let address = (self.host.as_str(), self.port);
            let stream =
                tokio::time::timeout(self.timeout, tokio::net::TcpStream::connect(address))
                    .await
                    .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
                    .and_then(|stream| stream.set_nodelay(true).map(|()| stream))
                    .map_err(|e| {
                        SendError::retryable(
                            "CONNECTION",
                            format!("{}:{}: {e}", self.host, self.port),
                        )
                    })?;
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello)
                .await
                .map_err(smtp_error)?
        };
        let starttls = match self.security {
            SmtpSecurity::Starttls => true,
            SmtpSecurity::Opportunistic => connection.can_starttls(),
            SmtpSecurity::None | SmtpSecurity::Tls => false,
        };
        if let (true, Some(tls)) = (starttls, &self.tls) {
            connection
                .starttls(tls.clone(), &self.hello)
                .await
                .map_err(smtp_error)?;
        }
        if let Some(credentials) = &self.credentials {
            connection
                .auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(smtp_error)?;
        }
        Ok(connection)
    }
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
