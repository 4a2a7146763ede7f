//! The receiving side: a listener with a bounded number of sessions, and the session
//! itself — an explicit state machine ([`State`]) that checks what is allowed when, receives
//! DATA with [`DataReceiver`], and hands each complete transaction to a [`Handler`], whose
//! reply is the one the client gets.

use crate::command::{Command, MAX_COMMAND_LINE, MailParams, XFORWARD_ATTRIBUTES};
use crate::data::{BareNewline, DataError, DataReceiver, DataStatus};
use crate::io::{Line, read_line, strip_cr};
use crate::reply::Reply;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// How the server behaves; see `[filter]` in the configuration for the meaning of each.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Our name in the greeting and the EHLO reply.
    pub hostname: String,
    pub max_message_size: usize,
    pub max_recipients: usize,
    pub max_sessions: usize,
    pub bare_newline: BareNewline,
    /// Longest wait for a command line (RFC 5321 §4.5.3.2: at least 5 minutes).
    pub command_timeout: Duration,
    /// Longest wait for the next block of DATA (RFC 5321: 3 minutes).
    pub data_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            hostname: "localhost".into(),
            max_message_size: 10_240_000,
            max_recipients: 1000,
            max_sessions: 64,
            bare_newline: BareNewline::Normalize,
            command_timeout: Duration::from_secs(300),
            data_timeout: Duration::from_secs(180),
        }
    }
}

/// The envelope of one transaction, as the client gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Envelope {
    /// The HELO/EHLO name the client (Postfix) gave.
    pub helo: String,
    /// XFORWARD attributes (name, xtext value) received before MAIL: the original client.
    pub xforward: Vec<(String, String)>,
    /// The envelope sender; empty for the null sender `<>`.
    pub mail_from: String,
    pub params: MailParams,
    pub recipients: Vec<String>,
}

impl Envelope {
    /// The decoded value of an XFORWARD attribute, unless Postfix said it is unavailable.
    pub fn xforward(&self, name: &str) -> Option<String> {
        let (_, value) = self.xforward.iter().rev().find(|(n, _)| n == name)?;
        let value = crate::command::xtext_decode(value);
        (!value.starts_with("[UNAVAILABLE]") && !value.starts_with("[TEMPUNAVAIL]"))
            .then_some(value)
    }
}

/// What the server does with each accepted transaction.
pub trait Handler: Send + Sync + 'static {
    /// Takes responsibility for `message` (CRLF line ends, dot-stuffing removed) and
    /// returns the reply for the client: 250 only once the message is safe elsewhere.
    fn deliver(&self, envelope: &Envelope, message: Vec<u8>) -> impl Future<Output = Reply> + Send;
}

/// Accepts connections on `listener` until `shutdown` completes; then stops accepting and
/// waits for the sessions in flight.
pub async fn serve<H: Handler>(
    listener: TcpListener,
    config: Arc<ServerConfig>,
    handler: Arc<H>,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(config.max_sessions));
    let mut sessions = tokio::task::JoinSet::new();
    let (closing, closed) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let config = config.clone();
        let handler = handler.clone();
        let closed = closed.clone();
        match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                sessions.spawn(async move {
                    let (read, write) = stream.into_split();
                    let result = Session::new(&config, &*handler, peer, closed)
                        .run(read, write)
                        .await;
                    if let Err(error) = result {
                        tracing::debug!(%peer, %error, "session ended with an I/O error");
                    }
                    drop(slot);
                });
            }
            Err(_) => {
                sessions.spawn(async move {
                    let mut stream = stream;
                    let busy = Reply::new(421, "4.3.2", "Too many connections, try again later");
                    let _ = stream.write_all(&busy.to_wire()).await;
                });
            }
        }
        while sessions.try_join_next().is_some() {}
    }
    // Closed now, so new connections are refused at once rather than queued unanswered.
    // Sessions go on; those still waiting for a command after IDLE_GRACE are told to come
    // back later (a message being received is finished first). The grace lets a client
    // that connected just before the stop finish its transaction.
    drop(listener);
    let close_idle = async {
        tokio::time::sleep(IDLE_GRACE).await;
        let _ = closing.send(true);
        std::future::pending::<()>().await
    };
    tokio::select! {
        () = async { while sessions.join_next().await.is_some() {} } => {}
        () = close_idle => {}
    }
    Ok(())
}

/// How long sessions may go on after the server stops before those waiting for a command
/// are closed with 421.
const IDLE_GRACE: Duration = Duration::from_secs(3);

/// The reply to a client waiting between commands when the server stops: Postfix keeps the
/// mail and tries again.
fn shutting_down() -> Reply {
    Reply::new(421, "4.3.2", "Service shutting down, try again later")
}

/// Resolves once the server stops.
async fn server_closed(closed: &mut watch::Receiver<bool>) {
    let _ = closed.wait_for(|closed| *closed).await;
}

/// The reply before closing a session whose client went quiet.
fn timed_out() -> Reply {
    Reply::new(421, "4.4.2", "Error: timeout exceeded")
}

/// Sends a last reply; the session ends.
async fn close_with(writer: &mut (impl AsyncWrite + Unpin), reply: Reply) -> io::Result<()> {
    writer.write_all(&reply.to_wire()).await?;
    writer.flush().await
}

/// Where a session is in the protocol.
#[derive(Debug)]
enum State {
    /// Connected; no HELO/EHLO yet.
    Connected,
    /// Greeted; no transaction open.
    Greeted,
    /// MAIL accepted; collecting recipients.
    Transaction(Envelope),
}

/// What to do after a command.
enum Next {
    Continue,
    /// Receive DATA for this envelope.
    Data(Envelope),
    Close,
}

struct Session<'a, H> {
    config: &'a ServerConfig,
    handler: &'a H,
    peer: SocketAddr,
    state: State,
    helo: String,
    xforward: Vec<(String, String)>,
    /// Turns true when the server stops.
    closed: watch::Receiver<bool>,
}

impl<'a, H: Handler> Session<'a, H> {
    fn new(
        config: &'a ServerConfig,
        handler: &'a H,
        peer: SocketAddr,
        closed: watch::Receiver<bool>,
    ) -> Self {
        Self {
            config,
            handler,
            peer,
            state: State::Connected,
            helo: String::new(),
            xforward: Vec::new(),
            closed,
        }
    }

    /// Runs the session until QUIT, a fatal error or the client's disconnection.
    pub async fn run(
        mut self,
        read: impl AsyncRead + Unpin,
        write: impl AsyncWrite + Unpin,
    ) -> io::Result<()> {
        let mut reader = BufReader::with_capacity(64 << 10, read);
        let mut writer = BufWriter::with_capacity(16 << 10, write);
        let greeting = Reply::new(
            220,
            "",
            &format!("{} ESMTP postwarden", self.config.hostname),
        );
        writer.write_all(&greeting.to_wire()).await?;
        loop {
            // Replies to pipelined commands go out together, when the client waits.
            if reader.buffer().is_empty() {
                writer.flush().await?;
            }
            let read = tokio::select! {
                // A command already sent is answered before the server's own closing.
                biased;
                read = read_line(&mut reader, MAX_COMMAND_LINE, self.config.command_timeout) => Some(read),
                () = server_closed(&mut self.closed) => None,
            };
            let Some(read) = read else {
                return close_with(&mut writer, shutting_down()).await;
            };
            let line = match read {
                Ok(Line::Complete(line)) => line,
                Ok(Line::TooLong) => {
                    writer
                        .write_all(&Reply::new(500, "5.5.2", "Error: line too long").to_wire())
                        .await?;
                    continue;
                }
                Ok(Line::Closed) => return Ok(()),
                Err(error) if error.kind() == io::ErrorKind::TimedOut => {
                    return close_with(&mut writer, timed_out()).await;
                }
                Err(error) => return Err(error),
            };
            let (reply, next) = match Command::parse(strip_cr(&line)) {
                Ok(command) => self.command(command),
                Err(error) => (error.reply, Next::Continue),
            };
            if matches!(next, Next::Data(_)) && !reader.buffer().is_empty() {
                // RFC 2920: DATA ends a pipelined group; a client that sends the message
                // before our 354 is not speaking SMTP (smtpsmug's pipelining test).
                // Postfix drops such clients too.
                let reply = Reply::new(554, "5.5.0", "Error: SMTP protocol synchronization");
                return close_with(&mut writer, reply).await;
            }
            writer.write_all(&reply.to_wire()).await?;
            match next {
                Next::Continue => {}
                Next::Close => return writer.flush().await,
                Next::Data(envelope) => {
                    writer.flush().await?;
                    let reply = match self.data(&mut reader, envelope).await {
                        Ok(Some(reply)) => reply,
                        // The client left mid-DATA: nothing was delivered.
                        Ok(None) => return Ok(()),
                        Err(error) if error.kind() == io::ErrorKind::TimedOut => {
                            return close_with(&mut writer, timed_out()).await;
                        }
                        Err(error) => return Err(error),
                    };
                    writer.write_all(&reply.to_wire()).await?;
                }
            }
        }
    }

    /// Handles one parsed command: its reply and what comes next.
    fn command(&mut self, command: Command) -> (Reply, Next) {
        let ok = || Reply::new(250, "2.0.0", "Ok");
        match (command, &mut self.state) {
            (Command::Quit, _) => (Reply::new(221, "2.0.0", "Bye"), Next::Close),
            (Command::Noop, _) => (ok(), Next::Continue),
            (Command::Rset, state) => {
                if !matches!(state, State::Connected) {
                    *state = State::Greeted;
                }
                self.xforward.clear();
                (ok(), Next::Continue)
            }
            (Command::Helo(name), _) => {
                self.start(name);
                (Reply::new(250, "", &self.config.hostname), Next::Continue)
            }
            (Command::Ehlo(name), _) => {
                self.start(name);
                (self.ehlo_reply(), Next::Continue)
            }
            (Command::Vrfy, _) => (Reply::new(252, "2.0.0", "Cannot VRFY user"), Next::Continue),
            (Command::Help, _) => (Reply::new(214, "2.0.0", "See RFC 5321"), Next::Continue),
            (Command::Starttls, _) => (
                Reply::new(502, "5.5.1", "Error: STARTTLS not offered"),
                Next::Continue,
            ),
            (_, State::Connected) => (
                Reply::new(503, "5.5.1", "Error: send HELO/EHLO first"),
                Next::Continue,
            ),
            (Command::Xforward(_), State::Transaction(_)) => (
                Reply::new(
                    503,
                    "5.5.1",
                    "Error: XFORWARD not allowed in a mail transaction",
                ),
                Next::Continue,
            ),
            (Command::Xforward(attributes), _) => {
                self.xforward.extend(attributes);
                (ok(), Next::Continue)
            }
            (Command::Mail { .. }, State::Transaction(_)) => (
                Reply::new(503, "5.5.1", "Error: nested MAIL command"),
                Next::Continue,
            ),
            (Command::Mail { from, params }, state) => {
                if params
                    .size
                    .is_some_and(|size| size > self.config.max_message_size as u64)
                {
                    let reply = Reply::new(552, "5.3.4", "Message size exceeds fixed limit");
                    return (reply, Next::Continue);
                }
                *state = State::Transaction(Envelope {
                    helo: self.helo.clone(),
                    xforward: std::mem::take(&mut self.xforward),
                    mail_from: from,
                    params,
                    recipients: Vec::new(),
                });
                (ok(), Next::Continue)
            }
            (Command::Rcpt { .. } | Command::Data, State::Greeted) => (
                Reply::new(503, "5.5.1", "Error: need MAIL command"),
                Next::Continue,
            ),
            (Command::Rcpt { to }, State::Transaction(envelope)) => {
                if !envelope.params.smtputf8 && !to.is_ascii() {
                    let reply =
                        Reply::new(553, "5.6.7", "Error: non-ASCII address without SMTPUTF8");
                    return (reply, Next::Continue);
                }
                if envelope.recipients.len() >= self.config.max_recipients {
                    return (
                        Reply::new(452, "4.5.3", "Error: too many recipients"),
                        Next::Continue,
                    );
                }
                envelope.recipients.push(to);
                (ok(), Next::Continue)
            }
            (Command::Data, State::Transaction(envelope)) if envelope.recipients.is_empty() => (
                Reply::new(554, "5.5.1", "Error: no valid recipients"),
                Next::Continue,
            ),
            (Command::Data, state) => {
                let State::Transaction(envelope) = std::mem::replace(state, State::Greeted) else {
                    unreachable!("matched above")
                };
                (
                    Reply::new(354, "", "End data with <CR><LF>.<CR><LF>"),
                    Next::Data(envelope),
                )
            }
        }
    }

    /// HELO/EHLO: a new session state, as RFC 5321 §4.1.4 asks (like RSET).
    fn start(&mut self, name: String) {
        self.helo = name;
        self.state = State::Greeted;
    }

    fn ehlo_reply(&self) -> Reply {
        Reply::multiline(
            250,
            vec![
                self.config.hostname.clone(),
                "PIPELINING".into(),
                format!("SIZE {}", self.config.max_message_size),
                "8BITMIME".into(),
                "SMTPUTF8".into(),
                "ENHANCEDSTATUSCODES".into(),
                format!("XFORWARD {}", XFORWARD_ATTRIBUTES.join(" ")),
            ],
        )
    }

    /// Receives DATA and returns the reply for it; `None` if the client disconnected.
    async fn data(
        &mut self,
        reader: &mut BufReader<impl AsyncRead + Unpin>,
        envelope: Envelope,
    ) -> io::Result<Option<Reply>> {
        let mut receiver =
            DataReceiver::new(self.config.bare_newline, self.config.max_message_size);
        loop {
            let buffer = tokio::time::timeout(self.config.data_timeout, reader.fill_buf())
                .await
                .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "timed out in DATA"))??;
            if buffer.is_empty() {
                tracing::info!(peer = %self.peer, "client disconnected in DATA; nothing delivered");
                return Ok(None);
            }
            let status = receiver.feed(buffer);
            let taken = match status {
                DataStatus::More => buffer.len(),
                DataStatus::Done { consumed } => consumed,
            };
            reader.consume(taken);
            if let DataStatus::Done { .. } = status {
                break;
            }
        }
        let reply = match receiver.finish() {
            Ok(message) => self.handler.deliver(&envelope, message).await,
            Err(DataError::TooBig { .. }) => {
                Reply::new(552, "5.3.4", "Message size exceeds fixed limit")
            }
            Err(DataError::BareNewline) => Reply::new(550, "5.5.2", "Error: bare <LF> received"),
        };
        Ok(Some(reply))
    }
}
