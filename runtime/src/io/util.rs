//! [`sink`], [`empty`] and [`repeat`]: tokio's always-ready writer and
//! readers, wasio's own so that they spend wasio's cooperative budget.
//! (tokio's spend tokio's, which nothing sets under wasio's executor: a
//! loop over one of them would never give other tasks a turn.)

use std::fmt;
use std::io::{IoSlice, Result, SeekFrom};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use super::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite, ReadBuf};

/// A writer that takes every byte and keeps none (tokio's `io::sink`).
///
/// ```
/// use wasio::io::AsyncWriteExt;
/// wasio::block_on(async {
///     let mut sink = wasio::io::sink();
///     assert_eq!(sink.write(b"gone").await.unwrap(), 4);
/// });
/// ```
pub fn sink() -> Sink {
    Sink { _priv: () }
}

/// The writer [`sink`] makes.
pub struct Sink {
    _priv: (),
}

/// A reader at its end, which is also a writer that keeps nothing (tokio's
/// `io::empty`).
///
/// ```
/// use wasio::io::AsyncReadExt;
/// wasio::block_on(async {
///     let mut buf = Vec::new();
///     assert_eq!(wasio::io::empty().read_to_end(&mut buf).await.unwrap(), 0);
/// });
/// ```
pub fn empty() -> Empty {
    Empty { _priv: () }
}

/// The reader [`empty`] makes.
pub struct Empty {
    _priv: (),
}

/// A reader of `byte`, forever (tokio's `io::repeat`).
///
/// ```
/// use wasio::io::AsyncReadExt;
/// wasio::block_on(async {
///     let mut buf = [0u8; 3];
///     wasio::io::repeat(7).read_exact(&mut buf).await.unwrap();
///     assert_eq!(buf, [7, 7, 7]);
/// });
/// ```
pub fn repeat(byte: u8) -> Repeat {
    Repeat { byte }
}

/// The reader [`repeat`] makes.
pub struct Repeat {
    byte: u8,
}

/// One unit of the task's budget: `Pending` (the task runs again after
/// the others) when it is spent.
fn proceed(cx: &mut Context<'_>) -> Poll<()> {
    crate::coop::poll_proceed(cx)
}

/// Takes `bufs` whole, as a writer that keeps nothing does.
fn discard_vectored(cx: &mut Context<'_>, bufs: &[IoSlice<'_>]) -> Poll<Result<usize>> {
    ready!(proceed(cx));
    Poll::Ready(Ok(bufs.iter().map(|b| b.len()).sum()))
}

macro_rules! discarding_writer {
    ($t:ty) => {
        impl AsyncWrite for $t {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<Result<usize>> {
                ready!(proceed(cx));
                Poll::Ready(Ok(buf.len()))
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<Result<usize>> {
                discard_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
                ready!(proceed(cx));
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
                ready!(proceed(cx));
                Poll::Ready(Ok(()))
            }
        }
    };
}

discarding_writer!(Sink);
discarding_writer!(Empty);

impl AsyncRead for Empty {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        _buf: &mut ReadBuf<'_>,
    ) -> Poll<Result<()>> {
        ready!(proceed(cx));
        Poll::Ready(Ok(()))
    }
}

impl AsyncBufRead for Empty {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<&[u8]>> {
        ready!(proceed(cx));
        Poll::Ready(Ok(&[]))
    }

    fn consume(self: Pin<&mut Self>, _amt: usize) {}
}

impl AsyncSeek for Empty {
    /// Every position of an empty reader is 0.
    fn start_seek(self: Pin<&mut Self>, _position: SeekFrom) -> Result<()> {
        Ok(())
    }

    fn poll_complete(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Result<u64>> {
        Poll::Ready(Ok(0))
    }
}

impl AsyncRead for Repeat {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<Result<()>> {
        ready!(proceed(cx));
        let dst = buf.initialize_unfilled();
        dst.fill(self.byte);
        let n = dst.len();
        buf.advance(n);
        Poll::Ready(Ok(()))
    }
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Sink { .. }")
    }
}

impl fmt::Debug for Empty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad("Empty { .. }")
    }
}

impl fmt::Debug for Repeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Repeat").field("byte", &self.byte).finish()
    }
}
