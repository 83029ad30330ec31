//! [`UdpSocket`].

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::OwnedFd;
use std::task::{Context, Poll};

use tokio::io::ReadBuf;

use super::addr::{each_addr, ToSocketAddrs};
use super::socket::{self, fill_read_buf, new_io, Io};
use crate::sys::net_types::{Family, Kind};
use crate::sys::{self, Direction};

/// A UDP socket.
///
/// ```no_run
/// #[wasio::main]
/// async fn main() -> std::io::Result<()> {
///     // Under wasio: --allow-udp-bind 127.0.0.1 --allow-udp-send 127.0.0.1
///     let sock = wasio::net::UdpSocket::bind("127.0.0.1:9000").await?;
///     let mut buf = [0u8; 1500];
///     loop {
///         let (n, from) = sock.recv_from(&mut buf).await?;
///         sock.send_to(&buf[..n], from).await?;
///     }
/// }
/// ```
#[derive(Debug)]
pub struct UdpSocket {
    io: Io,
}

impl UdpSocket {
    /// Binds to the first address that works (`--allow-udp-bind`).
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        each_addr(addr, |a| async move {
            let fd = sys::net::socket(Family::of(&a), Kind::Datagram)?;
            sys::net::bind(&fd, &a)?;
            Ok(UdpSocket { io: new_io(fd)? })
        })
        .await
    }

    /// Wraps a std socket, making it non-blocking.
    pub fn from_std(s: std::net::UdpSocket) -> io::Result<UdpSocket> {
        s.set_nonblocking(true)?;
        Ok(UdpSocket {
            io: new_io(OwnedFd::from(s))?,
        })
    }

    fn fd(&self) -> &OwnedFd {
        &self.io.get_ref().0
    }

    /// Sets the default destination (`--allow-udp-send`) and accepts
    /// datagrams only from it.
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        each_addr(addr, |a| async move {
            // A UDP connect completes at once.
            sys::net::connect(self.fd(), &a).map(drop)
        })
        .await
    }

    /// Sends to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| {
            self.io
                .poll_io(cx, Direction::Write, |s| sys::net::send(&s.0, buf))
        })
        .await
    }

    /// Receives from the connected peer.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| {
            self.io
                .poll_io(cx, Direction::Read, |s| sys::net::recv(&s.0, buf, false))
        })
        .await
    }

    /// Sends one datagram to `target` (each destination is checked against
    /// `--allow-udp-send`).
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let a = target
            .to_socket_addrs()?
            .into_iter()
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to send to"))?;
        std::future::poll_fn(|cx| {
            self.io
                .poll_io(cx, Direction::Write, |s| sys::net::send_to(&s.0, buf, &a))
        })
        .await
    }

    /// Receives one datagram and who sent it. A datagram longer than `buf`
    /// is truncated.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        std::future::poll_fn(|cx| {
            self.io
                .poll_io(cx, Direction::Read, |s| recv_from(s, buf, false))
        })
        .await
    }

    /// Like [`recv_from`](Self::recv_from) but leaves the datagram queued.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        std::future::poll_fn(|cx| {
            self.io
                .poll_io(cx, Direction::Read, |s| recv_from(s, buf, true))
        })
        .await
    }

    /// Who sent the next datagram, leaving it queued.
    pub async fn peek_sender(&self) -> io::Result<SocketAddr> {
        std::future::poll_fn(|cx| self.poll_peek_sender(cx)).await
    }

    /// Sends to the connected peer now, without waiting (`WouldBlock` if
    /// the send queue is full).
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        socket::try_send(&self.io, buf)
    }

    /// Receives a datagram from the connected peer that is there now,
    /// without waiting.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        socket::try_recv(&self.io, buf)
    }

    /// Sends one datagram to `target` now, without waiting.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io
            .try_io(Direction::Write, |s| sys::net::send_to(&s.0, buf, &target))
    }

    /// Receives a datagram that is there now, and who sent it, without
    /// waiting.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .try_io(Direction::Read, |s| recv_from(s, buf, false))
    }

    /// Like [`try_recv_from`](Self::try_recv_from) but leaves the datagram
    /// queued.
    pub fn try_peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Direction::Read, |s| recv_from(s, buf, true))
    }

    /// Who sent the datagram that is there now, leaving it queued.
    pub fn try_peek_sender(&self) -> io::Result<SocketAddr> {
        self.io
            .try_io(Direction::Read, |s| recv_from(s, &mut [], true))
            .map(|(_, from)| from)
    }

    /// Receives a datagram from the connected peer into `buf`'s spare
    /// capacity.
    pub async fn recv_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        socket::recv_buf(&self.io, buf).await
    }

    /// Receives a datagram from the connected peer that is there now into
    /// `buf`'s spare capacity.
    pub fn try_recv_buf<B: bytes::BufMut>(&self, buf: &mut B) -> io::Result<usize> {
        socket::try_recv_buf(&self.io, buf)
    }

    /// Receives a datagram into `buf`'s spare capacity, and who sent it.
    pub async fn recv_buf_from<B: bytes::BufMut>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        socket::recv_buf_from(&self.io, buf, |s, dst| recv_from(s, dst, false)).await
    }

    /// Receives a datagram that is there now into `buf`'s spare capacity,
    /// and who sent it.
    pub fn try_recv_buf_from<B: bytes::BufMut>(
        &self,
        buf: &mut B,
    ) -> io::Result<(usize, SocketAddr)> {
        socket::try_recv_buf_from(&self.io, buf, |s, dst| recv_from(s, dst, false))
    }

    /// Polls to send to the connected peer.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        socket::poll_send(&self.io, cx, buf)
    }

    /// Polls to send one datagram to `target`.
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Write, |s| {
            sys::net::send_to(&s.0, buf, &target)
        })
    }

    /// Polls to receive a datagram from the connected peer into `buf`'s
    /// unfilled part.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.io.poll_io(cx, Direction::Read, |s| {
            fill_read_buf(buf, |dst| Ok((sys::net::recv(&s.0, dst, false)?, ())))
        })
    }

    /// Polls to receive a datagram into `buf`'s unfilled part; ready with
    /// who sent it.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        self.io.poll_io(cx, Direction::Read, |s| {
            fill_read_buf(buf, |dst| recv_from(s, dst, false))
        })
    }

    /// Like [`poll_recv_from`](Self::poll_recv_from) but leaves the
    /// datagram queued.
    pub fn poll_peek_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        self.io.poll_io(cx, Direction::Read, |s| {
            fill_read_buf(buf, |dst| recv_from(s, dst, true))
        })
    }

    /// Polls for who sent the next datagram, leaving it queued.
    pub fn poll_peek_sender(&self, cx: &mut Context<'_>) -> Poll<io::Result<SocketAddr>> {
        self.io
            .poll_io(cx, Direction::Read, |s| recv_from(s, &mut [], true))
            .map_ok(|(_, from)| from)
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

    /// The pending socket error (`SO_ERROR`), clearing it.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        sys::net::take_error(self.fd())
    }

    /// The std socket inside (still non-blocking), taken off the reactor.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        Ok(std::net::UdpSocket::from(self.io.into_inner().0))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        sys::net::local_addr(self.fd())
    }

    /// The connected peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        sys::net::peer_addr(self.fd())
    }

    /// Allows sending to broadcast addresses.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        sys::sockopt::set_broadcast(self.fd(), on)
    }

    /// Whether broadcast is allowed.
    pub fn broadcast(&self) -> io::Result<bool> {
        sys::sockopt::broadcast(self.fd())
    }

    /// Sets the IP time-to-live.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        sys::sockopt::set_ttl(self.fd(), ttl)
    }

    /// The IP time-to-live.
    pub fn ttl(&self) -> io::Result<u32> {
        sys::sockopt::ttl(self.fd())
    }

    /// Joins an IPv4 multicast group on the interface with address
    /// `interface` (`0.0.0.0`: any).
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.membership_v4(multiaddr, interface, true)
    }

    /// Leaves an IPv4 multicast group.
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.membership_v4(multiaddr, interface, false)
    }

    fn membership_v4(&self, g: Ipv4Addr, i: Ipv4Addr, join: bool) -> io::Result<()> {
        let g = SocketAddr::V4(SocketAddrV4::new(g, 0));
        let i = SocketAddr::V4(SocketAddrV4::new(i, 0));
        sys::net::multicast(self.fd(), &g, &i, join)
    }

    /// Joins an IPv6 multicast group on interface index `interface` (0: any).
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.membership_v6(multiaddr, interface, true)
    }

    /// Leaves an IPv6 multicast group.
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.membership_v6(multiaddr, interface, false)
    }

    fn membership_v6(&self, g: &Ipv6Addr, index: u32, join: bool) -> io::Result<()> {
        let g = SocketAddr::V6(SocketAddrV6::new(*g, 0, 0, 0));
        let i = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, 0, 0, index));
        sys::net::multicast(self.fd(), &g, &i, join)
    }

    /// Whether multicast sent here loops back to this host (IPv4).
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        sys::sockopt::set_multicast_loop_v4(self.fd(), on)
    }

    /// Whether multicast sent here loops back to this host (IPv4).
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        sys::sockopt::multicast_loop_v4(self.fd())
    }

    /// Multicast time-to-live (IPv4).
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        sys::sockopt::set_multicast_ttl_v4(self.fd(), ttl)
    }

    /// Multicast time-to-live (IPv4).
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        sys::sockopt::multicast_ttl_v4(self.fd())
    }

    /// Whether multicast sent here loops back to this host (IPv6).
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        sys::sockopt::set_multicast_loop_v6(self.fd(), on)
    }

    /// Whether multicast sent here loops back to this host (IPv6).
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        sys::sockopt::multicast_loop_v6(self.fd())
    }

    socket::traffic_class_methods!();
}

/// One `recvfrom`; a source the system does not name (none for a
/// connected socket on some systems) reads as `0.0.0.0:0`.
fn recv_from(s: &socket::Sock, buf: &mut [u8], peek: bool) -> io::Result<(usize, SocketAddr)> {
    let (n, from) = sys::net::recv_from(&s.0, buf, peek)?;
    Ok((
        n,
        from.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0))),
    ))
}

socket::impl_fd!(UdpSocket);

impl TryFrom<std::net::UdpSocket> for UdpSocket {
    type Error = io::Error;

    /// [`UdpSocket::from_std`].
    fn try_from(s: std::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::from_std(s)
    }
}
