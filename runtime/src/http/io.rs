//! [`WasioIo`]: hyper's I/O traits over tokio's, for any wasio stream.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Wraps a tokio-I/O stream (a wasio `TcpStream`, `UnixStream`, a TLS
/// stream…) so hyper can use it: `hyper::rt::Read` reads straight into
/// hyper's uninitialised buffer, never zeroing it; `hyper::rt::Write`
/// passes writes through. (hyper-util's `TokioIo` does the same for
/// tokio's runtime, which wasio does not use.)
///
/// ```no_run
/// # async fn f(stream: wasio::net::TcpStream) {
/// let io = wasio::http::WasioIo::new(stream);
/// let (_send, _conn) = hyper::client::conn::http1::handshake::<_, String>(io).await.unwrap();
/// # }
/// ```
#[derive(Debug)]
pub struct WasioIo<T> {
    inner: T,
}

impl<T> WasioIo<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        Self { inner }
    }

    /// The stream inside.
    pub fn inner(&self) -> &T {
        &self.inner
    }

    /// The stream inside, mutably.
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncRead + Unpin> hyper::rt::Read for WasioIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // SAFETY: `buf.as_mut()` is hyper's unfilled (maybe uninitialised)
        // space; tokio's `ReadBuf::uninit` only ever writes it, and exactly
        // the bytes it reports as filled are then advanced over.
        let filled = unsafe {
            let mut tbuf = ReadBuf::uninit(buf.as_mut());
            match Pin::new(&mut self.inner).poll_read(cx, &mut tbuf) {
                Poll::Ready(Ok(())) => tbuf.filled().len(),
                other => return other,
            }
        };
        // SAFETY: `filled` bytes were written by the read above.
        unsafe { buf.advance(filled) };
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncWrite + Unpin> hyper::rt::Write for WasioIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
}

/// And back: tokio's traits over hyper's, for an upgraded connection
/// (WebSocket, CONNECT) that hyper hands back as `hyper::upgrade::Upgraded`.
impl<T: hyper::rt::Read + Unpin> AsyncRead for WasioIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        tbuf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let filled = tbuf.filled().len();
        // SAFETY: hyper's cursor only writes the unfilled part, and exactly
        // the bytes it reports are marked initialised and filled.
        let n = unsafe {
            let mut hbuf = hyper::rt::ReadBuf::uninit(tbuf.unfilled_mut());
            match hyper::rt::Read::poll_read(Pin::new(&mut self.inner), cx, hbuf.unfilled()) {
                Poll::Ready(Ok(())) => hbuf.filled().len(),
                other => return other,
            }
        };
        // SAFETY: `n` bytes after `filled` were written.
        unsafe { tbuf.assume_init(filled + n) };
        tbuf.set_filled(filled + n);
        Poll::Ready(Ok(()))
    }
}

impl<T: hyper::rt::Write + Unpin> AsyncWrite for WasioIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        hyper::rt::Write::poll_write(Pin::new(&mut self.inner), cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        hyper::rt::Write::poll_flush(Pin::new(&mut self.inner), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        hyper::rt::Write::poll_shutdown(Pin::new(&mut self.inner), cx)
    }
}
