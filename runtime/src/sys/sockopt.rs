//! Typed socket options over the platforms' `net::{set_opt, get_opt}`.
//!
//! Every value is checked here, once for both targets, with the limits the
//! wasio host applies (so a program behaves the same natively and under
//! `wasio run`): a TTL is 1-255, a buffer size 1 byte to 1 GiB, a linger
//! at most an hour (longer is capped, as the host does).

use std::io;
use std::os::fd::OwnedFd;
use std::time::Duration;

use super::net;
use super::net_types::{Opt, LINGER_OFF};

/// Longest `SO_LINGER` (longer values are capped to it).
pub(crate) const MAX_LINGER: Duration = Duration::from_secs(3600);
/// Largest socket buffer size that may be asked for.
pub(crate) const MAX_BUFFER: usize = 1 << 30;

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what.to_string())
}

fn flag(s: &OwnedFd, o: Opt, on: bool) -> io::Result<()> {
    net::set_opt(s, o, on.into())
}

fn get_flag(s: &OwnedFd, o: Opt) -> io::Result<bool> {
    Ok(net::get_opt(s, o)? != 0)
}

/// `SO_REUSEADDR`.
pub(crate) fn set_reuseaddr(s: &OwnedFd, on: bool) -> io::Result<()> {
    flag(s, Opt::ReuseAddr, on)
}

/// `SO_REUSEADDR`.
pub(crate) fn reuseaddr(s: &OwnedFd) -> io::Result<bool> {
    get_flag(s, Opt::ReuseAddr)
}

/// `SO_REUSEPORT`.
pub(crate) fn set_reuseport(s: &OwnedFd, on: bool) -> io::Result<()> {
    flag(s, Opt::ReusePort, on)
}

/// `SO_REUSEPORT`.
pub(crate) fn reuseport(s: &OwnedFd) -> io::Result<bool> {
    get_flag(s, Opt::ReusePort)
}

/// `TCP_NODELAY`.
pub(crate) fn set_nodelay(s: &OwnedFd, on: bool) -> io::Result<()> {
    flag(s, Opt::NoDelay, on)
}

/// `TCP_NODELAY`.
pub(crate) fn nodelay(s: &OwnedFd) -> io::Result<bool> {
    get_flag(s, Opt::NoDelay)
}

/// `SO_KEEPALIVE`.
pub(crate) fn set_keepalive(s: &OwnedFd, on: bool) -> io::Result<()> {
    flag(s, Opt::KeepAlive, on)
}

/// `SO_KEEPALIVE`.
pub(crate) fn keepalive(s: &OwnedFd) -> io::Result<bool> {
    get_flag(s, Opt::KeepAlive)
}

/// `SO_BROADCAST`.
pub(crate) fn set_broadcast(s: &OwnedFd, on: bool) -> io::Result<()> {
    flag(s, Opt::Broadcast, on)
}

/// `SO_BROADCAST`.
pub(crate) fn broadcast(s: &OwnedFd) -> io::Result<bool> {
    get_flag(s, Opt::Broadcast)
}

/// `IPV6_V6ONLY`.
pub(crate) fn set_only_v6(s: &OwnedFd, on: bool) -> io::Result<()> {
    flag(s, Opt::OnlyV6, on)
}

/// `IP_MULTICAST_LOOP`.
pub(crate) fn set_multicast_loop_v4(s: &OwnedFd, on: bool) -> io::Result<()> {
    flag(s, Opt::MulticastLoopV4, on)
}

/// `IPV6_MULTICAST_LOOP`.
pub(crate) fn set_multicast_loop_v6(s: &OwnedFd, on: bool) -> io::Result<()> {
    flag(s, Opt::MulticastLoopV6, on)
}

/// `IP_MULTICAST_LOOP`.
pub(crate) fn multicast_loop_v4(s: &OwnedFd) -> io::Result<bool> {
    get_flag(s, Opt::MulticastLoopV4)
}

/// `IPV6_MULTICAST_LOOP`.
pub(crate) fn multicast_loop_v6(s: &OwnedFd) -> io::Result<bool> {
    get_flag(s, Opt::MulticastLoopV6)
}

/// `IP_MULTICAST_TTL`.
pub(crate) fn multicast_ttl_v4(s: &OwnedFd) -> io::Result<u32> {
    Ok(net::get_opt(s, Opt::MulticastTtlV4)? as u32)
}

/// `IP_TTL` / `IPV6_UNICAST_HOPS`: 1-255.
pub(crate) fn set_ttl(s: &OwnedFd, ttl: u32) -> io::Result<()> {
    if !(1..=255).contains(&ttl) {
        return Err(invalid("a TTL is 1-255"));
    }
    net::set_opt(s, Opt::Ttl, ttl.into())
}

/// `IP_TTL` / `IPV6_UNICAST_HOPS`.
pub(crate) fn ttl(s: &OwnedFd) -> io::Result<u32> {
    Ok(net::get_opt(s, Opt::Ttl)? as u32)
}

/// `IP_MULTICAST_TTL`: 0-255.
pub(crate) fn set_multicast_ttl_v4(s: &OwnedFd, ttl: u32) -> io::Result<()> {
    if ttl > 255 {
        return Err(invalid("a multicast TTL is 0-255"));
    }
    net::set_opt(s, Opt::MulticastTtlV4, ttl.into())
}

fn buffer(n: u32) -> io::Result<u64> {
    if n == 0 || n as usize > MAX_BUFFER {
        return Err(invalid("a socket buffer size is 1 byte to 1 GiB"));
    }
    Ok(n.into())
}

/// `SO_RCVBUF` (the system may round or double it).
pub(crate) fn set_recv_buffer_size(s: &OwnedFd, n: u32) -> io::Result<()> {
    net::set_opt(s, Opt::RecvBufferSize, buffer(n)?)
}

/// `SO_RCVBUF`.
pub(crate) fn recv_buffer_size(s: &OwnedFd) -> io::Result<u32> {
    Ok(net::get_opt(s, Opt::RecvBufferSize)?.min(u32::MAX.into()) as u32)
}

/// `SO_SNDBUF` (the system may round or double it).
pub(crate) fn set_send_buffer_size(s: &OwnedFd, n: u32) -> io::Result<()> {
    net::set_opt(s, Opt::SendBufferSize, buffer(n)?)
}

/// `SO_SNDBUF`.
pub(crate) fn send_buffer_size(s: &OwnedFd) -> io::Result<u32> {
    Ok(net::get_opt(s, Opt::SendBufferSize)?.min(u32::MAX.into()) as u32)
}

/// `SO_LINGER` in whole seconds, capped at [`MAX_LINGER`]; `None`: off.
pub(crate) fn set_linger(s: &OwnedFd, d: Option<Duration>) -> io::Result<()> {
    let v = d.map_or(LINGER_OFF, |d| d.min(MAX_LINGER).as_secs());
    net::set_opt(s, Opt::Linger, v)
}

/// `SO_LINGER`.
pub(crate) fn linger(s: &OwnedFd) -> io::Result<Option<Duration>> {
    let v = net::get_opt(s, Opt::Linger)?;
    Ok((v != LINGER_OFF).then(|| Duration::from_secs(v)))
}
