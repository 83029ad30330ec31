//! `set_opt`, `get_opt`, `multicast_join`, `multicast_leave`.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use rustix::net::sockopt as so;
use wasi::*;
use wasio_abi::opt;

use super::addr;
use crate::wasi::buffer_size;
use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::{from_os, Result};
use crate::wasi::mem::GuestMem;
use crate::wasi::table::{Family, Object, SocketKind};

fn flag(v: u64) -> Result<bool> {
    match v {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(ERRNO_INVAL.into()),
    }
}

fn size(v: u64) -> Result<usize> {
    usize::try_from(v)
        .ok()
        .filter(|&n| n > 0 && n <= 1 << 30)
        .ok_or_else(|| ERRNO_INVAL.into())
}

impl WasiCtx {
    /// `set_opt(fd, opt, value)`.
    pub(crate) fn ext_set_opt(&mut self, _: &mut GuestMem, fd: u32, o: u32, v: u64) -> Result<()> {
        let sockfd = fd;
        let s = self.sock(fd)?;
        let fd = &s.fd;
        let v6 = s.family == Family::Inet6;
        let ip = s.family != Family::Unix;
        match o {
            opt::REUSEADDR => so::set_socket_reuseaddr(fd, flag(v)?)?,
            opt::REUSEPORT if ip => {
                let on = flag(v)?;
                if on && !self.reuseport {
                    // It would let the guest join a port that another
                    // process of the same user listens on, and take part
                    // of its connections. The host shares ports among its
                    // own instances (`--workers`), and only then.
                    tracing::warn!(
                        "denied: guest tried to set SO_REUSEPORT; ports are shared only \
                         among the instances of one `wasio run --workers N`"
                    );
                    return Err(ERRNO_ACCES.into());
                }
                so::set_socket_reuseport(fd, on)?
            }
            opt::NODELAY if ip && s.kind == SocketKind::Stream => {
                so::set_tcp_nodelay(fd, flag(v)?)?
            }
            opt::KEEPALIVE => so::set_socket_keepalive(fd, flag(v)?)?,
            opt::TTL if ip => {
                let ttl = u8::try_from(v).ok().filter(|&t| t > 0).ok_or(ERRNO_INVAL)?;
                if v6 {
                    so::set_ipv6_unicast_hops(fd, Some(ttl))?
                } else {
                    so::set_ip_ttl(fd, ttl.into())?
                }
            }
            opt::BROADCAST => so::set_socket_broadcast(fd, flag(v)?)?,
            opt::RECV_BUFFER_SIZE => so::set_socket_recv_buffer_size(fd, size(v)?)?,
            opt::SEND_BUFFER_SIZE => so::set_socket_send_buffer_size(fd, size(v)?)?,
            opt::LINGER => {
                // Off, or 0 (an abortive close: a reset, which never
                // blocks), go to the host socket. A graceful linger would
                // make the host's close(2) wait for the peer, past
                // `--timeout` even on a non-blocking socket: it is kept
                // for get_opt and the close is an ordinary one.
                let (host, kept) = match v {
                    opt::LINGER_OFF => (None, None),
                    0 => (Some(Duration::ZERO), None),
                    v => (None, Some(v.min(u64::from(u16::MAX)) as u16)),
                };
                so::set_socket_linger(fd, host)?;
                let Object::Socket(s) = &mut self.table.get_mut(sockfd)?.object else {
                    return Err(ERRNO_NOTSOCK.into());
                };
                s.linger = kept;
            }
            opt::ONLY_V6 if v6 => so::set_ipv6_v6only(fd, flag(v)?)?,
            opt::MULTICAST_TTL_V4 if ip && !v6 => {
                so::set_ip_multicast_ttl(fd, u8::try_from(v).map_err(|_| ERRNO_INVAL)?.into())?
            }
            opt::MULTICAST_LOOP_V4 if ip && !v6 => so::set_ip_multicast_loop(fd, flag(v)?)?,
            opt::MULTICAST_LOOP_V6 if v6 => so::set_ipv6_multicast_loop(fd, flag(v)?)?,
            opt::ERROR => return Err(ERRNO_INVAL.into()),
            _ => return Err(ERRNO_NOPROTOOPT.into()),
        }
        Ok(())
    }

    /// `get_opt(fd, opt, out)`.
    pub(crate) fn ext_get_opt(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        o: u32,
        out: u32,
    ) -> Result<()> {
        mem.check(out, 8)?;
        let s = self.sock(fd)?;
        let fd = &s.fd;
        let v6 = s.family == Family::Inet6;
        let ip = s.family != Family::Unix;
        let b = |x: bool| x as u64;
        let v: u64 = match o {
            opt::REUSEADDR => b(so::socket_reuseaddr(fd)?),
            opt::REUSEPORT if ip => b(so::socket_reuseport(fd)?),
            opt::NODELAY if ip && s.kind == SocketKind::Stream => b(so::tcp_nodelay(fd)?),
            opt::KEEPALIVE => b(so::socket_keepalive(fd)?),
            opt::TTL if ip && !v6 => so::ip_ttl(fd)?.into(),
            opt::TTL if v6 => so::ipv6_unicast_hops(fd)?.into(),
            opt::BROADCAST => b(so::socket_broadcast(fd)?),
            opt::RECV_BUFFER_SIZE => buffer_size::reported(so::socket_recv_buffer_size(fd)?),
            opt::SEND_BUFFER_SIZE => buffer_size::reported(so::socket_send_buffer_size(fd)?),
            opt::LINGER => match s.linger {
                Some(secs) => secs.into(),
                None => so::socket_linger(fd)?.map_or(opt::LINGER_OFF, |d| d.as_secs()),
            },
            opt::ONLY_V6 if v6 => b(so::ipv6_v6only(fd)?),
            opt::ERROR => match so::socket_error(fd)? {
                Ok(()) => 0,
                Err(e) => from_os(e).raw().into(),
            },
            opt::MULTICAST_TTL_V4 if ip && !v6 => so::ip_multicast_ttl(fd)?.into(),
            opt::MULTICAST_LOOP_V4 if ip && !v6 => b(so::ip_multicast_loop(fd)?),
            opt::MULTICAST_LOOP_V6 if v6 => b(so::ipv6_multicast_loop(fd)?),
            _ => return Err(ERRNO_NOPROTOOPT.into()),
        };
        mem.put_u64(out, v)?;
        Ok(())
    }

    fn membership(
        &mut self,
        mem: &GuestMem,
        fd: u32,
        group: u32,
        iface: u32,
        join: bool,
    ) -> Result<()> {
        let g = addr::read(mem, group)?;
        let i = addr::read(mem, iface)?;
        let s = self.sock(fd)?;
        if s.kind != SocketKind::Datagram || !g.ip().is_multicast() || !addr::fits(s.family, &g) {
            return Err(ERRNO_INVAL.into());
        }
        match (g, i) {
            (SocketAddr::V4(g), i) => {
                let IpAddr::V4(local) = i.ip() else {
                    return Err(ERRNO_INVAL.into());
                };
                if join {
                    so::set_ip_add_membership(&s.fd, g.ip(), &local)?
                } else {
                    so::set_ip_drop_membership(&s.fd, g.ip(), &local)?
                }
            }
            (SocketAddr::V6(g), i) => {
                let index = match i {
                    SocketAddr::V6(v6) => v6.scope_id(),
                    SocketAddr::V4(_) => return Err(ERRNO_INVAL.into()),
                };
                if join {
                    so::set_ipv6_add_membership(&s.fd, g.ip(), index)?
                } else {
                    so::set_ipv6_drop_membership(&s.fd, g.ip(), index)?
                }
            }
        }
        Ok(())
    }

    /// `multicast_join(fd, group, iface)`.
    pub(crate) fn ext_multicast_join(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        group: u32,
        iface: u32,
    ) -> Result<()> {
        self.membership(mem, fd, group, iface, true)
    }

    /// `multicast_leave(fd, group, iface)`.
    pub(crate) fn ext_multicast_leave(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        group: u32,
        iface: u32,
    ) -> Result<()> {
        self.membership(mem, fd, group, iface, false)
    }
}
