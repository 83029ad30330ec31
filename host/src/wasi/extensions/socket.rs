//! `socket`, `bind`, `listen`, `connect`, `send_to`, `recv_from`,
//! `local_addr`, `peer_addr`.

use rustix::io::Errno as Os;
use rustix::net::{AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};
use wasi::*;
use wasio_abi::{AF_INET4, AF_INET6, AF_UNIX, RECV_PEEK, RECV_TRUNCATED, SOCK_DGRAM, SOCK_STREAM};

use super::addr;
use crate::policy::Action;
use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::mem::GuestMem;
use crate::wasi::reactor::Direction;
use crate::wasi::rights;
use crate::wasi::table::{Descriptor, Family, Object, Socket, SocketKind};

impl WasiCtx {
    pub(super) fn sock(&self, fd: u32) -> Result<&Socket> {
        Ok(self.table.get(fd)?.socket()?)
    }

    /// `socket(domain, type, fdflags, out_fd)`.
    pub(crate) fn ext_socket(
        &mut self,
        mem: &mut GuestMem,
        domain: u32,
        ty: u32,
        fdflags: u32,
        out: u32,
    ) -> Result<()> {
        mem.check(out, 4)?;
        let (family, af) = match u16::try_from(domain).unwrap_or(0) {
            AF_INET4 => (Family::Inet4, AddressFamily::INET),
            AF_INET6 => (Family::Inet6, AddressFamily::INET6),
            AF_UNIX => (Family::Unix, AddressFamily::UNIX),
            _ => return Err(ERRNO_AFNOSUPPORT.into()),
        };
        let (kind, st) = match ty {
            SOCK_STREAM => (SocketKind::Stream, SocketType::STREAM),
            SOCK_DGRAM => (SocketKind::Datagram, SocketType::DGRAM),
            _ => return Err(ERRNO_PROTOTYPE.into()),
        };
        let flags = u16::try_from(fdflags).map_err(|_| ERRNO_INVAL)?;
        if flags & !FDFLAGS_NONBLOCK != 0 {
            return Err(ERRNO_INVAL.into());
        }
        if self.table.len() >= self.table.max_open() {
            return Err(ERRNO_MFILE.into());
        }
        let fd =
            rustix::net::socket_with(af, st, SocketFlags::NONBLOCK | SocketFlags::CLOEXEC, None)?;
        let sock = Socket {
            fd,
            family,
            kind,
            listening: false,
            linger: None,
        };
        let base = rights::SOCKET
            | if kind == SocketKind::Stream {
                RIGHTS_SOCK_ACCEPT
            } else {
                0
            };
        let mut d = Descriptor::new(Object::Socket(sock), base, 0);
        d.flags = flags;
        let newfd = self.table.push(d)?;
        mem.put_u32(out, newfd)?;
        Ok(())
    }

    /// `bind(fd, addr)`.
    pub(crate) fn ext_bind(&mut self, mem: &mut GuestMem, fd: u32, addr_ptr: u32) -> Result<()> {
        let a = addr::read(mem, addr_ptr)?;
        let s = self.sock(fd)?;
        if !addr::fits(s.family, &a) {
            return Err(ERRNO_AFNOSUPPORT.into());
        }
        let action = match s.kind {
            SocketKind::Stream => Action::Listen,
            SocketKind::Datagram => Action::UdpBind,
        };
        if !self.policy.allows(action, &a) {
            return Err(ERRNO_ACCES.into());
        }
        if self.reuseport {
            if s.kind == SocketKind::Stream {
                if let Some(kept) = self.kept.as_ref().and_then(|k| k.reuse(self.worker, a)) {
                    // A restarted worker: its predecessor's listener, with
                    // the connections that queued while it was down.
                    let d = self.table.get_mut(fd)?;
                    if let Some(t) = d.token.take() {
                        self.reactor.forget(t);
                    }
                    if let Object::Socket(s) = &mut d.object {
                        s.fd = kept;
                    }
                    return Ok(());
                }
            }
            // `--workers`: every instance binds the same port, and the
            // kernel spreads connections (and datagrams) across them.
            rustix::net::sockopt::set_socket_reuseport(&s.fd, true)?;
        }
        rustix::net::bind(&s.fd, &a)?;
        Ok(())
    }

    /// `listen(fd, backlog)`.
    pub(crate) fn ext_listen(&mut self, _: &mut GuestMem, fd: u32, backlog: u32) -> Result<()> {
        let s = self.sock(fd)?;
        if s.kind != SocketKind::Stream {
            return Err(ERRNO_NOTSUP.into());
        }
        // An unbound socket would be bound by the system to the any-address
        // and a free port: that is a bind, and needs the same grant.
        if s.family != Family::Unix {
            if let Some(a) = addr::local_ip(&s.fd).filter(|a| a.port() == 0) {
                if !self.policy.allows(Action::Listen, &a) {
                    return Err(ERRNO_ACCES.into());
                }
            }
        }
        let Object::Socket(s) = &mut self.table.get_mut(fd)?.object else {
            return Err(ERRNO_NOTSOCK.into());
        };
        rustix::net::listen(&s.fd, backlog.min(4096) as i32)?;
        s.listening = true;
        if let (Some(kept), true) = (&self.kept, self.reuseport) {
            if let Some(a) = addr::local_ip(&s.fd) {
                kept.keep(self.worker, a, &s.fd);
            }
        }
        Ok(())
    }

    /// `connect(fd, addr)`.
    pub(crate) fn ext_connect(&mut self, mem: &mut GuestMem, fd: u32, addr_ptr: u32) -> Result<()> {
        let a = addr::read(mem, addr_ptr)?;
        let s = self.sock(fd)?;
        if !addr::fits(s.family, &a) {
            return Err(ERRNO_AFNOSUPPORT.into());
        }
        let action = match s.kind {
            SocketKind::Stream => Action::Connect,
            SocketKind::Datagram => Action::UdpSend,
        };
        if !self.policy.allows(action, &a) {
            return Err(ERRNO_ACCES.into());
        }
        let r = rustix::net::connect(&s.fd, &a);
        self.finish_connect(fd, r)
    }

    /// A connect that is under way completes in the background when the
    /// guest fd is non-blocking (`INPROGRESS`; writability then means
    /// done, and `SO_ERROR` says how). A blocking guest fd waits here.
    pub(super) fn finish_connect(&mut self, fd: u32, r: rustix::io::Result<()>) -> Result<()> {
        match r {
            Ok(()) => Ok(()),
            // Only INPROGRESS is under way. AGAIN is not: a Unix listener's
            // queue is full (or, for TCP, no local port is free); the guest
            // gets it and may retry, as with a system connect.
            Err(Os::INPROGRESS) => {
                let nonblocking = self.table.get(fd)?.nonblocking();
                if nonblocking {
                    return Err(ERRNO_INPROGRESS.into());
                }
                self.wait_io(fd, Direction::Write)?;
                match rustix::net::sockopt::socket_error(&self.sock(fd)?.fd)? {
                    Ok(()) => Ok(()),
                    Err(e) => Err(e.into()),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// `send_to(fd, iovs, iovs_len, addr, out_sent)`.
    pub(crate) fn ext_send_to(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        iovs: u32,
        n: u32,
        addr_ptr: u32,
        out: u32,
    ) -> Result<()> {
        mem.check(out, 4)?;
        let a = addr::read(mem, addr_ptr)?;
        let s = self.sock(fd)?;
        if s.kind != SocketKind::Datagram {
            return Err(ERRNO_ISCONN.into());
        }
        if !addr::fits(s.family, &a) {
            return Err(ERRNO_AFNOSUPPORT.into());
        }
        self.table.get(fd)?.check(RIGHTS_FD_WRITE)?;
        if !self.policy.allows(Action::UdpSend, &a) {
            return Err(ERRNO_ACCES.into());
        }
        // A datagram is one unit: the kernel gathers it straight from guest
        // memory (no host copy, however the buffers overlap), and refuses
        // one larger than a datagram can be (`MSGSIZE`) before copying.
        let iovs = mem.iovecs(iovs, n)?;
        let bufs = mem.io_slices(&iovs)?;
        let sent = self.blocking(fd, Direction::Write, |o| {
            Ok(rustix::net::sendmsg_addr(
                o.fd(),
                &a,
                &bufs,
                &mut rustix::net::SendAncillaryBuffer::default(),
                SendFlags::NOSIGNAL,
            )?)
        })?;
        drop(bufs);
        mem.put_u32(out, sent as u32)?;
        Ok(())
    }

    /// `recv_from(fd, iovs, iovs_len, riflags, out_len, out_roflags, out_addr)`.
    pub(crate) fn ext_recv_from(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        iovs: u32,
        n: u32,
        flags: u32,
        out_len: u32,
        out_flags: u32,
        out_addr: u32,
    ) -> Result<()> {
        mem.check(out_len, 4)?;
        mem.check(out_flags, 2)?;
        mem.check(out_addr, wasio_abi::SOCKADDR_SIZE as u32)?;
        if flags & !RECV_PEEK != 0 {
            return Err(ERRNO_INVAL.into());
        }
        let s = self.sock(fd)?;
        if s.listening {
            return Err(ERRNO_NOTCONN.into());
        }
        self.table.get(fd)?.check(RIGHTS_FD_READ)?;
        let mut os = RecvFlags::TRUNC;
        if flags & RECV_PEEK != 0 {
            os |= RecvFlags::PEEK;
        }
        let iovs = mem.iovecs(iovs, n)?;
        let (p, l) = GuestMem::first_nonempty(&iovs).unwrap_or((0, 0));
        let buf = mem.slice_mut(p, l)?;
        let (got, full, from) = self.blocking(fd, Direction::Read, |o| {
            let (n, full, from) = rustix::net::recvfrom(o.fd(), &mut *buf, os)?;
            Ok((n, full, from))
        })?;
        let truncated = full > got;
        mem.put_u32(out_len, got as u32)?;
        mem.put_u16(out_flags, if truncated { RECV_TRUNCATED } else { 0 })?;
        addr::write(mem, out_addr, &addr::from_any(from))?;
        Ok(())
    }

    /// `local_addr(fd, out)`.
    pub(crate) fn ext_local_addr(&mut self, mem: &mut GuestMem, fd: u32, out: u32) -> Result<()> {
        mem.check(out, wasio_abi::SOCKADDR_SIZE as u32)?;
        let a = rustix::net::getsockname(&self.sock(fd)?.fd)?;
        addr::write(mem, out, &addr::from_any(Some(a)))
    }

    /// `peer_addr(fd, out)`.
    pub(crate) fn ext_peer_addr(&mut self, mem: &mut GuestMem, fd: u32, out: u32) -> Result<()> {
        mem.check(out, wasio_abi::SOCKADDR_SIZE as u32)?;
        let a = rustix::net::getpeername(&self.sock(fd)?.fd)?;
        if a.is_none() {
            return Err(ERRNO_NOTCONN.into());
        }
        addr::write(mem, out, &addr::from_any(a))
    }
}
