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
use std::sync::Mutex;
use std::time::{Duration, Instant};
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

    /// True when the failure came before the next hop could have accepted anything: the
    /// connection broke, or the server said 421, at XFORWARD, MAIL or RCPT.
    fn nothing_accepted(&self) -> bool {
        let early = |stage: &str| matches!(stage, "XFORWARD" | "MAIL FROM" | "RCPT TO");
        match self {
            Self::Io { stage, .. } => early(stage),
            Self::Refused { stage, reply } => early(stage) && reply.code == 421,
            Self::Protocol { .. } => false,
        }
    }
}

/// The most idle connections kept for reuse.
const MAX_IDLE: usize = 32;
/// An idle connection older than this is closed rather than reused: well under the 300 s
/// after which Postfix's smtpd drops a silent client.
const MAX_IDLE_AGE: Duration = Duration::from_secs(20);

/// Relays transactions to one next hop, reusing connections between them (connect,
/// greeting and EHLO cost three round trips a message otherwise).
pub struct Relay {
    config: RelayConfig,
    idle: Mutex<Vec<(Connection, Instant)>>,
}

impl Relay {
    pub fn new(config: RelayConfig) -> Self {
        Self {
            config,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Relays `outgoing` and returns the next hop's reply to the end of DATA (a 2xx).
    ///
    /// A reused connection that turns out to be closed before anything was accepted is
    /// replaced by a new one; a failure after that is returned (retrying could deliver
    /// the message twice).
    pub async fn send(&self, outgoing: Outgoing<'_>) -> Result<Reply, RelayError> {
        if let Some(mut connection) = self.take_idle() {
            match connection.transaction(outgoing).await {
                Ok(reply) => {
                    self.keep(connection).await;
                    return Ok(reply);
                }
                Err(error) if error.nothing_accepted() => {
                    tracing::debug!(%error, "reused next-hop connection failed; opening a new one");
                }
                Err(error) => return Err(error),
            }
        }
        let mut connection = Connection::open(&self.config).await?;
        let reply = connection.transaction(outgoing).await?;
        self.keep(connection).await;
        Ok(reply)
    }

    fn take_idle(&self) -> Option<Connection> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((connection, since)) = idle.pop() {
            if since.elapsed() < MAX_IDLE_AGE {
                return Some(connection);
            }
            // Too old: dropping it closes it (the next hop logs a lost connection).
            drop(connection);
        }
        None
    }

    /// Puts a connection back for the next transaction, or says goodbye if enough wait.
    async fn keep(&self, connection: Connection) {
        let mut surplus = {
            let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push((connection, Instant::now()));
                return;
            }
            connection
        };
        let _ = surplus.send(b"QUIT\r\n", "QUIT").await;
    }
}

fn io_error(stage: &'static str, source: io::Error) -> RelayError {
    RelayError::Io { stage, source }
}

/// An open, greeted connection to the next hop, between transactions.
struct Connection {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    timeout: Duration,
    extensions: Extensions,
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
    /// Connects, reads the greeting and says EHLO.
    async fn open(config: &RelayConfig) -> Result<Self, RelayError> {
        let stream =
            tokio::time::timeout(config.connect_timeout, TcpStream::connect(&config.address))
                .await
                .map_err(|_| io_error("connect", io::ErrorKind::TimedOut.into()))?
                .map_err(|e| io_error("connect", e))?;
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let mut connection = Connection {
            reader: BufReader::with_capacity(16 << 10, read),
            writer: write,
            timeout: config.reply_timeout,
            extensions: Extensions::default(),
        };
        connection.expect("greeting", 220).await?;
        let ehlo = format!("EHLO {}\r\n", config.helo_name);
        connection.send(ehlo.as_bytes(), "EHLO").await?;
        let ehlo = connection.expect("EHLO", 250).await?;
        connection.extensions = Extensions::from_ehlo(&ehlo);
        Ok(connection)
    }

    /// One mail transaction on a greeted connection; afterwards the connection is ready
    /// for the next one.
    async fn transaction(&mut self, outgoing: Outgoing<'_>) -> Result<Reply, RelayError> {
        // XFORWARD, MAIL and every RCPT: one write when pipelining, else one at a time.
        let mut commands: Vec<(&'static str, Vec<u8>)> = Vec::new();
        if let Some(xforward) = xforward_command(&self.extensions, outgoing.xforward) {
            commands.push(("XFORWARD", xforward));
        }
        commands.push(("MAIL FROM", mail_command(&self.extensions, &outgoing)));
        let pipelining = self.extensions.pipelining;
        for recipient in outgoing.recipients {
            commands.push(("RCPT TO", format!("RCPT TO:<{recipient}>\r\n").into_bytes()));
        }
        // RFC 2920 lets DATA end a pipelined group.
        commands.push(("DATA", b"DATA\r\n".to_vec()));
        if pipelining {
            let batch: Vec<u8> = commands
                .iter()
                .flat_map(|(_, c)| c.iter().copied())
                .collect();
            self.send(&batch, "MAIL FROM").await?;
        }
        let mut refusal = None;
        let mut in_data = false;
        for (stage, command) in &commands {
            if !pipelining {
                self.send(command, stage).await?;
            }
            let reply = self.reply(stage).await?;
            in_data = *stage == "DATA" && reply.code / 100 == 3;
            let accepted = if *stage == "DATA" {
                in_data
            } else {
                reply.is_positive()
            };
            if !accepted && refusal.is_none() {
                refusal = Some(RelayError::Refused { stage, reply });
                if !pipelining {
                    break;
                }
            }
        }
        if let Some(refusal) = refusal {
            // Not everything was accepted: relay nothing, so that Postfix gets one honest
            // answer for the whole message. A next hop already in DATA is left by the
            // caller dropping the connection, which abandons the transaction.
            if !in_data {
                let _ = self.send(b"RSET\r\n", "RSET").await;
            }
            return Err(refusal);
        }
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
