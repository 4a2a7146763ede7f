//! The milter connection as miltr-server reads it, with two things the protocol library does
//! not do: it ends a connection that stays silent longer than `[milter] idle_timeout` (a
//! stalled client would otherwise hold a task for ever), and, once the milter drains for
//! shutdown, it ends the connection at the first read *between* messages.
//!
//! Why the read side: miltr-server owns the command loop, so the only place where we know
//! that our last answer has been written and no message is under way is its next read.
//! Ending the stream there (EOF) makes the library return cleanly; Postfix sees the milter
//! gone and applies `milter_default_action` (tempfail) to what comes next, so a message that
//! had begun is answered and none is lost.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// Whether a message is under way on one connection (from MAIL to the end of the message
/// or an abort): shared by the session, which sets it, and its stream, which reads it.
#[derive(Debug, Clone, Default)]
pub(super) struct Busy(Arc<AtomicBool>);

impl Busy {
    pub(super) fn set(&self, busy: bool) {
        self.0.store(busy, Ordering::Release);
    }

    fn get(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// A connection that ends when silent for `idle`, or between messages once `drain` fires.
pub(super) struct Guarded<S> {
    inner: S,
    busy: Busy,
    drain: Pin<Box<WaitForCancellationFutureOwned>>,
    draining: bool,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<S> Guarded<S> {
    pub(super) fn new(inner: S, busy: Busy, drain: &CancellationToken, idle: Duration) -> Self {
        Self {
            inner,
            busy,
            drain: Box::pin(drain.clone().cancelled_owned()),
            draining: false,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.draining && this.drain.as_mut().poll(cx).is_ready() {
            this.draining = true;
        }
        if this.draining && !this.busy.get() {
            // End of stream between messages: the library's loop ends cleanly.
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    let next = Instant::now() + this.idle;
                    this.deadline.as_mut().reset(next);
                }
                Poll::Ready(result)
            }
            Poll::Pending => match this.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "milter client silent for {} s (milter.idle_timeout)",
                        this.idle.as_secs()
                    ),
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test(start_paused = true)]
    async fn a_silent_client_is_dropped_after_the_idle_timeout() {
        let (ours, mut theirs) = tokio::io::duplex(64);
        let drain = CancellationToken::new();
        let mut guarded = Guarded::new(ours, Busy::default(), &drain, Duration::from_secs(5));
        theirs.write_all(b"x").await.unwrap();
        let mut byte = [0u8; 1];
        guarded.read_exact(&mut byte).await.unwrap();
        let error = guarded.read(&mut byte).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(error.to_string().contains("milter.idle_timeout"), "{error}");
    }

    #[tokio::test]
    async fn draining_ends_the_stream_between_messages_but_not_within_one() {
        let (ours, mut theirs) = tokio::io::duplex(64);
        let drain = CancellationToken::new();
        let busy = Busy::default();
        let mut guarded = Guarded::new(ours, busy.clone(), &drain, Duration::from_secs(60));
        busy.set(true);
        drain.cancel();
        theirs.write_all(b"rest of the message").await.unwrap();
        let mut text = [0u8; 19];
        guarded.read_exact(&mut text).await.unwrap();
        assert_eq!(&text, b"rest of the message");
        busy.set(false);
        theirs.write_all(b"next").await.unwrap();
        assert_eq!(guarded.read(&mut text).await.unwrap(), 0, "end of stream");
    }

    #[tokio::test]
    async fn a_drain_wakes_a_connection_waiting_between_messages() {
        let (ours, _theirs) = tokio::io::duplex(64);
        let drain = CancellationToken::new();
        let mut guarded = Guarded::new(ours, Busy::default(), &drain, Duration::from_secs(60));
        let reader = tokio::spawn(async move {
            let mut byte = [0u8; 1];
            guarded.read(&mut byte).await.unwrap()
        });
        drain.cancel();
        assert_eq!(reader.await.unwrap(), 0);
    }
}
