//! The filter before the queue: the same processors and policy as [`Filter`], called by
//! Postfix's smtpd as a milter (`smtpd_milters`), so a verdict is a reply in the sending
//! client's own session — a reject is a 5xx the sender sees, never a bounce (no backscatter).
//! The milter protocol itself is miltr-server's (MIT); this module is the session: it
//! collects the connection, envelope, headers and body, then at the end of the message asks
//! the filter and answers.
//!
//! How the verdicts become milter answers (one copy of the message goes on, so differences
//! between recipients are settled here):
//!
//! | verdicts | answer |
//! |---|---|
//! | any `tempfail` | 451 in the session: the client retries |
//! | every recipient `reject` | 554 with our reason and ref id in the session |
//! | some `reject` or `quarantine`, others delivered | those recipients are removed from the copy and the message kept in our quarantine for them (releasable: no copy a recipient should get is lost, and no bounce goes to a possibly forged sender) |
//! | every recipient `quarantine` (or `reject` mixed with `quarantine`) | our quarantine, then `discard` (Postfix's own hold would keep it where our console and release cannot reach) |
//! | `discard` | the recipient removed; all of them: `discard` |
//! | `forward` | the recipient replaced by the forward addresses |
//! | `pass`, `tag` | accepted, our headers added (`X-Postwarden-*`, `Authentication-Results`, for `tag` `X-Spam-Flag`, `X-Spam-Score` and the subject prefix); with recipients of both, the copy is tagged |
//!
//! A recipient the lists (and the recipient's own block list) would reject is refused at RCPT
//! already (550), so the client learns it before sending the message.
//!
//! A message larger than `[milter] max_message_size` is refused with 552 (the processors
//! would not see it whole); the message record and events are written as the filter's.
//!
//! Connections that misbehave: the protocol library answers a malformed or oversized packet
//! by closing the connection (Postfix then applies `milter_default_action`, tempfail), a
//! client silent for `[milter] idle_timeout` is dropped, and on shutdown every message
//! under way is answered before its connection ends (see [`stream`]).

use crate::filter::{Filter, Outcome, ascii};
use crate::headers::{Marking, additions, header_safe, removals};
use crate::policy::Decision;
use async_trait::async_trait;
use miltr_common::actions::{Action as MilterAction, Continue, Discard, Replycode};
use miltr_common::commands::{Body, Connect, Header, Helo, Macro, Mail, Recipient};
use miltr_common::modifications::ModificationResponse;
use miltr_common::modifications::headers::{AddHeader, ChangeHeader, InsertHeader};
use miltr_common::modifications::recipients::{AddRecipient, DeleteRecipient};
use miltr_server::{Milter, Server};
use postwarden_core::{Action, Finding};
use postwarden_smtp::Reply;
use postwarden_smtp::server::Envelope;
use std::sync::Arc;
use std::time::Instant;
use tokio_util::compat::TokioAsyncReadCompatExt;
use tokio_util::sync::CancellationToken;

mod stream;
use postwarden_core::config::MilterConfig;
use stream::{Busy, Guarded};

/// One milter connection: what Postfix told of the client, and the message under way.
pub struct Session {
    filter: Arc<Filter>,
    max_size: usize,
    client_addr: Option<String>,
    client_name: Option<String>,
    helo: Option<String>,
    queue_id: Option<String>,
    mail_from: String,
    recipients: Vec<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    size: usize,
    busy: Busy,
}

/// A milter session that cannot go on (the protocol library reports it and closes).
#[derive(Debug, thiserror::Error)]
#[error("milter session: {0}")]
pub struct SessionError(String);

impl Session {
    pub fn new(filter: Arc<Filter>, max_size: usize) -> Self {
        Self::with_busy(filter, max_size, Busy::default())
    }

    fn with_busy(filter: Arc<Filter>, max_size: usize, busy: Busy) -> Self {
        Self {
            filter,
            max_size,
            client_addr: None,
            client_name: None,
            helo: None,
            queue_id: None,
            mail_from: String::new(),
            recipients: Vec::new(),
            headers: Vec::new(),
            body: Vec::new(),
            size: 0,
            busy,
        }
    }

    /// Forgets the message (a new MAIL FROM, an abort), keeping the connection's facts.
    fn reset(&mut self) {
        self.busy.set(false);
        self.mail_from.clear();
        self.recipients.clear();
        self.headers.clear();
        self.body.clear();
        self.size = 0;
    }

    fn envelope(&self) -> Envelope {
        let mut xforward = Vec::new();
        for (name, value) in [
            ("ADDR", &self.client_addr),
            ("NAME", &self.client_name),
            ("HELO", &self.helo),
        ] {
            if let Some(value) = value {
                xforward.push((name.to_string(), value.clone()));
            }
        }
        Envelope {
            helo: self.helo.clone().unwrap_or_default(),
            xforward,
            mail_from: self.mail_from.clone(),
            recipients: self.recipients.clone(),
            ..Envelope::default()
        }
    }

    /// The message as the content filter would have received it: headers, empty line,
    /// body, CRLF line ends; a Received-like first line is not invented.
    fn message(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.size + 2);
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(crlf(value).as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }

    async fn verdict(&mut self) -> ModificationResponse {
        // The record's duration is what the milter adds to the session: from the end of
        // the message to our answer.
        let started = Instant::now();
        let envelope = self.envelope();
        if self.size > self.max_size {
            return reply(
                552,
                [5, 3, 4],
                &format!(
                    "Message too big for the content scan (limit {} octets)",
                    self.max_size
                ),
            );
        }
        let message = self.message();
        let judged = match self.filter.judge(&envelope, message).await {
            Ok(judged) => judged,
            Err((id, facts, error)) => {
                tracing::warn!(%id, %error, "processor failed; message deferred in the session");
                let text = format!("Temporary failure in content scan, try again later (ref {id})");
                let outcome = Outcome {
                    id,
                    findings: Vec::new(),
                    decisions: Vec::new(),
                    reply: Reply::new(451, "4.7.1", &text),
                    facts,
                };
                self.record(&envelope, outcome, started).await;
                return reply(451, [4, 7, 1], &text);
            }
        };
        let (answer, reply) = self.answer(&judged).await;
        let outcome = Outcome {
            id: judged.id,
            findings: judged.findings,
            decisions: judged.decisions,
            reply,
            facts: judged.facts,
        };
        self.record(&envelope, outcome, started).await;
        answer
    }

    /// The milter answer for `judged` and the reply to record (see the module's table).
    async fn answer(&self, judged: &crate::filter::Judged) -> (ModificationResponse, Reply) {
        let id = &judged.id;
        let decisions = &judged.decisions;
        let tempfail = |what: &str| {
            let text = format!("{what}, try again later (ref {id})");
            (
                reply(451, [4, 3, 0], &text),
                Reply::new(451, "4.3.0", &text),
            )
        };
        if decisions.iter().any(|(_, d)| d.action == Action::Tempfail) {
            return tempfail("Message deferred by policy");
        }
        if let Some((_, rejected)) = decisions.iter().find(|(_, d)| d.action == Action::Reject)
            && decisions.iter().all(|(_, d)| d.action == Action::Reject)
        {
            let text = format!(
                "Rejected: {} (ref {id})",
                ascii(&header_safe(&rejected.reason, 200))
            );
            return (
                reply(554, [5, 7, 1], &text),
                Reply::new(554, "5.7.1", &text),
            );
        }
        let held: Vec<&(String, Decision)> = decisions
            .iter()
            .filter(|(_, d)| matches!(d.action, Action::Quarantine | Action::Reject))
            .collect();
        if !held.is_empty()
            && let Err(error) = self.filter.hold(id, &judged.scanned, &held).await
        {
            tracing::error!(%id, %error, "quarantining failed; message deferred in the session");
            return tempfail("Quarantine unavailable");
        }
        let delivered: Vec<&(String, Decision)> = decisions
            .iter()
            .filter(|(_, d)| matches!(d.action, Action::Pass | Action::Tag | Action::Forward))
            .collect();
        let accepted = Reply::new(250, "2.0.0", &format!("Ok: filtered as {id}"));
        if delivered.is_empty() {
            return (ModificationResponse::builder().build(Discard), accepted);
        }
        let mut builder = ModificationResponse::builder();
        for (recipient, decision) in decisions {
            match decision.action {
                Action::Pass | Action::Tag => {}
                Action::Forward if !decision.rules.forward_to.is_empty() => {
                    builder.push(DeleteRecipient::new(angle(recipient).as_bytes()));
                    for target in &decision.rules.forward_to {
                        builder.push(AddRecipient::new(angle(target).as_bytes()));
                    }
                }
                Action::Forward => {}
                Action::Quarantine | Action::Reject | Action::Discard | Action::Tempfail => {
                    builder.push(DeleteRecipient::new(angle(recipient).as_bytes()));
                }
            }
        }
        // One copy goes on: marked as the strongest of its recipients' verdicts.
        let (_, copy) = delivered
            .iter()
            .max_by(|a, b| {
                a.1.action
                    .cmp(&b.1.action)
                    .then(a.1.score.total_cmp(&b.1.score))
            })
            .copied()
            .unwrap_or(delivered[0]);
        let concerning: Vec<&Finding> = copy
            .concerning
            .iter()
            .map(|&i| &judged.findings[i])
            .collect();
        let marking = Marking {
            id,
            action: copy.action,
            score: copy.score,
            findings: &concerning,
            subject_prefix: copy.rules.subject_prefix.as_deref(),
            authserv_id: Some(self.filter.authserv_id()),
            authentication_results: judged.facts.authentication_results.as_deref(),
        };
        for (name, index) in removals(&judged.scanned.headers, Some(self.filter.authserv_id())) {
            builder.push(ChangeHeader::new(index, name.as_bytes(), b""));
        }
        for (name, value) in additions(&marking).into_iter().rev() {
            builder.push(InsertHeader::new(0, name.as_bytes(), value.as_bytes()));
        }
        if copy.action == Action::Tag
            && let Some(prefix) = marking.subject_prefix
        {
            let prefix = header_safe(prefix, 64);
            match judged.scanned.header("Subject") {
                Some(subject) => builder.push(ChangeHeader::new(
                    1,
                    b"Subject",
                    format!("{prefix} {subject}").as_bytes(),
                )),
                None => builder.push(AddHeader::new(b"Subject", prefix.as_bytes())),
            }
        }
        (builder.build(Continue), accepted)
    }

    /// Writes the message record and events, with Postfix's queue id from the macros.
    async fn record(&self, envelope: &Envelope, mut outcome: Outcome, started: Instant) {
        if outcome.facts.queue_id.is_none() {
            outcome.facts.queue_id = self.queue_id.clone();
        }
        crate::filter::count(&outcome);
        self.filter.record(envelope, &outcome, started).await;
    }
}

#[async_trait]
impl Milter for Session {
    type Error = SessionError;

    async fn macro_(&mut self, macros: Macro) -> Result<(), Self::Error> {
        for (name, value) in macros.macros() {
            let value = String::from_utf8_lossy(value).into_owned();
            match name {
                b"i" => self.queue_id = Some(value),
                b"{client_addr}" => self.client_addr = Some(value),
                b"{client_name}" => self.client_name = Some(value),
                _ => {}
            }
        }
        Ok(())
    }

    async fn connect(&mut self, connect: Connect) -> Result<MilterAction, Self::Error> {
        self.client_name = Some(connect.hostname().into_owned());
        let address = connect.address().into_owned();
        if !address.is_empty() {
            self.client_addr = Some(address);
        }
        Ok(Continue.into())
    }

    async fn helo(&mut self, helo: Helo) -> Result<MilterAction, Self::Error> {
        self.helo = Some(helo.helo().into_owned());
        Ok(Continue.into())
    }

    async fn mail(&mut self, mail: Mail) -> Result<MilterAction, Self::Error> {
        self.reset();
        self.busy.set(true);
        self.mail_from = unangle(&mail.sender());
        Ok(Continue.into())
    }

    async fn rcpt(&mut self, recipient: Recipient) -> Result<MilterAction, Self::Error> {
        let recipient = unangle(&recipient.recipient());
        if let Some(reason) = self
            .filter
            .refused_at_rcpt(&self.envelope(), &recipient)
            .await
        {
            let text = format!("Recipient refused: {}", ascii(&header_safe(&reason, 200)));
            return Ok(Replycode::new([5, 5, 0], [5, 7, 1], &text).into());
        }
        self.recipients.push(recipient);
        Ok(Continue.into())
    }

    async fn header(&mut self, header: Header) -> Result<MilterAction, Self::Error> {
        let (name, value) = (header.name().into_owned(), header.value().into_owned());
        self.size += name.len() + value.len() + 4;
        if self.size <= self.max_size {
            self.headers.push((name, value));
        }
        Ok(Continue.into())
    }

    async fn body(&mut self, body: Body) -> Result<MilterAction, Self::Error> {
        let chunk = body.as_bytes();
        self.size += chunk.len();
        if self.size <= self.max_size {
            self.body.extend_from_slice(chunk);
        }
        Ok(Continue.into())
    }

    async fn end_of_body(&mut self) -> Result<ModificationResponse, Self::Error> {
        let answer = self.verdict().await;
        self.reset();
        Ok(answer)
    }

    async fn abort(&mut self) -> Result<(), Self::Error> {
        self.reset();
        Ok(())
    }
}

/// Serves milter connections from `listener` until `shutdown`; then no connection is taken,
/// every message under way is answered, and each connection ends at its next message (which
/// Postfix then defers: `milter_default_action = tempfail`).
pub async fn serve(
    listener: Listener,
    filter: Arc<Filter>,
    config: &MilterConfig,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let (max_size, idle) = (config.max_message_size, config.idle_timeout);
    let drain = CancellationToken::new();
    let mut sessions = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok(stream) => stream,
            Err(error) => {
                tracing::warn!(%error, "milter: accepting a connection failed");
                continue;
            }
        };
        let filter = filter.clone();
        let drain = drain.clone();
        sessions.spawn(async move {
            let busy = Busy::default();
            let mut session = Session::with_busy(filter, max_size, busy.clone());
            let mut server = Server::default_postfix(&mut session);
            let result = match stream {
                Stream::Tcp(stream) => {
                    let stream = Guarded::new(stream, busy, &drain, idle);
                    server.handle_connection(stream.compat()).await
                }
                Stream::Unix(stream) => {
                    let stream = Guarded::new(stream, busy, &drain, idle);
                    server.handle_connection(stream.compat()).await
                }
            };
            if let Err(error) = result {
                tracing::debug!(%error, "milter connection ended");
            }
        });
        while let Some(ended) = sessions.try_join_next() {
            reap(ended);
        }
    }
    drain.cancel();
    while let Some(ended) = sessions.join_next().await {
        reap(ended);
    }
}

/// A session task's end: a panic is a bug to hear of (its connection is gone, and Postfix
/// applied `milter_default_action` to the client).
fn reap(ended: Result<(), tokio::task::JoinError>) {
    if let Err(error) = ended
        && error.is_panic()
    {
        tracing::error!(%error, "milter session panicked; its client was deferred");
    }
}

/// Where the milter listens: TCP or a unix socket.
pub enum Listener {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener),
}

enum Stream {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

impl Listener {
    /// Binds `listen` (`host:port` or `unix:/path`; an old socket file is replaced, its
    /// mode set to `mode` when given).
    pub async fn bind(listen: &str, mode: Option<u32>) -> std::io::Result<Self> {
        match listen.strip_prefix("unix:") {
            Some(path) => {
                let _ = std::fs::remove_file(path);
                let listener = tokio::net::UnixListener::bind(path)?;
                if let Some(mode) = mode {
                    use std::os::unix::fs::PermissionsExt;
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
                }
                Ok(Self::Unix(listener))
            }
            None => Ok(Self::Tcp(tokio::net::TcpListener::bind(listen).await?)),
        }
    }

    /// The TCP address, if TCP.
    pub fn local_addr(&self) -> Option<std::net::SocketAddr> {
        match self {
            Self::Tcp(listener) => listener.local_addr().ok(),
            Self::Unix(_) => None,
        }
    }

    async fn accept(&self) -> std::io::Result<Stream> {
        match self {
            Self::Tcp(listener) => listener.accept().await.map(|(s, _)| Stream::Tcp(s)),
            Self::Unix(listener) => listener.accept().await.map(|(s, _)| Stream::Unix(s)),
        }
    }
}

fn reply(code: u16, enhanced: [u16; 3], text: &str) -> ModificationResponse {
    let digits = [
        (code / 100) as u8,
        (code / 10 % 10) as u8,
        (code % 10) as u8,
    ];
    ModificationResponse::builder().build(Replycode::new(digits, enhanced, &ascii(text)))
}

/// `<address>` for the milter's recipient changes.
fn angle(address: &str) -> String {
    format!("<{}>", address.trim_matches(['<', '>']))
}

/// The address without angle brackets (`<>` is the null sender).
fn unangle(address: &str) -> String {
    address
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string()
}

/// CRLF for the bare LFs of a folded header value as the MTA passes it.
fn crlf(value: &str) -> String {
    value.replace("\r\n", "\n").replace('\n', "\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_folded_values_are_normalised() {
        assert_eq!(unangle("<a@b.example>"), "a@b.example");
        assert_eq!(unangle("<>"), "");
        assert_eq!(angle("a@b.example"), "<a@b.example>");
        assert_eq!(crlf("a\n\tb\r\n\tc"), "a\r\n\tb\r\n\tc");
        assert_eq!(ascii("Grüße\r\n"), "Gr??e??");
    }
}
