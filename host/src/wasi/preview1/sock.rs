//! `sock_*`: the four socket calls preview1 has.

use std::net::Shutdown;

use rustix::net::RecvFlags;
use wasi::*;

use crate::wasi::ctx::WasiCtx;
use crate::wasi::errno::Result;
use crate::wasi::mem::GuestMem;
use crate::wasi::reactor::Direction;
use crate::wasi::rights;
use crate::wasi::table::{Descriptor, Object, Socket};

impl WasiCtx {
    fn socket(&self, fd: u32) -> Result<&Descriptor> {
        let d = self.table.get(fd)?;
        d.socket()?;
        Ok(d)
    }

    /// `sock_accept`: a new connection from a listener.
    pub(crate) fn sock_accept(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        flags: u32,
        out: u32,
    ) -> Result<()> {
        mem.check(out, 4)?;
        let d = self.socket(fd)?;
        let listener = d.socket()?;
        if !listener.listening {
            return Err(ERRNO_INVAL.into());
        }
        let (family, kind) = (listener.family, listener.kind);
        d.check(RIGHTS_SOCK_ACCEPT)?;
        let flags = u16::try_from(flags).map_err(|_| ERRNO_INVAL)?;
        if flags & !FDFLAGS_NONBLOCK != 0 {
            return Err(ERRNO_INVAL.into());
        }
        // Reserve the fd before accepting, so a full table never drops a
        // connection on the floor.
        if self.table.len() >= self.table.max_open() {
            return Err(ERRNO_MFILE.into());
        }
        let conn = self.blocking(fd, Direction::Read, |o| {
            Ok(rustix::net::accept_with(
                o.fd(),
                rustix::net::SocketFlags::NONBLOCK | rustix::net::SocketFlags::CLOEXEC,
            )?)
        })?;
        tracing::debug!(fd, "accepted a connection");
        self.started = true;
        let sock = Socket {
            fd: conn,
            family,
            kind,
            listening: false,
            linger: None,
        };
        let mut d = Descriptor::new(Object::Socket(sock), rights::SOCKET, 0);
        d.flags = flags;
        let newfd = self.table.push(d)?;
        mem.put_u32(out, newfd)?;
        Ok(())
    }

    /// `sock_recv`.
    #[inline]
    pub(crate) fn sock_recv(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        iovs: u32,
        n: u32,
        riflags: u32,
        out_len: u32,
        out_flags: u32,
    ) -> Result<()> {
        mem.check(out_len, 4)?;
        mem.check(out_flags, 2)?;
        let d = self.socket(fd)?;
        d.check(RIGHTS_FD_READ)?;
        let riflags = u16::try_from(riflags).map_err(|_| ERRNO_INVAL)?;
        if riflags & !(RIFLAGS_RECV_PEEK | RIFLAGS_RECV_WAITALL) != 0 {
            return Err(ERRNO_INVAL.into());
        }
        let mut os = RecvFlags::empty();
        if riflags & RIFLAGS_RECV_PEEK != 0 {
            os |= RecvFlags::PEEK;
        }
        let waitall = riflags & RIFLAGS_RECV_WAITALL != 0 && riflags & RIFLAGS_RECV_PEEK == 0;
        let iovs = mem.iovecs(iovs, n)?;
        let mut total = 0usize;
        if let Some((p, l)) = GuestMem::first_nonempty(&iovs) {
            let buf = mem.slice_mut(p, l)?;
            loop {
                let rest = &mut buf[total..];
                let got = self.blocking(fd, Direction::Read, |o| {
                    Ok(rustix::net::recv(o.fd(), &mut *rest, os)?.0)
                });
                match got {
                    Ok(0) => break,
                    Ok(k) => total += k,
                    // With WAITALL, data already received is not lost.
                    Err(e) if total > 0 => {
                        tracing::debug!(?e, "sock_recv stopped early");
                        break;
                    }
                    Err(e) => return Err(e),
                }
                if !waitall || total == buf.len() {
                    break;
                }
            }
        }
        mem.put_u32(out_len, total as u32)?;
        mem.put_u16(out_flags, 0)?;
        Ok(())
    }

    /// `sock_send`.
    #[inline]
    pub(crate) fn sock_send(
        &mut self,
        mem: &mut GuestMem,
        fd: u32,
        iovs: u32,
        n: u32,
        siflags: u32,
        out: u32,
    ) -> Result<()> {
        mem.check(out, 4)?;
        let d = self.socket(fd)?;
        d.check(RIGHTS_FD_WRITE)?;
        if siflags != 0 {
            return Err(ERRNO_INVAL.into());
        }
        if d.socket()?.listening {
            return Err(ERRNO_NOTCONN.into());
        }
        let iovs = mem.iovecs(iovs, n)?;
        let sent = {
            let bufs = mem.io_slices(&iovs)?;
            if bufs.iter().all(|b| b.is_empty()) {
                0
            } else {
                self.blocking(fd, Direction::Write, |o| match o {
                    Object::Socket(s) => super::fd::send_vectored(s, &bufs),
                    _ => Err(std::io::Error::from_raw_os_error(
                        rustix::io::Errno::NOTSOCK.raw_os_error(),
                    )),
                })?
            }
        };
        mem.put_u32(out, sent as u32)?;
        Ok(())
    }

    /// `sock_shutdown`.
    pub(crate) fn sock_shutdown(&mut self, _: &mut GuestMem, fd: u32, how: u32) -> Result<()> {
        let d = self.socket(fd)?;
        let how = match u8::try_from(how).map_err(|_| ERRNO_INVAL)? {
            x if x == SDFLAGS_RD => Shutdown::Read,
            x if x == SDFLAGS_WR => Shutdown::Write,
            x if x == SDFLAGS_RD | SDFLAGS_WR => Shutdown::Both,
            _ => return Err(ERRNO_INVAL.into()),
        };
        d.check(RIGHTS_SOCK_SHUTDOWN)?;
        let s = d.socket()?;
        if s.listening {
            return Err(ERRNO_NOTCONN.into());
        }
        let how = match how {
            Shutdown::Read => rustix::net::Shutdown::Read,
            Shutdown::Write => rustix::net::Shutdown::Write,
            Shutdown::Both => rustix::net::Shutdown::Both,
        };
        rustix::net::shutdown(&s.fd, how)?;
        Ok(())
    }
}
