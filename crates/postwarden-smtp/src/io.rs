//! Reading lines with a length limit and a timeout, shared by the server session and the
//! relay client.

use std::io;
use std::time::Duration;
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// A line read from the peer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// The line without its LF (a CR before the LF is kept; callers strip it).
    Complete(Vec<u8>),
    /// The line exceeded the limit; everything up to its LF was read and dropped.
    TooLong,
    /// The peer closed the connection (a partial last line is dropped).
    Closed,
}

/// Reads one line of at most `limit` bytes (LF excluded) within `timeout`.
pub(crate) async fn read_line<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    limit: usize,
    timeout: Duration,
) -> io::Result<Line> {
    tokio::time::timeout(timeout, read_line_untimed(reader, limit))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "timed out waiting for the peer"))?
}

async fn read_line_untimed<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    limit: usize,
) -> io::Result<Line> {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let buffer = reader.fill_buf().await?;
        if buffer.is_empty() {
            return Ok(Line::Closed);
        }
        let (taken, complete) = match memchr::memchr(b'\n', buffer) {
            Some(lf) => (lf + 1, true),
            None => (buffer.len(), false),
        };
        let content = &buffer[..if complete { taken - 1 } else { taken }];
        if line.len() + content.len() > limit {
            too_long = true;
        } else if !too_long {
            line.extend_from_slice(content);
        }
        reader.consume(taken);
        if complete {
            return Ok(if too_long {
                Line::TooLong
            } else {
                Line::Complete(line)
            });
        }
    }
}

/// `line` without a trailing CR.
pub(crate) fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}
