//! [`TcpListener`] and [`TcpStream`].

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::io::evented::Evented;
use crate::sys::{self, Direction};

/// A TCP socket server.
///
/// ```no_run
/// use wasio::io::{AsyncReadExt, AsyncWriteExt};
/// use wasio::net::TcpListener;
///
/// #[wasio::main]
/// async fn main() -> std::io::Result<()> {
///     let listener = match TcpListener::from_preopened()? {
///         Some(l) => l,                                    // wasio run --tcplisten
///         None => TcpListener::bind("127.0.0.1:7000").await?, // native
///     };
///     loop {
///         let (mut conn, _) = listener.accept().await?;
///         wasio::spawn(async move {
///             let mut buf = [0u8; 1024];
///             while let Ok(n) = conn.read(&mut buf).await {
///                 if n == 0 || conn.write_all(&buf[..n]).await.is_err() {
///                     break;
///                 }
///             }
///         });
///     }
/// }
/// ```
#[derive(Debug)]
pub struct TcpListener {
    io: Evented<std::net::TcpListener>,
}

impl TcpListener {
    /// Binds a listener to the first address that works.
    ///
    /// On wasm32-wasip1 this needs the wasio socket extension; until then
    /// it fails with `Unsupported` (use `--tcplisten` and
    /// [`from_preopened`](Self::from_preopened)).
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let mut last = None;
        for a in addr.to_socket_addrs()? {
            match sys::tcp_bind(a) {
                Ok(l) => return TcpListener::from_std(l),
                Err(e) => last = Some(e),
            }
        }
        Err(last
            .unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to bind")))
    }

    /// The first listening socket the host preopened, if any.
    ///
    /// On wasm32-wasip1: scans fds from 3 for a stream socket. Natively:
    /// the first systemd-activated socket (`LISTEN_FDS` for this process).
    pub fn from_preopened() -> io::Result<Option<TcpListener>> {
        Ok(Self::preopened()?.into_iter().next())
    }

    /// Every listening socket the host preopened.
    pub fn preopened() -> io::Result<Vec<TcpListener>> {
        sys::preopened_listener_fds()?
            .into_iter()
            .map(|fd| {
                // SAFETY: the host handed this fd to the process, and it is
                // taken only here, once.
                TcpListener::from_std(unsafe { std::net::TcpListener::from_raw_fd(fd) })
            })
            .collect()
    }

    /// Wraps a std listener, making it non-blocking.
    pub fn from_std(l: std::net::TcpListener) -> io::Result<TcpListener> {
        l.set_nonblocking(true)?;
        Ok(TcpListener {
            io: Evented::new(l),
        })
    }

    /// The std listener inside (still non-blocking).
    pub fn into_std(self) -> std::net::TcpListener {
        self.io.into_inner()
    }

    /// Waits for a connection.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        match self.io.poll_io(cx, Direction::Read, |l| l.accept()) {
            Poll::Ready(Ok((s, addr))) => Poll::Ready(TcpStream::from_std(s).map(|s| (s, addr))),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The local address (unsupported by preview1: `Unsupported` there).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.fd()
    }
}

/// A TCP connection. Implements [`AsyncRead`] and [`AsyncWrite`].
#[derive(Debug)]
pub struct TcpStream {
    io: Evented<std::net::TcpStream>,
}

impl TcpStream {
    /// Connects to the first address that accepts.
    ///
    /// On wasm32-wasip1 this needs the wasio socket extension and fails
    /// with `Unsupported` until then.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        let mut last = None;
        for a in addr.to_socket_addrs()? {
            match connect_one(a).await {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no address to connect to")
        }))
    }

    /// Wraps a connected std stream, making it non-blocking.
    pub fn from_std(s: std::net::TcpStream) -> io::Result<TcpStream> {
        s.set_nonblocking(true)?;
        Ok(TcpStream {
            io: Evented::new(s),
        })
    }

    /// The std stream inside (still non-blocking).
    pub fn into_std(self) -> std::net::TcpStream {
        self.io.into_inner()
    }

    /// The peer's address (unsupported by preview1: `Unsupported` there).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// The local address (unsupported by preview1: `Unsupported` there).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Disables Nagle's algorithm (natively; preview1 has no socket
    /// options, so there it is `Unsupported`).
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(on)
    }

    /// Shuts down one or both halves.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Reads without consuming.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.io.poll_io(cx, Direction::Read, |s| s.peek(buf))).await
    }

    /// Waits until the stream is readable.
    pub async fn readable(&self) -> io::Result<()> {
        let mut first = true;
        std::future::poll_fn(|cx| {
            if first {
                first = false;
                self.io.poll_ready(cx, Direction::Read)
            } else {
                Poll::Ready(Ok(()))
            }
        })
        .await
    }
}

async fn connect_one(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::from_std(sys::tcp_connect_start(addr)?)?;
    // Writable means the handshake finished, one way or the other.
    std::future::poll_fn(|cx| {
        stream.io.poll_io(cx, Direction::Write, |s| {
            if let Some(e) = s.take_error()? {
                return Err(e);
            }
            match s.peer_addr() {
                Ok(_) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    Err(io::ErrorKind::WouldBlock.into())
                }
                Err(e) => Err(e),
            }
        })
    })
    .await?;
    Ok(stream)
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.fd()
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Read, |mut s| s.read(buf))
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Write, |mut s| s.write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_io(cx, Direction::Write, |mut s| s.write_vectored(bufs))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(match self.io.get_ref().shutdown(Shutdown::Write) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            r => r,
        })
    }
}
