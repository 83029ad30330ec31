//! [`TcpListener`], [`TcpStream`] and its halves (in [`net::tcp`](crate::net::tcp)).

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::addr::{each_addr, ToSocketAddrs};
use super::socket::{
    self, finish_connect, impl_read, impl_write, new_accepted_io, new_io, Io, StreamIo,
};
use crate::sys::net_types::{Family, Kind};
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
///         None => TcpListener::bind("127.0.0.1:7000").await?, // --allow-listen, or native
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
    io: Io,
}

impl TcpListener {
    /// Binds to the first address that works and starts listening
    /// (`SO_REUSEADDR` on, backlog 1024). Under wasio the address must be
    /// granted with `--allow-listen`.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        each_addr(addr, |a| async move {
            let fd = sys::net::socket(Family::of(&a), Kind::Stream)?;
            sys::sockopt::set_reuseaddr(&fd, true)?;
            sys::net::bind(&fd, &a)?;
            sys::net::listen(&fd, 1024)?;
            Ok(TcpListener { io: new_io(fd)? })
        })
        .await
    }

    pub(crate) fn from_fd(fd: OwnedFd) -> io::Result<TcpListener> {
        Ok(TcpListener { io: new_io(fd)? })
    }

    /// The first listening socket the host preopened, if any
    /// (`wasio run --tcplisten`; natively, systemd's `LISTEN_FDS`).
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
                let l =
                    unsafe { <std::net::TcpListener as std::os::fd::FromRawFd>::from_raw_fd(fd) };
                TcpListener::from_std(l)
            })
            .collect()
    }

    /// Wraps a std listener, making it non-blocking.
    pub fn from_std(l: std::net::TcpListener) -> io::Result<TcpListener> {
        l.set_nonblocking(true)?;
        TcpListener::from_fd(OwnedFd::from(l))
    }

    /// The std listener inside (still non-blocking), taken off the reactor.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        Ok(std::net::TcpListener::from(self.io.into_inner().0))
    }

    /// Waits for a connection.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        self.io
            .poll_io(cx, Direction::Read, |s| sys::net::accept(&s.0))
            .map(|accepted| {
                let fd = accepted?;
                let peer = sys::net::peer_addr(&fd)
                    .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
                Ok((
                    TcpStream {
                        io: new_accepted_io(fd)?,
                    },
                    peer,
                ))
            })
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        sys::net::local_addr(&self.io.get_ref().0)
    }

    /// Sets the IP time-to-live of accepted sockets' packets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        sys::sockopt::set_ttl(&self.io.get_ref().0, ttl)
    }

    /// The IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        sys::sockopt::ttl(&self.io.get_ref().0)
    }

    /// Connections as a stream (`futures_util::StreamExt::next`).
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { listener: self }
    }
}

/// Stream of connections; see [`TcpListener::incoming`].
#[derive(Debug)]
pub struct Incoming<'a> {
    listener: &'a TcpListener,
}

impl futures_core::Stream for Incoming<'_> {
    type Item = io::Result<TcpStream>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.listener
            .poll_accept(cx)
            .map(|r| Some(r.map(|(s, _)| s)))
    }
}

socket::impl_fd!(TcpListener);

/// A TCP connection: tokio's `TcpStream`, on wasio's reactor.
///
/// It implements [`AsyncRead`](crate::io::AsyncRead) and
/// [`AsyncWrite`](crate::io::AsyncWrite) (reads go straight into the
/// caller's `ReadBuf`); `shutdown()` (from `AsyncWriteExt`) closes the
/// write direction. [`split`](Self::split) and
/// [`into_split`](Self::into_split) give halves for two tasks; `try_read`,
/// `try_write`, `readable`, `writable` and `ready` work as in tokio.
///
/// ```no_run
/// use wasio::io::{AsyncReadExt, AsyncWriteExt};
///
/// #[wasio::main]
/// async fn main() -> std::io::Result<()> {
///     let mut s = wasio::net::TcpStream::connect("127.0.0.1:7000").await?;
///     s.write_all(b"ping").await?;
///     let mut pong = [0u8; 4];
///     s.read_exact(&mut pong).await?;
///     s.shutdown().await
/// }
/// ```
#[derive(Debug)]
pub struct TcpStream {
    io: Io,
}

impl TcpStream {
    /// Connects to the first address that accepts. Under wasio the address
    /// must be granted with `--allow-connect`.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        each_addr(addr, |a| async move {
            let fd = sys::net::socket(Family::of(&a), Kind::Stream)?;
            Self::connect_fd(fd, &a).await
        })
        .await
    }

    pub(crate) async fn connect_fd(fd: OwnedFd, a: &SocketAddr) -> io::Result<TcpStream> {
        let done = sys::net::connect(&fd, a)?;
        let io = new_io(fd)?;
        finish_connect(&io, done).await?;
        Ok(TcpStream { io })
    }

    /// Wraps a connected std stream, making it non-blocking.
    pub fn from_std(s: std::net::TcpStream) -> io::Result<TcpStream> {
        s.set_nonblocking(true)?;
        Ok(TcpStream {
            io: new_io(OwnedFd::from(s))?,
        })
    }

    /// The std stream inside (still non-blocking), taken off the reactor.
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        Ok(std::net::TcpStream::from(self.io.into_inner().0))
    }

    fn fd(&self) -> &OwnedFd {
        &self.io.get_ref().0
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        sys::net::peer_addr(self.fd())
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        sys::net::local_addr(self.fd())
    }

    /// The pending socket error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        sys::net::take_error(self.fd())
    }

    /// Disables (or enables) Nagle's algorithm.
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        sys::sockopt::set_nodelay(self.fd(), on)
    }

    /// Whether Nagle's algorithm is disabled.
    pub fn nodelay(&self) -> io::Result<bool> {
        sys::sockopt::nodelay(self.fd())
    }

    /// Sets the IP time-to-live.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        sys::sockopt::set_ttl(self.fd(), ttl)
    }

    /// The IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        sys::sockopt::ttl(self.fd())
    }

    /// Sets `SO_LINGER` (`None`: off; whole seconds).
    pub fn set_linger(&self, d: Option<std::time::Duration>) -> io::Result<()> {
        sys::sockopt::set_linger(self.fd(), d)
    }

    /// Closes with a reset instead of a FIN: `SO_LINGER` with a zero
    /// timeout, as tokio's `set_zero_linger`.
    pub fn set_zero_linger(&self) -> io::Result<()> {
        self.set_linger(Some(std::time::Duration::ZERO))
    }

    /// `SO_LINGER`.
    pub fn linger(&self) -> io::Result<Option<std::time::Duration>> {
        sys::sockopt::linger(self.fd())
    }

    /// Sets `SO_KEEPALIVE` (tokio sets it through `TcpSocket` or socket2).
    pub fn set_keepalive(&self, on: bool) -> io::Result<()> {
        sys::sockopt::set_keepalive(self.fd(), on)
    }

    pub(crate) fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        sys::net::shutdown(self.fd(), how)
    }

    /// Receives into `buf` without consuming the data.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_peek_slice(cx, buf)).await
    }

    fn poll_peek_slice(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_io(cx, Direction::Read, |s| sys::net::recv(&s.0, buf, true))
    }

    socket::readiness_methods!();
    socket::stream_try_methods!();

    /// Borrowed halves for reading and writing at the same time (in one
    /// task, say with `select!`, or with `copy` both ways).
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        (
            super::halves::ReadHalf(self),
            super::halves::WriteHalf(self),
        )
    }

    /// Owned halves that can move to different tasks. Dropping the write
    /// half shuts the write direction down (unless it is
    /// [`forget`](OwnedWriteHalf::forget)-ten); [`OwnedReadHalf::reunite`]
    /// puts them back together.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        super::halves::into_split(self)
    }
}

socket::impl_fd!(TcpStream);

impl StreamIo for TcpStream {
    fn io(&self) -> &Io {
        &self.io
    }
}

impl_read!([] TcpStream);
impl_write!([] TcpStream);

impl super::halves::Splittable for TcpStream {
    type Addr = SocketAddr;
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        TcpStream::peer_addr(self)
    }
    fn local_addr(&self) -> io::Result<SocketAddr> {
        TcpStream::local_addr(self)
    }
    fn shutdown_how(&self, how: Shutdown) -> io::Result<()> {
        self.shutdown_std(how)
    }
}

impl ReadHalf<'_> {
    /// See [`TcpStream::peek`].
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.peek(buf).await
    }
}

impl OwnedReadHalf {
    /// See [`TcpStream::peek`].
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.as_ref().peek(buf).await
    }
}

/// Borrowed reading half of a [`TcpStream`] ([`TcpStream::split`]).
pub type ReadHalf<'a> = super::halves::ReadHalf<'a, TcpStream>;
/// Borrowed writing half of a [`TcpStream`] ([`TcpStream::split`]).
pub type WriteHalf<'a> = super::halves::WriteHalf<'a, TcpStream>;
/// Owned reading half of a [`TcpStream`] ([`TcpStream::into_split`]).
pub type OwnedReadHalf = super::halves::OwnedReadHalf<TcpStream>;
/// Owned writing half of a [`TcpStream`] ([`TcpStream::into_split`]);
/// dropping it shuts the write direction down.
pub type OwnedWriteHalf = super::halves::OwnedWriteHalf<TcpStream>;
/// Halves of two different streams given to `reunite`.
pub type ReuniteError = super::halves::ReuniteError<TcpStream>;

impl TryFrom<std::net::TcpStream> for TcpStream {
    type Error = io::Error;

    /// [`TcpStream::from_std`].
    fn try_from(s: std::net::TcpStream) -> io::Result<TcpStream> {
        TcpStream::from_std(s)
    }
}

impl TryFrom<std::net::TcpListener> for TcpListener {
    type Error = io::Error;

    /// [`TcpListener::from_std`].
    fn try_from(l: std::net::TcpListener) -> io::Result<TcpListener> {
        TcpListener::from_std(l)
    }
}
