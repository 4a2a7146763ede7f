//! The relay client: hands one transaction to the next hop (Postfix's re-injection smtpd
//! on :10025) and says, per failure, whether it is worth retrying.
//!
//! Commands after EHLO are pipelined when the next hop offers PIPELINING (XFORWARD, MAIL,
//! every RCPT in one write); the message goes out with [`dot_stuff`].

use crate::command::MailParams;
use crate::data::dot_stuff;
use crate::io::{Line, read_line, strip_cr};
use crate::reply::{Reply, ReplyParser};
use std::io;
use std::time::Duration;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// Where and how to relay.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// `host:port` of the next hop.
    pub address: String,
    /// The name we give in EHLO.
    pub helo_name: String,
    pub connect_timeout: Duration,
    /// Longest wait for any reply, and for the reply after the message (Postfix's
    /// `smtp_data_done_timeout` is 600 s; the next hop here is local).
    pub reply_timeout: Duration,
}

/// One transaction to relay.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// XFORWARD attributes to pass on (name, xtext value).
    pub xforward: &'a [(String, String)],
    pub mail_from: &'a str,
    pub params: &'a MailParams,
    pub recipients: &'a [String],
    /// The message, CRLF line ends, not dot-stuffed.
    pub message: &'a [u8],
}

/// Why a relay failed, and whether the next hop refused for good.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("next hop {stage}: {source}")]
    Io {
        stage: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("next hop answered {stage} with `{reply}`")]
    Refused { stage: &'static str, reply: Reply },
    #[error("next hop sent a malformed reply to {stage}: {detail}")]
    Protocol { stage: &'static str, detail: String },
}

impl RelayError {
    /// True when the next hop refused with a 5xx: retrying the same message will not help.
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Refused { reply, .. } if reply.is_permanent())
    }
}

/// Relays `outgoing` and returns the next hop's reply to the end of DATA (a 2xx).
pub async fn relay(config: &RelayConfig, outgoing: Outgoing<'_>) -> Result<Reply, RelayError> {
    let stream = tokio::time::timeout(config.connect_timeout, TcpStream::connect(&config.address))
        .await
        .map_err(|_| io_error("connect", io::ErrorKind::TimedOut.into()))?
        .map_err(|e| io_error("connect", e))?;
    let _ = stream.set_nodelay(true);
    let (read, write) = stream.into_split();
    let mut connection = Connection {
        reader: BufReader::with_capacity(16 << 10, read),
        writer: write,
        timeout: config.reply_timeout,
    };
    let result = connection.transaction(config, outgoing).await;
    if result.is_ok() {
        let _ = connection.send(b"QUIT\r\n", "QUIT").await;
    }
    result
}

fn io_error(stage: &'static str, source: io::Error) -> RelayError {
    RelayError::Io { stage, source }
}

struct Connection {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    timeout: Duration,
}

/// What the next hop's EHLO reply offers.
#[derive(Debug, Default)]
struct Extensions {
    pipelining: bool,
    size: bool,
    eight_bit: bool,
    smtputf8: bool,
    xforward: Vec<String>,
}

impl Extensions {
    fn from_ehlo(reply: &Reply) -> Self {
        let mut extensions = Self::default();
        for line in reply.lines.iter().skip(1) {
            let mut words = line.split_whitespace();
            match words.next().map(str::to_ascii_uppercase).as_deref() {
                Some("PIPELINING") => extensions.pipelining = true,
                Some("SIZE") => extensions.size = true,
                Some("8BITMIME") => extensions.eight_bit = true,
                Some("SMTPUTF8") => extensions.smtputf8 = true,
                Some("XFORWARD") => {
                    extensions.xforward = words.map(str::to_ascii_uppercase).collect();
                }
                _ => {}
            }
        }
        extensions
    }
}

impl Connection {
    async fn transaction(
        &mut self,
        config: &RelayConfig,
        outgoing: Outgoing<'_>,
    ) -> Result<Reply, RelayError> {
        self.expect("greeting", 220).await?;
        self.send(format!("EHLO {}\r\n", config.helo_name).as_bytes(), "EHLO")
            .await?;
        let ehlo = self.expect("EHLO", 250).await?;
        let extensions = Extensions::from_ehlo(&ehlo);

        // XFORWARD, MAIL and every RCPT: one write when pipelining, else one at a time.
        let mut commands: Vec<(&'static str, Vec<u8>)> = Vec::new();
        if let Some(xforward) = xforward_command(&extensions, outgoing.xforward) {
            commands.push(("XFORWARD", xforward));
        }
        commands.push(("MAIL FROM", mail_command(&extensions, &outgoing)));
        for recipient in outgoing.recipients {
            commands.push(("RCPT TO", format!("RCPT TO:<{recipient}>\r\n").into_bytes()));
        }
        let mut refusal = None;
        if extensions.pipelining {
            let batch: Vec<u8> = commands
                .iter()
                .flat_map(|(_, c)| c.iter().copied())
                .collect();
            self.send(&batch, "MAIL FROM").await?;
        }
        for (stage, command) in &commands {
            if !extensions.pipelining {
                self.send(command, stage).await?;
            }
            let reply = self.reply(stage).await?;
            if !reply.is_positive() && refusal.is_none() {
                refusal = Some(RelayError::Refused { stage, reply });
                if !extensions.pipelining {
                    break;
                }
            }
        }
        if let Some(refusal) = refusal {
            // Not every recipient was accepted: relay nothing, so the answer to Postfix is
            // one honest reply for the whole message.
            let _ = self.send(b"RSET\r\n", "RSET").await;
            return Err(refusal);
        }
        self.send(b"DATA\r\n", "DATA").await?;
        self.expect("DATA", 354).await?;
        self.send(&dot_stuff(outgoing.message), "end of data")
            .await?;
        self.expect("end of data", 250).await
    }

    async fn send(&mut self, bytes: &[u8], stage: &'static str) -> Result<(), RelayError> {
        self.writer
            .write_all(bytes)
            .await
            .map_err(|e| io_error(stage, e))
    }

    /// Reads a reply and requires `code`'s class (2xx for 250, 3xx for 354).
    async fn expect(&mut self, stage: &'static str, code: u16) -> Result<Reply, RelayError> {
        let reply = self.reply(stage).await?;
        if reply.code / 100 == code / 100 {
            Ok(reply)
        } else {
            Err(RelayError::Refused { stage, reply })
        }
    }

    async fn reply(&mut self, stage: &'static str) -> Result<Reply, RelayError> {
        let mut parser = ReplyParser::default();
        loop {
            let line = match read_line(&mut self.reader, 4096, self.timeout).await {
                Ok(Line::Complete(line)) => line,
                Ok(Line::TooLong) => {
                    return Err(RelayError::Protocol {
                        stage,
                        detail: "reply line over 4096 octets".into(),
                    });
                }
                Ok(Line::Closed) => {
                    return Err(io_error(
                        stage,
                        io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"),
                    ));
                }
                Err(error) => return Err(io_error(stage, error)),
            };
            match parser.line(strip_cr(&line)) {
                Ok(Some(reply)) => return Ok(reply),
                Ok(None) => {}
                Err(error) => {
                    return Err(RelayError::Protocol {
                        stage,
                        detail: error.to_string(),
                    });
                }
            }
        }
    }
}

/// The XFORWARD command for the attributes the next hop accepts, if any.
fn xforward_command(extensions: &Extensions, attributes: &[(String, String)]) -> Option<Vec<u8>> {
    let accepted: Vec<String> = attributes
        .iter()
        .filter(|(name, _)| extensions.xforward.iter().any(|n| n == name))
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    (!accepted.is_empty()).then(|| format!("XFORWARD {}\r\n", accepted.join(" ")).into_bytes())
}

fn mail_command(extensions: &Extensions, outgoing: &Outgoing<'_>) -> Vec<u8> {
    let mut command = format!("MAIL FROM:<{}>", outgoing.mail_from);
    if extensions.size {
        command.push_str(&format!(" SIZE={}", outgoing.message.len()));
    }
    if outgoing.params.eight_bit && extensions.eight_bit {
        command.push_str(" BODY=8BITMIME");
    }
    if outgoing.params.smtputf8 && extensions.smtputf8 {
        command.push_str(" SMTPUTF8");
    }
    command.push_str("\r\n");
    command.into_bytes()
}
