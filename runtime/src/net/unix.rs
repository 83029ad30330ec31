//! [`UnixListener`], [`UnixStream`] and [`UnixDatagram`].
//!
//! Under wasio a path names a socket under a preopened directory
//! (`wasio run --dir HOST::/sock` → `/sock/app.sock`); it cannot reach
//! anything outside those directories.

use std::io;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, RawFd};
use std::path::Path;
use std::task::{Context, Poll};

use super::socket::{
    self, finish_connect, impl_read, impl_write, new_io, poll_recv, poll_send, Io, StreamIo,
};
use crate::sys::net_types::{Family, Kind};
use crate::sys::{self, Direction};

/// The address of a Unix socket peer. Peers of accepted connections are
/// usually unnamed; wasio does not carry paths back from the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnixSocketAddr(());

impl UnixSocketAddr {
    /// Whether the address has no path (always, for now).
    pub fn is_unnamed(&self) -> bool {
        true
    }
}

/// A Unix stream socket server.
///
/// ```no_run
/// #[wasio::main]
/// async fn main() -> std::io::Result<()> {
///     // wasio run --dir /run/app::/sock app.wasm
///     let l = wasio::net::UnixListener::bind("/sock/app.sock").await?;
///     let (conn, _) = l.accept().await?;
///     drop(conn);
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct UnixListener {
    io: Io,
}

impl UnixListener {
    /// Creates the socket file at `path` and listens on it.
    pub async fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let fd = sys::net::socket(Family::Unix, Kind::Stream)?;
        sys::net::bind_unix(&fd, path.as_ref())?;
        sys::net::listen(&fd, 1024)?;
        Ok(UnixListener { io: new_io(fd) })
    }

    /// Waits for a connection.
    pub async fn accept(&self) -> io::Result<(UnixStream, UnixSocketAddr)> {
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection.
    pub fn poll_accept(
        &self,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<(UnixStream, UnixSocketAddr)>> {
        self.io
            .poll_io(cx, Direction::Read, |s| sys::net::accept(&s.0))
            .map_ok(|fd| (UnixStream { io: new_io(fd) }, UnixSocketAddr(())))
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.fd()
    }
}

/// A Unix stream connection, with tokio's API: `AsyncRead`/`AsyncWrite`,
/// `split`/`into_split`, `try_read`/`try_write`, `readable`/`writable`/
/// `ready`.
#[derive(Debug)]
pub struct UnixStream {
    io: Io,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let fd = sys::net::socket(Family::Unix, Kind::Stream)?;
        let done = sys::net::connect_unix(&fd, path.as_ref())?;
        let io = new_io(fd);
        finish_connect(&io, done).await?;
        Ok(UnixStream { io })
    }

    /// The peer's address (unnamed: paths are not carried back).
    pub fn peer_addr(&self) -> io::Result<UnixSocketAddr> {
        Ok(UnixSocketAddr(()))
    }

    /// The local address (unnamed: paths are not carried back).
    pub fn local_addr(&self) -> io::Result<UnixSocketAddr> {
        Ok(UnixSocketAddr(()))
    }

    /// The pending socket error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        sys::net::take_error(&self.io.get_ref().0)
    }

    pub(crate) fn shutdown_std(&self, how: Shutdown) -> io::Result<()> {
        sys::net::shutdown(&self.io.get_ref().0, how)
    }

    socket::readiness_methods!();
    socket::stream_try_methods!();

    /// Borrowed halves for reading and writing at the same time.
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        (
            super::halves::ReadHalf(self),
            super::halves::WriteHalf(self),
        )
    }

    /// Owned halves for two tasks; dropping the write half shuts the write
    /// direction down.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        super::halves::into_split(self)
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.fd()
    }
}

impl StreamIo for UnixStream {
    fn io(&self) -> &Io {
        &self.io
    }
}

impl_read!([] UnixStream);
impl_write!([] UnixStream);

impl super::halves::Splittable for UnixStream {
    type Addr = UnixSocketAddr;
    fn peer_addr(&self) -> io::Result<UnixSocketAddr> {
        UnixStream::peer_addr(self)
    }
    fn local_addr(&self) -> io::Result<UnixSocketAddr> {
        UnixStream::local_addr(self)
    }
    fn shutdown_how(&self, how: Shutdown) -> io::Result<()> {
        self.shutdown_std(how)
    }
}

/// Borrowed reading half of a [`UnixStream`] ([`UnixStream::split`]).
pub type ReadHalf<'a> = super::halves::ReadHalf<'a, UnixStream>;
/// Borrowed writing half of a [`UnixStream`] ([`UnixStream::split`]).
pub type WriteHalf<'a> = super::halves::WriteHalf<'a, UnixStream>;
/// Owned reading half of a [`UnixStream`] ([`UnixStream::into_split`]).
pub type OwnedReadHalf = super::halves::OwnedReadHalf<UnixStream>;
/// Owned writing half of a [`UnixStream`] ([`UnixStream::into_split`]).
pub type OwnedWriteHalf = super::halves::OwnedWriteHalf<UnixStream>;
/// Halves of two different streams given to `reunite`.
pub type ReuniteError = super::halves::ReuniteError<UnixStream>;

/// A Unix datagram socket.
#[derive(Debug)]
pub struct UnixDatagram {
    io: Io,
}

impl UnixDatagram {
    /// A socket bound to `path` (it receives datagrams sent there).
    pub async fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        let fd = sys::net::socket(Family::Unix, Kind::Datagram)?;
        sys::net::bind_unix(&fd, path.as_ref())?;
        Ok(UnixDatagram { io: new_io(fd) })
    }

    /// A socket bound to nothing (it can still send, and receive replies
    /// once connected).
    pub fn unbound() -> io::Result<UnixDatagram> {
        let fd = sys::net::socket(Family::Unix, Kind::Datagram)?;
        Ok(UnixDatagram { io: new_io(fd) })
    }

    /// Sets the default destination.
    pub async fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        sys::net::connect_unix(&self.io.get_ref().0, path.as_ref()).map(drop)
    }

    /// Sends to the connected socket.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| poll_send(&self.io, cx, buf)).await
    }

    /// Receives one datagram.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| poll_recv(&self.io, cx, buf)).await
    }

    /// Sends now, without waiting (`WouldBlock` if the queue is full).
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        socket::try_send(&self.io, buf)
    }

    /// Receives a datagram that is there now, without waiting.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        socket::try_recv(&self.io, buf)
    }

    socket::readiness_methods!();
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.fd()
    }
}
