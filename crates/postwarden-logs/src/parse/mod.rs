//! The pure Postfix log-line parser: bytes in, a classified [`Record`] out, no I/O.
//!
//! # Shape of a line
//!
//! ```text
//! Nov 21 23:56:43 mx1 postfix/submission/smtpd[4242]: warning: unknown[192.0.2.7]: SASL LOGIN authentication failed: UGFzc3dvcmQ6
//! 2026-11-21T23:56:43.123456+01:00 mx1 postfix/qmgr[900]: 3F2A81C0B4: removed
//! └─ timestamp ─────────────────┘ └host┘ └service─┘└pid┘ └─ message ───────────┘
//! ```
//!
//! [`parse_line`] splits the header (timestamp, host, service, optional `[pid]`), takes an
//! optional queue id (`3F2A81C0B4:`, long ids, or `NOQUEUE:`) off the message, and then
//! dispatches on the first byte of what is left to a handful of `starts_with` checks. Each
//! classifier reads the fields of its line shape directly (`memchr` for delimiters, `memmem`
//! with prebuilt finders for the few inner phrases); there is no regex and no allocation on
//! this path: every text field of the [`Record`] borrows from the input line.
//!
//! # Decisions worth knowing
//!
//! * **Time.** Traditional syslog stamps (`Nov  1 02:03:04`) have no year: the year is the
//!   latest one that does not put the line more than a day after [`ParseContext`]'s reference
//!   time, reading the wall clock in the configured [`Zone`]. Wall times in a DST gap use the
//!   offset before the gap; in a fold, the earlier instant. RFC 3339 stamps (Postfix
//!   `maillog_file`, rsyslog high precision) carry their offset and ignore the zone. The
//!   context caches the last stamp (and the year/offset of the last wall-clock hour), so the
//!   common case is a 15-byte comparison.
//! * **Client IP** comes only from the `name[ip]` / `[ip]:port` form at the position where the
//!   line shape puts the client, never from other IP-looking text (`Client host [1.2.3.4]
//!   blocked …`, or the relay of a delivery line, which is not a client).
//! * **Zero copy, byte first.** The message is classified as bytes; each field is checked
//!   as UTF-8 on its own, so one bad byte in a reject reason leaves that field `None` but
//!   still yields the kind, IP and the other fields. (The line after the timestamp is
//!   validated once; a field inside its valid prefix is then sliced from it with an O(1)
//!   char-boundary check, which gives the same answer as `str::from_utf8` on the field.) Header fields (host,
//!   service) must be UTF-8 or the line is [`Unparsed::NotUtf8`].
//! * **Unparsed vs Other.** A line that is not from a `postfix…` service, has no timestamp
//!   or is cut inside its header is [`Unparsed`]. A Postfix line whose message is not one of
//!   the known shapes is `Ok` with [`Kind::Other`] (and the text in [`Detail::Text`]).
//! * **`abusive`** means "this line shows the client at `ip` misbehaving": an auth failure,
//!   a reject (except a temporary 4xx reject whose reason class is `other`, e.g.
//!   greylisting), a `reject_warning` is not; improper pipelining; a non-SMTP command;
//!   illegal address syntax; rate/concurrency limits; too many errors; a lost connection or
//!   timeout after `CONNECT`, `HELO`, `EHLO`, `STARTTLS`, `AUTH` or an unknown command (a
//!   mail server that means to deliver does not drop there; after `MAIL`, `RCPT`, `DATA`,
//!   `END-OF-MESSAGE`, `QUIT` … it is network noise); a disconnect whose statistics show a
//!   failed AUTH (`auth=0/1`); postscreen PREGREET, HANGUP, DNSBL, COMMAND …, NON-SMTP
//!   COMMAND, BARE NEWLINE and denylisted. Not abusive: the auth server outage
//!   ([`Kind::AuthServerLost`]), TLS handshake errors (scanners and old clients alike),
//!   connects, passes, deliveries and the rest.
//! * **Length.** Lines over [`MAX_LINE`] bytes are refused as [`Unparsed::TooLong`] before
//!   any other work.

mod classify;
mod json;
mod time;

use std::net::IpAddr;

use chrono::{DateTime, FixedOffset};

pub use time::{ParseContext, Zone, ZoneError};

/// Longest line the parser looks at (64 KiB); longer ones are [`Unparsed::TooLong`].
pub const MAX_LINE: usize = 64 * 1024;

/// One classified Postfix log line. Every text field borrows from the input line.
#[derive(Debug, Clone, PartialEq)]
pub struct Record<'a> {
    /// When the line was logged, with the offset it was read in.
    pub time: DateTime<FixedOffset>,
    /// The syslog host name.
    pub host: &'a str,
    /// The Postfix service, e.g. `postfix/submission/smtpd`, `postfix-out/smtpd`.
    pub service: &'a str,
    /// The process id in `[pid]`, when present.
    pub pid: Option<u32>,
    /// The queue id (`3F2A81C0B4`, or a long id); `None` for `NOQUEUE` and session lines.
    pub queue_id: Option<&'a str>,
    /// What the line says.
    pub kind: Kind,
    /// Whether the line shows the client at `ip` misbehaving (see the module docs).
    pub abusive: bool,
    /// The SMTP client's address, only from its `name[ip]` / `[ip]:port` form.
    pub ip: Option<IpAddr>,
    /// The client's port, when logged as `[ip]:port`.
    pub port: Option<u16>,
    /// The client's name from `name[ip]` (`unknown` when it has no verified name).
    pub client_name: Option<&'a str>,
    /// The SASL user name (`sasl_username=`), when logged.
    pub user: Option<&'a str>,
    /// Fields that belong to the kind.
    pub detail: Detail<'a>,
}

/// Kind-specific fields of a [`Record`].
#[derive(Debug, Clone, PartialEq)]
pub enum Detail<'a> {
    /// Nothing beyond the common fields.
    None,
    /// Free text: warnings, errors, TLS errors, unclassified lines.
    Text { text: Option<&'a str> },
    /// SASL: failures, the auth-server outage and successful logins.
    Auth {
        /// `LOGIN`, `PLAIN`, `CRAM-MD5`, … as logged.
        mechanism: Option<&'a str>,
        /// The failure reason (may be empty, or base64 such as `UGFzc3dvcmQ6`).
        reason: Option<&'a str>,
        /// `sasl_sender=` on a successful login.
        sender: Option<&'a str>,
    },
    /// `reject:`, `milter-reject:` and `reject_warning:`.
    Reject {
        stage: Stage,
        /// The SMTP reply code (`554`); milter rejects often log only the enhanced code.
        code: Option<u16>,
        /// The enhanced status code (`5.7.1`).
        enhanced: Option<&'a str>,
        class: RejectClass,
        /// The DNS list named in `blocked using LIST`.
        rbl: Option<&'a str>,
        /// The reply text after the codes.
        reason: Option<&'a str>,
        from: Option<&'a str>,
        to: Option<&'a str>,
        helo: Option<&'a str>,
        proto: Option<&'a str>,
    },
    /// Lost connection, timeout, too many errors, improper pipelining, non-SMTP command.
    Stage {
        stage: Stage,
        /// What followed, e.g. the offending command for non-SMTP / pipelining.
        text: Option<&'a str>,
    },
    /// `disconnect from …` with the command statistics.
    Disconnect {
        /// `auth=ok/attempted` (`auth=1` means one of one).
        auth: Option<Counter>,
        /// `commands=ok/total`.
        commands: Option<Counter>,
        /// The whole statistics text, e.g. `ehlo=1 auth=0/1 commands=1/2`.
        stats: Option<&'a str>,
    },
    /// cleanup's `message-id=<…>`.
    MessageId { message_id: Option<&'a str> },
    /// qmgr's `from=<…>, size=…, nrcpt=…`: the message entered the active queue.
    Received {
        from: Option<&'a str>,
        size: Option<u64>,
        nrcpt: Option<u32>,
    },
    /// A delivery attempt's result (`to=<…>, relay=…, …, status=…`), or qmgr's expiry.
    Delivery {
        to: Option<&'a str>,
        orig_to: Option<&'a str>,
        /// The next hop, e.g. `mx.example.com[198.51.100.7]:25` (never the client).
        relay: Option<&'a str>,
        delay: Option<f64>,
        delays: Option<&'a str>,
        dsn: Option<&'a str>,
        status: DeliveryStatus,
        /// The parenthesised text after the status.
        text: Option<&'a str>,
    },
    /// A postscreen event.
    Postscreen {
        /// `after EHLO`, for the command events.
        stage: Option<Stage>,
        /// `DNSBL rank N`, or the byte count of a PREGREET.
        rank: Option<u32>,
        text: Option<&'a str>,
    },
}

/// `ok/total` from the disconnect statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counter {
    pub ok: u32,
    pub total: u32,
}

/// The SMTP stage a line refers to (`… after AUTH`, `reject: RCPT from …`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Connect,
    Helo,
    Ehlo,
    Starttls,
    Auth,
    Mail,
    Rcpt,
    Data,
    Bdat,
    EndOfMessage,
    Vrfy,
    Etrn,
    Quit,
    Rset,
    Noop,
    /// An unrecognised command (`after UNKNOWN`).
    Unknown,
    /// cleanup `header_checks`.
    Header,
    /// cleanup `body_checks`.
    Body,
    /// Anything else.
    Other,
}

impl Stage {
    /// The stage as Postfix writes it (`END-OF-MESSAGE`), `OTHER` for [`Stage::Other`].
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Connect => "CONNECT",
            Stage::Helo => "HELO",
            Stage::Ehlo => "EHLO",
            Stage::Starttls => "STARTTLS",
            Stage::Auth => "AUTH",
            Stage::Mail => "MAIL",
            Stage::Rcpt => "RCPT",
            Stage::Data => "DATA",
            Stage::Bdat => "BDAT",
            Stage::EndOfMessage => "END-OF-MESSAGE",
            Stage::Vrfy => "VRFY",
            Stage::Etrn => "ETRN",
            Stage::Quit => "QUIT",
            Stage::Rset => "RSET",
            Stage::Noop => "NOOP",
            Stage::Unknown => "UNKNOWN",
            Stage::Header => "header",
            Stage::Body => "body",
            Stage::Other => "OTHER",
        }
    }

    /// Reads a stage word as Postfix logs it.
    pub fn from_bytes(b: &[u8]) -> Stage {
        match b {
            b"CONNECT" => Stage::Connect,
            b"HELO" => Stage::Helo,
            b"EHLO" => Stage::Ehlo,
            b"STARTTLS" => Stage::Starttls,
            b"AUTH" => Stage::Auth,
            b"MAIL" => Stage::Mail,
            b"RCPT" => Stage::Rcpt,
            b"DATA" => Stage::Data,
            b"BDAT" => Stage::Bdat,
            b"END-OF-MESSAGE" => Stage::EndOfMessage,
            b"VRFY" => Stage::Vrfy,
            b"ETRN" => Stage::Etrn,
            b"QUIT" => Stage::Quit,
            b"RSET" => Stage::Rset,
            b"NOOP" => Stage::Noop,
            b"UNKNOWN" => Stage::Unknown,
            b"header" => Stage::Header,
            b"body" => Stage::Body,
            _ => Stage::Other,
        }
    }

    /// Whether dropping the connection (or timing out) at this stage counts as abuse.
    pub fn drop_is_abusive(self) -> bool {
        matches!(
            self,
            Stage::Connect
                | Stage::Helo
                | Stage::Ehlo
                | Stage::Starttls
                | Stage::Auth
                | Stage::Unknown
        )
    }
}

/// Why a reject happened, from the reply text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectClass {
    /// `Relay access denied`.
    RelayDenied,
    /// `User unknown in … table`.
    UnknownUser,
    /// `Recipient address rejected: …` for another reason.
    RecipientRejected,
    /// `… blocked using LIST` (the list is in [`Detail::Reject::rbl`]).
    Rbl,
    /// `Helo command rejected: …`.
    HeloRejected,
    /// `Client host rejected: …`.
    ClientHostRejected,
    /// `Sender address rejected: …`.
    SenderRejected,
    /// `milter-reject:`.
    Milter,
    /// cleanup header/body checks.
    Content,
    /// Anything else.
    Other,
}

impl RejectClass {
    pub const ALL: [RejectClass; 10] = [
        RejectClass::RelayDenied,
        RejectClass::UnknownUser,
        RejectClass::RecipientRejected,
        RejectClass::Rbl,
        RejectClass::HeloRejected,
        RejectClass::ClientHostRejected,
        RejectClass::SenderRejected,
        RejectClass::Milter,
        RejectClass::Content,
        RejectClass::Other,
    ];

    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            RejectClass::RelayDenied => "relay_denied",
            RejectClass::UnknownUser => "unknown_user",
            RejectClass::RecipientRejected => "recipient_rejected",
            RejectClass::Rbl => "rbl",
            RejectClass::HeloRejected => "helo_rejected",
            RejectClass::ClientHostRejected => "client_host_rejected",
            RejectClass::SenderRejected => "sender_rejected",
            RejectClass::Milter => "milter",
            RejectClass::Content => "content",
            RejectClass::Other => "other",
        }
    }
}

/// The `status=` of a delivery line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    Sent,
    Deferred,
    Bounced,
    Expired,
    /// Address verification probes.
    Deliverable,
    Undeliverable,
    Other,
}

impl DeliveryStatus {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Deferred => "deferred",
            DeliveryStatus::Bounced => "bounced",
            DeliveryStatus::Expired => "expired",
            DeliveryStatus::Deliverable => "deliverable",
            DeliveryStatus::Undeliverable => "undeliverable",
            DeliveryStatus::Other => "other",
        }
    }

    fn from_bytes(b: &[u8]) -> Self {
        match b {
            b"sent" => DeliveryStatus::Sent,
            b"deferred" => DeliveryStatus::Deferred,
            b"bounced" => DeliveryStatus::Bounced,
            b"expired" => DeliveryStatus::Expired,
            b"deliverable" => DeliveryStatus::Deliverable,
            b"undeliverable" => DeliveryStatus::Undeliverable,
            _ => DeliveryStatus::Other,
        }
    }
}

macro_rules! kinds {
    ($($(#[$m:meta])* $v:ident => $s:literal,)*) => {
        /// What a line says. [`Kind::as_str`] is stable: it is stored and emitted as JSON.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind { $($(#[$m])* $v,)* }
        impl Kind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [Kind] = &[$(Kind::$v,)*];
            /// Stable snake_case name.
            pub fn as_str(self) -> &'static str {
                match self { $(Kind::$v => $s,)* }
            }
            /// The kind named by [`Kind::as_str`].
            pub fn from_name(name: &str) -> Option<Kind> {
                match name { $($s => Some(Kind::$v),)* _ => None }
            }
        }
    };
}

kinds! {
    /// `warning: name[ip]: SASL LOGIN authentication failed: …`.
    AuthFailed => "auth_failed",
    /// `… SASL LOGIN authentication failed: Connection lost to authentication server`: our
    /// problem, not the client's.
    AuthServerLost => "auth_server_lost",
    /// `QUEUEID: client=name[ip], sasl_method=PLAIN, sasl_username=bob`: a successful login.
    AuthSuccess => "auth_success",
    /// `reject:` or `milter-reject:` at any stage.
    Reject => "reject",
    /// `reject_warning:` (`warn_if_reject`): would have been rejected.
    RejectWarning => "reject_warning",
    /// `improper command pipelining after X from …`.
    Pipelining => "pipelining",
    /// `lost connection after X from …`.
    LostConnection => "lost_connection",
    /// `timeout after X from …`.
    Timeout => "timeout",
    /// `too many errors after X from …`.
    TooManyErrors => "too_many_errors",
    /// `warning: non-SMTP command from …`.
    NonSmtpCommand => "non_smtp_command",
    /// `warning: Illegal address syntax from …`.
    ProtocolViolation => "protocol_violation",
    /// `warning: Connection rate limit exceeded: N from …` and the other anvil limits.
    LimitExceeded => "limit_exceeded",
    /// `SSL_accept error from …`, `SSL_connect error to …`, `warning: TLS library problem: …`.
    TlsError => "tls_error",
    /// `Anonymous TLS connection established from …` (and Trusted/Untrusted/Verified).
    TlsEstablished => "tls_established",
    /// `connect from name[ip]`.
    Connect => "connect",
    /// `disconnect from name[ip] ehlo=1 … commands=N/M`.
    Disconnect => "disconnect",
    /// `QUEUEID: client=name[ip]` without SASL.
    Client => "client",
    /// `QUEUEID: message-id=<…>`.
    MessageId => "message_id",
    /// qmgr `QUEUEID: from=<…>, size=…, nrcpt=…`.
    Received => "received",
    /// `QUEUEID: to=<…>, relay=…, …, status=…` and qmgr's `status=expired`.
    Delivery => "delivery",
    /// qmgr `QUEUEID: removed`.
    Removed => "removed",
    /// postscreen `CONNECT from [ip]:port to [ip]:port`.
    PostscreenConnect => "postscreen_connect",
    PostscreenPassNew => "postscreen_pass_new",
    PostscreenPassOld => "postscreen_pass_old",
    PostscreenPregreet => "postscreen_pregreet",
    PostscreenHangup => "postscreen_hangup",
    PostscreenDnsbl => "postscreen_dnsbl",
    PostscreenPipelining => "postscreen_pipelining",
    PostscreenCommandTimeLimit => "postscreen_command_time_limit",
    PostscreenCommandCountLimit => "postscreen_command_count_limit",
    PostscreenCommandLengthLimit => "postscreen_command_length_limit",
    PostscreenNonSmtp => "postscreen_non_smtp",
    PostscreenBareNewline => "postscreen_bare_newline",
    /// `WHITELISTED` / `ALLOWLISTED`.
    PostscreenAllowlisted => "postscreen_allowlisted",
    /// `BLACKLISTED` / `DENYLISTED`.
    PostscreenDenylisted => "postscreen_denylisted",
    PostscreenDisconnect => "postscreen_disconnect",
    /// Any other `warning:`.
    Warning => "warning",
    /// `error:`.
    Error => "error",
    /// `fatal:`.
    Fatal => "fatal",
    /// `panic:`.
    Panic => "panic",
    /// A Postfix line of no known shape.
    Other => "other",
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a line yielded no [`Record`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unparsed {
    /// Empty, or only a line ending.
    Empty,
    /// Longer than [`MAX_LINE`].
    TooLong,
    /// Does not start with a syslog or RFC 3339 timestamp.
    NoTimestamp,
    /// Has the shape of a timestamp, but not a real date or time (`Feb 30`, `25:00:00`).
    BadTimestamp,
    /// Cut inside the header: no host, service or `: ` before the message.
    Truncated,
    /// Host or service is not UTF-8.
    NotUtf8,
    /// The service is not `postfix…` (another program's line).
    NotPostfix,
}

impl Unparsed {
    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Unparsed::Empty => "empty",
            Unparsed::TooLong => "too_long",
            Unparsed::NoTimestamp => "no_timestamp",
            Unparsed::BadTimestamp => "bad_timestamp",
            Unparsed::Truncated => "truncated",
            Unparsed::NotUtf8 => "not_utf8",
            Unparsed::NotPostfix => "not_postfix",
        }
    }
}

impl std::fmt::Display for Unparsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            Unparsed::Empty => "empty line",
            Unparsed::TooLong => "line longer than 64 KiB",
            Unparsed::NoTimestamp => "line does not start with a syslog or RFC 3339 timestamp",
            Unparsed::BadTimestamp => "timestamp is not a valid date and time",
            Unparsed::Truncated => "line ends inside its header (host, service or ': ')",
            Unparsed::NotUtf8 => "host or service is not UTF-8",
            Unparsed::NotPostfix => "not a Postfix line (service does not start with 'postfix')",
        };
        f.write_str(s)
    }
}

impl std::error::Error for Unparsed {}

/// Parses one log line (with or without its trailing `\n` / `\r\n`).
///
/// Never panics, whatever the bytes. `ctx` supplies the reference time and zone for
/// year-less timestamps and caches the last timestamp.
pub fn parse_line<'a>(line: &'a [u8], ctx: &mut ParseContext) -> Result<Record<'a>, Unparsed> {
    if line.len() > MAX_LINE {
        return Err(Unparsed::TooLong);
    }
    let line = trim_eol(line);
    if line.is_empty() {
        return Err(Unparsed::Empty);
    }
    // A priority in front: RFC 5424 (`<pri>1 ` and an RFC 3339 stamp) or RFC 3164 as
    // network shippers write it (`<22>Mar  7 …`).
    let (line, rfc5424) = match line {
        [b'<', ..] => strip_priority(line)?,
        _ => (line, false),
    };
    let (time, rest) = ctx.timestamp(line)?;
    // One UTF-8 check for everything after the timestamp; fields are then sliced from it.
    let tx = Txt::after(line, rest);
    let (host, service, pid, msg) = if rfc5424 {
        rfc5424_header(rest)?
    } else {
        syslog_header(rest)?
    };
    let host = tx.utf8(host).ok_or(Unparsed::NotUtf8)?;
    let service = tx.utf8(service).ok_or(Unparsed::NotUtf8)?;
    record(time, host, service, pid, msg, tx)
}

/// A journal entry (or any source that keeps the fields apart): the same classification as
/// [`parse_line`] for the entry's own time, host, syslog identifier, pid and message.
/// `NotPostfix` when the identifier is not Postfix's.
pub fn parse_entry<'a>(
    time: DateTime<FixedOffset>,
    host: &'a str,
    service: &'a str,
    pid: Option<u32>,
    message: &'a [u8],
) -> Result<Record<'a>, Unparsed> {
    if !is_postfix_service(service.as_bytes()) {
        return Err(Unparsed::NotPostfix);
    }
    if message.len() > MAX_LINE {
        return Err(Unparsed::TooLong);
    }
    let message = trim_eol(message);
    record(time, host, service, pid, message, Txt::new(message))
}

/// `<pri>` off the front; true when `1 ` (RFC 5424's version) follows it.
fn strip_priority(line: &[u8]) -> Result<(&[u8], bool), Unparsed> {
    let close = line
        .iter()
        .take(5)
        .position(|&b| b == b'>')
        .ok_or(Unparsed::NoTimestamp)?;
    match parse_u32(&line[1..close]) {
        Some(pri) if pri <= 191 => {}
        _ => return Err(Unparsed::NoTimestamp),
    }
    let rest = &line[close + 1..];
    Ok(match rest.strip_prefix(b"1 ") {
        Some(rest) => (rest, true),
        None => (rest, false),
    })
}

type Header<'a> = (&'a [u8], &'a [u8], Option<u32>, &'a [u8]);

/// RFC 5424 after the timestamp: `host app procid msgid structured-data [msg]`, each `-`
/// when absent; the message may start with a byte order mark.
fn rfc5424_header(rest: &[u8]) -> Result<Header<'_>, Unparsed> {
    let mut fields = [&rest[..0]; 4];
    let mut rest = rest;
    for field in &mut fields {
        let sp = find_any(rest, [b' ']).ok_or(Unparsed::Truncated)?;
        *field = &rest[..sp];
        if field.is_empty() {
            return Err(Unparsed::Truncated);
        }
        rest = &rest[sp + 1..];
    }
    let [host, service, procid, _msgid] = fields;
    if !is_postfix_service(service) {
        return Err(Unparsed::NotPostfix);
    }
    let msg = match rest {
        [b'-'] => &rest[1..],
        [b'-', b' ', msg @ ..] => msg,
        [b'[', ..] => {
            // SD-ELEMENTs: `[id name="value" …]`, values may hold `\]`, `\"` and spaces.
            let mut i = 0;
            while rest.get(i) == Some(&b'[') {
                let (mut quoted, mut escaped) = (false, false);
                i += 1;
                loop {
                    let &b = rest.get(i).ok_or(Unparsed::Truncated)?;
                    i += 1;
                    match b {
                        _ if escaped => escaped = false,
                        b'\\' if quoted => escaped = true,
                        b'"' => quoted = !quoted,
                        b']' if !quoted => break,
                        _ => {}
                    }
                }
            }
            match &rest[i..] {
                [] => &rest[i..],
                [b' ', msg @ ..] => msg,
                _ => return Err(Unparsed::Truncated),
            }
        }
        _ => return Err(Unparsed::Truncated),
    };
    let msg = msg.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(msg);
    let pid = if procid == b"-" {
        None
    } else {
        parse_u32(procid)
    };
    Ok((host, service, pid, msg))
}

/// Traditional syslog after the timestamp: `host service[pid]: msg`.
fn syslog_header(rest: &[u8]) -> Result<Header<'_>, Unparsed> {
    // Host: one token.
    let sp = find_any(rest, [b' ']).ok_or(Unparsed::Truncated)?;
    let host = &rest[..sp];
    if host.is_empty() {
        return Err(Unparsed::Truncated);
    }
    let rest = &rest[sp + 1..];

    // Service: up to `[`, `:` or a space.
    // It must start with `postfix` (no delimiter in there), so the search starts after it:
    // `postfix/smtpd[` then ends in the first eight bytes searched, always.
    if !rest.starts_with(b"postfix") {
        return Err(Unparsed::NotPostfix);
    }
    let i = 7 + find_any(&rest[7..], [b'[', b':', b' ']).unwrap_or(rest.len() - 7);
    let service = &rest[..i];
    if !is_postfix_service(service) {
        return Err(Unparsed::NotPostfix);
    }
    let mut rest = &rest[i..];
    let mut pid = None;
    if let Some(r) = rest.strip_prefix(b"[") {
        // Find the `]` and read the digits in one pass (as `parse_u32` on what precedes it).
        let (mut n, mut digits, mut close) = (0u64, true, None);
        for (i, &c) in r.iter().take(12).enumerate() {
            if c == b']' {
                close = Some(i);
                break;
            }
            let d = c.wrapping_sub(b'0');
            digits &= d < 10;
            n = n * 10 + u64::from(d);
        }
        let close = close.ok_or(Unparsed::Truncated)?;
        pid = if digits && (1..=10).contains(&close) {
            u32::try_from(n).ok()
        } else {
            None
        };
        rest = &r[close + 1..];
    }
    let msg = match rest {
        [b':', b' ', m @ ..] => m,
        [b':'] => &[],
        _ => return Err(Unparsed::Truncated),
    };
    Ok((host, service, pid, msg))
}

/// The record of a header's fields and its classified message.
#[inline]
fn record<'a>(
    time: DateTime<FixedOffset>,
    host: &'a str,
    service: &'a str,
    pid: Option<u32>,
    msg: &'a [u8],
    tx: Txt<'a>,
) -> Result<Record<'a>, Unparsed> {
    // Built in the return value and filled in place: the record is a few hundred bytes,
    // and moving it into `Ok` afterwards costs a `memcpy` per line.
    let mut out = Ok(Record {
        time,
        host,
        service,
        pid,
        queue_id: None,
        kind: Kind::Other,
        abusive: false,
        ip: None,
        port: None,
        client_name: None,
        user: None,
        detail: Detail::None,
    });
    if let Ok(rec) = &mut out {
        classify::classify(msg, rec, tx);
    }
    out
}

impl Record<'_> {
    /// The record as a JSON object: `time` (RFC 3339 with offset), `host`, `service`,
    /// `kind`, `abusive` always; `pid`, `queue_id`, `ip`, `port`, `client_name`, `user` and
    /// the detail fields when present.
    pub fn to_json(&self) -> serde_json::Value {
        json::to_json(self)
    }
}

/// The longest valid UTF-8 prefix of the part of a line after its timestamp, checked once.
///
/// [`Txt::utf8`] turns a sub-slice of that part into `&str` by slicing this prefix (an O(1)
/// char-boundary check) instead of validating the bytes again. The result is the same as
/// `str::from_utf8(b).ok()`: a slice of valid UTF-8 is valid exactly when both of its ends
/// are char boundaries. Slices that are not inside the prefix (after a bad byte, or from
/// elsewhere) are checked with `str::from_utf8` as before.
#[derive(Clone, Copy)]
pub(super) struct Txt<'a> {
    valid: &'a str,
}

impl<'a> Txt<'a> {
    fn new(b: &'a [u8]) -> Self {
        let valid = match std::str::from_utf8(b) {
            Ok(s) => s,
            Err(e) => std::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or_default(),
        };
        Txt { valid }
    }

    /// Like [`Txt::new`] for `rest`, a suffix of `line` whose first bytes (the timestamp)
    /// were already read: the check starts up to seven bytes earlier, at an 8-byte aligned
    /// address, where `str::from_utf8` goes straight into its word-at-a-time ASCII loop
    /// instead of a byte loop of varying length (a branch misprediction per line). UTF-8
    /// splits at char boundaries, so when the extra head is valid and ends on a boundary,
    /// the valid prefix of `rest` is exactly the remainder; otherwise this is `new(rest)`.
    fn after(line: &'a [u8], rest: &'a [u8]) -> Self {
        let k = line.len().wrapping_sub(rest.len());
        if k <= line.len() && line[k..].as_ptr() == rest.as_ptr() {
            let a = k.saturating_sub(rest.as_ptr().addr() % 8);
            let whole = &line[a..];
            let valid = match std::str::from_utf8(whole) {
                Ok(s) => s,
                Err(e) => std::str::from_utf8(&whole[..e.valid_up_to()]).unwrap_or_default(),
            };
            if let Some(valid) = valid.get(k - a..) {
                return Txt { valid };
            }
        }
        Txt::new(rest)
    }

    /// `b` as `&str`, if it is UTF-8.
    #[inline]
    pub(super) fn utf8(self, b: &'a [u8]) -> Option<&'a str> {
        if b.is_empty() {
            return Some("");
        }
        let off = b.as_ptr().addr().wrapping_sub(self.valid.as_ptr().addr());
        if off < self.valid.len() && b.len() <= self.valid.len() - off {
            self.valid.get(off..off + b.len())
        } else {
            std::str::from_utf8(b).ok()
        }
    }

    /// Like [`Txt::utf8`], but `None` for an empty field.
    #[inline]
    pub(super) fn text(self, b: &'a [u8]) -> Option<&'a str> {
        if b.is_empty() { None } else { self.utf8(b) }
    }
}

/// Position of the first byte of `s` that is one of `set`: eight bytes at a time (SWAR),
/// which for the short fields of a log line is faster than `memchr`'s dispatch.
#[inline]
pub(super) fn find_any<const N: usize>(s: &[u8], set: [u8; N]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut chunks = s.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        let mut hits = 0;
        for b in set {
            // Zero bytes of `x` are matches; the lowest flagged byte is always a true one.
            let x = w ^ (LO * u64::from(b));
            hits |= x.wrapping_sub(LO) & !x & HI;
        }
        if hits != 0 {
            return Some(base + (hits.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    let rem = chunks.remainder().len();
    if rem == 0 {
        return None;
    }
    if let Some(last) = s.last_chunk::<8>() {
        // The tail as one overlapping load of the last eight bytes, with the ones already
        // searched (no match among them, so no false flag above them) masked off: no byte
        // loop with a varying trip count.
        let w = u64::from_le_bytes(*last);
        let mut hits = 0;
        for b in set {
            let x = w ^ (LO * u64::from(b));
            hits |= x.wrapping_sub(LO) & !x & HI;
        }
        hits &= !0u64 << (8 * (8 - rem));
        return (hits != 0).then(|| s.len() - 8 + (hits.trailing_zeros() / 8) as usize);
    }
    chunks
        .remainder()
        .iter()
        .position(|b| set.contains(b))
        .map(|p| base + p)
}

fn trim_eol(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., b'\n' | b'\r'] = line {
        line = rest;
    }
    line
}

/// `postfix`, `postfix/…`, `postfix-…` (multi-instance `syslog_name`s).
fn is_postfix_service(s: &[u8]) -> bool {
    match s.strip_prefix(b"postfix") {
        Some(r) => r.is_empty() || r[0] == b'/' || r[0] == b'-',
        None => false,
    }
}

fn parse_u32(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 10 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(c - b'0');
    }
    u32::try_from(n).ok()
}

#[cfg(test)]
mod tests {
    use super::{Txt, find_any};

    #[test]
    fn find_any_matches_a_plain_scan() {
        let hay: &[u8] = b"mail.example.com[192.0.2.7]:25 x:y postfix/smtpd[1]: z";
        for start in 0..hay.len() {
            for end in start..=hay.len() {
                let s = &hay[start..end];
                let set = [b'[', b':', b' '];
                assert_eq!(
                    find_any(s, set),
                    s.iter().position(|b| set.contains(b)),
                    "{start}..{end}"
                );
                assert_eq!(find_any(s, [b']']), s.iter().position(|&b| b == b']'));
            }
        }
        // High bytes next to a match must not hide or fake one.
        let s = [
            0xff, 0x80, 0x5b, 0xdb, 0x1b, 0x5a, 0x5c, 0x20, 0x00, 0xa0, b'[',
        ];
        assert_eq!(find_any(&s, [b'[']), Some(2));
        assert_eq!(find_any(&s[3..], [b'[', b' ']), Some(4));
        assert_eq!(find_any(&s[8..], [b'[']), Some(2));
    }

    #[test]
    fn txt_agrees_with_from_utf8_on_every_sub_slice() {
        let lines: [&[u8]; 4] = [
            "h\u{e9}llo w\u{f6}rld \u{20ac}5 \u{1f600}!".as_bytes(),
            b"ab\xc3\xa9cd\xffef\xe2\x82\xacgh",
            b"\xe2\x82",
            b"plain ascii",
        ];
        for line in lines {
            let tx = Txt::new(line);
            for start in 0..=line.len() {
                for end in start..=line.len() {
                    let b = &line[start..end];
                    assert_eq!(tx.utf8(b), std::str::from_utf8(b).ok(), "{start}..{end}");
                }
            }
            // Starting the check earlier in the line gives the same answers.
            for k in 0..=line.len() {
                let ta = Txt::after(line, &line[k..]);
                let tn = Txt::new(&line[k..]);
                assert_eq!(ta.valid, tn.valid, "after {k}");
            }
            // Slices from elsewhere fall back to a full check.
            assert_eq!(tx.utf8(b"other"), Some("other"));
            assert_eq!(tx.utf8(b"\xff"), None);
        }
    }
}
