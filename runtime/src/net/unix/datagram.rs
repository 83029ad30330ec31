//! [`UnixDatagram`].

use std::io;
use std::net::Shutdown;
use std::path::Path;
use std::task::{Context, Poll};

use tokio::io::ReadBuf;

use super::SocketAddr;
use crate::net::socket::{
    self, fill_read_buf, new_io, new_paired_io, poll_recv, poll_send, Io, Sock,
};
use crate::sys::net_types::{Family, Kind};
use crate::sys::{self, Direction};

/// A Unix datagram socket.
///
/// ```
/// # #[cfg(not(target_os = "wasi"))]
/// wasio::block_on(async {
///     let dir = std::env::temp_dir().join(format!("wasio-doc-{}", std::process::id()));
///     std::fs::create_dir_all(&dir)?;
///     let path = dir.join("server.sock");
///     let _ = std::fs::remove_file(&path);
///     let server = wasio::net::UnixDatagram::bind(&path)?;
///     let client = wasio::net::UnixDatagram::unbound()?;
///     client.send_to(b"hello", &path).await?;
///     let mut buf = [0u8; 16];
///     let (n, from) = server.recv_from(&mut buf).await?;
///     assert_eq!(&buf[..n], b"hello");
///     assert!(from.is_unnamed(), "the client is not bound");
///     std::fs::remove_dir_all(&dir)
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
pub struct UnixDatagram {
    io: Io,
}

impl UnixDatagram {
    pub(crate) fn from_io(io: Io) -> UnixDatagram {
        UnixDatagram { io }
    }

    fn fd(&self) -> &std::os::fd::OwnedFd {
        &self.io.get_ref().0
    }

    /// A socket bound to `path` (it receives datagrams sent there).
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        let fd = sys::net::socket(Family::Unix, Kind::Datagram)?;
        sys::net::bind_unix(&fd, path.as_ref())?;
        Ok(UnixDatagram { io: new_io(fd)? })
    }

    /// A socket bound to nothing (it can still send, and receive replies
    /// once connected).
    pub fn unbound() -> io::Result<UnixDatagram> {
        let fd = sys::net::socket(Family::Unix, Kind::Datagram)?;
        Ok(UnixDatagram { io: new_io(fd)? })
    }

    /// Two sockets connected to each other (natively: `socketpair`;
    /// `Unsupported` under `wasio run`).
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = sys::net::unix_pair(Kind::Datagram)?;
        Ok((
            UnixDatagram {
                io: new_paired_io(a)?,
            },
            UnixDatagram {
                io: new_paired_io(b)?,
            },
        ))
    }

    /// Wraps a std socket, making it non-blocking.
    #[cfg(unix)]
    pub fn from_std(s: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        s.set_nonblocking(true)?;
        Ok(UnixDatagram {
            io: new_io(s.into())?,
        })
    }

    /// The std socket inside (still non-blocking), taken off the reactor.
    #[cfg(unix)]
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        Ok(self.io.into_inner().0.into())
    }

    /// Sets the default destination (and the only source received from).
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        sys::net::connect_unix(self.fd(), path.as_ref()).map(drop)
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(SocketAddr::new(sys::net::unix_local_path(self.fd())?))
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(SocketAddr::new(sys::net::unix_peer_path(self.fd())?))
    }

    /// The pending socket error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        sys::net::take_error(self.fd())
    }

    /// Shuts one or both directions down.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        sys::net::shutdown(self.fd(), how)
    }

    /// Sends to the connected socket.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| poll_send(&self.io, cx, buf)).await
    }

    /// Receives one datagram (from the connected socket).
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

    /// Polls to send to the connected socket.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        poll_send(&self.io, cx, buf)
    }

    /// Polls to receive a datagram into `buf`'s unfilled part.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.poll_recv_from(cx, buf).map_ok(drop)
    }

    /// Sends a datagram to the socket at `target`.
    pub async fn send_to(&self, buf: &[u8], target: impl AsRef<Path>) -> io::Result<usize> {
        let target = target.as_ref();
        std::future::poll_fn(|cx| self.poll_send_to(cx, buf, target)).await
    }

    /// Polls to send a datagram to the socket at `target`.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: impl AsRef<Path>,
    ) -> Poll<io::Result<usize>> {
        let target = target.as_ref();
        self.io.poll_io(cx, Direction::Write, |s| {
            sys::net::send_to_unix(&s.0, buf, target)
        })
    }

    /// Sends a datagram to `target` now, without waiting.
    pub fn try_send_to(&self, buf: &[u8], target: impl AsRef<Path>) -> io::Result<usize> {
        let target = target.as_ref();
        self.io.try_io(Direction::Write, |s| {
            sys::net::send_to_unix(&s.0, buf, target)
        })
    }

    /// Receives a datagram and the address it came from.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        std::future::poll_fn(|cx| self.io.poll_io(cx, Direction::Read, |s| recv_from(s, buf))).await
    }

    /// Polls to receive a datagram into `buf`'s unfilled part, and the
    /// address it came from.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        self.io.poll_io(cx, Direction::Read, |s| {
            fill_read_buf(buf, |dst| recv_from(s, dst))
        })
    }

    /// Receives a datagram that is there now, and where it came from.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Direction::Read, |s| recv_from(s, buf))
    }

    /// Receives a datagram into `buf`'s spare capacity.
    pub async fn recv_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        socket::recv_buf(&self.io, buf).await
    }

    /// Receives a datagram into `buf`'s spare capacity, without waiting.
    pub fn try_recv_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        socket::try_recv_buf(&self.io, buf)
    }

    /// Receives a datagram into `buf`'s spare capacity, and where it came
    /// from.
    pub async fn recv_buf_from<B: bytes::BufMut>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        socket::recv_buf_from(&self.io, buf, recv_from).await
    }

    /// Receives a datagram that is there now into `buf`'s spare capacity,
    /// and where it came from.
    pub fn try_recv_buf_from<B: bytes::BufMut>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        socket::try_recv_buf_from(&self.io, buf, recv_from)
    }

    /// Polls until a send would not block (tokio's name for
    /// [`poll_write_ready`](Self::poll_write_ready) on datagram sockets).
    pub fn poll_send_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_write_ready(cx)
    }

    /// Polls until a receive would not block (tokio's name for
    /// [`poll_read_ready`](Self::poll_read_ready) on datagram sockets).
    pub fn poll_recv_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_read_ready(cx)
    }

    socket::readiness_methods!();
}

socket::impl_fd!(UnixDatagram);

#[cfg(unix)]
impl TryFrom<std::os::unix::net::UnixDatagram> for UnixDatagram {
    type Error = io::Error;

    /// [`UnixDatagram::from_std`].
    fn try_from(s: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        UnixDatagram::from_std(s)
    }
}

/// One `recvfrom` on a Unix datagram socket.
fn recv_from(s: &Sock, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
    let (n, from) = sys::net::recv_from_unix(&s.0, buf, false)?;
    Ok((n, SocketAddr::new(from)))
}
