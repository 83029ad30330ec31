//! [`TcpSocket`]: a TCP socket configured before it connects or listens.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::Duration;

use super::{TcpListener, TcpStream};
use crate::sys::net_types::{Family, Kind};
use crate::sys::{self, sockopt};

/// A TCP socket not yet connected or listening, for setting options that
/// must come first (tokio's `TcpSocket`). Under wasio, `bind` and `listen`
/// need `--allow-listen`, `connect` needs `--allow-connect`.
///
/// ```no_run
/// use wasio::net::TcpSocket;
///
/// #[wasio::main]
/// async fn main() -> std::io::Result<()> {
///     let socket = TcpSocket::new_v4()?;
///     socket.set_reuseaddr(true)?;
///     socket.bind("127.0.0.1:8080".parse().unwrap())?;
///     let listener = socket.listen(1024)?;
///     let (_conn, _peer) = listener.accept().await?;
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct TcpSocket {
    fd: OwnedFd,
}

impl TcpSocket {
    /// A new IPv4 TCP socket.
    pub fn new_v4() -> io::Result<TcpSocket> {
        Ok(TcpSocket {
            fd: sys::net::socket(Family::V4, Kind::Stream)?,
        })
    }

    /// A new IPv6 TCP socket.
    pub fn new_v6() -> io::Result<TcpSocket> {
        Ok(TcpSocket {
            fd: sys::net::socket(Family::V6, Kind::Stream)?,
        })
    }

    /// `SO_REUSEADDR`: bind even while old connections linger.
    pub fn set_reuseaddr(&self, on: bool) -> io::Result<()> {
        sockopt::set_reuseaddr(&self.fd, on)
    }

    /// `SO_REUSEADDR`.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        sockopt::reuseaddr(&self.fd)
    }

    /// `SO_REUSEPORT`: several sockets may bind the same address and port
    /// (the kernel spreads connections among them).
    ///
    /// Under `wasio run` turning it on is `PermissionDenied` (it would let
    /// the guest share a port with any process of the same user): the
    /// host shares ports among the instances of `--workers N` itself, and
    /// sets the option for them.
    pub fn set_reuseport(&self, on: bool) -> io::Result<()> {
        sockopt::set_reuseport(&self.fd, on)
    }

    /// `SO_REUSEPORT`.
    pub fn reuseport(&self) -> io::Result<bool> {
        sockopt::reuseport(&self.fd)
    }

    /// `SO_SNDBUF` (1 byte to 1 GiB; the system may round it).
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        sockopt::set_send_buffer_size(&self.fd, size)
    }

    /// `SO_SNDBUF`.
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        sockopt::send_buffer_size(&self.fd)
    }

    /// `SO_RCVBUF` (1 byte to 1 GiB; the system may round it).
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        sockopt::set_recv_buffer_size(&self.fd, size)
    }

    /// `SO_RCVBUF`.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        sockopt::recv_buffer_size(&self.fd)
    }

    /// `SO_LINGER` (whole seconds, at most an hour; `None`: off).
    pub fn set_linger(&self, d: Option<Duration>) -> io::Result<()> {
        sockopt::set_linger(&self.fd, d)
    }

    /// `SO_LINGER`.
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        sockopt::linger(&self.fd)
    }

    /// `SO_LINGER` of zero: closing resets the connection at once,
    /// dropping what is unsent.
    pub fn set_zero_linger(&self) -> io::Result<()> {
        self.set_linger(Some(Duration::ZERO))
    }

    #[cfg_attr(target_os = "wasi", allow(dead_code))]
    fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    super::socket::traffic_class_methods!();

    /// `SO_KEEPALIVE`.
    pub fn set_keepalive(&self, on: bool) -> io::Result<()> {
        sockopt::set_keepalive(&self.fd, on)
    }

    /// `SO_KEEPALIVE`.
    pub fn keepalive(&self) -> io::Result<bool> {
        sockopt::keepalive(&self.fd)
    }

    /// `TCP_NODELAY`.
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        sockopt::set_nodelay(&self.fd, on)
    }

    /// `TCP_NODELAY`.
    pub fn nodelay(&self) -> io::Result<bool> {
        sockopt::nodelay(&self.fd)
    }

    /// `IPV6_V6ONLY` (an IPv6 socket only).
    pub fn set_only_v6(&self, on: bool) -> io::Result<()> {
        sockopt::set_only_v6(&self.fd, on)
    }

    /// The local address (after `bind`).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        sys::net::local_addr(&self.fd)
    }

    /// The pending socket error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        sys::net::take_error(&self.fd)
    }

    /// Binds to `addr`.
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        sys::net::bind(&self.fd, &addr)
    }

    /// Connects, consuming the socket.
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        TcpStream::connect_fd(self.fd, &addr).await
    }

    /// Starts listening, consuming the socket (`backlog` is capped by the
    /// host at 4096).
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        sys::net::listen(&self.fd, backlog)?;
        TcpListener::from_fd(self.fd)
    }

    /// Wraps a std stream's socket (for setting options on it).
    pub fn from_std_stream(s: std::net::TcpStream) -> TcpSocket {
        TcpSocket { fd: s.into() }
    }
}

impl AsRawFd for TcpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl std::os::fd::AsFd for TcpSocket {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}
