//! Message classification: byte-level dispatch on the start of the message, then a reader
//! per line shape. Fields are sliced out of the message and turned into `&str` one by one
//! through [`Txt`] (no re-validation inside the line's valid UTF-8 prefix).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use memchr::memmem::{Finder, FinderRev};

use super::{Counter, DeliveryStatus, Detail, Kind, Record, RejectClass, Stage, Txt};

static BLOCKED_USING: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"blocked using "));
static REJECTED: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b" rejected: "));
static USER_UNKNOWN: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"ser unknown"));
static RELAY_DENIED: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(b"Relay access denied"));
static TAIL_FROM: LazyLock<FinderRev<'static>> = LazyLock::new(|| FinderRev::new(b"; from=<"));
static SPACE_FROM: LazyLock<FinderRev<'static>> = LazyLock::new(|| FinderRev::new(b" from "));
static LIMIT_EXCEEDED: LazyLock<Finder<'static>> =
    LazyLock::new(|| Finder::new(b"limit exceeded: "));

/// Position of the first `b` in `s`; the fields here are short, where the SWAR scan of
/// [`super::find_any`] beats `memchr`'s dispatch.
#[inline]
fn find_byte(b: u8, s: &[u8]) -> Option<usize> {
    super::find_any(s, [b])
}

/// Classifies `msg` (the part after `service[pid]: `) into `rec`.
pub(super) fn classify<'a>(msg: &'a [u8], rec: &mut Record<'a>, tx: Txt<'a>) {
    let mut m = msg;
    let mut queued = false;
    if let Some(r) = m.strip_prefix(b"NOQUEUE: ") {
        m = r;
    } else if let Some((id, r)) = queue_id(m) {
        rec.queue_id = tx.utf8(id);
        queued = true;
        m = r;
    }
    let ok = match m.first() {
        Some(b'w') => m
            .strip_prefix(b"warning: ")
            .is_some_and(|w| warning(w, rec, tx)),
        Some(b'c') => {
            if let Some(r) = m.strip_prefix(b"connect from ") {
                session(r, Kind::Connect, rec, tx)
            } else if let Some(r) = m.strip_prefix(b"client=") {
                client_line(r, rec, tx)
            } else {
                false
            }
        }
        Some(b'd') => m
            .strip_prefix(b"disconnect from ")
            .is_some_and(|r| disconnect(r, rec, tx)),
        Some(b'l') => m
            .strip_prefix(b"lost connection after ")
            .is_some_and(|r| after(r, Kind::LostConnection, rec, tx)),
        Some(b't') => {
            if let Some(r) = m.strip_prefix(b"to=<") {
                delivery(r, rec, tx)
            } else if let Some(r) = m.strip_prefix(b"timeout after ") {
                after(r, Kind::Timeout, rec, tx)
            } else if let Some(r) = m.strip_prefix(b"too many errors after ") {
                after(r, Kind::TooManyErrors, rec, tx)
            } else {
                false
            }
        }
        Some(b'i') => m
            .strip_prefix(b"improper command pipelining after ")
            .is_some_and(|r| after(r, Kind::Pipelining, rec, tx)),
        Some(b'r') => {
            if let Some(r) = m.strip_prefix(b"reject: ") {
                reject(r, Kind::Reject, false, rec, tx)
            } else if let Some(r) = m.strip_prefix(b"reject_warning: ") {
                reject(r, Kind::RejectWarning, false, rec, tx)
            } else if queued && m == b"removed" {
                rec.kind = Kind::Removed;
                true
            } else {
                false
            }
        }
        Some(b'm') => {
            if let Some(r) = m.strip_prefix(b"milter-reject: ") {
                reject(r, Kind::Reject, true, rec, tx)
            } else if let Some(r) = m.strip_prefix(b"message-id=") {
                rec.kind = Kind::MessageId;
                let r = r.strip_prefix(b"<").unwrap_or(r);
                let r = r.strip_suffix(b">").unwrap_or(r);
                rec.detail = Detail::MessageId {
                    message_id: tx.text(r),
                };
                true
            } else {
                false
            }
        }
        Some(b'f') => {
            if let Some(r) = m.strip_prefix(b"from=<") {
                received(r, rec, tx)
            } else {
                level(m, b"fatal: ", Kind::Fatal, rec, tx)
            }
        }
        Some(b'p') => level(m, b"panic: ", Kind::Panic, rec, tx),
        Some(b'e') => level(m, b"error: ", Kind::Error, rec, tx),
        Some(b'S') => {
            if let Some(r) = m.strip_prefix(b"SSL_accept error from ") {
                rec.kind = Kind::TlsError;
                if let Some(c) = Client::parse(r) {
                    let t = c.rest(r).strip_prefix(b": ").unwrap_or(&[]);
                    c.apply(rec, tx);
                    rec.detail = Detail::Text { text: tx.text(t) };
                }
                true
            } else if m.starts_with(b"SSL_connect error to ") {
                rec.kind = Kind::TlsError;
                rec.detail = Detail::Text { text: tx.text(m) };
                true
            } else {
                false
            }
        }
        Some(b'A' | b'T' | b'U' | b'V') if tls_established(m, rec, tx) => true,
        Some(b'A'..=b'Z') if !queued => postscreen(m, rec, tx),
        _ => false,
    };
    if !ok {
        rec.kind = Kind::Other;
        rec.abusive = false;
        rec.detail = Detail::Text { text: tx.text(m) };
    }
}

const ID_DIGIT: u8 = 1;
const ID_HEX_ALPHA: u8 = 2;
const ID_OTHER_ALPHA: u8 = 4;

/// Byte classes of queue id characters (0: not one).
static ID_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            b'0'..=b'9' => ID_DIGIT,
            b'A'..=b'F' => ID_HEX_ALPHA,
            b'a'..=b'z' | b'G'..=b'Z' => ID_OTHER_ALPHA,
            _ => 0,
        };
        c += 1;
    }
    t
};

/// `3F2A81C0B4: ` (short, upper-case hex) or a long id (`4dSlWD0bY9z9vH3: `, letters and
/// digits with at least one digit).
fn queue_id(m: &[u8]) -> Option<(&[u8], &[u8])> {
    let first = *m.first()?;
    if !first.is_ascii_alphanumeric() {
        return None;
    }
    // The id ends at its `:`, within the first 21 bytes. A space (never an id byte) ends
    // the search early: most messages that are not queued start with a word and a space.
    let head = &m[..m.len().min(21)];
    let i = super::find_any(head, [b':', b' '])?;
    if i < 5 || m[i] != b':' {
        return None;
    }
    let id = &m[..i];
    // Every byte before the `:` must be an id byte (class 0 is not); no early exit.
    let (mut seen, mut bad) = (0u8, false);
    for &b in id {
        let c = ID_CLASS[usize::from(b)];
        seen |= c;
        bad |= c == 0;
    }
    if bad {
        return None;
    }
    let hex = seen & ID_OTHER_ALPHA == 0;
    let digit = seen & ID_DIGIT != 0;
    if !(hex || (digit && i >= 10)) {
        return None;
    }
    let rest = &m[i + 1..];
    Some((id, rest.strip_prefix(b" ").unwrap_or(rest)))
}

/// A client in `name[ip]`, `name[ip]:port` or `[ip]:port` form.
#[derive(Clone, Copy)]
struct Client<'a> {
    name: &'a [u8],
    ip: Option<IpAddr>,
    port: Option<u16>,
    end: usize,
}

impl<'a> Client<'a> {
    /// Reads the client at the start of `s`; the name must be one token.
    fn parse(s: &'a [u8]) -> Option<Client<'a>> {
        // Short fields: eight bytes at a time beats memchr's dispatch here.
        let lb = super::find_any(s, [b'[', b' '])?;
        if s[lb] != b'[' {
            return None;
        }
        let name = &s[..lb];
        let inner_start = lb + 1;
        let (ip, rb) = match v4_bracket(&s[inner_start..]) {
            // The common case: `d.d.d.d]`, read in one pass.
            Some((v4, n)) => (Some(IpAddr::V4(v4)), inner_start + n),
            None => {
                let rb = inner_start + s[inner_start..].iter().take(64).position(|&b| b == b']')?;
                let inner = &s[inner_start..rb];
                let inner = inner.strip_prefix(b"IPv6:").unwrap_or(inner);
                (parse_ip(inner), rb)
            }
        };
        let mut end = rb + 1;
        let mut port = None;
        if s.get(end) == Some(&b':') {
            let mut j = end + 1;
            let mut n: u32 = 0;
            while j < s.len() && s[j].is_ascii_digit() && j - end <= 5 {
                n = n * 10 + u32::from(s[j] - b'0');
                j += 1;
            }
            if j > end + 1 {
                port = u16::try_from(n).ok();
                end = j;
            }
        }
        Some(Client {
            name,
            ip,
            port,
            end,
        })
    }

    fn rest(&self, s: &'a [u8]) -> &'a [u8] {
        &s[self.end..]
    }

    fn apply(&self, rec: &mut Record<'a>, tx: Txt<'a>) {
        rec.ip = self.ip;
        rec.port = self.port;
        rec.client_name = tx.text(self.name);
    }
}

/// `d.d.d.d]` at the start of `b`: the address and the position of the `]`. `None` when
/// anything else comes first (the caller then takes the general path, which reads exactly
/// this address too when the text up to the first `]` is a valid IPv4 address).
///
/// Branch-light: the first 16 bytes are classified as one `u128` (digit, dot and `]`
/// masks), so the dot positions, which differ per address, cost no mispredictions.
#[inline]
fn v4_bracket(b: &[u8]) -> Option<(Ipv4Addr, usize)> {
    const LO: u128 = u128::from_le_bytes([0x01; 16]);
    const HI: u128 = LO * 0x80;
    const M7F: u128 = LO * 0x7f;
    // Exactly the zero bytes of `x`, as their high bit.
    let zero = |x: u128| !((((x & M7F) + M7F) | x) | M7F);
    let mut buf = [0u8; 16];
    match b.first_chunk::<16>() {
        Some(c) => buf = *c,
        None => buf[..b.len()].copy_from_slice(b),
    }
    let w = u128::from_le_bytes(buf);
    let rb = zero(w ^ (LO * u128::from(b']')));
    if rb == 0 {
        return None;
    }
    let p = (rb.trailing_zeros() / 8) as usize;
    let below = ((1u128 << (8 * p)) - 1) & HI;
    let low7 = w & M7F;
    // ASCII bytes >= '0' and >= ':' (no carries: each byte stays below 0x100).
    let ge0 = low7 + LO * (0x80 - 0x30);
    let ge_colon = low7 + LO * (0x80 - 0x3a);
    let digit = ge0 & !ge_colon & !w & HI;
    let dot = zero(w ^ (LO * u128::from(b'.'))) & below;
    if (digit & below) | dot != below || dot.count_ones() != 3 || p == 0 {
        return None;
    }
    let d1 = (dot.trailing_zeros() / 8) as usize;
    let dot = dot & (dot - 1);
    let d2 = (dot.trailing_zeros() / 8) as usize;
    let dot = dot & (dot - 1);
    let d3 = (dot.trailing_zeros() / 8) as usize;
    // Group lengths; each must be 1..=3 (wrapping turns 0 into a huge value).
    let lens = [
        d1,
        d2.wrapping_sub(d1 + 1),
        d3.wrapping_sub(d2 + 1),
        p.wrapping_sub(d3 + 1),
    ];
    if lens.iter().any(|&l| l.wrapping_sub(1) >= 3) {
        return None;
    }
    let ends = [d1, d2, d3, p];
    // Three `0`s in front, so the up-to-three digits before each end can be read without
    // a branch on the group's length (digits outside the group are multiplied by 0).
    let mut pb = [b'0'; 19];
    pb[3..].copy_from_slice(&buf);
    let dig = |i: usize| u32::from(pb[i].wrapping_sub(b'0'));
    let mut o = [0u8; 4];
    for k in 0..4 {
        let (e, l) = (ends[k] + 3, lens[k]);
        let v =
            dig(e - 1) + 10 * dig(e - 2) * u32::from(l >= 2) + 100 * dig(e - 3) * u32::from(l >= 3);
        o[k] = u8::try_from(v).ok()?;
    }
    Some((Ipv4Addr::from(o), p))
}

fn parse_ip(b: &[u8]) -> Option<IpAddr> {
    if let Some(v4) = parse_v4(b) {
        return Some(IpAddr::V4(v4));
    }
    if b.len() >= 2 && b.len() <= 45 && find_byte(b':', b).is_some() {
        return std::str::from_utf8(b)
            .ok()?
            .parse::<Ipv6Addr>()
            .ok()
            .map(IpAddr::V6);
    }
    None
}

fn parse_v4(b: &[u8]) -> Option<Ipv4Addr> {
    let mut o = [0u8; 4];
    let mut n = 0;
    let mut cur: u32 = 0;
    let mut digits = 0;
    for &c in b {
        match c {
            b'0'..=b'9' => {
                cur = cur * 10 + u32::from(c - b'0');
                digits += 1;
                if digits > 3 || cur > 255 {
                    return None;
                }
            }
            b'.' => {
                if digits == 0 || n == 3 {
                    return None;
                }
                o[n] = cur as u8;
                n += 1;
                cur = 0;
                digits = 0;
            }
            _ => return None,
        }
    }
    if n != 3 || digits == 0 {
        return None;
    }
    o[3] = cur as u8;
    Some(Ipv4Addr::from(o))
}

/// `connect from name[ip]` and similar: the client, nothing else.
fn session<'a>(r: &'a [u8], kind: Kind, rec: &mut Record<'a>, tx: Txt<'a>) -> bool {
    let Some(c) = Client::parse(r) else {
        return false;
    };
    c.apply(rec, tx);
    rec.kind = kind;
    true
}

/// `disconnect from name[ip] ehlo=1 auth=0/1 commands=1/2`.
fn disconnect<'a>(r: &'a [u8], rec: &mut Record<'a>, tx: Txt<'a>) -> bool {
    let Some(c) = Client::parse(r) else {
        return false;
    };
    c.apply(rec, tx);
    rec.kind = Kind::Disconnect;
    let stats = c.rest(r);
    let stats = stats.strip_prefix(b" ").unwrap_or(stats);
    let (mut auth, mut commands) = (None, None);
    // Space-separated tokens (as `split(' ')`, empty ones included), found eight bytes at
    // a time; only tokens starting with `a` or `c` are looked at.
    let mut s = stats;
    loop {
        let e = super::find_any(s, [b' ']).unwrap_or(s.len());
        let tok = &s[..e];
        match tok.first() {
            Some(b'a') => {
                if let Some(v) = tok.strip_prefix(b"auth=") {
                    auth = counter(v);
                }
            }
            Some(b'c') => {
                if let Some(v) = tok.strip_prefix(b"commands=") {
                    commands = counter(v);
                }
            }
            _ => {}
        }
        if e >= s.len() {
            break;
        }
        s = &s[e + 1..];
    }
    rec.abusive = auth.is_some_and(|a| a.ok < a.total);
    rec.detail = Detail::Disconnect {
        auth,
        commands,
        stats: tx.text(stats),
    };
    true
}

fn counter(v: &[u8]) -> Option<Counter> {
    match find_byte(b'/', v) {
        Some(p) => Some(Counter {
            ok: super::parse_u32(&v[..p])?,
            total: super::parse_u32(&v[p + 1..])?,
        }),
        None => {
            let n = super::parse_u32(v)?;
            Some(Counter { ok: n, total: n })
        }
    }
}

/// `STAGE [(N bytes)] from name[ip][: text]` after `lost connection after ` and friends.
fn after<'a>(r: &'a [u8], kind: Kind, rec: &mut Record<'a>, tx: Txt<'a>) -> bool {
    let Some(sp) = find_byte(b' ', r) else {
        return false;
    };
    let stage = Stage::from_bytes(&r[..sp]);
    let mut r = &r[sp + 1..];
    if r.first() == Some(&b'(')
        && let Some(close) = find_byte(b')', r)
    {
        r = r[close + 1..].strip_prefix(b" ").unwrap_or(&r[close + 1..]);
    }
    let Some(r) = r.strip_prefix(b"from ") else {
        return false;
    };
    let Some(c) = Client::parse(r) else {
        return false;
    };
    c.apply(rec, tx);
    let t = c.rest(r).strip_prefix(b": ").unwrap_or(&[]);
    rec.kind = kind;
    rec.abusive = match kind {
        Kind::LostConnection | Kind::Timeout => stage.drop_is_abusive(),
        _ => true,
    };
    rec.detail = Detail::Stage {
        stage,
        text: tx.text(t),
    };
    true
}

fn level<'a>(m: &'a [u8], prefix: &[u8], kind: Kind, rec: &mut Record<'a>, tx: Txt<'a>) -> bool {
    let Some(t) = m.strip_prefix(prefix) else {
        return false;
    };
    rec.kind = kind;
    rec.detail = Detail::Text { text: tx.text(t) };
    true
}

/// Everything after `warning: `.
fn warning<'a>(w: &'a [u8], rec: &mut Record<'a>, tx: Txt<'a>) -> bool {
    rec.kind = Kind::Warning;
    match w.first() {
        Some(b'n') => {
            if let Some(r) = w.strip_prefix(b"non-SMTP command from ")
                && let Some(c) = Client::parse(r)
            {
                c.apply(rec, tx);
                let t = c.rest(r).strip_prefix(b": ").unwrap_or(&[]);
                rec.kind = Kind::NonSmtpCommand;
                rec.abusive = true;
                rec.detail = Detail::Stage {
                    stage: Stage::Other,
                    text: tx.text(t),
                };
                return true;
            }
        }
        Some(b'T') if w.starts_with(b"TLS library problem") => {
            rec.kind = Kind::TlsError;
            rec.detail = Detail::Text { text: tx.text(w) };
            return true;
        }
        Some(b'I') => {
            if let Some(r) = w.strip_prefix(b"Illegal address syntax from ")
                && let Some(c) = Client::parse(r)
            {
                c.apply(rec, tx);
                rec.detail = Detail::Text { text: tx.text(w) };
                rec.kind = Kind::ProtocolViolation;
                rec.abusive = true;
                return true;
            }
        }
        _ => {}
    }
    // `name[ip][:port]: …` — SASL failures and client-specific warnings.
    if let Some(c) = Client::parse(w)
        && let Some(t) = c.rest(w).strip_prefix(b": ")
    {
        c.apply(rec, tx);
        if let Some(s) = t.strip_prefix(b"SASL ") {
            sasl_failure(s, rec, tx);
        } else {
            rec.detail = Detail::Text { text: tx.text(t) };
        }
        return true;
    }
    rec.detail = Detail::Text { text: tx.text(w) };
    // `Connection rate limit exceeded: 31 from name[ip] for service smtp`.
    if let Some(p) = LIMIT_EXCEEDED.find(&w[..w.len().min(64)]) {
        let r = &w[p..];
        if let Some(f) = memchr::memmem::find(r, b" from ")
            && let Some(c) = Client::parse(&r[f + 6..])
        {
            c.apply(rec, tx);
            rec.kind = Kind::LimitExceeded;
            rec.abusive = true;
        }
    }
    true
}

/// `MECH authentication failed: REASON[, sasl_username=USER]` after `SASL `.
fn sasl_failure<'a>(s: &'a [u8], rec: &mut Record<'a>, tx: Txt<'a>) {
    let Some(sp) = find_byte(b' ', s) else {
        rec.detail = Detail::Text { text: tx.text(s) };
        return;
    };
    let mech = &s[..sp];
    let Some(mut reason) = s[sp + 1..].strip_prefix(b"authentication failed") else {
        rec.detail = Detail::Text { text: tx.text(s) };
        return;
    };
    reason = reason.strip_prefix(b":").unwrap_or(reason);
    reason = reason.strip_prefix(b" ").unwrap_or(reason);
    if let Some(p) = memchr::memrchr(b',', reason)
        && let Some(u) = reason[p..].strip_prefix(b", sasl_username=")
    {
        rec.user = tx.text(u);
        reason = &reason[..p];
    }
    if reason.starts_with(b"Connection lost to authentication server") {
        rec.kind = Kind::AuthServerLost;
        rec.abusive = false;
    } else {
        rec.kind = Kind::AuthFailed;
        rec.abusive = true;
    }
    rec.detail = Detail::Auth {
        mechanism: tx.text(mech),
        reason: tx.text(reason),
        sender: None,
    };
}

/// Iterates `key=value` pairs separated by `, ` (or a space); values in `<…>` may hold
/// anything but `>` followed by a separator. Calls `f(key, value, rest_after_value)`;
/// stops when `f` returns false.
fn fields<'a>(mut s: &'a [u8], mut f: impl FnMut(&'a [u8], &'a [u8], &'a [u8]) -> bool) {
    loop {
        while let [b' ' | b',' | b';', r @ ..] = s {
            s = r;
        }
        let Some(eq) = find_byte(b'=', s) else { return };
        let key = &s[..eq];
        let v = &s[eq + 1..];
        let (value, rest) = if v.first() == Some(&b'<') {
            match angle_end(v) {
                Some(e) => (&v[1..e], &v[e + 1..]),
                None => (&v[1..], &[][..]),
            }
        } else {
            let e = super::find_any(v, [b' ', b',']).unwrap_or(v.len());
            (&v[..e], &v[e..])
        };
        if !f(key, value, rest) {
            return;
        }
        if rest.len() >= s.len() {
            return;
        }
        s = rest;
    }
}

/// Position of the `>` that closes a `<…>` value at `v[0]`.
fn angle_end(v: &[u8]) -> Option<usize> {
    angle_end_open(v.get(1..)?).map(|e| e + 1)
}

/// `reject: STAGE from name[ip]: CODE X.Y.Z reason; from=<…> to=<…> proto=… helo=<…>`,
/// also postscreen's comma-separated tail and cleanup's header/body form.
fn reject<'a>(r: &'a [u8], kind: Kind, milter: bool, rec: &mut Record<'a>, tx: Txt<'a>) -> bool {
    let Some(sp) = find_byte(b' ', r) else {
        return false;
    };
    let stage = Stage::from_bytes(&r[..sp]);
    let after_stage = &r[sp + 1..];
    let (reason_all, tail): (&[u8], &[u8]);
    let mut class = None;
    if matches!(stage, Stage::Header | Stage::Body) {
        // header Subject: xxx from name[ip]; from=<> to=<> proto=ESMTP helo=<h>: 5.7.1 text
        let Some(t) = TAIL_FROM.rfind(after_stage) else {
            return false;
        };
        let head = &after_stage[..t];
        if let Some(f) = SPACE_FROM.rfind(head)
            && let Some(c) = Client::parse(&head[f + 6..])
        {
            c.apply(rec, tx);
        }
        tail = &after_stage[t + 2..];
        reason_all = &[];
        class = Some(RejectClass::Content);
    } else {
        let Some(r) = after_stage.strip_prefix(b"from ") else {
            return false;
        };
        let Some(c) = Client::parse(r) else {
            return false;
        };
        c.apply(rec, tx);
        let rest = c.rest(r);
        let rest = rest.strip_prefix(b": ").unwrap_or(rest);
        let split = tail_start(rest);
        match split {
            Some(p) => {
                reason_all = &rest[..p];
                tail = &rest[p + 2..];
            }
            None => {
                reason_all = rest;
                tail = &[];
            }
        }
    }
    let (mut from, mut to, mut helo, mut proto) = (None, None, None, None);
    let mut content_reason: &[u8] = &[];
    fields(tail, |k, v, rest| {
        match k {
            b"from" => from = tx.utf8(v),
            b"to" => to = tx.utf8(v),
            b"helo" => helo = tx.utf8(v),
            b"proto" => proto = tx.utf8(v),
            _ => {}
        }
        if let Some(t) = rest.strip_prefix(b": ") {
            content_reason = t;
            return false;
        }
        true
    });
    let reason_all = if reason_all.is_empty() {
        content_reason
    } else {
        reason_all
    };
    let (code, enhanced, reason) = codes(reason_all);
    let (class, rbl) = match class {
        Some(c) => (c, None),
        None if milter => (RejectClass::Milter, None),
        None => reason_class(reason),
    };
    rec.kind = kind;
    rec.abusive = kind == Kind::Reject
        && !(class == RejectClass::Other && code.is_some_and(|c| (400..500).contains(&c)));
    rec.detail = Detail::Reject {
        stage,
        code,
        enhanced: enhanced.and_then(|b| tx.utf8(b)),
        class,
        rbl: rbl.and_then(|b| tx.utf8(b)),
        reason: tx.text(reason),
        from,
        to,
        helo,
        proto,
    };
    true
}

/// Where the `; from=<…> to=<…> proto=… helo=<…>` tail of a reject starts (at the `;`):
/// the last `; from=<`, else the last `; proto=`. Walks back over `;` with `memrchr`
/// (SIMD) rather than a reverse substring search.
fn tail_start(rest: &[u8]) -> Option<usize> {
    let mut end = rest.len();
    let mut proto = None;
    while let Some(p) = memchr::memrchr(b';', &rest[..end]) {
        let t = &rest[p..];
        if t.starts_with(b"; from=<") {
            return Some(p);
        }
        if proto.is_none() && t.starts_with(b"; proto=") {
            proto = Some(p);
        }
        end = p;
    }
    proto
}

/// `554 5.7.1 text` → (554, "5.7.1", "text"); either code may be missing.
fn codes(r: &[u8]) -> (Option<u16>, Option<&[u8]>, &[u8]) {
    let mut r = r;
    let mut code = None;
    if r.len() >= 4 && r[..3].iter().all(u8::is_ascii_digit) && r[3] == b' ' {
        code = Some(
            u16::from(r[0] - b'0') * 100 + u16::from(r[1] - b'0') * 10 + u16::from(r[2] - b'0'),
        );
        r = &r[4..];
    }
    let mut enhanced = None;
    if matches!(r.first(), Some(b'2' | b'4' | b'5')) && r.get(1) == Some(&b'.') {
        let e = find_byte(b' ', r).unwrap_or(r.len());
        let tok = &r[..e];
        if tok.iter().all(|&b| b.is_ascii_digit() || b == b'.') {
            enhanced = Some(tok);
            r = r.get(e + 1..).unwrap_or(&[]);
        }
    }
    (code, enhanced, r)
}

fn reason_class(r: &[u8]) -> (RejectClass, Option<&[u8]>) {
    if let Some(p) = BLOCKED_USING.find(r) {
        let l = &r[p + 14..];
        let e = l
            .iter()
            .position(|&b| matches!(b, b';' | b',' | b' '))
            .unwrap_or(l.len());
        return (RejectClass::Rbl, Some(&l[..e]).filter(|l| !l.is_empty()));
    }
    if let Some(p) = REJECTED.find(r) {
        let what = &r[..p];
        let class = if what.ends_with(b"Recipient address") {
            if USER_UNKNOWN.find(&r[p..]).is_some() {
                RejectClass::UnknownUser
            } else {
                RejectClass::RecipientRejected
            }
        } else if what.ends_with(b"Client host") {
            RejectClass::ClientHostRejected
        } else if what.ends_with(b"Helo command") {
            RejectClass::HeloRejected
        } else if what.ends_with(b"Sender address") {
            RejectClass::SenderRejected
        } else {
            RejectClass::Other
        };
        return (class, None);
    }
    if RELAY_DENIED.find(r).is_some() {
        return (RejectClass::RelayDenied, None);
    }
    if USER_UNKNOWN.find(r).is_some() {
        return (RejectClass::UnknownUser, None);
    }
    (RejectClass::Other, None)
}

/// `client=name[ip][:port][, sasl_method=M, sasl_username=U[, sasl_sender=S]][, orig_…]`.
fn client_line<'a>(r: &'a [u8], rec: &mut Record<'a>, tx: Txt<'a>) -> bool {
    let Some(c) = Client::parse(r) else {
        return false;
    };
    c.apply(rec, tx);
    let (mut method, mut sender) = (None, None);
    fields(c.rest(r), |k, v, _| {
        match k {
            b"sasl_method" => method = tx.text(v),
            b"sasl_username" => rec.user = tx.text(v),
            b"sasl_sender" => sender = tx.text(v),
            _ => {}
        }
        true
    });
    if method.is_some() || rec.user.is_some() {
        rec.kind = Kind::AuthSuccess;
        rec.detail = Detail::Auth {
            mechanism: method,
            reason: None,
            sender,
        };
    } else {
        rec.kind = Kind::Client;
    }
    true
}

/// qmgr `from=<s>, size=N, nrcpt=N (queue active)` or `from=<s>, status=expired, …`.
fn received<'a>(r: &'a [u8], rec: &mut Record<'a>, tx: Txt<'a>) -> bool {
    // `r` starts after `from=<`.
    let Some(e) = angle_end_open(r) else {
        return false;
    };
    let from = tx.utf8(&r[..e]);
    let (mut size, mut nrcpt, mut status) = (None, None, None);
    let mut status_text: &[u8] = &[];
    fields(&r[e + 1..], |k, v, rest| match k {
        b"size" => {
            size = leading_u64(v);
            true
        }
        b"nrcpt" => {
            nrcpt = leading_u64(v).and_then(|n| u32::try_from(n).ok());
            true
        }
        b"status" => {
            status = Some(DeliveryStatus::from_bytes(v));
            status_text = rest.strip_prefix(b", ").unwrap_or(rest);
            false
        }
        _ => true,
    });
    if let Some(status) = status {
        rec.kind = Kind::Delivery;
        rec.detail = Detail::Delivery {
            to: None,
            orig_to: None,
            relay: None,
            delay: None,
            delays: None,
            dsn: None,
            status,
            text: tx.text(status_text),
        };
    } else {
        rec.kind = Kind::Received;
        rec.detail = Detail::Received { from, size, nrcpt };
    }
    true
}

/// Like [`angle_end`] for a value whose `<` was already consumed.
fn angle_end_open(r: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = find_byte(b'>', &r[from..]) {
        let e = from + p;
        match r.get(e + 1) {
            None | Some(b' ' | b',' | b';' | b':') => return Some(e),
            _ => from = e + 1,
        }
    }
    None
}

fn leading_u64(v: &[u8]) -> Option<u64> {
    let n = v.iter().take_while(|b| b.is_ascii_digit()).count();
    if n == 0 || n > 19 {
        return None;
    }
    let mut x: u64 = 0;
    for &c in &v[..n] {
        x = x * 10 + u64::from(c - b'0');
    }
    Some(x)
}

/// `to=<r>, [orig_to=<o>,] relay=…, [conn_use=N,] delay=…, delays=…, dsn=…, status=S (text)`.
fn delivery<'a>(r: &'a [u8], rec: &mut Record<'a>, tx: Txt<'a>) -> bool {
    let Some(e) = angle_end_open(r) else {
        return false;
    };
    let to = tx.utf8(&r[..e]);
    let (mut orig_to, mut relay, mut delay, mut delays, mut dsn) = (None, None, None, None, None);
    let mut status = None;
    let mut status_text = None;
    fields(&r[e + 1..], |k, v, rest| {
        match k {
            b"orig_to" => orig_to = tx.utf8(v),
            b"relay" => relay = tx.utf8(v),
            b"delay" => delay = tx.utf8(v).and_then(|s| s.parse::<f64>().ok()),
            b"delays" => delays = tx.utf8(v),
            b"dsn" => dsn = tx.utf8(v),
            b"status" => {
                status = Some(DeliveryStatus::from_bytes(v));
                let t = rest.strip_prefix(b" ").unwrap_or(rest);
                let t = t
                    .strip_prefix(b"(")
                    .map_or(t, |t| t.strip_suffix(b")").unwrap_or(t));
                status_text = tx.text(t);
                return false;
            }
            _ => {}
        }
        true
    });
    let Some(status) = status else { return false };
    rec.kind = Kind::Delivery;
    rec.detail = Detail::Delivery {
        to,
        orig_to,
        relay,
        delay,
        delays,
        dsn,
        status,
        text: status_text,
    };
    true
}

/// `Anonymous TLS connection established from name[ip]: TLSv1.3 with cipher …`.
fn tls_established<'a>(m: &'a [u8], rec: &mut Record<'a>, tx: Txt<'a>) -> bool {
    let Some(sp) = find_byte(b' ', m) else {
        return false;
    };
    if !matches!(
        &m[..sp],
        b"Anonymous" | b"Trusted" | b"Untrusted" | b"Verified"
    ) {
        return false;
    }
    let Some(r) = m[sp + 1..].strip_prefix(b"TLS connection established ") else {
        return false;
    };
    rec.kind = Kind::TlsEstablished;
    let mut t = r;
    if let Some(f) = r.strip_prefix(b"from ")
        && let Some(c) = Client::parse(f)
    {
        c.apply(rec, tx);
        t = c.rest(f).strip_prefix(b": ").unwrap_or(&[]);
    }
    rec.detail = Detail::Text { text: tx.text(t) };
    true
}

const POSTSCREEN: &[(&[u8], Kind, bool)] = &[
    (b"CONNECT from ", Kind::PostscreenConnect, false),
    (b"PASS NEW ", Kind::PostscreenPassNew, false),
    (b"PASS OLD ", Kind::PostscreenPassOld, false),
    (b"PREGREET ", Kind::PostscreenPregreet, true),
    (b"HANGUP ", Kind::PostscreenHangup, true),
    (b"DNSBL rank ", Kind::PostscreenDnsbl, true),
    (b"COMMAND PIPELINING ", Kind::PostscreenPipelining, true),
    (
        b"COMMAND TIME LIMIT ",
        Kind::PostscreenCommandTimeLimit,
        true,
    ),
    (
        b"COMMAND COUNT LIMIT ",
        Kind::PostscreenCommandCountLimit,
        true,
    ),
    (
        b"COMMAND LENGTH LIMIT ",
        Kind::PostscreenCommandLengthLimit,
        true,
    ),
    (b"NON-SMTP COMMAND ", Kind::PostscreenNonSmtp, true),
    (b"BARE NEWLINE ", Kind::PostscreenBareNewline, true),
    (b"WHITELISTED ", Kind::PostscreenAllowlisted, false),
    (b"ALLOWLISTED ", Kind::PostscreenAllowlisted, false),
    (b"BLACKLISTED ", Kind::PostscreenDenylisted, true),
    (b"DENYLISTED ", Kind::PostscreenDenylisted, true),
    (b"DISCONNECT ", Kind::PostscreenDisconnect, false),
];

/// postscreen's upper-case events; the client is the first `[ip]:port` after the keyword.
fn postscreen<'a>(m: &'a [u8], rec: &mut Record<'a>, tx: Txt<'a>) -> bool {
    let Some(&(word, kind, abusive)) = POSTSCREEN.iter().find(|(w, _, _)| m.starts_with(w)) else {
        return false;
    };
    let r = &m[word.len()..];
    let Some(lb) = find_byte(b'[', r) else {
        return false;
    };
    let head = &r[..lb];
    let Some(c) = Client::parse(&r[lb..]) else {
        return false;
    };
    c.apply(rec, tx);
    rec.client_name = None;
    let rank = match kind {
        Kind::PostscreenDnsbl | Kind::PostscreenPregreet => {
            leading_u64(head).and_then(|n| u32::try_from(n).ok())
        }
        _ => None,
    };
    let mut rest = c.rest(&r[lb..]);
    let mut stage = None;
    if let Some(a) = rest.strip_prefix(b" after ") {
        let e = a
            .iter()
            .position(|&b| b == b':' || b == b' ')
            .unwrap_or(a.len());
        stage = Some(Stage::from_bytes(&a[..e]));
        rest = &a[e..];
    }
    let t = if let Some(t) = rest.strip_prefix(b": ") {
        t
    } else if kind == Kind::PostscreenConnect {
        &[]
    } else {
        rest.strip_prefix(b" ").unwrap_or(rest)
    };
    rec.kind = kind;
    rec.abusive = abusive;
    rec.detail = Detail::Postscreen {
        stage,
        rank,
        text: tx.text(t),
    };
    true
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use super::{ID_CLASS, queue_id, v4_bracket};

    /// The plain one-byte-at-a-time reading that [`v4_bracket`] must agree with.
    fn v4_bracket_ref(b: &[u8]) -> Option<(Ipv4Addr, usize)> {
        let (mut o, mut n, mut cur, mut digits) = ([0u8; 4], 0, 0u32, 0);
        for (i, &c) in b.iter().enumerate().take(16) {
            match c {
                b'0'..=b'9' => {
                    cur = cur * 10 + u32::from(c - b'0');
                    digits += 1;
                    if digits > 3 || cur > 255 {
                        return None;
                    }
                }
                b'.' if digits > 0 && n < 3 => {
                    o[n] = cur as u8;
                    (n, cur, digits) = (n + 1, 0, 0);
                }
                b']' if n == 3 && digits > 0 => {
                    o[3] = cur as u8;
                    return Some((Ipv4Addr::from(o), i));
                }
                _ => return None,
            }
        }
        None
    }

    fn queue_id_ref(m: &[u8]) -> Option<(&[u8], &[u8])> {
        if !m.first()?.is_ascii_alphanumeric() {
            return None;
        }
        let (mut i, mut seen) = (0, 0u8);
        while i < m.len() && i <= 20 && ID_CLASS[usize::from(m[i])] != 0 {
            seen |= ID_CLASS[usize::from(m[i])];
            i += 1;
        }
        if !(5..=20).contains(&i) || m.get(i) != Some(&b':') {
            return None;
        }
        if !(seen & 4 == 0 || (seen & 1 != 0 && i >= 10)) {
            return None;
        }
        let rest = &m[i + 1..];
        Some((&m[..i], rest.strip_prefix(b" ").unwrap_or(rest)))
    }

    /// A small deterministic generator (xorshift), so the test needs no dependency.
    fn rng(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn v4_bracket_agrees_with_a_byte_loop() {
        let alphabet = b"0123456789.]].:/[ a\xff\x80\x2e\x2f";
        let mut st = 0x9e37_79b9_7f4a_7c15;
        let seeds: [&[u8]; 8] = [
            b"1.2.3.4]",
            b"255.255.255.255]:25",
            b"256.1.1.1]",
            b"01.002.3.000]",
            b"1..2.3]",
            b"1.2.3.4.5]",
            b"10.0.0.1",
            b"1234.1.1.1]",
        ];
        for s in seeds {
            for cut in 0..=s.len() {
                assert_eq!(v4_bracket(&s[..cut]), v4_bracket_ref(&s[..cut]), "{s:?}");
            }
        }
        for _ in 0..300_000 {
            let len = (rng(&mut st) % 20) as usize;
            let mut b: Vec<u8> = (0..len)
                .map(|_| {
                    let r = rng(&mut st);
                    if r.is_multiple_of(3) {
                        alphabet[(r >> 8) as usize % alphabet.len()]
                    } else {
                        b'0' + ((r >> 8) % 10) as u8
                    }
                })
                .collect();
            // Mostly well-formed addresses with a twist.
            if rng(&mut st).is_multiple_of(2) {
                let r = rng(&mut st);
                let ip = format!(
                    "{}.{}.{}.{}]",
                    r % 300,
                    (r >> 9) % 256,
                    (r >> 18) % 1000,
                    (r >> 28) % 260
                );
                b = ip.into_bytes().into_iter().chain(b).collect();
                let k = (rng(&mut st) % (b.len() as u64 + 1)) as usize;
                if rng(&mut st).is_multiple_of(3) && k < b.len() {
                    b[k] = alphabet[(rng(&mut st) % alphabet.len() as u64) as usize];
                }
            }
            assert_eq!(
                v4_bracket(&b),
                v4_bracket_ref(&b),
                "{:?}",
                String::from_utf8_lossy(&b)
            );
        }
    }

    #[test]
    fn queue_id_agrees_with_a_byte_loop() {
        let alphabet = b"0123456789ABCDEFGHZabcxyz: _-\xff";
        let mut st = 0x2545_f491_4f6c_dd1d;
        for _ in 0..300_000 {
            let len = (rng(&mut st) % 26) as usize;
            let b: Vec<u8> = (0..len)
                .map(|_| alphabet[(rng(&mut st) % alphabet.len() as u64) as usize])
                .collect();
            assert_eq!(
                queue_id(&b),
                queue_id_ref(&b),
                "{:?}",
                String::from_utf8_lossy(&b)
            );
        }
        for s in [
            &b"3F2A81C0B4: removed"[..],
            b"4dSlWD0bY9z9vH3: x",
            b"connect from",
            b"ABCDE:",
        ] {
            assert_eq!(queue_id(s), queue_id_ref(s));
        }
    }
}
