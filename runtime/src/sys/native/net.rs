//! Sockets on native targets: plain non-blocking system calls (rustix).

use std::io;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::sys::net_types::{Family, Kind, Opt, LINGER_OFF};
use rustix::net::sockopt as so;
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketAddrUnix, SocketFlags, SocketType};

pub(crate) fn socket(family: Family, kind: Kind) -> io::Result<OwnedFd> {
    let af = match family {
        Family::V4 => AddressFamily::INET,
        Family::V6 => AddressFamily::INET6,
        Family::Unix => AddressFamily::UNIX,
    };
    let ty = match kind {
        Kind::Stream => SocketType::STREAM,
        Kind::Datagram => SocketType::DGRAM,
    };
    Ok(rustix::net::socket_with(
        af,
        ty,
        SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
        None,
    )?)
}

pub(crate) fn bind(s: &OwnedFd, a: &SocketAddr) -> io::Result<()> {
    Ok(rustix::net::bind(s, a)?)
}

pub(crate) fn listen(s: &OwnedFd, backlog: u32) -> io::Result<()> {
    Ok(rustix::net::listen(s, backlog.min(i32::MAX as u32) as i32)?)
}

fn in_progress(r: rustix::io::Result<()>) -> io::Result<bool> {
    match r {
        Ok(()) => Ok(true),
        // AGAIN is not under way (a full Unix listener queue): an error.
        Err(rustix::io::Errno::INPROGRESS) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// `Ok(true)`: connected; `Ok(false)`: under way (wait for writability).
pub(crate) fn connect(s: &OwnedFd, a: &SocketAddr) -> io::Result<bool> {
    in_progress(rustix::net::connect(s, a))
}

pub(crate) fn bind_unix(s: &OwnedFd, path: &Path) -> io::Result<()> {
    Ok(rustix::net::bind(s, &SocketAddrUnix::new(path)?)?)
}

pub(crate) fn connect_unix(s: &OwnedFd, path: &Path) -> io::Result<bool> {
    in_progress(rustix::net::connect(s, &SocketAddrUnix::new(path)?))
}

/// A connected pair of Unix sockets (non-blocking, close-on-exec).
pub(crate) fn unix_pair(kind: Kind) -> io::Result<(OwnedFd, OwnedFd)> {
    let ty = match kind {
        Kind::Stream => SocketType::STREAM,
        Kind::Datagram => SocketType::DGRAM,
    };
    let flags = SocketFlags::NONBLOCK | SocketFlags::CLOEXEC;
    Ok(rustix::net::socketpair(
        AddressFamily::UNIX,
        ty,
        flags,
        None,
    )?)
}

/// Sends a datagram to the Unix socket at `path`.
pub(crate) fn send_to_unix(s: &OwnedFd, buf: &[u8], path: &Path) -> io::Result<usize> {
    let to = SocketAddrUnix::new(path)?;
    Ok(rustix::net::sendto(s, buf, SendFlags::NOSIGNAL, &to)?)
}

/// The path of a Unix socket address (`None`: unnamed or abstract).
fn unix_path(a: Option<rustix::net::SocketAddrAny>) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let a = SocketAddrUnix::try_from(a?).ok()?;
    let bytes = a.path_bytes()?;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(bytes)))
}

/// Receives a datagram and the path of the socket it came from.
pub(crate) fn recv_from_unix(
    s: &OwnedFd,
    buf: &mut [u8],
    peek: bool,
) -> io::Result<(usize, Option<PathBuf>)> {
    let flags = if peek {
        RecvFlags::PEEK
    } else {
        RecvFlags::empty()
    };
    let (n, _, from) = rustix::net::recvfrom(s, buf, flags)?;
    Ok((n, unix_path(from)))
}

/// The path a Unix socket is bound to, if any.
pub(crate) fn unix_local_path(s: &OwnedFd) -> io::Result<Option<PathBuf>> {
    Ok(unix_path(Some(rustix::net::getsockname(s)?)))
}

/// The path of a Unix socket's peer, if it has one.
pub(crate) fn unix_peer_path(s: &OwnedFd) -> io::Result<Option<PathBuf>> {
    Ok(unix_path(rustix::net::getpeername(s)?))
}

pub(crate) fn accept(s: &OwnedFd) -> io::Result<OwnedFd> {
    Ok(rustix::net::accept_with(
        s,
        SocketFlags::NONBLOCK | SocketFlags::CLOEXEC,
    )?)
}

pub(crate) fn recv(s: &OwnedFd, buf: &mut [u8], peek: bool) -> io::Result<usize> {
    let flags = if peek {
        RecvFlags::PEEK
    } else {
        RecvFlags::empty()
    };
    Ok(rustix::net::recv(s, buf, flags)?.0)
}

pub(crate) fn send(s: &OwnedFd, buf: &[u8]) -> io::Result<usize> {
    Ok(rustix::net::send(s, buf, SendFlags::NOSIGNAL)?)
}

/// One receive scattering into `bufs` in order (`recvmsg`).
pub(crate) fn recv_vectored(s: &OwnedFd, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize> {
    let mut control = rustix::net::RecvAncillaryBuffer::default();
    Ok(rustix::net::recvmsg(s, bufs, &mut control, RecvFlags::empty())?.bytes)
}

/// One send gathering `bufs` in order (`sendmsg`, no SIGPIPE).
pub(crate) fn send_vectored(s: &OwnedFd, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
    let mut control = rustix::net::SendAncillaryBuffer::default();
    Ok(rustix::net::sendmsg(
        s,
        bufs,
        &mut control,
        SendFlags::NOSIGNAL,
    )?)
}

pub(crate) fn recv_from(
    s: &OwnedFd,
    buf: &mut [u8],
    peek: bool,
) -> io::Result<(usize, Option<SocketAddr>)> {
    let flags = if peek {
        RecvFlags::PEEK
    } else {
        RecvFlags::empty()
    };
    let (n, _, from) = rustix::net::recvfrom(s, buf, flags)?;
    Ok((n, from.and_then(|a| SocketAddr::try_from(a).ok())))
}

pub(crate) fn send_to(s: &OwnedFd, buf: &[u8], a: &SocketAddr) -> io::Result<usize> {
    Ok(rustix::net::sendto(s, buf, SendFlags::NOSIGNAL, a)?)
}

pub(crate) fn shutdown(s: &OwnedFd, how: std::net::Shutdown) -> io::Result<()> {
    let how = match how {
        std::net::Shutdown::Read => rustix::net::Shutdown::Read,
        std::net::Shutdown::Write => rustix::net::Shutdown::Write,
        std::net::Shutdown::Both => rustix::net::Shutdown::Both,
    };
    Ok(rustix::net::shutdown(s, how)?)
}

fn ip(a: rustix::net::SocketAddrAny) -> io::Result<SocketAddr> {
    SocketAddr::try_from(a)
        .map_err(|_| io::Error::new(io::ErrorKind::Unsupported, "not an IP socket"))
}

pub(crate) fn local_addr(s: &OwnedFd) -> io::Result<SocketAddr> {
    ip(rustix::net::getsockname(s)?)
}

pub(crate) fn peer_addr(s: &OwnedFd) -> io::Result<SocketAddr> {
    match rustix::net::getpeername(s)? {
        Some(a) => ip(a),
        None => Err(io::ErrorKind::NotConnected.into()),
    }
}

fn is_v6(s: &OwnedFd) -> io::Result<bool> {
    Ok(so::socket_domain(s)? == AddressFamily::INET6)
}

/// `IP_TOS` (one byte: a larger value is `InvalidInput`).
pub(crate) fn set_tos_v4(s: &OwnedFd, tos: u32) -> io::Result<()> {
    let tos = u8::try_from(tos).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    Ok(so::set_ip_tos(s, tos)?)
}

/// `IP_TOS`.
pub(crate) fn tos_v4(s: &OwnedFd) -> io::Result<u32> {
    Ok(so::ip_tos(s)?.into())
}

/// `IPV6_TCLASS`.
pub(crate) fn set_tclass_v6(s: &OwnedFd, tclass: u32) -> io::Result<()> {
    Ok(so::set_ipv6_tclass(s, tclass)?)
}

/// `IPV6_TCLASS`.
pub(crate) fn tclass_v6(s: &OwnedFd) -> io::Result<u32> {
    Ok(so::ipv6_tclass(s)?)
}

/// Sets option `o` (values already checked by `sys::sockopt`).
pub(crate) fn set_opt(s: &OwnedFd, o: Opt, v: u64) -> io::Result<()> {
    let on = v != 0;
    let small = |v: u64| u32::try_from(v).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput));
    match o {
        Opt::ReuseAddr => so::set_socket_reuseaddr(s, on)?,
        Opt::ReusePort => so::set_socket_reuseport(s, on)?,
        Opt::NoDelay => so::set_tcp_nodelay(s, on)?,
        Opt::KeepAlive => so::set_socket_keepalive(s, on)?,
        Opt::Ttl => {
            let t = small(v)?;
            if is_v6(s)? {
                so::set_ipv6_unicast_hops(s, Some(t as u8))?
            } else {
                so::set_ip_ttl(s, t)?
            }
        }
        Opt::Broadcast => so::set_socket_broadcast(s, on)?,
        Opt::RecvBufferSize => so::set_socket_recv_buffer_size(s, v as usize)?,
        Opt::SendBufferSize => so::set_socket_send_buffer_size(s, v as usize)?,
        Opt::Linger => so::set_socket_linger(s, (v != LINGER_OFF).then(|| Duration::from_secs(v)))?,
        Opt::OnlyV6 => so::set_ipv6_v6only(s, on)?,
        Opt::MulticastTtlV4 => so::set_ip_multicast_ttl(s, small(v)?)?,
        Opt::MulticastLoopV4 => so::set_ip_multicast_loop(s, on)?,
        Opt::MulticastLoopV6 => so::set_ipv6_multicast_loop(s, on)?,
    }
    Ok(())
}

/// Reads option `o`.
pub(crate) fn get_opt(s: &OwnedFd, o: Opt) -> io::Result<u64> {
    let b = |x: bool| x as u64;
    Ok(match o {
        Opt::ReuseAddr => b(so::socket_reuseaddr(s)?),
        Opt::ReusePort => b(so::socket_reuseport(s)?),
        Opt::NoDelay => b(so::tcp_nodelay(s)?),
        Opt::KeepAlive => b(so::socket_keepalive(s)?),
        Opt::Ttl if is_v6(s)? => so::ipv6_unicast_hops(s)?.into(),
        Opt::Ttl => so::ip_ttl(s)?.into(),
        Opt::Broadcast => b(so::socket_broadcast(s)?),
        Opt::RecvBufferSize => so::socket_recv_buffer_size(s)? as u64,
        Opt::SendBufferSize => so::socket_send_buffer_size(s)? as u64,
        Opt::Linger => so::socket_linger(s)?.map_or(LINGER_OFF, |d| d.as_secs()),
        Opt::OnlyV6 => b(so::ipv6_v6only(s)?),
        Opt::MulticastTtlV4 => so::ip_multicast_ttl(s)?.into(),
        Opt::MulticastLoopV4 => b(so::ip_multicast_loop(s)?),
        Opt::MulticastLoopV6 => b(so::ipv6_multicast_loop(s)?),
    })
}

/// The pending error of a socket (how a finished connect reports).
pub(crate) fn take_error(s: &OwnedFd) -> io::Result<Option<io::Error>> {
    Ok(so::socket_error(s)?.err().map(io::Error::from))
}

pub(crate) fn multicast(
    s: &OwnedFd,
    group: &SocketAddr,
    iface: &SocketAddr,
    join: bool,
) -> io::Result<()> {
    match (group.ip(), iface) {
        (IpAddr::V4(g), SocketAddr::V4(i)) => {
            if join {
                so::set_ip_add_membership(s, &g, i.ip())?
            } else {
                so::set_ip_drop_membership(s, &g, i.ip())?
            }
        }
        (IpAddr::V6(g), SocketAddr::V6(i)) => {
            if join {
                so::set_ipv6_add_membership(s, &g, i.scope_id())?
            } else {
                so::set_ipv6_drop_membership(s, &g, i.scope_id())?
            }
        }
        _ => return Err(io::ErrorKind::InvalidInput.into()),
    }
    Ok(())
}

/// Name resolution (the system resolver; it blocks this thread).
pub(crate) fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok((host, port).to_socket_addrs()?.collect())
}
