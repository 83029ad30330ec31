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

use super::socket::{finish_connect, new_io, poll_recv, poll_send, Io};
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

/// A Unix stream connection. Implements [`AsyncRead`](futures_io::AsyncRead)
/// and [`AsyncWrite`](futures_io::AsyncWrite), also through `&UnixStream`.
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

    /// Shuts down one or both halves.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        sys::net::shutdown(&self.io.get_ref().0, how)
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.fd()
    }
}

super::socket::stream_io!(UnixStream);

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
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.fd()
    }
}
