//! The DATA section: receiving it (RFC 5321 §4.1.1.4 and §4.5.2) and stuffing it again
//! for relaying.
//!
//! SMTP smuggling (smtpsmug, 2023) works when two servers disagree on where a message
//! ends. This receiver ends DATA on exactly one sequence, CRLF "." CRLF, where the first
//! CRLF is the end of the previous line (or of the DATA command). A line that ends in a
//! bare LF is a line for the message's content (`normalize`, Postfix 3.9's default: stored
//! with CRLF) or an error reported after the end of DATA (`reject`); either way it never
//! ends the message, nor does a "." line next to it. A bare CR is ordinary content. The
//! message we store therefore has CRLF line ends only, and [`dot_stuff`] makes every line
//! that starts with "." unambiguous again for the next hop.

use memchr::memchr;

/// What to do with a line that ends in LF without CR (Postfix's `smtpd_forbid_bare_newline`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BareNewline {
    /// Accept it as a line end and store CRLF.
    #[default]
    Normalize,
    /// Refuse the message with 550 5.5.2 once DATA has ended.
    Reject,
}

/// Progress after [`DataReceiver::feed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataStatus {
    /// Every byte was taken; the end has not been seen yet.
    More,
    /// The end of DATA was the last of the first `consumed` bytes; later bytes are the
    /// client's next command.
    Done { consumed: usize },
}

/// Why a received message cannot be accepted (the whole DATA section was still read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    #[error("message larger than {limit} octets")]
    TooBig { limit: usize },
    #[error("bare <LF> received")]
    BareNewline,
}

/// A partial line longer than this is moved into the message before its end is seen,
/// so a client that never sends LF cannot make us buffer more than the size limit.
const MAX_PENDING_LINE: usize = 8192;

/// Receives one DATA section, fed in arbitrary slices.
#[derive(Debug)]
pub struct DataReceiver {
    mode: BareNewline,
    limit: usize,
    message: Vec<u8>,
    /// The current line's bytes not yet in `message`.
    pending: Vec<u8>,
    /// Part of the current line is already in `message` (so it is neither the end marker
    /// nor a line whose leading dot is still to remove).
    line_started: bool,
    /// The previous line ended with CRLF (true at the start: the DATA command's CRLF).
    after_crlf: bool,
    bare_newline_seen: bool,
    too_big: bool,
}

impl DataReceiver {
    /// A receiver that keeps at most `limit` octets of message.
    pub fn new(mode: BareNewline, limit: usize) -> Self {
        Self {
            mode,
            limit,
            message: Vec::new(),
            pending: Vec::new(),
            line_started: false,
            after_crlf: true,
            bare_newline_seen: false,
            too_big: false,
        }
    }

    /// Takes bytes from the client until the end of DATA.
    pub fn feed(&mut self, input: &[u8]) -> DataStatus {
        let mut start = 0;
        while let Some(offset) = memchr(b'\n', &input[start..]) {
            let end = start + offset;
            let done = if self.pending.is_empty() {
                self.line(&input[start..end])
            } else {
                let mut line = std::mem::take(&mut self.pending);
                line.extend_from_slice(&input[start..end]);
                let done = self.line(&line);
                line.clear();
                self.pending = line;
                done
            };
            start = end + 1;
            if done {
                return DataStatus::Done { consumed: start };
            }
        }
        self.pending.extend_from_slice(&input[start..]);
        if self.pending.len() > MAX_PENDING_LINE {
            self.flush_partial_line();
        }
        DataStatus::More
    }

    /// The message (CRLF line ends, dot-stuffing removed) once [`DataStatus::Done`] was
    /// returned, or why it is refused.
    pub fn finish(self) -> Result<Vec<u8>, DataError> {
        if self.too_big {
            Err(DataError::TooBig { limit: self.limit })
        } else if self.bare_newline_seen {
            Err(DataError::BareNewline)
        } else {
            Ok(self.message)
        }
    }

    /// One complete line without its LF. Returns true at the end of DATA.
    fn line(&mut self, line: &[u8]) -> bool {
        let (content, crlf) = match line.strip_suffix(b"\r") {
            Some(content) => (content, true),
            None => (line, false),
        };
        let first_part = !self.line_started;
        if first_part && self.after_crlf && crlf && content == b"." {
            return true;
        }
        if !crlf && self.mode == BareNewline::Reject {
            self.bare_newline_seen = true;
        }
        let content = match content {
            [b'.', rest @ ..] if first_part && !rest.is_empty() => rest,
            _ => content,
        };
        self.append(content);
        self.append(b"\r\n");
        self.after_crlf = crlf;
        self.line_started = false;
        false
    }

    /// Moves all but the last byte of an overlong partial line into the message (the last
    /// may be the CR of a CRLF still to come).
    fn flush_partial_line(&mut self) {
        let keep = self.pending.len() - 1;
        let skip = usize::from(!self.line_started && self.pending[0] == b'.');
        let pending = std::mem::take(&mut self.pending);
        self.append(&pending[skip..keep]);
        self.pending.push(pending[keep]);
        self.line_started = true;
    }

    fn append(&mut self, bytes: &[u8]) {
        if self.message.len() + bytes.len() > self.limit {
            self.too_big = true;
        }
        if !self.too_big {
            self.message.extend_from_slice(bytes);
        }
    }
}

/// The DATA section to send for `message`: every line ended with CRLF (a bare LF becomes
/// CRLF), a "." added before every line that starts with ".", and the end marker ".\r\n".
pub fn dot_stuff(message: &[u8]) -> Vec<u8> {
    let mut out = rewrite_lines(message, true);
    out.extend_from_slice(b".\r\n");
    out
}

/// `message` with every line ended by CRLF, as [`DataReceiver`] stores what it receives
/// (for a message read from a file rather than over SMTP).
pub fn crlf_line_ends(message: &[u8]) -> Vec<u8> {
    rewrite_lines(message, false)
}

fn rewrite_lines(message: &[u8], stuff: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 64 + 8);
    let mut rest = message;
    while !rest.is_empty() {
        let (line, next) = match memchr(b'\n', rest) {
            Some(lf) => (&rest[..lf], &rest[lf + 1..]),
            None => (rest, &[][..]),
        };
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if stuff && line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
        rest = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in one piece; returns (message or error, bytes consumed) or None if
    /// DATA did not end.
    fn receive(mode: BareNewline, input: &[u8]) -> Option<(Result<Vec<u8>, DataError>, usize)> {
        let mut receiver = DataReceiver::new(mode, 1 << 20);
        match receiver.feed(input) {
            DataStatus::Done { consumed } => Some((receiver.finish(), consumed)),
            DataStatus::More => None,
        }
    }

    #[test]
    fn ends_only_on_crlf_dot_crlf() {
        let (message, consumed) = receive(BareNewline::Normalize, b"a\r\n.\r\nMAIL").unwrap();
        assert_eq!(message.unwrap(), b"a\r\n");
        assert_eq!(consumed, 6);
        assert!(
            receive(BareNewline::Normalize, b".\r\n").is_some(),
            "empty message"
        );
    }

    #[test]
    fn smuggling_vectors_do_not_end_data() {
        for vector in [
            &b"\n.\n"[..],
            b"\r.\r",
            b"\r.\n",
            b"\n.\r",
            b"\n.\r\n",
            b"\r\n.\n",
            b"\r.\r\n",
            b"\r\n.\r",
            b"\r\n.\0\r\n",
            b"\r\n\0.\r\n",
        ] {
            let mut input = b"Subject: x\r\n\r\nbody".to_vec();
            input.extend_from_slice(vector);
            input.extend_from_slice(b"MAIL FROM:<evil@x.example>\r\n");
            assert!(
                receive(BareNewline::Normalize, &input).is_none(),
                "{vector:?} ended DATA"
            );
            input.extend_from_slice(b"\r\n.\r\n");
            let (message, consumed) = receive(BareNewline::Normalize, &input).unwrap();
            assert_eq!(consumed, input.len(), "{vector:?}");
            assert!(
                message.unwrap().windows(10).any(|w| w == b"MAIL FROM:"),
                "{vector:?}: the smuggled command stays content"
            );
        }
    }

    #[test]
    fn bare_lf_normalized_or_rejected() {
        let (message, _) = receive(BareNewline::Normalize, b"a\nb\r\n.\r\n").unwrap();
        assert_eq!(message.unwrap(), b"a\r\nb\r\n");
        let (message, _) = receive(BareNewline::Reject, b"a\nb\r\n.\r\n").unwrap();
        assert_eq!(message.unwrap_err(), DataError::BareNewline);
    }

    #[test]
    fn dot_stuffing_removed_and_restored() {
        let wire = b"..\r\n..leading\r\nmid.dle\r\n.\r\n";
        let (message, _) = receive(BareNewline::Normalize, wire).unwrap();
        let message = message.unwrap();
        assert_eq!(message, b".\r\n.leading\r\nmid.dle\r\n");
        assert_eq!(dot_stuff(&message), wire);
        assert_eq!(crlf_line_ends(b"a\n.b\r\nc"), b"a\r\n.b\r\nc\r\n");
    }

    #[test]
    fn too_big_is_reported_after_the_end() {
        let mut receiver = DataReceiver::new(BareNewline::Normalize, 10);
        assert_eq!(receiver.feed(b"0123456789abc\r\n"), DataStatus::More);
        assert_eq!(receiver.feed(b".\r\n"), DataStatus::Done { consumed: 3 });
        assert_eq!(
            receiver.finish().unwrap_err(),
            DataError::TooBig { limit: 10 }
        );
    }

    #[test]
    fn long_lines_without_lf_are_kept_in_order() {
        let mut receiver = DataReceiver::new(BareNewline::Normalize, 1 << 20);
        let long = vec![b'x'; 20_000];
        let mut line = b".".to_vec();
        line.extend_from_slice(&long);
        for piece in line.chunks(3000) {
            assert_eq!(receiver.feed(piece), DataStatus::More);
        }
        assert_eq!(
            receiver.feed(b"\r\n.\r\n"),
            DataStatus::Done { consumed: 5 }
        );
        let message = receiver.finish().unwrap();
        assert_eq!(&message[..20_000], &long[..]);
        assert_eq!(&message[20_000..], b"\r\n");
    }
}
