//! [`TcpListener`] and [`TcpStream`].

use std::io;
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use wasio_abi::opt;

use super::addr::{each_addr, ToSocketAddrs};
use super::socket::{finish_connect, new_io, Io};
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
            sys::net::set_opt(&fd, opt::REUSEADDR, 1)?;
            sys::net::bind(&fd, &a)?;
            sys::net::listen(&fd, 1024)?;
            Ok(TcpListener { io: new_io(fd) })
        })
        .await
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
        Ok(TcpListener {
            io: new_io(OwnedFd::from(l)),
        })
    }

    /// Waits for a connection.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        self.io
            .poll_io(cx, Direction::Read, |s| sys::net::accept(&s.0))
            .map_ok(|fd| {
                let peer = sys::net::peer_addr(&fd)
                    .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
                (TcpStream { io: new_io(fd) }, peer)
            })
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        sys::net::local_addr(&self.io.get_ref().0)
    }

    /// Sets the IP time-to-live of accepted sockets' packets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        sys::net::set_opt(&self.io.get_ref().0, opt::TTL, ttl.into())
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

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.fd()
    }
}

/// A TCP connection. Implements [`AsyncRead`](futures_io::AsyncRead) and
/// [`AsyncWrite`](futures_io::AsyncWrite) (also
/// through `&TcpStream`, so reads and writes can happen from two tasks).
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
            let done = sys::net::connect(&fd, &a)?;
            let io = new_io(fd);
            finish_connect(&io, done).await?;
            Ok(TcpStream { io })
        })
        .await
    }

    /// Wraps a connected std stream, making it non-blocking.
    pub fn from_std(s: std::net::TcpStream) -> io::Result<TcpStream> {
        s.set_nonblocking(true)?;
        Ok(TcpStream {
            io: new_io(OwnedFd::from(s)),
        })
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

    /// Disables (or enables) Nagle's algorithm.
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        sys::net::set_opt(self.fd(), opt::NODELAY, on.into())
    }

    /// Whether Nagle's algorithm is disabled.
    pub fn nodelay(&self) -> io::Result<bool> {
        Ok(sys::net::get_opt(self.fd(), opt::NODELAY)? != 0)
    }

    /// Sets the IP time-to-live.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        sys::net::set_opt(self.fd(), opt::TTL, ttl.into())
    }

    /// The IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        Ok(sys::net::get_opt(self.fd(), opt::TTL)? as u32)
    }

    /// Sets `SO_LINGER` (`None`: off).
    pub fn set_linger(&self, d: Option<std::time::Duration>) -> io::Result<()> {
        sys::net::set_opt(
            self.fd(),
            opt::LINGER,
            d.map_or(opt::LINGER_OFF, |d| d.as_secs()),
        )
    }

    /// Sets `SO_KEEPALIVE`.
    pub fn set_keepalive(&self, on: bool) -> io::Result<()> {
        sys::net::set_opt(self.fd(), opt::KEEPALIVE, on.into())
    }

    /// Shuts down one or both halves.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        sys::net::shutdown(self.fd(), how)
    }

    /// Reads without consuming.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| {
            self.io
                .poll_io(cx, Direction::Read, |s| sys::net::recv(&s.0, buf, true))
        })
        .await
    }

    /// Waits until the stream is readable.
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Direction::Read).await
    }

    /// Waits until the stream is writable.
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Direction::Write).await
    }

    async fn ready(&self, dir: Direction) -> io::Result<()> {
        let mut asked = false;
        std::future::poll_fn(|cx| {
            if asked {
                return Poll::Ready(Ok(()));
            }
            asked = true;
            self.io.poll_ready(cx, dir)
        })
        .await
    }

    /// Borrowed read and write halves (usable from two tasks at once with
    /// `&TcpStream`'s own `AsyncRead`/`AsyncWrite`).
    pub fn split(&self) -> (&TcpStream, &TcpStream) {
        (self, self)
    }

    /// Owned halves that can move to different tasks.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        let rc = Rc::new(self);
        (OwnedReadHalf(rc.clone()), OwnedWriteHalf(rc))
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.fd()
    }
}

super::socket::stream_io!(TcpStream);

/// The reading half of [`TcpStream::into_split`].
#[derive(Debug)]
pub struct OwnedReadHalf(Rc<TcpStream>);

/// The writing half of [`TcpStream::into_split`]; closing it shuts down
/// the write direction.
#[derive(Debug)]
pub struct OwnedWriteHalf(Rc<TcpStream>);

impl AsRef<TcpStream> for OwnedReadHalf {
    /// The stream both halves share.
    fn as_ref(&self) -> &TcpStream {
        &self.0
    }
}

impl AsRef<TcpStream> for OwnedWriteHalf {
    /// The stream both halves share.
    fn as_ref(&self) -> &TcpStream {
        &self.0
    }
}

impl AsyncRead for OwnedReadHalf {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for OwnedWriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self.0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.0).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self.0).poll_close(cx)
    }
}
